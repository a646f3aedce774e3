// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/ml.rs (inside `mod log_sum_exp_generic { .. }`) once it passes.
//
// Domain: machine learning
// Status: rejected with a clean message
// Class:  iterator chain: fold (closure or f64::max)
// Next blocker, verified by rewriting the first locally (fold → `for` loop with `max`): passes (f64 and f32)
// Oracle: closed form softmax(x) at 3 points (one at 700: overflow-safe), f32 too; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: closures are not supported yet by #[differentiate]; write the computation inline (closures passed to `.map(..)` before `.sum()` are supported)
//   --> tests/corpus_pending/log_sum_exp_generic.rs:20:47

use num_traits::Float;
use tapeless::differentiate;

/// log Σ exp(x_i), generic over the float type.
#[differentiate]
pub fn log_sum_exp<T: Float>(xs: &[T]) -> T {
    let m = xs.iter().fold(T::neg_infinity(), |a, &b| a.max(b));
    let mut s = T::zero();
    for &x in xs {
        s = s + (x - m).exp();
    }
    m + s.ln()
}

#[test]
fn log_sum_exp_generic() {
    for xs in [vec![1.0, 2.0, 3.0], vec![-100.0, 0.5, 0.25, 2.0], vec![700.0, 699.0]] {
        let (v, g) = log_sum_exp_grad(&xs);
        assert!((v - log_sum_exp(&xs)).abs() < 1e-12);
        // Closed form: the gradient is softmax(x).
        let m = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = xs.iter().map(|x| (x - m).exp()).sum();
        for (k, x) in xs.iter().enumerate() {
            assert!((g.xs[k] - (x - m).exp() / z).abs() < 1e-12, "{:?}", g.xs);
        }
        let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
        let (v32, g32) = log_sum_exp_grad(&xs32);
        assert!((v32 as f64 - v).abs() < 1e-4 * (1.0 + v.abs()));
        assert!((g32.xs[0] as f64 - g.xs[0]).abs() < 1e-4);
    }
}
