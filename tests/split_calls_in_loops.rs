//! Calls inside loops in split mode: the forward sweep calls the callee's pullback and
//! keeps it on a stack, the reverse sweep pops it (README, Composition). A pullback's
//! closure holds only what its reverse reads and cannot cheaply compute again
//! (`reverse::Planner::rebuilt_in_pullback`): `sigmoid` keeps its `exp`. Each function is
//! written twice from one body: once plain (split, with `alloc`) and once with
//! `max_iterations`, whose calls in loops stay joint (the reverse sweep calls the callee's
//! `_vjp`, which runs the callee's forward code again), so the two gradients are an
//! independent check of each other. Both are also checked against central differences,
//! the value against the function.
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
fn damp(t: f64, x: f64) -> f64 {
    t * (1.0 + 0.1 * x.sin()) + 0.2
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
fn scaled(v: DVector<f64>, c: f64) -> DVector<f64> {
    v * c.exp()
}

#[differentiate]
fn weighted(xs: &[f64], c: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += (xs[i] * c).sin();
    }
    s
}

#[differentiate]
fn gsq<T: Float>(x: T) -> T {
    x * x.exp()
}

/// Its closure keeps `e` and computes `1 + e` and the quotient again.
#[differentiate]
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A value read from an array that is written afterwards: the closure must keep it, not
/// read the array again (which by then holds the new value).
#[differentiate]
fn overwritten(x: f64, y: f64) -> f64 {
    let mut a = [x, y];
    let p = a[0] * y;
    a[0] = p * 2.0 + x;
    let q = a[0] + a[1] * p;
    p * q + (x * y).exp()
}

#[differentiate]
fn sigmoid32(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

// ---- functions calling them ---------------------------------------------------------------

twins!(loop_call, loop_call_joint, fn(w: f64, b: f64, xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = predict(w, b, xs[i]) - 0.5;
        s += r * r;
    }
    s
});

#[test]
fn a_call_in_a_loop() {
    let xs = [0.3, -1.2, 0.7, 2.0, -0.4];
    let (w, b) = (0.8, -0.3);
    let (v, g) = loop_call_grad(w, b, &xs);
    let (_, j) = loop_call_joint_grad(w, b, &xs);
    assert_eq!(v, loop_call(w, b, &xs));
    check(
        "loop_call",
        &[w, b],
        |p| loop_call(p[0], p[1], &xs),
        &[g.w, g.b],
        &[j.w, j.b],
    );
}

twins!(gates, gates_joint, fn(w: &[f64], xs: &[f64]) -> f64 {
    let mut c = 0.0;
    let mut h = 0.0;
    for i in 0..xs.len() {
        let forget = sigmoid(w[0] * xs[i] + w[1] * h);
        let input = sigmoid(w[2] * xs[i] - w[3]);
        c = c * forget + input * (w[4] * h + xs[i]).tanh();
        h = sigmoid(c) * overwritten(c, w[5]);
    }
    h + c
});

#[test]
fn closures_that_compute_values_again() {
    let w = [0.4, -0.7, 1.1, 0.2, 0.9, -0.3];
    let xs = [0.3, -1.2, 0.7, 2.0, -0.4, 0.1];
    let (v, g) = gates_grad(&w, &xs);
    let (_, j) = gates_joint_grad(&w, &xs);
    assert_eq!(v, gates(&w, &xs));
    let split: Vec<f64> = g.w.iter().chain(&g.xs).copied().collect();
    let joint: Vec<f64> = j.w.iter().chain(&j.xs).copied().collect();
    let point: Vec<f64> = w.iter().chain(&xs).copied().collect();
    let f = |p: &[f64]| gates(&p[..6], &p[6..]);
    check("gates", &point, f, &split, &joint);
}

twins!(gates32, gates32_joint, fn(w: f32, xs: &[f32]) -> f32 {
    let mut h = 0.0;
    for x in xs {
        h = sigmoid32(w * x + h);
    }
    h
});

#[test]
fn closures_in_f32() {
    let xs = [0.3_f32, -1.2, 0.7, 2.0];
    let (v, g) = gates32_grad(0.8, &xs);
    let (_, j) = gates32_joint_grad(0.8, &xs);
    assert_eq!(v, gates32(0.8, &xs));
    assert_close(
        "gates32: split against joint",
        &[g.w as f64],
        &[j.w as f64],
        1e-6,
    );
    let xs64: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
    let f = |p: &[f64]| {
        let mut h = 0.0;
        for x in &xs64 {
            h = 1.0 / (1.0 + (-(p[0] * x + h)).exp());
        }
        h
    };
    let fd = central_difference(f, &[0.8]);
    assert_close("gates32", &[g.w as f64], &fd, 1e-5);
}

