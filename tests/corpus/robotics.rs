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
