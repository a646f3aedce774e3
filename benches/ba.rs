//! ADBench bundle adjustment (`benches/data/adbench/FORMATS.md` §2): the sparse Jacobian of
//! the reprojection and weight residuals, ADBench's timed quantity.
//!
//! One criterion group per problem (`ba1_n49_m7776_p31843`, `ba2_n21_m11315_p36455`), each
//! with:
//!
//! - `primal`: the `3p` residuals, by the functions written under `#[differentiate]`
//!   (`reproj_err` once per component, `w_err`);
//! - `tapeless`: the CSR Jacobian (and the residuals) from the generated code: two
//!   `reproj_err_vjp` calls per observation (one per row, seed 1) and one `w_err_grad`;
//! - `tapeless-jacobian`: the same Jacobian through `f_jacobian` of `reproj_errs`, the
//!   residual with both components as an `[f64; 2]` output: one call per observation (with
//!   15 inputs and 2 outputs, `f_jacobian` takes one forward sweep, then a reverse sweep
//!   per component from it);
//! - `hand-written`: the same Jacobian from `ba_hand::reproj_block`, which derives both rows
//!   of an observation from one forward pass with the rotation's derivative in closed form.
//!
//! Both Jacobians fill the same `SparseJacobian` (ADBench's layout: row pointers, column
//! indices and values pushed row by row into buffers allocated once), so they differ only
//! in how the 30 derivatives of an observation are computed. Before anything is timed the
//! two Jacobians are checked equal to 1e-8 relative.
//!
//! Where the generated Jacobian loses to the hand-written one (measured on ba1, minimum over
//! 400 runs, per observation: the two generated rows 118 ns, the hand-written block 62 ns):
//!
//! - each row is its own VJP, so the forward sweep (rotation, projection, distortion, with
//!   its `sin`/`cos` and three divisions) runs twice per observation; computing it once for
//!   both reverse sweeps (an edited copy of the generated code) saves ~20 ns;
//! - the rules for `sin` and `cos` evaluate `cos θ` and `sin θ` again (one more `sincos`
//!   call per row), because the forward's values live inside the `if θ² ≠ 0` branch, which
//!   does not dominate the reverse sweep's branch on the same condition, so LLVM cannot reuse
//!   them: 4 `sincos` calls per observation against 1. Reading the forward's values instead
//!   saves ~7 ns with two forward sweeps and ~13 ns with one;
//! - what remains (85 ns against 62 ns) is the operation-by-operation reverse sweep: every
//!   `a / b` costs two divisions in its rules (ā += ȳ/b, b̄ −= ȳ·y/b), 10 divisions per row
//!   against 4 per observation for the hand-written block, which multiplies by 1/Xc₂, and
//!   the hand-written block folds the rotation's derivative into a few dot and cross
//!   products. Bounds checks are not a factor: all indices but `cam[7 + out]` and
//!   `feat[out]` are constants into arrays.
//!
//! Written with local arrays (`let mut xc = [0.0; 3]` filled in the `if θ² ≠ 0` branch, as
//! ADBench's C++ does), the generated rows are 6–9× slower: every read of a local array
//! inside the branch is saved to a heap `Vec` for the reverse sweep, 24 allocations per VJP,
//! though the branch is in no loop and the arrays are not written after the reads. Hence
//! the scalar `let`s in `reproj_err`.
//!
//! Run with `cargo bench --bench ba -- --warm-up-time 2 --measurement-time 5`.
//! `cargo test --benches` runs each benchmark once, as a smoke test.

#[allow(dead_code)]
#[path = "../tests/support/adbench_ba.rs"]
mod adbench_ba;
#[path = "../tests/support/ba_hand.rs"]
mod ba_hand;
#[path = "../tests/support/ba_objective.rs"]
mod ba_objective;

use adbench_ba::{load, BaInput, SparseJacobian};
use criterion::{black_box, Criterion, Throughput};

/// The problems timed, by file name; the group is named after the file.
const PROBLEMS: [&str; 2] = ["ba1_n49_m7776_p31843", "ba2_n21_m11315_p36455"];

/// Relative agreement required of the two Jacobians before timing.
const TOLERANCE: f64 = 1e-8;

/// A benchmark of a wrong Jacobian is meaningless: panics unless the generated Jacobian has
/// the hand-written one's structure and values (to `TOLERANCE`, relative to the larger
/// magnitude), and unless both give the primal residuals.
fn check(name: &str, input: &BaInput) {
    let (mut generated, mut hand) = (SparseJacobian::new(input), SparseJacobian::new(input));
    let (mut generated_err, mut hand_err, mut primal) = (Vec::new(), Vec::new(), Vec::new());
    ba_objective::jacobian_tapeless(input, &mut generated, &mut generated_err);
    ba_hand::jacobian_hand(input, &mut hand, &mut hand_err);
    ba_objective::residuals(input, &mut primal);
    assert_eq!(generated.vals.len(), 31 * input.p, "{name}: non-zeros");
    assert_eq!(generated.rows, hand.rows, "{name}: row pointers");
    assert_eq!(generated.cols, hand.cols, "{name}: columns");
    for (k, (&g, &h)) in generated.vals.iter().zip(&hand.vals).enumerate() {
        let scale = g.abs().max(h.abs());
        assert!(
            (g - h).abs() <= TOLERANCE * scale,
            "{name}: non-zero {k}: tapeless {g:e} vs hand-written {h:e}"
        );
    }
    assert_eq!(generated_err, primal, "{name}: tapeless residuals");
    let (mut rows, mut rows_err) = (SparseJacobian::new(input), Vec::new());
    ba_objective::jacobian_tapeless_rows(input, &mut rows, &mut rows_err);
    assert_eq!(rows.rows, hand.rows, "{name}: f_jacobian row pointers");
    assert_eq!(rows.cols, hand.cols, "{name}: f_jacobian columns");
    assert_eq!(
        rows.vals, generated.vals,
        "{name}: f_jacobian against the VJP rows"
    );
    assert_eq!(rows_err, primal, "{name}: f_jacobian residuals");
    assert_eq!(hand_err, primal, "{name}: hand-written residuals");
}

fn bench_problem(c: &mut Criterion, name: &str, input: &BaInput) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(input.p as u64));
    let mut err = Vec::with_capacity(3 * input.p);
    let mut jacobian = SparseJacobian::new(input);

    group.bench_function("primal", |b| {
        b.iter(|| {
            ba_objective::residuals(black_box(input), &mut err);
            black_box(&mut err);
        })
    });
    group.bench_function("tapeless", |b| {
        b.iter(|| {
            ba_objective::jacobian_tapeless(black_box(input), &mut jacobian, &mut err);
            black_box((&mut jacobian, &mut err));
        })
    });
    group.bench_function("tapeless-jacobian", |b| {
        b.iter(|| {
            ba_objective::jacobian_tapeless_rows(black_box(input), &mut jacobian, &mut err);
            black_box((&mut jacobian, &mut err));
        })
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            ba_hand::jacobian_hand(black_box(input), &mut jacobian, &mut err);
            black_box((&mut jacobian, &mut err));
        })
    });
    group.finish();
}

fn main() {
    let inputs: Vec<BaInput> = PROBLEMS
        .iter()
        .map(|name| load(&format!("{name}.txt")))
        .collect();
    for (name, input) in PROBLEMS.iter().zip(&inputs) {
        check(name, input);
    }

    let mut c = Criterion::default().configure_from_args();
    for (name, input) in PROBLEMS.iter().zip(&inputs) {
        bench_problem(&mut c, name, input);
    }
    c.final_summary();
}
