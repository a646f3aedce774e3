//! Corpus of issue 12, robotics: programs written as users write them, each with an
//! independent oracle (a closed form derived by hand, or central differences) and a check
//! of the value against the untouched function.

mod planar_arm {
    use tapeless::differentiate;

    /// Squared distance of a planar 3-link arm's end effector to a target.
    #[differentiate(wrt(angles))]
    pub fn reach_error(angles: &[f64; 3], lengths: &[f64; 3], target: (f64, f64)) -> f64 {
        let (mut x, mut y, mut theta) = (0.0, 0.0, 0.0);
        for (a, l) in angles.iter().zip(lengths.iter()) {
            theta += a;
            x += l * theta.cos();
            y += l * theta.sin();
        }
        let (tx, ty) = target;
        (x - tx).powi(2) + (y - ty).powi(2)
    }

    #[test]
    fn planar_arm_forward_kinematics() {
        let lengths = [1.0, 0.8, 0.5];
        let target = (1.2, 0.9);
        for q in [[0.1, 0.2, 0.3], [1.0, -0.5, 0.25], [-0.7, 1.2, -0.4]] {
            let (v, g) = reach_error_grad(&q, &lengths, target);
            assert!((v - reach_error(&q, &lengths, target)).abs() < 1e-12);
            // Closed form: joint i moves every link j ≥ i; ∂p/∂q_i = Σ_{j≥i} l_j (−sin θ_j, cos θ_j).
            let th = [q[0], q[0] + q[1], q[0] + q[1] + q[2]];
            let x: f64 = (0..3).map(|j| lengths[j] * th[j].cos()).sum();
            let y: f64 = (0..3).map(|j| lengths[j] * th[j].sin()).sum();
            for i in 0..3 {
                let dx: f64 = (i..3).map(|j| -lengths[j] * th[j].sin()).sum();
                let dy: f64 = (i..3).map(|j| lengths[j] * th[j].cos()).sum();
                let expected = 2.0 * (x - target.0) * dx + 2.0 * (y - target.1) * dy;
                assert!((g.angles[i] - expected).abs() < 1e-10, "{:?}", g.angles);
            }
        }
    }
}

mod pose2d_residual {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Pose-graph odometry residual between 2-D poses [x, y, θ], with the angle wrapped.
    #[differentiate(wrt(a, b))]
    pub fn odometry_residual(a: [f64; 3], b: [f64; 3], measured: [f64; 3]) -> f64 {
        let [xa, ya, ta] = a;
        let [xb, yb, tb] = b;
        let (s, c) = ta.sin_cos();
        let dx = c * (xb - xa) + s * (yb - ya);
        let dy = -s * (xb - xa) + c * (yb - ya);
        let e = tb - ta - measured[2];
        let dt = e.sin().atan2(e.cos());
        (dx - measured[0]).powi(2) + (dy - measured[1]).powi(2) + dt * dt
    }

