//! Forward (JVP) helpers of the nalgebra rows (`matrix`, and element reads of matrices):
//! each against five-point central differences of its primal at random points (relative
//! error below 1e-6) and against its VJP helper with the dot-product identity
//! ⟨J·ẋ, w⟩ = ⟨ẋ, Jᵀ·w⟩ (`support::forward::check_forward`), on random dynamic shapes
//! (every dimension in 1..5), on static ones, and with primal values read through views.

mod support;

use nalgebra::{
    DMatrix, DVector, Matrix2, Matrix2x3, Matrix3, Matrix4, RowDVector, Vector2, Vector3,
};
use proptest::prelude::*;
use support::forward::check_forward;
use support::{Flat, Rng};
use tapeless_runtime::add_tangents;
use tapeless_runtime::index::{index_jvp, index_vjp};
use tapeless_runtime::matrix::*;

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(64)
}

/// A random matrix of the given shape (entries in [-2, 2)).
fn random(rng: &mut Rng, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.value())
}

/// A random value shaped like `like` (entries in [-2, 2)).
fn like<V: Flat>(rng: &mut Rng, like: &V) -> V {
    rng.fill(like, Rng::value)
}

/// A well-conditioned n×n matrix: random plus 4·I (diagonally dominant).
fn well_conditioned(rng: &mut Rng, n: usize) -> DMatrix<f64> {
    random(rng, n, n) * 0.5 + DMatrix::identity(n, n) * 4.0
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn transpose(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (x, t_x, w) = (random(&mut rng, r, c), random(&mut rng, r, c), random(&mut rng, c, r));
        let tangent = transpose_jvp(&t_x);
        check_forward("transpose_jvp", |x: &DMatrix<f64>| x.transpose(), &x, &t_x, &tangent, &w, |d| transpose_vjp(d, &w));
    }

    #[test]
    fn reductions(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (a, b) = (random(&mut rng, r, c), random(&mut rng, r, c));
        let (t_a, t_b) = (random(&mut rng, r, c), random(&mut rng, r, c));
        let w = rng.value();
        let tangent = dot_jvp_self(&b, &t_a);
        check_forward("dot_jvp_self", |a: &DMatrix<f64>| a.dot(&b), &a, &t_a, &tangent, &w, |d| dot_vjp_self(d, &b, &w));
        let tangent = dot_jvp_rhs(&a, &t_b);
        check_forward("dot_jvp_rhs", |b: &DMatrix<f64>| a.dot(b), &b, &t_b, &tangent, &w, |d| dot_vjp_rhs(d, &a, &w));
        let y = a.norm();
        // ‖a‖ has a kink at 0: finite differences only agree away from it.
        if y > 0.1 {
            let tangent = norm_jvp(&a, &y, &t_a);
            check_forward("norm_jvp", |a: &DMatrix<f64>| a.norm(), &a, &t_a, &tangent, &w, |d| norm_vjp(d, &a, &y, &w));
        }
        let tangent = norm_squared_jvp(&a, &t_a);
        check_forward("norm_squared_jvp", |a: &DMatrix<f64>| a.norm_squared(), &a, &t_a, &tangent, &w, |d| norm_squared_vjp(d, &a, &w));
        let tangent = sum_jvp(&t_a);
        check_forward("sum_jvp", |a: &DMatrix<f64>| a.sum(), &a, &t_a, &tangent, &w, |d| sum_vjp(d, &w));
        let tangent = mean_jvp(&t_a);
        check_forward("mean_jvp", |a: &DMatrix<f64>| a.mean(), &a, &t_a, &tangent, &w, |d| mean_vjp(d, &w));
    }

    #[test]
    fn componentwise(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = random(&mut rng, r, c);
        let b = DMatrix::from_fn(r, c, |_, _| rng.nonzero());
        let (t_a, t_b, w) = (random(&mut rng, r, c), random(&mut rng, r, c), random(&mut rng, r, c));
        let tangent = component_mul_jvp_self(&b, &a, &t_a);
        check_forward("component_mul_jvp_self", |a: &DMatrix<f64>| a.component_mul(&b), &a, &t_a, &tangent, &w, |d| component_mul_vjp_self(d, &b, &w));
        let tangent = component_mul_jvp_rhs(&a, &a, &t_b);
        check_forward("component_mul_jvp_rhs", |b: &DMatrix<f64>| a.component_mul(b), &b, &t_b, &tangent, &w, |d| component_mul_vjp_rhs(d, &a, &w));
        let y = a.component_div(&b);
        let tangent = component_div_jvp_self(&b, &y, &t_a);
        check_forward("component_div_jvp_self", |a: &DMatrix<f64>| a.component_div(&b), &a, &t_a, &tangent, &w, |d| component_div_vjp_self(d, &b, &w));
        let tangent = component_div_jvp_rhs(&b, &y, &t_b);
        check_forward("component_div_jvp_rhs", |b: &DMatrix<f64>| a.component_div(b), &b, &t_b, &tangent, &w, |d| component_div_vjp_rhs(d, &b, &y, &w));
        let (s, t_s) = (rng.value(), rng.value());
        let tangent = add_scalar_jvp_self(&t_a);
        check_forward("add_scalar_jvp_self", |a: &DMatrix<f64>| a.add_scalar(s), &a, &t_a, &tangent, &w, |d| add_scalar_vjp_self(d, &w));
        let tangent = add_scalar_jvp_rhs(&a, &t_s);
        check_forward("add_scalar_jvp_rhs", |s: &f64| a.add_scalar(*s), &s, &t_s, &tangent, &w, |d| add_scalar_vjp_rhs(d, &w));
    }

    #[test]
    fn columns_rows_and_elements(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (m, t_m) = (random(&mut rng, r, c), random(&mut rng, r, c));
        let (i, j) = (rng.index(r), rng.index(c));
        let w = DVector::from_fn(r, |_, _| rng.value());
        let tangent = column_jvp(&j, &t_m);
        check_forward("column_jvp", |m: &DMatrix<f64>| m.column(j).into_owned(), &m, &t_m, &tangent, &w, |d| column_vjp(d, &j, &w));
        let w = RowDVector::from_fn(c, |_, _| rng.value());
        let tangent = row_jvp(&i, &t_m);
        check_forward("row_jvp", |m: &DMatrix<f64>| m.row(i).into_owned(), &m, &t_m, &tangent, &w, |d| row_vjp(d, &i, &w));
        let s = rng.value();
        let tangent: f64 = index_jvp(&(i, j), &t_m);
        check_forward("index_jvp (i, j)", |m: &DMatrix<f64>| m[(i, j)], &m, &t_m, &tangent, &s, |d| index_vjp(d, &(i, j), &s));
        let k = rng.index(r * c);
        let tangent: f64 = index_jvp(&k, &t_m);
        check_forward("index_jvp (linear)", |m: &DMatrix<f64>| m[k], &m, &t_m, &tangent, &s, |d| index_vjp(d, &k, &s));
    }

    #[test]
    fn square_matrices(n in 1..6usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (x, t_x) = (random(&mut rng, n, n), random(&mut rng, n, n));
        let s = rng.value();
        let tangent = trace_jvp(&t_x);
        check_forward("trace_jvp", |x: &DMatrix<f64>| x.trace(), &x, &t_x, &tangent, &s, |d| trace_vjp(d, &s));
        let det = x.determinant();
        let tangent = determinant_jvp(&x, &det, &t_x);
        check_forward("determinant_jvp", |x: &DMatrix<f64>| x.determinant(), &x, &t_x, &tangent, &s, |d| {
            determinant_vjp(d, &x, &det, &s)
        });
        let a = well_conditioned(&mut rng, n);
        let y = a.clone().try_inverse().unwrap();
        let w = random(&mut rng, n, n);
        let tangent = inverse_jvp(&y, &t_x);
        check_forward("inverse_jvp", |a: &DMatrix<f64>| a.clone().try_inverse().unwrap(), &a, &t_x, &tangent, &w, |d| {
            inverse_vjp(d, &y, &w)
        });
    }

    /// x = A⁻¹·b for a vector b and for a matrix of k right-hand sides.
    #[test]
    fn solve(n in 1..5usize, k in 1..4usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (a, t_a) = (well_conditioned(&mut rng, n), random(&mut rng, n, n));
        let solve = |a: &DMatrix<f64>, b: &DVector<f64>| a.clone().lu().solve(b).unwrap();
        let b = DVector::from_fn(n, |_, _| rng.value());
        let t_b = DVector::from_fn(n, |_, _| rng.value());
        let x = solve(&a, &b);
        let w = DVector::from_fn(n, |_, _| rng.value());
        let tangent = solve_jvp_self(&a, &x, &t_a);
        check_forward("solve_jvp_self (vector)", |a: &DMatrix<f64>| solve(a, &b), &a, &t_a, &tangent, &w, |d| solve_vjp_self(d, &a, &x, &w));
        let tangent = solve_jvp_b(&a, &t_b);
        check_forward("solve_jvp_b (vector)", |b: &DVector<f64>| solve(&a, b), &b, &t_b, &tangent, &w, |d| solve_vjp_b(d, &a, &w));

        let solve = |a: &DMatrix<f64>, b: &DMatrix<f64>| a.clone().lu().solve(b).unwrap();
        let (b, t_b) = (random(&mut rng, n, k), random(&mut rng, n, k));
        let x = solve(&a, &b);
        let w = random(&mut rng, n, k);
        let tangent = solve_jvp_self(&a, &x, &t_a);
        check_forward("solve_jvp_self (matrix)", |a: &DMatrix<f64>| solve(a, &b), &a, &t_a, &tangent, &w, |d| solve_vjp_self(d, &a, &x, &w));
        let tangent = solve_jvp_b(&a, &t_b);
        check_forward("solve_jvp_b (matrix)", |b: &DMatrix<f64>| solve(&a, b), &b, &t_b, &tangent, &w, |d| solve_vjp_b(d, &a, &w));
    }

    #[test]
    fn map(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (x, t_x, w) = (random(&mut rng, r, c), random(&mut rng, r, c), random(&mut rng, r, c));
        // g(v) = v·sin v, g′(v) = sin v + v·cos v; the closure is the VJP's `|v, ȳ| v̄`.
        let rule = |x: f64, d: f64| d * (x.sin() + x * x.cos());
        let tangent = map_jvp(&x, &t_x, rule);
        check_forward("map_jvp", |x: &DMatrix<f64>| x.map(|v| v * v.sin()), &x, &t_x, &tangent, &w, |d| {
            map_vjp(d, &x, &w, rule)
        });
        // Read through a view.
        let big = random(&mut rng, r + 1, c + 1);
        let view = big.view((1, 1), (r, c));
        let owned = view.clone_owned();
        let tangent = map_jvp(&view, &t_x, |x: f64, d: f64| d * x.exp());
        check_forward("map_jvp (view)", |x: &DMatrix<f64>| x.map(f64::exp), &owned, &t_x, &tangent, &w, |d| {
            map_vjp(d, &view, &w, |x: f64, d: f64| d * x.exp())
        });
    }

    /// Primal values read through views (a strided one too) give what owned ones give.
    #[test]
    fn primal_reads_through_views(r in 1..4usize, c in 1..4usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let big = DMatrix::from_fn(2 * r, 2 * c, |_, _| rng.nonzero());
        let strided = big.view_with_steps((0, 0), (r, c), (1, 1));
        let owned = strided.clone_owned();
        let t = random(&mut rng, r, c);
        prop_assert_eq!(dot_jvp_self(&strided, &t), dot_jvp_self(&owned, &t));
        prop_assert_eq!(component_mul_jvp_self(&strided, &owned, &t), component_mul_jvp_self(&owned, &owned, &t));
        let y = owned.norm();
        prop_assert_eq!(norm_jvp(&strided, &y, &t), norm_jvp(&owned, &y, &t));
        let quotient = owned.component_div(&owned);
        prop_assert_eq!(
            component_div_jvp_rhs(&strided, &quotient, &t),
            component_div_jvp_rhs(&owned, &quotient, &t)
        );
        prop_assert_eq!(add_scalar_jvp_rhs(&strided, &1.5), DMatrix::from_element(r, c, 1.5));
    }
}

