//! The first-contribution forms of the rules (`mul_vjp_lhs_first`, `component_mul_vjp_self_first`,
//! `sigmoid_vjp_first`, ...): the reverse sweep declares a vector's or matrix's adjoint as
//! its first contribution instead of making zeros and adding the contribution into them.
//!
//! Each form must give exactly what the accumulating rule gives from the zero adjoint
//! (`-0.0` everywhere, the exact additive identity): the same bits, on random dynamic and
//! static shapes, on views with strides, and where the adjoint's dimensions differ in kind
//! from the operands' (`Dyn` against `Const`). Each is also checked on its own against
//! central differences and by the dot-product test ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩.

mod support;

use nalgebra::{DMatrix, DVector, Dyn, Matrix2x3, Matrix3, OMatrix, RowDVector, Vector3, U3};
use proptest::prelude::*;
use support::{check_dot_product, check_rule, Rng};
use tapeless_runtime::matrix::{
    component_mul_vjp_rhs, component_mul_vjp_rhs_first, component_mul_vjp_self,
    component_mul_vjp_self_first,
};
use tapeless_runtime::nn::{
    relu, relu_vjp, relu_vjp_first, sigmoid, sigmoid_vjp, sigmoid_vjp_first, tanh,
};
use tapeless_runtime::scalar::{
    mul_vjp_lhs, mul_vjp_lhs_first, mul_vjp_rhs, mul_vjp_rhs_first, tanh_vjp, tanh_vjp_first,
};
use tapeless_runtime::{accumulate, zero_adjoint};

fn random(rng: &mut Rng, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.value())
}

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(64)
}

/// The bits of a matrix's entries: the first form and zeros-then-add must agree exactly.
fn bits<R: nalgebra::Dim, C: nalgebra::Dim, S: nalgebra::RawStorage<f64, R, C>>(
    m: &nalgebra::Matrix<f64, R, C, S>,
) -> Vec<u64> {
    m.iter().map(|x| x.to_bits()).collect()
}

/// `first` against the accumulating `rule` from `zero`, bit for bit.
fn same_as_zeros_then_add<G: Clone>(
    zero: &G,
    first: G,
    rule: impl FnOnce(&mut G),
    bits_of: impl Fn(&G) -> Vec<u64>,
) {
    let mut added = zero.clone();
    rule(&mut added);
    assert_eq!(bits_of(&first), bits_of(&added));
}

