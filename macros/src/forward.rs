//! Stage 4b: forward mode, `f_jvp`.
//!
//! A second transformation over the same lowered [`Body`](crate::ir::Body) and activity as
//! the reverse mode: one forward sweep that carries, beside each active value `x`, its
//! tangent `x_dot` (ẋ). The primal statements are printed by the emitter's forward sweep
//! exactly as `f` computes them (so `f_jvp`'s value is `f`'s, bit for bit); with the
//! emitter's `forward` state on, it calls the functions of this module after each active
//! statement to print the tangent's:
//!
//! - a rule `y = op(a, b)`: ẏ is the sum, over the active arguments, of the forward helper
//!   of the argument's row (`{helper}_jvp[_{arg}](reads.., &ȧ)`, the VJP helper's name with
//!   `_vjp` → `_jvp`: the same linear map, reading the same values); structural forms (a
//!   copy, a field, an element, a tuple, a cast) are written inline;
//! - a call of a differentiated function: its `__f_jvp_arguments`, which builds the callee's
//!   tangent struct from the arguments' tangents (an inactive argument's is zero);
//! - `if`: the merged values' tangents are merged with them; loops: a carried value's
//!   tangent is carried with it (set before the loop, updated at every `Next`); an array
//!   written in place has a tangent array written in place (an inactive value stored into
//!   it zeroes that element's tangent).
//!
//! No tape, no stacks, and no allocation beyond the primal's for scalar and fixed-size code.
//! What this module cannot print yet marks the sweep unsupported; `f_jvp` then goes through
//! one reverse sweep for a scalar output (⟨∇f, tangent⟩) or, for other outputs, is a function
//! whose call is a compile error naming forward mode (see [`items`]).

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::ext::IdentExt;

use crate::emit::{parameter_names, plain_parameters, Emitter, ItemNames};
use crate::ir::{Arg, Carried, Form, Kind, Merge, Op, Operand, VarId, TOP};
use crate::parse::Signature;
use crate::rules::Need;

/// The forward mode's state while the emitter prints `f_jvp`.
#[derive(Default)]
pub struct State {
    on: Cell<bool>,
    /// Tangents bound as references (`let x_dot = &tangent.x;`, `&p_dot.w`).
    refs: RefCell<HashSet<VarId>>,
    /// The constructs met that forward mode does not print yet.
    unsupported: RefCell<Vec<String>>,
}

impl State {
    pub fn on(&self) -> bool {
        self.on.get()
    }
}

/// How `f_jvp` is computed.
pub enum Jvp {
    /// One forward sweep carrying tangents: the body.
    Forward(TokenStream),
    /// ⟨∇f, tangent⟩ through `f_vjp` (a scalar output): what forward mode does not handle.
    Fallback(Vec<String>),
    /// A vector-like output that forward mode does not handle: ẏ = Σᵢ eᵢ·⟨∇yᵢ, tangent⟩
    /// through one `f_vjp` per component (with `alloc`).
    Rows(Vec<String>),
    /// Another output that forward mode does not handle: calling `f_jvp` is an error.
    Unsupported(Vec<String>),
    /// A `#[custom_vjp(rule, jvp = forward_rule)]` function: the body calls the forward rule.
    Custom(TokenStream),
    /// Beside other errors: a stub of the right signature.
    Stub,
}

fn private() -> TokenStream {
    quote!(::tapeless::__private)
}

/// Records a construct forward mode does not print yet.
fn unsupported(e: &Emitter, what: &str) -> TokenStream {
    let mut list = e.forward.unsupported.borrow_mut();
    if !list.iter().any(|w| w == what) {
        list.push(what.to_string());
    }
    TokenStream::new()
}

fn has_tangent(e: &Emitter, var: VarId) -> bool {
    e.active.contains(&var) && e.tangents.contains_key(&var)
}

fn tangent_name(e: &Emitter, var: VarId) -> TokenStream {
    match e.tangents.get(&var) {
        Some(name) => name.to_token_stream(),
        None => unsupported(e, "a value without a tangent"),
    }
}

