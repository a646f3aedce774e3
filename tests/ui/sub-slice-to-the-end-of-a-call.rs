// `&f()[a..]`: the end of the sub-slice is the value's length, which #[differentiate] reads
// again; it takes such a sub-slice of a variable or a field. Bind the value first
// (`let v = weights(); for w in &v[1..] { .. }`).
use tapeless::differentiate;

fn weights() -> Vec<f64> {
    vec![1.0, 2.0, 3.0]
}

#[differentiate]
fn f(x: f64) -> f64 {
    let mut s = 0.0;
    for w in &weights()[1..] {
        s += w * x;
    }
    s
}

fn main() {}
