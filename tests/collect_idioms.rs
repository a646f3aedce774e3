//! `.map(..).collect()` into a local `Vec` (then indexed, iterated, returned), in f64
//! (central differences), f32 (closed forms) and a generic function.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

/// Collected with a type annotation, with a turbofish, from a range, a zip and windows.
#[differentiate]
fn collected(x: &[f64], w: &[f64]) -> f64 {
    let e: Vec<f64> = x.iter().map(|v| v.exp()).collect();
    let products = x.iter().zip(w).map(|(a, b)| a * b).collect::<Vec<_>>();
    let n = x.len();
    let ramp: Vec<f64> = (0..n).map(|i| i as f64 * w[0]).collect();
    let steps: Vec<f64> = x.windows(2).map(|p| p[1] - p[0]).collect();
    let mut s = e[0] * e[n - 1];
    for (i, p) in products.iter().enumerate() {
        s += p * ramp[i];
    }
    for d in &steps {
        s += d * d;
    }
    s + e.iter().sum::<f64>()
}

#[test]
fn map_collect_into_a_local_vec() {
    probe!(p => collected, collected_grad, collected_vjp, [&p[..4], &p[4..8]], [x, w],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2, 0.4, 0.9]);
}

/// The function's value is a collected `Vec`.
#[differentiate]
fn scaled(x: &[f64], c: f64) -> Vec<f64> {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    x.iter().map(|v| (c * (v - m)).exp()).collect()
}

#[test]
fn collected_result() {
    let x = [0.5, -1.0, 1.5];
    let c = 0.7;
    let seed = vec![1.0, -2.0, 0.5];
    let (v, g) = scaled_vjp(&x, c, seed.clone());
    assert_eq!(v, scaled(&x, c));
    // y_i = exp(c (x_i − x_2)), x_2 the maximum: ∂y_i/∂x_j = c y_i (δ_ij − δ_2j),
    // ∂y_i/∂c = (x_i − x_2) y_i.
    let mut dx = [0.0; 3];
    let mut dc = 0.0;
    for i in 0..3 {
        dx[i] += seed[i] * c * v[i];
        dx[2] -= seed[i] * c * v[i];
        dc += seed[i] * (x[i] - x[2]) * v[i];
    }
    for j in 0..3 {
        assert!((g.x[j] - dx[j]).abs() < 1e-12, "{:?} vs {dx:?}", g.x);
    }
    assert!((g.c - dc).abs() < 1e-12);
}

/// f32: Σ_i y_i², y = x ⊙ x collected, closed form 4 x³.
#[differentiate]
fn squares_f32(x: &[f32]) -> f32 {
    let y: Vec<f32> = x.iter().map(|v| v * v).collect();
    let mut s = 0.0;
    for v in y.iter() {
        s += v * v;
    }
    s
}

#[test]
fn collect_f32() {
    let x = [1.0f32, -2.0, 0.5];
    let (v, g) = squares_f32_grad(&x);
    assert_eq!(v, squares_f32(&x));
    assert_eq!(g.x, vec![4.0, -32.0, 0.5]);
}

/// Generic: a collected `Vec<T>` of a chunked slice.
#[differentiate]
fn chunk_norms<T: Float>(x: &[T]) -> T {
    let sums: Vec<T> = x
        .chunks(2)
        .map(|c| {
            let mut s = T::zero();
            for &v in c {
                s = s + v * v;
            }
            s
        })
        .collect();
    let mut total = T::zero();
    for s in sums.iter() {
        total = total + s.sqrt();
    }
    total
}

#[test]
fn collect_generic() {
    probe!(p => chunk_norms, chunk_norms_grad, chunk_norms_vjp, [&p[..5]], [x],
        [0.5, -1.0, 1.5, 0.3, -0.7]);
    let x = [3.0f32, 4.0, 2.0];
    let (v, g) = chunk_norms_grad(&x);
    assert_eq!(v, chunk_norms(&x));
    // |(x0, x1)| + |x2|.
    assert_eq!(g.x, vec![0.6, 0.8, 1.0]);
}

/// A block-bodied closure capturing a differentiated value (once a trybuild case: collecting
/// had no rule, and before that this compiled and dropped ∂/∂bias).
#[differentiate(wrt(bias))]
#[rustfmt::skip]
fn capturing(xs: &[f64], bias: f64) -> f64 {
    let v: Vec<f64> = xs.iter().map(|w| { w + bias }).collect();
    v[0] * v[1]
}

#[test]
fn collect_of_a_closure_capturing_a_differentiated_value() {
    let xs = [0.5, -2.0];
    let bias = 0.25;
    let (v, g) = capturing_grad(&xs, bias);
    assert_eq!(v, capturing(&xs, bias));
    // (x0 + b)(x1 + b): ∂/∂b = x0 + x1 + 2b.
    assert_eq!(g.bias, 0.5 - 2.0 + 0.5);
}

/// A collected vector reassigned whole in a loop (a time-stepping scheme's state:
/// `v = next;`), against central differences, and after one step against its closed form.
#[differentiate]
fn stepped(a: f64, n: usize) -> f64 {
    let mut v: Vec<f64> = (0..3).map(|i| i as f64).collect();
    for _ in 0..n {
        let mut next = vec![0.0; 3];
        next[1] = a * v[1];
        next[2] = 0.5 * (v[1] + v[2]) * a;
        v = next;
    }
    v[1] + v[2]
}

#[test]
fn collected_then_reassigned_whole_in_a_loop() {
    let (a, n) = (1.3, 4);
    let (value, g) = stepped_grad(a, n);
    assert_eq!(value, stepped(a, n));
    let h = 1e-6;
    let fd = (stepped(a + h, n) - stepped(a - h, n)) / (2.0 * h);
    assert!(
        (g.a - fd).abs() < 1e-6 * (1.0 + fd.abs()),
        "{} against {fd}",
        g.a
    );
    let (_, g1) = stepped_grad(a, 1);
    // After one step: v₁ = a, v₂ = (1 + 2)·a/2, so the sum is 2.5a: ∂ = 2.5.
    assert!((g1.a - 2.5).abs() < 1e-15);
}
