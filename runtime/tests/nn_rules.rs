//! `tapeless_runtime::nn`: the values of the activations and losses (their numerical
//! stability included) and every rule against five-point central differences, for scalars
//! and (feature `nalgebra`) matrices, starting from a random nonzero adjoint, to a
//! relative error below 1e-6 (`support::check_rule`).

mod support;

use proptest::prelude::*;
use support::{check_rule, Rng};
use tapeless_runtime::nn;

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(64)
}

// ---------------------------------------------------------------------------------------
// Scalars (no nalgebra needed).

#[test]
fn scalar_activation_values() {
    for x in [-3.0, -0.5, 0.0, 0.25, 2.0_f64] {
        let sigma = 1.0 / (1.0 + (-x).exp());
        assert!((nn::sigmoid(x) - sigma).abs() < 1e-15, "sigmoid({x})");
        assert_eq!(nn::relu(x), x.max(0.0), "relu({x})");
        assert_eq!(nn::tanh(x), x.tanh(), "tanh({x})");
        // By reference too, and in f32.
        assert_eq!(nn::sigmoid(&x), nn::sigmoid(x));
        assert!((f64::from(nn::sigmoid(x as f32)) - sigma).abs() < 1e-7);
    }
    assert_eq!(nn::sigmoid(0.0_f64), 0.5);
    // No overflow to NaN at the extremes.
    assert_eq!(nn::sigmoid(1000.0_f64), 1.0);
    assert_eq!(nn::sigmoid(-1000.0_f64), 0.0);
    assert_eq!(nn::sigmoid(f64::INFINITY), 1.0);
    assert_eq!(nn::sigmoid(f64::NEG_INFINITY), 0.0);
    assert!(nn::sigmoid(f64::NAN).is_nan());
    assert!(nn::relu(f64::NAN).is_nan());
    assert_eq!(nn::relu(-0.0_f64).to_bits(), 0.0_f64.to_bits());
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn scalar_activation_rules(x in -5.0..5.0f64, d_y in -3.0..3.0f64, seed in any::<u64>()) {
        let d0 = Rng::new(seed).nonzero();
        let y = nn::sigmoid(x);
        check_rule("sigmoid_vjp", |x: &f64| nn::sigmoid(*x), &x, &d_y, &d0, |d| nn::sigmoid_vjp(d, &y, &d_y));
        let y = nn::tanh(x);
        check_rule("tanh_vjp", |x: &f64| nn::tanh(*x), &x, &d_y, &d0, |d| nn::tanh_vjp(d, &y, &d_y));
        if x.abs() > 0.01 {
            let y = nn::relu(x);
            check_rule("relu_vjp", |x: &f64| nn::relu(*x), &x, &d_y, &d0, |d| nn::relu_vjp(d, &y, &d_y));
        }
    }
}

#[test]
fn relu_at_zero_has_derivative_zero() {
    for x in [0.0, -0.0_f64] {
        let y = nn::relu(x);
        let mut d = 0.75;
        nn::relu_vjp(&mut d, &y, &2.0);
        assert_eq!(d, 0.75, "relu at {x:?}");
    }
    // And the derivative is 1 just above, 0 just below.
    let mut d = 0.0;
    nn::relu_vjp(&mut d, &nn::relu(1e-300), &2.0);
    assert_eq!(d, 2.0);
    let mut d = 0.0;
    nn::relu_vjp(&mut d, &nn::relu(-1e-300), &2.0);
    assert_eq!(d, 0.0);
}

// ---------------------------------------------------------------------------------------
// Matrices.

#[cfg(feature = "nalgebra")]
mod matrices {
    use nalgebra::{DMatrix, DVector, Matrix2x3, Vector3};
    use proptest::prelude::*;
    use tapeless_runtime::check::{central_difference, relative_error};
    use tapeless_runtime::nn;

    use super::cases;
    use crate::support::{check_dot_product, check_rule, inner, Flat, Rng};

    fn random(rng: &mut Rng, rows: usize, cols: usize, lo: f64, hi: f64) -> DMatrix<f64> {
        DMatrix::from_fn(rows, cols, |_, _| rng.uniform(lo, hi))
    }

    fn start<V: Flat>(rng: &mut Rng, like: &V) -> V {
        rng.fill(like, Rng::nonzero)
    }

