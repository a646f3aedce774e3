//! `Dual<T>` as nalgebra's scalar (`RealField`), and matrices of dual numbers for `Lift` and
//! `Split`: the Hessian of a function of nalgebra values runs its reverse sweep over
//! matrices of dual numbers (forward over reverse, as for scalars).
//!
//! Every method delegates to the `num_traits::Float` implementation of `Dual`, whose
//! tangents come from the scalar rules' JVP helpers: no derivative is written here.

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, OMatrix};
use num_traits::Float;
use simba::scalar::{ComplexField, Field, RealField, SubsetOf};
use simba::simd::SimdValue;

use crate::dual::{DataField, Dual, Lift, Split};
use crate::Real;

impl<T: Real> SimdValue for Dual<T> {
    const LANES: usize = 1;
    type Element = Self;
    type SimdBool = bool;

    #[inline(always)]
    fn splat(val: Self) -> Self {
        val
    }
    #[inline(always)]
    fn extract(&self, _: usize) -> Self {
        *self
    }
    #[inline(always)]
    unsafe fn extract_unchecked(&self, _: usize) -> Self {
        *self
    }
    #[inline(always)]
    fn replace(&mut self, _: usize, val: Self) {
        *self = val;
    }
    #[inline(always)]
    unsafe fn replace_unchecked(&mut self, _: usize, val: Self) {
        *self = val;
    }
    #[inline(always)]
    fn select(self, cond: bool, other: Self) -> Self {
        if cond {
            self
        } else {
            other
        }
    }
}

impl<T: Real> Field for Dual<T> {}

impl<T: Real> SubsetOf<Dual<T>> for Dual<T> {
    #[inline(always)]
    fn to_superset(&self) -> Dual<T> {
        *self
    }
    #[inline(always)]
    fn from_superset_unchecked(element: &Dual<T>) -> Self {
        *element
    }
    #[inline(always)]
    fn is_in_subset(_: &Dual<T>) -> bool {
        true
    }
}

// A plain float is a constant dual number; a dual number is a float only without tangent.
macro_rules! float_subsets {
    ($($float:ty),*) => {$(
        impl<T: Real> SubsetOf<Dual<T>> for $float {
            #[inline(always)]
            fn to_superset(&self) -> Dual<T> {
                Dual::constant(T::constant(f64::from(*self)))
            }
            #[inline(always)]
            fn from_superset_unchecked(element: &Dual<T>) -> Self {
                element.value.to_f64().unwrap_or(f64::NAN) as $float
            }
            #[inline(always)]
            fn is_in_subset(element: &Dual<T>) -> bool {
                element.tangent == T::zero()
            }
        }
    )*};
}
float_subsets!(f32, f64);

impl<T: Real> AbsDiffEq for Dual<T> {
    type Epsilon = Self;
    #[inline(always)]
    fn default_epsilon() -> Self {
        Dual::constant(T::epsilon())
    }
    /// Compares values, as `==` does.
    #[inline(always)]
    fn abs_diff_eq(&self, other: &Self, epsilon: Self) -> bool {
        (self.value - other.value).abs() <= epsilon.value
    }
}

impl<T: Real> RelativeEq for Dual<T> {
    #[inline(always)]
    fn default_max_relative() -> Self {
        Dual::constant(T::epsilon())
    }
    #[inline(always)]
    fn relative_eq(&self, other: &Self, epsilon: Self, max_relative: Self) -> bool {
        let (a, b) = (self.value, other.value);
        let difference = (a - b).abs();
        difference <= epsilon.value || difference <= a.abs().max(b.abs()) * max_relative.value
    }
}

impl<T: Real> UlpsEq for Dual<T> {
    #[inline(always)]
    fn default_max_ulps() -> u32 {
        4
    }
    /// Within `epsilon` (dual numbers of any float type: no bit pattern to count ulps in).
    #[inline(always)]
    fn ulps_eq(&self, other: &Self, epsilon: Self, _: u32) -> bool {
        self.abs_diff_eq(other, epsilon)
    }
}

macro_rules! delegate {
    ($($name:ident),*) => {$(
        #[inline(always)]
        fn $name(self) -> Self {
            Float::$name(self)
        }
    )*};
}

impl<T: Real> ComplexField for Dual<T> {
    type RealField = Self;

