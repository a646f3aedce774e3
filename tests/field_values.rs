//! A nalgebra value in a field of a parameter struct, read by value (`p.w * 2.0`,
//! `self.w * 2.0`, `x * net.pts[i]`): the macro sees no types, so what arithmetic makes of
//! a field's value may be a vector, and its adjoint must not be started as a scalar's (the
//! literal `-0.0`). Found by QA (session 31: rustc E0308 inside generated code, in the
//! reverse sweep's `norm_vjp`, `mul_vjp_rhs`, `div_vjp_rhs`). Oracles: closed forms,
//! central differences, and `f_jvp` against `f_vjp` by the dot-product test; f64 and
//! generic code in f32.
#![cfg(feature = "nalgebra")]
// Written as users write them: index loops, `acc = acc + ..`, `&w * x`.
#![allow(clippy::needless_range_loop, clippy::assign_op_pattern, clippy::op_ref)]

use nalgebra::{RealField, Vector2, Vector3};
use tapeless::check::central_difference;
use tapeless::{differentiate, Parameters};

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Pw {
    w: Vector3<f64>,
    s: f64,
}

fn pw(q: &[f64]) -> Pw {
    Pw {
        w: Vector3::new(q[0], q[1], q[2]),
        s: q[3],
    }
}

fn flat<P: Parameters<f64>>(p: &P) -> Vec<f64> {
    let mut out = vec![0.0; p.len()];
    p.write_to(&mut out);
    out
}

#[path = "support/close.rs"]
mod support;
use support::close;

const Q: [f64; 4] = [0.3, -0.4, 1.2, 0.7];

#[differentiate]
fn field_scaled(p: &Pw) -> f64 {
    let k = p.w * 2.0;
    k.norm()
}

#[test]
fn a_field_times_a_scalar_then_its_norm() {
    let p = pw(&Q);
    let (v, g) = field_scaled_grad(&p);
    assert!((v - 2.0 * p.w.norm()).abs() < 1e-14);
    assert!((g.p.w - 2.0 * p.w / p.w.norm()).norm() < 1e-14);
    assert_eq!(g.p.s, 0.0);
}

#[differentiate]
fn field_divided(p: &Pw, x: f64) -> Vector3<f64> {
    let k = p.w * x;
    k / 3.0
}

#[test]
fn a_vector_result_divided_by_a_constant() {
    let p = pw(&Q);
    let x = 1.7;
    let seed = Vector3::new(0.5, -1.5, 2.0);
    let (v, g) = field_divided_vjp(&p, x, seed);
    assert!((v - p.w * x / 3.0).norm() < 1e-15);
    assert!((g.p.w - seed * x / 3.0).norm() < 1e-15);
    assert!((g.x - seed.dot(&p.w) / 3.0).abs() < 1e-15);
    // ⟨J t, seed⟩ = ⟨t, Jᵀ seed⟩.
    let t = FieldDividedGrad {
        p: pw(&[0.2, 0.9, -0.3, 0.4]),
        x: -0.6,
    };
    let (_, jt) = field_divided_jvp(&p, x, &t);
    let right = flat(&g.p)
        .iter()
        .zip(flat(&t.p))
        .map(|(a, b)| a * b)
        .sum::<f64>()
        + g.x * t.x;
    assert!((jt.dot(&seed) - right).abs() < 1e-14);
}

#[differentiate]
fn field_sum_and_scalar(p: &Pw, x: f64) -> f64 {
    let a = p.w + p.w * p.s;
    let b = -a * x;
    b.dot(&p.w) + p.s * x
}

#[test]
fn fields_mixed_with_a_scalar_field() {
    let x = 0.8;
    let (_, g) = field_sum_and_scalar_grad(&pw(&Q), x);
    let fd = central_difference(|q| field_sum_and_scalar(&pw(q), x), &Q);
    close("sum_and_scalar", &flat(&g.p), &fd, 1e-8);
    let fd_x = central_difference(|q| field_sum_and_scalar(&pw(&Q), q[0]), &[x]);
    close("sum_and_scalar x", &[g.x], &fd_x, 1e-8);
}

#[differentiate]
fn field_in_a_loop(p: &Pw, xs: &[f64]) -> f64 {
    let mut acc = p.w * 0.0;
    for i in 0..xs.len() {
        acc = acc + p.w * xs[i] * p.s;
    }
    acc.norm_squared()
}

