//! `#[custom_vjp(rule)]`, optionally with `jvp = forward_rule`: hand-written derivatives
//! for a function.
//!
//! The function's body is not read. The attribute emits the same items as
//! `#[differentiate]` (`{Name}Grad`, `f_vjp`, `f_grad` for a scalar result), with `f_vjp`
//! computing the value with `f` itself and the gradient with `rule`, so every
//! differentiated caller uses the rule. The rule takes `f`'s parameters and then the seed,
//! and returns the gradient of the float parameter (a tuple of them, in order, when there
//! are several; data parameters get none).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{ItemFn, Path, Type};

use crate::emit::{parameter_names, ItemNames};
use crate::errors::Errors;
use crate::expand::{
    functions, grad_struct, loop_pullback_function, loop_pullback_params, pullback_function,
};
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
    let rules = match syn::parse2::<Rules>(attr.clone()) {
        Ok(rules) => rules,
        Err(error) => {
            let error = if attr.is_empty() {
                syn::Error::new(
                    function.sig.fn_token.span(),
                    "name the hand-written rule: `#[custom_vjp(my_rule)]`, where `fn my_rule(<the parameters>, seed) -> <the gradient>`",
                )
            } else {
                error
            };
            let error = error.to_compile_error();
            return quote!(#error #function);
        }
    };
    let names = ItemNames::new(&function.sig.ident);
    match items(&rules, &function, &Options::default(), &names) {
        Ok((functions, grad_struct)) => quote! {
            #function
            #grad_struct
            #functions
        },
        Err(errors) => quote!(#function #errors),
    }
}

/// The items of `#[custom_vjp(rule)]` (or `(rule, jvp = forward_rule)`) on `function` (a free function, or a method when
/// `options.self_ty` is set): the functions (`f_grad`, `f_vjp`, `f_jvp`, the pullback,
/// `f_jacobian`; methods of the block for a method) and, to go beside them (outside the
/// block for a method), the gradient struct with its `Parameters`. Errors as tokens.
pub fn items(
    rules: &Rules,
    function: &ItemFn,
    options: &Options,
    names: &ItemNames,
) -> Result<(TokenStream, TokenStream), TokenStream> {
    let (rule, jvp_rule) = (&rules.vjp, &rules.jvp);
    // A rule named like an item the attribute emits would be defined twice.
    let f = &function.sig.ident;
    for rule in std::iter::once(rule).chain(jvp_rule) {
        let taken = ["grad", "vjp", "jvp", "jacobian"]
            .iter()
            .any(|suffix| rule.is_ident(&format!("{f}_{suffix}")));
        if taken {
            let error = syn::Error::new_spanned(
                rule,
                format!("`{}` is the name of a function `#[custom_vjp]` generates for `{f}`: give the hand-written rule another name (`{f}_rule`, `{f}_forward`)", rule.to_token_stream()),
            );
            return Err(error.to_compile_error());
        }
    }
    let mut errors = Errors::default();
    let Some(sig) = parse::signature(function, options, &mut errors) else {
        return Err(errors.to_compile_errors());
    };

    // The generated locals are hygienic (mixed-site): a parameter named `value`, `rule`
    // or `seed` stays the user's value.
    let local = |name: &str| Ident::new(name, Span::mixed_site().located_at(rule.span()));
    let (seed, rule_fn, value) = (local("seed"), local("rule"), local("value"));
    let seed_type = &sig.seed;
    let args = parameter_names(&function.sig);
    // Owned values go to `f` as clones: the rule needs them afterwards.
    let value_args: Vec<TokenStream> = sig
        .params
        .iter()
        .zip(&args)
        .map(|(p, arg)| match p.kind {
            Kind::Owned => quote!(::core::clone::Clone::clone(&#arg)),
            Kind::Copy | Kind::Ref => arg.clone(),
        })
        .collect();
    let differentiated: Vec<_> = sig.params.iter().filter(|p| p.differentiated).collect();
    let field_names: Vec<_> = differentiated.iter().map(|p| p.field()).collect();
    let grad_types: Vec<&Type> = differentiated
        .iter()
        .filter_map(|p| p.grad_ty.as_ref())
        .collect();
    let param_types: Vec<&Type> = sig.params.iter().map(|p| &p.ty).collect();
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
        let #rule_fn: fn(#(#param_types,)* #seed_type) -> #gradient_type = #rule;
        let #value = #f(#(#value_args),*);
        let #gradient_pattern = #rule_fn(#(#args,)* #seed);
        (#value, #grad { #(#field_names),* })
    };
    // The pullback computes the value now and calls the rule when the caller's reverse
    // sweep gives it the seed.
    let pullback_body = quote_spanned! {rule.span()=>
        let #rule_fn: fn(#(#param_types,)* #seed_type) -> #gradient_type = #rule;
        let #value = #f(#(#value_args),*);
        (#value, move |#seed: #seed_type| {
            let #gradient_pattern = #rule_fn(#(#args,)* #seed);
            #grad { #(#field_names),* }
        })
    };
    // The loop pullback's closure takes the arguments again: it captures nothing (the rule
    // is named again inside, not captured as a function pointer).
    let given = loop_pullback_params(&sig);
    let loop_pullback_body = quote_spanned! {rule.span()=>
        let #rule_fn: fn(#(#param_types,)* #seed_type) -> #gradient_type = #rule;
        let #value = #f(#(#value_args),*);
        (#value, move |#(#given,)* #seed: #seed_type| {
            let #rule_fn: fn(#(#param_types,)* #seed_type) -> #gradient_type = #rule;
            let #gradient_pattern = #rule_fn(#(#args,)* #seed);
            #grad { #(#field_names),* }
        })
    };
    let grad_struct = grad_struct(&sig, names);
    let functions = functions(&sig, names, &seed, body);
    let pullback = pullback_function(&sig, names, None, pullback_body);
    let loop_pullback = loop_pullback_function(&sig, names, None, loop_pullback_body);
    // Forward mode from the forward rule when one is given; else from the reverse rule:
    // ⟨∇f, ẋ⟩ = Σᵢ rule(x, 1)ᵢ·ẋᵢ for a scalar output (one call of the rule), and one call
    // per component for a vector-like output (see `forward::fallback`).
    let jvp = match jvp_rule {
        Some(jvp_rule) => {
            let tangent = Ident::new("tangent", Span::mixed_site());
            // Each tangent is passed as its parameter is: by value, by reference, or
            // cloned for an owned parameter.
            let tangents = differentiated.iter().map(|p| {
                let field = p.field();
                match p.kind {
                    Kind::Copy => quote!(#tangent.#field),
                    Kind::Ref => quote!(&#tangent.#field),
                    Kind::Owned => quote!(::core::clone::Clone::clone(&#tangent.#field)),
                }
            });
            let tangent_types = differentiated.iter().map(|p| &p.ty);
            crate::forward::Jvp::Custom(quote_spanned! {jvp_rule.span()=>
                let #rule_fn: fn(#(#param_types,)* #(#tangent_types),*) -> #seed_type = #jvp_rule;
                let #value = #f(#(#value_args),*);
                (#value, #rule_fn(#(#args,)* #(#tangents),*))
            })
        }
        None => crate::forward::fallback(
            &sig,
            vec!["a `#[custom_vjp]` function without a forward rule (`jvp = ..`)".to_string()],
        ),
    };
    // Forward sweeps for the Jacobian only with a forward rule.
    let forward = matches!(jvp, crate::forward::Jvp::Custom(_));
    let jvp = crate::forward::items(&sig, names, jvp, None);
    let jacobian = crate::jacobian::jacobian_function(&sig, names, forward, None);
    let parameters = crate::jacobian::parameters_impl(&sig, names);
    Ok((
        quote! {
            #functions
            #jvp
            #pullback
            #loop_pullback
            #jacobian
        },
        quote!(#grad_struct #parameters),
    ))
}

/// The attribute's arguments: `rule`, or `rule, jvp = forward_rule`.
pub struct Rules {
    pub vjp: Path,
    pub jvp: Option<Path>,
}

impl syn::parse::Parse for Rules {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let vjp: Path = input.parse()?;
        let mut jvp = None;
        if input.parse::<Option<syn::Token![,]>>()?.is_some() && !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "jvp" {
                return Err(syn::Error::new(
                    key.span(),
                    "unknown option: write `#[custom_vjp(rule, jvp = forward_rule)]`, where `fn forward_rule(<the parameters>, <one tangent per float parameter, typed as the parameter>) -> <the output's tangent>`",
                ));
            }
            input.parse::<syn::Token![=]>()?;
            jvp = Some(input.parse()?);
            input.parse::<Option<syn::Token![,]>>()?;
        }
        if !input.is_empty() {
            return Err(input.error(
                "expected `#[custom_vjp(rule)]` or `#[custom_vjp(rule, jvp = forward_rule)]`",
            ));
        }
        Ok(Rules { vjp, jvp })
    }
}
