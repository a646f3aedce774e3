//! Operands whose type the macro cannot see: the result of a call (a differentiated
//! helper, `T::from(..).unwrap()`), `*r` of an `&f64` parameter, a product of such values,
//! a branch's value. nalgebra has no `&Matrix * &f64` and a generic `T` has no `T + &T`, so
//! the generated code must pass a scalar by value and a matrix by reference: matrix ×
//! scalar, scalar × matrix, matrix ÷ scalar, `T` arithmetic and negation, integer data
//! behind references. Checked against central differences (value bit for bit, `f_vjp`
//! linear in its seed).
#![cfg(feature = "nalgebra")]
#![allow(dead_code, clippy::all)]

use nalgebra::{DMatrix, Matrix2};
use num_traits::Float;
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

/// The fuzzer's repros in generic code: `T::from(..).unwrap()` added, divided, negated.
#[differentiate]
fn generic_call_results<T: Float>(a: Vec<T>, x1: T, x2: T) -> T {
    let one = T::from(1.0).unwrap();
    let mut s = one + x2;
    if a[1] >= -T::from(0.5).unwrap() {
        s = s * (a[0] * a[0] + T::from(1.0).unwrap()).powf(x2.sin());
    }
    let q = x1 / T::from(4.0).unwrap() - T::from(0.25).unwrap() * x2;
    s + q + -(one * x1) + T::from(3.0).unwrap() % T::from(2.0).unwrap()
}

#[test]
fn generic_arithmetic_on_call_results() {
    for pt in [[0.7, 0.3, -0.4, 1.1], [-0.2, -0.9, 0.6, -0.5]] {
        probe!(p => generic_call_results, generic_call_results_grad, generic_call_results_vjp, [p[..2].to_vec(), p[2], p[3]], [a, x1, x2], pt);
    }
}

/// A fixed-size matrix by reference, negated and scaled by a call's result, and integer
/// data behind a reference in arithmetic.
#[differentiate]
fn copy_matrix_and_integers(x: f64, m: &Matrix2<f64>, n: &usize) -> f64 {
    let k = n + 1;
    let t = h(x);
    (m * t).sum() + (-m).trace() * (k as f64) + (m / h(x)).determinant()
}

#[test]
fn copy_matrix_times_a_call_and_integer_references() {
    let m = |p: &[f64]| Matrix2::from_column_slice(&p[1..5]);
    let flat = |dx: f64, dm: &Matrix2<f64>| [&[dx][..], dm.as_slice()].concat();
    probe::check(
        "copy_matrix_and_integers",
        &[0.6, 0.3, -0.8, 1.1, 0.4],
        |p| copy_matrix_and_integers(p[0], &m(p), &2),
        |p| {
            let (v, g) = copy_matrix_and_integers_grad(p[0], &m(p), &2);
            (v, flat(g.x, &g.m))
        },
        |p, d| {
            let (v, g) = copy_matrix_and_integers_vjp(p[0], &m(p), &2, d);
            (v, flat(g.x, &g.m))
        },
    );
}

// ---- findings.md F1: `T::from(c).unwrap()` in generic functions --------------------------------

#[differentiate]
fn f1_product<T: Float>(x: T) -> T {
    let c = T::from(2.0).unwrap();
    x * c
}

#[differentiate]
fn f1_annotated<T: Float>(x: T) -> T {
    let mut s: T = T::from(1.0).unwrap();
    s = s * x;
    s
}

#[differentiate]
fn f1_negated<T: Float>(x: T, y: T) -> T {
    if x >= -T::from(0.5).unwrap() {
        return y;
    }
    x
}

#[test]
fn generic_constants_from_conversions() {
    assert_eq!(f1_product_grad(1.5_f64), (3.0, F1ProductGrad { x: 2.0 }));
    assert_eq!(
        f1_annotated_grad(1.5_f64),
        (1.5, F1AnnotatedGrad { x: 1.0 })
    );
    assert_eq!(
        f1_negated_grad(0.0_f64, 2.0),
        (2.0, F1NegatedGrad { x: 0.0, y: 1.0 })
    );
    assert_eq!(
        f1_negated_grad(-1.0_f32, 2.0),
        (-1.0, F1NegatedGrad { x: 1.0, y: 0.0 })
    );
}
