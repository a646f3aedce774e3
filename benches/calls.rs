//! Calls against the loop they replace (issue 12: "recursion and method calls cost no more
//! than the equivalent loop or free function"). Each function is written twice or three
//! times, all differentiated by `#[differentiate]`, so the ratios between them are the cost
//! of the call strategy alone.
//!
//! - `call_horner_d8`, `call_horner_d64`: Horner's scheme p(x) = c₀ + x(c₁ + x(c₂ + ..)),
//!   gradient with respect to the coefficients and x. `tapeless` is the loop,
//!   `tapeless-recursive` the same scheme as `c[0] + x * horner(&c[1..], x)`. A recursive
//!   call is split with a boxed pullback (README, Recursion): each level runs its forward
//!   code once and allocates its closure; each level also returns the gradient of its own
//!   sub-slice (a vector d − k long at level k), so this recursion still costs O(d²) where
//!   the loop costs O(d); the two sizes show the growth.
//! - `call_iterate_d8`, `call_iterate_d64`: d steps of y ← sin(a·y + x), ∂/∂x and ∂/∂a, as a
//!   loop (`tapeless`) and as the recursion `step(step(.., n − 1) ..)` on scalars
//!   (`tapeless-recursive`), whose cost is linear in d: one boxed closure per level.
//! - `call_method`: a least-squares loss over 256 points of a two-parameter model.
//!   `tapeless` is a free function with the model inline, `tapeless-free-call` a free
//!   function calling a differentiated free `predict`, `tapeless-method` the model as a
//!   struct whose `loss(&self, ..)` calls `self.predict(x)`, `tapeless-field-method` a free
//!   function of a struct holding that model, calling `m.line.predict(x)`.
//! - `call_layers`: two tanh layers of 64 units on nalgebra, ‖y‖², the layers as fields of
//!   a struct with a `forward(&self, x)` method (`tapeless-field-method`, `p.l1.forward(x)`)
//!   and as a free function `dense(&p.l1, x)` (`tapeless-free-call`).
//!
//! Run with `nice cargo bench -p tapeless-benches --bench calls -- --warm-up-time 1
//! --measurement-time 3`. `cargo test --benches` runs each benchmark once, as a smoke test.

#[path = "inputs.rs"]
mod inputs;
use inputs::{assert_close, uniform};

use criterion::{black_box, Criterion};
use nalgebra::{DMatrix, DVector};
use tapeless::differentiate;

/// Relative agreement required before timing.
const TOLERANCE: f64 = 1e-12;

/// Points of the least-squares loss.
const POINTS: usize = 256;

#[differentiate]
fn horner_loop(c: &[f64], x: f64) -> f64 {
    let mut p = 0.0;
    for i in (0..c.len()).rev() {
        p = c[i] + x * p;
    }
    p
}

#[differentiate]
fn horner_recursive(c: &[f64], x: f64) -> f64 {
    if c.is_empty() {
        0.0
    } else {
        c[0] + x * horner_recursive(&c[1..], x)
    }
}

#[differentiate]
fn iterate_loop(x: f64, a: f64, n: u32) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = (a * y + x).sin();
    }
    y
}

#[differentiate]
fn iterate_recursive(x: f64, a: f64, n: u32) -> f64 {
    if n == 0 {
        x
    } else {
        (a * iterate_recursive(x, a, n - 1) + x).sin()
    }
}

/// The iteration's gradient by hand: the forward values kept, then one reverse pass.
fn iterate_hand(x: f64, a: f64, n: u32) -> (f64, f64, f64) {
    let mut ys = Vec::with_capacity(n as usize + 1);
    let mut y = x;
    ys.push(y);
    for _ in 0..n {
        y = (a * y + x).sin();
        ys.push(y);
    }
    let (mut dy, mut dx, mut da) = (1.0, 0.0, 0.0);
    for k in (0..n as usize).rev() {
        let du = dy * (a * ys[k] + x).cos();
        dx += du;
        da += du * ys[k];
        dy = du * a;
    }
    (y, dx + dy, da)
}

/// Horner's scheme and its gradient by hand: ∂p/∂cᵢ = xⁱ, ∂p/∂x = p'(x).
fn horner_hand(c: &[f64], x: f64) -> (f64, Vec<f64>, f64) {
    let (mut p, mut dp) = (0.0, 0.0);
    for &ci in c.iter().rev() {
        dp = p + x * dp;
        p = ci + x * p;
    }
    let mut dc = Vec::with_capacity(c.len());
    let mut power = 1.0;
    for _ in c {
        dc.push(power);
        power *= x;
    }
    (p, dc, dp)
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Line {
    pub w: f64,
    pub b: f64,
}

#[differentiate]
impl Line {
    #[differentiate]
    pub fn predict(&self, x: f64) -> f64 {
        (self.w * x + self.b).tanh()
    }

    #[differentiate(wrt(self))]
    pub fn loss(&self, xs: &[f64], ys: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..xs.len() {
            let r = self.predict(xs[i]) - ys[i];
            s += r * r;
        }
        s
    }
}

/// The model as a field of another struct: `m.line.predict(x)`.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Model {
    pub line: Line,
}

