//! Adversarial probes of local arrays written by index ("memory"): reads after the last
//! write re-read in the reverse sweep, nested reading loops that read a copy taken before the
//! loop, arrays copied at calls of differentiated helpers and at closure definitions, and the
//! panic-free reverse indexing. Each function is checked for an exact value, a gradient that
//! matches central differences, and a `f_vjp` linear in its seed.
//!
//! `mod regressions` holds the probes that failed with a wrong gradient (or a reverse-sweep
//! panic) when this file was written, all fixed since: arrays changed in place by a method
//! (`swap`, `fill`, `reverse`, `truncate`) after a read the reverse sweep repeats,
//! `.map(|t| ..)` capturing an array written later, and nalgebra vectors written by index
//! and read whole by a rule.
#![allow(
    dead_code,
    unused_variables,
    unused_mut,
    unused_assignments,
    unused_parens,
    unused_braces
)]
// The probes are written the way users write loops, not the way clippy would have them.
#![allow(
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::collapsible_if,
    clippy::collapsible_else_if,
    clippy::never_loop,
    clippy::double_parens,
    clippy::nonminimal_bool,
    clippy::neg_multiply,
    clippy::unnecessary_cast,
    clippy::explicit_counter_loop,
    clippy::manual_memcpy,
    clippy::let_and_return,
    clippy::needless_return,
    clippy::blocks_in_conditions,
    clippy::identity_op,
    clippy::precedence,
    clippy::excessive_precision,
    clippy::while_immutable_condition,
    clippy::match_single_binding,
    clippy::single_match,
    clippy::match_overlapping_arm,
    clippy::redundant_guards,
    clippy::manual_range_patterns,
    clippy::empty_loop,
    clippy::neg_cmp_op_on_partial_ord,
    clippy::redundant_slicing,
    // `vec![0.0; n]` arrays are probed on purpose.
    clippy::useless_vec,
    // `&Vec<f64>` parameters are a supported form, probed on purpose.
    clippy::ptr_arg,
    // `s = (s);` probes a parenthesised self-assignment of a carried variable.
    clippy::self_assignment
)]

use nalgebra::DVector;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

/// The common signature `f(xs: &[f64], y: f64)`, checked at several points.
macro_rules! probe_xy {
    ($f:ident, $g:ident, $v:ident) => {{
        for pt in POINTS {
            probe!(p => $f, $g, $v, [&p[..4], p[4]], [xs, y], pt);
        }
    }};
}

const POINTS: [[f64; 5]; 3] = [
    [0.7, -0.3, 1.2, 0.4, 0.9],
    [-0.6, 0.8, 0.25, 1.1, -0.45],
    [1.3, 0.55, -0.9, 0.35, 0.6],
];

// ---- helpers ------------------------------------------------------------------------------

#[differentiate]
fn hsl(a: &[f64], c: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * a[i] * c + a[i];
    }
    s
}

#[differentiate]
fn hr3(a: &[f64; 3]) -> f64 {
    a[0] * a[1] + a[2] * a[2] * a[0]
}

#[differentiate]
fn hv3(a: [f64; 3]) -> f64 {
    a[0] * a[1] * a[2] + a[1].sin()
}

// ---- rule 1: reads after the last write (re-read) vs reads followed by writes --------------

#[differentiate]
fn r1_read_then_loop_writes(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let t = a[1] * a[2];
    for i in 0..4 {
        a[i] = a[i] * a[i] + y;
    }
    t * a[0] + a[3] * t
}

#[differentiate]
fn r1_read_then_top_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    a[0] = xs[0] * y;
    a[1] = xs[1] + y;
    let t = a[0] * a[1];
    a[0] = t * xs[2];
    a[1] += a[0] * y;
    t + a[0] * a[1]
}

#[differentiate]
fn r1_read_in_loop_then_write_in_later_loop(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 4];
    for i in 0..4 {
        a[i] = xs[i].sin() * y;
    }
    let mut s = 0.0;
    for i in 0..4 {
        s += a[i] * a[(i + 1) % 4];
    }
    for i in 0..4 {
        a[i] = s * a[i];
    }
    s * a[2] + a[0]
}

#[differentiate]
fn r1_read_branch_then_write_other(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] + y * (i as f64);
    }
    let mut s = 0.0;
    for k in 0..4 {
        if k % 2 == 0 {
            s += a[k] * a[(k + 1) % 4];
        } else {
            a[(k + 1) % 4] = a[k] * y + s;
        }
    }
    s + a[0] * a[2]
}

#[differentiate]
fn r1_top_branch_read_else_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = xs[0] * y;
    a[1] = xs[1] * xs[2];
    let mut t = 0.0;
    if y > 0.0 {
        t = a[0] * a[1];
    } else {
        a[0] = a[1] * y;
    }
    t + a[0] * a[0] + a[1]
}

#[differentiate]
fn r1_else_only_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    a[1] = xs[1];
    if xs[3] > 0.5 {
        a[2] = y;
    } else {
        a[0] = xs[0] * y;
        a[2] = xs[2] * y * y;
    }
    a[0] * a[1] + a[2] * a[1] + a[2]
}

#[differentiate]
fn r1_write_only_in_else_inside_loop(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..6 {
        if k < 3 {
            s += a[k] * y;
        } else {
            a[k - 3] = a[k - 2] * s;
        }
    }
    s + a[0] + a[1] * a[2]
}

#[differentiate]
fn r1_shadowed_array(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    a[0] = xs[0] * y;
    a[1] = xs[1] + y;
    a[2] = xs[2] * xs[0];
    let t = a[1] * a[2] + a[0];
    let mut a = [0.0; 3];
    a[0] = t * y;
    a[1] = xs[3] * t;
    a[0] * a[1] + t * a[2]
}

#[differentiate]
fn r1_shadowed_array_read_after(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = xs[0] * y;
    a[1] = xs[1] * y;
    let u = a[0] * a[1];
    let mut b = [0.0; 2];
    b[0] = u;
    let v = a[1] * b[0];
    let mut a = [0.0; 2];
    a[1] = v * xs[2];
    a[0] += a[1] * y;
    a[0] * u + a[1] * v
}

#[differentiate]
fn r1_shadowed_in_block(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = xs[0] * y;
    a[1] = xs[1] * y;
    let r = {
        let mut a = [0.0; 2];
        a[0] = xs[2] * y;
        a[1] = a[0] * a[0];
        a[1] * y
    };
    a[0] * r + a[1] * a[0]
}

#[differentiate]
fn r1_shadowed_by_scalar(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = xs[0] * y;
    a[1] = xs[1] * a[0];
    let t = a[1];
    let a = a[0] * t;
    a * y + t
}

#[differentiate]
fn r1_read_in_loop_shadow_in_loop(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for k in 0..3 {
        s += a[k] * a[(k + 2) % 3];
        let mut a = [0.0; 3];
        a[k] = s * y;
        s += a[k] * 0.5;
    }
    s + a[1]
}

#[differentiate]
fn r1_self_update_after_read(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let t = a[0] + a[3];
    for i in 0..4 {
        a[i] += a[i] * a[i] * t;
    }
    let u = a[2];
    for i in 0..4 {
        a[i] = a[(i + 1) % 4] * u;
    }
    t * u + a[0] + a[3]
}

#[differentiate]
fn r1_match_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    a[0] = xs[0];
    a[1] = xs[1] * y;
    let t = a[0] * a[1];
    let k = if xs[3] > 0.5 { 1 } else { 2 };
    match k {
        1 => a[0] = t * y,
        _ => a[2] = t * t,
    }
    t + a[0] * a[1] + a[2]
}

