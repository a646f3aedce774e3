use nalgebra::DMatrix;
use tapeless::differentiate;

#[differentiate]
fn largest_in_row(m: &DMatrix<f64>) -> f64 {
    m.row(0).max()
}

fn main() {}
