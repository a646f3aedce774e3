//! Adversarial probes of the control-flow lowering and the reverse sweep: combinations of
//! supported constructs (carried variables swapped and rotated through temporaries,
//! exits in nested ifs and loops, `return` from nested loops, `match` with guards, local
//! arrays written in place across iterations, reductions inside loops, `.rev()` with
//! `.step_by(k)`, empty ranges and slices, `f32`, shadowing). Each function is checked for
//! an exact value (`f_grad(..).0 == f(..)`), a gradient that matches central differences,
//! and a `f_vjp` that scales linearly with its seed. Points are chosen away from branch
//! thresholds and kinks.
#![allow(
    dead_code,
    unused_variables,
    unused_mut,
    unused_assignments,
    unused_parens,
    unused_braces
)]
// The probes are written the way users write loops, not the way clippy would have them.
#![allow(
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::collapsible_if,
    clippy::collapsible_else_if,
    clippy::never_loop,
    clippy::double_parens,
    clippy::nonminimal_bool,
    clippy::neg_multiply,
    clippy::unnecessary_cast,
    clippy::explicit_counter_loop,
    clippy::manual_memcpy,
    clippy::let_and_return,
    clippy::needless_return,
    clippy::blocks_in_conditions,
    clippy::identity_op,
    clippy::precedence,
    clippy::excessive_precision,
    clippy::while_immutable_condition,
    clippy::match_single_binding,
    clippy::single_match,
    clippy::match_overlapping_arm,
    clippy::redundant_guards,
    clippy::manual_range_patterns,
    clippy::empty_loop,
    clippy::neg_cmp_op_on_partial_ord,
    clippy::redundant_slicing,
    // `&Vec<f64>` parameters are a supported form, probed on purpose.
    clippy::ptr_arg,
    // `s = (s);` probes a parenthesised self-assignment of a carried variable.
    clippy::self_assignment
)]

use std::cmp::Ordering;

use tapeless::check::central_difference;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

// ---- carried variables: swaps, rotations, dependencies, partial updates ------------------

#[differentiate]
fn swap3(x: f64, y: f64) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..3 {
        let t = a;
        a = b;
        b = t * b;
    }
    a * 2.0 + b
}

#[differentiate]
fn rotate(x: f64, y: f64, z: f64) -> f64 {
    let mut a = x;
    let mut b = y;
    let mut c = z;
    for i in 0..4 {
        let t = a;
        a = b * 1.1;
        b = c;
        c = t * (i as f64 + 0.5);
    }
    a * b * c + a
}

#[differentiate]
fn dep_new(x: f64) -> f64 {
    let mut a = x;
    let mut b = 1.0;
    for _ in 0..3 {
        a = a * 0.9 + b;
        b = b * a;
    }
    a + b
}

#[differentiate]
fn some_branches(x: f64) -> f64 {
    let mut a = x;
    let mut b = 0.5;
    for i in 0..6 {
        if i % 2 == 0 {
            a = a * b + 1.0;
        } else if i % 3 == 0 {
            b = b * a;
        }
    }
    a * b
}

#[differentiate]
fn cont_before_after(x: f64) -> f64 {
    let mut s = x;
    let mut p = 1.0;
    for i in 0..8 {
        if i == 2 {
            continue;
        }
        p *= s;
        if i == 5 {
            continue;
        }
        s = s.sin() + p * 0.1;
    }
    s + p
}

#[differentiate]
fn bool_flag(x: f64) -> f64 {
    let mut s = x;
    let mut done = false;
    for i in 0..8 {
        if !done {
            s = s * x + 0.2;
            if s > 2.0 {
                done = true;
            }
        } else {
            s = s.sqrt();
        }
    }
    s
}

#[differentiate]
fn while_overwrite(x: f64) -> f64 {
    let mut s = 0.0;
    let mut k = 0;
    while k < 3 {
        s = x * (k as f64 + 1.0);
        k += 1;
    }
    s
}

#[differentiate]
fn break_overwrite(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..5 {
        if i == 3 {
            break;
        }
        s = x * (i as f64 + 1.0);
    }
    s
}

#[differentiate]
fn continue_overwrite(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..5 {
        if i >= 3 {
            continue;
        }
        s = x * (i as f64 + 1.0);
    }
    s
}

#[differentiate]
fn loop_overwrite(x: f64) -> f64 {
    let mut s = 0.0;
    let mut k = 0;
    loop {
        s = x * (k as f64 + 1.0);
        k += 1;
        if k >= 3 {
            break;
        }
    }
    s
}

#[differentiate]
fn neg_carried(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        s = -s * 1.1;
        s = (s);
    }
    s
}

#[differentiate]
fn assign_in_block(x: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        {
            s = s * 2.0 + x;
        }
        {
            let q = s;
            s = q * q * 0.1;
        }
    }
    s
}

#[differentiate]
fn int_carried_range(x: f64) -> f64 {
    let mut s = x;
    let mut m = 1;
    for i in 0..4 {
        for j in 0..m {
            s = s * x + (j as f64);
        }
        m += i;
    }
    s
}

#[differentiate]
fn carried_bound_break(x: f64) -> f64 {
    let mut s = x;
    let mut m = 2;
    let mut st = 1;
    for i in 0..4 {
        for j in (i..m).rev().step_by(st) {
            s = s * x + (j as f64) * 0.1;
            if s > 50.0 {
                break;
            }
        }
        m += 2;
        st = st % 3 + 1;
    }
    s
}

#[differentiate]
fn carried_bound_while(x: f64) -> f64 {
    let mut s = x;
    let mut lim = 1.0;
    for i in 0..4 {
        let mut k = 0;
        while (k as f64) < lim {
            s = s * 1.1 + x * 0.01;
            k += 1;
        }
        lim = lim * 1.7;
    }
    s
}

#[test]
fn carried_variables() {
    probe!(p => swap3, swap3_grad, swap3_vjp, [p[0], p[1]], [x, y], [0.7, 1.3]);
    probe!(p => rotate, rotate_grad, rotate_vjp, [p[0], p[1], p[2]], [x, y, z], [0.7, 1.3, -0.4]);
    probe!(p => dep_new, dep_new_grad, dep_new_vjp, [p[0]], [x], [0.7]);
    probe!(p => some_branches, some_branches_grad, some_branches_vjp, [p[0]], [x], [0.7]);
    probe!(p => cont_before_after, cont_before_after_grad, cont_before_after_vjp, [p[0]], [x], [0.7]);
    for x in [0.9, 1.2] {
        probe!(p => bool_flag, bool_flag_grad, bool_flag_vjp, [p[0]], [x], [x]);
    }
    probe!(p => while_overwrite, while_overwrite_grad, while_overwrite_vjp, [p[0]], [x], [0.7]);
    probe!(p => break_overwrite, break_overwrite_grad, break_overwrite_vjp, [p[0]], [x], [0.7]);
    probe!(p => continue_overwrite, continue_overwrite_grad, continue_overwrite_vjp, [p[0]], [x], [0.7]);
    probe!(p => loop_overwrite, loop_overwrite_grad, loop_overwrite_vjp, [p[0]], [x], [0.7]);
    probe!(p => neg_carried, neg_carried_grad, neg_carried_vjp, [p[0]], [x], [0.7]);
    probe!(p => assign_in_block, assign_in_block_grad, assign_in_block_vjp, [p[0]], [x], [0.7]);
    probe!(p => int_carried_range, int_carried_range_grad, int_carried_range_vjp, [p[0]], [x], [0.7]);
    for x in [0.7, 1.2, 2.5] {
        probe!(p => carried_bound_break, carried_bound_break_grad, carried_bound_break_vjp, [p[0]], [x], [x]);
        probe!(p => carried_bound_while, carried_bound_while_grad, carried_bound_while_vjp, [p[0]], [x], [x]);
    }
}

