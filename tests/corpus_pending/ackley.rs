// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod ackley { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Also uses (may block next; not verified, hidden behind the first error): call of a generic differentiated function
// Oracle: central differences at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0369]: cannot divide `&T` by `&T`
//   --> tests/corpus_pending/ackley.rs:27:23

use num_traits::{Float, FloatConst, FromPrimitive};
use std::iter::Sum;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Ackley function with parameters a, b, c.
#[differentiate(wrt(param))]
pub fn ackley_abc<T>(param: &[T], a: T, b: T, c: T) -> T
where
    T: Float + FromPrimitive + Sum,
{
    let num1 = T::from_f64(1.0).unwrap();
    let n = T::from_usize(param.len()).unwrap();
    -a * (-b * ((num1 / n) * param.iter().map(|x| x.powi(2)).sum()).sqrt()).exp()
        - ((num1 / n) * param.iter().map(|x| (c * *x).cos()).sum()).exp()
        + a
        + num1.exp()
}

/// Ackley with the usual a = 20, b = 0.2, c = 2π.
#[differentiate]
pub fn ackley<T>(param: &[T]) -> T
where
    T: Float + FromPrimitive + Sum + FloatConst,
{
    ackley_abc(
        param,
        T::from_f64(20.0).unwrap(),
        T::from_f64(0.2).unwrap(),
        T::from_f64(2.0).unwrap() * T::PI(),
    )
}

#[test]
fn ackley_gradient() {
    for x in [vec![0.5, -0.3], vec![1.5, 2.0, -0.7], vec![-3.0, 0.2]] {
        let (v, g) = ackley_grad(&x);
        assert!((v - ackley(&x)).abs() < 1e-12);
        check_gradient(|x: &[f64]| ackley(x), &x, &g.param, Tolerance::default()).unwrap();
    }
}
