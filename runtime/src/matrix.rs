//! VJP and JVP rules for the methods of `nalgebra` matrices and vectors (feature
//! `nalgebra`).
//!
//! Primal arguments may have any storage (owned, static, dynamic, views:
//! `&Matrix<T, R, C, S>`); adjoints and tangents are owned (`OMatrix<T, R, C>`, the
//! [`Differentiable::Grad`] of every matrix). Every VJP rule
//! accumulates into the adjoint it is given, reads only the values its doc line names
//! (in that order), and never forms a Jacobian: the rules of products are products. Each
//! has a forward rule next to it, `_vjp` → `_jvp`, reading the same values and the
//! argument's tangent and returning its contribution to the result's tangent (only
//! `add_scalar_jvp_rhs` reads more: the matrix, for the shape of ṡ's contribution).
//! Element reads `m[i]` and `m[(i, j)]` use [`index_vjp`](crate::index::index_vjp); the
//! operators (`a * b`, `a + b`, ...) are in [`ops`](crate::ops).
//!
//! | function | point | convention |
//! |---|---|---|
//! | `norm` | x = 0 | derivative 0 (the minimum-norm subgradient) |
//! | `determinant` | (nearly) singular A | the cofactor matrix, computed without A⁻¹ (from minors) |
//! | `try_inverse`, `solve` | singular A | NaN (the forward computation failed) |
//! | `mean` | no elements | nothing to add (nalgebra's mean of nothing is 0) |

use nalgebra::allocator::Allocator;
use nalgebra::{
    DefaultAllocator, Dim, DimMin, Dyn, Matrix, MatrixView, OMatrix, RawStorage, RawStorageMut,
    RealField, Storage, StorageMut, ViewStorage, U1,
};

use crate::elementwise::{elementwise_tangent, ElementwiseAdjoint};
use crate::{Accumulate, Differentiable, Real};

/// `m` transposed, as a view of the same elements (no copy): its entry (j, i) is `m`'s
/// entry (i, j).
#[inline(always)]
pub(crate) fn transposed<T, R: Dim, C: Dim, S: RawStorage<T, R, C>>(
    m: &Matrix<T, R, C, S>,
) -> MatrixView<'_, T, C, R, Dyn, Dyn> {
    let (rows, cols) = m.shape_generic();
    let (row_stride, col_stride) = m.strides();
    // SAFETY: the view addresses exactly the elements of `m`, which are valid for as long as
    // `m` is borrowed: its entry (j, i) is at `ptr + j·col_stride + i·row_stride`, where `m`
    // keeps its entry (i, j). It is read-only, like the borrow.
    unsafe {
        Matrix::from_data(ViewStorage::from_raw_parts(
            m.data.ptr(),
            (cols, rows),
            (Dyn(col_stride), Dyn(row_stride)),
        ))
    }
}

/// ⟨a, b⟩ = Σᵢ aᵢbᵢ over the entries of two matrices of one shape (checked), whose
/// dimensions may differ in kind (`Dyn` and `Const<2>`), as nalgebra's `dot` allows.
#[inline(always)]
fn inner<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim, SA, SB>(
    a: &Matrix<T, R, C, SA>,
    b: &Matrix<T, R2, C2, SB>,
) -> T
where
    SA: RawStorage<T, R, C>,
    SB: RawStorage<T, R2, C2>,
{
    assert_eq!(a.shape(), b.shape(), "forward rule: shapes differ");
    a.iter()
        .zip(b.iter())
        .fold(T::zero(), |sum, (&a, &b)| sum + a * b)
}

/// The entries of three matrices of one shape as slices in column-major order, when all
/// three are stored contiguously (owned matrices, column vectors, views of whole columns):
/// a loop over slices vectorises where nalgebra's strided iterators do not. `None` when the
/// shapes differ or one is strided.
#[inline(always)]
pub(crate) fn contiguous3<'a, T, R, C, R2, C2, R3, C3, SD, SX, SG>(
    d: &'a mut Matrix<T, R, C, SD>,
    x: &'a Matrix<T, R2, C2, SX>,
    g: &'a Matrix<T, R3, C3, SG>,
) -> Option<(&'a mut [T], &'a [T], &'a [T])>
where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SD: RawStorageMut<T, R, C>,
    SX: RawStorage<T, R2, C2>,
    SG: RawStorage<T, R3, C3>,
{
    let shape = d.shape();
    if x.shape() != shape
        || g.shape() != shape
        || !(d.data.is_contiguous() && x.data.is_contiguous() && g.data.is_contiguous())
    {
        return None;
    }
    // SAFETY: contiguous storage holds exactly its matrix's entries, column-major, so the
    // three slices have the shape's length and pair the same entries. `d` is borrowed
    // mutably for `'a`, so neither other slice aliases its own.
    unsafe {
        Some((
            d.data.as_mut_slice_unchecked(),
            x.data.as_slice_unchecked(),
            g.data.as_slice_unchecked(),
        ))
    }
}

/// `*d += g` for every pair of entries (shapes checked).
#[inline(always)]
fn add_entries<T: Real, R: Dim, C: Dim, S: RawStorage<T, R, C>>(
    d: &mut OMatrix<T, R, C>,
    g: &Matrix<T, R, C, S>,
    scale: T,
) where
    DefaultAllocator: Allocator<R, C>,
{
    d.zip_apply(g, |d, g| *d += g * scale);
}

/// `*d += g·scale` entry by entry, of a `g` whose dimensions may differ in kind from `d`'s
/// (shapes checked; both are read column-major).
#[inline(always)]
fn add_entries_of<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim, S: RawStorage<T, R2, C2>>(
    d: &mut OMatrix<T, R, C>,
    g: &Matrix<T, R2, C2, S>,
    scale: T,
) where
    DefaultAllocator: Allocator<R, C>,
{
    assert_eq!(d.shape(), g.shape(), "reverse rule: shapes differ");
    for (d, &g) in d.iter_mut().zip(g.iter()) {
        *d += g * scale;
    }
}

/// Y = Xᵀ (`x.transpose()`): X̄ += Ȳᵀ. Reads nothing.
#[inline(always)]
pub fn transpose_vjp<T: Real, R: Dim, C: Dim>(d_x: &mut OMatrix<T, R, C>, d_y: &OMatrix<T, C, R>)
where
    DefaultAllocator: Allocator<R, C> + Allocator<C, R>,
{
    d_x.zip_apply(&transposed(d_y), |d, g| *d += g);
}

/// Y = Xᵀ: Ẏ = Ẋᵀ. Reads nothing.
#[inline(always)]
pub fn transpose_jvp<T: Real, R: Dim, C: Dim>(t_x: &OMatrix<T, R, C>) -> OMatrix<T, C, R>
where
    DefaultAllocator: Allocator<R, C> + Allocator<C, R>,
{
    t_x.transpose()
}

/// y = a·b (`a.dot(&b)`, a scalar): ā += ȳ·b. Reads `b`. The dimensions of `a` and `b`
/// may differ in kind (`Dyn` and `Const<2>`), as nalgebra's `dot` allows.
#[inline(always)]
pub fn dot_vjp_self<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim, SB: RawStorage<T, R2, C2>>(
    d_a: &mut OMatrix<T, R, C>,
    b: &Matrix<T, R2, C2, SB>,
    d_y: &T,
) where
    DefaultAllocator: Allocator<R, C>,
{
    add_entries_of(d_a, b, *d_y);
}

/// y = a·b: ẏ = ȧ·b. Reads `b`.
#[inline(always)]
pub fn dot_jvp_self<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim, SB: RawStorage<T, R2, C2>>(
    b: &Matrix<T, R2, C2, SB>,
    t_a: &OMatrix<T, R, C>,
) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    inner(t_a, b)
}

