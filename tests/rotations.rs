//! nalgebra's 3-D rotations in differentiated code: `Rotation3::from_euler_angles` of
//! differentiated angles, `Rotation3::new(ω)` (`from_scaled_axis`) of a differentiated
//! axis-angle vector (at ω = 0 too, where nalgebra takes an identity branch), a rotation times a vector, a matrix or another rotation, and its
//! `transpose()`. A rotation's adjoint and tangent are the matrices of its entries
//! (`runtime/src/rotation.rs`, whose rules have their own property tests). Oracles: central
//! differences, closed forms, `f_jvp` against `f_vjp` by the dot-product test, the Hessian
//! against differences of the gradient; in a loop (rotations saved per step), a branch, and
//! generic code in f32.
#![cfg(feature = "nalgebra")]
// Written as users write them.
#![allow(clippy::needless_range_loop)]

use nalgebra::{RealField, Rotation3, Vector3};
use tapeless::check::{central_difference, check_gradient, Tolerance};
use tapeless::differentiate;

#[path = "support/close.rs"]
mod support;
use support::close;

/// Cosine alignment of a body vector rotated by roll, pitch and yaw with a world vector
/// (the corpus's `attitude_error` in `tests/corpus/robotics.rs` is the squared distance).
#[differentiate(wrt(roll, pitch, yaw))]
fn attitude_error(
    roll: f64,
    pitch: f64,
    yaw: f64,
    body: &Vector3<f64>,
    world: &Vector3<f64>,
) -> f64 {
    let r = Rotation3::from_euler_angles(roll, pitch, yaw);
    let turned = r * body;
    1.0 - turned.dot(world) / (body.norm() * world.norm())
}

#[test]
fn attitude_error_against_differences() {
    let body = Vector3::new(1.0, 0.2, -0.5);
    let world = Vector3::new(0.3, 0.9, 0.1);
    // The last point is at the gimbal lock (pitch = π/2), where the map is still smooth.
    let half_pi = std::f64::consts::FRAC_PI_2;
    for t in [
        [0.1, 0.2, 0.3],
        [-0.5, 0.4, 1.2],
        [1.0, -0.3, -0.8],
        [0.4, half_pi, -0.2],
    ] {
        let f = |t: &[f64]| attitude_error(t[0], t[1], t[2], &body, &world);
        let (v, g) = attitude_error_grad(t[0], t[1], t[2], &body, &world);
        assert_eq!(v, f(&t));
        check_gradient(f, &t, &[g.roll, g.pitch, g.yaw], Tolerance::default()).unwrap();
    }
}

/// A yaw alone: R v turns v in the plane, so ∂/∂yaw of a·(R v) is a·(R′ v) in closed form.
#[differentiate(wrt(yaw))]
fn turned(yaw: f64, v: &Vector3<f64>, a: &Vector3<f64>) -> f64 {
    let r = Rotation3::from_euler_angles(0.0, 0.0, yaw);
    a.dot(&(r * v))
}

#[test]
fn a_yaw_in_closed_form() {
    let (v, a) = (Vector3::new(0.5, -1.5, 0.25), Vector3::new(2.0, 0.75, -1.0));
    let yaw = 0.8_f64;
    let (value, g) = turned_grad(yaw, &v, &a);
    let (s, c) = yaw.sin_cos();
    let rv = Vector3::new(c * v.x - s * v.y, s * v.x + c * v.y, v.z);
    let drv = Vector3::new(-s * v.x - c * v.y, c * v.x - s * v.y, 0.0);
    assert!((value - a.dot(&rv)).abs() < 1e-14);
    assert!((g.yaw - a.dot(&drv)).abs() < 1e-14);
}

/// Two rotations composed, then the transpose applied: every argument differentiated.
#[differentiate]
fn composed(a: f64, b: f64, v: &Vector3<f64>) -> Vector3<f64> {
    let r1 = Rotation3::from_euler_angles(a, 0.3, b);
    let r2 = Rotation3::from_euler_angles(b * 2.0, a, 0.1);
    let r = r1 * r2;
    r.transpose() * v
}

#[test]
fn composed_rotations_in_both_modes() {
    let (a, b) = (0.3, -0.6);
    let v = Vector3::new(0.4, -1.0, 0.7);
    let w = Vector3::new(1.5, -0.5, 2.0);
    let (value, g) = composed_vjp(a, b, &v, w);
    assert_eq!(value, composed(a, b, &v));
    let point = [a, b, v.x, v.y, v.z];
    let f = |q: &[f64]| composed(q[0], q[1], &Vector3::new(q[2], q[3], q[4])).dot(&w);
    let analytic = [g.a, g.b, g.v.x, g.v.y, g.v.z];
    check_gradient(f, &point, &analytic, Tolerance::default()).unwrap();
    // ⟨J t, w⟩ = ⟨t, Jᵀ w⟩.
    let t = ComposedGrad {
        a: 0.7,
        b: -1.1,
        v: Vector3::new(0.2, 0.9, -0.4),
    };
    let (_, jt) = composed_jvp(a, b, &v, &t);
    let right = t.a * g.a + t.b * g.b + t.v.dot(&g.v);
    assert!((jt.dot(&w) - right).abs() < 1e-13 * (1.0 + right.abs()));
    // Each row of the Jacobian is the VJP of a unit seed.
    let (_, rows) = composed_jacobian(a, b, &v);
    for (i, row) in rows.iter().enumerate() {
        let (_, unit) = composed_vjp(a, b, &v, Vector3::ith(i, 1.0));
        assert_eq!((row.a, row.b, row.v), (unit.a, unit.b, unit.v), "row {i}");
    }
}

