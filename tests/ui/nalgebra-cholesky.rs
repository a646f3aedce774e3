// `cholesky()` of a differentiated matrix has no rule yet: solve with
// `a.clone().lu().solve(&b).unwrap()` and take the log-determinant as `a.determinant().ln()`
// (for moderate sizes), or wrap the factorisation in a `#[custom_vjp]` function.
use nalgebra::{DMatrix, DVector};
use tapeless::differentiate;

#[differentiate]
fn f(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    c.solve(b).dot(b)
}

fn main() {}
