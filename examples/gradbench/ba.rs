//! GradBench's `ba` (ADBench's bundle adjustment; reference `cpp/gradbench/evals/ba.hpp`):
//! p observations, observation i linking camera i mod n with point i mod m. Each gives two
//! reprojection residuals w·(project(camera, point) − feature) and a weight residual
//! 1 − w². The input sends one camera, point, weight and feature, which the tool replicates
//! (as the reference does) and computes every observation without exploiting the repetition.
//! `jacobian` is the sparse (3p) × (11n + 3m + p) Jacobian in ADBench's CSR layout, one
//! `reproj_error_jacobian` (2 rows of 15 non-zeros) and one `w_error_grad` per observation;
//! its answer is the first 30 entries of each CSR array and the last one.

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, integer, number, numbers, unknown, Runs};

/// The two residuals of one observation. `cam` is [r₁ r₂ r₃ C₁ C₂ C₃ f u₀ v₀ k₁ k₂]: a
/// Rodrigues rotation, the centre, the focal length, the principal point and two radial
/// distortion coefficients; `x` the point, `w` the observation's weight, `feat` the feature.
#[differentiate(wrt(cam, x, w))]
pub fn reproj_error(cam: [f64; 11], x: [f64; 3], w: f64, feat: [f64; 2]) -> [f64; 2] {
    let xo = [x[0] - cam[3], x[1] - cam[4], x[2] - cam[5]];
    let rot = [cam[0], cam[1], cam[2]];
    // rodrigues_rotate_point: R(rot)·xo.
    let sqtheta = rot[0] * rot[0] + rot[1] * rot[1] + rot[2] * rot[2];
    let mut xcam = [0.0; 3];
    if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let costheta = theta.cos();
        let sintheta = theta.sin();
        let theta_inverse = 1.0 / theta;
        let n = [
            rot[0] * theta_inverse,
            rot[1] * theta_inverse,
            rot[2] * theta_inverse,
        ];
        let n_cross_x = [
            n[1] * xo[2] - n[2] * xo[1],
            n[2] * xo[0] - n[0] * xo[2],
            n[0] * xo[1] - n[1] * xo[0],
        ];
        let tmp = (n[0] * xo[0] + n[1] * xo[1] + n[2] * xo[2]) * (1.0 - costheta);
        // Written out: a loop inside a branch would keep its saved values on the heap.
        xcam[0] = xo[0] * costheta + n_cross_x[0] * sintheta + n[0] * tmp;
        xcam[1] = xo[1] * costheta + n_cross_x[1] * sintheta + n[1] * tmp;
        xcam[2] = xo[2] * costheta + n_cross_x[2] * sintheta + n[2] * tmp;
    } else {
        let rot_cross_x = [
            rot[1] * xo[2] - rot[2] * xo[1],
            rot[2] * xo[0] - rot[0] * xo[2],
            rot[0] * xo[1] - rot[1] * xo[0],
        ];
        xcam[0] = xo[0] + rot_cross_x[0];
        xcam[1] = xo[1] + rot_cross_x[1];
        xcam[2] = xo[2] + rot_cross_x[2];
    }
    // Projection, radial distortion, focal length and principal point.
    let p0 = xcam[0] / xcam[2];
    let p1 = xcam[1] / xcam[2];
    let rsq = p0 * p0 + p1 * p1;
    let l = 1.0 + cam[9] * rsq + cam[10] * rsq * rsq;
    let proj0 = p0 * l * cam[6] + cam[7];
    let proj1 = p1 * l * cam[6] + cam[8];
    let mut err = [0.0; 2];
    err[0] = w * (proj0 - feat[0]);
    err[1] = w * (proj1 - feat[1]);
    err
}

/// The weight residual of one observation.
#[differentiate]
pub fn w_error(w: f64) -> f64 {
    1.0 - w * w
}

/// The expanded problem: every camera, point, weight and feature, and each observation's
/// camera and point.
struct Problem {
    n: usize,
    m: usize,
    cams: Vec<[f64; 11]>,
    points: Vec<[f64; 3]>,
    weights: Vec<f64>,
    feats: Vec<[f64; 2]>,
    obs: Vec<(usize, usize)>,
}

