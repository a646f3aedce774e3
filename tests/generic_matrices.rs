//! Functions generic over their float type that take nalgebra vectors and matrices: the
//! runtime's operator rules are implemented for every `T: Real`, so the generated code of
//! a generic function type-checks without per-type bounds, and runs for `f64` and `f32`.
//! Checked against closed forms and central differences.
use nalgebra::{DMatrix, DVector, Matrix2, RealField, SVector, Vector2};
use tapeless::differentiate;

#[differentiate]
fn quad<T: RealField + Copy>(a: &DMatrix<T>, x: &DVector<T>) -> T {
    let y = a * x;
    y.dot(x) + x.norm()
}

#[differentiate]
fn weighted_norm<T: RealField + Copy>(v: &DVector<T>, a: T) -> T {
    v.dot(v) * a
}

#[differentiate]
fn affine_tanh<T: RealField + Copy>(w: &Matrix2<T>, b: &Vector2<T>, x: &SVector<T, 2>) -> T {
    let z = w * x + b;
    let h = z.map(|v| v.tanh());
    h.sum() / (T::one() + T::one())
}

fn central<F: Fn(f64) -> f64>(f: F, x: f64) -> f64 {
    let h = 1e-6;
    (f(x + h) - f(x - h)) / (2.0 * h)
}

#[test]
fn quadratic_form_plus_norm_matches_its_closed_form() {
    let a = DMatrix::<f64>::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    let x = DVector::<f64>::from_vec(vec![0.5, -1.5]);
    let (v, g) = quad_grad(&a, &x);
    assert!((v - (x.dot(&(&a * &x)) + x.norm())).abs() < 1e-12);
    // ∂/∂x (xᵀAx + |x|) = (A + Aᵀ)x + x/|x|;  ∂/∂A = x xᵀ.
    let expect = (&a + a.transpose()) * &x + &x / x.norm();
    assert!((g.x - expect).norm() < 1e-12);
    assert!((g.a - &x * x.transpose()).norm() < 1e-12);
}

#[test]
fn f32_instantiation() {
    let a = DMatrix::<f32>::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    let x = DVector::<f32>::from_vec(vec![0.5, -1.5]);
    let (_, g) = quad_grad(&a, &x);
    let expect = (&a + a.transpose()) * &x + &x / x.norm();
    assert!((g.x - expect).norm() < 1e-5);
}

#[test]
fn scalar_times_dot() {
    let v = DVector::<f64>::from_vec(vec![1.0, -2.0, 0.5]);
    let (value, g) = weighted_norm_grad(&v, 1.5);
    assert!((value - 1.5 * 5.25).abs() < 1e-12);
    assert!((g.v - &v * 3.0).norm() < 1e-12);
    assert!((g.a - 5.25).abs() < 1e-12);
}

#[test]
fn fixed_size_layer_against_central_differences() {
    let w = Matrix2::new(0.3, -0.2, 0.5, 0.1);
    let b = Vector2::new(0.05, -0.1);
    let x = Vector2::new(0.7, -0.4);
    let (_, g) = affine_tanh_grad(&w, &b, &x);
    for i in 0..2 {
        let fd = central(
            |t| {
                let mut x = x;
                x[i] = t;
                affine_tanh(&w, &b, &x)
            },
            x[i],
        );
        assert!((g.x[i] - fd).abs() < 1e-8, "x[{i}]: {} vs {fd}", g.x[i]);
        let fd = central(
            |t| {
                let mut b = b;
                b[i] = t;
                affine_tanh(&w, &b, &x)
            },
            b[i],
        );
        assert!((g.b[i] - fd).abs() < 1e-8);
    }
    for k in 0..4 {
        let fd = central(
            |t| {
                let mut w = w;
                w[k] = t;
                affine_tanh(&w, &b, &x)
            },
            w[k],
        );
        assert!((g.w[k] - fd).abs() < 1e-8);
    }
}

#[test]
fn forward_mode_agrees_with_reverse_mode() {
    let a = DMatrix::<f64>::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    let x = DVector::<f64>::from_vec(vec![0.5, -1.5]);
    let (_, g) = quad_grad(&a, &x);
    let tangent = QuadGrad {
        a: DMatrix::from_row_slice(2, 2, &[0.1, -0.3, 0.2, 0.4]),
        x: DVector::from_vec(vec![0.7, -0.2]),
    };
    let (_, d) = quad_jvp(&a, &x, &tangent);
    let expect = g.a.dot(&tangent.a) + g.x.dot(&tangent.x);
    assert!((d - expect).abs() < 1e-12, "{d} vs {expect}");
}

/// A parameter struct generic over its float type with matrix fields.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Layer<T: RealField + Copy> {
    pub w: Matrix2<T>,
    pub b: Vector2<T>,
}

#[differentiate]
fn layer_loss<T: RealField + Copy>(p: &Layer<T>, x: &Vector2<T>) -> T {
    let z = p.w * x + p.b;
    z.dot(&z)
}

#[test]
fn generic_struct_with_matrix_fields() {
    let p = Layer::<f64> {
        w: Matrix2::new(0.3, -0.2, 0.5, 0.1),
        b: Vector2::new(0.05, -0.1),
    };
    let x = Vector2::new(0.7, -0.4);
    let (_, g) = layer_loss_grad(&p, &x);
    let z = p.w * x + p.b;
    // ∂/∂W = 2 z xᵀ, ∂/∂b = 2 z, ∂/∂x = 2 Wᵀ z.
    assert!((g.p.w - 2.0 * z * x.transpose()).norm() < 1e-12);
    assert!((g.p.b - 2.0 * z).norm() < 1e-12);
    assert!((g.x - 2.0 * p.w.transpose() * z).norm() < 1e-12);
}
