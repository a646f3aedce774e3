use tapeless::differentiate;
#[differentiate(wrt(w, b))]
fn logistic(w: &[f64], b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let d = w.len();
    let n = ys.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut z = b;
        for j in 0..d {
            z += w[j] * xs[i * d + j];
        }
        total += (-ys[i] * z).exp().ln_1p();
    }
    total / n as f64
}
