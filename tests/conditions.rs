//! Conditions built from what only lowering gives a meaning: calls of closures, reductions
//! with closures (`xs.iter().map(..).sum()`), loop elements read through `*e`, inside `&&`,
//! `||` and `match` guards, in `if`, `while` and `match`. Each is evaluated lazily as in
//! the source, and each function is checked at points that take every branch: value bit
//! for bit, gradient against central differences, `f_vjp` linear in its seed.
#![allow(dead_code, unused_assignments, clippy::all)]

use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

const POINTS: [[f64; 4]; 4] = [
    [0.7, 0.3, -0.5, 1.2],
    [-0.6, 0.8, 0.25, -1.1],
    [1.3, -0.55, -0.9, 0.35],
    [-1.4, -0.2, 0.6, 0.45],
];

macro_rules! probe_x_xs {
    ($f:ident, $g:ident, $v:ident, $n:expr) => {{
        for pt in POINTS {
            probe!(p => $f, $g, $v, [p[0], &p[1..4], $n], [x, xs], pt);
        }
    }};
}

/// The fuzzer's repro: a closure called on the right of `||`.
#[differentiate]
fn closure_in_or(x: f64) -> f64 {
    let mut s = x;
    let c = |q: f64| q * 2.0;
    if x > 0.0 || c(x) > 1.0 {
        s += x;
    }
    s
}

#[test]
fn closure_called_in_or() {
    assert_eq!(closure_in_or_grad(0.5), (1.0, ClosureInOrGrad { x: 2.0 }));
    assert_eq!(closure_in_or_grad(-0.5), (-0.5, ClosureInOrGrad { x: 1.0 }));
}

/// Closures called in `&&`, `||`, in a `while` condition and in a guard; their calls are
/// lazy (the right of `&&` runs only when the left holds).
#[differentiate]
fn closures_in_conditions(x: f64, xs: &[f64], n: i32) -> f64 {
    let c = |q: f64| q * x;
    let positive = |q: f64| q > 0.0;
    let mut s = x;
    if positive(xs[0]) && c(xs[1]) < 0.5 {
        s = s * xs[0] + x;
    }
    if c(xs[2]) > 0.2 || positive(x) {
        s += c(xs[2]).sin();
    }
    let mut k = 0;
    while k < 3 && c(s) < 5.0 {
        s = s * 1.5 + 0.1;
        k += 1;
    }
    match n {
        1 if c(xs[0]) > 0.0 => s * x,
        1 => s + x,
        _ if positive(s) || c(1.0) > 0.3 => s * s,
        _ => s,
    }
}

#[test]
fn closure_calls_in_and_or_while_and_guards() {
    for n in [1, 2] {
        probe_x_xs!(
            closures_in_conditions,
            closures_in_conditions_grad,
            closures_in_conditions_vjp,
            n
        );
    }
}

/// Reductions with closures in `&&`, `||` and guards.
#[differentiate]
fn reductions_in_conditions(x: f64, xs: &[f64], n: i32) -> f64 {
    let mut s = x;
    if x > 0.0 && xs.iter().map(|v| v * x).sum::<f64>() > 0.1 {
        s += x * x;
    }
    if x < -1.0 || xs.iter().map(|v| (v * x).sin()).sum::<f64>() < 0.0 {
        s = s * xs[1];
    }
    match n {
        1 if xs.iter().map(|v| v * s).sum::<f64>() > 0.0 => s * x,
        _ => s + x,
    }
}

#[test]
fn reductions_in_and_or_and_guards() {
    for n in [1, 2] {
        probe_x_xs!(
            reductions_in_conditions,
            reductions_in_conditions_grad,
            reductions_in_conditions_vjp,
            n
        );
    }
}

/// The fuzzer's repro: `*e` of a loop element in a guard; and in `&&`, `||`.
#[differentiate]
fn element_in_guard(x: f64, xs: &[f64], n: i32) -> f64 {
    let mut s = 0.0;
    for e in xs.iter() {
        match n {
            1 if *e > 0.0 => {
                s += x * e;
            }
            _ => {}
        }
        if *e < 0.0 && x > *e || *e > 1.0 {
            s += e * x * x;
        }
    }
    s
}

#[test]
fn loop_element_dereferenced_in_guards_and_logical_operators() {
    for n in [1, 2] {
        probe_x_xs!(
            element_in_guard,
            element_in_guard_grad,
            element_in_guard_vjp,
            n
        );
    }
    // n = 1, x = 2, xs = [1, -1, 2]: s = 2·1 + 2·2 (guards) + (−1)·4 + 2·4 (the `if`).
    let (value, grad) = element_in_guard_grad(2.0, &[1.0, -1.0, 2.0], 1);
    assert_eq!(value, 2.0 + 4.0 - 4.0 + 8.0);
    assert_eq!(grad.x, 1.0 + 2.0 + 2.0 * 2.0 * (-1.0 + 2.0));
}

