// A parameter struct: its gradient is a struct of the same type, filled by field reads.
// Run by `tests/golden_functions.rs`.
#[derive(Differentiable, Clone)]
pub struct Line {
    pub slope: f64,
    pub intercept: f64,
}

#[differentiate]
pub fn line_error(line: &Line, x: f64, y: f64) -> f64 {
    let r = line.slope * x + line.intercept - y;
    r * r
}
