//! The special functions of `tapeless::special` (`erf`, `erfc`) in differentiated
//! functions: concrete `f64`/`f32` and generic (`T: Real`, `T: RealField + Real`), against
//! their closed-form derivatives ±2/√π·e^(−x²) and central differences, and through the
//! paths a user writes (`special::erf`, `tapeless::special::erf`).

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
