// `.skip(1)` on a range loop: only `.rev()` and `.step_by(k)` are replayed backwards;
// start the range one later instead (`1..n`).
use tapeless::differentiate;

#[differentiate]
fn f(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..xs.len()).skip(1) {
        s += xs[i] * xs[i - 1];
    }
    s
}

fn main() {}
