//! Calls inside branches in split mode: the forward sweep calls the callee's pullback and
//! keeps it in a slot of its own, which the reverse of the branch takes (README,
//! Composition); methods of the same block (`self.predict(x)`) are split like free
//! functions. Each function is checked against the same function with the helper inlined
//! by hand (an independent computation of the same derivative) and against central
//! differences, its value against the plain function; in f64, f32, generic code and
//! through a Hessian. Calls inside loops stay joint (why: `strategy::split_calls`); they
//! are checked here too, next to split ones.
#![cfg(feature = "nalgebra")]
#![allow(clippy::needless_range_loop)]

#[macro_use]
#[path = "support/twins.rs"]
mod twins;

use nalgebra::{DMatrix, DVector};
use tapeless::check::central_difference;
use tapeless::{differentiate, Float};
use twins::{assert_close, check};

// ---- helpers ------------------------------------------------------------------------------

#[differentiate]
fn predict(w: f64, b: f64, x: f64) -> f64 {
    (w * x + b).tanh()
}

#[differentiate]
fn sq(x: f64) -> f64 {
    x * x
}

#[differentiate]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

#[differentiate]
fn affine(w: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    (w * x).map(|v| v.tanh())
}

#[differentiate]
fn gsq<T: Float>(x: T) -> T {
    x * x.exp()
}

// ---- branches -----------------------------------------------------------------------------

#[differentiate]
fn branch_call(x: f64, y: f64) -> f64 {
    let a = if x > 0.0 { sq(y) } else { predict(y, x, 1.0) };
    let b = if y > 0.5 {
        if x > 0.3 {
            predict(x, y, 2.0) * a
        } else {
            sq(x * a)
        }
    } else {
        a
    };
    a * b + predict(b, a, 0.5)
}

#[differentiate]
fn branch_inlined(x: f64, y: f64) -> f64 {
    let a = if x > 0.0 { y * y } else { (y * 1.0 + x).tanh() };
    let b = if y > 0.5 {
        if x > 0.3 {
            (x * 2.0 + y).tanh() * a
        } else {
            (x * a) * (x * a)
        }
    } else {
        a
    };
    a * b + (b * 0.5 + a).tanh()
}

#[test]
fn calls_in_branches() {
    for (x, y) in [
        (0.5, 0.7),
        (-0.4, 0.3),
        (0.2, 0.9),
        (-0.9, 1.3),
        (0.9, -1.3),
    ] {
        let (v, g) = branch_call_grad(x, y);
        let (_, i) = branch_inlined_grad(x, y);
        assert_eq!(v, branch_call(x, y));
        let f = |p: &[f64]| branch_call(p[0], p[1]);
        check("branch_call", &[x, y], f, &[g.x, g.y], &[i.x, i.y]);
    }
}

#[differentiate]
fn tuple_branch(r: f64, theta: f64) -> f64 {
    let (a, b) = if r > 0.0 { polar(r, theta) } else { (r, theta) };
    a * b + sq(a)
}

#[differentiate]
fn tuple_branch_inlined(r: f64, theta: f64) -> f64 {
    let (a, b) = if r > 0.0 {
        (r * theta.cos(), r * theta.sin())
    } else {
        (r, theta)
    };
    a * b + a * a
}

#[test]
fn tuple_results_in_a_branch() {
    for (r, theta) in [(0.7, 1.3), (-0.4, 0.8)] {
        let (v, g) = tuple_branch_grad(r, theta);
        let (_, i) = tuple_branch_inlined_grad(r, theta);
        assert_eq!(v, tuple_branch(r, theta));
        let f = |p: &[f64]| tuple_branch(p[0], p[1]);
        check(
            "tuple_branch",
            &[r, theta],
            f,
            &[g.r, g.theta],
            &[i.r, i.theta],
        );
    }
}

#[differentiate]
fn matrix_branch(w: &DMatrix<f64>, x: &DVector<f64>, c: f64) -> f64 {
    let h = x * c;
    let y = if c > 0.0 { affine(w, &h) } else { h.clone() };
    y.sum() + affine(w, x).norm_squared()
}

#[differentiate]
fn matrix_branch_inlined(w: &DMatrix<f64>, x: &DVector<f64>, c: f64) -> f64 {
    let h = x * c;
    let y = if c > 0.0 {
        (w * &h).map(|v| v.tanh())
    } else {
        h.clone()
    };
    y.sum() + (w * x).map(|v| v.tanh()).norm_squared()
}

#[test]
fn matrix_results_in_a_branch() {
    let w = DMatrix::from_fn(3, 3, |i, j| 0.3 * (i as f64) - 0.2 * (j as f64) + 0.1);
    let x = DVector::from_vec(vec![0.5, -0.4, 0.9]);
    let flat = |w: &DMatrix<f64>, x: &DVector<f64>, c: f64| -> Vec<f64> {
        w.iter().chain(x.iter()).copied().chain([c]).collect()
    };
    for c in [0.7, -0.3] {
        let (v, g) = matrix_branch_grad(&w, &x, c);
        let (_, i) = matrix_branch_inlined_grad(&w, &x, c);
        assert_eq!(v, matrix_branch(&w, &x, c));
        let f = |p: &[f64]| {
            let w = DMatrix::from_column_slice(3, 3, &p[..9]);
            let x = DVector::from_column_slice(&p[9..12]);
            matrix_branch(&w, &x, p[12])
        };
        let (split, inlined) = (flat(&g.w, &g.x, g.c), flat(&i.w, &i.x, i.c));
        check("matrix_branch", &flat(&w, &x, c), f, &split, &inlined);
    }
}

