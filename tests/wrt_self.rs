//! `#[differentiate(wrt(self))]` and `wrt(self, x)` on methods (DESIGN.md): the gradient is
//! restricted to `self` (and the others named), in the field `self_`. Closed forms, in `f64`
//! and `f32`.

use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Line {
    slope: f64,
    offset: f64,
}

#[differentiate]
impl Line {
    /// Squared residual of one point: (a·x + b − y)².
    #[differentiate(wrt(self))]
    pub fn residual(&self, x: f64, y: f64) -> f64 {
        let r = self.slope * x + self.offset - y;
        r * r
    }

    /// The same, also with respect to `x`.
    #[differentiate(wrt(self, x))]
    pub fn residual_x(&self, x: f64, y: f64) -> f64 {
        let r = self.slope * x + self.offset - y;
        r * r
    }
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Line32 {
    slope: f32,
    offset: f32,
}

#[differentiate]
impl Line32 {
    #[differentiate(wrt(self))]
    pub fn residual(&self, x: f32, y: f32) -> f32 {
        let r = self.slope * x + self.offset - y;
        r * r
    }

    #[differentiate(wrt(x, self))]
    pub fn residual_x(&self, x: f32, y: f32) -> f32 {
        let r = self.slope * x + self.offset - y;
        r * r
    }
}

#[test]
fn wrt_self_only_f64() {
    let line = Line {
        slope: 1.5,
        offset: -0.25,
    };
    let (x, y) = (0.8, 2.0);
    let (value, grad) = line.residual_grad(x, y);
    let r = 1.5 * x - 0.25 - y;
    assert_eq!(value, line.residual(x, y));
    assert!((grad.self_.slope - 2.0 * r * x).abs() < 1e-12);
    assert!((grad.self_.offset - 2.0 * r).abs() < 1e-12);
    // Only `self`: the struct has no field for `x` or `y`.
    let LineResidualGrad { self_: _ } = grad;
}

#[test]
fn wrt_self_and_x_f64() {
    let line = Line {
        slope: 1.5,
        offset: -0.25,
    };
    let (x, y) = (0.8, 2.0);
    let (value, grad) = line.residual_x_grad(x, y);
    let r = 1.5 * x - 0.25 - y;
    assert_eq!(value, line.residual_x(x, y));
    assert!((grad.self_.slope - 2.0 * r * x).abs() < 1e-12);
    assert!((grad.self_.offset - 2.0 * r).abs() < 1e-12);
    assert!((grad.x - 2.0 * r * 1.5).abs() < 1e-12);
    let LineResidualXGrad { self_: _, x: _ } = grad;
}

#[test]
fn wrt_self_only_f32() {
    let line = Line32 {
        slope: 1.5,
        offset: -0.25,
    };
    let (x, y) = (0.8f32, 2.0f32);
    let (value, grad) = line.residual_grad(x, y);
    let r = 1.5 * x - 0.25 - y;
    assert_eq!(value, line.residual(x, y));
    assert!((grad.self_.slope - 2.0 * r * x).abs() < 1e-5);
    assert!((grad.self_.offset - 2.0 * r).abs() < 1e-5);
    let Line32ResidualGrad { self_: _ } = grad;
}

#[test]
fn wrt_self_and_x_f32() {
    let line = Line32 {
        slope: 1.5,
        offset: -0.25,
    };
    let (x, y) = (0.8f32, 2.0f32);
    let (_, grad) = line.residual_x_grad(x, y);
    let r = 1.5 * x - 0.25 - y;
    assert!((grad.self_.slope - 2.0 * r * x).abs() < 1e-5);
    assert!((grad.x - 2.0 * r * 1.5).abs() < 1e-5);
    let Line32ResidualXGrad { self_: _, x: _ } = grad;
}
