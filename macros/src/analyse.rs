//! Stage 3: activity analysis.
//!
//! A value is *varied* when it depends on a differentiated parameter through operations
//! that carry a derivative, and *useful* when the returned value depends on it through
//! such operations. Only values that are both — *active* — get an adjoint; everything else
//! runs in the forward sweep only. Both are fixpoints over the structured body: a loop's
//! carried value is varied when its value before the loop or at the end of any iteration
//! is. This is also where an operation without a derivative rule is judged: a call of an
//! unknown function is fine on data, and an error when it receives a varied value.

use crate::errors::Errors;
use crate::ir::{BlockId, Body, Form, Op, Operand, Stmt, VarId, TOP};
use crate::parse::Signature;
use crate::rules;

pub struct Activity {
    varied: Vec<bool>,
    useful: Vec<bool>,
}

impl Activity {
    pub fn is_active(&self, var: VarId) -> bool {
        self.varied[var.0] && self.useful[var.0]
    }
}

/// The variables `op` reads in positions that carry a derivative to them.
fn differentiable_uses(op: &Op) -> Vec<VarId> {
    match op {
        Op::Rule { rule, args, .. } => args
            .iter()
            .enumerate()
            .filter(|(i, _)| rule.differentiable(*i))
            .filter_map(|(_, a)| a.value.var())
            .collect(),
        Op::Foreign { pure: true, .. } => Vec::new(),
        Op::Call { .. } => op.uses(),
        Op::Foreign { .. } => op.uses(),
        Op::Verbatim { inert: true, .. } => Vec::new(),
        Op::Verbatim { .. } => op.uses(),
    }
}

/// Sets `flags[var]` when `value` holds; reports whether anything changed.
fn raise(flags: &mut [bool], var: VarId, value: bool) -> bool {
    let changed = value && !flags[var.0];
    flags[var.0] |= value;
    changed
}

fn flag(flags: &[bool], operand: &Operand) -> bool {
    operand.var().is_some_and(|v| flags[v.0])
}

pub fn analyse(body: &Body, sig: &Signature, errors: &mut Errors) -> Activity {
    let n = body.vars.len();
    let mut varied = vec![false; n];
    for (param, var) in sig.params.iter().zip(&body.params) {
        varied[var.0] = param.differentiated;
    }
    // An integer carries no derivative, wherever it comes from (`p.1` of `(x * 3.0, n)`).
    let integer = integers(body, sig);
    while forward(body, TOP, &mut varied, &integer) {}

    let mut useful = vec![false; n];
    if let Some(ret) = body.ret.var() {
        useful[ret.0] = true;
    }
    while backward(body, TOP, &mut useful) {}

    let activity = Activity { varied, useful };
    check_operations_without_rules(body, &activity, errors);
    check_carried_views(body, &activity, errors);
    activity
}

/// A loop that carries a slice or view of its own previous value (`y = &y[1..];`,
/// `m = m.rows(1, k);`): the value's shape changes from one iteration to the next, and the
/// reverse sweep shapes each iteration's adjoint like the next one's (it would panic on the
/// mismatch). Reported at the assignment.
fn check_carried_views(body: &Body, activity: &Activity, errors: &mut Errors) {
    let lets: std::collections::HashMap<VarId, (&Op, &proc_macro2::TokenStream)> = body
        .blocks
        .iter()
        .flat_map(|b| &b.stmts)
        .filter_map(|stmt| match stmt {
            Stmt::Let {
                var, op, origin, ..
            } => Some((*var, (op, origin))),
            _ => None,
        })
        .collect();
    body.walk(TOP, &mut |stmt| {
        let Stmt::Loop(l) = stmt else {
            return;
        };
        for (values, _) in body.nexts(l.body) {
            for (carried, next) in l.carried.iter().zip(values) {
                let Some((Op::Rule { rule, args, .. }, origin)) =
                    next.var().and_then(|v| lets.get(&v))
                else {
                    continue;
                };
                let of_itself = args.first().and_then(|a| a.value.var()) == Some(carried.phi);
                if rule.view && of_itself && activity.is_active(carried.phi) {
                    errors.at(origin, "a loop that replaces a slice or view by a part of itself (`y = &y[1..];`) is not supported by #[differentiate]: its length changes from one iteration to the next; index into the whole value instead (`x[start + i]`, with `start += 1` in the loop), or carry a copy (`let mut y = x.to_vec();` and `y = y[1..].to_vec();`)");
                }
            }
        }
    });
}

