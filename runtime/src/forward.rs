//! What forward mode (`f_jvp`) needs beyond the forward helpers, which sit beside the VJP
//! helpers of each rule: the tangents a differentiated caller hands to a called function
//! (one per argument, by position), and the fallback ⟨∇f, ṫ⟩ for the functions that forward
//! mode does not handle yet.

use crate::{NotDifferentiated, Real};

/// The tangent of a caller's argument that depends on its differentiated parameters.
#[derive(Debug, Clone, Copy)]
pub struct Tangent<G>(pub G);

/// The argument does not depend on the caller's differentiated parameters: its tangent is
/// zero.
#[derive(Debug, Clone, Copy)]
pub struct NoTangent;

/// An argument's tangent, converted to the tangent `G` of the called function's parameter.
#[diagnostic::on_unimplemented(
    message = "a tangent of type `{Self}` cannot flow into a parameter whose tangent is `{G}`",
    label = "the tangent of this argument",
    note = "`NotDifferentiated` means the called function leaves this parameter out of its `#[differentiate(wrt(..))]`: add it there, since the argument depends on a differentiated parameter"
)]
pub trait ArgumentTangent<G> {
    /// The tangent, or `zero()` when there is none.
    fn tangent(self, zero: impl FnOnce() -> G) -> G;
}

impl<G> ArgumentTangent<G> for Tangent<G> {
    #[inline(always)]
    fn tangent(self, _: impl FnOnce() -> G) -> G {
        self.0
    }
}

impl<G> ArgumentTangent<G> for NoTangent {
    #[inline(always)]
    fn tangent(self, zero: impl FnOnce() -> G) -> G {
        zero()
    }
}

/// An array passed to a slice parameter (`f(&a)` for `fn f(x: &[f64])`).
#[cfg(feature = "alloc")]
impl<T, const N: usize> ArgumentTangent<alloc::vec::Vec<T>> for Tangent<[T; N]> {
    #[inline(always)]
    fn tangent(self, _: impl FnOnce() -> alloc::vec::Vec<T>) -> alloc::vec::Vec<T> {
        self.0.into()
    }
}

// A parameter left out by `wrt` takes no tangent: `Tangent<G>` has no conversion to it.
const _: fn() = || {
    fn accepts<A: ArgumentTangent<NotDifferentiated>>() {}
    accepts::<NoTangent>();
};

/// ⟨gradient, tangent⟩ over every scalar of a parameter (a float, array, `Vec`, matrix,
/// tuple or parameter struct), in the result's float type: the directional derivative that
/// `f_jvp` computes from `f_vjp`'s gradient where forward mode does not handle the function.
#[inline]
pub fn tangent_dot<G: TangentDot<R>, R: Real>(gradient: &G, tangent: &G) -> R {
    gradient.tangent_dot(tangent)
}

/// ⟨self, other⟩ over every scalar, each product converted to `R`: a parameter struct may
/// hold floats of several types (`struct Mix { t: f64, s: f32 }`), which no one
/// [`Parameters<T>`](crate::Parameters) covers. `#[derive(Differentiable)]` implements it.
pub trait TangentDot<R: Real> {
    /// Σ selfᵢ·otherᵢ in `R`.
    fn tangent_dot(&self, other: &Self) -> R;
}

macro_rules! scalar_tangent_dot {
    ($t:ty) => {
        impl<R: Real> TangentDot<R> for $t {
            #[inline(always)]
            fn tangent_dot(&self, other: &$t) -> R {
                R::from(*self * *other).unwrap_or_else(R::nan)
            }
        }
    };
}
scalar_tangent_dot!(f32);
scalar_tangent_dot!(f64);

impl<T: Real> TangentDot<crate::Dual<T>> for crate::Dual<T> {
    #[inline(always)]
    fn tangent_dot(&self, other: &Self) -> crate::Dual<T> {
        *self * *other
    }
}

impl<R: Real, P: TangentDot<R>, const N: usize> TangentDot<R> for [P; N] {
    fn tangent_dot(&self, other: &Self) -> R {
        self.iter()
            .zip(other)
            .fold(R::zero(), |sum, (a, b)| sum + a.tangent_dot(b))
    }
}

#[cfg(feature = "alloc")]
impl<R: Real, P: TangentDot<R>> TangentDot<R> for alloc::vec::Vec<P> {
    fn tangent_dot(&self, other: &Self) -> R {
        self.iter()
            .zip(other)
            .fold(R::zero(), |sum, (a, b)| sum + a.tangent_dot(b))
    }
}

#[cfg(feature = "nalgebra")]
impl<R, T, Rows, C, S> TangentDot<R> for nalgebra::Matrix<T, Rows, C, S>
where
    R: Real,
    T: nalgebra::Scalar + TangentDot<R>,
    Rows: nalgebra::Dim,
    C: nalgebra::Dim,
    S: nalgebra::RawStorage<T, Rows, C>,
{
    fn tangent_dot(&self, other: &Self) -> R {
        self.iter()
            .zip(other.iter())
            .fold(R::zero(), |sum, (a, b)| sum + a.tangent_dot(b))
    }
}

/// The gradient of data (`usize`, `bool`): no scalars.
impl<R: Real> TangentDot<R> for () {
    fn tangent_dot(&self, _: &Self) -> R {
        R::zero()
    }
}

macro_rules! tuple_tangent_dot {
    ($($name:ident $index:tt),+) => {
        impl<R: Real, $($name: TangentDot<R>),+> TangentDot<R> for ($($name,)+) {
            fn tangent_dot(&self, other: &Self) -> R {
                R::zero() $(+ self.$index.tangent_dot(&other.$index))+
            }
        }
    };
}
tuple_tangent_dot!(A 0);
tuple_tangent_dot!(A 0, B 1);
tuple_tangent_dot!(A 0, B 1, C 2);
tuple_tangent_dot!(A 0, B 1, C 2, D 3);
tuple_tangent_dot!(A 0, B 1, C 2, D 3, E 4);
tuple_tangent_dot!(A 0, B 1, C 2, D 3, E 4, G 5);

/// Calling `f_jvp` of a function whose forward mode is not supported yet and whose output
/// is not a scalar: a compile error at the call, and only there.
#[diagnostic::on_unimplemented(
    message = "tapeless: forward mode (`f_jvp`) does not support this function yet",
    label = "its body uses a construct that forward mode does not handle, and its output is not a scalar",
    note = "the documentation of this `f_jvp` names the construct; use `f_vjp` (reverse mode) meanwhile"
)]
pub trait ForwardMode {}

/// See [`ForwardMode`] (which it does not implement).
#[derive(Debug)]
pub struct ForwardModeUnsupported<'a>(core::marker::PhantomData<&'a ()>);

/// What a differentiated caller passes to a nested `g_grad`'s VJP, JVP or pullback. Only
/// `#[differentiate(hessian)]` functions have those; the others have stubs taking this
/// trait, which no type implements, so that the call is reported with its reason.
#[diagnostic::on_unimplemented(
    message = "a gradient inside a differentiated function needs its function marked `#[differentiate(hessian)]`",
    label = "a nested gradient (of type `{G}`) of a function without `hessian`",
    note = "differentiating through `g_grad(..)` takes the Hessian of `g`: write `#[differentiate(hessian)]` on `g` (its result must be one float)"
)]
pub trait NestedGradientNeedsHessian<G> {
    /// Never called: no type implements the trait.
    fn unreachable<R>(self) -> R;
}
