//! Stage 2: the function body to SSA ([`crate::ir`]).
//!
//! Each expression becomes a chain of `let` statements, one per operation; each binding,
//! reassignment or compound assignment of a variable creates a new version of it. Constant
//! sub-expressions (`2.0 * PI`) stay inline. Everything the later stages cannot handle is
//! reported here with the span of the construct and what to do instead; lowering carries
//! on after an error so that all of them are reported together.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, Pat, Stmt as SynStmt};

use crate::errors::Errors;
use crate::ir::{Arg, Block, Body, Form, Kind, Op, Operand, Stmt, Var, VarId};
use crate::parse::{scalar_float, Signature};
use crate::rules;

/// Lowers the body. Constructs that cannot be lowered are reported and left out, and the
/// rest is still returned, so that `analyse` can report its own errors beside them.
pub fn lower(sig: &Signature, errors: &mut Errors) -> Body {
    let mut lowerer = Lowerer {
        vars: Vec::new(),
        scopes: vec![HashMap::new()],
        stmts: Vec::new(),
        errors,
        failed: Default::default(),
    };
    let params = sig
        .params
        .iter()
        .map(|p| {
            let var = lowerer.new_var(Some(p.ident.clone()), p.kind);
            lowerer.bind(&p.ident, var);
            var
        })
        .collect();
    let ret = lowerer.function_body(&sig.item.block);
    Body {
        vars: lowerer.vars,
        params,
        block: Block {
            stmts: lowerer.stmts,
        },
        // Only read when lowering succeeded (the errors stop the expansion otherwise).
        ret: ret.unwrap_or_else(|| Operand::Const(syn::parse_quote!(0.0))),
    }
}

/// Macros that cannot change any value, passed through as written.
const PASSTHROUGH_MACROS: &[&str] = &[
    "print",
    "println",
    "eprint",
    "eprintln",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
];

struct Lowerer<'e> {
    vars: Vec<Var>,
    /// Source name → current version, innermost scope last.
    scopes: Vec<HashMap<String, VarId>>,
    stmts: Vec<Stmt>,
    errors: &'e mut Errors,
    /// Names whose definition was rejected: their uses are not reported again.
    failed: std::collections::HashSet<String>,
}

