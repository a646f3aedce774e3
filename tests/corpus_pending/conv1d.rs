// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/ml.rs (inside `mod conv1d { .. }`) once it passes.
//
// Domain: machine learning
// Status: WRONG GRADIENT
// Class:  block-body map closure capturing an active value
// Also uses (may block next; not verified, hidden behind the first error): iterator chain: windows/chunks; iterator chain: map(..).collect() into a Vec
// Oracle: central differences over kernel and bias at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// compiles, and the test fails: the gradient disagrees with central differences:
//   GradientMismatch { index: 3, analytic: 0.0, numeric: 1.0233333333334353, error: 1.0 }
//   (index 3 is d/dbias; minimal repro in /work/coord/findings.md: a braced closure
//   `.map(|w| { w + bias }).collect()` capturing an active value gives a zero gradient,
//   while the unbraced `.map(|w| w + bias)` is rejected cleanly)

use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// A valid 1-D convolution with a ReLU, then the mean square of the feature map.
#[differentiate(wrt(kernel, bias))]
pub fn conv1d_energy(signal: &[f64], kernel: &[f64], bias: f64) -> f64 {
    let features: Vec<f64> = signal
        .windows(kernel.len())
        .map(|w| {
            let z = w.iter().zip(kernel).map(|(a, b)| a * b).sum::<f64>() + bias;
            z.max(0.0)
        })
        .collect();
    features.iter().map(|f| f * f).sum::<f64>() / features.len() as f64
}

#[test]
fn conv1d() {
    let signal = [0.3, -1.0, 2.0, 0.5, -0.7, 1.1, 0.9, -0.2];
    // Points chosen so no pre-activation sits at the ReLU kink.
    for t in [[0.5, -0.2, 0.3, 0.1], [1.0, 0.4, -0.6, -0.05], [-0.3, 0.8, 0.2, 0.2]] {
        let f = |t: &[f64]| conv1d_energy(&signal, &t[..3], t[3]);
        let (v, g) = conv1d_energy_grad(&signal, &t[..3], t[3]);
        assert!((v - f(&t)).abs() < 1e-12);
        let mut analytic = g.kernel.clone();
        analytic.push(g.bias);
        check_gradient(f, &t, &analytic, Tolerance::default()).unwrap();
    }
}
