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

mod projectile_generic {
    use num_traits::Float;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Projectile with quadratic drag, explicit Euler, generic over the float type.
    #[differentiate(wrt(speed, angle, drag))]
    pub fn flight<T: Float>(speed: T, angle: T, drag: T, steps: usize) -> T {
        let dt = T::from(0.01).unwrap();
        let g = T::from(9.81).unwrap();
        let (mut x, mut y) = (T::zero(), T::zero());
        let (mut vx, mut vy) = (speed * angle.cos(), speed * angle.sin());
        for _ in 0..steps {
            let v = (vx * vx + vy * vy).sqrt();
            vx = vx - drag * v * vx * dt;
            vy = vy - (g + drag * v * vy) * dt;
            x = x + vx * dt;
            y = y + vy * dt;
        }
        x + T::one() * y
    }

    #[test]
    fn projectile_generic() {
        for t in [[20.0, 0.6, 0.01], [10.0, 1.0, 0.05], [35.0, 0.3, 0.002]] {
            let f = |t: &[f64]| flight(t[0], t[1], t[2], 100);
            let (v, g) = flight_grad(t[0], t[1], t[2], 100);
            assert!((v - f(&t)).abs() < 1e-12);
            check_gradient(f, &t, &[g.speed, g.angle, g.drag], Tolerance::default()).unwrap();
            let (v32, _) = flight_grad(t[0] as f32, t[1] as f32, t[2] as f32, 100);
            assert!((v32 as f64 - v).abs() < 1e-3 * (1.0 + v.abs()));
        }
    }
}

mod gravity_nalgebra {
    use nalgebra::Vector3;
    use tapeless::differentiate;

    /// Newtonian potential energy of point masses (G = 1).
    #[differentiate(wrt(positions))]
    pub fn gravitational_potential(positions: &[Vector3<f64>], masses: &[f64]) -> f64 {
        let mut u = 0.0;
        for i in 0..positions.len() {
            for j in 0..i {
                u -= masses[i] * masses[j] / (positions[i] - positions[j]).norm();
            }
        }
        u
    }

    #[test]
    fn gravity_over_nalgebra_vectors() {
        let masses = [1.0, 2.0, 0.5];
        let sets = [
            vec![
                Vector3::new(0.0, 0.0, 0.0),
                Vector3::new(1.0, 0.0, 0.0),
                Vector3::new(0.0, 2.0, 0.5),
            ],
            vec![
                Vector3::new(0.3, -0.2, 0.1),
                Vector3::new(-1.0, 0.5, 0.0),
                Vector3::new(0.5, 0.5, 1.5),
            ],
        ];
        for positions in sets {
            let (v, g) = gravitational_potential_grad(&positions, &masses);
            assert!((v - gravitational_potential(&positions, &masses)).abs() < 1e-12);
            // Closed form: ∂U/∂r_i = Σ_j m_i m_j (r_i − r_j)/|r_i − r_j|³.
            for i in 0..3 {
                let mut expected = Vector3::zeros();
                for j in 0..3 {
                    if i != j {
                        let d = positions[i] - positions[j];
                        expected += masses[i] * masses[j] * d / d.norm().powi(3);
                    }
                }
                assert!(
                    (g.positions[i] - expected).norm() < 1e-10,
                    "{} vs {}",
                    g.positions[i],
                    expected
                );
            }
        }
    }
}

mod lennard_jones {
    use tapeless::differentiate;

    /// Lennard-Jones energy of a cluster, summed over unordered pairs.
    #[differentiate]
    pub fn lj_energy(pos: &[[f64; 3]], epsilon: f64, sigma: f64) -> f64 {
        let mut e = 0.0;
        for (i, a) in pos.iter().enumerate() {
            for b in &pos[i + 1..] {
                let r2: f64 = a.iter().zip(b).map(|(p, q)| (p - q).powi(2)).sum();
                let s6 = (sigma * sigma / r2).powi(3);
                e += 4.0 * epsilon * (s6 * s6 - s6);
            }
        }
        e
    }

