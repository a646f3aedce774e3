//! VJP and JVP rules for reading and writing elements of arrays, slices and vectors.
//!
//! A read `y = a[i]` has `ā[i] += ȳ` (reverse) and `ẏ = ȧ[i]` (forward). A write
//! `a[i] = v` overwrites the element, so in the reverse sweep the value written receives
//! the element's adjoint, and the element's adjoint is cleared: whatever `a[i]` held before
//! the write did not reach the result through it.

use crate::Accumulate;

/// Element access without a panic path, for the reverse sweep.
///
/// The reverse sweep reads and writes only elements the forward sweep already read, in
/// containers of the same lengths, so every access is in bounds. Indexing with `[]` would
/// still keep a bounds check and its panic edge in the loop, which stops the optimiser from
/// keeping an adjoint element in a register across iterations (Rosenbrock's `x̄[i + 1]`);
/// `get` cannot panic, and a `debug_assert!` keeps the claim checked in debug builds.
///
/// Reading needs no mutable storage, so a nalgebra view (`a.rows(i, 2)`, `m.column(j)`)
/// is a `Slot`; only adjoints, which are owned, are [`SlotMut`].
pub trait Slot<I> {
    /// The element type.
    type Element: ?Sized;
    /// The element at `i`, if in bounds.
    fn slot(&self, i: I) -> Option<&Self::Element>;
}

/// A [`Slot`] whose elements can be written: an adjoint.
pub trait SlotMut<I>: Slot<I> {
    /// The element at `i`, mutably, if in bounds.
    fn slot_mut(&mut self, i: I) -> Option<&mut Self::Element>;
}

impl<T> Slot<usize> for [T] {
    type Element = T;
    #[inline(always)]
    fn slot(&self, i: usize) -> Option<&T> {
        self.get(i)
    }
}

impl<T> SlotMut<usize> for [T] {
    #[inline(always)]
    fn slot_mut(&mut self, i: usize) -> Option<&mut T> {
        self.get_mut(i)
    }
}

impl<T, const N: usize> Slot<usize> for [T; N] {
    type Element = T;
    #[inline(always)]
    fn slot(&self, i: usize) -> Option<&T> {
        self.get(i)
    }
}

impl<T, const N: usize> SlotMut<usize> for [T; N] {
    #[inline(always)]
    fn slot_mut(&mut self, i: usize) -> Option<&mut T> {
        self.get_mut(i)
    }
}

#[cfg(feature = "alloc")]
impl<T> Slot<usize> for alloc::vec::Vec<T> {
    type Element = T;
    #[inline(always)]
    fn slot(&self, i: usize) -> Option<&T> {
        self.get(i)
    }
}

#[cfg(feature = "alloc")]
impl<T> SlotMut<usize> for alloc::vec::Vec<T> {
    #[inline(always)]
    fn slot_mut(&mut self, i: usize) -> Option<&mut T> {
        self.get_mut(i)
    }
}

impl<C: Slot<I> + ?Sized, I> Slot<I> for &C {
    type Element = C::Element;
    #[inline(always)]
    fn slot(&self, i: I) -> Option<&C::Element> {
        (**self).slot(i)
    }
}

impl<C: Slot<I> + ?Sized, I> SlotMut<I> for &C {
    fn slot_mut(&mut self, _: I) -> Option<&mut C::Element> {
        None // a shared reference is never an adjoint
    }
}

#[cfg(feature = "nalgebra")]
mod matrices {
    use super::{Slot, SlotMut};
    use nalgebra::{Dim, Matrix, RawStorage, RawStorageMut, Scalar};

    /// `v[i]`: linear, column-major; also of a view.
    impl<T: Scalar, R: Dim, C: Dim, S: RawStorage<T, R, C>> Slot<usize> for Matrix<T, R, C, S> {
        type Element = T;
        #[inline(always)]
        fn slot(&self, i: usize) -> Option<&T> {
            self.get(i)
        }
    }

