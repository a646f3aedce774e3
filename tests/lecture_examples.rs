//! The worked examples of the matrix-calculus lectures, differentiated by `#[differentiate]`
//! and compared with their closed-form derivatives (derived by hand, in the comment above
//! each function) at random points.
//!
//! For every example the tests check that
//! * `f_grad` returns exactly the value of the plain function,
//! * its gradient matches the closed form to a relative error below 1e-10,
//! * `f_vjp(.., seed)` returns `seed` times that gradient (bit for bit when the seed is a
//!   power of two, where scaling is exact; to rounding otherwise).

use proptest::prelude::*;
use tapeless::check::relative_error;
use tapeless::differentiate;

/// Largest accepted relative error between the generated gradient and the closed form.
const CLOSED_FORM: f64 = 1e-10;
/// Largest accepted error of `f_vjp(.., s)` against `s · f_grad(..)`, relative to
/// `|s|` times the magnitude of the largest contribution to the gradient (see
/// [`assert_seed_scaling`]).
const SEED_SCALING: f64 = 1e-13;

fn assert_close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    let error = relative_error(actual, expected);
    assert!(
        error < tolerance,
        "{what}: got {actual:e}, expected {expected:e} (relative error {error:e} ≥ {tolerance:e})"
    );
}

/// `f_vjp(.., seed)` returns `seed · gradient` up to rounding. The reverse sweep scales each
/// contribution to an adjoint by the seed and rounds it, so where contributions cancel
/// (the lecture example near a zero of its derivative) the error is a few ulps of the
/// largest contribution, `|seed| · magnitude`, not of the result.
fn assert_seed_scaling(vjp: f64, seed: f64, grad: f64, magnitude: f64) {
    let error = (vjp - seed * grad).abs();
    let bound = SEED_SCALING * seed.abs().max(1.0) * magnitude.max(grad.abs()).max(1.0);
    assert!(
        error <= bound,
        "vjp with seed {seed:e}: got {vjp:e}, expected {:e} (error {error:e} > {bound:e})",
        seed * grad
    );
}

/// Seeds whose multiplication is exact (powers of two), so `f_vjp` must equal
/// `seed · f_grad` bit for bit, plus a sign flip.
const EXACT_SEEDS: [f64; 4] = [1.0, 2.0, -0.5, 0.125];

// ---------------------------------------------------------------------------------------
// f(x) = √(x² + e^{x²}) + cos(x² + e^{x²})
//
// With u = x² + e^{x²}: u′ = 2x + 2x·e^{x²} = 2x(1 + e^{x²}), and
// f′ = u′/(2√u) − u′·sin u = 2x(1 + e^{x²})·(1/(2√u) − sin u).
// ---------------------------------------------------------------------------------------

#[differentiate]
fn lecture(x: f64) -> f64 {
    let u = x * x + (x * x).exp();
    u.sqrt() + u.cos()
}

/// The same function written as one expression, without the intermediate `u`.
#[differentiate]
fn lecture_inline(x: f64) -> f64 {
    (x.powi(2) + x.powi(2).exp()).sqrt() + (x.powi(2) + x.powi(2).exp()).cos()
}

/// The size of the two terms of the lecture derivative, which cancel where f′ = 0:
/// |u′|·(1/(2√u) + |sin u|).
fn lecture_contributions(x: f64) -> f64 {
    let e = (x * x).exp();
    let u = x * x + e;
    (2.0 * x * (1.0 + e)).abs() * (0.5 / u.sqrt() + u.sin().abs())
}

fn lecture_closed_form(x: f64) -> f64 {
    let e = (x * x).exp();
    let u = x * x + e;
    2.0 * x * (1.0 + e) * (0.5 / u.sqrt() - u.sin())
}

// ---------------------------------------------------------------------------------------
// y = ln(sin(x³)²)
//
// y′ = (1/sin²(x³)) · 2 sin(x³) · cos(x³) · 3x² = 6x² cos(x³) / sin(x³).
// Singular where sin(x³) = 0: tested for 0.1 ≤ |x| ≤ 1.4 (so 0.001 ≤ |x³| ≤ 2.75 < π).
// ---------------------------------------------------------------------------------------

