//! A hand-written Jacobian of the ADBench bundle adjustment residuals (FORMATS.md §2.2), the
//! limit the generated one is measured against: both rows of an observation from one
//! forward pass, with the rotation's derivative in closed form. Shared by
//! `tests/adbench_ba.rs` and `benches/ba.rs` through `#[path]` (next to `adbench_ba.rs`).
//!
//! Derivation. With Xo = X − C, θ = |r|, v = r/θ, c = cos θ, s = sin θ:
//!
//! - Rodrigues: Xc = c Xo + s (v × Xo) + (1 − c)(v·Xo) v = R Xo, so ∂Xc/∂Xo = R, and for a
//!   row vector g, g R = c g + s (g × v) + (1 − c)(g·v) v (using gᵀ[v]ₓ = (g × v)ᵀ).
//! - ∂θ/∂r = v and ∂v/∂r = (I − v vᵀ)/θ, so
//!   dXc = (−s Xo + c (v × Xo) + s (v·Xo) v) dθ + s (dv × Xo) + (1 − c)((dv·Xo) v + (v·Xo) dv),
//!   and g ∂Xc/∂r = (g·a) v + (b − (v·b) v)/θ with a = −s Xo + c (v × Xo) + s (v·Xo) v and
//!   b = −s (g × Xo) + (1 − c)((g·v) Xo + (v·Xo) g).
//! - θ = 0 exactly: Xc = Xo + r × Xo, g ∂Xc/∂Xo = g + g × r, g ∂Xc/∂r = Xo × g.
//! - Projection p = (Xc₀/Xc₂, Xc₁/Xc₂): ∂p_j/∂Xc = (δ_j0, δ_j1, −p_j)/Xc₂.
//! - Distortion d = L p, L = 1 + k1 ρ + k2 ρ², ρ = |p|²: ∂d_k/∂p_j = L δ_kj + 2 L′ p_k p_j with
//!   L′ = k1 + 2 k2 ρ; ∂d_k/∂k1 = p_k ρ, ∂d_k/∂k2 = p_k ρ².
//! - err_k = w (f d_k + u_k − feat_k): ∂/∂f = w d_k, ∂/∂u_k = w, ∂/∂w = f d_k + u_k − feat_k.
//!
//! So row k's gradient with respect to Xc is g_k = (A_k0, A_k1, −A_k0 p₀ − A_k1 p₁) with
//! A_kj = w f (L δ_kj + 2 L′ p_k p_j)/Xc₂; the point columns are g_k R, the centre columns
//! their negation, the rotation columns g_k ∂Xc/∂r.

