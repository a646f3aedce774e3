//! Checks of forward mode shared by the `forward_*` tests: the value of `f_jvp` is `f`'s bit
//! for bit, its tangent is the central difference along the tangent, and the dot-product
//! identity ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩ holds between `f_jvp` and `f_vjp`.
#![allow(dead_code)]

use tapeless::check::{central_difference, relative_error};

/// A deterministic stream of values in [-1.5, 1.5).
pub struct Values(u64);

impl Values {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        3.0 * ((self.0 >> 11) as f64 / (1u64 << 53) as f64) - 1.5
    }

    pub fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

pub fn assert_close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    let error = relative_error(actual, expected);
    assert!(
        error <= tolerance,
        "{what}: got {actual:e}, expected {expected:e} (relative error {error:e})"
    );
}

/// The directional derivative of `f` at `x` along `v`, by central differences.
pub fn along(f: impl Fn(&[f64]) -> f64, x: &[f64], v: &[f64]) -> f64 {
    let g = central_difference(
        |s: &[f64]| {
            let moved: Vec<f64> = x.iter().zip(v).map(|(x, v)| x + s[0] * v).collect();
            f(&moved)
        },
        &[0.0],
    );
    g[0]
}

/// Checks a function of the flat input `x` with a scalar output: `value` is the plain
/// function, `jvp(x, v)` is `f_jvp` with the tangent `v` (flat), `gradient(x)` is `f_grad`'s
/// gradient (flat).
pub fn check_scalar(
    what: &str,
    points: &[Vec<f64>],
    value: impl Fn(&[f64]) -> f64,
    jvp: impl Fn(&[f64], &[f64]) -> (f64, f64),
    gradient: impl Fn(&[f64]) -> Vec<f64>,
) {
    let mut values = Values(3);
    for x in points {
        let v = values.vec(x.len());
        let (y, dy) = jvp(x, &v);
        assert_eq!(y.to_bits(), value(x).to_bits(), "{what}: value at {x:?}");
        assert_close(
            &format!("{what}: tangent at {x:?}"),
            dy,
            along(&value, x, &v),
            1e-6,
        );
        let g = gradient(x);
        let reverse: f64 = g.iter().zip(&v).map(|(g, v)| g * v).sum();
        assert_close(
            &format!("{what}: ⟨Jv, 1⟩ = ⟨v, Jᵀ1⟩ at {x:?}"),
            dy,
            reverse,
            1e-12,
        );
    }
}

/// As [`check_scalar`] for a vector output: `vjp(x, w)` is `f_vjp`'s gradient (flat) for
/// the seed `w`; the dot-product test is ⟨f_jvp(v), w⟩ = ⟨v, f_vjp(w)⟩.
pub fn check_vector(
    what: &str,
    points: &[Vec<f64>],
    value: impl Fn(&[f64]) -> Vec<f64>,
    jvp: impl Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>),
    vjp: impl Fn(&[f64], &[f64]) -> Vec<f64>,
) {
    let mut values = Values(5);
    for x in points {
        let v = values.vec(x.len());
        let (y, dy) = jvp(x, &v);
        let plain = value(x);
        assert_eq!(y.len(), plain.len());
        for (a, b) in y.iter().zip(&plain) {
            assert_eq!(a.to_bits(), b.to_bits(), "{what}: value at {x:?}");
        }
        for (k, dy_k) in dy.iter().enumerate() {
            let numeric = along(|x| value(x)[k], x, &v);
            assert_close(
                &format!("{what}: tangent {k} at {x:?}"),
                *dy_k,
                numeric,
                1e-6,
            );
        }
        let w = values.vec(y.len());
        let forward: f64 = dy.iter().zip(&w).map(|(a, b)| a * b).sum();
        let reverse: f64 = vjp(x, &w).iter().zip(&v).map(|(a, b)| a * b).sum();
        assert_close(
            &format!("{what}: ⟨Jv, w⟩ = ⟨v, Jᵀw⟩ at {x:?}"),
            forward,
            reverse,
            1e-12,
        );
    }
}

pub fn points(n: usize, count: usize) -> Vec<Vec<f64>> {
    let mut values = Values(17);
    (0..count).map(|_| values.vec(n)).collect()
}
