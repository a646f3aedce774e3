//! Forward mode across calls of differentiated functions (in loops and branches, with
//! inactive arguments, `#[custom_vjp]` callees), methods (the tangent of `self` in
//! `self_`), and parameter structs (`#[derive(Differentiable)]`).

// Loops written as users write numeric code.
#![allow(clippy::needless_range_loop, clippy::assign_op_pattern)]

#[path = "support/forward.rs"]
mod forward;

use forward::{assert_close, check_scalar, points};
use tapeless::{custom_vjp, differentiate};

#[differentiate]
fn bump(x: f64, y: f64) -> f64 {
    (x * y).sin() + x * x
}

#[differentiate]
fn weighted(x: &[f64], w: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * w;
    }
    s
}

/// y = ln(1 + eˣ), with its derivative σ(x) written by hand.
#[custom_vjp(softplus_rule)]
fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

fn softplus_rule(x: f64, seed: f64) -> f64 {
    seed / (1.0 + (-x).exp())
}

/// Calls at the top level, in a loop and in a branch; an inactive argument (`2.0`, `c`),
/// an array passed to a slice parameter, a custom rule.
#[differentiate]
fn caller(x: f64, y: f64) -> f64 {
    let c = 0.5;
    let mut s = bump(x, 2.0) + bump(c, y);
    for i in 0..3 {
        s += bump(s * 0.1, x + i as f64);
    }
    if s > 0.0 {
        s = s + softplus(s * y);
    } else {
        s = s * bump(y, y);
    }
    let mut a = [0.0; 3];
    a[0] = x;
    a[1] = y;
    a[2] = s;
    s + weighted(&a, y)
}

#[test]
fn calls_of_differentiated_functions() {
    check_scalar(
        "caller",
        &points(2, 30),
        |x| caller(x[0], x[1]),
        |x, v| caller_jvp(x[0], x[1], &CallerGrad { x: v[0], y: v[1] }),
        |x| {
            let (_, g) = caller_grad(x[0], x[1]);
            vec![g.x, g.y]
        },
    );
}

/// `#[custom_vjp]` functions have `f_jvp` too, from their rule: ⟨rule(x, 1), ẋ⟩.
#[test]
fn custom_rules_give_a_jvp() {
    for x in [-2.0, 0.0, 1.5] {
        let (y, dy) = softplus_jvp(x, &SoftplusGrad { x: 3.0 });
        assert_eq!(y, softplus(x));
        assert_close("softplus", dy, 3.0 / (1.0 + (-x).exp()), 1e-15);
    }
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Spring {
    k: f64,
    rest: f64,
}

#[differentiate]
impl Spring {
    /// E(x) = ½ k (x − rest)² + k·sin x.
    #[differentiate]
    pub fn energy(&self, x: f64) -> f64 {
        let stretch = x - self.rest;
        0.5 * self.k * stretch * stretch + bump(self.k, x)
    }
}

#[test]
fn methods_take_the_tangent_of_self() {
    check_scalar(
        "Spring::energy",
        &points(3, 20),
        |p| {
            Spring {
                k: p[0],
                rest: p[1],
            }
            .energy(p[2])
        },
        |p, v| {
            let tangent = SpringEnergyGrad {
                self_: Spring {
                    k: v[0],
                    rest: v[1],
                },
                x: v[2],
            };
            Spring {
                k: p[0],
                rest: p[1],
            }
            .energy_jvp(p[2], &tangent)
        },
        |p| {
            let (_, g) = Spring {
                k: p[0],
                rest: p[1],
            }
            .energy_grad(p[2]);
            vec![g.self_.k, g.self_.rest, g.x]
        },
    );
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
struct Line {
    slope: f64,
    intercept: f64,
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
struct Model {
    line: Line,
    weights: [f64; 3],
    scale: f64,
}

#[differentiate(wrt(model))]
fn loss(model: &Model, xs: &[f64], ys: &[f64]) -> f64 {
    let mut total = 0.0;
    for i in 0..xs.len() {
        let r = model.line.slope * xs[i] + model.line.intercept - ys[i];
        total += r * r * model.weights[i % 3];
    }
    total * model.scale
}

#[test]
fn parameter_structs() {
    let (xs, ys) = ([0.5, -1.0, 2.0, 0.25], [1.0, 0.0, 3.5, -0.5]);
    let model = |p: &[f64]| Model {
        line: Line {
            slope: p[0],
            intercept: p[1],
        },
        weights: [p[2], p[3], p[4]],
        scale: p[5],
    };
    check_scalar(
        "loss",
        &points(6, 10),
        |p| loss(&model(p), &xs, &ys),
        |p, v| loss_jvp(&model(p), &xs, &ys, &LossGrad { model: model(v) }),
        |p| {
            let g = loss_grad(&model(p), &xs, &ys).1.model;
            vec![
                g.line.slope,
                g.line.intercept,
                g.weights[0],
                g.weights[1],
                g.weights[2],
                g.scale,
            ]
        },
    );
}
