//! h-qa6: adversarial probes of the 2026-12-06 afternoon merges: transcendental results kept
//! (in a branch slot or on a loop stack) instead of computed again in the reverse sweep, and
//! the decompositions (Cholesky, LU/QR solves, triangular solves, `diagonal()`, `.expect`).
//! Oracles: the plain function (values bit for bit), central differences (gradients, and
//! Hessian-vector products as differences of the gradient), ⟨∇f, v⟩ for `f_jvp`, closed forms.
#![allow(clippy::all)]

use nalgebra::{DMatrix, DVector, Matrix2, Matrix3, RealField, Vector2, Vector3};
use num_traits::Float;
use tapeless::check::central_difference;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

fn direction(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 * 1.3 + 0.4).sin()).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

#[track_caller]
fn assert_jvp(what: &str, dy: f64, g: &[f64], dir: &[f64]) {
    let e = dot(g, dir);
    assert!(
        (dy - e).abs() <= 1e-10 * (1.0 + e.abs()),
        "{what}: jvp {dy} vs <g, v> {e}"
    );
}

#[track_caller]
fn assert_close(what: &str, analytic: &[f64], numeric: &[f64], tolerance: f64) {
    assert_eq!(analytic.len(), numeric.len(), "{what}: lengths");
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        let scale = 1f64.max(a.abs()).max(n.abs());
        assert!(
            (a - n).abs() <= tolerance * scale,
            "{what}: coordinate {i}: {a} vs {n}\n{analytic:?}\n{numeric:?}"
        );
    }
}

/// `slice!(f, f_grad, f_vjp, f_jvp, FGrad, point)` for `fn f(a: &[f64]) -> f64`: the probe
/// checks and `f_jvp` in one direction.
macro_rules! slice {
    ($f:ident, $g:ident, $v:ident, $j:ident, $G:ident, $x:expr) => {{
        let x: Vec<f64> = $x.to_vec();
        probe!(p => $f, $g, $v, [p], [a], x);
        let dir = direction(x.len());
        let (value, dy) = $j(&x, &$G { a: dir.clone() });
        assert_eq!(value.to_bits(), $f(&x).to_bits(), "{}: jvp value", stringify!($f));
        let (_, g) = $g(&x);
        assert_jvp(stringify!($f), dy, &g.a, &dir);
    }};
}

/// `two!(f, f_grad, f_vjp, f_jvp, FGrad, [x, y])` for `fn f(x: f64, y: f64) -> f64`.
macro_rules! two {
    ($f:ident, $g:ident, $v:ident, $j:ident, $G:ident, $x:expr) => {{
        let x: Vec<f64> = $x.to_vec();
        probe!(p => $f, $g, $v, [p[0], p[1]], [x, y], x);
        let dir = direction(2);
        let (value, dy) = $j(x[0], x[1], &$G { x: dir[0], y: dir[1] });
        assert_eq!(value.to_bits(), $f(x[0], x[1]).to_bits(), "{}: jvp value", stringify!($f));
        let (_, g) = $g(x[0], x[1]);
        assert_jvp(stringify!($f), dy, &[g.x, g.y], &dir);
    }};
}

/// `hvp!(f, f_grad, f_hvp, f_hessian, FGrad, point)` for `fn f(a: &[f64]) -> f64` marked
/// `hessian`: H·v against central differences of the gradient, and the Hessian's rows
/// against H·eᵢ.
macro_rules! hvp {
    ($f:ident, $g:ident, $hv:ident, $hs:ident, $G:ident, $x:expr) => {{
        let a: Vec<f64> = $x.to_vec();
        let n = a.len();
        let v = direction(n);
        let (value, g, hv) = $hv(&a, &$G { a: v.clone() });
        assert_eq!(
            value.to_bits(),
            $f(&a).to_bits(),
            "{}: hvp value",
            stringify!($f)
        );
        let (_, g0) = $g(&a);
        assert_close(stringify!($f), &g.a, &g0.a, 1e-12);
        let h = 1e-5;
        let plus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x + h * d).collect();
        let minus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x - h * d).collect();
        let (_, gp) = $g(&plus);
        let (_, gm) = $g(&minus);
        let fd: Vec<f64> = (0..n).map(|i| (gp.a[i] - gm.a[i]) / (2.0 * h)).collect();
        assert_close(stringify!($f), &hv.a, &fd, 1e-6);
        let (hvalue, _, rows) = $hs(&a);
        assert_eq!(hvalue.to_bits(), $f(&a).to_bits());
        for i in 0..n {
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            let (_, _, col) = $hv(&a, &$G { a: e });
            assert_close(stringify!($f), &rows[i].a, &col.a, 1e-10);
        }
    }};
}

// ---- kept transcendental results in loops ---------------------------------------------

/// A `while` loop whose carried value passes through `exp`.
#[differentiate]
fn kept_while(a: &[f64]) -> f64 {
    let n = a.len();
    let mut x = a[0];
    let mut i = 0;
    while i < n {
        let t = (x * a[i]).exp();
        x = x + 0.1 * t * a[i];
        i += 1;
    }
    x
}

#[test]
fn qa6_kept_in_while() {
    slice!(
        kept_while,
        kept_while_grad,
        kept_while_vjp,
        kept_while_jvp,
        KeptWhileGrad,
        [0.3, -0.5, 0.8, 0.2]
    );
}

/// `loop` with a `break` after the kept value is computed.
#[differentiate]
fn kept_loop_break(x: f64, y: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    loop {
        let t = (s * y).tanh();
        if k >= 4 {
            s = s + t;
            break;
        }
        s = s * 0.9 + t * t;
        k += 1;
    }
    s
}

#[test]
fn qa6_kept_in_loop_with_break() {
    two!(
        kept_loop_break,
        kept_loop_break_grad,
        kept_loop_break_vjp,
        kept_loop_break_jvp,
        KeptLoopBreakGrad,
        [0.7, 1.3]
    );
}

/// A `break` that depends on the kept value itself.
#[differentiate]
fn kept_break_on_value(x: f64, y: f64) -> f64 {
    let mut s = x;
    loop {
        let t = (s * y).exp();
        if t > 5.0 {
            break;
        }
        s = s + t * 0.2;
    }
    s * y
}

#[test]
fn qa6_kept_break_on_value() {
    two!(
        kept_break_on_value,
        kept_break_on_value_grad,
        kept_break_on_value_vjp,
        kept_break_on_value_jvp,
        KeptBreakOnValueGrad,
        [0.2, 1.1]
    );
}

/// `continue` before and after the kept value's definition.
#[differentiate]
fn kept_continue(a: &[f64]) -> f64 {
    let mut s = 1.0;
    for i in 0..a.len() {
        if a[i] < -0.6 {
            continue;
        }
        let t = a[i].sin();
        if t < 0.0 {
            s = s + t;
            continue;
        }
        let u = (t * s).sqrt();
        s = s * u + t;
    }
    s
}

#[test]
fn qa6_kept_with_continue() {
    slice!(
        kept_continue,
        kept_continue_grad,
        kept_continue_vjp,
        kept_continue_jvp,
        KeptContinueGrad,
        [0.3, -0.9, -0.2, 1.1, 0.5]
    );
}

/// Early `return` from inside a loop right after a kept value.
#[differentiate]
fn kept_return(a: &[f64]) -> f64 {
    let mut s = 0.5;
    for i in 0..a.len() {
        let t = (a[i] + s).exp();
        if t > 4.0 {
            return s * t;
        }
        s = s + t * a[i];
    }
    s.ln()
}

#[test]
fn qa6_kept_with_early_return() {
    for x in [[0.1, 0.2, 0.3], [0.1, 0.9, 0.3], [0.2, 0.1, 1.5]] {
        slice!(
            kept_return,
            kept_return_grad,
            kept_return_vjp,
            kept_return_jvp,
            KeptReturnGrad,
            x
        );
    }
}

/// An inner loop with a kept value inside an outer loop.
#[differentiate]
fn kept_nested(a: &[f64]) -> f64 {
    let n = a.len();
    let mut s = 0.0;
    for i in 0..n {
        let c = (a[i] * 0.5).cos();
        for j in 0..n {
            let t = (a[j] * c + s * 0.1).sin();
            s = s + t * a[i];
        }
        s = s * c;
    }
    s
}

#[test]
fn qa6_kept_in_nested_loops() {
    slice!(
        kept_nested,
        kept_nested_grad,
        kept_nested_vjp,
        kept_nested_jvp,
        KeptNestedGrad,
        [0.3, -0.5, 0.8]
    );
}

/// A replayed loop (it rewrites a scratch array) around an inner loop with kept values.
#[differentiate]
fn kept_in_replay(a: &[f64]) -> f64 {
    let n = a.len();
    let mut w = vec![0.0; n];
    let mut s = 0.0;
    for k in 0..3 {
        for i in 0..n {
            let t = (a[i] * (k as f64 + 1.0) + s * 0.1).tanh();
            w[i] = t * w[i] + t;
        }
        for i in 0..n {
            s = s + (w[i] * 0.5).exp();
        }
    }
    s
}

#[test]
fn qa6_kept_inside_a_replayed_loop() {
    slice!(
        kept_in_replay,
        kept_in_replay_grad,
        kept_in_replay_vjp,
        kept_in_replay_jvp,
        KeptInReplayGrad,
        [0.3, -0.5, 0.8]
    );
}

/// Branches inside a loop, each defining kept values.
#[differentiate]
fn kept_branch_in_loop(a: &[f64]) -> f64 {
    let mut s = 0.3;
    for i in 0..a.len() {
        if a[i] > 0.0 {
            let t = a[i].sqrt();
            s = s * t + t;
        } else {
            let u = (-a[i]).ln_1p();
            let v = u.atan();
            s = s - u * v * s;
        }
    }
    s
}

#[test]
fn qa6_kept_in_branches_inside_a_loop() {
    slice!(
        kept_branch_in_loop,
        kept_branch_in_loop_grad,
        kept_branch_in_loop_vjp,
        kept_branch_in_loop_jvp,
        KeptBranchInLoopGrad,
        [0.3, -0.5, 0.8, -1.2]
    );
}

/// A kept value shadowed and reassigned inside the loop.
#[differentiate]
fn kept_shadowed(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let t = a[i].exp();
        let t = (t * 0.3).sin();
        let mut u = t.cosh();
        u = (u * a[i]).tanh();
        s = s + t * u;
        u = u.exp();
        s = s * u;
    }
    s
}

#[test]
fn qa6_kept_shadowed_and_reassigned() {
    slice!(
        kept_shadowed,
        kept_shadowed_grad,
        kept_shadowed_vjp,
        kept_shadowed_jvp,
        KeptShadowedGrad,
        [0.3, -0.5, 0.8]
    );
}

/// A kept value defined in a loop, read after the loop through a variable.
#[differentiate]
fn kept_escapes(a: &[f64]) -> f64 {
    let mut last = 0.0;
    let mut s = 0.0;
    for i in 0..a.len() {
        let t = (a[i] * 1.5).exp();
        last = t;
        s = s + t * last;
    }
    s * last + last.ln()
}

#[test]
fn qa6_kept_value_escapes_the_loop() {
    slice!(
        kept_escapes,
        kept_escapes_grad,
        kept_escapes_vjp,
        kept_escapes_jvp,
        KeptEscapesGrad,
        [0.3, -0.5, 0.8]
    );
}

/// Two-argument transcendentals kept: powf, atan2, hypot, log.
#[differentiate]
fn kept_binary(a: &[f64]) -> f64 {
    let mut s = 1.0;
    for i in 1..a.len() {
        let p = a[i].powf(a[i - 1]);
        let q = a[i].atan2(s);
        let r = a[i - 1].hypot(q);
        let l = p.log(2.5 + s * s);
        s = s * 0.5 + p * q + r * l;
    }
    s
}

#[test]
fn qa6_kept_binary_transcendentals() {
    slice!(
        kept_binary,
        kept_binary_grad,
        kept_binary_vjp,
        kept_binary_jvp,
        KeptBinaryGrad,
        [0.3, 0.5, 0.8, 1.4]
    );
}

/// Function-path spellings `f64::exp(x)`.
#[differentiate]
fn kept_paths(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let t = f64::exp(a[i] * s);
        let u = f64::sin(t);
        s = s + u * t;
    }
    s
}

#[test]
fn qa6_kept_function_paths() {
    slice!(
        kept_paths,
        kept_paths_grad,
        kept_paths_vjp,
        kept_paths_jvp,
        KeptPathsGrad,
        [0.3, -0.5, 0.8]
    );
}

/// A loop that runs zero times around kept values.
#[differentiate]
fn kept_empty_loop(a: &[f64], x: f64) -> f64 {
    let mut s = x;
    for i in 0..a.len() {
        let t = (a[i] * s).exp();
        s = s * t;
    }
    s.sin()
}

#[test]
fn qa6_kept_in_a_loop_that_does_not_run() {
    let (v, g) = kept_empty_loop_grad(&[], 0.4);
    assert_eq!(v.to_bits(), kept_empty_loop(&[], 0.4).to_bits());
    assert!((g.x - 0.4f64.cos()).abs() < 1e-15);
    probe!(p => kept_empty_loop, kept_empty_loop_grad, kept_empty_loop_vjp, [&p[1..], p[0]], [x, a], [0.4, 0.2, -0.3]);
}

/// Branch slots at the top level: a kept value in a branch not taken, and in nested
/// branches.
#[differentiate]
fn kept_branch_slots(x: f64, y: f64) -> f64 {
    let mut s = x;
    if x > 0.0 {
        let t = (x * y).exp();
        if y > 0.5 {
            let u = t.ln_1p();
            s = s * u;
        } else {
            s = s + t;
        }
        s = s * t;
    } else {
        let c = y.cos();
        s = s * c * c;
    }
    s
}

#[test]
fn qa6_kept_in_branch_slots() {
    for p in [[0.4, 0.9], [0.4, 0.2], [-0.4, 0.3]] {
        two!(
            kept_branch_slots,
            kept_branch_slots_grad,
            kept_branch_slots_vjp,
            kept_branch_slots_jvp,
            KeptBranchSlotsGrad,
            p
        );
    }
}

/// `max_iterations` (array stacks) with kept values in a `while`.
#[differentiate(max_iterations = 64)]
fn kept_bounded(x: f64, y: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    while k < 10 {
        let t = (s * y).sin();
        let e = (t * 0.5).exp();
        s = s + e * 0.1;
        k += 1;
    }
    s
}

#[test]
fn qa6_kept_with_max_iterations() {
    two!(
        kept_bounded,
        kept_bounded_grad,
        kept_bounded_vjp,
        kept_bounded_jvp,
        KeptBoundedGrad,
        [0.3, 1.7]
    );
}

