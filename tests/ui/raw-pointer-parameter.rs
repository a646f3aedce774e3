// A raw pointer parameter: the macro cannot follow what the pointer points to, so it
// cannot differentiate through it; take `f64` or `&f64`.
use tapeless::differentiate;

#[differentiate]
fn f(x: *const f64) -> f64 {
    x as usize as f64
}

fn main() {}
