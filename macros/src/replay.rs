//! Which loops the reverse sweep *replays* (a decision of stage 4, made before it plans).
//!
//! By default the forward sweep pushes, on every iteration of a loop, each value its
//! reverse needs and cannot recompute: a read from an array written in place, the carried
//! values of nested loops. For a loop whose body rewrites scratch arrays (ADBench's GMM:
//! `xcentered` and `qxcentered` for every point and component) that is most of what the
//! body computes, on stacks as long as all iterations together. A replayed loop saves only
//! its own carried values; each reverse iteration first runs the forward iteration again
//! (the *replay*, which pushes what the nested reverse needs: one iteration's worth, on
//! stacks whose capacity is reused), then reverses it, reading the scratch arrays as the
//! iteration left them instead of saving every read. This is Tapenade's per-iteration
//! recomputation; a hand-written adjoint does the same.
//!
//! A loop is replayed when that gives what the forward iteration saw, and when it saves
//! something:
//!
//! - its body has no effects (no macro, call, or method that may change its receiver), so
//!   running it again only computes;
//! - every array written in place that it mentions is declared in the body (the replay
//!   declares it again), or at the top level and either not written in the body and never
//!   written again after it (no store later, none in a loop around it), or *killed* in the
//!   body: every element written before any read in each iteration (a loop `for j in 0..n`
//!   storing `a[j]` over `a = vec![..; n]`, reading nothing of `a`);
//! - its body reads such an array, where the reverse could not read it again otherwise
//!   (what the replay saves);
//! - no loop inside it is replayed (the innermost candidates win: their reads become
//!   reads again; an outer replay would run the inner bodies a third time).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::ir::{BlockId, Body, Form, Header, Loop, Op, Operand, Stmt, VarId, TOP};

/// The loops to replay, and the reads their reverse reads again from the arrays.
#[derive(Clone)]
pub struct Replays {
    /// The bodies of the replayed loops.
    pub bodies: HashSet<BlockId>,
    /// Reads (inside replayed bodies) of arrays that no later statement of the same
    /// iteration writes: after the replay, the array holds what they read.
    pub reads: HashSet<VarId>,
    /// Loops chosen by `strategy::loops` to *restore* instead of replay (not in `bodies`),
    /// with the arrays each iteration rewrites: the forward iteration pushes a copy of them
    /// at its end, and the reverse iteration restores them first, so that `reads` read
    /// what they read.
    pub snapshots: BTreeMap<BlockId, Vec<VarId>>,
}

/// Positions of statements in forward order, and what each block spans.
struct Facts<'b> {
    body: &'b Body,
    position: usize,
    enclosing: Vec<BlockId>,
    /// Each store: array, position, the loop bodies around it.
    stores: Vec<(VarId, usize)>,
    /// Each `let` reading arrays written in place: the value, the arrays, its position, the
    /// loop bodies around it.
    reads: Vec<(VarId, Vec<VarId>, usize, Vec<BlockId>)>,
    /// Each loop: its body, the loop bodies around it, and the positions its subtree spans.
    loops: Vec<(&'b Loop, Vec<BlockId>, usize, usize)>,
    /// Receivers of methods without a rule that may change them (`w.swap(0, 1)`).
    receivers: HashSet<VarId>,
}

impl<'b> Facts<'b> {
    fn block(&mut self, block: BlockId) {
        for stmt in &self.body.block(block).stmts {
            self.position += 1;
            match stmt {
                Stmt::Let { var, op, .. } => {
                    self.receiver(op);
                    let arrays: Vec<VarId> = op
                        .uses()
                        .into_iter()
                        .filter(|v| self.body.var(*v).memory)
                        .collect();
                    let shape_query = matches!(op, Op::Foreign { pure: true, .. });
                    if !arrays.is_empty() && !shape_query {
                        self.reads
                            .push((*var, arrays, self.position, self.enclosing.clone()));
                    }
                }
                Stmt::Eval { op, .. } => self.receiver(op),
                Stmt::Store { array, .. } => self.stores.push((*array, self.position)),
                Stmt::If(i) => {
                    self.block(i.then_block);
                    self.block(i.else_block);
                }
                Stmt::Loop(l) => {
                    let start = self.position;
                    let around = self.enclosing.clone();
                    self.enclosing.push(l.body);
                    self.block(l.body);
                    self.enclosing.pop();
                    self.loops.push((l, around, start, self.position));
                }
                _ => {}
            }
        }
    }

