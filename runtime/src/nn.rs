//! Neural-network building blocks and their VJP rules: activations (`sigmoid`, `relu`,
//! `tanh`, elementwise on scalars and matrices), `softmax`, `log_sum_exp`, and the losses
//! `cross_entropy` and `mse`.
//!
//! ```
//! use tapeless_runtime::nn;
//!
//! assert_eq!(nn::sigmoid(0.0_f64), 0.5);
//! assert_eq!(nn::relu(-2.0_f64), 0.0);
//! ```
//!
//! With the `nalgebra` feature the activations also take matrices (`nn::sigmoid(&z)`,
//! elementwise), and the matrix functions are available:
//!
//! ```
//! # #[cfg(feature = "nalgebra")] {
//! use nalgebra::{DMatrix, DVector};
//! use tapeless_runtime::nn;
//!
//! // Two samples (columns) of three logits each.
//! let logits = DMatrix::from_row_slice(3, 2, &[1.0, 0.0,
//!                                              2.0, 0.0,
//!                                              3.0, 0.0_f64]);
//! let p = nn::softmax(&logits);
//! assert!((p.column(1).sum() - 1.0).abs() < 1e-15);
//! let loss = nn::cross_entropy(&logits, &[2, 0]);
//! assert!(loss > 0.0);
//! assert!((nn::log_sum_exp(&DVector::from_vec(vec![0.0, 0.0_f64])) - 2.0_f64.ln()).abs() < 1e-15);
//! # }
//! ```
//!
//! Each function `f` has its rule `f_vjp` (or `f_vjp_<arg>` for each differentiable
//! argument), with the helper convention of the crate: it accumulates ȳ·∂y/∂arg into the
//! adjoint it is given and reads only the values its doc line names, in that order. Its
//! forward rule `f_jvp` (`f_jvp_<arg>`) reads the same values and the argument's tangent
//! ẋ, and returns the contribution ∂y/∂arg·ẋ to the result's tangent (`tanh`'s rules are
//! `x.tanh()`'s, in [`scalar`](crate::scalar)).
//!
//! | function | point | convention |
//! |---|---|---|
//! | `relu` | x = 0 | derivative 0 (`relu_vjp` reads y, and y > 0 exactly where x > 0) |
//! | `relu` | x = NaN | y = NaN, derivative 0 |
//! | `softmax`, `log_sum_exp`, `cross_entropy` | | stable: the maximum is subtracted before `exp` |
//! | `log_sum_exp` | no elements | −∞ (the log of an empty sum); nothing to add |
//! | `cross_entropy`, `mse` | no samples / elements | 0 (like nalgebra's `mean`); nothing to add |

use num_traits::Float;

use crate::elementwise::elementwise_tangent;
pub use crate::scalar::tanh_vjp;
use crate::{Elementwise, ElementwiseAdjoint, Real};

/// σ(x) = 1/(1 + e⁻ˣ) of one number, without overflow for large |x|.
#[inline(always)]
fn logistic<T: Real>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp(); // also NaN for NaN
        e / (T::one() + e)
    }
}

/// The logistic sigmoid σ(x) = 1/(1 + e⁻ˣ), of a scalar or elementwise of a matrix.
/// Computed without overflow (e⁻ˣ is never formed for x < 0).
#[inline(always)]
pub fn sigmoid<X: Elementwise>(x: X) -> X::Output {
    x.map_elements(logistic)
}

/// y = σ(x) (elementwise): x̄ += ȳ·y(1−y). Reads `y`.
#[inline(always)]
pub fn sigmoid_vjp<G: ElementwiseAdjoint>(d_x: &mut G, y: &G, d_y: &G) {
    d_x.accumulate_elementwise(y, d_y, |y, d| {
        d * y * (<G::Elem as num_traits::One>::one() - y)
    });
}

/// y = σ(x) (elementwise), the first contribution to x̄: x̄ = ȳ·y(1−y), written once; the
/// forward helper applied to ȳ (an elementwise rule is its own transpose). Reads `y`.
pub use self::sigmoid_jvp as sigmoid_vjp_first;

/// y = σ(x) (elementwise): ẏ = ẋ·y(1−y). Reads `y`.
#[inline(always)]
pub fn sigmoid_jvp<G: ElementwiseAdjoint + Clone>(y: &G, t_x: &G) -> G {
    elementwise_tangent(y, t_x, |y, t| {
        t * y * (<G::Elem as num_traits::One>::one() - y)
    })
}

