//! The desugaring pre-pass: source-level rewrites of the function body into forms that
//! lowering already supports, so an idiom costs one rewrite here instead of a path
//! through lowering, analysis and emission. It runs once, after the signature is parsed
//! and before lowering; the function the user wrote is still emitted untouched (rustc
//! type-checks the original, so an ill-typed pattern is rustc's error there, not ours).
//!
//! - Destructuring `let`s of arrays, structs, tuple structs and nested tuples become one
//!   `let` per bound name: `let [a, b] = *p;` is `let a = p[0]; let b = p[1];`,
//!   `let Point { x, y: h } = p;` is `let x = p.x; let h = p.y;`. Flat tuple patterns
//!   are left to lowering, which destructures them itself.
//! - `it.fold(init, |acc, x| body)` becomes the loop it means,
//!   `{ let mut acc = init; for x in it { acc = body; } acc }`, and a function path
//!   where the closure goes (`fold(f64::NEG_INFINITY, f64::max)`) is called in the loop.
//! - `.map(f64::exp)` becomes `.map(|x| x.exp())`.
//! - `for p in it.filter(|q| cond) { .. }` becomes `for p in it { if { let q = p; cond }
//!   { .. } }`, and `it.filter(..).map(..).sum()` (`product`, `count`) the loop it means.
//! - `let v = vec![x, 2.0 * y];` becomes the `Vec` written by index, as array literals do.
//! - `let mut v = Vec::new();` filled by one `push` per iteration of a `for` loop becomes
//!   the `Vec` of the loop's length written by index at a counter.
//! - `a.zip_map(&b, |p, q| ..)` and `DMatrix::from_fn(r, c, |i, j| ..)` (any owner) become
//!   the loops writing each element they mean, so their closures may read differentiated
//!   values; `Vector3::new(x, y, z)`, `Matrix2::new(a, b, c, d)` (fixed-size constructors)
//!   the matrix written by index.
//! - `for &(i, j) in bonds { .. }` (any destructuring pattern of an element, also inside the
//!   pairs of `.enumerate()` and `.zip(..)`) becomes `for e in bonds { let (i, j) = e; .. }`,
//!   and `bonds.iter().map(|&(i, j)| ..)` becomes `.map(|e| { let (i, j) = e; .. })`.
//! - `for p in a.chain(b)` becomes two loops; `for p in xs.iter().step_by(k)` the loop over
//!   `(0..xs.len()).step_by(k)`.
//! - A closure's parameter over zips of zips (`|(z, (n, h))|`, `|((z, n), h)|`), `|&v|`, or a
//!   pair bound whole (`|p| p.0 * p.1`) binds a fresh name per element in the loop, nested as
//!   the zips are, and the closure's pattern from those names.
//! - `f(x).iter()` (`.zip(&f(x))`, `for v in f(x)`): the call's result bound by a `let` first.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::fold::Fold;
use syn::spanned::Spanned;
use syn::{parse_quote_spanned, Block, Expr, Ident, Pat, Stmt, Type};

use crate::errors::Errors;

