// A `#[custom_vjp]` function with a tuple result that holds data (`usize`) and no forward
// rule: its rule gives reverse mode only, and such a tuple (neither a scalar, nor
// vector-like, nor a tuple of those) has no reverse-sweep fallback for `f_jvp`, so the
// function still builds and has `f_vjp`, and only calling `f_jvp` is an error (add
// `jvp = forward_rule` to the attribute). A tuple of floats has the fallback.
use tapeless::custom_vjp;

#[custom_vjp(pair_rule)]
fn pair(x: f64) -> (f64, usize) {
    (x * x, 3)
}

fn pair_rule(x: f64, seed: (f64, ())) -> f64 {
    2.0 * x * seed.0
}

fn main() {
    let _ = pair_vjp(0.5, (1.0, ()));
    let t = PairGrad { x: 1.0 };
    let _ = pair_jvp(0.5, &t);
}