    /// −log softmax(x)[label, j] for each column by the textbook formula (no shift).
    fn naive_cross_entropy(logits: &DMatrix<f64>, labels: &[usize]) -> f64 {
        let n = logits.ncols();
        (0..n)
            .map(|j| {
                let column = logits.column(j);
                let sum: f64 = column.iter().map(|v| v.exp()).sum();
                -(column[labels[j]].exp() / sum).ln()
            })
            .sum::<f64>()
            / n as f64
    }

    proptest! {
        #![proptest_config(cases())]

        #[test]
        fn elementwise_activations(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            // Away from relu's kink by more than the stencil's reach.
            let x = DMatrix::from_fn(r, c, |_, _| {
                let v = rng.uniform(0.05, 4.0);
                if rng.index(2) == 0 { v } else { -v }
            });
            let w = random(&mut rng, r, c, -2.0, 2.0);
            let d0 = start(&mut rng, &x);
            let y = nn::sigmoid(&x);
            prop_assert_eq!(y[(0, 0)], nn::sigmoid(x[(0, 0)]));
            check_rule("sigmoid_vjp", |x: &DMatrix<f64>| nn::sigmoid(x), &x, &w, &d0, |d| nn::sigmoid_vjp(d, &y, &w));
            let y = nn::relu(&x);
            check_rule("relu_vjp", |x: &DMatrix<f64>| nn::relu(x), &x, &w, &d0, |d| nn::relu_vjp(d, &y, &w));
            let y = nn::tanh(&x);
            check_rule("tanh_vjp", |x: &DMatrix<f64>| nn::tanh(x), &x, &w, &d0, |d| nn::tanh_vjp(d, &y, &w));
        }

        #[test]
        fn softmax(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let x = random(&mut rng, r, c, -3.0, 3.0);
            let y = nn::softmax(&x);
            for column in y.column_iter() {
                prop_assert!((column.sum() - 1.0).abs() < 1e-14);
                prop_assert!(column.iter().all(|p| *p > 0.0));
            }
            let w = random(&mut rng, r, c, -2.0, 2.0);
            let d0 = start(&mut rng, &x);
            check_rule("softmax_vjp", |x: &DMatrix<f64>| nn::softmax(x), &x, &w, &d0, |d| nn::softmax_vjp(d, &y, &w));
            let v = random(&mut rng, r, c, -1.0, 1.0);
            check_dot_product("softmax_vjp", |x: &DMatrix<f64>| nn::softmax(x), &x, &v, &w, &DMatrix::zeros(r, c), |d| {
                nn::softmax_vjp(d, &y, &w)
            });
        }

        #[test]
        fn log_sum_exp(n in 1..6usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let x = DVector::from_fn(n, |_, _| rng.uniform(-3.0, 3.0));
            let y = nn::log_sum_exp(&x);
            let naive = x.iter().map(|v| v.exp()).sum::<f64>().ln();
            prop_assert!(relative_error(y, naive) < 1e-14);
            let d_y = rng.uniform(-2.0, 2.0);
            let d0 = start(&mut rng, &x);
            check_rule("log_sum_exp_vjp", |x: &DVector<f64>| nn::log_sum_exp(x), &x, &d_y, &d0, |d| {
                nn::log_sum_exp_vjp(d, &x, &y, &d_y)
            });
        }

        #[test]
        fn cross_entropy(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let logits = random(&mut rng, r, c, -3.0, 3.0);
            let labels: Vec<usize> = (0..c).map(|_| rng.index(r)).collect();
            let y = nn::cross_entropy(&logits, &labels);
            prop_assert!(relative_error(y, naive_cross_entropy(&logits, &labels)) < 1e-12);
            let d_y = rng.uniform(-2.0, 2.0);
            let d0 = start(&mut rng, &logits);
            check_rule("cross_entropy_vjp", |x: &DMatrix<f64>| nn::cross_entropy(x, &labels), &logits, &d_y, &d0, |d| {
                nn::cross_entropy_vjp(d, &logits, &labels, &d_y)
            });
            let v = random(&mut rng, r, c, -1.0, 1.0);
            check_dot_product("cross_entropy_vjp", |x: &DMatrix<f64>| nn::cross_entropy(x, &labels), &logits, &v, &d_y, &DMatrix::zeros(r, c), |d| {
                nn::cross_entropy_vjp(d, &logits, &labels, &d_y)
            });
        }

        #[test]
        fn mse(r in 1..5usize, c in 1..5usize, seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let (p, t) = (random(&mut rng, r, c, -2.0, 2.0), random(&mut rng, r, c, -2.0, 2.0));
            let y = nn::mse(&p, &t);
            let naive = (&p - &t).norm_squared() / (r * c) as f64;
            prop_assert!(relative_error(y, naive) < 1e-14);
            let d_y = rng.uniform(-2.0, 2.0);
            let d0 = start(&mut rng, &p);
            check_rule("mse_vjp_pred", |p: &DMatrix<f64>| nn::mse(p, &t), &p, &d_y, &d0, |d| nn::mse_vjp_pred(d, &p, &t, &d_y));
            check_rule("mse_vjp_target", |t: &DMatrix<f64>| nn::mse(&p, t), &t, &d_y, &d0, |d| nn::mse_vjp_target(d, &p, &t, &d_y));
        }
    }

