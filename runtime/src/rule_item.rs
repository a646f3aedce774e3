//! The check that a call the macro takes for a rule calls the runtime's own function.
//!
//! `#[differentiate]` finds rules of calls by their path (`nn::sigmoid(z)`, `f64::sin(x)`,
//! `special::erf(x)`), and cannot see the `use` items that say what the path names. So the
//! generated code calls the path as written, through
//! `Is(path, item).tapeless_rule()(args)`, which compiles only when `path` names `item`,
//! the runtime's function: two functions have two distinct types, and [`TapelessRule`] is
//! implemented only for equal ones. A user's own `nn::sigmoid` is a compile error at the
//! call, never a wrong derivative. After inlining, the check costs nothing.

/// A function as the source names it (`F`) and the runtime's function (`R`).
#[derive(Debug, Clone, Copy)]
pub struct Is<F, R>(pub F, pub R);

impl<F, R> Is<F, R> {
    /// The function, once `F` is known to be `R`.
    #[inline(always)]
    pub fn tapeless_rule(self) -> F
    where
        F: TapelessRule<R>,
    {
        self.0
    }
}

/// Implemented for `F: TapelessRule<F>` only: the function named is the runtime's.
#[diagnostic::on_unimplemented(
    message = "this call names `{Self}`, not the tapeless function whose derivative rule #[differentiate] takes it for: `{R}`",
    label = "not tapeless's function",
    note = "#[differentiate] uses tapeless's derivative for a call whose path ends like one of tapeless's functions (`nn::sigmoid`, `special::erf`, `f64::sin`); here the path names another function, which would get a wrong derivative",
    note = "call tapeless's function by its path (`tapeless::nn::sigmoid`), or rename your function or its module: a function of another name marked #[differentiate] is differentiated through its own `_vjp`"
)]
pub trait TapelessRule<R> {}

impl<F> TapelessRule<F> for F {}

/// A call of a function that is neither `#[differentiate]` nor `#[custom_vjp]` on a
/// differentiated value. The caller's generated code calls the callee's `g_vjp` (and
/// `__g_pullback`, `__g_jvp_arguments`), found in the caller's module when `g` is marked;
/// otherwise it finds fallbacks of those names, declared in an enclosing block of the
/// generated function, whose last argument's type must implement `Marked<g>` (`g` a local
/// type named like the function), and nothing does: a compile error at the call.
#[diagnostic::on_unimplemented(
    message = "no derivative of this function is visible here: mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
    label = "called on a value that depends on a differentiated parameter, but no `_vjp` of it is in scope",
    note = "a call of a function on a differentiated value is differentiated through the `_vjp` that #[differentiate] or #[custom_vjp(rule)] on the function generates, looked up in the module that names it (`g_vjp` for `g`, `model::g_vjp` for `model::g`)",
    note = "a marked function defined inside another function's body is not seen by its callers (a function body's items cannot be looked up from generated code): define it at the module's top level"
)]
pub trait Marked<F> {}

/// A call of a method on a field (`p.layer.forward(x)`) on a differentiated value, where
/// the method is not marked `#[differentiate]`. The generated code calls the method's
/// companions (`p.layer.forward_vjp(..)`), the type's own when the method is marked;
/// otherwise methods of the same names of a trait the generated function declares for
/// every type, whose last argument's type must implement `MarkedMethod<m>`, and nothing
/// does: a compile error at the call.
#[diagnostic::on_unimplemented(
    message = "no derivative of this method is visible here: mark it #[differentiate] in an `impl` block marked #[differentiate]",
    label = "called on a value that depends on a differentiated parameter, but the receiver's type has no `_vjp` of this method",
    note = "a method called on a field (`p.layer.forward(x)`) is differentiated through the `forward_vjp` that `#[differentiate] impl Layer {{ #[differentiate] fn forward(&self, ..) .. }}` generates",
    note = "a method of a trait, or one whose name a #[differentiate] block does not mark, has none: mark it, or write it as a free function marked #[differentiate]"
)]
pub trait MarkedMethod<M> {}

