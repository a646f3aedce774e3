//! VJP rules of the arithmetic operators `+`, `-` (binary and unary), `*` and `/`, for
//! scalars and (feature `nalgebra`) matrices, one function per operator argument, and
//! beside each its forward helper (`mul_jvp_lhs(b, t_a) -> ȧ·b`: that argument's
//! contribution to ẏ, the same linear map as the VJP helper, transposed).
//!
//! The macro emits the same call for `a * b` whatever `a` and `b` are, so each function
//! serves every combination of types the operator has:
//!
//! | expression | `a` | `b` | `y` |
//! |---|---|---|---|
//! | `a + b`, `a - b` | scalar or matrix | same type as `a` | same |
//! | `-a` | scalar or matrix | | same |
//! | `a * b` | scalar | scalar | scalar |
//! | `a * b` | matrix `R×K` | matrix `K×C` (vector, row vector, ...) | matrix `R×C` |
//! | `a * b` | scalar | matrix | matrix |
//! | `a * b` | matrix | scalar | matrix |
//! | `a / b` | scalar or matrix | scalar | same as `a` |
//!
//! `+`, `-` and unary `-` need no dispatch: the adjoint passed on has the type of the
//! adjoint it goes to, and [`Accumulate`] adds or subtracts it. `*` and `/` dispatch
//! through the traits [`MulVjpLhs`], [`MulVjpRhs`], [`DivVjpLhs`] and [`DivVjpRhs`],
//! implemented for the marker type [`Rule`] with the argument types as parameters, so the
//! compiler can infer an adjoint's type from the others (an adjoint declared by
//! `zero()` gets its type from the first rule that adds into it). The scalar cases are
//! implemented for `f32` and `f64` separately (a blanket `impl<T: Real>` would overlap
//! the matrix cases under the coherence rules).
//!
//! The matrix product never forms a Jacobian: for `C = A·B` the rules are
//! `Ā += C̄·Bᵀ` and `B̄ += Aᵀ·C̄`, two matrix products accumulated into the adjoint itself
//! by nalgebra's `gemm` (with a transposed *view* of B) and `gemm_tr`: no temporary.

use crate::{Accumulate, AccumulateFrom, Differentiable, Real};

/// y = a + b: ā += ȳ. The adjoints' types differ when `a` and `b` are matrices whose
/// dimensions differ in kind (`y` then has the static one): see [`AccumulateFrom`].
#[inline(always)]
pub fn add_vjp_lhs<G: AccumulateFrom<D>, D>(d_a: &mut G, d_y: &D) {
    d_a.accumulate_from(d_y);
}

/// y = a + b: b̄ += ȳ.
#[inline(always)]
pub fn add_vjp_rhs<G: AccumulateFrom<D>, D>(d_b: &mut G, d_y: &D) {
    d_b.accumulate_from(d_y);
}

/// y = a − b: ā += ȳ.
#[inline(always)]
pub fn sub_vjp_lhs<G: AccumulateFrom<D>, D>(d_a: &mut G, d_y: &D) {
    d_a.accumulate_from(d_y);
}

/// y = a − b: b̄ −= ȳ.
#[inline(always)]
pub fn sub_vjp_rhs<G: AccumulateFrom<D>, D>(d_b: &mut G, d_y: &D) {
    d_b.subtract_from(d_y);
}

/// y = −x: x̄ −= ȳ.
#[inline(always)]
pub fn neg_vjp<G: Accumulate>(d_x: &mut G, d_y: &G) {
    d_x.subtract(d_y);
}

/// y = a + b: a's contribution to ẏ is ȧ, as a tangent of `y`'s type (reads `y`: the
/// types differ when the operands' dimensions differ in kind).
#[inline(always)]
pub fn add_jvp_lhs<Y: Differentiable, G>(y: &Y, t_a: &G) -> Y::Grad
where
    Y::Grad: AccumulateFrom<G>,
{
    let mut t = y.zero_adjoint();
    t.accumulate_from(t_a);
    t
}