// ---- break, continue and return in nested ifs, loops and matches -------------------------

#[differentiate]
fn break_nested_if(x: f64) -> f64 {
    let mut s = x;
    for i in 0..10 {
        s = s * 1.3;
        if i > 2 {
            if s > 3.0 {
                break;
            }
        }
        s += 0.1;
    }
    s * s
}

#[differentiate]
fn loops_in_if(x: f64, n: usize) -> f64 {
    let mut s = x;
    if x > 0.0 {
        for i in 0..n {
            for j in 0..i {
                s = s * 1.01 + (j as f64) * s.cos();
            }
        }
    } else {
        s = s * 3.0;
    }
    s
}

#[differentiate]
fn while_active(x: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    while s < 10.0 && k < 20 {
        s = s * s + 0.5;
        k += 1;
    }
    s
}

#[differentiate]
fn while_counter(x: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    while k < 5 {
        s = s * x + (k as f64);
        k += 1;
    }
    s
}

#[differentiate]
fn while_break_cont(x: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    while k < 12 {
        k += 1;
        if k % 3 == 0 {
            continue;
        }
        s = s * 1.2 + 0.1;
        if s > 7.0 {
            break;
        }
    }
    s * (k as f64)
}

#[differentiate]
fn loop_break_top(x: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    loop {
        if k >= 5 {
            break;
        }
        s = s * s.cos() + 1.0;
        k += 1;
    }
    s
}

#[differentiate]
fn match_break(x: f64) -> f64 {
    let mut s = x;
    for i in 0..10 {
        match i % 4 {
            0 => s *= 1.1,
            1 if s > 5.0 => break,
            2 => continue,
            _ => s += x,
        }
        s = s.sqrt() * 2.0;
    }
    s
}

#[differentiate]
fn nested_else_if_exits(x: f64) -> f64 {
    let mut s = x;
    for i in 0..10 {
        if i == 2 {
            continue;
        } else if s > 4.0 {
            break;
        } else if i == 7 {
            return s * 100.0;
        } else {
            s *= 1.4;
        }
        s += 0.01;
    }
    s
}

#[differentiate]
fn exit_in_block_stmt(x: f64) -> f64 {
    let mut s = x;
    for i in 0..10 {
        {
            let t = s * 1.2;
            if t > 3.0 {
                break;
            }
            s = t;
        }
        s += 0.05;
    }
    s
}

#[differentiate]
fn loop_tail_if(x: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        if i % 2 == 0 {
            s *= x
        } else {
            s += x
        }
    }
    s
}

#[differentiate]
fn loop_tail_match(x: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        match i {
            0 | 2 => s *= x,
            _ => s += x,
        }
    }
    s
}

#[differentiate]
fn uncond_break(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        s *= x + i as f64;
        break;
    }
    s
}

#[differentiate]
fn uncond_continue(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        s *= x;
        continue;
    }
    s
}

#[differentiate]
fn deep_nest(x: f64, n: usize) -> f64 {
    let mut s = x;
    if x > 0.0 {
        for i in 0..n {
            if i % 2 == 0 {
                let mut j = 0;
                while j < i {
                    if s > 3.0 {
                        s = s * 0.5;
                    } else {
                        s = s * x + 0.1;
                    }
                    j += 1;
                }
            } else {
                s += x;
            }
        }
    }
    s
}

#[differentiate]
fn loop_in_loop_in_if_in_loop(x: f64) -> f64 {
    let mut s = x;
    for a in 0..3 {
        if a != 1 {
            for b in 0..2 {
                let mut k = 0;
                loop {
                    k += 1;
                    s = s * 1.1 + 0.01 * (a + b) as f64;
                    if k >= 2 {
                        break;
                    }
                }
            }
        } else {
            s = s.sqrt();
        }
    }
    s
}

#[test]
fn exits_in_loops() {
    for x in [0.3, 0.7] {
        probe!(p => break_nested_if, break_nested_if_grad, break_nested_if_vjp, [p[0]], [x], [x]);
    }
    for x in [0.7, -0.7] {
        probe!(p => loops_in_if, loops_in_if_grad, loops_in_if_vjp, [p[0], 4], [x], [x]);
        probe!(p => deep_nest, deep_nest_grad, deep_nest_vjp, [p[0], 6], [x], [x]);
    }
    for x in [0.7, 1.7] {
        probe!(p => while_active, while_active_grad, while_active_vjp, [p[0]], [x], [x]);
    }
    probe!(p => while_counter, while_counter_grad, while_counter_vjp, [p[0]], [x], [0.7]);
    probe!(p => while_break_cont, while_break_cont_grad, while_break_cont_vjp, [p[0]], [x], [0.7]);
    probe!(p => loop_break_top, loop_break_top_grad, loop_break_top_vjp, [p[0]], [x], [0.7]);
    for x in [0.7, 3.1] {
        probe!(p => match_break, match_break_grad, match_break_vjp, [p[0]], [x], [x]);
    }
    for x in [0.3, 0.7, 2.4, 0.01] {
        probe!(p => nested_else_if_exits, nested_else_if_exits_grad, nested_else_if_exits_vjp, [p[0]], [x], [x]);
        probe!(p => exit_in_block_stmt, exit_in_block_stmt_grad, exit_in_block_stmt_vjp, [p[0]], [x], [x]);
    }
    probe!(p => loop_tail_if, loop_tail_if_grad, loop_tail_if_vjp, [p[0]], [x], [0.7]);
    probe!(p => loop_tail_match, loop_tail_match_grad, loop_tail_match_vjp, [p[0]], [x], [0.7]);
    probe!(p => uncond_break, uncond_break_grad, uncond_break_vjp, [p[0]], [x], [0.7]);
    probe!(p => uncond_continue, uncond_continue_grad, uncond_continue_vjp, [p[0]], [x], [0.7]);
    probe!(p => loop_in_loop_in_if_in_loop, loop_in_loop_in_if_in_loop_grad, loop_in_loop_in_if_in_loop_vjp, [p[0]], [x], [0.7]);
}

// ---- return from loops, nested loops, matches and nested ifs -----------------------------

#[differentiate]
fn ret_inner(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        for j in 0..5 {
            s = s * 1.2;
            if s > 4.0 {
                return s * 2.0 + (i * j) as f64;
            }
        }
        s += 0.1;
    }
    s
}

#[differentiate]
fn ret_outer(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        for j in 0..3 {
            s = s * 1.2;
        }
        if s > 4.0 {
            return s * s;
        }
        s += 0.1;
    }
    -s
}

#[differentiate]
fn ret_nested_ifs(x: f64, y: f64) -> f64 {
    let a = x * y;
    if x > 0.0 {
        if y > 1.0 {
            return a * 2.0;
        }
        let b = a + 1.0;
        if b > 3.0 {
            return b * b;
        }
    }
    a.sin()
}

#[differentiate]
fn ret_in_while(x: f64) -> f64 {
    let mut s = x;
    while s < 100.0 {
        s = s * 1.5 + x;
        if s > 20.0 {
            return s.ln();
        }
    }
    s
}

#[differentiate]
fn ret_loop_in_branch(x: f64) -> f64 {
    let mut s = x;
    if x > 0.0 {
        for i in 0..10 {
            s = s * 1.5;
            if s > 3.0 {
                return s * x;
            }
        }
        s = s + 1.0;
    }
    s * s
}

#[differentiate]
fn ret_in_match(x: f64) -> f64 {
    let mut s = x;
    for i in 0..10 {
        s = s * 1.3;
        match i {
            3 if s > 2.0 => return s * 10.0,
            7 => return s.sin(),
            _ => {}
        }
    }
    s
}

