//! Values and calls written as users write them: `sin_cos`, array literals of
//! differentiated values, and `self.method(..)` calls inside a differentiated method, in f64
//! (central differences), f32 (closed forms) and generic functions.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::{differentiate, Differentiable};

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

// ---- sin_cos ---------------------------------------------------------------------------

#[differentiate]
fn rotate(p: [f64; 2], theta: f64) -> f64 {
    let (s, c) = theta.sin_cos();
    let (s2, c2) = (2.0 * theta).sin_cos();
    let x = c * p[0] - s * p[1];
    let y = s * p[0] + c * p[1];
    x * x.exp() + y * (s2 + c2)
}

#[test]
fn sin_cos_of_a_variable_and_of_an_expression() {
    probe!(p => rotate, rotate_grad, rotate_vjp, [[p[0], p[1]], p[2]], [p, theta],
        [0.5, -1.0, 0.7]);
}

#[differentiate]
fn sin_cos_generic<T: Float>(t: T) -> T {
    let (s, c) = t.sin_cos();
    s * c
}

#[test]
fn sin_cos_generic_f64_f32() {
    probe!(p => sin_cos_generic, sin_cos_generic_grad, sin_cos_generic_vjp, [p[0]], [t], [0.3]);
    let (v, g) = sin_cos_generic_grad(0.3f32);
    assert_eq!(v, sin_cos_generic(0.3f32));
    // d/dt sin t cos t = cos 2t.
    assert!((g.t - (0.6f32).cos()).abs() < 1e-6);
}

// ---- array literals of differentiated values -------------------------------------------

/// `[x, 2.0 * y]`, a nested literal (a rotation matrix), a typed one, then indexed and iterated.
#[differentiate]
fn arrays(x: f64, y: f64, t: f64) -> f64 {
    let v = [x, 2.0 * y, 1.0];
    let r = [[t.cos(), -t.sin()], [t.sin(), t.cos()]];
    let w: [f64; 2] = [
        r[0][0] * v[0] + r[0][1] * v[1],
        r[1][0] * v[0] + r[1][1] * v[1],
    ];
    let mut s = 0.0;
    for e in v.iter() {
        s += e * e;
    }
    s + w[0] * w[1].tanh()
}

#[test]
fn array_literals_of_differentiated_values() {
    probe!(p => arrays, arrays_grad, arrays_vjp, [p[0], p[1], p[2]], [x, y, t],
        [0.5, -1.0, 0.7]);
}

/// f32: |[x, x y]|² = x² + x² y², closed form.
#[differentiate]
fn pair_f32(x: f32, y: f32) -> f32 {
    let v = [x, x * y];
    v[0] * v[0] + v[1] * v[1]
}

#[test]
fn array_literal_f32() {
    let (v, g) = pair_f32_grad(2.0, 3.0);
    assert_eq!(v, pair_f32(2.0, 3.0));
    assert_eq!((g.x, g.y), (2.0 * 2.0 + 2.0 * 2.0 * 9.0, 2.0 * 4.0 * 3.0));
}

#[differentiate]
fn array_generic<T: Float>(x: T, y: T) -> T {
    let m = [[x, y], [y * y, x]];
    m[0][0] * m[1][1] - m[0][1] * m[1][0]
}

#[test]
fn array_literal_generic() {
    probe!(p => array_generic, array_generic_grad, array_generic_vjp, [p[0], p[1]], [x, y],
        [0.5, -1.5]);
    let (v, g) = array_generic_grad(2.0f32, 3.0);
    assert_eq!(v, array_generic(2.0f32, 3.0));
    // x² − y³.
    assert_eq!((g.x, g.y), (4.0, -27.0));
}

// ---- vec! literals of differentiated values --------------------------------------------

#[differentiate]
fn weighted_sum(v: &[f64]) -> f64 {
    v.iter().map(|a| a.sin()).sum()
}

/// `vec![x, 2.0 * y, 1.0]` (a constant among them), a typed one, iterated, indexed and
/// passed to a differentiated function.
#[differentiate]
fn vecs(x: f64, y: f64, t: f64) -> f64 {
    let v = vec![x, 2.0 * y, 1.0];
    let w: Vec<f64> = vec![t * v[0], v[1] - t];
    let mut s = 0.0;
    for e in &v {
        s += e * e;
    }
    s * w[1] + weighted_sum(&w)
}

#[test]
fn vec_literals_of_differentiated_values() {
    probe!(p => vecs, vecs_grad, vecs_vjp, [p[0], p[1], p[2]], [x, y, t],
        [0.5, -1.0, 0.7]);
}

/// f32: |vec![x, x y]|² = x² + x² y², closed form.
#[differentiate]
fn vec_pair_f32(x: f32, y: f32) -> f32 {
    let v = vec![x, x * y];
    v[0] * v[0] + v[1] * v[1]
}

