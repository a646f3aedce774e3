//! Loops cost no allocation when the reverse sweep can replay them without a record.
//!
//! A loop is reversed by running its range backwards and recomputing, in each iteration,
//! what the derivative rules read. Only a value that the loop overwrites and a rule still
//! needs (a carried value read by a multiplication, say) is pushed on a stack, which lives
//! on the heap. So straight-line code, fixed-size arrays (`[f64; N]` parameters, local
//! `[0.0; N]`), and loops that overwrite nothing the rules need (a sum of squares,
//! Rosenbrock) have gradients that allocate nothing; `xⁿ` by repeated multiplication saves
//! its running product once per iteration, and does allocate.
//!
//! A counting global allocator (wrapping `System`) counts the allocations made by the
//! current thread only, so the test harness's other threads cannot disturb a measurement.

// Index loops are the subject of these tests.
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;

use tapeless::differentiate;

#[path = "support/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::{count_allocations, CountingAllocator};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn the_counter_counts() {
    // Without this, a counter that never counts would make every test below pass.
    let (v, n) = count_allocations(|| Vec::<f64>::with_capacity(10));
    assert_eq!(n, 1, "Vec::with_capacity(10) was not counted");
    drop(v);
    // Growing a vector one element at a time reallocates: counted too.
    let (v, n) = count_allocations(|| {
        let mut v = Vec::new();
        for i in 0..100 {
            v.push(black_box(i as f64));
        }
        v
    });
    assert!(n >= 2, "pushing 100 elements counted {n} allocations");
    drop(v);
    let (boxed, n) = count_allocations(|| Box::new(black_box(3.0_f64)));
    assert_eq!(n, 1);
    assert_eq!(*boxed, 3.0);
    // The count is per thread: a thousand allocations on another thread are not seen here
    // (spawning the thread may allocate a few times on this one).
    let (_, n) = count_allocations(|| {
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..1000 {
                    drop(black_box(Box::new(i)));
                }
            });
        })
    });
    assert!(
        n < 100,
        "another thread's allocations were counted here ({n})"
    );
}

// ---- straight-line code --------------------------------------------------------------

#[differentiate]
fn straight_line(x: f64, y: f64) -> f64 {
    let a = x * y + (x - y).sin();
    let b = a.exp().ln_1p() * y;
    if a > b {
        a * b
    } else {
        a - b
    }
}

#[test]
fn straight_line_code_and_a_branch_do_not_allocate() {
    for (x, y) in [(0.3, -1.2), (1.7, 0.4), (-0.9, 2.2)] {
        let ((value, grad), n) =
            count_allocations(|| straight_line_grad(black_box(x), black_box(y)));
        assert_eq!(n, 0, "straight_line_grad allocated {n} times");
        assert_eq!(value, straight_line(x, y));
        assert!(grad.x.is_finite() && grad.y.is_finite());
        let ((_, vjp), n) =
            count_allocations(|| straight_line_vjp(black_box(x), black_box(y), 2.0));
        assert_eq!(n, 0, "straight_line_vjp allocated {n} times");
        assert!(vjp.x.is_finite());
    }
}

// ---- fixed-size arrays and loops that overwrite nothing needed ---------------------------

/// A sum of squares over a fixed-size array: the accumulator's update (`+`) reads nothing
/// the loop overwrites, and `x[i]` is read again in the reverse loop.
#[differentiate]
fn sum_of_squares(x: &[f64; 16]) -> f64 {
    let mut s = 0.0;
    for i in 0..16 {
        s += x[i] * x[i];
    }
    s
}

#[differentiate]
fn rosenbrock8(x: [f64; 8]) -> f64 {
    let mut s = 0.0;
    for i in 0..7 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

/// Nested loops over `[[f64; 3]; 3]` and `[f64; 3]`: the quadratic form xᵀ M x.
#[differentiate]
fn quadratic_form(m: &[[f64; 3]; 3], x: &[f64; 3]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        for j in 0..3 {
            s += x[i] * m[i][j] * x[j];
        }
    }
    s
}

/// A local `[0.0; 4]` written in a loop (from parameters only) and read after it.
#[differentiate]
fn squares_then_pairs(x: &[f64; 4]) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = x[i] * x[i];
    }
    a[0] * a[1] + a[2] * a[3]
}

/// A local array written and overwritten in straight-line code.
#[differentiate]
fn local_array_straight_line(x: f64, y: f64) -> f64 {
    let mut a = [0.0; 3];
    a[0] = x * y;
    a[1] = a[0] + y;
    a[2] = a[1] * a[0];
    a[0] = a[2].sin();
    a[0] + a[1] * a[2]
}

