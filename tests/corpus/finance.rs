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

mod asset_class_risk {
    use nalgebra::{DMatrix, DVector};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Risk of a portfolio whose first `k` weights are equities and the rest bonds, each
    /// class with its own covariance block, plus a penalty on the equity share.
    #[differentiate(wrt(w))]
    pub fn class_risk(w: &DVector<f64>, cov: &DMatrix<f64>, k: usize) -> f64 {
        let n = w.len();
        let equities = w.rows(0, k);
        let bonds = w.rows(k, n - k);
        let ce = cov.view((0, 0), (k, k));
        let cb = cov.view((k, k), (n - k, n - k));
        let equity_risk = (equities.transpose() * ce * equities)[(0, 0)];
        let bond_risk = (bonds.transpose() * cb * bonds)[(0, 0)];
        equity_risk + bond_risk + 0.1 * (equities.sum() - 0.6).powi(2)
    }

    #[test]
    fn asset_class_risk() {
        let cov = DMatrix::from_fn(4, 4, |i, j| {
            if i == j {
                0.04 + 0.01 * i as f64
            } else {
                0.005
            }
        });
        for w in [
            [0.3, 0.3, 0.2, 0.2],
            [0.5, 0.1, 0.1, 0.3],
            [0.1, 0.4, 0.4, 0.1],
        ] {
            let f = |w: &[f64]| class_risk(&DVector::from_column_slice(w), &cov, 2);
            let (v, g) = class_risk_grad(&DVector::from_column_slice(&w), &cov, 2);
            assert!((v - f(&w)).abs() < 1e-12);
            check_gradient(f, &w, g.w.as_slice(), Tolerance::default()).unwrap();
        }
    }
}

/// Black–Scholes with `libm::erf` (was pending: `libm`'s functions had no rules).
mod black_scholes {
    use std::f64::consts::{PI, SQRT_2};
    use tapeless::differentiate;

    #[differentiate]
    fn norm_cdf(x: f64) -> f64 {
        0.5 * (1.0 + libm::erf(x / SQRT_2))
    }

    /// Black–Scholes price of a European call.
    #[differentiate]
    pub fn call_price(s: f64, k: f64, t: f64, r: f64, sigma: f64) -> f64 {
        let sqrt_t = t.sqrt();
        let d1 = ((s / k).ln() + (r + 0.5 * sigma * sigma) * t) / (sigma * sqrt_t);
        let d2 = d1 - sigma * sqrt_t;
        s * norm_cdf(d1) - k * (-r * t).exp() * norm_cdf(d2)
    }

    #[test]
    fn black_scholes_greeks() {
        let n = |x: f64| 0.5 * (1.0 + libm::erf(x / SQRT_2));
        let phi = |x: f64| (-0.5 * x * x).exp() / (2.0 * PI).sqrt();
        for (s, k, t, r, sigma) in [
            (100.0, 95.0, 0.5, 0.02, 0.25),
            (50.0, 60.0, 2.0, 0.05, 0.4),
            (10.0, 10.0, 0.1, 0.0, 0.6),
        ] {
            let (v, g) = call_price_grad(s, k, t, r, sigma);
            assert!((v - call_price(s, k, t, r, sigma)).abs() < 1e-12);
            // Closed-form Greeks.
            let d1 = ((s / k).ln() + (r + 0.5 * sigma * sigma) * t) / (sigma * t.sqrt());
            let d2 = d1 - sigma * t.sqrt();
            let disc = (-r * t).exp();
            let delta = n(d1);
            let dk = -disc * n(d2);
            let vega = s * phi(d1) * t.sqrt();
            let rho = k * t * disc * n(d2);
            let dt = s * phi(d1) * sigma / (2.0 * t.sqrt()) + r * k * disc * n(d2);
            for (got, want) in [
                (g.s, delta),
                (g.k, dk),
                (g.sigma, vega),
                (g.r, rho),
                (g.t, dt),
            ] {
                assert!(
                    (got - want).abs() < 1e-9 * (1.0 + want.abs()),
                    "{got} vs {want}"
                );
            }
        }
    }
}
