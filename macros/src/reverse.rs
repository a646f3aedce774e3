//! Stage 4: the reverse sweep.
//!
//! Walks the body backwards. The result's adjoint is the seed; each active operation adds,
//! for each active argument, the contribution its rule gives; contributions accumulate
//! (the total-derivative chain rule). An adjoint is declared just before its first
//! contribution, in the scope of the reverse block that mirrors the block defining it, or
//! hoisted before a branch or loop whose reverse contributes to it.
//!
//! Control flow is replayed without a tape. An `if` is reversed as an `if` on the same
//! condition. A loop is reversed by a loop over the same iterations backwards (a range
//! reversed, or the recorded iteration count); the adjoint of each carried variable flows
//! from one reverse iteration to the one before through a `d_x_next` variable.
//!
//! Inside a branch or a loop body, the reverse code needs primal values that the forward
//! block computed and that are out of scope by then. For each such value this stage
//! decides: *recompute* it, when its operation is cheap and pure and its inputs are
//! available (constants, values of enclosing blocks, the loop index, other recomputed
//! values), or *restore* it from a stack that the forward sweep pushed it onto (a loop's
//! carried value at the start of an iteration, a read from an array written in place, a
//! call that may have effects, and with `alloc` a transcendental result: `exp`, `tanh`,
//! ... cost tens of cycles where a push and a pop cost two). Only values some rule reads are kept this way. A loop whose body rewrites
//! scratch arrays is instead *replayed* (see `replay.rs`): each reverse iteration runs the
//! forward iteration again, so only its carried values are saved; and an integer counter
//! stepped by a literal is rebuilt backwards instead of saved ([`Counter`]). A loop that
//! only accumulates is *fused* in `f_vjp` (`strategy::Fusion`): its reverse iteration is
//! planned here as any, then kept for the forward sweep to run inside the forward loop
//! ([`Fused`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::analyse::Activity;
use crate::ir::{BlockId, Body, Form, Header, Loop, Op, Operand, Stmt, VarId, TOP};
use crate::rules::{First, Need};

/// Where an adjoint flowing into a variable comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// The function's seed.
    Seed,
    /// The adjoint of another variable (a merge's, flowing into the branch's value).
    Adjoint(VarId),
    /// The adjoint of a loop's carried value at the end of an iteration (`d_x_next`),
    /// named after the carried value's phi.
    Carry(VarId),
}

/// One statement of the reverse sweep.
#[derive(Debug)]
// IR nodes live for one expansion; their size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Adjoint {
    /// `let mut d_v = zero_adjoint(&v);`
    Zero(VarId),
    /// `let mut d_v: R = zero();` for a value of the result's type `R` (a fused loop's
    /// chain to the result: scalars, declared before the values exist).
    ZeroResult(VarId),
    /// `let mut d_target = adopt(&target, d_out);`: the first contribution to `d_target`
    /// is `d_out` itself (`out = target + b`, `target - b`, a copy of `target`), and nothing
    /// reads `d_out` afterwards: taken over instead of a zero matrix `d_out` is added into.
    Adopt { target: VarId, out: VarId },
    /// `let mut d_target = d_source;` (first contribution) or
    /// `accumulate(&mut d_target, &d_source);`.
    Flow {
        target: VarId,
        source: Source,
        declare: bool,
    },
    /// `helper(&mut d_target, &needs.., &d_out);`, for the operation's argument `arg`; or,
    /// where `first` says so, the first contribution to a vector's or matrix's adjoint,
    /// declared as that adjoint (`let mut d_target = ..;`, see [`First`]).
    Accumulate {
        helper: String,
        arg: usize,
        target: VarId,
        needs: Vec<Operand>,
        out: VarId,
        first: First,
    },
    /// The reverse of `out = path(args)`: `path_vjp(args, d_out)` gives the gradient of
    /// every argument; each active one (`targets`) accumulates its own, or, where `first`
    /// says this is the first contribution to a vector's or matrix's adjoint, declares it
    /// as that gradient (no zeros made and added into).
    Call {
        path: syn::ExprPath,
        args: Vec<crate::ir::Arg>,
        targets: Vec<Option<VarId>>,
        first: Vec<bool>,
        out: VarId,
    },
    /// Evaluates a `let` of the forward sweep again.
    Recompute(VarId),
    /// Evaluates the statement at `index` of `block` again (an `if` whose merges are needed).
    RecomputeStmt { block: BlockId, index: usize },
    /// `let v = saved_v.pop().unwrap();`
    Restore(VarId),
    /// `let v = read(&array, index);`: a value its loop stored at the loop's index of an
    /// array nothing else writes, read back (see `strategy::Loops::reloads`).
    Reload {
        var: VarId,
        array: VarId,
        index: VarId,
    },
    /// `back = back - step; let phi = back;`: an integer counter that every iteration
    /// steps by a constant, rebuilt backwards from its value after the loop (see
    /// [`Counter`]) instead of saved per iteration.
    Rebuild(VarId),
    /// The forward code of a replayed loop's body (see `replay.rs`), run again at the start
    /// of its reverse iteration: it defines the body's values and pushes what the nested
    /// reverse needs.
    Replay(BlockId),
    /// The arrays a loop's iteration rewrites, restored from the copy its forward iteration
    /// pushed at its end (`Replays::snapshots`), at the start of its reverse iteration.
    Snapshot(BlockId),
    If {
        cond: Operand,
        then_branch: Vec<Adjoint>,
        else_branch: Vec<Adjoint>,
    },
    Loop {
        header: Header,
        counter: Option<VarId>,
        carries: Vec<Carry>,
        /// The counters its body rebuilds (phis): each starts from its value after the loop.
        rebuilt: Vec<VarId>,
        body: Vec<Adjoint>,
        body_block: BlockId,
    },
    /// An element of an array's adjoint that a loop's every iteration adds to at the same
    /// index (see [`Slot`]): declared before the loop, added to in it, added to the element
    /// after it.
    Slot(Slot, SlotStep),
    /// The adjoint of `array[indices] = value`: `d_value += d_array[indices]`, then the
    /// slot's adjoint is cleared (the write killed the value it overwrote), unless `keep`.
    Store {
        array: VarId,
        indices: Vec<Operand>,
        value: Option<VarId>,
        /// An increment (`a[i] += e`, see [`increments`]): the slot's adjoint is read and
        /// left as it is, since the old value flows into the new one unchanged.
        keep: bool,
    },
}

/// `d_a[i] += d_y` in a reverse loop whose every iteration has the same `i` (`xcentered[col]`
/// read in the loop over `row`, [`Planner::defer_invariant_slots`]): the loop adds `d_y`
/// into a local instead, added to the element once after the loop. The element's load and
/// store would chain the iterations through memory (the compiler cannot keep it in a
/// register: other adjoints are written through pointers it cannot tell apart); a
/// hand-written adjoint keeps such a sum in a register.
#[derive(Debug, Clone)]
pub struct Slot {
    pub array: VarId,
    /// The element read, whose adjoint each iteration adds (names the local).
    pub out: VarId,
    pub index: Operand,
}

/// What a step does with a [`Slot`]'s local.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotStep {
    /// `let mut d_array_at_out = zero();`, before the loop.
    Declare,
    /// `accumulate(&mut d_array_at_out, &d_out);`, in the loop.
    Add,
    /// `index_vjp_after(&mut d_array, &index, &d_array_at_out);`, after the loop.
    Flush,
}

/// A carried integer that every iteration steps by the same constant (`l += 1`): at the
/// start of an iteration it is its value after the loop minus the steps of the iterations
/// after it, so the reverse loop, which runs them last to first, rebuilds it by stepping
/// back (integers only, where that is exact).
#[derive(Debug, Clone)]
pub struct Counter {
    /// Its value after the loop, where stepping back starts.
    pub out: VarId,
    pub step: syn::Expr,
    /// Whether each iteration adds `step` (else subtracts it).
    pub adds: bool,
}

