//! The shape of a value a loop carries, kept per iteration where it can change.
//!
//! A reverse iteration starts the adjoint of a carried value at zero, shaped like the value
//! at the start of that iteration. Where the reverse sweep restores the value, the zero is
//! made from it; otherwise from the next iteration's adjoint, which has the same shape for
//! every type whose shape is fixed by its type (floats, arrays, static matrices), but not
//! for a `Vec` or a dynamic matrix that the loop replaces by a shorter or longer one
//! (`v = v[1..].to_vec();`, `v = v.windows(2).map(..).collect();`). For those the forward
//! sweep keeps each iteration's length (8 bytes) or dimensions (16) on a [`ShapeStack`].
//!
//! Which one a value gets is chosen by the value's type, at the call site, by method
//! resolution (`(&&&ShapeOf(&v)).carried_shape()`), first match wins:
//!
//! 1. [`VecShape`] (a `Vec` of floats: its length), [`MatrixShape`] (a matrix with a dynamic
//!    dimension: its dimensions), [`FixedShape`] (a type whose shape its type fixes,
//!    [`FixedSize`]: floats, arrays of them, static matrices: nothing, [`SameShape`],
//!    zero-sized, no heap);
//! 2. [`KeptZero`] (with `alloc`, any other type, `Vec<[f64; 2]>`, `Vec<Vec<f64>>`: the
//!    iteration's zero adjoint itself, [`Zeroed`]);
//! 3. [`UnknownShape`] (without `alloc`: [`SameShape`]; no such type can change its shape
//!    without the heap).

use crate::Differentiable;
use core::marker::PhantomData;

/// A value whose shape the forward sweep keeps (see the module documentation).
pub struct ShapeOf<'a, T: ?Sized>(pub &'a T);

/// The shape of a value whose type fixes it: the next iteration's adjoint has it too.
#[derive(Debug, Clone, Copy, Default)]
pub struct SameShape;

/// A type whose shape its type fixes: the next iteration's adjoint has it too.
pub trait FixedSize {}

impl FixedSize for f32 {}
impl FixedSize for f64 {}
impl<T: crate::Real> FixedSize for crate::Dual<T> {}
impl<T: FixedSize, const N: usize> FixedSize for [T; N] {}
impl<A: FixedSize, B: FixedSize> FixedSize for (A, B) {}
impl<A: FixedSize, B: FixedSize, C: FixedSize> FixedSize for (A, B, C) {}

/// A [`FixedSize`] value: nothing to keep.
pub trait FixedShape {
    /// The shape: nothing.
    fn carried_shape(&self) -> SameShape;
}

impl<T: FixedSize> FixedShape for &&ShapeOf<'_, T> {
    #[inline(always)]
    fn carried_shape(&self) -> SameShape {
        SameShape
    }
}

/// Any other type, without `alloc` (the last resort): nothing to keep.
pub trait UnknownShape {
    /// The shape: nothing.
    #[inline(always)]
    fn carried_shape(&self) -> SameShape {
        SameShape
    }
}

impl<T: ?Sized> UnknownShape for ShapeOf<'_, T> {}

/// An iteration's zero adjoint, kept whole: the shape of a value of any other type.
#[derive(Debug, Clone)]
pub struct Zeroed<G>(pub G);

/// Any other type, with `alloc`: its zero adjoint is kept (`Vec<[f64; 2]>`,
/// `Vec<Vec<f64>>`, `Vec<DVector<f64>>`).
pub trait KeptZero<G> {
    /// The zero adjoint.
    fn carried_shape(&self) -> Zeroed<G>;
}

/// A zero adjoint of a kept shape.
pub trait ShapedZero<G> {
    /// The zero adjoint of this shape; `next` is the next iteration's adjoint.
    fn zero_adjoint(self, next: &G) -> G;
}

impl<G: Differentiable<Grad = G>> ShapedZero<G> for SameShape {
    #[inline(always)]
    fn zero_adjoint(self, next: &G) -> G {
        next.zero_adjoint()
    }
}

impl<G> ShapedZero<G> for Zeroed<G> {
    #[inline(always)]
    fn zero_adjoint(self, _: &G) -> G {
        self.0
    }
}

/// The adjoint of a carried value at the start of a reverse iteration, of the shape the
/// forward sweep kept.
#[inline(always)]
pub fn shaped_zero<G, S: ShapedZero<G>>(shape: S, next: &G) -> G {
    shape.zero_adjoint(next)
}

/// The shapes of one carried value, one per forward iteration.
pub struct ShapeStack<S> {
    #[cfg(feature = "alloc")]
    shapes: alloc::vec::Vec<S>,
    marker: PhantomData<S>,
}

impl<S> ShapeStack<S> {
    /// An empty stack (no allocation until a shape that is not zero-sized is pushed).
    #[inline(always)]
    pub fn new() -> Self {
        ShapeStack {
            #[cfg(feature = "alloc")]
            shapes: alloc::vec::Vec::new(),
            marker: PhantomData,
        }
    }
}

impl<S> Default for ShapeStack<S> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "alloc")]
impl<S> ShapeStack<S> {
    /// Keeps an iteration's shape.
    #[inline(always)]
    pub fn push(&mut self, shape: S) {
        self.shapes.push(shape);
    }

    /// The shape kept last.
    ///
    /// # Panics
    ///
    /// If nothing is kept (a broken invariant of the generated code).
    #[inline(always)]
    pub fn pop(&mut self) -> S {
        self.shapes
            .pop()
            .expect("tapeless: a carried value's shape was not kept")
    }
}

