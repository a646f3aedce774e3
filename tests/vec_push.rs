//! `Vec::new()` / `Vec::with_capacity(n)` / `vec![]` filled by one `push` per iteration of a
//! `for` loop, then read by index or iterated: f64 (central differences), f32 (closed
//! form) and a generic function; and the calls of marked functions that the check of
//! unmarked callees (`tests/ui/unknown-function-on-active-value.rs`) must leave working.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

/// Pushes over a slice, a range (reading the previous element: a recurrence), a zip and
/// windows; then indexed, iterated and summed.
#[differentiate]
fn pushed(x: &[f64], w: &[f64]) -> f64 {
    let mut e = Vec::new();
    for v in x {
        e.push(v.exp());
    }
    let n = x.len();
    let mut h: Vec<f64> = Vec::with_capacity(n);
    for i in 0..n {
        let prev = if i == 0 { 0.0 } else { h[i - 1] };
        h.push((w[i] * x[i] + 0.5 * prev).tanh());
    }
    let mut products = vec![];
    for (a, b) in x.iter().zip(w) {
        products.push(a * b);
    }
    let mut steps = Vec::new();
    for p in x.windows(2) {
        steps.push(p[1] - p[0]);
    }
    let mut s = e[0] * e[n - 1] + h[n - 1];
    for (i, p) in products.iter().enumerate() {
        s += p * h[i];
    }
    for d in &steps {
        s += d * d;
    }
    s + e.iter().sum::<f64>()
}

#[test]
fn push_in_loops_then_read() {
    probe!(p => pushed, pushed_grad, pushed_vjp, [&p[..4], &p[4..8]], [x, w],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2, 0.4, 0.9]);
}

/// f32: Σ_i y_i², y_i = x_i² pushed; closed form ∂/∂x_i = 4 x_i³.
#[differentiate]
fn squares_f32(x: &[f32]) -> f32 {
    let mut y = Vec::new();
    for v in x.iter() {
        y.push(v * v);
    }
    let mut s = 0.0;
    for v in &y {
        s += v * v;
    }
    s
}

#[test]
fn push_f32() {
    let x = [1.0f32, -2.0, 0.5];
    let (v, g) = squares_f32_grad(&x);
    assert_eq!(v, squares_f32(&x));
    for i in 0..3 {
        let expected = 4.0 * x[i] * x[i] * x[i];
        assert!(
            (g.x[i] - expected).abs() <= 1e-5 * expected.abs(),
            "{:?}",
            g.x
        );
    }
}

/// Generic: the running products p_k = x_0 ⋯ x_k pushed, summed. Closed form
/// ∂/∂x_j Σ_k p_k = Σ_{k ≥ j} p_k / x_j.
#[differentiate]
fn running_products<T: Float>(x: &[T]) -> T {
    let mut p: Vec<T> = Vec::new();
    for k in 0..x.len() {
        let before = if k == 0 { T::one() } else { p[k - 1] };
        p.push(before * x[k]);
    }
    p.iter().copied().fold(T::zero(), |a, b| a + b)
}

#[test]
fn push_generic() {
    let x = [1.5f64, -0.5, 2.0, 0.8];
    let (v, g) = running_products_grad(&x);
    assert_eq!(v, running_products(&x));
    let mut p = [0.0; 4];
    let mut acc = 1.0;
    for k in 0..4 {
        acc *= x[k];
        p[k] = acc;
    }
    for j in 0..4 {
        let expected: f64 = p[j..].iter().sum::<f64>() / x[j];
        assert!((g.x[j] - expected).abs() < 1e-12, "{:?}", g.x);
    }
    let x32 = [1.5f32, -0.5, 2.0, 0.8];
    let (v32, g32) = running_products_grad(&x32);
    assert_eq!(v32, running_products(&x32));
    for j in 0..4 {
        assert!((f64::from(g32.x[j]) - g.x[j]).abs() < 1e-4, "{:?}", g32.x);
    }
}

/// The fallbacks of unmarked callees must not hide marked ones: a marked function at the
/// top level, one reached through `use super::*`, and one called through a path.
#[differentiate]
fn square(t: f64) -> f64 {
    t * t
}

mod inner {
    use super::*;

    #[differentiate]
    pub fn through_glob(x: f64) -> f64 {
        square(x.sin()) * x
    }

    #[differentiate]
    pub fn cube(t: f64) -> f64 {
        t * t * t
    }
}

#[differentiate]
fn through_path(x: f64) -> f64 {
    inner::cube(x) + square(x)
}

#[test]
fn marked_callees_still_called() {
    let x = 0.7f64;
    let (_, g) = inner::through_glob_grad(x);
    // d/dx sin²x·x = 2 sin x cos x·x + sin²x
    let expected = 2.0 * x.sin() * x.cos() * x + x.sin() * x.sin();
    assert!((g.x - expected).abs() < 1e-12);
    let (_, g) = through_path_grad(x);
    assert!((g.x - (3.0 * x * x + 2.0 * x)).abs() < 1e-12);
    let (_, d) = through_path_jvp(x, &ThroughPathGrad { x: 1.0 });
    assert!((d - (3.0 * x * x + 2.0 * x)).abs() < 1e-12);
}
