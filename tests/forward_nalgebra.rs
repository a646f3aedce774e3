//! Forward mode on nalgebra values: the matrix rules' forward helpers (products, transpose,
//! reductions, elementwise maps, `nn`), static and dynamic shapes, an affine-tanh layer with
//! a vector output (J·v against central differences, ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩ against `f_vjp`),
//! and a parameter struct of matrices.
#![cfg(feature = "nalgebra")]
#![allow(clippy::needless_range_loop)]

#[path = "support/forward.rs"]
mod forward;

use forward::{check_scalar, check_vector, points};
use nalgebra::{DMatrix, DVector, Matrix2x3, Matrix3, RowDVector, Vector3};
use tapeless::{differentiate, nn};

/// Splits a flat vector into an r×c matrix (column-major) and the rest.
fn take_matrix(flat: &[f64], r: usize, c: usize) -> (DMatrix<f64>, &[f64]) {
    (
        DMatrix::from_column_slice(r, c, &flat[..r * c]),
        &flat[r * c..],
    )
}

#[differentiate]
fn mixed(a: &DMatrix<f64>, b: &DMatrix<f64>, s: f64) -> f64 {
    let c = a * b;
    let d = c.transpose();
    let e = d.component_mul(&d).add_scalar(s);
    e.sum() + c.trace() * 0.5 + e.mean() + (a * 2.0 - b.transpose()).norm()
}

#[test]
fn matrix_rules() {
    let split = |x: &[f64]| {
        let (a, rest) = take_matrix(x, 3, 3);
        let (b, rest) = take_matrix(rest, 3, 3);
        (a, b, rest[0])
    };
    check_scalar(
        "mixed",
        &points(19, 10),
        |x| {
            let (a, b, s) = split(x);
            mixed(&a, &b, s)
        },
        |x, v| {
            let ((a, b, s), (ta, tb, ts)) = (split(x), split(v));
            mixed_jvp(
                &a,
                &b,
                s,
                &MixedGrad {
                    a: ta,
                    b: tb,
                    s: ts,
                },
            )
        },
        |x| {
            let (a, b, s) = split(x);
            let g = mixed_grad(&a, &b, s).1;
            [g.a.as_slice(), g.b.as_slice(), &[g.s]].concat()
        },
    );
}

#[differentiate]
fn static_shapes(m: &Matrix3<f64>, v: Vector3<f64>, r: &Matrix2x3<f64>) -> f64 {
    let w = m * v;
    let z = r * w;
    z.norm_squared() + m.determinant() + w.component_div(&v.add_scalar(3.0)).sum()
}

#[differentiate]
fn inverse_and_solve(a: &Matrix3<f64>, b: &DMatrix<f64>, c: &DVector<f64>) -> f64 {
    let inverse = a.try_inverse().unwrap();
    let x = b.clone().lu().solve(c).unwrap();
    inverse.sum() + x.norm_squared()
}

#[test]
fn static_matrices_inverse_and_solve() {
    let split = |x: &[f64]| {
        (
            Matrix3::from_column_slice(&x[..9]),
            Vector3::from_column_slice(&x[9..12]),
            Matrix2x3::from_column_slice(&x[12..18]),
        )
    };
    check_scalar(
        "static_shapes",
        &points(18, 10),
        |x| {
            let (m, v, r) = split(x);
            static_shapes(&m, v, &r)
        },
        |x, t| {
            let ((m, v, r), (tm, tv, tr)) = (split(x), split(t));
            static_shapes_jvp(
                &m,
                v,
                &r,
                &StaticShapesGrad {
                    m: tm,
                    v: tv,
                    r: tr,
                },
            )
        },
        |x| {
            let (m, v, r) = split(x);
            let g = static_shapes_grad(&m, v, &r).1;
            [g.m.as_slice(), g.v.as_slice(), g.r.as_slice()].concat()
        },
    );
    // Well-conditioned matrices: the identity plus small entries.
    let split = |x: &[f64]| {
        let a = Matrix3::from_column_slice(&x[..9]) * 0.2 + Matrix3::identity();
        let b = DMatrix::from_column_slice(3, 3, &x[9..18]) * 0.2 + DMatrix::identity(3, 3);
        (a, b, DVector::from_column_slice(&x[18..21]))
    };
    check_scalar(
        "inverse_and_solve",
        &points(21, 10),
        |x| {
            let (a, b, c) = split(x);
            inverse_and_solve(&a, &b, &c)
        },
        |x, t| {
            let (a, b, c) = split(x);
            let tangent = InverseAndSolveGrad {
                a: Matrix3::from_column_slice(&t[..9]) * 0.2,
                b: DMatrix::from_column_slice(3, 3, &t[9..18]) * 0.2,
                c: DVector::from_column_slice(&t[18..21]),
            };
            inverse_and_solve_jvp(&a, &b, &c, &tangent)
        },
        |x| {
            let (a, b, c) = split(x);
            let g = inverse_and_solve_grad(&a, &b, &c).1;
            let scaled_a: Vec<f64> = g.a.iter().map(|v| v * 0.2).collect();
            let scaled_b: Vec<f64> = g.b.iter().map(|v| v * 0.2).collect();
            [scaled_a.as_slice(), scaled_b.as_slice(), g.c.as_slice()].concat()
        },
    );
}

