//! The nalgebra rules (feature `nalgebra`): the adjoint traits for matrices, the matrix
//! cases of the operator rules (`ops`), and every rule of `matrix`, against five-point
//! central differences.
//!
//! Each rule is checked on random dynamic shapes (every dimension in 1..5) and on static
//! ones (2×3, 3×3, ...), with f64, starting from a random nonzero adjoint (so that a rule
//! that overwrites instead of accumulating fails), to a relative error below 1e-6
//! (`support::check_rule`). Primal arguments are also passed as views, some with
//! non-unit strides, because rules take any storage. The matrix product is checked
//! further by the dot-product test ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩ and by the shapes of its
//! adjoints for a rectangular product: the rules are products, never a Jacobian.

mod support;

use nalgebra::{
    DMatrix, DVector, Dyn, Matrix2, Matrix2x3, Matrix3, Matrix3x4, OMatrix, RowDVector, Vector3, U3,
};
use proptest::prelude::*;
use support::{check_dot_product, check_rule, Flat, Rng};
use tapeless_runtime::index::index_vjp;
use tapeless_runtime::matrix::*;
use tapeless_runtime::scalar::{
    add_vjp_lhs, add_vjp_rhs, div_vjp_lhs, div_vjp_rhs, mul_vjp_lhs, mul_vjp_rhs, neg_vjp,
    sub_vjp_lhs, sub_vjp_rhs,
};
use tapeless_runtime::{
    accumulate, zero, zero_adjoint, zeros_like, Accumulate, Differentiable, FixedZero,
};

/// A random matrix of the given shape (entries in [-2, 2)).
fn random(rng: &mut Rng, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.value())
}

/// A random value shaped like `like` (entries in [-2, 2)).
fn like<V: Flat>(rng: &mut Rng, like: &V) -> V {
    rng.fill(like, Rng::value)
}

/// A random nonzero starting adjoint shaped like `like`.
fn start<V: Flat>(rng: &mut Rng, like: &V) -> V {
    rng.fill(like, Rng::nonzero)
}

/// A well-conditioned n×n matrix: random plus 4·I (diagonally dominant).
fn well_conditioned(rng: &mut Rng, n: usize) -> DMatrix<f64> {
    random(rng, n, n) * 0.5 + DMatrix::identity(n, n) * 4.0
}

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(64)
}

// ---------------------------------------------------------------------------------------
// The adjoint traits.

fn bits(m: &DMatrix<f64>) -> Vec<u64> {
    m.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn zeros_like_and_zero_adjoint_have_the_shape_and_the_sign() {
    let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let z: DMatrix<f64> = zeros_like(&m);
    assert_eq!(z.shape(), (2, 3));
    assert!(z.iter().all(|x| *x == 0.0 && x.is_sign_positive()));
    let z: DMatrix<f64> = zero_adjoint(&m);
    assert!(z.iter().all(|x| *x == 0.0 && x.is_sign_negative()));

    // A view's gradient is owned, with the view's shape.
    let view = m.view((0, 1), (2, 2));
    let z: DMatrix<f64> = zeros_like(&view);
    assert_eq!(z.shape(), (2, 2));
    let strided = m.view_with_steps((0, 0), (2, 2), (0, 1));
    let z: OMatrix<f64, Dyn, Dyn> = zero_adjoint(&strided);
    assert_eq!(z.shape(), (2, 2));

    // Static and vector types keep their type.
    let z: Matrix2x3<f64> = zero_adjoint(&Matrix2x3::<f64>::repeat(1.0));
    assert!(z.iter().all(|x| x.is_sign_negative()));
    let z: Vector3<f32> = zeros_like(&Vector3::<f32>::new(1.0, 2.0, 3.0));
    assert_eq!(z, Vector3::zeros());
    let z: DVector<f64> = zero_adjoint(&DVector::<f64>::from_element(4, 1.0));
    assert_eq!(z.len(), 4);
    let z: RowDVector<f64> = zeros_like(&RowDVector::<f64>::from_element(5, 1.0));
    assert_eq!(z.shape(), (1, 5));
    // Through a reference, as the generated code calls it for `&DMatrix` parameters.
    let g: <&DMatrix<f64> as Differentiable>::Grad = zeros_like(&&m);
    assert_eq!(g.shape(), (2, 3));

    // Static matrices also have a zero that needs no value.
    let z: Matrix3<f64> = zero();
    assert!(z.iter().all(|x| *x == 0.0 && x.is_sign_negative()));
    assert_eq!(Matrix2::<f32>::fixed_zero(), Matrix2::zeros());
}

#[test]
fn accumulate_subtract_and_set_zero_work_entrywise() {
    let mut rng = Rng::new(1);
    let a = random(&mut rng, 3, 2);
    let b = random(&mut rng, 3, 2);
    let mut sum = a.clone();
    accumulate(&mut sum, &b);
    assert_eq!(sum, &a + &b);
    let mut difference = a.clone();
    difference.subtract(&b);
    assert_eq!(difference, &a - &b);
    difference.set_zero();
    assert_eq!(difference.shape(), (3, 2));
    assert!(difference.iter().all(|x| *x == 0.0 && x.is_sign_negative()));

    // The first contribution into a fresh adjoint is bit-for-bit the contribution, also for
    // −0.0 entries (−0.0 is the additive identity, +0.0 is not).
    let mut contribution = random(&mut rng, 3, 2);
    contribution[(1, 1)] = -0.0;
    let mut adjoint = zero_adjoint(&a);
    adjoint.accumulate(&contribution);
    assert_eq!(bits(&adjoint), bits(&contribution));

    // Static matrices.
    let mut s = Matrix3::<f64>::identity();
    s.accumulate(&Matrix3::repeat(2.0));
    s.subtract(&Matrix3::repeat(1.0));
    assert_eq!(s, Matrix3::identity() + Matrix3::repeat(1.0));
}

#[test]
#[should_panic]
fn accumulating_adjoints_of_different_shapes_panics() {
    let mut a = DMatrix::<f64>::zeros(2, 2);
    a.accumulate(&DMatrix::zeros(2, 3));
}

#[test]
fn subtract_of_scalars_arrays_and_vecs() {
    let mut x = 1.5_f64;
    x.subtract(&0.25);
    assert_eq!(x, 1.25);
    let mut y = 1.5_f32;
    y.subtract(&2.0);
    assert_eq!(y, -0.5);
    let mut a = [[1.0_f64, 2.0], [3.0, 4.0]];
    a.subtract(&[[1.0, 1.0], [1.0, 1.0]]);
    assert_eq!(a, [[0.0, 1.0], [2.0, 3.0]]);
    let mut v = vec![1.0_f64, 2.0];
    v.subtract(&vec![0.5, 0.5]);
    assert_eq!(v, [0.5, 1.5]);
}

// ---------------------------------------------------------------------------------------
// Operators: +, -, unary -.

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn add_sub_neg_of_matrices(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (a, b) = (random(&mut rng, r, c), random(&mut rng, r, c));
        let w = random(&mut rng, r, c);
        let d0 = start(&mut rng, &a);
        check_rule("add_vjp_lhs", |a: &DMatrix<f64>| a + &b, &a, &w, &d0, |d| add_vjp_lhs(d, &w));
        check_rule("add_vjp_rhs", |b: &DMatrix<f64>| &a + b, &b, &w, &d0, |d| add_vjp_rhs(d, &w));
        check_rule("sub_vjp_lhs", |a: &DMatrix<f64>| a - &b, &a, &w, &d0, |d| sub_vjp_lhs(d, &w));
        check_rule("sub_vjp_rhs", |b: &DMatrix<f64>| &a - b, &b, &w, &d0, |d| sub_vjp_rhs(d, &w));
        check_rule("neg_vjp", |a: &DMatrix<f64>| -a, &a, &w, &d0, |d| neg_vjp(d, &w));
    }
}

