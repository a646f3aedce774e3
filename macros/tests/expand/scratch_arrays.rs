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

// The point loop only accumulates (`total -= ..`), so `kept_vjp` runs each point's reverse
// right after its forward, in one loop (a fused loop: nothing replayed, nothing kept). The
// pullback (`__kept_pullback`, whose seed comes after its forward sweep) replays the loop
// instead, and keeps a transcendental result that changes with the iteration (`exp` of the
// scratch array, `ln` of the sum): the forward sweep pushes it on `kept_..`, each
// iteration's segment starting where `kept_.._starts` says, and the replay reads it back
// instead of computing it again. `exp(-s[c])`, the same for every point, is computed again.
#[differentiate]
pub fn kept(a: &[f64], s: &[f64], xs: &[f64]) -> f64 {
    let k = a.len();
    let mut lp = vec![0.0; k];
    let mut total = 0.0;
    for i in 0..xs.len() {
        for c in 0..k {
            lp[c] = a[c] - xs[i] * (-s[c]).exp();
        }
        let mut e = 0.0;
        for c in 0..k {
            e += lp[c].exp();
        }
        total -= e.ln();
    }
    total
}
