// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/finance.rs (inside `mod garch { .. }`) once it passes.
//
// Domain: finance
// Status: rejected with a clean message
// Class:  iterator chain: zip with an offset copy (skip(1))
// Next blocker, verified by rewriting the first locally (zip/skip → `for t in 1..returns.len()`): passes
// Oracle: central differences in (ω, α, β) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: this iteration is not supported by #[differentiate]; the supported forms are ranges (`0..n`, `.rev()`, `.step_by(k)`) and slices or arrays: `xs`, `xs.iter()`, `.copied()`, `.enumerate()`, `.zip(ys.iter())`
//   --> tests/corpus_pending/garch.rs:22:41

use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// GARCH(1,1) Gaussian negative log-likelihood, variance started at the sample variance.
#[differentiate(wrt(omega, alpha, beta))]
pub fn garch_nll(omega: f64, alpha: f64, beta: f64, returns: &[f64]) -> f64 {
    let mut var = returns.iter().map(|r| r * r).sum::<f64>() / returns.len() as f64;
    let mut nll = 0.0;
    for (prev, r) in returns.iter().zip(returns.iter().skip(1)) {
        var = omega + alpha * prev * prev + beta * var;
        nll += 0.5 * (var.ln() + r * r / var);
    }
    nll
}

#[test]
fn garch() {
    let returns = [1.0, -2.0, 1.5, 3.0, -1.0, 0.5, -2.5, 1.2];
    for t in [[0.1, 0.1, 0.85], [0.05, 0.05, 0.9], [0.2, 0.2, 0.5]] {
        let f = |t: &[f64]| garch_nll(t[0], t[1], t[2], &returns);
        let (v, g) = garch_nll_grad(t[0], t[1], t[2], &returns);
        assert!((v - f(&t)).abs() < 1e-12);
        check_gradient(f, &t, &[g.omega, g.alpha, g.beta], Tolerance::default()).unwrap();
    }
}
