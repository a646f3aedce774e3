//! Gradients through control flow: branches, `match`, loops of every supported form, early
//! exits, slices and arrays, and local arrays written by index.
//!
//! Each function is checked against its closed-form gradient where one is easy to write,
//! and otherwise against central finite differences (relative error below 1e-6). Every test
//! also checks that `f_grad` returns exactly the value of `f`: a wrong forward sweep (a lost
//! update of a carried variable, say) shows there first.

// The functions below are written the way the constructs under test are spelled: index
// loops, `a = a * x` next to `a *= x`, element copies and swaps by hand, an empty range,
// a `&Vec<f64>` parameter.
#![allow(
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::manual_memcpy,
    clippy::manual_swap,
    clippy::ptr_arg,
    clippy::reversed_empty_ranges
)]

use proptest::prelude::*;
use tapeless::check::{check_gradient, relative_error, Tolerance};
use tapeless::differentiate;

// ---- helpers -----------------------------------------------------------------------

/// Asserts `analytic` matches the finite-difference gradient of `f` at `x` (1e-6).
#[track_caller]
fn assert_fd<F: FnMut(&[f64]) -> f64>(f: F, x: &[f64], analytic: &[f64]) {
    if let Err(mismatch) = check_gradient(f, x, analytic, Tolerance::default()) {
        panic!("{mismatch}\n at x = {x:?}\n analytic = {analytic:?}");
    }
}

/// Asserts two gradients agree to `tol`, relative to `max(1, |a|, |b|)`.
#[track_caller]
fn assert_close(analytic: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(analytic.len(), expected.len(), "lengths differ");
    for (i, (a, e)) in analytic.iter().zip(expected).enumerate() {
        let error = relative_error(*a, *e);
        assert!(
            error <= tol,
            "coordinate {i}: {a:e} vs expected {e:e} (relative error {error:e} > {tol:e})\n analytic = {analytic:?}\n expected = {expected:?}"
        );
    }
}

fn concat(parts: &[&[f64]]) -> Vec<f64> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

// ---- Rosenbrock --------------------------------------------------------------------

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

/// ∂/∂xᵢ = −400 xᵢ (xᵢ₊₁ − xᵢ²) − 2 (1 − xᵢ)  (i < n−1)  +  200 (xᵢ − xᵢ₋₁²)  (i > 0).
fn rosenbrock_gradient(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut g = 0.0;
            if i + 1 < n {
                g += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]);
            }
            if i > 0 {
                g += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
            }
            g
        })
        .collect()
}

#[test]
fn rosenbrock_matches_its_closed_form_for_several_sizes() {
    for n in [1usize, 2, 3, 10, 1000] {
        let x: Vec<f64> = (0..n)
            .map(|i| 1.3 * ((i as f64) * 0.7).sin() - 0.2)
            .collect();
        let (value, grad) = rosenbrock_grad(&x);
        assert_eq!(value, rosenbrock(&x), "n = {n}");
        assert_eq!(grad.x.len(), n);
        assert_close(&grad.x, &rosenbrock_gradient(&x), 1e-13);
    }
    // n = 1: no term at all, the gradient is zero.
    let (value, grad) = rosenbrock_grad(&[0.4]);
    assert_eq!((value, grad.x[0]), (0.0, 0.0));
    // The minimum (1, …, 1): value and gradient vanish.
    let (value, grad) = rosenbrock_grad(&[1.0; 8]);
    assert_eq!(value, 0.0);
    assert!(grad.x.iter().all(|g| *g == 0.0), "{:?}", grad.x);
    // n = 2 by finite differences too.
    let x = [-1.2, 1.0];
    assert_fd(rosenbrock, &x, &rosenbrock_grad(&x).1.x);
}

// ---- dot product, Horner, powers ----------------------------------------------------

#[differentiate]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

#[differentiate]
fn dot_zip(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b.iter()).map(|(p, q)| p * q).sum::<f64>()
}

#[test]
fn dot_product_gradients_are_the_other_vector() {
    let a = [0.5, -1.25, 2.0, 3.5];
    let b = [1.5, 0.25, -0.75, 2.0];
    for (value, grad_a, grad_b) in [
        {
            let (v, g) = dot_grad(&a, &b);
            (v, g.a, g.b)
        },
        {
            let (v, g) = dot_zip_grad(&a, &b);
            (v, g.a, g.b)
        },
    ] {
        assert_eq!(value, dot(&a, &b));
        assert_eq!(grad_a, b.to_vec());
        assert_eq!(grad_b, a.to_vec());
    }
    assert_eq!(dot_zip(&a, &b), dot(&a, &b));
    // `.zip` stops at the shorter slice: the extra element gets a zero gradient.
    let (value, grad) = dot_zip_grad(&a, &b[..3]);
    assert_eq!(value, dot_zip(&a, &b[..3]));
    assert_eq!(grad.a, vec![1.5, 0.25, -0.75, 0.0]);
    assert_eq!(grad.b, vec![0.5, -1.25, 2.0]);
    // Empty slices.
    let (value, grad) = dot_grad(&[], &[]);
    assert_eq!(value, 0.0);
    assert!(grad.a.is_empty() && grad.b.is_empty());
}

/// c₀ + c₁x + … + cₙxⁿ, evaluated from the highest coefficient down.
#[differentiate]
fn horner(c: &[f64], x: f64) -> f64 {
    let mut y = 0.0;
    for i in (0..c.len()).rev() {
        y = y * x + c[i];
    }
    y
}

/// ∂/∂cᵢ = xⁱ; ∂/∂x = Σ i cᵢ xⁱ⁻¹.
fn horner_gradient(c: &[f64], x: f64) -> (Vec<f64>, f64) {
    let dc = (0..c.len()).map(|i| x.powi(i as i32)).collect();
    let dx = (1..c.len())
        .map(|i| i as f64 * c[i] * x.powi(i as i32 - 1))
        .sum();
    (dc, dx)
}

#[test]
fn horner_gradient_matches_the_closed_form() {
    let c = [1.0, -2.0, 0.5, 3.0, -0.25];
    for x in [-1.5, 0.0, 0.3, 2.0] {
        let (value, grad) = horner_grad(&c, x);
        assert_eq!(value, horner(&c, x));
        let (dc, dx) = horner_gradient(&c, x);
        assert_close(&grad.c, &dc, 1e-14);
        assert_close(&[grad.x], &[dx], 1e-13);
    }
    // No coefficient: the zero polynomial.
    let (value, grad) = horner_grad(&[], 0.7);
    assert_eq!((value, grad.x), (0.0, 0.0));
}

/// xⁿ by repeated multiplication: the loop reads its carried value.
#[differentiate]
fn power(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    p
}

#[test]
fn repeated_multiplication_gives_n_x_to_the_n_minus_one() {
    for x in [-1.3, 0.0, 0.5, 1.7] {
        let (value, grad) = power_grad(x, 0);
        assert_eq!((value, grad.x), (1.0, 0.0), "x^0 at {x}");
        let (value, grad) = power_grad(x, 1);
        assert_eq!((value, grad.x), (x, 1.0), "x^1 at {x}");
        let (value, grad) = power_grad(x, 7);
        assert_eq!(value, power(x, 7));
        assert_close(&[grad.x], &[7.0 * x.powi(6)], 1e-14);
    }
}

#[test]
fn vjp_of_a_loop_scales_the_gradient_by_the_seed() {
    let (value, grad) = power_grad(1.3, 5);
    let (value_vjp, vjp) = power_vjp(1.3, 5, -2.5);
    assert_eq!(value, value_vjp);
    // The seed enters at the start of the reverse sweep: equal up to rounding.
    assert_close(&[vjp.x], &[-2.5 * grad.x], 1e-15);
    let c = [1.0, 2.0, 3.0];
    let (_, grad) = horner_grad(&c, 0.5);
    let (_, vjp) = horner_vjp(&c, 0.5, 4.0);
    assert_close(&[vjp.x], &[4.0 * grad.x], 1e-15);
    assert_close(
        &vjp.c,
        &grad.c.iter().map(|g| 4.0 * g).collect::<Vec<_>>(),
        1e-15,
    );
}

