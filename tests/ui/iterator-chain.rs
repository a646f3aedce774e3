// `a.iter().chain(b.iter())`: not an iteration #[differentiate] lowers; write two loops (or
// two sums).
use tapeless::differentiate;

#[differentiate]
fn f(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in a.iter().chain(b.iter()) {
        s += x * x;
    }
    s
}

fn main() {}
