//! The strategy stage: the choices of how the adjoint is computed, taken once and read by
//! the later stages as data. `plan` runs after the reverse transformation and decides what
//! emit prints (emit decides nothing of what follows):
//!
//! - per call: split mode (the forward sweep keeps the callee's pullback) or joint mode
//!   (the reverse sweep calls the callee's `_vjp`, which runs its forward sweep again);
//! - per loop: whether its saved values go to stacks allocated once, written by a step
//!   counter (its trip count is known when it starts), or to stacks that grow;
//! - per saved value: its storage (a bounded buffer in place, one slot, a vector or an
//!   array of compile-time size);
//! - per parameter: the initial value of its adjoint;
//! - per structural `let` (a field, a tuple): where a rule's contribution goes;
//! - per intermediate adjoint: how it starts (a literal, `zero()`, `zero_adjoint(&x)`).
//!
//! Two loop decisions change the steps of the reverse sweep itself, so `loops` takes them
//! before the reverse transformation runs: which loops are replayed (`replay::plan`) and
//! which carried integers are rebuilt backwards instead of saved. Whether a loop keeps an
//! iteration counter is part of the IR (`Loop::counter`: lowering gives one to `loop`,
//! `while` and loops that may stop early).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Expr;

use crate::analyse::Activity;
use crate::ir::{
    Adaptor, Arg, BlockId, Body, Form, Header, Kind, Loop, Op, Operand, Stmt, VarId, TOP,
};
use crate::parse::Signature;
use crate::replay::Replays;
use crate::reverse::{Adjoint, Counter, Sweep};

/// The loop decisions the reverse transformation reads.
#[derive(Clone)]
pub struct Loops {
    /// The loops whose reverse iterations replay their forward iterations.
    pub replays: Replays,
    /// The loops' integer counters rebuilt instead of saved, by phi.
    pub counters: HashMap<VarId, Counter>,
    /// Expensive values (`Rule::expensive`: `tanh`, `exp`, ...) that a top-level loop
    /// stores at its own index (`a[i] = t`, once per iteration) into an array nothing else
    /// writes: after the loop `a[i]` still holds `t`, so the reverse iteration reads it
    /// back instead of computing it again (the loop of `m.map(|v| v.tanh())`). By value:
    /// the array and the loop's index.
    pub reloads: HashMap<VarId, (VarId, VarId)>,
    /// Whether a branch or loop keeps its expensive values (`Rule::expensive`) for its
    /// reverse instead of computing them again: only where stacks grow on the heap (with
    /// `alloc` and without `max_iterations`, whose in-place stacks bound every loop's saves,
    /// an inner loop's summed over the outer iterations). A replayed loop keeps them anyway.
    pub keep_expensive: bool,
    /// The top-level loops whose reverse iterations run inside their forward iterations
    /// (see [`Fusion`]), by body: only for `f_vjp`, whose seed is known before the forward
    /// sweep (a pullback's comes after it).
    pub fused: HashMap<BlockId, Fusion>,
}

/// A top-level loop that only accumulates into its carried values (`s += e`, `s -= e`,
/// whose adjoint is then the same at every iteration) and whose final values reach the
/// result through `+`, `-` and products or quotients by values known before the loop
/// (`s / n as f64`): that adjoint is known before the loop starts, so each iteration's
/// reverse can run right after its forward, while its values are still in scope, in the
/// same loop. Nothing is saved or computed twice; a hand-written adjoint of a sum is
/// written this way. The order of the reverse iterations is not the reverse of the
/// forward one, so every array the body writes must be rewritten before it is read in
/// each iteration and not read after the loop, and none it reads written after it.
#[derive(Clone, Debug, Default)]
pub struct Fusion {
    /// Values after the loop that the adjoints' chain reads (`n as f64`), evaluated before
    /// it from values known there, in program order.
    pub early: Vec<VarId>,
    /// The chain from the result back to each accumulator's final value: its steps, each
    /// with the position of its top-level statement, later ones first.
    pub links: Vec<(usize, Link)>,
}

/// A step of a [`Fusion`]'s chain: where an adjoint flows from and into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// The `let` `user`'s rule, into its argument `arg`.
    Rule { user: VarId, arg: usize },
    /// A later fused loop that accumulates onto the value `init`: the adjoint of its final
    /// value `out` flows unchanged into `init`'s.
    Carried { out: VarId, init: VarId },
}

/// Whether stacks grow on the heap: with `alloc` and without `max_iterations` (whose
/// in-place stacks bound every loop's saves). What only growing stacks can hold is decided
/// on it: expensive values kept, calls in loops split, a replayed loop's kept values.
fn stacks_grow(sig: &Signature) -> bool {
    cfg!(feature = "alloc") && sig.max_iterations.is_none()
}

/// Decides, before the reverse transformation, which loops it replays and which carried
/// integers it rebuilds (`integers`: `analyse::integers`), and which loops `f_vjp` fuses.
pub fn loops(sig: &Signature, body: &Body, activity: &Activity, integers: &[bool]) -> Loops {
    let mut replays = crate::replay::plan(body, &crate::reverse::final_reads(body));
    let fused = fusions(sig, body, activity, &replays);
    replays.snapshots = snapshots(sig, body, &replays, &fused);
    for restored in replays.snapshots.keys() {
        replays.bodies.remove(restored);
    }
    Loops {
        replays,
        counters: counters(body, integers),
        reloads: reloads(body),
        keep_expensive: stacks_grow(sig),
        fused,
    }
}

impl Loops {
    /// The same decisions without fusion: for pullbacks, whose seed comes after their
    /// forward sweep, and for `f_jvp`. Loops restored from snapshots (which only a fused
    /// loop around them bounds) are replayed.
    pub fn unfused(&self) -> Loops {
        let mut replays = self.replays.clone();
        let restored = std::mem::take(&mut replays.snapshots);
        replays.bodies.extend(restored.into_keys());
        Loops {
            fused: HashMap::new(),
            replays,
            ..self.clone()
        }
    }
}

