//! Keeps the examples honest: the loss of each example in `examples/`, written the same
//! way (parameter structs and helpers included), has a generated gradient that matches
//! central differences and a closed form derived by hand, and the training loops built on
//! it make progress. Small sizes, so this runs in a moment in debug mode.
#![cfg(feature = "nalgebra")]
// The losses are written as the examples (and the lectures) write them: sums by index.
#![allow(clippy::needless_range_loop)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::GzDecoder;
use nalgebra::{DMatrix, DVector, RowDVector};
use tapeless::check::{central_difference, relative_error};
use tapeless::{differentiate, nn, Parameters};

/// Every coordinate agrees to `tolerance`, relative to max(1, |a|, |b|).
fn assert_close(what: &str, analytic: &[f64], expected: &[f64], tolerance: f64) {
    assert_eq!(analytic.len(), expected.len(), "{what}: lengths differ");
    for (i, (&a, &e)) in analytic.iter().zip(expected).enumerate() {
        let error = relative_error(a, e);
        assert!(
            error <= tolerance,
            "{what}, coordinate {i}: {a:e} vs {e:e} (relative error {error:e})"
        );
    }
}

/// The first `rows` images of the digits file: 64 × rows pixels in [0, 1], and the labels.
fn digits(rows: usize) -> (DMatrix<f64>, Vec<usize>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/digits.csv.gz");
    let reader = BufReader::new(GzDecoder::new(File::open(path).expect("the digits file")));
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for line in reader.lines().take(rows) {
        let values: Vec<u8> = line
            .expect("a line of text")
            .split(',')
            .map(|v| v.parse().expect("an integer"))
            .collect();
        assert_eq!(values.len(), 65);
        assert!(values[..64].iter().all(|&v| v <= 16) && values[64] <= 9);
        pixels.extend(values[..64].iter().map(|&v| f64::from(v) / 16.0));
        labels.push(usize::from(values[64]));
    }
    assert_eq!(labels.len(), rows);
    (DMatrix::from_vec(64, rows, pixels), labels)
}

/// Deterministic small values in [−scale, scale].
fn pseudo_random(rows: usize, cols: usize, seed: f64, scale: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |i, j| {
        scale * ((i * 31 + j * 17) as f64 * 0.61 + seed).sin()
    })
}

// ---- examples/mlp.rs ----

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Params {
    hidden: Layer,
    output: Layer,
}

#[differentiate]
fn layer(l: &Layer, x: &DMatrix<f64>) -> DMatrix<f64> {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    &l.w * x + &l.b * &ones
}

#[differentiate(wrt(p))]
fn mlp_loss(p: &Params, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let h = nn::sigmoid(&layer(&p.hidden, x));
    let logits = layer(&p.output, &h);
    nn::cross_entropy(&logits, labels)
}

impl Params {
    fn new(hidden: usize) -> Params {
        Params {
            hidden: Layer {
                w: pseudo_random(hidden, 64, 0.3, 0.125),
                b: pseudo_random(hidden, 1, 1.7, 0.1).column(0).into_owned(),
            },
            output: Layer {
                w: pseudo_random(10, hidden, 2.9, 0.5),
                b: pseudo_random(10, 1, 0.8, 0.1).column(0).into_owned(),
            },
        }
    }

    /// Every scalar in a fixed order, written out by hand (not through `Parameters`, which
    /// the checks below would then rest on).
    fn flatten(&self) -> Vec<f64> {
        let parts = [
            self.hidden.w.as_slice(),
            self.hidden.b.as_slice(),
            self.output.w.as_slice(),
            self.output.b.as_slice(),
        ];
        parts.concat()
    }

    /// The parameters shaped like `self` with the scalars `q`, in `flatten`'s order.
    fn unflatten(&self, q: &[f64]) -> Params {
        let mut p = self.clone();
        let mut rest = q;
        for part in [
            p.hidden.w.as_mut_slice(),
            p.hidden.b.as_mut_slice(),
            p.output.w.as_mut_slice(),
            p.output.b.as_mut_slice(),
        ] {
            let (head, tail) = rest.split_at(part.len());
            part.copy_from_slice(head);
            rest = tail;
        }
        assert!(rest.is_empty());
        p
    }
}

