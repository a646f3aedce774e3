//! `#[custom_vjp(rule)]`: hand-written derivatives that every differentiated caller uses.

use tapeless::{custom_vjp, differentiate};

/// softplus(x) = ln(1 + eˣ), written so it neither overflows for large x nor loses
/// precision for very negative x.
#[custom_vjp(softplus_rule)]
fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// softplus′(x) = σ(x) = 1 / (1 + e⁻ˣ), stable for every x.
fn softplus_rule(x: f64, seed: f64) -> f64 {
    seed / (1.0 + (-x).exp())
}

#[differentiate]
fn uses_softplus(x: f64, y: f64) -> f64 {
    softplus(x * y) + 2.0 * softplus(-x)
}

#[test]
fn callers_use_the_custom_rule() {
    let sigma = |v: f64| 1.0 / (1.0 + (-v).exp());
    for (x, y) in [(0.3, 1.5), (-2.0, 0.5), (40.0, 2.0), (-800.0, 1.0)] {
        let (value, grad) = uses_softplus_grad(x, y);
        assert_eq!(value, uses_softplus(x, y));
        let dx = y * sigma(x * y) - 2.0 * sigma(-x);
        let dy = x * sigma(x * y);
        assert!((grad.x - dx).abs() <= 1e-12 * dx.abs().max(1.0), "{x} {y}");
        assert!((grad.y - dy).abs() <= 1e-12 * dy.abs().max(1.0), "{x} {y}");
        assert!(grad.x.is_finite() && grad.y.is_finite());
    }
}

#[test]
fn the_custom_function_has_its_own_grad_and_vjp() {
    let (value, grad) = softplus_grad(80.0);
    assert_eq!(value, 80.0 + (-80f64).exp().ln_1p());
    assert_eq!(grad.x, 1.0);
    let (_, grad) = softplus_vjp(0.0, 3.0);
    assert_eq!(grad.x, 1.5);
}

// ---- a function whose body the macro cannot see: a call into a library ----

/// The error function, computed by libm; its derivative is 2/√π · e^{−x²}.
#[custom_vjp(erf_rule)]
fn erf(x: f64) -> f64 {
    libm::erf(x)
}

fn erf_rule(x: f64, seed: f64) -> f64 {
    seed * 2.0 / core::f64::consts::PI.sqrt() * (-x * x).exp()
}

/// Several parameters, one of them data, and a slice: the rule returns a tuple of the
/// gradients of the float parameters, in order.
#[custom_vjp(weighted_rule)]
fn weighted(w: &[f64], scale: f64, power: i32) -> f64 {
    w.iter().map(|v| v.powi(power)).sum::<f64>() * scale
}

fn weighted_rule(w: &[f64], scale: f64, power: i32, seed: f64) -> (Vec<f64>, f64) {
    let d_w = w
        .iter()
        .map(|v| seed * scale * f64::from(power) * v.powi(power - 1))
        .collect();
    let d_scale = seed * w.iter().map(|v| v.powi(power)).sum::<f64>();
    (d_w, d_scale)
}

#[differentiate]
fn gaussian_cdf_loss(x: &[f64], s: f64) -> f64 {
    let mut total = 0.0;
    for v in x {
        total += erf(*v * s) * 0.5;
    }
    total + weighted(x, s, 3)
}

#[test]
fn library_calls_and_tuple_rules() {
    let x = [0.3, -1.2, 0.8];
    let s = 0.7;
    let (value, grad) = gaussian_cdf_loss_grad(&x, s);
    assert_eq!(value, gaussian_cdf_loss(&x, s));
    let mut p = x.to_vec();
    p.push(s);
    let numeric =
        tapeless::check::central_difference(|q: &[f64]| gaussian_cdf_loss(&q[..3], q[3]), &p);
    let mut analytic = grad.x.clone();
    analytic.push(grad.s);
    for (a, n) in analytic.iter().zip(&numeric) {
        assert!((a - n).abs() < 1e-8, "{analytic:?} vs {numeric:?}");
    }
}
