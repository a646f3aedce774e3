// `.collect()` after `.filter(..)`: the vector's length depends on the values, which the
// vector written by index that `collect` is rewritten into cannot have; keep every element
// (`.map(|v| if v > 0.0 { v } else { 0.0 })`) or sum the filtered chain directly.
use tapeless::differentiate;

#[differentiate]
fn f(x: &[f64]) -> f64 {
    let kept: Vec<f64> = x.iter().filter(|v| **v > 0.0).map(|v| v * v).collect();
    kept.iter().sum()
}

fn main() {}