/// y = a·b (`a.dot(&b)`, a scalar): b̄ += ȳ·a. Reads `a`.
#[inline(always)]
pub fn dot_vjp_rhs<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim, SA: RawStorage<T, R2, C2>>(
    d_b: &mut OMatrix<T, R, C>,
    a: &Matrix<T, R2, C2, SA>,
    d_y: &T,
) where
    DefaultAllocator: Allocator<R, C>,
{
    add_entries_of(d_b, a, *d_y);
}

/// y = a·b: ẏ = a·ḃ. Reads `a`.
#[inline(always)]
pub fn dot_jvp_rhs<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim, SA: RawStorage<T, R2, C2>>(
    a: &Matrix<T, R2, C2, SA>,
    t_b: &OMatrix<T, R, C>,
) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    inner(a, t_b)
}

/// y = ‖x‖ (`x.norm()`, Frobenius for a matrix): x̄ += ȳ·x/y, nothing when y = 0. Reads `x`
/// and `y`.
#[inline(always)]
pub fn norm_vjp<T: Real, R: Dim, C: Dim, SX: RawStorage<T, R, C>>(
    d_x: &mut OMatrix<T, R, C>,
    x: &Matrix<T, R, C, SX>,
    y: &T,
    d_y: &T,
) where
    DefaultAllocator: Allocator<R, C>,
{
    if *y == T::zero() {
        return; // the minimum-norm subgradient at the kink
    }
    add_entries(d_x, x, *d_y / *y);
}

/// y = ‖x‖: ẏ = x·ẋ/y, 0 when y = 0. Reads `x` and `y`.
#[inline(always)]
pub fn norm_jvp<T: Real, R: Dim, C: Dim, SX: RawStorage<T, R, C>>(
    x: &Matrix<T, R, C, SX>,
    y: &T,
    t_x: &OMatrix<T, R, C>,
) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    if *y == T::zero() {
        return T::zero(); // the minimum-norm subgradient at the kink
    }
    inner(x, t_x) / *y
}

/// y = x/‖x‖ (`x.normalize()`): x̄ += (ȳ − y⟨y, ȳ⟩)/‖x‖ (the projection of ȳ orthogonal to
/// y, scaled); at x = 0, where y is NaN, so is x̄. Reads `x` and `y`.
#[inline(always)]
pub fn normalize_vjp<T: Real, R: Dim, C: Dim, SX: RawStorage<T, R, C>, SY: RawStorage<T, R, C>>(
    d_x: &mut OMatrix<T, R, C>,
    x: &Matrix<T, R, C, SX>,
    y: &Matrix<T, R, C, SY>,
    d_y: &OMatrix<T, R, C>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let n = inner(x, x).sqrt();
    let along = inner(y, d_y);
    add_entries(d_x, d_y, T::one() / n);
    add_entries(d_x, y, -along / n);
}

/// y = x/‖x‖: ẏ = (ẋ − y⟨y, ẋ⟩)/‖x‖. Reads `x` and `y`.
#[inline(always)]
pub fn normalize_jvp<T: Real, R: Dim, C: Dim, SX: RawStorage<T, R, C>, SY: RawStorage<T, R, C>>(
    x: &Matrix<T, R, C, SX>,
    y: &Matrix<T, R, C, SY>,
    t_x: &OMatrix<T, R, C>,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    let n = inner(x, x).sqrt();
    let along = inner(y, t_x);
    t_x.zip_map(y, |t, y| (t - y * along) / n)
}

/// The cross product of two vectors of 3 entries (any shape: nalgebra's `cross` takes
/// column and row vectors), by linear index.
#[inline(always)]
fn cross3<T: Real, R: Dim, C: Dim, SA: RawStorage<T, R, C>, SB: RawStorage<T, R, C>>(
    a: &Matrix<T, R, C, SA>,
    b: &Matrix<T, R, C, SB>,
) -> [T; 3] {
    assert!(
        a.len() == 3 && b.len() == 3,
        "cross product: vectors of 3 entries"
    );
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// c = a × b (`a.cross(&b)`): ā += b × c̄ (c̄·(a × b) = a·(b × c̄)). Reads `b`.
#[inline(always)]
pub fn cross_vjp_self<T: Real, R: Dim, C: Dim, SB: RawStorage<T, R, C>>(
    d_a: &mut OMatrix<T, R, C>,
    b: &Matrix<T, R, C, SB>,
    d_y: &OMatrix<T, R, C>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let g = cross3(b, d_y);
    for (i, g) in g.into_iter().enumerate() {
        d_a[i] += g;
    }
}

/// c = a × b: ċ = ȧ × b. Reads `b`.
#[inline(always)]
pub fn cross_jvp_self<T: Real, R: Dim, C: Dim, SB: RawStorage<T, R, C>>(
    b: &Matrix<T, R, C, SB>,
    t_a: &OMatrix<T, R, C>,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    let c = cross3(t_a, b);
    let mut out = t_a.clone();
    for (i, c) in c.into_iter().enumerate() {
        out[i] = c;
    }
    out
}

/// c = a × b (`a.cross(&b)`): b̄ += c̄ × a (c̄·(a × b) = b·(c̄ × a)). Reads `a`.
#[inline(always)]
pub fn cross_vjp_rhs<T: Real, R: Dim, C: Dim, SA: RawStorage<T, R, C>>(
    d_b: &mut OMatrix<T, R, C>,
    a: &Matrix<T, R, C, SA>,
    d_y: &OMatrix<T, R, C>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    let g = cross3(d_y, a);
    for (i, g) in g.into_iter().enumerate() {
        d_b[i] += g;
    }
}

/// c = a × b: ċ = a × ḃ. Reads `a`.
#[inline(always)]
pub fn cross_jvp_rhs<T: Real, R: Dim, C: Dim, SA: RawStorage<T, R, C>>(
    a: &Matrix<T, R, C, SA>,
    t_b: &OMatrix<T, R, C>,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    let c = cross3(a, t_b);
    let mut out = t_b.clone();
    for (i, c) in c.into_iter().enumerate() {
        out[i] = c;
    }
    out
}

/// y = ‖x‖² (`x.norm_squared()`): x̄ += 2ȳ·x. Reads `x`.
#[inline(always)]
pub fn norm_squared_vjp<T: Real, R: Dim, C: Dim, SX: RawStorage<T, R, C>>(
    d_x: &mut OMatrix<T, R, C>,
    x: &Matrix<T, R, C, SX>,
    d_y: &T,
) where
    DefaultAllocator: Allocator<R, C>,
{
    add_entries(d_x, x, T::two() * *d_y);
}

/// y = ‖x‖²: ẏ = 2x·ẋ. Reads `x`.
#[inline(always)]
pub fn norm_squared_jvp<T: Real, R: Dim, C: Dim, SX: RawStorage<T, R, C>>(
    x: &Matrix<T, R, C, SX>,
    t_x: &OMatrix<T, R, C>,
) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    T::two() * inner(x, t_x)
}

