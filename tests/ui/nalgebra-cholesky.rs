// `cholesky()` of a differentiated matrix is differentiated when it is unwrapped where it is
// computed (`let c = a.clone().cholesky().unwrap();`); an `Option` of a decomposition kept
// for later is not a value the macro differentiates.
use nalgebra::{DMatrix, DVector};
use tapeless::differentiate;

#[differentiate]
fn f(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky();
    c.unwrap().solve(b).dot(b)
}

fn main() {}