#[differentiate]
fn ret_inner_uses_after(x: f64) -> f64 {
    let mut s = x;
    let mut total = 0.0;
    for i in 0..4 {
        let mut t = s;
        for j in 0..4 {
            t = t * 1.2;
            if t > 50.0 {
                return t + total;
            }
        }
        total += t * s;
        s = t;
    }
    total
}

#[differentiate]
fn two_returns_loops(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        s *= 1.5;
        if s > 10.0 {
            return s;
        }
    }
    let mut t = s;
    while t < 100.0 {
        t = t * t + 1.0;
        if t > 50.0 {
            return t * s;
        }
    }
    t - s
}

#[differentiate]
fn uncond_return(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        s *= x;
        return s * 3.0;
    }
    0.0
}

#[differentiate]
fn if_both_return(x: f64) -> f64 {
    if x > 0.0 {
        return x * x;
    } else {
        return -x * 3.0;
    }
}

#[differentiate]
fn while_in_for_ret(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        if i == 1 {
            continue;
        }
        let mut k = 0;
        while k < 3 {
            s = s * 1.3 + 0.1;
            if s > 20.0 {
                return s - (i as f64);
            }
            k += 1;
        }
    }
    s
}

#[differentiate]
fn loop_only_return(a: f64) -> f64 {
    let mut y = a;
    let mut k = 0;
    loop {
        k += 1;
        let next = 0.5 * (y + a / y);
        if k > 100 {
            return next;
        }
        if (next - y).abs() < 1e-12 {
            return next * 1.0;
        }
        y = next;
    }
}

#[differentiate]
fn ret_loop_in_match_arm(x: f64, mode: u8) -> f64 {
    let mut s = x;
    match mode {
        0 => {
            for i in 0..5 {
                s *= 1.5;
                if s > 2.0 {
                    return s * 10.0;
                }
            }
        }
        1 => s = s * s,
        _ => {}
    }
    s + 1.0
}

#[differentiate]
fn ret_loop_in_block(x: f64) -> f64 {
    let mut s = x;
    {
        let k = 1.5;
        for i in 0..5 {
            s *= k;
            if s > 2.0 {
                return s * 10.0;
            }
        }
        s += 0.5;
    }
    s * s
}

#[differentiate]
fn ret_shadow(x: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        let s = s * 3.0;
        if s > 5.0 {
            return s;
        }
    }
    s
}

#[differentiate]
fn ret_shadow_mutate(x: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        s = s * 1.5;
        let mut s = s * 3.0;
        s += 1.0;
        if s > 9.0 {
            return s;
        }
    }
    s
}

#[test]
fn returns() {
    for x in [0.7, 0.01] {
        probe!(p => ret_inner, ret_inner_grad, ret_inner_vjp, [p[0]], [x], [x]);
        probe!(p => ret_outer, ret_outer_grad, ret_outer_vjp, [p[0]], [x], [x]);
    }
    for (x, y) in [(0.5, 2.0), (0.5, 0.5), (2.0, 0.9), (-1.0, 0.3)] {
        probe!(p => ret_nested_ifs, ret_nested_ifs_grad, ret_nested_ifs_vjp, [p[0], p[1]], [x, y], [x, y]);
    }
    for x in [0.7, 150.0] {
        probe!(p => ret_in_while, ret_in_while_grad, ret_in_while_vjp, [p[0]], [x], [x]);
    }
    for x in [0.7, 0.01, -0.7] {
        probe!(p => ret_loop_in_branch, ret_loop_in_branch_grad, ret_loop_in_branch_vjp, [p[0]], [x], [x]);
    }
    for x in [0.6, 1.7, 0.1] {
        probe!(p => ret_in_match, ret_in_match_grad, ret_in_match_vjp, [p[0]], [x], [x]);
        probe!(p => ret_inner_uses_after, ret_inner_uses_after_grad, ret_inner_uses_after_vjp, [p[0]], [x], [x * 3.0]);
    }
    for x in [0.3, 0.7, 2.5, 0.01] {
        probe!(p => two_returns_loops, two_returns_loops_grad, two_returns_loops_vjp, [p[0]], [x], [x]);
    }
    probe!(p => uncond_return, uncond_return_grad, uncond_return_vjp, [p[0]], [x], [0.7]);
    for x in [0.7, -0.7] {
        probe!(p => if_both_return, if_both_return_grad, if_both_return_vjp, [p[0]], [x], [x]);
    }
    for x in [0.7, 1.9, 3.0] {
        probe!(p => while_in_for_ret, while_in_for_ret_grad, while_in_for_ret_vjp, [p[0]], [x], [x]);
    }
    probe!(p => loop_only_return, loop_only_return_grad, loop_only_return_vjp, [p[0]], [a], [2.0]);
    for x in [0.3, 0.7, 1.9] {
        for mode in 0..3 {
            probe!(p => ret_loop_in_match_arm, ret_loop_in_match_arm_grad, ret_loop_in_match_arm_vjp, [p[0], mode], [x], [x]);
        }
        probe!(p => ret_loop_in_block, ret_loop_in_block_grad, ret_loop_in_block_vjp, [p[0]], [x], [x]);
    }
    for x in [0.7, 1.05, 1.3] {
        probe!(p => ret_shadow, ret_shadow_grad, ret_shadow_vjp, [p[0]], [x], [x]);
        probe!(p => ret_shadow_mutate, ret_shadow_mutate_grad, ret_shadow_mutate_vjp, [p[0]], [x], [x]);
    }
}

// ---- shadowing, blocks, `if` and `match` as values inside loops --------------------------

#[differentiate]
fn shadow_branch(x: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        if i % 2 == 0 {
            let s = s * 2.0;
            let x = s + x;
            if x > 0.0 {
                let t = x;
            }
        } else {
            let x = x * 3.0;
            s = s + x;
        }
        {
            let s = 7.0;
        }
        s = s * 0.9;
    }
    s
}

#[differentiate]
fn idx_reuse(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += x * (i as f64);
    }
    let i = x * 2.0;
    let mut t = i;
    for i in 1..4 {
        t = t * (i as f64) + s;
    }
    t + i
}

#[differentiate]
fn shadow_exit_inner(x: f64) -> f64 {
    let mut s = x;
    let mut total = 0.0;
    for i in 0..3 {
        for j in 0..3 {
            s *= 1.1;
            let s = s * 100.0;
            if s > 120.0 {
                break;
            }
            total += s;
        }
        total += s;
    }
    total + s
}

#[differentiate]
fn shadow_in_else_cont(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        if i % 2 == 0 {
            s *= x;
        } else {
            let s = 1.0;
            if s > 0.0 {
                continue;
            }
        }
        s += 0.1;
    }
    s
}

#[differentiate]
fn shadow_then_assign_outer(x: f64) -> f64 {
    let mut s = x;
    let mut t = 0.0;
    for i in 0..3 {
        let u = s;
        let s = u * 2.0;
        t = t + s;
        {
            let t = t * 100.0;
        }
        t = t * x;
    }
    s + t
}

#[differentiate]
fn elem_shadows_param(x: f64, xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs.iter() {
        s += x * x;
    }
    let t: f64 = xs.iter().map(|x| x * 2.0).sum();
    s * x + t * x
}

#[differentiate]
fn block_expr_loop(x: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        let y = {
            let t = s + i as f64;
            t * t
        };
        s = y.sqrt() * 0.5 + s;
    }
    s
}

