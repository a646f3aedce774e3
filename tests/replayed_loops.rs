//! Loops whose reverse iterations replay their forward iteration (`macros/src/replay.rs`):
//! a body that rewrites scratch arrays (written in place, ADBench's GMM style) saves only
//! its carried values, and each reverse iteration runs the iteration again before reversing
//! it. Each function here is checked against central differences (value bit for bit, the
//! VJP linear in its seed) on the shapes where replaying could go wrong: no iteration,
//! `break`/`continue`/`return` inside, three nested loops, an array read before the
//! iteration writes it (not replayable: saved as before), an array read after the loop, an
//! array declared in the body; and the integer counters rebuilt backwards instead of saved.

// Index loops over scratch vectors (`vec![0.0; n]`, as ADBench's GMM sizes them at run
// time) are the subject of these tests.
#![allow(
    clippy::needless_range_loop,
    clippy::too_many_arguments,
    clippy::useless_vec
)]

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use tapeless::differentiate;

/// Σ_i ln Σ_c exp(−½‖Q_c (x_i − μ_c)‖²) with a diagonal Q_c = exp(q_c): two scratch
/// arrays hoisted out of the point loop, rewritten for every point and component.
#[differentiate(wrt(means, q))]
fn mixture(means: &[f64], q: &[f64], x: &[f64], d: usize, k: usize, n: usize) -> f64 {
    let mut centered = vec![0.0; d];
    let mut scaled = vec![0.0; d];
    let mut terms = vec![0.0; k];
    let mut total = 0.0;
    for i in 0..n {
        for c in 0..k {
            for j in 0..d {
                centered[j] = x[i * d + j] - means[c * d + j];
            }
            for j in 0..d {
                scaled[j] = q[c * d + j].exp() * centered[j];
            }
            let mut sq = 0.0;
            for j in 0..d {
                sq += scaled[j] * scaled[j];
            }
            terms[c] = -0.5 * sq;
        }
        let mut sum = 0.0;
        for c in 0..k {
            sum += terms[c].exp();
        }
        total += sum.ln();
    }
    total
}

const MEANS: [f64; 6] = [0.3, -0.2, 0.5, 0.1, -0.4, 0.25];
const Q: [f64; 6] = [0.1, -0.3, 0.2, 0.05, -0.1, 0.15];
const X: [f64; 8] = [0.7, -0.1, 0.2, 0.4, -0.6, 0.9, 0.05, -0.3];

#[test]
fn a_mixture_with_scratch_arrays_matches_central_differences() {
    for n in [0, 1, 4] {
        probe!(p => mixture, mixture_grad, mixture_vjp,
            [&p[..6], &p[6..12], &X[..2 * n], 2, 3, n], [means, q],
            [MEANS.as_slice(), Q.as_slice()].concat());
    }
}

/// The point loop stops early (`break`), skips points (`continue`), or returns from inside.
#[differentiate(wrt(w))]
fn stopping(w: &[f64], x: &[f64], d: usize, n: usize, limit: f64, skip: usize) -> f64 {
    let mut z = vec![0.0; d];
    let mut acc = 1.0;
    for i in 0..n {
        for j in 0..d {
            z[j] = (x[i * d + j] * w[j]).sin();
        }
        if i == skip {
            continue;
        }
        let mut s = 0.0;
        for j in 0..d {
            s += z[j] * z[j] * w[j];
        }
        if s > limit {
            return acc * s.exp();
        }
        if s < -limit {
            break;
        }
        acc *= 1.0 + s;
    }
    acc
}

#[test]
fn a_replayed_loop_may_break_continue_or_return() {
    let w = [0.9, -0.4, 0.6];
    let x: Vec<f64> = (0..15).map(|i| 0.3 + 0.17 * i as f64).collect();
    // No exit, a `continue` on point 2, a `return` (large limit exceeded late or early),
    // and a `break` (a negative sum below −limit).
    for (limit, skip) in [(100.0, 2), (0.5, 1), (0.05, 7), (0.3, 0)] {
        probe!(p => stopping, stopping_grad, stopping_vjp,
            [&p[..3], &x, 3, 5, limit, skip], [w], w);
    }
    let negative = [-0.9, -0.4, -0.6];
    probe!(p => stopping, stopping_grad, stopping_vjp,
        [&p[..3], &x, 3, 5, 0.2, 9], [w], negative);
}

/// Three nested loops around the scratch writes, one scratch array per level.
#[differentiate(wrt(w))]
fn three_deep(w: &[f64], p: usize, q: usize, d: usize) -> f64 {
    let mut outer = vec![0.0; d];
    let mut inner = vec![0.0; d];
    let mut acc = 0.0;
    for a in 0..p {
        for j in 0..d {
            outer[j] = w[j] * (a as f64 + 1.0);
        }
        for b in 0..q {
            for j in 0..d {
                inner[j] = (outer[j] - w[(j + b) % d]).tanh();
            }
            let mut s = 0.0;
            for j in 0..d {
                s += inner[j] * outer[j];
            }
            acc += s * s;
        }
    }
    acc
}

