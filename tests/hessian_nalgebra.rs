//! `#[differentiate(hessian)]` of functions of nalgebra vectors and matrices: the reverse
//! sweep runs over matrices of dual numbers (`Dual` is nalgebra's `RealField`). Against
//! closed forms (a quadratic form, a norm, a log-sum-exp of an affine map) and central
//! differences of the gradient; Hessian symmetry; `f_hvp` against `f_hessian`.

use nalgebra::{DMatrix, DVector, Matrix2, RealField, SVector, Vector2, Vector3};
use tapeless::differentiate;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * (1.0 + a.abs().max(b.abs()))
}

/// xᵀAx: H = A + Aᵀ (with respect to x).
#[differentiate(hessian, wrt(x))]
fn quadratic_form(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = a * x;
    x.dot(&y)
}

#[test]
fn quadratic_form_hessian_is_a_plus_a_transpose() {
    let a = DMatrix::from_row_slice(3, 3, &[1.0, 2.0, 0.5, -1.0, 3.0, 0.0, 0.25, 4.0, 2.0]);
    let x = DVector::from_vec(vec![0.3, -0.7, 1.1]);
    let (value, _, rows) = quadratic_form_hessian(&a, &x);
    assert_eq!(value, quadratic_form(&a, &x));
    let expect = &a + a.transpose();
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        for j in 0..3 {
            assert!(close(row.x[j], expect[(i, j)], 1e-13), "H[{i}][{j}]");
        }
    }
    // f_hvp: gradient (A + Aᵀ)x and H·v.
    let v = QuadraticFormGrad {
        x: DVector::from_vec(vec![1.0, -2.0, 0.5]),
    };
    let (_, g, hv) = quadratic_form_hvp(&a, &x, &v);
    assert!((g.x - &expect * &x).norm() < 1e-13);
    assert!((hv.x - &expect * &v.x).norm() < 1e-13);
}

/// |x| + Σ exp(w·x): a norm and an elementwise map over a fixed-size vector.
#[differentiate(hessian)]
fn norm_and_exp(x: &Vector3<f64>, w: f64) -> f64 {
    let e = x.map(|v| (v * 0.5).exp());
    x.norm() + w * e.sum()
}

fn gradient_flat(x: &[f64]) -> Vec<f64> {
    let (_, g) = norm_and_exp_grad(&Vector3::new(x[0], x[1], x[2]), x[3]);
    vec![g.x[0], g.x[1], g.x[2], g.w]
}

#[test]
fn norm_and_exp_hessian_matches_differences_of_the_gradient() {
    let x = Vector3::new(0.4, -1.2, 0.9);
    let w = 0.7;
    let (_, _, rows) = norm_and_exp_hessian(&x, w);
    assert_eq!(rows.len(), 4);
    let flat: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| vec![r.x[0], r.x[1], r.x[2], r.w])
        .collect();
    let point = [x[0], x[1], x[2], w];
    for j in 0..4 {
        let h = 1e-5;
        let mut plus = point;
        let mut minus = point;
        plus[j] += h;
        minus[j] -= h;
        let (gp, gm) = (gradient_flat(&plus), gradient_flat(&minus));
        for i in 0..4 {
            let fd = (gp[i] - gm[i]) / (2.0 * h);
            assert!(
                close(flat[i][j], fd, 1e-7),
                "H[{i}][{j}] = {} vs {fd}",
                flat[i][j]
            );
            assert!(close(flat[i][j], flat[j][i], 1e-12), "symmetry [{i}][{j}]");
        }
    }
    // Closed form of the x-block: (I − x̂x̂ᵀ)/|x| + w/4·diag(exp(x/2)).
    let n = x.norm();
    for i in 0..3 {
        for j in 0..3 {
            let mut expect = -x[i] * x[j] / (n * n * n);
            if i == j {
                expect += 1.0 / n + w * 0.25 * (x[i] * 0.5).exp();
            }
            assert!(close(flat[i][j], expect, 1e-12), "closed form [{i}][{j}]");
        }
    }
}

/// log Σᵢ exp((Wx + b)ᵢ) on fixed-size nalgebra values: the log-sum-exp of an affine map,
/// H_x = Wᵀ(diag(p) − ppᵀ)W with p = softmax(Wx + b).
#[differentiate(hessian, wrt(x))]
fn lse_affine(w: &Matrix2<f64>, b: &Vector2<f64>, x: &SVector<f64, 2>) -> f64 {
    let z = w * x + b;
    let m = z[0].max(z[1]);
    let s = (z[0] - m).exp() + (z[1] - m).exp();
    m + s.ln()
}

#[test]
fn log_sum_exp_of_an_affine_map() {
    let w = Matrix2::new(0.5, -1.0, 2.0, 0.25);
    let b = Vector2::new(0.1, -0.3);
    let x = Vector2::new(0.8, 0.6);
    let (value, _, rows) = lse_affine_hessian(&w, &b, &x);
    assert_eq!(value, lse_affine(&w, &b, &x));
    let z = w * x + b;
    let e = z.map(|v| v.exp());
    let p = e / e.sum();
    let middle = Matrix2::from_diagonal(&p) - p * p.transpose();
    let expect = w.transpose() * middle * w;
    for i in 0..2 {
        for j in 0..2 {
            assert!(close(rows[i].x[j], expect[(i, j)], 1e-12), "H[{i}][{j}]");
        }
    }
}

/// A generic function of a matrix: its own `f_vjp` runs over `Dual<T>`.
#[differentiate(hessian)]
fn generic_quartic<T: RealField + Copy>(x: &DVector<T>) -> T {
    let s = x.dot(x);
    s * s
}

#[test]
fn generic_matrix_function() {
    let x = DVector::<f64>::from_vec(vec![0.5, -1.0]);
    let (_, _, rows) = generic_quartic_hessian(&x);
    // f = |x|⁴: H = 4|x|²I + 8xxᵀ.
    let s = x.dot(&x);
    for i in 0..2 {
        for j in 0..2 {
            let expect = 8.0 * x[i] * x[j] + if i == j { 4.0 * s } else { 0.0 };
            assert!(close(rows[i].x[j], expect, 1e-12), "H[{i}][{j}]");
        }
    }
}

/// A scalar function generic over nalgebra's `RealField` (`Dual<T>` is one).
#[differentiate(hessian)]
fn real_field_cubic<T: RealField + Copy>(x: T, y: T) -> T {
    x * x * y + y.sin()
}

#[test]
fn real_field_generic_scalar_function() {
    let (x, y) = (0.7_f64, -0.4_f64);
    let (_, _, rows) = real_field_cubic_hessian(x, y);
    // H = [[2y, 2x], [2x, −sin y]].
    assert!(close(rows[0].x, 2.0 * y, 1e-14));
    assert!(close(rows[0].y, 2.0 * x, 1e-14));
    assert!(close(rows[1].x, 2.0 * x, 1e-14));
    assert!(close(rows[1].y, -y.sin(), 1e-14));
}
