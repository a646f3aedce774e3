// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/optimisation.rs (inside `mod styblinski_tang { .. }`) once it passes.
//
// Domain: optimisation test functions
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Oracle: closed form ½(4x³ − 32x + 5) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0369]: cannot multiply `&T` by `T`
//   --> tests/corpus_pending/styblinski_tang.rs:26:48

use num_traits::{Float, FromPrimitive};
use std::iter::Sum;
use tapeless::differentiate;

/// Styblinski–Tang function.
#[differentiate]
pub fn styblinski_tang<T>(param: &[T]) -> T
where
    T: Float + FromPrimitive + Sum,
{
    let n05 = T::from_f64(0.5).unwrap();
    let n16 = T::from_f64(16.0).unwrap();
    let n5 = T::from_f64(5.0).unwrap();
    n05 * param.iter().map(|x| x.powi(4) - n16 * x.powi(2) + n5 * *x).sum()
}

#[test]
fn styblinski_tang_gradient() {
    for x in [vec![-2.9, 1.0], vec![0.3, -0.4, 2.2], vec![0.0, 5.0]] {
        let (v, g) = styblinski_tang_grad(&x);
        assert!((v - styblinski_tang(&x)).abs() < 1e-12);
        for k in 0..x.len() {
            let e = 0.5 * (4.0 * x[k].powi(3) - 32.0 * x[k] + 5.0);
            assert!((g.param[k] - e).abs() < 1e-10, "{:?}", g.param);
        }
    }
}