/// `max_iterations` with nested loops and a kept value in each.
#[differentiate(max_iterations = 8)]
fn kept_bounded_nested(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let c = a[i].exp();
        for j in 0..i {
            let t = (a[j] * c).tanh();
            s = s + t * c;
        }
    }
    s
}

#[test]
fn qa6_kept_bounded_nested() {
    slice!(
        kept_bounded_nested,
        kept_bounded_nested_grad,
        kept_bounded_nested_vjp,
        kept_bounded_nested_jvp,
        KeptBoundedNestedGrad,
        [0.3, -0.5, 0.8, 0.1]
    );
}

/// Hessian of a loop with kept values.
#[differentiate(hessian)]
fn kept_hessian(a: &[f64]) -> f64 {
    let mut s = 0.2;
    for i in 0..a.len() {
        let t = (a[i] * s).exp();
        let u = t.sin();
        if u > 0.5 {
            s = s + u * a[i];
        } else {
            s = s * t;
        }
    }
    s
}

#[test]
fn qa6_hessian_of_kept_values() {
    hvp!(
        kept_hessian,
        kept_hessian_grad,
        kept_hessian_hvp,
        kept_hessian_hessian,
        KeptHessianGrad,
        [0.3, -0.5, 0.8]
    );
    hvp!(
        kept_hessian,
        kept_hessian_grad,
        kept_hessian_hvp,
        kept_hessian_hessian,
        KeptHessianGrad,
        [1.3, 0.5, 0.8]
    );
}

/// Hessian of a while loop with a break on a kept value.
#[differentiate(hessian)]
fn kept_hessian_while(a: &[f64]) -> f64 {
    let mut s = a[0];
    let mut i = 1;
    while i < a.len() {
        let t = (s * a[i]).tanh();
        if t > 0.95 {
            break;
        }
        s = s + t.sqrt() * a[i];
        i += 1;
    }
    s * s
}

#[test]
fn qa6_hessian_while_break() {
    hvp!(
        kept_hessian_while,
        kept_hessian_while_grad,
        kept_hessian_while_hvp,
        kept_hessian_while_hessian,
        KeptHessianWhileGrad,
        [0.3, 0.5, 0.8, 0.7]
    );
}

/// f_jacobian of a loop with kept values.
#[differentiate]
fn kept_jac(a: &[f64]) -> Vec<f64> {
    let n = a.len();
    let mut out = vec![0.0; n];
    let mut s = 0.1;
    for i in 0..n {
        let t = (a[i] + s).exp();
        s = s + t.ln_1p();
        out[i] = s * t;
    }
    out
}

#[test]
fn qa6_jacobian_of_kept_values() {
    let a = [0.3, -0.5, 0.8];
    let (value, rows) = kept_jac_jacobian(&a);
    assert_eq!(value, kept_jac(&a));
    for k in 0..3 {
        let fd = central_difference(|p: &[f64]| kept_jac(p)[k], &a);
        assert_close("kept_jac", &rows[k].a, &fd, 1e-6);
    }
}

// ---- calls, closures, windows, methods ------------------------------------------------

#[differentiate]
fn inner_kept(x: f64, y: f64) -> f64 {
    let mut s = x;
    for _ in 0..3 {
        s = (s * y).sin() + s.exp() * 0.1;
    }
    s
}

#[differentiate]
fn kept_calls(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let t = a[i].exp();
        s = s + inner_kept(t * 0.2, s + 0.5) * t;
    }
    s
}

#[test]
fn qa6_calls_in_loops_with_kept_values() {
    slice!(
        kept_calls,
        kept_calls_grad,
        kept_calls_vjp,
        kept_calls_jvp,
        KeptCallsGrad,
        [0.3, -0.5, 0.8]
    );
}

#[differentiate]
fn kept_map(a: &[f64], x: f64) -> f64 {
    let s: f64 = a.iter().map(|v| (v * x).exp() * (v * x).sin()).sum();
    let t: Vec<f64> = a.iter().map(|v| (v + x).tanh()).collect();
    s + t.iter().map(|u| u.sqrt() * u).sum::<f64>()
}

#[test]
fn qa6_kept_in_map_closures() {
    probe!(p => kept_map, kept_map_grad, kept_map_vjp, [&p[1..], p[0]], [x, a], [0.4, 0.2, 0.3, 1.1]);
}

#[differentiate]
fn kept_windows(a: &[f64]) -> f64 {
    let s: f64 = a
        .windows(2)
        .map(|w| (w[0] * w[1]).tanh() * w[0].exp())
        .sum();
    let c: f64 = a
        .iter()
        .chain(a.iter().skip(1))
        .map(|v| v.sin() * v.cos())
        .sum();
    let f = a.iter().fold(0.0, |acc, v| acc * v.cos() + v.exp());
    s + c + f
}

#[test]
fn qa6_kept_in_windows_chains_folds() {
    slice!(
        kept_windows,
        kept_windows_grad,
        kept_windows_vjp,
        kept_windows_jvp,
        KeptWindowsGrad,
        [0.3, -0.5, 0.8, 1.2]
    );
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
struct Net {
    w: Vec<f64>,
    b: f64,
}

#[differentiate]
impl Net {
    #[differentiate]
    fn forward(&self, x: &[f64]) -> f64 {
        let mut h = self.b;
        for i in 0..x.len() {
            let z = (self.w[i] * x[i] + h).tanh();
            h = h * 0.5 + z * z.exp();
        }
        h
    }
}

#[test]
fn qa6_kept_in_methods() {
    let x = [0.3, -0.7, 1.1];
    let p = [0.2, 0.5, -0.4, 0.9];
    let net = |p: &[f64]| Net {
        w: p[..3].to_vec(),
        b: p[3],
    };
    let (v, g) = net(&p).forward_grad(&x);
    assert_eq!(v.to_bits(), net(&p).forward(&x).to_bits());
    let fd = central_difference(|q: &[f64]| net(q).forward(&x), &p);
    let mut flat = g.self_.w.clone();
    flat.push(g.self_.b);
    assert_close("Net::forward", &flat, &fd, 1e-6);
}

// ---- f32 and generic ----------------------------------------------------------------

#[differentiate]
fn kept_f32(a: &[f32]) -> f32 {
    let mut s = 0.5f32;
    for i in 0..a.len() {
        let t = (a[i] * s).exp();
        if t > 1.0 {
            s = s + t.ln() * a[i];
        } else {
            s = s * t.sqrt();
        }
    }
    s
}

#[test]
fn qa6_kept_f32() {
    let a = [0.3f32, -0.5, 0.8];
    let (v, g) = kept_f32_grad(&a);
    assert_eq!(v.to_bits(), kept_f32(&a).to_bits());
    let a64: Vec<f64> = a.iter().map(|v| f64::from(*v)).collect();
    let fd = central_difference(
        |p: &[f64]| {
            let q: Vec<f32> = p.iter().map(|v| *v as f32).collect();
            f64::from(kept_f32(&q))
        },
        &a64,
    );
    let g64: Vec<f64> = g.a.iter().map(|v| f64::from(*v)).collect();
    // f32 central differences at f64 steps are rounded: a loose tolerance.
    assert_close("kept_f32", &g64, &fd, 2e-2);
}

#[differentiate]
fn kept_generic<T: Float>(a: &[T]) -> T {
    let mut s = T::one();
    let mut i = 0;
    while i < a.len() {
        let t = (a[i] * s).tanh();
        if t > T::zero() {
            s = s + t.exp();
        } else {
            s = s * t.cos();
        }
        i += 1;
    }
    s
}

#[test]
fn qa6_kept_generic_float() {
    slice!(
        kept_generic,
        kept_generic_grad,
        kept_generic_vjp,
        kept_generic_jvp,
        KeptGenericGrad,
        [0.3, -0.5, 0.8]
    );
    let (v, _) = kept_generic_grad(&[0.3f32, -0.5, 0.8]);
    assert_eq!(v.to_bits(), kept_generic(&[0.3f32, -0.5, 0.8]).to_bits());
}

#[differentiate]
fn kept_realfield<T: RealField + Copy>(a: &DVector<T>) -> T {
    let mut s = T::one();
    for i in 0..a.len() {
        let t = (a[i] * s).exp();
        s = s * T::from_f64(0.5).unwrap() + t.sin();
    }
    s
}

#[test]
fn qa6_kept_realfield() {
    probe!(p => kept_realfield, kept_realfield_grad, kept_realfield_vjp, [&DVector::from_column_slice(p)], [a], [0.3, -0.5, 0.8]);
}

#[differentiate(hessian)]
fn kept_generic_hessian<T: Float>(a: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..a.len() {
        let t = a[i].exp();
        s = s + (t * s + a[i]).sin();
    }
    s
}

#[test]
fn qa6_kept_generic_hessian() {
    hvp!(
        kept_generic_hessian,
        kept_generic_hessian_grad,
        kept_generic_hessian_hvp,
        kept_generic_hessian_hessian,
        KeptGenericHessianGrad,
        [0.3, -0.5, 0.8]
    );
}

// ---- decompositions: Cholesky, LU/QR solves, triangular solves, diagonal() -------------

impl probe::Flat for Matrix3<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}
impl probe::Flat for Matrix2<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

/// SPD n×n with junk above the diagonal (cholesky reads the lower triangle only).
fn spd_junk(n: usize, seed: f64) -> Vec<f64> {
    let b = DMatrix::from_fn(n, n, |i, j| ((i * 7 + j * 3) as f64 * 0.37 + seed).sin());
    let mut a = &b * b.transpose() + DMatrix::identity(n, n) * n as f64;
    for j in 1..n {
        for i in 0..j {
            a[(i, j)] = (i as f64 - 2.0 * j as f64) * 0.3 + seed;
        }
    }
    a.as_slice().to_vec()
}
fn cat(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().chain(b).copied().collect()
}

/// `mb!(f, f_grad, f_vjp, f_jvp, FGrad, n, m, point)`: f(a: &DMatrix n×n, b: &DVector m).
macro_rules! mb {
    ($f:ident, $g:ident, $v:ident, $j:ident, $G:ident, $n:expr, $x:expr) => {{
        let n: usize = $n;
        let x: Vec<f64> = $x.to_vec();
        probe!(p => $f, $g, $v, [&DMatrix::from_column_slice(n, n, &p[..n * n]), &DVector::from_column_slice(&p[n * n..])], [a, b], x);
        let dir = direction(x.len());
        let a = DMatrix::from_column_slice(n, n, &x[..n * n]);
        let b = DVector::from_column_slice(&x[n * n..]);
        let t = $G { a: DMatrix::from_column_slice(n, n, &dir[..n * n]), b: DVector::from_column_slice(&dir[n * n..]) };
        let (value, dy) = $j(&a, &b, &t);
        assert_eq!(value.to_bits(), $f(&a, &b).to_bits(), "{}: jvp value", stringify!($f));
        let (_, g) = $g(&a, &b);
        let mut flat = Vec::new();
        probe::Flat::flat(&g.a, &mut flat);
        probe::Flat::flat(&g.b, &mut flat);
        assert_jvp(stringify!($f), dy, &flat, &dir);
    }};
}

// D1: 1×1
#[differentiate]
fn chol_1x1(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    c.l()[(0, 0)] * b[0] + c.solve(b)[0] + c.ln_determinant() + c.determinant()
}
#[test]
fn qa6_d_chol_1x1() {
    mb!(
        chol_1x1,
        chol_1x1_grad,
        chol_1x1_vjp,
        chol_1x1_jvp,
        Chol1x1Grad,
        1,
        [2.3, 0.7]
    );
}

// D2: static with junk, determinant and ln_determinant
#[differentiate]
fn chol_static(a: &Matrix3<f64>, w: f64) -> f64 {
    let c = a.cholesky().unwrap();
    let l = c.l();
    c.determinant() * w + c.ln_determinant() + l[(2, 0)] * l[(1, 1)] + l.diagonal().sum() * w * w
}
#[test]
fn qa6_d_chol_static() {
    let mut x = spd_junk(3, 0.4);
    x.push(0.6);
    probe!(p => chol_static, chol_static_grad, chol_static_vjp, [&Matrix3::from_column_slice(&p[..9]), p[9]], [a, w], x);
}

// Matrix2 lower-triangular solve with junk above
#[differentiate]
fn tri_static(a: &Matrix2<f64>, b: &Vector2<f64>) -> f64 {
    let x = a.solve_lower_triangular(b).unwrap();
    let y = a.solve_upper_triangular(b).expect("upper");
    let z = a.tr_solve_lower_triangular(b).unwrap();
    x.dot(&y) + z.norm_squared()
}
#[test]
fn qa6_d_tri_static() {
    probe!(p => tri_static, tri_static_grad, tri_static_vjp, [&Matrix2::from_column_slice(&p[..4]), &Vector2::new(p[4], p[5])], [a, b], [2.0, 0.3, -0.7, 1.5, 0.4, -0.9]);
}

// Solve with a matrix right-hand side; cholesky of an owned product
#[differentiate]
fn chol_matrix_rhs(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let n = b.len();
    let m = a.transpose() * a + DMatrix::identity(n, n);
    let c = m.cholesky().unwrap();
    let rhs = b * b.transpose() + DMatrix::identity(n, n) * 0.5;
    let x = c.solve(&rhs);
    let lu = a.clone().lu().solve(&rhs).expect("invertible");
    let qr = a.clone().qr().solve(&rhs).unwrap();
    x.trace() + lu.sum() + qr[(0, 1)] * 2.0
}
#[test]
fn qa6_d_chol_matrix_rhs() {
    let a = [1.5, 0.2, -0.3, 0.4, 2.0, 0.1, -0.2, 0.5, 1.7];
    mb!(
        chol_matrix_rhs,
        chol_matrix_rhs_grad,
        chol_matrix_rhs_vjp,
        chol_matrix_rhs_jvp,
        CholMatrixRhsGrad,
        3,
        cat(&a, &[0.3, -0.6, 0.9])
    );
}

// Triangular solves with junk in the other triangle, matrix rhs, tr_solve
#[differentiate]
fn tri_junk(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let n = b.len();
    let rhs = DMatrix::from_fn(n, 2, |i, j| b[i] * (j as f64 + 1.0));
    let x = a.solve_lower_triangular(&rhs).unwrap();
    let y = a.tr_solve_lower_triangular(b).expect("diag");
    let z = a.solve_upper_triangular(&rhs).unwrap();
    x.sum() + y.dot(b) + z[(0, 1)] * z[(1, 0)]
}
#[test]
fn qa6_d_tri_junk() {
    let a = [1.5, 0.2, -0.3, 0.4, 2.0, 0.1, -0.2, 0.5, 1.7];
    mb!(
        tri_junk,
        tri_junk_grad,
        tri_junk_vjp,
        tri_junk_jvp,
        TriJunkGrad,
        3,
        cat(&a, &[0.3, -0.6, 0.9])
    );
}

