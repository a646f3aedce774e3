//! Float literals typed only by their context in the source: a literal assigned to a typed
//! variable (`s = 2.0;` after `let mut s = 0.0_f64;`), a variable typed only by a later
//! `return`, a `vec![0.0; n]` typed by the call it is passed to. The generated code gives
//! each version of a variable its own `let`, so it must carry these types over: the
//! functions below compile, and are checked against their closed forms and central
//! differences.
#![allow(dead_code, unused_assignments, unused_mut, clippy::all)]

use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

/// The fuzzer's repro.
#[differentiate]
fn literal_assigned(x: f64) -> f64 {
    let mut s0 = 0.0_f64;
    s0 = 2.0;
    s0.tanh() * x
}

#[test]
fn literal_assigned_to_a_typed_variable() {
    let (value, grad) = literal_assigned_grad(1.5);
    assert_eq!(value, 2.0_f64.tanh() * 1.5);
    assert_eq!(grad.x, 2.0_f64.tanh());
}

/// Literals assigned in branches, in loops, by compound assignment and to annotated
/// variables, each then used by a method.
#[differentiate]
fn literals_assigned_everywhere(x: f64, n: usize) -> f64 {
    let mut a: f64 = 1.0;
    let mut b = x;
    if x > 0.0 {
        a = 0.5;
        b = 3.0;
    }
    let mut c = 0.0_f64;
    for i in 0..n {
        c = 0.25;
        c += (i as f64).sqrt();
        b = b * a.exp() + c.sin();
    }
    a.cos() * b + c.ln_1p()
}

#[test]
fn literals_assigned_in_branches_and_loops() {
    for x in [0.7, -0.4] {
        probe!(p => literals_assigned_everywhere, literals_assigned_everywhere_grad, literals_assigned_everywhere_vjp, [p[0], 3], [x], [x]);
    }
}

/// `s` is typed only by `return s` (in the source, before `s.tanh()` is checked).
#[differentiate]
fn typed_by_return(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    if n == 2 {
        return s;
    }
    s.tanh() + x
}

/// The same inside loops: the returned value leaves the loop.
#[differentiate]
fn typed_by_return_in_loops(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        if i == 2 {
            return s * x;
        }
        s = s.sin() + 1.0;
    }
    let mut t = 0.0;
    while t < 3.0 {
        if n == 7 {
            return t;
        }
        t = (t + 1.0).sqrt() * 2.0;
    }
    t.tanh() * x + s
}

#[test]
fn variables_typed_only_by_a_return() {
    assert_eq!(
        typed_by_return_grad(0.5, 2),
        (0.0, TypedByReturnGrad { x: 0.0 })
    );
    assert_eq!(
        typed_by_return_grad(0.5, 3),
        (0.5, TypedByReturnGrad { x: 1.0 })
    );
    for n in [1, 3, 7] {
        probe!(p => typed_by_return_in_loops, typed_by_return_in_loops_grad, typed_by_return_in_loops_vjp, [p[0], n], [x], [0.8]);
    }
}

fn first(b: &[f64]) -> f64 {
    b[0]
}

#[differentiate]
fn last(b: &[f64]) -> f64 {
    b[b.len() - 1]
}

/// `vec![0.0; 2]` typed only by the helper it is passed to (a function on data, and a
/// differentiated one for an array written by index), read before and after.
#[differentiate]
fn vec_typed_by_a_call(x: f64) -> f64 {
    let b = vec![0.0; 2];
    let s = first(&b);
    let mut c = vec![1.0; 3];
    let t = last(&c);
    c[1] = x * t;
    x * b[0].cos() + s + c[1].sin() * c[2].exp()
}

#[test]
fn vec_typed_by_the_call_it_is_passed_to() {
    probe!(p => vec_typed_by_a_call, vec_typed_by_a_call_grad, vec_typed_by_a_call_vjp, [p[0]], [x], [0.6]);
}

/// findings.md F3: a literal assigned after an `if` value.
#[differentiate]
fn f3_after_branch(x1: f64) -> f64 {
    let mut v8 = if x1 <= 0.5 { x1.sin() } else { x1.cos() };
    v8 = 1.1;
    v8.tanh() + x1
}

#[test]
fn literal_assigned_after_a_branch_value() {
    for x in [0.2, 0.9] {
        assert_eq!(
            f3_after_branch_grad(x),
            (1.1_f64.tanh() + x, F3AfterBranchGrad { x1: 1.0 })
        );
    }
}
