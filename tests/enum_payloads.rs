//! `match` and `if let` on an enum of data whose arms bind the variant's payload
//! (`Penalty::Huber(delta) => ..`): the desugaring pre-pass matches the variant without
//! binding and reads each name from the payload at the start of the arm. Checked against
//! the plain function (value), central differences (probe) and closed forms, in f64 and in
//! generic code run in f32; `f_jvp` against `f_vjp` by the dot-product test.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

#[derive(Clone, Copy, Debug)]
pub enum Penalty {
    Quadratic,
    Huber(f64),
    Scaled { weight: f64, power: i32 },
}

#[differentiate(wrt(x))]
fn penalised(x: &[f64], penalty: Penalty) -> f64 {
    let mut total = 0.0;
    for &v in x {
        total += match penalty {
            Penalty::Quadratic => v * v,
            Penalty::Huber(delta) => {
                if v.abs() <= delta {
                    0.5 * v * v
                } else {
                    delta * (v.abs() - 0.5 * delta)
                }
            }
            Penalty::Scaled { weight, power: p } => weight * v.powi(p),
        };
    }
    total
}

const X: [f64; 3] = [0.4, -2.5, 1.3];

#[test]
fn match_binding_a_tuple_variant_payload() {
    probe!(p => penalised, penalised_grad, penalised_vjp, [&p[..], Penalty::Huber(1.0)], [x], X);
    // Huber with δ = 1: ∂ = v for |v| ≤ 1, δ·sign(v) beyond.
    let (value, g) = penalised_grad(&X, Penalty::Huber(1.0));
    assert_eq!(value, penalised(&X, Penalty::Huber(1.0)));
    assert_eq!(g.x, vec![0.4, -1.0, 1.0]);
}

#[test]
fn match_binding_a_struct_variant_payload() {
    let penalty = Penalty::Scaled {
        weight: 0.5,
        power: 3,
    };
    probe!(p => penalised, penalised_grad, penalised_vjp, [&p[..], penalty], [x], X);
    // 0.5 v³: ∂ = 1.5 v².
    let (_, g) = penalised_grad(&X, penalty);
    for (g, v) in g.x.iter().zip(X) {
        assert!((g - 1.5 * v * v).abs() < 1e-14);
    }
}

#[test]
fn match_arm_without_payload() {
    probe!(p => penalised, penalised_grad, penalised_vjp, [&p[..], Penalty::Quadratic], [x], X);
}

#[test]
fn payload_match_jvp_against_vjp() {
    let t = vec![0.3, -0.8, 1.1];
    let w = 0.7;
    let penalty = Penalty::Huber(1.0);
    let (value, tangent) = penalised_jvp(&X, penalty, &PenalisedGrad { x: t.clone() });
    let (value_r, cotangent) = penalised_vjp(&X, penalty, w);
    assert_eq!(value, value_r);
    let right: f64 = cotangent.x.iter().zip(&t).map(|(a, b)| a * b).sum();
    assert!((w * tangent - right).abs() < 1e-12);
}

/// `if let` with a payload, of a parameter taken by reference.
#[differentiate(wrt(s))]
fn if_let_payload(s: f64, penalty: &Penalty) -> f64 {
    let mut y = s.sin();
    if let Penalty::Huber(delta) = penalty {
        y += delta * s * s;
    } else {
        y -= s;
    }
    y
}

#[test]
fn if_let_binding_a_payload_by_reference() {
    let s = 0.8;
    let (value, g) = if_let_payload_grad(s, &Penalty::Huber(2.0));
    assert_eq!(value, if_let_payload(s, &Penalty::Huber(2.0)));
    // sin s + 2 s²: ∂ = cos s + 4 s.
    assert!((g.s - (s.cos() + 4.0 * s)).abs() < 1e-14);
    let (_, g) = if_let_payload_grad(s, &Penalty::Quadratic);
    assert!((g.s - (s.cos() - 1.0)).abs() < 1e-14);
    probe!(p => if_let_payload, if_let_payload_grad, if_let_payload_vjp, [p[0], &Penalty::Huber(2.0)], [s], [s]);
}

#[derive(Clone, Copy)]
pub enum Loss<T> {
    Squared,
    Pinball(T),
}

/// Generic: the payload a `T`, matched with a guard that reads it.
#[differentiate(wrt(x))]
fn generic_loss<T: Float>(x: T, target: T, loss: Loss<T>) -> T {
    let r = x - target;
    match loss {
        Loss::Squared => r * r,
        Loss::Pinball(tau) if r >= T::zero() => tau * r,
        Loss::Pinball(tau) => (tau - T::one()) * r,
    }
}

#[test]
fn generic_payload_with_guard_f64() {
    probe!(p => generic_loss, generic_loss_grad, generic_loss_vjp, [p[0], 1.0, Loss::Pinball(0.3)], [x], [1.5]);
    probe!(p => generic_loss, generic_loss_grad, generic_loss_vjp, [p[0], 1.0, Loss::Pinball(0.3)], [x], [0.5]);
}

#[test]
fn generic_payload_with_guard_f32() {
    let (value, g) = generic_loss_grad(1.5f32, 1.0, Loss::Pinball(0.25));
    assert_eq!(value, generic_loss(1.5f32, 1.0, Loss::Pinball(0.25)));
    assert_eq!(g.x, 0.25);
    let (_, g) = generic_loss_grad(0.5f32, 1.0, Loss::Pinball(0.25));
    assert_eq!(g.x, -0.75);
    let (_, g) = generic_loss_grad(0.5f32, 1.0, Loss::Squared);
    assert_eq!(g.x, -1.0);
}

/// An enum that is neither `Copy` nor `Clone`, taken by value: `if let` reads its payload.
pub enum Choice {
    Scale(f64),
    Keep,
}

#[differentiate(wrt(x))]
fn if_let_by_value(x: f64, c: Choice) -> f64 {
    if let Choice::Scale(s) = c {
        x * s
    } else {
        x
    }
}

#[test]
fn if_let_payload_of_an_enum_without_clone() {
    let (value, g) = if_let_by_value_grad(1.5, Choice::Scale(3.0));
    assert_eq!(value, 4.5);
    assert_eq!(g.x, 3.0);
    let (_, g) = if_let_by_value_grad(1.5, Choice::Keep);
    assert_eq!(g.x, 1.0);
}
