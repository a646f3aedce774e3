// `ref` in a destructuring `let`: the elements are copied, bind them by value.
use tapeless::differentiate;

#[differentiate]
fn f(p: [f64; 2]) -> f64 {
    let [ref a, b] = p;
    a * b
}

fn main() {}