/// The adjoint of a loop's carried variable across reverse iterations.
#[derive(Debug)]
pub struct Carry {
    pub phi: VarId,
    pub out: VarId,
    /// Whether the adjoint starts from `d_out` (else from zero).
    pub from_out: bool,
    pub phi_active: bool,
    pub shape: CarryShape,
}

/// Where a reverse iteration's zero adjoint of a carried value takes its shape from: the
/// value at the start of the iteration, which the next iteration's need not share
/// (`v = v[1..].to_vec();`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarryShape {
    /// The next iteration's adjoint: a scalar, or a fused loop's accumulator.
    Next,
    /// The value itself, restored at the start of the reverse iteration.
    Value,
    /// The value's shape, kept by the forward iteration (`runtime::carried_shape`: nothing
    /// for a type whose shape its type fixes, the length of a `Vec`, a dynamic matrix's
    /// dimensions).
    Kept,
}

/// The reverse sweep, and the values the forward sweep must push for it.
pub struct Sweep {
    pub stmts: Vec<Adjoint>,
    /// The top-level values a pullback's closure computes again instead of capturing, in
    /// program order (see [`Planner::rebuilt_in_pullback`]).
    pub rebuilt_in_pullback: Vec<VarId>,
    /// The same for a loop pullback's closure, which the caller hands the arguments again.
    pub rebuilt_in_loop_pullback: Vec<VarId>,
    pub saved: BTreeSet<VarId>,
    /// The carried values whose shapes their forward iterations keep ([`CarryShape::Kept`]).
    pub shaped: BTreeSet<VarId>,
    /// `Copy` values whose type is not known to be a scalar (`strategy::copies_of_fields`):
    /// their zero adjoints are shaped like them.
    pub unknown_copies: HashSet<VarId>,
    /// The bodies of the loops whose reverse iterations replay them (see `replay.rs`): their
    /// forward iterations save nothing but the carried values.
    pub replayed: HashSet<BlockId>,
    /// The loops whose reverse iterations restore the arrays they rewrite, with those
    /// arrays (`Replays::snapshots`).
    pub snapshots: BTreeMap<BlockId, Vec<VarId>>,
    /// The loops' integer counters rebuilt instead of saved, by phi.
    pub counters: HashMap<VarId, Counter>,
    /// Broken invariants met while planning (reported as internal errors, never papered
    /// over: the sweep is not emitted).
    pub internal: Vec<String>,
    /// The fused loops' reverse iterations (`strategy::Fusion`), by body: printed inside
    /// the forward loop, not in the reverse sweep.
    pub fused: HashMap<BlockId, Fused>,
}

/// The reverse of a fused loop (`strategy::Fusion`), which the forward sweep runs.
#[derive(Debug)]
pub struct Fused {
    /// Before the loop: the adjoints its reverse adds to that are defined outside it, then
    /// the adjoints of its accumulators' final values, from the seed.
    pub before: Vec<Adjoint>,
    pub carries: Vec<Carry>,
    /// Each iteration's reverse, after its forward statements and before its end.
    pub body: Vec<Adjoint>,
}

/// The statements a reverse iteration starts with that restore values (its prologue's
/// first: the carried values', and rebuilt counters among them).
pub fn restores_first(body: &[Adjoint]) -> &[Adjoint] {
    let count = body
        .iter()
        .take_while(|s| matches!(s, Adjoint::Restore(_) | Adjoint::Rebuild(_)))
        .count();
    &body[..count]
}

/// The [`Slot`]s of a reverse sweep (their `Declare` steps), nested ones included.
pub fn slots(steps: &[Adjoint], out: &mut Vec<Slot>) {
    for step in steps {
        match step {
            Adjoint::Slot(slot, SlotStep::Declare) => out.push(slot.clone()),
            Adjoint::If {
                then_branch,
                else_branch,
                ..
            } => {
                slots(then_branch, out);
                slots(else_branch, out);
            }
            Adjoint::Loop { body, .. } => slots(body, out),
            _ => {}
        }
    }
}

/// The arrays whose adjoints `steps` add to by `index_vjp`, outside nested loops.
fn element_additions(steps: &[Adjoint], out: &mut HashSet<VarId>) {
    for step in steps {
        match step {
            Adjoint::Accumulate { helper, target, .. } if helper == "index_vjp" => {
                out.insert(*target);
            }
            Adjoint::If {
                then_branch,
                else_branch,
                ..
            } => {
                element_additions(then_branch, out);
                element_additions(else_branch, out);
            }
            _ => {}
        }
    }
}

/// Whether `step` touches the adjoint of `array` only by adding to its elements
/// (`index_vjp` and its two- and three-index forms), or not at all.
fn only_adds_elements(step: &Adjoint, array: VarId) -> bool {
    let all = |steps: &[Adjoint]| steps.iter().all(|s| only_adds_elements(s, array));
    match step {
        Adjoint::Accumulate {
            helper,
            target,
            out,
            first,
            ..
        } => {
            *out != array
                && (*target != array
                    || (matches!(helper.as_str(), "index_vjp" | "index2_vjp" | "index3_vjp")
                        && *first == First::Zeros))
        }
        Adjoint::Zero(v) | Adjoint::ZeroResult(v) => *v != array,
        Adjoint::Adopt { target, out } => *target != array && *out != array,
        Adjoint::Flow { target, source, .. } => {
            let from = match source {
                Source::Seed => None,
                Source::Adjoint(v) | Source::Carry(v) => Some(*v),
            };
            *target != array && from != Some(array)
        }
        Adjoint::Call { targets, out, .. } => {
            *out != array && !targets.iter().flatten().any(|t| *t == array)
        }
        Adjoint::Store {
            array: a, value, ..
        } => *a != array && *value != Some(array),
        Adjoint::If {
            then_branch,
            else_branch,
            ..
        } => all(then_branch) && all(else_branch),
        Adjoint::Loop { carries, body, .. } => {
            carries.iter().all(|c| c.phi != array && c.out != array) && all(body)
        }
        // A slot's local is added to its element: an addition too.
        Adjoint::Slot(..) => true,
        Adjoint::Recompute(_)
        | Adjoint::RecomputeStmt { .. }
        | Adjoint::Restore(_)
        | Adjoint::Reload { .. }
        | Adjoint::Rebuild(_)
        | Adjoint::Replay(_)
        | Adjoint::Snapshot(_) => true,
    }
}

/// The stores that increment an element (`a[i] += e`, lowered as `t = a[i]; u = t + e;
/// a[i] = u;`), by the stored value, with the read of the old value: a scalar read at the
/// same index among the `let`s right before the store, none of the `let`s after it naming
/// the array, each of the two values used once. The reverse of the three leaves the slot's
/// adjoint as it was (the old value's adjoint is the new value's), so the store's adjoint
/// reads it without clearing it and the read adds nothing back: one read of the slot
/// instead of a read, a clear and an addition.
pub fn increments(body: &Body) -> HashMap<VarId, VarId> {
    let mut uses: HashMap<VarId, usize> = HashMap::new();
    body.walk(TOP, &mut |stmt| {
        for v in crate::replay::stmt_vars(stmt) {
            *uses.entry(v).or_default() += 1;
        }
    });
    if let Operand::Var(v) = &body.ret {
        *uses.entry(*v).or_default() += 1;
    }
    let once = |v: &VarId| uses.get(v) == Some(&1);
    let lets = body.lets();
    let mut found = HashMap::new();
    for block in &body.blocks {
        for (at, stmt) in block.stmts.iter().enumerate() {
            let Stmt::Store {
                array,
                indices,
                value: Operand::Var(sum),
            } = stmt
            else {
                continue;
            };
            let [index] = indices.as_slice() else {
                continue;
            };
            let Some(Op::Rule { rule, args, .. }) = lets.get(sum) else {
                continue;
            };
            if rule.name != "add" || !once(sum) {
                continue;
            }
            // The `let`s right before the store, last first, until the read.
            for earlier in block.stmts[..at].iter().rev() {
                let Stmt::Let { var, op, .. } = earlier else {
                    break;
                };
                let operand = args.iter().any(|a| a.value.var() == Some(*var));
                let scalar = body.var(*var).kind == crate::ir::Kind::Copy;
                if operand && scalar && once(var) && reads_element(op, *array, index) {
                    found.insert(*sum, *var);
                    break;
                }
                if op.uses().contains(array) {
                    break;
                }
            }
        }
    }
    found
}