// diagonal() of a general matrix
#[differentiate]
fn diag_general(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let d = a.diagonal();
    let e = (a * a).diagonal();
    let s: f64 = d.iter().map(|v| v.exp()).sum();
    d.dot(b) + e.map(|v| v.sin()).sum() + s
}
#[test]
fn qa6_d_diag_general() {
    let a = [1.5, 0.2, -0.3, 0.4, 2.0, 0.1, -0.2, 0.5, 1.7];
    mb!(
        diag_general,
        diag_general_grad,
        diag_general_vjp,
        diag_general_jvp,
        DiagGeneralGrad,
        3,
        cat(&a, &[0.3, -0.6, 0.9])
    );
}

// cholesky in a loop with kept values, and a branch
#[differentiate]
fn chol_loop(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let n = b.len();
    let mut s = 0.1f64;
    for k in 0..3 {
        let m = a.clone() + DMatrix::identity(n, n) * (s * s).exp();
        let c = m.cholesky().unwrap();
        let q = c.solve(b).dot(b).sqrt();
        if q > 0.5 {
            s = s + q * (k as f64 + 1.0).ln_1p();
        } else {
            let l = c.l();
            s = s * l.diagonal().map(|d| d.ln()).sum();
        }
    }
    s
}
#[test]
fn qa6_d_chol_loop() {
    mb!(
        chol_loop,
        chol_loop_grad,
        chol_loop_vjp,
        chol_loop_jvp,
        CholLoopGrad,
        3,
        cat(&spd_junk(3, 0.2), &[0.3, -0.6, 0.9])
    );
    mb!(
        chol_loop,
        chol_loop_grad,
        chol_loop_vjp,
        chol_loop_jvp,
        CholLoopGrad,
        3,
        cat(&spd_junk(3, 0.2), &[0.03, -0.06, 0.09])
    );
}

// L·Lᵀ reconstructs the lower triangle; chain of solves
#[differentiate]
fn chol_reconstruct(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    let l = c.l();
    let r = &l * l.transpose();
    let x = c.solve(b);
    let y = c.solve(&x);
    let u = l.transpose().solve_upper_triangular(&y).unwrap();
    r[(2, 0)] + r[(0, 2)] * 0.5 + y.dot(b) + u.sum()
}
#[test]
fn qa6_d_chol_reconstruct() {
    mb!(
        chol_reconstruct,
        chol_reconstruct_grad,
        chol_reconstruct_vjp,
        chol_reconstruct_jvp,
        CholReconstructGrad,
        3,
        cat(&spd_junk(3, 0.9), &[0.3, -0.6, 0.9])
    );
}

// Closed form: d/dA ln det A = A^{-T} for the symmetric lower-triangle read: check ln_determinant on
// a symmetric input against the inverse.
#[differentiate]
fn logdet_only(a: &DMatrix<f64>) -> f64 {
    a.clone().cholesky().unwrap().ln_determinant()
}
#[test]
fn qa6_d_logdet_closed_form() {
    let a = DMatrix::from_row_slice(3, 3, &[4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0]);
    let (v, g) = logdet_only_grad(&a);
    assert_eq!(v.to_bits(), logdet_only(&a).to_bits());
    let inv = a.clone().try_inverse().unwrap();
    // Lower triangle read: below-diagonal entry stands for both => 2 inv_ij, diagonal inv_ii, above 0.
    for i in 0..3 {
        for j in 0..3 {
            let e = if i == j {
                inv[(i, i)]
            } else if i > j {
                2.0 * inv[(i, j)]
            } else {
                0.0
            };
            assert!(
                (g.a[(i, j)] - e).abs() < 1e-12,
                "{i},{j}: {} vs {e}",
                g.a[(i, j)]
            );
        }
    }
}

// Near singular but valid SPD
#[test]
fn qa6_d_near_singular() {
    let eps = 1e-4;
    let a = DMatrix::from_row_slice(2, 2, &[1.0, 1.0 - eps, 1.0 - eps, 1.0]);
    let (v, g) = logdet_only_grad(&a);
    assert_eq!(v.to_bits(), logdet_only(&a).to_bits());
    let inv = a.clone().try_inverse().unwrap();
    let e = [inv[(0, 0)], 2.0 * inv[(1, 0)], 0.0, inv[(1, 1)]];
    assert_close("near singular", g.a.as_slice(), &e, 1e-7);
}

// GP with parameters in the matrix: input locations differentiated too
#[differentiate(hessian)]
fn gp_points(x: &[f64], ell: f64) -> f64 {
    let n = x.len();
    let k = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / ell;
        (-0.5 * d * d).exp()
    }) + DMatrix::identity(n, n) * 0.1;
    let y = DVector::from_fn(n, |i, _| (i as f64 * 0.7).sin());
    let c = k.cholesky().expect("spd");
    let alpha = c.solve(&y);
    let ld: f64 = c.l().diagonal().map(|d| d.ln()).sum();
    0.5 * y.dot(&alpha) + ld
}
#[test]
fn qa6_d_gp_points() {
    probe!(p => gp_points, gp_points_grad, gp_points_vjp, [&p[1..], p[0]], [ell, x], [0.8, 0.1, 0.5, 1.3, 1.7]);
    let x = [0.1, 0.5, 1.3, 1.7];
    let v = [0.3, -0.2, 0.5, 0.1];
    let (value, g, hv) = gp_points_hvp(
        &x,
        0.8,
        &GpPointsGrad {
            x: v.to_vec(),
            ell: 0.4,
        },
    );
    assert_eq!(value.to_bits(), gp_points(&x, 0.8).to_bits());
    let h = 1e-5;
    let xp: Vec<f64> = x.iter().zip(&v).map(|(a, d)| a + h * d).collect();
    let xm: Vec<f64> = x.iter().zip(&v).map(|(a, d)| a - h * d).collect();
    let (_, gp) = gp_points_grad(&xp, 0.8 + h * 0.4);
    let (_, gm) = gp_points_grad(&xm, 0.8 - h * 0.4);
    let (_, g0) = gp_points_grad(&x, 0.8);
    assert_close("gp g", &g.x, &g0.x, 1e-12);
    let fd: Vec<f64> = (0..4)
        .map(|i| (gp.x[i] - gm.x[i]) / (2.0 * h))
        .chain([(gp.ell - gm.ell) / (2.0 * h)])
        .collect();
    let mut an = hv.x.clone();
    an.push(hv.ell);
    assert_close("gp hvp", &an, &fd, 1e-6);
}

// f32 and generic
#[differentiate]
fn chol_generic<T: RealField + Copy>(a: &Matrix3<T>, b: &Vector3<T>) -> T {
    let c = a.cholesky().unwrap();
    let x = c.solve(b);
    let t = a.solve_lower_triangular(b).unwrap();
    let d = a.diagonal();
    x.dot(b) + c.ln_determinant() + t.norm() + d.sum() + a.lu().solve(b).unwrap().sum()
}
#[test]
fn qa6_d_chol_generic() {
    let a = spd_junk(3, 0.3);
    let x = cat(&a, &[0.3, -0.6, 0.9]);
    probe!(p => chol_generic, chol_generic_grad, chol_generic_vjp, [&Matrix3::from_column_slice(&p[..9]), &Vector3::new(p[9], p[10], p[11])], [a, b], x);
    let af: Vec<f32> = a.iter().map(|v| *v as f32).collect();
    let am = Matrix3::from_column_slice(&af);
    let bm = Vector3::new(0.3f32, -0.6, 0.9);
    let (v, g) = chol_generic_grad(&am, &bm);
    assert_eq!(v.to_bits(), chol_generic(&am, &bm).to_bits());
    let (_, g64) = chol_generic_grad(
        &Matrix3::from_column_slice(&a),
        &Vector3::new(0.3, -0.6, 0.9),
    );
    for i in 0..9 {
        assert!(
            (f64::from(g.a[i]) - g64.a[i]).abs() < 1e-3 * (1.0 + g64.a[i].abs()),
            "{i}"
        );
    }
}

#[differentiate]
fn chol_f32(a: &DMatrix<f32>, b: &DVector<f32>) -> f32 {
    let c = a.clone().cholesky().unwrap();
    c.solve(b).dot(b) + 2.0 * c.l().diagonal().map(|d| d.ln()).sum()
}
#[test]
fn qa6_d_chol_f32() {
    let a64 = spd_junk(3, 0.5);
    let a = DMatrix::from_iterator(3, 3, a64.iter().map(|v| *v as f32));
    let b = DVector::from_vec(vec![0.3f32, -0.6, 0.9]);
    let (v, g) = chol_f32_grad(&a, &b);
    assert_eq!(v.to_bits(), chol_f32(&a, &b).to_bits());
    let fd = central_difference(
        |p: &[f64]| {
            let q: Vec<f32> = p.iter().map(|v| *v as f32).collect();
            f64::from(chol_f32(
                &DMatrix::from_column_slice(3, 3, &q[..9]),
                &DVector::from_column_slice(&q[9..]),
            ))
        },
        &cat(
            &a64.iter().map(|v| f64::from(*v as f32)).collect::<Vec<_>>(),
            &[0.3f32 as f64, -0.6f32 as f64, 0.9f32 as f64],
        ),
    );
    let an: Vec<f64> =
        g.a.iter()
            .chain(g.b.iter())
            .map(|v| f64::from(*v))
            .collect();
    assert_close("chol f32", &an, &fd, 2e-2);
}

// Jacobian of a triangular solve output
#[differentiate]
fn tri_out(a: &DMatrix<f64>, b: &DVector<f64>) -> DVector<f64> {
    let c = a.clone().cholesky().unwrap();
    let x = c.l().solve_lower_triangular(b).unwrap();
    a.clone().qr().solve(&x).unwrap()
}
#[test]
fn qa6_d_tri_jacobian() {
    let x = cat(&spd_junk(3, 0.7), &[0.3, -0.6, 0.9]);
    let a = DMatrix::from_column_slice(3, 3, &x[..9]);
    let b = DVector::from_column_slice(&x[9..]);
    let (value, rows) = tri_out_jacobian(&a, &b);
    assert_eq!(value, tri_out(&a, &b));
    for k in 0..3 {
        let fd = central_difference(
            |p: &[f64]| {
                tri_out(
                    &DMatrix::from_column_slice(3, 3, &p[..9]),
                    &DVector::from_column_slice(&p[9..]),
                )[k]
            },
            &x,
        );
        let mut an = rows[k].a.as_slice().to_vec();
        an.extend(rows[k].b.iter());
        assert_close("tri jac", &an, &fd, 1e-6);
    }
}

// User types with fields/methods named l, diagonal, solve
#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Lens {
    l: f64,
    diagonal: f64,
}
#[differentiate]
fn solve(x: f64) -> f64 {
    x * 2.0
}
#[differentiate]
fn user_named(p: &Lens, a: &DMatrix<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    let q = p.l * p.diagonal + solve(p.l);
    q * c.l()[(1, 0)] + c.ln_determinant() * p.diagonal
}
#[test]
fn qa6_d_user_named() {
    let a = spd_junk(2, 0.3);
    let x = cat(&[0.7, -0.4], &a);
    probe!(p => user_named, user_named_grad, user_named_vjp, [&Lens { l: p[0], diagonal: p[1] }, &DMatrix::from_column_slice(2, 2, &p[2..])], [p, a], x);
}
impl probe::Flat for Lens {
    fn flat(&self, out: &mut Vec<f64>) {
        out.push(self.l);
        out.push(self.diagonal);
    }
}

// hessian of lu/qr/tri solves over duals
#[differentiate(hessian)]
fn solves_h(a: &[f64]) -> f64 {
    let m = DMatrix::from_fn(3, 3, |i, j| {
        if i == j {
            3.0 + a[i] * a[i]
        } else {
            a[(i + j) % 3] * 0.3
        }
    });
    let b = DVector::from_fn(3, |i, _| a[i].sin());
    let x = m.clone().lu().solve(&b).unwrap();
    let y = m.clone().qr().solve(&b).expect("qr");
    let z = m.solve_upper_triangular(&b).unwrap();
    let w = m.clone().cholesky().unwrap().solve(&b);
    x.dot(&y) + z.sum() * w.sum() + m.determinant().ln()
}
#[test]
fn qa6_d_solves_hessian() {
    let a = [0.3, -0.5, 0.8];
    let n = 3;
    let v = direction(n);
    let (value, g, hv) = solves_h_hvp(&a, &SolvesHGrad { a: v.clone() });
    assert_eq!(value.to_bits(), solves_h(&a).to_bits());
    probe!(p => solves_h, solves_h_grad, solves_h_vjp, [p], [a], a);
    let (_, g0) = solves_h_grad(&a);
    assert_close("solves_h g", &g.a, &g0.a, 1e-12);
    let h = 1e-5;
    let plus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x + h * d).collect();
    let minus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x - h * d).collect();
    let (_, gp) = solves_h_grad(&plus);
    let (_, gm) = solves_h_grad(&minus);
    let fd: Vec<f64> = (0..n).map(|i| (gp.a[i] - gm.a[i]) / (2.0 * h)).collect();
    assert_close("solves_h hvp", &hv.a, &fd, 1e-6);
}

// ---- kept values: more control flow, bounds, recursion, nested AD ------------------

/// A `break` between two kept values: the last iteration keeps one, the others two.
#[differentiate]
fn k_break_middle(a: &[f64]) -> f64 {
    let mut s = 0.2;
    let mut i = 0;
    while i < a.len() {
        let t = (a[i] * s + 0.1).exp();
        if t > 3.0 {
            s = s * t;
            break;
        }
        let u = (t * a[i]).sin();
        s = s + u * t;
        i += 1;
    }
    s
}
#[test]
fn qa6_k_break_middle() {
    for x in [
        [0.3, 0.5, 0.8, 0.2],
        [0.3, 0.5, 2.8, 0.2],
        [1.5, 0.5, 2.8, 0.2],
    ] {
        slice!(
            k_break_middle,
            k_break_middle_grad,
            k_break_middle_vjp,
            k_break_middle_jvp,
            KBreakMiddleGrad,
            x
        );
    }
}