fn parse(input: &Value) -> Result<Problem, String> {
    let n = integer(field(input, "n")?)?;
    let m = integer(field(input, "m")?)?;
    let p = integer(field(input, "p")?)?;
    let cam: [f64; 11] = numbers(field(input, "cam")?)?
        .try_into()
        .map_err(|_| "ba: `cam` needs 11 numbers")?;
    let x: [f64; 3] = numbers(field(input, "x")?)?
        .try_into()
        .map_err(|_| "ba: `x` needs 3 numbers")?;
    let feat: [f64; 2] = numbers(field(input, "feat")?)?
        .try_into()
        .map_err(|_| "ba: `feat` needs 2 numbers")?;
    let w = number(field(input, "w")?)?;
    if n == 0 || m == 0 || p == 0 {
        return Err("ba needs n, m, p ≥ 1".into());
    }
    Ok(Problem {
        n,
        m,
        cams: vec![cam; n],
        points: vec![x; m],
        weights: vec![w; p],
        feats: vec![feat; p],
        obs: (0..p).map(|i| (i % n, i % m)).collect(),
    })
}

/// The residuals: 2p reprojection and p weight residuals.
fn objective(b: &Problem) -> (Vec<f64>, Vec<f64>) {
    let mut reproj = Vec::with_capacity(2 * b.obs.len());
    for (i, &(c, x)) in b.obs.iter().enumerate() {
        reproj.extend(reproj_error(
            b.cams[c],
            b.points[x],
            b.weights[i],
            b.feats[i],
        ));
    }
    let w_err = b.weights.iter().map(|&w| w_error(w)).collect();
    (reproj, w_err)
}

/// The Jacobian in ADBench's CSR layout: row offsets, column indices, values.
fn jacobian(b: &Problem) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
    let p = b.obs.len();
    let nonzeros = 15 * 2 * p + p;
    let (mut rows, mut cols, mut vals) = (
        Vec::with_capacity(3 * p + 1),
        Vec::with_capacity(nonzeros),
        Vec::with_capacity(nonzeros),
    );
    rows.push(0);
    let (point_col, weight_col) = (11 * b.n, 11 * b.n + 3 * b.m);
    for (i, &(c, x)) in b.obs.iter().enumerate() {
        let (_, jac) = reproj_error_jacobian(b.cams[c], b.points[x], b.weights[i], b.feats[i]);
        for row in &jac {
            rows.push(rows[rows.len() - 1] + 15);
            for j in 0..11 {
                cols.push(11 * c + j);
                vals.push(row.cam[j]);
            }
            for j in 0..3 {
                cols.push(point_col + 3 * x + j);
                vals.push(row.x[j]);
            }
            cols.push(weight_col + i);
            vals.push(row.w);
        }
    }
    for (i, &w) in b.weights.iter().enumerate() {
        rows.push(rows[rows.len() - 1] + 1);
        cols.push(weight_col + i);
        vals.push(w_error_grad(w).1.w);
    }
    (rows, cols, vals)
}

/// The first 30 entries and the last, as the reference sends a CSR array.
fn cut<T: Copy>(xs: &[T]) -> Vec<T> {
    let mut out: Vec<T> = xs.iter().take(30).copied().collect();
    out.extend(xs.last());
    out
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let b = parse(input)?;
    match function {
        "objective" => {
            let (reproj, w_err) = runs.time(|| objective(&b));
            Ok(json!({
                "reproj_error": {"elements": &reproj[..2], "repeated": reproj.len() / 2},
                "w_err": {"element": w_err[0], "repeated": w_err.len()},
            }))
        }
        "jacobian" => {
            let (rows, cols, vals) = runs.time(|| jacobian(&b));
            Ok(json!({"rows": cut(&rows), "cols": cut(&cols), "vals": cut(&vals)}))
        }
        _ => Err(unknown("ba", function)),
    }
}