/// Whether `op` is `array[index]`, a `Copy` scalar read by the `index` rule.
fn reads_element(op: &Op, array: VarId, index: &Operand) -> bool {
    let Op::Rule {
        rule,
        form: Form::Index,
        args,
    } = op
    else {
        return false;
    };
    let same_index = matches!(args.get(1..), Some([a]) if a.value.same(index));
    rule.name == "index"
        && !rule.view
        && args.first().and_then(|a| a.value.var()) == Some(array)
        && same_index
}

/// Where a variable is defined.
#[derive(Debug, Clone, Copy)]
enum Def {
    Param,
    /// `let` at `index` of its home block.
    Let(usize),
    /// A merge of the `if` at `index`.
    Merge(usize),
    /// An output (carried value after the loop, or iteration count) of the loop at `index`.
    LoopResult(usize),
    Phi,
    /// A loop's index: the reverse loop's header provides it.
    Index,
}

pub fn reverse(
    body: &Body,
    activity: &Activity,
    declared: &[VarId],
    loops: &crate::strategy::Loops,
) -> Sweep {
    let final_reads = final_reads(body);
    let increments = increments(body);
    let increment_reads = increments.values().copied().collect();
    let mut planner = Planner {
        body,
        activity,
        declared: vec![declared.iter().copied().collect()],
        pending: HashMap::new(),
        saved: BTreeSet::new(),
        shaped: BTreeSet::new(),
        unknown_copies: crate::strategy::copies_of_fields(body),
        defs: definitions(body),
        loops: Vec::new(),
        mutable_state: mutable_state(body),
        final_reads,
        tied: tied_literals(body),
        replays: loops.replays.clone(),
        counters: loops.counters.clone(),
        reloads: loops.reloads.clone(),
        keep_expensive: loops.keep_expensive,
        internal: Vec::new(),
        increments,
        increment_reads,
        top_needs: BTreeSet::new(),
        fusions: loops.fused.clone(),
        fused: HashMap::new(),
        hoisted: HashMap::new(),
    };
    // A fused loop's reverse runs before the reverse sweep: the adjoints it adds to are
    // declared before it, so that the reverse sweep adds to them too.
    for stmt in &body.block(TOP).stmts {
        if let Stmt::Loop(l) = stmt {
            if planner.fusions.contains_key(&l.body) {
                let mut declared = Vec::new();
                planner.hoist(stmt, &mut declared);
                planner.hoisted.insert(l.body, declared);
            }
        }
    }
    let mut stmts = Vec::new();
    if let Operand::Var(ret) = body.ret {
        if activity.is_active(ret) {
            let declare = !planner.is_declared(ret);
            planner.declare(ret);
            stmts.push(Adjoint::Flow {
                target: ret,
                source: Source::Seed,
                declare,
            });
        }
    }
    stmts.extend(planner.block(TOP, Vec::new()));
    planner.after_fusion(&mut stmts);
    let rebuilt_in_pullback = planner.rebuilt_in_pullback(false);
    let rebuilt_in_loop_pullback = planner.rebuilt_in_pullback(true);
    Sweep {
        stmts,
        rebuilt_in_pullback,
        rebuilt_in_loop_pullback,
        saved: planner.saved,
        shaped: planner.shaped,
        unknown_copies: planner.unknown_copies,
        replayed: planner.replays.bodies,
        snapshots: planner.replays.snapshots,
        counters: planner.counters,
        internal: planner.internal,
        fused: planner.fused,
    }
}

/// The variables the statements of `block` read, nested blocks included, except the
/// values that the ends of iterations of its own loop hand on (`own`: `block` is the loop's
/// body or a branch in it, whose `Next` the replay skips).
fn collect_replayed_uses(body: &Body, block: BlockId, own: bool, out: &mut Vec<VarId>) {
    for stmt in &body.block(block).stmts {
        if own && matches!(stmt, Stmt::Next { .. }) {
            continue;
        }
        out.extend(crate::replay::stmt_vars(stmt));
        match stmt {
            Stmt::If(i) => {
                collect_replayed_uses(body, i.then_block, own, out);
                collect_replayed_uses(body, i.else_block, own, out);
            }
            Stmt::Loop(l) => collect_replayed_uses(body, l.body, false, out),
            _ => {}
        }
    }
}

fn mutable_state(body: &Body) -> HashSet<VarId> {
    let mut state: HashSet<VarId> = (0..body.vars.len())
        .map(VarId)
        .filter(|v| body.var(*v).memory)
        .collect();
    body.walk(TOP, &mut |stmt| {
        if let Stmt::Let { op, .. } | Stmt::Eval { op, .. } = stmt {
            if let Op::Foreign {
                form: Form::Method { .. },
                args,
                pure: false,
            } = op
            {
                state.extend(args[0].value.var());
            }
        }
    });
    state
}

/// The `let`s that read arrays written in place (`memory`) where no write to those arrays
/// comes later: none after it in program order, and none in a loop around it (a later
/// iteration would write).
pub fn final_reads(body: &Body) -> HashSet<VarId> {
    // Statements in forward order, each with its position and the loops around it.
    struct Walk<'b> {
        body: &'b Body,
        position: usize,
        loops: Vec<BlockId>,
        stores: Vec<(VarId, usize)>,
        /// Receivers of methods that may change them (`w.swap(0, 1)`): never read again.
        mutated: HashSet<VarId>,
        reads: Vec<(VarId, Vec<VarId>, usize, Vec<BlockId>)>,
    }
    impl Walk<'_> {
        fn block(&mut self, block: BlockId) {
            for stmt in &self.body.block(block).stmts {
                self.position += 1;
                match stmt {
                    Stmt::Let { var, op, .. } => {
                        if let Op::Foreign {
                            form: Form::Method { .. },
                            args,
                            pure: false,
                        } = op
                        {
                            self.mutated.extend(args[0].value.var());
                        }
                        let arrays: Vec<VarId> = op
                            .uses()
                            .into_iter()
                            .filter(|v| self.body.var(*v).memory)
                            .collect();
                        if !arrays.is_empty() {
                            self.reads
                                .push((*var, arrays, self.position, self.loops.clone()));
                        }
                    }
                    Stmt::Store { array, .. } => self.stores.push((*array, self.position)),
                    // A method without a rule may change its receiver in place
                    // (`w.swap(0, 1)`): a write.
                    Stmt::Eval {
                        op:
                            Op::Foreign {
                                form: Form::Method { .. },
                                args,
                                pure: false,
                            },
                        ..
                    } => {
                        self.mutated.extend(args[0].value.var());
                    }
                    Stmt::If(i) => {
                        self.block(i.then_block);
                        self.block(i.else_block);
                    }
                    Stmt::Loop(l) => {
                        self.loops.push(l.body);
                        self.block(l.body);
                        self.loops.pop();
                    }
                    _ => {}
                }
            }
        }
    }
    let mut walk = Walk {
        body,
        position: 0,
        loops: Vec::new(),
        stores: Vec::new(),
        mutated: HashSet::new(),
        reads: Vec::new(),
    };
    walk.block(TOP);
    // The loops each array is written in.
    let mut written_in: HashMap<VarId, HashSet<BlockId>> = HashMap::new();
    for (b, block) in body.blocks.iter().enumerate() {
        for stmt in &block.stmts {
            if let Stmt::Store { array, .. } = stmt {
                let mut enclosing = Some(BlockId(b));
                while let Some(e) = enclosing {
                    written_in.entry(*array).or_default().insert(e);
                    enclosing = body.block(e).parent;
                }
            }
        }
    }
    walk.reads
        .into_iter()
        .filter(|(_, arrays, position, loops)| {
            // Only arrays of the top level: one declared in a branch or loop body is out of
            // scope in its reverse, and recomputing its declaration would not replay writes.
            arrays.iter().all(|a| {
                if body.var(*a).home != TOP || walk.mutated.contains(a) {
                    return false;
                }
                let later = walk.stores.iter().any(|(s, p)| s == a && p > position);
                let in_loop = loops
                    .iter()
                    .any(|l| written_in.get(a).is_some_and(|w| w.contains(l)));
                !later && !in_loop
            })
        })
        .map(|(var, ..)| var)
        .collect()
}

