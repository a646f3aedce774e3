// A `let` that destructures a tuple: patterns other than a plain name are not supported
// yet; bind each value with its own `let`.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let (s, c) = (x.sin(), x.cos());
    s * c
}

fn main() {}
