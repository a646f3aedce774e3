// A `#[custom_vjp]` function with a non-scalar output and no forward rule: its rule gives
// reverse mode only, and a non-scalar output has no reverse-sweep fallback for `f_jvp`, so
// the function still builds and has `f_grad`/`f_vjp`, and only calling `f_jvp` is an
// error (add `jvp = forward_rule` to the attribute).
use tapeless::custom_vjp;

#[custom_vjp(squares_rule)]
fn squares(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| v * v).collect()
}

fn squares_rule(x: &[f64], seed: Vec<f64>) -> Vec<f64> {
    x.iter().zip(&seed).map(|(v, s)| 2.0 * v * s).collect()
}

fn main() {
    let x = [0.5, -1.5];
    let _ = squares_vjp(&x, vec![1.0, 0.0]);
    let t = SquaresGrad { x: vec![1.0, 0.0] };
    let _ = squares_jvp(&x, &t);
}
