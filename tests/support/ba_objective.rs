//! The ADBench bundle adjustment objective (`benches/data/adbench/FORMATS.md` §2.2), written
//! once as ordinary Rust under `#[differentiate]`, and the sparse Jacobian of §2.3 built from
//! the generated vector-Jacobian products. Shared by `tests/adbench_ba.rs` and
//! `benches/ba.rs` through `#[path]` (next to `adbench_ba.rs`, which it uses as
//! `crate::adbench_ba`).
//!
//! `#[differentiate]` handles scalar-valued functions, and the reprojection residual of one
//! observation has two components, so the residual takes the component as a data parameter
//! `out` (0 for x, 1 for y) and each Jacobian row is one VJP with seed 1. The alternative,
//! two functions `reproj_x` and `reproj_y`, would repeat the 25 lines of rotation,
//! projection and distortion for the same generated code: the branch on `out` costs one
//! compare in each sweep. Either way each row runs its own forward sweep; the rotation,
//! projection and distortion are computed twice per observation (see `benches/ba.rs`).

use tapeless::differentiate;

use crate::adbench_ba::{BaInput, SparseJacobian, CAM_PARAMS, REPROJ_ROW_NNZ};

/// Component `out` (0: x, 1: y) of the reprojection error of point `x` seen by camera `cam`,
/// observed at `feat` with weight `w`: `w · (proj − feat)`, where `proj` is `x` rotated by
/// the camera's angle-axis vector about its centre (Rodrigues' formula; to first order when
/// the angle is exactly 0), divided by depth, radially distorted, scaled by the focal
/// length and shifted by the principal point.
///
/// Camera layout: `[r0 r1 r2 | C0 C1 C2 | f | u0 v0 | k1 k2]`. The operations are ADBench's,
/// in ADBench's order.
///
/// `Xc` is three `let mut` set by the branch: `let (xc0, xc1, xc2) = if .. { .. }` and
/// `let xc0;` are not supported by `#[differentiate]`, and a local array `xc` written in the
/// branch would make the generated code save the reads of it to heap stacks (see
/// `benches/ba.rs`). Their initial zeros are never read, hence the `allow`.
#[differentiate(wrt(cam, x, w))]
#[allow(unused_assignments)]
pub fn reproj_err(cam: &[f64; 11], x: &[f64; 3], w: f64, feat: &[f64; 2], out: usize) -> f64 {
    // The point relative to the camera centre.
    let xo0 = x[0] - cam[3];
    let xo1 = x[1] - cam[4];
    let xo2 = x[2] - cam[5];

    // Rodrigues: Xc = Xo cos θ + (v × Xo) sin θ + v (v·Xo)(1 − cos θ), v = r / θ.
    let sqtheta = cam[0] * cam[0] + cam[1] * cam[1] + cam[2] * cam[2];
    let mut xc0 = 0.0;
    let mut xc1 = 0.0;
    let mut xc2 = 0.0;
    if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let costheta = theta.cos();
        let sintheta = theta.sin();
        let theta_inverse = 1.0 / theta;
        let v0 = cam[0] * theta_inverse;
        let v1 = cam[1] * theta_inverse;
        let v2 = cam[2] * theta_inverse;
        let tmp = (v0 * xo0 + v1 * xo1 + v2 * xo2) * (1.0 - costheta);
        xc0 = xo0 * costheta + (v1 * xo2 - v2 * xo1) * sintheta + v0 * tmp;
        xc1 = xo1 * costheta + (v2 * xo0 - v0 * xo2) * sintheta + v1 * tmp;
        xc2 = xo2 * costheta + (v0 * xo1 - v1 * xo0) * sintheta + v2 * tmp;
    } else {
        // Xc = Xo + r × Xo.
        xc0 = xo0 + (cam[1] * xo2 - cam[2] * xo1);
        xc1 = xo1 + (cam[2] * xo0 - cam[0] * xo2);
        xc2 = xo2 + (cam[0] * xo1 - cam[1] * xo0);
    }

    // Perspective division, then radial distortion p ← p (1 + k1 s + k2 s²), s = |p|².
    let p0 = xc0 / xc2;
    let p1 = xc1 / xc2;
    let rsq = p0 * p0 + p1 * p1;
    let l = 1.0 + cam[9] * rsq + cam[10] * rsq * rsq;
    let p = if out == 0 { p0 * l } else { p1 * l };

    // proj = f p + (u0, v0); the residual is w (proj − feat).
    let proj = p * cam[6] + cam[7 + out];
    w * (proj - feat[out])
}

/// The weight error `1 − w²`.
#[differentiate]
pub fn w_err(w: f64) -> f64 {
    1.0 - w * w
}

/// Writes the `3p` residuals of `input` into `err`: `[x₀, y₀, x₁, y₁, …, w-errors]`.
pub fn residuals(input: &BaInput, err: &mut Vec<f64>) {
    err.clear();
    for (i, &[cam, pt]) in input.obs.iter().enumerate() {
        let (cam, x) = (&input.cams[cam], &input.x[pt]);
        let (w, feat) = (input.w[i], &input.feats[i]);
        err.push(reproj_err(cam, x, w, feat, 0));
        err.push(reproj_err(cam, x, w, feat, 1));
    }
    err.extend(input.w.iter().map(|&w| w_err(w)));
}

