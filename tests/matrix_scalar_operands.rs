//! Matrix × scalar, scalar × matrix and matrix ÷ scalar where the macro cannot see that the
//! scalar is one: the result of a differentiated helper, `*r` of an `&f64` parameter, a
//! product of such values, a `&f64` used directly, a branch's value. nalgebra has no
//! `&Matrix * &f64`, so the generated code must pass the scalar by value. Checked against
//! central differences (value bit for bit, `f_vjp` linear in its seed).
#![cfg(feature = "nalgebra")]
#![allow(clippy::all)]

use nalgebra::{DMatrix, Matrix2};
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

#[differentiate]
fn h(x: f64) -> f64 {
    x * x + 0.5
}

#[differentiate]
fn from_helper(x: f64, mx: &DMatrix<f64>) -> f64 {
    let t = h(x);
    (mx * t).sum() + (t * mx).sum() + (mx / t).sum()
}

#[differentiate]
fn from_reference(r: &f64, mx: &DMatrix<f64>) -> f64 {
    let t = *r;
    (mx * t).sum() + (mx / t).sum() + (mx * *r).norm_squared()
}

#[differentiate]
fn from_products_and_branches(x: f64, mx: &DMatrix<f64>) -> f64 {
    let t = h(x) * 2.0;
    let u = if x > 0.0 { h(x) } else { t };
    let scaled = mx * t;
    let mut compound = mx * 1.0;
    compound *= u;
    compound /= h(x);
    (&scaled / u).sum() + (u * &scaled).trace() + (mx * h(x)).sum() + compound.sum()
}

/// A statically sized matrix (`Copy`) with the same operands.
#[differentiate]
fn fixed_size(x: f64, m: &Matrix2<f64>) -> f64 {
    let t = h(x);
    (m * t).sum() + (t * m).determinant() + (m / t).trace()
}

fn dmatrix(p: &[f64]) -> DMatrix<f64> {
    DMatrix::from_column_slice(2, 2, p)
}

#[test]
fn scalar_from_a_differentiated_helper() {
    for x in [0.7, -1.2] {
        probe!(p => from_helper, from_helper_grad, from_helper_vjp, [p[0], &dmatrix(&p[1..5])], [x, mx], [x, 0.3, -0.8, 1.1, 0.4]);
    }
}

#[test]
fn scalar_from_a_reference_parameter() {
    probe!(p => from_reference, from_reference_grad, from_reference_vjp, [&p[0], &dmatrix(&p[1..5])], [r, mx], [0.9, 0.3, -0.8, 1.1, 0.4]);
}

#[test]
fn scalar_from_products_and_branches() {
    for x in [0.7, -1.2] {
        probe!(p => from_products_and_branches, from_products_and_branches_grad, from_products_and_branches_vjp, [p[0], &dmatrix(&p[1..5])], [x, mx], [x, 0.3, -0.8, 1.1, 0.4]);
    }
}

#[test]
fn scalar_with_a_fixed_size_matrix() {
    let m = |p: &[f64]| Matrix2::from_column_slice(&p[1..5]);
    let flat = |dx: f64, dm: &Matrix2<f64>| [&[dx][..], dm.as_slice()].concat();
    probe::check(
        "fixed_size",
        &[0.6, 0.3, -0.8, 1.1, 0.4],
        |p| fixed_size(p[0], &m(p)),
        |p| {
            let (v, g) = fixed_size_grad(p[0], &m(p));
            (v, flat(g.x, &g.m))
        },
        |p, d| {
            let (v, g) = fixed_size_vjp(p[0], &m(p), d);
            (v, flat(g.x, &g.m))
        },
    );
}
