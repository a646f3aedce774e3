//! Corpus of issue 12, regression losses: programs written as users write them, each with an
//! independent oracle (a closed form derived by hand, or central differences) and a check
//! of the value against the untouched function.

mod huber {
    use tapeless::differentiate;

    /// Huber loss of residuals: quadratic inside `delta`, linear outside.
    #[differentiate]
    pub fn huber(residuals: &[f64], delta: f64) -> f64 {
        residuals
            .iter()
            .map(|&r| {
                let a = r.abs();
                if a <= delta {
                    0.5 * r * r
                } else {
                    delta * (a - 0.5 * delta)
                }
            })
            .sum()
    }

    #[test]
    fn huber_loss() {
        let delta = 1.0;
        for rs in [
            [0.3, -2.0, 1.7, -0.4],
            [5.0, 0.01, -0.9, 3.0],
            [-0.5, 0.5, 1.5, -1.5],
        ] {
            let (v, g) = huber_grad(&rs, delta);
            assert!((v - huber(&rs, delta)).abs() < 1e-12);
            // Closed form: d/dr = r inside, δ·sign(r) outside; d/dδ = 0 inside, |r| − δ outside.
            let mut dd = 0.0;
            for (k, &r) in rs.iter().enumerate() {
                let expected = if r.abs() <= delta {
                    r
                } else {
                    delta * r.signum()
                };
                assert!(
                    (g.residuals[k] - expected).abs() < 1e-12,
                    "{:?}",
                    g.residuals
                );
                if r.abs() > delta {
                    dd += r.abs() - delta;
                }
            }
            assert!((g.delta - dd).abs() < 1e-12, "{} vs {}", g.delta, dd);
        }
    }
}

mod linear_regression {
    use tapeless::differentiate;

    /// Mean squared error of a straight-line fit.
    #[differentiate]
    pub fn mse(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> f64 {
        let n = xs.len() as f64;
        xs.iter()
            .zip(ys)
            .map(|(x, y)| {
                let r = w * x + b - y;
                r * r
            })
            .sum::<f64>()
            / n
    }

    #[test]
    fn linear_regression() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.5];
        let ys = [1.1, 2.9, 5.2, 6.8, 10.1];
        for &(w, b) in &[(0.5, 0.1), (2.0, 1.0), (-1.0, 3.0)] {
            let (v, g) = mse_grad(w, b, &xs, &ys);
            assert!((v - mse(w, b, &xs, &ys)).abs() < 1e-12);
            // Closed form: dw = 2/n Σ r x, db = 2/n Σ r.
            let n = xs.len() as f64;
            let (mut dw, mut db) = (0.0, 0.0);
            for (x, y) in xs.iter().zip(&ys) {
                let r = w * x + b - y;
                dw += 2.0 * r * x / n;
                db += 2.0 * r / n;
            }
            assert!((g.w - dw).abs() < 1e-10, "{} vs {}", g.w, dw);
            assert!((g.b - db).abs() < 1e-10, "{} vs {}", g.b, db);
        }
    }
}

mod poisson_regression {
    use nalgebra::{DMatrix, DVector};
    use tapeless::differentiate;

    /// Poisson negative log-likelihood (up to the constant Σ ln y!) with a log link.
    #[differentiate(wrt(beta))]
    pub fn poisson_nll(beta: &DVector<f64>, x: &DMatrix<f64>, y: &DVector<f64>) -> f64 {
        let eta = x * beta;
        let mu = eta.map(|e| e.exp());
        mu.sum() - y.dot(&eta)
    }

    #[test]
    fn poisson_regression() {
        let x = DMatrix::from_row_slice(
            4,
            3,
            &[1.0, 0.2, -0.5, 1.0, 1.1, 0.3, 1.0, -0.4, 0.9, 1.0, 0.7, 0.0],
        );
        let y = DVector::from_vec(vec![2.0, 0.0, 5.0, 1.0]);
        for b in [[0.1, 0.2, -0.3], [0.5, -0.5, 0.25], [-1.0, 0.0, 1.0]] {
            let beta = DVector::from_row_slice(&b);
            let (v, g) = poisson_nll_grad(&beta, &x, &y);
            assert!((v - poisson_nll(&beta, &x, &y)).abs() < 1e-12);
            // Closed form: Xᵀ(μ − y).
            let mu = (&x * &beta).map(|e| e.exp());
            let expected = x.transpose() * (mu - &y);
            assert!(
                (&g.beta - &expected).norm() < 1e-10,
                "{} vs {}",
                g.beta,
                expected
            );
        }
    }
}

mod cross_entropy {
    use tapeless::differentiate;

    /// Softmax cross-entropy of logits against a class label, with the max subtracted.
    #[differentiate]
    pub fn cross_entropy(logits: &[f64], label: usize) -> f64 {
        let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let sum_exp: f64 = logits.iter().map(|&z| (z - max).exp()).sum();
        max + sum_exp.ln() - logits[label]
    }

    #[test]
    fn cross_entropy_loss() {
        for (logits, label) in [
            (vec![1.0, 2.0, 0.5], 0),
            (vec![-3.0, 0.0, 3.0, 1.0], 2),
            (vec![10.0, 10.5], 1),
        ] {
            let (v, g) = cross_entropy_grad(&logits, label);
            assert!((v - cross_entropy(&logits, label)).abs() < 1e-12);
            // Closed form: softmax − one-hot.
            let z: f64 = logits.iter().map(|l: &f64| l.exp()).sum();
            for (k, l) in logits.iter().enumerate() {
                let expected = l.exp() / z - if k == label { 1.0 } else { 0.0 };
                assert!((g.logits[k] - expected).abs() < 1e-10, "{:?}", g.logits);
            }
        }
    }
}

mod polynomial_horner {
    use tapeless::differentiate;

    /// Squared error of a polynomial fit; the polynomial evaluated by Horner's rule as a fold.
    #[differentiate(wrt(coeffs))]
    pub fn poly_fit_loss(coeffs: &[f64], ts: &[f64], ys: &[f64]) -> f64 {
        ts.iter()
            .zip(ys)
            .map(|(&t, &y)| {
                let p = coeffs.iter().rev().fold(0.0, |acc, &c| acc * t + c);
                (p - y) * (p - y)
            })
            .sum()
    }

    #[test]
    fn polynomial_horner() {
        let ts = [-1.0, -0.3, 0.2, 0.8, 1.5];
        let ys = [0.5, 1.0, 1.2, 2.0, 4.0];
        for c in [
            [1.0, 0.5, -0.2, 0.1],
            [0.0, 0.0, 0.0, 0.0],
            [2.0, -1.0, 0.3, 0.7],
        ] {
            let (v, g) = poly_fit_loss_grad(&c, &ts, &ys);
            assert!((v - poly_fit_loss(&c, &ts, &ys)).abs() < 1e-12);
            // Closed form: d/dc_k = Σ 2 r t^k.
            for k in 0..4 {
                let expected: f64 = ts
                    .iter()
                    .zip(&ys)
                    .map(|(t, y)| {
                        let p = c[0] + c[1] * t + c[2] * t * t + c[3] * t * t * t;
                        2.0 * (p - y) * t.powi(k as i32)
                    })
                    .sum();
                assert!((g.coeffs[k] - expected).abs() < 1e-10, "{:?}", g.coeffs);
            }
        }
    }
}
