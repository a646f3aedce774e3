//! The rotation rules (`runtime/src/rotation.rs`): `Rotation3::from_euler_angles`,
//! `Rotation3::new` (`from_scaled_axis`) and products with a rotation, each helper against central differences of nalgebra's own
//! functions at random angles, the forward helpers against the same differences, and the
//! two modes against each other by the dot-product test ⟨J v, w⟩ = ⟨v, Jᵀ w⟩.

mod support;

use nalgebra::{Matrix3, Matrix3x2, Rotation3, Vector3};
use proptest::prelude::*;
use support::forward::{check_jvp, check_transpose};
use support::{check_dot_product, check_rule, Rng};
use tapeless_runtime::ops::{mul_jvp_lhs, mul_jvp_rhs, mul_vjp_lhs, mul_vjp_rhs};
use tapeless_runtime::rotation::{
    from_euler_angles_jvp_pitch, from_euler_angles_jvp_roll, from_euler_angles_jvp_yaw,
    from_euler_angles_vjp_pitch, from_euler_angles_vjp_roll, from_euler_angles_vjp_yaw,
    from_scaled_axis, from_scaled_axis_jvp, from_scaled_axis_vjp,
};
use tapeless_runtime::Dual;

/// nalgebra's `Rotation3::new(ω)`'s entries: the oracle of `from_scaled_axis`.
fn scaled_axis(w: &Vector3<f64>) -> Matrix3<f64> {
    *Rotation3::new(*w).matrix()
}

/// ω at the scale `case` picks: across [−2, 2]³ (angles up to 3.5), inside the series'
/// range (|ω| ~ 1e-3 and ~0.1), or astride its edge at |ω| = ½.
fn axis_angle(rng: &mut Rng, case: usize) -> Vector3<f64> {
    let w = Vector3::new(rng.value(), rng.value(), rng.value());
    match case {
        0 => w,
        1 => w * 1e-3,
        2 => w * 0.1,
        _ => w.normalize() * rng.uniform(0.45, 0.55),
    }
}

/// The rotation's entries as a function of the three angles.
fn euler(x: &Vector3<f64>) -> Matrix3<f64> {
    *Rotation3::from_euler_angles(x[0], x[1], x[2]).matrix()
}

fn random3(rng: &mut Rng) -> Matrix3<f64> {
    Matrix3::from_fn(|_, _| rng.value())
}

