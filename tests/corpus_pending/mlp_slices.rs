// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/ml.rs (inside `mod mlp_slices { .. }`) once it passes.
//
// Domain: machine learning
// Status: rejected with a clean message
// Class:  iterator chain: windows/chunks
// Also uses (may block next; not verified, hidden behind the first error): iterator chain: map(..).collect() into a Vec
// Oracle: central differences (check_gradient) over all 21 weights at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: the closure of `.map(..)` takes one argument named by a plain pattern (`|v| ..`)
//   --> tests/corpus_pending/mlp_slices.rs:23:14

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
        let theta: Vec<f64> = (0..21).map(|i| s * ((i as f64 * 1.3).sin() + 0.1 * i as f64)).collect();
        let f = |t: &[f64]| mlp_loss(&t[0..12], &t[12..16], &t[16..20], t[20], &x, target);
        let (v, g) = mlp_loss_grad(&theta[0..12], &theta[12..16], &theta[16..20], theta[20], &x, target);
        assert!((v - f(&theta)).abs() < 1e-12);
        let mut analytic = g.w1.clone();
        analytic.extend(&g.b1);
        analytic.extend(&g.w2);
        analytic.push(g.b2);
        check_gradient(f, &theta, &analytic, Tolerance::default()).unwrap();
    }
}