/// max_iterations with nested loops whose total inner iterations exceed the bound.
#[differentiate(max_iterations = 16)]
fn k_bounded_total(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let c = a[i].exp();
        for j in 0..a.len() {
            if a[j] > 0.0 {
                let t = (a[j] * c).tanh();
                s = s + t * c;
            } else {
                s = s * (a[j] * c).cos();
            }
        }
    }
    s
}
#[test]
fn qa6_k_bounded_total() {
    slice!(
        k_bounded_total,
        k_bounded_total_grad,
        k_bounded_total_vjp,
        k_bounded_total_jvp,
        KBoundedTotalGrad,
        [0.3, -0.5, 0.8, 0.1]
    );
}

/// Hessian with max_iterations.
#[differentiate(hessian, max_iterations = 6)]
fn k_bounded_h(a: &[f64]) -> f64 {
    let mut s = 0.1;
    for i in 0..a.len() {
        let t = (a[i] + s).sin();
        if t > 0.0 {
            s = s + t.exp();
        } else {
            s = s * t.cosh();
        }
    }
    s
}
#[test]
fn qa6_k_bounded_h() {
    hvp!(
        k_bounded_h,
        k_bounded_h_grad,
        k_bounded_h_hvp,
        k_bounded_h_hessian,
        KBoundedHGrad,
        [0.3, -1.5, 0.8, 0.1]
    );
}

/// Inactive kept values (from the loop index) read by a rule.
#[differentiate]
fn k_inactive(a: &[f64]) -> f64 {
    let mut s = 1.0;
    for i in 0..a.len() {
        let c = ((i + 1) as f64).sqrt();
        let d = (i as f64 * 0.3).exp();
        s = s * c + a[i] * d;
        s = (s * 0.1).tanh() * c;
    }
    s
}
#[test]
fn qa6_k_inactive() {
    slice!(
        k_inactive,
        k_inactive_grad,
        k_inactive_vjp,
        k_inactive_jvp,
        KInactiveGrad,
        [0.3, -0.5, 0.8]
    );
}

/// Recursion with kept values.
#[differentiate]
fn k_rec(x: f64, n: usize) -> f64 {
    if n == 0 {
        x.exp()
    } else {
        let t = x.sin();
        k_rec(t * 1.1, n - 1) * t.exp()
    }
}
#[test]
fn qa6_k_rec() {
    probe!(p => k_rec, k_rec_grad, k_rec_vjp, [p[0], 3], [x], [0.7]);
}

/// A let-bound closure with transcendentals called in a loop; match arms in a loop.
#[differentiate]
fn k_closure_match(a: &[f64]) -> f64 {
    let f = |v: f64| v.exp() * v.sin();
    let mut s = 0.0;
    for i in 0..a.len() {
        match i % 3 {
            0 => {
                let t = f(a[i] + s * 0.1);
                s = s + t;
            }
            1 => {
                let u = (a[i] * s).atan();
                s = s - u * u;
            }
            _ => s = s * a[i].cos(),
        }
    }
    s
}
#[test]
fn qa6_k_closure_match() {
    slice!(
        k_closure_match,
        k_closure_match_grad,
        k_closure_match_vjp,
        k_closure_match_jvp,
        KClosureMatchGrad,
        [0.3, -0.5, 0.8, 0.2, 0.9]
    );
}

/// Enumerate with a pattern, filter chain, max_by over transcendentals.
#[differentiate]
fn k_iterators(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, &v) in a.iter().enumerate() {
        let t = (v * (i as f64 + 1.0)).exp();
        s = s + t * v.sin();
    }
    let p: f64 = a
        .iter()
        .filter(|v| **v > 0.0)
        .map(|v| v.ln() * v.sqrt())
        .sum();
    let m = a.iter().map(|v| v.tanh()).fold(f64::NEG_INFINITY, f64::max);
    s + p + m
}
#[test]
fn qa6_k_iterators() {
    slice!(
        k_iterators,
        k_iterators_grad,
        k_iterators_vjp,
        k_iterators_jvp,
        KIteratorsGrad,
        [0.3, -0.5, 0.8, 0.2]
    );
}

/// A replayed loop (scratch rewritten each iteration) with a branch holding kept values.
#[differentiate]
fn k_replay_branch(a: &[f64]) -> f64 {
    let n = a.len();
    let mut w = vec![0.0; n];
    let mut s = 0.0;
    for k in 0..3 {
        for i in 0..n {
            w[i] = a[i] * (k as f64 + 1.0) + s;
        }
        for i in 0..n {
            if w[i] > 0.5 {
                let t = w[i].ln();
                s = s + t * w[i];
            } else {
                let u = (w[i] * 0.5).exp();
                s = s * 0.5 + u;
            }
        }
    }
    s
}
#[test]
fn qa6_k_replay_branch() {
    slice!(
        k_replay_branch,
        k_replay_branch_grad,
        k_replay_branch_vjp,
        k_replay_branch_jvp,
        KReplayBranchGrad,
        [0.3, -0.5, 0.8]
    );
}

/// DVector map inside a loop, kept values around it.
#[differentiate]
fn k_dvec_map(a: &DVector<f64>) -> f64 {
    let mut v = a.clone();
    let mut s = 0.0;
    for _ in 0..3 {
        v = v.map(|x| (x * 0.8).tanh() + 0.1);
        let e = v.norm().exp();
        s = s + e * v[0];
    }
    s
}
#[test]
fn qa6_k_dvec_map() {
    probe!(p => k_dvec_map, k_dvec_map_grad, k_dvec_map_vjp, [&DVector::from_column_slice(p)], [a], [0.3, -0.5, 0.8]);
}

/// A loop running many iterations (stack growth), kept values each.
#[differentiate]
fn k_long(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        let t = (s + i as f64 * 1e-3).sin();
        s = s + 1e-3 * t.exp();
    }
    s
}
#[test]
fn qa6_k_long() {
    probe!(p => k_long, k_long_grad, k_long_vjp, [p[0], 5000], [x], [0.3]);
}

/// The same variable assigned a kept value in a loop and an `if` as a value.
#[differentiate]
fn k_if_value(a: &[f64]) -> f64 {
    let mut s = 0.4;
    for i in 0..a.len() {
        let t = if a[i] > 0.0 {
            (a[i] * s).exp()
        } else {
            (a[i] * s).sin()
        };
        let u = if t > 1.0 {
            t.ln()
        } else {
            (t * t + 0.1).sqrt()
        };
        s = s + t * u;
    }
    s
}
#[test]
fn qa6_k_if_value() {
    slice!(
        k_if_value,
        k_if_value_grad,
        k_if_value_vjp,
        k_if_value_jvp,
        KIfValueGrad,
        [0.3, -0.5, 0.8, 1.2]
    );
}

/// Early return inside a branch of a nested loop.
#[differentiate]
fn k_nested_return(a: &[f64]) -> f64 {
    let mut s = 0.1;
    for i in 0..a.len() {
        let c = a[i].exp();
        for j in 0..i {
            let t = (a[j] * c + s).sin();
            if t < -0.9 {
                return s * t.exp();
            }
            s = s + t * c * 0.1;
        }
    }
    s
}
#[test]
fn qa6_k_nested_return() {
    for x in [[0.3, -0.5, 0.8, 0.2], [0.3, -2.0, 1.5, -1.2]] {
        slice!(
            k_nested_return,
            k_nested_return_grad,
            k_nested_return_vjp,
            k_nested_return_jvp,
            KNestedReturnGrad,
            x
        );
    }
}

/// `loop` whose `break` is at the top, kept values after it, and a counter.
#[differentiate]
fn k_loop_top(x: f64, y: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    loop {
        if k == 4 {
            break;
        }
        k += 1;
        let t = (s * y).cos();
        let e = t.exp();
        if e > 2.0 {
            continue;
        }
        s = s + e * t;
    }
    s
}
#[test]
fn qa6_k_loop_top() {
    probe!(p => k_loop_top, k_loop_top_grad, k_loop_top_vjp, [p[0], p[1]], [x, y], [0.3, 1.4]);
    probe!(p => k_loop_top, k_loop_top_grad, k_loop_top_vjp, [p[0], p[1]], [x, y], [0.0, 0.2]);
}

/// The nested-AD call: an inner `_grad` of a hessian function with kept values in a loop.
#[differentiate(hessian)]
fn k_energy(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let t = (x[i] * 0.7).exp();
        s = s + t * x[i].sin();
    }
    s
}
#[differentiate]
fn k_step(a: &[f64]) -> f64 {
    let (e, g) = k_energy_grad(a);
    let mut s = e;
    for i in 0..a.len() {
        s = s + (a[i] - 0.1 * g.x[i]).tanh();
    }
    s
}
#[test]
fn qa6_k_step() {
    probe!(p => k_step, k_step_grad, k_step_vjp, [p], [a], [0.3, -0.5, 0.8]);
}

// ---- kept values: Jacobians by shared reverse sweeps, arrays written in place, counters --

/// Jacobian with fewer outputs than inputs (reverse sweeps sharing one forward sweep), loops
/// with kept values.
#[differentiate]
fn j_wide(a: &[f64]) -> Vec<f64> {
    let mut s = 0.1;
    let mut p = 1.0;
    let mut i = 0;
    while i < a.len() {
        let t = (a[i] + s).exp();
        if t > 1.5 {
            s = s + t.ln_1p();
        } else {
            p = p * t.sin();
        }
        for j in 0..i {
            let u = (a[j] * t).tanh();
            s = s + u * 0.1;
        }
        i += 1;
    }
    let out = vec![s, p];
    out
}
#[test]
fn qa6_j_wide() {
    let a = [0.3, -0.5, 0.8, 0.2, -1.1, 0.6];
    let (value, rows) = j_wide_jacobian(&a);
    assert_eq!(value, j_wide(&a));
    assert_eq!(rows.len(), 2);
    for k in 0..2 {
        let fd = central_difference(|p: &[f64]| j_wide(p)[k], &a);
        assert_close("j_wide", &rows[k].a, &fd, 1e-6);
    }
    // f_vjp linear in its seed and equal to seed-weighted rows.
    let (v, g) = j_wide_vjp(&a, vec![2.0, -0.5]);
    assert_eq!(v, value);
    let expected: Vec<f64> = (0..a.len())
        .map(|i| 2.0 * rows[0].a[i] - 0.5 * rows[1].a[i])
        .collect();
    assert_close("j_wide vjp", &g.a, &expected, 1e-12);
}

/// A Vector2 output with a DVector input, loop with kept values, and a `return` inside.
#[differentiate]
fn j_vec2(a: &DVector<f64>) -> Vector2<f64> {
    let mut s = 0.0;
    let mut q = 0.5;
    for i in 0..a.len() {
        let t = (a[i] * q).sin();
        if t < -0.95 {
            return Vector2::new(s, q);
        }
        s = s + t.exp();
        q = q * (t * t + 1.0).sqrt();
    }
    Vector2::new(s, q)
}
#[test]
fn qa6_j_vec2() {
    let a = [0.3, -0.5, 0.8, 0.2, -1.1];
    let (value, rows) = j_vec2_jacobian(&DVector::from_column_slice(&a));
    assert_eq!(value, j_vec2(&DVector::from_column_slice(&a)));
    for k in 0..2 {
        let fd = central_difference(|p: &[f64]| j_vec2(&DVector::from_column_slice(p))[k], &a);
        assert_close("j_vec2", rows[k].a.as_slice(), &fd, 1e-6);
    }
}

/// Transcendentals of array elements written in place (final reads, replays).
#[differentiate]
fn arr_final(a: &[f64]) -> f64 {
    let n = a.len();
    let mut w = vec![0.0; n];
    for i in 0..n {
        w[i] = a[i] * 2.0;
    }
    let mut s = 0.0;
    for i in 0..n {
        let e = w[i].exp();
        s = s + e * w[i];
    }
    for i in 0..n {
        let l = (w[i] * w[i] + 1.0).ln();
        s = s * 0.9 + l.sqrt();
    }
    s
}
#[test]
fn qa6_arr_final() {
    slice!(
        arr_final,
        arr_final_grad,
        arr_final_vjp,
        arr_final_jvp,
        ArrFinalGrad,
        [0.3, -0.5, 0.8]
    );
}

/// An array read through a transcendental, then written again in the same iteration.
#[differentiate]
fn arr_rewrite(a: &[f64]) -> f64 {
    let n = a.len();
    let mut w = vec![0.0; n];
    for i in 0..n {
        w[i] = a[i];
    }
    let mut s = 0.0;
    for k in 0..3 {
        for i in 0..n {
            let e = (w[i] * 0.5).exp();
            w[i] = e * w[i] + (k as f64) * 0.1;
            let c = w[i].cos();
            s = s + c * e;
        }
        for i in 1..n {
            w[i] = w[i] + w[i - 1].sin();
        }
    }
    s + w[0]
}
#[test]
fn qa6_arr_rewrite() {
    slice!(
        arr_rewrite,
        arr_rewrite_grad,
        arr_rewrite_vjp,
        arr_rewrite_jvp,
        ArrRewriteGrad,
        [0.3, -0.5, 0.8]
    );
}

/// An element read through exp, the array written later at another index (in place).
#[differentiate]
fn arr_scan(a: &[f64]) -> f64 {
    let n = a.len();
    let mut w = vec![0.0; n];
    w[0] = a[0];
    for i in 1..n {
        let e = w[i - 1].tanh();
        w[i] = e * a[i] + e.exp();
    }
    let mut s = 0.0;
    for i in 0..n {
        s = s + w[i].sin();
    }
    s
}
#[test]
fn qa6_arr_scan() {
    slice!(
        arr_scan,
        arr_scan_grad,
        arr_scan_vjp,
        arr_scan_jvp,
        ArrScanGrad,
        [0.3, -0.5, 0.8, 1.1]
    );
}

/// `return` in a loop before the kept value; kept at the top level after the loop.
#[differentiate]
fn ret_before(a: &[f64]) -> f64 {
    let mut s = 0.3;
    for i in 0..a.len() {
        if a[i] < -1.0 {
            return s.exp();
        }
        let t = (a[i] * s).exp();
        s = s + t;
    }
    let u = s.sqrt();
    u * s
}
#[test]
fn qa6_ret_before() {
    for x in [[0.3, -0.5, 0.8], [0.3, -1.5, 0.8], [-1.3, 0.5, 0.8]] {
        slice!(
            ret_before,
            ret_before_grad,
            ret_before_vjp,
            ret_before_jvp,
            RetBeforeGrad,
            x
        );
    }
}

/// A top-level branch with an early return after a kept value.
#[differentiate]
fn top_branch_return(x: f64, y: f64) -> f64 {
    let mut s = y;
    if x > 0.0 {
        let t = x.exp();
        if t > 2.0 {
            return t * y;
        }
        s = t * s;
    } else {
        let c = (x * y).cos();
        s = s * c;
    }
    let e = (s * 0.5).exp();
    e * x
}
#[test]
fn qa6_top_branch_return() {
    for p in [[0.4, 0.9], [1.4, 0.2], [-0.4, 0.3]] {
        probe!(q => top_branch_return, top_branch_return_grad, top_branch_return_vjp, [q[0], q[1]], [x, y], p);
    }
}

