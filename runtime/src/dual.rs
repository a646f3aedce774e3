//! A dual number `value + tangent·ε` (ε² = 0): forward mode as a scalar type.
//!
//! `#[differentiate(hessian)]` runs a generic copy of a function's reverse sweep with its
//! float type set to [`Dual<f64>`] (forward over reverse): the tangents of the gradient
//! are then the Hessian times the tangents of the inputs. Every method's tangent comes from
//! the first-order rules of [`scalar`](crate::scalar) (their JVP helpers, written once
//! with the VJP helpers); the operators' tangents are the operators themselves
//! (ẏ = ȧ·b + a·ḃ), as the [`scalar`](crate::scalar) module documents. Comparisons and
//! the piecewise-constant methods (`floor`, `signum`, ...) read the value only, so a
//! branch takes the path the value takes.
//!
//! `Dual<T>` is a [`Real`], so it also satisfies every bound the generated code of a
//! generic function puts on its float type: the rule traits of `*` and `/`
//! ([`MulVjpLhs`](crate::ops::MulVjpLhs), ..., implemented for every `T: Real`),
//! [`Accumulate`], [`Differentiable`], [`FixedZero`], [`ElementwiseAdjoint`] and
//! [`Operand`]; with the `nalgebra` feature it is nalgebra's `RealField` too.

use core::cmp::Ordering;
use core::fmt;
use core::iter::{Product, Sum};
use core::num::FpCategory;
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use num_traits::{Float, FloatConst, Num, NumCast, One, ToPrimitive, Zero};

use crate::elementwise::{Elementwise, ElementwiseAdjoint};
use crate::ops::Operand;
use crate::scalar as s;
use crate::{Accumulate, Differentiable, FixedZero, Real};

/// `value + tangent·ε`: a value and its directional derivative.
#[derive(Debug, Clone, Copy, Default)]
pub struct Dual<T> {
    /// The value.
    pub value: T,
    /// Its derivative along the direction being followed.
    pub tangent: T,
}

impl<T: Real> Dual<T> {
    /// `value + tangent·ε`.
    #[inline(always)]
    pub fn new(value: T, tangent: T) -> Self {
        Dual { value, tangent }
    }

    /// A constant: tangent zero.
    #[inline(always)]
    pub fn constant(value: T) -> Self {
        Dual {
            value,
            tangent: T::zero(),
        }
    }

    /// `f(self)` with tangent `jvp(x, y, ẋ)` (a rule's JVP helper).
    #[inline(always)]
    fn unary(self, f: impl Fn(T) -> T, jvp: impl Fn(&T, &T, &T) -> T) -> Self {
        let y = f(self.value);
        Dual::new(y, jvp(&self.value, &y, &self.tangent))
    }

    /// `f(self, other)` with tangent `jvp(a, b, y, ȧ, ḃ)`.
    #[inline(always)]
    fn binary(
        self,
        other: Self,
        f: impl Fn(T, T) -> T,
        jvp: impl Fn(&T, &T, &T, &T, &T) -> T,
    ) -> Self {
        let y = f(self.value, other.value);
        Dual::new(
            y,
            jvp(&self.value, &other.value, &y, &self.tangent, &other.tangent),
        )
    }

    /// A piecewise-constant function of the value: tangent zero.
    #[inline(always)]
    fn flat(self, f: impl Fn(T) -> T) -> Self {
        Dual::constant(f(self.value))
    }
}

impl<T: fmt::Display> fmt::Display for Dual<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} + {}ε", self.value, self.tangent)
    }
}

/// Equality of values (the tangents say how they move, not what they are).
impl<T: PartialEq> PartialEq for Dual<T> {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// The order of values: a branch on `a < b` takes the path the values take.
impl<T: PartialOrd> PartialOrd for Dual<T> {
    #[inline(always)]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

// ---- arithmetic: ẏ = ȧ ± ḃ, ȧ·b + a·ḃ, (ȧ − y·ḃ)/b ----

impl<T: Real> Add for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        Dual::new(self.value + b.value, self.tangent + b.tangent)
    }
}

