// A refutable pattern in `let` (`Some(i)`): rustc rejects it in the function as written
// (E0005), and #[differentiate] says the same at the pattern instead of destructuring it.
use tapeless::differentiate;

#[differentiate(wrt(x))]
fn f(x: f64, chosen: Option<usize>) -> f64 {
    let Some(i) = chosen;
    x * i as f64
}

fn main() {}