/// A loop with `.rev()`, `.step_by(2)` and a branch on the index, over an array.
#[differentiate]
fn alternating(x: &[f64; 8]) -> f64 {
    let mut s = 0.0;
    for i in (0..8).rev().step_by(2) {
        if i % 4 == 1 {
            s += x[i].sin();
        } else {
            s -= x[i] * x[0];
        }
    }
    s
}

#[test]
fn fixed_size_arrays_and_replayable_loops_do_not_allocate() {
    let x16: [f64; 16] = core::array::from_fn(|i| (i as f64 * 0.37).cos());
    let ((value, grad), n) = count_allocations(|| sum_of_squares_grad(black_box(&x16)));
    assert_eq!(n, 0, "sum_of_squares_grad allocated {n} times");
    assert_eq!(value, sum_of_squares(&x16));
    assert_eq!(grad.x, x16.map(|v| 2.0 * v));

    let x8: [f64; 8] = core::array::from_fn(|i| 1.2 * (i as f64 * 0.9).sin());
    let ((value, grad), n) = count_allocations(|| rosenbrock8_grad(black_box(x8)));
    assert_eq!(n, 0, "rosenbrock8_grad allocated {n} times");
    assert_eq!(value, rosenbrock8(x8));
    assert!(grad.x.iter().all(|g| g.is_finite()));
    let ((_, vjp), n) = count_allocations(|| rosenbrock8_vjp(black_box(x8), 0.5));
    assert_eq!(n, 0, "rosenbrock8_vjp allocated {n} times");
    assert!(vjp.x.iter().all(|g| g.is_finite()));

    let m = [[1.0, 2.0, 0.5], [0.1, -1.0, 0.3], [0.7, 0.2, 0.9]];
    let v = [0.4, -0.6, 1.1];
    let ((value, grad), n) =
        count_allocations(|| quadratic_form_grad(black_box(&m), black_box(&v)));
    assert_eq!(n, 0, "quadratic_form_grad allocated {n} times");
    assert_eq!(value, quadratic_form(&m, &v));
    // ∂/∂M = x xᵀ.
    assert_eq!(grad.m, [0, 1, 2].map(|i| [0, 1, 2].map(|j| v[i] * v[j])));
    assert!(grad.x.iter().all(|g| g.is_finite()));

    let x4 = [0.5, -1.5, 2.0, 0.25];
    let ((value, grad), n) = count_allocations(|| squares_then_pairs_grad(black_box(&x4)));
    assert_eq!(n, 0, "squares_then_pairs_grad allocated {n} times");
    assert_eq!(value, squares_then_pairs(&x4));
    let [a, b, c, d] = x4;
    assert_eq!(
        grad.x,
        [
            2.0 * a * b * b,
            2.0 * b * a * a,
            2.0 * c * d * d,
            2.0 * d * c * c
        ]
    );

    let ((value, grad), n) =
        count_allocations(|| local_array_straight_line_grad(black_box(0.7), black_box(-1.3)));
    assert_eq!(n, 0, "local_array_straight_line_grad allocated {n} times");
    assert_eq!(value, local_array_straight_line(0.7, -1.3));
    assert!(grad.x.is_finite() && grad.y.is_finite());

    let ((value, grad), n) = count_allocations(|| alternating_grad(black_box(&x8)));
    assert_eq!(n, 0, "alternating_grad allocated {n} times");
    assert_eq!(value, alternating(&x8));
    assert!(grad.x.iter().all(|g| g.is_finite()));
}

#[test]
fn many_gradient_steps_on_an_array_do_not_allocate() {
    // Gradient descent on Rosenbrock in 8 dimensions: thousands of gradients, no heap.
    let ((x, loss), n) = count_allocations(|| {
        let mut x = [0.0_f64; 8];
        for _ in 0..5_000 {
            let (_, grad) = rosenbrock8_grad(black_box(x));
            for i in 0..8 {
                x[i] -= 5e-4 * grad.x[i];
            }
        }
        (x, rosenbrock8(x))
    });
    assert_eq!(n, 0, "5 000 gradient steps allocated {n} times");
    assert!(
        loss < rosenbrock8([0.0; 8]),
        "descent did not descend: {loss} at {x:?}"
    );
}

// ---- for contrast: a loop that saves a value per iteration ------------------------------

/// `p *= x` reads the running product, which the next iteration overwrites: the forward
/// sweep pushes it on a stack each iteration, and the reverse sweep pops it.
#[differentiate]
fn power(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    p
}