#[differentiate]
fn block_with_loop(x: f64) -> f64 {
    let mut s = x;
    for k in 0..3 {
        let y = {
            let mut t = 0.0;
            for j in 0..3 {
                t += s * (j as f64 + 1.0);
            }
            t
        };
        s = s * 0.5 + y.sin();
    }
    s
}

#[differentiate]
fn if_value_carried(x: f64) -> f64 {
    let mut a = x;
    let mut b = 1.0;
    for i in 0..5 {
        let v = if a > b {
            a = a * 0.5;
            b += a;
            a
        } else {
            b = b * 0.8;
            a += 1.0;
            b
        };
        a = a + v * 0.1;
    }
    a * b
}

#[differentiate]
fn if_value_loop_branch(x: f64) -> f64 {
    let mut s = x;
    for k in 0..3 {
        let y = if s > 1.0 {
            let mut t = s;
            for j in 0..2 {
                t *= x;
            }
            t
        } else {
            s + 1.0
        };
        s = y * 0.7;
    }
    s
}

#[differentiate]
fn merge_recompute(x: f64) -> f64 {
    let mut p = 1.0;
    let mut s = x;
    for i in 0..5 {
        let m = if s > 1.0 { s * 0.5 } else { s * 3.0 + x };
        p = p * m;
        s = s + 0.3;
    }
    p
}

#[differentiate]
fn merge_with_loop(x: f64) -> f64 {
    let mut p = 1.0;
    let mut s = x;
    for i in 0..4 {
        let m = if s > 1.0 {
            let mut t = s;
            for j in 0..i {
                t = t * 0.9 + x;
            }
            t
        } else {
            s * 3.0
        };
        p = p * m;
        s = s + 0.3;
    }
    p
}

#[differentiate]
fn assign_if_value(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        s = if i % 2 == 0 { s * x } else { s + 1.0 };
        s += if s > 2.0 { s.sin() } else { 0.5 * s };
    }
    s
}

#[differentiate]
fn match_value_loop(x: f64) -> f64 {
    let mut s = x;
    for i in 0..6 {
        let m = match i % 3 {
            0 => s * x,
            1 => s.cos(),
            _ => {
                let q = s + x;
                q * q
            }
        };
        s = m * 0.5 + s * 0.1;
    }
    s
}

#[differentiate]
fn odd_conditions(x: f64) -> f64 {
    let mut s = x;
    for i in 0..5 {
        if !(s > 1.0) {
            s = s * 1.7;
        }
        if {
            let t = s * 2.0;
            t > 3.0
        } {
            s = s - 0.3 * x;
        }
        if (if i % 2 == 0 { s } else { -s }) > 0.5 {
            s = s + x * x;
        }
        s = (if s > 2.0 { s * 0.5 } else { s }).sin() + s;
    }
    s
}

#[differentiate]
fn tuple_match(x: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        for j in 0..3 {
            match (i % 2, j) {
                (0, 1) | (1, 2) => s = s * 1.2,
                (_, 0) if s > 1.0 => s = s.sqrt(),
                _ => s += x * 0.1,
            }
        }
    }
    s
}

#[differentiate]
fn range_pat(x: f64, n: i32) -> f64 {
    let mut s = x;
    for k in 0..n {
        let v = match k {
            0..=2 => s * x,
            3 | 5 => s.cos(),
            i32::MIN..=-1 => 0.0,
            _ => s * 0.5,
        };
        s = v + s;
    }
    s
}

#[differentiate]
fn char_str_match(x: f64, c: char, name: &str) -> f64 {
    let mut s = x;
    for i in 0..3 {
        match c {
            'a'..='m' => s *= 1.5,
            _ => s += 1.0,
        }
        match name {
            "sq" => s = s * s,
            _ => {}
        }
    }
    s
}

#[differentiate]
fn partial_cmp_match(x: f64, y: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        match s.partial_cmp(&y) {
            Some(Ordering::Less) => s = s * 2.0,
            Some(Ordering::Greater) => s = s * 0.7 + y,
            _ => s = s + 1.0,
        }
    }
    s
}

#[differentiate]
fn assert_versions(x: f64) -> f64 {
    let mut s = x;
    s = s * 10.0;
    assert!(s > 5.0, "s = {s}");
    for i in 0..3 {
        s = s + 100.0;
        assert!(s > 100.0, "loop s = {}", s);
        let s = -1.0;
        assert_eq!(s, -1.0);
        if i == 1 {
            let t = s * 2.0;
            assert!(t < 0.0);
        }
    }
    assert!(s > 300.0, "after {s}");
    {
        let s = 3.0;
        assert_eq!(s, 3.0);
    }
    assert!(s > 300.0);
    let mut a = [0.0; 2];
    a[0] = s;
    assert!(a[0] > 300.0);
    debug_assert_ne!(a[1], 1.0);
    s
}

#[differentiate]
fn print_in_loop(x: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        println!("i={i} s={s}");
        assert!(s.is_finite(), "s = {}", s);
        s = s * s.cos();
        eprintln!("{:?}", (i, s));
    }
    s
}

#[test]
fn shadowing_and_values() {
    probe!(p => shadow_branch, shadow_branch_grad, shadow_branch_vjp, [p[0]], [x], [0.7]);
    probe!(p => idx_reuse, idx_reuse_grad, idx_reuse_vjp, [p[0]], [x], [0.7]);
    for x in [0.7, 1.05, 1.3] {
        probe!(p => shadow_exit_inner, shadow_exit_inner_grad, shadow_exit_inner_vjp, [p[0]], [x], [x]);
        probe!(p => shadow_in_else_cont, shadow_in_else_cont_grad, shadow_in_else_cont_vjp, [p[0]], [x], [x]);
        probe!(p => shadow_then_assign_outer, shadow_then_assign_outer_grad, shadow_then_assign_outer_vjp, [p[0]], [x], [x]);
    }
    probe!(p => elem_shadows_param, elem_shadows_param_grad, elem_shadows_param_vjp, [p[0], &p[1..]], [x, xs], [0.7, 0.3, 0.8, 1.1]);
    probe!(p => block_expr_loop, block_expr_loop_grad, block_expr_loop_vjp, [p[0]], [x], [0.7]);
    probe!(p => block_with_loop, block_with_loop_grad, block_with_loop_vjp, [p[0]], [x], [0.3]);
    for x in [0.7, 2.7] {
        probe!(p => if_value_carried, if_value_carried_grad, if_value_carried_vjp, [p[0]], [x], [x]);
    }
    for x in [0.7, 1.7] {
        probe!(p => if_value_loop_branch, if_value_loop_branch_grad, if_value_loop_branch_vjp, [p[0]], [x], [x]);
    }
    probe!(p => merge_recompute, merge_recompute_grad, merge_recompute_vjp, [p[0]], [x], [0.75]);
    for x in [0.75, 1.7] {
        probe!(p => merge_with_loop, merge_with_loop_grad, merge_with_loop_vjp, [p[0]], [x], [x]);
    }
    probe!(p => assign_if_value, assign_if_value_grad, assign_if_value_vjp, [p[0]], [x], [0.7]);
    probe!(p => match_value_loop, match_value_loop_grad, match_value_loop_vjp, [p[0]], [x], [0.7]);
    for x in [0.3, 0.7, 1.2] {
        probe!(p => odd_conditions, odd_conditions_grad, odd_conditions_vjp, [p[0]], [x], [x]);
    }
    for x in [0.7, 1.7] {
        probe!(p => tuple_match, tuple_match_grad, tuple_match_vjp, [p[0]], [x], [x]);
    }
    probe!(p => range_pat, range_pat_grad, range_pat_vjp, [p[0], 7], [x], [0.7]);
    for c in ['b', 'z'] {
        for name in ["sq", "no"] {
            probe!(p => char_str_match, char_str_match_grad, char_str_match_vjp, [p[0], c, name], [x], [0.7]);
        }
    }
    probe!(p => partial_cmp_match, partial_cmp_match_grad, partial_cmp_match_vjp, [p[0], p[1]], [x, y], [0.7, 1.1]);
    probe!(p => assert_versions, assert_versions_grad, assert_versions_vjp, [p[0]], [x], [0.7]);
    probe!(p => print_in_loop, print_in_loop_grad, print_in_loop_vjp, [p[0]], [x], [0.7]);
}

