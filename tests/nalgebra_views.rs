//! Views of differentiated nalgebra values read as values: `rows(i, n)`, `columns(j, n)`,
//! `fixed_rows::<N>(i)`, `fixed_columns::<N>(j)`, `fixed_view::<R, C>(i, j)` and
//! `view((i, j), (r, c))`, written the way users write them (a parameter vector unpacked
//! into blocks, a homogeneous transform split into rotation and translation, a state
//! vector split into position and velocity). Each gradient against central differences in
//! `f64` and `f32`, and `f_jvp` against ⟨v, ∇f⟩ in one direction; generic versions too.
#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, Matrix3, RealField, SVector, Vector2};
use tapeless::check::central_difference;
use tapeless::differentiate;

fn assert_close(what: &str, analytic: &[f64], numeric: &[f64], tolerance: f64) {
    assert_eq!(analytic.len(), numeric.len(), "{what}");
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        assert!(
            (a - n).abs() <= tolerance * (1.0 + n.abs()),
            "{what}, coordinate {i}: {a} vs central differences {n}"
        );
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// A tiny two-layer model whose parameters come packed in one vector: two rows of weights,
/// a bias, the output weights.
#[differentiate]
fn packed_model(theta: &DVector<f64>, x: &DVector<f64>, target: f64) -> f64 {
    let w1 = theta.rows(0, 2);
    let w2 = theta.rows(2, 2);
    let b = theta.rows(4, 2);
    let out = theta.rows(6, 2);
    let h1 = (w1.dot(x) + b[0]).tanh();
    let h2 = (w2.dot(x) + b[1]).tanh();
    let y = out[0] * h1 + out[1] * h2;
    (y - target) * (y - target)
}

/// Ridge regression on the first `k` features: `x.columns(0, k) * w`.
#[differentiate]
fn leading_features(x: &DMatrix<f64>, w: &DVector<f64>, y: &DVector<f64>, k: usize) -> f64 {
    let xk = x.columns(0, k);
    let r = xk * w - y;
    r.norm_squared() + 0.1 * w.norm_squared()
}

/// A rigid transform in homogeneous coordinates applied to a point: the rotation block and
/// the translation column read with `fixed_view`.
#[differentiate]
fn transform_residual(m: &Matrix3<f64>, p: &Vector2<f64>, q: &Vector2<f64>) -> f64 {
    let r = m.fixed_view::<2, 2>(0, 0);
    let t = m.fixed_view::<2, 1>(0, 2);
    let moved = r * p + t;
    (moved - q).norm_squared()
}

/// The energy of a particle whose state is (position, velocity) in one 6-vector.
#[differentiate]
fn state_energy(state: &SVector<f64, 6>, mass: f64, g: f64) -> f64 {
    let position = state.fixed_rows::<3>(0);
    let velocity = state.fixed_rows::<3>(3).into_owned();
    0.5 * mass * velocity.norm_squared() + mass * g * position[2]
}

/// The trace of a square block in the middle of a matrix, and the sum of its last columns.
#[differentiate]
fn blocks(a: &DMatrix<f64>) -> f64 {
    let middle = a.view((1, 1), (2, 2));
    let last = a.fixed_columns::<2>(1);
    middle.trace() * last.sum() + middle.norm()
}

#[test]
fn packed_parameters_through_rows() {
    let theta = [0.3, -0.2, 0.5, 0.1, 0.4, -0.6, 0.7, 0.2];
    let x = DVector::from_vec(vec![0.9, -1.1]);
    let f = |t: &[f64]| packed_model(&DVector::from_column_slice(t), &x, 0.25);
    let (value, g) = packed_model_grad(&DVector::from_column_slice(&theta), &x, 0.25);
    assert_eq!(value, f(&theta));
    let numeric = central_difference(f, &theta);
    assert_close("packed_model", g.theta.as_slice(), &numeric, 1e-6);
    let direction = [0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7, -0.8];
    let tangent = PackedModelGrad {
        theta: DVector::from_column_slice(&direction),
        x: DVector::zeros(2),
        target: 0.0,
    };
    let (_, dy) = packed_model_jvp(&DVector::from_column_slice(&theta), &x, 0.25, &tangent);
    let expected = dot(g.theta.as_slice(), &direction);
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

#[test]
fn leading_columns() {
    let xs = [
        0.5, -0.3, 1.2, 0.8, 0.1, -0.7, 0.4, 0.9, -1.0, 0.2, 0.6, -0.4,
    ];
    let w = [0.3, -0.8];
    let y = DVector::from_vec(vec![0.1, 0.5, -0.2, 0.3]);
    let point: Vec<f64> = xs.iter().chain(&w).copied().collect();
    let f = |p: &[f64]| {
        let x = DMatrix::from_column_slice(4, 3, &p[..12]);
        leading_features(&x, &DVector::from_column_slice(&p[12..]), &y, 2)
    };
    let x = DMatrix::from_column_slice(4, 3, &xs);
    let (value, g) = leading_features_grad(&x, &DVector::from_column_slice(&w), &y, 2);
    assert_eq!(value, f(&point));
    let analytic: Vec<f64> = g.x.iter().chain(g.w.iter()).copied().collect();
    // The third column is not read: its gradient is exactly zero.
    assert!(g.x.column(2).iter().all(|&v| v == 0.0));
    assert_close(
        "leading_features",
        &analytic,
        &central_difference(f, &point),
        1e-6,
    );
    let direction: Vec<f64> = (0..14).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
    let tangent = LeadingFeaturesGrad {
        x: DMatrix::from_column_slice(4, 3, &direction[..12]),
        w: DVector::from_column_slice(&direction[12..]),
        y: DVector::zeros(4),
    };
    let (_, dy) = leading_features_jvp(&x, &DVector::from_column_slice(&w), &y, 2, &tangent);
    let expected = dot(&analytic, &direction);
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

#[test]
fn homogeneous_transform_blocks() {
    let angle: f64 = 0.4;
    let m = Matrix3::new(
        angle.cos(),
        -angle.sin(),
        0.5,
        angle.sin(),
        angle.cos(),
        -0.2,
        0.0,
        0.0,
        1.0,
    );
    let p = Vector2::new(1.0, 2.0);
    let q = Vector2::new(0.3, 1.9);
    let point: Vec<f64> = m.iter().chain(p.iter()).copied().collect();
    let f = |t: &[f64]| {
        transform_residual(
            &Matrix3::from_column_slice(&t[..9]),
            &Vector2::new(t[9], t[10]),
            &q,
        )
    };
    let (value, g) = transform_residual_grad(&m, &p, &q);
    assert_eq!(value, f(&point));
    let analytic: Vec<f64> = g.m.iter().chain(g.p.iter()).copied().collect();
    // The last row of the transform is not read.
    assert_eq!([g.m[(2, 0)], g.m[(2, 1)], g.m[(2, 2)]], [0.0; 3]);
    assert_close(
        "transform_residual",
        &analytic,
        &central_difference(f, &point),
        1e-6,
    );
    let direction: Vec<f64> = (0..11).map(|i| (i as f64 * 0.37).sin()).collect();
    let tangent = TransformResidualGrad {
        m: Matrix3::from_column_slice(&direction[..9]),
        p: Vector2::new(direction[9], direction[10]),
        q: Vector2::zeros(),
    };
    let (_, dy) = transform_residual_jvp(&m, &p, &q, &tangent);
    let expected = dot(&analytic, &direction);
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

#[test]
fn state_vector_halves() {
    let s = SVector::<f64, 6>::from_column_slice(&[0.1, -0.4, 2.0, 1.5, -0.5, 0.25]);
    let (value, g) = state_energy_grad(&s, 2.0, 9.81);
    assert_eq!(value, state_energy(&s, 2.0, 9.81));
    // Closed form: ∂/∂position = (0, 0, m·g), ∂/∂velocity = m·v; ∂/∂m = |v|²/2 + g·z,
    // ∂/∂g = m·z.
    let expected = [0.0, 0.0, 2.0 * 9.81, 2.0 * 1.5, 2.0 * -0.5, 2.0 * 0.25];
    assert_close("state_energy", g.state.as_slice(), &expected, 1e-12);
    let v2 = 1.5f64 * 1.5 + 0.25 + 0.0625;
    assert!((g.mass - (0.5 * v2 + 9.81 * 2.0)).abs() < 1e-12);
    assert!((g.g - 4.0).abs() < 1e-12);
    let tangent = StateEnergyGrad {
        state: SVector::from_column_slice(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        mass: 0.5,
        g: -1.0,
    };
    let (_, dy) = state_energy_jvp(&s, 2.0, 9.81, &tangent);
    let expected = dot(&expected, tangent.state.as_slice()) + 0.5 * g.mass - g.g;
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

#[test]
fn block_views() {
    let values: Vec<f64> = (0..12).map(|i| ((i * 5 % 7) as f64 - 3.0) * 0.3).collect();
    let f = |t: &[f64]| blocks(&DMatrix::from_column_slice(3, 4, t));
    let a = DMatrix::from_column_slice(3, 4, &values);
    let (value, g) = blocks_grad(&a);
    assert_eq!(value, f(&values));
    assert_close(
        "blocks",
        g.a.as_slice(),
        &central_difference(f, &values),
        1e-6,
    );
    let direction: Vec<f64> = (0..12).map(|i| (i as f64).cos()).collect();
    let tangent = BlocksGrad {
        a: DMatrix::from_column_slice(3, 4, &direction),
    };
    let (_, dy) = blocks_jvp(&a, &tangent);
    let expected = dot(g.a.as_slice(), &direction);
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

/// The same views in generic code, run in `f64` and `f32`.
#[differentiate]
fn generic_views<T: RealField + Copy>(a: &DMatrix<T>, s: &SVector<T, 4>) -> T {
    let top = a.rows(0, 2);
    let right = a.columns(1, 2);
    let corner = a.fixed_view::<2, 2>(1, 1);
    let head = s.fixed_rows::<2>(0);
    let tail = s.fixed_rows::<2>(2);
    let middle = a.view((1, 0), (1, 3));
    top.sum() * right.norm() + (corner * head).dot(&tail) + a.fixed_columns::<1>(0).sum()
        - middle.norm_squared()
}

#[test]
fn generic_views_in_f64_and_f32() {
    let values: Vec<f64> = (0..13).map(|i| ((i * 3 % 8) as f64 - 3.5) * 0.2).collect();
    let split = |t: &[f64]| {
        (
            DMatrix::from_column_slice(3, 3, &t[..9]),
            SVector::<f64, 4>::from_column_slice(&t[9..]),
        )
    };
    let f = |t: &[f64]| {
        let (a, s) = split(t);
        generic_views(&a, &s)
    };
    let numeric = central_difference(f, &values);
    let (a, s) = split(&values);
    let (value, g) = generic_views_grad(&a, &s);
    assert_eq!(value, f(&values));
    let analytic: Vec<f64> = g.a.iter().chain(g.s.iter()).copied().collect();
    assert_close("generic_views (f64)", &analytic, &numeric, 1e-6);
    let direction: Vec<f64> = (0..13).map(|i| (i as f64 * 0.7).sin()).collect();
    let (da, ds) = split(&direction);
    let (_, dy) = generic_views_jvp(&a, &s, &GenericViewsGrad { a: da, s: ds });
    let expected = dot(&analytic, &direction);
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
    let single: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    let a32 = DMatrix::from_column_slice(3, 3, &single[..9]);
    let s32 = SVector::<f32, 4>::from_column_slice(&single[9..]);
    let (_, g32) = generic_views_grad(&a32, &s32);
    let analytic32: Vec<f64> = g32
        .a
        .iter()
        .chain(g32.s.iter())
        .map(|&v| v as f64)
        .collect();
    assert_close("generic_views (f32)", &analytic32, &numeric, 2e-3);
}

/// A differentiated caller of functions that take views of their parameters (the callee's
/// reverse sweep runs as a closure that takes its views again).
#[differentiate]
fn two_models(theta: &DVector<f64>, x: &DVector<f64>, m: &Matrix3<f64>, p: &Vector2<f64>) -> f64 {
    let q = Vector2::new(0.5, -0.5);
    packed_model(theta, x, 0.1) * transform_residual(m, p, &q)
}

#[test]
fn views_in_called_functions() {
    let theta = DVector::from_vec(vec![0.3, -0.2, 0.5, 0.1, 0.4, -0.6, 0.7, 0.2]);
    let x = DVector::from_vec(vec![0.9, -1.1]);
    let m = Matrix3::new(0.9, -0.3, 0.2, 0.4, 1.1, -0.1, 0.0, 0.0, 1.0);
    let p = Vector2::new(1.5, 0.2);
    let point: Vec<f64> = theta
        .iter()
        .chain(x.iter())
        .chain(m.iter())
        .chain(p.iter())
        .copied()
        .collect();
    let f = |t: &[f64]| {
        two_models(
            &DVector::from_column_slice(&t[..8]),
            &DVector::from_column_slice(&t[8..10]),
            &Matrix3::from_column_slice(&t[10..19]),
            &Vector2::from_column_slice(&t[19..]),
        )
    };
    let (value, g) = two_models_grad(&theta, &x, &m, &p);
    assert_eq!(value, f(&point));
    let analytic: Vec<f64> = g
        .theta
        .iter()
        .chain(g.x.iter())
        .chain(g.m.iter())
        .chain(g.p.iter())
        .copied()
        .collect();
    assert_close(
        "two_models",
        &analytic,
        &central_difference(f, &point),
        1e-6,
    );
}