#[test]
fn repeated_multiplication_saves_the_running_product_and_allocates() {
    // Zero iterations push nothing: an empty stack does not allocate.
    let ((value, grad), n) = count_allocations(|| power_grad(black_box(1.3), black_box(0)));
    assert_eq!(n, 0, "power_grad(x, 0) allocated {n} times");
    assert_eq!((value, grad.x), (1.0, 0.0));

    // Seven iterations: the stack of seven running products is on the heap.
    let ((value, grad), n) = count_allocations(|| power_grad(black_box(1.3), black_box(7)));
    assert!(
        n >= 1,
        "power_grad(x, 7) saved its running products without allocating?"
    );
    assert_eq!(value, power(1.3, 7));
    assert!((grad.x - 7.0 * 1.3_f64.powi(6)).abs() < 1e-12);

    // The cost grows with the trip count (the stack holds one value per iteration).
    let (_, small) = count_allocations(|| power_grad(black_box(1.0001), black_box(7)));
    let (_, large) = count_allocations(|| power_grad(black_box(1.0001), black_box(10_000)));
    assert!(
        small >= 1 && large >= small,
        "7 iterations: {small}, 10 000: {large}"
    );
}

/// A local array read in a branch after its last write: the reverse sweep reads it again
/// (the array still holds those values) instead of saving the read.
#[differentiate]
fn array_read_in_branch(x: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = x * x;
    a[1] = x.sin();
    if x > 0.0 {
        a[0] * x + a[1]
    } else {
        x - a[1] * a[0]
    }
}

#[test]
fn arrays_read_after_their_last_write_are_not_saved() {
    for x in [0.7, -0.4] {
        let ((value, grad), n) = count_allocations(|| array_read_in_branch_grad(black_box(x)));
        assert_eq!(n, 0, "array_read_in_branch_grad allocated {n} times");
        assert_eq!(value, array_read_in_branch(x));
        // x > 0: 3x² + cos x; x < 0: 1 − (cos x·x² + 2x·sin x).
        let expected = if x > 0.0 {
            3.0 * x * x + x.cos()
        } else {
            1.0 - (x.cos() * x * x + 2.0 * x * x.sin())
        };
        assert!(
            (grad.x - expected).abs() < 1e-12,
            "{} vs {expected}",
            grad.x
        );
    }
}

// ---- loops bounded by `max_iterations`: stacks in place ------------------------------

/// A damped spring integrated by explicit Euler for a number of steps known only at run
/// time: `x` and `v` are carried and read by products, so each step saves them.
#[differentiate(max_iterations = 1000)]
fn bounded_spring(k: f64, c: f64, v0: f64, steps: usize) -> f64 {
    let dt = 0.01;
    let mut x = 1.0;
    let mut v = v0;
    for _ in 0..steps {
        let a = -k * x - c * v;
        x += dt * v;
        v += dt * a;
    }
    x * x + v * v
}

/// The same spring without a bound: its stacks are vectors.
#[differentiate]
fn unbounded_spring(k: f64, c: f64, v0: f64, steps: usize) -> f64 {
    let dt = 0.01;
    let mut x = 1.0;
    let mut v = v0;
    for _ in 0..steps {
        let a = -k * x - c * v;
        x += dt * v;
        v += dt * a;
    }
    x * x + v * v
}

/// A `while` loop (trip count unknown until it ends) under the same kind of bound.
#[differentiate(max_iterations = 64)]
fn bounded_growth(x: f64, limit: f64) -> f64 {
    let mut p = x;
    while p < limit {
        p = p * p + 1.0;
    }
    p
}

#[test]
fn a_bounded_simulation_loop_allocates_nothing() {
    for steps in [0, 1, 500, 1000] {
        let ((value, grad), n) = count_allocations(|| {
            bounded_spring_grad(
                black_box(4.0),
                black_box(0.3),
                black_box(-0.5),
                black_box(steps),
            )
        });
        assert_eq!(
            n, 0,
            "bounded_spring_grad({steps} steps) allocated {n} times"
        );
        assert_eq!(value, bounded_spring(4.0, 0.3, -0.5, steps));
        // The same gradient as the heap-backed stacks, which allocate.
        let ((_, heap), heap_allocations) = count_allocations(|| {
            unbounded_spring_grad(
                black_box(4.0),
                black_box(0.3),
                black_box(-0.5),
                black_box(steps),
            )
        });
        if steps > 0 {
            assert!(
                heap_allocations > 0,
                "the unbounded spring saved without allocating?"
            );
        }
        assert_eq!((grad.k, grad.c, grad.v0), (heap.k, heap.c, heap.v0));
        // And central differences.
        let numeric = tapeless::check::central_difference(
            |p| bounded_spring(p[0], p[1], p[2], steps),
            &[4.0, 0.3, -0.5],
        );
        for (analytic, numeric) in [grad.k, grad.c, grad.v0].iter().zip(&numeric) {
            assert!(
                (analytic - numeric).abs() < 1e-7 * analytic.abs().max(1.0),
                "{steps} steps: {analytic} vs {numeric}"
            );
        }
    }
    // A `while` loop: p ← p² + 1 from x = 1.5 until p ≥ 100 runs 3 times
    // (1.5 → 3.25 → 11.5625 → 134.69...); dp/dx is the product of the 2p's.
    let ((value, grad), n) = count_allocations(|| bounded_growth_grad(black_box(1.5), 100.0));
    assert_eq!(n, 0, "bounded_growth_grad allocated {n} times");
    assert_eq!(value, bounded_growth(1.5, 100.0));
    let expected = (2.0 * 1.5) * (2.0 * 3.25) * (2.0 * 11.5625);
    assert!(
        (grad.x - expected).abs() < 1e-12 * expected,
        "{} vs {expected}",
        grad.x
    );
}

