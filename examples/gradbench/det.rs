//! GradBench's `det` (cmpad's `det_by_minor`; reference `cpp/gradbench/evals/det.hpp`): the
//! determinant of an ℓ×ℓ matrix by expansion by minors along the first row, recursively,
//! at its deliberate O(e·ℓ!) cost. `gradient` is ∂det/∂A, row-major.
//!
//! Written recursively (`tests/recursion.rs`), each level's call `det(&minor, n - 1)` sits in
//! a loop and borrows a minor the loop builds, so it is differentiated in joint mode (the
//! reverse sweep evaluates the levels below again, a factor ℓ); so the recursion is written
//! as the depth-first walk it performs: the minor at depth k keeps rows k.. and the columns not
//! chosen at depths < k; `acc[k]` is its running sum Σ_j (−1)^j A[k][col_j]·det(sub-minor),
//! accumulated in the reference's order, and each 1×1 minor (a leaf) is folded upwards
//! through every minor whose last column it completes.

// Index loops, as the reference writes them.
#![allow(clippy::needless_range_loop)]

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, integer, numbers, unknown, Runs};

#[differentiate(wrt(a))]
pub fn primal(a: &[f64], ell: usize) -> f64 {
    let n = ell;
    if n == 1 {
        return a[0];
    }
    // acc[k]: the running determinant of the minor at depth k; choice[k]: which of its
    // columns is expanded (j); col[k]: that column's index in A; used: columns taken by
    // the minors above.
    let mut acc = vec![0.0; n];
    let mut choice = vec![0usize; n];
    let mut col = vec![0usize; n];
    let mut used = vec![false; n];
    for k in 0..n {
        col[k] = k;
        used[k] = true;
    }
    let mut det = 0.0;
    let mut done = false;
    while !done {
        // The 1×1 minor at depth n − 1.
        let mut value = a[(n - 1) * n + col[n - 1]];
        let mut depth = n - 1;
        let mut folding = true;
        while folding {
            depth -= 1;
            let term = a[depth * n + col[depth]] * value;
            if choice[depth] == 0 {
                acc[depth] = term;
            } else if choice[depth].is_multiple_of(2) {
                acc[depth] += term;
            } else {
                acc[depth] -= term;
            }
            if choice[depth] + 1 < n - depth {
                // The next column of this minor, then the first columns of the deeper ones.
                for k in depth..n {
                    used[col[k]] = false;
                }
                choice[depth] += 1;
                let mut c = col[depth] + 1;
                while used[c] {
                    c += 1;
                }
                col[depth] = c;
                used[c] = true;
                let mut next = 0;
                for k in depth + 1..n {
                    while used[next] {
                        next += 1;
                    }
                    col[k] = next;
                    used[next] = true;
                    choice[k] = 0;
                }
                folding = false;
            } else if depth == 0 {
                det = acc[0];
                folding = false;
                done = true;
            } else {
                value = acc[depth];
            }
        }
    }
    det
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let a = numbers(field(input, "A")?)?;
    let ell = integer(field(input, "ell")?)?;
    if ell == 0 || a.len() != ell * ell {
        return Err(format!(
            "det: A has {} entries, expected ell² with ell = {ell}",
            a.len()
        ));
    }
    match function {
        "primal" => Ok(json!(runs.time(|| primal(&a, ell)))),
        "gradient" => Ok(json!(runs.time(|| primal_grad(&a, ell).1.a))),
        _ => Err(unknown("det", function)),
    }
}
