use crate::Real;

/// A type whose values can be differentiated: it names the type of its gradient and can
/// make a zero gradient shaped like a given value.
///
/// The generated adjoint starts every adjoint at `zeros_like(&primal)` and accumulates into
/// it, so the shape of a gradient (a vector's length, a matrix's dimensions) always comes
/// from the primal value, never from type information the macro does not have.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be differentiated",
    label = "a parameter of this type gets a gradient",
    note = "derive it for a struct of floats, arrays, `Vec`s and nalgebra matrices: `#[derive(tapeless::Differentiable)]`; or, if it is data, leave it out of the gradient with `#[differentiate(wrt(..))]`",
    note = "a nalgebra matrix must come from nalgebra 0.35, the version tapeless implements: depend on `nalgebra = \"0.35\"` or use `tapeless::nalgebra`"
)]
pub trait Differentiable {
    /// The gradient's type: `Self` for scalars and owned containers, the owned form for
    /// borrowed data (`Vec<f64>` for `[f64]`).
    type Grad;

    /// A zero gradient with the shape of `self`.
    fn zeros_like(&self) -> Self::Grad;

    /// The starting value of an intermediate adjoint, which always receives at least one
    /// contribution before it is read. For floats this is `-0.0`, the exact additive
    /// identity (`-0.0 + x == x` for every `x`, including `+0.0`), so the optimiser can fold
    /// the first accumulation away; `+0.0 + x` it may not, because of `x = -0.0`.
    #[inline(always)]
    fn zero_adjoint(&self) -> Self::Grad {
        self.zeros_like()
    }
}

/// A zero adjoint that needs no value to take its shape from: scalars and fixed-size
/// arrays. (`-0.0` for floats, like [`Differentiable::zero_adjoint`].)
pub trait FixedZero: Sized {
    /// The zero.
    fn fixed_zero() -> Self;
}

impl FixedZero for f32 {
    #[inline(always)]
    fn fixed_zero() -> f32 {
        -0.0
    }
}

impl FixedZero for f64 {
    #[inline(always)]
    fn fixed_zero() -> f64 {
        -0.0
    }
}

impl<T: FixedZero, const N: usize> FixedZero for [T; N] {
    #[inline(always)]
    fn fixed_zero() -> Self {
        core::array::from_fn(|_| T::fixed_zero())
    }
}

/// The starting value of the adjoint of a scalar (or fixed-size array) intermediate.
#[inline(always)]
pub fn zero<T: FixedZero>() -> T {
    T::fixed_zero()
}

/// Adding one adjoint into another (the total-derivative chain rule), and clearing one.
pub trait Accumulate {
    /// `self += other`.
    fn accumulate(&mut self, other: &Self);

    /// `self -= other` (the rules of `a - b` and `-a` subtract the adjoint they pass on).
    fn subtract(&mut self, other: &Self);

    /// `self = 0`, keeping the shape (−0.0 for floats: the additive identity the next
    /// accumulation folds away).
    fn set_zero(&mut self);
}

/// Adding an adjoint of type `D` into one of type `Self`: the rules of `a + b` and `a - b`,
/// whose operands may be matrices whose dimensions differ in kind (`Dyn` and `Const<2>`,
/// as nalgebra allows: `a.rows(0, 2) + b` with `b: Vector2`). Same types go through
/// [`Accumulate`]; with the `nalgebra` feature, matrices of one shape whose dimensions
/// differ in kind add entry by entry (column-major, shapes checked).
pub trait AccumulateFrom<D: ?Sized> {
    /// `self += other`.
    fn accumulate_from(&mut self, other: &D);
    /// `self -= other`.
    fn subtract_from(&mut self, other: &D);
    /// `zero + other`, where `zero` is the zero adjoint `other` would be added into: for
    /// the same type, `other` itself (moved, nothing computed).
    #[inline(always)]
    fn adopt(other: D, zero: impl FnOnce() -> Self) -> Self
    where
        D: Sized,
        Self: Sized,
    {
        let mut adjoint = zero();
        adjoint.accumulate_from(&other);
        adjoint
    }
}

