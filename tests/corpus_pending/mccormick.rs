// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod mccormick { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Also uses (may block next; not verified, hidden behind the first error): generic numeric code (T: Float)
// Oracle: closed form at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/mccormick.rs:23:9

use num_traits::{Float, FromPrimitive};
use tapeless::differentiate;

/// McCormick function on [x1, x2].
#[differentiate]
pub fn mccormick<T>(param: &[T; 2]) -> T
where
    T: Float + FromPrimitive,
{
    let [x1, x2] = *param;
    (x1 + x2).sin() + (x1 - x2).powi(2) - T::from_f64(1.5).unwrap() * x1
        + T::from_f64(2.5).unwrap() * x2
        + T::from_f64(1.0).unwrap()
}

#[test]
fn mccormick_gradient() {
    for [x, y] in [[-0.5, -1.5], [1.0, 2.0], [3.0, -2.0]] {
        let (v, g) = mccormick_grad(&[x, y]);
        assert!((v - mccormick(&[x, y])).abs() < 1e-12);
        let c = (x + y).cos();
        assert!((g.param[0] - (c + 2.0 * (x - y) - 1.5)).abs() < 1e-12);
        assert!((g.param[1] - (c - 2.0 * (x - y) + 2.5)).abs() < 1e-12);
    }
}
