// A `for` loop in a differentiated function: loops are not supported yet (they are
// planned); for now unroll the loop or use `powi` and friends.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, n: usize) -> f64 {
    let mut y = 1.0;
    for _ in 0..n {
        y *= x;
    }
    y
}

fn main() {}
