// `f_jacobian` of a function whose output type is an alias: the macro cannot see through
// it, so `f_jacobian` is emitted with a bound that the output is vector-like. An alias of a
// `Vec`, array or nalgebra type works; this one names a tuple, which has no Jacobian rows.
// The function and its `f_vjp` compile; calling `f_jacobian` is the error.
use tapeless::differentiate;

type Pair = (f64, f64);

#[differentiate]
fn f(x: f64) -> Pair {
    (x, x * x)
}

fn main() {
    let _ = f_vjp(1.0, (1.0, 0.0));
    let _ = f_jacobian(1.0);
}
