//! A hand-written gradient of ADBench's GMM objective (`benches/data/adbench/FORMATS.md`
//! §1.3), the reference `#[differentiate]` is measured against in `benches/gmm.rs` and
//! checked against in `tests/adbench_gmm.rs`. It follows ADBench's manual C++ gradient:
//! one pass over the points, each computing the per-component terms forward and then their
//! adjoints, with every buffer allocated once per call and reused for every point.
//!
//! The adjoint, with z = x_i − μ_c, y = Q_c z, β_c = α_c + Σ_j q_cj − ½‖y‖² and
//! w_c = exp(β_c − LSE(β)) (the softmax weight of component c at point i):
//!
//! - ∂/∂α_c: Σ_i w_c − n·softmax(α)_c;
//! - ∂/∂μ_c: Σ_i w_c Q_cᵀ y (since ∂β/∂z = −Qᵀy and ∂z/∂μ = −1);
//! - ∂/∂q_cj: Σ_i w_c (1 − y_j e^{q_cj} z_j) + γ² e^{2 q_cj} − m;
//! - ∂/∂L_c[r][s] (r > s): −Σ_i w_c y_r z_s + γ² L_c[r][s].

// Each crate that includes this file uses a different part of it.
#![allow(dead_code, clippy::too_many_arguments)]

use super::gmm_objective::{wishart_constant, ADBENCH_PI};

/// The gradient of the GMM objective, laid out like the parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct GmmHandGrad {
    /// ∂F/∂α, K values.
    pub alphas: Vec<f64>,
    /// ∂F/∂μ, K·d values.
    pub means: Vec<f64>,
    /// ∂F/∂icf, K·d(d+1)/2 values.
    pub icf: Vec<f64>,
}

