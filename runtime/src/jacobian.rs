//! Jacobians of functions with a vector-like output, one row per output component.
//!
//! `#[differentiate]` emits `f_jacobian` for a function whose output is a `Vec`, an array or
//! a nalgebra vector or matrix of floats. Row `i` is the gradient of output component `i`
//! (components in the output's storage order: column-major for matrices), a value of the
//! function's gradient struct. It comes from one of two sweeps:
//!
//! - reverse ([`reverse_rows`]): one `f_vjp` per output component, seeded with the unit
//!   vector of that component: the sweep gives a row;
//! - forward ([`forward_rows`]): one `f_jvp` per input scalar, with the unit tangent of
//!   that scalar: the sweep gives a column.
//!
//! [`jacobian`] picks the one with fewer sweeps for the sizes at hand: forward when the
//! function has fewer input scalars than output components, reverse otherwise.

use alloc::vec;
use alloc::vec::Vec;

use crate::{Parameters, Real};

/// An output whose Jacobian has one row per component: its components, and the unit
/// seed of each (a value shaped like the output, zero but for a one at that component).
///
/// Implemented for floats (one component), arrays and `Vec`s of outputs (the components
/// of each element in turn: `[[f64; 3]; 4]` has 12) and nalgebra vectors and matrices of
/// static or dynamic size (column-major order).
///
/// ```
/// use tapeless_runtime::JacobianOutput;
/// let y = vec![3.0, 4.0, 5.0];
/// assert_eq!(y.components(), 3);
/// assert_eq!(y.unit(1), [0.0, 1.0, 0.0]);
/// assert_eq!(y.component(2), 5.0);
/// let nested = [[1.0, 2.0], [3.0, 4.0]];
/// assert_eq!(nested.unit(2), [[0.0, 0.0], [1.0, 0.0]]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a vector-like output, so it has no Jacobian rows",
    label = "`f_jacobian` needs this output to be a vector of floats",
    note = "`f_jacobian` exists for outputs that are floats, a `Vec` or an array of them, or a nalgebra vector or matrix of `f64`, `f32` or a generic float; for another output, call `f_vjp` with one seed per component"
)]
pub trait JacobianOutput: Sized {
    /// The float type of the components.
    type Scalar: Real;

    /// The number of components (the number of rows of the Jacobian).
    fn components(&self) -> usize;

    /// A value shaped like `self` with every component zero.
    fn zero(&self) -> Self;

    /// A value shaped like `self`, zero but for a one at component `i` (the seed whose
    /// vector-Jacobian product is row `i`).
    fn unit(&self, i: usize) -> Self;

    /// Component `i`, in storage order.
    fn component(&self, i: usize) -> Self::Scalar;

    /// A zero value of this type, when the type alone fixes the shape (floats, arrays of
    /// them, statically sized matrices): then `f_jacobian` knows the number of components
    /// and the unit seeds before any sweep, and takes the value from its first sweep
    /// instead of running the function once more. `None` (the default) for a shape known
    /// only from a value (`Vec`, `DVector`).
    fn fixed_zero() -> Option<Self> {
        None
    }
}

impl<T: Real> JacobianOutput for T {
    type Scalar = T;
    #[inline]
    fn components(&self) -> usize {
        1
    }
    #[inline]
    fn zero(&self) -> T {
        T::zero()
    }
    #[inline]
    fn unit(&self, _: usize) -> T {
        T::one()
    }
    #[inline]
    fn component(&self, _: usize) -> T {
        *self
    }
    #[inline]
    fn fixed_zero() -> Option<T> {
        Some(T::zero())
    }
}

/// The element of `elements` that holds component `i`, and the component's index in it.
fn locate<P: JacobianOutput>(elements: &[P], mut i: usize) -> Option<(usize, usize)> {
    for (k, element) in elements.iter().enumerate() {
        let n = element.components();
        if i < n {
            return Some((k, i));
        }
        i -= n;
    }
    None
}

impl<P: JacobianOutput, const N: usize> JacobianOutput for [P; N] {
    type Scalar = P::Scalar;
    fn components(&self) -> usize {
        self.iter().map(P::components).sum()
    }
    fn zero(&self) -> Self {
        core::array::from_fn(|k| self[k].zero())
    }
    fn unit(&self, i: usize) -> Self {
        let at = locate(self, i);
        core::array::from_fn(|k| match at {
            Some((element, j)) if element == k => self[k].unit(j),
            _ => self[k].zero(),
        })
    }
    /// # Panics
    ///
    /// If `i` is not less than the number of components.
    fn component(&self, i: usize) -> P::Scalar {
        let (k, j) = locate(self, i).expect("component index out of range");
        self[k].component(j)
    }
    fn fixed_zero() -> Option<Self> {
        let element = P::fixed_zero()?;
        Some(core::array::from_fn(|_| element.zero()))
    }
}

