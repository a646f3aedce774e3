//! Calls of functions the macro cannot see: is `g` in `g(x)` marked?
//!
//! A call `g(args)` on a differentiated value is differentiated through `g`'s companions
//! (`g_vjp`, `__g_pullback`, `__g_jvp_arguments`), which exist when `g` is marked
//! `#[differentiate]` or `#[custom_vjp]`. A macro sees one item, so it cannot tell; without
//! help, rustc reports "cannot find function `g_vjp`" and may suggest the caller's own
//! `f_vjp`. So each generated body that calls such a `g` starts with fallbacks of the
//! companions, and names each companion it calls under a glob of the module:
//!
//! ```text
//! struct g {}
//! fn g_vjp<A0, A1, R>(_: A0, _: A1) -> R where A1: Marked<g> { loop {} }   // fallback
//! ..
//! let gradients = ({ use self::*; g_vjp })(x, d_y).1.__tapeless_arguments();
//! ```
//!
//! The glob, in a scope inside the body's, finds the module's `g_vjp` first when it
//! exists; otherwise the fallback, whose bound no type meets: rustc reports it at the call
//! of `g` as "no derivative of this function is visible here: mark it with #[differentiate]
//! or #[custom_vjp(rule)]". A marked `g` defined inside a function body is not in the
//! module, so calling it on a differentiated value reports the same (the message says to
//! define it at the module's top level: a glob of a function body's items cannot be written).
//!
//! A bare name of a `libm` function that has a rule by its path (`lgamma(a)` after
//! `use libm::lgamma;`) is guarded alike, since it may be a marked function of the user's
//! own; the fallbacks' bound is then the runtime's trait of that name
//! (`libm_names::lgamma`), whose message says to call `libm::lgamma(..)`.
//!
//! A call through a module path (`model::g(x)`, `crate::m::g(x)`) is guarded alike: its
//! companion `model::g_vjp` is named as `({ use model::*; g_vjp })`, beside the same
//! fallback `g_vjp` in the body.
//!
//! A method called on a field (`p.layer.forward(x)`) calls its companions as methods
//! (`p.layer.forward_vjp(x, seed)`); their fallbacks are methods of a trait the body
//! declares for every type, which method lookup finds only when the receiver's type has no
//! method of that name, and whose bound `Self: MarkedMethod<forward>` names that type in
//! the error.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::Ident;

use crate::ir::{Body, Op, Stmt, TOP};
use crate::rules;

/// A function called on differentiated values whose companions may not exist.
pub struct Callee {
    /// The modules of its path (`model` of `model::g`), empty for `g`.
    modules: Vec<Ident>,
    name: Ident,
    /// Its arguments, a method's receiver aside.
    arity: usize,
    /// A method called on a field (`p.layer.forward(x)`): its companions are methods
    /// (`p.layer.forward_vjp(..)`), and their fallbacks methods of a trait for every type.
    method: bool,
}

/// The functions called by a path of lowercase segments (`g(..)`, `model::g(..)`), each
/// once with its number of arguments: not the function itself (recursion calls its own
/// `f_vjp`), nor methods, `Self::m`, paths with generic arguments or a leading `::`, the
/// macro's own names or nested derivatives (`h_grad`). Of two callees of one name
/// (`g` and `model::g`) the first is guarded (their fallbacks would share the name).
pub fn callees(body: &Body, function: &Ident) -> Vec<Callee> {
    let mut found: Vec<Callee> = Vec::new();
    body.walk(TOP, &mut |stmt| {
        let op = match stmt {
            Stmt::Let { op, .. } | Stmt::Eval { op, .. } => op,
            _ => return,
        };
        let Op::Call { path, args } = op else {
            return;
        };
        if let Some(method) = crate::ir::called_method(path) {
            if !found.iter().any(|c| c.name == *method) {
                found.push(Callee {
                    modules: Vec::new(),
                    name: method.clone(),
                    arity: args.len().saturating_sub(1),
                    method: true,
                });
            }
            return;
        }
        let segments = &path.path.segments;
        let Some(last) = segments.last() else {
            return;
        };
        let ident = &last.ident;
        let name = ident.unraw().to_string();
        let nested = ["_grad", "_jvp"].iter().any(|s| name.ends_with(s));
        // `f64::clamp(..)` names a primitive type's method, not a module's function.
        const PRIMITIVES: &[&str] = &[
            "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
            "u128", "usize", "bool", "char", "str",
        ];
        let plain = path.qself.is_none()
            && path.path.leading_colon.is_none()
            && segments
                .iter()
                .all(|s| s.arguments.is_none() && s.ident != "Self")
            && !(segments.len() > 1 && PRIMITIVES.iter().any(|p| segments[0].ident == p));
        if (segments.len() == 1 && ident == function)
            || name.starts_with("__tapeless")
            || nested
            || !plain
            || found.iter().any(|c| c.name == *ident)
        {
            return;
        }
        found.push(Callee {
            modules: segments
                .iter()
                .take(segments.len() - 1)
                .map(|s| s.ident.clone())
                .collect(),
            name: ident.clone(),
            arity: args.len(),
            method: false,
        });
    });
    found
}

