// A two-layer perceptron as users write it on nalgebra: biases broadcast by an outer
// product with a row of ones, nn::sigmoid, nn::cross_entropy.
#[differentiate(wrt(w1, b1, w2, b2))]
pub fn mlp_loss(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    x: &DMatrix<f64>,
    labels: &[usize],
) -> f64 {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let h = tapeless::nn::sigmoid(&(w1 * x + b1 * &ones));
    let logits = w2 * h + b2 * &ones;
    tapeless::nn::cross_entropy(&logits, labels)
}
