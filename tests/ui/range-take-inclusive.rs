// `.take(k)` of an inclusive range (`(1..=n).take(k)`): `.skip(k)` of any range and
// `.take(k)` of `a..b` are the ranges they mean, this one is not rewritten; write the
// half-open range (`(1..n + 1).take(k)`) or the bounds (`1..=k.min(n)`).
use tapeless::differentiate;

#[differentiate]
fn f(xs: &[f64], k: usize) -> f64 {
    let mut s = 0.0;
    for i in (1..=xs.len()).take(k) {
        s += xs[i - 1] * xs[i - 1];
    }
    s
}

fn main() {}
