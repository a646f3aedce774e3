//! Rules found by the path of a call (issue 10, class 2). A call whose path ends like a
//! function of tapeless's `nn` or `special` modules, or `f64::`/`f32::`/`Float::`/
//! `ComplexField::` and a float method, uses tapeless's derivative rule, and the generated
//! code checks that the path names tapeless's own function (a user's function of that
//! name is a compile error at the call: `tests/ui/user-module-named-*.rs`). Every other
//! path is a call of the user's function, differentiated through its own `_vjp`, even in a
//! module named like a runtime module.

use nalgebra::{ComplexField, RealField};
use num_traits::Float;
use tapeless::differentiate;

/// User modules named like the runtime's modules, with functions named like its items.
mod scalar {
    use tapeless::differentiate;

    /// Not the sine: x².
    #[differentiate]
    pub fn sin(x: f64) -> f64 {
        x * x
    }
}

mod ops {
    use tapeless::differentiate;

    /// Not a product: a + 2b.
    #[differentiate]
    pub fn mul(a: f64, b: f64) -> f64 {
        a + 2.0 * b
    }
}

mod nn {
    use tapeless::differentiate;

    /// A name tapeless's `nn` does not have: the user's function.
    #[differentiate]
    pub fn square(x: f64) -> f64 {
        x * x
    }
}

mod special {
    use tapeless::differentiate;

    /// A name tapeless's `special` does not have.
    #[differentiate]
    pub fn cube(x: f64) -> f64 {
        x * x * x
    }
}

mod index {
    use tapeless::differentiate;

    #[differentiate]
    pub fn index(x: f64) -> f64 {
        3.0 * x
    }
}

/// tapeless's `nn`, re-exported under the user's own path.
mod mine {
    pub use tapeless::nn;
}

#[differentiate]
fn users_functions(x: f64, y: f64) -> f64 {
    scalar::sin(x) + ops::mul(x, y) + nn::square(y) + special::cube(x) + index::index(y)
}

#[test]
fn a_module_named_like_a_runtime_module_holds_the_users_functions() {
    let (x, y) = (3.0, -0.5);
    let (value, g) = users_functions_grad(x, y);
    assert_eq!(value, users_functions(x, y));
    // d/dx (x² + x + 2y + y² + x³ + 3y) and d/dy.
    assert_eq!(g.x, 2.0 * x + 1.0 + 3.0 * x * x);
    assert_eq!(g.y, 2.0 + 2.0 * y + 3.0);
}

#[differentiate]
fn tapeless_paths(x: f64) -> f64 {
    tapeless::nn::sigmoid(x) + ::tapeless::nn::relu(x) + mine::nn::tanh(x) + f64::sin(x)
}

#[test]
fn tapeless_functions_by_any_path_that_names_them() {
    for x in [-1.5, 0.3, 3.0] {
        let (value, g) = tapeless_paths_grad(x);
        assert_eq!(value, tapeless_paths(x));
        let s = 1.0 / (1.0 + (-x).exp());
        let relu = if x > 0.0 { 1.0 } else { 0.0 };
        let expected = s * (1.0 - s) + relu + (1.0 - x.tanh().powi(2)) + x.cos();
        assert!((g.x - expected).abs() < 1e-12, "{x}: {} vs {expected}", g.x);
    }
}

#[differentiate]
fn float_owners(x: f32, y: f32) -> f32 {
    f32::max(x, y) * f32::powi(x, 2) + f32::sin(y)
}

#[test]
fn float_types_as_owners() {
    let (x, y) = (1.5_f32, 0.5_f32);
    let (value, g) = float_owners_grad(x, y);
    assert_eq!(value, float_owners(x, y));
    assert_eq!(g.x, 3.0 * x * x);
    assert!((g.y - y.cos()).abs() < 1e-6);
}

#[differentiate]
fn trait_owners<T: Float>(x: T) -> T {
    Float::sin(x) * Float::exp(x)
}

#[differentiate]
fn complex_field_owner<T: RealField + Copy>(x: T) -> T {
    ComplexField::sin(x) * x
}

#[test]
fn float_traits_as_owners() {
    let x = 0.7_f64;
    let (value, g) = trait_owners_grad(x);
    assert_eq!(value, trait_owners(x));
    assert!((g.x - (x.cos() + x.sin()) * x.exp()).abs() < 1e-14);
    let (value, g) = complex_field_owner_grad(x);
    assert_eq!(value, complex_field_owner(x));
    assert!((g.x - (x.cos() * x + x.sin())).abs() < 1e-14);
}

/// The functions of the golden expansion `macros/tests/expand/rule_paths.rs`, run.
mod golden {
    use nalgebra::RealField;
    use tapeless::differentiate;
    use tapeless::{nn, special};

    #[differentiate]
    pub fn clamped<T: RealField + Copy>(x: T, lo: T, hi: T) -> T {
        x.clamp(lo, hi) * x.sin()
    }

    #[differentiate]
    pub fn activation(x: f64) -> f64 {
        nn::sigmoid(x) + special::erf(x) * f64::max(x, 0.0)
    }

    #[test]
    fn clamped_inside_and_beyond_the_bounds() {
        let (lo, hi) = (0.2, 0.9);
        for x in [0.5_f64, 0.1, 1.1] {
            let (value, g) = clamped_grad(x, lo, hi);
            assert_eq!(value, clamped(x, lo, hi));
            let c = x.clamp(lo, hi);
            let inside = if x > lo && x < hi { 1.0 } else { 0.0 };
            assert!((g.x - (inside * x.sin() + c * x.cos())).abs() < 1e-15);
            assert_eq!(g.lo, if x < lo { x.sin() } else { 0.0 });
            assert_eq!(g.hi, if x > hi { x.sin() } else { 0.0 });
        }
    }

    #[test]
    fn activation_against_its_closed_form() {
        for x in [-1.2_f64, 0.4, 2.0] {
            let (value, g) = activation_grad(x);
            assert_eq!(value, activation(x));
            let s = 1.0 / (1.0 + (-x).exp());
            let derf = std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp();
            let relu = x.max(0.0);
            let step = if x > 0.0 { 1.0 } else { 0.0 };
            let expected = s * (1.0 - s) + derf * relu + special::erf(x) * step;
            assert!((g.x - expected).abs() < 1e-14, "{x}: {} vs {expected}", g.x);
        }
    }
}
