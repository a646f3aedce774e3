//! Tuples that hold a differentiated value beside data (integers, `bool`): each element has
//! its own activity, so the data element carries no derivative and the generated code
//! type-checks (issue 10's open tuple bug). Built locally, returned by a differentiated
//! helper, destructured, nested, carried by loops, merged by branches, in `f32` and generic
//! code; `f_grad` and `f_jvp` against closed forms.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[differentiate]
fn local(x: f64, n: usize) -> f64 {
    let p = (x * 3.0, n);
    p.0 * p.1 as f64
}

#[test]
fn a_local_tuple_with_an_integer() {
    // 3x·n: d/dx = 3n.
    let (value, grad) = local_grad(1.5, 4);
    assert_eq!(value, local(1.5, 4));
    assert_eq!(grad.x, 12.0);
    assert_eq!(local_jvp(1.5, 4, &LocalGrad { x: 1.0 }), (18.0, 12.0));
}

#[differentiate]
fn helper(x: f64, n: usize) -> (f64, usize) {
    (x * x, n + 1)
}

#[test]
fn a_differentiated_function_returning_a_float_and_an_integer() {
    // The seed has `()` for the integer: (x², n + 1) pulls s back to 2x·s.
    let (value, grad) = helper_vjp(1.5, 2, (2.0, ()));
    assert_eq!(value, (2.25, 3));
    assert_eq!(grad.x, 6.0);
    let (value, tangent) = helper_jvp(1.5, 2, &HelperGrad { x: 1.0 });
    assert_eq!(value, (2.25, 3));
    assert_eq!(tangent, (3.0, ()));
}

#[differentiate]
fn destructures_the_call(x: f64, n: usize) -> f64 {
    let (a, k) = helper(x, n);
    a * k as f64
}

#[differentiate]
fn reads_the_calls_fields(x: f64, n: usize) -> f64 {
    let r = helper(x, n);
    r.0 * r.1 as f64 + r.0
}

#[differentiate]
fn computes_with_the_integer(x: f64, n: usize) -> f64 {
    let (a, k) = helper(x, n);
    let m = k * 2 + 1;
    a * m as f64
}

#[test]
fn callers_of_a_helper_returning_an_integer() {
    let (x, n) = (1.5, 3);
    // x²(n + 1): 2x(n + 1).
    let (value, grad) = destructures_the_call_grad(x, n);
    assert_eq!(value, destructures_the_call(x, n));
    assert_eq!(grad.x, 2.0 * x * 4.0);
    let tangent = DestructuresTheCallGrad { x: 1.0 };
    assert_eq!(destructures_the_call_jvp(x, n, &tangent).1, 2.0 * x * 4.0);
    // x²(n + 1) + x²: 2x(n + 2).
    let (value, grad) = reads_the_calls_fields_grad(x, n);
    assert_eq!(value, reads_the_calls_fields(x, n));
    assert_eq!(grad.x, 2.0 * x * 5.0);
    let tangent = ReadsTheCallsFieldsGrad { x: 1.0 };
    assert_eq!(reads_the_calls_fields_jvp(x, n, &tangent).1, 2.0 * x * 5.0);
    // x²(2(n + 1) + 1): 2x(2n + 3).
    let (value, grad) = computes_with_the_integer_grad(x, n);
    assert_eq!(value, computes_with_the_integer(x, n));
    assert_eq!(grad.x, 2.0 * x * 9.0);
    let tangent = ComputesWithTheIntegerGrad { x: 1.0 };
    assert_eq!(
        computes_with_the_integer_jvp(x, n, &tangent).1,
        2.0 * x * 9.0
    );
}

#[differentiate]
fn nested(x: f64) -> f64 {
    let p = ((x * x, 2i32), true);
    let q = p.0;
    if p.1 {
        q.0 * q.1 as f64
    } else {
        0.0
    }
}

#[test]
fn nested_tuples_with_an_integer_and_a_bool() {
    // 2x²: 4x.
    let (value, grad) = nested_grad(1.25);
    assert_eq!(value, nested(1.25));
    assert_eq!(grad.x, 5.0);
    assert_eq!(nested_jvp(1.25, &NestedGrad { x: 1.0 }).1, 5.0);
}

