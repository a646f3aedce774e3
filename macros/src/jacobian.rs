//! `f_jacobian` (for a vector-like output) and the gradient struct's `Parameters`, which
//! lets an optimiser update it and the Jacobian's forward sweeps build unit tangents.
//!
//! `f_jacobian` returns a `Vec` of rows, so it exists only with tapeless's `alloc` feature
//! (which turns on this crate's `alloc`): a `no_std` crate without it gets none.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, ToTokens};

use crate::emit::{parameter_names, plain_parameters, ItemNames};
use crate::expand::{grad_type, struct_generics, where_clause};
use crate::ir::Kind;
use crate::parse::{JacobianOutput, Signature};

/// `impl Parameters<Scalar> for FGrad`, field by field: the struct is as much a set of
/// parameters as its fields are.
pub fn parameters_impl(sig: &Signature, names: &ItemNames) -> TokenStream {
    let mut taken = std::collections::HashSet::new();
    crate::emit::collect_idents(sig.item.to_token_stream(), &mut taken);
    let scalar = crate::emit::unused_ident("Scalar", &mut taken);
    let visit = crate::emit::unused_ident("F", &mut taken);
    let generics = struct_generics(sig);
    let grad_type = grad_type(sig, names);
    let fields: Vec<_> = sig.params.iter().filter(|p| p.differentiated).collect();
    let members: Vec<Ident> = fields.iter().map(|p| p.field()).collect();
    // One bound per field type (`f64` once for several `f64` fields).
    let mut seen = std::collections::HashSet::new();
    let bounds = fields.iter().filter_map(|p| {
        let ty = p.grad_ty.as_ref()?;
        seen.insert(ty.to_token_stream().to_string())
            .then(|| quote!(#ty: ::tapeless::Parameters<#scalar>))
    });
    let parameters = quote!(::tapeless::Parameters);
    quote! {
        impl<#(#generics,)* #scalar: ::tapeless::Real> #parameters<#scalar> for #grad_type
        where #(#bounds,)*
        {
            fn add_scaled(&mut self, alpha: #scalar, other: &Self) {
                #(#parameters::add_scaled(&mut self.#members, alpha, &other.#members);)*
            }
            fn zip_scalars<#visit: FnMut(&mut #scalar, #scalar)>(&mut self, other: &Self, f: &mut #visit) {
                #(#parameters::zip_scalars(&mut self.#members, &other.#members, f);)*
            }
            fn map_scalars<#visit: FnMut(&mut #scalar)>(&mut self, f: &mut #visit) {
                #(#parameters::map_scalars(&mut self.#members, f);)*
            }
            fn for_each_scalar<#visit: FnMut(#scalar)>(&self, f: &mut #visit) {
                #(#parameters::for_each_scalar(&self.#members, f);)*
            }
        }
    }
}

