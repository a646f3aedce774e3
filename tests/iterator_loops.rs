//! `for` loops over chains the desugaring pre-pass writes as loops lowering iterates:
//! `.iter().rev()` (with `.copied()`, `.cloned()`, `.enumerate()`) and `.map(f)`, in f64
//! (central differences), f32 (closed forms) and a generic function.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

#[differentiate]
fn rev_horner(coeffs: &[f64], t: f64) -> f64 {
    let mut acc = 0.0;
    for &c in coeffs.iter().rev() {
        acc = acc * t + c;
    }
    acc
}

#[test]
fn for_over_iter_rev() {
    probe!(p => rev_horner, rev_horner_grad, rev_horner_vjp, [&p[..3], p[3]], [coeffs, t], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn rev_enumerate(xs: &[f64; 3], t: f64) -> f64 {
    let mut acc = t;
    for (i, x) in xs.iter().copied().enumerate().rev() {
        acc = acc.sin() * x + i as f64 * t;
    }
    acc
}

#[test]
fn for_over_enumerate_rev() {
    probe!(p => rev_enumerate, rev_enumerate_grad, rev_enumerate_vjp, [&[p[0], p[1], p[2]], p[3]], [xs, t], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn rev_f32(xs: &[f32; 3]) -> f32 {
    let mut acc = 0.0;
    for x in xs.iter().cloned().rev() {
        acc = acc * 2.0 + x;
    }
    acc
}

#[test]
fn for_over_cloned_rev_f32() {
    let xs = [1.0f32, -2.0, 0.5];
    let (v, g) = rev_f32_grad(&xs);
    assert_eq!(v, rev_f32(&xs));
    // 4 x2 + 2 x1 + x0.
    assert_eq!(g.xs, [1.0, 2.0, 4.0]);
}

#[differentiate]
fn map_loop(xs: &[f64], w: f64) -> f64 {
    let mut total = 0.0;
    for (i, y) in xs.iter().map(|&x| (w * x).tanh()).enumerate() {
        total += y * (i as f64 + 1.0);
    }
    total
}

#[test]
fn for_over_map_then_enumerate() {
    probe!(p => map_loop, map_loop_grad, map_loop_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn map_loop_plain(xs: &[f64], w: f64) -> f64 {
    let mut total = 0.0;
    for y in xs.iter().map(|&x| {
        let s = w * x;
        s.tanh()
    }) {
        total += y * y;
    }
    total
}

#[test]
fn for_over_map_with_a_block_closure_capturing_an_active_value() {
    probe!(p => map_loop_plain, map_loop_plain_grad, map_loop_plain_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn map_path_loop<T: Float>(xs: &[T]) -> T {
    let mut total = T::zero();
    for e in xs.iter().copied().map(T::exp).rev() {
        total = total + e;
    }
    total
}

#[test]
fn generic_for_over_map_path() {
    probe!(p => map_path_loop, map_path_loop_grad, map_path_loop_vjp, [&p[..]], [xs], [0.5, -1.2, 2.0]);
    let xs = [0.5f32, -1.0];
    let (v, g) = map_path_loop_grad(&xs);
    assert_eq!(v, map_path_loop(&xs));
    assert_eq!(g.xs, vec![0.5f32.exp(), (-1.0f32).exp()]);
}
