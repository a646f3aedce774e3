//! Element reads shared between statements (`Lowerer::block_reads` in
//! `macros/src/lower/`): a read of a container that nothing can change (a parameter held by
//! shared reference, or a field of one) made again later in the same block is the earlier
//! read, so its adjoint is added into the container's once. Each function is checked against
//! central differences (value bit for bit, the VJP linear in its seed) where sharing would be
//! wrong if it were made across a change: a local vector mutated in place by a method
//! between two reads, a read whose statement drops its value, reads in a loop that is
//! replayed, index tuples and index arithmetic written twice, and generic code.

#![allow(clippy::needless_range_loop)]

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use nalgebra::DMatrix;
use num_traits::Float;
use tapeless::differentiate;

/// Rosenbrock: `x[i]` is read in two statements, `x[i + 1]` in one.
#[differentiate]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

/// A data vector sorted between two reads at `order[0]`: the second read is of another
/// element of `x`.
#[differentiate(wrt(x))]
fn sorted_between_reads(x: &[f64], mut order: Vec<usize>) -> f64 {
    let first = x[order[0]];
    order.sort_unstable();
    let second = x[order[0]];
    let mut rest = 0.0;
    order.reverse();
    for k in 0..order.len() {
        rest += x[order[k]] * (k as f64 + 1.0);
    }
    3.0 * first * first + second + rest
}

/// A read whose value a statement drops, then the same read bound.
#[allow(clippy::no_effect)]
#[differentiate]
fn dropped_then_read(x: &[f64]) -> f64 {
    x[1];
    let a = x[1];
    x[0];
    let b = x[0] * x[1];
    a * b + x[1].sin()
}

/// Index tuples and index arithmetic written in two statements, over a matrix and a flat
/// slice, in a loop whose carried product makes the reverse restore values.
#[differentiate(wrt(m, v))]
fn tuples_and_arithmetic(m: &DMatrix<f64>, v: &[f64], d: usize) -> f64 {
    let mut product = 1.0;
    let mut total = 0.0;
    for c in 0..m.ncols() {
        for j in 0..d {
            let e = m[(j, c)].exp();
            total += m[(j, c)] * e;
            let u = v[c * d + j];
            product *= 1.0 + 0.1 * v[c * d + j] * u;
        }
    }
    total * product
}

/// Reads in both branches of an `if` and after it: each block's reads are its own.
#[differentiate]
fn branches(x: &[f64]) -> f64 {
    let a = x[0] * x[2];
    let b = if a > 0.0 { x[0] * x[1] } else { x[1] - x[0] };
    let c = x[0] + b;
    a * c + x[2]
}

/// Generic code: the reads of `x[i]` are shared in `T` as in `f64`.
#[differentiate]
fn generic<T: Float>(x: &[T]) -> T {
    let two = T::from(2.0).unwrap();
    let mut s = T::zero();
    for i in 0..x.len() {
        let y = x[i] * x[i];
        s = s + y * x[i] + two * x[i];
    }
    s
}

const X: [f64; 5] = [0.3, -0.8, 1.2, 0.5, -0.4];

#[test]
fn a_read_repeated_in_later_statements() {
    probe!(p => rosenbrock, rosenbrock_grad, rosenbrock_vjp, [p], [x], X);
}

#[test]
fn a_vector_changed_by_a_method_between_reads_is_read_again() {
    let order = vec![3, 0, 4, 1, 2];
    probe!(p => sorted_between_reads, sorted_between_reads_grad, sorted_between_reads_vjp,
        [p, order.clone()], [x], X);
    // first = x[3], second = x[0]; rest = Σ_k x[4 - k] (k + 1).
    let (_, g) = sorted_between_reads_grad(&X, order);
    let expected = [1.0 + 5.0, 4.0, 3.0, 6.0 * X[3] + 2.0, 1.0];
    for (a, b) in g.x.iter().zip(expected) {
        assert!((a - b).abs() < 1e-12, "{:?} != {expected:?}", g.x);
    }
}

#[test]
fn a_dropped_read_then_the_same_read() {
    probe!(p => dropped_then_read, dropped_then_read_grad, dropped_then_read_vjp, [p], [x], X);
}

#[test]
fn index_tuples_and_arithmetic_written_twice() {
    let m = [0.3, -0.2, 0.5, 0.1, -0.4, 0.6];
    for d in [0, 1, 2] {
        probe!(p => tuples_and_arithmetic, tuples_and_arithmetic_grad, tuples_and_arithmetic_vjp,
            [&DMatrix::from_column_slice(2, 3, &p[..6]), &p[6..], d], [m, v],
            [&m[..], &X[..], &X[..1]].concat());
    }
}

#[test]
fn reads_in_branches() {
    probe!(p => branches, branches_grad, branches_vjp, [p], [x], X);
    let negative = [0.3, -0.8, -1.2];
    probe!(p => branches, branches_grad, branches_vjp, [p], [x], negative);
}

#[test]
fn generic_reads_in_f64_and_f32() {
    probe!(p => generic, generic_grad, generic_vjp, [p], [x], X);
    let x32: Vec<f32> = X.iter().map(|&v| v as f32).collect();
    let (_, g32) = generic_grad(&x32);
    for (a, x) in g32.x.iter().zip(X) {
        let exact = 3.0 * x * x + 2.0;
        assert!((f64::from(*a) - exact).abs() < 1e-5 * exact.abs().max(1.0));
    }
}
