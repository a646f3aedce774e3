//! `#[custom_vjp(rule)]`: a hand-written derivative for a function.
//!
//! The function's body is not read. The attribute emits the same items as
//! `#[differentiate]` (`{Name}Grad`, `f_vjp`, `f_grad` for a scalar result), with `f_vjp`
//! computing the value with `f` itself and the gradient with `rule`, so every
//! differentiated caller uses the rule. The rule takes `f`'s parameters and then the seed,
//! and returns the gradient of the float parameter (a tuple of them, in order, when there
//! are several; data parameters get none).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, Path, Type};

use crate::emit::{parameter_names, ItemNames};
use crate::errors::Errors;
use crate::expand::{functions, grad_struct, pullback_function};
use crate::ir::Kind;
use crate::parse::{self, Options};

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                "#[custom_vjp(rule)] applies to functions (`fn f(x: f64) -> f64 { .. }`)",
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };
    let rule: Path = match syn::parse2(attr.clone()) {
        Ok(rule) => rule,
        Err(_) => {
            let span = if attr.is_empty() {
                function.sig.fn_token.span()
            } else {
                attr.span()
            };
            let error = syn::Error::new(
                span,
                "name the hand-written rule: `#[custom_vjp(my_rule)]`, where `fn my_rule(<the parameters>, seed) -> <the gradient>`",
            )
            .to_compile_error();
            return quote!(#error #function);
        }
    };
    let names = ItemNames::new(&function.sig.ident);
    match items(&rule, &function, &Options::default(), &names) {
        Ok((functions, grad_struct)) => quote! {
            #function
            #grad_struct
            #functions
        },
        Err(errors) => quote!(#function #errors),
    }
}

/// The items of `#[custom_vjp(rule)]` on `function` (a free function, or a method when
/// `options.self_ty` is set): the functions (`f_grad`, `f_vjp`, `f_jvp`, the pullback,
/// `f_jacobian`; methods of the block for a method) and, to go beside them (outside the
/// block for a method), the gradient struct with its `Parameters`. Errors as tokens.
pub fn items(
    rule: &Path,
    function: &ItemFn,
    options: &Options,
    names: &ItemNames,
) -> Result<(TokenStream, TokenStream), TokenStream> {
    let mut errors = Errors::default();
    let Some(sig) = parse::signature(function, options, &mut errors) else {
        return Err(errors.to_compile_errors());
    };

    // The generated locals are hygienic (mixed-site): a parameter named `value`, `rule`
    // or `seed` stays the user's value.
    let local = |name: &str| Ident::new(name, Span::mixed_site().located_at(rule.span()));
    let (seed, rule_fn, value) = (local("seed"), local("rule"), local("value"));
    let ret = &sig.ret;
    let args = parameter_names(&function.sig);
    // Owned values go to `f` as clones: the rule needs them afterwards.
    let value_args = sig.params.iter().zip(&args).map(|(p, arg)| match p.kind {
        Kind::Owned => quote!(::core::clone::Clone::clone(&#arg)),
        Kind::Copy | Kind::Ref => arg.clone(),
    });
    let differentiated: Vec<_> = sig.params.iter().filter(|p| p.differentiated).collect();
    let field_names: Vec<_> = differentiated.iter().map(|p| p.field()).collect();
    let grad_types: Vec<&Type> = differentiated
        .iter()
        .filter_map(|p| p.grad_ty.as_ref())
        .collect();
    let param_types = sig.params.iter().map(|p| &p.ty);
    let param_types_again = param_types.clone();
    let gradient_type = match grad_types.as_slice() {
        [single] => quote!(#single),
        several => quote!((#(#several),*)),
    };
    let gradient_pattern = match field_names.as_slice() {
        [single] => quote!(#single),
        several => quote!((#(#several),*)),
    };
    let f = &function.sig.ident;
    // A method's value is `Self::f(self, ..)`.
    let f = match options.self_ty {
        Some(_) => quote!(Self::#f),
        None => quote!(#f),
    };
    let grad = &names.grad_struct;
    // The rule's signature is checked on its own first, so that a wrong one is reported at
    // the rule's name with the signature it should have.
    let body = quote_spanned! {rule.span()=>
        let #rule_fn: fn(#(#param_types,)* #ret) -> #gradient_type = #rule;
        let #value = #f(#(#value_args),*);
        let #gradient_pattern = #rule_fn(#(#args,)* #seed);
        (#value, #grad { #(#field_names),* })
    };
    // The pullback computes the value now and calls the rule when the caller's reverse
    // sweep gives it the seed.
    let value_args = sig.params.iter().zip(&args).map(|(p, arg)| match p.kind {
        Kind::Owned => quote!(::core::clone::Clone::clone(&#arg)),
        Kind::Copy | Kind::Ref => arg.clone(),
    });
    let pullback_body = quote_spanned! {rule.span()=>
        let #rule_fn: fn(#(#param_types_again,)* #ret) -> #gradient_type = #rule;
        let #value = #f(#(#value_args),*);
        (#value, move |#seed: #ret| {
            let #gradient_pattern = #rule_fn(#(#args,)* #seed);
            #grad { #(#field_names),* }
        })
    };
    let grad_struct = grad_struct(&sig, names);
    let functions = functions(&sig, names, &seed, body);
    let pullback = pullback_function(&sig, names, None, pullback_body);
    // Forward mode from the rule: ⟨∇f, ẋ⟩ = Σᵢ rule(x, 1)ᵢ·ẋᵢ for a scalar output (one
    // call of the rule); a rule gives no forward mode for other outputs.
    let jvp = if sig.scalar_ret {
        crate::forward::Jvp::Fallback(vec!["a `#[custom_vjp]` function".to_string()])
    } else {
        crate::forward::Jvp::Unsupported(vec!["a `#[custom_vjp]` function".to_string()])
    };
    let jvp = crate::forward::items(&sig, names, jvp, None);
    // Reverse sweeps only: the rule gives no forward sweep for a non-scalar output.
    let jacobian = crate::jacobian::jacobian_function(&sig, names, false);
    let parameters = crate::jacobian::parameters_impl(&sig, names);
    Ok((
        quote! {
            #functions
            #jvp
            #pullback
            #jacobian
        },
        quote!(#grad_struct #parameters),
    ))
}
