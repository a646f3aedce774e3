// The desugaring pre-pass: `let [a, b] = *p;` reads the elements (`p[0]`, `p[1]`) and the
// `fold` is the loop it means, so its closure's capture of `a` is an ordinary read.
#[differentiate]
pub fn affine_total(p: &[f64; 2], xs: &[f64]) -> f64 {
    let [a, b] = *p;
    xs.iter().fold(0.0, |acc, &x| acc + a * x + b)
}