/// y = Σᵢ xᵢ (`x.sum()`): x̄ᵢ += ȳ for every element. Reads nothing.
#[inline(always)]
pub fn sum_vjp<T: Real, R: Dim, C: Dim>(d_x: &mut OMatrix<T, R, C>, d_y: &T)
where
    DefaultAllocator: Allocator<R, C>,
{
    let d = *d_y;
    d_x.iter_mut().for_each(|e| *e += d);
}

/// y = Σᵢ xᵢ: ẏ = Σᵢ ẋᵢ. Reads nothing.
#[inline(always)]
pub fn sum_jvp<T: Real, R: Dim, C: Dim>(t_x: &OMatrix<T, R, C>) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    t_x.iter().fold(T::zero(), |sum, &t| sum + t)
}

/// y = Σᵢ xᵢ / n (`x.mean()`): x̄ᵢ += ȳ/n for every element (nothing when n = 0). Reads
/// nothing (n is the adjoint's size).
#[inline(always)]
pub fn mean_vjp<T: Real, R: Dim, C: Dim>(d_x: &mut OMatrix<T, R, C>, d_y: &T)
where
    DefaultAllocator: Allocator<R, C>,
{
    let n = d_x.len();
    if n == 0 {
        return;
    }
    let d = *d_y / T::from(n).unwrap_or_else(T::nan);
    d_x.iter_mut().for_each(|e| *e += d);
}

/// y = Σᵢ xᵢ / n: ẏ = Σᵢ ẋᵢ / n (0 when n = 0). Reads nothing.
#[inline(always)]
pub fn mean_jvp<T: Real, R: Dim, C: Dim>(t_x: &OMatrix<T, R, C>) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    let n = t_x.len();
    if n == 0 {
        return T::zero();
    }
    sum_jvp(t_x) / T::from(n).unwrap_or_else(T::nan)
}

/// `dᵢ += f(xᵢ, gᵢ)` for every entry, of matrices of one shape whose dimensions may differ
/// in kind (`a.rows(0, 2).component_mul(&b)` of `b: Vector2`; shapes checked, all read
/// column-major).
/// Also the matrix case of [`ElementwiseAdjoint`](crate::ElementwiseAdjoint).
#[inline(always)]
pub(crate) fn accumulate_entries<T, R, C, R2, C2, R3, C3, SD, SX, SG>(
    d: &mut Matrix<T, R, C, SD>,
    x: &Matrix<T, R2, C2, SX>,
    g: &Matrix<T, R3, C3, SG>,
    mut f: impl FnMut(T, T) -> T,
) where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SD: StorageMut<T, R, C>,
    SX: RawStorage<T, R2, C2>,
    SG: RawStorage<T, R3, C3>,
{
    let shape = d.shape();
    assert!(
        x.shape() == shape && g.shape() == shape,
        "elementwise rule: shapes differ"
    );
    if let Some((d, x, g)) = contiguous3(d, x, g) {
        for (d, (&x, &g)) in d.iter_mut().zip(x.iter().zip(g)) {
            *d += f(x, g);
        }
        return;
    }
    for (d, (&x, &g)) in d.iter_mut().zip(x.iter().zip(g.iter())) {
        *d += f(x, g);
    }
}

/// A matrix's entries as a slice in column-major order, when it is stored contiguously.
#[inline(always)]
fn contiguous<T, R: Dim, C: Dim, S: RawStorage<T, R, C>>(m: &Matrix<T, R, C, S>) -> Option<&[T]> {
    // SAFETY: contiguous storage holds exactly its matrix's entries, column-major.
    m.data
        .is_contiguous()
        .then(|| unsafe { m.data.as_slice_unchecked() })
}

/// `f(xᵢ, gᵢ)` for every entry, as a new matrix of the adjoint's type `OMatrix<T, R, C>`
/// (shapes checked as in [`accumulate_entries`]): the first contribution to an adjoint,
/// written once where zeros would be made and then added into.
#[inline(always)]
pub(crate) fn fresh_entries<T, R, C, R2, C2, R3, C3, SX, SG>(
    x: &Matrix<T, R2, C2, SX>,
    g: &Matrix<T, R3, C3, SG>,
    mut f: impl FnMut(T, T) -> T,
) -> OMatrix<T, R, C>
where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SX: RawStorage<T, R2, C2>,
    SG: RawStorage<T, R3, C3>,
    DefaultAllocator: Allocator<R, C>,
{
    let (rows, cols) = g.shape();
    assert!(x.shape() == g.shape(), "elementwise rule: shapes differ");
    let shape = (R::from_usize(rows), C::from_usize(cols));
    match (contiguous(x), contiguous(g)) {
        (Some(x), Some(g)) => OMatrix::from_iterator_generic(
            shape.0,
            shape.1,
            x.iter().zip(g).map(|(&x, &g)| f(x, g)),
        ),
        _ => OMatrix::from_iterator_generic(
            shape.0,
            shape.1,
            x.iter().zip(g.iter()).map(|(&x, &g)| f(x, g)),
        ),
    }
}

/// The tangent `f(xᵢ, tᵢ)` for every entry, of `y`'s type (the result's dimensions may
/// differ in kind from the argument's).
#[inline(always)]
fn tangent_entries<T, R, C, R2, C2, R3, C3, SX, SY>(
    x: &Matrix<T, R2, C2, SX>,
    y: &Matrix<T, R, C, SY>,
    t: &OMatrix<T, R3, C3>,
    f: impl Fn(T, T) -> T,
) -> OMatrix<T, R, C>
where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SX: RawStorage<T, R2, C2>,
    SY: RawStorage<T, R, C>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    let mut out = y.zero_adjoint();
    accumulate_entries(&mut out, x, t, f);
    out
}

/// Y = A∘B (`a.component_mul(&b)`): Ā += Ȳ∘B. Reads `b`.
#[inline(always)]
pub fn component_mul_vjp_self<T, R, C, R2, C2, R3, C3, SB>(
    d_a: &mut OMatrix<T, R, C>,
    b: &Matrix<T, R2, C2, SB>,
    d_y: &OMatrix<T, R3, C3>,
) where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SB: RawStorage<T, R2, C2>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    accumulate_entries(d_a, b, d_y, |b, d| d * b);
}

/// Y = A∘B, where this is the first contribution to Ā: Ā = Ȳ∘B, written once (`zero`
/// only gives Ā its type). Reads `b`.
#[inline(always)]
pub fn component_mul_vjp_self_first<T, R, C, R2, C2, R3, C3, SB>(
    _zero: impl FnOnce() -> OMatrix<T, R, C>,
    b: &Matrix<T, R2, C2, SB>,
    d_y: &OMatrix<T, R3, C3>,
) -> OMatrix<T, R, C>
where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SB: RawStorage<T, R2, C2>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    fresh_entries(b, d_y, |b, d| d * b)
}

/// Y = A∘B: Ẏ = Ȧ∘B. Reads `b` and `y` (for the tangent's type).
#[inline(always)]
pub fn component_mul_jvp_self<T, R, C, R2, C2, R3, C3, SB, SY>(
    b: &Matrix<T, R2, C2, SB>,
    y: &Matrix<T, R, C, SY>,
    t_a: &OMatrix<T, R3, C3>,
) -> OMatrix<T, R, C>
where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SB: RawStorage<T, R2, C2>,
    SY: RawStorage<T, R, C>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    tangent_entries(b, y, t_a, |b, t| t * b)
}