/// The rectifier max(x, 0), of a scalar or elementwise of a matrix (NaN stays NaN).
#[inline(always)]
pub fn relu<X: Elementwise>(x: X) -> X::Output {
    x.map_elements(|x| {
        if x > num_traits::Zero::zero() || x.is_nan() {
            x
        } else {
            num_traits::Zero::zero()
        }
    })
}

/// y = max(x, 0) (elementwise): x̄ += ȳ where y > 0, nothing where y = 0 (the derivative
/// at x = 0 is taken to be 0). Reads `y`.
#[inline(always)]
pub fn relu_vjp<G: ElementwiseAdjoint>(d_x: &mut G, y: &G, d_y: &G) {
    d_x.accumulate_elementwise(y, d_y, |y, d| {
        if y > num_traits::Zero::zero() {
            d
        } else {
            num_traits::Zero::zero()
        }
    });
}

/// y = max(x, 0) (elementwise), the first contribution to x̄: ȳ where y > 0, 0 elsewhere,
/// written once; the forward helper applied to ȳ. Reads `y`.
pub use self::relu_jvp as relu_vjp_first;

/// y = max(x, 0) (elementwise): ẏ = ẋ where y > 0, 0 where y = 0. Reads `y`.
#[inline(always)]
pub fn relu_jvp<G: ElementwiseAdjoint + Clone>(y: &G, t_x: &G) -> G {
    elementwise_tangent(y, t_x, |y, t| {
        if y > num_traits::Zero::zero() {
            t
        } else {
            num_traits::Zero::zero()
        }
    })
}

/// The hyperbolic tangent, of a scalar or elementwise of a matrix. Its rule is
/// [`tanh_vjp`] (y = tanh x: x̄ += ȳ·(1 − y²), reads `y`), the same as for `x.tanh()`.
#[inline(always)]
pub fn tanh<X: Elementwise>(x: X) -> X::Output {
    x.map_elements(|x| x.tanh())
}

#[cfg(feature = "nalgebra")]
pub use self::linalg::*;

#[cfg(feature = "nalgebra")]
mod linalg {
    use nalgebra::allocator::Allocator;
    use nalgebra::{DefaultAllocator, Dim, Matrix, OMatrix, RawStorage, Storage};

    use crate::Real;

