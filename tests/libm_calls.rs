//! Calls of `libm`'s functions, as `no_std` code writes its math (`libm::sin(x)`,
//! `libm::expf(x)`): each is the float method it computes (`libm::log` is `ln`,
//! `libm::pow` and `libm::powf` are `powf`, `libm::fabs` is `abs`, `libm::expm1` is
//! `exp_m1`) or `special::erf`/`erfc`, differentiated by that rule while the value stays
//! `libm`'s own, bit for bit. Checked against central differences in `f64`, against closed
//! forms in `f32`, in forward mode by ⟨∇f, v⟩, and in a Hessian against differences of the
//! gradient (the Hessian's copy of the function, generic in the float type, calls the
//! float methods instead).

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use tapeless::differentiate;

/// Every unary function with its own derivative, at arguments inside their domains.
#[differentiate]
fn unary(x: f64) -> f64 {
    let u = 0.5 * x;
    libm::sin(x)
        + libm::cos(x)
        + libm::tan(u)
        + libm::asin(u)
        + libm::acos(u)
        + libm::atan(x)
        + libm::sinh(x)
        + libm::cosh(x)
        + libm::tanh(x)
        + libm::asinh(x)
        + libm::acosh(x + 2.0)
        + libm::atanh(u)
        + libm::exp(x)
        + libm::exp2(x)
        + libm::expm1(x)
        + libm::log(x + 2.0)
        + libm::log1p(x)
        + libm::log2(x + 2.0)
        + libm::log10(x + 2.0)
        + libm::sqrt(x + 2.0)
        + libm::cbrt(x + 2.0)
        + libm::fabs(x)
        + libm::erf(x)
        + libm::erfc(u)
}

/// The functions of two arguments, in their argument order (`atan2(y, x)`, `pow(x, y)`).
#[differentiate]
fn binary(x: f64, y: f64) -> f64 {
    libm::atan2(y, x) + libm::pow(x, y) + libm::hypot(x, y) + libm::fmax(x, y) * libm::fmin(x, y)
}

/// `f32` code: the functions' names end in `f`.
#[differentiate]
fn single(x: f32, y: f32) -> f32 {
    libm::sinf(x) * libm::expf(y)
        + libm::logf(x + 2.0)
        + libm::powf(x, 2.0)
        + libm::sqrtf(y)
        + libm::erff(x)
}

/// A loop and a branch, whose reverse keeps or recomputes `libm`'s results.
#[differentiate(hessian)]
fn looped(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    let mut p = x;
    for k in 0..4 {
        p = libm::sin(p * y) + 0.1 * k as f64;
        s += if p > 0.0 {
            libm::exp(p)
        } else {
            libm::log1p(p * p)
        };
    }
    s + libm::erf(x * y)
}

/// `libm::sinf` in an `f32` Hessian: the copy calls `f32`'s methods, in its own type.
#[differentiate(hessian)]
fn single_curvature(x: f32, y: f32) -> f32 {
    libm::sinf(x * y) + libm::expf(0.5 * x) * libm::sqrtf(y)
}

/// A module of the user's own that happens to be named `libm`, below another module: its
/// functions are the user's (here marked), not `libm`'s rules.
mod own {
    pub mod libm {
        use tapeless::differentiate;

        #[differentiate]
        pub fn exp(x: f64) -> f64 {
            2.0 * x
        }
    }
}

#[differentiate]
fn through_own_module(x: f64) -> f64 {
    own::libm::exp(x) * x
}

#[test]
fn a_module_of_ones_own_named_libm() {
    // d/dx (2x · x) = 4x, not the derivative of an exponential.
    let (value, g) = through_own_module_grad(0.4);
    assert_eq!(value, 2.0 * 0.4 * 0.4);
    assert!((g.x - 1.6).abs() < 1e-15);
}

/// A function of the user's own named like `libm`'s `lgamma`, marked and called by its bare
/// name: its own derivative, not ψ's (a bare `libm` name without a marked function of that
/// name is a compile error naming `libm::lgamma(..)`: `tests/ui/libm-function-by-bare-name.rs`).
mod own_lgamma {
    use tapeless::differentiate;

    #[differentiate]
    pub fn lgamma(x: f64) -> f64 {
        x * x
    }

    #[differentiate]
    pub fn twice(x: f64) -> f64 {
        2.0 * lgamma(x)
    }
}