#[differentiate]
fn r1_write_after_read_in_while(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] + y;
    }
    let t = a[0] * a[2];
    let mut k = 0;
    while k < 3 {
        a[k] *= t;
        k += 1;
    }
    a[0] + a[1] * a[2] + t
}

// ---- rule 2: nested reading loops (copy before the loop) ------------------------------------

#[differentiate]
fn r2_outer_writes_after_inner(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..3 {
        for j in 0..3 {
            s += a[j] * a[(j + 1) % 3] * y;
        }
        a[k] = a[k] * y + s * 0.1;
    }
    s + a[0] * a[1]
}

#[differentiate]
fn r2_outer_writes_before_inner(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..3 {
        a[k] = a[(k + 1) % 3] * y + s * 0.1;
        for j in 0..3 {
            s += a[j] * a[j] * y;
        }
    }
    s + a[2]
}

#[differentiate]
fn r2_read_only_nested(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for k in 0..4 {
        for j in 0..k {
            s += a[j] * a[k] + s * 0.01;
        }
    }
    for i in 0..4 {
        a[i] = a[i] * s;
    }
    s + a[1] * a[3]
}

#[differentiate]
fn r2_read_nested_then_written_in_next_outer(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 4];
    for i in 0..4 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for outer in 0..3 {
        for k in 0..4 {
            for j in 0..2 {
                s += a[k] * a[(k + j) % 4] * y * 0.3;
            }
        }
        for k in 0..4 {
            a[k] = a[k] * y + s * 0.05;
        }
    }
    s + a[0]
}

#[differentiate]
fn r2_nested_in_branch(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] + y;
    }
    let mut s = 0.0;
    for k in 0..4 {
        if k % 2 == 1 {
            for j in 0..3 {
                s += a[j] * y;
            }
        } else {
            a[k % 3] = s * y + a[(k + 1) % 3];
        }
    }
    s * a[0] + a[2]
}

#[differentiate]
fn r2_nested_while_reader(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    let mut k = 0;
    while k < 3 {
        let mut j = 0;
        while j < 3 {
            s += a[j] * a[k];
            j += 1;
        }
        k += 1;
    }
    a[1] = s;
    s + a[1] * a[0]
}

#[differentiate]
fn r2_three_deep_reader(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = xs[0] * y;
    a[1] = xs[1] * y;
    let mut s = 0.0;
    for i in 0..2 {
        for j in 0..2 {
            for k in 0..2 {
                s += a[i] * a[j] * a[k];
            }
        }
        a[i] = s * 0.1;
    }
    s + a[0] + a[1]
}

#[differentiate]
fn r2_inner_reads_outer_writes_other_array(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    let mut b = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    for k in 0..3 {
        for j in 0..3 {
            b[k] += a[j] * a[k];
        }
        a[k] = b[k] * y;
    }
    b[0] + b[1] * b[2] + a[1]
}

// ---- GMM-like: an array rewritten per outer iteration --------------------------------------

#[differentiate]
fn gmm_like(x: &[f64], mu: &[f64], l: &[f64]) -> f64 {
    let d = mu.len();
    let n = x.len() / d;
    let mut xc = vec![0.0; d];
    let mut q = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..d {
            xc[j] = x[i * d + j] - mu[j];
        }
        for j in 0..d {
            q[j] = 0.0;
        }
        let mut idx = 0;
        for col in 0..d {
            for row in col..d {
                q[row] += l[idx] * xc[col];
                idx += 1;
            }
        }
        let mut s = 0.0;
        for j in 0..d {
            s += q[j] * q[j];
        }
        total += (s * -0.5).exp();
    }
    total.ln()
}

#[differentiate]
fn gmm_fixed(x: &[f64], mu: &[f64], l: &[f64]) -> f64 {
    let mut xc = [0.0; 3];
    let mut total = 0.0;
    for i in 0..2 {
        let mut q = [0.0; 3];
        for j in 0..3 {
            xc[j] = x[i * 3 + j] - mu[j];
        }
        let mut idx = 0;
        for col in 0..3 {
            for row in col..3 {
                q[row] += l[idx] * xc[col];
                idx += 1;
            }
        }
        total += q.iter().map(|v| v * v).sum::<f64>() + xc[0] * q[2];
    }
    total
}

#[differentiate]
fn gmm_while(x: &[f64], mu: &[f64], l: &[f64]) -> f64 {
    let d = 2;
    let mut xc = [0.0; 2];
    let mut q = [0.0; 2];
    let mut total = 0.0;
    let mut i = 0;
    while i < 3 {
        let mut j = 0;
        while j < d {
            xc[j] = x[i * d + j] - mu[j];
            q[j] = 0.0;
            j += 1;
        }
        let mut idx = 0;
        let mut col = 0;
        while col < d {
            let mut row = col;
            while row < d {
                q[row] += l[idx] * xc[col];
                idx += 1;
                row += 1;
            }
            col += 1;
        }
        total += q[0] * q[0] + q[1] * q[1] + xc[1] * 0.1;
        i += 1;
    }
    total
}

#[differentiate]
fn gmm_loop_break(x: &[f64], mu: &[f64], l: &[f64]) -> f64 {
    let mut xc = vec![0.0; 2];
    let mut q = vec![0.0; 2];
    let mut total = 0.0;
    let mut i = 0;
    loop {
        if i == 3 {
            break;
        }
        for j in 0..2 {
            xc[j] = x[i * 2 + j] - mu[j];
        }
        q[0] = l[0] * xc[0];
        q[1] = l[1] * xc[0];
        q[1] += l[2] * xc[1];
        let mut s = 0.0;
        for j in 0..2 {
            s += q[j] * q[j];
        }
        total += s.sqrt();
        i += 1;
    }
    total
}

#[differentiate]
fn gmm_early_return(x: &[f64], mu: &[f64], l: &[f64]) -> f64 {
    let mut xc = [0.0; 2];
    let mut q = [0.0; 2];
    let mut total = 0.0;
    for i in 0..3 {
        for j in 0..2 {
            xc[j] = x[i * 2 + j] - mu[j];
        }
        q[0] = l[0] * xc[0];
        q[1] = l[1] * xc[0] + l[2] * xc[1];
        total += q[0] * q[0] + q[1] * q[1];
        if total > 2.0 {
            return total * xc[1] + q[0];
        }
    }
    total + xc[0] * q[1]
}

#[differentiate]
fn gmm_clusters(x: &[f64], mu: &[f64], l: &[f64]) -> f64 {
    // Two points, two clusters, d = 2: the centred point is rewritten per (point, cluster).
    let mut xc = [0.0; 2];
    let mut q = [0.0; 2];
    let mut lse = 0.0;
    for i in 0..2 {
        let mut m = [0.0; 2];
        for k in 0..2 {
            for j in 0..2 {
                xc[j] = x[i * 2 + j] - mu[k * 2 + j];
            }
            q[0] = l[k * 3] * xc[0];
            q[1] = l[k * 3 + 1] * xc[0] + l[k * 3 + 2] * xc[1];
            m[k] = -0.5 * (q[0] * q[0] + q[1] * q[1]);
        }
        let mx = if m[0] > m[1] { m[0] } else { m[1] };
        lse += ((m[0] - mx).exp() + (m[1] - mx).exp()).ln() + mx;
    }
    lse
}

// ---- arrays of arrays -----------------------------------------------------------------------

