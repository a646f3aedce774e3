// A `&mut f64` parameter: mutation through a reference cannot be differentiated yet;
// take the value and return the result instead.
use tapeless::differentiate;

#[differentiate]
fn f(x: &mut f64) -> f64 {
    *x * 2.0
}

fn main() {}
