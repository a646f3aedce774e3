// An array literal of differentiated values passed to a function in an expression that
// is not a statement of a block (a closure's body): bind it first (`let a = [v, y];` in a
// block), which is the array written by index. (`norm(&[x, y])` as a statement's own call
// or in a `return` works.)
use tapeless::differentiate;

#[differentiate]
fn norm(a: &[f64; 2]) -> f64 {
    (a[0] * a[0] + a[1] * a[1]).sqrt()
}

#[differentiate]
fn f(x: f64, y: f64) -> f64 {
    let g = |v: f64| norm(&[v, y]);
    g(x)
}

fn main() {}
