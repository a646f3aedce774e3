// A function with an error and a parameter named `seed`: the stubs emitted beside the error
// name their own seed hygienically, so the only message is the real one.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, seed: f64) -> f64 {
    let v = x.rem_euclid(seed);
    v * seed
}

fn main() {}
