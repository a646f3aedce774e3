// Writing by index into the result of a call: copy it into a local written by index
// (`let mut b = vec![0.0; n]; for i in 0..n { b[i] = r[i]; } b[0] = ..;`).
use tapeless::differentiate;

#[differentiate]
fn scaled(x: &[f64], s: f64) -> Vec<f64> {
    x.iter().map(|v| v * s).collect()
}

#[differentiate]
fn f(x: &[f64], s: f64) -> f64 {
    let mut b = scaled(x, s);
    b[0] = s * s;
    b[0] + b[1]
}

fn main() {}
