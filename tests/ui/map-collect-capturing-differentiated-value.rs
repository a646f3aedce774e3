// `.collect()` of a `.map` whose closure reads a differentiated value (`bias`): collecting
// has no derivative rule, so it is rejected (it once compiled and dropped the derivative
// with respect to `bias` when the closure's body was a block). Write the loop instead:
// `let mut v = vec![0.0; xs.len()]; for (i, w) in xs.iter().enumerate() { v[i] = w + bias; }`.
use tapeless::differentiate;

#[differentiate(wrt(bias))]
fn f(xs: &[f64], bias: f64) -> f64 {
    let v: Vec<f64> = xs.iter().map(|w| { w + bias }).collect();
    v[0] * v[1]
}

fn main() {}