impl<P: JacobianOutput> JacobianOutput for Vec<P> {
    type Scalar = P::Scalar;
    fn components(&self) -> usize {
        self.iter().map(P::components).sum()
    }
    fn zero(&self) -> Self {
        self.iter().map(P::zero).collect()
    }
    fn unit(&self, i: usize) -> Self {
        let at = locate(self, i);
        (0..self.len())
            .map(|k| match at {
                Some((element, j)) if element == k => self[k].unit(j),
                _ => self[k].zero(),
            })
            .collect()
    }
    /// # Panics
    ///
    /// If `i` is not less than the number of components.
    fn component(&self, i: usize) -> P::Scalar {
        let (k, j) = locate(self, i).expect("component index out of range");
        self[k].component(j)
    }
}

/// The unit seeds of a result whose `f_jvp` goes through reverse sweeps (ẏ = Σᵢ eᵢ·⟨∇yᵢ,
/// ẋ⟩, [`tangent_by_rows`]): every [`JacobianOutput`], and tuples of them of one float type
/// `T`, whose components are their elements' in turn, with data elements (`usize`, `bool`,
/// ...: no components, seed `()`) beside them. A tuple is not a `JacobianOutput` (it has no
/// `f_jacobian`, DESIGN), so this is a trait of its own.
#[doc(hidden)]
pub trait Seeds<T: Real>: Sized {
    /// The type of a seed and of a tangent: `Self`, but `()` for data elements.
    type Seed;
    /// The number of components.
    fn seed_count(&self) -> usize;
    /// A seed shaped like `self` with every component zero.
    fn zero_seed(&self) -> Self::Seed;
    /// A seed shaped like `self`, zero but for a one at component `i`.
    fn unit_seed(&self, i: usize) -> Self::Seed;
}

impl<O: JacobianOutput> Seeds<O::Scalar> for O {
    type Seed = O;
    fn seed_count(&self) -> usize {
        self.components()
    }
    fn zero_seed(&self) -> O {
        self.zero()
    }
    fn unit_seed(&self, i: usize) -> O {
        self.unit(i)
    }
}

/// An element of a tuple result: a [`JacobianOutput`] of floats `T`, or data.
#[doc(hidden)]
pub trait SeedElement<T: Real> {
    /// The element's seed: itself, or `()` for data.
    type Seed;
    /// The number of components.
    fn element_components(&self) -> usize;
    /// `self.unit(k)` if component `*at` is in `self` (then `*at` is spent), else zero;
    /// `*at` counts down the components of a tuple's elements taken in turn.
    fn unit_within(&self, at: &mut Option<usize>) -> Self::Seed;
}

impl<O: JacobianOutput> SeedElement<O::Scalar> for O {
    type Seed = O;
    fn element_components(&self) -> usize {
        self.components()
    }
    fn unit_within(&self, at: &mut Option<usize>) -> O {
        let n = self.components();
        match *at {
            Some(k) if k < n => {
                *at = None;
                self.unit(k)
            }
            Some(k) => {
                *at = Some(k - n);
                self.zero()
            }
            None => self.zero(),
        }
    }
}

macro_rules! data_seed_elements {
    ($($data:ty),*) => {$(
        impl<T: Real> SeedElement<T> for $data {
            type Seed = ();
            fn element_components(&self) -> usize {
                0
            }
            fn unit_within(&self, _: &mut Option<usize>) {}
        }
    )*};
}
data_seed_elements!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, bool, char);

macro_rules! tuple_seeds {
    ($($name:ident $index:tt),+) => {
        impl<T: Real, $($name: SeedElement<T>),+> Seeds<T> for ($($name,)+) {
            type Seed = ($($name::Seed,)+);
            fn seed_count(&self) -> usize {
                0 $(+ self.$index.element_components())+
            }
            fn zero_seed(&self) -> Self::Seed {
                ($(self.$index.unit_within(&mut None),)+)
            }
            fn unit_seed(&self, i: usize) -> Self::Seed {
                let mut at = Some(i);
                ($(self.$index.unit_within(&mut at),)+)
            }
        }
    };
}
tuple_seeds!(A 0);
tuple_seeds!(A 0, B 1);
tuple_seeds!(A 0, B 1, C 2);
tuple_seeds!(A 0, B 1, C 2, D 3);