impl<T: Real> Sub for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        Dual::new(self.value - b.value, self.tangent - b.tangent)
    }
}

impl<T: Real> Mul for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        Dual::new(
            self.value * b.value,
            self.tangent * b.value + self.value * b.tangent,
        )
    }
}

impl<T: Real> Div for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        let y = self.value / b.value;
        // The two VJP rules of `/` with the tangents as seeds: ȧ/b − ḃ·y/b.
        Dual::new(y, self.tangent / b.value - b.tangent / b.value * y)
    }
}

impl<T: Real> Rem for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn rem(self, b: Self) -> Self {
        self.binary(
            b,
            |a, b| a % b,
            |a, b, _, ta, tb| s::rem_jvp_lhs(ta) + s::rem_jvp_rhs(a, b, tb),
        )
    }
}

impl<T: Real> Neg for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Dual::new(-self.value, -self.tangent)
    }
}

macro_rules! assign_ops {
    ($($trait:ident $method:ident $op:tt),*) => {$(
        impl<T: Real> $trait for Dual<T> {
            #[inline(always)]
            fn $method(&mut self, b: Self) {
                *self = *self $op b;
            }
        }
    )*};
}
assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *, DivAssign div_assign /, RemAssign rem_assign %);

impl<T: Real> Sum for Dual<T> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::zero(), |a, b| a + b)
    }
}

impl<'a, T: Real> Sum<&'a Dual<T>> for Dual<T> {
    fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.fold(Self::zero(), |a, b| a + *b)
    }
}

impl<T: Real> Product for Dual<T> {
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::one(), |a, b| a * b)
    }
}

impl<'a, T: Real> Product<&'a Dual<T>> for Dual<T> {
    fn product<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.fold(Self::one(), |a, b| a * *b)
    }
}

// ---- num-traits ----

impl<T: Real> Zero for Dual<T> {
    #[inline(always)]
    fn zero() -> Self {
        Dual::constant(T::zero())
    }
    #[inline(always)]
    fn is_zero(&self) -> bool {
        self.value.is_zero()
    }
}

impl<T: Real> One for Dual<T> {
    #[inline(always)]
    fn one() -> Self {
        Dual::constant(T::one())
    }
}

impl<T: Real> Num for Dual<T> {
    type FromStrRadixErr = T::FromStrRadixErr;
    fn from_str_radix(text: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        T::from_str_radix(text, radix).map(Dual::constant)
    }
}

/// Conversions read the value (a conversion to an integer or a float of another type
/// drops the tangent).
impl<T: Real> ToPrimitive for Dual<T> {
    fn to_i64(&self) -> Option<i64> {
        self.value.to_i64()
    }
    fn to_u64(&self) -> Option<u64> {
        self.value.to_u64()
    }
    fn to_f32(&self) -> Option<f32> {
        self.value.to_f32()
    }
    fn to_f64(&self) -> Option<f64> {
        self.value.to_f64()
    }
}

/// A conversion from a number is a constant.
impl<T: Real> num_traits::FromPrimitive for Dual<T> {
    fn from_i64(n: i64) -> Option<Self> {
        <T as NumCast>::from(n).map(Dual::constant)
    }
    fn from_u64(n: u64) -> Option<Self> {
        <T as NumCast>::from(n).map(Dual::constant)
    }
    fn from_f64(n: f64) -> Option<Self> {
        <T as NumCast>::from(n).map(Dual::constant)
    }
}

/// A conversion from a number is a constant.
impl<T: Real> NumCast for Dual<T> {
    fn from<N: ToPrimitive>(n: N) -> Option<Self> {
        <T as NumCast>::from(n).map(Dual::constant)
    }
}

macro_rules! constants {
    ($($name:ident),*) => {$(
        #[inline(always)]
        fn $name() -> Self {
            Dual::constant(T::$name())
        }
    )*};
}

