//! Transcendental results kept across the sweeps of a replayed loop (`Strategy::kept`; a
//! loop that only accumulates is fused in `f_vjp` instead, and replayed in its pullback):
//! the forward sweep pushes each `exp`, `ln`, `sin`, ... that changes with the loop's
//! iteration, and the replay of the iteration in the reverse sweep reads them back in
//! order instead of computing them again. Each function is written twice from one body:
//! plain (kept, with `alloc`) and with `max_iterations`, whose replay computes every value
//! again, so the two gradients check each other (to rounding); both are also checked
//! against central differences, the value against the function. The shapes are those where
//! the order of the kept values could go wrong: values in branches taken on some
//! iterations, inner loops whose trip count changes per iteration, a replayed loop run
//! again inside an outer loop, early exits.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]

#[macro_use]
#[path = "support/twins.rs"]
mod twins;

use tapeless::check::central_difference;
use tapeless::differentiate;
use twins::{assert_close, check};

// A 1-D mixture of Gaussians with a scratch array of log-densities per point (as in
// `benches/unseen.rs`): `exp(lp[c] - m)` and `ln(e)` change per point and are kept;
// `exp(-s[c])` does not and is computed again.
twins!(mixture, mixture_again, fn(a: &[f64], mu: &[f64], s: &[f64], xs: &[f64]) -> f64 {
    let k = a.len();
    let mut lp = vec![0.0; k];
    let mut total = 0.0;
    for i in 0..xs.len() {
        for c in 0..k {
            let t = (xs[i] - mu[c]) * (-s[c]).exp();
            lp[c] = a[c] - s[c] - 0.5 * t * t;
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
});

// `f_vjp` runs the mixture's point loop fused (it only accumulates: nothing to keep); a
// caller keeps its pullback, which replays the loop and keeps the exponentials.
#[differentiate]
fn mixture_via(a: &[f64], mu: &[f64], s: &[f64], xs: &[f64]) -> f64 {
    mixture(a, mu, s, xs)
}

#[test]
fn a_mixture_keeps_its_exponentials() {
    let a = [0.2, -0.4, 0.9];
    let mu = [-1.0, 0.3, 1.4];
    let s = [0.1, -0.2, 0.3];
    let xs = [0.5, -1.3, 2.2, 0.05, 1.1];
    let (v, g) = mixture_grad(&a, &mu, &s, &xs);
    let (_, h) = mixture_again_grad(&a, &mu, &s, &xs);
    assert_eq!(v, mixture(&a, &mu, &s, &xs));
    let flat = |g: &MixtureGrad| -> Vec<f64> { [&g.a[..], &g.mu, &g.s, &g.xs].concat() };
    let again = [&h.a[..], &h.mu, &h.s, &h.xs].concat();
    let point = [&a[..], &mu, &s, &xs].concat();
    let f = |p: &[f64]| mixture(&p[..3], &p[3..6], &p[6..9], &p[9..]);
    check("mixture", &point, f, &flat(&g), &again);
    let (_, kept) = mixture_via_grad(&a, &mu, &s, &xs);
    let kept = [&kept.a[..], &kept.mu, &kept.s, &kept.xs].concat();
    check("mixture through its pullback", &point, f, &kept, &again);
}

// Kept values in branches taken on some iterations, an inner loop whose trip count is the
// point's index, and an early `break`.
twins!(branchy, branchy_again, fn(w: &[f64], x: &[f64], limit: f64) -> f64 {
    let d = w.len();
    let mut z = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() {
        for j in 0..d {
            z[j] = if (x[i] * w[j]) > 0.0 { (x[i] * w[j]).sin() } else { (x[i] - w[j]).exp() };
        }
        let mut s = 0.0;
        for j in 0..i.min(d) {
            s += (z[j] * z[j] + 1.0).ln();
        }
        if s > limit {
            total += s.sqrt();
            break;
        }
        total += z[0] * s + z[d - 1];
    }
    total
});

#[test]
fn kept_values_in_branches_and_loops_of_changing_length() {
    let w = [0.9, -0.4, 0.6];
    let x = [0.3, -0.7, 1.1, 0.45, -0.2, 0.8];
    for limit in [100.0, 0.4, 0.05] {
        let (v, g) = branchy_grad(&w, &x, limit);
        let (_, h) = branchy_again_grad(&w, &x, limit);
        assert_eq!(v, branchy(&w, &x, limit));
        let kept = [&g.w[..], &g.x].concat();
        let again = [&h.w[..], &h.x].concat();
        let point = [&w[..], &x].concat();
        let f = |p: &[f64]| branchy(&p[..3], &p[3..], limit);
        check("branchy", &point, f, &kept, &again);
    }
}

// The replayed loop runs again on every iteration of an outer loop: each run's kept values
// are the end of the stacks when its reverse starts.
twins!(outer, outer_again, fn(w: &[f64], reps: usize) -> f64 {
    let d = w.len();
    let mut y = vec![0.0; d];
    let mut acc = 0.0;
    for r in 0..reps {
        let scale = 1.0 + 0.1 * r as f64;
        for i in 0..d {
            for j in 0..d {
                y[j] = (w[j] * scale + acc * 0.01).tanh();
            }
            acc += y[i] * (y[d - 1 - i] * w[i]).exp();
        }
    }
    acc
});

#[test]
fn a_replayed_loop_inside_another_loop() {
    let w = [0.5, -0.3, 0.8, 0.1];
    let (v, g) = outer_grad(&w, 3);
    let (_, h) = outer_again_grad(&w, 3);
    assert_eq!(v, outer(&w, 3));
    check("outer", &w, |p| outer(p, 3), &g.w, &h.w);
}

// In f32: the kept stacks hold f32.
twins!(narrow, narrow_again, fn(w: &[f32], x: &[f32]) -> f32 {
    let n = w.len();
    let mut z = vec![0.0; n];
    let mut total = 0.0;
    for i in 0..x.len() {
        for j in 0..n {
            z[j] = (x[i] * w[j]).exp();
        }
        let mut s = 0.0;
        for j in 0..n {
            s += z[j];
        }
        total += s.ln();
    }
    total
});

#[test]
fn kept_values_in_f32() {
    let w = [0.3_f32, -0.2, 0.5];
    let x = [0.4_f32, -0.9, 1.2];
    let (v, g) = narrow_grad(&w, &x);
    let (_, h) = narrow_again_grad(&w, &x);
    assert_eq!(v, narrow(&w, &x));
    let to64 = |v: &[f32]| -> Vec<f64> { v.iter().map(|&t| f64::from(t)).collect() };
    assert_close(
        "narrow: kept against computed again",
        &to64(&g.w),
        &to64(&h.w),
        1e-5,
    );
    let f = |p: &[f64]| {
        let (w, x) = (&p[..3], &x);
        x.iter()
            .map(|&xi| {
                w.iter()
                    .map(|&wj| (f64::from(xi) * wj).exp())
                    .sum::<f64>()
                    .ln()
            })
            .sum::<f64>()
    };
    let fd = central_difference(f, &to64(&w));
    assert_close("narrow: kept against differences", &to64(&g.w), &fd, 1e-4);
}