use crate::adbench_ba::{BaInput, SparseJacobian, CAM_PARAMS, REPROJ_ROW_NNZ};

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// The residuals of one observation and its two Jacobian rows (camera 11, point 3,
/// weight 1), hand-derived.
#[inline]
pub fn reproj_block(
    cam: &[f64; CAM_PARAMS],
    x: &[f64; 3],
    w: f64,
    feat: &[f64; 2],
) -> ([f64; 2], [[f64; REPROJ_ROW_NNZ]; 2]) {
    let r = [cam[0], cam[1], cam[2]];
    let xo = [x[0] - cam[3], x[1] - cam[4], x[2] - cam[5]];
    let (f, k1, k2) = (cam[6], cam[9], cam[10]);

    // Forward: the same operations as `reproj_err`, kept for the reverse.
    let sqtheta = dot(r, r);
    let rotation = if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let (s, c) = theta.sin_cos();
        let inv = 1.0 / theta;
        let v = [r[0] * inv, r[1] * inv, r[2] * inv];
        let vxo = dot(v, xo);
        let v_cross_xo = cross(v, xo);
        let tmp = vxo * (1.0 - c);
        let xc: [f64; 3] = std::array::from_fn(|i| xo[i] * c + v_cross_xo[i] * s + v[i] * tmp);
        Some((inv, c, s, v, vxo, v_cross_xo, xc))
    } else {
        None
    };
    let xc = match rotation {
        Some((.., xc)) => xc,
        None => {
            let r_cross_xo = cross(r, xo);
            [
                xo[0] + r_cross_xo[0],
                xo[1] + r_cross_xo[1],
                xo[2] + r_cross_xo[2],
            ]
        }
    };
    let inv_z = 1.0 / xc[2];
    let p = [xc[0] / xc[2], xc[1] / xc[2]];
    let rho = p[0] * p[0] + p[1] * p[1];
    let l = 1.0 + k1 * rho + k2 * rho * rho;
    let d = [p[0] * l, p[1] * l];
    let proj = [d[0] * f + cam[7], d[1] * f + cam[8]];
    let err = [w * (proj[0] - feat[0]), w * (proj[1] - feat[1])];

    // Reverse, one row per output.
    let l_prime = k1 + 2.0 * k2 * rho;
    let wf = w * f;
    let mut rows = [[0.0; REPROJ_ROW_NNZ]; 2];
    for (k, row) in rows.iter_mut().enumerate() {
        // ∂err_k/∂p_j, then ∂err_k/∂Xc.
        let a0 = wf * (if k == 0 { l } else { 0.0 } + 2.0 * l_prime * p[k] * p[0]);
        let a1 = wf * (if k == 1 { l } else { 0.0 } + 2.0 * l_prime * p[k] * p[1]);
        let g = [a0 * inv_z, a1 * inv_z, -(a0 * p[0] + a1 * p[1]) * inv_z];
        let (d_r, d_xo) = match rotation {
            Some((inv, c, s, v, vxo, v_cross_xo, _)) => {
                let gv = dot(g, v);
                let g_cross_v = cross(g, v);
                let d_xo: [f64; 3] =
                    std::array::from_fn(|i| c * g[i] + s * g_cross_v[i] + (1.0 - c) * gv * v[i]);
                let g_cross_xo = cross(g, xo);
                let ga: f64 = (0..3)
                    .map(|i| g[i] * (-s * xo[i] + c * v_cross_xo[i] + s * vxo * v[i]))
                    .sum();
                let b: [f64; 3] = std::array::from_fn(|i| {
                    -s * g_cross_xo[i] + (1.0 - c) * (gv * xo[i] + vxo * g[i])
                });
                let vb = dot(v, b);
                let d_r: [f64; 3] = std::array::from_fn(|i| ga * v[i] + (b[i] - vb * v[i]) * inv);
                (d_r, d_xo)
            }
            None => {
                let g_cross_r = cross(g, r);
                let d_xo = [
                    g[0] + g_cross_r[0],
                    g[1] + g_cross_r[1],
                    g[2] + g_cross_r[2],
                ];
                (cross(xo, g), d_xo)
            }
        };
        row[0..3].copy_from_slice(&d_r);
        row[3..6].copy_from_slice(&[-d_xo[0], -d_xo[1], -d_xo[2]]);
        row[6] = w * d[k];
        row[7] = if k == 0 { w } else { 0.0 };
        row[8] = if k == 1 { w } else { 0.0 };
        row[9] = wf * p[k] * rho;
        row[10] = wf * p[k] * rho * rho;
        row[11..14].copy_from_slice(&d_xo);
        row[14] = proj[k] - feat[k];
    }
    (err, rows)
}

/// Fills `jacobian` (ADBench's layout, FORMATS.md §2.3) and `err` (the residuals) by hand.
pub fn jacobian_hand(input: &BaInput, jacobian: &mut SparseJacobian, err: &mut Vec<f64>) {
    jacobian.clear();
    err.clear();
    err.resize(3 * input.p, 0.0);
    let (reproj, weight) = err.split_at_mut(2 * input.p);
    for (i, (&[cam, pt], e)) in input.obs.iter().zip(reproj.chunks_exact_mut(2)).enumerate() {
        let (value, block) =
            reproj_block(&input.cams[cam], &input.x[pt], input.w[i], &input.feats[i]);
        e.copy_from_slice(&value);
        jacobian.insert_reproj_err_block(i, cam, pt, &block);
    }
    for (i, (&w, e)) in input.w.iter().zip(weight).enumerate() {
        *e = 1.0 - w * w;
        jacobian.insert_w_err_block(i, -2.0 * w);
    }
}
