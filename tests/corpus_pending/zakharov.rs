// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod zakharov { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Oracle: closed form 2x_k + (2s₂ + 4s₂³)·k/2 at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0277]: cannot add `T` to `{float}`
//   --> tests/corpus_pending/zakharov.rs:18:1

use num_traits::{Float, FromPrimitive};
use std::iter::Sum;
use tapeless::differentiate;

/// Zakharov function.
#[differentiate]
pub fn zakharov<T>(param: &[T]) -> T
where
    T: Float + FromPrimitive + Sum,
{
    let n05 = T::from_f64(0.5).unwrap();
    let sum1: T = param.iter().map(|x| x.powi(2)).sum();
    let sum2: T = param
        .iter()
        .enumerate()
        .map(|(i, x)| n05 * T::from_usize(i + 1).unwrap() * *x)
        .sum();
    sum1 + sum2.powi(2) + sum2.powi(4)
}

#[test]
fn zakharov_gradient() {
    for x in [vec![0.5, -0.2, 0.1], vec![1.0, 1.0], vec![-0.3, 0.4, 0.2, -0.1]] {
        let (v, g) = zakharov_grad(&x);
        assert!((v - zakharov(&x)).abs() < 1e-12);
        let s2: f64 = x.iter().enumerate().map(|(i, x)| 0.5 * (i + 1) as f64 * x).sum();
        for k in 0..x.len() {
            let e = 2.0 * x[k] + (2.0 * s2 + 4.0 * s2.powi(3)) * 0.5 * (k + 1) as f64;
            assert!((g.param[k] - e).abs() < 1e-10, "{:?}", g.param);
        }
    }
}