// ---- local arrays written by index ---------------------------------------------------

/// Σₖ cₖ² with cₖ = x₀ + … + xₖ, through a local `vec!` written by index.
#[differentiate]
fn cumulative_sum(xs: &[f64]) -> f64 {
    let mut c = vec![0.0; xs.len()];
    c[0] = xs[0];
    for i in 1..xs.len() {
        c[i] = c[i - 1] + xs[i];
    }
    let mut total = 0.0;
    for i in 0..c.len() {
        total += c[i] * c[i];
    }
    total
}

/// ∂/∂xⱼ = 2 Σ_{k ≥ j} cₖ.
fn cumulative_sum_gradient(xs: &[f64]) -> Vec<f64> {
    let c: Vec<f64> = xs
        .iter()
        .scan(0.0, |acc, x| {
            *acc += x;
            Some(*acc)
        })
        .collect();
    (0..xs.len())
        .map(|j| 2.0 * c[j..].iter().sum::<f64>())
        .collect()
}

#[test]
fn cumulative_sum_through_a_local_vec() {
    for xs in [vec![0.7], vec![0.5, -1.0, 2.0, 0.25], vec![1.0; 9]] {
        let (value, grad) = cumulative_sum_grad(&xs);
        assert_eq!(value, cumulative_sum(&xs));
        assert_close(&grad.xs, &cumulative_sum_gradient(&xs), 1e-14);
    }
}

/// y = M v with a local accumulator, L = ½ |y|².
#[differentiate]
fn matvec_energy(m: &[[f64; 3]; 3], v: &[f64; 3]) -> f64 {
    let mut y = [0.0; 3];
    for i in 0..3 {
        for j in 0..3 {
            y[i] += m[i][j] * v[j];
        }
    }
    0.5 * (y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
}

#[test]
fn nested_loops_matrix_vector_product() {
    let m = [[1.0, 2.0, 0.5], [0.1, -1.0, 0.3], [0.7, 0.2, 0.9]];
    let v = [0.4, -0.6, 1.1];
    let (value, grad) = matvec_energy_grad(&m, &v);
    assert_eq!(value, matvec_energy(&m, &v));
    // ∂L/∂M = y vᵀ, ∂L/∂v = Mᵀ y.
    let y: Vec<f64> = (0..3)
        .map(|i| (0..3).map(|j| m[i][j] * v[j]).sum())
        .collect();
    for i in 0..3 {
        let expected_row: Vec<f64> = (0..3).map(|j| y[i] * v[j]).collect();
        assert_close(&grad.m[i], &expected_row, 1e-14);
    }
    let mt_y: Vec<f64> = (0..3)
        .map(|j| (0..3).map(|i| m[i][j] * y[i]).sum())
        .collect();
    assert_close(&grad.v, &mt_y, 1e-14);
}

/// C = A B with a local `[[0.0; 3]; 3]`, three nested loops; L = Σᵢⱼ Cᵢⱼ Cⱼᵢ.
#[differentiate]
fn matmul_trace(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> f64 {
    let mut c = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            for k in 0..3 {
                c[i][j] += a[i][k] * b[k][j];
            }
        }
    }
    let mut s = 0.0;
    for i in 0..3 {
        for j in 0..3 {
            s += c[i][j] * c[j][i];
        }
    }
    s
}

fn unflatten3(p: &[f64]) -> [[f64; 3]; 3] {
    [[p[0], p[1], p[2]], [p[3], p[4], p[5]], [p[6], p[7], p[8]]]
}

#[test]
fn index_writes_in_three_nested_loops() {
    let a = [[1.0, 2.0, 0.5], [0.1, -1.0, 0.3], [0.7, 0.2, 0.9]];
    let b = [[0.3, 0.2, -0.5], [1.1, 0.0, 0.3], [-0.7, 0.4, 0.6]];
    let (value, grad) = matmul_trace_grad(&a, &b);
    assert_eq!(value, matmul_trace(&a, &b));
    let x: Vec<f64> = a.iter().chain(&b).flatten().copied().collect();
    let analytic: Vec<f64> = grad.a.iter().chain(&grad.b).flatten().copied().collect();
    assert_fd(
        |p| matmul_trace(&unflatten3(&p[..9]), &unflatten3(&p[9..])),
        &x,
        &analytic,
    );
}

/// Polynomial multiplication: `c[i + j] += a[i] * b[j]` reads and writes the same cells
/// from different iterations.
#[differentiate]
fn convolution(a: &[f64], b: &[f64]) -> f64 {
    let mut c = vec![0.0; a.len() + b.len() - 1];
    for i in 0..a.len() {
        for j in 0..b.len() {
            c[i + j] += a[i] * b[j];
        }
    }
    let mut s = 0.0;
    for k in 0..c.len() {
        s += c[k] * c[k] * (k as f64 + 1.0);
    }
    s
}

#[test]
fn convolution_through_overlapping_index_writes() {
    let a = [0.5, 1.5, -0.7, 1.1];
    let b = [0.3, -0.2, 0.8];
    let (value, grad) = convolution_grad(&a, &b);
    assert_eq!(value, convolution(&a, &b));
    assert_fd(
        |p| convolution(&p[..4], &p[4..]),
        &concat(&[&a, &b]),
        &concat(&[&grad.a, &grad.b]),
    );
}

/// Reads an element, overwrites it, reads it again, in straight-line code.
#[differentiate]
fn read_after_overwrite(x: f64, y: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = x;
    let u = a[0] * y;
    a[0] = y * y;
    let v = a[0] * x;
    a[0] = a[0] * u;
    a[1] -= a[0];
    a[1] *= x;
    u + v + a[0] + a[1]
}

/// Inside a loop: each iteration reads the old element, overwrites it, reads the new one,
/// and multiplies the next element in place.
#[differentiate]
fn overwrite_in_loop(xs: &[f64], x: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = xs[i];
    }
    let mut s = 0.0;
    for i in 0..4 {
        let old = a[i];
        a[i] = old * x;
        s += old * a[i];
        a[(i + 1) % 4] *= a[i];
    }
    s + a[0]
}

/// Every compound assignment on elements.
#[differentiate]
fn compound_element_ops(x: f64, y: f64) -> f64 {
    let mut a = [1.0; 4];
    for i in 0..4 {
        a[i] = x + i as f64;
        a[i] -= y;
        a[i] *= a[i];
        a[i] /= y;
        a[i] += x * y;
    }
    a[0] * a[1] + a[2] - a[3]
}

