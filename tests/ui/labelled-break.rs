// A labelled `break` out of a nested loop: the reverse sweep replays each loop from its own
// iteration count, and a jump across loops has no such count. Rejected at the label of the
// loop; break out of the innermost loop and test a flag in the outer one instead.
use tapeless::differentiate;

#[differentiate]
fn f(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..xs.len() {
        for j in 0..xs.len() {
            s += xs[i] * xs[j];
            if s > 10.0 {
                break 'rows;
            }
        }
    }
    s
}

fn main() {}
