//! Finite-difference gradient checking, for tests of generated gradients and for users who
//! want to verify a gradient (their own custom rules, for instance).
//!
//! ```
//! use tapeless_runtime::check::{check_gradient, Tolerance};
//!
//! let f = |x: &[f64]| x[0] * x[0] * x[1];
//! let x = [1.5, -2.0];
//! let analytic = [2.0 * x[0] * x[1], x[0] * x[0]];
//! check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
//! ```

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::{Parameters, Real};

/// Step of the difference quotient, relative to `max(1, |xᵢ|)`: ε^(1/5) balances the
/// O(h⁴) truncation error of the five-point stencil against round-off ε/h.
const RELATIVE_STEP: f64 = 7.4e-4;

/// The gradient of `f` at `x` by the five-point central difference
/// f′(x) ≈ (f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)) / 12h, one coordinate at a time.
///
/// Its error is O(h⁴) for smooth `f`: about 1e-11 relative for well-scaled functions,
/// which is why tests can ask for 1e-6 agreement. Near a kink (`abs`, `max`) or a pole
/// it is meaningless; check such points by their closed form instead.
pub fn central_difference<F>(f: F, x: &[f64]) -> Vec<f64>
where
    F: FnMut(&[f64]) -> f64,
{
    differences(f, x, RELATIVE_STEP)
}

/// The five-point stencil of [`central_difference`] with steps `relative_step · max(1, |xᵢ|)`.
fn differences<F>(mut f: F, x: &[f64], relative_step: f64) -> Vec<f64>
where
    F: FnMut(&[f64]) -> f64,
{
    let mut point = x.to_vec();
    (0..x.len())
        .map(|i| {
            let h = relative_step * x[i].abs().max(1.0);
            let mut at = |offset: f64| {
                point[i] = x[i] + offset;
                let value = f(&point);
                point[i] = x[i];
                value
            };
            let (m2, m1, p1, p2) = (at(-2.0 * h), at(-h), at(h), at(2.0 * h));
            (m2 - 8.0 * m1 + 8.0 * p1 - p2) / (12.0 * h)
        })
        .collect()
}

/// How close an analytic gradient must be to the numerical one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Largest accepted `|analytic − numeric| / max(1, |analytic|, |numeric|)`.
    pub relative: f64,
}

impl Default for Tolerance {
    /// 1e-6: far above the checker's own error on smooth, well-scaled functions.
    fn default() -> Self {
        Tolerance { relative: 1e-6 }
    }
}

/// The first coordinate where an analytic gradient disagrees with finite differences.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientMismatch {
    /// Index of the coordinate.
    pub index: usize,
    /// The gradient under test.
    pub analytic: f64,
    /// The finite-difference estimate.
    pub numeric: f64,
    /// `|analytic − numeric| / max(1, |analytic|, |numeric|)`.
    pub error: f64,
}

impl fmt::Display for GradientMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradient mismatch at coordinate {}: analytic {:e}, finite differences {:e} (relative error {:e})",
            self.index, self.analytic, self.numeric, self.error
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for GradientMismatch {}

/// The error measure of [`Tolerance`]: relative for large values, absolute near zero.
pub fn relative_error(a: f64, b: f64) -> f64 {
    let scale = 1.0_f64.max(a.abs()).max(b.abs());
    (a - b).abs() / scale
}

/// Compares `analytic` with the finite-difference gradient of `f` at `x`.
///
/// Returns the worst mismatching coordinate if any exceeds `tolerance` (a NaN in either
/// gradient is always a mismatch).
///
/// # Panics
///
/// If `analytic.len() != x.len()`.
pub fn check_gradient<F>(
    f: F,
    x: &[f64],
    analytic: &[f64],
    tolerance: Tolerance,
) -> Result<(), GradientMismatch>
where
    F: FnMut(&[f64]) -> f64,
{
    assert_eq!(
        analytic.len(),
        x.len(),
        "the gradient has {} coordinates but the point has {}",
        analytic.len(),
        x.len()
    );
    let numeric = central_difference(f, x);
    worst_mismatch(analytic, &numeric, tolerance)
}

