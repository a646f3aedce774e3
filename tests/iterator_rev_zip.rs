//! Reversed and multiply zipped iteration (found by the adversarial pass of 2026-12-07):
//! `w.iter().rev().zip(taps)` (a FIR filter's convolution), `a.iter().zip(b.iter().rev())`,
//! `a.iter().rev().map(f).sum()`, `for (i, x) in a.iter().rev().enumerate()` (counting from 0
//! while the elements run from the last), and three slices zipped, `((a, b), c)`. Each
//! against central differences (value bit for bit, the VJP linear in its seed), with slices
//! of different lengths (a zip stops at the shorter), and in `f32` generic code.

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use num_traits::Float;
use tapeless::differentiate;

#[differentiate]
fn fir(w: &[f64], taps: &[f64]) -> f64 {
    w.iter().rev().zip(taps).map(|(a, b)| a * b).sum()
}

#[differentiate]
fn against_reversed(w: &[f64], taps: &[f64]) -> f64 {
    let mut s = 0.0;
    for (a, &b) in w.iter().zip(taps.iter().rev()) {
        s += a.sin() * b;
    }
    s
}

#[differentiate]
fn reversed_sum(a: &[f64]) -> f64 {
    a.iter().rev().map(|x| x * x.exp()).sum()
}

#[differentiate]
fn reversed_counted(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, &x) in a.iter().rev().enumerate() {
        s += (i as f64 + 1.0) * x * x;
    }
    s
}

#[differentiate]
fn three_zipped(u: &[f64], f: &[f64], w: &[f64]) -> f64 {
    let mut s = u
        .iter()
        .zip(f)
        .zip(w)
        .map(|((a, b), c)| a * b * c)
        .sum::<f64>();
    for ((a, b), c) in u.iter().zip(f.iter().rev()).zip(w) {
        s += a * b - c.cos();
    }
    s
}

/// `(a, (b, c))` of a zip inside a zip's argument, and `.rev()` with `.skip(k)`/`.take(k)`
/// in either order, on either side.
#[differentiate]
fn nested_and_trimmed(u: &[f64], f: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for (a, (b, c)) in u.iter().zip(f.iter().zip(w.iter().rev())) {
        s += a * b + c * c;
    }
    let skipped: f64 = u
        .iter()
        .rev()
        .skip(1)
        .zip(w)
        .map(|(a, b)| a * b.sin())
        .sum();
    let taken: f64 = u
        .iter()
        .skip(1)
        .rev()
        .zip(f.iter().rev().take(2))
        .map(|(a, b)| a * b)
        .sum();
    s + skipped + 2.0 * taken
}

/// `.enumerate().rev()` in a reduction: the indices run backwards with their elements.
#[differentiate]
fn counted_backwards(a: &[f64]) -> f64 {
    let weighted: f64 = a
        .iter()
        .enumerate()
        .rev()
        .map(|(i, x)| x * x * (i as f64 + 1.0))
        .sum();
    // The first element met is the last one: a product makes the order visible.
    let chained = a
        .iter()
        .enumerate()
        .rev()
        .fold(1.0, |acc, (i, &x)| acc * 0.5 + x * i as f64);
    weighted + chained
}

fn counted_backwards_by_hand(a: &[f64]) -> f64 {
    let mut weighted = 0.0;
    let mut chained = 1.0;
    for i in (0..a.len()).rev() {
        weighted += a[i] * a[i] * (i as f64 + 1.0);
        chained = chained * 0.5 + a[i] * i as f64;
    }
    weighted + chained
}

/// The same loops written by index, the oracle of its value.
fn nested_and_trimmed_by_hand(u: &[f64], f: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..u.len().min(f.len()).min(w.len()) {
        let c = w[w.len() - 1 - k];
        s += u[k] * f[k] + c * c;
    }
    let mut skipped = 0.0;
    for k in 0..(u.len() - 1).min(w.len()) {
        skipped += u[u.len() - 2 - k] * w[k].sin();
    }
    let mut taken = 0.0;
    for k in 0..(u.len() - 1).min(2).min(f.len()) {
        taken += u[u.len() - 1 - k] * f[f.len() - 1 - k];
    }
    s + skipped + 2.0 * taken
}