impl<T: Real> FloatConst for Dual<T> {
    constants!(
        E,
        FRAC_1_PI,
        FRAC_1_SQRT_2,
        FRAC_2_PI,
        FRAC_2_SQRT_PI,
        FRAC_PI_2,
        FRAC_PI_3,
        FRAC_PI_4,
        FRAC_PI_6,
        FRAC_PI_8,
        LN_10,
        LN_2,
        LOG10_E,
        LOG2_E,
        PI,
        SQRT_2,
        TAU,
        LOG10_2,
        LOG2_10
    );
}

/// Tangents of the methods with a rule in [`scalar`](crate::scalar): its JVP helper.
/// Each names the value its helper reads: `x` (the argument), `y` (the result) or none.
macro_rules! unary_rules {
    (@jvp $jvp:ident x) => { |x, _, t| s::$jvp(x, t) };
    (@jvp $jvp:ident y) => { |_, y, t| s::$jvp(y, t) };
    (@jvp $jvp:ident) => { |_, _, t| s::$jvp(t) };
    ($($method:ident $jvp:ident [$($read:ident)?]),*) => {$(
        #[inline(always)]
        fn $method(self) -> Self {
            self.unary(T::$method, unary_rules!(@jvp $jvp $($read)?))
        }
    )*};
}

/// Piecewise-constant methods: tangent zero.
macro_rules! flat_methods {
    ($($method:ident),*) => {$(
        #[inline(always)]
        fn $method(self) -> Self {
            self.flat(T::$method)
        }
    )*};
}

/// Questions about the value.
macro_rules! value_tests {
    ($($method:ident),*) => {$(
        #[inline(always)]
        fn $method(self) -> bool {
            self.value.$method()
        }
    )*};
}

impl<T: Real> Float for Dual<T> {
    constants!(
        nan,
        infinity,
        neg_infinity,
        neg_zero,
        min_value,
        min_positive_value,
        max_value,
        epsilon
    );
    value_tests!(
        is_nan,
        is_infinite,
        is_finite,
        is_normal,
        is_sign_positive,
        is_sign_negative
    );
    flat_methods!(floor, ceil, round, trunc, signum);
    unary_rules!(
        sin sin_jvp [x], cos cos_jvp [x], tan tan_jvp [y], asin asin_jvp [x],
        acos acos_jvp [x], atan atan_jvp [x], sinh sinh_jvp [x], cosh cosh_jvp [x],
        tanh tanh_jvp_scalar [y], asinh asinh_jvp [x], acosh acosh_jvp [x], atanh atanh_jvp [x],
        exp exp_jvp [y], exp2 exp2_jvp [y], exp_m1 exp_m1_jvp [y], ln ln_jvp [x],
        ln_1p ln_1p_jvp [x], log10 log10_jvp [x], log2 log2_jvp [x], sqrt sqrt_jvp [y],
        cbrt cbrt_jvp [y], recip recip_jvp [y], abs abs_jvp [x], fract fract_jvp [],
        to_degrees to_degrees_jvp [], to_radians to_radians_jvp []
    );

