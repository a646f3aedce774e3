//! # tapeless
//!
//! Compile-time reverse-mode automatic differentiation for ordinary Rust functions.
//!
//! `#[differentiate]` reads a function, lowers it to SSA form, and emits companion
//! functions that compute its gradient: no tape, no graph, no allocation for scalar code.
//!
//! ```
//! use tapeless::differentiate;
//!
//! #[differentiate]
//! fn f(x: f64, y: f64) -> f64 {
//!     3.0 * x * x * (2.0 * y + 7.0)
//! }
//!
//! let (value, grad) = f_grad(1.5, 2.0);
//! assert_eq!(value, f(1.5, 2.0));
//! assert!((grad.x - 6.0 * 1.5 * (2.0 * 2.0 + 7.0)).abs() < 1e-12);
//! assert!((grad.y - 6.0 * 1.5 * 1.5).abs() < 1e-12);
//! ```
//!
//! For `fn f(..) -> f64`, the macro adds, with the visibility of `f`:
//!
//! * `struct FGrad` with one public field per differentiated parameter;
//! * `fn f_grad(..) -> (f64, FGrad)`: the value and the gradient;
//! * `fn f_vjp(.., seed: f64) -> (f64, FGrad)`: the value and `seed` times the gradient
//!   (the vector-Jacobian product).
//!
//! `#[differentiate(wrt(x))]` restricts the gradient to the named parameters;
//! `#[differentiate(max_iterations = N)]` keeps every loop's saved values in arrays of `N`
//! (no heap; more iterations panic), which loops of run-time trip count need without the
//! `alloc` feature. `use tapeless::prelude::*;` brings everything a differentiated function
//! needs, also in `no_std` crates (the float methods through [`Float`]). A function
//! that returns a vector, matrix, array or tuple has `f_vjp` with a seed of that type
//! instead of `f_grad`; one with a vector-like output (a `Vec`, an array or a nalgebra
//! vector or matrix of floats) also has `f_jacobian(..) -> (Out, Vec<FGrad>)`: the value
//! and one gradient per output component, by forward or reverse sweeps, whichever are
//! fewer (feature `alloc`).
//!
//! ```
//! use tapeless::differentiate;
//!
//! #[differentiate]
//! fn polar(r: f64, theta: f64) -> [f64; 2] {
//!     let mut out = [0.0; 2];
//!     out[0] = r * theta.cos();
//!     out[1] = r * theta.sin();
//!     out
//! }
//!
//! let (value, rows) = polar_jacobian(2.0, 0.5);
//! assert_eq!(value, polar(2.0, 0.5));
//! assert!((rows[1].r - 0.5_f64.sin()).abs() < 1e-15); // ∂y/∂r = sin θ
//! assert!((rows[0].theta + 2.0 * 0.5_f64.sin()).abs() < 1e-15); // ∂x/∂θ = −r sin θ
//! ```
//!
//! Composition: a differentiated function can call another (its reverse sweep uses the
//! callee's pullback or `_vjp`); [`custom_vjp`] gives a function a hand-written rule;
//! `#[derive(Differentiable)]` makes a struct a parameter type whose gradient is the same
//! struct, updated by optimisers through [`Parameters`]; `#[differentiate]` on an `impl`
//! block differentiates the methods marked inside it; functions generic over `T: RealField`
//! or `T: Float` get generic gradients. See the README for the supported constructs and
//! `tests/ui/` for what is rejected, and why.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

// Generated code names the runtime as `::tapeless::...`; this makes that path resolve
// inside this crate's own doc tests and unit tests too.
extern crate self as tapeless;

pub use tapeless_macros::{custom_vjp, differentiate, Differentiable};
pub use tapeless_runtime as runtime;
/// The outputs that `f_jacobian` exists for (see [`runtime::jacobian`]).
#[cfg(feature = "alloc")]
pub use tapeless_runtime::JacobianOutput;
pub use tapeless_runtime::{nn, special, Accumulate, Differentiable, Dual, Parameters, Real};

/// Everything a differentiated function needs in scope, with or without `std`:
///
/// ```
/// use tapeless::prelude::*;
///
/// #[differentiate]
/// fn f(x: f32) -> f32 {
///     x.exp().sqrt() // through `Float` (libm) without std; the inherent methods with it
/// }
///
/// let (_, grad) = f_grad(1.0);
/// assert!((grad.x - 0.5 * 0.5_f32.exp()).abs() < 1e-6);
/// ```
pub mod prelude {
    #[cfg(feature = "alloc")]
    pub use crate::check;
    pub use crate::{custom_vjp, differentiate, Differentiable, Parameters, Real};
    /// The float methods of `f32` and `f64` (`x.exp()`, `x.sqrt()`, ...) without `std`,
    /// through `libm`.
    pub use tapeless_runtime::Float;
}

