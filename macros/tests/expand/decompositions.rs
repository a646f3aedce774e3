// A Cholesky decomposition is one value (`c`): `c.solve(b)` and `c.l()` add into its
// adjoint (L̄), and the `cholesky` rule turns L̄ into Ā once. The log-determinant through
// the factor's diagonal is the loop `.map(|d| d.ln())` means.
#[differentiate]
pub fn quadratic_and_log_det(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    let x = c.solve(b);
    let log_det = 2.0 * c.l().diagonal().map(|d| d.ln()).sum();
    x.dot(b) + log_det
}

// `qr()` and `lu()` solves are the one rule x = A⁻¹b.
#[differentiate]
pub fn qr_solve(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    a.clone().qr().solve(b).unwrap().sum()
}
