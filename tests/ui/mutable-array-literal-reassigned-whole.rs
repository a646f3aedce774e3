// `let mut a = [x, y];` is the array written by index when the function only writes its
// elements (`a[1] += x;`); reassigned whole (`a = [y, x];`) it is not supported: the error
// is at the literal, saying what to write instead.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, y: f64) -> f64 {
    let mut a = [x, y];
    if x > 0.0 {
        a = [y, x];
    }
    a[0] * 2.0 + a[1]
}

fn main() {}
