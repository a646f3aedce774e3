// A vector-valued function: `polar_jacobian` returns the value and one `PolarGrad` per
// component (row i = ∇ out_i).
#[differentiate]
pub fn polar(r: f64, theta: f64) -> [f64; 2] {
    let mut out = [0.0; 2];
    out[0] = r * theta.cos();
    out[1] = r * theta.sin();
    out
}