/// A planar arm: each joint turns the rest of the chain about z, so every step's rotation
/// is saved for the reverse sweep.
#[differentiate(wrt(angles))]
fn arm_tip_error(angles: &[f64], link: &Vector3<f64>, target: &Vector3<f64>) -> f64 {
    let mut tip = Vector3::zeros();
    let mut heading = 0.0;
    for i in 0..angles.len() {
        heading += angles[i];
        let r = Rotation3::from_euler_angles(0.0, 0.0, heading);
        tip += r * link;
    }
    (tip - target).norm_squared()
}

#[test]
fn a_chain_of_rotations_in_a_loop() {
    let angles = [0.3, -0.5, 0.9, 0.2];
    let (link, target) = (Vector3::new(1.0, 0.0, 0.0), Vector3::new(2.0, 1.5, 0.0));
    let (value, g) = arm_tip_error_grad(&angles, &link, &target);
    assert_eq!(value, arm_tip_error(&angles, &link, &target));
    let fd = central_difference(|q| arm_tip_error(q, &link, &target), &angles);
    close("arm", &g.angles, &fd, 1e-8);
}

/// A rotation chosen by a branch on the data.
#[differentiate(wrt(theta))]
fn flipped(theta: f64, v: &Vector3<f64>, about_x: bool) -> f64 {
    let r = if about_x {
        Rotation3::from_euler_angles(theta, 0.0, 0.0)
    } else {
        Rotation3::from_euler_angles(0.0, theta * theta, 0.0)
    };
    let u = r * v;
    u.y * u.z
}

#[test]
fn rotations_in_a_branch() {
    let v = Vector3::new(0.3, 1.2, -0.7);
    for about_x in [true, false] {
        let (_, g) = flipped_grad(0.6, &v, about_x);
        let fd = central_difference(|q| flipped(q[0], &v, about_x), &[0.6]);
        close("flipped", &[g.theta], &fd, 1e-8);
    }
}

/// The Hessian in the angles: its generic copy runs over rotations of dual numbers.
#[differentiate(hessian, wrt(x))]
fn rotated_x(x: &Vector3<f64>, v: &Vector3<f64>) -> f64 {
    let r = Rotation3::from_euler_angles(x[0], x[1], x[2]);
    let u = r * v;
    u.x * u.x + u.y
}

#[test]
fn the_hessian_in_the_angles() {
    let (x, v) = (Vector3::new(0.2, -0.4, 0.9), Vector3::new(1.0, 0.5, -0.3));
    let (value, _, rows) = rotated_x_hessian(&x, &v);
    assert_eq!(value, rotated_x(&x, &v));
    let gradient = |q: &[f64]| {
        let (_, g) = rotated_x_grad(&Vector3::new(q[0], q[1], q[2]), &v);
        [g.x[0], g.x[1], g.x[2]]
    };
    for j in 0..3 {
        let h = 1e-5;
        let (mut plus, mut minus) = ([x[0], x[1], x[2]], [x[0], x[1], x[2]]);
        plus[j] += h;
        minus[j] -= h;
        let (gp, gm) = (gradient(&plus), gradient(&minus));
        for i in 0..3 {
            let fd = (gp[i] - gm[i]) / (2.0 * h);
            assert!((rows[i].x[j] - fd).abs() < 1e-7, "H[{i}][{j}]");
        }
    }
}

/// Generic code: `T: RealField` in f32 and f64.
#[differentiate]
fn spun<T: RealField + Copy>(a: T, v: &Vector3<T>) -> T {
    let r = Rotation3::from_euler_angles(a, a * T::from_f64(0.5).unwrap(), -a);
    (r * v).x
}

#[test]
fn generic_code_in_f32_and_f64() {
    let v64 = Vector3::new(0.5, -1.0, 2.0);
    let (_, g) = spun_grad(0.4_f64, &v64);
    let fd = central_difference(|q| spun(q[0], &v64), &[0.4]);
    close("spun f64", &[g.a], &fd, 1e-8);
    let v32 = Vector3::new(0.5_f32, -1.0, 2.0);
    let (_, g32) = spun_grad(0.4_f32, &v32);
    assert!((f64::from(g32.a) - g.a).abs() < 1e-5);
    assert!((g32.v.cast::<f64>() - g.v).norm() < 1e-5);
}

