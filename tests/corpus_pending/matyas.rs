// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod matyas { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Also uses (may block next; not verified, hidden behind the first error): generic numeric code (T: Float)
// Oracle: closed form at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/matyas.rs:23:9

use num_traits::{Float, FromPrimitive};
use tapeless::differentiate;

/// Matyas function on [x1, x2].
#[differentiate]
pub fn matyas<T>(param: &[T; 2]) -> T
where
    T: Float + FromPrimitive,
{
    let [x1, x2] = *param;
    T::from_f64(0.26).unwrap() * (x1.powi(2) + x2.powi(2)) - T::from_f64(0.48).unwrap() * x1 * x2
}

#[test]
fn matyas_gradient() {
    for [x, y] in [[1.0, 2.0], [-3.0, 0.5], [0.0, 0.0]] {
        let (v, g) = matyas_grad(&[x, y]);
        assert!((v - matyas(&[x, y])).abs() < 1e-12);
        assert!((g.param[0] - (0.52 * x - 0.48 * y)).abs() < 1e-12);
        assert!((g.param[1] - (0.52 * y - 0.48 * x)).abs() < 1e-12);
    }
}