/// Without the heap only [`SameShape`] is kept, which is nothing.
#[cfg(not(feature = "alloc"))]
impl ShapeStack<SameShape> {
    /// Keeps an iteration's shape (nothing).
    #[inline(always)]
    pub fn push(&mut self, _: SameShape) {}

    /// The shape kept last.
    #[inline(always)]
    pub fn pop(&mut self) -> SameShape {
        SameShape
    }
}

/// The length of a `Vec` of floats.
#[derive(Debug, Clone, Copy)]
pub struct Len(pub usize);

/// A `Vec` of floats: its length is kept.
pub trait VecShape {
    /// The length.
    fn carried_shape(&self) -> Len;
}

/// The dimensions of a matrix with a dynamic one.
#[derive(Debug, Clone, Copy)]
pub struct Dims<R, C>(pub R, pub C);

/// A matrix with a dynamic dimension: its dimensions are kept.
pub trait MatrixShape<R, C> {
    /// The dimensions.
    fn carried_shape(&self) -> Dims<R, C>;
}

#[cfg(feature = "alloc")]
mod heap {
    use super::{KeptZero, Len, ShapeOf, ShapedZero, VecShape, Zeroed};
    use crate::{Differentiable, Real};
    use alloc::vec::Vec;

    impl<T: Differentiable + ?Sized> KeptZero<T::Grad> for &ShapeOf<'_, T> {
        #[inline(always)]
        fn carried_shape(&self) -> Zeroed<T::Grad> {
            Zeroed(self.0.zero_adjoint())
        }
    }

    impl<T: Real> VecShape for &&ShapeOf<'_, Vec<T>> {
        #[inline(always)]
        fn carried_shape(&self) -> Len {
            Len(self.0.len())
        }
    }

    impl<T: Real> ShapedZero<Vec<T>> for Len {
        #[inline(always)]
        fn zero_adjoint(self, _: &Vec<T>) -> Vec<T> {
            alloc::vec![-T::zero(); self.0]
        }
    }
}

#[cfg(feature = "nalgebra")]
mod linalg {
    use super::{Dims, FixedSize, MatrixShape, ShapeOf, ShapedZero};
    use crate::Real;
    use nalgebra::allocator::Allocator;
    use nalgebra::{ArrayStorage, Const, DefaultAllocator, Dim, Dyn, Matrix, OMatrix, RawStorage};

    impl<T: Real, const R: usize, const C: usize> FixedSize
        for Matrix<T, Const<R>, Const<C>, ArrayStorage<T, R, C>>
    {
    }

    impl<T: Real, const C: usize, S: RawStorage<T, Dyn, Const<C>>> MatrixShape<Dyn, Const<C>>
        for &&ShapeOf<'_, Matrix<T, Dyn, Const<C>, S>>
    {
        #[inline(always)]
        fn carried_shape(&self) -> Dims<Dyn, Const<C>> {
            let (r, c) = self.0.shape_generic();
            Dims(r, c)
        }
    }

    impl<T: Real, const R: usize, S: RawStorage<T, Const<R>, Dyn>> MatrixShape<Const<R>, Dyn>
        for &&ShapeOf<'_, Matrix<T, Const<R>, Dyn, S>>
    {
        #[inline(always)]
        fn carried_shape(&self) -> Dims<Const<R>, Dyn> {
            let (r, c) = self.0.shape_generic();
            Dims(r, c)
        }
    }

    impl<T: Real, S: RawStorage<T, Dyn, Dyn>> MatrixShape<Dyn, Dyn>
        for &&ShapeOf<'_, Matrix<T, Dyn, Dyn, S>>
    {
        #[inline(always)]
        fn carried_shape(&self) -> Dims<Dyn, Dyn> {
            let (r, c) = self.0.shape_generic();
            Dims(r, c)
        }
    }

    impl<T: Real, R: Dim, C: Dim> ShapedZero<OMatrix<T, R, C>> for Dims<R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn zero_adjoint(self, _: &OMatrix<T, R, C>) -> OMatrix<T, R, C> {
            OMatrix::from_element_generic(self.0, self.1, -T::zero())
        }
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::vec;

    // The two references are what the generated code writes: the method resolution that
    // chooses the shape starts there.
    #[allow(clippy::needless_borrow)]
    #[test]
    fn a_vec_keeps_its_length_and_anything_else_nothing() {
        let v = vec![1.0, 2.0, 3.0];
        let len = (&&&ShapeOf(&v)).carried_shape();
        assert_eq!(shaped_zero(len, &vec![5.0f64]), vec![-0.0; 3]);
        let a = [1.0, 2.0];
        let same: SameShape = (&&&ShapeOf(&a)).carried_shape();
        assert_eq!(shaped_zero(same, &[4.0, 5.0]), [-0.0, -0.0]);
        // Anything else keeps its zero adjoint: rows of different lengths.
        let nested = vec![vec![1.0], vec![2.0, 3.0]];
        let zeroed = (&&&ShapeOf(&nested)).carried_shape();
        assert_eq!(
            shaped_zero(zeroed, &vec![]),
            vec![vec![-0.0], vec![-0.0, -0.0]]
        );
        let pairs = vec![[1.0, 2.0]; 3];
        let zeroed = (&&&ShapeOf(&pairs)).carried_shape();
        assert_eq!(shaped_zero(zeroed, &vec![[0.0; 2]]).len(), 3);
    }
}
