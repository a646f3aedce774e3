//! What the generated code asks of a generic float type `T` covers every rule it may call:
//! each float method with its own kind of rule (`tanh` is elementwise, `max` splits ties,
//! `powf` has two arguments), in a function generic over `num_traits::Float`, checked in
//! `f64` against central differences.
#![allow(dead_code, clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

/// The fuzzer's repro: `tanh` in a generic function (its rule is the elementwise one).
#[differentiate]
fn generic_tanh<T: Float>(x0: T, x2: T) -> T {
    let mut x2 = x2;
    x2 = x2 - x2.tanh() * x0;
    x2
}

#[test]
fn generic_tanh_rule() {
    probe!(p => generic_tanh, generic_tanh_grad, generic_tanh_vjp, [p[0], p[1]], [x0, x2], [0.7, -0.4]);
}

#[differentiate]
fn generic_rules<T: Float>(x: T, y: T) -> T {
    let a = x.tanh() + x.max(y) * y.min(x).exp();
    let b = (x * x + y * y).sqrt().powf(y.sin()) + x.atan2(y) + y.abs().ln_1p();
    a * b + x.sinh().hypot(y.cosh())
}

#[test]
fn generic_rules_of_every_kind() {
    for pt in [[0.7, -0.4], [-0.3, 1.2]] {
        probe!(p => generic_rules, generic_rules_grad, generic_rules_vjp, [p[0], p[1]], [x, y], pt);
    }
}

/// `zip` of two slices in a generic function: the iteration count is the shorter length,
/// a `usize`, never a float `min`.
#[differentiate]
fn generic_zip<T: Float>(w: &[T; 4], v: &[T]) -> T {
    let mut s1: T = T::from(1.0).unwrap();
    for (a, b) in w.iter().zip(v.iter()) {
        s1 = s1 * *a + *b;
    }
    s1
}

#[test]
fn generic_zip_of_slices() {
    for pt in [
        [0.7, -0.4, 1.1, 0.3, 0.5, -0.2, 0.9],
        [-0.3, 1.2, 0.4, -0.8, 0.1, 0.6, -1.0],
    ] {
        probe!(p => generic_zip, generic_zip_grad, generic_zip_vjp, [&[p[0], p[1], p[2], p[3]], &p[4..7]], [w, v], pt);
    }
}

/// findings.md F6: `tanh` of an element of an array of `T`.
#[differentiate]
fn f6_array_element<T: Float>(w: [T; 4]) -> T {
    w[1].tanh()
}

#[test]
fn generic_method_on_an_array_element() {
    let (value, grad) = f6_array_element_grad([0.1, 0.5, -0.3, 2.0]);
    assert_eq!(value, 0.5_f64.tanh());
    assert_eq!(grad.w, [0.0, 1.0 - 0.5_f64.tanh().powi(2), 0.0, 0.0]);
}
