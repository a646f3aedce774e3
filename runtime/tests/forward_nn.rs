//! Forward (JVP) helpers of `tapeless_runtime::nn`: the activations of scalars and
//! (feature `nalgebra`) matrices, `softmax`, `log_sum_exp`, `cross_entropy` and `mse`,
//! each against five-point central differences of its primal at random points (relative
//! error below 1e-6) and against its VJP helper with the dot-product identity
//! ⟨J·ẋ, w⟩ = ⟨ẋ, Jᵀ·w⟩ (`support::forward::check_forward`).

mod support;

use proptest::prelude::*;
use support::forward::check_forward;
use support::Rng;
use tapeless_runtime::elementwise::elementwise_tangent;
use tapeless_runtime::nn;

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(64)
}

/// Away from relu's kink at 0 by more than the stencil's reach, either sign.
fn off_the_kink(rng: &mut Rng) -> f64 {
    let v = rng.uniform(0.05, 4.0);
    if rng.index(2) == 0 {
        v
    } else {
        -v
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn scalar_activations(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (x, t_x, w) = (off_the_kink(&mut rng), rng.value(), rng.value());
        let y = nn::sigmoid(x);
        let tangent = nn::sigmoid_jvp(&y, &t_x);
        check_forward("sigmoid_jvp", |x: &f64| nn::sigmoid(*x), &x, &t_x, &tangent, &w, |d| nn::sigmoid_vjp(d, &y, &w));
        let y = nn::relu(x);
        let tangent = nn::relu_jvp(&y, &t_x);
        check_forward("relu_jvp", |x: &f64| nn::relu(*x), &x, &t_x, &tangent, &w, |d| nn::relu_vjp(d, &y, &w));
        // f32: the same generic code.
        let (y32, t32) = (nn::sigmoid(x as f32), t_x as f32);
        let (a, b) = (f64::from(nn::sigmoid_jvp(&y32, &t32)), nn::sigmoid_jvp(&nn::sigmoid(x), &t_x));
        prop_assert!((a - b).abs() < 1e-6, "{} vs {}", a, b);
    }
}

#[test]
fn relu_jvp_at_zero_is_zero() {
    for x in [0.0, -0.0_f64] {
        assert_eq!(nn::relu_jvp(&nn::relu(x), &2.0), 0.0, "relu at {x:?}");
    }
    assert_eq!(nn::relu_jvp(&nn::relu(1e-300), &2.0), 2.0);
    assert_eq!(nn::relu_jvp(&nn::relu(-1e-300), &2.0), 0.0);
}

/// The elementwise tangent of a scalar is exactly `f(x, ẋ)`: the −0.0 it starts from is
/// the additive identity (also for a −0.0 result).
#[test]
fn elementwise_tangent_of_a_scalar_is_exact() {
    for (x, t) in [(0.5_f64, 2.0), (-1.5, -0.0), (3.0, 1e-300)] {
        let f = |x: f64, t: f64| t * x.sin();
        assert_eq!(elementwise_tangent(&x, &t, f).to_bits(), f(x, t).to_bits());
    }
}

#[cfg(feature = "nalgebra")]
mod matrices {
    use nalgebra::{DMatrix, DVector, Matrix2x3, Vector3};
    use proptest::prelude::*;

    use super::{cases, off_the_kink};
    use crate::support::forward::check_forward;
    use crate::support::Rng;
    use tapeless_runtime::nn;

    fn random(rng: &mut Rng, rows: usize, cols: usize, lo: f64, hi: f64) -> DMatrix<f64> {
        DMatrix::from_fn(rows, cols, |_, _| rng.uniform(lo, hi))
    }

    proptest! {
        #![proptest_config(cases())]

        #[test]
        fn elementwise_activations(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let x = DMatrix::from_fn(r, c, |_, _| off_the_kink(&mut rng));
            let (t_x, w) = (random(&mut rng, r, c, -2.0, 2.0), random(&mut rng, r, c, -2.0, 2.0));
            let y = nn::sigmoid(&x);
            let tangent = nn::sigmoid_jvp(&y, &t_x);
            check_forward("sigmoid_jvp", |x: &DMatrix<f64>| nn::sigmoid(x), &x, &t_x, &tangent, &w, |d| nn::sigmoid_vjp(d, &y, &w));
            let y = nn::relu(&x);
            let tangent = nn::relu_jvp(&y, &t_x);
            check_forward("relu_jvp", |x: &DMatrix<f64>| nn::relu(x), &x, &t_x, &tangent, &w, |d| nn::relu_vjp(d, &y, &w));
        }

        #[test]
        fn softmax(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let x = random(&mut rng, r, c, -3.0, 3.0);
            let (t_x, w) = (random(&mut rng, r, c, -1.0, 1.0), random(&mut rng, r, c, -2.0, 2.0));
            let y = nn::softmax(&x);
            let tangent = nn::softmax_jvp(&y, &t_x);
            check_forward("softmax_jvp", |x: &DMatrix<f64>| nn::softmax(x), &x, &t_x, &tangent, &w, |d| nn::softmax_vjp(d, &y, &w));
        }

        #[test]
        fn log_sum_exp(n in 1..6usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let x = DVector::from_fn(n, |_, _| rng.uniform(-3.0, 3.0));
            let t_x = DVector::from_fn(n, |_, _| rng.uniform(-2.0, 2.0));
            let y = nn::log_sum_exp(&x);
            let w = rng.uniform(-2.0, 2.0);
            let tangent = nn::log_sum_exp_jvp(&x, &y, &t_x);
            check_forward("log_sum_exp_jvp", |x: &DVector<f64>| nn::log_sum_exp(x), &x, &t_x, &tangent, &w, |d| {
                nn::log_sum_exp_vjp(d, &x, &y, &w)
            });
        }

        #[test]
        fn cross_entropy(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let logits = random(&mut rng, r, c, -3.0, 3.0);
            let t_logits = random(&mut rng, r, c, -2.0, 2.0);
            let labels: Vec<usize> = (0..c).map(|_| rng.index(r)).collect();
            let w = rng.uniform(-2.0, 2.0);
            let tangent = nn::cross_entropy_jvp(&logits, &labels, &t_logits);
            check_forward("cross_entropy_jvp", |x: &DMatrix<f64>| nn::cross_entropy(x, &labels), &logits, &t_logits, &tangent, &w, |d| {
                nn::cross_entropy_vjp(d, &logits, &labels, &w)
            });
        }

        #[test]
        fn mse(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let (p, t) = (random(&mut rng, r, c, -2.0, 2.0), random(&mut rng, r, c, -2.0, 2.0));
            let (t_p, t_t) = (random(&mut rng, r, c, -2.0, 2.0), random(&mut rng, r, c, -2.0, 2.0));
            let w = rng.uniform(-2.0, 2.0);
            let tangent = nn::mse_jvp_pred(&p, &t, &t_p);
            check_forward("mse_jvp_pred", |p: &DMatrix<f64>| nn::mse(p, &t), &p, &t_p, &tangent, &w, |d| nn::mse_vjp_pred(d, &p, &t, &w));
            let tangent = nn::mse_jvp_target(&p, &t, &t_t);
            check_forward("mse_jvp_target", |t: &DMatrix<f64>| nn::mse(&p, t), &t, &t_t, &tangent, &w, |d| nn::mse_vjp_target(d, &p, &t, &w));
        }
    }

    /// Static shapes keep their types (no heap), and large logits stay finite.
    #[test]
    fn static_shapes_and_large_logits() {
        let mut rng = Rng::new(5);
        let x: Matrix2x3<f64> = rng.fill(&Matrix2x3::zeros(), off_the_kink);
        let t_x: Matrix2x3<f64> = rng.fill(&Matrix2x3::zeros(), Rng::value);
        let w: Matrix2x3<f64> = rng.fill(&Matrix2x3::zeros(), Rng::value);
        let y = nn::sigmoid(&x);
        let tangent: Matrix2x3<f64> = nn::sigmoid_jvp(&y, &t_x);
        check_forward(
            "sigmoid_jvp (static)",
            |x: &Matrix2x3<f64>| nn::sigmoid(x),
            &x,
            &t_x,
            &tangent,
            &w,
            |d| nn::sigmoid_vjp(d, &y, &w),
        );
        let y = nn::softmax(&x);
        let tangent: Matrix2x3<f64> = nn::softmax_jvp(&y, &t_x);
        check_forward(
            "softmax_jvp (static)",
            |x: &Matrix2x3<f64>| nn::softmax(x),
            &x,
            &t_x,
            &tangent,
            &w,
            |d| nn::softmax_vjp(d, &y, &w),
        );

        let big = Vector3::new(1000.0, 999.0, -1000.0_f64);
        let t = Vector3::new(1.0, -2.0, 5.0);
        let lse = nn::log_sum_exp(&big);
        let tangent = nn::log_sum_exp_jvp(&big, &lse, &t);
        // softmax(big) ≈ (e/(1+e), 1/(1+e), 0).
        let p = 1.0 / (1.0 + (-1.0_f64).exp());
        assert!(
            (tangent - (p * 1.0 + (1.0 - p) * -2.0)).abs() < 1e-12,
            "{tangent}"
        );
        let labels = [0usize];
        let logits = DMatrix::from_column_slice(3, 1, big.as_slice());
        let t_logits = DMatrix::from_column_slice(3, 1, t.as_slice());
        let ce = nn::cross_entropy_jvp(&logits, &labels, &t_logits);
        assert!((ce - (tangent - 1.0)).abs() < 1e-12, "{ce}");
    }

    #[test]
    fn empty_batches_have_zero_tangents() {
        let empty = DMatrix::<f64>::zeros(3, 0);
        assert_eq!(nn::cross_entropy_jvp(&empty, &[], &empty), 0.0);
        assert_eq!(nn::mse_jvp_pred(&empty, &empty, &empty), 0.0);
        assert_eq!(nn::mse_jvp_target(&empty, &empty, &empty), 0.0);
    }
}