#[differentiate]
fn aa_write_read(xs: &[f64], y: f64) -> f64 {
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = xs[(i + j) % 4] * y + (i as f64);
        }
    }
    let t = m[1][2] * m[2][1];
    for i in 0..3 {
        m[i][i] += t * m[i][(i + 1) % 3];
    }
    let mut s = 0.0;
    for i in 0..3 {
        for j in 0..3 {
            s += m[i][j] * m[j][i];
        }
    }
    s + t
}

#[differentiate]
fn aa_row_update_nested_reader(xs: &[f64], y: f64) -> f64 {
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        m[i][i] = xs[i] + y;
        m[i][(i + 1) % 3] = xs[3] * y;
    }
    let mut s = 0.0;
    for k in 0..3 {
        for j in 0..3 {
            s += m[k][j] * m[j][k];
        }
        m[(k + 1) % 3][k] = s * 0.1;
    }
    s + m[2][1]
}

#[differentiate]
fn aa_matmul_inplace(xs: &[f64], y: f64) -> f64 {
    let mut a = [[0.0; 2]; 2];
    a[0][0] = xs[0];
    a[0][1] = xs[1];
    a[1][0] = xs[2];
    a[1][1] = xs[3] * y;
    let mut c = [[0.0; 2]; 2];
    for rep in 0..2 {
        for i in 0..2 {
            for j in 0..2 {
                c[i][j] = 0.0;
                for k in 0..2 {
                    c[i][j] += a[i][k] * a[k][j];
                }
            }
        }
        for i in 0..2 {
            for j in 0..2 {
                a[i][j] = c[i][j] * 0.5;
            }
        }
    }
    a[0][0] + a[0][1] * a[1][0] + a[1][1]
}

// ---- iterators over arrays written in place ------------------------------------------------

#[differentiate]
fn it_sum_after_writes(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let s = a.iter().sum::<f64>();
    for i in 0..4 {
        a[i] *= s;
    }
    s + a.iter().map(|v| v * v).sum::<f64>()
}

#[differentiate]
fn it_for_ref(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] + y * xs[(i + 1) % 4];
    }
    let mut s = 0.0;
    for v in &a {
        s += v * v;
    }
    a[0] = s * y;
    let mut t = 0.0;
    for v in &a {
        t += v * s;
    }
    t
}

#[differentiate]
fn it_sum_in_loop(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..3 {
        s += a.iter().sum::<f64>() * y;
        a[k] = s * a[k];
    }
    s + a.iter().product::<f64>()
}

#[differentiate]
fn it_iter_in_nested(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for k in 0..2 {
        for j in 0..2 {
            s += a.iter().map(|v| v * y).sum::<f64>() * 0.1;
        }
        a[k] = s;
    }
    s + a[0]
}

// ---- copies: `let b = a;` -------------------------------------------------------------------

#[differentiate]
fn copy_then_both_written(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut b = a;
    a[0] = b[1] * y;
    b[1] = a[0] * a[2];
    a[2] += b[0];
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[differentiate]
fn copy_in_loop(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..3 {
        let mut b = a;
        b[k] = b[k] * y;
        s += b[0] * b[1] * b[2];
        a[(k + 1) % 3] = s * 0.2;
    }
    s + a[0]
}

#[differentiate]
fn copy_vec_clone(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut b = a.clone();
    b[0] = a[1] * a[2];
    a[1] = b[0] * y;
    a[0] * a[1] + b[0] * b[2]
}

// ---- rule 3: arrays passed to differentiated helpers ----------------------------------------

#[differentiate]
fn call_before_and_after_writes(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let u = hr3(&a);
    a[0] = u * y;
    a[1] += u;
    let v = hr3(&a);
    a[2] = v;
    u + v * hr3(&a)
}

#[differentiate]
fn call_by_value(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] + y;
    }
    let u = hv3(a);
    a[1] = u * a[0];
    u * hv3(a)
}

#[differentiate]
fn call_in_loop_then_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..3 {
        s += hr3(&a) * y;
        a[k] = s * a[(k + 1) % 3];
    }
    s + hv3(a)
}

#[differentiate]
fn call_in_branch(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for k in 0..4 {
        if k % 2 == 0 {
            s += hv3(a);
        } else {
            a[k % 3] = s * y;
        }
    }
    s
}

#[differentiate]
fn call_slice_helper_vec(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let mut s = hsl(&a, y);
    for i in 0..4 {
        a[i] = a[i] * s;
        s += hsl(&a, 0.5) * 0.01;
    }
    s + a[3]
}

#[differentiate]
fn call_nested_loop(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..3 {
        for j in 0..2 {
            s += hr3(&a) * y * 0.1;
        }
        a[k] = a[k] * y + s;
    }
    s
}

// ---- closures capturing arrays --------------------------------------------------------------

#[differentiate]
fn clo_reads_array(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let f = |t: f64| a[0] * t + a[1] * a[2] * t * t;
    let mut s = 0.0;
    for i in 0..4 {
        s += f(xs[i]);
    }
    s
}

#[differentiate]
fn clo_in_loop_after_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..3 {
        a[k] = a[k] * y + s;
        let f = |t: f64| a[0] * t + a[1] * a[2];
        s += f(y) * 0.5;
    }
    s + a[1]
}

#[differentiate]
fn clo_move_then_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let f = move |t: f64| a[0] * t + a[2];
    a[0] = f(y) * a[1];
    a[2] += f(a[0]);
    a[0] * a[2] + f(0.5)
}

// ---- while / loop + break / early return ---------------------------------------------------

#[differentiate]
fn wl_read_then_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    let mut k = 0;
    while k < 4 {
        s += a[k] * a[(k + 3) % 4];
        a[(k + 1) % 4] = s * y;
        k += 1;
    }
    s + a[0]
}

#[differentiate]
fn lb_read_then_write(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    let mut k = 0;
    loop {
        s += a[k] * y;
        if s > 1.5 || k == 3 {
            break;
        }
        a[k + 1] += s * a[k];
        k += 1;
    }
    s + a[1] * a[2]
}

#[differentiate]
fn ret_in_loop_after_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..4 {
        a[k] = a[k] * y + s;
        s += a[k] * a[k];
        if s > 1.0 {
            return s * a[0] + a[k];
        }
    }
    s + a[3]
}

#[differentiate]
fn ret_in_nested_loop(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] + y;
    }
    let mut s = 0.0;
    for k in 0..3 {
        for j in 0..3 {
            s += a[j] * y * 0.2;
            if s > 2.0 {
                return s + a[k];
            }
        }
        a[k] = s;
    }
    s + a[2]
}

#[differentiate]
fn ret_before_writes(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = xs[0] * y;
    a[1] = xs[1] * y;
    if xs[3] > 1.0 {
        return a[0] * a[1];
    }
    let t = a[0];
    a[0] = a[1] * t;
    a[1] = t * t;
    a[0] + a[1]
}

// ---- Vec arrays ----------------------------------------------------------------------------

#[differentiate]
fn vec_prefix_sum(xs: &[f64], y: f64) -> f64 {
    let n = xs.len();
    let mut a = vec![0.0; n + 1];
    for i in 0..n {
        a[i + 1] = a[i] + xs[i] * y;
    }
    let mut s = 0.0;
    for i in 0..=n {
        for j in 0..i {
            s += a[i] * a[j] * 0.1;
        }
    }
    for i in 0..n {
        a[i] = a[i + 1] * s;
    }
    s + a[0] + a[n]
}

