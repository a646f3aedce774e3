// A method that changes a differentiated vector in place (`swap`, `reverse`, `fill`,
// `copy_from_slice`, nalgebra's `swap_rows`, ...).
use tapeless::differentiate;

#[differentiate]
fn reversed_weights(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.reverse();
    v[0] * 2.0 + v[1]
}

fn main() {}