    fn receiver(&mut self, op: &Op) {
        if let Op::Foreign {
            form: Form::Method { .. },
            args,
            pure: false,
        } = op
        {
            self.receivers.extend(args[0].value.var());
        }
    }
}

/// `final_reads`: the reads the reverse sweep reads again anyway (nothing to gain there).
pub fn plan(body: &Body, final_reads: &HashSet<VarId>) -> Replays {
    let mut facts = Facts {
        body,
        position: 0,
        enclosing: Vec::new(),
        stores: Vec::new(),
        reads: Vec::new(),
        loops: Vec::new(),
        receivers: HashSet::new(),
    };
    facts.block(TOP);
    let definitions = body.lets();
    let spans: HashMap<BlockId, (usize, usize)> = facts
        .loops
        .iter()
        .map(|(l, _, start, end)| (l.body, (*start, *end)))
        .collect();
    // Every loop body has a span; none is an empty one.
    let span = |b: &BlockId| spans.get(b).copied().unwrap_or((0, 0));
    let stored_in = |array: VarId, (start, end): (usize, usize)| {
        facts
            .stores
            .iter()
            .any(|(a, p)| *a == array && *p > start && *p <= end)
    };
    let candidates: Vec<BlockId> = facts
        .loops
        .iter()
        .filter(|(l, around, start, end)| {
            let replayable = without_effects(body, l.body)
                && mentioned(body, l.body).iter().all(|v| {
                    if facts.receivers.contains(v) {
                        return false;
                    }
                    let var = body.var(*v);
                    if !var.memory || body.is_within(var.home, l.body) {
                        return true;
                    }
                    if var.home != TOP {
                        return false;
                    }
                    if stored_in(*v, (*start, *end)) {
                        return killed(body, l.body, *v, &definitions);
                    }
                    let later = facts.stores.iter().any(|(a, p)| a == v && p > end);
                    let around = around.iter().any(|b| stored_in(*v, span(b)));
                    !later && !around
                });
            let reads = facts
                .reads
                .iter()
                .any(|(v, _, p, _)| p > start && p <= end && !final_reads.contains(v));
            replayable && reads
        })
        .map(|(l, ..)| l.body)
        .collect();
    // The innermost candidates.
    let bodies: HashSet<BlockId> = candidates
        .iter()
        .copied()
        .filter(|b| {
            !candidates
                .iter()
                .any(|inner| inner != b && body.is_within(*inner, *b))
        })
        .collect();
    // Reads the reverse of a replayed body reads again: of an array that the body declares
    // or that is at the top level (in scope there), with no store to it later in the
    // iteration, nor in a loop inside the body around the read.
    let reads = facts
        .reads
        .iter()
        .filter(|(_, arrays, position, around)| {
            let Some(replayed) = around.iter().find(|b| bodies.contains(b)) else {
                return false;
            };
            let end = span(replayed).1;
            arrays.iter().all(|a| {
                let home = body.var(*a).home;
                (home == *replayed || home == TOP)
                    && !facts.receivers.contains(a)
                    && !stored_in(*a, (*position, end))
                    && !around
                        .iter()
                        .filter(|b| *b != replayed && body.is_within(**b, *replayed))
                        .any(|b| stored_in(*a, span(b)))
            })
        })
        .map(|(var, ..)| *var)
        .collect();
    Replays {
        bodies,
        reads,
        snapshots: BTreeMap::new(),
    }
}

