// A `name @ pattern` binding in a `for` loop's pattern: destructuring patterns of the
// elements (`for &(i, j) in bonds`) are supported, but `@` bindings are not; bind the
// element to a name and destructure it in a second `let`.
use tapeless::differentiate;

#[differentiate(wrt(x))]
fn f(x: &[f64], bonds: &[(usize, usize)]) -> f64 {
    let mut e = 0.0;
    for pair @ (i, j) in bonds.iter().copied() {
        e += x[i] * x[j] * pair.0 as f64;
    }
    e
}

fn main() {}
