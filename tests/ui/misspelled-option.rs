// The option `wrt` is misspelled `wtr`: unknown options are rejected, with a hint.
use tapeless::differentiate;

#[differentiate(wtr(x))]
fn f(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {}
