// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod griewank { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Also uses (may block next; not verified, hidden behind the first error): iterator chain: product()
// Oracle: central differences at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0308]: mismatched types
//   --> tests/corpus_pending/griewank.rs:20:1

use num_traits::{Float, FromPrimitive};
use std::iter::{Product, Sum};
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Griewank function.
#[differentiate]
pub fn griewank<T>(param: &[T]) -> T
where
    T: Float + FromPrimitive + Sum + Product,
{
    T::one() + param.iter().map(|x| x.powi(2)).sum::<T>() / T::from_f64(4000.0).unwrap()
        - param
            .iter()
            .enumerate()
            .map(|(i, &x)| (x / T::from_usize(i + 1).unwrap().sqrt()).cos())
            .product::<T>()
}

#[test]
fn griewank_gradient() {
    for x in [vec![1.0, -2.0], vec![10.0, 3.0, -5.0], vec![0.3, 0.4, 0.5, 0.6]] {
        let (v, g) = griewank_grad(&x);
        assert!((v - griewank(&x)).abs() < 1e-12);
        check_gradient(|x: &[f64]| griewank(x), &x, &g.param, Tolerance::default()).unwrap();
    }
}
