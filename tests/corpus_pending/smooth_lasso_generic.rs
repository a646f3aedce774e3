// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/regression.rs (inside `mod smooth_lasso_generic { .. }`) once it passes.
//
// Domain: regression
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Also uses (may block next; not verified, hidden behind the first error): iterating a slice of non-Copy elements (for row in xs, xs: &[Vec<f64>] or &[DVector<f64>])
// Oracle: closed form Xᵀr + λ w/√(w²+ε) at 3 points, f64 and f32; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0277]: the trait bound `usize: num_traits::Float` is not satisfied
//   --> tests/corpus_pending/smooth_lasso_generic.rs:18:1

use num_traits::Float;
use tapeless::differentiate;

/// Least squares with a smoothed L1 penalty Σ sqrt(w² + ε), generic over the float type.
#[differentiate(wrt(w))]
pub fn smooth_lasso<T: Float>(w: &[T], x: &[Vec<T>], y: &[T], lambda: T) -> T {
    let eps = T::from(1e-3).unwrap();
    let half = T::from(0.5).unwrap();
    let mut loss = T::zero();
    for (row, &yi) in x.iter().zip(y) {
        let mut pred = T::zero();
        for (&a, &b) in row.iter().zip(w) {
            pred = pred + a * b;
        }
        let r = pred - yi;
        loss = loss + half * r * r;
    }
    for &wi in w {
        loss = loss + lambda * (wi * wi + eps).sqrt();
    }
    loss
}

#[test]
fn smooth_lasso_generic() {
    let x = vec![vec![1.0, 2.0], vec![0.3, -1.0], vec![2.0, 0.5]];
    let y = [1.0, -0.5, 2.0];
    let lambda = 0.3;
    for w in [[0.1, -0.2], [1.0, 0.5], [0.0, 0.02]] {
        let (v, g) = smooth_lasso_grad(&w, &x, &y, lambda);
        assert!((v - smooth_lasso(&w, &x, &y, lambda)).abs() < 1e-12);
        // Closed form: Xᵀ r + λ w / sqrt(w² + ε).
        let mut expected = [0.0; 2];
        for (row, yi) in x.iter().zip(&y) {
            let r = row[0] * w[0] + row[1] * w[1] - yi;
            for k in 0..2 {
                expected[k] += r * row[k];
            }
        }
        for k in 0..2 {
            expected[k] += lambda * w[k] / (w[k] * w[k] + 1e-3).sqrt();
            assert!((g.w[k] - expected[k]).abs() < 1e-10, "{:?} vs {:?}", g.w, expected);
        }
        // The same code in f32.
        let w32 = [w[0] as f32, w[1] as f32];
        let x32: Vec<Vec<f32>> = x.iter().map(|r| r.iter().map(|&v| v as f32).collect()).collect();
        let y32 = [1.0f32, -0.5, 2.0];
        let (v32, g32) = smooth_lasso_grad(&w32, &x32, &y32, lambda as f32);
        assert!((v32 as f64 - v).abs() < 1e-4 * (1.0 + v.abs()));
        for k in 0..2 {
            assert!((g32.w[k] as f64 - expected[k]).abs() < 1e-3 * (1.0 + expected[k].abs()));
        }
    }
}
