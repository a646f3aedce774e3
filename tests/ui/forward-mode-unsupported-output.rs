// A `#[custom_vjp]` function with a nested tuple result and no forward rule: its rule gives
// reverse mode only, and a tuple inside a tuple has no reverse-sweep fallback for `f_jvp`
// (a flat tuple of floats, vector-like values and data has), so the function still builds
// and has `f_vjp`, and only calling `f_jvp` is an error (add `jvp = forward_rule` to the
// attribute, or flatten the tuple).
use tapeless::custom_vjp;

#[custom_vjp(pair_rule)]
fn pair(x: f64) -> ((f64, f64), usize) {
    ((x * x, x), 3)
}

fn pair_rule(x: f64, seed: ((f64, f64), ())) -> f64 {
    2.0 * x * seed.0.0 + seed.0.1
}

fn main() {
    let _ = pair_vjp(0.5, ((1.0, 0.0), ()));
    let t = PairGrad { x: 1.0 };
    let _ = pair_jvp(0.5, &t);
}
