// `..` before the last element of an array pattern: the elements after it need the
// array's length; index them instead.
use tapeless::differentiate;

#[differentiate]
fn f(p: [f64; 4]) -> f64 {
    let [a, .., z] = p;
    a * z
}

fn main() {}