/// A closure capturing the loop element, called in `&&` and `||`; in `f32`, with a literal
/// assigned to the result.
#[differentiate]
fn element_closure_f32(x: f32, xs: &[f32]) -> f32 {
    let mut s = 0.0;
    s = 2.0;
    for (i, e) in xs.iter().enumerate() {
        let c = |q: f32| q * e + x;
        if c(1.0) > 0.0 && i > 0 || *e < -1.0 {
            s += c(x);
        }
    }
    s.tanh()
}

#[test]
fn closure_of_the_loop_element_in_f32() {
    // x = 0.5, xs = [0.25, -2, 1]: i = 1 (e = −2 < −1), i = 2 (c(1) = 1.5 > 0) add c(x).
    let (value, grad) = element_closure_f32_grad(0.5, &[0.25, -2.0, 1.0]);
    let s: f32 = 2.0 + (0.5 * -2.0 + 0.5) + (0.5 * 1.0 + 0.5);
    assert_eq!(value, s.tanh());
    let ds = (1.0 - s.tanh().powi(2)) * ((-2.0 + 1.0) + (1.0 + 1.0));
    assert!((grad.x - ds).abs() < 1e-6, "{} vs {ds}", grad.x);
}

/// findings.md F4: `*e` of a loop element inside `&&`, over an array parameter.
#[differentiate]
fn f4_element_in_and(w: &[f64; 4], needs: f64) -> f64 {
    let mut s0 = 1.0;
    for e1 in w.iter() {
        if *e1 <= -0.5 && needs >= -0.5 {
            s0 += needs;
        }
    }
    s0
}

#[test]
fn loop_element_dereferenced_in_and() {
    // Two elements ≤ −0.5: s0 = 1 + 2·needs.
    let w = [-1.0, 0.3, -0.6, 2.0];
    assert_eq!(
        f4_element_in_and_grad(&w, 0.25),
        (
            1.5,
            F4ElementInAndGrad {
                w: [0.0; 4],
                needs: 2.0
            }
        )
    );
    assert_eq!(f4_element_in_and_grad(&w, -1.0).1.needs, 0.0);
}

/// findings.md F5: a reduction with a closure on the right of `||`.
#[differentiate]
fn f5_reduction_in_or(w: &[f64], x: f64) -> f64 {
    if x > 0.0 || w.iter().map(|v| v * x).sum::<f64>() > 1.0 {
        x * 2.0
    } else {
        x
    }
}

/// findings.md F7: a closure call after `&&` in a guard, and a reduction inside a float
/// function's call in a guard.
#[differentiate]
fn f7_closure_in_guard(s0_next: usize, a: &[f64; 4]) -> f64 {
    let c1 = |carry: f64| {
        let t2 = a[0];
        t2 * carry
    };
    let mut s9: f64 = 1.0;
    let k11 = s0_next % 3;
    match k11 {
        0 if a[k11 + 1] <= 0.5 && c1(s9.sin()) > 0.1 => {
            s9 = s9 * a[2];
        }
        1 | 2 if f64::min(a.iter().map(|v3| *v3 / 3.0).sum::<f64>(), s9) < 1.5 => {
            s9 = s9 + a[3] * a[0];
        }
        _ => {}
    }
    a[1] * s9
}

#[test]
fn reductions_and_closures_in_or_and_guards_from_the_fuzzer() {
    // x ≤ 0 and Σ w·x ≤ 1: the value is x.
    assert_eq!(
        f5_reduction_in_or_grad(&[1.0, 2.0], -0.5),
        (
            -0.5,
            F5ReductionInOrGrad {
                w: vec![0.0, 0.0],
                x: 1.0
            }
        )
    );
    // x ≤ 0 but Σ w·x = −0.5·(−4) = 2 > 1: the value is 2x.
    assert_eq!(f5_reduction_in_or_grad(&[-1.0, -3.0], -0.5).1.x, 2.0);
    for n in [0, 1, 5] {
        for pt in [[0.7, 0.3, -0.4, 1.1], [0.9, 0.2, 0.6, -0.5]] {
            probe!(p => f7_closure_in_guard, f7_closure_in_guard_grad, f7_closure_in_guard_vjp, [n, &[p[0], p[1], p[2], p[3]]], [a], pt);
        }
    }
}
