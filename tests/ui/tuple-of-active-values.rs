// Values that depend on `x` are packed into a tuple: aggregates (tuples, arrays, structs)
// hide their elements from the derivative rules; keep each value in its own `let`.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let t = (x, 2.0 * x);
    t.0 * t.1
}

fn main() {}
