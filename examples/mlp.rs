//! A two-layer perceptron that learns to read handwritten digits, trained by minibatch
//! stochastic gradient descent with the gradient that `#[differentiate]` generates.
//!
//! The data are the 1,797 8×8 images of the UCI "Optical Recognition of Handwritten
//! Digits" set (`examples/data/`, CC BY 4.0). The network is
//!
//! ```text
//! 64 pixels ──hidden layer──▶ 64 units, sigmoid ──output layer──▶ 10 logits ──▶ softmax
//! ```
//!
//! and its loss is the mean cross-entropy of a batch. The weights live in ordinary structs
//! (`Params` of two `Layer`s); `#[derive(tapeless::Differentiable)]` makes the gradient a
//! value of the same struct, so one gradient-descent step is
//! `params.add_scaled(-LEARNING_RATE, &grad.p)`. `layer` and `mlp_loss` are the only place
//! the network's mathematics is written down: there is no hand-written backpropagation.
//!
//! Run with `cargo run --release --example mlp`. It prints the loss and the train and test
//! accuracy after each epoch, and draws the training curve into `target/mlp_training.svg`.

use std::error::Error;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

use flate2::read::GzDecoder;
use nalgebra::{DMatrix, DVector, RowDVector};
use tapeless::{differentiate, nn, Parameters};

/// Size of the hidden layer.
const HIDDEN: usize = 64;
/// Passes over the training set.
const EPOCHS: usize = 30;
/// Samples per gradient step.
const BATCH: usize = 16;
/// Step size of gradient descent.
const LEARNING_RATE: f64 = 0.5;
/// Fraction of the images held out to measure accuracy on images never trained on.
const TEST_FRACTION: f64 = 0.2;
/// Seed of the random number generator: the split, the initial weights and the order of
/// the minibatches, so every run prints the same numbers.
const SEED: u64 = 2024;

/// One fully connected layer: `w · x + b` for each column `x` of the input.
#[derive(tapeless::Differentiable, Clone)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

/// The weights and biases of the network. Its gradient has the same type.
#[derive(tapeless::Differentiable, Clone)]
struct Params {
    hidden: Layer,
    output: Layer,
}

/// The affine map of a layer on a batch: column j of `x` is one input. The activation, if
/// any, is the caller's.
#[differentiate]
fn layer(l: &Layer, x: &DMatrix<f64>) -> DMatrix<f64> {
    // `b * ones` repeats the bias vector across the batch's columns.
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    &l.w * x + &l.b * &ones
}

/// The mean cross-entropy of the network on a batch: column j of `x` is one image (64
/// pixels in [0, 1]) and `labels[j]` its digit.
///
/// `wrt(p)` asks for the gradient with respect to the weights only: the images and labels
/// are data.
#[differentiate(wrt(p))]
fn mlp_loss(p: &Params, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let h = nn::sigmoid(&layer(&p.hidden, x));
    let logits = layer(&p.output, &h);
    nn::cross_entropy(&logits, labels)
}

impl Layer {
    /// Small random weights, uniform in ±1/√inputs, and zero biases.
    fn new(inputs: usize, outputs: usize, rng: &mut Rng) -> Layer {
        let scale = 1.0 / (inputs as f64).sqrt();
        Layer {
            w: DMatrix::from_fn(outputs, inputs, |_, _| scale * (2.0 * rng.uniform() - 1.0)),
            b: DVector::zeros(outputs),
        }
    }
}

impl Params {
    fn new(inputs: usize, hidden: usize, classes: usize, rng: &mut Rng) -> Params {
        Params {
            hidden: Layer::new(inputs, hidden, rng),
            output: Layer::new(hidden, classes, rng),
        }
    }

    /// The predicted digit of each column of `x`: the largest logit (softmax is monotone).
    /// The same functions as in training, called as ordinary Rust.
    fn predict(&self, x: &DMatrix<f64>) -> Vec<usize> {
        let h = nn::sigmoid(&layer(&self.hidden, x));
        let logits = layer(&self.output, &h);
        logits.column_iter().map(|z| z.argmax().0).collect()
    }

    /// The fraction of `x`'s images whose digit is predicted right.
    fn accuracy(&self, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
        let predicted = self.predict(x);
        let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
        right as f64 / labels.len() as f64
    }
}

/// Images as the columns of a 64 × n matrix, pixels scaled to [0, 1], and their digits.
struct Digits {
    x: DMatrix<f64>,
    labels: Vec<usize>,
}

