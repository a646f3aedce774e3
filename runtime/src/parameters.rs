//! What an optimiser needs from parameters and their gradients: `p += α·g` and
//! element-wise updates, for scalars, arrays, `Vec`s, nalgebra matrices, tuples, and
//! structs that `#[derive(tapeless::Differentiable)]`.

use crate::Real;

/// Parameters an optimiser can update with their gradient (a value of the same type).
///
/// ```
/// use tapeless_runtime::Parameters;
/// let mut p = [1.0, 2.0];
/// p.add_scaled(-0.5, &[2.0, 2.0]); // gradient descent: p -= 0.5·g
/// assert_eq!(p, [0.0, 1.0]);
/// ```
pub trait Parameters<T: Real> {
    /// `self += alpha · other`, element by element.
    fn add_scaled(&mut self, alpha: T, other: &Self);

    /// Calls `f(&mut s, o)` for each scalar `s` of `self` and the scalar `o` at the same
    /// place in `other` (Adam's moment updates, clipping, ...).
    fn zip_scalars<F: FnMut(&mut T, T)>(&mut self, other: &Self, f: &mut F);

    /// Calls `f(&mut s)` for each scalar `s` of `self`.
    fn map_scalars<F: FnMut(&mut T)>(&mut self, f: &mut F);

    /// Calls `f(s)` for each scalar `s` of `self`, in the order of [`map_scalars`](Self::map_scalars).
    fn for_each_scalar<F: FnMut(T)>(&self, f: &mut F);

    /// The number of scalars (the length of the flat vector of [`write_to`](Self::write_to)).
    fn len(&self) -> usize {
        let mut n = 0;
        self.for_each_scalar(&mut |_| n += 1);
        n
    }

    /// Whether there are no scalars.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the scalars, in order, to `out` as `f64`: flattens parameters (or a gradient)
    /// for an optimiser crate or a finite-difference check.
    ///
    /// ```
    /// use tapeless_runtime::Parameters;
    /// let p = ([1.0_f32, 2.0], 3.0_f32);
    /// let mut flat = vec![0.0; p.len()];
    /// p.write_to(&mut flat);
    /// assert_eq!(flat, [1.0, 2.0, 3.0]);
    /// ```
    ///
    /// # Panics
    ///
    /// If `out.len() != self.len()`.
    fn write_to(&self, out: &mut [f64]) {
        assert_eq!(
            out.len(),
            self.len(),
            "write_to: the slice's length is not the number of scalars"
        );
        let mut slots = out.iter_mut();
        self.for_each_scalar(&mut |s| {
            if let Some(slot) = slots.next() {
                *slot = num_traits::ToPrimitive::to_f64(&s).unwrap_or(f64::NAN);
            }
        });
    }

    /// Reads the scalars, in order, from `values` (the inverse of [`write_to`](Self::write_to);
    /// `f64` values are rounded to `T`).
    ///
    /// # Panics
    ///
    /// If `values.len() != self.len()`.
    fn read_from(&mut self, values: &[f64]) {
        assert_eq!(
            values.len(),
            self.len(),
            "read_from: the slice's length is not the number of scalars"
        );
        let mut values = values.iter();
        self.map_scalars(&mut |s| {
            if let Some(&v) = values.next() {
                *s = T::constant(v);
            }
        });
    }
}

macro_rules! scalar_parameters {
    ($t:ty) => {
        impl Parameters<$t> for $t {
            #[inline(always)]
            fn add_scaled(&mut self, alpha: $t, other: &$t) {
                *self += alpha * other;
            }
            #[inline(always)]
            fn zip_scalars<F: FnMut(&mut $t, $t)>(&mut self, other: &$t, f: &mut F) {
                f(self, *other);
            }
            #[inline(always)]
            fn map_scalars<F: FnMut(&mut $t)>(&mut self, f: &mut F) {
                f(self);
            }
            #[inline(always)]
            fn for_each_scalar<F: FnMut($t)>(&self, f: &mut F) {
                f(*self);
            }
        }
    };
}
scalar_parameters!(f32);
scalar_parameters!(f64);

impl<T: Real, P: Parameters<T>, const N: usize> Parameters<T> for [P; N] {
    fn add_scaled(&mut self, alpha: T, other: &Self) {
        for (a, b) in self.iter_mut().zip(other) {
            a.add_scaled(alpha, b);
        }
    }
    fn zip_scalars<F: FnMut(&mut T, T)>(&mut self, other: &Self, f: &mut F) {
        for (a, b) in self.iter_mut().zip(other) {
            a.zip_scalars(b, f);
        }
    }
    fn map_scalars<F: FnMut(&mut T)>(&mut self, f: &mut F) {
        for a in self.iter_mut() {
            a.map_scalars(f);
        }
    }
    fn for_each_scalar<F: FnMut(T)>(&self, f: &mut F) {
        for a in self {
            a.for_each_scalar(f);
        }
    }
}

