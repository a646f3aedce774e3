// f(x) = √(x² + e^{x²}) + cos(x² + e^{x²}), the first worked example of the lectures.
#[differentiate]
pub fn f(x: f64) -> f64 {
    let u = x * x + (x * x).exp();
    u.sqrt() + u.cos()
}

// Rebinding and compound assignment create new versions (`y_1`, ...).
#[differentiate]
fn versions(x: f64, y: f64) -> f64 {
    let mut z = x * y;
    z += x.sin();
    let y = z * 2.0;
    y / x
}
