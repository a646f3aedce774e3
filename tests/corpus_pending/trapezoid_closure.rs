// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/numerics.rs (inside `mod trapezoid_closure { .. }`) once it passes.
//
// Domain: numerical methods
// Status: rustc error inside generated code
// Class:  closure: let-bound, called inside another closure or passed to nalgebra
// Also uses (may block next; not verified, hidden behind the first error): iterator chain: map(..).collect() into a Vec; iterator chain: windows/chunks
// Oracle: central differences in (a, b) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0425]: cannot find function `f` in this scope
//   --> tests/corpus_pending/trapezoid_closure.rs:18:1

use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// ∫₀¹ a·exp(−b t²) dt by the trapezoid rule on a uniform grid, the integrand a closure.
#[differentiate]
pub fn integral(a: f64, b: f64, n: usize) -> f64 {
    let f = |t: f64| a * (-b * t * t).exp();
    let h = 1.0 / n as f64;
    let ys: Vec<f64> = (0..=n).map(|i| f(i as f64 * h)).collect();
    ys.windows(2).map(|w| 0.5 * h * (w[0] + w[1])).sum()
}

#[test]
fn trapezoid_with_closure() {
    for t in [[1.0, 0.5], [2.0, 2.0], [-0.5, 0.1]] {
        let f = |t: &[f64]| integral(t[0], t[1], 64);
        let (v, g) = integral_grad(t[0], t[1], 64);
        assert!((v - f(&t)).abs() < 1e-12);
        check_gradient(f, &t, &[g.a, g.b], Tolerance::default()).unwrap();
    }
}