fn rotation(rng: &mut Rng) -> Rotation3<f64> {
    Rotation3::from_euler_angles(rng.value(), rng.value(), rng.value())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Each angle's VJP and JVP, at angles across [−2, 2] (through the gimbal lock at
    /// pitch = ±π/2, where the map stays smooth).
    #[test]
    fn from_euler_angles(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = Vector3::new(rng.value(), rng.value(), rng.value());
        let w = random3(&mut rng);
        let start = Vector3::new(rng.value(), rng.value(), rng.value());
        let vjp = |d: &mut Vector3<f64>| {
            let (r, p, y) = (x[0], x[1], x[2]);
            from_euler_angles_vjp_roll(&mut d[0], &r, &p, &y, &w);
            from_euler_angles_vjp_pitch(&mut d[1], &r, &p, &y, &w);
            from_euler_angles_vjp_yaw(&mut d[2], &r, &p, &y, &w);
        };
        check_rule("from_euler_angles", euler, &x, &w, &start, vjp);
        let v = Vector3::new(rng.value(), rng.value(), rng.value());
        let (r, p, y) = (x[0], x[1], x[2]);
        let tangent = from_euler_angles_jvp_roll(&r, &p, &y, &v[0])
            + from_euler_angles_jvp_pitch(&r, &p, &y, &v[1])
            + from_euler_angles_jvp_yaw(&r, &p, &y, &v[2]);
        check_jvp("from_euler_angles", euler, &x, &v, &tangent);
        let zero = Vector3::zeros();
        check_transpose("from_euler_angles", &v, &tangent, &w, &zero, vjp);
        check_dot_product("from_euler_angles", euler, &x, &v, &w, &zero, vjp);
    }

    /// `Rotation3::new(ω)`: the VJP and JVP against central differences of nalgebra's own
    /// function, and each other.
    #[test]
    fn rotation_from_scaled_axis(seed in any::<u64>(), case in 0..4usize) {
        let mut rng = Rng::new(seed);
        let x = axis_angle(&mut rng, case);
        let w = random3(&mut rng);
        let start = Vector3::new(rng.value(), rng.value(), rng.value());
        let vjp = |d: &mut Vector3<f64>| from_scaled_axis_vjp(d, &x, &w);
        check_rule("from_scaled_axis", scaled_axis, &x, &w, &start, vjp);
        let v = Vector3::new(rng.value(), rng.value(), rng.value());
        let tangent = from_scaled_axis_jvp(&x, &v);
        check_jvp("from_scaled_axis", scaled_axis, &x, &v, &tangent);
        let zero = Vector3::zeros();
        check_transpose("from_scaled_axis", &v, &tangent, &w, &zero, vjp);
        check_dot_product("from_scaled_axis", scaled_axis, &x, &v, &w, &zero, vjp);
    }

    /// Over dual numbers the value carries the JVP as its tangent, and over nested duals
    /// its second derivative matches differences of the JVP, at every scale, ω = 0 too.
    #[test]
    fn rotation_from_scaled_axis_over_duals(seed in any::<u64>(), case in 0..5usize) {
        let mut rng = Rng::new(seed);
        let x = if case == 4 { Vector3::zeros() } else { axis_angle(&mut rng, case) };
        let v = Vector3::new(rng.value(), rng.value(), rng.value());
        let lifted = Vector3::from_fn(|i, _| Dual::new(x[i], v[i]));
        let r = from_scaled_axis(lifted);
        let tangent = from_scaled_axis_jvp(&x, &v);
        for ((got, want), value) in r.matrix().iter().zip(tangent.iter()).zip(scaled_axis(&x).iter()) {
            prop_assert_eq!(got.value, *value);
            prop_assert!((got.tangent - want).abs() < 1e-14, "{} against {want}", got.tangent);
        }
        // d/dt of the JVP along v at x + t·v, by central differences.
        let nested = Vector3::from_fn(|i, _| {
            Dual::new(Dual::new(x[i], v[i]), Dual::new(v[i], 0.0))
        });
        let second = from_scaled_axis(nested);
        let h = 1e-4;
        let difference = (from_scaled_axis_jvp(&(x + v * h), &v)
            - from_scaled_axis_jvp(&(x - v * h), &v))
            / (2.0 * h);
        for (got, want) in second.matrix().iter().zip(difference.iter()) {
            prop_assert!((got.tangent.tangent - want).abs() < 1e-6 * (1.0 + want.abs()),
                "{} against {want}", got.tangent.tangent);
        }
    }

    /// Y = R·B for a vector and a 3 × 2 matrix B: B̄ and Ḃ's image.
    #[test]
    fn rotation_times_a_matrix(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let r = rotation(&mut rng);
        let b = Vector3::new(rng.value(), rng.value(), rng.value());
        let w = Vector3::new(rng.nonzero(), rng.nonzero(), rng.nonzero());
        let f = |b: &Vector3<f64>| r * b;
        let start = Vector3::new(rng.value(), rng.value(), rng.value());
        check_rule("rotation * vector", f, &b, &w, &start, |d| mul_vjp_rhs(d, &r, &w));
        let v = Vector3::new(rng.value(), rng.value(), rng.value());
        let tangent: Vector3<f64> = mul_jvp_rhs(&r, &v);
        check_jvp("rotation * vector", f, &b, &v, &tangent);
        check_dot_product("rotation * vector", f, &b, &v, &w, &Vector3::zeros(), |d| {
            mul_vjp_rhs(d, &r, &w)
        });
        let m = Matrix3x2::from_fn(|_, _| rng.value());
        let wm = Matrix3x2::from_fn(|_, _| rng.nonzero());
        let g = |m: &Matrix3x2<f64>| r * m;
        check_rule("rotation * matrix", g, &m, &wm, &Matrix3x2::zeros(), |d| {
            mul_vjp_rhs(d, &r, &wm)
        });
    }

    /// Y = A·R (A the entries of a rotation, or any 3 × 3 matrix): Ā = Ȳ·Rᵀ, Ẏ = Ȧ·R.
    #[test]
    fn matrix_times_a_rotation(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let r = rotation(&mut rng);
        let a = random3(&mut rng);
        let w = random3(&mut rng);
        let f = |a: &Matrix3<f64>| a * r.matrix();
        let start = random3(&mut rng);
        check_rule("matrix * rotation", f, &a, &w, &start, |d| mul_vjp_lhs(d, &r, &w));
        let v = random3(&mut rng);
        let tangent: Matrix3<f64> = mul_jvp_lhs(&r, &v);
        check_jvp("matrix * rotation", f, &a, &v, &tangent);
        check_dot_product("matrix * rotation", f, &a, &v, &w, &Matrix3::zeros(), |d| {
            mul_vjp_lhs(d, &r, &w)
        });
    }
}
