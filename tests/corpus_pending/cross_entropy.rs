// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/regression.rs (inside `mod cross_entropy { .. }`) once it passes.
//
// Domain: regression
// Status: rejected with a clean message
// Class:  iterator chain: fold (closure or f64::max)
// Next blocker, verified by rewriting the first locally (fold → `for` loop with `max`): passes
// Oracle: closed form softmax − one-hot at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: method `iter` has no derivative rule, and it receives a value that depends on a differentiated parameter; rewrite it with operators and float methods that have rules (sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, exp, exp2, exp_m1, ln, ln_1p, log10, log2, sqrt, cbrt, recip, abs, to_degrees, to_radians, fract, log, powf, powi, atan2, hypot, max, min, clamp, mul_add, transpose, dot, norm, norm_squared, sum, mean, trace, determinant, component_mul, component_div, add_scalar, column, clone, row)
//   --> tests/corpus_pending/cross_entropy.rs:19:15

use tapeless::differentiate;

/// Softmax cross-entropy of logits against a class label, with the max subtracted.
#[differentiate]
pub fn cross_entropy(logits: &[f64], label: usize) -> f64 {
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let sum_exp: f64 = logits.iter().map(|&z| (z - max).exp()).sum();
    max + sum_exp.ln() - logits[label]
}

#[test]
fn cross_entropy_loss() {
    for (logits, label) in [(vec![1.0, 2.0, 0.5], 0), (vec![-3.0, 0.0, 3.0, 1.0], 2), (vec![10.0, 10.5], 1)] {
        let (v, g) = cross_entropy_grad(&logits, label);
        assert!((v - cross_entropy(&logits, label)).abs() < 1e-12);
        // Closed form: softmax − one-hot.
        let z: f64 = logits.iter().map(|l: &f64| l.exp()).sum();
        for (k, l) in logits.iter().enumerate() {
            let expected = l.exp() / z - if k == label { 1.0 } else { 0.0 };
            assert!((g.logits[k] - expected).abs() < 1e-10, "{:?}", g.logits);
        }
    }
}
