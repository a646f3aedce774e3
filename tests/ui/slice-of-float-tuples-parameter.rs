// A differentiated slice of float tuples: slices, arrays and `Vec`s of tuples have no
// gradient yet. Pass each element of the tuples as a slice of its own, or leave the
// parameter out of `wrt(..)` to read it as data (`#[differentiate(wrt(s))]`).
use tapeless::differentiate;

#[differentiate]
fn f(points: &[(f64, f64)], s: f64) -> f64 {
    let mut total = 0.0;
    for &(x, w) in points {
        total += w * (s * x).sin();
    }
    total
}

fn main() {}
