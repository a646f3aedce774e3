//! A collect whose closure collects (`x.iter().map(|xi| y.iter().map(..).collect())
//! .collect()` into a `Vec<Vec<f64>>`, Sinkhorn's cost matrix): each row is a vector written
//! by index, stored into the outer vector (issue 12). Gradients against closed forms and
//! central differences in `f64`, `f32` and generic `T: Float`, `f_jvp` against ⟨v, ∇f⟩.

// The differentiated functions read rows by index on purpose (`m[i].iter()`, `cost[i][j]`).
#![allow(clippy::needless_range_loop)]

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

#[path = "support/close.rs"]
mod close;
use close::close;

/// Σᵢⱼ wᵢⱼ·(xᵢ − yⱼ)² through the cost matrix.
#[differentiate]
pub fn weighted_cost(x: &[f64], y: &[f64], w: &[Vec<f64>]) -> f64 {
    let cost: Vec<Vec<f64>> = x
        .iter()
        .map(|xi| y.iter().map(|yj| (xi - yj).powi(2)).collect())
        .collect();
    let mut total = 0.0;
    for i in 0..cost.len() {
        for j in 0..cost[i].len() {
            total += w[i][j] * cost[i][j];
        }
    }
    total
}

#[test]
fn a_cost_matrix() {
    let x = [0.1, 0.9, 1.7];
    let y = [0.0, 0.5, 1.2, 2.0];
    let w: Vec<Vec<f64>> = (0..3)
        .map(|i| {
            (0..4)
                .map(|j| 1.0 + 0.5 * i as f64 - 0.25 * j as f64)
                .collect()
        })
        .collect();
    let (v, g) = weighted_cost_grad(&x, &y, &w);
    assert_eq!(v, weighted_cost(&x, &y, &w));
    // ∂/∂xᵢ = Σⱼ 2wᵢⱼ(xᵢ − yⱼ), ∂/∂yⱼ = −Σᵢ 2wᵢⱼ(xᵢ − yⱼ), ∂/∂wᵢⱼ = (xᵢ − yⱼ)².
    let dx: Vec<f64> = (0..3)
        .map(|i| (0..4).map(|j| 2.0 * w[i][j] * (x[i] - y[j])).sum())
        .collect();
    let dy: Vec<f64> = (0..4)
        .map(|j| (0..3).map(|i| -2.0 * w[i][j] * (x[i] - y[j])).sum())
        .collect();
    close("x", &g.x, &dx, 1e-13);
    close("y", &g.y, &dy, 1e-13);
    for i in 0..3 {
        let dw: Vec<f64> = (0..4).map(|j| (x[i] - y[j]).powi(2)).collect();
        close("w", &g.w[i], &dw, 1e-13);
    }
    let tangent = WeightedCostGrad {
        x: vec![0.4, -0.2, 1.0],
        y: vec![0.3, 0.0, -0.7, 0.1],
        w: vec![vec![0.0; 4], vec![0.5; 4], vec![0.0, 0.1, 0.0, -0.2]],
    };
    let (v2, dv) = weighted_cost_jvp(&x, &y, &w, &tangent);
    assert_eq!(v2, v);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let expected = dot(&tangent.x, &g.x)
        + dot(&tangent.y, &g.y)
        + (0..3).map(|i| dot(&tangent.w[i], &g.w[i])).sum::<f64>();
    close("jvp", &[dv], &[expected], 1e-13);
}

/// A lower triangle: row i has i + 1 entries (ragged rows), of xᵢ·xⱼ·e^{−|i − j|}.
#[differentiate]
pub fn triangle(x: &[f64]) -> f64 {
    let n = x.len();
    let k: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..=i)
                .map(|j| x[i] * x[j] * (-((i - j) as f64)).exp())
                .collect()
        })
        .collect();
    let mut s = 0.0;
    for row in &k {
        for v in row {
            s += v.sin();
        }
    }
    s
}