/// Each element written from the one before it, which is then rescaled.
#[differentiate]
fn chained_writes(x: f64, n: usize) -> f64 {
    let mut a = vec![0.0; n];
    a[0] = x;
    for i in 1..n {
        a[i] = a[i - 1] * x + 1.0;
        a[i - 1] *= a[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += a[i];
    }
    s
}

#[test]
fn reading_elements_after_overwriting_them() {
    let (value, grad) = read_after_overwrite_grad(0.7, 1.3);
    assert_eq!(value, read_after_overwrite(0.7, 1.3));
    assert_fd(
        |p| read_after_overwrite(p[0], p[1]),
        &[0.7, 1.3],
        &[grad.x, grad.y],
    );

    let xs = [0.5, 1.5, -0.7, 1.1];
    let (value, grad) = overwrite_in_loop_grad(&xs, 0.9);
    assert_eq!(value, overwrite_in_loop(&xs, 0.9));
    assert_fd(
        |p| overwrite_in_loop(&p[..4], p[4]),
        &concat(&[&xs, &[0.9]]),
        &concat(&[&grad.xs, &[grad.x]]),
    );

    let (value, grad) = compound_element_ops_grad(0.8, 1.3);
    assert_eq!(value, compound_element_ops(0.8, 1.3));
    assert_fd(
        |p| compound_element_ops(p[0], p[1]),
        &[0.8, 1.3],
        &[grad.x, grad.y],
    );

    for n in [1, 2, 5] {
        let (value, grad) = chained_writes_grad(0.8, n);
        assert_eq!(value, chained_writes(0.8, n));
        assert_fd(|p| chained_writes(p[0], n), &[0.8], &[grad.x]);
    }
}

/// Bubble sort in place (swaps through a temporary, on comparisons of active values), then
/// a weighted sum: the gradient is routed through the permutation.
#[differentiate]
fn sorted_weighted(xs: &[f64], w: &[f64]) -> f64 {
    let n = xs.len();
    let mut a = vec![0.0; n];
    for i in 0..n {
        a[i] = xs[i];
    }
    for i in 0..n {
        for j in 0..n - 1 - i {
            if a[j] > a[j + 1] {
                let t = a[j];
                a[j] = a[j + 1];
                a[j + 1] = t;
            }
        }
    }
    let mut s = 0.0;
    for i in 0..n {
        s += w[i] * a[i] * a[i];
    }
    s
}

#[test]
fn sorting_in_place_routes_the_gradient_through_the_permutation() {
    let xs = [0.5, 1.5, -0.7, 1.1, -2.0];
    let w = [1.0, 2.0, 3.0, 4.0, 5.0];
    let (value, grad) = sorted_weighted_grad(&xs, &w);
    assert_eq!(value, sorted_weighted(&xs, &w));
    // Sorted: [-2.0, -0.7, 0.5, 1.1, 1.5]; element of rank r gets 2 w[r] x.
    let rank = |x: f64| xs.iter().filter(|y| **y < x).count();
    let expected: Vec<f64> = xs.iter().map(|&x| 2.0 * w[rank(x)] * x).collect();
    assert_close(&grad.xs, &expected, 1e-15);
    let expected_w: Vec<f64> = [-2.0f64, -0.7, 0.5, 1.1, 1.5]
        .iter()
        .map(|x| x * x)
        .collect();
    assert_close(&grad.w, &expected_w, 1e-15);
}

/// Reverses a local array in place by swapping pairs.
#[differentiate]
fn reversed_in_place(xs: &[f64; 5]) -> f64 {
    let mut a = [0.0; 5];
    for i in 0..5 {
        a[i] = xs[i] * xs[i];
    }
    for i in 0..2 {
        let t = a[i];
        a[i] = a[4 - i];
        a[4 - i] = t;
    }
    let mut s = 0.0;
    for i in 0..5 {
        s += a[i] * (i as f64 + 1.0);
    }
    s
}

#[test]
fn swapping_array_elements() {
    let xs = [0.5, 1.5, -0.7, 1.1, 2.0];
    let (value, grad) = reversed_in_place_grad(&xs);
    assert_eq!(value, reversed_in_place(&xs));
    // xᵢ² ends at position 4 − i, weight 5 − i.
    let expected: Vec<f64> = (0..5).map(|i| 2.0 * xs[i] * (5 - i) as f64).collect();
    assert_close(&grad.xs, &expected, 1e-15);
}

/// A local array declared inside the loop body: a fresh one every iteration.
#[differentiate]
fn array_per_iteration(xs: &[f64]) -> f64 {
    let mut t = 0.0;
    for i in 0..xs.len() {
        let mut tmp = [0.0; 2];
        tmp[0] = xs[i] * t + 1.0;
        tmp[1] = tmp[0] * tmp[0];
        t = tmp[1] - tmp[0] * 0.5;
    }
    t
}

/// `vec![vec![0.0; n]; n]` written with two indices.
#[differentiate]
fn outer_product_shifted_trace(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut m = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            m[i][j] = xs[i] * xs[j];
        }
    }
    let mut s = 0.0;
    for i in 0..n {
        s += m[i][(i + 1) % n];
    }
    s
}

/// A sum over a local array that is modified between two sums, and sums inside a loop.
#[differentiate]
fn sums_of_local_arrays(x: f64) -> f64 {
    let mut a = [0.0; 3];
    a[0] = x;
    a[1] = x * x;
    a[2] = x * x * x;
    let s1: f64 = a.iter().sum();
    a[1] = s1 * x;
    let s2: f64 = a.iter().map(|v| v * v).sum();
    s1 * s2
}

#[differentiate]
fn running_sums(xs: &[f64]) -> f64 {
    let mut a = vec![0.0; xs.len()];
    let mut t = 0.0;
    for i in 0..xs.len() {
        a[i] = xs[i] * xs[i];
        let s: f64 = a.iter().sum();
        t += s * xs[i];
    }
    t
}

#[test]
fn local_arrays_in_loops() {
    let xs = [0.5, 1.5, -0.7, 1.1];
    let (value, grad) = array_per_iteration_grad(&xs);
    assert_eq!(value, array_per_iteration(&xs));
    assert_fd(array_per_iteration, &xs, &grad.xs);

    let (value, grad) = outer_product_shifted_trace_grad(&xs);
    assert_eq!(value, outer_product_shifted_trace(&xs));
    assert_fd(outer_product_shifted_trace, &xs, &grad.xs);

    let (value, grad) = sums_of_local_arrays_grad(0.7);
    assert_eq!(value, sums_of_local_arrays(0.7));
    assert_fd(|p| sums_of_local_arrays(p[0]), &[0.7], &[grad.x]);

    let (value, grad) = running_sums_grad(&xs);
    assert_eq!(value, running_sums(&xs));
    assert_fd(running_sums, &xs, &grad.xs);
}

// ---- branches and match -------------------------------------------------------------

#[differentiate]
fn abs_value(x: f64) -> f64 {
    if x < 0.0 {
        -x
    } else {
        x
    }
}

/// The same as a statement that rewrites a variable on one side only.
#[differentiate]
fn abs_statement(x: f64) -> f64 {
    let mut y = x;
    if y < 0.0 {
        y = -y;
    }
    3.0 * y
}

#[test]
fn abs_written_as_a_branch() {
    for (x, slope) in [(-2.5, -1.0), (-1e-3, -1.0), (0.5, 1.0), (4.0, 1.0)] {
        let (value, grad) = abs_value_grad(x);
        assert_eq!(value, abs_value(x));
        assert_eq!((value, grad.x), (x.abs(), slope));
        let (value, grad) = abs_statement_grad(x);
        assert_eq!(value, abs_statement(x));
        assert_eq!((value, grad.x), (3.0 * x.abs(), 3.0 * slope));
    }
    // At 0 the `else` branch is taken: slope +1.
    assert_eq!(abs_value_grad(0.0).1.x, 1.0);
}

#[differentiate]
fn piecewise(x: f64) -> f64 {
    if x < 0.0 {
        -x
    } else if x < 1.0 {
        x * x
    } else {
        2.0 * x - 1.0
    }
}

#[test]
fn piecewise_function_with_else_if() {
    for x in [-3.0, -0.5, 0.0, 0.25, 0.99, 1.0, 7.5] {
        let (value, grad) = piecewise_grad(x);
        assert_eq!(value, piecewise(x));
        let expected = if x < 0.0 {
            -1.0
        } else if x < 1.0 {
            2.0 * x
        } else {
            2.0
        };
        assert_eq!(grad.x, expected, "at {x}");
    }
}

/// `match` on an integer mode: constants, alternatives, a range, and a catch-all arm.
#[differentiate]
fn by_mode(x: f64, mode: u8) -> f64 {
    match mode {
        0 => x * x,
        1 | 2 => x.sin(),
        3..=5 => {
            let y = x * 3.0;
            y.exp()
        }
        _ => 1.0,
    }
}

/// `match` on a bool, as the value of a `let` and of an assignment.
#[differentiate]
fn by_flag(x: f64, flag: bool) -> f64 {
    let mut y = match flag {
        true => x.exp(),
        false => x * x * x,
    };
    y = match flag {
        true => y * 2.0,
        false => y + x,
    };
    y
}

