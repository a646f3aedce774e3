//! The `#[differentiate]` attribute of tapeless.
//!
//! The expansion is a pipeline of one module per stage, data flowing one way:
//! [`parse`] (options and signature) → [`lower`] (body to SSA) → [`analyse`] (activity) →
//! [`reverse`] (the reverse sweep) → [`emit`] (tokens). [`rules`] is the derivative rule
//! table. Errors are collected in [`errors::Errors`] and reported together; the macro never
//! panics. See ARCHITECTURE.md.

use proc_macro::TokenStream;

mod analyse;
mod emit;
mod errors;
mod expand;
#[cfg(test)]
mod golden_tests;
mod ir;
mod lower;
mod parse;
mod reverse;
mod rules;

/// Differentiates a function: emits `{name}_grad`, `{name}_vjp` and the `{Name}Grad`
/// struct beside it. See the `tapeless` crate documentation.
#[proc_macro_attribute]
pub fn differentiate(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(attr.into(), item.into()).into()
}