#[test]
fn ragged_rows() {
    let x = [0.3, -0.8, 1.1, 0.5];
    let (v, g) = triangle_grad(&x);
    assert_eq!(v, triangle(&x));
    check_gradient(|p: &[f64]| triangle(p), &x, &g.x, Tolerance::default()).unwrap();
    let dir = [1.0, 0.5, -0.5, 2.0];
    let (_, dv) = triangle_jvp(&x, &TriangleGrad { x: dir.to_vec() });
    let expected: f64 = g.x.iter().zip(&dir).map(|(a, b)| a * b).sum();
    close("jvp", &[dv], &[expected], 1e-13);
}

/// Σᵢ log Σⱼ exp(aᵢ·bⱼ) in `f32`, rows through a loop over the collected outer vector.
#[differentiate]
pub fn outer_lse(a: &[f32], b: &[f32]) -> f32 {
    let m: Vec<Vec<f32>> = a
        .iter()
        .map(|&ai| b.iter().map(|&bj| ai * bj).collect::<Vec<f32>>())
        .collect();
    let mut s = 0.0;
    for row in &m {
        let e: f32 = row.iter().map(|v| v.exp()).sum();
        s += e.ln();
    }
    s
}

#[test]
fn in_f32() {
    let a = [0.5f32, -0.3];
    let b = [1.0f32, 0.2, -0.6];
    let (v, g) = outer_lse_grad(&a, &b);
    assert_eq!(v, outer_lse(&a, &b));
    // ∂/∂aᵢ = Σⱼ bⱼ·softmaxᵢ(j), ∂/∂bⱼ = Σᵢ aᵢ·softmaxᵢ(j).
    let (mut da, mut db) = (vec![0.0f64; 2], vec![0.0f64; 3]);
    for i in 0..2 {
        let e: Vec<f64> = b
            .iter()
            .map(|&bj| (a[i] as f64 * bj as f64).exp())
            .collect();
        let z: f64 = e.iter().sum();
        for j in 0..3 {
            da[i] += b[j] as f64 * e[j] / z;
            db[j] += a[i] as f64 * e[j] / z;
        }
    }
    let ga: Vec<f64> = g.a.iter().map(|&v| v as f64).collect();
    let gb: Vec<f64> = g.b.iter().map(|&v| v as f64).collect();
    close("a", &ga, &da, 1e-5);
    close("b", &gb, &db, 1e-5);
    let t = OuterLseGrad {
        a: vec![1.0, -1.0],
        b: vec![0.5, 0.0, 2.0],
    };
    let (_, dv) = outer_lse_jvp(&a, &b, &t);
    let expected = (da[0] - da[1]) + 0.5 * db[0] + 2.0 * db[2];
    close("jvp", &[dv as f64], &[expected], 1e-5);
}

/// Generic: Σᵢⱼ (xᵢ·yⱼ)² through the matrix, and a `for` over the rows of a mapped chain.
#[differentiate]
pub fn products<T: Float>(x: &[T], y: &[T]) -> T {
    let p: Vec<Vec<T>> = x
        .iter()
        .map(|&xi| y.iter().map(|&yj| xi * yj).collect())
        .collect();
    let mut s = T::zero();
    for row in p.iter() {
        for &v in row.iter() {
            s = s + v * v;
        }
    }
    s
}

#[test]
fn generic() {
    let x = [0.5, -1.5, 2.0];
    let y = [1.0, 0.25];
    let (v, g) = products_grad(&x, &y);
    assert_eq!(v, products(&x, &y));
    // Σᵢⱼ xᵢ²yⱼ² = (Σx²)(Σy²): ∂/∂xᵢ = 2xᵢΣy², ∂/∂yⱼ = 2yⱼΣx².
    let (sx, sy) = (
        x.iter().map(|v| v * v).sum::<f64>(),
        y.iter().map(|v| v * v).sum::<f64>(),
    );
    let dx: Vec<f64> = x.iter().map(|v| 2.0 * v * sy).collect();
    let dy: Vec<f64> = y.iter().map(|v| 2.0 * v * sx).collect();
    close("x", &g.x, &dx, 1e-14);
    close("y", &g.y, &dy, 1e-14);
    let (_, g32) = products_grad(&[0.5f32, -1.5, 2.0], &[1.0f32, 0.25]);
    let g32x: Vec<f64> = g32.x.iter().map(|&v| v as f64).collect();
    close("x f32", &g32x, &dx, 1e-6);
    let t = ProductsGrad {
        x: vec![0.1, 0.2, 0.3],
        y: vec![-1.0, 1.0],
    };
    let (_, dv) = products_jvp(&x, &y, &t);
    let expected = 0.1 * dx[0] + 0.2 * dx[1] + 0.3 * dx[2] - dy[0] + dy[1];
    close("jvp", &[dv], &[expected], 1e-13);
}

