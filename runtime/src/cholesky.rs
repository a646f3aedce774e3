//! VJP and JVP rules of the Cholesky decomposition (feature `nalgebra`):
//! `a.clone().cholesky().unwrap()`, its factor `c.l()`, its solve `c.solve(&b)` and its
//! log-determinant `c.ln_determinant()`.
//!
//! A decomposition `c` is one value whose derivative is that of its factor L: its adjoint
//! and tangent are matrices shaped like A of which only the lower triangle counts (the
//! entries of L; whatever lies above the diagonal is ignored, as nalgebra ignores it).
//! Every rule is matrix-level (triangular solves and products, never a Jacobian, never an
//! inverse).
//!
//! nalgebra's `cholesky` reads only the lower triangle of A (diagonal included) and
//! assumes the rest mirrors it: the function differentiated is L = chol(S(A)) with
//! S(A) = tril(A) + tril(A, −1)ᵀ. A change of an entry above the diagonal changes nothing,
//! so its derivative is 0, and an entry below the diagonal stands for both of its mirrored
//! entries (Murray 2016, "Differentiation of the Cholesky decomposition", with that
//! restriction).
//!
//! Φ(X) below is the lower triangle of X with its diagonal halved; it is its own adjoint.
//!
//! | function | point | convention |
//! |---|---|---|
//! | `cholesky` | A not positive definite | the `unwrap` panics where the user's code does |

use nalgebra::allocator::Allocator;
use nalgebra::linalg::Cholesky;
use nalgebra::{DefaultAllocator, Dim, Matrix, OMatrix, RealField, Storage};

use crate::matrix::{transposed, Determinant};
use crate::{Differentiable, Real};

/// A decomposition's derivative is its factor's: a matrix shaped like A.
impl<T: Real + RealField, D: Dim> Differentiable for Cholesky<T, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    type Grad = OMatrix<T, D, D>;

    #[inline(always)]
    fn zeros_like(&self) -> OMatrix<T, D, D> {
        Differentiable::zeros_like(self.l_dirty())
    }

    #[inline(always)]
    fn zero_adjoint(&self) -> OMatrix<T, D, D> {
        Differentiable::zero_adjoint(self.l_dirty())
    }
}

/// Φ(X) in place: the strict upper triangle set to 0, the diagonal halved.
fn phi<T: Real + RealField, D: Dim>(x: &mut OMatrix<T, D, D>)
where
    DefaultAllocator: Allocator<D, D>,
{
    x.fill_upper_triangle(T::zero(), 1);
    let half = <T as Real>::constant(0.5);
    for i in 0..x.nrows() {
        x[(i, i)] *= half;
    }
}

/// Lᵀ·b as a product of owned matrices (a copy of Lᵀ, then `*`, which nalgebra hands to a
/// blocked kernel for large f32 and f64 matrices; its `tr_mul` computes one dot product per
/// entry, three times slower at n = 300). Not a product with a transposed view as its left
/// operand: nalgebra's `gemv` reads a strided column past its end.
fn tr_times<T, D, K, SB>(l: &OMatrix<T, D, D>, b: &Matrix<T, D, K, SB>) -> OMatrix<T, D, K>
where
    T: Real + RealField,
    D: Dim,
    K: Dim,
    SB: Storage<T, D, K>,
    DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
{
    l.transpose() * b
}

/// The lower triangle of `x` (diagonal included), the rest 0.
fn lower<T: Real + RealField, D: Dim>(x: &OMatrix<T, D, D>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    x.lower_triangle()
}

/// L = chol(S(A)) (`a.clone().cholesky().unwrap()`): with P = L⁻ᵀ·Φ(Lᵀ·L̄)·L⁻¹,
/// Ā += Φ(P + Pᵀ) (only the lower triangle of A is read: the strict lower entries get
/// P + Pᵀ, the entry each stands for twice; the diagonal gets Pᵢᵢ). Two triangular solves.
/// Reads `c`.
pub fn cholesky_vjp<T, D>(d_a: &mut OMatrix<T, D, D>, c: &Cholesky<T, D>, d_c: &OMatrix<T, D, D>)
where
    T: Real + RealField,
    D: Dim,
    DefaultAllocator: Allocator<D, D>,
{
    let l = c.l();
    // M = Φ(Lᵀ·L̄), then X = L⁻ᵀ·M, then Pᵀ = L⁻ᵀ·Xᵀ (P = X·L⁻¹).
    let mut m = tr_times(&l, &lower(d_c));
    phi(&mut m);
    l.tr_solve_lower_triangular_unchecked_mut(&mut m);
    let mut p_t = m.transpose();
    l.tr_solve_lower_triangular_unchecked_mut(&mut p_t);
    let mut g = &p_t + p_t.transpose();
    phi(&mut g);
    *d_a += g;
}

