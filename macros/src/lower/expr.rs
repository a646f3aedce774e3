//! Lowering of expressions, the iteration forms of `for` loops, and iterator reductions.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Expr, Ident, Pat};

use super::syntax::{self, Mentions};
use super::{Access, End, Iteration, Lowerer};
use crate::ir::{Adaptor, Arg, Form, Kind, Op, Operand, Stmt, Unwrap};
use crate::parse::Floats;
use crate::rules;

impl Lowerer<'_> {
    pub(super) fn expr(&mut self, expr: &Expr) -> Option<Arg> {
        if self.mentions_failed(expr) {
            return None;
        }
        if self.is_constant(expr) {
            return Some(constant(expr.clone()));
        }
        match expr {
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Path(p) => self.path_expr(expr, p),
            Expr::Reference(r) => self.reference_expr(r),
            Expr::Unary(u) => self.unary_expr(u),
            Expr::Binary(b) => self.binary_expr(expr, b),
            Expr::MethodCall(call) if self.unsupported_chain(call) => None,
            Expr::MethodCall(call) if is_reduction(call) => self.reduction(call),
            Expr::MethodCall(call)
                if (call.method == "map" || call.method == "map_with_location")
                    && call.args.len() == 1 =>
            {
                self.map_expr(call)
            }
            Expr::MethodCall(call) if linear_solve(call).is_some() => self.solve_expr(call),
            Expr::MethodCall(call) => self.method_expr(call),
            Expr::Call(call) if self.closure_callee(call).is_some() => {
                let var = self.closure_callee(call)?;
                self.call_closure(call, var)
            }
            // `T::tanh(x)`, `<T as Float>::sqrt(x)`, `<f64>::max(a, b)`: a method of a float
            // type named through the type is the method call `x.tanh()`. (A float type
            // parameter's path cannot name a user's function: with its float bound, any other
            // trait's `tanh` would make the path ambiguous.)
            Expr::Call(call) if float_type_method(&call.func, self.floats).is_some() => {
                let name = float_type_method(&call.func, self.floats)?;
                // `<F as Float>::sin` names the trait's method only if `Float` is the float
                // trait and not a user's trait of that name: checked at compile time.
                if let Some(check) = trait_method_check(&call.func, &name) {
                    self.push(Stmt::Eval {
                        op: Op::Verbatim {
                            expr: check,
                            uses: Vec::new(),
                            inert: true,
                            what: "the check of a trait method's path",
                            advice: "",
                        },
                        origin: call.func.to_token_stream(),
                    });
                }
                let method: syn::ExprMethodCall = {
                    let mut args = call.args.iter();
                    let receiver = args.next()?;
                    let rest = args.cloned().collect::<Vec<_>>();
                    syn::parse_quote_spanned!(syn::spanned::Spanned::span(&call.func)=> (#receiver).#name(#(#rest),*))
                };
                self.expr(&Expr::MethodCall(method))
            }
            // `f64::from(k)`: a lossless conversion, differentiated like `k as f64` (and
            // printed as written: `bool as f64` would not compile).
            Expr::Call(call)
                if syntax::float_from(&call.func).is_some() && call.args.len() == 1 =>
            {
                let Expr::Path(func) = &*call.func else {
                    return None;
                };
                let arg = self.expr(call.args.first()?)?;
                let op = Op::Rule {
                    rule: rules::cast(true),
                    form: Form::Call(func.clone()),
                    args: vec![arg],
                };
                Some(self.value(op, Kind::Copy, call.to_token_stream()))
            }
            // A generic copy's `x as usize`: a conversion to data, as `as usize` is.
            Expr::Call(call)
                if syntax::integer_cast(&call.func).is_some() && call.args.len() == 1 =>
            {
                let Expr::Path(func) = &*call.func else {
                    return None;
                };
                let arg = self.expr(call.args.first()?)?;
                let op = Op::Rule {
                    rule: rules::cast(false),
                    form: Form::Call(func.clone()),
                    args: vec![arg],
                };
                Some(self.value(op, Kind::Copy, call.to_token_stream()))
            }
            Expr::Call(call) => self.call_expr(call),
            Expr::Cast(cast) => {
                let arg = self.expr(&cast.expr)?;
                let to_float = self.floats.scalar(&cast.ty);
                let op = Op::Rule {
                    rule: rules::cast(to_float),
                    form: Form::Cast((*cast.ty).clone()),
                    args: vec![arg],
                };
                Some(self.value(op, Kind::Copy, cast.to_token_stream()))
            }
            Expr::Index(index) => self.index_value(index),
            Expr::Block(b) if b.label.is_none() => self.block_value(&b.block),
            Expr::If(i) if !syntax::exits_of_stmt(&syn::Stmt::Expr(expr.clone(), None)).any() => {
                self.if_expr(i, true)
            }
            Expr::Match(m) if is_boolean_match(m) => self.boolean_match(m),
            Expr::Match(m) if is_payload_match(m) => self.payload_match(m),
            Expr::Match(m) => {
                let chain = self.match_chain(m)?;
                match chain {
                    syn::Stmt::Expr(Expr::Block(b), _) => self.block_value(&b.block),
                    _ => None,
                }
            }
            Expr::Macro(m) if m.mac.path.is_ident("vec") => self.vec_macro(m),
            Expr::Field(field) => self.field_expr(field),
            Expr::Tuple(t) if (2..=rules::MAX_TUPLE).contains(&t.elems.len()) => self.tuple_expr(t),
            _ => self.unsupported_expr(expr),
        }
    }

    /// A variable, or a path lowered as a constant.
    fn path_expr(&mut self, expr: &Expr, p: &syn::ExprPath) -> Option<Arg> {
        match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
            Some(var) if self.closures.contains_key(&var) => {
                self.errors.at(expr, "a closure can be called (`f(x)`) or passed to `.map(..)` in a differentiated function, not used as a value");
                None
            }
            Some(var) if p.qself.is_none() => Some(Arg {
                value: Operand::Var(var),
                borrowed: false,
            }),
            _ => Some(constant(expr.clone())),
        }
    }

    fn reference_expr(&mut self, r: &syn::ExprReference) -> Option<Arg> {
        if r.mutability.is_some() {
            self.errors.at(r, "`&mut` borrows are not supported by #[differentiate]: mutation through a reference cannot be differentiated yet");
            return None;
        }
        // `&p.w` is the reference a field read already is, of a borrowed `p`; of an owned
        // `p` (a parameter taken by value) the read of a struct or vector is a copy,
        // borrowed here (a float field stays the value it was).
        if let Expr::Field(field) = strip_parens(&r.expr) {
            let read = self.field(field)?;
            return Some(match self.kind_of(&read) {
                Kind::Owned => Arg {
                    borrowed: true,
                    ..read
                },
                _ => read,
            });
        }
        let inner = self.place(&r.expr)?;
        // `&xs[i]` is the reference an element read by reference already is.
        if matches!(strip_parens(&r.expr), Expr::Index(_)) && self.kind_of(&inner) == Kind::Ref {
            return Some(inner);
        }
        Some(Arg {
            borrowed: true,
            ..inner
        })
    }

    fn unary_expr(&mut self, u: &syn::ExprUnary) -> Option<Arg> {
        let arg = self.expr(&u.expr)?;
        let rule = rules::unary(&u.op);
        let kind = self.result_kind(std::slice::from_ref(&arg));
        let op = Op::Rule {
            rule,
            form: Form::Unary(u.op),
            args: vec![arg],
        };
        Some(self.value(op, kind, u.to_token_stream()))
    }

    fn binary_expr(&mut self, expr: &Expr, b: &syn::ExprBinary) -> Option<Arg> {
        match rules::binary(&b.op) {
            _ if rules::compound_assign(&b.op).is_some() => {
                self.errors.at(b, "a compound assignment (`+=`, ...) can only stand as a statement in a differentiated function");
                None
            }
            Some(rule) => {
                let lhs = self.expr(&b.left);
                let rhs = self.expr(&b.right);
                let args = vec![lhs?, rhs?];
                let kind = if rule.has_derivative() {
                    self.result_kind(&args)
                } else {
                    Kind::Copy
                };
                let op = Op::Rule {
                    rule,
                    form: Form::Binary(b.op),
                    args,
                };
                Some(self.value(op, kind, b.to_token_stream()))
            }
            // `&&` and `||` short-circuit: kept whole, as a boolean, when that is
            // sound; an operand that must be lowered itself (a closure's call, a
            // reduction, a block) makes it the `if` it means, evaluated lazily too.
            None if self.logical_needs_lowering(expr) => {
                let (left, right) = (&b.left, &b.right);
                let lazy: Expr = match b.op {
                    syn::BinOp::And(_) => syn::parse_quote!(if #left { #right } else { false }),
                    _ => syn::parse_quote!(if #left { true } else { #right }),
                };
                self.expr(&lazy)
            }
            None => self.verbatim(expr, true, "a logical operator", ""),
        }
    }

    /// `.map(closure)` with one argument: a closure literal or a closure variable.
    fn map_expr(&mut self, call: &syn::ExprMethodCall) -> Option<Arg> {
        if let Some(closure) = self.closure_named(&call.args[0]) {
            return self.map_call(call, &closure);
        }
        match &call.args[0] {
            Expr::Closure(closure) => self.map_call(call, closure),
            other => {
                self.errors.at(other, "`.map(..)` takes a closure here (`|v| ..`), which #[differentiate] differentiates");
                None
            }
        }
    }

    fn solve_expr(&mut self, call: &syn::ExprMethodCall) -> Option<Arg> {
        let (rule, form, operands) = linear_solve(call)?;
        let args: Vec<Arg> = operands
            .into_iter()
            .map(|e| self.expr(e))
            .collect::<Option<_>>()?;
        let op = Op::Rule { rule, form, args };
        Some(self.value(op, Kind::Owned, call.to_token_stream()))
    }

    fn method_expr(&mut self, call: &syn::ExprMethodCall) -> Option<Arg> {
        // A closure passed to a method no rewrite took is reported, and nothing else: the
        // receiver (`xs.iter()`) is not lowered, so it is not reported as a method too.
        if let Some(closure) = call.args.iter().find(|a| matches!(a, Expr::Closure(_))) {
            return self.expr(closure);
        }
        let receiver = self.place(&call.receiver);
        let args: Vec<Option<Arg>> = call.args.iter().map(|a| self.expr(a)).collect();
        let mut all = vec![receiver.clone()?];
        for a in args {
            all.push(a?);
        }
        let form = Form::Method {
            name: call.method.clone(),
            turbofish: call.turbofish.clone(),
        };
        // `d.unwrap()` (the desugaring's `if let Some(x) = d`) of an `Option` the source holds
        // by reference (`for d in data` over `&[Option<Vec<f64>>]`): `x` is a reference, as
        // Rust binds it, read through `d.as_ref()`.
        if self.is_referenced(&all[0]) && (call.method == "unwrap" || call.method == "expect") {
            let as_ref = Op::Foreign {
                pure: false,
                form: Form::Method {
                    name: Ident::new("as_ref", call.method.span()),
                    turbofish: None,
                },
                args: vec![all[0].clone()],
            };
            all[0] = self.value(as_ref, Kind::Copy, call.receiver.to_token_stream());
            let op = Op::Foreign {
                pure: false,
                form,
                args: all,
            };
            let value = self.value(op, Kind::Ref, call.to_token_stream());
            return Some(self.referenced(value));
        }
        // A decomposition is a local value: `self.solve(x)`, `p.model.l()` are the user's.
        // `self` is the user's own type, never a float or a matrix: `self.diagonal()` and
        // `self.determinant()` are its own methods (only `clone` applies to any type).
        // A parameter or element of the user's own type (`model.forward(x)`, `c.log_pdf(x)`
        // in `for c in comps`): its method is the user's, as a field's is. (`self` is below.)
        let on_own_value = !is_self(&call.receiver)
            && receiver
                .as_ref()
                .and_then(|r| r.value.var())
                .is_some_and(|v| self.users_own.contains(&v));
        let user_method = is_self(&call.receiver) || is_field(&call.receiver) || on_own_value;
        let row = rules::method(&call.method.to_string(), all.len()).filter(|rule| {
            // (On a parameter or an element, a method named like a rule stays the rule's: a
            // type alias of a nalgebra type, `type V2 = SVector<f64, 2>`, looks like the
            // user's own type.)
            let users_own = (rule.decomposition && user_method)
                || (is_self(&call.receiver) && rule.name != "clone");
            !users_own
        });
        let op = match row {
            Some(rule) if rule.class == rules::Class::Primitive => Op::Rule {
                rule,
                form,
                args: all.clone(),
            },
            // `self.predict(x)` in a differentiated method: a call of a method of the block
            // (this one too: recursion), `Self::predict(self, x)`, differentiated through
            // `Self::predict_vjp`.
            None if is_self(&call.receiver)
                && !self.unmarked.contains(&call.method.to_string()) =>
            {
                let method = &call.method;
                Op::Call {
                    path: syn::parse_quote!(Self::#method),
                    args: self.snapshot_memory(&all, call.to_token_stream()),
                }
            }
            // `p.layer.forward(x)`: a method of a field's type, differentiated in its own
            // marked `impl` block, called through its `_vjp` method (joint mode).
            None if (is_field(&call.receiver) || on_own_value) && call.turbofish.is_none() => {
                let method = &call.method;
                let marker = Ident::new(crate::ir::METHOD_CALL, Span::call_site());
                Op::Call {
                    path: syn::parse_quote!(#marker::#method),
                    args: self.snapshot_memory(&all, call.to_token_stream()),
                }
            }
            known => Op::Foreign {
                pure: known.is_some(),
                form,
                args: all.clone(),
            },
        };
        let kind = match op {
            Op::Foreign { pure: true, .. } => Kind::Copy,
            // An unknown method can return anything: borrowed, never moved.
            Op::Foreign { .. } => Kind::Owned,
            Op::Rule { rule, .. } if rule.scalar_result => Kind::Copy,
            // A `Vec`, whatever it copies (an array taken by value is `Copy`).
            Op::Rule { rule, .. } if rule.name == "to_vec" => Kind::Owned,
            _ => self.result_kind(&all),
        };
        let value = self.value(op, kind, call.to_token_stream());
        // A copy holds the elements its receiver holds (`let rows = xs.to_vec();`).
        if ["to_vec", "clone", "to_owned"].contains(&call.method.to_string().as_str()) {
            if let (Some(from), Some(to)) = (all[0].value.var(), value.value.var()) {
                self.inherit_elements(from, to);
            }
        }
        Some(value)
    }

    /// A call of a named function: a rule, another differentiated function, or foreign.
    fn call_expr(&mut self, call: &syn::ExprCall) -> Option<Arg> {
        let Expr::Path(func) = &*call.func else {
            self.errors.at(
                &call.func,
                "#[differentiate] only supports calls of named functions",
            );
            return None;
        };
        // `by_value(d)` of a `hessian` function's generic copy (its `d` may be a reference
        // there): lowered, `d` is a value already.
        if by_value(func) && call.args.len() == 1 {
            return self.expr(&call.args[0]);
        }
        let args: Vec<Option<Arg>> = call.args.iter().map(|a| self.expr(a)).collect();
        let args: Vec<Arg> = args.into_iter().collect::<Option<_>>()?;
        let op = match rules::call(func, args.len()) {
            Some((rule, item)) => Op::Rule {
                rule,
                form: Form::RuleCall {
                    path: func.clone(),
                    item,
                },
                args: args.clone(),
            },
            // `libm::tgamma(c)`: one of `libm`'s functions without a rule, fine on data.
            None if rules::is_libm_path(func) => Op::Foreign {
                form: Form::Call(func.clone()),
                args: args.clone(),
                pure: false,
            },
            // A call of the function itself (recursion) too: its reverse sweep calls
            // `f_vjp` (joint mode, see `emit`).
            None if function_path(func) && !self.unmarked_in_block(func) => Op::Call {
                path: func.clone(),
                args: self.snapshot_memory(&args, call.to_token_stream()),
            },
            None => Op::Foreign {
                form: Form::Call(func.clone()),
                args: args.clone(),
                pure: false,
            },
        };
        // An unknown function (a constructor, a data helper) can return anything:
        // borrowed, never moved.
        let kind = match op {
            Op::Rule { rule, .. } if rule.scalar_result => Kind::Copy,
            Op::Rule { rule, .. } if rule.matrix_result => Kind::Owned,
            Op::Rule { .. } => self.result_kind(&args),
            // `T::zero()`, `f64::from(n)`: a float's constructor makes a float.
            _ if float_constructor(func, self.floats) => Kind::Copy,
            _ => Kind::Owned,
        };
        Some(self.value(op, kind, call.to_token_stream()))
    }

    /// An element used as a value (`f(modes[i])`, `let m = modes[i];`): a copy of it, as in
    /// the source, where the element is read by reference (see [`Self::element_read`]) from
    /// a container of `Lowerer::copied_elements`.
    fn index_value(&mut self, index: &syn::ExprIndex) -> Option<Arg> {
        let place = self.index(index, true)?;
        // The desugaring's reads by its own counters (`__tapeless_index`) bind an iterator's
        // elements, which are references (`for (a, b) in rows.iter().zip(..)`).
        fn generated(tokens: proc_macro2::TokenStream) -> bool {
            tokens.into_iter().any(|t| match t {
                proc_macro2::TokenTree::Ident(i) => i.to_string().starts_with("__tapeless"),
                proc_macro2::TokenTree::Group(g) => generated(g.stream()),
                _ => false,
            })
        }
        let desugared = generated(index.index.to_token_stream());
        let copied = place.value.var().is_some_and(|v| {
            self.vars[v.0].kind == Kind::Ref
                && self
                    .element_containers
                    .get(&v)
                    .is_some_and(|c| self.copied_elements.contains(c))
        });
        if desugared || !copied {
            return Some(place);
        }
        Some(self.copy_of(place, index.to_token_stream()))
    }

    /// `*place`: a copy of a value read by reference, as the source copies it.
    fn copy_of(&mut self, place: Arg, origin: TokenStream) -> Arg {
        let op = Op::Rule {
            rule: rules::unary(&syn::UnOp::Deref(Default::default())),
            form: Form::Unary(syn::UnOp::Deref(Default::default())),
            args: vec![place],
        };
        self.value(op, Kind::Copy, origin)
    }

    /// A field used as a value (`p.scale * x`): a copy of it, as in the source.
    fn field_expr(&mut self, field: &syn::ExprField) -> Option<Arg> {
        let place = self.field(field)?;
        // A copied field is already a value.
        if place
            .value
            .var()
            .is_some_and(|v| self.vars[v.0].kind != Kind::Ref)
        {
            return Some(place);
        }
        Some(self.copy_of(place, field.to_token_stream()))
    }

    fn tuple_expr(&mut self, t: &syn::ExprTuple) -> Option<Arg> {
        let args = t
            .elems
            .iter()
            .map(|e| self.expr(e))
            .collect::<Option<Vec<Arg>>>()?;
        let op = Op::Rule {
            rule: rules::tuple(args.len())?,
            form: Form::Tuple,
            args,
        };
        Some(self.value(op, Kind::Owned, t.to_token_stream()))
    }

    /// The expressions `expr` does not lower: an error saying what to write instead, or
    /// (for data that stays inactive) the expression kept verbatim.
    fn unsupported_expr(&mut self, expr: &Expr) -> Option<Arg> {
        match expr {
            Expr::Unsafe(u) => {
                self.errors.at(u.unsafe_token, "`unsafe` blocks are not supported by #[differentiate]: it cannot see through raw pointers or foreign memory; move the unsafe code into a function with its own rule, or out of the differentiated function");
                None
            }
            Expr::If(_)
            | Expr::While(_)
            | Expr::ForLoop(_)
            | Expr::Loop(_)
            | Expr::Block(_)
            | Expr::Break(_)
            | Expr::Continue(_)
            | Expr::Return(_) => {
                self.errors.at(expr, format!("{} is not supported here by #[differentiate]: use control flow as a statement or as the value of a `let`, and exits directly in a loop or function body", syntax::describe(expr)));
                None
            }
            Expr::Closure(_) => {
                self.errors.at(expr, "a closure passed here is not supported by #[differentiate]; closures are supported bound by `let` and called, in iterator chains (`.map(..)`, `.filter(..)`, `.fold(..)`, ...) and in nalgebra's `m.map(..)`, `m.map_with_location(..)`, `a.zip_map(&b, ..)` and `from_fn(..)`: write the computation as a loop (to order by a key, `sort_by` outside the differentiated function and pass the order in)");
                None
            }
            Expr::Async(_) | Expr::Await(_) => {
                self.errors
                    .at(expr, "`async` and `.await` cannot be differentiated");
                None
            }
            Expr::Try(_) => {
                self.errors.at(expr, "the `?` operator is not supported by #[differentiate]: a differentiated function returns a float");
                None
            }
            Expr::Macro(m) => {
                let name = m
                    .mac
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                self.errors.at(m, format!("macro `{name}!` is not supported as a value in a differentiated function: #[differentiate] cannot see what its expansion computes; write the computation out"));
                None
            }
            Expr::Assign(_) => {
                self.errors.at(
                    expr,
                    "an assignment can only stand as a statement in a differentiated function",
                );
                None
            }
            Expr::Tuple(_) => self.verbatim(
                expr,
                false,
                "a tuple",
                "use separate float variables, or tuples of 2 to 6 elements",
            ),
            Expr::Array(_) | Expr::Repeat(_) => self.verbatim(
                expr,
                false,
                "an array literal",
                "bind it with `let` first (`let a = [x, 2.0 * y];`), which is the array written by index (also `let mut a`, written by index later, but not reassigned whole or changed by a method such as `swap`)",
            ),
            Expr::Struct(_) => self.verbatim(
                expr,
                false,
                "a struct literal",
                "use separate float variables, or a tuple; to pass a struct of parameters, build it outside and pass it in (a struct deriving `tapeless::Differentiable`)",
            ),
            Expr::Range(range) => self.range(range),
            _ => {
                self.errors.at(
                    expr,
                    format!(
                        "{} is not supported by #[differentiate]",
                        syntax::describe(expr)
                    ),
                );
                None
            }
        }
    }

    pub(super) fn value(&mut self, op: Op, kind: Kind, origin: TokenStream) -> Arg {
        // A rule that reads a whole array written in place (`v.norm_squared()` of a vector
        // written by index) reads a copy of it as it is now:
        // the reverse sweep reads its arguments after later writes.
        let op = match op {
            Op::Rule { rule, form, args }
                if !matches!(
                    form,
                    Form::Index | Form::Copy | Form::Field(_) | Form::FieldClone(_)
                ) && args
                    .iter()
                    .any(|a| a.value.var().is_some_and(|v| self.vars[v.0].memory)) =>
            {
                let args = self.snapshot_memory(&args, origin.clone());
                Op::Rule { rule, form, args }
            }
            op => op,
        };
        let structure = self.structure(&op, kind);
        let var = self.push_let(op, kind, origin);
        if let Some(structure) = structure {
            self.structures.insert(var, structure);
        }
        Arg {
            value: Operand::Var(var),
            borrowed: false,
        }
    }

    /// `{ stmts; tail }` used as a value.
    pub(super) fn block_value(&mut self, block: &syn::Block) -> Option<Arg> {
        let value = self.seq(&[self.frame_here(&block.stmts, true)], End::Value)?;
        Some(Arg {
            value,
            borrowed: false,
        })
    }

    /// Arguments of a call with each array written in place replaced by a copy of it as it
    /// is now: the reverse sweep calls the callee's `_vjp` with the values of the call.
    fn snapshot_memory(&mut self, args: &[Arg], origin: TokenStream) -> Vec<Arg> {
        args.iter()
            .map(|arg| match arg.value.var() {
                Some(v) if self.vars[v.0].memory => Arg {
                    value: Operand::Var(self.copy_of_array(v, origin.clone())),
                    borrowed: arg.borrowed,
                },
                _ => arg.clone(),
            })
            .collect()
    }

    /// The closure a call `f(..)` calls, when `f` is bound by `let f = |..| ..`.
    pub(super) fn closure_callee(&self, call: &syn::ExprCall) -> Option<crate::ir::VarId> {
        let Expr::Path(p) = &*call.func else {
            return None;
        };
        let var = self.lookup(&p.path.get_ident()?.to_string())?;
        self.closures.contains_key(&var).then_some(var)
    }

    /// `x[a..b]`, `x[a..]`, `x[..b]`, `x[a..=b]`: a reference to the elements (a slice),
    /// whose adjoint flows into `x̄[a..b]`.
    fn sub_slice(
        &mut self,
        index: &syn::ExprIndex,
        base: &Expr,
        range: &syn::ExprRange,
    ) -> Option<Arg> {
        // `x.len()` is evaluated again for `x[a..]`: only of a variable or a field.
        if range.end.is_none() && !is_place(base) {
            self.errors.at(index, "#[differentiate] takes a sub-slice `&x[a..]` of a variable or a field; bind the value to a variable first");
            return None;
        }
        let container = self.place(base)?;
        let start = match &range.start {
            Some(start) => self.expr(start)?,
            None => constant(syn::parse_quote!(0usize)),
        };
        let end = match (&range.end, &range.limits) {
            (Some(end), syn::RangeLimits::Closed(_)) => {
                self.expr(&syn::parse_quote!((#end) + 1))?
            }
            (Some(end), _) => self.expr(end)?,
            (None, _) => self.expr(&syn::parse_quote!(#base.len()))?,
        };
        Some(self.sub_slice_of(container, start, end, index.to_token_stream()))
    }

    /// `&container[start..end]`.
    fn sub_slice_of(&mut self, container: Arg, start: Arg, end: Arg, origin: TokenStream) -> Arg {
        let by_reference = container
            .value
            .var()
            .is_some_and(|v| self.elements_by_reference.contains(&v));
        let (op, kind) = self.sub_slice_op(container, start, end);
        let value = self.value(op, kind, origin);
        if let (true, Some(v)) = (by_reference, value.value.var()) {
            self.elements_by_reference.insert(v);
        }
        value
    }

    /// The operation `&container[start..end]`: a slice, whose adjoint flows into
    /// `container`'s elements `start..end`.
    pub(super) fn sub_slice_op(&self, container: Arg, start: Arg, end: Arg) -> (Op, Kind) {
        let borrowed = self.kind_of(&container) != Kind::Ref;
        let op = Op::Rule {
            rule: rules::sub_slice(),
            form: Form::Call(syn::parse_quote!(::tapeless::__private::sub_slice)),
            args: vec![
                Arg {
                    borrowed,
                    ..container
                },
                start,
                end,
            ],
        };
        (op, Kind::Ref)
    }

    /// `to` holds the elements `from` holds (a copy, `xs.to_vec()`; a loop's versions of a
    /// carried container): read the same way (see `Lowerer::elements_by_reference`).
    pub(super) fn inherit_elements(&mut self, from: crate::ir::VarId, to: crate::ir::VarId) {
        for set in [
            &mut self.elements_by_reference,
            &mut self.user_elements,
            &mut self.copied_elements,
            &mut self.field_containers,
        ] {
            if set.contains(&from) {
                set.insert(to);
            }
        }
    }

    /// `element` was read from `container`: of the user's own type where the container's
    /// elements are (see `Lowerer::users_own`).
    pub(super) fn note_user_element(&mut self, container: &Arg, element: crate::ir::VarId) {
        if container
            .value
            .var()
            .is_some_and(|c| self.user_elements.contains(&c))
        {
            self.users_own.insert(element);
        }
    }

    /// The read of element `index` of `container`: `xs[i]`, a `Copy` value, or `&xs[i]`
    /// when the container's elements are not `Copy` scalars (`xs: &[Vec<f64>]`), which
    /// `xs[i]` would move. Its adjoint is the element's either way (`index_vjp`).
    pub(super) fn element_read(&self, container: Arg, index: Arg) -> Option<(Op, Kind)> {
        self.element_read_as(container, index, false)
    }

    /// [`Self::element_read`], where the element is used as a value (`as_value`): a
    /// field's container then reads it by value, as its elements are `Copy` where the
    /// source copies them (`p.w[i] * x`, `let q = net.pts[i];`).
    fn element_read_as(&self, container: Arg, index: Arg, as_value: bool) -> Option<(Op, Kind)> {
        let by_reference = container.value.var().filter(|v| {
            self.elements_by_reference.contains(v)
                && !self.vars[v.0].memory
                && !(as_value && self.field_containers.contains(v))
        });
        Some(match by_reference {
            Some(v) => {
                // `element(xs, i)` of a slice reference, `element(&xs, i)` of a `Vec`.
                let borrowed = self.vars[v.0].kind != Kind::Ref;
                let op = Op::Rule {
                    rule: rules::element(),
                    form: Form::Call(syn::parse_quote!(::tapeless::__private::element)),
                    args: vec![
                        Arg {
                            borrowed,
                            ..container
                        },
                        index,
                    ],
                };
                (op, Kind::Ref)
            }
            None => {
                let op = Op::Rule {
                    rule: rules::index(1)?,
                    form: Form::Index,
                    args: vec![container, index],
                };
                (op, Kind::Copy)
            }
        })
    }

    /// An expression where Rust takes a place rather than a value: a method's receiver,
    /// an indexed base. A field there is read by reference, not copied.
    fn place(&mut self, expr: &Expr) -> Option<Arg> {
        match strip_parens(expr) {
            Expr::Field(field) => self.field(field),
            Expr::Index(index) => self.index(index, false),
            _ => self.expr(expr),
        }
    }

    /// `p.w1`, `p.layer.w`, `t.0`: a reference to the field, whose adjoint flows into the
    /// same field of the base's adjoint. A field of a parameter is read once, at the top.
    fn field(&mut self, field: &syn::ExprField) -> Option<Arg> {
        let mut members = vec![field.member.clone()];
        let mut base = &*field.base;
        while let Expr::Field(inner) = base {
            members.push(inner.member.clone());
            base = &inner.base;
        }
        members.reverse();
        let base = self.place(base)?;
        let origin = field.to_token_stream();
        // A field of a parameter held by reference is read by reference, once; a parameter
        // held by value may move into a pullback's closure, so its fields are copied.
        let by_reference =
            |v: &crate::ir::VarId| self.param_vars.contains(v) && self.vars[v.0].kind == Kind::Ref;
        let Some(param) = base.value.var().filter(by_reference) else {
            // A field of a local value: a copy of it, which (unlike a reference into a
            // local) can outlive the forward sweep in a pullback's closure.
            let mut value = base;
            for member in members {
                let op = Op::Rule {
                    rule: rules::field(),
                    form: Form::FieldClone(member),
                    args: vec![value],
                };
                value = self.value(op, Kind::Owned, origin.clone());
            }
            return Some(value);
        };
        let path = members
            .iter()
            .map(|m| m.to_token_stream().to_string())
            .collect::<Vec<_>>()
            .join(".");
        let var = match self.field_reads.get(&(param, path.clone())) {
            Some(var) => *var,
            None => {
                let op = Op::Rule {
                    rule: rules::field(),
                    form: Form::Field(members),
                    args: vec![base],
                };
                let var = self.new_var(None, Kind::Ref);
                self.vars[var.0].home = crate::ir::TOP;
                self.prelude.push(crate::ir::Stmt::Let {
                    var,
                    ty: None,
                    op,
                    origin,
                });
                self.field_reads.insert((param, path), var);
                // Its elements' type is not known here: read by reference, as `for l in
                // &net.layers` binds them; an element used as a value is copied from there.
                self.elements_by_reference.insert(var);
                // A data parameter's elements used as values are copies (of `Copy` data,
                // `cfg.modes[i]`); a differentiated one's are read by value.
                if self.data_params.contains(&param) {
                    self.copied_elements.insert(var);
                } else {
                    self.field_containers.insert(var);
                }
                var
            }
        };
        Some(Arg {
            value: Operand::Var(var),
            borrowed: false,
        })
    }

    /// What a value is, for telling two element reads apart: a tuple, arithmetic or a
    /// cast of operands by their own structure (`(j, c)` and `i * d + j` written twice are
    /// the same index), any other value by its variable.
    fn operand_key(&self, operand: &Operand) -> String {
        match operand {
            Operand::Var(v) => self
                .structures
                .get(v)
                .cloned()
                .unwrap_or_else(|| format!("v{}", v.0)),
            Operand::Const(c) => c.to_token_stream().to_string(),
        }
    }

    /// The structure of a tuple, operator or cast of `Copy` values (see `operand_key`).
    fn structure(&self, op: &Op, kind: Kind) -> Option<String> {
        let Op::Rule { form, args, .. } = op else {
            return None;
        };
        let form = match form {
            Form::Tuple => String::new(),
            Form::Binary(op) => op.to_token_stream().to_string(),
            Form::Unary(op) => op.to_token_stream().to_string(),
            Form::Cast(ty) => format!("as {}", ty.to_token_stream()),
            _ => return None,
        };
        let copies = args.iter().all(|a| {
            a.value
                .var()
                .is_none_or(|v| self.vars[v.0].kind == Kind::Copy)
        });
        let args: Vec<String> = args.iter().map(|a| self.operand_key(&a.value)).collect();
        // A tuple is `Owned` (it may hold matrices); one of `Copy` values is too.
        (copies && (kind == Kind::Copy || form.is_empty()))
            .then(|| format!("{form}({})", args.join(",")))
    }

    /// The index values (`(j, c)`, `i * d + j`) computed again for a read that is
    /// reused: removed when they are only temporaries of tuples, operators and casts,
    /// which nothing else can have used yet.
    fn drop_index_temporaries(&mut self, from: usize) {
        let stmts = &self.blocks[self.current.0].stmts;
        let temporaries = stmts[from.min(stmts.len())..].iter().all(|stmt| {
            // `structures` holds exactly the tuples, operators and casts of `Copy` values.
            matches!(stmt, Stmt::Let { var, .. }
                if self.vars[var.0].source.is_none() && self.structures.contains_key(var))
        });
        if temporaries {
            self.blocks[self.current.0].stmts.truncate(from);
        }
    }

    /// A container no statement can change: a parameter held by shared reference, or a
    /// field read from one (a `let mut` local may change through a method, `v.sort()`).
    fn unchanging(&self, v: crate::ir::VarId) -> bool {
        let by_reference =
            |v: &crate::ir::VarId| self.param_vars.contains(v) && self.vars[v.0].kind == Kind::Ref;
        by_reference(&v)
            || self
                .field_reads
                .iter()
                .any(|((param, _), read)| *read == v && by_reference(param))
    }

    /// `a[i]`, `a[i][j]`: a read, differentiable with respect to the array.
    fn index(&mut self, index: &syn::ExprIndex, as_value: bool) -> Option<Arg> {
        let mut indices_rev = vec![&*index.index];
        let mut base = &*index.expr;
        while let Expr::Index(inner) = base {
            indices_rev.push(&*inner.index);
            base = &inner.expr;
        }
        if let [Expr::Range(range)] = indices_rev.as_slice() {
            return self.sub_slice(index, base, range);
        }
        // `x[1..][i]`: an element of the sub-slice.
        if indices_rev[1..].iter().any(|i| matches!(i, Expr::Range(_))) {
            let container = self.place(&index.expr)?;
            let i = self.expr(&index.index)?;
            let (op, kind) = self.element_read(container, i)?;
            return Some(self.value(op, kind, index.to_token_stream()));
        }
        let Some(rule) = rules::index(indices_rev.len()) else {
            self.errors.at(
                index,
                "#[differentiate] supports up to three indices (`a[i][j][k]`)",
            );
            return None;
        };
        let base = self.place(base)?;
        let mut args = vec![Arg {
            borrowed: false,
            ..base
        }];
        let indices_from = self.blocks[self.current.0].stmts.len();
        for i in indices_rev.iter().rev() {
            args.push(self.expr(i)?);
        }
        // The same element read twice in one statement (`a[j] * a[j]`), or in two
        // statements of a block when the container cannot change, is one read: one value,
        // one contribution to the adjoint, and one saved value when the reverse sweep must
        // restore it.
        // (A field's container reads an element used as a value by value, as a place by
        // reference: two reads.)
        let by_value = as_value
            && args[0]
                .value
                .var()
                .is_some_and(|v| self.field_containers.contains(&v));
        let key = (
            self.current,
            args.iter()
                .map(|a| self.operand_key(&a.value))
                .chain(by_value.then(|| "value".to_string()))
                .collect::<Vec<_>>()
                .join(","),
        );
        if let Some(var) = self
            .statement_reads
            .get(&key)
            .or_else(|| self.block_reads.get(&key))
        {
            let var = *var;
            self.drop_index_temporaries(indices_from);
            return Some(Arg {
                value: Operand::Var(var),
                borrowed: false,
            });
        }
        let unchanging = args[0].value.var().is_some_and(|v| self.unchanging(v));
        // A row of a vector of vectors written in place (`m[i]` of a collected
        // `Vec<Vec<f64>>`): read by reference from a copy of it as it is now, a value of its
        // own, since a reference into the array cannot outlive later writes to it.
        if let (2, Some(v)) = (args.len(), args[0].value.var()) {
            if self.vars[v.0].memory && self.elements_by_reference.contains(&v) {
                let copy = self.copy_of_array(v, index.to_token_stream());
                args[0].value = Operand::Var(copy);
            }
        }
        let container = args[0].clone();
        let (op, kind) = match args.as_slice() {
            [container, i] => self.element_read_as(container.clone(), i.clone(), as_value)?,
            _ => (
                Op::Rule {
                    rule,
                    form: Form::Index,
                    args,
                },
                Kind::Copy,
            ),
        };
        let value = self.value(op, kind, index.to_token_stream());
        if let Some(var) = value.value.var() {
            self.note_user_element(&container, var);
            if let Some(c) = container.value.var() {
                self.element_containers.insert(var, c);
            }
            if unchanging {
                self.block_reads.insert(key.clone(), var);
            }
            self.statement_reads.insert(key, var);
        }
        Some(value)
    }

    /// `m.map(|v| body)`: the loop it means (`map_loop`), so the closure's body is lowered
    /// into the function's IR like any other statement and its captures' adjoints flow.
    fn map_call(&mut self, call: &syn::ExprMethodCall, closure: &syn::ExprClosure) -> Option<Arg> {
        if call.method == "map_with_location" {
            return self.map_with_location(call, closure);
        }
        // A map of an iterator that no rewrite took: what follows it in the chain is what is
        // not supported (its closure's pattern is not the matter, and `iter()` is no matrix).
        if iterator_chain(&call.receiver) {
            self.errors.at(&call.method, "this `.map(..)` of an iterator is not supported by #[differentiate] where its chain goes on: a mapped iterator is supported reduced (`.sum()`, `.product()`, `.fold(..)`, `.reduce(..)`, `.min_by(..)`/`.max_by(..)` of `partial_cmp`), collected into a `Vec` (`.collect()`, when the chain's syntax tells its length, so not after `.filter(..)`), or as the iterator of a `for` loop; write what the chain does after the `.map(..)` as a `for` loop over it (`for v in xs.iter().map(|&x| x * x) { .. }`)");
            return None;
        }
        match closure.inputs.iter().collect::<Vec<_>>().as_slice() {
            [Pat::Ident(p)] if p.by_ref.is_none() && p.subpat.is_none() => {}
            [Pat::Type(t)] if matches!(&*t.pat, Pat::Ident(_) | Pat::Wild(_)) => {}
            [Pat::Wild(_)] => {}
            _ => return self.closure_error(closure),
        }
        // `m.map(|v| v.tanh())`: the elementwise rule of `nn::tanh`, one pass each way whose
        // adjoint reads the output (x̄ += ȳ·(1 − y²)), instead of the loop below (which
        // copies its input and output and walks the elements one at a time in reverse).
        // Same values: `nn::tanh` maps each element through the same `tanh`.
        if let [Pat::Ident(p)] = closure.inputs.iter().collect::<Vec<_>>().as_slice() {
            if elementwise_tanh(&closure.body, &p.ident, self.floats) {
                let receiver = &call.receiver;
                let span = call.method.span();
                let rule: Expr =
                    syn::parse_quote_spanned!(span=> ::tapeless::nn::tanh(&(#receiver)));
                return self.expr(&rule);
            }
        }
        // Lowered in place, a `return` would leave the function, not the closure.
        let body = syn::Stmt::Expr((*closure.body).clone(), None);
        if syntax::exits_of_stmt(&body).ret {
            self.errors.at(closure, "a `return` in the closure of `.map(..)` is not supported by #[differentiate]; make the value the closure's last expression (`|v| if v > 0.0 { v } else { 0.0 }`)");
            return None;
        }
        self.map_loop(call, closure, None)
    }

    /// An iterator chain that no rewrite took, reported once at what stops it, before its
    /// receiver is lowered (which would report `xs.iter()` as a method without a rule).
    fn unsupported_chain(&mut self, call: &syn::ExprMethodCall) -> bool {
        let (_, methods) = method_chain(&call.receiver);
        if call.method == "collect" {
            if let Some(filter) = methods.iter().find(|m| m.method == "filter") {
                self.errors.at(&filter.method, "`.collect()` of a chain with `.filter(..)` is not supported by #[differentiate]: the length after the filter is unknown; reduce the chain directly (`.sum()`, `.count()`, `.fold(..)`), or write into a vector of the full length at a counter (`let mut v = vec![0.0; xs.len()]; let mut m = 0; for &x in xs { if x > 0.0 { v[m] = x.ln(); m += 1; } }`)");
                return true;
            }
        }
        let comparator = call.method == "max_by" || call.method == "min_by";
        if comparator && call.args.len() == 1 {
            self.errors.at(&call.args[0], format!("#[differentiate] supports `.{0}(..)` as `.{0}(|a, b| a.partial_cmp(b).unwrap()).unwrap()` (or `a.total_cmp(b)`), which selects an element by its value; for another order (`|a, b| a.abs().partial_cmp(&b.abs())`) or another unwrap (`.unwrap_or(..)`), write the loop that keeps the selected element (`let mut m = xs[0]; for &x in &xs[1..] {{ if x.abs() > m.abs() {{ m = x; }} }}`)", call.method));
            return true;
        }
        false
    }

    /// Whether `a && b` (or `||`) cannot be kept as written: it holds what only lowering
    /// gives a meaning (closures and their calls, blocks, `if`, `match`, macros).
    fn logical_needs_lowering(&self, expr: &Expr) -> bool {
        let mentions = Mentions::of(expr);
        mentions.unsupported.is_some()
            || mentions.names.iter().any(|name| {
                self.lookup(&name.to_string())
                    .is_some_and(|v| self.closures.contains_key(&v))
            })
    }

    /// `m.map(|v| body)` of a closure that captures variables of the function (which may
    /// carry derivatives): the loop it means, writing each element of a copy of `m`,
    /// `{ let mut y = m.clone(); for i in 0..y.len() { y[i] = { let v = m[i]; body }; } y }`.
    /// The body is lowered in place, so its captures are the enclosing function's values.
    /// With a `location`, the names of the element's row and column (`map_with_location`).
    fn map_loop(
        &mut self,
        call: &syn::ExprMethodCall,
        closure: &syn::ExprClosure,
        location: Option<(TokenStream, TokenStream)>,
    ) -> Option<Arg> {
        let n = self.reductions;
        self.reductions += 1;
        let name = |stem: &str| Ident::new(&format!("__tapeless_{stem}{n}"), Span::call_site());
        let (source, mapped, index) = (name("source"), name("mapped"), name("index"));
        // `|_| y`: the element gets a name, which the body does not read.
        let unused = name("unused");
        let param = match &closure.inputs[0] {
            Pat::Wild(_) => quote::quote!(#unused),
            Pat::Type(t) if matches!(&*t.pat, Pat::Wild(_)) => {
                let ty = &t.ty;
                quote::quote!(#unused: #ty)
            }
            other => other.to_token_stream(),
        };
        let body = &closure.body;
        let receiver = &call.receiver;
        // A variable or a field of one is read in place; any other receiver is a
        // temporary, evaluated once, first.
        let (bind_source, source) = if is_place(receiver) {
            (TokenStream::new(), receiver.to_token_stream())
        } else {
            (
                quote::quote!(let #source = #receiver;),
                quote::quote!(#source),
            )
        };
        // A view's `.clone()` is the view again, which cannot be written.
        let copy = if self.is_view(receiver) {
            quote::quote!(into_owned)
        } else {
            quote::quote!(clone)
        };
        // Entry `k` of a column-major matrix is at row `k % nrows`, column `k / nrows`.
        let locate = location.map(|(i, j)| {
            quote::quote!(
                let #i = #index % #mapped.nrows();
                let #j = #index / #mapped.nrows();
            )
        });
        let block: syn::Block = syn::parse_quote!({
            #bind_source
            let mut #mapped = #source.#copy();
            for #index in 0..#mapped.len() {
                #mapped[#index] = {
                    #locate
                    let #param = #source[#index];
                    #body
                };
            }
            #mapped
        });
        self.block_value(&block)
    }

    /// `m.map_with_location(|i, j, v| body)`: the loop `map` means, with the row and
    /// column of each element (column-major: entry `k` is at `(k % nrows, k / nrows)`).
    fn map_with_location(
        &mut self,
        call: &syn::ExprMethodCall,
        closure: &syn::ExprClosure,
    ) -> Option<Arg> {
        let plain = |p: &Pat| match p {
            Pat::Ident(p) => p.by_ref.is_none() && p.subpat.is_none(),
            Pat::Wild(_) => true,
            Pat::Type(t) => matches!(&*t.pat, Pat::Ident(_) | Pat::Wild(_)),
            _ => false,
        };
        let [i, j, v] = closure.inputs.iter().collect::<Vec<_>>()[..] else {
            self.errors.at(
                closure,
                "the closure of `.map_with_location(..)` takes three arguments (`|i, j, v| ..`)",
            );
            return None;
        };
        if ![i, j, v].into_iter().all(plain) {
            self.errors.at(closure, "the closure of `.map_with_location(..)` takes three arguments named by plain patterns (`|i, j, v| ..`, `|_, j, v| ..`)");
            return None;
        }
        let n = self.reductions;
        let name = |stem: &str| Ident::new(&format!("__tapeless_{stem}{n}"), Span::call_site());
        // `|_, j, v|`: a name the body does not read.
        let named = |p: &Pat, stem: &str| match p {
            Pat::Wild(_) => name(stem).to_token_stream(),
            Pat::Type(t) if matches!(&*t.pat, Pat::Wild(_)) => {
                let (unused, ty) = (name(stem), &t.ty);
                quote::quote!(#unused: #ty)
            }
            p => p.to_token_stream(),
        };
        let location = (named(i, "row"), named(j, "column"));
        let body = &closure.body;
        let element: syn::ExprClosure = syn::parse_quote!(|#v| #body);
        if syntax::exits_of_stmt(&syn::Stmt::Expr((*closure.body).clone(), None)).ret {
            self.errors.at(closure, "a `return` in the closure of `.map_with_location(..)` is not supported by #[differentiate]; make the value the closure's last expression");
            return None;
        }
        self.map_loop(call, &element, Some(location))
    }

    /// Whether `expr` is a nalgebra view: a view method's call (`a.rows(i, 2)`) or a
    /// variable bound to one.
    fn is_view(&self, expr: &Expr) -> bool {
        match strip_parens(expr) {
            Expr::MethodCall(c) => rules::method(&c.method.to_string(), c.args.len() + 1)
                .is_some_and(|rule| rule.view),
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|name| self.lookup(&name.to_string()))
                .is_some_and(|var| {
                    self.blocks.iter().flat_map(|b| &b.stmts).any(|s| {
                        matches!(s, Stmt::Let { var: v, op: Op::Rule { rule, .. }, .. } if *v == var && rule.view)
                    })
                }),
            _ => false,
        }
    }

    fn closure_error(&mut self, closure: &syn::ExprClosure) -> Option<Arg> {
        self.errors.at(
            closure,
            "the closure of `.map(..)` takes one argument named by a plain pattern (`|v| ..`, `|v: f64| ..`, `|_| ..`)",
        );
        None
    }

    /// `vec![value; n]`: an operation on the two operands (only `value` can carry a
    /// derivative, and one that does is rejected); `vec![a, b, ..]`: kept as written, like
    /// an array literal.
    fn vec_macro(&mut self, m: &syn::ExprMacro) -> Option<Arg> {
        if let Some((value, count)) = split_repeat(&m.mac.tokens) {
            let value = self.expr(&value)?;
            let count = self.expr(&count)?;
            let op = Op::Foreign {
                form: Form::VecRepeat,
                args: vec![value, count],
                pure: false,
            };
            return Some(self.value(op, Kind::Owned, m.to_token_stream()));
        }
        let list = m
            .mac
            .parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)
            .ok()?;
        let elements: Expr = syn::parse_quote!([#list]);
        let uses = self.kept_uses(&elements, "`vec!`")?;
        // Emitted as `vec![..]` again: the brackets become the macro's.
        let op = Op::Verbatim {
            expr: Expr::Macro(syn::ExprMacro {
                attrs: Vec::new(),
                mac: syn::Macro {
                    path: syn::parse_quote!(::tapeless::__private::vec),
                    bang_token: Default::default(),
                    delimiter: syn::MacroDelimiter::Bracket(Default::default()),
                    tokens: list.to_token_stream(),
                },
            }),
            uses,
            inert: false,
            what: "`vec![..]` of values that are differentiated",
            advice: "bind it with `let` first (`let v = vec![x, 2.0 * y];`), which is the vector written by index (also `let mut v`, written by index later, but not reassigned whole or changed by a method such as `push`)",
        };
        Some(self.value(op, Kind::Owned, m.to_token_stream()))
    }

    /// `match value { pattern => true, _ => false }`, the condition of a lowered `match`.
    fn boolean_match(&mut self, m: &syn::ExprMatch) -> Option<Arg> {
        let scrutinee = self.expr(&m.expr)?;
        let placeholder = Ident::new("__tapeless_value", Span::call_site());
        let mut uses = Vec::new();
        if let Operand::Var(v) = scrutinee.value {
            uses.push((placeholder.clone(), v));
        }
        for arm in &m.arms {
            if let Some((_, guard)) = &arm.guard {
                uses.extend(self.kept_uses(guard, "`match` guards")?);
            }
        }
        let mut rewritten = m.clone();
        rewritten.expr = Box::new(match &scrutinee.value {
            Operand::Var(_) => syn::parse_quote!(#placeholder),
            Operand::Const(c) => c.clone(),
        });
        let op = Op::Verbatim {
            expr: Expr::Match(rewritten),
            uses,
            inert: true,
            what: "a `match` condition",
            advice: "",
        };
        Some(self.value(op, Kind::Copy, m.to_token_stream()))
    }

    /// `match &value { Variant(.., v, ..) => ::core::clone::Clone::clone(v), _ =>
    /// ::core::unreachable!() }`, which the desugaring writes to read an enum's payload in
    /// the arm that matched it: kept as written, over data only (a payload of a
    /// differentiated value would carry a derivative).
    fn payload_match(&mut self, m: &syn::ExprMatch) -> Option<Arg> {
        let Expr::Reference(r) = &*m.expr else {
            return None;
        };
        let scrutinee = self.expr(&r.expr)?;
        let placeholder = Ident::new("__tapeless_value", Span::call_site());
        let mut uses = Vec::new();
        let mut rewritten = m.clone();
        // Of an enum the source holds by reference (`for o in data` over `&[Obs]`), the
        // payload is a reference, as Rust binds it: the arm's `Clone::clone(v)` is `v`.
        let referenced = self.is_referenced(&scrutinee);
        if referenced {
            if let Expr::Call(clone) = &*rewritten.arms[0].body {
                *rewritten.arms[0].body = clone.args[0].clone();
            }
        }
        rewritten.expr = Box::new(match &scrutinee.value {
            Operand::Var(v) => {
                uses.push((placeholder.clone(), *v));
                syn::parse_quote!(&#placeholder)
            }
            Operand::Const(c) => syn::parse_quote!(&#c),
        });
        let op = Op::Verbatim {
            expr: Expr::Match(rewritten),
            uses,
            inert: false,
            what: "a payload bound by a `match` or `if let` arm of a differentiated value",
            advice: "match on data (an enum parameter that is not differentiated, a value computed from data)",
        };
        if referenced {
            let value = self.value(op, Kind::Ref, m.to_token_stream());
            return Some(self.referenced(value));
        }
        Some(self.value(op, Kind::Copy, m.to_token_stream()))
    }

    /// An expression kept as written, with its variables renamed (see [`Op::Verbatim`]).
    pub(super) fn verbatim(
        &mut self,
        expr: &Expr,
        inert: bool,
        what: &'static str,
        advice: &'static str,
    ) -> Option<Arg> {
        let uses = self.kept_uses(expr, what)?;
        let kind = if inert { Kind::Copy } else { Kind::Owned };
        let op = Op::Verbatim {
            expr: expr.clone(),
            uses,
            inert,
            what,
            advice,
        };
        Some(self.value(op, kind, expr.to_token_stream()))
    }

    /// `a..b` (`a..=b`, `..b`, `a..`): the ends are lowered (so `0..a.len()` reads `a`'s
    /// length, data), and the range is kept as written over them. A range of floats carries
    /// its ends: on active values it is an error.
    fn range(&mut self, range: &syn::ExprRange) -> Option<Arg> {
        let mut uses = Vec::new();
        let mut ends = Vec::new();
        for (end, name) in [
            (&range.start, "__tapeless_start"),
            (&range.end, "__tapeless_end"),
        ] {
            let Some(end) = end else {
                ends.push(None);
                continue;
            };
            let lowered = match self.expr(end)?.value {
                Operand::Const(c) => c,
                Operand::Var(v) => {
                    let placeholder = Ident::new(name, Span::call_site());
                    uses.push((placeholder.clone(), v));
                    syn::parse_quote!(#placeholder)
                }
            };
            ends.push(Some(Box::new(lowered)));
        }
        let [start, end] = [ends[0].take(), ends[1].take()];
        let op = Op::Verbatim {
            expr: Expr::Range(syn::ExprRange {
                start,
                end,
                ..range.clone()
            }),
            uses,
            inert: false,
            what: "a range",
            advice: "use the ends as separate float variables",
        };
        Some(self.value(op, Kind::Owned, range.to_token_stream()))
    }

    /// The variables an expression kept as written reads (renamed in it when emitted), or
    /// an error when it holds what only lowering gives a meaning: closures, blocks,
    /// macros, calls of closures bound by `let` (which are not variables of the output).
    fn kept_uses(&mut self, expr: &Expr, what: &str) -> Option<Vec<(Ident, crate::ir::VarId)>> {
        let finder = Mentions::of(expr);
        if let Some(span) = finder.unsupported {
            self.errors.at_span(
                span,
                format!("{what} containing closures, blocks or macros is not supported by #[differentiate]"),
            );
            return None;
        }
        let mut uses = Vec::new();
        for ident in finder.names {
            let Some(var) = self.lookup(&ident.to_string()) else {
                continue;
            };
            if self.closures.contains_key(&var) {
                self.errors.at(&ident, format!("{what} calling a closure is not supported by #[differentiate]; bind the call's result first (`let y = {ident}(..);`) and use `y` here"));
                return None;
            }
            uses.push((ident, var));
        }
        Some(uses)
    }

    /// Whether `expr` uses a variable whose definition was already rejected.
    fn mentions_failed(&self, expr: &Expr) -> bool {
        if self.failed.is_empty() {
            return false;
        }
        let mut names = Mentions::of(expr).names;
        if let Expr::Call(call) = expr {
            if let Expr::Path(p) = &*call.func {
                names.extend(p.path.get_ident().cloned());
            }
        }
        names.iter().any(|n| {
            let n = n.to_string();
            self.failed.contains(&n) && self.lookup(&n).is_none()
        })
    }

    /// A closed expression of literals and constants, cheap to evaluate again: kept inline.
    fn is_constant(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Lit(_) => true,
            Expr::Path(p) => match p.path.get_ident() {
                Some(ident) => {
                    p.qself.is_none()
                        && self.lookup(&ident.to_string()).is_none()
                        && ident != "self"
                }
                None => p.qself.is_none(),
            },
            Expr::Paren(p) => self.is_constant(&p.expr),
            Expr::Group(g) => self.is_constant(&g.expr),
            Expr::Unary(u) => matches!(u.op, syn::UnOp::Neg(_)) && self.is_constant(&u.expr),
            Expr::Binary(b) => {
                matches!(
                    b.op,
                    syn::BinOp::Add(_)
                        | syn::BinOp::Sub(_)
                        | syn::BinOp::Mul(_)
                        | syn::BinOp::Div(_)
                ) && self.is_constant(&b.left)
                    && self.is_constant(&b.right)
            }
            Expr::Cast(c) => self.is_constant(&c.expr),
            // `<T as ::tapeless::Real>::constant(2.0)`: a literal of a float type parameter
            // (how the generic copy of a `hessian` function writes its literals).
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Path(p) if float_constructor(p, self.floats)
                    && p.qself.is_some()
                    && p.path.segments.last().is_some_and(|s| s.ident == "constant"))
                    && c.args.iter().all(|a| self.is_constant(a))
            }
            _ => false,
        }
    }

    // ---- iteration -----------------------------------------------------------------

    /// What `for pat in expr` iterates: a range (`0..n`, `(a..=b).rev()`, `.step_by(k)`)
    /// or the elements of slices and arrays (`xs.iter()`, `.enumerate()`, `.zip(..)`).
    pub(super) fn iteration(&mut self, expr: &Expr, pat: &Pat) -> Option<Iteration> {
        let (mut base, mut methods) = method_chain(expr);
        if let Expr::Range(range) = strip_parens(base) {
            return self.range_iteration(range, &methods, pat);
        }
        // `m.diagonal().iter()`: the methods before the iterator's start make the container,
        // a value like any other.
        let start = methods.iter().position(|m| starts_iteration(m));
        if let Some(k @ 1..) = start {
            base = strip_parens(&methods[k].receiver);
            methods.drain(..k);
        }
        self.element_iteration(base, &methods, pat)
    }

    fn range_iteration(
        &mut self,
        range: &syn::ExprRange,
        methods: &[&syn::ExprMethodCall],
        pat: &Pat,
    ) -> Option<Iteration> {
        let (Some(start), Some(end)) = (&range.start, &range.end) else {
            self.errors.at(
                range,
                "#[differentiate] iterates over bounded ranges (`a..b`, `a..=b`)",
            );
            return None;
        };
        let index = match pattern_ident(pat) {
            Ok(ident) => ident,
            Err(()) => {
                self.errors
                    .at(pat, "a range loop binds one name (`for i in 0..n`) or `_`");
                return None;
            }
        };
        let start = self.expr(start)?.value;
        let end = self.expr(end)?;
        let inclusive = matches!(range.limits, syn::RangeLimits::Closed(_));
        let mut adaptors = Vec::new();
        for call in methods {
            match (call.method.to_string().as_str(), call.args.len()) {
                ("rev", 0) => adaptors.push(Adaptor::Rev),
                ("step_by", 1) => {
                    let step = self.expr(&call.args[0])?.value;
                    adaptors.push(Adaptor::StepBy(step));
                }
                ("into_iter", 0) => {}
                _ => {
                    self.errors.at(&call.method, format!("`.{}(..)` on a range loop is not supported by #[differentiate]; the supported forms are `.rev()`, `.step_by(k)`, and `.skip(k)` or `.take(k)` on `a..b` or `(a..b).rev()` (`.take(k)` when `a` is a name, a literal or arithmetic on them); write the bounds (`a..(a + k).min(b)`, or `.min(b + 1)` for `a..=b`)", call.method));
                    return None;
                }
            }
        }
        Some(Iteration {
            start,
            end: end.value,
            inclusive,
            adaptors,
            index,
            elements: Vec::new(),
        })
    }

    fn element_iteration(
        &mut self,
        base: &Expr,
        methods: &[&syn::ExprMethodCall],
        pat: &Pat,
    ) -> Option<Iteration> {
        let unsupported = |s: &mut Self, at: &dyn ToTokens| {
            s.errors.at(at, "this iteration is not supported by #[differentiate]; the supported forms are ranges (`0..n`, `.rev()`, `.step_by(k)`) and slices or arrays: `xs`, `xs.iter()`, `.copied()`, `.enumerate()`, `.zip(ys.iter())` (also of zips: `((a, b), c)`, `(a, (b, c))`), `.rev()` of a slice before it is zipped or enumerated (with `.skip(k)`, `.take(k)` before or after) or right after `.enumerate()` of one slice, `.skip(k)`, `.take(k)`, `xs.windows(k)`, `xs.chunks(k)`, `.step_by(k)`, `.chain(ys)`, `.filter(p)`, then `.map(f)`, `.copied()`, `.enumerate()`, or `.step_by(k)`, `.skip(k)`, `.take(k)` counted across them; write other adaptors after `.chain(..)` (`.rev()`) as the loops over each part");
            None
        };
        let bad_pattern = |s: &mut Self, at: &dyn ToTokens| {
            s.errors.at(at, "this pattern of a `for` loop is not supported by #[differentiate]: `.enumerate()` binds `(i, x)`, `.zip(..)` binds `(a, b)` (`((a, b), c)` of zips), and each element a name, `_`, `&name`, or a pattern that destructures it (`&(i, j)`, `&[i, j]`), not `name @ pattern` or `ref name`; bind the element to a name and destructure it in a `let` at the start of the body (`for e in it { let (i, j) = e; .. }`)");
            None
        };
        // A view's elements (`m.column(j).iter()`): the view is the container.
        let (base, methods): (Expr, &[&syn::ExprMethodCall]) = match methods.split_first() {
            Some((first, rest))
                if rules::method(&first.method.to_string(), first.args.len() + 1)
                    .is_some_and(|rule| rule.view) =>
            {
                (Expr::MethodCall((*first).clone()), rest)
            }
            _ => (base.clone(), methods),
        };
        // `for e in &xs`, `xs.iter()`: the elements are references whatever `xs` holds.
        let borrowed = matches!(strip_parens(&base), Expr::Reference(_))
            || methods.first().is_some_and(|m| m.method == "iter");
        let mut containers = vec![(self.iterated(strip_reference(&base))?, Access::Element)];
        // How the elements pair up: each `.zip(..)` pairs those so far with its argument's.
        let mut pairs = Zip::Leaf(0);
        let mut enumerate = false;
        let mut adaptors = Vec::new();
        // `.skip(k)`, `.take(k)` after `.enumerate()`: the indices keep counting from 0.
        let mut counted = Vec::new();
        for (position, call) in methods.iter().enumerate() {
            match (call.method.to_string().as_str(), call.args.len()) {
                ("iter" | "into_iter" | "copied" | "cloned", 0) if !enumerate => {}
                // Windows and chunks of the container itself (`xs.windows(2)`).
                (name @ ("windows" | "chunks" | "chunks_exact"), 1) if position == 0 => {
                    let k = self.expr(&call.args[0])?;
                    containers[0].1 = match name {
                        "windows" => Access::Window(k),
                        _ => Access::Chunk {
                            k,
                            exact: name == "chunks_exact",
                        },
                    };
                }
                // `xs.iter().rev()` before any pairing or counting: read from the end.
                ("rev", 0)
                    if !enumerate && matches!(containers.as_slice(), [(_, Access::Element)]) =>
                {
                    containers[0].1 = Access::Reversed;
                }
                ("zip", 1) if !enumerate => {
                    let Some((others, zipped)) = self.zip_operand(&call.args[0]) else {
                        return unsupported(self, &call.args[0]);
                    };
                    let zipped = zipped.shifted(containers.len());
                    containers.extend(others);
                    pairs = Zip::Pair(Box::new(pairs), Box::new(zipped));
                }
                // Skipping or taking pairs skips or takes in each container.
                (name @ ("skip" | "take"), 1) if !enumerate => {
                    if containers
                        .iter()
                        .any(|(_, a)| !matches!(a, Access::Element | Access::Reversed))
                    {
                        return unsupported(self, &call.method);
                    }
                    let mut taken = Vec::new();
                    for (container, access) in containers {
                        let kept = self.skip_take(container, &access, name, &call.args[0])?;
                        taken.push((kept, access));
                    }
                    containers = taken;
                }
                ("enumerate", 0) if !enumerate => enumerate = true,
                // `xs.iter().enumerate().rev()`: the indices backwards, each with its element.
                ("rev", 0)
                    if enumerate
                        && counted.is_empty()
                        && adaptors.is_empty()
                        && matches!(containers.as_slice(), [(_, Access::Element)]) =>
                {
                    adaptors.push(Adaptor::Rev);
                }
                // (Not after `.rev()`: that would skip from the other end.)
                (name @ ("skip" | "take"), 1) if adaptors.is_empty() => {
                    counted.push((name == "skip", self.expr(&call.args[0])?));
                }
                _ => return unsupported(self, &call.method),
            }
        }
        // The number of iterations: the shortest container.
        let mut len = None;
        for (container, access) in &containers {
            let mut this = self.len_of(container.clone());
            let one = || constant(syn::parse_quote!(1));
            match access {
                Access::Element | Access::Reversed => {}
                // `len + 1 - k` windows (none when `k > len`).
                Access::Window(k) => {
                    let longer = self.data_op(quote::quote!(+), this, one());
                    this = self.data_call(
                        syn::parse_quote!(::core::primitive::usize::saturating_sub),
                        longer,
                        k.clone(),
                    );
                }
                // `(len + k - 1) / k` chunks, the last one shorter.
                Access::Chunk { k, exact: false } => {
                    let longer = self.data_op(quote::quote!(+), this, k.clone());
                    let longer = self.data_op(quote::quote!(-), longer, one());
                    this = self.data_op(quote::quote!(/), longer, k.clone());
                }
                // `len / k` exact chunks.
                Access::Chunk { k, exact: true } => {
                    this = self.data_op(quote::quote!(/), this, k.clone());
                }
            }
            len = Some(match len {
                None => this,
                // `core::cmp::min` of the lengths, not the method `min`: in a generic
                // function a method of that name is a float method.
                Some(shorter) => self.data_call(syn::parse_quote!(::core::cmp::min), shorter, this),
            });
        }
        // Patterns: `x`, `&x`, `(i, x)`, `(a, b)`, `(i, (a, b))`.
        let (index_pat, element_pat) = match (enumerate, pat) {
            (true, Pat::Tuple(t)) if t.elems.len() == 2 => (Some(&t.elems[0]), &t.elems[1]),
            (true, _) => return bad_pattern(self, pat),
            (false, p) => (None, p),
        };
        let index = match index_pat.map(pattern_ident) {
            None => None,
            Some(Ok(ident)) => ident,
            Some(Err(())) => return bad_pattern(self, pat),
        };
        // `((a, b), c)` of `a.iter().zip(b).zip(c)`, `(a, (b, c))` of `a.iter().zip(b.iter().zip(c))`.
        let mut element_pats: Vec<(usize, &Pat)> = Vec::new();
        if !pairs.bind(element_pat, &mut element_pats) {
            return bad_pattern(self, pat);
        }
        element_pats.sort_by_key(|(k, _)| *k);
        let element_pats: Vec<&Pat> = element_pats.into_iter().map(|(_, p)| p).collect();
        // The indices `start..end` of the enumerated elements that `.skip(k)` and `.take(k)`
        // leave: `skip` moves the start, `take` bounds the end (an empty range when the
        // start passes the end).
        let mut start = constant(syn::parse_quote!(0));
        let mut end = len?;
        for (skip, k) in counted {
            match skip {
                true => start = self.data_op(quote::quote!(+), start, k),
                false => {
                    let bound = self.data_op(quote::quote!(+), start.clone(), k);
                    end = self.data_call(syn::parse_quote!(::core::cmp::min), end, bound);
                }
            }
        }
        let mut elements = Vec::new();
        for (k, (p, (container, access))) in element_pats.into_iter().zip(containers).enumerate() {
            match pattern_ident(p) {
                Ok(Some(ident)) => elements.push((ident, container, access, borrowed && k == 0)),
                Ok(None) => {}
                Err(()) => return bad_pattern(self, p),
            }
        }
        Some(Iteration {
            start: start.value,
            end: end.value,
            inclusive: false,
            adaptors,
            index,
            elements,
        })
    }

    /// `container.len()`: data.
    pub(super) fn len_of(&mut self, container: Arg) -> Arg {
        let origin = quote::quote!(len);
        let op = Op::Foreign {
            form: Form::Method {
                name: Ident::new("len", Span::call_site()),
                turbofish: None,
            },
            args: vec![Arg {
                borrowed: false,
                ..container
            }],
            pure: true,
        };
        self.value(op, Kind::Copy, origin)
    }

    /// `a op b` of data (indices, lengths).
    pub(super) fn data_op(&mut self, op: TokenStream, a: Arg, b: Arg) -> Arg {
        let op: syn::BinOp = syn::parse_quote!(#op);
        let origin = op.to_token_stream();
        let op = Op::Foreign {
            form: Form::Binary(op),
            args: vec![a, b],
            pure: true,
        };
        self.value(op, Kind::Copy, origin)
    }

    /// `f(a, b)` of data (`min`, `saturating_sub`).
    pub(super) fn data_call(&mut self, f: syn::ExprPath, a: Arg, b: Arg) -> Arg {
        let origin = f.to_token_stream();
        let op = Op::Foreign {
            form: Form::Call(f),
            args: vec![a, b],
            pure: true,
        };
        self.value(op, Kind::Copy, origin)
    }

    /// The elements `xs.iter().skip(k)` or `.take(k)` visits, as a sub-slice of `xs`:
    /// `&xs[min(k, len)..]` or `&xs[..min(k, len)]`.
    ///
    /// Of a container iterated backwards (`xs.iter().rev()`), the elements left are
    /// `xs[..len - min(k, len)]` (skip) or `xs[len - min(k, len)..]` (take), still iterated
    /// backwards.
    fn skip_take(
        &mut self,
        container: Arg,
        access: &Access,
        method: &str,
        k: &Expr,
    ) -> Option<Arg> {
        let k = self.expr(k)?;
        let len = self.len_of(container.clone());
        let bound = self.data_call(syn::parse_quote!(::core::cmp::min), k, len.clone());
        let zero = || constant(syn::parse_quote!(0usize));
        let (start, end) = match (access, method) {
            (Access::Reversed, "skip") => (zero(), self.data_op(quote::quote!(-), len, bound)),
            (Access::Reversed, _) => (self.data_op(quote::quote!(-), len.clone(), bound), len),
            (_, "skip") => (bound, len),
            _ => (zero(), bound),
        };
        Some(self.sub_slice_of(container, start, end, quote::quote!(#method)))
    }

    /// The argument of `.zip(..)`: a container with `.iter()`, `.copied()`, `.rev()`,
    /// `.skip(k)`, `.take(k)`, and zips of its own; its containers and how they pair up.
    fn zip_operand(&mut self, expr: &Expr) -> Option<(Vec<(Arg, Access)>, Zip)> {
        let (source, methods) = method_chain(expr);
        let mut containers = vec![(self.iterated(strip_reference(source))?, Access::Element)];
        let mut pairs = Zip::Leaf(0);
        for m in methods {
            match (m.method.to_string().as_str(), m.args.len()) {
                ("iter" | "into_iter" | "copied" | "cloned", 0) => {}
                ("rev", 0) if matches!(containers.as_slice(), [(_, Access::Element)]) => {
                    containers[0].1 = Access::Reversed;
                }
                (name @ ("skip" | "take"), 1) if containers.len() == 1 => {
                    let (container, access) = containers.pop()?;
                    let container = self.skip_take(container, &access, name, &m.args[0])?;
                    containers.push((container, access));
                }
                ("zip", 1) => {
                    let (others, zipped) = self.zip_operand(&m.args[0])?;
                    let zipped = zipped.shifted(containers.len());
                    containers.extend(others);
                    pairs = Zip::Pair(Box::new(pairs), Box::new(zipped));
                }
                _ => return None,
            }
        }
        Some((containers, pairs))
    }

    /// The container a `for` loop iterates. An array written in place is copied first:
    /// `for e in a` iterates over a copy of `a` in Rust, so writes in the body must not
    /// show through.
    fn iterated(&mut self, container: &Expr) -> Option<Arg> {
        // A field (`self.w`) is iterated in place, by reference, not copied.
        let arg = self.place(container)?;
        match arg.value {
            Operand::Var(v) if self.vars[v.0].memory => {
                let kind = self.vars[v.0].kind;
                let op = Op::Rule {
                    rule: rules::copy(),
                    form: Form::Copy,
                    args: vec![Arg {
                        borrowed: false,
                        ..arg
                    }],
                };
                let copy = self.value(op, kind, container.to_token_stream());
                if let Some(to) = copy.value.var() {
                    self.inherit_elements(v, to);
                }
                Some(copy)
            }
            _ => Some(arg),
        }
    }

    /// `xs.iter().sum()`, `xs.iter().map(|x| ..).sum::<f64>()`, `.product()`: the loop
    /// they mean, `{ let mut acc = 0.0; for x in xs.iter() { acc += ..; } acc }`.
    fn reduction(&mut self, call: &syn::ExprMethodCall) -> Option<Arg> {
        let product = call.method == "product";
        let accumulator = Ident::new(
            &format!(
                "__tapeless_{}{}",
                if product { "product" } else { "sum" },
                self.reductions
            ),
            Span::call_site(),
        );
        self.reductions += 1;
        // The accumulator's type: the turbofish's, else in a generic function its float
        // type parameter (`0.0` is not a `T`).
        let element = match (
            call.turbofish.as_ref().and_then(|t| t.args.first()),
            self.floats.generics(),
        ) {
            (Some(t), _) => Some(t.to_token_stream()),
            (None, []) => None,
            (None, [t]) => Some(t.to_token_stream()),
            (None, _) => {
                self.errors.at(call, format!("in a function generic over several float types, #[differentiate] needs the type of `.{}()`: write `.{}::<T>()`", call.method, call.method));
                return None;
            }
        };
        let ty = element.as_ref().map(|t| quote::quote!(: #t));
        let (iterable, pattern, term): (&Expr, TokenStream, TokenStream) = match &*call.receiver {
            Expr::MethodCall(map) if map.method == "map" && map.args.len() == 1 => {
                let named = self.closure_named(&map.args[0]);
                let closure = match (&named, &map.args[0]) {
                    (Some(closure), _) => closure,
                    (None, Expr::Closure(closure)) => closure,
                    (None, other) => {
                        self.errors
                            .at(other, "`.map(..)` takes a closure here (`|x| ..`)");
                        return None;
                    }
                };
                if closure.inputs.len() != 1 || closure.capture.is_some() {
                    self.errors.at(closure, "the closure of `.map(..)` takes one argument (`|x| ..`), and captures by reference");
                    return None;
                }
                let pattern = match &closure.inputs[0] {
                    Pat::Type(t) => t.pat.to_token_stream(),
                    other => other.to_token_stream(),
                };
                (&map.receiver, pattern, closure.body.to_token_stream())
            }
            other => {
                let element = Ident::new("__tapeless_element", Span::call_site());
                (other, element.to_token_stream(), element.to_token_stream())
            }
        };
        // `Iterator::sum` of floats starts from −0.0 (the sum of −0.0s is −0.0), as here.
        let (init, op): (TokenStream, TokenStream) = if product {
            (quote::quote!(1.0), quote::quote!(*=))
        } else {
            (quote::quote!(-0.0), quote::quote!(+=))
        };
        let integer = match call.turbofish.as_ref().and_then(|t| t.args.first()) {
            Some(syn::GenericArgument::Type(ty)) => {
                crate::desugar::integer_literal(ty, if product { "1" } else { "0" })
            }
            _ => None,
        };
        let init = match &element {
            // A sum of integers (`sum::<usize>()`) starts from the integer identity.
            _ if integer.is_some() => integer.to_token_stream(),
            Some(t) if !self.floats.generics().is_empty() => {
                quote::quote!(<#t as ::tapeless::Real>::constant(#init))
            }
            _ => init,
        };
        let block: syn::Block = syn::parse_quote!({
            let mut #accumulator #ty = #init;
            for #pattern in #iterable {
                #accumulator #op #term;
            }
            #accumulator
        });
        // The desugared names must be memory-free: the accumulator is a plain variable.
        self.block_value(&block)
    }
}

/// `a.try_inverse().unwrap()`, `a.lu().solve(&b).unwrap()` (or `qr()`),
/// `a.cholesky().unwrap()` and `l.solve_lower_triangular(&b).unwrap()` (and the other
/// triangular solves): the rule, its form and its operands (the `unwrap`, or an
/// `expect("message")`, panics where the user's code would).
fn linear_solve(
    call: &syn::ExprMethodCall,
) -> Option<(&'static crate::rules::Rule, Form, Vec<&Expr>)> {
    let unwrap = match (call.method.to_string().as_str(), call.args.first()) {
        ("unwrap", None) => Unwrap(quote::quote!(.unwrap())),
        // A message that is a literal or a constant (`expect(MESSAGE)`, `expect(m::MESSAGE)`):
        // written again where the generated code unwraps.
        ("expect", Some(message)) if call.args.len() == 1 && constant_message(message) => {
            Unwrap(quote::quote!(.expect(#message)))
        }
        _ => return None,
    };
    let Expr::MethodCall(inner) = strip_parens(&call.receiver) else {
        return None;
    };
    if inner.method == "try_inverse" && inner.args.is_empty() {
        return Some((
            rules::inverse(),
            Form::Inverse(unwrap),
            vec![without_clone(&inner.receiver)],
        ));
    }
    if let Some(rule) = rules::triangular_solve(&inner.method.to_string()) {
        if inner.args.len() == 1 {
            let form = Form::TriangularSolve(inner.method.clone(), unwrap);
            return Some((rule, form, vec![&inner.receiver, &inner.args[0]]));
        }
    }
    if inner.method == "cholesky" && inner.args.is_empty() {
        return Some((
            rules::cholesky(),
            Form::Cholesky(unwrap),
            vec![without_clone(&inner.receiver)],
        ));
    }
    if inner.method == "solve" && inner.args.len() == 1 {
        if let Expr::MethodCall(lu) = strip_parens(&inner.receiver) {
            if (lu.method == "lu" || lu.method == "qr") && lu.args.is_empty() {
                let a = without_clone(&lu.receiver);
                let form = Form::Solve(lu.method.clone(), unwrap);
                return Some((rules::solve(), form, vec![a, &inner.args[0]]));
            }
        }
    }
    None
}

/// `a.clone()` → `a`: `lu()`, `qr()`, `cholesky()` and `try_inverse()` consume their matrix, so users clone it;
/// the generated code clones it itself.
/// `::tapeless::__private::by_value` (see `hessian`).
fn by_value(func: &syn::ExprPath) -> bool {
    let names: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    func.path.leading_colon.is_some() && names == ["tapeless", "__private", "by_value"]
}

/// A string literal, or a path that names a constant (upper case, or through a module).
fn constant_message(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(_),
            ..
        }) => true,
        Expr::Path(p) if p.qself.is_none() => match p.path.get_ident() {
            Some(ident) => ident
                .to_string()
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
            None => true,
        },
        _ => false,
    }
}

fn without_clone(expr: &Expr) -> &Expr {
    match strip_parens(expr) {
        Expr::MethodCall(c) if c.method == "clone" && c.args.is_empty() => &c.receiver,
        other => other,
    }
}

pub(super) fn constant(expr: Expr) -> Arg {
    Arg {
        value: Operand::Const(expr),
        borrowed: false,
    }
}

/// `value; count` at the top level of a macro's tokens.
fn split_repeat(tokens: &TokenStream) -> Option<(Expr, Expr)> {
    let tokens: Vec<_> = tokens.clone().into_iter().collect();
    let split = tokens
        .iter()
        .position(|t| matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ';'))?;
    let value: TokenStream = tokens[..split].iter().cloned().collect();
    let count: TokenStream = tokens[split + 1..].iter().cloned().collect();
    Some((syn::parse2(value).ok()?, syn::parse2(count).ok()?))
}

/// `x.sum()` / `x.product()` over an iterator chain: `.iter()` somewhere in it, or a range
/// mapped to floats (`(0..n).map(|i| ..)`; a range's own sum is an integer).
fn is_reduction(call: &syn::ExprMethodCall) -> bool {
    if !(call.method == "sum" || call.method == "product") || !call.args.is_empty() {
        return false;
    }
    let (base, methods) = method_chain(&call.receiver);
    let mapped_range = matches!(strip_parens(base), Expr::Range(_))
        && matches!(&*call.receiver, Expr::MethodCall(m) if m.method == "map");
    mapped_range || methods.iter().any(|m| starts_iteration(m))
}

/// A method that starts iterating its receiver (`xs.iter()`, `xs.windows(k)`).
fn starts_iteration(call: &syn::ExprMethodCall) -> bool {
    matches!(
        call.method.to_string().as_str(),
        "iter" | "into_iter" | "windows" | "chunks" | "chunks_exact"
    )
}

/// A chain that iterates (`xs.iter()..`, `xs.windows(k)..`, a range's), not a matrix.
fn iterator_chain(expr: &Expr) -> bool {
    let (base, methods) = method_chain(expr);
    matches!(strip_parens(base), Expr::Range(_)) || methods.iter().any(|m| starts_iteration(m))
}

/// `match e { pat => true, _ => false }`.
fn is_boolean_match(m: &syn::ExprMatch) -> bool {
    m.arms.iter().all(|arm| {
        matches!(
            &*arm.body,
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Bool(_),
                ..
            })
        )
    })
}

/// The desugaring's read of an enum's payload (see [`Lowerer::payload_match`]): two arms,
/// the first cloning a binding, the second `_ => ::core::unreachable!()`.
fn is_payload_match(m: &syn::ExprMatch) -> bool {
    let [first, second] = &m.arms[..] else {
        return false;
    };
    let clones = matches!(&*first.body, Expr::Call(c)
        if matches!(&*c.func, Expr::Path(p) if p.path.segments.len() == 4
            && p.path.segments[2].ident == "Clone" && p.path.segments[3].ident == "clone"));
    let unreachable = matches!(&*second.body, Expr::Macro(mac)
        if mac.mac.path.segments.last().is_some_and(|s| s.ident == "unreachable"));
    matches!(&*m.expr, Expr::Reference(_))
        && first.guard.is_none()
        && clones
        && matches!(second.pat, Pat::Wild(_))
        && unreachable
}

/// `a.f().g(x)` → (`a`, [`.f()`, `.g(x)`]), innermost call first.
fn method_chain(expr: &Expr) -> (&Expr, Vec<&syn::ExprMethodCall>) {
    let mut methods = Vec::new();
    let mut current = strip_parens(expr);
    while let Expr::MethodCall(call) = current {
        methods.push(call);
        current = strip_parens(&call.receiver);
    }
    methods.reverse();
    (current, methods)
}

/// `self`.
fn is_self(expr: &Expr) -> bool {
    matches!(strip_parens(expr), Expr::Path(p) if p.qself.is_none() && p.path.is_ident("self"))
}

/// `p.layer`, `self.layer.inner`: a named field of a variable (not `t.0`, which may be a
/// float).
fn is_field(expr: &Expr) -> bool {
    matches!(strip_parens(expr), Expr::Field(f) if is_place(&f.base))
}

/// `v`, `p.w`, `self.layer.w`: a variable or a field of one.
fn is_place(expr: &Expr) -> bool {
    match strip_parens(expr) {
        Expr::Path(p) => p.qself.is_none() && p.path.get_ident().is_some(),
        Expr::Field(f) => is_place(&f.base),
        _ => false,
    }
}

pub(super) fn strip_parens(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => strip_parens(&p.expr),
        Expr::Group(g) => strip_parens(&g.expr),
        other => other,
    }
}

pub(super) fn strip_reference(expr: &Expr) -> &Expr {
    match strip_parens(expr) {
        Expr::Reference(r) if r.mutability.is_none() => strip_reference(&r.expr),
        other => other,
    }
}

/// The name a loop pattern binds: `x`, `&x`, `mut x` give `Some(x)`, `_` gives `None`.
fn pattern_ident(pat: &Pat) -> Result<Option<Ident>, ()> {
    match pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => Ok(Some(p.ident.clone())),
        Pat::Wild(_) => Ok(None),
        Pat::Reference(r) => pattern_ident(&r.pat),
        Pat::Paren(p) => pattern_ident(&p.pat),
        _ => Err(()),
    }
}

impl Lowerer<'_> {
    /// `Self::helper` of a function of the method's `impl` block that is not marked.
    fn unmarked_in_block(&self, func: &syn::ExprPath) -> bool {
        let segments = &func.path.segments;
        segments.len() == 2
            && segments[0].ident == "Self"
            && self.unmarked.contains(&segments[1].ident.to_string())
    }
}

/// A path that names a free function (`layer`, `crate::model::layer`, `super::f`), as
/// opposed to an associated function of a type (`Vector3::new`, `f64::from`): every
/// segment but `Self` starts lowercase. Such a call on active values is a call of a
/// function differentiated elsewhere.
fn function_path(func: &syn::ExprPath) -> bool {
    func.qself.is_none()
        && func.path.segments.iter().enumerate().all(|(i, s)| {
            (i == 0 && s.ident == "Self" && func.path.segments.len() == 2)
                || s.ident
                    .to_string()
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_lowercase() || c == '_')
        })
}

/// `T::zero()`, `f64::from(..)`, `T::from_f64(..)`: an associated function of a float type.
fn float_constructor(func: &syn::ExprPath, floats: Floats) -> bool {
    let segments = &func.path.segments;
    if let Some(qself) = &func.qself {
        // `<T as Float>::epsilon()`, `<T as Real>::constant(..)`.
        return floats.scalar(&qself.ty);
    }
    segments.len() == 2
        && floats.scalar(&syn::Type::Path(syn::TypePath {
            qself: None,
            path: segments[0].ident.clone().into(),
        }))
}

/// The method named by a path through a float type parameter or a qualified float type
/// (`T::tanh`, `<T as Float>::sqrt`, `<f64>::max`), when it is a float method of the table.
/// For `<F as Trait>::name`: `Is(<F as Trait>::name, <F as runtime's Trait>::name)`, which
/// compiles only when `Trait` is the float trait of the rule table (see `rule_item.rs`).
fn trait_method_check(func: &Expr, name: &Ident) -> Option<Expr> {
    let Expr::Path(path) = func else { return None };
    let qself = path.qself.as_ref().filter(|q| q.position > 0)?;
    let trait_name = path.path.segments.iter().nth(qself.position - 1)?;
    let item = rules::float_owner(&trait_name.ident.to_string())?.item?;
    let item: TokenStream = item.parse().ok()?;
    // The runtime item is written `<_ as Trait>`: the source's type takes the `_`.
    let ty = &qself.ty;
    let item: TokenStream = item
        .into_iter()
        .map(|t| match &t {
            proc_macro2::TokenTree::Ident(i) if i == "_" => quote::quote!(#ty),
            _ => t.into_token_stream(),
        })
        .collect();
    let span = syn::spanned::Spanned::span(func);
    Some(
        syn::parse_quote_spanned!(span=> ::tapeless::__private::Is(#func, #item::#name).tapeless_rule()),
    )
}

fn float_type_method(func: &Expr, floats: Floats) -> Option<Ident> {
    let Expr::Path(func) = func else { return None };
    let segments = &func.path.segments;
    let name = &segments.last()?.ident;
    let owner_is_float = match &func.qself {
        // `<f64 as Twice>::sin` names the user's trait's method, not the float method:
        // only a float trait of the rule table may name the trait (`<T as Float>::sqrt`).
        Some(qself) => {
            floats.scalar(&qself.ty)
                && (qself.position == 0
                    || segments.iter().nth(qself.position - 1).is_some_and(|t| {
                        rules::float_owner(&t.ident.to_string())
                            .is_some_and(|f| f.item.is_some() && f.marks_generic)
                    }))
        }
        None => {
            segments.len() == 2
                && rules::float_owner(&segments[0].ident.to_string()).is_none()
                && floats.scalar(&syn::Type::Path(syn::TypePath {
                    qself: None,
                    path: segments[0].ident.clone().into(),
                }))
        }
    };
    (owner_is_float && rules::float_method(&name.to_string())).then(|| name.clone())
}

/// Whether a closure's body is `v.tanh()` of its parameter `v` (also `T::tanh(v)`,
/// `f64::tanh(v)`, parenthesised).
fn elementwise_tanh(body: &Expr, param: &Ident, floats: Floats) -> bool {
    let is_param = |e: &Expr| matches!(strip_parens(e), Expr::Path(p) if p.path.is_ident(param));
    match strip_parens(body) {
        Expr::MethodCall(m) => m.method == "tanh" && m.args.is_empty() && is_param(&m.receiver),
        Expr::Call(c) => {
            c.args.len() == 1
                && is_param(&c.args[0])
                && float_type_method(&c.func, floats).is_some_and(|name| name == "tanh")
        }
        _ => false,
    }
}

/// How a `for` loop's zipped elements pair up: container `k`, or a pair of two groups.
enum Zip {
    Leaf(usize),
    Pair(Box<Zip>, Box<Zip>),
}

impl Zip {
    /// The same pairing of containers numbered from `offset`.
    fn shifted(self, offset: usize) -> Zip {
        match self {
            Zip::Leaf(k) => Zip::Leaf(k + offset),
            Zip::Pair(a, b) => Zip::Pair(Box::new(a.shifted(offset)), Box::new(b.shifted(offset))),
        }
    }

    /// Each container's pattern in `pat` (a tuple per pair); false when `pat` has another
    /// shape.
    fn bind<'p>(&self, pat: &'p Pat, out: &mut Vec<(usize, &'p Pat)>) -> bool {
        match (self, pat) {
            (Zip::Leaf(k), p) => {
                out.push((*k, p));
                true
            }
            (Zip::Pair(a, b), Pat::Tuple(t)) if t.elems.len() == 2 => {
                a.bind(&t.elems[0], out) && b.bind(&t.elems[1], out)
            }
            _ => false,
        }
    }
}
