//! `fold` with a closure or a function path, `.map(f64::exp)`-style paths, `reduce`,
//! `min_by`/`max_by` with `partial_cmp`/`total_cmp`, and `count()` (the desugaring
//! pre-pass writes them as the loops they mean), in f64 (central differences), f32
//! (closed forms) and generic functions.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

#[differentiate]
fn fold_max(xs: &[f64]) -> f64 {
    let m = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m * m
}

#[test]
fn fold_with_f64_max_path() {
    probe!(p => fold_max, fold_max_grad, fold_max_vjp, [&p[..]], [xs], [0.3, 1.7, -2.0, 0.9]);
}

#[differentiate]
fn fold_min(xs: &[f64; 3], x: f64) -> f64 {
    xs.iter().copied().fold(x, f64::min).exp()
}

#[test]
fn fold_with_f64_min_path_and_active_init() {
    probe!(p => fold_min, fold_min_grad, fold_min_vjp, [&[p[0], p[1], p[2]], p[3]], [xs, x], [0.3, -0.7, 0.9, 0.1]);
    probe!(p => fold_min, fold_min_grad, fold_min_vjp, [&[p[0], p[1], p[2]], p[3]], [xs, x], [0.3, 0.7, 0.9, -0.1]);
}

#[differentiate]
fn fold_horner(coeffs: &[f64], t: f64) -> f64 {
    coeffs.iter().rev().fold(0.0, |acc, &c| acc * t + c)
}

