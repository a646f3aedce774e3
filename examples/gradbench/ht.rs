//! GradBench's `ht` (ADBench's hand tracking; reference `cpp/gradbench/evals/ht.hpp`): a
//! hand model of 22 bones posed by 26 angles `theta` (global rotation, translation, 20
//! finger angles) skins V vertices; each of c correspondences gives the 3 components of
//! (observed point − model point), the model point a vertex (simple variant, `us` empty) or
//! a point of a triangle at barycentric coordinates (u₀, u₁, 1 − u₀ − u₁) (complicated
//! variant). `jacobian` is the dense 3c × (2 + 26) Jacobian: columns 0–1 with respect to the
//! row's own pair `us[i]` (the only `us` entries residual i reads), 2–27 with respect to
//! theta; the theta columns come from `objective_jacobian`, the `us` columns from
//! `residual_jacobian` of each correspondence.
//!
//! Matrices are flat and row-major (`m[r * cols + k]`); `pose` is column-major, as the
//! reference's 3 × 25 pose parameters.

// Index loops, as the reference writes them.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, matrix, numbers, unknown, Runs};

/// The hand model: data, never differentiated.
pub struct Model {
    /// Per bone, the parent's index or −1.
    pub parents: Vec<i64>,
    /// 22 × 4 × 4, row-major.
    pub base_relatives: Vec<f64>,
    pub inverse_base_absolutes: Vec<f64>,
    /// V × 4: each vertex in homogeneous coordinates.
    pub base_positions: Vec<f64>,
    /// V × 22: each vertex's weight per bone.
    pub weights: Vec<f64>,
    /// T × 3 vertex indices.
    pub triangles: Vec<usize>,
    pub is_mirrored: bool,
}

