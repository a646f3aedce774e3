//! VJP rules for scalar operators and the float methods of `f32`/`f64`.
//!
//! Each rule accumulates `ȳ · ∂y/∂arg` into the adjoint of one argument and reads only the
//! values its derivative needs (the rule table of the macro lists them); the signature
//! convention is described in the crate documentation. The math is in the doc line of
//! each rule. Conventions where the derivative is undefined:
//!
//! | function | point | convention |
//! |---|---|---|
//! | `abs` | x = 0 | derivative 0 (the minimum-norm subgradient) |
//! | `max`, `min`, `clamp` | ties | the adjoint is split evenly between the tied arguments (thirds when `x = lo = hi`) |
//! | `hypot` | (0, 0) | derivative 0 |
//! | `atan2` | (0, 0) | NaN (0/0: the direction is undefined) |
//! | `max`, `min` | one argument NaN | the derivative follows the other argument, as the value does |
//! | `powi`, `powf` | n = 0 | derivative 0 w.r.t. the base, also at x = 0 (`x⁰ = 1` is constant) |
//! | `sqrt`, `cbrt` | x = 0 | IEEE result: ȳ/0 = ±∞ (NaN when ȳ = 0) |
//! | `powf` w.r.t. the exponent | xⁿ = 0 or x = 0 | 0 |
//! | `signum`, `floor`, `ceil`, `round`, `trunc` | everywhere | 0 (piecewise constant: no adjoint code is emitted) |

use crate::elementwise::ElementwiseAdjoint;
use crate::Real;

// The operator rules serve scalars and matrices alike; they live in `ops` and are
// re-exported here, where generated code has always found them.
pub use crate::ops::{
    add_vjp_lhs, add_vjp_rhs, div_vjp_lhs, div_vjp_rhs, mul_vjp_lhs, mul_vjp_rhs, neg_vjp,
    sub_vjp_lhs, sub_vjp_rhs,
};