#[test]
fn match_on_an_integer_and_on_a_bool() {
    let x = 0.7;
    for mode in 0..8u8 {
        let (value, grad) = by_mode_grad(x, mode);
        assert_eq!(value, by_mode(x, mode));
        let expected = match mode {
            0 => 2.0 * x,
            1 | 2 => x.cos(),
            3..=5 => 3.0 * (3.0 * x).exp(),
            _ => 0.0,
        };
        assert_close(&[grad.x], &[expected], 1e-15);
    }
    let (value, grad) = by_flag_grad(x, true);
    assert_eq!(value, by_flag(x, true));
    assert_close(&[grad.x], &[2.0 * x.exp()], 1e-15);
    let (value, grad) = by_flag_grad(x, false);
    assert_eq!(value, by_flag(x, false));
    assert_close(&[grad.x], &[3.0 * x * x + 1.0], 1e-15);
}

/// A numerically stable softmax cross-entropy: the max is found with a branch in a loop.
#[differentiate]
fn softmax_nll(z: &[f64], label: usize) -> f64 {
    let mut m = z[0];
    for i in 1..z.len() {
        if z[i] > m {
            m = z[i];
        }
    }
    let mut s = 0.0;
    for v in z.iter() {
        s += (v - m).exp();
    }
    m + s.ln() - z[label]
}

/// ∂/∂zᵢ = softmax(z)ᵢ − [i = label].
fn softmax_nll_gradient(z: &[f64], label: usize) -> Vec<f64> {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter()
        .enumerate()
        .map(|(i, e)| e / s - if i == label { 1.0 } else { 0.0 })
        .collect()
}

#[test]
fn stable_softmax_log_likelihood() {
    let z = [0.5, 2.0, -1.0, 1.0];
    for label in 0..4 {
        let (value, grad) = softmax_nll_grad(&z, label);
        assert_eq!(value, softmax_nll(&z, label));
        assert_close(&grad.z, &softmax_nll_gradient(&z, label), 1e-15);
        assert_fd(|p| softmax_nll(p, label), &z, &grad.z);
    }
    // Logits where exp would overflow without the max subtraction.
    let z = [1000.0, 1001.0, 999.0];
    let (value, grad) = softmax_nll_grad(&z, 0);
    assert!(value.is_finite());
    assert_close(&grad.z, &softmax_nll_gradient(&z, 0), 1e-15);
    assert!((grad.z.iter().sum::<f64>()).abs() < 1e-15);
    // The max in the first element: the loop's branch is never taken.
    let z = [3.0, 1.0, 2.0];
    assert_close(
        &softmax_nll_grad(&z, 1).1.z,
        &softmax_nll_gradient(&z, 1),
        1e-15,
    );
}

// ---- loops: while, loop, break, continue, early return --------------------------------

/// Newton's iteration for √a, a fixed number of steps with a `while` and a counter.
#[differentiate]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a;
    let mut k = 0;
    while k < 30 {
        x = 0.5 * (x + a / x);
        k += 1;
    }
    x
}

/// The same until converged: the condition depends on the active value.
#[differentiate]
fn newton_sqrt_converged(a: f64) -> f64 {
    let mut x = if a > 1.0 { a } else { 1.0 };
    while (x * x - a).abs() > 1e-14 * a {
        x = 0.5 * (x + a / x);
    }
    x
}

#[test]
fn newton_iteration_in_a_while_loop() {
    for a in [0.25, 2.0, 10.0, 1234.5] {
        let (value, grad) = newton_sqrt_grad(a);
        assert_eq!(value, newton_sqrt(a));
        assert_close(&[value], &[a.sqrt()], 1e-15);
        assert_close(&[grad.a], &[0.5 / a.sqrt()], 1e-12);
        let (value, grad) = newton_sqrt_converged_grad(a);
        assert_eq!(value, newton_sqrt_converged(a));
        assert_close(&[grad.a], &[0.5 / a.sqrt()], 1e-9);
    }
}

/// A `while` whose condition fails at once: zero iterations.
#[differentiate]
fn halve_while_large(x: f64) -> f64 {
    let mut y = x;
    while y > 10.0 {
        y = y * 0.5;
    }
    y * y
}

#[test]
fn while_loop_with_zero_or_more_iterations() {
    // 3 < 10: no iteration, d(x²) = 2x.
    assert_eq!(
        halve_while_large_grad(3.0),
        (halve_while_large(3.0), HalveWhileLargeGrad { x: 6.0 })
    );
    // 30 → 15 → 7.5: y = x/4, d(y²)/dx = x/8.
    let (value, grad) = halve_while_large_grad(30.0);
    assert_eq!(value, 56.25);
    assert_eq!(grad.x, 3.75);
}

/// `loop` with `break` after a value-dependent number of iterations.
#[differentiate]
fn grow_until(x: f64, rate: f64) -> f64 {
    let mut v = x;
    loop {
        v = v * rate;
        if v > 100.0 {
            break;
        }
    }
    v
}

#[test]
fn loop_with_break() {
    for (x, rate) in [(1.0, 1.5), (3.7, 2.0), (150.0, 1.1)] {
        let (value, grad) = grow_until_grad(x, rate);
        assert_eq!(value, grow_until(x, rate));
        // v = x·rateᵏ for the first k ≥ 1 with v > 100.
        let mut k = 1;
        while x * rate.powi(k) <= 100.0 {
            k += 1;
        }
        assert_close(&[grad.x], &[rate.powi(k)], 1e-14);
        assert_close(&[grad.rate], &[k as f64 * x * rate.powi(k - 1)], 1e-14);
    }
}

/// `break` when the first iteration ends; statements after the `break` check too.
#[differentiate]
fn break_on_first_iteration(x: f64) -> f64 {
    let mut a = x;
    let mut b = 0.0;
    for i in 0..10 {
        b = b + a * a;
        if i == 0 {
            break;
        }
        a = a * 1.5;
    }
    a * b
}

/// `loop` whose `break` comes after an update and before another one.
#[differentiate]
fn accumulate_until(x: f64) -> f64 {
    let mut a = x;
    let mut b = 0.0;
    loop {
        b = b + a;
        if b > 5.0 {
            break;
        }
        a = a * 1.5;
    }
    a * b
}

#[test]
fn break_on_the_first_iteration_and_later() {
    let (value, grad) = break_on_first_iteration_grad(0.7);
    assert_eq!(value, break_on_first_iteration(0.7));
    assert_eq!(grad.x, 3.0 * 0.7 * 0.7); // a·b = x³
    for x in [0.3, 1.0, 7.0] {
        let (value, grad) = accumulate_until_grad(x);
        assert_eq!(value, accumulate_until(x));
        assert_fd(|p| accumulate_until(p[0]), &[x], &[grad.x]);
    }
}

/// `continue` skips negatives; `break` once the sum is large.
#[differentiate]
fn skip_negatives(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs.iter() {
        if *x < 0.0 {
            continue;
        }
        s += x * x;
        if s > 10.0 {
            break;
        }
    }
    s
}

/// `continue` on every iteration: the code after it never runs.
#[differentiate]
fn continue_every_time(x: f64) -> f64 {
    let mut p = x;
    for i in 0..10 {
        if i < 100 {
            p = p * x.cos();
            continue;
        }
        p = p * 2.0;
    }
    p
}

/// `continue` in a `while` loop, after the counter's update.
#[differentiate]
fn while_with_continue(xs: &[f64]) -> f64 {
    let mut i = 0;
    let mut s = 0.0;
    while i < xs.len() {
        i += 1;
        if xs[i - 1] < 0.0 {
            continue;
        }
        s = s * 0.5 + xs[i - 1];
    }
    s
}