#[test]
fn vec_literal_f32() {
    let (v, g) = vec_pair_f32_grad(2.0, 3.0);
    assert_eq!(v, vec_pair_f32(2.0, 3.0));
    assert_eq!((g.x, g.y), (2.0 * 2.0 + 2.0 * 2.0 * 9.0, 2.0 * 4.0 * 3.0));
}

/// Generic: vec![x, y²], x·y² in f64 (central differences) and f32 (closed form).
#[differentiate]
fn vec_generic<T: Float>(x: T, y: T) -> T {
    let v = vec![x, y * y];
    v[0] * v[1]
}

#[test]
fn vec_literal_generic_f64_f32() {
    probe!(p => vec_generic, vec_generic_grad, vec_generic_vjp, [p[0], p[1]], [x, y], [0.4, -1.3]);
    let (_, g) = vec_generic_grad(2.0f32, 3.0f32);
    assert_eq!((g.x, g.y), (9.0, 12.0));
}
// ---- self.method(..) inside a differentiated method ------------------------------------

#[derive(Clone, Debug, Differentiable)]
pub struct Model {
    pub w: Vec<f64>,
    pub b: f64,
}

#[differentiate]
impl Model {
    #[differentiate]
    pub fn predict(&self, x: &[f64]) -> f64 {
        let mut z = self.b;
        for (w, xi) in self.w.iter().zip(x) {
            z += w * xi;
        }
        z.tanh()
    }

    /// Calls `predict` in a loop and once at the top level, with `self` differentiated.
    #[differentiate]
    pub fn loss(&self, xs: &[Vec<f64>], ys: &[f64]) -> f64 {
        let mut total = 0.0;
        for (x, y) in xs.iter().zip(ys) {
            let r = self.predict(x) - y;
            total += r * r;
        }
        total + self.predict(&xs[0]) * self.b
    }

    /// `self` left out: only the inputs are differentiated through the call.
    #[differentiate(wrt(x))]
    pub fn sensitivity(&self, x: &[f64]) -> f64 {
        self.predict(x) * self.predict(x)
    }
}

#[test]
fn self_method_calls_in_a_differentiated_method() {
    let xs = vec![vec![0.5, -1.0], vec![1.5, 0.3], vec![-0.7, 2.0]];
    let ys = [0.2, -0.4, 0.6];
    let model = Model {
        w: vec![0.3, -0.8],
        b: 0.1,
    };
    let (v, g) = model.loss_grad(&xs, &ys);
    assert_eq!(v, model.loss(&xs, &ys));
    let flat = |p: &[f64]| {
        Model {
            w: p[..2].to_vec(),
            b: p[2],
        }
        .loss(&xs, &ys)
    };
    let analytic = [g.self_.w[0], g.self_.w[1], g.self_.b];
    tapeless::check::check_gradient(flat, &[0.3, -0.8, 0.1], &analytic, Default::default())
        .unwrap();

    let x = [0.4, -0.9];
    let (v, g) = model.sensitivity_grad(&x);
    assert_eq!(v, model.sensitivity(&x));
    let f = |x: &[f64]| model.sensitivity(x);
    tapeless::check::check_gradient(f, &x, &g.x, Default::default()).unwrap();
}

/// A closure's call inside an array literal (once a trybuild case: the literal was kept as
/// written, where a closure is no value).
#[differentiate]
fn closure_in_literal(x: f64) -> f64 {
    let c = |q: f64| q * 2.0 * x;
    let a = [c(1.0), 2.0];
    a[0] * x + a[1]
}

#[test]
fn closure_call_in_an_array_literal() {
    let (v, g) = closure_in_literal_grad(1.5);
    assert_eq!(v, closure_in_literal(1.5));
    // 2x² + 2.
    assert_eq!(g.x, 6.0);
}

// ---- iterating a field of a parameter struct -------------------------------------------

#[derive(Clone, Debug, Differentiable)]
pub struct Series {
    pub xs: Vec<f64>,
    pub scale: f64,
}

#[differentiate]
fn series_energy(p: &Series, t: f64) -> f64 {
    let mut s = 0.0;
    for (i, v) in p.xs.iter().enumerate() {
        s += (v * t).sin() * p.scale + i as f64 * v;
    }
    for w in p.xs.windows(2) {
        s += w[0] * w[1];
    }
    s
}

#[test]
fn iterating_a_field_of_a_parameter_struct() {
    let p = Series {
        xs: vec![0.5, -1.0, 1.5],
        scale: 0.7,
    };
    let t = 1.3;
    let (v, g) = series_energy_grad(&p, t);
    assert_eq!(v, series_energy(&p, t));
    let f = |q: &[f64]| {
        series_energy(
            &Series {
                xs: q[..3].to_vec(),
                scale: q[3],
            },
            q[4],
        )
    };
    let analytic = [g.p.xs[0], g.p.xs[1], g.p.xs[2], g.p.scale, g.t];
    tapeless::check::check_gradient(
        f,
        &[0.5, -1.0, 1.5, 0.7, 1.3],
        &analytic,
        Default::default(),
    )
    .unwrap();
}