/// Static shapes keep their types (no heap) and agree with the checks.
#[test]
fn static_matrix_methods() {
    let mut rng = Rng::new(11);
    let x: Matrix2x3<f64> = like(&mut rng, &Matrix2x3::zeros());
    let t_x = like(&mut rng, &x);
    let w = like(&mut rng, &x.transpose());
    let tangent = transpose_jvp(&t_x);
    check_forward(
        "transpose_jvp (static)",
        |x: &Matrix2x3<f64>| x.transpose(),
        &x,
        &t_x,
        &tangent,
        &w,
        |d| transpose_vjp(d, &w),
    );

    let b: Matrix2x3<f64> = like(&mut rng, &x);
    let w = like(&mut rng, &x);
    let tangent: Matrix2x3<f64> = component_mul_jvp_self(&b, &b, &t_x);
    check_forward(
        "component_mul_jvp_self (static)",
        |a: &Matrix2x3<f64>| a.component_mul(&b),
        &x,
        &t_x,
        &tangent,
        &w,
        |d| component_mul_vjp_self(d, &b, &w),
    );
    let t_s = 0.75;
    let tangent: Matrix2x3<f64> = add_scalar_jvp_rhs(&x, &t_s);
    check_forward(
        "add_scalar_jvp_rhs (static)",
        |s: &f64| x.add_scalar(*s),
        &0.5,
        &t_s,
        &tangent,
        &w,
        |d| add_scalar_vjp_rhs(d, &w),
    );

    let v: Vector3<f64> = like(&mut rng, &Vector3::zeros());
    let t_v = like(&mut rng, &v);
    let s = rng.value();
    let y = v.norm();
    let tangent = norm_jvp(&v, &y, &t_v);
    check_forward(
        "norm_jvp (static)",
        |v: &Vector3<f64>| v.norm(),
        &v,
        &t_v,
        &tangent,
        &s,
        |d| norm_vjp(d, &v, &y, &s),
    );

    for n in 2..=4 {
        // Static 2×2 to 4×4 agree with dynamic ones: the cofactor rules of n ≤ 3 and the
        // inverse of n = 4.
        let x = DMatrix::from_fn(n, n, |_, _| rng.value());
        let t_x = DMatrix::from_fn(n, n, |_, _| rng.value());
        let det = x.determinant();
        let tangent = determinant_jvp(&x, &det, &t_x);
        let expected = match n {
            2 => {
                let (x, t) = (
                    Matrix2::from_iterator(x.iter().copied()),
                    Matrix2::from_iterator(t_x.iter().copied()),
                );
                determinant_jvp(&x, &x.determinant(), &t)
            }
            3 => {
                let (x, t) = (
                    Matrix3::from_iterator(x.iter().copied()),
                    Matrix3::from_iterator(t_x.iter().copied()),
                );
                determinant_jvp(&x, &x.determinant(), &t)
            }
            4 => {
                let (x, t) = (
                    Matrix4::from_iterator(x.iter().copied()),
                    Matrix4::from_iterator(t_x.iter().copied()),
                );
                determinant_jvp(&x, &x.determinant(), &t)
            }
            _ => unreachable!(),
        };
        assert!(
            (tangent - expected).abs() <= 1e-12 * tangent.abs().max(1.0),
            "n = {n}"
        );
    }

    let a = Matrix2::new(4.0, 0.5, -0.25, 3.0);
    let (b, t_a, t_b) = (
        Vector2::new(1.0, -2.0),
        Matrix2::new(0.1, 0.2, -0.3, 0.4),
        Vector2::new(0.5, 0.25),
    );
    let x = a.lu().solve(&b).unwrap();
    let w = Vector2::new(0.3, -0.7);
    let tangent: Vector2<f64> = solve_jvp_self(&a, &x, &t_a);
    check_forward(
        "solve_jvp_self (static)",
        |a: &Matrix2<f64>| a.lu().solve(&b).unwrap(),
        &a,
        &t_a,
        &tangent,
        &w,
        |d| solve_vjp_self(d, &a, &x, &w),
    );
    let tangent: Vector2<f64> = solve_jvp_b(&a, &t_b);
    check_forward(
        "solve_jvp_b (static)",
        |b: &Vector2<f64>| a.lu().solve(b).unwrap(),
        &b,
        &t_b,
        &tangent,
        &w,
        |d| solve_vjp_b(d, &a, &w),
    );
    let y = a.try_inverse().unwrap();
    let w = Matrix2::new(1.0, -1.0, 0.5, 2.0);
    let tangent: Matrix2<f64> = inverse_jvp(&y, &t_a);
    check_forward(
        "inverse_jvp (static)",
        |a: &Matrix2<f64>| a.try_inverse().unwrap(),
        &a,
        &t_a,
        &tangent,
        &w,
        |d| inverse_vjp(d, &y, &w),
    );
}

