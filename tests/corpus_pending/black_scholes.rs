// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/finance.rs (inside `mod black_scholes { .. }`) once it passes.
//
// Domain: finance
// Status: rustc error inside generated code
// Class:  call of an unmarked external function (libm::erf)
// Oracle: closed-form Greeks (delta, dK, vega, rho, theta) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0425]: cannot find function `__erf_pullback` in crate `libm`
//   --> tests/corpus_pending/black_scholes.rs:18:24

use std::f64::consts::{PI, SQRT_2};
use tapeless::differentiate;

#[differentiate]
fn norm_cdf(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / SQRT_2))
}

/// Black–Scholes price of a European call.
#[differentiate]
pub fn call_price(s: f64, k: f64, t: f64, r: f64, sigma: f64) -> f64 {
    let sqrt_t = t.sqrt();
    let d1 = ((s / k).ln() + (r + 0.5 * sigma * sigma) * t) / (sigma * sqrt_t);
    let d2 = d1 - sigma * sqrt_t;
    s * norm_cdf(d1) - k * (-r * t).exp() * norm_cdf(d2)
}

#[test]
fn black_scholes_greeks() {
    let n = |x: f64| 0.5 * (1.0 + libm::erf(x / SQRT_2));
    let phi = |x: f64| (-0.5 * x * x).exp() / (2.0 * PI).sqrt();
    for (s, k, t, r, sigma) in [(100.0, 95.0, 0.5, 0.02, 0.25), (50.0, 60.0, 2.0, 0.05, 0.4), (10.0, 10.0, 0.1, 0.0, 0.6)] {
        let (v, g) = call_price_grad(s, k, t, r, sigma);
        assert!((v - call_price(s, k, t, r, sigma)).abs() < 1e-12);
        // Closed-form Greeks.
        let d1 = ((s / k).ln() + (r + 0.5 * sigma * sigma) * t) / (sigma * t.sqrt());
        let d2 = d1 - sigma * t.sqrt();
        let disc = (-r * t).exp();
        let delta = n(d1);
        let dk = -disc * n(d2);
        let vega = s * phi(d1) * t.sqrt();
        let rho = k * t * disc * n(d2);
        let dt = s * phi(d1) * sigma / (2.0 * t.sqrt()) + r * k * disc * n(d2);
        for (got, want) in [(g.s, delta), (g.k, dk), (g.sigma, vega), (g.r, rho), (g.t, dt)] {
            assert!((got - want).abs() < 1e-9 * (1.0 + want.abs()), "{got} vs {want}");
        }
    }
}
