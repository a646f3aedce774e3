// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod rastrigin { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Oracle: closed form 2x + 2πA sin 2πx at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0308]: mismatched types
//   --> tests/corpus_pending/rastrigin.rs:18:1

use num_traits::{Float, FloatConst, FromPrimitive};
use std::iter::Sum;
use tapeless::differentiate;

/// Rastrigin function with parameter a.
#[differentiate(wrt(param))]
pub fn rastrigin_a<T>(param: &[T], a: T) -> T
where
    T: Float + FromPrimitive + Sum + FloatConst,
{
    a * T::from_usize(param.len()).unwrap()
        + param
            .iter()
            .map(|&x| x.powi(2) - a * (T::from_f64(2.0).unwrap() * T::PI() * x).cos())
            .sum()
}

#[test]
fn rastrigin_gradient() {
    for x in [vec![0.3, -1.2], vec![2.5, 0.1, -0.4], vec![0.0, 1.0]] {
        let (v, g) = rastrigin_a_grad(&x, 10.0);
        assert!((v - rastrigin_a(&x, 10.0)).abs() < 1e-12);
        for k in 0..x.len() {
            let tau = 2.0 * std::f64::consts::PI;
            let e = 2.0 * x[k] + 10.0 * tau * (tau * x[k]).sin();
            assert!((g.param[k] - e).abs() < 1e-9, "{:?}", g.param);
        }
    }
}
