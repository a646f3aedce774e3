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

// Written as a user wrote it (an index loop over three arrays).
#[allow(clippy::needless_range_loop)]
mod gmm_scratch {
    use std::f64::consts::PI;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    const K: usize = 3;

    /// 1-D Gaussian mixture negative log-likelihood with scratch arrays for the log terms.
    #[differentiate(wrt(weight_logits, means, log_sigmas))]
    pub fn gmm_nll(
        weight_logits: &[f64; K],
        means: &[f64; K],
        log_sigmas: &[f64; K],
        data: &[f64],
    ) -> f64 {
        let mut lw = [0.0; K];
        let m = weight_logits
            .iter()
            .cloned()
            .fold(f64::NEG_INFINITY, f64::max);
        let mut z = 0.0;
        for k in 0..K {
            z += (weight_logits[k] - m).exp();
        }
        for k in 0..K {
            lw[k] = weight_logits[k] - m - z.ln();
        }
        let mut nll = 0.0;
        let mut scratch = [0.0; K];
        for &x in data {
            for k in 0..K {
                let s = log_sigmas[k].exp();
                let u = (x - means[k]) / s;
                scratch[k] = lw[k] - 0.5 * u * u - log_sigmas[k] - 0.5 * (2.0 * PI).ln();
            }
            let mx = scratch.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let se: f64 = scratch.iter().map(|v| (v - mx).exp()).sum();
            nll -= mx + se.ln();
        }
        nll
    }

