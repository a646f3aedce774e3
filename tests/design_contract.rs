//! The API contract of DESIGN.md, written as its examples write it: the function, the
//! gradient struct and its fields, `f_grad`, `f_vjp`, methods and generics.
#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, RealField};
use tapeless::differentiate;

#[differentiate]
pub fn loss(w: &DVector<f64>, b: f64, x: &DMatrix<f64>, y: &DVector<f64>) -> f64 {
    let z = x * w; // matrix-vector product
    let r = z.add_scalar(b) - y;
    r.dot(&r) / (y.len() as f64)
}

#[test]
fn the_loss_example_has_the_documented_items() {
    let x = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, -1.0, 0.5, 0.3, -2.0]);
    let w = DVector::from_vec(vec![0.4, -0.7]);
    let y = DVector::from_vec(vec![1.0, 0.0, -1.0]);
    let b = 0.25;
    let (value, grad): (f64, LossGrad) = loss_grad(&w, b, &x, &y);
    assert_eq!(value, loss(&w, b, &x, &y));
    // r = Xw + b − y, L = rᵀr / n: ∇w = 2Xᵀr/n, ∇b = 2Σr/n, ∇X = 2rwᵀ/n, ∇y = −2r/n.
    let n = 3.0;
    let r = &x * &w + DVector::from_element(3, b) - &y;
    let LossGrad {
        w: dw,
        b: db,
        x: dx,
        y: dy,
    } = grad;
    assert!((dw - x.transpose() * &r * (2.0 / n)).norm() < 1e-12);
    assert!((db - 2.0 * r.sum() / n).abs() < 1e-12);
    assert!((dx - &r * w.transpose() * (2.0 / n)).norm() < 1e-12);
    assert!((dy + &r * (2.0 / n)).norm() < 1e-12);
    let (value, scaled) = loss_vjp(&w, b, &x, &y, 0.5);
    assert_eq!(value, loss(&w, b, &x, &y));
    assert!((scaled.b - db * 0.5).abs() < 1e-12);
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Spring {
    k: f64,
}

#[differentiate]
impl Spring {
    #[differentiate]
    fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }
    fn new(k: f64) -> Self {
        Spring { k }
    }
}

#[test]
fn methods_are_called_on_the_value_and_their_struct_is_type_method_grad() {
    let s = Spring::new(2.0);
    let (e, grad): (f64, SpringEnergyGrad) = s.energy_grad(3.0);
    assert_eq!(e, s.energy(3.0));
    assert_eq!(grad.x, 6.0);
    let self_: Spring = grad.self_;
    assert_eq!(self_.k, 4.5);
}

#[differentiate]
fn f<T: RealField + Copy>(x: T) -> T {
    x * x * x
}

#[test]
fn generic_functions_have_a_generic_gradient_struct() {
    let (value, grad): (f64, FGrad<f64>) = f_grad(2.0);
    assert_eq!(value, 8.0);
    assert_eq!(value, f(2.0));
    assert_eq!(grad.x, 12.0);
    let (_, grad): (f32, FGrad<f32>) = f_vjp(2.0f32, 0.5);
    assert_eq!(grad.x, 6.0);
}
