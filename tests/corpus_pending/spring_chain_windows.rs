// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/physics.rs (inside `mod spring_chain_windows { .. }`) once it passes.
//
// Domain: physics simulation
// Status: rejected with a clean message
// Class:  iterator chain: windows/chunks
// Next blocker, verified by rewriting the first locally (windows → `(0..x.len() - 1).map(|i| ..)`): rejected: a range is not supported on values that depend on a differentiated parameter (the bound is `x.len() - 1`)
// Oracle: closed-form spring forces, dE/dk = E/k, dE/drest at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: method `windows` has no derivative rule, and it receives a value that depends on a differentiated parameter; rewrite it with operators and float methods that have rules (sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, exp, exp2, exp_m1, ln, ln_1p, log10, log2, sqrt, cbrt, recip, abs, to_degrees, to_radians, fract, log, powf, powi, atan2, hypot, max, min, clamp, mul_add, transpose, dot, norm, norm_squared, sum, mean, trace, determinant, component_mul, component_div, add_scalar, column, clone, row)
//   --> tests/corpus_pending/spring_chain_windows.rs:19:24

use tapeless::differentiate;

/// Energy of a chain of springs anchored at the origin.
#[differentiate]
pub fn chain_energy(x: &[f64], k: f64, rest: f64) -> f64 {
    let springs: f64 = x.windows(2).map(|w| 0.5 * k * (w[1] - w[0] - rest).powi(2)).sum();
    let anchor = 0.5 * k * x[0] * x[0];
    springs + anchor
}

#[test]
fn spring_chain() {
    let (k, rest) = (3.0, 1.0);
    for x in [vec![0.1, 1.2, 1.9, 3.3], vec![-0.5, 0.0, 1.0, 2.5, 3.0], vec![0.0, 2.0]] {
        let (v, g) = chain_energy_grad(&x, k, rest);
        assert!((v - chain_energy(&x, k, rest)).abs() < 1e-12);
        // Closed form: force on node i from its left and right springs and the anchor.
        let n = x.len();
        for i in 0..n {
            let mut expected = if i == 0 { k * x[0] } else { 0.0 };
            if i > 0 {
                expected += k * (x[i] - x[i - 1] - rest);
            }
            if i + 1 < n {
                expected -= k * (x[i + 1] - x[i] - rest);
            }
            assert!((g.x[i] - expected).abs() < 1e-10, "{:?}", g.x);
        }
        let dk = v / k;
        let drest: f64 = x.windows(2).map(|w| -k * (w[1] - w[0] - rest)).sum();
        assert!((g.k - dk).abs() < 1e-10 && (g.rest - drest).abs() < 1e-10);
    }
}
