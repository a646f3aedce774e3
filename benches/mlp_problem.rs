//! The MLP problem of `benches/mlp.rs`, shared with `benches/jax_reference.rs` (which
//! exports it for the JAX peer, `benches/jax/peer.py`): the sizes, the loss under
//! `#[differentiate]` and the deterministic inputs.

use nalgebra::{DMatrix, DVector, RowDVector};
use tapeless::differentiate;

/// Samples per batch (columns of `x`).
pub const BATCH: usize = 64;
/// Inputs per sample.
pub const INPUTS: usize = 64;
/// Hidden (sigmoid) units.
pub const HIDDEN: usize = 32;
/// Classes (logits).
pub const CLASSES: usize = 10;

/// The loss: mean cross-entropy of softmax(w2·σ(w1·x + b1) + b2) against `labels`.
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

/// The parameters of the network.
pub struct Params {
    pub w1: DMatrix<f64>,
    pub b1: DVector<f64>,
    pub w2: DMatrix<f64>,
    pub b2: DVector<f64>,
}

/// Deterministic inputs: weights scaled by 1/√fan-in (so that neither the sigmoid nor the
/// softmax saturates), inputs in [−1, 1], labels spread over the classes (a xorshift
/// generator, so that no two elements are alike and nothing folds).
pub fn inputs() -> (Params, DMatrix<f64>, Vec<usize>) {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut uniform = move || (next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
    let s1 = 1.0 / (INPUTS as f64).sqrt();
    let s2 = 1.0 / (HIDDEN as f64).sqrt();
    let params = Params {
        w1: DMatrix::from_fn(HIDDEN, INPUTS, |_, _| 2.0 * s1 * uniform()),
        b1: DVector::from_fn(HIDDEN, |_, _| 0.5 * uniform()),
        w2: DMatrix::from_fn(CLASSES, HIDDEN, |_, _| 2.0 * s2 * uniform()),
        b2: DVector::from_fn(CLASSES, |_, _| 0.5 * uniform()),
    };
    let x = DMatrix::from_fn(INPUTS, BATCH, |_, _| uniform());
    let labels = (0..BATCH).map(|j| (j * 7 + j / 3) % CLASSES).collect();
    (params, x, labels)
}