/// The GMM objective and its gradient with respect to `alphas`, `means` and `icf`.
pub fn gmm_objective_hand(
    alphas: &[f64],
    means: &[f64],
    icf: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    n: usize,
    wishart_gamma: f64,
    wishart_m: usize,
) -> (f64, GmmHandGrad) {
    let t = d * (d + 1) / 2;
    assert_eq!(alphas.len(), k);
    assert_eq!(means.len(), k * d);
    assert_eq!(icf.len(), k * t);
    assert_eq!(x.len(), n * d);

    let mut d_alphas = vec![0.0; k];
    let mut d_means = vec![0.0; k * d];
    let mut d_icf = vec![0.0; k * t];

    // Per component: the diagonal of Q_c (exp'd) and Σ_j q_cj.
    let mut diagonals = vec![0.0; k * d];
    let mut sum_qs = vec![0.0; k];
    for ((q, diagonal), sum_q) in icf
        .chunks_exact(t)
        .zip(diagonals.chunks_exact_mut(d))
        .zip(&mut sum_qs)
    {
        for (e, &q) in diagonal.iter_mut().zip(&q[..d]) {
            *e = q.exp();
        }
        *sum_q = q[..d].iter().sum();
    }

    // Per point, per component: z = x_i − μ_c, y = Q_c z (then w_c y), β_c.
    let mut zs = vec![0.0; k * d];
    let mut ys = vec![0.0; k * d];
    let mut betas = vec![0.0; k];
    let mut slse = 0.0;
    for xi in x.chunks_exact(d) {
        // Forward: β_c for every component, keeping z and y for the reverse.
        for c in 0..k {
            let z = &mut zs[c * d..(c + 1) * d];
            let y = &mut ys[c * d..(c + 1) * d];
            let mu = &means[c * d..(c + 1) * d];
            let diagonal = &diagonals[c * d..(c + 1) * d];
            for (((zj, yj), (&xj, &mj)), &e) in z
                .iter_mut()
                .zip(y.iter_mut())
                .zip(xi.iter().zip(mu))
                .zip(diagonal)
            {
                *zj = xj - mj;
                *yj = e * *zj;
            }
            // The strictly lower triangle, column by column: y[s+1..] += L[s+1.., s] z_s.
            let mut lower = &icf[c * t + d..(c + 1) * t];
            for s in 0..d {
                let (column, rest) = lower.split_at(d - 1 - s);
                let zs = z[s];
                for (yr, &l) in y[s + 1..].iter_mut().zip(column) {
                    *yr += l * zs;
                }
                lower = rest;
            }
            let sqnorm: f64 = y.iter().map(|v| v * v).sum();
            betas[c] = alphas[c] + sum_qs[c] - 0.5 * sqnorm;
        }
        let lse = log_sum_exp(&betas);
        slse += lse;

        // Reverse: the adjoint of LSE_c(β_c) is w_c; that of β_c with respect to y is −w_c y.
        for c in 0..k {
            let w = (betas[c] - lse).exp();
            d_alphas[c] += w;
            let z = &zs[c * d..(c + 1) * d];
            let wy = &mut ys[c * d..(c + 1) * d];
            for v in wy.iter_mut() {
                *v *= w;
            }
            let diagonal = &diagonals[c * d..(c + 1) * d];
            let d_mu = &mut d_means[c * d..(c + 1) * d];
            let (d_q, d_lower_all) = d_icf[c * t..(c + 1) * t].split_at_mut(d);
            let mut lower = &icf[c * t + d..(c + 1) * t];
            let mut d_lower = d_lower_all;
            for s in 0..d {
                // Column s of Q_c: (Qᵀ w y)_s = e^{q_s} w y_s + Σ_{r>s} L[r][s] w y_r.
                let (column, rest) = lower.split_at(d - 1 - s);
                let (d_column, d_rest) = d_lower.split_at_mut(d - 1 - s);
                let zs = z[s];
                let mut qt_wy = diagonal[s] * wy[s];
                for ((&l, d_l), &wyr) in column.iter().zip(d_column.iter_mut()).zip(&wy[s + 1..]) {
                    qt_wy += l * wyr;
                    *d_l -= wyr * zs;
                }
                d_mu[s] += qt_wy;
                d_q[s] += w - wy[s] * diagonal[s] * zs;
                lower = rest;
                d_lower = d_rest;
            }
        }
    }

    // −n·LSE(α).
    let lse_alphas = log_sum_exp(alphas);
    for (g, &a) in d_alphas.iter_mut().zip(alphas) {
        *g -= n as f64 * (a - lse_alphas).exp();
    }

    // The prior: ½γ²‖Q_c‖_F² − m Σ_j q_cj per component, minus K·C.
    let gamma2 = wishart_gamma * wishart_gamma;
    let m = wishart_m as f64;
    let mut frobenius = 0.0;
    let mut sum_q = 0.0;
    for ((q, d_q), diagonal) in icf
        .chunks_exact(t)
        .zip(d_icf.chunks_exact_mut(t))
        .zip(diagonals.chunks_exact(d))
    {
        for j in 0..d {
            let e2 = diagonal[j] * diagonal[j];
            frobenius += e2;
            sum_q += q[j];
            d_q[j] += gamma2 * e2 - m;
        }
        for (&l, d_l) in q[d..].iter().zip(&mut d_q[d..]) {
            frobenius += l * l;
            *d_l += gamma2 * l;
        }
    }
    let prior = 0.5 * gamma2 * frobenius
        - m * sum_q
        - k as f64 * wishart_constant(d, wishart_gamma, wishart_m);
    let constant = -((n * d) as f64) * 0.5 * (2.0 * ADBENCH_PI).ln();
    let value = constant + slse - n as f64 * lse_alphas + prior;
    (
        value,
        GmmHandGrad {
            alphas: d_alphas,
            means: d_means,
            icf: d_icf,
        },
    )
}

/// max(v) + ln Σ_j exp(v_j − max(v)).
fn log_sum_exp(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    max + v.iter().map(|&e| (e - max).exp()).sum::<f64>().ln()
}