#[test]
fn continue_in_for_and_while() {
    let xs = [1.0, -2.0, 2.5, 1.5, 3.0];
    let (value, grad) = skip_negatives_grad(&xs);
    assert_eq!(value, skip_negatives(&xs));
    // 1 + 6.25 + 2.25 = 9.5, then + 9 > 10: break after adding 3.0.
    assert_eq!(grad.xs, vec![2.0, 0.0, 5.0, 3.0, 6.0]);
    let (value, grad) = skip_negatives_grad(&[-1.0, -2.0]);
    assert_eq!((value, grad.xs), (0.0, vec![0.0, 0.0]));

    let x: f64 = 0.7;
    let (value, grad) = continue_every_time_grad(x);
    assert_eq!(value, continue_every_time(x));
    // x cos(x)¹⁰: d = cos¹⁰ − 10 x cos⁹ sin.
    let expected = x.cos().powi(10) - 10.0 * x * x.cos().powi(9) * x.sin();
    assert_close(&[grad.x], &[expected], 1e-14);

    let xs = [0.5, 1.5, -0.7, 1.1];
    let (value, grad) = while_with_continue_grad(&xs);
    assert_eq!(value, while_with_continue(&xs));
    assert_eq!(grad.xs, vec![0.25, 0.5, 0.0, 1.0]);
}

/// An early `return` from inside a loop.
#[differentiate]
fn first_big(xs: &[f64], t: f64) -> f64 {
    for i in 0..xs.len() {
        if xs[i] * t > 1.0 {
            return xs[i] * xs[i] * t;
        }
    }
    t
}

#[test]
fn early_return_from_a_loop_when_it_triggers_and_when_it_does_not() {
    let xs = [0.3, 0.9, 1.7, 2.0];
    // Triggers at index 2 (1.7 · 0.8 > 1): value xs[2]² t.
    let (value, grad) = first_big_grad(&xs, 0.8);
    assert_eq!(value, first_big(&xs, 0.8));
    assert_close(&[value], &[1.7 * 1.7 * 0.8], 1e-15);
    assert_close(&grad.xs, &[0.0, 0.0, 2.0 * 1.7 * 0.8, 0.0], 1e-15);
    assert_close(&[grad.t], &[1.7 * 1.7], 1e-15);
    // Never triggers: the value is t.
    let (value, grad) = first_big_grad(&xs, 0.1);
    assert_eq!((value, grad.t), (0.1, 1.0));
    assert_eq!(grad.xs, vec![0.0; 4]);
    // Triggers on the first element.
    let (value, grad) = first_big_grad(&xs, 5.0);
    assert_eq!(value, first_big(&xs, 5.0));
    assert_close(&grad.xs, &[2.0 * 0.3 * 5.0, 0.0, 0.0, 0.0], 1e-15);
    // An empty slice: the loop does not run.
    assert_eq!(
        first_big_grad(&[], 0.4),
        (0.4, FirstBigGrad { xs: vec![], t: 1.0 })
    );
}

/// A `return` from an inner loop ends both loops.
#[differentiate]
fn return_from_nested_loops(xs: &[f64], t: f64) -> f64 {
    let mut acc = 0.0;
    for i in 0..xs.len() {
        for j in 0..xs.len() {
            acc += xs[i] * xs[j] * t;
            if acc > 5.0 {
                return acc * t;
            }
        }
    }
    acc
}

/// `return` inside `while` inside `for` inside an `if`.
#[differentiate]
fn return_deep_inside(x: f64, deep: bool) -> f64 {
    let mut s = x;
    if deep {
        let mut k = 0;
        while k < 5 {
            for _ in 0..3 {
                s = s * 1.1 + x;
                if s > 20.0 {
                    return s * x;
                }
            }
            k += 1;
        }
    }
    s * s
}

/// A `return` from the outer loop after an inner loop ran; a constant `return`.
#[differentiate]
fn return_after_inner_loop(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        if xs[i] < -10.0 {
            return 0.0;
        }
        let mut p = 1.0;
        for j in 0..i {
            p *= xs[j];
        }
        s += p;
        if s > 4.0 {
            return s * xs[i];
        }
        s = s * 0.9;
    }
    s
}

/// `return` in `match` arms inside a loop.
#[differentiate]
fn return_in_match(x: f64, mode: u8) -> f64 {
    let mut y = x;
    for _ in 0..4 {
        match mode {
            0 => return y * 2.0,
            1 => y = y * x,
            _ => {
                if y > 3.0 {
                    return y;
                }
                y = y + x;
            }
        }
    }
    y.sin()
}

/// An early `return` at the top level, outside any loop.
#[differentiate]
fn return_at_top_level(x: f64) -> f64 {
    if x > 0.0 {
        return x * x;
    }
    x.sin()
}

#[test]
fn early_returns_from_nested_constructs() {
    let xs = [0.3, 0.9, 1.2];
    for t in [0.5, 3.0] {
        let (value, grad) = return_from_nested_loops_grad(&xs, t);
        assert_eq!(value, return_from_nested_loops(&xs, t));
        assert_fd(
            |p| return_from_nested_loops(&p[..3], p[3]),
            &concat(&[&xs, &[t]]),
            &concat(&[&grad.xs, &[grad.t]]),
        );
    }
    for deep in [false, true] {
        for x in [0.5, 3.0] {
            let (value, grad) = return_deep_inside_grad(x, deep);
            assert_eq!(value, return_deep_inside(x, deep));
            assert_fd(|p| return_deep_inside(p[0], deep), &[x], &[grad.x]);
        }
    }
    for xs in [
        [1.5, 2.5, 0.9, 1.1, 0.7],
        [0.5, 0.2, 0.1, -0.3, 0.4],
        [0.5, -20.0, 1.0, 1.0, 1.0],
    ] {
        let (value, grad) = return_after_inner_loop_grad(&xs);
        assert_eq!(value, return_after_inner_loop(&xs));
        assert_fd(return_after_inner_loop, &xs, &grad.xs);
    }
    for mode in 0..3 {
        for x in [0.7, 1.4] {
            let (value, grad) = return_in_match_grad(x, mode);
            assert_eq!(value, return_in_match(x, mode));
            assert_fd(|p| return_in_match(p[0], mode), &[x], &[grad.x]);
        }
    }
    for (x, slope) in [(1.5, 3.0), (-0.5, (-0.5f64).cos())] {
        let (value, grad) = return_at_top_level_grad(x);
        assert_eq!((value, grad.x), (return_at_top_level(x), slope));
    }
}

// ---- carried variables ----------------------------------------------------------------

/// Two carried variables exchanged through a temporary (`let t = a; a = ..; b = t;`).
#[differentiate]
fn rotate_through_temporary(x: f64, y: f64, n: usize) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..n {
        let t = a;
        a = b * 0.5 + a.sin();
        b = t;
    }
    a * b
}

/// A pure swap: the values only move.
#[differentiate]
fn pure_swap(x: f64, y: f64, n: usize) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..n {
        let t = a;
        a = b;
        b = t;
    }
    a * 2.0 + b * b * b
}

/// Fibonacci-like recurrence in a `while`.
#[differentiate]
fn fibonacci_like(x: f64, y: f64) -> f64 {
    let mut a = x;
    let mut b = y;
    let mut k = 0;
    while k < 6 {
        let c = a + b * 0.5;
        a = b;
        b = c;
        k += 1;
    }
    a * b
}

/// A carried variable overwritten (not updated) each iteration: only the last counts.
#[differentiate]
fn overwritten_each_iteration(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s = x * (i as f64 + 1.0);
    }
    s * s
}

/// Shadowing inside the loop body with new names, and a shadowed parameter.
#[differentiate]
fn shadowing_in_loop(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        let x = x * (i as f64 + 1.0);
        let x = x.sin();
        let t = s * x;
        let t = t.cos();
        s = t + s;
    }
    s + x
}

