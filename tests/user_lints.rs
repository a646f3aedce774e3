//! The items `#[differentiate]` generates are clean under the lints a user turns on: a
//! function used only through its gradient is not dead code, and clippy's pedantic group
//! finds nothing in the generated code (CI runs `cargo clippy --all-targets -D warnings`,
//! which checks this file under the `deny` below).
#![deny(dead_code, unused, clippy::pedantic)]

use tapeless::prelude::*;

#[differentiate]
fn used_only_through_its_gradient(x: f64) -> f64 {
    x.exp() * x
}

#[differentiate]
fn generic_used_only_through_its_gradient<T: Float>(x: T) -> T {
    x * x.sin()
}

#[differentiate]
#[allow(clippy::needless_range_loop)] // Horner's rule on the coefficients, in the user's style
fn const_generic_used_only_through_its_gradient<const N: usize>(c: &[f64; N], x: f64) -> f64 {
    let mut p = 0.0;
    for i in 0..N {
        p = p * x + c[i];
    }
    p
}

#[test]
#[allow(clippy::float_cmp)] // the values below are exact in binary
fn gradients_of_functions_used_nowhere_else() {
    let (_, grad) = used_only_through_its_gradient_grad(0.5);
    assert!((grad.x - 1.5 * 0.5_f64.exp()).abs() < 1e-12);
    let (_, grad) = generic_used_only_through_its_gradient_grad(0.5_f32);
    assert!((grad.x - (0.5_f32.sin() + 0.5 * 0.5_f32.cos())).abs() < 1e-6);
    // p = x² + 2x + 3: ∂p/∂x = 2x + 2, ∂p/∂c = (x², x, 1).
    let (value, grad) = const_generic_used_only_through_its_gradient_grad(&[1.0, 2.0, 3.0], 0.5);
    assert_eq!(value, 0.25 + 1.0 + 3.0);
    assert_eq!(grad.x, 3.0);
    assert_eq!(grad.c, [0.25, 0.5, 1.0]);
}
