//! `xs.windows(k)` whose windows are only indexed (`w[0]`, `w[1]`) is the index loop over
//! their starts (the pre-pass reads `w[e]` as `xs[s + e]`): no adjoint `Vec` per window.
//! Gradients against central differences and the index loop, `f_jvp` against ⟨v, ∇f⟩, and
//! allocations counted (the same as the index loop: for arrays none, since these loops
//! only accumulate and run fused; for slices, the gradient's own `Vec`).

use std::hint::black_box;

use num_traits::Float;
use tapeless::check::central_difference;
use tapeless::differentiate;

#[path = "support/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::{count_allocations, CountingAllocator};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// A smoothness penalty and a three-point stencil, by windows, as users write them.
#[differentiate]
fn roughness(x: &[f64; 8]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(3) {
        let curvature = w[0] - 2.0 * w[1] + w[2];
        s += curvature * curvature;
    }
    for (i, w) in x.windows(2).enumerate() {
        s += (i as f64 + 1.0) * (w[1] - w[0]).abs();
    }
    s + x.windows(2).map(|p| p[0] * p[1].sin()).sum::<f64>()
}

/// The same by index, for comparison.
#[differentiate]
#[allow(clippy::needless_range_loop)]
fn roughness_by_index(x: &[f64; 8]) -> f64 {
    let mut s = 0.0;
    for i in 0..6 {
        let curvature = x[i] - 2.0 * x[i + 1] + x[i + 2];
        s += curvature * curvature;
    }
    for i in 0..7 {
        s += (i as f64 + 1.0) * (x[i + 1] - x[i]).abs();
    }
    let mut t = 0.0;
    for i in 0..7 {
        t += x[i] * x[i + 1].sin();
    }
    s + t
}

/// Total variation of a slice, generic.
#[differentiate]
fn total_variation<T: Float + std::iter::Sum>(x: &[T]) -> T {
    x.windows(2).map(|w| (w[1] - w[0]).abs()).sum()
}

