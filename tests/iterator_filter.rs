//! `.filter(..)` (issue 12), on data and on differentiated values, in `for` loops and before
//! `.map(..).sum()`, `.product()` and `.count()`: the loop over all elements with an `if` on
//! the predicate (a branch: the derivative follows the elements kept). f64 against central
//! differences, f32 against closed forms, and generic code in both.

use num_traits::Float;
use std::iter::{Product, Sum};
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

const X: [f64; 6] = [0.3, -0.7, 1.1, 0.5, -0.2, 0.9];

/// Σ over positive x of eˣ (a filter on differentiated values, in a `for` loop).
#[differentiate]
fn positive_exp(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in x.iter().filter(|v| **v > 0.0) {
        s += v.exp();
    }
    s
}

/// Σ over the masked elements of x² (a filter on data, before `.map(..).sum()`).
#[differentiate]
fn masked_squares(x: &[f64], mask: &[bool]) -> f64 {
    x.iter()
        .zip(mask)
        .filter(|(_, &keep)| keep)
        .map(|(v, _)| v * v)
        .sum()
}

/// The mean of the elements below 1, by `.filter(..).count()` and a filtered sum.
#[differentiate]
fn mean_below_one(x: &[f64]) -> f64 {
    let n = x.iter().filter(|&&v| v < 1.0).count();
    let s: f64 = x.iter().filter(|&&v| v < 1.0).sum();
    s / n as f64
}

/// Even positions with value below 1, by `.enumerate().filter(..)` with `continue` inside.
#[differentiate]
fn even_positions(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, &v) in x
        .iter()
        .enumerate()
        .filter(|(i, v)| i % 2 == 0 && **v < 1.0)
    {
        if v == 0.25 {
            continue;
        }
        s += v * i as f64 + v.sin();
    }
    s
}

#[test]
fn filters_match_central_differences() {
    let mask = [true, false, true, true, false, true];
    let tol = Tolerance::default();
    let (v, g) = positive_exp_grad(&X);
    assert_eq!(v, positive_exp(&X));
    check_gradient(positive_exp, &X, &g.x, tol).unwrap();
    let (v, g) = masked_squares_grad(&X, &mask);
    assert_eq!(v, masked_squares(&X, &mask));
    check_gradient(|p| masked_squares(p, &mask), &X, &g.x, tol).unwrap();
    let (v, g) = mean_below_one_grad(&X);
    assert_eq!(v, mean_below_one(&X));
    check_gradient(mean_below_one, &X, &g.x, tol).unwrap();
    let (v, g) = even_positions_grad(&X);
    assert_eq!(v, even_positions(&X));
    check_gradient(even_positions, &X, &g.x, tol).unwrap();
}

#[test]
fn filters_closed_forms() {
    // ∂/∂x Σ_{x>0} eˣ = eˣ where x > 0, else 0.
    let (_, g) = positive_exp_grad(&X);
    for (g, x) in g.x.iter().zip(X) {
        assert_eq!(*g, if x > 0.0 { x.exp() } else { 0.0 });
    }
    // The mean of {0.3, −0.7, 0.5, −0.2, 0.9}: 1/5 for each kept element.
    let (_, g) = mean_below_one_grad(&X);
    assert_eq!(g.x, vec![0.2, 0.2, 0.0, 0.2, 0.2, 0.2]);
}

/// f32: Σ over |a| > 0.4 of a·b, closed form.
#[differentiate]
fn large_products(x: &[f32], w: &[f32]) -> f32 {
    x.iter()
        .zip(w)
        .filter(|(a, _)| a.abs() > 0.4)
        .map(|(a, b)| a * b)
        .sum::<f32>()
}

#[test]
fn filter_f32() {
    let x = [0.3f32, -0.7, 1.1];
    let w = [1.0f32, 2.0, 3.0];
    let (v, g) = large_products_grad(&x, &w);
    assert_eq!(v, large_products(&x, &w));
    assert_eq!(g.x, vec![0.0, 2.0, 3.0]);
    assert_eq!(g.w, vec![0.0, -0.7, 1.1]);
}

/// Generic: Π over positive x of (1 + x²), and Σ of the same terms.
#[differentiate]
fn positive_terms<T: Float + Product + Sum>(x: &[T]) -> T {
    let p: T = x
        .iter()
        .filter(|&&v| v > T::zero())
        .map(|&v| T::one() + v * v)
        .product();
    let s: T = x.iter().filter(|&&v| v > T::zero()).map(|&v| v * v).sum();
    p + s
}

#[test]
fn filter_generic_f64_f32() {
    let (v, g) = positive_terms_grad(&X);
    assert_eq!(v, positive_terms(&X));
    check_gradient(positive_terms, &X, &g.x, Tolerance::default()).unwrap();
    let x32: Vec<f32> = X.iter().map(|&v| v as f32).collect();
    let (_, g32) = positive_terms_grad(&x32);
    // ∂/∂xₖ = Π·2xₖ/(1 + xₖ²) + 2xₖ for xₖ > 0, else 0.
    let p: f32 = x32
        .iter()
        .filter(|&&v| v > 0.0)
        .map(|&v| 1.0 + v * v)
        .product();
    for (g, &x) in g32.x.iter().zip(&x32) {
        let expected = if x > 0.0 {
            p * 2.0 * x / (1.0 + x * x) + 2.0 * x
        } else {
            0.0
        };
        assert!((g - expected).abs() < 1e-5, "{g} vs {expected}");
    }
}