    impl<T: Scalar, R: Dim, C: Dim, S: RawStorageMut<T, R, C>> SlotMut<usize> for Matrix<T, R, C, S> {
        #[inline(always)]
        fn slot_mut(&mut self, i: usize) -> Option<&mut T> {
            self.get_mut(i)
        }
    }

    /// `m[(i, j)]`.
    impl<T: Scalar, R: Dim, C: Dim, S: RawStorage<T, R, C>> Slot<(usize, usize)>
        for Matrix<T, R, C, S>
    {
        type Element = T;
        #[inline(always)]
        fn slot(&self, i: (usize, usize)) -> Option<&T> {
            self.get(i)
        }
    }

    impl<T: Scalar, R: Dim, C: Dim, S: RawStorageMut<T, R, C>> SlotMut<(usize, usize)>
        for Matrix<T, R, C, S>
    {
        #[inline(always)]
        fn slot_mut(&mut self, i: (usize, usize)) -> Option<&mut T> {
            self.get_mut(i)
        }
    }
}

/// `y = a[i]`: `ā[i] += ȳ`. Reads `i`.
///
/// The index is `usize` for arrays, slices, `Vec`s and (linear, column-major) nalgebra
/// matrices, `(usize, usize)` for `m[(i, j)]`.
#[inline(always)]
pub fn index_vjp<C, I, T>(d_a: &mut C, i: &I, d_y: &T)
where
    C: SlotMut<I, Element = T> + ?Sized,
    I: Copy,
    T: Accumulate,
{
    let slot = d_a.slot_mut(*i);
    debug_assert!(slot.is_some(), "tapeless: adjoint index out of bounds");
    if let Some(slot) = slot {
        slot.accumulate(d_y);
    }
}

/// `ā[i] += s` after a loop whose every iteration read `a[i]` at the same `i`: `s` is
/// what the reverse loop added up in a local instead of in `ā[i]` (a register, where the
/// element's load and store would chain the iterations). If the loop ran no iteration, `s`
/// is zero and `i` need not be in bounds: nothing is added.
#[inline(always)]
pub fn index_vjp_after<C, I, T>(d_a: &mut C, i: &I, d_y: &T)
where
    C: SlotMut<I, Element = T> + ?Sized,
    I: Copy,
    T: Accumulate,
{
    if let Some(slot) = d_a.slot_mut(*i) {
        slot.accumulate(d_y);
    }
}

/// `y = a[i][j]`: `ā[i][j] += ȳ`. Reads `i` and `j`.
#[inline(always)]
pub fn index2_vjp<C, I, J, T>(d_a: &mut C, i: &I, j: &J, d_y: &T)
where
    C: SlotMut<I> + ?Sized,
    C::Element: SlotMut<J, Element = T>,
    I: Copy,
    J: Copy,
    T: Accumulate,
{
    let slot = d_a.slot_mut(*i).and_then(|row| row.slot_mut(*j));
    debug_assert!(slot.is_some(), "tapeless: adjoint index out of bounds");
    if let Some(slot) = slot {
        slot.accumulate(d_y);
    }
}

/// `y = a[i][j][k]`: `ā[i][j][k] += ȳ`. Reads `i`, `j` and `k`.
#[inline(always)]
pub fn index3_vjp<C, I, J, K, T>(d_a: &mut C, i: &I, j: &J, k: &K, d_y: &T)
where
    C: SlotMut<I> + ?Sized,
    C::Element: SlotMut<J>,
    <C::Element as Slot<J>>::Element: SlotMut<K, Element = T>,
    I: Copy,
    J: Copy,
    K: Copy,
    T: Accumulate,
{
    let slot = d_a
        .slot_mut(*i)
        .and_then(|a| a.slot_mut(*j))
        .and_then(|a| a.slot_mut(*k));
    debug_assert!(slot.is_some(), "tapeless: adjoint index out of bounds");
    if let Some(slot) = slot {
        slot.accumulate(d_y);
    }
}

