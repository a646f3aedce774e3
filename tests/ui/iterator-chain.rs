// `a.iter().chain(b.iter())` consumed by a reduction (`.map(..).sum()`): a `for` loop or a
// `fold` over a chain is two loops (`tests/iterator_chain_step.rs`), a reduction of one is
// not yet. Write two sums, `a.iter().map(f).sum::<f64>() + b.iter().map(f).sum::<f64>()`,
// or the `for` loop.
use tapeless::differentiate;

#[differentiate]
fn f(a: &[f64], b: &[f64]) -> f64 {
    a.iter().chain(b.iter()).map(|x| x * x).sum()
}

fn main() {}
