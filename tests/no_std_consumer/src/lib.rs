//! Differentiated functions of an embedded crate: no `std`, no `alloc`, no heap.
#![no_std]
#![deny(missing_docs)]
// The code #[differentiate] generates must be clean under clippy's pedantic group too.
#![deny(clippy::pedantic)]

use nalgebra::{Matrix2, Vector2};
use tapeless::prelude::*;

/// Scalars, with float methods through `libm` (`tapeless::prelude::Float`).
#[differentiate]
#[must_use]
pub fn scalar(x: f64, y: f64) -> f64 {
    (x * y).sin() + x.exp().sqrt() / (1.0 + y * y)
}

/// The same written as `no_std` code often is, with `libm`'s functions.
#[differentiate]
#[must_use]
pub fn scalar_libm(x: f64, y: f64) -> f64 {
    libm::sin(x * y) + libm::sqrt(libm::exp(x)) / (1.0 + y * y)
}

/// The same in `f32`.
#[differentiate]
#[must_use]
pub fn scalar_f32(x: f32) -> f32 {
    x.tanh() * x.cos()
}

/// Fixed-size arrays.
#[differentiate]
#[must_use]
pub fn rosenbrock(x: &[f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        s += a * a + 100.0 * b * b;
    }
    s
}

/// The number of steps of [`spring`]: a constant, so the stacks are arrays.
pub const STEPS: usize = 64;

/// A damped spring by explicit Euler: `x` and `v` are carried through a loop of constant
/// trip count and read by products, so each step saves them (in arrays of `STEPS` values).
#[differentiate]
#[must_use]
#[allow(clippy::many_single_char_names)] // the physics' names
pub fn spring(k: f64, c: f64, v0: f64) -> f64 {
    let dt = 0.01;
    let mut x = 1.0;
    let mut v = v0;
    for _ in 0..STEPS {
        let a = -k * x - c * v;
        x += dt * v;
        v += dt * a;
    }
    x * x + v * v
}

/// Horner's rule over a const generic number of coefficients: `p` is carried and read by a
/// product, saved in an array of `N` values.
#[differentiate]
#[must_use]
#[allow(clippy::needless_range_loop)] // the coefficients by index, as the formula reads
pub fn horner<const N: usize>(c: &[f64; N], x: f64) -> f64 {
    let mut p = 0.0;
    for i in 0..N {
        p = p * x + c[i];
    }
    p
}

/// A loop whose trip count is known only at run time, bounded: stacks of 100 values in place.
#[differentiate(max_iterations = 100)]
#[must_use]
pub fn power(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    p
}

/// Static nalgebra matrices.
#[differentiate]
#[must_use]
pub fn quadratic(a: &Matrix2<f64>, x: &Vector2<f64>) -> f64 {
    (a * x).dot(x) + a.determinant()
}

/// A static vector carried through a bounded loop, whose values its reverse sweep does not
/// read: its shape is fixed by its type, so nothing is kept for it (no heap).
#[differentiate(max_iterations = 100)]
#[must_use]
pub fn drift(x: &Vector2<f64>, n: usize) -> f64 {
    let mut p = *x;
    for _ in 0..n {
        p += x;
    }
    p[0] + 2.0 * p[1]
}

/// A vector output: `rotate_vjp` takes an array seed; without `alloc` there is no
/// `rotate_jacobian` (it returns a `Vec`), and none is needed to compile.
#[differentiate]
#[must_use]
pub fn rotate(x: &[f64; 2], angle: f64) -> [f64; 2] {
    let (c, s) = (angle.cos(), angle.sin());
    let mut out = [0.0; 2];
    out[0] = c * x[0] - s * x[1];
    out[1] = s * x[0] + c * x[1];
    out
}

/// Without `alloc` and without `max_iterations`, this does not compile (CI checks the
/// message).
#[cfg(feature = "unbounded-loop")]
#[differentiate]
#[must_use]
pub fn unbounded(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    p
}

/// A matrix of nalgebra 0.34, which tapeless does not implement: does not compile (CI
/// checks the message).
#[cfg(feature = "nalgebra-mismatch")]
#[differentiate]
#[must_use]
pub fn old_nalgebra(m: &nalgebra034::Matrix2<f64>) -> f64 {
    m.norm_squared()
}
