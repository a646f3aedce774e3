// A decomposition unwrapped by `.expect(..)` with a message computed in the function (a
// local variable): the generated code writes the message again where it unwraps, so it must
// be a string literal or a constant (`.expect("not positive definite")`,
// `.expect(MESSAGE)` with `const MESSAGE: &str`), or the call an `.unwrap()`.
use nalgebra::{DMatrix, DVector};
use tapeless::differentiate;

#[differentiate]
fn f(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let message = "not positive definite";
    let c = a.clone().cholesky().expect(message);
    c.solve(b).dot(b)
}

fn main() {}
