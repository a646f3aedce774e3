//! Corpus of issue 12, finance: programs written as users write them, each with an
//! independent oracle (a closed form derived by hand, or central differences) and a check
//! of the value against the untouched function.

mod mean_variance {
    use nalgebra::{DMatrix, DVector};
    use tapeless::differentiate;

    /// Mean-variance utility of portfolio weights.
    #[differentiate(wrt(w))]
    pub fn utility(w: &DVector<f64>, mu: &DVector<f64>, cov: &DMatrix<f64>, gamma: f64) -> f64 {
        let ret = w.dot(mu);
        let risk = (w.transpose() * cov * w)[(0, 0)];
        ret - 0.5 * gamma * risk
    }

    #[test]
    fn mean_variance() {
        let mu = DVector::from_vec(vec![0.05, 0.08, 0.03]);
        let cov =
            DMatrix::from_row_slice(3, 3, &[0.04, 0.01, 0.0, 0.01, 0.09, 0.02, 0.0, 0.02, 0.01]);
        for w in [[0.3, 0.3, 0.4], [1.0, 0.0, 0.0], [-0.2, 0.7, 0.5]] {
            let w = DVector::from_row_slice(&w);
            let (v, g) = utility_grad(&w, &mu, &cov, 3.0);
            assert!((v - utility(&w, &mu, &cov, 3.0)).abs() < 1e-12);
            // Closed form (Σ symmetric): μ − γ Σ w.
            let expected = &mu - 3.0 * &cov * &w;
            assert!((&g.w - &expected).norm() < 1e-12, "{} vs {}", g.w, expected);
        }
    }
}

mod garch {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// GARCH(1,1) Gaussian negative log-likelihood, variance started at the sample variance.
    #[differentiate(wrt(omega, alpha, beta))]
    pub fn garch_nll(omega: f64, alpha: f64, beta: f64, returns: &[f64]) -> f64 {
        let mut var = returns.iter().map(|r| r * r).sum::<f64>() / returns.len() as f64;
        let mut nll = 0.0;
        for (prev, r) in returns.iter().zip(returns.iter().skip(1)) {
            var = omega + alpha * prev * prev + beta * var;
            nll += 0.5 * (var.ln() + r * r / var);
        }
        nll
    }

    #[test]
    fn garch() {
        let returns = [1.0, -2.0, 1.5, 3.0, -1.0, 0.5, -2.5, 1.2];
        for t in [[0.1, 0.1, 0.85], [0.05, 0.05, 0.9], [0.2, 0.2, 0.5]] {
            let f = |t: &[f64]| garch_nll(t[0], t[1], t[2], &returns);
            let (v, g) = garch_nll_grad(t[0], t[1], t[2], &returns);
            assert!((v - f(&t)).abs() < 1e-12);
            check_gradient(f, &t, &[g.omega, g.alpha, g.beta], Tolerance::default()).unwrap();
        }
    }
}
