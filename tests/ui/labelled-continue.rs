// A labelled `continue` of an outer loop from an inner one: like a labelled `break`, a
// jump across loops is not replayed by the reverse sweep. Rejected at the label of the
// loop; `break` out of the inner loop instead and let the outer loop go on.
use tapeless::differentiate;

#[differentiate]
fn f(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    'outer: for i in 0..xs.len() {
        for j in 0..xs.len() {
            if xs[j] < 0.0 {
                continue 'outer;
            }
            s += xs[i] * xs[j];
        }
    }
    s
}

fn main() {}
