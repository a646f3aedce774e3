// `if let`: a condition that binds a pattern (`Some(w)`) is not supported, since a branch
// is reversed by testing its condition again and the binding would escape it; test with an
// ordinary comparison (`if !weights.is_empty() { .. weights[0] .. }`) or `match` on data.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, weights: &[f64]) -> f64 {
    if let Some(w) = weights.first() {
        x * w
    } else {
        x
    }
}

fn main() {}