/// The literals that lowering typed with a `same_type(&previous, &literal)` statement.
fn tied_literals(body: &Body) -> HashSet<VarId> {
    let mut tied = HashSet::new();
    body.walk(TOP, &mut |stmt| {
        if let Stmt::Eval {
            op: Op::Verbatim { what, uses, .. },
            ..
        } = stmt
        {
            if *what == crate::lower::TYPE_TIE {
                tied.extend(uses.get(1).map(|(_, v)| *v));
            }
        }
    });
    tied
}

fn definitions(body: &Body) -> HashMap<VarId, Def> {
    let mut defs = HashMap::new();
    for param in &body.params {
        defs.insert(*param, Def::Param);
    }
    for (b, block) in body.blocks.iter().enumerate() {
        let _ = b;
        for (index, stmt) in block.stmts.iter().enumerate() {
            match stmt {
                Stmt::Let { var, .. } => {
                    defs.insert(*var, Def::Let(index));
                }
                Stmt::If(i) => {
                    for m in &i.merges {
                        defs.insert(m.var, Def::Merge(index));
                    }
                }
                Stmt::Loop(l) => {
                    for c in &l.carried {
                        defs.insert(c.out, Def::LoopResult(index));
                        defs.insert(c.phi, Def::Phi);
                    }
                    if let Some(counter) = l.counter {
                        defs.insert(counter, Def::LoopResult(index));
                    }
                    if let Header::Range { index: i, .. } = &l.header {
                        defs.insert(*i, Def::Index);
                    }
                }
                _ => {}
            }
        }
    }
    defs
}

struct Planner<'a> {
    body: &'a Body,
    activity: &'a Activity,
    /// Adjoints declared in each enclosing reverse scope.
    declared: Vec<HashSet<VarId>>,
    /// Values that reverse code needs, by the block that defines them.
    pending: HashMap<BlockId, BTreeSet<VarId>>,
    saved: BTreeSet<VarId>,
    shaped: BTreeSet<VarId>,
    /// `Copy` values whose type is not known to be a scalar (`strategy::copies_of_fields`):
    /// their zero adjoints are shaped like them, so they need them.
    unknown_copies: HashSet<VarId>,
    defs: HashMap<VarId, Def>,
    /// The loops being reversed, innermost last.
    loops: Vec<&'a Loop>,
    /// Values that change in place: arrays written by index, and receivers of methods
    /// without a rule (`v.push(..)`, `cell.set(..)`). What reads them is never
    /// recomputed, since their contents at the time are gone.
    mutable_state: HashSet<VarId>,
    /// Values read from arrays written in place after the last write to them: the
    /// arrays still hold what they read when the reverse sweep runs, so they can be read
    /// again instead of saved.
    final_reads: HashSet<VarId>,
    /// Literals typed only by a `same_type` tie with an earlier version (`v = 1.1;`):
    /// evaluated again, such a literal would be an untyped `{float}` (E0689 on a method),
    /// so in a loop body it is restored like a value that cannot be recomputed.
    tied: HashSet<VarId>,
    /// The loops replayed in the reverse sweep, and the reads it reads again there.
    replays: crate::replay::Replays,
    /// Values read back from the array their loop stored them in (`strategy::Loops`).
    reloads: HashMap<VarId, (VarId, VarId)>,
    /// Whether expensive values are kept rather than computed again (`strategy::Loops`).
    keep_expensive: bool,
    /// See [`Sweep::counters`].
    counters: HashMap<VarId, Counter>,
    /// See [`Sweep::internal`].
    internal: Vec<String>,
    /// The increments of array elements ([`increments`]): the read of the old value, by
    /// the stored sum.
    increments: HashMap<VarId, VarId>,
    /// Those reads.
    increment_reads: HashSet<VarId>,
    /// The values of the top level that reverse code reads.
    top_needs: BTreeSet<VarId>,
    /// The loops to fuse (`strategy::Loops::fused`), by body.
    fusions: HashMap<BlockId, crate::strategy::Fusion>,
    /// See [`Sweep::fused`].
    fused: HashMap<BlockId, Fused>,
    /// The adjoints declared before each fused loop, by body.
    hoisted: HashMap<BlockId, Vec<Adjoint>>,
}

impl<'a> Planner<'a> {
    fn is_declared(&self, var: VarId) -> bool {
        self.declared.iter().any(|scope| scope.contains(&var))
    }

    fn declare(&mut self, var: VarId) {
        if let Some(scope) = self.declared.last_mut() {
            scope.insert(var);
        }
    }

    fn active(&self, var: VarId) -> bool {
        self.activity.is_active(var)
    }

    fn active_var(&self, operand: &Operand) -> Option<VarId> {
        operand.var().filter(|v| self.active(*v))
    }

    /// Reverse code reads the primal `var`: outside the top level it must be made
    /// available at the start of its block's reverse.
    fn need(&mut self, var: VarId) {
        let home = self.body.var(var).home;
        // A fused loop's reverse runs in its forward iteration, where its values are.
        if self.fusions.contains_key(&home) {
            return;
        }
        if home != TOP {
            self.pending.entry(home).or_default().insert(var);
        } else {
            self.top_needs.insert(var);
        }
    }

    fn need_operand(&mut self, operand: &Operand) {
        if let Some(var) = operand.var() {
            self.need(var);
        }
    }

    /// Declares `d_var` (zero) unless it exists. A scalar's (or fixed-size array's) zero
    /// needs no value to take its shape from; any other's does.
    fn touch(&mut self, var: VarId, out: &mut Vec<Adjoint>) {
        if !self.is_declared(var) {
            if self.body.var(var).kind != crate::ir::Kind::Copy
                || self.unknown_copies.contains(&var)
            {
                self.need(var);
            }
            out.push(Adjoint::Zero(var));
            self.declare(var);
        }
    }

    /// Declares `d_target` as its first contribution where that is `allowed` and it is a
    /// vector's or matrix's adjoint not declared yet (reading `target`, for the adjoint's
    /// type, when `typed`); otherwise [`Planner::touch`]. Whether it is declared so.
    fn first_or_touch(
        &mut self,
        target: VarId,
        allowed: bool,
        typed: bool,
        out: &mut Vec<Adjoint>,
    ) -> bool {
        if allowed
            && self.body.var(target).kind != crate::ir::Kind::Copy
            && !self.is_declared(target)
        {
            if typed {
                self.need(target);
            }
            self.declare(target);
            true
        } else {
            self.touch(target, out);
            false
        }
    }

    fn flow(&mut self, target: VarId, source: Source, out: &mut Vec<Adjoint>) {
        let declare = !self.is_declared(target);
        self.declare(target);
        out.push(Adjoint::Flow {
            target,
            source,
            declare,
        });
    }

