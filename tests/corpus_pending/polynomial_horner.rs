// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/regression.rs (inside `mod polynomial_horner { .. }`) once it passes.
//
// Domain: regression
// Status: rejected with a clean message
// Class:  iterator chain: fold (closure or f64::max)
// Next blocker, verified by rewriting the first locally (fold → `for &c in coeffs.iter().rev()`): rejected: this iteration is not supported
// Oracle: closed form Σ 2 r t^k at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: closures are not supported yet by #[differentiate]; write the computation inline (closures passed to `.map(..)` before `.sum()` are supported)
//   --> tests/corpus_pending/polynomial_horner.rs:22:51

use tapeless::differentiate;

/// Squared error of a polynomial fit; the polynomial evaluated by Horner's rule as a fold.
#[differentiate(wrt(coeffs))]
pub fn poly_fit_loss(coeffs: &[f64], ts: &[f64], ys: &[f64]) -> f64 {
    ts.iter()
        .zip(ys)
        .map(|(&t, &y)| {
            let p = coeffs.iter().rev().fold(0.0, |acc, &c| acc * t + c);
            (p - y) * (p - y)
        })
        .sum()
}

#[test]
fn polynomial_horner() {
    let ts = [-1.0, -0.3, 0.2, 0.8, 1.5];
    let ys = [0.5, 1.0, 1.2, 2.0, 4.0];
    for c in [[1.0, 0.5, -0.2, 0.1], [0.0, 0.0, 0.0, 0.0], [2.0, -1.0, 0.3, 0.7]] {
        let (v, g) = poly_fit_loss_grad(&c, &ts, &ys);
        assert!((v - poly_fit_loss(&c, &ts, &ys)).abs() < 1e-12);
        // Closed form: d/dc_k = Σ 2 r t^k.
        for k in 0..4 {
            let expected: f64 = ts
                .iter()
                .zip(&ys)
                .map(|(t, y)| {
                    let p = c[0] + c[1] * t + c[2] * t * t + c[3] * t * t * t;
                    2.0 * (p - y) * t.powi(k as i32)
                })
                .sum();
            assert!((g.coeffs[k] - expected).abs() < 1e-10, "{:?}", g.coeffs);
        }
    }
}
