//! Iterator chains against index loops: the same function written both ways, both
//! differentiated by `#[differentiate]`, so the ratio of the two gradients is the cost of
//! the chain's lowering (issue 12's target: chain / loop ≤ 1.05).
//!
//! - `chain_rosenbrock` (n = 1000, a batch of 8 inputs): `x.iter().zip(&x[1..]).map(..).sum()`
//!   against `for i in 0..x.len() - 1` reading `x[i]`, `x[i + 1]`.
//!   `tapeless-windows` is the same chain over `x.windows(2)`.
//! - `chain_least_squares` (1000 data points, gradient with respect to the scalars w and b,
//!   a batch of 16 (w, b) pairs): `xs.iter().zip(ys).map(|(&x, &y)| ..).sum::<f64>()` against
//!   an index loop.
//!
//! In each group `tapeless` is the loop's `f_grad`, `tapeless-chain` the chain's (the table's
//! last column gives chain / loop), `primal` and `primal-chain` the two plain functions, and
//! `hand-written` a hand-written gradient of the same function.
//!
//! Recursion and method calls against the loop they replace are in `benches/calls.rs`.
//!
//! Run with `nice cargo bench -p tapeless-benches --bench chains -- --warm-up-time 1
//! --measurement-time 3`. `cargo test --benches` runs each benchmark once, as a smoke test.

#[path = "../tests/support/rosenbrock_hand.rs"]
#[allow(dead_code)]
mod rosenbrock_hand;

#[path = "inputs.rs"]
mod inputs;
use inputs::{assert_close, uniform};

use criterion::{black_box, Criterion, Throughput};
use tapeless::differentiate;

/// Rosenbrock length, and inputs per iteration.
const N: usize = 1000;
const ROSENBROCK_BATCH: usize = 8;

/// Data points of the least-squares loss, and (w, b) pairs per iteration.
const POINTS: usize = 1000;
const FIT_BATCH: usize = 16;

/// Relative agreement required before timing (the two forms sum in the same order).
const TOLERANCE: f64 = 1e-12;

#[differentiate]
fn rosenbrock_loop(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

#[differentiate]
fn rosenbrock_chain(x: &[f64]) -> f64 {
    x.iter()
        .zip(&x[1..])
        .map(|(&xi, &next)| {
            let a = next - xi * xi;
            let b = 1.0 - xi;
            100.0 * a * a + b * b
        })
        .sum()
}

/// The same chain over `windows(2)`, which reads both elements from `x` itself.
#[differentiate]
fn rosenbrock_windows(x: &[f64]) -> f64 {
    x.windows(2)
        .map(|p| {
            let a = p[1] - p[0] * p[0];
            let b = 1.0 - p[0];
            100.0 * a * a + b * b
        })
        .sum()
}

#[differentiate(wrt(w, b))]
fn least_squares_loop(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = w * xs[i] + b - ys[i];
        s += r * r;
    }
    s
}

#[differentiate(wrt(w, b))]
fn least_squares_chain(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    xs.iter()
        .zip(ys)
        .map(|(&x, &y)| {
            let r = w * x + b - y;
            r * r
        })
        .sum::<f64>()
}

