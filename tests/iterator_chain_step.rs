//! `for` over `a.iter().chain(b)` (two loops) and over `xs.iter().step_by(k)` (a step over
//! the indices), also inside `fold`: f64 (central differences), f32 (closed form) and a
//! generic function.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

/// Chains of slices in every spelling, with `continue`, `map` and `enumerate` after them.
#[differentiate]
fn chained(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in a.iter().chain(b.iter()) {
        s += x * x;
    }
    for &x in a.iter().chain(b) {
        if x < -0.9 {
            continue;
        }
        s += x.sin();
    }
    for x in a.iter().copied().chain(b.iter().copied()).map(|v| v * 2.0) {
        s += x.exp() * 0.1;
    }
    let folded = a
        .iter()
        .chain(&b[1..])
        .fold(1.0, |acc, x| acc * (1.0 + 0.5 * x));
    s + folded
}

#[test]
fn chain_in_for_and_fold() {
    probe!(p => chained, chained_grad, chained_vjp, [&p[..3], &p[3..6]], [a, b],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2]);
}

/// Steps over a slice: by reference, copied, enumerated, and folded.
#[differentiate]
fn stepped(x: &[f64], k: usize) -> f64 {
    let mut s = 0.0;
    for v in x.iter().step_by(2) {
        s += v * v;
    }
    for (i, v) in x.iter().copied().enumerate().step_by(k) {
        s += (i as f64 + 1.0) * v.tanh();
    }
    s + x
        .iter()
        .step_by(3)
        .fold(0.0, |acc: f64, v| acc.max(*v) + v * 0.25)
}

#[test]
fn step_by_over_a_slice() {
    probe!(p => stepped, stepped_grad, stepped_vjp, [&p[..], 3], [x],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2, 0.8]);
}

/// f32: Σ over the even positions of x_i³; closed form 3 x_i² at even i, 0 elsewhere.
#[differentiate]
fn even_cubes(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for &v in x.iter().step_by(2) {
        s += v * v * v;
    }
    s
}

#[test]
fn step_by_f32() {
    let x = [1.0f32, -2.0, 0.5, 3.0, -1.5];
    let (v, g) = even_cubes_grad(&x);
    assert_eq!(v, even_cubes(&x));
    for i in 0..5 {
        let expected = if i % 2 == 0 { 3.0 * x[i] * x[i] } else { 0.0 };
        assert!((g.x[i] - expected).abs() <= 1e-5, "{:?}", g.x);
    }
}

/// Generic: w·Σ x², x over both slices through a chain; closed forms ∂/∂a_i = 2w·a_i,
/// ∂/∂b_j = 2w·b_j, ∂/∂w = Σa² + Σb².
#[differentiate]
fn weighted<T: Float>(a: &[T], b: &[T], w: T) -> T {
    let mut s = T::zero();
    for &x in a.iter().chain(b) {
        s = s + w * x * x;
    }
    s
}

#[test]
fn chain_generic() {
    let (a, b, w) = ([1.0f64, 2.0], [0.5f64, -1.0, 3.0], 0.7f64);
    let (v, g) = weighted_grad(&a, &b, w);
    assert_eq!(v, weighted(&a, &b, w));
    for i in 0..2 {
        assert!((g.a[i] - 2.0 * w * a[i]).abs() < 1e-12);
    }
    for j in 0..3 {
        assert!((g.b[j] - 2.0 * w * b[j]).abs() < 1e-12);
    }
    let expected: f64 = a.iter().chain(&b).map(|x| x * x).sum();
    assert!((g.w - expected).abs() < 1e-12);
    let (a32, b32) = ([1.0f32, 2.0], [0.5f32, -1.0, 3.0]);
    let (v32, g32) = weighted_grad(&a32, &b32, 0.7f32);
    assert_eq!(v32, weighted(&a32, &b32, 0.7f32));
    assert!((f64::from(g32.w) - expected).abs() < 1e-5);
}