#[differentiate]
fn log_sin_cube_squared(x: f64) -> f64 {
    let s = (x * x * x).sin();
    (s * s).ln()
}

/// The same, with `powi` for both powers.
#[differentiate]
fn log_sin_cube_squared_powi(x: f64) -> f64 {
    x.powi(3).sin().powi(2).ln()
}

fn log_sin_cube_squared_closed_form(x: f64) -> f64 {
    let c = x * x * x;
    6.0 * x * x * c.cos() / c.sin()
}

// ---------------------------------------------------------------------------------------
// y = x·e^{x²}:  y′ = e^{x²} + x·2x·e^{x²} = e^{x²}(2x² + 1).
// ---------------------------------------------------------------------------------------

#[differentiate]
fn x_exp_x_squared(x: f64) -> f64 {
    x * (x * x).exp()
}

fn x_exp_x_squared_closed_form(x: f64) -> f64 {
    (x * x).exp() * (2.0 * x * x + 1.0)
}

// ---------------------------------------------------------------------------------------
// f(x, y) = 3x²(2y + 7):  ∂f/∂x = 6x(2y + 7),  ∂f/∂y = 3x²·2 = 6x².
// ---------------------------------------------------------------------------------------

#[differentiate]
fn polynomial_2d(x: f64, y: f64) -> f64 {
    3.0 * x * x * (2.0 * y + 7.0)
}

// ---------------------------------------------------------------------------------------
// y = ln(x²):  y′ = 2x / x² = 2/x   (x ≠ 0).
// ---------------------------------------------------------------------------------------

#[differentiate]
fn log_square(x: f64) -> f64 {
    (x * x).ln()
}

// ---------------------------------------------------------------------------------------
// y = 2(x² + 9)³:  y′ = 2·3(x² + 9)²·2x = 12x(x² + 9)².
// ---------------------------------------------------------------------------------------

#[differentiate]
fn cubed_quadratic(x: f64) -> f64 {
    2.0 * (x * x + 9.0).powi(3)
}

/// The same with the cube spelled out as products.
#[differentiate]
fn cubed_quadratic_products(x: f64) -> f64 {
    let q = x * x + 9.0;
    2.0 * q * q * q
}

// ---------------------------------------------------------------------------------------
// σ(x) = 1/(1 + e^{−x}):  σ′ = e^{−x}/(1 + e^{−x})² = σ · (e^{−x}/(1 + e^{−x})) = σ(1 − σ).
// ---------------------------------------------------------------------------------------

#[differentiate]
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// σ written with `recip`.
#[differentiate]
fn sigmoid_recip(x: f64) -> f64 {
    (1.0 + (-x).exp()).recip()
}

fn sigma(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

// ---------------------------------------------------------------------------------------
// The ReLU neuron a = max(0, w·x + b), with scalar w, x, b and z = w·x + b:
//   z > 0:  a = z,  ∇(w, x, b) = (x, w, 1);
//   z < 0:  a = 0,  ∇(w, x, b) = (0, 0, 0);
//   z = 0:  the documented convention of `max` at a tie splits the adjoint evenly:
//           ∇ = (x/2, w/2, 1/2).
// ---------------------------------------------------------------------------------------

#[differentiate]
fn relu_neuron(w: f64, x: f64, b: f64) -> f64 {
    (w * x + b).max(0.0)
}

/// The same with the associated-function form and the arguments the other way around.
#[differentiate]
fn relu_neuron_assoc(w: f64, x: f64, b: f64) -> f64 {
    f64::max(0.0, w * x + b)
}

/// `(value, df/dx)` from both spellings of the lecture function.
fn lecture_both(x: f64) -> [(f64, f64); 2] {
    let (v1, g1) = lecture_grad(x);
    let (v2, g2) = lecture_inline_grad(x);
    [(v1, g1.x), (v2, g2.x)]
}

/// `(value, [∂/∂w, ∂/∂x, ∂/∂b])` from both spellings of the ReLU neuron.
fn relu_both(w: f64, x: f64, b: f64) -> [(f64, [f64; 3]); 2] {
    let (v1, g1) = relu_neuron_grad(w, x, b);
    let (v2, g2) = relu_neuron_assoc_grad(w, x, b);
    [(v1, [g1.w, g1.x, g1.b]), (v2, [g2.w, g2.x, g2.b])]
}

/// A point `x` whose magnitude is in `[lo, hi]`, of either sign.
fn magnitude(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo..=hi, any::<bool>()).prop_map(|(m, negative)| if negative { -m } else { m })
}

