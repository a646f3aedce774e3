//! Adjoints that start as the result's adjoint itself (`Adjoint::Adopt` in
//! `macros/src/reverse.rs`): the first contribution to an operand of `a + b`, of the `a`
//! of `a - b`, or of a copy (`a.clone()`, `into_owned`) takes `d_y` over instead of a zero
//! matrix `d_y` is added into. Each function here is checked against central differences
//! (value bit for bit, the VJP linear in its seed) on the shapes where taking over could
//! lose a contribution: the same value on both sides (`v - v`, `v + v`, found by the
//! committed fuzz programs in a generic function), contributions met after the adoption,
//! loops (carried sums, body values), arrays written in place, copies, and scalars of a
//! generic type (whose adjoints are owned values of unknown type).

#![allow(clippy::needless_range_loop, clippy::eq_op)]

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use nalgebra::DVector;
use num_traits::Float;
use tapeless::differentiate;

/// `v - v` and `u + u` of a generic scalar read from a `Vec<T>` (the fuzzer's p00680
/// shape: its type is unknown to the macro, so its adjoint is an owned value), each value
/// used nowhere else, so the operation is the first (and only) contribution to it.
#[differentiate]
fn same_operand<T: Float>(s: Vec<T>) -> T {
    let v = { s[0] / T::from(4.0).unwrap() };
    let v = v - v;
    let u = { s[1].sin() * s[0] };
    let twice = u + u;
    v + twice * s[1]
}

/// The same with vectors: `&a - &a`, `&b + &b`.
#[differentiate(wrt(p))]
fn same_vector(p: &DVector<f64>) -> f64 {
    let a = p.map(|v| v.exp());
    let zero = &a - &a;
    let b = p.map(|v| v.sin());
    let twice = &b + &b;
    zero.sum() + twice.dot(p)
}

/// `a`'s first contribution in the reverse sweep is the adopted one (`b = &a + &w` is its
/// last use); earlier uses add to it afterwards.
#[differentiate(wrt(p, w))]
fn later_contributions(p: &DVector<f64>, w: &DVector<f64>) -> f64 {
    let a = p.map(|v| v.sin());
    let c = a.dot(w);
    let d = a.component_mul(p);
    let b = &a + w;
    let e = &b - &d;
    b.norm_squared() + c * e.sum()
}

/// A carried vector sum and a body value adopted inside the loop body, every iteration.
#[differentiate(wrt(p))]
fn in_a_loop(p: &DVector<f64>, rounds: usize) -> f64 {
    let mut s = p.clone();
    for k in 0..rounds {
        let t = s.map(|v| (v * 0.5).tanh());
        let u = &t * (k as f64 + 1.0);
        s = &s + &u;
    }
    s.norm_squared()
}

/// A vector written in place, copied and added: the copy's adjoint is taken over, then the
/// stores' reverse reads and clears its slots.
#[differentiate(wrt(p))]
fn written_in_place(p: &DVector<f64>) -> f64 {
    let mut m = p.clone_owned();
    m[0] = p[1] * p[2];
    let copy = m.clone();
    m[1] = copy[0].exp();
    let sum = &copy + &m;
    sum.dot(p)
}

/// A view's owned copy, and a difference whose right side is the copied value.
#[differentiate(wrt(p))]
fn owned_views(p: &DVector<f64>) -> f64 {
    let head = p.rows(0, 2).into_owned();
    let tail = p.rows(1, 2).clone_owned();
    let diff = &head - &tail;
    diff.norm_squared() + head.sum()
}

const P: [f64; 3] = [0.4, -0.7, 1.1];
const W: [f64; 3] = [0.3, 0.9, -0.5];

fn vector(p: &[f64]) -> DVector<f64> {
    DVector::from_column_slice(p)
}

#[test]
fn the_same_value_on_both_sides() {
    probe!(p => same_operand, same_operand_grad, same_operand_vjp, [p.to_vec()], [s], [0.8, -1.3]);
    probe!(p => same_vector, same_vector_grad, same_vector_vjp, [&vector(p)], [p], P);
}