    fn classify(self) -> FpCategory {
        self.value.classify()
    }
    fn integer_decode(self) -> (u64, i16, i8) {
        self.value.integer_decode()
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        let y = self.value.mul_add(a.value, b.value);
        let tangent = s::mul_add_jvp_self(&a.value, &self.tangent)
            + s::mul_add_jvp_a(&self.value, &a.tangent)
            + s::mul_add_jvp_b(&b.tangent);
        Dual::new(y, tangent)
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        let y = self.value.powi(n);
        Dual::new(y, s::powi_jvp(&self.value, &n, &self.tangent))
    }
    #[inline(always)]
    fn powf(self, n: Self) -> Self {
        self.binary(n, T::powf, |x, n, y, tx, tn| {
            s::powf_jvp_self(x, n, tx) + s::powf_jvp_n(x, y, tn)
        })
    }
    #[inline(always)]
    fn log(self, base: Self) -> Self {
        self.binary(base, T::log, |x, b, y, tx, tb| {
            s::log_jvp_self(x, b, tx) + s::log_jvp_base(b, y, tb)
        })
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        self.binary(other, T::max, |a, b, _, ta, tb| {
            s::max_jvp_self(a, b, ta) + s::max_jvp_other(a, b, tb)
        })
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        self.binary(other, T::min, |a, b, _, ta, tb| {
            s::min_jvp_self(a, b, ta) + s::min_jvp_other(a, b, tb)
        })
    }
    #[inline(always)]
    fn clamp(self, lo: Self, hi: Self) -> Self {
        let y = self.value.clamp(lo.value, hi.value);
        let (x, l, h) = (&self.value, &lo.value, &hi.value);
        let tangent = s::clamp_jvp_self(x, l, h, &self.tangent)
            + s::clamp_jvp_min(x, l, h, &lo.tangent)
            + s::clamp_jvp_max(x, l, h, &hi.tangent);
        Dual::new(y, tangent)
    }
    /// max(a − b, 0), written through the rules of `-` and `max`.
    #[inline(always)]
    fn abs_sub(self, other: Self) -> Self {
        (self - other).max(Self::zero())
    }
    #[inline(always)]
    fn hypot(self, other: Self) -> Self {
        self.binary(other, T::hypot, |a, b, y, ta, tb| {
            s::hypot_jvp_self(a, y, ta) + s::hypot_jvp_other(b, y, tb)
        })
    }
    #[inline(always)]
    fn atan2(self, other: Self) -> Self {
        self.binary(other, T::atan2, |a, b, _, ta, tb| {
            s::atan2_jvp_self(a, b, ta) + s::atan2_jvp_other(a, b, tb)
        })
    }
    #[inline(always)]
    fn sin_cos(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
    /// |self| with the sign of `sign`: ±self, so the tangent is ±ẋ.
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        let y = self.value.copysign(sign.value);
        let flip = (y < T::zero()) != (self.value < T::zero());
        Dual::new(y, if flip { -self.tangent } else { self.tangent })
    }
}

/// Ordered by value, as `partial_cmp` is: a branch takes the path the values take.
impl<T: Real> Real for Dual<T> {
    #[inline(always)]
    fn total_cmp(&self, other: &Self) -> Ordering {
        self.value.total_cmp(&other.value)
    }

    #[inline(always)]
    fn round_ties_even(self) -> Self {
        Dual::new(self.value.round_ties_even(), T::zero())
    }

    // The special functions with their derivatives (computed in `f64`, the value alone
    // would drop the tangent: a Hessian through `special::erf` would miss its curvature).

    /// The value's rotation, with the JVP as its tangent.
    #[cfg(feature = "nalgebra")]
    #[inline(always)]
    fn rotation_from_scaled_axis(axisangle: nalgebra::Vector3<Self>) -> nalgebra::Rotation3<Self> {
        crate::rotation::dual_rotation(axisangle)
    }

    /// erf′ x = 2/√π·e^(−x²).
    #[inline(always)]
    fn special_erf(self) -> Self {
        let slope = T::FRAC_2_SQRT_PI() * (-(self.value * self.value)).exp();
        Dual::new(self.value.special_erf(), self.tangent * slope)
    }

    /// erfc′ x = −2/√π·e^(−x²).
    #[inline(always)]
    fn special_erfc(self) -> Self {
        let slope = T::FRAC_2_SQRT_PI() * (-(self.value * self.value)).exp();
        Dual::new(self.value.special_erfc(), -(self.tangent * slope))
    }

    #[inline(always)]
    fn special_sinc(self) -> Self {
        let slope = self.value.special_sinc_derivative();
        Dual::new(self.value.special_sinc(), self.tangent * slope)
    }

    /// (ln |Γ|)′ = ψ, in `T`'s own arithmetic.
    #[inline(always)]
    fn special_ln_gamma(self) -> Self {
        let slope = crate::special::digamma(self.value);
        Dual::new(self.value.special_ln_gamma(), self.tangent * slope)
    }