/// `y = a[i]`: `ẏ = ȧ[i]`. Reads `i`.
///
/// # Panics
///
/// If `i` is out of bounds of the tangent: a tangent shorter than the value it is the
/// tangent of.
#[inline(always)]
pub fn index_jvp<C, I, T>(i: &I, t_a: &C) -> T
where
    C: Slot<I, Element = T> + ?Sized,
    I: Copy,
    T: Clone,
{
    match t_a.slot(*i) {
        Some(t) => t.clone(),
        None => tangent_too_short(),
    }
}

/// `y = a[i][j]`: `ẏ = ȧ[i][j]`. Reads `i` and `j`.
///
/// # Panics
///
/// If an index is out of bounds of the tangent.
#[inline(always)]
pub fn index2_jvp<C, I, J, T>(i: &I, j: &J, t_a: &C) -> T
where
    C: Slot<I> + ?Sized,
    C::Element: Slot<J, Element = T>,
    I: Copy,
    J: Copy,
    T: Clone,
{
    match t_a.slot(*i).and_then(|row| row.slot(*j)) {
        Some(t) => t.clone(),
        None => tangent_too_short(),
    }
}

/// `y = a[i][j][k]`: `ẏ = ȧ[i][j][k]`. Reads `i`, `j` and `k`.
///
/// # Panics
///
/// If an index is out of bounds of the tangent.
#[inline(always)]
pub fn index3_jvp<C, I, J, K, T>(i: &I, j: &J, k: &K, t_a: &C) -> T
where
    C: Slot<I> + ?Sized,
    C::Element: Slot<J>,
    <C::Element as Slot<J>>::Element: Slot<K, Element = T>,
    I: Copy,
    J: Copy,
    K: Copy,
    T: Clone,
{
    let slot = t_a
        .slot(*i)
        .and_then(|a| a.slot(*j))
        .and_then(|a| a.slot(*k));
    match slot {
        Some(t) => t.clone(),
        None => tangent_too_short(),
    }
}

/// The forward sweep read the element of the value, so only a tangent of another shape
/// than its value (a user's tangent of the wrong length) lacks it.
#[cold]
#[inline(never)]
#[track_caller]
fn tangent_too_short() -> ! {
    panic!("tapeless: the tangent has fewer elements than the value it is the tangent of")
}

/// `&a[i]`: an element that is not a `Copy` scalar (a row of `&[Vec<f64>]`, a vector of
/// `&[DVector<f64>]`), read by reference, as `for row in xs.iter()` binds it. Its adjoint
/// is `index_vjp`'s, like a scalar element's.
#[inline(always)]
pub fn element<C: core::ops::Index<I> + ?Sized, I>(a: &C, i: I) -> &C::Output {
    &a[i]
}

/// A container whose elements are one contiguous slice: slices, arrays, `Vec`s, and
/// nalgebra vectors, matrices and views with contiguous storage (`a.iter().skip(1)` of a
/// `DVector`, `m.column(j).iter().skip(1)`).
pub trait Elements<T> {
    /// The elements, in order (column-major for a matrix).
    fn elements(&self) -> &[T];
}

impl<T> Elements<T> for [T] {
    #[inline(always)]
    fn elements(&self) -> &[T] {
        self
    }
}

impl<T, const N: usize> Elements<T> for [T; N] {
    #[inline(always)]
    fn elements(&self) -> &[T] {
        self
    }
}

#[cfg(feature = "alloc")]
impl<T> Elements<T> for alloc::vec::Vec<T> {
    #[inline(always)]
    fn elements(&self) -> &[T] {
        self
    }
}

impl<T, C: Elements<T> + ?Sized> Elements<T> for &C {
    #[inline(always)]
    fn elements(&self) -> &[T] {
        (**self).elements()
    }
}

#[cfg(feature = "nalgebra")]
impl<T, R, C, S> Elements<T> for nalgebra::Matrix<T, R, C, S>
where
    T: nalgebra::Scalar,
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    S: nalgebra::RawStorage<T, R, C> + nalgebra::IsContiguous,
{
    #[inline(always)]
    fn elements(&self) -> &[T] {
        self.as_slice()
    }
}