    /// The largest element of `values` (NaNs ignored; −∞ when there is none).
    #[inline(always)]
    fn maximum<'a, T: Real>(values: impl Iterator<Item = &'a T>) -> T {
        values.fold(T::neg_infinity(), |m, &v| if v > m { v } else { m })
    }

    /// log Σᵢ exp(xᵢ) over the elements of `x`, computed as m + log Σᵢ exp(xᵢ − m) with m
    /// the maximum.
    #[inline(always)]
    fn stable_log_sum_exp<T, R, C, S>(x: &Matrix<T, R, C, S>) -> T
    where
        T: Real,
        R: Dim,
        C: Dim,
        S: RawStorage<T, R, C>,
    {
        let m = maximum(x.iter());
        if m.is_infinite() {
            // +∞ dominates; −∞ means every element is −∞ (or there is none). A NaN wins.
            return x.iter().fold(m, |acc, &v| if v.is_nan() { v } else { acc });
        }
        m + x.iter().fold(T::zero(), |s, &v| s + (v - m).exp()).ln()
    }

    /// The number of elements as `T`.
    #[inline(always)]
    fn count<T: Real>(n: usize) -> T {
        T::from(n).unwrap_or_else(T::nan)
    }

    /// The softmax of each column (each column is one sample's logits):
    /// yᵢⱼ = exp(xᵢⱼ) / Σₖ exp(xₖⱼ). Stable: the column's maximum is subtracted first. For a
    /// vector, its softmax.
    pub fn softmax<T, R, C, S>(x: &Matrix<T, R, C, S>) -> OMatrix<T, R, C>
    where
        T: Real,
        R: Dim,
        C: Dim,
        S: Storage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let mut y = x.clone_owned();
        for mut column in y.column_iter_mut() {
            let m = maximum(column.iter());
            let mut sum = T::zero();
            for v in column.iter_mut() {
                *v = (*v - m).exp();
                sum += *v;
            }
            column.iter_mut().for_each(|v| *v /= sum);
        }
        y
    }

    /// Y = softmax(X) column-wise: X̄ⱼ += Yⱼ∘(Ȳⱼ − ⟨Ȳⱼ, Yⱼ⟩) for each column j. Reads `y`.
    pub fn softmax_vjp<T, R, C, SY>(
        d_x: &mut OMatrix<T, R, C>,
        y: &Matrix<T, R, C, SY>,
        d_y: &OMatrix<T, R, C>,
    ) where
        T: Real,
        R: Dim,
        C: Dim,
        SY: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let shape = d_x.shape();
        assert!(
            y.shape() == shape && d_y.shape() == shape,
            "softmax_vjp: shapes differ"
        );
        for j in 0..shape.1 {
            let inner = (0..shape.0).fold(T::zero(), |s, i| s + d_y[(i, j)] * y[(i, j)]);
            for i in 0..shape.0 {
                d_x[(i, j)] += y[(i, j)] * (d_y[(i, j)] - inner);
            }
        }
    }

    /// Y = softmax(X) column-wise: Ẏⱼ = Yⱼ∘(Ẋⱼ − ⟨Ẋⱼ, Yⱼ⟩) for each column j (the Jacobian
    /// diag(y) − y·yᵀ is symmetric: the same map as the VJP). Reads `y`.
    pub fn softmax_jvp<T, R, C, SY>(
        y: &Matrix<T, R, C, SY>,
        t_x: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        T: Real,
        R: Dim,
        C: Dim,
        SY: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let shape = t_x.shape();
        assert!(y.shape() == shape, "softmax_jvp: shapes differ");
        let mut out = t_x.clone_owned();
        for j in 0..shape.1 {
            let inner = (0..shape.0).fold(T::zero(), |s, i| s + t_x[(i, j)] * y[(i, j)]);
            for i in 0..shape.0 {
                out[(i, j)] = y[(i, j)] * (t_x[(i, j)] - inner);
            }
        }
        out
    }

    /// log Σᵢ exp(xᵢ) over every element (of a vector, typically), computed stably as
    /// m + log Σᵢ exp(xᵢ − m) with m the maximum. −∞ for no elements.
    pub fn log_sum_exp<T, R, C, S>(x: &Matrix<T, R, C, S>) -> T
    where
        T: Real,
        R: Dim,
        C: Dim,
        S: RawStorage<T, R, C>,
    {
        stable_log_sum_exp(x)
    }

    /// y = log Σᵢ exp(xᵢ): x̄ᵢ += ȳ·exp(xᵢ − y) (= ȳ·softmax(x)ᵢ). Reads `x` and `y`.
    pub fn log_sum_exp_vjp<T, R, C, SX>(
        d_x: &mut OMatrix<T, R, C>,
        x: &Matrix<T, R, C, SX>,
        y: &T,
        d_y: &T,
    ) where
        T: Real,
        R: Dim,
        C: Dim,
        SX: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let (y, d) = (*y, *d_y);
        d_x.zip_apply(x, |g, x| *g += d * (x - y).exp());
    }

    /// y = log Σᵢ exp(xᵢ): ẏ = Σᵢ exp(xᵢ − y)·ẋᵢ (= ⟨softmax(x), ẋ⟩). Reads `x` and `y`.
    pub fn log_sum_exp_jvp<T, R, C, SX>(x: &Matrix<T, R, C, SX>, y: &T, t_x: &OMatrix<T, R, C>) -> T
    where
        T: Real,
        R: Dim,
        C: Dim,
        SX: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        assert_eq!(x.shape(), t_x.shape(), "log_sum_exp_jvp: shapes differ");
        let y = *y;
        x.iter()
            .zip(t_x.iter())
            .fold(T::zero(), |s, (&x, &t)| s + (x - y).exp() * t)
    }

    /// The mean cross-entropy of a batch: each column j of `logits` (X) is one sample's
    /// logits and `labels[j]` (ℓⱼ) its class, and the loss is
    /// (1/N) Σⱼ −log softmax(Xⱼ)_ℓⱼ = (1/N) Σⱼ (lse(Xⱼ) − X_ℓⱼⱼ), computed through a stable
    /// log-sum-exp (0 for no samples).
    ///
    /// # Panics
    ///
    /// If `labels.len()` is not the number of columns, or a label is not a row index.
    pub fn cross_entropy<T, R, C, S>(logits: &Matrix<T, R, C, S>, labels: &[usize]) -> T
    where
        T: Real,
        R: Dim,
        C: Dim,
        S: RawStorage<T, R, C>,
    {
        let samples = logits.ncols();
        assert_eq!(
            labels.len(),
            samples,
            "cross_entropy: one label per column (sample) is needed"
        );
        if samples == 0 {
            return T::zero();
        }
        let total = logits
            .column_iter()
            .zip(labels)
            .fold(T::zero(), |total, (column, &label)| {
                total + stable_log_sum_exp(&column) - column[label]
            });
        total / count(samples)
    }

    /// y = cross_entropy(X, ℓ): X̄ⱼ += (ȳ/N)·(softmax(Xⱼ) − e_ℓⱼ) for each column j, with
    /// e_ℓⱼ the one-hot vector of its label (the labels carry no derivative). Reads `logits`
    /// and `labels`.
    pub fn cross_entropy_vjp<T, R, C, S>(
        d_logits: &mut OMatrix<T, R, C>,
        logits: &Matrix<T, R, C, S>,
        labels: &[usize],
        d_y: &T,
    ) where
        T: Real,
        R: Dim,
        C: Dim,
        S: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let (rows, samples) = logits.shape();
        assert_eq!(
            d_logits.shape(),
            (rows, samples),
            "cross_entropy_vjp: shapes differ"
        );
        assert_eq!(
            labels.len(),
            samples,
            "cross_entropy_vjp: one label per column (sample) is needed"
        );
        if samples == 0 {
            return;
        }
        let scale = *d_y / count(samples);
        for (j, &label) in labels.iter().enumerate() {
            let column = logits.column(j);
            let mut d_column = d_logits.column_mut(j);
            let m = maximum(column.iter());
            if m.is_finite() && d_column.iter().all(|d| d.is_zero()) {
                // The usual case, a fresh adjoint: its column holds exp(x − m) while their
                // sum is formed, so each element costs one `exp`, not two.
                let mut sum = T::zero();
                for (d, &x) in d_column.iter_mut().zip(column.iter()) {
                    *d = (x - m).exp();
                    sum += *d;
                }
                let factor = scale / sum;
                d_column.iter_mut().for_each(|d| *d *= factor);
            } else {
                let lse = stable_log_sum_exp(&column);
                for (d, &x) in d_column.iter_mut().zip(column.iter()) {
                    *d += scale * (x - lse).exp();
                }
            }
            d_column[label] -= scale;
        }
    }

    /// y = cross_entropy(X, ℓ): ẏ = (1/N) Σⱼ (⟨softmax(Xⱼ), Ẋⱼ⟩ − Ẋ_ℓⱼⱼ) (the labels carry no
    /// derivative). Reads `logits` and `labels`.
    pub fn cross_entropy_jvp<T, R, C, S>(
        logits: &Matrix<T, R, C, S>,
        labels: &[usize],
        t_logits: &OMatrix<T, R, C>,
    ) -> T
    where
        T: Real,
        R: Dim,
        C: Dim,
        S: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let (rows, samples) = logits.shape();
        assert_eq!(
            t_logits.shape(),
            (rows, samples),
            "cross_entropy_jvp: shapes differ"
        );
        assert_eq!(
            labels.len(),
            samples,
            "cross_entropy_jvp: one label per column (sample) is needed"
        );
        if samples == 0 {
            return T::zero();
        }
        let mut total = T::zero();
        for (j, &label) in labels.iter().enumerate() {
            let column = logits.column(j);
            let lse = stable_log_sum_exp(&column);
            for i in 0..rows {
                total += (column[i] - lse).exp() * t_logits[(i, j)];
            }
            total -= t_logits[(label, j)];
        }
        total / count(samples)
    }

    /// The mean squared error (1/n) Σᵢ (predᵢ − targetᵢ)² over every element (0 for none).
    pub fn mse<T, R, C, SP, ST>(pred: &Matrix<T, R, C, SP>, target: &Matrix<T, R, C, ST>) -> T
    where
        T: Real,
        R: Dim,
        C: Dim,
        SP: RawStorage<T, R, C>,
        ST: RawStorage<T, R, C>,
    {
        assert_eq!(pred.shape(), target.shape(), "mse: shapes differ");
        let n = pred.len();
        if n == 0 {
            return T::zero();
        }
        let sum = pred
            .iter()
            .zip(target.iter())
            .fold(T::zero(), |s, (&p, &t)| {
                let e = p - t;
                s + e * e
            });
        sum / count(n)
    }

    /// Σᵢ (pᵢ − tᵢ)·vᵢ / n over every element (0 for none).
    fn differences_along<T, R, C, SP, ST>(
        pred: &Matrix<T, R, C, SP>,
        target: &Matrix<T, R, C, ST>,
        v: &OMatrix<T, R, C>,
    ) -> T
    where
        T: Real,
        R: Dim,
        C: Dim,
        SP: RawStorage<T, R, C>,
        ST: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let shape = v.shape();
        assert!(
            pred.shape() == shape && target.shape() == shape,
            "mse_jvp: shapes differ"
        );
        let n = pred.len();
        if n == 0 {
            return T::zero();
        }
        let sum = pred
            .iter()
            .zip(target.iter())
            .zip(v.iter())
            .fold(T::zero(), |s, ((&p, &t), &v)| s + (p - t) * v);
        sum / count(n)
    }

    /// Adds `scale·(pᵢ − tᵢ)` to every element of `d`.
    fn add_differences<T, R, C, SP, ST>(
        d: &mut OMatrix<T, R, C>,
        pred: &Matrix<T, R, C, SP>,
        target: &Matrix<T, R, C, ST>,
        scale: T,
    ) where
        T: Real,
        R: Dim,
        C: Dim,
        SP: RawStorage<T, R, C>,
        ST: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let shape = d.shape();
        assert!(
            pred.shape() == shape && target.shape() == shape,
            "mse_vjp: shapes differ"
        );
        for (d, (&p, &t)) in d.iter_mut().zip(pred.iter().zip(target.iter())) {
            *d += scale * (p - t);
        }
    }

    /// y = mse(P, T) = (1/n) Σᵢ (Pᵢ − Tᵢ)²: P̄ᵢ += 2ȳ·(Pᵢ − Tᵢ)/n. Reads `pred` and `target`.
    pub fn mse_vjp_pred<T, R, C, SP, ST>(
        d_pred: &mut OMatrix<T, R, C>,
        pred: &Matrix<T, R, C, SP>,
        target: &Matrix<T, R, C, ST>,
        d_y: &T,
    ) where
        T: Real,
        R: Dim,
        C: Dim,
        SP: RawStorage<T, R, C>,
        ST: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let n = pred.len();
        if n != 0 {
            add_differences(d_pred, pred, target, T::two() * *d_y / count(n));
        }
    }

    /// y = mse(P, T): ẏ = 2·Σᵢ (Pᵢ − Tᵢ)·Ṗᵢ / n (0 for no elements). Reads `pred` and `target`.
    pub fn mse_jvp_pred<T, R, C, SP, ST>(
        pred: &Matrix<T, R, C, SP>,
        target: &Matrix<T, R, C, ST>,
        t_pred: &OMatrix<T, R, C>,
    ) -> T
    where
        T: Real,
        R: Dim,
        C: Dim,
        SP: RawStorage<T, R, C>,
        ST: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        T::two() * differences_along(pred, target, t_pred)
    }

    /// y = mse(P, T) = (1/n) Σᵢ (Pᵢ − Tᵢ)²: T̄ᵢ −= 2ȳ·(Pᵢ − Tᵢ)/n. Reads `pred` and `target`.
    pub fn mse_vjp_target<T, R, C, SP, ST>(
        d_target: &mut OMatrix<T, R, C>,
        pred: &Matrix<T, R, C, SP>,
        target: &Matrix<T, R, C, ST>,
        d_y: &T,
    ) where
        T: Real,
        R: Dim,
        C: Dim,
        SP: RawStorage<T, R, C>,
        ST: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        let n = pred.len();
        if n != 0 {
            add_differences(d_target, pred, target, -(T::two() * *d_y / count(n)));
        }
    }

    /// y = mse(P, T): ẏ = −2·Σᵢ (Pᵢ − Tᵢ)·Ṫᵢ / n (0 for no elements). Reads `pred` and
    /// `target`.
    pub fn mse_jvp_target<T, R, C, SP, ST>(
        pred: &Matrix<T, R, C, SP>,
        target: &Matrix<T, R, C, ST>,
        t_target: &OMatrix<T, R, C>,
    ) -> T
    where
        T: Real,
        R: Dim,
        C: Dim,
        SP: RawStorage<T, R, C>,
        ST: RawStorage<T, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        -(T::two() * differences_along(pred, target, t_target))
    }
}
