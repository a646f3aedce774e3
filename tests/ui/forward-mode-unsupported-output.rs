// Forward mode does not handle this function yet (a tuple with a constant element merged by
// an `if`), and its output is not a scalar, so `f_jvp` has no reverse-sweep fallback: the
// function still builds and has `f_grad`/`f_vjp`, and only calling `f_jvp` is an error.
use tapeless::differentiate;

#[differentiate]
fn tuple_merge_vector(x: f64, y: f64) -> Vec<f64> {
    let p = if x > 0.0 { (x * y, 1.5) } else { (y.sin(), 2.0) };
    let mut out = vec![0.0; 2];
    out[0] = p.0 * p.1;
    out[1] = x;
    out
}

fn main() {
    let _ = tuple_merge_vector_vjp(0.5, 2.0, vec![1.0, 0.0]);
    let _ = tuple_merge_vector_jvp(0.5, 2.0, &TupleMergeVectorGrad { x: 1.0, y: 0.0 });
}
