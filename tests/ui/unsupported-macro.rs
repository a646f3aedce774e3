// A macro other than printing or assertions (`vec!`): the macro sees only its tokens, not
// what its expansion computes, so it cannot differentiate through it.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let v = vec![x, 2.0 * x];
    v[0] + v[1]
}

fn main() {}
