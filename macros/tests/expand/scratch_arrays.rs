// A loop body that rewrites scratch arrays (ADBench's GMM style): replayed. The forward
// sweep saves nothing of the point loop's body; each reverse iteration runs the iteration
// again, reads `z` and `y` as it left them, keeps `exp` on a stack of one iteration, and
// rebuilds the triangle's running index `l` backwards. Run by `tests/golden_functions.rs`.
#[differentiate(wrt(w))]
pub fn scratch(w: &[f64], x: &[f64], d: usize, n: usize) -> f64 {
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..d {
            z[j] = x[i * d + j] - w[j];
        }
        for j in 0..d {
            y[j] = w[j].exp() * z[j];
        }
        let mut l = d;
        for col in 0..d {
            for row in col + 1..d {
                y[row] += w[l] * z[col];
                l += 1;
            }
        }
        for j in 0..d {
            total += y[j] * y[j];
        }
    }
    total
}