    #[test]
    fn gmm_with_scratch_arrays() {
        let data = [-2.1, -1.7, 0.1, 0.3, 0.2, 2.5, 3.1, 2.9];
        for s in [0.0, 0.3, -0.4] {
            let theta = [
                0.1 + s,
                -0.2,
                0.3 - s,
                -2.0 + s,
                0.0,
                3.0,
                0.1,
                -0.2 + s,
                0.3,
            ];
            let arr = |t: &[f64], o: usize| [t[o], t[o + 1], t[o + 2]];
            let f = |t: &[f64]| gmm_nll(&arr(t, 0), &arr(t, 3), &arr(t, 6), &data);
            let (v, g) = gmm_nll_grad(&arr(&theta, 0), &arr(&theta, 3), &arr(&theta, 6), &data);
            assert!((v - f(&theta)).abs() < 1e-12);
            let analytic: Vec<f64> = g
                .weight_logits
                .iter()
                .chain(&g.means)
                .chain(&g.log_sigmas)
                .copied()
                .collect();
            check_gradient(f, &theta, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod log_sum_exp_generic {
    use num_traits::Float;
    use tapeless::differentiate;

    /// log Σ exp(x_i), generic over the float type.
    #[differentiate]
    pub fn log_sum_exp<T: Float>(xs: &[T]) -> T {
        let m = xs.iter().fold(T::neg_infinity(), |a, &b| a.max(b));
        let mut s = T::zero();
        for &x in xs {
            s = s + (x - m).exp();
        }
        m + s.ln()
    }

    #[test]
    fn log_sum_exp_generic() {
        for xs in [
            vec![1.0, 2.0, 3.0],
            vec![-100.0, 0.5, 0.25, 2.0],
            vec![700.0, 699.0],
        ] {
            let (v, g) = log_sum_exp_grad(&xs);
            assert!((v - log_sum_exp(&xs)).abs() < 1e-12);
            // Closed form: the gradient is softmax(x).
            let m = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = xs.iter().map(|x| (x - m).exp()).sum();
            for (k, x) in xs.iter().enumerate() {
                assert!((g.xs[k] - (x - m).exp() / z).abs() < 1e-12, "{:?}", g.xs);
            }
            let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
            let (v32, g32) = log_sum_exp_grad(&xs32);
            assert!((v32 as f64 - v).abs() < 1e-4 * (1.0 + v.abs()));
            assert!((g32.xs[0] as f64 - g.xs[0]).abs() < 1e-4);
        }
    }
}

mod rnn {
    use nalgebra::{DMatrix, DVector};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// An Elman RNN run over a sequence; squared error of the last hidden state.
    #[differentiate(wrt(w_h, w_x, b))]
    pub fn rnn_loss(
        w_h: &DMatrix<f64>,
        w_x: &DMatrix<f64>,
        b: &DVector<f64>,
        inputs: &[DVector<f64>],
        target: &DVector<f64>,
    ) -> f64 {
        let mut h = DVector::zeros(b.len());
        for x in inputs {
            h = (w_h * &h + w_x * x + b).map(f64::tanh);
        }
        (h - target).norm_squared()
    }

    #[test]
    fn rnn_cell_over_a_sequence() {
        let inputs = vec![
            DVector::from_vec(vec![1.0, 0.0]),
            DVector::from_vec(vec![0.5, -0.5]),
            DVector::from_vec(vec![-1.0, 0.25]),
        ];
        let target = DVector::from_vec(vec![0.1, -0.2, 0.3]);
        let unpack = |t: &[f64]| {
            (
                DMatrix::from_column_slice(3, 3, &t[0..9]),
                DMatrix::from_column_slice(3, 2, &t[9..15]),
                DVector::from_column_slice(&t[15..18]),
            )
        };
        for s in [0.3, -0.4, 0.6] {
            let theta: Vec<f64> = (0..18).map(|i| s * (i as f64 * 0.9).sin()).collect();
            let f = |t: &[f64]| {
                let (wh, wx, b) = unpack(t);
                rnn_loss(&wh, &wx, &b, &inputs, &target)
            };
            let (wh, wx, b) = unpack(&theta);
            let (v, g) = rnn_loss_grad(&wh, &wx, &b, &inputs, &target);
            assert!((v - f(&theta)).abs() < 1e-12);
            let analytic: Vec<f64> = g
                .w_h
                .iter()
                .chain(g.w_x.iter())
                .chain(g.b.iter())
                .copied()
                .collect();
            check_gradient(f, &theta, &analytic, Tolerance::default()).unwrap();
        }
    }
}

// Written as a user wrote it (an index loop over the gates).
#[allow(clippy::needless_range_loop)]
mod lstm_cell {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    #[differentiate]
    fn sigmoid(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    /// One LSTM step on flat row-major gate weights [i; f; o; g], loss = |h_new|².
    #[differentiate(wrt(w, b))]
    pub fn lstm_step_loss(w: &[f64], b: &[f64], x: &[f64], h: &[f64], c: &[f64]) -> f64 {
        let n = h.len();
        let inputs: Vec<f64> = x.iter().chain(h.iter()).copied().collect();
        let k = inputs.len();
        let pre = |g: usize, j: usize| -> f64 {
            let row = &w[(g * n + j) * k..(g * n + j + 1) * k];
            row.iter().zip(&inputs).map(|(wi, xi)| wi * xi).sum::<f64>() + b[g * n + j]
        };
        let mut loss = 0.0;
        for j in 0..n {
            let i = sigmoid(pre(0, j));
            let f = sigmoid(pre(1, j));
            let o = sigmoid(pre(2, j));
            let g = pre(3, j).tanh();
            let c_new = f * c[j] + i * g;
            let h_new = o * c_new.tanh();
            loss += h_new * h_new;
        }
        loss
    }

    #[test]
    fn lstm_step() {
        let x = [0.5, -0.3];
        let h = [0.1, 0.2];
        let c = [-0.4, 0.6];
        // 4 gates × 2 units × 4 inputs = 32 weights, 8 biases.
        for s in [0.5, -0.2, 1.0] {
            let theta: Vec<f64> = (0..40).map(|i| s * ((i as f64 * 0.37).sin())).collect();
            let f = |t: &[f64]| lstm_step_loss(&t[..32], &t[32..], &x, &h, &c);
            let (v, g) = lstm_step_loss_grad(&theta[..32], &theta[32..], &x, &h, &c);
            assert!((v - f(&theta)).abs() < 1e-12);
            let mut analytic = g.w.clone();
            analytic.extend(&g.b);
            check_gradient(f, &theta, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod soft_kmeans {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Soft k-means cost: Σ_points softmin_T over centroids of the squared distance.
    #[differentiate(wrt(centroids))]
    pub fn soft_kmeans_cost(centroids: &[[f64; 2]], points: &[[f64; 2]], temperature: f64) -> f64 {
        let mut cost = 0.0;
        for p in points {
            let d: Vec<f64> = centroids
                .iter()
                .map(|c| {
                    let dx = p[0] - c[0];
                    let dy = p[1] - c[1];
                    dx * dx + dy * dy
                })
                .collect();
            let m = d.iter().cloned().fold(f64::INFINITY, f64::min);
            let s: f64 = d.iter().map(|di| (-(di - m) / temperature).exp()).sum();
            cost += m - temperature * s.ln();
        }
        cost
    }

    #[test]
    fn soft_kmeans() {
        let points = [[0.0, 0.0], [1.0, 0.5], [3.0, 3.0], [2.5, 3.5], [-1.0, 0.2]];
        let t = 0.5;
        for c in [
            [0.1, 0.2, 2.0, 2.5, 5.0, -1.0],
            [1.0, 1.0, 3.0, 3.0, -1.0, 0.0],
            [0.5, 0.0, 0.7, 0.1, 2.0, 2.0],
        ] {
            let unpack = |v: &[f64]| vec![[v[0], v[1]], [v[2], v[3]], [v[4], v[5]]];
            let f = |v: &[f64]| soft_kmeans_cost(&unpack(v), &points, t);
            let (v, g) = soft_kmeans_cost_grad(&unpack(&c), &points, t);
            assert!((v - f(&c)).abs() < 1e-12);
            let analytic: Vec<f64> = g.centroids.iter().flatten().copied().collect();
            check_gradient(f, &c, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod softmax {
    use tapeless::differentiate;

    /// Numerically stable softmax.
    #[differentiate]
    pub fn softmax(x: &[f64]) -> Vec<f64> {
        let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = x.iter().map(|v| (v - m).exp()).collect();
        let z: f64 = e.iter().sum();
        e.iter().map(|v| v / z).collect()
    }

    #[test]
    fn softmax_vjp_matches_closed_form() {
        let seed = vec![0.3, -1.0, 2.0, 0.5];
        for x in [
            vec![1.0, 2.0, 3.0, 4.0],
            vec![-0.5, 0.0, 0.5, 10.0],
            vec![0.0; 4],
        ] {
            let (p, g) = softmax_vjp(&x, seed.clone());
            assert_eq!(p, softmax(&x));
            // Closed form: x̄ = p ⊙ (s − ⟨s, p⟩).
            let sp: f64 = seed.iter().zip(&p).map(|(s, p)| s * p).sum();
            for k in 0..4 {
                let expected = p[k] * (seed[k] - sp);
                assert!((g.x[k] - expected).abs() < 1e-12, "{:?}", g.x);
            }
        }
    }
}

mod mlp_slices {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// One hidden tanh layer on flat slices (row-major weights), squared error.
    #[differentiate(wrt(w1, b1, w2, b2))]
    pub fn mlp_loss(w1: &[f64], b1: &[f64], w2: &[f64], b2: f64, x: &[f64], target: f64) -> f64 {
        let hidden: Vec<f64> = w1
            .chunks(x.len())
            .zip(b1)
            .map(|(row, b)| {
                let z: f64 = row.iter().zip(x).map(|(w, xi)| w * xi).sum::<f64>() + b;
                z.tanh()
            })
            .collect();
        let out: f64 = hidden.iter().zip(w2).map(|(h, w)| h * w).sum::<f64>() + b2;
        0.5 * (out - target).powi(2)
    }

    #[test]
    fn mlp_on_slices() {
        let x = [0.5, -1.0, 2.0];
        let target = 0.7;
        for s in [0.1, -0.3, 0.45] {
            // 4 hidden units: w1 12, b1 4, w2 4, b2 1.
            let theta: Vec<f64> = (0..21)
                .map(|i| s * ((i as f64 * 1.3).sin() + 0.1 * i as f64))
                .collect();
            let f = |t: &[f64]| mlp_loss(&t[0..12], &t[12..16], &t[16..20], t[20], &x, target);
            let (v, g) = mlp_loss_grad(
                &theta[0..12],
                &theta[12..16],
                &theta[16..20],
                theta[20],
                &x,
                target,
            );
            assert!((v - f(&theta)).abs() < 1e-12);
            let mut analytic = g.w1.clone();
            analytic.extend(&g.b1);
            analytic.extend(&g.w2);
            analytic.push(g.b2);
            check_gradient(f, &theta, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod model_struct_methods {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::{differentiate, Differentiable};

    /// A linear model with its prediction and loss as methods.
    #[derive(Clone, Debug, Differentiable)]
    pub struct Linear {
        pub w: Vec<f64>,
        pub b: f64,
    }

    #[differentiate]
    impl Linear {
        #[differentiate]
        pub fn predict(&self, x: &[f64]) -> f64 {
            self.w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + self.b
        }

        #[differentiate(wrt(self))]
        pub fn loss(&self, xs: &[Vec<f64>], ys: &[f64]) -> f64 {
            let mut total = 0.0;
            for (x, y) in xs.iter().zip(ys) {
                let r = self.predict(x) - y;
                total += r * r;
            }
            total / ys.len() as f64
        }
    }

    #[test]
    fn model_struct_methods() {
        let xs = vec![vec![1.0, 2.0], vec![0.5, -1.0], vec![-2.0, 0.3]];
        let ys = [1.0, 0.2, -0.7];
        for t in [[0.1, 0.2, 0.3], [-1.0, 0.5, 0.0], [2.0, -0.3, 1.1]] {
            let model = |t: &[f64]| Linear {
                w: vec![t[0], t[1]],
                b: t[2],
            };
            let f = |t: &[f64]| model(t).loss(&xs, &ys);
            let (v, g) = model(&t).loss_grad(&xs, &ys);
            assert!((v - f(&t)).abs() < 1e-12);
            let analytic = [g.self_.w[0], g.self_.w[1], g.self_.b];
            check_gradient(f, &t, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod conv1d {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// A valid 1-D convolution with a ReLU, then the mean square of the feature map.
    #[differentiate(wrt(kernel, bias))]
    pub fn conv1d_energy(signal: &[f64], kernel: &[f64], bias: f64) -> f64 {
        let features: Vec<f64> = signal
            .windows(kernel.len())
            .map(|w| {
                let z = w.iter().zip(kernel).map(|(a, b)| a * b).sum::<f64>() + bias;
                z.max(0.0)
            })
            .collect();
        features.iter().map(|f| f * f).sum::<f64>() / features.len() as f64
    }

    #[test]
    fn conv1d() {
        let signal = [0.3, -1.0, 2.0, 0.5, -0.7, 1.1, 0.9, -0.2];
        // Points chosen so no pre-activation sits at the ReLU kink.
        for t in [
            [0.5, -0.2, 0.3, 0.1],
            [1.0, 0.4, -0.6, -0.05],
            [-0.3, 0.8, 0.2, 0.2],
        ] {
            let f = |t: &[f64]| conv1d_energy(&signal, &t[..3], t[3]);
            let (v, g) = conv1d_energy_grad(&signal, &t[..3], t[3]);
            assert!((v - f(&t)).abs() < 1e-12);
            let mut analytic = g.kernel.clone();
            analytic.push(g.bias);
            check_gradient(f, &t, &analytic, Tolerance::default()).unwrap();
        }
    }
}

mod signal_features {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Features of a two-channel signal: a stride-2 downsample, the peak over both channels,
    /// and the strong samples of the second channel weighted in the order they come.
    #[differentiate]
    pub fn features(signal: &[f64], extra: &[f64], w: &[f64]) -> f64 {
        let downsampled: f64 = signal.iter().step_by(2).map(|x| x.tanh()).sum();
        let peak = signal
            .iter()
            .chain(extra)
            .cloned()
            .fold(f64::NEG_INFINITY, f64::max);
        let mut ranked = 0.0;
        for (rank, v) in extra.iter().filter(|v| v.abs() > 0.1).enumerate() {
            ranked += v * w[rank % w.len()];
        }
        downsampled + peak * peak + ranked
    }

    #[test]
    fn signal_features() {
        let w = [0.5, -1.0, 2.0];
        for (s, e) in [
            ([0.3, -0.2, 0.8, 0.1, -0.5], [0.05, 0.9, -0.4, 0.2]),
            ([1.2, 0.4, -0.9, 0.6, 0.0], [0.7, -0.02, 0.3, 1.5]),
            ([-0.1, 0.2, -0.3, 0.4, -0.5], [-0.6, 0.15, 0.25, -0.35]),
        ] {
            let x: Vec<f64> = s.iter().chain(&e).chain(&w).copied().collect();
            let f = |x: &[f64]| features(&x[..5], &x[5..9], &x[9..]);
            let (v, g) = features_grad(&s, &e, &w);
            assert!((v - f(&x)).abs() < 1e-12);
            let analytic: Vec<f64> = g
                .signal
                .iter()
                .chain(&g.extra)
                .chain(&g.w)
                .copied()
                .collect();
            check_gradient(f, &x, &analytic, Tolerance::default()).unwrap();
        }
    }
}