    #[inline(always)]
    fn from_real(re: Self) -> Self {
        re
    }
    #[inline(always)]
    fn real(self) -> Self {
        self
    }
    #[inline(always)]
    fn imaginary(self) -> Self {
        Dual::constant(T::zero())
    }
    #[inline(always)]
    fn modulus(self) -> Self {
        Float::abs(self)
    }
    #[inline(always)]
    fn modulus_squared(self) -> Self {
        self * self
    }
    #[inline(always)]
    fn argument(self) -> Self {
        if self.value >= T::zero() {
            Dual::constant(T::zero())
        } else {
            Dual::constant(T::PI())
        }
    }
    #[inline(always)]
    fn norm1(self) -> Self {
        Float::abs(self)
    }
    #[inline(always)]
    fn scale(self, factor: Self) -> Self {
        self * factor
    }
    #[inline(always)]
    fn unscale(self, factor: Self) -> Self {
        self / factor
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        Float::mul_add(self, a, b)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Float::abs(self)
    }
    #[inline(always)]
    fn hypot(self, other: Self) -> Self {
        Float::hypot(self, other)
    }
    #[inline(always)]
    fn conjugate(self) -> Self {
        self
    }
    #[inline(always)]
    fn sin_cos(self) -> (Self, Self) {
        (Float::sin(self), Float::cos(self))
    }
    #[inline(always)]
    fn log(self, base: Self) -> Self {
        Float::log(self, base)
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        Float::powi(self, n)
    }
    #[inline(always)]
    fn powf(self, n: Self) -> Self {
        Float::powf(self, n)
    }
    #[inline(always)]
    fn powc(self, n: Self) -> Self {
        Float::powf(self, n)
    }
    #[inline(always)]
    fn is_finite(&self) -> bool {
        Float::is_finite(*self)
    }
    #[inline(always)]
    fn try_sqrt(self) -> Option<Self> {
        (self.value >= T::zero()).then(|| Float::sqrt(self))
    }
    delegate!(
        floor, ceil, round, trunc, fract, recip, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh,
        asinh, acosh, atanh, log2, log10, ln, ln_1p, sqrt, exp, exp2, exp_m1, cbrt
    );
}

macro_rules! constants {
    ($($name:ident = $value:expr),*) => {$(
        #[inline(always)]
        fn $name() -> Self {
            Dual::constant($value)
        }
    )*};
}

impl<T: Real> RealField for Dual<T> {
    #[inline(always)]
    fn is_sign_positive(&self) -> bool {
        Float::is_sign_positive(*self)
    }
    #[inline(always)]
    fn is_sign_negative(&self) -> bool {
        Float::is_sign_negative(*self)
    }
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        Float::copysign(self, sign)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        Float::max(self, other)
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        Float::min(self, other)
    }
    #[inline(always)]
    fn clamp(self, min: Self, max: Self) -> Self {
        Float::max(Float::min(self, max), min)
    }
    #[inline(always)]
    fn atan2(self, other: Self) -> Self {
        Float::atan2(self, other)
    }
    #[inline(always)]
    fn min_value() -> Option<Self> {
        Some(Dual::constant(T::min_value()))
    }
    #[inline(always)]
    fn max_value() -> Option<Self> {
        Some(Dual::constant(T::max_value()))
    }
    constants!(
        pi = T::PI(),
        two_pi = T::TAU(),
        frac_pi_2 = T::FRAC_PI_2(),
        frac_pi_3 = T::FRAC_PI_3(),
        frac_pi_4 = T::FRAC_PI_4(),
        frac_pi_6 = T::FRAC_PI_6(),
        frac_pi_8 = T::FRAC_PI_8(),
        frac_1_pi = T::FRAC_1_PI(),
        frac_2_pi = T::FRAC_2_PI(),
        frac_2_sqrt_pi = T::FRAC_2_SQRT_PI(),
        e = T::E(),
        log2_e = T::LOG2_E(),
        log10_e = T::LOG10_E(),
        ln_2 = T::LN_2(),
        ln_10 = T::LN_10()
    );
}

/// A matrix of floats as a matrix of dual numbers (the tangent: a matrix of the same shape).
impl<T: Real, R: Dim, C: Dim> Lift for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Lifted = OMatrix<Dual<T>, R, C>;
    type Tangent = OMatrix<T, R, C>;
    #[inline]
    fn lift(&self, tangent: &Self::Tangent) -> Self::Lifted {
        assert_eq!(
            self.shape(),
            tangent.shape(),
            "the direction's shape is not the parameter's"
        );
        self.zip_map(tangent, Dual::new)
    }
    #[inline]
    fn lift_constant(&self) -> Self::Lifted {
        self.map(Dual::constant)
    }
}

impl<T: Real, R: Dim, C: Dim> Split for OMatrix<Dual<T>, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Plain = OMatrix<T, R, C>;
    #[inline]
    fn split(self) -> (Self::Plain, Self::Plain) {
        (self.map(|d| d.value), self.map(|d| d.tangent))
    }
}

/// A matrix read by value from a data struct (`p.w * x[0]` with `p` left out by `wrt(..)`)
/// in the generic copy of a `hessian` function: its elements become constants of the
/// copy's float type, as a float field does.
macro_rules! matrix_data {
    ($($float:ty),*) => {$(
        impl<P: Real, R: Dim, C: Dim> DataField<P> for OMatrix<$float, R, C>
        where
            DefaultAllocator: Allocator<R, C>,
        {
            type Value = OMatrix<P, R, C>;
            #[inline]
            fn data_value(self) -> OMatrix<P, R, C> {
                self.map(|v| P::constant(f64::from(v)))
            }
        }
    )*};
}
matrix_data!(f32, f64);