/// One forward pass of the varied fixpoint; whether anything changed. `integer` values
/// are never varied.
fn forward(body: &Body, block: BlockId, varied: &mut [bool], integer: &[bool]) -> bool {
    let mut changed = false;
    let raise =
        |flags: &mut [bool], var: VarId, value: bool| raise(flags, var, value && !integer[var.0]);
    for stmt in &body.block(block).stmts {
        match stmt {
            Stmt::Let { var, op, .. } => {
                let value = differentiable_uses(op).iter().any(|u| varied[u.0]);
                changed |= raise(varied, *var, value);
            }
            Stmt::If(i) => {
                changed |= forward(body, i.then_block, varied, integer);
                changed |= forward(body, i.else_block, varied, integer);
                for m in &i.merges {
                    let value = flag(varied, &m.then_value) || flag(varied, &m.else_value);
                    changed |= raise(varied, m.var, value);
                }
            }
            Stmt::Loop(l) => {
                for c in &l.carried {
                    changed |= raise(varied, c.phi, flag(varied, &c.init));
                }
                changed |= forward(body, l.body, varied, integer);
                for (values, _) in body.nexts(l.body) {
                    for (c, value) in l.carried.iter().zip(values) {
                        let value = flag(varied, value);
                        changed |= raise(varied, c.phi, value);
                        changed |= raise(varied, c.out, value);
                    }
                }
                for c in &l.carried {
                    changed |= raise(varied, c.out, varied[c.phi.0]);
                }
            }
            Stmt::Store { array, value, .. } => {
                changed |= raise(varied, *array, flag(varied, value));
            }
            Stmt::Eval { .. } | Stmt::Macro { .. } | Stmt::Item(_) | Stmt::Next { .. } => {}
        }
    }
    changed
}

/// One backward pass of the useful fixpoint; whether anything changed.
fn backward(body: &Body, block: BlockId, useful: &mut [bool]) -> bool {
    let mut changed = false;
    for stmt in body.block(block).stmts.iter().rev() {
        match stmt {
            Stmt::Let { var, op, .. } => {
                if useful[var.0] {
                    for used in differentiable_uses(op) {
                        changed |= raise(useful, used, true);
                    }
                }
            }
            Stmt::If(i) => {
                for m in &i.merges {
                    if useful[m.var.0] {
                        for value in [&m.then_value, &m.else_value] {
                            if let Some(v) = value.var() {
                                changed |= raise(useful, v, true);
                            }
                        }
                    }
                }
                changed |= backward(body, i.then_block, useful);
                changed |= backward(body, i.else_block, useful);
            }
            Stmt::Loop(l) => {
                // What a carried variable becomes feeds the next iteration and the exit.
                for (values, _) in body.nexts(l.body) {
                    for (c, value) in l.carried.iter().zip(values) {
                        if useful[c.out.0] || useful[c.phi.0] {
                            if let Some(v) = value.var() {
                                changed |= raise(useful, v, true);
                            }
                        }
                    }
                }
                changed |= backward(body, l.body, useful);
                for c in &l.carried {
                    if useful[c.phi.0] || useful[c.out.0] {
                        if let Some(v) = c.init.var() {
                            changed |= raise(useful, v, true);
                        }
                    }
                }
            }
            Stmt::Store { array, value, .. } => {
                if useful[array.0] {
                    if let Some(v) = value.var() {
                        changed |= raise(useful, v, true);
                    }
                }
            }
            Stmt::Eval { .. } | Stmt::Macro { .. } | Stmt::Item(_) | Stmt::Next { .. } => {}
        }
    }
    changed
}

/// An operation without a derivative rule that receives a varied value would lose its
/// derivative silently, even when its result is dropped: the callee may store the value
/// (`cell.set(x)`). That is an error naming the operation and what to do. A value made by
/// a rejected operation is "poisoned", so its later uses are not reported again.
fn check_operations_without_rules(body: &Body, activity: &Activity, errors: &mut Errors) {
    let mut poisoned = vec![false; body.vars.len()];
    let read = read_values(body);
    let judge = Judge {
        body,
        activity,
        read: &read,
    };
    check_block(&judge, TOP, &mut poisoned, errors);
}

/// What [`check_block`] reads to judge an operation.
struct Judge<'a> {
    body: &'a Body,
    activity: &'a Activity,
    /// The values some statement, condition or the result reads.
    read: &'a [bool],
}

