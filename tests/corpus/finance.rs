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
