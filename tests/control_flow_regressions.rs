//! Regressions found by review of the control-flow lowering, each once a wrong value or a
//! compile error: shadowing a carried variable inside a loop body, a `let` in a block
//! statement leaking into the code after it, an array name reused for a scalar, `match` as
//! a statement, `u64`/`i64` ranges with `break` or `.step_by(k)`, and a `loop` whose only
//! exit is `return` as the function's tail.
#![allow(dead_code, unused)]
// The code is written the way the bugs were found, not the way clippy would write it.
#![allow(clippy::needless_range_loop, clippy::assign_op_pattern)]
use tapeless::differentiate;

// B1: a `let` in a loop body shadowing a carried variable: the loop carries the shadow.
#[differentiate]
fn update_then_shadow(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut total = 0.0;
    for i in 0..xs.len() {
        s += xs[i];
        let s = s * 2.0;
        total += s;
    }
    total + s
}

#[test]
fn b1_update_then_shadow() {
    let xs = [1.0, 2.0, 3.0];
    let (v, g) = update_then_shadow_grad(&xs);
    assert_eq!(v, update_then_shadow(&xs), "value"); // 54 vs 26
    assert_eq!(g.xs, vec![7.0, 5.0, 3.0]); // gets [22, 10, 4]
}

#[differentiate]
fn shadow_then_continue(x: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        s += 1.0;
        if i == 1 {
            let s = 100.0;
            continue;
        }
    }
    s
}

#[test]
fn b1_shadow_then_continue() {
    let (v, g) = shadow_then_continue_grad(0.7);
    assert_eq!(v, shadow_then_continue(0.7), "value"); // 101 vs 3.7
    assert_eq!(g.x, 1.0); // gets -0.0
}

// B2: a `let` inside a block statement leaks into the statements after the block.
#[differentiate]
fn block_leak(x: f64) -> f64 {
    let y = x * 2.0;
    {
        let y = 5.0;
    }
    y * x
}

#[test]
fn b2_block_leak() {
    let (v, g) = block_leak_grad(0.7);
    assert_eq!(v, block_leak(0.7), "value"); // 3.5 vs 0.98
    assert_eq!(g.x, 2.8); // gets 5.0
}

// B2': the same through the branch of an `if` that has an exit.
#[differentiate]
fn branch_leak(x: f64) -> f64 {
    let y = x * 2.0;
    if x > 100.0 {
        return 0.0;
    } else {
        let y = 5.0;
    }
    y * x
}

#[test]
fn b2_branch_leak() {
    let (v, _) = branch_leak_grad(0.7);
    assert_eq!(v, branch_leak(0.7), "value"); // 3.5 vs 0.98
}
// B3: a name written by index anywhere is "memory" everywhere: a scalar with the same name
// elsewhere is not carried by loops -> E0425 "cannot find value `acc_2`".
#[tapeless::differentiate]
fn memory_name_reuse(x: f64) -> f64 {
    let t = {
        let mut acc = [0.0; 1];
        acc[0] = x;
        acc[0]
    };
    let mut acc = 0.0;
    for _ in 0..2 {
        acc += t;
    }
    acc
}
// and without a loop: two false errors ("`acc` is written by index elsewhere, so it cannot
// also be reassigned whole"; "a copy of an array written by index is not supported")
#[tapeless::differentiate]
fn memory_name_reassign(x: f64) -> f64 {
    let t = {
        let mut acc = [0.0; 1];
        acc[0] = x;
        acc[0]
    };
    let mut acc = t;
    acc = acc * x;
    acc
}
// B4: a `match` used as a statement (no exit in it) never compiles.
#[tapeless::differentiate]
fn match_stmt_compound(x: f64, flag: bool) -> f64 {
    let mut y = x;
    match flag {
        true => y *= 2.0, // error: a compound assignment can only stand as a statement
        false => y += x,
    }
    y
}
#[tapeless::differentiate]
fn match_stmt_blocks(x: f64, mode: u8) -> f64 {
    let mut y = x;
    match mode {
        0 => {
            y *= 2.0;
        }
        _ => {
            y += x;
        }
    } // error (at the attribute): a block used as a value must end with an expression
    y
}
// B5: reverse loop of a non-ExactSizeIterator range (i64/u64) with an exit or step_by:
// E0277 `Range<i64>: ExactSizeIterator` not satisfied (from `.take(counter).rev()` /
// `.step_by(k).rev()` in the generated reverse sweep).
#[tapeless::differentiate]
fn u64_break(x: f64, n: u64) -> f64 {
    let mut s = x;
    for _ in 0..n {
        s *= x;
        if s > 2.0 {
            break;
        }
    }
    s
}
#[tapeless::differentiate]
fn i64_step(x: f64, n: i64) -> f64 {
    let mut s = x;
    for _ in (0..n).step_by(2) {
        s *= x;
    }
    s
}
// B6: a `loop` whose only exit is `return` as the function's tail is rejected
// ("`loop` is not supported here ... use control flow as a statement or as the value of a
// `let`"); with `;` after it: "the function must end with the float it returns" at the
// attribute.
#[tapeless::differentiate]
fn newton(a: f64) -> f64 {
    let mut y = a;
    loop {
        let next = 0.5 * (y + a / y);
        if (next - y).abs() < 1e-12 {
            return next;
        }
        y = next;
    }
}
#[test]
fn compile_bugs_now_compile_and_are_right() {
    use tapeless::check::central_difference;
    let (v, g) = u64_break_grad(1.1, 20);
    assert_eq!(v, u64_break(1.1, 20));
    let fd = central_difference(|p| u64_break(p[0], 20), &[1.1]);
    assert!(
        (g.x - fd[0]).abs() < 1e-6 * fd[0].abs().max(1.0),
        "{} {}",
        g.x,
        fd[0]
    );
    let (v, g) = i64_step_grad(1.1, 7);
    assert_eq!(v, i64_step(1.1, 7));
    assert!((g.x - 5.0 * 1.1f64.powi(4)).abs() < 1e-12, "{}", g.x);
}