/// y = a + b: b's contribution to ẏ is ḃ (a tangent of `y`'s type).
#[inline(always)]
pub fn add_jvp_rhs<Y: Differentiable, G>(y: &Y, t_b: &G) -> Y::Grad
where
    Y::Grad: AccumulateFrom<G>,
{
    add_jvp_lhs(y, t_b)
}

/// y = a − b: a's contribution to ẏ is ȧ (a tangent of `y`'s type).
#[inline(always)]
pub fn sub_jvp_lhs<Y: Differentiable, G>(y: &Y, t_a: &G) -> Y::Grad
where
    Y::Grad: AccumulateFrom<G>,
{
    add_jvp_lhs(y, t_a)
}

/// y = a − b: b's contribution to ẏ is −ḃ (a tangent of `y`'s type).
#[inline(always)]
pub fn sub_jvp_rhs<Y: Differentiable, G>(y: &Y, t_b: &G) -> Y::Grad
where
    Y::Grad: AccumulateFrom<G>,
{
    let mut t = y.zero_adjoint();
    t.subtract_from(t_b);
    t
}

/// y = −x: ẏ = −ẋ.
#[inline(always)]
pub fn neg_jvp<G: Clone + Accumulate>(t_x: &G) -> G {
    negated(t_x)
}

/// −t, for every adjoint type (0 − t, through [`Accumulate`]).
#[inline(always)]
fn negated<G: Clone + Accumulate>(t: &G) -> G {
    let mut negative = t.clone();
    negative.set_zero();
    negative.subtract(t);
    negative
}

/// The marker type the rules of `*` and `/` are implemented for: `Rule: MulVjpLhs<DA, B, DY>`
/// says that `mul_vjp_lhs(d_a: &mut DA, b: &B, d_y: &DY)` exists.
#[derive(Debug, Clone, Copy)]
pub enum Rule {}

/// y = a·b, the rule for `a`: ā += ȳ·∂(a·b)/∂a, reading `b`.
#[diagnostic::on_unimplemented(
    message = "tapeless: no rule for `a * b` with adjoint `{DA}`, b: `{B}`, output adjoint `{DY}`",
    note = "products of f32/f64 scalars and nalgebra 0.35 matrices (feature `nalgebra`; depend on `nalgebra = \"0.35\"` or use `tapeless::nalgebra`) are supported"
)]
pub trait MulVjpLhs<DA, B: ?Sized, DY> {
    /// ā += ȳ·∂(a·b)/∂a.
    fn mul_vjp_lhs(d_a: &mut DA, b: &B, d_y: &DY);

    /// ā = ȳ·∂(a·b)/∂a, the first contribution to ā: `zero()` (ā's zero, which also
    /// gives ā its type) with the contribution added, unless the rule writes it directly.
    #[inline(always)]
    fn mul_vjp_lhs_first(zero: impl FnOnce() -> DA, b: &B, d_y: &DY) -> DA {
        let mut d_a = zero();
        Self::mul_vjp_lhs(&mut d_a, b, d_y);
        d_a
    }
}

/// y = a·b, the rule for `b`: b̄ += ȳ·∂(a·b)/∂b, reading `a`.
#[diagnostic::on_unimplemented(
    message = "tapeless: no rule for `a * b` with adjoint `{DB}`, a: `{A}`, output adjoint `{DY}`",
    note = "products of f32/f64 scalars and nalgebra 0.35 matrices (feature `nalgebra`; depend on `nalgebra = \"0.35\"` or use `tapeless::nalgebra`) are supported"
)]
pub trait MulVjpRhs<DB, A: ?Sized, DY> {
    /// b̄ += ȳ·∂(a·b)/∂b.
    fn mul_vjp_rhs(d_b: &mut DB, a: &A, d_y: &DY);

    /// b̄ = ȳ·∂(a·b)/∂b, the first contribution to b̄ (see
    /// [`MulVjpLhs::mul_vjp_lhs_first`]).
    #[inline(always)]
    fn mul_vjp_rhs_first(zero: impl FnOnce() -> DB, a: &A, d_y: &DY) -> DB {
        let mut d_b = zero();
        Self::mul_vjp_rhs(&mut d_b, a, d_y);
        d_b
    }
}