    /// Γ′ = Γ·ψ.
    #[inline(always)]
    fn special_gamma(self) -> Self {
        let y = self.value.special_gamma();
        Dual::new(y, self.tangent * y * crate::special::digamma(self.value))
    }

    #[inline(always)]
    fn special_sinc_derivative(self) -> Self {
        let slope = crate::special::sinc_second(self.value);
        Dual::new(self.value.special_sinc_derivative(), self.tangent * slope)
    }
}

/// `num_traits::Signed` (a bound of nalgebra's `RealField`), through the `Float` methods.
impl<T: Real> num_traits::Signed for Dual<T> {
    #[inline(always)]
    fn abs(&self) -> Self {
        Float::abs(*self)
    }
    #[inline(always)]
    fn abs_sub(&self, other: &Self) -> Self {
        Float::max(*self - *other, Self::zero())
    }
    #[inline(always)]
    fn signum(&self) -> Self {
        Float::signum(*self)
    }
    #[inline(always)]
    fn is_positive(&self) -> bool {
        self.value > T::zero()
    }
    #[inline(always)]
    fn is_negative(&self) -> bool {
        self.value < T::zero()
    }
}

/// A dual number is a scalar parameter (the float type of a generic `hessian` function's
/// own `f_hvp`, for Hessians of functions that contain a nested gradient).
impl<T: Real> crate::Parameters<Dual<T>> for Dual<T> {
    #[inline(always)]
    fn add_scaled(&mut self, alpha: Dual<T>, other: &Dual<T>) {
        *self += alpha * *other;
    }
    #[inline(always)]
    fn zip_scalars<F: FnMut(&mut Dual<T>, Dual<T>)>(&mut self, other: &Dual<T>, f: &mut F) {
        f(self, *other);
    }
    #[inline(always)]
    fn map_scalars<F: FnMut(&mut Dual<T>)>(&mut self, f: &mut F) {
        f(self);
    }
    #[inline(always)]
    fn for_each_scalar<F: FnMut(Dual<T>)>(&self, f: &mut F) {
        f(*self);
    }
}

/// `x as usize` of a dual number: the value's cast (an integer carries no tangent).
impl<T: Real + num_traits::AsPrimitive<I>, I: Copy + 'static> num_traits::AsPrimitive<I>
    for Dual<T>
{
    #[inline(always)]
    fn as_(self) -> I {
        self.value.as_()
    }
}

// ---- what generated code needs of a float type ----

impl<T: Real> FixedZero for Dual<T> {
    #[inline(always)]
    fn fixed_zero() -> Self {
        Dual::new(-T::zero(), -T::zero())
    }
}

impl<T: Real> Differentiable for Dual<T> {
    type Grad = Self;
    #[inline(always)]
    fn zeros_like(&self) -> Self {
        Self::zero()
    }
    #[inline(always)]
    fn zero_adjoint(&self) -> Self {
        Self::fixed_zero()
    }
}

impl<T: Real> Accumulate for Dual<T> {
    #[inline(always)]
    fn accumulate(&mut self, other: &Self) {
        *self += *other;
    }
    #[inline(always)]
    fn subtract(&mut self, other: &Self) {
        *self -= *other;
    }
    #[inline(always)]
    fn set_zero(&mut self) {
        *self = Self::fixed_zero();
    }
}

impl<'a, T: Real> Operand<'a> for Dual<T> {
    type Out = Self;
    #[inline(always)]
    fn by_operand(&'a self) -> Self {
        *self
    }
}

impl<T: Real> Elementwise for Dual<T> {
    type Elem = Self;
    type Output = Self;
    #[inline(always)]
    fn map_elements<F: FnMut(Self) -> Self>(&self, mut f: F) -> Self {
        f(*self)
    }
}

impl<T: Real> ElementwiseAdjoint for Dual<T> {
    type Elem = Self;
    #[inline(always)]
    fn accumulate_elementwise<F>(&mut self, x: &Self, d_y: &Self, mut f: F)
    where
        F: FnMut(Self, Self) -> Self,
    {
        *self += f(*x, *d_y);
    }
}

