// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/estimation.rs (inside `mod gaussian_nll_generic { .. }`) once it passes.
//
// Domain: estimation
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Oracle: closed form dμ = −Σ(x−μ)/σ², dlogσ = Σ(1−z²) at 3 points, f64 and f32; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0369]: cannot multiply `&T` by `T`
//   --> tests/corpus_pending/gaussian_nll_generic.rs:25:30

use num_traits::Float;
use tapeless::differentiate;

/// Gaussian negative log-likelihood in (μ, log σ), generic over the float type.
#[differentiate]
pub fn gaussian_nll<T: Float>(mu: T, log_sigma: T, data: &[T]) -> T {
    let half = T::from(0.5).unwrap();
    let ln_2pi = T::from(2.0 * std::f64::consts::PI).unwrap().ln();
    let sigma = log_sigma.exp();
    let mut total = T::zero();
    for &x in data {
        let z = (x - mu) / sigma;
        total = total + half * z * z + log_sigma + half * ln_2pi;
    }
    total
}

#[test]
fn gaussian_nll_generic() {
    let data = [1.2, 0.7, 2.5, -0.3, 1.9];
    for (mu, ls) in [(0.5, 0.0), (1.0, -0.5), (-0.2, 0.8)] {
        let (v, g) = gaussian_nll_grad(mu, ls, &data);
        assert!((v - gaussian_nll(mu, ls, &data)).abs() < 1e-12);
        // Closed form: dμ = −Σ z/σ, d(log σ) = Σ (1 − z²).
        let s = f64::exp(ls);
        let dmu: f64 = data.iter().map(|x| -(x - mu) / (s * s)).sum();
        let dls: f64 = data.iter().map(|x| 1.0 - ((x - mu) / s).powi(2)).sum();
        assert!((g.mu - dmu).abs() < 1e-10 && (g.log_sigma - dls).abs() < 1e-10);
        let d32: Vec<f32> = data.iter().map(|&x| x as f32).collect();
        let (_, g32) = gaussian_nll_grad(mu as f32, ls as f32, &d32);
        assert!((g32.mu as f64 - dmu).abs() < 1e-3 * (1.0 + dmu.abs()));
    }
}
