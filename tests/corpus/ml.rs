//! Corpus of issue 12, machine learning: programs written as users write them, each with an
//! independent oracle (a closed form derived by hand, or central differences) and a check
//! of the value against the untouched function.

mod mlp_nalgebra {
    use nalgebra::{DMatrix, DVector};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Two-layer perceptron with nalgebra, tanh hidden layer, squared error.
    #[differentiate(wrt(w1, b1, w2, b2))]
    pub fn mlp_loss(
        w1: &DMatrix<f64>,
        b1: &DVector<f64>,
        w2: &DMatrix<f64>,
        b2: &DVector<f64>,
        x: &DVector<f64>,
        y: &DVector<f64>,
    ) -> f64 {
        let h = (w1 * x + b1).map(|z| z.tanh());
        let out = w2 * h + b2;
        let r = out - y;
        0.5 * r.norm_squared()
    }

    fn unpack(t: &[f64]) -> (DMatrix<f64>, DVector<f64>, DMatrix<f64>, DVector<f64>) {
        (
            DMatrix::from_column_slice(3, 2, &t[0..6]),
            DVector::from_column_slice(&t[6..9]),
            DMatrix::from_column_slice(2, 3, &t[9..15]),
            DVector::from_column_slice(&t[15..17]),
        )
    }

    #[test]
    fn mlp_on_nalgebra() {
        let x = DVector::from_vec(vec![0.4, -1.2]);
        let y = DVector::from_vec(vec![0.3, -0.1]);
        for s in [0.2, -0.5, 0.8] {
            let theta: Vec<f64> = (0..17)
                .map(|i| s * ((i as f64 * 0.7).cos() - 0.05 * i as f64))
                .collect();
            let f = |t: &[f64]| {
                let (w1, b1, w2, b2) = unpack(t);
                mlp_loss(&w1, &b1, &w2, &b2, &x, &y)
            };
            let (w1, b1, w2, b2) = unpack(&theta);
            let (v, g) = mlp_loss_grad(&w1, &b1, &w2, &b2, &x, &y);
            assert!((v - f(&theta)).abs() < 1e-12);
            let analytic: Vec<f64> =
                g.w1.iter()
                    .chain(g.b1.iter())
                    .chain(g.w2.iter())
                    .chain(g.b2.iter())
                    .copied()
                    .collect();
            check_gradient(f, &theta, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod standardize {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Layer-norm style standardisation followed by a weighted sum.
    #[differentiate]
    pub fn standardized_score(x: &[f64], weights: &[f64]) -> f64 {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let std = (var + 1e-5).sqrt();
        x.iter()
            .zip(weights)
            .map(|(v, w)| w * (v - mean) / std)
            .sum()
    }

    #[test]
    fn standardize() {
        let weights = [0.5, -1.0, 2.0, 0.3, 1.5];
        for x in [
            [1.0, 2.0, 3.0, 4.0, 5.5],
            [-0.3, 0.2, 0.9, -1.4, 0.0],
            [10.0, 9.5, 11.0, 10.2, 8.0],
        ] {
            let f = |x: &[f64]| standardized_score(x, &weights);
            let (v, g) = standardized_score_grad(&x, &weights);
            assert!((v - f(&x)).abs() < 1e-12);
            check_gradient(f, &x, &g.x, Tolerance::default()).unwrap();
            // d/dw is the standardised input.
            let fw = |w: &[f64]| standardized_score(&x, w);
            check_gradient(fw, &weights, &g.weights, Tolerance::default()).unwrap();
        }
    }
}