#[differentiate(wrt(m))]
fn loss_field_method(m: &Model, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = m.line.predict(xs[i]) - ys[i];
        s += r * r;
    }
    s
}

#[derive(tapeless::Differentiable, Clone)]
pub struct Dense {
    pub w: DMatrix<f64>,
    pub b: DVector<f64>,
}

#[differentiate]
impl Dense {
    #[differentiate]
    pub fn forward(&self, x: &DVector<f64>) -> DVector<f64> {
        (&self.w * x + &self.b).map(|v| v.tanh())
    }
}

#[derive(tapeless::Differentiable, Clone)]
pub struct Layers {
    pub l1: Dense,
    pub l2: Dense,
}

#[differentiate(wrt(p))]
fn layers_field_method(p: &Layers, x: &DVector<f64>) -> f64 {
    let h = p.l1.forward(x);
    p.l2.forward(&h).norm_squared()
}

#[differentiate]
fn dense(l: &Dense, x: &DVector<f64>) -> DVector<f64> {
    (&l.w * x + &l.b).map(|v| v.tanh())
}

#[differentiate(wrt(p))]
fn layers_free_call(p: &Layers, x: &DVector<f64>) -> f64 {
    let h = dense(&p.l1, x);
    dense(&p.l2, &h).norm_squared()
}

#[differentiate]
fn predict(w: f64, b: f64, x: f64) -> f64 {
    (w * x + b).tanh()
}

#[differentiate(wrt(w, b))]
fn loss_free_call(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = predict(w, b, xs[i]) - ys[i];
        s += r * r;
    }
    s
}

#[differentiate(wrt(w, b))]
fn loss_inline(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = (w * xs[i] + b).tanh() - ys[i];
        s += r * r;
    }
    s
}

/// The loss and its gradient by hand: r = tanh(w x + b) − y, ∂/∂(w, b) = Σ 2 r (1 − t²)(x, 1).
fn loss_hand(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> (f64, f64, f64) {
    let (mut s, mut dw, mut db) = (0.0, 0.0, 0.0);
    for (&x, &y) in xs.iter().zip(ys) {
        let t = (w * x + b).tanh();
        let r = t - y;
        s += r * r;
        let dz = 2.0 * r * (1.0 - t * t);
        dw += dz * x;
        db += dz;
    }
    (s, dw, db)
}

/// Every form and the hand-written gradient must agree before anything is timed.
fn check_horner(c: &[f64], x: f64) {
    let (lv, lg) = horner_loop_grad(c, x);
    let (rv, rg) = horner_recursive_grad(c, x);
    let (hv, hc, hx) = horner_hand(c, x);
    assert_eq!(lv, horner_loop(c, x));
    assert_eq!(rv, horner_recursive(c, x));
    assert_close("horner loop", lv, hv, TOLERANCE);
    assert_close("horner recursive", rv, hv, TOLERANCE);
    assert_close("∂x loop", lg.x, hx, TOLERANCE);
    assert_close("∂x recursive", rg.x, hx, TOLERANCE);
    for ((&l, &r), &h) in lg.c.iter().zip(&rg.c).zip(&hc) {
        assert_close("∂c loop", l, h, TOLERANCE);
        assert_close("∂c recursive", r, h, TOLERANCE);
    }
}

fn check_iterate(x: f64, a: f64, n: u32) {
    let (lv, lg) = iterate_loop_grad(x, a, n);
    let (rv, rg) = iterate_recursive_grad(x, a, n);
    let (hv, hx, ha) = iterate_hand(x, a, n);
    assert_eq!(lv, iterate_loop(x, a, n));
    assert_eq!(rv, iterate_recursive(x, a, n));
    for (what, v, h) in [
        ("iterate loop", lv, hv),
        ("iterate recursive", rv, hv),
        ("∂x loop", lg.x, hx),
        ("∂x recursive", rg.x, hx),
        ("∂a loop", lg.a, ha),
        ("∂a recursive", rg.a, ha),
    ] {
        assert_close(what, v, h, TOLERANCE);
    }
}

fn check_loss(line: &Line, xs: &[f64], ys: &[f64]) {
    let (iv, ig) = loss_inline_grad(line.w, line.b, xs, ys);
    let (fv, fg) = loss_free_call_grad(line.w, line.b, xs, ys);
    let (mv, mg) = line.loss_grad(xs, ys);
    let model = Model { line: line.clone() };
    let (dv, dg) = loss_field_method_grad(&model, xs, ys);
    assert_eq!(dv, loss_field_method(&model, xs, ys));
    let (hv, hw, hb) = loss_hand(line.w, line.b, xs, ys);
    assert_eq!(iv, loss_inline(line.w, line.b, xs, ys));
    assert_eq!(mv, line.loss(xs, ys));
    for (what, a, h) in [
        ("loss inline", iv, hv),
        ("loss free call", fv, hv),
        ("loss method", mv, hv),
        ("loss field method", dv, hv),
        ("∂w field method", dg.m.line.w, hw),
        ("∂b field method", dg.m.line.b, hb),
        ("∂w inline", ig.w, hw),
        ("∂w free call", fg.w, hw),
        ("∂w method", mg.self_.w, hw),
        ("∂b inline", ig.b, hb),
        ("∂b free call", fg.b, hb),
        ("∂b method", mg.self_.b, hb),
    ] {
        assert_close(what, a, h, TOLERANCE);
    }
}

fn bench_horner(c: &mut Criterion, d: usize) {
    let coefficients = uniform(d, 7 + d as u64, 1.0);
    let x = 0.9;
    check_horner(&coefficients, x);
    let mut group = c.benchmark_group(format!("call_horner_d{d}"));
    group.bench_function("primal", |b| {
        b.iter(|| horner_loop(black_box(&coefficients), black_box(x)))
    });
    group.bench_function("tapeless", |b| {
        b.iter(|| horner_loop_grad(black_box(&coefficients), black_box(x)))
    });
    group.bench_function("tapeless-recursive", |b| {
        b.iter(|| horner_recursive_grad(black_box(&coefficients), black_box(x)))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| horner_hand(black_box(&coefficients), black_box(x)))
    });
    group.finish();
}

