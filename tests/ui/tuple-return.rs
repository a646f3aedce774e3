// The function returns two floats: `#[differentiate]` computes the gradient of one scalar;
// differentiate each output as its own function (or combine them into one float).
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> (f64, f64) {
    (x.sin(), x.cos())
}

fn main() {}
