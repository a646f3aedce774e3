//! Stage 4: the reverse sweep.
//!
//! Walks the body backwards. The returned value's adjoint is the seed; for each active
//! operation, in reverse order, every active argument in a differentiable position gets
//! the contribution its rule gives (`helper(&mut d_arg, args.., &out, &d_out)`).
//! Contributions accumulate, which is the total-derivative chain rule for values used
//! more than once. An adjoint is declared just before its first contribution, so each
//! lives only as long as the reverse sweep needs it.

use std::collections::HashSet;

use crate::analyse::Activity;
use crate::ir::{Arg, Body, Op, Operand, Stmt, VarId};

/// One statement of the reverse sweep.
pub enum Adjoint {
    /// `let mut d_v = seed;`: the first contribution to `v` is the seed.
    Seed(VarId),
    /// `d_v += seed;` for a value that already has an adjoint (a returned parameter).
    AddSeed(VarId),
    /// `let mut d_v = zero_adjoint(&v);`
    Zero(VarId),
    /// `helper(&mut d_target, &args.., &out, &d_out);`
    Accumulate {
        helper: String,
        target: VarId,
        args: Vec<Arg>,
        out: VarId,
    },
}

/// The reverse sweep of `body`; `declared` holds the adjoints that exist before it starts
/// (those of the differentiated parameters).
pub fn reverse(body: &Body, activity: &Activity, declared: &[VarId]) -> Vec<Adjoint> {
    let mut sweep = Sweep {
        activity,
        declared: declared.iter().copied().collect(),
        out: Vec::new(),
    };
    if let Operand::Var(ret) = body.ret {
        if activity.is_active(ret) {
            if sweep.declared.insert(ret) {
                sweep.out.push(Adjoint::Seed(ret));
            } else {
                sweep.out.push(Adjoint::AddSeed(ret));
            }
        }
    }
    for stmt in body.block.stmts.iter().rev() {
        sweep.stmt(stmt);
    }
    sweep.out
}

struct Sweep<'a> {
    activity: &'a Activity,
    declared: HashSet<VarId>,
    out: Vec<Adjoint>,
}

impl Sweep<'_> {
    fn stmt(&mut self, stmt: &Stmt) {
        let Stmt::Let {
            var,
            op: Op::Rule { rule, args, .. },
            ..
        } = stmt
        else {
            // Other operations are never active (`analyse` reports them if they are).
            return;
        };
        if !self.activity.is_active(*var) {
            return;
        }
        for (index, arg) in args.iter().enumerate() {
            let Some(target) = arg.value.var() else {
                continue;
            };
            if !rule.differentiable[index] || !self.activity.is_active(target) {
                continue;
            }
            if self.declared.insert(target) {
                self.out.push(Adjoint::Zero(target));
            }
            self.out.push(Adjoint::Accumulate {
                helper: rule.helper_for(index),
                target,
                args: args.clone(),
                out: *var,
            });
        }
    }
}