#[test]
fn a_field_accumulated_in_a_loop() {
    let xs = [0.5, -1.25, 2.0];
    let (_, g) = field_in_a_loop_grad(&pw(&Q), &xs);
    let fd = central_difference(|q| field_in_a_loop(&pw(q), &xs), &Q);
    close("loop", &flat(&g.p), &fd, 1e-8);
    let fd_xs = central_difference(|q| field_in_a_loop(&pw(&Q), q), &xs);
    close("loop xs", &g.xs, &fd_xs, 1e-8);
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Cloud {
    pts: Vec<Vector2<f64>>,
    c: Vector2<f64>,
}

#[differentiate]
fn spread(net: &Cloud, x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..net.pts.len() {
        let q = x * net.pts[i] - net.c;
        s += q.norm_squared();
    }
    s
}

#[test]
fn an_element_of_a_vec_field_times_a_scalar() {
    let net = Cloud {
        pts: vec![Vector2::new(0.3, -0.2), Vector2::new(1.1, 0.5)],
        c: Vector2::new(0.25, 0.75),
    };
    let x = 1.3;
    let (_, g) = spread_grad(&net, x);
    let mut want_x = 0.0;
    let mut want_c = Vector2::zeros();
    for (k, pt) in net.pts.iter().enumerate() {
        let q = x * pt - net.c;
        want_x += 2.0 * q.dot(pt);
        want_c -= 2.0 * q;
        assert!((g.net.pts[k] - 2.0 * x * q).norm() < 1e-14);
    }
    assert!((g.x - want_x).abs() < 1e-13);
    assert!((g.net.c - want_c).norm() < 1e-14);
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Layer {
    w: Vector3<f64>,
}

#[differentiate]
impl Layer {
    #[differentiate]
    pub fn energy(&self, x: f64) -> f64 {
        let k = self.w * x;
        k.dot(&self.w)
    }
}

#[test]
fn a_method_reading_its_field_by_value() {
    let layer = Layer {
        w: Vector3::new(0.5, 1.0, -2.0),
    };
    let x = 0.6;
    let (v, g) = layer.energy_grad(x);
    assert!((v - x * layer.w.norm_squared()).abs() < 1e-14);
    assert!((g.self_.w - 2.0 * x * layer.w).norm() < 1e-14);
    assert!((g.x - layer.w.norm_squared()).abs() < 1e-14);
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct PwT<T: RealField + Copy> {
    w: Vector3<T>,
}

#[differentiate]
fn field_scaled_generic<T: RealField + Copy>(p: &PwT<T>, x: T) -> T {
    let k = p.w * (x * T::from_f64(2.0).unwrap());
    k.norm()
}

#[test]
fn generic_code_in_f32() {
    let p = PwT {
        w: Vector3::new(0.3f32, -0.4, 1.2),
    };
    let x = 0.5f32;
    let (v, g) = field_scaled_generic_grad(&p, x);
    assert!((v - 2.0 * x * p.w.norm()).abs() < 1e-6);
    assert!((g.p.w - p.w * (2.0 * x) / p.w.norm()).norm() < 1e-6);
    assert!((g.x - 2.0 * p.w.norm()).abs() < 1e-6);
}

#[test]
fn the_jacobian_of_a_vector_result_row_by_row() {
    let p = pw(&Q);
    let x = 1.7;
    let (value, rows) = field_divided_jacobian(&p, x);
    assert!((value - p.w * x / 3.0).norm() < 1e-15);
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        let mut unit = Vector3::zeros();
        unit[i] = x / 3.0;
        assert!((row.p.w - unit).norm() < 1e-15, "row {i}");
        assert!((row.x - p.w[i] / 3.0).abs() < 1e-15, "row {i}");
    }
}

#[differentiate(hessian, wrt(x))]
fn field_quadratic(p: &Pw, x: &Vector2<f64>) -> f64 {
    let k = p.w * x[0] + p.w * (x[1] * x[1]);
    k.norm_squared() * p.s
}

#[test]
fn a_hessian_through_a_field_read_by_value() {
    let p = pw(&Q);
    let x = Vector2::new(0.4, -0.9);
    let (value, _, rows) = field_quadratic_hessian(&p, &x);
    // f = s·|w|²·(x₀ + x₁²)².
    let c = p.s * p.w.norm_squared();
    let u = x[0] + x[1] * x[1];
    assert!((value - c * u * u).abs() < 1e-14);
    assert_eq!(value, field_quadratic(&p, &x));
    let want = [
        [2.0 * c, 4.0 * c * x[1]],
        [4.0 * c * x[1], 8.0 * c * x[1] * x[1] + 4.0 * c * u],
    ];
    for i in 0..2 {
        for j in 0..2 {
            let w = want[i][j];
            assert!(
                (rows[i].x[j] - w).abs() < 1e-12 * (1.0 + w.abs()),
                "H[{i}][{j}]"
            );
        }
    }
}

/// The documented way to use a data struct's nalgebra field by reference or as a receiver
/// in a `hessian` function: bind it first.
#[differentiate(hessian, wrt(x))]
fn data_field_bound_first(p: &Pw, x: &Vector3<f64>) -> f64 {
    let w = p.w;
    let k = &w * x[0];
    let d = w.dot(x);
    k.norm_squared() + d * d * p.s
}

#[test]
fn a_data_field_bound_first_in_a_hessian() {
    let p = pw(&Q);
    let x = Vector3::new(0.7, -0.2, 0.4);
    let (value, _, rows) = data_field_bound_first_hessian(&p, &x);
    assert_eq!(value, data_field_bound_first(&p, &x));
    // f = x₀²·|w|² + s·(w·x)²: H = 2|w|²·e₀e₀ᵀ + 2s·wwᵀ.
    let n = p.w.norm_squared();
    for i in 0..3 {
        for j in 0..3 {
            let first = if i == 0 && j == 0 { 2.0 * n } else { 0.0 };
            let want = first + 2.0 * p.s * p.w[i] * p.w[j];
            assert!((rows[i].x[j] - want).abs() < 1e-12, "H[{i}][{j}]");
        }
    }
}
