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

/// ln |Γ(x)|, the log-gamma function (`libm::lgamma`): finite for x > 0 where Γ itself
/// overflows (x > 171), as likelihoods of the Gamma, Beta, Student-t and negative binomial
/// distributions need it.
#[inline(always)]
pub fn ln_gamma<T: Real>(x: T) -> T {
    x.special_ln_gamma()
}

/// Γ(x), the gamma function (`libm::tgamma`).
#[inline(always)]
pub fn gamma<T: Real>(x: T) -> T {
    x.special_gamma()
}

/// ψ(x) = Γ′(x)/Γ(x), the digamma function: the derivative of [`ln_gamma`]. Computed in
/// `T`'s own arithmetic (so a dual number carries its derivative, [`trigamma`], to any
/// order): the recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the asymptotic series
/// ln x − 1/(2x) − Σ B₂ₖ/(2k·x²ᵏ) to x⁻¹²; for x < ½ the reflection
/// ψ(x) = ψ(1 − x) − π/tan(πx). About 1e-15 relative to the terms, away from the poles at
/// 0, −1, −2, ...
pub fn digamma<T: Real>(x: T) -> T {
    if x < T::constant(0.5) {
        let pi = T::PI();
        return digamma(T::one() - x) - pi / (pi * x).tan();
    }
    let (mut x, mut shift) = (x, T::zero());
    while x < T::constant(10.0) {
        shift -= x.recip();
        x += T::one();
    }
    let r = (x * x).recip();
    // B₂ₖ/(2k) for k = 1..6: 1/12, −1/120, 1/252, −1/240, 1/132, −691/32760.
    let series = r
        * (T::constant(1.0 / 12.0)
            - r * (T::constant(1.0 / 120.0)
                - r * (T::constant(1.0 / 252.0)
                    - r * (T::constant(1.0 / 240.0)
                        - r * (T::constant(1.0 / 132.0) - r * T::constant(691.0 / 32760.0))))));
    shift + x.ln() - T::constant(0.5) / x - series
}

/// ψ′(x), the trigamma function: the derivative of [`digamma`], in `T`'s own arithmetic.
/// The recurrence ψ′(x) = ψ′(x + 1) + 1/x² up to x ≥ 10, then ψ′(x) ~ 1/x + 1/(2x²) +
/// Σ B₂ₖ/x²ᵏ⁺¹ to x⁻¹³; for x < ½ the reflection ψ′(x) = π²/sin²(πx) − ψ′(1 − x).
pub fn trigamma<T: Real>(x: T) -> T {
    if x < T::constant(0.5) {
        let pi = T::PI();
        let s = (pi * x).sin();
        return pi * pi / (s * s) - trigamma(T::one() - x);
    }
    let (mut x, mut shift) = (x, T::zero());
    while x < T::constant(10.0) {
        shift += (x * x).recip();
        x += T::one();
    }
    let r = (x * x).recip();
    // B₂ₖ for k = 1..6: 1/6, −1/30, 1/42, −1/30, 5/66, −691/2730.
    let series = r
        * (T::constant(1.0 / 6.0)
            - r * (T::constant(1.0 / 30.0)
                - r * (T::constant(1.0 / 42.0)
                    - r * (T::constant(1.0 / 30.0)
                        - r * (T::constant(5.0 / 66.0) - r * T::constant(691.0 / 2730.0))))));
    shift + x.recip() + T::constant(0.5) * r + series / x
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
