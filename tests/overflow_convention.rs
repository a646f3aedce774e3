//! The convention where an intermediate overflows on a path whose result does not depend
//! on it: the reverse sweep still runs the reverse of the code that computed it, with a
//! zero adjoint, and IEEE arithmetic gives 0 · ∞ = NaN. So the gradient is NaN there,
//! although the derivative is 0 (as in PyTorch and JAX). Where nothing overflows, the same
//! path gives exactly 0; the other path is differentiated as usual.
#![allow(clippy::all)]

use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

/// The fuzzer's shape: a scratch array accumulates `cosh` of a value built from `x0`, then
/// an early return gives a result that depends on none of it.
#[differentiate]
fn scratch_then_return(x0: f64, n: usize) -> f64 {
    let mut b0 = [0.0; 2];
    for i1 in 0..2 {
        b0[i1] += x0.max(b0[1 - i1]).cosh();
    }
    if n == 2 {
        return (n as f64).exp_m1();
    }
    b0[0] + b0[1]
}

#[test]
fn a_path_that_does_not_depend_on_the_overflow_gives_zero_without_overflow() {
    let (value, grad) = scratch_then_return_grad(1.5, 2);
    assert_eq!(value, 2.0_f64.exp_m1());
    assert_eq!(grad.x0, 0.0);
}

#[test]
fn the_overflowing_path_that_does_not_depend_on_it_gives_nan() {
    // cosh(800) = ∞: its derivative sinh(800) = ∞ meets the zero adjoint.
    let (value, grad) = scratch_then_return_grad(800.0, 2);
    assert_eq!(value, 2.0_f64.exp_m1());
    assert!(
        grad.x0.is_nan(),
        "0 · ∞ is NaN by the convention, got {}",
        grad.x0
    );
}

#[test]
fn the_other_path_is_differentiated_as_usual() {
    for x in [0.4, -1.1] {
        probe!(p => scratch_then_return, scratch_then_return_grad, scratch_then_return_vjp, [p[0], 3], [x0], [x]);
    }
}

/// The fuzzer's p41521 (seed 13), shrunk by hand: `z` overflows in the loop, and `min`
/// picks `y`, so the result does not depend on `z`. Reverse mode gives NaN by the
/// convention (the zero adjoint meets `powi`'s infinite derivative); forward mode selects
/// the tangent of `y` without multiplying, so `f_jvp` gives the true 0.
#[differentiate]
fn overflow_behind_min(x: f64, y: f64) -> f64 {
    let mut z = x;
    for _ in 0..4 {
        z = 0.5 * (z + (z.exp().powi(2) + 1.0).sqrt());
    }
    y.min(z.tanh())
}

#[test]
fn min_of_a_value_that_did_not_overflow_gives_zero() {
    // z = 15.2 after the loop: tanh(z) < 1 is finite, min picks y.
    let (value, grad) = overflow_behind_min_grad(0.1, 0.3);
    assert_eq!(value, 0.3);
    assert_eq!((grad.x, grad.y), (0.0, 1.0));
}

#[test]
fn min_of_a_value_that_overflowed_gives_nan_in_reverse_and_zero_in_forward() {
    // z = ∞ after the fourth iteration (exp(21402.5) overflows).
    let (value, grad) = overflow_behind_min_grad(1.449, 0.3);
    assert_eq!(value, 0.3);
    assert!(
        grad.x.is_nan(),
        "0 · ∞ is NaN by the convention, got {}",
        grad.x
    );
    assert_eq!(grad.y, 1.0);
    let (_, tangent) =
        overflow_behind_min_jvp(1.449, 0.3, &OverflowBehindMinGrad { x: 1.0, y: 0.0 });
    assert_eq!(tangent, 0.0);
}
