// `wrt(w)`: `b` and `x` get no field and no adjoint code; `n` is data.
#[differentiate(wrt(w))]
pub fn neuron(w: f64, b: f64, x: f64, n: usize) -> f64 {
    let z = w * x + b;
    z.max(0.0) / (n as f64)
}
