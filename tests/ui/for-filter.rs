// `for x in xs.iter().filter(..)`: an iterator adaptor that #[differentiate] has no rule for
// (it cannot replay `filter` backwards); loop over all elements and skip with
// `if .. { continue; }` instead.
use tapeless::differentiate;

#[differentiate]
fn f(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs.iter().filter(|v| **v > 0.0) {
        s += x * x;
    }
    s
}

fn main() {}
