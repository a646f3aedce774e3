// A `#[custom_vjp]` function with a tuple result and no forward rule: its rule gives
// reverse mode only, and a tuple (neither a scalar nor vector-like) has no reverse-sweep
// fallback for `f_jvp`, so the function still builds and has `f_vjp`, and only calling
// `f_jvp` is an error (add `jvp = forward_rule` to the attribute).
use tapeless::custom_vjp;

#[custom_vjp(pair_rule)]
fn pair(x: f64) -> (f64, f64) {
    (x * x, x)
}

fn pair_rule(x: f64, seed: (f64, f64)) -> f64 {
    2.0 * x * seed.0 + seed.1
}

fn main() {
    let _ = pair_vjp(0.5, (1.0, 0.0));
    let t = PairGrad { x: 1.0 };
    let _ = pair_jvp(0.5, &t);
}
