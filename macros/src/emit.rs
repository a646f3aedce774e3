//! Stage 5: IR to tokens.
//!
//! Emits, beside the untouched function `f`: the gradient struct `FGrad`, `f_vjp` (the
//! forward sweep followed by the reverse sweep) and `f_grad` (`f_vjp` with seed 1). Names
//! come from the source (`x`, `x_1` for the next version of `x`, `d_x` for its adjoint,
//! `t0` for a temporary), chosen so they never collide with a name the user wrote, so
//! `cargo expand` reads like a hand-written adjoint.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use syn::visit_mut::VisitMut;
use syn::{Expr, FnArg, Pat};

use crate::analyse::Activity;
use crate::ir::{Arg, Body, Form, Kind, Op, Operand, Stmt, VarId};
use crate::lower::Rename;
use crate::parse::Signature;
use crate::reverse::Adjoint;

/// The names of the generated items for a function `f`.
pub struct ItemNames {
    pub grad_struct: Ident,
    pub grad_fn: Ident,
    pub vjp_fn: Ident,
}

impl ItemNames {
    pub fn new(function: &Ident) -> Self {
        ItemNames {
            grad_struct: format_ident!("{}Grad", camel_case(&function.to_string())),
            grad_fn: format_ident!("{}_grad", function),
            vjp_fn: format_ident!("{}_vjp", function),
        }
    }
}

/// `my_loss` → `MyLoss`.
fn camel_case(name: &str) -> String {
    name.trim_start_matches("r#")
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Allocates identifiers that collide neither with the user's names nor with each other.
struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    fn new(item: &syn::ItemFn) -> Self {
        let mut taken = HashSet::new();
        collect_idents(item.to_token_stream(), &mut taken);
        Namer { taken }
    }

    /// `base` if free, else `base_1`, `base_2`, ...
    fn claim(&mut self, base: &str) -> Ident {
        let mut candidate = base.to_string();
        let mut n = 1;
        while !self.taken.insert(candidate.clone()) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        Ident::new(&candidate, Span::call_site())
    }

    fn claim_numbered(&mut self, stem: &str, counter: &mut usize) -> Ident {
        loop {
            let candidate = format!("{stem}{counter}");
            *counter += 1;
            if self.taken.insert(candidate.clone()) {
                return Ident::new(&candidate, Span::call_site());
            }
        }
    }
}

fn collect_idents(tokens: TokenStream, out: &mut HashSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => {
                out.insert(ident.to_string());
            }
            TokenTree::Group(group) => collect_idents(group.stream(), out),
            _ => {}
        }
    }
}

/// Everything needed to print one differentiated function.
pub struct Emitter<'a> {
    sig: &'a Signature<'a>,
    body: &'a Body,
    /// The emitted name of each variable.
    names: Vec<Ident>,
    /// The emitted name of each active variable's adjoint.
    adjoints: HashMap<VarId, Ident>,
    seed: Ident,
}

impl<'a> Emitter<'a> {
    pub fn new(sig: &'a Signature<'a>, body: &'a Body, activity: &'a Activity) -> Self {
        let mut namer = Namer::new(sig.item);
        let seed = namer.claim("seed");
        // Parameters are version 0 of their names: a shadowing `let x = ..` is `x_1`.
        let mut versions: HashMap<String, usize> = sig
            .params
            .iter()
            .map(|p| (p.ident.to_string(), 1))
            .collect();
        let mut temporaries = 0;
        let names: Vec<Ident> = body
            .vars
            .iter()
            .enumerate()
            .map(|(i, var)| match &var.source {
                // Parameters keep their (user-spanned) identifiers.
                Some(ident) if body.params.contains(&VarId(i)) => ident.clone(),
                Some(ident) => {
                    let version = versions.entry(ident.to_string()).or_insert(0);
                    *version += 1;
                    if *version == 1 {
                        Ident::new(&ident.to_string(), Span::call_site())
                    } else {
                        namer.claim(&format!("{ident}_{}", *version - 1))
                    }
                }
                None => namer.claim_numbered("t", &mut temporaries),
            })
            .collect();
        let adjoints = (0..body.vars.len())
            .map(VarId)
            .filter(|v| activity.is_active(*v) || body.params.contains(v))
            .map(|v| (v, namer.claim(&format!("d_{}", names[v.0]))))
            .collect();
        Emitter {
            sig,
            body,
            names,
            adjoints,
            seed,
        }
    }

    /// `let mut` is kept for a variable declared `mut` that a method without a rule may
    /// change in place (`v.push(1.0)`); other versions are never mutated.
    fn needs_mut(&self, var: VarId) -> bool {
        self.body.var(var).mutable
            && self.body.block.stmts.iter().any(|stmt| match stmt {
                Stmt::Let { op, .. } | Stmt::Eval { op, .. } => matches!(
                    op,
                    Op::Foreign { form: Form::Method { .. }, args }
                        if args[0].value.var() == Some(var)
                ),
                _ => false,
            })
    }

