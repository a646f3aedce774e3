use core::cmp::Ordering;
use core::fmt::{Debug, Display};
use core::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use num_traits::{Float, FloatConst, NumCast};

/// A floating-point scalar that tapeless differentiates: `f32` or `f64`.
///
/// The math comes from [`num_traits::Float`] (backed by `libm` without `std`), so the
/// rules work on `no_std` targets.
pub trait Real:
    Float
    + FloatConst
    + NumCast
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + 'static
{
    /// The constant 2 (used by several rules).
    #[inline(always)]
    fn two() -> Self {
        Self::one() + Self::one()
    }

    /// Converts an `f64` constant into this type (exact for `f64`, rounded for `f32`).
    #[inline(always)]
    fn constant(value: f64) -> Self {
        <Self as NumCast>::from(value).unwrap_or_else(Self::nan)
    }

    /// The IEEE 754 total order of the values (`f64::total_cmp`), which
    /// `num_traits::Float` lacks: the generic copy of a `hessian` function that calls
    /// `x.total_cmp(&y)` (or whose `max_by` does) calls this one.
    fn total_cmp(&self, other: &Self) -> Ordering;

    /// `x.round_ties_even()`, which `num_traits::Float` lacks: the generic copy of a
    /// `hessian` function that calls `f64::round_ties_even` calls this one (a dual number
    /// rounds its value; the derivative is 0).
    fn round_ties_even(self) -> Self;

    /// erf x ([`special::erf`](crate::special::erf)): `libm`'s, in `f64`, for `f32` and
    /// `f64`. A dual number carries its derivative (the Hessian's copy of a function runs
    /// over dual numbers, and a value computed in `f64` would drop its tangent).
    #[doc(hidden)]
    #[inline(always)]
    fn special_erf(self) -> Self {
        crate::special::in_f64(self, libm::erf)
    }

    /// erfc x ([`special::erfc`](crate::special::erfc)); see [`Real::special_erf`].
    #[doc(hidden)]
    #[inline(always)]
    fn special_erfc(self) -> Self {
        crate::special::in_f64(self, libm::erfc)
    }

    /// sinc x ([`special::sinc`](crate::special::sinc)); see [`Real::special_erf`].
    #[doc(hidden)]
    #[inline(always)]
    fn special_sinc(self) -> Self {
        crate::special::in_f64(self, crate::special::sinc_f64)
    }

    /// ln |Γ(x)| ([`special::ln_gamma`](crate::special::ln_gamma)); see
    /// [`Real::special_erf`].
    #[doc(hidden)]
    #[inline(always)]
    fn special_ln_gamma(self) -> Self {
        crate::special::in_f64(self, libm::lgamma)
    }

    /// Γ(x) ([`special::gamma`](crate::special::gamma)); see [`Real::special_erf`].
    #[doc(hidden)]
    #[inline(always)]
    fn special_gamma(self) -> Self {
        crate::special::in_f64(self, libm::tgamma)
    }

    /// sinc′ x ([`special::sinc_derivative`](crate::special::sinc_derivative)); see
    /// [`Real::special_erf`].
    #[doc(hidden)]
    #[inline(always)]
    fn special_sinc_derivative(self) -> Self {
        crate::special::in_f64(self, crate::special::sinc_derivative_f64)
    }

    /// `Rotation3::new(ω)` ([`rotation::from_scaled_axis`](crate::rotation::from_scaled_axis)):
    /// nalgebra's for `f32` and `f64`. A dual number carries its tangent (nalgebra's takes an
    /// identity branch at ω = 0, where the tangent would be lost).
    #[cfg(feature = "nalgebra")]
    #[doc(hidden)]
    #[inline(always)]
    fn rotation_from_scaled_axis(axisangle: nalgebra::Vector3<Self>) -> nalgebra::Rotation3<Self> {
        crate::rotation::rodrigues_rotation(axisangle)
    }
}

impl Real for f32 {
    #[inline(always)]
    fn total_cmp(&self, other: &Self) -> Ordering {
        f32::total_cmp(self, other)
    }

    #[cfg(feature = "nalgebra")]
    #[inline(always)]
    fn rotation_from_scaled_axis(axisangle: nalgebra::Vector3<Self>) -> nalgebra::Rotation3<Self> {
        nalgebra::Rotation3::new(axisangle)
    }

    #[inline(always)]
    fn round_ties_even(self) -> Self {
        // `rint` rounds to the nearest integer, ties to even (`f32::round_ties_even` is not in
        // `core`).
        libm::rintf(self)
    }
}

impl Real for f64 {
    #[inline(always)]
    fn total_cmp(&self, other: &Self) -> Ordering {
        f64::total_cmp(self, other)
    }

    #[cfg(feature = "nalgebra")]
    #[inline(always)]
    fn rotation_from_scaled_axis(axisangle: nalgebra::Vector3<Self>) -> nalgebra::Rotation3<Self> {
        nalgebra::Rotation3::new(axisangle)
    }

    #[inline(always)]
    fn round_ties_even(self) -> Self {
        libm::rint(self)
    }
}