// ---- moving values in and out of dual numbers ----

/// A value whose floats become dual numbers: `f64` → `Dual<f64>`, arrays elementwise,
/// `[f64]` and `Vec<f64>` → `Vec<Dual<f64>>` (and, feature `nalgebra`, matrices).
/// The tangent has the type of the value's gradient (`Vec<f64>` for `[f64]`).
pub trait Lift {
    /// The value with dual numbers.
    type Lifted;
    /// The type of a tangent (the gradient's type).
    type Tangent;
    /// Each float with the tangent at the same place.
    fn lift(&self, tangent: &Self::Tangent) -> Self::Lifted;
    /// Each float as a constant (tangent zero).
    fn lift_constant(&self) -> Self::Lifted;
}

/// The inverse of [`Lift`]: a value of dual numbers split into its values and tangents.
pub trait Split {
    /// The type with plain floats.
    type Plain;
    /// `(values, tangents)`.
    fn split(self) -> (Self::Plain, Self::Plain);
}

impl<T: Real> Lift for T {
    type Lifted = Dual<T>;
    type Tangent = T;
    #[inline(always)]
    fn lift(&self, tangent: &T) -> Dual<T> {
        Dual::new(*self, *tangent)
    }
    #[inline(always)]
    fn lift_constant(&self) -> Dual<T> {
        Dual::constant(*self)
    }
}

impl<T: Real> Split for Dual<T> {
    type Plain = T;
    #[inline(always)]
    fn split(self) -> (T, T) {
        (self.value, self.tangent)
    }
}

impl<L: Lift, const N: usize> Lift for [L; N] {
    type Lifted = [L::Lifted; N];
    type Tangent = [L::Tangent; N];
    #[inline(always)]
    fn lift(&self, tangent: &Self::Tangent) -> Self::Lifted {
        core::array::from_fn(|i| self[i].lift(&tangent[i]))
    }
    #[inline(always)]
    fn lift_constant(&self) -> Self::Lifted {
        core::array::from_fn(|i| self[i].lift_constant())
    }
}

impl<S: Split + Copy, const N: usize> Split for [S; N] {
    type Plain = [S::Plain; N];
    #[inline(always)]
    fn split(self) -> (Self::Plain, Self::Plain) {
        (
            core::array::from_fn(|i| self[i].split().0),
            core::array::from_fn(|i| self[i].split().1),
        )
    }
}

#[cfg(feature = "alloc")]
mod heap {
    use super::{Lift, Split};
    use alloc::vec::Vec;

    impl<L: Lift> Lift for [L] {
        type Lifted = Vec<L::Lifted>;
        type Tangent = Vec<L::Tangent>;
        fn lift(&self, tangent: &Self::Tangent) -> Self::Lifted {
            assert_eq!(
                self.len(),
                tangent.len(),
                "the direction's length is not the parameter's"
            );
            self.iter().zip(tangent).map(|(x, t)| x.lift(t)).collect()
        }
        fn lift_constant(&self) -> Self::Lifted {
            self.iter().map(Lift::lift_constant).collect()
        }
    }

    impl<L: Lift> Lift for Vec<L> {
        type Lifted = Vec<L::Lifted>;
        type Tangent = Vec<L::Tangent>;
        fn lift(&self, tangent: &Self::Tangent) -> Self::Lifted {
            self.as_slice().lift(tangent)
        }
        fn lift_constant(&self) -> Self::Lifted {
            self.as_slice().lift_constant()
        }
    }

    impl<S: Split> Split for Vec<S> {
        type Plain = Vec<S::Plain>;
        fn split(self) -> (Self::Plain, Self::Plain) {
            self.into_iter().map(Split::split).unzip()
        }
    }
}

