//! Adversarial probes of composition: calls between differentiated functions (split mode at
//! the top level and in branches, joint mode in loops), custom rules, parameter structs,
//! methods, generics, closures and vector results, in combinations. Each probe checks the
//! value (bit-exact against the original function), the gradient against central
//! differences, and, where cheap, that `f_vjp` is linear in its seed. Points are chosen
//! away from branch thresholds and kinks.
//!
//! `mod regressions` at the end holds the probes that gave a wrong gradient or value when
//! this file was written (call arguments from outside a branch or loop, arrays written in a
//! loop passed to helpers, `move` closures over arrays written by index); all fixed.
#![cfg(feature = "nalgebra")]
#![allow(
    dead_code,
    unused_variables,
    unused_mut,
    unused_assignments,
    unused_parens,
    unused_braces
)]
#![allow(
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::collapsible_if,
    clippy::collapsible_else_if,
    clippy::never_loop,
    clippy::double_parens,
    clippy::neg_multiply,
    clippy::unnecessary_cast,
    clippy::let_and_return,
    clippy::needless_return,
    clippy::identity_op,
    clippy::precedence,
    clippy::excessive_precision,
    clippy::redundant_closure,
    clippy::redundant_clone,
    clippy::clone_on_copy,
    clippy::ptr_arg,
    clippy::match_single_binding,
    clippy::too_many_arguments,
    clippy::needless_borrow,
    clippy::op_ref
)]

use nalgebra::{DMatrix, DVector, Vector3};
use tapeless::check::central_difference;
use tapeless::{custom_vjp, differentiate};

// ---- the checker --------------------------------------------------------------------------

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use probe::{check, Flat};

fn close(name: &str, x: &[f64], analytic: &[f64], numeric: &[f64], tol: f64) {
    assert_eq!(analytic.len(), numeric.len(), "{name}: gradient length");
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        let error = (a - n).abs() / a.abs().max(n.abs()).max(1.0);
        assert!(
            error < tol,
            "{name} at {x:?}: ∂/∂x{i} = {a}, finite differences {n}\n gradient {analytic:?}\n numeric  {numeric:?}"
        );
    }
}

/// `probe!(test: f, f_grad, f_vjp, |p| [args using p], [gradient fields], point)`: a test
/// checking `f` at `point`, `p` naming the flattened input inside the argument expressions.
macro_rules! probe {
    ($test:ident: $f:path, $g:path, $v:path, |$p:ident| [$($a:expr),*], [$($field:ident),*], $x:expr) => {
        #[test]
        fn $test() {
            let x: Vec<f64> = $x.to_vec();
            check(
                stringify!($f),
                &x,
                |$p: &[f64]| $f($($a),*),
                |$p: &[f64]| {
                    let (v, g) = $g($($a),*);
                    let mut out = Vec::new();
                    $( Flat::flat(&g.$field, &mut out); )*
                    (v, out)
                },
                |$p: &[f64], seed: f64| {
                    let (v, g) = $v($($a,)* seed);
                    let mut out = Vec::new();
                    $( Flat::flat(&g.$field, &mut out); )*
                    (v, out)
                },
            );
        }
    };
}

// ---- helpers ------------------------------------------------------------------------------

#[differentiate]
fn sq(x: f64) -> f64 {
    x * x
}

#[differentiate]
fn h3(x: f64, y: f64) -> f64 {
    (x * y).sin() + x * x * y
}

#[differentiate]
fn mul_sin(a: f64, b: f64) -> f64 {
    a * b + a.sin()
}

/// Only `x` is differentiated; the caller must pass constants (or data) for `c`.
#[differentiate(wrt(x))]
fn hw(x: f64, c: f64) -> f64 {
    x * c + c.sin() * x * x
}

/// Data parameters between float ones.
#[differentiate]
fn hd(x: f64, k: usize, xs: &[f64], y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += xs[i] * x.powi(i as i32 + 1) * (k as f64);
    }
    s + y * x
}

#[differentiate]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

#[differentiate]
fn arr2(x: f64, y: f64) -> [f64; 2] {
    let mut r = [0.0; 2];
    r[0] = x * y;
    r[1] = x - y * y;
    r
}

#[differentiate]
fn mat_h(w: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    (w * x).map(|v| v.tanh())
}

#[differentiate]
fn hr(x: &f64, y: f64) -> f64 {
    x * y + x.exp()
}

#[differentiate]
fn hslice(xs: &[f64], c: f64) -> f64 {
    let mut s = 0.0;
    for x in xs {
        s += (x * c).sin();
    }
    s
}

#[differentiate]
fn harr(a: &[f64; 2]) -> f64 {
    a[0] * a[1] + a[0]
}

#[differentiate]
fn harr_val(a: [f64; 3]) -> f64 {
    a[0] * a[1] * a[2] + a[2]
}

// ---- calls: split mode, joint mode, aliasing -----------------------------------------------

/// The same helper at the top level, in a loop and in a branch.
#[differentiate]
fn top_loop_branch(x: f64, y: f64, n: usize) -> f64 {
    let a = h3(x, y);
    let mut s = 0.0;
    for i in 0..n {
        s += h3(s * 0.1 + x, y + i as f64 * 0.2);
    }
    let b = if a > 0.0 { h3(a, x) } else { h3(x, a) };
    a + s + b
}
probe!(calls_top_loop_branch: top_loop_branch, top_loop_branch_grad, top_loop_branch_vjp,
    |p| [p[0], p[1], 3], [x, y], [0.7, 0.4]);
probe!(calls_top_loop_branch_other_arm: top_loop_branch, top_loop_branch_grad, top_loop_branch_vjp,
    |p| [p[0], p[1], 2], [x, y], [-0.7, 1.9]);

#[differentiate]
fn same_args_twice(x: f64, y: f64) -> f64 {
    h3(x, y) + h3(x, y) * 2.0
}
probe!(calls_same_args_twice: same_args_twice, same_args_twice_grad, same_args_twice_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, -0.4]);

#[differentiate]
fn aliased_args(x: f64) -> f64 {
    h3(x, x) + mul_sin(x, x) * h3(x, x)
}
probe!(calls_aliased_args: aliased_args, aliased_args_grad, aliased_args_vjp,
    |p| [p[0]], [x], [0.6]);

#[differentiate]
fn nested_calls(x: f64, y: f64) -> f64 {
    sq(sq(x)) + h3(h3(x, y), h3(y, x)) + sq(sq(sq(y)))
}
probe!(calls_nested: nested_calls, nested_calls_grad, nested_calls_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, -0.8]);

#[differentiate]
fn expression_args(x: f64, y: f64) -> f64 {
    h3(x * y + 1.0, (x - y).exp()) - mul_sin(-x, 2.0 * y + x.cos())
}
probe!(calls_expression_args: expression_args, expression_args_grad, expression_args_vjp,
    |p| [p[0], p[1]], [x, y], [0.3, 0.5]);

#[differentiate]
fn result_used_many(x: f64, y: f64) -> f64 {
    let u = h3(x, y);
    let mut s = u * u + u.sin() + u / x;
    for _ in 0..3 {
        s += u * s * 0.1;
    }
    if u > 0.0 {
        s += u;
    }
    s
}
probe!(calls_result_used_many: result_used_many, result_used_many_grad, result_used_many_vjp,
    |p| [p[0], p[1]], [x, y], [0.9, 0.7]);

#[differentiate]
fn results_feed_calls(x: f64) -> f64 {
    let u = sq(x);
    let v = h3(u, u);
    let w = h3(v, u);
    w + u + sq(w) * 0.01
}
probe!(calls_results_feed_calls: results_feed_calls, results_feed_calls_grad, results_feed_calls_vjp,
    |p| [p[0]], [x], [0.8]);

#[differentiate]
fn calls_wrt_helper(x: f64, y: f64, n: usize) -> f64 {
    let mut s = hw(x, 2.0) + hw(y, n as f64);
    for i in 0..n {
        s += hw(x * y, i as f64 + 0.5);
    }
    if x > y {
        s += hw(s, 1.5);
    }
    s
}
probe!(calls_wrt_helper_constants: calls_wrt_helper, calls_wrt_helper_grad, calls_wrt_helper_vjp,
    |p| [p[0], p[1], 3], [x, y], [0.9, 0.2]);

#[differentiate]
fn calls_data_helper(x: f64, y: f64, xs: &[f64]) -> f64 {
    let mut s = hd(x, 2, xs, y);
    for k in 0..xs.len() {
        s += hd(y, k, xs, x) * 0.5;
    }
    s
}
probe!(calls_data_params: calls_data_helper, calls_data_helper_grad, calls_data_helper_vjp,
    |p| [p[0], p[1], &[0.5, -1.0, 2.0]], [x, y], [0.7, 1.1]);

#[differentiate]
fn tuple_in_loop(r: f64, t: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        let (a, b) = polar(r, t + i as f64 * 0.3);
        s += a * b + polar(a, b).1;
    }
    let (c, d) = polar(s, r);
    c + d
}
probe!(calls_tuple_result_in_loop: tuple_in_loop, tuple_in_loop_grad, tuple_in_loop_vjp,
    |p| [p[0], p[1]], [r, t], [1.3, 0.4]);

#[differentiate]
fn array_result_in_loop(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    let mut a = x;
    for _ in 0..3 {
        let r = arr2(a, y);
        s += r[0] * r[1];
        a = r[1] * 0.5;
    }
    let top = arr2(s, x);
    top[0] + top[1]
}
probe!(calls_array_result_in_loop: array_result_in_loop, array_result_in_loop_grad, array_result_in_loop_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.3]);

#[differentiate]
fn call_in_loop_with_break(x: f64, y: f64) -> f64 {
    let mut s = x;
    for i in 0..10 {
        let v = sq(s);
        if v > 5.0 {
            break;
        }
        s = h3(s, y) + 0.3;
    }
    s
}
probe!(calls_loop_break: call_in_loop_with_break, call_in_loop_with_break_grad, call_in_loop_with_break_vjp,
    |p| [p[0], p[1]], [x, y], [0.5, 0.8]);

#[differentiate]
fn call_in_loop_with_return(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..10 {
        let v = h3(x + s, y);
        if v > 3.0 {
            return v * 2.0 + sq(s);
        }
        s += v;
    }
    s
}
probe!(calls_loop_return: call_in_loop_with_return, call_in_loop_with_return_grad, call_in_loop_with_return_vjp,
    |p| [p[0], p[1]], [x, y], [0.5, 0.8]);
probe!(calls_loop_return_no_exit: call_in_loop_with_return, call_in_loop_with_return_grad, call_in_loop_with_return_vjp,
    |p| [p[0], p[1]], [x, y], [0.1, -0.3]);

#[differentiate]
fn call_in_loop_with_continue(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..6 {
        let v = h3(x, y + i as f64 * 0.1);
        if i % 2 == 0 {
            continue;
        }
        s += v * s + sq(v);
    }
    s
}
probe!(calls_loop_continue: call_in_loop_with_continue, call_in_loop_with_continue_grad, call_in_loop_with_continue_vjp,
    |p| [p[0], p[1]], [x, y], [0.5, 0.3]);

// Three-deep chains, each level in split mode, in joint mode, and mixed.
#[differentiate]
fn level3(x: f64, y: f64) -> f64 {
    sq(x) * y + x.sin()
}

#[differentiate]
fn level2_split(x: f64, y: f64) -> f64 {
    let a = level3(x, y);
    let b = level3(y, a);
    a * b + level3(a, x)
}

