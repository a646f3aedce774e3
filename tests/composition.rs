//! Calls between differentiated functions: the caller's reverse sweep calls the callee's
//! `_vjp`, so every gradient here must equal the gradient of the same function written
//! inline (closed forms, and central differences for the larger ones).
#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, RowDVector};
use tapeless::check::central_difference;
use tapeless::differentiate;

fn assert_close(analytic: &[f64], numeric: &[f64]) {
    assert_eq!(analytic.len(), numeric.len());
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        let scale = 1f64.max(a.abs()).max(n.abs());
        assert!(
            (a - n).abs() <= 1e-7 * scale,
            "coordinate {i}: {a} vs {n}\n{analytic:?}\n{numeric:?}"
        );
    }
}

#[differentiate]
fn square(x: f64) -> f64 {
    x * x
}

#[differentiate]
fn scaled_sum(x: f64, y: f64, k: i32) -> f64 {
    // A helper called twice, with shared and distinct arguments: contributions add up.
    square(x) * f64::from(k) + square(x * y) + y
}

#[test]
fn a_helper_called_twice_accumulates() {
    let (x, y) = (1.3, -0.7);
    let (value, grad) = scaled_sum_grad(x, y, 3);
    assert_eq!(value, scaled_sum(x, y, 3));
    // f = 3x² + x²y² + y: ∂x = 6x + 2xy², ∂y = 2x²y + 1.
    assert!((grad.x - (6.0 * x + 2.0 * x * y * y)).abs() < 1e-12);
    assert!((grad.y - (2.0 * x * x * y + 1.0)).abs() < 1e-12);
}

mod model {
    use tapeless::differentiate;

    #[differentiate]
    pub fn softplus_like(z: f64, data: &[f64]) -> f64 {
        (1.0 + z.exp()).ln() * data.len() as f64
    }

    pub mod nested {
        use tapeless::differentiate;

        #[differentiate]
        pub fn cube(x: f64) -> f64 {
            x * x * x
        }

        #[differentiate]
        pub fn via_super(x: f64) -> f64 {
            super::softplus_like(x, &[1.0, 2.0]) + self::cube(x)
        }
    }
}

#[differentiate]
fn through_paths(x: f64) -> f64 {
    crate::model::nested::via_super(x) * model::nested::cube(x)
}

#[test]
fn calls_through_module_paths() {
    let x = 0.4;
    let (value, grad) = through_paths_grad(x);
    assert_eq!(value, through_paths(x));
    let sp = 2.0 * (1.0 + x.exp()).ln();
    let d_sp = 2.0 * x.exp() / (1.0 + x.exp());
    // f = (sp + x³)·x³.
    let expected = (d_sp + 3.0 * x * x) * x.powi(3) + (sp + x.powi(3)) * 3.0 * x * x;
    assert!(
        (grad.x - expected).abs() < 1e-12,
        "{} vs {expected}",
        grad.x
    );
}

#[differentiate]
fn in_a_loop(xs: &[f64], c: f64) -> f64 {
    let mut total = 0.0;
    for x in xs {
        let v = square(*x - c);
        if v > 1.0 {
            total += square(v);
        } else {
            total += v;
        }
    }
    total
}

#[test]
fn calls_in_loops_and_branches() {
    let xs = [0.3, 2.5, -1.0, 0.9, 4.0];
    let c = 0.5;
    let (value, grad) = in_a_loop_grad(&xs, c);
    assert_eq!(value, in_a_loop(&xs, c));
    let mut p = xs.to_vec();
    p.push(c);
    let numeric = central_difference(|q: &[f64]| in_a_loop(&q[..5], q[5]), &p);
    let mut analytic = grad.xs.clone();
    analytic.push(grad.c);
    assert_close(&analytic, &numeric);
}

// ---- matrices: a layer helper that returns a matrix ----

#[differentiate]
fn layer(w: &DMatrix<f64>, b: &DVector<f64>, x: &DMatrix<f64>) -> DMatrix<f64> {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    tapeless::nn::sigmoid(&(w * x + b * &ones))
}

#[differentiate(wrt(w1, b1, w2, b2))]
fn two_layers(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    x: &DMatrix<f64>,
    labels: &[usize],
) -> f64 {
    let h = layer(w1, b1, x);
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let logits = w2 * h + b2 * &ones;
    tapeless::nn::cross_entropy(&logits, labels)
}

#[differentiate(wrt(w1, b1, w2, b2))]
fn two_layers_inline(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    x: &DMatrix<f64>,
    labels: &[usize],
) -> f64 {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let h = tapeless::nn::sigmoid(&(w1 * x + b1 * &ones));
    let logits = w2 * h + b2 * &ones;
    tapeless::nn::cross_entropy(&logits, labels)
}

fn dmatrix(rows: usize, cols: usize, seed: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |i, j| {
        ((i * 7 + j * 3) as f64 * 0.37 + seed).sin()
    })
}

#[test]
fn a_matrix_valued_helper_gives_the_inline_gradient() {
    let (w1, b1, w2, b2) = (
        dmatrix(4, 3, 0.2),
        DVector::from_fn(4, |i, _| i as f64 * 0.1),
        dmatrix(2, 4, 1.1),
        DVector::from_fn(2, |i, _| 0.3 - i as f64),
    );
    let x = dmatrix(3, 5, 2.3);
    let labels = [0, 1, 1, 0, 1];
    let (value, grad) = two_layers_grad(&w1, &b1, &w2, &b2, &x, &labels);
    let (inline_value, inline) = two_layers_inline_grad(&w1, &b1, &w2, &b2, &x, &labels);
    assert_eq!(value, inline_value);
    assert_eq!(value, two_layers(&w1, &b1, &w2, &b2, &x, &labels));
    assert_eq!(value, two_layers_inline(&w1, &b1, &w2, &b2, &x, &labels));
    assert_close(grad.w1.as_slice(), inline.w1.as_slice());
    assert_close(grad.b1.as_slice(), inline.b1.as_slice());
    assert_close(grad.w2.as_slice(), inline.w2.as_slice());
    assert_close(grad.b2.as_slice(), inline.b2.as_slice());
}

// ---- tuple results, destructured by the caller ----

#[differentiate]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

#[differentiate]
fn uses_polar(r: f64, theta: f64) -> f64 {
    let (x, y) = polar(r, theta);
    let (a, b) = (x * y, x + y);
    a * 3.0 + b * b + polar(theta, theta).0
}

#[test]
fn tuple_results_destructured() {
    let (r, theta) = (1.7, 0.6);
    let (value, grad) = uses_polar_grad(r, theta);
    assert_eq!(value, uses_polar(r, theta));
    let numeric = central_difference(|q: &[f64]| uses_polar(q[0], q[1]), &[r, theta]);
    assert_close(&[grad.r, grad.theta], &numeric);
    // The same value twice in one tuple: both positions contribute.
    let (_, g) = polar_vjp(2.0, 0.0, (1.0, 1.0));
    assert_eq!((g.r, g.theta), (1.0, 2.0));
}

#[differentiate]
fn same_value_twice(x: f64) -> f64 {
    let (a, b) = pair(x);
    a * 2.0 + b * 5.0
}

#[differentiate]
fn pair(x: f64) -> (f64, f64) {
    (x, x)
}

#[test]
fn a_value_in_two_tuple_slots_gets_both_adjoints() {
    let (value, grad) = same_value_twice_grad(1.0);
    assert_eq!(value, same_value_twice(1.0));
    assert_eq!(grad.x, 7.0);
}