#[test]
fn contributions_after_the_adopted_one() {
    probe!(p => later_contributions, later_contributions_grad, later_contributions_vjp,
        [&vector(&p[..3]), &vector(&p[3..])], [p, w], [P, W].concat());
}

#[test]
fn loops_arrays_and_copies() {
    for rounds in [0, 1, 3] {
        probe!(p => in_a_loop, in_a_loop_grad, in_a_loop_vjp, [&vector(p), rounds], [p], P);
    }
    probe!(p => written_in_place, written_in_place_grad, written_in_place_vjp, [&vector(p)], [p], P);
    probe!(p => owned_views, owned_views_grad, owned_views_vjp, [&vector(p)], [p], P);
}

/// f32 through the generic function, against the f64 gradient.
#[test]
fn f32_same_operand() {
    let (v, g) = same_operand_grad(vec![0.8_f32, -1.3]);
    let (v64, g64) = same_operand_grad(vec![0.8_f64, -1.3]);
    assert!((f64::from(v) - v64).abs() < 1e-5);
    for (a, b) in g.s.iter().zip(&g64.s) {
        assert!((f64::from(*a) - b).abs() < 1e-4 * b.abs().max(1.0));
    }
}

/// Forward over reverse: the adopted adjoints are dual numbers (a generic scalar read from
/// a `Vec<T>`) and vectors of them. f = 2·s₁·s₀·sin s₁ once `v - v` cancels.
#[differentiate(hessian)]
fn same_operand_twice<T: Float>(s: Vec<T>) -> T {
    let v = { s[0] / T::from(4.0).unwrap() };
    let v = v - v;
    let u = { s[1].sin() * s[0] };
    let twice = u + u;
    v + twice * s[1]
}

/// f = 2 Σᵢ pᵢ sin pᵢ once `&a - &a` cancels: a diagonal Hessian 2(2 cos pᵢ − pᵢ sin pᵢ).
#[differentiate(hessian, wrt(p))]
fn same_vector_twice(p: &DVector<f64>) -> f64 {
    let a = p.map(|v| v.exp());
    let zero = &a - &a;
    let b = p.map(|v| v.sin());
    let twice = &b + &b;
    zero.sum() + twice.dot(p)
}

#[test]
fn hessians_through_adopted_adjoints() {
    let (s0, s1) = (0.8_f64, -1.3_f64);
    let (value, grad, rows) = same_operand_twice_hessian(vec![s0, s1]);
    assert_eq!(value, same_operand_twice(vec![s0, s1]));
    assert!((value - 2.0 * s1 * s0 * s1.sin()).abs() < 1e-14);
    let g = [2.0 * s1 * s1.sin(), 2.0 * s0 * (s1.sin() + s1 * s1.cos())];
    let h = [
        [0.0, 2.0 * (s1.sin() + s1 * s1.cos())],
        [
            2.0 * (s1.sin() + s1 * s1.cos()),
            2.0 * s0 * (2.0 * s1.cos() - s1 * s1.sin()),
        ],
    ];
    for i in 0..2 {
        assert!((grad.s[i] - g[i]).abs() < 1e-12, "∂f/∂s{i}");
        for j in 0..2 {
            assert!((rows[i].s[j] - h[i][j]).abs() < 1e-12, "H[{i}][{j}]");
        }
    }
    let p = vector(&P);
    let (value, grad, rows) = same_vector_twice_hessian(&p);
    assert_eq!(value, same_vector_twice(&p));
    for i in 0..3 {
        let x = P[i];
        assert!((grad.p[i] - 2.0 * (x.sin() + x * x.cos())).abs() < 1e-12);
        for j in 0..3 {
            let expected = if i == j {
                2.0 * (2.0 * x.cos() - x * x.sin())
            } else {
                0.0
            };
            assert!((rows[i].p[j] - expected).abs() < 1e-12, "H[{i}][{j}]");
        }
    }
}