#[differentiate]
fn level1_split(x: f64, y: f64) -> f64 {
    let u = level2_split(x, y);
    u + level2_split(u, x) * 0.5
}
probe!(calls_chain_split: level1_split, level1_split_grad, level1_split_vjp,
    |p| [p[0], p[1]], [x, y], [0.4, 0.3]);

#[differentiate]
fn level2_joint(x: f64, y: f64) -> f64 {
    let mut s = x;
    for _ in 0..2 {
        s = level3(s, y) * 0.5;
    }
    s
}

#[differentiate]
fn level1_joint(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += level2_joint(x + s * 0.1, y);
    }
    s
}
probe!(calls_chain_joint: level1_joint, level1_joint_grad, level1_joint_vjp,
    |p| [p[0], p[1]], [x, y], [0.4, 0.3]);

#[differentiate]
fn carried_through_call(x: f64, y: f64) -> f64 {
    let mut p = x;
    for _ in 0..4 {
        p = h3(p, y) * 0.5;
    }
    p
}
probe!(calls_carried_through_call: carried_through_call, carried_through_call_grad, carried_through_call_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.9]);

#[differentiate]
fn carried_through_call_while(x: f64, y: f64) -> f64 {
    let mut p = x;
    let mut q = y;
    let mut i = 0;
    while i < 4 {
        let t = p;
        p = mul_sin(q, p) * 0.3;
        q = h3(t, q) * 0.5;
        i += 1;
    }
    p + q
}
probe!(calls_carried_swap_while: carried_through_call_while, carried_through_call_while_grad, carried_through_call_while_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.9]);

#[differentiate]
fn call_nested_loops(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        let mut t = x;
        for j in 0..i + 1 {
            t = mul_sin(t, y) * 0.5 + (j as f64) * 0.1;
        }
        s += t * h3(s, y);
    }
    s
}
probe!(calls_nested_loops: call_nested_loops, call_nested_loops_grad, call_nested_loops_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.9]);

#[differentiate]
fn call_with_data_carried(x: f64) -> f64 {
    let mut k = 1;
    let mut s = 0.0;
    for _ in 0..4 {
        k = k * 2;
        s += hd(x, k, &[1.0, 0.5], s * 0.1);
    }
    s
}
probe!(calls_data_carried: call_with_data_carried, call_with_data_carried_grad, call_with_data_carried_vjp,
    |p| [p[0]], [x], [0.6]);

#[differentiate]
fn dead_and_constant_calls(x: f64) -> f64 {
    let unused = h3(x, x);
    let c = h3(2.0, 3.0);
    let d = sq(c) * x;
    d + sq(x)
}
probe!(calls_dead_and_constant: dead_and_constant_calls, dead_and_constant_calls_grad, dead_and_constant_calls_vjp,
    |p| [p[0]], [x], [0.6]);

#[differentiate]
fn ref_helper_calls(x: f64, y: f64) -> f64 {
    let a = hr(&x, y);
    let mut s = 0.0;
    for i in 0..3 {
        s += hr(&a, x) * 0.1;
    }
    a + s
}
probe!(calls_ref_param: ref_helper_calls, ref_helper_calls_grad, ref_helper_calls_vjp,
    |p| [p[0], p[1]], [x, y], [0.3, 0.7]);

#[differentiate]
fn slice_helper_calls(xs: &[f64], c: f64) -> f64 {
    let mut s = hslice(xs, c);
    for i in 0..xs.len() {
        s += hslice(xs, xs[i] * c) * 0.5;
    }
    s
}
probe!(calls_slice_param: slice_helper_calls, slice_helper_calls_grad, slice_helper_calls_vjp,
    |p| [&p[..3], p[3]], [xs, c], [0.3, -0.7, 1.1, 0.8]);

#[differentiate]
fn local_array_to_helper(x: f64, y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = x * (i as f64 + 1.0) + y;
    }
    let mut b = [0.0; 2];
    b[0] = x;
    b[1] = y * 2.0;
    harr_val(a) + harr(&b) + harr(&b) * harr_val(a)
}
probe!(calls_local_array_args: local_array_to_helper, local_array_to_helper_grad, local_array_to_helper_vjp,
    |p| [p[0], p[1]], [x, y], [0.3, 0.7]);

#[differentiate]
fn branch_value_calls(x: f64, y: f64) -> f64 {
    let v = if x > 0.0 {
        sq(x) + h3(x, y)
    } else if y > 0.0 {
        sq(y)
    } else {
        h3(y, x)
    };
    v * h3(v, x)
}
probe!(calls_branch_value_then: branch_value_calls, branch_value_calls_grad, branch_value_calls_vjp,
    |p| [p[0], p[1]], [x, y], [0.3, 0.7]);
probe!(calls_branch_value_elif: branch_value_calls, branch_value_calls_grad, branch_value_calls_vjp,
    |p| [p[0], p[1]], [x, y], [-0.3, 0.7]);
probe!(calls_branch_value_else: branch_value_calls, branch_value_calls_grad, branch_value_calls_vjp,
    |p| [p[0], p[1]], [x, y], [-0.3, -0.7]);

#[differentiate]
fn match_calls(x: f64, k: usize) -> f64 {
    let a = sq(x);
    let b = match k {
        0 => h3(a, x),
        1 => sq(a) + x,
        _ => a,
    };
    a * b
}
probe!(calls_match_0: match_calls, match_calls_grad, match_calls_vjp, |p| [p[0], 0], [x], [0.7]);
probe!(calls_match_1: match_calls, match_calls_grad, match_calls_vjp, |p| [p[0], 1], [x], [0.7]);
probe!(calls_match_2: match_calls, match_calls_grad, match_calls_vjp, |p| [p[0], 2], [x], [0.7]);

#[differentiate]
fn shadowed_by_call_results(x: f64, y: f64) -> f64 {
    let x = sq(x);
    let y = h3(x, y);
    let x = h3(y, x);
    x + y
}
probe!(calls_shadowing: shadowed_by_call_results, shadowed_by_call_results_grad, shadowed_by_call_results_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.5]);

#[differentiate]
fn branch_on_call_result_in_loop(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..5 {
        let v = h3(x, y + i as f64 * 0.4);
        if v > 1.0 {
            s += sq(v);
        } else {
            s -= v * x;
        }
    }
    s
}
probe!(calls_branch_on_result_in_loop: branch_on_call_result_in_loop, branch_on_call_result_in_loop_grad, branch_on_call_result_in_loop_vjp,
    |p| [p[0], p[1]], [x, y], [0.9, 0.3]);

mod deep {
    use tapeless::differentiate;

    #[differentiate]
    pub fn inner(x: f64) -> f64 {
        x.sin() * x
    }
}

#[differentiate]
fn path_calls_in_loop(x: f64) -> f64 {
    let mut s = deep::inner(x);
    for _ in 0..3 {
        s = crate::deep::inner(s) + self::deep::inner(x);
    }
    s
}
probe!(calls_paths_in_loop: path_calls_in_loop, path_calls_in_loop_grad, path_calls_in_loop_vjp,
    |p| [p[0]], [x], [0.9]);

#[differentiate]
fn h32(x: f32, y: f32) -> f32 {
    x * y.sin() + x
}

#[differentiate]
fn mixed_precision_calls(x: f64, y: f64) -> f64 {
    let a = h32(x as f32, y as f32) as f64;
    let mut s = a * x;
    for _ in 0..2 {
        s += h32(s as f32, 0.5) as f64;
    }
    s
}

#[test]
fn calls_mixed_precision() {
    let (x, y) = (0.7, 0.4);
    let (v, g) = mixed_precision_calls_grad(x, y);
    assert_eq!(v, mixed_precision_calls(x, y));
    // f32 inside: compare with a f64 rewrite of the same function, loosely.
    let f64_version = |p: &[f64]| {
        let h = |x: f64, y: f64| x * y.sin() + x;
        let a = h(p[0], p[1]);
        let mut s = a * p[0];
        for _ in 0..2 {
            s += h(s, 0.5);
        }
        s
    };
    let fd = central_difference(f64_version, &[x, y]);
    close("mixed_precision", &[x, y], &[g.x, g.y], &fd, 1e-5);
}

#[differentiate]
fn tuple_results_aliasing(x: f64) -> f64 {
    let (a, b) = polar(x, x);
    let (c, d) = polar(a, a);
    polar(c, b).0 * d + polar(x, 0.3).1
}
probe!(calls_tuple_aliasing: tuple_results_aliasing, tuple_results_aliasing_grad, tuple_results_aliasing_vjp,
    |p| [p[0]], [x], [0.7]);

#[differentiate]
fn call_results_in_array(x: f64, y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = h3(x, y + i as f64);
    }
    let mut s = 0.0;
    for i in 0..3 {
        s += sq(a[i]) * a[(i + 1) % 3];
    }
    s
}
probe!(calls_results_into_array: call_results_in_array, call_results_in_array_grad, call_results_in_array_vjp,
    |p| [p[0], p[1]], [x, y], [0.4, 0.3]);

/// A helper in `.map(..).sum()` over a slice.
#[differentiate]
fn call_in_map(xs: &[f64], c: f64) -> f64 {
    xs.iter().map(|v| h3(*v, c)).sum::<f64>()
}
probe!(calls_in_map_closure: call_in_map, call_in_map_grad, call_in_map_vjp,
    |p| [&p[..3], p[3]], [xs, c], [0.4, 0.3, -1.0, 0.6]);

/// A loop with a call whose trip count depends on a call result.
#[differentiate]
fn while_on_call(x: f64) -> f64 {
    let mut s = x;
    let mut n = 0;
    while sq(s) < 10.0 && n < 20 {
        s = mul_sin(s, 1.3) + 0.1;
        n += 1;
    }
    s
}
probe!(calls_while_condition: while_on_call, while_on_call_grad, while_on_call_vjp,
    |p| [p[0]], [x], [0.4]);

#[differentiate]
fn call_after_if_return(x: f64, y: f64) -> f64 {
    let a = h3(x, y);
    if a > 5.0 {
        return a;
    }
    let b = h3(a, y);
    a * b
}
probe!(calls_after_if_return: call_after_if_return, call_after_if_return_grad, call_after_if_return_vjp,
    |p| [p[0], p[1]], [x, y], [0.2, 0.3]);
probe!(calls_after_if_return_taken: call_after_if_return, call_after_if_return_grad, call_after_if_return_vjp,
    |p| [p[0], p[1]], [x, y], [2.2, 1.3]);

/// An argument that is a mutable local changed after the call (top level: split mode).
#[differentiate]
fn mutated_after_call(x: f64, y: f64) -> f64 {
    let mut a = x * 2.0;
    let s = h3(a, y);
    a = a * s;
    let t = h3(a, y);
    a = a + t;
    s + t + a
}
probe!(calls_arg_mutated_after: mutated_after_call, mutated_after_call_grad, mutated_after_call_vjp,
    |p| [p[0], p[1]], [x, y], [0.2, 0.3]);

// ---- matrices through calls ------------------------------------------------------------------

fn dmat(r: usize, c: usize, seed: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |i, j| ((i * 7 + j * 3) as f64 * 0.37 + seed).sin())
}

#[differentiate]
fn matrix_helper_in_loop(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for _ in 0..3 {
        h = mat_h(w, &h);
    }
    let top = mat_h(w, &h);
    top.sum() + h.norm_squared()
}