/// The skinned vertex positions, 3 × V row-major, for the pose `theta`.
#[differentiate(wrt(theta))]
pub fn skinned_positions(
    theta: &[f64],
    parents: &[i64],
    base_relatives: &[f64],
    inverse_base_absolutes: &[f64],
    base_positions: &[f64],
    weights: &[f64],
    is_mirrored: bool,
) -> Vec<f64> {
    let bones = parents.len();
    let nverts = base_positions.len() / 4;

    // to_pose_params: 3 × (bones + 3), column-major: rotation, scale 1, translation, then
    // per finger 4 angles spread over 3 bones (the first bone takes 2).
    let mut pose = vec![0.0; 3 * (bones + 3)];
    for i in 0..3 {
        pose[i] = theta[i];
        pose[3 + i] = 1.0;
        pose[6 + i] = theta[3 + i];
    }
    let mut i_theta = 6;
    let mut i_pose = 5;
    for _finger in 0..5 {
        for i in 2..5 {
            pose[3 * i_pose] = theta[i_theta];
            i_theta += 1;
            if i == 2 {
                pose[3 * i_pose + 1] = theta[i_theta];
                i_theta += 1;
            }
            i_pose += 1;
        }
        i_pose += 1;
    }

    // get_posed_relatives and relatives_to_absolutes: absolute[b] = absolute[parent] ·
    // base_relative[b] · [R(euler angles) 0; 0 1].
    let mut absolutes = vec![0.0; 16 * bones];
    let mut relative = [0.0; 16];
    let mut tr = [0.0; 16];
    for b in 0..bones {
        // euler_angles_to_rotation_matrix: R = Rz·Ry·Rx, the angles in the order x, z, y.
        let col = 3 * (b + 3);
        let (tx, tz, ty) = (pose[col], pose[col + 1], pose[col + 2]);
        let (sx, cx) = (tx.sin(), tx.cos());
        let (sy, cy) = (ty.sin(), ty.cos());
        let (sz, cz) = (tz.sin(), tz.cos());
        // Rz·Ry, then ·Rx, as the reference's two products.
        let zy = [cz * cy, -sz, cz * sy, sz * cy, cz, sz * sy, -sy, 0.0, cy];
        tr[0] = zy[0];
        tr[1] = zy[1] * cx + zy[2] * sx;
        tr[2] = zy[1] * -sx + zy[2] * cx;
        tr[4] = zy[3];
        tr[5] = zy[4] * cx + zy[5] * sx;
        tr[6] = zy[4] * -sx + zy[5] * cx;
        tr[8] = zy[6];
        tr[9] = zy[7] * cx + zy[8] * sx;
        tr[10] = zy[7] * -sx + zy[8] * cx;
        tr[15] = 1.0;
        for r in 0..4 {
            for k in 0..4 {
                let mut sum = base_relatives[16 * b + 4 * r] * tr[k];
                for j in 1..4 {
                    sum += base_relatives[16 * b + 4 * r + j] * tr[4 * j + k];
                }
                relative[4 * r + k] = sum;
            }
        }
        if parents[b] < 0 {
            for e in 0..16 {
                absolutes[16 * b + e] = relative[e];
            }
        } else {
            let p = parents[b] as usize;
            for r in 0..4 {
                for k in 0..4 {
                    let mut sum = absolutes[16 * p + 4 * r] * relative[k];
                    for j in 1..4 {
                        sum += absolutes[16 * p + 4 * r + j] * relative[4 * j + k];
                    }
                    absolutes[16 * b + 4 * r + k] = sum;
                }
            }
        }
    }

    // Skinning: positions = Σ_b weight(b, v) · (absolute[b] · inverse_base_absolute[b] ·
    // base_position(v)), rows 0–2.
    let mut positions = vec![0.0; 3 * nverts];
    let mut transform = [0.0; 16];
    for b in 0..bones {
        for r in 0..4 {
            for k in 0..4 {
                let mut sum = absolutes[16 * b + 4 * r] * inverse_base_absolutes[16 * b + k];
                for j in 1..4 {
                    sum +=
                        absolutes[16 * b + 4 * r + j] * inverse_base_absolutes[16 * b + 4 * j + k];
                }
                transform[4 * r + k] = sum;
            }
        }
        for v in 0..nverts {
            for r in 0..3 {
                let mut curr = transform[4 * r] * base_positions[4 * v];
                for j in 1..4 {
                    curr += transform[4 * r + j] * base_positions[4 * v + j];
                }
                positions[r * nverts + v] += curr * weights[v * bones + b];
            }
        }
    }
    if is_mirrored {
        for v in 0..nverts {
            positions[v] = -positions[v];
        }
    }

    // apply_global_transform: R(angle axis of theta[0..3]) with columns scaled by the scale
    // (1), then + translation.
    let norm = (pose[0] * pose[0] + pose[1] * pose[1] + pose[2] * pose[2]).sqrt();
    let mut rot = [0.0; 9];
    if norm < 0.0001 {
        rot[0] = 1.0;
        rot[4] = 1.0;
        rot[8] = 1.0;
    } else {
        let (x, y, z) = (pose[0] / norm, pose[1] / norm, pose[2] / norm);
        let (s, c) = (norm.sin(), norm.cos());
        rot[0] = x * x + (1.0 - x * x) * c;
        rot[1] = x * y * (1.0 - c) - z * s;
        rot[2] = x * z * (1.0 - c) + y * s;
        rot[3] = x * y * (1.0 - c) + z * s;
        rot[4] = y * y + (1.0 - y * y) * c;
        rot[5] = y * z * (1.0 - c) - x * s;
        rot[6] = x * z * (1.0 - c) - y * s;
        rot[7] = z * y * (1.0 - c) + x * s;
        rot[8] = z * z + (1.0 - z * z) * c;
    }
    for r in 0..3 {
        for k in 0..3 {
            rot[3 * r + k] *= pose[3 + k];
        }
    }
    let mut out = vec![0.0; 3 * nverts];
    for v in 0..nverts {
        for r in 0..3 {
            let mut sum = rot[3 * r] * positions[v];
            for j in 1..3 {
                sum += rot[3 * r + j] * positions[j * nverts + v];
            }
            out[r * nverts + v] = sum + pose[6 + r];
        }
    }
    out
}