#[test]
fn fold_closure_horner_over_rev() {
    probe!(p => fold_horner, fold_horner_grad, fold_horner_vjp, [&p[..3], p[3]], [coeffs, t], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn fold_block(xs: &[f64], w: f64) -> f64 {
    let total = xs.iter().fold(1.0, |acc: f64, x| {
        let scaled = w * x;
        if scaled > 0.0 {
            acc + scaled.sin()
        } else {
            acc * scaled.cos()
        }
    });
    total * w
}

#[test]
fn fold_block_closure_capturing_an_active_value() {
    probe!(p => fold_block, fold_block_grad, fold_block_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn fold_zip(xs: &[f64], ys: &[f64]) -> f64 {
    xs.iter()
        .zip(ys)
        .fold(0.0, |acc, (x, y)| acc + (x - y) * (x - y))
}

#[test]
fn fold_over_zip() {
    probe!(p => fold_zip, fold_zip_grad, fold_zip_vjp, [&p[..2], &p[2..]], [xs, ys], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn map_path(xs: &[f64]) -> f64 {
    let s: f64 = xs.iter().copied().map(f64::exp).sum();
    s.ln()
}

#[test]
fn map_with_f64_exp_path() {
    probe!(p => map_path, map_path_grad, map_path_vjp, [&p[..]], [xs], [0.5, -1.2, 2.0]);
}

#[differentiate]
fn fold_f32(xs: &[f32; 3]) -> f32 {
    let m = xs.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    xs.iter().fold(0.0, |acc, &x| acc + x * m)
}

#[test]
fn fold_max_and_closure_f32() {
    let xs = [0.5f32, 2.0, -1.0];
    let (v, g) = fold_f32_grad(&xs);
    assert_eq!(v, fold_f32(&xs));
    // m Σx with m = x1: ∂x0 = m, ∂x1 = m + Σx, ∂x2 = m.
    assert_eq!(g.xs, [2.0, 2.0 + 1.5, 2.0]);
}

#[differentiate]
fn fold_generic<T: Float>(xs: &[T], x: T) -> T {
    let m = xs.iter().fold(T::neg_infinity(), |a, &b| a.max(b));
    let n = xs.iter().copied().fold(m, T::min);
    (m - n) * x + xs.iter().copied().map(T::exp).fold(x, |a, e| a + e)
}

#[test]
fn fold_generic_closure_and_paths() {
    probe!(p => fold_generic, fold_generic_grad, fold_generic_vjp, [&p[..3], p[3]], [xs, x], [0.5, -1.2, 2.0, 0.8]);
    let xs = [0.5f32, -1.0, 2.0];
    let (v, g) = fold_generic_grad(&xs, 0.25f32);
    assert_eq!(v, fold_generic(&xs, 0.25f32));
    // (max − min) x + x + Σeˣⁱ: ∂x = 3 + 1.
    assert_eq!(g.x, 4.0);
}

#[differentiate]
fn reduce_closure(xs: &[f64], w: f64) -> f64 {
    xs.iter()
        .copied()
        .reduce(|acc, x| acc * w + x.sin())
        .unwrap()
}

#[test]
fn reduce_with_a_closure_from_the_first_element() {
    probe!(p => reduce_closure, reduce_closure_grad, reduce_closure_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn reduce_path(xs: &[f64; 3]) -> f64 {
    let m = xs.iter().copied().reduce(f64::max).unwrap();
    m * m
}

#[test]
fn reduce_with_f64_max_path() {
    probe!(p => reduce_path, reduce_path_grad, reduce_path_vjp, [&[p[0], p[1], p[2]]], [xs], [0.5, -1.2, 2.0]);
}

#[differentiate]
fn min_max_by(xs: &[f64]) -> f64 {
    let lo = xs
        .iter()
        .copied()
        .min_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap();
    let hi = xs.iter().max_by(|a, b| a.total_cmp(b)).unwrap();
    let lo_again = xs.iter().max_by(|a, b| b.partial_cmp(a).unwrap()).unwrap();
    (hi - lo) * lo_again.exp()
}

#[test]
fn min_by_and_max_by_partial_cmp() {
    probe!(p => min_max_by, min_max_by_grad, min_max_by_vjp, [&p[..]], [xs], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn count_mean(xs: &[f64]) -> f64 {
    let n = xs.iter().count() as f64;
    xs.iter().sum::<f64>() / n
}

#[test]
fn count_of_a_slice_iterator() {
    probe!(p => count_mean, count_mean_grad, count_mean_vjp, [&p[..]], [xs], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn reduce_f32(xs: &[f32; 3]) -> f32 {
    let hi = xs.iter().max_by(|a, b| a.partial_cmp(b).unwrap()).unwrap();
    xs.iter().copied().reduce(|a, b| a * b).unwrap() + hi
}

#[test]
fn reduce_and_max_by_f32() {
    let xs = [0.5f32, 2.0, -1.0];
    let (v, g) = reduce_f32_grad(&xs);
    assert_eq!(v, reduce_f32(&xs));
    // x0 x1 x2 + x1: ∂x0 = x1 x2, ∂x1 = x0 x2 + 1, ∂x2 = x0 x1.
    assert_eq!(g.xs, [-2.0, 0.5, 1.0]);
}

#[differentiate]
fn reduce_generic<T: Float>(xs: &[T]) -> T {
    let lo = xs.iter().copied().reduce(T::min).unwrap();
    let hi = xs
        .iter()
        .copied()
        .max_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap();
    hi * hi - lo
}

#[test]
fn reduce_and_max_by_generic() {
    probe!(p => reduce_generic, reduce_generic_grad, reduce_generic_vjp, [&p[..]], [xs], [0.5, -1.2, 2.0]);
    let (v, g) = reduce_generic_grad(&[0.5f32, -1.0, 2.0]);
    assert_eq!(v, reduce_generic(&[0.5f32, -1.0, 2.0]));
    assert_eq!(g.xs, vec![0.0, -1.0, 4.0]);
}

// `min_by`/`max_by` select exactly what the standard library selects: the first minimum,
// the last maximum, signed zeros and NaN ordered by the closure (found by the QA pass of the
// pre-pass: a rewrite into `min`/`max` returned +0.0 for -0.0 and skipped a NaN).
#[differentiate]
fn max_by_partial_reciprocal(xs: &[f64]) -> f64 {
    1.0 / xs
        .iter()
        .copied()
        .max_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap()
}

#[differentiate]
fn min_by_total_reciprocal(xs: &[f64]) -> f64 {
    1.0 / xs.iter().copied().min_by(|a, b| a.total_cmp(b)).unwrap()
}

#[differentiate]
fn max_by_total(xs: &[f64]) -> f64 {
    xs.iter().copied().max_by(|a, b| a.total_cmp(b)).unwrap()
}

#[test]
fn max_by_keeps_the_last_of_equal_signed_zeros() {
    let xs = [0.0, -0.0];
    let (v, g) = max_by_partial_reciprocal_grad(&xs);
    assert_eq!(v, max_by_partial_reciprocal(&xs));
    assert_eq!(v, f64::NEG_INFINITY);
    // d(1/x)/dx at the selected element (the last), nothing to the other.
    assert_eq!(g.xs[0], 0.0);
    assert!(g.xs[1].is_infinite());
}

#[test]
fn min_by_total_cmp_orders_negative_zero_first() {
    let xs = [0.0, -0.0];
    let (v, g) = min_by_total_reciprocal_grad(&xs);
    assert_eq!(v, min_by_total_reciprocal(&xs));
    assert_eq!(v, f64::NEG_INFINITY);
    assert_eq!(g.xs[0], 0.0);
}

#[test]
fn max_by_total_cmp_selects_nan() {
    let xs = [1.0, f64::NAN];
    let (v, g) = max_by_total_grad(&xs);
    assert!(v.is_nan() && max_by_total(&xs).is_nan());
    // The derivative follows the element returned (the NaN), not the 1.0.
    assert_eq!(g.xs[0], 0.0);
    assert_eq!(g.xs[1], 1.0);
}

#[test]
fn min_by_and_max_by_give_ties_to_the_first_minimum_and_the_last_maximum() {
    let xs = [2.0, 1.0, 1.0, 2.0];
    let (v, g) = min_max_by_grad(&xs);
    assert_eq!(v, min_max_by(&xs));
    // (hi - lo)·e^{lo_again}: hi is the last 2.0 (total_cmp max_by), lo the first 1.0,
    // lo_again = max_by of the reversed order = the last minimum, the second 1.0.
    let e = 1.0f64.exp();
    assert_eq!(g.xs, vec![0.0, -e, e, e]);
}
