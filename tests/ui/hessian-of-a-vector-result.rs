// `hessian` on a function returning a vector: the Hessian is that of a scalar function;
// differentiate each component separately.
use tapeless::differentiate;

#[differentiate(hessian)]
fn f(x: f64, y: f64) -> [f64; 2] {
    [x * y, x + y]
}

fn main() {}