/// A `for` over a chain whose closure collects: each row bound in turn.
#[differentiate]
pub fn row_norms(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for row in x
        .iter()
        .map(|xi| y.iter().map(|yj| xi * yj).collect::<Vec<f64>>())
    {
        s += row.iter().map(|v| v * v).sum::<f64>().sqrt();
    }
    s
}

#[test]
fn a_for_over_collected_rows() {
    let x = [0.5, -1.5, 2.0];
    let y = [1.0, 0.25, -0.5];
    let (v, g) = row_norms_grad(&x, &y);
    assert_eq!(v, row_norms(&x, &y));
    // Σᵢ |xᵢ|·|y|: ∂/∂xᵢ = sign(xᵢ)|y|, ∂/∂y = Σᵢ|xᵢ|·y/|y|.
    let ny = y.iter().map(|v| v * v).sum::<f64>().sqrt();
    let sx: f64 = x.iter().map(|v| v.abs()).sum();
    let dx: Vec<f64> = x.iter().map(|v| v.signum() * ny).collect();
    let dy: Vec<f64> = y.iter().map(|v| sx * v / ny).collect();
    close("x", &g.x, &dx, 1e-13);
    close("y", &g.y, &dy, 1e-13);
    let t = RowNormsGrad {
        x: vec![1.0, 0.0, -1.0],
        y: vec![0.0, 2.0, 0.0],
    };
    let (_, dv) = row_norms_jvp(&x, &y, &t);
    close("jvp", &[dv], &[dx[0] - dx[2] + 2.0 * dy[1]], 1e-13);
}

/// Without a type on the `let`, and a closure whose block ends in the collect.
#[differentiate]
pub fn untyped(x: &[f64], y: &[f64]) -> f64 {
    let m = x
        .iter()
        .map(|xi| {
            let s = xi * 2.0;
            y.iter().map(|yj| s * yj).collect::<Vec<f64>>()
        })
        .collect::<Vec<_>>();
    let mut t = 0.0;
    for i in 0..m.len() {
        t += m[i].iter().sum::<f64>() * x[i];
    }
    t
}

#[test]
fn without_a_type() {
    let x = [0.5, -1.5, 2.0];
    let y = [1.0, 0.25];
    let (v, g) = untyped_grad(&x, &y);
    assert_eq!(v, untyped(&x, &y));
    // Σᵢ 2xᵢ²·Σy: ∂/∂xᵢ = 4xᵢΣy, ∂/∂yⱼ = 2Σx².
    let (sx, sy) = (x.iter().map(|v| v * v).sum::<f64>(), y.iter().sum::<f64>());
    let dx: Vec<f64> = x.iter().map(|v| 4.0 * v * sy).collect();
    close("x", &g.x, &dx, 1e-14);
    close("y", &g.y, &[2.0 * sx, 2.0 * sx], 1e-14);
    let (_, dv) = untyped_jvp(
        &x,
        &y,
        &UntypedGrad {
            x: vec![1.0, 0.0, 0.0],
            y: vec![0.0, 1.0],
        },
    );
    close("jvp", &[dv], &[dx[0] + 2.0 * sx], 1e-14);
}