// ---- local arrays written in place -------------------------------------------------------

#[differentiate]
fn arr_in_loop(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let mut a = [0.0; 3];
        a[0] = xs[i];
        a[1] = a[0] * a[0];
        a[2] = a[1] * xs[i] + a[0];
        s += a[2] * a[1];
    }
    s
}

#[differentiate]
fn mem_across(xs: &[f64]) -> f64 {
    let mut a = [1.0; 4];
    for k in 0..3 {
        for i in 0..4 {
            a[i] = a[i] * xs[i] + a[(i + 1) % 4];
        }
    }
    a[0] * a[1] + a[2] * a[3]
}

#[differentiate]
fn compound_mem(x: f64, y: f64) -> f64 {
    let mut a = [0.0; 3];
    a[0] = x;
    a[1] = y;
    a[2] = 1.0;
    for i in 0..3 {
        a[i] *= x;
        a[(i + 1) % 3] /= y;
        a[(i + 2) % 3] -= x * y;
        a[i] += a[(i + 1) % 3];
    }
    a[0] + a[1] * a[2]
}

#[differentiate]
fn mem_2d(x: f64, y: f64) -> f64 {
    let mut m = [[0.0; 3]; 2];
    for i in 0..2 {
        for j in 0..3 {
            m[i][j] = x * (i as f64) + y * (j as f64) + 1.0;
            m[i][j] *= m[i][j];
        }
    }
    m[1][2] * m[0][1] + m[1][0]
}

#[differentiate]
fn mem_2d_rec(x: f64, y: f64) -> f64 {
    let mut m = [[0.0; 3]; 3];
    for j in 0..3 {
        m[0][j] = y + j as f64;
    }
    for i in 1..3 {
        for j in 0..3 {
            m[i][j] += m[i - 1][j] * x + m[i - 1][(j + 1) % 3] * y;
        }
    }
    m[2][0] + m[2][1] * m[2][2]
}

#[differentiate]
fn arr3d(x: f64, y: f64) -> f64 {
    let mut a = [[[0.0; 2]; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            for k in 0..2 {
                a[i][j][k] = x * (i as f64) + y * (j as f64) + (k as f64);
                a[i][j][k] -= a[0][0][0] * y;
            }
        }
    }
    a[1][1][1] * a[1][0][1] + a[0][1][0]
}

#[differentiate]
fn cumprod(xs: &[f64]) -> f64 {
    let mut c = vec![0.0; xs.len()];
    let mut p = 1.0;
    for i in 0..xs.len() {
        p *= xs[i];
        c[i] = p;
    }
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += c[i] * c[i];
    }
    s
}

#[differentiate]
fn mem_in_if(xs: &[f64; 4], x: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i];
    }
    for k in 0..3 {
        for i in 0..4 {
            if a[i] > 0.5 {
                a[i] *= x;
            } else {
                a[i] += a[(i + 1) % 4] * x;
            }
        }
    }
    a[0] + a[1] * a[2] - a[3]
}

#[differentiate]
fn recurrence(xs: &[f64], x: f64) -> f64 {
    let n = xs.len();
    let mut a = vec![0.0; n];
    a[0] = xs[0];
    for i in 1..n {
        a[i] = a[i - 1] * x + xs[i];
    }
    a[n - 1]
}

#[differentiate]
fn mem_inner_outer(x: f64) -> f64 {
    let mut s = 0.0;
    for k in 0..3 {
        let mut a = [0.0; 3];
        for i in 0..3 {
            a[i] = x * (i + k) as f64 + s;
            if i > 0 {
                a[i] *= a[i - 1];
            }
        }
        s = s * 0.5 + a[2] - a[0] * a[1];
    }
    s
}

#[differentiate]
fn mem_carried_idx(x: f64) -> f64 {
    let mut a = [0.0; 6];
    let mut k = 0;
    let mut s = x;
    while k < 6 {
        s = s * 1.1 + 0.1;
        a[k] = s * s;
        k += 1;
    }
    let mut t = 0.0;
    for i in 0..6 {
        t += a[i] * (i as f64);
    }
    t
}

#[differentiate]
fn vec2d(x: f64, n: usize) -> f64 {
    let mut m = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            m[i][j] = x * (i + 2 * j) as f64;
            if i > 0 {
                m[i][j] *= m[i - 1][j];
            }
        }
    }
    m[n - 1][n - 1] + m[1][0]
}

#[differentiate]
fn mat_param(m: &[[f64; 2]; 2], v: [f64; 2]) -> f64 {
    let mut s = 0.0;
    let mut w = [0.0; 2];
    for i in 0..2 {
        for j in 0..2 {
            w[i] += m[i][j] * v[j];
        }
    }
    for i in 0..2 {
        s += w[i] * w[i];
    }
    s
}

#[differentiate]
fn heat(u0: &[f64; 6], c: f64) -> f64 {
    let mut u = [0.0; 6];
    let mut un = [0.0; 6];
    for i in 0..6 {
        u[i] = u0[i];
    }
    for t in 0..5 {
        for i in 1..5 {
            un[i] = u[i] + c * (u[i + 1] - 2.0 * u[i] + u[i - 1]);
        }
        for i in 1..5 {
            u[i] = un[i];
        }
    }
    let mut e = 0.0;
    for i in 0..6 {
        e += u[i] * u[i];
    }
    e
}

#[differentiate]
fn scalar_then_array(x: f64) -> f64 {
    let acc = x * x;
    let t = {
        let mut acc = [0.0; 1];
        acc[0] = x;
        acc[0] * 3.0
    };
    acc * t
}

#[differentiate]
fn strided_idx(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut j = 0;
    let mut s = 0.0;
    for i in 0..n {
        s = s * 0.5 + xs[j] * xs[i];
        j = (j + 3) % n;
    }
    s
}

#[test]
fn local_arrays() {
    probe!(p => arr_in_loop, arr_in_loop_grad, arr_in_loop_vjp, [&p[..]], [xs], [0.7, 1.3, -0.4]);
    probe!(p => mem_across, mem_across_grad, mem_across_vjp, [&p[..]], [xs], [0.7, 1.3, -0.4, 0.9]);
    probe!(p => compound_mem, compound_mem_grad, compound_mem_vjp, [p[0], p[1]], [x, y], [0.7, 1.3]);
    probe!(p => mem_2d, mem_2d_grad, mem_2d_vjp, [p[0], p[1]], [x, y], [0.7, 1.3]);
    probe!(p => mem_2d_rec, mem_2d_rec_grad, mem_2d_rec_vjp, [p[0], p[1]], [x, y], [0.7, 0.3]);
    probe!(p => arr3d, arr3d_grad, arr3d_vjp, [p[0], p[1]], [x, y], [0.7, 0.4]);
    probe!(p => cumprod, cumprod_grad, cumprod_vjp, [&p[..]], [xs], [0.7, 1.3, -0.4, 0.9]);
    probe!(p => mem_in_if, mem_in_if_grad, mem_in_if_vjp, [&[p[0], p[1], p[2], p[3]], p[4]], [xs, x], [0.7, 0.2, -0.3, 0.9, 0.8]);
    probe!(p => recurrence, recurrence_grad, recurrence_vjp, [&p[1..], p[0]], [x, xs], [0.7, 0.2, -0.3, 0.9, 0.8]);
    probe!(p => mem_inner_outer, mem_inner_outer_grad, mem_inner_outer_vjp, [p[0]], [x], [0.7]);
    probe!(p => mem_carried_idx, mem_carried_idx_grad, mem_carried_idx_vjp, [p[0]], [x], [0.7]);
    probe!(p => vec2d, vec2d_grad, vec2d_vjp, [p[0], 3], [x], [0.7]);
    probe!(p => mat_param, mat_param_grad, mat_param_vjp, [&[[p[0], p[1]], [p[2], p[3]]], [p[4], p[5]]], [m, v], [0.7, 0.3, 0.8, 1.1, -0.4, 0.6]);
    probe!(p => heat, heat_grad, heat_vjp, [&[p[0], p[1], p[2], p[3], p[4], p[5]], p[6]], [u0, c], [0.1, 0.5, 0.9, 0.3, 0.7, 0.2, 0.2]);
    probe!(p => scalar_then_array, scalar_then_array_grad, scalar_then_array_vjp, [p[0]], [x], [0.7]);
    probe!(p => strided_idx, strided_idx_grad, strided_idx_vjp, [&p[..]], [xs], [0.7, 0.3, 0.8, 1.1, -0.2]);
}