/// Jacobian row `out` of observation `i`, from the generated VJP with seed 1: the camera's
/// 11 entries, the point's 3, the weight's 1. Returns the residual too.
#[inline]
pub fn reproj_row(
    cam: &[f64; CAM_PARAMS],
    x: &[f64; 3],
    w: f64,
    feat: &[f64; 2],
    out: usize,
) -> (f64, [f64; REPROJ_ROW_NNZ]) {
    let (value, grad) = reproj_err_vjp(cam, x, w, feat, out, 1.0);
    let mut row = [0.0; REPROJ_ROW_NNZ];
    row[..CAM_PARAMS].copy_from_slice(&grad.cam);
    row[CAM_PARAMS..CAM_PARAMS + 3].copy_from_slice(&grad.x);
    row[CAM_PARAMS + 3] = grad.w;
    (value, row)
}

/// Fills `jacobian` (ADBench's layout, FORMATS.md §2.3) and `err` (the residuals, a
/// by-product of the VJPs) from the generated code: two reprojection VJPs per observation
/// and one weight VJP.
pub fn jacobian_tapeless(input: &BaInput, jacobian: &mut SparseJacobian, err: &mut Vec<f64>) {
    jacobian.clear();
    err.clear();
    err.resize(3 * input.p, 0.0);
    let (reproj, weight) = err.split_at_mut(2 * input.p);
    for (i, (&[cam, pt], e)) in input.obs.iter().zip(reproj.chunks_exact_mut(2)).enumerate() {
        let (c, x) = (&input.cams[cam], &input.x[pt]);
        let (w, feat) = (input.w[i], &input.feats[i]);
        let (ex, row_x) = reproj_row(c, x, w, feat, 0);
        let (ey, row_y) = reproj_row(c, x, w, feat, 1);
        e[0] = ex;
        e[1] = ey;
        jacobian.insert_reproj_err_block(i, cam, pt, &[row_x, row_y]);
    }
    for (i, (&w, e)) in input.w.iter().zip(weight).enumerate() {
        let (value, grad) = w_err_grad(w);
        *e = value;
        jacobian.insert_w_err_block(i, grad.w);
    }
}

/// Both components of the reprojection error of one observation, `[x, y]`, with the same
/// operations as [`reproj_err`] (so the same values, bit for bit): a vector output, whose
/// Jacobian `reproj_errs_jacobian` gives directly.
#[differentiate(wrt(cam, x, w))]
#[allow(unused_assignments)]
pub fn reproj_errs(cam: &[f64; 11], x: &[f64; 3], w: f64, feat: &[f64; 2]) -> [f64; 2] {
    let xo0 = x[0] - cam[3];
    let xo1 = x[1] - cam[4];
    let xo2 = x[2] - cam[5];

    let sqtheta = cam[0] * cam[0] + cam[1] * cam[1] + cam[2] * cam[2];
    let mut xc0 = 0.0;
    let mut xc1 = 0.0;
    let mut xc2 = 0.0;
    if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let costheta = theta.cos();
        let sintheta = theta.sin();
        let theta_inverse = 1.0 / theta;
        let v0 = cam[0] * theta_inverse;
        let v1 = cam[1] * theta_inverse;
        let v2 = cam[2] * theta_inverse;
        let tmp = (v0 * xo0 + v1 * xo1 + v2 * xo2) * (1.0 - costheta);
        xc0 = xo0 * costheta + (v1 * xo2 - v2 * xo1) * sintheta + v0 * tmp;
        xc1 = xo1 * costheta + (v2 * xo0 - v0 * xo2) * sintheta + v1 * tmp;
        xc2 = xo2 * costheta + (v0 * xo1 - v1 * xo0) * sintheta + v2 * tmp;
    } else {
        xc0 = xo0 + (cam[1] * xo2 - cam[2] * xo1);
        xc1 = xo1 + (cam[2] * xo0 - cam[0] * xo2);
        xc2 = xo2 + (cam[0] * xo1 - cam[1] * xo0);
    }

    let p0 = xc0 / xc2;
    let p1 = xc1 / xc2;
    let rsq = p0 * p0 + p1 * p1;
    let l = 1.0 + cam[9] * rsq + cam[10] * rsq * rsq;
    let proj0 = p0 * l * cam[6] + cam[7];
    let proj1 = p1 * l * cam[6] + cam[8];
    let mut e = [0.0; 2];
    e[0] = w * (proj0 - feat[0]);
    e[1] = w * (proj1 - feat[1]);
    e
}

/// [`jacobian_tapeless`] through `f_jacobian`: one `reproj_errs_jacobian` call per
/// observation gives both rows (with 15 inputs and 2 outputs: one forward sweep, then one
/// reverse sweep per row from it).
pub fn jacobian_tapeless_rows(input: &BaInput, jacobian: &mut SparseJacobian, err: &mut Vec<f64>) {
    jacobian.clear();
    err.clear();
    err.resize(3 * input.p, 0.0);
    let (reproj, weight) = err.split_at_mut(2 * input.p);
    for (i, (&[cam, pt], e)) in input.obs.iter().zip(reproj.chunks_exact_mut(2)).enumerate() {
        let (c, x) = (&input.cams[cam], &input.x[pt]);
        let (w, feat) = (input.w[i], &input.feats[i]);
        let (value, rows) = reproj_errs_jacobian(c, x, w, feat);
        e.copy_from_slice(&value);
        let mut block = [[0.0; REPROJ_ROW_NNZ]; 2];
        for (row, grad) in block.iter_mut().zip(&rows) {
            row[..CAM_PARAMS].copy_from_slice(&grad.cam);
            row[CAM_PARAMS..CAM_PARAMS + 3].copy_from_slice(&grad.x);
            row[CAM_PARAMS + 3] = grad.w;
        }
        jacobian.insert_reproj_err_block(i, cam, pt, &block);
    }
    for (i, (&w, e)) in input.w.iter().zip(weight).enumerate() {
        let (value, grad) = w_err_grad(w);
        *e = value;
        jacobian.insert_w_err_block(i, grad.w);
    }
}
