// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/ml.rs (inside `mod lstm_cell { .. }`) once it passes.
//
// Domain: machine learning
// Status: rejected with a clean message
// Class:  sub-slice (&x[a..b], &x[i+1..])
// Also uses (may block next; not verified, hidden behind the first error): closure: let-bound, called inside another closure or passed to nalgebra; iterator chain: map(..).collect() into a Vec; iterator chain: chain()
// Next blocker, verified by rewriting the first locally (sub-slice → `(0..k).map(|m| w[..] * inputs[m])`): rejected: the closure of `.map(..)` reads a differentiated value
// Oracle: central differences over 40 weights at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: a `let` binding of a reference is not supported on values that depend on a differentiated parameter; use the value directly (`x`, not `let r = &x`)
//   --> tests/corpus_pending/lstm_cell.rs:30:19

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
