//! VJP rules for reading and writing elements of arrays, slices and vectors.
//!
//! A read `y = a[i]` has x̄[i] += ȳ. A write `a[i] = v` overwrites the element, so in the
//! reverse sweep the value written receives the element's adjoint, and the element's
//! adjoint is cleared: whatever `a[i]` held before the write did not reach the result
//! through it.

use core::ops::{Index, IndexMut};

use crate::Accumulate;

/// y = a[i]: ā[i] += ȳ. Reads `i`.
///
/// The index is any `Copy` type the adjoint can be indexed by: `usize` for arrays, slices,
/// `Vec`s and (linear, column-major) nalgebra matrices, `(usize, usize)` for `m[(i, j)]`.
#[inline(always)]
pub fn index_vjp<C, I, T>(d_a: &mut C, i: &I, d_y: &T)
where
    C: IndexMut<I, Output = T> + ?Sized,
    I: Copy,
    T: Accumulate,
{
    d_a[*i].accumulate(d_y);
}

/// y = a[i][j]: ā[i][j] += ȳ. Reads `i` and `j`.
#[inline(always)]
pub fn index2_vjp<C, I, J, T>(d_a: &mut C, i: &I, j: &J, d_y: &T)
where
    C: IndexMut<I> + ?Sized,
    C::Output: IndexMut<J, Output = T>,
    I: Copy,
    J: Copy,
    T: Accumulate,
{
    d_a[*i][*j].accumulate(d_y);
}

/// y = a[i][j][k]: ā[i][j][k] += ȳ. Reads `i`, `j` and `k`.
#[inline(always)]
pub fn index3_vjp<C, I, J, K, T>(d_a: &mut C, i: &I, j: &J, k: &K, d_y: &T)
where
    C: IndexMut<I> + ?Sized,
    C::Output: IndexMut<J>,
    <C::Output as Index<J>>::Output: IndexMut<K, Output = T>,
    I: Copy,
    J: Copy,
    K: Copy,
    T: Accumulate,
{
    d_a[*i][*j][*k].accumulate(d_y);
}

/// b = a (a copy of an array written in place): ā += b̄.
#[inline(always)]
pub fn copy_vjp<T: Accumulate>(d_a: &mut T, d_b: &T) {
    d_a.accumulate(d_b);
}

/// a[..] = v: v̄ += ā[..], then ā[..] = 0.
#[inline(always)]
pub fn store_vjp<T: Accumulate>(d_value: &mut T, d_slot: &mut T) {
    d_value.accumulate(d_slot);
    d_slot.set_zero();
}

/// a[..] = constant: ā[..] = 0 (the overwritten element no longer reaches the result).
#[inline(always)]
pub fn clear<T: Accumulate>(d_slot: &mut T) {
    d_slot.set_zero();
}