#[test]
fn add_sub_neg_of_static_matrices() {
    let mut rng = Rng::new(2);
    let a: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    let b: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    let w: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    let d0 = start(&mut rng, &a);
    check_rule(
        "add_vjp_lhs",
        |a: &Matrix2x3<f64>| a + b,
        &a,
        &w,
        &d0,
        |d| add_vjp_lhs(d, &w),
    );
    check_rule(
        "sub_vjp_rhs",
        |b: &Matrix2x3<f64>| a - b,
        &b,
        &w,
        &d0,
        |d| sub_vjp_rhs(d, &w),
    );
    check_rule(
        "neg_vjp",
        |a: &Matrix2x3<f64>| -a,
        &a,
        &w,
        &d0,
        |d| neg_vjp(d, &w),
    );
}

// ---------------------------------------------------------------------------------------
// Operators: the matrix product and its scalar cases.

proptest! {
    #![proptest_config(cases())]

    /// C = A·B for A: r×k, B: k×c (vectors and row vectors included as 1-wide shapes).
    #[test]
    fn matrix_product(r in 1..5usize, k in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (a, b) = (random(&mut rng, r, k), random(&mut rng, k, c));
        let w = random(&mut rng, r, c);
        let (da0, db0) = (start(&mut rng, &a), start(&mut rng, &b));
        check_rule("mul_vjp_lhs", |a: &DMatrix<f64>| a * &b, &a, &w, &da0, |d| {
            mul_vjp_lhs(d, &b, &w)
        });
        check_rule("mul_vjp_rhs", |b: &DMatrix<f64>| &a * b, &b, &w, &db0, |d| {
            mul_vjp_rhs(d, &a, &w)
        });

        // The same product with both operands read through views of larger matrices, one
        // of them with a row step (non-unit strides: the transposed view must follow them).
        let big_a = random(&mut rng, 2 * r + 1, k + 1);
        let a_view = big_a.view_with_steps((1, 1), (r, k), (1, 0));
        let big_b = random(&mut rng, k + 2, c + 2);
        let b_view = big_b.view((2, 1), (k, c));
        let (a_owned, b_owned) = (a_view.clone_owned(), b_view.clone_owned());
        check_rule("mul_vjp_lhs (view)", |a: &DMatrix<f64>| a * &b_owned, &a_owned, &w, &da0, |d| {
            mul_vjp_lhs(d, &b_view, &w)
        });
        check_rule("mul_vjp_rhs (view)", |b: &DMatrix<f64>| &a_owned * b, &b_owned, &w, &db0, |d| {
            mul_vjp_rhs(d, &a_view, &w)
        });
    }

    /// Matrix·vector, vector·row vector (outer product), row vector·matrix.
    #[test]
    fn products_with_vectors(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let m = random(&mut rng, r, c);
        let x = DVector::from_fn(c, |_, _| rng.value());
        let w = DVector::from_fn(r, |_, _| rng.value());
        let dm0 = start(&mut rng, &m);
        let dx0 = start(&mut rng, &x);
        check_rule("mul_vjp_lhs (M·x)", |m: &DMatrix<f64>| m * &x, &m, &w, &dm0, |d| mul_vjp_lhs(d, &x, &w));
        check_rule("mul_vjp_rhs (M·x)", |x: &DVector<f64>| &m * x, &x, &w, &dx0, |d| mul_vjp_rhs(d, &m, &w));

        let u = DVector::from_fn(r, |_, _| rng.value());
        let v = RowDVector::from_fn(c, |_, _| rng.value());
        let w = random(&mut rng, r, c);
        let du0 = start(&mut rng, &u);
        let dv0 = start(&mut rng, &v);
        check_rule("mul_vjp_lhs (u·vᵀ)", |u: &DVector<f64>| u * &v, &u, &w, &du0, |d| mul_vjp_lhs(d, &v, &w));
        check_rule("mul_vjp_rhs (u·vᵀ)", |v: &RowDVector<f64>| &u * v, &v, &w, &dv0, |d| mul_vjp_rhs(d, &u, &w));

        let row = RowDVector::from_fn(r, |_, _| rng.value());
        let w = RowDVector::from_fn(c, |_, _| rng.value());
        let drow0 = start(&mut rng, &row);
        check_rule("mul_vjp_lhs (xᵀ·M)", |row: &RowDVector<f64>| row * &m, &row, &w, &drow0, |d| mul_vjp_lhs(d, &m, &w));
        check_rule("mul_vjp_rhs (xᵀ·M)", |m: &DMatrix<f64>| &row * m, &m, &w, &dm0, |d| mul_vjp_rhs(d, &row, &w));
    }

    /// s·M, M·s and M/s.
    #[test]
    fn scalar_and_matrix(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let m = random(&mut rng, r, c);
        let s = rng.nonzero();
        let w = random(&mut rng, r, c);
        let dm0 = start(&mut rng, &m);
        let ds0 = rng.nonzero();
        check_rule("mul_vjp_lhs (s·M)", |s: &f64| *s * &m, &s, &w, &ds0, |d| mul_vjp_lhs(d, &m, &w));
        check_rule("mul_vjp_rhs (s·M)", |m: &DMatrix<f64>| s * m, &m, &w, &dm0, |d| mul_vjp_rhs(d, &s, &w));
        check_rule("mul_vjp_lhs (M·s)", |m: &DMatrix<f64>| m * s, &m, &w, &dm0, |d| mul_vjp_lhs(d, &s, &w));
        check_rule("mul_vjp_rhs (M·s)", |s: &f64| &m * *s, &s, &w, &ds0, |d| mul_vjp_rhs(d, &m, &w));
        let y = &m / s;
        check_rule("div_vjp_lhs (M/s)", |m: &DMatrix<f64>| m / s, &m, &w, &dm0, |d| div_vjp_lhs(d, &s, &w));
        check_rule("div_vjp_rhs (M/s)", |s: &f64| &m / *s, &s, &w, &ds0, |d| div_vjp_rhs(d, &s, &y, &w));
    }

    /// ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩ for both arguments of the product.
    #[test]
    fn matrix_product_dot_product_test(r in 1..5usize, k in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (a, b) = (random(&mut rng, r, k), random(&mut rng, k, c));
        let (va, vb) = (random(&mut rng, r, k), random(&mut rng, k, c));
        let w = random(&mut rng, r, c);
        check_dot_product("mul_vjp_lhs", |a: &DMatrix<f64>| a * &b, &a, &va, &w, &DMatrix::zeros(r, k), |d| {
            mul_vjp_lhs(d, &b, &w)
        });
        check_dot_product("mul_vjp_rhs", |b: &DMatrix<f64>| &a * b, &b, &vb, &w, &DMatrix::zeros(k, c), |d| {
            mul_vjp_rhs(d, &a, &w)
        });
    }
}

