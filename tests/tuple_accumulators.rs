//! Tuples of accumulators, as users write them: `fold((0.0, 0.0), |(s, q), v| ..)` and
//! `let mut acc = (0.0, 1.0); for .. { acc = (acc.0 + v, ..) }`. A fold is split into one
//! accumulator per element (each a value of its own, so a count beside a sum stays data);
//! a tuple of float literals bound to a local takes the signature's float type. Found by
//! the unseen corpus (session 32: rustc E0689 "can't call method `powi` on ambiguous
//! numeric type `{float}`" inside generated code). Oracles: closed forms, central
//! differences, `f_jvp` against `f_vjp`; f64 and generic code in f32.
#![allow(clippy::needless_range_loop)]

use tapeless::check::central_difference;
use tapeless::differentiate;

#[path = "support/close.rs"]
mod support;
use support::close;

const X: [f64; 4] = [0.5, -1.25, 2.0, 0.75];

/// Σx² − (Σx)², the unseen corpus's reproducer.
#[differentiate]
fn spread(x: &[f64]) -> f64 {
    let (s, s2) = x.iter().fold((0.0, 0.0), |(a, b), v| (a + v, b + v * v));
    s2 - s.powi(2)
}

#[test]
fn a_sum_and_a_sum_of_squares_in_closed_form() {
    let (value, g) = spread_grad(&X);
    assert_eq!(value, spread(&X));
    let total: f64 = X.iter().sum();
    let want: Vec<f64> = X.iter().map(|x| 2.0 * x - 2.0 * total).collect();
    close("spread", &g.x, &want, 1e-14);
}

/// The mean and the variance from a count beside two sums: the count stays data.
#[differentiate]
fn variance(x: &[f64]) -> f64 {
    let (n, s, s2) = x.iter().fold((0.0, 0.0, 0.0), |(n, s, s2), &v| {
        (n + 1.0, s + v, s2 + v * v)
    });
    let mean = s / n;
    s2 / n - mean.powi(2)
}

#[test]
fn a_count_beside_two_sums() {
    let (value, g) = variance_grad(&X);
    assert_eq!(value, variance(&X));
    let n = X.len() as f64;
    let mean = X.iter().sum::<f64>() / n;
    let want: Vec<f64> = X.iter().map(|x| 2.0 * (x - mean) / n).collect();
    close("variance", &g.x, &want, 1e-14);
}

/// A block body, a `max` beside a sum, and a chain under the fold.
#[differentiate]
fn peak_and_energy(x: &[f64], w: &[f64]) -> f64 {
    let (peak, energy) = x
        .iter()
        .zip(w)
        .fold((f64::NEG_INFINITY, 0.0), |(m, e), (a, b)| {
            let t = a * b;
            (m.max(t), e + t * t)
        });
    peak.exp() + energy.sqrt()
}

#[test]
fn a_block_body_against_differences() {
    let w = [0.3, 0.8, -0.2, 1.1];
    let (_, g) = peak_and_energy_grad(&X, &w);
    let fd = central_difference(|q| peak_and_energy(q, &w), &X);
    close("peak_and_energy x", &g.x, &fd, 1e-8);
    let fd_w = central_difference(|q| peak_and_energy(&X, q), &w);
    close("peak_and_energy w", &g.w, &fd_w, 1e-8);
}

/// A tuple accumulator in a `for` loop, its literals typed by the signature.
#[differentiate]
fn tuple_loop(x: &[f64]) -> f64 {
    let mut acc = (0.0, 1.0);
    for v in x {
        acc = (acc.0 + v, acc.1 * v);
    }
    acc.0.powi(2) + acc.1.sin()
}

#[test]
fn a_tuple_carried_by_a_loop() {
    let (value, g) = tuple_loop_grad(&X);
    assert_eq!(value, tuple_loop(&X));
    let fd = central_difference(tuple_loop, &X);
    close("tuple_loop", &g.x, &fd, 1e-8);
    // ⟨J t, 1⟩ = ⟨t, ∇f⟩.
    let t = [0.2, -0.7, 0.4, 1.3];
    let (_, dy) = tuple_loop_jvp(&X, &TupleLoopGrad { x: t.to_vec() });
    let dot: f64 = t.iter().zip(&g.x).map(|(a, b)| a * b).sum();
    assert!((dy - dot).abs() < 1e-12 * (1.0 + dot.abs()));
}

/// A tuple of constants, read in arithmetic and by methods.
#[differentiate]
fn tuple_let(x: f64) -> f64 {
    let p = (0.5, -2.0);
    let q = (p.0 * x, p.1 + x);
    q.0.powi(2) + q.1.abs().sqrt()
}

#[test]
fn a_tuple_of_constants_in_closed_form() {
    let x = 0.75_f64;
    let (value, g) = tuple_let_grad(x);
    assert_eq!(value, tuple_let(x));
    // d/dx[(x/2)² + √|x − 2|] = x/2 − 1/(2√(2 − x)) for x < 2.
    let want = x / 2.0 - 0.5 / (2.0 - x).sqrt();
    assert!((g.x - want).abs() < 1e-14);
}

/// Generic code: a sum beside a product of data, in f32 and f64.
#[differentiate(wrt(x))]
fn weighted<T: num_traits::Float>(x: &[T], w: &[f64]) -> T {
    let (s, q) = x
        .iter()
        .zip(w)
        .fold((T::zero(), 1.0), |(a, b), (v, u)| (a + *v, b * u));
    s.powi(2) * T::from(q.sin()).unwrap()
}

#[test]
fn generic_code_with_a_data_accumulator() {
    let w = [0.3, 0.8, -0.2, 1.1];
    let (_, g) = weighted_grad(&X, &w);
    let q: f64 = w.iter().product();
    let s: f64 = X.iter().sum();
    for gi in &g.x {
        assert!((gi - 2.0 * s * q.sin()).abs() < 1e-13);
    }
    let x32: Vec<f32> = X.iter().map(|&v| v as f32).collect();
    let (_, g32) = weighted_grad(&x32, &w);
    for gi in &g32.x {
        assert!((f64::from(*gi) - 2.0 * s * q.sin()).abs() < 1e-5);
    }
}
