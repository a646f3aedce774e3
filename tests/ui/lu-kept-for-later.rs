// `lu()` of a differentiated matrix is differentiated as the solve it is for,
// `a.clone().lu().solve(&b).unwrap()`; a decomposition bound for later is not.
use nalgebra::{DMatrix, DVector};
use tapeless::differentiate;

#[differentiate]
fn f(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let lu = a.clone().lu();
    lu.solve(b).unwrap().sum()
}

fn main() {}
