//! Hand-written derivatives of the n-dimensional Rosenbrock function
//! f(x) = Σ_{i<n−1} 100 (x_{i+1} − x_i²)² + (1 − x_i)², the references the forward-mode and
//! Hessian benchmarks (`benches/forward.rs`) measure against. Shared with
//! `tests/rosenbrock_hand.rs`, which checks them against central differences, through
//! `#[path]`.
//!
//! Derivation. With a_i = x_{i+1} − x_i² and b_i = 1 − x_i, term i is 100 a_i² + b_i², so
//!
//! - ∂/∂x_i = −400 a_i x_i − 2 b_i and ∂/∂x_{i+1} = 200 a_i;
//! - ∂²/∂x_i² = −400 (∂a_i/∂x_i) x_i − 400 a_i + 2 = 1200 x_i² − 400 x_{i+1} + 2,
//!   ∂²/∂x_i∂x_{i+1} = −400 x_i, ∂²/∂x_{i+1}² = 200.
//!
//! The Hessian is tridiagonal: H_ii = [i < n−1](1200 x_i² − 400 x_{i+1} + 2) + [i > 0] 200,
//! H_{i,i+1} = H_{i+1,i} = −400 x_i.

/// The value and the directional derivative ⟨∇f(x), v⟩ in one pass.
pub fn jvp(x: &[f64], v: &[f64]) -> (f64, f64) {
    let mut value = 0.0;
    let mut derivative = 0.0;
    for i in 0..x.len().saturating_sub(1) {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        value += 100.0 * a * a + b * b;
        derivative += (-400.0 * a * x[i] - 2.0 * b) * v[i] + 200.0 * a * v[i + 1];
    }
    (value, derivative)
}

/// The value and the gradient in one pass.
pub fn gradient(x: &[f64]) -> (f64, Vec<f64>) {
    let mut grad = vec![0.0; x.len()];
    let mut value = 0.0;
    for i in 0..x.len().saturating_sub(1) {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        value += 100.0 * a * a + b * b;
        grad[i] += -400.0 * a * x[i] - 2.0 * b;
        grad[i + 1] += 200.0 * a;
    }
    (value, grad)
}

/// The diagonal and the off-diagonal (entry i is H_{i,i+1}) of the tridiagonal Hessian.
pub fn tridiagonal(x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = x.len();
    let mut diagonal = vec![0.0; n];
    let mut off = vec![0.0; n.saturating_sub(1)];
    for i in 0..n.saturating_sub(1) {
        diagonal[i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        diagonal[i + 1] += 200.0;
        off[i] = -400.0 * x[i];
    }
    (diagonal, off)
}

/// The value, the gradient and the Hessian-vector product H·v, in one pass over x.
pub fn hvp(x: &[f64], v: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
    let n = x.len();
    let mut grad = vec![0.0; n];
    let mut hv = vec![0.0; n];
    let mut value = 0.0;
    for i in 0..n.saturating_sub(1) {
        let (xi, next) = (x[i], x[i + 1]);
        let a = next - xi * xi;
        let b = 1.0 - xi;
        value += 100.0 * a * a + b * b;
        grad[i] += -400.0 * a * xi - 2.0 * b;
        grad[i + 1] += 200.0 * a;
        // Term i's 2×2 block [[1200 xᵢ² − 400 x_{i+1} + 2, −400 xᵢ], [−400 xᵢ, 200]].
        let off = -400.0 * xi;
        hv[i] += (1200.0 * xi * xi - 400.0 * next + 2.0) * v[i] + off * v[i + 1];
        hv[i + 1] += off * v[i] + 200.0 * v[i + 1];
    }
    (value, grad, hv)
}

/// The value, the gradient and the dense Hessian (row by row, as `f_hessian` returns it).
pub fn hessian(x: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let n = x.len();
    let (value, grad) = gradient(x);
    let (diagonal, off) = tridiagonal(x);
    let mut rows = vec![vec![0.0; n]; n];
    for (i, row) in rows.iter_mut().enumerate() {
        row[i] = diagonal[i];
        if i > 0 {
            row[i - 1] = off[i - 1];
        }
        if i + 1 < n {
            row[i + 1] = off[i];
        }
    }
    (value, grad, rows)
}