#[differentiate]
fn vec_2d(xs: &[f64], y: f64) -> f64 {
    let mut m = vec![vec![0.0; 2]; 2];
    m[0][0] = xs[0];
    m[0][1] = xs[1] * y;
    m[1][0] = xs[2];
    m[1][1] = xs[3];
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    m[0][0] = det * y;
    for i in 0..2 {
        for j in 0..2 {
            m[i][j] += m[j][i] * 0.5;
        }
    }
    det + m[0][0] * m[1][1] + m[0][1]
}

#[differentiate]
fn vec_rewritten_per_iter_tail_read(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 3];
    let mut s = 0.0;
    for k in 0..3 {
        for j in 0..3 {
            a[j] = xs[j] * y + (k as f64) * s;
        }
        s += a[0] * a[1] + a[2];
    }
    s * a[0] + a[1] * a[2]
}

#[differentiate]
fn vec_sized_by_param(xs: &[f64], y: f64) -> f64 {
    let n = xs.len();
    let mut a = vec![0.0; n];
    let mut b = vec![0.0; n];
    for i in 0..n {
        a[i] = xs[i] * y;
    }
    for i in 0..n {
        for j in 0..n {
            b[i] += a[j] * a[(i + j) % n];
        }
    }
    let mut s = 0.0;
    for i in 0..n {
        s += b[i] * b[i];
    }
    s
}

// ---- miscellany ----------------------------------------------------------------------------

#[differentiate]
fn misc_index_from_loop_var_after(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    let mut last = 0;
    for i in 0..4 {
        a[i] = xs[i] * y;
        if xs[i] > 0.5 {
            last = i;
        }
    }
    a[last] * a[(last + 1) % 4] + a[0]
}

#[differentiate]
fn misc_read_before_decl_of_other(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = xs[0] * y;
    a[1] = xs[1];
    let t = a[0] * a[1];
    let mut b = [0.0; 2];
    for i in 0..2 {
        b[i] = a[i] * t;
        a[i] = b[i] + a[(i + 1) % 2];
    }
    a[0] * b[1] + t
}

#[differentiate]
fn misc_top_loop_encloses_read_and_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for k in 0..3 {
        let t = a[2 - k];
        s += t * y;
        for j in 0..3 {
            a[j] = a[j] * 0.9 + t * 0.1;
        }
    }
    s + a[1]
}

#[differentiate]
fn misc_accumulate_then_reset(xs: &[f64], y: f64) -> f64 {
    let mut acc = [0.0; 2];
    let mut total = 0.0;
    for k in 0..3 {
        acc[0] = 0.0;
        acc[1] = 0.0;
        for j in 0..4 {
            acc[j % 2] += xs[j] * y * (k as f64 + 1.0);
        }
        total += acc[0] * acc[1];
    }
    total + acc[0]
}

// ---- round 2: moves, `.map` captures, rows of arrays of arrays -----------------------------

#[differentiate]
fn hvec(a: Vec<f64>, c: f64) -> f64 {
    a[0] * c + a[1] * a[2]
}

#[differentiate]
fn mv_vec_moved_after_final_read(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for i in 0..3 {
        s += a[i] * a[i] * (i as f64 + 1.0);
    }
    let mut b = a;
    b[0] = s * y;
    b[1] += s;
    let mut t = 0.0;
    for i in 0..3 {
        t += b[i] * b[i];
    }
    s + t
}

#[differentiate]
fn mv_vec_by_value_to_helper(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] + y;
    }
    let mut s = 0.0;
    for i in 0..3 {
        s += a[i] * y;
    }
    s + hvec(a, y)
}

#[differentiate]
fn row_of_2d_to_helper(xs: &[f64], y: f64) -> f64 {
    let mut m = [[0.0; 3]; 2];
    for i in 0..2 {
        for j in 0..3 {
            m[i][j] = xs[i + j] * y;
        }
    }
    let u = hr3(&m[1]);
    m[1][0] = u;
    let mut s = u;
    for k in 0..2 {
        s += hr3(&m[k]) * y;
        m[k][2] = s;
    }
    s + m[0][2]
}

// ---- nalgebra vectors written by index ------------------------------------------------------

#[differentiate]
fn nv_norm_then_write(xs: &[f64], y: f64) -> f64 {
    let mut v = DVector::<f64>::zeros(3);
    for i in 0..3 {
        v[i] = xs[i] * y;
    }
    let n = v.norm_squared();
    v[0] = 7.0 * y;
    n + v[0]
}

#[differentiate]
fn nv_dot_in_loop_then_write(xs: &[f64], y: f64) -> f64 {
    let mut v = DVector::<f64>::zeros(3);
    for i in 0..3 {
        v[i] = xs[i] + y;
    }
    let mut s = 0.0;
    for k in 0..3 {
        s += v.dot(&v) * 0.1;
        v[k] = v[k] * y;
    }
    s + v[2]
}

// ---- round 3 -------------------------------------------------------------------------------

#[differentiate]
fn hscale(a: &[f64; 3], c: f64) -> [f64; 3] {
    let mut r = [0.0; 3];
    for i in 0..3 {
        r[i] = a[i] * c + a[(i + 1) % 3];
    }
    r
}

#[differentiate]
fn r3_helper_result_written(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let h = hscale(&a, y);
    let mut b = [0.0; 3];
    for k in 0..3 {
        b[k] = h[k];
    }
    let mut s = 0.0;
    for k in 0..3 {
        s += b[k] * a[k];
        b[k] = s * y;
        a[(k + 1) % 3] += b[k];
    }
    s + b[0] * a[2] + hscale(&b, 0.5)[1]
}

#[differentiate]
fn r2_final_copy_in_outer_loop(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y + xs[3];
    }
    let mut s = 0.0;
    for o in 0..2 {
        for k in 0..3 {
            for j in 0..3 {
                s += a[j] * a[k] * y * (1.0 + s * 0.01);
            }
        }
    }
    s + a[0]
}

#[differentiate]
fn r2_inner_break_continue(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for k in 0..4 {
        for j in 0..4 {
            if j == k {
                continue;
            }
            if a[j] * a[k] > 0.3 {
                break;
            }
            s += a[j] * a[k] * (1.0 + s * 0.1);
        }
        a[k] = s * y + a[k];
    }
    s + a[3]
}

#[differentiate]
fn r2_shadow_scalar_after_nested(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] + y;
    }
    let mut s = 0.0;
    for k in 0..3 {
        for j in 0..3 {
            s += a[j] * a[k] * 0.1;
        }
        let a = s * y;
        s += a;
    }
    a[1] = s;
    s * a[1] + a[0]
}

#[differentiate]
fn compound_ops_after_reads(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] + 2.0;
    }
    let t = a[0] * a[1];
    let mut s = 0.0;
    for k in 0..4 {
        s += a[k] * t;
        a[k] *= y + s * 0.1;
        a[(k + 1) % 4] /= 1.0 + a[k] * a[k];
        a[(k + 2) % 4] -= s * 0.2;
    }
    s + a[0] * a[3] + a[a.len() - 1]
}

#[differentiate]
fn row_store(xs: &[f64], y: f64) -> f64 {
    let mut m = [[0.0; 3]; 2];
    let mut r = [0.0; 3];
    for j in 0..3 {
        r[j] = xs[j] * y;
    }
    m[0] = r;
    let t = m[0][1] * m[0][2];
    r[1] = t;
    m[1] = r;
    m[0][0] += t;
    m[0][0] * m[1][1] + m[1][2] + m[0][1]
}