/// The replayed loops whose reverse iterations restore the arrays they rewrite from a copy
/// each forward iteration pushes at its end instead (`Replays::snapshots`), by body, with
/// the arrays it rewrites and reads. A replay runs the iteration's forward code again; a
/// snapshot copies the arrays twice. Taken where the iteration's work grows faster than
/// its arrays (a loop nest two deep inside: GMM's triangle loop over `col` and `row`, d²/2
/// products, against 2d copied values), and where the copies of all iterations are
/// bounded: the loop is in a fused loop (`f_vjp` only), whose every iteration runs its
/// reverse and pops them, and stacks grow on the heap. Its body must end each iteration in one place (no `break`) and
/// read no array it declares.
fn snapshots(
    sig: &Signature,
    body: &Body,
    replays: &Replays,
    fused: &HashMap<BlockId, Fusion>,
) -> BTreeMap<BlockId, Vec<VarId>> {
    let mut snapshots = BTreeMap::new();
    if !stacks_grow(sig) {
        return snapshots;
    }
    let definitions = body.lets();
    for fused_body in fused.keys() {
        for l in loops_in(body, *fused_body) {
            let single_end = matches!(
                body.block(l.body).stmts.last(),
                Some(Stmt::Next { exit: false, .. })
            ) && body.nexts(l.body).len() == 1;
            if !replays.bodies.contains(&l.body)
                || l.counter.is_some()
                || !single_end
                || nest_depth(body, l.body) < 2
            {
                continue;
            }
            // The arrays it rewrites and reads (one it only writes, as GMM's `main_term[c]`,
            // its reverse does not read).
            let mut read = BTreeSet::new();
            body.walk(l.body, &mut |s| {
                if let Stmt::Let { op, .. } = s {
                    read.extend(op.uses().into_iter().filter(|v| body.var(*v).memory));
                }
            });
            let arrays: BTreeSet<VarId> = read
                .iter()
                .copied()
                .filter(|v| body.var(*v).home == TOP)
                .filter(|v| crate::replay::killed(body, l.body, *v, &definitions))
                .collect();
            // An array the body declares is filled again by a replay; a restored iteration
            // would read it as its `let` left it (QA session 31, B1): replayed.
            let declares_arrays = read.iter().any(|v| body.var(*v).home != TOP);
            if !arrays.is_empty() && !declares_arrays {
                snapshots.insert(l.body, arrays.into_iter().collect());
            }
        }
    }
    snapshots
}

/// The loops of `block` itself, in its branches too, not those nested in its loops.
fn loops_in(body: &Body, block: BlockId) -> Vec<&Loop> {
    let mut loops = Vec::new();
    for stmt in &body.block(block).stmts {
        match stmt {
            Stmt::Loop(l) => loops.push(l),
            Stmt::If(i) => {
                loops.extend(loops_in(body, i.then_block));
                loops.extend(loops_in(body, i.else_block));
            }
            _ => {}
        }
    }
    loops
}

/// How deep the loops inside `block` nest (0: none).
fn nest_depth(body: &Body, block: BlockId) -> usize {
    let mut deepest = 0;
    for stmt in &body.block(block).stmts {
        let inner = match stmt {
            Stmt::Loop(l) => 1 + nest_depth(body, l.body),
            Stmt::If(i) => nest_depth(body, i.then_block).max(nest_depth(body, i.else_block)),
            _ => 0,
        };
        deepest = deepest.max(inner);
    }
    deepest
}

/// See [`Fusion`].
///
/// Only where it pays, as measured: a loop without nested loops (Rosenbrock: 1.8 → 1.3×
/// the hand-written gradient), or one that is replayed or contains a replayed loop (a
/// replayed loop's forward iteration then runs once instead of twice: a mixture of
/// Gaussians 2.3 → 1.8×). The reverse of a nested loop waits for its iteration's forward
/// result where, unfused, it ran later beside other work: a logistic loss with an inner
/// dot product went from 1.15 to 1.5× fused.
fn fusions(
    sig: &Signature,
    body: &Body,
    activity: &Activity,
    replays: &Replays,
) -> HashMap<BlockId, Fusion> {
    let mut fused = HashMap::new();
    let Operand::Var(ret) = body.ret else {
        return fused;
    };
    if !sig.scalar_ret {
        return fused;
    }
    let facts = FusionFacts::new(body, ret);
    // Last first: a chain may pass through a later fused loop.
    for (at, stmt) in body.block(TOP).stmts.iter().enumerate().rev() {
        if let Stmt::Loop(l) = stmt {
            let mut nested = false;
            body.walk(l.body, &mut |s| nested |= matches!(s, Stmt::Loop(_)));
            let replays_within = replays.bodies.iter().any(|b| body.is_within(*b, l.body));
            if nested && !replays_within {
                continue;
            }
            if let Some(fusion) = facts.fusion(activity, l, at, &fused) {
                fused.insert(l.body, fusion);
            }
        }
    }
    fused
}

/// What deciding [`Fusion`]s reads of the body.
struct FusionFacts<'a> {
    body: &'a Body,
    ret: VarId,
    /// How many times each variable is read (the result once more).
    uses: HashMap<VarId, usize>,
    /// Each `let` by its variable.
    lets: HashMap<VarId, &'a Op>,
    /// The position of each top-level statement defining a variable.
    top_position: HashMap<VarId, usize>,
    /// The `let`s of the top level reading each variable.
    top_users: HashMap<VarId, Vec<VarId>>,
    /// The top-level loops starting a carried variable from each variable: the loop and
    /// the carried variable's final value.
    top_inits: HashMap<VarId, Vec<(&'a Loop, VarId)>>,
}

impl<'a> FusionFacts<'a> {
    fn new(body: &'a Body, ret: VarId) -> Self {
        let mut uses: HashMap<VarId, usize> = HashMap::new();
        body.walk(TOP, &mut |stmt| {
            for v in crate::replay::stmt_vars(stmt) {
                *uses.entry(v).or_default() += 1;
            }
        });
        *uses.entry(ret).or_default() += 1;
        let lets = body.lets();
        let mut top_position = HashMap::new();
        let mut top_users: HashMap<VarId, Vec<VarId>> = HashMap::new();
        let mut top_inits: HashMap<VarId, Vec<(&Loop, VarId)>> = HashMap::new();
        for (at, stmt) in body.block(TOP).stmts.iter().enumerate() {
            match stmt {
                Stmt::Let { var, op, .. } => {
                    top_position.insert(*var, at);
                    for used in op.uses() {
                        top_users.entry(used).or_default().push(*var);
                    }
                }
                Stmt::If(i) => top_position.extend(i.merges.iter().map(|m| (m.var, at))),
                Stmt::Loop(l) => {
                    for c in &l.carried {
                        top_position.insert(c.out, at);
                        if let Some(init) = c.init.var() {
                            top_inits.entry(init).or_default().push((l, c.out));
                        }
                    }
                }
                _ => {}
            }
        }
        FusionFacts {
            body,
            ret,
            uses,
            lets,
            top_position,
            top_users,
            top_inits,
        }
    }

    fn used_once(&self, var: VarId) -> bool {
        self.uses.get(&var) == Some(&1)
    }

