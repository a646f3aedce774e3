// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/ml.rs (inside `mod gmm_scratch { .. }`) once it passes.
//
// Domain: machine learning
// Status: rejected with a clean message
// Class:  iterator chain: fold (closure or f64::max)
// Next blocker, verified by rewriting the first locally (both folds → `for` loops with `max`): passes
// Oracle: central differences over 9 parameters at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: method `iter` has no derivative rule, and it receives a value that depends on a differentiated parameter; rewrite it with operators and float methods that have rules (sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, exp, exp2, exp_m1, ln, ln_1p, log10, log2, sqrt, cbrt, recip, abs, to_degrees, to_radians, fract, log, powf, powi, atan2, hypot, max, min, clamp, mul_add, transpose, dot, norm, norm_squared, sum, mean, trace, determinant, component_mul, component_div, add_scalar, column, clone, row)
//   --> tests/corpus_pending/gmm_scratch.rs:24:13

use std::f64::consts::PI;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

const K: usize = 3;

/// 1-D Gaussian mixture negative log-likelihood with scratch arrays for the log terms.
#[differentiate(wrt(weight_logits, means, log_sigmas))]
pub fn gmm_nll(weight_logits: &[f64; K], means: &[f64; K], log_sigmas: &[f64; K], data: &[f64]) -> f64 {
    let mut lw = [0.0; K];
    let m = weight_logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut z = 0.0;
    for k in 0..K {
        z += (weight_logits[k] - m).exp();
    }
    for k in 0..K {
        lw[k] = weight_logits[k] - m - z.ln();
    }
    let mut nll = 0.0;
    let mut scratch = [0.0; K];
    for &x in data {
        for k in 0..K {
            let s = log_sigmas[k].exp();
            let u = (x - means[k]) / s;
            scratch[k] = lw[k] - 0.5 * u * u - log_sigmas[k] - 0.5 * (2.0 * PI).ln();
        }
        let mx = scratch.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let se: f64 = scratch.iter().map(|v| (v - mx).exp()).sum();
        nll -= mx + se.ln();
    }
    nll
}

#[test]
fn gmm_with_scratch_arrays() {
    let data = [-2.1, -1.7, 0.1, 0.3, 0.2, 2.5, 3.1, 2.9];
    for s in [0.0, 0.3, -0.4] {
        let theta = [0.1 + s, -0.2, 0.3 - s, -2.0 + s, 0.0, 3.0, 0.1, -0.2 + s, 0.3];
        let arr = |t: &[f64], o: usize| [t[o], t[o + 1], t[o + 2]];
        let f = |t: &[f64]| gmm_nll(&arr(t, 0), &arr(t, 3), &arr(t, 6), &data);
        let (v, g) = gmm_nll_grad(&arr(&theta, 0), &arr(&theta, 3), &arr(&theta, 6), &data);
        assert!((v - f(&theta)).abs() < 1e-12);
        let analytic: Vec<f64> = g.weight_logits.iter().chain(&g.means).chain(&g.log_sigmas).copied().collect();
        check_gradient(f, &theta, &analytic, Tolerance::default()).unwrap();
    }
}