/// Y = A∘B (`a.component_mul(&b)`): B̄ += Ȳ∘A. Reads `a`.
#[inline(always)]
pub fn component_mul_vjp_rhs<T, R, C, R2, C2, R3, C3, SA>(
    d_b: &mut OMatrix<T, R, C>,
    a: &Matrix<T, R2, C2, SA>,
    d_y: &OMatrix<T, R3, C3>,
) where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SA: RawStorage<T, R2, C2>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    accumulate_entries(d_b, a, d_y, |a, d| d * a);
}

/// Y = A∘B, where this is the first contribution to B̄: B̄ = Ȳ∘A, written once (the
/// same function as for A). Reads `a`.
pub use self::component_mul_vjp_self_first as component_mul_vjp_rhs_first;

/// Y = A∘B: Ẏ = A∘Ḃ. Reads `a` and `y` (for the tangent's type).
#[inline(always)]
pub fn component_mul_jvp_rhs<T, R, C, R2, C2, R3, C3, SA, SY>(
    a: &Matrix<T, R2, C2, SA>,
    y: &Matrix<T, R, C, SY>,
    t_b: &OMatrix<T, R3, C3>,
) -> OMatrix<T, R, C>
where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SA: RawStorage<T, R2, C2>,
    SY: RawStorage<T, R, C>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    tangent_entries(a, y, t_b, |a, t| t * a)
}

/// Y = A/B entrywise (`a.component_div(&b)`): Ā += Ȳ/B. Reads `b`.
#[inline(always)]
pub fn component_div_vjp_self<T, R, C, R2, C2, R3, C3, SB>(
    d_a: &mut OMatrix<T, R, C>,
    b: &Matrix<T, R2, C2, SB>,
    d_y: &OMatrix<T, R3, C3>,
) where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SB: RawStorage<T, R2, C2>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    accumulate_entries(d_a, b, d_y, |b, d| d / b);
}

/// Y = A/B entrywise: Ẏ = Ȧ/B. Reads `b` and `y` (for the tangent's type).
#[inline(always)]
pub fn component_div_jvp_self<T, R, C, R2, C2, R3, C3, SB, SY>(
    b: &Matrix<T, R2, C2, SB>,
    y: &Matrix<T, R, C, SY>,
    t_a: &OMatrix<T, R3, C3>,
) -> OMatrix<T, R, C>
where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SB: RawStorage<T, R2, C2>,
    SY: RawStorage<T, R, C>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    tangent_entries(b, y, t_a, |b, t| t / b)
}

/// Y = A/B entrywise (`a.component_div(&b)`): B̄ −= Ȳ∘Y/B (= Ȳ∘A/B²). Reads `b` and `y`.
#[inline(always)]
pub fn component_div_vjp_rhs<T, R, C, R2, C2, R3, C3, SB, SY>(
    d_b: &mut OMatrix<T, R, C>,
    b: &Matrix<T, R2, C2, SB>,
    y: &Matrix<T, R3, C3, SY>,
    d_y: &OMatrix<T, R3, C3>,
) where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SB: RawStorage<T, R2, C2>,
    SY: RawStorage<T, R3, C3>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    let shape = d_b.shape();
    assert!(
        b.shape() == shape && y.shape() == shape && d_y.shape() == shape,
        "component_div_vjp_rhs: shapes differ"
    );
    let values = b.iter().zip(y.iter()).zip(d_y.iter());
    for (d_b, ((&b, &y), &d)) in d_b.iter_mut().zip(values) {
        *d_b += -(d * y / b);
    }
}

/// Y = A/B entrywise: Ẏ = −Ḃ∘Y/B. Reads `b` and `y`.
#[inline(always)]
pub fn component_div_jvp_rhs<T, R, C, R2, C2, R3, C3, SB, SY>(
    b: &Matrix<T, R2, C2, SB>,
    y: &Matrix<T, R, C, SY>,
    t_b: &OMatrix<T, R3, C3>,
) -> OMatrix<T, R, C>
where
    T: Real,
    R: Dim,
    C: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SB: RawStorage<T, R2, C2>,
    SY: RawStorage<T, R, C>,
    DefaultAllocator: Allocator<R, C> + Allocator<R3, C3>,
{
    let shape = y.shape();
    assert!(
        b.shape() == shape && t_b.shape() == shape,
        "component_div_jvp_rhs: shapes differ"
    );
    let mut out = y.zero_adjoint();
    let values = b.iter().zip(y.iter()).zip(t_b.iter());
    for (o, ((&b, &y), &t)) in out.iter_mut().zip(values) {
        *o = -(t * y / b);
    }
    out
}

/// Y = M + s (`m.add_scalar(s)`, s added to every entry): M̄ += Ȳ. Reads nothing.
#[inline(always)]
pub fn add_scalar_vjp_self<T: Real, R: Dim, C: Dim>(
    d_m: &mut OMatrix<T, R, C>,
    d_y: &OMatrix<T, R, C>,
) where
    DefaultAllocator: Allocator<R, C>,
{
    d_m.accumulate(d_y);
}

/// Y = M + s: Ẏ = Ṁ. Reads nothing.
#[inline(always)]
pub fn add_scalar_jvp_self<T: Real, R: Dim, C: Dim>(t_m: &OMatrix<T, R, C>) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    t_m.clone_owned()
}

/// Y = M + s (`m.add_scalar(s)`): s̄ += Σ Ȳ. Reads nothing.
#[inline(always)]
pub fn add_scalar_vjp_rhs<T: Real, R: Dim, C: Dim>(d_s: &mut T, d_y: &OMatrix<T, R, C>)
where
    DefaultAllocator: Allocator<R, C>,
{
    *d_s += d_y.iter().fold(T::zero(), |sum, &d| sum + d);
}

/// Y = M + s: Ẏ = ṡ in every entry. Reads `m` (only its shape; the VJP takes it from Ȳ).
#[inline(always)]
pub fn add_scalar_jvp_rhs<T: Real, R: Dim, C: Dim, S: RawStorage<T, R, C>>(
    m: &Matrix<T, R, C, S>,
    t_s: &T,
) -> OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    let (rows, cols) = m.shape_generic();
    OMatrix::from_element_generic(rows, cols, *t_s)
}

/// y = tr X = Σᵢ Xᵢᵢ (`x.trace()`): X̄ᵢᵢ += ȳ on the diagonal. Reads nothing.
#[inline(always)]
pub fn trace_vjp<T: Real, R: Dim, C: Dim>(d_x: &mut OMatrix<T, R, C>, d_y: &T)
where
    DefaultAllocator: Allocator<R, C>,
{
    let (rows, cols) = d_x.shape();
    for i in 0..rows.min(cols) {
        d_x[(i, i)] += *d_y;
    }
}

/// y = tr X: ẏ = tr Ẋ. Reads nothing.
#[inline(always)]
pub fn trace_jvp<T: Real, R: Dim, C: Dim>(t_x: &OMatrix<T, R, C>) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    let (rows, cols) = t_x.shape();
    (0..rows.min(cols)).fold(T::zero(), |sum, i| sum + t_x[(i, i)])
}

/// y = diag(M) (`m.diagonal()`, M square): M̄ᵢᵢ += ȳᵢ. Reads nothing.
#[inline(always)]
pub fn diagonal_vjp<T: Real, D: Dim>(d_m: &mut OMatrix<T, D, D>, d_y: &OMatrix<T, D, U1>)
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    for (i, &g) in d_y.iter().enumerate() {
        d_m[(i, i)] += g;
    }
}