#[differentiate]
fn carried(x: f64, n: usize) -> f64 {
    let mut acc = (0.0, 0usize);
    for i in 0..n {
        acc = (acc.0 + x * i as f64, acc.1 + 1);
    }
    acc.0 * acc.1 as f64
}

#[differentiate]
fn destructured_in_a_loop(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let (a, k) = (x * x, i);
        if k % 2 == 0 {
            s += a * k as f64;
        }
    }
    s
}

#[test]
fn tuples_with_an_integer_in_loops() {
    // x·(0 + 1 + .. + n−1)·n: d/dx = n²(n − 1)/2.
    let (value, grad) = carried_grad(0.5, 4);
    assert_eq!(value, carried(0.5, 4));
    assert_eq!(grad.x, 24.0);
    assert_eq!(carried_jvp(0.5, 4, &CarriedGrad { x: 1.0 }).1, 24.0);
    // x²·(0 + 2 + 4) for n = 5: d/dx = 12x.
    let (value, grad) = destructured_in_a_loop_grad(0.5, 5);
    assert_eq!(value, destructured_in_a_loop(0.5, 5));
    assert_eq!(grad.x, 6.0);
    let tangent = DestructuredInALoopGrad { x: 1.0 };
    assert_eq!(destructured_in_a_loop_jvp(0.5, 5, &tangent).1, 6.0);
}

#[differentiate]
fn merged(x: f64) -> f64 {
    let p = if x > 0.0 { (x * 2.0, 1i32) } else { (x, -1i32) };
    p.0 * p.1 as f64
}

#[differentiate]
fn returns_early(x: f64, n: usize) -> (f64, usize) {
    for i in 0..n {
        if x * (i as f64) > 1.0 {
            return (x * x, i);
        }
    }
    (x, n)
}

#[test]
fn tuples_with_an_integer_merged_by_branches_and_returned_early() {
    // 2x for x > 0, −x otherwise.
    assert_eq!(merged_grad(0.75).1.x, 2.0);
    assert_eq!(merged_grad(-0.75).1.x, -1.0);
    assert_eq!(merged_jvp(0.75, &MergedGrad { x: 1.0 }).1, 2.0);
    assert_eq!(merged_jvp(-0.75, &MergedGrad { x: 1.0 }).1, -1.0);
    // x = 0.75, n = 4: i = 2 returns (x², 2), d/dx = 2x.
    let (value, grad) = returns_early_vjp(0.75, 4, (1.0, ()));
    assert_eq!(value, (0.5625, 2));
    assert_eq!(grad.x, 1.5);
    let tangent = ReturnsEarlyGrad { x: 1.0 };
    assert_eq!(
        returns_early_jvp(0.75, 4, &tangent),
        ((0.5625, 2), (1.5, ()))
    );
    // n = 1: no early return, (x, n), d/dx = 1.
    assert_eq!(returns_early_vjp(0.75, 1, (1.0, ())).1.x, 1.0);
}

#[differentiate]
fn in_f32(x: f32, n: u8) -> f32 {
    let p = (x * x, n);
    p.0 * p.1 as f32
}

#[differentiate]
fn generic<T: Float>(x: T, n: usize) -> T {
    let p = (x * x, n);
    p.0 * T::from(p.1).unwrap()
}

#[differentiate]
fn converted(x: f64, n: u32) -> f64 {
    let p = (x.sin(), n);
    p.0 * f64::from(p.1)
}

#[test]
fn f32_generic_floats_and_conversions() {
    // x²·n: 2xn.
    let (value, grad) = in_f32_grad(1.5, 3);
    assert_eq!(value, in_f32(1.5, 3));
    assert_eq!(grad.x, 9.0f32);
    assert_eq!(in_f32_jvp(1.5, 3, &InF32Grad { x: 1.0 }).1, 9.0f32);
    assert_eq!(generic_grad(1.5f64, 3).1.x, 9.0);
    assert_eq!(generic_grad(1.5f32, 3).1.x, 9.0f32);
    assert_eq!(generic_jvp(1.5f64, 3, &GenericGrad { x: 1.0 }).1, 9.0);
    // sin(x)·n: cos(x)·n.
    let x = 0.4f64;
    assert_eq!(converted_grad(x, 3).1.x, x.cos() * 3.0);
    assert_eq!(
        converted_jvp(x, 3, &ConvertedGrad { x: 1.0 }).1,
        x.cos() * 3.0
    );
}
