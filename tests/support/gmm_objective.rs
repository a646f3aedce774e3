//! ADBench's Gaussian-mixture objective (`benches/data/adbench/FORMATS.md` §1.3), written
//! once as ordinary Rust over slices and differentiated by `#[differentiate]` with respect
//! to the mixture weights, the means and the inverse-covariance factors. Shared by
//! `tests/adbench_gmm.rs` and `benches/gmm.rs` through `#[path = ...] mod gmm_objective;`.

// Each crate that includes this file uses a different part of it; the objective is written
// with index loops, the way its formula is stated.
#![allow(dead_code, clippy::needless_range_loop, clippy::too_many_arguments)]

use nalgebra::{DMatrix, DVector, RowDVector};
use tapeless::differentiate;

/// ADBench's value of π (`PI` in its C++ sources): 12 digits, not full precision. It enters
/// the objective's constant terms, so golden values depend on it.
#[allow(clippy::approx_constant)]
pub const ADBENCH_PI: f64 = 3.14159265359;

/// ln Γ(h/2) for an integer h ≥ 1, exactly as a sum of logarithms:
/// Γ(m) = (m−1)! and Γ(m + ½) = √π · ½ · 3/2 ⋯ (m − ½).
pub fn ln_gamma_half(h: usize) -> f64 {
    assert!(h >= 1, "ln Γ(h/2) needs h ≥ 1");
    if h.is_multiple_of(2) {
        (1..h / 2).map(|i| (i as f64).ln()).sum()
    } else {
        let root_pi = 0.5 * std::f64::consts::PI.ln();
        root_pi + (0..h / 2).map(|i| (i as f64 + 0.5).ln()).sum::<f64>()
    }
}

/// The constant C of the Wishart prior's normaliser (FORMATS.md §1.3):
/// C = n_w·d·(ln γ − ½ ln 2) − ln Γ_d(n_w/2) with n_w = d + m + 1, and the log
/// multivariate gamma ln Γ_d(a) = ¼ d(d−1) ln π̃ + Σ_{j=1..d} ln Γ(a + ½(1 − j)).
pub fn wishart_constant(d: usize, wishart_gamma: f64, wishart_m: usize) -> f64 {
    let n_w = d + wishart_m + 1;
    // a + ½(1 − j) = (n_w + 1 − j)/2.
    let ln_gamma_d = 0.25 * (d * (d - 1)) as f64 * ADBENCH_PI.ln()
        + (1..=d).map(|j| ln_gamma_half(n_w + 1 - j)).sum::<f64>();
    (n_w * d) as f64 * (wishart_gamma.ln() - 0.5 * 2.0_f64.ln()) - ln_gamma_d
}

/// The GMM objective of ADBench: the log-likelihood of the `n` points `x` (d each) under a
/// mixture of `k` Gaussians, minus `n` times the normaliser of the weights, plus the
/// Wishart prior term, exactly as FORMATS.md §1.3 defines F (signs included).
///
/// Component c has weight logit `alphas[c]`, mean `means[c*d..]` and inverse-covariance
/// factor Q_c, stored in `icf[c*t..(c+1)*t]` (t = d(d+1)/2): the logs of its diagonal,
/// then its strictly lower triangle column by column.
#[differentiate(wrt(alphas, means, icf))]
pub fn gmm_objective(
    alphas: &[f64],
    means: &[f64],
    icf: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    n: usize,
    wishart_gamma: f64,
    wishart_m: usize,
) -> f64 {
    let t = d * (d + 1) / 2;

    // Σ_j q_cj: the log-determinant of each Q_c.
    let mut sum_qs = vec![0.0; k];
    for c in 0..k {
        for j in 0..d {
            sum_qs[c] += icf[c * t + j];
        }
    }

    // Σ_i LSE_c(alpha_c + Σ_j q_cj − ½ ‖Q_c (x_i − mu_c)‖²).
    let mut xcentered = vec![0.0; d];
    let mut qxcentered = vec![0.0; d];
    let mut main_term = vec![0.0; k];
    let mut slse = 0.0;
    for i in 0..n {
        for c in 0..k {
            for j in 0..d {
                xcentered[j] = x[i * d + j] - means[c * d + j];
            }
            // Q_c · xcentered: the exp'd diagonal, then the lower triangle column by column.
            for j in 0..d {
                qxcentered[j] = icf[c * t + j].exp() * xcentered[j];
            }
            let mut l = c * t + d;
            for col in 0..d {
                for row in col + 1..d {
                    qxcentered[row] += icf[l] * xcentered[col];
                    l += 1;
                }
            }
            let mut sqnorm = 0.0;
            for j in 0..d {
                sqnorm += qxcentered[j] * qxcentered[j];
            }
            main_term[c] = alphas[c] + sum_qs[c] - 0.5 * sqnorm;
        }
        // Log-sum-exp over the components, with the maximum subtracted.
        let mut max = main_term[0];
        for c in 1..k {
            max = max.max(main_term[c]);
        }
        let mut sum_exp = 0.0;
        for c in 0..k {
            sum_exp += (main_term[c] - max).exp();
        }
        slse += max + sum_exp.ln();
    }

    // LSE(alphas), the normaliser of the mixture weights.
    let mut max_alpha = alphas[0];
    for c in 1..k {
        max_alpha = max_alpha.max(alphas[c]);
    }
    let mut sum_exp_alpha = 0.0;
    for c in 0..k {
        sum_exp_alpha += (alphas[c] - max_alpha).exp();
    }
    let lse_alphas = max_alpha + sum_exp_alpha.ln();

    // The Wishart prior: ½ γ² ‖Q_c‖_F² − m Σ_j q_cj for each component, minus K·C.
    let mut frobenius = 0.0;
    let mut sum_q = 0.0;
    for c in 0..k {
        for j in 0..d {
            let diagonal = icf[c * t + j].exp();
            frobenius += diagonal * diagonal;
            sum_q += icf[c * t + j];
        }
        for l in c * t + d..(c + 1) * t {
            frobenius += icf[l] * icf[l];
        }
    }
    let prior = 0.5 * wishart_gamma * wishart_gamma * frobenius
        - wishart_m as f64 * sum_q
        - k as f64 * wishart_constant(d, wishart_gamma, wishart_m);

    let constant = -((n * d) as f64) * 0.5 * (2.0 * ADBENCH_PI).ln();
    constant + slse - n as f64 * lse_alphas + prior
}