#[test]
fn static_products() {
    let mut rng = Rng::new(3);
    // (2×3)·(3×3).
    let a: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    let b: Matrix3<f64> = like(&mut rng, &Matrix3::zeros());
    let w: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    let (da0, db0) = (start(&mut rng, &a), start(&mut rng, &b));
    check_rule(
        "mul_vjp_lhs",
        |a: &Matrix2x3<f64>| a * b,
        &a,
        &w,
        &da0,
        |d| mul_vjp_lhs(d, &b, &w),
    );
    check_rule(
        "mul_vjp_rhs",
        |b: &Matrix3<f64>| a * b,
        &b,
        &w,
        &db0,
        |d| mul_vjp_rhs(d, &a, &w),
    );
    // Matrix3·Vector3.
    let x: Vector3<f64> = like(&mut rng, &Vector3::zeros());
    let w: Vector3<f64> = like(&mut rng, &Vector3::zeros());
    let dx0 = start(&mut rng, &x);
    check_rule(
        "mul_vjp_lhs (M·x)",
        |b: &Matrix3<f64>| b * x,
        &b,
        &w,
        &db0,
        |d| mul_vjp_lhs(d, &x, &w),
    );
    check_rule(
        "mul_vjp_rhs (M·x)",
        |x: &Vector3<f64>| b * x,
        &x,
        &w,
        &dx0,
        |d| mul_vjp_rhs(d, &b, &w),
    );
    // Static times dynamic: Matrix3·(3×2 DMatrix) is a 3×Dyn matrix.
    let m = random(&mut rng, 3, 2);
    let w: OMatrix<f64, U3, Dyn> = OMatrix::<f64, U3, Dyn>::from_fn(2, |_, _| rng.value());
    let dm0 = start(&mut rng, &m);
    check_rule(
        "mul_vjp_lhs (static·dynamic)",
        |b: &Matrix3<f64>| b * &m,
        &b,
        &w,
        &db0,
        |d| mul_vjp_lhs(d, &m, &w),
    );
    check_rule(
        "mul_vjp_rhs (static·dynamic)",
        |m: &DMatrix<f64>| b * m,
        &m,
        &w,
        &dm0,
        |d| mul_vjp_rhs(d, &b, &w),
    );
    // Scalars and static matrices.
    let s = 1.7;
    let w: Matrix3<f64> = like(&mut rng, &Matrix3::zeros());
    let ds0 = rng.nonzero();
    check_rule(
        "mul_vjp_lhs (s·M)",
        |s: &f64| *s * b,
        &s,
        &w,
        &ds0,
        |d| mul_vjp_lhs(d, &b, &w),
    );
    check_rule(
        "div_vjp_lhs (M/s)",
        |b: &Matrix3<f64>| b / s,
        &b,
        &w,
        &db0,
        |d| div_vjp_lhs(d, &s, &w),
    );
}

#[test]
fn product_adjoints_have_the_operand_shapes_not_a_jacobian() {
    // C = A·B with A: 2×3, B: 3×4. The Jacobian would be a 2×4×(2×3) tensor; the rules
    // produce Ā = C̄·Bᵀ (2×3) and B̄ = Aᵀ·C̄ (3×4), the operands' shapes.
    let mut rng = Rng::new(4);
    let a: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    let b: Matrix3x4<f64> = like(&mut rng, &Matrix3x4::zeros());
    let w = like(&mut rng, &(a * b));
    let mut d_a: Matrix2x3<f64> = zero_adjoint(&a); // the types are the check
    let mut d_b: Matrix3x4<f64> = zero_adjoint(&b);
    mul_vjp_lhs(&mut d_a, &b, &w);
    mul_vjp_rhs(&mut d_b, &a, &w);
    assert!((d_a - w * b.transpose()).amax() < 1e-14);
    assert!((d_b - a.transpose() * w).amax() < 1e-14);

    // The same with dynamic matrices: the shapes come from the values.
    let (a, b) = (random(&mut rng, 2, 3), random(&mut rng, 3, 4));
    let w = random(&mut rng, 2, 4);
    let (mut d_a, mut d_b) = (zero_adjoint(&a), zero_adjoint(&b));
    mul_vjp_lhs(&mut d_a, &b, &w);
    mul_vjp_rhs(&mut d_b, &a, &w);
    assert_eq!((d_a.shape(), d_b.shape()), ((2, 3), (3, 4)));
    assert!((d_a - &w * b.transpose()).amax() < 1e-14);
    assert!((d_b - a.transpose() * &w).amax() < 1e-14);
}

