//! The `#[differentiate]` attribute of tapeless.
//!
//! The expansion is a pipeline of one module per stage, data flowing one way:
//! `parse` (options and signature) → `desugar` (source-level rewrites) → `lower` (body to
//! SSA) → `analyse` (activity) → `reverse` (the reverse sweep) → `emit` (tokens), and
//! `forward` (forward mode, `f_jvp`, printed by the same emitter). `rules` is
//! the derivative rule table. Errors are collected in `errors::Errors` and reported together;
//! the macro never
//! panics. See ARCHITECTURE.md.
#![deny(missing_docs)]
// No function over 150 lines (the threshold is in macros/clippy.toml): split it into helpers.
#![warn(clippy::too_many_lines)]

use proc_macro::TokenStream;

mod analyse;
mod custom;
mod derive;
mod desugar;
mod emit;
mod errors;
mod expand;
mod forward;
#[cfg(test)]
mod golden_tests;
mod hessian;
mod ir;
mod jacobian;
mod lower;
mod parse;
mod replay;
mod reverse;
mod rules;
mod strategy;
mod unmarked;

/// Differentiates a function: emits `{name}_grad`, `{name}_vjp`, `{name}_jacobian` (for a
/// vector-like output) and the `{Name}Grad` struct beside it. See the `tapeless` crate
/// documentation.
#[proc_macro_attribute]
pub fn differentiate(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(attr.into(), item.into()).into()
}

/// Makes a struct of differentiable fields (floats, arrays, `Vec`s, nalgebra matrices,
/// other such structs) differentiable: a parameter of its type gets a gradient of the same
/// struct type, and optimisers can update it (`Parameters::add_scaled`).
#[proc_macro_derive(Differentiable)]
pub fn derive_differentiable(item: TokenStream) -> TokenStream {
    derive::expand(item.into()).into()
}

/// Gives a function a hand-written derivative: `#[custom_vjp(rule)]` on `fn f(x: f64) ->
/// f64` emits the same items as `#[differentiate]`, with the gradient computed by
/// `fn rule(x: f64, seed: f64) -> f64`, and every differentiated caller of `f` uses it.
/// `#[custom_vjp(rule, jvp = forward_rule)]` adds a forward rule,
/// `fn forward_rule(x: f64, dx: f64) -> f64`, which `f_jvp` and callers' forward sweeps use.
/// See the `tapeless` crate documentation.
#[proc_macro_attribute]
pub fn custom_vjp(attr: TokenStream, item: TokenStream) -> TokenStream {
    custom::expand(attr.into(), item.into()).into()
}