/// Near a singular matrix the determinant's tangent still comes from the cofactors (the
/// gradient of a rank n − 1 matrix is nonzero): ⟨cof(A), Ȧ⟩, the derivative of det(A + tȦ).
#[test]
fn determinant_jvp_of_a_singular_matrix() {
    // Rank 4 of 5: the last column is the sum of the first two.
    let mut a = DMatrix::from_fn(5, 5, |i, j| {
        ((i * 7 + j * 3) % 5) as f64 - 2.0 + 0.1 * (i + j) as f64
    });
    let last = a.column(0) + a.column(1);
    a.set_column(4, &last);
    let t = DMatrix::from_fn(5, 5, |i, j| if (i + j) % 3 == 0 { 0.5 } else { -0.25 });
    let det = a.determinant();
    let tangent = determinant_jvp(&a, &det, &t);
    let step = 1e-6;
    let numeric = ((&a + &t * step).determinant() - (&a - &t * step).determinant()) / (2.0 * step);
    assert!(
        tangent.abs() > 1e-3,
        "a rank n − 1 matrix has a nonzero derivative: {tangent}"
    );
    assert!(
        (tangent - numeric).abs() < 1e-6 * tangent.abs().max(1.0),
        "{tangent} vs {numeric}"
    );
}

#[test]
fn norm_jvp_at_zero_is_zero() {
    let zero = DVector::<f64>::zeros(3);
    assert_eq!(norm_jvp(&zero, &0.0, &DVector::from_element(3, 1.0)), 0.0);
}