#[test]
fn three_nested_loops_match_central_differences() {
    let w = [0.4, -0.7, 0.2, 0.9];
    for (p, q) in [(0, 2), (2, 0), (1, 1), (3, 2)] {
        probe!(v => three_deep, three_deep_grad, three_deep_vjp, [&v[..4], p, q, 4], [w], w);
    }
}

/// The iteration reads `z[0]` before writing `z`: the value of the previous iteration. The
/// loop is not replayable (a replay would read what the reverse left there); its reads are
/// saved.
#[differentiate(wrt(w))]
fn read_before_write(w: &[f64], n: usize) -> f64 {
    let mut z = vec![0.0; 3];
    let mut acc = 0.0;
    for i in 0..n {
        let previous = z[0];
        for j in 0..3 {
            z[j] = w[j] * (i as f64 + 1.0) + previous * w[(j + 1) % 3];
        }
        for j in 0..3 {
            acc += z[j] * z[j];
        }
    }
    acc
}

#[test]
fn an_array_read_before_it_is_written_keeps_its_previous_value() {
    let w = [0.5, -0.3, 0.8];
    for n in [0, 1, 4] {
        probe!(p => read_before_write, read_before_write_grad, read_before_write_vjp,
            [&p[..3], n], [w], w);
    }
}

/// The scratch array is read again after the loop: what the last iteration left in it.
#[differentiate(wrt(w))]
fn read_after_the_loop(w: &[f64], n: usize) -> f64 {
    let mut z = vec![0.0; 3];
    let mut acc = 0.0;
    for i in 0..n {
        for j in 0..3 {
            z[j] = (w[j] * (i as f64 + 0.5)).cos();
        }
        for j in 0..3 {
            acc += z[j] * w[j];
        }
    }
    acc + z[0] * z[2]
}

#[test]
fn an_array_read_after_the_loop_holds_the_last_iteration() {
    let w = [0.5, -0.3, 0.8];
    for n in [0, 1, 3] {
        probe!(p => read_after_the_loop, read_after_the_loop_grad, read_after_the_loop_vjp,
            [&p[..3], n], [w], w);
    }
}

/// The scratch array is declared in the body, and a second loop rewrites only part of it.
#[differentiate(wrt(w))]
fn declared_in_the_body(w: &[f64], n: usize) -> f64 {
    let mut acc = 0.0;
    for i in 0..n {
        let mut z = vec![0.0; 4];
        for j in 0..4 {
            z[j] = w[j] * w[(j + i) % 4];
        }
        for j in 1..3 {
            z[j] = z[j - 1] * z[j + 1];
        }
        for j in 0..4 {
            acc += z[j].exp() * w[j];
        }
    }
    acc
}

#[test]
fn an_array_declared_in_the_body_matches_central_differences() {
    let w = [0.5, -0.3, 0.8, 0.2];
    for n in [0, 1, 3] {
        probe!(p => declared_in_the_body, declared_in_the_body_grad, declared_in_the_body_vjp,
            [&p[..4], n], [w], w);
    }
}

/// A triangle walked with a running index (`l += 1`), and a countdown (`m -= 2`) in a loop
/// that can stop early: both rebuilt backwards from their values after their loops.
#[differentiate(wrt(w))]
fn triangle(w: &[f64], d: usize, stop: f64) -> f64 {
    let mut y = vec![0.0; d];
    let mut acc = 0.0;
    for rep in 0..2 {
        for j in 0..d {
            y[j] = w[j] * (rep as f64 + 1.0);
        }
        let mut l = d;
        for col in 0..d {
            for row in col + 1..d {
                y[row] += w[l] * y[col];
                l += 1;
            }
        }
        for j in 0..d {
            acc += y[j] * y[j];
        }
    }
    let mut m: i64 = 2 * d as i64;
    let mut prod = 1.0;
    while m > 0 {
        let v = w[m as usize - 1] * acc;
        prod *= 1.0 + v * v;
        if prod > stop {
            break;
        }
        m -= 2;
    }
    prod
}

#[test]
fn rebuilt_counters_match_central_differences() {
    // d = 3: 3 diagonal entries, then the 3 entries of the strict lower triangle.
    let w = [0.3, -0.5, 0.4, 0.2, -0.1, 0.6];
    for stop in [1e9, 1.5] {
        probe!(p => triangle, triangle_grad, triangle_vjp, [&p[..6], 3, stop], [w], w);
    }
}
