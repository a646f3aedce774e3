//! The gamma family in differentiated code: `special::ln_gamma` (also `libm::lgamma`,
//! `libm::lgammaf`), `special::gamma` (`libm::tgamma`) and `special::digamma`, as the
//! likelihoods of the Student-t, Beta and Gamma distributions use them. ∂/∂x ln Γ(x) = ψ(x),
//! ∂ψ/∂x = ψ′(x) (`runtime/src/special.rs`, computed in the float type's own arithmetic, so
//! Hessians carry them too). Oracles: central differences of the plain functions and of the
//! gradient, and closed forms.

use tapeless::check::central_difference;
use tapeless::differentiate;
use tapeless::special;

#[path = "support/close.rs"]
mod support;
use support::close;

/// The negative log-likelihood of a Student-t with location `mu`, scale `sigma` and
/// `nu` degrees of freedom, all three learned, written with `libm::lgamma` as `no_std` code
/// writes it.
#[differentiate(wrt(mu, sigma, nu))]
fn student_t_nll(mu: f64, sigma: f64, nu: f64, data: &[f64]) -> f64 {
    let n = data.len() as f64;
    let norm = libm::lgamma((nu + 1.0) / 2.0)
        - libm::lgamma(nu / 2.0)
        - 0.5 * (nu * std::f64::consts::PI).ln()
        - sigma.ln();
    let mut total = 0.0;
    for &x in data {
        let z = (x - mu) / sigma;
        total += (nu + 1.0) / 2.0 * (1.0 + z * z / nu).ln();
    }
    total - n * norm
}

const DATA: [f64; 6] = [0.3, -1.2, 2.5, 0.9, -0.4, 4.1];

#[test]
fn student_t_against_differences() {
    for p in [[0.5, 1.3, 3.0], [-0.2, 0.8, 0.7], [1.0, 2.0, 25.0]] {
        let (value, g) = student_t_nll_grad(p[0], p[1], p[2], &DATA);
        assert_eq!(value, student_t_nll(p[0], p[1], p[2], &DATA));
        let fd = central_difference(|q| student_t_nll(q[0], q[1], q[2], &DATA), &p);
        close("student_t", &[g.mu, g.sigma, g.nu], &fd, 1e-7);
    }
}

/// ∂/∂ν of ln Γ((ν+1)/2) − ln Γ(ν/2) in closed form: (ψ((ν+1)/2) − ψ(ν/2))/2.
#[differentiate]
fn gamma_ratio(nu: f64) -> f64 {
    special::ln_gamma((nu + 1.0) / 2.0) - special::ln_gamma(nu / 2.0)
}

#[test]
fn the_log_gamma_ratio_in_closed_form() {
    for nu in [0.3, 1.0, 4.0, 30.0] {
        let (_, g) = gamma_ratio_grad(nu);
        let want = 0.5 * (special::digamma((nu + 1.0) / 2.0) - special::digamma(nu / 2.0));
        assert!((g.nu - want).abs() < 1e-15, "{} vs {want}", g.nu);
    }
}

/// The Beta log-density in its two shape parameters (and a Γ beside it, through `tgamma`).
#[differentiate(hessian, wrt(ab))]
fn beta_log_density(ab: &[f64], x: f64) -> f64 {
    let (a, b) = (ab[0], ab[1]);
    special::ln_gamma(a + b) - special::ln_gamma(a) - special::ln_gamma(b)
        + (a - 1.0) * x.ln()
        + (b - 1.0) * (1.0 - x).ln()
        + 0.01 * libm::tgamma(a)
}

#[test]
fn a_beta_hessian_against_differences_of_the_gradient() {
    let x = 0.3;
    for ab in [[2.0, 3.5], [0.6, 1.4], [8.0, 12.0]] {
        let (value, g, rows) = beta_log_density_hessian(&ab, x);
        assert_eq!(value, beta_log_density(&ab, x));
        let fd = central_difference(|q| beta_log_density(q, x), &ab);
        close("beta gradient", &g.ab, &fd, 1e-7);
        let h = 1e-5;
        for j in 0..2 {
            let (mut plus, mut minus) = (ab, ab);
            plus[j] += h;
            minus[j] -= h;
            let (gp, gm) = (
                beta_log_density_grad(&plus, x).1.ab,
                beta_log_density_grad(&minus, x).1.ab,
            );
            let column: Vec<f64> = (0..2).map(|i| (gp[i] - gm[i]) / (2.0 * h)).collect();
            let got: Vec<f64> = (0..2).map(|i| rows[i].ab[j]).collect();
            close("beta hessian", &got, &column, 1e-6);
        }
        // ∂²/∂a∂b = ψ′(a + b) in closed form (the Γ term does not depend on b).
        let trigamma = central_difference(|q| special::digamma(q[0]), &[ab[0] + ab[1]])[0];
        assert!((rows[0].ab[1] - trigamma).abs() < 1e-7 * (1.0 + trigamma.abs()));
    }
}

/// ψ itself differentiated (its rule reads ψ′), and `lgammaf` in `f32`.
#[differentiate]
fn digamma_of_square(x: f64) -> f64 {
    special::digamma(x * x)
}

#[differentiate]
fn lgamma_single(x: f32) -> f32 {
    libm::lgammaf(x) * x
}

#[test]
fn digamma_and_single_precision() {
    let x = 1.7;
    let (_, g) = digamma_of_square_grad(x);
    let fd = central_difference(|q| digamma_of_square(q[0]), &[x])[0];
    assert!((g.x - fd).abs() < 1e-8 * (1.0 + fd.abs()));
    let (_, g32) = lgamma_single_grad(2.5_f32);
    let want = libm::lgamma(2.5) + 2.5 * special::digamma(2.5);
    assert!((f64::from(g32.x) - want).abs() < 1e-5);
}