#[test]
fn singular_inverse_and_solve_give_nan() {
    let singular = Matrix2::new(1.0, 2.0, 2.0, 4.0_f64);
    let t = Matrix2::new(1.0, 0.0, 0.0, 1.0);
    assert!(solve_jvp_b(&singular, &Vector2::new(1.0, 1.0))
        .iter()
        .all(|v| v.is_nan()));
    assert!(solve_jvp_self(&singular, &Vector2::new(1.0, 1.0), &t)
        .iter()
        .all(|v| v.is_nan()));
}

/// The rules work in f32 (same generic code): they agree with f64 to f32 precision.
#[test]
fn f32_agrees_with_f64() {
    let a = Matrix2x3::new(0.5, -1.0, 1.5, 2.0, -0.25, 0.75_f64);
    let t = Matrix2x3::new(1.0, 0.5, -0.5, 0.25, 2.0, -1.0_f64);
    let (a32, t32) = (a.cast::<f32>(), t.cast::<f32>());
    assert!((f64::from(dot_jvp_self(&a32, &t32)) - dot_jvp_self(&a, &t)).abs() < 1e-5);
    assert!(
        (f64::from(norm_jvp(&a32, &a32.norm(), &t32)) - norm_jvp(&a, &a.norm(), &t)).abs() < 1e-5
    );
    let diff = component_div_jvp_rhs(&a32, &a32.component_div(&a32), &t32).cast::<f64>()
        - component_div_jvp_rhs(&a, &a.component_div(&a), &t);
    assert!(diff.amax() < 1e-5);
}

