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

mod gaussian_nll_generic {
    use num_traits::Float;
    use tapeless::differentiate;

    /// Gaussian negative log-likelihood in (μ, log σ), generic over the float type.
    #[differentiate]
    pub fn gaussian_nll<T: Float>(mu: T, log_sigma: T, data: &[T]) -> T {
        let half = T::from(0.5).unwrap();
        let ln_2pi = T::from(2.0 * std::f64::consts::PI).unwrap().ln();
        let sigma = log_sigma.exp();
        let mut total = T::zero();
        for &x in data {
            let z = (x - mu) / sigma;
            total = total + half * z * z + log_sigma + half * ln_2pi;
        }
        total
    }

    #[test]
    fn gaussian_nll_generic() {
        let data = [1.2, 0.7, 2.5, -0.3, 1.9];
        for (mu, ls) in [(0.5, 0.0), (1.0, -0.5), (-0.2, 0.8)] {
            let (v, g) = gaussian_nll_grad(mu, ls, &data);
            assert!((v - gaussian_nll(mu, ls, &data)).abs() < 1e-12);
            // Closed form: dμ = −Σ z/σ, d(log σ) = Σ (1 − z²).
            let s = f64::exp(ls);
            let dmu: f64 = data.iter().map(|x| -(x - mu) / (s * s)).sum();
            let dls: f64 = data.iter().map(|x| 1.0 - ((x - mu) / s).powi(2)).sum();
            assert!((g.mu - dmu).abs() < 1e-10 && (g.log_sigma - dls).abs() < 1e-10);
            let d32: Vec<f32> = data.iter().map(|&x| x as f32).collect();
            let (_, g32) = gaussian_nll_grad(mu as f32, ls as f32, &d32);
            assert!((g32.mu as f64 - dmu).abs() < 1e-3 * (1.0 + dmu.abs()));
        }
    }
}

mod decay_fit_struct {
    use tapeless::{differentiate, Differentiable};

    /// Parameters of y = a·exp(−k t) + c.
    #[derive(Clone, Copy, Debug, Differentiable)]
    pub struct Decay {
        pub a: f64,
        pub k: f64,
        pub c: f64,
    }

    #[differentiate(wrt(p))]
    pub fn decay_loss(p: &Decay, ts: &[f64], ys: &[f64]) -> f64 {
        let Decay { a, k, c } = *p;
        ts.iter()
            .zip(ys)
            .map(|(t, y)| {
                let r = a * (-k * t).exp() + c - y;
                r * r
            })
            .sum()
    }

    #[test]
    fn decay_fit_with_destructured_struct() {
        let ts = [0.0, 0.5, 1.0, 2.0, 4.0];
        let ys = [3.0, 2.1, 1.6, 0.9, 0.55];
        for p in [
            Decay {
                a: 2.5,
                k: 0.7,
                c: 0.4,
            },
            Decay {
                a: 1.0,
                k: 0.1,
                c: 0.0,
            },
            Decay {
                a: 3.2,
                k: 1.5,
                c: 0.6,
            },
        ] {
            let (v, g) = decay_loss_grad(&p, &ts, &ys);
            assert!((v - decay_loss(&p, &ts, &ys)).abs() < 1e-12);
            // Closed form: Σ 2r·(e, −a t e, 1) with e = exp(−k t).
            let (mut da, mut dk, mut dc) = (0.0, 0.0, 0.0);
            for (t, y) in ts.iter().zip(&ys) {
                let e = (-p.k * t).exp();
                let r = p.a * e + p.c - y;
                da += 2.0 * r * e;
                dk += 2.0 * r * (-p.a * t * e);
                dc += 2.0 * r;
            }
            assert!(
                (g.p.a - da).abs() < 1e-10
                    && (g.p.k - dk).abs() < 1e-10
                    && (g.p.c - dc).abs() < 1e-10
            );
        }
    }
}

mod gp_nll_lu {
    use nalgebra::{DMatrix, DVector};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// GP negative log marginal likelihood (squared-exponential kernel), solved by LU.
    #[differentiate(wrt(log_ell, log_sf))]
    pub fn gp_nll(log_ell: f64, log_sf: f64, xs: &[f64], y: &DVector<f64>, noise: f64) -> f64 {
        let n = xs.len();
        let ell = log_ell.exp();
        let sf2 = (2.0 * log_sf).exp();
        let k = DMatrix::from_fn(n, n, |i, j| {
            let d = (xs[i] - xs[j]) / ell;
            sf2 * (-0.5 * d * d).exp() + if i == j { noise } else { 0.0 }
        });
        let alpha = k.clone().lu().solve(y).unwrap();
        0.5 * y.dot(&alpha) + 0.5 * k.determinant().ln()
    }

    #[test]
    fn gp_nll_lu() {
        let xs = [0.0, 0.4, 1.1, 1.9, 2.5];
        let y = DVector::from_vec(vec![0.1, 0.5, 0.9, 0.4, -0.2]);
        for p in [[0.0, 0.0], [-0.5, 0.3], [0.4, -0.2]] {
            let f = |p: &[f64]| gp_nll(p[0], p[1], &xs, &y, 0.1);
            let (v, g) = gp_nll_grad(p[0], p[1], &xs, &y, 0.1);
            assert!((v - f(&p)).abs() < 1e-12);
            check_gradient(f, &p, &[g.log_ell, g.log_sf], Tolerance::default()).unwrap();
        }
    }
}

mod gp_log_likelihood {
    use nalgebra::{DMatrix, DVector};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Negative log marginal likelihood of a GP with a squared-exponential kernel, by Cholesky.
    #[differentiate(wrt(log_ell, log_sf))]
    pub fn gp_neg_log_lik(
        log_ell: f64,
        log_sf: f64,
        xs: &[f64],
        y: &DVector<f64>,
        noise: f64,
    ) -> f64 {
        let n = xs.len();
        let ell = log_ell.exp();
        let sf2 = (2.0 * log_sf).exp();
        let k = DMatrix::from_fn(n, n, |i, j| {
            let d = (xs[i] - xs[j]) / ell;
            sf2 * (-0.5 * d * d).exp() + if i == j { noise } else { 0.0 }
        });
        let chol = k
            .cholesky()
            .expect("kernel matrix is not positive definite");
        let alpha = chol.solve(y);
        let log_det = 2.0 * chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
        0.5 * y.dot(&alpha) + 0.5 * log_det + 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln()
    }

    #[test]
    fn gp_log_likelihood() {
        let xs = [-1.5, -0.7, 0.0, 0.4, 1.3, 2.0];
        let y = DVector::from_vec(vec![0.3, -0.2, 0.5, 0.9, 0.1, -0.6]);
        for t in [[0.0, 0.0], [-0.5, 0.3], [0.7, -0.2]] {
            let f = |t: &[f64]| gp_neg_log_lik(t[0], t[1], &xs, &y, 0.1);
            let (v, g) = gp_neg_log_lik_grad(t[0], t[1], &xs, &y, 0.1);
            assert!((v - f(&t)).abs() < 1e-10);
            check_gradient(f, &t, &[g.log_ell, g.log_sf], Tolerance::default()).unwrap();
        }
    }
}
