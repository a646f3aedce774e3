//! Stage 3: activity analysis.
//!
//! A value is *varied* when it depends on a differentiated parameter through operations
//! that carry a derivative, and *useful* when the returned value depends on it through
//! such operations. Only values that are both — *active* — get an adjoint; everything else
//! runs in the forward sweep only. This is also where an operation without a derivative
//! rule is found to matter: a call of an unknown function is fine on data, and an error
//! only when its result is active.

use crate::errors::Errors;
use crate::ir::{Body, Op, Stmt, VarId};
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
    for stmt in &body.block.stmts {
        if let Stmt::Let { var, op, span, .. } = stmt {
            if activity.is_active(*var) {
                check_has_derivative(op, *span, errors);
            }
        }
    }
    activity
}

/// An active result of an operation without a rule would silently lose its derivative:
/// that is an error naming the operation and what to do.
fn check_has_derivative(op: &Op, span: proc_macro2::Span, errors: &mut Errors) {
    match op {
        Op::Rule { .. } => {}
        Op::Foreign { form, .. } => {
            let (what, name) = match form {
                crate::ir::Form::Method { name, .. } => ("method", name.to_string()),
                crate::ir::Form::Call(path) => {
                    let path = &path.path;
                    (
                        "function",
                        quote::quote!(#path).to_string().replace(' ', ""),
                    )
                }
                crate::ir::Form::Binary(op) => ("operator", quote::quote!(#op).to_string()),
                crate::ir::Form::Unary(op) => ("operator", quote::quote!(#op).to_string()),
                crate::ir::Form::Cast(_) => ("cast", "as".to_string()),
            };
            let advice = if what == "method" {
                let known: Vec<&str> = rules::method_names().collect();
                format!(
                    "; methods with a rule: {}. Rewrite it with those, or move the computation into a function annotated with #[differentiate]",
                    known.join(", ")
                )
            } else {
                ". Annotate `".to_string()
                    + &name
                    + "` with #[differentiate] (calls between differentiated functions are planned), or rewrite it with operators and float methods"
            };
            errors.at_span(
                span,
                format!("{what} `{name}` has no derivative rule, and it is applied to a value that depends on a differentiated parameter{advice}"),
            );
        }
        Op::Verbatim { what, .. } => errors.at_span(
            span,
            format!("{what} is not supported on values that depend on a differentiated parameter"),
        ),
    }
}