/// f32 and generic under max_iterations (array stacks of kept values).
#[differentiate(max_iterations = 10)]
fn bounded_generic<T: Float>(a: &[T]) -> T {
    let mut s = T::one();
    for i in 0..a.len() {
        let t = (a[i] * s).exp();
        if t > T::one() {
            s = s + t.ln_1p();
        } else {
            s = s * t.sqrt();
        }
    }
    s
}
#[test]
fn qa6_bounded_generic() {
    slice!(
        bounded_generic,
        bounded_generic_grad,
        bounded_generic_vjp,
        bounded_generic_jvp,
        BoundedGenericGrad,
        [0.3, -0.5, 0.8]
    );
    let a = [0.3f32, -0.5, 0.8];
    let (v, g) = bounded_generic_grad(&a);
    assert_eq!(v.to_bits(), bounded_generic(&a).to_bits());
    let (_, g64) = bounded_generic_grad(&[0.3f32 as f64, -0.5f32 as f64, 0.8f32 as f64]);
    for i in 0..3 {
        assert!((f64::from(g.a[i]) - g64.a[i]).abs() < 1e-5 * (1.0 + g64.a[i].abs()));
    }
}

/// Step by 2 counter (rebuilt backwards) with kept values.
#[differentiate]
fn step2(a: &[f64]) -> f64 {
    let mut s = 0.2;
    let mut i = 0;
    while i + 1 < a.len() {
        let t = (a[i] * a[i + 1] + s).sin();
        s = s + t.exp() * a[i];
        i += 2;
    }
    s
}
#[test]
fn qa6_step2() {
    slice!(
        step2,
        step2_grad,
        step2_vjp,
        step2_jvp,
        Step2Grad,
        [0.3, -0.5, 0.8, 1.1, 0.4]
    );
}

/// A kept value defined before an inner loop, read after it.
#[differentiate]
fn across_inner(a: &[f64]) -> f64 {
    let mut s = 0.1;
    for i in 0..a.len() {
        let t = (0.3 * (a[i] + s)).exp();
        let mut q = s;
        for j in 0..a.len() {
            q = q * 0.5 + (a[j] * q).cos();
        }
        s = 0.2 * q * t + t.sin();
    }
    s
}
#[test]
fn qa6_across_inner() {
    slice!(
        across_inner,
        across_inner_grad,
        across_inner_vjp,
        across_inner_jvp,
        AcrossInnerGrad,
        [0.3, -0.5, 0.8]
    );
}

// ---- decompositions: carried and indexed matrices, while loops, closed forms, branches ----

/// A matrix carried by a loop, factored each iteration.
#[differentiate]
fn chol_carried(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let n = b.len();
    let mut k = a.clone();
    let mut s = 0.0;
    for _ in 0..3 {
        let c = k.clone().cholesky().unwrap();
        let x = c.solve(b);
        s = s + x.dot(b) + c.ln_determinant();
        k = k * 0.7 + &x * x.transpose() + DMatrix::identity(n, n) * 0.5;
    }
    s
}
#[test]
fn qa6_chol_carried() {
    mb!(
        chol_carried,
        chol_carried_grad,
        chol_carried_vjp,
        chol_carried_jvp,
        CholCarriedGrad,
        3,
        cat(&spd_junk(3, 0.2), &[0.3, -0.6, 0.9])
    );
}

/// A matrix written by index (from parameters), then factored.
#[differentiate]
fn chol_indexed(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let n = b.len();
    let mut k = DMatrix::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            k[(i, j)] = a[(i, j)] + a[(j, i)];
        }
        k[(i, i)] = k[(i, i)] + b[i] * b[i] + 1.0;
    }
    let c = k.cholesky().unwrap();
    c.solve(b).sum() + c.determinant().ln()
}
#[test]
fn qa6_chol_indexed() {
    mb!(
        chol_indexed,
        chol_indexed_grad,
        chol_indexed_vjp,
        chol_indexed_jvp,
        CholIndexedGrad,
        3,
        cat(&spd_junk(3, 0.6), &[0.3, -0.6, 0.9])
    );
}

/// In a while loop with a break decided by the solve.
#[differentiate]
fn chol_while(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let n = b.len();
    let mut lambda = 0.1;
    let mut k = 0;
    while k < 6 {
        let m = a.clone() + DMatrix::identity(n, n) * lambda;
        let c = m.cholesky().unwrap();
        let r = c.solve(b).norm();
        if r < 0.2 {
            break;
        }
        lambda = lambda + r.exp() * 0.3;
        k += 1;
    }
    lambda
}
#[test]
fn qa6_chol_while() {
    mb!(
        chol_while,
        chol_while_grad,
        chol_while_vjp,
        chol_while_jvp,
        CholWhileGrad,
        3,
        cat(&spd_junk(3, 0.2), &[0.3, -0.6, 0.9])
    );
}

/// Closed forms: d ln det / dA (through determinant) and d(bᵀA⁻¹b)/dA = −A⁻ᵀbbᵀA⁻ᵀ for LU/QR
/// of a non-symmetric A.
#[differentiate]
fn lu_quad(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let x = a.clone().lu().solve(b).expect("invertible");
    let y = a.clone().qr().solve(b).expect("invertible");
    x.dot(b) + 2.0 * y.dot(b)
}
#[test]
fn qa6_lu_quad_closed_form() {
    let a = DMatrix::from_row_slice(3, 3, &[2.0, 0.5, -0.3, 0.1, 1.5, 0.7, -0.4, 0.2, 1.8]);
    let b = DVector::from_vec(vec![0.3, -0.6, 0.9]);
    let (v, g) = lu_quad_grad(&a, &b);
    assert_eq!(v.to_bits(), lu_quad(&a, &b).to_bits());
    let inv = a.clone().try_inverse().unwrap();
    let w = inv.transpose() * &b;
    let x = &inv * &b;
    let da = -(&w * x.transpose()) * 3.0;
    let db = (&x + &w) * 3.0;
    assert_close("lu_quad a", g.a.as_slice(), da.as_slice(), 1e-12);
    assert_close("lu_quad b", g.b.as_slice(), db.as_slice(), 1e-12);
}

#[differentiate]
fn chol_det(a: &DMatrix<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    c.determinant()
}
#[test]
fn qa6_chol_det_closed_form() {
    let a = DMatrix::from_row_slice(3, 3, &[4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0]);
    let (v, g) = chol_det_grad(&a);
    assert_eq!(v.to_bits(), chol_det(&a).to_bits());
    let det = a.determinant();
    assert!((v - det).abs() < 1e-12 * det);
    let inv = a.clone().try_inverse().unwrap();
    for i in 0..3 {
        for j in 0..3 {
            let e = det
                * if i == j {
                    inv[(i, i)]
                } else if i > j {
                    2.0 * inv[(i, j)]
                } else {
                    0.0
                };
            assert!(
                (g.a[(i, j)] - e).abs() < 1e-11 * det,
                "{i},{j}: {} vs {e}",
                g.a[(i, j)]
            );
        }
    }
}

/// Static sizes: diagonal iterated in a for loop, a Matrix3 right-hand side.
#[differentiate]
fn static_diag(a: &Matrix3<f64>, b: &Vector3<f64>) -> f64 {
    let c = a.cholesky().expect("spd");
    let mut s = 0.0;
    for d in c.l().diagonal().iter() {
        s = s + d.ln();
    }
    let m = c.solve(&(b * b.transpose()));
    let t = a.solve_upper_triangular(&m).unwrap();
    s + m.trace() + t[(0, 2)] + a.diagonal().map(|v| v.sqrt()).sum()
}
#[test]
fn qa6_static_diag() {
    let x = cat(&spd_junk(3, 0.4), &[0.3, -0.6, 0.9]);
    probe!(p => static_diag, static_diag_grad, static_diag_vjp, [&Matrix3::from_column_slice(&p[..9]), &Vector3::new(p[9], p[10], p[11])], [a, b], x);
}

/// A branch choosing which decomposition solves.
#[differentiate]
fn branch_solve(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let x = if b[0] > 0.0 {
        a.clone().cholesky().unwrap().solve(b)
    } else {
        a.clone().lu().solve(b).unwrap()
    };
    let inv = a.clone().try_inverse().expect("invertible");
    x.dot(&(inv * b))
}
#[test]
fn qa6_branch_solve() {
    mb!(
        branch_solve,
        branch_solve_grad,
        branch_solve_vjp,
        branch_solve_jvp,
        BranchSolveGrad,
        3,
        cat(&spd_junk(3, 0.2), &[0.3, -0.6, 0.9])
    );
    mb!(
        branch_solve,
        branch_solve_grad,
        branch_solve_vjp,
        branch_solve_jvp,
        BranchSolveGrad,
        3,
        cat(&spd_junk(3, 0.2), &[-0.3, -0.6, 0.9])
    );
}

/// Generic Hessian of a Cholesky solve over a matrix built from parameters.
#[differentiate(hessian)]
fn gen_h<T: RealField + Copy>(p: &[T]) -> T {
    let n = p.len();
    let k = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            p[i] * p[i] + T::one()
        } else {
            p[i] * p[j] * T::from_f64(0.3).unwrap()
        }
    });
    let y = DVector::from_fn(n, |i, _| T::from_f64(i as f64 + 1.0).unwrap());
    let c = k.cholesky().unwrap();
    c.solve(&y).dot(&y) + c.ln_determinant()
}
#[test]
fn qa6_gen_h() {
    let a = [0.3, -0.5, 0.8];
    probe!(q => gen_h, gen_h_grad, gen_h_vjp, [q], [p], a);
    let v = direction(3);
    let (value, g, hv) = gen_h_hvp(&a, &GenHGrad { p: v.clone() });
    assert_eq!(value.to_bits(), gen_h(&a).to_bits());
    let (_, g0) = gen_h_grad(&a);
    assert_close("gen_h g", &g.p, &g0.p, 1e-12);
    let h = 1e-5;
    let plus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x + h * d).collect();
    let minus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x - h * d).collect();
    let fd: Vec<f64> = (0..3)
        .map(|i| (gen_h_grad(&plus).1.p[i] - gen_h_grad(&minus).1.p[i]) / (2.0 * h))
        .collect();
    assert_close("gen_h hvp", &hv.p, &fd, 1e-6);
}

/// Two factorizations of matrices sharing parameters; symmetric input a + aᵀ.
#[differentiate]
fn two_chol(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let n = b.len();
    let s = a + a.transpose();
    let c1 = s.clone().cholesky().unwrap();
    let c2 = (a * a.transpose() + DMatrix::identity(n, n))
        .cholesky()
        .unwrap();
    let l1 = c1.l();
    let l2 = c2.l();
    (l1 * l2.transpose()).sum() + c1.solve(&c2.solve(b)).dot(b)
}
#[test]
fn qa6_two_chol() {
    mb!(
        two_chol,
        two_chol_grad,
        two_chol_vjp,
        two_chol_jvp,
        TwoCholGrad,
        3,
        cat(&spd_junk(3, 0.8), &[0.3, -0.6, 0.9])
    );
}

// ---- kept values in branch slots of generic functions, Hessians and methods ----------

/// Branch slots (kept outside loops) in generic functions.
#[differentiate]
fn slot_float<T: Float>(x: T, y: T) -> T {
    let mut s = y;
    if x > T::zero() {
        let t = (x * y).exp();
        let u = t.ln_1p();
        s = s * u + t;
    } else {
        let c = x.atan2(y);
        s = s * c;
    }
    s
}
#[test]
fn qa6_slot_float() {
    for p in [[0.4, 0.9], [-0.4, 0.3]] {
        probe!(q => slot_float, slot_float_grad, slot_float_vjp, [q[0], q[1]], [x, y], p);
    }
    let (v, g) = slot_float_grad(0.4f32, 0.9f32);
    assert_eq!(v.to_bits(), slot_float(0.4f32, 0.9f32).to_bits());
    let (_, g64) = slot_float_grad(0.4f32 as f64, 0.9f32 as f64);
    assert!((f64::from(g.x) - g64.x).abs() < 1e-5 * (1.0 + g64.x.abs()));
}

#[differentiate]
fn slot_real<T: RealField + Copy>(v: &Vector3<T>) -> T {
    let mut s = v[0];
    if v[1] > T::zero() {
        let t = (v[1] * v[2]).sin();
        s = s * t.exp();
    }
    if v[2] > T::zero() {
        let w = v.norm().sqrt();
        s = s + w * v[0];
    }
    s
}
impl probe::Flat for Vector3<f32> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().map(|v| f64::from(*v)));
    }
}
#[test]
fn qa6_slot_real() {
    for p in [[0.4, 0.9, 0.3], [0.4, -0.9, 0.3], [0.4, 0.9, -0.3]] {
        probe!(q => slot_real, slot_real_grad, slot_real_vjp, [&Vector3::new(q[0], q[1], q[2])], [v], p);
    }
}

/// Hessian with a top-level slot and a kept value inside a loop inside a branch.
#[differentiate(hessian)]
fn slot_hess(a: &[f64]) -> f64 {
    let mut s = a[0];
    if a[0] > 0.0 {
        let t = (a[0] * a[1]).exp();
        s = s * t;
        for i in 1..a.len() {
            let u = (a[i] * s).sin();
            s = s + u * t;
        }
    } else {
        let c = a[1].cosh();
        s = s * c;
    }
    s
}
#[test]
fn qa6_slot_hess() {
    for a in [[0.4, 0.3, -0.2], [-0.4, 0.3, -0.2]] {
        let n = 3;
        probe!(p => slot_hess, slot_hess_grad, slot_hess_vjp, [p], [a], a);
        let (_, _, rows) = slot_hess_hessian(&a);
        let h = 1e-5;
        for i in 0..n {
            let mut p = a.to_vec();
            p[i] += h;
            let mut m = a.to_vec();
            m[i] -= h;
            let (_, gp) = slot_hess_grad(&p);
            let (_, gm) = slot_hess_grad(&m);
            let fd: Vec<f64> = (0..n).map(|j| (gp.a[j] - gm.a[j]) / (2.0 * h)).collect();
            assert_close("slot_hess", &rows[i].a, &fd, 1e-6);
        }
    }
}

