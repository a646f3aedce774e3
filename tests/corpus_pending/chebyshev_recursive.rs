// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/numerics.rs (inside `mod chebyshev_recursive { .. }`) once it passes.
//
// Domain: numerical methods
// Status: rejected with a clean message
// Class:  pattern: match arm that binds
// Also uses (may block next; not verified, hidden behind the first error): recursion
// Next blocker, verified by rewriting the first locally (match → if/else): rejected: recursion
// Oracle: closed form T_n'(cos θ) = n sin nθ / sin θ at 3 points; value vs cos nθ and plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: `match` patterns that bind variables are not supported by #[differentiate]; match on constants, ranges and variants (`0`, `1..=3`, `Mode::Fast`, `_`)
//   --> tests/corpus_pending/chebyshev_recursive.rs:23:9

use tapeless::differentiate;

/// Chebyshev polynomial T_n(x) by its three-term recursion, written recursively.
#[differentiate]
pub fn chebyshev(n: u32, x: f64) -> f64 {
    match n {
        0 => 1.0,
        1 => x,
        n => 2.0 * x * chebyshev(n - 1, x) - chebyshev(n - 2, x),
    }
}

#[test]
fn chebyshev_recursion() {
    // Closed form on [−1, 1]: T_n(cos θ) = cos nθ, so T_n′(x) = n sin(nθ)/sin θ.
    for (n, x) in [(3u32, 0.3), (5, -0.7), (6, 0.55)] {
        let (v, g) = chebyshev_grad(n, x);
        assert!((v - chebyshev(n, x)).abs() < 1e-12);
        let th = f64::acos(x);
        assert!((v - (n as f64 * th).cos()).abs() < 1e-12);
        let expected = n as f64 * (n as f64 * th).sin() / th.sin();
        assert!((g.x - expected).abs() < 1e-10, "{} vs {}", g.x, expected);
    }
}
