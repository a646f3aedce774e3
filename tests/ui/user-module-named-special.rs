// The user's own `special::erf` (a cheap approximation) is called in a differentiated
// function: the path ends like tapeless's `special::erf`, whose derivative rule
// `#[differentiate]` would use. The generated code checks that the path names tapeless's
// function: a compile error at the call, not the derivative of the true erf.
use tapeless::differentiate;

mod special {
    pub fn erf(x: f64) -> f64 {
        x / (1.0 + x * x).sqrt()
    }
}

#[differentiate]
fn f(x: f64) -> f64 {
    special::erf(x)
}

fn main() {}
