// An array literal whose elements are vectors (`[x.to_vec(), ..]`) is not an array written
// by index (its elements have no fixed zero): rejected at the literal, saying what to write
// instead.
use tapeless::differentiate;

#[differentiate]
fn f(x: &[f64]) -> f64 {
    let a = [x.to_vec(), x[1..].to_vec()];
    a[0].iter().sum::<f64>() + a[1][0]
}

fn main() {}