/// Compares the gradient `gradient` of `f` at `at` with finite differences, for parameters
/// of any float type: an `f32` or `f64`, an array, a `Vec`, a nalgebra matrix, a tuple, or a
/// struct that derives `tapeless::Differentiable` (flattened through [`Parameters`]).
///
/// The step suits `T`'s precision (ε^(1/5)): about 1e-11 relative error in `f64`, 1e-4 in
/// `f32`, so give `f32` a looser tolerance (`Tolerance { relative: 1e-3 }`).
///
/// ```
/// use tapeless_runtime::check::{check_parameters, Tolerance};
///
/// let f = |p: &[f32; 2]| p[0] * p[0] * p[1];
/// let p = [1.5_f32, -2.0];
/// let gradient = [2.0 * p[0] * p[1], p[0] * p[0]];
/// check_parameters(f, &p, &gradient, Tolerance { relative: 1e-3 }).unwrap();
/// ```
///
/// # Panics
///
/// If `gradient` has another number of scalars than `at`.
pub fn check_parameters<T, P, F>(
    mut f: F,
    at: &P,
    gradient: &P,
    tolerance: Tolerance,
) -> Result<(), GradientMismatch>
where
    T: Real,
    P: Parameters<T> + Clone,
    F: FnMut(&P) -> T,
{
    let n = at.len();
    assert_eq!(
        gradient.len(),
        n,
        "the gradient has {} scalars but the parameters have {n}",
        gradient.len()
    );
    let (mut x, mut analytic) = (vec![0.0; n], vec![0.0; n]);
    at.write_to(&mut x);
    gradient.write_to(&mut analytic);
    let relative_step =
        num_traits::Float::powf(<T as num_traits::Float>::epsilon(), T::constant(0.2));
    let relative_step = num_traits::ToPrimitive::to_f64(&relative_step).unwrap_or(RELATIVE_STEP);
    let mut point = at.clone();
    let numeric = differences(
        |xs| {
            point.read_from(xs);
            num_traits::ToPrimitive::to_f64(&f(&point)).unwrap_or(f64::NAN)
        },
        &x,
        relative_step,
    );
    worst_mismatch(&analytic, &numeric, tolerance)
}

/// The worst coordinate beyond `tolerance`, if any (NaN always is).
fn worst_mismatch(
    analytic: &[f64],
    numeric: &[f64],
    tolerance: Tolerance,
) -> Result<(), GradientMismatch> {
    let worst = analytic
        .iter()
        .zip(numeric)
        .enumerate()
        .map(|(index, (&analytic, &numeric))| GradientMismatch {
            index,
            analytic,
            numeric,
            error: relative_error(analytic, numeric),
        })
        .filter(|m| m.error.is_nan() || m.error > tolerance.relative)
        .max_by(|a, b| a.error.total_cmp(&b.error));
    match worst {
        Some(mismatch) => Err(mismatch),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_difference_of_a_cubic_is_exact_to_rounding() {
        // d/dx x³ = 3x², and the five-point stencil is exact for polynomials of degree ≤ 4.
        let g = central_difference(|x| x[0].powi(3), &[2.0]);
        assert!((g[0] - 12.0).abs() < 1e-9, "{g:?}");
    }

    #[test]
    fn a_wrong_gradient_is_reported_with_its_coordinate() {
        let f = |x: &[f64]| x[0].sin() + x[1] * x[1];
        let x = [0.3, 2.0];
        let wrong = [0.3_f64.cos(), 3.0];
        let err = check_gradient(f, &x, &wrong, Tolerance::default()).unwrap_err();
        assert_eq!(err.index, 1);
        assert!((err.numeric - 4.0).abs() < 1e-8);
    }

    #[test]
    fn nan_is_never_accepted() {
        let err = check_gradient(|x| x[0], &[1.0], &[f64::NAN], Tolerance::default());
        assert!(err.is_err());
    }
}