// ---- iteration forms: ranges with adaptors, slices, zip, enumerate, reductions -----------

#[differentiate]
fn rev_step(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    let n = xs.len();
    for i in (0..n).rev().step_by(3) {
        s = s * xs[i] + xs[i] * (i as f64);
    }
    s
}

#[differentiate]
fn step_rev(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    let n = xs.len();
    for i in (0..n).step_by(3).rev() {
        s = s * xs[i] + xs[i] * (i as f64);
    }
    s
}

#[differentiate]
fn incl_empty(x: f64, a: i32, b: i32) -> f64 {
    let mut s = x;
    for i in a..=b {
        s = s * x + i as f64;
    }
    s
}

#[differentiate]
fn rev_empty(x: f64, a: usize, b: usize) -> f64 {
    let mut s = x;
    for i in (a..b).rev() {
        s = s * x + i as f64;
    }
    s
}

#[differentiate]
fn step_var(x: f64, n: usize) -> f64 {
    let mut s = x;
    let mut st = 1;
    for k in 0..3 {
        for i in (0..n).step_by(st) {
            s = s * 0.9 + x * (i as f64);
        }
        st += 1;
    }
    s
}

#[differentiate]
fn i32_neg_ranges(x: f64, a: i32) -> f64 {
    let mut s = x;
    for i in (-a..a).step_by(2) {
        s = s * x + i as f64;
    }
    for i in (a - 5..=-a).rev() {
        s = s + x * i as f64;
        if s > 1e6 {
            break;
        }
    }
    s
}

#[differentiate]
fn rev_break_inclusive(xs: &[f64]) -> f64 {
    let mut s = 1.0;
    for i in (1..=xs.len() - 1).rev() {
        s = s * xs[i] + 0.1;
        if s < 0.01 {
            break;
        }
    }
    s
}

#[differentiate]
fn empty_slice(xs: &[f64], y: f64) -> f64 {
    let mut s = y;
    for x in xs {
        s *= x;
    }
    let t: f64 = xs.iter().sum();
    s + t * y
}

#[differentiate]
fn empty_body(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {}
    for i in 0..n {
        println!("{i}");
    }
    s * s
}

#[differentiate]
fn enum_idx(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, x) in xs.iter().enumerate() {
        s += x * (i as f64) + s * 0.1 * x;
    }
    s
}

#[differentiate]
fn zip_local(xs: &[f64; 3], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = y * (i as f64 + 1.0);
    }
    let mut s = 0.0;
    for (u, v) in xs.iter().zip(a.iter()) {
        s += u * v;
    }
    s
}

#[differentiate]
fn nested_zip_enum(xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, (a, b)) in xs.iter().zip(ys.iter()).enumerate() {
        s = s * 0.5 + a * b * (i as f64 + 1.0);
    }
    s
}

#[differentiate]
fn map_sum_in_loop(xs: &[f64], y: f64) -> f64 {
    let mut t = y;
    for _ in 0..3 {
        let s: f64 = xs.iter().map(|v| v * t).sum();
        t = s.sin() + t;
    }
    t
}

#[differentiate]
fn map_closure_forms(xs: &[f64], ys: &[f64], k: f64) -> f64 {
    let a: f64 = xs.iter().map(|&v| v * k).sum();
    let b: f64 = xs.iter().zip(ys.iter()).map(|(u, v)| u * v).sum();
    let c: f64 = xs.iter().enumerate().map(|(i, v)| v * (i as f64)).sum();
    let d: f64 = ys
        .iter()
        .map(|v| {
            let w = v * k;
            w * w
        })
        .sum();
    let e: f64 = xs.iter().product();
    a + b + c + d + e
}

#[differentiate]
fn variance(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n
}

#[differentiate]
fn reduction_method(xs: &[f64], x: f64) -> f64 {
    let a = xs.iter().map(|v| v * x).sum::<f64>().sqrt();
    let b = xs.iter().copied().map(|v| v.exp()).sum::<f64>().ln();
    a * b
}

#[differentiate]
fn reduction_tail(xs: &[f64], x: f64) -> f64 {
    xs.iter().map(|v| (v * x).sin()).sum::<f64>()
}

#[differentiate]
fn reduction_in_exiting(xs: &[f64], x: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        if s > 5.0 {
            break;
        }
        let t: f64 = xs.iter().map(|v| v * s).sum();
        s = s + t * 0.1;
    }
    s
}

#[differentiate]
fn reduction_on_local(xs: &[f64; 3], x: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * x;
    }
    let s: f64 = a.iter().map(|v| v * v).sum();
    let p: f64 = a.iter().product();
    s + p
}

#[differentiate]
fn reduction_if_cond(xs: &[f64], x: f64) -> f64 {
    if xs.iter().map(|v| v * x).sum::<f64>() > 1.0 {
        x * 2.0
    } else {
        x * x
    }
}

#[differentiate]
fn nested_reduction(xs: &[f64], ys: &[f64]) -> f64 {
    xs.iter()
        .map(|u| ys.iter().map(|v| (u * v).sin()).sum::<f64>())
        .sum::<f64>()
}

#[differentiate]
fn reduction_containers(a: Vec<f64>, b: &Vec<f64>, c: [f64; 2], d: &[f64; 2]) -> f64 {
    let s1: f64 = a.iter().map(|v| v * v).sum();
    let s2 = b.iter().sum::<f64>();
    let s3: f64 = c.iter().product();
    let s4: f64 = d.iter().zip(c.iter()).map(|(p, q)| p * q).sum();
    let s5: f32 = [1.0f32, 2.0].iter().sum();
    s1 * s2 + s3 * s4 + s5 as f64
}

#[differentiate]
fn ref_param(x: &f64, ys: &Vec<f64>, v: Vec<f64>) -> f64 {
    let mut s = *x;
    for y in ys.iter() {
        s *= x;
        s += y * s;
    }
    for w in v.iter() {
        s = s * w;
    }
    s + v[0] * x
}

#[differentiate]
fn maxmin_chain(xs: &[f64]) -> f64 {
    let mut hi = -1e9_f64;
    let mut lo: f64 = 1e9;
    for x in xs.iter() {
        hi = hi.max(*x);
        lo = lo.min(x * 2.0);
    }
    hi * lo
}