/// A generic DVector<T> with kept values inside a map closure in a loop, and `T::exp` paths.
#[differentiate]
fn gen_map<T: RealField + Copy>(a: &DVector<T>) -> T {
    let mut v = a.clone();
    let mut s = T::zero();
    for _ in 0..2 {
        v = v.map(|x| T::tanh(x) + x.exp() * T::from_f64(0.1).unwrap());
        s = s + T::ln(v.norm_squared() + T::one());
    }
    s
}
#[test]
fn qa6_gen_map() {
    probe!(p => gen_map, gen_map_grad, gen_map_vjp, [&DVector::from_column_slice(p)], [a], [0.3, -0.5, 0.8]);
}

/// A method of a parameter struct with a branch slot and a loop stack of kept values.
#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Cell {
    w: f64,
    u: f64,
}
#[differentiate]
impl Cell {
    #[differentiate]
    pub fn run(&self, xs: &[f64]) -> f64 {
        let mut h = 0.0;
        for i in 0..xs.len() {
            let z = (self.w * xs[i] + self.u * h).tanh();
            if z > 0.0 {
                h = z.exp() * 0.5;
            } else {
                h = h * z.cos();
            }
        }
        if h > 0.2 {
            let q = h.sqrt();
            h = q * self.w;
        }
        h
    }
}
#[test]
fn qa6_cell() {
    let xs = [0.3, -0.7, 1.1, 0.4];
    let p = [0.8, 0.5];
    let f = |p: &[f64]| Cell { w: p[0], u: p[1] }.run(&xs);
    let (v, g) = Cell { w: p[0], u: p[1] }.run_grad(&xs);
    assert_eq!(v.to_bits(), f(&p).to_bits());
    let fd = central_difference(f, &p);
    let mut an = vec![g.self_.w, g.self_.u];
    an.extend(g.xs.iter());
    let fdx = central_difference(|q: &[f64]| Cell { w: p[0], u: p[1] }.run(q), &xs);
    let mut num = fd.clone();
    num.extend(fdx);
    assert_close("cell", &an, &num, 1e-6);
}

// ---- kept values on stacks sized from each loop source --------------------------------

/// Fixed loop stacks sized from the loop's source: every top-level source spelling with a
/// kept value in its body.
#[differentiate]
fn src_zip(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b.iter()) {
        let t = (x * y).exp();
        s = s + t * x;
    }
    s
}
#[test]
fn qa6_src_zip() {
    // Unequal lengths: the zip stops at the shorter.
    probe!(p => src_zip, src_zip_grad, src_zip_vjp, [&p[..4], &p[4..]], [a, b], [0.3, -0.5, 0.8, 0.9, 0.2, 0.4]);
    probe!(p => src_zip, src_zip_grad, src_zip_vjp, [&p[..2], &p[2..]], [a, b], [0.3, -0.5, 0.8, 0.9, 0.2, 0.4]);
}

#[differentiate]
fn src_ranges(a: &[f64], k: usize) -> f64 {
    let n = a.len();
    let mut s = 0.0;
    for i in (0..n).rev() {
        let t = (a[i] + s).sin();
        s = s + t.exp();
    }
    for i in (1..n).step_by(2) {
        let t = (a[i] * s).tanh();
        s = s * 0.5 + t.sqrt().abs();
    }
    for i in k..n {
        let t = a[i].exp();
        s = s + t * s.cos();
    }
    for i in 0..=k {
        let t = (a[i] * 0.5).cosh();
        s = s * t;
    }
    for (i, x) in a.iter().skip(1).enumerate() {
        let t = (x * i as f64).atan();
        s = s + t * x.exp();
    }
    for x in a.iter().take(2) {
        let t = x.exp();
        s = s + t * t;
    }
    for w in a.windows(2) {
        let t = (w[0] - w[1]).exp();
        s = s + t * w[0];
    }
    for x in a.iter().chain(a[1..].iter()) {
        let t = (x * 0.3).sin();
        s = s + t * x;
    }
    s
}
#[test]
fn qa6_src_ranges() {
    for k in [0, 2, 3] {
        probe!(p => src_ranges, src_ranges_grad, src_ranges_vjp, [p, k], [a], [0.3, 0.5, 0.8, 0.2]);
    }
    // k beyond n: the `k..n` loop is empty.
    probe!(p => src_ranges, src_ranges_grad, src_ranges_vjp, [p, 5], [a], [0.3, 0.5, 0.8, 0.2, 0.1, 0.6, -0.2]);
}

/// A filter loop (lower bound of its size hint 0) with kept values.
#[differentiate]
fn src_filter(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in a.iter().filter(|v| **v > 0.0) {
        let t = x.ln();
        s = s + t * x;
    }
    for (i, &x) in a.iter().enumerate().filter(|(_, v)| **v < 0.5) {
        let t = (x * i as f64).exp();
        s = s + t;
    }
    s
}
#[test]
fn qa6_src_filter() {
    probe!(p => src_filter, src_filter_grad, src_filter_vjp, [p], [a], [0.3, -0.5, 0.8, 0.2]);
}

/// The range's end changed inside the loop (Rust evaluates it once).
#[differentiate]
fn src_end_changes(a: &[f64]) -> f64 {
    let mut n = a.len();
    let mut s = 0.0;
    for i in 0..n {
        let t = (a[i] * 2.0).exp();
        s = s + t;
        n = 1;
    }
    s * n as f64
}
#[test]
fn qa6_src_end_changes() {
    probe!(p => src_end_changes, src_end_changes_grad, src_end_changes_vjp, [p], [a], [0.3, -0.5, 0.8]);
}

/// Vec filled by push, then a loop with kept values over it; iteration over a Vec by value.
#[differentiate]
fn src_push(a: &[f64]) -> f64 {
    let mut v = Vec::new();
    for i in 0..a.len() {
        v.push((a[i] * 0.5).exp());
    }
    let mut s = 0.0;
    for x in v.iter() {
        let t = x.ln_1p();
        s = s + t * x;
    }
    s
}
#[test]
fn qa6_src_push() {
    probe!(p => src_push, src_push_grad, src_push_vjp, [p], [a], [0.3, -0.5, 0.8]);
}

// ---- decompositions: view right-hand sides, a factor used in a later loop, f32 solves ---

/// Right-hand sides that are views (columns, rows of a parameter).
#[differentiate]
fn view_rhs(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    let x = c.solve(&a.column(1).into_owned());
    let l = c.l();
    let y = l.solve_lower_triangular(&b).unwrap();
    let z = a.clone().lu().solve(&(b * 2.0)).unwrap();
    x.dot(b) + y.sum() + z[0]
}
#[test]
fn qa6_view_rhs() {
    probe!(p => view_rhs, view_rhs_grad, view_rhs_vjp, [&DMatrix::from_column_slice(3, 3, &p[..9]), &DVector::from_column_slice(&p[9..])], [a, b], cat(&spd_junk(3, 0.3), &[0.3, -0.6, 0.9]));
}

/// A decomposition used inside a later loop; shadowing of the name.
#[differentiate]
fn chol_used_in_loop(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = b[0] * 2.0;
    let mut s = c * 0.25;
    let c = a.clone().cholesky().expect("spd");
    let mut r = b.clone();
    for k in 0..3 {
        r = c.solve(&r) * (k as f64 + 1.0);
        s = s + r.norm().ln();
    }
    let l = c.l();
    s + l.determinant() + l.clone().try_inverse().unwrap().sum()
}
#[test]
fn qa6_chol_used_in_loop() {
    probe!(p => chol_used_in_loop, chol_used_in_loop_grad, chol_used_in_loop_vjp, [&DMatrix::from_column_slice(3, 3, &p[..9]), &DVector::from_column_slice(&p[9..])], [a, b], cat(&spd_junk(3, 0.3), &[0.3, -0.6, 0.9]));
}

/// f32 LU/QR/triangular solves.
#[differentiate]
fn solves_f32(a: &DMatrix<f32>, b: &DVector<f32>) -> f32 {
    let x = a.clone().lu().solve(b).unwrap();
    let y = a.tr_solve_lower_triangular(b).unwrap();
    let z = a.clone().qr().solve(&x).expect("qr");
    x.dot(&y) + z.sum()
}
#[test]
fn qa6_solves_f32() {
    let a64 = spd_junk(3, 0.5);
    let af: Vec<f32> = a64.iter().map(|v| *v as f32).collect();
    let a = DMatrix::from_column_slice(3, 3, &af);
    let b = DVector::from_vec(vec![0.3f32, -0.6, 0.9]);
    let (v, g) = solves_f32_grad(&a, &b);
    assert_eq!(v.to_bits(), solves_f32(&a, &b).to_bits());
    // Against the same function in f64 (the rules are the same): close to f32 precision.
    let x = cat(
        &af.iter().map(|v| f64::from(*v)).collect::<Vec<_>>(),
        &b.iter().map(|v| f64::from(*v)).collect::<Vec<_>>(),
    );
    let fd = central_difference(
        |p: &[f64]| {
            let q: Vec<f32> = p.iter().map(|v| *v as f32).collect();
            f64::from(solves_f32(
                &DMatrix::from_column_slice(3, 3, &q[..9]),
                &DVector::from_column_slice(&q[9..]),
            ))
        },
        &x,
    );
    for (i, (an, n)) in g.a.iter().chain(g.b.iter()).zip(&fd).enumerate() {
        assert!(
            (f64::from(*an) - n).abs() < 3e-2 * (1.0 + n.abs()),
            "{i}: {an} vs {n}"
        );
    }
}

// ---- decompositions: spellings --------------------------------------------------------

#[differentiate]
fn sp2(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let l = a.clone().cholesky().unwrap().l();
    l.sum() + b[0]
}
#[differentiate]
fn sp3(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    a.clone().cholesky().unwrap().solve(b).dot(b)
}
#[differentiate]
fn sp4(a: &Matrix3<f64>, b: &Vector3<f64>) -> f64 {
    let x = a.lu().solve(b).unwrap();
    let d = a.diagonal();
    x.dot(&d)
}
#[differentiate]
fn sp5(a: &DMatrix<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    let l = c.l();
    let mut s = 0.0;
    for i in 0..l.nrows() {
        s = s + l[(i, i)].ln();
    }
    s
}
#[differentiate]
fn sp6(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    let x: DVector<f64> = c.solve(b);
    let l: DMatrix<f64> = c.l();
    x.sum() + l.sum()
}
#[differentiate]
fn sp7(a: &DMatrix<f64>, b: &DVector<f64>) -> DVector<f64> {
    let c = a.clone().cholesky().unwrap();
    c.solve(b)
}
#[differentiate]
fn sp8(a: &DMatrix<f64>) -> DMatrix<f64> {
    let c = a.clone().cholesky().unwrap();
    c.l()
}
/// Spellings: the factor of an unwrapped temporary, a solve of a temporary, a static LU solve
/// with a diagonal, the factor's diagonal read by index, annotated lets, the solve and the
/// factor as the function's value (their Jacobians).
#[test]
fn qa6_decomposition_spellings() {
    let a = DMatrix::from_row_slice(2, 2, &[4.0, 9.0, 1.0, 3.0]);
    let b = DVector::from_vec(vec![0.5, -1.0]);
    let fd = |f: &dyn Fn(&DMatrix<f64>) -> f64| {
        let mut g = vec![0.0; 4];
        for k in 0..4 {
            let h = 1e-6;
            let mut p = a.clone();
            p[k] += h;
            let mut m = a.clone();
            m[k] -= h;
            g[k] = (f(&p) - f(&m)) / (2.0 * h);
        }
        g
    };
    let (_, g2) = sp2_grad(&a, &b);
    let n2 = fd(&|m| sp2(m, &b));
    let (_, g3) = sp3_grad(&a, &b);
    let n3 = fd(&|m| sp3(m, &b));
    let (_, g5) = sp5_grad(&a);
    let n5 = fd(&|m| sp5(m));
    let (_, g6) = sp6_grad(&a, &b);
    let n6 = fd(&|m| sp6(m, &b));
    for (g, n) in [(g2.a, n2), (g3.a, n3), (g5.a, n5), (g6.a, n6)] {
        for k in 0..4 {
            assert!(
                (g[k] - n[k]).abs() < 1e-6 * (1.0 + n[k].abs()),
                "{k}: {} vs {}",
                g[k],
                n[k]
            );
        }
    }
    let (v7, rows7) = sp7_jacobian(&a, &b);
    assert_eq!(v7, sp7(&a, &b));
    let (v8, rows8) = sp8_jacobian(&a);
    assert_eq!(v8, sp8(&a));
    for k in 0..2 {
        let n = fd(&|m| sp7(m, &b)[k]);
        for q in 0..4 {
            assert!((rows7[k].a[q] - n[q]).abs() < 1e-6, "p7 {k} {q}");
        }
    }
    for k in 0..4 {
        let n = fd(&|m| sp8(m)[k]);
        for q in 0..4 {
            assert!(
                (rows8[k].a[q] - n[q]).abs() < 1e-6,
                "p8 {k} {q}: {} vs {}",
                rows8[k].a[q],
                n[q]
            );
        }
    }
    let am = Matrix3::new(2.0, 0.3, 0.1, -0.2, 1.5, 0.4, 0.3, 0.2, 1.8);
    let bm = Vector3::new(0.3, -0.6, 0.9);
    let (v4, g4) = sp4_grad(&am, &bm);
    assert_eq!(v4, sp4(&am, &bm));
    for k in 0..9 {
        let h = 1e-6;
        let mut p = am;
        p[k] += h;
        let mut m = am;
        m[k] -= h;
        let n = (sp4(&p, &bm) - sp4(&m, &bm)) / (2.0 * h);
        assert!((g4.a[k] - n).abs() < 1e-6 * (1.0 + n.abs()), "p4 {k}");
    }
}

// ---- decompositions: second order ---------------------------------------------------

/// Hessian with respect to a matrix parameter (rows flattened column-major).
#[differentiate(hessian)]
fn mat_h(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    let x = c.solve(b);
    let y = a.clone().lu().solve(b).unwrap();
    let t = a.solve_lower_triangular(b).unwrap();
    x.dot(b) + c.ln_determinant() + y.norm_squared() + t.sum() * a.diagonal().sum()
}
#[test]
fn qa6_mat_h() {
    let n = 3;
    let a = DMatrix::from_column_slice(n, n, &spd_junk(n, 0.4));
    let b = DVector::from_vec(vec![0.3, -0.6, 0.9]);
    let (value, g, rows) = mat_h_hessian(&a, &b);
    assert_eq!(value.to_bits(), mat_h(&a, &b).to_bits());
    assert_eq!(rows.len(), n * n + n);
    let h = 1e-5;
    for k in 0..n * n + n {
        let bump = |d: f64| {
            let mut a2 = a.clone();
            let mut b2 = b.clone();
            if k < n * n {
                a2[k] += d
            } else {
                b2[k - n * n] += d
            }
            let (_, g) = mat_h_grad(&a2, &b2);
            let mut f = g.a.as_slice().to_vec();
            f.extend(g.b.iter());
            f
        };
        let (p, m) = (bump(h), bump(-h));
        let fd: Vec<f64> = p.iter().zip(&m).map(|(p, m)| (p - m) / (2.0 * h)).collect();
        let mut an = rows[k].a.as_slice().to_vec();
        an.extend(rows[k].b.iter());
        assert_close(&format!("mat_h row {k}"), &an, &fd, 1e-6);
    }
    let (_, g0) = mat_h_grad(&a, &b);
    assert_close("mat_h g", g.a.as_slice(), g0.a.as_slice(), 1e-12);
}