/// The loss and its gradient by hand, in plain nalgebra: the forward pass written out with
/// an explicit softmax, and backpropagation derived on paper.
///
/// Z₁ = W₁X + b₁1ᵀ, H = σ(Z₁), Z₂ = W₂H + b₂1ᵀ, L = (1/N) Σⱼ −log softmax(Z₂ⱼ)_ℓⱼ.
/// ∂L/∂Z₂ = (softmax(Z₂) − onehot(ℓ))/N, ∂L/∂W₂ = ∂Z₂·Hᵀ, ∂L/∂b₂ = ∂Z₂·1,
/// ∂L/∂H = W₂ᵀ·∂Z₂, ∂L/∂Z₁ = ∂H ∘ H ∘ (1 − H), ∂L/∂W₁ = ∂Z₁·Xᵀ, ∂L/∂b₁ = ∂Z₁·1.
fn mlp_by_hand(p: &Params, x: &DMatrix<f64>, labels: &[usize]) -> (f64, Params) {
    let n = x.ncols();
    let affine = |l: &Layer, input: &DMatrix<f64>| {
        let mut z = &l.w * input;
        for mut column in z.column_iter_mut() {
            column += &l.b;
        }
        z
    };
    let h = affine(&p.hidden, x).map(|z| 1.0 / (1.0 + (-z).exp()));
    let logits = affine(&p.output, &h);
    let mut loss = 0.0;
    let mut d_logits = DMatrix::zeros(10, n);
    for j in 0..n {
        let column = logits.column(j);
        let top = column.max();
        let total: f64 = column.iter().map(|z| (z - top).exp()).sum();
        loss += (top + total.ln() - column[labels[j]]) / n as f64;
        for i in 0..10 {
            let softmax = (column[i] - top).exp() / total;
            let onehot = if i == labels[j] { 1.0 } else { 0.0 };
            d_logits[(i, j)] = (softmax - onehot) / n as f64;
        }
    }
    let d_h = p.output.w.transpose() * &d_logits;
    let d_z1 = d_h.component_mul(&h.map(|h| h * (1.0 - h)));
    let grad = Params {
        hidden: Layer {
            w: &d_z1 * x.transpose(),
            b: d_z1.column_sum(),
        },
        output: Layer {
            w: &d_logits * h.transpose(),
            b: d_logits.column_sum(),
        },
    };
    (loss, grad)
}

#[test]
fn layer_vjp_has_the_closed_form() {
    // Y = W X + b 1ᵀ with seed S: W̄ = S Xᵀ, b̄ = S 1 (row sums), X̄ = Wᵀ S.
    let l = Layer {
        w: pseudo_random(3, 4, 0.2, 1.0),
        b: DVector::from_vec(vec![0.5, -1.0, 2.0]),
    };
    let x = pseudo_random(4, 5, 1.1, 1.0);
    let seed = pseudo_random(3, 5, 2.7, 1.0);
    let (value, grad) = layer_vjp(&l, &x, seed.clone());
    assert_eq!(value, layer(&l, &x));
    for i in 0..3 {
        for j in 0..5 {
            let direct = (0..4).map(|k| l.w[(i, k)] * x[(k, j)]).sum::<f64>() + l.b[i];
            assert!((value[(i, j)] - direct).abs() < 1e-12);
        }
    }
    assert_close(
        "layer W̄",
        grad.l.w.as_slice(),
        (&seed * x.transpose()).as_slice(),
        1e-12,
    );
    assert_close(
        "layer b̄",
        grad.l.b.as_slice(),
        seed.column_sum().as_slice(),
        1e-12,
    );
    assert_close(
        "layer X̄",
        grad.x.as_slice(),
        (l.w.transpose() * &seed).as_slice(),
        1e-12,
    );
}