    #[test]
    fn pose2d_residual() {
        let measured = [1.0, 0.1, 0.2];
        for t in [
            [0.0, 0.0, 0.1, 1.1, 0.3, 0.4],
            [0.5, -0.2, 2.0, 0.0, 1.0, 2.5],
            [1.0, 1.0, -1.0, 2.0, 0.5, 2.9],
        ] {
            let f = |t: &[f64]| odometry_residual([t[0], t[1], t[2]], [t[3], t[4], t[5]], measured);
            let (v, g) = odometry_residual_grad([t[0], t[1], t[2]], [t[3], t[4], t[5]], measured);
            assert!((v - f(&t)).abs() < 1e-12);
            let analytic = [g.a[0], g.a[1], g.a[2], g.b[0], g.b[1], g.b[2]];
            check_gradient(f, &t, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod quaternion_residual {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Residual of rotating `v` by the normalised quaternion `q` = [w, x, y, z] against an
    /// observation.
    #[differentiate(wrt(q))]
    pub fn rotation_residual(q: [f64; 4], v: [f64; 3], observed: [f64; 3]) -> f64 {
        let norm = q.iter().map(|c| c * c).sum::<f64>().sqrt();
        let [w, x, y, z] = q.map(|c| c / norm);
        let r = [
            [
                1.0 - 2.0 * (y * y + z * z),
                2.0 * (x * y - w * z),
                2.0 * (x * z + w * y),
            ],
            [
                2.0 * (x * y + w * z),
                1.0 - 2.0 * (x * x + z * z),
                2.0 * (y * z - w * x),
            ],
            [
                2.0 * (x * z - w * y),
                2.0 * (y * z + w * x),
                1.0 - 2.0 * (x * x + y * y),
            ],
        ];
        let mut res = 0.0;
        for i in 0..3 {
            let p: f64 = (0..3).map(|j| r[i][j] * v[j]).sum();
            res += (p - observed[i]).powi(2);
        }
        res
    }

    #[test]
    fn quaternion_residual() {
        let v = [1.0, 0.5, -0.3];
        let observed = [0.2, 1.0, 0.1];
        for q in [
            [1.0, 0.1, 0.2, 0.3],
            [0.5, -0.5, 0.5, 0.2],
            [0.9, 0.0, -0.3, 0.4],
        ] {
            let f = |q: &[f64]| rotation_residual([q[0], q[1], q[2], q[3]], v, observed);
            let (val, g) = rotation_residual_grad(q, v, observed);
            assert!((val - f(&q)).abs() < 1e-12);
            check_gradient(f, &q, &g.q, Tolerance::default()).unwrap();
        }
    }
}

mod planar_arm_homogeneous {
    use nalgebra::{Matrix3, Vector2};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// The homogeneous transform of one link: rotate by `theta`, then move along the link.
    #[differentiate]
    pub fn link(theta: f64, length: f64) -> Matrix3<f64> {
        let (s, c) = theta.sin_cos();
        Matrix3::new(c, -s, length * c, s, c, length * s, 0.0, 0.0, 1.0)
    }

    /// Squared distance from the arm's tip to a target.
    #[differentiate(wrt(q))]
    pub fn tip_error(q: &[f64], lengths: &[f64], target: &Vector2<f64>) -> f64 {
        let mut pose = Matrix3::identity();
        for i in 0..q.len() {
            pose *= link(q[i], lengths[i]);
        }
        let tip = pose.fixed_view::<2, 1>(0, 2);
        (tip - target).norm_squared()
    }

    #[test]
    fn planar_arm_homogeneous() {
        let lengths = [1.0, 0.7, 0.4];
        let target = Vector2::new(0.8, 1.2);
        for q in [[0.3, 0.5, -0.2], [1.0, -0.4, 0.9], [-0.6, 1.2, 0.1]] {
            let f = |q: &[f64]| tip_error(q, &lengths, &target);
            let (v, g) = tip_error_grad(&q, &lengths, &target);
            assert!((v - f(&q)).abs() < 1e-12);
            check_gradient(f, &q, &g.q, Tolerance::default()).unwrap();
        }
    }
}

/// Moved from tests/corpus_pending/ unchanged once `Rotation3::from_euler_angles` had a rule.
mod euler_rotation_nalgebra {
    use nalgebra::{Rotation3, Vector3};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Alignment error of a vector rotated by roll/pitch/yaw, through nalgebra's rotation type.
    #[differentiate(wrt(roll, pitch, yaw))]
    pub fn attitude_error(
        roll: f64,
        pitch: f64,
        yaw: f64,
        body: &Vector3<f64>,
        world: &Vector3<f64>,
    ) -> f64 {
        let r = Rotation3::from_euler_angles(roll, pitch, yaw);
        (r * body - world).norm_squared()
    }

    #[test]
    fn euler_rotation_nalgebra() {
        let body = Vector3::new(1.0, 0.2, -0.5);
        let world = Vector3::new(0.3, 0.9, 0.1);
        for t in [[0.1, 0.2, 0.3], [-0.5, 0.4, 1.2], [1.0, -0.3, -0.8]] {
            let f = |t: &[f64]| attitude_error(t[0], t[1], t[2], &body, &world);
            let (v, g) = attitude_error_grad(t[0], t[1], t[2], &body, &world);
            assert!((v - f(&t)).abs() < 1e-12);
            check_gradient(f, &t, &[g.roll, g.pitch, g.yaw], Tolerance::default()).unwrap();
        }
    }
}
