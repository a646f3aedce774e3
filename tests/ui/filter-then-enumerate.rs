// `.filter(..).enumerate()`: the indices count the kept elements, which the loop over all
// elements that `filter` is rewritten into does not have; enumerate first
// (`.enumerate().filter(|(i, v)| ..)`) or keep a counter.
use tapeless::differentiate;

#[differentiate]
fn f(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, x) in xs.iter().filter(|v| **v > 0.0).enumerate() {
        s += x * i as f64;
    }
    s
}

fn main() {}
