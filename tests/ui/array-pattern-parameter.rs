// A parameter written as an array pattern: the gradient struct needs one field name per
// parameter; take a plain name and destructure it in the body (`let [x, y] = p;`).
use tapeless::differentiate;

#[differentiate]
fn f([x, y]: [f64; 2]) -> f64 {
    x * y
}

fn main() {}