#[cfg(feature = "alloc")]
impl<T: Real, P: Parameters<T>> Parameters<T> for alloc::vec::Vec<P> {
    fn add_scaled(&mut self, alpha: T, other: &Self) {
        assert_eq!(self.len(), other.len(), "parameters of different lengths");
        for (a, b) in self.iter_mut().zip(other) {
            a.add_scaled(alpha, b);
        }
    }
    fn zip_scalars<F: FnMut(&mut T, T)>(&mut self, other: &Self, f: &mut F) {
        assert_eq!(self.len(), other.len(), "parameters of different lengths");
        for (a, b) in self.iter_mut().zip(other) {
            a.zip_scalars(b, f);
        }
    }
    fn map_scalars<F: FnMut(&mut T)>(&mut self, f: &mut F) {
        for a in self.iter_mut() {
            a.map_scalars(f);
        }
    }
    fn for_each_scalar<F: FnMut(T)>(&self, f: &mut F) {
        for a in self {
            a.for_each_scalar(f);
        }
    }
}

#[cfg(feature = "nalgebra")]
impl<T: Real, R: nalgebra::Dim, C: nalgebra::Dim, S: nalgebra::StorageMut<T, R, C>> Parameters<T>
    for nalgebra::Matrix<T, R, C, S>
{
    fn add_scaled(&mut self, alpha: T, other: &Self) {
        self.zip_apply(other, |a, b| *a += alpha * b);
    }
    fn zip_scalars<F: FnMut(&mut T, T)>(&mut self, other: &Self, f: &mut F) {
        self.zip_apply(other, |a, b| f(a, b));
    }
    fn map_scalars<F: FnMut(&mut T)>(&mut self, f: &mut F) {
        self.apply(|a| f(a));
    }
    fn for_each_scalar<F: FnMut(T)>(&self, f: &mut F) {
        for a in self.iter() {
            f(*a);
        }
    }
}

macro_rules! tuple_impls {
    ($($name:ident $index:tt),+) => {
        impl<$($name: crate::Differentiable),+> crate::Differentiable for ($($name,)+) {
            type Grad = ($($name::Grad,)+);
            fn zeros_like(&self) -> Self::Grad {
                ($(self.$index.zeros_like(),)+)
            }
            fn zero_adjoint(&self) -> Self::Grad {
                ($(self.$index.zero_adjoint(),)+)
            }
        }

        impl<$($name: crate::Accumulate),+> crate::Accumulate for ($($name,)+) {
            fn accumulate(&mut self, other: &Self) {
                $(self.$index.accumulate(&other.$index);)+
            }
            fn subtract(&mut self, other: &Self) {
                $(self.$index.subtract(&other.$index);)+
            }
            fn set_zero(&mut self) {
                $(self.$index.set_zero();)+
            }
        }

        impl<T: Real, $($name: Parameters<T>),+> Parameters<T> for ($($name,)+) {
            fn add_scaled(&mut self, alpha: T, other: &Self) {
                $(self.$index.add_scaled(alpha, &other.$index);)+
            }
            fn zip_scalars<F: FnMut(&mut T, T)>(&mut self, other: &Self, f: &mut F) {
                $(self.$index.zip_scalars(&other.$index, f);)+
            }
            fn map_scalars<F: FnMut(&mut T)>(&mut self, f: &mut F) {
                $(self.$index.map_scalars(f);)+
            }
            fn for_each_scalar<F: FnMut(T)>(&self, f: &mut F) {
                $(self.$index.for_each_scalar(f);)+
            }
        }
    };
}
tuple_impls!(A 0);
tuple_impls!(A 0, B 1);
tuple_impls!(A 0, B 1, C 2);
tuple_impls!(A 0, B 1, C 2, D 3);
tuple_impls!(A 0, B 1, C 2, D 3, E 4);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, G 5);

/// The gradient of a data element (`usize`, `bool`, ... beside floats in a tuple): no scalars.
impl<T: Real> Parameters<T> for () {
    fn add_scaled(&mut self, _: T, _: &Self) {}
    fn zip_scalars<F: FnMut(&mut T, T)>(&mut self, _: &Self, _: &mut F) {}
    fn map_scalars<F: FnMut(&mut T)>(&mut self, _: &mut F) {}
    fn for_each_scalar<F: FnMut(T)>(&self, _: &mut F) {}
}

/// How many scalars `p` holds (`f_hessian` makes one row per scalar).
#[inline(always)]
pub fn scalar_count<T: Real, P: Parameters<T>>(p: &P) -> usize {
    p.len()
}

/// Sets the `k`-th scalar of `p` (in the order of [`Parameters::map_scalars`]) to one:
/// a unit direction of `f_hessian`.
#[inline(always)]
pub fn set_unit<T: Real, P: Parameters<T>>(p: &mut P, k: usize) {
    let mut i = 0;
    p.map_scalars(&mut |s| {
        if i == k {
            *s = T::one();
        }
        i += 1;
    });
}

/// `p += alpha·other` (the VJP of a nested `f_grad`: s₀·∇f + H·s₁).
#[inline(always)]
pub fn add_scaled<T: Real, P: Parameters<T>>(p: &mut P, alpha: T, other: &P) {
    p.add_scaled(alpha, other);
}

/// ⟨a, b⟩: the sum of the products of the scalars at the same places (the directional
/// derivative ⟨∇f, v⟩ of `f_grad_jvp`).
#[inline(always)]
pub fn scalar_dot<T: Real, P: Parameters<T> + Clone>(a: &P, b: &P) -> T {
    let mut sum = T::zero();
    a.clone().zip_scalars(b, &mut |x, y| sum += *x * y);
    sum
}
