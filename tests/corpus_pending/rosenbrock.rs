// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod rosenbrock { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rejected with a clean message
// Class:  iterator chain: zip with an offset copy (skip(1))
// Also uses (may block next; not verified, hidden behind the first error): generic numeric code (T: Float); call of a generic differentiated function
// Next blocker, verified by rewriting the first locally (zip/skip → `(0..param.len() - 1).map(|i| ..)`): rejected: a range is not supported on values that depend on a differentiated parameter (the bound is `param.len() - 1`)
// Oracle: closed form at 3 points, f32 value; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: this iteration is not supported by #[differentiate]; the supported forms are ranges (`0..n`, `.rev()`, `.step_by(k)`) and slices or arrays: `xs`, `xs.iter()`, `.copied()`, `.enumerate()`, `.zip(ys.iter())`
//   --> tests/corpus_pending/rosenbrock.rs:27:14

use num_traits::{Float, FromPrimitive};
use std::iter::Sum;
use tapeless::differentiate;

/// Multidimensional Rosenbrock function with parameters a and b.
#[differentiate(wrt(param))]
pub fn rosenbrock_ab<T>(param: &[T], a: T, b: T) -> T
where
    T: Float + FromPrimitive + Sum,
{
    param
        .iter()
        .zip(param.iter().skip(1))
        .map(|(&xi, &xi1)| (a - xi).powi(2) + b * (xi1 - xi.powi(2)).powi(2))
        .sum()
}

/// Rosenbrock with the usual a = 1, b = 100.
#[differentiate]
pub fn rosenbrock<T>(param: &[T]) -> T
where
    T: Float + FromPrimitive + Sum,
{
    rosenbrock_ab(param, T::from_f64(1.0).unwrap(), T::from_f64(100.0).unwrap())
}

#[test]
fn rosenbrock_gradient() {
    for x in [vec![-1.2, 1.0], vec![0.5, 0.3, -0.7], vec![1.0, 1.0, 1.0, 1.0]] {
        let (v, g) = rosenbrock_grad(&x);
        assert!((v - rosenbrock(&x)).abs() < 1e-12);
        let n = x.len();
        for i in 0..n {
            let mut e = 0.0;
            if i + 1 < n {
                e += -2.0 * (1.0 - x[i]) - 400.0 * x[i] * (x[i + 1] - x[i] * x[i]);
            }
            if i > 0 {
                e += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
            }
            assert!((g.param[i] - e).abs() < 1e-10, "{:?}", g.param);
        }
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let (v32, _) = rosenbrock_grad(&x32);
        assert!((v32 as f64 - v).abs() < 1e-4 * (1.0 + v.abs()));
    }
}
