// An array literal of differentiated values passed straight to a function: bind it first
// (`let a = [x, y]; norm(&a)`), which is the array written by index.
use tapeless::differentiate;

#[differentiate]
fn norm(a: &[f64; 2]) -> f64 {
    (a[0] * a[0] + a[1] * a[1]).sqrt()
}

#[differentiate]
fn f(x: f64, y: f64) -> f64 {
    norm(&[x, y])
}

fn main() {}
