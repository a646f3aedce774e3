// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod sphere { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Oracle: closed form 2x at 3 points, f32 too; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0277]: cannot add `T` to `{float}`
//   --> tests/corpus_pending/sphere.rs:18:1

use num_traits::{Float, FromPrimitive};
use std::iter::Sum;
use tapeless::differentiate;

/// Sphere function Σ x², as optimisation test-function crates write it.
#[differentiate]
pub fn sphere<T>(param: &[T]) -> T
where
    T: Float + FromPrimitive + Sum,
{
    param.iter().map(|x| x.powi(2)).sum()
}

#[test]
fn sphere_gradient() {
    for x in [vec![1.0, -2.0, 0.5], vec![0.0, 0.0], vec![3.0, 0.1, -0.7, 2.2]] {
        let (v, g) = sphere_grad(&x);
        assert!((v - sphere(&x)).abs() < 1e-12);
        for k in 0..x.len() {
            assert!((g.param[k] - 2.0 * x[k]).abs() < 1e-12);
        }
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let (_, g32) = sphere_grad(&x32);
        assert!((g32.param[0] as f64 - 2.0 * x[0]).abs() < 1e-5);
    }
}