    /// The reverse of `block`: first what makes its needed values available, then
    /// `preamble`, then its statements backwards.
    fn block(&mut self, block: BlockId, preamble: Vec<Adjoint>) -> Vec<Adjoint> {
        let mut reversed = Vec::new();
        let stmts = &self.body.block(block).stmts;
        for (index, stmt) in stmts.iter().enumerate().rev() {
            self.stmt(block, index, stmt, &mut reversed);
        }
        let mut out = if block == TOP {
            Vec::new()
        } else {
            self.prologue(block)
        };
        out.extend(preamble);
        out.extend(reversed);
        out
    }

    fn stmt(&mut self, block: BlockId, index: usize, stmt: &'a Stmt, out: &mut Vec<Adjoint>) {
        let _ = (block, index);
        match stmt {
            Stmt::Let {
                var,
                op: Op::Rule { rule, args, .. },
                ..
            } if self.active(*var) => self.rule_adjoint(*var, rule, args, out),
            Stmt::Let {
                var,
                op: Op::Call { path, args },
                ..
            } if self.active(*var) => self.call_adjoint(*var, path, args, out),
            Stmt::Store {
                array,
                indices,
                value,
                ..
            } if self.active(*array) => self.store_adjoint(*array, indices, value, out),
            Stmt::If(i) if self.region_is_active(stmt) => self.if_adjoint(stmt, i, out),
            Stmt::Loop(l) if self.region_is_active(stmt) => self.loop_adjoint(stmt, l, out),
            Stmt::Next { values, .. } => self.next_adjoint(values, out),
            _ => {}
        }
    }

    /// `var = rule(args)`: one accumulation per differentiable active argument.
    fn rule_adjoint(
        &mut self,
        var: VarId,
        rule: &'static crate::rules::Rule,
        args: &[crate::ir::Arg],
        out: &mut Vec<Adjoint>,
    ) {
        // The old value of an increment's slot: its adjoint stays in the slot.
        if self.increment_reads.contains(&var) {
            return;
        }
        if !self.is_declared(var) {
            // No contribution reached it (defensive: activity implies one).
            self.touch(var, out);
        }
        let adopted = self.adoptable(var, rule, args);
        for (i, arg) in args.iter().enumerate() {
            if !rule.differentiable(i) || adopted == Some(i) {
                continue;
            }
            let Some(target) = self.active_var(&arg.value) else {
                continue;
            };
            // The sum of an increment hands nothing to the old value (see `increments`).
            if self.increments.get(&var) == Some(&target) {
                continue;
            }
            // Where the rule can write it (the closure of `First::Helper` reads the value
            // for the adjoint's type).
            let allowed = rule.first != First::Zeros;
            let first = match self.first_or_touch(target, allowed, rule.first == First::Helper, out)
            {
                true => rule.first,
                false => First::Zeros,
            };
            let needs: Vec<Operand> = rule
                .needs(i)
                .iter()
                .map(|need| match need {
                    Need::Arg(j) => args[*j].value.clone(),
                    Need::Out => Operand::Var(var),
                })
                .collect();
            for n in &needs {
                self.need_operand(n);
            }
            out.push(Adjoint::Accumulate {
                helper: rule.helper_for(i),
                arg: i,
                target,
                needs,
                out: var,
                first,
            });
        }
        // Last: it moves `d_var`, which the other operand's accumulation reads.
        if let Some(target) = adopted.and_then(|i| args.get(i)?.value.var()) {
            self.need(target);
            self.declare(target);
            out.push(Adjoint::Adopt { target, out: var });
        }
    }

    /// The argument of `var = a + b` (either operand), `var = a - b` (the `a`) or a copy
    /// (`a.clone()`, `let b = a;` of an array, `into_owned`) whose adjoint can start as
    /// `d_var` itself ([`Adjoint::Adopt`]): its adjoint is not declared yet (this is the
    /// first contribution the reverse sweep meets, so it would start at zero), it is an
    /// owned value (a matrix or vector: for scalars the optimiser folds `-0.0 + d`
    /// already) of the same block, and `d_var` belongs to this block's reverse (declared
    /// in its scope), so that moving it moves nothing a later step or iteration reads; and
    /// it is no other argument of the same operation. Contributions met later add to it
    /// as before. The right operand when both qualify.
    fn adoptable(
        &self,
        var: VarId,
        rule: &crate::rules::Rule,
        args: &[crate::ir::Arg],
    ) -> Option<usize> {
        let operands = match rule.name {
            "add" => &[1, 0][..],
            "sub" | "copy" | "clone" | "into_owned" | "clone_owned" => &[0][..],
            _ => return None,
        };
        if !self
            .declared
            .last()
            .is_some_and(|scope| scope.contains(&var))
        {
            return None;
        }
        let home = self.body.var(var).home;
        operands.iter().copied().find(|&i| {
            args.get(i)
                .and_then(|a| self.active_var(&a.value))
                .is_some_and(|t| {
                    let v = self.body.var(t);
                    v.kind == crate::ir::Kind::Owned
                    && v.home == home
                    && !self.is_declared(t)
                    && matches!(self.defs.get(&t), Some(Def::Let(_)))
                    // `v - v`: the other operand's contribution, emitted first, would be
                    // declared into the adjoint that the adoption then replaces.
                    && args
                        .iter()
                        .enumerate()
                        .all(|(j, a)| j == i || a.value.var() != Some(t))
                })
        })
    }

    /// `var = f(args)` of another differentiated function.
    fn call_adjoint(
        &mut self,
        var: VarId,
        path: &syn::ExprPath,
        args: &[crate::ir::Arg],
        out: &mut Vec<Adjoint>,
    ) {
        self.touch(var, out);
        let targets: Vec<Option<VarId>> = args.iter().map(|a| self.active_var(&a.value)).collect();
        // An owned or borrowed value's adjoint not declared yet starts as the callee's
        // gradient (an argument passed twice accumulates both into zeros, as before).
        let mut first = Vec::with_capacity(targets.len());
        for target in &targets {
            first.push(target.is_some_and(|t| {
                let once = targets.iter().filter(|u| **u == Some(t)).count() == 1;
                self.first_or_touch(t, once, true, out)
            }));
        }
        // The callee's `_vjp` runs its forward sweep again: it reads every argument.
        for arg in args {
            self.need_operand(&arg.value);
        }
        out.push(Adjoint::Call {
            path: path.clone(),
            args: args.to_vec(),
            targets,
            first,
            out: var,
        });
    }

    /// `array[indices] = value`.
    fn store_adjoint(
        &mut self,
        array: VarId,
        indices: &[Operand],
        value: &Operand,
        out: &mut Vec<Adjoint>,
    ) {
        self.touch(array, out);
        for i in indices {
            self.need_operand(i);
        }
        let value = self.active_var(value);
        if let Some(v) = value {
            self.touch(v, out);
        }
        let keep = value.is_some_and(|v| self.increments.contains_key(&v));
        out.push(Adjoint::Store {
            array,
            indices: indices.to_vec(),
            value,
            keep,
        });
    }

    fn if_adjoint(&mut self, stmt: &Stmt, i: &'a crate::ir::If, out: &mut Vec<Adjoint>) {
        self.hoist(stmt, out);
        self.need_operand(&i.cond);
        let [then_branch, else_branch] =
            [(i.then_block, true), (i.else_block, false)].map(|(branch, then_side)| {
                self.declared.push(HashSet::new());
                let mut preamble = Vec::new();
                for m in &i.merges {
                    let value = if then_side {
                        &m.then_value
                    } else {
                        &m.else_value
                    };
                    if let (true, Some(v)) = (self.active(m.var), self.active_var(value)) {
                        if self.is_declared(m.var) {
                            self.flow(v, Source::Adjoint(m.var), &mut preamble);
                        }
                    }
                }
                let reversed = self.block(branch, preamble);
                self.declared.pop();
                reversed
            });
        out.push(Adjoint::If {
            cond: i.cond.clone(),
            then_branch,
            else_branch,
        });
    }

