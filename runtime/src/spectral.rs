//! VJP and JVP rules of spectra (feature `nalgebra`): the eigenvalues of a symmetric matrix
//! (`a.symmetric_eigenvalues()`) and the singular values of any matrix
//! (`a.singular_values()`), each from the decomposition's vectors, computed again by the
//! rule (nalgebra's value functions do not keep them).
//!
//! For a simple eigenvalue λₖ = vₖᵀ S vₖ with unit vₖ, dλₖ = vₖᵀ dS vₖ; for a simple
//! singular value σₖ = uₖᵀ A vₖ, dσₖ = uₖᵀ dA vₖ. At a repeated eigenvalue or singular value
//! the individual values are not differentiable; the rules then give the derivative along
//! the vectors nalgebra returns (their sum over the repeated group is exact).
//!
//! nalgebra's `symmetric_eigenvalues` reads only the lower triangle of A (diagonal
//! included): the function differentiated is λ(S(A)) with S(A) = tril(A) + tril(A, −1)ᵀ, as
//! for `cholesky` (`crate::cholesky`). An entry above the diagonal changes nothing (its
//! derivative is 0) and one below it stands for both of its mirrored entries. Its values
//! are in the order `symmetric_eigen()` gives them (the same algorithm, which computes the
//! vectors beside them), and `singular_values` in decreasing order, as `SVD::new` sorts
//! them.

use nalgebra::allocator::Allocator;
use nalgebra::{
    DefaultAllocator, Dim, DimDiff, DimMin, DimMinimum, DimSub, Matrix, OMatrix, OVector,
    RealField, Storage, SVD, U1,
};

use crate::Real;

/// V diag(w) Vᵀ: the symmetric matrix whose quadratic form along each vₖ is wₖ.
fn spectral_sum<T, D>(v: &OMatrix<T, D, D>, w: &OVector<T, D>) -> OMatrix<T, D, D>
where
    T: Real + RealField,
    D: Dim,
    DefaultAllocator: Allocator<D, D> + Allocator<D>,
{
    let mut scaled = v.clone();
    for (mut column, &wk) in scaled.column_iter_mut().zip(w.iter()) {
        column *= wk;
    }
    scaled * v.transpose()
}

/// The eigenvectors of S(A) (columns, in the eigenvalues' order).
fn symmetric_eigenvectors<T, D, SA>(a: &Matrix<T, D, D, SA>) -> OMatrix<T, D, D>
where
    T: Real + RealField,
    D: DimSub<U1>,
    SA: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D> + Allocator<DimDiff<D, U1>>,
{
    a.clone_owned().symmetric_eigen().eigenvectors
}

/// λ = `a.symmetric_eigenvalues()`: with M = V diag(λ̄) Vᵀ, Āᵢⱼ += 2Mᵢⱼ below the diagonal,
/// Āᵢᵢ += Mᵢᵢ on it, nothing above it (nalgebra reads the lower triangle). Reads `a`.
pub fn symmetric_eigenvalues_vjp<T, D, SA>(
    d_a: &mut OMatrix<T, D, D>,
    a: &Matrix<T, D, D, SA>,
    d_y: &OVector<T, D>,
) where
    T: Real + RealField,
    D: DimSub<U1>,
    SA: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D> + Allocator<DimDiff<D, U1>>,
{
    let m = spectral_sum(&symmetric_eigenvectors(a), d_y);
    let n = m.nrows();
    for j in 0..n {
        d_a[(j, j)] += m[(j, j)];
        for i in j + 1..n {
            d_a[(i, j)] += m[(i, j)] + m[(i, j)];
        }
    }
}

/// λ = `a.symmetric_eigenvalues()`: λ̇ₖ = vₖᵀ Ṡ vₖ with Ṡ = S(Ȧ), the lower triangle of Ȧ
/// mirrored. Reads `a`.
pub fn symmetric_eigenvalues_jvp<T, D, SA>(
    a: &Matrix<T, D, D, SA>,
    t_a: &OMatrix<T, D, D>,
) -> OVector<T, D>
where
    T: Real + RealField,
    D: DimSub<U1>,
    SA: Storage<T, D, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D> + Allocator<DimDiff<D, U1>>,
{
    let v = symmetric_eigenvectors(a);
    let mut s = t_a.clone();
    s.fill_upper_triangle_with_lower_triangle();
    let sv = &s * &v;
    OVector::from_iterator_generic(
        v.shape_generic().1,
        U1,
        v.column_iter()
            .zip(sv.column_iter())
            .map(|(vk, svk)| vk.dot(&svk)),
    )
}