/// `f_jacobian(args..) -> (Out, Vec<FGrad>)` for a vector-like output; nothing for a scalar
/// or tuple output, or without the `alloc` feature. With `forward` (the function has a
/// forward sweep, `f_jvp`), the rows come from forward or reverse sweeps, whichever are
/// fewer at run time; without, from reverse sweeps. With `shared` (the emitter's
/// [`shared_reverse`](crate::emit::Emitter::shared_reverse): forward sweep, value, reverse
/// closure), the forward sweep runs once and the reverse sweeps all read it.
pub fn jacobian_function(
    sig: &Signature,
    names: &ItemNames,
    forward: bool,
    shared: Option<(TokenStream, Ident, TokenStream)>,
) -> TokenStream {
    let output = sig.floats().jacobian_output(&sig.ret);
    if !cfg!(feature = "alloc") || output == JacobianOutput::None {
        return TokenStream::new();
    }
    let item = sig.item;
    let function = &item.sig.ident;
    let vis = &item.vis;
    let generics = &item.sig.generics;
    let grad_type = grad_type(sig, names);
    let params = plain_parameters(&item.sig, false);
    let ret = &sig.ret;
    let jacobian_fn = quote::format_ident!("{}_jacobian", function);
    let vjp_fn = &names.vjp_fn;
    let jvp_fn = quote::format_ident!("{}_jvp", function);
    let call_prefix = sig.in_impl.then(|| quote!(Self::));
    let turbofish = turbofish(generics);
    // Each sweep takes the arguments again: owned values as clones.
    let args: Vec<TokenStream> = sig
        .params
        .iter()
        .zip(parameter_names(&item.sig))
        .map(|(p, arg)| match p.kind {
            Kind::Owned => quote!(::core::clone::Clone::clone(&#arg)),
            Kind::Copy | Kind::Ref => arg,
        })
        .collect();
    // An output the macro cannot classify gets reverse sweeps only: the bound forward
    // sweeps need would name its float type through a trait it may not implement, and
    // repeat the error of a call.
    let forward = forward
        && output == JacobianOutput::Vector
        && sig.floats().jacobian_scalar(&sig.ret).is_some();
    let mut bounds = call_bounds(sig, output);
    if forward {
        bounds.extend(parameters_bound(sig, &grad_type));
    }
    let where_clause = extend_where(where_clause(sig), &bounds);

    let local = |name: &str| Ident::new(name, Span::mixed_site());
    let (value, rows, seed, tangent) = (
        local("value"),
        local("rows"),
        local("seed"),
        local("tangent"),
    );
    let grad_struct = &names.grad_struct;
    let primal = quote!(#call_prefix #function #turbofish (#(#args),*));
    let vjp = quote!(|#seed| #call_prefix #vjp_fn #turbofish (#(#args,)* #seed).1);
    // With forward sweeps, `f_jvp` takes the arguments again after the shared forward
    // sweep, which may have moved an owned one: those keep whole sweeps.
    let shared = shared.filter(|_| !forward || sig.params.iter().all(|p| p.kind != Kind::Owned));
    let (body, how) = if let Some((sweep, value, reverse)) = shared {
        let private = quote!(::tapeless::__private);
        // The primal, named once: a function used only through its Jacobian is not dead.
        let sweep = quote!(let _ = #call_prefix #function #turbofish; #sweep);
        if forward {
            let zero = zero_gradient(sig, names);
            let jvp = quote!(|#tangent| #call_prefix #jvp_fn #turbofish (#(#args,)* #tangent));
            (
                quote! {
                    #sweep
                    let #rows = #private::shared_rows(&#value, || #zero, #reverse, #jvp);
                    (#value, #rows)
                },
                format!("by one forward sweep (`{jvp_fn}`) per input scalar when the inputs have fewer scalars than the value has components, else by one forward sweep shared by one reverse sweep per component"),
            )
        } else {
            (
                quote! {
                    #sweep
                    let #rows = #private::shared_reverse_rows(&#value, #reverse);
                    (#value, #rows)
                },
                "by one forward sweep shared by one reverse sweep per component".to_string(),
            )
        }
    } else if forward {
        let zero = zero_gradient(sig, names);
        // The sweeps return the value too: for an output whose type fixes its shape the
        // value is the first sweep's, and the primal is not run.
        let vjp = quote!(|#seed| #call_prefix #vjp_fn #turbofish (#(#args,)* #seed));
        let jvp = quote!(|#tangent| #call_prefix #jvp_fn #turbofish (#(#args,)* #tangent));
        (
            quote!(::tapeless::__private::jacobian(|| #primal, || #zero, #vjp, #jvp)),
            format!("by one forward sweep (`{jvp_fn}`) per input scalar when the inputs have fewer scalars than the value has components, else by one reverse sweep (`{vjp_fn}`) per component"),
        )
    } else {
        (
            quote! {
                let #value = #primal;
                let #rows = ::tapeless::__private::reverse_rows(&#value, #vjp);
                (#value, #rows)
            },
            format!("by one reverse sweep (`{vjp_fn}`) per component"),
        )
    };
    let doc = format!(
        "The value of [`{function}`] and its Jacobian: one row per component of the value (in storage order, column-major for a matrix), row `i` the gradient of component `i` (see [`{grad_struct}`]), computed {how}."
    );
    quote! {
        #[doc = #doc]
        #[allow(unused_variables, unused_mut, unused_parens, unused_braces, unreachable_code, clippy::all)]
        #vis fn #jacobian_fn #generics (#(#params),*) -> (#ret, ::tapeless::__private::Vec<#grad_type>) #where_clause {
            #body
        }
    }
}

/// `::<T, N>` naming the function's type and const parameters, if it has any.
fn turbofish(generics: &syn::Generics) -> Option<TokenStream> {
    let args: Vec<TokenStream> = generics
        .params
        .iter()
        .filter_map(|p| match p {
            syn::GenericParam::Type(t) => Some(t.ident.to_token_stream()),
            syn::GenericParam::Const(c) => Some(c.ident.to_token_stream()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    (!args.is_empty()).then(|| quote!(::<#(#args),*>))
}

/// Bounds that make `f_jacobian` uncallable, rather than an error where it is defined,
/// when they do not hold: higher-ranked, so that rustc checks them at a call only. An
/// output the macro cannot classify must be vector-like; an owned struct argument, which
/// each sweep takes again, must be `Clone`.
fn call_bounds(sig: &Signature, output: JacobianOutput) -> Vec<TokenStream> {
    let mut bounds = Vec::new();
    if output == JacobianOutput::Bounded {
        let ret = &sig.ret;
        bounds.push(quote!(for<'__tapeless> #ret: ::tapeless::JacobianOutput));
    }
    for p in &sig.params {
        if p.kind == Kind::Owned && sig.floats().needs_check(&p.ty) {
            let ty = &p.ty;
            bounds.push(quote!(for<'__tapeless> #ty: ::core::clone::Clone));
        }
    }
    bounds
}

/// Forward sweeps set the scalars of a gradient struct to those of the output's float
/// type: `FGrad: Parameters<f64>` for `-> Vec<f64>`. It holds when every float the
/// signature names is that one; otherwise (a type parameter, a struct parameter, `f32`
/// beside `f64`) it is a bound, checked at the call.
fn parameters_bound(sig: &Signature, grad_type: &TokenStream) -> Option<TokenStream> {
    let fields: Vec<_> = sig.params.iter().filter(|p| p.differentiated).collect();
    let mut floats = std::collections::HashSet::new();
    let ret = &sig.ret;
    crate::emit::collect_idents(quote!(#ret), &mut floats);
    for p in &fields {
        let ty = &p.grad_ty;
        crate::emit::collect_idents(quote!(#ty), &mut floats);
    }
    let mixed = floats.contains("f32") && floats.contains("f64");
    let needed = mixed
        || !sig.float_generics.is_empty()
        || fields.iter().any(|p| sig.floats().needs_check(&p.ty));
    if !needed {
        return None;
    }
    let scalar = sig.floats().jacobian_scalar(ret)?;
    Some(quote!(for<'__tapeless> #grad_type: ::tapeless::Parameters<#scalar>))
}

/// `FGrad { x: zeros_like(&x), .. }`: a gradient struct shaped like the arguments, the
/// forward sweeps' tangents.
fn zero_gradient(sig: &Signature, names: &ItemNames) -> TokenStream {
    let grad_struct = &names.grad_struct;
    let fields = sig.params.iter().filter(|p| p.differentiated).map(|p| {
        let (field, ident) = (p.field(), &p.ident);
        quote!(#field: ::tapeless::__private::zeros_like(&#ident))
    });
    quote!(#grad_struct { #(#fields),* })
}

/// `where_clause` (tokens `where ..`, or none) with `bounds` added.
fn extend_where(where_clause: TokenStream, bounds: &[TokenStream]) -> TokenStream {
    if bounds.is_empty() {
        return where_clause;
    }
    let mut clause: syn::WhereClause = if where_clause.is_empty() {
        syn::parse_quote!(where)
    } else {
        match syn::parse2(where_clause.clone()) {
            Ok(clause) => clause,
            Err(_) => return where_clause,
        }
    };
    for bound in bounds {
        if let Ok(predicate) = syn::parse2(bound.clone()) {
            clause.predicates.push(predicate);
        }
    }
    clause.into_token_stream()
}
