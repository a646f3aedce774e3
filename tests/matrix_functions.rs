//! nalgebra vectors and matrices through `#[differentiate]`: every matrix rule the macro
//! emits, checked end to end against central differences (static and dynamic shapes), and
//! the ReLU neuron of the lectures against its closed form.
#![cfg(feature = "nalgebra")]
// The lecture's neuron is written as the lecture writes it: a sum over samples by index.
#![allow(clippy::needless_range_loop)]

use nalgebra::{DMatrix, DVector, Matrix2x3, Matrix3, RowDVector, Vector3};
use tapeless::check::central_difference;
use tapeless::differentiate;

/// |a − b| ≤ 1e-6·max(1, |a|, |b|) for every coordinate.
fn assert_close(analytic: &[f64], numeric: &[f64]) {
    assert_eq!(analytic.len(), numeric.len());
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        let scale = 1f64.max(a.abs()).max(n.abs());
        assert!(
            (a - n).abs() <= 1e-6 * scale,
            "coordinate {i}: {a} vs {n}\n{analytic:?}\n{numeric:?}"
        );
    }
}

fn dmatrix(rows: usize, cols: usize, seed: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |i, j| {
        ((i * 7 + j * 3) as f64 * 0.37 + seed).sin()
    })
}

fn dvector(n: usize, seed: f64) -> DVector<f64> {
    DVector::from_fn(n, |i, _| ((i * 5) as f64 * 0.41 + seed).cos())
}

// ---- matrix product and dot: ∇_A ‖Ax‖² = 2(Ax)xᵀ, ∇_x = 2Aᵀ(Ax) ----

#[differentiate]
fn squared_image(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = a * x;
    y.dot(&y)
}

#[test]
fn matrix_vector_product_has_the_closed_form_gradient() {
    let (a, x) = (dmatrix(3, 4, 0.2), dvector(4, 0.5));
    let (value, grad) = squared_image_grad(&a, &x);
    assert_eq!(value, squared_image(&a, &x));
    let y = &a * &x;
    assert_close(grad.a.as_slice(), (2.0 * &y * x.transpose()).as_slice());
    assert_close(grad.x.as_slice(), (2.0 * a.transpose() * &y).as_slice());
}

// ---- matrix · matrix, transpose, trace, component_mul, sum, mean, add_scalar, norm ----

#[differentiate]
fn mixed(a: &DMatrix<f64>, b: &DMatrix<f64>, s: f64) -> f64 {
    let c = a * b;
    let d = c.transpose();
    let e = d.component_mul(&d).add_scalar(s);
    e.sum() + c.trace() * 0.5 + e.mean() + (a * 2.0 - b.transpose()).norm()
}

#[test]
fn matrix_methods_match_central_differences() {
    let (a, b, s) = (dmatrix(3, 3, 0.1), dmatrix(3, 3, 0.9), 0.3);
    let (value, grad) = mixed_grad(&a, &b, s);
    assert_eq!(value, mixed(&a, &b, s));
    let mut p: Vec<f64> = a.iter().chain(b.iter()).copied().collect();
    p.push(s);
    let f = |q: &[f64]| {
        mixed(
            &DMatrix::from_column_slice(3, 3, &q[..9]),
            &DMatrix::from_column_slice(3, 3, &q[9..18]),
            q[18],
        )
    };
    let mut analytic: Vec<f64> = grad.a.iter().chain(grad.b.iter()).copied().collect();
    analytic.push(grad.s);
    assert_close(&analytic, &central_difference(f, &p));
}

// ---- static sizes ----

#[differentiate]
fn static_shapes(m: &Matrix3<f64>, v: Vector3<f64>, r: &Matrix2x3<f64>) -> f64 {
    let w = m * v;
    let z = r * w;
    z.norm_squared() + m.determinant() + w.component_div(&v.add_scalar(3.0)).sum()
}

#[test]
fn static_matrices_match_central_differences() {
    let m =
        Matrix3::from_fn(|i, j| ((i * 3 + j) as f64 * 0.3).sin() + if i == j { 2.0 } else { 0.0 });
    let v = Vector3::new(0.3, -0.7, 1.1);
    let r = Matrix2x3::from_fn(|i, j| ((i + 2 * j) as f64 * 0.5).cos());
    let (value, grad) = static_shapes_grad(&m, v, &r);
    assert_eq!(value, static_shapes(&m, v, &r));
    let mut p: Vec<f64> = m.iter().chain(v.iter()).chain(r.iter()).copied().collect();
    let f = |q: &[f64]| {
        static_shapes(
            &Matrix3::from_column_slice(&q[..9]),
            Vector3::from_column_slice(&q[9..12]),
            &Matrix2x3::from_column_slice(&q[12..18]),
        )
    };
    let analytic: Vec<f64> = grad
        .m
        .iter()
        .chain(grad.v.iter())
        .chain(grad.r.iter())
        .copied()
        .collect();
    let numeric = central_difference(f, &p);
    assert_close(&analytic, &numeric);
    p.clear();
}

