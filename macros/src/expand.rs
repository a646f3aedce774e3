//! Runs the pipeline on one function and assembles the output: the function untouched,
//! then the gradient struct, `f_grad` and `f_vjp`; on error, the errors plus stubs with the
//! right signatures, so the user sees the real problem and not "cannot find `f_grad`".

use proc_macro2::TokenStream;
use quote::quote;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{ItemFn, ItemImpl};

use crate::emit::{parameter_names, plain_parameters, Emitter, ItemNames};
use crate::errors::Errors;
use crate::parse::{self, Signature};
use crate::{analyse, desugar, lower, reverse, unmarked};

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    if let Ok(block) = syn::parse2::<ItemImpl>(item.clone()) {
        return expand_impl(attr, block);
    }
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                "#[differentiate] applies to functions (`fn f(x: f64) -> f64 { .. }`) and to `impl` blocks whose methods it marks",
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut errors = Errors::default();
    let options = parse::options(attr, &mut errors);
    let names = ItemNames::new(&function.sig.ident);
    if options.hessian.is_some() {
        crate::hessian::check(&function, &options, &mut errors);
        recursion_in_hessian(&function, &mut errors);
    }
    reserved_names(
        function.to_token_stream(),
        &mut Default::default(),
        &mut errors,
    );
    let function = bound_nested_gradients(function);
    let (items, grad_struct, ok) = differentiate_checked(&function, &options, &names, errors);
    // The Hessian's functions only beside a function that differentiates: its errors are
    // reported once, by the first pipeline.
    let hessian = match (ok, options.hessian.is_some()) {
        (true, true) => Some(hessian_items(&function, &options, &names)),
        (true, false) => parse::signature(&function, &options, &mut Errors::default())
            .map(|sig| crate::hessian::without_hessian(&sig, &names)),
        (false, _) => None,
    };
    quote! {
        #function
        #grad_struct
        #items
        #hessian
    }
}

/// A function generic over its float type `T` that calls a nested `g_grad(..)`: `g_grad`
/// asks of `T` what generated code asks (`T: Real + FixedZero + ..`, and `Parameters<T>`
/// for its VJP), so the function says so too (`f32`, `f64` and dual numbers have them all).
fn bound_nested_gradients(mut function: ItemFn) -> ItemFn {
    let mut types = function.sig.generics.type_params();
    let (Some(t), None) = (types.next(), types.next()) else {
        return function;
    };
    let t = t.ident.clone();
    if !calls_a_gradient(function.block.to_token_stream()) {
        return function;
    }
    let bounds = crate::hessian::nested_gradient_bounds(&t);
    function
        .sig
        .generics
        .make_where_clause()
        .predicates
        .extend(bounds);
    function
}

/// Whether `tokens` call a function named `*_grad`.
fn calls_a_gradient(tokens: TokenStream) -> bool {
    let mut previous: Option<proc_macro2::Ident> = None;
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Group(g) => {
                let call = g.delimiter() == proc_macro2::Delimiter::Parenthesis
                    && previous
                        .as_ref()
                        .is_some_and(|i| i.to_string().ends_with("_grad"));
                if call || calls_a_gradient(g.stream()) {
                    return true;
                }
                previous = None;
            }
            proc_macro2::TokenTree::Ident(i) => previous = Some(i),
            _ => previous = None,
        }
    }
    false
}

/// The generic copy of a `hessian` function, its reverse sweep, and `f_hvp`, `f_hessian`,
/// `f_grad_vjp` (see `hessian.rs`).
fn hessian_items(function: &ItemFn, options: &parse::Options, names: &ItemNames) -> TokenStream {
    // A function generic over its float type is its own generic copy: its `f_vjp` runs
    // over dual numbers as it is.
    if let Some(float) = function.sig.generics.type_params().next() {
        let Some(sig) = parse::signature(function, options, &mut Errors::default()) else {
            return TokenStream::new();
        };
        let float = float.ident.to_token_stream();
        return crate::hessian::functions(&sig, names, &float);
    }
    let mut errors = Errors::default();
    let float = crate::hessian::float_type(function, &mut errors);
    if !errors.is_empty() {
        return errors.to_compile_errors();
    }
    let data = crate::hessian::data_structs(function, options);
    let copy = crate::hessian::generic_copy(function, float, data);
    let copy_options = parse::Options {
        wrt: options.wrt.clone(),
        max_iterations: options.max_iterations.clone(),
        ..Default::default()
    };
    let copy_names = ItemNames::new(&copy.sig.ident);
    let (copy_items, copy_struct, _) =
        differentiate_checked(&copy, &copy_options, &copy_names, errors);
    let Some(sig) = parse::signature(function, options, &mut Errors::default()) else {
        return TokenStream::new();
    };
    let float = syn::Ident::new(float, proc_macro2::Span::call_site()).to_token_stream();
    let functions = crate::hessian::functions(&sig, names, &float);
    // The copy's own `f_hvp` and `f_grad_vjp` (over dual numbers of dual numbers): another
    // `hessian` function's copy may call its `f_grad` (a nested gradient in a Hessian).
    let copy_functions =
        parse::signature(&copy, &copy_options, &mut Errors::default()).and_then(|copy_sig| {
            let param = copy
                .sig
                .generics
                .type_params()
                .next()?
                .ident
                .to_token_stream();
            Some(crate::hessian::functions(&copy_sig, &copy_names, &param))
        });
    crate::hessian::hidden(
        quote! {
            #copy
            #copy_struct
            #copy_items
            #copy_functions
        },
        functions,
    )
}

