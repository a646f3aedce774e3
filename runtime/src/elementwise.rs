//! Elementwise functions of scalars and matrices, and their adjoints.
//!
//! A function applied to every element (`tanh`, `sigmoid`, `relu`, the closure of
//! `m.map(|v| ..)`) has the same rule for a scalar and for each entry of a matrix:
//! x̄ᵢ += g(xᵢ or yᵢ, ȳᵢ). [`Elementwise`] applies such a function to a value and
//! [`ElementwiseAdjoint`] accumulates such a contribution into an adjoint, so one helper
//! serves `f32`, `f64` and (with the `nalgebra` feature) every `nalgebra` matrix.
//! [`elementwise_tangent`] builds the forward-mode counterpart, ẏᵢ = g(xᵢ or yᵢ, ẋᵢ),
//! through the same trait (a scalar map is its own transpose, so `g` is the same).

use crate::{Accumulate, Real};

/// A value whose elements a function can be applied to: `f32`, `f64`, arrays of floats,
/// references to them and (feature `nalgebra`) matrices of any storage, whose result is
/// owned.
pub trait Elementwise {
    /// The element type (`f64` for `DMatrix<f64>`).
    type Elem: Real;
    /// The result of mapping every element (`OMatrix<T, R, C>` for a matrix).
    type Output;
    /// `f` applied to every element.
    fn map_elements<F: FnMut(Self::Elem) -> Self::Elem>(&self, f: F) -> Self::Output;
}

/// An adjoint that receives an elementwise contribution computed from the elements of a
/// primal value `X` of the same shape (an argument or the output) and of the output's
/// adjoint (of the same type as `self`):
/// `selfᵢ += f(xᵢ, ȳᵢ)` for every element `i`.
///
/// Implemented for `f32`, `f64` (with `X` the same scalar), arrays of floats and (feature
/// `nalgebra`) for matrices with `X` a matrix of the same dimensions and any storage (a
/// shape mismatch of dynamic dimensions panics).
pub trait ElementwiseAdjoint<X: ?Sized = Self>: Accumulate {
    /// The element type.
    type Elem: Real;
    /// `selfᵢ += f(xᵢ, d_yᵢ)` for every element `i`.
    fn accumulate_elementwise<F>(&mut self, x: &X, d_y: &Self, f: F)
    where
        F: FnMut(Self::Elem, Self::Elem) -> Self::Elem;

    /// `f(xᵢ, d_yᵢ)` for every element `i`, a new value shaped like `d_y`: the first
    /// contribution to an adjoint (written once, where a zero would be made and added
    /// into), and an elementwise tangent. Matrices allocate it without zeroing it first.
    #[inline(always)]
    fn map_elementwise<F>(x: &X, d_y: &Self, f: F) -> Self
    where
        Self: Clone,
        F: FnMut(Self::Elem, Self::Elem) -> Self::Elem,
    {
        let mut out = d_y.clone();
        out.set_zero();
        out.accumulate_elementwise(x, d_y, f);
        out
    }
}

/// The tangent `outᵢ = f(xᵢ, tᵢ)` for every element `i`, shaped like `t` (an elementwise
/// rule's forward helper: `x` is the value its VJP reads, `t` the argument's tangent).
///
/// [`ElementwiseAdjoint::map_elementwise`]: for scalars `f(x, t)`; a matrix is written
/// once.
#[inline(always)]
pub fn elementwise_tangent<G, X, F>(x: &X, t: &G, f: F) -> G
where
    G: ElementwiseAdjoint<X> + Clone,
    X: ?Sized,
    F: FnMut(G::Elem, G::Elem) -> G::Elem,
{
    G::map_elementwise(x, t, f)
}

macro_rules! scalar_elementwise {
    ($($t:ty),*) => {$(
        impl Elementwise for $t {
            type Elem = $t;
            type Output = $t;
            #[inline(always)]
            fn map_elements<F: FnMut($t) -> $t>(&self, mut f: F) -> $t {
                f(*self)
            }
        }

        impl ElementwiseAdjoint for $t {
            type Elem = $t;
            #[inline(always)]
            fn accumulate_elementwise<F>(&mut self, x: &$t, d_y: &$t, mut f: F)
            where
                F: FnMut($t, $t) -> $t,
            {
                *self += f(*x, *d_y);
            }
        }
    )*};
}

scalar_elementwise!(f32, f64);

/// An array of floats (`[x, y].map(|v| v.tanh())`), elementwise.
impl<T: Real, const N: usize> Elementwise for [T; N] {
    type Elem = T;
    type Output = [T; N];
    #[inline(always)]
    fn map_elements<F: FnMut(T) -> T>(&self, f: F) -> [T; N] {
        self.map(f)
    }
}

impl<T: Real, const N: usize> ElementwiseAdjoint for [T; N]
where
    [T; N]: Accumulate,
{
    type Elem = T;
    #[inline(always)]
    fn accumulate_elementwise<F>(&mut self, x: &[T; N], d_y: &[T; N], mut f: F)
    where
        F: FnMut(T, T) -> T,
    {
        for ((a, &x), &d) in self.iter_mut().zip(x).zip(d_y) {
            *a += f(x, d);
        }
    }
}

impl<X: Elementwise + ?Sized> Elementwise for &X {
    type Elem = X::Elem;
    type Output = X::Output;
    #[inline(always)]
    fn map_elements<F: FnMut(X::Elem) -> X::Elem>(&self, f: F) -> X::Output {
        (**self).map_elements(f)
    }
}

#[cfg(feature = "nalgebra")]
mod linalg {
    use nalgebra::allocator::Allocator;
    use nalgebra::{DefaultAllocator, Dim, Matrix, OMatrix, RawStorage};

    use super::{Elementwise, ElementwiseAdjoint};
    use crate::Real;

    impl<T: Real, R: Dim, C: Dim, S: RawStorage<T, R, C>> Elementwise for Matrix<T, R, C, S>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        type Elem = T;
        type Output = OMatrix<T, R, C>;
        #[inline(always)]
        fn map_elements<F: FnMut(T) -> T>(&self, f: F) -> OMatrix<T, R, C> {
            self.map(f)
        }
    }

    /// Adjoints of matrices are owned (`OMatrix`).
    impl<T, R, C, SX> ElementwiseAdjoint<Matrix<T, R, C, SX>> for OMatrix<T, R, C>
    where
        T: Real,
        R: Dim,
        C: Dim,
        SX: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        type Elem = T;
        #[inline(always)]
        fn accumulate_elementwise<F>(&mut self, x: &Matrix<T, R, C, SX>, d_y: &Self, f: F)
        where
            F: FnMut(T, T) -> T,
        {
            crate::matrix::accumulate_entries(self, x, d_y, f);
        }

        #[inline(always)]
        fn map_elementwise<F>(x: &Matrix<T, R, C, SX>, d_y: &Self, f: F) -> Self
        where
            F: FnMut(T, T) -> T,
        {
            crate::matrix::fresh_entries(x, d_y, f)
        }
    }
}
