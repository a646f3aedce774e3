// `break` inside an `if` used as a value: the exits of a loop must stand as statements
// (directly in the loop body, or in an `if`/`match` statement there); test the condition
// first and `break`, then compute the value.
use tapeless::differentiate;

#[differentiate]
fn f(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let v = if xs[i] < 0.0 { break } else { xs[i] * 2.0 };
        s += v;
    }
    s
}

fn main() {}
