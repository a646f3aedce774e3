//! Peak heap memory of a gradient: a counting global allocator records the live bytes and
//! their maximum, and each variant's peak is the maximum during one call minus the bytes
//! live before it (the returned gradient included, the inputs not). One thread, one call
//! per variant after one unmeasured call.
//!
//! - GMM, d = 64, K = 50, n = 1000 (`benches/gmm.rs`): the objective alone, the generated
//!   gradients of the three formulations, and the hand-written gradient.
//! - The damped spring of `benches/control_flow.rs`, 1,000 Euler steps: the function, its
//!   generated gradient and the hand-written one (whose trajectory is a 16,000-byte array
//!   on the stack, not counted here: only the heap is).
//!
//! ```sh
//! cargo bench -p tapeless-benches --bench peak_memory
//! ```
//!
//! Under `cargo test --benches` (a debug build) the GMM problem is d = 2, K = 5 instead.

#[path = "../tests/support/adbench_gmm.rs"]
mod adbench_gmm;
// The spring and its hand-written gradient, as benches/control_flow.rs times them (its
// criterion code is compiled in, unused).
#[allow(dead_code)]
#[path = "control_flow.rs"]
mod control_flow;
#[path = "../tests/support/gmm_hand.rs"]
mod gmm_hand;
#[path = "../tests/support/gmm_objective.rs"]
mod gmm_objective;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use adbench_gmm::{gmm_1k_path, read_gmm, GmmInput};
use gmm_objective::{
    batched_inputs, gmm_objective, gmm_objective_batched, gmm_objective_batched_grad,
    gmm_objective_by_rows_grad, gmm_objective_grad,
};

/// `System`, counting the bytes live and their maximum since the last [`reset_peak`].
struct PeakAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

fn grow(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
    ALLOCATIONS.fetch_add(1, Relaxed);
}

// SAFETY: every method forwards to `System` unchanged; the counters are atomics.
unsafe impl GlobalAlloc for PeakAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Counted as the new block allocated before the old one is freed, as a moving
        // `realloc` holds both.
        grow(new_size);
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: PeakAllocator = PeakAllocator;

/// Runs `f` once unmeasured, then once measured: (peak bytes above those live at the
/// start, allocations).
fn peak<T>(f: impl Fn() -> T) -> (usize, usize) {
    drop(black_box(f()));
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let allocations = ALLOCATIONS.load(Relaxed);
    let result = black_box(f());
    let measured = (
        PEAK.load(Relaxed) - before,
        ALLOCATIONS.load(Relaxed) - allocations,
    );
    drop(result);
    measured
}

fn row(workload: &str, variant: &str, (bytes, allocations): (usize, usize)) {
    println!("| {workload} | {variant} | {bytes} | {allocations} |");
}

fn gmm(p: &GmmInput) {
    let name = format!("gmm_d{}_K{}", p.d, p.k);
    let args = (&p.alphas, &p.means, &p.icf, &p.x, p.d, p.k, p.n);
    let (gamma, m) = (p.wishart_gamma, p.wishart_m);
    let (alphas, means, icf, x) = batched_inputs(args.0, args.1, args.2, args.3, p.d, p.k, p.n);
    row(
        &name,
        "primal",
        peak(|| gmm_objective(args.0, args.1, args.2, args.3, p.d, p.k, p.n, gamma, m)),
    );
    row(
        &name,
        "tapeless",
        peak(|| gmm_objective_grad(args.0, args.1, args.2, args.3, p.d, p.k, p.n, gamma, m)),
    );
    row(
        &name,
        "hand-written",
        peak(|| {
            gmm_hand::gmm_objective_hand(args.0, args.1, args.2, args.3, p.d, p.k, p.n, gamma, m)
        }),
    );
    row(
        &name,
        "tapeless-by-rows",
        peak(|| {
            gmm_objective_by_rows_grad(args.0, args.1, args.2, args.3, p.d, p.k, p.n, gamma, m)
        }),
    );
    row(
        &name,
        "primal-batched",
        peak(|| gmm_objective_batched(&alphas, &means, &icf, &x, gamma, m)),
    );
    row(
        &name,
        "tapeless-batched",
        peak(|| gmm_objective_batched_grad(&alphas, &means, &icf, &x, gamma, m)),
    );
}

fn spring() {
    let (k, c, v0) = (4.0, 0.5, 0.3);
    let (value, grad) = control_flow::spring_grad(k, c, v0);
    let (hand_value, _) = control_flow::spring_hand(k, c, v0);
    assert_eq!(
        value, hand_value,
        "spring: generated and hand-written values"
    );
    assert!(grad.k.is_finite() && grad.c.is_finite() && grad.v0.is_finite());
    let name = "spring, 1,000 steps";
    row(name, "primal", peak(|| control_flow::spring(k, c, v0)));
    row(
        name,
        "tapeless",
        peak(|| control_flow::spring_grad(k, c, v0)),
    );
    row(
        name,
        "hand-written",
        peak(|| control_flow::spring_hand(k, c, v0)),
    );
}

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let (d, k) = if bench_mode { (64, 50) } else { (2, 5) };
    println!("| workload | variant | peak heap bytes | allocations |");
    println!("|---|---|---|---|");
    gmm(&read_gmm(&gmm_1k_path(d, k)));
    spring();
}