#[differentiate]
fn move_closure_before_writing_loop(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let f = move |t: f64| a[0] * t + a[1] * a[2];
    let mut s = 0.0;
    for k in 0..3 {
        a[k] = f(a[k]) + s;
        s += a[k] * f(y);
    }
    s + f(s)
}

#[differentiate]
fn closure_in_reduction(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = xs[0] * y;
    a[1] = xs[1];
    let s = xs.iter().map(|v| v * a[0] + a[1]).sum::<f64>();
    a[0] = s;
    s * a[0] + xs.iter().map(|v| v * a[0]).sum::<f64>()
}

#[differentiate]
fn two_arrays_alternating(xs: &[f64], y: f64) -> f64 {
    let mut u = [0.0; 4];
    let mut w = [0.0; 4];
    for i in 0..4 {
        u[i] = xs[i];
    }
    for step in 0..3 {
        for i in 0..4 {
            w[i] = u[i] + y * (u[(i + 1) % 4] - u[(i + 3) % 4]);
        }
        for i in 0..4 {
            u[i] = w[i] * w[i] * 0.5;
        }
    }
    let mut s = 0.0;
    for i in 0..4 {
        s += u[i] * w[i];
    }
    s
}

#[differentiate]
fn read_in_if_cond_branch(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for k in 0..3 {
        let t = if a[k] > 0.0 {
            a[k] * a[(k + 1) % 3]
        } else {
            a[k] * y
        };
        s += t;
    }
    a[0] = s;
    s * a[0]
}

// ---- round 4: iteration over arrays written in place ----------------------------------------

#[differentiate]
fn it_map_sum_then_write(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let s = a.iter().map(|v| v * v * v).sum::<f64>();
    a[1] = s;
    a[2] *= s;
    s + a.iter().map(|v| v.sin()).sum::<f64>()
}

#[differentiate]
fn it_for_iter_then_write(xs: &[f64], y: f64) -> f64 {
    let mut a = vec![0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] + y;
    }
    let mut s = 0.0;
    for v in a.iter() {
        s += v * v * y;
    }
    for i in 0..4 {
        a[i] = a[i] * s;
    }
    let mut t = 0.0;
    for v in a.iter() {
        t += v.cos();
    }
    s + t
}

#[differentiate]
fn it_nested_for_ref_outer_writes(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for k in 0..3 {
        for v in &a {
            s += v * v * 0.5;
        }
        a[k] = s * a[(k + 1) % 3];
    }
    s + a[0]
}

#[differentiate]
fn it_nested_iter_sum_outer_writes(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] + y;
    }
    let mut s = 0.0;
    for k in 0..3 {
        for j in 0..2 {
            s += a.iter().map(|v| v * v).sum::<f64>() * 0.1 * (j as f64 + 1.0);
        }
        a[k] = s.sin();
    }
    s + a[1]
}

#[differentiate]
fn it_for_value_array(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for v in a {
        s += v * v;
    }
    a[0] = s;
    for v in a {
        s += v * y;
    }
    s
}

#[differentiate]
fn it_while_reads_then_writes(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    let mut k = 0;
    while k < 4 {
        let mut j = 0;
        while j < 4 {
            s += a[j] * a[k] * 0.1;
            j += 1;
        }
        if k % 2 == 0 {
            a[k] = s;
        }
        k += 1;
    }
    s + a[2]
}

// ---- round 5: arrays changed by methods after a read -----------------------------------------

#[differentiate]
fn perm_swapped_after_read(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let mut perm = [0usize; 4];
    for i in 0..4 {
        perm[i] = i;
    }
    let mut s = 0.0;
    for k in 0..4 {
        s += a[perm[k]] * a[perm[k]] * (k as f64 + 1.0);
    }
    perm.swap(0, 3);
    s + a[perm[0]]
}

#[differentiate]
fn weights_swapped_after_read(xs: &[f64], y: f64) -> f64 {
    let mut w = [0.0; 4];
    for i in 0..4 {
        w[i] = i as f64 + 1.0;
    }
    let mut s = 0.0;
    for k in 0..4 {
        s += xs[k] * xs[k] * w[k] * y;
    }
    w.swap(0, 3);
    s + w[0]
}

#[differentiate]
fn weights_filled_after_read(xs: &[f64], y: f64) -> f64 {
    let mut w = vec![0.0; 4];
    for i in 0..4 {
        w[i] = i as f64 + 1.0;
    }
    let mut s = 0.0;
    for k in 0..4 {
        s += (xs[k] * w[k]).sin() * y;
    }
    w.fill(0.5);
    s + w[0]
}

#[differentiate]
fn weights_reversed_after_read(xs: &[f64], y: f64) -> f64 {
    let mut w = [0.0; 4];
    for i in 0..4 {
        w[i] = i as f64 * 0.5 + 1.0;
    }
    let mut s = 0.0;
    for k in 0..4 {
        s += xs[k] * w[k] * y * y;
    }
    w.reverse();
    s * w[1]
}

// ---- round 6: methods in loops with nested readers, shrinking vectors -----------------------

// ---- round 7 -------------------------------------------------------------------------------

#[differentiate]
fn final_read_in_top_branch(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    if xs[3] > 0.5 {
        s = a[0] * a[1] * a[2];
    } else {
        for k in 0..3 {
            s += a[k].sin() * a[(k + 1) % 3];
        }
    }
    s * y
}

#[differentiate]
fn f32_memory(x: f32, y: f32) -> f32 {
    let mut a = [0.0f32; 3];
    a[0] = x * y;
    a[1] = x + y;
    let mut s = 0.0f32;
    for k in 0..3 {
        for j in 0..2 {
            s += a[j] * a[(k + j) % 3] * 0.5;
        }
        a[2] = s * x;
    }
    s + a[2]
}

#[differentiate]
fn triangle_2d_local(xs: &[f64], y: f64) -> f64 {
    let mut l = [[0.0; 3]; 3];
    for r in 0..3 {
        for c in 0..=r {
            l[r][c] = xs[(r + c) % 4] * y + if r == c { 1.0 } else { 0.0 };
        }
    }
    let mut v = [0.0; 3];
    for i in 0..3 {
        v[i] = xs[i] - y;
    }
    let mut q = [0.0; 3];
    for r in 0..3 {
        for c in 0..=r {
            q[r] += l[r][c] * v[c];
        }
    }
    q[0] * q[0] + q[1] * q[1] + q[2] * q[2]
}

#[differentiate]
fn loop_break_nested_reader(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    let mut k = 0;
    loop {
        let mut j = 0;
        loop {
            s += a[j] * a[k] * 0.2;
            j += 1;
            if j == 4 {
                break;
            }
        }
        k += 1;
        if k == 4 || s > 3.0 {
            break;
        }
    }
    s
}

#[differentiate]
fn helper_on_data_array_in_loop(xs: &[f64], y: f64) -> f64 {
    let mut w = [0.0; 3];
    for i in 0..3 {
        w[i] = i as f64 + 0.5;
    }
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * y;
    }
    let mut s = 0.0;
    for k in 0..3 {
        s += hr3(&w) * hr3(&a) * 0.1;
        a[k] = s + w[k];
    }
    s
}

