//! `.map` closures over nalgebra vectors: the cost of differentiating a closure applied
//! elementwise, against a hand-written gradient.
//!
//! - `map_tanh` (n = 1000): Σᵢ tanh(vᵢ), `v.map(|e| e.tanh()).sum()`.
//! - `map_sin_mul` (n = 1000): Σᵢ sin(vᵢ)·vᵢ, `v.map(|e| e.sin() * e).sum()`.
//!
//! `tapeless-map-vjp` is what the macro generated before `.map` closures were lowered as
//! loops (the closure's adjoint applied by the runtime's `map_vjp`), written out.
//!
//! Run with `nice cargo bench -p tapeless-benches --bench map -- --warm-up-time 1
//! --measurement-time 3`. `cargo test --benches` runs each benchmark once, as a smoke test.

#[path = "inputs.rs"]
mod inputs;
use inputs::uniform;

use criterion::{black_box, Criterion};
use nalgebra::DVector;
use tapeless::differentiate;

/// Vector length.
const N: usize = 1000;

/// Relative agreement required before timing.
const TOLERANCE: f64 = 1e-12;

#[differentiate]
fn map_tanh(v: &DVector<f64>) -> f64 {
    v.map(|e| e.tanh()).sum()
}

#[differentiate]
fn map_sin_mul(v: &DVector<f64>) -> f64 {
    v.map(|e| e.sin() * e).sum()
}

/// What `#[differentiate]` generated for `map_tanh` before `.map` closures became loops
/// (commit 041a0bf): the closure's own adjoint applied by the runtime's `map_vjp`. Kept to
/// measure the two in one run (`tapeless-map-vjp`).
fn map_tanh_map_vjp(v: &DVector<f64>) -> (f64, DVector<f64>) {
    use tapeless::__private as private;
    let t0 = v.map(|e| e.tanh());
    let t1: f64 = t0.sum();
    let mut d_v = private::zero_adjoint(v);
    let d_t1 = 1.0;
    let mut d_t0 = private::zero_adjoint(&t0);
    private::sum_vjp(&mut d_t0, &d_t1);
    private::map_vjp(&mut d_v, v, &d_t0, |e, seed| {
        let t0 = e.tanh();
        let mut d_e = private::zero_adjoint(&e);
        let d_t0 = seed;
        private::tanh_vjp(&mut d_e, &t0, &d_t0);
        d_e
    });
    (t1, d_v)
}

/// The same for `map_sin_mul`.
fn map_sin_mul_map_vjp(v: &DVector<f64>) -> (f64, DVector<f64>) {
    use tapeless::__private as private;
    let t0 = v.map(|e| e.sin() * e);
    let t1: f64 = t0.sum();
    let mut d_v = private::zero_adjoint(v);
    let d_t1 = 1.0;
    let mut d_t0 = private::zero_adjoint(&t0);
    private::sum_vjp(&mut d_t0, &d_t1);
    private::map_vjp(&mut d_v, v, &d_t0, |e, seed| {
        let t0 = e.sin();
        let mut d_e = private::zero_adjoint(&e);
        let d_t1 = seed;
        let mut d_t0 = -0.0;
        private::mul_vjp_lhs(&mut d_t0, &e, &d_t1);
        private::mul_vjp_rhs(&mut d_e, &t0, &d_t1);
        private::sin_vjp(&mut d_e, &e, &d_t0);
        d_e
    });
    (t1, d_v)
}

/// Σ tanh(vᵢ) and its gradient, 1 − tanh²(vᵢ), written by hand.
fn map_tanh_hand(v: &DVector<f64>) -> (f64, DVector<f64>) {
    let y = v.map(f64::tanh);
    let grad = y.map(|t| 1.0 - t * t);
    (y.sum(), grad)
}

/// Σ sin(vᵢ)·vᵢ and its gradient, cos(vᵢ)·vᵢ + sin(vᵢ), written by hand.
fn map_sin_mul_hand(v: &DVector<f64>) -> (f64, DVector<f64>) {
    let mut value = 0.0;
    let grad = v.map(|e| {
        let (s, c) = e.sin_cos();
        value += s * e;
        c * e + s
    });
    (value, grad)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * (1.0 + a.abs().max(b.abs()))
}

fn check(v: &DVector<f64>) {
    let (value, grad) = map_tanh_grad(v);
    let (hand_value, hand_grad) = map_tanh_hand(v);
    assert!(close(value, hand_value) && grad.v.iter().zip(&hand_grad).all(|(a, b)| close(*a, *b)));
    let (value, grad) = map_tanh_map_vjp(v);
    assert!(close(value, hand_value) && grad.iter().zip(&hand_grad).all(|(a, b)| close(*a, *b)));
    let (value, grad) = map_sin_mul_grad(v);
    let (hand_value, hand_grad) = map_sin_mul_hand(v);
    assert!(close(value, hand_value) && grad.v.iter().zip(&hand_grad).all(|(a, b)| close(*a, *b)));
    let (value, grad) = map_sin_mul_map_vjp(v);
    assert!(close(value, hand_value) && grad.iter().zip(&hand_grad).all(|(a, b)| close(*a, *b)));
}

fn main() {
    let v = DVector::from_vec(uniform(N, 0x9E37_79B9_7F4A_7C15, 2.0));
    check(&v);
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("map_tanh");
    group.bench_function("primal", |b| b.iter(|| map_tanh(black_box(&v))));
    group.bench_function("tapeless", |b| b.iter(|| map_tanh_grad(black_box(&v))));
    group.bench_function("hand-written", |b| b.iter(|| map_tanh_hand(black_box(&v))));
    group.bench_function("tapeless-map-vjp", |b| {
        b.iter(|| map_tanh_map_vjp(black_box(&v)))
    });
    group.finish();
    let mut group = c.benchmark_group("map_sin_mul");
    group.bench_function("primal", |b| b.iter(|| map_sin_mul(black_box(&v))));
    group.bench_function("tapeless", |b| b.iter(|| map_sin_mul_grad(black_box(&v))));
    group.bench_function("hand-written", |b| {
        b.iter(|| map_sin_mul_hand(black_box(&v)))
    });
    group.bench_function("tapeless-map-vjp", |b| {
        b.iter(|| map_sin_mul_map_vjp(black_box(&v)))
    });
    group.finish();
    c.final_summary();
}