/// The same objective with the quadratic form written row by row, without local arrays
/// in the point loop: y_r = e^{q_r} (x_r − μ_r) + Σ_{s<r} L[r][s] (x_s − μ_s), and
/// ‖Q(x − μ)‖² = Σ_r y_r². It recomputes x − μ for every entry of L and reads L across its
/// columns (strided), so its primal is slower than [`gmm_objective`]'s; but `#[differentiate]`
/// saves one value per row (y_r) instead of one per read of `xcentered` and `qxcentered`
/// (about d(d+1) + 3d values per point and component). `benches/gmm.rs` measures both.
#[differentiate(wrt(alphas, means, icf))]
pub fn gmm_objective_by_rows(
    alphas: &[f64],
    means: &[f64],
    icf: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    n: usize,
    wishart_gamma: f64,
    wishart_m: usize,
) -> f64 {
    let t = d * (d + 1) / 2;

    let mut sum_qs = vec![0.0; k];
    for c in 0..k {
        for j in 0..d {
            sum_qs[c] += icf[c * t + j];
        }
    }

    let mut main_term = vec![0.0; k];
    let mut slse = 0.0;
    for i in 0..n {
        for c in 0..k {
            let mut sqnorm = 0.0;
            for row in 0..d {
                let mut y = icf[c * t + row].exp() * (x[i * d + row] - means[c * d + row]);
                for col in 0..row {
                    // L[row][col], stored column by column after the d diagonal entries.
                    let l = c * t + d + col * (2 * d - col - 1) / 2 + (row - col - 1);
                    y += icf[l] * (x[i * d + col] - means[c * d + col]);
                }
                sqnorm += y * y;
            }
            main_term[c] = alphas[c] + sum_qs[c] - 0.5 * sqnorm;
        }
        let mut max = main_term[0];
        for c in 1..k {
            max = max.max(main_term[c]);
        }
        let mut sum_exp = 0.0;
        for c in 0..k {
            sum_exp += (main_term[c] - max).exp();
        }
        slse += max + sum_exp.ln();
    }

    let mut max_alpha = alphas[0];
    for c in 1..k {
        max_alpha = max_alpha.max(alphas[c]);
    }
    let mut sum_exp_alpha = 0.0;
    for c in 0..k {
        sum_exp_alpha += (alphas[c] - max_alpha).exp();
    }
    let lse_alphas = max_alpha + sum_exp_alpha.ln();

    let mut frobenius = 0.0;
    let mut sum_q = 0.0;
    for c in 0..k {
        for j in 0..d {
            let diagonal = icf[c * t + j].exp();
            frobenius += diagonal * diagonal;
            sum_q += icf[c * t + j];
        }
        for l in c * t + d..(c + 1) * t {
            frobenius += icf[l] * icf[l];
        }
    }
    let prior = 0.5 * wishart_gamma * wishart_gamma * frobenius
        - wishart_m as f64 * sum_q
        - k as f64 * wishart_constant(d, wishart_gamma, wishart_m);

    let constant = -((n * d) as f64) * 0.5 * (2.0 * ADBENCH_PI).ln();
    constant + slse - n as f64 * lse_alphas + prior
}

