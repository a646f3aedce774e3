//! Inputs and the agreement check shared by the benches (included by `#[path]`; not a
//! bench target of its own).

// Each bench compiles its own copy, and not every bench checks with `assert_close`.
#![allow(dead_code)]

/// `n` values uniform in [−half_width, half_width), from xorshift64 seeded with `seed` (≠ 0):
/// the same inputs on every machine and run.
pub fn uniform(n: usize, seed: u64, half_width: f64) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * half_width
        })
        .collect()
}

/// `|a − b| ≤ tolerance · max(1, |a|, |b|)`: a benchmark of a wrong gradient measures
/// nothing, so every bench checks its forms against the hand-written one before timing.
pub fn assert_close(what: &str, a: f64, b: f64, tolerance: f64) {
    let scale = a.abs().max(b.abs()).max(1.0);
    assert!((a - b).abs() <= tolerance * scale, "{what}: {a:e} vs {b:e}");
}
