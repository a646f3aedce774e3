//! `xs.windows(k)` whose windows are only indexed (`w[0]`, `w[1]`) is the index loop over
//! their starts (the pre-pass reads `w[e]` as `xs[s + e]`): no adjoint `Vec` per window.
//! Gradients against central differences and the index loop, `f_jvp` against ⟨v, ∇f⟩, and
//! allocations counted (the same as the hand-written index loop: none for arrays, the
//! gradient's own `Vec` for slices).

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
    assert_eq!(n, 0, "the gradient through windows allocated {n} times");
    assert_eq!(value, roughness(&x));
    let (_, by_index) = roughness_by_index_grad(&x);
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
