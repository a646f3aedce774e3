//! Minimal programs the fuzzer (`examples/fuzz.rs`) found, shrunk; each failed before its
//! fix (what it did is said above it) and checks the gradient against a closed form.
// The repros are kept as the shrinker left them (a value overwritten before it is read).
#![allow(unused_assignments)]

use num_traits::Float;
use tapeless::differentiate;

// F1: a constant `T::from(c).unwrap()` in a generic function: rustc errors inside the
// generated code (E0308 `expected T, found &T`, E0369 `cannot multiply &T by T`, E0600
// `cannot apply unary operator - to &T`).

#[differentiate]
fn generic_constant<T: Float>(x: T) -> T {
    let c = T::from(2.0).unwrap();
    x * c
}

#[differentiate]
fn generic_constant_assigned<T: Float>(x: T) -> T {
    let mut s: T = T::from(1.5).unwrap();
    s = s * x;
    s
}

#[differentiate]
fn generic_negated_constant<T: Float>(x: T, y: T) -> T {
    if x >= -T::from(0.5).unwrap() {
        return y * x;
    }
    x
}

#[test]
fn generic_constants() {
    assert_eq!(generic_constant_grad(0.7).1.x, 2.0);
    assert_eq!(generic_constant_assigned_grad(0.7).1.x, 1.5);
    let (_, g) = generic_negated_constant_grad(0.7, 3.0);
    assert_eq!((g.x, g.y), (3.0, 0.7));
    let (_, g) = generic_negated_constant_grad(-0.7, 3.0);
    assert_eq!((g.x, g.y), (1.0, 0.0));
}

// F2: the path form `T::tanh(x)` in a generic function is rejected ("function `T::tanh`
// has no derivative rule"), while `x.tanh()` and `f64::tanh(x)` are accepted.

#[differentiate]
fn generic_path_form<T: Float>(x: T) -> T {
    T::tanh(x) + T::sin(x)
}

#[test]
fn generic_path_form_is_the_method_form() {
    let x: f64 = 0.3;
    let (v, g) = generic_path_form_grad(x);
    assert_eq!(v, x.tanh() + x.sin());
    let t = x.tanh();
    assert!((g.x - (1.0 - t * t + x.cos())).abs() < 1e-15);
}

// F3 (issue 10, fuzzer repro 2): a bare float literal assigned to a local: E0689
// ("can't call method `tanh` on ambiguous numeric type `{float}`") inside generated code.

#[differentiate]
fn literal_assigned(x1: f64) -> f64 {
    let mut v8 = if x1 <= 0.5 { x1.sin() } else { x1.cos() };
    v8 = 1.1;
    v8.tanh() + x1
}

#[test]
fn literal_assignment_compiles() {
    let (v, g) = literal_assigned_grad(0.3);
    assert_eq!(v, 1.1_f64.tanh() + 0.3);
    assert_eq!(g.x1, 1.0);
}

// F4 (README "Known limitations"): `*e` of a loop element inside `&&`: E0614 inside
// generated code.

#[differentiate]
fn deref_in_and(w: &[f64; 4], needs: f64) -> f64 {
    let mut s0 = 1.0;
    for e1 in w.iter() {
        if *e1 <= -0.5 && needs >= -0.5 {
            s0 += needs * *e1;
        }
    }
    s0
}

#[test]
fn deref_inside_and_compiles() {
    let w = [-1.0, 0.2, -0.7, 0.9];
    let (_, g) = deref_in_and_grad(&w, 0.4);
    assert!((g.needs + 1.7).abs() < 1e-15);
    assert_eq!(g.w, [0.4, 0.0, 0.4, 0.0]);
}

// F5 (issue 10, fuzzer repros 1 and 5): a closure inside `||` is rejected ("a logical
// operator containing closures, blocks or macros is not supported").

#[differentiate]
fn closure_in_or(w: &[f64], x: f64) -> f64 {
    if x > 0.0 || w.iter().map(|v| v * x).sum::<f64>() > 1.0 {
        x * 2.0
    } else {
        x
    }
}

#[test]
fn closure_inside_or_compiles() {
    assert_eq!(closure_in_or_grad(&[1.0, 2.0], 0.5).1.x, 2.0);
    assert_eq!(closure_in_or_grad(&[-1.0, -2.0], -0.5).1.x, 2.0);
    assert_eq!(closure_in_or_grad(&[1.0, 2.0], -0.1).1.x, 1.0);
}

// F6: a method on an element of an array of `T` in a generic function: E0277 (`T:
// ElementwiseAdjoint` is not satisfied) inside generated code.

#[differentiate]
fn generic_array_element<T: Float>(w: [T; 4]) -> T {
    w[1].tanh()
}

#[test]
fn generic_array_element_compiles() {
    let w = [0.1, 0.2, 0.3, 0.4];
    let (_, g) = generic_array_element_grad(w);
    let t = 0.2_f64.tanh();
    assert_eq!(g.w[0], 0.0);
    assert!((g.w[1] - (1.0 - t * t)).abs() < 1e-15);
}

// F7 (issue 10, fuzzer repro 1): a let-bound closure called in a `match` guard with `&&`:
// E0425 ("cannot find function `c1`") inside generated code.

#[differentiate]
fn closure_in_guard(k: usize, a: &[f64; 4]) -> f64 {
    let c1 = |q: f64| q * a[0];
    let mut s = 1.0;
    match k {
        0 if a[1] <= 0.5 && c1(a[2]) > 0.1 => s += a[3],
        _ => s -= a[3],
    }
    s
}

#[test]
fn closure_inside_guard_compiles() {
    let a = [1.0, 0.2, 0.5, 0.7];
    assert_eq!(closure_in_guard_grad(0, &a).1.a, [0.0, 0.0, 0.0, 1.0]);
    assert_eq!(closure_in_guard_grad(1, &a).1.a, [0.0, 0.0, 0.0, -1.0]);
}