/// A call by a bare name of a `libm` function that has a rule when called by its path
/// (`lgamma(a)` after `use libm::lgamma;`), on a differentiated value, where no `lgamma_vjp`
/// is in scope. The macro cannot see `use` items, so it takes the call for a call of the
/// user's own function, as for [`Marked`], whose fallback's bound here is the function's
/// trait of this module, which nothing implements: its message names the function and the
/// path that has the rule (one trait per function, since a message can only name a type
/// parameter by its full path). `macros/src/rules.rs` checks the list against its own.
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub mod libm_names {
    macro_rules! libm_names {
        ($($name:ident => $message:literal,)*) => {
            $(
                #[diagnostic::on_unimplemented(
                    message = $message,
                    label = "called on a value that depends on a differentiated parameter, but no `_vjp` of it is in scope",
                    note = "#[differentiate] cannot see `use` items: it knows `libm`'s functions by their path (`libm::sin(x)`), and takes a bare name for a function of your own, differentiated through the `_vjp` that marking it generates"
                )]
                pub trait $name {}
            )*
        };
    }
    libm_names! {
        acos => "no derivative of `acos` is visible here: if it is `libm::acos`, call it by its path, `libm::acos(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        acosf => "no derivative of `acosf` is visible here: if it is `libm::acosf`, call it by its path, `libm::acosf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        acosh => "no derivative of `acosh` is visible here: if it is `libm::acosh`, call it by its path, `libm::acosh(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        acoshf => "no derivative of `acoshf` is visible here: if it is `libm::acoshf`, call it by its path, `libm::acoshf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        asin => "no derivative of `asin` is visible here: if it is `libm::asin`, call it by its path, `libm::asin(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        asinf => "no derivative of `asinf` is visible here: if it is `libm::asinf`, call it by its path, `libm::asinf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        asinh => "no derivative of `asinh` is visible here: if it is `libm::asinh`, call it by its path, `libm::asinh(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        asinhf => "no derivative of `asinhf` is visible here: if it is `libm::asinhf`, call it by its path, `libm::asinhf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        atan => "no derivative of `atan` is visible here: if it is `libm::atan`, call it by its path, `libm::atan(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        atan2 => "no derivative of `atan2` is visible here: if it is `libm::atan2`, call it by its path, `libm::atan2(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        atan2f => "no derivative of `atan2f` is visible here: if it is `libm::atan2f`, call it by its path, `libm::atan2f(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        atanf => "no derivative of `atanf` is visible here: if it is `libm::atanf`, call it by its path, `libm::atanf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        atanh => "no derivative of `atanh` is visible here: if it is `libm::atanh`, call it by its path, `libm::atanh(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        atanhf => "no derivative of `atanhf` is visible here: if it is `libm::atanhf`, call it by its path, `libm::atanhf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        cbrt => "no derivative of `cbrt` is visible here: if it is `libm::cbrt`, call it by its path, `libm::cbrt(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        cbrtf => "no derivative of `cbrtf` is visible here: if it is `libm::cbrtf`, call it by its path, `libm::cbrtf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        ceil => "no derivative of `ceil` is visible here: if it is `libm::ceil`, call it by its path, `libm::ceil(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        ceilf => "no derivative of `ceilf` is visible here: if it is `libm::ceilf`, call it by its path, `libm::ceilf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        cos => "no derivative of `cos` is visible here: if it is `libm::cos`, call it by its path, `libm::cos(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        cosf => "no derivative of `cosf` is visible here: if it is `libm::cosf`, call it by its path, `libm::cosf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        cosh => "no derivative of `cosh` is visible here: if it is `libm::cosh`, call it by its path, `libm::cosh(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        coshf => "no derivative of `coshf` is visible here: if it is `libm::coshf`, call it by its path, `libm::coshf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        erf => "no derivative of `erf` is visible here: if it is `libm::erf`, call it by its path, `libm::erf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        erfc => "no derivative of `erfc` is visible here: if it is `libm::erfc`, call it by its path, `libm::erfc(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        erfcf => "no derivative of `erfcf` is visible here: if it is `libm::erfcf`, call it by its path, `libm::erfcf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        erff => "no derivative of `erff` is visible here: if it is `libm::erff`, call it by its path, `libm::erff(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        exp => "no derivative of `exp` is visible here: if it is `libm::exp`, call it by its path, `libm::exp(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        exp2 => "no derivative of `exp2` is visible here: if it is `libm::exp2`, call it by its path, `libm::exp2(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        exp2f => "no derivative of `exp2f` is visible here: if it is `libm::exp2f`, call it by its path, `libm::exp2f(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        expf => "no derivative of `expf` is visible here: if it is `libm::expf`, call it by its path, `libm::expf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        expm1 => "no derivative of `expm1` is visible here: if it is `libm::expm1`, call it by its path, `libm::expm1(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        expm1f => "no derivative of `expm1f` is visible here: if it is `libm::expm1f`, call it by its path, `libm::expm1f(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        fabs => "no derivative of `fabs` is visible here: if it is `libm::fabs`, call it by its path, `libm::fabs(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        fabsf => "no derivative of `fabsf` is visible here: if it is `libm::fabsf`, call it by its path, `libm::fabsf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        floor => "no derivative of `floor` is visible here: if it is `libm::floor`, call it by its path, `libm::floor(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        floorf => "no derivative of `floorf` is visible here: if it is `libm::floorf`, call it by its path, `libm::floorf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        fmax => "no derivative of `fmax` is visible here: if it is `libm::fmax`, call it by its path, `libm::fmax(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        fmaxf => "no derivative of `fmaxf` is visible here: if it is `libm::fmaxf`, call it by its path, `libm::fmaxf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        fmin => "no derivative of `fmin` is visible here: if it is `libm::fmin`, call it by its path, `libm::fmin(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        fminf => "no derivative of `fminf` is visible here: if it is `libm::fminf`, call it by its path, `libm::fminf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        hypot => "no derivative of `hypot` is visible here: if it is `libm::hypot`, call it by its path, `libm::hypot(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        hypotf => "no derivative of `hypotf` is visible here: if it is `libm::hypotf`, call it by its path, `libm::hypotf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        lgamma => "no derivative of `lgamma` is visible here: if it is `libm::lgamma`, call it by its path, `libm::lgamma(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        lgammaf => "no derivative of `lgammaf` is visible here: if it is `libm::lgammaf`, call it by its path, `libm::lgammaf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        log => "no derivative of `log` is visible here: if it is `libm::log`, call it by its path, `libm::log(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        log10 => "no derivative of `log10` is visible here: if it is `libm::log10`, call it by its path, `libm::log10(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        log10f => "no derivative of `log10f` is visible here: if it is `libm::log10f`, call it by its path, `libm::log10f(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        log1p => "no derivative of `log1p` is visible here: if it is `libm::log1p`, call it by its path, `libm::log1p(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        log1pf => "no derivative of `log1pf` is visible here: if it is `libm::log1pf`, call it by its path, `libm::log1pf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        log2 => "no derivative of `log2` is visible here: if it is `libm::log2`, call it by its path, `libm::log2(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        log2f => "no derivative of `log2f` is visible here: if it is `libm::log2f`, call it by its path, `libm::log2f(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        logf => "no derivative of `logf` is visible here: if it is `libm::logf`, call it by its path, `libm::logf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        pow => "no derivative of `pow` is visible here: if it is `libm::pow`, call it by its path, `libm::pow(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        powf => "no derivative of `powf` is visible here: if it is `libm::powf`, call it by its path, `libm::powf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        round => "no derivative of `round` is visible here: if it is `libm::round`, call it by its path, `libm::round(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        roundf => "no derivative of `roundf` is visible here: if it is `libm::roundf`, call it by its path, `libm::roundf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        sin => "no derivative of `sin` is visible here: if it is `libm::sin`, call it by its path, `libm::sin(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        sinf => "no derivative of `sinf` is visible here: if it is `libm::sinf`, call it by its path, `libm::sinf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        sinh => "no derivative of `sinh` is visible here: if it is `libm::sinh`, call it by its path, `libm::sinh(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        sinhf => "no derivative of `sinhf` is visible here: if it is `libm::sinhf`, call it by its path, `libm::sinhf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        sqrt => "no derivative of `sqrt` is visible here: if it is `libm::sqrt`, call it by its path, `libm::sqrt(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        sqrtf => "no derivative of `sqrtf` is visible here: if it is `libm::sqrtf`, call it by its path, `libm::sqrtf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        tan => "no derivative of `tan` is visible here: if it is `libm::tan`, call it by its path, `libm::tan(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        tanf => "no derivative of `tanf` is visible here: if it is `libm::tanf`, call it by its path, `libm::tanf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        tanh => "no derivative of `tanh` is visible here: if it is `libm::tanh`, call it by its path, `libm::tanh(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        tanhf => "no derivative of `tanhf` is visible here: if it is `libm::tanhf`, call it by its path, `libm::tanhf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        tgamma => "no derivative of `tgamma` is visible here: if it is `libm::tgamma`, call it by its path, `libm::tgamma(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        tgammaf => "no derivative of `tgammaf` is visible here: if it is `libm::tgammaf`, call it by its path, `libm::tgammaf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        trunc => "no derivative of `trunc` is visible here: if it is `libm::trunc`, call it by its path, `libm::trunc(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
        truncf => "no derivative of `truncf` is visible here: if it is `libm::truncf`, call it by its path, `libm::truncf(..)`, which #[differentiate] differentiates; if it is a function of your own, mark it with #[differentiate] or #[custom_vjp(rule)] at a module's top level",
    }
}
