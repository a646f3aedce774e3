// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/ml.rs (inside `mod rnn { .. }`) once it passes.
//
// Domain: machine learning
// Status: rejected with a clean message
// Class:  iterator chain: map with a function path
// Also uses (may block next; not verified, hidden behind the first error): iterating a slice of non-Copy elements (for row in xs, xs: &[Vec<f64>] or &[DVector<f64>])
// Next blocker, verified by rewriting the first locally (`map(f64::tanh)` → `map(|z| z.tanh())`): rustc error in generated code: `VecStorage: Copy` for `for x in inputs` over `&[DVector<f64>]`
// Oracle: central differences over 18 weights at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: `.map(..)` takes a closure here (`|v| ..`), which #[differentiate] differentiates
//   --> tests/corpus_pending/rnn.rs:30:42

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
        let analytic: Vec<f64> = g.w_h.iter().chain(g.w_x.iter()).chain(g.b.iter()).copied().collect();
        check_gradient(f, &theta, &analytic, Tolerance::default()).unwrap();
    }
}