/// L = chol(S(A)): L̇ = L·Φ(L⁻¹·S(Ȧ)·L⁻ᵀ). Two triangular solves. Reads `c`.
pub fn cholesky_jvp<T, D>(c: &Cholesky<T, D>, t_a: &OMatrix<T, D, D>) -> OMatrix<T, D, D>
where
    T: Real + RealField,
    D: Dim,
    DefaultAllocator: Allocator<D, D>,
{
    let l = c.l();
    // S(Ȧ): the lower triangle mirrored.
    let mut s = lower(t_a);
    s.fill_upper_triangle_with_lower_triangle();
    // Y = L⁻¹·S, then Z = Y·L⁻ᵀ = (L⁻¹·Yᵀ)ᵀ.
    l.solve_lower_triangular_unchecked_mut(&mut s);
    let mut z = s.transpose();
    l.solve_lower_triangular_unchecked_mut(&mut z);
    // Z is symmetric (S is): its lower triangle is that of Zᵀ.
    phi(&mut z);
    l * z
}

/// The value the rules of a decomposition's methods read: a nalgebra `Cholesky`. The macro
/// takes `x.solve(&b)`, `x.l()` and `x.ln_determinant()` of a local value for its methods
/// (it sees no types), so this bound is where another type with methods of those names is
/// reported.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a nalgebra `Cholesky` decomposition, whose `solve`, `l` and `ln_determinant` #[differentiate] differentiates",
    label = "this method call of a value that depends on a differentiated parameter is taken for the decomposition's",
    note = "a decomposition is differentiated as `let c = a.clone().cholesky().unwrap();`; a method of your own type is differentiated when marked #[differentiate] in its `impl` block and called on `self`, on a field (`p.model.solve(x)`), on a parameter of its type or on an element of a slice of it"
)]
pub trait CholeskyFactor<T: Real + RealField, D: Dim>
where
    DefaultAllocator: Allocator<D, D>,
{
    /// The decomposition.
    fn factor(&self) -> &Cholesky<T, D>;
}

impl<T: Real + RealField, D: Dim> CholeskyFactor<T, D> for Cholesky<T, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    #[inline(always)]
    fn factor(&self) -> &Cholesky<T, D> {
        self
    }
}

/// L of `c.l()`: C̄ += tril(Ȳ) (the decomposition's adjoint is L's). Reads `c` (only its
/// type, checked to be a decomposition).
pub fn cholesky_l_vjp<T, D, C>(d_c: &mut OMatrix<T, D, D>, c: &C, d_y: &OMatrix<T, D, D>)
where
    T: Real + RealField,
    D: Dim,
    C: CholeskyFactor<T, D>,
    DefaultAllocator: Allocator<D, D>,
{
    let _ = c.factor();
    *d_c += lower(d_y);
}

/// L of `c.l()`: Ẏ = tril(Ċ). Reads `c` (its type).
pub fn cholesky_l_jvp<T, D, C>(c: &C, t_c: &OMatrix<T, D, D>) -> OMatrix<T, D, D>
where
    T: Real + RealField,
    D: Dim,
    C: CholeskyFactor<T, D>,
    DefaultAllocator: Allocator<D, D>,
{
    let _ = c.factor();
    lower(t_c)
}

/// x = (L·Lᵀ)⁻¹·b (`c.solve(&b)`; b and x vectors or matrices): with z = (L·Lᵀ)⁻¹·x̄ (the
/// b̄ of [`cholesky_solve_vjp_b`]), Ā = −z·xᵀ as if A = L·Lᵀ were free, so
/// L̄ += tril((Ā + Āᵀ)·L) = −tril(z·(Lᵀx)ᵀ + x·(Lᵀz)ᵀ). Reads `c` and `x`.
pub fn cholesky_solve_vjp_self<T, D, K, C, SX>(
    d_c: &mut OMatrix<T, D, D>,
    c: &C,
    x: &Matrix<T, D, K, SX>,
    d_x: &OMatrix<T, D, K>,
) where
    T: Real + RealField,
    D: Dim,
    K: Dim,
    C: CholeskyFactor<T, D>,
    SX: Storage<T, D, K>,
    DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
{
    let c = c.factor();
    let l = c.l();
    let z = c.solve(d_x);
    let (lt_x, lt_z) = (tr_times(&l, x), tr_times(&l, &z));
    let mut g = Differentiable::zeros_like(&l);
    g.gemm(T::one(), &z, &transposed(&lt_x), T::zero());
    g.gemm(T::one(), x, &transposed(&lt_z), T::one());
    g.fill_upper_triangle(T::zero(), 1);
    *d_c -= g;
}