#[test]
fn matrix_helper_carried_in_loop() {
    let w = dmat(3, 3, 0.3);
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (v, g) = matrix_helper_in_loop_grad(&w, &x);
    assert_eq!(v, matrix_helper_in_loop(&w, &x));
    let mut point: Vec<f64> = w.iter().copied().collect();
    point.extend(x.iter());
    let unpack = |q: &[f64]| {
        (
            DMatrix::from_column_slice(3, 3, &q[..9]),
            DVector::from_column_slice(&q[9..]),
        )
    };
    let fd = central_difference(
        |q: &[f64]| {
            let (w, x) = unpack(q);
            matrix_helper_in_loop(&w, &x)
        },
        &point,
    );
    let mut analytic: Vec<f64> = g.w.iter().copied().collect();
    analytic.extend(g.x.iter());
    close("matrix_helper_in_loop", &point, &analytic, &fd, 1e-6);
}

#[differentiate]
fn matrix_tuple_helper(w: &DMatrix<f64>, x: &DVector<f64>) -> (DVector<f64>, f64) {
    let y = w * x;
    let n = y.norm_squared();
    (y, n)
}

#[differentiate]
fn uses_matrix_tuple(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let (y, n) = matrix_tuple_helper(w, x);
    let mut s = n;
    for i in 0..2 {
        let (z, m) = matrix_tuple_helper(w, &y);
        s += z.sum() * m * 0.01;
    }
    s + y.sum()
}

#[test]
fn matrix_tuple_helper_in_loop() {
    let w = dmat(2, 2, 0.9);
    let x = DVector::from_vec(vec![0.5, -0.2]);
    let (v, g) = uses_matrix_tuple_grad(&w, &x);
    assert_eq!(v, uses_matrix_tuple(&w, &x));
    let mut point: Vec<f64> = w.iter().copied().collect();
    point.extend(x.iter());
    let fd = central_difference(
        |q: &[f64]| {
            uses_matrix_tuple(
                &DMatrix::from_column_slice(2, 2, &q[..4]),
                &DVector::from_column_slice(&q[4..]),
            )
        },
        &point,
    );
    let mut analytic: Vec<f64> = g.w.iter().copied().collect();
    analytic.extend(g.x.iter());
    close("uses_matrix_tuple", &point, &analytic, &fd, 1e-6);
}

// ---- custom rules -----------------------------------------------------------------------------

/// Two float parameters and a data parameter between them.
#[custom_vjp(cr2_rule)]
fn cr2(a: f64, k: i32, b: f64) -> f64 {
    a.powi(k) * b.sin()
}

fn cr2_rule(a: f64, k: i32, b: f64, seed: f64) -> (f64, f64) {
    (
        seed * f64::from(k) * a.powi(k - 1) * b.sin(),
        seed * a.powi(k) * b.cos(),
    )
}

#[differentiate]
fn custom_everywhere(x: f64, y: f64) -> f64 {
    let a = cr2(x, 3, y);
    let mut s = cr2(a, 2, x);
    for i in 0..3 {
        s += cr2(s * 0.1 + x, i, y) * 0.5;
    }
    if s > 0.0 {
        s += cr2(y, 2, s);
    }
    s + cr2(x, 2, x)
}
probe!(custom_split_loop_branch_aliased: custom_everywhere, custom_everywhere_grad, custom_everywhere_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.9]);

#[differentiate]
fn helper_using_custom(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        s += cr2(x, 2, y + i as f64);
    }
    s
}

#[differentiate]
fn custom_three_levels(x: f64, y: f64) -> f64 {
    let a = helper_using_custom(x, y);
    let mut s = a;
    for _ in 0..2 {
        s = helper_using_custom(s, x) * 0.3;
    }
    s + a
}
probe!(custom_three_levels_deep: custom_three_levels, custom_three_levels_grad, custom_three_levels_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.9]);

#[custom_vjp(cslice_rule)]
fn cslice(w: &[f64], s: f64) -> f64 {
    w.iter().map(|v| v * v).sum::<f64>() * s
}

fn cslice_rule(w: &[f64], s: f64, seed: f64) -> (Vec<f64>, f64) {
    (
        w.iter().map(|v| 2.0 * v * s * seed).collect(),
        w.iter().map(|v| v * v).sum::<f64>() * seed,
    )
}

#[differentiate]
fn custom_slice_in_loop(w: &[f64], s: f64) -> f64 {
    let mut t = cslice(w, s);
    for i in 0..w.len() {
        t += cslice(w, w[i] * t * 0.01);
    }
    t
}
probe!(custom_slice_rule_in_loop: custom_slice_in_loop, custom_slice_in_loop_grad, custom_slice_in_loop_vjp,
    |p| [&p[..3], p[3]], [w, s], [0.3, -0.5, 0.8, 1.2]);

/// A custom function whose result is a tuple? Not documented; a scalar custom function
/// used through a closure and in a branch instead.
#[differentiate]
fn custom_through_closure(x: f64, y: f64) -> f64 {
    let f = |t: f64| cr2(t, 2, y) + t;
    let mut s = f(x);
    for _ in 0..2 {
        s = f(s) * 0.5;
    }
    s
}
probe!(custom_via_closure: custom_through_closure, custom_through_closure_grad, custom_through_closure_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.9]);

// ---- parameter structs ------------------------------------------------------------------------

#[derive(tapeless::Differentiable, Clone, Debug)]
struct P2 {
    w: f64,
    b: f64,
}

impl Flat for P2 {
    fn flat(&self, out: &mut Vec<f64>) {
        out.push(self.w);
        out.push(self.b);
    }
}

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Inner {
    a: f64,
    v: [f64; 3],
}

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Outer {
    inner: Inner,
    s: f64,
    xs: Vec<f64>,
    p: P2,
}

impl Flat for Inner {
    fn flat(&self, out: &mut Vec<f64>) {
        out.push(self.a);
        self.v.flat(out);
    }
}

impl Flat for Outer {
    fn flat(&self, out: &mut Vec<f64>) {
        self.inner.flat(out);
        out.push(self.s);
        self.xs.flat(out);
        self.p.flat(out);
    }
}

fn outer_from(q: &[f64]) -> Outer {
    Outer {
        inner: Inner {
            a: q[0],
            v: [q[1], q[2], q[3]],
        },
        s: q[4],
        xs: vec![q[5], q[6]],
        p: P2 { w: q[7], b: q[8] },
    }
}

const OUTER_POINT: [f64; 9] = [0.7, 0.2, -0.4, 0.9, 1.1, 0.3, -0.6, 0.8, 0.25];

#[differentiate]
fn field_everywhere(p: &P2, x: f64) -> f64 {
    let mut s = p.w * x + p.b;
    for i in 0..3 {
        s += p.w * s * 0.1 + p.b * (i as f64);
        if s > p.b {
            s -= p.w * 0.2;
        }
    }
    if p.w > 0.0 {
        s * p.w
    } else {
        s + p.b
    }
}
probe!(struct_field_everywhere: field_everywhere, field_everywhere_grad, field_everywhere_vjp,
    |q| [&P2 { w: q[0], b: q[1] }, q[2]], [p, x], [0.6, 0.3, 0.9]);

#[differentiate]
fn nested_fields(o: &Outer, x: f64) -> f64 {
    let mut s = o.s * x;
    for i in 0..3 {
        s += o.inner.v[i] * o.inner.a + o.p.w * s;
    }
    for i in 0..o.xs.len() {
        s += o.xs[i] * o.p.b;
    }
    s + o.inner.a
}
probe!(struct_nested_fields_in_loops: nested_fields, nested_fields_grad, nested_fields_vjp,
    |q| [&outer_from(q), q[9]], [o, x], [0.7, 0.2, -0.4, 0.9, 1.1, 0.3, -0.6, 0.8, 0.25, 0.5]);

#[differentiate]
fn p2_helper(p: &P2, x: f64) -> f64 {
    (p.w * x + p.b).tanh()
}

#[differentiate]
fn inner_helper(i: &Inner, x: f64) -> f64 {
    i.a * x + i.v[0] * i.v[1] - i.v[2]
}

#[differentiate]
fn slice_fn(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs {
        s += x * x;
    }
    s
}

#[differentiate]
fn arr_ref_fn(v: &[f64; 3], x: f64) -> f64 {
    v[0] * x + v[1] * v[2]
}

#[differentiate]
fn whole_struct_to_helper(p: &P2, x: f64) -> f64 {
    let a = p2_helper(p, x);
    let mut s = a;
    for _ in 0..3 {
        s = p2_helper(p, s) + p.w * a;
    }
    s + two_structs(p, p)
}

#[differentiate]
fn two_structs(p: &P2, q: &P2) -> f64 {
    p.w * q.b + p.b * q.w * q.w
}
probe!(struct_whole_to_helper_and_aliased: whole_struct_to_helper, whole_struct_to_helper_grad, whole_struct_to_helper_vjp,
    |q| [&P2 { w: q[0], b: q[1] }, q[2]], [p, x], [0.6, 0.3, 0.9]);

#[differentiate]
fn struct_by_value(p: P2, x: f64) -> f64 {
    // Field reads of a struct taken by value do not compile (see the report): only `&p`.
    let mut s = p2_helper(&p, x);
    for _ in 0..2 {
        s = s * x + p2_helper(&p, s);
    }
    s + two_structs(&p, &p)
}
probe!(struct_by_value_param: struct_by_value, struct_by_value_grad, struct_by_value_vjp,
    |q| [P2 { w: q[0], b: q[1] }, q[2]], [p, x], [0.6, 0.3, 0.9]);

#[differentiate(wrt(p))]
fn struct_wrt(p: &P2, x: f64, y: f64) -> f64 {
    p2_helper(p, 1.5) * x + p.w * y + hw(p.b, 2.0)
}

#[test]
fn struct_wrt_only() {
    let x = [0.6, 0.3];
    let (v, g) = struct_wrt_grad(&P2 { w: x[0], b: x[1] }, 0.4, -1.2);
    assert_eq!(v, struct_wrt(&P2 { w: x[0], b: x[1] }, 0.4, -1.2));
    let fd = central_difference(
        |q: &[f64]| struct_wrt(&P2 { w: q[0], b: q[1] }, 0.4, -1.2),
        &x,
    );
    close("struct_wrt", &x, &[g.p.w, g.p.b], &fd, 1e-6);
    let StructWrtGrad { p: _ } = g;
}

#[differentiate]
fn field_shadowed_by_local(p: &P2, x: f64) -> f64 {
    let w = p.w * 2.0;
    let b = w + p.b;
    let s = w * b + p.w;
    let p = s * x;
    p + w
}
probe!(struct_field_shadowed_by_local: field_shadowed_by_local, field_shadowed_by_local_grad, field_shadowed_by_local_vjp,
    |q| [&P2 { w: q[0], b: q[1] }, q[2]], [p, x], [0.6, 0.3, 0.9]);

#[differentiate]
fn tuple_params(t: &(f64, f64), u: &(f64, [f64; 2]), x: f64) -> f64 {
    let mut s = t.0 * x + t.1;
    for i in 0..2 {
        s += u.1[i] * t.0 + u.0 * s;
    }
    s * t.1
}
probe!(struct_tuple_params: tuple_params, tuple_params_grad, tuple_params_vjp,
    |q| [&(q[0], q[1]), &(q[2], [q[3], q[4]]), q[5]], [t, u, x], [0.6, 0.3, 0.9, -0.5, 0.2, 0.7]);