#[test]
fn carried_variables_swapped_overwritten_shadowed() {
    for n in [0usize, 1, 2, 3, 6] {
        let (value, grad) = rotate_through_temporary_grad(0.7, -0.4, n);
        assert_eq!(value, rotate_through_temporary(0.7, -0.4, n));
        assert_fd(
            |p| rotate_through_temporary(p[0], p[1], n),
            &[0.7, -0.4],
            &[grad.x, grad.y],
        );

        let (value, grad) = pure_swap_grad(0.7, 1.3, n);
        assert_eq!(value, pure_swap(0.7, 1.3, n));
        let (dx, dy) = if n % 2 == 0 {
            (2.0, 3.0 * 1.3 * 1.3)
        } else {
            (3.0 * 0.7 * 0.7, 2.0)
        };
        assert_close(&[grad.x, grad.y], &[dx, dy], 1e-15);

        let (value, grad) = overwritten_each_iteration_grad(0.7, n);
        assert_eq!(value, overwritten_each_iteration(0.7, n));
        let k = n as f64;
        assert_close(&[grad.x], &[2.0 * 0.7 * k * k], 1e-15);

        let (value, grad) = shadowing_in_loop_grad(0.7, n);
        assert_eq!(value, shadowing_in_loop(0.7, n));
        assert_fd(|p| shadowing_in_loop(p[0], n), &[0.7], &[grad.x]);
    }
    let (value, grad) = fibonacci_like_grad(0.7, 1.3);
    assert_eq!(value, fibonacci_like(0.7, 1.3));
    assert_fd(
        |p| fibonacci_like(p[0], p[1]),
        &[0.7, 1.3],
        &[grad.x, grad.y],
    );
}

/// Ifs nested in a loop, on carried values and on the index.
#[differentiate]
fn branches_in_loop(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..6 {
        if i % 2 == 0 {
            if s > 1.0 {
                s = s * x;
            } else {
                s = s + y * x;
            }
        } else {
            s = s * y;
        }
    }
    s
}

/// An `if` used as a value, inside a loop, on the carried value.
#[differentiate]
fn value_if_in_loop(x: f64) -> f64 {
    let mut s = x;
    for _ in 0..6 {
        s = if s > 1.0 { s * 0.5 } else { s * x + 0.3 };
    }
    s
}

/// One carried variable updated on one side of a branch only.
#[differentiate]
fn updated_on_even_iterations(x: f64) -> f64 {
    let mut s = x;
    let mut t = 1.0;
    for i in 0..5 {
        if i % 2 == 0 {
            t = t * s;
        }
        s = s * 0.9 + 0.1;
    }
    t + s
}

/// Loops inside the branches of an `if`.
#[differentiate]
fn loops_in_branches(x: f64, y: f64) -> f64 {
    let mut s = x;
    if x > 0.0 {
        for _ in 0..3 {
            s = s * y;
        }
    } else {
        let mut k = 0;
        while k < 2 {
            s = s + y * s;
            k += 1;
        }
    }
    s
}

/// A `match` used as the new value of a carried variable.
#[differentiate]
fn match_in_loop(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s = match i % 3 {
            0 => s + xs[i],
            1 => s * xs[i],
            _ => {
                let t = s - xs[i];
                t * t
            }
        };
    }
    s
}

/// `break` from a `match` arm.
#[differentiate]
fn break_in_match(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        match i {
            3 => break,
            _ => s += xs[i] * xs[i],
        }
    }
    s
}

/// A branch on active values whose value is data: no derivative through the condition.
#[differentiate]
fn count_above(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..5 {
        if x * (i as f64) > y {
            s += 1.0;
        } else {
            s += y;
        }
    }
    s
}

#[test]
fn branches_and_loops_nested_both_ways() {
    for (x, y) in [(0.7, 1.3), (2.0, 0.9), (-0.5, 1.5)] {
        let (value, grad) = branches_in_loop_grad(x, y);
        assert_eq!(value, branches_in_loop(x, y));
        assert_fd(|p| branches_in_loop(p[0], p[1]), &[x, y], &[grad.x, grad.y]);
        let (value, grad) = loops_in_branches_grad(x, y);
        assert_eq!(value, loops_in_branches(x, y));
        assert_fd(
            |p| loops_in_branches(p[0], p[1]),
            &[x, y],
            &[grad.x, grad.y],
        );
    }
    for x in [0.3, 0.9, 1.7, 3.0] {
        let (value, grad) = value_if_in_loop_grad(x);
        assert_eq!(value, value_if_in_loop(x));
        assert_fd(|p| value_if_in_loop(p[0]), &[x], &[grad.x]);
    }
    let (value, grad) = updated_on_even_iterations_grad(0.7);
    assert_eq!(value, updated_on_even_iterations(0.7));
    assert_fd(|p| updated_on_even_iterations(p[0]), &[0.7], &[grad.x]);

    let xs = [1.5, 2.5, 0.9, 1.1, 0.7];
    let (value, grad) = match_in_loop_grad(&xs);
    assert_eq!(value, match_in_loop(&xs));
    assert_fd(match_in_loop, &xs, &grad.xs);
    let (value, grad) = break_in_match_grad(&xs);
    assert_eq!(value, break_in_match(&xs));
    assert_eq!(grad.xs, vec![3.0, 5.0, 1.8, 0.0, 0.0]);

    let (value, grad) = count_above_grad(0.7, 1.3);
    assert_eq!(value, count_above(0.7, 1.3));
    // x·i > 1.3 for i = 2, 3, 4: s = 1.3·2 + 3.
    assert_eq!((grad.x, grad.y), (0.0, 2.0));
}

/// Inner loops whose range depends on the outer index, with `break` and `continue`.
#[differentiate]
fn triangular(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        for j in 0..i {
            s += xs[i] * xs[j];
        }
    }
    s
}

#[differentiate]
fn inner_break(xs: &[f64], t: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let mut p = 1.0;
        for j in 0..xs.len() {
            p *= xs[j] * t;
            if j >= i {
                break;
            }
        }
        s += p;
    }
    s
}

#[differentiate]
fn inner_continue(xs: &[f64], t: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        for j in 0..xs.len() {
            if j == i {
                continue;
            }
            s = s * 0.5 + xs[i] * xs[j] * t;
        }
    }
    s
}

#[test]
fn nested_loops_with_exits() {
    let xs = [0.5, 1.5, -0.7, 1.1, 0.9];
    let (value, grad) = triangular_grad(&xs);
    assert_eq!(value, triangular(&xs));
    // Σ_{j<i} xᵢxⱼ: ∂/∂xₖ = Σ_{j≠k} xⱼ.
    let total: f64 = xs.iter().sum();
    let expected: Vec<f64> = xs.iter().map(|x| total - x).collect();
    assert_close(&grad.xs, &expected, 1e-15);

    let p = concat(&[&xs, &[0.8]]);
    let (value, grad) = inner_break_grad(&xs, 0.8);
    assert_eq!(value, inner_break(&xs, 0.8));
    assert_fd(
        |q| inner_break(&q[..5], q[5]),
        &p,
        &concat(&[&grad.xs, &[grad.t]]),
    );
    let (value, grad) = inner_continue_grad(&xs, 0.8);
    assert_eq!(value, inner_continue(&xs, 0.8));
    assert_fd(
        |q| inner_continue(&q[..5], q[5]),
        &p,
        &concat(&[&grad.xs, &[grad.t]]),
    );
}

// ---- iteration forms ----------------------------------------------------------------

/// `.iter()`, `.copied()`, `&x` patterns, `.enumerate()` and `.zip(..)`.
#[differentiate]
fn element_loops(xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, x) in xs.iter().enumerate() {
        s += x * (i as f64);
    }
    for (x, y) in xs.iter().zip(ys.iter()) {
        s += x * y;
    }
    for x in xs.iter().copied() {
        s += x * x;
    }
    for &y in ys.iter() {
        s += y.sin();
    }
    for x in xs {
        s += 0.5 * x;
    }
    s
}

