//! Iterator chains in compositions the QA pass of session 30 met rejected: two `.map`s in a
//! row before a reduction, a chain bound by `let` and then iterated, a `fold` whose
//! accumulator is a tuple, `chunks_exact`. Each against the untouched function's value,
//! central differences and closed forms.

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

const X: [f64; 7] = [0.3, -0.5, 0.8, 0.1, -0.9, 0.4, 0.6];
const W: [f64; 7] = [1.5, 0.2, -0.7, 0.9, 0.3, -1.1, 0.5];

#[track_caller]
fn check(f: impl FnMut(&[f64]) -> f64, x: &[f64], g: &[f64]) {
    if let Err(e) = check_gradient(f, x, g, Tolerance::default()) {
        panic!("{e}\nanalytic {g:?}");
    }
}

#[differentiate]
fn two_maps(x: &[f64]) -> f64 {
    x.iter().map(|v| v * 2.0).map(|y| y.exp()).sum()
}

#[differentiate]
fn map_then_path(x: &[f64]) -> f64 {
    x.iter().map(|v| v * 2.0).map(f64::exp).sum::<f64>()
}

#[differentiate]
fn zip_then_two_maps(x: &[f64], w: &[f64]) -> f64 {
    x.iter()
        .zip(w)
        .map(|(a, b)| a * b)
        .map(|t| t.tanh())
        .product()
}

#[differentiate]
fn two_maps_generic<T: Float + std::iter::Sum>(x: &[T]) -> T {
    x.iter().map(|&v| v * v).map(|y| y.sin()).sum()
}

#[test]
fn two_maps_before_a_reduction() {
    let (value, g) = two_maps_grad(&X);
    assert_eq!(value, two_maps(&X));
    let want: Vec<f64> = X.iter().map(|v| 2.0 * (2.0 * v).exp()).collect();
    assert_eq!(g.x, want);
    let (value, g) = map_then_path_grad(&X);
    assert_eq!(value, map_then_path(&X));
    assert_eq!(g.x, want);
    let (value, g) = zip_then_two_maps_grad(&X, &W);
    assert_eq!(value, zip_then_two_maps(&X, &W));
    check(|x| zip_then_two_maps(x, &W), &X, &g.x);
    check(|w| zip_then_two_maps(&X, w), &W, &g.w);
    let (_, g) = two_maps_generic_grad(&X);
    let want: Vec<f64> = X.iter().map(|v| 2.0 * v * (v * v).cos()).collect();
    assert_eq!(g.x, want);
    let x32: Vec<f32> = X.iter().map(|&v| v as f32).collect();
    let (_, g) = two_maps_generic_grad(&x32);
    for (a, v) in g.x.iter().zip(&x32) {
        assert!((a - 2.0 * v * (v * v).cos()).abs() < 1e-6);
    }
}

// A chain bound by `let`, then iterated once.
#[differentiate]
fn bound_chain(t: &[f64], c: &[f64]) -> f64 {
    let observed = t.iter().zip(c).filter(|(tt, _)| **tt > 0.2);
    let mut s = 0.0;
    for (tt, cc) in observed {
        s += tt * cc * cc;
    }
    let squares = c.iter().map(|v| v * v);
    s + squares.sum::<f64>()
}

#[test]
fn a_chain_bound_by_let_then_used_once() {
    let (value, g) = bound_chain_grad(&X, &W);
    assert_eq!(value, bound_chain(&X, &W));
    // ∂/∂t = c² where t > 0.2; ∂/∂c = 2tc there, plus 2c.
    let want_t: Vec<f64> = X
        .iter()
        .zip(&W)
        .map(|(t, c)| if *t > 0.2 { c * c } else { 0.0 })
        .collect();
    let want_c: Vec<f64> = X
        .iter()
        .zip(&W)
        .map(|(t, c)| if *t > 0.2 { 2.0 * t * c } else { 0.0 } + 2.0 * c)
        .collect();
    assert_eq!(g.t, want_t);
    assert_eq!(g.c, want_c);
}

// A fold with a tuple accumulator: the sum and the product at once.
#[differentiate]
fn sum_and_product(x: &[f64]) -> f64 {
    let (s, p) = x.iter().fold((0.0, 1.0), |(s, p), &v| (s + v, p * v));
    s * s + p
}

#[test]
fn a_fold_with_a_tuple_accumulator() {
    let (value, g) = sum_and_product_grad(&X);
    assert_eq!(value, sum_and_product(&X));
    let (s, p): (f64, f64) = (X.iter().sum(), X.iter().product());
    let want: Vec<f64> = X.iter().map(|v| 2.0 * s + p / v).collect();
    for (a, b) in g.x.iter().zip(&want) {
        assert!((a - b).abs() < 1e-15, "{:?} vs {want:?}", g.x);
    }
}

// Exact chunks: the last, shorter one is left out.
#[differentiate]
fn pair_products(x: &[f64]) -> f64 {
    let s: f64 = x.chunks_exact(2).map(|c| c[0] * c[1]).sum();
    let mut t = 0.0;
    for c in x.chunks_exact(3) {
        t += c[2];
    }
    s + t
}

#[test]
fn exact_chunks() {
    let (value, g) = pair_products_grad(&X);
    assert_eq!(value, pair_products(&X));
    // Pairs (0, 1), (2, 3), (4, 5); element 6 is left out. Triples end at 2 and 5.
    let want = [X[1], X[0], X[3] + 1.0, X[2], X[5], X[4] + 1.0, 0.0];
    assert_eq!(g.x, want);
}
