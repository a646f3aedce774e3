// `xs.iter().step_by(2)` consumed by a reduction (`.map(..).sum()`): a `for` loop or a
// `fold` over it is a step over the indices (`tests/iterator_chain_step.rs`), a reduction
// not yet; write `(0..xs.len()).step_by(2).map(|i| xs[i] * xs[i]).sum()`, or the loop.
use tapeless::differentiate;

#[differentiate]
fn f(xs: &[f64]) -> f64 {
    xs.iter().step_by(2).map(|x| x * x).sum()
}

fn main() {}
