// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/ml.rs (inside `mod soft_kmeans { .. }`) once it passes.
//
// Domain: machine learning
// Status: rejected with a clean message
// Class:  iterator chain: map(..).collect() into a Vec
// Next blocker, verified by rewriting the first locally (collect/fold → `vec![0.0; n]` scratch and `for` loops): passes
// Oracle: central differences over 6 centroid coordinates at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: method `iter` has no derivative rule, and it receives a value that depends on a differentiated parameter; rewrite it with operators and float methods that have rules (sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, exp, exp2, exp_m1, ln, ln_1p, log10, log2, sqrt, cbrt, recip, abs, to_degrees, to_radians, fract, log, powf, powi, atan2, hypot, max, min, clamp, mul_add, transpose, dot, norm, norm_squared, sum, mean, trace, determinant, component_mul, component_div, add_scalar, column, clone, row)
//   --> tests/corpus_pending/soft_kmeans.rs:22:27

use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Soft k-means cost: Σ_points softmin_T over centroids of the squared distance.
#[differentiate(wrt(centroids))]
pub fn soft_kmeans_cost(centroids: &[[f64; 2]], points: &[[f64; 2]], temperature: f64) -> f64 {
    let mut cost = 0.0;
    for p in points {
        let d: Vec<f64> = centroids
            .iter()
            .map(|c| {
                let dx = p[0] - c[0];
                let dy = p[1] - c[1];
                dx * dx + dy * dy
            })
            .collect();
        let m = d.iter().cloned().fold(f64::INFINITY, f64::min);
        let s: f64 = d.iter().map(|di| (-(di - m) / temperature).exp()).sum();
        cost += m - temperature * s.ln();
    }
    cost
}

#[test]
fn soft_kmeans() {
    let points = [[0.0, 0.0], [1.0, 0.5], [3.0, 3.0], [2.5, 3.5], [-1.0, 0.2]];
    let t = 0.5;
    for c in [[0.1, 0.2, 2.0, 2.5, 5.0, -1.0], [1.0, 1.0, 3.0, 3.0, -1.0, 0.0], [0.5, 0.0, 0.7, 0.1, 2.0, 2.0]] {
        let unpack = |v: &[f64]| vec![[v[0], v[1]], [v[2], v[3]], [v[4], v[5]]];
        let f = |v: &[f64]| soft_kmeans_cost(&unpack(v), &points, t);
        let (v, g) = soft_kmeans_cost_grad(&unpack(&c), &points, t);
        assert!((v - f(&c)).abs() < 1e-12);
        let analytic: Vec<f64> = g.centroids.iter().flatten().copied().collect();
        check_gradient(f, &c, &analytic, Tolerance::default()).unwrap();
    }
}