/// y = a/b, the rule for `a`: ā += ȳ/b, reading `b`.
#[diagnostic::on_unimplemented(
    message = "tapeless: no rule for `a / b` with adjoint `{DA}`, b: `{B}`, output adjoint `{DY}`",
    note = "a scalar or a nalgebra 0.35 matrix (feature `nalgebra`; depend on `nalgebra = \"0.35\"` or use `tapeless::nalgebra`) divided by a scalar is supported"
)]
pub trait DivVjpLhs<DA, B: ?Sized, DY> {
    /// ā += ȳ/b.
    fn div_vjp_lhs(d_a: &mut DA, b: &B, d_y: &DY);
}

/// y = a/b, the rule for `b`: b̄ −= ⟨ȳ, y⟩/b, reading `b` and the output `y`.
#[diagnostic::on_unimplemented(
    message = "tapeless: no rule for `a / b` with adjoint `{DB}`, b: `{B}`, y: `{Y}`, output adjoint `{DY}`",
    note = "a scalar or a nalgebra 0.35 matrix (feature `nalgebra`; depend on `nalgebra = \"0.35\"` or use `tapeless::nalgebra`) divided by a scalar is supported"
)]
pub trait DivVjpRhs<DB, B: ?Sized, Y: ?Sized, DY> {
    /// b̄ −= ⟨ȳ, y⟩/b.
    fn div_vjp_rhs(d_b: &mut DB, b: &B, y: &Y, d_y: &DY);
}

/// y = a·b: ā += ȳ·b (scalars); Ā += Ȳ·Bᵀ (matrices); ā += ⟨Ȳ, B⟩ (scalar·matrix);
/// Ā += Ȳ·b (matrix·scalar). Reads `b`.
#[inline(always)]
pub fn mul_vjp_lhs<DA, B: ?Sized, DY>(d_a: &mut DA, b: &B, d_y: &DY)
where
    Rule: MulVjpLhs<DA, B, DY>,
{
    Rule::mul_vjp_lhs(d_a, b, d_y);
}

/// y = a·b: b̄ += ȳ·a (scalars); B̄ += Aᵀ·Ȳ (matrices); B̄ += a·Ȳ (scalar·matrix);
/// b̄ += ⟨Ȳ, A⟩ (matrix·scalar). Reads `a`.
#[inline(always)]
pub fn mul_vjp_rhs<DB, A: ?Sized, DY>(d_b: &mut DB, a: &A, d_y: &DY)
where
    Rule: MulVjpRhs<DB, A, DY>,
{
    Rule::mul_vjp_rhs(d_b, a, d_y);
}

/// y = a·b, where this is the first contribution to ā: ā = ȳ·∂(a·b)/∂a, declared as the
/// adjoint instead of a zero it is added into (a matrix's adjoint is written once;
/// `zero` is called only by rules that add). Reads `b`.
#[inline(always)]
pub fn mul_vjp_lhs_first<DA, B: ?Sized, DY>(zero: impl FnOnce() -> DA, b: &B, d_y: &DY) -> DA
where
    Rule: MulVjpLhs<DA, B, DY>,
{
    Rule::mul_vjp_lhs_first(zero, b, d_y)
}

/// y = a·b, where this is the first contribution to b̄ (see [`mul_vjp_lhs_first`]).
/// Reads `a`.
#[inline(always)]
pub fn mul_vjp_rhs_first<DB, A: ?Sized, DY>(zero: impl FnOnce() -> DB, a: &A, d_y: &DY) -> DB
where
    Rule: MulVjpRhs<DB, A, DY>,
{
    Rule::mul_vjp_rhs_first(zero, a, d_y)
}

/// y = a/b: ā += ȳ/b (scalars); Ā += Ȳ/b (matrix/scalar). Reads `b`.
#[inline(always)]
pub fn div_vjp_lhs<DA, B: ?Sized, DY>(d_a: &mut DA, b: &B, d_y: &DY)
where
    Rule: DivVjpLhs<DA, B, DY>,
{
    Rule::div_vjp_lhs(d_a, b, d_y);
}