#[cfg(feature = "nalgebra")]
impl<T: Real, R: nalgebra::Dim, C: nalgebra::Dim> JacobianOutput for nalgebra::OMatrix<T, R, C>
where
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
{
    type Scalar = T;
    #[inline]
    fn components(&self) -> usize {
        self.len()
    }
    fn zero(&self) -> Self {
        let (rows, cols) = self.shape_generic();
        Self::from_element_generic(rows, cols, T::zero())
    }
    fn unit(&self, i: usize) -> Self {
        let mut unit = self.zero();
        unit[i] = T::one();
        unit
    }
    /// Column-major: component `i` is entry `(i % nrows, i / nrows)`.
    #[inline]
    fn component(&self, i: usize) -> T {
        self[i]
    }
    fn fixed_zero() -> Option<Self> {
        let rows = R::try_to_usize()?;
        let cols = C::try_to_usize()?;
        Some(Self::from_element_generic(
            R::from_usize(rows),
            C::from_usize(cols),
            T::zero(),
        ))
    }
}

/// The Jacobian's rows by reverse mode: for each output component `i`, `vjp(unit seed i)`,
/// the gradient of component `i`.
pub fn reverse_rows<O: JacobianOutput, G>(value: &O, mut vjp: impl FnMut(O) -> G) -> Vec<G> {
    (0..value.components())
        .map(|i| vjp(value.unit(i)))
        .collect()
}

/// The Jacobian's rows by forward mode: for each scalar `k` of the inputs (in the order of
/// [`Parameters::for_each_scalar`] on the gradient struct), `jvp(unit tangent k)` is column
/// `k`; the rows are assembled from the columns. `zero` makes a gradient struct shaped
/// like the inputs (its values are overwritten).
///
/// # Panics
///
/// If a tangent returned by `jvp` does not have as many components as `value`.
pub fn forward_rows<S: Real, O: JacobianOutput<Scalar = S>, G: Parameters<S>>(
    value: &O,
    mut zero: impl FnMut() -> G,
    mut jvp: impl FnMut(&G) -> O,
) -> Vec<G> {
    let m = value.components();
    let mut tangent = zero();
    let n = tangent.len();
    // Row-major m × n: entry (i, k) is ∂ output_i / ∂ input_k.
    let mut entries = vec![S::zero(); m * n];
    for k in 0..n {
        let mut j = 0;
        tangent.map_scalars(&mut |s| {
            *s = if j == k { S::one() } else { S::zero() };
            j += 1;
        });
        let column = jvp(&tangent);
        assert_eq!(
            column.components(),
            m,
            "forward_rows: a tangent has a different number of components than the value"
        );
        for i in 0..m {
            entries[i * n + k] = column.component(i);
        }
    }
    (0..m)
        .map(|i| {
            let mut row = entries[i * n..(i + 1) * n].iter();
            let mut gradient = zero();
            gradient.map_scalars(&mut |s| {
                if let Some(&v) = row.next() {
                    *s = v;
                }
            });
            gradient
        })
        .collect()
}

/// The value and its Jacobian's rows (what `f_jacobian` returns), by forward sweeps when
/// the inputs have fewer scalars than the value has components, by reverse sweeps
/// otherwise: `primal` computes the value, `zero` makes a gradient struct shaped like the
/// inputs, `vjp` maps a seed to the value and a gradient (`f_vjp`), `jvp` a tangent of the
/// inputs to the value and its tangent (`f_jvp`).
///
/// When the output's type fixes its shape ([`JacobianOutput::fixed_zero`]: `[f64; 2]`,
/// `SVector`), the seeds are known before any sweep and the value is the first sweep's,
/// so `primal` is not called (unless there are no sweeps); otherwise `primal` runs first to
/// give the shape.
pub fn jacobian<S: Real, O: JacobianOutput<Scalar = S>, G: Parameters<S>>(
    primal: impl FnOnce() -> O,
    mut zero: impl FnMut() -> G,
    mut vjp: impl FnMut(O) -> (O, G),
    mut jvp: impl FnMut(&G) -> (O, O),
) -> (O, Vec<G>) {
    let n = zero().len();
    let Some(shape) = O::fixed_zero() else {
        let value = primal();
        let rows = if n < value.components() {
            forward_rows(&value, zero, |t| jvp(t).1)
        } else {
            reverse_rows(&value, |seed| vjp(seed).1)
        };
        return (value, rows);
    };
    let mut value = None;
    let rows = if n < shape.components() {
        forward_rows(&shape, zero, |t| {
            let (v, tangent) = jvp(t);
            value.get_or_insert(v);
            tangent
        })
    } else {
        reverse_rows(&shape, |seed| {
            let (v, gradient) = vjp(seed);
            value.get_or_insert(v);
            gradient
        })
    };
    (value.unwrap_or_else(primal), rows)
}