fn bench_iterate(c: &mut Criterion, d: u32) {
    let (x, a) = (0.4, 0.9);
    check_iterate(x, a, d);
    let mut group = c.benchmark_group(format!("call_iterate_d{d}"));
    group.bench_function("primal", |b| {
        b.iter(|| iterate_loop(black_box(x), black_box(a), black_box(d)))
    });
    group.bench_function("tapeless", |b| {
        b.iter(|| iterate_loop_grad(black_box(x), black_box(a), black_box(d)))
    });
    group.bench_function("tapeless-recursive", |b| {
        b.iter(|| iterate_recursive_grad(black_box(x), black_box(a), black_box(d)))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| iterate_hand(black_box(x), black_box(a), black_box(d)))
    });
    group.finish();
}

fn bench_method(c: &mut Criterion) {
    let xs = uniform(POINTS, 11, 1.0);
    let ys = uniform(POINTS, 13, 1.0);
    let line = Line { w: 0.7, b: -0.2 };
    check_loss(&line, &xs, &ys);
    let mut group = c.benchmark_group("call_method");
    group.bench_function("primal", |b| {
        b.iter(|| loss_inline(black_box(line.w), black_box(line.b), &xs, &ys))
    });
    group.bench_function("tapeless", |b| {
        b.iter(|| loss_inline_grad(black_box(line.w), black_box(line.b), &xs, &ys))
    });
    group.bench_function("tapeless-free-call", |b| {
        b.iter(|| loss_free_call_grad(black_box(line.w), black_box(line.b), &xs, &ys))
    });
    group.bench_function("tapeless-method", |b| {
        b.iter(|| black_box(&line).loss_grad(&xs, &ys))
    });
    let model = Model { line: line.clone() };
    group.bench_function("tapeless-field-method", |b| {
        b.iter(|| loss_field_method_grad(black_box(&model), &xs, &ys))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| loss_hand(black_box(line.w), black_box(line.b), &xs, &ys))
    });
    group.finish();
}

fn bench_layers(c: &mut Criterion) {
    let n = 64;
    let dense = |s: f64| Dense {
        w: DMatrix::from_fn(n, n, |i, j| ((i * 7 + j * 3) as f64 * s).sin() * 0.1),
        b: DVector::from_fn(n, |i, _| (i as f64 * s).cos() * 0.1),
    };
    let p = Layers {
        l1: dense(0.3),
        l2: dense(0.7),
    };
    let x = DVector::from_fn(n, |i, _| (i as f64 * 0.1).sin());
    let (mv, mg) = layers_field_method_grad(&p, &x);
    let (fv, fg) = layers_free_call_grad(&p, &x);
    assert_eq!(mv, layers_field_method(&p, &x));
    assert_close("layers", mv, fv, TOLERANCE);
    for (m, f) in [(&mg.p.l1, &fg.p.l1), (&mg.p.l2, &fg.p.l2)] {
        for (a, b) in m.w.iter().zip(f.w.iter()).chain(m.b.iter().zip(f.b.iter())) {
            assert_close("∂ layers", *a, *b, TOLERANCE);
        }
    }
    let mut group = c.benchmark_group("call_layers");
    group.bench_function("primal", |b| {
        b.iter(|| layers_field_method(black_box(&p), black_box(&x)))
    });
    group.bench_function("tapeless-field-method", |b| {
        b.iter(|| layers_field_method_grad(black_box(&p), black_box(&x)))
    });
    group.bench_function("tapeless-free-call", |b| {
        b.iter(|| layers_free_call_grad(black_box(&p), black_box(&x)))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    for d in [8, 64] {
        bench_horner(&mut c, d);
        bench_iterate(&mut c, d as u32);
    }
    bench_method(&mut c);
    bench_layers(&mut c);
    c.final_summary();
}
