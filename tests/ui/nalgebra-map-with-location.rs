// A closure passed to a nalgebra method other than `map`, `zip_map` and `from_fn`
// (`map_with_location`, `apply`, `from_iterator`'s chain, ...): it is not differentiated
// inside nalgebra; write the loop (`for j in 0..m.ncols() { for i in 0..m.nrows() { .. } }`
// into `DMatrix::zeros(..)`), or `DMatrix::from_fn(r, c, |i, j| ..)`.
use nalgebra::DMatrix;
use tapeless::differentiate;

#[differentiate]
fn f(m: &DMatrix<f64>) -> f64 {
    let weighted = m.map_with_location(|i, j, v| v * (i + j) as f64);
    weighted.sum()
}

fn main() {}