    fn loop_adjoint(&mut self, stmt: &Stmt, l: &'a Loop, out: &mut Vec<Adjoint>) {
        if self.fusions.contains_key(&l.body) {
            return self.fused_adjoint(l, out);
        }
        self.hoist(stmt, out);
        if let Header::Range {
            start,
            end,
            adaptors,
            ..
        } = &l.header
        {
            self.need_operand(start);
            self.need_operand(end);
            for a in adaptors {
                if let crate::ir::Adaptor::StepBy(step) = a {
                    self.need_operand(step);
                }
            }
        }
        if let Some(counter) = l.counter {
            self.need(counter);
        }
        let mut carries = Vec::new();
        for c in &l.carried {
            let (phi_active, out_active) = (self.active(c.phi), self.active(c.out));
            if !(phi_active || out_active) {
                continue;
            }
            let from_out = out_active && self.is_declared(c.out);
            if !from_out {
                self.need(c.out);
            }
            carries.push(Carry {
                phi: c.phi,
                out: c.out,
                from_out,
                phi_active,
                shape: CarryShape::Next,
            });
        }
        self.loops.push(l);
        self.declared.push(HashSet::new());
        for carry in &carries {
            if carry.phi_active {
                self.declare(carry.phi);
            }
        }
        let mut preamble = Vec::new();
        if self.replays.bodies.contains(&l.body) {
            self.need_for_replay(l);
            preamble.push(Adjoint::Replay(l.body));
        }
        let mut body = self.block(l.body, preamble);
        // The arrays go back to how the iteration left them before anything reads them
        // (after the carried values, which a reverse iteration restores first).
        if self.replays.snapshots.contains_key(&l.body) {
            let at = restores_first(&body).len();
            body.insert(at, Adjoint::Snapshot(l.body));
        }
        self.declared.pop();
        self.loops.pop();
        // A carried adjoint is shaped like its value where that is restored first, else
        // from a kept shape (a scalar's is the next one's).
        let restored: Vec<VarId> = restores_first(&body)
            .iter()
            .filter_map(|s| match s {
                Adjoint::Restore(v) => Some(*v),
                _ => None,
            })
            .collect();
        for carry in carries.iter_mut().filter(|c| c.phi_active) {
            carry.shape = if self.body.var(carry.phi).kind == crate::ir::Kind::Copy {
                CarryShape::Next
            } else if restored.contains(&carry.phi) {
                CarryShape::Value
            } else {
                self.shaped.insert(carry.phi);
                CarryShape::Kept
            };
        }
        // A rebuilt counter steps back from its value after the loop.
        let rebuilt: Vec<VarId> = l
            .carried
            .iter()
            .map(|c| c.phi)
            .filter(|phi| {
                body.iter()
                    .any(|s| matches!(s, Adjoint::Rebuild(v) if v == phi))
            })
            .collect();
        for c in l.carried.iter().filter(|c| rebuilt.contains(&c.phi)) {
            self.need(c.out);
        }
        let slots = self.defer_invariant_slots(l, &mut body);
        out.extend(
            slots
                .iter()
                .map(|slot| Adjoint::Slot(slot.clone(), SlotStep::Declare)),
        );
        out.push(Adjoint::Loop {
            header: l.header.clone(),
            counter: l.counter,
            carries,
            rebuilt,
            body,
            body_block: l.body,
        });
        out.extend(
            slots
                .into_iter()
                .map(|slot| Adjoint::Slot(slot, SlotStep::Flush)),
        );
        self.flow_into_inits(l, out);
    }

    /// The [`Slot`]s of a reverse loop's body: its steps (in branches too, not in nested
    /// loops) `index_vjp(&mut d_a, &i, &d_y)` for a scalar element `y = a[i]`, where `i` is
    /// defined outside the loop and `d_a` is declared there, and where nothing in the body
    /// touches `d_a` but additions to its elements (which commute with adding the local
    /// after the loop). Each such step adds into its slot's local instead.
    fn defer_invariant_slots(&self, l: &Loop, body: &mut [Adjoint]) -> Vec<Slot> {
        let mut targets = HashSet::new();
        element_additions(body, &mut targets);
        let additive: HashSet<VarId> = targets
            .into_iter()
            .filter(|a| body.iter().all(|step| only_adds_elements(step, *a)))
            .collect();
        let mut slots = Vec::new();
        if !additive.is_empty() {
            self.defer_slots_in(l, body, &additive, &mut slots);
        }
        slots
    }

    fn defer_slots_in(
        &self,
        l: &Loop,
        steps: &mut [Adjoint],
        additive: &HashSet<VarId>,
        slots: &mut Vec<Slot>,
    ) {
        let outside = |v: VarId| !self.body.is_within(self.body.var(v).home, l.body);
        for step in steps {
            if let Adjoint::If {
                then_branch,
                else_branch,
                ..
            } = step
            {
                self.defer_slots_in(l, then_branch, additive, slots);
                self.defer_slots_in(l, else_branch, additive, slots);
                continue;
            }
            let Adjoint::Accumulate {
                helper,
                target,
                needs,
                out,
                first: First::Zeros,
                ..
            } = step
            else {
                continue;
            };
            let [index] = needs.as_slice() else {
                continue;
            };
            let scalar_read = self.body.var(*out).kind == crate::ir::Kind::Copy
                && !self.unknown_copies.contains(out)
                && matches!(
                    self.let_op(*out),
                    Some(Op::Rule { rule, form: Form::Index, .. }) if rule.name == "index" && !rule.view
                );
            let deferrable = helper == "index_vjp"
                && scalar_read
                && additive.contains(target)
                && outside(*target)
                && self.is_declared(*target)
                && index.var().is_none_or(outside);
            if deferrable {
                let slot = Slot {
                    array: *target,
                    out: *out,
                    index: index.clone(),
                };
                *step = Adjoint::Slot(slot.clone(), SlotStep::Add);
                slots.push(slot);
            }
        }
    }

    /// The adjoint left at the start of a loop's first iteration is its initial value's.
    fn flow_into_inits(&mut self, l: &Loop, out: &mut Vec<Adjoint>) {
        for c in &l.carried {
            let carried = self.active(c.phi) || self.active(c.out);
            if let (true, Some(init)) = (carried, self.active_var(&c.init)) {
                self.flow(init, Source::Carry(c.phi), out);
            }
        }
    }

    /// A fused loop (`strategy::Fusion`): its reverse iteration is planned like any, but
    /// kept for the forward sweep, with what it starts from; the reverse sweep only hands
    /// the carried adjoints (unchanged by the iterations) to the initial values.
    fn fused_adjoint(&mut self, l: &'a Loop, out: &mut Vec<Adjoint>) {
        let carries: Vec<Carry> = l
            .carried
            .iter()
            .filter(|c| self.active(c.phi) || self.active(c.out))
            .map(|c| Carry {
                phi: c.phi,
                out: c.out,
                from_out: true,
                phi_active: self.active(c.phi),
                shape: CarryShape::Next,
            })
            .collect();
        self.loops.push(l);
        self.declared.push(
            carries
                .iter()
                .filter(|c| c.phi_active)
                .map(|c| c.phi)
                .collect(),
        );
        let body = self.block(l.body, Vec::new());
        self.declared.pop();
        self.loops.pop();
        let mut before = self.hoisted.remove(&l.body).unwrap_or_default();
        before.extend(self.seed_steps(l.body));
        self.fused.insert(
            l.body,
            Fused {
                before,
                carries,
                body,
            },
        );
        self.flow_into_inits(l, out);
    }

