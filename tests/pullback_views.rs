//! A view of a local (`z.column(j)`, `z.row(i)`, `&v[a..b]` of a local `Vec`) in a
//! function that a differentiated caller calls. The caller runs the callee's forward sweep
//! and keeps its reverse sweep as a closure; the closure owns the callee's locals, so a
//! view borrowing one of them cannot be moved in beside it (it failed to compile inside
//! generated code, E0505). Each callee's gradient through a caller is checked against
//! central differences.
#![cfg(feature = "nalgebra")]

use nalgebra::DMatrix;
use tapeless::check::central_difference;
use tapeless::differentiate;

fn assert_close(analytic: &[f64], numeric: &[f64]) {
    assert_eq!(analytic.len(), numeric.len());
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        let scale = 1f64.max(a.abs()).max(n.abs());
        assert!(
            (a - n).abs() <= 1e-6 * scale,
            "coordinate {i}: {a} vs {n}\n{analytic:?}\n{numeric:?}"
        );
    }
}

#[differentiate]
fn column_lse(w: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let z = w * x;
    tapeless::nn::log_sum_exp(&z.column(1))
}

#[differentiate]
fn row_norm(w: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let z = w * x;
    let r = z.row(0);
    r.norm() + r.sum()
}

#[differentiate]
fn window_sum(xs: &[f64]) -> f64 {
    let squares: Vec<f64> = xs.iter().map(|v| v * v).collect();
    let tail = &squares[1..];
    let mut s = 0.0;
    for t in tail {
        s += t.sin();
    }
    s
}

#[differentiate]
fn caller(w: &DMatrix<f64>, x: &DMatrix<f64>, xs: &[f64]) -> f64 {
    let a = column_lse(w, x);
    let b = row_norm(w, x);
    let c = window_sum(xs);
    a * b + c
}

fn matrix(rows: usize, cols: usize, values: &[f64]) -> DMatrix<f64> {
    DMatrix::from_row_slice(rows, cols, values)
}

#[test]
fn views_of_locals_in_called_functions() {
    let wv = [0.3, -0.2, 0.5, 0.1, 0.4, -0.6];
    let xv = [1.0, -0.5, 0.2, 0.7, 0.3, -0.1];
    let xs = [0.4, -1.1, 0.9, 0.25];
    let w = matrix(2, 3, &wv);
    let x = matrix(3, 2, &xv);
    let (value, grad) = caller_grad(&w, &x, &xs);
    assert_eq!(value, caller(&w, &x, &xs));

    let numeric_w = central_difference(|p| caller(&matrix(2, 3, p), &x, &xs), &wv);
    // `from_row_slice` reads row by row; the gradient matrix is compared the same way.
    let analytic_w: Vec<f64> = grad.w.transpose().iter().copied().collect();
    assert_close(&analytic_w, &numeric_w);

    let numeric_x = central_difference(|p| caller(&w, &matrix(3, 2, p), &xs), &xv);
    let analytic_x: Vec<f64> = grad.x.transpose().iter().copied().collect();
    assert_close(&analytic_x, &numeric_x);

    let numeric_xs = central_difference(|p| caller(&w, &x, p), &xs);
    assert_close(&grad.xs, &numeric_xs);
}

#[test]
fn the_callees_alone_agree_with_their_caller_free_gradients() {
    let wv = [0.3, -0.2, 0.5, 0.1, 0.4, -0.6];
    let xv = [1.0, -0.5, 0.2, 0.7, 0.3, -0.1];
    let x = matrix(3, 2, &xv);
    let (_, g) = column_lse_grad(&matrix(2, 3, &wv), &x);
    let numeric = central_difference(|p| column_lse(&matrix(2, 3, p), &x), &wv);
    let analytic: Vec<f64> = g.w.transpose().iter().copied().collect();
    assert_close(&analytic, &numeric);
}
