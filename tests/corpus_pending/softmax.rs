// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/ml.rs (inside `mod softmax { .. }`) once it passes.
//
// Domain: machine learning
// Status: rejected with a clean message
// Class:  iterator chain: fold (closure or f64::max)
// Also uses (may block next; not verified, hidden behind the first error): iterator chain: map(..).collect() into a Vec
// Next blocker, verified by rewriting the first locally (fold → `for` loop with `max`): rejected: `x.iter().map(..).collect()`
// Oracle: VJP closed form p ⊙ (s − ⟨s,p⟩) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: method `iter` has no derivative rule, and it receives a value that depends on a differentiated parameter; rewrite it with operators and float methods that have rules (sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, exp, exp2, exp_m1, ln, ln_1p, log10, log2, sqrt, cbrt, recip, abs, to_degrees, to_radians, fract, log, powf, powi, atan2, hypot, max, min, clamp, mul_add, transpose, dot, norm, norm_squared, sum, mean, trace, determinant, component_mul, component_div, add_scalar, column, clone, row)
//   --> tests/corpus_pending/softmax.rs:20:13

use tapeless::differentiate;

/// Numerically stable softmax.
#[differentiate]
pub fn softmax(x: &[f64]) -> Vec<f64> {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = x.iter().map(|v| (v - m).exp()).collect();
    let z: f64 = e.iter().sum();
    e.iter().map(|v| v / z).collect()
}

#[test]
fn softmax_vjp_matches_closed_form() {
    let seed = vec![0.3, -1.0, 2.0, 0.5];
    for x in [vec![1.0, 2.0, 3.0, 4.0], vec![-0.5, 0.0, 0.5, 10.0], vec![0.0; 4]] {
        let (p, g) = softmax_vjp(&x, seed.clone());
        assert_eq!(p, softmax(&x));
        // Closed form: x̄ = p ⊙ (s − ⟨s, p⟩).
        let sp: f64 = seed.iter().zip(&p).map(|(s, p)| s * p).sum();
        for k in 0..4 {
            let expected = p[k] * (seed[k] - sp);
            assert!((g.x[k] - expected).abs() < 1e-12, "{:?}", g.x);
        }
    }
}