#[differentiate]
fn struct_in_closure(p: &P2, xs: &[f64]) -> f64 {
    let model = |t: f64| p.w * t + p.b;
    let mut s = 0.0;
    for x in xs {
        let r = model(*x) - 1.0;
        s += r * r;
    }
    s + model(s)
}
probe!(struct_fields_in_closure: struct_in_closure, struct_in_closure_grad, struct_in_closure_vjp,
    |q| [&P2 { w: q[0], b: q[1] }, &[0.5, 1.5, -0.3]], [p], [0.6, 0.3]);

#[differentiate]
fn two_struct_params_same_type(p: &P2, q: &P2, x: f64) -> f64 {
    let mut s = 0.0;
    for _ in 0..2 {
        s += p.w * q.w + p2_helper(q, x) * p2_helper(p, s);
    }
    s + two_structs(q, p)
}
probe!(struct_two_params_same_type: two_struct_params_same_type, two_struct_params_same_type_grad, two_struct_params_same_type_vjp,
    |q| [&P2 { w: q[0], b: q[1] }, &P2 { w: q[2], b: q[3] }, q[4]], [p, q, x], [0.6, 0.3, -0.4, 0.8, 0.9]);

#[derive(tapeless::Differentiable, Clone, Debug)]
struct MatLayer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[differentiate]
fn mat_layer(l: &MatLayer, x: &DVector<f64>) -> DVector<f64> {
    (&l.w * x + &l.b).map(|v| v.tanh())
}

#[differentiate(wrt(l))]
fn recurrent(l: &MatLayer, x: &DVector<f64>, steps: usize) -> f64 {
    let mut h = x.clone();
    for _ in 0..steps {
        h = mat_layer(l, &h);
    }
    h.sum() + l.b.dot(&h)
}

#[test]
fn struct_matrix_layer_recurrent() {
    let l = MatLayer {
        w: dmat(3, 3, 0.4),
        b: DVector::from_vec(vec![0.1, -0.2, 0.3]),
    };
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (v, g) = recurrent_grad(&l, &x, 3);
    assert_eq!(v, recurrent(&l, &x, 3));
    let mut point: Vec<f64> = l.w.iter().copied().collect();
    point.extend(l.b.iter());
    let fd = central_difference(
        |q: &[f64]| {
            let l = MatLayer {
                w: DMatrix::from_column_slice(3, 3, &q[..9]),
                b: DVector::from_column_slice(&q[9..]),
            };
            recurrent(&l, &x, 3)
        },
        &point,
    );
    let mut analytic: Vec<f64> = g.l.w.iter().copied().collect();
    analytic.extend(g.l.b.iter());
    close("recurrent", &point, &analytic, &fd, 1e-6);
}

// ---- closures ---------------------------------------------------------------------------------