/// The least-squares loss and its gradient (∂/∂w = Σ 2 r x, ∂/∂b = Σ 2 r) by hand.
fn least_squares_hand(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> (f64, f64, f64) {
    let (mut s, mut dw, mut db) = (0.0, 0.0, 0.0);
    for (&x, &y) in xs.iter().zip(ys) {
        let r = w * x + b - y;
        s += r * r;
        dw += r * x;
        db += r;
    }
    (s, 2.0 * dw, 2.0 * db)
}

/// Both forms and the hand-written gradient must agree before anything is timed.
fn check(rosenbrocks: &[Vec<f64>], fits: &[(f64, f64)], xs: &[f64], ys: &[f64]) {
    for x in rosenbrocks {
        let (loop_value, loop_grad) = rosenbrock_loop_grad(x);
        let (chain_value, chain_grad) = rosenbrock_chain_grad(x);
        let (windows_value, windows_grad) = rosenbrock_windows_grad(x);
        let (hand_value, hand_grad) = rosenbrock_hand::gradient(x);
        assert_eq!(windows_value, rosenbrock_windows(x));
        assert_close("rosenbrock windows", windows_value, hand_value, TOLERANCE);
        for (&w, &h) in windows_grad.x.iter().zip(&hand_grad) {
            assert_close("∇ windows", w, h, TOLERANCE);
        }
        assert_eq!(loop_value, rosenbrock_loop(x));
        assert_eq!(chain_value, rosenbrock_chain(x));
        assert_close("rosenbrock loop", loop_value, hand_value, TOLERANCE);
        assert_close("rosenbrock chain", chain_value, hand_value, TOLERANCE);
        for ((&l, &c), &h) in loop_grad.x.iter().zip(&chain_grad.x).zip(&hand_grad) {
            assert_close("∇ loop", l, h, TOLERANCE);
            assert_close("∇ chain", c, h, TOLERANCE);
        }
    }
    for &(w, b) in fits {
        let (lv, lg) = least_squares_loop_grad(w, b, xs, ys);
        let (cv, cg) = least_squares_chain_grad(w, b, xs, ys);
        let (hv, hw, hb) = least_squares_hand(w, b, xs, ys);
        assert_eq!(lv, least_squares_loop(w, b, xs, ys));
        assert_eq!(cv, least_squares_chain(w, b, xs, ys));
        for (what, a, h) in [
            ("loss loop", lv, hv),
            ("loss chain", cv, hv),
            ("∂w loop", lg.w, hw),
            ("∂w chain", cg.w, hw),
            ("∂b loop", lg.b, hb),
            ("∂b chain", cg.b, hb),
        ] {
            assert_close(what, a, h, TOLERANCE);
        }
    }
}

fn bench_rosenbrock(c: &mut Criterion, inputs: &[Vec<f64>]) {
    let mut group = c.benchmark_group("chain_rosenbrock");
    group.throughput(Throughput::Elements(ROSENBROCK_BATCH as u64));
    let mut values = vec![0.0; ROSENBROCK_BATCH];
    let mut grads = vec![(0.0, Vec::new()); ROSENBROCK_BATCH];
    group.bench_function("primal", |b| {
        b.iter(|| {
            for (out, x) in values.iter_mut().zip(black_box(inputs)) {
                *out = rosenbrock_loop(x);
            }
            black_box(&mut values);
        })
    });
    group.bench_function("primal-chain", |b| {
        b.iter(|| {
            for (out, x) in values.iter_mut().zip(black_box(inputs)) {
                *out = rosenbrock_chain(x);
            }
            black_box(&mut values);
        })
    });
    group.bench_function("tapeless", |b| {
        b.iter(|| {
            for (out, x) in grads.iter_mut().zip(black_box(inputs)) {
                let (value, grad) = rosenbrock_loop_grad(x);
                *out = (value, grad.x);
            }
            black_box(&mut grads);
        })
    });
    group.bench_function("tapeless-chain", |b| {
        b.iter(|| {
            for (out, x) in grads.iter_mut().zip(black_box(inputs)) {
                let (value, grad) = rosenbrock_chain_grad(x);
                *out = (value, grad.x);
            }
            black_box(&mut grads);
        })
    });
    group.bench_function("tapeless-windows", |b| {
        b.iter(|| {
            for (out, x) in grads.iter_mut().zip(black_box(inputs)) {
                let (value, grad) = rosenbrock_windows_grad(x);
                *out = (value, grad.x);
            }
            black_box(&mut grads);
        })
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            for (out, x) in grads.iter_mut().zip(black_box(inputs)) {
                *out = rosenbrock_hand::gradient(x);
            }
            black_box(&mut grads);
        })
    });
    group.finish();
}

fn bench_least_squares(c: &mut Criterion, fits: &[(f64, f64)], xs: &[f64], ys: &[f64]) {
    let mut group = c.benchmark_group("chain_least_squares");
    group.throughput(Throughput::Elements(FIT_BATCH as u64));
    let mut values = vec![0.0; FIT_BATCH];
    let mut grads = vec![(0.0, 0.0, 0.0); FIT_BATCH];
    group.bench_function("primal", |b| {
        b.iter(|| {
            for (out, &(w, b)) in values.iter_mut().zip(black_box(fits)) {
                *out = least_squares_loop(w, b, xs, ys);
            }
            black_box(&mut values);
        })
    });
    group.bench_function("primal-chain", |b| {
        b.iter(|| {
            for (out, &(w, b)) in values.iter_mut().zip(black_box(fits)) {
                *out = least_squares_chain(w, b, xs, ys);
            }
            black_box(&mut values);
        })
    });
    group.bench_function("tapeless", |b| {
        b.iter(|| {
            for (out, &(w, b)) in grads.iter_mut().zip(black_box(fits)) {
                let (value, grad) = least_squares_loop_grad(w, b, xs, ys);
                *out = (value, grad.w, grad.b);
            }
            black_box(&mut grads);
        })
    });
    group.bench_function("tapeless-chain", |b| {
        b.iter(|| {
            for (out, &(w, b)) in grads.iter_mut().zip(black_box(fits)) {
                let (value, grad) = least_squares_chain_grad(w, b, xs, ys);
                *out = (value, grad.w, grad.b);
            }
            black_box(&mut grads);
        })
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            for (out, &(w, b)) in grads.iter_mut().zip(black_box(fits)) {
                *out = least_squares_hand(w, b, xs, ys);
            }
            black_box(&mut grads);
        })
    });
    group.finish();
}

fn main() {
    let rosenbrocks: Vec<Vec<f64>> = (0..ROSENBROCK_BATCH as u64)
        .map(|seed| uniform(N, 0x9E37_79B9_7F4A_7C15 ^ (seed + 1), 2.0))
        .collect();
    let xs = uniform(POINTS, 0xA5A5_5A5A, 2.0);
    let ys: Vec<f64> = xs
        .iter()
        .zip(uniform(POINTS, 0x0F0F_F0F0, 2.0))
        .map(|(x, noise)| 1.5 * x - 0.5 + 0.1 * noise)
        .collect();
    let fits: Vec<(f64, f64)> = uniform(2 * FIT_BATCH, 0x5EED, 2.0)
        .chunks(2)
        .map(|p| (p[0], p[1]))
        .collect();
    check(&rosenbrocks, &fits, &xs, &ys);

    let mut c = Criterion::default().configure_from_args();
    bench_rosenbrock(&mut c, &rosenbrocks);
    bench_least_squares(&mut c, &fits, &xs, &ys);
    c.final_summary();
}
