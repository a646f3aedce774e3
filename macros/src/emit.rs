//! Stage 5: IR to tokens.
//!
//! Emits, beside the untouched function `f`: the gradient struct `FGrad`, `f_vjp` (the
//! forward sweep followed by the reverse sweep) and `f_grad` (`f_vjp` with seed 1). Names
//! come from the source (`x`, `x_1` for the next version of `x`, `d_x` for its adjoint,
//! `t0` for a temporary), chosen so they never collide with a name the user wrote, so
//! `cargo expand` reads like a hand-written adjoint.

use std::collections::{BTreeSet, HashMap, HashSet};

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::visit_mut::VisitMut;
use syn::{Expr, FnArg, Pat};

use crate::analyse::Activity;
use crate::ir::{
    Arg, BlockId, Body, Form, Header, Kind, Loop, Op, Operand, Stmt, Unwrap, VarId, TOP,
};
use crate::lower::Rename;
use crate::parse::Signature;
use crate::reverse::{Adjoint, Carry, CarryShape, Slot, SlotStep, Source, Sweep};
use crate::rules::First;
use crate::strategy::{Route, Stack, Start, Strategy, Zero};

/// The names of the generated items for a function `f`.
#[derive(Clone)]
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

    /// For a method `f` of `Type`: the struct is `TypeFGrad`.
    pub fn for_method(type_name: &str, method: &Ident) -> Self {
        ItemNames {
            grad_struct: format_ident!("{}{}Grad", type_name, camel_case(&method.to_string())),
            ..ItemNames::new(method)
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

/// `base` if no identifier in `taken` is spelled so, else `base1`, `base2`, ...; claimed.
pub fn unused_ident(base: &str, taken: &mut HashSet<String>) -> Ident {
    let mut candidate = base.to_string();
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{base}{n}");
        n += 1;
    }
    Ident::new(&candidate, Span::call_site())
}

pub fn collect_idents(tokens: TokenStream, out: &mut HashSet<String>) {
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
    pub(crate) sig: &'a Signature<'a>,
    pub(crate) body: &'a Body,
    sweep: &'a Sweep,
    /// The decisions this stage prints (split calls, stacks, adjoints' starts, routes).
    strategy: &'a Strategy,
    /// The emitted name of each variable.
    names: Vec<Ident>,
    /// The emitted name of each adjoint.
    adjoints: HashMap<VarId, Ident>,
    /// `d_x_next` of each carried variable (by its phi).
    carries: HashMap<VarId, Ident>,
    /// The stack of each value the forward sweep saves for the reverse sweep.
    stacks: HashMap<VarId, Ident>,
    /// The stack of the shapes of each carried value whose shapes are kept (by phi).
    shapes: HashMap<VarId, Ident>,
    /// The stack of the copies of each array a loop restores (`Sweep::snapshots`).
    snapshots: HashMap<VarId, Ident>,
    /// The local of each [`Slot`], by the element read.
    slots: HashMap<VarId, Ident>,
    /// The running value of each rebuilt counter in the reverse sweep (`l_back`), by phi.
    backs: HashMap<VarId, Ident>,
    /// The step counter of each fixed loop (`Strategy::fixed`), by body block.
    fixed: HashMap<BlockId, Ident>,
    /// The iteration number of a reverse loop that rebuilds its index from its range.
    nth: Ident,
    /// The `let` defining each variable, for recomputation.
    pub(crate) lets: HashMap<VarId, &'a Stmt>,
    seed: Ident,
    /// The split calls (`Strategy::split`): the forward sweep calls the callee's pullback,
    /// keeping its reverse sweep as a closure named here.
    pullbacks: HashMap<VarId, Ident>,
    /// The stack of each split call inside a branch or loop (`Strategy::stacked`).
    pullback_stacks: HashMap<VarId, Ident>,
    /// The result, copied out of a pullback's forward sweep.
    value: Ident,
    /// Whether calls use the pullbacks: not inside a pullback's own closure, which would
    /// then hold closures borrowing values it also holds.
    split_calls: std::cell::Cell<bool>,
    /// In a pullback: the parameter telling which arguments' gradients the caller uses
    /// (`needs[i]`); contributions straight into an unneeded one are skipped.
    needs: Ident,
    /// Which variables are active, for the `needs` a caller passes to a pullback.
    pub(crate) active: HashSet<VarId>,
    /// The name of each tangent (forward mode: `x_dot` is ẋ), for active variables and
    /// differentiated parameters; a loop's value after it shares its carried tangent.
    pub(crate) tangents: HashMap<VarId, Ident>,
    /// The forward mode's own names (`tangent`, the parameter of `f_jvp`).
    pub(crate) tangent_param: Ident,
    /// Printing `f_jvp`: the forward sweep carries tangents (see `forward.rs`).
    pub(crate) forward: crate::forward::State,
    /// Broken invariants met while printing: reported as internal errors by the caller,
    /// which then emits stubs instead of the code printed around them.
    internal: std::cell::RefCell<Vec<String>>,
    /// Which variables hold integers (`n.min(k)` stays a method call in generic code).
    integers: Vec<bool>,
    /// Printing the replay of a loop body (`Adjoint::Replay`): its iteration ends print nothing.
    replaying: std::cell::Cell<bool>,
    /// Printing `f_jacobian`'s shared reverse sweep, which runs once per output component
    /// from one forward sweep: a value saved once is read in place, not popped.
    sharing: std::cell::Cell<bool>,
    /// Printing the forward sweep's iterations of a replayed loop, which push their kept
    /// values (`Strategy::kept`).
    keeping: std::cell::Cell<bool>,
    /// Each kept value's stack, the stack of each iteration's start in it, and the
    /// replay's position in it.
    kept: HashMap<VarId, Kept>,
}

/// The names of a kept value's stacks (`Strategy::kept`).
struct Kept {
    stack: Ident,
    starts: Ident,
    at: Ident,
}

impl<'a> Emitter<'a> {
    pub fn new(
        sig: &'a Signature<'a>,
        body: &'a Body,
        activity: &Activity,
        sweep: &'a Sweep,
        strategy: &'a Strategy,
    ) -> Self {
        let mut namer = Namer::new(sig.item);
        let seed = namer.claim("seed");
        // Parameters are version 0 of their names: a shadowing `let x = ..` is `x_1`.
        let mut versions: HashMap<String, usize> = sig
            .params
            .iter()
            .map(|p| (p.ident.to_string(), 1))
            .collect();
        let mut temporaries = 0;
        // A loop's value after it is its carried storage.
        let mut storage_of: HashMap<VarId, VarId> = HashMap::new();
        let mut lets = HashMap::new();
        for block in &body.blocks {
            for stmt in &block.stmts {
                match stmt {
                    Stmt::Loop(l) => {
                        for c in &l.carried {
                            storage_of.insert(c.out, c.phi);
                        }
                    }
                    Stmt::Let { var, .. } => {
                        lets.insert(*var, stmt);
                    }
                    _ => {}
                }
            }
        }
        let mut names: Vec<Ident> = Vec::with_capacity(body.vars.len());
        for (i, var) in body.vars.iter().enumerate() {
            let id = VarId(i);
            let name = match (&var.source, storage_of.get(&id)) {
                (_, Some(phi)) if phi.0 < names.len() => names[phi.0].clone(),
                // Parameters keep their (user-spanned) identifiers.
                (Some(ident), _) if body.params.contains(&id) => ident.clone(),
                (Some(ident), _) if ident.unraw().to_string().starts_with("__tapeless_") => {
                    let stem = ident.to_string()["__tapeless_".len()..]
                        .trim_end_matches(|c: char| c.is_ascii_digit())
                        .replace("match", "scrutinee");
                    namer.claim(&stem)
                }
                (Some(ident), _) => {
                    let version = versions.entry(ident.to_string()).or_insert(0);
                    *version += 1;
                    if *version == 1 {
                        crate::lower::ident(&ident.to_string())
                    } else {
                        namer.claim(&format!("{}_{}", ident.unraw(), *version - 1))
                    }
                }
                (None, _) if var.stem == "t" => namer.claim_numbered("t", &mut temporaries),
                (None, _) => namer.claim(var.stem),
            };
            names.push(name);
        }
        let mut adjoints = HashMap::new();
        let mut carries = HashMap::new();
        for (i, var) in body.vars.iter().enumerate() {
            let id = VarId(i);
            let differentiated_param = body.params.contains(&id);
            if activity.is_active(id) || differentiated_param || var.memory {
                adjoints.insert(id, namer.claim(&format!("d_{}", names[i].unraw())));
            }
            if storage_of.values().any(|phi| *phi == id) {
                carries.insert(id, namer.claim(&format!("d_{}_next", names[i].unraw())));
            }
        }
        let stacks = claim_each(&mut namer, &sweep.saved, "saved", &names);
        let shapes = claim_each(&mut namer, &sweep.shaped, "shapes", &names);
        let restored: BTreeSet<VarId> = sweep.snapshots.values().flatten().copied().collect();
        let snapshots = claim_each(&mut namer, &restored, "snapshot", &names);
        let slots = claim_slots(&mut namer, sweep, &names);
        let backs = claim_backs(&mut namer, sweep, &names);
        let kept = strategy
            .kept
            .values()
            .flatten()
            .map(|v| {
                let name = names[v.0].unraw();
                let kept = Kept {
                    stack: namer.claim(&format!("kept_{name}")),
                    starts: namer.claim(&format!("kept_{name}_starts")),
                    at: namer.claim(&format!("kept_{name}_at")),
                };
                (*v, kept)
            })
            .collect();
        let nth = namer.claim("k");
        let value = namer.claim("value");
        let needs = namer.claim("needs");
        // Claimed after every other name, so the reverse mode's names do not depend on them.
        let tangent_param = namer.claim("tangent");
        let tangents = claim_tangents(&mut namer, body, activity, &names, &storage_of);
        let pullbacks = strategy
            .split
            .iter()
            .map(|var| {
                (
                    *var,
                    namer.claim(&format!("{}_pullback", names[var.0].unraw())),
                )
            })
            .collect();
        let pullback_stacks = strategy
            .split
            .iter()
            .filter(|var| strategy.stacked.contains(var))
            .map(|var| {
                (
                    *var,
                    namer.claim(&format!("{}_pullbacks", names[var.0].unraw())),
                )
            })
            .collect();
        let fixed = strategy
            .fixed
            .keys()
            .map(|block| (*block, namer.claim("step")))
            .collect();
        Emitter {
            sig,
            body,
            sweep,
            strategy,
            names,
            adjoints,
            carries,
            stacks,
            shapes,
            snapshots,
            slots,
            backs,
            fixed,
            nth,
            lets,
            seed,
            pullbacks,
            pullback_stacks,
            value,
            split_calls: std::cell::Cell::new(true),
            needs,
            active: (0..body.vars.len())
                .map(VarId)
                .filter(|v| activity.is_active(*v))
                .collect(),
            internal: std::cell::RefCell::new(sweep.internal.clone()),
            integers: crate::analyse::integers(body, sig),
            replaying: std::cell::Cell::new(false),
            sharing: std::cell::Cell::new(false),
            keeping: std::cell::Cell::new(false),
            kept,
            tangents,
            tangent_param,
            forward: Default::default(),
        }
    }

    /// The name `names` gives `var`; a missing one is a broken invariant (reported, and
    /// printed as nothing).
    fn named(&self, names: &HashMap<VarId, Ident>, var: VarId, what: &str) -> TokenStream {
        match names.get(&var) {
            Some(name) => name.to_token_stream(),
            None => {
                self.internal_error(what);
                TokenStream::new()
            }
        }
    }

    /// The step counter of the fixed loop whose stack keeps `var`, if it has one.
    fn fixed_step(&self, var: VarId) -> Option<TokenStream> {
        let body = self.strategy.fixed_stack_of.get(&var)?;
        Some(self.named_block(*body))
    }

    fn named_block(&self, body: BlockId) -> TokenStream {
        match self.fixed.get(&body) {
            Some(step) => step.to_token_stream(),
            None => {
                self.internal_error("a fixed loop without its step counter");
                TokenStream::new()
            }
        }
    }

    /// Records a broken invariant (see `internal`).
    pub(crate) fn internal_error(&self, what: &str) {
        let mut internal = self.internal.borrow_mut();
        if !internal.iter().any(|w| w == what) {
            internal.push(what.to_string());
        }
    }

    /// The broken invariants met so far, from planning the sweep and printing it.
    pub fn internal_errors(&self) -> Vec<String> {
        self.internal.borrow().clone()
    }

    /// `let mut` is kept for a variable declared `mut` that a method without a rule may
    /// change in place (`v.push(1.0)`), and for arrays written by index.
    pub(crate) fn needs_mut(&self, var: VarId) -> bool {
        let info = self.body.var(var);
        if info.memory {
            return true;
        }
        let mut mutated = false;
        self.body.walk(TOP, &mut |stmt| {
            if let Stmt::Let { op, .. } | Stmt::Eval { op, .. } = stmt {
                if let Op::Foreign {
                    form: Form::Method { .. },
                    args,
                    ..
                } = op
                {
                    mutated |= args[0].value.var() == Some(var);
                }
            }
        });
        info.mutable && mutated
    }

    /// A scalar result of a rule (`Strategy::scalar_results`).
    pub(crate) fn scalar_rule_result(&self, var: VarId) -> bool {
        self.strategy.scalar_results.contains(&var)
    }

    pub(crate) fn name(&self, var: VarId) -> &Ident {
        &self.names[var.0]
    }

    /// `let v = saved_v.pop().unwrap();`, or from its slot of a fixed loop's stack, or, in
    /// `f_jacobian`'s shared reverse sweep, read in place.
    fn restore_step(&self, v: VarId) -> TokenStream {
        let name = self.name(v);
        let stack = self.named(&self.stacks, v, "a saved value without its stack");
        match self.fixed_step(v) {
            Some(step) if self.body.var(v).kind == Kind::Copy => {
                quote!(let #name = #stack[#step];)
            }
            Some(step) => quote!(let #name = ::core::mem::take(&mut #stack[#step]);),
            None if self.sharing.get() => {
                quote!(let #name = ::core::clone::Clone::clone(#stack.peek().unwrap());)
            }
            None => quote!(let #name = #stack.pop().unwrap();),
        }
    }

    /// The copies of the arrays a loop restores (`Sweep::snapshots`): pushed at the end of
    /// its forward iteration (`push`), or restored at the start of its reverse iteration.
    /// Nothing for any other loop.
    fn snapshot(&self, block: BlockId, push: bool) -> TokenStream {
        let private = quote!(::tapeless::__private);
        let Some(arrays) = self.sweep.snapshots.get(&block) else {
            return TokenStream::new();
        };
        let steps = arrays.iter().map(|a| {
            let array = self.name(*a);
            let stack = self.named(&self.snapshots, *a, "a restored array without its stack");
            match push {
                true => quote!(#private::push_snapshot(&mut #stack, &#array);),
                false => quote!(#private::restore_snapshot(&mut #array, &mut #stack);),
            }
        });
        // Restored last pushed first.
        match push {
            true => steps.collect(),
            false => steps.rev().collect(),
        }
    }

    /// A step of a [`Slot`]: its local (`d_xcentered_at_t23`) declared before the loop,
    /// added to in it, added to the element after it.
    fn slot_step(&self, slot: &Slot, step: SlotStep) -> TokenStream {
        let private = quote!(::tapeless::__private);
        let d_array = self.adjoint(slot.array);
        let local = self.named(&self.slots, slot.out, "a slot without its local");
        match step {
            SlotStep::Declare => quote!(let mut #local = #private::zero();),
            SlotStep::Add => {
                let d_out = self.adjoint(slot.out);
                quote!(#private::accumulate(&mut #local, &#d_out);)
            }
            SlotStep::Flush => {
                let index = self.helper_argument(&slot.index);
                let local = local.to_token_stream();
                self.contribution("index_vjp_after", slot.array, &d_array, &[index], &local)
            }
        }
    }

    fn adjoint(&self, var: VarId) -> TokenStream {
        match self.adjoints.get(&var) {
            Some(name) => name.to_token_stream(),
            None => {
                self.internal_error("a value without an adjoint receives a contribution");
                TokenStream::new()
            }
        }
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

    /// `: R` for the function's result, `R` the return type: a literal that only a
    /// `return` types in the source (`let mut s = 0.0; if c { return s; } s.tanh()`) is
    /// typed the same way here, where the returned values merge into this one.
    pub(crate) fn result_type(&self, var: VarId) -> Option<TokenStream> {
        let ret = &self.sig.ret;
        (self.body.ret.var() == Some(var) && !matches!(ret, syn::Type::Infer(_)))
            .then(|| quote!(: #ret))
    }

    /// An operand of `+ - * / %` or unary `-`: as [`Self::operator_operand`], but a value
    /// it would borrow goes through `by_operand` (see `Form::Binary` in [`Self::form`]).
    fn arithmetic_operand(&self, arg: &Arg) -> TokenStream {
        match (&arg.value, arg.borrowed) {
            (Operand::Var(v), false) if self.body.var(*v).kind != Kind::Copy => {
                let operand = self.helper_argument(&arg.value);
                quote!(::tapeless::__private::by_operand(#operand))
            }
            _ => self.operator_operand(arg),
        }
    }

    /// A receiver of a method call or of indexing.
    pub(crate) fn receiver(&self, arg: &Arg) -> TokenStream {
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
    pub(crate) fn call_argument(&self, arg: &Arg) -> TokenStream {
        match (&arg.value, arg.borrowed) {
            (Operand::Var(v), false) if self.body.var(*v).kind == Kind::Owned => {
                let name = self.name(*v);
                quote!(::core::clone::Clone::clone(&#name))
            }
            _ => self.operator_operand(arg),
        }
    }

    /// A value stored somewhere (a merge, a carried variable): owned values are cloned.
    pub(crate) fn stored_value(&self, operand: &Operand) -> TokenStream {
        self.call_argument(&Arg {
            value: operand.clone(),
            borrowed: false,
        })
    }

    /// An argument of a runtime helper: always a reference.
    pub(crate) fn helper_argument(&self, operand: &Operand) -> TokenStream {
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

    pub(crate) fn plain_operand(&self, operand: &Operand) -> TokenStream {
        match operand {
            Operand::Var(v) => self.name(*v).to_token_stream(),
            Operand::Const(c) => parenthesized(c),
        }
    }

    // ---- forward sweep -------------------------------------------------------------

    pub(crate) fn op(&self, op: &Op) -> TokenStream {
        match op {
            Op::Rule { form, args, .. } | Op::Foreign { form, args, .. } => self.form(form, args),
            Op::Call { path, args } => match crate::ir::called_method(path) {
                Some(method) => {
                    let receiver = self.receiver(&args[0]);
                    let rest = args[1..].iter().map(|a| self.call_argument(a));
                    quote!(#receiver.#method(#(#rest),*))
                }
                None => {
                    let all = args.iter().map(|a| self.call_argument(a));
                    quote!(#path(#(#all),*))
                }
            },
            Op::Verbatim { expr, uses, .. } => {
                let names: HashMap<String, Ident> = uses
                    .iter()
                    .map(|(ident, var)| (ident.to_string(), self.name(*var).clone()))
                    .collect();
                let mut expr = expr.clone();
                // `*e` of a value held by value (a loop element, `&f64` in the source) is
                // the value itself, as for `Form::Unary(Deref)`.
                let held: HashSet<String> = uses
                    .iter()
                    .filter(|(_, var)| self.body.var(*var).kind == Kind::Copy)
                    .map(|(ident, _)| ident.to_string())
                    .collect();
                DerefHeld(&held).visit_expr_mut(&mut expr);
                Rename { names: &names }.visit_expr_mut(&mut expr);
                if let Expr::Macro(m) = &mut expr {
                    // `vec![..]` keeps its tokens: rename inside them too.
                    m.mac.tokens = rename_tokens(m.mac.tokens.clone(), &names);
                }
                expr.to_token_stream()
            }
        }
    }

    fn form(&self, form: &Form, args: &[Arg]) -> TokenStream {
        match form {
            // A comparison takes its operands by reference itself: values as they are, a
            // reference dereferenced (`*x > 0.0` for `x: &f64`).
            Form::Binary(op) if is_comparison(op) => {
                let operand = |a: &Arg| match (&a.value, a.borrowed) {
                    (Operand::Var(v), false) if self.body.var(*v).kind == Kind::Ref => {
                        let name = self.name(*v);
                        quote!((*#name))
                    }
                    (value, false) => self.plain_operand(value),
                    _ => self.operator_operand(a),
                };
                let (lhs, rhs) = (operand(&args[0]), operand(&args[1]));
                quote!(#lhs #op #rhs)
            }
            // Arithmetic on a value the macro would borrow: it may be a scalar whose type
            // it does not know (a call's result, `*r`), and `&matrix * &scalar`, `T + &T`
            // (generic `T`) do not exist; `by_operand` passes a scalar by value and a matrix
            // by reference.
            Form::Binary(op) if is_arithmetic(op) => {
                let (lhs, rhs) = (
                    self.arithmetic_operand(&args[0]),
                    self.arithmetic_operand(&args[1]),
                );
                quote!(#lhs #op #rhs)
            }
            Form::Binary(op) => {
                let (lhs, rhs) = (
                    self.operator_operand(&args[0]),
                    self.operator_operand(&args[1]),
                );
                quote!(#lhs #op #rhs)
            }
            Form::Copy => self.stored_value(&args[0].value),
            Form::Inverse(Unwrap(unwrap)) => {
                let a = self.receiver(&args[0]);
                quote!(#a.clone().try_inverse() #unwrap)
            }
            Form::Solve(decomposition, Unwrap(unwrap)) => {
                let (a, b) = (self.receiver(&args[0]), self.operator_operand(&args[1]));
                quote!(#a.clone().#decomposition().solve(#b) #unwrap)
            }
            Form::TriangularSolve(name, Unwrap(unwrap)) => {
                let (a, b) = (self.receiver(&args[0]), self.operator_operand(&args[1]));
                quote!(#a.#name(#b) #unwrap)
            }
            Form::Cholesky(Unwrap(unwrap)) => {
                let a = self.receiver(&args[0]);
                quote!(#a.clone().cholesky() #unwrap)
            }
            // `*x` of a value already held by value (a loop element) is the value itself.
            Form::Unary(syn::UnOp::Deref(_))
                if args[0]
                    .value
                    .var()
                    .is_some_and(|v| self.body.var(v).kind == Kind::Copy) =>
            {
                self.plain_operand(&args[0].value)
            }
            Form::Unary(op @ syn::UnOp::Neg(_)) => {
                let operand = self.arithmetic_operand(&args[0]);
                quote!(#op #operand)
            }
            Form::Unary(op) => {
                let operand = self.operator_operand(&args[0]);
                quote!(#op #operand)
            }
            // In a generic function, `x.sin()` is named through `num_traits::Float`: the
            // generated code bounds `T` by it, and a `T: RealField` would make the method
            // call ambiguous. An integer's `n.min(k)` is its own method.
            Form::Method { name, .. }
                if !self.sig.float_generics.is_empty()
                    && !crate::analyse::integer_operand(&self.integers, &args[0].value)
                    && crate::rules::method(&name.to_string(), args.len())
                        .is_some_and(|rule| rule.float_trait) =>
            {
                // A float read by reference (a field of a parameter, `c.s`) is passed by
                // value, as the method call's auto-dereference would.
                let all = args.iter().map(|a| match a.value.var() {
                    Some(v) if self.body.var(v).kind == Kind::Ref => {
                        let name = self.name(v);
                        quote!(*#name)
                    }
                    _ => self.call_argument(a),
                });
                quote!(::tapeless::__private::Float::#name(#(#all),*))
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
            // The path as written, which must name the runtime's item (else the user's
            // function of that name would be taken for the rule: a compile error there).
            Form::RuleCall { path, item } => {
                let all = args.iter().map(|a| self.call_argument(a));
                let span = syn::spanned::Spanned::span(path);
                let checked = quote::quote_spanned!(span=>
                    ::tapeless::__private::Is(#path, #item).tapeless_rule()
                );
                quote!(#checked(#(#all),*))
            }
            Form::Cast(ty) => {
                let operand = self.plain_operand(&args[0].value);
                quote!(#operand as #ty)
            }
            Form::VecRepeat => {
                let (value, count) = (
                    self.stored_value(&args[0].value),
                    self.plain_operand(&args[1].value),
                );
                quote!(::tapeless::__private::vec![#value; #count])
            }
            Form::Field(members) => {
                let base = self.receiver(&args[0]);
                quote!(&#base #(.#members)*)
            }
            Form::FieldClone(member) => {
                let base = self.receiver(&args[0]);
                quote!(::core::clone::Clone::clone(&#base.#member))
            }
            Form::Tuple => {
                let values = args.iter().map(|a| self.stored_value(&a.value));
                quote!((#(#values,)*))
            }
            Form::Index => {
                let base = self.receiver(&args[0]);
                let indices = args[1..].iter().map(|a| self.plain_operand(&a.value));
                quote!(#base #([#indices])*)
            }
        }
    }

    /// The forward code of `block`; `within` is the innermost loop around it, whose
    /// carried variables its `Next` statements assign.
    pub(crate) fn forward_block(
        &self,
        block: BlockId,
        saving: bool,
        within: Option<&Loop>,
    ) -> TokenStream {
        self.body
            .block(block)
            .stmts
            .iter()
            .map(|s| {
                let stmt = self.forward_stmt(s, saving, within);
                if block == TOP && saving {
                    let stacks = self.pullback_stacks_in(s);
                    quote!(#stacks #stmt)
                } else {
                    stmt
                }
            })
            .collect()
    }

    /// Whether the call `var` runs split here: every split call in `f_vjp`, only the boxed
    /// ones (recursion) in pullbacks, where other calls are joint.
    fn is_split(&self, var: VarId) -> bool {
        self.pullbacks.contains_key(&var)
            && (self.split_calls.get() || self.strategy.boxed.contains(&var))
    }

    /// The pullback stacks of the split calls nested in a top-level statement, declared
    /// just before it: after every value of the top level their pullbacks may borrow, so
    /// that those outlive the stacks.
    fn pullback_stacks_in(&self, stmt: &Stmt) -> TokenStream {
        if self.forward.on() || self.pullback_stacks.is_empty() {
            return TokenStream::new();
        }
        let mut stacks = TokenStream::new();
        self.declare_pullback_stacks(stmt, None, true, &mut stacks);
        stacks
    }

    /// See `pullback_stacks_in`: `trips` is the capacity for the outermost loop around
    /// `stmt` (`None` outside loops, where a call runs at most once: one slot in place);
    /// `top`, whether `stmt` is the top-level statement, before which a range loop's trip
    /// count can be read (a loop in a branch may count to a value the branch defines).
    fn declare_pullback_stacks(
        &self,
        stmt: &Stmt,
        trips: Option<&TokenStream>,
        top: bool,
        out: &mut TokenStream,
    ) {
        let private = quote!(::tapeless::__private);
        match stmt {
            Stmt::Let { var, .. } => {
                if let Some(stack) = self
                    .pullback_stacks
                    .get(var)
                    .filter(|_| self.is_split(*var))
                {
                    out.extend(match trips {
                        Some(trips) => {
                            quote!(let mut #stack = #private::Vec::with_capacity(#trips);)
                        }
                        None => quote!(let mut #stack = #private::BoundedStack::<_, 1>::new();),
                    });
                }
            }
            Stmt::If(i) => {
                for block in [i.then_block, i.else_block] {
                    for s in &self.body.block(block).stmts {
                        self.declare_pullback_stacks(s, trips, false, out);
                    }
                }
            }
            Stmt::Loop(l) => {
                // A range loop's trip count is known here: one pullback per iteration, at least.
                let own = match (&l.header, trips) {
                    (_, Some(trips)) => trips.clone(),
                    (Header::Range { .. }, None) if top => self.trip_count(&l.header),
                    _ => quote!(0),
                };
                for s in &self.body.block(l.body).stmts {
                    self.declare_pullback_stacks(s, Some(&own), false, out);
                }
            }
            _ => {}
        }
    }

    /// `stack.push(v);` (or `stack[step - 1] = v;` in a loop of known trip count) when the
    /// reverse sweep restores `v`.
    fn save(&self, var: VarId, saving: bool) -> TokenStream {
        match self.stacks.get(&var) {
            Some(stack) if saving => {
                let value = self.stored_value(&Operand::Var(var));
                match self.fixed_step(var) {
                    Some(step) => quote!(#stack[#step - 1] = #value;),
                    None => quote!(#stack.push(#value);),
                }
            }
            _ => TokenStream::new(),
        }
    }

    /// `shapes_v.push(..);` when the reverse sweep makes the adjoint of the carried `phi`
    /// from its kept shape (`runtime::carried_shape`: the type chooses what is kept).
    fn keep_shape(&self, phi: VarId, saving: bool) -> TokenStream {
        match self.shapes.get(&phi) {
            Some(stack) if saving => {
                let value = self.helper_argument(&Operand::Var(phi));
                let private = quote!(::tapeless::__private);
                quote!(#stack.push({
                    use #private::{FixedShape as _, MatrixShape as _, VecShape as _};
                    use #private::{KeptZero as _, UnknownShape as _};
                    (&&&#private::ShapeOf(#value)).carried_shape()
                });)
            }
            _ => TokenStream::new(),
        }
    }

    fn forward_stmt(&self, stmt: &Stmt, saving: bool, within: Option<&Loop>) -> TokenStream {
        match stmt {
            // Forward mode: a call of a differentiated function gives its tangent too.
            Stmt::Let {
                var,
                op: Op::Call { path, args },
                ..
            } if self.forward.on() && self.active.contains(var) => {
                crate::forward::call(self, *var, path, args)
            }
            Stmt::Let {
                var,
                op: Op::Call { path, args },
                ..
            } if self.is_split(*var) => {
                let name = self.name(*var);
                let pullback =
                    self.named(&self.pullbacks, *var, "a split call without its pullback");
                let looped = self.strategy.looped.contains(var);
                let needed = args
                    .iter()
                    .map(|a| a.value.var().is_some_and(|v| self.active.contains(&v)));
                let needed = quote!([#(#needed),*]);
                let mut call = match crate::ir::called_method(path) {
                    // `p.layer.__forward_pullback(x, needs)`: the receiver's type is not named.
                    Some(method) => {
                        let method = match looped {
                            true => loop_pullback_ident(method),
                            false => pullback_ident(method),
                        };
                        let receiver = self.receiver(&args[0]);
                        let rest = args[1..].iter().map(|a| self.call_argument(a));
                        quote!(#receiver.#method(#(#rest,)* #needed))
                    }
                    None => {
                        let path = match looped {
                            true => loop_pullback_path(path),
                            false => pullback_path(path),
                        };
                        let all = args.iter().map(|a| self.call_argument(a));
                        quote!(#path(#(#all,)* #needed))
                    }
                };
                // A call in a branch or loop: its value saved like any, its pullback on its
                // stack.
                let save = self.save(*var, saving);
                let keep = self
                    .pullback_stacks
                    .get(var)
                    .map(|stack| quote!(#stack.push(#pullback);));
                if self.strategy.boxed.contains(var) {
                    call = quote!(::tapeless::__private::boxed_pullback(#call));
                }
                quote!(let (#name, #pullback) = #call; #save #keep)
            }
            Stmt::Let { var, ty, op, .. } => {
                let name = self.name(*var);
                let mut value = self.op(op);
                // A kept value: pushed by the forward sweep, read back by the replay.
                let mut keep = TokenStream::new();
                if let Some(k) = self.kept.get(var).filter(|_| !self.forward.on()) {
                    let (stack, at) = (&k.stack, &k.at);
                    if self.replaying.get() {
                        // Read without a panic path, as the reverse sweep reads (see
                        // `index::Slot`): the forward sweep pushed this value.
                        let private = quote!(::tapeless::__private);
                        value = quote!({ #at += 1; #private::read(&#stack, #at - 1) });
                    } else if self.keeping.get() {
                        keep = quote!(#stack.push(#name););
                    }
                }
                let ty = match ty {
                    Some(t) => Some(quote!(: #t)),
                    None => self.result_type(*var),
                };
                let mutable = self.needs_mut(*var).then(|| quote!(mut));
                let save = self.save(*var, saving);
                let save = quote!(#keep #save);
                let tangent = self
                    .forward
                    .on()
                    .then(|| crate::forward::tangent_of_let(self, *var, op));
                quote!(let #mutable #name #ty = #value; #save #tangent)
            }
            Stmt::Eval { op, .. } => {
                let value = self.op(op);
                quote!(#value;)
            }
            Stmt::Macro { mac, rebind } => self.forward_macro(mac, rebind),
            Stmt::Item(item) => item.to_token_stream(),
            Stmt::If(i) => self.forward_if(i, saving, within),
            Stmt::Loop(l) => self.forward_loop(l, saving),
            Stmt::Store {
                array,
                indices,
                value,
                ..
            } => {
                let tangent = self
                    .forward
                    .on()
                    .then(|| crate::forward::store(self, *array, indices, value));
                let array = self.name(*array);
                let indices = indices.iter().map(|i| self.plain_operand(i));
                let value = self.stored_value(value);
                quote!(#array #([#indices])* = #value; #tangent)
            }
            Stmt::Next { values, exit } => {
                let snapshot = within
                    .filter(|_| saving && !self.forward.on() && !self.replaying.get())
                    .map(|l| self.snapshot(l.body, true));
                let next = self.forward_next(values, *exit, within);
                quote!(#snapshot #next)
            }
        }
    }

    /// A macro statement kept as written, after rebinding the names it mentions.
    fn forward_macro(&self, mac: &syn::Macro, rebind: &[(Ident, VarId)]) -> TokenStream {
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
                Kind::Owned => quote!(let #ident = ::core::clone::Clone::clone(&#name);),
            })
        });
        quote!({ #(#rebinds)* #mac; })
    }

    /// An `if`, its merged versions bound by a `let` of the `if`'s value (in forward mode,
    /// their tangents too).
    fn forward_if(&self, i: &crate::ir::If, saving: bool, within: Option<&Loop>) -> TokenStream {
        let cond = self.plain_operand(&i.cond);
        let then_body = self.forward_block(i.then_block, saving, within);
        let else_body = self.forward_block(i.else_block, saving, within);
        let saves: TokenStream = i.merges.iter().map(|m| self.save(m.var, saving)).collect();
        // Per merged value: its name, type (if the source gives one) and branch values.
        let mut joined: Vec<(TokenStream, Option<TokenStream>, TokenStream, TokenStream)> = i
            .merges
            .iter()
            .map(|m| {
                (
                    self.name(m.var).to_token_stream(),
                    self.result_type(m.var)
                        .map(|_| self.sig.ret.to_token_stream()),
                    self.stored_value(&m.then_value),
                    self.stored_value(&m.else_value),
                )
            })
            .collect();
        if self.forward.on() {
            joined.extend(
                crate::forward::merges(self, &i.merges)
                    .into_iter()
                    .map(|(n, t, e)| (n, None, t, e)),
            );
        }
        match joined.as_slice() {
            [] => quote!(if #cond { #then_body } else { #else_body }),
            [(name, ty, t, e)] => {
                let ty = ty.as_ref().map(|ty| quote!(: #ty));
                quote!(let #name #ty = if #cond { #then_body #t } else { #else_body #e }; #saves)
            }
            merges => {
                let names = merges.iter().map(|m| &m.0);
                let ty = merges.iter().any(|m| m.1.is_some()).then(|| {
                    let types = merges.iter().map(|m| match &m.1 {
                        Some(ty) => ty.clone(),
                        None => quote!(_),
                    });
                    quote!(: (#(#types),*))
                });
                let t = merges.iter().map(|m| &m.2);
                let e = merges.iter().map(|m| &m.3);
                quote!(let (#(#names),*) #ty = if #cond { #then_body (#(#t),*) } else { #else_body (#(#e),*) }; #saves)
            }
        }
    }

    /// A loop: its counter, carried variables and fixed stacks, then the loop itself.
    fn forward_loop(&self, l: &Loop, saving: bool) -> TokenStream {
        let mut out = TokenStream::new();
        // The iteration counter is for the reverse sweep: forward mode has none.
        let counter = l.counter.filter(|_| !self.forward.on());
        if let Some(counter) = counter {
            let counter = self.name(counter);
            out.extend(quote!(let mut #counter: usize = 0;));
        }
        for c in &l.carried {
            let name = self.name(c.phi);
            let init = self.stored_value(&c.init);
            let ty = self.result_type(c.out);
            out.extend(quote!(let mut #name #ty = #init;));
        }
        if self.forward.on() {
            out.extend(crate::forward::carried(self, &l.carried));
        }
        let fixed_step = self.fixed.get(&l.body).filter(|_| saving);
        if let Some(step) = fixed_step {
            let trips = self.trip_count(&l.header);
            out.extend(quote!(let mut #step: usize = 0;));
            let saved = self.strategy.fixed.get(&l.body).into_iter().flatten();
            for v in saved {
                let stack = self.named(&self.stacks, *v, "a saved value without its stack");
                let storage = self.stack_storage(*v, &trips);
                out.extend(quote!(let mut #stack = #storage;));
            }
        }
        let count = counter
            .map(|c| self.name(c))
            .or(fixed_step)
            .map(|c| quote!(#c += 1;));
        let phi_saves: TokenStream = l
            .carried
            .iter()
            .map(|c| {
                let mut save = self.save(c.phi, saving);
                save.extend(self.keep_shape(c.phi, saving));
                save
            })
            .collect();
        // A fused loop's reverse runs in its iterations, from adjoints computed before it.
        let fused = self
            .sweep
            .fused
            .get(&l.body)
            .filter(|_| saving && !self.forward.on() && !self.replaying.get());
        if let Some(f) = fused {
            out.extend(self.reverse(&f.before));
            out.extend(self.carry_starts(&f.carries));
        }
        // A replayed body saves in its replay, not here; only its kept values, each
        // iteration's from where it starts.
        let replayed = self.sweep.replayed.contains(&l.body) && fused.is_none();
        let kept = self
            .strategy
            .kept
            .get(&l.body)
            .filter(|_| saving && replayed);
        let starts: TokenStream = kept
            .into_iter()
            .flatten()
            .filter_map(|v| self.kept.get(v))
            .map(|k| {
                let (stack, starts) = (&k.stack, &k.starts);
                quote!(#starts.push(#stack.len());)
            })
            .collect();
        let was_keeping = self.keeping.replace(kept.is_some() || self.keeping.get());
        let body = match fused {
            Some(f) => self.fused_iteration(l, f),
            None => self.forward_block(l.body, saving && !replayed, Some(l)),
        };
        self.keeping.set(was_keeping);
        let inner = quote!(#count #phi_saves #starts #body);
        out.extend(match &l.header {
            Header::Range { index, .. } => {
                let index = self.name(*index);
                let iter = self.range(&l.header);
                quote!(for #index in #iter { #inner })
            }
            Header::Forever => quote!(loop { #inner }),
        });
        for c in &l.carried {
            out.extend(self.save(c.out, saving));
        }
        if let Some(counter) = l.counter {
            out.extend(self.save(counter, saving));
        }
        out
    }

    /// An iteration of a fused loop (`Sweep::fused`): its forward statements, then its
    /// reverse, then its end (the one the fusion allows).
    fn fused_iteration(&self, l: &Loop, f: &crate::reverse::Fused) -> TokenStream {
        let Some((end, stmts)) = self.body.block(l.body).stmts.split_last() else {
            self.internal_error("a fused loop without the end of its iteration");
            return TokenStream::new();
        };
        let forward: TokenStream = stmts
            .iter()
            .map(|s| self.forward_stmt(s, true, Some(l)))
            .collect();
        let (phi_adjoints, handoffs) = self.carry_steps(&f.carries);
        let reverse = self.reverse(&f.body);
        let end = self.forward_stmt(end, true, Some(l));
        quote!(#forward #(#phi_adjoints)* #reverse #(#handoffs)* #end)
    }

    /// The end of a loop iteration: the carried variables take their next values.
    fn forward_next(&self, values: &[Operand], exit: bool, within: Option<&Loop>) -> TokenStream {
        let Some(l) = within else {
            if self.replaying.get() {
                return TokenStream::new();
            }
            self.internal_error("the end of a loop iteration outside a loop");
            return TokenStream::new();
        };
        let assignments: Vec<(TokenStream, TokenStream)> = l
            .carried
            .iter()
            .zip(values)
            .filter(|(c, v)| v.var() != Some(c.phi))
            .map(|(c, v)| (self.name(c.phi).to_token_stream(), self.stored_value(v)))
            .collect();
        let mut assignments = assignments;
        if self.forward.on() {
            assignments.extend(crate::forward::next(self, &l.carried, values));
        }
        let assign = match assignments.as_slice() {
            [] => TokenStream::new(),
            [(name, value)] => quote!(#name = #value;),
            many => {
                let names = many.iter().map(|(n, _)| n);
                let values = many.iter().map(|(_, v)| v);
                quote!((#(#names),*) = (#(#values),*);)
            }
        };
        let exit = exit.then(|| quote!(break;));
        quote!(#assign #exit)
    }

    /// The storage `Strategy::stacks` chose for the stack of `saved` (`trips`: a fixed
    /// loop's trip count, known when it starts).
    fn stack_storage(&self, saved: VarId, trips: &TokenStream) -> TokenStream {
        let private = quote!(::tapeless::__private);
        match self.strategy.stacks.get(&saved) {
            Some(Stack::FixedBounded(max)) => {
                quote!(#private::fixed_capacity::<_, { #max }>(#trips))
            }
            Some(Stack::FixedLoop { len: Some(len), .. }) => {
                quote!(#private::loop_stack!(#trips, #len))
            }
            Some(Stack::FixedLoop { len: None, span }) => {
                quote_spanned!(*span=> ::tapeless::__private::loop_stack!(#trips))
            }
            Some(Stack::GrowingBounded(max)) => {
                quote!(#private::BoundedStack::<_, { #max + 1 }>::new())
            }
            Some(Stack::Single) => quote!(#private::BoundedStack::<_, 1>::new()),
            Some(Stack::GrowingLoop(span)) => {
                quote_spanned!(*span=> ::tapeless::__private::loop_stack!())
            }
            None => {
                self.internal_error("a saved value without its storage");
                TokenStream::new()
            }
        }
    }

    /// The number of iterations of a range loop, known before it starts.
    fn trip_count(&self, header: &Header) -> TokenStream {
        let iter = self.range(header);
        quote!(::core::iter::Iterator::size_hint(&(#iter)).0)
    }

    /// The forward iteration of a range loop: `start..end`, then its adaptors.
    fn range(&self, header: &Header) -> TokenStream {
        let Header::Range {
            start,
            end,
            inclusive,
            adaptors,
            ..
        } = header
        else {
            return TokenStream::new();
        };
        let (start, end) = (self.plain_operand(start), self.plain_operand(end));
        let range = if *inclusive {
            quote!(#start..=#end)
        } else {
            quote!(#start..#end)
        };
        if adaptors.is_empty() {
            return range;
        }
        let adaptors = adaptors.iter().map(|a| match a {
            crate::ir::Adaptor::Rev => quote!(.rev()),
            crate::ir::Adaptor::StepBy(step) => {
                let step = self.plain_operand(step);
                quote!(.step_by(#step))
            }
        });
        quote!((#range) #(#adaptors)*)
    }

    // ---- reverse sweep -------------------------------------------------------------

    fn source(&self, source: Source) -> TokenStream {
        match source {
            Source::Seed => self.seed.to_token_stream(),
            Source::Adjoint(v) => self.adjoint(v),
            Source::Carry(phi) => {
                self.named(&self.carries, phi, "a carried variable without its adjoint")
            }
        }
    }

    fn reverse(&self, sweep: &[Adjoint]) -> TokenStream {
        sweep.iter().map(|step| self.reverse_step(step)).collect()
    }

    /// One step of the reverse sweep.
    fn reverse_step(&self, step: &Adjoint) -> TokenStream {
        let private = quote!(::tapeless::__private);
        match step {
            // A scalar result of an arithmetic rule: the literal can only be a float, so
            // the adjoint's type is never ambiguous (`mul_vjp_lhs` also has matrix cases).
            Adjoint::Zero(v) => {
                let d = self.adjoint(*v);
                match self.strategy.zeros.get(v) {
                    Some(Zero::Literal) => quote!(let mut #d = -0.0;),
                    Some(Zero::Scalar) => quote!(let mut #d = #private::zero();),
                    _ => {
                        let primal = self.helper_argument(&Operand::Var(*v));
                        quote!(let mut #d = #private::zero_adjoint(#primal);)
                    }
                }
            }
            Adjoint::ZeroResult(v) => {
                let (d, ret) = (self.adjoint(*v), &self.sig.ret);
                quote!(let mut #d: #ret = #private::zero();)
            }
            Adjoint::Adopt { target, out } => {
                let d = self.adjoint(*target);
                let primal = self.helper_argument(&Operand::Var(*target));
                let d_out = self.adjoint(*out);
                quote!(let mut #d = #private::adopt(#primal, #d_out);)
            }
            Adjoint::Flow {
                target,
                source,
                declare,
            } => {
                let d = self.adjoint(*target);
                let source = self.source(*source);
                if *declare {
                    quote!(let mut #d = #source;)
                } else {
                    quote!(#private::accumulate(&mut #d, &#source);)
                }
            }
            Adjoint::Accumulate {
                helper,
                arg,
                target,
                needs,
                out,
                first,
            } => self.accumulate_step(helper, *arg, *target, needs, *out, *first),
            Adjoint::Call {
                path,
                args,
                targets,
                first,
                out,
            } => self.call_step(path, args, targets, first, *out),
            Adjoint::Recompute(v) => self.recompute_step(*v),
            Adjoint::Reload { var, array, index } => {
                let name = self.name(*var);
                let array = self.helper_argument(&Operand::Var(*array));
                let index = self.name(*index);
                quote!(let #name = #private::read(#array, #index);)
            }
            // The iteration's end is not replayed: the reverse loop goes on by itself.
            Adjoint::Replay(block) => self.replay(*block),
            Adjoint::Snapshot(block) => self.snapshot(*block, false),
            Adjoint::RecomputeStmt { block, index } => {
                self.forward_stmt(&self.body.block(*block).stmts[*index], false, None)
            }
            Adjoint::Restore(v) => self.restore_step(*v),
            Adjoint::If {
                cond,
                then_branch,
                else_branch,
            } => {
                let cond = self.plain_operand(cond);
                let (t, e) = (self.reverse(then_branch), self.reverse(else_branch));
                if else_branch.is_empty() {
                    quote!(if #cond { #t })
                } else {
                    quote!(if #cond { #t } else { #e })
                }
            }
            Adjoint::Loop {
                header,
                counter,
                carries,
                rebuilt,
                body,
                body_block,
            } => {
                // Each rebuilt counter starts from its value after the loop.
                let starts = rebuilt.iter().map(|phi| {
                    let back = self.named(&self.backs, *phi, "a rebuilt counter without its name");
                    let out = match self.sweep.counters.get(phi) {
                        Some(counter) => self.name(counter.out).to_token_stream(),
                        None => {
                            self.internal_error("a rebuilt counter without its steps");
                            TokenStream::new()
                        }
                    };
                    quote!(let mut #back = #out;)
                });
                let starts: TokenStream = starts.collect();
                let reversed =
                    self.reverse_loop(header, *counter, carries, body, Some(*body_block));
                quote!(#starts #reversed)
            }
            Adjoint::Rebuild(phi) => {
                let back = self.named(&self.backs, *phi, "a rebuilt counter without its name");
                let name = self.name(*phi);
                match self.sweep.counters.get(phi) {
                    Some(counter) => {
                        let step = parenthesized(&counter.step);
                        let back_op = if counter.adds { quote!(-) } else { quote!(+) };
                        quote!(#back = #back #back_op #step; let #name = #back;)
                    }
                    None => {
                        self.internal_error("a rebuilt counter without its steps");
                        TokenStream::new()
                    }
                }
            }
            Adjoint::Slot(slot, step) => self.slot_step(slot, *step),
            Adjoint::Store {
                array,
                indices,
                value,
                keep,
            } => {
                let d_array = self.adjoint(*array);
                let indices: Vec<TokenStream> =
                    indices.iter().map(|i| self.plain_operand(i)).collect();
                match value {
                    // An increment (`a[i] += e`): the slot's adjoint stays.
                    Some(v) if *keep => {
                        let d_value = self.adjoint(*v);
                        quote!(#private::accumulate(&mut #d_value, &#private::read(&#d_array, #(#indices),*));)
                    }
                    Some(v) => {
                        let d_value = self.adjoint(*v);
                        quote!(#private::store_vjp(&mut #d_value, &mut #d_array #([#indices])*);)
                    }
                    None => quote!(#private::clear(&mut #d_array #([#indices])*);),
                }
            }
        }
    }

    /// `helper(&mut d_target, &needs.., &d_out)`, guarded by `needs` in a pullback; where
    /// `first` says so, the declaration of a vector's or matrix's adjoint as its first
    /// contribution: `let mut d_x = mul_vjp_lhs_first(|| zero_adjoint(&x), &b, &d_y);`, or
    /// for an elementwise rule `let mut d_x = tanh_vjp_first(&y, &d_y);`.
    fn accumulate_step(
        &self,
        helper: &str,
        arg: usize,
        target: VarId,
        needs: &[Operand],
        out: VarId,
        first: First,
    ) -> TokenStream {
        let private = quote!(::tapeless::__private);
        let mut d_target = self.adjoint(target);
        let mut d_out = self.adjoint(out);
        match self.strategy.routes.get(&out) {
            Some(Route::Field(members)) => d_target = quote!(#d_target #(.#members)*),
            Some(Route::TupleElement) => {
                let position = syn::Index::from(arg);
                d_out = quote!(#d_out.#position);
            }
            None => {}
        }
        let needs = needs.iter().map(|n| self.helper_argument(n));
        let first_helper = format_ident!("{}_first", helper);
        match first {
            First::Elementwise => {
                return quote!(let mut #d_target = #private::#first_helper(#(#needs,)* &#d_out););
            }
            First::Helper => {
                let primal = self.helper_argument(&Operand::Var(target));
                return quote! {
                    let mut #d_target = #private::#first_helper(|| #private::zero_adjoint(#primal), #(#needs,)* &#d_out);
                };
            }
            First::Zeros => {}
        }
        let needs: Vec<TokenStream> = needs.collect();
        self.contribution(helper, target, &d_target, &needs, &d_out)
    }

    /// `helper(&mut d_target, needs.., &d_out);`, skipped in a pullback where the caller
    /// does not use the gradient of the parameter `target`.
    fn contribution(
        &self,
        helper: &str,
        target: VarId,
        d_target: &TokenStream,
        needs: &[TokenStream],
        d_out: &TokenStream,
    ) -> TokenStream {
        let private = quote!(::tapeless::__private);
        let helper = Ident::new(helper, Span::call_site());
        let step = quote!(#private::#helper(&mut #d_target, #(#needs,)* &#d_out););
        // In a pullback, a contribution straight into a parameter's gradient the
        // caller does not use is skipped (`layer(w, x)` with data `x`: no Wᵀ·Ȳ).
        // Not for a scalar parameter: its contribution costs less than the test, and the
        // flags would be one more value for a pullback's closure to hold per call.
        let scalar = |i: usize| {
            self.sig.params.get(i).is_some_and(|p| {
                p.kind == crate::ir::Kind::Copy && matches!(p.ty, syn::Type::Path(_))
            })
        };
        match self.body.params.iter().position(|p| *p == target) {
            Some(i) if !self.split_calls.get() && !scalar(i) => {
                let flags = &self.needs;
                quote!(if #flags[#i] { #step })
            }
            _ => step,
        }
    }

    /// The reverse of a call of another differentiated function: its pullback (split
    /// mode) or its `_vjp` (joint mode), each active argument accumulating its gradient.
    fn call_step(
        &self,
        path: &syn::ExprPath,
        args: &[Arg],
        targets: &[Option<VarId>],
        first: &[bool],
        out: VarId,
    ) -> TokenStream {
        let private = quote!(::tapeless::__private);
        let mut vjp = path.clone();
        if let Some(last) = vjp.path.segments.last_mut() {
            last.ident = format_ident!("{}_vjp", last.ident, span = last.ident.span());
        }
        let all = args.iter().map(|a| self.call_argument(a));
        let d_out = self.adjoint(out);
        // Split mode: the forward sweep kept the callee's reverse sweep.
        let call = match self.pullbacks.get(&out).filter(|_| self.is_split(out)) {
            // A loop pullback takes the arguments again, the receiver aside.
            Some(_) if self.strategy.looped.contains(&out) => {
                let stack = self.named(
                    &self.pullback_stacks,
                    out,
                    "a looped call without its stack",
                );
                let method = crate::ir::called_method(path).is_some()
                    || path
                        .path
                        .segments
                        .first()
                        .is_some_and(|s| s.ident == "Self");
                let given = args[usize::from(method)..]
                    .iter()
                    .map(|a| self.call_argument(a));
                quote!(#stack.pop().unwrap()(#(#given,)* #d_out))
            }
            Some(pullback) => match self.pullback_stacks.get(&out) {
                Some(stack) => quote!(#stack.pop().unwrap()(#d_out)),
                None => quote!(#pullback(#d_out)),
            },
            None => match crate::ir::called_method(path) {
                // `p.layer.forward(x)`: `p.layer.forward_vjp(x, seed)`, whose gradient
                // struct's first field is the receiver's.
                Some(method) => {
                    let method = format_ident!("{}_vjp", method, span = method.span());
                    let receiver = self.receiver(&args[0]);
                    let rest = args[1..].iter().map(|a| self.call_argument(a));
                    quote!(#receiver.#method(#(#rest,)* #d_out).1)
                }
                None => quote!(#vjp(#(#all,)* #d_out).1),
            },
        };
        // A block of its own, and a hygienic name: `gradients` cannot shadow
        // anything the arguments or adjoints name.
        let gradients = Ident::new("gradients", Span::mixed_site());
        let accumulate = targets.iter().enumerate().filter_map(|(i, target)| {
            let d = self.adjoint((*target)?);
            let i = syn::Index::from(i);
            (!first[i.index as usize])
                .then(|| quote!(#private::accumulate_argument(&mut #d, #gradients.#i);))
        });
        // The adjoints this call declares: the block's value.
        let (declared, values): (Vec<TokenStream>, Vec<TokenStream>) = targets
            .iter()
            .zip(first)
            .enumerate()
            .filter_map(|(i, (target, first))| {
                let target = (*target).filter(|_| *first)?;
                let d = self.adjoint(target);
                let primal = self.helper_argument(&Operand::Var(target));
                let i = syn::Index::from(i);
                Some((
                    quote!(mut #d),
                    quote!(#private::first_argument(#gradients.#i, || #private::zero_adjoint(#primal))),
                ))
            })
            .unzip();
        let (pattern, value) = match declared.len() {
            0 => (None, None),
            1 => (Some(quote!(#(#declared)*)), Some(quote!(#(#values)*))),
            _ => (Some(quote!((#(#declared),*))), Some(quote!((#(#values),*)))),
        };
        let block = quote! {{
            let #gradients = #call.__tapeless_arguments();
            #(#accumulate)*
            #value
        }};
        match pattern {
            Some(pattern) => quote!(let #pattern = #block;),
            None => block,
        }
    }

    /// The replay of a loop body in its reverse iteration (`Adjoint::Replay`): the
    /// forward iteration again, reading its kept values back (`Strategy::kept`).
    fn replay(&self, block: BlockId) -> TokenStream {
        // The iteration's kept values are the end of each stack, from its start.
        let kept: Vec<&Kept> = self
            .strategy
            .kept
            .get(&block)
            .into_iter()
            .flatten()
            .filter_map(|v| self.kept.get(v))
            .collect();
        let open = kept.iter().map(|k| {
            let (starts, at) = (&k.starts, &k.at);
            quote!(let mut #at: usize = #starts.last().copied().unwrap_or_default();)
        });
        let close = kept.iter().map(|k| {
            let (stack, starts) = (&k.stack, &k.starts);
            quote!(#stack.truncate(#starts.pop().unwrap_or_default());)
        });
        self.replaying.set(true);
        let code = self.forward_block(block, true, None);
        self.replaying.set(false);
        quote!(#(#open)* #code #(#close)*)
    }

    /// A `let` of the forward sweep evaluated again.
    fn recompute_step(&self, v: VarId) -> TokenStream {
        let private = quote!(::tapeless::__private);
        match self.lets.get(&v) {
            // A read again in the reverse sweep cannot be out of bounds (the forward
            // sweep made it): read without a panic path (see `index::Slot`).
            Some(Stmt::Let {
                var,
                op:
                    Op::Rule {
                        form: Form::Index,
                        args,
                        ..
                    },
                ..
            }) if (2..=3).contains(&args.len()) => {
                let name = self.name(*var);
                let base = self.helper_argument(&args[0].value);
                let indices = args[1..].iter().map(|a| self.plain_operand(&a.value));
                let read = if args.len() == 2 {
                    quote!(read)
                } else {
                    quote!(read2)
                };
                quote!(let #name = #private::#read(#base, #(#indices),*);)
            }
            Some(Stmt::Let { var, ty, op, .. }) => {
                let name = self.name(*var);
                let value = self.op(op);
                let ty = ty.as_ref().map(|t| quote!(: #t));
                quote!(let #name #ty = #value;)
            }
            _ => {
                self.internal_error("a value to recompute has no definition");
                TokenStream::new()
            }
        }
    }

    fn reverse_loop(
        &self,
        header: &Header,
        counter: Option<VarId>,
        carries: &[Carry],
        body: &[Adjoint],
        body_block: Option<BlockId>,
    ) -> TokenStream {
        let mut out = self.carry_starts(carries);
        // The carried adjoints shaped like their values follow the values' restores.
        let restored = match carries.iter().any(|c| c.shape == CarryShape::Value) {
            true => crate::reverse::restores_first(body).len(),
            false => 0,
        };
        let (phi_adjoints, handoffs) = self.carry_steps(carries);
        let step_back = body_block
            .and_then(|b| self.fixed.get(&b))
            .map(|step| quote!(#step -= 1;));
        let (restores, body) = body.split_at(restored);
        let (restores, body) = (self.reverse(restores), self.reverse(body));
        let inner = quote!(#step_back #restores #(#phi_adjoints)* #body #(#handoffs)*);
        out.extend(match header {
            Header::Range { index, .. } => {
                let index = self.name(*index);
                let iter = self.range(header);
                match counter {
                    // The iterations that ran are counted: the k-th index is rebuilt from
                    // the range (`nth` is O(1) on ranges, for every integer type).
                    Some(counter) => {
                        let (counter, k) = (self.name(counter), &self.nth);
                        quote!(for #k in (0..#counter).rev() {
                            let #index = ::core::iter::Iterator::nth(&mut (#iter), #k).unwrap();
                            #inner
                        })
                    }
                    None => quote!(for #index in (#iter).rev() { #inner }),
                }
            }
            Header::Forever => match counter {
                Some(counter) => {
                    let counter = self.name(counter);
                    quote!(for _ in 0..#counter { #inner })
                }
                None => {
                    self.internal_error("a `loop` without an iteration counter");
                    TokenStream::new()
                }
            },
        });
        out
    }

    /// `let mut d_x_next = ..;` before a reverse loop: each carried adjoint's start.
    fn carry_starts(&self, carries: &[Carry]) -> TokenStream {
        let private = quote!(::tapeless::__private);
        let mut out = TokenStream::new();
        for carry in carries {
            let next = self.named(
                &self.carries,
                carry.phi,
                "a carried variable without its adjoint",
            );
            let start = if carry.from_out {
                self.adjoint(carry.out)
            } else {
                let out = self.helper_argument(&Operand::Var(carry.out));
                quote!(#private::zero_adjoint(#out))
            };
            out.extend(quote!(let mut #next = #start;));
        }
        out
    }

    /// A reverse iteration's first and last steps for the carried adjoints: each phi's
    /// adjoint starts at zero, shaped as [`Carry::shape`] says; and hands its value to the
    /// iteration before.
    fn carry_steps(&self, carries: &[Carry]) -> (Vec<TokenStream>, Vec<TokenStream>) {
        let private = quote!(::tapeless::__private);
        // The zero handed to the iteration before, for a carried value the body does not
        // read (`f = x.to_vec();` in a loop): made before the body, which may take the
        // adjoint it starts from over (`let mut d_f_2 = d_f_1_next;`).
        let handoff_zero =
            |next: &TokenStream| format_ident!("__tapeless_zero_{}", next.to_string());
        let zeros = carries.iter().filter(|c| !c.phi_active).map(|c| {
            let next = self.named(
                &self.carries,
                c.phi,
                "a carried variable without its adjoint",
            );
            let zero = handoff_zero(&next);
            quote!(let #zero = #private::zero_adjoint(&#next);)
        });
        let phi_adjoints = carries.iter().filter(|c| c.phi_active).map(|c| {
            let (d, next) = (
                self.adjoint(c.phi),
                self.named(
                    &self.carries,
                    c.phi,
                    "a carried variable without its adjoint",
                ),
            );
            match (c.shape, self.shapes.get(&c.phi)) {
                (CarryShape::Value, _) => {
                    let phi = self.helper_argument(&Operand::Var(c.phi));
                    quote!(let mut #d = #private::zero_adjoint(#phi);)
                }
                (CarryShape::Kept, Some(stack)) => {
                    quote!(let mut #d = #private::shaped_zero(#stack.pop(), &#next);)
                }
                _ => quote!(let mut #d = #private::zero_adjoint(&#next);),
            }
        });
        let handoffs = carries.iter().map(|c| {
            let next = self.named(
                &self.carries,
                c.phi,
                "a carried variable without its adjoint",
            );
            if c.phi_active {
                let d = self.adjoint(c.phi);
                quote!(#next = #d;)
            } else {
                let zero = handoff_zero(&next);
                quote!(#next = #zero;)
            }
        });
        (zeros.chain(phi_adjoints).collect(), handoffs.collect())
    }

    /// `let mut d_x = ..;` for each differentiated parameter, from the start
    /// `Strategy::starts` chose.
    fn parameter_adjoints(&self) -> TokenStream {
        self.differentiated()
            .map(|(param, var)| {
                let d = self.adjoint(var);
                let primal = self.helper_argument(&Operand::Var(var));
                // A float's zero is a literal: a pullback's closure then does not capture
                // the parameter for its shape.
                let float = matches!(&param.ty, syn::Type::Path(p)
                    if p.qself.is_none() && (p.path.is_ident("f64") || p.path.is_ident("f32")));
                match self.strategy.starts.get(&var) {
                    Some(Start::ZeroAdjoint) if float => quote!(let mut #d = -0.0;),
                    _ if float => quote!(let mut #d = 0.0;),
                    Some(Start::ZeroAdjoint) => {
                        quote!(let mut #d = ::tapeless::__private::zero_adjoint(#primal);)
                    }
                    _ => quote!(let mut #d = ::tapeless::__private::zeros_like(#primal);),
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

    /// The parts of a function's adjoint: its stacks, the forward sweep, the parameters'
    /// adjoints and the reverse sweep.
    fn sweeps(&self) -> Sweeps {
        let stacks = self
            .sweep
            .saved
            .iter()
            .filter(|v| !self.strategy.fixed_stack_of.contains_key(v))
            .map(|v| {
                let stack = self.named(&self.stacks, *v, "a saved value without its stack");
                let storage = self.stack_storage(*v, &TokenStream::new());
                quote!(let mut #stack = #storage;)
            })
            .chain(self.shapes.values().map(|stack| {
                quote!(let mut #stack = ::tapeless::__private::ShapeStack::new();)
            }))
            .chain(self.snapshots.values().map(|stack| {
                quote!(let mut #stack = ::tapeless::__private::Vec::new();)
            }))
            .chain(self.strategy.kept.values().flatten().filter_map(|v| self.kept.get(v)).map(|k| {
                let (stack, starts) = (&k.stack, &k.starts);
                let private = quote!(::tapeless::__private);
                quote!(let mut #stack = #private::Vec::new(); let mut #starts = #private::Vec::<usize>::new();)
            }))
            .collect();
        Sweeps {
            stacks,
            forward: self.forward_block(TOP, true, None),
            param_adjoints: self.parameter_adjoints(),
            reverse: self.reverse(&self.sweep.stmts),
        }
    }

    /// The body of `f_vjp`.
    pub fn vjp_body(&self, names: &ItemNames) -> TokenStream {
        let Sweeps {
            stacks,
            forward,
            param_adjoints,
            reverse,
        } = self.sweeps();
        let value = match &self.body.ret {
            Operand::Var(v) => self.name(*v).to_token_stream(),
            Operand::Const(c) => c.to_token_stream(),
        };
        let grad_struct = &names.grad_struct;
        let fields = self.differentiated().map(|(p, var)| {
            let field = p.field();
            let d = self.adjoint(var);
            quote!(#field: #d)
        });
        // A fused loop adds to the parameters' adjoints in the forward sweep.
        let (early, late) = match self.sweep.fused.is_empty() {
            true => (None, Some(param_adjoints)),
            false => (Some(param_adjoints), None),
        };
        quote! {
            #stacks
            #early
            #forward
            #late
            #reverse
            (#value, #grad_struct { #(#fields),* })
        }
    }

    /// The body of `__f_pullback`: the forward sweep, then the value and the reverse sweep
    /// as a closure of the seed (what a caller keeps between its forward and reverse sweeps).
    /// With `given` (`x: f64, ..`, all parameters but the receiver), the body of
    /// `__f_pullback_in_loop`: the closure takes the arguments again before the seed, as a
    /// caller's loop passes them to `f_vjp` in joint mode, so it holds none of them and
    /// computes again what is cheap to compute from them (`Sweep::rebuilt_in_loop_pullback`):
    /// a caller keeps one closure per iteration.
    pub fn pullback_body(
        &self,
        names: &ItemNames,
        grad_type: &TokenStream,
        given: Option<&[TokenStream]>,
    ) -> TokenStream {
        let (forward, closure) = self.pullback_parts(names, grad_type, given);
        let value = &self.value;
        quote! {
            #forward
            (#value, move #closure)
        }
    }

    /// The forward sweep ending in `let value = ..;`, and the reverse sweep as a closure
    /// of the seed (without `move`): the parts of a pullback.
    fn pullback_parts(
        &self,
        names: &ItemNames,
        grad_type: &TokenStream,
        given: Option<&[TokenStream]>,
    ) -> (TokenStream, TokenStream) {
        self.split_calls.set(false);
        let Sweeps {
            stacks,
            forward,
            param_adjoints,
            reverse,
        } = self.sweeps();
        let value = &self.value;
        let copy = match &self.body.ret {
            Operand::Var(v) => {
                let name = self.name(*v);
                quote!(::core::clone::Clone::clone(&#name))
            }
            Operand::Const(c) => c.to_token_stream(),
        };
        let grad_struct = &names.grad_struct;
        let fields = self.differentiated().map(|(p, var)| {
            let field = p.field();
            let d = self.adjoint(var);
            quote!(#field: #d)
        });
        let seed = &self.seed;
        let seed_type = &self.sig.seed;
        // The closure moves the forward sweep's values; a view borrows one of them, so it
        // is taken again inside (cheap: no copy) rather than moved beside its owner. Scalar
        // arithmetic on values it holds anyway is computed again rather than captured
        // (`Sweep::rebuilt_in_pullback`).
        let rebuilt = match given {
            Some(_) => &self.sweep.rebuilt_in_loop_pullback,
            None => &self.sweep.rebuilt_in_pullback,
        };
        let rebuilt: HashSet<VarId> = rebuilt.iter().copied().collect();
        let given = given.unwrap_or_default();
        let views = self.body.blocks[TOP.0]
            .stmts
            .iter()
            .filter_map(|s| match s {
                Stmt::Let {
                    var,
                    op: Op::Rule { rule, .. },
                    ..
                } if rule.view || rebuilt.contains(var) => Some(self.recompute_step(*var)),
                _ => None,
            });
        let views: Vec<TokenStream> = views.collect();
        self.split_calls.set(true);
        (
            quote! {
                #stacks
                #forward
                let #value = #copy;
            },
            quote! {
                |#(#given,)* #seed: #seed_type| -> #grad_type {
                    #(#views)*
                    #param_adjoints
                    #reverse
                    #grad_struct { #(#fields),* }
                }
            },
        )
    }

    /// `f_jacobian`'s reverse rows from one forward sweep: the forward sweep (ending in
    /// `let value = ..;`), `value`'s name, and the reverse sweep as a closure of the seed that borrows the
    /// forward's values, so it runs once per output component without the forward sweep
    /// running again (the pullback's body, callable repeatedly); a value saved once (in a
    /// branch) is read in place (`BoundedStack::peek`), not popped. `None` where a second
    /// run would not see what the first saw or could not borrow: loops (their stacks are
    /// popped), calls of differentiated functions (their reverse sweeps take arguments by
    /// value).
    pub fn shared_reverse(
        &self,
        names: &ItemNames,
        grad_type: &TokenStream,
    ) -> Option<(TokenStream, Ident, TokenStream)> {
        let simple = self
            .sweep
            .saved
            .iter()
            .all(|v| matches!(self.strategy.stacks.get(v), Some(Stack::Single)))
            && self.body.blocks.iter().all(|block| {
                block.stmts.iter().all(|s| match s {
                    Stmt::Loop(_) => false,
                    Stmt::Let { op, .. } | Stmt::Eval { op, .. } => !matches!(op, Op::Call { .. }),
                    _ => true,
                })
            });
        if !simple {
            return None;
        }
        self.sharing.set(true);
        let (forward, closure) = self.pullback_parts(names, grad_type, None);
        self.sharing.set(false);
        let needs = &self.needs;
        let count = self.sig.params.len();
        Some((
            quote!(#forward let #needs = [true; #count];),
            self.value.clone(),
            closure,
        ))
    }

    /// The name of a pullback's `needs` parameter.
    pub fn needs(&self) -> &Ident {
        &self.needs
    }

    pub fn seed(&self) -> &Ident {
        &self.seed
    }
}

/// The name of each tangent (forward mode): `{name}_dot` for each active variable and
/// differentiated parameter; a loop's value after it shares its carried tangent.
fn claim_tangents(
    namer: &mut Namer,
    body: &Body,
    activity: &Activity,
    names: &[Ident],
    storage_of: &HashMap<VarId, VarId>,
) -> HashMap<VarId, Ident> {
    let mut tangents: HashMap<VarId, Ident> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        let id = VarId(i);
        let is_out = storage_of.contains_key(&id);
        if !is_out && (activity.is_active(id) || body.params.contains(&id)) {
            tangents.insert(id, namer.claim(&format!("{}_dot", name.unraw())));
        }
    }
    let mut carried: Vec<(VarId, VarId)> = storage_of.iter().map(|(o, p)| (*o, *p)).collect();
    carried.sort();
    for (out, phi) in &carried {
        if !activity.is_active(*out) && !activity.is_active(*phi) {
            continue;
        }
        let name = match tangents.get(phi) {
            Some(name) => name.clone(),
            None => namer.claim(&format!("{}_dot", names[phi.0].unraw())),
        };
        tangents.insert(*phi, name.clone());
        tangents.insert(*out, name);
    }
    tangents
}

/// The running value of each rebuilt counter in the reverse sweep: `l_back` for `l`.
/// `{prefix}_{name}` for each of `vars`.
fn claim_each(
    namer: &mut Namer,
    vars: &BTreeSet<VarId>,
    prefix: &str,
    names: &[Ident],
) -> HashMap<VarId, Ident> {
    vars.iter()
        .map(|v| (*v, namer.claim(&format!("{prefix}_{}", names[v.0].unraw()))))
        .collect()
}

/// The local of each [`Slot`] (`d_xcentered_at_t23`), by the element read.
fn claim_slots(namer: &mut Namer, sweep: &Sweep, names: &[Ident]) -> HashMap<VarId, Ident> {
    let mut slots = Vec::new();
    crate::reverse::slots(&sweep.stmts, &mut slots);
    let mut fused: Vec<_> = sweep.fused.iter().collect();
    fused.sort_by_key(|(body, _)| **body);
    for (_, fused) in fused {
        crate::reverse::slots(&fused.before, &mut slots);
        crate::reverse::slots(&fused.body, &mut slots);
    }
    slots
        .into_iter()
        .map(|slot| {
            let (array, out) = (names[slot.array.0].unraw(), names[slot.out.0].unraw());
            (slot.out, namer.claim(&format!("d_{array}_at_{out}")))
        })
        .collect()
}

fn claim_backs(namer: &mut Namer, sweep: &Sweep, names: &[Ident]) -> HashMap<VarId, Ident> {
    let mut rebuilt: Vec<VarId> = sweep.counters.keys().copied().collect();
    rebuilt.sort();
    rebuilt
        .into_iter()
        .map(|v| (v, namer.claim(&format!("{}_back", names[v.0].unraw()))))
        .collect()
}

/// Drops the `*` of `*e` where `e` is a name in the set (see `Op::Verbatim`'s emission).
struct DerefHeld<'a>(&'a HashSet<String>);

impl VisitMut for DerefHeld<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Deref(_),
            expr: inner,
            ..
        }) = expr
        {
            if let Expr::Path(p) = &**inner {
                if p.qself.is_none()
                    && p.path
                        .get_ident()
                        .is_some_and(|i| self.0.contains(&i.to_string()))
                {
                    *expr = (**inner).clone();
                    return;
                }
            }
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

/// The parts of an adjoint (see [`Emitter::sweeps`]).
struct Sweeps {
    stacks: TokenStream,
    forward: TokenStream,
    param_adjoints: TokenStream,
    reverse: TokenStream,
}

/// `crate::model::layer` → `crate::model::__layer_pullback`.
pub fn pullback_path(path: &syn::ExprPath) -> syn::ExprPath {
    let mut path = path.clone();
    if let Some(last) = path.path.segments.last_mut() {
        last.ident = pullback_ident(&last.ident);
    }
    path
}

/// `layer` → `__layer_pullback`, spanned like `layer`.
pub fn pullback_ident(function: &Ident) -> Ident {
    format_ident!("__{}_pullback", function.unraw(), span = function.span())
}

/// `crate::model::layer` → `crate::model::__layer_pullback_in_loop`.
pub fn loop_pullback_path(path: &syn::ExprPath) -> syn::ExprPath {
    let mut path = path.clone();
    if let Some(last) = path.path.segments.last_mut() {
        last.ident = loop_pullback_ident(&last.ident);
    }
    path
}

/// `layer` → `__layer_pullback_in_loop`, spanned like `layer`.
pub fn loop_pullback_ident(function: &Ident) -> Ident {
    format_ident!(
        "__{}_pullback_in_loop",
        function.unraw(),
        span = function.span()
    )
}

/// Renames identifiers in a macro's tokens (`vec![x; n]`).
fn rename_tokens(tokens: TokenStream, names: &HashMap<String, Ident>) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) => match names.get(&ident.to_string()) {
                Some(new) => TokenTree::Ident(new.clone()),
                None => TokenTree::Ident(ident),
            },
            TokenTree::Group(group) => {
                let mut new = proc_macro2::Group::new(
                    group.delimiter(),
                    rename_tokens(group.stream(), names),
                );
                new.set_span(group.span());
                TokenTree::Group(new)
            }
            other => other,
        })
        .collect()
}

fn is_arithmetic(op: &syn::BinOp) -> bool {
    matches!(
        op,
        syn::BinOp::Add(_)
            | syn::BinOp::Sub(_)
            | syn::BinOp::Mul(_)
            | syn::BinOp::Div(_)
            | syn::BinOp::Rem(_)
    )
}

fn is_comparison(op: &syn::BinOp) -> bool {
    matches!(
        op,
        syn::BinOp::Lt(_)
            | syn::BinOp::Le(_)
            | syn::BinOp::Gt(_)
            | syn::BinOp::Ge(_)
            | syn::BinOp::Eq(_)
            | syn::BinOp::Ne(_)
    )
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