#[test]
fn mlp_gradient_on_digits_matches_backpropagation_by_hand_and_central_differences() {
    let hidden = 6;
    let (x, labels) = digits(12);
    let p = Params::new(hidden);
    let (value, grad) = mlp_loss_grad(&p, &x, &labels);
    assert_eq!(value, mlp_loss(&p, &x, &labels));
    assert_eq!(grad.p.hidden.w.shape(), (hidden, 64));
    assert_eq!(grad.p.hidden.b.len(), hidden);
    assert_eq!(grad.p.output.w.shape(), (10, hidden));
    assert_eq!(grad.p.output.b.len(), 10);
    let analytic = grad.p.flatten();

    let (direct, by_hand) = mlp_by_hand(&p, &x, &labels);
    assert!(relative_error(value, direct) < 1e-12, "{value} vs {direct}");
    assert_close(
        "mlp_loss gradient (backpropagation by hand)",
        &analytic,
        &by_hand.flatten(),
        1e-10,
    );
    let numeric = central_difference(|q| mlp_loss(&p.unflatten(q), &x, &labels), &p.flatten());
    assert_close(
        "mlp_loss gradient (central differences)",
        &analytic,
        &numeric,
        1e-7,
    );
    // The checks mean something: every block of the gradient is far from zero.
    for block in [
        &grad.p.hidden.w,
        &grad.p.output.w,
        &DMatrix::from_column_slice(hidden, 1, grad.p.hidden.b.as_slice()),
        &DMatrix::from_column_slice(10, 1, grad.p.output.b.as_slice()),
    ] {
        assert!(
            block.amax() > 1e-3,
            "a block of the gradient is ~0: {block}"
        );
    }
}

#[test]
fn mlp_sgd_steps_on_the_generated_gradient_reduce_the_loss() {
    // The example's loop, smaller: minibatch SGD with params.add_scaled(-rate, &grad.p).
    let (x, labels) = digits(100);
    let mut p = Params::new(16);
    let initial = mlp_loss(&p, &x, &labels);
    for _epoch in 0..20 {
        for start in (0..100).step_by(10) {
            let batch = x.columns(start, 10).into_owned();
            let batch_labels = &labels[start..start + 10];
            let (loss, grad) = mlp_loss_grad(&p, &batch, batch_labels);
            assert_eq!(loss, mlp_loss(&p, &batch, batch_labels));
            let before = p.flatten();
            p.add_scaled(-0.5, &grad.p);
            // The step is the plain SGD update, scalar by scalar.
            let expected: Vec<f64> = before
                .iter()
                .zip(grad.p.flatten())
                .map(|(w, g)| w - 0.5 * g)
                .collect();
            assert_eq!(p.flatten(), expected);
        }
    }
    let last = mlp_loss(&p, &x, &labels);
    assert!(
        last < 0.6 * initial,
        "20 epochs took the loss only from {initial} to {last}"
    );
}

// ---- examples/logistic_regression.rs ----

const PIXELS: usize = 64;

#[differentiate(wrt(w, b))]
fn logistic_loss(w: &[f64], b: f64, x: &[f64], y: &[f64]) -> f64 {
    let n = y.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut z = b;
        for j in 0..PIXELS {
            z += w[j] * x[i * PIXELS + j];
        }
        let softplus = z.max(0.0) + (-z.abs()).exp().ln_1p();
        total += softplus - y[i] * z;
    }
    total / n as f64
}

