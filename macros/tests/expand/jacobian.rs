// A vector-valued function: `polar_jacobian` returns the value and one `PolarGrad` per
// component (row i = ∇ out_i).
#[differentiate]
pub fn polar(r: f64, theta: f64) -> [f64; 2] {
    let mut out = [0.0; 2];
    out[0] = r * theta.cos();
    out[1] = r * theta.sin();
    out
}

// Generic, with a loop: the rows are `SquaresGrad<T>`.
#[differentiate]
pub fn squares<T: Float>(x: &[T]) -> Vec<T> {
    let mut out = vec![T::zero(); x.len()];
    for i in 0..x.len() {
        out[i] = x[i] * x[i];
    }
    out
}
