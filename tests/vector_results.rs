//! Functions that return vectors and matrices: `f_vjp` takes the result's adjoint as
//! `seed`, of the result's type, and returns seedᵀ·J for each parameter.
#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, Vector3};
use tapeless::differentiate;

#[differentiate]
fn affine(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> DVector<f64> {
    a * x + b
}

#[test]
fn affine_map_vjp_is_the_transposed_jacobian_times_the_seed() {
    let a = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, -1.0, 0.5, 4.0]);
    let x = DVector::from_vec(vec![0.3, -0.2, 0.7]);
    let b = DVector::from_vec(vec![1.0, -1.0]);
    let seed = DVector::from_vec(vec![2.0, -3.0]);
    let (value, grad) = affine_vjp(&a, &x, &b, seed.clone());
    assert_eq!(value, affine(&a, &x, &b));
    // J_x = A, J_b = I, ∂(seed·(Ax + b))/∂A = seed xᵀ.
    assert_eq!(grad.x, a.transpose() * &seed);
    assert_eq!(grad.b, seed.clone());
    assert_eq!(grad.a, &seed * x.transpose());
}

#[differentiate]
fn scaled(v: Vector3<f64>, s: f64) -> Vector3<f64> {
    v * s.exp() + v.component_mul(&v)
}

#[test]
fn static_vector_result() {
    let v = Vector3::new(0.5, -1.0, 2.0);
    let s = 0.3;
    let seed = Vector3::new(1.0, 2.0, -1.0);
    let (value, grad) = scaled_vjp(v, s, seed);
    assert_eq!(value, scaled(v, s));
    // J_v = e^s I + 2 diag(v); ∂/∂s = e^s v.
    let expected_v = seed * s.exp() + 2.0 * seed.component_mul(&v);
    assert!((grad.v - expected_v).norm() < 1e-12);
    assert!((grad.s - s.exp() * seed.dot(&v)).abs() < 1e-12);
}

#[differentiate]
fn early_exit(x: &DVector<f64>, t: f64) -> DVector<f64> {
    for i in 0..x.len() {
        if x[i] > t {
            return x * t;
        }
    }
    x * 2.0
}

#[test]
fn vector_result_with_a_return_in_a_loop() {
    let x = DVector::from_vec(vec![0.1, 0.5, 0.2]);
    let seed = DVector::from_vec(vec![1.0, -1.0, 3.0]);
    let (value, grad) = early_exit_vjp(&x, 0.3, seed.clone());
    assert_eq!(value, early_exit(&x, 0.3));
    assert_eq!(value, &x * 0.3);
    assert_eq!(grad.x, &seed * 0.3);
    assert!((grad.t - seed.dot(&x)).abs() < 1e-12);
    let (value, grad) = early_exit_vjp(&x, 0.9, seed.clone());
    assert_eq!(value, &x * 2.0);
    assert_eq!(grad.x, &seed * 2.0);
    assert_eq!(grad.t, 0.0);
}

#[differentiate]
fn array_result(a: [f64; 3]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = a[i] * a[(i + 1) % 3];
    }
    out
}

#[test]
fn array_result_has_the_transposed_jacobian() {
    let a = [1.0, 2.0, 3.0];
    let seed = [1.0, 10.0, 100.0];
    let (value, grad) = array_result_vjp(a, seed);
    assert_eq!(value, array_result(a));
    assert_eq!(value, [2.0, 6.0, 3.0]);
    // out0 = a0 a1, out1 = a1 a2, out2 = a2 a0.
    let expected = [
        seed[0] * a[1] + seed[2] * a[2],
        seed[0] * a[0] + seed[1] * a[2],
        seed[1] * a[1] + seed[2] * a[0],
    ];
    assert_eq!(grad.a, expected);
}