#[test]
fn rule1_reads_after_last_write() {
    probe_xy!(
        r1_read_then_loop_writes,
        r1_read_then_loop_writes_grad,
        r1_read_then_loop_writes_vjp
    );
    probe_xy!(
        r1_read_then_top_write,
        r1_read_then_top_write_grad,
        r1_read_then_top_write_vjp
    );
    probe_xy!(
        r1_read_in_loop_then_write_in_later_loop,
        r1_read_in_loop_then_write_in_later_loop_grad,
        r1_read_in_loop_then_write_in_later_loop_vjp
    );
    probe_xy!(
        r1_read_branch_then_write_other,
        r1_read_branch_then_write_other_grad,
        r1_read_branch_then_write_other_vjp
    );
    probe_xy!(
        r1_top_branch_read_else_write,
        r1_top_branch_read_else_write_grad,
        r1_top_branch_read_else_write_vjp
    );
    probe_xy!(
        r1_else_only_write,
        r1_else_only_write_grad,
        r1_else_only_write_vjp
    );
    probe_xy!(
        r1_write_only_in_else_inside_loop,
        r1_write_only_in_else_inside_loop_grad,
        r1_write_only_in_else_inside_loop_vjp
    );
    probe_xy!(
        r1_shadowed_array,
        r1_shadowed_array_grad,
        r1_shadowed_array_vjp
    );
    probe_xy!(
        r1_shadowed_array_read_after,
        r1_shadowed_array_read_after_grad,
        r1_shadowed_array_read_after_vjp
    );
    probe_xy!(
        r1_shadowed_in_block,
        r1_shadowed_in_block_grad,
        r1_shadowed_in_block_vjp
    );
    probe_xy!(
        r1_shadowed_by_scalar,
        r1_shadowed_by_scalar_grad,
        r1_shadowed_by_scalar_vjp
    );
    probe_xy!(
        r1_read_in_loop_shadow_in_loop,
        r1_read_in_loop_shadow_in_loop_grad,
        r1_read_in_loop_shadow_in_loop_vjp
    );
    probe_xy!(
        r1_self_update_after_read,
        r1_self_update_after_read_grad,
        r1_self_update_after_read_vjp
    );
    probe_xy!(r1_match_write, r1_match_write_grad, r1_match_write_vjp);
    probe_xy!(
        r1_write_after_read_in_while,
        r1_write_after_read_in_while_grad,
        r1_write_after_read_in_while_vjp
    );
}

#[test]
fn rule2_nested_readers() {
    probe_xy!(
        r2_outer_writes_after_inner,
        r2_outer_writes_after_inner_grad,
        r2_outer_writes_after_inner_vjp
    );
    probe_xy!(
        r2_outer_writes_before_inner,
        r2_outer_writes_before_inner_grad,
        r2_outer_writes_before_inner_vjp
    );
    probe_xy!(
        r2_read_only_nested,
        r2_read_only_nested_grad,
        r2_read_only_nested_vjp
    );
    probe_xy!(
        r2_read_nested_then_written_in_next_outer,
        r2_read_nested_then_written_in_next_outer_grad,
        r2_read_nested_then_written_in_next_outer_vjp
    );
    probe_xy!(
        r2_nested_in_branch,
        r2_nested_in_branch_grad,
        r2_nested_in_branch_vjp
    );
    probe_xy!(
        r2_nested_while_reader,
        r2_nested_while_reader_grad,
        r2_nested_while_reader_vjp
    );
    probe_xy!(
        r2_three_deep_reader,
        r2_three_deep_reader_grad,
        r2_three_deep_reader_vjp
    );
    probe_xy!(
        r2_inner_reads_outer_writes_other_array,
        r2_inner_reads_outer_writes_other_array_grad,
        r2_inner_reads_outer_writes_other_array_vjp
    );
}

/// GMM-like probes: `p` is x (6 values), mu (2 or 4), l (3 or 6).
#[test]
fn gmm_like_rewritten_per_point() {
    let x = [0.3, -0.2, 0.5, 0.1, -0.4, 0.25];
    let mu = [0.1, 0.05, -0.1, 0.2];
    let l = [1.1, 0.3, 0.9, 0.8, -0.2, 1.2];
    let pt: Vec<f64> = x.iter().chain(&mu[..2]).chain(&l[..3]).copied().collect();
    probe!(p => gmm_like, gmm_like_grad, gmm_like_vjp, [&p[..6], &p[6..8], &p[8..11]], [x, mu, l], pt);
    probe!(p => gmm_while, gmm_while_grad, gmm_while_vjp, [&p[..6], &p[6..8], &p[8..11]], [x, mu, l], pt);
    probe!(p => gmm_loop_break, gmm_loop_break_grad, gmm_loop_break_vjp, [&p[..6], &p[6..8], &p[8..11]], [x, mu, l], pt);
    probe!(p => gmm_early_return, gmm_early_return_grad, gmm_early_return_vjp, [&p[..6], &p[6..8], &p[8..11]], [x, mu, l], pt);
    let big: Vec<f64> = x
        .iter()
        .map(|v| v * 5.0)
        .chain(mu[..2].iter().copied())
        .chain(l[..3].iter().copied())
        .collect();
    probe!(p => gmm_early_return, gmm_early_return_grad, gmm_early_return_vjp, [&p[..6], &p[6..8], &p[8..11]], [x, mu, l], big);
    // d = 3 (one point of 3 and the triangle of 6).
    let pt3: Vec<f64> = x.iter().chain(&mu[..3]).chain(&l).copied().collect();
    probe!(p => gmm_like, gmm_like_grad, gmm_like_vjp, [&p[..6], &p[6..9], &p[9..15]], [x, mu, l], pt3);
    probe!(p => gmm_fixed, gmm_fixed_grad, gmm_fixed_vjp, [&p[..6], &p[6..9], &p[9..15]], [x, mu, l], pt3);
    let pt4: Vec<f64> = x[..4].iter().chain(&mu).chain(&l).copied().collect();
    probe!(p => gmm_clusters, gmm_clusters_grad, gmm_clusters_vjp, [&p[..4], &p[4..8], &p[8..14]], [x, mu, l], pt4);
}

#[test]
fn arrays_of_arrays() {
    probe_xy!(aa_write_read, aa_write_read_grad, aa_write_read_vjp);
    probe_xy!(
        aa_row_update_nested_reader,
        aa_row_update_nested_reader_grad,
        aa_row_update_nested_reader_vjp
    );
    probe_xy!(
        aa_matmul_inplace,
        aa_matmul_inplace_grad,
        aa_matmul_inplace_vjp
    );
    probe_xy!(vec_2d, vec_2d_grad, vec_2d_vjp);
}

#[test]
fn iterators_and_copies() {
    probe_xy!(
        it_sum_after_writes,
        it_sum_after_writes_grad,
        it_sum_after_writes_vjp
    );
    probe_xy!(it_for_ref, it_for_ref_grad, it_for_ref_vjp);
    probe_xy!(it_sum_in_loop, it_sum_in_loop_grad, it_sum_in_loop_vjp);
    probe_xy!(
        it_iter_in_nested,
        it_iter_in_nested_grad,
        it_iter_in_nested_vjp
    );
    probe_xy!(
        copy_then_both_written,
        copy_then_both_written_grad,
        copy_then_both_written_vjp
    );
    probe_xy!(copy_in_loop, copy_in_loop_grad, copy_in_loop_vjp);
    probe_xy!(copy_vec_clone, copy_vec_clone_grad, copy_vec_clone_vjp);
}