impl Judge<'_> {
    /// A call without a rule whose result only decides things that carry no derivative
    /// (`if self.persistence() >= 1.0`, an index, a cast to an integer) needs no
    /// derivative: the sweeps call it on the primal values. Only when its result is read
    /// (a call made for its effects, `cell.set(x)`, may hide `x` anywhere) and it changes
    /// nothing that could keep the value ([`Judge::changes`]).
    fn needs_no_derivative(&self, var: VarId, op: &Op) -> bool {
        matches!(op, Op::Foreign { .. })
            && !self.activity.useful[var.0]
            && self.effects(var, op).is_none()
    }

    /// Why a call whose result carries no derivative may still lose one: what it may
    /// change (see [`Judge::changes`]), or a result nothing reads (made for its effects).
    fn effects(&self, var: VarId, op: &Op) -> Option<&'static str> {
        self.changes(op).or_else(|| {
            (!self.read[var.0]).then_some(" (nothing reads its result, so it is called for its effects, which may keep the differentiated value)")
        })
    }

    /// What a call may change to hold a differentiated value, where a later read would not
    /// be judged: a method's `let mut` receiver (other arguments cannot be `&mut`), or an
    /// argument that is neither a number nor itself differentiated (`c` of `c.replace(x)`,
    /// a `Cell`; a differentiated argument's later reads are judged; a parameter is the
    /// caller's, lent for the call).
    fn changes(&self, op: &Op) -> Option<&'static str> {
        let keeps = op.uses().iter().any(|v| {
            !self.activity.varied[v.0]
                && self.body.var(*v).kind != crate::ir::Kind::Copy
                && !self.body.params.contains(v)
        });
        let mutable = match op {
            Op::Foreign {
                form: Form::Method { .. },
                args,
                ..
            } => args
                .first()
                .and_then(|a| a.value.var())
                .is_some_and(|v| self.body.var(v).mutable),
            _ => false,
        };
        if mutable {
            Some(" (it is called on a `let mut` value, which it may change to hold the differentiated value where a later read would not carry its derivative)")
        } else if keeps {
            Some(" (it is also given a value that does not depend on a differentiated parameter and is not a number, a `Cell` or a buffer, which it may change to hold the differentiated value where a later read would not carry its derivative)")
        } else {
            None
        }
    }
}

/// The values something observes: a condition, a loop's range, a macro, an evaluated
/// operation (made for its effects), the result, and whatever an observed value or an
/// element stored into an observed array is computed from (a fixpoint, as `backward`'s).
fn read_values(body: &Body) -> Vec<bool> {
    let mut read = vec![false; body.vars.len()];
    if let Some(v) = body.ret.var() {
        read[v.0] = true;
    }
    while observe(body, TOP, &mut read) {}
    read
}

/// One backward pass of the observed fixpoint; whether anything changed.
fn observe(body: &Body, block: BlockId, read: &mut [bool]) -> bool {
    let mut changed = false;
    let mut mark = |read: &mut [bool], operand: &Operand| {
        if let Some(v) = operand.var() {
            changed |= raise(read, v, true);
        }
    };
    let mut nested = false;
    for stmt in body.block(block).stmts.iter().rev() {
        match stmt {
            Stmt::Let { var, op, .. } => {
                if read[var.0] {
                    op.uses().iter().for_each(|v| mark(read, &Operand::Var(*v)));
                }
            }
            Stmt::Eval { op, .. } => {
                op.uses().iter().for_each(|v| mark(read, &Operand::Var(*v)));
            }
            Stmt::Macro { rebind, .. } => {
                rebind
                    .iter()
                    .for_each(|(_, v)| mark(read, &Operand::Var(*v)));
            }
            Stmt::If(i) => {
                for m in &i.merges {
                    if read[m.var.0] {
                        mark(read, &m.then_value);
                        mark(read, &m.else_value);
                    }
                }
                nested |= observe(body, i.then_block, read);
                nested |= observe(body, i.else_block, read);
                mark(read, &i.cond);
            }
            Stmt::Loop(l) => {
                for (values, _) in body.nexts(l.body) {
                    for (c, value) in l.carried.iter().zip(values) {
                        if read[c.out.0] || read[c.phi.0] {
                            mark(read, value);
                        }
                    }
                }
                nested |= observe(body, l.body, read);
                for c in &l.carried {
                    if read[c.out.0] || read[c.phi.0] {
                        mark(read, &c.init);
                    }
                }
                if let crate::ir::Header::Range {
                    start,
                    end,
                    adaptors,
                    ..
                } = &l.header
                {
                    mark(read, start);
                    mark(read, end);
                    for adaptor in adaptors {
                        if let crate::ir::Adaptor::StepBy(step) = adaptor {
                            mark(read, step);
                        }
                    }
                }
            }
            Stmt::Store {
                array,
                indices,
                value,
            } => {
                if read[array.0] {
                    indices.iter().for_each(|i| mark(read, i));
                    mark(read, value);
                }
            }
            Stmt::Next { .. } | Stmt::Item(_) => {}
        }
    }
    changed || nested
}

