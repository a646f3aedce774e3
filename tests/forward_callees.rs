//! A caller of a function whose `f_jvp` is not available (a non-scalar `#[custom_vjp]`
//! without a forward rule; once
//! also a tuple output with a float literal, which has forward code now) still builds, `f_grad` and all (QA finding F1 of
//! 2026-12-06: the whole crate failed to build); its scalar `f_jvp` is then the caller's
//! own forward sweep up to that call, which panics with the reason.

use tapeless::{custom_vjp, differentiate};

#[custom_vjp(sq_rule)]
fn sq(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| v * v).collect()
}

fn sq_rule(x: &[f64], seed: Vec<f64>) -> Vec<f64> {
    x.iter().zip(&seed).map(|(v, s)| 2.0 * v * s).collect()
}

#[differentiate]
fn uses_sq(x: &[f64]) -> f64 {
    let t = sq(x);
    t[0] + 3.0 * t[1]
}

// As the QA probe wrote it (a tuple bound, then returned).
#[allow(clippy::let_and_return)]
#[differentiate]
fn tup_inactive(x: f64, c: bool) -> (f64, f64) {
    let p = if c { (x * 2.0, 1.0) } else { (x, 0.0) };
    p
}

#[differentiate]
fn caller(x: f64) -> f64 {
    let (a, b) = tup_inactive(x, true);
    a * b + a
}

#[test]
fn a_caller_of_a_non_scalar_custom_rule_builds_and_differentiates() {
    let x = [0.5, -1.5];
    let (value, grad) = uses_sq_grad(&x);
    assert_eq!(value, uses_sq(&x));
    // ∂/∂x (x0² + 3 x1²) = (2 x0, 6 x1).
    assert_eq!(grad.x, vec![1.0, -9.0]);
}

#[test]
fn a_caller_of_a_tuple_with_an_inactive_element_builds_and_differentiates() {
    let (value, grad) = caller_grad(0.75);
    assert_eq!(value, caller(0.75));
    // a = 2x, b = 1: f = 4x, f' = 4.
    assert_eq!(grad.x, 4.0);
}

#[test]
#[should_panic(expected = "forward mode does not support `sq` yet")]
fn the_callers_forward_sweep_stops_with_the_reason() {
    let _ = uses_sq_jvp(&[0.5, -1.5], &UsesSqGrad { x: vec![1.0, 0.0] });
}

/// A tuple with a float literal merged by an `if` has forward code now (its tangent is a
/// zero of the literal's type), so its callers' `f_jvp` runs through.
#[test]
fn a_caller_of_a_tuple_with_a_float_literal_has_forward_mode() {
    let (value, derivative) = caller_jvp(0.75, &CallerGrad { x: 1.0 });
    assert_eq!(value, caller(0.75));
    assert_eq!(derivative, 4.0);
}
