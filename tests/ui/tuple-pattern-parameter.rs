// A parameter written as a tuple pattern: the gradient struct needs one name per parameter;
// take a plain name and destructure in the body (or take two parameters).
use tapeless::differentiate;

#[differentiate]
fn f((a, b): (f64, f64)) -> f64 {
    a * b
}

fn main() {}