#[test]
fn logistic_regression_gradient_has_the_closed_form() {
    // ∂L/∂w = (1/N) Σᵢ (σ(zᵢ) − yᵢ) xᵢ, ∂L/∂b = (1/N) Σᵢ (σ(zᵢ) − yᵢ).
    let (images, labels) = digits(20);
    let x = images.as_slice();
    let y: Vec<f64> = labels.iter().map(|&l| f64::from(l == 8)).collect();
    let w: Vec<f64> = pseudo_random(64, 1, 0.4, 0.3).as_slice().to_vec();
    let b = -0.2;
    let (value, grad) = logistic_loss_grad(&w, b, x, &y);
    assert_eq!(value, logistic_loss(&w, b, x, &y));

    let n = y.len() as f64;
    let mut dw = vec![0.0; PIXELS];
    let mut db = 0.0;
    let mut direct = 0.0;
    for i in 0..y.len() {
        let xi = &x[i * PIXELS..(i + 1) * PIXELS];
        let z = b + w.iter().zip(xi).map(|(w, x)| w * x).sum::<f64>();
        let p = 1.0 / (1.0 + (-z).exp());
        direct -= (y[i] * p.ln() + (1.0 - y[i]) * (1.0 - p).ln()) / n;
        for j in 0..PIXELS {
            dw[j] += (p - y[i]) * xi[j] / n;
        }
        db += (p - y[i]) / n;
    }
    assert!(relative_error(value, direct) < 1e-12, "{value} vs {direct}");
    assert_close("logistic ∂L/∂w", &grad.w, &dw, 1e-12);
    assert_close("logistic ∂L/∂b", &[grad.b], &[db], 1e-12);

    let mut point = w.clone();
    point.push(b);
    let numeric = central_difference(|p| logistic_loss(&p[..PIXELS], p[PIXELS], x, &y), &point);
    let mut analytic = grad.w.clone();
    analytic.push(grad.b);
    assert_close("logistic gradient", &analytic, &numeric, 1e-8);
}

// ---- examples/relu_neuron.rs ----

#[differentiate(wrt(w, b))]
fn relu_cost(w: &[f64], b: f64, x: &[[f64; 3]], y: &[f64]) -> f64 {
    let n = y.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut z = b;
        for j in 0..3 {
            z += w[j] * x[i][j];
        }
        let activation = z.max(0.0);
        total += (y[i] - activation) * (y[i] - activation);
    }
    total / n as f64
}

#[test]
fn relu_neuron_gradient_has_the_closed_form_and_descent_finds_the_neuron() {
    // ∂C/∂w = −(2/N) Σ_{zᵢ>0} (yᵢ − zᵢ) xᵢ, ∂C/∂b = −(2/N) Σ_{zᵢ>0} (yᵢ − zᵢ).
    let x: Vec<[f64; 3]> = (0..40)
        .map(|i| {
            let t = i as f64;
            [
                (t * 0.7).sin(),
                (t * 1.3 + 0.5).cos(),
                (t * 0.37 - 1.0).sin(),
            ]
        })
        .collect();
    let (true_w, true_b) = ([0.8, -0.5, 0.3], 0.2);
    let z =
        |w: &[f64], b: f64, xi: &[f64; 3]| b + w.iter().zip(xi).map(|(w, x)| w * x).sum::<f64>();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, xi)| z(&true_w, true_b, xi).max(0.0) + 0.01 * (i as f64 * 2.1).sin())
        .collect();

    let (w, b) = (vec![0.3, 0.1, -0.2], 0.08);
    let (value, grad) = relu_cost_grad(&w, b, &x, &y);
    assert_eq!(value, relu_cost(&w, b, &x, &y));
    let n = y.len() as f64;
    let (mut dw, mut db, mut active) = (vec![0.0; 3], 0.0, 0);
    for (xi, yi) in x.iter().zip(&y) {
        let zi = z(&w, b, xi);
        assert!(zi.abs() > 1e-2, "a sample sits near the kink");
        if zi > 0.0 {
            active += 1;
            for j in 0..3 {
                dw[j] -= 2.0 / n * (yi - zi) * xi[j];
            }
            db -= 2.0 / n * (yi - zi);
        }
    }
    assert!(active > 5 && active < x.len() - 5, "both sides of the kink");
    assert_close("relu ∂C/∂w", &grad.w, &dw, 1e-12);
    assert_close("relu ∂C/∂b", &[grad.b], &[db], 1e-12);
    // Every |zᵢ| exceeds the finite-difference steps, so central differences apply too.
    let numeric = central_difference(|p| relu_cost(&p[..3], p[3], &x, &y), &[w[0], w[1], w[2], b]);
    assert_close(
        "relu gradient",
        &[grad.w.as_slice(), &[grad.b]].concat(),
        &numeric,
        1e-8,
    );

    // The example's loop: gradient descent from (0.1, 0.1, 0.1, 0.5) recovers the neuron.
    let (mut w, mut b) = (vec![0.1; 3], 0.5);
    for _ in 0..300 {
        let (_, grad) = relu_cost_grad(&w, b, &x, &y);
        for (w, g) in w.iter_mut().zip(&grad.w) {
            *w -= 0.5 * g;
        }
        b -= 0.5 * grad.b;
    }
    for (fitted, truth) in w.iter().chain([&b]).zip(true_w.iter().chain([&true_b])) {
        assert!((fitted - truth).abs() < 0.02, "fitted {w:?}, {b}");
    }
}

