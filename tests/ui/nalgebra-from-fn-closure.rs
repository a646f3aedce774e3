// `DMatrix::from_fn(n, n, |i, j| ..)` reading differentiated values: the closure is
// not differentiated inside nalgebra's constructor; write the matrix by index
// (`let mut k = DMatrix::zeros(n, n); for i in 0..n { for j in 0..n { k[(i, j)] = ..; } }`).
use nalgebra::DMatrix;
use tapeless::differentiate;

#[differentiate]
fn f(x: &[f64]) -> f64 {
    let n = x.len();
    let k = DMatrix::from_fn(n, n, |i, j| (-(x[i] - x[j]).powi(2)).exp());
    k.sum()
}

fn main() {}
