//! The SSA intermediate representation that `lower` builds and the later stages read.
//!
//! Every value a function computes gets one [`VarId`]; a rebinding (`let x = x * 2.0`,
//! `x += y`, shadowing) creates a new variable, so the reverse sweep can still read every
//! version the forward sweep produced. Statements keep the tokens of the source they came
//! from, so any stage can report an error at the user's code.

use proc_macro2::TokenStream;
use syn::{Expr, Ident, Type};

use crate::rules::Rule;

/// Index of a variable in [`Body::vars`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub usize);

/// How a value is handed to an operator or a rule without moving it: the macro has no
/// types, so this is what it knows syntactically about each value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `Copy` scalar (`f64`, integers, `bool`): used by value.
    Copy,
    /// Already a reference (a `&DVector<f64>` parameter): used as it is.
    Ref,
    /// An owned value of unknown or non-`Copy` type: borrowed (`&v`) by operators so it is
    /// not moved before the reverse sweep reads it.
    Owned,
}

#[derive(Debug, Clone)]
pub struct Var {
    /// The source variable this is a version of (`None` for a temporary).
    pub source: Option<Ident>,
    pub kind: Kind,
    /// Declared `let mut`: kept, because a method may mutate it in place (`v.push(1.0)`).
    pub mutable: bool,
}

/// An argument of an operation.
#[derive(Debug, Clone)]
pub enum Operand {
    Var(VarId),
    /// A closed constant expression: a literal, a constant's path, or arithmetic on those
    /// (`2.0`, `PI`, `-1.0 / 3.0`). Cheap to evaluate again, never differentiated.
    Const(Expr),
}

impl Operand {
    pub fn var(&self) -> Option<VarId> {
        match self {
            Operand::Var(v) => Some(*v),
            Operand::Const(_) => None,
        }
    }
}

/// An argument as the user wrote it: `&a` in `x.dot(&a)` keeps its `&`.
#[derive(Debug, Clone)]
pub struct Arg {
    pub value: Operand,
    pub borrowed: bool,
}

/// How the forward sweep spells an operation.
#[derive(Debug, Clone)]
pub enum Form {
    /// `a op b`.
    Binary(syn::BinOp),
    /// `op a`.
    Unary(syn::UnOp),
    /// `args[0].name::<turbofish>(args[1..])`.
    Method {
        name: Ident,
        turbofish: Option<syn::AngleBracketedGenericArguments>,
    },
    /// `path(args)`.
    Call(syn::ExprPath),
    /// `args[0] as ty`.
    Cast(Type),
}

#[derive(Debug, Clone)]
pub enum Op {
    /// An operation with a derivative rule in the table.
    Rule {
        rule: &'static Rule,
        form: Form,
        args: Vec<Arg>,
    },
    /// A call or operator without a rule. Fine on inactive values; on an active value it
    /// is an error that names the function.
    Foreign { form: Form, args: Vec<Arg> },
    /// Any other expression, emitted as written with its variables renamed to their SSA
    /// names (`uses`). `inert` results (booleans) carry no derivative; a non-inert one on
    /// an active value is an error.
    Verbatim {
        expr: Expr,
        /// Each source name the expression mentions, with the version it means.
        uses: Vec<(Ident, VarId)>,
        inert: bool,
        /// What the expression is and what to do instead, for the error on active values.
        what: &'static str,
        advice: &'static str,
    },
}

impl Op {
    /// The variables this operation reads.
    pub fn uses(&self) -> Vec<VarId> {
        match self {
            Op::Rule { args, .. } | Op::Foreign { args, .. } => {
                args.iter().filter_map(|a| a.value.var()).collect()
            }
            Op::Verbatim { uses, .. } => uses.iter().map(|(_, v)| *v).collect(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Stmt {
    /// `let var: ty = op;`
    Let {
        var: VarId,
        ty: Option<Type>,
        op: Op,
        /// The source expression, for errors that underline all of it.
        origin: TokenStream,
    },
    /// An expression evaluated for its effect: `op;`.
    Eval { op: Op, origin: TokenStream },
    /// A macro that cannot change values (`println!`, `assert!`): emitted as written, in a
    /// block that rebinds the source names it mentions to their current versions.
    Macro {
        mac: syn::Macro,
        rebind: Vec<(Ident, VarId)>,
    },
    /// An item declared in the body (`const`, `fn`, `use`): emitted as written.
    Item(syn::Item),
}

/// A straight-line block. (Branches and loops will be regions inside it.)
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
}

/// A lowered function body.
#[derive(Debug, Clone)]
pub struct Body {
    pub vars: Vec<Var>,
    /// One variable per parameter, in order.
    pub params: Vec<VarId>,
    pub block: Block,
    /// The returned value.
    pub ret: Operand,
}

impl Body {
    pub fn var(&self, id: VarId) -> &Var {
        &self.vars[id.0]
    }
}