// ---- examples/curve_fit.rs ----

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Oscillation {
    a: f64,
    b: f64,
    omega: f64,
    phi: f64,
}

impl Oscillation {
    fn to_array(&self) -> [f64; 4] {
        [self.a, self.b, self.omega, self.phi]
    }

    fn from_slice(q: &[f64]) -> Oscillation {
        Oscillation {
            a: q[0],
            b: q[1],
            omega: q[2],
            phi: q[3],
        }
    }
}

#[differentiate]
fn predict(model: &Oscillation, t: f64) -> f64 {
    model.a * (-model.b * t).exp() * (model.omega * t + model.phi).cos()
}

#[differentiate(wrt(model))]
fn curve_loss(model: &Oscillation, t: &[f64], y: &[f64]) -> f64 {
    let mut total = 0.0;
    for (&ti, &yi) in t.iter().zip(y.iter()) {
        let residual = predict(model, ti) - yi;
        total += residual * residual;
    }
    total / t.len() as f64
}

/// The example's Adam, generic over the parameter type, moments kept as values of it.
struct Adam<P> {
    learning_rate: f64,
    m: P,
    v: P,
    steps: i32,
}

impl<P: Parameters<f64> + Clone> Adam<P> {
    fn new(learning_rate: f64, like: &P) -> Adam<P> {
        let mut zeros = like.clone();
        zeros.map_scalars(&mut |s| *s = 0.0);
        Adam {
            learning_rate,
            m: zeros.clone(),
            v: zeros,
            steps: 0,
        }
    }

    fn step(&mut self, params: &mut P, grad: &P) {
        let (beta1, beta2, epsilon) = (0.9, 0.999, 1e-8);
        self.steps += 1;
        self.m
            .zip_scalars(grad, &mut |m, g| *m = beta1 * *m + (1.0 - beta1) * g);
        self.v
            .zip_scalars(grad, &mut |v, g| *v = beta2 * *v + (1.0 - beta2) * g * g);
        let m_correction = 1.0 - f64::powi(beta1, self.steps);
        let v_correction = 1.0 - f64::powi(beta2, self.steps);
        let learning_rate = self.learning_rate;
        let mut update = self.m.clone();
        update.zip_scalars(&self.v, &mut |u, v| {
            *u = -learning_rate * (*u / m_correction) / ((v / v_correction).sqrt() + epsilon);
        });
        params.add_scaled(1.0, &update);
    }
}

/// Samples of the damped oscillation with a = 2, b = 0.3, ω = 3, φ = 0.5, plus a small
/// deterministic wiggle standing in for noise.
fn oscillation_samples(n: usize, dt: f64) -> (Vec<f64>, Vec<f64>) {
    let t: Vec<f64> = (0..n).map(|i| i as f64 * dt).collect();
    let y = t
        .iter()
        .map(|&t| 2.0 * (-0.3 * t).exp() * (3.0 * t + 0.5).cos() + 0.05 * (t * 7.3).sin())
        .collect();
    (t, y)
}

