// A plain function with no derivative rule is applied to a value that depends on `x`: the
// macro cannot see inside `helper`, so its derivative would silently be lost.
use tapeless::differentiate;

fn helper(t: f64) -> f64 {
    t * t + 1.0
}

#[differentiate]
fn f(x: f64) -> f64 {
    let y = 2.0 * x;
    helper(y) + x
}

fn main() {}