impl<G: Accumulate> AccumulateFrom<G> for G {
    #[inline(always)]
    fn accumulate_from(&mut self, other: &G) {
        self.accumulate(other);
    }
    #[inline(always)]
    fn adopt(other: G, _zero: impl FnOnce() -> G) -> G {
        other
    }
    #[inline(always)]
    fn subtract_from(&mut self, other: &G) {
        self.subtract(other);
    }
}

impl Differentiable for f32 {
    type Grad = f32;
    #[inline(always)]
    fn zeros_like(&self) -> f32 {
        0.0
    }
    #[inline(always)]
    fn zero_adjoint(&self) -> f32 {
        -0.0
    }
}

impl Accumulate for f32 {
    #[inline(always)]
    fn accumulate(&mut self, other: &f32) {
        *self += *other;
    }
    #[inline(always)]
    fn subtract(&mut self, other: &f32) {
        *self -= *other;
    }
    #[inline(always)]
    fn set_zero(&mut self) {
        *self = -0.0;
    }
}

impl Differentiable for f64 {
    type Grad = f64;
    #[inline(always)]
    fn zeros_like(&self) -> f64 {
        0.0
    }
    #[inline(always)]
    fn zero_adjoint(&self) -> f64 {
        -0.0
    }
}

impl Accumulate for f64 {
    #[inline(always)]
    fn accumulate(&mut self, other: &f64) {
        *self += *other;
    }
    #[inline(always)]
    fn subtract(&mut self, other: &f64) {
        *self -= *other;
    }
    #[inline(always)]
    fn set_zero(&mut self) {
        *self = -0.0;
    }
}

/// Integers and booleans carry no derivative; their "gradient" is `()`. The generated code
/// cannot see types, so an integer inside a value it differentiates (the `n` of a tuple
/// `(x * 3.0, n)`, the `k` of `let (a, k) = h(x);`) gets an adjoint like any other element,
/// and this one is free: nothing to store, nothing to add.
macro_rules! no_derivative {
    ($($ty:ty),*) => {$(
        impl Differentiable for $ty {
            type Grad = ();
            #[inline(always)]
            fn zeros_like(&self) {}
        }
    )*};
}
// `()` too: the adjoint of an adjoint (a carried value's is shaped like the last one).
no_derivative!(
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    bool,
    ()
);

/// The adjoint of an integer or a boolean: nothing to add.
impl Accumulate for () {
    #[inline(always)]
    fn accumulate(&mut self, _: &()) {}
    #[inline(always)]
    fn subtract(&mut self, _: &()) {}
    #[inline(always)]
    fn set_zero(&mut self) {}
}

impl<T: Differentiable + ?Sized> Differentiable for &T {
    type Grad = T::Grad;
    #[inline(always)]
    fn zeros_like(&self) -> T::Grad {
        (**self).zeros_like()
    }
    #[inline(always)]
    fn zero_adjoint(&self) -> T::Grad {
        (**self).zero_adjoint()
    }
}

/// A zero gradient shaped like `value` (see [`Differentiable`]).
#[inline(always)]
pub fn zeros_like<T: Differentiable + ?Sized>(value: &T) -> T::Grad {
    value.zeros_like()
}

/// The starting value of an intermediate adjoint (see [`Differentiable::zero_adjoint`]).
#[inline(always)]
pub fn zero_adjoint<T: Differentiable + ?Sized>(value: &T) -> T::Grad {
    value.zero_adjoint()
}

/// The adjoint of `value` when its one use is an operand of `y = a + b` (or the `a` of
/// `a - b`) and `ȳ` is read by nothing else: `ȳ` itself, taken over, instead of a zero
/// adjoint that `ȳ` is then added into (a matrix allocated, zeroed and added for nothing).
#[inline(always)]
pub fn adopt<T, D>(value: &T, d_y: D) -> T::Grad
where
    T: Differentiable + ?Sized,
    T::Grad: AccumulateFrom<D>,
{
    <T::Grad as AccumulateFrom<D>>::adopt(d_y, || value.zero_adjoint())
}