    fn name(&self, var: VarId) -> &Ident {
        &self.names[var.0]
    }

    fn adjoint(&self, var: VarId) -> &Ident {
        &self.adjoints[&var]
    }

    // ---- operands ----------------------------------------------------------------

    /// An operand of an operator: scalars by value, anything else borrowed, never moved.
    fn operator_operand(&self, arg: &Arg) -> TokenStream {
        match (&arg.value, arg.borrowed) {
            (Operand::Var(v), true) => {
                let name = self.name(*v);
                quote!(&#name)
            }
            (Operand::Var(v), false) => {
                let name = self.name(*v);
                match self.body.var(*v).kind {
                    Kind::Copy | Kind::Ref => quote!(#name),
                    Kind::Owned => quote!(&#name),
                }
            }
            (Operand::Const(c), borrowed) => {
                let c = parenthesized(c);
                if borrowed {
                    quote!(&#c)
                } else {
                    c
                }
            }
        }
    }

    /// A receiver of a method call.
    fn receiver(&self, arg: &Arg) -> TokenStream {
        match &arg.value {
            Operand::Var(v) => {
                let name = self.name(*v);
                if arg.borrowed {
                    quote!((&#name))
                } else {
                    quote!(#name)
                }
            }
            Operand::Const(c) => parenthesized(c),
        }
    }

    /// An argument of a call: as written, but an owned value is cloned instead of moved,
    /// because the reverse sweep may still need it.
    fn call_argument(&self, arg: &Arg) -> TokenStream {
        match (&arg.value, arg.borrowed) {
            (Operand::Var(v), false) if self.body.var(*v).kind == Kind::Owned => {
                let name = self.name(*v);
                quote!(::core::clone::Clone::clone(&#name))
            }
            _ => self.operator_operand(arg),
        }
    }

    /// An argument of a runtime helper: always a reference.
    fn helper_argument(&self, operand: &Operand) -> TokenStream {
        match operand {
            Operand::Var(v) => {
                let name = self.name(*v);
                match self.body.var(*v).kind {
                    Kind::Ref => quote!(#name),
                    Kind::Copy | Kind::Owned => quote!(&#name),
                }
            }
            Operand::Const(c) => {
                let c = parenthesized(c);
                quote!(&#c)
            }
        }
    }

    // ---- forward sweep -------------------------------------------------------------

    fn op(&self, op: &Op) -> TokenStream {
        match op {
            Op::Rule { form, args, .. } | Op::Foreign { form, args } => self.form(form, args),
            Op::Verbatim { expr, uses, .. } => {
                let names: HashMap<String, Ident> = uses
                    .iter()
                    .map(|(ident, var)| (ident.to_string(), self.name(*var).clone()))
                    .collect();
                let mut expr = expr.clone();
                Rename { names: &names }.visit_expr_mut(&mut expr);
                expr.to_token_stream()
            }
        }
    }

    fn form(&self, form: &Form, args: &[Arg]) -> TokenStream {
        match form {
            Form::Binary(op) => {
                let (lhs, rhs) = (
                    self.operator_operand(&args[0]),
                    self.operator_operand(&args[1]),
                );
                quote!(#lhs #op #rhs)
            }
            Form::Unary(op) => {
                let operand = self.operator_operand(&args[0]);
                quote!(#op #operand)
            }
            Form::Method { name, turbofish } => {
                let receiver = self.receiver(&args[0]);
                let rest = args[1..].iter().map(|a| self.call_argument(a));
                quote!(#receiver.#name #turbofish(#(#rest),*))
            }
            Form::Call(path) => {
                let all = args.iter().map(|a| self.call_argument(a));
                quote!(#path(#(#all),*))
            }
            Form::Cast(ty) => {
                let operand = match &args[0].value {
                    Operand::Var(v) => self.name(*v).to_token_stream(),
                    Operand::Const(c) => parenthesized(c),
                };
                quote!(#operand as #ty)
            }
        }
    }

    fn forward(&self) -> TokenStream {
        self.body
            .block
            .stmts
            .iter()
            .map(|s| self.forward_stmt(s))
            .collect()
    }

    fn forward_stmt(&self, stmt: &Stmt) -> TokenStream {
        match stmt {
            Stmt::Let { var, ty, op, .. } => {
                let name = self.name(*var);
                let value = self.op(op);
                let ty = ty.as_ref().map(|t| quote!(: #t));
                let mutable = self.needs_mut(*var).then(|| quote!(mut));
                quote!(let #mutable #name #ty = #value;)
            }
            Stmt::Eval { op, .. } => {
                let value = self.op(op);
                quote!(#value;)
            }
            Stmt::Macro { mac, rebind } => {
                let rebinds = rebind.iter().filter_map(|(ident, var)| {
                    let name = self.name(*var);
                    if name == ident {
                        return None;
                    }
                    let ident = Ident::new(
                        &ident.to_string(),
                        mac.path
                            .segments
                            .last()
                            .map_or(Span::call_site(), |s| s.ident.span()),
                    );
                    Some(match self.body.var(*var).kind {
                        Kind::Copy | Kind::Ref => quote!(let #ident = #name;),
                        Kind::Owned => quote!(let #ident = &#name;),
                    })
                });
                quote!({ #(#rebinds)* #mac; })
            }
            Stmt::Item(item) => item.to_token_stream(),
        }
    }

    // ---- reverse sweep -------------------------------------------------------------

    fn reverse(&self, sweep: &[Adjoint]) -> TokenStream {
        let private = quote!(::tapeless::__private);
        let seed = &self.seed;
        sweep
            .iter()
            .map(|step| match step {
                Adjoint::Seed(v) => {
                    let d = self.adjoint(*v);
                    quote!(let mut #d = #seed;)
                }
                Adjoint::AddSeed(v) => {
                    let d = self.adjoint(*v);
                    quote!(#private::accumulate(&mut #d, &#seed);)
                }
                Adjoint::Zero(v) => {
                    let d = self.adjoint(*v);
                    let primal = self.helper_argument(&Operand::Var(*v));
                    quote!(let mut #d = #private::zero_adjoint(#primal);)
                }
                Adjoint::Accumulate {
                    helper,
                    target,
                    args,
                    out,
                } => {
                    let helper = Ident::new(helper, Span::call_site());
                    let d_target = self.adjoint(*target);
                    let args = args.iter().map(|a| self.helper_argument(&a.value));
                    let out_value = self.helper_argument(&Operand::Var(*out));
                    let d_out = self.adjoint(*out);
                    quote!(#private::#helper(&mut #d_target, #(#args,)* #out_value, &#d_out);)
                }
            })
            .collect()
    }

    /// `let mut d_x = ..;` for each differentiated parameter. An active parameter receives
    /// at least one contribution, so it starts at `zero_adjoint` (−0.0, which the first
    /// addition folds away); one that does not reach the result reports `zeros_like` (+0.0).
    fn parameter_adjoints(&self, activity: &Activity) -> TokenStream {
        self.differentiated()
            .map(|(_, var)| {
                let d = self.adjoint(var);
                let primal = self.helper_argument(&Operand::Var(var));
                if activity.is_active(var) {
                    quote!(let mut #d = ::tapeless::__private::zero_adjoint(#primal);)
                } else {
                    quote!(let mut #d = ::tapeless::__private::zeros_like(#primal);)
                }
            })
            .collect()
    }

    fn differentiated(&self) -> impl Iterator<Item = (&crate::parse::Param, VarId)> + '_ {
        self.sig
            .params
            .iter()
            .zip(self.body.params.iter().copied())
            .filter(|(p, _)| p.differentiated)
    }

    /// The body of `f_vjp`.
    pub fn vjp_body(
        &self,
        sweep: &[Adjoint],
        activity: &Activity,
        names: &ItemNames,
    ) -> TokenStream {
        let forward = self.forward();
        let param_adjoints = self.parameter_adjoints(activity);
        let reverse = self.reverse(sweep);
        let value = match &self.body.ret {
            Operand::Var(v) => self.name(*v).to_token_stream(),
            Operand::Const(c) => c.to_token_stream(),
        };
        let grad_struct = &names.grad_struct;
        let fields = self.differentiated().map(|(p, var)| {
            let field = &p.ident;
            let d = self.adjoint(var);
            quote!(#field: #d)
        });
        quote! {
            #forward
            #param_adjoints
            #reverse
            (#value, #grad_struct { #(#fields),* })
        }
    }

    pub fn seed(&self) -> &Ident {
        &self.seed
    }
}

/// Wraps a constant in parentheses unless it is a literal or a path.
fn parenthesized(expr: &Expr) -> TokenStream {
    match expr {
        Expr::Lit(_) | Expr::Path(_) | Expr::Paren(_) => expr.to_token_stream(),
        _ => quote!((#expr)),
    }
}

/// The parameters of the original function, as written (`keep_mut`) or without `mut`
/// (for `f_grad`, which only forwards them).
pub fn plain_parameters(sig: &syn::Signature, keep_mut: bool) -> Vec<TokenStream> {
    sig.inputs
        .iter()
        .map(|input| match input {
            FnArg::Typed(typed) if !keep_mut => match &*typed.pat {
                Pat::Ident(p) => {
                    let (attrs, ident, ty) = (&typed.attrs, &p.ident, &typed.ty);
                    quote!(#(#attrs)* #ident: #ty)
                }
                _ => typed.to_token_stream(),
            },
            other => other.to_token_stream(),
        })
        .collect()
}

/// The parameter names, to forward `f_grad`'s arguments to `f_vjp`.
pub fn parameter_names(sig: &syn::Signature) -> Vec<TokenStream> {
    sig.inputs
        .iter()
        .map(|input| match input {
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(p) => p.ident.to_token_stream(),
                other => other.to_token_stream(),
            },
            FnArg::Receiver(r) => r.self_token.to_token_stream(),
        })
        .collect()
}