/// The sum of two matrix contributions (static and dynamic).
#[test]
fn add_tangents_of_matrices() {
    let (a, b) = (
        Matrix2::new(1.0, 2.0, 3.0, 4.0_f64),
        Matrix2::new(0.5, -1.0, 0.25, -0.0),
    );
    assert_eq!(add_tangents(a, b), a + b);
    let (a, b) = (
        DMatrix::from_element(2, 3, 1.5_f64),
        DMatrix::from_element(2, 3, -0.5),
    );
    assert_eq!(add_tangents(a.clone(), b.clone()), a + b);
}

/// A symmetric positive definite n×n matrix with junk above the diagonal (which
/// `cholesky` does not read).
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

proptest! {
    #![proptest_config(cases())]

    /// The Cholesky rules: the factor of A, then `l()`, `solve` and `ln_determinant` of
    /// the factor (`Cholesky::pack_dirty`, junk above the diagonal included).
    #[test]
    fn cholesky(n in 1..6usize, k in 1..4usize, seed in any::<u64>()) {
        use nalgebra::linalg::Cholesky;
        use tapeless_runtime::cholesky::*;
        let mut rng = Rng::new(seed);
        let a = lower_spd(&mut rng, n);
        let c = a.clone().cholesky().unwrap();
        let (t_a, w) = (random(&mut rng, n, n), random(&mut rng, n, n));
        let tangent = cholesky_jvp(&c, &t_a);
        check_forward("cholesky_jvp", |a: &DMatrix<f64>| a.clone().cholesky().unwrap().l(), &a, &t_a, &tangent, &w, |d| cholesky_vjp(d, &c, &w));

        let l = c.l() + DMatrix::from_fn(n, n, |i, j| if i < j { rng.value() } else { 0.0 });
        let c = Cholesky::pack_dirty(l.clone());
        let of = |l: &DMatrix<f64>| Cholesky::pack_dirty(l.clone());
        let t_l = random(&mut rng, n, n);
        let tangent = cholesky_l_jvp(&c, &t_l);
        check_forward("cholesky_l_jvp", |l: &DMatrix<f64>| of(l).l(), &l, &t_l, &tangent, &w, |d| cholesky_l_vjp(d, &c, &w));
        let s = rng.value();
        let tangent = cholesky_ln_determinant_jvp(&c, &t_l);
        check_forward("cholesky_ln_determinant_jvp", |l: &DMatrix<f64>| of(l).ln_determinant(), &l, &t_l, &tangent, &s, |d| cholesky_ln_determinant_vjp(d, &c, &s));
        let y = c.determinant();
        let tangent = determinant_jvp(&c, &y, &t_l);
        check_forward("determinant_jvp (Cholesky)", |l: &DMatrix<f64>| of(l).determinant(), &l, &t_l, &tangent, &s, |d| determinant_vjp(d, &c, &y, &s));

        let (b, t_b) = (random(&mut rng, n, k), random(&mut rng, n, k));
        let x = c.solve(&b);
        let w = random(&mut rng, n, k);
        let tangent = cholesky_solve_jvp_self(&c, &x, &t_l);
        check_forward("cholesky_solve_jvp_self", |l: &DMatrix<f64>| of(l).solve(&b), &l, &t_l, &tangent, &w, |d| cholesky_solve_vjp_self(d, &c, &x, &w));
        let tangent = cholesky_solve_jvp_b(&c, &t_b);
        check_forward("cholesky_solve_jvp_b", |b: &DMatrix<f64>| c.solve(b), &b, &t_b, &tangent, &w, |d| cholesky_solve_vjp_b(d, &c, &w));
    }

    #[test]
    fn diagonal(n in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (m, t_m) = (random(&mut rng, n, n), random(&mut rng, n, n));
        let w = DVector::from_fn(n, |_, _| rng.value());
        let tangent = diagonal_jvp(&t_m);
        check_forward("diagonal_jvp", |m: &DMatrix<f64>| m.diagonal(), &m, &t_m, &tangent, &w, |d| diagonal_vjp(d, &w));
    }
}

