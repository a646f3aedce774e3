//! `let mut v = vec![x, y];` and `let mut a = [x, 2.0 * y];` of differentiated values,
//! then written by index (`v[0] = ..`, `a[i] += ..`, in loops too): the array written by
//! index that the immutable literal is. (Reassigned whole from a literal, `a = [y, x];`, its
//! elements are written one by one: `tests/array_states.rs`.) Each against a closed form and
//! central differences, in f64, f32 and generic code.
#![allow(clippy::needless_range_loop, clippy::useless_vec)]

use tapeless::check::central_difference;
use tapeless::{differentiate, Float};

#[differentiate]
fn product_of_pair(v: &[f64]) -> f64 {
    v[0] * v[1]
}

/// f = x·y + 3x·y (the vector is rewritten between the two calls).
#[differentiate]
fn rewritten_vec(x: f64, y: f64) -> f64 {
    let mut v = vec![x, y];
    let a = product_of_pair(&v);
    v[0] = 3.0 * x;
    a + product_of_pair(&v)
}

/// f = x·(2y + x).
#[differentiate]
fn updated_array(x: f64, y: f64) -> f64 {
    let mut a = [x, 2.0 * y];
    a[1] += x;
    a[0] * a[1]
}

/// A running prefix product written in a loop: f = Σₖ Πᵢ≤ₖ wᵢ·x.
#[differentiate]
fn prefix_products(x: f64, w0: f64, w1: f64, w2: f64) -> f64 {
    let mut p = vec![w0 * x, w1 * x, w2 * x];
    for i in 1..3 {
        p[i] *= p[i - 1];
    }
    p.iter().sum::<f64>()
}

#[differentiate]
fn updated_array_f32(x: f32, y: f32) -> f32 {
    let mut a = [x, 2.0 * y];
    a[1] += x;
    a[0] * a[1]
}

#[differentiate]
fn updated_generic<T: Float>(x: T, y: T) -> T {
    let mut a = [x, y * T::from(2.0).unwrap()];
    a[1] = a[1] + x;
    a[0] * a[1]
}

fn close(what: &str, a: &[f64], b: &[f64]) {
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= 1e-6 * x.abs().max(1.0),
            "{what}: {a:?} against {b:?}"
        );
    }
}

#[test]
fn a_vec_literal_rewritten_by_index() {
    let (x, y) = (2.0, 5.0);
    let (value, g) = rewritten_vec_grad(x, y);
    assert_eq!(value, rewritten_vec(x, y));
    assert_eq!(value, 4.0 * x * y);
    close("rewritten_vec", &[g.x, g.y], &[4.0 * y, 4.0 * x]);
}

#[test]
fn an_array_literal_updated_by_index() {
    let (x, y) = (2.0, 5.0);
    let (value, g) = updated_array_grad(x, y);
    assert_eq!(value, x * (2.0 * y + x));
    close("updated_array", &[g.x, g.y], &[2.0 * y + 2.0 * x, 2.0 * x]);
    let (v32, g32) = updated_array_f32_grad(2.0, 5.0);
    assert_eq!(v32, 24.0);
    close(
        "updated_array_f32",
        &[g32.x as f64, g32.y as f64],
        &[14.0, 4.0],
    );
    let (vg, gg) = updated_generic_grad(x, y);
    assert_eq!(vg, value);
    close("updated_generic", &[gg.x, gg.y], &[g.x, g.y]);
}

#[test]
fn a_vec_literal_updated_in_a_loop() {
    let p = [0.7, 1.3, -0.4, 0.9];
    let (value, g) = prefix_products_grad(p[0], p[1], p[2], p[3]);
    assert_eq!(value, prefix_products(p[0], p[1], p[2], p[3]));
    let fd = central_difference(|q: &[f64]| prefix_products(q[0], q[1], q[2], q[3]), &p);
    close("prefix_products", &[g.x, g.w0, g.w1, g.w2], &fd);
}