/// `*adjoint += contribution`.
#[inline(always)]
pub fn accumulate<G: Accumulate>(adjoint: &mut G, contribution: &G) {
    adjoint.accumulate(contribution);
}

/// `a + b` of two tangent contributions to one value (forward mode sums the contributions
/// of a result's active arguments), in place in `a`: nothing is allocated beyond `a`.
#[doc(hidden)]
#[inline(always)]
pub fn add_tangents<G: Accumulate>(mut a: G, b: G) -> G {
    a.accumulate(&b);
    a
}

/// The seed of a scalar gradient: ∂L/∂L = 1.
#[inline(always)]
pub fn one<T: Real>() -> T {
    T::one()
}

impl<T: Differentiable, const N: usize> Differentiable for [T; N] {
    type Grad = [T::Grad; N];
    #[inline(always)]
    fn zeros_like(&self) -> Self::Grad {
        core::array::from_fn(|i| self[i].zeros_like())
    }
    #[inline(always)]
    fn zero_adjoint(&self) -> Self::Grad {
        core::array::from_fn(|i| self[i].zero_adjoint())
    }
}

impl<T: Accumulate, const N: usize> Accumulate for [T; N] {
    #[inline(always)]
    fn accumulate(&mut self, other: &Self) {
        for (a, b) in self.iter_mut().zip(other) {
            a.accumulate(b);
        }
    }
    #[inline(always)]
    fn subtract(&mut self, other: &Self) {
        for (a, b) in self.iter_mut().zip(other) {
            a.subtract(b);
        }
    }
    #[inline(always)]
    fn set_zero(&mut self) {
        self.iter_mut().for_each(Accumulate::set_zero);
    }
}

#[cfg(feature = "alloc")]
mod heap {
    use super::{Accumulate, Differentiable};
    use alloc::vec::Vec;

    /// A slice's gradient is owned: `Vec<f64>` for `&[f64]`.
    impl<T: Differentiable> Differentiable for [T] {
        type Grad = Vec<T::Grad>;
        fn zeros_like(&self) -> Self::Grad {
            self.iter().map(Differentiable::zeros_like).collect()
        }
        fn zero_adjoint(&self) -> Self::Grad {
            self.iter().map(Differentiable::zero_adjoint).collect()
        }
    }

    impl<T: Differentiable> Differentiable for Vec<T> {
        type Grad = Vec<T::Grad>;
        fn zeros_like(&self) -> Self::Grad {
            self.as_slice().zeros_like()
        }
        fn zero_adjoint(&self) -> Self::Grad {
            self.as_slice().zero_adjoint()
        }
    }

    /// An array passed to a slice parameter (`f(&a)` for `fn f(x: &[f64])`) gets the
    /// slice's gradient back as a `Vec`.
    impl<T: Accumulate, const N: usize> super::ArgumentGradient<[T; N]> for Vec<T> {
        #[inline(always)]
        fn accumulate_into(self, d: &mut [T; N]) {
            debug_assert_eq!(self.len(), N, "adjoints of different lengths");
            for (a, b) in d.iter_mut().zip(&self) {
                a.accumulate(b);
            }
        }
    }

    impl<T: Accumulate> Accumulate for Vec<T> {
        fn accumulate(&mut self, other: &Self) {
            debug_assert_eq!(self.len(), other.len(), "adjoints of different lengths");
            for (a, b) in self.iter_mut().zip(other) {
                a.accumulate(b);
            }
        }
        fn subtract(&mut self, other: &Self) {
            debug_assert_eq!(self.len(), other.len(), "adjoints of different lengths");
            for (a, b) in self.iter_mut().zip(other) {
                a.subtract(b);
            }
        }
        fn set_zero(&mut self) {
            self.iter_mut().for_each(Accumulate::set_zero);
        }
    }
}