/// `#[differentiate] impl Type { #[differentiate] fn f(&self, ..) .. }`: each marked
/// method gets `f_grad` and `f_vjp` methods in the block and a `{Type}{F}Grad` struct
/// beside it, whose field `self_` is the gradient of `self`.
fn expand_impl(attr: TokenStream, mut block: ItemImpl) -> TokenStream {
    let mut outside = Vec::new();
    if !attr.is_empty() {
        let error = syn::Error::new_spanned(
            &attr,
            "options go on the methods: `#[differentiate(wrt(..))] fn f(&self, ..)`",
        );
        outside.push(error.to_compile_error());
    }
    if let Some(param) = block.generics.params.iter().find(|p| {
        matches!(
            p,
            syn::GenericParam::Lifetime(_) | syn::GenericParam::Const(_)
        )
    }) {
        // Nothing is generated for the block: the methods stay as written, unmarked, so
        // the one error is this one (not one per generated item that cannot name it).
        let error = syn::Error::new_spanned(
            param,
            "lifetime and const parameters of an `impl` block are not supported by #[differentiate]; write the block for the concrete type, or the method as a free function `fn f<'a>(m: &Model<'a>, ..)`",
        );
        for item in &mut block.items {
            if let syn::ImplItem::Fn(method) = item {
                method.attrs.retain(|a| !is_differentiate(a));
            }
        }
        let error = error.to_compile_error();
        return quote!(#error #block #(#outside)*);
    }
    let impl_generics = block.generics.clone();
    let self_ty = (*block.self_ty).clone();
    let type_name = match &self_ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
    .unwrap_or_default();
    let mut generated = Vec::new();
    // Calls of these (`self.helper(x)`, `Self::helper(x)`) have no derivative.
    let unmarked: Vec<String> = block
        .items
        .iter()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f)
                if !f
                    .attrs
                    .iter()
                    .any(|a| is_differentiate(a) || is_custom_vjp(a)) =>
            {
                Some(f.sig.ident.to_string())
            }
            _ => None,
        })
        .collect();
    for item in &mut block.items {
        let syn::ImplItem::Fn(method) = item else {
            continue;
        };
        if let Some(position) = method.attrs.iter().position(is_custom_vjp) {
            let attr = method.attrs.remove(position);
            let (items, beside) = custom_method(attr, method, &self_ty, &type_name, &impl_generics);
            generated.push(without_impl_generics(items, &impl_generics));
            outside.push(beside);
            continue;
        }
        let Some(position) = method.attrs.iter().position(is_differentiate) else {
            continue;
        };
        let attr = method.attrs.remove(position);
        let mut errors = Errors::default();
        let mut options = match attr.meta {
            syn::Meta::List(list) => parse::options(list.tokens, &mut errors),
            _ => parse::Options::default(),
        };
        options.self_ty = Some(self_ty.clone());
        options.unmarked = unmarked.clone();
        let function = ItemFn {
            attrs: method.attrs.clone(),
            vis: method.vis.clone(),
            sig: with_impl_generics(&method.sig, &impl_generics),
            block: Box::new(method.block.clone()),
        };
        let names = ItemNames::for_method(&type_name, &function.sig.ident);
        if options.hessian.is_some() {
            crate::hessian::check(&function, &options, &mut errors);
        }
        let (items, grad_struct, _) = differentiate_function(&function, &options, &names, errors);
        generated.push(without_impl_generics(items, &impl_generics));
        outside.push(grad_struct);
    }
    // A trait's `impl` block keeps the trait's methods only: the companions go in an
    // inherent block of the same type, private to the module like the trait's methods.
    if block.trait_.is_some() {
        let (generics, where_clause) = (&block.generics, &block.generics.where_clause);
        let inherent = (!generated.is_empty())
            .then(|| quote!(impl #generics #self_ty #where_clause { #(#generated)* }));
        return quote! {
            #block
            #inherent
            #(#outside)*
        };
    }
    block
        .items
        .extend(generated.into_iter().map(syn::ImplItem::Verbatim));
    quote! {
        #block
        #(#outside)*
    }
}

/// A method's signature with the type parameters of its generic `impl` block (`T` of
/// `impl<T: Float> Spring<T>`) prepended, bounds and `where` clause included: the method
/// seen as the generic function it is, whose gradient struct (`SpringEnergyGrad<T>`, beside
/// the block) needs them.
fn with_impl_generics(sig: &syn::Signature, impl_generics: &syn::Generics) -> syn::Signature {
    let mut sig = sig.clone();
    if impl_generics.params.is_empty() {
        return sig;
    }
    let mut params: syn::punctuated::Punctuated<syn::GenericParam, syn::Token![,]> =
        impl_generics.params.iter().cloned().collect();
    params.extend(sig.generics.params.iter().cloned());
    sig.generics.params = params;
    sig.generics.lt_token.get_or_insert_with(Default::default);
    sig.generics.gt_token.get_or_insert_with(Default::default);
    if let Some(clause) = &impl_generics.where_clause {
        let own = sig.generics.make_where_clause();
        let mut predicates = clause.predicates.clone();
        predicates.extend(own.predicates.iter().cloned());
        own.predicates = predicates;
    }
    sig
}

/// The generated methods of a generic `impl` block without the block's own type parameters
/// in their generic lists (they are the block's, in scope; a method may not declare them
/// again): the bounds the generated code adds to them stay in the `where` clauses.
fn without_impl_generics(items: TokenStream, impl_generics: &syn::Generics) -> TokenStream {
    let names: Vec<&syn::Ident> = impl_generics.type_params().map(|t| &t.ident).collect();
    if names.is_empty() {
        return items;
    }
    let Ok(mut block) = syn::parse2::<ItemImpl>(quote!(impl __TapelessBlock { #items })) else {
        return items;
    };
    for item in &mut block.items {
        if let syn::ImplItem::Fn(method) = item {
            let generics = &mut method.sig.generics;
            generics.params = generics
                .params
                .iter()
                .filter(|p| !matches!(p, syn::GenericParam::Type(t) if names.contains(&&t.ident)))
                .cloned()
                .collect();
            if generics.params.is_empty() {
                generics.lt_token = None;
                generics.gt_token = None;
            }
            // `Self::f::<T>` and `self.f::<T>(..)` of the generated code name them too.
            BlockArguments(&names).visit_block_mut(&mut method.block);
        }
    }
    let items = &block.items;
    quote!(#(#items)*)
}

/// Drops the block's type parameters from the generic arguments of calls of the block's
/// methods (`Self::f::<T>`, `self.f::<T>(..)`).
struct BlockArguments<'a>(&'a [&'a syn::Ident]);

impl BlockArguments<'_> {
    fn filter(&self, args: &mut syn::AngleBracketedGenericArguments) {
        args.args = args
            .args
            .iter()
            .filter(|a| {
                !matches!(a, syn::GenericArgument::Type(syn::Type::Path(p))
                    if p.qself.is_none() && self.0.iter().any(|n| p.path.is_ident(*n)))
            })
            .cloned()
            .collect();
    }
}

impl syn::visit_mut::VisitMut for BlockArguments<'_> {
    fn visit_expr_path_mut(&mut self, e: &mut syn::ExprPath) {
        let segments = &mut e.path.segments;
        if segments.len() == 2 && segments[0].ident == "Self" {
            if let syn::PathArguments::AngleBracketed(args) = &mut segments[1].arguments {
                self.filter(args);
                if args.args.is_empty() {
                    segments[1].arguments = syn::PathArguments::None;
                }
            }
        }
        syn::visit_mut::visit_expr_path_mut(self, e);
    }
    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        let on_self = matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident("self"));
        if let (true, Some(args)) = (on_self, &mut call.turbofish) {
            self.filter(args);
            if args.args.is_empty() {
                call.turbofish = None;
            }
        }
        syn::visit_mut::visit_expr_method_call_mut(self, call);
    }
}

/// `#[custom_vjp(rule)]` on a method of a marked block: its `f_vjp` (a method of the
/// block, which `self.f(..)` in a differentiated method calls) and its gradient struct
/// (to go beside the block), or the errors.
fn custom_method(
    attr: syn::Attribute,
    method: &syn::ImplItemFn,
    self_ty: &syn::Type,
    type_name: &str,
    impl_generics: &syn::Generics,
) -> (TokenStream, TokenStream) {
    let rule = match &attr.meta {
        syn::Meta::List(list) => syn::parse2::<crate::custom::Rules>(list.tokens.clone()).ok(),
        _ => None,
    };
    let Some(rule) = rule else {
        let error = syn::Error::new_spanned(
            &attr,
            "name the hand-written rule: `#[custom_vjp(my_rule)]`, where `fn my_rule(&Self, <the other parameters>, seed) -> (Self, <the other gradients>)`",
        );
        return (TokenStream::new(), error.to_compile_error());
    };
    let function = ItemFn {
        attrs: method.attrs.clone(),
        vis: method.vis.clone(),
        sig: with_impl_generics(&method.sig, impl_generics),
        block: Box::new(method.block.clone()),
    };
    let options = parse::Options {
        self_ty: Some(self_ty.clone()),
        ..Default::default()
    };
    let names = ItemNames::for_method(type_name, &function.sig.ident);
    match crate::custom::items(&rule, &function, &options, &names) {
        Ok(items) => items,
        Err(errors) => (TokenStream::new(), errors),
    }
}

/// `hessian` on a function that calls itself: its generic copy (over dual numbers) would
/// call the `f64` function, so the recursion is reported here instead of by rustc.
fn recursion_in_hessian(function: &ItemFn, errors: &mut Errors) {
    struct Calls<'a>(&'a syn::Ident, Option<proc_macro2::Span>);
    impl<'ast> syn::visit::Visit<'ast> for Calls<'_> {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*call.func {
                if p.path.is_ident(self.0) && self.1.is_none() {
                    self.1 = Some(syn::spanned::Spanned::span(&call.func));
                }
            }
            syn::visit::visit_expr_call(self, call);
        }
    }
    let mut calls = Calls(&function.sig.ident, None);
    syn::visit::Visit::visit_block(&mut calls, &function.block);
    if let Some(span) = calls.1 {
        errors.at_span(
            span,
            "`hessian` on a recursive function is not supported yet; remove `hessian` (f_grad and f_jvp support recursion), or write the recursion as a loop",
        );
    }
}