#[test]
fn predict_gradient_has_the_closed_form() {
    // p = a e c with e = e^(−b t), c = cos(ω t + φ), s = sin(ω t + φ):
    // ∂p/∂a = e c, ∂p/∂b = −a t e c, ∂p/∂ω = −a t e s, ∂p/∂φ = −a e s, ∂p/∂t = −b p − a ω e s.
    let model = Oscillation {
        a: 1.3,
        b: 0.4,
        omega: 2.2,
        phi: -0.3,
    };
    let t = 1.7;
    let (value, grad) = predict_grad(&model, t);
    assert_eq!(value, predict(&model, t));
    let (a, b, omega, phi) = (model.a, model.b, model.omega, model.phi);
    let (e, c, s) = (
        (-b * t).exp(),
        (omega * t + phi).cos(),
        (omega * t + phi).sin(),
    );
    assert_close(
        "predict gradient",
        &[
            grad.model.a,
            grad.model.b,
            grad.model.omega,
            grad.model.phi,
            grad.t,
        ],
        &[
            e * c,
            -a * t * e * c,
            -a * t * e * s,
            -a * e * s,
            -b * a * e * c - a * omega * e * s,
        ],
        1e-12,
    );
}

#[test]
fn curve_fit_gradient_has_the_closed_form() {
    // With rᵢ = a·e^(−b tᵢ)·cos(ω tᵢ + φ) − yᵢ, eᵢ = e^(−b tᵢ), cᵢ = cos(ω tᵢ + φ) and
    // sᵢ = sin(ω tᵢ + φ):
    // ∂L/∂a = (2/N) Σ rᵢ eᵢ cᵢ,          ∂L/∂b = −(2/N) Σ rᵢ a tᵢ eᵢ cᵢ,
    // ∂L/∂ω = −(2/N) Σ rᵢ a tᵢ eᵢ sᵢ,    ∂L/∂φ = −(2/N) Σ rᵢ a eᵢ sᵢ.
    let (t, y) = oscillation_samples(50, 0.2);
    let model = Oscillation {
        a: 1.0,
        b: 0.1,
        omega: 2.8,
        phi: 0.0,
    };
    let (value, grad) = curve_loss_grad(&model, &t, &y);
    assert_eq!(value, curve_loss(&model, &t, &y));

    let (a, b, omega, phi) = (model.a, model.b, model.omega, model.phi);
    let n = t.len() as f64;
    let mut direct = 0.0;
    let mut expected = [0.0; 4];
    for (&ti, &yi) in t.iter().zip(&y) {
        let (e, c, s) = (
            (-b * ti).exp(),
            (omega * ti + phi).cos(),
            (omega * ti + phi).sin(),
        );
        let r = a * e * c - yi;
        direct += r * r / n;
        expected[0] += 2.0 / n * r * e * c;
        expected[1] -= 2.0 / n * r * a * ti * e * c;
        expected[2] -= 2.0 / n * r * a * ti * e * s;
        expected[3] -= 2.0 / n * r * a * e * s;
    }
    assert!(relative_error(value, direct) < 1e-12, "{value} vs {direct}");
    let analytic = grad.model.to_array();
    assert_close(
        "curve_fit gradient (closed form)",
        &analytic,
        &expected,
        1e-12,
    );
    let numeric = central_difference(
        |q| curve_loss(&Oscillation::from_slice(q), &t, &y),
        &model.to_array(),
    );
    assert_close(
        "curve_fit gradient (central differences)",
        &analytic,
        &numeric,
        1e-8,
    );
}

#[test]
fn generic_adam_on_the_generated_gradient_recovers_the_oscillation() {
    // The example's loop on fewer samples: from the example's initial guess, 300 Adam steps
    // land near the parameters the samples were drawn from.
    let (t, y) = oscillation_samples(100, 0.1);
    let mut model = Oscillation {
        a: 1.0,
        b: 0.1,
        omega: 2.8,
        phi: 0.0,
    };
    let initial = curve_loss(&model, &t, &y);
    let mut adam = Adam::new(0.02, &model);
    for _ in 0..300 {
        let (_, grad) = curve_loss_grad(&model, &t, &y);
        adam.step(&mut model, &grad.model);
    }
    let last = curve_loss(&model, &t, &y);
    assert!(last < 0.05 * initial, "loss from {initial} to {last}");
    for (fitted, truth) in model.to_array().iter().zip([2.0, 0.3, 3.0, 0.5]) {
        assert!((fitted - truth).abs() < 0.05, "fitted {model:?}");
    }
}
