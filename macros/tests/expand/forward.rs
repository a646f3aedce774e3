// Forward mode (`f_jvp`): a loop with `break` carrying a sum, an array written in place, a
// call of another differentiated function, and a layer with a vector output.

#[differentiate]
fn bump(x: f64, y: f64) -> f64 {
    (x * y).sin() + x
}

#[differentiate]
fn sweep(x: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    let mut s = 0.0;
    for i in 0..x.len() {
        if s > 10.0 {
            break;
        }
        s += bump(x[i], y);
        a[i % 3] = s * y;
    }
    a[0] = 1.0;
    s + a[1] * a[2]
}

#[differentiate]
fn affine_tanh(w: &DMatrix<f64>, b: &DVector<f64>, x: &DVector<f64>) -> DVector<f64> {
    let z = w * x + b;
    nn::tanh(&z)
}
