//! Corpus of issue 12, regression losses: programs written as users write them, each with an
//! independent oracle (a closed form derived by hand, or central differences) and a check
//! of the value against the untouched function.
#![allow(clippy::needless_range_loop)]

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

mod logistic_regression {
    use tapeless::differentiate;

    #[differentiate]
    fn sigmoid(z: f64) -> f64 {
        1.0 / (1.0 + (-z).exp())
    }

    /// Mean negative log-likelihood of a logistic model.
    #[differentiate(wrt(w, bias))]
    pub fn logistic_nll(w: &[f64], bias: f64, xs: &[Vec<f64>], ys: &[f64]) -> f64 {
        let mut total = 0.0;
        for (x, &y) in xs.iter().zip(ys.iter()) {
            let z: f64 = w.iter().zip(x).map(|(wi, xi)| wi * xi).sum::<f64>() + bias;
            let p = sigmoid(z);
            total -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
        }
        total / xs.len() as f64
    }

    #[test]
    fn logistic_regression() {
        let xs = vec![
            vec![0.5, -1.0],
            vec![1.5, 0.3],
            vec![-0.7, 2.0],
            vec![0.1, 0.1],
        ];
        let ys = [1.0, 0.0, 1.0, 0.0];
        for (w, bias) in [
            (vec![0.2, -0.4], 0.1),
            (vec![-1.0, 0.5], -0.3),
            (vec![0.0, 0.0], 0.0),
        ] {
            let (v, g) = logistic_nll_grad(&w, bias, &xs, &ys);
            assert!((v - logistic_nll(&w, bias, &xs, &ys)).abs() < 1e-12);
            // Closed form: dw = 1/n Σ (p − y) x, db = 1/n Σ (p − y).
            let n = xs.len() as f64;
            let mut dw = vec![0.0; 2];
            let mut db = 0.0;
            for (x, y) in xs.iter().zip(&ys) {
                let z = w[0] * x[0] + w[1] * x[1] + bias;
                let p = 1.0 / (1.0 + (-z).exp());
                dw[0] += (p - y) * x[0] / n;
                dw[1] += (p - y) * x[1] / n;
                db += (p - y) / n;
            }
            for k in 0..2 {
                assert!((g.w[k] - dw[k]).abs() < 1e-10, "{:?} vs {:?}", g.w, dw);
            }
            assert!((g.bias - db).abs() < 1e-10);
        }
    }
}

mod smooth_lasso_generic {
    use num_traits::Float;
    use tapeless::differentiate;

    /// Least squares with a smoothed L1 penalty Σ sqrt(w² + ε), generic over the float type.
    #[differentiate(wrt(w))]
    pub fn smooth_lasso<T: Float>(w: &[T], x: &[Vec<T>], y: &[T], lambda: T) -> T {
        let eps = T::from(1e-3).unwrap();
        let half = T::from(0.5).unwrap();
        let mut loss = T::zero();
        for (row, &yi) in x.iter().zip(y) {
            let mut pred = T::zero();
            for (&a, &b) in row.iter().zip(w) {
                pred = pred + a * b;
            }
            let r = pred - yi;
            loss = loss + half * r * r;
        }
        for &wi in w {
            loss = loss + lambda * (wi * wi + eps).sqrt();
        }
        loss
    }

    #[test]
    fn smooth_lasso_generic() {
        let x = vec![vec![1.0, 2.0], vec![0.3, -1.0], vec![2.0, 0.5]];
        let y = [1.0, -0.5, 2.0];
        let lambda = 0.3;
        for w in [[0.1, -0.2], [1.0, 0.5], [0.0, 0.02]] {
            let (v, g) = smooth_lasso_grad(&w, &x, &y, lambda);
            assert!((v - smooth_lasso(&w, &x, &y, lambda)).abs() < 1e-12);
            // Closed form: Xᵀ r + λ w / sqrt(w² + ε).
            let mut expected = [0.0; 2];
            for (row, yi) in x.iter().zip(&y) {
                let r = row[0] * w[0] + row[1] * w[1] - yi;
                for k in 0..2 {
                    expected[k] += r * row[k];
                }
            }
            for k in 0..2 {
                expected[k] += lambda * w[k] / (w[k] * w[k] + 1e-3).sqrt();
                assert!(
                    (g.w[k] - expected[k]).abs() < 1e-10,
                    "{:?} vs {:?}",
                    g.w,
                    expected
                );
            }
            // The same code in f32.
            let w32 = [w[0] as f32, w[1] as f32];
            let x32: Vec<Vec<f32>> = x
                .iter()
                .map(|r| r.iter().map(|&v| v as f32).collect())
                .collect();
            let y32 = [1.0f32, -0.5, 2.0];
            let (v32, g32) = smooth_lasso_grad(&w32, &x32, &y32, lambda as f32);
            assert!((v32 as f64 - v).abs() < 1e-4 * (1.0 + v.abs()));
            for k in 0..2 {
                assert!((g32.w[k] as f64 - expected[k]).abs() < 1e-3 * (1.0 + expected[k].abs()));
            }
        }
    }
}

mod ridge {
    use tapeless::differentiate;

    /// Least squares with an L2 penalty.
    #[differentiate(wrt(w))]
    pub fn ridge_loss(w: &[f64], x: &[Vec<f64>], y: &[f64], lambda: f64) -> f64 {
        let data: f64 = x
            .iter()
            .zip(y)
            .map(|(row, yi)| {
                let pred: f64 = row.iter().zip(w).map(|(a, b)| a * b).sum();
                (pred - yi).powi(2)
            })
            .sum();
        let penalty = w.iter().fold(0.0, |acc, wi| acc + wi * wi);
        0.5 * data + 0.5 * lambda * penalty
    }

    #[test]
    fn ridge() {
        let x = vec![
            vec![1.0, 2.0, 0.5],
            vec![0.3, -1.0, 1.5],
            vec![2.0, 0.0, -0.5],
            vec![-1.0, 1.0, 1.0],
        ];
        let y = [1.0, -0.5, 2.0, 0.3];
        let lambda = 0.7;
        for w in [[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0], [0.0, 0.0, 0.0]] {
            let (v, g) = ridge_loss_grad(&w, &x, &y, lambda);
            assert!((v - ridge_loss(&w, &x, &y, lambda)).abs() < 1e-12);
            // Closed form: Xᵀ r + λ w.
            let mut expected = [lambda * w[0], lambda * w[1], lambda * w[2]];
            for (row, yi) in x.iter().zip(&y) {
                let r = row[0] * w[0] + row[1] * w[1] + row[2] * w[2] - yi;
                for k in 0..3 {
                    expected[k] += r * row[k];
                }
            }
            for k in 0..3 {
                assert!(
                    (g.w[k] - expected[k]).abs() < 1e-10,
                    "{:?} vs {:?}",
                    g.w,
                    expected
                );
            }
        }
    }
}
