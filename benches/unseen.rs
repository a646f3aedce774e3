//! Functions of the kinds users write, outside the other benches (issue 14: "on unseen
//! functions of the kinds users write, ≤ 1.25x hand-written"), each written once the way a
//! user would write it, differentiated by `#[differentiate]`, and against a careful
//! hand-written gradient in the same run:
//!
//! - `unseen_logistic`: the mean logistic loss ln(1 + e^(−y·(w·x + b))) of 512 samples with
//!   16 features, as loops over flat `&[f64]` (an inner loop for the dot product);
//! - `unseen_tanh_net`: a one-hidden-layer tanh network on nalgebra (16 → 32 → 1, batch
//!   128), squared error: `(w1 * x + b1 * ones).map(|v| v.tanh())`, then `w2 * h`;
//! - `unseen_mixture`: the negative log-likelihood of 1,000 points under a 1-D mixture of
//!   8 Gaussians, a scratch array of per-component log-densities per point, then its
//!   log-sum-exp.
//!
//! Run with `nice cargo bench -p tapeless-benches --bench unseen -- --warm-up-time 1
//! --measurement-time 3`, then `cargo run -p tapeless-benches --bin bench_table`.
//! `cargo test --benches` runs each benchmark once, as a smoke test.

#[path = "inputs.rs"]
mod inputs;
use inputs::{assert_close, uniform};

use criterion::{black_box, Criterion};
use nalgebra::{DMatrix, DVector, RowDVector};
use tapeless::differentiate;

/// Relative agreement required before timing.
const TOLERANCE: f64 = 1e-10;

const SAMPLES: usize = 512;
const FEATURES: usize = 16;

const NET_INPUTS: usize = 16;
const NET_HIDDEN: usize = 32;
const NET_BATCH: usize = 128;

const POINTS: usize = 1000;
const COMPONENTS: usize = 8;

/// Mean logistic loss; `xs` holds the samples row by row, `ys` the labels ±1.
#[differentiate(wrt(w, b))]
fn logistic(w: &[f64], b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let d = w.len();
    let n = ys.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut z = b;
        for j in 0..d {
            z += w[j] * xs[i * d + j];
        }
        total += (-ys[i] * z).exp().ln_1p();
    }
    total / n as f64
}

/// The logistic loss and its gradient by hand: ∂/∂z = −y·σ(−y z) per sample.
fn logistic_hand(w: &[f64], b: f64, xs: &[f64], ys: &[f64]) -> (f64, Vec<f64>, f64) {
    let d = w.len();
    let n = ys.len() as f64;
    let (mut total, mut dw, mut db) = (0.0, vec![0.0; d], 0.0);
    for (x, &y) in xs.chunks_exact(d).zip(ys) {
        let z = b + w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>();
        let m = (-y * z).exp();
        total += m.ln_1p();
        let dz = -y * m / (1.0 + m) / n;
        for (g, x) in dw.iter_mut().zip(x) {
            *g += dz * x;
        }
        db += dz;
    }
    (total / n, dw, db)
}

/// Half the squared error of a tanh network's predictions.
#[differentiate(wrt(w1, b1, w2))]
fn tanh_net(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &RowDVector<f64>,
    x: &DMatrix<f64>,
    y: &RowDVector<f64>,
) -> f64 {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let h = (w1 * x + b1 * &ones).map(|v| v.tanh());
    let r = w2 * h - y;
    0.5 * r.norm_squared()
}

/// The network's loss and gradient by hand (backpropagation with nalgebra).
fn tanh_net_hand(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &RowDVector<f64>,
    x: &DMatrix<f64>,
    y: &RowDVector<f64>,
) -> (f64, DMatrix<f64>, DVector<f64>, RowDVector<f64>) {
    let mut h = w1 * x;
    for mut column in h.column_iter_mut() {
        column += b1;
        column.apply(|v| *v = v.tanh());
    }
    let r = w2 * &h - y;
    let loss = 0.5 * r.norm_squared();
    let dw2 = &r * h.transpose();
    // dz = (w2ᵀ r) ⊙ (1 − h²), column by column.
    let mut dz = w2.transpose() * &r;
    dz.zip_apply(&h, |d, h| *d *= 1.0 - h * h);
    let dw1 = &dz * x.transpose();
    let db1 = dz.column_sum();
    (loss, dw1, db1, dw2)
}