/// The statements of `let (p, q) = { ..; (acc_p, acc_q) };`, the block of a fold split
/// per accumulator ([`Desugar::split_fold`]), with one `let` per element of the pattern
/// instead of the tuple (`let p = acc_p;`). `None` for any other `let`.
fn split_fold_binding(local: &syn::Local) -> Option<Vec<Stmt>> {
    let Pat::Tuple(pattern) = &local.pat else {
        return None;
    };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let Expr::Block(block) = &*init.expr else {
        return None;
    };
    let (last, before) = block.block.stmts.split_last()?;
    let Stmt::Expr(Expr::Tuple(values), None) = last else {
        return None;
    };
    let accumulators: Vec<&Ident> = values
        .elems
        .iter()
        .map(|v| match v {
            Expr::Path(p) => p.path.get_ident(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    if accumulators.len() != pattern.elems.len()
        || !accumulators
            .iter()
            .all(|a| a.to_string().starts_with("__tapeless_acc"))
    {
        return None;
    }
    let mut stmts = before.to_vec();
    for (pat, acc) in pattern.elems.iter().zip(accumulators) {
        stmts.push(parse_quote_spanned!(acc.span()=> let #pat = #acc;));
    }
    Some(stmts)
}

/// `__tapeless_same_type(&a, &b);`, written by a rewrite: lowering's `same_type` tie, which
/// gives `b` the type of `a` in the generated code.
pub const TYPE_TIE: &str = "__tapeless_same_type";

/// The function's body with the rewrites above applied. `float_types` are the names
/// whose associated functions are float methods (`f64`, `f32` and the generic types);
/// `concrete_float` is the one of `f64` and `f32` the signature names, if it names one.
pub fn desugar(
    block: &Block,
    float_types: &[Ident],
    concrete_float: Option<&Ident>,
    errors: &mut Errors,
) -> Block {
    let mut pass = Desugar {
        errors,
        float_types,
        concrete_float,
        fresh: 0,
        rows: false,
    };
    pass.fold_block(block.clone())
}

struct Desugar<'a> {
    errors: &'a mut Errors,
    float_types: &'a [Ident],
    concrete_float: Option<&'a Ident>,
    fresh: usize,
    /// The `map` loop [`Desugar::collect`] is about to write collects rows into a vector of
    /// `Vec`s: its closure's untyped `collect()` is a `Vec` (see [`Desugar::map_loop`]).
    rows: bool,
}

impl Fold for Desugar<'_> {
    fn fold_block(&mut self, mut block: Block) -> Block {
        inline_iterators(&mut block.stmts);
        // Before the rewrites, which read chains of variables.
        block.stmts = self.hoist_iterated_calls(std::mem::take(&mut block.stmts));
        let mut block = syn::fold::fold_block(self, block);
        let mut stmts = Vec::with_capacity(block.stmts.len());
        self.pushes(&mut block.stmts);
        let count = block.stmts.len();
        // The names bound to collected vectors in this block.
        let mut collected_names: Vec<Ident> = Vec::new();
        let changed_whole = ChangedWhole::of(&block.stmts);
        let mut assigned = crate::lower::syntax::Assigned::default();
        for stmt in &block.stmts {
            syn::visit::Visit::visit_stmt(&mut assigned, stmt);
        }
        for (position, stmt) in block.stmts.into_iter().enumerate() {
            let stmt = match stmt {
                Stmt::Local(local) => Stmt::Local(changed_whole.written_by_index(local)),
                other => other,
            };
            match stmt {
                // `let (s, n) = it.fold((a, b), ..);` split per accumulator: the loop's
                // statements here, then one `let` per element, so each is a value of its own.
                Stmt::Local(local) if split_fold_binding(&local).is_some() => {
                    stmts.extend(split_fold_binding(&local).unwrap_or_default());
                }
                // `let mut v = chain.collect();` reassigned whole in a nested block
                // (`v = next;` in a time-stepping loop): collected into a temporary, then
                // bound to the name, which is then a value that can be reassigned (the
                // collected vector is written by index, which cannot).
                Stmt::Local(local)
                    if collected(&local).is_some_and(|(_, name)| {
                        name.mutability.is_some()
                            && assigned.names.contains(&name.ident.to_string())
                    }) =>
                {
                    self.collect_then_bind(local, &mut stmts)
                }
                Stmt::Local(local) if collected(&local).is_some() => {
                    if let Some((_, name)) = collected(&local) {
                        collected_names.push(name.ident.clone());
                    }
                    self.collect(local, &mut stmts)
                }
                // `let x: Vec<f64> = x.iter().map(..).collect();` shadows the source of its
                // own chain: collected into a temporary first, then bound to the name.
                Stmt::Local(local) if shadowing_collect(&local).is_some() => {
                    if let Some(name) = shadowing_collect(&local) {
                        collected_names.push(name);
                    }
                    self.collect_then_bind(local, &mut stmts)
                }
                // `s = [a, b];` of an array: the elements evaluated first (they may read `s`),
                // then written by index, so that `s` is an array written by index (a state
                // array of a time-stepping loop: `s = [s[0] + dt * s[1], s[1] - dt * s[0]];`).
                Stmt::Expr(Expr::Assign(assign), Some(_))
                    if assigned_name(&assign).is_some() && flat_array(&assign.right).is_some() =>
                {
                    let span = assign.eq_token.span;
                    let left = &assign.left;
                    let elements = flat_array(&assign.right).unwrap_or_default();
                    let temps: Vec<Ident> = elements
                        .iter()
                        .map(|_| self.fresh("element", span))
                        .collect();
                    for (temp, element) in temps.iter().zip(&elements) {
                        stmts.push(parse_quote_spanned!(span=> let #temp = #element;));
                    }
                    for (i, temp) in temps.iter().enumerate() {
                        let i = syn::Index::from(i);
                        stmts.push(parse_quote_spanned!(span=> #left[#i] = #temp;));
                    }
                }
                // `v = chain.collect();`: collected into a temporary, which is then assigned
                // (the chain may read `v` itself: `v = v.windows(2).map(..).collect();`).
                Stmt::Expr(Expr::Assign(assign), Some(_))
                    if assigned_name(&assign).is_some()
                        && collect_chain(&assign.right).is_some() =>
                {
                    let span = assign.eq_token.span;
                    let (left, right) = (&assign.left, &assign.right);
                    let temp = self.fresh("collected", span);
                    if let Stmt::Local(local) = parse_quote_spanned!(span=> let #temp = #right;) {
                        self.collect(local, &mut stmts);
                    }
                    stmts.push(
                        if assigned_name(&assign).is_some_and(|n| collected_names.contains(n)) {
                            parse_quote_spanned!(span=> let mut #left = #temp;)
                        } else {
                            parse_quote_spanned!(span=> #left = #temp;)
                        },
                    );
                }
                // `v = w;` of a vector collected in this block, at the block's level: the
                // binding it means (`let mut v = w;`), since the collected `v` is written
                // by index and cannot be reassigned whole.
                Stmt::Expr(Expr::Assign(assign), Some(semi))
                    if assigned_name(&assign).is_some_and(|n| collected_names.contains(n)) =>
                {
                    let span = assign.eq_token.span;
                    let (left, right) = (&assign.left, &assign.right);
                    let _ = semi;
                    stmts.push(parse_quote_spanned!(span=> let mut #left = #right;));
                }
                Stmt::Local(local) if array_literal(&local).is_some() => {
                    array_stores(local, &mut stmts, false)
                }
                Stmt::Local(local) if vec_literal(&local).is_some() => {
                    if let Some(local) = vec_literal(&local) {
                        array_stores(local, &mut stmts, true)
                    }
                }
                // The block's value: collected into a temporary, which is the value.
                Stmt::Expr(expr, None)
                    if position + 1 == count && collect_chain(&expr).is_some() =>
                {
                    let span = expr.span();
                    let temp = self.fresh("collected", span);
                    if let Stmt::Local(local) = parse_quote_spanned!(span=> let #temp = #expr;) {
                        self.collect(local, &mut stmts);
                    }
                    stmts.push(Stmt::Expr(parse_quote_spanned!(span=> #temp), None));
                }
                // The block's value an array literal (`[self.f(x), 2.0 * x]`): bound to a
                // temporary, written by index as a `let` of one is.
                Stmt::Expr(Expr::Array(array), None) if position + 1 == count => {
                    let span = array.span();
                    let temp = self.fresh("array", span);
                    let local: Stmt = parse_quote_spanned!(span=> let #temp = #array;);
                    match local {
                        Stmt::Local(local) if array_literal(&local).is_some() => {
                            array_stores(local, &mut stmts, false);
                            stmts.push(Stmt::Expr(parse_quote_spanned!(span=> #temp), None));
                        }
                        _ => stmts.push(Stmt::Expr(Expr::Array(array), None)),
                    }
                }
                // The block's value a `vec![..]` of differentiated values: bound to a
                // temporary, the vector written by index, as a `let` of one is.
                Stmt::Expr(Expr::Macro(m), None) if position + 1 == count => {
                    let span = m.span();
                    let temp = self.fresh("vec", span);
                    let local: Stmt = parse_quote_spanned!(span=> let #temp = #m;);
                    match local {
                        Stmt::Local(local) if vec_literal(&local).is_some() => {
                            if let Some(local) = vec_literal(&local) {
                                array_stores(local, &mut stmts, true);
                            }
                            stmts.push(Stmt::Expr(parse_quote_spanned!(span=> #temp), None));
                        }
                        _ => stmts.push(Stmt::Expr(Expr::Macro(m), None)),
                    }
                }
                Stmt::Local(local) if split_at(&local).is_some() => {
                    self.split_at(local, &mut stmts)
                }
                Stmt::Local(local) if destructures(&local) => self.local(local, &mut stmts),
                // `return [x, y];`, `inner(x, [y, x])`: the array literal bound to a
                // temporary first, as the block's value is.
                Stmt::Expr(mut expr, semi) => {
                    self.hoist_arrays(&mut expr, &mut stmts);
                    stmts.push(Stmt::Expr(expr, semi));
                }
                Stmt::Local(mut local) => {
                    if let Some(init) = &mut local.init {
                        if init.diverge.is_none() {
                            self.hoist_arrays(&mut init.expr, &mut stmts);
                        }
                    }
                    stmts.push(Stmt::Local(local));
                }
                other => stmts.push(other),
            }
        }
        Block { stmts, ..block }
    }

    fn fold_expr(&mut self, expr: Expr) -> Expr {
        match syn::fold::fold_expr(self, expr) {
            Expr::MethodCall(call) if call.method == "fold" && call.args.len() == 2 => {
                self.fold_call(call)
            }
            Expr::MethodCall(mut call) if call.method == "map" && call.args.len() == 1 => {
                if let Some(closure) = self.path_closure(&call.args[0]) {
                    call.args[0] = closure;
                }
                self.map_closure(&mut call);
                Expr::MethodCall(call)
            }
            Expr::MethodCall(call) if call.method == "zip" && call.args.len() == 1 => {
                self.zip_after_map(call)
            }
            Expr::MethodCall(call)
                if (call.method == "unwrap" && call.args.is_empty())
                    || (call.method == "expect" && call.args.len() == 1) =>
            {
                match end_element(&call) {
                    Some(element) => element,
                    None => self.reduce(call),
                }
            }
            // `*&x[i]` (of `*x.first().unwrap()` rewritten) is `x[i]`.
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => match *u.expr {
                Expr::Reference(r)
                    if r.mutability.is_none() && matches!(*r.expr, Expr::Index(_)) =>
                {
                    *r.expr
                }
                expr => Expr::Unary(syn::ExprUnary {
                    expr: Box::new(expr),
                    ..u
                }),
            },
            Expr::MethodCall(call) if filtered(&call) => match self.filtered_reduction(&call) {
                Some(expr) => expr,
                None => Expr::MethodCall(call),
            },
            Expr::MethodCall(call) if call.method == "count" && call.args.is_empty() => {
                match slice_base(&call.receiver, true) {
                    Some(base) => parse_quote_spanned!(call.method.span()=> #base.len()),
                    None => Expr::MethodCall(call),
                }
            }
            // `x.sin_cos()` is `(x.sin(), x.cos())`, which is how std computes it.
            Expr::MethodCall(call) if call.method == "sin_cos" && call.args.is_empty() => {
                let span = call.method.span();
                let x = &call.receiver;
                if place(x) || matches!(**x, Expr::Lit(_)) {
                    parse_quote_spanned!(span=> (#x.sin(), #x.cos()))
                } else {
                    let temp = self.fresh("angle", span);
                    parse_quote_spanned!(span=> { let #temp = #x; (#temp.sin(), #temp.cos()) })
                }
            }
            // `(a..b).skip(k)` is `(a + k)..b`, `(a..b).take(k)` is `a..min(a + k, b)` (also
            // after `.rev()`, see `range_adaptor`): a range, which loops and reductions
            // iterate as they are.
            Expr::MethodCall(call)
                if (call.method == "skip" || call.method == "take")
                    && call.args.len() == 1
                    && (bounded_range(&call.receiver).is_some()
                        || reversed_range(&call.receiver).is_some()) =>
            {
                self.range_adaptor(call)
            }
            Expr::MethodCall(call) if call.method == "zip_map" && call.args.len() == 2 => {
                self.zip_map(call)
            }
            Expr::Call(call) if from_fn(&call).is_some() => self.constructor_loop(call),
            Expr::Call(call) if fixed_new(&call).is_some() => self.fixed_new(call),
            // `Cholesky::new(a)` is `a.cholesky()` (nalgebra's method calls it), and so
            // are `LU::new(a)`, `QR::new(a)`: the forms whose derivatives are known.
            Expr::Call(call) if decomposition_new(&call).is_some() => {
                let Some(method) = decomposition_new(&call) else {
                    return Expr::Call(call);
                };
                let span = call.func.span();
                let method = Ident::new(method, span);
                let a = &call.args[0];
                parse_quote_spanned!(span=> (#a).#method())
            }
            Expr::ForLoop(for_loop) => self.for_loop(for_loop),
            Expr::Match(m) => self.match_expr(m),
            Expr::If(i) => self.if_let(i),
            other => other,
        }
    }

    /// `let c: usize = k.iter().sum();`: the sum's type is the `let`'s, given to the sum as
    /// its turbofish (`sum::<usize>()`), so that it starts from the integer identity.
    fn fold_local(&mut self, mut local: syn::Local) -> syn::Local {
        if let (Pat::Type(typed), Some(init)) = (&local.pat, &mut local.init) {
            if let Expr::MethodCall(call) = &mut *init.expr {
                let reduction = call.method == "sum" || call.method == "product";
                if reduction
                    && call.turbofish.is_none()
                    && integer_literal(&typed.ty, "0").is_some()
                {
                    let ty = &typed.ty;
                    call.turbofish = Some(parse_quote_spanned!(call.method.span()=> ::<#ty>));
                }
            }
        }
        let mut local = syn::fold::fold_local(self, local);
        if let (Pat::Ident(_) | Pat::Tuple(_), Some(init)) = (&local.pat, &mut local.init) {
            *init.expr = self.typed_tuple((*init.expr).clone());
        }
        local
    }

    /// Items nested in the body are not differentiated: kept as written.
    fn fold_item(&mut self, item: syn::Item) -> syn::Item {
        item
    }
}

/// `value` as a literal of `ty` (`0usize`) when `ty` is an integer type (`usize`, `i64`).
pub fn integer_literal(ty: &syn::Type, value: &str) -> Option<Expr> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let name = path.path.get_ident()?;
    crate::analyse::integer_type(ty).then(|| {
        let literal = syn::LitInt::new(&format!("{value}{name}"), name.span());
        parse_quote_spanned!(name.span()=> #literal)
    })
}

/// A `let` with a value whose pattern lowering cannot bind itself.
fn destructures(local: &syn::Local) -> bool {
    let Some(init) = &local.init else {
        return false;
    };
    init.diverge.is_none()
        && match strip(&local.pat).0 {
            Pat::Slice(_) | Pat::Struct(_) | Pat::TupleStruct(_) => true,
            Pat::Tuple(t) => !matches!(local.pat, Pat::Tuple(_)) || t.elems.iter().any(nested),
            _ => false,
        }
}

/// `let v = chain.collect();` (or `let v: Vec<T> = ..`, `.collect::<Vec<_>>()`) of an
/// iterator chain whose length is known (see [`trip_count`]): the chain and the name.
fn collected(local: &syn::Local) -> Option<(&Expr, &syn::PatIdent)> {
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let (pat, ty) = strip(&local.pat);
    let Pat::Ident(name) = pat else {
        return None;
    };
    if name.by_ref.is_some() || name.subpat.is_some() || ty.is_some_and(|t| !is_vec(t)) {
        return None;
    }
    let chain = collect_chain(&init.expr)?;
    // Rows collected by the closure are written as `Vec`s: not into another element type
    // (`Vec<DVector<f64>>`, whose rows' `collect()` makes matrices).
    let outer = ty.or_else(|| turbofish_type(&init.expr));
    if collects_rows(chain)
        && outer
            .and_then(vec_element)
            .is_some_and(|e| !is_vec(e) && !matches!(e, Type::Infer(_)))
    {
        return None;
    }
    (!mentions(chain.to_token_stream(), &name.ident)).then_some((chain, name))
}

/// `T` of `Vec<T>`.
fn vec_element(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last().filter(|s| s.ident == "Vec")?;
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// The type of `.collect::<T>()`.
fn turbofish_type(expr: &Expr) -> Option<&Type> {
    match expr {
        Expr::MethodCall(call) => match call.turbofish.as_ref()?.args.first()? {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// `let x = x.iter()...collect();`: a `let` that [`collected`] would take but for its
/// name, which the chain mentions. The name.
fn shadowing_collect(local: &syn::Local) -> Option<Ident> {
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let (pat, ty) = strip(&local.pat);
    let Pat::Ident(name) = pat else {
        return None;
    };
    if name.by_ref.is_some() || name.subpat.is_some() || ty.is_some_and(|t| !is_vec(t)) {
        return None;
    }
    let chain = collect_chain(&init.expr)?;
    mentions(chain.to_token_stream(), &name.ident).then(|| name.ident.clone())
}

/// Renames the name a `let` pattern (`x`, `mut x: Vec<f64>`) binds, dropping its `mut`.
fn rename_binding(pat: &mut Pat, name: &Ident) {
    match pat {
        Pat::Ident(p) => {
            p.ident = name.clone();
            p.mutability = None;
        }
        Pat::Type(t) => rename_binding(&mut t.pat, name),
        _ => {}
    }
}

/// The elements of an array literal none of whose elements is an array (`[a, b + c]`).
fn flat_array(expr: &Expr) -> Option<Vec<&Expr>> {
    match expr {
        Expr::Array(a)
            if !a.elems.is_empty()
                && !a
                    .elems
                    .iter()
                    .any(|e| matches!(e, Expr::Array(_)) || heap_value(e)) =>
        {
            Some(a.elems.iter().collect())
        }
        _ => None,
    }
}

/// A value that is a vector or matrix on the heap by its syntax (`x.to_vec()`, `vec![..]`,
/// `it.collect()`): an array of those is not an array written by index (its elements have
/// no fixed zero), but a value lowering reports.
fn heap_value(expr: &Expr) -> bool {
    match expr {
        Expr::MethodCall(m) => ["to_vec", "collect", "into_owned", "clone_owned", "to_owned"]
            .contains(&m.method.to_string().as_str()),
        Expr::Macro(m) => m.mac.path.is_ident("vec"),
        Expr::Call(c) => matches!(&*c.func, Expr::Path(p)
            if p.path.segments.first().is_some_and(|s| s.ident == "Vec"
                || crate::parse::nalgebra_matrix(&s.ident.to_string()))),
        Expr::Paren(p) => heap_value(&p.expr),
        _ => false,
    }
}

/// `v = ..;` of a plain name: the name.
fn assigned_name(assign: &syn::ExprAssign) -> Option<&Ident> {
    match &*assign.left {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        _ => None,
    }
}

/// The chain of `chain.collect()` / `chain.collect::<Vec<..>>()` when its length is known.
fn collect_chain(expr: &Expr) -> Option<&Expr> {
    let Expr::MethodCall(call) = expr else {
        return None;
    };
    let into_vec = match &call.turbofish {
        None => true,
        Some(t) => {
            matches!(t.args.first(), Some(syn::GenericArgument::Type(ty)) if t.args.len() == 1 && is_vec(ty))
        }
    };
    (call.method == "collect" && call.args.is_empty() && into_vec)
        .then_some(&*call.receiver)
        .filter(|chain| trip_count(chain).is_some())
}

/// `let mut v = Vec::new();` (`Vec::with_capacity(n)`, `Vec::<T>::new()`, `vec![]`,
/// `let mut v: Vec<T> = ..`): the name and the type if written.
fn new_vec(local: &syn::Local) -> Option<(Ident, Option<Type>)> {
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let (pat, ty) = strip(&local.pat);
    let Pat::Ident(name) = pat else {
        return None;
    };
    if name.by_ref.is_some() || name.subpat.is_some() || name.mutability.is_none() {
        return None;
    }
    if ty.is_some_and(|t| !is_vec(t)) {
        return None;
    }
    let empty = match &*init.expr {
        Expr::Call(call) => match &*call.func {
            Expr::Path(p) => {
                let segments: Vec<_> = p.path.segments.iter().collect();
                matches!(segments.as_slice(), [.., v, f] if v.ident == "Vec"
                    && ((f.ident == "new" && call.args.is_empty())
                        || (f.ident == "with_capacity" && call.args.len() == 1)))
            }
            _ => false,
        },
        Expr::Macro(m) => m.mac.path.is_ident("vec") && m.mac.tokens.is_empty(),
        _ => false,
    };
    empty.then(|| (name.ident.clone(), ty.cloned()))
}

/// The position of `name.push(e);` among the statements of `for_loop`'s body, and the
/// loop's trip count, when the body pushes exactly once per iteration: one such statement,
/// no exit that could skip it (`break`, `continue`, `return`, `?`), and no other mention of
/// `name` than element reads and writes (`name[k - 1]`), which mean the same on the vector
/// written by index.
fn filled_by_push(for_loop: &syn::ExprForLoop, name: &Ident) -> Option<(usize, Expr)> {
    let count = trip_count(&for_loop.expr)?;
    if mentions(for_loop.expr.to_token_stream(), name) || for_loop.label.is_some() {
        return None;
    }
    let mut position = None;
    for (k, stmt) in for_loop.body.stmts.iter().enumerate() {
        match stmt {
            Stmt::Expr(Expr::MethodCall(m), Some(_))
                if m.method == "push"
                    && m.args.len() == 1
                    && matches!(&*m.receiver, Expr::Path(p) if p.path.is_ident(name)) =>
            {
                if position.replace(k).is_some() || !only_indexed(&m.args[0], name) {
                    return None;
                }
            }
            other => {
                let mut visit = OnlyIndexed {
                    name,
                    ok: true,
                    exits: false,
                };
                syn::visit::Visit::visit_stmt(&mut visit, other);
                if !visit.ok || visit.exits {
                    return None;
                }
            }
        }
    }
    let mut exits = OnlyIndexed {
        name,
        ok: true,
        exits: false,
    };
    if let Some(Stmt::Expr(Expr::MethodCall(m), _)) = position.map(|k| &for_loop.body.stmts[k]) {
        syn::visit::Visit::visit_expr(&mut exits, &m.args[0]);
    }
    (!exits.exits).then_some(())?;
    Some((position?, count))
}

fn only_indexed(expr: &Expr, name: &Ident) -> bool {
    let mut visit = OnlyIndexed {
        name,
        ok: true,
        exits: false,
    };
    syn::visit::Visit::visit_expr(&mut visit, expr);
    visit.ok
}

/// Whether `name` is mentioned only as the base of an index (`name[i]`), and whether an exit
/// (`break`, `continue` outside a nested loop, `return`, `?`) occurs outside closures.
struct OnlyIndexed<'a> {
    name: &'a Ident,
    ok: bool,
    exits: bool,
}

impl<'ast> syn::visit::Visit<'ast> for OnlyIndexed<'_> {
    fn visit_expr_index(&mut self, e: &'ast syn::ExprIndex) {
        match &*e.expr {
            Expr::Path(p) if p.path.is_ident(self.name) => self.visit_expr(&e.index),
            _ => syn::visit::visit_expr_index(self, e),
        }
    }
    fn visit_ident(&mut self, ident: &'ast Ident) {
        if ident == self.name {
            self.ok = false;
        }
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if mentions(m.tokens.clone(), self.name) {
            self.ok = false;
        }
    }
    fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
        self.exits = true;
    }
    fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
        self.exits = true;
    }
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.exits = true;
    }
    fn visit_expr_try(&mut self, _: &'ast syn::ExprTry) {
        self.exits = true;
    }
    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        // Exits inside a closure leave the closure; the name may still be read there.
        let exits = self.exits;
        syn::visit::visit_expr_closure(self, c);
        self.exits = exits;
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether a loop body has a `break` of its own loop (not of a nested loop or a closure).
struct Breaks(bool);

impl<'ast> syn::visit::Visit<'ast> for Breaks {
    fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
        self.0 = true;
    }
    fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
        self.visit_expr(&l.expr);
    }
    fn visit_expr_while(&mut self, l: &'ast syn::ExprWhile) {
        self.visit_expr(&l.cond);
    }
    fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// `Vec<..>`.
fn is_vec(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
}

/// The number of elements an iterator chain yields, as an expression, when its syntax tells:
/// slices, arrays and `Vec`s (`xs.iter()`, `&xs`, `&xs[a..b]`), bounded ranges, and the
/// adaptors `map`, `enumerate`, `rev`, `copied`, `cloned`, `zip`, `skip`, `take`, `step_by`,
/// `windows` and `chunks`. The expressions it repeats are variables, fields and data.
fn trip_count(chain: &Expr) -> Option<Expr> {
    let span = chain.span();
    match chain {
        Expr::Paren(p) => trip_count(&p.expr),
        Expr::Reference(r) if r.mutability.is_none() => trip_count(&r.expr),
        Expr::Range(r) => {
            let (start, end) = (r.start.as_ref()?, r.end.as_ref()?);
            let inclusive = matches!(r.limits, syn::RangeLimits::Closed(_));
            Some(parse_quote_spanned!(span=>
                ::tapeless::__private::range_len((#start) as i128, (#end) as i128, #inclusive)
            ))
        }
        _ if place(chain) => Some(parse_quote_spanned!(span=> #chain.len())),
        Expr::Index(i) if place(&i.expr) && matches!(&*i.index, Expr::Range(_)) => {
            Some(parse_quote_spanned!(span=> #chain.len()))
        }
        Expr::MethodCall(m) => {
            let inner = || trip_count(&m.receiver);
            match (m.method.to_string().as_str(), m.args.len()) {
                ("iter" | "into_iter" | "copied" | "cloned" | "enumerate" | "rev", 0) => inner(),
                ("map", 1) => inner(),
                ("zip", 1) => {
                    let (a, b) = (inner()?, trip_count(&m.args[0])?);
                    Some(parse_quote_spanned!(span=> ::core::cmp::min(#a, #b)))
                }
                ("chain", 1) => {
                    let (a, b) = (inner()?, trip_count(&m.args[0])?);
                    Some(parse_quote_spanned!(span=> #a + #b))
                }
                (method, 1) => {
                    let (n, k) = (inner()?, &m.args[0]);
                    Some(match method {
                        "skip" => parse_quote_spanned!(span=> (#n).saturating_sub(#k)),
                        "take" => parse_quote_spanned!(span=> ::core::cmp::min(#n, #k)),
                        "windows" => parse_quote_spanned!(span=> (#n + 1).saturating_sub(#k)),
                        "chunks" | "step_by" => parse_quote_spanned!(span=> (#n + #k - 1) / (#k)),
                        "chunks_exact" => parse_quote_spanned!(span=> (#n) / (#k)),
                        _ => return None,
                    })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The names a block (nested blocks included) changes other than by writing an element:
/// reassigned whole (`a = [y, x];`, `a += ..`), borrowed mutably (`&mut a`), or the
/// receiver of a method that is not one of the reads below (`v.push(z)`, `a.swap(0, 1)`).
#[derive(Default)]
struct ChangedWhole {
    names: Vec<String>,
}

impl ChangedWhole {
    fn of(stmts: &[Stmt]) -> Self {
        let mut assigned = crate::lower::syntax::Assigned::default();
        let mut changed = ChangedWhole::default();
        for stmt in stmts {
            syn::visit::Visit::visit_stmt(&mut assigned, stmt);
            syn::visit::Visit::visit_stmt(&mut changed, stmt);
        }
        changed.names.extend(assigned.names);
        changed
    }

    /// `let mut a = [x, 2.0 * y];` (or `vec![..]`) whose name this block only writes by
    /// index: without the `mut`, so that it is the array written by index that an
    /// immutable one is (`array_stores`), which lowering differentiates; the stores that
    /// follow write the same array.
    fn written_by_index(&self, local: syn::Local) -> syn::Local {
        let mut immutable = local.clone();
        let pat = match &mut immutable.pat {
            Pat::Type(t) => &mut *t.pat,
            other => other,
        };
        let Pat::Ident(name) = pat else {
            return local;
        };
        if name.mutability.is_none() || self.names.contains(&name.ident.to_string()) {
            return local;
        }
        name.mutability = None;
        // Only a literal that `array_stores` writes by index (not one of constants).
        if array_literal(&immutable).is_some() || vec_literal(&immutable).is_some() {
            immutable
        } else {
            local
        }
    }
}

impl<'ast> syn::visit::Visit<'ast> for ChangedWhole {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        const READS: &[&str] = &[
            "iter",
            "len",
            "is_empty",
            "first",
            "last",
            "get",
            "into_iter",
            "windows",
            "chunks",
            "chunks_exact",
            "clone",
            "to_vec",
            "as_slice",
            "split_at",
            "contains",
            "sum",
            "product",
        ];
        if let Expr::Path(p) = &*call.receiver {
            if let Some(name) = p.path.get_ident() {
                if !READS.contains(&call.method.to_string().as_str()) {
                    self.names.push(name.to_string());
                }
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
    fn visit_expr_reference(&mut self, r: &'ast syn::ExprReference) {
        if let (Some(_), Expr::Path(p)) = (r.mutability, &*r.expr) {
            if let Some(name) = p.path.get_ident() {
                self.names.push(name.to_string());
            }
        }
        syn::visit::visit_expr_reference(self, r);
    }
}

/// `let a = [x, 2.0 * y];` (also nested, `[[a, b], [c, d]]`, up to two levels) with an
/// element that is not a literal: the name and the literal's shape (lengths, outermost
/// first). Not when an element mentions the name (`let r = [r[1], r[0]];`).
fn array_literal(local: &syn::Local) -> Option<(&syn::PatIdent, Vec<usize>)> {
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let Pat::Ident(name) = strip(&local.pat).0 else {
        return None;
    };
    // `let mut a = [i, j];` may be reassigned whole (`a = [j, i];`), which an array written
    // by index cannot be: kept as written.
    if name.by_ref.is_some() || name.subpat.is_some() || name.mutability.is_some() {
        return None;
    }
    let mut shape = Vec::new();
    let mut level = &*init.expr;
    while let Expr::Array(a) = level {
        shape.push(a.elems.len());
        level = a.elems.first()?;
    }
    let mut leaves = Vec::new();
    let rectangular =
        !shape.is_empty() && shape.len() <= 2 && leaves_of(&init.expr, &shape, &mut leaves);
    let constant = |e: &Expr| match e {
        Expr::Lit(_) => true,
        Expr::Unary(u) => matches!(u.op, syn::UnOp::Neg(_)) && matches!(*u.expr, Expr::Lit(_)),
        _ => false,
    };
    // A struct or a constructor (`Point { .. }`, `Vector3::new(..)`) may have no `Default`:
    // left for lowering to report.
    // (A float's constants and conversions, `T::zero()`, `T::from(c).unwrap()`, are floats.)
    const FLOAT_FUNCTIONS: &[&str] = &[
        "zero",
        "one",
        "from",
        "from_f64",
        "from_f32",
        "epsilon",
        "infinity",
        "neg_infinity",
        "nan",
        "max_value",
        "min_value",
        "min_positive_value",
    ];
    let constructed = |e: &Expr| match e {
        Expr::Struct(_) => true,
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p)
                if p.path.segments.iter().any(|s| s.ident.to_string().starts_with(char::is_uppercase))
                    && !p.path.segments.last().is_some_and(|s| FLOAT_FUNCTIONS.contains(&s.ident.to_string().as_str())))
        }
        _ => false,
    };
    (rectangular
        && !leaves.iter().all(|e| constant(e))
        && !leaves.iter().any(|e| constructed(e) || heap_value(e))
        && !mentions(init.expr.to_token_stream(), &name.ident))
    .then_some((name, shape))
}

/// The elements of an array literal of exactly `shape`, in order.
fn leaves_of<'e>(expr: &'e Expr, shape: &[usize], out: &mut Vec<&'e Expr>) -> bool {
    match (expr, shape) {
        (Expr::Array(a), [len, rest @ ..]) => {
            a.elems.len() == *len && a.elems.iter().all(|e| leaves_of(e, rest, out))
        }
        (Expr::Array(_), []) => false,
        (_, []) => {
            out.push(expr);
            true
        }
        _ => false,
    }
}

/// `let v = vec![x, 2.0 * y];` of differentiated values, as `let v = [x, 2.0 * y];` (one
/// level: `vec![vec![..]]` is not), for [`array_stores`] to write as a `Vec`.
fn vec_literal(local: &syn::Local) -> Option<syn::Local> {
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let Expr::Macro(m) = &*init.expr else {
        return None;
    };
    if !m.mac.path.is_ident("vec") {
        return None;
    }
    let elems = m
        .mac
        .parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    if elems.is_empty() || elems.iter().any(|e| matches!(e, Expr::Array(_))) {
        return None;
    }
    let array = Expr::Array(syn::ExprArray {
        attrs: Vec::new(),
        bracket_token: Default::default(),
        elems,
    });
    let mut local = local.clone();
    if let Some(init) = &mut local.init {
        *init.expr = array;
    }
    array_literal(&local).is_some().then_some(local)
}

/// `let a = [x, 2.0 * y];` as an array written by index, which lowering differentiates:
/// `let mut a: [_; 2] = Default::default(); a[0] = x; a[1] = 2.0 * y;`; for a `Vec`
/// (`vec![x, 2.0 * y]`), `let mut a: Vec<_> = vec![Default::default(); 2];` first.
fn array_stores(local: syn::Local, out: &mut Vec<Stmt>, vec: bool) {
    let Some((name, shape)) = array_literal(&local) else {
        return;
    };
    let Some(init) = &local.init else {
        return;
    };
    let span = local.let_token.span;
    let ident = &name.ident;
    let ty: Type = match strip(&local.pat).1 {
        Some(ty) => ty.clone(),
        None => shape
            .iter()
            .rev()
            .fold(parse_quote_spanned!(span=> _), |inner: Type, len| {
                let len = syn::LitInt::new(&len.to_string(), span);
                parse_quote_spanned!(span=> [#inner; #len])
            }),
    };
    if vec {
        let ty: Type = match strip(&local.pat).1 {
            Some(ty) => ty.clone(),
            None => parse_quote_spanned!(span=> Vec<_>),
        };
        let len = syn::LitInt::new(&shape[0].to_string(), span);
        out.push(parse_quote_spanned!(span=>
            let mut #ident: #ty = vec![::core::default::Default::default(); #len];
        ));
    } else {
        out.push(parse_quote_spanned!(span=>
            let mut #ident: #ty = ::core::default::Default::default();
        ));
    }
    let mut leaves = Vec::new();
    leaves_of(&init.expr, &shape, &mut leaves);
    for (k, leaf) in leaves.into_iter().enumerate() {
        // The leaf's position, outermost index first.
        let mut indices = Vec::new();
        let mut rest = k;
        for len in shape.iter().rev() {
            indices.push(syn::LitInt::new(&(rest % len).to_string(), leaf.span()));
            rest /= len;
        }
        indices.reverse();
        out.push(parse_quote_spanned!(leaf.span()=> #ident #([#indices])* = #leaf;));
    }
}

/// `let (a, b) = x.split_at(k);` of a variable or field `x`: `x`, `k` and the two patterns.
fn split_at(local: &syn::Local) -> Option<(&Expr, &Expr, &Pat, &Pat)> {
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let Expr::MethodCall(call) = &*init.expr else {
        return None;
    };
    let Pat::Tuple(tuple) = &local.pat else {
        return None;
    };
    let simple = |p: &Pat| !nested(p);
    if call.method != "split_at"
        || call.args.len() != 1
        || !place(&call.receiver)
        || tuple.elems.len() != 2
        || !tuple.elems.iter().all(simple)
    {
        return None;
    }
    // `let (x, rest) = x.split_at(k);`: the second slice would be of the first.
    let mut first = Vec::new();
    bound_names(&tuple.elems[0], &mut first);
    let (x, k) = (&call.receiver, &call.args[0]);
    if first
        .iter()
        .any(|name| mentions(x.to_token_stream(), name) || mentions(k.to_token_stream(), name))
    {
        return None;
    }
    Some((x, k, &tuple.elems[0], &tuple.elems[1]))
}

/// A variable or a field of one (`x`, `self.x`, `p.w.b`): evaluating it again reads the same.
fn place(expr: &Expr) -> bool {
    match expr {
        Expr::Path(p) => p.qself.is_none() && p.path.get_ident().is_some(),
        Expr::Field(f) => place(&f.base),
        Expr::Paren(p) => place(&p.expr),
        _ => false,
    }
}

/// `x.first().unwrap()` as `&x[0]` and `x.last().unwrap()` as `&x[x.len() - 1]` (also with
/// `.expect(..)`, and `.copied()`/`.cloned()` before it: then the element itself), for a
/// variable or field `x`: an element read lowering differentiates. An empty `x` panics at
/// the index as it panics at the `unwrap`.
fn end_element(call: &syn::ExprMethodCall) -> Option<Expr> {
    let mut receiver = &*call.receiver;
    let mut by_value = false;
    if let Expr::MethodCall(m) = receiver {
        if (m.method == "copied" || m.method == "cloned") && m.args.is_empty() {
            by_value = true;
            receiver = &m.receiver;
        }
    }
    let Expr::MethodCall(end) = receiver else {
        return None;
    };
    if !end.args.is_empty() || !place(&end.receiver) {
        return None;
    }
    let x = &end.receiver;
    let span = end.method.span();
    let element: Expr = match end.method.to_string().as_str() {
        "first" => parse_quote_spanned!(span=> #x[0]),
        "last" => parse_quote_spanned!(span=> #x[#x.len() - 1]),
        _ => return None,
    };
    Some(match by_value {
        true => element,
        false => parse_quote_spanned!(span=> &#element),
    })
}

/// `Owner::from_fn(sizes.., |i, j| ..)` (nalgebra's constructor, any owner: `DMatrix`,
/// `DVector`, `Matrix3`, `SVector::<f64, 3>`): the owner's path and the closure.
fn from_fn(call: &syn::ExprCall) -> Option<(syn::Path, &syn::ExprClosure)> {
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let segments = &func.path.segments;
    if func.qself.is_some() || segments.len() < 2 || segments.last()?.ident != "from_fn" {
        return None;
    }
    let Some(Expr::Closure(closure)) = call.args.last() else {
        return None;
    };
    if closure.inputs.len() != 2 || mentions_return(&closure.body) {
        return None;
    }
    let mut owner = func.path.clone();
    owner.segments.pop();
    // The separator left after the owner's last segment.
    let last = owner.segments.pop()?.into_value();
    owner.segments.push(last);
    Some((owner, closure))
}

/// `Vector3::new(x, y, z)`, `Matrix2::new(a, b, c, d)`, `Matrix2x3::new(..)`,
/// `RowVector2::new(..)` (nalgebra's fixed-size constructors, arguments row by row) with an
/// argument that is not a literal: the owner's path and the shape (rows, columns).
/// `Cholesky::new(a)`, `LU::new(a)`, `QR::new(a)` (any path to nalgebra's type): the
/// method that computes the same decomposition (`cholesky`, `lu`, `qr`).
fn decomposition_new(call: &syn::ExprCall) -> Option<&'static str> {
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let segments = &func.path.segments;
    if func.qself.is_some() || segments.len() < 2 || segments.last()?.ident != "new" {
        return None;
    }
    if call.args.len() != 1 {
        return None;
    }
    match segments[segments.len() - 2].ident.to_string().as_str() {
        "Cholesky" => Some("cholesky"),
        "LU" => Some("lu"),
        "QR" => Some("qr"),
        _ => None,
    }
}

fn fixed_new(call: &syn::ExprCall) -> Option<(syn::Path, usize, usize)> {
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let segments = &func.path.segments;
    if func.qself.is_some() || segments.len() < 2 || segments.last()?.ident != "new" {
        return None;
    }
    let owner = segments[segments.len() - 2].ident.to_string();
    let size = |digits: &str| -> Option<usize> {
        let n: usize = digits.parse().ok()?;
        (1..=6).contains(&n).then_some(n)
    };
    let (rows, cols) = if let Some(n) = owner.strip_prefix("RowVector") {
        (1, size(n)?)
    } else if let Some(n) = owner.strip_prefix("Vector") {
        (size(n)?, 1)
    } else if let Some(shape) = owner.strip_prefix("Matrix") {
        match shape.split_once('x') {
            Some((r, c)) => (size(r)?, size(c)?),
            None => (size(shape)?, size(shape)?),
        }
    } else {
        return None;
    };
    let constant = |e: &Expr| match e {
        Expr::Lit(_) => true,
        Expr::Unary(u) => matches!(&*u.expr, Expr::Lit(_)),
        _ => false,
    };
    if call.args.len() != rows * cols || call.args.iter().all(constant) {
        return None;
    }
    let mut owner = func.path.clone();
    owner.segments.pop();
    let last = owner.segments.pop()?.into_value();
    owner.segments.push(last);
    Some((owner, rows, cols))
}

/// A tuple element lowering cannot bind (anything but a name or `_`).
fn nested(pat: &Pat) -> bool {
    !matches!(pat, Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none())
        && !matches!(pat, Pat::Wild(_))
}

/// A pattern that destructures its value (a tuple, an array, a struct or a tuple struct,
/// also behind `&` or parentheses), as opposed to a name or `_`.
fn destructuring(pat: &Pat) -> bool {
    matches!(
        strip(pat).0,
        Pat::Tuple(_) | Pat::Slice(_) | Pat::Struct(_) | Pat::TupleStruct(_)
    )
}

/// How the elements of an iterator pair up, read from its syntax: `.enumerate()` pairs a
/// count with the element, `.zip(ys)` pairs two elements.
enum Shape {
    /// One element of a container (or an index of a range).
    Element,
    Pair(Box<Shape>, Box<Shape>),
    /// Not known from the syntax (after `.map(f)`, of a call).
    Unknown,
}

impl Shape {
    fn of(expr: &Expr) -> Shape {
        match expr {
            Expr::Paren(p) => Shape::of(&p.expr),
            Expr::Group(g) => Shape::of(&g.expr),
            Expr::Reference(r) => Shape::of(&r.expr),
            Expr::Path(_) | Expr::Field(_) | Expr::Index(_) | Expr::Range(_) => Shape::Element,
            Expr::MethodCall(m) => match (m.method.to_string().as_str(), m.args.len()) {
                ("enumerate", 0) => {
                    Shape::Pair(Box::new(Shape::Element), Box::new(Shape::of(&m.receiver)))
                }
                ("zip", 1) => Shape::Pair(
                    Box::new(Shape::of(&m.receiver)),
                    Box::new(Shape::of(&m.args[0])),
                ),
                ("iter", 0) => Shape::Element,
                ("into_iter" | "copied" | "cloned" | "rev", 0) => Shape::of(&m.receiver),
                ("skip" | "take" | "step_by" | "filter" | "chain", 1) => Shape::of(&m.receiver),
                _ => Shape::Unknown,
            },
            _ => Shape::Unknown,
        }
    }
}

/// The pattern without parentheses, `&` and a type ascription, and the type if any.
fn strip(pat: &Pat) -> (&Pat, Option<&Type>) {
    match pat {
        Pat::Paren(p) => strip(&p.pat),
        Pat::Reference(r) if r.mutability.is_none() => strip(&r.pat),
        Pat::Type(t) => (strip(&t.pat).0, Some(&*t.ty)),
        other => (other, None),
    }
}

impl Desugar<'_> {
    /// Binds the array literals that `expr` returns, passes to a call it makes or calls a
    /// method of (`return [x, y]`, `inner(x, [y, x])`, `s += g(x) * inner([x, y])`,
    /// `[a, b].iter().zip(..)`) to temporaries
    /// written by index, pushed onto `out` before the statement. Only where the statement
    /// evaluates them unconditionally: not under `&&`, in a closure or a branch.
    fn hoist_arrays(&mut self, expr: &mut Expr, out: &mut Vec<Stmt>) {
        match expr {
            Expr::Return(r) => {
                if let Some(value) = &mut r.expr {
                    self.hoist_arrays(value, out);
                    self.hoist_array(value, out);
                }
            }
            Expr::Assign(a) => self.hoist_arrays(&mut a.right, out),
            // `a && b` evaluates `b` only sometimes.
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
                self.hoist_arrays(&mut b.left, out)
            }
            Expr::Binary(b) => {
                self.hoist_arrays(&mut b.left, out);
                self.hoist_arrays(&mut b.right, out);
            }
            Expr::Unary(u) => self.hoist_arrays(&mut u.expr, out),
            Expr::Paren(p) => self.hoist_arrays(&mut p.expr, out),
            Expr::Cast(c) => self.hoist_arrays(&mut c.expr, out),
            Expr::Call(c) => {
                for arg in &mut c.args {
                    self.hoist_arrays(arg, out);
                    self.hoist_array(arg, out);
                }
            }
            Expr::MethodCall(c) => {
                self.hoist_arrays(&mut c.receiver, out);
                // `[wa, wb, wc].iter().zip(..)`: the receiver too.
                self.hoist_array(&mut c.receiver, out);
                for arg in &mut c.args {
                    self.hoist_arrays(arg, out);
                    self.hoist_array(arg, out);
                }
            }
            _ => {}
        }
    }

    /// `stmts` with the calls each iterates bound by `let`s before it ([`Self::hoist_calls`]).
    fn hoist_iterated_calls(&mut self, stmts: Vec<Stmt>) -> Vec<Stmt> {
        let mut out = Vec::with_capacity(stmts.len());
        for mut stmt in stmts {
            match &mut stmt {
                Stmt::Expr(expr, _) => self.hoist_calls(expr, &mut out),
                Stmt::Local(local) => {
                    if let Some(init) = local.init.as_mut().filter(|i| i.diverge.is_none()) {
                        self.hoist_calls(&mut init.expr, &mut out);
                    }
                }
                _ => {}
            }
            out.push(stmt);
        }
        out
    }

    /// Binds the results of calls that `expr` iterates (`f(x).iter()`, `.zip(&f(x))`,
    /// `for v in f(x)`) to temporaries, pushed onto `out` before the statement, so the
    /// chain starts from a variable as the rewrites of chains and lowering's loops need.
    /// Only where the statement evaluates them unconditionally (as [`Self::hoist_arrays`]);
    /// the call then runs before the rest of the statement, which differentiated code,
    /// whose calls cannot mutate their arguments, does not observe.
    fn hoist_calls(&mut self, expr: &mut Expr, out: &mut Vec<Stmt>) {
        match expr {
            Expr::Return(r) => {
                if let Some(value) = &mut r.expr {
                    self.hoist_calls(value, out);
                }
            }
            Expr::Assign(a) => self.hoist_calls(&mut a.right, out),
            // `a && b` evaluates `b` only sometimes.
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
                self.hoist_calls(&mut b.left, out)
            }
            Expr::Binary(b) => {
                self.hoist_calls(&mut b.left, out);
                self.hoist_calls(&mut b.right, out);
            }
            Expr::Unary(u) => self.hoist_calls(&mut u.expr, out),
            Expr::Paren(p) => self.hoist_calls(&mut p.expr, out),
            Expr::Cast(c) => self.hoist_calls(&mut c.expr, out),
            Expr::Reference(r) => self.hoist_calls(&mut r.expr, out),
            Expr::Call(c) => {
                for arg in &mut c.args {
                    self.hoist_calls(arg, out);
                }
            }
            Expr::MethodCall(c) => {
                self.hoist_calls(&mut c.receiver, out);
                for arg in &mut c.args {
                    self.hoist_calls(arg, out);
                }
                let method = c.method.to_string();
                if ITERATED.contains(&method.as_str()) {
                    self.hoist_call(&mut c.receiver, out);
                } else if method == "zip" && c.args.len() == 1 {
                    self.hoist_call(&mut c.args[0], out);
                }
            }
            Expr::ForLoop(f) => {
                self.hoist_calls(&mut f.expr, out);
                self.hoist_call(&mut f.expr, out);
            }
            _ => {}
        }
    }

    /// `f(x)` (or `&f(x)`, `(f(x))`) becomes a temporary bound to it.
    fn hoist_call(&mut self, expr: &mut Expr, out: &mut Vec<Stmt>) {
        let call = match expr {
            Expr::Reference(r) if r.mutability.is_none() => &mut *r.expr,
            other => other,
        };
        let call = match call {
            Expr::Paren(p) => &mut *p.expr,
            other => other,
        };
        if !matches!(call, Expr::Call(_)) {
            return;
        }
        let span = call.span();
        let temp = self.fresh("result", span);
        out.push(parse_quote_spanned!(span=> let #temp = #call;));
        *call = parse_quote_spanned!(span=> #temp);
    }

    /// `[x, y]` (or `&[x, y]`) becomes a temporary written by index, when it is an array
    /// literal that a `let` would write so (see [`array_literal`]).
    fn hoist_array(&mut self, expr: &mut Expr, out: &mut Vec<Stmt>) {
        let array = match expr {
            Expr::Reference(r) if r.mutability.is_none() => &mut *r.expr,
            other => other,
        };
        if !matches!(array, Expr::Array(_)) {
            return;
        }
        let span = array.span();
        let temp = self.fresh("array", span);
        let Stmt::Local(local) = parse_quote_spanned!(span=> let #temp = #array;) else {
            return;
        };
        if array_literal(&local).is_some() {
            array_stores(local, out, false);
            *array = parse_quote_spanned!(span=> #temp);
        }
    }

    fn fresh(&mut self, what: &str, span: Span) -> Ident {
        self.fresh += 1;
        Ident::new(&format!("__tapeless_{what}{}", self.fresh), span)
    }

    /// `let v = chain.collect();` as the chain collected into a temporary and the name bound
    /// to it (`let v = __tapeless_collected;`): a value, not the vector written by index.
    fn collect_then_bind(&mut self, local: syn::Local, stmts: &mut Vec<Stmt>) {
        let span = local.let_token.span;
        let temp = self.fresh("collected", span);
        let mut temporary = local.clone();
        rename_binding(&mut temporary.pat, &temp);
        self.collect(temporary, stmts);
        let pat = &local.pat;
        stmts.push(parse_quote_spanned!(span=> let #pat = #temp;));
    }

    /// `let v = chain.collect();` as a vector written by index, which lowering
    /// differentiates: `let mut v = vec![Default::default(); n]; let mut k = 0;
    /// for e in chain { v[k] = e; k += 1; }`, `n` the chain's length (see [`trip_count`]).
    fn collect(&mut self, local: syn::Local, out: &mut Vec<Stmt>) {
        let Some((chain, name)) = collected(&local) else {
            return;
        };
        let Some(count) = trip_count(chain) else {
            return;
        };
        let span = local.let_token.span;
        let ident = &name.ident;
        // Rows collected by the closure (`|xi| y.iter().map(..).collect()`) are vectors,
        // which lowering reads by reference when the type says so.
        let rows = collects_rows(chain);
        let rows_ty: Type = parse_quote_spanned!(span=> Vec<Vec<_>>);
        let ty = match strip(&local.pat).1 {
            Some(t) if !rows || crate::parse::vec_of_vecs(t) => Some(t),
            _ if rows => Some(&rows_ty),
            _ => None,
        }
        .map(|t| quote::quote_spanned!(span=> : #t));
        let (index, element) = (self.fresh("index", span), self.fresh("element", span));
        out.push(parse_quote_spanned!(span=>
            let mut #ident #ty = vec![::core::default::Default::default(); #count];
        ));
        out.push(parse_quote_spanned!(span=> let mut #index: usize = 0;));
        let for_loop: syn::ExprForLoop = parse_quote_spanned!(span=>
            for #element in #chain {
                #ident[#index] = #element;
                #index += 1;
            }
        );
        self.rows = rows;
        let for_loop = self.for_loop(for_loop);
        self.rows = false;
        out.push(Stmt::Expr(for_loop, None));
    }

    /// `let mut v = Vec::new();` (or `Vec::with_capacity(n)`, `vec![]`) filled by one `push`
    /// per iteration of the `for` loop that next mentions `v`, as the vector written by index
    /// it means: `let mut v = vec![Default::default(); n]; let mut k = 0; for .. { ..;
    /// v[k] = e; k += 1; .. }`, `n` the loop's trip count (see [`trip_count`]), declared where
    /// the loop starts. Left as written (lowering reports the `push`) when the loop's length
    /// is not known from its syntax, the `push` is not a statement of the loop's body, the
    /// body may leave an iteration early, or mentions `v` other than by index (`v.len()`).
    fn pushes(&mut self, stmts: &mut Vec<Stmt>) {
        let mut i = 0;
        while i < stmts.len() {
            let Some((name, ty)) = (match &stmts[i] {
                Stmt::Local(local) => new_vec(local),
                _ => None,
            }) else {
                i += 1;
                continue;
            };
            let Some(j) =
                (i + 1..stmts.len()).find(|&j| mentions(stmts[j].to_token_stream(), &name))
            else {
                i += 1;
                continue;
            };
            let Stmt::Expr(Expr::ForLoop(for_loop), semi) = &stmts[j] else {
                i += 1;
                continue;
            };
            let Some((position, count)) = filled_by_push(for_loop, &name) else {
                i += 1;
                continue;
            };
            let span = name.span();
            let index = self.fresh("index", span);
            let mut for_loop = for_loop.clone();
            let semi = *semi;
            let Stmt::Expr(Expr::MethodCall(push), _) = for_loop.body.stmts.remove(position) else {
                i += 1;
                continue;
            };
            let value = &push.args[0];
            let write: Vec<Stmt> = vec![
                parse_quote_spanned!(span=> #name[#index] = #value;),
                parse_quote_spanned!(span=> #index += 1;),
            ];
            for_loop.body.stmts.splice(position..position, write);
            let ty = ty.map(|t| quote::quote_spanned!(span=> : #t));
            let declare: [Stmt; 2] = [
                parse_quote_spanned!(span=>
                    let mut #name #ty = vec![::core::default::Default::default(); #count];
                ),
                parse_quote_spanned!(span=> let mut #index: usize = 0;),
            ];
            stmts[j] = Stmt::Expr(Expr::ForLoop(for_loop), semi);
            stmts.splice(j..j, declare);
            stmts.remove(i);
            i = j + 2;
        }
    }

    /// `let (a, b) = x.split_at(k);` as `let a = &x[..k]; let b = &x[k..];` (`k` through a
    /// temporary unless it is a literal or a variable), appended to `out`.
    fn split_at(&mut self, local: syn::Local, out: &mut Vec<Stmt>) {
        let Some((x, k, a, b)) = split_at(&local) else {
            return;
        };
        let span = local.let_token.span;
        let k = match k {
            Expr::Lit(_) => k.clone(),
            Expr::Path(p) if p.path.get_ident().is_some() => k.clone(),
            other => {
                let temp = self.fresh("middle", span);
                out.push(parse_quote_spanned!(span=> let #temp = #other;));
                parse_quote_spanned!(span=> #temp)
            }
        };
        out.push(parse_quote_spanned!(span=> let #a = &#x[..#k];));
        out.push(parse_quote_spanned!(span=> let #b = &#x[#k..];));
    }

    /// `let PATTERN = init;` as one `let` per bound name, appended to `out`.
    fn local(&mut self, local: syn::Local, out: &mut Vec<Stmt>) {
        let Some(init) = local.init else {
            return;
        };
        let (pat, ty) = strip(&local.pat);
        self.bind(pat, ty.cloned(), *init.expr, out);
    }

    /// Binds `pat` (of type `ty` when known) to `value`.
    fn bind(&mut self, pat: &Pat, ty: Option<Type>, value: Expr, out: &mut Vec<Stmt>) {
        let (pat, inner_ty) = strip(pat);
        let ty = inner_ty.cloned().or(ty);
        let span = pat.span();
        match pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let stmt = match ty {
                    Some(ty) => parse_quote_spanned!(span=> let #p: #ty = #value;),
                    None => parse_quote_spanned!(span=> let #p = #value;),
                };
                out.push(stmt);
            }
            Pat::Wild(_) => {}
            Pat::Tuple(tuple) if !tuple.elems.iter().any(nested) => {
                out.push(parse_quote_spanned!(span=> let #tuple = #value;));
            }
            Pat::Tuple(tuple) => {
                // Names and `_` bound by lowering's tuple destructuring; each nested
                // pattern through a temporary, destructured after.
                let mut elems = syn::punctuated::Punctuated::<Pat, syn::Token![,]>::new();
                let mut later = Vec::new();
                let types = element_types(ty.as_ref(), tuple.elems.len());
                for (elem, ty) in tuple.elems.iter().zip(types) {
                    if nested(elem) {
                        let temp = self.fresh("pattern", elem.span());
                        elems.push(parse_quote_spanned!(span=> #temp));
                        later.push((elem, ty, temp));
                    } else {
                        elems.push(elem.clone());
                    }
                }
                out.push(parse_quote_spanned!(span=> let (#elems) = #value;));
                for (elem, ty, temp) in later {
                    self.bind(elem, ty, parse_quote_spanned!(span=> #temp), out);
                }
            }
            Pat::Slice(slice) => {
                let base = self.base(pat, value, out);
                let count = slice.elems.len();
                let element_ty = match &ty {
                    Some(Type::Array(a)) => Some((*a.elem).clone()),
                    _ => None,
                };
                for (i, elem) in slice.elems.iter().enumerate() {
                    if let Pat::Rest(rest) = elem {
                        if i + 1 != count {
                            self.errors.at(rest, "`..` is supported by #[differentiate] only at the end of an array pattern (`let [a, b, ..] = p;`); index the elements after it instead (`let z = p[p.len() - 1];`)");
                        }
                        break;
                    }
                    let index = syn::Index::from(i);
                    let index = syn::LitInt::new(&index.index.to_string(), elem.span());
                    let element = parse_quote_spanned!(elem.span()=> #base[#index]);
                    self.bind(elem, element_ty.clone(), element, out);
                }
            }
            // Fields that are names are bound by one `let S { x, .. } = base;`, which
            // lowering binds by value or by reference as the source does (see
            // `Lowerer::destructure_struct`); `*p` is destructured by value, field by field.
            Pat::Struct(s)
                if !matches!(&value, Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)))
                    && s.fields.iter().all(|f| !nested(&f.pat)) =>
            {
                let base = self.base(pat, value, out);
                let mut flat = s.clone();
                flat.attrs.clear();
                out.push(parse_quote_spanned!(span=> let #flat = #base;));
            }
            Pat::Struct(s) => {
                let base = self.base(pat, value, out);
                for field in &s.fields {
                    let member = &field.member;
                    let element = parse_quote_spanned!(field.span()=> #base.#member);
                    self.bind(&field.pat, None, element, out);
                }
            }
            Pat::TupleStruct(s)
                if ["Some", "Ok", "Err"].iter().any(|v| s.path.is_ident(v)) =>
            {
                self.errors.at(pat, "this pattern can fail to match (a variant of `Option` or `Result`); #[differentiate] destructures irrefutable patterns only; test the value with `match` or `if let` instead");
            }
            Pat::TupleStruct(s) => {
                let base = self.base(pat, value, out);
                for (i, elem) in s.elems.iter().enumerate() {
                    if let Pat::Rest(_) = elem {
                        break;
                    }
                    let member = syn::Member::Unnamed(syn::Index {
                        index: i as u32,
                        span: elem.span(),
                    });
                    let element = parse_quote_spanned!(elem.span()=> #base.#member);
                    self.bind(elem, None, element, out);
                }
            }
            Pat::Ident(p) if p.by_ref.is_some() => self.errors.at(
                pat,
                "`ref` bindings are not supported by #[differentiate]; bind by value (`let x = ..`), the elements are copied",
            ),
            Pat::Ident(_) => self.errors.at(
                pat,
                "`name @ pattern` bindings are not supported by #[differentiate]; bind the whole value and destructure it in a second `let`",
            ),
            other => self.errors.at(
                other,
                "this pattern can fail to match (a literal, range, path or `|` alternative); #[differentiate] destructures irrefutable patterns only: arrays `[a, b]`, tuples `(a, b)`, structs `S { x, y }` and tuple structs `S(a, b)` of names; test the value with `if` instead",
            ),
        }
    }

    /// What the elements of a destructured `value` are read from: the variable itself
    /// (`p` for `p` and `*p`: indexing and field access dereference), or a temporary
    /// bound to `value` when it is another expression or a name the pattern rebinds.
    fn base(&mut self, pat: &Pat, value: Expr, out: &mut Vec<Stmt>) -> Expr {
        let mut bound = Vec::new();
        bound_names(pat, &mut bound);
        let place = match &value {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => &*u.expr,
            Expr::Paren(p) => &*p.expr,
            other => other,
        };
        if let Expr::Path(path) = place {
            if let Some(ident) = path.path.get_ident() {
                if path.qself.is_none() && !bound.contains(ident) {
                    return place.clone();
                }
            }
        }
        let temp = self.fresh("pattern", pat.span());
        out.push(parse_quote_spanned!(pat.span()=> let #temp = #value;));
        parse_quote_spanned!(pat.span()=> #temp)
    }

    /// `it.fold(init, f)` as `{ let mut acc = init; for x in it { acc = f(acc, x); } acc }`;
    /// left as written (lowering reports it) when `f` is neither a two-argument closure
    /// nor a function path, or when the rewrite could change what a name means.
    fn fold_call(&mut self, call: syn::ExprMethodCall) -> Expr {
        let span = call.method.span();
        let (iterator, init, function) = (&call.receiver, &call.args[0], &call.args[1]);
        // A destructured accumulator (`|(s, p), &v| (s + v, p * v)`) is bound from the
        // whole one at the start of each iteration.
        let mut unpack: Option<Stmt> = None;
        let (acc, acc_ty, element, body): (Ident, Option<Type>, Pat, Expr) = match function {
            Expr::Closure(closure) if closure.inputs.len() == 2 => {
                let (acc_pat, acc_ty) = match &closure.inputs[0] {
                    Pat::Type(t) => (&*t.pat, Some((*t.ty).clone())),
                    other => (other, None),
                };
                if mentions_return(&closure.body) {
                    return Expr::MethodCall(call);
                }
                if acc_ty.is_none() {
                    if let Some(split) = self.split_fold(iterator, init, acc_pat, closure, span) {
                        return split;
                    }
                }
                let acc = match acc_pat {
                    Pat::Ident(acc) if acc.by_ref.is_none() && acc.subpat.is_none() => {
                        acc.ident.clone()
                    }
                    Pat::Tuple(_) | Pat::Slice(_) => {
                        let acc = self.fresh("acc", span);
                        unpack = Some(parse_quote_spanned!(span=> let #acc_pat = #acc;));
                        acc
                    }
                    _ => return Expr::MethodCall(call),
                };
                let element = match &closure.inputs[1] {
                    Pat::Type(t) => (*t.pat).clone(),
                    other => other.clone(),
                };
                (acc, acc_ty, element, (*closure.body).clone())
            }
            Expr::Path(path) => {
                let acc = self.fresh("acc", span);
                let x = self.fresh("element", span);
                let body = match self.float_method(path) {
                    Some(method) => parse_quote_spanned!(span=> #acc.#method(#x)),
                    None => parse_quote_spanned!(span=> #path(#acc, #x)),
                };
                (acc, None, parse_quote_spanned!(span=> #x), body)
            }
            _ => return Expr::MethodCall(call),
        };
        // `for x in it` binds after `it` is evaluated but inside `acc`'s scope.
        if mentions(iterator.to_token_stream(), &acc) {
            return Expr::MethodCall(call);
        }
        let declared = match acc_ty {
            Some(ty) => quote::quote_spanned!(span=> let mut #acc: #ty = #init;),
            None => {
                let init = self.typed_tuple(init.clone());
                quote::quote_spanned!(span=> let mut #acc = #init;)
            }
        };
        let for_loop = parse_quote_spanned! {span=>
            for #element in #iterator {
                #unpack
                #acc = #body;
            }
        };
        let for_loop = self.for_loop(for_loop);
        parse_quote_spanned! {span=>
            {
                #declared
                #for_loop
                #acc
            }
        }
    }

    /// `it.fold((a0, b0), |(a, b), x| body)` with one accumulator per element of the tuple,
    /// `{ let (mut acc_a, mut acc_b) = (a0, b0); for x in it { let (a, b) = (acc_a, acc_b);
    /// let (next_a, next_b) = body; acc_a = next_a; acc_b = next_b; } (acc_a, acc_b) }`:
    /// each element is a value of its own, so a count beside a sum stays data, and a float
    /// literal among them takes its type from its own arithmetic, as in the source.
    fn split_fold(
        &mut self,
        iterator: &Expr,
        init: &Expr,
        acc_pat: &Pat,
        closure: &syn::ExprClosure,
        span: Span,
    ) -> Option<Expr> {
        let Pat::Tuple(tuple) = acc_pat else {
            return None;
        };
        let simple =
            |p: &Pat| matches!(p, Pat::Ident(i) if i.by_ref.is_none() && i.subpat.is_none());
        if tuple.elems.is_empty() || !tuple.elems.iter().all(simple) {
            return None;
        }
        let accs: Vec<Ident> = (0..tuple.elems.len())
            .map(|_| self.fresh("acc", span))
            .collect();
        let nexts: Vec<Ident> = (0..tuple.elems.len())
            .map(|_| self.fresh("next", span))
            .collect();
        // The iterator must not name an accumulator (it is evaluated inside their scope).
        if accs.iter().any(|a| mentions(iterator.to_token_stream(), a)) {
            return None;
        }
        let element = match &closure.inputs[1] {
            Pat::Type(t) => (*t.pat).clone(),
            other => other.clone(),
        };
        let body = &closure.body;
        let for_loop = parse_quote_spanned! {span=>
            for #element in #iterator {
                let #tuple = (#(#accs),*);
                let (#(#nexts),*) = #body;
                #(#accs = #nexts;)*
            }
        };
        let for_loop = self.for_loop(for_loop);
        Some(parse_quote_spanned! {span=>
            {
                let (#(mut #accs),*) = #init;
                #for_loop
                (#(#accs),*)
            }
        })
    }

    /// `for` loops over chains lowering does not iterate itself, as loops it does:
    /// `for p in it.map(f) { .. }` as `for t in it { let p = f(t); .. }`, and
    /// `for p in xs.iter().rev() { .. }` (also `.copied()`, `.cloned()`, `.enumerate()`)
    /// as `for i in (0..xs.len()).rev() { let p = xs[i]; .. }` (`.step_by(k)` as
    /// `(0..xs.len()).step_by(k)`), and `for p in a.chain(b)` as two loops.
    fn for_loop(&mut self, mut for_loop: syn::ExprForLoop) -> Expr {
        // `for &(i, j) in bonds`: the element bound to a name, destructured at the start of
        // the body (`for e in bonds { let (i, j) = e; .. }`).
        let mut unpack = Vec::new();
        let shape = Shape::of(&for_loop.expr);
        let pat = self.element_pattern(&for_loop.pat, &shape, &mut unpack);
        if !unpack.is_empty() {
            for_loop.pat = Box::new(pat);
            unpack.append(&mut for_loop.body.stmts);
            for_loop.body.stmts = unpack;
        }
        let Expr::MethodCall(call) = &*for_loop.expr else {
            return Expr::ForLoop(for_loop);
        };
        if call.method == "filter" {
            return self.filter_loop(for_loop);
        }
        let span = call.method.span();
        if let Some((source, function, adaptors)) = map_source(&for_loop.expr) {
            return self.map_loop(for_loop, source, function, adaptors, span);
        }
        if call.method == "chain" && call.args.len() == 1 {
            return self.chain_loop(for_loop);
        }
        if let Some(rewritten) = self.windows_loop(&for_loop) {
            return rewritten;
        }
        if let Some(rewritten) = self.offset_zip_loop(&for_loop) {
            return rewritten;
        }
        // `for x in a.iter().chain(b).copied()`: `for &x in a.iter().chain(b)`.
        if (call.method == "copied" || call.method == "cloned")
            && call.args.is_empty()
            && loop_only(&call.receiver)
            && matches!(&*for_loop.pat, Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none())
        {
            let pat = &for_loop.pat;
            let by_value: Pat = parse_quote_spanned!(span=> &#pat);
            for_loop.pat = Box::new(by_value);
            for_loop.expr = call.receiver.clone();
            return self.for_loop(for_loop);
        }
        if call.method == "enumerate" && call.args.is_empty() && loop_only(&call.receiver) {
            return self.enumerate_loop(for_loop);
        }
        let counted = ["step_by", "skip", "take"].iter().any(|m| call.method == m);
        if counted && call.args.len() == 1 && loop_only(&call.receiver) {
            return self.counted_loop(for_loop);
        }
        // `rev()`, or `step_by(k)` (over a slice: a step over the indices), or
        // `.rev().enumerate()`: counts from 0 while the elements run from the last.
        let reversed_then_counted = match &*call.receiver {
            Expr::MethodCall(rev)
                if call.method == "enumerate"
                    && call.args.is_empty()
                    && rev.method == "rev"
                    && rev.args.is_empty() =>
            {
                Some(rev)
            }
            _ => None,
        };
        let step = match (call.method.to_string().as_str(), call.args.len()) {
            _ if reversed_then_counted.is_some() => None,
            ("rev", 0) => None,
            ("step_by", 1) => Some(call.args[0].clone()),
            _ => return Expr::ForLoop(for_loop),
        };
        let mut chain = match reversed_then_counted {
            Some(rev) => &*rev.receiver,
            None => &*call.receiver,
        };
        // `xs.iter().skip(j).step_by(k)`: the step starts at `j` (the indices stay those of
        // `xs`, as an `.enumerate()` before the `skip` counts them).
        let mut offset: Option<Expr> = None;
        if let (Some(_), Expr::MethodCall(skip)) = (&step, chain) {
            if skip.method == "skip" && skip.args.len() == 1 {
                offset = Some(skip.args[0].clone());
                chain = &skip.receiver;
            }
        }
        let mut enumerate = false;
        // At least one method: `r.rev()` of a variable is of an iterator, not a slice.
        let mut methods = 0;
        let base = loop {
            if let Expr::MethodCall(_) = chain {
                methods += 1;
            }
            match chain {
                Expr::MethodCall(m) if m.args.is_empty() && !enumerate => {
                    match m.method.to_string().as_str() {
                        "iter" | "into_iter" | "copied" | "cloned" => {}
                        "enumerate" => enumerate = true,
                        _ => return Expr::ForLoop(for_loop),
                    }
                    chain = &m.receiver;
                }
                Expr::MethodCall(m) if m.args.is_empty() => match m.method.to_string().as_str() {
                    "iter" | "into_iter" | "copied" | "cloned" => chain = &m.receiver,
                    _ => return Expr::ForLoop(for_loop),
                },
                Expr::Reference(r) => chain = &r.expr,
                Expr::Path(_) | Expr::Field(_) if methods > 0 => break chain.clone(),
                _ => return Expr::ForLoop(for_loop),
            }
        };
        let index = self.fresh("index", span);
        let element: Expr = match reversed_then_counted {
            Some(_) => parse_quote_spanned!(span=> #base[#base.len() - 1 - #index]),
            None => parse_quote_spanned!(span=> #base[#index]),
        };
        // `.enumerate().rev().enumerate()`: two counters, left to lowering.
        if enumerate && reversed_then_counted.is_some() {
            return Expr::ForLoop(for_loop);
        }
        let enumerate = enumerate || reversed_then_counted.is_some();
        let mut stmts = Vec::new();
        let pat = match (&*for_loop.pat, enumerate) {
            (Pat::Tuple(t), true) if t.elems.len() == 2 => {
                self.bind(
                    &t.elems[0],
                    None,
                    parse_quote_spanned!(span=> #index),
                    &mut stmts,
                );
                &t.elems[1]
            }
            (_, true) => return Expr::ForLoop(for_loop),
            (pat, false) => pat,
        };
        let pat = pat.clone();
        self.bind(&pat, None, element, &mut stmts);
        stmts.append(&mut for_loop.body.stmts);
        for_loop.body.stmts = stmts;
        for_loop.expr = match step {
            None if reversed_then_counted.is_some() => parse_quote_spanned!(span=> 0..#base.len()),
            None => parse_quote_spanned!(span=> (0..#base.len()).rev()),
            Some(k) => match offset {
                Some(j) => parse_quote_spanned!(span=> (#j..#base.len()).step_by(#k)),
                None => parse_quote_spanned!(span=> (0..#base.len()).step_by(#k)),
            },
        };
        for_loop.pat = Box::new(parse_quote_spanned!(span=> #index));
        Expr::ForLoop(for_loop)
    }

    /// `pat`, of elements that `shape` pairs up, with each element pattern that
    /// destructures (`&(i, j)`, `(a, b)` of a tuple, `&[i, j]` of an array, `S { x, y }`)
    /// replaced by a fresh name, and the `let`s that destructure those names appended to
    /// `out`. The pairs of `.enumerate()` and `.zip(..)` stay as they are: lowering binds
    /// them itself.
    fn element_pattern(&mut self, pat: &Pat, shape: &Shape, out: &mut Vec<Stmt>) -> Pat {
        match (shape, pat) {
            (_, Pat::Paren(p)) => self.element_pattern(&p.pat, shape, out),
            (Shape::Pair(a, b), Pat::Tuple(t)) if t.elems.len() == 2 => {
                let mut t = t.clone();
                t.elems[0] = self.element_pattern(&t.elems[0], a, out);
                t.elems[1] = self.element_pattern(&t.elems[1], b, out);
                Pat::Tuple(t)
            }
            // A pair bound whole (`for (x, p) in a.iter().zip(b.iter().zip(c))`): the names
            // of its elements, then the tuple of them.
            (Shape::Pair(..), Pat::Ident(_) | Pat::Type(_)) => {
                let span = pat.span();
                let names = self.shape_names(shape, span);
                let value: Expr = parse_quote_spanned!(span=> #names);
                // (A type written for the closure's references is not the loop's.)
                self.bind(strip(pat).0, None, value, out);
                names
            }
            (Shape::Element, p) if destructuring(p) => {
                let span = p.span();
                let name = self.fresh("element", span);
                // A loop holds its elements by value: `&(i, j)` binds as `(i, j)`.
                self.bind(p, None, parse_quote_spanned!(span=> #name), out);
                parse_quote_spanned!(span=> #name)
            }
            (_, p) => p.clone(),
        }
    }

    /// `it.map(|&(i, j)| body)` as `it.map(|e| { let (i, j) = e; body })`: the closure's
    /// destructuring parameter as in a `for` loop over `it` (see [`Self::element_pattern`]).
    fn map_closure(&mut self, call: &mut syn::ExprMethodCall) {
        let Some(Expr::Closure(closure)) = call.args.first_mut() else {
            return;
        };
        if closure.inputs.len() != 1 {
            return;
        }
        let param = match &closure.inputs[0] {
            Pat::Type(t) => (*t.pat).clone(),
            other => other.clone(),
        };
        let mut unpack = Vec::new();
        let shape = Shape::of(&call.receiver);
        let pat = self.element_pattern(&param, &shape, &mut unpack);
        if unpack.is_empty() {
            return;
        }
        let body = &closure.body;
        let span = body.span();
        let body: Expr = parse_quote_spanned!(span=> { #(#unpack)* #body });
        *closure.body = body;
        closure.inputs[0] = pat;
    }

    /// `for p in a.chain(b) { body }` as the two loops it means, `for p in a { body }` then
    /// `for p in b { body }` (each desugared in turn). Left as written (lowering reports it)
    /// when the body may `break` out of the loop (which would leave only the first) or the
    /// loop has a label.
    fn chain_loop(&mut self, for_loop: syn::ExprForLoop) -> Expr {
        let Expr::MethodCall(call) = &*for_loop.expr else {
            return Expr::ForLoop(for_loop);
        };
        if for_loop.label.is_some() {
            return Expr::ForLoop(for_loop);
        }
        let span = call.method.span();
        let (first, second) = ((*call.receiver).clone(), call.args[0].clone());
        let mut breaks = Breaks(false);
        syn::visit::Visit::visit_block(&mut breaks, &for_loop.body);
        if !breaks.0 {
            let loops: Vec<Expr> = [first, second]
                .into_iter()
                .map(|source| {
                    let mut part = for_loop.clone();
                    part.expr = Box::new(source);
                    self.for_loop(part)
                })
                .collect();
            return parse_quote_spanned!(span=> { #(#loops)* });
        }
        // A `break` stops both loops: it sets a flag that skips the second.
        let stopped = self.fresh("stopped", span);
        let mut marker = StopFlag {
            flag: &stopped,
            labelled: false,
        };
        let mut body = for_loop.body.clone();
        syn::visit_mut::VisitMut::visit_block_mut(&mut marker, &mut body);
        if marker.labelled {
            return Expr::ForLoop(for_loop);
        }
        let mut loops = Vec::new();
        for source in [first, second] {
            let mut part = for_loop.clone();
            part.expr = Box::new(source);
            part.body = body.clone();
            loops.push(self.for_loop(part));
        }
        let (first, second) = (&loops[0], &loops[1]);
        parse_quote_spanned! {span=>
            {
                let mut #stopped = false;
                #first
                if !#stopped {
                    #second
                }
            }
        }
    }

    /// `for w in xs.windows(k) { body }` (also `for (i, w) in xs.windows(k).enumerate()`)
    /// whose body reads the window only by index, as the index loop
    /// `for s in 0..(xs.len() + 1).saturating_sub(k) { body }` with `w[e]` read as
    /// `xs[s + (e)]`: element reads, where a window is a sub-slice with an adjoint of its own
    /// (a `Vec` per iteration). `None` for other loops.
    fn windows_loop(&mut self, for_loop: &syn::ExprForLoop) -> Option<Expr> {
        let (windows, index_pat, window_pat) = match (&*for_loop.expr, &*for_loop.pat) {
            (Expr::MethodCall(e), Pat::Tuple(t))
                if e.method == "enumerate" && e.args.is_empty() && t.elems.len() == 2 =>
            {
                (&*e.receiver, Some(&t.elems[0]), &t.elems[1])
            }
            (expr, pat) => (expr, None, pat),
        };
        let (base, k) = windows_of(windows)?;
        let Pat::Ident(window) = window_pat else {
            return None;
        };
        if window.by_ref.is_some() || window.subpat.is_some() {
            return None;
        }
        let window = &window.ident;
        let body = Expr::Block(syn::ExprBlock {
            attrs: Vec::new(),
            label: None,
            block: for_loop.body.clone(),
        });
        if !only_indexed(&body, window) {
            return None;
        }
        let span = for_loop.for_token.span;
        let start = self.fresh("start", span);
        let element = |e: &Expr| -> Expr { parse_quote_spanned!(span=> #base[#start + (#e)]) };
        let mut body = for_loop.body.clone();
        syn::visit_mut::VisitMut::visit_block_mut(
            &mut WindowReads {
                window,
                element: &element,
            },
            &mut body,
        );
        let mut stmts = Vec::new();
        if let Some(index) = index_pat {
            self.bind(index, None, parse_quote_spanned!(span=> #start), &mut stmts);
        }
        stmts.append(&mut body.stmts);
        body.stmts = stmts;
        let mut rewritten = for_loop.clone();
        rewritten.pat = Box::new(parse_quote_spanned!(span=> #start));
        rewritten.expr =
            Box::new(parse_quote_spanned!(span=> 0..(#base.len() + 1).saturating_sub(#k)));
        rewritten.body = body;
        Some(Expr::ForLoop(rewritten))
    }

    /// `for (p, q) in a.iter().zip(b.iter().skip(k)) { body }` (either side with a
    /// `.skip(..)`, `.copied()`) as the index loop
    /// `for s in 0..min(a.len() - ka, b.len() - kb) { let p = a[s + ka]; let q = b[s + kb]; body }`
    /// (lengths saturating): element reads, where the skipped side would be a sub-slice with
    /// an adjoint `Vec` of its own. `None` for other loops.
    fn offset_zip_loop(&mut self, for_loop: &syn::ExprForLoop) -> Option<Expr> {
        let (a, b) = offset_zip(&for_loop.expr)?;
        let Pat::Tuple(pair) = &*for_loop.pat else {
            return None;
        };
        if pair.elems.len() != 2 {
            return None;
        }
        let span = for_loop.for_token.span;
        let index = self.fresh("index", span);
        let mut stmts = Vec::new();
        let mut lengths = Vec::new();
        for (side, pat) in [(&a, &pair.elems[0]), (&b, &pair.elems[1])] {
            let base = &side.base;
            let at: Expr = match &side.skip {
                Some(k) => {
                    lengths.push(quote::quote_spanned!(span=> #base.len().saturating_sub(#k)));
                    parse_quote_spanned!(span=> #index + (#k))
                }
                None => {
                    lengths.push(quote::quote_spanned!(span=> #base.len()));
                    parse_quote_spanned!(span=> #index)
                }
            };
            // The element itself (`&p` patterns and `*p` are of it: lowering reads elements
            // that are not scalars by reference, as it does `xs[i]`).
            self.bind(
                pat,
                None,
                parse_quote_spanned!(span=> #base[#at]),
                &mut stmts,
            );
        }
        let (first, second) = (&lengths[0], &lengths[1]);
        let mut rewritten = for_loop.clone();
        stmts.append(&mut rewritten.body.stmts);
        rewritten.body.stmts = stmts;
        rewritten.pat = Box::new(parse_quote_spanned!(span=> #index));
        rewritten.expr =
            Box::new(parse_quote_spanned!(span=> 0..::core::cmp::min(#first, #second)));
        Some(self.for_loop(rewritten))
    }

    /// `for (i, p) in it.enumerate() { body }` of a chain that is iterated only after a
    /// rewrite (a `chain`, a `filter`, a `step_by` of a slice), with a counter of the elements
    /// that come out: `{ let mut c = 0; for p in it { let i = c; c += 1; body } }` (counted
    /// before the body, so a `continue` counts too).
    fn enumerate_loop(&mut self, mut for_loop: syn::ExprForLoop) -> Expr {
        let (Expr::MethodCall(call), Pat::Tuple(pair)) = (&*for_loop.expr, &*for_loop.pat) else {
            return Expr::ForLoop(for_loop);
        };
        if pair.elems.len() != 2 {
            return Expr::ForLoop(for_loop);
        }
        let span = call.method.span();
        let count = self.fresh("count", span);
        let mut stmts = Vec::new();
        self.bind(
            &pair.elems[0],
            None,
            parse_quote_spanned!(span=> #count),
            &mut stmts,
        );
        stmts.push(parse_quote_spanned!(span=> #count += 1;));
        let element = pair.elems[1].clone();
        for_loop.expr = call.receiver.clone();
        for_loop.pat = Box::new(element);
        stmts.append(&mut for_loop.body.stmts);
        for_loop.body.stmts = stmts;
        let inner = self.for_loop(for_loop);
        parse_quote_spanned! {span=>
            {
                let mut #count: usize = 0;
                #inner
            }
        }
    }

    /// `for x in it.step_by(k)` (`.skip(k)`, `.take(k)`) of a chain iterated only after a
    /// rewrite (`a.iter().chain(b)`, a `filter`): the elements counted across the whole
    /// chain, `{ let k = ..; let mut count = 0; for x in it { let keep = count % k == 0;
    /// count += 1; if keep { .. } } }` (`count >= k` for `skip`; `take` leaves the loop at
    /// `count == k`, before the body). Counted before the body, so a `continue` in it counts too.
    fn counted_loop(&mut self, mut for_loop: syn::ExprForLoop) -> Expr {
        let Expr::MethodCall(call) = &*for_loop.expr else {
            return Expr::ForLoop(for_loop);
        };
        let span = call.method.span();
        let (k, count, keep) = (
            self.fresh("k", span),
            self.fresh("count", span),
            self.fresh("keep", span),
        );
        let argument = call.args[0].clone();
        let body = std::mem::take(&mut for_loop.body.stmts);
        let keep_stmt: Stmt = match call.method.to_string().as_str() {
            "step_by" => parse_quote_spanned!(span=> let #keep = #count % #k == 0;),
            "skip" => parse_quote_spanned!(span=> let #keep = #count >= #k;),
            _ => parse_quote_spanned!(span=> if #count >= #k { break; }),
        };
        let mut stmts = vec![keep_stmt, parse_quote_spanned!(span=> #count += 1;)];
        if call.method == "take" {
            stmts.extend(body);
        } else {
            stmts.push(Stmt::Expr(
                parse_quote_spanned!(span=> if #keep { #(#body)* }),
                None,
            ));
        }
        for_loop.body.stmts = stmts;
        for_loop.expr = call.receiver.clone();
        let inner = self.for_loop(for_loop);
        parse_quote_spanned! {span=>
            {
                let #k: usize = #argument;
                let mut #count: usize = 0;
                #inner
            }
        }
    }

    /// `(a..b).skip(k)` as `(a + k)..b` (also `..=`), `(a..b).take(k)` as `a..min(a + k, b)`
    /// (for a start without effects, see [`duplicable`], evaluated twice), and the same after
    /// `.rev()` (see below). Left as written otherwise.
    fn range_adaptor(&mut self, call: syn::ExprMethodCall) -> Expr {
        let span = call.method.span();
        let k = &call.args[0];
        let (min, max) = (
            quote::quote_spanned!(span=> ::core::cmp::min),
            quote::quote_spanned!(span=> ::core::cmp::max),
        );
        // `(a..b).rev().skip(k)` is `(a..b - min(k, b)).rev()`, `.rev().take(k)` is
        // `(max(a, b - min(k, b))..b).rev()`: the range keeps its top or loses it.
        if let Some((start, end)) = reversed_range(&call.receiver) {
            if !duplicable(end) {
                return Expr::MethodCall(call);
            }
            return match call.method == "skip" {
                true => parse_quote_spanned!(span=> (#start..#end - #min(#k, #end)).rev()),
                false => {
                    parse_quote_spanned!(span=> (#max(#start, #end - #min(#k, #end))..#end).rev())
                }
            };
        }
        let Some(range) = bounded_range(&call.receiver) else {
            return Expr::MethodCall(call);
        };
        let (Some(start), Some(end)) = (&range.start, &range.end) else {
            return Expr::MethodCall(call);
        };
        let limits = &range.limits;
        if call.method == "skip" {
            return parse_quote_spanned!(span=> ((#start + #k) #limits #end));
        }
        match limits {
            syn::RangeLimits::HalfOpen(_) if duplicable(start) => {
                parse_quote_spanned!(span=> (#start..#min(#start + #k, #end)))
            }
            _ => Expr::MethodCall(call),
        }
    }

    /// `for p in it.filter(|q| cond) { .. }` as `for p in it { if { let q = p; cond } { .. } }`
    /// (the predicate sees the element by reference, `&p`: its `&` patterns and `*`s are
    /// of values the loop holds by value). Left as written (lowering reports it) when the
    /// predicate is not a one-argument closure or the loop's pattern has a `_`.
    fn filter_loop(&mut self, mut for_loop: syn::ExprForLoop) -> Expr {
        let Expr::MethodCall(call) = &*for_loop.expr else {
            return Expr::ForLoop(for_loop);
        };
        let closure = match call.args.first() {
            Some(Expr::Closure(c)) if call.args.len() == 1 && c.inputs.len() == 1 => c.clone(),
            _ => return Expr::ForLoop(for_loop),
        };
        if mentions_return(&closure.body) {
            return Expr::ForLoop(for_loop);
        }
        let span = call.method.span();
        let receiver = (*call.receiver).clone();
        // A `_` of the pattern gets a name: the predicate may read that element.
        for_loop.pat = Box::new(self.name_wildcards(&for_loop.pat));
        let Some(element) = element_of(&for_loop.pat) else {
            return Expr::ForLoop(for_loop);
        };
        let mut test = Vec::new();
        let param = unref(strip(&closure.inputs[0]).0);
        self.bind(&param, None, element, &mut test);
        // `**v` of a name the predicate binds is `v`: the loop holds it by value.
        let mut names = Vec::new();
        bound_names(&param, &mut names);
        let mut condition = (*closure.body).clone();
        syn::visit_mut::VisitMut::visit_expr_mut(&mut Unref(&names), &mut condition);
        let body = std::mem::take(&mut for_loop.body.stmts);
        for_loop.body.stmts = vec![Stmt::Expr(
            parse_quote_spanned! {span=> if { #(#test)* #condition } { #(#body)* } },
            None,
        )];
        for_loop.expr = Box::new(receiver);
        self.for_loop(for_loop)
    }

    /// `expr` as something that can be indexed again and again: a variable or a field of
    /// one as written (without a leading `&`), anything else bound to a temporary first.
    fn operand(&mut self, expr: &Expr, out: &mut Vec<Stmt>) -> Expr {
        let inner = match expr {
            Expr::Reference(r) if r.mutability.is_none() => &*r.expr,
            other => other,
        };
        if place(inner) {
            return inner.clone();
        }
        let span = expr.span();
        let temp = self.fresh("operand", span);
        out.push(parse_quote_spanned!(span=> let #temp = #expr;));
        parse_quote_spanned!(span=> #temp)
    }

    /// `a.zip_map(&b, |p, q| body)` as the loop writing each element it means,
    /// `{ let mut z = a.clone(); for k in 0..z.len() { z[k] = { let p = a[k]; let q = b[k];
    /// body }; } z }` (as lowering writes a `.map` whose closure reads other variables), so
    /// the closure may read differentiated values; a function path (`f64::max`, `g`) is
    /// called there. Left as written for any other function.
    fn zip_map(&mut self, call: syn::ExprMethodCall) -> Expr {
        let span = call.method.span();
        let (first, second, body): (Pat, Pat, Expr) = match &call.args[1] {
            Expr::Closure(c) if c.inputs.len() == 2 && !mentions_return(&c.body) => {
                (c.inputs[0].clone(), c.inputs[1].clone(), (*c.body).clone())
            }
            // `a.zip_map(&b, f64::max)`, `a.zip_map(&b, g)`: the function called in the loop.
            Expr::Path(path) => {
                let (p, q) = (self.fresh("element", span), self.fresh("element", span));
                let body = match self.float_method(path) {
                    Some(method) => parse_quote_spanned!(span=> #p.#method(#q)),
                    None => parse_quote_spanned!(span=> #path(#p, #q)),
                };
                (
                    parse_quote_spanned!(span=> #p),
                    parse_quote_spanned!(span=> #q),
                    body,
                )
            }
            _ => return Expr::MethodCall(call),
        };
        let mut stmts = Vec::new();
        let a = self.operand(&call.receiver, &mut stmts);
        let b = self.operand(&call.args[0], &mut stmts);
        let (out, k) = (self.fresh("zipped", span), self.fresh("index", span));
        let mut inner = Vec::new();
        self.bind(
            &first,
            None,
            parse_quote_spanned!(span=> #a[#k]),
            &mut inner,
        );
        self.bind(
            &second,
            None,
            parse_quote_spanned!(span=> #b[#k]),
            &mut inner,
        );
        parse_quote_spanned! {span=>
            {
                #(#stmts)*
                let mut #out = #a.clone();
                for #k in 0..#out.len() {
                    #out[#k] = { #(#inner)* #body };
                }
                #out
            }
        }
    }

    /// `Owner::from_fn(sizes.., |i, j| body)` as the matrix written by index it means,
    /// `{ let mut m = Owner::zeros(sizes..); for c in 0..m.ncols() { for r in 0..m.nrows() {
    /// m[(r, c)] = { let i = r; let j = c; body }; } } m }` (column by column, the order in
    /// which nalgebra calls the closure), so the closure may read differentiated values.
    fn constructor_loop(&mut self, call: syn::ExprCall) -> Expr {
        let Some((owner, closure)) = from_fn(&call) else {
            return Expr::Call(call);
        };
        let closure = closure.clone();
        let span = call.func.span();
        let sizes: Vec<&Expr> = call.args.iter().take(call.args.len() - 1).collect();
        let out = self.fresh("matrix", span);
        let (row, col) = (self.fresh("row", span), self.fresh("column", span));
        let mut inner = Vec::new();
        self.bind(
            &closure.inputs[0],
            None,
            parse_quote_spanned!(span=> #row),
            &mut inner,
        );
        self.bind(
            &closure.inputs[1],
            None,
            parse_quote_spanned!(span=> #col),
            &mut inner,
        );
        let body = &closure.body;
        parse_quote_spanned! {span=>
            {
                let mut #out = #owner::zeros(#(#sizes),*);
                for #col in 0..#out.ncols() {
                    for #row in 0..#out.nrows() {
                        #out[(#row, #col)] = { #(#inner)* #body };
                    }
                }
                #out
            }
        }
    }

    /// `Matrix2::new(a, b, c, d)` as the matrix written by index it means,
    /// `{ let mut m = Matrix2::zeros(); m[(0, 0)] = a; m[(0, 1)] = b; .. m }` (the arguments
    /// row by row, evaluated in order), so its entries may be differentiated values.
    fn fixed_new(&mut self, call: syn::ExprCall) -> Expr {
        let Some((owner, _, cols)) = fixed_new(&call) else {
            return Expr::Call(call);
        };
        let span = call.func.span();
        let out = self.fresh("matrix", span);
        let writes = call.args.iter().enumerate().map(|(k, value)| {
            let (i, j) = (k / cols, k % cols);
            let (i, j) = (
                syn::LitInt::new(&format!("{i}usize"), span),
                syn::LitInt::new(&format!("{j}usize"), span),
            );
            quote::quote_spanned!(span=> #out[(#i, #j)] = #value;)
        });
        parse_quote_spanned! {span=>
            {
                let mut #out = #owner::zeros();
                #(#writes)*
                #out
            }
        }
    }

    /// `pat` with each `_` (in tuples) replaced by a fresh name.
    fn name_wildcards(&mut self, pat: &Pat) -> Pat {
        match pat {
            Pat::Wild(w) => {
                let name = self.fresh("unused", w.span());
                parse_quote_spanned!(w.span()=> #name)
            }
            Pat::Tuple(t) => {
                let mut t = t.clone();
                for elem in t.elems.iter_mut() {
                    *elem = self.name_wildcards(elem);
                }
                Pat::Tuple(t)
            }
            Pat::Reference(r) => {
                let mut r = r.clone();
                r.pat = Box::new(self.name_wildcards(&r.pat));
                Pat::Reference(r)
            }
            other => other.clone(),
        }
    }

    /// `chain.filter(p)[.map(f)].sum()` (also `product`, `count`): the loop it means, whose
    /// `for` the pre-pass rewrites with [`Self::filter_loop`]. `zero` is the accumulator's
    /// start (`0.0`, or `T`'s zero in generic code); `None` when it is not such a chain.
    fn filtered_reduction(&mut self, call: &syn::ExprMethodCall) -> Option<Expr> {
        let span = call.method.span();
        let method = call.method.to_string();
        if !call.args.is_empty() || !["sum", "product", "count"].contains(&method.as_str()) {
            return None;
        }
        let (source, pattern, term): (Expr, Pat, Expr) = match &*call.receiver {
            Expr::MethodCall(map)
                if map.method == "map" && map.args.len() == 1 && method != "count" =>
            {
                match &map.args[0] {
                    Expr::Closure(closure) => {
                        if closure.inputs.len() != 1 || mentions_return(&closure.body) {
                            return None;
                        }
                        let pattern = strip(&closure.inputs[0]).0.clone();
                        ((*map.receiver).clone(), pattern, (*closure.body).clone())
                    }
                    // `.map(f64::exp)` after another `.map(..)`: `f64::exp(e)`.
                    Expr::Path(function) if mapped(&map.receiver) => {
                        let element = self.fresh("element", span);
                        (
                            (*map.receiver).clone(),
                            parse_quote_spanned!(span=> #element),
                            parse_quote_spanned!(span=> #function(#element)),
                        )
                    }
                    _ => return None,
                }
            }
            // `zip(..).filter(|(p, q)| ..).count()`: the loop binds the pair's elements,
            // as a zip loop does.
            other if method == "count" && filtered_tuple(other).is_some() => {
                let arity = filtered_tuple(other).unwrap_or_default();
                let names: Vec<Ident> = (0..arity).map(|_| self.fresh("element", span)).collect();
                (
                    other.clone(),
                    parse_quote_spanned!(span=> (#(#names),*)),
                    parse_quote_spanned!(span=> 1),
                )
            }
            other => {
                let element = self.fresh("element", span);
                (
                    other.clone(),
                    parse_quote_spanned!(span=> #element),
                    parse_quote_spanned!(span=> #element),
                )
            }
        };
        if !loop_only(&source)
            && !mapped(&source)
            && windows_of(&source).is_none()
            && offset_zip(&source).is_none()
        {
            return None;
        }
        let acc = self.fresh("acc", span);
        let turbofish = call.turbofish.as_ref().and_then(|t| t.args.first());
        // A sum of integers (`sum::<usize>()`) starts from the integer identity.
        let integer = |value| match turbofish {
            Some(syn::GenericArgument::Type(ty)) => integer_literal(ty, value),
            _ => None,
        };
        let (start, step): (Expr, Stmt) = match method.as_str() {
            "count" => (
                parse_quote_spanned!(span=> 0usize),
                parse_quote_spanned!(span=> #acc += 1;),
            ),
            // `Iterator::sum` of floats starts from −0.0 (the sum of −0.0s is −0.0).
            "sum" => (
                match integer("0") {
                    Some(zero) => zero,
                    None => self.float_constant(turbofish, "-0.0", span)?,
                },
                parse_quote_spanned!(span=> #acc += #term;),
            ),
            _ => (
                match integer("1") {
                    Some(one) => one,
                    None => self.float_constant(turbofish, "1.0", span)?,
                },
                parse_quote_spanned!(span=> #acc *= #term;),
            ),
        };
        let for_loop: syn::ExprForLoop = parse_quote_spanned! {span=>
            for #pattern in #source { #step }
        };
        let for_loop = self.for_loop(for_loop);
        Some(parse_quote_spanned! {span=>
            {
                let mut #acc = #start;
                #for_loop
                #acc
            }
        })
    }

    /// A tuple of float literals bound to a local (`let mut acc = (0.0, 1.0);`, a fold's
    /// accumulator): its literals get the function's float type. In the source rustc infers
    /// it from the arithmetic that follows; the generated code reaches the elements through
    /// helpers (`by_operand(&acc.0) + v`) that leave `{float}` ambiguous, so a method call
    /// on one (`acc.0.powi(2)`) would not compile. Left as written unless the signature
    /// names exactly one of `f64` and `f32`.
    fn typed_tuple(&self, expr: Expr) -> Expr {
        let Expr::Tuple(mut tuple) = expr else {
            return expr;
        };
        for element in tuple.elems.iter_mut() {
            let (negative, lit) = match element {
                Expr::Lit(lit) => (false, lit.clone()),
                Expr::Unary(syn::ExprUnary {
                    op: syn::UnOp::Neg(_),
                    expr,
                    ..
                }) => match &**expr {
                    Expr::Lit(lit) => (true, lit.clone()),
                    _ => continue,
                },
                Expr::Tuple(_) => {
                    *element = self.typed_tuple(element.clone());
                    continue;
                }
                _ => continue,
            };
            let syn::Lit::Float(float) = &lit.lit else {
                continue;
            };
            if !float.suffix().is_empty() {
                continue;
            }
            // `1.0f64`: the literal with the signature's float type. (Not a type parameter:
            // a literal is never a `T` in the source.)
            let Some(ty) = self.concrete_float else {
                continue;
            };
            let lit = syn::LitFloat::new(&format!("{}{ty}", float.base10_digits()), float.span());
            *element = match negative {
                true => parse_quote_spanned!(float.span()=> -#lit),
                false => parse_quote_spanned!(float.span()=> #lit),
            };
        }
        Expr::Tuple(tuple)
    }

    /// The float constant `value` of the type of a reduction: `value` as written (`0.0`,
    /// whose type the accumulation decides), or, for a turbofish or in a function generic
    /// over one float type `T`, `<T as Real>::constant(value)`. `None` (left as written)
    /// in a function generic over several float types without a turbofish.
    fn float_constant(
        &self,
        turbofish: Option<&syn::GenericArgument>,
        value: &str,
        span: Span,
    ) -> Option<Expr> {
        let (negative, value) = match value.strip_prefix('-') {
            Some(magnitude) => (true, magnitude),
            None => (false, value),
        };
        let value = syn::LitFloat::new(value, span);
        let value: Expr = if negative {
            parse_quote_spanned!(span=> -#value)
        } else {
            parse_quote_spanned!(span=> #value)
        };
        let ty: Option<TokenStream> = match (turbofish, self.float_types) {
            (Some(t), _) => Some(t.to_token_stream()),
            (None, []) => None,
            (None, [t]) => Some(t.to_token_stream()),
            (None, _) => return None,
        };
        Some(match ty {
            Some(ty) => parse_quote_spanned!(span=> <#ty as ::tapeless::Real>::constant(#value)),
            None => parse_quote_spanned!(span=> #value),
        })
    }

    /// `for p in it.map(f).adaptors() { .. }` as `for t in it.adaptors() { let p = f(t); .. }`
    /// (`rev` and `enumerate` do not look at the elements, so they commute with `map`).
    fn map_loop(
        &mut self,
        mut for_loop: syn::ExprForLoop,
        source: Expr,
        function: Expr,
        adaptors: Vec<syn::ExprMethodCall>,
        span: Span,
    ) -> Expr {
        let enumerate = adaptors.iter().any(|a| a.method == "enumerate");
        let (index, pat) = match (&*for_loop.pat, enumerate) {
            (Pat::Tuple(t), true) if t.elems.len() == 2 => {
                (Some(t.elems[0].clone()), t.elems[1].clone())
            }
            (_, true) => return Expr::ForLoop(for_loop),
            (pat, false) => (None, pat.clone()),
        };
        let Some((param, value)) = self.map_function(&function) else {
            return Expr::ForLoop(for_loop);
        };
        // The closure's parameter is visible only in its body, as in the closure.
        let mut inner = Vec::new();
        // `.zip(..).map(|(a, (b, c))| ..)`: the loop binds the pairs' elements, as lowering
        // iterates zipped slices (and enumerations) only with a pattern per element, nested
        // as the zips are.
        let element = self.loop_pattern(&param, &Shape::of(&source), span, &mut inner);
        // A closure that collects (`|xi| y.iter().map(..).collect()`, a row of a
        // `Vec<Vec<f64>>`): its vector written by index, as a block's collected value is,
        // when it is a `Vec` (`collect::<Vec<_>>()`, or the rows of `Desugar::collect`).
        let rows = std::mem::take(&mut self.rows);
        let typed = turbofish_type(&value).is_some();
        let value = match collect_chain(&value) {
            Some(_) if rows || typed => {
                let temp = self.fresh("collected", span);
                if let Stmt::Local(local) = parse_quote_spanned!(span=> let #temp = #value;) {
                    self.collect(local, &mut inner);
                }
                parse_quote_spanned!(span=> #temp)
            }
            _ => value,
        };
        let mapped = parse_quote_spanned! {span=> { #(#inner)* #value } };
        let mut stmts = Vec::new();
        self.bind(&pat, None, mapped, &mut stmts);
        stmts.append(&mut for_loop.body.stmts);
        for_loop.body.stmts = stmts;
        let mut iterator = source;
        for mut adaptor in adaptors {
            adaptor.receiver = Box::new(iterator);
            iterator = Expr::MethodCall(adaptor);
        }
        for_loop.expr = Box::new(iterator);
        for_loop.pat = Box::new(match index {
            Some(index) => parse_quote_spanned!(span=> (#index, #element)),
            None => parse_quote_spanned!(span=> #element),
        });
        self.for_loop(for_loop)
    }

    /// The pattern a loop over elements paired up as `shape` binds for the closure parameter
    /// `pat`: a fresh name per element (the parameter's names are visible only in the
    /// closure's body), with the `let`s binding `pat`'s names from them appended to `out`.
    /// A pair bound whole (`|p| p.0 * p.1` of a zip, `_`) is the tuple of its elements' names.
    fn loop_pattern(&mut self, pat: &Pat, shape: &Shape, span: Span, out: &mut Vec<Stmt>) -> Pat {
        match (shape, pat) {
            (_, Pat::Paren(p)) => self.loop_pattern(&p.pat, shape, span, out),
            // The loop holds the elements by value (or by reference when they are not `Copy`
            // scalars): a type written for the closure's references (`|v: &f64|`,
            // `|(a, b): (&f64, &f64)|`) is not theirs.
            (Shape::Pair(..), Pat::Type(t)) => self.loop_pattern(&t.pat, shape, span, out),
            (_, Pat::Type(t)) if matches!(*t.ty, Type::Reference(_)) => {
                self.loop_pattern(&t.pat, shape, span, out)
            }
            (Shape::Pair(a, b), Pat::Tuple(t)) if t.elems.len() == 2 => {
                let first = self.loop_pattern(&t.elems[0], a, span, out);
                let second = self.loop_pattern(&t.elems[1], b, span, out);
                parse_quote_spanned!(span=> (#first, #second))
            }
            (Shape::Pair(..), _) => {
                let names = self.shape_names(shape, span);
                // The same tokens as an expression: a tuple of the names.
                let value: Expr = parse_quote_spanned!(span=> #names);
                self.bind(pat, None, value, out);
                names
            }
            _ => {
                let name = self.fresh("element", span);
                self.bind(pat, None, parse_quote_spanned!(span=> #name), out);
                parse_quote_spanned!(span=> #name)
            }
        }
    }

    /// A fresh name per element of `shape`, paired up as it pairs them: `(e1, (e2, e3))`.
    fn shape_names(&mut self, shape: &Shape, span: Span) -> Pat {
        match shape {
            Shape::Pair(a, b) => {
                let (a, b) = (self.shape_names(a, span), self.shape_names(b, span));
                parse_quote_spanned!(span=> (#a, #b))
            }
            _ => {
                let name = self.fresh("element", span);
                parse_quote_spanned!(span=> #name)
            }
        }
    }

    /// `match` arms that bind the scrutinee (`n if n > 0 => ..`, `k @ 1..=3 => ..`) or the
    /// value of an `Option` (`Some(v) => ..`), as arms that bind nothing, with the name
    /// bound at the start of the arm (`_ if s > 0 => { let n = s; .. }`) and replaced by
    /// the scrutinee in the guard (`Some(v)` only when the scrutinee is a variable).
    /// Lowering takes `match` on data only as a chain of
    /// conditions, which cannot bind. Other binding arms are left for lowering to report.
    fn match_expr(&mut self, mut m: syn::ExprMatch) -> Expr {
        if !m.arms.iter().any(|arm| binds(&arm.pat)) {
            return Expr::Match(m);
        }
        let span = m.match_token.span;
        let mut out: Vec<Stmt> = Vec::new();
        let scrutinee: Expr = match &*m.expr {
            Expr::Path(p) if p.path.get_ident().is_some() && p.qself.is_none() => (*m.expr).clone(),
            other => {
                let temp = self.fresh("scrutinee", span);
                out.push(parse_quote_spanned!(span=> let #temp = #other;));
                parse_quote_spanned!(span=> #temp)
            }
        };
        let variable = out.is_empty();
        m.expr = Box::new(scrutinee.clone());
        for arm in &mut m.arms {
            let (pattern, name, value): (Pat, &syn::PatIdent, Expr) = match &arm.pat {
                Pat::Ident(p) if p.by_ref.is_none() && binds(&arm.pat) => {
                    let pattern = match &p.subpat {
                        Some((_, sub)) if !binds(sub) => (**sub).clone(),
                        Some(_) => continue,
                        None => parse_quote_spanned!(span=> _),
                    };
                    (pattern, p, scrutinee.clone())
                }
                // Only of a variable: `Some(v)` of a call could be of a differentiated
                // value (`xs.first()`), which lowering's `if let` message explains better.
                Pat::TupleStruct(t)
                    if t.path.is_ident("Some")
                        && t.elems.len() == 1
                        && t.qself.is_none()
                        && variable =>
                {
                    let Pat::Ident(p) = &t.elems[0] else {
                        continue;
                    };
                    if p.by_ref.is_some() || p.subpat.is_some() || !binds(&t.elems[0]) {
                        continue;
                    }
                    let value = parse_quote_spanned!(span=> #scrutinee.unwrap());
                    (parse_quote_spanned!(span=> Some(_)), p, value)
                }
                // `Penalty::Huber(delta) => ..` of an enum of data: the arm matches the
                // variant without binding, and each name is read from the payload at its
                // start (`let delta = match &s { Penalty::Huber(delta) => delta.clone(),
                // _ => unreachable!() };`).
                Pat::TupleStruct(_) | Pat::Struct(_) if payload_pattern(&arm.pat) => {
                    let mut names = Vec::new();
                    bound_names(&arm.pat, &mut names);
                    let mut unbound = arm.pat.clone();
                    syn::visit_mut::VisitMut::visit_pat_mut(&mut Unbind, &mut unbound);
                    let mut reads: Vec<Stmt> = Vec::new();
                    let mut guard_values = Vec::new();
                    for name in &names {
                        let pat = &arm.pat;
                        let value: Expr = parse_quote_spanned! {span=>
                            match &#scrutinee {
                                #pat => ::core::clone::Clone::clone(#name),
                                _ => ::core::unreachable!(),
                            }
                        };
                        let mutability = mutable_binding(&arm.pat, name);
                        reads.push(parse_quote_spanned!(span=> let #mutability #name = #value;));
                        guard_values.push((name.clone(), value));
                    }
                    if let Some((_, guard)) = &mut arm.guard {
                        for (name, value) in guard_values {
                            let mut replace = Replace {
                                name,
                                value: parse_quote_spanned!(span=> (#value)),
                            };
                            syn::visit_mut::VisitMut::visit_expr_mut(&mut replace, guard);
                        }
                    }
                    let body = &arm.body;
                    *arm.body = parse_quote_spanned!(span=> { #(#reads)* #body });
                    arm.pat = unbound;
                    continue;
                }
                _ => continue,
            };
            let (ident, mutability) = (&name.ident, &name.mutability);
            let body = &arm.body;
            let body: Expr =
                parse_quote_spanned!(span=> { let #mutability #ident = #value; #body });
            if let Some((_, guard)) = &mut arm.guard {
                let mut replace = Replace {
                    name: ident.clone(),
                    value: parse_quote_spanned!(span=> (#value)),
                };
                syn::visit_mut::VisitMut::visit_expr_mut(&mut replace, guard);
            }
            arm.pat = pattern;
            *arm.body = body;
        }
        if out.is_empty() {
            return Expr::Match(m);
        }
        parse_quote_spanned!(span=> { #(#out)* #m })
    }

    /// `if let p = e { a } else { b }` as `match e { p => { a } _ => { b } }` when the
    /// `match` rewrite above leaves no arm that binds; otherwise left for lowering.
    fn if_let(&mut self, i: syn::ExprIf) -> Expr {
        let Expr::Let(l) = &*i.cond else {
            return Expr::If(i);
        };
        let span = i.if_token.span;
        let (pat, expr, then) = (&l.pat, &l.expr, &i.then_branch);
        let otherwise: Expr = match &i.else_branch {
            Some((_, e)) => (**e).clone(),
            None => parse_quote_spanned!(span=> {}),
        };
        let m: syn::ExprMatch = parse_quote_spanned! {span=>
            match #expr {
                #pat => #then,
                _ => #otherwise,
            }
        };
        let fresh = self.fresh;
        let rewritten = self.match_expr(m);
        let arms = match &rewritten {
            Expr::Match(m) => &m.arms,
            Expr::Block(b) => match b.block.stmts.last() {
                Some(Stmt::Expr(Expr::Match(m), _)) => &m.arms,
                _ => return Expr::If(i),
            },
            _ => return Expr::If(i),
        };
        if arms.iter().any(|arm| binds(&arm.pat)) {
            self.fresh = fresh;
            return Expr::If(i);
        }
        rewritten
    }

    /// `xs.iter().reduce(f).unwrap()` as the loop from the first element,
    /// `{ let mut acc = xs[0]; for i in 1..xs.len() { let x = xs[i]; acc = f(acc, x); } acc }`;
    /// `min_by`/`max_by` with `|a, b| a.partial_cmp(b).unwrap()` (or `total_cmp`) as the
    /// `reduce` that selects what `Iterator::min_by`/`max_by` select (the derivative follows
    /// the element returned: the first minimum, the last maximum).
    fn reduce(&mut self, unwrap: syn::ExprMethodCall) -> Expr {
        let Expr::MethodCall(call) = &*unwrap.receiver else {
            return Expr::MethodCall(unwrap);
        };
        let span = call.method.span();
        let base = slice_base(&call.receiver, false);
        // (A mapped chain, `xs.iter().map(f).reduce(..)`, is the loop over it too.)
        if base.is_none() && !loop_only(&call.receiver) && !mapped(&call.receiver) {
            return Expr::MethodCall(unwrap);
        }
        let acc = self.fresh("acc", span);
        let element = self.fresh("element", span);
        let (acc_pat, element_pat, body): (Pat, Pat, Expr) =
            match (call.method.to_string().as_str(), call.args.len()) {
                ("reduce", 1) => match &call.args[0] {
                    Expr::Closure(closure)
                        if closure.inputs.len() == 2 && !mentions_return(&closure.body) =>
                    {
                        (
                            closure.inputs[0].clone(),
                            closure.inputs[1].clone(),
                            (*closure.body).clone(),
                        )
                    }
                    Expr::Path(path) => {
                        let Some(method) = self.float_method(path) else {
                            return Expr::MethodCall(unwrap);
                        };
                        let body = parse_quote_spanned!(span=> #acc.#method(#element));
                        (
                            parse_quote_spanned!(span=> #acc),
                            parse_quote_spanned!(span=> #element),
                            body,
                        )
                    }
                    _ => return Expr::MethodCall(unwrap),
                },
                (order @ ("min_by" | "max_by"), 1) => {
                    let Some((ascending, method)) = float_order(&call.args[0]) else {
                        return Expr::MethodCall(unwrap);
                    };
                    // Exactly what `Iterator::min_by`/`max_by` return: `compare(acc, x)`
                    // decides, and the first minimum and the last maximum win at ties.
                    // `partial_cmp` is `>` (where it is `None`, at a NaN, the closure's
                    // `unwrap` panics in the function itself); `total_cmp` orders signed
                    // zeros and NaN.
                    let (first, second) = match ascending {
                        true => (&acc, &element),
                        false => (&element, &acc),
                    };
                    let greater_than: Expr = match method.to_string().as_str() {
                        "partial_cmp" => parse_quote_spanned!(span=> #first > #second),
                        _ => parse_quote_spanned!(span=> #first.total_cmp(&#second).is_gt()),
                    };
                    let (greater, otherwise) = match order {
                        "min_by" => (&element, &acc),
                        _ => (&acc, &element),
                    };
                    let body = parse_quote_spanned!(span=>
                        if #greater_than { #greater } else { #otherwise }
                    );
                    (
                        parse_quote_spanned!(span=> #acc),
                        parse_quote_spanned!(span=> #element),
                        body,
                    )
                }
                _ => return Expr::MethodCall(unwrap),
            };
        let (acc_pat, _) = strip(&acc_pat);
        let Pat::Ident(acc_ident) = acc_pat else {
            return Expr::MethodCall(unwrap);
        };
        if acc_ident.by_ref.is_some()
            || acc_ident.subpat.is_some()
            || mentions(call.receiver.to_token_stream(), &acc_ident.ident)
        {
            return Expr::MethodCall(unwrap);
        }
        let acc_name = &acc_ident.ident;
        // `.expect(message)` panics with its message on no element, as `Option::expect`;
        // `.unwrap()` with `Option::unwrap`'s (the index `base[0]` of an empty slice).
        let message: Option<Expr> = unwrap.args.first().cloned();
        let Some(base) = base else {
            let message = message.unwrap_or_else(
                || parse_quote_spanned!(span=> "called `Option::unwrap()` on a `None` value"),
            );
            return self
                .reduce_loop(
                    &call.receiver,
                    acc_name,
                    &element_pat,
                    &body,
                    &message,
                    span,
                )
                .unwrap_or(Expr::MethodCall(unwrap));
        };
        let check: Option<syn::Stmt> = message.map(
            |message| parse_quote_spanned!(span=> assert!(!(#base).is_empty(), "{}", #message);),
        );
        let index = self.fresh("index", span);
        let mut stmts = Vec::new();
        self.bind(
            &element_pat,
            None,
            parse_quote_spanned!(span=> #base[#index]),
            &mut stmts,
        );
        parse_quote_spanned! {span=>
            {
                #check
                let mut #acc_name = #base[0];
                for #index in 1..#base.len() {
                    #(#stmts)*
                    #acc_name = #body;
                }
                #acc_name
            }
        }
    }

    /// `it.reduce(..).unwrap()` of a chain iterated only after a rewrite (a `chain`, a
    /// `filter`, a `step_by` of a slice): the loop over it that takes its first element and
    /// reduces the others, `{ let mut first = true; let mut acc = 0.0; for x in it { if first
    /// { acc = x; first = false; } else { acc = body; } } assert!(!first); acc }` (the
    /// assertion is the `unwrap` of an empty chain). The elements are values after `copied`,
    /// `cloned` or `map`, else references (`for &x in ..`).
    fn reduce_loop(
        &mut self,
        source: &Expr,
        acc: &Ident,
        element: &Pat,
        body: &Expr,
        message: &Expr,
        span: Span,
    ) -> Option<Expr> {
        let zero = self.float_constant(None, "0.0", span)?;
        let first = self.fresh("first", span);
        let item = self.fresh("element", span);
        let mut current = source;
        let by_value = loop {
            match current {
                Expr::MethodCall(m) => match m.method.to_string().as_str() {
                    "copied" | "cloned" | "map" => break true,
                    "filter" | "chain" | "step_by" | "skip" | "take" | "rev" => {
                        current = &m.receiver
                    }
                    _ => break false,
                },
                _ => break false,
            }
        };
        let pattern: Pat = match by_value {
            true => parse_quote_spanned!(span=> #item),
            false => parse_quote_spanned!(span=> &#item),
        };
        let mut stmts = Vec::new();
        self.bind(
            element,
            None,
            parse_quote_spanned!(span=> #item),
            &mut stmts,
        );
        // The accumulator starts as an untyped literal; the element gives it its type
        // before a method is called on it (`acc.max(x)` on a `{float}` is E0689).
        let tie = Ident::new(TYPE_TIE, span);
        let for_loop: syn::ExprForLoop = parse_quote_spanned! {span=>
            for #pattern in #source {
                #tie(&#item, &#acc);
                if #first {
                    #acc = #item;
                    #first = false;
                } else {
                    #(#stmts)*
                    #acc = #body;
                }
            }
        };
        let for_loop = self.for_loop(for_loop);
        Some(parse_quote_spanned! {span=>
            {
                let mut #first = true;
                let mut #acc = #zero;
                #for_loop
                assert!(!#first, "{}", #message);
                #acc
            }
        })
    }

    /// A `.map` function as its parameter pattern and body: a one-argument closure
    /// (without `return`, which would leave the loop) or a float method path.
    fn map_function(&mut self, function: &Expr) -> Option<(Pat, Expr)> {
        match function {
            Expr::Closure(c) if c.inputs.len() == 1 && !mentions_return(&c.body) => {
                Some((c.inputs[0].clone(), (*c.body).clone()))
            }
            Expr::Path(path) => {
                let method = self.float_method(path)?;
                let span = function.span();
                let x = self.fresh("element", span);
                Some((
                    parse_quote_spanned!(span=> #x),
                    parse_quote_spanned!(span=> #x.#method()),
                ))
            }
            _ => None,
        }
    }

    /// `f64::exp` where a one-argument closure goes, as `|x| x.exp()`.
    /// `it.map(f).zip(ys)` as `it.zip(ys).map(|(a, b)| (f(a), b))`: a `map` commutes with
    /// the `zip` after it, and chains iterate `zip`s of slices (the FIR filter's
    /// `signal.windows(k).map(|w| ..).zip(target)`). Left as written unless `f` is a
    /// one-parameter closure.
    fn zip_after_map(&mut self, mut call: syn::ExprMethodCall) -> Expr {
        let Expr::MethodCall(inner) = &*call.receiver else {
            return Expr::MethodCall(call);
        };
        let closure = match inner.args.first() {
            Some(Expr::Closure(c))
                if inner.method == "map" && inner.args.len() == 1 && c.inputs.len() == 1 =>
            {
                c.clone()
            }
            _ => return Expr::MethodCall(call),
        };
        let span = call.method.span();
        let (a, b) = (self.fresh("mapped", span), self.fresh("zipped", span));
        // The element bound by the closure's pattern, as a loop binds its elements
        // (`|&x|`, `|(i, x)|`, `|x: f64|`).
        let mut head = Vec::new();
        self.bind(
            &closure.inputs[0],
            None,
            parse_quote_spanned!(span=> #a),
            &mut head,
        );
        let body = &closure.body;
        let source = (*inner.receiver).clone();
        call.receiver = Box::new(source);
        parse_quote_spanned! {span=>
            #call.map(|(#a, #b)| ({ #(#head)* #body }, #b))
        }
    }

    fn path_closure(&mut self, function: &Expr) -> Option<Expr> {
        let Expr::Path(path) = function else {
            return None;
        };
        let method = self.float_method(path)?;
        let span = function.span();
        let x = self.fresh("element", span);
        Some(parse_quote_spanned!(span=> |#x| #x.#method()))
    }

    /// `max` of `f64::max`, `f32::max` or `T::max` for a generic float `T`: called as a
    /// method, which is how lowering knows float functions.
    fn float_method(&self, path: &syn::ExprPath) -> Option<Ident> {
        let segments = &path.path.segments;
        if path.qself.is_some() || segments.len() != 2 {
            return None;
        }
        let owner = &segments[0].ident;
        let float = owner == "f64" || owner == "f32" || self.float_types.contains(owner);
        float.then(|| segments[1].ident.clone())
    }
}

/// The slice, array or vector a chain of `iter`, `into_iter`, `copied`, `cloned` (and,
/// when `any_order`, `rev`, `enumerate`, `map`: for a count) starts from, when it is a
/// variable or a field (`xs`, `&xs`, `self.xs`).
fn slice_base(expr: &Expr, any_order: bool) -> Option<Expr> {
    let mut chain = expr;
    let mut methods = 0;
    loop {
        match chain {
            Expr::MethodCall(m) => {
                let plain = matches!(
                    m.method.to_string().as_str(),
                    "iter" | "into_iter" | "copied" | "cloned"
                ) && m.args.is_empty();
                let order = any_order
                    && (matches!(m.method.to_string().as_str(), "rev" | "enumerate")
                        && m.args.is_empty()
                        || m.method == "map" && m.args.len() == 1);
                if !(plain || order) {
                    return None;
                }
                methods += 1;
                chain = &m.receiver;
            }
            Expr::Reference(r) => chain = &r.expr,
            Expr::Paren(p) => chain = &p.expr,
            Expr::Path(_) | Expr::Field(_) if methods > 0 => return Some(chain.clone()),
            _ => return None,
        }
    }
}

/// `Some((true, method))` for `|a, b| a.partial_cmp(b).unwrap()` (or `total_cmp`, `&b`,
/// `expect`), `Some((false, method))` for the reverse order `b.partial_cmp(a)`.
fn float_order(function: &Expr) -> Option<(bool, Ident)> {
    let Expr::Closure(closure) = function else {
        return None;
    };
    let names: Vec<Ident> = closure
        .inputs
        .iter()
        .filter_map(|p| match strip(p).0 {
            Pat::Ident(i) if i.subpat.is_none() && i.by_ref.is_none() => Some(i.ident.clone()),
            _ => None,
        })
        .collect();
    let [a, b] = names.as_slice() else {
        return None;
    };
    let mut body = &*closure.body;
    if let Expr::MethodCall(m) = body {
        if m.method == "unwrap" || m.method == "expect" {
            body = &m.receiver;
        }
    }
    let Expr::MethodCall(cmp) = body else {
        return None;
    };
    if !(cmp.method == "partial_cmp" || cmp.method == "total_cmp") || cmp.args.len() != 1 {
        return None;
    }
    let name = |e: &Expr| -> Option<Ident> {
        match e {
            Expr::Reference(r) => match &*r.expr {
                Expr::Path(p) => p.path.get_ident().cloned(),
                _ => None,
            },
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => match &*u.expr {
                Expr::Path(p) => p.path.get_ident().cloned(),
                _ => None,
            },
            Expr::Path(p) => p.path.get_ident().cloned(),
            _ => None,
        }
    };
    let ascending = match (name(&cmp.receiver)?, name(&cmp.args[0])?) {
        (x, y) if x == *a && y == *b => true,
        (x, y) if x == *b && y == *a => false,
        _ => return None,
    };
    Some((ascending, cmp.method.clone()))
}

/// Whether a `match` pattern binds a name (lowercase or `_`-prefixed identifiers, as
/// lowering reads them; `None` and `MAX` are constants and variants).
fn binds(pat: &Pat) -> bool {
    struct Binds(bool);
    impl<'ast> syn::visit::Visit<'ast> for Binds {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            let name = p.ident.to_string();
            self.0 |=
                p.subpat.is_some() || name.starts_with(|c: char| c.is_lowercase() || c == '_');
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut found = Binds(false);
    syn::visit::Visit::visit_pat(&mut found, pat);
    found.0
}

/// A variant's pattern whose bindings are plain names (`Penalty::Huber(delta)`,
/// `Shape::Box { w, h: height }`, nested variants), without `ref`, `@`, `&` or `Some(..)`
/// (an `Option`'s `Some(v)` is read with `unwrap`, above).
fn payload_pattern(pat: &Pat) -> bool {
    struct Plain(bool);
    impl<'ast> syn::visit::Visit<'ast> for Plain {
        fn visit_pat(&mut self, p: &'ast Pat) {
            match p {
                Pat::Ident(i) if i.by_ref.is_some() || i.subpat.is_some() => self.0 = false,
                Pat::Reference(_) | Pat::Or(_) => self.0 = false,
                _ => syn::visit::visit_pat(self, p),
            }
        }
    }
    if matches!(pat, Pat::TupleStruct(t) if t.path.is_ident("Some")) {
        return false;
    }
    let mut plain = Plain(true);
    syn::visit::Visit::visit_pat(&mut plain, pat);
    plain.0 && binds(pat)
}

/// `mut` when `pat` binds `name` as `mut name`.
fn mutable_binding(pat: &Pat, name: &Ident) -> Option<syn::Token![mut]> {
    struct Find<'n>(&'n Ident, Option<syn::Token![mut]>);
    impl<'ast> syn::visit::Visit<'ast> for Find<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            if p.ident == *self.0 {
                self.1 = p.mutability;
            }
        }
    }
    let mut find = Find(name, None);
    syn::visit::Visit::visit_pat(&mut find, pat);
    find.1
}

/// Replaces each binding of a pattern by `_` (`Penalty::Huber(delta)` by
/// `Penalty::Huber(_)`, `S { w, h: height }` by `S { w: _, h: _ }`).
struct Unbind;

impl syn::visit_mut::VisitMut for Unbind {
    fn visit_pat_mut(&mut self, p: &mut Pat) {
        if let Pat::Ident(i) = p {
            if binds(&Pat::Ident(i.clone())) {
                *p = Pat::Wild(syn::PatWild {
                    attrs: Vec::new(),
                    underscore_token: syn::Token![_](i.ident.span()),
                });
                return;
            }
        }
        syn::visit_mut::visit_pat_mut(self, p);
    }

    fn visit_field_pat_mut(&mut self, f: &mut syn::FieldPat) {
        if f.colon_token.is_none() {
            f.colon_token = Some(syn::Token![:](f.member.span()));
        }
        syn::visit_mut::visit_field_pat_mut(self, f);
    }
}

/// Replaces the variable `name` by `value` in an expression (a guard).
struct Replace {
    name: Ident,
    value: Expr,
}

impl syn::visit_mut::VisitMut for Replace {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Path(p) = expr {
            if p.qself.is_none() && p.path.is_ident(&self.name) {
                *expr = self.value.clone();
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }

    /// A `let` of the same name shadows it in the statements after it.
    fn visit_block_mut(&mut self, block: &mut Block) {
        for stmt in &mut block.stmts {
            if let Stmt::Local(local) = stmt {
                if let Some(init) = &mut local.init {
                    self.visit_expr_mut(&mut init.expr);
                    if let Some((_, diverge)) = &mut init.diverge {
                        self.visit_expr_mut(diverge);
                    }
                }
                let mut names = Vec::new();
                bound_names(&local.pat, &mut names);
                if names.contains(&self.name) {
                    return;
                }
                continue;
            }
            self.visit_stmt_mut(stmt);
        }
    }

    /// A match arm's or a `for` loop's binding of the same name shadows it.
    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let mut names = Vec::new();
        bound_names(&arm.pat, &mut names);
        if !names.contains(&self.name) {
            syn::visit_mut::visit_arm_mut(self, arm);
        }
    }

    fn visit_expr_for_loop_mut(&mut self, for_loop: &mut syn::ExprForLoop) {
        self.visit_expr_mut(&mut for_loop.expr);
        let mut names = Vec::new();
        bound_names(&for_loop.pat, &mut names);
        if !names.contains(&self.name) {
            self.visit_block_mut(&mut for_loop.body);
        }
    }

    /// A closure's parameter of the same name shadows it.
    fn visit_expr_closure_mut(&mut self, closure: &mut syn::ExprClosure) {
        let mut names = Vec::new();
        for input in &closure.inputs {
            bound_names(input, &mut names);
        }
        if !names.contains(&self.name) {
            syn::visit_mut::visit_expr_closure_mut(self, closure);
        }
    }
}

/// `it.map(f).adaptors()` with only `rev()` and `enumerate()` after the `map`: `it`, `f`
/// and the adaptors in order.
fn map_source(expr: &Expr) -> Option<(Expr, Expr, Vec<syn::ExprMethodCall>)> {
    let mut adaptors = Vec::new();
    let mut chain = expr;
    loop {
        let Expr::MethodCall(call) = chain else {
            return None;
        };
        match call.method.to_string().as_str() {
            "map" if call.args.len() == 1 => {
                adaptors.reverse();
                return Some(((*call.receiver).clone(), call.args[0].clone(), adaptors));
            }
            "rev" | "enumerate" if call.args.is_empty() => {
                adaptors.push(call.clone());
                chain = &call.receiver;
            }
            _ => return None,
        }
    }
}

/// `source.map(|p| inner.collect())`: a chain whose elements are collected vectors.
fn collects_rows(chain: &Expr) -> bool {
    let Some((_, Expr::Closure(closure), _)) = map_source(chain) else {
        return false;
    };
    let mut body = &*closure.body;
    loop {
        match body {
            Expr::Paren(p) => body = &p.expr,
            Expr::Block(b) => match b.block.stmts.last() {
                Some(Stmt::Expr(e, None)) => body = e,
                _ => return false,
            },
            // A block's collected value, rewritten already (`fold_block`).
            Expr::Path(p) => {
                return p
                    .path
                    .get_ident()
                    .is_some_and(|i| i.to_string().starts_with("__tapeless_collected"))
            }
            _ => return collect_chain(body).is_some(),
        }
    }
}

/// The tuple element types of `ty` (`None` each when not a tuple type of that arity).
fn element_types(ty: Option<&Type>, count: usize) -> Vec<Option<Type>> {
    match ty {
        Some(Type::Tuple(t)) if t.elems.len() == count => {
            t.elems.iter().cloned().map(Some).collect()
        }
        _ => vec![None; count],
    }
}

fn bound_names(pat: &Pat, out: &mut Vec<Ident>) {
    struct Names<'a>(&'a mut Vec<Ident>);
    impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.clone());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    syn::visit::Visit::visit_pat(&mut Names(out), pat);
}

/// `let it = xs.iter().zip(ys).filter(..);` used once after it (`for (x, y) in it`,
/// `it.map(..).sum()`): the chain written where it is used, where the rewrites of chains
/// take it. (The chain borrows its sources, so nothing can change them in between.)
fn inline_iterators(stmts: &mut Vec<Stmt>) {
    const ADAPTORS: &[&str] = &[
        "iter",
        "into_iter",
        "map",
        "filter",
        "zip",
        "enumerate",
        "rev",
        "skip",
        "take",
        "step_by",
        "chain",
        "copied",
        "cloned",
        "windows",
        "chunks",
        "chunks_exact",
    ];
    struct Inline<'a> {
        name: &'a Ident,
        chain: &'a Expr,
        done: bool,
    }
    impl syn::visit_mut::VisitMut for Inline<'_> {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            match expr {
                Expr::Path(p) if p.qself.is_none() && p.path.is_ident(self.name) => {
                    *expr = self.chain.clone();
                    self.done = true;
                }
                _ => syn::visit_mut::visit_expr_mut(self, expr),
            }
        }
    }
    let mut i = 0;
    while i < stmts.len() {
        let found = match &stmts[i] {
            Stmt::Local(local) => match (&local.pat, &local.init) {
                (Pat::Ident(p), Some(init))
                    if p.by_ref.is_none()
                        && p.mutability.is_none()
                        && p.subpat.is_none()
                        && init.diverge.is_none()
                        && matches!(&*init.expr, Expr::MethodCall(m)
                            if ADAPTORS.contains(&m.method.to_string().as_str()))
                        && iterates(&init.expr) =>
                {
                    Some((p.ident.clone(), (*init.expr).clone()))
                }
                _ => None,
            },
            _ => None,
        };
        let Some((name, chain)) = found else {
            i += 1;
            continue;
        };
        let uses: usize = stmts[i + 1..]
            .iter()
            .map(|s| mention_count(s.to_token_stream(), &name))
            .sum();
        if uses != 1 || mentions(chain.to_token_stream(), &name) {
            i += 1;
            continue;
        }
        // (A use in a macro's tokens is not an expression: then the `let` stays.)
        let mut rest = stmts[i + 1..].to_vec();
        let mut inline = Inline {
            name: &name,
            chain: &chain,
            done: false,
        };
        for stmt in &mut rest {
            syn::visit_mut::VisitMut::visit_stmt_mut(&mut inline, stmt);
        }
        if inline.done {
            stmts.truncate(i);
            stmts.extend(rest);
        } else {
            i += 1;
        }
    }
}

/// The methods that start iterating a container.
const ITERATED: &[&str] = &["iter", "into_iter", "windows", "chunks", "chunks_exact"];

/// A chain that starts an iterator (`xs.iter()`, `xs.windows(2)`, a range), not a
/// nalgebra `m.map(..)`.
fn iterates(chain: &Expr) -> bool {
    match chain {
        Expr::MethodCall(m) => {
            ITERATED.contains(&m.method.to_string().as_str()) || iterates(&m.receiver)
        }
        Expr::Paren(p) => iterates(&p.expr),
        Expr::Range(_) => true,
        _ => false,
    }
}

fn mentions(tokens: proc_macro2::TokenStream, name: &Ident) -> bool {
    mention_count(tokens, name) > 0
}

/// How many times `tokens` name `name`.
fn mention_count(tokens: proc_macro2::TokenStream, name: &Ident) -> usize {
    tokens
        .into_iter()
        .map(|tree| match tree {
            proc_macro2::TokenTree::Ident(ident) => usize::from(ident == *name),
            proc_macro2::TokenTree::Group(group) => mention_count(group.stream(), name),
            _ => 0,
        })
        .sum()
}

/// A `return` in a fold's closure returns from the closure, not from the function: the
/// loop form would change its meaning.
fn mentions_return(body: &Expr) -> bool {
    fn any(tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().any(|tree| match tree {
            proc_macro2::TokenTree::Ident(ident) => ident == "return",
            proc_macro2::TokenTree::Group(group) => any(group.stream()),
            _ => false,
        })
    }
    any(body.to_token_stream())
}

/// `chain.filter(p).sum()`, `.map(f).sum()`, `.product()`, `.count()` after a `filter`.
fn filtered(call: &syn::ExprMethodCall) -> bool {
    ["sum", "product", "count"].iter().any(|m| call.method == m)
        && call.args.is_empty()
        && match &*call.receiver {
            Expr::MethodCall(map) if map.method == "map" => {
                loop_only(&map.receiver)
                    || mapped(&map.receiver)
                    || windows_of(&map.receiver).is_some()
                    || offset_zip(&map.receiver).is_some()
            }
            other => loop_only(other),
        }
}

/// One side of a zip the pre-pass reads by index: `xs`, `&xs`, `xs.iter()`, optionally
/// `.copied()`/`.cloned()` and `.skip(k)`, of a variable or field `xs` or of its tail
/// `xs[a..]`.
struct Offset {
    base: Expr,
    skip: Option<Expr>,
}

fn offset_side(expr: &Expr) -> Option<Offset> {
    let mut current = expr;
    let mut skip = None;
    let mut by_value = false;
    if let Expr::MethodCall(m) = current {
        if m.method == "skip" && m.args.len() == 1 {
            skip = Some(m.args[0].clone());
            current = &m.receiver;
        }
    }
    if let Expr::MethodCall(m) = current {
        if (m.method == "copied" || m.method == "cloned") && m.args.is_empty() {
            by_value = true;
            current = &m.receiver;
        }
    }
    let mut methods = 0;
    if let Expr::MethodCall(m) = current {
        if m.method != "iter" || !m.args.is_empty() {
            return None;
        }
        methods += 1;
        current = &m.receiver;
    }
    if let Expr::Reference(r) = current {
        if r.mutability.is_some() {
            return None;
        }
        current = &r.expr;
    }
    // `xs.skip(1)` of a slice is not Rust: a method before the skip or copy.
    if methods == 0 && (skip.is_some() || by_value) {
        return None;
    }
    // `&xs[a..]`, `xs[a..].iter()`: the side starts at `a` (and a `skip(k)` after it).
    if let Expr::Index(index) = current {
        if let Expr::Range(range) = &*index.index {
            if let (Some(start), None) = (&range.start, &range.end) {
                skip = Some(match skip {
                    Some(k) => parse_quote_spanned!(start.span()=> (#start) + (#k)),
                    None => (**start).clone(),
                });
                current = &index.expr;
            }
        }
    }
    place(current).then(|| Offset {
        base: current.clone(),
        skip,
    })
}

/// `a.zip(b)` of two sides read by index with a `.skip(k)` in one of them
/// (`x.iter().zip(x.iter().skip(1))`): a zip lowering would iterate with a sub-slice.
fn offset_zip(expr: &Expr) -> Option<(Offset, Offset)> {
    let Expr::MethodCall(m) = expr else {
        return None;
    };
    if m.method != "zip" || m.args.len() != 1 {
        return None;
    }
    let (a, b) = (offset_side(&m.receiver)?, offset_side(&m.args[0])?);
    (a.skip.is_some() || b.skip.is_some()).then_some((a, b))
}

/// `xs.windows(k)` of a variable or field `xs` (also `&xs`): `xs` and `k`.
fn windows_of(expr: &Expr) -> Option<(Expr, Expr)> {
    let Expr::MethodCall(m) = expr else {
        return None;
    };
    if m.method != "windows" || m.args.len() != 1 {
        return None;
    }
    let base = match &*m.receiver {
        Expr::Reference(r) if r.mutability.is_none() => &*r.expr,
        other => other,
    };
    place(base).then(|| (base.clone(), m.args[0].clone()))
}

/// Replaces `w[e]` of the window `w` by `xs[start + (e)]`.
struct WindowReads<'a> {
    window: &'a Ident,
    element: &'a dyn Fn(&Expr) -> Expr,
}

impl syn::visit_mut::VisitMut for WindowReads<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let Expr::Index(index) = expr {
            if matches!(&*index.expr, Expr::Path(p) if p.path.is_ident(self.window)) {
                *expr = (self.element)(&index.index);
            }
        }
    }
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// Whether a chain is iterated only once the pre-pass has rewritten its `for` loop: it has a
/// `.filter(..)`, a `.chain(..)`, or a `.step_by(k)` of a slice (not of a range) in it.
/// A chain with a `.map(..)` in it (`x.iter().map(f)`): a reduction after another `.map`
/// is the loop over it (`x.iter().map(f).map(g).sum()`).
fn mapped(chain: &Expr) -> bool {
    match chain {
        Expr::MethodCall(m) => m.method == "map" || mapped(&m.receiver),
        Expr::Paren(p) => mapped(&p.expr),
        _ => false,
    }
}

fn loop_only(chain: &Expr) -> bool {
    let mut current = chain;
    let mut found = false;
    loop {
        match current {
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if name == "filter" || name == "chain" {
                    return true;
                }
                found |= name == "step_by";
                current = &m.receiver;
            }
            Expr::Paren(p) => current = &p.expr,
            Expr::Reference(r) => current = &r.expr,
            Expr::Range(_) => return false,
            _ => return found,
        }
    }
}

/// `(a..b).rev()`: its ends.
fn reversed_range(expr: &Expr) -> Option<(&Expr, &Expr)> {
    let Expr::MethodCall(rev) = expr else {
        return None;
    };
    if rev.method != "rev" || !rev.args.is_empty() {
        return None;
    }
    let range = bounded_range(&rev.receiver)?;
    match (&range.start, &range.end, &range.limits) {
        (Some(start), Some(end), syn::RangeLimits::HalfOpen(_)) => Some((start, end)),
        _ => None,
    }
}

/// An expression a rewrite may evaluate twice with the same value and no effect: names,
/// literals, fields, arithmetic, casts and the integer methods `min`, `max`, `len`, ...
fn duplicable(expr: &Expr) -> bool {
    const PURE: &[&str] = &[
        "min",
        "max",
        "len",
        "nrows",
        "ncols",
        "saturating_sub",
        "saturating_add",
        "abs",
        "pow",
    ];
    match expr {
        Expr::Lit(_) => true,
        Expr::Path(p) => p.qself.is_none(),
        Expr::Field(f) => duplicable(&f.base),
        Expr::Paren(p) => duplicable(&p.expr),
        Expr::Group(g) => duplicable(&g.expr),
        Expr::Cast(c) => duplicable(&c.expr),
        Expr::Unary(u) => !matches!(u.op, syn::UnOp::Deref(_)) && duplicable(&u.expr),
        Expr::Binary(b) => {
            matches!(
                b.op,
                syn::BinOp::Add(_)
                    | syn::BinOp::Sub(_)
                    | syn::BinOp::Mul(_)
                    | syn::BinOp::Div(_)
                    | syn::BinOp::Rem(_)
            ) && duplicable(&b.left)
                && duplicable(&b.right)
        }
        // `::core::cmp::min(a, b)`, which the rewrites themselves write.
        Expr::Call(c) => {
            let Expr::Path(f) = &*c.func else {
                return false;
            };
            let path = f.path.to_token_stream().to_string().replace(' ', "");
            (path == "::core::cmp::min" || path == "::core::cmp::max")
                && c.args.iter().all(duplicable)
        }
        Expr::MethodCall(m) => {
            PURE.iter().any(|p| m.method == p)
                && m.turbofish.is_none()
                && duplicable(&m.receiver)
                && m.args.iter().all(duplicable)
        }
        _ => false,
    }
}

/// The range `a..b` (or `a..=b`, in parentheses) with both bounds.
fn bounded_range(expr: &Expr) -> Option<&syn::ExprRange> {
    match expr {
        Expr::Paren(p) => bounded_range(&p.expr),
        Expr::Range(r) if r.start.is_some() && r.end.is_some() => Some(r),
        _ => None,
    }
}

/// Replaces each `break` of a loop's own body (not of a nested loop or a closure) by
/// `{ flag = true; break; }`; `labelled` is set when there is a labelled `break` or one with
/// a value, which the rewrite leaves alone.
struct StopFlag<'a> {
    flag: &'a Ident,
    labelled: bool,
}

impl syn::visit_mut::VisitMut for StopFlag<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Break(b) if b.label.is_none() && b.expr.is_none() => {
                let flag = self.flag;
                *expr = parse_quote_spanned!(b.break_token.span=> { #flag = true; break; });
            }
            Expr::Break(_) => self.labelled = true,
            // The `break`s of nested loops are theirs; a closure's cannot leave the loop.
            Expr::ForLoop(l) => self.visit_expr_mut(&mut l.expr),
            Expr::While(l) => self.visit_expr_mut(&mut l.cond),
            Expr::Loop(_) | Expr::Closure(_) => {}
            other => syn::visit_mut::visit_expr_mut(self, other),
        }
    }
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// The value a `for` pattern binds, as an expression (`v` for `v` and `&v`, `(i, v)` for
/// `(i, &v)`): what a `filter` predicate receives. `None` for patterns with a `_` or others.
/// `it.filter(|(p, q)| ..)`: the number of elements of the predicate's tuple pattern.
fn filtered_tuple(expr: &Expr) -> Option<usize> {
    let Expr::MethodCall(call) = expr else {
        return None;
    };
    match call.args.first() {
        Some(Expr::Closure(c)) if call.method == "filter" && c.inputs.len() == 1 => {
            match unref(strip(&c.inputs[0]).0) {
                Pat::Tuple(t) => Some(t.elems.len()),
                _ => None,
            }
        }
        _ => None,
    }
}

fn element_of(pat: &Pat) -> Option<Expr> {
    match pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
            let ident = &p.ident;
            Some(syn::parse_quote!(#ident))
        }
        Pat::Reference(r) => element_of(&r.pat),
        Pat::Paren(p) => element_of(&p.pat),
        Pat::Type(t) => element_of(&t.pat),
        Pat::Tuple(t) => {
            let elems: Vec<Expr> = t.elems.iter().map(element_of).collect::<Option<_>>()?;
            Some(syn::parse_quote!((#(#elems,)*)))
        }
        _ => None,
    }
}

/// `pat` without its `&` patterns: a loop holds its elements by value.
fn unref(pat: &Pat) -> Pat {
    match pat {
        Pat::Reference(r) => unref(&r.pat),
        Pat::Paren(p) => unref(&p.pat),
        Pat::Tuple(t) => {
            let mut t = t.clone();
            for elem in t.elems.iter_mut() {
                *elem = unref(elem);
            }
            Pat::Tuple(t)
        }
        other => other.clone(),
    }
}

/// Strips the `*`s applied to the given names (see [`Desugar::filter_loop`]).
struct Unref<'n>(&'n [Ident]);

impl syn::visit_mut::VisitMut for Unref<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Unary(u) = expr {
            if matches!(u.op, syn::UnOp::Deref(_)) {
                let mut inner = &*u.expr;
                while let Expr::Unary(syn::ExprUnary {
                    op: syn::UnOp::Deref(_),
                    expr,
                    ..
                })
                | Expr::Paren(syn::ExprParen { expr, .. }) = inner
                {
                    inner = expr;
                }
                if let Expr::Path(p) = inner {
                    if p.path.get_ident().is_some_and(|i| self.0.contains(i)) {
                        *expr = inner.clone();
                        return;
                    }
                }
            }
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}
