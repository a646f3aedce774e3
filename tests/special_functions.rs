//! The special functions of `tapeless::special` (`erf`, `erfc`, `sinc`) in differentiated
//! functions: concrete `f64`/`f32` and generic (`T: Real`, `T: RealField + Real`), against
//! their closed-form derivatives (±2/√π·e^(−x²), (x cos x − sin x)/x²) and central
//! differences, in both modes, and through the paths a user writes (`special::erf`,
//! `tapeless::special::erf`). Every row of these in generic functions is also in
//! `rule_rows.rs`.

use nalgebra::RealField;
use tapeless::check::central_difference;
use tapeless::{differentiate, special, Real};

/// d/dx erf x = 2/√π·e^(−x²).
fn erf_derivative(x: f64) -> f64 {
    std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp()
}

#[differentiate]
fn gaussian_cdf(x: f64, sigma: f64) -> f64 {
    0.5 * (1.0 + special::erf(x / (sigma * std::f64::consts::SQRT_2)))
}

#[differentiate]
fn tail(x: f64) -> f64 {
    tapeless::special::erfc(x) * x
}

#[differentiate]
fn erf_f32(x: f32) -> f32 {
    special::erf(x) + special::erfc(x * x)
}

#[differentiate]
fn generic_float<T: Real>(x: T, y: T) -> T {
    special::erf(x) * special::erfc(y)
}

#[differentiate]
fn generic_real_field<T: RealField + Real>(x: T) -> T {
    special::erf(x) * x
}

const POINTS: [f64; 6] = [-2.5, -0.7, -0.1, 0.0, 0.4, 1.9];

#[test]
fn erf_values_match_libm() {
    for x in POINTS {
        assert_eq!(special::erf(x), libm::erf(x));
        assert_eq!(special::erfc(x), libm::erfc(x));
        assert!((f64::from(special::erf(x as f32)) - libm::erf(x)).abs() < 1e-7);
    }
}

#[test]
fn gaussian_cdf_has_the_gaussian_density_as_derivative() {
    for x in POINTS {
        let sigma = 1.3;
        let (value, g) = gaussian_cdf_grad(x, sigma);
        assert_eq!(value, gaussian_cdf(x, sigma));
        // Φ′(x) = φ(x/σ)/σ; ∂/∂σ = −x/σ·φ(x/σ)/σ.
        let z = x / (sigma * std::f64::consts::SQRT_2);
        let density = 0.5 * erf_derivative(z) / (sigma * std::f64::consts::SQRT_2);
        assert!((g.x - density).abs() < 1e-14, "{x}: {} vs {density}", g.x);
        assert!((g.sigma + x / sigma * density).abs() < 1e-14);
    }
}

#[test]
fn erfc_through_the_full_path() {
    for x in POINTS {
        let (value, g) = tail_grad(x);
        assert_eq!(value, tail(x));
        let expected = special::erfc(x) - x * erf_derivative(x);
        assert!((g.x - expected).abs() < 1e-14, "{x}: {} vs {expected}", g.x);
    }
}

#[test]
fn erf_in_f32() {
    for x in POINTS {
        let (value, g) = erf_f32_grad(x as f32);
        assert_eq!(value, erf_f32(x as f32));
        let expected = erf_derivative(x) - 2.0 * x * erf_derivative(x * x);
        assert!((f64::from(g.x) - expected).abs() < 1e-5, "{x}");
    }
}

#[test]
fn generic_functions_match_central_differences() {
    for x in POINTS {
        for y in [-0.8, 0.3, 1.2] {
            let numeric = central_difference(|p| generic_float(p[0], p[1]), &[x, y]);
            let (_, g) = generic_float_grad(x, y);
            for (a, n) in [g.x, g.y].iter().zip(&numeric) {
                assert!((a - n).abs() < 1e-9, "({x}, {y}): {a} vs {n}");
            }
            let (_, g32) = generic_float_grad(x as f32, y as f32);
            assert!((f64::from(g32.x) - numeric[0]).abs() < 1e-5);
            assert!((f64::from(g32.y) - numeric[1]).abs() < 1e-5);
        }
        let numeric = central_difference(|p| generic_real_field(p[0]), &[x]);
        let (_, g) = generic_real_field_grad(x);
        assert!((g.x - numeric[0]).abs() < 1e-9);
        let (_, g32) = generic_real_field_grad(x as f32);
        assert!((f64::from(g32.x) - numeric[0]).abs() < 1e-5);
    }
}

/// Both helpers the one runtime rule gives, called directly.
#[test]
fn erf_has_a_vjp_and_a_jvp_helper() {
    use tapeless::runtime::scalar;
    let (x, seed, tangent) = (0.6_f64, 1.5, -0.25);
    let mut d_x = 0.5;
    scalar::erf_vjp(&mut d_x, &x, &seed);
    assert!((d_x - 0.5 - seed * erf_derivative(x)).abs() < 1e-15);
    let dy = scalar::erf_jvp(&x, &tangent);
    assert!((dy - tangent * erf_derivative(x)).abs() < 1e-15);
    let dy = scalar::erfc_jvp(&x, &tangent);
    assert!((dy + tangent * erf_derivative(x)).abs() < 1e-15);
}