/// `(values, tangents)` of a gradient of dual numbers, as [`split`] gives them, written
/// into the buffers of `gradient` and of `lifted` (the argument the gradient is of, no
/// longer needed): `Vec`'s in-place `collect` reuses an allocation whose element is at
/// least as large, so nothing is allocated. Their capacity is twice their length.
#[cfg(feature = "alloc")]
pub fn split_reusing<T: Real>(
    gradient: alloc::vec::Vec<Dual<T>>,
    lifted: alloc::vec::Vec<Dual<T>>,
) -> (alloc::vec::Vec<T>, alloc::vec::Vec<T>) {
    let tangents = lifted
        .into_iter()
        .zip(&gradient)
        .map(|(_, g)| g.tangent)
        .collect();
    let values = gradient.into_iter().map(|g| g.value).collect();
    (values, tangents)
}

/// `x` lifted with tangent `t` (see [`Lift`]).
#[inline(always)]
pub fn lift<L: Lift + ?Sized>(x: &L, t: &L::Tangent) -> L::Lifted {
    x.lift(t)
}

/// A value read from a data struct (a parameter left out by `wrt(..)`) in the generic copy
/// of a `hessian` function: a float becomes a constant of the copy's float type `P`;
/// integers and booleans stay what they are.
pub trait DataField<P> {
    /// `P` for a float, `Self` otherwise.
    type Value;
    /// The value in the copy.
    fn data_value(self) -> Self::Value;
}

impl<P: Real> DataField<P> for f64 {
    type Value = P;
    #[inline(always)]
    fn data_value(self) -> P {
        P::constant(self)
    }
}

impl<P: Real> DataField<P> for f32 {
    type Value = P;
    #[inline(always)]
    fn data_value(self) -> P {
        P::constant(<f64 as From<f32>>::from(self))
    }
}

macro_rules! data_stays {
    ($($ty:ty),*) => {$(
        impl<P> DataField<P> for $ty {
            type Value = $ty;
            #[inline(always)]
            fn data_value(self) -> $ty {
                self
            }
        }
    )*};
}
data_stays!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, bool);

/// `x` lifted as a constant (see [`Lift`]).
#[inline(always)]
pub fn lift_constant<L: Lift + ?Sized>(x: &L) -> L::Lifted {
    x.lift_constant()
}

/// `(values, tangents)` of a value of dual numbers (see [`Split`]).
#[inline(always)]
pub fn split<S: Split>(x: S) -> (S::Plain, S::Plain) {
    x.split()
}

// ---- arithmetic with references, as `f64` has it (`v - m` of a `for v in xs`) ----

macro_rules! reference_ops {
    ($($trait:ident $method:ident $assign:ident $assign_method:ident),*) => {$(
        impl<'a, T: Real> $trait<&'a Dual<T>> for Dual<T> {
            type Output = Dual<T>;
            #[inline(always)]
            fn $method(self, b: &'a Dual<T>) -> Dual<T> {
                $trait::$method(self, *b)
            }
        }

        impl<'a, T: Real> $trait<Dual<T>> for &'a Dual<T> {
            type Output = Dual<T>;
            #[inline(always)]
            fn $method(self, b: Dual<T>) -> Dual<T> {
                $trait::$method(*self, b)
            }
        }

        impl<'a, 'b, T: Real> $trait<&'b Dual<T>> for &'a Dual<T> {
            type Output = Dual<T>;
            #[inline(always)]
            fn $method(self, b: &'b Dual<T>) -> Dual<T> {
                $trait::$method(*self, *b)
            }
        }

        impl<'a, T: Real> $assign<&'a Dual<T>> for Dual<T> {
            #[inline(always)]
            fn $assign_method(&mut self, b: &'a Dual<T>) {
                *self = $trait::$method(*self, *b);
            }
        }
    )*};
}
reference_ops!(
    Add add AddAssign add_assign,
    Sub sub SubAssign sub_assign,
    Mul mul MulAssign mul_assign,
    Div div DivAssign div_assign,
    Rem rem RemAssign rem_assign
);

impl<T: Real> Neg for &Dual<T> {
    type Output = Dual<T>;
    #[inline(always)]
    fn neg(self) -> Dual<T> {
        -*self
    }
}
