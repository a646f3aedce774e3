//! What forward mode does not print yet falls back, never breaking `f_grad`/`f_vjp`: for a
//! scalar output, `f_jvp` is (the value, ⟨∇f, tangent⟩) through one reverse sweep; for other
//! outputs, only a call of `f_jvp` is an error (`tests/ui/forward-mode-unsupported-output.rs`).
//! The construct here, a tuple with a float literal that an `if` merges, used to fall back
//! (its tangent needs a zero of the literal's type); it now has forward code, and these
//! checks hold for either path. What still falls back: `tests/forward_callees.rs` and a
//! method call, `tests/ui/forward-mode-unsupported-output.rs`.

// Loops written as users write numeric code.
#![allow(clippy::needless_range_loop, clippy::assign_op_pattern)]

#[path = "support/forward.rs"]
mod forward;

use forward::{check_scalar, points};
use tapeless::differentiate;

#[differentiate]
fn tuple_merge(x: f64, y: f64) -> f64 {
    let p = if x > 0.0 {
        (x * y, 1.5)
    } else {
        (y.sin(), 2.0)
    };
    p.0 * p.1 + x * y
}

#[test]
fn scalar_outputs_fall_back_to_the_reverse_sweep() {
    check_scalar(
        "tuple_merge",
        &points(2, 30),
        |x| tuple_merge(x[0], x[1]),
        |x, v| tuple_merge_jvp(x[0], x[1], &TupleMergeGrad { x: v[0], y: v[1] }),
        |x| {
            let (_, g) = tuple_merge_grad(x[0], x[1]);
            vec![g.x, g.y]
        },
    );
}

/// Functions that do not call `f_jvp` build and differentiate as before, whatever their
/// output.
#[differentiate]
fn tuple_merge_vector(x: f64, y: f64) -> Vec<f64> {
    let p = if x > 0.0 {
        (x * y, 1.5)
    } else {
        (y.sin(), 2.0)
    };
    let mut out = vec![0.0; 2];
    out[0] = p.0 * p.1;
    out[1] = x;
    out
}

#[test]
fn other_outputs_still_have_reverse_mode() {
    let (value, g) = tuple_merge_vector_vjp(0.5, 2.0, vec![1.0, 0.0]);
    assert_eq!(value, tuple_merge_vector(0.5, 2.0));
    assert_eq!((g.x, g.y), (2.0 * 1.5, 0.5 * 1.5));
}
