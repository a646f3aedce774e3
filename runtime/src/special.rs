//! Special functions that `f32`/`f64` lack as methods, for `f32`, `f64` and any
//! [`Real`] type, computed by `libm` (in `f64`, rounded to the type). Called as
//! `special::erf(x)` (or `tapeless::special::erf(x)`) in a differentiated function; their
//! derivative rules are in [`scalar`](crate::scalar) (`erf_vjp`, `erf_jvp`, `sinc_vjp`, ...).
//!
//! ```
//! use tapeless_runtime::special;
//!
//! assert_eq!(special::erf(0.0_f64), 0.0);
//! assert!((special::erfc(1.0_f32) - 0.157_299_2).abs() < 1e-6);
//! assert_eq!(special::sinc(0.0_f64), 1.0);
//! ```

use crate::Real;

/// `f` of `x`, computed in `f64` (for `f32` and `f64`; see [`Real::special_erf`]).
#[inline(always)]
pub(crate) fn in_f64<T: Real>(x: T, f: fn(f64) -> f64) -> T {
    T::constant(f(x.to_f64().unwrap_or(f64::NAN)))
}

/// The error function erf x = 2/√π ∫₀ˣ e^(−t²) dt.
#[inline(always)]
pub fn erf<T: Real>(x: T) -> T {
    x.special_erf()
}

/// The complementary error function erfc x = 1 − erf x (accurate where erf x is near 1).
#[inline(always)]
pub fn erfc<T: Real>(x: T) -> T {
    x.special_erfc()
}

/// The unnormalised sinc function sinc x = sin x / x, and sinc 0 = 1 (its limit).
#[inline(always)]
pub fn sinc<T: Real>(x: T) -> T {
    x.special_sinc()
}

pub(crate) fn sinc_f64(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        libm::sin(x) / x
    }
}

/// sinc′ x = (x cos x − sin x)/x², and sinc′ 0 = 0: the derivative of [`sinc`], which its
/// rule reads.
#[inline(always)]
pub fn sinc_derivative<T: Real>(x: T) -> T {
    x.special_sinc_derivative()
}

/// Near 0 the two terms of the quotient cancel, so for |x| < ½ it is the Taylor series
/// Σₖ (−1)ᵏ 2k x²ᵏ⁻¹/(2k + 1)! to eight terms (the ninth is below 10⁻¹⁷ of the sum).
pub(crate) fn sinc_derivative_f64(x: f64) -> f64 {
    if libm::fabs(x) < 0.5 {
        // t = (−1)ᵏ x²ᵏ⁻¹/(2k + 1)!, from k = 1.
        let (mut sum, mut t) = (0.0, -x / 6.0);
        for k in 1..=8 {
            let k = f64::from(k);
            sum += 2.0 * k * t;
            t *= -x * x / ((2.0 * k + 2.0) * (2.0 * k + 3.0));
        }
        sum
    } else {
        (x * libm::cos(x) - libm::sin(x)) / (x * x)
    }
}

/// sinc″ x = −sinc x − 2 sinc′ x / x (from x·sinc x = sin x), and −1/3 at 0, in `T`'s own
/// arithmetic, so that a dual number's `sinc_derivative` carries its derivative to any
/// order. For |x| < ½ the Taylor series Σₖ (−1)ᵏ 2k(2k − 1) x²ᵏ⁻²/(2k + 1)!, k ≥ 1, to
/// nine terms.
pub(crate) fn sinc_second<T: Real>(x: T) -> T {
    if x.abs() < T::constant(0.5) {
        // t = (−1)ᵏ x²ᵏ⁻²/(2k + 1)!, from k = 1.
        let (mut sum, mut t) = (T::zero(), T::constant(-1.0 / 6.0));
        for k in 1..=9 {
            let k = T::constant(f64::from(k));
            let two = T::two();
            sum += two * k * (two * k - T::one()) * t;
            t *= -(x * x) / ((two * k + two) * (two * k + T::constant(3.0)));
        }
        sum
    } else {
        -x.special_sinc() - T::two() * x.special_sinc_derivative() / x
    }
}