/// The float methods of `f32` and `f64` without `std` (through `libm`); also in
/// [`prelude`].
pub use tapeless_runtime::Float;

/// nalgebra 0.35, the version whose matrices tapeless differentiates. Depend on
/// `nalgebra = "0.35"` or import through this path (`use tapeless::nalgebra::DMatrix;`);
/// a matrix from another nalgebra version is a different type, rejected at compile time.
#[cfg(feature = "nalgebra")]
pub use tapeless_runtime::nalgebra;

/// The finite-difference gradient checker (see [`runtime::check`]).
#[cfg(feature = "alloc")]
pub use tapeless_runtime::check;

/// Paths used by generated code. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "alloc")]
    extern crate alloc;
    #[cfg(feature = "alloc")]
    pub use alloc::{vec, vec::Vec};
    pub use tapeless_runtime::__libm as libm;
    pub use tapeless_runtime::__loop_stack as loop_stack;
    #[cfg(feature = "alloc")]
    pub use tapeless_runtime::boxed_pullback;
    pub use tapeless_runtime::carried_shape::{
        shaped_zero, FixedShape, KeptZero, MatrixShape, ShapeOf, ShapeStack, UnknownShape, VecShape,
    };
    #[cfg(feature = "nalgebra")]
    pub use tapeless_runtime::cholesky::*;
    #[cfg(feature = "alloc")]
    pub use tapeless_runtime::dual::split_reusing;
    pub use tapeless_runtime::dual::{lift, lift_constant, split, DataField};
    pub use tapeless_runtime::forward::{
        tangent_dot, ArgumentTangent, ForwardMode, ForwardModeUnsupported,
        NestedGradientNeedsHessian, NoTangent, Tangent, TangentDot,
    };
    pub use tapeless_runtime::index::*;
    #[cfg(feature = "alloc")]
    pub use tapeless_runtime::jacobian::{
        jacobian, reverse_rows, shared_reverse_rows, shared_rows, tangent_by_rows, Seeds,
    };
    pub use tapeless_runtime::loop_stack::{fixed_capacity, range_len, BoundedStack};
    #[cfg(feature = "alloc")]
    pub use tapeless_runtime::loop_stack::{push_snapshot, restore_snapshot};
    #[cfg(feature = "nalgebra")]
    pub use tapeless_runtime::matrix::*;
    pub use tapeless_runtime::nn::*;
    pub use tapeless_runtime::ops::{
        by_operand, DivJvpLhs, DivJvpRhs, DivVjpLhs, DivVjpRhs, MulJvpLhs, MulJvpRhs, MulVjpLhs,
        MulVjpRhs, Operand, Rule,
    };
    pub use tapeless_runtime::parameters::{add_scaled, scalar_count, scalar_dot, set_unit};
    #[cfg(feature = "nalgebra")]
    pub use tapeless_runtime::rotation::{
        from_euler_angles_jvp_pitch, from_euler_angles_jvp_roll, from_euler_angles_jvp_yaw,
        from_euler_angles_vjp_pitch, from_euler_angles_vjp_roll, from_euler_angles_vjp_yaw,
        from_scaled_axis_jvp, from_scaled_axis_vjp,
    };
    pub use tapeless_runtime::scalar::*;
    #[cfg(feature = "nalgebra")]
    pub use tapeless_runtime::spectral::*;
    pub use tapeless_runtime::{
        accumulate, accumulate_argument, adopt, assert_differentiable, first_argument, one, zero,
        zero_adjoint, zeros_like, NotDifferentiated,
    };
    pub use tapeless_runtime::{libm_names, Is, Marked, MarkedMethod, TapelessRule};
    pub use tapeless_runtime::{AsPrimitive, Float};
    #[cfg(feature = "nalgebra")]
    pub use tapeless_runtime::{ComplexField, RealField};
    // Forward mode: the sum of two tangent contributions.
    pub use tapeless_runtime::add_tangents;

    /// A float given by value or by reference (`d` of `a.iter()`), by value: the generic
    /// copy of a `hessian` function names float methods `Float::exp(x)`, which does not
    /// dereference as `d.exp()` does.
    #[inline(always)]
    pub fn by_value<T: Copy, B: ::core::borrow::Borrow<T>>(x: B) -> T {
        *x.borrow()
    }

    /// Gives two values one type (a version of a variable assigned a literal, `s = 2.0;`,
    /// is typed by the variable in the source): compiles to nothing.
    #[inline(always)]
    pub fn same_type<T: ?Sized>(_: &T, _: &T) {}
}