#[test]
fn large_products_agree_with_the_closed_form() {
    // Above nalgebra's threshold for matrixmultiply (dimensions > 5), where the transposed
    // view's strides go to the blocked kernel.
    let mut rng = Rng::new(5);
    let (a, b) = (random(&mut rng, 17, 9), random(&mut rng, 9, 12));
    let w = random(&mut rng, 17, 12);
    let (mut d_a, mut d_b) = (random(&mut rng, 17, 9), random(&mut rng, 9, 12));
    let expected_a = &d_a + &w * b.transpose();
    let expected_b = &d_b + a.transpose() * &w;
    mul_vjp_lhs(&mut d_a, &b, &w);
    mul_vjp_rhs(&mut d_b, &a, &w);
    assert!((d_a - expected_a).amax() < 1e-12);
    assert!((d_b - expected_b).amax() < 1e-12);
}

#[test]
fn f32_products_agree_with_f64() {
    let mut rng = Rng::new(6);
    let (a, b) = (random(&mut rng, 3, 4), random(&mut rng, 4, 2));
    let w = random(&mut rng, 3, 2);
    let (mut d_a, mut d_b) = (DMatrix::<f64>::zeros(3, 4), DMatrix::<f64>::zeros(4, 2));
    mul_vjp_lhs(&mut d_a, &b, &w);
    mul_vjp_rhs(&mut d_b, &a, &w);
    let f32s = |m: &DMatrix<f64>| m.map(|x| x as f32);
    let (mut e_a, mut e_b) = (DMatrix::<f32>::zeros(3, 4), DMatrix::<f32>::zeros(4, 2));
    mul_vjp_lhs(&mut e_a, &f32s(&b), &f32s(&w));
    mul_vjp_rhs(&mut e_b, &f32s(&a), &f32s(&w));
    assert!((e_a.map(f64::from) - d_a).amax() < 1e-5);
    assert!((e_b.map(f64::from) - d_b).amax() < 1e-5);
    // Scalar cases too.
    let mut d_s = 0.0_f32;
    mul_vjp_lhs(&mut d_s, &f32s(&w), &f32s(&w));
    assert!((f64::from(d_s) - w.norm_squared()).abs() < 1e-4);

    // The methods are generic over the element type as well.
    for n in [3, 4] {
        let a = well_conditioned(&mut rng, n);
        let (mut d64, mut d32) = (DMatrix::<f64>::zeros(n, n), DMatrix::<f32>::zeros(n, n));
        determinant_vjp(&mut d64, &a, &a.determinant(), &1.0);
        let a32 = f32s(&a);
        determinant_vjp(&mut d32, &a32, &a32.determinant(), &1.0);
        assert!(
            (d32.map(f64::from) - &d64).amax() < 1e-3 * d64.amax(),
            "n = {n}"
        );
        let b = DVector::from_fn(n, |_, _| rng.value());
        let (mut e64, mut e32) = (DVector::<f64>::zeros(n), DVector::<f32>::zeros(n));
        solve_vjp_b(&mut e64, &a, &b);
        solve_vjp_b(&mut e32, &a32, &b.map(|x| x as f32));
        assert!((e32.map(f64::from) - e64).amax() < 1e-5);
    }
}

/// Scalar adjoints whose type comes only from the rules they receive contributions from.
///
/// With the matrix cases present, `mul_vjp_lhs(&mut d_a, &b, &d_y)` with a scalar `b` fits
/// both a·b (d_a, ȳ scalars) and A·b (d_a, ȳ matrices), so an adjoint declared by
/// `zero()` (any `FixedZero` type) is inferred only when some other rule pins its type.
/// One declared by the float literal `-0.0` can only be a float, so the scalar case is the
/// only candidate and the chain infers as it did without the feature (this compiles or
/// not).
#[test]
fn scalar_adjoints_still_infer_their_type_from_the_rules() {
    // f64 → f32 → f64: x as f32 = y; z = y·y·3; z as f64 + x, reversed as generated code
    // does, where only the primal `y: f32` says that the middle of the chain is f32.
    let x = 0.5_f64;
    let y = x as f32;
    let t0 = y * y;
    let d_t2 = 1.0_f64; // the seed
    let mut d_t1 = -0.0;
    tapeless_runtime::scalar::add_vjp_lhs(&mut d_t1, &d_t2);
    let mut d_z = -0.0;
    tapeless_runtime::scalar::cast_vjp(&mut d_z, &d_t1);
    let mut d_t0 = -0.0;
    mul_vjp_lhs(&mut d_t0, &3.0, &d_z);
    let mut d_y = -0.0;
    mul_vjp_lhs(&mut d_y, &y, &d_t0);
    mul_vjp_rhs(&mut d_y, &y, &d_t0);
    let mut d_x = zeros_like(&x);
    tapeless_runtime::scalar::cast_vjp(&mut d_x, &d_y);
    assert_eq!(d_x, 6.0 * 0.5);
    let _: f32 = d_t0 + t0;

    // Anchored by other rules, `zero()` works too.
    let (a, t8, d_t9) = (1.5_f64, 2.0_f64, 0.5_f64);
    let mut d_t8 = zero();
    mul_vjp_lhs(&mut d_t8, &a, &d_t9);
    let mut d_a = zero();
    mul_vjp_rhs(&mut d_a, &t8, &d_t9);
    mul_vjp_rhs(&mut d_a, &100.0, &d_t8);
    let mut d_q = zero();
    div_vjp_rhs(&mut d_q, &2.0, &a, &d_a);
    let mut d_r = zero();
    div_vjp_lhs(&mut d_r, &4.0, &d_q);
    let _: f64 = d_r;
    assert_eq!(d_t8, 0.75);
    assert_eq!(d_a, 1.0 + 75.0);
    assert_eq!(d_r, -(76.0 * 1.5 / 2.0) / 4.0);

    // And the matrix cases from the adjoints the generated code declares.
    let m = DMatrix::<f64>::identity(2, 2);
    let v = DVector::from_vec(vec![1.0, 2.0]);
    let y = &m * &v;
    let d_y = DVector::from_vec(vec![1.0, 1.0]);
    let (mut d_m, mut d_v) = (zero_adjoint(&m), zero_adjoint(&v));
    mul_vjp_lhs(&mut d_m, &v, &d_y);
    mul_vjp_rhs(&mut d_v, &m, &d_y);
    assert_eq!(d_v, d_y);
    // s·y: the scalar's adjoint takes its type from the scalar (`zero_adjoint(&s)`). From
    // `zero()` alone it could not: `mul_vjp_lhs(d, &y, &d_y)` with y and ȳ vectors fits
    // both s·y (d a scalar) and A·y (d a matrix).
    let s = 2.0;
    let mut d_s = zero_adjoint(&s);
    mul_vjp_lhs(&mut d_s, &y, &d_y);
    assert_eq!(d_s, 3.0);
}

