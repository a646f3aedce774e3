//! An unseen idiomatic corpus (QA session 32): thirty small programs written the way users in
//! graphics, chemistry, control, finance, signal processing, statistics, neural networks and
//! scientific computing write their objectives, before reading what the macro supports.
//! Each has an independent oracle (a closed form derived by hand, or central differences)
//! and compares the value with the untouched function.
#![cfg(feature = "nalgebra")]

// ---------------------------------------------------------------------------------------------
// Computer graphics and geometry
// ---------------------------------------------------------------------------------------------

mod ray_sphere {
    use nalgebra::Vector3;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Distance from a sphere's surface to the closest point of a ray's line (negative when
    /// the line passes through the sphere).
    #[differentiate(wrt(center, radius))]
    pub fn ray_sphere_gap(
        center: &Vector3<f64>,
        radius: f64,
        origin: &Vector3<f64>,
        dir: &Vector3<f64>,
    ) -> f64 {
        let oc = center - origin;
        let t = oc.dot(dir) / dir.dot(dir);
        let closest = origin + dir * t;
        (closest - center).norm() - radius
    }

    #[test]
    fn ray_sphere() {
        let origin = Vector3::new(0.1, -0.2, 0.0);
        let dir = Vector3::new(0.3, 0.2, 1.0);
        for p in [[1.0, 0.5, 5.0, 0.4], [-0.5, 1.0, 3.0, 2.0]] {
            let f =
                |p: &[f64]| ray_sphere_gap(&Vector3::new(p[0], p[1], p[2]), p[3], &origin, &dir);
            let c = Vector3::new(p[0], p[1], p[2]);
            let (v, g) = ray_sphere_gap_grad(&c, p[3], &origin, &dir);
            assert!((v - f(&p)).abs() < 1e-12);
            let analytic = [g.center[0], g.center[1], g.center[2], g.radius];
            check_gradient(f, &p, &analytic, Tolerance::default()).unwrap();
        }
    }
}

// Was a clean rejection (class a: an array literal as a method's receiver, `[wa, wb, wc].iter()`,
// had to be bound by a `let` first); passes unchanged since the desugaring binds it (session 32).
mod barycentric {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[differentiate]
    pub fn cross2(a: [f64; 2], b: [f64; 2]) -> f64 {
        a[0] * b[1] - a[1] * b[0]
    }

    #[differentiate]
    pub fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
        [a[0] - b[0], a[1] - b[1]]
    }

    /// Barycentric coordinates of `p` in a triangle, scored against target weights.
    #[differentiate(wrt(tri))]
    pub fn barycentric_loss(tri: &[[f64; 2]; 3], p: [f64; 2], target: [f64; 3]) -> f64 {
        let [a, b, c] = *tri;
        let area = cross2(sub(b, a), sub(c, a));
        if area.abs() < 1e-12 {
            return 0.0;
        }
        let wa = cross2(sub(b, p), sub(c, p)) / area;
        let wb = cross2(sub(c, p), sub(a, p)) / area;
        let wc = 1.0 - wa - wb;
        [wa, wb, wc]
            .iter()
            .zip(target.iter())
            .map(|(w, t)| (w - t).powi(2))
            .sum()
    }