/// A value computed from one already reported (through operations and the merges of
/// `if`s, `let hit = if .. { Some(x) } else { None }`) is not reported again.
fn check_block(judge: &Judge, block: BlockId, poisoned: &mut [bool], errors: &mut Errors) {
    for stmt in &judge.body.block(block).stmts {
        match stmt {
            Stmt::If(i) => {
                check_block(judge, i.then_block, poisoned, errors);
                check_block(judge, i.else_block, poisoned, errors);
                for merge in &i.merges {
                    let from_poisoned = [&merge.then_value, &merge.else_value]
                        .into_iter()
                        .any(|v| v.var().is_some_and(|v| poisoned[v.0]));
                    poisoned[merge.var.0] |= from_poisoned;
                }
            }
            Stmt::Loop(l) => check_block(judge, l.body, poisoned, errors),
            stmt => check_stmt(stmt, judge, poisoned, errors),
        }
    }
}

/// `x as f64` of a differentiated value in a `hessian` function: the Hessian's copy of the
/// function computes in dual numbers, where a cast to a float type is a conversion of data
/// (`n as f64`) and would drop the derivative. An error at the cast (rather than rustc's,
/// in the copy).
pub fn float_casts_in_hessian(body: &Body, activity: &Activity, errors: &mut Errors) {
    body.walk(crate::ir::TOP, &mut |stmt| {
        let Stmt::Let {
            op:
                Op::Rule {
                    form: Form::Cast(ty),
                    args,
                    ..
                },
            origin,
            ..
        } = stmt
        else {
            return;
        };
        let differentiated = args
            .first()
            .and_then(|a| a.value.var())
            .is_some_and(|v| activity.varied[v.0]);
        if differentiated && crate::parse::Floats::CONCRETE.scalar(ty) {
            let ty = quote::quote!(#ty);
            errors.at(
                origin,
                format!("`as {ty}` of a value that depends on a differentiated parameter is not supported in a `hessian` function: the Hessian runs a copy of the function over dual numbers, where `as {ty}` converts data and would drop the derivative; remove the cast (the value is a float already)"),
            );
        }
    });
}

/// A call without a rule that a condition reads (accepted by `Judge::needs_no_derivative`)
/// in a `hessian` function: the Hessian runs a copy of the function over dual numbers,
/// and the call would receive them (an `f64` method cannot take a dual number). An error at
/// the call (rather than rustc's, in the copy). `libm` calls are `hessian::check`'s.
pub fn condition_calls_in_hessian(body: &Body, activity: &Activity, errors: &mut Errors) {
    let read = read_values(body);
    let judge = Judge {
        body,
        activity,
        read: &read,
    };
    body.walk(TOP, &mut |stmt| {
        let Stmt::Let {
            var,
            op:
                op @ Op::Foreign {
                    form,
                    args,
                    pure: false,
                },
            origin,
            ..
        } = stmt
        else {
            return;
        };
        let receives_varied = args
            .iter()
            .filter_map(|a| a.value.var())
            .any(|v| activity.varied[v.0]);
        let name = match form {
            Form::Method { name, .. } => format!("method `{name}`"),
            Form::Call(path) if !rules::is_libm_path(path) => {
                let path = &path.path;
                format!("`{}`", quote::quote!(#path).to_string().replace(' ', ""))
            }
            _ => return,
        };
        if receives_varied && judge.needs_no_derivative(*var, op) {
            errors.at(origin, format!("{name} has no derivative rule; where only a condition reads its result it needs none, but a `hessian` function's Hessian runs a copy of the function over dual numbers, which this call would receive; compute the value with operators and float methods that have rules (write the helper's body here), or drop `hessian`"));
        }
    });
}

fn check_stmt(stmt: &Stmt, judge: &Judge, poisoned: &mut [bool], errors: &mut Errors) {
    let activity = judge.activity;
    let (op, origin, result) = match stmt {
        Stmt::Let {
            var, op, origin, ..
        } => (op, origin, Some(*var)),
        Stmt::Eval { op, origin } => (op, origin, None),
        _ => return,
    };
    let uses = op.uses();
    if uses.iter().any(|u| poisoned[u.0]) {
        if let Some(result) = result {
            poisoned[result.0] = true;
        }
        return;
    }
    let receives_varied = uses.iter().any(|u| activity.varied[u.0]);
    if result.is_some_and(|var| judge.needs_no_derivative(var, op)) {
        return;
    }
    // A call differentiated through its companions, whose result carries no derivative:
    // they are not called, so a value it keeps elsewhere (a `Cell` it is given) would lose
    // its derivative. Judged by what it may change, as a call without a rule is.
    if let Op::Call { path, .. } = op {
        let carries = result.is_some_and(|var| activity.useful[var.0]);
        // (A result dropped or unread is fine here: the call's arguments are numbers or
        // differentiated values, whose later reads are judged.)
        let effects = match carries || !receives_varied {
            true => None,
            false => judge.changes(op),
        };
        if let Some(effects) = effects {
            let name = match crate::ir::called_method(path) {
                Some(method) => format!("method `{method}`"),
                None => {
                    let path = &path.path;
                    format!(
                        "function `{}`",
                        quote::quote!(#path).to_string().replace(' ', "")
                    )
                }
            };
            errors.at(origin, format!("{name} receives a value that depends on a differentiated parameter, and is differentiated only through its result, which does not reach the returned value{effects}; return what it computes from that value and use the result"));
            if let Some(result) = result {
                poisoned[result.0] = true;
            }
        }
        return;
    }
    let message = match op {
        Op::Foreign {
            form, pure: false, ..
        } if receives_varied => {
            let effects = result
                .filter(|var| !activity.useful[var.0])
                .and_then(|var| judge.effects(var, op));
            foreign_message(form) + effects.unwrap_or_default()
        }
        Op::Verbatim {
            inert: false,
            what,
            advice,
            ..
        } if receives_varied => format!(
            "{what} is not supported on values that depend on a differentiated parameter; {advice}"
        ),
        _ => return,
    };
    errors.at(origin, message);
    if let Some(result) = result {
        poisoned[result.0] = true;
    }
}

fn foreign_message(form: &Form) -> String {
    match form {
        Form::Method { name, .. } if name == "push" => "`push` of a value that depends on a differentiated parameter is supported as one `push` per iteration of the `for` loop that first uses the vector after its `let mut v = Vec::new();` (or `Vec::with_capacity(n)`, `vec![]`), over a range, slice or iterator chain whose length its syntax tells, with no `break`, `continue` or `return` in the body and no other use of `v` there than `v[i]`; otherwise allocate the vector with its length and write by index (`let mut v = vec![0.0; n]; v[i] = ..;`)".to_string(),
        Form::Method { name, .. } if matches!(name.to_string().as_str(), "cholesky" | "lu" | "qr") => format!(
            "`{name}()` of a value that depends on a differentiated parameter is differentiated only where the decomposition is computed and used at once: `let c = a.clone().cholesky().unwrap();` (then `c.l()`, `c.solve(&b)`, `c.ln_determinant()`), `a.clone().lu().solve(&b).unwrap()`, `a.clone().qr().solve(&b).unwrap()`, each ending in `.unwrap()` or `.expect(message)` with a string literal or a constant as the message"
        ),
        // `v.swap(i, j)`, `v.reverse()`: a change in place the reverse sweep cannot undo.
        Form::Method { name, .. } if matches!(name.to_string().as_str(), "swap" | "reverse" | "sort_by" | "sort_unstable_by" | "fill" | "rotate_left" | "rotate_right" | "copy_from_slice" | "clone_from_slice" | "swap_rows" | "swap_columns" | "fill_with_identity" | "set_column" | "set_row") => format!(
            "`.{name}(..)` changes a vector or matrix that depends on a differentiated parameter in place, which #[differentiate] does not follow; build the new value by index (`let mut w = vec![0.0; n]; w[i] = v[n - 1 - i];`, `m2[(i, j)] = ..` into `DMatrix::zeros(r, c)`), or reorder data (indices) instead of the values"
        ),
        // `v.max()` of a vector (`m.row(i).max()`): not the float method `a.max(b)`.
        Form::Method { name, .. } if matches!(name.to_string().as_str(), "max" | "min" | "amax" | "amin") => format!(
            "`.{name}()` of a vector or matrix that depends on a differentiated parameter has no derivative rule (the float method `a.{name}(b)` has one); fold its elements: `v.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x))` (`f64::INFINITY` and `min` for the least), or `nn::log_sum_exp(&v)` for a smooth maximum"
        ),
        // A rotation's inverse is its transpose, which has a rule.
        Form::Method { name, .. } if matches!(name.to_string().as_str(), "inverse" | "matrix" | "euler_angles") => format!(
            "`.{name}()` of a value that depends on a differentiated parameter has no derivative rule; of a rotation (`Rotation3::from_euler_angles(..)`), write `r.transpose()` for its inverse and use `r` itself where its matrix is meant (`r * v`, `r1 * r2`); of a matrix, `m.try_inverse().unwrap()`"
        ),
        Form::Method { name, .. } => {
            let known: Vec<&str> = rules::method_names().collect();
            format!(
                "method `{name}` has no derivative rule, and it receives a value that depends on a differentiated parameter; rewrite it with operators and float methods that have rules ({}); a method marked #[differentiate] in its own `impl` block is differentiated when called on `self`, on a field (`p.layer.forward(x)`), on a parameter of its type or on an element of a slice of it (`layers[i].forward(x)`)",
                known.join(", ")
            )
        }
        // `Self::helper(x)`: a function of the method's own block, not marked.
        Form::Call(path)
            if path.path.segments.len() == 2 && path.path.segments[0].ident == "Self" =>
        {
            let name = &path.path.segments[1].ident;
            format!(
                "function `Self::{name}` has no derivative, and it receives a value that depends on a differentiated parameter; mark `{name}` #[differentiate] (or #[custom_vjp(rule)]) in its `impl` block"
            )
        }
        // `Some(x)`, `Ok(x)`, `Point::Cartesian(x)`: an enum's variant, not a function.
        Form::Call(path)
            if path.path.segments.last().is_some_and(|s| {
                s.ident.to_string().chars().next().is_some_and(char::is_uppercase)
            }) =>
        {
            let path = &path.path;
            let name = quote::quote!(#path).to_string().replace(' ', "");
            format!(
                "`{name}(..)` of a value that depends on a differentiated parameter is not supported: an enum's variant (`Some(x)`, `Ok(x)`) cannot carry a derivative through #[differentiate]; keep the value beside a flag or a default (`let (hit, t) = if d > 0.0 {{ (true, t) }} else {{ (false, 0.0) }};`); for a tuple struct, write a struct with named fields (`Point {{ x, y }}`), whose literals are supported"
            )
        }
        Form::Call(path) if rules::is_libm_path(path) => {
            let path = &path.path;
            let name = quote::quote!(#path).to_string().replace(' ', "");
            format!(
                "`{name}` has no derivative rule, and it receives a value that depends on a differentiated parameter; the `libm` functions with rules are those of the float methods (`libm::sin`, `libm::exp`, `libm::log`, `libm::pow`, `libm::atan2`, `libm::sqrt`, `libm::erf`, ... and their `f32` forms, `libm::sinf`): write it with those, or call a function marked #[differentiate] or #[custom_vjp(rule)] that computes it"
            )
        }
        Form::Call(path) | Form::RuleCall { path, .. } => {
            let path = &path.path;
            let name = quote::quote!(#path).to_string().replace(' ', "");
            format!(
                "function `{name}` has no derivative rule, and it receives a value that depends on a differentiated parameter; write it with operators and methods that have rules, or call a free function marked #[differentiate] or #[custom_vjp(rule)] that computes it"
            )
        }
        Form::Binary(op) => format!(
            "operator `{}` has no derivative rule for values that depend on a differentiated parameter",
            quote::quote!(#op)
        ),
        Form::Unary(op) => format!(
            "operator `{}` has no derivative rule for values that depend on a differentiated parameter",
            quote::quote!(#op)
        ),
        Form::Cast(ty) => format!(
            "`as {}` has no derivative rule for values that depend on a differentiated parameter",
            quote::quote!(#ty)
        ),
        Form::Index => "indexing has no derivative rule here".to_string(),
        Form::Field(_) | Form::FieldClone(_) | Form::Tuple => {
            "this operation has no derivative rule here".to_string()
        }
        Form::Copy
        | Form::Inverse(_)
        | Form::Solve(..)
        | Form::Cholesky(_)
        | Form::TriangularSolve(..) => {
            "this operation has no derivative rule here".to_string()
        }
        Form::VecRepeat => "`vec![value; n]` of a value that depends on a differentiated parameter is not supported; start from `vec![0.0; n]` and write its elements by index".to_string(),
    }
}

/// The variables that hold integers, as far as the syntax shows: integer parameters and
/// annotations, lengths and index arithmetic, casts to integer types, range indices, and
/// what `min`, `max`, `abs`, ... and arithmetic make of those. A generic function names a
/// float method through `Float` (`Float::min(a, b)`); on an integer it keeps the method.
pub fn integers(body: &Body, sig: &Signature) -> Vec<bool> {
    let mut integer = vec![false; body.vars.len()];
    for (param, var) in sig.params.iter().zip(&body.params) {
        integer[var.0] = integer_type(&param.ty);
    }
    let values = Values::of(body);
    while integer_pass(body, TOP, &mut integer, &values) {}
    integer
}

/// Where each value comes from, to find the type of a tuple's element (`p.1` of
/// `let p = (x, n);`, also through `if` merges and loops, which keep a value's type).
struct Values<'a> {
    ops: std::collections::HashMap<VarId, &'a Op>,
    /// The values a merged or carried variable takes: all of one type.
    alternatives: std::collections::HashMap<VarId, Vec<&'a Operand>>,
}

impl<'a> Values<'a> {
    fn of(body: &'a Body) -> Self {
        let mut values = Values {
            ops: Default::default(),
            alternatives: Default::default(),
        };
        values.collect(body, TOP);
        values
    }

    fn collect(&mut self, body: &'a Body, block: BlockId) {
        for stmt in &body.block(block).stmts {
            match stmt {
                Stmt::Let { var, op, .. } => {
                    self.ops.insert(*var, op);
                }
                Stmt::If(i) => {
                    for m in &i.merges {
                        let entry = self.alternatives.entry(m.var).or_default();
                        entry.extend([&m.then_value, &m.else_value]);
                    }
                    self.collect(body, i.then_block);
                    self.collect(body, i.else_block);
                }
                Stmt::Loop(l) => {
                    for (k, c) in l.carried.iter().enumerate() {
                        let mut all = vec![&c.init];
                        all.extend(
                            body.nexts(l.body)
                                .iter()
                                .filter_map(|(next, _)| next.get(k)),
                        );
                        self.alternatives.insert(c.phi, all.clone());
                        self.alternatives.insert(c.out, all);
                    }
                    self.collect(body, l.body);
                }
                _ => {}
            }
        }
    }

    /// Whether the element at `path` (`.1`, `.0.1`) of `operand` is an integer; `seen`
    /// stops at a cycle through a loop.
    fn element_integer(
        &self,
        integer: &[bool],
        operand: &Operand,
        path: &[syn::Member],
        seen: &mut Vec<VarId>,
    ) -> bool {
        let Some((first, rest)) = path.split_first() else {
            return integer_operand(integer, operand);
        };
        let Some(var) = operand.var() else {
            return false;
        };
        if seen.contains(&var) {
            return false;
        }
        seen.push(var);
        let found = match self.ops.get(&var) {
            Some(Op::Rule {
                form: Form::Tuple,
                args,
                ..
            }) => match first {
                syn::Member::Unnamed(i) => args
                    .get(i.index as usize)
                    .is_some_and(|a| self.element_integer(integer, &a.value, rest, seen)),
                syn::Member::Named(_) => false,
            },
            Some(Op::Rule {
                form: Form::FieldClone(member),
                args,
                ..
            }) => {
                let path: Vec<syn::Member> = std::iter::once(member.clone())
                    .chain(path.iter().cloned())
                    .collect();
                self.element_integer(integer, &args[0].value, &path, seen)
            }
            Some(Op::Rule {
                form: Form::Copy,
                args,
                ..
            }) => self.element_integer(integer, &args[0].value, path, seen),
            _ => self.alternatives.get(&var).is_some_and(|all| {
                all.iter()
                    .any(|a| self.element_integer(integer, a, path, seen))
            }),
        };
        seen.pop();
        found
    }
}

/// An integer type (`usize`, `i32`, `&u8`, ...).
pub fn integer_type(ty: &syn::Type) -> bool {
    const INTEGERS: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
    ];
    match ty {
        syn::Type::Reference(r) => integer_type(&r.elem),
        syn::Type::Paren(p) => integer_type(&p.elem),
        syn::Type::Path(p) => p.qself.is_none() && INTEGERS.iter().any(|n| p.path.is_ident(n)),
        _ => false,
    }
}

/// An integer variable or an integer literal (`2`, `3usize`).
pub fn integer_operand(integer: &[bool], operand: &Operand) -> bool {
    match operand {
        Operand::Var(v) => integer[v.0],
        Operand::Const(syn::Expr::Lit(lit)) => {
            matches!(&lit.lit, syn::Lit::Int(i) if !matches!(i.suffix(), "f32" | "f64"))
        }
        Operand::Const(_) => false,
    }
}

fn integer_op(integer: &[bool], op: &Op, ty: Option<&syn::Type>, values: &Values) -> bool {
    if ty.is_some_and(integer_type) {
        return true;
    }
    if let Op::Rule {
        form: Form::FieldClone(member),
        args,
        ..
    } = op
    {
        let path = [member.clone()];
        return values.element_integer(integer, &args[0].value, &path, &mut Vec::new());
    }
    let all = |args: &[crate::ir::Arg]| {
        !args.is_empty() && args.iter().all(|a| integer_operand(integer, &a.value))
    };
    match op {
        // Lengths, index arithmetic, `min` of data.
        Op::Foreign { pure: true, .. } => true,
        Op::Rule { form, args, .. } | Op::Foreign { form, args, .. } => match form {
            Form::Cast(ty) => integer_type(ty),
            Form::Call(path) => crate::lower::syntax::integer_cast(&syn::Expr::Path(path.clone()))
                .is_some_and(integer_type),
            Form::Method { .. } => args
                .first()
                .is_some_and(|a| integer_operand(integer, &a.value)),
            // Arithmetic on an integer is integer arithmetic: Rust converts nothing
            // implicitly, so `k * 2` and `k + n` are integers whatever `k` is.
            Form::Binary(
                syn::BinOp::Add(_)
                | syn::BinOp::Sub(_)
                | syn::BinOp::Mul(_)
                | syn::BinOp::Div(_)
                | syn::BinOp::Rem(_),
            ) => args.iter().any(|a| integer_operand(integer, &a.value)),
            Form::Binary(op) => {
                !matches!(
                    op,
                    syn::BinOp::Eq(_)
                        | syn::BinOp::Ne(_)
                        | syn::BinOp::Lt(_)
                        | syn::BinOp::Le(_)
                        | syn::BinOp::Gt(_)
                        | syn::BinOp::Ge(_)
                        | syn::BinOp::And(_)
                        | syn::BinOp::Or(_)
                ) && all(args)
            }
            Form::Unary(_) | Form::Copy => all(args),
            _ => false,
        },
        _ => false,
    }
}

/// One pass of the integer fixpoint; whether anything changed.
fn integer_pass(body: &Body, block: BlockId, integer: &mut [bool], values: &Values) -> bool {
    let mut changed = false;
    for stmt in &body.block(block).stmts {
        match stmt {
            Stmt::Let { var, ty, op, .. } => {
                let value = integer_op(integer, op, ty.as_ref(), values);
                changed |= raise(integer, *var, value);
            }
            Stmt::If(i) => {
                changed |= integer_pass(body, i.then_block, integer, values);
                changed |= integer_pass(body, i.else_block, integer, values);
                // Both branches give one type: an integer in either makes both integers.
                for m in &i.merges {
                    let value = integer_operand(integer, &m.then_value)
                        || integer_operand(integer, &m.else_value);
                    changed |= raise(integer, m.var, value);
                }
            }
            Stmt::Loop(l) => {
                if let crate::ir::Header::Range { index, .. } = &l.header {
                    changed |= raise(integer, *index, true);
                }
                for c in &l.carried {
                    let value = integer_operand(integer, &c.init);
                    changed |= raise(integer, c.phi, value);
                    changed |= raise(integer, c.out, value);
                }
                changed |= integer_pass(body, l.body, integer, values);
                for (next, _) in body.nexts(l.body) {
                    for (c, value) in l.carried.iter().zip(next) {
                        let value = integer_operand(integer, value);
                        changed |= raise(integer, c.phi, value);
                        changed |= raise(integer, c.out, value);
                    }
                }
            }
            Stmt::Eval { .. }
            | Stmt::Macro { .. }
            | Stmt::Item(_)
            | Stmt::Next { .. }
            | Stmt::Store { .. } => {}
        }
    }
    changed
}