/// y = diag(M): ẏ = diag(Ṁ). Reads nothing.
#[inline(always)]
pub fn diagonal_jvp<T: Real, D: Dim>(t_m: &OMatrix<T, D, D>) -> OMatrix<T, D, U1>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    t_m.diagonal()
}

/// A value with a determinant rule: a square matrix (`a.determinant()`), or a Cholesky
/// decomposition (`c.determinant()`, whose adjoint is its factor's, `runtime::cholesky`).
/// [`determinant_vjp`] and [`determinant_jvp`] dispatch on it, so the macro emits the same
/// call for both.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a square nalgebra matrix nor a Cholesky decomposition, whose `determinant` #[differentiate] differentiates",
    label = "this `determinant()` of a value that depends on a differentiated parameter is taken for nalgebra's",
    note = "#[differentiate] sees no types, so a method of your own type named `determinant` is taken for nalgebra's: rename it"
)]
pub trait Determinant<T: Real, D: Dim>
where
    DefaultAllocator: Allocator<D, D>,
{
    /// Adds ȳ·∂y/∂self into `d` (y = det, the value `self.determinant()` returned).
    fn add_determinant_adjoint(&self, d: &mut OMatrix<T, D, D>, y: &T, d_y: &T);
    /// ∂y/∂self·ṫ.
    fn determinant_tangent(&self, y: &T, t: &OMatrix<T, D, D>) -> T;
}

impl<T, D, A> Determinant<T, D> for &A
where
    T: Real,
    D: Dim,
    A: Determinant<T, D> + ?Sized,
    DefaultAllocator: Allocator<D, D>,
{
    #[inline(always)]
    fn add_determinant_adjoint(&self, d: &mut OMatrix<T, D, D>, y: &T, d_y: &T) {
        (**self).add_determinant_adjoint(d, y, d_y);
    }
    #[inline(always)]
    fn determinant_tangent(&self, y: &T, t: &OMatrix<T, D, D>) -> T {
        (**self).determinant_tangent(y, t)
    }
}

/// y = det A (`a.determinant()`): Ā += ȳ·cof(A) = ȳ·det(A)·A⁻ᵀ.
///
/// The cofactor matrix cof(A) is computed directly for n ≤ 3; for larger matrices as
/// y·A⁻ᵀ when A is well-conditioned, and from the minors when A is (nearly) singular,
/// where the gradient is still defined (a matrix of rank n − 1 has a nonzero one) and
/// y·A⁻ᵀ would lose its digits.
impl<T, D, S> Determinant<T, D> for Matrix<T, D, D, S>
where
    T: Real + RealField,
    D: DimMin<D, Output = D>,
    S: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    fn add_determinant_adjoint(&self, d_a: &mut OMatrix<T, D, D>, y: &T, d_y: &T) {
        let a = self;
        let n = a.nrows();
        assert!(a.is_square(), "determinant_vjp: the matrix is not square");
        assert_eq!(d_a.shape(), a.shape(), "determinant_vjp: shapes differ");
        let d = *d_y;
        match n {
            0 => {}
            1 => d_a[(0, 0)] += d,
            2 => {
                d_a[(0, 0)] += d * a[(1, 1)];
                d_a[(0, 1)] += -(d * a[(1, 0)]);
                d_a[(1, 0)] += -(d * a[(0, 1)]);
                d_a[(1, 1)] += d * a[(0, 0)];
            }
            3 => {
                // cof(A)ᵢⱼ = A₍ᵢ₊₁₎₍ⱼ₊₁₎·A₍ᵢ₊₂₎₍ⱼ₊₂₎ − A₍ᵢ₊₁₎₍ⱼ₊₂₎·A₍ᵢ₊₂₎₍ⱼ₊₁₎, indices mod 3.
                for i in 0..3 {
                    let (i1, i2) = ((i + 1) % 3, (i + 2) % 3);
                    for j in 0..3 {
                        let (j1, j2) = ((j + 1) % 3, (j + 2) % 3);
                        let cofactor = a[(i1, j1)] * a[(i2, j2)] - a[(i1, j2)] * a[(i2, j1)];
                        d_a[(i, j)] += d * cofactor;
                    }
                }
            }
            _ => {
                if let Some(inverse) = well_conditioned_inverse(a, *y) {
                    add_entries(d_a, &transposed(&inverse), d * *y);
                } else {
                    let cofactors = cofactors_by_minors(a);
                    for j in 0..n {
                        for i in 0..n {
                            d_a[(i, j)] += d * cofactors[(i, j)];
                        }
                    }
                }
            }
        }
    }

    /// ẏ = ⟨cof(A), Ȧ⟩ (Jacobi's formula), with the cofactors above (also where A is
    /// nearly singular).
    fn determinant_tangent(&self, y: &T, t_a: &OMatrix<T, D, D>) -> T {
        let (rows, cols) = self.shape_generic();
        let mut cofactors = OMatrix::from_element_generic(rows, cols, -T::zero());
        self.add_determinant_adjoint(&mut cofactors, y, &T::one());
        inner(&cofactors, t_a)
    }
}

/// y = det A (`a.determinant()`, `c.determinant()` of a Cholesky decomposition): Ā += ȳ·∂y/∂A
/// (see [`Determinant`]). Reads `a` and `y`.
#[inline(always)]
pub fn determinant_vjp<T: Real, D: Dim, A: Determinant<T, D>>(
    d_a: &mut OMatrix<T, D, D>,
    a: &A,
    y: &T,
    d_y: &T,
) where
    DefaultAllocator: Allocator<D, D>,
{
    a.add_determinant_adjoint(d_a, y, d_y);
}

/// y = det A: ẏ = ∂y/∂A·Ȧ (Jacobi's formula for a matrix). Reads `a` and `y`.
#[inline(always)]
pub fn determinant_jvp<T: Real, D: Dim, A: Determinant<T, D>>(
    a: &A,
    y: &T,
    t_a: &OMatrix<T, D, D>,
) -> T
where
    DefaultAllocator: Allocator<D, D>,
{
    a.determinant_tangent(y, t_a)
}

/// A⁻¹ when det(A)·A⁻ᵀ computed from it is accurate: |det A| is not tiny next to
/// Hadamard's bound ∏ⱼ ‖aⱼ‖ (a ratio below √ε means a nearly singular matrix, where the
/// tiny determinant times the huge inverse loses the digits).
fn well_conditioned_inverse<T, D, S>(a: &Matrix<T, D, D, S>, det: T) -> Option<OMatrix<T, D, D>>
where
    T: Real + RealField,
    D: Dim,
    S: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D>,
{
    let log_bound = a.column_iter().fold(T::zero(), |sum, column| {
        let norm_squared = column.iter().fold(T::zero(), |s, &v| s + v * v);
        sum + num_traits::Float::ln(norm_squared) / T::two()
    });
    let log_ratio = num_traits::Float::ln(num_traits::Float::abs(det)) - log_bound;
    // The ratio against √ε (1.5e-8 for f64, 3.5e-4 for f32) keeps the error of det·A⁻ᵀ,
    // about ε/ratio, below √ε. False also for det = 0 (−∞) and NaN.
    let log_epsilon = num_traits::Float::ln(<T as num_traits::Float>::epsilon());
    let accurate = log_ratio > log_epsilon / T::two();
    if accurate {
        a.clone_owned().try_inverse()
    } else {
        None
    }
}

