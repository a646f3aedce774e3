// `hessian` with a parameter struct: its fields are `f64`s, which the Hessian's run over
// dual numbers cannot change; pass the values as floats, a slice, an array or a `Vec`.
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
struct Line {
    slope: f64,
    intercept: f64,
}

#[differentiate(hessian, wrt(line))]
fn squared_error(line: &Line, xs: &[f64], ys: &[f64]) -> f64 {
    let mut total = 0.0;
    for i in 0..xs.len() {
        let r = line.slope * xs[i] + line.intercept - ys[i];
        total += r * r;
    }
    total
}

fn main() {}
