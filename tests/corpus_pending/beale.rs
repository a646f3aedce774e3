// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod beale { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Also uses (may block next; not verified, hidden behind the first error): generic numeric code (T: Float)
// Oracle: closed form at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/beale.rs:23:9

use num_traits::{Float, FromPrimitive};
use tapeless::differentiate;

/// Beale function on [x1, x2].
#[differentiate]
pub fn beale<T>(param: &[T; 2]) -> T
where
    T: Float + FromPrimitive,
{
    let [x1, x2] = *param;
    (T::from_f64(1.5).unwrap() - x1 + x1 * x2).powi(2)
        + (T::from_f64(2.25).unwrap() - x1 + x1 * x2.powi(2)).powi(2)
        + (T::from_f64(2.625).unwrap() - x1 + x1 * x2.powi(3)).powi(2)
}

#[test]
fn beale_gradient() {
    for [x, y] in [[1.0, 0.5], [3.0, 0.4], [-1.0, 1.5]] {
        let (v, g) = beale_grad(&[x, y]);
        assert!((v - beale(&[x, y])).abs() < 1e-12);
        let a = 1.5 - x + x * y;
        let b = 2.25 - x + x * y * y;
        let c = 2.625 - x + x * y * y * y;
        let dx = 2.0 * a * (y - 1.0) + 2.0 * b * (y * y - 1.0) + 2.0 * c * (y * y * y - 1.0);
        let dy = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y * y;
        assert!((g.param[0] - dx).abs() < 1e-10 && (g.param[1] - dy).abs() < 1e-10, "{:?}", g.param);
    }
}
