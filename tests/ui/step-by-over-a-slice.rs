// `xs.iter().step_by(2)`: a step over a slice's elements; iterate the indices instead,
// `for i in (0..xs.len()).step_by(2)` with `xs[i]`.
use tapeless::differentiate;

#[differentiate]
fn f(xs: &[f64]) -> f64 {
    xs.iter().step_by(2).map(|x| x * x).sum()
}

fn main() {}