/// `&x[start..end]`: a sub-slice (`&x[1..]`, `&x[..n - 1]`, a window, a chunk, the elements
/// of `.skip(k)`).
#[inline(always)]
pub fn sub_slice<C: Elements<T> + ?Sized, T>(x: &C, start: usize, end: usize) -> &[T] {
    &x.elements()[start..end]
}

/// `y = &x[start..end]`: `x̄[start + k] += ȳ[k]`. Reads `start`.
#[inline(always)]
pub fn sub_slice_vjp<C, G>(d_x: &mut C, start: &usize, d_y: &[G])
where
    C: SlotMut<usize, Element = G> + ?Sized,
    G: Accumulate,
{
    for (k, d) in d_y.iter().enumerate() {
        let slot = d_x.slot_mut(start + k);
        debug_assert!(slot.is_some(), "tapeless: adjoint index out of bounds");
        if let Some(slot) = slot {
            slot.accumulate(d);
        }
    }
}

/// `y = &x[start..end]`: `ẏ = ẋ[start..end]`, owned. Reads `start` and `end`.
///
/// # Panics
///
/// If the tangent is shorter than the value it is the tangent of.
#[cfg(feature = "alloc")]
#[inline(always)]
pub fn sub_slice_jvp<C, G>(start: &usize, end: &usize, t_x: &C) -> alloc::vec::Vec<G>
where
    C: Slot<usize, Element = G> + ?Sized,
    G: Clone,
{
    (*start..*end)
        .map(|k| match t_x.slot(k) {
            Some(t) => t.clone(),
            None => tangent_too_short(),
        })
        .collect()
}

/// `a[i]` read again by the reverse sweep (see [`Slot`]): the forward sweep read it, so it
/// is in bounds.
#[inline(always)]
pub fn read<C, I, T>(a: &C, i: I) -> T
where
    C: Slot<I, Element = T> + ?Sized,
    T: Copy + Default,
{
    let value = a.slot(i);
    debug_assert!(value.is_some(), "tapeless: index out of bounds");
    value.copied().unwrap_or_default()
}

/// `a[i][j]` read again by the reverse sweep.
#[inline(always)]
pub fn read2<C, I, J, T>(a: &C, i: I, j: J) -> T
where
    C: Slot<I> + ?Sized,
    C::Element: Slot<J, Element = T>,
    T: Copy + Default,
{
    let value = a.slot(i).and_then(|row| row.slot(j));
    debug_assert!(value.is_some(), "tapeless: index out of bounds");
    value.copied().unwrap_or_default()
}

/// v = a.to_vec() (of a slice, an array or a vector): `ā[k] += v̄[k]`.
#[cfg(feature = "alloc")]
#[inline(always)]
pub fn to_vec_vjp<A, T>(d_a: &mut A, d_v: &alloc::vec::Vec<T>)
where
    A: AsMut<[T]> + ?Sized,
    T: Accumulate,
{
    for (d, g) in d_a.as_mut().iter_mut().zip(d_v) {
        d.accumulate(g);
    }
}

/// v = a.to_vec(): v̇ = ȧ as a vector.
#[cfg(feature = "alloc")]
#[inline(always)]
pub fn to_vec_jvp<A, T>(t_a: &A) -> alloc::vec::Vec<T>
where
    A: AsRef<[T]> + ?Sized,
    T: Clone,
{
    t_a.as_ref().to_vec()
}

/// b = a (a copy of an array written in place): ā += b̄.
#[inline(always)]
pub fn copy_vjp<T: Accumulate>(d_a: &mut T, d_b: &T) {
    d_a.accumulate(d_b);
}

/// b = a (a copy, a field read `&p.w`, a tuple's element, `x.clone()`, `*x`): ḃ = ȧ.
#[inline(always)]
pub fn copy_jvp<T: Clone>(t_a: &T) -> T {
    t_a.clone()
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