    #[test]
    fn lennard_jones_pairs() {
        let configs = [
            vec![
                [0.0, 0.0, 0.0],
                [1.1, 0.0, 0.0],
                [0.5, 1.0, 0.1],
                [0.4, 0.3, 1.0],
            ],
            vec![[0.0, 0.0, 0.0], [1.5, 0.2, -0.1], [-0.3, 1.2, 0.4]],
            vec![[0.1, -0.2, 0.3], [1.0, 1.0, 1.0]],
        ];
        let (epsilon, sigma) = (1.0, 1.0);
        for pos in configs {
            let (v, g) = lj_energy_grad(&pos, epsilon, sigma);
            assert!((v - lj_energy(&pos, epsilon, sigma)).abs() < 1e-12);
            // Closed form: dE/dr_i = Σ_j 4ε(−12 s¹² + 6 s⁶)/r² · (r_i − r_j); dE/dε = E/ε.
            for i in 0..pos.len() {
                let mut force = [0.0; 3];
                for j in 0..pos.len() {
                    if i == j {
                        continue;
                    }
                    let d: Vec<f64> = (0..3).map(|k| pos[i][k] - pos[j][k]).collect();
                    let r2: f64 = d.iter().map(|x| x * x).sum();
                    let s6 = (sigma * sigma / r2).powi(3);
                    let coef = 4.0 * epsilon * (-12.0 * s6 * s6 + 6.0 * s6) / r2;
                    for k in 0..3 {
                        force[k] += coef * d[k];
                    }
                }
                for k in 0..3 {
                    assert!(
                        (g.pos[i][k] - force[k]).abs() < 1e-9 * (1.0 + force[k].abs()),
                        "{:?} vs {:?}",
                        g.pos[i],
                        force
                    );
                }
            }
            assert!((g.epsilon - v / epsilon).abs() < 1e-10);
        }
    }
}

mod spring_chain_windows {
    use tapeless::differentiate;

    /// Energy of a chain of springs anchored at the origin.
    #[differentiate]
    pub fn chain_energy(x: &[f64], k: f64, rest: f64) -> f64 {
        let springs: f64 = x
            .windows(2)
            .map(|w| 0.5 * k * (w[1] - w[0] - rest).powi(2))
            .sum();
        let anchor = 0.5 * k * x[0] * x[0];
        springs + anchor
    }

    #[test]
    fn spring_chain() {
        let (k, rest) = (3.0, 1.0);
        for x in [
            vec![0.1, 1.2, 1.9, 3.3],
            vec![-0.5, 0.0, 1.0, 2.5, 3.0],
            vec![0.0, 2.0],
        ] {
            let (v, g) = chain_energy_grad(&x, k, rest);
            assert!((v - chain_energy(&x, k, rest)).abs() < 1e-12);
            // Closed form: force on node i from its left and right springs and the anchor.
            let n = x.len();
            for i in 0..n {
                let mut expected = if i == 0 { k * x[0] } else { 0.0 };
                if i > 0 {
                    expected += k * (x[i] - x[i - 1] - rest);
                }
                if i + 1 < n {
                    expected -= k * (x[i + 1] - x[i] - rest);
                }
                assert!((g.x[i] - expected).abs() < 1e-10, "{:?}", g.x);
            }
            let dk = v / k;
            let drest: f64 = x.windows(2).map(|w| -k * (w[1] - w[0] - rest)).sum();
            assert!((g.k - dk).abs() < 1e-10 && (g.rest - drest).abs() < 1e-10);
        }
    }
}

mod spring_chain_generic_impl {
    use num_traits::Float;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[derive(tapeless::Differentiable, Clone, Debug)]
    pub struct SpringChain<T> {
        pub k: T,
        pub rest: T,
    }

    #[differentiate]
    impl<T: Float> SpringChain<T> {
        /// Elastic energy of masses at positions `xs` joined by identical springs.
        #[differentiate]
        pub fn energy(&self, xs: &[T]) -> T {
            let half = T::from(0.5).unwrap();
            let mut e = T::zero();
            for i in 1..xs.len() {
                let stretch = xs[i] - xs[i - 1] - self.rest;
                e = e + half * self.k * stretch * stretch;
            }
            e
        }
    }

    #[test]
    fn spring_chain_generic_impl() {
        for xs in [
            [0.0, 1.1, 1.9, 3.2],
            [0.5, 0.9, 2.0, 2.4],
            [-1.0, 0.2, 1.0, 2.5],
        ] {
            let chain = SpringChain { k: 3.0, rest: 1.0 };
            let (v, g) = chain.energy_grad(&xs);
            assert!((v - chain.energy(&xs)).abs() < 1e-12);
            let point: Vec<f64> = [3.0, 1.0].iter().chain(&xs).copied().collect();
            let f = |p: &[f64]| {
                SpringChain {
                    k: p[0],
                    rest: p[1],
                }
                .energy(&p[2..])
            };
            let analytic: Vec<f64> = [g.self_.k, g.self_.rest]
                .iter()
                .chain(&g.xs)
                .copied()
                .collect();
            check_gradient(f, &point, &analytic, Tolerance::default()).unwrap();
            let chain32 = SpringChain {
                k: 3.0f32,
                rest: 1.0,
            };
            let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
            let (_, g32) = chain32.energy_grad(&xs32);
            assert!((f64::from(g32.self_.k) - g.self_.k).abs() < 1e-4);
        }
    }
}