/// Lowering reads an array that a loop reads in nested loops from a copy taken before it
/// (`z_1 = z.clone()`: one saved copy instead of a saved value per read). In a replayed
/// body, where the reverse reads the array itself again, that copy is only a cost (an
/// allocation per iteration, in the forward sweep and in the replay): its reads read the
/// array, when no store to it follows in the iteration (nor in a loop inside the body around
/// the copy), so the array still holds what the copy would.
pub fn dissolve_copies(body: &mut Body) {
    let replays = plan(body, &crate::reverse::final_reads(body));
    let mut facts = Facts {
        body,
        position: 0,
        enclosing: Vec::new(),
        stores: Vec::new(),
        reads: Vec::new(),
        loops: Vec::new(),
        receivers: HashSet::new(),
    };
    facts.block(TOP);
    let spans: HashMap<BlockId, (usize, usize)> = facts
        .loops
        .iter()
        .map(|(l, _, start, end)| (l.body, (*start, *end)))
        .collect();
    // Every loop body has a span; none is an empty one.
    let span = |b: &BlockId| spans.get(b).copied().unwrap_or((0, 0));
    let stored_in = |array: VarId, (start, end): (usize, usize)| {
        facts
            .stores
            .iter()
            .any(|(a, p)| *a == array && *p > start && *p <= end)
    };
    let mut copies: HashMap<VarId, VarId> = HashMap::new();
    for (var, arrays, position, around) in &facts.reads {
        let Some(replayed) = around.iter().find(|b| replays.bodies.contains(b)) else {
            continue;
        };
        let copy = matches!(
            body.blocks
                .iter()
                .flat_map(|b| &b.stmts)
                .find(|s| matches!(s, Stmt::Let { var: v, .. } if v == var)),
            Some(Stmt::Let {
                op: Op::Rule {
                    form: Form::Copy,
                    ..
                },
                ..
            })
        );
        let [array] = arrays.as_slice() else {
            continue;
        };
        let home = body.var(*array).home;
        let end = span(replayed).1;
        let kept = (home == *replayed || home == TOP)
            && !facts.receivers.contains(array)
            && !stored_in(*array, (*position, end))
            && !around
                .iter()
                .filter(|b| *b != replayed && body.is_within(**b, *replayed))
                .any(|b| stored_in(*array, span(b)));
        if copy && kept {
            copies.insert(*var, *array);
        }
    }
    if copies.is_empty() {
        return;
    }
    for block in &mut body.blocks {
        block
            .stmts
            .retain(|s| !matches!(s, Stmt::Let { var, .. } if copies.contains_key(var)));
        for stmt in &mut block.stmts {
            substitute(stmt, &copies);
        }
    }
}

/// Renames the variables one statement names itself (see [`stmt_vars`]).
fn substitute(stmt: &mut Stmt, to: &HashMap<VarId, VarId>) {
    let rename = |o: &mut Operand| {
        if let Operand::Var(v) = o {
            if let Some(new) = to.get(v) {
                *v = *new;
            }
        }
    };
    match stmt {
        Stmt::Let { op, .. } | Stmt::Eval { op, .. } => match op {
            Op::Rule { args, .. } | Op::Foreign { args, .. } | Op::Call { args, .. } => {
                args.iter_mut().for_each(|a| rename(&mut a.value));
            }
            Op::Verbatim { uses, .. } => {
                for (_, v) in uses {
                    if let Some(new) = to.get(v) {
                        *v = *new;
                    }
                }
            }
        },
        Stmt::Macro { rebind, .. } => {
            for (_, v) in rebind {
                if let Some(new) = to.get(v) {
                    *v = *new;
                }
            }
        }
        Stmt::Item(_) => {}
        Stmt::If(i) => {
            rename(&mut i.cond);
            for m in &mut i.merges {
                rename(&mut m.then_value);
                rename(&mut m.else_value);
            }
        }
        Stmt::Loop(l) => {
            if let Header::Range {
                start,
                end,
                adaptors,
                ..
            } = &mut l.header
            {
                rename(start);
                rename(end);
                for a in adaptors {
                    if let crate::ir::Adaptor::StepBy(step) = a {
                        rename(step);
                    }
                }
            }
            for c in &mut l.carried {
                rename(&mut c.init);
            }
        }
        Stmt::Store { indices, value, .. } => {
            indices.iter_mut().for_each(rename);
            rename(value);
        }
        Stmt::Next { values, .. } => values.iter_mut().for_each(rename),
    }
}

/// Whether running `block` again only computes: no macro or item, no call of a
/// differentiated function, no method without a rule that may change its receiver.
fn without_effects(body: &Body, block: BlockId) -> bool {
    let mut pure = true;
    body.walk(block, &mut |stmt| match stmt {
        Stmt::Macro { .. } | Stmt::Item(_) => pure = false,
        Stmt::Let { op, .. } | Stmt::Eval { op, .. } => match op {
            Op::Call { .. } => pure = false,
            Op::Foreign {
                form, pure: false, ..
            } => pure &= matches!(form, Form::VecRepeat),
            _ => {}
        },
        _ => {}
    });
    pure
}