/// Negative log-likelihood of `xs` under Σₖ αₖ N(μₖ, σₖ²), with αₖ = softmax(a)ₖ and
/// σₖ = e^(sₖ): for each point a scratch array of per-component log-densities, then its
/// log-sum-exp.
#[differentiate(wrt(a, mu, s))]
#[allow(clippy::needless_range_loop)] // index loops, as users write them
fn mixture(a: &[f64], mu: &[f64], s: &[f64], xs: &[f64]) -> f64 {
    let k = a.len();
    let mut amax = a[0];
    for c in 1..k {
        amax = amax.max(a[c]);
    }
    let mut asum = 0.0;
    for c in 0..k {
        asum += (a[c] - amax).exp();
    }
    let log_norm = amax + asum.ln();
    let half_log_two_pi = 0.5 * (2.0 * core::f64::consts::PI).ln();
    let mut lp = vec![0.0; k];
    let mut total = 0.0;
    for i in 0..xs.len() {
        for c in 0..k {
            let t = (xs[i] - mu[c]) * (-s[c]).exp();
            lp[c] = a[c] - log_norm - s[c] - half_log_two_pi - 0.5 * t * t;
        }
        let mut m = lp[0];
        for c in 1..k {
            m = m.max(lp[c]);
        }
        let mut e = 0.0;
        for c in 0..k {
            e += (lp[c] - m).exp();
        }
        total -= m + e.ln();
    }
    total
}

/// The mixture's NLL and gradient by hand: responsibilities rₖ per point.
fn mixture_hand(a: &[f64], mu: &[f64], s: &[f64], xs: &[f64]) -> (f64, [Vec<f64>; 3]) {
    let k = a.len();
    let amax = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let asum: f64 = a.iter().map(|v| (v - amax).exp()).sum();
    let log_norm = amax + asum.ln();
    let alpha: Vec<f64> = a.iter().map(|v| (v - log_norm).exp()).collect();
    let inv: Vec<f64> = s.iter().map(|v| (-v).exp()).collect();
    let half_log_two_pi = 0.5 * (2.0 * core::f64::consts::PI).ln();
    let (mut da, mut dmu, mut ds) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    let mut lp = vec![0.0; k];
    let mut total = 0.0;
    for &x in xs {
        for c in 0..k {
            let t = (x - mu[c]) * inv[c];
            lp[c] = a[c] - log_norm - s[c] - half_log_two_pi - 0.5 * t * t;
        }
        let m = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: f64 = lp.iter().map(|v| (v - m).exp()).sum();
        total -= m + e.ln();
        for c in 0..k {
            let r = (lp[c] - m).exp() / e;
            let t = (x - mu[c]) * inv[c];
            // ∂(−log p)/∂lp_c = −r; ∂lp_c/∂μ_c = t/σ, ∂lp_c/∂s_c = −1 + t².
            da[c] -= r;
            dmu[c] -= r * t * inv[c];
            ds[c] -= r * (t * t - 1.0);
        }
    }
    // Through the normaliser: ∂(−log p)/∂a_j also gets +αⱼ per point.
    let n = xs.len() as f64;
    for c in 0..k {
        da[c] += n * alpha[c];
    }
    (total, [da, dmu, ds])
}

fn assert_all_close<'a>(
    what: &str,
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
) {
    for (a, b) in a.into_iter().zip(b) {
        assert_close(what, *a, *b, TOLERANCE);
    }
}

fn bench_logistic(c: &mut Criterion) {
    let w: Vec<f64> = uniform(FEATURES, 3, 1.0).iter().map(|v| 0.5 * v).collect();
    let b = 0.1;
    let xs = uniform(SAMPLES * FEATURES, 5, 1.0);
    let ys: Vec<f64> = uniform(SAMPLES, 7, 1.0)
        .iter()
        .map(|v| if *v > 0.0 { 1.0 } else { -1.0 })
        .collect();
    let (value, g) = logistic_grad(&w, b, &xs, &ys);
    let (hand, dw, db) = logistic_hand(&w, b, &xs, &ys);
    assert_eq!(value, logistic(&w, b, &xs, &ys));
    assert_close("logistic loss", value, hand, TOLERANCE);
    assert_all_close("∂w", &g.w, &dw);
    assert_close("∂b", g.b, db, TOLERANCE);

    let mut group = c.benchmark_group("unseen_logistic");
    group.bench_function("primal", |bch| {
        bch.iter(|| logistic(black_box(&w), black_box(b), &xs, &ys))
    });
    group.bench_function("tapeless", |bch| {
        bch.iter(|| logistic_grad(black_box(&w), black_box(b), &xs, &ys))
    });
    group.bench_function("hand-written", |bch| {
        bch.iter(|| logistic_hand(black_box(&w), black_box(b), &xs, &ys))
    });
    group.finish();
}

