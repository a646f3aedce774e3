//! A vector carried by a loop and overwritten whole without its old value being read
//! (`f = x.to_vec();`, Sinkhorn's alternating `f = ..g..; g = ..f..;`): the reverse iteration
//! hands a zero to the iteration before, made before the body takes the adjoint over.
//! Found by the second unseen corpus (session 32: rustc E0382 "borrow of moved value"
//! inside generated code). Oracles: closed forms and central differences, `f_jvp` against
//! `f_vjp`.

#[path = "support/close.rs"]
mod support;

use support::close;
use tapeless::check::central_difference;
use tapeless::differentiate;

#[differentiate]
fn overwrite(x: &[f64], iters: usize) -> f64 {
    let mut f = vec![0.0; x.len()];
    for _ in 0..iters {
        f = x.to_vec();
    }
    f[0] * f[1]
}

#[test]
fn the_last_copy_alone_counts() {
    let x = [0.5, -2.0, 3.0];
    for iters in [0, 1, 4] {
        let (value, g) = overwrite_grad(&x, iters);
        assert_eq!(value, overwrite(&x, iters));
        let want = if iters == 0 {
            [0.0; 3]
        } else {
            [x[1], x[0], 0.0]
        };
        close("overwrite", &g.x, &want, 1e-15);
    }
}

#[differentiate]
fn logsumexp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// Log-domain Sinkhorn iterations between two point clouds on a line, the dual objective.
#[differentiate(wrt(x))]
fn sinkhorn_cost(x: &[f64], y: &[f64], eps: f64, iters: usize) -> f64 {
    let (n, m) = (x.len(), y.len());
    let log_a = -(n as f64).ln();
    let log_b = -(m as f64).ln();
    let mut f = vec![0.0; n];
    let mut g = vec![0.0; m];
    for _ in 0..iters {
        f = (0..n)
            .map(|i| {
                let row: Vec<f64> = (0..m)
                    .map(|j| (g[j] - (x[i] - y[j]).powi(2)) / eps + log_b)
                    .collect();
                -eps * logsumexp(&row)
            })
            .collect();
        g = (0..m)
            .map(|j| {
                let col: Vec<f64> = (0..n)
                    .map(|i| (f[i] - (x[i] - y[j]).powi(2)) / eps + log_a)
                    .collect();
                -eps * logsumexp(&col)
            })
            .collect();
    }
    f.iter().sum::<f64>() / n as f64 + g.iter().sum::<f64>() / m as f64
}

#[test]
fn sinkhorn_against_differences_and_forward_mode() {
    let (x, y) = ([0.1, 0.9, 1.7], [0.0, 0.5, 1.2, 2.0]);
    let (value, g) = sinkhorn_cost_grad(&x, &y, 0.3, 8);
    assert_eq!(value, sinkhorn_cost(&x, &y, 0.3, 8));
    let fd = central_difference(|q| sinkhorn_cost(q, &y, 0.3, 8), &x);
    close("sinkhorn", &g.x, &fd, 1e-7);
    let t = vec![0.4, -0.2, 1.0];
    let (_, dy) = sinkhorn_cost_jvp(&x, &y, 0.3, 8, &SinkhornCostGrad { x: t.clone() });
    let dot: f64 = t.iter().zip(&g.x).map(|(a, b)| a * b).sum();
    assert!((dy - dot).abs() < 1e-10 * (1.0 + dot.abs()));
}