    #[test]
    fn barycentric() {
        let p = [0.3, 0.25];
        let target = [0.2, 0.5, 0.3];
        let unpack = |x: &[f64]| [[x[0], x[1]], [x[2], x[3]], [x[4], x[5]]];
        for x in [
            [0.0, 0.0, 1.0, 0.1, 0.2, 0.9],
            [-0.5, -0.2, 1.2, 0.0, 0.4, 1.5],
        ] {
            let f = |x: &[f64]| barycentric_loss(&unpack(x), p, target);
            let (v, g) = barycentric_loss_grad(&unpack(&x), p, target);
            assert!((v - f(&x)).abs() < 1e-12);
            let analytic: Vec<f64> = g.tri.iter().flatten().copied().collect();
            check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod bezier {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Polyline approximation of the arc length of a cubic Bézier curve.
    #[differentiate]
    pub fn bezier_length(ctrl: &[[f64; 2]; 4], samples: usize) -> f64 {
        let point = |t: f64| -> [f64; 2] {
            let s = 1.0 - t;
            let w = [s * s * s, 3.0 * s * s * t, 3.0 * s * t * t, t * t * t];
            let mut p = [0.0; 2];
            for (wk, ck) in w.iter().zip(ctrl.iter()) {
                p[0] += wk * ck[0];
                p[1] += wk * ck[1];
            }
            p
        };
        let pts: Vec<[f64; 2]> = (0..=samples)
            .map(|i| point(i as f64 / samples as f64))
            .collect();
        pts.windows(2)
            .map(|w| ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt())
            .sum()
    }

    #[test]
    fn bezier() {
        let unpack = |x: &[f64]| [[x[0], x[1]], [x[2], x[3]], [x[4], x[5]], [x[6], x[7]]];
        for x in [
            [0.0, 0.0, 0.3, 1.0, 0.8, 1.1, 1.0, 0.0],
            [0.0, 0.5, 1.0, -0.5, 2.0, 1.5, 3.0, 0.2],
        ] {
            let f = |x: &[f64]| bezier_length(&unpack(x), 40);
            let (v, g) = bezier_length_grad(&unpack(&x), 40);
            assert!((v - f(&x)).abs() < 1e-12);
            let analytic: Vec<f64> = g.ctrl.iter().flatten().copied().collect();
            check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod reprojection {
    use nalgebra::{Matrix3, Vector2, Vector3};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Mean squared pinhole reprojection error of known 3-D points under a camera pose.
    #[differentiate(wrt(rot, t, focal))]
    pub fn reprojection_error(
        rot: &Matrix3<f64>,
        t: &Vector3<f64>,
        focal: f64,
        points: &[Vector3<f64>],
        observed: &[Vector2<f64>],
    ) -> f64 {
        let mut err = 0.0;
        for (x, uv) in points.iter().zip(observed) {
            let pc = rot * x + t;
            let proj = Vector2::new(pc.x / pc.z, pc.y / pc.z) * focal;
            err += (proj - uv).norm_squared();
        }
        err / points.len() as f64
    }

    #[test]
    fn reprojection() {
        let points = [
            Vector3::new(0.1, 0.2, 4.0),
            Vector3::new(-0.5, 0.3, 5.0),
            Vector3::new(0.4, -0.6, 3.5),
        ];
        let observed = [
            Vector2::new(0.05, 0.1),
            Vector2::new(-0.2, 0.1),
            Vector2::new(0.2, -0.3),
        ];
        let a = 0.1_f64;
        let rot0 = Matrix3::new(a.cos(), -a.sin(), 0.0, a.sin(), a.cos(), 0.0, 0.0, 0.0, 1.0);
        let mut x: Vec<f64> = rot0.as_slice().to_vec();
        x.extend([0.05, -0.02, 0.3, 0.9]);
        let f = |x: &[f64]| {
            let rot = Matrix3::from_column_slice(&x[0..9]);
            let t = Vector3::new(x[9], x[10], x[11]);
            reprojection_error(&rot, &t, x[12], &points, &observed)
        };
        let rot = Matrix3::from_column_slice(&x[0..9]);
        let t = Vector3::new(x[9], x[10], x[11]);
        let (v, g) = reprojection_error_grad(&rot, &t, x[12], &points, &observed);
        assert!((v - f(&x)).abs() < 1e-12);
        let mut analytic: Vec<f64> = g.rot.as_slice().to_vec();
        analytic.extend(g.t.iter());
        analytic.push(g.focal);
        check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Chemistry and molecular mechanics
// ---------------------------------------------------------------------------------------------

mod morse {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[derive(tapeless::Differentiable, Clone)]
    pub struct Morse {
        pub depth: f64,
        pub width: f64,
        pub r0: f64,
    }

    #[differentiate]
    pub fn distance(a: &[f64; 3], b: &[f64; 3]) -> f64 {
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    }

    /// Morse energy of bonded neighbours in a chain of atoms.
    #[differentiate]
    pub fn chain_energy(params: &Morse, atoms: &[[f64; 3]]) -> f64 {
        atoms
            .windows(2)
            .map(|pair| {
                let r = distance(&pair[0], &pair[1]);
                let x = 1.0 - (-params.width * (r - params.r0)).exp();
                params.depth * x * x
            })
            .sum()
    }

    #[test]
    fn morse_chain() {
        let x = [
            4.0, 1.5, 1.1, // depth, width, r0
            0.0, 0.0, 0.0, 1.2, 0.1, 0.0, 2.0, 0.9, 0.2, 3.1, 1.0, -0.3,
        ];
        let unpack = |x: &[f64]| {
            let params = Morse {
                depth: x[0],
                width: x[1],
                r0: x[2],
            };
            let atoms: Vec<[f64; 3]> = x[3..].chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
            (params, atoms)
        };
        let f = |x: &[f64]| {
            let (p, a) = unpack(x);
            chain_energy(&p, &a)
        };
        let (p, a) = unpack(&x);
        let (v, g) = chain_energy_grad(&p, &a);
        assert!((v - f(&x)).abs() < 1e-12);
        let mut analytic = vec![g.params.depth, g.params.width, g.params.r0];
        analytic.extend(g.atoms.iter().flatten());
        check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
    }
}

// Was disabled (a clean rejection of the pattern `&(i, j)` of `for &(i, j) in bonds`);
// destructuring patterns of loops over data are desugared since (`tests/for_patterns.rs`).
mod bond_angle {
    use nalgebra::Vector3;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Harmonic bond-stretch plus angle-bend energy of a small molecule.
    #[differentiate(wrt(pos))]
    pub fn bonded_energy(
        pos: &[Vector3<f64>],
        bonds: &[(usize, usize)],
        angles: &[(usize, usize, usize)],
        kb: f64,
        r0: f64,
        ka: f64,
        theta0: f64,
    ) -> f64 {
        let mut e = 0.0;
        for &(i, j) in bonds {
            let r = (pos[i] - pos[j]).norm();
            e += 0.5 * kb * (r - r0).powi(2);
        }
        for &(i, j, k) in angles {
            let u = pos[i] - pos[j];
            let v = pos[k] - pos[j];
            let cos_t = (u.dot(&v) / (u.norm() * v.norm())).clamp(-1.0, 1.0);
            let theta = cos_t.acos();
            e += 0.5 * ka * (theta - theta0).powi(2);
        }
        e
    }

    #[test]
    fn water() {
        let bonds = [(0, 1), (0, 2)];
        let angles = [(1, 0, 2)];
        let x = [0.0, 0.0, 0.1, 0.95, 0.1, 0.0, -0.3, 0.9, -0.05];
        let unpack = |x: &[f64]| -> Vec<Vector3<f64>> {
            x.chunks(3)
                .map(|c| Vector3::new(c[0], c[1], c[2]))
                .collect()
        };
        let f = |x: &[f64]| bonded_energy(&unpack(x), &bonds, &angles, 450.0, 0.96, 55.0, 1.82);
        let (v, g) = bonded_energy_grad(&unpack(&x), &bonds, &angles, 450.0, 0.96, 55.0, 1.82);
        assert!((v - f(&x)).abs() < 1e-12);
        let analytic: Vec<f64> = g.pos.iter().flat_map(|p| p.iter().copied()).collect();
        check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
    }
}

mod lennard_jones {
    use num_traits::Float;
    use tapeless::differentiate;

    /// Truncated Lennard-Jones energy of particles stored flat as x0 y0 z0 x1 y1 z1 ...
    #[differentiate(wrt(coords))]
    pub fn lj_energy<T: Float>(coords: &[T], eps: T, sigma: T, cutoff: T) -> T {
        let n = coords.len() / 3;
        let mut e = T::zero();
        for i in 0..n {
            for j in (i + 1)..n {
                let mut r2 = T::zero();
                for d in 0..3 {
                    let dx = coords[3 * i + d] - coords[3 * j + d];
                    r2 = r2 + dx * dx;
                }
                if r2 > cutoff * cutoff {
                    continue;
                }
                let s6 = (sigma * sigma / r2).powi(3);
                e = e + T::from(4.0).unwrap() * eps * (s6 * s6 - s6);
            }
        }
        e
    }

    #[test]
    fn lennard_jones_forces() {
        let coords = [0.0, 0.0, 0.0, 1.1, 0.0, 0.1, 0.3, 1.2, -0.2, 4.0, 4.0, 4.0];
        let (eps, sigma, rc) = (0.8, 1.0, 2.5);
        let (v, g) = lj_energy_grad(&coords[..], eps, sigma, rc);
        assert!((v - lj_energy(&coords[..], eps, sigma, rc)).abs() < 1e-12);
        // Closed form: dE/dx_i = Σ_j 4ε(−12 s¹² + 6 s⁶)/r² (x_i − x_j) over pairs within the cutoff.
        let mut expected = [0.0; 12];
        for i in 0..4 {
            for j in 0..4 {
                if i == j {
                    continue;
                }
                let d: Vec<f64> = (0..3)
                    .map(|k| coords[3 * i + k] - coords[3 * j + k])
                    .collect();
                let r2: f64 = d.iter().map(|x| x * x).sum();
                if r2 > rc * rc {
                    continue;
                }
                let s6 = (sigma * sigma / r2).powi(3);
                let c = 4.0 * eps * (-12.0 * s6 * s6 + 6.0 * s6) / r2;
                for k in 0..3 {
                    expected[3 * i + k] += c * d[k];
                }
            }
        }
        for (a, e) in g.coords.iter().zip(expected) {
            assert!((a - e).abs() < 1e-9 * (1.0 + e.abs()), "{a} vs {e}");
        }
        let c32: Vec<f32> = coords.iter().map(|&c| c as f32).collect();
        let (v32, _) = lj_energy_grad(&c32[..], 0.8f32, 1.0, 2.5);
        assert!((v32 as f64 - v).abs() < 1e-3 * (1.0 + v.abs()));
    }
}

mod torsion {
    use nalgebra::Vector3;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[derive(tapeless::Differentiable, Clone)]
    pub struct Torsion {
        pub k: f64,
        pub phase: f64,
        pub multiplicity: f64,
    }

    #[differentiate]
    impl Torsion {
        pub fn new(k: f64, phase: f64, multiplicity: f64) -> Self {
            Torsion {
                k,
                phase,
                multiplicity,
            }
        }

        /// Dihedral energy k (1 + cos(n φ − δ)) of four atoms.
        #[differentiate]
        pub fn energy(&self, p: &[Vector3<f64>; 4]) -> f64 {
            let b1 = p[1] - p[0];
            let b2 = p[2] - p[1];
            let b3 = p[3] - p[2];
            let n1 = b1.cross(&b2);
            let n2 = b2.cross(&b3);
            let m1 = n1.cross(&(b2 / b2.norm()));
            let x = n1.dot(&n2);
            let y = m1.dot(&n2);
            let phi = y.atan2(x);
            self.k * (1.0 + (self.multiplicity * phi - self.phase).cos())
        }
    }

    #[test]
    fn torsion() {
        let x = [
            1.2, 0.3, 3.0, // k, phase, multiplicity
            0.0, 1.0, 0.1, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.3, 0.7, 0.8,
        ];
        let unpack = |x: &[f64]| {
            let t = Torsion::new(x[0], x[1], x[2]);
            let p: [Vector3<f64>; 4] =
                core::array::from_fn(|i| Vector3::new(x[3 + 3 * i], x[4 + 3 * i], x[5 + 3 * i]));
            (t, p)
        };
        let f = |x: &[f64]| {
            let (t, p) = unpack(x);
            t.energy(&p)
        };
        let (t, p) = unpack(&x);
        let (v, g) = t.energy_grad(&p);
        assert!((v - f(&x)).abs() < 1e-12);
        let mut analytic = vec![g.self_.k, g.self_.phase, g.self_.multiplicity];
        analytic.extend(g.p.iter().flat_map(|v| v.iter().copied()));
        check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Control
// ---------------------------------------------------------------------------------------------

mod lqr_rollout {
    use nalgebra::{Matrix2, RowVector2, Vector2};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Quadratic cost of a closed-loop rollout u = −K x of a discrete linear plant.
    #[differentiate(wrt(gain))]
    pub fn lqr_cost(
        gain: &RowVector2<f64>,
        a: &Matrix2<f64>,
        b: &Vector2<f64>,
        q: &Matrix2<f64>,
        r: f64,
        x0: &Vector2<f64>,
        horizon: usize,
    ) -> f64 {
        let mut x = *x0;
        let mut cost = 0.0;
        for _ in 0..horizon {
            let u = -(gain * x)[0];
            cost += x.dot(&(q * x)) + r * u * u;
            x = a * x + b * u;
        }
        cost + x.dot(&(q * x))
    }

    #[test]
    fn lqr_rollout() {
        let a = Matrix2::new(1.0, 0.1, 0.0, 1.0);
        let b = Vector2::new(0.005, 0.1);
        let q = Matrix2::new(1.0, 0.0, 0.0, 0.1);
        let x0 = Vector2::new(1.0, -0.5);
        for k in [[1.0, 1.5], [3.0, 2.5], [0.2, 0.4]] {
            let f = |k: &[f64]| lqr_cost(&RowVector2::new(k[0], k[1]), &a, &b, &q, 0.01, &x0, 50);
            let (v, g) = lqr_cost_grad(&RowVector2::new(k[0], k[1]), &a, &b, &q, 0.01, &x0, 50);
            assert!((v - f(&k)).abs() < 1e-12);
            check_gradient(f, &k, &[g.gain[0], g.gain[1]], Tolerance::default()).unwrap();
        }
    }
}

mod pid {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[derive(tapeless::Differentiable, Clone)]
    pub struct Gains {
        pub kp: f64,
        pub ki: f64,
        pub kd: f64,
    }

    /// PID controller on a first-order plant τ y' = −y + u, discretised by forward Euler;
    /// integral of the squared tracking error for a step reference.
    #[differentiate(wrt(gains))]
    pub fn tracking_cost(gains: &Gains, tau: f64, dt: f64, steps: usize, setpoint: f64) -> f64 {
        let mut y = 0.0;
        let mut integral = 0.0;
        let mut prev_err = setpoint - y;
        let mut cost = 0.0;
        for _ in 0..steps {
            let err = setpoint - y;
            integral += err * dt;
            let derivative = (err - prev_err) / dt;
            let u = gains.kp * err + gains.ki * integral + gains.kd * derivative;
            y += dt * (-y + u) / tau;
            prev_err = err;
            cost += err * err * dt;
        }
        cost
    }

    #[test]
    fn pid_tuning() {
        for x in [[2.0, 1.0, 0.05], [0.5, 0.2, 0.0], [4.0, 3.0, 0.1]] {
            let f = |x: &[f64]| {
                tracking_cost(
                    &Gains {
                        kp: x[0],
                        ki: x[1],
                        kd: x[2],
                    },
                    0.5,
                    0.01,
                    300,
                    1.0,
                )
            };
            let gains = Gains {
                kp: x[0],
                ki: x[1],
                kd: x[2],
            };
            let (v, g) = tracking_cost_grad(&gains, 0.5, 0.01, 300, 1.0);
            assert!((v - f(&x)).abs() < 1e-12);
            let analytic = [g.gains.kp, g.gains.ki, g.gains.kd];
            check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
        }
    }
}

// Was disabled (a clean rejection of `Penalty::Huber(delta) =>`); the payloads of an enum of
// data are bound at the start of the arm since (`tests/enum_payloads.rs`).
mod shooting {
    use tapeless::differentiate;

    #[derive(Clone, Copy)]
    pub enum Penalty {
        Quadratic,
        Huber(f64),
    }

    /// Single shooting for a double integrator: control effort, a penalised miss of the
    /// target position and the final speed.
    #[differentiate(wrt(controls))]
    pub fn shooting_cost(controls: &[f64], dt: f64, target: f64, penalty: Penalty) -> f64 {
        let (mut pos, mut vel) = (0.0, 0.0);
        for u in controls {
            vel += u * dt;
            pos += vel * dt;
        }
        let effort: f64 = controls.iter().map(|u| u * u).sum::<f64>() * dt;
        let miss = pos - target;
        let terminal = match penalty {
            Penalty::Quadratic => miss * miss,
            Penalty::Huber(delta) => {
                if miss.abs() <= delta {
                    0.5 * miss * miss
                } else {
                    delta * (miss.abs() - 0.5 * delta)
                }
            }
        };
        effort + terminal + vel * vel
    }

    #[test]
    fn shooting() {
        let controls = [1.0, 0.5, -0.2, 0.3, -1.0, 0.8];
        let (dt, target) = (0.1, 2.0);
        let n = controls.len();
        let vel: f64 = dt * controls.iter().sum::<f64>();
        let pos: f64 = dt
            * dt
            * controls
                .iter()
                .enumerate()
                .map(|(k, u)| u * (n - k) as f64)
                .sum::<f64>();
        let miss = pos - target;
        for (penalty, dpsi) in [
            (Penalty::Quadratic, 2.0 * miss),
            (Penalty::Huber(0.5), -0.5),
            (Penalty::Huber(5.0), miss),
        ] {
            let (v, g) = shooting_cost_grad(&controls, dt, target, penalty);
            assert!((v - shooting_cost(&controls, dt, target, penalty)).abs() < 1e-12);
            for (k, (gk, u)) in g.controls.iter().zip(controls).enumerate() {
                let expected = 2.0 * u * dt + dpsi * dt * dt * (n - k) as f64 + 2.0 * vel * dt;
                assert!((gk - expected).abs() < 1e-12, "{k}: {gk} vs {expected}");
            }
        }
    }
}

mod kalman {
    use nalgebra::RealField;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Negative log-likelihood of a local-level model (random walk plus noise) by the
    /// Kalman filter, as a function of the two noise variances.
    #[differentiate(wrt(q, r))]
    pub fn local_level_nll<T: RealField + Copy>(q: T, r: T, ys: &[T], m0: T, p0: T) -> T {
        let half: T = nalgebra::convert(0.5);
        let (mut m, mut p) = (m0, p0);
        let mut nll = T::zero();
        for &y in ys {
            // predict
            p += q;
            // update
            let s = p + r;
            let v = y - m;
            nll += half * ((T::two_pi() * s).ln() + v * v / s);
            let gain = p / s;
            m += gain * v;
            p = (T::one() - gain) * p;
        }
        nll
    }

    #[test]
    fn kalman_likelihood() {
        let ys = [0.1, 0.4, 0.3, 0.9, 1.4, 1.1, 1.6, 2.2, 2.0, 2.5];
        for x in [[0.1, 0.2], [0.5, 0.05], [0.02, 1.0]] {
            let f = |x: &[f64]| local_level_nll(x[0], x[1], &ys, 0.0, 1.0);
            let (v, g) = local_level_nll_grad(x[0], x[1], &ys, 0.0, 1.0);
            assert!((v - f(&x)).abs() < 1e-12);
            check_gradient(f, &x, &[g.q, g.r], Tolerance::default()).unwrap();
        }
        let ys32: Vec<f32> = ys.iter().map(|&y| y as f32).collect();
        let (v32, _) = local_level_nll_grad(0.1f32, 0.2, &ys32, 0.0, 1.0);
        let v = local_level_nll(0.1, 0.2, &ys, 0.0, 1.0);
        assert!((v32 as f64 - v).abs() < 1e-3 * (1.0 + v.abs()));
    }
}

// ---------------------------------------------------------------------------------------------
// Economics and finance
// ---------------------------------------------------------------------------------------------

mod crra {
    use tapeless::differentiate;

    /// Expected CRRA utility of terminal wealth over equally likely return scenarios.
    #[differentiate(wrt(weights))]
    pub fn expected_utility(weights: &[f64], scenarios: &[Vec<f64>], gamma: f64) -> f64 {
        let total: f64 = scenarios
            .iter()
            .map(|returns| {
                let wealth = 1.0 + weights.iter().zip(returns).map(|(w, r)| w * r).sum::<f64>();
                (wealth.powf(1.0 - gamma) - 1.0) / (1.0 - gamma)
            })
            .sum();
        total / scenarios.len() as f64
    }

    #[test]
    fn crra_utility() {
        let scenarios = vec![
            vec![0.05, -0.02, 0.01],
            vec![-0.10, 0.04, 0.01],
            vec![0.20, 0.00, 0.01],
            vec![0.02, 0.03, 0.01],
        ];
        let w = [0.5, 0.3, 0.2];
        for gamma in [0.5, 2.0, 4.0] {
            let (v, g) = expected_utility_grad(&w, &scenarios, gamma);
            assert!((v - expected_utility(&w, &scenarios, gamma)).abs() < 1e-12);
            // ∂/∂w_i = mean over scenarios of W^(−γ) r_i.
            for i in 0..3 {
                let expected = scenarios
                    .iter()
                    .map(|r| {
                        let wealth = 1.0 + w.iter().zip(r).map(|(a, b)| a * b).sum::<f64>();
                        wealth.powf(-gamma) * r[i]
                    })
                    .sum::<f64>()
                    / scenarios.len() as f64;
                assert!((g.weights[i] - expected).abs() < 1e-12);
            }
        }
    }
}

mod binomial_tree {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Cox–Ross–Rubinstein price of a European call; its gradient holds delta, vega and rho.
    #[differentiate(wrt(spot, vol, rate))]
    pub fn crr_call(spot: f64, strike: f64, vol: f64, rate: f64, expiry: f64, steps: usize) -> f64 {
        let dt = expiry / steps as f64;
        let up = (vol * dt.sqrt()).exp();
        let down = 1.0 / up;
        let p = ((rate * dt).exp() - down) / (up - down);
        let disc = (-rate * dt).exp();
        let mut values: Vec<f64> = (0..=steps)
            .map(|j| (spot * up.powi(j as i32) * down.powi((steps - j) as i32) - strike).max(0.0))
            .collect();
        for i in (0..steps).rev() {
            for j in 0..=i {
                values[j] = disc * (p * values[j + 1] + (1.0 - p) * values[j]);
            }
        }
        values[0]
    }

    #[test]
    fn binomial_greeks() {
        // Spots away from the kinks spot·u^(2j−n) = strike of the piecewise-linear tree price.
        for x in [[101.3, 0.2, 0.03], [90.0, 0.35, 0.01], [118.0, 0.15, 0.05]] {
            let f = |x: &[f64]| crr_call(x[0], 100.0, x[1], x[2], 1.0, 64);
            let (v, g) = crr_call_grad(x[0], 100.0, x[1], x[2], 1.0, 64);
            assert!((v - f(&x)).abs() < 1e-12);
            check_gradient(f, &x, &[g.spot, g.vol, g.rate], Tolerance::default()).unwrap();
            assert!(g.spot > 0.0 && g.spot < 1.0 && g.vol > 0.0);
        }
    }
}

mod cvar {
    use tapeless::differentiate;

    #[differentiate]
    pub fn softplus(x: f64, sharpness: f64) -> f64 {
        let z = sharpness * x;
        if z > 0.0 {
            (z + (-z).exp().ln_1p()) / sharpness
        } else {
            z.exp().ln_1p() / sharpness
        }
    }

    /// Smoothed Rockafellar–Uryasev CVaR of portfolio losses.
    #[differentiate(wrt(weights, var))]
    pub fn smooth_cvar(
        weights: &[f64],
        var: f64,
        returns: &[Vec<f64>],
        beta: f64,
        sharpness: f64,
    ) -> f64 {
        let n = returns.len() as f64;
        let excess: f64 = returns
            .iter()
            .map(|r| {
                let loss = -weights
                    .iter()
                    .zip(r.iter())
                    .map(|(w, x)| w * x)
                    .sum::<f64>();
                softplus(loss - var, sharpness)
            })
            .sum();
        var + excess / ((1.0 - beta) * n)
    }

    #[test]
    fn smooth_cvar_gradient() {
        let returns = vec![
            vec![0.05, -0.02],
            vec![-0.10, 0.04],
            vec![0.20, -0.08],
            vec![-0.03, -0.01],
            vec![0.01, 0.02],
        ];
        let (w, var, beta, k) = ([0.6, 0.4], 0.01, 0.8, 50.0);
        let (v, g) = smooth_cvar_grad(&w, var, &returns, beta, k);
        assert!((v - smooth_cvar(&w, var, &returns, beta, k)).abs() < 1e-12);
        // softplus' is the logistic sigmoid of k·x.
        let scale = 1.0 / ((1.0 - beta) * returns.len() as f64);
        let sig: Vec<f64> = returns
            .iter()
            .map(|r| {
                let loss = -(w[0] * r[0] + w[1] * r[1]);
                1.0 / (1.0 + (-k * (loss - var)).exp())
            })
            .collect();
        let dvar = 1.0 - scale * sig.iter().sum::<f64>();
        assert!((g.var - dvar).abs() < 1e-12);
        for i in 0..2 {
            let dw = -scale * sig.iter().zip(&returns).map(|(s, r)| s * r[i]).sum::<f64>();
            assert!((g.weights[i] - dw).abs() < 1e-12);
        }
    }
}

mod black_scholes {
    use std::f64::consts::{PI, SQRT_2};
    use tapeless::differentiate;

    #[differentiate]
    pub fn norm_cdf(x: f64) -> f64 {
        0.5 * (1.0 + libm::erf(x / SQRT_2))
    }

    /// Black–Scholes price of a European call.
    #[differentiate(wrt(spot, vol))]
    pub fn bs_call(spot: f64, strike: f64, vol: f64, rate: f64, expiry: f64) -> f64 {
        let sqrt_t = expiry.sqrt();
        let d1 = ((spot / strike).ln() + (rate + 0.5 * vol * vol) * expiry) / (vol * sqrt_t);
        let d2 = d1 - vol * sqrt_t;
        spot * norm_cdf(d1) - strike * (-rate * expiry).exp() * norm_cdf(d2)
    }

    #[test]
    fn black_scholes_greeks() {
        for (s, k, sigma, r, t) in [
            (100.0, 100.0, 0.2, 0.03, 1.0),
            (80.0, 100.0, 0.4, 0.01, 0.5),
        ] {
            let (v, g) = bs_call_grad(s, k, sigma, r, t);
            assert!((v - bs_call(s, k, sigma, r, t)).abs() < 1e-12);
            let d1: f64 = ((s / k).ln() + (r + 0.5 * sigma * sigma) * t) / (sigma * t.sqrt());
            let delta = 0.5 * (1.0 + libm::erf(d1 / SQRT_2));
            let vega = s * (-0.5 * d1 * d1).exp() / (2.0 * PI).sqrt() * t.sqrt();
            assert!((g.spot - delta).abs() < 1e-12, "{} vs {delta}", g.spot);
            assert!((g.vol - vega).abs() < 1e-10, "{} vs {vega}", g.vol);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signal processing
// ---------------------------------------------------------------------------------------------

// Was a clean rejection (class a: `.map(..)` before `.zip(target)`); passes unchanged since the
// desugaring writes `it.map(f).zip(ys)` as `it.zip(ys).map(|(a, b)| (f(a), b))` (session 32).
mod fir {
    use tapeless::differentiate;

    /// Squared error of a FIR filter's valid-mode output against a target.
    #[differentiate(wrt(taps))]
    pub fn fir_loss(taps: &[f64], signal: &[f64], target: &[f64]) -> f64 {
        signal
            .windows(taps.len())
            .map(|w| {
                w.iter()
                    .zip(taps.iter().rev())
                    .map(|(x, h)| x * h)
                    .sum::<f64>()
            })
            .zip(target)
            .map(|(y, t)| (y - t).powi(2))
            .sum()
    }

    #[test]
    fn fir_least_squares() {
        let signal = [0.0, 1.0, 0.5, -0.3, 0.8, 1.2, -0.7, 0.1, 0.4];
        let taps = [0.5, 0.3, -0.1];
        let target = [0.2, 0.6, 0.1, 0.3, 0.9, 0.2, -0.3];
        let (v, g) = fir_loss_grad(&taps, &signal, &target);
        assert!((v - fir_loss(&taps, &signal, &target)).abs() < 1e-12);
        // y_n = Σ_k h_k x_{n+L−1−k};  ∂L/∂h_k = 2 Σ_n e_n x_{n+L−1−k}.
        let l = taps.len();
        let errors: Vec<f64> = (0..target.len())
            .map(|n| (0..l).map(|k| taps[k] * signal[n + l - 1 - k]).sum::<f64>() - target[n])
            .collect();
        for k in 0..l {
            let expected: f64 = errors
                .iter()
                .enumerate()
                .map(|(n, e)| 2.0 * e * signal[n + l - 1 - k])
                .sum();
            assert!(
                (g.taps[k] - expected).abs() < 1e-12,
                "{k}: {} vs {expected}",
                g.taps[k]
            );
        }
    }
}

mod autocorrelation {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Matches a signal's sample autocorrelation at the first lags to a target.
    #[differentiate(wrt(x))]
    pub fn acf_mismatch(x: &[f64], target: &[f64]) -> f64 {
        let n = x.len();
        let mean = x.iter().sum::<f64>() / n as f64;
        let centred: Vec<f64> = x.iter().map(|v| v - mean).collect();
        let mut loss = 0.0;
        for (lag, t) in target.iter().enumerate() {
            let r = centred[..n - lag]
                .iter()
                .zip(&centred[lag..])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / n as f64;
            loss += (r - t).powi(2);
        }
        loss
    }

    #[test]
    fn autocorrelation_match() {
        let x = [0.3, -0.1, 0.8, 0.5, -0.6, 0.2, 0.9, -0.4];
        let target = [0.5, 0.1, -0.1];
        let (v, g) = acf_mismatch_grad(&x, &target);
        assert!((v - acf_mismatch(&x, &target)).abs() < 1e-12);
        check_gradient(|x| acf_mismatch(x, &target), &x, &g.x, Tolerance::default()).unwrap();
    }
}

mod total_variation {
    use tapeless::differentiate;

    /// Smoothed total-variation denoising objective.
    #[differentiate(wrt(u))]
    pub fn tv_objective(u: &[f64], noisy: &[f64], lambda: f64, eps: f64) -> f64 {
        let fidelity: f64 = u
            .iter()
            .zip(noisy)
            .map(|(a, b)| 0.5 * (a - b).powi(2))
            .sum();
        let tv: f64 = u
            .windows(2)
            .map(|w| ((w[1] - w[0]).powi(2) + eps).sqrt())
            .sum();
        fidelity + lambda * tv
    }

    #[test]
    fn total_variation() {
        let noisy = [0.1, 0.9, 1.1, 0.95, 0.2, -0.1, 0.05];
        let u = [0.0, 0.8, 1.0, 1.0, 0.3, 0.0, 0.1];
        let (lambda, eps) = (0.3, 1e-3);
        let (v, g) = tv_objective_grad(&u, &noisy, lambda, eps);
        assert!((v - tv_objective(&u, &noisy, lambda, eps)).abs() < 1e-12);
        let n = u.len();
        let slope = |i: usize| (u[i + 1] - u[i]) / ((u[i + 1] - u[i]).powi(2) + eps).sqrt();
        for i in 0..n {
            let mut expected = u[i] - noisy[i];
            if i > 0 {
                expected += lambda * slope(i - 1);
            }
            if i + 1 < n {
                expected -= lambda * slope(i);
            }
            assert!(
                (g.u[i] - expected).abs() < 1e-12,
                "{i}: {} vs {expected}",
                g.u[i]
            );
        }
    }
}

mod biquad {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[derive(tapeless::Differentiable, Clone)]
    pub struct Biquad {
        pub b0: f64,
        pub b1: f64,
        pub b2: f64,
        pub a1: f64,
        pub a2: f64,
    }

    #[differentiate]
    impl Biquad {
        /// Squared error of the filter's response (direct form I) against a target signal.
        #[differentiate(wrt(self))]
        pub fn response_error(&self, input: &[f64], target: &[f64]) -> f64 {
            let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
            let mut err = 0.0;
            for (&x, &t) in input.iter().zip(target.iter()) {
                let y = self.b0 * x + self.b1 * x1 + self.b2 * x2 - self.a1 * y1 - self.a2 * y2;
                x2 = x1;
                x1 = x;
                y2 = y1;
                y1 = y;
                err += (y - t) * (y - t);
            }
            err
        }
    }

    #[test]
    fn biquad_fit() {
        let input: Vec<f64> = (0..40)
            .map(|i| ((i as f64) * 0.7).sin() + 0.3 * ((i as f64) * 2.3).cos())
            .collect();
        let target: Vec<f64> = (0..40)
            .map(|i| ((i as f64) * 0.7 - 0.4).sin() * 0.8)
            .collect();
        let x = [0.2, 0.3, 0.1, -0.6, 0.2];
        let build = |x: &[f64]| Biquad {
            b0: x[0],
            b1: x[1],
            b2: x[2],
            a1: x[3],
            a2: x[4],
        };
        let f = |x: &[f64]| build(x).response_error(&input, &target);
        let (v, g) = build(&x).response_error_grad(&input, &target);
        assert!((v - f(&x)).abs() < 1e-12);
        let s = g.self_;
        check_gradient(f, &x, &[s.b0, s.b1, s.b2, s.a1, s.a2], Tolerance::default()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

// Was a clean rejection (class a, `libm::lgamma` had no rule); passes unchanged since
// `libm::lgamma` is `special::ln_gamma`, whose rule reads ψ (session 32).
mod student_t {
    use std::f64::consts::PI;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Log-likelihood of a location-scale Student-t with the scale on the log axis.
    #[differentiate(wrt(mu, log_sigma, nu))]
    pub fn student_t_loglik(mu: f64, log_sigma: f64, nu: f64, data: &[f64]) -> f64 {
        let sigma = log_sigma.exp();
        let n = data.len() as f64;
        let norm = libm::lgamma((nu + 1.0) / 2.0)
            - libm::lgamma(nu / 2.0)
            - 0.5 * (nu * PI).ln()
            - log_sigma;
        let kernel: f64 = data
            .iter()
            .map(|x| {
                let z = (x - mu) / sigma;
                -(nu + 1.0) / 2.0 * (1.0 + z * z / nu).ln()
            })
            .sum();
        n * norm + kernel
    }

    #[test]
    fn student_t() {
        let data = [0.3, -1.2, 2.5, 0.1, 0.7, -0.4, 4.0];
        for x in [[0.2, 0.0, 3.0], [0.5, -0.3, 8.0]] {
            let f = |x: &[f64]| student_t_loglik(x[0], x[1], x[2], &data);
            let (v, g) = student_t_loglik_grad(x[0], x[1], x[2], &data);
            assert!((v - f(&x)).abs() < 1e-12);
            // ∂/∂μ closed form: Σ (ν+1) z / (σ (ν + z²)).
            let sigma = x[1].exp();
            let dmu: f64 = data
                .iter()
                .map(|d| {
                    let z = (d - x[0]) / sigma;
                    (x[2] + 1.0) * z / (sigma * (x[2] + z * z))
                })
                .sum();
            assert!((g.mu - dmu).abs() < 1e-10);
            check_gradient(f, &x, &[g.mu, g.log_sigma, g.nu], Tolerance::default()).unwrap();
        }
    }
}

mod logistic_glm {
    use nalgebra::{DMatrix, DVector};
    use tapeless::differentiate;

    /// Bernoulli log-likelihood of a logistic GLM with a known offset per row.
    #[differentiate(wrt(beta))]
    pub fn glm_loglik(
        beta: &DVector<f64>,
        x: &DMatrix<f64>,
        offset: &DVector<f64>,
        y: &DVector<f64>,
    ) -> f64 {
        let eta = x * beta + offset;
        eta.iter()
            .zip(y.iter())
            .map(|(e, yi)| yi * e - (1.0 + e.exp()).ln())
            .sum()
    }

    #[test]
    fn logistic_glm() {
        let x = DMatrix::from_row_slice(
            5,
            3,
            &[
                1.0, 0.2, -1.0, 1.0, -0.4, 0.5, 1.0, 1.3, 0.0, 1.0, 0.7, 2.0, 1.0, -1.1, -0.3,
            ],
        );
        let offset = DVector::from_vec(vec![0.1, -0.2, 0.0, 0.5, 0.3]);
        let y = DVector::from_vec(vec![1.0, 0.0, 1.0, 1.0, 0.0]);
        let beta = DVector::from_vec(vec![0.2, -0.5, 0.3]);
        let (v, g) = glm_loglik_grad(&beta, &x, &offset, &y);
        assert!((v - glm_loglik(&beta, &x, &offset, &y)).abs() < 1e-12);
        // ∇ = Xᵀ (y − σ(η)).
        let eta = &x * &beta + &offset;
        let resid = DVector::from_iterator(
            5,
            eta.iter()
                .zip(y.iter())
                .map(|(e, yi)| yi - 1.0 / (1.0 + (-e).exp())),
        );
        let expected = x.transpose() * resid;
        assert!((g.beta - expected).norm() < 1e-12);
    }
}

mod poisson_mixture {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[differentiate]
    pub fn log_sum_exp(v: &[f64]) -> f64 {
        let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
    }

    /// Log-likelihood of counts under a K-component Poisson mixture: weights by a softmax of
    /// logits, rates on the log axis.
    #[differentiate(wrt(logits, log_rates))]
    pub fn mixture_loglik(logits: &[f64], log_rates: &[f64], counts: &[u32]) -> f64 {
        let log_norm = log_sum_exp(logits);
        let mut total = 0.0;
        for &k in counts {
            let log_fact: f64 = (1..=k).map(|i| (i as f64).ln()).sum();
            let terms: Vec<f64> = logits
                .iter()
                .zip(log_rates)
                .map(|(a, lr)| a - log_norm + k as f64 * lr - lr.exp() - log_fact)
                .collect();
            total += log_sum_exp(&terms);
        }
        total
    }

    #[test]
    fn poisson_mixture() {
        let counts = [0, 2, 3, 1, 8, 9, 12, 0, 4, 7];
        let x = [0.2, -0.3, 0.0, 0.5, 2.0];
        let f = |x: &[f64]| mixture_loglik(&x[..2], &x[2..], &counts);
        let (v, g) = mixture_loglik_grad(&x[..2], &x[2..], &counts);
        assert!((v - f(&x)).abs() < 1e-12);
        let mut analytic = g.logits.clone();
        analytic.extend(&g.log_rates);
        check_gradient(f, &x, &analytic, Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    }
}

mod weibull {
    use num_traits::Float;
    use tapeless::differentiate;

    /// Log-likelihood of right-censored survival times under a Weibull(shape, scale) model.
    #[differentiate(wrt(shape, scale))]
    pub fn weibull_loglik<T: Float>(shape: T, scale: T, times: &[T], censored: &[bool]) -> T {
        let mut ll = T::zero();
        for (&t, &c) in times.iter().zip(censored) {
            let z = t / scale;
            let cum_hazard = z.powf(shape);
            ll = ll - cum_hazard;
            if !c {
                ll = ll + shape.ln() - scale.ln() + (shape - T::one()) * z.ln();
            }
        }
        ll
    }

    #[test]
    fn weibull_survival() {
        let times = [0.5, 1.2, 2.0, 0.3, 3.1, 1.7];
        let censored = [false, false, true, false, true, false];
        for (k, lam) in [(1.5, 1.8), (0.8, 2.5)] {
            let (v, g) = weibull_loglik_grad(k, lam, &times, &censored);
            assert!((v - weibull_loglik(k, lam, &times, &censored)).abs() < 1e-12);
            let (mut dk, mut dl) = (0.0, 0.0);
            for (&t, &c) in times.iter().zip(&censored) {
                let z: f64 = t / lam;
                dk -= z.powf(k) * z.ln();
                dl += k * z.powf(k) / lam;
                if !c {
                    dk += 1.0 / k + z.ln();
                    dl -= k / lam;
                }
            }
            assert!((g.shape - dk).abs() < 1e-12, "{} vs {dk}", g.shape);
            assert!((g.scale - dl).abs() < 1e-12, "{} vs {dl}", g.scale);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Neural networks
// ---------------------------------------------------------------------------------------------

mod mlp {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[derive(tapeless::Differentiable, Clone)]
    pub struct Mlp {
        pub w1: Vec<Vec<f64>>,
        pub b1: Vec<f64>,
        pub w2: Vec<f64>,
        pub b2: f64,
    }

    /// Mean squared error of a one-hidden-layer tanh network.
    #[differentiate(wrt(net))]
    pub fn mse(net: &Mlp, inputs: &[Vec<f64>], targets: &[f64]) -> f64 {
        let mut total = 0.0;
        for (x, &y) in inputs.iter().zip(targets) {
            let hidden: Vec<f64> = net
                .w1
                .iter()
                .zip(&net.b1)
                .map(|(row, b)| (row.iter().zip(x).map(|(w, xi)| w * xi).sum::<f64>() + b).tanh())
                .collect();
            let out = hidden.iter().zip(&net.w2).map(|(h, w)| h * w).sum::<f64>() + net.b2;
            total += (out - y).powi(2);
        }
        total / inputs.len() as f64
    }

    #[test]
    fn two_layer_net() {
        let inputs = vec![
            vec![0.1, 0.5],
            vec![-0.3, 0.8],
            vec![0.9, -0.2],
            vec![0.0, 0.0],
        ];
        let targets = [0.3, -0.1, 0.7, 0.0];
        // 3 hidden units: w1 3×2, b1 3, w2 3, b2 1.
        let x = [
            0.5, -0.2, 0.3, 0.8, -0.7, 0.1, 0.0, 0.1, -0.1, 0.6, -0.4, 0.9, 0.05,
        ];
        let build = |x: &[f64]| Mlp {
            w1: x[..6].chunks(2).map(|c| c.to_vec()).collect(),
            b1: x[6..9].to_vec(),
            w2: x[9..12].to_vec(),
            b2: x[12],
        };
        let f = |x: &[f64]| mse(&build(x), &inputs, &targets);
        let (v, g) = mse_grad(&build(&x), &inputs, &targets);
        assert!((v - f(&x)).abs() < 1e-12);
        let mut analytic: Vec<f64> = g.net.w1.iter().flatten().copied().collect();
        analytic.extend(&g.net.b1);
        analytic.extend(&g.net.w2);
        analytic.push(g.net.b2);
        check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
    }
}

mod attention {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[differentiate]
    pub fn softmax(xs: &[f64]) -> Vec<f64> {
        let m = xs.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let e: Vec<f64> = xs.iter().map(|x| (x - m).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    }

    /// One head of scaled dot-product self-attention over a short sequence; squared error of
    /// the outputs.
    #[differentiate(wrt(queries, keys, values))]
    pub fn attention_loss(
        queries: &[[f64; 2]],
        keys: &[[f64; 2]],
        values: &[[f64; 2]],
        target: &[[f64; 2]],
    ) -> f64 {
        let scale = 1.0 / 2.0f64.sqrt();
        let mut loss = 0.0;
        for (q, t) in queries.iter().zip(target) {
            let scores: Vec<f64> = keys
                .iter()
                .map(|k| (q[0] * k[0] + q[1] * k[1]) * scale)
                .collect();
            let attn = softmax(&scores);
            let mut out = [0.0; 2];
            for (a, v) in attn.iter().zip(values) {
                out[0] += a * v[0];
                out[1] += a * v[1];
            }
            loss += (out[0] - t[0]).powi(2) + (out[1] - t[1]).powi(2);
        }
        loss
    }

    #[test]
    fn attention() {
        let target = [[0.1, 0.2], [0.5, -0.3], [0.0, 0.4]];
        let x = [
            0.3, -0.1, 0.8, 0.4, -0.5, 0.2, // queries
            0.1, 0.9, -0.4, 0.3, 0.6, -0.7, // keys
            1.0, 0.0, 0.2, 0.5, -0.3, 0.8, // values
        ];
        let pairs = |s: &[f64]| -> Vec<[f64; 2]> { s.chunks(2).map(|c| [c[0], c[1]]).collect() };
        let f = |x: &[f64]| {
            attention_loss(
                &pairs(&x[..6]),
                &pairs(&x[6..12]),
                &pairs(&x[12..]),
                &target,
            )
        };
        let (v, g) = attention_loss_grad(
            &pairs(&x[..6]),
            &pairs(&x[6..12]),
            &pairs(&x[12..]),
            &target,
        );
        assert!((v - f(&x)).abs() < 1e-12);
        let analytic: Vec<f64> = g
            .queries
            .iter()
            .chain(&g.keys)
            .chain(&g.values)
            .flatten()
            .copied()
            .collect();
        check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
    }
}

mod layer_norm {
    use nalgebra::DVector;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Layer normalisation with gain and bias, read out by a linear head.
    #[differentiate(wrt(x, gain, bias))]
    pub fn layer_norm_readout(
        x: &DVector<f64>,
        gain: &DVector<f64>,
        bias: &DVector<f64>,
        head: &DVector<f64>,
    ) -> f64 {
        let n = x.len() as f64;
        let mean = x.sum() / n;
        let centred = x.add_scalar(-mean);
        let var = centred.dot(&centred) / n;
        let normalised = centred / (var + 1e-5).sqrt();
        let y = normalised.component_mul(gain) + bias;
        head.dot(&y)
    }

    #[test]
    fn layer_norm() {
        let head = DVector::from_vec(vec![0.3, -0.2, 0.5, 0.1]);
        let p = [
            0.5, 1.5, -0.3, 0.2, // x
            1.0, 0.9, 1.1, 0.8, // gain
            0.0, 0.1, -0.1, 0.2, // bias
        ];
        let dv = |s: &[f64]| DVector::from_column_slice(s);
        let f = |p: &[f64]| layer_norm_readout(&dv(&p[..4]), &dv(&p[4..8]), &dv(&p[8..]), &head);
        let (v, g) = layer_norm_readout_grad(&dv(&p[..4]), &dv(&p[4..8]), &dv(&p[8..]), &head);
        assert!((v - f(&p)).abs() < 1e-12);
        let analytic: Vec<f64> =
            g.x.iter()
                .chain(g.gain.iter())
                .chain(g.bias.iter())
                .copied()
                .collect();
        check_gradient(f, &p, &analytic, Tolerance::default()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Scientific computing
// ---------------------------------------------------------------------------------------------

mod heat {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Explicit finite-difference steps of u_t = κ u_xx with fixed ends; squared miss of a
    /// target profile.
    #[differentiate(wrt(kappa, initial))]
    pub fn heat_misfit(
        kappa: f64,
        initial: &[f64],
        target: &[f64],
        dx: f64,
        dt: f64,
        steps: usize,
    ) -> f64 {
        let r = kappa * dt / (dx * dx);
        let mut u = initial.to_vec();
        for _ in 0..steps {
            let mut next = u.clone();
            for i in 1..u.len() - 1 {
                next[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
            }
            u = next;
        }
        u.iter().zip(target).map(|(a, b)| (a - b).powi(2)).sum()
    }

    #[test]
    fn heat_equation() {
        let target = [0.0, 0.2, 0.35, 0.4, 0.35, 0.2, 0.0];
        let mut x = vec![0.5];
        x.extend([0.0, 0.1, 0.6, 0.9, 0.4, 0.1, 0.0]);
        let f = |x: &[f64]| heat_misfit(x[0], &x[1..], &target, 0.1, 0.002, 25);
        let (v, g) = heat_misfit_grad(x[0], &x[1..], &target, 0.1, 0.002, 25);
        assert!((v - f(&x)).abs() < 1e-12);
        let mut analytic = vec![g.kappa];
        analytic.extend(&g.initial);
        check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
    }
}

mod newton_cubic {
    use tapeless::differentiate;

    /// Real root of x³ + a x − b by a fixed number of Newton steps.
    #[differentiate]
    pub fn cubic_root(a: f64, b: f64) -> f64 {
        let mut x = 1.0;
        for _ in 0..30 {
            let f = x * x * x + a * x - b;
            let df = 3.0 * x * x + a;
            x -= f / df;
        }
        x
    }

    #[test]
    fn newton_implicit_derivative() {
        for (a, b) in [(1.0, 2.0), (0.5, -3.0), (2.0, 0.7)] {
            let (x, g) = cubic_root_grad(a, b);
            assert!((x - cubic_root(a, b)).abs() < 1e-12);
            assert!((x * x * x + a * x - b).abs() < 1e-12);
            // Implicit function theorem on x³ + a x − b = 0.
            let d = 3.0 * x * x + a;
            assert!((g.a + x / d).abs() < 1e-10, "{} vs {}", g.a, -x / d);
            assert!((g.b - 1.0 / d).abs() < 1e-10, "{} vs {}", g.b, 1.0 / d);
        }
    }
}

mod simpson {
    use tapeless::differentiate;

    /// Composite Simpson's rule for ∫₀¹ exp(−a x²) cos(b x) dx.
    #[differentiate]
    pub fn damped_cosine_integral(a: f64, b: f64, intervals: usize) -> f64 {
        let h = 1.0 / intervals as f64;
        let f = |x: f64| (-a * x * x).exp() * (b * x).cos();
        let total: f64 = (0..=intervals)
            .map(|i| {
                let weight = if i == 0 || i == intervals {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                weight * f(i as f64 * h)
            })
            .sum();
        total * h / 3.0
    }

    /// Composite Simpson's rule of an arbitrary integrand on [0, 1] (the oracle).
    fn simpson(g: impl Fn(f64) -> f64, n: usize) -> f64 {
        let h = 1.0 / n as f64;
        let mut s = g(0.0) + g(1.0);
        for i in 1..n {
            s += if i % 2 == 1 { 4.0 } else { 2.0 } * g(i as f64 * h);
        }
        s * h / 3.0
    }

    #[test]
    fn simpson_parameter_derivatives() {
        for (a, b) in [(1.0, 2.0), (0.3, 5.0), (2.5, 0.5)] {
            let (v, g) = damped_cosine_integral_grad(a, b, 20);
            assert!((v - damped_cosine_integral(a, b, 20)).abs() < 1e-12);
            // Simpson's rule is linear in the integrand: differentiate under the sum.
            let da = simpson(|x| -x * x * (-a * x * x).exp() * (b * x).cos(), 20);
            let db = simpson(|x| -x * (-a * x * x).exp() * (b * x).sin(), 20);
            assert!((g.a - da).abs() < 1e-12, "{} vs {da}", g.a);
            assert!((g.b - db).abs() < 1e-12, "{} vs {db}", g.b);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Found while probing further idioms (not one of the thirty)
// ---------------------------------------------------------------------------------------------

// Was a rustc error in generated code (class b), fixed in session 32 (tests/tuple_accumulators.rs):
// a fold with a tuple accumulator of float literals, then a method call on one of its
// components (`s.powi(2)`): error[E0689] "can't call method `powi` on ambiguous numeric type
// `{float}`". The fold is now split into one accumulator per element.
mod fold_tuple_accumulator {
    use tapeless::differentiate;

    #[differentiate]
    pub fn spread(x: &[f64]) -> f64 {
        let (s, s2) = x.iter().fold((0.0, 0.0), |(a, b), v| (a + v, b + v * v));
        s2 - s.powi(2)
    }

    #[test]
    fn fold_tuple_accumulator() {
        let (v, g) = spread_grad(&[1.0, 2.0]);
        assert_eq!(v, 5.0 - 9.0);
        assert_eq!(g.x, vec![2.0 - 6.0, 4.0 - 6.0]);
    }
}