twins!(nested_call, nested_call_joint, fn(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..i {
            s += sq(x * j as f64 + y) * 0.1;
        }
        s = predict(x, s, 0.5 + i as f64);
    }
    s
});

#[test]
fn calls_in_nested_loops() {
    let (x, y) = (0.4, -0.2);
    let (v, g) = nested_call_grad(x, y, 5);
    let (_, j) = nested_call_joint_grad(x, y, 5);
    assert_eq!(v, nested_call(x, y, 5));
    check(
        "nested_call",
        &[x, y],
        |p| nested_call(p[0], p[1], 5),
        &[g.x, g.y],
        &[j.x, j.y],
    );
}

twins!(while_call, while_call_joint, fn(x: f64) -> f64 {
    let mut t = x;
    let mut k = 0;
    while k < 20 {
        t = damp(t, x);
        if t > 3.0 {
            break;
        }
        k += 1;
    }
    t * sq(t)
});

#[test]
fn calls_in_a_while_loop_that_breaks() {
    for x in [0.3, 1.1, 2.9] {
        let (v, g) = while_call_grad(x);
        let (_, j) = while_call_joint_grad(x);
        assert_eq!(v, while_call(x));
        check("while_call", &[x], |p| while_call(p[0]), &[g.x], &[j.x]);
    }
}

twins!(branch_call, branch_call_joint, fn(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..7 {
        if i % 3 == 0 {
            s += predict(x, y, i as f64 * 0.3);
        } else if s > 0.2 {
            s -= sq(s * y) * 0.1;
        } else {
            s += sq(x - i as f64 * 0.1);
        }
    }
    let a = if x > 0.0 { sq(y) } else { predict(y, x, 1.0) };
    s * a
});

#[test]
fn calls_in_branches() {
    for (x, y) in [(0.5, 0.7), (-0.4, 0.3), (0.9, -1.3)] {
        let (v, g) = branch_call_grad(x, y);
        let (_, j) = branch_call_joint_grad(x, y);
        assert_eq!(v, branch_call(x, y));
        check(
            "branch_call",
            &[x, y],
            |p| branch_call(p[0], p[1]),
            &[g.x, g.y],
            &[j.x, j.y],
        );
    }
}

twins!(early_return_call, early_return_call_joint, fn(x: f64, limit: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..10 {
        let v = sq(x + i as f64 * 0.5);
        if v > limit {
            return v + s;
        }
        s += v * 0.5;
    }
    s
});

#[test]
fn calls_in_a_loop_left_by_return() {
    for (x, limit) in [(0.3, 4.0), (0.3, 100.0), (-2.2, 1.5)] {
        let (v, g) = early_return_call_grad(x, limit);
        let (_, j) = early_return_call_joint_grad(x, limit);
        assert_eq!(v, early_return_call(x, limit));
        let f = |p: &[f64]| early_return_call(p[0], p[1]);
        check(
            "early_return_call",
            &[x, limit],
            f,
            &[g.x, g.limit],
            &[j.x, j.limit],
        );
    }
}

twins!(tuple_call, tuple_call_joint, fn(r: f64, theta: f64) -> f64 {
    let mut s = 0.0;
    for i in 1..5 {
        let (a, b) = polar(r * i as f64, theta / i as f64);
        s += a * b + sq(a);
    }
    s
});

#[test]
fn tuple_results_in_a_loop() {
    let (r, theta) = (0.7, 1.3);
    let (v, g) = tuple_call_grad(r, theta);
    let (_, j) = tuple_call_joint_grad(r, theta);
    assert_eq!(v, tuple_call(r, theta));
    let f = |p: &[f64]| tuple_call(p[0], p[1]);
    check(
        "tuple_call",
        &[r, theta],
        f,
        &[g.r, g.theta],
        &[j.r, j.theta],
    );
}

twins!(slice_call, slice_call_joint, fn(xs: &[f64], c: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += weighted(xs, c * xs[i]) * xs[i];
    }
    s
});

#[test]
fn a_borrowed_parameter_in_a_loop() {
    let xs = [0.3, -0.9, 1.4];
    let c = 0.6;
    let (v, g) = slice_call_grad(&xs, c);
    let (_, j) = slice_call_joint_grad(&xs, c);
    assert_eq!(v, slice_call(&xs, c));
    let split: Vec<f64> = g.xs.iter().copied().chain([g.c]).collect();
    let joint: Vec<f64> = j.xs.iter().copied().chain([j.c]).collect();
    let f = |p: &[f64]| slice_call(&p[..3], p[3]);
    check("slice_call", &[0.3, -0.9, 1.4, 0.6], f, &split, &joint);
}

