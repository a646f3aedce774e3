//! The SSA intermediate representation that `lower` builds and the later stages read.
//!
//! Every value a function computes gets one [`VarId`]; a rebinding (`let x = x * 2.0`,
//! `x += y`, shadowing) creates a new variable, so the reverse sweep can still read every
//! version the forward sweep produced. Control flow stays structured: an [`If`] joins the
//! versions its branches produced in *merges*, and a [`Loop`] names the values it carries
//! from one iteration to the next. Arrays written by index (`a[i] = v`) are the one
//! exception to single assignment: they are memory, written in place, and their writes are
//! [`Stmt::Store`]s. Statements keep the tokens of the source they came from, so any stage
//! can report an error at the user's code.

use proc_macro2::TokenStream;
use syn::{Expr, Ident, Type};

use crate::rules::Rule;

/// Index of a variable in [`Body::vars`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub usize);

/// Index of a block: 0 is the function's top level; see [`Body::blocks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(pub usize);

/// How a value is handed to an operator or a rule without moving it: the macro has no
/// types, so this is what it knows syntactically about each value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `Copy` scalar (`f64`, integers, `bool`): used by value.
    Copy,
    /// Already a reference (a `&[f64]` parameter): used as it is.
    Ref,
    /// An owned value of unknown or non-`Copy` type: borrowed (`&v`) by operators so it is
    /// not moved before the reverse sweep reads it.
    Owned,
}

#[derive(Debug, Clone)]
pub struct Var {
    /// The source variable this is a version of (`None` for a temporary).
    pub source: Option<Ident>,
    /// For a temporary: the stem of its name (`t` gives `t0`, `t1`; `i` gives `i`).
    pub stem: &'static str,
    pub kind: Kind,
    /// Declared `let mut`: kept, because a method may mutate it in place (`v.push(1.0)`).
    pub mutable: bool,
    /// An array written by index: memory, not a single-assignment value.
    pub memory: bool,
    /// The block whose statements define it (for a loop's phi and index: the loop body).
    pub home: BlockId,
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