#[differentiate]
fn softmax_ce(z: &[f64], target: usize) -> f64 {
    let mut m = z[0];
    for v in z.iter() {
        m = m.max(*v);
    }
    let mut s = 0.0;
    for v in z.iter() {
        s += (v - m).exp();
    }
    -(z[target] - m - s.ln())
}

#[test]
fn iteration_forms() {
    for n in [0usize, 1, 2, 3, 4, 7, 8, 10] {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.1 * i as f64).collect();
        probe!(p => rev_step, rev_step_grad, rev_step_vjp, [&p[..]], [xs], x);
        probe!(p => step_rev, step_rev_grad, step_rev_vjp, [&p[..]], [xs], x);
    }
    for (a, b) in [(0, 3), (3, 0), (2, 2), (-2, 1), (5, 4)] {
        probe!(p => incl_empty, incl_empty_grad, incl_empty_vjp, [p[0], a, b], [x], [0.7]);
    }
    for (a, b) in [(0, 3), (3, 0), (2, 2)] {
        probe!(p => rev_empty, rev_empty_grad, rev_empty_vjp, [p[0], a, b], [x], [0.7]);
    }
    probe!(p => step_var, step_var_grad, step_var_vjp, [p[0], 7], [x], [0.7]);
    for a in [3, -2] {
        probe!(p => i32_neg_ranges, i32_neg_ranges_grad, i32_neg_ranges_vjp, [p[0], a], [x], [0.7]);
    }
    probe!(p => rev_break_inclusive, rev_break_inclusive_grad, rev_break_inclusive_vjp, [&p[..]], [xs], [0.7, 0.3, 0.8, 1.1, -0.2]);
    probe!(p => rev_break_inclusive, rev_break_inclusive_grad, rev_break_inclusive_vjp, [&p[..]], [xs], [0.7, 0.05, 0.08, 0.1, 0.2]);
    probe!(p => empty_slice, empty_slice_grad, empty_slice_vjp, [&p[..0], p[0]], [xs, y], [0.7]);
    probe!(p => empty_slice, empty_slice_grad, empty_slice_vjp, [&p[1..], p[0]], [y, xs], [0.7, 1.2, 0.3]);
    probe!(p => empty_body, empty_body_grad, empty_body_vjp, [p[0], 3], [x], [0.7]);
    probe!(p => enum_idx, enum_idx_grad, enum_idx_vjp, [&p[..]], [xs], [0.7, 1.3, -0.4, 0.9]);
    probe!(p => zip_local, zip_local_grad, zip_local_vjp, [&[p[0], p[1], p[2]], p[3]], [xs, y], [0.7, 1.3, -0.4, 0.9]);
    probe!(p => nested_zip_enum, nested_zip_enum_grad, nested_zip_enum_vjp, [&p[..3], &p[3..]], [xs, ys], [0.7, 1.1, 0.3, -0.5, 0.2, 0.9, 1.5]);
    probe!(p => map_sum_in_loop, map_sum_in_loop_grad, map_sum_in_loop_vjp, [&p[..3], p[3]], [xs, y], [0.7, 1.3, -0.4, 0.9]);
    probe!(p => map_closure_forms, map_closure_forms_grad, map_closure_forms_vjp, [&p[..3], &p[3..6], p[6]], [xs, ys, k], [0.7, 1.1, 0.3, -0.5, 0.2, 0.9, 1.5]);
    probe!(p => variance, variance_grad, variance_vjp, [&p[..]], [xs], [0.7, 0.3, 0.8, 1.1]);
    probe!(p => reduction_method, reduction_method_grad, reduction_method_vjp, [&p[1..], p[0]], [x, xs], [0.7, 0.3, 0.8, 1.1]);
    probe!(p => reduction_tail, reduction_tail_grad, reduction_tail_vjp, [&p[1..], p[0]], [x, xs], [0.7, 0.3, 0.8, 1.1]);
    probe!(p => reduction_in_exiting, reduction_in_exiting_grad, reduction_in_exiting_vjp, [&p[1..], p[0]], [x, xs], [0.7, 0.3, 0.8, 1.1]);
    probe!(p => reduction_on_local, reduction_on_local_grad, reduction_on_local_vjp, [&[p[1], p[2], p[3]], p[0]], [x, xs], [0.7, 0.3, 0.8, 1.1]);
    for x in [0.7, 0.3] {
        probe!(p => reduction_if_cond, reduction_if_cond_grad, reduction_if_cond_vjp, [&p[1..], p[0]], [x, xs], [x, 0.3, 0.8, 1.1]);
    }
    probe!(p => nested_reduction, nested_reduction_grad, nested_reduction_vjp, [&p[..2], &p[2..]], [xs, ys], [0.7, 0.2, 1.3, -0.4, 0.9]);
    probe!(p => reduction_containers, reduction_containers_grad, reduction_containers_vjp, [p[0..2].to_vec(), &p[2..4].to_vec(), [p[4], p[5]], &[p[6], p[7]]], [a, b, c, d], [0.7, 0.2, 1.3, -0.4, 0.9, 0.5, 1.1, -0.3]);
    probe!(p => ref_param, ref_param_grad, ref_param_vjp, [&p[0], &p[1..3].to_vec(), p[3..].to_vec()], [x, ys, v], [0.7, 0.2, -0.3, 0.9, 0.8]);
    probe!(p => maxmin_chain, maxmin_chain_grad, maxmin_chain_vjp, [&p[..]], [xs], [0.7, 1.3, -0.4, 0.9]);
    probe!(p => softmax_ce, softmax_ce_grad, softmax_ce_vjp, [&p[..], 1], [z], [0.1, 0.5, 0.9, 0.3]);
}

// ---- numerics in loops, `wrt`, generated names -------------------------------------------

#[differentiate]
fn float_rem(x: f64, y: f64) -> f64 {
    let mut s = x;
    for i in 0..4 {
        s = (s * 1.7 + y) % 2.3;
        s %= 1.9;
    }
    s * y
}

#[differentiate]
fn many_methods(x: f64, y: f64) -> f64 {
    let mut s = x;
    for i in 1..5 {
        s = s.powi(i as i32 % 3 + 1) * 0.5 + s.powf(y) * 0.1;
        s = s.mul_add(y, x).clamp(-3.0, 3.0);
        s = s.atan2(y) + s.hypot(y) + s.log(y + 2.0) + s.abs().sqrt();
        s = s.tanh() + s.exp_m1() * 0.1 + s.ln_1p() + s.cbrt() + s.recip() * 0.01;
    }
    s
}

#[differentiate]
fn f64_paths(x: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        s = f64::sin(s) + f64::max(s, 0.1) * f64::powi(x, 2) + f64::mul_add(s, x, 1.0);
    }
    s
}

#[differentiate]
fn floor_round_fract(x: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        s = s * 1.7 + s.floor() + s.fract() * 2.0 + s.round() * 0.1 + s.signum();
    }
    s
}

#[differentiate]
fn newton_sqrt(a: f64) -> f64 {
    let mut y = a;
    while (y * y - a).abs() > 1e-12 * a {
        y = 0.5 * (y + a / y);
    }
    y
}

#[differentiate]
fn rk4(k: f64, y0: f64) -> f64 {
    let mut y = y0;
    let h = 0.1;
    for _ in 0..10 {
        let k1 = -k * y;
        let k2 = -k * (y + 0.5 * h * k1);
        let k3 = -k * (y + 0.5 * h * k2);
        let k4 = -k * (y + h * k3);
        y += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    }
    y
}

#[differentiate(wrt(x))]
fn wrt_loop(x: f64, y: f64) -> f64 {
    let mut p = y;
    let mut s = x;
    for i in 0..4 {
        p = p * 1.5 + y;
        s = s * p + x * y;
        if s > 100.0 {
            break;
        }
    }
    s
}

