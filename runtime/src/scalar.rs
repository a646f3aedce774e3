//! Rules of the float methods of `f32`/`f64` (and of the scalar operators, re-exported).
//!
//! Each primitive's derivative is written once, in `scalar_rules!`, as the linear map
//! `|d| ..` that multiplies by ∂y/∂arg, one per differentiable argument. For a scalar
//! function that map is its own transpose, so the one line gives both helpers of the
//! argument (the crate's helper convention):
//!
//! - the VJP helper `{op}_vjp` / `{op}_vjp_{arg}`: `d_arg += map(ȳ)`;
//! - the forward helper `{op}_jvp` / `{op}_jvp_{arg}`, with the same reads followed by the
//!   argument's tangent: returns `map(ȧrg)`, that argument's contribution to ẏ. Forward
//!   mode (`f_jvp`) sums the contributions of the active arguments.
//!
//! Both read exactly the values the line lists, so ⟨jvp(ṫ), w⟩ = ⟨ṫ, vjp(w)⟩ holds by
//! construction (the tests check it per helper). The operators (`+ - * /`, in
//! [`ops`](crate::ops)) have both kinds of helper there: they serve matrices as well.
//!
//! Conventions where the derivative is undefined:
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
    add_jvp_lhs, add_jvp_rhs, add_vjp_lhs, add_vjp_rhs, div_jvp_lhs, div_jvp_rhs, div_vjp_lhs,
    div_vjp_rhs, mul_jvp_lhs, mul_jvp_rhs, mul_vjp_lhs, mul_vjp_lhs_first, mul_vjp_rhs,
    mul_vjp_rhs_first, neg_jvp, neg_vjp, sub_jvp_lhs, sub_jvp_rhs, sub_vjp_lhs, sub_vjp_rhs,
};

