//! nalgebra's fixed-size constructors of differentiated values, as users write them:
//! `Vector3::new(x, y, z)`, `Matrix2::new(c, -s, s, c)` (arguments row by row),
//! `Matrix2x3::new(..)`, `RowVector2::new(..)`. Gradients against closed forms and central
//! differences in `f64` and `f32`, `f_jvp` against ⟨v, ∇f⟩, and a generic version.

use nalgebra::{Matrix2, Matrix2x3, RealField, RowVector2, Vector2, Vector3};
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

/// The end point of a planar two-link arm, compared with a target.
#[differentiate]
fn reach(q1: f64, q2: f64, target: &Vector2<f64>) -> f64 {
    let rotation = |angle: f64| {
        let (s, c) = angle.sin_cos();
        Matrix2::new(c, -s, s, c)
    };
    let first = rotation(q1);
    let second = rotation(q1 + q2);
    let elbow = first * Vector2::new(1.0, 0.0);
    let hand = elbow + second * Vector2::new(0.8, 0.0);
    (hand - target).norm_squared()
}

/// A cross product of vectors built from the parameters, a 2×3 matrix and a row vector.
#[differentiate]
fn assembled(x: f64, y: f64, z: f64) -> f64 {
    let a = Vector3::new(x, y * y, 1.0);
    let b = Vector3::new(z, x.sin(), y);
    let m = Matrix2x3::new(x, y, z, 2.0 * x, -y, x * z);
    let r = RowVector2::new(y, -z);
    (r * m * a.cross(&b))[0]
}

#[test]
fn arm_from_rotations() {
    let target = Vector2::new(0.9, 1.1);
    let (value, g) = reach_grad(0.4, 0.9, &target);
    assert_eq!(value, reach(0.4, 0.9, &target));
    // Closed form: hand = (cos q1 + 0.8 cos(q1 + q2), sin q1 + 0.8 sin(q1 + q2)).
    let (q1, q2) = (0.4f64, 0.9f64);
    let hand = Vector2::new(
        q1.cos() + 0.8 * (q1 + q2).cos(),
        q1.sin() + 0.8 * (q1 + q2).sin(),
    );
    let r = hand - target;
    let d_q2 = Vector2::new(-0.8 * (q1 + q2).sin(), 0.8 * (q1 + q2).cos());
    let d_q1 = Vector2::new(-q1.sin(), q1.cos()) + d_q2;
    assert!((g.q1 - 2.0 * r.dot(&d_q1)).abs() < 1e-12);
    assert!((g.q2 - 2.0 * r.dot(&d_q2)).abs() < 1e-12);
    let tangent = ReachGrad {
        q1: 0.3,
        q2: -0.7,
        target: Vector2::new(0.2, 0.1),
    };
    let (_, dy) = reach_jvp(0.4, 0.9, &target, &tangent);
    let expected = 0.3 * g.q1 - 0.7 * g.q2 + 0.2 * g.target[0] + 0.1 * g.target[1];
    assert!((dy - expected).abs() < 1e-12);
}

#[test]
fn vectors_and_matrices_from_parameters() {
    let point = [0.6, -0.4, 1.3];
    let f = |p: &[f64]| assembled(p[0], p[1], p[2]);
    let (value, g) = assembled_grad(0.6, -0.4, 1.3);
    assert_eq!(value, f(&point));
    let numeric = central_difference(f, &point);
    assert_close("assembled", &[g.x, g.y, g.z], &numeric, 1e-6);
    let (_, dy) = assembled_jvp(
        0.6,
        -0.4,
        1.3,
        &AssembledGrad {
            x: 1.0,
            y: 2.0,
            z: -1.0,
        },
    );
    let expected = g.x + 2.0 * g.y - g.z;
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

#[differentiate]
fn generic_assembled<T: RealField + Copy>(x: T, y: T) -> T {
    let v = Vector3::new(x, y, x * y);
    let m = Matrix2::new(x, y, -y, x);
    v.norm() + m.determinant()
}

#[test]
fn generic_constructors_in_f64_and_f32() {
    let f = |p: &[f64]| generic_assembled(p[0], p[1]);
    let numeric = central_difference(f, &[0.7, -1.1]);
    let (value, g) = generic_assembled_grad(0.7, -1.1);
    assert_eq!(value, f(&[0.7, -1.1]));
    assert_close("generic_assembled (f64)", &[g.x, g.y], &numeric, 1e-6);
    let (_, g) = generic_assembled_grad(0.7f32, -1.1f32);
    assert_close(
        "generic_assembled (f32)",
        &[g.x as f64, g.y as f64],
        &numeric,
        2e-3,
    );
}

/// Views, constructors and a step over a slice in a function with a Hessian (forward over
/// reverse, on dual numbers).
#[differentiate(hessian)]
fn curvature(x: &nalgebra::DVector<f64>) -> f64 {
    let head = x.rows(0, 2);
    let m = nalgebra::Matrix3::new(x[0], x[1], 0.0, 0.0, x[2], x[0], 1.0, 0.0, x[1]);
    let v = Vector3::new(x[2], x[0] * x[1], 1.0);
    head.norm_squared() * x[2] + (m * v).sum() + x.iter().step_by(2).map(|a| a * a * a).sum::<f64>()
}

#[test]
fn hessian_through_views_and_constructors() {
    use nalgebra::DVector;
    let x = DVector::from_vec(vec![0.3, -0.5, 0.8]);
    let (value, g, rows) = curvature_hessian(&x);
    assert_eq!(value, curvature(&x));
    let (_, g2) = curvature_grad(&x);
    assert_eq!(g.x, g2.x);
    // Each row against central differences of the gradient.
    let h = 1e-5;
    for (j, row) in rows.iter().enumerate() {
        let (mut up, mut down) = (x.clone(), x.clone());
        up[j] += h;
        down[j] -= h;
        let (gu, gd) = (curvature_grad(&up).1.x, curvature_grad(&down).1.x);
        for i in 0..3 {
            let numeric = (gu[i] - gd[i]) / (2.0 * h);
            assert!(
                (row.x[i] - numeric).abs() < 1e-6 * (1.0 + numeric.abs()),
                "H[{j}][{i}] = {} vs {numeric}",
                row.x[i]
            );
        }
    }
}
