//! nalgebra's `normalize` and `cross` on differentiated vectors: central differences (f64,
//! static and dynamic vectors), a closed form (f32), and forward against reverse mode
//! (⟨∇f, v⟩ from `f_grad` equals `f_jvp` along v: the helpers' dot-product identity).
#![allow(clippy::all)]

use nalgebra::{DVector, Vector3};
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

/// A unit direction, a cross product of it with another vector, and both read back.
#[differentiate]
fn frame(a: Vector3<f64>, b: Vector3<f64>) -> f64 {
    let u = a.normalize();
    let n = u.cross(&b);
    let m = a.cross(&n);
    n.norm_squared() + u.dot(&b).sin() + m[2] * u[0]
}

#[test]
fn normalize_and_cross_static() {
    probe!(p => frame, frame_grad, frame_vjp,
        [Vector3::new(p[0], p[1], p[2]), Vector3::new(p[3], p[4], p[5])], [a, b],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2]);
}

#[differentiate]
fn unit_dynamic(x: &DVector<f64>, w: &DVector<f64>) -> f64 {
    let u = x.normalize();
    u.dot(w) + u[0] * u[1]
}

#[test]
fn normalize_dynamic() {
    probe!(p => unit_dynamic, unit_dynamic_grad, unit_dynamic_vjp,
        [&DVector::from_column_slice(&p[..4]), &DVector::from_column_slice(&p[4..])], [x, w],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2, 0.4, 0.9]);
}

/// f32, closed forms: f(a, b) = (a × b)·c has ∂f/∂a = b × c and ∂f/∂b = c × a.
#[differentiate]
fn triple(a: Vector3<f32>, b: Vector3<f32>, c: Vector3<f32>) -> f32 {
    a.cross(&b).dot(&c)
}

#[test]
fn cross_f32_closed_form() {
    let a = Vector3::new(1.0f32, -2.0, 0.5);
    let b = Vector3::new(0.3f32, 0.8, -1.1);
    let c = Vector3::new(-0.6f32, 0.2, 1.4);
    let (v, g) = triple_grad(a, b, c);
    assert_eq!(v, triple(a, b, c));
    assert!((g.a - b.cross(&c)).norm() < 1e-6);
    assert!((g.b - c.cross(&a)).norm() < 1e-6);
    assert!((g.c - a.cross(&b)).norm() < 1e-6);
}

/// Forward mode along a direction equals ⟨∇f, direction⟩ (reverse mode).
#[test]
fn forward_matches_reverse() {
    let a = Vector3::new(0.5, -1.0, 1.5);
    let b = Vector3::new(0.3, -0.7, 1.2);
    let (_, g) = frame_grad(a, b);
    let direction = FrameGrad {
        a: Vector3::new(0.2, -0.4, 0.9),
        b: Vector3::new(-0.3, 0.5, 0.1),
    };
    let (value, slope) = frame_jvp(a, b, &direction);
    assert_eq!(value, frame(a, b));
    let expected = g.a.dot(&direction.a) + g.b.dot(&direction.b);
    assert!((slope - expected).abs() < 1e-12, "{slope} vs {expected}");
}
