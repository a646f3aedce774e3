// The user bounded the loops with a run-time value: the bound is the length of arrays, so
// it must be known at compile time (an integer literal or a constant).
use tapeless::differentiate;

#[differentiate(max_iterations = 2.5)]
fn f(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    p
}

fn main() {}
