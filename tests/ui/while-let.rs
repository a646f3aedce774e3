// `while let`: a loop whose condition binds a pattern is not supported; write a `while`
// with a comparison, or a `for` loop over a range or a slice.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, steps: &[usize]) -> f64 {
    let mut y = x;
    let mut k = 0;
    while let Some(n) = steps.get(k) {
        y = y * (*n as f64);
        k += 1;
    }
    y
}

fn main() {}