#[test]
fn rule3_calls_and_closures() {
    probe_xy!(
        call_before_and_after_writes,
        call_before_and_after_writes_grad,
        call_before_and_after_writes_vjp
    );
    probe_xy!(call_by_value, call_by_value_grad, call_by_value_vjp);
    probe_xy!(
        call_in_loop_then_write,
        call_in_loop_then_write_grad,
        call_in_loop_then_write_vjp
    );
    probe_xy!(call_in_branch, call_in_branch_grad, call_in_branch_vjp);
    probe_xy!(
        call_slice_helper_vec,
        call_slice_helper_vec_grad,
        call_slice_helper_vec_vjp
    );
    probe_xy!(
        call_nested_loop,
        call_nested_loop_grad,
        call_nested_loop_vjp
    );
    probe_xy!(clo_reads_array, clo_reads_array_grad, clo_reads_array_vjp);
    probe_xy!(
        clo_in_loop_after_write,
        clo_in_loop_after_write_grad,
        clo_in_loop_after_write_vjp
    );
    probe_xy!(
        clo_move_then_write,
        clo_move_then_write_grad,
        clo_move_then_write_vjp
    );
}

#[test]
fn exits_and_vecs() {
    probe_xy!(
        wl_read_then_write,
        wl_read_then_write_grad,
        wl_read_then_write_vjp
    );
    probe_xy!(
        lb_read_then_write,
        lb_read_then_write_grad,
        lb_read_then_write_vjp
    );
    probe_xy!(
        ret_in_loop_after_write,
        ret_in_loop_after_write_grad,
        ret_in_loop_after_write_vjp
    );
    probe_xy!(
        ret_in_nested_loop,
        ret_in_nested_loop_grad,
        ret_in_nested_loop_vjp
    );
    probe_xy!(
        ret_before_writes,
        ret_before_writes_grad,
        ret_before_writes_vjp
    );
    probe_xy!(vec_prefix_sum, vec_prefix_sum_grad, vec_prefix_sum_vjp);
    probe_xy!(
        vec_rewritten_per_iter_tail_read,
        vec_rewritten_per_iter_tail_read_grad,
        vec_rewritten_per_iter_tail_read_vjp
    );
    probe_xy!(
        vec_sized_by_param,
        vec_sized_by_param_grad,
        vec_sized_by_param_vjp
    );
    probe_xy!(
        misc_index_from_loop_var_after,
        misc_index_from_loop_var_after_grad,
        misc_index_from_loop_var_after_vjp
    );
    probe_xy!(
        misc_read_before_decl_of_other,
        misc_read_before_decl_of_other_grad,
        misc_read_before_decl_of_other_vjp
    );
    probe_xy!(
        misc_top_loop_encloses_read_and_write,
        misc_top_loop_encloses_read_and_write_grad,
        misc_top_loop_encloses_read_and_write_vjp
    );
    probe_xy!(
        misc_accumulate_then_reset,
        misc_accumulate_then_reset_grad,
        misc_accumulate_then_reset_vjp
    );
}

#[test]
fn moves_maps_rows() {
    probe_xy!(
        mv_vec_moved_after_final_read,
        mv_vec_moved_after_final_read_grad,
        mv_vec_moved_after_final_read_vjp
    );
    probe_xy!(
        mv_vec_by_value_to_helper,
        mv_vec_by_value_to_helper_grad,
        mv_vec_by_value_to_helper_vjp
    );
    probe_xy!(
        row_of_2d_to_helper,
        row_of_2d_to_helper_grad,
        row_of_2d_to_helper_vjp
    );
}

#[differentiate]
fn map_capture_scalar_reassigned(v: &DVector<f64>, y: f64) -> f64 {
    let mut c = 2.0;
    let w = v.map(|t| t * t * c);
    c = 5.0 * y;
    w.sum() + y * c
}

#[test]
fn map_capturing_a_reassigned_scalar() {
    for pt in POINTS {
        probe!(p => map_capture_scalar_reassigned, map_capture_scalar_reassigned_grad, map_capture_scalar_reassigned_vjp,
            [&DVector::from_column_slice(&p[..4]), p[4]], [v, y], pt);
    }
}

#[test]
fn round3() {
    probe_xy!(
        r3_helper_result_written,
        r3_helper_result_written_grad,
        r3_helper_result_written_vjp
    );
    probe_xy!(
        r2_final_copy_in_outer_loop,
        r2_final_copy_in_outer_loop_grad,
        r2_final_copy_in_outer_loop_vjp
    );
    probe_xy!(
        r2_inner_break_continue,
        r2_inner_break_continue_grad,
        r2_inner_break_continue_vjp
    );
    probe_xy!(
        r2_shadow_scalar_after_nested,
        r2_shadow_scalar_after_nested_grad,
        r2_shadow_scalar_after_nested_vjp
    );
    probe_xy!(
        compound_ops_after_reads,
        compound_ops_after_reads_grad,
        compound_ops_after_reads_vjp
    );
    probe_xy!(row_store, row_store_grad, row_store_vjp);
    probe_xy!(
        move_closure_before_writing_loop,
        move_closure_before_writing_loop_grad,
        move_closure_before_writing_loop_vjp
    );
    probe_xy!(
        closure_in_reduction,
        closure_in_reduction_grad,
        closure_in_reduction_vjp
    );
    probe_xy!(
        two_arrays_alternating,
        two_arrays_alternating_grad,
        two_arrays_alternating_vjp
    );
    probe_xy!(
        read_in_if_cond_branch,
        read_in_if_cond_branch_grad,
        read_in_if_cond_branch_vjp
    );
}

#[test]
fn round4_iteration() {
    probe_xy!(
        it_map_sum_then_write,
        it_map_sum_then_write_grad,
        it_map_sum_then_write_vjp
    );
    probe_xy!(
        it_for_iter_then_write,
        it_for_iter_then_write_grad,
        it_for_iter_then_write_vjp
    );
    probe_xy!(
        it_nested_for_ref_outer_writes,
        it_nested_for_ref_outer_writes_grad,
        it_nested_for_ref_outer_writes_vjp
    );
    probe_xy!(
        it_nested_iter_sum_outer_writes,
        it_nested_iter_sum_outer_writes_grad,
        it_nested_iter_sum_outer_writes_vjp
    );
    probe_xy!(
        it_for_value_array,
        it_for_value_array_grad,
        it_for_value_array_vjp
    );
    probe_xy!(
        it_while_reads_then_writes,
        it_while_reads_then_writes_grad,
        it_while_reads_then_writes_vjp
    );
}

#[test]
fn round7() {
    probe_xy!(
        final_read_in_top_branch,
        final_read_in_top_branch_grad,
        final_read_in_top_branch_vjp
    );
    probe_xy!(
        triangle_2d_local,
        triangle_2d_local_grad,
        triangle_2d_local_vjp
    );
    probe_xy!(
        loop_break_nested_reader,
        loop_break_nested_reader_grad,
        loop_break_nested_reader_vjp
    );
    probe_xy!(
        helper_on_data_array_in_loop,
        helper_on_data_array_in_loop_grad,
        helper_on_data_array_in_loop_vjp
    );
    // f32: the value must match exactly; the gradient is checked loosely by hand.
    let (x, y) = (0.7f32, 0.4f32);
    let (v, g) = f32_memory_grad(x, y);
    assert_eq!(v.to_bits(), f32_memory(x, y).to_bits());
    let h = 1e-3f64;
    let f = |x: f64, y: f64| f64::from(f32_memory(x as f32, y as f32));
    let dx = (f(0.7 + h, 0.4) - f(0.7 - h, 0.4)) / (2.0 * h);
    let dy = (f(0.7, 0.4 + h) - f(0.7, 0.4 - h)) / (2.0 * h);
    assert!(
        (f64::from(g.x) - dx).abs() < 1e-2 * dx.abs().max(1.0),
        "{} vs {dx}",
        g.x
    );
    assert!(
        (f64::from(g.y) - dy).abs() < 1e-2 * dy.abs().max(1.0),
        "{} vs {dy}",
        g.y
    );
}