#[differentiate]
fn generic<T: Float>(w: &[T], taps: &[T]) -> T {
    w.iter()
        .rev()
        .zip(taps)
        .map(|(&a, &b)| a * b.tanh())
        .fold(T::zero(), |s, v| s + v)
}

const W: [f64; 5] = [0.5, -1.0, 2.0, 0.3, -0.7];
const TAPS: [f64; 3] = [1.0, 2.0, -0.5];

#[test]
fn reversed_and_zipped() {
    let point = [&W[..], &TAPS[..]].concat();
    probe!(p => fir, fir_grad, fir_vjp, [&p[..5], &p[5..]], [w, taps], point);
    probe!(p => against_reversed, against_reversed_grad, against_reversed_vjp,
        [&p[..5], &p[5..]], [w, taps], point);
    // fir: w reversed is (−0.7, 0.3, 2.0, −1.0, 0.5), paired with the three taps.
    let (value, g) = fir_grad(&W, &TAPS);
    assert_eq!(value, -0.7 * 1.0 + 0.3 * 2.0 + 2.0 * -0.5);
    assert_eq!(g.w, vec![0.0, 0.0, -0.5, 2.0, 1.0]);
    assert_eq!(g.taps, vec![-0.7, 0.3, 2.0]);
}

#[test]
fn reversed_reductions_and_counts() {
    probe!(p => reversed_sum, reversed_sum_grad, reversed_sum_vjp, [p], [a], W);
    probe!(p => reversed_counted, reversed_counted_grad, reversed_counted_vjp, [p], [a], W);
    // The last element is counted first: ∂/∂a[n−1−i] = 2 (i + 1) a[n−1−i].
    let (_, g) = reversed_counted_grad(&W);
    for (k, (d, x)) in g.a.iter().zip(W).enumerate() {
        assert_eq!(*d, 2.0 * (W.len() - k) as f64 * x);
    }
}

#[test]
fn three_slices_zipped() {
    let point = [&W[..], &TAPS[..], &W[1..4]].concat();
    probe!(p => three_zipped, three_zipped_grad, three_zipped_vjp,
        [&p[..5], &p[5..8], &p[8..]], [u, f, w], point);
}

#[test]
fn nested_zips_and_trimmed_reversals() {
    for (u, f, w) in [(&W[..], &TAPS[..], &W[1..4]), (&W[..3], &W[..], &TAPS[..])] {
        let value = nested_and_trimmed(u, f, w);
        let by_hand = nested_and_trimmed_by_hand(u, f, w);
        assert!((value - by_hand).abs() < 1e-12 * by_hand.abs().max(1.0));
        let point = [u, f, w].concat();
        let (nu, nf) = (u.len(), f.len());
        probe!(p => nested_and_trimmed, nested_and_trimmed_grad, nested_and_trimmed_vjp,
            [&p[..nu], &p[nu..nu + nf], &p[nu + nf..]], [u, f, w], point);
    }
}

#[test]
fn enumerated_then_reversed() {
    let value = counted_backwards(&W);
    assert!((value - counted_backwards_by_hand(&W)).abs() < 1e-12 * value.abs().max(1.0));
    probe!(p => counted_backwards, counted_backwards_grad, counted_backwards_vjp, [p], [a], W);
}

#[test]
fn generic_in_f64_and_f32() {
    let point = [&W[..], &TAPS[..]].concat();
    probe!(p => generic, generic_grad, generic_vjp, [&p[..5], &p[5..]], [w, taps], point);
    let w32: Vec<f32> = W.iter().map(|&v| v as f32).collect();
    let taps32: Vec<f32> = TAPS.iter().map(|&v| v as f32).collect();
    let (_, g32) = generic_grad(&w32, &taps32);
    let (_, g64) = generic_grad(&W, &TAPS);
    for (a, b) in g32
        .w
        .iter()
        .zip(&g64.w)
        .chain(g32.taps.iter().zip(&g64.taps))
    {
        assert!((f64::from(*a) - b).abs() < 1e-5 * b.abs().max(1.0));
    }
}