#[test]
fn iterating_over_elements() {
    let xs = [0.5, 1.5, -0.7, 1.1];
    let ys = [1.5, 2.5, 0.9, 1.1];
    let (value, grad) = element_loops_grad(&xs, &ys);
    assert_eq!(value, element_loops(&xs, &ys));
    let dxs: Vec<f64> = (0..4)
        .map(|i| i as f64 + ys[i] + 2.0 * xs[i] + 0.5)
        .collect();
    let dys: Vec<f64> = (0..4).map(|i| xs[i] + ys[i].cos()).collect();
    assert_close(&grad.xs, &dxs, 1e-15);
    assert_close(&grad.ys, &dys, 1e-15);
}

/// `.rev()`, `.step_by(2)`, `a..=b`, and their combinations.
#[differentiate]
fn range_forms(xs: &[f64], n: usize) -> f64 {
    let mut s = 0.0;
    for i in (0..xs.len()).rev() {
        s = s * 0.5 + xs[i];
    }
    for i in (0..xs.len()).step_by(2) {
        s += xs[i] * xs[i];
    }
    for i in 1..=n {
        s += xs[i] * xs[i - 1];
    }
    for i in (0..xs.len()).rev().step_by(3) {
        s += 3.0 * xs[i];
    }
    for i in (0..=n).rev() {
        s = s * 0.9 + xs[i];
    }
    s
}

/// `.rev()` and `.step_by(k)` with a `break`, which the reverse sweep replays by count.
#[differentiate]
fn rev_with_break(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..xs.len()).rev() {
        s = s * xs[i] + 1.0;
        if s > 3.0 {
            break;
        }
    }
    s
}

#[differentiate]
fn step_with_break(xs: &[f64], k: usize) -> f64 {
    let mut s = 0.0;
    for i in (1..xs.len()).step_by(k) {
        s = s * xs[i] + xs[i - 1];
        if s > 2.0 {
            break;
        }
    }
    s
}

#[differentiate]
fn inclusive_with_break(xs: &[f64], n: usize) -> f64 {
    let mut s = 1.0;
    for i in 0..=n {
        s = s * xs[i];
        if s > 2.0 {
            break;
        }
    }
    s
}

/// A range that is empty, and one from a variable to `len() - 1 - i` indices.
#[differentiate]
fn empty_and_computed_indices(xs: &[f64]) -> f64 {
    let mut s = xs[0];
    for i in 3..1 {
        s *= xs[i];
    }
    let n = xs.len();
    for i in 0..n {
        s += xs[n - 1 - i] * (i as f64 + 1.0);
    }
    s * xs[xs.len() - 1]
}

/// A `while` over an integer index carried by the loop.
#[differentiate]
fn every_other_while(xs: &[f64]) -> f64 {
    let mut j = 0;
    let mut s = 0.0;
    while j < xs.len() {
        s += xs[j] * xs[j] * (j as f64 + 1.0);
        j += 2;
    }
    s
}

#[test]
fn range_loops_reversed_stepped_inclusive() {
    let xs = [1.5, 2.5, 0.9, 1.1, 0.7, -0.4, 0.3];
    for n in [0, 1, 4] {
        let (value, grad) = range_forms_grad(&xs, n);
        assert_eq!(value, range_forms(&xs, n));
        assert_fd(|p| range_forms(p, n), &xs, &grad.xs);
        let (value, grad) = inclusive_with_break_grad(&xs, n);
        assert_eq!(value, inclusive_with_break(&xs, n));
        assert_fd(|p| inclusive_with_break(p, n), &xs, &grad.xs);
    }
    let (value, grad) = rev_with_break_grad(&xs);
    assert_eq!(value, rev_with_break(&xs));
    assert_fd(rev_with_break, &xs, &grad.xs);
    for k in [1, 2, 3] {
        let (value, grad) = step_with_break_grad(&xs, k);
        assert_eq!(value, step_with_break(&xs, k));
        assert_fd(|p| step_with_break(p, k), &xs, &grad.xs);
    }
    let (value, grad) = empty_and_computed_indices_grad(&xs);
    assert_eq!(value, empty_and_computed_indices(&xs));
    assert_fd(empty_and_computed_indices, &xs, &grad.xs);
    let (value, grad) = every_other_while_grad(&xs);
    assert_eq!(value, every_other_while(&xs));
    let expected: Vec<f64> = (0..7)
        .map(|j| {
            if j % 2 == 0 {
                2.0 * xs[j] * (j as f64 + 1.0)
            } else {
                0.0
            }
        })
        .collect();
    assert_close(&grad.xs, &expected, 1e-15);
}

/// `.map(..).sum()` with a captured active value, nested sums, `.product()`.
#[differentiate]
fn reductions(xs: &[f64], ys: &[f64], w: f64) -> f64 {
    let a = xs.iter().map(|v| (v * w).sin()).sum::<f64>();
    let b: f64 = xs
        .iter()
        .map(|p| ys.iter().map(|q| (p - q) * (p - q)).sum::<f64>())
        .sum();
    let c: f64 = ys.iter().sum();
    let d = xs.iter().map(|v| v * v).sum::<f64>();
    a + b * c + d
}

#[differentiate]
fn product(xs: &[f64]) -> f64 {
    xs.iter().product::<f64>()
}

#[test]
fn sums_and_products_over_iterators() {
    let xs = [0.5, 1.5, -0.7, 1.1];
    let ys = [0.2, -0.3, 0.9];
    let (value, grad) = reductions_grad(&xs, &ys, 0.7);
    assert_eq!(value, reductions(&xs, &ys, 0.7));
    assert_fd(
        |p| reductions(&p[..4], &p[4..7], p[7]),
        &concat(&[&xs, &ys, &[0.7]]),
        &concat(&[&grad.xs, &grad.ys, &[grad.w]]),
    );
    // The product rule, also with zeros (no division by an element).
    for zs in [[1.5, -0.5, 2.0], [1.5, 0.0, 2.0], [0.0, 0.0, 2.0]] {
        let (value, grad) = product_grad(&zs);
        assert_eq!(value, product(&zs));
        let expected = [zs[1] * zs[2], zs[0] * zs[2], zs[0] * zs[1]];
        assert_close(&grad.xs, &expected, 1e-15);
    }
    assert_eq!(product_grad(&[]), (1.0, ProductGrad { xs: vec![] }));
}

// ---- parameter types ------------------------------------------------------------------

#[differentiate]
fn owned_and_borrowed_vecs(xs: Vec<f64>, ys: &Vec<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += xs[i] * ys[i] * ys[i];
    }
    s
}

#[differentiate]
fn arrays(m: [[f64; 2]; 2], v: &[f64; 2], w: [f64; 2]) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        for j in 0..2 {
            s += m[i][j] * v[j] * w[i];
        }
    }
    s
}

/// A row copied out of a nested array, and a row iterated over.
#[differentiate]
fn rows(m: &[[f64; 3]; 2], x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        let row = m[i];
        for j in 0..3 {
            s += row[j] * x;
        }
        for v in m[i].iter() {
            s += v * v * x;
        }
    }
    s
}

