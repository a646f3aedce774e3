//! Generic functions over the float type: `T: RealField` (nalgebra) or `T: Float`
//! (num-traits) give a generic `f_grad` and a generic gradient struct `FGrad<T>`.

use nalgebra::RealField;
use num_traits::Float;
use tapeless::differentiate;

#[differentiate]
fn gaussian<T: RealField + Copy>(x: T, mu: T, sigma: T) -> T {
    let z = (x - mu) / sigma;
    (-(z * z) / (sigma + sigma)).exp() + z.sin() * mu
}

fn gaussian_closed_form(x: f64, mu: f64, sigma: f64) -> [f64; 3] {
    // g = exp(−z²/(2σ)) + sin(z)·μ with z = (x − μ)/σ.
    let z = (x - mu) / sigma;
    let e = (-(z * z) / (2.0 * sigma)).exp();
    let dg_dz = e * (-z / sigma) + z.cos() * mu;
    let dx = dg_dz / sigma;
    let dmu = -dg_dz / sigma + z.sin();
    // ∂/∂σ through z (∂z/∂σ = −z/σ) and directly through the denominator 2σ.
    let dsigma = dg_dz * (-z / sigma) + e * (z * z) / (2.0 * sigma * sigma);
    [dx, dmu, dsigma]
}

#[test]
fn real_field_generic_in_f64_and_f32() {
    let (x, mu, sigma) = (0.7, 0.2, 1.3);
    let (value, grad): (f64, GaussianGrad<f64>) = gaussian_grad(x, mu, sigma);
    assert_eq!(value, gaussian(x, mu, sigma));
    let expected = gaussian_closed_form(x, mu, sigma);
    for (a, e) in [grad.x, grad.mu, grad.sigma].iter().zip(expected) {
        assert!((a - e).abs() < 1e-12, "{a} vs {e}");
    }
    let (value32, grad32) = gaussian_grad(x as f32, mu as f32, sigma as f32);
    assert!((f64::from(value32) - value).abs() < 1e-5);
    assert!((f64::from(grad32.sigma) - expected[2]).abs() < 1e-5);
}

#[differentiate]
fn norm_of<T>(xs: &[T], p: T) -> T
where
    T: Float,
{
    let mut total = T::zero();
    for x in xs {
        total = total + x.abs().powf(p);
    }
    total.powf(p.recip())
}

#[test]
fn float_generic_with_slices_and_loops() {
    let xs = [0.5, -1.5, 2.0];
    let p = 3.0;
    let (value, grad) = norm_of_grad(&xs, p);
    assert_eq!(value, norm_of(&xs, p));
    // ∂‖x‖ₚ/∂xᵢ = sign(xᵢ)|xᵢ|^{p−1} / ‖x‖ₚ^{p−1}.
    for (i, x) in xs.iter().enumerate() {
        let expected = x.signum() * x.abs().powf(p - 1.0) / value.powf(p - 1.0);
        assert!((grad.xs[i] - expected).abs() < 1e-12);
    }
    let numeric = tapeless::check::central_difference(|q: &[f64]| norm_of(&xs, q[0]), &[p]);
    assert!((grad.p - numeric[0]).abs() < 1e-8);
}