    /// Whether two operands are the same value: one variable, or constants spelt alike.
    pub fn same(&self, other: &Operand) -> bool {
        match (self, other) {
            (Operand::Var(a), Operand::Var(b)) => a == b,
            (Operand::Const(a), Operand::Const(b)) => {
                quote::quote!(#a).to_string() == quote::quote!(#b).to_string()
            }
            _ => false,
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
    /// `path(args)` of a rule named by a path (`nn::sigmoid`, `f64::sin`), printed with a
    /// compile-time check that `path` is `item`, the runtime's own function: a user's
    /// function of the same name must not be taken for the rule.
    RuleCall {
        path: syn::ExprPath,
        item: proc_macro2::TokenStream,
    },
    /// `args[0] as ty`.
    Cast(Type),
    /// `args[0][args[1]][args[2]]..`.
    Index,
    /// `&args[0].member.member..`: a reference to a (nested) field.
    Field(Vec<syn::Member>),
    /// `args[0].member`, cloned (an element bound by `let (a, b) = ..`).
    FieldClone(syn::Member),
    /// `(args[0], args[1], ..)`.
    Tuple,
    /// `vec![args[0]; args[1]]`.
    VecRepeat,
    /// `args[0]`, copied (cloned when owned).
    Copy,
    /// `args[0].try_inverse().unwrap()`.
    Inverse(Unwrap),
    /// `args[0].lu().solve(args[1]).unwrap()`, or `.qr()`: the decomposition named.
    Solve(Ident, Unwrap),
    /// `args[0].cholesky().unwrap()`.
    Cholesky(Unwrap),
    /// `args[0].name(args[1]).unwrap()`: a triangular solve (`solve_lower_triangular`).
    TriangularSolve(Ident, Unwrap),
}

/// How the user unwraps the `Option` of a solve or decomposition: `.unwrap()` or
/// `.expect("message")` (a string literal), printed as written, so the panic is the user's.
#[derive(Debug, Clone)]
pub struct Unwrap(pub proc_macro2::TokenStream);

#[derive(Debug, Clone)]
pub enum Op {
    /// An operation with a derivative rule in the table.
    Rule {
        rule: &'static Rule,
        form: Form,
        args: Vec<Arg>,
    },
    /// A call or operator without a rule. Fine on inactive values; given an active value
    /// it is an error that names the function. A `pure` call is a shape query (`len`): its
    /// result is data, never a value of its argument, and it may be evaluated again.
    Foreign {
        form: Form,
        args: Vec<Arg>,
        pure: bool,
    },
    /// A call of a function differentiated elsewhere (`#[differentiate]` or
    /// `#[custom_vjp]`): on active arguments, the reverse sweep calls its `_vjp`. A path
    /// `__tapeless_method::m` (see [`called_method`]) is a method call `args[0].m(..)`.
    Call { path: syn::ExprPath, args: Vec<Arg> },
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
            Op::Rule { args, .. } | Op::Foreign { args, .. } | Op::Call { args, .. } => {
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
    Eval {
        op: Op,
        origin: TokenStream,
    },
    /// A macro that cannot change values (`println!`, `assert!`): emitted as written, in a
    /// block that rebinds the source names it mentions to their current versions.
    Macro {
        mac: syn::Macro,
        rebind: Vec<(Ident, VarId)>,
    },
    /// An item declared in the body (`const`, `fn`, `use`): emitted as written.
    Item(syn::Item),
    If(If),
    Loop(Loop),
    /// `array[indices..] = value`, in place.
    Store {
        array: VarId,
        indices: Vec<Operand>,
        value: Operand,
    },
    /// The end of a path through a loop body: the carried variables take `values` (in the
    /// order of [`Loop::carried`]), then the loop stops (`exit`) or goes on.
    Next {
        values: Vec<Operand>,
        exit: bool,
    },
}

/// `if cond { then } else { otherwise }`, joining the versions its branches leave.
#[derive(Debug, Clone)]
pub struct If {
    pub cond: Operand,
    pub then_block: BlockId,
    pub else_block: BlockId,
    pub merges: Vec<Merge>,
}

/// After an `if`, `var` is `then_value` or `else_value`, by the branch taken.
#[derive(Debug, Clone)]
pub struct Merge {
    pub var: VarId,
    pub then_value: Operand,
    pub else_value: Operand,
}

/// A loop. Its body ends every path with a [`Stmt::Next`].
#[derive(Debug, Clone)]
pub struct Loop {
    pub header: Header,
    pub carried: Vec<Carried>,
    pub body: BlockId,
    /// Counts the iterations, for a loop the reverse sweep cannot replay from its range
    /// alone (`loop`, `while`, or a `for` with `break`).
    pub counter: Option<VarId>,
    /// The loop's keyword, where an error about its stack points.
    pub span: proc_macro2::Span,
}

#[derive(Debug, Clone)]
// IR nodes live for one expansion; their size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Header {
    /// `for index in (start..end).adaptors..` (`start..=end` if `inclusive`).
    Range {
        index: VarId,
        start: Operand,
        end: Operand,
        inclusive: bool,
        adaptors: Vec<Adaptor>,
    },
    /// `loop`: until a `Next { exit: true }`.
    Forever,
}

/// An iterator adaptor on a range, in the order written.
#[derive(Debug, Clone)]
pub enum Adaptor {
    Rev,
    StepBy(Operand),
}

/// A variable the loop carries: `phi` is its value at the start of an iteration (homed
/// in the body), `init` its value before the loop, `out` its value after it.
#[derive(Debug, Clone)]
pub struct Carried {
    pub phi: VarId,
    pub init: Operand,
    pub out: VarId,
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    /// The enclosing block (`None` for the top level).
    pub parent: Option<BlockId>,
    /// Whether this block is a loop body or inside one.
    pub in_loop: bool,
}

/// A lowered function body.
#[derive(Debug, Clone)]
pub struct Body {
    pub vars: Vec<Var>,
    /// One variable per parameter, in order.
    pub params: Vec<VarId>,
    /// Block 0 is the top level.
    pub blocks: Vec<Block>,
    /// The returned value.
    pub ret: Operand,
}

pub const TOP: BlockId = BlockId(0);

/// The `Next` statements ending the paths of loop body `body` in `blocks`.
pub fn nexts(blocks: &[Block], body: BlockId) -> Vec<(&[Operand], bool)> {
    fn collect<'a>(blocks: &'a [Block], block: BlockId, found: &mut Vec<(&'a [Operand], bool)>) {
        for stmt in &blocks[block.0].stmts {
            match stmt {
                Stmt::Next { values, exit } => found.push((values, *exit)),
                Stmt::If(i) => {
                    collect(blocks, i.then_block, found);
                    collect(blocks, i.else_block, found);
                }
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    collect(blocks, body, &mut found);
    found
}

impl Body {
    pub fn var(&self, id: VarId) -> &Var {
        &self.vars[id.0]
    }

    pub fn block(&self, id: BlockId) -> &Block {
        &self.blocks[id.0]
    }

    /// Every statement, in blocks nested inside `block` too, in forward order.
    pub fn walk(&self, block: BlockId, visit: &mut dyn FnMut(&Stmt)) {
        for stmt in &self.block(block).stmts {
            visit(stmt);
            match stmt {
                Stmt::If(i) => {
                    self.walk(i.then_block, visit);
                    self.walk(i.else_block, visit);
                }
                Stmt::Loop(l) => self.walk(l.body, visit),
                _ => {}
            }
        }
    }

    /// The `Next` statements that end paths of the loop body `body` (not those of loops
    /// nested in it).
    pub fn nexts(&self, body: BlockId) -> Vec<(&[Operand], bool)> {
        nexts(&self.blocks, body)
    }

    /// The operation of every `let`, by its variable.
    pub fn lets(&self) -> std::collections::HashMap<VarId, &Op> {
        self.blocks
            .iter()
            .flat_map(|b| &b.stmts)
            .filter_map(|stmt| match stmt {
                Stmt::Let { var, op, .. } => Some((*var, op)),
                _ => None,
            })
            .collect()
    }

    /// Whether `inner` is `outer` or nested inside it.
    pub fn is_within(&self, inner: BlockId, outer: BlockId) -> bool {
        let mut block = Some(inner);
        while let Some(b) = block {
            if b == outer {
                return true;
            }
            block = self.block(b).parent;
        }
        false
    }
}

/// The first segment of the path of an [`Op::Call`] of a method on a field
/// (`p.layer.forward(x)`), whose receiver's type the macro cannot name.
pub const METHOD_CALL: &str = "__tapeless_method";

/// The method an [`Op::Call`] calls on its first argument (`forward` in
/// `p.layer.forward(x)`), or `None` for a call of a function or of `Self::m`.
pub fn called_method(path: &syn::ExprPath) -> Option<&Ident> {
    match path.path.segments.iter().collect::<Vec<_>>().as_slice() {
        [marker, method] if marker.ident == METHOD_CALL => Some(&method.ident),
        _ => None,
    }
}