#[cfg(feature = "nalgebra")]
mod linalg {
    use nalgebra::allocator::Allocator;
    use nalgebra::{
        ArrayStorage, Const, DefaultAllocator, Dim, Dyn, Matrix, OMatrix, RawStorage, StorageMut,
    };

    use super::{Accumulate, AccumulateFrom, Differentiable, FixedZero};
    use crate::Real;

    /// A matrix or vector of any storage (owned, static, dynamic, a view) has an owned
    /// gradient of the same shape: `OMatrix<T, R, C>` (`DMatrix<f64>` for a
    /// `DMatrixView<f64>`).
    impl<T: Real, R: Dim, C: Dim, S: RawStorage<T, R, C>> Differentiable for Matrix<T, R, C, S>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        type Grad = OMatrix<T, R, C>;

        /// `+0.0` in every entry, shaped like `self`.
        #[inline(always)]
        fn zeros_like(&self) -> OMatrix<T, R, C> {
            let (rows, cols) = self.shape_generic();
            OMatrix::from_element_generic(rows, cols, T::zero())
        }

        /// `-0.0` in every entry (the exact additive identity), shaped like `self`.
        #[inline(always)]
        fn zero_adjoint(&self) -> OMatrix<T, R, C> {
            let (rows, cols) = self.shape_generic();
            OMatrix::from_element_generic(rows, cols, -T::zero())
        }
    }

    /// Adjoints of matrices add entrywise; both must have the same shape (checked, also
    /// for dynamic dimensions: a mismatch panics).
    impl<T: Real, R: Dim, C: Dim, S: StorageMut<T, R, C>> Accumulate for Matrix<T, R, C, S> {
        #[inline(always)]
        fn accumulate(&mut self, other: &Self) {
            self.zip_apply(other, |a, b| *a += b);
        }
        #[inline(always)]
        fn subtract(&mut self, other: &Self) {
            self.zip_apply(other, |a, b| *a -= b);
        }
        #[inline(always)]
        fn set_zero(&mut self) {
            self.fill(-T::zero());
        }
    }

    /// `self ±= other` for matrices of one shape whose dimensions differ in kind (checked;
    /// both read column-major).
    #[inline(always)]
    fn add_entries<T, R, C, R2, C2, S, S2>(
        d: &mut Matrix<T, R, C, S>,
        other: &Matrix<T, R2, C2, S2>,
        sign: T,
    ) where
        T: Real,
        R: Dim,
        C: Dim,
        R2: Dim,
        C2: Dim,
        S: StorageMut<T, R, C>,
        S2: RawStorage<T, R2, C2>,
    {
        assert_eq!(d.shape(), other.shape(), "reverse rule: shapes differ");
        for (d, &o) in d.iter_mut().zip(other.iter()) {
            *d += sign * o;
        }
    }

    /// One `AccumulateFrom` impl per pattern of dimensions that differ in kind: each
    /// pattern differs from the others (and from the same-type impl) in some dimension's
    /// kind, so none overlap.
    macro_rules! accumulate_across_kinds {
        ($([$($g:tt)*] ($r:ty, $c:ty) <- ($r2:ty, $c2:ty);)*) => {$(
            impl<T: Real, $($g)* S: StorageMut<T, $r, $c>, S2: RawStorage<T, $r2, $c2>>
                AccumulateFrom<Matrix<T, $r2, $c2, S2>> for Matrix<T, $r, $c, S>
            {
                #[inline(always)]
                fn accumulate_from(&mut self, other: &Matrix<T, $r2, $c2, S2>) {
                    add_entries(self, other, T::one());
                }
                #[inline(always)]
                fn subtract_from(&mut self, other: &Matrix<T, $r2, $c2, S2>) {
                    add_entries(self, other, -T::one());
                }
            }
        )*};
    }

    accumulate_across_kinds! {
        [C: Dim, const N: usize,] (Dyn, C) <- (Const<N>, C);
        [C: Dim, const N: usize,] (Const<N>, C) <- (Dyn, C);
        [R: Dim, const M: usize,] (R, Dyn) <- (R, Const<M>);
        [R: Dim, const M: usize,] (R, Const<M>) <- (R, Dyn);
        [const N: usize, const M: usize,] (Dyn, Dyn) <- (Const<N>, Const<M>);
        [const N: usize, const M: usize,] (Const<N>, Const<M>) <- (Dyn, Dyn);
        [const N: usize, const M: usize,] (Dyn, Const<M>) <- (Const<N>, Dyn);
        [const N: usize, const M: usize,] (Const<N>, Dyn) <- (Dyn, Const<M>);
    }

    /// Statically sized matrices (`Matrix3<f64>`, `Vector3<f32>`, ...) have a zero adjoint
    /// that needs no value: `-0.0` everywhere.
    impl<T: Real, const R: usize, const C: usize> FixedZero
        for Matrix<T, Const<R>, Const<C>, ArrayStorage<T, R, C>>
    {
        #[inline(always)]
        fn fixed_zero() -> Self {
            Self::from_element(-T::zero())
        }
    }
}