    #[test]
    fn static_shapes() {
        let mut rng = Rng::new(11);
        let x: Matrix2x3<f64> = rng.fill(&Matrix2x3::zeros(), |r| r.uniform(-3.0, 3.0));
        let w: Matrix2x3<f64> = rng.fill(&Matrix2x3::zeros(), Rng::value);
        let d0 = start(&mut rng, &x);
        let y: Matrix2x3<f64> = nn::sigmoid(&x);
        check_rule(
            "sigmoid_vjp",
            |x: &Matrix2x3<f64>| nn::sigmoid(x),
            &x,
            &w,
            &d0,
            |d| nn::sigmoid_vjp(d, &y, &w),
        );
        let y: Matrix2x3<f64> = nn::softmax(&x);
        check_rule(
            "softmax_vjp",
            |x: &Matrix2x3<f64>| nn::softmax(x),
            &x,
            &w,
            &d0,
            |d| nn::softmax_vjp(d, &y, &w),
        );
        let labels = [1, 0, 1];
        check_rule(
            "cross_entropy_vjp",
            |x: &Matrix2x3<f64>| nn::cross_entropy(x, &labels),
            &x,
            &0.7,
            &d0,
            |d| nn::cross_entropy_vjp(d, &x, &labels, &0.7),
        );
        let t: Matrix2x3<f64> = rng.fill(&Matrix2x3::zeros(), Rng::value);
        check_rule(
            "mse_vjp_pred",
            |p: &Matrix2x3<f64>| nn::mse(p, &t),
            &x,
            &0.7,
            &d0,
            |d| nn::mse_vjp_pred(d, &x, &t, &0.7),
        );
        let v: Vector3<f64> = rng.fill(&Vector3::zeros(), Rng::value);
        let y = nn::log_sum_exp(&v);
        let dv0 = start(&mut rng, &v);
        check_rule(
            "log_sum_exp_vjp",
            |v: &Vector3<f64>| nn::log_sum_exp(v),
            &v,
            &0.7,
            &dv0,
            |d| nn::log_sum_exp_vjp(d, &v, &y, &0.7),
        );
        // Views are read as they are.
        let big = DMatrix::from_fn(4, 4, |i, j| (i + 2 * j) as f64 * 0.1);
        let view = big.view((1, 1), (2, 3));
        assert_eq!(nn::softmax(&view), nn::softmax(&view.clone_owned()));
    }

    #[test]
    fn stable_for_large_logits() {
        // Shifting every logit of a column by a constant changes neither softmax nor the
        // loss; with the maximum subtracted, logits near 1000 (e¹⁰⁰⁰ = ∞) give the same.
        let logits = DMatrix::<f64>::from_row_slice(3, 2, &[1.0, -2.0, 2.0, 0.5, 3.0, 0.0]);
        let shifted = logits.add_scalar(1000.0);
        let p = nn::softmax(&logits);
        let q = nn::softmax(&shifted);
        assert!((p - &q).amax() < 1e-15);
        assert!(q.iter().all(|v| v.is_finite()));
        let labels = [2, 0];
        let loss = nn::cross_entropy(&logits, &labels);
        let shifted_loss = nn::cross_entropy(&shifted, &labels);
        assert!(
            (loss - shifted_loss).abs() < 1e-12,
            "{loss} vs {shifted_loss}"
        );
        let mut d = DMatrix::<f64>::zeros(3, 2);
        nn::cross_entropy_vjp(&mut d, &shifted, &labels, &1.0);
        assert!(d.iter().all(|v| v.is_finite()));
        // Very negative too (e⁻¹⁰⁰⁰ = 0 would make the sum 0 and the log −∞).
        let low = logits.add_scalar(-1000.0);
        assert!((nn::cross_entropy(&low, &labels) - loss).abs() < 1e-12);

        let v = DVector::from_vec(vec![1000.0, 1000.0]);
        assert!((nn::log_sum_exp(&v) - (1000.0 + 2.0_f64.ln())).abs() < 1e-12);
        let v = DVector::from_vec(vec![-1000.0, -1000.0]);
        assert!((nn::log_sum_exp(&v) - (-1000.0 + 2.0_f64.ln())).abs() < 1e-12);
        assert_eq!(
            nn::log_sum_exp(&DVector::<f64>::zeros(0)),
            f64::NEG_INFINITY
        );
        assert_eq!(
            nn::log_sum_exp(&DVector::from_vec(vec![f64::NEG_INFINITY, 1.0])),
            1.0
        );
        assert_eq!(
            nn::log_sum_exp(&DVector::from_vec(vec![f64::INFINITY, 1.0])),
            f64::INFINITY
        );
        assert!(nn::log_sum_exp(&DVector::from_vec(vec![f64::INFINITY, f64::NAN])).is_nan());
    }

