//! GradBench's `kmeans` (reference `cpp/gradbench/evals/kmeans.hpp`): the cost
//! Σ_i min_j ‖C_j − P_i‖² of n points P under k centroids C, and `dir`, the Newton direction
//! J·H⁻¹ of the cost with respect to the centroids. H is diagonal, so H·1 is its diagonal:
//! one Hessian-vector product along the all-ones vector gives both J and diag(H).

// Index loops, as the reference writes them.
#![allow(clippy::needless_range_loop)]

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, matrix, rows, unknown, Runs};

/// The cost; `points` is n×d and `centroids` k×d, row-major.
#[differentiate(hessian, wrt(centroids))]
pub fn cost(points: &[f64], centroids: &[f64], n: usize, k: usize, d: usize) -> f64 {
    let mut total = 0.0;
    for i in 0..n {
        let mut closest = f64::INFINITY;
        for j in 0..k {
            let mut dist = 0.0;
            for l in 0..d {
                let diff = points[i * d + l] - centroids[j * d + l];
                dist += diff * diff;
            }
            closest = closest.min(dist);
        }
        total += closest;
    }
    total
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let (points, n, d) = matrix(field(input, "points")?)?;
    let (centroids, k, width) = matrix(field(input, "centroids")?)?;
    if n == 0 || k == 0 || width != d {
        return Err("kmeans needs points and centroids of one dimension".into());
    }
    match function {
        "cost" => Ok(json!(runs.time(|| cost(&points, &centroids, n, k, d)))),
        "dir" => {
            let dir = runs.time(|| {
                // H is diagonal: H·1 is the diagonal, and J·H⁻¹ is J / diag(H) element-wise.
                let ones = CostGrad {
                    centroids: vec![1.0; k * d],
                };
                let (_, grad, diagonal) = cost_hvp(&points, &centroids, n, k, d, &ones);
                let mut dir = grad.centroids;
                for (g, h) in dir.iter_mut().zip(&diagonal.centroids) {
                    *g /= h;
                }
                dir
            });
            Ok(rows(&dir, k, d))
        }
        _ => Err(unknown("kmeans", function)),
    }
}