#[test]
fn vec_array_and_nested_array_parameters() {
    let xs = vec![0.5, 1.5, -0.7];
    let ys = vec![1.5, 2.5, 0.9];
    let (value, grad) = owned_and_borrowed_vecs_grad(xs.clone(), &ys);
    assert_eq!(value, owned_and_borrowed_vecs(xs.clone(), &ys));
    let dxs: Vec<f64> = ys.iter().map(|y| y * y).collect();
    let dys: Vec<f64> = (0..3).map(|i| 2.0 * xs[i] * ys[i]).collect();
    assert_close(&grad.xs, &dxs, 1e-15);
    assert_close(&grad.ys, &dys, 1e-15);

    let m = [[1.0, 2.0], [0.5, -1.0]];
    let (v, w) = ([0.3, 0.7], [1.5, -0.5]);
    let (value, grad) = arrays_grad(m, &v, w);
    assert_eq!(value, arrays(m, &v, w));
    // s = wᵀ M v.
    assert_eq!(
        grad.m,
        [[w[0] * v[0], w[0] * v[1]], [w[1] * v[0], w[1] * v[1]]]
    );
    assert_eq!(
        grad.v,
        [
            w[0] * m[0][0] + w[1] * m[1][0],
            w[0] * m[0][1] + w[1] * m[1][1]
        ]
    );
    assert_eq!(
        grad.w,
        [
            m[0][0] * v[0] + m[0][1] * v[1],
            m[1][0] * v[0] + m[1][1] * v[1]
        ]
    );

    let m = [[1.0, 2.0, 3.0], [0.5, -0.5, 0.25]];
    let (value, grad) = rows_grad(&m, 0.7);
    assert_eq!(value, rows(&m, 0.7));
    let flat: Vec<f64> = m.iter().flatten().copied().collect();
    assert_fd(
        |p| rows(&[[p[0], p[1], p[2]], [p[3], p[4], p[5]]], p[6]),
        &concat(&[&flat, &[0.7]]),
        &concat(&[grad.m.as_flattened(), &[grad.x]]),
    );
}

#[differentiate]
fn sum_of_squares_f32(xs: &[f32]) -> f32 {
    xs.iter().map(|v| v * v).sum::<f32>()
}

#[differentiate]
fn first_large_f32(xs: &[f32], t: f32) -> f32 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += xs[i] * t;
        if s > 2.0 {
            return s * s;
        }
    }
    s
}

#[differentiate]
fn local_array_f32(xs: &[f32; 3]) -> f32 {
    let mut a = [0.0f32; 3];
    for i in 0..3 {
        a[i] = xs[i] * 2.0;
    }
    a[0] * a[1] + a[2]
}

#[test]
fn f32_slices_and_arrays() {
    let xs = [0.5f32, -1.25, 2.0];
    let (value, grad) = sum_of_squares_f32_grad(&xs);
    assert_eq!(value, sum_of_squares_f32(&xs));
    assert_eq!(grad.xs, vec![1.0f32, -2.5, 4.0]);

    let ys = [0.5f32, 0.25, 1.0];
    let (value, grad) = first_large_f32_grad(&ys, 2.0);
    assert_eq!(value, first_large_f32(&ys, 2.0));
    // s = t·(y₀ + y₁ + y₂) = 3.5 > 2 at i = 2: value s², ∂/∂yᵢ = 2 s t, ∂/∂t = 2 s Σy.
    assert_eq!(value, 3.5 * 3.5);
    assert_eq!(grad.xs, vec![14.0f32; 3]);
    assert_eq!(grad.t, 2.0 * 3.5 * 1.75);

    let (value, grad) = local_array_f32_grad(&[1.0, 2.0, 3.0]);
    assert_eq!(value, local_array_f32(&[1.0, 2.0, 3.0]));
    assert_eq!(value, 14.0);
    assert_eq!(grad.xs, [8.0f32, 4.0, 2.0]);
}

// ---- simulation ---------------------------------------------------------------------

/// Explicit Euler for x″ = −k x − c x′ from x(0) = 1, x′(0) = v0: 1,000 steps of 0.01.
/// The loss is the squared distance of the final position from 0.3.
#[differentiate]
fn damped_spring(k: f64, c: f64, v0: f64) -> f64 {
    let dt = 0.01;
    let mut x = 1.0;
    let mut v = v0;
    for _ in 0..1000 {
        let a = -k * x - c * v;
        x += dt * v;
        v += dt * a;
    }
    (x - 0.3) * (x - 0.3)
}

#[test]
fn damped_spring_gradient_matches_finite_differences() {
    for (k, c, v0) in [(4.0, 0.5, 0.2), (1.0, 0.1, -1.0), (9.0, 2.0, 0.5)] {
        let (value, grad) = damped_spring_grad(k, c, v0);
        assert_eq!(value, damped_spring(k, c, v0));
        assert!(value > 1e-3, "a loss far from its minimum: {value}");
        assert_fd(
            |p| damped_spring(p[0], p[1], p[2]),
            &[k, c, v0],
            &[grad.k, grad.c, grad.v0],
        );
    }
}

// ---- properties ---------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn rosenbrock_closed_form_at_random_points(x in prop::collection::vec(-2.0..2.0f64, 1..40)) {
        let (value, grad) = rosenbrock_grad(&x);
        prop_assert_eq!(value, rosenbrock(&x));
        assert_close(&grad.x, &rosenbrock_gradient(&x), 1e-12);
    }

    #[test]
    fn horner_closed_form_at_random_points(
        c in prop::collection::vec(-3.0..3.0f64, 0..12),
        x in -1.5..1.5f64,
    ) {
        let (value, grad) = horner_grad(&c, x);
        prop_assert_eq!(value, horner(&c, x));
        let (dc, dx) = horner_gradient(&c, x);
        assert_close(&grad.c, &dc, 1e-13);
        assert_close(&[grad.x], &[dx], 1e-12);
    }

    #[test]
    fn power_closed_form(x in 0.2..2.0f64, n in 0usize..12) {
        let (value, grad) = power_grad(x, n);
        prop_assert_eq!(value, power(x, n));
        let expected = if n == 0 { 0.0 } else { n as f64 * x.powi(n as i32 - 1) };
        assert_close(&[grad.x], &[expected], 1e-13);
    }

    #[test]
    fn softmax_closed_form(z in prop::collection::vec(-5.0..5.0f64, 1..10), label in 0usize..10) {
        let label = label % z.len();
        let (value, grad) = softmax_nll_grad(&z, label);
        prop_assert_eq!(value, softmax_nll(&z, label));
        assert_close(&grad.z, &softmax_nll_gradient(&z, label), 1e-14);
    }

    #[test]
    fn cumulative_sum_closed_form(xs in prop::collection::vec(-3.0..3.0f64, 1..20)) {
        let (value, grad) = cumulative_sum_grad(&xs);
        prop_assert_eq!(value, cumulative_sum(&xs));
        assert_close(&grad.xs, &cumulative_sum_gradient(&xs), 1e-13);
    }

    #[test]
    fn sorting_gradient_is_a_permutation(xs in prop::collection::vec(-3.0..3.0f64, 1..10)) {
        let w: Vec<f64> = (0..xs.len()).map(|i| i as f64 + 1.0).collect();
        let (value, grad) = sorted_weighted_grad(&xs, &w);
        prop_assert_eq!(value, sorted_weighted(&xs, &w));
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        // Ties aside, element xᵢ lands at its rank.
        for (i, x) in xs.iter().enumerate() {
            if xs.iter().filter(|y| *y == x).count() == 1 {
                let rank = sorted.iter().position(|y| y == x).unwrap();
                assert_close(&[grad.xs[i]], &[2.0 * w[rank] * x], 1e-15);
            }
        }
    }

    #[test]
    fn damped_spring_at_random_parameters(k in 1.0..10.0f64, c in 0.1..2.0f64, v0 in -1.0..1.0f64) {
        let (value, grad) = damped_spring_grad(k, c, v0);
        prop_assert_eq!(value, damped_spring(k, c, v0));
        assert_fd(
            |p| damped_spring(p[0], p[1], p[2]),
            &[k, c, v0],
            &[grad.k, grad.c, grad.v0],
        );
    }

    #[test]
    fn early_return_at_random_points(xs in prop::collection::vec(0.0..2.0f64, 1..8), t in 0.1..2.0f64) {
        let (value, grad) = first_big_grad(&xs, t);
        prop_assert_eq!(value, first_big(&xs, t));
        let mut expected = vec![0.0; xs.len()];
        let mut dt = 1.0;
        if let Some(k) = xs.iter().position(|x| x * t > 1.0) {
            expected[k] = 2.0 * xs[k] * t;
            dt = xs[k] * xs[k];
        }
        assert_close(&grad.xs, &expected, 1e-15);
        assert_close(&[grad.t], &[dt], 1e-15);
    }
}