    /// The reverse sweep's steps on the chains from the result to fused loops (see
    /// `seed_steps`): those into the loops' final values are dropped (the loops used them,
    /// before), and the chain's adjoints are declared of the result's type (nothing may
    /// read them now that tells their type).
    fn after_fusion(&self, stmts: &mut Vec<Adjoint>) {
        let mut outs = HashSet::new();
        let mut chain = HashSet::new();
        for stmt in &self.body.block(TOP).stmts {
            let Stmt::Loop(l) = stmt else { continue };
            let Some(fusion) = self.fusions.get(&l.body) else {
                continue;
            };
            outs.extend(l.carried.iter().map(|c| c.out));
            for (_, link) in &fusion.links {
                if let crate::strategy::Link::Rule { user, arg } = link {
                    chain.insert(*user);
                    if let Some((_, args)) = self.rule_of(*user) {
                        chain.extend(args.get(*arg).and_then(|a| a.value.var()));
                    }
                }
            }
        }
        stmts.retain(|step| match step {
            Adjoint::Zero(v) | Adjoint::ZeroResult(v) => !outs.contains(v),
            Adjoint::Flow { target, .. } | Adjoint::Accumulate { target, .. } => {
                !outs.contains(target)
            }
            _ => true,
        });
        for step in stmts.iter_mut() {
            if let Adjoint::Zero(v) = step {
                if chain.contains(v) {
                    *step = Adjoint::ZeroResult(*v);
                }
            }
        }
    }