/// One-argument rules, grouped by what the derivative reads: the argument `x`, the
/// output `y`, or nothing. Each accumulates its contribution into `d_x`.
macro_rules! unary_rules {
    (reads $v:ident: $($(#[$doc:meta])* $name:ident => |$x:ident, $d:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[inline(always)]
        pub fn $name<T: Real>(d_x: &mut T, $x: &T, $d: &T) {
            let ($x, $d) = (*$x, *$d);
            *d_x += $body;
        }
    )*};
    (reads nothing: $($(#[$doc:meta])* $name:ident => |$d:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[inline(always)]
        pub fn $name<T: Real>(d_x: &mut T, $d: &T) {
            let $d = *$d;
            *d_x += $body;
        }
    )*};
}

unary_rules! { reads x:
    /// y = sin x: x̄ += ȳ·cos x.
    sin_vjp => |x, d| d * x.cos();
    /// y = cos x: x̄ −= ȳ·sin x.
    cos_vjp => |x, d| -(d * x.sin());
    /// y = asin x: x̄ += ȳ/√(1 − x²).
    asin_vjp => |x, d| d / (T::one() - x * x).sqrt();
    /// y = acos x: x̄ −= ȳ/√(1 − x²).
    acos_vjp => |x, d| -(d / (T::one() - x * x).sqrt());
    /// y = atan x: x̄ += ȳ/(1 + x²).
    atan_vjp => |x, d| d / (T::one() + x * x);
    /// y = sinh x: x̄ += ȳ·cosh x.
    sinh_vjp => |x, d| d * x.cosh();
    /// y = cosh x: x̄ += ȳ·sinh x.
    cosh_vjp => |x, d| d * x.sinh();
    /// y = asinh x: x̄ += ȳ/√(x² + 1).
    asinh_vjp => |x, d| d / (x * x + T::one()).sqrt();
    /// y = acosh x: x̄ += ȳ/√(x² − 1).
    acosh_vjp => |x, d| d / (x * x - T::one()).sqrt();
    /// y = atanh x: x̄ += ȳ/(1 − x²).
    atanh_vjp => |x, d| d / (T::one() - x * x);
    /// y = ln x: x̄ += ȳ/x.
    ln_vjp => |x, d| d / x;
    /// y = ln(1 + x): x̄ += ȳ/(1 + x).
    ln_1p_vjp => |x, d| d / (T::one() + x);
    /// y = log₁₀ x: x̄ += ȳ/(x·ln 10).
    log10_vjp => |x, d| d / (x * T::LN_10());
    /// y = log₂ x: x̄ += ȳ/(x·ln 2).
    log2_vjp => |x, d| d / (x * T::LN_2());
    /// y = |x|: x̄ += ȳ·sign(x), with sign(0) = 0.
    abs_vjp => |x, d| if x > T::zero() { d } else if x < T::zero() { -d } else { T::zero() };
}

unary_rules! { reads y:
    /// y = tan x: x̄ += ȳ·(1 + y²).
    tan_vjp => |y, d| d * (T::one() + y * y);
    /// y = eˣ: x̄ += ȳ·y.
    exp_vjp => |y, d| d * y;
    /// y = 2ˣ: x̄ += ȳ·y·ln 2.
    exp2_vjp => |y, d| d * y * T::LN_2();
    /// y = eˣ − 1: x̄ += ȳ·(y + 1).
    exp_m1_vjp => |y, d| d * (y + T::one());
    /// y = √x: x̄ += ȳ/(2y).
    sqrt_vjp => |y, d| d / (T::two() * y);
    /// y = ∛x: x̄ += ȳ/(3y²).
    cbrt_vjp => |y, d| d / (T::constant(3.0) * y * y);
    /// y = 1/x: x̄ −= ȳ·y².
    recip_vjp => |y, d| -(d * y * y);
}

unary_rules! { reads nothing:
    /// y = x·180/π: x̄ += ȳ·180/π.
    to_degrees_vjp => |d| d * (T::constant(180.0) / T::PI());
    /// y = x·π/180: x̄ += ȳ·π/180.
    to_radians_vjp => |d| d * (T::PI() / T::constant(180.0));
    /// y = x − trunc x: x̄ += ȳ (almost everywhere).
    fract_vjp => |d| d;
    /// y = x (a copy, or `*x` of a reference): x̄ += ȳ.
    identity_vjp => |d| d;
    /// y = a % b = a − b·trunc(a/b): ā += ȳ (almost everywhere).
    rem_vjp_lhs => |d| d;
    /// y = a·b + c (`a.mul_add(b, c)`): c̄ += ȳ.
    mul_add_vjp_b => |d| d;
}

/// Two-argument rules whose derivative reads two values `$a`, `$b` (arguments or the
/// output, as the rule table says). Each accumulates into `d_arg`.
macro_rules! binary_rules {
    ($($(#[$doc:meta])* $name:ident => |$a:ident, $b:ident, $d:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[inline(always)]
        pub fn $name<T: Real>(d_arg: &mut T, $a: &T, $b: &T, $d: &T) {
            let ($a, $b, $d) = (*$a, *$b, *$d);
            *d_arg += $body;
        }
    )*};
}

/// Two-argument rules whose derivative reads one value.
macro_rules! reads_one {
    ($($(#[$doc:meta])* $name:ident => |$a:ident, $d:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[inline(always)]
        pub fn $name<T: Real>(d_arg: &mut T, $a: &T, $d: &T) {
            let ($a, $d) = (*$a, *$d);
            *d_arg += $body;
        }
    )*};
}

reads_one! {
    /// y = a·b + c (`a.mul_add(b, c)`): ā += ȳ·b.
    mul_add_vjp_self => |b, d| d * b;
    /// y = a·b + c (`a.mul_add(b, c)`): b̄ += ȳ·a.
    mul_add_vjp_a => |a, d| d * a;
}

binary_rules! {
    /// y = a % b = a − b·trunc(a/b): b̄ −= ȳ·trunc(a/b) (almost everywhere).
    rem_vjp_rhs => |a, b, d| -(d * (a / b).trunc());
    /// y = xⁿ: x̄ += ȳ·n·xⁿ⁻¹ (0 for n = 0, where y = 1 is constant, even at x = 0).
    powf_vjp_self => |x, n, d| if n == T::zero() { T::zero() } else { d * n * x.powf(n - T::one()) };
    /// y = xⁿ: n̄ += ȳ·y·ln x (0 where y = 0 or x = 0).
    powf_vjp_n => |x, y, d| if y == T::zero() || x == T::zero() { T::zero() } else { d * y * x.ln() };
    /// y = log_b x = ln x / ln b: x̄ += ȳ/(x·ln b).
    log_vjp_self => |x, b, d| d / (x * b.ln());
    /// y = log_b x = ln x / ln b: b̄ −= ȳ·y/(b·ln b).
    log_vjp_base => |b, y, d| -(d * y / (b * b.ln()));
    /// y = atan2(a, b) (a = self, b = other): ā += ȳ·b/(a² + b²).
    atan2_vjp_self => |a, b, d| d * b / (a * a + b * b);
    /// y = atan2(a, b) (a = self, b = other): b̄ −= ȳ·a/(a² + b²).
    atan2_vjp_other => |a, b, d| -(d * a / (a * a + b * b));
    /// y = √(a² + b²): ā += ȳ·a/y (0 at the origin).
    hypot_vjp_self => |a, y, d| if y == T::zero() { T::zero() } else { d * a / y };
    /// y = √(a² + b²): b̄ += ȳ·b/y (0 at the origin).
    hypot_vjp_other => |b, y, d| if y == T::zero() { T::zero() } else { d * b / y };
    /// y = max(a, b): ā += ȳ where a > b, ȳ/2 at a tie.
    max_vjp_self => |a, b, d| extremum_share(a, b, true, d);
    /// y = max(a, b): b̄ += ȳ where b > a, ȳ/2 at a tie.
    max_vjp_other => |a, b, d| extremum_share(b, a, true, d);
    /// y = min(a, b): ā += ȳ where a < b, ȳ/2 at a tie.
    min_vjp_self => |a, b, d| extremum_share(a, b, false, d);
    /// y = min(a, b): b̄ += ȳ where b < a, ȳ/2 at a tie.
    min_vjp_other => |a, b, d| extremum_share(b, a, false, d);
}

/// y = tanh x: x̄ += ȳ·(1 − y²). Reads `y`. Also elementwise, for
/// [`nn::tanh`](crate::nn::tanh) of a matrix (then `d_x`, `y`, `d_y` are matrices of the
/// same type).
#[inline(always)]
pub fn tanh_vjp<G: ElementwiseAdjoint>(d_x: &mut G, y: &G, d_y: &G) {
    d_x.accumulate_elementwise(y, d_y, |y, d| {
        d * (<G::Elem as num_traits::One>::one() - y * y)
    });
}

/// The share of `d` owed to `mine` in `max(mine, theirs)` (`larger`) or `min(..)`: all of
/// it when `mine` is the result, none when `theirs` is, half at a tie (the adjoint is split
/// evenly). A NaN is never the result (`f64::max(NaN, b)` is `b`), so the derivative
/// follows the value.
#[inline(always)]
fn extremum_share<T: Real>(mine: T, theirs: T, larger: bool, d: T) -> T {
    if mine.is_nan() {
        return T::zero();
    }
    if theirs.is_nan() {
        return d;
    }
    let wins = if larger { mine > theirs } else { mine < theirs };
    if wins {
        d
    } else if mine == theirs {
        d / T::two()
    } else {
        T::zero()
    }
}

/// y = xⁿ with an integer n: x̄ += ȳ·n·xⁿ⁻¹ (n is not differentiable).
#[inline(always)]
pub fn powi_vjp<T: Real>(d_x: &mut T, x: &T, n: &i32, d_y: &T) {
    let n = *n;
    if n == 0 {
        return; // y = 1 is constant (and n·xⁿ⁻¹ would be 0·∞ at x = 0)
    }
    let n_t = T::from(n).unwrap_or_else(T::nan);
    *d_x += *d_y * n_t * x.powi(n.wrapping_sub(1));
}

/// y = clamp(x, lo, hi): x̄ += ȳ inside (lo, hi); at x = lo or x = hi the adjoint is split
/// evenly with the bound it ties.
#[inline(always)]
pub fn clamp_vjp_self<T: Real>(d_x: &mut T, x: &T, lo: &T, hi: &T, d_y: &T) {
    let (x, lo, hi, d) = (*x, *lo, *hi, *d_y);
    *d_x += if x.is_nan() || (x > lo && x < hi) {
        d
    } else if x == lo && x == hi {
        d / T::constant(3.0)
    } else if x == lo || x == hi {
        d / T::two()
    } else {
        T::zero()
    };
}

/// y = clamp(x, lo, hi): lō += ȳ where x < lo, ȳ/2 where x = lo (ȳ/3 where x = lo = hi).
#[inline(always)]
pub fn clamp_vjp_min<T: Real>(d_lo: &mut T, x: &T, lo: &T, hi: &T, d_y: &T) {
    *d_lo += if x.is_nan() {
        T::zero() // the result is x (NaN): the derivative follows it
    } else if *x == *lo && *x == *hi {
        *d_y / T::constant(3.0)
    } else {
        extremum_share(*lo, *x, true, *d_y)
    };
}

/// y = clamp(x, lo, hi): hī += ȳ where x > hi, ȳ/2 where x = hi (ȳ/3 where x = lo = hi).
#[inline(always)]
pub fn clamp_vjp_max<T: Real>(d_hi: &mut T, x: &T, lo: &T, hi: &T, d_y: &T) {
    *d_hi += if x.is_nan() {
        T::zero()
    } else if *x == *lo && *x == *hi {
        *d_y / T::constant(3.0)
    } else {
        extremum_share(*hi, *x, false, *d_y)
    };
}

/// y = x as U (a float-to-float conversion, `f32` ↔ `f64`): x̄ += ȳ converted back.
#[inline(always)]
pub fn cast_vjp<T: Real, U: Real>(d_x: &mut T, d_y: &U) {
    *d_x += T::from(*d_y).unwrap_or_else(T::nan);
}
