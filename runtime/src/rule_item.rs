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