    /// The operation of the `let` of `var`, in whichever block.
    fn let_op(&self, var: VarId) -> Option<&'a Op> {
        let Some(Def::Let(index)) = self.defs.get(&var) else {
            return None;
        };
        match self.body.block(self.body.var(var).home).stmts.get(*index) {
            Some(Stmt::Let { op, .. }) => Some(op),
            _ => None,
        }
    }

    /// The rule and arguments of the top-level `let` of `var`.
    fn rule_of(&self, var: VarId) -> Option<(&'static crate::rules::Rule, &'a [crate::ir::Arg])> {
        let Some(Def::Let(index)) = self.defs.get(&var) else {
            return None;
        };
        match self.body.block(TOP).stmts.get(*index) {
            Some(Stmt::Let {
                op: Op::Rule { rule, args, .. },
                ..
            }) => Some((*rule, args)),
            _ => None,
        }
    }

    /// The adjoints of a fused loop's accumulators' final values, from the seed through
    /// the chain `strategy::Fusion` found (`s / n`: `d_s = seed / n`), for the forward
    /// sweep before the loop; the reverse sweep computes them again in its own scope.
    fn seed_steps(&mut self, fused_body: BlockId) -> Vec<Adjoint> {
        let Some(fusion) = self.fusions.get(&fused_body).cloned() else {
            return Vec::new();
        };
        let mut steps: Vec<Adjoint> = fusion
            .early
            .iter()
            .map(|v| Adjoint::Recompute(*v))
            .collect();
        let Operand::Var(ret) = self.body.ret else {
            self.internal
                .push("a fused loop in a function without a result".into());
            return steps;
        };
        steps.push(Adjoint::Flow {
            target: ret,
            source: Source::Seed,
            declare: true,
        });
        let mut declared: HashSet<VarId> = HashSet::from([ret]);
        for (_, link) in fusion.links {
            let (user, arg) = match link {
                crate::strategy::Link::Rule { user, arg } => (user, arg),
                crate::strategy::Link::Carried { out, init } => {
                    // The later loop hands its final value's adjoint, unchanged, to `init`.
                    steps.push(Adjoint::Flow {
                        target: init,
                        source: Source::Adjoint(out),
                        declare: declared.insert(init),
                    });
                    continue;
                }
            };
            let Some((rule, args)) = self.rule_of(user) else {
                self.internal
                    .push("a fused loop's chain without its rule".into());
                continue;
            };
            let Some(target) = args.get(arg).and_then(|a| a.value.var()) else {
                continue;
            };
            if declared.insert(target) {
                steps.push(Adjoint::ZeroResult(target));
            }
            let needs = rule
                .needs(arg)
                .iter()
                .map(|need| match need {
                    Need::Arg(j) => args[*j].value.clone(),
                    Need::Out => Operand::Var(user),
                })
                .collect();
            steps.push(Adjoint::Accumulate {
                helper: rule.helper_for(arg),
                arg,
                target,
                needs,
                out: user,
                first: First::Zeros,
            });
        }
        steps
    }

    /// What the replay of `l`'s body reads: the values of enclosing blocks, and the carried
    /// values at the start of the iteration (restored; the replay skips the iteration's end,
    /// so the values it hands on are not read).
    fn need_for_replay(&mut self, l: &Loop) {
        let mut used = Vec::new();
        collect_replayed_uses(self.body, l.body, true, &mut used);
        for var in used {
            let home = self.body.var(var).home;
            if !self.body.is_within(home, l.body) {
                self.need(var);
            } else if l.carried.iter().any(|c| c.phi == var) {
                self.pending.entry(l.body).or_default().insert(var);
            }
        }
    }

    /// The end of a loop iteration: the carried values' adjoints flow from the carries.
    fn next_adjoint(&mut self, values: &[Operand], out: &mut Vec<Adjoint>) {
        let Some(l) = self.loops.last().copied() else {
            self.internal
                .push("the end of a loop iteration outside a loop".into());
            return;
        };
        for (c, value) in l.carried.iter().zip(values) {
            if !(self.active(c.phi) || self.active(c.out)) {
                continue;
            }
            if let Some(v) = self.active_var(value) {
                self.flow(v, Source::Carry(c.phi), out);
            }
        }
    }

    fn region_is_active(&self, stmt: &Stmt) -> bool {
        let mut active = false;
        let mut check = |s: &Stmt| match s {
            Stmt::Let { var, .. } => active |= self.active(*var),
            Stmt::Store { array, .. } => active |= self.active(*array),
            Stmt::If(i) => active |= i.merges.iter().any(|m| self.active(m.var)),
            Stmt::Loop(l) => {
                active |= l
                    .carried
                    .iter()
                    .any(|c| self.active(c.phi) || self.active(c.out))
            }
            // An exit hands active values to the loop's next iteration or its result.
            Stmt::Next { values, .. } => {
                active |= values
                    .iter()
                    .any(|v| v.var().is_some_and(|v| self.active(v)))
            }
            _ => {}
        };
        check(stmt);
        match stmt {
            Stmt::If(i) => {
                self.body.walk(i.then_block, &mut check);
                self.body.walk(i.else_block, &mut check);
            }
            Stmt::Loop(l) => self.body.walk(l.body, &mut check),
            _ => {}
        }
        active
    }

    /// Declares, before a branch or loop, the adjoints its reverse adds to but that are
    /// defined outside it (so they outlive its scope).
    fn hoist(&mut self, stmt: &Stmt, out: &mut Vec<Adjoint>) {
        let inner: Vec<BlockId> = match stmt {
            Stmt::If(i) => vec![i.then_block, i.else_block],
            Stmt::Loop(l) => vec![l.body],
            _ => return,
        };
        let mut targets = BTreeSet::new();
        let mut collect = |s: &Stmt| {
            let mut operands: Vec<&Operand> = Vec::new();
            match s {
                Stmt::Let {
                    op: Op::Rule { args, .. } | Op::Call { args, .. },
                    ..
                } => operands.extend(args.iter().map(|a| &a.value)),
                Stmt::Store { array, value, .. } => {
                    targets.insert(*array);
                    operands.push(value);
                }
                Stmt::If(i) => i.merges.iter().for_each(|m| {
                    operands.push(&m.then_value);
                    operands.push(&m.else_value);
                }),
                Stmt::Loop(l) => operands.extend(l.carried.iter().map(|c| &c.init)),
                Stmt::Next { values, .. } => operands.extend(values.iter()),
                _ => {}
            }
            targets.extend(operands.into_iter().filter_map(Operand::var));
        };
        // The `if`'s own merges flow into its branches' values too.
        if matches!(stmt, Stmt::If(_)) {
            collect(stmt);
        }
        for block in &inner {
            self.body.walk(*block, &mut collect);
        }
        for target in targets {
            let home = self.body.var(target).home;
            let inside = inner.iter().any(|b| self.body.is_within(home, *b));
            let is_phi_of_this_loop = matches!(self.defs.get(&target), Some(Def::Phi)) && inside;
            if !inside && !is_phi_of_this_loop && self.active(target) {
                self.touch(target, out);
            }
        }
    }

    /// What makes the values the reverse of `block` needs available: each is recomputed
    /// when that is pure and its inputs are available, else restored from its stack.
    fn prologue(&mut self, block: BlockId) -> Vec<Adjoint> {
        let mut work: Vec<VarId> = self
            .pending
            .remove(&block)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut done: HashSet<VarId> = HashSet::new();
        // A replayed body defines its values again: only the carried ones are restored.
        if self.replays.bodies.contains(&block) {
            work.retain(|v| matches!(self.defs.get(v), Some(Def::Phi)));
        }
        // Ordered by position of the definition; phis (position 0) before the rest.
        let mut actions: BTreeMap<(usize, usize), Adjoint> = BTreeMap::new();
        let stmts = &self.body.block(block).stmts;
        while let Some(var) = work.pop() {
            if !done.insert(var) {
                continue;
            }
            match self.defs.get(&var).copied() {
                Some(Def::Index) | Some(Def::Param) | None => {}
                Some(Def::Phi) if self.counters.contains_key(&var) => {
                    actions.insert((0, var.0), Adjoint::Rebuild(var));
                }
                Some(Def::Phi) => {
                    self.saved.insert(var);
                    actions.insert((0, var.0), Adjoint::Restore(var));
                }
                Some(Def::Let(index)) => {
                    let Stmt::Let { op, .. } = &stmts[index] else {
                        continue;
                    };
                    if let Some(&(array, loop_index)) = self.reloads.get(&var) {
                        self.need(array);
                        actions.insert(
                            (index + 1, var.0),
                            Adjoint::Reload {
                                var,
                                array,
                                index: loop_index,
                            },
                        );
                        continue;
                    }
                    // A transcendental result is kept (in a slot, or on a stack of one value
                    // per iteration) rather than computed again: tens of cycles against a
                    // push and a pop. Where stacks do not grow on the heap, only in a
                    // replayed loop (whose stacks hold one iteration): `Loops::keep_expensive`.
                    let kept = matches!(op, Op::Rule { rule, .. } if rule.expensive())
                        && (self.keep_expensive || self.in_replay(block));
                    if ((self.recomputable(op) && !self.tied.contains(&var))
                        || self.final_reads.contains(&var)
                        || self.replays.reads.contains(&var))
                        && !kept
                    {
                        for used in op.uses() {
                            if self.body.var(used).home == block {
                                work.push(used);
                            } else {
                                self.need(used);
                            }
                        }
                        actions.insert((index + 1, var.0), Adjoint::Recompute(var));
                    } else {
                        self.saved.insert(var);
                        actions.insert((index + 1, var.0), Adjoint::Restore(var));
                    }
                }
                Some(Def::Merge(index)) => {
                    if self.stmt_recomputable(&stmts[index]) {
                        for used in self.free_uses(&stmts[index]) {
                            if self.body.var(used).home == block {
                                work.push(used);
                            } else {
                                self.need(used);
                            }
                        }
                        actions.insert((index + 1, 0), Adjoint::RecomputeStmt { block, index });
                    } else {
                        self.saved.insert(var);
                        actions.insert((index + 1, var.0), Adjoint::Restore(var));
                    }
                }
                Some(Def::LoopResult(index)) => {
                    self.saved.insert(var);
                    actions.insert((index + 1, var.0), Adjoint::Restore(var));
                }
            }
        }
        actions.into_values().collect()
    }

    /// Whether `block` is nested in a replayed loop's body (not the body itself, whose
    /// values the replay defines).
    fn in_replay(&self, block: BlockId) -> bool {
        self.replays
            .bodies
            .iter()
            .any(|b| *b != block && self.body.is_within(block, *b))
    }

    fn recomputable(&self, op: &Op) -> bool {
        if op.uses().iter().any(|v| self.mutable_state.contains(v)) {
            return false;
        }
        match op {
            Op::Rule { .. } | Op::Verbatim { .. } => true,
            Op::Foreign { pure, .. } => *pure,
            // A call runs the callee's whole forward sweep: restored, not run again.
            Op::Call { .. } => false,
        }
    }

    /// The top-level values that a pullback's closure (the reverse sweep a caller keeps
    /// between its sweeps, one per call on a stack when the call is in a loop) computes
    /// again rather than capturing: scalar arithmetic (not `Rule::expensive`) that the
    /// reverse reads, whose operands the closure holds anyway (read by the reverse too,
    /// computed again themselves, or, in a loop pullback (`given`), the parameters, which
    /// the caller hands the closure again). Capturing costs 8 bytes a value per call, kept
    /// until the reverse sweep; the arithmetic costs a cycle. `sigmoid`'s loop pullback
    /// keeps its `exp` alone; `x * x + y * y`'s keeps nothing.
    fn rebuilt_in_pullback(&self, given: bool) -> Vec<VarId> {
        let mut held = self.top_needs.clone();
        if given {
            held.extend(self.body.params.iter().copied());
        }
        let mut rebuilt = Vec::new();
        for stmt in &self.body.block(TOP).stmts {
            let Stmt::Let { var, op, .. } = stmt else {
                continue;
            };
            let cheap = matches!(op, Op::Rule { rule, .. } if !rule.expensive() && !rule.view);
            if cheap
                && self.top_needs.contains(var)
                && self.body.var(*var).kind == crate::ir::Kind::Copy
                && !self.tied.contains(var)
                && self.recomputable(op)
                && op.uses().iter().all(|u| u != var && held.contains(u))
            {
                rebuilt.push(*var);
            }
        }
        rebuilt
    }

    /// An `if` is evaluated again when everything in it is.
    fn stmt_recomputable(&self, stmt: &Stmt) -> bool {
        let Stmt::If(i) = stmt else {
            return false;
        };
        let mut ok = true;
        let mut check = |s: &Stmt| match s {
            Stmt::Let { op, .. } => ok &= self.recomputable(op),
            Stmt::If(_) | Stmt::Item(_) => {}
            _ => ok = false,
        };
        self.body.walk(i.then_block, &mut check);
        self.body.walk(i.else_block, &mut check);
        ok && !self
            .free_uses(stmt)
            .iter()
            .any(|v| self.mutable_state.contains(v))
    }

    /// The variables an `if` reads that are defined outside it.
    fn free_uses(&self, stmt: &Stmt) -> Vec<VarId> {
        let Stmt::If(i) = stmt else {
            return Vec::new();
        };
        let mut uses: Vec<VarId> = i.cond.var().into_iter().collect();
        for m in &i.merges {
            uses.extend(m.then_value.var());
            uses.extend(m.else_value.var());
        }
        let mut collect = |s: &Stmt| match s {
            Stmt::Let { op, .. } => uses.extend(op.uses()),
            Stmt::If(inner) => {
                uses.extend(inner.cond.var());
                for m in &inner.merges {
                    uses.extend(m.then_value.var());
                    uses.extend(m.else_value.var());
                }
            }
            _ => {}
        };
        self.body.walk(i.then_block, &mut collect);
        self.body.walk(i.else_block, &mut collect);
        uses.retain(|v| {
            let home = self.body.var(*v).home;
            !self.body.is_within(home, i.then_block) && !self.body.is_within(home, i.else_block)
        });
        uses.sort();
        uses.dedup();
        uses
    }
}
