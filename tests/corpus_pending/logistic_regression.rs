// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/regression.rs (inside `mod logistic_regression { .. }`) once it passes.
//
// Domain: regression
// Status: rustc error inside generated code
// Class:  iterating a slice of non-Copy elements (for row in xs, xs: &[Vec<f64>] or &[DVector<f64>])
// Next blocker, verified by rewriting the first locally (index loops `for i in 0..xs.len()`, `xs[i][j]`): passes
// Oracle: closed form dw = 1/n Σ (p−y) x, db = 1/n Σ (p−y) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0277]: the trait bound `Vec<f64>: Copy` is not satisfied
//   --> tests/corpus_pending/logistic_regression.rs:22:1

use tapeless::differentiate;

#[differentiate]
fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Mean negative log-likelihood of a logistic model.
#[differentiate(wrt(w, bias))]
pub fn logistic_nll(w: &[f64], bias: f64, xs: &[Vec<f64>], ys: &[f64]) -> f64 {
    let mut total = 0.0;
    for (x, &y) in xs.iter().zip(ys.iter()) {
        let z: f64 = w.iter().zip(x).map(|(wi, xi)| wi * xi).sum::<f64>() + bias;
        let p = sigmoid(z);
        total -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
    }
    total / xs.len() as f64
}

#[test]
fn logistic_regression() {
    let xs = vec![vec![0.5, -1.0], vec![1.5, 0.3], vec![-0.7, 2.0], vec![0.1, 0.1]];
    let ys = [1.0, 0.0, 1.0, 0.0];
    for (w, bias) in [(vec![0.2, -0.4], 0.1), (vec![-1.0, 0.5], -0.3), (vec![0.0, 0.0], 0.0)] {
        let (v, g) = logistic_nll_grad(&w, bias, &xs, &ys);
        assert!((v - logistic_nll(&w, bias, &xs, &ys)).abs() < 1e-12);
        // Closed form: dw = 1/n Σ (p − y) x, db = 1/n Σ (p − y).
        let n = xs.len() as f64;
        let mut dw = vec![0.0; 2];
        let mut db = 0.0;
        for (x, y) in xs.iter().zip(&ys) {
            let z = w[0] * x[0] + w[1] * x[1] + bias;
            let p = 1.0 / (1.0 + (-z).exp());
            dw[0] += (p - y) * x[0] / n;
            dw[1] += (p - y) * x[1] / n;
            db += (p - y) / n;
        }
        for k in 0..2 {
            assert!((g.w[k] - dw[k]).abs() < 1e-10, "{:?} vs {:?}", g.w, dw);
        }
        assert!((g.bias - db).abs() < 1e-10);
    }
}
