//! Error collection: every stage reports into one [`Errors`], so the user sees all
//! problems of a function at once instead of fixing them one compile at a time.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error at the span of `tokens`.
    pub fn at<T: ToTokens, M: Display>(&mut self, tokens: T, message: M) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error at `span`.
    pub fn at_span<M: Display>(&mut self, span: proc_macro2::Span, message: M) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records a broken invariant of the macro itself (at the attribute): the user can do
    /// nothing about it but report it.
    pub fn internal(&mut self, what: &str) {
        self.at_span(
            proc_macro2::Span::call_site(),
            format!("internal error in tapeless: {what}; please report it with this function"),
        );
    }

    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Drops the errors recorded after the first `len` (a trial lowering that is redone).
    pub fn truncate(&mut self, len: usize) {
        self.errors.truncate(len);
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// All errors as `compile_error!` invocations.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }
}