// ---- inverse and linear solve ----

#[differentiate]
fn inverse_sum(a: &Matrix3<f64>) -> f64 {
    let inverse = a.try_inverse().unwrap();
    inverse.sum()
}

#[differentiate]
fn solve_norm(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let x = a.clone().lu().solve(b).unwrap();
    x.norm_squared()
}

#[test]
fn inverse_and_solve_match_central_differences() {
    let a = Matrix3::new(3.0, 0.5, -0.2, 0.1, 2.5, 0.4, -0.3, 0.2, 4.0);
    let (value, grad) = inverse_sum_grad(&a);
    assert_eq!(value, inverse_sum(&a));
    let numeric = central_difference(
        |q| inverse_sum(&Matrix3::from_column_slice(q)),
        a.as_slice(),
    );
    assert_close(grad.a.as_slice(), &numeric);

    let a = DMatrix::from_fn(4, 4, |i, j| {
        if i == j {
            3.0
        } else {
            ((i + 2 * j) as f64).sin() * 0.4
        }
    });
    let b = dvector(4, 0.3);
    let (value, grad) = solve_norm_grad(&a, &b);
    assert_eq!(value, solve_norm(&a, &b));
    let mut p: Vec<f64> = a.iter().chain(b.iter()).copied().collect();
    let f = |q: &[f64]| {
        solve_norm(
            &DMatrix::from_column_slice(4, 4, &q[..16]),
            &DVector::from_column_slice(&q[16..]),
        )
    };
    let analytic: Vec<f64> = grad.a.iter().chain(grad.b.iter()).copied().collect();
    assert_close(&analytic, &central_difference(f, &p));
    p.clear();
}

// ---- map with a differentiated scalar closure, and bias broadcast by an outer product ----

#[differentiate]
fn layer(w: &DMatrix<f64>, bias: &DVector<f64>, x: &DMatrix<f64>) -> f64 {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let z = w * x + bias * ones;
    let h = z.map(|v| 1.0 / (1.0 + (-v).exp()));
    h.sum()
}

#[test]
fn map_and_bias_broadcast_match_central_differences() {
    let (w, bias, x) = (dmatrix(3, 4, 0.4), dvector(3, 0.1), dmatrix(4, 5, 1.3));
    let (value, grad) = layer_grad(&w, &bias, &x);
    assert_eq!(value, layer(&w, &bias, &x));
    let mut p: Vec<f64> = w
        .iter()
        .chain(bias.iter())
        .chain(x.iter())
        .copied()
        .collect();
    let f = |q: &[f64]| {
        layer(
            &DMatrix::from_column_slice(3, 4, &q[..12]),
            &DVector::from_column_slice(&q[12..15]),
            &DMatrix::from_column_slice(4, 5, &q[15..]),
        )
    };
    let analytic: Vec<f64> = grad
        .w
        .iter()
        .chain(grad.bias.iter())
        .chain(grad.x.iter())
        .copied()
        .collect();
    assert_close(&analytic, &central_difference(f, &p));
    p.clear();
}

// ---- the ReLU neuron of the lectures ----

/// C(w, b) = (1/N) Σᵢ (yᵢ − max(0, w·xᵢ + b))², with xᵢ the columns of x.
#[differentiate(wrt(w, b))]
fn relu_neuron(w: &DVector<f64>, b: f64, x: &DMatrix<f64>, y: &[f64]) -> f64 {
    let n = y.len();
    let mut cost = 0.0;
    for i in 0..n {
        let z = w.dot(&x.column(i)) + b;
        let a = z.max(0.0);
        cost += (y[i] - a) * (y[i] - a);
    }
    cost / (n as f64)
}

