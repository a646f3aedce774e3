//! Destructuring `let`s (the desugaring pre-pass): arrays and array references, structs
//! with renamed fields and `..`, nested tuples, `_`, shadowing, typed patterns, in f64
//! (central differences), f32 (closed forms) and a generic function.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

#[differentiate]
fn array_ref(p: &[f64; 2]) -> f64 {
    let [a, b] = *p;
    a * a * b + b.sin()
}

#[test]
fn array_reference_pattern() {
    probe!(p => array_ref, array_ref_grad, array_ref_vjp, [&[p[0], p[1]]], [p], [0.7, -1.3]);
}

#[differentiate]
fn array_value(p: [f64; 3]) -> f64 {
    let [a, b, c] = p;
    a * b.exp() - c * c * a
}

#[test]
fn array_value_pattern() {
    probe!(p => array_value, array_value_grad, array_value_vjp, [[p[0], p[1], p[2]]], [p], [0.4, -0.2, 1.5]);
}

#[differentiate]
fn array_wild_rest(p: &[f64; 4]) -> f64 {
    let [a, _, c, ..] = *p;
    let [mut w, ..] = *p;
    w = w * c;
    a.cos() * w
}

#[test]
fn array_pattern_with_wildcard_rest_and_mut() {
    probe!(p => array_wild_rest, array_wild_rest_grad, array_wild_rest_vjp, [&[p[0], p[1], p[2], p[3]]], [p], [0.3, 9.0, -0.8, 2.0]);
}

#[differentiate]
fn array_nested(p: &[[f64; 2]; 2], x: f64) -> f64 {
    let [[a, b], [c, d]] = *p;
    let (s, [u, v]) = (x.sin(), p[1]);
    (a * d - b * c) * s + u * v
}

#[test]
fn nested_array_and_tuple_patterns() {
    probe!(p => array_nested, array_nested_grad, array_nested_vjp, [&[[p[0], p[1]], [p[2], p[3]]], p[4]], [p, x], [1.2, -0.5, 0.3, 0.9, 0.6]);
}

#[differentiate]
fn array_shadow(p: [f64; 2]) -> f64 {
    let [p, q] = p;
    p * q.exp()
}

#[test]
fn pattern_rebinding_its_own_source() {
    probe!(p => array_shadow, array_shadow_grad, array_shadow_vjp, [[p[0], p[1]]], [p], [0.9, -0.4]);
}

#[differentiate]
fn array_typed(p: [f32; 2]) -> f32 {
    let [a, b]: [f32; 2] = p;
    a * a * b
}

#[test]
fn typed_array_pattern_f32() {
    let (v, g) = array_typed_grad([1.5, -2.0]);
    assert_eq!(v, array_typed([1.5, -2.0]));
    // ∂/∂a = 2ab, ∂/∂b = a².
    assert_eq!(g.p, [2.0 * 1.5 * -2.0, 1.5 * 1.5]);
}

#[differentiate]
fn array_generic<T: Float>(p: [T; 2], x: T) -> T {
    let [a, b] = p;
    (a * x).sin() + b * b * x
}

#[test]
fn generic_array_pattern() {
    probe!(p => array_generic, array_generic_grad, array_generic_vjp, [[p[0], p[1]], p[2]], [p, x], [0.5, 1.1, -0.7]);
    let (v, g) = array_generic_grad([0.5f32, 1.1], -0.7);
    assert_eq!(v, array_generic([0.5f32, 1.1], -0.7));
    let expected_x = (0.5f32 * -0.7).cos() * 0.5 + 1.1 * 1.1;
    assert!((g.x - expected_x).abs() < 1e-6, "{} vs {expected_x}", g.x);
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
struct Point {
    x: f64,
    y: f64,
}

#[differentiate]
fn struct_fields(p: &Point) -> f64 {
    let Point { x, y } = *p;
    x * x * y + y.exp()
}

#[test]
fn struct_pattern_of_a_reference() {
    let p = Point { x: 0.8, y: -0.3 };
    let (v, g) = struct_fields_grad(&p);
    assert_eq!(v, struct_fields(&p));
    let (gx, gy) = (2.0 * 0.8 * -0.3, 0.8 * 0.8 + (-0.3f64).exp());
    assert!(
        (g.p.x - gx).abs() < 1e-12 && (g.p.y - gy).abs() < 1e-12,
        "{:?}",
        g.p
    );
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
struct Decay {
    a: f64,
    k: f64,
    c: f64,
}

#[differentiate]
fn struct_renamed(s: &Decay, t: f64) -> f64 {
    let Decay { a, k: rate, .. } = *s;
    let Decay { c: offset, .. } = s;
    a * (-rate * t).exp() + offset
}

#[test]
fn struct_pattern_with_renamed_field_and_rest() {
    let s = Decay {
        a: 2.0,
        k: 0.5,
        c: 0.1,
    };
    let (v, g) = struct_renamed_grad(&s, 1.5);
    assert_eq!(v, struct_renamed(&s, 1.5));
    let e = (-0.5f64 * 1.5).exp();
    assert!((g.s.a - e).abs() < 1e-12, "{:?}", g.s);
    assert!((g.s.k - 2.0 * -1.5 * e).abs() < 1e-12, "{:?}", g.s);
    assert!((g.s.c - 1.0).abs() < 1e-12, "{:?}", g.s);
    assert!((g.t - 2.0 * -0.5 * e).abs() < 1e-12, "{}", g.t);
}

#[differentiate]
fn tuple_f32(x: f32, p: [f32; 2]) -> f32 {
    let (u, [v, w]) = (x * p[0], p);
    u + v * w * w
}

#[test]
fn nested_tuple_pattern_f32() {
    let (v, g) = tuple_f32_grad(1.5, [2.0, -3.0]);
    assert_eq!(v, tuple_f32(1.5, [2.0, -3.0]));
    // x p0 + p0 p1²: ∂x = p0, ∂p0 = x + p1², ∂p1 = 2 p0 p1.
    assert_eq!((g.x, g.p), (2.0, [1.5 + 9.0, 2.0 * 2.0 * -3.0]));
}
