// The user selects the element of largest magnitude with `max_by` and a comparator of their
// own. #[differentiate] takes `max_by` only with the comparator of the values themselves
// (`a.partial_cmp(b).unwrap()` or `a.total_cmp(b)`); the message says to write the loop,
// and no second error follows about the chain's `.iter()`.
use tapeless::differentiate;

#[differentiate]
fn largest_magnitude(a: &[f64]) -> f64 {
    a.iter()
        .copied()
        .max_by(|x, y| x.abs().partial_cmp(&y.abs()).unwrap())
        .unwrap()
}

fn main() {}
