//! VJP rules for reading and writing elements of arrays, slices and vectors.
//!
//! A read `y = a[i]` has x̄[i] += ȳ. A write `a[i] = v` overwrites the element, so in the
//! reverse sweep the value written receives the element's adjoint, and the element's
//! adjoint is cleared: whatever `a[i]` held before the write did not reach the result
//! through it.

use core::ops::IndexMut;

use crate::Accumulate;

/// y = a[i]: ā[i] += ȳ.
#[inline(always)]
pub fn index_vjp<C, T>(d_a: &mut C, i: &usize, d_y: &T)
where
    C: IndexMut<usize, Output = T> + ?Sized,
    T: Accumulate,
{
    d_a[*i].accumulate(d_y);
}

/// y = a[i][j]: ā[i][j] += ȳ.
#[inline(always)]
pub fn index2_vjp<C, T>(d_a: &mut C, i: &usize, j: &usize, d_y: &T)
where
    C: IndexMut<usize> + ?Sized,
    C::Output: IndexMut<usize, Output = T>,
    T: Accumulate,
{
    d_a[*i][*j].accumulate(d_y);
}

/// y = a[i][j][k]: ā[i][j][k] += ȳ.
#[inline(always)]
pub fn index3_vjp<C, T>(d_a: &mut C, i: &usize, j: &usize, k: &usize, d_y: &T)
where
    C: IndexMut<usize> + ?Sized,
    C::Output: IndexMut<usize>,
    <C::Output as core::ops::Index<usize>>::Output: IndexMut<usize, Output = T>,
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
