// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod booth { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Also uses (may block next; not verified, hidden behind the first error): generic numeric code (T: Float)
// Next blocker, verified by rewriting the first locally (`let x1 = param[0];` etc.): rustc error in generated code: cannot multiply `&T` by `T`
// Oracle: closed form at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/booth.rs:24:9

use num_traits::{Float, FromPrimitive};
use tapeless::differentiate;

/// Booth function on [x1, x2].
#[differentiate]
pub fn booth<T>(param: &[T; 2]) -> T
where
    T: Float + FromPrimitive,
{
    let [x1, x2] = *param;
    (x1 + T::from_f64(2.0).unwrap() * x2 - T::from_f64(7.0).unwrap()).powi(2)
        + (T::from_f64(2.0).unwrap() * x1 + x2 - T::from_f64(5.0).unwrap()).powi(2)
}

#[test]
fn booth_gradient() {
    for [x, y] in [[1.0, 3.0], [0.0, 0.0], [-2.0, 4.5]] {
        let (v, g) = booth_grad(&[x, y]);
        assert!((v - booth(&[x, y])).abs() < 1e-12);
        let (u, w) = (x + 2.0 * y - 7.0, 2.0 * x + y - 5.0);
        assert!((g.param[0] - (2.0 * u + 4.0 * w)).abs() < 1e-12);
        assert!((g.param[1] - (4.0 * u + 2.0 * w)).abs() < 1e-12);
    }
}
