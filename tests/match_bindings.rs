//! `match` arms that bind the scrutinee (`n if n > 0`, `k @ 1..=3`) or an `Option`'s value
//! (`Some(i)`), and `if let` on data (the desugaring pre-pass binds the name at the start
//! of the arm), in f64 (central differences), f32 (closed forms) and a generic function.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

#[differentiate]
fn binding_arms(x: f64, n: i32) -> f64 {
    match n {
        0 => 1.0,
        k @ 1..=3 => x.powi(k) * k as f64,
        m if m < 0 => x.exp() * m as f64,
        other => x.sin() * other as f64,
    }
}

#[test]
fn match_binding_at_subpattern() {
    probe!(p => binding_arms, binding_arms_grad, binding_arms_vjp, [p[0], 2], [x], [0.7]);
}

#[test]
fn match_binding_with_guard() {
    probe!(p => binding_arms, binding_arms_grad, binding_arms_vjp, [p[0], -2], [x], [0.7]);
}

#[test]
fn match_binding_catch_all() {
    probe!(p => binding_arms, binding_arms_grad, binding_arms_vjp, [p[0], 5], [x], [0.7]);
}

#[differentiate]
fn binding_computed(x: f64, n: usize) -> f64 {
    match n % 3 {
        0 => x,
        r => x * x * r as f64,
    }
}

#[test]
fn match_binding_of_a_computed_scrutinee() {
    probe!(p => binding_computed, binding_computed_grad, binding_computed_vjp, [p[0], 5], [x], [0.7]);
    probe!(p => binding_computed, binding_computed_grad, binding_computed_vjp, [p[0], 6], [x], [0.7]);
}

#[differentiate(wrt(xs))]
fn option_index(xs: &[f64], chosen: Option<usize>) -> f64 {
    let mut total = xs[0] * xs[0];
    if let Some(i) = chosen {
        total += xs[i].sin();
    }
    let bonus = match chosen {
        Some(j) if j > 0 => xs[j] * xs[0],
        Some(_) => 0.5,
        None => xs[1],
    };
    total + bonus
}

#[test]
fn if_let_some_on_data() {
    probe!(p => option_index, option_index_grad, option_index_vjp, [&p[..], Some(2)], [xs], [0.5, -1.2, 2.0]);
}

#[test]
fn if_let_none_on_data() {
    probe!(p => option_index, option_index_grad, option_index_vjp, [&p[..], None], [xs], [0.5, -1.2, 2.0]);
}

#[test]
fn match_some_with_guard_false() {
    probe!(p => option_index, option_index_grad, option_index_vjp, [&p[..], Some(0)], [xs], [0.5, -1.2, 2.0]);
}

#[differentiate]
fn binding_f32(x: f32, n: u32) -> f32 {
    match n {
        k @ 0..=1 => x * k as f32,
        k => x * x * k as f32,
    }
}

#[test]
fn match_binding_f32() {
    assert_eq!(binding_f32(1.5, 1), 1.5);
    assert_eq!(binding_f32_grad(1.5, 1), (1.5, BindingF32Grad { x: 1.0 }));
    // 4 x²: ∂x = 8x.
    assert_eq!(binding_f32_grad(1.5, 4), (9.0, BindingF32Grad { x: 12.0 }));
}

#[differentiate]
fn binding_generic<T: Float>(x: T, n: i32) -> T {
    match n {
        k if k > 0 => x.powi(k),
        _ => x.sin(),
    }
}

#[test]
fn match_binding_generic() {
    probe!(p => binding_generic, binding_generic_grad, binding_generic_vjp, [p[0], 3], [x], [0.7]);
    probe!(p => binding_generic, binding_generic_grad, binding_generic_vjp, [p[0], -1], [x], [0.7]);
    let (v, g) = binding_generic_grad(2.0f32, 3);
    assert_eq!((v, g.x), (8.0, 12.0));
}

#[differentiate]
fn binding_active(x: f64, y: f64) -> f64 {
    match x * y {
        v if v > 0.0 => v * v * 3.0,
        v => -v.sin() * x,
    }
}

#[test]
fn match_binding_of_a_differentiated_scrutinee_positive() {
    probe!(p => binding_active, binding_active_grad, binding_active_vjp, [p[0], p[1]], [x, y], [0.5, 1.5]);
}

#[test]
fn match_binding_of_a_differentiated_scrutinee_negative() {
    probe!(p => binding_active, binding_active_grad, binding_active_vjp, [p[0], p[1]], [x, y], [-0.5, 1.5]);
}

/// An `Option` of data (`Option<usize>`, `Option<(usize, bool)>`) is a data parameter: no
/// gradient field, and `if let Some(i) = o` binds data.
#[differentiate]
fn pick(x: &[f64], o: Option<usize>, pair: Option<(usize, bool)>) -> f64 {
    let mut s = x[0] * x[0];
    if let Some(i) = o {
        s += x[i].sin();
    }
    if let Some(p) = pair {
        if p.1 {
            s += x[p.0] * 3.0;
        }
    }
    s
}

#[test]
fn option_of_data_parameters() {
    let x = [0.5, 1.5, -0.3];
    let (value, grad) = pick_grad(&x, Some(2), Some((1, true)));
    assert_eq!(value, pick(&x, Some(2), Some((1, true))));
    // Only `x` has a field.
    let PickGrad { x: gx } = grad;
    assert_eq!(gx, vec![1.0, 3.0, (-0.3f64).cos()]);
    let (_, grad) = pick_grad(&x, None, None);
    assert_eq!(grad.x, vec![1.0, 0.0, 0.0]);
}