/// `body` (the statements of a generated function's body) inside the fallbacks of
/// `callees`' companions, as the module comment describes.
pub fn guard(body: TokenStream, callees: &[Callee]) -> TokenStream {
    if callees.is_empty() {
        return body;
    }
    let mut markers = Vec::new();
    let mut fallbacks = Vec::new();
    let mut companions = Vec::new();
    let mut used = std::collections::HashSet::new();
    idents(body.clone(), &mut used);
    for Callee {
        modules,
        name: callee,
        arity,
        method,
    } in callees
    {
        let span = callee.span();
        let names: Vec<Ident> = [
            format_ident!("{}_vjp", callee.unraw(), span = span),
            format_ident!("__{}_pullback", callee.unraw(), span = span),
            format_ident!("__{}_pullback_in_loop", callee.unraw(), span = span),
            format_ident!("__{}_jvp_arguments", callee.unraw(), span = span),
        ]
        .into_iter()
        .filter(|name| used.contains(&name.to_string()))
        .collect();
        if names.is_empty() {
            continue;
        }
        // A bare name of a `libm` function with a rule (`lgamma(a)` after
        // `use libm::lgamma;`): the error names the path that has the rule, through the
        // runtime's marker of that name.
        if modules.is_empty()
            && !*method
            && rules::libm_by_bare_name(&callee.unraw().to_string(), *arity)
        {
            let last = format_ident!("__TapelessA{}", arity);
            let params: Vec<Ident> = (0..=*arity)
                .map(|i| format_ident!("__TapelessA{}", i))
                .collect();
            for name in names {
                fallbacks.push(quote_spanned! {span=>
                    #[allow(dead_code, non_snake_case, clippy::too_many_arguments)]
                    fn #name<#(#params,)* __TapelessR>(#(_: #params),*) -> __TapelessR
                    where
                        #last: ::tapeless::__private::libm_names::#callee,
                    {
                        loop {}
                    }
                });
                companions.push(Companion {
                    name: name.to_string(),
                    modules: Vec::new(),
                    span,
                });
            }
            continue;
        }
        // Named after the callee (`g`), whose name rustc shows in the error's `Marked<g>`;
        // through a path, after the whole path (`model_g`): a type named `g` in the body
        // would shadow a module `g` of the path (`index::index(y)`).
        let marker = modules
            .iter()
            .map(|m| m.unraw().to_string())
            .chain([callee.unraw().to_string()])
            .collect::<Vec<_>>()
            .join("_");
        let marker = format_ident!("{}", marker, span = span);
        markers.push(quote!(struct #marker {}));
        let params: Vec<Ident> = (0..=*arity)
            .map(|i| format_ident!("__TapelessA{}", i))
            .collect();
        let last = &params[*arity];
        if *method {
            // Methods of a trait implemented for every type: a type's own method of the
            // name (the marked method's companion) is found first. The bound is on the
            // receiver, so the error names its type (and rustc points at the method).
            let fallback = format_ident!("__tapeless_unmarked_{}", callee.unraw(), span = span);
            let methods = names.iter().map(|name| {
                quote_spanned! {span=>
                    fn #name<#(#params,)* __TapelessR>(&self, #(_: #params),*) -> __TapelessR
                    where
                        Self: ::tapeless::__private::MarkedMethod<#marker>,
                    {
                        loop {}
                    }
                }
            });
            fallbacks.push(quote_spanned! {span=>
                #[allow(dead_code, non_camel_case_types, non_snake_case, clippy::too_many_arguments)]
                trait #fallback {
                    #(#methods)*
                }
                impl<__TapelessT: ?::core::marker::Sized> #fallback for __TapelessT {}
            });
            continue;
        }
        for name in names {
            fallbacks.push(quote_spanned! {span=>
                #[allow(dead_code, non_snake_case, clippy::too_many_arguments)]
                fn #name<#(#params,)* __TapelessR>(#(_: #params),*) -> __TapelessR
                where
                    #last: ::tapeless::__private::Marked<#marker>,
                {
                    loop {}
                }
            });
            companions.push(Companion {
                name: name.to_string(),
                modules: modules.clone(),
                span,
            });
        }
    }
    if fallbacks.is_empty() {
        return body;
    }
    let body = wrap_calls(body, &companions);
    quote! {
        #(
            #[allow(non_camel_case_types, dead_code)]
            #markers
        )*
        #(#fallbacks)*
        #body
    }
}

