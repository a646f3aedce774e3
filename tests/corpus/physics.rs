//! Corpus of issue 12, physics simulation: programs written as users write them, each with an
//! independent oracle (a closed form derived by hand, or central differences) and a check
//! of the value against the untouched function.

mod rk4_pendulum {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Damped pendulum integrated by classical RK4; the angle after `steps` steps.
    #[differentiate(wrt(length, damping))]
    pub fn pendulum_angle_after(
        length: f64,
        damping: f64,
        theta0: f64,
        dt: f64,
        steps: usize,
    ) -> f64 {
        let g = 9.81;
        let f = |th: f64, om: f64| -> (f64, f64) { (om, -g / length * th.sin() - damping * om) };
        let (mut th, mut om) = (theta0, 0.0);
        for _ in 0..steps {
            let (k1t, k1o) = f(th, om);
            let (k2t, k2o) = f(th + 0.5 * dt * k1t, om + 0.5 * dt * k1o);
            let (k3t, k3o) = f(th + 0.5 * dt * k2t, om + 0.5 * dt * k2o);
            let (k4t, k4o) = f(th + dt * k3t, om + dt * k3o);
            th += dt / 6.0 * (k1t + 2.0 * k2t + 2.0 * k3t + k4t);
            om += dt / 6.0 * (k1o + 2.0 * k2o + 2.0 * k3o + k4o);
        }
        th
    }

    #[test]
    fn rk4_pendulum() {
        for t in [[1.0, 0.1], [2.0, 0.3], [0.5, 0.05]] {
            let f = |t: &[f64]| pendulum_angle_after(t[0], t[1], 0.8, 0.01, 150);
            let (v, g) = pendulum_angle_after_grad(t[0], t[1], 0.8, 0.01, 150);
            assert!((v - f(&t)).abs() < 1e-12);
            check_gradient(f, &t, &[g.length, g.damping], Tolerance::default()).unwrap();
        }
    }
}

mod spring_mass {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Damped spring integrated with semi-implicit Euler; squared miss of the final position.
    #[differentiate(wrt(k, c))]
    pub fn spring_final_error(
        k: f64,
        c: f64,
        x0: f64,
        v0: f64,
        dt: f64,
        steps: usize,
        target: f64,
    ) -> f64 {
        let (mut x, mut v) = (x0, v0);
        for _ in 0..steps {
            let a = -k * x - c * v;
            v += a * dt;
            x += v * dt;
        }
        (x - target).powi(2)
    }

    #[test]
    fn spring_mass_simulation() {
        for t in [[2.0, 0.1], [5.0, 0.5], [0.5, 0.0]] {
            let f = |t: &[f64]| spring_final_error(t[0], t[1], 1.0, 0.0, 0.01, 200, 0.3);
            let (v, g) = spring_final_error_grad(t[0], t[1], 1.0, 0.0, 0.01, 200, 0.3);
            assert!((v - f(&t)).abs() < 1e-12);
            check_gradient(f, &t, &[g.k, g.c], Tolerance::default()).unwrap();
        }
    }
}
