//! Corpus of issue 12, estimation and filtering: programs written as users write them, each with an
//! independent oracle (a closed form derived by hand, or central differences) and a check
//! of the value against the untouched function.

mod kalman_update {
    use nalgebra::{SMatrix, SVector};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    type V2 = SVector<f64, 2>;
    type M2 = SMatrix<f64, 2, 2>;

    /// Scalar-measurement Kalman update; cost = squared error of the new mean + trace of the
    /// new covariance.
    #[differentiate(wrt(x, p))]
    pub fn kalman_update_cost(x: V2, p: M2, z: f64, h: V2, r: f64, target: V2) -> f64 {
        let y = z - h.dot(&x); // innovation
        let s = (h.transpose() * p * h)[(0, 0)] + r; // innovation variance
        let k = p * h / s; // gain
        let x_new = x + k * y;
        let p_new = p - k * h.transpose() * p;
        (x_new - target).norm_squared() + p_new.trace()
    }

    #[test]
    fn kalman_update() {
        let h = V2::new(1.0, 0.5);
        let target = V2::new(0.2, -0.1);
        for (xs, z) in [
            ([0.1, 0.3, 1.0, 0.2, 0.2, 2.0], 0.7),
            ([-1.0, 0.5, 0.5, 0.0, 0.0, 0.5], -0.2),
            ([0.0, 0.0, 2.0, -0.3, -0.3, 1.0], 1.5),
        ] {
            let unpack = |t: &[f64]| (V2::new(t[0], t[1]), M2::new(t[2], t[3], t[4], t[5]));
            let f = |t: &[f64]| {
                let (x, p) = unpack(t);
                kalman_update_cost(x, p, z, h, 0.3, target)
            };
            let (x, p) = unpack(&xs);
            let (v, g) = kalman_update_cost_grad(x, p, z, h, 0.3, target);
            assert!((v - f(&xs)).abs() < 1e-12);
            // M2::new takes rows; the gradient's entries in the same row-major order.
            let analytic = [
                g.x[0],
                g.x[1],
                g.p[(0, 0)],
                g.p[(0, 1)],
                g.p[(1, 0)],
                g.p[(1, 1)],
            ];
            check_gradient(f, &xs, &analytic, Tolerance::default()).unwrap();
        }
    }
}