/// A point rotated by the axis-angle vector ω, against a target: |R(ω)p − t|².
#[differentiate(hessian, wrt(w))]
fn aligned(w: &Vector3<f64>, p: &Vector3<f64>, target: &Vector3<f64>) -> f64 {
    let r = Rotation3::new(*w);
    (r * p - target).norm_squared()
}

/// The same by nalgebra's other name for it.
#[differentiate(wrt(w))]
fn aligned_by_scaled_axis(w: &Vector3<f64>, p: &Vector3<f64>, target: &Vector3<f64>) -> f64 {
    (Rotation3::from_scaled_axis(*w) * p - target).norm_squared()
}

const P: [f64; 3] = [1.0, -0.5, 2.0];
const TARGET: [f64; 3] = [0.3, 0.8, 1.5];

fn axis_angles() -> [Vector3<f64>; 4] {
    [
        Vector3::zeros(),
        Vector3::new(1e-4, -2e-4, 5e-5),
        Vector3::new(0.2, -0.1, 0.3),
        Vector3::new(1.5, 0.7, -2.0),
    ]
}

#[test]
fn an_axis_angle_rotation_against_differences_and_its_jvp() {
    let (p, target) = (Vector3::from(P), Vector3::from(TARGET));
    for w in axis_angles() {
        let f = |q: &[f64]| aligned(&Vector3::new(q[0], q[1], q[2]), &p, &target);
        let (v, g) = aligned_grad(&w, &p, &target);
        assert_eq!(v, f(&[w[0], w[1], w[2]]));
        check_gradient(f, &[w[0], w[1], w[2]], g.w.as_slice(), Tolerance::default()).unwrap();
        let (v2, g2) = aligned_by_scaled_axis_grad(&w, &p, &target);
        assert_eq!(v2, v);
        close("from_scaled_axis", g2.w.as_slice(), g.w.as_slice(), 1e-15);
        let direction = Vector3::new(0.4, -0.7, 0.2);
        let (_, dv) = aligned_jvp(&w, &p, &target, &AlignedGrad { w: direction });
        close("jvp", &[dv], &[g.w.dot(&direction)], 1e-12);
    }
}

/// At ω = 0, R(ω)p ≈ p + ω × p, so ∇_ω |R p − t|² = p × 2(p − t).
#[test]
fn an_axis_angle_rotation_at_zero_in_closed_form() {
    let (p, target) = (Vector3::from(P), Vector3::from(TARGET));
    let (_, g) = aligned_grad(&Vector3::zeros(), &p, &target);
    let want = p.cross(&(2.0 * (p - target)));
    close("∇ at 0", g.w.as_slice(), want.as_slice(), 1e-15);
}

/// The Hessian in ω against differences of the gradient, at ω = 0 too: the generic copy
/// computes the rotation by Rodrigues' formula, whose dual numbers keep their tangents
/// where nalgebra's identity branch would drop them.
#[test]
fn the_hessian_of_an_axis_angle_rotation() {
    let (p, target) = (Vector3::from(P), Vector3::from(TARGET));
    for w in axis_angles() {
        let (value, _, rows) = aligned_hessian(&w, &p, &target);
        assert_eq!(value, aligned(&w, &p, &target));
        let gradient = |q: Vector3<f64>| aligned_grad(&q, &p, &target).1.w;
        for j in 0..3 {
            let h = 1e-5;
            let e = Vector3::from_fn(|i, _| if i == j { h } else { 0.0 });
            let fd = (gradient(w + e) - gradient(w - e)) / (2.0 * h);
            for i in 0..3 {
                assert!(
                    (rows[i].w[j] - fd[i]).abs() < 1e-6 * (1.0 + fd[i].abs()),
                    "H[{i}][{j}] at {w:?}: {} against {}",
                    rows[i].w[j],
                    fd[i]
                );
            }
        }
    }
}

/// Generic code: `Rotation3::new` of a `T: RealField` vector, in f32 and f64.
#[differentiate]
fn spun_axis<T: RealField + Copy>(w: &Vector3<T>, v: &Vector3<T>) -> T {
    (Rotation3::new(*w) * v).x
}

#[test]
fn an_axis_angle_rotation_in_generic_code() {
    let (w, v) = (Vector3::new(0.3, -0.6, 0.2), Vector3::new(0.5, -1.0, 2.0));
    let (_, g) = spun_axis_grad(&w, &v);
    let fd = central_difference(
        |q| spun_axis(&Vector3::new(q[0], q[1], q[2]), &v),
        &[w[0], w[1], w[2]],
    );
    close("spun_axis f64", g.w.as_slice(), &fd, 1e-8);
    let (_, g32) = spun_axis_grad(&w.cast::<f32>(), &v.cast::<f32>());
    assert!((g32.w.cast::<f64>() - g.w).norm() < 1e-5);
}