/// One correspondence's residual: `point` − (u₀·a + u₁·b + (1 − u₀ − u₁)·c).
#[differentiate(wrt(u, a, b, c))]
pub fn residual(u: [f64; 2], a: [f64; 3], b: [f64; 3], c: [f64; 3], point: [f64; 3]) -> [f64; 3] {
    let mut err = [0.0; 3];
    for j in 0..3 {
        err[j] = point[j] - (u[0] * a[j] + u[1] * b[j] + (1.0 - u[0] - u[1]) * c[j]);
    }
    err
}

/// The 3c residuals. `us` holds 2c barycentric coordinates (complicated variant: each
/// correspondence a triangle) or nothing (simple variant: each correspondence a vertex).
#[differentiate(wrt(theta))]
pub fn objective(
    theta: &[f64],
    us: &[f64],
    correspondences: &[usize],
    points: &[f64],
    parents: &[i64],
    base_relatives: &[f64],
    inverse_base_absolutes: &[f64],
    base_positions: &[f64],
    weights: &[f64],
    triangles: &[usize],
    is_mirrored: bool,
) -> Vec<f64> {
    let nverts = base_positions.len() / 4;
    let positions = skinned_positions(
        theta,
        parents,
        base_relatives,
        inverse_base_absolutes,
        base_positions,
        weights,
        is_mirrored,
    );
    let count = correspondences.len();
    let mut err = vec![0.0; 3 * count];
    for i in 0..count {
        if us.is_empty() {
            let v = correspondences[i];
            for j in 0..3 {
                err[3 * i + j] = points[3 * i + j] - positions[j * nverts + v];
            }
        } else {
            let t = 3 * correspondences[i];
            let (va, vb, vc) = (triangles[t], triangles[t + 1], triangles[t + 2]);
            let u = [us[2 * i], us[2 * i + 1]];
            let a = [
                positions[va],
                positions[nverts + va],
                positions[2 * nverts + va],
            ];
            let b = [
                positions[vb],
                positions[nverts + vb],
                positions[2 * nverts + vb],
            ];
            let c = [
                positions[vc],
                positions[nverts + vc],
                positions[2 * nverts + vc],
            ];
            let point = [points[3 * i], points[3 * i + 1], points[3 * i + 2]];
            let r = residual(u, a, b, c, point);
            for j in 0..3 {
                err[3 * i + j] = r[j];
            }
        }
    }
    err
}

struct Input {
    theta: Vec<f64>,
    us: Vec<f64>,
    correspondences: Vec<usize>,
    points: Vec<f64>,
    model: Model,
}

/// A JSON array of integers.
fn integers(value: &Value) -> Result<Vec<i64>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("expected an array, got {value}"))?
        .iter()
        .map(|v| {
            v.as_i64()
                .ok_or_else(|| format!("expected an integer, got {v}"))
        })
        .collect()
}

/// An array of 4 × 4 matrices, flattened row-major.
fn matrices(value: &Value) -> Result<Vec<f64>, String> {
    let mut flat = Vec::new();
    for m in value
        .as_array()
        .ok_or("ht: expected an array of matrices")?
    {
        let (rows, r, w) = matrix(m)?;
        if (r, w) != (4, 4) {
            return Err("ht: bone matrices must be 4 × 4".into());
        }
        flat.extend(rows);
    }
    Ok(flat)
}

