//! Special functions that `f32`/`f64` lack as methods, for `f32`, `f64` and any
//! [`Real`] type, computed by `libm` (in `f64`, rounded to the type). Called as
//! `special::erf(x)` (or `tapeless::special::erf(x)`) in a differentiated function; their
//! derivative rules are in [`scalar`](crate::scalar) (`erf_vjp`, `erf_jvp`, ...).
//!
//! ```
//! use tapeless_runtime::special;
//!
//! assert_eq!(special::erf(0.0_f64), 0.0);
//! assert!((special::erfc(1.0_f32) - 0.157_299_2).abs() < 1e-6);
//! ```

use crate::Real;

/// `f` of `x`, computed in `f64`.
#[inline(always)]
fn in_f64<T: Real>(x: T, f: fn(f64) -> f64) -> T {
    T::constant(f(x.to_f64().unwrap_or(f64::NAN)))
}

/// The error function erf x = 2/√π ∫₀ˣ e^(−t²) dt.
#[inline(always)]
pub fn erf<T: Real>(x: T) -> T {
    in_f64(x, libm::erf)
}

/// The complementary error function erfc x = 1 − erf x (accurate where erf x is near 1).
#[inline(always)]
pub fn erfc<T: Real>(x: T) -> T {
    in_f64(x, libm::erfc)
}