fn is_custom_vjp(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "custom_vjp")
}

fn is_differentiate(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "differentiate")
}

/// The generated functions (or errors and stubs) and the gradient struct of `function`,
/// and whether it differentiated without errors.
fn differentiate_function(
    function: &ItemFn,
    options: &parse::Options,
    names: &ItemNames,
    mut errors: Errors,
) -> (TokenStream, TokenStream, bool) {
    reserved_names(
        function.to_token_stream(),
        &mut Default::default(),
        &mut errors,
    );
    differentiate_checked(function, options, names, errors)
}

/// [`differentiate_function`] of a function whose names are checked (or generated).
fn differentiate_checked(
    function: &ItemFn,
    options: &parse::Options,
    names: &ItemNames,
    mut errors: Errors,
) -> (TokenStream, TokenStream, bool) {
    let desugared = ItemFn {
        block: Box::new(desugar::desugar(
            &function.block,
            &type_parameters(function),
            concrete_float(&function.sig).as_ref(),
            &mut errors,
        )),
        ..function.clone()
    };
    let function = &desugared;
    let Some(sig) = parse::signature(function, options, &mut errors) else {
        return (errors.to_compile_errors(), TokenStream::new(), false);
    };
    let names = names.clone();
    let mut body = lower::lower(&sig, &mut errors);
    crate::replay::dissolve_copies(&mut body);
    let activity = analyse::analyse(&body, &sig, &mut errors);
    if options.hessian.is_some() {
        analyse::float_casts_in_hessian(&body, &activity, &mut errors);
        analyse::condition_calls_in_hessian(&body, &activity, &mut errors);
    }
    let generated = errors.is_empty().then(|| {
        let declared: Vec<_> = sig
            .params
            .iter()
            .zip(&body.params)
            .filter(|(p, _)| p.differentiated)
            .map(|(_, v)| *v)
            .collect();
        let integers = analyse::integers(&body, &sig);
        let fusing = crate::strategy::loops(&sig, &body, &activity, &integers);
        let sweep = reverse::reverse(&body, &activity, &declared, &fusing.unfused());
        let strategy = crate::strategy::plan(&sig, &body, &activity, &sweep);
        let emitter = Emitter::new(&sig, &body, &activity, &sweep, &strategy);
        // `f_vjp` knows its seed before its forward sweep: its loops that only accumulate
        // run their reverse iterations inside the forward ones (`strategy::Fusion`).
        let fused_sweep = (!fusing.fused.is_empty())
            .then(|| reverse::reverse(&body, &activity, &declared, &fusing));
        let fused_strategy = fused_sweep
            .as_ref()
            .map(|sweep| crate::strategy::plan(&sig, &body, &activity, sweep));
        let fused_emitter = fused_sweep
            .as_ref()
            .zip(fused_strategy.as_ref())
            .map(|(sweep, strategy)| Emitter::new(&sig, &body, &activity, sweep, strategy));
        let vjp_emitter = fused_emitter.as_ref().unwrap_or(&emitter);
        // Calls of functions that may not be marked: fallbacks that say so at the call.
        let callees = unmarked::callees(&body, &function.sig.ident);
        let vjp_body = unmarked::guard(vjp_emitter.vjp_body(&names), &callees);
        let pullback_body = unmarked::guard(
            emitter.pullback_body(&names, &grad_type(&sig, &names), None),
            &callees,
        );
        let pullback = pullback_function(&sig, &names, Some(emitter.needs()), pullback_body);
        // With calls of functions that may be unmarked, a second copy of the body would
        // report each such call once more: the loop pullback keeps the pullback's closure.
        let loop_pullback_body = match callees.is_empty() {
            true => emitter.pullback_body(
                &names,
                &grad_type(&sig, &names),
                Some(&loop_pullback_params(&sig)),
            ),
            false => loop_pullback_of_pullback(&sig, emitter.needs()),
        };
        let loop_pullback =
            loop_pullback_function(&sig, &names, Some(emitter.needs()), loop_pullback_body);
        let functions = functions(&sig, &names, emitter.seed(), vjp_body);
        let jvp = match crate::forward::jvp(&emitter) {
            crate::forward::Jvp::Forward(body) => {
                crate::forward::Jvp::Forward(unmarked::guard(body, &callees))
            }
            other => other,
        };
        // `f_jacobian` uses forward sweeps when `f_jvp` has a forward sweep.
        let forward = matches!(jvp, crate::forward::Jvp::Forward(_));
        // Without calls (see `shared_reverse`), so no unmarked callee to guard.
        let shared = emitter.shared_reverse(&names, &grad_type(&sig, &names));
        let jacobian = crate::jacobian::jacobian_function(&sig, &names, forward, shared);
        let jvp = crate::forward::items(&sig, &names, jvp, Some(&emitter.tangent_param));
        let fused_errors = fused_emitter.iter().flat_map(Emitter::internal_errors);
        for what in emitter.internal_errors().into_iter().chain(fused_errors) {
            errors.internal(&what);
        }
        quote!(#functions #jvp #pullback #loop_pullback #jacobian)
    });
    let grad_struct = grad_struct(&sig, &names);
    // The gradient struct's `Parameters`; `f_jacobian` beside errors (stubs) too.
    let parameters = crate::jacobian::parameters_impl(&sig, &names);
    let grad_struct = quote!(#grad_struct #parameters);
    match generated {
        Some(functions) if errors.is_empty() => (functions, grad_struct, true),
        _ => {
            // Hygienic: a parameter named `seed` stays the user's.
            let seed = syn::Ident::new("seed", proc_macro2::Span::mixed_site());
            let stubs = functions(&sig, &names, &seed, quote!(::core::unreachable!()));
            let pullback = pullback_stub(&sig, &names);
            let jvp = crate::forward::items(&sig, &names, crate::forward::Jvp::Stub, None);
            let errors = errors.to_compile_errors();
            let jacobian = crate::jacobian::jacobian_function(&sig, &names, false, None);
            (
                quote!(#errors #stubs #jvp #pullback #jacobian),
                grad_struct,
                false,
            )
        }
    }
}

/// `f64` or `f32`, when the signature names one of them and not the other.
fn concrete_float(sig: &syn::Signature) -> Option<syn::Ident> {
    fn names(tokens: TokenStream, found: &mut Vec<String>) {
        for tree in tokens {
            match tree {
                proc_macro2::TokenTree::Ident(ident) if ident == "f64" || ident == "f32" => {
                    found.push(ident.to_string());
                }
                proc_macro2::TokenTree::Group(group) => names(group.stream(), found),
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    names(sig.to_token_stream(), &mut found);
    found.sort();
    found.dedup();
    match found.as_slice() {
        [one] => Some(syn::Ident::new(one, proc_macro2::Span::call_site())),
        _ => None,
    }
}

/// The names of the function's type parameters (whose associated functions, as in
/// `T::max`, the pre-pass may call as float methods).
fn type_parameters(function: &ItemFn) -> Vec<syn::Ident> {
    function
        .sig
        .generics
        .type_params()
        .map(|p| p.ident.clone())
        .collect()
}

/// Names starting with `__tapeless` are the generated code's own (placeholders of
/// lowering, the pullbacks' lifetime): a user's would be confused with them.
/// Each name is reported once, at its first occurrence.
fn reserved_names(
    tokens: TokenStream,
    reported: &mut std::collections::HashSet<String>,
    errors: &mut Errors,
) {
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(ident)
                if ident.to_string().starts_with("__tapeless")
                    && reported.insert(ident.to_string()) =>
            {
                errors.at(&ident, format!("`{ident}`: names starting with `__tapeless` are reserved for the code #[differentiate] generates; rename it"));
            }
            proc_macro2::TokenTree::Group(group) => {
                reserved_names(group.stream(), reported, errors)
            }
            _ => {}
        }
    }
}

pub fn grad_struct(sig: &Signature, names: &ItemNames) -> TokenStream {
    let function = &sig.item.sig.ident;
    let vis = &sig.item.vis;
    let grad_struct = &names.grad_struct;
    let fields: Vec<_> = sig.params.iter().filter(|p| p.differentiated).collect();
    let all_scalar = fields
        .iter()
        .all(|p| p.grad_ty.as_ref().is_some_and(|t| sig.floats().scalar(t)));
    let copy = all_scalar.then(|| quote!(Copy,));
    let generic_params = struct_generics(sig);
    let struct_generics = (!generic_params.is_empty()).then(|| quote!(<#(#generic_params),*>));
    let grad_type = grad_type(sig, names);
    // A struct's gradient is the struct, which may not implement these.
    // `Default` is implemented for arrays of each length, not for `[T; N]` of a const
    // generic `N`.
    let default = (!generic_params
        .iter()
        .any(|p| matches!(p, syn::GenericParam::Const(_))))
    .then(|| quote!(Default));
    let derives = (!fields.iter().any(|p| sig.floats().needs_check(&p.ty)))
        .then(|| quote!(#[derive(Debug, Clone, #copy PartialEq, #default)]));
    let field_tokens = fields.iter().map(|p| {
        let (ident, ty) = (&p.field(), &p.grad_ty);
        let doc = format!("∂{function}/∂{ident}.");
        quote!(#[doc = #doc] pub #ident: #ty)
    });
    let doc = format!(
        "The gradient of [`{function}`]: one field per differentiated parameter, made by [`{}`] and [`{}`].",
        names.grad_fn, names.vjp_fn
    );
    // The gradient of each parameter in order, for callers that are differentiated too:
    // their reverse sweep calls `f_vjp` and takes the gradient of each argument by
    // position. Data parameters have none (`()`); a float parameter left out by `wrt` has
    // `NotDifferentiated`, which cannot flow into a differentiated argument.
    let (types, values): (Vec<_>, Vec<_>) = sig
        .params
        .iter()
        .map(|p| match (&p.grad_ty, p.differentiated) {
            (Some(ty), true) => {
                let ident = p.field();
                (quote!(#ty), quote!(self.#ident))
            }
            (Some(_), false) => (
                quote!(::tapeless::__private::NotDifferentiated),
                quote!(::tapeless::__private::NotDifferentiated),
            ),
            (None, _) => (quote!(()), quote!(())),
        })
        .unzip();
    quote! {
        #[doc = #doc]
        #derives
        #vis struct #grad_struct #struct_generics {
            #(#field_tokens,)*
        }

        impl #struct_generics #grad_type {
            /// The gradient of each parameter, in order (for differentiated callers).
            #[doc(hidden)]
            #[inline(always)]
            #[allow(clippy::unused_unit)]
            pub fn __tapeless_arguments(self) -> (#(#types,)*) {
                (#(#values,)*)
            }
        }
    }
}

/// The generic parameters of the gradient struct: those of the function that its fields'
/// types mention (`T` in `FGrad<T>`, `N` for a `[f64; N]` field).
pub fn struct_generics(sig: &Signature) -> Vec<syn::GenericParam> {
    let mut mentioned = std::collections::HashSet::new();
    for p in sig.params.iter().filter(|p| p.differentiated) {
        let ty = &p.grad_ty;
        collect_idents(quote!(#ty), &mut mentioned);
    }
    sig.item
        .sig
        .generics
        .params
        .iter()
        .filter_map(|g| match g {
            // With its bounds (also those of the `where` clause): a field's type may need
            // them (`P<T>` of a `struct P<T: Float>`).
            syn::GenericParam::Type(t) if mentioned.contains(&t.ident.to_string()) => {
                let ident = &t.ident;
                let mut bounds: Vec<&syn::TypeParamBound> = t.bounds.iter().collect();
                if let Some(clause) = &sig.item.sig.generics.where_clause {
                    for predicate in &clause.predicates {
                        if let syn::WherePredicate::Type(p) = predicate {
                            if matches!(&p.bounded_ty, syn::Type::Path(b) if b.path.is_ident(ident))
                            {
                                bounds.extend(p.bounds.iter());
                            }
                        }
                    }
                }
                // Lifetime bounds name the function's lifetimes, which the struct has not.
                bounds.retain(|b| !matches!(b, syn::TypeParamBound::Lifetime(_)));
                if bounds.is_empty() {
                    Some(syn::parse_quote!(#ident))
                } else {
                    Some(syn::parse_quote!(#ident: #(#bounds)+*))
                }
            }
            syn::GenericParam::Const(c) if mentioned.contains(&c.ident.to_string()) => {
                let mut c = c.clone();
                c.default = None;
                c.eq_token = None;
                Some(syn::GenericParam::Const(c))
            }
            _ => None,
        })
        .collect()
}

fn collect_idents(tokens: TokenStream, out: &mut std::collections::HashSet<String>) {
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => collect_idents(g.stream(), out),
            _ => {}
        }
    }
}

/// `FGrad`, or `FGrad<T, N>` for a generic function.
pub fn grad_type(sig: &Signature, names: &ItemNames) -> TokenStream {
    let grad_struct = &names.grad_struct;
    let args = struct_generics(sig).into_iter().map(|g| match g {
        syn::GenericParam::Type(t) => t.ident.to_token_stream(),
        syn::GenericParam::Const(c) => c.ident.to_token_stream(),
        syn::GenericParam::Lifetime(l) => l.lifetime.to_token_stream(),
    });
    let args: Vec<_> = args.collect();
    if args.is_empty() {
        quote!(#grad_struct)
    } else {
        quote!(#grad_struct<#(#args),*>)
    }
}

/// The function's `where` clause, plus, for each float type parameter `T`, what the rules
/// need of it (all of which `f32` and `f64` have).
pub fn where_clause(sig: &Signature) -> TokenStream {
    let existing = sig
        .item
        .sig
        .generics
        .where_clause
        .as_ref()
        .map(|w| w.predicates.iter().collect::<Vec<_>>())
        .unwrap_or_default();
    let ours = sig.float_generics.iter().map(float_bounds);
    // `f_jvp` through the gradient takes ⟨g, t⟩ of a parameter that may hold several of
    // the float types (`Pair<T, S>`) in the result's: each converts to each.
    let generics = &sig.float_generics;
    let across = generics.iter().flat_map(|t| {
        generics
            .iter()
            .filter(move |u| *u != t)
            .map(move |u| quote!(#t: ::tapeless::__private::TangentDot<#u>))
    });
    let all: Vec<TokenStream> = existing
        .iter()
        .map(|p| quote!(#p))
        .chain(ours)
        .chain(across)
        .collect();
    if all.is_empty() {
        TokenStream::new()
    } else {
        quote!(where #(#all),*)
    }
}

/// What the generated code asks of a float type parameter `t`: what the rule table's rows
/// need of it (operator rules, elementwise rules), and the traits of adjoints.
pub fn float_bounds(t: &syn::Ident) -> TokenStream {
    let bounds = crate::rules::generic_bounds();
    let rows = bounds.iter().map(|bound| match bound {
        crate::rules::Bound::Float(name) => {
            let name = quote::format_ident!("{name}");
            quote!(#t: ::tapeless::runtime::#name)
        }
    });
    quote! {
        #t: ::tapeless::Real
            + ::tapeless::runtime::FixedZero
            + ::tapeless::Differentiable<Grad = #t>
            + ::tapeless::Accumulate
            // The forward mode of a `#[custom_vjp]` callee goes through its gradient.
            + ::tapeless::Parameters<#t>
            + ::tapeless::__private::TangentDot<#t>
            // Operands of unknown type go through `by_operand` (scalars by value).
            + for<'__tapeless_operand> ::tapeless::__private::Operand<'__tapeless_operand, Out = #t>,
        #(#rows),*
    }
}

/// `__f_pullback`: `f`'s parameters (a method's receiver too) with every elided lifetime named
/// `'__tapeless`, returning the value and the reverse sweep as a closure of the seed
/// (callers keep it between their forward and reverse sweeps: split mode).
pub fn pullback_function(
    sig: &Signature,
    names: &ItemNames,
    needs: Option<&syn::Ident>,
    body: TokenStream,
) -> TokenStream {
    pullback_item(sig, names, needs, body, false)
}

/// `__f_pullback_in_loop`: as `__f_pullback`, but its closure takes the arguments again
/// before the seed (all but the receiver; see `Emitter::pullback_body`): what a
/// caller's loop keeps per iteration.
pub fn loop_pullback_function(
    sig: &Signature,
    names: &ItemNames,
    needs: Option<&syn::Ident>,
    body: TokenStream,
) -> TokenStream {
    pullback_item(sig, names, needs, body, true)
}

/// A loop pullback that keeps the pullback's closure (and ignores the arguments handed
/// back): `let (value, pullback) = __f_pullback(x, needs); (value, move |_, seed| pullback(seed))`.
fn loop_pullback_of_pullback(sig: &Signature, needs: &syn::Ident) -> TokenStream {
    let function = crate::emit::pullback_ident(&sig.item.sig.ident);
    let mut method = false;
    let args: Vec<TokenStream> = sig
        .item
        .sig
        .inputs
        .iter()
        .map(|input| match input {
            syn::FnArg::Typed(t) => match &*t.pat {
                syn::Pat::Ident(i) => i.ident.to_token_stream(),
                other => other.to_token_stream(),
            },
            syn::FnArg::Receiver(_) => {
                method = true;
                quote!(self)
            }
        })
        .collect();
    let path = match sig.in_impl {
        true => quote!(Self::#function),
        false => quote!(#function),
    };
    let ignored = args.iter().skip(usize::from(method)).map(|_| quote!(_));
    let seed = syn::Ident::new("seed", proc_macro2::Span::mixed_site());
    let value = syn::Ident::new("value", proc_macro2::Span::mixed_site());
    let pullback = syn::Ident::new("pullback", proc_macro2::Span::mixed_site());
    quote! {
        let (#value, #pullback) = #path(#(#args,)* #needs);
        (#value, move |#(#ignored,)* #seed| #pullback(#seed))
    }
}

/// The parameters of a loop pullback's closure, `x: f64, ys: &'__tapeless [f64]`: the
/// function's own, the receiver aside, with the lifetimes its pullback names.
pub fn loop_pullback_params(sig: &Signature) -> Vec<TokenStream> {
    named_signature(sig)
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(t) => Some(t.to_token_stream()),
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

/// The function's signature with every elided lifetime named `'__tapeless`.
fn named_signature(sig: &Signature) -> syn::Signature {
    let lifetime: syn::Lifetime = syn::parse_quote!('__tapeless);
    let mut signature = sig.item.sig.clone();
    NameLifetimes(&lifetime).visit_signature_mut(&mut signature);
    signature
}

fn pullback_item(
    sig: &Signature,
    names: &ItemNames,
    needs: Option<&syn::Ident>,
    body: TokenStream,
    given: bool,
) -> TokenStream {
    let item = sig.item;
    let lifetime: syn::Lifetime = syn::parse_quote!('__tapeless);
    let mut signature = named_signature(sig);
    let outlives: Vec<TokenStream> = signature
        .generics
        .lifetimes()
        .map(|l| {
            let l = &l.lifetime;
            quote!(#l: #lifetime)
        })
        .collect();
    signature
        .generics
        .params
        .insert(0, syn::parse_quote!(#lifetime));
    let generics = &signature.generics;
    let params = signature.inputs.iter();
    // Which arguments' gradients the caller uses.
    let count = sig.params.len();
    let needs = match needs {
        Some(needs) => quote!(#needs: [bool; #count]),
        None => quote!(_: [bool; #count]),
    };
    let (ret, seed) = (&sig.ret, &sig.seed);
    let grad_type = grad_type(sig, names);
    let (name, given) = match given {
        true => {
            let types = signature.inputs.iter().filter_map(|input| match input {
                syn::FnArg::Typed(t) => Some(&t.ty),
                syn::FnArg::Receiver(_) => None,
            });
            let types: Vec<TokenStream> = types.map(|t| quote!(#t,)).collect();
            (crate::emit::loop_pullback_ident(&item.sig.ident), types)
        }
        false => (crate::emit::pullback_ident(&item.sig.ident), Vec::new()),
    };
    let vis = &item.vis;
    let where_clause = where_clause(sig);
    let where_clause = match (where_clause.is_empty(), outlives.is_empty()) {
        (_, true) => where_clause,
        (true, false) => quote!(where #(#outlives),*),
        (false, false) => quote!(#where_clause, #(#outlives),*),
    };
    quote! {
        #[doc(hidden)]
        #[allow(unused_variables, unused_mut, unused_parens, unused_braces, unreachable_code, clippy::all)]
        #vis fn #name #generics (#(#params,)* #needs)
            -> (#ret, impl ::core::ops::FnOnce(#(#given)* #seed) -> #grad_type + #lifetime)
            #where_clause
        {
            #body
        }
    }
}

/// Names every elided lifetime (`&T`, `'_`) in a signature.
struct NameLifetimes<'l>(&'l syn::Lifetime);

impl syn::visit_mut::VisitMut for NameLifetimes<'_> {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.0.clone());
        }
        syn::visit_mut::visit_type_reference_mut(self, r);
    }
    fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
        if l.ident == "_" {
            *l = self.0.clone();
        }
    }
    fn visit_receiver_mut(&mut self, r: &mut syn::Receiver) {
        if let Some((_, lifetime @ None)) = &mut r.reference {
            *lifetime = Some(self.0.clone());
        }
        syn::visit_mut::visit_receiver_mut(self, r);
    }
    fn visit_block_mut(&mut self, _: &mut syn::Block) {}
}

/// The stubs of `__f_pullback` and `__f_pullback_in_loop` emitted beside errors.
pub fn pullback_stub(sig: &Signature, names: &ItemNames) -> TokenStream {
    let grad_type = grad_type(sig, names);
    let pullback = pullback_function(
        sig,
        names,
        None,
        quote!((::core::unreachable!(), move |_| -> #grad_type { ::core::unreachable!() })),
    );
    let given = loop_pullback_params(sig);
    let loop_pullback = loop_pullback_function(
        sig,
        names,
        None,
        quote!((::core::unreachable!(), move |#(#given,)* _| -> #grad_type { ::core::unreachable!() })),
    );
    quote!(#pullback #loop_pullback)
}

pub fn functions(
    sig: &Signature,
    names: &ItemNames,
    seed: &syn::Ident,
    vjp_body: TokenStream,
) -> TokenStream {
    let item = sig.item;
    let function = &item.sig.ident;
    let vis = &item.vis;
    let generics = &item.sig.generics;
    let where_clause = where_clause(sig);
    let grad_type = grad_type(sig, names);
    let grad_params = plain_parameters(&item.sig, false);
    let params = plain_parameters(&item.sig, true);
    let args = parameter_names(&item.sig);
    let (ret, seed_type) = (&sig.ret, &sig.seed);
    // A method's `f_grad` calls `f_vjp` as an associated function.
    let call_prefix = sig.in_impl.then(|| quote!(Self::));
    // A parameter of a struct type is differentiated when the struct derives
    // `Differentiable`; checked here, so that the error points at the parameter's type.
    let checks = sig
        .params
        .iter()
        .filter(|p| p.differentiated && sig.floats().needs_check(&p.ty))
        .map(|p| {
            let ty = match &p.ty {
                syn::Type::Reference(r) => &*r.elem,
                ty => ty,
            };
            quote::quote_spanned!(ty.span()=> ::tapeless::__private::assert_differentiable::<#ty>();)
        });
    let ItemNames {
        grad_struct,
        grad_fn,
        vjp_fn,
    } = names;
    let grad_doc = format!(
        "The value of [`{function}`] and its gradient (see [`{grad_struct}`]), computed by a tape-free reverse sweep generated by `#[differentiate]`."
    );
    let vjp_doc = format!(
        "The value of [`{function}`] and `{seed}` times its gradient (the vector-Jacobian product): the forward sweep of `{function}` followed by its reverse sweep."
    );
    // The gradient is the vector-Jacobian product with seed one, so it exists for a
    // scalar result only.
    let grad_fn = sig.scalar_ret.then(|| {
        quote! {
            #[doc = #grad_doc]
            #[inline]
            #[allow(dead_code, clippy::all)]
            #vis fn #grad_fn #generics (#(#grad_params),*) -> (#ret, #grad_type) #where_clause {
                #call_prefix #vjp_fn(#(#args,)* ::tapeless::__private::one())
            }
        }
    });
    // The primal, named once (a zero-sized function item): a function that a crate uses
    // only through its gradient is then not dead code.
    let generic_args: Vec<TokenStream> = generics
        .params
        .iter()
        .filter_map(|p| match p {
            syn::GenericParam::Type(t) => Some(t.ident.to_token_stream()),
            syn::GenericParam::Const(c) => Some(c.ident.to_token_stream()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    let turbofish = (!generic_args.is_empty()).then(|| quote!(::<#(#generic_args),*>));
    let primal = quote!(let _ = #call_prefix #function #turbofish;);
    quote! {
        #grad_fn

        #[doc = #vjp_doc]
        #[allow(dead_code, unused_variables, unused_mut, unused_parens, unused_braces, clippy::all)]
        #vis fn #vjp_fn #generics (#(#params,)* #seed: #seed_type) -> (#ret, #grad_type) #where_clause {
            #primal
            #(#checks)*
            #vjp_body
        }
    }
}