fn parse(input: &Value) -> Result<Input, String> {
    let data = field(input, "data")?;
    let model = field(data, "model")?;
    let parents = integers(field(model, "parents")?)?;
    let bones = parents.len();
    let (base_positions, nverts, width) = matrix(field(model, "base_positions")?)?;
    let (weights, weight_rows, weight_width) = matrix(field(model, "weights")?)?;
    let mut triangles = Vec::new();
    for t in field(model, "triangles")?
        .as_array()
        .ok_or("ht: triangles")?
    {
        let t = integers(t)?;
        if t.len() != 3 || t.iter().any(|&v| v < 0 || v as usize >= nverts) {
            return Err("ht: a triangle needs 3 vertex indices".into());
        }
        triangles.extend(t.iter().map(|&v| v as usize));
    }
    let correspondences: Vec<usize> = integers(field(data, "correspondences")?)?
        .iter()
        .map(|&v| v as usize)
        .collect();
    let (points, count, point_width) = matrix(field(data, "points")?)?;
    let (us, us_rows, _) = matrix(field(input, "us")?)?;
    let theta = numbers(field(input, "theta")?)?;
    let shapes_agree = width == 4
        && (weight_rows, weight_width) == (nverts, bones)
        && count == correspondences.len()
        && point_width == 3
        && (us_rows == 0 || us_rows == count)
        && us.len() == 2 * us_rows
        && theta.len() == 26
        && parents.iter().enumerate().all(|(b, &p)| p < b as i64);
    let limit = if us.is_empty() {
        nverts
    } else {
        triangles.len() / 3
    };
    if !shapes_agree || correspondences.iter().any(|&c| c >= limit) {
        return Err("ht: the shapes of the model and the data disagree".into());
    }
    Ok(Input {
        theta,
        us,
        correspondences,
        points,
        model: Model {
            parents,
            base_relatives: matrices(field(model, "base_relatives")?)?,
            inverse_base_absolutes: matrices(field(model, "inverse_base_absolutes")?)?,
            base_positions,
            weights,
            triangles,
            is_mirrored: field(model, "is_mirrored")?.as_bool().unwrap_or(false),
        },
    })
}

fn evaluate(p: &Input) -> Vec<f64> {
    let m = &p.model;
    objective(
        &p.theta,
        &p.us,
        &p.correspondences,
        &p.points,
        &m.parents,
        &m.base_relatives,
        &m.inverse_base_absolutes,
        &m.base_positions,
        &m.weights,
        &m.triangles,
        m.is_mirrored,
    )
}

/// The Jacobian, row by row: [∂/∂us[i] (2, complicated variant only), ∂/∂theta (26)].
fn jacobian(p: &Input) -> Vec<Vec<f64>> {
    let m = &p.model;
    let (_, theta_rows) = objective_jacobian(
        &p.theta,
        &p.us,
        &p.correspondences,
        &p.points,
        &m.parents,
        &m.base_relatives,
        &m.inverse_base_absolutes,
        &m.base_positions,
        &m.weights,
        &m.triangles,
        m.is_mirrored,
    );
    if p.us.is_empty() {
        return theta_rows.into_iter().map(|row| row.theta).collect();
    }
    // The us columns: residual i reads us[2i], us[2i + 1] only, through `residual`.
    let positions = skinned_positions(
        &p.theta,
        &m.parents,
        &m.base_relatives,
        &m.inverse_base_absolutes,
        &m.base_positions,
        &m.weights,
        m.is_mirrored,
    );
    let nverts = m.base_positions.len() / 4;
    let vertex = |v: usize| {
        [
            positions[v],
            positions[nverts + v],
            positions[2 * nverts + v],
        ]
    };
    let mut out = Vec::with_capacity(theta_rows.len());
    let mut theta_rows = theta_rows.into_iter();
    for (i, &t) in p.correspondences.iter().enumerate() {
        let tri = &m.triangles[3 * t..3 * t + 3];
        let u = [p.us[2 * i], p.us[2 * i + 1]];
        let point = [p.points[3 * i], p.points[3 * i + 1], p.points[3 * i + 2]];
        let (_, u_rows) =
            residual_jacobian(u, vertex(tri[0]), vertex(tri[1]), vertex(tri[2]), point);
        for u_row in u_rows {
            let mut row = Vec::with_capacity(28);
            row.extend(u_row.u);
            row.extend(theta_rows.next().map(|r| r.theta).unwrap_or_default());
            out.push(row);
        }
    }
    out
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let p = parse(input)?;
    match function {
        "objective" => Ok(json!(runs.time(|| evaluate(&p)))),
        "jacobian" => Ok(json!(runs.time(|| jacobian(&p)))),
        _ => Err(unknown("ht", function)),
    }
}
