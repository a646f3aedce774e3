//! Closures that capture differentiated values, whatever their body's shape: an
//! expression, a block with `let`s, an `if`, a `match`, a nested closure. Each is used in
//! `.map(..)` over a range, over a slice (`.iter()`) and over a nalgebra vector, inline and
//! bound by `let`, and checked against central differences (value bit for bit, `f_vjp`
//! linear in its seed); the repros against their closed forms.
#![cfg(feature = "nalgebra")]
#![allow(dead_code, clippy::all)]

use nalgebra::DVector;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

const POINTS: [[f64; 5]; 3] = [
    [1.5, -0.4, 0.8, 0.3, -0.6],
    [-0.7, 1.1, -0.2, 0.9, 0.35],
    [0.45, 0.6, 1.3, -1.2, 0.7],
];

/// `f(s, t, xs)` with `xs` three elements, checked at each point.
macro_rules! probe_st {
    ($f:ident, $g:ident, $v:ident) => {{
        for pt in POINTS {
            probe!(p => $f, $g, $v, [p[0], p[1], &p[2..5]], [s, t, xs], pt);
        }
    }};
}

/// `f(s, t, v)` with `v` a nalgebra vector of three elements.
macro_rules! probe_vector {
    ($f:ident, $g:ident, $v:ident) => {{
        for pt in POINTS {
            probe!(p => $f, $g, $v, [p[0], p[1], &DVector::from_column_slice(&p[2..5])], [s, t, v], pt);
        }
    }};
}

// ---- the repros ------------------------------------------------------------------

#[differentiate]
fn range_block(x: f64) -> f64 {
    (0..3).map(|_i| x * x).sum::<f64>() + (0..3).map(|_i| x * x).sum::<f64>()
}

#[test]
fn range_map_with_a_block_body() {
    // 2 · 3x² → 12x.
    let (value, grad) = range_block_grad(1.5);
    assert_eq!(value, 13.5);
    assert_eq!(grad.x, 18.0);
}

#[differentiate]
fn vector_block(v: &DVector<f64>, s: f64) -> f64 {
    v.map(|e| e * s).sum()
}

#[test]
fn nalgebra_map_with_a_block_body_capturing_the_scale() {
    let v = DVector::from_vec(vec![1.0, 2.0, -0.5]);
    let (value, grad) = vector_block_grad(&v, 3.0);
    assert_eq!(value, 7.5);
    assert_eq!(grad.s, 2.5);
    assert_eq!(grad.v, DVector::from_vec(vec![3.0, 3.0, 3.0]));
}

// ---- over a range ------------------------------------------------------------------------

#[differentiate]
fn range_bodies(s: f64, t: f64, xs: &[f64]) -> f64 {
    let block: f64 = (0..3)
        .map(|i| {
            let a = s * (i as f64);
            a * t + xs[i]
        })
        .sum();
    let branch: f64 = (1..=3)
        .map(|i| if s > 0.0 { s * t * (i as f64) } else { t })
        .sum();
    let matched: f64 = (0..2)
        .map(|i| match i {
            0 => s.sin(),
            _ => t * s,
        })
        .sum();
    let nested: f64 = (0..3)
        .map(|i| {
            let scale = |q: f64| q * s + t;
            scale(xs[i])
        })
        .sum();
    let product: f64 = (0..2).map(|_| s + t).product();
    block + branch + matched + nested + product
}

#[test]
fn range_map_bodies_capture_active_values() {
    probe_st!(range_bodies, range_bodies_grad, range_bodies_vjp);
}

#[differentiate]
fn range_let_bound(s: f64, t: f64, xs: &[f64]) -> f64 {
    let g = |i: usize| {
        let w = xs[i] * t;
        if w > 0.0 {
            w * s
        } else {
            s
        }
    };
    (0..3).map(g).sum()
}

#[test]
fn range_map_with_a_let_bound_closure() {
    probe_st!(range_let_bound, range_let_bound_grad, range_let_bound_vjp);
}

// ---- over a slice ------------------------------------------------------------------------

#[differentiate]
fn slice_bodies(s: f64, t: f64, xs: &[f64]) -> f64 {
    let block: f64 = xs
        .iter()
        .map(|e| {
            let a = e * s;
            a * a + t
        })
        .sum();
    let branch: f64 = xs.iter().map(|e| if *e > 0.0 { e * t } else { s }).sum();
    let matched: f64 = xs
        .iter()
        .enumerate()
        .map(|(i, e)| match i {
            0 => e * s,
            _ => e + t * t,
        })
        .sum();
    let nested: f64 = xs
        .iter()
        .map(|e| {
            let inner = |q: f64| (q * t).sin();
            inner(*e) * s
        })
        .sum();
    block + branch + matched + nested
}

#[test]
fn slice_map_bodies_capture_active_values() {
    probe_st!(slice_bodies, slice_bodies_grad, slice_bodies_vjp);
}

#[differentiate]
fn slice_let_bound(s: f64, t: f64, xs: &[f64]) -> f64 {
    let g = |e: &f64| {
        let w = e * t;
        w * s
    };
    xs.iter().map(g).sum()
}

#[test]
fn slice_map_with_a_let_bound_closure() {
    probe_st!(slice_let_bound, slice_let_bound_grad, slice_let_bound_vjp);
}

// ---- over a nalgebra vector ----------------------------------------------------------------

