//! `#[differentiate]` on a trait's `impl` block: the trait's methods stay as written (the
//! trait is implemented as before, generic code over it is unchanged), and the companions of
//! the marked methods (`loss_grad`, `loss_vjp`, `loss_jvp`, ...) go in an inherent block of
//! the same type (was rustc E0407, "method `loss_grad` is not a member of trait `Model`":
//! QA session 30). Against closed forms and central differences.

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

pub trait Model {
    fn predict(&self, x: f64) -> f64;
    fn loss(&self, x: f64, y: f64) -> f64;
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Line {
    pub a: f64,
    pub b: f64,
}

#[differentiate]
impl Model for Line {
    #[differentiate]
    fn predict(&self, x: f64) -> f64 {
        self.a * x + self.b
    }

    #[differentiate]
    fn loss(&self, x: f64, y: f64) -> f64 {
        (self.predict(x) - y).powi(2)
    }
}

/// Generic code over the trait sees the trait's methods as written.
fn total<M: Model>(m: &M, data: &[(f64, f64)]) -> f64 {
    data.iter().map(|&(x, y)| m.loss(x, y)).sum()
}

// A free function calling the trait's method on a parameter of the type, in a loop.
#[differentiate(wrt(m))]
fn fit(m: &Line, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += m.loss(xs[i], ys[i]);
    }
    s
}

#[test]
fn methods_of_a_trait_impl_and_their_callers() {
    let line = Line { a: 0.5, b: 0.2 };
    let (value, g) = line.loss_grad(2.0, 1.0);
    assert_eq!(value, line.loss(2.0, 1.0));
    // r = a x + b − y = 0.2: ∂/∂a = 2 r x, ∂/∂b = 2 r, ∂/∂x = 2 r a, ∂/∂y = −2 r.
    let r = 0.5 * 2.0 + 0.2 - 1.0;
    let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
    assert!(close(g.self_.a, 2.0 * r * 2.0) && close(g.self_.b, 2.0 * r));
    assert!(close(g.x, 2.0 * r * 0.5) && close(g.y, -2.0 * r));
    assert_eq!(total(&line, &[(2.0, 1.0)]), value);

    let (xs, ys) = ([0.5, 1.0, 2.0], [0.9, 1.4, 2.2]);
    let (value, g) = fit_grad(&line, &xs, &ys);
    assert_eq!(value, fit(&line, &xs, &ys));
    let f = |p: &[f64]| fit(&Line { a: p[0], b: p[1] }, &xs, &ys);
    check_gradient(f, &[0.5, 0.2], &[g.m.a, g.m.b], Tolerance::default()).unwrap();
}

pub trait Energy<T> {
    fn energy(&self, x: T) -> T;
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Spring<T> {
    pub k: T,
}

#[differentiate]
impl<T: Float> Energy<T> for Spring<T> {
    #[differentiate]
    fn energy(&self, x: T) -> T {
        self.k * x * x / T::from(2.0).unwrap()
    }
}

#[test]
fn a_generic_trait_impl() {
    let s = Spring { k: 3.0f64 };
    let (value, g) = s.energy_grad(2.0);
    assert_eq!(value, s.energy(2.0));
    assert_eq!((g.self_.k, g.x), (2.0, 6.0));
    let s = Spring { k: 3.0f32 };
    assert_eq!(s.energy_grad(2.0).1.x, 6.0);
}
