// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod himmelblau { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Also uses (may block next; not verified, hidden behind the first error): generic numeric code (T: Float)
// Oracle: closed form at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/himmelblau.rs:23:9

use num_traits::{Float, FromPrimitive};
use tapeless::differentiate;

/// Himmelblau function on [x1, x2].
#[differentiate]
pub fn himmelblau<T>(param: &[T; 2]) -> T
where
    T: Float + FromPrimitive,
{
    let [x1, x2] = *param;
    let n7 = T::from_f64(7.0).unwrap();
    let n11 = T::from_f64(11.0).unwrap();
    (x1.powi(2) + x2 - n11).powi(2) + (x1 + x2.powi(2) - n7).powi(2)
}

#[test]
fn himmelblau_gradient() {
    for [x, y] in [[3.0, 2.0], [0.5, -1.0], [-2.8, 3.1]] {
        let (v, g) = himmelblau_grad(&[x, y]);
        assert!((v - himmelblau(&[x, y])).abs() < 1e-12);
        let (u, w) = (x * x + y - 11.0, x + y * y - 7.0);
        assert!((g.param[0] - (4.0 * x * u + 2.0 * w)).abs() < 1e-10);
        assert!((g.param[1] - (2.0 * u + 4.0 * y * w)).abs() < 1e-10);
    }
}
