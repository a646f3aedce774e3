// A closure passed to a nalgebra method other than `map`, `map_with_location`, `zip_map`
// and `from_fn` (`apply`, `from_iterator`'s chain, ...): it is not differentiated inside
// nalgebra; write `m.map(|v| ..)`, or the loop (`for j in 0..m.ncols() { for i in
// 0..m.nrows() { .. } }` into `DMatrix::zeros(..)`).
use nalgebra::DMatrix;
use tapeless::differentiate;

#[differentiate]
fn f(m: &DMatrix<f64>) -> f64 {
    let mut w = m.clone();
    w.apply(|v| *v = v.sin());
    w.sum()
}

fn main() {}