/// An affine-tanh layer: a vector output.
#[differentiate]
fn affine_tanh(w: &DMatrix<f64>, b: &DVector<f64>, x: &DVector<f64>) -> DVector<f64> {
    let z = w * x + b;
    nn::tanh(&z)
}

/// A layer through `.map` of a closure, `nn::sigmoid` and a softmax cross-entropy.
#[differentiate(wrt(w, bias))]
fn classifier(w: &DMatrix<f64>, bias: &DVector<f64>, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let z = w * x + bias * ones;
    let h = z.map(|v| v * v + 1.0);
    let c = z.transpose().norm();
    nn::cross_entropy(&nn::sigmoid(&h), labels) + nn::log_sum_exp(&(bias * 2.0)) + c
}

#[test]
fn layers() {
    let split = |x: &[f64]| {
        let (w, rest) = take_matrix(x, 2, 3);
        (
            w,
            DVector::from_column_slice(&rest[..2]),
            DVector::from_column_slice(&rest[2..5]),
        )
    };
    check_vector(
        "affine_tanh",
        &points(11, 10),
        |x| {
            let (w, b, v) = split(x);
            affine_tanh(&w, &b, &v).as_slice().to_vec()
        },
        |x, t| {
            let ((w, b, v), (tw, tb, tv)) = (split(x), split(t));
            let (y, dy) = affine_tanh_jvp(
                &w,
                &b,
                &v,
                &AffineTanhGrad {
                    w: tw,
                    b: tb,
                    x: tv,
                },
            );
            (y.as_slice().to_vec(), dy.as_slice().to_vec())
        },
        |x, seed| {
            let (w, b, v) = split(x);
            let g = affine_tanh_vjp(&w, &b, &v, DVector::from_column_slice(seed)).1;
            [g.w.as_slice(), g.b.as_slice(), g.x.as_slice()].concat()
        },
    );
    let data = DMatrix::from_fn(3, 4, |i, j| (i as f64 - j as f64) * 0.3);
    let labels = [0, 1, 1, 0];
    let split = |x: &[f64]| {
        let (w, rest) = take_matrix(x, 2, 3);
        (w, DVector::from_column_slice(rest))
    };
    check_scalar(
        "classifier",
        &points(8, 10),
        |x| {
            let (w, b) = split(x);
            classifier(&w, &b, &data, &labels)
        },
        |x, t| {
            let ((w, b), (tw, tb)) = (split(x), split(t));
            classifier_jvp(&w, &b, &data, &labels, &ClassifierGrad { w: tw, bias: tb })
        },
        |x| {
            let (w, b) = split(x);
            let g = classifier_grad(&w, &b, &data, &labels).1;
            [g.w.as_slice(), g.bias.as_slice()].concat()
        },
    );
}

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[differentiate(wrt(layer))]
fn layer_energy(layer: &Layer, x: &DVector<f64>) -> f64 {
    let y = &layer.w * x + &layer.b;
    y.dot(&y) + layer.w.norm_squared()
}

#[test]
fn parameter_struct_of_matrices() {
    let x = DVector::from_column_slice(&[0.5, -1.0, 2.0]);
    let split = |p: &[f64]| {
        let (w, rest) = take_matrix(p, 2, 3);
        Layer {
            w,
            b: DVector::from_column_slice(rest),
        }
    };
    check_scalar(
        "layer_energy",
        &points(8, 10),
        |p| layer_energy(&split(p), &x),
        |p, t| layer_energy_jvp(&split(p), &x, &LayerEnergyGrad { layer: split(t) }),
        |p| {
            let g = layer_energy_grad(&split(p), &x).1.layer;
            [g.w.as_slice(), g.b.as_slice()].concat()
        },
    );
}
