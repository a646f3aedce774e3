// `.map` closures over an nalgebra vector: `|e| e.tanh()` is the elementwise rule of
// `nn::tanh` (one pass each way, the adjoint reading the output); another closure (here one
// capturing a parameter) is the loop writing each element. Run by
// `tests/golden_functions.rs`.
#[differentiate]
pub fn mapped(v: &DVector<f64>) -> f64 {
    v.map(|e| e.tanh()).sum()
}

#[differentiate]
pub fn mapped_capture(v: &DVector<f64>, s: f64) -> f64 {
    v.map(|e| e * s).sum()
}
