// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/numerics.rs (inside `mod horner_recursive_slice { .. }`) once it passes.
//
// Domain: numerical methods
// Status: rejected with a clean message
// Class:  recursion
// Also uses (may block next; not verified, hidden behind the first error): sub-slice (&x[a..b], &x[i+1..])
// Oracle: closed form ∂p/∂c_k = x^k, ∂p/∂x = Σ k c_k x^(k−1) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: recursion is not supported by #[differentiate]: `horner` calls itself; write the recursion as a loop
//   --> tests/corpus_pending/horner_recursive_slice.rs:22:25

use tapeless::differentiate;

/// p(x) = c0 + x (c1 + x (c2 + ...)) by recursion on the tail slice.
#[differentiate]
pub fn horner(coeffs: &[f64], x: f64) -> f64 {
    if coeffs.is_empty() {
        0.0
    } else {
        coeffs[0] + x * horner(&coeffs[1..], x)
    }
}

#[test]
fn horner_recursive_on_sub_slices() {
    for (c, x) in [(vec![1.0, -2.0, 0.5, 3.0], 0.7), (vec![0.3, 0.0, 1.0], -1.5), (vec![2.0], 4.0)] {
        let (v, g) = horner_grad(&c, x);
        assert!((v - horner(&c, x)).abs() < 1e-12);
        // Closed form: ∂p/∂c_k = x^k, ∂p/∂x = Σ k c_k x^(k−1).
        let dx: f64 = c.iter().enumerate().skip(1).map(|(k, ck)| k as f64 * ck * x.powi(k as i32 - 1)).sum();
        assert!((g.x - dx).abs() < 1e-10);
        for k in 0..c.len() {
            assert!((g.coeffs[k] - x.powi(k as i32)).abs() < 1e-10);
        }
    }
}