fn seed() -> impl Strategy<Value = f64> {
    prop_oneof![-10.0..10.0, -1e3..1e3_f64]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lecture_matches_closed_form(x in -2.5..2.5_f64, s in seed()) {
        let expected = lecture_closed_form(x);
        for (value, derivative) in lecture_both(x) {
            assert_close("d/dx √(x²+e^{x²}) + cos(x²+e^{x²})", derivative, expected, CLOSED_FORM);
            assert_close("value", value, lecture(x), 1e-15);
        }
        prop_assert_eq!(lecture_grad(x).0, lecture(x));
        prop_assert_eq!(lecture_inline_grad(x).0, lecture_inline(x));

        let (value, grad) = lecture_vjp(x, s);
        prop_assert_eq!(value, lecture(x));
        assert_seed_scaling(grad.x, s, lecture_grad(x).1.x, lecture_contributions(x));
        for s in EXACT_SEEDS {
            prop_assert_eq!(lecture_vjp(x, s).1.x, s * lecture_grad(x).1.x);
        }
    }

    #[test]
    fn log_sin_cube_squared_matches_closed_form(x in magnitude(0.1, 1.4), s in seed()) {
        let expected = log_sin_cube_squared_closed_form(x);
        let (value, grad) = log_sin_cube_squared_grad(x);
        prop_assert_eq!(value, log_sin_cube_squared(x));
        assert_close("d/dx ln(sin(x³)²)", grad.x, expected, CLOSED_FORM);

        let (value, grad) = log_sin_cube_squared_powi_grad(x);
        prop_assert_eq!(value, log_sin_cube_squared_powi(x));
        assert_close("d/dx ln(sin(x³)²) with powi", grad.x, expected, CLOSED_FORM);

        let (value, grad) = log_sin_cube_squared_vjp(x, s);
        prop_assert_eq!(value, log_sin_cube_squared(x));
        assert_seed_scaling(grad.x, s, log_sin_cube_squared_grad(x).1.x, 0.0);
        for s in EXACT_SEEDS {
            prop_assert_eq!(
                log_sin_cube_squared_vjp(x, s).1.x,
                s * log_sin_cube_squared_grad(x).1.x
            );
        }
    }

    #[test]
    fn x_exp_x_squared_matches_closed_form(x in -4.0..4.0_f64, s in seed()) {
        let (value, grad) = x_exp_x_squared_grad(x);
        prop_assert_eq!(value, x_exp_x_squared(x));
        assert_close("d/dx x·e^{x²}", grad.x, x_exp_x_squared_closed_form(x), CLOSED_FORM);

        let (value, grad) = x_exp_x_squared_vjp(x, s);
        prop_assert_eq!(value, x_exp_x_squared(x));
        assert_seed_scaling(grad.x, s, x_exp_x_squared_grad(x).1.x, 0.0);
        for s in EXACT_SEEDS {
            prop_assert_eq!(x_exp_x_squared_vjp(x, s).1.x, s * x_exp_x_squared_grad(x).1.x);
        }
    }

    #[test]
    fn polynomial_2d_matches_closed_form(x in -100.0..100.0_f64, y in -100.0..100.0_f64, s in seed()) {
        let (value, grad) = polynomial_2d_grad(x, y);
        prop_assert_eq!(value, polynomial_2d(x, y));
        assert_close("∂/∂x 3x²(2y+7)", grad.x, 6.0 * x * (2.0 * y + 7.0), CLOSED_FORM);
        assert_close("∂/∂y 3x²(2y+7)", grad.y, 6.0 * x * x, CLOSED_FORM);

        let (value, vjp) = polynomial_2d_vjp(x, y, s);
        prop_assert_eq!(value, polynomial_2d(x, y));
        assert_seed_scaling(vjp.x, s, grad.x, 0.0);
        assert_seed_scaling(vjp.y, s, grad.y, 0.0);
        for s in EXACT_SEEDS {
            let (_, vjp) = polynomial_2d_vjp(x, y, s);
            prop_assert_eq!((vjp.x, vjp.y), (s * grad.x, s * grad.y));
        }
    }

    #[test]
    fn log_square_matches_closed_form(x in magnitude(1e-3, 1e3), s in seed()) {
        let (value, grad) = log_square_grad(x);
        prop_assert_eq!(value, log_square(x));
        assert_close("d/dx ln(x²)", grad.x, 2.0 / x, CLOSED_FORM);

        let (value, vjp) = log_square_vjp(x, s);
        prop_assert_eq!(value, log_square(x));
        assert_seed_scaling(vjp.x, s, grad.x, 0.0);
        for s in EXACT_SEEDS {
            prop_assert_eq!(log_square_vjp(x, s).1.x, s * grad.x);
        }
    }

    #[test]
    fn cubed_quadratic_matches_closed_form(x in -20.0..20.0_f64, s in seed()) {
        let q = x * x + 9.0;
        let expected = 12.0 * x * q * q;
        let (value, grad) = cubed_quadratic_grad(x);
        prop_assert_eq!(value, cubed_quadratic(x));
        assert_close("d/dx 2(x²+9)³", grad.x, expected, CLOSED_FORM);

        let (value, grad) = cubed_quadratic_products_grad(x);
        prop_assert_eq!(value, cubed_quadratic_products(x));
        assert_close("d/dx 2(x²+9)³ as products", grad.x, expected, CLOSED_FORM);

        let (value, vjp) = cubed_quadratic_vjp(x, s);
        prop_assert_eq!(value, cubed_quadratic(x));
        assert_seed_scaling(vjp.x, s, cubed_quadratic_grad(x).1.x, 0.0);
        for s in EXACT_SEEDS {
            prop_assert_eq!(cubed_quadratic_vjp(x, s).1.x, s * cubed_quadratic_grad(x).1.x);
        }
    }

    #[test]
    fn sigmoid_derivative_is_sigma_times_one_minus_sigma(x in -30.0..30.0_f64, s in seed()) {
        let sig = sigma(x);
        let expected = sig * (1.0 - sig);
        let (value, grad) = sigmoid_grad(x);
        prop_assert_eq!(value, sigmoid(x));
        prop_assert_eq!(value, sig);
        // σ(1 − σ) loses relative accuracy where σ → 1 (1 − σ cancels); compare there with
        // the equivalent e^{−x}/(1 + e^{−x})², which does not.
        let e = (-x).exp();
        let stable = e / ((1.0 + e) * (1.0 + e));
        assert_close("σ′ vs e^{−x}/(1+e^{−x})²", grad.x, stable, CLOSED_FORM);
        prop_assert!((grad.x - expected).abs() <= 1e-15, "σ′ = {} but σ(1−σ) = {}", grad.x, expected);

        let (value, grad) = sigmoid_recip_grad(x);
        prop_assert_eq!(value, sigmoid_recip(x));
        assert_close("σ′ with recip", grad.x, stable, CLOSED_FORM);

        let (value, vjp) = sigmoid_vjp(x, s);
        prop_assert_eq!(value, sigmoid(x));
        assert_seed_scaling(vjp.x, s, sigmoid_grad(x).1.x, 0.0);
        for s in EXACT_SEEDS {
            prop_assert_eq!(sigmoid_vjp(x, s).1.x, s * sigmoid_grad(x).1.x);
        }
    }

    #[test]
    fn relu_neuron_active_side(w in -5.0..5.0_f64, x in -5.0..5.0_f64, margin in 1e-3..5.0_f64, s in seed()) {
        // b puts the pre-activation z = w·x + b at `margin` above the kink.
        let b = margin - w * x;
        let z = w * x + b;
        prop_assert!(z > 0.0);
        for (value, grad) in relu_both(w, x, b) {
            prop_assert_eq!(value, z);
            prop_assert_eq!(grad, [x, w, 1.0]);
        }
        prop_assert_eq!(relu_neuron_grad(w, x, b).0, relu_neuron(w, x, b));
        prop_assert_eq!(relu_neuron_assoc_grad(w, x, b).0, relu_neuron_assoc(w, x, b));

        let (value, vjp) = relu_neuron_vjp(w, x, b, s);
        prop_assert_eq!(value, z);
        prop_assert_eq!((vjp.w, vjp.x, vjp.b), (s * x, s * w, s));
    }

    #[test]
    fn relu_neuron_inactive_side(w in -5.0..5.0_f64, x in -5.0..5.0_f64, margin in 1e-3..5.0_f64, s in seed()) {
        // b puts the pre-activation z = w·x + b at `margin` below the kink.
        let b = -margin - w * x;
        let z = w * x + b;
        prop_assert!(z < 0.0);
        for (value, grad) in relu_both(w, x, b) {
            prop_assert_eq!(value, 0.0);
            prop_assert_eq!(grad, [0.0, 0.0, 0.0]);
        }
        let (value, vjp) = relu_neuron_vjp(w, x, b, s);
        prop_assert_eq!(value, relu_neuron(w, x, b));
        prop_assert_eq!((vjp.w, vjp.x, vjp.b), (0.0, 0.0, 0.0));
    }
}