/// The cofactor matrix, cof(A)ᵢⱼ = (−1)ⁱ⁺ʲ·det(A without row i and column j), computed
/// as det(A with row i replaced by the unit row eⱼ) (the Laplace expansion along row i
/// leaves exactly that cofactor), in a matrix of A's own type, so that static sizes need
/// no heap: O(n⁵), used only for nearly singular matrices, where the minors of a matrix of
/// rank n − 1 are themselves well-conditioned. (Not from an SVD: nalgebra's
/// `SVD::try_new` can return a decomposition that does not reconstruct the matrix for
/// nearly singular input.)
fn cofactors_by_minors<T, D, S>(a: &Matrix<T, D, D, S>) -> OMatrix<T, D, D>
where
    T: Real + RealField,
    D: DimMin<D, Output = D>,
    S: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    let n = a.nrows();
    let mut cofactors = a.clone_owned();
    let mut replaced = a.clone_owned();
    for i in 0..n {
        for j in 0..n {
            replaced.copy_from(a);
            for c in 0..n {
                replaced[(i, c)] = if c == j { T::one() } else { T::zero() };
            }
            cofactors[(i, j)] = replaced.determinant();
        }
    }
    cofactors
}

/// Y = A⁻¹ (`a.try_inverse().unwrap()`): Ā −= Yᵀ·Ȳ·Yᵀ. Reads `y`.
pub fn inverse_vjp<T: Real, D: Dim, SY: Storage<T, D, D>>(
    d_a: &mut OMatrix<T, D, D>,
    y: &Matrix<T, D, D, SY>,
    d_y: &OMatrix<T, D, D>,
) where
    DefaultAllocator: Allocator<D, D>,
{
    let yt_dy = y.tr_mul(d_y);
    d_a.gemm(-T::one(), &yt_dy, &transposed(y), T::one());
}

/// Y = A⁻¹: Ẏ = −Y·Ȧ·Y. Reads `y`.
pub fn inverse_jvp<T: Real, D: Dim, SY: Storage<T, D, D>>(
    y: &Matrix<T, D, D, SY>,
    t_a: &OMatrix<T, D, D>,
) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    let y_ta = y * t_a;
    let mut out = t_a.clone_owned();
    out.gemm(-T::one(), &y_ta, y, T::zero());
    out
}

/// A⁻¹·b by LU (NaN when A is singular), for the forward rules of `solve`.
fn solve_by_lu<T, D, K, SA>(a: &Matrix<T, D, D, SA>, b: &OMatrix<T, D, K>) -> OMatrix<T, D, K>
where
    T: Real + RealField,
    D: DimMin<D, Output = D>,
    K: Dim,
    SA: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D> + Allocator<D, K>,
{
    a.clone_owned()
        .lu()
        .solve(b)
        .unwrap_or_else(|| b.map(|_| <T as num_traits::Float>::nan()))
}

/// z = A⁻ᵀ·x̄, the adjoint both rules of `solve` need (NaN when A is singular).
fn solve_transposed<T, D, K, SA>(
    a: &Matrix<T, D, D, SA>,
    d_x: &OMatrix<T, D, K>,
) -> OMatrix<T, D, K>
where
    T: Real + RealField,
    D: DimMin<D, Output = D>,
    K: Dim,
    SA: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D> + Allocator<D, K>,
{
    transposed(a)
        .clone_owned()
        .lu()
        .solve(d_x)
        .unwrap_or_else(|| d_x.map(|_| <T as num_traits::Float>::nan()))
}

/// x = A⁻¹·b (`a.lu().solve(&b).unwrap()`; b and x vectors or matrices): Ā −= (A⁻ᵀ·x̄)·xᵀ.
/// Reads `a` and `x`.
pub fn solve_vjp_self<T, D, K, SA, SX>(
    d_a: &mut OMatrix<T, D, D>,
    a: &Matrix<T, D, D, SA>,
    x: &Matrix<T, D, K, SX>,
    d_x: &OMatrix<T, D, K>,
) where
    T: Real + RealField,
    D: DimMin<D, Output = D>,
    K: Dim,
    SA: Storage<T, D, D>,
    SX: Storage<T, D, K>,
    DefaultAllocator: Allocator<D, D> + Allocator<D> + Allocator<D, K>,
{
    let z = solve_transposed(a, d_x);
    d_a.gemm(-T::one(), &z, &transposed(x), T::one());
}

/// x = A⁻¹·b: ẋ = −A⁻¹·(Ȧ·x). Reads `a` and `x`.
pub fn solve_jvp_self<T, D, K, SA, SX>(
    a: &Matrix<T, D, D, SA>,
    x: &Matrix<T, D, K, SX>,
    t_a: &OMatrix<T, D, D>,
) -> OMatrix<T, D, K>
where
    T: Real + RealField,
    D: DimMin<D, Output = D>,
    K: Dim,
    SA: Storage<T, D, D>,
    SX: Storage<T, D, K>,
    DefaultAllocator: Allocator<D, D> + Allocator<D> + Allocator<D, K>,
{
    -solve_by_lu(a, &(t_a * x))
}

/// x = A⁻¹·b (`a.lu().solve(&b).unwrap()`; b and x vectors or matrices): b̄ += A⁻ᵀ·x̄.
/// Reads `a`.
pub fn solve_vjp_b<T, D, K, SA>(
    d_b: &mut OMatrix<T, D, K>,
    a: &Matrix<T, D, D, SA>,
    d_x: &OMatrix<T, D, K>,
) where
    T: Real + RealField,
    D: DimMin<D, Output = D>,
    K: Dim,
    SA: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D> + Allocator<D, K>,
{
    let z = solve_transposed(a, d_x);
    d_b.accumulate(&z);
}

/// x = A⁻¹·b: ẋ = A⁻¹·ḃ. Reads `a`.
pub fn solve_jvp_b<T, D, K, SA>(a: &Matrix<T, D, D, SA>, t_b: &OMatrix<T, D, K>) -> OMatrix<T, D, K>
where
    T: Real + RealField,
    D: DimMin<D, Output = D>,
    K: Dim,
    SA: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D> + Allocator<D, K>,
{
    solve_by_lu(a, t_b)
}

/// The triangle a triangular solve reads (nalgebra reads only it, diagonal included), and
/// whether it solves with the matrix or its transpose.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Triangle {
    /// `solve_lower_triangular`: M = tril(A).
    Lower,
    /// `solve_upper_triangular`: M = triu(A).
    Upper,
    /// `tr_solve_lower_triangular`: M = tril(A)ᵀ.
    LowerTransposed,
}

/// M⁻¹·b (`transpose`: M⁻ᵀ·b) for the M of `triangle`, in place.
fn triangular_solve<T, D, K, SA>(
    triangle: Triangle,
    transpose: bool,
    a: &Matrix<T, D, D, SA>,
    b: &mut OMatrix<T, D, K>,
) where
    T: Real + RealField,
    D: Dim,
    K: Dim,
    SA: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, K>,
{
    match (triangle, transpose) {
        (Triangle::Lower, false) | (Triangle::LowerTransposed, true) => {
            a.solve_lower_triangular_unchecked_mut(b)
        }
        (Triangle::Lower, true) | (Triangle::LowerTransposed, false) => {
            a.tr_solve_lower_triangular_unchecked_mut(b)
        }
        (Triangle::Upper, false) => a.solve_upper_triangular_unchecked_mut(b),
        (Triangle::Upper, true) => a.tr_solve_upper_triangular_unchecked_mut(b),
    }
}

