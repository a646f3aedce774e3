// `.map` closures over an nalgebra vector, without and with a captured parameter. Run by
// `tests/golden_functions.rs`.
#[differentiate]
pub fn mapped(v: &DVector<f64>) -> f64 {
    v.map(|e| e.tanh()).sum()
}

#[differentiate]
pub fn mapped_capture(v: &DVector<f64>, s: f64) -> f64 {
    v.map(|e| e * s).sum()
}