/// y = a/b: b̄ −= ȳ·y/b (= ȳ·a/b², scalars); b̄ −= ⟨Ȳ, Y⟩/b (matrix/scalar). Reads `b`
/// and `y`.
#[inline(always)]
pub fn div_vjp_rhs<DB, B: ?Sized, Y: ?Sized, DY>(d_b: &mut DB, b: &B, y: &Y, d_y: &DY)
where
    Rule: DivVjpRhs<DB, B, Y, DY>,
{
    Rule::div_vjp_rhs(d_b, b, y, d_y);
}

/// y = a·b, a's contribution to ẏ: `mul_jvp_lhs(b, t_a)` = ȧ·b, reading `b`.
#[diagnostic::on_unimplemented(
    message = "tapeless: no forward rule for `a * b` with tangent `{TA}`, b: `{B}`, output tangent `{TY}`",
    note = "products of f32/f64 scalars and nalgebra 0.35 matrices (feature `nalgebra`) are supported"
)]
pub trait MulJvpLhs<TA, B: ?Sized, TY> {
    /// ȧ·b.
    fn mul_jvp_lhs(b: &B, t_a: &TA) -> TY;
}

/// y = a·b, b's contribution to ẏ: `mul_jvp_rhs(a, t_b)` = a·ḃ, reading `a`.
#[diagnostic::on_unimplemented(
    message = "tapeless: no forward rule for `a * b` with tangent `{TB}`, a: `{A}`, output tangent `{TY}`",
    note = "products of f32/f64 scalars and nalgebra 0.35 matrices (feature `nalgebra`) are supported"
)]
pub trait MulJvpRhs<TB, A: ?Sized, TY> {
    /// a·ḃ.
    fn mul_jvp_rhs(a: &A, t_b: &TB) -> TY;
}

/// y = a/b, a's contribution to ẏ: ȧ/b, reading `b`.
#[diagnostic::on_unimplemented(
    message = "tapeless: no forward rule for `a / b` with tangent `{TA}`, b: `{B}`, output tangent `{TY}`",
    note = "a scalar or a nalgebra 0.35 matrix (feature `nalgebra`) divided by a scalar is supported"
)]
pub trait DivJvpLhs<TA, B: ?Sized, TY> {
    /// ȧ/b.
    fn div_jvp_lhs(b: &B, t_a: &TA) -> TY;
}

/// y = a/b, b's contribution to ẏ: −y·ḃ/b, reading `b` and the output `y`.
#[diagnostic::on_unimplemented(
    message = "tapeless: no forward rule for `a / b` with tangent `{TB}`, b: `{B}`, y: `{Y}`, output tangent `{TY}`",
    note = "a scalar or a nalgebra 0.35 matrix (feature `nalgebra`) divided by a scalar is supported"
)]
pub trait DivJvpRhs<TB, B: ?Sized, Y: ?Sized, TY> {
    /// −y·ḃ/b.
    fn div_jvp_rhs(b: &B, y: &Y, t_b: &TB) -> TY;
}

/// y = a·b, a's contribution to ẏ: ȧ·b (scalars, matrices, scalar·matrix, matrix·scalar).
#[inline(always)]
pub fn mul_jvp_lhs<TA, B: ?Sized, TY>(b: &B, t_a: &TA) -> TY
where
    Rule: MulJvpLhs<TA, B, TY>,
{
    Rule::mul_jvp_lhs(b, t_a)
}

/// y = a·b, b's contribution to ẏ: a·ḃ.
#[inline(always)]
pub fn mul_jvp_rhs<TB, A: ?Sized, TY>(a: &A, t_b: &TB) -> TY
where
    Rule: MulJvpRhs<TB, A, TY>,
{
    Rule::mul_jvp_rhs(a, t_b)
}

/// y = a/b, a's contribution to ẏ: ȧ/b.
#[inline(always)]
pub fn div_jvp_lhs<TA, B: ?Sized, TY>(b: &B, t_a: &TA) -> TY
where
    Rule: DivJvpLhs<TA, B, TY>,
{
    Rule::div_jvp_lhs(b, t_a)
}