// ---------------------------------------------------------------------------------------
// Matrix methods.

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn transpose(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = random(&mut rng, r, c);
        let w = random(&mut rng, c, r);
        let d0 = start(&mut rng, &x);
        check_rule("transpose_vjp", |x: &DMatrix<f64>| x.transpose(), &x, &w, &d0, |d| transpose_vjp(d, &w));
    }

    #[test]
    fn reductions(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (a, b) = (random(&mut rng, r, c), random(&mut rng, r, c));
        let s = rng.value();
        let d0 = start(&mut rng, &a);
        check_rule("dot_vjp_self", |a: &DMatrix<f64>| a.dot(&b), &a, &s, &d0, |d| dot_vjp_self(d, &b, &s));
        check_rule("dot_vjp_rhs", |b: &DMatrix<f64>| a.dot(b), &b, &s, &d0, |d| dot_vjp_rhs(d, &a, &s));
        let y = a.norm();
        // ‖a‖ has a kink at 0: finite differences only agree away from it (a 1×1 matrix
        // can land within the stencil's reach of 0).
        if y > 0.1 {
            check_rule("norm_vjp", |a: &DMatrix<f64>| a.norm(), &a, &s, &d0, |d| norm_vjp(d, &a, &y, &s));
        }
        check_rule("norm_squared_vjp", |a: &DMatrix<f64>| a.norm_squared(), &a, &s, &d0, |d| norm_squared_vjp(d, &a, &s));
        check_rule("sum_vjp", |a: &DMatrix<f64>| a.sum(), &a, &s, &d0, |d| sum_vjp(d, &s));
        check_rule("mean_vjp", |a: &DMatrix<f64>| a.mean(), &a, &s, &d0, |d| mean_vjp(d, &s));
    }

    #[test]
    fn componentwise(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = random(&mut rng, r, c);
        let b = DMatrix::from_fn(r, c, |_, _| rng.nonzero());
        let w = random(&mut rng, r, c);
        let d0 = start(&mut rng, &a);
        check_rule("component_mul_vjp_self", |a: &DMatrix<f64>| a.component_mul(&b), &a, &w, &d0, |d| component_mul_vjp_self(d, &b, &w));
        check_rule("component_mul_vjp_rhs", |b: &DMatrix<f64>| a.component_mul(b), &b, &w, &d0, |d| component_mul_vjp_rhs(d, &a, &w));
        let y = a.component_div(&b);
        check_rule("component_div_vjp_self", |a: &DMatrix<f64>| a.component_div(&b), &a, &w, &d0, |d| component_div_vjp_self(d, &b, &w));
        check_rule("component_div_vjp_rhs", |b: &DMatrix<f64>| a.component_div(b), &b, &w, &d0, |d| component_div_vjp_rhs(d, &b, &y, &w));
        let s = rng.value();
        let ds0 = rng.nonzero();
        check_rule("add_scalar_vjp_self", |a: &DMatrix<f64>| a.add_scalar(s), &a, &w, &d0, |d| add_scalar_vjp_self(d, &w));
        check_rule("add_scalar_vjp_rhs", |s: &f64| a.add_scalar(*s), &s, &w, &ds0, |d| add_scalar_vjp_rhs(d, &w));
    }

    #[test]
    fn columns_rows_and_elements(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let m = random(&mut rng, r, c);
        let d0 = start(&mut rng, &m);
        let (i, j) = (rng.index(r), rng.index(c));
        let w = DVector::from_fn(r, |_, _| rng.value());
        check_rule("column_vjp", |m: &DMatrix<f64>| m.column(j).into_owned(), &m, &w, &d0, |d| column_vjp(d, &j, &w));
        let w = RowDVector::from_fn(c, |_, _| rng.value());
        check_rule("row_vjp", |m: &DMatrix<f64>| m.row(i).into_owned(), &m, &w, &d0, |d| row_vjp(d, &i, &w));
        let s = rng.value();
        check_rule("index_vjp (i, j)", |m: &DMatrix<f64>| m[(i, j)], &m, &s, &d0, |d| index_vjp(d, &(i, j), &s));
        let k = rng.index(r * c);
        check_rule("index_vjp (linear)", |m: &DMatrix<f64>| m[k], &m, &s, &d0, |d| index_vjp(d, &k, &s));
    }

    #[test]
    fn square_matrices(n in 1..6usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = random(&mut rng, n, n);
        let d0 = start(&mut rng, &x);
        let s = rng.value();
        check_rule("trace_vjp", |x: &DMatrix<f64>| x.trace(), &x, &s, &d0, |d| trace_vjp(d, &s));
        let det = x.determinant();
        check_rule("determinant_vjp", |x: &DMatrix<f64>| x.determinant(), &x, &s, &d0, |d| {
            determinant_vjp(d, &x, &det, &s)
        });
        let a = well_conditioned(&mut rng, n);
        let y = a.clone().try_inverse().unwrap();
        let w = random(&mut rng, n, n);
        check_rule("inverse_vjp", |a: &DMatrix<f64>| a.clone().try_inverse().unwrap(), &a, &w, &d0, |d| {
            inverse_vjp(d, &y, &w)
        });
    }

    /// x = A⁻¹·b for a vector b and for a matrix of k right-hand sides.
    #[test]
    fn solve(n in 1..5usize, k in 1..4usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = well_conditioned(&mut rng, n);
        let da0 = start(&mut rng, &a);
        let solve = |a: &DMatrix<f64>, b: &DVector<f64>| a.clone().lu().solve(b).unwrap();
        let b = DVector::from_fn(n, |_, _| rng.value());
        let x = solve(&a, &b);
        let w = DVector::from_fn(n, |_, _| rng.value());
        let db0 = start(&mut rng, &b);
        check_rule("solve_vjp_self (vector)", |a: &DMatrix<f64>| solve(a, &b), &a, &w, &da0, |d| solve_vjp_self(d, &a, &x, &w));
        check_rule("solve_vjp_b (vector)", |b: &DVector<f64>| solve(&a, b), &b, &w, &db0, |d| solve_vjp_b(d, &a, &w));

        let solve = |a: &DMatrix<f64>, b: &DMatrix<f64>| a.clone().lu().solve(b).unwrap();
        let b = random(&mut rng, n, k);
        let x = solve(&a, &b);
        let w = random(&mut rng, n, k);
        let db0 = start(&mut rng, &b);
        check_rule("solve_vjp_self (matrix)", |a: &DMatrix<f64>| solve(a, &b), &a, &w, &da0, |d| solve_vjp_self(d, &a, &x, &w));
        check_rule("solve_vjp_b (matrix)", |b: &DMatrix<f64>| solve(&a, b), &b, &w, &db0, |d| solve_vjp_b(d, &a, &w));
        let (va, vb) = (random(&mut rng, n, n), random(&mut rng, n, k));
        check_dot_product("solve_vjp_self", |a: &DMatrix<f64>| solve(a, &b), &a, &va, &w, &DMatrix::zeros(n, n), |d| solve_vjp_self(d, &a, &x, &w));
        check_dot_product("solve_vjp_b", |b: &DMatrix<f64>| solve(&a, b), &b, &vb, &w, &DMatrix::zeros(n, k), |d| solve_vjp_b(d, &a, &w));
    }

    #[test]
    fn map(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = random(&mut rng, r, c);
        let w = random(&mut rng, r, c);
        let d0 = start(&mut rng, &x);
        // g(v) = v·sin v, g′(v) = sin v + v·cos v.
        check_rule("map_vjp", |x: &DMatrix<f64>| x.map(|v| v * v.sin()), &x, &w, &d0, |d| {
            map_vjp(d, &x, &w, |x: f64, d: f64| d * (x.sin() + x * x.cos()))
        });
        // Read through a view.
        let big = random(&mut rng, r + 1, c + 1);
        let view = big.view((1, 1), (r, c));
        let owned = view.clone_owned();
        check_rule("map_vjp (view)", |x: &DMatrix<f64>| x.map(f64::exp), &owned, &w, &d0, |d| {
            map_vjp(d, &view, &w, |x: f64, d: f64| d * x.exp())
        });
    }
}

