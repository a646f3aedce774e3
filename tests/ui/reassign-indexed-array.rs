// Reassigning a whole array that is also written by index, by another array: such an array
// is kept as memory written in place, and a whole-value replacement would hide what it
// overwrote; write its elements one by one instead (or assign an array literal,
// `a = [1.0, 2.0];`, whose elements are written one by one).
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let mut a = [0.0; 2];
    a[0] = x;
    a[1] = x * x;
    let s = a[0] + a[1];
    let b = [s, 2.0 * s];
    a = b;
    s * a[0]
}

fn main() {}