#[test]
#[should_panic(expected = "ran more than max_iterations = 1000 iterations")]
fn exceeding_max_iterations_panics_with_the_bound() {
    let _ = bounded_spring_grad(4.0, 0.3, -0.5, 1001);
}

/// A `while` loop whose trip count the reverse sweep learns only by running it.
#[differentiate(max_iterations = 64)]
fn bounded_counting(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    let mut i = 0;
    while i < n {
        p *= x;
        i += 1;
    }
    p
}

#[test]
#[should_panic(expected = "ran more than max_iterations = 64 iterations")]
fn a_while_loop_beyond_max_iterations_panics_with_the_bound() {
    let (_, grad) = bounded_counting_grad(1.01, 64);
    assert!((grad.x - 64.0 * 1.01_f64.powi(63)).abs() < 1e-10);
    let _ = bounded_counting_grad(1.01, 65);
}

/// Constant trip counts: with `alloc` the stack is a vector as long as the loop (as for any
/// loop whose trip count is known when it starts); `tests/no_std_consumer` builds the
/// same shape without `alloc`, where it is an array.
const STEPS: usize = 64;

#[differentiate(max_iterations = 64)]
fn constant_steps(x: f64) -> f64 {
    let mut p = 1.0;
    for _ in 0..STEPS {
        p = p * x + 0.01;
    }
    p
}

#[test]
fn a_constant_trip_count_loop_under_a_bound_allocates_nothing() {
    let ((value, grad), n) = count_allocations(|| constant_steps_grad(black_box(0.99)));
    assert_eq!(n, 0, "constant_steps_grad allocated {n} times");
    assert_eq!(value, constant_steps(0.99));
    // p_k = p_{k−1}·x + 0.01, so dp_k/dx = p_{k−1} + x·dp_{k−1}/dx.
    let (mut p, mut dp) = (1.0, 0.0);
    for _ in 0..STEPS {
        (p, dp) = (p * 0.99 + 0.01, p + 0.99 * dp);
    }
    assert_eq!(value, p);
    assert!((grad.x - dp).abs() < 1e-12 * dp, "{} vs {dp}", grad.x);
}

/// A `while` loop that runs exactly `max_iterations` times tests its condition once more:
/// that test's saved values have their slot (found by the QA pass: it panicked at 4 of 4).
#[differentiate(max_iterations = 4)]
fn while_to_the_bound(x: f64, limit: usize) -> f64 {
    let mut p = x;
    let mut k = 0;
    while k < limit {
        p = p * x + 0.5;
        k += 1;
    }
    p
}

#[test]
fn a_while_loop_may_run_exactly_max_iterations_times() {
    // p₀ = x, pₖ₊₁ = pₖ·x + 0.5: pₖ' = pₖ₋₁' x + pₖ₋₁, by the recurrence itself.
    let x = 0.9;
    let (mut p, mut dp) = (x, 1.0);
    for _ in 0..4 {
        (p, dp) = (p * x + 0.5, dp * x + p);
    }
    let (v, g) = while_to_the_bound_grad(x, 4);
    assert_eq!(v, while_to_the_bound(x, 4));
    assert!(
        (v - p).abs() < 1e-14 && (g.x - dp).abs() < 1e-12,
        "{v} {p} {} {dp}",
        g.x
    );
}

#[test]
#[should_panic(expected = "ran more than max_iterations = 4 iterations")]
fn a_while_loop_one_past_max_iterations_panics() {
    let _ = while_to_the_bound_grad(0.9, 5);
}
