// A `return` in the closure of `m.map(..)`: the closure is lowered as the loop it means,
// where `return` would leave the function; make the value the closure's last expression.
use nalgebra::DVector;
use tapeless::differentiate;

#[differentiate]
fn f(v: &DVector<f64>) -> f64 {
    v.map(|e| {
        if e < 0.0 {
            return 0.0;
        }
        e * e
    })
    .sum()
}

fn main() {}