twins!(matrix_call, matrix_call_joint, fn(w: &DMatrix<f64>, x: &DVector<f64>, c: f64) -> f64 {
    let mut s = 0.0;
    let mut h = x.clone();
    for i in 0..3 {
        let y = affine(w, x);
        h = scaled(h.clone() + y, c * i as f64);
        s += h.sum();
    }
    s
});

#[test]
fn matrix_results_in_a_loop() {
    let w = DMatrix::from_fn(3, 3, |i, j| 0.3 * (i as f64) - 0.2 * (j as f64) + 0.1);
    let x = DVector::from_vec(vec![0.5, -0.4, 0.9]);
    let c = 0.2;
    let (v, g) = matrix_call_grad(&w, &x, c);
    let (_, j) = matrix_call_joint_grad(&w, &x, c);
    assert_eq!(v, matrix_call(&w, &x, c));
    let flat = |w: &DMatrix<f64>, x: &DVector<f64>, c: f64| -> Vec<f64> {
        w.iter().chain(x.iter()).copied().chain([c]).collect()
    };
    let point = flat(&w, &x, c);
    let f = |p: &[f64]| {
        let w = DMatrix::from_column_slice(3, 3, &p[..9]);
        let x = DVector::from_column_slice(&p[9..12]);
        matrix_call(&w, &x, p[12])
    };
    check(
        "matrix_call",
        &point,
        f,
        &flat(&g.w, &g.x, g.c),
        &flat(&j.w, &j.x, j.c),
    );
}

/// Generic over the float, called at f32 and f64.
#[differentiate]
fn generic_call<T: Float>(x: T, n: usize) -> T {
    let mut s = T::zero();
    for i in 0..n {
        s = s + gsq(x * T::from(i).unwrap() * T::from(0.1).unwrap());
    }
    s
}

#[test]
fn generic_calls_in_a_loop() {
    let (v, g) = generic_call_grad(0.7_f64, 6);
    assert_eq!(v, generic_call(0.7_f64, 6));
    let fd = central_difference(|p: &[f64]| generic_call(p[0], 6), &[0.7]);
    assert_close("generic_call f64", &[g.x], &fd, 1e-6);
    let (v32, g32) = generic_call_grad(0.7_f32, 6);
    assert_eq!(v32, generic_call(0.7_f32, 6));
    assert_close("generic_call f32", &[g32.x as f64], &[g.x], 1e-5);
}

#[differentiate(hessian)]
fn hsq(x: f64) -> f64 {
    x * x
}

#[differentiate(hessian)]
fn hpredict(w: f64, b: f64, x: f64) -> f64 {
    (w * x + b).tanh()
}

/// A Hessian (forward over reverse) through calls in a loop.
#[differentiate(hessian)]
fn hessian_call(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        s += hsq(x * y + i as f64 * 0.3) + hpredict(x, y, i as f64);
    }
    s
}

#[test]
fn hessians_through_calls_in_a_loop() {
    let p = [0.4, -0.7];
    let (_, _, h) = hessian_call_hessian(p[0], p[1]);
    // Each row of the Hessian is the gradient of a component of the gradient.
    let grad = |k: usize| {
        move |q: &[f64]| {
            let (_, g) = hessian_call_grad(q[0], q[1]);
            [g.x, g.y][k]
        }
    };
    for k in 0..2 {
        let fd = central_difference(grad(k), &p);
        assert_close("hessian_call", &[h[k].x, h[k].y], &fd, 1e-6);
    }
}

// A loop inside a branch whose trip count the branch computes: its pullback stack is
// declared before the branch, where that count does not exist yet (found by the fuzzer's
// committed programs, p00148, in the first version of this change).
twins!(branch_loop_call, branch_loop_call_joint, fn(x: f64, xs: &[f64]) -> f64 {
    if x > 0.0 {
        let n = xs.len() - 1;
        let mut s = 0.0;
        for i in 0..n {
            s += sq(xs[i] * x) + predict(x, s, xs[i + 1]);
        }
        s
    } else {
        sq(x)
    }
});

#[test]
fn calls_in_a_loop_inside_a_branch() {
    let xs = [0.4, -0.3, 1.2, 0.8];
    for x in [0.6, -0.7] {
        let (v, g) = branch_loop_call_grad(x, &xs);
        let (_, j) = branch_loop_call_joint_grad(x, &xs);
        assert_eq!(v, branch_loop_call(x, &xs));
        let split: Vec<f64> = [g.x].into_iter().chain(g.xs.iter().copied()).collect();
        let joint: Vec<f64> = [j.x].into_iter().chain(j.xs.iter().copied()).collect();
        let f = |p: &[f64]| branch_loop_call(p[0], &p[1..]);
        check(
            "branch_loop_call",
            &[x, 0.4, -0.3, 1.2, 0.8],
            f,
            &split,
            &joint,
        );
    }
}