#[test]
fn static_matrix_methods() {
    let mut rng = Rng::new(7);
    let x: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    let d0 = start(&mut rng, &x);
    let w = like(&mut rng, &x.transpose());
    check_rule(
        "transpose_vjp",
        |x: &Matrix2x3<f64>| x.transpose(),
        &x,
        &w,
        &d0,
        |d| transpose_vjp(d, &w),
    );
    let s = 0.7;
    let y = x.norm();
    check_rule(
        "norm_vjp",
        |x: &Matrix2x3<f64>| x.norm(),
        &x,
        &s,
        &d0,
        |d| norm_vjp(d, &x, &y, &s),
    );
    check_rule(
        "sum_vjp",
        |x: &Matrix2x3<f64>| x.sum(),
        &x,
        &s,
        &d0,
        |d| sum_vjp(d, &s),
    );
    check_rule(
        "mean_vjp",
        |x: &Matrix2x3<f64>| x.mean(),
        &x,
        &s,
        &d0,
        |d| mean_vjp(d, &s),
    );
    let b: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    let w: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    check_rule(
        "component_mul_vjp_self",
        |x: &Matrix2x3<f64>| x.component_mul(&b),
        &x,
        &w,
        &d0,
        |d| component_mul_vjp_self(d, &b, &w),
    );
    check_rule(
        "dot_vjp_self",
        |x: &Matrix2x3<f64>| x.dot(&b),
        &x,
        &s,
        &d0,
        |d| dot_vjp_self(d, &b, &s),
    );
    let col = Vector3::<f64>::zeros();
    let w_row = like(&mut rng, &x.row(1).into_owned());
    check_rule(
        "row_vjp",
        |x: &Matrix2x3<f64>| x.row(1).into_owned(),
        &x,
        &w_row,
        &d0,
        |d| row_vjp(d, &1, &w_row),
    );
    let w_col = like(&mut rng, &x.column(2).into_owned());
    check_rule(
        "column_vjp",
        |x: &Matrix2x3<f64>| x.column(2).into_owned(),
        &x,
        &w_col,
        &d0,
        |d| column_vjp(d, &2, &w_col),
    );
    check_rule(
        "index_vjp",
        |x: &Matrix2x3<f64>| x[(1, 2)],
        &x,
        &s,
        &d0,
        |d| index_vjp(d, &(1, 2), &s),
    );
    let _ = col;

    for a in [
        Matrix3::new(2.0, 0.5, -1.0, 0.3, 1.5, 0.2, -0.4, 0.1, 3.0),
        like(&mut rng, &Matrix3::zeros()),
    ] {
        let d0 = start(&mut rng, &a);
        let det = a.determinant();
        check_rule(
            "determinant_vjp (3×3)",
            |a: &Matrix3<f64>| a.determinant(),
            &a,
            &s,
            &d0,
            |d| determinant_vjp(d, &a, &det, &s),
        );
        check_rule(
            "trace_vjp (3×3)",
            |a: &Matrix3<f64>| a.trace(),
            &a,
            &s,
            &d0,
            |d| trace_vjp(d, &s),
        );
    }
    let a = Matrix3::new(2.0, 0.5, -1.0, 0.3, 1.5, 0.2, -0.4, 0.1, 3.0);
    let d0 = start(&mut rng, &a);
    let y = a.try_inverse().unwrap();
    let w: Matrix3<f64> = like(&mut rng, &Matrix3::zeros());
    check_rule(
        "inverse_vjp (3×3)",
        |a: &Matrix3<f64>| a.try_inverse().unwrap(),
        &a,
        &w,
        &d0,
        |d| inverse_vjp(d, &y, &w),
    );
    let b: Vector3<f64> = like(&mut rng, &Vector3::zeros());
    let x = a.lu().solve(&b).unwrap();
    let w: Vector3<f64> = like(&mut rng, &Vector3::zeros());
    check_rule(
        "solve_vjp_self (3×3)",
        |a: &Matrix3<f64>| a.lu().solve(&b).unwrap(),
        &a,
        &w,
        &d0,
        |d| solve_vjp_self(d, &a, &x, &w),
    );
    let db0 = start(&mut rng, &b);
    check_rule(
        "solve_vjp_b (3×3)",
        |b: &Vector3<f64>| a.lu().solve(b).unwrap(),
        &b,
        &w,
        &db0,
        |d| solve_vjp_b(d, &a, &w),
    );
    let a2 = Matrix2::new(1.0, 2.0, 3.0, 4.0);
    let d0 = start(&mut rng, &a2);
    check_rule(
        "determinant_vjp (2×2)",
        |a: &Matrix2<f64>| a.determinant(),
        &a2,
        &s,
        &d0,
        |d| determinant_vjp(d, &a2, &a2.determinant(), &s),
    );
}