#[differentiate]
fn vector_bodies(s: f64, t: f64, v: &DVector<f64>) -> f64 {
    let inline = v.map(|e| e * s + t).sum();
    let block = v.map(|e| {
        let a = e * t;
        a * a + s
    });
    let branch = v.map(|e| if e > 0.0 { e * s } else { t });
    let matched = v.map(|e| match e > 0.5 {
        true => e * t,
        false => s,
    });
    let nested = v.map(|e| {
        let inner = |q: f64| (q * s).sin();
        inner(e) + t
    });
    inline + block.sum() + branch.dot(&matched) + nested.norm_squared()
}

#[test]
fn nalgebra_map_bodies_capture_active_values() {
    probe_vector!(vector_bodies, vector_bodies_grad, vector_bodies_vjp);
}

/// The README's let-bound form.
#[differentiate]
fn vector_let_bound(s: f64, t: f64, v: &DVector<f64>) -> f64 {
    let g = |e: f64| e * t + s;
    let h = |e: f64| {
        let w = e * s;
        w.tanh()
    };
    v.map(g).sum() + v.map(h).dot(v)
}

#[test]
fn nalgebra_map_with_a_let_bound_closure() {
    probe_vector!(
        vector_let_bound,
        vector_let_bound_grad,
        vector_let_bound_vjp
    );
}

/// A capture that is data (no derivative): the closure still reads it.
#[differentiate]
fn vector_data_capture(s: f64, t: f64, v: &DVector<f64>, n: usize) -> f64 {
    let k = n as f64;
    v.map(|e| e * k * s).sum() + t
}

#[test]
fn nalgebra_map_with_a_data_capture() {
    for pt in POINTS {
        probe!(p => vector_data_capture, vector_data_capture_grad, vector_data_capture_vjp,
            [p[0], p[1], &DVector::from_column_slice(&p[2..5]), 3], [s, t, v], pt);
    }
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Scaled {
    w: DVector<f64>,
    s: f64,
}

/// Receivers that are not variables: a parameter's field and a temporary.
#[differentiate]
fn vector_receivers(p: &Scaled, t: f64) -> f64 {
    let a = p.w.map(|e| e * p.s + t).sum();
    let b = (&p.w * t).map(|e| e * e * p.s).sum();
    a + b
}

#[test]
fn nalgebra_map_of_a_field_and_of_a_temporary() {
    let scaled = |p: &[f64]| Scaled {
        w: DVector::from_column_slice(&p[..3]),
        s: p[3],
    };
    let flat = |g: &Scaled, t: f64| vec![g.w[0], g.w[1], g.w[2], g.s, t];
    for pt in POINTS {
        probe::check(
            "vector_receivers",
            &pt,
            |p| vector_receivers(&scaled(p), p[4]),
            |p| {
                let (v, g) = vector_receivers_grad(&scaled(p), p[4]);
                (v, flat(&g.p, g.t))
            },
            |p, d| {
                let (v, g) = vector_receivers_vjp(&scaled(p), p[4], d);
                (v, flat(&g.p, g.t))
            },
        );
    }
}

// ---- called directly ------------------------------------------------------------------------

#[differentiate]
fn called_bodies(s: f64, t: f64, xs: &[f64]) -> f64 {
    let block = |q: f64| {
        let a = q * s;
        a.sin() + t
    };
    let branch = |q: f64| if q > t { q * s } else { t * t };
    let matched = |k: usize| match k {
        0 => s * xs[0],
        _ => t + xs[k],
    };
    let nested = |q: f64| {
        let inner = |r: f64| r * t + s;
        inner(q) * inner(s)
    };
    let mut total = 0.0;
    for k in 0..3 {
        total += block(xs[k]) + branch(xs[k]) + matched(k) + nested(xs[k]);
    }
    total
}

#[test]
fn closures_called_directly_capture_active_values() {
    probe_st!(called_bodies, called_bodies_grad, called_bodies_vjp);
}

/// A `.map` capturing a differentiated value inside a loop, and one capturing an array
/// written by index (read as it is at the `.map`).
#[differentiate]
fn vector_map_in_a_loop(s: f64, t: f64, v: &DVector<f64>) -> f64 {
    let mut total = 0.0;
    let mut a = [0.0; 2];
    for k in 0..3 {
        a[k % 2] = s * (k as f64) + t;
        let w = v.map(|e| {
            let b = e * a[0] + a[1];
            b * s
        });
        total += w.sum() * t;
    }
    total
}

#[test]
fn nalgebra_map_in_a_loop_capturing_an_array_written_by_index() {
    probe_vector!(
        vector_map_in_a_loop,
        vector_map_in_a_loop_grad,
        vector_map_in_a_loop_vjp
    );
}

// ---- reductions inside closures, closures inside reductions ----------------------------------

#[differentiate]
fn reductions_in_closures(s: f64, t: f64, xs: &[f64]) -> f64 {
    let f = |q: f64| xs.iter().map(|v| v * q).sum::<f64>();
    let g = |q: f64| f(q) * s + (0..2).map(|i| xs[i] * q * t).sum::<f64>();
    let nested: f64 = xs
        .iter()
        .map(|e| {
            let inner: f64 = xs.iter().map(|w| w * e * s).sum();
            inner.sin() + t
        })
        .sum();
    g(s) + f(t) + nested
}

#[test]
fn reductions_inside_closures_and_closures_inside_reductions() {
    probe_st!(
        reductions_in_closures,
        reductions_in_closures_grad,
        reductions_in_closures_vjp
    );
}
