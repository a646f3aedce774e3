// `hessian` with a nalgebra vector parameter: the generic copy cannot lift matrices to
// dual numbers yet; pass the values as a slice, an array or a `Vec`.
use nalgebra::DVector;
use tapeless::differentiate;

#[differentiate(hessian)]
fn f(x: &DVector<f64>) -> f64 {
    x.dot(x)
}

fn main() {}
