//! GradBench's `gmm` (ADBench's Gaussian mixture, corrected by GradBench; reference
//! `cpp/gradbench/evals/gmm.hpp`): the log posterior of n points under k Gaussians with
//! weights softmax(alpha), means mu and precisions QᵀQ, Q lower triangular with diagonal
//! exp(q) and strictly lower part l (column by column), plus a Wishart prior on the
//! precisions. `jacobian` is its gradient with respect to alpha, mu, q and l.

// Index loops, as the specification writes its sums.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]

use std::f64::consts::PI;

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, integer, matrix, number, numbers, rows, unknown, Runs};

/// ln Γ(h/2) for an integer h ≥ 1, exactly: Γ(m) = (m−1)!, Γ(m + ½) = √π·½·3/2⋯(m − ½).
fn ln_gamma_half(h: usize) -> f64 {
    if h.is_multiple_of(2) {
        (1..h / 2).map(|i| (i as f64).ln()).sum()
    } else {
        0.5 * PI.ln() + (0..h / 2).map(|i| (i as f64 + 0.5).ln()).sum::<f64>()
    }
}

/// The Wishart prior's constant C = n_w·d·(ln γ − ½ ln 2) − ln Γ_d(n_w/2), n_w = d + m + 1,
/// with ln Γ_d(a) = ¼ d(d−1) ln π + Σ_{j=1..d} ln Γ(a + ½(1 − j)).
fn wishart_constant(d: usize, gamma: f64, m: usize) -> f64 {
    let n_w = d + m + 1;
    let ln_gamma_d = 0.25 * (d * (d - 1)) as f64 * PI.ln()
        + (1..=d).map(|j| ln_gamma_half(n_w + 1 - j)).sum::<f64>();
    (n_w * d) as f64 * (gamma.ln() - 0.5 * 2f64.ln()) - ln_gamma_d
}

/// The objective. `mu`, `q` are k×d and `l` is k×d(d−1)/2, row-major; `x` is n×d.
///
/// ‖Q_c (x_i − μ_c)‖² is summed row by row, y_r = e^{q_r}(x_r − μ_r) + Σ_{s<r} L[r][s](x_s − μ_s),
/// without per-point arrays: the reverse sweep then keeps one value per row instead of every
/// read of arrays overwritten at each point (see the README's GMM benchmark).
#[differentiate(wrt(alpha, mu, q, l))]
pub fn objective(
    alpha: &[f64],
    mu: &[f64],
    q: &[f64],
    l: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    n: usize,
    gamma: f64,
    m: usize,
) -> f64 {
    let l_sz = d * (d - 1) / 2;

    // The diagonals exp(q) of the Q_c, and Σ_j q_cj: the log-determinant of each Q_c.
    let mut qdiags = vec![0.0; k * d];
    for i in 0..k * d {
        qdiags[i] = q[i].exp();
    }
    let mut sum_qs = vec![0.0; k];
    for c in 0..k {
        for j in 0..d {
            sum_qs[c] += q[c * d + j];
        }
    }

    // Σ_i logsumexp_c(alpha_c + Σ_j q_cj − ½ ‖Q_c (x_i − mu_c)‖²).
    let mut main_term = vec![0.0; k];
    let mut slse = 0.0;
    for i in 0..n {
        for c in 0..k {
            let mut sqnorm = 0.0;
            for row in 0..d {
                let mut y = qdiags[c * d + row] * (x[i * d + row] - mu[c * d + row]);
                for col in 0..row {
                    // L[row][col], stored column by column.
                    let li = c * l_sz + col * (2 * d - col - 1) / 2 + (row - col - 1);
                    y += l[li] * (x[i * d + col] - mu[c * d + col]);
                }
                sqnorm += y * y;
            }
            main_term[c] = alpha[c] + sum_qs[c] - 0.5 * sqnorm;
        }
        let mut mx = main_term[0];
        for c in 1..k {
            mx = mx.max(main_term[c]);
        }
        let mut semx = 0.0;
        for c in 0..k {
            semx += (main_term[c] - mx).exp();
        }
        slse += semx.ln() + mx;
    }

    // logsumexp(alpha).
    let mut max_alpha = alpha[0];
    for c in 1..k {
        max_alpha = max_alpha.max(alpha[c]);
    }
    let mut sum_exp_alpha = 0.0;
    for c in 0..k {
        sum_exp_alpha += (alpha[c] - max_alpha).exp();
    }
    let lse_alpha = sum_exp_alpha.ln() + max_alpha;

    // The Wishart prior: −Σ_c (½ γ² ‖Q_c‖_F² − m Σ_j q_cj) + k·C.
    let mut out = 0.0;
    for c in 0..k {
        let mut frobenius = 0.0;
        for j in 0..d {
            frobenius += qdiags[c * d + j] * qdiags[c * d + j];
        }
        for j in 0..l_sz {
            frobenius += l[c * l_sz + j] * l[c * l_sz + j];
        }
        out += 0.5 * gamma * gamma * frobenius - m as f64 * sum_qs[c];
    }
    let prior = -out + k as f64 * wishart_constant(d, gamma, m);

    let constant = -((n * d) as f64) * 0.5 * (2.0 * PI).ln();
    constant + slse - n as f64 * lse_alpha + prior
}

struct Input {
    d: usize,
    k: usize,
    n: usize,
    gamma: f64,
    m: usize,
    alpha: Vec<f64>,
    mu: Vec<f64>,
    q: Vec<f64>,
    l: Vec<f64>,
    x: Vec<f64>,
}

fn parse(input: &Value) -> Result<Input, String> {
    let d = integer(field(input, "d")?)?;
    let k = integer(field(input, "k")?)?;
    let n = integer(field(input, "n")?)?;
    let shaped = |name: &str, count: usize, width: usize| -> Result<Vec<f64>, String> {
        let (flat, r, w) = matrix(field(input, name)?)?;
        if r != count || (r > 0 && w != width) {
            return Err(format!("`{name}` is {r}×{w}, expected {count}×{width}"));
        }
        Ok(flat)
    };
    let alpha = numbers(field(input, "alpha")?)?;
    if d == 0 || k == 0 || alpha.len() != k {
        return Err("gmm needs d ≥ 1, k ≥ 1 and k weights".into());
    }
    Ok(Input {
        d,
        k,
        n,
        gamma: number(field(input, "gamma")?)?,
        m: integer(field(input, "m")?)?,
        alpha,
        mu: shaped("mu", k, d)?,
        q: shaped("q", k, d)?,
        l: shaped("l", k, d * (d - 1) / 2)?,
        x: shaped("x", n, d)?,
    })
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let p = parse(input)?;
    let args = (&p.alpha, &p.mu, &p.q, &p.l, &p.x);
    match function {
        "objective" => Ok(json!(runs.time(|| {
            let (alpha, mu, q, l, x) = args;
            objective(alpha, mu, q, l, x, p.d, p.k, p.n, p.gamma, p.m)
        }))),
        "jacobian" => {
            let g = runs.time(|| {
                let (alpha, mu, q, l, x) = args;
                objective_grad(alpha, mu, q, l, x, p.d, p.k, p.n, p.gamma, p.m).1
            });
            let l_sz = p.d * (p.d - 1) / 2;
            Ok(json!({
                "alpha": g.alpha,
                "mu": rows(&g.mu, p.k, p.d),
                "q": rows(&g.q, p.k, p.d),
                "l": rows(&g.l, p.k, l_sz),
            }))
        }
        _ => Err(unknown("gmm", function)),
    }
}