/// x = (L·Lᵀ)⁻¹·b: ẋ = −(L·Lᵀ)⁻¹·(L̇·Lᵀ + L·L̇ᵀ)·x with L̇ = tril(Ċ). Reads `c` and `x`.
pub fn cholesky_solve_jvp_self<T, D, K, C, SX>(
    c: &C,
    x: &Matrix<T, D, K, SX>,
    t_c: &OMatrix<T, D, D>,
) -> OMatrix<T, D, K>
where
    T: Real + RealField,
    D: Dim,
    K: Dim,
    C: CholeskyFactor<T, D>,
    SX: Storage<T, D, K>,
    DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
{
    let c = c.factor();
    let l = c.l();
    let t_l = lower(t_c);
    let mut t_a_x = &t_l * tr_times(&l, x);
    t_a_x.gemm(T::one(), &l, &tr_times(&t_l, x), T::one());
    -c.solve(&t_a_x)
}

/// x = (L·Lᵀ)⁻¹·b (`c.solve(&b)`): b̄ += (L·Lᵀ)⁻¹·x̄ (A is symmetric). Reads `c`.
pub fn cholesky_solve_vjp_b<T, D, K, C>(d_b: &mut OMatrix<T, D, K>, c: &C, d_x: &OMatrix<T, D, K>)
where
    T: Real + RealField,
    D: Dim,
    K: Dim,
    C: CholeskyFactor<T, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
{
    *d_b += c.factor().solve(d_x);
}

/// x = (L·Lᵀ)⁻¹·b: ẋ = (L·Lᵀ)⁻¹·ḃ. Reads `c`.
pub fn cholesky_solve_jvp_b<T, D, K, C>(c: &C, t_b: &OMatrix<T, D, K>) -> OMatrix<T, D, K>
where
    T: Real + RealField,
    D: Dim,
    K: Dim,
    C: CholeskyFactor<T, D>,
    DefaultAllocator: Allocator<D, D> + Allocator<D, K>,
{
    c.factor().solve(t_b)
}

/// y = ln det(L·Lᵀ) = 2·Σᵢ ln Lᵢᵢ (`c.ln_determinant()`): L̄ᵢᵢ += 2ȳ/Lᵢᵢ. Reads `c`.
pub fn cholesky_ln_determinant_vjp<T, D, C>(d_c: &mut OMatrix<T, D, D>, c: &C, d_y: &T)
where
    T: Real + RealField,
    D: Dim,
    C: CholeskyFactor<T, D>,
    DefaultAllocator: Allocator<D, D>,
{
    let (l, two) = (c.factor().l_dirty(), <T as Real>::constant(2.0));
    for i in 0..l.nrows() {
        d_c[(i, i)] += two * *d_y / l[(i, i)];
    }
}

/// y = 2·Σᵢ ln Lᵢᵢ: ẏ = 2·Σᵢ L̇ᵢᵢ/Lᵢᵢ. Reads `c`.
pub fn cholesky_ln_determinant_jvp<T, D, C>(c: &C, t_c: &OMatrix<T, D, D>) -> T
where
    T: Real + RealField,
    D: Dim,
    C: CholeskyFactor<T, D>,
    DefaultAllocator: Allocator<D, D>,
{
    let l = c.factor().l_dirty();
    let sum = (0..l.nrows()).fold(T::zero(), |s, i| s + t_c[(i, i)] / l[(i, i)]);
    <T as Real>::constant(2.0) * sum
}

/// y = det(L·Lᵀ) = Πᵢ Lᵢᵢ² (`c.determinant()`): L̄ᵢᵢ += 2ȳ·y/Lᵢᵢ; ẏ = 2y·Σᵢ L̇ᵢᵢ/Lᵢᵢ.
impl<T: Real + RealField, D: Dim> Determinant<T, D> for Cholesky<T, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    fn add_determinant_adjoint(&self, d_c: &mut OMatrix<T, D, D>, y: &T, d_y: &T) {
        let (l, scale) = (self.l_dirty(), <T as Real>::constant(2.0) * *d_y * *y);
        for i in 0..l.nrows() {
            d_c[(i, i)] += scale / l[(i, i)];
        }
    }

    fn determinant_tangent(&self, y: &T, t_c: &OMatrix<T, D, D>) -> T {
        let l = self.l_dirty();
        let sum = (0..l.nrows()).fold(T::zero(), |s, i| s + t_c[(i, i)] / l[(i, i)]);
        <T as Real>::constant(2.0) * *y * sum
    }
}
