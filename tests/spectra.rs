//! Spectra in whole programs: `a.symmetric_eigenvalues()` (of the lower triangle nalgebra
//! reads) and `a.singular_values()` (in decreasing order), each differentiated by a
//! matrix-level rule from the decomposition's vectors (`runtime/src/spectral.rs`). Checked
//! against central differences (value bit for bit, the VJP linear in its seed) through
//! functions that do not depend on the order nalgebra returns eigenvalues in (sums, a log-
//! determinant, a fold to the largest), on matrices built from the parameters (BᵀB), a
//! general matrix (whose upper triangle has no effect), rectangular and static shapes,
//! generic code in f64 and f32, forward mode by ⟨∇f, v⟩, and Hessians (forward over
//! reverse through the same rules) against differences of the gradient.

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use nalgebra::{DMatrix, Matrix3, RealField};
use tapeless::differentiate;

impl probe::Flat for Matrix3<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

/// Σ ln λ(BᵀB + I) (a log-determinant through the spectrum) and the largest eigenvalue.
#[differentiate]
fn log_det_and_largest(b: &DMatrix<f64>) -> f64 {
    let n = b.ncols();
    let gram = b.transpose() * b + DMatrix::identity(n, n);
    let lambda = gram.symmetric_eigenvalues();
    let log_det = lambda.map(|l| l.ln()).sum();
    let largest = lambda.iter().fold(f64::NEG_INFINITY, |m, &l| m.max(l));
    log_det + 0.5 * largest
}

/// A general matrix: nalgebra reads its lower triangle, and so does the derivative.
#[differentiate]
fn lower_triangle(a: &DMatrix<f64>) -> f64 {
    let lambda = a.symmetric_eigenvalues();
    lambda.norm_squared() + lambda.map(|l| (0.3 * l).exp()).sum()
}

/// The nuclear norm (Σσ) and the spectral norm (σ₁) of a rectangular matrix.
#[differentiate]
fn norms(a: &DMatrix<f64>) -> f64 {
    let sigma = a.singular_values();
    sigma.sum() + 2.0 * sigma[0]
}

#[differentiate]
fn static_shape(a: &Matrix3<f64>) -> f64 {
    let sigma = a.singular_values();
    let lambda = (a + a.transpose()).symmetric_eigenvalues();
    sigma[0] * sigma[2] + lambda.norm_squared()
}

#[differentiate]
fn generic<T: RealField + Copy>(a: &DMatrix<T>) -> T {
    a.singular_values().sum() + a.symmetric_eigenvalues().norm_squared()
}

const B: [f64; 6] = [0.9, -0.4, 0.3, 1.2, 0.5, -0.7];
const A: [f64; 9] = [2.0, 0.3, -0.5, 0.1, 1.0, 0.4, 0.7, -0.2, 3.0];

#[test]
fn spectra_of_matrices_built_from_parameters() {
    probe!(p => log_det_and_largest, log_det_and_largest_grad, log_det_and_largest_vjp,
        [&DMatrix::from_column_slice(3, 2, p)], [b], B);
    probe!(p => log_det_and_largest, log_det_and_largest_grad, log_det_and_largest_vjp,
        [&DMatrix::from_column_slice(2, 3, p)], [b], B);
}

#[test]
fn the_upper_triangle_has_no_effect() {
    probe!(p => lower_triangle, lower_triangle_grad, lower_triangle_vjp,
        [&DMatrix::from_column_slice(3, 3, p)], [a], A);
    let (_, g) = lower_triangle_grad(&DMatrix::from_column_slice(3, 3, &A));
    for j in 0..3 {
        for i in 0..j {
            assert_eq!(g.a[(i, j)], 0.0);
        }
    }
}

#[test]
fn singular_values_of_rectangular_and_static_matrices() {
    probe!(p => norms, norms_grad, norms_vjp, [&DMatrix::from_column_slice(2, 3, p)], [a], B);
    probe!(p => norms, norms_grad, norms_vjp, [&DMatrix::from_column_slice(3, 2, p)], [a], B);
    probe!(p => static_shape, static_shape_grad, static_shape_vjp,
        [&Matrix3::from_column_slice(p)], [a], A);
}

#[test]
fn generic_in_f64_and_f32_and_forward_mode() {
    probe!(p => generic, generic_grad, generic_vjp, [&DMatrix::from_column_slice(3, 3, p)], [a], A);
    let a32 = DMatrix::from_iterator(3, 3, A.iter().map(|&v| v as f32));
    let (_, g32) = generic_grad(&a32);
    let (_, g64) = generic_grad(&DMatrix::from_column_slice(3, 3, &A));
    for (x, y) in g32.a.iter().zip(g64.a.iter()) {
        assert!((f64::from(*x) - y).abs() < 1e-4 * y.abs().max(1.0));
    }
    let a = DMatrix::from_column_slice(2, 3, &B);
    let v = DMatrix::from_fn(2, 3, |i, j| 0.1 * (i as f64 + 1.0) - 0.2 * j as f64);
    let (value, derivative) = norms_jvp(&a, &NormsGrad { a: v.clone() });
    assert_eq!(value.to_bits(), norms(&a).to_bits());
    let expected = norms_grad(&a).1.a.dot(&v);
    assert!((derivative - expected).abs() < 1e-12 * expected.abs().max(1.0));
}

#[differentiate(hessian)]
fn curvature(a: &DMatrix<f64>) -> f64 {
    a.singular_values().sum() + a.symmetric_eigenvalues().norm_squared()
}

#[test]
fn hessians_against_differences_of_the_gradient() {
    let a = DMatrix::from_column_slice(3, 3, &A);
    let (_, _, rows) = curvature_hessian(&a);
    let h = 1e-5;
    for (k, row) in rows.iter().enumerate() {
        let (mut plus, mut minus) = (a.clone(), a.clone());
        plus[k] += h;
        minus[k] -= h;
        let fd = (curvature_grad(&plus).1.a - curvature_grad(&minus).1.a) / (2.0 * h);
        for (x, y) in row.a.iter().zip(fd.iter()) {
            assert!(
                (x - y).abs() < 1e-6 * y.abs().max(1.0),
                "row {k}: {x} vs {y}"
            );
        }
    }
}