/// Nested AD: the gradient of a hessian function that factors, inside a differentiated
/// function (its VJP is a Hessian-vector product through the Cholesky rules over duals).
#[differentiate(hessian)]
fn nll(theta: &[f64]) -> f64 {
    let n = 4;
    let k = DMatrix::from_fn(n, n, |i, j| {
        let d = (i as f64 - j as f64) / theta[0].exp();
        theta[1].exp() * (-0.5 * d * d).exp()
    }) + DMatrix::identity(n, n) * 0.1;
    let y = DVector::from_fn(n, |i, _| (i as f64 * 0.9).cos());
    let c = k.cholesky().unwrap();
    0.5 * c.solve(&y).dot(&y) + 0.5 * c.ln_determinant()
}
#[differentiate]
fn newton_like(theta: &[f64]) -> f64 {
    let (v, g) = nll_grad(theta);
    let mut s = v;
    for i in 0..theta.len() {
        s = s + 0.5 * g.theta[i] * g.theta[i];
    }
    s
}
#[test]
fn qa6_nested() {
    probe!(p => newton_like, newton_like_grad, newton_like_vjp, [p], [theta], [0.2, -0.3]);
}

// ---- kept values: while conditions, carried kept values, every expensive rule ----------

/// A transcendental in a `while` condition and in the body, with a bound.
#[differentiate(max_iterations = 50)]
fn cond_exp(x: f64, y: f64) -> f64 {
    let mut s = x;
    while (s * y).exp() < 4.0 {
        s = s + 0.1 * (s * y).exp() + 0.05;
    }
    s * y
}
#[test]
fn qa6_cond_exp() {
    probe!(p => cond_exp, cond_exp_grad, cond_exp_vjp, [p[0], p[1]], [x, y], [0.2, 0.7]);
}

#[differentiate]
fn cond_exp_heap(x: f64, y: f64) -> f64 {
    let mut s = x;
    while (s * y).tanh() < 0.8 {
        let e = (s * y).tanh();
        s = s + 0.2 * e.exp() + 0.05;
    }
    s * y
}
#[test]
fn qa6_cond_exp_heap() {
    probe!(p => cond_exp_heap, cond_exp_heap_grad, cond_exp_heap_vjp, [p[0], p[1]], [x, y], [0.2, 0.7]);
}

/// A carried value that is itself a kept transcendental; compound assignments.
#[differentiate]
fn carried_kept(a: &[f64]) -> f64 {
    let mut x = a[0];
    let mut s = 1.0;
    for i in 0..a.len() {
        x = (x + a[i]).sin();
        s *= x.exp();
        s += (x * x + 1.0).ln();
        s -= x.tanh() * 0.5;
        s /= 1.0 + x.cosh();
    }
    s + x
}
#[test]
fn qa6_carried_kept() {
    probe!(p => carried_kept, carried_kept_grad, carried_kept_vjp, [p], [a], [0.3, -0.5, 0.8, 0.1]);
}

/// Every expensive rule, kept in one loop, each read by a rule.
#[differentiate]
fn every_rule(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let x = 0.3 + 0.1 * a[i] * a[i];
        let v = [
            x.sin(),
            x.cos(),
            x.tan(),
            x.asin(),
            x.acos(),
            x.atan(),
            x.sinh(),
            x.cosh(),
            x.tanh(),
            x.asinh(),
            (x + 1.0).acosh(),
            x.atanh(),
            x.exp(),
            x.exp2(),
            x.exp_m1(),
            x.ln(),
            x.ln_1p(),
            x.log10(),
            x.log2(),
            x.sqrt(),
            x.cbrt(),
            x.log(3.0),
            x.powf(a[i]),
            x.atan2(a[i]),
            x.hypot(a[i]),
        ];
        for k in 0..v.len() {
            s = s + v[k] * v[k] * (k as f64 + 1.0) * a[i];
        }
    }
    s
}
#[test]
fn qa6_every_rule() {
    probe!(p => every_rule, every_rule_grad, every_rule_vjp, [p], [a], [0.3, -0.5, 0.8]);
}

/// The same expensive rules, scalars bound by `let`, read by products, in a branch in a loop.
#[differentiate]
fn every_rule_let(a: &[f64]) -> f64 {
    let mut s = 0.1;
    for i in 0..a.len() {
        let x = 0.3 + 0.1 * a[i] * a[i];
        if a[i] > 0.0 {
            let p = x.sin() * x.cos() * x.tan() * x.asin() * x.acos() * x.atan();
            let q = x.sinh() * x.cosh() * x.tanh() * x.asinh() * (x + 1.0).acosh() * x.atanh();
            s = s + p * q * s;
        } else {
            let p = x.exp() * x.exp2() * x.exp_m1() * x.ln() * x.ln_1p() * x.log10() * x.log2();
            let q = x.sqrt() * x.cbrt() * x.log(3.0) * x.powf(s) * x.atan2(s) * x.hypot(s);
            s = s + p * q;
        }
    }
    s
}
#[test]
fn qa6_every_rule_let() {
    probe!(p => every_rule_let, every_rule_let_grad, every_rule_let_vjp, [p], [a], [0.3, -0.5, 0.8, -0.2]);
}

/// Cheap rules on kept values (powi, mul_add, max, clamp, abs, recip) and sin_cos.
#[differentiate]
fn cheap_on_kept(a: &[f64]) -> f64 {
    let mut s = 0.2;
    for i in 0..a.len() {
        let t = (0.3 * (a[i] + s)).exp();
        let (sn, cs) = (a[i] * t).sin_cos();
        s = t.powi(2).mul_add(0.1, sn * cs)
            + t.max(s).recip()
            + (t * cs).clamp(-0.5, 0.5)
            + sn.abs();
    }
    s
}
#[test]
fn qa6_cheap_on_kept() {
    probe!(p => cheap_on_kept, cheap_on_kept_grad, cheap_on_kept_vjp, [p], [a], [0.3, -0.5, 0.8]);
}

/// A flag breaking out of a nested loop with kept values in both.
#[differentiate]
fn flag_break(a: &[f64]) -> f64 {
    let mut s = 0.1;
    let mut done = false;
    for i in 0..a.len() {
        if done {
            break;
        }
        let c = (a[i] * s).cos();
        for j in 0..a.len() {
            let t = (a[j] * c).exp();
            if t > 2.0 {
                done = true;
                break;
            }
            s = s + t * 0.1;
        }
        s = s * c;
    }
    s
}
#[test]
fn qa6_flag_break() {
    for x in [[0.3, -0.5, 0.4], [0.3, 1.5, 0.4], [2.0, -0.5, 0.4]] {
        probe!(p => flag_break, flag_break_grad, flag_break_vjp, [p], [a], x);
    }
}

// ---- decompositions: messages ------------------------------------------------------

/// `.expect("..")` of each decomposition panics with the user's message in every mode.
#[differentiate(hessian)]
fn msgs(a: &DMatrix<f64>, b: &DVector<f64>, k: usize) -> f64 {
    if k == 0 {
        a.clone().cholesky().expect("not spd").solve(b).sum()
    } else if k == 1 {
        a.clone().lu().solve(b).expect("lu singular").sum()
    } else if k == 2 {
        a.clone().qr().solve(b).expect("qr singular").sum()
    } else if k == 3 {
        a.solve_lower_triangular(b).expect("lower singular").sum()
    } else {
        a.clone().try_inverse().expect("no inverse").sum()
    }
}

fn message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn qa6_expect_messages_in_every_mode() {
    let a = DMatrix::from_element(2, 2, 0.0);
    let b = DVector::from_vec(vec![1.0, 2.0]);
    let expected = [
        "not spd",
        "lu singular",
        "qr singular",
        "lower singular",
        "no inverse",
    ];
    for k in 0..5 {
        let plain = message(std::panic::catch_unwind(|| msgs(&a, &b, k)).expect_err("plain"));
        assert_eq!(plain, expected[k]);
        let grad = message(std::panic::catch_unwind(|| msgs_grad(&a, &b, k)).expect_err("grad"));
        assert_eq!(grad, expected[k], "grad {k}");
        let t = MsgsGrad {
            a: a.clone(),
            b: b.clone(),
        };
        let jvp = message(std::panic::catch_unwind(|| msgs_jvp(&a, &b, k, &t)).expect_err("jvp"));
        assert_eq!(jvp, expected[k], "jvp {k}");
        let hvp = message(std::panic::catch_unwind(|| msgs_hvp(&a, &b, k, &t)).expect_err("hvp"));
        assert_eq!(hvp, expected[k], "hvp {k}");
    }
}

// ---- a user's methods named like the decomposition rows ------------------------------

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Grid {
    d: f64,
    e: f64,
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Model {
    grid: Grid,
    k: f64,
}

#[differentiate]
impl Grid {
    #[differentiate]
    pub fn cholesky(&self, x: f64) -> f64 {
        self.d * x.sqrt()
    }

    #[differentiate]
    pub fn solve_lower_triangular(&self, x: f64) -> f64 {
        x / self.e
    }

    #[differentiate]
    pub fn tr_solve_lower_triangular(&self, x: f64) -> f64 {
        x * self.e.exp()
    }
}

#[differentiate]
impl Model {
    #[differentiate]
    pub fn energy(&self, x: f64) -> f64 {
        self.grid.cholesky(x) * self.k
            + self.grid.solve_lower_triangular(x)
            + self.grid.tr_solve_lower_triangular(self.k)
    }
}

#[test]
fn qa6_user_methods_named_like_decomposition_rows() {
    let m = Model {
        grid: Grid { d: 0.7, e: 0.4 },
        k: 1.3,
    };
    let x = 2.0;
    let (v, g) = m.energy_grad(x);
    assert_eq!(v.to_bits(), m.energy(x).to_bits());
    // E = d √x k + x / e + k eᵉ.
    let (d, e, k) = (0.7f64, 0.4f64, 1.3f64);
    assert!((g.x - (d * k * 0.5 / x.sqrt() + 1.0 / e)).abs() < 1e-12);
    assert!((g.self_.k - (d * x.sqrt() + e.exp())).abs() < 1e-12);
    assert!((g.self_.grid.d - x.sqrt() * k).abs() < 1e-12);
    assert!((g.self_.grid.e - (-x / (e * e) + k * e.exp())).abs() < 1e-12);
}

// ---- kept values spelled as paths ---------------------------------------------------

/// Path spellings of the expensive rules, kept in loops: `Float::exp(x)`, `T::powf(x, y)`,
/// `f64::atan2(y, x)`, `<f64>::hypot`, `f64::log(x, b)`.
#[differentiate]
fn paths_generic<T: Float>(a: &[T]) -> T {
    let mut s = T::one();
    for i in 0..a.len() {
        let t = Float::exp(a[i] * s);
        let u = T::powf(t, a[i]);
        let w = num_traits::Float::sqrt(u + T::one());
        if w > T::one() {
            s = s + T::atan2(w, s) * t;
        } else {
            s = s * T::hypot(u, w);
        }
    }
    s
}
#[test]
fn qa6_paths_generic() {
    probe!(p => paths_generic, paths_generic_grad, paths_generic_vjp, [p], [a], [0.3, -0.5, 0.8]);
}

#[differentiate]
fn paths_f64(a: &[f64]) -> f64 {
    let mut s = 0.5;
    for i in 0..a.len() {
        let t = f64::atan2(a[i], s);
        let u = <f64>::hypot(t, s);
        let l = f64::log(u + 1.0, 3.0);
        s = s + l * t * f64::ln_1p(u);
    }
    s
}
#[test]
fn qa6_paths_f64() {
    probe!(p => paths_f64, paths_f64_grad, paths_f64_vjp, [p], [a], [0.3, -0.5, 0.8]);
}

#[differentiate]
fn paths_real<T: RealField + Copy>(a: &DVector<T>) -> T {
    let mut s = T::one();
    for i in 0..a.len() {
        let t = T::sin(a[i] * s);
        let u = nalgebra::ComplexField::exp(t);
        let w = T::atan2(u, s);
        s = s + w * u + T::sqrt(s);
    }
    s
}
#[test]
fn qa6_paths_real() {
    probe!(p => paths_real, paths_real_grad, paths_real_vjp, [&DVector::from_column_slice(p)], [a], [0.3, -0.5, 0.8]);
}

// ---- expect and unwrap of ordinary options --------------------------------------------

/// `.expect` on `first()`/`last()` beside `.unwrap()` of reduce and max_by.
#[differentiate]
fn expects(a: &[f64]) -> f64 {
    let f = *a.first().expect("nonempty");
    let l = a.last().copied().expect("nonempty");
    let m = a.iter().copied().reduce(f64::max).unwrap();
    let k = a.iter().max_by(|x, y| x.partial_cmp(y).unwrap()).unwrap();
    f * l + m * k
}
#[test]
fn qa6_expects() {
    probe!(p => expects, expects_grad, expects_vjp, [p], [a], [0.3, -0.5, 0.8, 0.2]);
}

/// A message that is a constant, not a literal.
#[differentiate]
fn const_message(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().expect("spd");
    c.solve(b).sum()
}
#[test]
fn qa6_const_message() {
    let a = DMatrix::from_row_slice(2, 2, &[4.0, 1.0, 1.0, 3.0]);
    let b = DVector::from_vec(vec![0.5, -1.0]);
    let (v, _) = const_message_grad(&a, &b);
    assert_eq!(v, const_message(&a, &b));
}

// ---- decompositions: which triangle is read --------------------------------------------

/// ln det of [[a, junk], [b, c]] through the Cholesky factor: only the lower triangle is
/// read, so d/da = c/D, d/db = −2b/D, d/dc = a/D with D = ac − b², and the junk has none.
#[differentiate]
fn logdet2(a: f64, b: f64, c: f64, junk: f64) -> f64 {
    let m = Matrix2::new(a, junk * 10.0, b, c);
    let ch = m.cholesky().unwrap();
    ch.ln_determinant() + 0.0 * junk
}
#[test]
fn qa6_logdet2_closed_form() {
    let (a, b, c, junk) = (2.0, 0.7, 1.5, 0.3);
    let (v, g) = logdet2_grad(a, b, c, junk);
    let d = a * c - b * b;
    assert!((v - d.ln()).abs() < 1e-14);
    assert_eq!(v.to_bits(), logdet2(a, b, c, junk).to_bits());
    assert!((g.a - c / d).abs() < 1e-14);
    assert!((g.b + 2.0 * b / d).abs() < 1e-14);
    assert!((g.c - a / d).abs() < 1e-14);
    assert_eq!(g.junk, 0.0);
}

/// The factor of a transposed matrix reads the upper triangle of the original.
#[differentiate]
fn chol_transposed(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.transpose().cholesky().unwrap();
    let d = (a * 2.0).cholesky().unwrap();
    c.solve(b).dot(b) + c.ln_determinant() + d.l()[(1, 0)] + a.sum()
}
#[test]
fn qa6_chol_transposed() {
    // Symmetric positive definite plus junk below the diagonal (read by `d` only).
    let mut a = DMatrix::from_row_slice(3, 3, &[4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0]);
    a[(2, 0)] = 0.9;
    let x: Vec<f64> = a.iter().copied().chain([0.3, -0.6, 0.9]).collect();
    probe!(p => chol_transposed, chol_transposed_grad, chol_transposed_vjp, [&DMatrix::from_column_slice(3, 3, &p[..9]), &DVector::from_column_slice(&p[9..])], [a, b], x);
}

/// A copy of the parameter written above and below its diagonal, then factored.
#[differentiate]
fn chol_written(a: &DMatrix<f64>, x: f64) -> f64 {
    let mut m = a.clone();
    m[(0, 1)] = 100.0 * x;
    m[(1, 0)] = x;
    let c = m.cholesky().unwrap();
    c.ln_determinant() + c.l()[(1, 0)] * x
}
#[test]
fn qa6_chol_written() {
    let a = [4.0, 1.0, 1.0, 3.0];
    probe!(p => chol_written, chol_written_grad, chol_written_vjp, [&DMatrix::from_column_slice(2, 2, &p[1..]), p[0]], [x, a], [0.4, a[0], a[1], a[2], a[3]]);
}

// ---- kept values in callees (split-mode pullbacks) -----------------------------------

/// A callee with a branch slot and a loop stack of kept values, called in a loop (its
/// pullback kept per iteration) and twice with different lengths.
#[differentiate]
fn callee(x: f64, w: &[f64]) -> f64 {
    let mut s = x;
    if x > 0.0 {
        let t = x.sqrt();
        s = s * t;
    } else {
        let e = x.exp();
        s = s + e * e;
    }
    for i in 0..w.len() {
        let u = (w[i] * s).tanh();
        s = s + u * w[i];
    }
    s
}
#[differentiate]
fn caller(a: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let t = (a[i] + s * 0.1).sin();
        s = s + callee(t, w) * t.exp();
    }
    s + callee(s * 0.1, &w[1..]) + callee(-s * 0.1, &w[..1])
}
#[test]
fn qa6_caller() {
    probe!(p => caller, caller_grad, caller_vjp, [&p[..3], &p[3..]], [a, w], [0.3, -0.9, 0.8, 0.5, -0.4, 0.7]);
}