/// Generic over the float, called at f32 and f64.
#[differentiate]
fn generic_branch<T: Float>(x: T) -> T {
    if x > T::zero() {
        gsq(x) * x
    } else {
        x - gsq(x * x)
    }
}

#[test]
fn generic_calls_in_a_branch() {
    for x in [0.7, -0.6] {
        let (v, g) = generic_branch_grad(x);
        assert_eq!(v, generic_branch(x));
        // d/dx (x² eˣ) = (2x + x²) eˣ; d/dx (x − x² e^{x²}) = 1 − (2x + 2x³) e^{x²}.
        let expected = if x > 0.0 {
            (2.0 * x + x * x) * x.exp()
        } else {
            1.0 - (2.0 * x + 2.0 * x * x * x) * (x * x).exp()
        };
        assert_close("generic_branch f64", &[g.x], &[expected], 1e-13);
        let (v32, g32) = generic_branch_grad(x as f32);
        assert_eq!(v32, generic_branch(x as f32));
        assert_close("generic_branch f32", &[g32.x as f64], &[expected], 1e-5);
    }
}

// ---- methods of the same block --------------------------------------------------------------

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Line {
    pub w: f64,
    pub b: f64,
}

#[differentiate]
impl Line {
    #[differentiate]
    pub fn predict(&self, x: f64) -> f64 {
        (self.w * x + self.b).tanh()
    }

    /// A top-level call, a call in a branch and calls in a loop (joint).
    #[differentiate(wrt(self))]
    pub fn loss(&self, xs: &[f64], y: f64) -> f64 {
        let first = self.predict(xs[0]) - y;
        let edge = if first > 0.0 {
            self.predict(xs[1])
        } else {
            -self.predict(xs[2])
        };
        let mut s = first * first + edge;
        for i in 0..xs.len() {
            let r = self.predict(xs[i]) - y;
            s += r * r;
        }
        s
    }
}

/// [`Line::loss`] with the model inlined.
#[differentiate]
fn line_loss_inlined(w: f64, b: f64, xs: &[f64], y: f64) -> f64 {
    let first = (w * xs[0] + b).tanh() - y;
    let edge = if first > 0.0 {
        (w * xs[1] + b).tanh()
    } else {
        -(w * xs[2] + b).tanh()
    };
    let mut s = first * first + edge;
    for i in 0..xs.len() {
        let r = (w * xs[i] + b).tanh() - y;
        s += r * r;
    }
    s
}

#[test]
fn methods_of_the_same_block() {
    let xs = [0.3, -1.2, 0.7, 2.0];
    for (w, b, y) in [(0.8, -0.3, 0.1), (0.8, -0.3, 0.9), (-0.5, 0.4, -0.2)] {
        let line = Line { w, b };
        let (v, g) = line.loss_grad(&xs, y);
        let (_, i) = line_loss_inlined_grad(w, b, &xs, y);
        assert_eq!(v, line.loss(&xs, y));
        let f = |p: &[f64]| Line { w: p[0], b: p[1] }.loss(&xs, y);
        check(
            "Line::loss",
            &[w, b],
            f,
            &[g.self_.w, g.self_.b],
            &[i.w, i.b],
        );
    }
}

// ---- through a Hessian --------------------------------------------------------------------

#[differentiate(hessian)]
fn hsq(x: f64) -> f64 {
    x * x
}

#[differentiate(hessian)]
fn hpredict(w: f64, b: f64, x: f64) -> f64 {
    (w * x + b).tanh()
}

/// A Hessian (forward over reverse) through calls at the top level and in branches.
#[differentiate(hessian)]
fn hessian_call(x: f64, y: f64) -> f64 {
    let a = if x > 0.0 {
        hsq(x * y)
    } else {
        hpredict(x, y, 2.0)
    };
    a * hpredict(y, x, 0.5) + hsq(a)
}

#[test]
fn hessians_through_calls_in_branches() {
    for p in [[0.4, -0.7], [-0.3, 0.6]] {
        let (_, _, h) = hessian_call_hessian(p[0], p[1]);
        // Each row of the Hessian is the gradient of a component of the gradient.
        let grad = |k: usize| {
            move |q: &[f64]| {
                let (_, g) = hessian_call_grad(q[0], q[1]);
                [g.x, g.y][k]
            }
        };
        for (k, row) in h.iter().enumerate() {
            let fd = central_difference(grad(k), &p);
            assert_close("hessian_call", &[row.x, row.y], &fd, 1e-6);
        }
    }
}
