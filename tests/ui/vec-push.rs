// `push` of differentiated values where the vector's length is not known from the loop's
// syntax (a `push` under an `if`: some iterations push, others do not). One `push` per
// iteration of a `for` loop over a range, slice or chain is supported (`tests/vec_push.rs`);
// here, allocate the vector with its length and write by index (`let mut v = vec![0.0; n];
// v[i] = ..;`), or sum the values directly.
use tapeless::differentiate;

#[differentiate]
fn f(x: &[f64]) -> f64 {
    let mut v = Vec::new();
    for a in x {
        if *a > 0.0 {
            v.push(a * a);
        }
    }
    v.iter().sum()
}

fn main() {}