    /// The fusion of the top-level loop `l` at position `at`, if it qualifies (`fused`:
    /// the later loops that do).
    fn fusion(
        &self,
        activity: &Activity,
        l: &Loop,
        at: usize,
        fused: &HashMap<BlockId, Fusion>,
    ) -> Option<Fusion> {
        let body = self.body;
        if !matches!(l.header, Header::Range { .. }) || l.counter.is_some() {
            return None;
        }
        // One end of iteration, the body's last statement: the reverse goes before it.
        let nexts = body.nexts(l.body);
        let [(values, false)] = nexts.as_slice() else {
            return None;
        };
        if !matches!(body.block(l.body).stmts.last(), Some(Stmt::Next { .. })) {
            return None;
        }
        let mut fusion = Fusion::default();
        let mut accumulators = 0;
        for (c, value) in l.carried.iter().zip(values.iter()) {
            if !(activity.is_active(c.phi) || activity.is_active(c.out)) {
                continue;
            }
            let accumulates = activity.is_active(c.out)
                && activity.is_active(c.phi)
                && body.var(c.phi).kind == Kind::Copy
                && self.accumulates(l, c.phi, value);
            if !accumulates || !self.seed_chain(c.out, at, fused, &mut fusion) {
                return None;
            }
            accumulators += 1;
        }
        (accumulators > 0 && self.arrays_allow(activity, l, at)).then_some(fusion)
    }

    /// Whether the value `value` an iteration hands on for `phi` is `phi` plus or minus
    /// values that do not depend on `phi` (`s += a; s -= b;`): steps of the body itself,
    /// each read once (so nothing else reads `phi` or a partial sum).
    fn accumulates(&self, l: &Loop, phi: VarId, value: &Operand) -> bool {
        let Some(mut v) = value.var() else {
            return false;
        };
        loop {
            if !self.used_once(v) {
                return false;
            }
            if v == phi {
                return true;
            }
            let Some(sides) = self.accumulating_sides(l, v) else {
                return false;
            };
            let Some(next) = sides.into_iter().find(|a| self.leads_to(l, *a, phi, 64)) else {
                return false;
            };
            v = next;
        }
    }

    /// The operands of `v = a + b` (both) or `v = a - b` (`a`), a `let` of `l`'s body.
    fn accumulating_sides(&self, l: &Loop, v: VarId) -> Option<Vec<VarId>> {
        let Some(Op::Rule { rule, args, .. }) = self.lets.get(&v) else {
            return None;
        };
        let sides = match rule.name {
            "add" => &args[..],
            "sub" => &args[..1],
            _ => return None,
        };
        (self.body.var(v).home == l.body)
            .then(|| sides.iter().filter_map(|a| a.value.var()).collect())
    }

    /// Whether `v` is `phi` or an accumulating step from it (see `accumulating_sides`).
    fn leads_to(&self, l: &Loop, v: VarId, phi: VarId, depth: usize) -> bool {
        v == phi
            || depth > 0
                && self.accumulating_sides(l, v).is_some_and(|sides| {
                    sides
                        .into_iter()
                        .any(|a| self.leads_to(l, a, phi, depth - 1))
                })
    }

    /// Follows `out` (a loop's final value, read once) to the result through linear steps
    /// of the top level, each read once, recording them: sums, differences, products and
    /// quotients by values known before the loop at `at`, and later fused loops (in
    /// `fused`) that accumulate onto the value.
    fn seed_chain(
        &self,
        out: VarId,
        at: usize,
        fused: &HashMap<BlockId, Fusion>,
        fusion: &mut Fusion,
    ) -> bool {
        let mut v = out;
        let mut chain = Vec::new();
        while v != self.ret {
            if !self.used_once(v) {
                return false;
            }
            if let Some(&[(later, later_out)]) = self.top_inits.get(&v).map(Vec::as_slice) {
                if !fused.contains_key(&later.body) {
                    return false;
                }
                let position = self
                    .top_position
                    .get(&later_out)
                    .copied()
                    .unwrap_or_default();
                chain.push((
                    position,
                    Link::Carried {
                        out: later_out,
                        init: v,
                    },
                ));
                v = later_out;
                continue;
            }
            let Some(&[user]) = self.top_users.get(&v).map(Vec::as_slice) else {
                return false;
            };
            let Some(Op::Rule { rule, args, .. }) = self.lets.get(&user) else {
                return false;
            };
            let Some(i) = args.iter().position(|a| a.value.var() == Some(v)) else {
                return false;
            };
            let linear = match (rule.name, i, args.len()) {
                ("add" | "sub", _, 2) | ("neg" | "copy", 0, 1) => true,
                // Every value on the chain is of the result's type (no other reaches a
                // float through these steps), so the factor is a float too.
                ("mul", _, 2) | ("div", 0, 2) => {
                    self.known_before(&args[1 - i].value, at, 4, &mut fusion.early)
                }
                _ => false,
            };
            if !linear {
                return false;
            }
            let position = self.top_position.get(&user).copied().unwrap_or_default();
            chain.push((position, Link::Rule { user, arg: i }));
            v = user;
        }
        // Several accumulators may share the end of their chains (`a + b`); later
        // statements first, as the reverse sweep meets them.
        for link in chain {
            if !fusion.links.iter().any(|(_, l)| *l == link.1) {
                fusion.links.push(link);
            }
        }
        fusion
            .links
            .sort_by_key(|(position, _)| std::cmp::Reverse(*position));
        true
    }

    /// Whether `operand` can be evaluated before the top-level statement at `at`: a
    /// constant, a parameter, a value defined before it, or arithmetic and conversions on
    /// those defined after it (then recorded in `early`).
    fn known_before(
        &self,
        operand: &Operand,
        at: usize,
        depth: usize,
        early: &mut Vec<VarId>,
    ) -> bool {
        let Some(v) = operand.var() else {
            return true;
        };
        if self.body.params.contains(&v) || early.contains(&v) {
            return true;
        }
        let Some(&position) = self.top_position.get(&v) else {
            return false;
        };
        if position < at {
            return true;
        }
        let Some(op) = self.lets.get(&v) else {
            return false;
        };
        let evaluable = match op {
            Op::Rule { form, .. } => !matches!(form, Form::Index),
            Op::Foreign { pure: true, .. } => true,
            // Numeric conversions, evaluated twice without effect (`T::from(n).unwrap()`).
            Op::Foreign { form, .. } => conversion(form),
            _ => false,
        };
        // A value that may change in place may differ before the loop.
        let reads_state = op.uses().iter().any(|u| {
            let var = self.body.var(*u);
            var.memory || var.mutable
        });
        if depth == 0 || !evaluable || reads_state {
            return false;
        }
        let known = op
            .uses()
            .into_iter()
            .all(|u| self.known_before(&Operand::Var(u), at, depth - 1, early));
        if known && !early.contains(&v) {
            early.push(v);
            early.sort_by_key(|e| self.top_position.get(e).copied());
        }
        known
    }