    #[test]
    fn cross_entropy_gradient_is_softmax_minus_one_hot_over_n() {
        let logits = DMatrix::<f64>::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.0, -0.5]);
        let labels = vec![1, 0, 0];
        let mut d = DMatrix::zeros(2, 3);
        nn::cross_entropy_vjp(&mut d, &logits, &labels, &1.0);
        let mut expected = nn::softmax(&logits);
        for (j, &label) in labels.iter().enumerate() {
            expected[(label, j)] -= 1.0;
        }
        expected /= 3.0;
        assert!((d - expected).amax() < 1e-15);
        // The numeric gradient agrees, coordinate by coordinate.
        let numeric = central_difference(
            |x| nn::cross_entropy(&DMatrix::from_column_slice(2, 3, x), &labels),
            logits.as_slice(),
        );
        let mut analytic = DMatrix::zeros(2, 3);
        nn::cross_entropy_vjp(&mut analytic, &logits, &labels, &1.0);
        assert!(inner(&numeric, &numeric) > 0.0);
        for (a, n) in analytic.iter().zip(&numeric) {
            assert!(relative_error(*a, *n) < 1e-6);
        }
    }

    /// cross_entropy_vjp writes a still-zero column directly (one `exp` per element) and
    /// adds into any other: both give the same contribution, also for logits whose
    /// exponentials would overflow or underflow unshifted.
    #[test]
    fn cross_entropy_vjp_into_fresh_and_accumulated_columns() {
        let logits = DMatrix::<f64>::from_row_slice(
            3,
            3,
            &[800.0, -1.0, 0.25, 799.0, 0.5, -900.0, -5.0, 2.0, -901.0],
        );
        let labels = vec![2, 0, 1];
        let mut fresh = DMatrix::zeros(3, 3);
        nn::cross_entropy_vjp(&mut fresh, &logits, &labels, &-1.5);
        // Each column by the formula: −1.5/3 · (softmax − one-hot), softmax shifted by hand.
        for j in 0..3 {
            let column = logits.column(j);
            let m = column.max();
            let sum: f64 = column.iter().map(|v| (v - m).exp()).sum();
            for i in 0..3 {
                let one_hot = if i == labels[j] { 1.0 } else { 0.0 };
                let expected = -0.5 * ((column[i] - m).exp() / sum - one_hot);
                assert!((fresh[(i, j)] - expected).abs() < 1e-15, "({i}, {j})");
            }
        }
        // Column 1 starts non-zero (accumulates), columns 0 and 2 start at zero.
        let mut mixed = DMatrix::zeros(3, 3);
        mixed[(1, 1)] = 0.125;
        nn::cross_entropy_vjp(&mut mixed, &logits, &labels, &-1.5);
        mixed[(1, 1)] -= 0.125;
        assert!((&mixed - &fresh).amax() < 1e-15);
        assert!(mixed.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn empty_batches_and_label_checks() {
        let none = DMatrix::<f64>::zeros(3, 0);
        assert_eq!(nn::cross_entropy(&none, &[]), 0.0);
        let mut d = DMatrix::zeros(3, 0);
        nn::cross_entropy_vjp(&mut d, &none, &[], &1.0);
        assert_eq!(nn::mse(&none, &none), 0.0);
        let result =
            std::panic::catch_unwind(|| nn::cross_entropy(&DMatrix::<f64>::zeros(2, 2), &[0]));
        assert!(result.is_err(), "one label per column is required");
        let result =
            std::panic::catch_unwind(|| nn::cross_entropy(&DMatrix::<f64>::zeros(2, 1), &[2]));
        assert!(result.is_err(), "a label must be a row index");
    }
}