#[test]
fn determinant_of_singular_matrices_has_the_cofactor_gradient() {
    // Rank n − 1: the last row is the sum of the others. det = 0, but its gradient (the
    // cofactor matrix) is not, and the determinant is a polynomial, so finite differences
    // are exact there too.
    let mut rng = Rng::new(8);
    for n in 2..6 {
        let mut a = DMatrix::from_fn(n, n, |_, _| (rng.uniform(-3.0, 3.0)).round());
        for j in 0..n {
            a[(n - 1, j)] = (0..n - 1).map(|i| a[(i, j)]).sum();
        }
        let det = a.determinant();
        assert!(det.abs() < 1e-9, "{det}");
        let d0 = start(&mut rng, &a);
        check_rule(
            "determinant_vjp (singular)",
            |a: &DMatrix<f64>| a.determinant(),
            &a,
            &1.3,
            &d0,
            |d| determinant_vjp(d, &a, &det, &1.3),
        );
    }
    // Nearly singular, where det·A⁻ᵀ multiplies a tiny determinant by a huge inverse (the
    // path for n ≥ 4): the product is still accurate.
    for n in [4, 5] {
        for _ in 0..10 {
            let mut a = random(&mut rng, n, n);
            for j in 0..n {
                a[(n - 1, j)] = a[(0, j)] + a[(1, j)] + 1e-13 * a[(n - 1, j)];
            }
            let det = a.determinant();
            let d0 = start(&mut rng, &a);
            check_rule(
                "determinant_vjp (nearly singular)",
                |a: &DMatrix<f64>| a.determinant(),
                &a,
                &1.0,
                &d0,
                |d| determinant_vjp(d, &a, &det, &1.0),
            );
        }
    }
}

#[test]
fn norm_at_zero_adds_nothing() {
    let x = DVector::<f64>::zeros(3);
    let mut d = DVector::from_vec(vec![0.5, -1.0, 2.0]);
    let before = d.clone();
    norm_vjp(&mut d, &x, &0.0, &1.0);
    assert_eq!(d, before);
}

#[test]
fn singular_inverse_and_solve_give_nan() {
    let a = DMatrix::<f64>::zeros(2, 2);
    let (mut d_a, mut d_b) = (DMatrix::zeros(2, 2), DVector::zeros(2));
    let x = DVector::from_vec(vec![1.0, 1.0]);
    solve_vjp_b(&mut d_b, &a, &x);
    solve_vjp_self(&mut d_a, &a, &x, &x);
    assert!(d_b.iter().all(|v| v.is_nan()));
    assert!(d_a.iter().all(|v| v.is_nan()));
}

// ---------------------------------------------------------------------------------------
// The Cholesky decomposition (`tapeless_runtime::cholesky`) and `diagonal`.

/// A symmetric positive definite n×n matrix whose strict upper triangle is then overwritten
/// with junk: nalgebra's `cholesky` reads only the lower triangle, so the derivative with
/// respect to each junk entry must be 0 and each lower entry stands for its mirror too.
fn lower_spd(rng: &mut Rng, n: usize) -> DMatrix<f64> {
    let b = random(rng, n, n);
    let mut a = &b * b.transpose() + DMatrix::identity(n, n) * (n as f64);
    for j in 1..n {
        for i in 0..j {
            a[(i, j)] = rng.value();
        }
    }
    a
}

/// A lower-triangular factor with a positive diagonal and junk above it (a decomposition
/// reads only its lower triangle).
fn factor(rng: &mut Rng, n: usize) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |i, j| match i.cmp(&j) {
        std::cmp::Ordering::Equal => 1.0 + rng.value().abs(),
        _ => rng.value(),
    })
}