/// y = a/b, b's contribution to ẏ: −y·ḃ/b.
#[inline(always)]
pub fn div_jvp_rhs<TB, B: ?Sized, Y: ?Sized, TY>(b: &B, y: &Y, t_b: &TB) -> TY
where
    Rule: DivJvpRhs<TB, B, Y, TY>,
{
    Rule::div_jvp_rhs(b, y, t_b)
}

// One case per operator for every scalar float type (`f32`, `f64`, dual numbers), so
// generic code needs no `Rule` bound: the impls themselves say which types go together.
impl<T: Real> MulVjpLhs<T, T, T> for Rule {
    #[inline(always)]
    fn mul_vjp_lhs(d_a: &mut T, b: &T, d_y: &T) {
        *d_a += *d_y * *b;
    }
}

impl<T: Real> MulVjpRhs<T, T, T> for Rule {
    #[inline(always)]
    fn mul_vjp_rhs(d_b: &mut T, a: &T, d_y: &T) {
        *d_b += *d_y * *a;
    }
}

impl<T: Real> DivVjpLhs<T, T, T> for Rule {
    #[inline(always)]
    fn div_vjp_lhs(d_a: &mut T, b: &T, d_y: &T) {
        *d_a += *d_y / *b;
    }
}

impl<T: Real> MulJvpLhs<T, T, T> for Rule {
    #[inline(always)]
    fn mul_jvp_lhs(b: &T, t_a: &T) -> T {
        *t_a * *b
    }
}

impl<T: Real> MulJvpRhs<T, T, T> for Rule {
    #[inline(always)]
    fn mul_jvp_rhs(a: &T, t_b: &T) -> T {
        *t_b * *a
    }
}

impl<T: Real> DivJvpLhs<T, T, T> for Rule {
    #[inline(always)]
    fn div_jvp_lhs(b: &T, t_a: &T) -> T {
        *t_a / *b
    }
}

impl<T: Real> DivJvpRhs<T, T, T, T> for Rule {
    #[inline(always)]
    fn div_jvp_rhs(b: &T, y: &T, t_b: &T) -> T {
        -(*t_b / *b * *y)
    }
}

impl<T: Real> DivVjpRhs<T, T, T, T> for Rule {
    #[inline(always)]
    fn div_vjp_rhs(d_b: &mut T, b: &T, y: &T, d_y: &T) {
        // ȳ/b is the numerator's rule too: written the same way, the two share one
        // division once inlined.
        *d_b += -(*d_y / *b * *y);
    }
}

#[cfg(feature = "nalgebra")]
mod linalg {
    use nalgebra::allocator::Allocator;
    use nalgebra::constraint::{SameNumberOfColumns, SameNumberOfRows, ShapeConstraint};
    use nalgebra::{DefaultAllocator, Dim, Matrix, OMatrix, Storage};

    use nalgebra::constraint::AreMultipliable;

    use super::{
        DivJvpLhs, DivJvpRhs, DivVjpLhs, DivVjpRhs, MulJvpLhs, MulJvpRhs, MulVjpLhs, MulVjpRhs,
        Rule,
    };
    use crate::matrix::transposed;
    use crate::Real;

    /// C = A·B (A: R1×C1, B: R2×C2 with C1 = R2): Ā += C̄·Bᵀ, by `gemm` with a
    /// transposed view of B as the right factor (no copy; for large dynamic
    /// matrices nalgebra hands the strides to `matrixmultiply`).
    impl<T: Real, R1, C1, R2, C2, SB>
        MulVjpLhs<OMatrix<T, R1, C1>, Matrix<T, R2, C2, SB>, OMatrix<T, R1, C2>> for Rule
    where
        R1: Dim,
        C1: Dim,
        R2: Dim,
        C2: Dim,
        SB: Storage<T, R2, C2>,
        DefaultAllocator: Allocator<R1, C1> + Allocator<R1, C2>,
        ShapeConstraint: SameNumberOfColumns<C1, R2>,
    {
        #[inline(always)]
        fn mul_vjp_lhs(
            d_a: &mut OMatrix<T, R1, C1>,
            b: &Matrix<T, R2, C2, SB>,
            d_y: &OMatrix<T, R1, C2>,
        ) {
            d_a.gemm(T::one(), d_y, &transposed(b), T::one());
        }

        /// Ā = C̄·Bᵀ: `gemm` with β = 0 writes Ā without reading it.
        #[inline(always)]
        fn mul_vjp_lhs_first(
            zero: impl FnOnce() -> OMatrix<T, R1, C1>,
            b: &Matrix<T, R2, C2, SB>,
            d_y: &OMatrix<T, R1, C2>,
        ) -> OMatrix<T, R1, C1> {
            let mut d_a = zero();
            d_a.gemm(T::one(), d_y, &transposed(b), T::zero());
            d_a
        }
    }

