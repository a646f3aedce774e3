// A parameter of tuples of data and floats (`&[(usize, f64)]`) without `wrt(..)`: its
// floats have no gradient, so it is data only when `wrt(..)` names the parameters to
// differentiate (`#[differentiate(wrt(x))]`).
use tapeless::differentiate;

#[differentiate]
fn f(x: &[f64], terms: &[(usize, f64)]) -> f64 {
    let mut e = 0.0;
    for &(i, w) in terms {
        e += w * x[i].exp();
    }
    e
}

fn main() {}