fn bench_tanh_net(c: &mut Criterion) {
    let scale1 = 1.0 / (NET_INPUTS as f64).sqrt();
    let scale2 = 1.0 / (NET_HIDDEN as f64).sqrt();
    let w1 = DMatrix::from_iterator(
        NET_HIDDEN,
        NET_INPUTS,
        uniform(NET_HIDDEN * NET_INPUTS, 11, 1.0)
            .iter()
            .map(|v| scale1 * v),
    );
    let b1 = DVector::from_vec(uniform(NET_HIDDEN, 13, 1.0)).scale(0.2);
    let w2 = RowDVector::from_vec(uniform(NET_HIDDEN, 17, 1.0)).scale(scale2);
    let x = DMatrix::from_vec(
        NET_INPUTS,
        NET_BATCH,
        uniform(NET_INPUTS * NET_BATCH, 19, 1.0),
    );
    let y = RowDVector::from_vec(uniform(NET_BATCH, 23, 1.0));
    let (value, g) = tanh_net_grad(&w1, &b1, &w2, &x, &y);
    let (hand, dw1, db1, dw2) = tanh_net_hand(&w1, &b1, &w2, &x, &y);
    assert_eq!(value, tanh_net(&w1, &b1, &w2, &x, &y));
    assert_close("tanh net loss", value, hand, TOLERANCE);
    assert_all_close("∂w1", g.w1.iter(), dw1.iter());
    assert_all_close("∂b1", g.b1.iter(), db1.iter());
    assert_all_close("∂w2", g.w2.iter(), dw2.iter());

    let mut group = c.benchmark_group("unseen_tanh_net");
    group.bench_function("primal", |bch| {
        bch.iter(|| tanh_net(black_box(&w1), &b1, &w2, &x, &y))
    });
    group.bench_function("tapeless", |bch| {
        bch.iter(|| tanh_net_grad(black_box(&w1), &b1, &w2, &x, &y))
    });
    group.bench_function("hand-written", |bch| {
        bch.iter(|| tanh_net_hand(black_box(&w1), &b1, &w2, &x, &y))
    });
    group.finish();
}

fn bench_mixture(c: &mut Criterion) {
    let a = uniform(COMPONENTS, 29, 1.0);
    let mu: Vec<f64> = uniform(COMPONENTS, 31, 1.0)
        .iter()
        .map(|v| 3.0 * v)
        .collect();
    let s: Vec<f64> = uniform(COMPONENTS, 37, 1.0)
        .iter()
        .map(|v| 0.3 * v)
        .collect();
    let xs: Vec<f64> = uniform(POINTS, 41, 1.0).iter().map(|v| 4.0 * v).collect();
    let (value, g) = mixture_grad(&a, &mu, &s, &xs);
    let (hand, [da, dmu, ds]) = mixture_hand(&a, &mu, &s, &xs);
    assert_eq!(value, mixture(&a, &mu, &s, &xs));
    assert_close("mixture NLL", value, hand, TOLERANCE);
    assert_all_close("∂a", &g.a, &da);
    assert_all_close("∂μ", &g.mu, &dmu);
    assert_all_close("∂s", &g.s, &ds);

    let mut group = c.benchmark_group("unseen_mixture");
    group.bench_function("primal", |bch| {
        bch.iter(|| mixture(black_box(&a), &mu, &s, &xs))
    });
    group.bench_function("tapeless", |bch| {
        bch.iter(|| mixture_grad(black_box(&a), &mu, &s, &xs))
    });
    group.bench_function("hand-written", |bch| {
        bch.iter(|| mixture_hand(black_box(&a), &mu, &s, &xs))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_logistic(&mut c);
    bench_tanh_net(&mut c);
    bench_mixture(&mut c);
    c.final_summary();
}