    /// C = A·B (A: R1×C1, B: R2×C2 with C1 = R2): B̄ += Aᵀ·C̄, by `gemm` with an owned
    /// copy of Aᵀ as the left factor (R1·C1 entries copied for R1·C1·C2 multiplications).
    ///
    /// Not `gemm_tr`: it forms each entry as a dot product of length R1, which for the
    /// thin factors of a broadcast (`b * ones`, R1 = 1) or a small layer costs far more
    /// than the product (the MLP's `w2ᵀ·dz`, GMM's `1ᵀ(Y∘Y)`). Not `gemm` with a transposed
    /// *view* of A: nalgebra's `gemm`/`gemv` (0.34) index out of bounds when the left
    /// factor's columns are not contiguous (`axcpy_uninit` takes the length of the strided
    /// slice for the vector's).
    impl<T: Real, R1, C1, R2, C2, SA>
        MulVjpRhs<OMatrix<T, R2, C2>, Matrix<T, R1, C1, SA>, OMatrix<T, R1, C2>> for Rule
    where
        R1: Dim,
        C1: Dim,
        R2: Dim,
        C2: Dim,
        SA: Storage<T, R1, C1>,
        DefaultAllocator: Allocator<R2, C2> + Allocator<R1, C2> + Allocator<C1, R1>,
        ShapeConstraint: SameNumberOfRows<R2, C1>,
    {
        #[inline(always)]
        fn mul_vjp_rhs(
            d_b: &mut OMatrix<T, R2, C2>,
            a: &Matrix<T, R1, C1, SA>,
            d_y: &OMatrix<T, R1, C2>,
        ) {
            d_b.gemm(T::one(), &a.transpose(), d_y, T::one());
        }

        /// B̄ = Aᵀ·C̄: `gemm` with β = 0 writes B̄ without reading it.
        #[inline(always)]
        fn mul_vjp_rhs_first(
            zero: impl FnOnce() -> OMatrix<T, R2, C2>,
            a: &Matrix<T, R1, C1, SA>,
            d_y: &OMatrix<T, R1, C2>,
        ) -> OMatrix<T, R2, C2> {
            let mut d_b = zero();
            d_b.gemm(T::one(), &a.transpose(), d_y, T::zero());
            d_b
        }
    }