/// Probes that currently give WRONG gradients.
mod regressions {
    use super::*;

    /// `.map(|t| ..)` capturing a local array written in place: the map's pullback reads
    /// the array when the reverse sweep runs (after the later write `c[0] = 5.0`), not the
    /// value it had at the `map`. Expected ∂/∂v_i = 2·v_i·2, got 2·v_i·5.
    #[differentiate]
    fn map_capture_rewritten(v: &DVector<f64>, y: f64) -> f64 {
        let mut c = [0.0; 2];
        c[0] = 2.0;
        let w = v.map(|t| t * t * c[0]);
        c[0] = 5.0;
        w.sum() + y * c[0]
    }

    #[differentiate]
    fn map_capture_rewritten_in_loop(v: &DVector<f64>, y: f64) -> f64 {
        let mut c = [0.0; 1];
        let mut s = 0.0;
        for k in 0..3 {
            c[0] = k as f64 + 1.0;
            let w = v.map(|t| (t * c[0]).sin());
            s += w.sum() * y;
        }
        s
    }

    #[test]
    fn map_captures_array_written_later() {
        for pt in POINTS {
            probe!(p => map_capture_rewritten, map_capture_rewritten_grad, map_capture_rewritten_vjp,
                [&DVector::from_column_slice(&p[..4]), p[4]], [v, y], pt);
        }
    }

    #[test]
    fn map_captures_array_rewritten_per_iteration() {
        for pt in POINTS {
            probe!(p => map_capture_rewritten_in_loop, map_capture_rewritten_in_loop_grad, map_capture_rewritten_in_loop_vjp,
                [&DVector::from_column_slice(&p[..4]), p[4]], [v, y], pt);
        }
    }

    /// A nalgebra vector written by index (`v[i] = ..`, which compiles like `[0.0; N]`) and
    /// then read whole by a rule whose pullback needs it (`norm_squared`, `dot`) before a
    /// later write: the pullback reads the vector as it is after the write. Expected
    /// ∂/∂xs0 = 2·xs0·y², got 2·(7y)·y.
    #[test]
    fn nalgebra_vector_read_whole_then_written() {
        probe_xy!(
            nv_norm_then_write,
            nv_norm_then_write_grad,
            nv_norm_then_write_vjp
        );
    }

    #[test]
    fn nalgebra_vector_dot_in_loop_then_written() {
        probe_xy!(
            nv_dot_in_loop_then_write,
            nv_dot_in_loop_then_write_grad,
            nv_dot_in_loop_then_write_vjp
        );
    }

    /// Minimal repro: a read of an array inside a loop, after the array's last *index* write,
    /// is treated as final and read again in the reverse sweep; `w.swap(0, 1)` later
    /// changes the array in place (not an index write), so the reverse sweep reads 3.0
    /// instead of 1.0. Expected d/dx = 2·x·1, got 2·x·3.
    #[differentiate]
    fn min_swap_after_final_read(x: f64) -> f64 {
        let mut w = [0.0; 2];
        w[0] = 1.0;
        w[1] = 3.0;
        let mut s = 0.0;
        for k in 0..1 {
            s += x * x * w[k];
        }
        w.swap(0, 1);
        s
    }

    #[test]
    fn swap_after_final_read_minimal() {
        probe!(p => min_swap_after_final_read, min_swap_after_final_read_grad, min_swap_after_final_read_vjp, [p[0]], [x], [0.7]);
    }

    /// The same with an index array (`a[perm[k]]`): the reverse sweep re-reads the
    /// permutation after `perm.swap(0, 3)` and sends the adjoint to the wrong element.
    #[test]
    fn permutation_swapped_after_read() {
        probe_xy!(
            perm_swapped_after_read,
            perm_swapped_after_read_grad,
            perm_swapped_after_read_vjp
        );
    }

    #[test]
    fn swapped_weights() {
        probe_xy!(
            weights_swapped_after_read,
            weights_swapped_after_read_grad,
            weights_swapped_after_read_vjp
        );
    }

    #[test]
    fn filled_weights() {
        probe_xy!(
            weights_filled_after_read,
            weights_filled_after_read_grad,
            weights_filled_after_read_vjp
        );
    }

    #[test]
    fn reversed_weights() {
        probe_xy!(
            weights_reversed_after_read,
            weights_reversed_after_read_grad,
            weights_reversed_after_read_vjp
        );
    }

    /// `w.truncate(1)` after a read that the reverse sweep repeats: the repeated read is
    /// out of bounds. Debug builds panic in the reverse sweep ("tapeless: index out of
    /// bounds", though the forward sweep ran fine); release builds read 0.0 and return a
    /// wrong gradient.
    #[differentiate]
    fn truncate_after_final_read(xs: &[f64], y: f64) -> f64 {
        let mut w = vec![0.0; 4];
        for i in 0..4 {
            w[i] = i as f64 + 0.5;
        }
        let mut s = 0.0;
        for k in 0..4 {
            s += xs[k] * xs[k] * w[k] * y;
        }
        w.truncate(1);
        s + w[0]
    }

    #[test]
    fn truncated_after_read() {
        probe_xy!(
            truncate_after_final_read,
            truncate_after_final_read_grad,
            truncate_after_final_read_vjp
        );
    }

    /// A store `a[perm[k]] = ..` whose index array is permuted in place afterwards: the
    /// reverse of the store re-reads the index and clears the wrong adjoint.
    #[differentiate]
    fn store_through_permuted_index(xs: &[f64], y: f64) -> f64 {
        let mut a = [0.0; 4];
        let mut perm = [0usize; 4];
        for i in 0..4 {
            perm[i] = (i + 1) % 4;
        }
        for k in 0..4 {
            a[perm[k]] = xs[k] * y * (k as f64 + 1.0);
        }
        perm.swap(0, 2);
        let mut s = 0.0;
        for i in 0..4 {
            s += a[i] * a[i] * (i as f64 + 1.0);
        }
        s
    }

    #[test]
    fn store_index_permuted_later() {
        probe_xy!(
            store_through_permuted_index,
            store_through_permuted_index_grad,
            store_through_permuted_index_vjp
        );
    }
}

/// A loop that reads an array in a nested loop and also changes it with a method reads the
/// array itself, not a copy (this did not compile when the copy was taken).
#[differentiate]
fn swapped_in_loop(xs: &[f64], y: f64) -> f64 {
    let mut w = [0.0; 3];
    w[0] = 1.0;
    w[1] = 2.0;
    w[2] = 3.0;
    let mut s = 0.0;
    for _ in 0..3 {
        for j in 0..3 {
            s += xs[j] * w[j] * y;
        }
        w.swap(0, 2);
    }
    s
}

#[test]
fn method_on_an_array_read_in_nested_loops() {
    let xs = [0.3, -0.5, 0.9];
    let y = 1.7;
    let (value, grad) = swapped_in_loop_grad(&xs, y);
    assert_eq!(value, swapped_in_loop(&xs, y));
    // The weights seen by xs over the three passes: (1,2,3), (3,2,1), (1,2,3).
    let w_sum = [5.0, 6.0, 7.0];
    for j in 0..3 {
        assert!((grad.xs[j] - w_sum[j] * y).abs() < 1e-12, "{:?}", grad.xs);
    }
    let dy: f64 = xs.iter().zip(w_sum).map(|(x, w)| x * w).sum();
    assert!((grad.y - dy).abs() < 1e-12);
}
