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

// ---- sub-slices ------------------------------------------------------------------------

/// `&x[a..b]`, `&x[1..]`, `x[..n - 1].iter()`, `&x[a..=b]`, a sub-slice bound by `let`.
#[differentiate]
fn sub_slices(x: &[f64], t: f64) -> f64 {
    let n = x.len();
    let middle = &x[1..n - 1];
    let mut s = 0.0;
    for v in middle {
        s += v * v * t;
    }
    for (a, b) in x[..n - 1].iter().zip(&x[1..]) {
        s += (b - a).powi(2);
    }
    let head: f64 = x[..=1].iter().map(|v| v.sin()).sum();
    s + head * x[2..][0]
}

#[test]
fn sub_slices_of_a_slice() {
    probe!(p => sub_slices, sub_slices_grad, sub_slices_vjp, [&p[..5], p[5]], [x, t],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2]);
}

#[differentiate]
fn weighted_dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        s += x * y;
    }
    s
}

/// Sub-slices passed to a differentiated function, and of a slice of vectors.
#[differentiate]
fn sub_slice_arguments(x: &[f64], rows: &[Vec<f64>]) -> f64 {
    let mut s = weighted_dot(&x[..2], &x[1..]) + weighted_dot(&x[2..4], &rows[0]);
    for row in &rows[1..] {
        s += row[0] * row[1].exp();
    }
    s
}

#[test]
fn sub_slices_passed_to_calls() {
    probe!(p => sub_slice_arguments, sub_slice_arguments_grad, sub_slice_arguments_vjp,
        [&p[..4], &[vec![p[4], p[5]], vec![p[6], p[7]], vec![p[8], p[9]]]], [x, rows],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2, 0.4, -0.2, 0.9, 0.1]);
}

/// `.first()` and `.last()` (by reference, copied, dereferenced) and `split_at`.
#[differentiate]
fn ends_and_halves(x: &[f64], k: usize) -> f64 {
    let first = *x.first().unwrap();
    let last = x.last().copied().unwrap();
    let (head, tail) = x.split_at(k + 1);
    let mut s = first * last + x.first().unwrap() * x.last().expect("not empty");
    for v in head {
        s += v.sin();
    }
    for v in tail.iter() {
        s += v * v;
    }
    s
}

#[test]
fn first_last_and_split_at() {
    probe!(p => ends_and_halves, ends_and_halves_grad, ends_and_halves_vjp, [&p[..5], 1], [x],
        [0.5, -1.0, 1.5, 0.3, -0.7]);
}

/// f32: Σ_{i ≥ 1} x_{i-1} x_i through `&x[1..]`, closed form ∂/∂x_i = x_{i-1} + x_{i+1}.
#[differentiate]
fn neighbours_f32(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for (a, b) in x.iter().zip(&x[1..]) {
        s += a * b;
    }
    s
}

#[test]
fn sub_slice_f32() {
    let x = [1.0f32, -2.0, 0.5, 3.0];
    let (v, g) = neighbours_f32_grad(&x);
    assert_eq!(v, neighbours_f32(&x));
    assert_eq!(g.x, vec![-2.0, 1.5, 1.0, 0.5]);
}

/// Generic: a windowed sum through sub-slices, f64 against central differences, f32 closed form.
#[differentiate]
fn tail_generic<T: Float>(x: &[T], c: T) -> T {
    let (head, tail) = x.split_at(1);
    let mut s = head[0] * c;
    for &v in &tail[..tail.len() - 1] {
        s = s + v * v;
    }
    s + *x.last().unwrap()
}

#[test]
fn sub_slices_generic() {
    probe!(p => tail_generic, tail_generic_grad, tail_generic_vjp, [&p[..4], p[4]], [x, c],
        [0.5, -1.0, 1.5, 0.3, -0.7]);
    let x = [0.5f32, -1.0, 1.5, 0.25];
    let (v, g) = tail_generic_grad(&x, 2.0);
    assert_eq!(v, tail_generic(&x, 2.0));
    assert_eq!(g.x, vec![2.0, -2.0, 3.0, 1.0]);
    assert_eq!(g.c, 0.5);
}

