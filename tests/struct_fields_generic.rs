//! Parameter structs in generic code and matrix fields read by value (issue 12): a struct
//! generic over its float type with bounds (`struct P<T: Float>`) as the parameter of a
//! generic function (the gradient struct repeats the bounds), and `p.m * p.m.transpose()`
//! on a `Matrix2` field (its adjoint was declared a scalar). f64 and f32, against closed
//! forms and central differences.

use nalgebra::{Matrix2, RealField, Vector2};
use num_traits::Float;
use tapeless::check::central_difference;
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Affine<T: Float> {
    pub a: T,
    pub b: T,
}

/// (a·x + b)², generic, the bound inline.
#[differentiate]
pub fn affine_sq<T: Float>(p: &Affine<T>, x: T) -> T {
    let y = p.a * x + p.b;
    y * y
}

/// The same, the bound in a `where` clause.
#[differentiate]
pub fn affine_sq_where<T>(p: &Affine<T>, x: T) -> T
where
    T: Float,
{
    let y = p.a * x + p.b;
    y * y
}

#[test]
fn generic_struct_with_bounds_f64() {
    let p = Affine { a: 1.5, b: -0.5 };
    let x = 0.8;
    let y = 1.5 * x - 0.5;
    let (v1, g1) = affine_sq_grad(&p, x);
    let (v2, g2) = affine_sq_where_grad(&p, x);
    for (value, (pa, pb, gx)) in [(v1, (g1.p.a, g1.p.b, g1.x)), (v2, (g2.p.a, g2.p.b, g2.x))] {
        assert_eq!(value, affine_sq(&p, x));
        assert!((pa - 2.0 * y * x).abs() < 1e-12);
        assert!((pb - 2.0 * y).abs() < 1e-12);
        assert!((gx - 2.0 * y * 1.5).abs() < 1e-12);
    }
}

#[test]
fn generic_struct_with_bounds_f32() {
    let p = Affine { a: 1.5f32, b: -0.5 };
    let x = 0.8f32;
    let y = 1.5 * x - 0.5;
    let (v1, g1) = affine_sq_grad(&p, x);
    let (v2, g2) = affine_sq_where_grad(&p, x);
    for (value, (pa, pb, gx)) in [(v1, (g1.p.a, g1.p.b, g1.x)), (v2, (g2.p.a, g2.p.b, g2.x))] {
        assert_eq!(value, affine_sq(&p, x));
        assert!((pa - 2.0 * y * x).abs() < 1e-5);
        assert!((pb - 2.0 * y).abs() < 1e-5);
        assert!((gx - 2.0 * y * 1.5).abs() < 1e-5);
    }
}

/// A struct generic over its float type with a matrix field, used by concrete functions.
#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Metric<T: RealField + Copy> {
    pub m: Matrix2<T>,
}

/// ‖M Mᵀ x‖².
#[differentiate]
pub fn metric_norm(p: &Metric<f64>, x: &Vector2<f64>) -> f64 {
    let s = p.m * p.m.transpose();
    (s * x).norm_squared()
}

#[differentiate]
pub fn metric_norm32(p: &Metric<f32>, x: &Vector2<f32>) -> f32 {
    let s = p.m * p.m.transpose();
    (s * x).norm_squared()
}

/// The flattened point: M's four entries (column-major), then x.
fn metric_of(v: &[f64]) -> (Metric<f64>, Vector2<f64>) {
    (
        Metric {
            m: Matrix2::from_column_slice(&v[..4]),
        },
        Vector2::new(v[4], v[5]),
    )
}

#[test]
fn matrix_field_by_value_f64() {
    let point = [1.0, 0.5, 2.0, -1.0, 0.3, 0.7];
    let (p, x) = metric_of(&point);
    let (value, grad) = metric_norm_grad(&p, &x);
    assert_eq!(value, metric_norm(&p, &x));
    let fd = central_difference(
        |v: &[f64]| {
            let (p, x) = metric_of(v);
            metric_norm(&p, &x)
        },
        &point,
    );
    let analytic: Vec<f64> = grad.p.m.iter().chain(grad.x.iter()).copied().collect();
    for (a, n) in analytic.iter().zip(&fd) {
        assert!(
            (a - n).abs() < 1e-6 * a.abs().max(1.0),
            "{analytic:?} vs {fd:?}"
        );
    }
}

#[test]
fn matrix_field_by_value_f32() {
    let point = [1.0, 0.5, 2.0, -1.0, 0.3, 0.7];
    let p = Metric {
        m: Matrix2::from_column_slice(&[1.0f32, 0.5, 2.0, -1.0]),
    };
    let x = Vector2::new(0.3f32, 0.7);
    let (value, grad) = metric_norm32_grad(&p, &x);
    assert_eq!(value, metric_norm32(&p, &x));
    let fd = central_difference(
        |v: &[f64]| {
            let (p, x) = metric_of(v);
            metric_norm(&p, &x)
        },
        &point,
    );
    let analytic: Vec<f64> = grad
        .p
        .m
        .iter()
        .chain(grad.x.iter())
        .map(|&v| f64::from(v))
        .collect();
    for (a, n) in analytic.iter().zip(&fd) {
        assert!(
            (a - n).abs() < 1e-4 * a.abs().max(1.0),
            "{analytic:?} vs {fd:?}"
        );
    }
}