/// The same objective written as JAX and PyTorch write it, with nalgebra matrix operations
/// batched over the points: `x` is the d × n matrix of the points (one per column), `means`
/// the d × K matrix of the means, `icf` the t × K matrix of the inverse-covariance factors
/// (column c is component c's, in [`gmm_objective`]'s order), so that the flat vectors of
/// an ADBench file are these matrices' column-major storage. Per component, Q_c is built
/// from its column of `icf`, Q_c (X − μ_c 1ᵀ) is one matrix product, the squared column
/// norms are 1ᵀ ((Q_c X̃) ∘ (Q_c X̃)), and they fill row c of the K × n matrix of the
/// main terms, whose columns' log-sum-exps are summed.
#[differentiate(wrt(alphas, means, icf))]
pub fn gmm_objective_batched(
    alphas: &DVector<f64>,
    means: &DMatrix<f64>,
    icf: &DMatrix<f64>,
    x: &DMatrix<f64>,
    wishart_gamma: f64,
    wishart_m: usize,
) -> f64 {
    let d = x.nrows();
    let n = x.ncols();
    let k = alphas.len();
    let t = d * (d + 1) / 2;
    let ones_n = RowDVector::from_element(n, 1.0);
    let ones_d = RowDVector::from_element(d, 1.0);

    let mut main_term = DMatrix::zeros(k, n);
    for c in 0..k {
        // Q_c: the exp'd diagonal, then the lower triangle column by column.
        let mut q = DMatrix::zeros(d, d);
        let mut sum_q = 0.0;
        for j in 0..d {
            q[(j, j)] = icf[(j, c)].exp();
            sum_q += icf[(j, c)];
        }
        let mut l = d;
        for col in 0..d {
            for row in col + 1..d {
                q[(row, col)] = icf[(l, c)];
                l += 1;
            }
        }
        let qx = &q * (x - means.column(c) * &ones_n);
        let sqnorm = &ones_d * qx.component_mul(&qx);
        for i in 0..n {
            main_term[(c, i)] = alphas[c] + sum_q - 0.5 * sqnorm[i];
        }
    }
    // Log-sum-exp over the components, per point. Not `nn::log_sum_exp(&main_term.column(i))`:
    // `column(i)` of a matrix variable is lowered to a copy of the whole matrix, and its
    // adjoint to a K × n matrix of zeros added into `main_term`'s, per point (K·n² work).
    let mut slse = 0.0;
    for i in 0..n {
        let mut max = main_term[(0, i)];
        for c in 1..k {
            max = max.max(main_term[(c, i)]);
        }
        let mut sum_exp = 0.0;
        for c in 0..k {
            sum_exp += (main_term[(c, i)] - max).exp();
        }
        slse += max + sum_exp.ln();
    }
    let lse_alphas = tapeless::nn::log_sum_exp(alphas);

    let mut frobenius = 0.0;
    let mut sum_q = 0.0;
    for c in 0..k {
        for j in 0..d {
            let diagonal = icf[(j, c)].exp();
            frobenius += diagonal * diagonal;
            sum_q += icf[(j, c)];
        }
        for l in d..t {
            frobenius += icf[(l, c)] * icf[(l, c)];
        }
    }
    let prior = 0.5 * wishart_gamma * wishart_gamma * frobenius
        - wishart_m as f64 * sum_q
        - k as f64 * wishart_constant(d, wishart_gamma, wishart_m);

    let constant = -((n * d) as f64) * 0.5 * (2.0 * ADBENCH_PI).ln();
    constant + slse - n as f64 * lse_alphas + prior
}

/// The matrices of [`gmm_objective_batched`] from an ADBench problem's flat vectors (their
/// column-major storage): `(alphas, means, icf, x)`.
pub fn batched_inputs(
    alphas: &[f64],
    means: &[f64],
    icf: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    n: usize,
) -> (DVector<f64>, DMatrix<f64>, DMatrix<f64>, DMatrix<f64>) {
    let t = d * (d + 1) / 2;
    (
        DVector::from_column_slice(alphas),
        DMatrix::from_column_slice(d, k, means),
        DMatrix::from_column_slice(t, k, icf),
        DMatrix::from_column_slice(d, n, x),
    )
}