/// `&x_dot` (or `x_dot` when it is a reference already).
fn tangent_ref(e: &Emitter, var: VarId) -> TokenStream {
    let name = tangent_name(e, var);
    if e.forward.refs.borrow().contains(&var) {
        name
    } else {
        quote!(&#name)
    }
}

/// ẋ as an owned value (copied or cloned).
fn tangent_owned(e: &Emitter, var: VarId) -> TokenStream {
    let name = tangent_name(e, var);
    if e.forward.refs.borrow().contains(&var) {
        quote!(::core::clone::Clone::clone(#name))
    } else if e.body.var(var).kind == Kind::Copy {
        name
    } else {
        quote!(::core::clone::Clone::clone(&#name))
    }
}

/// The tangent of an operand, owned: zero for a constant or an inactive value.
fn operand_tangent(e: &Emitter, operand: &Operand) -> TokenStream {
    let private = private();
    match operand {
        Operand::Var(v) if has_tangent(e, *v) => tangent_owned(e, *v),
        Operand::Var(_) => {
            let value = e.helper_argument(operand);
            quote!(#private::zeros_like(#value))
        }
        Operand::Const(_) => quote!(#private::zero()),
    }
}

/// The tangent statements of `let var = op;` (printed after it).
pub fn tangent_of_let(e: &Emitter, var: VarId, op: &Op) -> TokenStream {
    if !has_tangent(e, var) {
        return TokenStream::new();
    }
    let private = private();
    let name = tangent_name(e, var);
    let mutable = e.body.var(var).memory.then(|| quote!(mut));
    let Op::Rule { rule, form, args } = op else {
        return match op.uses().iter().any(|u| has_tangent(e, *u)) {
            false => constant(e, var),
            true => unsupported(e, "an operation without a rule on an active value"),
        };
    };
    let active: Vec<usize> = (0..args.len())
        .filter(|i| rule.differentiable(*i))
        .filter(|i| args[*i].value.var().is_some_and(|v| has_tangent(e, v)))
        .collect();
    let Some(&first) = active.first() else {
        return constant(e, var);
    };
    let arg = |i: usize| args[i].value.var().unwrap_or(var);
    match form {
        Form::Field(members) => {
            let base = tangent_name(e, arg(0));
            e.forward.refs.borrow_mut().insert(var);
            quote!(let #name = &#base #(.#members)*;)
        }
        Form::FieldClone(member) => {
            let base = tangent_name(e, arg(0));
            quote!(let #mutable #name = ::core::clone::Clone::clone(&#base.#member);)
        }
        Form::Tuple => {
            // An inactive element's tangent is a zero of its type, read from the tuple (`2.0`
            // may be an `f32`; an integer's or a boolean's is `()`), so the tangent has the
            // tuple's gradient type wherever it goes (merged, carried, returned, passed).
            let primal = e.name(var);
            let elements = args.iter().enumerate().map(|(i, a)| match a.value.var() {
                Some(v) if has_tangent(e, v) => tangent_owned(e, v),
                _ => {
                    let i = syn::Index::from(i);
                    quote!(#private::zeros_like(&#primal.#i))
                }
            });
            quote!(let #mutable #name = (#(#elements,)*);)
        }
        Form::Index => {
            let base = tangent_name(e, arg(0));
            let indices = args[1..].iter().map(|a| e.plain_operand(&a.value));
            let element = quote!(#base #([#indices])*);
            if e.body.var(var).kind == Kind::Copy {
                quote!(let #mutable #name = #element;)
            } else {
                quote!(let #mutable #name = ::core::clone::Clone::clone(&#element);)
            }
        }
        Form::Copy | Form::Unary(syn::UnOp::Deref(_)) => {
            let value = tangent_owned(e, arg(0));
            quote!(let #mutable #name = #value;)
        }
        Form::Method { .. } if rule.helper == "copy" => {
            let value = tangent_owned(e, arg(0));
            quote!(let #mutable #name = #value;)
        }
        // The conversion is linear, so the tangent is converted alike (an integer's, `()`,
        // gives zero).
        Form::Cast(ty) => {
            let value = tangent_ref(e, arg(0));
            quote!(let #name: #ty = #private::cast_jvp(#value);)
        }
        // `f64::from(k)`: typed by the primal result.
        Form::Call(_) if rule.helper == "cast" => {
            let value = tangent_ref(e, arg(0));
            let primal = e.name(var);
            quote!(let #name = #private::cast_jvp_like(#value, &#primal);)
        }
        _ => {
            let contribution = |i: usize| {
                let helper = rule.helper_for(i).replacen("_vjp", "_jvp", 1);
                let helper = Ident::new(&helper, Span::call_site());
                let needs = rule.jvp_needs(i).iter().map(|need| match need {
                    Need::Arg(j) => e.helper_argument(&args[*j].value),
                    Need::Out => e.helper_argument(&Operand::Var(var)),
                });
                let tangent = tangent_ref(e, arg(i));
                quote!(#private::#helper(#(#needs,)* #tangent))
            };
            let first = contribution(first);
            let rest: Vec<TokenStream> = active[1..].iter().map(|i| contribution(*i)).collect();
            if rest.is_empty() {
                quote!(let #mutable #name = #first;)
            } else if e.scalar_rule_result(var) {
                quote!(let #name = #first #(+ #rest)*;)
            } else {
                let sum = rest
                    .iter()
                    .fold(first, |sum, c| quote!(#private::add_tangents(#sum, #c)));
                quote!(let #name = #sum;)
            }
        }
    }
}

/// The tangent of an active value computed from no active argument (an array that is
/// written later, `let mut a = [0.0; 3];`): zero, shaped like the value.
fn constant(e: &Emitter, var: VarId) -> TokenStream {
    let private = private();
    let name = tangent_name(e, var);
    let value = e.helper_argument(&Operand::Var(var));
    quote!(let mut #name = #private::zeros_like(#value);)
}

/// `let (y, y_dot) = __g_jvp_arguments(args.., (tangents..));` for `let y = g(args..);`.
pub fn call(e: &Emitter, var: VarId, path: &syn::ExprPath, args: &[Arg]) -> TokenStream {
    let private = private();
    let name = e.name(var);
    let mutable = e.needs_mut(var).then(|| quote!(mut));
    let tangent = tangent_name(e, var);
    let tangents = args.iter().map(|a| match a.value.var() {
        Some(v) if has_tangent(e, v) => {
            let t = tangent_owned(e, v);
            quote!(#private::Tangent(#t))
        }
        _ => quote!(#private::NoTangent),
    });
    // A method of a field's type (`p.layer.m(x)`): `p.layer.__m_jvp_arguments(x, (ṗ.layer,
    // ẋ))`, the receiver's tangent first, as `Self::__m_jvp_arguments` takes it.
    if let Some(method) = crate::ir::called_method(path) {
        let method = arguments_ident(method);
        let receiver = e.receiver(&args[0]);
        let rest = args[1..].iter().map(|a| e.call_argument(a));
        return quote!(let (#mutable #name, #tangent) = #receiver.#method(#(#rest,)* (#(#tangents,)*)););
    }
    let path = arguments_path(path);
    let all = args.iter().map(|a| e.call_argument(a));
    quote!(let (#mutable #name, #tangent) = #path(#(#all,)* (#(#tangents,)*));)
}

/// Tangent statements of `array[indices] = value;` (printed after it).
pub fn store(e: &Emitter, array: VarId, indices: &[Operand], value: &Operand) -> TokenStream {
    if !has_tangent(e, array) {
        return TokenStream::new();
    }
    let private = private();
    let name = tangent_name(e, array);
    let indices: Vec<TokenStream> = indices.iter().map(|i| e.plain_operand(i)).collect();
    let value = match value {
        Operand::Var(v) if has_tangent(e, *v) => tangent_owned(e, *v),
        _ => {
            let primal = e.name(array);
            quote!(#private::zeros_like(&#primal #([#indices])*))
        }
    };
    quote!(#name #([#indices])* = #value;)
}

/// The tangents an `if` merges: (name, then value, else value).
pub fn merges(e: &Emitter, merges: &[Merge]) -> Vec<(TokenStream, TokenStream, TokenStream)> {
    merges
        .iter()
        .filter(|m| has_tangent(e, m.var))
        .map(|m| {
            (
                tangent_name(e, m.var),
                operand_tangent(e, &m.then_value),
                operand_tangent(e, &m.else_value),
            )
        })
        .collect()
}

fn carries_tangent(e: &Emitter, c: &Carried) -> bool {
    has_tangent(e, c.phi) || has_tangent(e, c.out)
}

/// `let mut x_dot = ẋ_init;` for each carried value with a tangent, before its loop.
pub fn carried(e: &Emitter, carried: &[Carried]) -> TokenStream {
    carried
        .iter()
        .filter(|c| carries_tangent(e, c))
        .map(|c| {
            let name = tangent_name(e, c.phi);
            let init = operand_tangent(e, &c.init);
            quote!(let mut #name = #init;)
        })
        .collect()
}

/// The tangents' assignments at the end of an iteration (beside the carried values').
pub fn next(
    e: &Emitter,
    carried: &[Carried],
    values: &[Operand],
) -> Vec<(TokenStream, TokenStream)> {
    carried
        .iter()
        .zip(values)
        .filter(|(c, v)| carries_tangent(e, c) && v.var() != Some(c.phi))
        .map(|(c, v)| (tangent_name(e, c.phi), operand_tangent(e, v)))
        .collect()
}

/// The body of `f_jvp`, or why forward mode cannot print it.
pub fn jvp(e: &Emitter) -> Jvp {
    e.forward.on.set(true);
    let tangent = &e.tangent_param;
    let mut preamble = TokenStream::new();
    for (param, var) in e.sig.params.iter().zip(e.body.params.iter().copied()) {
        if !param.differentiated || !has_tangent(e, var) {
            continue;
        }
        let (name, field) = (tangent_name(e, var), param.field());
        preamble.extend(if e.body.var(var).memory {
            quote!(let mut #name = ::core::clone::Clone::clone(&#tangent.#field);)
        } else if e.body.var(var).kind == Kind::Copy {
            quote!(let #name = #tangent.#field;)
        } else {
            e.forward.refs.borrow_mut().insert(var);
            quote!(let #name = &#tangent.#field;)
        });
    }
    let sweep = e.forward_block(TOP, false, None);
    let (ret, seed) = (&e.sig.ret, &e.sig.seed);
    let out = quote::format_ident!("{}", "value_dot", span = Span::mixed_site());
    let finish = match &e.body.ret {
        Operand::Var(v) if has_tangent(e, *v) && !e.forward.refs.borrow().contains(v) => {
            let (value, derivative) = (e.name(*v), tangent_name(e, *v));
            quote!((#value, #derivative))
        }
        Operand::Var(v) => {
            let value = e.name(*v);
            let derivative = operand_tangent(e, &e.body.ret);
            quote!(let #out: #seed = #derivative; (#value, #out))
        }
        Operand::Const(c) => {
            let private = private();
            quote!((#c, #private::zeros_like::<#ret>(&#c)))
        }
    };
    e.forward.on.set(false);
    let missing = e.forward.unsupported.borrow().clone();
    if !missing.is_empty() {
        return fallback(e.sig, missing);
    }
    Jvp::Forward(quote! {
        #preamble
        #sweep
        #finish
    })
}

/// `f_jvp` through reverse sweeps, for a function whose forward sweep cannot be printed
/// (`missing` says why): one sweep for a scalar output, one per component for a vector-like
/// one; for another output (a tuple, or without `alloc`) calling `f_jvp` is an error.
pub fn fallback(sig: &Signature, missing: Vec<String>) -> Jvp {
    if sig.scalar_ret {
        Jvp::Fallback(missing)
    } else if cfg!(feature = "alloc") && rows_scalar(sig).is_some() {
        Jvp::Rows(missing)
    } else {
        Jvp::Unsupported(missing)
    }
}

/// The float type of a result whose unit seeds the runtime's `Seeds` gives, for `f_jvp`
/// through reverse sweeps: a vector-like value, or a tuple of floats and vector-like values
/// of one float type with data beside them (`(f64, [f64; 2], usize)`), whose components are
/// those of each element in turn.
fn rows_scalar(sig: &Signature) -> Option<syn::Type> {
    let floats = sig.floats();
    if floats.jacobian_output(&sig.ret) != crate::parse::JacobianOutput::None {
        return floats.jacobian_scalar(&sig.ret);
    }
    let syn::Type::Tuple(tuple) = &sig.ret else {
        return None;
    };
    let mut scalars = Vec::new();
    for t in &tuple.elems {
        if crate::parse::copy_primitive(t) {
            continue;
        }
        let vector_like =
            floats.scalar(t) || floats.jacobian_output(t) == crate::parse::JacobianOutput::Vector;
        scalars.push(vector_like.then(|| floats.jacobian_scalar(t)).flatten()?);
    }
    let first = scalars.first()?.clone();
    let key = |t: &syn::Type| t.to_token_stream().to_string();
    ((1..=4).contains(&tuple.elems.len()) && scalars.iter().all(|s| key(s) == key(&first)))
        .then_some(first)
}

/// `f_jvp`, and for a free function the hidden `__f_jvp_arguments` that differentiated
/// callers call with one tangent per argument.
pub fn items(sig: &Signature, names: &ItemNames, jvp: Jvp, tangent: Option<&Ident>) -> TokenStream {
    let item = sig.item;
    let function = &item.sig.ident;
    let vis = &item.vis;
    let generics = &item.sig.generics;
    let where_clause = crate::expand::where_clause(sig);
    let grad_type = crate::expand::grad_type(sig, names);
    let (ret, seed) = (&sig.ret, &sig.seed);
    let private = private();
    let hygienic = Ident::new("tangent", Span::mixed_site());
    let tangent = tangent.unwrap_or(&hygienic);
    let jvp_fn = format_ident!("{}_jvp", function);
    let args = parameter_names(&item.sig);
    let call_prefix = sig.in_impl.then(|| quote!(Self::));
    let vjp_fn = &names.vjp_fn;
    let (params, body, doc, bound) = match jvp {
        Jvp::Forward(body) => (
            plain_parameters(&item.sig, true),
            body,
            format!("The value of [`{function}`] and its directional derivative along `{tangent}` (the Jacobian-vector product), computed by one forward sweep that carries a tangent beside each value (forward mode, generated by `#[differentiate]`)."),
            TokenStream::new(),
        ),
        Jvp::Custom(body) => (
            plain_parameters(&item.sig, false),
            body,
            format!("The value of [`{function}`] and its directional derivative along `{tangent}` (the Jacobian-vector product), computed by the hand-written forward rule of its `#[custom_vjp]` attribute."),
            TokenStream::new(),
        ),
        Jvp::Fallback(missing) => {
            let value = Ident::new("value", Span::mixed_site());
            let gradient = Ident::new("gradient", Span::mixed_site());
            let derivative = Ident::new("derivative", Span::mixed_site());
            let fields = sig.params.iter().filter(|p| p.differentiated).map(|p| p.field());
            (
                plain_parameters(&item.sig, false),
                quote! {
                    let (#value, #gradient) = #call_prefix #vjp_fn(#(#args,)* #private::one());
                    let mut #derivative: #ret = #private::zero();
                    #(#derivative = #derivative + #private::tangent_dot::<_, #ret>(&#gradient.#fields, &#tangent.#fields);)*
                    (#value, #derivative)
                },
                format!("The value of [`{function}`] and its directional derivative along `{tangent}`: ⟨∇{function}, {tangent}⟩ through one reverse sweep (`{vjp_fn}`), because forward mode does not handle {} yet.", missing.join(", ")),
                // ⟨g, t⟩ runs over the scalars of each parameter, of any float type (the
                // bounds are in `where_clause`).
                TokenStream::new(),
            )
        }
        Jvp::Rows(missing) => {
            let value = Ident::new("value", Span::mixed_site());
            let seed = Ident::new("seed", Span::mixed_site());
            let gradient = Ident::new("gradient", Span::mixed_site());
            let derivative = Ident::new("derivative", Span::mixed_site());
            let fields: Vec<Ident> = sig.params.iter().filter(|p| p.differentiated).map(|p| p.field()).collect();
            let scalar = rows_scalar(sig).map_or_else(|| quote!(_), |s| s.to_token_stream());
            // Each sweep takes the arguments again: owned values as clones.
            let cloned: Vec<TokenStream> = sig
                .params
                .iter()
                .zip(&args)
                .map(|(p, arg)| match p.kind {
                    Kind::Owned => quote!(::core::clone::Clone::clone(&#arg)),
                    Kind::Copy | Kind::Ref => arg.clone(),
                })
                .collect();
            (
                plain_parameters(&item.sig, false),
                quote! {
                    let #value = #call_prefix #function(#(#cloned),*);
                    let #derivative = #private::tangent_by_rows::<#scalar, _>(&#value, |#seed| {
                        let (_, #gradient) = #call_prefix #vjp_fn(#(#cloned,)* #seed);
                        let mut #derivative: #scalar = #private::zero();
                        #(#derivative = #derivative + #private::tangent_dot::<_, #scalar>(&#gradient.#fields, &#tangent.#fields);)*
                        #derivative
                    });
                    (#value, #derivative)
                },
                format!("The value of [`{function}`] and its directional derivative along `{tangent}`: Σᵢ eᵢ·⟨∇{function}ᵢ, {tangent}⟩ through one reverse sweep (`{vjp_fn}`) per component of the value, because forward mode does not handle {} yet.", missing.join(", ")),
                TokenStream::new(),
            )
        }
        Jvp::Unsupported(missing) => (
            plain_parameters(&item.sig, false),
            quote!(::core::unreachable!()),
            format!("Not available yet: forward mode does not handle {}, and the output is not a scalar (calling it is a compile error; use `{vjp_fn}`).", missing.join(", ")),
            quote!(for<'__tapeless_unsupported> #private::ForwardModeUnsupported<'__tapeless_unsupported>: #private::ForwardMode),
        ),
        Jvp::Stub => (
            plain_parameters(&item.sig, false),
            quote!(::core::unreachable!()),
            String::new(),
            TokenStream::new(),
        ),
    };
    let plain_where = where_clause.clone();
    let unsupported_reason = match &bound.is_empty() {
        false if doc.starts_with("Not available yet") => Some(format!(
            "tapeless: forward mode does not support `{function}` yet: {doc}"
        )),
        _ => None,
    };
    let where_clause = match (where_clause.is_empty(), bound.is_empty()) {
        (_, true) => where_clause,
        (true, false) => quote!(where #bound),
        (false, false) => quote!(#where_clause, #bound),
    };
    // A caller's `f_jvp` calls `__f_jvp_arguments` unconditionally: the unsupported case
    // must still compile there (else the caller, `f_grad` included, would not build), so it
    // stops at run time with the reason instead of carrying the unsatisfiable bound.
    let hidden = match &unsupported_reason {
        Some(reason) => unsupported_arguments_function(sig, &plain_where, reason),
        None => arguments_function(sig, names, &jvp_fn, &where_clause),
    };
    quote! {
        #[doc = #doc]
        // Generated beside `f` whether or not the crate uses it.
        #[allow(dead_code, unused_variables, unused_mut, unused_parens, unused_braces, unreachable_code, clippy::all)]
        #vis fn #jvp_fn #generics (#(#params,)* #tangent: &#grad_type) -> (#ret, #seed) #where_clause {
            #body
        }

        #hidden
    }
}

/// `__f_jvp_arguments` of a function whose `f_jvp` is not available: it takes any
/// tangents and panics with `reason` (only a caller's `f_jvp` can reach it).
fn unsupported_arguments_function(
    sig: &Signature,
    where_clause: &TokenStream,
    reason: &str,
) -> TokenStream {
    let item = sig.item;
    let vis = &item.vis;
    let generics = &item.sig.generics;
    let (ret, seed) = (&sig.ret, &sig.seed);
    let name = arguments_ident(&item.sig.ident);
    let params = plain_parameters(&item.sig, false);
    let tangents = Ident::new("tangents", Span::mixed_site());
    let generic = Ident::new("__TapelessTangents", Span::mixed_site());
    let mut generics = generics.clone();
    generics.params.push(syn::parse_quote!(#generic));
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, unused_variables, clippy::all)]
        #vis fn #name #generics (#(#params,)* #tangents: #generic) -> (#ret, #seed) #where_clause {
            ::core::panic!(#reason)
        }
    }
}

/// `__f_jvp_arguments(args.., (tangents..))`: `f_jvp` with the tangent struct built from
/// one tangent per argument, by position (`Tangent(ẋ)`, or `NoTangent` for zero), for
/// differentiated callers, which know their arguments but not `f`'s parameter names.
pub fn arguments_function(
    sig: &Signature,
    names: &ItemNames,
    jvp_fn: &Ident,
    where_clause: &TokenStream,
) -> TokenStream {
    let item = sig.item;
    let private = private();
    let vis = &item.vis;
    let generics = &item.sig.generics;
    let (ret, seed) = (&sig.ret, &sig.seed);
    let name = arguments_ident(&item.sig.ident);
    let params = plain_parameters(&item.sig, false);
    let args = parameter_names(&item.sig);
    let tangents = Ident::new("tangents", Span::mixed_site());
    let tangent = Ident::new("tangent", Span::mixed_site());
    let types = sig
        .params
        .iter()
        .map(|p| match (&p.grad_ty, p.differentiated) {
            (Some(ty), true) => quote!(impl #private::ArgumentTangent<#ty>),
            (Some(_), false) => quote!(impl #private::ArgumentTangent<#private::NotDifferentiated>),
            (None, _) => quote!(#private::NoTangent),
        });
    let fields = sig
        .params
        .iter()
        .zip(&args)
        .enumerate()
        .filter(|(_, (p, _))| p.differentiated)
        .map(|(i, (p, arg))| {
            let field = p.field();
            let i = syn::Index::from(i);
            quote!(#field: #private::ArgumentTangent::tangent(#tangents.#i, || #private::zeros_like(&#arg)))
        });
    let grad_struct = &names.grad_struct;
    // A method's is an associated function of its `impl` block, called as `Self::..`.
    let call_prefix = sig.in_impl.then(|| quote!(Self::));
    quote! {
        #[doc(hidden)]
        #[inline]
        #[allow(dead_code, unused_variables, clippy::all)]
        #vis fn #name #generics (#(#params,)* #tangents: (#(#types,)*)) -> (#ret, #seed) #where_clause {
            let #tangent = #grad_struct { #(#fields),* };
            #call_prefix #jvp_fn(#(#args,)* &#tangent)
        }
    }
}

/// `layer` → `__layer_jvp_arguments`, spanned like `layer`.
fn arguments_ident(function: &Ident) -> Ident {
    format_ident!(
        "__{}_jvp_arguments",
        function.unraw(),
        span = function.span()
    )
}

/// `crate::model::layer` → `crate::model::__layer_jvp_arguments`.
fn arguments_path(path: &syn::ExprPath) -> syn::ExprPath {
    let mut path = path.clone();
    if let Some(last) = path.path.segments.last_mut() {
        last.ident = arguments_ident(&last.ident);
    }
    path
}
