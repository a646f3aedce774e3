//! Stage 2: the function body to SSA ([`crate::ir`]).
//!
//! Each expression becomes a chain of `let` statements, one per operation; each binding,
//! reassignment or compound assignment of a variable creates a new version of it. Constant
//! sub-expressions (`2.0 * PI`) stay inline.
//!
//! Control flow stays structured. An `if` gets two blocks and *merges* for the variables
//! its branches changed. A loop gets a body block, *carried* variables (those its body
//! assigns: a value at the start of each iteration, `phi`, and one after the loop), and
//! its body ends every path with a `Next` statement that says what the carried variables
//! become and whether the loop goes on. Early exits need no flags: when an `if` exits
//! (`break`, `continue`, `return`), the rest of the enclosing statements is lowered into
//! each of its branches that falls through, so every path ends in exactly one exit.
//!
//! Everything the later stages cannot handle is reported here with the span of the
//! construct and what to do instead; lowering carries on after an error, so that all of
//! them are reported together.

mod expr;
pub mod syntax;

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Expr, Ident, Pat, Stmt as SynStmt};

use crate::errors::Errors;
use crate::ir::{
    Arg, Block, BlockId, Body, Carried, Form, Header, If, Kind, Loop, Merge, Op, Operand, Stmt,
    Var, VarId, TOP,
};
use crate::parse::{Floats, Signature};
use crate::rules;

pub use syntax::Rename;

/// Lowers the body. Constructs that cannot be lowered are reported and left out, and the
/// rest is still returned, so that `analyse` can report its own errors beside them.
pub fn lower<'e>(sig: &'e Signature, errors: &'e mut Errors) -> Body {
    let block = &sig.item.block;
    let mut lowerer = Lowerer {
        vars: Vec::new(),
        blocks: vec![Block::default()],
        current: TOP,
        scopes: vec![HashMap::new()],
        loops: Vec::new(),
        failed: HashSet::new(),
        reductions: 0,
        param_vars: HashSet::new(),
        field_reads: HashMap::new(),
        prelude: Vec::new(),
        statement_reads: HashMap::new(),
        block_reads: HashMap::new(),
        structures: HashMap::new(),
        closures: HashMap::new(),
        elements_by_reference: HashSet::new(),
        user_elements: HashSet::new(),
        users_own: HashSet::new(),
        copied_elements: HashSet::new(),
        field_containers: HashSet::new(),
        data_params: HashSet::new(),
        element_containers: HashMap::new(),
        referenced_elements: HashSet::new(),
        floats: sig.floats(),
        unmarked: &sig.unmarked,
        errors,
    };
    let params = sig
        .params
        .iter()
        .map(|p| {
            let var = lowerer.new_var(Some(p.ident.clone()), p.kind);
            lowerer.bind(&p.ident, var);
            var
        })
        .collect::<Vec<VarId>>();
    lowerer.param_vars = params.iter().copied().collect();
    for (p, var) in sig.params.iter().zip(&params) {
        if !p.differentiated {
            lowerer.data_params.insert(*var);
        }
        if sig.floats().elements_by_reference(&p.ty) {
            lowerer.elements_by_reference.insert(*var);
            if !p.differentiated {
                lowerer.copied_elements.insert(*var);
            }
        }
        if sig.floats().user_elements(&p.ty) {
            lowerer.user_elements.insert(*var);
        }
        if sig.floats().users_own(&p.ty) {
            lowerer.users_own.insert(*var);
        }
    }
    if syntax::exits_of_block(block).ret {
        lowerer.declare_return_slots(sig);
    }
    let ret = lowerer.seq(
        &[Frame {
            stmts: &block.stmts,
            depth: 1,
            scoped: false,
        }],
        End::Function,
    );
    // Without a value, lowering has reported why; the errors stop the expansion, so the
    // placeholder below is never emitted.
    if ret.is_none() && lowerer.errors.is_empty() {
        lowerer
            .errors
            .internal("the body has no value but no error says why");
    }
    let mut blocks = lowerer.blocks;
    blocks[TOP.0].stmts.splice(0..0, lowerer.prelude);
    Body {
        vars: lowerer.vars,
        params,
        blocks,
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

/// The names under which a `return` inside a loop leaves its flag and its value, so that
/// the code after each enclosing loop can return it. They cannot collide with a user's
/// names (they are not identifiers).
const RETURNED: &str = "#returned";
/// The `what` of the `same_type` statement that types a literal by an earlier version of
/// its variable (the reverse planner must not evaluate such a literal again on its own).
pub const TYPE_TIE: &str = "a type annotation";
const RETURN_VALUE: &str = "#return";

/// Statements to lower: they run at scope depth `depth` (the scopes above it belong to
/// statements that ended before them), in a scope of their own if `scoped`.
#[derive(Clone, Copy)]
struct Frame<'f> {
    stmts: &'f [SynStmt],
    depth: usize,
    scoped: bool,
}

/// What a statement sequence ends with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// The function's value.
    Function,
    /// A loop body: every path ends with `continue` or `break`.
    LoopBody,
    /// The value of a block expression.
    Value,
    /// Nothing (a block used as a statement, a branch of an `if` statement).
    Unit,
}

struct LoopContext {
    carried: Vec<String>,
    /// The scope depth outside the body: where the carried variables are declared (a
    /// `let` of the same name inside the body shadows them only there).
    depth: usize,
}

struct Lowerer<'e> {
    vars: Vec<Var>,
    blocks: Vec<Block>,
    current: BlockId,
    /// Source name → current version, innermost scope last.
    scopes: Vec<HashMap<String, VarId>>,
    loops: Vec<LoopContext>,
    /// Names whose definition was rejected: their uses are not reported again.
    failed: HashSet<String>,
    /// Counts desugared reductions (`.sum()`), to name their accumulators.
    reductions: usize,
    /// The parameters' variables: fields read from them are hoisted to the top.
    param_vars: HashSet<VarId>,
    /// Field reads of parameters (`p.w1`), read once at the top of the function so their
    /// adjoints accumulate there, however deep in loops the reads are: by the parameter
    /// and the field path.
    field_reads: HashMap<(VarId, String), VarId>,
    /// The `let`s of those reads, placed before the body's statements.
    prelude: Vec<Stmt>,
    /// Element reads made in the current statement, by block and operands: a statement
    /// writes only after its expressions are read, so a read repeated in it is the same.
    statement_reads: HashMap<(BlockId, String), VarId>,
    /// Element reads of containers that nothing can change (a parameter held by shared
    /// reference, a field of one), by block and operands: repeated in later statements of
    /// the same block (`x[i]` in `a = x[i + 1] - x[i] * x[i]` and in `b = 1.0 - x[i]`),
    /// the read is one value, whose adjoint is added into `x̄[i]` once.
    block_reads: HashMap<(BlockId, String), VarId>,
    /// The structure of index values (`Lowerer::operand_key`), by variable.
    structures: HashMap<VarId, String>,
    /// Closures bound by `let f = |x| ..;`, by the placeholder variable `f` is bound to:
    /// a call `f(a)` is lowered as the body with `x = a`, in the scopes of the definition.
    closures: HashMap<VarId, ClosureDef>,
    /// Containers whose elements are read by reference (`&xs[i]`), by their type
    /// (`xs: &[Vec<f64>]`: see `Floats::elements_by_reference`).
    elements_by_reference: HashSet<VarId>,
    /// Containers whose elements read by reference are copies where used as values
    /// (`f(modes[i])`, `let m = modes[i];`): a parameter that is not differentiated (data,
    /// its elements `Copy` where the source copies them).
    copied_elements: HashSet<VarId>,
    /// Containers that are fields of parameters (see `Floats::elements_by_reference`: their
    /// element type is not in the signature): read by reference as places, by value as
    /// values.
    field_containers: HashSet<VarId>,
    /// The parameters that are not differentiated (data).
    data_params: HashSet<VarId>,
    /// Loop elements that are references in the source: read from a container held by
    /// reference (`for e in data` over `data: &[(Vec<f64>, f64)]`), and the fields that
    /// destructuring them binds; a tuple pattern binds their fields by reference.
    referenced_elements: HashSet<VarId>,
    /// The container each element read by reference was read from.
    element_containers: HashMap<VarId, VarId>,
    /// Containers whose elements are of a type of the user's own (`comps: &[Component]`:
    /// see `Floats::user_elements`).
    user_elements: HashSet<VarId>,
    /// Values of a type of the user's own: parameters (`model: &Dense`) and elements of the
    /// containers above, on which a method call is the user's (`c.log_pdf(x)`), as on a
    /// field.
    users_own: HashSet<VarId>,
    /// The function's float types (`T` in `fn f<T: Float>`).
    floats: Floats<'e>,
    /// The functions of the method's `impl` block without a derivative
    /// (`Signature::unmarked`): calling one is a foreign call.
    unmarked: &'e [String],
    errors: &'e mut Errors,
}

