// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/regression.rs (inside `mod ridge { .. }`) once it passes.
//
// Domain: regression
// Status: rejected with a clean message
// Class:  iterator chain: fold (closure or f64::max)
// Also uses (may block next; not verified, hidden behind the first error): iterating a slice of non-Copy elements (for row in xs, xs: &[Vec<f64>] or &[DVector<f64>])
// Next blocker, verified by rewriting the first locally (fold → `.map(|wi| wi * wi).sum()`): rustc error in generated code: `Vec<f64>: Copy` (index::read)
// Oracle: closed form Xᵀr + λw at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: closures are not supported yet by #[differentiate]; write the computation inline (closures passed to `.map(..)` before `.sum()` are supported)
//   --> tests/corpus_pending/ridge.rs:28:38

use tapeless::differentiate;

/// Least squares with an L2 penalty.
#[differentiate(wrt(w))]
pub fn ridge_loss(w: &[f64], x: &[Vec<f64>], y: &[f64], lambda: f64) -> f64 {
    let data: f64 = x
        .iter()
        .zip(y)
        .map(|(row, yi)| {
            let pred: f64 = row.iter().zip(w).map(|(a, b)| a * b).sum();
            (pred - yi).powi(2)
        })
        .sum();
    let penalty = w.iter().fold(0.0, |acc, wi| acc + wi * wi);
    0.5 * data + 0.5 * lambda * penalty
}

#[test]
fn ridge() {
    let x = vec![vec![1.0, 2.0, 0.5], vec![0.3, -1.0, 1.5], vec![2.0, 0.0, -0.5], vec![-1.0, 1.0, 1.0]];
    let y = [1.0, -0.5, 2.0, 0.3];
    let lambda = 0.7;
    for w in [[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0], [0.0, 0.0, 0.0]] {
        let (v, g) = ridge_loss_grad(&w, &x, &y, lambda);
        assert!((v - ridge_loss(&w, &x, &y, lambda)).abs() < 1e-12);
        // Closed form: Xᵀ r + λ w.
        let mut expected = [lambda * w[0], lambda * w[1], lambda * w[2]];
        for (row, yi) in x.iter().zip(&y) {
            let r = row[0] * w[0] + row[1] * w[1] + row[2] * w[2] - yi;
            for k in 0..3 {
                expected[k] += r * row[k];
            }
        }
        for k in 0..3 {
            assert!((g.w[k] - expected[k]).abs() < 1e-10, "{:?} vs {:?}", g.w, expected);
        }
    }
}
