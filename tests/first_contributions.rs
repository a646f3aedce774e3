//! Adjoints declared as their first contribution (`rules::First` in
//! `macros/src/rules.rs`): where the reverse sweep first meets a vector's or matrix's
//! adjoint at a product, a component product or an activation, the rule writes it
//! (`mul_vjp_rhs_first`, `component_mul_vjp_self_first`, `sigmoid_vjp_first`) instead of
//! zeros it is added into. Each function here is checked against central differences (value
//! bit for bit, the VJP linear in its seed) where a first contribution could lose or double
//! another: an operand used on both sides (`v ∘ v`, `A·A`), contributions met after the
//! first one, products in loop bodies and branches, operands whose dimensions differ in
//! kind (`DMatrix` times `Vector3`), views, scalars of products, and generic code.

#![allow(clippy::needless_range_loop)]

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use nalgebra::{DMatrix, DVector, RealField, Vector3};
use tapeless::{differentiate, nn};

/// `v ∘ v` and `A·A`: the first form declares the adjoint for one operand, the other
/// operand's contribution adds into it.
#[differentiate(wrt(p))]
fn same_operand(p: &DVector<f64>) -> f64 {
    let v = p.map(|x| x.sin());
    let squares = v.component_mul(&v);
    let a = DMatrix::from_fn(2, 2, |i, j| p[i + j]);
    let a2 = &a * &a;
    squares.sum() + a2.sum()
}

/// `h`'s first contribution is the product's (`w * h`, its last use); its earlier uses
/// (an activation, a sum) add to it afterwards.
#[differentiate(wrt(w, x))]
fn later_contributions(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let h = nn::tanh(&(w * x));
    let s = nn::sigmoid(&h).sum();
    let r = nn::relu(&h);
    let z = w.transpose() * &h;
    s + r.dot(&h) + z.norm_squared()
}

/// Products, component products and activations inside a loop body and a branch: each
/// iteration's adjoints are declared by their first contribution.
#[differentiate(wrt(w, x))]
fn in_loops_and_branches(w: &DMatrix<f64>, x: &DVector<f64>, rounds: usize) -> f64 {
    let mut h = x.clone();
    for k in 0..rounds {
        let z = w * &h;
        let a = if k % 2 == 0 {
            nn::tanh(&z)
        } else {
            nn::sigmoid(&z)
        };
        h = a.component_mul(&h) * 0.5 + &h;
    }
    h.norm_squared()
}

/// A dynamic matrix times a `Vector3`, and a `Vector3` scaled: the adjoint's dimensions
/// differ in kind from the operands'.
#[differentiate(wrt(m, v))]
fn mixed_dimensions(m: &DMatrix<f64>, v: &Vector3<f64>) -> f64 {
    let y = m * v;
    let s = v * 2.0;
    let t = v.component_mul(&s);
    y.norm_squared() + t.sum()
}

/// A view as an operand, and a scalar times a matrix.
#[differentiate(wrt(m))]
fn views_and_scalars(m: &DMatrix<f64>) -> f64 {
    let top = m.rows(0, 2);
    let p = top * m.column(1);
    let scaled = p.norm() * m;
    let q = &scaled * 0.25;
    q.sum() + p.sum()
}

/// Each activation's input used by it alone: its adjoint is the activation's first form.
#[differentiate(wrt(w, x))]
fn activations(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let s = nn::sigmoid(&(w * x));
    let r = nn::relu(&(w * x * 2.0));
    let t = nn::tanh(&(w * x));
    s.sum() + r.norm_squared() + t.dot(&s)
}

/// Generic code: the same rules on `DMatrix<T>`.
#[differentiate(wrt(w, x))]
fn generic<T: RealField + Copy + tapeless::Real>(w: &DMatrix<T>, x: &DVector<T>) -> T {
    let z = w * x;
    let h = nn::sigmoid(&(w * x));
    let g = h.component_mul(&z);
    (w.transpose() * g).sum()
}

const W: [f64; 6] = [0.4, -0.7, 1.1, 0.3, 0.9, -0.5];
const X: [f64; 3] = [0.2, -0.6, 0.8];

fn matrix(p: &[f64]) -> DMatrix<f64> {
    DMatrix::from_column_slice(2, 3, p)
}

fn square(p: &[f64]) -> DMatrix<f64> {
    DMatrix::from_column_slice(3, 3, p)
}

fn vector(p: &[f64]) -> DVector<f64> {
    DVector::from_column_slice(p)
}

#[test]
fn the_same_operand_on_both_sides() {
    probe!(p => same_operand, same_operand_grad, same_operand_vjp, [&vector(p)], [p], X);
}

#[test]
fn contributions_after_the_first() {
    let w = [0.4, -0.7, 1.1, 0.3, 0.9, -0.5, 0.2, 0.6, -0.1];
    probe!(p => later_contributions, later_contributions_grad, later_contributions_vjp,
        [&square(&p[..9]), &vector(&p[9..])], [w, x], [&w[..], &X[..]].concat());
}

#[test]
fn loops_and_branches() {
    let w = [0.4, -0.7, 1.1, 0.3, 0.9, -0.5, 0.2, 0.6, -0.1];
    for rounds in [0, 1, 2, 5] {
        probe!(p => in_loops_and_branches, in_loops_and_branches_grad, in_loops_and_branches_vjp,
            [&square(&p[..9]), &vector(&p[9..]), rounds], [w, x], [&w[..], &X[..]].concat());
    }
}

#[test]
fn dimensions_of_different_kinds_views_and_scalars() {
    probe!(p => mixed_dimensions, mixed_dimensions_grad, mixed_dimensions_vjp,
        [&matrix(&p[..6]), &Vector3::from_column_slice(&p[6..])], [m, v], [&W[..], &X[..]].concat());
    let m = [0.4, -0.7, 1.1, 0.3, 0.9, -0.5, 0.2, 0.6, -0.1];
    probe!(p => views_and_scalars, views_and_scalars_grad, views_and_scalars_vjp, [&square(p)], [m], m);
}

#[test]
fn activations_as_first_contributions() {
    probe!(p => activations, activations_grad, activations_vjp,
        [&matrix(&p[..6]), &vector(&p[6..])], [w, x], [&W[..], &X[..]].concat());
}

#[test]
fn generic_code_in_f64_and_f32() {
    probe!(p => generic, generic_grad, generic_vjp,
        [&matrix(&p[..6]), &vector(&p[6..])], [w, x], [&W[..], &X[..]].concat());
    let w32 = DMatrix::from_iterator(2, 3, W.iter().map(|&v| v as f32));
    let x32 = DVector::from_iterator(3, X.iter().map(|&v| v as f32));
    let (v32, g32) = generic_grad(&w32, &x32);
    let (v64, g64) = generic_grad(&matrix(&W), &vector(&X));
    assert!((f64::from(v32) - v64).abs() < 1e-5 * v64.abs().max(1.0));
    for (a, b) in g32.w.iter().zip(g64.w.iter()) {
        assert!((f64::from(*a) - b).abs() < 1e-4 * b.abs().max(1.0));
    }
}
