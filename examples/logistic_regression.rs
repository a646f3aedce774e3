//! Logistic regression on plain slices: tell a handwritten 3 from a handwritten 8.
//!
//! The model is p(8 | x) = σ(w·x + b) on the 64 pixels of an image, and its loss the mean
//! negative log-likelihood
//!
//! ```text
//! L(w, b) = −(1/N) Σᵢ [ yᵢ ln pᵢ + (1 − yᵢ) ln(1 − pᵢ) ],   pᵢ = σ(w·xᵢ + b),
//! ```
//!
//! written below as two loops over `&[f64]` and differentiated by `#[differentiate]`.
//! Full-batch gradient descent on the generated gradient fits it; the accuracy is measured
//! on images held out from training.
//!
//! Run with `cargo run --release --example logistic_regression`.

use std::error::Error;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::GzDecoder;
use tapeless::differentiate;

/// Pixels per image.
const PIXELS: usize = 64;

/// The mean negative log-likelihood of the labels `y` (1 for an 8, 0 for a 3) under the
/// model σ(w·x + b). `x` holds the images one after the other, `PIXELS` values each.
///
/// With z = w·x + b, −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = ln(1 + eᶻ) − y·z, and
/// ln(1 + eᶻ) = max(z, 0) + ln(1 + e^(−|z|)) is computed without overflow for any z.
#[differentiate(wrt(w, b))]
fn loss(w: &[f64], b: f64, x: &[f64], y: &[f64]) -> f64 {
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

/// The fraction of images classified right: an 8 where w·x + b > 0, that is σ > ½.
fn accuracy(w: &[f64], b: f64, x: &[f64], y: &[f64]) -> f64 {
    let right = x
        .chunks(PIXELS)
        .zip(y)
        .filter(|(image, &label)| {
            let z = b + w.iter().zip(*image).map(|(w, p)| w * p).sum::<f64>();
            (z > 0.0) == (label == 1.0)
        })
        .count();
    right as f64 / y.len() as f64
}

/// The images of 3s and 8s from `digits.csv.gz` (64 pixels in 0..=16, then the digit):
/// pixels scaled to [0, 1], label 1.0 for an 8 and 0.0 for a 3.
fn load_threes_and_eights(path: &Path) -> Result<(Vec<f64>, Vec<f64>), Box<dyn Error>> {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for line in BufReader::new(GzDecoder::new(File::open(path)?)).lines() {
        let values = line?
            .split(',')
            .map(|v| v.trim().parse::<u8>())
            .collect::<Result<Vec<_>, _>>()?;
        let digit = values[PIXELS];
        if digit == 3 || digit == 8 {
            x.extend(values[..PIXELS].iter().map(|&v| f64::from(v) / 16.0));
            y.push(if digit == 8 { 1.0 } else { 0.0 });
        }
    }
    Ok((x, y))
}

fn main() -> Result<(), Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits.csv.gz");
    let (x, y) = load_threes_and_eights(&path)?;

    // Every fifth image is held out for testing; the file's order is already mixed.
    let (mut train_x, mut train_y, mut test_x, mut test_y) = (vec![], vec![], vec![], vec![]);
    for (i, (image, &label)) in x.chunks(PIXELS).zip(&y).enumerate() {
        if i % 5 == 4 {
            test_x.extend_from_slice(image);
            test_y.push(label);
        } else {
            train_x.extend_from_slice(image);
            train_y.push(label);
        }
    }
    println!(
        "3 or 8? {} images to train on, {} held out to test",
        train_y.len(),
        test_y.len()
    );

    // Gradient descent from w = 0, b = 0, where every image gets p = ½ and L = ln 2.
    let mut w = vec![0.0; PIXELS];
    let mut b = 0.0;
    let learning_rate = 1.0;
    for step in 0..=300 {
        let (value, grad) = loss_grad(&w, b, &train_x, &train_y);
        if step % 30 == 0 {
            println!(
                "step {step:>3}  loss {value:.4} (test {:.4})  train accuracy {:5.1}%  test accuracy {:5.1}%",
                loss(&w, b, &test_x, &test_y),
                100.0 * accuracy(&w, b, &train_x, &train_y),
                100.0 * accuracy(&w, b, &test_x, &test_y),
            );
        }
        for (w, g) in w.iter_mut().zip(&grad.w) {
            *w -= learning_rate * g;
        }
        b -= learning_rate * grad.b;
    }

    // The weights as an 8×8 picture: where ink speaks for an 8 (+) or for a 3 (−).
    println!("\nweights, as the image they read (+ for an 8, - for a 3):");
    for row in w.chunks(8) {
        let line: String = row
            .iter()
            .map(|&v| match v {
                v if v > 0.5 => " +",
                v if v < -0.5 => " -",
                _ => " .",
            })
            .collect();
        println!("   {line}");
    }
    Ok(())
}
