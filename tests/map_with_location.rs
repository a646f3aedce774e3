//! `m.map_with_location(|i, j, v| ..)`: the loop `m.map(..)` means, with each element's
//! row and column (entry k of the column-major storage is at (k % nrows, k / nrows)).
//! Checked against central differences (value bit for bit, the VJP linear in its seed) on
//! dynamic and static matrices, a view, a closure capturing differentiated values, wildcard
//! and typed parameters, a let-bound closure, generic code in f64 and f32, and a Hessian.

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use nalgebra::{DMatrix, Matrix2x3, RealField};
use tapeless::differentiate;

impl probe::Flat for Matrix2x3<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

/// Entries weighted by their position, and a mask of the diagonal.
#[differentiate]
fn weighted(m: &DMatrix<f64>) -> f64 {
    let w = m.map_with_location(|i, j, v| v * (1.0 + i as f64 + 2.0 * j as f64));
    let diagonal = m.map_with_location(|i, j, v| if i == j { v.exp() } else { 0.0 });
    w.norm_squared() + diagonal.sum()
}

/// A static matrix, a capture of a differentiated scalar, wildcards and a typed parameter.
#[differentiate]
fn captured(m: &Matrix2x3<f64>, s: f64) -> f64 {
    let shifted = m.map_with_location(|_, j, v: f64| v * s + j as f64 * s * s);
    let rows = m.map_with_location(|i, _, _| i as f64 * s);
    shifted.component_mul(&shifted).sum() + rows.sum()
}

/// A view, and a let-bound closure.
#[differentiate]
fn view_and_bound(m: &DMatrix<f64>) -> f64 {
    let f = |i: usize, j: usize, v: f64| v.sin() * (i * 3 + j) as f64;
    let top = m
        .rows(0, 2)
        .map_with_location(|i, j, v| v * v * (i + j) as f64);
    top.sum() + m.map_with_location(f).sum()
}

#[differentiate]
fn generic<T: RealField + Copy>(m: &DMatrix<T>) -> T {
    m.map_with_location(|i, j, v| v * v * T::from_usize(i + 2 * j + 1).unwrap())
        .sum()
}

#[differentiate(hessian)]
fn curved(x: &DMatrix<f64>) -> f64 {
    x.map_with_location(|i, j, v| (v * (i + j + 1) as f64).sin())
        .sum()
}

const M: [f64; 6] = [0.3, -0.8, 1.2, 0.5, -0.4, 0.9];

fn matrix(p: &[f64]) -> DMatrix<f64> {
    DMatrix::from_column_slice(3, 2, p)
}

#[test]
fn positions_and_masks() {
    probe!(p => weighted, weighted_grad, weighted_vjp, [&matrix(p)], [m], M);
    // ∂/∂m_ij of ‖W‖² is 2 m_ij c_ij² with c_ij = 1 + i + 2j, plus e^{m_ii} on the diagonal.
    let (_, g) = weighted_grad(&matrix(&M));
    for j in 0..2 {
        for i in 0..3 {
            let c = 1.0 + i as f64 + 2.0 * j as f64;
            let m = M[i + 3 * j];
            let expected = 2.0 * m * c * c + if i == j { m.exp() } else { 0.0 };
            assert!((g.m[(i, j)] - expected).abs() < 1e-12 * expected.abs().max(1.0));
        }
    }
}

#[test]
fn static_matrices_captures_and_wildcards() {
    let point = [&M[..], &[0.7][..]].concat();
    probe!(p => captured, captured_grad, captured_vjp,
        [&Matrix2x3::from_column_slice(&p[..6]), p[6]], [m, s], point);
}

#[test]
fn views_and_bound_closures() {
    probe!(p => view_and_bound, view_and_bound_grad, view_and_bound_vjp, [&matrix(p)], [m], M);
}

#[test]
fn generic_in_f64_and_f32() {
    probe!(p => generic, generic_grad, generic_vjp, [&matrix(p)], [m], M);
    let m32 = DMatrix::from_iterator(3, 2, M.iter().map(|&v| v as f32));
    let (_, g32) = generic_grad(&m32);
    let (_, g64) = generic_grad(&matrix(&M));
    for (a, b) in g32.m.iter().zip(g64.m.iter()) {
        assert!((f64::from(*a) - b).abs() < 1e-5 * b.abs().max(1.0));
    }
}

#[test]
fn hessian_against_differences_of_the_gradient() {
    let x = matrix(&M);
    let (_, _, rows) = curved_hessian(&x);
    let h = 1e-6;
    for (k, row) in rows.iter().enumerate() {
        let (mut plus, mut minus) = (x.clone(), x.clone());
        plus[k] += h;
        minus[k] -= h;
        let (gp, gm) = (curved_grad(&plus).1.x, curved_grad(&minus).1.x);
        for l in 0..6 {
            let fd = (gp[l] - gm[l]) / (2.0 * h);
            assert!(
                (row.x[l] - fd).abs() < 1e-5 * fd.abs().max(1.0),
                "H[{k}][{l}]"
            );
        }
    }
}
