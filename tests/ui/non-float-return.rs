// The function returns an integer: a gradient is the derivative of a float result, and an
// `i32` has none.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> i32 {
    (x * x) as i32
}

fn main() {}