/// The intensity of single-slit diffraction, sinc²(a·x).
#[differentiate]
fn diffraction(x: f64, a: f64) -> f64 {
    let s = special::sinc(a * x);
    s * s
}

#[differentiate]
fn sinc_f32(x: f32) -> f32 {
    tapeless::special::sinc(x) * x
}

/// sinc′ x = (x cos x − sin x)/x² away from 0 (where this form is exact enough).
fn sinc_derivative_closed_form(x: f64) -> f64 {
    (x * x.cos() - x.sin()) / (x * x)
}

#[test]
fn sinc_values() {
    assert_eq!(special::sinc(0.0_f64), 1.0);
    assert_eq!(special::sinc(0.0_f32), 1.0);
    for x in [-2.5_f64, -0.7, 1e-9, 0.4, 1.9, 30.0] {
        assert_eq!(special::sinc(x), libm::sin(x) / x);
        assert!((f64::from(special::sinc(x as f32)) - x.sin() / x).abs() < 1e-7);
    }
}

/// The series near 0 and the closed form away from it give the same derivative, on both
/// sides of the switch at |x| = ½, and near 0 it is its series −x/3 + x³/30 − x⁵/840.
#[test]
fn sinc_derivative_is_smooth_across_its_series() {
    for x in [
        0.05, 0.1, 0.2, 0.3, 0.45, 0.499_999, 0.5, 0.7, -0.3, -0.5, 3.0,
    ] {
        let closed = sinc_derivative_closed_form(x);
        let d = special::sinc_derivative(x);
        assert!((d - closed).abs() < 1e-13, "{x}: {d} vs {closed}");
    }
    assert_eq!(special::sinc_derivative(0.0_f64), 0.0);
    for x in [1e-8_f64, -1e-5, 1e-3] {
        let d = special::sinc_derivative(x);
        let series = -x / 3.0 + x.powi(3) / 30.0 - x.powi(5) / 840.0;
        assert!(
            (d - series).abs() <= 1e-15 * series.abs(),
            "{x}: {d} vs {series}"
        );
    }
}

#[test]
fn diffraction_has_the_closed_form_gradient_in_both_modes() {
    let a = 1.7;
    for x in [-2.5, -0.7, -0.1, 0.0, 0.2, 0.4, 1.9] {
        let (value, g) = diffraction_grad(x, a);
        assert_eq!(value, diffraction(x, a));
        // ∂/∂x = 2·sinc(ax)·sinc′(ax)·a, ∂/∂a = 2·sinc(ax)·sinc′(ax)·x.
        let u = a * x;
        let derivative = if u == 0.0 {
            0.0
        } else {
            sinc_derivative_closed_form(u)
        };
        let outer = 2.0 * (u.sin() / u).min(1.0) * derivative;
        assert!(
            (g.x - outer * a).abs() < 1e-12,
            "{x}: {} vs {}",
            g.x,
            outer * a
        );
        assert!(
            (g.a - outer * x).abs() < 1e-12,
            "{x}: {} vs {}",
            g.a,
            outer * x
        );
        let numeric = central_difference(|p| diffraction(p[0], p[1]), &[x, a]);
        assert!((g.x - numeric[0]).abs() < 1e-8 && (g.a - numeric[1]).abs() < 1e-8);
        // Forward mode along (v_x, v_a), and ⟨ẏ, 1⟩ = ⟨v, ∇f⟩.
        let (v_x, v_a) = (0.8, -1.4);
        let (value, dy) = diffraction_jvp(x, a, &DiffractionGrad { x: v_x, a: v_a });
        assert_eq!(value, diffraction(x, a));
        let adjoint = g.x * v_x + g.a * v_a;
        assert!(
            (dy - adjoint).abs() < 1e-13 * adjoint.abs().max(1.0),
            "{x}: {dy} vs {adjoint}"
        );
    }
}

#[test]
fn sinc_in_f32_through_the_full_path() {
    for x in [-2.5, -0.7, 0.0, 0.4, 1.9] {
        let (value, g) = sinc_f32_grad(x as f32);
        assert_eq!(value, sinc_f32(x as f32));
        // d/dx (sinc x · x) = d/dx sin x = cos x.
        let expected = f64::cos(x);
        assert!(
            (f64::from(g.x) - expected).abs() < 1e-6,
            "{x}: {} vs {expected}",
            g.x
        );
        let (_, dy) = sinc_f32_jvp(x as f32, &SincF32Grad { x: 2.0 });
        assert!((f64::from(dy) - 2.0 * expected).abs() < 2e-6, "{x}");
    }
}

/// Both helpers the one runtime rule gives, called directly.
#[test]
fn sinc_has_a_vjp_and_a_jvp_helper() {
    use tapeless::runtime::scalar;
    let (x, seed, tangent) = (1.2_f64, 1.5, -0.25);
    let mut d_x = 0.5;
    scalar::sinc_vjp(&mut d_x, &x, &seed);
    let derivative = sinc_derivative_closed_form(x);
    assert!((d_x - 0.5 - seed * derivative).abs() < 1e-15);
    let dy = scalar::sinc_jvp(&x, &tangent);
    assert!((dy - tangent * derivative).abs() < 1e-15);
}