#[differentiate]
fn names_collide(x: f64, seed: f64) -> f64 {
    let d_x = x * seed;
    let saved_s = 2.0;
    let mut s = d_x;
    let mut step = 0;
    let k = 3;
    for t0 in 0..k {
        s = s * x + saved_s;
        step += 1;
    }
    let iterations = step as f64;
    let returned = s * iterations;
    let d_seed = returned;
    d_seed + seed
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Fast,
    Slow,
    Other(u8),
}

fn mode_of(n: usize) -> Mode {
    if n > 2 {
        Mode::Fast
    } else if n == 1 {
        Mode::Other(3)
    } else {
        Mode::Slow
    }
}

#[differentiate]
fn enum_local(x: f64, n: usize) -> f64 {
    let m = mode_of(n);
    let mut s = x;
    for i in 0..3 {
        match m {
            Mode::Fast => s *= 2.0,
            Mode::Slow => s = s * s,
            Mode::Other(3) => s += x,
            Mode::Other(_) => s -= x,
        }
    }
    let m2 = if n > 1 { Mode::Fast } else { Mode::Slow };
    if m2 == Mode::Fast {
        s * x
    } else {
        s
    }
}

#[test]
fn numerics_wrt_and_names() {
    probe!(p => float_rem, float_rem_grad, float_rem_vjp, [p[0], p[1]], [x, y], [0.7, 0.3]);
    probe!(p => many_methods, many_methods_grad, many_methods_vjp, [p[0], p[1]], [x, y], [0.7, 0.4]);
    probe!(p => f64_paths, f64_paths_grad, f64_paths_vjp, [p[0]], [x], [0.7]);
    probe!(p => floor_round_fract, floor_round_fract_grad, floor_round_fract_vjp, [p[0]], [x], [0.33]);
    probe!(p => newton_sqrt, newton_sqrt_grad, newton_sqrt_vjp, [p[0]], [a], [2.0]);
    probe!(p => rk4, rk4_grad, rk4_vjp, [p[0], p[1]], [k, y0], [0.7, 1.3]);
    probe!(p => names_collide, names_collide_grad, names_collide_vjp, [p[0], p[1]], [x, seed], [0.7, 0.3]);
    for n in 0..4 {
        probe!(p => enum_local, enum_local_grad, enum_local_vjp, [p[0], n], [x], [0.7]);
    }
    // Only `x` is differentiated: `y` feeds a carried variable that is data.
    let (v, g) = wrt_loop_grad(0.7, 1.1);
    assert_eq!(v, wrt_loop(0.7, 1.1));
    let fd = central_difference(|p| wrt_loop(p[0], 1.1), &[0.7]);
    assert!(
        (g.x - fd[0]).abs() < 1e-6 * fd[0].abs().max(1.0),
        "{} {}",
        g.x,
        fd[0]
    );
}

// ---- f32 and mixed precision ----------------------------------------------------------

#[differentiate]
fn f32_all(x: f32, ys: &[f32]) -> f32 {
    let mut s = x;
    for (i, y) in ys.iter().enumerate() {
        s = s * y + (i as f32) * x.sin();
        if s > 10.0 {
            break;
        }
    }
    let t: f32 = ys.iter().map(|v| v * v).sum();
    s * t
}

#[differentiate]
fn f32_ret_loop(x: f32) -> f32 {
    let mut s = x;
    for i in 0..10 {
        s = s * 1.5;
        if s > 2.0 {
            return s * x;
        }
    }
    s
}

#[differentiate]
fn f32_while_arr(x: f32, ys: &[f32; 3]) -> f32 {
    let mut a = [0.0f32; 3];
    let mut k = 0;
    while k < 3 {
        a[k] = ys[k] * x;
        k += 1;
    }
    let m = a.iter().map(|v| v * v).sum::<f32>();
    m.sqrt()
}

#[differentiate]
fn mixed_prec(xs: &[f64], y: f64) -> f64 {
    let mut s: f32 = 0.0;
    for v in xs {
        s += (*v as f32) * (y as f32);
    }
    let t = s as f64;
    t * y
}

#[differentiate]
fn casts_roundtrip(x: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        let a = s as f32;
        let b = (a * 2.0f32).sin() as f64;
        s = b + s * (i as f64);
    }
    s
}

#[differentiate]
fn ret_f32(x: f64, y: f32) -> f32 {
    let mut s = x;
    for i in 0..3 {
        s = s * (y as f64) + 0.1;
    }
    (s as f32) * y
}

#[differentiate]
fn ret_f64_from_f32(x: f32) -> f64 {
    let mut s = x;
    for i in 0..3 {
        s = s * x;
    }
    s as f64
}

/// A central difference of an `f32` function, in `f64` arithmetic around it.
fn fd32(f: impl Fn(f32) -> f32, x: f32) -> f64 {
    let h = 1e-3_f32;
    (f64::from(f(x + h)) - f64::from(f(x - h))) / (2.0 * f64::from(h))
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn single_precision() {
    let ys = [0.9_f32, 1.1, 0.8];
    let (v, g) = f32_all_grad(0.7, &ys);
    assert_eq!(v, f32_all(0.7, &ys));
    assert!(close(f64::from(g.x), fd32(|x| f32_all(x, &ys), 0.7), 1e-2));
    for i in 0..3 {
        let at = |y: f32| {
            let mut p = ys;
            p[i] = y;
            f32_all(0.7, &p)
        };
        assert!(close(f64::from(g.ys[i]), fd32(at, ys[i]), 1e-2));
    }

    // s = 0.7·1.5^k first exceeds 2 at k = 3: the result is x²·1.5³.
    let (v, g) = f32_ret_loop_grad(0.7);
    assert_eq!(v, f32_ret_loop(0.7));
    assert!(close(f64::from(g.x), 2.0 * 0.7 * 3.375, 1e-5), "{}", g.x);

    let ys = [0.5_f32, 1.0, 2.0];
    let (v, g) = f32_while_arr_grad(0.7, &ys);
    assert_eq!(v, f32_while_arr(0.7, &ys));
    assert!(close(f64::from(g.x), 5.25_f64.sqrt(), 1e-5), "{}", g.x);

    let xs = [0.5, 1.5, -0.25];
    let (v, g) = mixed_prec_grad(&xs, 0.7);
    assert_eq!(v, mixed_prec(&xs, 0.7));
    let h = 1e-3;
    let fd = (mixed_prec(&xs, 0.7 + h) - mixed_prec(&xs, 0.7 - h)) / (2.0 * h);
    assert!(close(g.y, fd, 1e-3), "{} {fd}", g.y);

    let (v, g) = casts_roundtrip_grad(0.7);
    assert_eq!(v, casts_roundtrip(0.7));
    let fd = (casts_roundtrip(0.7 + h) - casts_roundtrip(0.7 - h)) / (2.0 * h);
    assert!(close(g.x, fd, 1e-3), "{} {fd}", g.x);

    // f = y·(((0.7y + 0.1)y + 0.1)y + 0.1): ∂f/∂x = y⁴.
    let (v, g) = ret_f32_grad(0.7, 1.3);
    assert_eq!(v, ret_f32(0.7, 1.3));
    assert!(close(g.x, 1.3_f64.powi(4), 1e-5), "{}", g.x);
    assert!(close(f64::from(g.y), fd32(|y| ret_f32(0.7, y), 1.3), 1e-2));

    let (v, g) = ret_f64_from_f32_grad(0.7);
    assert_eq!(v, ret_f64_from_f32(0.7));
    assert!(
        close(f64::from(g.x), 4.0 * 0.7_f64.powi(3), 1e-5),
        "{}",
        g.x
    );
}
