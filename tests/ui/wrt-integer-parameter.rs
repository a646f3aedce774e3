// `wrt(...)` names an integer parameter: integers take discrete values and have no
// derivative, so only float parameters can be differentiated.
use tapeless::differentiate;

#[differentiate(wrt(x, n))]
fn f(x: f64, n: usize) -> f64 {
    x * n as f64
}

fn main() {}
