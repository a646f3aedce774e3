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
//! of `g` as "this function has no derivative: mark it with #[differentiate] or
//! #[custom_vjp(rule)]". A marked `g` defined inside a function body is not in the module,
//! so calling it on a differentiated value reports the same (the message says to define it
//! at the top level).

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::Ident;

use crate::ir::{Body, Op, Stmt, TOP};

/// The functions called by a one-segment path (`g(..)`), each once with its number of
/// arguments: not the function itself (recursion calls its own `f_vjp`), nor methods,
/// paths (`model::g`, `Self::m`), the macro's own names or nested derivatives (`h_grad`).
pub fn callees(body: &Body, function: &Ident) -> Vec<(Ident, usize)> {
    let mut found: Vec<(Ident, usize)> = Vec::new();
    body.walk(TOP, &mut |stmt| {
        let op = match stmt {
            Stmt::Let { op, .. } | Stmt::Eval { op, .. } => op,
            _ => return,
        };
        let Op::Call { path, args } = op else {
            return;
        };
        let Some(ident) = path.path.get_ident() else {
            return;
        };
        let name = ident.unraw().to_string();
        let nested = ["_grad", "_jvp"].iter().any(|s| name.ends_with(s));
        if ident == function
            || name.starts_with("__tapeless")
            || nested
            || path.qself.is_some()
            || found.iter().any(|(f, _)| f == ident)
        {
            return;
        }
        found.push((ident.clone(), args.len()));
    });
    found
}

/// `body` (the statements of a generated function's body) inside the fallbacks of
/// `callees`' companions, as the module comment describes.
pub fn guard(body: TokenStream, callees: &[(Ident, usize)]) -> TokenStream {
    if callees.is_empty() {
        return body;
    }
    let mut markers = Vec::new();
    let mut fallbacks = Vec::new();
    let mut companions = Vec::new();
    let mut used = std::collections::HashSet::new();
    idents(body.clone(), &mut used);
    for (callee, arity) in callees {
        let span = callee.span();
        let names: Vec<Ident> = [
            format_ident!("{}_vjp", callee.unraw(), span = span),
            format_ident!("__{}_pullback", callee.unraw(), span = span),
            format_ident!("__{}_jvp_arguments", callee.unraw(), span = span),
        ]
        .into_iter()
        .filter(|name| used.contains(&name.to_string()))
        .collect();
        if names.is_empty() {
            continue;
        }
        let marker = format_ident!("{}", callee.unraw(), span = span);
        markers.push(quote!(struct #marker {}));
        let params: Vec<Ident> = (0..=*arity)
            .map(|i| format_ident!("__TapelessA{}", i))
            .collect();
        let last = &params[*arity];
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
            companions.push((name.to_string(), span));
        }
    }
    if companions.is_empty() {
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

/// Each call `g_vjp(.., last)` of a companion as `({ use self::*; g_vjp })(.., last)`: the
/// module's `g_vjp` when it exists, else the fallback of the enclosing body. Only the name
/// is looked up under the glob (arguments and parameters keep their meaning), and the last
/// argument is located at the callee's name, where a fallback's unmet bound is reported
/// (`located_at` keeps each token's name resolution, so only the place of the error moves).
fn wrap_calls(body: TokenStream, companions: &[(String, Span)]) -> TokenStream {
    let trees: Vec<TokenTree> = body.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        let after_path =
            i >= 1 && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == ':');
        let callee = match (&trees[i], trees.get(i + 1)) {
            (TokenTree::Ident(name), Some(TokenTree::Group(args)))
                if !after_path && args.delimiter() == Delimiter::Parenthesis =>
            {
                companions
                    .iter()
                    .find(|(c, _)| name == c)
                    .map(|(_, span)| (name.clone(), args.clone(), *span))
            }
            _ => None,
        };
        if let Some((name, args, span)) = callee {
            let wrapped = quote_spanned! {span=>
                ({
                    #[allow(unused_imports)]
                    use self::*;
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