#[derive(Clone)]
struct ClosureDef {
    closure: syn::ExprClosure,
    params: Vec<Ident>,
    body: Expr,
    scopes: Vec<HashMap<String, VarId>>,
}

/// What `Lowerer::save` keeps to undo a trial lowering of a loop body.
struct Saved {
    vars: usize,
    blocks: usize,
    stmts: usize,
    errors: usize,
    scopes: Vec<HashMap<String, VarId>>,
    failed: HashSet<String>,
    reductions: usize,
    prelude: usize,
    field_reads: HashMap<(VarId, String), VarId>,
    closures: HashMap<VarId, ClosureDef>,
}

impl Lowerer<'_> {
    // ---- variables and blocks ------------------------------------------------------

    fn new_var(&mut self, source: Option<Ident>, kind: Kind) -> VarId {
        self.vars.push(Var {
            source,
            stem: "t",
            kind,
            mutable: false,
            memory: false,
            home: self.current,
        });
        VarId(self.vars.len() - 1)
    }

    fn new_temp(&mut self, stem: &'static str, kind: Kind) -> VarId {
        let var = self.new_var(None, kind);
        self.vars[var.0].stem = stem;
        var
    }

    fn lookup(&self, name: &str) -> Option<VarId> {
        self.lookup_within(name, self.scopes.len())
    }

    /// The binding of `name` in the outermost `depth` scopes.
    fn lookup_within(&self, name: &str, depth: usize) -> Option<VarId> {
        self.scopes[..depth.min(self.scopes.len())]
            .iter()
            .rev()
            .find_map(|s| s.get(name).copied())
    }

    /// `let name = ..`: a new binding in the innermost scope.
    fn bind(&mut self, name: &Ident, var: VarId) {
        self.bind_str(&name.to_string(), var);
    }

    fn bind_str(&mut self, name: &str, var: VarId) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), var);
        }
    }

    /// `name = ..`: the binding where `name` was declared now means `var`.
    fn assign(&mut self, name: &str, var: VarId) -> bool {
        match self.scopes.iter_mut().rev().find(|s| s.contains_key(name)) {
            Some(scope) => {
                scope.insert(name.to_string(), var);
                true
            }
            None => false,
        }
    }

    fn push(&mut self, stmt: Stmt) {
        self.blocks[self.current.0].stmts.push(stmt);
    }

    fn last_stmt(&mut self) -> Option<&mut Stmt> {
        self.blocks[self.current.0].stmts.last_mut()
    }

    /// Appends `let tN = op;` and returns `tN`.
    fn push_let(&mut self, op: Op, kind: Kind, origin: TokenStream) -> VarId {
        let var = self.new_var(None, kind);
        self.push(Stmt::Let {
            var,
            ty: None,
            op,
            origin,
        });
        var
    }

    fn new_block(&mut self, in_loop: bool) -> BlockId {
        let parent = self.current;
        let in_loop = in_loop || self.blocks[parent.0].in_loop;
        self.blocks.push(Block {
            stmts: Vec::new(),
            parent: Some(parent),
            in_loop,
        });
        BlockId(self.blocks.len() - 1)
    }

    /// Runs `lower` with `block` as the current block.
    fn in_block<T>(&mut self, block: BlockId, lower: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::replace(&mut self.current, block);
        let result = lower(self);
        self.current = outer;
        result
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

    fn save(&self) -> Saved {
        Saved {
            vars: self.vars.len(),
            blocks: self.blocks.len(),
            stmts: self.blocks[self.current.0].stmts.len(),
            errors: self.errors.len(),
            scopes: self.scopes.clone(),
            failed: self.failed.clone(),
            reductions: self.reductions,
            prelude: self.prelude.len(),
            field_reads: self.field_reads.clone(),
            closures: self.closures.clone(),
        }
    }

    fn restore(&mut self, saved: Saved) {
        self.vars.truncate(saved.vars);
        self.blocks.truncate(saved.blocks);
        self.blocks[self.current.0].stmts.truncate(saved.stmts);
        self.errors.truncate(saved.errors);
        self.scopes = saved.scopes;
        self.failed = saved.failed;
        self.reductions = saved.reductions;
        self.prelude.truncate(saved.prelude);
        self.field_reads = saved.field_reads;
        self.closures = saved.closures;
        // Variables of the undone lowering may be remembered there.
        self.statement_reads.clear();
        self.block_reads.clear();
        self.structures.retain(|v, _| v.0 < saved.vars);
    }

    /// `let returned = false; let ret = 0.0;` at the top: where a `return` inside a loop
    /// leaves its value for the code after the loop.
    fn declare_return_slots(&mut self, sig: &Signature) {
        // A vector or matrix result starts as an empty value of its type, never read.
        let (ret_value, ret_ty, ret_kind) = if sig.scalar_ret && sig.float_generics.is_empty() {
            (quote::quote!(0.0), Some(sig.ret.clone()), Kind::Copy)
        } else {
            let ty = &sig.ret;
            (
                quote::quote!(<#ty as ::core::default::Default>::default()),
                Some(ty.clone()),
                Kind::Owned,
            )
        };
        for (name, stem, value, ty, kind) in [
            (RETURNED, "returned", quote::quote!(false), None, Kind::Copy),
            (RETURN_VALUE, "ret", ret_value, ret_ty, ret_kind),
        ] {
            let var = self.new_temp(stem, kind);
            let op = Op::Verbatim {
                expr: syn::parse_quote!(#value),
                uses: Vec::new(),
                inert: false,
                what: "",
                advice: "",
            };
            self.push(Stmt::Let {
                var,
                ty,
                op,
                origin: TokenStream::new(),
            });
            self.bind_str(name, var);
        }
    }

    // ---- sequences and exits -------------------------------------------------------

    /// Lowers the statements of `frames` in order and ends the sequence as `end` says; the
    /// value of a value-producing sequence is returned. The scope depth is the same after
    /// it as before.
    fn seq(&mut self, frames: &[Frame<'_>], end: End) -> Option<Operand> {
        let entry = self.scopes.len();
        let result = self.run_frames(frames, end);
        self.scopes.truncate(entry.max(1));
        while self.scopes.len() < entry {
            self.scopes.push(HashMap::new());
        }
        result
    }

    fn run_frames(&mut self, frames: &[Frame<'_>], end: End) -> Option<Operand> {
        let Some((first, others)) = frames.split_first() else {
            return self.finish(end);
        };
        // The frames before this one have ended: their scopes are gone.
        self.scopes.truncate(first.depth.max(1));
        if first.scoped {
            self.scopes.push(HashMap::new());
        }
        self.frame(first, others, end)
    }

    /// A frame at the current depth.
    fn frame_here<'f>(&self, stmts: &'f [SynStmt], scoped: bool) -> Frame<'f> {
        Frame {
            stmts,
            depth: self.scopes.len(),
            scoped,
        }
    }

    fn frame(&mut self, frame: &Frame<'_>, others: &[Frame<'_>], end: End) -> Option<Operand> {
        let stmts = frame.stmts;
        for (i, stmt) in stmts.iter().enumerate() {
            self.statement_reads.clear();
            let here = self.scopes.len();
            let rest = |_: ()| -> Vec<Frame<'_>> {
                std::iter::once(Frame {
                    stmts: &stmts[i + 1..],
                    depth: here,
                    scoped: false,
                })
                .chain(others.iter().copied())
                .collect()
            };
            let is_tail = i + 1 == stmts.len() && others.iter().all(|f| f.stmts.is_empty());
            match stmt {
                SynStmt::Expr(Expr::Return(ret), _) => return self.return_(ret, end),
                SynStmt::Expr(Expr::Break(b), _) => return self.break_(b, end),
                SynStmt::Expr(Expr::Continue(c), _) => return self.continue_(c, end),
                // A block is spliced in, with its own scope, so exits inside it see the rest
                // of the enclosing sequence (and a tail block's value is the sequence's).
                SynStmt::Expr(Expr::Block(b), _) if b.label.is_none() => {
                    let mut frames = vec![self.frame_here(&b.block.stmts, true)];
                    frames.extend(rest(()));
                    return self.run_frames(&frames, end);
                }
                SynStmt::Expr(Expr::If(expr_if), _) if syntax::exits_of_stmt(stmt).any() => {
                    return self.exiting_if(expr_if, &rest(()), end);
                }
                SynStmt::Expr(Expr::Match(m), _) if syntax::exits_of_stmt(stmt).any() => {
                    let chain = self.match_chain(m)?;
                    let mut frames = vec![self.frame_here(std::slice::from_ref(&chain), true)];
                    frames.extend(rest(()));
                    return self.run_frames(&frames, end);
                }
                SynStmt::Expr(Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_), _)
                    if syntax::exits_of_stmt(stmt).ret =>
                {
                    // A `return` inside the loop: after the loop, return if it did.
                    self.expr_stmt(match stmt {
                        SynStmt::Expr(e, _) => e,
                        _ => return None,
                    });
                    return self.return_if_returned(&rest(()), end);
                }
                SynStmt::Expr(expr, None)
                    if is_tail && matches!(end, End::Function | End::Value) =>
                {
                    return self.expr(expr).map(|a| a.value);
                }
                _ if syntax::exits_of_stmt(stmt).any() => {
                    self.errors.at(
                        stmt,
                        "`break`, `continue` and `return` are supported directly in a loop body or a function body, or in the branches of an `if` or `match` there; move it out of this expression",
                    );
                }
                SynStmt::Local(local) => {
                    // An array written by index later in its scope is memory: the rest of
                    // this frame and the frames that continue in the same scope, up to a
                    // `let` that shadows it.
                    let memory = local_name(local).is_some_and(|name| {
                        let same_scope = std::iter::once(&stmts[i + 1..])
                            .chain(others.iter().filter(|f| f.depth >= here).map(|f| f.stmts));
                        let mut written = false;
                        for part in same_scope {
                            if let Some(found) =
                                syntax::written_by_index_before_shadowed(part, &name)
                            {
                                written = found;
                                break;
                            }
                        }
                        written
                    });
                    self.local(local, memory);
                }
                SynStmt::Item(item) if self.scopes.len() > 1 || self.current != TOP => {
                    self.errors.at(
                        item,
                        "items (`const`, `use`, `fn`, ...) are supported at the top level of a differentiated function's body, where the reverse sweep sees them too; move this one there or out of the function",
                    );
                }
                _ => self.stmt(stmt),
            }
        }
        self.run_frames(others, end)
    }

    /// The end of a sequence that did not exit explicitly.
    fn finish(&mut self, end: End) -> Option<Operand> {
        match end {
            End::LoopBody => {
                let values = self.carried_values();
                self.push(Stmt::Next {
                    values,
                    exit: false,
                });
                None
            }
            End::Function => {
                self.errors.at_span(
                    Span::call_site(),
                    "the function must end with the float it returns (a final expression or `return value;`)",
                );
                None
            }
            End::Value => {
                self.errors.at_span(
                    Span::call_site(),
                    "a block used as a value must end with an expression",
                );
                None
            }
            End::Unit => None,
        }
    }

    /// The values of the carried variables at the end of an iteration. A carried variable
    /// that is not in scope is a broken invariant: reported, never replaced by a value.
    fn carried_values(&mut self) -> Vec<Operand> {
        let Some(context) = self.loops.last() else {
            return Vec::new();
        };
        let values: Vec<Option<VarId>> = context
            .carried
            .iter()
            .map(|name| self.lookup_within(name, context.depth))
            .collect();
        if values.iter().any(Option::is_none) {
            self.errors.internal(
                "a variable carried by a loop is not in scope at the end of an iteration",
            );
        }
        values
            .into_iter()
            .map(|v| match v {
                Some(var) => Operand::Var(var),
                // Never emitted: the error above stops the expansion.
                None => Operand::Const(syn::parse_quote!(0.0)),
            })
            .collect()
    }

    fn return_(&mut self, ret: &syn::ExprReturn, end: End) -> Option<Operand> {
        let Some(value) = &ret.expr else {
            self.errors
                .at(ret, "`return` without a value: return the float result");
            return None;
        };
        match end {
            End::Function => self.expr(value).map(|a| a.value),
            End::LoopBody => {
                // Leave the value and the flag for the code after the loop, then break.
                let value = self.expr(value)?;
                let value = self.materialize(value, RETURN_VALUE);
                let flag = self.materialize(
                    Arg {
                        value: Operand::Const(syn::parse_quote!(true)),
                        borrowed: false,
                    },
                    RETURNED,
                );
                self.assign(RETURN_VALUE, value);
                self.assign(RETURNED, flag);
                let values = self.carried_values();
                self.push(Stmt::Next { values, exit: true });
                None
            }
            End::Value | End::Unit => {
                self.errors.at(
                    ret,
                    "`return` inside a block used as a value is not supported by #[differentiate]; return from the function body or a loop body",
                );
                None
            }
        }
    }

    /// A variable holding `value` (a new one unless it already is a variable).
    fn materialize(&mut self, value: Arg, stem_of: &str) -> VarId {
        if let Operand::Var(v) = value.value {
            return v;
        }
        let stem = if stem_of == RETURNED {
            "returned"
        } else {
            "ret"
        };
        let var = self.new_temp(stem, Kind::Copy);
        let Operand::Const(expr) = value.value else {
            return var;
        };
        self.push(Stmt::Let {
            var,
            ty: None,
            op: Op::Verbatim {
                expr,
                uses: Vec::new(),
                inert: false,
                what: "",
                advice: "",
            },
            origin: TokenStream::new(),
        });
        var
    }

    /// After a loop containing `return`: `if returned { return ret } rest`.
    fn return_if_returned(&mut self, rest: &[Frame<'_>], end: End) -> Option<Operand> {
        let (Some(flag), Some(value)) = (self.lookup(RETURNED), self.lookup(RETURN_VALUE)) else {
            return None;
        };
        if end == End::Function && rest.iter().all(|f| f.stmts.is_empty()) {
            // The loop is the function's tail (`loop { .. return v; }`): it only ends by
            // returning.
            return Some(Operand::Var(value));
        }
        let then_block = self.new_block(false);
        let then_value = self.in_block(then_block, |s| match end {
            End::Function => Some(Operand::Var(value)),
            End::LoopBody => {
                let values = s.carried_values();
                s.push(Stmt::Next { values, exit: true });
                None
            }
            _ => None,
        });
        let else_block = self.new_block(false);
        let else_value = self.in_block(else_block, |s| s.seq(rest, end));
        self.join_exits(
            Operand::Var(flag),
            then_block,
            then_value,
            else_block,
            else_value,
            end,
        )
    }

    fn break_(&mut self, b: &syn::ExprBreak, end: End) -> Option<Operand> {
        if b.label.is_some() {
            self.errors.at(b, "labelled `break` is not supported by #[differentiate]; break out of the innermost loop and test a flag");
            return None;
        }
        if b.expr.is_some() {
            self.errors.at(b, "`break` with a value is not supported by #[differentiate]; assign the value to a variable declared before the loop");
            return None;
        }
        if end != End::LoopBody {
            self.errors.at(b, "`break` here is not supported by #[differentiate]; use it directly in the loop body or in an `if` branch there");
            return None;
        }
        let values = self.carried_values();
        self.push(Stmt::Next { values, exit: true });
        None
    }

    fn continue_(&mut self, c: &syn::ExprContinue, end: End) -> Option<Operand> {
        if c.label.is_some() {
            self.errors.at(
                c,
                "labelled `continue` is not supported by #[differentiate]",
            );
            return None;
        }
        if end != End::LoopBody {
            self.errors.at(c, "`continue` here is not supported by #[differentiate]; use it directly in the loop body or in an `if` branch there");
            return None;
        }
        self.finish(End::LoopBody)
    }

    /// An `if` with an exit in it: each branch continues with the rest of the sequence.
    fn exiting_if(
        &mut self,
        expr_if: &syn::ExprIf,
        rest: &[Frame<'_>],
        end: End,
    ) -> Option<Operand> {
        if !matches!(end, End::Function | End::LoopBody) {
            self.errors.at(
                expr_if.if_token,
                "`break`, `continue` and `return` are supported in an `if` directly in a loop body or the function body",
            );
            return None;
        }
        let cond = self.condition(&expr_if.cond)?;
        let snapshot = self.scopes.clone();
        let then_block = self.new_block(false);
        let then_value = self.in_block(then_block, |s| {
            let mut frames = vec![s.frame_here(&expr_if.then_branch.stmts, true)];
            frames.extend_from_slice(rest);
            s.seq(&frames, end)
        });
        self.scopes = snapshot.clone();
        let else_stmts: Vec<SynStmt> = match &expr_if.else_branch {
            None => Vec::new(),
            Some((_, e)) => match &**e {
                Expr::Block(b) => b.block.stmts.clone(),
                other => vec![SynStmt::Expr(other.clone(), None)],
            },
        };
        let else_block = self.new_block(false);
        let else_value = self.in_block(else_block, |s| {
            let mut frames = vec![s.frame_here(&else_stmts, true)];
            frames.extend_from_slice(rest);
            s.seq(&frames, end)
        });
        self.scopes = snapshot;
        self.join_exits(cond, then_block, then_value, else_block, else_value, end)
    }

    /// The `If` of two branches that both end their sequence: in a function body, its
    /// value is the function's value.
    fn join_exits(
        &mut self,
        cond: Operand,
        then_block: BlockId,
        then_value: Option<Operand>,
        else_block: BlockId,
        else_value: Option<Operand>,
        end: End,
    ) -> Option<Operand> {
        let mut merges = Vec::new();
        let mut result = None;
        if end == End::Function {
            if let (Some(then_value), Some(else_value)) = (then_value, else_value) {
                let merge = self.value_merge(then_value, else_value);
                let var = merge.var;
                merges.push(merge);
                result = Some(Operand::Var(var));
            }
        }
        self.push(Stmt::If(If {
            cond,
            then_block,
            else_block,
            merges,
        }));
        result
    }

    /// A fresh variable that is `then_value` or `else_value` by the branch taken: the value
    /// of an `if` (or of a function body that ends in one). `Copy` if both sides are.
    fn value_merge(&mut self, then_value: Operand, else_value: Operand) -> Merge {
        let kinds = [&then_value, &else_value].map(|v| {
            self.kind_of(&Arg {
                value: v.clone(),
                borrowed: false,
            })
        });
        let kind = if kinds.iter().all(|k| *k == Kind::Copy) {
            Kind::Copy
        } else {
            Kind::Owned
        };
        Merge {
            var: self.new_var(None, kind),
            then_value,
            else_value,
        }
    }

    /// The condition of an `if` or `while`.
    fn condition(&mut self, cond: &Expr) -> Option<Operand> {
        if let Expr::Let(l) = cond {
            self.errors.at(l, "`if let` and `while let` are not supported by #[differentiate]; use `match` on data, or an `if` with a comparison");
            return None;
        }
        self.expr(cond).map(|a| a.value)
    }

    // ---- statements ----------------------------------------------------------------

    fn stmt(&mut self, stmt: &SynStmt) {
        self.statement_reads.clear();
        match stmt {
            SynStmt::Local(local) => self.local(local, false),
            SynStmt::Item(item) => self.push(Stmt::Item(item.clone())),
            SynStmt::Macro(m) => self.macro_stmt(&m.mac),
            SynStmt::Expr(expr, _) => self.expr_stmt(expr),
        }
    }

    /// `let` (a `memory` array is written by index later in its block).
    /// Whether `value` is the result of a call of a differentiated function, just made.
    fn defined_by_call(&self, value: &Arg) -> bool {
        let Some(v) = value.value.var() else {
            return false;
        };
        self.blocks[self.current.0]
            .stmts
            .iter()
            .rev()
            .any(|stmt| matches!(stmt, Stmt::Let { var, op: Op::Call { .. }, .. } if *var == v))
    }

    fn local(&mut self, local: &syn::Local, memory: bool) {
        if let (Pat::Ident(p), Some(init)) = (&local.pat, &local.init) {
            if let Expr::Closure(closure) = &*init.expr {
                return self.define_closure(&p.ident, closure);
            }
        }
        if let (Pat::Tuple(tuple), Some(init)) = (&local.pat, &local.init) {
            if init.diverge.is_none() {
                return self.destructure(tuple, &init.expr);
            }
        }
        if let (Pat::Struct(pattern), Some(init)) = (&local.pat, &local.init) {
            if init.diverge.is_none() {
                return self.destructure_struct(pattern, &init.expr);
            }
        }
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
            // The result of a differentiated call, written by index later: its value is
            // the callee's (held by its pullback), not an array of this function's.
            Some(value) if memory && self.defined_by_call(&value) => {
                self.errors.at(
                    &init.expr,
                    format!("writing by index into the result of a call is not supported by #[differentiate]; copy it into a local first (`let mut {ident} = vec![0.0; n]; for i in 0..n {{ {ident}[i] = r[i]; }}`)"),
                );
                self.failed.insert(ident.to_string());
            }
            Some(value) => {
                // `let rows: Vec<Vec<f64>> = ..`: its rows are read by reference, as a
                // parameter's of that type are.
                let rows = ty.as_ref().is_some_and(crate::parse::vec_of_vecs);
                let var = self.define(ident, ty, value, init.expr.to_token_stream(), memory);
                if rows {
                    self.elements_by_reference.insert(var);
                }
                self.vars[var.0].mutable |= mutable;
                if memory {
                    self.vars[var.0].memory = true;
                    self.vars[var.0].kind = Kind::Owned;
                }
                self.bind(ident, var);
            }
            None => {
                self.failed.insert(ident.to_string());
            }
        }
    }

    /// `let a_1 = a.clone();` of an array written in place, as it is now: an ordinary value
    /// the reverse sweep can read again (its adjoint flows back into the array's). Named
    /// after the array, so a closure body renamed to it cannot collide with the closure's
    /// own temporaries (`t0`).
    pub(super) fn copy_of_array(&mut self, array: VarId, origin: TokenStream) -> VarId {
        let op = Op::Rule {
            rule: rules::copy(),
            form: Form::Copy,
            args: vec![Arg {
                value: Operand::Var(array),
                borrowed: false,
            }],
        };
        let copy = self.push_let(op, Kind::Owned, origin);
        self.vars[copy.0].source = self.vars[array.0].source.clone();
        self.inherit_elements(array, copy);
        copy
    }

    /// `let f = |x| body;`: remembered, to be lowered at each call.
    fn define_closure(&mut self, ident: &Ident, closure: &syn::ExprClosure) {
        let mut params = Vec::new();
        for input in &closure.inputs {
            match input {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    params.push(p.ident.clone())
                }
                Pat::Type(t) => match &*t.pat {
                    Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                        params.push(p.ident.clone())
                    }
                    other => return self.unsupported_pattern(other),
                },
                other => return self.unsupported_pattern(other),
            }
        }
        let body = &*closure.body;
        let exits = syntax::exits_of_stmt(&SynStmt::Expr(body.clone(), None));
        if exits.ret || syntax::assigns_or_tries(body) || closure.asyncness.is_some() {
            self.errors.at(closure, "this closure is not supported by #[differentiate]: a closure it differentiates reads the values it captures and returns its value, without `return`, `?` or assignments (write those as a `#[differentiate]` function instead)");
            self.failed.insert(ident.to_string());
            return;
        }
        // An array written in place is captured as it is now (a `move` closure copies
        // it; a borrowing one forbids writes while it lives).
        let mut scopes = self.scopes.clone();
        let mut captured = HashMap::new();
        for name in syntax::captures(closure) {
            let Some(v) = self.lookup(&name.to_string()) else {
                continue;
            };
            if self.vars[v.0].memory && !params.contains(&name) {
                let copy = self.copy_of_array(v, closure.to_token_stream());
                captured.insert(name.to_string(), copy);
            }
        }
        scopes.push(captured);
        let var = self.new_var(Some(ident.clone()), Kind::Copy);
        self.closures.insert(
            var,
            ClosureDef {
                closure: closure.clone(),
                params,
                body: body.clone(),
                scopes,
            },
        );
        self.bind(ident, var);
    }

    /// The closure bound to `expr` (a name bound by `let f = |..| ..`), for `.map(f)`:
    /// its body is lowered where `map` is, so the names it captures must still mean what
    /// they meant where it was defined.
    pub(super) fn closure_named(&mut self, expr: &Expr) -> Option<syn::ExprClosure> {
        let Expr::Path(p) = expr else { return None };
        let var = self.lookup(&p.path.get_ident()?.to_string())?;
        let def = self.closures.get(&var)?.clone();
        let rebound = syntax::captures(&def.closure).into_iter().any(|name| {
            let name = name.to_string();
            let then = def.scopes.iter().rev().find_map(|s| s.get(&name).copied());
            !def.params.iter().any(|p| *p == name) && then != self.lookup(&name)
        });
        if rebound {
            self.errors.at(expr, "a name this closure captures was declared again after the closure: write the closure inline here, or rename the later variable");
        }
        Some(def.closure)
    }

    /// `f(a, b)` of a closure bound by `let`: its body, with its parameters bound to the
    /// arguments, lowered where the closure was defined (what it captured then).
    fn call_closure(&mut self, call: &syn::ExprCall, var: VarId) -> Option<Arg> {
        let def = self.closures.get(&var)?.clone();
        if call.args.len() != def.params.len() {
            self.errors.at(
                call,
                format!("this closure takes {} argument(s)", def.params.len()),
            );
            return None;
        }
        let args = call
            .args
            .iter()
            .map(|a| self.expr(a))
            .collect::<Option<Vec<Arg>>>()?;
        let outer = std::mem::replace(&mut self.scopes, def.scopes.clone());
        self.scopes.push(HashMap::new());
        for (param, arg) in def.params.iter().zip(args) {
            let value = Arg {
                borrowed: false,
                ..arg
            };
            let bound = self.define(param, None, value, call.to_token_stream(), false);
            self.bind(param, bound);
        }
        let value = self.expr(&def.body);
        self.scopes = outer;
        value
    }

    /// `let (a, b) = value;`: each name binds a copy of its element. From a tuple
    /// literal, the elements are the values themselves (all evaluated before any is bound).
    fn destructure(&mut self, tuple: &syn::PatTuple, init: &Expr) {
        let mut names = Vec::new();
        for elem in &tuple.elems {
            match elem {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    names.push(Some((p.ident.clone(), p.mutability.is_some())))
                }
                Pat::Wild(_) => names.push(None),
                other => return self.unsupported_pattern(other),
            }
        }
        let values: Vec<Option<Arg>> = match init {
            Expr::Tuple(t) if t.elems.len() == names.len() => {
                t.elems.iter().map(|e| self.expr(e)).collect()
            }
            _ => match self.expr(init) {
                Some(whole) => {
                    // Destructuring a reference binds its fields by reference, as Rust's
                    // default binding mode does (`for (x, y) in data` over a slice:
                    // `x: &Vec<f64>`, passed on as `&[f64]`); a value's fields are copies.
                    let by_reference = match init {
                        Expr::Reference(_) => self.kind_of(&whole) == Kind::Ref,
                        _ => self.is_referenced(&whole),
                    };
                    (0..names.len())
                        .map(|i| {
                            let member = syn::Member::Unnamed(syn::Index::from(i));
                            Some(self.pattern_field(&whole, member, by_reference, init))
                        })
                        .collect()
                }
                None => vec![None; names.len()],
            },
        };
        for (name, value) in names.iter().zip(values) {
            let Some((ident, mutable)) = name else {
                continue;
            };
            match value {
                Some(value) => {
                    let var = self.define(ident, None, value, init.to_token_stream(), false);
                    self.vars[var.0].mutable |= *mutable;
                    self.bind(ident, var);
                }
                None => {
                    self.failed.insert(ident.to_string());
                }
            }
        }
    }

    /// `let S { x, y: b, .. } = e;` of names (the desugaring's form of a struct pattern,
    /// `e` a name): each field bound as `let x = e.x;` would bind it, or, when `e` is a
    /// reference in the source (`referenced_elements`), by reference, as Rust's default
    /// binding mode does (`for Sample { x, y } in data`: `x: &Vec<f64>`).
    fn destructure_struct(&mut self, pattern: &syn::PatStruct, init: &Expr) {
        let referenced = match init {
            Expr::Path(path) => path
                .path
                .get_ident()
                .and_then(|name| self.lookup(&name.to_string()))
                .is_some_and(|v| self.referenced_elements.contains(&v)),
            _ => false,
        };
        if !referenced {
            for field in &pattern.fields {
                let (member, pat) = (&field.member, &field.pat);
                let span = syn::spanned::Spanned::span(field);
                let stmt: syn::Stmt = syn::parse_quote_spanned!(span=> let #pat = #init.#member;);
                if let syn::Stmt::Local(local) = stmt {
                    self.local(&local, false);
                }
            }
            return;
        }
        let Some(whole) = self.expr(init) else {
            return;
        };
        for field in &pattern.fields {
            let (ident, mutable) = match &*field.pat {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    (&p.ident, p.mutability.is_some())
                }
                Pat::Wild(_) => continue,
                other => return self.unsupported_pattern(other),
            };
            let value = self.pattern_field(&whole, field.member.clone(), true, init);
            let var = self.define(ident, None, value, init.to_token_stream(), false);
            self.vars[var.0].mutable |= mutable;
            self.referenced_elements.insert(var);
            self.bind(ident, var);
        }
    }

    /// The field `member` of `whole` that a pattern binds: by reference (a reference
    /// itself, so a pattern nested in it binds by reference too), or a copy.
    fn pattern_field(
        &mut self,
        whole: &Arg,
        member: syn::Member,
        by_reference: bool,
        init: &Expr,
    ) -> Arg {
        let (form, kind) = match by_reference {
            true => (Form::Field(vec![member]), Kind::Ref),
            false => (Form::FieldClone(member), Kind::Owned),
        };
        let op = Op::Rule {
            rule: rules::field(),
            form,
            args: vec![whole.clone()],
        };
        let field = self.value(op, kind, init.to_token_stream());
        match by_reference {
            true => self.referenced(field),
            false => field,
        }
    }

    /// Whether `arg` is a reference in the source (see `Lowerer::referenced_elements`).
    fn is_referenced(&self, arg: &Arg) -> bool {
        arg.value
            .var()
            .is_some_and(|v| self.referenced_elements.contains(&v))
    }

    /// `value`, noted as a reference in the source.
    fn referenced(&mut self, value: Arg) -> Arg {
        if let Some(v) = value.value.var() {
            self.referenced_elements.insert(v);
        }
        value
    }

    fn unsupported_pattern(&mut self, pat: &Pat) {
        self.errors.at(
            pat,
            "only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet",
        );
    }

    /// Binds `ident` (a `let` or an assignment) to `value`, naming the operation that
    /// produced it after the variable when it is fresh (so the forward sweep reads
    /// `let y = x * 2.0;`, not `let t0 = x * 2.0; let y = t0;`). A `fresh` binding (an
    /// array kept as memory) always gets a variable of its own.
    fn define(
        &mut self,
        ident: &Ident,
        ty: Option<syn::Type>,
        value: Arg,
        origin: TokenStream,
        fresh: bool,
    ) -> VarId {
        let current = self.current;
        let reusable = match (&value.value, self.last_stmt()) {
            (Operand::Var(v), Some(Stmt::Let { var, ty: slot, .. })) if *var == *v => {
                *slot = ty.clone().or(slot.take());
                Some(*v)
            }
            _ => None,
        }
        .filter(|v| {
            self.vars[v.0].source.is_none() && !value.borrowed && self.vars[v.0].home == current
        });
        match (reusable, &value.value) {
            (Some(v), _) => {
                self.vars[v.0].source = Some(ident.clone());
                v
            }
            // `let b = a;` of an array written in place: a copy, not another name (later
            // writes to `a` must not show through `b`).
            (None, Operand::Var(v)) if !value.borrowed && (fresh || self.vars[v.0].memory) => {
                let kind = self.vars[v.0].kind;
                let var = self.new_var(Some(ident.clone()), kind);
                self.inherit_elements(*v, var);
                let op = Op::Rule {
                    rule: rules::copy(),
                    form: Form::Copy,
                    args: vec![value],
                };
                self.push(Stmt::Let {
                    var,
                    ty,
                    op,
                    origin,
                });
                var
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
                    what: if value.borrowed {
                        "a `let` binding of a reference"
                    } else {
                        "a copy of an array written by index"
                    },
                    advice: if value.borrowed {
                        "use the value directly (`x`, not `let r = &x`)"
                    } else {
                        "make the copy from constants, or write into the array directly"
                    },
                };
                self.push(Stmt::Let {
                    var,
                    ty,
                    op,
                    origin,
                });
                var
            }
        }
    }

    /// `same_type(&a, &b);`: a statement of the forward sweep that gives `b` the type of
    /// `a` (a literal assigned to a typed variable is typed by it in the source).
    fn same_type(&mut self, a: VarId, b: VarId, origin: &Expr) {
        let (first, second) = (
            Ident::new("__tapeless_first", Span::call_site()),
            Ident::new("__tapeless_second", Span::call_site()),
        );
        let op = Op::Verbatim {
            expr: syn::parse_quote!(::tapeless::__private::same_type(&#first, &#second)),
            uses: vec![(first, a), (second, b)],
            inert: true,
            what: TYPE_TIE,
            advice: "",
        };
        self.push(Stmt::Eval {
            op,
            origin: origin.to_token_stream(),
        });
    }

    fn expr_stmt(&mut self, expr: &Expr) {
        match expr {
            Expr::Call(call) if is_type_tie(call) => {
                let vars: Vec<VarId> = call
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        Expr::Reference(r) => match &*r.expr {
                            Expr::Path(p) => p.path.get_ident(),
                            _ => None,
                        },
                        _ => None,
                    })
                    .filter_map(|name| self.lookup(&name.to_string()))
                    .collect();
                if let [a, b] = vars[..] {
                    self.same_type(a, b, expr);
                }
            }
            Expr::Assign(assign) => {
                if let Expr::Index(place) = &*assign.left {
                    return self.store(place, None, &assign.right, expr);
                }
                let Some(target) = self.assigned_ident(&assign.left) else {
                    return;
                };
                if let Some(value) = self.expr(&assign.right) {
                    if self
                        .lookup(&target.to_string())
                        .is_some_and(|v| self.vars[v.0].memory)
                    {
                        self.errors.at(expr, format!("`{target}` is written by index elsewhere, so it cannot also be reassigned whole; write its elements instead"));
                        return;
                    }
                    let previous = self.lookup(&target.to_string());
                    let literal = matches!(value.value, Operand::Const(_));
                    let var =
                        self.define(&target, None, value, assign.right.to_token_stream(), false);
                    // `s = 2.0;` gets its type from `s`, a version of its own does not:
                    // the generated code ties the two.
                    if let (true, Some(previous)) = (literal, previous) {
                        self.same_type(previous, var, expr);
                    }
                    // A `let mut` data variable stays mutable through reassignments.
                    if let Some(previous) = previous {
                        self.vars[var.0].mutable |= self.vars[previous.0].mutable;
                    }
                    if !self.assign(&target.to_string(), var)
                        && !self.failed.contains(&target.to_string())
                    {
                        self.errors.at(&assign.left, format!("`{target}` is not a local variable; #[differentiate] only supports assignments to locals"));
                    }
                }
            }
            Expr::Binary(b) if rules::compound_assign(&b.op).is_some() => {
                if let Expr::Index(place) = &*b.left {
                    return self.store(place, Some(&b.op), &b.right, expr);
                }
                let Some(target) = self.assigned_ident(&b.left) else {
                    return;
                };
                let Some(current) = self.lookup(&target.to_string()) else {
                    if !self.failed.contains(&target.to_string()) {
                        self.errors.at(&b.left, format!("`{target}` is not a local variable; #[differentiate] only supports assignments to locals"));
                    }
                    return;
                };
                let Some(rhs) = self.expr(&b.right) else {
                    return;
                };
                let Some((rule, op)) = rules::compound_assign(&b.op) else {
                    return;
                };
                let lhs = Arg {
                    value: Operand::Var(current),
                    borrowed: false,
                };
                let kind = self.result_kind(&[lhs.clone(), rhs.clone()]);
                let var = self.new_var(Some(target.clone()), kind);
                self.push(Stmt::Let {
                    var,
                    ty: None,
                    op: Op::Rule {
                        rule,
                        form: Form::Binary(op),
                        args: vec![lhs, rhs],
                    },
                    origin: b.to_token_stream(),
                });
                self.assign(&target.to_string(), var);
            }
            Expr::Macro(m) => self.macro_stmt(&m.mac),
            Expr::Block(b) if b.label.is_none() => {
                let frame = self.frame_here(&b.block.stmts, true);
                self.seq(&[frame], End::Unit);
            }
            Expr::If(i) => {
                self.if_expr(i, false);
            }
            Expr::Match(m) => {
                if let Some(chain) = self.match_chain(m) {
                    self.stmt(&chain);
                }
            }
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::While(w) => self.while_loop(w),
            Expr::Loop(l) => self.forever_loop(l),
            other => {
                if let Some(arg) = self.expr(other) {
                    // The value is dropped: turn its `let` into a plain statement.
                    let dropped = match (&arg.value, self.last_stmt()) {
                        (Operand::Var(v), Some(Stmt::Let { var, .. })) => var == v,
                        _ => false,
                    };
                    if let (true, Operand::Var(v)) = (dropped, &arg.value) {
                        if self.vars[v.0].source.is_none() {
                            if let Some(Stmt::Let { op, origin, .. }) =
                                self.blocks[self.current.0].stmts.pop()
                            {
                                // No longer defined: no later read may reuse it.
                                self.block_reads.retain(|_, read| read != v);
                                self.push(Stmt::Eval { op, origin });
                            }
                        }
                    }
                }
            }
        }
    }

    /// `a[i] = v`, `a[i][j] op= v`: a write into an array kept as memory. A compound
    /// assignment reads the element first: `a[i] += v` is `a[i] = a[i] + v`.
    fn store(
        &mut self,
        place: &syn::ExprIndex,
        op: Option<&syn::BinOp>,
        value: &Expr,
        origin: &Expr,
    ) {
        let mut indices_rev = vec![&*place.index];
        let mut base = &*place.expr;
        while let Expr::Index(inner) = base {
            indices_rev.push(&*inner.index);
            base = &inner.expr;
        }
        let Some(array) = (match base {
            Expr::Path(p) => p.path.get_ident().and_then(|i| self.lookup(&i.to_string())),
            _ => None,
        }) else {
            self.errors.at(base, "#[differentiate] supports index writes into local arrays and vectors (`let mut a = [0.0; N]; a[i] = ..`)");
            return;
        };
        if !self.vars[array.0].memory {
            self.errors.at(base, "index writes are supported into arrays and vectors declared in the function (`let mut a = [0.0; N];`), not into parameters");
            return;
        }
        let indices: Option<Vec<Operand>> = indices_rev
            .iter()
            .rev()
            .map(|i| self.expr(i).map(|a| a.value))
            .collect();
        let (Some(indices), Some(mut value)) = (indices, self.expr(value)) else {
            return;
        };
        if let Some(op) = op {
            let Some((rule, plain)) = rules::compound_assign(op) else {
                return;
            };
            let Some(read_rule) = rules::index(indices.len()) else {
                self.errors
                    .at(place, "#[differentiate] supports up to three indices");
                return;
            };
            let mut args = vec![Arg {
                value: Operand::Var(array),
                borrowed: false,
            }];
            args.extend(indices.iter().map(|i| Arg {
                value: i.clone(),
                borrowed: false,
            }));
            let old = self.value(
                Op::Rule {
                    rule: read_rule,
                    form: Form::Index,
                    args,
                },
                Kind::Copy,
                place.to_token_stream(),
            );
            let kind = self.result_kind(&[old.clone(), value.clone()]);
            value = self.value(
                Op::Rule {
                    rule,
                    form: Form::Binary(plain),
                    args: vec![old, value],
                },
                kind,
                origin.to_token_stream(),
            );
        }
        self.push(Stmt::Store {
            array,
            indices,
            value: value.value,
        });
        self.statement_reads.clear();
    }

    /// The local variable on the left of `=` or `op=`.
    fn assigned_ident(&mut self, left: &Expr) -> Option<Ident> {
        match left {
            Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                p.path.get_ident().cloned()
            }
            Expr::Paren(p) => self.assigned_ident(&p.expr),
            Expr::Field(_) => {
                self.errors.at(
                    left,
                    "assignment to a field is not supported yet by #[differentiate]",
                );
                None
            }
            _ => {
                self.errors.at(left, "#[differentiate] only supports assignments to local variables and to elements of local arrays");
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
        let mut names = Vec::new();
        syntax::mentioned_names(mac.tokens.clone(), &mut names);
        let mut rebind: Vec<(Ident, VarId)> = Vec::new();
        for name in names {
            if let Some(var) = self.lookup(&name) {
                if rebind.iter().all(|(i, _)| *i != name) {
                    rebind.push((ident(&name), var));
                }
            }
        }
        self.push(Stmt::Macro {
            mac: mac.clone(),
            rebind,
        });
    }

    // ---- branches ------------------------------------------------------------------

    /// An `if` without exits: a statement, or a value (`want_value`). The variables its
    /// branches change get merges.
    fn if_expr(&mut self, expr_if: &syn::ExprIf, want_value: bool) -> Option<Arg> {
        let cond = self.condition(&expr_if.cond)?;
        let snapshot = self.scopes.clone();
        let end = if want_value { End::Value } else { End::Unit };

        let then_block = self.new_block(false);
        let then_value = self.in_block(then_block, |s| {
            s.seq(&[s.frame_here(&expr_if.then_branch.stmts, true)], end)
        });
        let then_scopes = std::mem::replace(&mut self.scopes, snapshot.clone());

        let else_block = self.new_block(false);
        let else_value = self.in_block(else_block, |s| match &expr_if.else_branch {
            None => {
                if want_value {
                    s.errors
                        .at(expr_if, "an `if` used as a value needs an `else` branch");
                }
                None
            }
            Some((_, e)) => match &**e {
                Expr::Block(b) => s.seq(&[s.frame_here(&b.block.stmts, true)], end),
                Expr::If(nested) => s.if_expr(nested, want_value).map(|a| a.value),
                other => s.expr(other).map(|a| a.value),
            },
        });
        let else_scopes = std::mem::replace(&mut self.scopes, snapshot.clone());

        // Variables the branches left at different versions get a merge.
        let mut merges = Vec::new();
        for (level, scope) in snapshot.iter().enumerate() {
            let mut names: Vec<&String> = scope.keys().collect();
            names.sort();
            for name in names {
                let before = scope[name];
                let after_then = then_scopes[level][name];
                let after_else = else_scopes[level][name];
                if after_then == before && after_else == before {
                    continue;
                }
                let kinds = [after_then, after_else].map(|v| self.vars[v.0].kind);
                let kind = if kinds.iter().all(|k| *k == Kind::Copy) {
                    Kind::Copy
                } else {
                    Kind::Owned
                };
                let source = self.vars[before.0].source.clone();
                let var = self.new_var(source, kind);
                self.vars[var.0].stem = self.vars[before.0].stem;
                merges.push(Merge {
                    var,
                    then_value: Operand::Var(after_then),
                    else_value: Operand::Var(after_else),
                });
                self.scopes[level].insert(name.clone(), var);
            }
        }
        let mut result = None;
        if want_value {
            if let (Some(then_value), Some(else_value)) = (then_value, else_value) {
                let merge = self.value_merge(then_value, else_value);
                let var = merge.var;
                merges.push(merge);
                result = Some(Arg {
                    value: Operand::Var(var),
                    borrowed: false,
                });
            }
        }
        self.push(Stmt::If(If {
            cond,
            then_block,
            else_block,
            merges,
        }));
        result
    }

    /// `match scrutinee { pat => arm, .. }` on data, as the `if` chain it means:
    /// `{ let value = scrutinee; if <value matches pat> { arm } else if .. }`.
    fn match_chain(&mut self, m: &syn::ExprMatch) -> Option<SynStmt> {
        let mut failed = false;
        for arm in &m.arms {
            if syntax::pattern_binds(&arm.pat) {
                self.errors.at(&arm.pat, "this `match` pattern's bindings are not supported by #[differentiate] (names inside a tuple, in `|` alternatives, or with `ref`, `@` or `&` inside a variant); an arm may bind the whole scrutinee (`n if n > 0`, `k @ 1..=3`), an `Option`'s value (`Some(v)`) or a variant's payload by name (`Penalty::Huber(delta)`, `Shape::Rect { w, h }`), or match on constants, ranges and variants (`0`, `1..=3`, `Mode::Fast`, `_`)");
                failed = true;
            }
        }
        if failed || m.arms.is_empty() {
            return None;
        }
        let scrutinee = Ident::new(
            &format!("__tapeless_match{}", self.reductions),
            Span::call_site(),
        );
        self.reductions += 1;
        let expr = &m.expr;
        // The last arm is the `else`: the match is exhaustive, so it is reached only when
        // no arm before it matches.
        let mut chain: Option<Expr> = None;
        for arm in m.arms.iter().rev() {
            let body: syn::Block = match &*arm.body {
                Expr::Block(b) if b.label.is_none() => b.block.clone(),
                other => syn::parse_quote!({ #other }),
            };
            let pat = &arm.pat;
            // The pattern binds nothing, so the guard is a condition of its own, lowered
            // like any other (`&&` evaluates it only when the pattern matches).
            let matches: Expr = syn::parse_quote!(match #scrutinee { #pat => true, _ => false });
            let condition: Expr = match &arm.guard {
                Some((_, guard)) => syn::parse_quote!(#matches && (#guard)),
                None => matches,
            };
            chain = Some(match chain {
                None => syn::parse_quote!(#body),
                Some(next) => syn::parse_quote!(if #condition #body else { #next }),
            });
        }
        let chain = chain?;
        Some(SynStmt::Expr(
            syn::parse_quote!({
                let #scrutinee = #expr;
                #chain
            }),
            None,
        ))
    }

    // ---- loops ---------------------------------------------------------------------

    fn for_loop(&mut self, f: &syn::ExprForLoop) {
        if let Some(label) = &f.label {
            self.errors.at(
                label,
                "labelled loops are not supported by #[differentiate]",
            );
            return;
        }
        let Some(spec) = self.iteration(&f.expr, &f.pat) else {
            return;
        };
        self.lower_loop(LoopSpec::For(spec), &f.body, f.to_token_stream());
    }

    fn while_loop(&mut self, w: &syn::ExprWhile) {
        if let Some(label) = &w.label {
            self.errors.at(
                label,
                "labelled loops are not supported by #[differentiate]",
            );
            return;
        }
        self.lower_loop(LoopSpec::While(&w.cond), &w.body, w.to_token_stream());
    }

    fn forever_loop(&mut self, l: &syn::ExprLoop) {
        if let Some(label) = &l.label {
            self.errors.at(
                label,
                "labelled loops are not supported by #[differentiate]",
            );
            return;
        }
        self.lower_loop(LoopSpec::Forever, &l.body, l.to_token_stream());
    }

    /// Lowers a loop. Its carried variables are the enclosing variables its body assigns;
    /// a first, discarded lowering finds which of those it really changes, so that the
    /// loop carries (and the reverse sweep saves) only those.
    fn lower_loop(&mut self, spec: LoopSpec<'_>, body: &syn::Block, origin: TokenStream) {
        let assigned = syntax::assigned_in_block(body);
        let exits = syntax::exits_of_block(body);
        let mut candidates: Vec<String> = assigned
            .names
            .iter()
            .filter(|n| self.lookup(n).is_some_and(|v| !self.vars[v.0].memory))
            .cloned()
            .collect();
        if exits.ret {
            candidates.extend([RETURNED.to_string(), RETURN_VALUE.to_string()]);
        }
        // An array written in place that the loop reads in a nested loop but does not write
        // is read from a copy taken before the loop: an ordinary value, so the reverse sweep
        // reads it again from the copy (kept once per run of the loop) instead of saving
        // every read, of which a nested loop makes many (a triangle loop over a vector of d
        // values reads it d²/2 times).
        let receivers = syntax::method_receivers_in_block(body);
        let snapshots: Vec<(String, VarId)> = syntax::indexed_in_nested_loops(body)
            .into_iter()
            .filter(|n| {
                !assigned.indexed.contains(n)
                    && !assigned.names.contains(n)
                    && !receivers.contains(n)
            })
            .filter_map(|n| {
                let v = self.lookup(&n)?;
                self.vars[v.0].memory.then_some((n, v))
            })
            .collect();
        for (name, array) in &snapshots {
            let copy = self.copy_of_array(*array, origin.clone());
            self.bind_str(name, copy);
        }
        let saved = self.save();
        let changed = self.loop_pass(&spec, body, &candidates, exits, &origin);
        self.restore(saved);
        self.loop_pass(&spec, body, &changed, exits, &origin);
        for (name, array) in snapshots {
            self.bind_str(&name, array);
        }
    }

    /// One lowering of a loop carrying `carried`; returns the names it really changed.
    fn loop_pass(
        &mut self,
        spec: &LoopSpec<'_>,
        body: &syn::Block,
        carried: &[String],
        exits: syntax::Exits,
        origin: &TokenStream,
    ) -> Vec<String> {
        // The reverse sweep replays a range backwards only when it can reverse it exactly
        // (`(a..b).rev()`); a loop that can stop early, or steps (`.step_by(k)`: not
        // reversible for every integer type), counts its iterations and saves its index.
        let steps = matches!(spec, LoopSpec::For(it) if it.adaptors.iter().any(|a| matches!(a, crate::ir::Adaptor::StepBy(_))));
        let needs_counter = exits.any() || steps || !matches!(spec, LoopSpec::For(_));
        let counter = needs_counter.then(|| self.new_temp("iterations", Kind::Copy));
        let inits: Vec<(String, VarId)> = carried
            .iter()
            .filter_map(|n| self.lookup(n).map(|v| (n.clone(), v)))
            .collect();

        let body_block = self.new_block(true);
        let mut phis = Vec::new();
        let header = self.in_block(body_block, |s| {
            for (name, init) in &inits {
                let var = s.new_var(source_ident(name), s.vars[init.0].kind);
                s.vars[var.0].stem = s.vars[init.0].stem;
                s.inherit_elements(*init, var);
                s.assign(name, var);
                phis.push(var);
            }
            s.loops.push(LoopContext {
                carried: inits.iter().map(|(n, _)| n.clone()).collect(),
                depth: s.scopes.len(),
            });
            s.scopes.push(HashMap::new());
            let header = s.loop_body(spec, body);
            s.scopes.pop();
            s.loops.pop();
            header
        });

        // Which carried variables did some path really change?
        let nexts: Vec<Vec<Operand>> = crate::ir::nexts(&self.blocks, body_block)
            .into_iter()
            .map(|(values, _)| values.to_vec())
            .collect();
        let changed: Vec<String> = inits
            .iter()
            .zip(&phis)
            .enumerate()
            .filter(|(k, (_, phi))| {
                nexts
                    .iter()
                    .any(|values| values.get(*k).and_then(Operand::var) != Some(**phi))
            })
            .map(|(_, ((name, _), _))| name.clone())
            .collect();

        let mut carried_vars = Vec::new();
        for ((name, init), phi) in inits.iter().zip(&phis) {
            let out = self.new_var(source_ident(name), self.vars[init.0].kind);
            self.vars[out.0].stem = self.vars[init.0].stem;
            self.inherit_elements(*init, out);
            self.assign(name, out);
            carried_vars.push(Carried {
                phi: *phi,
                init: Operand::Var(*init),
                out,
            });
        }
        if let Some(header) = header {
            self.push(Stmt::Loop(Loop {
                header,
                carried: carried_vars,
                body: body_block,
                counter,
                span: origin
                    .clone()
                    .into_iter()
                    .next()
                    .map_or_else(proc_macro2::Span::call_site, |t| t.span()),
            }));
        }
        changed
    }

    /// The body of a loop, in its block: the header's per-iteration bindings, then the
    /// statements, every path ending in a `Next`.
    fn loop_body(&mut self, spec: &LoopSpec<'_>, body: &syn::Block) -> Option<Header> {
        let frames = [self.frame_here(&body.stmts, true)];
        match spec {
            LoopSpec::For(iteration) => {
                let index = match &iteration.index {
                    Some(ident) => {
                        let var = self.new_var(Some(ident.clone()), Kind::Copy);
                        self.bind(ident, var);
                        var
                    }
                    None => self.new_temp("i", Kind::Copy),
                };
                for (pattern, container, access, borrowed) in &iteration.elements {
                    let index = Arg {
                        value: Operand::Var(index),
                        borrowed: false,
                    };
                    // A local whose elements the body uses as containers (`r[0]`,
                    // `r.iter()` in `for r in t.iter()`, `t` a `Vec<Vec<f64>>` a call
                    // returned): its elements are not `Copy` scalars, so they are read by
                    // reference, as a parameter's of that type are.
                    if let Some(c) = container.value.var() {
                        if !self.param_vars.contains(&c) && used_as_container(pattern, &body.stmts)
                        {
                            self.elements_by_reference.insert(c);
                        }
                    }
                    let origin = pattern.to_token_stream();
                    let (read, kind) = match access {
                        Access::Element => self.element_read(container.clone(), index)?,
                        Access::Reversed => {
                            let len = self.len_of(container.clone());
                            let one = expr::constant(syn::parse_quote!(1));
                            let last = self.data_op(quote::quote!(-), len, one);
                            let at = self.data_op(quote::quote!(-), last, index);
                            self.element_read(container.clone(), at)?
                        }
                        // `&xs[i..i + k]`.
                        Access::Window(k) => {
                            let end = self.data_op(quote::quote!(+), index.clone(), k.clone());
                            self.sub_slice_op(container.clone(), index, end)
                        }
                        // `&xs[i * k..min(i * k + k, len)]`.
                        Access::Chunk { k, .. } => {
                            let start = self.data_op(quote::quote!(*), index, k.clone());
                            let end = self.data_op(quote::quote!(+), start.clone(), k.clone());
                            let len = self.len_of(container.clone());
                            let end = self.data_call(syn::parse_quote!(::core::cmp::min), end, len);
                            self.sub_slice_op(container.clone(), start, end)
                        }
                    };
                    let var = self.push_let(read, kind, origin);
                    if kind == Kind::Ref && (*borrowed || self.kind_of(container) == Kind::Ref) {
                        self.referenced_elements.insert(var);
                    }
                    self.vars[var.0].source = Some(pattern.clone());
                    self.bind(pattern, var);
                    self.note_user_element(container, var);
                }
                self.seq(&frames, End::LoopBody);
                Some(Header::Range {
                    index,
                    start: iteration.start.clone(),
                    end: iteration.end.clone(),
                    inclusive: iteration.inclusive,
                    adaptors: iteration.adaptors.clone(),
                })
            }
            LoopSpec::While(cond) => {
                let cond = self.condition(cond)?;
                let snapshot = self.scopes.clone();
                let then_block = self.new_block(false);
                self.in_block(then_block, |s| s.seq(&frames, End::LoopBody));
                self.scopes = snapshot;
                let else_block = self.new_block(false);
                self.in_block(else_block, |s| {
                    let values = s.carried_values();
                    s.push(Stmt::Next { values, exit: true });
                });
                self.push(Stmt::If(If {
                    cond,
                    then_block,
                    else_block,
                    merges: Vec::new(),
                }));
                Some(Header::Forever)
            }
            LoopSpec::Forever => {
                self.seq(&frames, End::LoopBody);
                Some(Header::Forever)
            }
        }
    }
}

/// Whether `stmts` use `name` as a container: index it, iterate it, or ask its length.
fn used_as_container(name: &Ident, stmts: &[syn::Stmt]) -> bool {
    struct Uses<'a> {
        name: &'a Ident,
        found: bool,
    }
    impl Uses<'_> {
        fn is_name(&self, expr: &Expr) -> bool {
            matches!(expr::strip_parens(expr), Expr::Path(p) if p.path.is_ident(self.name))
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Uses<'_> {
        fn visit_expr(&mut self, expr: &'ast Expr) {
            self.found |= match expr {
                Expr::Index(index) => self.is_name(&index.expr),
                Expr::MethodCall(call) => {
                    self.is_name(&call.receiver)
                        && matches!(
                            call.method.to_string().as_str(),
                            "iter" | "len" | "is_empty" | "windows" | "chunks" | "first" | "last"
                        )
                }
                Expr::ForLoop(f) => self.is_name(expr::strip_reference(&f.expr)),
                _ => false,
            };
            syn::visit::visit_expr(self, expr);
        }
    }
    let mut uses = Uses { name, found: false };
    for stmt in stmts {
        syn::visit::Visit::visit_stmt(&mut uses, stmt);
    }
    uses.found
}

/// The name a `let` binds, if it is a plain name.
fn local_name(local: &syn::Local) -> Option<String> {
    match &local.pat {
        Pat::Ident(p) => Some(p.ident.to_string()),
        Pat::Type(t) => match &*t.pat {
            Pat::Ident(p) => Some(p.ident.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The identifier of a source variable's name (none for the return slots).
fn source_ident(name: &str) -> Option<Ident> {
    (!name.starts_with('#')).then(|| ident(name))
}

/// An identifier from its text, raw identifiers (`r#in`) included.
pub(crate) fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

// IR nodes live for one expansion; their size does not matter.
#[allow(clippy::large_enum_variant)]
enum LoopSpec<'a> {
    For(Iteration),
    While(&'a Expr),
    Forever,
}

/// What a `for` loop iterates: a range of indices, and the elements read at each index.
struct Iteration {
    start: Operand,
    end: Operand,
    /// `start..=end`.
    inclusive: bool,
    adaptors: Vec<crate::ir::Adaptor>,
    /// The index variable, when the pattern names it (`for i in ..`, `.enumerate()`).
    index: Option<Ident>,
    /// `for x in xs.iter()`: `x` is `xs[index]` (or a window or chunk of `xs`), and
    /// whether the loop borrows `xs` (`&xs`, `xs.iter()`: its elements are references).
    elements: Vec<(Ident, Arg, Access, bool)>,
}

/// How a `for` loop's element is read from its container at the loop's index `i`.
#[derive(Clone)]
enum Access {
    /// `xs[i]`.
    Element,
    /// `xs.windows(k)`: `&xs[i..i + k]`.
    Window(Arg),
    /// `xs.chunks(k)`: `&xs[i * k..min(i * k + k, len)]`; `xs.chunks_exact(k)` (`exact`):
    /// the same slices, without the shorter last one.
    Chunk { k: Arg, exact: bool },
    /// `xs.iter().rev()` zipped: `xs[len - 1 - i]`.
    Reversed,
}

/// `__tapeless_same_type(&a, &b)`, a tie written by `desugar` (see [`crate::desugar::TYPE_TIE`]).
fn is_type_tie(call: &syn::ExprCall) -> bool {
    matches!(&*call.func, Expr::Path(p) if p.path.is_ident(crate::desugar::TYPE_TIE))
        && call.args.len() == 2
}