// ---- helpers that call helpers, custom rules, methods ---------------------------------------

/// Calls other functions: its loop pullback keeps its pullback's closure.
#[differentiate]
fn composed(x: f64, y: f64) -> f64 {
    sigmoid(x * y) + sq(x - y) * overwritten(y, x)
}

#[tapeless::custom_vjp(softsign_rule)]
fn softsign(x: f64) -> f64 {
    x / (1.0 + x.abs())
}

fn softsign_rule(x: f64, seed: f64) -> f64 {
    seed / ((1.0 + x.abs()) * (1.0 + x.abs()))
}

twins!(composed_call, composed_call_joint, fn(a: f64, xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs {
        s += composed(a * x, s * 0.5) + softsign(s - a * x);
    }
    s
});

#[test]
fn helpers_calling_helpers_and_custom_rules_in_a_loop() {
    let xs = [0.3, -1.2, 0.7, 2.0];
    for a in [0.8, -0.45] {
        let (v, g) = composed_call_grad(a, &xs);
        let (_, j) = composed_call_joint_grad(a, &xs);
        assert_eq!(v, composed_call(a, &xs));
        let split: Vec<f64> = [g.a].into_iter().chain(g.xs.iter().copied()).collect();
        let joint: Vec<f64> = [j.a].into_iter().chain(j.xs.iter().copied()).collect();
        let point: Vec<f64> = [a].into_iter().chain(xs).collect();
        let f = |p: &[f64]| composed_call(p[0], &p[1..]);
        check("composed_call", &point, f, &split, &joint);
    }
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Gate {
    pub w: f64,
    pub b: f64,
}

#[differentiate]
impl Gate {
    #[differentiate]
    pub fn open(&self, x: f64) -> f64 {
        sigmoid(self.w * x + self.b)
    }

    #[differentiate]
    pub fn soften(x: f64) -> f64 {
        x / (1.0 + x * x)
    }

    /// `self.open(x)` in a loop is split (its closure takes `x` again, not `self`);
    /// `Self::soften(h)`, a function of the block without a receiver, is joint.
    #[differentiate(wrt(self))]
    pub fn run(&self, xs: &[f64]) -> f64 {
        let mut h = 0.0;
        for x in xs {
            h = self.open(x + h) * Self::soften(h + 1.0) + h;
        }
        h
    }

    #[differentiate(wrt(self), max_iterations = 16)]
    pub fn run_joint(&self, xs: &[f64]) -> f64 {
        let mut h = 0.0;
        for x in xs {
            h = self.open(x + h) * Self::soften(h + 1.0) + h;
        }
        h
    }
}

/// A function of the block without a receiver gets its companions as associated
/// functions too (`Gate::soften_grad`), and its callers name them `Self::..`.
#[test]
fn a_function_of_the_block_without_a_receiver() {
    for x in [0.3, -1.7] {
        let (v, g) = Gate::soften_grad(x);
        assert_eq!(v, Gate::soften(x));
        let closed = (1.0 - x * x) / ((1.0 + x * x) * (1.0 + x * x));
        assert_close("soften", &[g.x], &[closed], 1e-14);
    }
}

#[test]
fn methods_in_a_loop() {
    let xs = [0.3, -1.2, 0.7, 2.0, 0.1];
    let gate = Gate { w: 0.9, b: -0.2 };
    let (v, g) = gate.run_grad(&xs);
    let (_, j) = gate.run_joint_grad(&xs);
    assert_eq!(v, gate.run(&xs));
    let f = |p: &[f64]| Gate { w: p[0], b: p[1] }.run(&xs);
    check(
        "Gate::run",
        &[gate.w, gate.b],
        f,
        &[g.self_.w, g.self_.b],
        &[j.self_.w, j.self_.b],
    );
}

// ---- what a loop pullback's closure is handed back ---------------------------------------

/// A `mut` parameter rewritten in the body, an integer parameter, a slice, an owned `Vec`.
#[differentiate]
fn shifted(mut x: f64, n: usize, w: &[f64], v: Vec<f64>) -> f64 {
    x += w[n % w.len()];
    (x * v[0]).sin() + x * x * v[1]
}

/// Differentiated with respect to `a` only.
#[differentiate(wrt(a))]
fn partial(a: f64, b: f64) -> f64 {
    (a * b).exp() + a / (1.0 + b * b)
}

twins!(handed_back, handed_back_joint, fn(c: f64, w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..w.len() {
        let v = vec![c * w[i], s + 0.5];
        s += shifted(c + s * 0.1, i, w, v.clone()) * partial(s + 0.3, i as f64 * 0.2);
    }
    s
});

#[test]
fn arguments_handed_back_to_the_closure() {
    let w = [0.4, -0.8, 1.1, 0.25];
    for c in [0.7, -0.35] {
        let (v, g) = handed_back_grad(c, &w);
        let (_, j) = handed_back_joint_grad(c, &w);
        assert_eq!(v, handed_back(c, &w));
        let split: Vec<f64> = [g.c].into_iter().chain(g.w.iter().copied()).collect();
        let joint: Vec<f64> = [j.c].into_iter().chain(j.w.iter().copied()).collect();
        let point: Vec<f64> = [c].into_iter().chain(w).collect();
        let f = |p: &[f64]| handed_back(p[0], &p[1..]);
        check("handed_back", &point, f, &split, &joint);
    }
}

/// Forward mode through the same calls: `Self::soften` in `f_jvp` is named `Self::` too.
#[test]
fn methods_in_a_loop_in_forward_mode() {
    let xs = [0.3, -1.2, 0.7, 2.0, 0.1];
    let gate = Gate { w: 0.9, b: -0.2 };
    let (_, g) = gate.run_grad(&xs);
    for (k, along) in [Gate { w: 1.0, b: 0.0 }, Gate { w: 0.0, b: 1.0 }]
        .into_iter()
        .enumerate()
    {
        let (value, derivative) = gate.run_jvp(&xs, &GateRunGrad { self_: along });
        assert_eq!(value, gate.run(&xs));
        let expected = [g.self_.w, g.self_.b][k];
        assert_close("Gate::run_jvp", &[derivative], &[expected], 1e-13);
    }
}

// ---- adversarial shapes --------------------------------------------------------------------

/// Generic over `RealField`, called in f32 from a loop.
#[differentiate]
fn soft<T: nalgebra::RealField + Copy>(x: T, k: T) -> T {
    (x * k).exp().ln_1p() / k
}

twins!(adversarial, adversarial_joint, fn(a: f64, xs: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut scratch = vec![0.0; xs.len()];
    let mut i = 0;
    while i < xs.len() {
        // The same call twice, a result that decides the exit, an argument read from an
        // array the loop writes.
        let p = predict(a, s, xs[i]);
        let q = predict(a, s, xs[i]);
        scratch[i] = p * q + xs[i];
        let r = sq(scratch[i]) + soft(scratch[i], a);
        if r > 6.0 {
            break;
        }
        s += r * 0.3 - p;
        i += 1;
    }
    s + scratch[0]
});

#[test]
fn repeated_calls_an_exit_decided_by_a_call_and_arguments_read_from_scratch() {
    let xs = [0.3, -1.2, 0.7, 2.0, 0.1, 1.5];
    for a in [0.8, -0.45, 2.5] {
        let (v, g) = adversarial_grad(a, &xs);
        let (_, j) = adversarial_joint_grad(a, &xs);
        assert_eq!(v, adversarial(a, &xs));
        let split: Vec<f64> = [g.a].into_iter().chain(g.xs.iter().copied()).collect();
        let joint: Vec<f64> = [j.a].into_iter().chain(j.xs.iter().copied()).collect();
        let point: Vec<f64> = [a].into_iter().chain(xs).collect();
        let f = |p: &[f64]| adversarial(p[0], &p[1..]);
        check("adversarial", &point, f, &split, &joint);
    }
}

#[differentiate]
fn soft_sum32(k: f32, xs: &[f32]) -> f32 {
    let mut s = 0.0;
    for x in xs {
        s += soft(*x, k);
    }
    s
}

#[test]
fn a_generic_callee_in_f32() {
    let xs = [0.3_f32, -1.2, 0.7];
    let (v, g) = soft_sum32_grad(0.9, &xs);
    assert_eq!(v, soft_sum32(0.9, &xs));
    // d/dk Σ ln(1 + e^{kx})/k = Σ [x σ(kx)/k − ln(1 + e^{kx})/k²].
    let k = 0.9_f64;
    let expected: f64 = xs
        .iter()
        .map(|&x| {
            let x = f64::from(x);
            let sig = 1.0 / (1.0 + (-k * x).exp());
            x * sig / k - (k * x).exp().ln_1p() / (k * k)
        })
        .sum();
    assert_close("soft_sum32 ∂k", &[f64::from(g.k)], &[expected], 1e-5);
}