#[test]
fn relu_neuron_has_the_closed_form_gradient() {
    // ∂C/∂w = −(2/N) Σ_{zᵢ>0} (yᵢ − zᵢ) xᵢ, ∂C/∂b = −(2/N) Σ_{zᵢ>0} (yᵢ − zᵢ).
    let x = dmatrix(3, 6, 0.7);
    let w = DVector::from_vec(vec![0.8, -0.4, 0.6]);
    let b = 0.1;
    let y: Vec<f64> = (0..6).map(|i| (i as f64 * 0.9).sin()).collect();
    let (value, grad) = relu_neuron_grad(&w, b, &x, &y);
    assert_eq!(value, relu_neuron(&w, b, &x, &y));
    let n = y.len() as f64;
    let mut dw = DVector::zeros(3);
    let mut db = 0.0;
    let mut active = 0;
    for i in 0..y.len() {
        let z = w.dot(&x.column(i)) + b;
        assert!(z.abs() > 1e-3, "a sample sits on the kink");
        if z > 0.0 {
            active += 1;
            dw -= (2.0 / n) * (y[i] - z) * x.column(i);
            db -= (2.0 / n) * (y[i] - z);
        }
    }
    assert!(
        active > 0 && active < y.len(),
        "both sides of the kink are exercised"
    );
    assert_close(grad.w.as_slice(), dw.as_slice());
    assert_close(&[grad.b], &[db]);
}

// ---- a two-layer perceptron: sigmoid hidden layer, softmax + cross-entropy ----

#[differentiate(wrt(w1, b1, w2, b2))]
fn mlp_loss(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    x: &DMatrix<f64>,
    labels: &[usize],
) -> f64 {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let h = tapeless::nn::sigmoid(&(w1 * x + b1 * &ones));
    let logits = w2 * h + b2 * &ones;
    tapeless::nn::cross_entropy(&logits, labels)
}

/// Backpropagation written by hand, the way a textbook derives it.
fn mlp_backprop(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    x: &DMatrix<f64>,
    labels: &[usize],
) -> (DMatrix<f64>, DVector<f64>, DMatrix<f64>, DVector<f64>) {
    let n = x.ncols() as f64;
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let z1 = w1 * x + b1 * &ones;
    let h = z1.map(|v| 1.0 / (1.0 + (-v).exp()));
    let logits = w2 * &h + b2 * &ones;
    let mut dz2 = DMatrix::zeros(logits.nrows(), logits.ncols());
    for (j, mut column) in dz2.column_iter_mut().enumerate() {
        let z = logits.column(j);
        let m = z.max();
        let e = z.map(|v| (v - m).exp());
        let p = &e / e.sum();
        column.copy_from(&p);
        column[labels[j]] -= 1.0;
    }
    dz2 /= n;
    let dw2 = &dz2 * h.transpose();
    let db2 = dz2.column_sum();
    let dh = w2.transpose() * &dz2;
    let dz1 = dh.component_mul(&h.map(|v| v * (1.0 - v)));
    let dw1 = &dz1 * x.transpose();
    let db1 = dz1.column_sum();
    (dw1, db1, dw2, db2)
}

#[test]
fn mlp_gradient_matches_backprop_and_central_differences() {
    let (w1, b1, w2, b2) = (
        dmatrix(4, 3, 0.2),
        dvector(4, 0.7),
        dmatrix(2, 4, 1.1),
        dvector(2, 0.4),
    );
    let x = dmatrix(3, 5, 2.3);
    let labels = [0, 1, 1, 0, 1];
    let (value, grad) = mlp_loss_grad(&w1, &b1, &w2, &b2, &x, &labels);
    assert_eq!(value, mlp_loss(&w1, &b1, &w2, &b2, &x, &labels));
    let (dw1, db1, dw2, db2) = mlp_backprop(&w1, &b1, &w2, &b2, &x, &labels);
    assert_close(grad.w1.as_slice(), dw1.as_slice());
    assert_close(grad.b1.as_slice(), db1.as_slice());
    assert_close(grad.w2.as_slice(), dw2.as_slice());
    assert_close(grad.b2.as_slice(), db2.as_slice());

    let p: Vec<f64> = w1
        .iter()
        .chain(b1.iter())
        .chain(w2.iter())
        .chain(b2.iter())
        .copied()
        .collect();
    let f = |q: &[f64]| {
        mlp_loss(
            &DMatrix::from_column_slice(4, 3, &q[..12]),
            &DVector::from_column_slice(&q[12..16]),
            &DMatrix::from_column_slice(2, 4, &q[16..24]),
            &DVector::from_column_slice(&q[24..26]),
            &x,
            &labels,
        )
    };
    let analytic: Vec<f64> = grad
        .w1
        .iter()
        .chain(grad.b1.iter())
        .chain(grad.w2.iter())
        .chain(grad.b2.iter())
        .copied()
        .collect();
    assert_close(&analytic, &central_difference(f, &p));
}