    /// Whether the arrays `l` mentions allow its reverse iterations in forward order:
    /// those it writes (unless declared in its body) are rewritten before any read in each
    /// iteration and not read after it (their adjoints hold nothing between iterations),
    /// and none it mentions is written after it (its reads' adjoints would reach that
    /// write's reverse before their own).
    fn arrays_allow(&self, activity: &Activity, l: &Loop, at: usize) -> bool {
        let body = self.body;
        // What the statements after the loop write and mention.
        let (mut stored_after, mut mentioned_after) = (HashSet::new(), HashSet::new());
        let mut note = |s: &Stmt| {
            if let Stmt::Store { array, .. } = s {
                stored_after.insert(*array);
            }
            mentioned_after.extend(crate::replay::stmt_vars(s));
        };
        for stmt in &body.block(TOP).stmts[at + 1..] {
            note(stmt);
            match stmt {
                Stmt::If(i) => {
                    body.walk(i.then_block, &mut note);
                    body.walk(i.else_block, &mut note);
                }
                Stmt::Loop(inner) => body.walk(inner.body, &mut note),
                _ => {}
            }
        }
        let mut stored_in_body = HashSet::new();
        let mut mentioned = HashSet::new();
        body.walk(l.body, &mut |stmt| {
            if let Stmt::Store { array, .. } = stmt {
                stored_in_body.insert(*array);
            }
            mentioned.extend(crate::replay::stmt_vars(stmt));
        });
        mentioned.into_iter().all(|array| {
            let var = body.var(array);
            if !var.memory || body.is_within(var.home, l.body) || !activity.is_active(array) {
                return true;
            }
            !stored_after.contains(&array)
                && (!stored_in_body.contains(&array)
                    || (!mentioned_after.contains(&array)
                        && crate::replay::killed(body, l.body, array, &self.lets)))
        })
    }
}

/// A numeric conversion without effects (`T::from(n)`, `T::from_f64(c)`, `.unwrap()` of
/// one): the names num-traits and nalgebra give them.
fn conversion(form: &Form) -> bool {
    let name = match form {
        Form::Call(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        Form::Method { name, .. } => Some(name.to_string()),
        _ => None,
    };
    matches!(
        name.as_deref(),
        Some(
            "from"
                | "from_f64"
                | "from_f32"
                | "from_usize"
                | "from_u32"
                | "from_u64"
                | "from_i32"
                | "from_i64"
                | "from_subset"
                | "unwrap"
                | "expect"
        )
    )
}

/// See `Loops::reloads`. The indices of a range loop are distinct, and a statement of the
/// loop's body itself (not of a branch in it) runs on every iteration that reaches the
/// statements after it; the array, defined outside every loop, is written only there.
fn reloads(body: &Body) -> HashMap<VarId, (VarId, VarId)> {
    let mut writes: HashMap<VarId, usize> = HashMap::new();
    let mut expensive: HashSet<VarId> = HashSet::new();
    body.walk(TOP, &mut |stmt| match stmt {
        Stmt::Store { array, .. } => *writes.entry(*array).or_default() += 1,
        Stmt::Let { op, .. } | Stmt::Eval { op, .. } => {
            if let (Stmt::Let { var, .. }, Op::Rule { rule, .. }) = (stmt, op) {
                if rule.expensive() {
                    expensive.insert(*var);
                }
            }
            // A method without a rule may change its receiver in place.
            if let Op::Foreign {
                form: Form::Method { .. },
                args,
                pure: false,
            } = op
            {
                if let Some(receiver) = args[0].value.var() {
                    *writes.entry(receiver).or_default() += 2;
                }
            }
        }
        _ => {}
    });
    let mut reloads = HashMap::new();
    for stmt in &body.block(TOP).stmts {
        let Stmt::Loop(l) = stmt else { continue };
        let Header::Range { index, .. } = &l.header else {
            continue;
        };
        for stmt in &body.block(l.body).stmts {
            let Stmt::Store {
                array,
                indices,
                value: Operand::Var(value),
            } = stmt
            else {
                continue;
            };
            let at_index = matches!(indices.as_slice(), [Operand::Var(i)] if i == index);
            if at_index
                && expensive.contains(value)
                && writes.get(array) == Some(&1)
                && body.var(*array).home == TOP
                && body.var(*value).home == l.body
                && body.var(*value).kind == Kind::Copy
            {
                reloads.insert(*value, (*array, *index));
            }
        }
    }
    reloads
}

/// The decisions emit prints.
pub struct Strategy {
    /// Calls with an active result that run in split mode: the forward sweep calls the
    /// callee's pullback and keeps its reverse sweep as a closure. Every other call is
    /// joint.
    pub split: Vec<VarId>,
    /// The split calls inside a branch or loop: their pullbacks go on a stack, pushed by
    /// the forward sweep and popped by the reverse.
    pub stacked: HashSet<VarId>,
    /// The transcendental results (`Rule::expensive`, scalars) computed in each replayed
    /// loop, by its body: the forward sweep pushes each onto a stack of its own, and the
    /// replay in the reverse sweep reads them back in order instead of computing them
    /// again (the iteration's segment starts where its start offset says). Only where
    /// stacks grow on the heap (`Loops::keep_expensive`).
    pub kept: BTreeMap<BlockId, Vec<VarId>>,
    /// The stacked calls inside a loop: they keep the callee's loop pullback
    /// (`__g_pullback_in_loop`), whose closure the reverse sweep hands the arguments again.
    pub looped: HashSet<VarId>,
    /// The split calls of the function itself (recursion): their pullbacks are boxed
    /// (`boxed_pullback`), in pullbacks too, where other calls are joint.
    pub boxed: HashSet<VarId>,
    /// Loops whose stacks are allocated once (a top-level range loop that runs to its end
    /// and saves values), by body block: the values they save, in order.
    pub fixed: BTreeMap<BlockId, Vec<VarId>>,
    /// The fixed loop (by body) that each value saved in one belongs to.
    pub fixed_stack_of: HashMap<VarId, BlockId>,
    /// The storage of each saved value's stack.
    pub stacks: HashMap<VarId, Stack>,
    /// The initial value of each differentiated parameter's adjoint.
    pub starts: HashMap<VarId, Start>,
    /// Where the contributions of a structural `let`'s rule go, by the `let`'s variable.
    pub routes: HashMap<VarId, Route>,
    /// How each variable's adjoint starts when the reverse sweep declares it before its
    /// first contribution (`Adjoint::Zero`).
    pub zeros: HashMap<VarId, Zero>,
    /// The `Copy` values made by a rule other than an element read or a copy (those can be
    /// arrays), from no field read by value or element of a field's container, however
    /// indirectly (those may be matrices: `p.w * 2.0`): scalars.
    pub scalar_results: HashSet<VarId>,
}

/// The start of an intermediate adjoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Zero {
    /// The literal `-0.0`: a scalar result of a rule in a function with concrete floats,
    /// whose adjoint's type the literal cannot make ambiguous.
    Literal,
    /// `zero()`: another `Copy` value.
    Scalar,
    /// `zero_adjoint(&x)`: shaped like the primal value.
    LikePrimal,
}

