// `wrt(...)` names a parameter the function does not have (a typo, or a renamed parameter).
use tapeless::differentiate;

#[differentiate(wrt(z))]
fn f(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {}