proptest! {
    #![proptest_config(cases())]

    /// C = A·B: Ā = C̄·Bᵀ and B̄ = Aᵀ·C̄, written by `gemm` with β = 0.
    #[test]
    fn matrix_product(r in 1..5usize, k in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (a, b) = (random(&mut rng, r, k), random(&mut rng, k, c));
        let w = random(&mut rng, r, c);
        let (za, zb) = (zero_adjoint(&a), zero_adjoint(&b));
        let da = mul_vjp_lhs_first(|| zero_adjoint(&a), &b, &w);
        let db = mul_vjp_rhs_first(|| zero_adjoint(&b), &a, &w);
        same_as_zeros_then_add(&za, da.clone(), |d| mul_vjp_lhs(d, &b, &w), bits);
        same_as_zeros_then_add(&zb, db.clone(), |d| mul_vjp_rhs(d, &a, &w), bits);
        check_rule("mul_vjp_lhs_first", |a: &DMatrix<f64>| a * &b, &a, &w, &za, |d| accumulate(d, &da));
        check_rule("mul_vjp_rhs_first", |b: &DMatrix<f64>| &a * b, &b, &w, &zb, |d| accumulate(d, &db));
        let (va, vb) = (random(&mut rng, r, k), random(&mut rng, k, c));
        check_dot_product("mul_vjp_lhs_first", |a: &DMatrix<f64>| a * &b, &a, &va, &w, &za, |d| *d = da.clone());
        check_dot_product("mul_vjp_rhs_first", |b: &DMatrix<f64>| &a * b, &b, &vb, &w, &zb, |d| *d = db.clone());

        // Operands read through views of larger matrices, one with a row step.
        let big_a = random(&mut rng, 2 * r + 1, k + 1);
        let a_view = big_a.view_with_steps((1, 1), (r, k), (1, 0));
        let big_b = random(&mut rng, k + 2, c + 2);
        let b_view = big_b.view((2, 1), (k, c));
        let da = mul_vjp_lhs_first(|| zero_adjoint(&a_view), &b_view, &w);
        same_as_zeros_then_add(&zero_adjoint(&a_view), da, |d| mul_vjp_lhs(d, &b_view, &w), bits);
        let db = mul_vjp_rhs_first(|| zero_adjoint(&b_view), &a_view, &w);
        same_as_zeros_then_add(&zero_adjoint(&b_view), db, |d| mul_vjp_rhs(d, &a_view, &w), bits);
    }

    /// An outer product u·vᵀ (the thin products of a broadcast) and s·M, M·s.
    #[test]
    fn outer_and_scalar_products(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let u = DVector::from_fn(r, |_, _| rng.value());
        let v = RowDVector::from_fn(c, |_, _| rng.value());
        let w = random(&mut rng, r, c);
        let du = mul_vjp_lhs_first(|| zero_adjoint(&u), &v, &w);
        let dv = mul_vjp_rhs_first(|| zero_adjoint(&v), &u, &w);
        same_as_zeros_then_add(&zero_adjoint(&u), du, |d| mul_vjp_lhs(d, &v, &w), bits);
        same_as_zeros_then_add(&zero_adjoint(&v), dv, |d| mul_vjp_rhs(d, &u, &w), bits);

        let m = random(&mut rng, r, c);
        let s = rng.nonzero();
        let zm = zero_adjoint(&m);
        let dm = mul_vjp_rhs_first(|| zero_adjoint(&m), &s, &w);
        same_as_zeros_then_add(&zm, dm.clone(), |d| mul_vjp_rhs(d, &s, &w), bits);
        check_rule("mul_vjp_rhs_first (s·M)", |m: &DMatrix<f64>| s * m, &m, &w, &zm, |d| accumulate(d, &dm));
        let dm = mul_vjp_lhs_first(|| zero_adjoint(&m), &s, &w);
        same_as_zeros_then_add(&zm, dm.clone(), |d| mul_vjp_lhs(d, &s, &w), bits);
        check_rule("mul_vjp_lhs_first (M·s)", |m: &DMatrix<f64>| m * s, &m, &w, &zm, |d| accumulate(d, &dm));
        // A scalar's adjoint: the default form, zeros then the rule.
        let ds = mul_vjp_lhs_first(|| -0.0, &m, &w);
        let mut added = -0.0;
        mul_vjp_lhs(&mut added, &m, &w);
        prop_assert_eq!(ds.to_bits(), added.to_bits());
    }

    /// Y = A∘B (also A∘A, where the second operand's contribution adds to the first's).
    #[test]
    fn componentwise(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = random(&mut rng, r, c);
        let b = random(&mut rng, r, c);
        let w = random(&mut rng, r, c);
        let z = zero_adjoint(&a);
        let da = component_mul_vjp_self_first(|| zero_adjoint(&a), &b, &w);
        let db = component_mul_vjp_rhs_first(|| zero_adjoint(&b), &a, &w);
        same_as_zeros_then_add(&z, da.clone(), |d| component_mul_vjp_self(d, &b, &w), bits);
        same_as_zeros_then_add(&z, db.clone(), |d| component_mul_vjp_rhs(d, &a, &w), bits);
        check_rule("component_mul_vjp_self_first", |a: &DMatrix<f64>| a.component_mul(&b), &a, &w, &z, |d| accumulate(d, &da));
        check_rule("component_mul_vjp_rhs_first", |b: &DMatrix<f64>| a.component_mul(b), &b, &w, &z, |d| accumulate(d, &db));
        let v = random(&mut rng, r, c);
        check_dot_product("component_mul_vjp_self_first", |a: &DMatrix<f64>| a.component_mul(&b), &a, &v, &w, &z, |d| *d = da.clone());

        // A∘A: the self form declares the adjoint, the rhs rule adds into it.
        let mut d_square = component_mul_vjp_self_first(|| zero_adjoint(&a), &a, &w);
        component_mul_vjp_rhs(&mut d_square, &a, &w);
        check_rule("A∘A", |a: &DMatrix<f64>| a.component_mul(a), &a, &w, &z, |d| accumulate(d, &d_square));

        // A strided view as the operand read.
        let big = random(&mut rng, 2 * r + 1, c + 1);
        let view = big.view_with_steps((1, 1), (r, c), (1, 0));
        let dv = component_mul_vjp_self_first(|| zero_adjoint(&a), &view, &w);
        same_as_zeros_then_add(&z, dv, |d| component_mul_vjp_self(d, &view, &w), bits);
    }

    /// σ, relu and tanh of matrices: x̄ = g(y, ȳ), written once.
    #[test]
    fn elementwise(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = DMatrix::from_fn(r, c, |_, _| {
            let v = rng.uniform(0.05, 4.0);
            if rng.index(2) == 0 { v } else { -v }
        });
        let w = random(&mut rng, r, c);
        let z = zero_adjoint(&x);
        let y = sigmoid(&x);
        let d = sigmoid_vjp_first(&y, &w);
        same_as_zeros_then_add(&z, d.clone(), |a| sigmoid_vjp(a, &y, &w), bits);
        check_rule("sigmoid_vjp_first", |x: &DMatrix<f64>| sigmoid(x), &x, &w, &z, |a| accumulate(a, &d));
        let y = relu(&x);
        let d = relu_vjp_first(&y, &w);
        same_as_zeros_then_add(&z, d.clone(), |a| relu_vjp(a, &y, &w), bits);
        check_rule("relu_vjp_first", |x: &DMatrix<f64>| relu(x), &x, &w, &z, |a| accumulate(a, &d));
        let y = tanh(&x);
        let d = tanh_vjp_first(&y, &w);
        same_as_zeros_then_add(&z, d.clone(), |a| tanh_vjp(a, &y, &w), bits);
        check_rule("tanh_vjp_first", |x: &DMatrix<f64>| tanh(x), &x, &w, &z, |a| accumulate(a, &d));
        let v = random(&mut rng, r, c);
        check_dot_product("tanh_vjp_first", |x: &DMatrix<f64>| tanh(x), &x, &v, &w, &z, |a| *a = d.clone());

        // Scalars: the same function of one element.
        let (x0, w0) = (x[(0, 0)], w[(0, 0)]);
        let y0 = sigmoid(x0);
        let mut added = -0.0;
        sigmoid_vjp(&mut added, &y0, &w0);
        prop_assert_eq!(sigmoid_vjp_first(&y0, &w0).to_bits(), added.to_bits());
    }
}