/// The Jacobian's rows for a function whose forward sweep has run once, giving `value`:
/// by forward sweeps (`jvp`, one per input scalar) when the inputs have fewer scalars than
/// `value` has components, else by `reverse` (the reverse sweep reading that forward
/// sweep's values, applied to each unit seed). `reverse` is `Fn`: a sweep that changed
/// the forward sweep's values would give the next row wrong ones, so it does not build.
pub fn shared_rows<S: Real, O: JacobianOutput<Scalar = S>, G: Parameters<S>>(
    value: &O,
    mut zero: impl FnMut() -> G,
    reverse: impl Fn(O) -> G,
    mut jvp: impl FnMut(&G) -> (O, O),
) -> Vec<G> {
    if zero().len() < value.components() {
        forward_rows(value, zero, |t| jvp(t).1)
    } else {
        reverse_rows(value, reverse)
    }
}

/// [`reverse_rows`] of a reverse sweep that reads one forward sweep's values (see
/// [`shared_rows`]): `Fn`, so that no row changes what the next one reads.
pub fn shared_reverse_rows<O: JacobianOutput, G>(value: &O, reverse: impl Fn(O) -> G) -> Vec<G> {
    reverse_rows(value, reverse)
}

/// The tangent of a vector-like value from reverse sweeps, for a function whose forward
/// mode is not available (a `#[custom_vjp]` rule without a forward rule): ẏ = Σᵢ eᵢ·⟨∇yᵢ, ẋ⟩,
/// where `dot` maps the unit seed eᵢ to ⟨∇yᵢ, ẋ⟩ (one `f_vjp` each).
pub fn tangent_by_rows<T: Real, O: Seeds<T>>(
    value: &O,
    mut dot: impl FnMut(O::Seed) -> T,
) -> O::Seed
where
    O::Seed: Parameters<T> + Clone,
{
    let mut tangent = value.zero_seed();
    for i in 0..value.seed_count() {
        let unit = value.unit_seed(i);
        let derivative = dot(unit.clone());
        tangent.add_scaled(derivative, &unit);
    }
    tangent
}

#[cfg(test)]
mod tests {
    use super::*;

    // f(x, y) = [x·y, x + y, sin x], written with its hand-derived VJP and JVP.
    fn f(p: [f64; 2]) -> Vec<f64> {
        vec![p[0] * p[1], p[0] + p[1], p[0].sin()]
    }
    fn vjp(p: [f64; 2], w: Vec<f64>) -> [f64; 2] {
        [w[0] * p[1] + w[1] + w[2] * p[0].cos(), w[0] * p[0] + w[1]]
    }
    fn jvp(p: [f64; 2], t: &[f64; 2]) -> Vec<f64> {
        vec![t[0] * p[1] + p[0] * t[1], t[0] + t[1], p[0].cos() * t[0]]
    }

    #[test]
    fn a_tuple_has_the_seeds_of_its_elements_in_turn() {
        let value = (2.0, [3.0, 4.0], vec![5.0]);
        assert_eq!(value.seed_count(), 4);
        assert_eq!(value.unit_seed(0), (1.0, [0.0, 0.0], vec![0.0]));
        assert_eq!(value.unit_seed(2), (0.0, [0.0, 1.0], vec![0.0]));
        assert_eq!(value.unit_seed(3), (0.0, [0.0, 0.0], vec![1.0]));
        assert_eq!(value.zero_seed(), (0.0, [0.0, 0.0], vec![0.0]));
        assert_eq!([1.0, 2.0].unit_seed(1), [0.0, 1.0]);
        // Data elements have no components and the seed `()`.
        let value = (3_usize, 2.0_f32, true, [1.0_f32, 4.0]);
        assert_eq!(value.seed_count(), 3);
        assert_eq!(value.unit_seed(0), ((), 1.0, (), [0.0, 0.0]));
        assert_eq!(value.unit_seed(2), ((), 0.0, (), [0.0, 1.0]));
        assert_eq!(value.zero_seed(), ((), 0.0, (), [0.0, 0.0]));
    }

