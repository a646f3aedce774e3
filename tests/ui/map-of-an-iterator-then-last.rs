// The user maps an iterator and takes its `.last()`: a mapped iterator is differentiated
// reduced, collected or looped over, and `last` is none of these. The error names the map
// whose chain goes on and the `for` loop to write instead (it used to blame the closure's
// `|&v|` pattern, which is supported).
use tapeless::differentiate;

#[differentiate]
fn last_square(xs: &[f64]) -> f64 {
    xs.iter().map(|&v| v * v).last().unwrap()
}

fn main() {}