/// A companion name the generated body calls (`g_vjp`), through `modules` (`model::g_vjp`).
struct Companion {
    name: String,
    modules: Vec<Ident>,
    span: Span,
}

/// Each call `g_vjp(.., last)` of a companion as `({ use self::*; g_vjp })(.., last)` (of
/// `model::g_vjp(..)`: `({ use model::*; g_vjp })(..)`): the module's `g_vjp` when it
/// exists, else the fallback of the enclosing body. Only the name is looked up under the
/// glob (arguments and parameters keep their meaning), and the last argument is located at
/// the callee's name, where a fallback's unmet bound is reported (`located_at` keeps each
/// token's name resolution, so only the place of the error moves).
fn wrap_calls(body: TokenStream, companions: &[Companion]) -> TokenStream {
    let trees: Vec<TokenTree> = body.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        let after =
            |c: char| i >= 1 && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == c);
        let (after_path, after_dot) = (after(':'), after('.'));
        let callee = match (&trees[i], trees.get(i + 1)) {
            (TokenTree::Ident(name), Some(TokenTree::Group(args)))
                if args.delimiter() == Delimiter::Parenthesis =>
            {
                companions
                    .iter()
                    .find(|c| {
                        name == &c.name
                            && match after_path {
                                false => !after_dot && c.modules.is_empty(),
                                true => ends_with_modules(&out, &c.modules),
                            }
                    })
                    .map(|c| (name.clone(), args.clone(), c))
            }
            _ => None,
        };
        if let Some((name, args, companion)) = callee {
            let span = companion.span;
            // The path's modules, written already, go into the glob.
            out.truncate(out.len() - 3 * companion.modules.len());
            let modules = match companion.modules.is_empty() {
                true => quote!(self),
                false => {
                    let modules = &companion.modules;
                    quote!(#(#modules)::*)
                }
            };
            let wrapped = quote_spanned! {span=>
                ({
                    #[allow(unused_imports)]
                    use #modules::*;
                    #name
                })
            };
            out.extend(wrapped);
            let stream = wrap_calls(locate_last(args.stream(), span), companions);
            let mut group = Group::new(Delimiter::Parenthesis, stream);
            group.set_span(args.span());
            out.push(TokenTree::Group(group));
            i += 2;
            continue;
        }
        out.push(match &trees[i] {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), wrap_calls(g.stream(), companions));
                group.set_span(g.span());
                TokenTree::Group(group)
            }
            other => other.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}

/// Whether `out` ends with `m1 :: m2 :: .. ::` of `modules` (and no `::` before them).
fn ends_with_modules(out: &[TokenTree], modules: &[Ident]) -> bool {
    let n = 3 * modules.len();
    if modules.is_empty() || out.len() < n {
        return false;
    }
    let start = out.len() - n;
    let colon = |t: &TokenTree| matches!(t, TokenTree::Punct(p) if p.as_char() == ':');
    if start >= 1 && colon(&out[start - 1]) {
        return false;
    }
    modules.iter().enumerate().all(|(k, module)| {
        let at = start + 3 * k;
        matches!(&out[at], TokenTree::Ident(i) if i == module)
            && colon(&out[at + 1])
            && colon(&out[at + 2])
    })
}

/// The tokens after the last top-level comma (a trailing one aside), located at `span`.
fn locate_last(args: TokenStream, span: Span) -> TokenStream {
    let mut trees: Vec<TokenTree> = args.into_iter().collect();
    let is_comma = |t: &TokenTree| matches!(t, TokenTree::Punct(p) if p.as_char() == ',');
    let mut end = trees.len();
    if trees.last().is_some_and(is_comma) {
        end -= 1;
    }
    let start = trees[..end]
        .iter()
        .rposition(is_comma)
        .map_or(0, |comma| comma + 1);
    for tree in &mut trees[start..end] {
        *tree = located(tree.clone(), span);
    }
    trees.into_iter().collect()
}

fn located(tree: TokenTree, span: Span) -> TokenTree {
    match tree {
        TokenTree::Group(g) => {
            let inner = g.stream().into_iter().map(|t| located(t, span)).collect();
            let mut group = Group::new(g.delimiter(), inner);
            group.set_span(g.span().located_at(span));
            TokenTree::Group(group)
        }
        mut other => {
            other.set_span(other.span().located_at(span));
            other
        }
    }
}

fn idents(tokens: TokenStream, out: &mut std::collections::HashSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}
