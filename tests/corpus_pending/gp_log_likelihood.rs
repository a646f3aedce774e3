// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/estimation.rs (inside `mod gp_log_likelihood { .. }`) once it passes.
//
// Domain: estimation
// Status: rejected with a clean message
// Class:  closure: let-bound, called inside another closure or passed to nalgebra
// Also uses (may block next; not verified, hidden behind the first error): nalgebra op (from_fn, cholesky/solve/l(), Rotation3::from_euler_angles)
// Update (h-idioms4): `from_fn` with this closure is supported now; the first error is
// `k.cholesky()` (method `cholesky` has no derivative rule), at line 28 of the file as a test.
// Oracle: central differences in (log ℓ, log σ_f) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: closures are not supported yet by #[differentiate]; write the computation inline (closures passed to `.map(..)` before `.sum()` are supported)
//   --> tests/corpus_pending/gp_log_likelihood.rs:24:36

use nalgebra::{DMatrix, DVector};
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Negative log marginal likelihood of a GP with a squared-exponential kernel, by Cholesky.
#[differentiate(wrt(log_ell, log_sf))]
pub fn gp_neg_log_lik(log_ell: f64, log_sf: f64, xs: &[f64], y: &DVector<f64>, noise: f64) -> f64 {
    let n = xs.len();
    let ell = log_ell.exp();
    let sf2 = (2.0 * log_sf).exp();
    let k = DMatrix::from_fn(n, n, |i, j| {
        let d = (xs[i] - xs[j]) / ell;
        sf2 * (-0.5 * d * d).exp() + if i == j { noise } else { 0.0 }
    });
    let chol = k.cholesky().expect("kernel matrix is not positive definite");
    let alpha = chol.solve(y);
    let log_det = 2.0 * chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
    0.5 * y.dot(&alpha) + 0.5 * log_det + 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln()
}

#[test]
fn gp_log_likelihood() {
    let xs = [-1.5, -0.7, 0.0, 0.4, 1.3, 2.0];
    let y = DVector::from_vec(vec![0.3, -0.2, 0.5, 0.9, 0.1, -0.6]);
    for t in [[0.0, 0.0], [-0.5, 0.3], [0.7, -0.2]] {
        let f = |t: &[f64]| gp_neg_log_lik(t[0], t[1], &xs, &y, 0.1);
        let (v, g) = gp_neg_log_lik_grad(t[0], t[1], &xs, &y, 0.1);
        assert!((v - f(&t)).abs() < 1e-10);
        check_gradient(f, &t, &[g.log_ell, g.log_sf], Tolerance::default()).unwrap();
    }
}