    /// C = a·B (a scalar): ā += ⟨C̄, B⟩.
    impl<T: Real, R, C, SB> MulVjpLhs<T, Matrix<T, R, C, SB>, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        SB: Storage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn mul_vjp_lhs(d_a: &mut T, b: &Matrix<T, R, C, SB>, d_y: &OMatrix<T, R, C>) {
            *d_a += d_y.dot(b);
        }
    }

    /// C = a·B (a scalar): B̄ += a·C̄.
    impl<T: Real, R, C> MulVjpRhs<OMatrix<T, R, C>, T, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn mul_vjp_rhs(d_b: &mut OMatrix<T, R, C>, a: &T, d_y: &OMatrix<T, R, C>) {
            let a = *a;
            d_b.zip_apply(d_y, |d, c| *d += c * a);
        }

        /// B̄ = a·C̄, one pass: no zeros made.
        #[inline(always)]
        fn mul_vjp_rhs_first(
            _zero: impl FnOnce() -> OMatrix<T, R, C>,
            a: &T,
            d_y: &OMatrix<T, R, C>,
        ) -> OMatrix<T, R, C> {
            d_y * *a
        }
    }

    /// C = A·b (b scalar): Ā += C̄·b.
    impl<T: Real, R, C> MulVjpLhs<OMatrix<T, R, C>, T, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn mul_vjp_lhs(d_a: &mut OMatrix<T, R, C>, b: &T, d_y: &OMatrix<T, R, C>) {
            let b = *b;
            d_a.zip_apply(d_y, |d, c| *d += c * b);
        }

        /// Ā = C̄·b, one pass: no zeros made.
        #[inline(always)]
        fn mul_vjp_lhs_first(
            _zero: impl FnOnce() -> OMatrix<T, R, C>,
            b: &T,
            d_y: &OMatrix<T, R, C>,
        ) -> OMatrix<T, R, C> {
            d_y * *b
        }
    }

    /// C = A·b (b scalar): b̄ += ⟨C̄, A⟩.
    impl<T: Real, R, C, SA> MulVjpRhs<T, Matrix<T, R, C, SA>, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        SA: Storage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn mul_vjp_rhs(d_b: &mut T, a: &Matrix<T, R, C, SA>, d_y: &OMatrix<T, R, C>) {
            *d_b += d_y.dot(a);
        }
    }

    /// Y = A/b (b scalar): Ā += Ȳ/b.
    impl<T: Real, R, C> DivVjpLhs<OMatrix<T, R, C>, T, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn div_vjp_lhs(d_a: &mut OMatrix<T, R, C>, b: &T, d_y: &OMatrix<T, R, C>) {
            let b = *b;
            d_a.zip_apply(d_y, |d, c| *d += c / b);
        }
    }

    /// C = A·B: Ȧ·B.
    impl<T: Real, R1, C1, R2, C2, SB>
        MulJvpLhs<OMatrix<T, R1, C1>, Matrix<T, R2, C2, SB>, OMatrix<T, R1, C2>> for Rule
    where
        R1: Dim,
        C1: Dim,
        R2: Dim,
        C2: Dim,
        SB: Storage<T, R2, C2>,
        DefaultAllocator: Allocator<R1, C1> + Allocator<R1, C2>,
        ShapeConstraint: AreMultipliable<R1, C1, R2, C2>,
    {
        #[inline(always)]
        fn mul_jvp_lhs(b: &Matrix<T, R2, C2, SB>, t_a: &OMatrix<T, R1, C1>) -> OMatrix<T, R1, C2> {
            t_a * b
        }
    }

    /// C = A·B: A·Ḃ.
    impl<T: Real, R1, C1, R2, C2, SA>
        MulJvpRhs<OMatrix<T, R2, C2>, Matrix<T, R1, C1, SA>, OMatrix<T, R1, C2>> for Rule
    where
        R1: Dim,
        C1: Dim,
        R2: Dim,
        C2: Dim,
        SA: Storage<T, R1, C1>,
        DefaultAllocator: Allocator<R2, C2> + Allocator<R1, C2>,
        ShapeConstraint: AreMultipliable<R1, C1, R2, C2>,
    {
        #[inline(always)]
        fn mul_jvp_rhs(a: &Matrix<T, R1, C1, SA>, t_b: &OMatrix<T, R2, C2>) -> OMatrix<T, R1, C2> {
            a * t_b
        }
    }

    /// C = a·B (a scalar): ȧ·B.
    impl<T: Real, R, C, SB> MulJvpLhs<T, Matrix<T, R, C, SB>, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        SB: Storage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn mul_jvp_lhs(b: &Matrix<T, R, C, SB>, t_a: &T) -> OMatrix<T, R, C> {
            let t_a = *t_a;
            b.map(|v| t_a * v)
        }
    }

    /// C = a·B (a scalar): a·Ḃ.
    impl<T: Real, R, C> MulJvpRhs<OMatrix<T, R, C>, T, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn mul_jvp_rhs(a: &T, t_b: &OMatrix<T, R, C>) -> OMatrix<T, R, C> {
            let a = *a;
            t_b.map(|v| a * v)
        }
    }

    /// C = A·b (b scalar): Ȧ·b.
    impl<T: Real, R, C> MulJvpLhs<OMatrix<T, R, C>, T, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn mul_jvp_lhs(b: &T, t_a: &OMatrix<T, R, C>) -> OMatrix<T, R, C> {
            let b = *b;
            t_a.map(|v| v * b)
        }
    }

    /// C = A·b (b scalar): A·ḃ.
    impl<T: Real, R, C, SA> MulJvpRhs<T, Matrix<T, R, C, SA>, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        SA: Storage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn mul_jvp_rhs(a: &Matrix<T, R, C, SA>, t_b: &T) -> OMatrix<T, R, C> {
            let t_b = *t_b;
            a.map(|v| v * t_b)
        }
    }

    /// Y = A/b (b scalar): Ȧ/b.
    impl<T: Real, R, C> DivJvpLhs<OMatrix<T, R, C>, T, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn div_jvp_lhs(b: &T, t_a: &OMatrix<T, R, C>) -> OMatrix<T, R, C> {
            let b = *b;
            t_a.map(|v| v / b)
        }
    }

    /// Y = A/b (b scalar): −Y·ḃ/b.
    impl<T: Real, R, C, SY> DivJvpRhs<T, T, Matrix<T, R, C, SY>, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        SY: Storage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn div_jvp_rhs(b: &T, y: &Matrix<T, R, C, SY>, t_b: &T) -> OMatrix<T, R, C> {
            let scale = *t_b / *b;
            y.map(|v| -(scale * v))
        }
    }

    /// Y = A/b (b scalar): b̄ −= ⟨Ȳ, Y⟩/b.
    impl<T: Real, R, C, SY> DivVjpRhs<T, T, Matrix<T, R, C, SY>, OMatrix<T, R, C>> for Rule
    where
        R: Dim,
        C: Dim,
        SY: Storage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        #[inline(always)]
        fn div_vjp_rhs(d_b: &mut T, b: &T, y: &Matrix<T, R, C, SY>, d_y: &OMatrix<T, R, C>) {
            *d_b += -(d_y.dot(y) / *b);
        }
    }
}

