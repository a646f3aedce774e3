//! Stage 3: activity analysis.
//!
//! A value is *varied* when it depends on a differentiated parameter through operations
//! that carry a derivative, and *useful* when the returned value depends on it through
//! such operations. Only values that are both — *active* — get an adjoint; everything else
//! runs in the forward sweep only. This is also where an operation without a derivative
//! rule is judged: a call of an unknown function is fine on data, and an error when it
//! receives a varied value.

use crate::errors::Errors;
use crate::ir::{Body, Form, Op, Stmt, VarId};
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
            .zip(rule.differentiable)
            .filter(|(_, &d)| d)
            .filter_map(|(a, _)| a.value.var())
            .collect(),
        Op::Foreign { .. } => op.uses(),
        Op::Verbatim { inert: true, .. } => Vec::new(),
        Op::Verbatim { .. } => op.uses(),
    }
}

pub fn analyse(body: &Body, sig: &Signature, errors: &mut Errors) -> Activity {
    let n = body.vars.len();
    let mut varied = vec![false; n];
    for (param, var) in sig.params.iter().zip(&body.params) {
        varied[var.0] = param.differentiated;
    }
    for stmt in &body.block.stmts {
        if let Stmt::Let { var, op, .. } = stmt {
            varied[var.0] = differentiable_uses(op).iter().any(|u| varied[u.0]);
        }
    }

    let mut useful = vec![false; n];
    if let Some(ret) = body.ret.var() {
        useful[ret.0] = true;
    }
    for stmt in body.block.stmts.iter().rev() {
        if let Stmt::Let { var, op, .. } = stmt {
            if useful[var.0] {
                for used in differentiable_uses(op) {
                    useful[used.0] = true;
                }
            }
        }
    }

    let activity = Activity { varied, useful };
    check_operations_without_rules(body, sig, &activity, errors);
    activity
}

/// An operation without a derivative rule that receives a varied value would lose its
/// derivative silently, even when its result is dropped: the callee may store the value
/// (`cell.set(x)`). That is an error naming the operation and what to do. A value made by
/// a rejected operation is "poisoned", so its later uses are not reported again.
fn check_operations_without_rules(
    body: &Body,
    sig: &Signature,
    activity: &Activity,
    errors: &mut Errors,
) {
    let mut poisoned = vec![false; body.vars.len()];
    for stmt in &body.block.stmts {
        let (op, origin, result) = match stmt {
            Stmt::Let {
                var, op, origin, ..
            } => (op, origin, Some(*var)),
            Stmt::Eval { op, origin } => (op, origin, None),
            _ => continue,
        };
        let uses = op.uses();
        if uses.iter().any(|u| poisoned[u.0]) {
            if let Some(result) = result {
                poisoned[result.0] = true;
            }
            continue;
        }
        let receives_varied = uses.iter().any(|u| activity.varied[u.0]);
        let message = match op {
            Op::Foreign { form, .. } if receives_varied => foreign_message(form, sig),
            Op::Verbatim {
                inert: false,
                what,
                advice,
                ..
            } if receives_varied => format!(
                "{what} is not supported on values that depend on a differentiated parameter; {advice}"
            ),
            _ => continue,
        };
        errors.at(origin, message);
        if let Some(result) = result {
            poisoned[result.0] = true;
        }
    }
}

fn foreign_message(form: &Form, sig: &Signature) -> String {
    match form {
        Form::Method { name, .. } => {
            let known: Vec<&str> = rules::method_names().collect();
            format!(
                "method `{name}` has no derivative rule, and it receives a value that depends on a differentiated parameter; rewrite it with operators and float methods that have rules ({})",
                known.join(", ")
            )
        }
        Form::Call(path) if path.path.is_ident(&sig.item.sig.ident) => format!(
            "recursion is not supported by #[differentiate]: `{}` calls itself; write the recursion as a loop",
            sig.item.sig.ident
        ),
        Form::Call(path) => {
            let path = &path.path;
            let name = quote::quote!(#path).to_string().replace(' ', "");
            format!(
                "function `{name}` has no derivative rule, and it receives a value that depends on a differentiated parameter; write it with operators and float methods that have rules (calls between #[differentiate] functions and custom rules are planned)"
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
    }
}