/// Static shapes, and adjoints whose dimensions differ in kind from the operands' (a
/// `DMatrix` times a `Vector3`, a static 2×3 times a dynamic matrix).
#[test]
fn static_and_mixed_dimensions() {
    let mut rng = Rng::new(7);
    let a = Matrix2x3::from_fn(|_, _| rng.value());
    let b = Matrix3::from_fn(|_, _| rng.value());
    let w = nalgebra::Matrix2x3::from_fn(|_, _| rng.value());
    let da = mul_vjp_lhs_first(|| zero_adjoint(&a), &b, &w);
    same_as_zeros_then_add(&zero_adjoint(&a), da, |d| mul_vjp_lhs(d, &b, &w), bits);
    let db = mul_vjp_rhs_first(|| zero_adjoint(&b), &a, &w);
    same_as_zeros_then_add(&zero_adjoint(&b), db, |d| mul_vjp_rhs(d, &a, &w), bits);

    // A (Dyn × Dyn) times a Vector3 (Const<3> × 1): Ā is Dyn × Dyn, C̄·xᵀ is Dyn × 3.
    let m = random(&mut rng, 2, 3);
    let x = Vector3::from_fn(|_, _| rng.value());
    let wy = DVector::from_fn(2, |_, _| rng.value());
    let dm: DMatrix<f64> = mul_vjp_lhs_first(|| zero_adjoint(&m), &x, &wy);
    same_as_zeros_then_add(
        &zero_adjoint(&m),
        dm.clone(),
        |d| mul_vjp_lhs(d, &x, &wy),
        bits,
    );
    check_rule(
        "mul_vjp_lhs_first (Dyn·Const)",
        |m: &DMatrix<f64>| m * x,
        &m,
        &wy,
        &zero_adjoint(&m),
        |d| accumulate(d, &dm),
    );
    let dx = mul_vjp_rhs_first(|| zero_adjoint(&x), &m, &wy);
    same_as_zeros_then_add(&zero_adjoint(&x), dx, |d| mul_vjp_rhs(d, &m, &wy), bits);

    // A component product whose adjoint is Dyn × 1 and output adjoint 3 × 1.
    let v = DVector::from_fn(3, |_, _| rng.value());
    let s = Vector3::from_fn(|_, _| rng.value());
    let ws = Vector3::from_fn(|_, _| rng.value());
    let dv: OMatrix<f64, Dyn, nalgebra::U1> =
        component_mul_vjp_self_first(|| zero_adjoint(&v), &s, &ws);
    same_as_zeros_then_add(
        &zero_adjoint(&v),
        dv,
        |d| component_mul_vjp_self(d, &s, &ws),
        bits,
    );
    let ds: OMatrix<f64, U3, nalgebra::U1> =
        component_mul_vjp_rhs_first(|| zero_adjoint(&s), &v, &ws);
    same_as_zeros_then_add(
        &zero_adjoint(&s),
        ds,
        |d| component_mul_vjp_rhs(d, &v, &ws),
        bits,
    );
}

/// A shape mismatch panics as the accumulating rule does (never a silent truncation).
#[test]
#[should_panic(expected = "shapes differ")]
fn componentwise_shape_mismatch_panics() {
    let a = DMatrix::<f64>::zeros(2, 3);
    let b = DMatrix::<f64>::zeros(3, 2);
    let _ = component_mul_vjp_self_first(|| zero_adjoint(&a), &b, &a);
}
