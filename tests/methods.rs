//! `#[differentiate]` on methods: the `impl` block is marked, and so are the methods to
//! differentiate; the gradient of `self` is the field `self_`, of type `Self`.

use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Spring {
    k: f64,
    rest: f64,
}

#[differentiate]
impl Spring {
    pub fn new(k: f64, rest: f64) -> Self {
        Spring { k, rest }
    }

    /// E(x) = ½ k (x − rest)².
    #[differentiate]
    pub fn energy(&self, x: f64) -> f64 {
        let stretch = x - self.rest;
        0.5 * self.k * stretch * stretch
    }

    /// Only the position: `self` is left out.
    #[differentiate(wrt(x))]
    pub fn force(&self, x: f64) -> f64 {
        -self.k * (x - self.rest) + energy_of(self.k, x)
    }
}

#[differentiate]
fn energy_of(k: f64, x: f64) -> f64 {
    k * x.sin()
}

#[test]
fn method_gradients_include_self() {
    let s = Spring::new(3.0, 1.5);
    let x = 2.5;
    let (value, grad) = s.energy_grad(x);
    assert_eq!(value, s.energy(x));
    assert_eq!(grad.x, 3.0 * (x - 1.5));
    assert_eq!(grad.self_.k, 0.5 * (x - 1.5) * (x - 1.5));
    assert_eq!(grad.self_.rest, -3.0 * (x - 1.5));
    let _: SpringEnergyGrad = s.energy_vjp(x, 2.0).1;
}

#[test]
fn wrt_on_a_method() {
    let s = Spring::new(3.0, 1.5);
    let (value, grad) = s.force_grad(0.4);
    assert_eq!(value, s.force(0.4));
    assert_eq!(grad.x, -3.0 + 3.0 * 0.4f64.cos());
    // Only `x`: the struct has no `self_` field.
    let SpringForceGrad { x: _ } = grad;
}