#[differentiate]
fn closure_capture_shadowed(x: f64, y: f64) -> f64 {
    let k = x * y;
    let f = |t: f64| k * t + x;
    let k = 10.0;
    let x = y * 3.0;
    f(x) + f(k) + x
}
probe!(closure_capture_then_shadowed: closure_capture_shadowed, closure_capture_shadowed_grad, closure_capture_shadowed_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

/// A `move` closure captures a copy of a `let mut` that is reassigned after it.
#[differentiate]
fn move_closure_reassigned(x: f64) -> f64 {
    let mut a = x;
    let f = move |t: f64| a * t;
    a = a * 3.0;
    f(1.0) + a
}
probe!(closure_move_capture_reassigned_top: move_closure_reassigned, move_closure_reassigned_grad, move_closure_reassigned_vjp,
    |p| [p[0]], [x], [0.6]);

/// A `move` closure defined before a loop that changes the captured variable.
#[differentiate]
fn move_closure_carried(x: f64) -> f64 {
    let mut acc = x;
    let f = move |t: f64| acc * t;
    let mut s = 0.0;
    for _ in 0..3 {
        acc = acc * x;
        s += f(1.0);
    }
    s + acc
}
probe!(closure_move_capture_carried_loop: move_closure_carried, move_closure_carried_grad, move_closure_carried_vjp,
    |p| [p[0]], [x], [0.6]);

/// A `move` closure defined in a loop body, before the captured carried variable changes.
#[differentiate]
fn move_closure_in_loop(x: f64) -> f64 {
    let mut acc = x;
    let mut s = 0.0;
    for _ in 0..3 {
        let f = move |t: f64| acc * t;
        acc = acc * x;
        s += f(2.0);
    }
    s + acc
}
probe!(closure_move_defined_in_loop: move_closure_in_loop, move_closure_in_loop_grad, move_closure_in_loop_vjp,
    |p| [p[0]], [x], [0.6]);

/// A `move` closure capturing a variable that a branch reassigns afterwards.
#[differentiate]
fn move_closure_branch(x: f64) -> f64 {
    let mut a = x;
    let f = move |t: f64| a * t;
    if x > 0.0 {
        a = a * a;
    }
    f(3.0) + a
}
probe!(closure_move_capture_branch: move_closure_branch, move_closure_branch_grad, move_closure_branch_vjp,
    |p| [p[0]], [x], [0.6]);

#[differentiate]
fn closure_calls_closure(x: f64, y: f64) -> f64 {
    let f = |t: f64| t * y + t.sin();
    let g = |t: f64| f(t) * f(t * x);
    let h = |a: f64, b: f64| g(a) + f(b) * a;
    h(x, y) + g(y)
}
probe!(closure_calls_closures: closure_calls_closure, closure_calls_closure_grad, closure_calls_closure_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[differentiate]
fn closure_calls_helper(x: f64, y: f64) -> f64 {
    let f = |t: f64| h3(t, y) + sq(t);
    let mut s = f(x);
    for _ in 0..2 {
        s += f(s * 0.1);
    }
    if s > 0.0 {
        s += f(x);
    }
    s
}
probe!(closure_calls_helpers: closure_calls_helper, closure_calls_helper_grad, closure_calls_helper_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[differentiate]
fn closure_several_params(x: f64, y: f64, n: usize) -> f64 {
    let f = |a: f64, k: usize, b: f64| a * (k as f64) + b * a;
    let mut s = 0.0;
    for i in 0..n {
        s = f(s + x, i, y);
    }
    s + f(y, n, x)
}
probe!(closure_several_params_loop: closure_several_params, closure_several_params_grad, closure_several_params_vjp,
    |p| [p[0], p[1], 3], [x, y], [0.6, 0.3]);

#[differentiate]
fn closure_captures_loop_local(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        let c = x * (i as f64 + 1.0);
        let g = |t: f64| c * t.sin() + s;
        s = g(y) + g(x) * 0.5;
    }
    s
}
probe!(closure_captures_loop_variable: closure_captures_loop_local, closure_captures_loop_local_grad, closure_captures_loop_local_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[differentiate]
fn closure_param_named_like_outer(x: f64, y: f64) -> f64 {
    let f = |x: f64| x * y;
    let g = |y: f64| f(y) + x;
    f(y) + g(x) + f(x * 2.0)
}
probe!(closure_param_shadows_outer: closure_param_named_like_outer, closure_param_named_like_outer_grad, closure_param_named_like_outer_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[differentiate]
fn closure_block_body(x: f64, y: f64) -> f64 {
    let f = |t: f64| {
        let u = t * y;
        let v = if u > 0.0 { u * u } else { -u };
        v + t
    };
    f(x) + f(-x) * f(y)
}
probe!(closure_block_and_branch_body: closure_block_body, closure_block_body_grad, closure_block_body_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[differentiate]
fn closure_in_branch(x: f64, y: f64) -> f64 {
    let f = |t: f64| t * t * y;
    let a = if x > y { f(x) } else { f(y) + f(x) };
    let mut s = a;
    for i in 0..4 {
        if i % 2 == 0 {
            s += f(s * 0.1);
        }
    }
    s
}
probe!(closure_called_in_branches: closure_in_branch, closure_in_branch_grad, closure_in_branch_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);
probe!(closure_called_in_branches_else: closure_in_branch, closure_in_branch_grad, closure_in_branch_vjp,
    |p| [p[0], p[1]], [x, y], [0.2, 0.3]);

#[differentiate]
fn closure_map_and_call(xs: &[f64], c: f64) -> f64 {
    let f = |t: f64| (t * c).sin();
    xs.iter().map(|v| f(*v)).sum::<f64>() + f(c)
}
probe!(closure_map_and_direct: closure_map_and_call, closure_map_and_call_grad, closure_map_and_call_vjp,
    |p| [&p[..3], p[3]], [xs, c], [0.4, -0.3, 1.0, 0.7]);

#[differentiate]
fn closure_captures_call_result(x: f64, y: f64) -> f64 {
    let u = h3(x, y);
    let f = |t: f64| u * t + sq(u);
    let mut s = f(x);
    for _ in 0..2 {
        s = f(s) * 0.3;
    }
    s
}
probe!(closure_captures_call_result_split: closure_captures_call_result, closure_captures_call_result_grad, closure_captures_call_result_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[differentiate]
fn closure_captures_carried_at_definition(x: f64) -> f64 {
    let mut s = x;
    for _ in 0..2 {
        s = s * x;
    }
    let f = |t: f64| s * t;
    f(x) + f(s)
}
probe!(closure_captures_after_loop: closure_captures_carried_at_definition, closure_captures_carried_at_definition_grad, closure_captures_carried_at_definition_vjp,
    |p| [p[0]], [x], [0.6]);

/// A closure capturing a variable that a loop after the call changes (non-move: the call
/// happens before the change, so Rust accepts it).
#[differentiate]
fn closure_called_before_mutation(x: f64) -> f64 {
    let mut s = x;
    let f = |t: f64| s * t;
    let a = f(2.0);
    for _ in 0..2 {
        s = s * x + a;
    }
    s + a
}
probe!(closure_called_before_mutation_loop: closure_called_before_mutation, closure_called_before_mutation_grad, closure_called_before_mutation_vjp,
    |p| [p[0]], [x], [0.6]);

// ---- methods ---------------------------------------------------------------------------------

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Model {
    k: f64,
    c: f64,
    v: [f64; 2],
}

impl Flat for Model {
    fn flat(&self, out: &mut Vec<f64>) {
        out.push(self.k);
        out.push(self.c);
        self.v.flat(out);
    }
}

fn model_from(q: &[f64]) -> Model {
    Model {
        k: q[0],
        c: q[1],
        v: [q[2], q[3]],
    }
}

#[differentiate]
impl Model {
    #[differentiate]
    fn simulate(&self, x: f64, steps: usize) -> f64 {
        let mut pos = x;
        let mut vel = self.v[0];
        for i in 0..steps {
            let f = -self.k * pos - self.c * vel + self.v[1];
            vel += f * 0.1;
            pos += vel * 0.1;
            if pos > 10.0 {
                break;
            }
        }
        pos * self.k + h3(vel, self.c) + sq(self.v[1])
    }

    #[differentiate(wrt(x))]
    fn only_x(&self, x: f64, y: f64) -> f64 {
        let mut s = self.k * x;
        for i in 0..2 {
            s = h3(s, self.c) + y;
        }
        s
    }

    #[differentiate]
    fn with_closure(&self, x: f64) -> f64 {
        let f = |t: f64| self.k * t + self.c;
        f(x) * f(self.v[0]) + sq(self.k) * x
    }
}

#[test]
fn method_self_fields_loop_and_calls() {
    let q = [0.7, 0.3, 0.2, -0.4, 0.9];
    let f = |q: &[f64]| model_from(q).simulate(q[4], 5);
    let m = model_from(&q);
    let (v, g) = m.simulate_grad(q[4], 5);
    assert_eq!(v, f(&q));
    let mut analytic = Vec::new();
    g.self_.flat(&mut analytic);
    analytic.push(g.x);
    close("simulate", &q, &analytic, &central_difference(f, &q), 1e-6);
    let (v2, g2) = m.simulate_vjp(q[4], 5, -1.5);
    assert_eq!(v2, v);
    assert!((g2.x + 1.5 * g.x).abs() < 1e-12 * g.x.abs().max(1.0));
}

#[test]
fn method_wrt_x() {
    let m = model_from(&[0.7, 0.3, 0.2, -0.4]);
    let (v, g) = m.only_x_grad(0.9, 0.2);
    assert_eq!(v, m.only_x(0.9, 0.2));
    let fd = central_difference(|q: &[f64]| m.only_x(q[0], 0.2), &[0.9]);
    close("only_x", &[0.9], &[g.x], &fd, 1e-6);
}

#[test]
fn method_with_closure_and_helper() {
    let q = [0.7, 0.3, 0.2, -0.4, 0.9];
    let f = |q: &[f64]| model_from(q).with_closure(q[4]);
    let (v, g) = model_from(&q).with_closure_grad(q[4]);
    assert_eq!(v, f(&q));
    let mut analytic = Vec::new();
    g.self_.flat(&mut analytic);
    analytic.push(g.x);
    close(
        "with_closure",
        &q,
        &analytic,
        &central_difference(f, &q),
        1e-6,
    );
}

// ---- generics ----------------------------------------------------------------------------------

#[differentiate]
fn g_inner<T: num_traits::Float>(x: T, y: T) -> T {
    x * y.sin() + x * x
}

#[differentiate]
fn g_outer<T: num_traits::Float>(x: T, y: T) -> T {
    // Arithmetic on a generic call's result does not compile (see the report): results
    // are consumed by methods and by other calls only.
    let mut s = g_inner(x, y).sin();
    for _ in 0..3 {
        s = g_inner(g_inner(s, y), x).sin();
    }
    if s > x {
        s = g_inner(y, s).exp();
    }
    s
}
probe!(generic_float_calls_f64: g_outer, g_outer_grad, g_outer_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[test]
fn generic_float_calls_f32() {
    let (v32, g32) = g_outer_grad(0.6f32, 0.3f32);
    let (v64, g64) = g_outer_grad(0.6f64, 0.3f64);
    assert_eq!(v32, g_outer(0.6f32, 0.3f32));
    assert!((f64::from(v32) - v64).abs() < 1e-5);
    assert!((f64::from(g32.x) - g64.x).abs() < 1e-4 * g64.x.abs().max(1.0));
    assert!((f64::from(g32.y) - g64.y).abs() < 1e-4 * g64.y.abs().max(1.0));
}

#[differentiate]
fn rf_inner<T: nalgebra::RealField + Copy>(x: T, y: T) -> T {
    (x * y).exp() - y
}

#[differentiate]
fn rf_outer<T: nalgebra::RealField + Copy>(xs: &[T], y: T) -> T {
    let mut s = rf_inner(y, y).sin();
    for x in xs {
        s = rf_inner(*x, s).cos();
    }
    s
}
probe!(generic_realfield_slice_loop_calls: rf_outer, rf_outer_grad, rf_outer_vjp,
    |p| [&p[..3], p[3]], [xs, y], [0.3, -0.2, 0.1, 0.5]);

#[test]
fn generic_realfield_f32() {
    let xs = [0.3f32, -0.2, 0.1];
    let (v, g) = rf_outer_grad(&xs, 0.5f32);
    assert_eq!(v, rf_outer(&xs, 0.5f32));
    let (_, g64) = rf_outer_grad(&[0.3, -0.2, 0.1], 0.5);
    assert!((f64::from(g.y) - g64.y).abs() < 1e-4 * g64.y.abs().max(1.0));
    for i in 0..3 {
        assert!((f64::from(g.xs[i]) - g64.xs[i]).abs() < 1e-4 * g64.xs[i].abs().max(1.0));
    }
}

/// A non-generic function calling a generic one at f64.
#[differentiate]
fn concrete_calls_generic(x: f64, y: f64) -> f64 {
    g_inner(x, y) + g_outer(y, x) * rf_inner(x, 0.5)
}
probe!(generic_called_from_concrete: concrete_calls_generic, concrete_calls_generic_grad, concrete_calls_generic_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[differentiate]
fn generic_with_closure<T: num_traits::Float>(x: T, y: T) -> T {
    let f = |t: T| t * y + t.sin();
    let mut s = f(x);
    for _ in 0..2 {
        s = f(s);
    }
    s
}
probe!(generic_closure_loop: generic_with_closure, generic_with_closure_grad, generic_with_closure_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

// ---- vector results ---------------------------------------------------------------------------

/// Checks `f_vjp` of a vector-valued `f` against central differences of `seed · f`, and
/// its linearity in the seed.
fn check_vector<F, V>(name: &str, x: &[f64], seed: &[f64], f: F, vjp: V)
where
    F: Fn(&[f64]) -> Vec<f64>,
    V: Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>),
{
    let (value, g) = vjp(x, seed);
    assert_eq!(value, f(x), "{name}: value");
    let fd = central_difference(
        |q: &[f64]| f(q).iter().zip(seed).map(|(a, b)| a * b).sum(),
        x,
    );
    close(name, x, &g, &fd, 1e-6);
    let doubled: Vec<f64> = seed.iter().map(|s| -2.0 * s).collect();
    let (_, g2) = vjp(x, &doubled);
    for (a, b) in g2.iter().zip(&g) {
        assert!(
            (a + 2.0 * b).abs() <= 1e-12 * b.abs().max(1.0),
            "{name}: linearity"
        );
    }
}

#[differentiate]
fn vec_chain(x: &DVector<f64>, c: f64) -> DVector<f64> {
    let a = vec_inner(x, c);
    let mut h = a.clone();
    for _ in 0..2 {
        h = vec_inner(&h, c) + &a;
    }
    h * c
}

#[differentiate]
fn vec_inner(x: &DVector<f64>, c: f64) -> DVector<f64> {
    x.map(|v| (v * 1.3).sin()) * c + x
}

#[test]
fn vector_result_calls_vector_helpers() {
    check_vector(
        "vec_chain",
        &[0.3, -0.5, 0.9, 0.7],
        &[1.0, -2.0, 0.5],
        |q| {
            vec_chain(&DVector::from_column_slice(&q[..3]), q[3])
                .as_slice()
                .to_vec()
        },
        |q, s| {
            let (v, g) = vec_chain_vjp(
                &DVector::from_column_slice(&q[..3]),
                q[3],
                DVector::from_column_slice(s),
            );
            let mut out: Vec<f64> = g.x.iter().copied().collect();
            out.push(g.c);
            (v.as_slice().to_vec(), out)
        },
    );
}

#[differentiate]
fn vec_branch(x: &DVector<f64>, c: f64) -> DVector<f64> {
    if c > 0.0 {
        vec_inner(x, c)
    } else {
        x * (c * c)
    }
}

#[test]
fn vector_result_from_a_branch() {
    for c in [0.7, -0.7] {
        check_vector(
            "vec_branch",
            &[0.3, -0.5, c],
            &[1.5, -2.0],
            |q| {
                vec_branch(&DVector::from_column_slice(&q[..2]), q[2])
                    .as_slice()
                    .to_vec()
            },
            |q, s| {
                let (v, g) = vec_branch_vjp(
                    &DVector::from_column_slice(&q[..2]),
                    q[2],
                    DVector::from_column_slice(s),
                );
                let mut out: Vec<f64> = g.x.iter().copied().collect();
                out.push(g.c);
                (v.as_slice().to_vec(), out)
            },
        );
    }
}

#[differentiate]
fn arr_chain(x: f64, y: f64) -> [f64; 2] {
    let mut r = arr2(x, y);
    for _ in 0..2 {
        r = arr2(r[0] + 0.1, r[1] * 0.5);
    }
    r
}

#[test]
fn array_result_chain_in_loop() {
    check_vector(
        "arr_chain",
        &[0.6, 0.3],
        &[1.0, 3.0],
        |q| arr_chain(q[0], q[1]).to_vec(),
        |q, s| {
            let (v, g) = arr_chain_vjp(q[0], q[1], [s[0], s[1]]);
            (v.to_vec(), vec![g.x, g.y])
        },
    );
}

#[differentiate]
fn tuple_mixed_result(x: &DVector<f64>, c: f64) -> (f64, DVector<f64>) {
    let v = vec_inner(x, c);
    (v.sum() * c, v * 2.0)
}

#[test]
fn tuple_of_scalar_and_vector_result() {
    check_vector(
        "tuple_mixed",
        &[0.3, -0.5, 0.7],
        &[2.0, 1.0, -1.0],
        |q| {
            let (a, v) = tuple_mixed_result(&DVector::from_column_slice(&q[..2]), q[2]);
            let mut out = vec![a];
            out.extend(v.iter());
            out
        },
        |q, s| {
            let ((a, v), g) = tuple_mixed_result_vjp(
                &DVector::from_column_slice(&q[..2]),
                q[2],
                (s[0], DVector::from_column_slice(&s[1..])),
            );
            let mut value = vec![a];
            value.extend(v.iter());
            let mut out: Vec<f64> = g.x.iter().copied().collect();
            out.push(g.c);
            (value, out)
        },
    );
}

#[differentiate]
fn matrix_result_loop(w: &DMatrix<f64>, c: f64) -> DMatrix<f64> {
    let mut m = w.clone();
    for _ in 0..2 {
        m = &m * w * c + w;
    }
    m.transpose()
}

#[test]
fn matrix_result_in_a_loop() {
    let mut point: Vec<f64> = dmat(2, 2, 0.1).iter().copied().collect();
    point.push(0.4);
    check_vector(
        "matrix_result_loop",
        &point,
        &[1.0, -1.0, 0.5, 2.0],
        |q| {
            matrix_result_loop(&DMatrix::from_column_slice(2, 2, &q[..4]), q[4])
                .as_slice()
                .to_vec()
        },
        |q, s| {
            let (v, g) = matrix_result_loop_vjp(
                &DMatrix::from_column_slice(2, 2, &q[..4]),
                q[4],
                DMatrix::from_column_slice(2, 2, s),
            );
            let mut out: Vec<f64> = g.w.iter().copied().collect();
            out.push(g.c);
            (v.as_slice().to_vec(), out)
        },
    );
}

#[differentiate]
fn svector_result(v: Vector3<f64>, c: f64) -> Vector3<f64> {
    let mut r = v;
    for i in 0..3 {
        r = r * c + v * (r[i] * 0.1);
    }
    r
}

#[test]
fn static_vector_result_loop() {
    check_vector(
        "svector_result",
        &[0.3, -0.5, 0.7, 0.8],
        &[1.0, 2.0, -1.0],
        |q| {
            svector_result(Vector3::new(q[0], q[1], q[2]), q[3])
                .as_slice()
                .to_vec()
        },
        |q, s| {
            let (v, g) = svector_result_vjp(
                Vector3::new(q[0], q[1], q[2]),
                q[3],
                Vector3::new(s[0], s[1], s[2]),
            );
            let mut out: Vec<f64> = g.v.iter().copied().collect();
            out.push(g.c);
            (v.as_slice().to_vec(), out)
        },
    );
}

/// A scalar function consuming a vector-valued helper's result element by element.
#[differentiate]
fn reads_vector_helper(x: &DVector<f64>, c: f64) -> f64 {
    let v = vec_inner(x, c);
    let mut s = 0.0;
    for i in 0..v.len() {
        s += v[i] * v[(i + 1) % v.len()];
    }
    s
}
probe!(vector_helper_elements_read: reads_vector_helper, reads_vector_helper_grad, reads_vector_helper_vjp,
    |p| [&DVector::from_column_slice(&p[..3]), p[3]], [x, c], [0.3, -0.5, 0.9, 0.7]);

// ---- more combinations ----------------------------------------------------------------------

#[differentiate]
fn map_with_local_capture(xs: &[f64], c: f64) -> f64 {
    let c2 = c * 2.0;
    xs.iter().map(|v| h3(*v, c2)).sum::<f64>() + c2
}
probe!(more_map_closure_captures_local: map_with_local_capture, map_with_local_capture_grad, map_with_local_capture_vjp,
    |p| [&p[..3], p[3]], [xs, c], [0.4, 0.3, -1.0, 0.6]);

#[differentiate]
fn tuple_element_ignored(r: f64, t: f64) -> f64 {
    let (a, _) = polar(r, t);
    let (_, b) = polar(t, r);
    a * 2.0 + b
}
probe!(more_tuple_element_ignored: tuple_element_ignored, tuple_element_ignored_grad, tuple_element_ignored_vjp,
    |p| [p[0], p[1]], [r, t], [1.3, 0.4]);

#[differentiate]
fn zero_trip_calls(x: f64, n: usize) -> f64 {
    let mut s = sq(x);
    for i in 0..n {
        s = h3(s, x);
    }
    let mut j = 0;
    while j < n {
        s += sq(x);
        j += 1;
    }
    s
}
probe!(more_zero_trip_loops_with_calls: zero_trip_calls, zero_trip_calls_grad, zero_trip_calls_vjp,
    |p| [p[0], 0], [x], [0.7]);

#[differentiate]
fn enumerate_zip_calls(xs: &[f64], ys: &[f64], c: f64) -> f64 {
    let mut s = 0.0;
    for (i, x) in xs.iter().enumerate() {
        s += h3(*x, c) * (i as f64 + 1.0);
    }
    for (x, y) in xs.iter().zip(ys.iter()) {
        s += mul_sin(*x, *y) * c;
    }
    s
}
probe!(more_enumerate_zip_calls: enumerate_zip_calls, enumerate_zip_calls_grad, enumerate_zip_calls_vjp,
    |p| [&p[..2], &p[2..4], p[4]], [xs, ys, c], [0.4, -0.3, 0.8, 1.2, 0.6]);

#[differentiate]
fn ref_field_to_ref_param(p: &P2, x: f64) -> f64 {
    hr(&p.w, x) + hr(&p.b, p.w) + two_structs(p, p)
}
probe!(more_ref_field_to_ref_param: ref_field_to_ref_param, ref_field_to_ref_param_grad, ref_field_to_ref_param_vjp,
    |q| [&P2 { w: q[0], b: q[1] }, q[2]], [p, x], [0.6, 0.3, 0.9]);

#[differentiate]
fn same_field_struct_twice(o: &Outer, x: f64) -> f64 {
    two_structs(&o.p, &o.p) * x + p2_helper(&o.p, x) + inner_helper(&o.inner, o.s)
}
probe!(more_same_field_struct_twice_top_level: same_field_struct_twice, same_field_struct_twice_grad, same_field_struct_twice_vjp,
    |q| [&outer_from(q), q[9]], [o, x], [0.7, 0.2, -0.4, 0.9, 1.1, 0.3, -0.6, 0.8, 0.25, 0.5]);

#[differentiate]
fn closure_with_call_top_level(x: f64, y: f64) -> f64 {
    let f = |t: f64| h3(t, y) * t;
    f(x) * f(y) + f(f(x))
}
probe!(more_closure_with_call_top_level: closure_with_call_top_level, closure_with_call_top_level_grad, closure_with_call_top_level_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[test]
fn more_tuple_result_vjp_directly() {
    let x = [1.3, 0.4];
    let seed = [0.7, -1.9];
    let (v, g) = polar_vjp(x[0], x[1], (seed[0], seed[1]));
    assert_eq!(v, polar(x[0], x[1]));
    let fd = central_difference(
        |q: &[f64]| {
            let (a, b) = polar(q[0], q[1]);
            a * seed[0] + b * seed[1]
        },
        &x,
    );
    close("polar_vjp", &x, &[g.r, g.theta], &fd, 1e-6);
}

#[differentiate]
fn while_continue_calls(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    let mut i = 0;
    while i < 6 {
        i += 1;
        let v = h3(x, y * i as f64);
        if i % 3 == 0 {
            continue;
        }
        s += v * mul_sin(s, y);
    }
    s
}
probe!(more_while_continue_calls: while_continue_calls, while_continue_calls_grad, while_continue_calls_vjp,
    |p| [p[0], p[1]], [x, y], [0.6, 0.3]);

#[differentiate]
fn vec_ref_helper(v: &Vec<f64>, c: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..v.len() {
        s += v[i] * c * v[i];
    }
    s
}

#[differentiate]
fn local_vec_to_helper(x: f64, c: f64) -> f64 {
    let mut v = vec![0.0; 3];
    for i in 0..3 {
        v[i] = x * (i as f64) + c;
    }
    vec_ref_helper(&v, c) + vec_ref_helper(&v, x)
}
probe!(more_local_vec_to_vec_ref_helper: local_vec_to_helper, local_vec_to_helper_grad, local_vec_to_helper_vjp,
    |p| [p[0], p[1]], [x, c], [0.6, 0.3]);

#[differentiate]
fn wrt_chain(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        s = hw(s, i as f64 * 0.5 + 1.0) * 0.3;
    }
    hw(s, 2.0)
}
probe!(more_wrt_helper_carried_in_loop: wrt_chain, wrt_chain_grad, wrt_chain_vjp,
    |p| [p[0], 3], [x], [0.6]);

probe!(generic_closure_loop_f64_again: generic_with_closure, generic_with_closure_grad, generic_with_closure_vjp,
    |p| [p[0], p[1]], [x, y], [-0.2, 1.3]);

#[test]
fn generic_closure_loop_f32() {
    let (v, g) = generic_with_closure_grad(0.6f32, 0.3f32);
    assert_eq!(v, generic_with_closure(0.6f32, 0.3f32));
    let (_, g64) = generic_with_closure_grad(0.6f64, 0.3f64);
    assert!((f64::from(g.x) - g64.x).abs() < 1e-4 * g64.x.abs().max(1.0));
    assert!((f64::from(g.y) - g64.y).abs() < 1e-4 * g64.y.abs().max(1.0));
}

#[differentiate]
fn vec_helper_top_level_twice(x: &DVector<f64>, c: f64) -> f64 {
    let a = vec_inner(x, c);
    let b = vec_inner(&a, c);
    a.dot(&b) + vec_inner(x, a[0]).sum()
}
probe!(more_vector_helpers_top_level: vec_helper_top_level_twice, vec_helper_top_level_twice_grad, vec_helper_top_level_twice_vjp,
    |p| [&DVector::from_column_slice(&p[..3]), p[3]], [x, c], [0.3, -0.5, 0.9, 0.7]);

#[derive(tapeless::Differentiable, Clone, Debug)]
struct S1 {
    k: f64,
}

#[differentiate]
impl S1 {
    #[differentiate]
    fn self_field_in_loop(&self, x: f64) -> f64 {
        let mut s = 0.0;
        for _ in 0..2 {
            s += sq(self.k) * x;
        }
        if x > 0.0 {
            s += sq(self.k);
        }
        s
    }
}

#[test]
fn method_self_field_to_helper_in_loop_and_branch() {
    let (v, g) = S1 { k: 0.7 }.self_field_in_loop_grad(0.5);
    assert_eq!(v, S1 { k: 0.7 }.self_field_in_loop(0.5));
    let fd = central_difference(
        |q: &[f64]| S1 { k: q[0] }.self_field_in_loop(q[1]),
        &[0.7, 0.5],
    );
    close(
        "self_field_in_loop",
        &[0.7, 0.5],
        &[g.self_.k, g.x],
        &fd,
        1e-6,
    );
}

#[differentiate]
fn vec_result_helper(x: f64, n: usize) -> Vec<f64> {
    let mut v = vec![0.0; n];
    for i in 0..n {
        v[i] = x * (i as f64 + 1.0);
    }
    v
}

#[differentiate]
fn uses_vec_result(x: f64) -> f64 {
    let v = vec_result_helper(x, 3);
    let mut s = v[0] + v[2] * v[1];
    for i in 0..2 {
        let w = vec_result_helper(s, 2);
        s += w[1] * 0.1;
    }
    s
}
probe!(more_vec_result_helper: uses_vec_result, uses_vec_result_grad, uses_vec_result_vjp,
    |p| [p[0]], [x], [0.7]);

#[differentiate]
fn tuple_with_array(x: f64) -> (f64, [f64; 2]) {
    let mut a = [0.0; 2];
    a[0] = x * 2.0;
    a[1] = x * x;
    (x.sin(), a)
}

#[differentiate]
fn uses_tuple_with_array(x: f64) -> f64 {
    let (s, a) = tuple_with_array(x);
    s * a[0] + a[1]
}
probe!(more_tuple_with_array_result: uses_tuple_with_array, uses_tuple_with_array_grad, uses_tuple_with_array_vjp,
    |p| [p[0]], [x], [0.7]);

#[differentiate]
fn closure_slice_param(xs: &[f64], c: f64) -> f64 {
    let f = |v: &[f64], k: usize| v[k] * c;
    f(xs, 0) + f(xs, 1) * f(xs, 0)
}
probe!(more_closure_with_slice_and_data_params: closure_slice_param, closure_slice_param_grad, closure_slice_param_vjp,
    |p| [&p[..2], p[2]], [xs, c], [0.7, 0.2, 0.4]);

#[custom_vjp(cr2_rule_b)]
fn cr2b(a: f64, k: i32, b: f64) -> f64 {
    a.powi(k) * b.sin()
}

fn cr2_rule_b(a: f64, k: i32, b: f64, seed: f64) -> (f64, f64) {
    cr2_rule(a, k, b, seed)
}

#[differentiate]
fn custom_constant_first(x: f64) -> f64 {
    let mut s = cr2b(2.0, 2, x) + cr2b(x, 2, 0.5);
    for i in 0..2 {
        s = cr2b(1.5, i, s) + cr2b(s, 2, 1.0);
    }
    s
}
probe!(custom_with_constant_arguments: custom_constant_first, custom_constant_first_grad, custom_constant_first_vjp,
    |p| [p[0]], [x], [0.7]);

#[differentiate]
fn local_array_of_call_results(x: f64, y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = sq(x);
    a[1] = h3(x, y);
    harr(&a) + harr_val([0.0; 3])
}
probe!(more_array_of_call_results_to_helper: local_array_of_call_results, local_array_of_call_results_grad, local_array_of_call_results_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.3]);

#[differentiate]
fn call_in_block(x: f64, y: f64) -> f64 {
    let a = {
        let t = x * 2.0;
        sq(t) + h3(t, y)
    };
    a * { sq(y) }
}
probe!(more_calls_in_block_expressions: call_in_block, call_in_block_grad, call_in_block_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.3]);

#[differentiate]
fn konst(x: f64) -> f64 {
    3.0
}

#[differentiate]
fn ident(x: f64) -> f64 {
    x
}

#[differentiate]
fn unused_param(x: f64, y: f64) -> f64 {
    y * 2.0
}

#[differentiate]
fn degenerate_helpers(x: f64, y: f64) -> f64 {
    let a = konst(x) * x + ident(x) * ident(y) + unused_param(x, y);
    let mut s = a;
    for _ in 0..2 {
        s = ident(s) * konst(s) * 0.2 + unused_param(s, x);
    }
    s
}
probe!(more_constant_identity_unused_param_helpers: degenerate_helpers, degenerate_helpers_grad, degenerate_helpers_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.3]);

/// Local names that the generated code also uses.
#[differentiate]
fn generated_names(x: f64, seed: f64) -> f64 {
    let gradients = sq(x);
    let value = h3(gradients, seed);
    let d_x = value * x;
    let value_pullback = sq(d_x);
    let mut iterations = 0.0;
    for k in 0..2 {
        // (`value_pullback * 1.0`: an argument defined outside the loop hits the bug in `wrong`)
        iterations += h3(value_pullback * 1.0, k as f64) + gradients;
    }
    let step = iterations;
    step + d_x
}
probe!(more_locals_named_like_generated_code: generated_names, generated_names_grad, generated_names_vjp,
    |p| [p[0], p[1]], [x, seed], [0.7, 0.3]);

/// A closure named like a helper, inside a block: after the block the helper is called.
#[differentiate]
fn closure_named_like_helper(x: f64) -> f64 {
    let a = {
        let sq = |t: f64| t * 3.0;
        sq(x)
    };
    a + sq(x)
}
probe!(more_closure_named_like_helper_in_block: closure_named_like_helper, closure_named_like_helper_grad, closure_named_like_helper_vjp,
    |p| [p[0]], [x], [0.7]);

/// A closure shadowed by a later closure of the same name.
#[differentiate]
fn closure_redefined(x: f64, y: f64) -> f64 {
    let f = |t: f64| t * y;
    let a = f(x);
    let f = |t: f64| t * t + a;
    f(x) + f(y) * a
}
probe!(more_closure_redefined: closure_redefined, closure_redefined_grad, closure_redefined_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.3]);

/// A closure defined in a loop capturing a carried variable, and shadowing inside the loop.
#[differentiate]
fn closure_loop_shadow(x: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        let f = |t: f64| t * s + x;
        let s2 = f(1.0);
        let x = s2 * 0.5;
        s = f(x) * 0.3;
    }
    s
}
probe!(more_closure_loop_shadowing: closure_loop_shadow, closure_loop_shadow_grad, closure_loop_shadow_vjp,
    |p| [p[0]], [x], [0.7]);

/// The argument of a call in a loop changes after the call in the same iteration.
#[differentiate]
fn arg_changed_after_call_in_loop(x: f64, y: f64) -> f64 {
    let mut p = x;
    let mut s = 0.0;
    for i in 0..4 {
        s += h3(p, y) * p;
        p = p * 1.1 + s * 0.01;
    }
    s + p
}
probe!(more_arg_changed_after_call_in_loop: arg_changed_after_call_in_loop, arg_changed_after_call_in_loop_grad, arg_changed_after_call_in_loop_vjp,
    |p| [p[0], p[1]], [x, y], [0.7, 0.3]);

/// A tuple result rotated through two carried variables.
#[differentiate]
fn tuple_rotation(r: f64, t: f64) -> f64 {
    let mut a = r;
    let mut b = t;
    for _ in 0..3 {
        let (na, nb) = polar(a, b);
        a = nb + 0.5;
        b = na * 0.7;
    }
    a * b
}
probe!(more_tuple_result_rotated_through_carried: tuple_rotation, tuple_rotation_grad, tuple_rotation_vjp,
    |p| [p[0], p[1]], [r, t], [0.7, 0.3]);

#[differentiate]
fn f32_caller(x: f32, ys: &[f32]) -> f32 {
    let mut s = h32(x, 0.5);
    for y in ys {
        s = h32(s * 0.5, *y) + x;
    }
    s
}

#[test]
fn more_f32_helpers_in_loop() {
    let ys = [0.3f32, -0.4, 0.9];
    let (v, g) = f32_caller_grad(0.6f32, &ys);
    assert_eq!(v, f32_caller(0.6f32, &ys));
    let f64_version = |q: &[f64]| {
        let h = |x: f64, y: f64| x * y.sin() + x;
        let mut s = h(q[0], 0.5);
        for y in &q[1..] {
            s = h(s * 0.5, *y) + q[0];
        }
        s
    };
    let point = [0.6, 0.3, -0.4, 0.9];
    let fd = central_difference(f64_version, &point);
    let mut analytic = vec![f64::from(g.x)];
    analytic.extend(g.ys.iter().map(|v| f64::from(*v)));
    close("f32_caller", &point, &analytic, &fd, 1e-4);
}

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Decay {
    rate: f64,
    floor: f64,
}

#[differentiate]
impl Decay {
    #[differentiate]
    fn run(&self, x: f64, limit: f64) -> f64 {
        let mut v = x;
        for i in 0..10 {
            v = mul_sin(v, self.rate) + self.floor;
            if v > limit {
                return v * 2.0 + sq(self.rate);
            }
        }
        v
    }
}

#[test]
fn method_early_return_with_calls() {
    for (x, limit) in [(0.4, 0.9), (0.4, 50.0)] {
        let d = Decay {
            rate: 0.8,
            floor: 0.1,
        };
        let (v, g) = d.run_grad(x, limit);
        assert_eq!(v, d.run(x, limit));
        let point = [0.8, 0.1, x, limit];
        let fd = central_difference(
            |q: &[f64]| {
                Decay {
                    rate: q[0],
                    floor: q[1],
                }
                .run(q[2], q[3])
            },
            &point,
        );
        close(
            "Decay::run",
            &point,
            &[g.self_.rate, g.self_.floor, g.x, g.limit],
            &fd,
            1e-6,
        );
    }
}

/// A tuple parameter shadowed by a local tuple of the same name.
#[differentiate]
fn tuple_param_shadowed(t: &(f64, f64), x: f64) -> f64 {
    let a = t.0 * x;
    let t = (t.1, a);
    t.0 * t.1 + a
}
probe!(struct_tuple_param_shadowed_by_local_tuple: tuple_param_shadowed, tuple_param_shadowed_grad, tuple_param_shadowed_vjp,
    |q| [&(q[0], q[1]), q[2]], [t, x], [0.6, 0.3, 0.9]);

#[differentiate(wrt(x))]
fn struct_left_out(p: &P2, x: f64) -> f64 {
    let mut s = p2_helper(p, x) + p.w * x;
    for _ in 0..2 {
        s = s * p.b + x;
    }
    s
}

#[test]
fn struct_left_out_by_wrt() {
    let p = P2 { w: 0.6, b: 0.3 };
    let (v, g) = struct_left_out_grad(&p, 0.9);
    assert_eq!(v, struct_left_out(&p, 0.9));
    let fd = central_difference(|q: &[f64]| struct_left_out(&p, q[0]), &[0.9]);
    close("struct_left_out", &[0.9], &[g.x], &fd, 1e-6);
}

/// A data struct (no `Differentiable`) left out with `wrt`.
struct Config {
    scale: f64,
    n: usize,
}

#[differentiate(wrt(x))]
fn with_config(cfg: &Config, x: f64) -> f64 {
    let mut s = x;
    for i in 0..cfg.n {
        s = h3(s, cfg.scale) * 0.5 + x * cfg.scale;
    }
    s
}

#[test]
fn struct_data_config_left_out() {
    let cfg = Config { scale: 0.7, n: 3 };
    let (v, g) = with_config_grad(&cfg, 0.4);
    assert_eq!(v, with_config(&cfg, 0.4));
    let fd = central_difference(|q: &[f64]| with_config(&cfg, q[0]), &[0.4]);
    close("with_config", &[0.4], &[g.x], &fd, 1e-6);
}

mod regressions {
    //! Probes that currently give a wrong gradient or value: each test here fails.
    //!
    //! A. A call (of a `#[differentiate]` or `#[custom_vjp]` function) inside a branch or
    //!    loop whose argument is defined outside that region and is not also read there by
    //!    a rule: the argument's adjoint is declared inside the region and dropped at its
    //!    end (`reverse::Planner::hoist` collects the operands of `Op::Rule`, stores, merges
    //!    and carried values, but not those of `Op::Call`). Hits struct fields passed to
    //!    helpers in loops (`&p.layer`, read once at the top), tuple elements, closures
    //!    calling helpers, and every call after a loop that can `return` (the code after
    //!    it is generated inside the fall-through branch).
    //! B. A local array (or `Vec`) written by index in a loop and passed to a helper in the
    //!    loop: the reverse sweep's `helper_vjp` sees the array's final contents.
    //! C. A `move` closure capturing a local array that is written by index later: the
    //!    inlined body reads the current contents (wrong value as well as gradient).
    use super::*;

    // ---- minimal repros ------------------------------------------------------------------

    /// A call in a branch whose argument is defined before the branch and not used after
    /// it: the argument's adjoint is declared inside the branch and dropped. Gradient −0
    /// instead of 2·sin(x)·cos(x).
    #[differentiate]
    fn min_call_in_branch(x: f64) -> f64 {
        let s = x.sin();
        if x > 0.0 {
            sq(s)
        } else {
            x
        }
    }
    probe!(min_call_in_branch_arg_from_outside: min_call_in_branch, min_call_in_branch_grad, min_call_in_branch_vjp,
        |p| [p[0]], [x], [0.7]);

    /// The same in a loop: gradient 0 instead of 4·sin(x)·cos(x).
    #[differentiate]
    fn min_call_in_loop(x: f64) -> f64 {
        let s = x.sin();
        let mut r = 0.0;
        for _ in 0..2 {
            r += sq(s);
        }
        r
    }
    probe!(min_call_in_loop_arg_from_outside: min_call_in_loop, min_call_in_loop_grad, min_call_in_loop_vjp,
        |p| [p[0]], [x], [0.7]);

    #[custom_vjp(csq_rule)]
    fn csq(x: f64) -> f64 {
        x * x
    }

    fn csq_rule(x: f64, seed: f64) -> f64 {
        2.0 * x * seed
    }

    /// The same with a custom rule.
    #[differentiate]
    fn min_custom_in_loop(x: f64) -> f64 {
        let s = x.sin();
        let mut r = 0.0;
        for _ in 0..2 {
            r += csq(s);
        }
        r
    }
    probe!(min_custom_rule_in_loop_arg_from_outside: min_custom_in_loop, min_custom_in_loop_grad, min_custom_in_loop_vjp,
        |p| [p[0]], [x], [0.7]);

    /// The same with a struct field passed to a helper: `&q.p` is read once at the top, so
    /// it is always defined outside the loop. `grad.q` is (−0, −0) instead of (0.75, 1.50).
    #[derive(tapeless::Differentiable, Clone, Debug)]
    struct Q {
        p: P2,
    }

    impl Flat for Q {
        fn flat(&self, out: &mut Vec<f64>) {
            self.p.flat(out);
        }
    }

    #[differentiate]
    fn min_field_to_helper_in_loop(q: &Q, x: f64) -> f64 {
        let mut r = 0.0;
        for _ in 0..2 {
            r += p2_helper(&q.p, x);
        }
        r
    }
    probe!(min_struct_field_to_helper_in_loop: min_field_to_helper_in_loop, min_field_to_helper_in_loop_grad, min_field_to_helper_in_loop_vjp,
        |p| [&Q { p: P2 { w: p[0], b: p[1] } }, p[2]], [q, x], [0.7, 0.2, 0.5]);

    /// The same with an element of a destructured tuple result.
    #[differentiate]
    fn min_tuple_element_in_loop(x: f64) -> f64 {
        let (a, b) = polar(x, 0.5);
        let mut r = 0.0;
        for _ in 0..2 {
            r += sq(a) + b;
        }
        r
    }
    probe!(min_tuple_element_to_call_in_loop: min_tuple_element_in_loop, min_tuple_element_in_loop_grad, min_tuple_element_in_loop_vjp,
        |p| [p[0]], [x], [0.7]);

    /// The same through a closure that calls a helper on a captured value.
    #[differentiate]
    fn min_closure_in_loop(x: f64) -> f64 {
        let s = x.sin();
        let f = |t: f64| sq(s) * t;
        let mut r = 0.0;
        for _ in 0..2 {
            r += f(x);
        }
        r
    }
    probe!(min_closure_calling_helper_in_loop: min_closure_in_loop, min_closure_in_loop_grad, min_closure_in_loop_vjp,
        |p| [p[0]], [x], [0.7]);

    /// A loop that may `return`, then a call: the statements after the loop are generated
    /// in the fall-through branch, so the call is in a branch and its argument (the loop's
    /// result) is defined outside it. Gradient 0 instead of 8x.
    #[differentiate]
    fn min_call_after_loop_with_return(x: f64) -> f64 {
        let mut s = 0.0;
        for _ in 0..2 {
            s += x;
            if s > 100.0 {
                return s;
            }
        }
        sq(s)
    }
    probe!(min_call_after_loop_that_can_return: min_call_after_loop_with_return, min_call_after_loop_with_return_grad, min_call_after_loop_with_return_vjp,
        |p| [p[0]], [x], [0.7]);

    /// A local array written by index in a loop and passed by reference to a helper in the
    /// loop: the reverse sweep calls `harr_vjp` with the array's final contents for every
    /// iteration. Gradient 3x instead of 2x.
    #[differentiate]
    fn min_array_written_in_loop(x: f64) -> f64 {
        let mut a = [0.0; 2];
        let mut s = 0.0;
        for i in 0..2 {
            a[i] = x;
            s += harr2(&a);
        }
        s
    }

    #[differentiate]
    fn harr2(a: &[f64; 2]) -> f64 {
        a[0] * a[1]
    }
    probe!(min_array_written_in_loop_passed_to_helper: min_array_written_in_loop, min_array_written_in_loop_grad, min_array_written_in_loop_vjp,
        |p| [p[0]], [x], [0.7]);

    /// A loop body value used only by a call in a nested branch (the common
    /// `for .. { let v = ..; if .. { s += h(v) } }`): gradient 0.
    #[differentiate]
    fn min_loop_local_to_call_in_branch(x: f64) -> f64 {
        let mut r = 0.0;
        for i in 0..2 {
            let v = x.sin();
            if i == 1 {
                r += sq(v);
            }
        }
        r
    }
    probe!(min_loop_local_to_call_in_nested_branch: min_loop_local_to_call_in_branch, min_loop_local_to_call_in_branch_grad, min_loop_local_to_call_in_branch_vjp,
        |p| [p[0]], [x], [0.7]);

    /// A matrix computed before a loop and used only by a helper inside it.
    #[differentiate]
    fn matrix_from_outside_to_helper_in_loop(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
        let h = mat_h(w, x);
        let mut s = 0.0;
        for _ in 0..2 {
            s += mat_h(w, &h).sum();
        }
        s
    }

    #[test]
    fn matrix_helper_in_loop_arg_from_outside() {
        let w = dmat(2, 2, 0.3);
        let x = DVector::from_vec(vec![0.5, -0.2]);
        let (v, g) = matrix_from_outside_to_helper_in_loop_grad(&w, &x);
        assert_eq!(v, matrix_from_outside_to_helper_in_loop(&w, &x));
        let point: Vec<f64> = x.iter().copied().collect();
        let fd = central_difference(
            |q: &[f64]| matrix_from_outside_to_helper_in_loop(&w, &DVector::from_column_slice(q)),
            &point,
        );
        close("matrix_from_outside", &point, g.x.as_slice(), &fd, 1e-6);
    }

    /// A `move` closure captures a copy of a local array that is written by index
    /// afterwards: the inlined closure body reads the array's current contents. WRONG
    /// VALUE: `f_grad` returns 7 (5x·1 + 5x) where `f` returns 4.2 (x + 5x), at x = 0.7.
    #[differentiate]
    fn move_closure_array_written_after(x: f64) -> f64 {
        let mut a = [0.0; 2];
        a[0] = x;
        let f = move |t: f64| a[0] * t;
        a[0] = 5.0 * x;
        f(1.0) + a[0]
    }
    probe!(closure_move_captures_array_written_after: move_closure_array_written_after, move_closure_array_written_after_grad, move_closure_array_written_after_vjp,
        |p| [p[0]], [x], [0.7]);

    /// The same in a loop.
    #[differentiate]
    fn move_closure_array_in_loop(x: f64) -> f64 {
        let mut a = [0.0; 2];
        a[0] = x;
        let f = move |t: f64| a[0] * t + a[1];
        let mut s = 0.0;
        for i in 0..2 {
            a[i] = a[i] * x + 1.0;
            s += f(x) * a[0];
        }
        s
    }
    probe!(closure_move_captures_array_written_in_loop: move_closure_array_in_loop, move_closure_array_in_loop_grad, move_closure_array_in_loop_vjp,
        |p| [p[0]], [x], [0.7]);

    // ---- the probes that found them (A: early exit, chain, struct fields, matrix; B: arrays)

    #[differentiate]
    fn array_by_value_carried(x: f64) -> f64 {
        let mut a = [0.0; 3];
        a[2] = 1.0;
        let mut s = 0.0;
        for i in 0..3 {
            a[i] = a[i] + x;
            s += harr_val(a);
        }
        s
    }
    probe!(more_array_by_value_written_in_loop: array_by_value_carried, array_by_value_carried_grad, array_by_value_carried_vjp,
        |p| [p[0]], [x], [0.7]);

    #[differentiate]
    fn level1_mixed(x: f64, y: f64) -> f64 {
        let a = level2_joint(x, y);
        let mut s = a;
        for _ in 0..2 {
            s = s + level2_split(s, y) * 0.1;
        }
        let b = if s > 0.0 {
            level2_split(s, a)
        } else {
            level2_joint(a, s)
        };
        b + level2_split(a, b)
    }
    probe!(calls_chain_mixed: level1_mixed, level1_mixed_grad, level1_mixed_vjp,
        |p| [p[0], p[1]], [x, y], [0.4, 0.3]);

    /// A top-level call after a loop that can `return` early: statements after an exit are
    /// generated again in each branch that falls through.
    #[differentiate]
    fn call_after_early_exit(x: f64, y: f64) -> f64 {
        let mut s = 0.0;
        for i in 0..4 {
            s += x * i as f64;
            if s > 100.0 {
                return s;
            }
        }
        let a = h3(s, y);
        let b = h3(a, x);
        a * b
    }
    probe!(calls_after_early_exit: call_after_early_exit, call_after_early_exit_grad, call_after_early_exit_vjp,
        |p| [p[0], p[1]], [x, y], [0.2, 0.3]);

    /// The same in a loop: each iteration's call sees the array as it was then.
    #[differentiate]
    fn array_mutated_in_loop_call(x: f64, y: f64) -> f64 {
        let mut a = [0.0; 2];
        a[0] = x;
        a[1] = y;
        let mut s = 0.0;
        for i in 0..4 {
            a[i % 2] = a[i % 2] * x + 0.1;
            s += harr(&a);
        }
        s
    }
    probe!(calls_array_written_in_loop: array_mutated_in_loop_call, array_mutated_in_loop_call_grad, array_mutated_in_loop_call_vjp,
        |p| [p[0], p[1]], [x, y], [0.8, 0.3]);

    /// A local `Vec` written in a loop and passed as a slice to a helper inside the loop.
    #[differentiate]
    fn vec_mutated_in_loop_call(x: f64, c: f64) -> f64 {
        let mut v = vec![0.0; 3];
        let mut s = 0.0;
        for i in 0..3 {
            v[i] = x * (i as f64 + 1.0);
            s += hslice(&v, c);
        }
        s
    }
    probe!(calls_vec_written_in_loop: vec_mutated_in_loop_call, vec_mutated_in_loop_call_grad, vec_mutated_in_loop_call_vjp,
        |p| [p[0], p[1]], [x, c], [0.8, 0.3]);

    #[differentiate]
    fn struct_to_helpers(o: &Outer, x: f64) -> f64 {
        let a = p2_helper(&o.p, x);
        let b = inner_helper(&o.inner, a);
        let mut s = a + b + slice_fn(&o.xs) + arr_ref_fn(&o.inner.v, x);
        for _ in 0..2 {
            s += p2_helper(&o.p, s) + inner_helper(&o.inner, s * 0.1);
        }
        s
    }
    probe!(struct_fields_passed_to_helpers: struct_to_helpers, struct_to_helpers_grad, struct_to_helpers_vjp,
        |q| [&outer_from(q), q[9]], [o, x], [0.7, 0.2, -0.4, 0.9, 1.1, 0.3, -0.6, 0.8, 0.25, 0.5]);
}

/// Constructs that did not compile when the probes above were written.
mod compile_regressions {
    use super::*;

    #[derive(tapeless::Differentiable, Clone, Copy)]
    struct P2 {
        w: f64,
        b: f64,
    }

    #[differentiate]
    fn struct_by_value(p: P2, x: f64) -> f64 {
        p.w * x + p.b * p.w
    }

    #[differentiate]
    fn tuple_by_value(t: (f64, f64)) -> f64 {
        t.0 * t.1 + t.0
    }

    #[differentiate]
    fn harr(a: &[f64; 2]) -> f64 {
        a[0] * a[1] + a[1]
    }

    #[differentiate]
    fn array_passed_then_written(x: f64) -> f64 {
        let mut a = [0.0; 2];
        a[0] = x;
        a[1] = 2.0 * x;
        let s = harr(&a);
        a[1] = s;
        s + harr(&a)
    }

    #[test]
    fn parameters_by_value_and_arrays_written_after_a_call() {
        check(
            "struct_by_value",
            &[0.7, -1.2, 0.4],
            |p| struct_by_value(P2 { w: p[0], b: p[1] }, p[2]),
            |p| {
                let (v, g) = struct_by_value_grad(P2 { w: p[0], b: p[1] }, p[2]);
                (v, vec![g.p.w, g.p.b, g.x])
            },
            |p, s| {
                let (v, g) = struct_by_value_vjp(P2 { w: p[0], b: p[1] }, p[2], s);
                (v, vec![g.p.w, g.p.b, g.x])
            },
        );
        check(
            "tuple_by_value",
            &[0.7, -1.2],
            |p| tuple_by_value((p[0], p[1])),
            |p| {
                let (v, g) = tuple_by_value_grad((p[0], p[1]));
                (v, vec![g.t.0, g.t.1])
            },
            |p, s| {
                let (v, g) = tuple_by_value_vjp((p[0], p[1]), s);
                (v, vec![g.t.0, g.t.1])
            },
        );
        check(
            "array_passed_then_written",
            &[0.6],
            |p| array_passed_then_written(p[0]),
            |p| {
                let (v, g) = array_passed_then_written_grad(p[0]);
                (v, vec![g.x])
            },
            |p, s| {
                let (v, g) = array_passed_then_written_vjp(p[0], s);
                (v, vec![g.x])
            },
        );
    }
}