/// An operand of an arithmetic operator whose type the macro does not know (the result of
/// a call, a `*r`, ...): a scalar (or integer) by value, a matrix by reference. nalgebra
/// has no `&Matrix * &f64` (nor `&f64 * &Matrix`, `&Matrix / &f64`), and a generic `T`
/// has no `T + &T`, so the generated code writes `by_operand(&a) * by_operand(&b)`, which
/// is `a * b`, `&a * b` or `&a * &b` by the types.
pub trait Operand<'a> {
    /// `Self` for a scalar, `&'a Self` for a matrix.
    type Out;
    /// The value itself (a scalar) or a reference to it (a matrix).
    fn by_operand(&'a self) -> Self::Out;
}

/// See [`Operand`].
#[inline(always)]
pub fn by_operand<'a, T: Operand<'a> + ?Sized>(value: &'a T) -> T::Out {
    value.by_operand()
}

macro_rules! scalar_operands {
    ($($t:ty),*) => {$(
        impl<'a> Operand<'a> for $t {
            type Out = $t;
            #[inline(always)]
            fn by_operand(&'a self) -> $t {
                *self
            }
        }
    )*};
}

// Integers too: data arithmetic (`n + 1` of an `&usize`) goes through the same path.
scalar_operands!(f32, f64, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

impl<'a, T: Operand<'a> + ?Sized> Operand<'a> for &T {
    type Out = T::Out;
    #[inline(always)]
    fn by_operand(&'a self) -> T::Out {
        (**self).by_operand()
    }
}

#[cfg(feature = "nalgebra")]
impl<'a, T: 'a, R: nalgebra::Dim + 'a, C: nalgebra::Dim + 'a, S: 'a> Operand<'a>
    for nalgebra::Matrix<T, R, C, S>
{
    type Out = &'a Self;
    #[inline(always)]
    fn by_operand(&'a self) -> &'a Self {
        self
    }
}
