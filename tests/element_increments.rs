//! Increments of array elements (`y[i] += e`, `y[i] = e + y[i]`): the reverse sweep reads the
//! slot's adjoint and leaves it, instead of reading it, clearing it and adding it back
//! (`reverse::increments`). Checked against closed forms, central differences and `f_jvp`
//! by the dot-product test, next to the shapes that are not increments (the old value used
//! twice, another read of the array in between, a different index), in f64 and f32.

// The increments are written in the forms users write, `+=` and the old value named.
#![allow(clippy::assign_op_pattern, clippy::needless_range_loop)]

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

#[track_caller]
fn check(f: impl FnMut(&[f64]) -> f64, x: &[f64], g: &[f64]) {
    if let Err(e) = check_gradient(f, x, g, Tolerance::default()) {
        panic!("{e}\nanalytic {g:?}");
    }
}

const X: [f64; 4] = [0.3, -0.5, 0.7, 1.1];
const V: [f64; 4] = [0.2, -0.4, 0.1, 0.7];

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

// y = L x for the lower triangle of x xᵀ, accumulated by `+=`, then Σ y².
#[differentiate]
fn triangle(x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = vec![0.0; n];
    for col in 0..n {
        for row in col..n {
            y[row] += x[row] * x[col];
        }
    }
    let mut s = 0.0;
    for v in &y {
        s += v * v;
    }
    s
}

#[test]
fn an_increment_in_a_triangle_loop() {
    let (value, g) = triangle_grad(&X);
    assert_eq!(value, triangle(&X));
    check(triangle, &X, &g.x);
    let (_, jvp) = triangle_jvp(&X, &TriangleGrad { x: V.to_vec() });
    assert!((dot(&g.x, &V) - jvp).abs() <= 1e-12 * (1.0 + jvp.abs()));
}

// y_i = Σ_j w_j x_j, written with the old value on the right, then y_i · x_i: ∇ closed.
#[differentiate]
fn old_value_on_the_right(x: &[f64], w: &[f64]) -> f64 {
    let n = x.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            y[i] = w[j] * x[j] + y[i];
        }
    }
    let mut s = 0.0;
    for i in 0..n {
        s += y[i] * x[i];
    }
    s
}

#[test]
fn the_old_value_on_the_right() {
    let w = [0.4, -0.2, 0.9, 0.3];
    let (value, g) = old_value_on_the_right_grad(&X, &w);
    assert_eq!(value, old_value_on_the_right(&X, &w));
    // s = (w·x)(Σx): ∂/∂x_k = w_k Σx + w·x, ∂/∂w_k = x_k Σx.
    let (sum, wx) = (X.iter().sum::<f64>(), dot(&w, &X));
    for k in 0..4 {
        assert!((g.x[k] - (w[k] * sum + wx)).abs() < 1e-12);
        assert!((g.w[k] - X[k] * sum).abs() < 1e-12);
    }
    check(|x| old_value_on_the_right(x, &w), &X, &g.x);
}

// Shapes that are not increments, next to one: the old value used twice (`y[i] * y[i]`),
// another read of the array between the read and the store, a different index.
#[differentiate]
fn not_increments(x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = x.to_vec();
    for i in 0..n {
        y[i] = y[i] * y[i] + 0.5;
        let j = (i + 1) % n;
        y[i] = y[i] + y[j] * 0.25;
        y[j] = y[i] + x[i];
        y[i] += x[j] * y[i];
    }
    y.iter().map(|v| v.sin()).sum()
}

#[test]
fn shapes_that_are_not_increments() {
    let (value, g) = not_increments_grad(&X);
    assert_eq!(value, not_increments(&X));
    check(not_increments, &X, &g.x);
    let (_, jvp) = not_increments_jvp(&X, &NotIncrementsGrad { x: V.to_vec() });
    assert!((dot(&g.x, &V) - jvp).abs() <= 1e-12 * (1.0 + jvp.abs()));
}

// Generic (`T: Float` has no `+=`), increments of a scratch array at constant indices.
#[differentiate]
fn generic_moments<T: Float>(x: &[T]) -> T {
    let mut m = [T::zero(); 3];
    for &v in x {
        m[0] = m[0] + v;
        m[1] = m[1] + v * v;
        m[2] = v * v * v + m[2];
    }
    m[0] * m[1] + m[2]
}

#[test]
fn generic_increments_in_f64_and_f32() {
    let (_, g) = generic_moments_grad(&X);
    check(generic_moments, &X, &g.x);
    // ∂/∂x_k = Σx² + 2 x_k Σx + 3 x_k².
    let (s1, s2) = (X.iter().sum::<f64>(), dot(&X, &X));
    let want: Vec<f64> = X.iter().map(|x| s2 + 2.0 * x * s1 + 3.0 * x * x).collect();
    for (a, b) in g.x.iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    let x32: Vec<f32> = X.iter().map(|&v| v as f32).collect();
    let (_, g32) = generic_moments_grad(&x32);
    for (a, b) in g32.x.iter().zip(&want) {
        assert!((f64::from(*a) - b).abs() < 1e-5, "{a} vs {b}");
    }
}