/// The allocations of an R × C matrix's SVD with its vectors (what `SVD::new` needs).
pub trait SvdAllocator<R: DimMin<C>, C: Dim>:
    Allocator<R, C>
    + Allocator<C>
    + Allocator<R>
    + Allocator<DimDiff<DimMinimum<R, C>, U1>>
    + Allocator<DimMinimum<R, C>, C>
    + Allocator<R, DimMinimum<R, C>>
    + Allocator<DimMinimum<R, C>>
where
    DimMinimum<R, C>: DimSub<U1>,
{
}

impl<R: DimMin<C>, C: Dim, A> SvdAllocator<R, C> for A
where
    DimMinimum<R, C>: DimSub<U1>,
    A: Allocator<R, C>
        + Allocator<C>
        + Allocator<R>
        + Allocator<DimDiff<DimMinimum<R, C>, U1>>
        + Allocator<DimMinimum<R, C>, C>
        + Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>,
{
}

/// U, Vᵀ of A's thin SVD, in the order of `a.singular_values()` (decreasing).
#[allow(clippy::type_complexity)]
fn singular_vectors<T, R, C, SA>(
    a: &Matrix<T, R, C, SA>,
) -> (
    OMatrix<T, R, DimMinimum<R, C>>,
    OMatrix<T, DimMinimum<R, C>, C>,
)
where
    T: Real + RealField,
    R: DimMin<C>,
    C: Dim,
    SA: Storage<T, R, C>,
    DimMinimum<R, C>: DimSub<U1>,
    DefaultAllocator: SvdAllocator<R, C>,
{
    let svd = SVD::new(a.clone_owned(), true, true);
    let u = svd.u.expect("SVD computed with U");
    let v_t = svd.v_t.expect("SVD computed with Vᵀ");
    (u, v_t)
}

/// σ = `a.singular_values()`: Ā += U diag(σ̄) Vᵀ (thin U and V). Reads `a`.
pub fn singular_values_vjp<T, R, C, SA>(
    d_a: &mut OMatrix<T, R, C>,
    a: &Matrix<T, R, C, SA>,
    d_y: &OVector<T, DimMinimum<R, C>>,
) where
    T: Real + RealField,
    R: DimMin<C>,
    C: Dim,
    SA: Storage<T, R, C>,
    DimMinimum<R, C>: DimSub<U1>,
    DefaultAllocator: SvdAllocator<R, C>,
{
    let (mut u, v_t) = singular_vectors(a);
    for (mut column, &w) in u.column_iter_mut().zip(d_y.iter()) {
        column *= w;
    }
    d_a.gemm(T::one(), &u, &v_t, T::one());
}

/// σ = `a.singular_values()`: σ̇ₖ = uₖᵀ Ȧ vₖ. Reads `a`.
pub fn singular_values_jvp<T, R, C, SA>(
    a: &Matrix<T, R, C, SA>,
    t_a: &OMatrix<T, R, C>,
) -> OVector<T, DimMinimum<R, C>>
where
    T: Real + RealField,
    R: DimMin<C>,
    C: Dim,
    SA: Storage<T, R, C>,
    DimMinimum<R, C>: DimSub<U1>,
    DefaultAllocator: SvdAllocator<R, C>,
{
    let (u, v_t) = singular_vectors(a);
    // Row k of Uᵀ·Ȧ against row k of Vᵀ.
    let ua = u.tr_mul(t_a);
    OVector::from_iterator_generic(
        v_t.shape_generic().0,
        U1,
        ua.row_iter()
            .zip(v_t.row_iter())
            .map(|(uak, vk)| uak.dot(&vk)),
    )
}