impl Digits {
    /// Reads `digits.csv.gz`: one image a line, 64 pixel values in 0..=16 then the label.
    fn load(path: &Path) -> Result<Digits, Box<dyn Error>> {
        let reader = BufReader::new(GzDecoder::new(File::open(path)?));
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for line in reader.lines() {
            let values = line?
                .split(',')
                .map(|v| v.trim().parse::<u8>())
                .collect::<Result<Vec<_>, _>>()?;
            if values.len() != 65 {
                return Err(format!("expected 65 values a line, found {}", values.len()).into());
            }
            pixels.extend(values[..64].iter().map(|&v| f64::from(v) / 16.0));
            labels.push(usize::from(values[64]));
        }
        // The pixels of each image are contiguous: they fill the matrix column by column.
        let x = DMatrix::from_vec(64, labels.len(), pixels);
        Ok(Digits { x, labels })
    }

    /// The images at `indices`, in that order.
    fn select(&self, indices: &[usize]) -> Digits {
        Digits {
            x: self.x.select_columns(indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    fn len(&self) -> usize {
        self.labels.len()
    }
}

/// A small deterministic random number generator (SplitMix64): the same seed gives the
/// same sequence on every machine, which is all an example needs.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniformly random permutation of `items` (Fisher–Yates).
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// What is measured after each epoch, for the printout and the plot.
struct EpochStats {
    epoch: usize,
    train_loss: f64,
    train_accuracy: f64,
    test_accuracy: f64,
}

fn main() -> Result<(), Box<dyn Error>> {
    let data_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits.csv.gz");
    let digits = Digits::load(&data_path)?;

    // A fixed random 80/20 split into training and test images.
    let mut rng = Rng(SEED);
    let mut order: Vec<usize> = (0..digits.len()).collect();
    rng.shuffle(&mut order);
    let test_len = (digits.len() as f64 * TEST_FRACTION).round() as usize;
    let test = digits.select(&order[..test_len]);
    let train = digits.select(&order[test_len..]);
    println!(
        "{} images of handwritten digits: {} to train on, {} held out to test",
        digits.len(),
        train.len(),
        test.len()
    );
    println!(
        "network 64 -> {HIDDEN} (sigmoid) -> 10 (softmax), minibatches of {BATCH}, \
         learning rate {LEARNING_RATE}, {EPOCHS} epochs\n"
    );

    let mut params = Params::new(64, HIDDEN, 10, &mut rng);
    let measure = |params: &Params, epoch: usize| EpochStats {
        epoch,
        train_loss: mlp_loss(params, &train.x, &train.labels),
        train_accuracy: params.accuracy(&train.x, &train.labels),
        test_accuracy: params.accuracy(&test.x, &test.labels),
    };
    let print = |stats: &EpochStats, seconds: f64| {
        println!(
            "epoch {:>2}/{EPOCHS}  loss {:.4}  train accuracy {:5.1}%  test accuracy {:5.1}%  [{seconds:.2} s]",
            stats.epoch,
            stats.train_loss,
            100.0 * stats.train_accuracy,
            100.0 * stats.test_accuracy,
        );
    };

    let start = Instant::now();
    let mut history = vec![measure(&params, 0)];
    print(&history[0], 0.0);
    let mut samples: Vec<usize> = (0..train.len()).collect();
    for epoch in 1..=EPOCHS {
        // A new random order of the training images each epoch, cut into minibatches.
        rng.shuffle(&mut samples);
        for batch in samples.chunks(BATCH) {
            let batch = train.select(batch);
            // The loss comes with the gradient; only the gradient is needed here. Every
            // weight and bias moves against its gradient.
            let (_loss, grad) = mlp_loss_grad(&params, &batch.x, &batch.labels);
            params.add_scaled(-LEARNING_RATE, &grad.p);
        }
        history.push(measure(&params, epoch));
        print(&history[epoch], start.elapsed().as_secs_f64());
    }
    let seconds = start.elapsed().as_secs_f64();

    let last = history.last().expect("at least the initial measurement");
    println!(
        "\ntrained in {seconds:.2} s: test accuracy {:.1}% on {} images never seen in training",
        100.0 * last.test_accuracy,
        test.len()
    );

    let plot_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the examples package sits in the repository")
        .join("target/mlp_training.svg");
    fs::create_dir_all(plot_path.parent().expect("the path has a directory"))?;
    fs::write(&plot_path, training_curve_svg(&history))?;
    println!("training curve written to {}", plot_path.display());
    Ok(())
}

/// The training curve as an SVG document, drawn by hand: the loss (left axis) and the
/// train and test accuracy (right axis) against the epoch.
fn training_curve_svg(history: &[EpochStats]) -> String {
    // The plot area inside a 720 × 440 picture, in pixels.
    let (width, height) = (720.0, 440.0);
    let (left, right, top, bottom) = (70.0, 650.0, 50.0, 380.0);
    let last_epoch = history.last().map_or(1, |s| s.epoch).max(1) as f64;
    let max_loss = history.iter().map(|s| s.train_loss).fold(0.0, f64::max);
    let max_loss = nice_ceiling(max_loss);

    // Data coordinates to picture coordinates (y grows downwards in SVG).
    let px = |epoch: f64| left + (right - left) * epoch / last_epoch;
    let py_loss = |loss: f64| bottom - (bottom - top) * loss / max_loss;
    let py_accuracy = |accuracy: f64| bottom - (bottom - top) * accuracy;

    let (loss_color, test_color, train_color) = ("#1f77b4", "#d62728", "#ff7f0e");
    let mut svg = String::new();
    let mut w = |element: String| {
        svg.push_str(&element);
        svg.push('\n');
    };
    w(format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">"#
    ));
    w(format!(
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    ));
    w(format!(
        r#"<text x="{}" y="28" text-anchor="middle" font-size="16">Training a 64-{HIDDEN}-10 perceptron on handwritten digits</text>"#,
        width / 2.0
    ));

    // Horizontal grid lines with their labels on both axes: five steps of each scale.
    for k in 0..=5 {
        let fraction = k as f64 / 5.0;
        let y = bottom - (bottom - top) * fraction;
        w(format!(
            r##"<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="#e0e0e0"/>"##
        ));
        w(format!(
            r#"<text x="{}" y="{}" text-anchor="end" fill="{loss_color}">{}</text>"#,
            left - 8.0,
            y + 4.0,
            trim_number(max_loss * fraction)
        ));
        w(format!(
            r#"<text x="{}" y="{}" text-anchor="start">{}%</text>"#,
            right + 8.0,
            y + 4.0,
            100 * k / 5
        ));
    }
    // Ticks on the epoch axis, about ten of them.
    let step = ((last_epoch / 10.0).ceil() as usize).max(1);
    for epoch in (0..=last_epoch as usize).step_by(step) {
        let x = px(epoch as f64);
        w(format!(
            r#"<line x1="{x}" y1="{bottom}" x2="{x}" y2="{}" stroke="black"/>"#,
            bottom + 5.0
        ));
        w(format!(
            r#"<text x="{x}" y="{}" text-anchor="middle">{epoch}</text>"#,
            bottom + 20.0
        ));
    }
    // The frame: the epoch axis below, the loss axis left, the accuracy axis right.
    w(format!(
        r#"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="black"/>"#,
        right - left,
        bottom - top
    ));
    w(format!(
        r#"<text x="{}" y="{}" text-anchor="middle">epoch</text>"#,
        (left + right) / 2.0,
        bottom + 42.0
    ));
    w(format!(
        r#"<text transform="translate(22 {}) rotate(-90)" text-anchor="middle" fill="{loss_color}">training loss (cross-entropy)</text>"#,
        (top + bottom) / 2.0
    ));
    w(format!(
        r#"<text transform="translate({} {}) rotate(90)" text-anchor="middle">accuracy</text>"#,
        width - 22.0,
        (top + bottom) / 2.0
    ));

    // The three curves, as polylines with a dot at each epoch.
    let mut curve = |points: Vec<(f64, f64)>, color: &str, dashed: bool| {
        let coordinates: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let dash = if dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        w(format!(
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"{dash}/>"#,
            coordinates.join(" ")
        ));
        for (x, y) in &points {
            w(format!(
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="{color}"/>"#
            ));
        }
    };
    let epochs = history.iter().map(|s| px(s.epoch as f64));
    curve(
        epochs
            .clone()
            .zip(history.iter().map(|s| py_loss(s.train_loss)))
            .collect(),
        loss_color,
        false,
    );
    curve(
        epochs
            .clone()
            .zip(history.iter().map(|s| py_accuracy(s.train_accuracy)))
            .collect(),
        train_color,
        true,
    );
    curve(
        epochs
            .zip(history.iter().map(|s| py_accuracy(s.test_accuracy)))
            .collect(),
        test_color,
        false,
    );

    // The legend, in the middle right of the plot, where the curves have flattened out.
    let entries = [
        (loss_color, false, "training loss (left axis)"),
        (train_color, true, "train accuracy (right axis)"),
        (test_color, false, "test accuracy (right axis)"),
    ];
    let (lx, ly) = (right - 230.0, (top + bottom) / 2.0 - 10.0);
    w(format!(
        r##"<rect x="{lx}" y="{ly}" width="220" height="{}" fill="white" stroke="#999"/>"##,
        12.0 + 20.0 * entries.len() as f64
    ));
    for (i, (color, dashed, label)) in entries.iter().enumerate() {
        let y = ly + 18.0 + 20.0 * i as f64;
        let dash = if *dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        w(format!(
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{color}" stroke-width="2"{dash}/>"#,
            lx + 10.0,
            lx + 40.0
        ));
        w(format!(
            r#"<text x="{}" y="{}">{label}</text>"#,
            lx + 48.0,
            y + 4.0
        ));
    }
    w("</svg>".to_string());
    svg
}

/// The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least `x`: a round top
/// for an axis.
fn nice_ceiling(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|&top| top >= x)
        .unwrap_or(10.0 * power)
}

/// A tick label without trailing zeros: 0.5, 1, 1.5, 2.5.
fn trim_number(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