#[test]
fn relu_neuron_both_sides_of_the_kink() {
    // w·x + b = 3·2 − 6 ± 0.25: just above and just below the kink at the same (w, x).
    let (w, x) = (3.0, 2.0);
    let (value, above) = relu_neuron_grad(w, x, -5.75);
    assert_eq!(value, 0.25);
    assert_eq!((above.w, above.x, above.b), (2.0, 3.0, 1.0));

    let (value, below) = relu_neuron_grad(w, x, -6.25);
    assert_eq!(value, 0.0);
    assert_eq!((below.w, below.x, below.b), (0.0, 0.0, 0.0));
}

#[test]
fn relu_neuron_at_the_kink_splits_the_adjoint_evenly() {
    // w·x + b = 0 exactly: `max` at a tie gives each argument half the adjoint
    // (runtime/src/scalar.rs), so ∇ = (x/2, w/2, 1/2), in both argument orders.
    let (w, x, b) = (3.0, 2.0, -6.0);
    for (value, grad) in relu_both(w, x, b) {
        assert_eq!(value, 0.0);
        assert_eq!(grad, [1.0, 1.5, 0.5]);
    }
}

#[test]
fn lecture_at_known_points() {
    // f′(0) = 0: u′ = 2x(1 + e^{x²}) vanishes at 0.
    let (value, grad) = lecture_grad(0.0);
    assert_eq!(value, 1.0 + 1.0_f64.cos());
    assert_eq!(grad.x, 0.0);
    // f is even, so f′ is odd.
    for x in [0.3, 0.7, 1.1, 1.9] {
        assert_eq!(lecture_grad(-x).1.x, -lecture_grad(x).1.x);
        assert_close(
            "f′ at a fixed point",
            lecture_grad(x).1.x,
            lecture_closed_form(x),
            CLOSED_FORM,
        );
    }
}

#[test]
fn lecture_vjp_near_a_zero_of_the_derivative() {
    // Here 1/(2√u) ≈ sin u: the two terms of f′ cancel, so `s · f′` and the reverse sweep
    // seeded with `s` differ by rounding of the terms (a relative error of ~2e-13 of the
    // result), which `assert_seed_scaling` measures against the terms' size.
    let (x, s) = (-0.8610385172214602, -793.0464614987205);
    let grad = lecture_grad(x).1.x;
    assert!(grad.abs() < 1e-3 * lecture_contributions(x));
    assert_seed_scaling(lecture_vjp(x, s).1.x, s, grad, lecture_contributions(x));
}

#[test]
fn polynomial_2d_at_a_hand_computed_point() {
    // At (1.5, −2): 6·1.5·(−4 + 7) = 27, 6·2.25 = 13.5, value 3·2.25·3 = 20.25.
    let (value, grad) = polynomial_2d_grad(1.5, -2.0);
    assert_eq!(value, 20.25);
    assert_eq!((grad.x, grad.y), (27.0, 13.5));
}
