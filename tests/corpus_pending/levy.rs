// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod levy { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Also uses (may block next; not verified, hidden behind the first error): closure: let-bound, called inside another closure or passed to nalgebra; sub-slice (&x[a..b], &x[i+1..])
// Oracle: central differences at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0308]: mismatched types
//   --> tests/corpus_pending/levy.rs:20:1

use num_traits::{Float, FloatConst, FromPrimitive};
use std::iter::Sum;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Lévy function.
#[differentiate]
pub fn levy<T>(param: &[T]) -> T
where
    T: Float + FromPrimitive + Sum + FloatConst,
{
    let plen = param.len();
    let n1 = T::from_f64(1.0).unwrap();
    let n2 = T::from_f64(2.0).unwrap();
    let n4 = T::from_f64(4.0).unwrap();
    let n10 = T::from_f64(10.0).unwrap();
    let pi = T::PI();
    let w = |x: T| n1 + (x - n1) / n4;
    let w1 = w(param[0]);
    let wd = w(param[plen - 1]);
    (pi * w1).sin().powi(2)
        + param[1..plen - 1]
            .iter()
            .map(|&x| {
                let wi = w(x);
                (wi - n1).powi(2) * (n1 + n10 * (pi * wi + n1).sin().powi(2))
            })
            .sum()
        + (wd - n1).powi(2) * (n1 + (n2 * pi * wd).sin().powi(2))
}

#[test]
fn levy_gradient() {
    for x in [vec![0.5, -1.0, 2.0], vec![1.5, 0.3, -0.4, 3.0], vec![-2.0, 0.7, 1.1]] {
        let (v, g) = levy_grad(&x);
        assert!((v - levy(&x)).abs() < 1e-12);
        check_gradient(|x: &[f64]| levy(x), &x, &g.param, Tolerance::default()).unwrap();
    }
}
