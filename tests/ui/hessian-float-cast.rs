// `x as f64` of a differentiated value in a `hessian` function: the Hessian runs a copy of
// the function over dual numbers, where a cast to a float type converts data and would drop
// the derivative. A cast of data (`n as f64`) is fine.
use tapeless::differentiate;

#[differentiate(hessian)]
fn cubed(x: f64, n: usize) -> f64 {
    let y = x as f64;
    y * y * y * n as f64
}

fn main() {}
