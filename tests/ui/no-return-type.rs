// The function returns nothing: there is no value to differentiate.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) {
    let _y = x * x;
}

fn main() {}