/// A callee with kept values over a DVector, called with a temporary and in a branch.
#[differentiate]
fn vcallee(v: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..v.len() {
        let e = v[i].exp();
        s = s + e * v[i].sin();
    }
    s
}
#[differentiate]
fn vcaller(v: &DVector<f64>, x: f64) -> f64 {
    let w = v * x;
    let mut s = vcallee(&w);
    if s > 1.0 {
        s = s * vcallee(&(v * s.ln()));
    }
    s
}
#[test]
fn qa6_vcaller() {
    for x in [0.5, 2.0] {
        probe!(p => vcaller, vcaller_grad, vcaller_vjp, [&DVector::from_column_slice(&p[1..]), p[0]], [x, v], [x, 0.3, -0.5, 0.8]);
    }
}

// ---- Hessians over a nalgebra vector's `.iter()` (the spellings that build; see E1) ------

#[differentiate(hessian)]
fn hess_iter_copied(a: &DVector<f64>) -> f64 {
    a.iter().copied().map(|d| d.exp()).sum()
}

#[differentiate(hessian)]
fn hess_iter_deref(a: &DVector<f64>) -> f64 {
    a.iter().map(|d| (*d).exp()).sum()
}

#[differentiate(hessian)]
fn hess_iter_pattern(a: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for &d in a.iter() {
        s += d.exp() * d;
    }
    s
}

#[test]
fn qa6_hessians_over_dvector_iter() {
    let a = DVector::from_vec(vec![0.1, -0.4, 0.7]);
    let v = DVector::from_vec(vec![0.3, 0.5, -0.2]);
    // Σ exp(aᵢ): ∇ = exp(a), H = diag(exp(a)).
    let (x1, g1, h1) = hess_iter_copied_hvp(&a, &HessIterCopiedGrad { a: v.clone() });
    let (x2, g2, h2) = hess_iter_deref_hvp(&a, &HessIterDerefGrad { a: v.clone() });
    assert_eq!(x1.to_bits(), hess_iter_copied(&a).to_bits());
    assert_eq!(x2.to_bits(), hess_iter_deref(&a).to_bits());
    // Σ aᵢ exp(aᵢ): ∇ = (1 + a) exp(a), H = diag((2 + a) exp(a)).
    let (x3, g3, h3) = hess_iter_pattern_hvp(&a, &HessIterPatternGrad { a: v.clone() });
    assert_eq!(x3.to_bits(), hess_iter_pattern(&a).to_bits());
    for i in 0..3 {
        let e = a[i].exp();
        assert!((g1.a[i] - e).abs() < 1e-15 && (g2.a[i] - e).abs() < 1e-15);
        assert!((h1.a[i] - e * v[i]).abs() < 1e-15 && (h2.a[i] - e * v[i]).abs() < 1e-15);
        assert!((g3.a[i] - (1.0 + a[i]) * e).abs() < 1e-14);
        assert!((h3.a[i] - (2.0 + a[i]) * e * v[i]).abs() < 1e-14);
    }
}

// ---- kept and reloaded values in arrays written again ---------------------------------

/// Expensive values stored at the loop's index, the array then written again elsewhere (no
/// reload may read it back): by index after the loop, by a second map, in a branch.
#[differentiate]
fn stored_then_written(a: &DVector<f64>) -> f64 {
    let mut m = a.map(|v| v.tanh());
    m[0] = m[1] * 3.0;
    let mut e = vec![0.0; a.len()];
    for i in 0..a.len() {
        let t = (a[i] * 0.5).exp();
        e[i] = t;
    }
    if e[0] > 1.0 {
        e[1] = e[0] * 2.0;
    }
    let mut s = 0.0;
    for i in 0..a.len() {
        s = s + m[i] * e[i] * a[i];
    }
    s
}
#[test]
fn qa6_stored_then_written() {
    for x in [[0.3, -0.5, 0.8], [-0.3, -0.5, 0.8]] {
        probe!(p => stored_then_written, stored_then_written_grad, stored_then_written_vjp, [&DVector::from_column_slice(p)], [a], x);
    }
}

/// A kernel by from_fn with exp, then its diagonal written (noise) and factored.
#[differentiate]
fn kernel_written(x: &[f64], ell: f64) -> f64 {
    let n = x.len();
    let mut k = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / ell;
        (-0.5 * d * d).exp()
    });
    for i in 0..n {
        k[(i, i)] = k[(i, i)] + 0.1 + (x[i] * 0.3).exp() * 0.01;
    }
    let y = DVector::from_fn(n, |i, _| (i as f64 * 0.5).cos());
    let c = k.cholesky().unwrap();
    c.solve(&y).dot(&y) + c.ln_determinant()
}
#[test]
fn qa6_kernel_written() {
    probe!(p => kernel_written, kernel_written_grad, kernel_written_vjp, [&p[1..], p[0]], [ell, x], [0.7, 0.1, 0.5, 1.2, 1.4]);
}

// ---- kept values on in-place stacks of a generic Hessian ------------------------------

#[differentiate(hessian, max_iterations = 8)]
fn bounded_generic_hessian<T: RealField + Copy>(a: &[T]) -> T {
    let mut s = T::one();
    let mut i = 0;
    while i < a.len() {
        let t = (a[i] * s).sin();
        if t > T::zero() {
            s = s + t.exp() * a[i];
        } else {
            s = s * t.cos();
        }
        i += 1;
    }
    s
}

#[test]
fn qa6_bounded_generic_hessian() {
    let a = [0.3, -0.9, 0.8, 0.2];
    probe!(p => bounded_generic_hessian, bounded_generic_hessian_grad, bounded_generic_hessian_vjp, [p], [a], a);
    let v = direction(4);
    let (value, g, hv) =
        bounded_generic_hessian_hvp(&a, &BoundedGenericHessianGrad { a: v.clone() });
    assert_eq!(value.to_bits(), bounded_generic_hessian(&a).to_bits());
    let (_, g0) = bounded_generic_hessian_grad(&a);
    assert_close("bounded_generic_hessian", &g.a, &g0.a, 1e-12);
    let h = 1e-5;
    let plus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x + h * d).collect();
    let minus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x - h * d).collect();
    let (gp, gm) = (
        bounded_generic_hessian_grad(&plus).1.a,
        bounded_generic_hessian_grad(&minus).1.a,
    );
    let fd: Vec<f64> = (0..4).map(|i| (gp[i] - gm[i]) / (2.0 * h)).collect();
    assert_close("bounded_generic_hessian hvp", &hv.a, &fd, 1e-6);
    let af = [0.3f32, -0.9, 0.8, 0.2];
    let (vf, _) = bounded_generic_hessian_grad(&af);
    assert_eq!(vf.to_bits(), bounded_generic_hessian(&af).to_bits());
}

// ---- decompositions of a matrix that is not differentiated -------------------------

/// Decompositions of a matrix that is not differentiated (wrt the right-hand side only).
#[differentiate(wrt(b))]
fn inactive_matrix(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    let x = c.solve(b);
    let y = a.clone().lu().solve(b).expect("lu");
    let z = c.l().solve_lower_triangular(b).unwrap();
    let w = a.clone().qr().solve(&x).unwrap();
    x.dot(b) + y.norm() + z.sum() * c.ln_determinant() + w[0] + a.diagonal().dot(b)
}
#[test]
fn qa6_inactive_matrix() {
    let a = DMatrix::from_row_slice(3, 3, &[4.0, 9.0, 9.0, 1.0, 3.0, 9.0, 0.5, 0.2, 2.0]);
    let b = DVector::from_vec(vec![0.3, -0.6, 0.9]);
    probe!(p => inactive_matrix, inactive_matrix_grad, inactive_matrix_vjp, [&a, &DVector::from_column_slice(p)], [b], b.as_slice());
    let (v, dy) = inactive_matrix_jvp(
        &a,
        &b,
        &InactiveMatrixGrad {
            b: DVector::from_vec(vec![1.0, 0.5, -0.2]),
        },
    );
    assert_eq!(v.to_bits(), inactive_matrix(&a, &b).to_bits());
    let (_, g) = inactive_matrix_grad(&a, &b);
    let e = g.b[0] + 0.5 * g.b[1] - 0.2 * g.b[2];
    assert!((dy - e).abs() < 1e-12 * (1.0 + e.abs()));
}

// Fixed findings of this pass (findings.md "h-qa6"): regression tests.

/// P1: under `max_iterations`, stacks are in place and bound every loop's saves (an inner
/// loop's summed over the outer iterations), so expensive values are computed again there,
/// as before, rather than kept: this ran before the change that keeps them, and must still.
#[differentiate(max_iterations = 5)]
fn p1_kept_under_a_bound(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let c = a[i] * 2.0;
        for j in 0..a.len() {
            let t = (a[j] * c).tanh();
            s = s + t * c;
        }
    }
    s
}

#[test]
fn qa6_p1_expensive_values_under_max_iterations_are_computed_again() {
    probe!(p => p1_kept_under_a_bound, p1_kept_under_a_bound_grad, p1_kept_under_a_bound_vjp,
        [p], [a], [0.3, -0.5, 0.8, 0.1]);
}

/// P1 with the GP kernel of the README under a bound: `from_fn`'s loop over n² entries.
#[differentiate(max_iterations = 100, wrt(log_lengthscale))]
fn p1_kernel_sum(log_lengthscale: f64, x: &[f64]) -> f64 {
    let lengthscale = log_lengthscale.exp();
    let n = x.len();
    let k = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / lengthscale;
        (-0.5 * d * d).exp()
    });
    k.sum()
}

#[test]
fn qa6_p1_a_kernel_under_max_iterations() {
    let x: Vec<f64> = (0..20).map(|i| (i as f64 * 0.37).sin()).collect();
    let l = 0.2;
    let (value, g) = p1_kernel_sum_grad(l, &x);
    assert_eq!(value.to_bits(), p1_kernel_sum(l, &x).to_bits());
    let fd = central_difference(|p: &[f64]| p1_kernel_sum(p[0], &x), &[l]);
    assert_close("∂/∂ log ℓ", &[g.log_lengthscale], &fd, 1e-6);
}

/// E2 on `self`: a user's own method named like nalgebra's `diagonal()`/`determinant()`,
/// called on `self`, is the user's (`self` is never a matrix).
#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct OwnGrid {
    d: f64,
    e: f64,
}

#[differentiate]
impl OwnGrid {
    #[differentiate]
    pub fn diagonal(&self) -> f64 {
        self.d * self.e.exp()
    }

    #[differentiate]
    pub fn determinant(&self) -> f64 {
        self.d * self.d - self.e
    }

    #[differentiate]
    pub fn twice(&self) -> f64 {
        self.diagonal() * 2.0 + self.determinant()
    }
}

#[test]
fn qa6_e2_own_methods_named_like_nalgebra_on_self() {
    let g = OwnGrid { d: 0.7, e: -0.3 };
    let (value, grad) = g.twice_grad();
    assert_eq!(value.to_bits(), g.twice().to_bits());
    let fd = central_difference(
        |p: &[f64]| OwnGrid { d: p[0], e: p[1] }.twice(),
        &[g.d, g.e],
    );
    assert_close("∂ twice", &[grad.self_.d, grad.self_.e], &fd, 1e-6);
    // Closed form: ∂/∂d = 2e^e + 2d, ∂/∂e = 2d e^e − 1.
    let closed = [2.0 * g.e.exp() + 2.0 * g.d, 2.0 * g.d * g.e.exp() - 1.0];
    assert_close(
        "∂ twice, closed form",
        &[grad.self_.d, grad.self_.e],
        &closed,
        1e-12,
    );
}