/// Keeps the triangle of A that `triangle` reads (the rest set to 0), in place.
fn keep_triangle<T: Real + RealField, D: Dim>(triangle: Triangle, g: &mut OMatrix<T, D, D>)
where
    DefaultAllocator: Allocator<D, D>,
{
    match triangle {
        Triangle::Lower | Triangle::LowerTransposed => g.fill_upper_triangle(T::zero(), 1),
        Triangle::Upper => g.fill_lower_triangle(T::zero(), 1),
    }
}

/// x = M⁻¹·b: Ā += the part of −(M⁻ᵀ·x̄)·xᵀ (of −x·(M⁻ᵀ·x̄)ᵀ when M = Aᵀ) in the triangle.
fn triangular_vjp_self<T, D, K, SA, SX>(
    triangle: Triangle,
    d_a: &mut OMatrix<T, D, D>,
    a: &Matrix<T, D, D, SA>,
    x: &Matrix<T, D, K, SX>,
    d_x: &OMatrix<T, D, K>,
) where
    T: Real + RealField,
    D: Dim,
    K: Dim,
    SA: Storage<T, D, D>,
    SX: Storage<T, D, K>,
    DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
{
    let mut z = d_x.clone_owned();
    triangular_solve(triangle, true, a, &mut z);
    let (rows, cols) = a.shape_generic();
    let mut g = OMatrix::from_element_generic(rows, cols, T::zero());
    if triangle == Triangle::LowerTransposed {
        g.gemm(T::one(), x, &transposed(&z), T::zero());
    } else {
        g.gemm(T::one(), &z, &transposed(x), T::zero());
    }
    keep_triangle(triangle, &mut g);
    *d_a -= g;
}

/// x = M⁻¹·b: ẋ = −M⁻¹·(Ṁ·x), Ṁ the triangle of Ȧ (transposed when M = Aᵀ).
fn triangular_jvp_self<T, D, K, SA, SX>(
    triangle: Triangle,
    a: &Matrix<T, D, D, SA>,
    x: &Matrix<T, D, K, SX>,
    t_a: &OMatrix<T, D, D>,
) -> OMatrix<T, D, K>
where
    T: Real + RealField,
    D: Dim,
    K: Dim,
    SA: Storage<T, D, D>,
    SX: Storage<T, D, K>,
    DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
{
    let mut t_m = t_a.clone_owned();
    keep_triangle(triangle, &mut t_m);
    let mut out = if triangle == Triangle::LowerTransposed {
        -t_m.tr_mul(x)
    } else {
        -(t_m * x)
    };
    triangular_solve(triangle, false, a, &mut out);
    out
}

macro_rules! triangular_rules {
    ($triangle:ident, $name:literal, $vjp_self:ident, $jvp_self:ident, $vjp_b:ident, $jvp_b:ident) => {
        #[doc = concat!("x = M⁻¹·b (`a.", $name, "(&b).unwrap()`, M the triangle of A it reads; b and x vectors or matrices): Ā −= the triangle's part of (M⁻ᵀ·x̄)·xᵀ (of x·(M⁻ᵀ·x̄)ᵀ for `tr_`). Reads `a` and `x`.")]
        pub fn $vjp_self<T, D, K, SA, SX>(
            d_a: &mut OMatrix<T, D, D>,
            a: &Matrix<T, D, D, SA>,
            x: &Matrix<T, D, K, SX>,
            d_x: &OMatrix<T, D, K>,
        ) where
            T: Real + RealField,
            D: Dim,
            K: Dim,
            SA: Storage<T, D, D>,
            SX: Storage<T, D, K>,
            DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
        {
            triangular_vjp_self(Triangle::$triangle, d_a, a, x, d_x);
        }

        #[doc = concat!("x = M⁻¹·b (`a.", $name, "(&b).unwrap()`): ẋ = −M⁻¹·(Ṁ·x). Reads `a` and `x`.")]
        pub fn $jvp_self<T, D, K, SA, SX>(
            a: &Matrix<T, D, D, SA>,
            x: &Matrix<T, D, K, SX>,
            t_a: &OMatrix<T, D, D>,
        ) -> OMatrix<T, D, K>
        where
            T: Real + RealField,
            D: Dim,
            K: Dim,
            SA: Storage<T, D, D>,
            SX: Storage<T, D, K>,
            DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
        {
            triangular_jvp_self(Triangle::$triangle, a, x, t_a)
        }

        #[doc = concat!("x = M⁻¹·b (`a.", $name, "(&b).unwrap()`): b̄ += M⁻ᵀ·x̄. Reads `a`.")]
        pub fn $vjp_b<T, D, K, SA>(d_b: &mut OMatrix<T, D, K>, a: &Matrix<T, D, D, SA>, d_x: &OMatrix<T, D, K>)
        where
            T: Real + RealField,
            D: Dim,
            K: Dim,
            SA: Storage<T, D, D>,
            DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
        {
            let mut z = d_x.clone_owned();
            triangular_solve(Triangle::$triangle, true, a, &mut z);
            *d_b += z;
        }

        #[doc = concat!("x = M⁻¹·b (`a.", $name, "(&b).unwrap()`): ẋ = M⁻¹·ḃ. Reads `a`.")]
        pub fn $jvp_b<T, D, K, SA>(a: &Matrix<T, D, D, SA>, t_b: &OMatrix<T, D, K>) -> OMatrix<T, D, K>
        where
            T: Real + RealField,
            D: Dim,
            K: Dim,
            SA: Storage<T, D, D>,
            DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
        {
            let mut out = t_b.clone_owned();
            triangular_solve(Triangle::$triangle, false, a, &mut out);
            out
        }
    };
}

triangular_rules!(
    Lower,
    "solve_lower_triangular",
    solve_lower_triangular_vjp_self,
    solve_lower_triangular_jvp_self,
    solve_lower_triangular_vjp_b,
    solve_lower_triangular_jvp_b
);
triangular_rules!(
    Upper,
    "solve_upper_triangular",
    solve_upper_triangular_vjp_self,
    solve_upper_triangular_jvp_self,
    solve_upper_triangular_vjp_b,
    solve_upper_triangular_jvp_b
);
triangular_rules!(
    LowerTransposed,
    "tr_solve_lower_triangular",
    tr_solve_lower_triangular_vjp_self,
    tr_solve_lower_triangular_jvp_self,
    tr_solve_lower_triangular_vjp_b,
    tr_solve_lower_triangular_jvp_b
);