// ---- offsets, windows and chunks -------------------------------------------------------

/// `zip(x.iter().skip(1))`, `.skip(k)`/`.take(k)` of pairs, and `0..x.len() - 1`.
#[differentiate]
fn offsets(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for (a, b) in x.iter().zip(x.iter().skip(1)) {
        s += a * b.sin();
    }
    for (a, b) in x.iter().zip(y.iter().take(2)).skip(1) {
        s += a * b;
    }
    for i in 0..x.len() - 1 {
        s += (x[i + 1] - x[i]).powi(2);
    }
    s + x.iter().skip(10).map(|v| v * v).sum::<f64>()
}

#[test]
fn zip_with_an_offset_copy_skip_and_take() {
    probe!(p => offsets, offsets_grad, offsets_vjp, [&p[..4], &p[4..7]], [x, y],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2, 0.4]);
}

/// `windows(k)` (also longer than the slice: no window) and `chunks(k)` with a shorter last chunk.
#[differentiate]
fn windows_and_chunks(x: &[f64], w: &[f64]) -> f64 {
    let mut s: f64 = x.windows(2).map(|p| (p[1] - p[0]).powi(2)).sum();
    for window in x.windows(3) {
        s += window[0] * window[1] * window[2];
    }
    for window in x.windows(9) {
        s += window[0];
    }
    for (i, chunk) in x.chunks(2).enumerate() {
        let mut c = 0.0;
        for (v, wi) in chunk.iter().zip(w) {
            c += v * wi;
        }
        s += (i as f64 + 1.0) * c.tanh();
    }
    s
}

#[test]
fn windows_and_chunks_of_a_slice() {
    probe!(p => windows_and_chunks, windows_and_chunks_grad, windows_and_chunks_vjp,
        [&p[..5], &p[5..7]], [x, w],
        [0.5, -1.0, 1.5, 0.3, -0.7, 1.2, 0.4]);
}

/// f32: Σ (x_{i+1} − x_i)² by windows, closed form.
#[differentiate]
fn differences_f32(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for w in x.windows(2) {
        s += (w[1] - w[0]) * (w[1] - w[0]);
    }
    s
}

#[test]
fn windows_f32() {
    let x = [1.0f32, 3.0, 2.0];
    let (v, g) = differences_f32_grad(&x);
    assert_eq!(v, differences_f32(&x));
    // ∂/∂x0 = −2(x1 − x0), ∂/∂x1 = 2(x1 − x0) − 2(x2 − x1), ∂/∂x2 = 2(x2 − x1).
    assert_eq!(g.x, vec![-4.0, 6.0, -2.0]);
}

/// Generic: chunk sums and a lagged product, f64 against central differences and f32.
#[differentiate]
fn chunks_generic<T: Float>(x: &[T]) -> T {
    let mut s = T::zero();
    for chunk in x.chunks(2) {
        let mut c = T::zero();
        for &v in chunk {
            c = c + v;
        }
        s = s + c * c;
    }
    for (&a, &b) in x.iter().zip(x.iter().skip(2)) {
        s = s + a * b;
    }
    s
}

#[test]
fn chunks_generic_f64_f32() {
    probe!(p => chunks_generic, chunks_generic_grad, chunks_generic_vjp, [&p[..5]], [x],
        [0.5, -1.0, 1.5, 0.3, -0.7]);
    let x = [1.0f32, 2.0, 3.0];
    let (v, g) = chunks_generic_grad(&x);
    assert_eq!(v, chunks_generic(&x));
    // (x0 + x1)² + x2² + x0 x2.
    assert_eq!(g.x, vec![2.0 * 3.0 + 3.0, 2.0 * 3.0, 2.0 * 3.0 + 1.0]);
}