/// The gradient of a parameter that a called function does not differentiate (it is left
/// out of its `#[differentiate(wrt(..))]`). It cannot flow into an argument, so passing a
/// differentiated value there is a compile error instead of a lost derivative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotDifferentiated;

/// A gradient that a called function returns for one of its parameters, flowing into the
/// adjoint `D` of the caller's argument.
#[diagnostic::on_unimplemented(
    message = "a gradient of type `{Self}` cannot flow into an argument whose adjoint is `{D}`",
    label = "the called function's gradient for this argument",
    note = "`NotDifferentiated` means the called function leaves this parameter out of its `#[differentiate(wrt(..))]`: add it there, since the argument depends on a differentiated parameter"
)]
pub trait ArgumentGradient<D> {
    /// `d += self`.
    fn accumulate_into(self, d: &mut D);

    /// The adjoint `0 + self`, where `zero()` is the argument's zero adjoint: the first
    /// contribution to it.
    #[inline(always)]
    fn into_adjoint(self, zero: impl FnOnce() -> D) -> D
    where
        Self: Sized,
    {
        let mut d = zero();
        self.accumulate_into(&mut d);
        d
    }
}

impl<G: Accumulate> ArgumentGradient<G> for G {
    #[inline(always)]
    fn accumulate_into(self, d: &mut G) {
        d.accumulate(&self);
    }

    /// The gradient itself: no zero is made.
    #[inline(always)]
    fn into_adjoint(self, _zero: impl FnOnce() -> G) -> G {
        self
    }
}

/// `d += gradient`: a called function's gradient for one argument, into the caller's
/// adjoint of that argument.
#[inline(always)]
pub fn accumulate_argument<D, G: ArgumentGradient<D>>(d: &mut D, gradient: G) {
    gradient.accumulate_into(d);
}

/// A called function's gradient for one argument as the caller's adjoint of that
/// argument, when it is the first contribution: the gradient moved, not added into zeros.
#[inline(always)]
pub fn first_argument<D, G: ArgumentGradient<D>>(gradient: G, zero: impl FnOnce() -> D) -> D {
    gradient.into_adjoint(zero)
}

/// Compiles only for a type that can be differentiated (the generated code checks each
/// parameter's type with it, so the error points at the parameter).
#[inline(always)]
pub fn assert_differentiable<T: Differentiable + ?Sized>() {}

/// A recursive call's pullback on the heap: `f`'s pullback closure holds the pullback of
/// the call of `f` it makes, so its type would contain itself; boxed, it has a name. One
/// allocation per level of the recursion, where joint mode (the reverse sweep calling
/// `f_vjp`, which evaluates the levels below again) costs O(depth) per level.
#[cfg(feature = "alloc")]
#[inline(always)]
#[allow(clippy::type_complexity)]
pub fn boxed_pullback<'a, R, S, G>(
    (value, pullback): (R, impl FnOnce(S) -> G + 'a),
) -> (R, alloc::boxed::Box<dyn FnOnce(S) -> G + 'a>) {
    (value, alloc::boxed::Box::new(pullback))
}