fn check_1d(f: impl Fn(f64) -> f64, grad: impl Fn(f64) -> (f64, f64), x: f64) {
    let (v, g) = grad(x);
    assert_eq!(v, f(x));
    let fd = tapeless::check::central_difference(|p| f(p[0]), &[x])[0];
    assert!((g - fd).abs() < 1e-6 * fd.abs().max(1.0), "{g} vs {fd}");
}

#[test]
fn fixed_compile_bugs_have_right_gradients() {
    check_1d(
        memory_name_reuse,
        |x| (memory_name_reuse_grad(x).0, memory_name_reuse_grad(x).1.x),
        0.8,
    );
    check_1d(
        memory_name_reassign,
        |x| {
            (
                memory_name_reassign_grad(x).0,
                memory_name_reassign_grad(x).1.x,
            )
        },
        0.8,
    );
    for flag in [true, false] {
        check_1d(
            |x| match_stmt_compound(x, flag),
            |x| {
                let (v, g) = match_stmt_compound_grad(x, flag);
                (v, g.x)
            },
            0.8,
        );
    }
    for mode in 0..4 {
        check_1d(
            |x| match_stmt_blocks(x, mode),
            |x| {
                let (v, g) = match_stmt_blocks_grad(x, mode);
                (v, g.x)
            },
            0.8,
        );
    }
    check_1d(newton, |x| (newton_grad(x).0, newton_grad(x).1.a), 2.0);
}

// Found by the random-program generator: `for e in b` over an array the body writes
// iterates over a copy (Rust semantics), and a loop that runs zero times and overwrites a
// carried variable without reading it leaves the variable's initial value in place.
#[differentiate]
fn iterate_array_while_writing_it(x: f64) -> f64 {
    let mut b = [0.0_f64; 2];
    b[0] = x;
    let mut s = 0.0;
    for e in b {
        b[1] = 10.0 * x;
        s += e;
    }
    s + b[1]
}

#[differentiate]
fn overwrite_in_a_loop_that_may_not_run(x: f64, y: f64, n: usize) -> f64 {
    let mut s = x;
    for _ in 0..n {
        s = y;
    }
    s
}

#[test]
fn loops_over_copies_and_zero_trip_overwrites() {
    // f = x + 10x = 11x: the loop sees b = [x, 0] (the copy), b[1] = 10x afterwards.
    let (v, g) = iterate_array_while_writing_it_grad(1.0);
    assert_eq!(v, iterate_array_while_writing_it(1.0));
    assert_eq!((v, g.x), (11.0, 11.0));
    for n in [0, 1, 3] {
        let (v, g) = overwrite_in_a_loop_that_may_not_run_grad(0.7, 0.3, n);
        assert_eq!(v, overwrite_in_a_loop_that_may_not_run(0.7, 0.3, n));
        let expected = if n == 0 { (1.0, 0.0) } else { (0.0, 1.0) };
        assert_eq!((g.x, g.y), expected, "n = {n}");
    }
}

/// A repeated element read in one statement is read once; across statements, and across a
/// write in between, each read sees the array as it is then.
#[tapeless::differentiate]
fn reads_around_a_write(x: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = x;
    let t = a[0] * a[0];
    a[0] = 3.0 * x;
    let u = a[0] * a[0];
    a[1] = a[0] + a[0];
    t + u + a[1] * a[0]
}

#[test]
fn element_reads_see_the_writes_between_them() {
    let x = 0.7;
    let (value, grad) = reads_around_a_write_grad(x);
    assert_eq!(value, reads_around_a_write(x));
    // t = x², u = 9x², a[1]·a[0] = 6x·3x = 18x²: f = 28x², f' = 56x.
    assert!((value - 28.0 * x * x).abs() < 1e-12);
    assert!((grad.x - 56.0 * x).abs() < 1e-12, "{}", grad.x);
}
