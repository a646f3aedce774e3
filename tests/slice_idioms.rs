//! Slices written as users write them: iterating slices of non-`Copy` elements (`for row in
//! xs` over `&[Vec<f64>]` or `&[DVector<f64>]`), in f64 (central differences), f32 (closed
//! forms) and generic functions.
#![allow(clippy::all)]

use nalgebra::{DVector, Vector3};
use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

// ---- slices of non-Copy elements -------------------------------------------------------

/// Rows as `&[Vec<f64>]`, both the rows and the weights differentiated.
#[differentiate]
fn rows_loss(xs: &[Vec<f64>], w: &[f64]) -> f64 {
    let mut loss = 0.0;
    for row in xs {
        let mut pred = 0.0;
        for (a, b) in row.iter().zip(w) {
            pred += a * b;
        }
        loss += (pred - 1.0).powi(2);
    }
    loss
}

#[test]
fn for_row_in_slice_of_vecs() {
    probe!(p => rows_loss, rows_loss_grad, rows_loss_vjp,
        [&[vec![p[0], p[1]], vec![p[2], p[3]], vec![p[4], p[5]]], &p[6..8]], [xs, w],
        [0.5, -1.0, 1.5, 0.3, -0.7, 2.0, 0.4, -0.6]);
}

/// `.iter().zip(ys)` of two slices of vectors, `.enumerate()`, a row read by index.
#[differentiate]
fn paired_rows(xs: &[Vec<f64>], ys: &[Vec<f64>], t: f64) -> f64 {
    let mut s = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        s += x[0] * y[1] * t - x[1].sin();
    }
    for (i, x) in xs.iter().enumerate() {
        s += i as f64 * x[0] * x[1];
    }
    let first = &xs[0];
    s + first[1] * ys[1][0]
}

#[test]
fn zip_and_enumerate_of_slices_of_vecs() {
    probe!(p => paired_rows, paired_rows_grad, paired_rows_vjp,
        [&[vec![p[0], p[1]], vec![p[2], p[3]]], &[vec![p[4], p[5]], vec![p[6], p[7]]], p[8]],
        [xs, ys, t],
        [0.5, -1.0, 1.5, 0.3, -0.7, 2.0, 0.4, -0.6, 1.3]);
}

/// `&[DVector<f64>]` differentiated: norms and dot products of the elements, in reverse order.
#[differentiate]
fn vector_pairs(xs: &[DVector<f64>], c: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for x in xs.iter() {
        s += (x - c).norm_squared() + x.dot(c).tanh();
    }
    for x in xs.iter().rev() {
        s = s * 0.5 + x.norm();
    }
    s
}

#[test]
fn slice_of_dvectors() {
    let v = |a: &[f64]| DVector::from_column_slice(a);
    probe!(p => vector_pairs, vector_pairs_grad, vector_pairs_vjp,
        [&[v(&p[0..3]), v(&p[3..6])], &v(&p[6..9])], [xs, c],
        [0.5, -1.0, 1.5, 0.3, -0.7, 2.0, 0.4, -0.6, 0.2]);
}

/// `&[Vector3<f64>]` read by index (`Vector3` is `Copy`, but not a scalar).
#[differentiate]
fn pair_energy(positions: &[Vector3<f64>], k: f64) -> f64 {
    let mut e = 0.0;
    for i in 0..positions.len() {
        for j in 0..i {
            let d = positions[i] - positions[j];
            e += k * d.norm_squared() + positions[i].dot(&positions[j]);
        }
    }
    e
}

#[test]
fn slice_of_vector3_read_by_index() {
    let v = |a: &[f64]| Vector3::new(a[0], a[1], a[2]);
    probe!(p => pair_energy, pair_energy_grad, pair_energy_vjp,
        [&[v(&p[0..3]), v(&p[3..6]), v(&p[6..9])], p[9]], [positions, k],
        [0.5, -1.0, 1.5, 0.3, -0.7, 2.0, 0.4, -0.6, 0.2, 1.7]);
}

/// An owned `Vec<Vec<f64>>`, iterated and indexed.
#[differentiate]
fn owned_rows(xs: Vec<Vec<f64>>, t: f64) -> f64 {
    let mut s = 0.0;
    for row in xs.iter() {
        for &v in row {
            s += v * v * t;
        }
    }
    s + xs[1][0] * xs[0].len() as f64
}

#[test]
fn owned_vec_of_vecs() {
    probe!(p => owned_rows, owned_rows_grad, owned_rows_vjp,
        [vec![vec![p[0], p[1]], vec![p[2], p[3]]], p[4]], [xs, t],
        [0.5, -1.0, 1.5, 0.3, 0.8]);
}

/// f32: Σ_rows (w·row)², with the closed form 2 (w·row) row.
#[differentiate(wrt(w))]
fn rows_f32(w: &[f32], xs: &[Vec<f32>]) -> f32 {
    let mut s = 0.0;
    for x in xs {
        let z: f32 = w.iter().zip(x).map(|(a, b)| a * b).sum();
        s += z * z;
    }
    s
}

#[test]
fn slice_of_vecs_f32() {
    let xs = vec![vec![1.0f32, 2.0], vec![-0.5, 0.25]];
    let w = [0.5f32, -1.5];
    let (v, g) = rows_f32_grad(&w, &xs);
    assert_eq!(v, rows_f32(&w, &xs));
    let mut expected = [0.0f32; 2];
    for x in &xs {
        let z = w[0] * x[0] + w[1] * x[1];
        expected[0] += 2.0 * z * x[0];
        expected[1] += 2.0 * z * x[1];
    }
    for k in 0..2 {
        assert!(
            (g.w[k] - expected[k]).abs() < 1e-5,
            "{:?} vs {expected:?}",
            g.w
        );
    }
}

/// Generic: the same loss over `&[Vec<T>]`, in f64 against central differences and in f32.
#[differentiate]
fn rows_generic<T: Float>(xs: &[Vec<T>], w: &[T]) -> T {
    let mut s = T::zero();
    for row in xs.iter() {
        let mut z = T::zero();
        for (&a, &b) in row.iter().zip(w) {
            z = z + a * b;
        }
        s = s + z.tanh();
    }
    s
}

#[test]
fn slice_of_vecs_generic() {
    probe!(p => rows_generic, rows_generic_grad, rows_generic_vjp,
        [&[vec![p[0], p[1]], vec![p[2], p[3]]], &p[4..6]], [xs, w],
        [0.5, -1.0, 1.5, 0.3, -0.7, 0.9]);
    let xs = vec![vec![0.5f32, -1.0], vec![1.5, 0.3]];
    let w = [-0.7f32, 0.9];
    let (v, g) = rows_generic_grad(&xs, &w);
    assert_eq!(v, rows_generic(&xs, &w));
    for (r, row) in xs.iter().enumerate() {
        let z = row[0] * w[0] + row[1] * w[1];
        let sech2 = 1.0 - z.tanh() * z.tanh();
        for k in 0..2 {
            assert!((g.xs[r][k] - sech2 * w[k]).abs() < 1e-5);
        }
    }
}
