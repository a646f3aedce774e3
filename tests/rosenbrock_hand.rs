//! The hand-written Rosenbrock derivatives the benchmarks measure against
//! (`tests/support/rosenbrock_hand.rs`), checked against central differences: the gradient
//! against differences of the value, the Hessian against differences of the gradient, and
//! the HVP and JVP against the Hessian and the gradient. Then `f_hvp`, `f_hessian` and
//! `f_jvp` of the same function against them.

#![allow(clippy::needless_range_loop)] // index loops: (i, j) of a matrix read best

#[path = "support/rosenbrock_hand.rs"]
mod rosenbrock_hand;

use tapeless::check::central_difference;
use tapeless::differentiate;

/// The function, written plainly (the value the references are checked against).
fn rosenbrock_plain(x: &[f64]) -> f64 {
    (0..x.len() - 1)
        .map(|i| 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2))
        .sum()
}

#[differentiate(hessian)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

fn assert_close(what: &str, a: f64, b: f64, tolerance: f64) {
    assert!(
        (a - b).abs() <= tolerance * (1.0 + a.abs().max(b.abs())),
        "{what}: {a} vs {b}"
    );
}

/// Points of length 2, 3, 5 and 10, with entries in [−2, 2] (and the minimum, all ones).
fn points() -> Vec<Vec<f64>> {
    let mut points: Vec<Vec<f64>> = [2, 3, 5, 10]
        .iter()
        .map(|&n| (0..n).map(|i| (i as f64 * 1.7 + 0.3).sin() * 2.0).collect())
        .collect();
    points.push(vec![1.0; 4]);
    points
}

/// A direction with no zero entry.
fn direction(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 - (i as f64 * 0.9).cos()).collect()
}

#[test]
fn gradient_matches_central_differences_of_the_value() {
    for x in points() {
        let (value, grad) = rosenbrock_hand::gradient(&x);
        assert_close("value", value, rosenbrock_plain(&x), 1e-13);
        let numeric = central_difference(rosenbrock_plain, &x);
        for (j, (a, b)) in grad.iter().zip(&numeric).enumerate() {
            assert_close(&format!("∂f/∂x{j} at {x:?}"), *a, *b, 1e-7);
        }
    }
}

#[test]
fn hessian_matches_central_differences_of_the_gradient() {
    for x in points() {
        let n = x.len();
        let (value, grad, rows) = rosenbrock_hand::hessian(&x);
        assert_close("value", value, rosenbrock_plain(&x), 1e-13);
        assert_eq!(grad, rosenbrock_hand::gradient(&x).1);
        assert_eq!(rows.len(), n);
        for i in 0..n {
            assert_eq!(rows[i].len(), n);
            // Row i is ∂(∂f/∂x_i)/∂x: differences of the gradient's component i.
            let numeric = central_difference(|p: &[f64]| rosenbrock_hand::gradient(p).1[i], &x);
            for j in 0..n {
                assert_close(
                    &format!("H[{i}][{j}] at {x:?}"),
                    rows[i][j],
                    numeric[j],
                    1e-7,
                );
                assert_eq!(rows[i][j], rows[j][i], "symmetric");
            }
        }
    }
}

#[test]
fn hvp_and_jvp_match_the_hessian_and_the_gradient() {
    for x in points() {
        let n = x.len();
        let v = direction(n);
        let (value, grad, rows) = rosenbrock_hand::hessian(&x);
        let (hvp_value, hvp_grad, hv) = rosenbrock_hand::hvp(&x, &v);
        assert_eq!(hvp_value, value);
        assert_eq!(hvp_grad, grad);
        for i in 0..n {
            let dense: f64 = rows[i].iter().zip(&v).map(|(h, v)| h * v).sum();
            assert_close(&format!("(Hv)[{i}]"), hv[i], dense, 1e-13);
        }
        let (jvp_value, derivative) = rosenbrock_hand::jvp(&x, &v);
        assert_close("jvp value", jvp_value, value, 1e-13);
        let dot: f64 = grad.iter().zip(&v).map(|(g, v)| g * v).sum();
        assert_close("⟨∇f, v⟩", derivative, dot, 1e-13);
    }
}

#[test]
fn generated_second_order_matches_the_hand_written() {
    for x in points() {
        let n = x.len();
        let v = direction(n);
        let (value, grad, rows) = rosenbrock_hessian(&x);
        let (hand_value, hand_grad, hand_rows) = rosenbrock_hand::hessian(&x);
        assert_eq!(value, rosenbrock(&x), "f_hessian's value is the function's");
        assert_close("value", value, hand_value, 1e-13);
        for i in 0..n {
            assert_close("gradient", grad.x[i], hand_grad[i], 1e-12);
            for j in 0..n {
                assert_close("Hessian", rows[i].x[j], hand_rows[i][j], 1e-12);
            }
        }
        let (_, _, hv) = rosenbrock_hvp(&x, &RosenbrockGrad { x: v.clone() });
        let (_, _, hand_hv) = rosenbrock_hand::hvp(&x, &v);
        for i in 0..n {
            assert_close("H·v", hv.x[i], hand_hv[i], 1e-12);
        }
        let (_, derivative) = rosenbrock_jvp(&x, &RosenbrockGrad { x: v.clone() });
        assert_close("⟨∇f, v⟩", derivative, rosenbrock_hand::jvp(&x, &v).1, 1e-12);
    }
}