/// A row read before and after a write into it: each read sees the row as it was then.
#[differentiate]
pub fn written_after_read(x: &[f64], y: &[f64]) -> f64 {
    let mut m: Vec<Vec<f64>> = x
        .iter()
        .map(|a| y.iter().map(|b| a * b).collect())
        .collect();
    let before = m[0].iter().sum::<f64>();
    m[0][0] = x[1] * 3.0;
    let after = m[0].iter().map(|v| v * v).sum::<f64>();
    before * after + m[1][1]
}

#[test]
fn a_row_written_after_it_is_read() {
    let x = [0.7, -1.2];
    let y = [0.5, 2.0, -0.3];
    let (v, g) = written_after_read_grad(&x, &y);
    assert_eq!(v, written_after_read(&x, &y));
    let f = |p: &[f64]| written_after_read(&p[..2], &p[2..]);
    let point = [0.7, -1.2, 0.5, 2.0, -0.3];
    let analytic: Vec<f64> = g.x.iter().chain(&g.y).copied().collect();
    check_gradient(f, &point, &analytic, Tolerance::default()).unwrap();
    let dir = [0.3, -0.1, 1.0, 0.0, 0.5];
    let t = WrittenAfterReadGrad {
        x: dir[..2].to_vec(),
        y: dir[2..].to_vec(),
    };
    let (_, dv) = written_after_read_jvp(&x, &y, &t);
    let expected: f64 = analytic.iter().zip(&dir).map(|(a, b)| a * b).sum();
    close("jvp", &[dv], &[expected], 1e-13);
}

/// (Σx²)² through the outer-product matrix, in a `hessian` function.
#[differentiate(hessian)]
pub fn outer_square(x: &[f64]) -> f64 {
    let m: Vec<Vec<f64>> = x
        .iter()
        .map(|a| x.iter().map(|b| a * b).collect())
        .collect();
    let mut s = 0.0;
    for i in 0..m.len() {
        for j in 0..m[i].len() {
            s += m[i][j] * m[i][j];
        }
    }
    s
}

#[test]
fn a_hessian() {
    let x = [0.5, -1.0, 2.0];
    let q: f64 = x.iter().map(|v| v * v).sum();
    // ∇ = 4qx, H = 4qI + 8xxᵀ.
    let (_, g) = outer_square_grad(&x);
    let dx: Vec<f64> = x.iter().map(|v| 4.0 * q * v).collect();
    close("gradient", &g.x, &dx, 1e-13);
    let (_, grad, rows) = outer_square_hessian(&x);
    close("hessian's gradient", &grad.x, &dx, 1e-13);
    for i in 0..3 {
        let want: Vec<f64> = (0..3)
            .map(|j| 8.0 * x[i] * x[j] + if i == j { 4.0 * q } else { 0.0 })
            .collect();
        close("hessian row", &rows[i].x, &want, 1e-12);
    }
}

/// `let m: Vec<_>` with the rows' type on their `collect`.
#[differentiate]
pub fn partly_typed(x: &[f64], y: &[f64]) -> f64 {
    let m: Vec<_> = x
        .iter()
        .map(|a| y.iter().map(|b| a - b).collect::<Vec<f64>>())
        .collect();
    let mut t = 0.0;
    for i in 0..m.len() {
        t += m[i].iter().map(|v| v * v).sum::<f64>();
    }
    t
}

#[test]
fn partly_typed_rows() {
    let x = [0.5, -1.5];
    let y = [1.0, 0.25, 2.0];
    let (v, g) = partly_typed_grad(&x, &y);
    assert_eq!(v, partly_typed(&x, &y));
    // Σᵢⱼ (xᵢ − yⱼ)²: ∂/∂xᵢ = 2Σⱼ(xᵢ − yⱼ), ∂/∂yⱼ = −2Σᵢ(xᵢ − yⱼ).
    let dx: Vec<f64> = x
        .iter()
        .map(|a| y.iter().map(|b| 2.0 * (a - b)).sum())
        .collect();
    let dy: Vec<f64> = y
        .iter()
        .map(|b| x.iter().map(|a| -2.0 * (a - b)).sum())
        .collect();
    close("x", &g.x, &dx, 1e-14);
    close("y", &g.y, &dy, 1e-14);
}