/// The storage of a stack of saved values.
pub enum Stack {
    /// In a fixed loop, with `max_iterations`: that many values in place.
    FixedBounded(Expr),
    /// In a fixed loop: a vector of the trip count (with `alloc`), else an array of the
    /// constant trip count `len` when the bounds are constants, else an error at `span`.
    FixedLoop {
        len: Option<TokenStream>,
        span: Span,
    },
    /// Growing, with `max_iterations`: that many values plus one in place (a loop that tests
    /// its exit at the top, `while`, saves its carried values once more, at the last test).
    GrowingBounded(Expr),
    /// Saved outside every loop (in a branch): at most once, one slot in place.
    Single,
    /// Growing with its loop (at `span`): a vector.
    GrowingLoop(Span),
}

/// The initial value of a parameter's adjoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `zero_adjoint` (−0.0, which the first addition folds away): the parameter receives
    /// a contribution on every path.
    ZeroAdjoint,
    /// `zeros_like` (+0.0): it may receive none, and then reports +0.0.
    ZerosLike,
}

/// Where a structural rule's contribution goes.
pub enum Route {
    /// A field's adjoint flows into the same field of the base's (`d_p.w`).
    Field(Vec<syn::Member>),
    /// An element of a tuple receives its part of the tuple's adjoint (`d_t.1`).
    TupleElement,
}

/// The decisions emit prints, from the signature, the body, its activity and the reverse
/// sweep (which values it saves, which steps it takes at the top level).
pub fn plan(sig: &Signature, body: &Body, activity: &Activity, sweep: &Sweep) -> Strategy {
    let (fixed, fixed_stack_of) = fixed_loops(body, sweep);
    let mut loop_spans = HashMap::new();
    collect_loop_spans(body, TOP, None, &mut loop_spans);
    let stacks = sweep
        .saved
        .iter()
        .map(|v| {
            let stack = match fixed_stack_of.get(v) {
                Some(block) => fixed_stack(sig, body, *block),
                None => growing_stack(sig, loop_spans.get(&body.var(*v).home).copied()),
            };
            (*v, stack)
        })
        .collect();
    let scalar_results = scalar_results(body);
    // A `Copy` value whose fields are read (a tuple element of `Vec<(f64, f64)>`) is not a
    // scalar: `d.0` of a `zero()` would leave its type to infer from a field.
    let mut destructured = HashSet::new();
    for op in body.lets().values() {
        if let Op::Rule {
            form: Form::Field(_) | Form::FieldClone(_),
            args,
            ..
        } = op
        {
            destructured.extend(args.first().and_then(|a| a.value.var()));
        }
    }
    let zeros = (0..body.vars.len())
        .map(VarId)
        .map(|v| {
            let zero = if sweep.unknown_copies.contains(&v) || destructured.contains(&v) {
                Zero::LikePrimal
            } else if scalar_results.contains(&v) && sig.float_generics.is_empty() {
                Zero::Literal
            } else if body.var(v).kind == Kind::Copy {
                Zero::Scalar
            } else {
                Zero::LikePrimal
            };
            (v, zero)
        })
        .collect();
    let split = split_calls(sig, body, activity, sweep);
    let keep = stacks_grow(sig);
    let mut kept = BTreeMap::new();
    body.walk(TOP, &mut |stmt| {
        let Stmt::Loop(l) = stmt else { return };
        // A fused loop's iteration is not run again: nothing to keep.
        if !keep || !sweep.replayed.contains(&l.body) || sweep.fused.contains_key(&l.body) {
            return;
        }
        let variant = variant_values(body, l);
        let mut vars = Vec::new();
        body.walk(l.body, &mut |stmt| {
            if let Stmt::Let {
                var,
                op: Op::Rule { rule, .. },
                ..
            } = stmt
            {
                if rule.expensive() && body.var(*var).kind == Kind::Copy && variant.contains(var) {
                    vars.push(*var);
                }
            }
        });
        if !vars.is_empty() {
            kept.insert(l.body, vars);
        }
    });
    Strategy {
        kept,
        zeros,
        scalar_results,
        split: split.calls,
        stacked: split.stacked,
        looped: split.looped,
        boxed: split.boxed,
        fixed,
        fixed_stack_of,
        stacks,
        starts: parameter_starts(sig, body, sweep),
        routes: routes(body),
    }
}