/// The derivative rules of scalar primitives, each written once (see the module docs).
///
/// ```text
/// /// doc of the primitive
/// op(x, b; n: i32) -> y = <primal, for tests> => {
///     /// doc of the helpers
///     op_vjp_self / op_jvp_self(x, b) => |d| <d·∂y/∂x, reading x and b>;
///     op_vjp_b / op_jvp_b(b, y) => |d| <d·∂y/∂b, reading b and y>;
/// }
/// ```
///
/// One line per differentiable argument, in order; data arguments (`n: i32`) follow the
/// `;` and carry no derivative. A line names its two helpers and the values they read, in
/// the order of the macro's rule table (`macros/src/rules.rs`): the VJP helper
/// `op_vjp_b(d_b: &mut T, reads.., d_y: &T)` adds `map(ȳ)` to `d_b`, the forward helper
/// `op_jvp_b(reads.., t_b: &T) -> T` returns `map(ḃ)`, b's contribution to ẏ. `@elementwise`
/// makes both generic over [`ElementwiseAdjoint`] (scalars and, elementwise, matrices).
/// Besides the helpers, each rule adds an `f64` entry to [`cases::CASES`] that the tests
/// check against central differences and with the dot-product identity.
macro_rules! scalar_rules {
    (@ty) => { T };
    (@ty $t:ty) => { $t };
    (@helpers [] $($(#[$doc:meta])* $vjp:ident / $jvp:ident($($r:ident $(: $rt:ty)?),*) => |$d:ident| $body:expr;)+) => {
        $(scalar_rules!(@helper ; $(#[$doc])* $vjp / $jvp($($r $(: $rt)?),*) => |$d| $body);)+
    };
    (@helpers [elementwise] $($(#[$doc:meta])* $vjp:ident / $jvp:ident / $scalar:ident / $first:ident($($r:ident $(: $rt:ty)?),*) => |$d:ident| $body:expr;)+) => {
        $(scalar_rules!(@helper elementwise; $(#[$doc])* $vjp / $jvp / $scalar / $first($($r $(: $rt)?),*) => |$d| $body);)+
    };
    (@helper ; $(#[$doc:meta])* $vjp:ident / $jvp:ident($($r:ident $(: $rt:ty)?),*) => |$d:ident| $body:expr) => {
        $(#[$doc])*
        #[inline(always)]
        pub fn $vjp<T: Real>(d_arg: &mut T, $($r: &scalar_rules!(@ty $($rt)?),)* d_y: &T) {
            $(let $r = *$r;)*
            let $d = *d_y;
            *d_arg += $body;
        }

        $(#[$doc])*
        ///
        /// Forward mode: returns this argument's contribution to ẏ, the same linear map
        /// applied to its tangent.
        #[inline(always)]
        pub fn $jvp<T: Real>($($r: &scalar_rules!(@ty $($rt)?),)* t_arg: &T) -> T {
            $(let $r = *$r;)*
            let $d = *t_arg;
            $body
        }
    };
    (@helper elementwise; $(#[$doc:meta])* $vjp:ident / $jvp:ident / $scalar:ident / $first:ident($r:ident) => |$d:ident| $body:expr) => {
        $(#[$doc])*
        ///
        /// Forward mode on one scalar of any [`Real`] type (the elementwise helper needs
        /// [`ElementwiseAdjoint`], which a generic `T: Real` does not promise).
        #[inline(always)]
        pub fn $scalar<T: Real>($r: &T, t_arg: &T) -> T {
            let $r = *$r;
            let $d = *t_arg;
            $body
        }

        $(#[$doc])*
        ///
        /// Elementwise for matrices too (then `d_x`, the value read and `d_y` are matrices of
        /// the same type).
        #[inline(always)]
        pub fn $vjp<G: ElementwiseAdjoint>(d_arg: &mut G, $r: &G, d_y: &G) {
            #[inline(always)]
            fn element<T: Real>($r: T, $d: T) -> T {
                $body
            }
            d_arg.accumulate_elementwise($r, d_y, element::<G::Elem>);
        }

        /// The first contribution to x̄, `f(ȳ)` written once instead of added into zeros: the
        /// forward helper applied to ȳ (an elementwise rule is its own transpose).
        pub use self::$jvp as $first;

        $(#[$doc])*
        ///
        /// Forward mode: returns x's contribution to ẏ, elementwise for matrices too.
        #[inline(always)]
        pub fn $jvp<G: ElementwiseAdjoint + Clone>($r: &G, t_arg: &G) -> G {
            #[inline(always)]
            fn element<T: Real>($r: T, $d: T) -> T {
                $body
            }
            G::map_elementwise($r, t_arg, element::<G::Elem>)
        }
    };
    ($(
        $(#[$doc:meta])*
        $(@$kind:ident)? $op:ident($($x:ident),+ $(; $($n:ident: $nt:ty),+)?) -> $y:ident = $value:expr => {
            $( $(#[$vdoc:meta])* $vjp:ident / $jvp:ident $(/ $scalar:ident / $first:ident)? ($($r:ident $(: $rt:ty)?),*) => |$d:ident| $body:expr; )+
        }
    )*) => {
        $(
            scalar_rules!(@helpers [$($kind)?] $($(#[$vdoc])* $vjp / $jvp $(/ $scalar / $first)? ($($r $(: $rt)?),*) => |$d| $body;)+);
        )*

        /// Every rule of this module in `f64`, as uniform function pointers, for tests.
        #[doc(hidden)]
        pub mod cases {
            use super::*;
            // The float methods of the primals without `std` (inherent ones win with it).
            #[allow(unused_imports)]
            use num_traits::Float;

            /// One scalar rule: its primal, its forward helpers and its VJP helpers.
            #[derive(Debug, Clone, Copy)]
            pub struct Case {
                /// The primitive's name.
                pub name: &'static str,
                /// How many arguments carry a derivative (they come first).
                pub differentiable: usize,
                /// How many arguments in all (data arguments last).
                pub arity: usize,
                /// y = f(args) (`NaN` when `args` has the wrong length).
                pub value: fn(&[f64]) -> f64,
                /// `jvp(args, i, ṫ)`: argument `i`'s contribution ∂y/∂argᵢ·ṫ, through its
                /// forward helper (`NaN` for a bad `i`).
                pub jvp: fn(&[f64], usize, f64) -> f64,
                /// `adjoints[i] += ȳ·∂y/∂argᵢ`, through the VJP helpers.
                pub vjp: fn(&[f64], f64, &mut [f64]),
            }

            /// A data argument, passed as an `f64` by the tests.
            pub trait CaseArg {
                /// The value nearest to `v`.
                fn from_case(v: f64) -> Self;
            }

            impl CaseArg for i32 {
                fn from_case(v: f64) -> i32 {
                    v as i32
                }
            }

            /// The rules, in the order they are written.
            pub static CASES: &[Case] = &[$(
                Case {
                    name: stringify!($op),
                    differentiable: [$(stringify!($x)),+].len(),
                    arity: [$(stringify!($x)),+ $($(, stringify!($n))+)?].len(),
                    value: |args| {
                        let &[$($x,)+ $($($n,)+)?] = args else { return f64::NAN };
                        $($(let $n = <$nt as CaseArg>::from_case($n);)+)?
                        $value
                    },
                    jvp: |args, i, tangent| {
                        let &[$($x,)+ $($($n,)+)?] = args else { return f64::NAN };
                        $($(let $n = <$nt as CaseArg>::from_case($n);)+)?
                        #[allow(unused_variables)]
                        let $y: f64 = $value;
                        let helpers: &[&dyn Fn(f64) -> f64] = &[$(&|t| $jvp($(&$r,)* &t)),+];
                        helpers.get(i).map_or(f64::NAN, |helper| helper(tangent))
                    },
                    vjp: |args, d_y, adjoints| {
                        let &[$($x,)+ $($($n,)+)?] = args else { return };
                        $($(let $n = <$nt as CaseArg>::from_case($n);)+)?
                        #[allow(unused_variables)]
                        let $y: f64 = $value;
                        let mut slots = adjoints.iter_mut();
                        $(if let Some(slot) = slots.next() {
                            $vjp(slot, $(&$r,)* &d_y);
                        })+
                    },
                },
            )*];
        }
    };
}

scalar_rules! {
    /// y = sin x.
    sin(x) -> y = x.sin() => {
        /// y = sin x: x̄ += ȳ·cos x.
        sin_vjp / sin_jvp(x) => |d| d * x.cos();
    }
    /// y = cos x.
    cos(x) -> y = x.cos() => {
        /// y = cos x: x̄ −= ȳ·sin x.
        cos_vjp / cos_jvp(x) => |d| -(d * x.sin());
    }
    /// y = tan x.
    tan(x) -> y = x.tan() => {
        /// y = tan x: x̄ += ȳ·(1 + y²).
        tan_vjp / tan_jvp(y) => |d| d * (T::one() + y * y);
    }
    /// y = asin x.
    asin(x) -> y = x.asin() => {
        /// y = asin x: x̄ += ȳ/√(1 − x²).
        asin_vjp / asin_jvp(x) => |d| d / (T::one() - x * x).sqrt();
    }
    /// y = acos x.
    acos(x) -> y = x.acos() => {
        /// y = acos x: x̄ −= ȳ/√(1 − x²).
        acos_vjp / acos_jvp(x) => |d| -(d / (T::one() - x * x).sqrt());
    }
    /// y = atan x.
    atan(x) -> y = x.atan() => {
        /// y = atan x: x̄ += ȳ/(1 + x²).
        atan_vjp / atan_jvp(x) => |d| d / (T::one() + x * x);
    }
    /// y = sinh x.
    sinh(x) -> y = x.sinh() => {
        /// y = sinh x: x̄ += ȳ·cosh x.
        sinh_vjp / sinh_jvp(x) => |d| d * x.cosh();
    }
    /// y = cosh x.
    cosh(x) -> y = x.cosh() => {
        /// y = cosh x: x̄ += ȳ·sinh x.
        cosh_vjp / cosh_jvp(x) => |d| d * x.sinh();
    }
    /// y = tanh x, also elementwise for [`nn::tanh`](crate::nn::tanh) of a matrix.
    @elementwise tanh(x) -> y = x.tanh() => {
        /// y = tanh x: x̄ += ȳ·(1 − y²). Reads `y`.
        tanh_vjp / tanh_jvp / tanh_jvp_scalar / tanh_vjp_first(y) => |d| d * (T::one() - y * y);
    }
    /// y = asinh x.
    asinh(x) -> y = x.asinh() => {
        /// y = asinh x: x̄ += ȳ/√(x² + 1).
        asinh_vjp / asinh_jvp(x) => |d| d / (x * x + T::one()).sqrt();
    }
    /// y = acosh x.
    acosh(x) -> y = x.acosh() => {
        /// y = acosh x: x̄ += ȳ/√(x² − 1).
        acosh_vjp / acosh_jvp(x) => |d| d / (x * x - T::one()).sqrt();
    }
    /// y = atanh x.
    atanh(x) -> y = x.atanh() => {
        /// y = atanh x: x̄ += ȳ/(1 − x²).
        atanh_vjp / atanh_jvp(x) => |d| d / (T::one() - x * x);
    }
    /// y = eˣ.
    exp(x) -> y = x.exp() => {
        /// y = eˣ: x̄ += ȳ·y.
        exp_vjp / exp_jvp(y) => |d| d * y;
    }
    /// y = 2ˣ.
    exp2(x) -> y = x.exp2() => {
        /// y = 2ˣ: x̄ += ȳ·y·ln 2.
        exp2_vjp / exp2_jvp(y) => |d| d * y * T::LN_2();
    }
    /// y = eˣ − 1.
    exp_m1(x) -> y = x.exp_m1() => {
        /// y = eˣ − 1: x̄ += ȳ·(y + 1).
        exp_m1_vjp / exp_m1_jvp(y) => |d| d * (y + T::one());
    }
    /// y = ln x.
    ln(x) -> y = x.ln() => {
        /// y = ln x: x̄ += ȳ/x.
        ln_vjp / ln_jvp(x) => |d| d / x;
    }
    /// y = ln(1 + x).
    ln_1p(x) -> y = x.ln_1p() => {
        /// y = ln(1 + x): x̄ += ȳ/(1 + x).
        ln_1p_vjp / ln_1p_jvp(x) => |d| d / (T::one() + x);
    }
    /// y = log₁₀ x.
    log10(x) -> y = x.log10() => {
        /// y = log₁₀ x: x̄ += ȳ/(x·ln 10).
        log10_vjp / log10_jvp(x) => |d| d / (x * T::LN_10());
    }
    /// y = log₂ x.
    log2(x) -> y = x.log2() => {
        /// y = log₂ x: x̄ += ȳ/(x·ln 2).
        log2_vjp / log2_jvp(x) => |d| d / (x * T::LN_2());
    }
    /// y = √x.
    sqrt(x) -> y = x.sqrt() => {
        /// y = √x: x̄ += ȳ/(2y).
        sqrt_vjp / sqrt_jvp(y) => |d| d / (T::two() * y);
    }
    /// y = ∛x.
    cbrt(x) -> y = x.cbrt() => {
        /// y = ∛x: x̄ += ȳ/(3y²).
        cbrt_vjp / cbrt_jvp(y) => |d| d / (T::constant(3.0) * y * y);
    }
    /// y = 1/x.
    recip(x) -> y = x.recip() => {
        /// y = 1/x: x̄ −= ȳ·y².
        recip_vjp / recip_jvp(y) => |d| -(d * y * y);
    }
    /// y = |x|.
    abs(x) -> y = x.abs() => {
        /// y = |x|: x̄ += ȳ·sign(x), with sign(0) = 0.
        abs_vjp / abs_jvp(x) => |d| if x > T::zero() { d } else if x < T::zero() { -d } else { T::zero() };
    }
    /// y = erf x ([`special::erf`](crate::special::erf)).
    erf(x) -> y = crate::special::erf(x) => {
        /// y = erf x: x̄ += ȳ·(2/√π)·e^(−x²).
        erf_vjp / erf_jvp(x) => |d| d * T::FRAC_2_SQRT_PI() * (-(x * x)).exp();
    }
    /// y = erfc x = 1 − erf x ([`special::erfc`](crate::special::erfc)).
    erfc(x) -> y = crate::special::erfc(x) => {
        /// y = erfc x: x̄ −= ȳ·(2/√π)·e^(−x²).
        erfc_vjp / erfc_jvp(x) => |d| -(d * T::FRAC_2_SQRT_PI() * (-(x * x)).exp());
    }
    /// y = ln |Γ(x)| ([`special::ln_gamma`](crate::special::ln_gamma)).
    ln_gamma(x) -> y = crate::special::ln_gamma(x) => {
        /// y = ln |Γ(x)|: x̄ += ȳ·ψ(x).
        ln_gamma_vjp / ln_gamma_jvp(x) => |d| d * crate::special::digamma(x);
    }
    /// y = Γ(x) ([`special::gamma`](crate::special::gamma)).
    gamma(x) -> y = crate::special::gamma(x) => {
        /// y = Γ(x): x̄ += ȳ·Γ(x)·ψ(x) = ȳ·y·ψ(x).
        gamma_vjp / gamma_jvp(x, y) => |d| d * y * crate::special::digamma(x);
    }
    /// y = ψ(x) ([`special::digamma`](crate::special::digamma)).
    digamma(x) -> y = crate::special::digamma(x) => {
        /// y = ψ(x): x̄ += ȳ·ψ′(x).
        digamma_vjp / digamma_jvp(x) => |d| d * crate::special::trigamma(x);
    }
    /// y = sinc x = sin x / x, 1 at 0 ([`special::sinc`](crate::special::sinc)).
    sinc(x) -> y = crate::special::sinc(x) => {
        /// y = sinc x: x̄ += ȳ·(x cos x − sin x)/x² (0 at x = 0).
        sinc_vjp / sinc_jvp(x) => |d| d * crate::special::sinc_derivative(x);
    }
    /// y = x·180/π.
    to_degrees(x) -> y = x.to_degrees() => {
        /// y = x·180/π: x̄ += ȳ·180/π.
        to_degrees_vjp / to_degrees_jvp() => |d| d * (T::constant(180.0) / T::PI());
    }
    /// y = x·π/180.
    to_radians(x) -> y = x.to_radians() => {
        /// y = x·π/180: x̄ += ȳ·π/180.
        to_radians_vjp / to_radians_jvp() => |d| d * (T::PI() / T::constant(180.0));
    }
    /// y = x − trunc x.
    fract(x) -> y = x.fract() => {
        /// y = x − trunc x: x̄ += ȳ (almost everywhere).
        fract_vjp / fract_jvp() => |d| d;
    }
    /// y = x (a copy, or `*x` of a reference).
    identity(x) -> y = x => {
        /// y = x (a copy, or `*x` of a reference): x̄ += ȳ.
        identity_vjp / identity_jvp() => |d| d;
    }
    /// y = a % b = a − b·trunc(a/b).
    rem(a, b) -> y = a % b => {
        /// y = a % b = a − b·trunc(a/b): ā += ȳ (almost everywhere).
        rem_vjp_lhs / rem_jvp_lhs() => |d| d;
        /// y = a % b = a − b·trunc(a/b): b̄ −= ȳ·trunc(a/b) (almost everywhere).
        rem_vjp_rhs / rem_jvp_rhs(a, b) => |d| -(d * (a / b).trunc());
    }
    /// y = a·b + c (`a.mul_add(b, c)`).
    mul_add(a, b, c) -> y = a.mul_add(b, c) => {
        /// y = a·b + c (`a.mul_add(b, c)`): ā += ȳ·b.
        mul_add_vjp_self / mul_add_jvp_self(b) => |d| d * b;
        /// y = a·b + c (`a.mul_add(b, c)`): b̄ += ȳ·a.
        mul_add_vjp_a / mul_add_jvp_a(a) => |d| d * a;
        /// y = a·b + c (`a.mul_add(b, c)`): c̄ += ȳ.
        mul_add_vjp_b / mul_add_jvp_b() => |d| d;
    }
    /// y = xⁿ with an integer n (n is not differentiable).
    powi(x; n: i32) -> y = x.powi(n) => {
        /// y = xⁿ with an integer n: x̄ += ȳ·n·xⁿ⁻¹ (0 for n = 0, where y = 1 is constant,
        /// and n·xⁿ⁻¹ would be 0·∞ at x = 0).
        powi_vjp / powi_jvp(x, n: i32) => |d| if n == 0 {
            T::zero()
        } else {
            d * T::from(n).unwrap_or_else(T::nan) * x.powi(n.wrapping_sub(1))
        };
    }
    /// y = xⁿ.
    powf(x, n) -> y = x.powf(n) => {
        /// y = xⁿ: x̄ += ȳ·n·xⁿ⁻¹ (0 for n = 0, where y = 1 is constant, even at x = 0).
        powf_vjp_self / powf_jvp_self(x, n) => |d| if n == T::zero() { T::zero() } else { d * n * x.powf(n - T::one()) };
        /// y = xⁿ: n̄ += ȳ·y·ln x (0 where y = 0 or x = 0).
        powf_vjp_n / powf_jvp_n(x, y) => |d| if y == T::zero() || x == T::zero() { T::zero() } else { d * y * x.ln() };
    }
    /// y = log_b x = ln x / ln b.
    log(x, b) -> y = x.log(b) => {
        /// y = log_b x = ln x / ln b: x̄ += ȳ/(x·ln b).
        log_vjp_self / log_jvp_self(x, b) => |d| d / (x * b.ln());
        /// y = log_b x = ln x / ln b: b̄ −= ȳ·y/(b·ln b).
        log_vjp_base / log_jvp_base(b, y) => |d| -(d * y / (b * b.ln()));
    }
    /// y = atan2(a, b) (a = self, b = other).
    atan2(a, b) -> y = a.atan2(b) => {
        /// y = atan2(a, b) (a = self, b = other): ā += ȳ·b/(a² + b²).
        atan2_vjp_self / atan2_jvp_self(a, b) => |d| d * b / (a * a + b * b);
        /// y = atan2(a, b) (a = self, b = other): b̄ −= ȳ·a/(a² + b²).
        atan2_vjp_other / atan2_jvp_other(a, b) => |d| -(d * a / (a * a + b * b));
    }
    /// y = √(a² + b²).
    hypot(a, b) -> y = a.hypot(b) => {
        /// y = √(a² + b²): ā += ȳ·a/y (0 at the origin).
        hypot_vjp_self / hypot_jvp_self(a, y) => |d| if y == T::zero() { T::zero() } else { d * a / y };
        /// y = √(a² + b²): b̄ += ȳ·b/y (0 at the origin).
        hypot_vjp_other / hypot_jvp_other(b, y) => |d| if y == T::zero() { T::zero() } else { d * b / y };
    }
    /// y = max(a, b).
    max(a, b) -> y = a.max(b) => {
        /// y = max(a, b): ā += ȳ where a > b, ȳ/2 at a tie.
        max_vjp_self / max_jvp_self(a, b) => |d| extremum_share(a, b, true, d);
        /// y = max(a, b): b̄ += ȳ where b > a, ȳ/2 at a tie.
        max_vjp_other / max_jvp_other(a, b) => |d| extremum_share(b, a, true, d);
    }
    /// y = min(a, b).
    min(a, b) -> y = a.min(b) => {
        /// y = min(a, b): ā += ȳ where a < b, ȳ/2 at a tie.
        min_vjp_self / min_jvp_self(a, b) => |d| extremum_share(a, b, false, d);
        /// y = min(a, b): b̄ += ȳ where b < a, ȳ/2 at a tie.
        min_vjp_other / min_jvp_other(a, b) => |d| extremum_share(b, a, false, d);
    }
    /// y = clamp(x, lo, hi).
    clamp(x, lo, hi) -> y = x.clamp(lo, hi) => {
        /// y = clamp(x, lo, hi): x̄ += ȳ inside (lo, hi); at x = lo or x = hi the adjoint is
        /// split evenly with the bound it ties.
        clamp_vjp_self / clamp_jvp_self(x, lo, hi) => |d| if x.is_nan() || (x > lo && x < hi) {
            d
        } else if x == lo && x == hi {
            d / T::constant(3.0)
        } else if x == lo || x == hi {
            d / T::two()
        } else {
            T::zero()
        };
        /// y = clamp(x, lo, hi): lō += ȳ where x < lo, ȳ/2 where x = lo (ȳ/3 where
        /// x = lo = hi).
        clamp_vjp_min / clamp_jvp_min(x, lo, hi) => |d| if x.is_nan() {
            T::zero() // the result is x (NaN): the derivative follows it
        } else if x == lo && x == hi {
            d / T::constant(3.0)
        } else {
            extremum_share(lo, x, true, d)
        };
        /// y = clamp(x, lo, hi): hī += ȳ where x > hi, ȳ/2 where x = hi (ȳ/3 where
        /// x = lo = hi).
        clamp_vjp_max / clamp_jvp_max(x, lo, hi) => |d| if x.is_nan() {
            T::zero()
        } else if x == lo && x == hi {
            d / T::constant(3.0)
        } else {
            extremum_share(hi, x, false, d)
        };
    }
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

/// The adjoint (or tangent) of the `x` of `x as U`: a float's converts, an integer's (`()`,
/// see [`Differentiable`](crate::Differentiable)) is nothing, since `k as f64` has no
/// derivative with respect to the integer `k`.
pub trait CastAdjoint<U>: Sized {
    /// `self += ȳ` converted back.
    fn accumulate_cast(&mut self, d_y: &U);
    /// ẏ: `self` converted.
    fn cast_tangent(&self) -> U;
}

impl<T: Real, U: Real> CastAdjoint<U> for T {
    #[inline(always)]
    fn accumulate_cast(&mut self, d_y: &U) {
        *self += T::from(*d_y).unwrap_or_else(T::nan);
    }
    #[inline(always)]
    fn cast_tangent(&self) -> U {
        U::from(*self).unwrap_or_else(U::nan)
    }
}

impl<U: Real> CastAdjoint<U> for () {
    #[inline(always)]
    fn accumulate_cast(&mut self, _: &U) {}
    #[inline(always)]
    fn cast_tangent(&self) -> U {
        U::zero()
    }
}

/// y = x as U (a float-to-float conversion, `f32` ↔ `f64`): x̄ += ȳ converted back; an
/// integer `x` gets nothing.
#[inline(always)]
pub fn cast_vjp<T: CastAdjoint<U>, U: Real>(d_x: &mut T, d_y: &U) {
    d_x.accumulate_cast(d_y);
}

/// y = x as U, forward mode: ẏ = ẋ converted, zero for an integer `x` (`f64::from(x)` is
/// differentiated as this rule).
#[inline(always)]
pub fn cast_jvp<T: CastAdjoint<U>, U: Real>(t_x: &T) -> U {
    t_x.cast_tangent()
}

/// [`cast_jvp`] typed by the result `y` (`f64::from(k)`, whose type the macro does not write).
#[inline(always)]
pub fn cast_jvp_like<T: CastAdjoint<U>, U: Real>(t_x: &T, _y: &U) -> U {
    t_x.cast_tangent()
}