    #[test]
    fn forward_and_reverse_rows_are_the_jacobian() {
        let p = [0.7, -1.3];
        let value = f(p);
        let expected = [[p[1], p[0]], [1.0, 1.0], [p[0].cos(), 0.0]];
        let reverse = reverse_rows(&value, |w| vjp(p, w));
        let forward = forward_rows(&value, || [f64::NAN; 2], |t| jvp(p, t));
        assert_eq!(reverse, expected);
        assert_eq!(forward, expected);
        // Three components, two inputs: forward sweeps.
        let (same, rows) = jacobian(
            || f(p),
            || [0.0; 2],
            |_| (vec![f64::NAN; 3], [f64::NAN; 2]),
            |t| (f(p), jvp(p, t)),
        );
        assert_eq!(same, value);
        assert_eq!(rows, expected);
    }

    // The same function with a fixed-size output: the value comes from the sweeps.
    fn f_array(p: [f64; 2]) -> [f64; 3] {
        [p[0] * p[1], p[0] + p[1], p[0].sin()]
    }

    #[test]
    fn a_fixed_size_output_takes_its_value_from_the_sweeps() {
        let p: [f64; 2] = [0.7, -1.3];
        let expected = [[p[1], p[0]], [1.0, 1.0], [p[0].cos(), 0.0]];
        let mut sweeps = 0;
        let (value, rows) = jacobian(
            || panic!("the primal is not needed for a fixed-size output"),
            || [0.0; 2],
            |_| (f_array([f64::NAN; 2]), [f64::NAN; 2]),
            |t| {
                sweeps += 1;
                let column = jvp(p, t);
                (f_array(p), [column[0], column[1], column[2]])
            },
        );
        assert_eq!(value, f_array(p));
        assert_eq!(rows, expected);
        assert_eq!(sweeps, 2, "one forward sweep per input scalar");
        // Reverse sweeps: two components, three inputs.
        let g = |q: [f64; 3]| [q[0] * q[1], q[2]];
        let q = [2.0, 3.0, 5.0];
        let (value, rows) = jacobian(
            || panic!("the primal is not needed for a fixed-size output"),
            || [0.0; 3],
            |w: [f64; 2]| (g(q), [w[0] * q[1], w[0] * q[0], w[1]]),
            |_| ([f64::NAN; 2], [f64::NAN; 2]),
        );
        assert_eq!(value, g(q));
        assert_eq!(rows, [[3.0, 2.0, 0.0], [0.0, 0.0, 1.0]]);
        assert!(<[[f64; 2]; 3]>::fixed_zero().is_some());
        assert!(Vec::<f64>::fixed_zero().is_none());
        assert!(<[Vec<f64>; 2]>::fixed_zero().is_none());
    }

    #[test]
    fn reverse_sweeps_when_the_output_has_fewer_components() {
        let (_, rows) = jacobian(
            || vec![2.0],
            || [0.0; 3],
            |w| (vec![2.0], [w[0], 2.0 * w[0], 3.0 * w[0]]),
            |_| (vec![2.0], vec![f64::NAN]),
        );
        assert_eq!(rows, [[1.0, 2.0, 3.0]]);
    }

    #[test]
    fn unit_seeds_of_matrices_are_column_major() {
        #[cfg(feature = "nalgebra")]
        {
            let m = nalgebra::DMatrix::<f64>::zeros(2, 3);
            assert_eq!(m.components(), 6);
            let unit = m.unit(3);
            assert_eq!(unit[(1, 1)], 1.0);
            assert_eq!(unit.sum(), 1.0);
            assert!(nalgebra::DMatrix::<f64>::fixed_zero().is_none());
            let fixed = nalgebra::Matrix2x3::<f64>::fixed_zero().expect("a static shape");
            assert_eq!((fixed.nrows(), fixed.ncols(), fixed.sum()), (2, 3, 0.0));
        }
        let v = vec![[1.0_f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
        assert_eq!(v.components(), 6);
        assert_eq!(v.component(3), 4.0);
        assert_eq!(v.unit(4), [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]);
    }
}
