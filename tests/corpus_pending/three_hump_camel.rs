// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod three_hump_camel { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Also uses (may block next; not verified, hidden behind the first error): generic numeric code (T: Float)
// Oracle: closed form at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/three_hump_camel.rs:23:9

use num_traits::{Float, FromPrimitive};
use tapeless::differentiate;

/// Three-hump camel function on [x1, x2].
#[differentiate]
pub fn three_hump_camel<T>(param: &[T; 2]) -> T
where
    T: Float + FromPrimitive,
{
    let [x1, x2] = *param;
    T::from_f64(2.0).unwrap() * x1.powi(2) - T::from_f64(1.05).unwrap() * x1.powi(4)
        + x1.powi(6) / T::from_f64(6.0).unwrap()
        + x1 * x2
        + x2.powi(2)
}

#[test]
fn three_hump_camel_gradient() {
    for [x, y] in [[1.0, -0.5], [-1.7, 0.8], [0.2, 2.0]] {
        let (v, g) = three_hump_camel_grad(&[x, y]);
        assert!((v - three_hump_camel(&[x, y])).abs() < 1e-12);
        let dx = 4.0 * x - 4.2 * x.powi(3) + x.powi(5) + y;
        assert!((g.param[0] - dx).abs() < 1e-10 && (g.param[1] - (x + 2.0 * y)).abs() < 1e-10);
    }
}