#[test]
fn a_marked_function_of_ones_own_named_lgamma() {
    // d/dx 2x² = 4x.
    let (value, g) = own_lgamma::twice_grad(0.7);
    assert_eq!(value, 2.0 * 0.7 * 0.7);
    assert!((g.x - 2.8).abs() < 1e-15);
    let (_, dv) = own_lgamma::twice_jvp(0.7, &own_lgamma::TwiceGrad { x: 0.5 });
    assert!((dv - 1.4).abs() < 1e-15);
}

#[test]
fn single_precision_hessians() {
    let (x, y) = (0.6_f32, 1.1_f32);
    let (_, _, rows) = single_curvature_hessian(x, y);
    let h = 1e-3_f32;
    let columns = [
        (
            single_curvature_grad(x + h, y).1,
            single_curvature_grad(x - h, y).1,
        ),
        (
            single_curvature_grad(x, y + h).1,
            single_curvature_grad(x, y - h).1,
        ),
    ];
    for (row, (plus, minus)) in rows.iter().zip(&columns) {
        let (dx, dy) = (
            (plus.x - minus.x) / (2.0 * h),
            (plus.y - minus.y) / (2.0 * h),
        );
        assert!(
            (row.x - dx).abs() < 2e-2 * dx.abs().max(1.0),
            "{row:?} vs {dx}"
        );
        assert!(
            (row.y - dy).abs() < 2e-2 * dy.abs().max(1.0),
            "{row:?} vs {dy}"
        );
    }
}

#[test]
fn unary_functions() {
    for x in [0.3, -0.45, 0.8] {
        probe!(p => unary, unary_grad, unary_vjp, [p[0]], [x], [x]);
    }
}

#[test]
fn binary_functions() {
    for (x, y) in [(0.7, 1.3), (1.4, 0.6), (0.9, -0.4)] {
        probe!(p => binary, binary_grad, binary_vjp, [p[0], p[1]], [x, y], [x, y]);
    }
}

#[test]
fn single_precision_against_closed_forms() {
    let (x, y) = (0.4_f32, 0.9_f32);
    let (value, g) = single_grad(x, y);
    assert_eq!(value.to_bits(), single(x, y).to_bits());
    let (x64, y64) = (f64::from(x), f64::from(y));
    let erf_slope = 2.0 / core::f64::consts::PI.sqrt() * (-x64 * x64).exp();
    let dx = x64.cos() * y64.exp() + 1.0 / (x64 + 2.0) + 2.0 * x64 + erf_slope;
    let dy = x64.sin() * y64.exp() + 0.5 / y64.sqrt();
    assert!(
        (f64::from(g.x) - dx).abs() < 1e-5 * dx.abs(),
        "{} != {dx}",
        g.x
    );
    assert!(
        (f64::from(g.y) - dy).abs() < 1e-5 * dy.abs(),
        "{} != {dy}",
        g.y
    );
}

#[test]
fn loops_forward_mode_and_hessians() {
    for (x, y) in [(0.7, 1.3), (-0.5, 0.8)] {
        probe!(p => looped, looped_grad, looped_vjp, [p[0], p[1]], [x, y], [x, y]);
        let (_, g) = looped_grad(x, y);
        let (value, derivative) = looped_jvp(x, y, &LoopedGrad { x: 0.3, y: -1.2 });
        assert_eq!(value.to_bits(), looped(x, y).to_bits());
        let expected = 0.3 * g.x - 1.2 * g.y;
        assert!((derivative - expected).abs() < 1e-12 * expected.abs().max(1.0));
        // Each Hessian row against central differences of the gradient.
        let (_, _, rows) = looped_hessian(x, y);
        let h = 1e-6;
        let columns = [
            (looped_grad(x + h, y).1, looped_grad(x - h, y).1),
            (looped_grad(x, y + h).1, looped_grad(x, y - h).1),
        ];
        for (row, (plus, minus)) in rows.iter().zip(&columns) {
            let (dxx, dyx) = (
                (plus.x - minus.x) / (2.0 * h),
                (plus.y - minus.y) / (2.0 * h),
            );
            assert!(
                (row.x - dxx).abs() < 1e-5 * dxx.abs().max(1.0),
                "{row:?} vs {dxx}"
            );
            assert!(
                (row.y - dyx).abs() < 1e-5 * dyx.abs().max(1.0),
                "{row:?} vs {dyx}"
            );
        }
    }
}
