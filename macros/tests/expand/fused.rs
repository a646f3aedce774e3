// Loops that only accumulate run fused in `f_vjp`: each iteration's reverse right after its
// forward, in one loop, from the accumulator's adjoint computed before it (here `seed / n`,
// with `n as f64` evaluated early). Two loops onto one accumulator hand it on. Run by
// `tests/golden_functions.rs`.
#[differentiate]
pub fn mean_square(x: &[f64], w: f64) -> f64 {
    let n = x.len();
    let mut total = 0.0;
    for i in 0..n {
        let r = x[i] * w - 1.0;
        total += r * r;
    }
    for i in 1..n {
        total += 0.1 * (x[i] - x[i - 1]).abs();
    }
    total / n as f64
}