/// The carried integers that every iteration of their loop steps by one integer literal
/// (`l += 1`, `k -= 2`): every end of an iteration hands on `phi ± literal`.
fn counters(body: &Body, integers: &[bool]) -> HashMap<VarId, Counter> {
    let mut lets = HashMap::new();
    body.walk(TOP, &mut |stmt| {
        if let Stmt::Let { var, op, .. } = stmt {
            lets.insert(*var, op.clone());
        }
    });
    let step_of = |phi: VarId, value: &Operand| -> Option<(syn::Expr, bool)> {
        let (Op::Rule { form, args, .. } | Op::Foreign { form, args, .. }) =
            lets.get(&value.var()?)?
        else {
            return None;
        };
        let adds = match form {
            Form::Binary(syn::BinOp::Add(_)) => true,
            Form::Binary(syn::BinOp::Sub(_)) => false,
            _ => return None,
        };
        match args.iter().map(|a| &a.value).collect::<Vec<_>>().as_slice() {
            [Operand::Var(v), Operand::Const(step @ syn::Expr::Lit(lit))]
                if *v == phi && matches!(&lit.lit, syn::Lit::Int(_)) =>
            {
                Some((step.clone(), adds))
            }
            _ => None,
        }
    };
    let mut counters = HashMap::new();
    body.walk(TOP, &mut |stmt| {
        let Stmt::Loop(l) = stmt else { return };
        let nexts = body.nexts(l.body);
        for (k, c) in l.carried.iter().enumerate() {
            if !integers[c.phi.0] {
                continue;
            }
            let steps: Vec<Option<(syn::Expr, bool)>> = nexts
                .iter()
                .map(|(values, _)| step_of(c.phi, values.get(k)?))
                .collect();
            let Some(Some((step, adds))) = steps.first().cloned() else {
                continue;
            };
            let same = |s: &Option<(syn::Expr, bool)>| {
                s.as_ref().is_some_and(|(e, a)| {
                    *a == adds && quote::quote!(#e).to_string() == quote::quote!(#step).to_string()
                })
            };
            if steps.iter().all(same) {
                counters.insert(
                    c.phi,
                    Counter {
                        out: c.out,
                        step,
                        adds,
                    },
                );
            }
        }
    });
    counters
}

/// The calls run in split mode: of other functions and of other methods of the same block
/// (`self.predict(x)`) and of methods on a field (`p.layer.forward(x)`, through
/// `p.layer.__forward_pullback(x, needs)`). The function's calls of itself (recursion) are split
/// with a boxed pullback ([`Strategy::boxed`]: an unboxed one's type would contain itself),
/// in its pullbacks too, so each level runs its forward code once: joint, each level's
/// `f_vjp` would evaluate every level below it again, O(depth²).
///
/// A call inside a branch or loop is split too: its pullbacks go on a stack of their own,
/// one per execution, which the reverse sweep pops in reverse order ([`Strategy::stacked`]);
/// joint mode would run the callee's forward code twice per execution (the call, then its
/// `_vjp`). In a loop only where stacks grow on the heap (with `alloc`, without
/// `max_iterations`); in branches outside loops one slot in place suffices. Not in a
/// replayed loop (its reverse runs the forward code again, which would push again), and
/// only when every argument outlives the stack: passed by value (a scalar, a clone of an
/// owned value, a constant) or a borrow of a value of the top level that nothing writes.
///
/// What a stack of pullbacks costs per call is the size of the callee's closure, which the
/// callee's expansion keeps small: its reverse sweep's reads, minus the scalar arithmetic
/// it computes again from them (`reverse::Planner::rebuilt_in_pullback`; `sigmoid` keeps
/// its `exp`, 8 bytes). Measured both ways: with closures holding every intermediate (40
/// bytes for `sigmoid`) GradBench's LSTM was slower split (6.2 → 8.1 ms) than joint; with
/// the small closures it is faster (4.3–4.4 → 3.8–4.1 ms), and a `tanh` helper in a loop
/// costs 1.1–1.3× the inlined loop where joint it costs 1.9–2.0× (README, "Calls,
/// recursion, and functions from outside the benches").
fn split_calls(sig: &Signature, body: &Body, activity: &Activity, sweep: &Sweep) -> Split {
    let mut split = Split::default();
    let grow = stacks_grow(sig);
    // The caller's own receiver, when it is a method.
    let receiver = sig
        .params
        .iter()
        .position(|p| p.ident == "self")
        .map(|i| body.params[i]);
    let lets = body.lets();
    let lasting = |arg: &Arg| lasting(body, &lets, arg);
    // Every argument outlives the stack; a method's receiver is borrowed (`&self`) unless
    // it is a reference already.
    let all_lasting = |path: &syn::ExprPath, args: &[Arg]| {
        args.iter()
            .enumerate()
            .all(|(i, arg)| match (i, arg.value.var()) {
                (0, Some(v))
                    if crate::ir::called_method(path).is_some()
                        && body.var(v).kind != Kind::Ref =>
                {
                    lasting(&Arg {
                        borrowed: true,
                        ..arg.clone()
                    })
                }
                _ => lasting(arg),
            })
    };
    let mut visit = |stmt: &Stmt, block: BlockId, in_loop: bool, in_replay: bool| {
        let Stmt::Let {
            var,
            op: Op::Call { path, args },
            ..
        } = stmt
        else {
            return;
        };
        let own = &sig.item.sig.ident;
        let segments = &path.path.segments;
        if !activity.is_active(*var) {
            return;
        }
        // Recursion: the pullback boxed, which needs the heap (and a growing stack in a
        // loop). Not in a replayed loop, whose reverse runs the call again.
        if path.path.is_ident(own)
            || (segments.len() == 2 && segments[0].ident == "Self" && segments[1].ident == *own)
        {
            let heap = match in_loop {
                true => grow && !in_replay && all_lasting(path, args),
                false => cfg!(feature = "alloc") && (block == TOP || all_lasting(path, args)),
            };
            if heap {
                split.calls.push(*var);
                split.boxed.insert(*var);
                if block != TOP {
                    split.stacked.insert(*var);
                }
            }
            return;
        }
        // In a loop, through the callee's loop pullback, which a function has (not a
        // nested derivative, `g_grad(..)`), and a method of the block called on `self`
        // (whose closure takes the arguments after the receiver).
        let has_loop_pullback = || {
            let name = segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let nested = ["_grad", "_jvp", "_hvp", "_vjp"]
                .iter()
                .any(|s| name.ends_with(s));
            let on_self = segments.len() != 2
                || segments[0].ident != "Self"
                || args.first().and_then(|a| a.value.var()) == receiver;
            !nested && on_self
        };
        if block == TOP {
            split.calls.push(*var);
        } else if !in_loop && all_lasting(path, args) {
            split.calls.push(*var);
            split.stacked.insert(*var);
        } else if grow && !in_replay && all_lasting(path, args) && has_loop_pullback() {
            split.calls.push(*var);
            split.stacked.insert(*var);
            split.looped.insert(*var);
        }
    };
    walk_blocks(body, TOP, (false, false), &sweep.replayed, &mut visit);
    split
}

/// Whether an argument outlives a stack of pullbacks declared before the top-level
/// statement that makes the call: passed by value (a scalar, a clone of an owned value, a
/// constant), a borrow of a value of the top level that nothing writes, or a view or field
/// of one (`&c[1..]` of a slice parameter `c`, `&p.layer`: the borrow is `c`'s, wherever it
/// is taken).
fn lasting(body: &Body, lets: &HashMap<VarId, &Op>, arg: &Arg) -> bool {
    let Operand::Var(v) = &arg.value else {
        return true;
    };
    let var = body.var(*v);
    match (var.kind, arg.borrowed) {
        (Kind::Copy | Kind::Owned, false) => true,
        (Kind::Ref, false) if !var.mutable => match lets.get(v) {
            // Of a borrowed base only: a field or view of a value the function owns is
            // taken from a temporary where the base is cloned.
            Some(Op::Rule { rule, args, .. }) if rule.view || rule.name == "field" => {
                args.first().is_some_and(|a| {
                    a.value
                        .var()
                        .is_some_and(|base| body.var(base).kind == Kind::Ref)
                        && lasting(body, lets, a)
                })
            }
            _ => var.home == TOP && !var.memory && body.params.contains(v),
        },
        _ => {
            var.home == TOP
                && !var.mutable
                && !var.memory
                && (var.kind != Kind::Ref || body.params.contains(v))
        }
    }
}

/// The values of a loop's body that change from one of its iterations to the next: what
/// its index, its carried values or the arrays written in place (scratch arrays, which the
/// body rewrites) flow into. A transcendental result that does not (`exp(icf[c])` in a
/// loop over the points) is computed again by the replay rather than kept: as many
/// copies as iterations, where one would do, cost more memory traffic than the `exp`
/// (GMM by rows: d·K per point, 800 kB at d = 20, K = 5; measured slower kept).
fn variant_values(body: &Body, l: &crate::ir::Loop) -> HashSet<VarId> {
    let mut variant: HashSet<VarId> = l.carried.iter().map(|c| c.phi).collect();
    if let Header::Range { index, .. } = &l.header {
        variant.insert(*index);
    }
    variant.extend(l.counter);
    let is = |variant: &HashSet<VarId>, o: &Operand| o.var().is_some_and(|v| variant.contains(&v));
    // Carried values of inner loops take their next values after the statements that
    // compute them: repeated until nothing changes.
    loop {
        let before = variant.len();
        let mut inner: Vec<crate::ir::Loop> = Vec::new();
        body.walk(l.body, &mut |stmt| match stmt {
            Stmt::Let { var, op, .. } => {
                let reads_scratch = op.uses().iter().any(|u| body.var(*u).memory);
                if reads_scratch || op.uses().iter().any(|u| variant.contains(u)) {
                    variant.insert(*var);
                }
            }
            Stmt::If(i) => {
                for m in &i.merges {
                    if is(&variant, &i.cond)
                        || is(&variant, &m.then_value)
                        || is(&variant, &m.else_value)
                    {
                        variant.insert(m.var);
                    }
                }
            }
            Stmt::Loop(inner_loop) => inner.push(inner_loop.clone()),
            _ => {}
        });
        for inner_loop in &inner {
            let bounds_vary = match &inner_loop.header {
                Header::Range { start, end, .. } => is(&variant, start) || is(&variant, end),
                Header::Forever => false,
            };
            if bounds_vary {
                if let Header::Range { index, .. } = &inner_loop.header {
                    variant.insert(*index);
                }
            }
            let mut nexts: Vec<Vec<Operand>> = Vec::new();
            body.walk(inner_loop.body, &mut |stmt| {
                if let Stmt::Next { values, .. } = stmt {
                    nexts.push(values.clone());
                }
            });
            for (k, c) in inner_loop.carried.iter().enumerate() {
                let next_varies = nexts
                    .iter()
                    .any(|v| v.get(k).is_some_and(|o| is(&variant, o)));
                if is(&variant, &c.init) || next_varies || bounds_vary {
                    variant.insert(c.phi);
                    variant.insert(c.out);
                }
            }
            if bounds_vary {
                variant.extend(inner_loop.counter);
            }
        }
        if variant.len() == before {
            return variant;
        }
    }
}

/// Visits every statement with its block, whether it runs in a loop, and whether in a
/// replayed one.
fn walk_blocks(
    body: &Body,
    block: BlockId,
    (in_loop, in_replay): (bool, bool),
    replayed: &HashSet<BlockId>,
    visit: &mut impl FnMut(&Stmt, BlockId, bool, bool),
) {
    for stmt in &body.block(block).stmts {
        visit(stmt, block, in_loop, in_replay);
        match stmt {
            Stmt::If(i) => {
                walk_blocks(body, i.then_block, (in_loop, in_replay), replayed, visit);
                walk_blocks(body, i.else_block, (in_loop, in_replay), replayed, visit);
            }
            Stmt::Loop(l) => {
                let replay = in_replay || replayed.contains(&l.body);
                walk_blocks(body, l.body, (true, replay), replayed, visit);
            }
            _ => {}
        }
    }
}

/// The calls run in split mode (see [`split_calls`]).
#[derive(Default)]
struct Split {
    calls: Vec<VarId>,
    stacked: HashSet<VarId>,
    looped: HashSet<VarId>,
    boxed: HashSet<VarId>,
}

/// The loops whose trip count is known when they start (a top-level range loop without an
/// iteration counter, which runs to its end) and that save values: their stacks are
/// allocated once and written by a step counter, so the loop makes no call that could
/// grow a vector.
#[allow(clippy::type_complexity)]
fn fixed_loops(
    body: &Body,
    sweep: &Sweep,
) -> (BTreeMap<BlockId, Vec<VarId>>, HashMap<VarId, BlockId>) {
    let mut fixed = BTreeMap::new();
    let mut fixed_stack_of = HashMap::new();
    for stmt in &body.block(TOP).stmts {
        let Stmt::Loop(l) = stmt else { continue };
        let in_body: Vec<VarId> = sweep
            .saved
            .iter()
            .copied()
            .filter(|v| body.var(*v).home == l.body)
            .collect();
        if matches!(l.header, Header::Range { .. }) && l.counter.is_none() && !in_body.is_empty() {
            for v in &in_body {
                fixed_stack_of.insert(*v, l.body);
            }
            fixed.insert(l.body, in_body);
        }
    }
    (fixed, fixed_stack_of)
}

/// The storage of a fixed loop's stacks.
fn fixed_stack(sig: &Signature, body: &Body, block: BlockId) -> Stack {
    if let Some(max) = &sig.max_iterations {
        return Stack::FixedBounded(max.clone());
    }
    let l = body.block(TOP).stmts.iter().find_map(|s| match s {
        Stmt::Loop(l) if l.body == block => Some(l),
        _ => None,
    });
    match l {
        Some(l) => Stack::FixedLoop {
            len: constant_trip_count(sig, &l.header),
            span: l.span,
        },
        None => Stack::GrowingLoop(Span::call_site()),
    }
}

/// The storage of a stack that grows with its loop's iterations (`loop_span`: the
/// innermost loop around the saved value, none when it is saved outside every loop).
fn growing_stack(sig: &Signature, loop_span: Option<Span>) -> Stack {
    if let Some(max) = &sig.max_iterations {
        return Stack::GrowingBounded(max.clone());
    }
    match loop_span {
        Some(span) => Stack::GrowingLoop(span),
        None => Stack::Single,
    }
}

/// The trip count of a range loop as a constant expression, when its bounds are
/// constants (`0..64`, `0..N`): the length of an array.
fn constant_trip_count(sig: &Signature, header: &Header) -> Option<TokenStream> {
    let Header::Range {
        start: Operand::Const(start),
        end: Operand::Const(end),
        inclusive,
        adaptors,
        ..
    } = header
    else {
        return None;
    };
    if adaptors.iter().any(|a| matches!(a, Adaptor::StepBy(_))) {
        return None;
    }
    // A const generic parameter may stand alone as an array length, not inside an
    // expression: `0..N` only.
    let const_generics: HashSet<String> = sig
        .item
        .sig
        .generics
        .const_params()
        .map(|p| p.ident.to_string())
        .collect();
    let mut mentioned = HashSet::new();
    crate::emit::collect_idents(quote!(#start #end), &mut mentioned);
    if mentioned.iter().any(|i| const_generics.contains(i)) {
        let zero = matches!(start, Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "0");
        return (zero && !inclusive && matches!(end, Expr::Path(_))).then(|| quote!(#end));
    }
    Some(quote!(::tapeless::__private::range_len((#start) as i128, (#end) as i128, #inclusive)))
}

/// A parameter that receives a contribution on every path (a step of the reverse sweep's
/// top level adds to it) starts at `zero_adjoint`; the others at `zeros_like`.
fn parameter_starts(sig: &Signature, body: &Body, sweep: &Sweep) -> HashMap<VarId, Start> {
    let always: HashSet<VarId> = sweep
        .stmts
        .iter()
        .filter_map(|step| match step {
            Adjoint::Accumulate { target, .. } => Some(*target),
            Adjoint::Flow { target, .. } => Some(*target),
            Adjoint::Store { value, .. } => *value,
            _ => None,
        })
        .collect();
    sig.params
        .iter()
        .zip(&body.params)
        .filter(|(p, _)| p.differentiated)
        .map(|(_, v)| {
            let start = if always.contains(v) {
                Start::ZeroAdjoint
            } else {
                Start::ZerosLike
            };
            (*v, start)
        })
        .collect()
}

/// The scalar results of rules (see `Strategy::scalar_results`).
fn scalar_results(body: &Body) -> HashSet<VarId> {
    let lets = body.lets();
    // `*(&p.m)`: a field read by value, which may be a matrix (`p.m * p.m.transpose()`).
    let field_value = |form: &Form, args: &[crate::ir::Arg]| {
        matches!(form, Form::Unary(syn::UnOp::Deref(_)))
            && args.first().and_then(|a| a.value.var()).is_some_and(|v| {
                matches!(
                    lets.get(&v),
                    Some(Op::Rule {
                        form: Form::Field(_),
                        ..
                    })
                )
            })
    };
    // What is computed from a field's value may be a vector (`p.w * 2.0`): its adjoint
    // starts at `zero()`, whose type rustc infers, not at the literal.
    let mut from_fields = copies_of_fields(body);
    from_fields.extend(lets.iter().filter_map(|(var, op)| match op {
        Op::Rule { form, args, .. } if field_value(form, args) => Some(*var),
        _ => None,
    }));
    loop {
        let reached: Vec<VarId> = lets
            .iter()
            .filter(|(var, op)| {
                !from_fields.contains(*var)
                    && matches!(op, Op::Rule { args, .. }
                        if args.iter().any(|a| a.value.var().is_some_and(|v| from_fields.contains(&v))))
            })
            .map(|(var, _)| *var)
            .collect();
        if reached.is_empty() {
            break;
        }
        from_fields.extend(reached);
    }
    lets.iter()
        .filter(|(var, op)| {
            body.var(**var).kind == Kind::Copy
                && !from_fields.contains(*var)
                && matches!(op, Op::Rule { form, .. } if !matches!(form, Form::Index | Form::Copy))
        })
        .map(|(var, _)| *var)
        .collect()
}

/// The `Copy` values read by value from a field's container (`let q = net.pts[i];`), whose
/// element type is not in the signature (a float, or a static vector): their adjoints are
/// shaped like them (`zero_adjoint(&q)`). What arithmetic makes of them is not taken for a
/// scalar either (see [`scalar_results`]).
pub fn copies_of_fields(body: &Body) -> HashSet<VarId> {
    let mut fields = HashSet::new();
    let mut reads = Vec::new();
    for block in &body.blocks {
        for stmt in &block.stmts {
            match stmt {
                Stmt::Let {
                    var,
                    op:
                        Op::Rule {
                            form: Form::Field(_),
                            ..
                        },
                    ..
                } => {
                    fields.insert(*var);
                }
                Stmt::Let {
                    var,
                    op:
                        Op::Rule {
                            form: Form::Index,
                            args,
                            ..
                        },
                    ..
                } if body.var(*var).kind == Kind::Copy => {
                    reads.extend(args.first().and_then(|a| a.value.var()).map(|c| (*var, c)));
                }
                _ => {}
            }
        }
    }
    reads
        .into_iter()
        .filter(|(_, container)| fields.contains(container))
        .map(|(var, _)| var)
        .collect()
}

/// The routes of the structural `let`s: fields and tuples.
fn routes(body: &Body) -> HashMap<VarId, Route> {
    let mut routes = HashMap::new();
    for block in &body.blocks {
        for stmt in &block.stmts {
            let Stmt::Let {
                var,
                op: Op::Rule { form, .. },
                ..
            } = stmt
            else {
                continue;
            };
            let route = match form {
                Form::Field(members) => Route::Field(members.clone()),
                Form::FieldClone(member) => Route::Field(vec![member.clone()]),
                Form::Tuple => Route::TupleElement,
                _ => continue,
            };
            routes.insert(*var, route);
        }
    }
    routes
}

/// The innermost loop around each block (by its span), where an error about a stack of
/// values saved in that block points.
fn collect_loop_spans(
    body: &Body,
    block: BlockId,
    within: Option<Span>,
    out: &mut HashMap<BlockId, Span>,
) {
    if let Some(span) = within {
        out.insert(block, span);
    }
    for stmt in &body.block(block).stmts {
        match stmt {
            Stmt::If(i) => {
                collect_loop_spans(body, i.then_block, within, out);
                collect_loop_spans(body, i.else_block, within, out);
            }
            Stmt::Loop(l) => collect_loop_spans(body, l.body, Some(l.span), out),
            _ => {}
        }
    }
}
