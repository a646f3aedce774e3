//! Keeps the examples honest: the loss of each example in `examples/`, written the same
//! way, has a generated gradient that matches central differences and a closed form derived
//! by hand, and the training loops built on it make progress. Small sizes, so this runs in
//! a moment in debug mode.
#![cfg(feature = "nalgebra")]
// The losses are written as the examples (and the lectures) write them: sums by index.
#![allow(clippy::needless_range_loop)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::GzDecoder;
use nalgebra::{DMatrix, DVector, RowDVector};
use tapeless::check::{central_difference, relative_error};
use tapeless::{differentiate, nn};

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

#[differentiate(wrt(w1, b1, w2, b2))]
fn mlp_loss(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    x: &DMatrix<f64>,
    labels: &[usize],
) -> f64 {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let h = nn::sigmoid(&(w1 * x + b1 * &ones));
    let logits = w2 * h + b2 * &ones;
    nn::cross_entropy(&logits, labels)
}

struct Mlp {
    w1: DMatrix<f64>,
    b1: DVector<f64>,
    w2: DMatrix<f64>,
    b2: DVector<f64>,
}

impl Mlp {
    fn new(hidden: usize) -> Mlp {
        Mlp {
            w1: pseudo_random(hidden, 64, 0.3, 0.125),
            b1: pseudo_random(hidden, 1, 1.7, 0.1).column(0).into_owned(),
            w2: pseudo_random(10, hidden, 2.9, 0.5),
            b2: pseudo_random(10, 1, 0.8, 0.1).column(0).into_owned(),
        }
    }

    fn loss_at(parameters: &[f64], hidden: usize, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
        let (w1, rest) = parameters.split_at(hidden * 64);
        let (b1, rest) = rest.split_at(hidden);
        let (w2, b2) = rest.split_at(10 * hidden);
        mlp_loss(
            &DMatrix::from_column_slice(hidden, 64, w1),
            &DVector::from_column_slice(b1),
            &DMatrix::from_column_slice(10, hidden, w2),
            &DVector::from_column_slice(b2),
            x,
            labels,
        )
    }

    fn flatten(&self) -> Vec<f64> {
        let parts = [
            self.w1.as_slice(),
            self.b1.as_slice(),
            self.w2.as_slice(),
            self.b2.as_slice(),
        ];
        parts.concat()
    }
}

#[test]
fn mlp_gradient_on_digits_matches_central_differences() {
    let hidden = 6;
    let (x, labels) = digits(12);
    let mlp = Mlp::new(hidden);
    let (value, grad) = mlp_loss_grad(&mlp.w1, &mlp.b1, &mlp.w2, &mlp.b2, &x, &labels);
    assert_eq!(
        value,
        mlp_loss(&mlp.w1, &mlp.b1, &mlp.w2, &mlp.b2, &x, &labels)
    );
    assert_eq!(grad.w1.shape(), (hidden, 64));
    assert_eq!(grad.w2.shape(), (10, hidden));
    let analytic = [
        grad.w1.as_slice(),
        grad.b1.as_slice(),
        grad.w2.as_slice(),
        grad.b2.as_slice(),
    ]
    .concat();
    let numeric = central_difference(|p| Mlp::loss_at(p, hidden, &x, &labels), &mlp.flatten());
    assert_close("mlp_loss gradient", &analytic, &numeric, 1e-7);
    // The check means something: the gradient is far from zero.
    assert!(analytic.iter().map(|g| g.abs()).fold(0.0, f64::max) > 1e-2);
}

#[test]
fn mlp_sgd_steps_on_the_generated_gradient_reduce_the_loss() {
    // The example's loop, smaller: minibatch SGD on the generated gradient.
    let (x, labels) = digits(100);
    let mut mlp = Mlp::new(16);
    let initial = mlp_loss(&mlp.w1, &mlp.b1, &mlp.w2, &mlp.b2, &x, &labels);
    for _epoch in 0..20 {
        for start in (0..100).step_by(10) {
            let batch = x.columns(start, 10).into_owned();
            let batch_labels = &labels[start..start + 10];
            let (loss, grad) =
                mlp_loss_grad(&mlp.w1, &mlp.b1, &mlp.w2, &mlp.b2, &batch, batch_labels);
            assert_eq!(
                loss,
                mlp_loss(&mlp.w1, &mlp.b1, &mlp.w2, &mlp.b2, &batch, batch_labels)
            );
            mlp.w1 -= 0.5 * grad.w1;
            mlp.b1 -= 0.5 * grad.b1;
            mlp.w2 -= 0.5 * grad.w2;
            mlp.b2 -= 0.5 * grad.b2;
        }
    }
    let last = mlp_loss(&mlp.w1, &mlp.b1, &mlp.w2, &mlp.b2, &x, &labels);
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

#[differentiate(wrt(a, b, omega, phi))]
fn curve_loss(a: f64, b: f64, omega: f64, phi: f64, t: &[f64], y: &[f64]) -> f64 {
    let mut total = 0.0;
    for (&ti, &yi) in t.iter().zip(y.iter()) {
        let residual = a * (-b * ti).exp() * (omega * ti + phi).cos() - yi;
        total += residual * residual;
    }
    total / t.len() as f64
}

#[test]
fn curve_fit_gradient_has_the_closed_form() {
    // With rᵢ = a·e^(−b tᵢ)·cos(ω tᵢ + φ) − yᵢ, eᵢ = e^(−b tᵢ), cᵢ = cos(ω tᵢ + φ) and
    // sᵢ = sin(ω tᵢ + φ):
    // ∂L/∂a = (2/N) Σ rᵢ eᵢ cᵢ,          ∂L/∂b = −(2/N) Σ rᵢ a tᵢ eᵢ cᵢ,
    // ∂L/∂ω = −(2/N) Σ rᵢ a tᵢ eᵢ sᵢ,    ∂L/∂φ = −(2/N) Σ rᵢ a eᵢ sᵢ.
    let t: Vec<f64> = (0..50).map(|i| i as f64 * 0.2).collect();
    let y: Vec<f64> = t
        .iter()
        .map(|&t| 2.0 * (-0.3 * t).exp() * (3.0 * t + 0.5).cos() + 0.05 * (t * 7.3).sin())
        .collect();
    let (a, b, omega, phi) = (1.0, 0.1, 2.8, 0.0);
    let (value, grad) = curve_loss_grad(a, b, omega, phi, &t, &y);
    assert_eq!(value, curve_loss(a, b, omega, phi, &t, &y));

    let n = t.len() as f64;
    let mut expected = [0.0; 4];
    for (&ti, &yi) in t.iter().zip(&y) {
        let (e, c, s) = (
            (-b * ti).exp(),
            (omega * ti + phi).cos(),
            (omega * ti + phi).sin(),
        );
        let r = a * e * c - yi;
        expected[0] += 2.0 / n * r * e * c;
        expected[1] -= 2.0 / n * r * a * ti * e * c;
        expected[2] -= 2.0 / n * r * a * ti * e * s;
        expected[3] -= 2.0 / n * r * a * e * s;
    }
    let analytic = [grad.a, grad.b, grad.omega, grad.phi];
    assert_close(
        "curve_fit gradient (closed form)",
        &analytic,
        &expected,
        1e-12,
    );
    let numeric = central_difference(
        |p| curve_loss(p[0], p[1], p[2], p[3], &t, &y),
        &[a, b, omega, phi],
    );
    assert_close(
        "curve_fit gradient (central differences)",
        &analytic,
        &numeric,
        1e-8,
    );
}