impl Lowerer<'_> {
    fn new_var(&mut self, source: Option<Ident>, kind: Kind) -> VarId {
        self.vars.push(Var {
            source,
            kind,
            mutable: false,
        });
        VarId(self.vars.len() - 1)
    }

    fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    /// `let name = ..`: a new binding in the innermost scope.
    fn bind(&mut self, name: &Ident, var: VarId) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), var);
        }
    }

    /// `name = ..`: the binding where `name` was declared now means `var`.
    fn assign(&mut self, name: &Ident, var: VarId) -> bool {
        let key = name.to_string();
        match self.scopes.iter_mut().rev().find(|s| s.contains_key(&key)) {
            Some(scope) => {
                scope.insert(key, var);
                true
            }
            None => false,
        }
    }

    /// Appends `let tN = op;` and returns `tN`.
    fn push_let(&mut self, op: Op, kind: Kind, origin: TokenStream) -> VarId {
        let var = self.new_var(None, kind);
        self.stmts.push(Stmt::Let {
            var,
            ty: None,
            op,
            origin,
        });
        var
    }

    fn kind_of(&self, arg: &Arg) -> Kind {
        match arg.value {
            Operand::Var(v) => self.vars[v.0].kind,
            Operand::Const(_) => Kind::Copy,
        }
    }

    /// Scalars in, scalar out; anything else is treated as an owned value (borrowed when
    /// used, never moved).
    fn result_kind(&self, args: &[Arg]) -> Kind {
        if args
            .iter()
            .all(|a| !a.borrowed && self.kind_of(a) == Kind::Copy)
        {
            Kind::Copy
        } else {
            Kind::Owned
        }
    }

    // ---- statements ----------------------------------------------------------------

    /// The function's block: statements, then the returned value (a tail expression or a
    /// final `return`).
    fn function_body(&mut self, block: &syn::Block) -> Option<Operand> {
        let (last, init) = match block.stmts.split_last() {
            Some(split) => split,
            None => {
                self.errors
                    .at(block, "the function body is empty; it must compute a float");
                return None;
            }
        };
        for stmt in init {
            self.stmt(stmt);
        }
        match last {
            SynStmt::Expr(Expr::Return(ret), _) => match &ret.expr {
                Some(e) => self.expr(e).map(|a| a.value),
                None => {
                    self.errors
                        .at(ret, "`return` without a value: return the float result");
                    None
                }
            },
            SynStmt::Expr(e, None) => self.expr(e).map(|a| a.value),
            other => {
                self.stmt(other);
                self.errors.at_span(
                    block.brace_token.span.close(),
                    "the function must end with the float it returns (a final expression or `return value;`)",
                );
                None
            }
        }
    }

    fn stmt(&mut self, stmt: &SynStmt) {
        match stmt {
            SynStmt::Local(local) => self.local(local),
            SynStmt::Item(item) => self.stmts.push(Stmt::Item(item.clone())),
            SynStmt::Macro(m) => self.macro_stmt(&m.mac),
            SynStmt::Expr(expr, _) => self.expr_stmt(expr),
        }
    }

    fn local(&mut self, local: &syn::Local) {
        let (ident, mutable, ty) = match &local.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                (&p.ident, p.mutability.is_some(), None)
            }
            Pat::Type(pt) => match &*pt.pat {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    (&p.ident, p.mutability.is_some(), Some((*pt.ty).clone()))
                }
                other => return self.unsupported_pattern(other),
            },
            other => return self.unsupported_pattern(other),
        };
        let Some(init) = &local.init else {
            self.errors.at(
                local,
                format!("`let {ident};` without a value is not supported by #[differentiate]; declare `{ident}` where its value is known"),
            );
            // Bound all the same, so later assignments to it are not reported again.
            let var = self.new_var(Some(ident.clone()), Kind::Owned);
            self.bind(ident, var);
            return;
        };
        if let Some((_, diverge)) = &init.diverge {
            self.errors.at(
                diverge,
                "`let ... else` is not supported by #[differentiate]",
            );
            return;
        }
        match self.expr(&init.expr) {
            Some(value) => {
                let var = self.define(ident, ty, value, init.expr.to_token_stream());
                self.vars[var.0].mutable |= mutable;
                self.bind(ident, var);
            }
            None => {
                self.failed.insert(ident.to_string());
            }
        }
    }

    fn unsupported_pattern(&mut self, pat: &Pat) {
        self.errors.at(
            pat,
            "only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet",
        );
    }

    /// Binds `ident` (a `let` or an assignment) to `value`, naming the operation that
    /// produced it after the variable when it is fresh (so the forward sweep reads
    /// `let y = x * 2.0;`, not `let t0 = x * 2.0; let y = t0;`).
    fn define(
        &mut self,
        ident: &Ident,
        ty: Option<syn::Type>,
        value: Arg,
        origin: TokenStream,
    ) -> VarId {
        let fresh_temp = match (&value.value, self.stmts.last_mut()) {
            (Operand::Var(v), Some(Stmt::Let { var, ty: slot, .. }))
                if *var == *v && self.vars[v.0].source.is_none() && !value.borrowed =>
            {
                *slot = ty.clone();
                Some(*v)
            }
            _ => None,
        };
        match (fresh_temp, &value.value) {
            (Some(v), _) => {
                self.vars[v.0].source = Some(ident.clone());
                v
            }
            // `let y = x;`: `y` is another name for the same value.
            (None, Operand::Var(v)) if !value.borrowed => *v,
            // `let c = 2.0;` or `let r = &x;`: kept as written. A reference to an active
            // value would hide it from the rules, so that is an error (in `analyse`).
            (None, operand) => {
                let placeholder = Ident::new("__tapeless_value", Span::call_site());
                let (expr, uses): (Expr, _) = match operand {
                    Operand::Const(c) => (c.clone(), Vec::new()),
                    Operand::Var(v) => (syn::parse_quote!(#placeholder), vec![(placeholder, *v)]),
                };
                let (expr, kind) = if value.borrowed {
                    (syn::parse_quote!(&#expr), Kind::Ref)
                } else {
                    (expr, Kind::Copy)
                };
                let var = self.new_var(Some(ident.clone()), kind);
                let op = Op::Verbatim {
                    expr,
                    uses,
                    inert: false,
                    what: "a `let` binding of a reference",
                    advice: "use the value directly (`x`, not `let r = &x`)",
                };
                self.stmts.push(Stmt::Let {
                    var,
                    ty,
                    op,
                    origin,
                });
                var
            }
        }
    }

    fn expr_stmt(&mut self, expr: &Expr) {
        match expr {
            Expr::Assign(assign) => {
                let Some(target) = self.assigned_ident(&assign.left) else {
                    return;
                };
                if let Some(value) = self.expr(&assign.right) {
                    let var = self.define(&target, None, value, assign.right.to_token_stream());
                    if !self.assign(&target, var) {
                        self.errors.at(&assign.left, format!("`{target}` is not a local variable; #[differentiate] only supports assignments to locals"));
                    }
                }
            }
            Expr::Binary(b) if rules::compound_assign(&b.op).is_some() => {
                let Some(target) = self.assigned_ident(&b.left) else {
                    return;
                };
                let Some(current) = self.lookup(&target.to_string()) else {
                    self.errors.at(&b.left, format!("`{target}` is not a local variable; #[differentiate] only supports assignments to locals"));
                    return;
                };
                let Some(rhs) = self.expr(&b.right) else {
                    return;
                };
                let (Some(rule), Some(op)) =
                    (rules::compound_assign(&b.op), rules::plain_operator(&b.op))
                else {
                    return;
                };
                let lhs = Arg {
                    value: Operand::Var(current),
                    borrowed: false,
                };
                let kind = self.result_kind(&[lhs.clone(), rhs.clone()]);
                let args = vec![lhs, rhs];
                let var = self.new_var(Some(target.clone()), kind);
                self.stmts.push(Stmt::Let {
                    var,
                    ty: None,
                    op: Op::Rule {
                        rule,
                        form: Form::Binary(op),
                        args,
                    },
                    origin: b.to_token_stream(),
                });
                self.assign(&target, var);
            }
            Expr::Macro(m) => self.macro_stmt(&m.mac),
            // `{ y = y * x; }`: a scope whose assignments reach the enclosing variables.
            Expr::Block(b) if b.label.is_none() => {
                self.scopes.push(HashMap::new());
                for stmt in &b.block.stmts {
                    self.stmt(stmt);
                }
                self.scopes.pop();
            }
            Expr::Return(ret) => {
                self.errors.at(ret, "early `return` is not supported yet by #[differentiate]; return at the end of the function");
            }
            other => {
                if let Some(arg) = self.expr(other) {
                    // The value is dropped: turn its `let` into a plain statement.
                    if let (Operand::Var(v), Some(Stmt::Let { var, .. })) =
                        (&arg.value, self.stmts.last())
                    {
                        if var == v && self.vars[v.0].source.is_none() {
                            if let Some(Stmt::Let { op, origin, .. }) = self.stmts.pop() {
                                self.stmts.push(Stmt::Eval { op, origin });
                            }
                        }
                    }
                }
            }
        }
    }

    /// The local variable on the left of `=` or `op=`.
    fn assigned_ident(&mut self, left: &Expr) -> Option<Ident> {
        match left {
            Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                p.path.get_ident().cloned()
            }
            Expr::Paren(p) => self.assigned_ident(&p.expr),
            Expr::Index(_) => {
                self.errors.at(
                    left,
                    "assignment to an indexed element is not supported yet by #[differentiate]",
                );
                None
            }
            Expr::Field(_) => {
                self.errors.at(
                    left,
                    "assignment to a field is not supported yet by #[differentiate]",
                );
                None
            }
            _ => {
                self.errors.at(
                    left,
                    "#[differentiate] only supports assignments to local variables",
                );
                None
            }
        }
    }

    fn macro_stmt(&mut self, mac: &syn::Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if !PASSTHROUGH_MACROS.contains(&name.as_str()) {
            self.errors.at(
                mac,
                format!(
                    "macro `{name}!` is not supported in a differentiated function: #[differentiate] cannot see what its expansion computes; write the computation out (printing and assertions, `println!`, `assert!`, ..., are allowed)"
                ),
            );
            return;
        }
        let mut rebind = Vec::new();
        let mut seen = Vec::new();
        mentioned_names(mac.tokens.clone(), &mut seen);
        for name in seen {
            if let Some(var) = self.lookup(&name) {
                if rebind.iter().all(|(i, _): &(Ident, VarId)| *i != name) {
                    rebind.push((Ident::new(&name, mac.span()), var));
                }
            }
        }
        self.stmts.push(Stmt::Macro {
            mac: mac.clone(),
            rebind,
        });
    }

    // ---- expressions ---------------------------------------------------------------

    fn expr(&mut self, expr: &Expr) -> Option<Arg> {
        if self.mentions_failed(expr) {
            return None;
        }
        if self.is_constant(expr) {
            return Some(Arg {
                value: Operand::Const(expr.clone()),
                borrowed: false,
            });
        }
        match expr {
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some(var) if p.qself.is_none() => Some(Arg {
                    value: Operand::Var(var),
                    borrowed: false,
                }),
                _ => Some(Arg {
                    value: Operand::Const(expr.clone()),
                    borrowed: false,
                }),
            },
            Expr::Reference(r) => {
                if r.mutability.is_some() {
                    self.errors.at(r, "`&mut` borrows are not supported by #[differentiate]: mutation through a reference cannot be differentiated yet");
                    return None;
                }
                let inner = self.expr(&r.expr)?;
                Some(Arg {
                    borrowed: true,
                    ..inner
                })
            }
            Expr::Unary(u) => {
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
            Expr::Binary(b) => match rules::binary(&b.op) {
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
                // `&&` and `||` short-circuit: kept whole, as a boolean.
                None => self.verbatim(expr, true, "a logical operator", ""),
            },
            Expr::MethodCall(call) => {
                let receiver = self.expr(&call.receiver);
                let args: Vec<Option<Arg>> = call.args.iter().map(|a| self.expr(a)).collect();
                let mut all = vec![receiver?];
                for a in args {
                    all.push(a?);
                }
                let form = Form::Method {
                    name: call.method.clone(),
                    turbofish: call.turbofish.clone(),
                };
                let op = match rules::method(&call.method.to_string(), all.len()) {
                    Some(rule) => Op::Rule {
                        rule,
                        form,
                        args: all.clone(),
                    },
                    None => Op::Foreign {
                        form,
                        args: all.clone(),
                    },
                };
                let kind = self.result_kind(&all);
                Some(self.value(op, kind, call.to_token_stream()))
            }
            Expr::Call(call) => {
                let Expr::Path(func) = &*call.func else {
                    self.errors.at(
                        &call.func,
                        "#[differentiate] only supports calls of named functions",
                    );
                    return None;
                };
                let args: Vec<Option<Arg>> = call.args.iter().map(|a| self.expr(a)).collect();
                let args: Vec<Arg> = args.into_iter().collect::<Option<_>>()?;
                let op =
                    match float_function(func).and_then(|name| rules::method(&name, args.len())) {
                        Some(rule) => Op::Rule {
                            rule,
                            form: Form::Call(func.clone()),
                            args: args.clone(),
                        },
                        None => Op::Foreign {
                            form: Form::Call(func.clone()),
                            args: args.clone(),
                        },
                    };
                let kind = self.result_kind(&args);
                Some(self.value(op, kind, call.to_token_stream()))
            }
            Expr::Cast(cast) => {
                let arg = self.expr(&cast.expr)?;
                let to_float = scalar_float(&cast.ty);
                let op = Op::Rule {
                    rule: rules::cast(to_float),
                    form: Form::Cast((*cast.ty).clone()),
                    args: vec![arg],
                };
                Some(self.value(op, Kind::Copy, cast.to_token_stream()))
            }
            Expr::Block(b) if b.label.is_none() => self.block_value(&b.block),
            Expr::Unsafe(u) => {
                self.errors.at(u.unsafe_token, "`unsafe` blocks are not supported by #[differentiate]: it cannot see through raw pointers or foreign memory; move the unsafe code into a function with its own rule, or out of the differentiated function");
                None
            }
            Expr::If(_)
            | Expr::Match(_)
            | Expr::While(_)
            | Expr::ForLoop(_)
            | Expr::Loop(_)
            | Expr::Block(_) => {
                self.errors.at(expr, format!("{} is not supported yet by #[differentiate]: control flow is planned; for now write straight-line code", describe(expr)));
                None
            }
            Expr::Return(_) => {
                self.errors.at(expr, "early `return` is not supported yet by #[differentiate]; return at the end of the function");
                None
            }
            Expr::Closure(_) => {
                self.errors.at(expr, "closures are not supported yet by #[differentiate]; write the computation inline");
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
            Expr::Index(_) => self.verbatim(expr, false, "indexing", "indexing arrives with slice and array parameters; for now use separate float parameters"),
            Expr::Field(_) => self.verbatim(expr, false, "field access", "use separate float variables"),
            Expr::Tuple(_) => self.verbatim(expr, false, "a tuple", "use separate float variables"),
            Expr::Array(_) | Expr::Repeat(_) => self.verbatim(expr, false, "an array", "use separate float variables"),
            Expr::Struct(_) => self.verbatim(expr, false, "a struct literal", "use separate float variables"),
            // A range of floats carries its ends: on active values it is an error too.
            Expr::Range(_) => self.verbatim(expr, false, "a range", "use the ends as separate float variables"),
            _ => {
                self.errors.at(
                    expr,
                    format!("{} is not supported by #[differentiate]", describe(expr)),
                );
                None
            }
        }
    }

    fn value(&mut self, op: Op, kind: Kind, origin: TokenStream) -> Arg {
        let var = self.push_let(op, kind, origin);
        Arg {
            value: Operand::Var(var),
            borrowed: false,
        }
    }

    /// `{ stmts; tail }` used as a value.
    fn block_value(&mut self, block: &syn::Block) -> Option<Arg> {
        self.scopes.push(HashMap::new());
        let value = match block.stmts.split_last() {
            Some((SynStmt::Expr(tail, None), init)) => {
                for stmt in init {
                    self.stmt(stmt);
                }
                self.expr(tail)
            }
            _ => {
                self.errors
                    .at(block, "a block used as a value must end with an expression");
                None
            }
        };
        self.scopes.pop();
        value
    }

    /// An expression kept as written, with its variables renamed (see [`Op::Verbatim`]).
    fn verbatim(
        &mut self,
        expr: &Expr,
        inert: bool,
        what: &'static str,
        advice: &'static str,
    ) -> Option<Arg> {
        let mut finder = Mentions {
            names: Vec::new(),
            unsupported: None,
        };
        finder.visit_expr(expr);
        if let Some(span) = finder.unsupported {
            self.errors.at_span(span, format!("{what} containing closures, blocks or macros is not supported by #[differentiate]"));
            return None;
        }
        let uses: Vec<(Ident, VarId)> = finder
            .names
            .into_iter()
            .filter_map(|ident| self.lookup(&ident.to_string()).map(|v| (ident, v)))
            .collect();
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

    /// Whether `expr` uses a variable whose definition was already rejected.
    fn mentions_failed(&self, expr: &Expr) -> bool {
        if self.failed.is_empty() {
            return false;
        }
        let mut finder = Mentions {
            names: Vec::new(),
            unsupported: None,
        };
        finder.visit_expr(expr);
        if let Expr::Call(call) = expr {
            if let Expr::Path(p) = &*call.func {
                finder.names.extend(p.path.get_ident().cloned());
            }
        }
        finder
            .names
            .iter()
            .any(|n| self.failed.contains(&n.to_string()) && self.lookup(&n.to_string()).is_none())
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
            _ => false,
        }
    }
}

/// `f64::sin`, `f32::max`, `Float::sqrt`, ...: the method name when the path names a float
/// type's (or a float trait's) associated function.
fn float_function(func: &syn::ExprPath) -> Option<String> {
    let segments: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let (name, prefix) = segments.split_last()?;
    let owner = prefix.last()?;
    const OWNERS: &[&str] = &["f64", "f32", "Float", "Real", "RealField", "ComplexField"];
    OWNERS.contains(&owner.as_str()).then(|| name.clone())
}

/// A short description of an expression, for messages.
fn describe(expr: &Expr) -> &'static str {
    match expr {
        Expr::If(_) => "`if`",
        Expr::Match(_) => "`match`",
        Expr::While(_) => "a `while` loop",
        Expr::ForLoop(_) => "a `for` loop",
        Expr::Loop(_) => "`loop`",
        Expr::Block(_) => "a labelled block",
        Expr::Break(_) => "`break`",
        Expr::Continue(_) => "`continue`",
        Expr::Let(_) => "a `let` expression",
        Expr::Yield(_) => "`yield`",
        _ => "this expression",
    }
}

/// Single identifiers an expression mentions as values, and the first construct that would
/// make renaming them unsound (closures bind names, blocks declare them, macros hide them).
struct Mentions {
    names: Vec<Ident>,
    unsupported: Option<Span>,
}

impl<'ast> Visit<'ast> for Mentions {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::Closure(_)
            | Expr::Block(_)
            | Expr::Macro(_)
            | Expr::Unsafe(_)
            | Expr::If(_)
            | Expr::Match(_)
            | Expr::Loop(_)
            | Expr::While(_)
            | Expr::ForLoop(_) => {
                self.unsupported.get_or_insert(expr.span());
            }
            Expr::Path(p) if p.qself.is_none() => {
                if let Some(ident) = p.path.get_ident() {
                    if !self.names.contains(ident) {
                        self.names.push(ident.clone());
                    }
                }
            }
            _ => syn::visit::visit_expr(self, expr),
        }
    }

    // `s.field` and `Struct { field: .. }`: field names are not variables (but
    // `Struct { x }` shorthand is, and syn gives it as a path expression).
    fn visit_member(&mut self, _: &'ast syn::Member) {}
}

/// Identifiers a macro's tokens mention, including `{name}` captures in format strings.
fn mentioned_names(tokens: TokenStream, out: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => out.push(ident.to_string()),
            TokenTree::Group(group) => mentioned_names(group.stream(), out),
            TokenTree::Literal(lit) => {
                let text = lit.to_string();
                for capture in text.split('{').skip(1) {
                    let name: String = capture
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.push(name);
                    }
                }
            }
            TokenTree::Punct(_) => {}
        }
    }
}

/// Renames the variables an expression mentions to their SSA names.
pub struct Rename<'a> {
    pub names: &'a HashMap<String, Ident>,
}

impl VisitMut for Rename<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Path(p) = expr {
            if p.qself.is_none() {
                if let Some(new) = p
                    .path
                    .get_ident()
                    .and_then(|i| self.names.get(&i.to_string()))
                {
                    *expr = syn::parse_quote!(#new);
                }
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_member_mut(&mut self, _: &mut syn::Member) {}
}