proptest! {
    #![proptest_config(cases())]

    /// The triangular solves: their JVPs against central differences and their VJPs.
    #[test]
    fn triangular_solves(n in 1..5usize, k in 1..4usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = DMatrix::from_fn(n, n, |i, j| if i == j { 2.0 + rng.value().abs() } else { rng.value() });
        macro_rules! check {
            ($name:ident, $vjp_self:ident, $jvp_self:ident, $vjp_b:ident, $jvp_b:ident) => {
                let (b, t_b, t_a) = (random(&mut rng, n, k), random(&mut rng, n, k), random(&mut rng, n, n));
                let x = a.$name(&b).unwrap();
                let w = random(&mut rng, n, k);
                let tangent = $jvp_self(&a, &x, &t_a);
                check_forward(stringify!($jvp_self), |a: &DMatrix<f64>| a.$name(&b).unwrap(), &a, &t_a, &tangent, &w, |d| $vjp_self(d, &a, &x, &w));
                let tangent = $jvp_b(&a, &t_b);
                check_forward(stringify!($jvp_b), |b: &DMatrix<f64>| a.$name(b).unwrap(), &b, &t_b, &tangent, &w, |d| $vjp_b(d, &a, &w));
            };
        }
        check!(solve_lower_triangular, solve_lower_triangular_vjp_self, solve_lower_triangular_jvp_self, solve_lower_triangular_vjp_b, solve_lower_triangular_jvp_b);
        check!(solve_upper_triangular, solve_upper_triangular_vjp_self, solve_upper_triangular_jvp_self, solve_upper_triangular_vjp_b, solve_upper_triangular_jvp_b);
        check!(tr_solve_lower_triangular, tr_solve_lower_triangular_vjp_self, tr_solve_lower_triangular_jvp_self, tr_solve_lower_triangular_vjp_b, tr_solve_lower_triangular_jvp_b);
    }
}