/// The variables a block's statements read or write, nested blocks included.
fn mentioned(body: &Body, block: BlockId) -> HashSet<VarId> {
    let mut vars = HashSet::new();
    body.walk(block, &mut |stmt| vars.extend(stmt_vars(stmt)));
    vars
}

/// The variables one statement names itself (not those of the blocks nested in it).
pub fn stmt_vars(stmt: &Stmt) -> Vec<VarId> {
    let mut operands: Vec<&Operand> = Vec::new();
    match stmt {
        Stmt::Let { op, .. } | Stmt::Eval { op, .. } => return op.uses(),
        Stmt::Macro { rebind, .. } => return rebind.iter().map(|(_, v)| *v).collect(),
        Stmt::Item(_) => {}
        Stmt::If(i) => {
            operands.push(&i.cond);
            for m in &i.merges {
                operands.push(&m.then_value);
                operands.push(&m.else_value);
            }
        }
        Stmt::Loop(l) => {
            if let Header::Range {
                start,
                end,
                adaptors,
                ..
            } = &l.header
            {
                operands.push(start);
                operands.push(end);
                for a in adaptors {
                    if let crate::ir::Adaptor::StepBy(step) = a {
                        operands.push(step);
                    }
                }
            }
            operands.extend(l.carried.iter().map(|c| &c.init));
        }
        Stmt::Store {
            array,
            indices,
            value,
        } => {
            let mut vars = vec![*array];
            vars.extend(indices.iter().chain([value]).filter_map(Operand::var));
            return vars;
        }
        Stmt::Next { values, .. } => operands.extend(values),
    }
    operands.into_iter().filter_map(Operand::var).collect()
}

/// Whether every iteration of `block` writes each element of `array` before reading any:
/// the first statement that mentions it is a loop over all its elements storing each
/// (see [`writes_all`]), or a loop whose own body kills it (then the next mention must
/// kill it again: that loop may have run no iteration), or a store.
pub fn killed(
    body: &Body,
    block: BlockId,
    array: VarId,
    definitions: &HashMap<VarId, &Op>,
) -> bool {
    for stmt in &body.block(block).stmts {
        let mut mentions = stmt_vars(stmt).contains(&array);
        let nested: Vec<BlockId> = match stmt {
            Stmt::If(i) => vec![i.then_block, i.else_block],
            Stmt::Loop(l) => vec![l.body],
            _ => Vec::new(),
        };
        for b in &nested {
            mentions |= mentioned(body, *b).contains(&array);
        }
        if !mentions {
            continue;
        }
        match stmt {
            Stmt::Loop(l) if writes_all(body, l, array, definitions) => return true,
            Stmt::Loop(l) if !stmt_vars(stmt).contains(&array) => {
                if !killed(body, l.body, array, definitions) {
                    return false;
                }
            }
            Stmt::Store { array: a, .. } if *a == array => {}
            _ => return false,
        }
    }
    true
}

/// `for j in 0..n { .. a[j] = v; .. }` over `a = vec![..; n]`, storing `a[j]` on every
/// path (a statement of the body itself) and reading nothing of `a`.
fn writes_all(body: &Body, l: &Loop, array: VarId, definitions: &HashMap<VarId, &Op>) -> bool {
    let Header::Range {
        index,
        start: Operand::Const(syn::Expr::Lit(start)),
        end,
        inclusive: false,
        adaptors,
    } = &l.header
    else {
        return false;
    };
    let zero = matches!(&start.lit, syn::Lit::Int(i) if i.base10_digits() == "0");
    let length = match definitions.get(&array) {
        Some(Op::Foreign {
            form: Form::VecRepeat,
            args,
            ..
        }) => match args.get(1) {
            Some(count) => &count.value,
            None => return false,
        },
        _ => return false,
    };
    let same_length = length.same(end);
    let stores_each = body.block(l.body).stmts.iter().any(|s| {
        matches!(s, Stmt::Store { array: a, indices, .. }
            if *a == array && matches!(indices.as_slice(), [Operand::Var(i)] if i == index))
    });
    let mut reads = false;
    body.walk(l.body, &mut |s| match s {
        Stmt::Store {
            array: a,
            indices,
            value,
        } if *a == array => {
            reads |= indices
                .iter()
                .chain([value])
                .any(|o| o.var() == Some(array));
        }
        other => reads |= stmt_vars(other).contains(&array),
    });
    zero && adaptors.is_empty() && l.counter.is_none() && same_length && stores_each && !reads
}