proptest! {
    #![proptest_config(cases())]

    /// L = chol(A) of an unsymmetrised A: the adjoint of every entry, junk above the
    /// diagonal included (0 there).
    #[test]
    fn cholesky(n in 1..6usize, seed in any::<u64>()) {
        use tapeless_runtime::cholesky::cholesky_vjp;
        let mut rng = Rng::new(seed);
        let a = lower_spd(&mut rng, n);
        let c = a.clone().cholesky().unwrap();
        let l_of = |a: &DMatrix<f64>| a.clone().cholesky().unwrap().l();
        let (w, da0) = (random(&mut rng, n, n), start(&mut rng, &a));
        check_rule("cholesky_vjp", l_of, &a, &w, &da0, |d| cholesky_vjp(d, &c, &w));
        let mut zero = DMatrix::zeros(n, n);
        cholesky_vjp(&mut zero, &c, &w);
        for j in 1..n {
            for i in 0..j {
                prop_assert_eq!(zero[(i, j)], 0.0, "Ā above the diagonal");
            }
        }
        let va = random(&mut rng, n, n);
        check_dot_product("cholesky_vjp", l_of, &a, &va, &w, &DMatrix::zeros(n, n), |d| cholesky_vjp(d, &c, &w));
    }

    /// `c.l()`, `c.solve(&b)` (vector and matrix b), `c.ln_determinant()` as functions of
    /// the factor (`Cholesky::pack_dirty`), junk above the diagonal included.
    #[test]
    fn cholesky_methods(n in 1..6usize, k in 1..4usize, seed in any::<u64>()) {
        use nalgebra::linalg::Cholesky;
        use tapeless_runtime::cholesky::*;
        let mut rng = Rng::new(seed);
        let l = factor(&mut rng, n);
        let c = Cholesky::pack_dirty(l.clone());
        let dl0 = start(&mut rng, &l);
        let w = random(&mut rng, n, n);
        check_rule("cholesky_l_vjp", |l: &DMatrix<f64>| Cholesky::pack_dirty(l.clone()).l(), &l, &w, &dl0, |d| cholesky_l_vjp(d, &c, &w));
        let s = rng.value();
        check_rule("cholesky_ln_determinant_vjp", |l: &DMatrix<f64>| Cholesky::pack_dirty(l.clone()).ln_determinant(), &l, &s, &dl0, |d| cholesky_ln_determinant_vjp(d, &c, &s));
        let y = c.determinant();
        check_rule("determinant_vjp (Cholesky)", |l: &DMatrix<f64>| Cholesky::pack_dirty(l.clone()).determinant(), &l, &s, &dl0, |d| determinant_vjp(d, &c, &y, &s));

        let b = DVector::from_fn(n, |_, _| rng.value());
        let x = c.solve(&b);
        let (w, db0) = (DVector::from_fn(n, |_, _| rng.value()), start(&mut rng, &b));
        let solve = |l: &DMatrix<f64>| Cholesky::pack_dirty(l.clone()).solve(&b);
        check_rule("cholesky_solve_vjp_self (vector)", solve, &l, &w, &dl0, |d| cholesky_solve_vjp_self(d, &c, &x, &w));
        check_rule("cholesky_solve_vjp_b (vector)", |b: &DVector<f64>| c.solve(b), &b, &w, &db0, |d| cholesky_solve_vjp_b(d, &c, &w));

        let b = random(&mut rng, n, k);
        let x = c.solve(&b);
        let (w, db0) = (random(&mut rng, n, k), start(&mut rng, &b));
        let solve = |l: &DMatrix<f64>| Cholesky::pack_dirty(l.clone()).solve(&b);
        check_rule("cholesky_solve_vjp_self (matrix)", solve, &l, &w, &dl0, |d| cholesky_solve_vjp_self(d, &c, &x, &w));
        check_rule("cholesky_solve_vjp_b (matrix)", |b: &DMatrix<f64>| c.solve(b), &b, &w, &db0, |d| cholesky_solve_vjp_b(d, &c, &w));
        let vl = random(&mut rng, n, n);
        check_dot_product("cholesky_solve_vjp_self", solve, &l, &vl, &w, &DMatrix::zeros(n, n), |d| cholesky_solve_vjp_self(d, &c, &x, &w));
    }

    #[test]
    fn diagonal(n in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let m = random(&mut rng, n, n);
        let (w, dm0) = (DVector::from_fn(n, |_, _| rng.value()), start(&mut rng, &m));
        check_rule("diagonal_vjp", |m: &DMatrix<f64>| m.diagonal(), &m, &w, &dm0, |d| diagonal_vjp(d, &w));
    }
}

/// The Cholesky rules on a static size (no heap).
#[test]
fn cholesky_static() {
    use tapeless_runtime::cholesky::cholesky_vjp;
    let a = Matrix3::new(4.0, 9.0, -7.0, 1.0, 3.0, 5.0, 0.5, -0.2, 2.5);
    let c = a.cholesky().unwrap();
    let w = Matrix3::new(0.3, -0.1, 0.2, 0.7, 0.4, -0.6, 0.25, 0.1, -0.3);
    check_rule(
        "cholesky_vjp (static)",
        |a: &Matrix3<f64>| a.cholesky().unwrap().l(),
        &a,
        &w,
        &Matrix3::zeros(),
        |d| cholesky_vjp(d, &c, &w),
    );
}

proptest! {
    #![proptest_config(cases())]

    /// x = M⁻¹·b for the triangle M of `a` that each solve reads (the other entries are
    /// junk the derivative must ignore), for a vector and a matrix b.
    #[test]
    fn triangular_solves(n in 1..5usize, k in 1..4usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = DMatrix::from_fn(n, n, |i, j| if i == j { 2.0 + rng.value().abs() } else { rng.value() });
        let da0 = start(&mut rng, &a);
        macro_rules! check {
            ($name:ident, $vjp_self:ident, $vjp_b:ident) => {
                let b = random(&mut rng, n, k);
                let x = a.$name(&b).unwrap();
                let (w, db0) = (random(&mut rng, n, k), start(&mut rng, &b));
                check_rule(stringify!($vjp_self), |a: &DMatrix<f64>| a.$name(&b).unwrap(), &a, &w, &da0, |d| $vjp_self(d, &a, &x, &w));
                check_rule(stringify!($vjp_b), |b: &DMatrix<f64>| a.$name(b).unwrap(), &b, &w, &db0, |d| $vjp_b(d, &a, &w));
                let b = DVector::from_fn(n, |_, _| rng.value());
                let x = a.$name(&b).unwrap();
                let w = DVector::from_fn(n, |_, _| rng.value());
                check_rule(stringify!($vjp_self), |a: &DMatrix<f64>| a.$name(&b).unwrap(), &a, &w, &da0, |d| $vjp_self(d, &a, &x, &w));
            };
        }
        check!(solve_lower_triangular, solve_lower_triangular_vjp_self, solve_lower_triangular_vjp_b);
        check!(solve_upper_triangular, solve_upper_triangular_vjp_self, solve_upper_triangular_vjp_b);
        check!(tr_solve_lower_triangular, tr_solve_lower_triangular_vjp_self, tr_solve_lower_triangular_vjp_b);
    }
}
