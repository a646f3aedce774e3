// The user builds a range whose end is an active value and reads it back. A range carries
// its ends, so it must not be treated as data without a derivative.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let r = x..2.0;
    r.start * 1.0
}

fn main() {}