#[test]
fn windows_are_element_reads() {
    let x = [0.3, -0.4, 1.2, 0.8, -0.1, 0.5, 0.9, -0.7];
    let ((value, g), n) = count_allocations(|| roughness_grad(black_box(&x)));
    // None: each loop only accumulates, so its reverse iterations run inside its forward
    // ones (fused loops) and keep nothing; the gradient of an array is an array.
    assert_eq!(n, 0, "the gradient through windows allocated {n} times");
    let ((_, by_index), n_by_index) = count_allocations(|| roughness_by_index_grad(black_box(&x)));
    assert_eq!(n, n_by_index, "windows against the index loop");
    assert_eq!(value, roughness(&x));
    for (a, b) in g.x.iter().zip(&by_index.x) {
        assert!((a - b).abs() < 1e-12, "{:?} vs {:?}", g.x, by_index.x);
    }
    let numeric = central_difference(|p: &[f64]| roughness(&p.try_into().unwrap()), &x);
    for (a, n) in g.x.iter().zip(&numeric) {
        assert!(
            (a - n).abs() < 1e-6 * (1.0 + n.abs()),
            "{:?} vs {numeric:?}",
            g.x
        );
    }
    let direction = [0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7, -0.8];
    let (_, dy) = roughness_jvp(&x, &RoughnessGrad { x: direction });
    let expected: f64 = g.x.iter().zip(&direction).map(|(a, b)| a * b).sum();
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

#[test]
fn windows_of_a_slice_in_f64_and_f32() {
    let x = vec![0.3, -0.4, 1.2, 0.8, -0.1];
    // Only the gradient's own `Vec` is allocated.
    let ((value, g), n) = count_allocations(|| total_variation_grad(black_box(&x[..])));
    assert_eq!(n, 1, "allocations: {n}");
    assert_eq!(value, total_variation(&x));
    // Closed form: ∂/∂xᵢ = sign(xᵢ − xᵢ₋₁) − sign(xᵢ₊₁ − xᵢ).
    assert_eq!(g.x, vec![1.0, -2.0, 2.0, 0.0, -1.0]);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let (_, g) = total_variation_grad(&x32);
    assert_eq!(g.x, vec![1.0, -2.0, 2.0, 0.0, -1.0]);
}

/// Neighbouring pairs by `zip` with a `skip`, in a loop and a reduction.
#[differentiate]
fn neighbours(x: &[f64; 6], y: &[f64; 6]) -> f64 {
    let mut s = 0.0;
    for (a, b) in x.iter().zip(x.iter().skip(1)) {
        s += (b - a).powi(2);
    }
    for (&p, &q) in y.iter().skip(2).zip(x.iter()) {
        s += p * q.cos();
    }
    for (a, b) in x.iter().zip(&y[1..]) {
        s += a * b * b;
    }
    s += x[2..]
        .iter()
        .zip(y.iter())
        .map(|(a, b)| (a - b).exp())
        .sum::<f64>();
    s + x
        .iter()
        .copied()
        .zip(y.iter().copied().skip(1))
        .map(|(a, b)| a * b)
        .sum::<f64>()
}

#[test]
fn zips_with_an_offset_are_element_reads() {
    let x = [0.3, -0.4, 1.2, 0.8, -0.1, 0.5];
    let y = [0.9, -0.7, 0.2, 0.6, -0.3, 1.1];
    let ((value, g), n) = count_allocations(|| neighbours_grad(black_box(&x), black_box(&y)));
    // None: the loops are fused (see `windows_are_element_reads`), not one `Vec` per pair.
    assert_eq!(n, 0, "the gradient through offset zips allocated {n} times");
    assert_eq!(value, neighbours(&x, &y));
    let point: Vec<f64> = x.iter().chain(&y).copied().collect();
    let numeric = central_difference(
        |p: &[f64]| neighbours(&p[..6].try_into().unwrap(), &p[6..].try_into().unwrap()),
        &point,
    );
    let analytic: Vec<f64> = g.x.iter().chain(&g.y).copied().collect();
    for (a, n) in analytic.iter().zip(&numeric) {
        assert!(
            (a - n).abs() < 1e-6 * (1.0 + n.abs()),
            "{analytic:?} vs {numeric:?}"
        );
    }
    let (_, dy) = neighbours_jvp(
        &x,
        &y,
        &NeighboursGrad {
            x: [1.0; 6],
            y: [0.5; 6],
        },
    );
    let expected: f64 = g.x.iter().sum::<f64>() + 0.5 * g.y.iter().sum::<f64>();
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

/// Offset zips of the rows of a `&[Vec<f64>]` (elements read by reference).
#[differentiate]
#[allow(clippy::needless_range_loop)]
fn row_steps(rows: &[Vec<f64>]) -> f64 {
    let mut s = 0.0;
    for (prev, next) in rows.iter().zip(rows.iter().skip(1)) {
        for j in 0..prev.len() {
            s += (next[j] - prev[j]).powi(2);
        }
    }
    s
}

#[test]
fn offset_zips_of_rows() {
    let rows = vec![vec![0.1, 0.5], vec![0.7, -0.2], vec![1.0, 0.3]];
    let (value, g) = row_steps_grad(&rows);
    assert_eq!(value, row_steps(&rows));
    // Closed form: 2(r₁ − r₀) against r₀, and so on.
    let expected = [
        vec![-1.2, 1.4],
        vec![2.0 * 0.6 - 2.0 * 0.3, 2.0 * -0.7 - 2.0 * 0.5],
        vec![0.6, 1.0],
    ];
    for (g, e) in g.rows.iter().zip(&expected) {
        for (a, b) in g.iter().zip(e) {
            assert!((a - b).abs() < 1e-12, "{:?} vs {expected:?}", g);
        }
    }
}