/// y = M[:, j] (`m.column(j)`): M̄[:, j] += ȳ. Reads `j`.
#[inline(always)]
pub fn column_vjp<T: Real, R: Dim, C: Dim>(
    d_m: &mut OMatrix<T, R, C>,
    j: &usize,
    d_y: &OMatrix<T, R, U1>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R, U1>,
{
    d_m.column_mut(*j).zip_apply(d_y, |d, g| *d += g);
}

/// y = M[:, j]: ẏ = Ṁ[:, j]. Reads `j`.
#[inline(always)]
pub fn column_jvp<T: Real, R: Dim, C: Dim>(j: &usize, t_m: &OMatrix<T, R, C>) -> OMatrix<T, R, U1>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R, U1>,
{
    t_m.column(*j).clone_owned()
}

/// y = M[i, :] (`m.row(i)`): M̄[i, :] += ȳ. Reads `i`.
#[inline(always)]
pub fn row_vjp<T: Real, R: Dim, C: Dim>(
    d_m: &mut OMatrix<T, R, C>,
    i: &usize,
    d_y: &OMatrix<T, U1, C>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    d_m.row_mut(*i).zip_apply(d_y, |d, g| *d += g);
}

/// y = M[i, :]: ẏ = Ṁ[i, :]. Reads `i`.
#[inline(always)]
pub fn row_jvp<T: Real, R: Dim, C: Dim>(i: &usize, t_m: &OMatrix<T, R, C>) -> OMatrix<T, U1, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<U1, C>,
{
    t_m.row(*i).clone_owned()
}

/// Ȳ added into the block of M̄ that starts at (`row`, `col`) and has Ȳ's shape: the adjoint
/// of a view read as a value.
#[inline(always)]
fn add_into_block<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim>(
    d_m: &mut OMatrix<T, R, C>,
    start: (usize, usize),
    d_y: &OMatrix<T, R2, C2>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R2, C2>,
{
    let (rows, cols) = d_y.shape();
    for c in 0..cols {
        for r in 0..rows {
            d_m[(start.0 + r, start.1 + c)] += d_y[(r, c)];
        }
    }
}

/// Ṁ's block that starts at (`row`, `col`), shaped (and typed) like the view `y`.
#[inline(always)]
fn block_tangent<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim, S: RawStorage<T, R2, C2>>(
    start: (usize, usize),
    y: &Matrix<T, R2, C2, S>,
    t_m: &OMatrix<T, R, C>,
) -> OMatrix<T, R2, C2>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R2, C2>,
{
    t_m.generic_view(start, y.shape_generic()).clone_owned()
}

/// Y = M[i..i + n, :] (`m.rows(i, n)`, `m.fixed_rows::<N>(i)`): M̄[i.., :] += Ȳ. Reads `i`.
#[inline(always)]
pub fn rows_vjp<T: Real, R: Dim, C: Dim, R2: Dim>(
    d_m: &mut OMatrix<T, R, C>,
    i: &usize,
    d_y: &OMatrix<T, R2, C>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R2, C>,
{
    add_into_block(d_m, (*i, 0), d_y);
}

/// Y = M[i..i + n, :]: Ẏ = Ṁ[i..i + n, :]. Reads `i` and `y` (its shape).
#[inline(always)]
pub fn rows_jvp<T: Real, R: Dim, C: Dim, R2: Dim, S: RawStorage<T, R2, C>>(
    i: &usize,
    y: &Matrix<T, R2, C, S>,
    t_m: &OMatrix<T, R, C>,
) -> OMatrix<T, R2, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R2, C>,
{
    block_tangent((*i, 0), y, t_m)
}

/// Y = M[:, j..j + n] (`m.columns(j, n)`, `m.fixed_columns::<N>(j)`): M̄[:, j..] += Ȳ.
/// Reads `j`.
#[inline(always)]
pub fn columns_vjp<T: Real, R: Dim, C: Dim, C2: Dim>(
    d_m: &mut OMatrix<T, R, C>,
    j: &usize,
    d_y: &OMatrix<T, R, C2>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R, C2>,
{
    add_into_block(d_m, (0, *j), d_y);
}

/// Y = M[:, j..j + n]: Ẏ = Ṁ[:, j..j + n]. Reads `j` and `y` (its shape).
#[inline(always)]
pub fn columns_jvp<T: Real, R: Dim, C: Dim, C2: Dim, S: RawStorage<T, R, C2>>(
    j: &usize,
    y: &Matrix<T, R, C2, S>,
    t_m: &OMatrix<T, R, C>,
) -> OMatrix<T, R, C2>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R, C2>,
{
    block_tangent((0, *j), y, t_m)
}

/// Y = M[i.., j..] of R×C entries (`m.fixed_view::<R, C>(i, j)`): M̄[i.., j..] += Ȳ.
/// Reads `i`, `j`.
#[inline(always)]
pub fn fixed_view_vjp<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim>(
    d_m: &mut OMatrix<T, R, C>,
    i: &usize,
    j: &usize,
    d_y: &OMatrix<T, R2, C2>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R2, C2>,
{
    add_into_block(d_m, (*i, *j), d_y);
}

/// Y = M[i.., j..]: Ẏ = Ṁ[i.., j..]. Reads `i`, `j` and `y` (its shape).
#[inline(always)]
pub fn fixed_view_jvp<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim, S: RawStorage<T, R2, C2>>(
    i: &usize,
    j: &usize,
    y: &Matrix<T, R2, C2, S>,
    t_m: &OMatrix<T, R, C>,
) -> OMatrix<T, R2, C2>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R2, C2>,
{
    block_tangent((*i, *j), y, t_m)
}

/// Y = M[i.., j..] of r×c entries (`m.view((i, j), (r, c))`): M̄[i.., j..] += Ȳ. Reads
/// `(i, j)`.
#[inline(always)]
pub fn view_vjp<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim>(
    d_m: &mut OMatrix<T, R, C>,
    start: &(usize, usize),
    d_y: &OMatrix<T, R2, C2>,
) where
    DefaultAllocator: Allocator<R, C> + Allocator<R2, C2>,
{
    add_into_block(d_m, *start, d_y);
}

/// Y = M[i.., j..]: Ẏ = Ṁ[i.., j..]. Reads `(i, j)` and `y` (its shape).
#[inline(always)]
pub fn view_jvp<T: Real, R: Dim, C: Dim, R2: Dim, C2: Dim, S: RawStorage<T, R2, C2>>(
    start: &(usize, usize),
    y: &Matrix<T, R2, C2, S>,
    t_m: &OMatrix<T, R, C>,
) -> OMatrix<T, R2, C2>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R2, C2>,
{
    block_tangent(*start, y, t_m)
}

/// Y = X.map(g) (`x.map(|v| ..)`), elementwise: X̄ᵢ += f(Xᵢ, Ȳᵢ), where `f(x, ȳ)` is the
/// scalar rule of `g` (ȳ·g′(x)), which the macro derives from the closure. Reads `x`.
///
/// Works for scalars as well (x̄ += f(x, ȳ)).
#[inline(always)]
pub fn map_vjp<G, X, F>(d_x: &mut G, x: &X, d_y: &G, f: F)
where
    G: ElementwiseAdjoint<X>,
    X: ?Sized,
    F: FnMut(G::Elem, G::Elem) -> G::Elem,
{
    d_x.accumulate_elementwise(x, d_y, f);
}

/// Y = X.map(g), elementwise: Ẏᵢ = f(Xᵢ, Ẋᵢ), with the same `f` as [`map_vjp`] (ȳ·g′(x) is
/// linear in ȳ and scalar, so it is its own transpose). Reads `x`.
#[inline(always)]
pub fn map_jvp<G, X, F>(x: &X, t_x: &G, f: F) -> G
where
    G: ElementwiseAdjoint<X> + Clone,
    X: ?Sized,
    F: FnMut(G::Elem, G::Elem) -> G::Elem,
{
    elementwise_tangent(x, t_x, f)
}
