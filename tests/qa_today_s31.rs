//! QA session 31: adversarial probes of today's three changes to the reverse sweep, at
//! 8c878bb: d7b4adf deferred element adjoints (`reverse::Slot`), 5b2422d snapshots of the
//! arrays a replayed loop in a fused loop rewrites (`Replays::snapshots`), 8c878bb
//! increments of array elements (`reverse::increments`). Each `probe!` checks the value, the
//! gradient against central differences, against the gradient through a differentiated
//! caller (`via`: the pullback, which replays instead of restoring) and ⟨∇f, v⟩ against
//! `f_jvp`; the other tests check nalgebra, nested vectors, methods, generic f32 and
//! `hessian` against differences.
//!
//! The one bug found, B1, is fixed (its probes, marked "Was B1", pass): a loop whose body
//! reads an array it declares is replayed, not restored.
//!
//! - B1 (5b2422d, snapshots): an array declared *inside* the body of the loop that is
//!   restored instead of replayed (a component loop in a fused loop, running a triangle
//!   loop nest, rewriting a top-level scratch array), written after its declaration and read
//!   by the reverse: `f_vjp` gives a wrong gradient. The forward iteration pushes a copy of
//!   the local array at its `let` (`saved_y.push(clone(&y))`, still all zeros), the snapshot
//!   holds only top-level arrays (`home == TOP`), and the reverse iteration reads the local
//!   array's elements from that saved copy (`replays.reads` was computed while the loop was
//!   still replayed, where the replay declares and fills it again). Minimal reproducer (n17):
//!
//!   ```ignore
//!   #[differentiate]
//!   fn n17(x: &[f64]) -> f64 {
//!       let d = 2;
//!       let mut z = vec![0.0; d];
//!       let mut total = 0.0;
//!       for i in 0..x.len() / d {
//!           let mut best = 0.0;
//!           for c in 0..2 {
//!               let mut y = vec![0.0; d];
//!               for j in 0..d {
//!                   z[j] = x[i * d + j] * (c + 1) as f64;
//!               }
//!               for col in 0..d {
//!                   for row in col + 1..d {
//!                       y[row] += z[col] * z[row];
//!                   }
//!               }
//!               best += y[1] * y[1];
//!           }
//!           total += best;
//!       }
//!       total
//!   }
//!   ```
//!
//!   At x = [0.3, -0.5, 0.7, 1.1, -0.9, 0.45]: `n17_grad` gives [0, 0, 0, 0, 0, 0];
//!   differences, `f_jvp` and the pullback (a caller `n17_via`) give
//!   [2.55, -1.53, 28.798, 18.326, -6.1965, 12.393]. Also with `let mut y = [0.0; 3]` (n18),
//!   with the local declared after the triangle (n25), next to top-level arrays (n08, GMM
//!   with `qxcentered` declared in the component loop). It reaches pullbacks too: a caller's
//!   pullback calls the callee's `f_vjp` (`__n23_pullback` calls `n17_vjp`), so the gradient
//!   of a differentiated caller of a caller is wrong (n23: `n23_via_grad` gives zeros, twice
//!   the above expected; `n23_grad`, whose `f_vjp` calls `__n17_pullback`, is right). All
//!   pass at 659511a and at d7b4adf, fail from 5b2422d on.
//!
//! Not bugs: labelled loops (`'outer: for`) and whole reassignment of an array written by
//! index (`let t = a[i]; a = vec![0.5; n]; a[i] = t + x[i];`) are rejected by lowering with
//! clear errors; `hessian` functions cannot read `const` arrays of f64 (documented). No
//! rustc error inside generated code was found.
#![allow(
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::too_many_arguments,
    clippy::ptr_arg,
    clippy::manual_memcpy,
    clippy::int_plus_one,
    clippy::explicit_counter_loop,
    clippy::useless_vec,
    dead_code
)]

#[path = "support/twins.rs"]
mod twins;

use num_traits::Float;
use tapeless::check::central_difference;
use tapeless::differentiate;
use tapeless::nalgebra::{DMatrix, DVector, Vector3};
use twins::assert_close;

const X6: [f64; 6] = [0.3, -0.5, 0.7, 1.1, -0.9, 0.45];
const X5: [f64; 5] = [0.35, -0.6, 0.8, 0.25, -0.15];

/// The gradient `g` against the differentiated caller's `via` (the pullback, which neither
/// fuses nor restores), against central differences, and ⟨g, v⟩ against `f_jvp`.
fn full_check(
    what: &str,
    x: &[f64],
    f: impl Fn(&[f64]) -> f64,
    g: &[f64],
    via: &[f64],
    jvp: impl Fn(&[f64]) -> f64,
) {
    let fd = central_difference(&f, x);
    assert_close(
        &format!("{what}: the pullback against differences"),
        via,
        &fd,
        1e-6,
    );
    assert_close(&format!("{what}: against differences"), g, &fd, 1e-6);
    assert_close(&format!("{what}: against the pullback"), g, via, 1e-10);
    let v: Vec<f64> = (0..x.len()).map(|i| 0.3 - 0.17 * i as f64).collect();
    let dot: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert_close(
        &format!("{what}: ⟨∇f, v⟩ against f_jvp"),
        &[dot],
        &[jvp(&v)],
        1e-10,
    );
}

/// `probe!(test, f, f_grad, f_jvp, FGrad, via, via_grad, point, fn(x: &[f64]) -> f64 {..})`.
macro_rules! probe {
    ($test:ident, $f:ident, $fg:ident, $fj:ident, $G:ident, $via:ident, $viag:ident, $x:expr,
     fn($p:ident: &[f64]) -> f64 $body:block) => {
        #[differentiate]
        fn $f($p: &[f64]) -> f64 $body
        #[differentiate]
        fn $via($p: &[f64]) -> f64 {
            $f($p)
        }
        #[test]
        fn $test() {
            let x: Vec<f64> = $x.to_vec();
            let (value, g) = $fg(&x);
            let (_, h) = $viag(&x);
            assert_eq!(value, $f(&x), "value");
            let jvp = |t: &[f64]| $fj(&x, &$G { $p: t.to_vec() }).1;
            full_check(stringify!($f), &x, $f, &g.$p, &h.$p, jvp);
        }
    };
}

// ---------------------------------------------------------------------------------------
// 1. Deferred element adjoints (slots).
// ---------------------------------------------------------------------------------------

// The index defined outside the inner loop, the array written inside it (a[j], j == i once).
probe!(s01_written_inside, s01, s01_grad, s01_jvp, S01Grad, s01_via, s01_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += a[i] * x[j];
            a[j] = a[j] * 0.9 + 0.05 * x[i];
        }
    }
    s + a.iter().map(|v| v * v).sum::<f64>()
});

// The element written after the inner loop, in the outer iteration.
probe!(s02_written_after, s02, s02_grad, s02_jvp, S02Grad, s02_via, s02_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..n {
        let mut s = 0.0;
        for j in 0..n {
            s += a[i] * x[j];
        }
        a[i] = s.sin();
    }
    a.iter().map(|v| v * v).sum::<f64>()
});

// The same element read in three nested loops.
probe!(s03_nested_three, s03, s03_grad, s03_jvp, S03Grad, s03_via, s03_via_grad, X5,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += x[i] * x[j];
            for k in 0..n {
                s += x[i] * x[k] * x[j] * 0.1;
            }
        }
    }
    s
});

// Reads in nested branches, one branch without the read.
probe!(s04_branches, s04, s04_grad, s04_jvp, S04Grad, s04_via, s04_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            if x[j] > 0.0 {
                s += x[i] * x[j];
            } else if j % 2 == 0 {
                s += (x[i] - x[j]) * (x[i] - x[j]);
            } else {
                s += x[j].cos();
            }
        }
    }
    s
});

// Out of bounds where a while loop runs no iteration.
probe!(s05_oob_while, s05, s05_grad, s05_jvp, S05Grad, s05_via, s05_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let k = i + 2;
        let mut j = k;
        while j < n {
            s += x[k] * x[j].sin();
            j += 1;
        }
    }
    s
});

// A local collected vector.
probe!(s06_local_collected, s06, s06_grad, s06_jvp, S06Grad, s06_via, s06_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let a: Vec<f64> = x.iter().map(|v| v.exp()).collect();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += a[i] * a[j] * x[j];
        }
    }
    s
});

// A local vec! filled by a loop.
probe!(s07_local_filled, s07, s07_grad, s07_jvp, S07Grad, s07_via, s07_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.0; n];
    for i in 0..n {
        a[i] = x[i] * x[i] + 0.1;
    }
    let mut s = 0.0;
    for i in 0..n {
        for j in i..n {
            s += a[i] * x[j] - a[j] * x[i] * 0.3;
        }
    }
    s
});

// A break in the inner loop (x[3] > 1).
probe!(s08_break, s08, s08_grad, s08_jvp, S08Grad, s08_via, s08_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            if x[j] > 1.0 {
                break;
            }
            s += x[i] * x[j] * x[j];
        }
    }
    s
});

#[differentiate]
fn pick(a: &[f64], j: usize) -> f64 {
    a[j] * a[j] + a[0]
}

// A differentiated callee taking the array, in the loop.
probe!(s09_callee, s09, s09_grad, s09_jvp, S09Grad, s09_via, s09_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += x[i] * pick(x, j);
        }
    }
    s
});

// The index is the outer loop's carried integer (rebuilt counter).
probe!(s10_outer_counter, s10, s10_grad, s10_jvp, S10Grad, s10_via, s10_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut k = 0;
    let mut s = 0.0;
    for _ in 0..n {
        for j in 0..n {
            s += x[k] * x[j] * 0.5;
        }
        k += 1;
    }
    s
});

// The index is the inner loop's carried integer: not invariant.
probe!(s11_inner_counter, s11, s11_grad, s11_jvp, S11Grad, s11_via, s11_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let mut k = 0;
        for _ in 0..n - i {
            s += x[k] * x[i] * x[k];
            k += 1;
        }
    }
    s
});

// A carried index not stepped by a constant, in the outer loop.
probe!(s12_outer_carried, s12, s12_grad, s12_jvp, S12Grad, s12_via, s12_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut k = 1;
    let mut s = 0.0;
    for _ in 0..n {
        for j in 0..n {
            s += x[k] * x[j] * x[j];
        }
        k = (k * 5 + 1) % n;
    }
    s
});

// The array's adjoint also taken by a whole-array rule in the loop.
probe!(s13_whole_array, s13, s13_grad, s13_jvp, S13Grad, s13_via, s13_via_grad, X5,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += x[i] * x[j] * x.iter().sum::<f64>();
        }
    }
    s
});

// Two invariant indices, equal at runtime for i = 0.
probe!(s14_two_slots, s14, s14_grad, s14_jvp, S14Grad, s14_via, s14_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let k = (i * 2) % n;
        for j in 0..n {
            s += x[i] * x[k] * x[j] + x[k] * 0.5;
        }
    }
    s
});

// A view defined in the outer loop, its first element read in the inner loop.
probe!(s15_view, s15, s15_grad, s15_jvp, S15Grad, s15_via, s15_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let row = &x[i..];
        for j in 0..row.len() {
            s += row[0] * row[j];
        }
    }
    s
});

// A reversed inner range and a step.
probe!(s16_rev_step, s16, s16_grad, s16_jvp, S16Grad, s16_via, s16_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in (0..n).rev() {
            s += x[i] * x[j] * (j as f64);
        }
        for j in (0..n).step_by(2) {
            s += x[i].sin() * x[j];
        }
    }
    s
});

// The array carried by the outer loop (a = b), the invariant read in the inner loop,
// increments of b.
probe!(s17_carried_array, s17, s17_grad, s17_jvp, S17Grad, s17_via, s17_via_grad, X5,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for _ in 0..3 {
        let mut b = vec![0.0; n];
        for i in 0..n {
            for j in 0..n {
                b[j] += a[i] * 0.3 * a[j];
            }
        }
        a = b;
    }
    a.iter().sum::<f64>()
});

// An index from a constant table.
const IDX: [usize; 6] = [5, 0, 0, 3, 2, 5];
probe!(s18_table_index, s18, s18_grad, s18_jvp, S18Grad, s18_via, s18_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let k = IDX[i];
        for j in 0..n {
            s += x[k] * x[j] * x[i];
        }
    }
    s
});

// A slot in a loop whose inner loop increments a scratch array read at the invariant
// index (GMM's triangle on a local copy).
probe!(s19_triangle_local, s19, s19_grad, s19_jvp, S19Grad, s19_via, s19_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut z = vec![0.0; n];
    for j in 0..n {
        z[j] = x[j] * 2.0;
    }
    let mut y = z.clone();
    for col in 0..n {
        for row in col + 1..n {
            y[row] += x[row] * z[col];
        }
    }
    y.iter().map(|v| v * v).sum::<f64>()
});

// The invariant element read after the inner loop changed it (y[col] written for row ==
// col + ... never; y[i] written in the inner loop at j == i).
probe!(s20_read_and_incremented, s20, s20_grad, s20_jvp, S20Grad, s20_via, s20_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = x.to_vec();
    for i in 0..n {
        for j in 0..n {
            y[j] += 0.1 * y[i] * x[j];
        }
    }
    y.iter().map(|v| v * v).sum::<f64>()
});

// A constant index.
probe!(s21_const_index, s21, s21_grad, s21_jvp, S21Grad, s21_via, s21_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        s += x[0] * x[i] + x[n - 1] * x[i] * x[i];
    }
    s
});

// A continue in the inner loop.
probe!(s22_continue, s22, s22_grad, s22_jvp, S22Grad, s22_via, s22_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            if x[j] < 0.0 {
                continue;
            }
            s += x[i] * x[i] * x[j] + 0.3;
        }
    }
    s
});

// ---------------------------------------------------------------------------------------
// 2. Snapshots (`Replays::snapshots`): f_vjp restores, the pullback (via) replays.
// ---------------------------------------------------------------------------------------

const PX: [f64; 9] = [0.3, -0.8, 1.1, 0.45, -0.2, 0.9, -0.6, 0.25, 0.7];
const PM: [f64; 6] = [0.1, 0.2, -0.3, -0.4, 0.5, 0.05];
const PL: [f64; 6] = [0.2, -0.1, 0.3, 0.4, -0.7, 0.6];

/// Like `probe!` for `fn(x, m, l)`, checked at (PX, $m, PL).
macro_rules! probe3 {
    ($test:ident, $f:ident, $fg:ident, $fj:ident, $G:ident, $via:ident, $viag:ident, $mv:expr,
     fn($x:ident: &[f64], $m:ident: &[f64], $l:ident: &[f64]) -> f64 $body:block) => {
        #[differentiate]
        fn $f($x: &[f64], $m: &[f64], $l: &[f64]) -> f64 $body
        #[differentiate]
        fn $via($x: &[f64], $m: &[f64], $l: &[f64]) -> f64 {
            $f($x, $m, $l)
        }
        #[test]
        fn $test() {
            let mv: Vec<f64> = $mv.to_vec();
            let (nx, nm) = (PX.len(), mv.len());
            let split = |p: &[f64]| {
                (
                    p[..nx].to_vec(),
                    p[nx..nx + nm].to_vec(),
                    p[nx + nm..].to_vec(),
                )
            };
            let (v, g) = $fg(&PX, &mv, &PL);
            let (_, h) = $viag(&PX, &mv, &PL);
            assert_eq!(v, $f(&PX, &mv, &PL), "value");
            let f = |p: &[f64]| {
                let (a, b, c) = split(p);
                $f(&a, &b, &c)
            };
            let jvp = |t: &[f64]| {
                let (a, b, c) = split(t);
                $fj(&PX, &mv, &PL, &$G { $x: a, $m: b, $l: c }).1
            };
            let p = [&PX[..], &mv, &PL].concat();
            let g = [&g.$x[..], &g.$m, &g.$l].concat();
            let h = [&h.$x[..], &h.$m, &h.$l].concat();
            full_check(stringify!($f), &p, f, &g, &h, jvp);
        }
    };
}

// The model (tests/fused_loops.rs's `whitened`), as a baseline of the harness.
probe3!(n01_whitened, n01, n01_grad, n01_jvp, N01Grad, n01_via, n01_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col] * (c + 1) as f64;
                    at += 1;
                }
            }
            z[0] = y[0] * y[1];
            let mut q = z[0] + z[1] * z[2];
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// y partially rewritten after the triangle, then read; z read after the component loop.
probe3!(n02_partial_after, n02, n02_grad, n02_jvp, N02Grad, n02_via, n02_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col];
                    at += 1;
                }
            }
            y[1] = y[1] * y[2] + z[0];
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln() + z[1] * y[2];
    }
    total
});

// A second scratch array of another length, rewritten and read in the triangle.
probe3!(n03_two_lengths, n03, n03_grad, n03_jvp, N03Grad, n03_via, n03_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut w = vec![0.0; d - 1];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d - 1 {
                w[j] = z[j] * z[j + 1];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col] + w[row - 1] * 0.2;
                    at += 1;
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// An array only written in the component loop (GMM's main_term), its log-sum-exp after.
probe3!(n04_only_written, n04, n04_grad, n04_jvp, N04Grad, n04_via, n04_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut main = vec![0.0; k];
    let mut total = 0.0;
    for i in 0..n {
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col];
                    at += 1;
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            main[c] = l[0] - 0.5 * q;
        }
        let mut mx = main[0];
        for c in 1..k {
            mx = mx.max(main[c]);
        }
        let mut se = 0.0;
        for c in 0..k {
            se += (main[c] - mx).exp();
        }
        total += mx + se.ln();
    }
    total
});

// A read of z before the iteration rewrites it (the previous component's value).
probe3!(n05_read_before, n05, n05_grad, n05_jvp, N05Grad, n05_via, n05_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            let prev = z[2];
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col];
                    at += 1;
                }
            }
            let mut q = prev * 0.1;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// Stores to z inside the triangle, after its reads.
probe3!(n06_store_in_triangle, n06, n06_grad, n06_jvp, N06Grad, n06_via, n06_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col];
                    z[row] = z[row] * 0.9 + 0.1 * y[row];
                    at += 1;
                }
            }
            let mut q = z[2];
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// No component (k = 0): no copies pushed or restored.
probe3!(n07_no_component, n07, n07_grad, n07_jvp, N07Grad, n07_via, n07_via_grad, [0.0f64; 0],
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 1.0 + x[i] * x[i];
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col];
                    at += 1;
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln() * l[0];
    }
    total
});

// A scratch array declared in the component loop's body, next to the top-level ones.
// Was B1 (see the list at the top), fixed.
probe3!(n08_body_local, n08, n08_grad, n08_jvp, N08Grad, n08_via, n08_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            let mut y = vec![0.0; d];
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col];
                    at += 1;
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j] + z[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// Scratch arrays declared in the fused loop's body.
probe3!(n09_fused_local, n09, n09_grad, n09_jvp, N09Grad, n09_via, n09_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut total = 0.0;
    for i in 0..n {
        let mut z = vec![0.0; d];
        let mut y = vec![0.0; d];
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col];
                    at += 1;
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// The component loop in a branch of the fused loop.
probe3!(n10_in_branch, n10, n10_grad, n10_jvp, N10Grad, n10_via, n10_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        if x[i * d] > 0.0 {
            let mut best = 0.0;
            for c in 0..k {
                for j in 0..d {
                    z[j] = x[i * d + j] - m[c * d + j];
                }
                for j in 0..d {
                    y[j] = l[j].exp() * z[j];
                }
                let mut at = 0;
                for col in 0..d {
                    for row in col + 1..d {
                        y[row] += l[d + at] * z[col];
                        at += 1;
                    }
                }
                let mut q = 0.0;
                for j in 0..d {
                    q += y[j] * y[j];
                }
                best += (-0.5 * q).exp();
            }
            total += best.ln();
        } else {
            total += x[i * d + 1] * l[1];
        }
    }
    total
});

// Two component loops in one fused iteration, sharing z and y.
probe3!(n11_two_loops, n11, n11_grad, n11_jvp, N11Grad, n11_via, n11_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + col] * z[col];
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        let mut other = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] * m[c * d + j];
            }
            for j in 0..d {
                y[j] = z[j].sin();
            }
            for col in 0..d {
                for row in 0..col {
                    y[row] += l[d + row] * z[col] * y[col];
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * z[j];
            }
            other += q.tanh();
        }
        total += best.ln() * other;
    }
    total
});

// The first loop rewrites z but its last element (d - 1), stored after the triangle: the
// next component reads the previous one's z[d - 1].
probe3!(n12_partial_kill, n12, n12_grad, n12_jvp, N12Grad, n12_via, n12_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d - 1 {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + col] * z[col];
                }
            }
            z[d - 1] = y[0] * 0.5 + m[c * d + 2];
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// The triangle's inner loop a while loop, indices computed.
probe3!(n13_while_triangle, n13, n13_grad, n13_jvp, N13Grad, n13_via, n13_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            for col in 0..d {
                let mut row = col + 1;
                while row < d {
                    y[row] += l[d + col + row - 1] * z[col];
                    row += 1;
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// A scalar computed before the triangle and used in it, and the accumulator updated as
// `total = total - e`.
probe3!(n14_scalar_in_triangle, n14, n14_grad, n14_jvp, N14Grad, n14_via, n14_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            let scale = (z[0] * z[1]).exp();
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += scale * z[col] * y[col];
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total = total - best.ln();
    }
    total
});

// y not rewritten by a loop but read and incremented by the triangle: its value carries
// from component to component (not killed).
probe3!(n15_not_killed, n15, n15_grad, n15_jvp, N15Grad, n15_via, n15_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + col] * z[col] * 0.1;
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j] + z[j] * z[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// z rewritten by stores at constant indices (not by a loop).
probe3!(n16_const_stores, n16, n16_grad, n16_jvp, N16Grad, n16_via, n16_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            z[0] = x[i * d] - m[c * d];
            z[1] = x[i * d + 1] - m[c * d + 1];
            z[2] = x[i * d + 2] - m[c * d + 2];
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + col] * z[col];
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

// ---------------------------------------------------------------------------------------
// 3. Increments (`reverse::increments`).
// ---------------------------------------------------------------------------------------

// a[i] += a[i], and an increment by an expression of the same element.
probe!(i01_self_increment, i01, i01_grad, i01_jvp, I01Grad, i01_via, i01_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..n {
        a[i] += a[i];
        a[i] += x[(i + 1) % n] * a[i];
        a[i] = a[i] + a[i] * a[i];
    }
    a.iter().map(|v| v.sin()).sum::<f64>()
});

// a[i] = a[i] + a[j] and a[i] = a[j] + a[i], j == i at runtime for some i.
probe!(i02_other_index, i02, i02_grad, i02_jvp, I02Grad, i02_via, i02_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..n {
        let j = (i * 2) % n;
        a[i] = a[i] + a[j] * 0.5;
        a[i] = a[j] + a[i];
        let k = (i + 3) % n;
        a[i] = a[k] + a[i];
    }
    a.iter().map(|v| v * v).sum::<f64>()
});

#[differentiate]
fn energy(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in a {
        s += v * v;
    }
    s * 0.1
}

// a[i] += f(&a), a differentiated callee taking the array.
probe!(i03_callee, i03, i03_grad, i03_jvp, I03Grad, i03_via, i03_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..n {
        a[i] += energy(&a);
        a[i] = energy(&a) + a[i];
    }
    a.iter().map(|v| v.sin()).sum::<f64>()
});

// a[i] += a.iter().sum().
probe!(i04_sum, i04, i04_grad, i04_jvp, I04Grad, i04_via, i04_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..n {
        a[i] += a.iter().sum::<f64>() * 0.3;
    }
    a.iter().map(|v| v.sin()).sum::<f64>()
});

// a[k] += e, k a carried integer (stepped by a constant, and not).
probe!(i05_carried_index, i05, i05_grad, i05_jvp, I05Grad, i05_via, i05_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    let mut b = vec![0.0; n];
    let mut k = 0;
    let mut m = 1;
    for i in 0..n {
        a[k] += x[i] * a[m];
        b[m] += a[k] * x[i];
        k += 1;
        m = (m * 5 + 2) % n;
    }
    a.iter().zip(&b).map(|(u, v)| u * v + u * u).sum::<f64>()
});

// Increments in branches.
probe!(i06_branches, i06, i06_grad, i06_jvp, I06Grad, i06_via, i06_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            if x[j] > 0.0 {
                a[i] += x[i] * x[j];
            } else {
                a[i] = x[j].sin() + a[i];
            }
        }
    }
    a.iter().map(|v| v * v).sum::<f64>()
});

// The old value named, used once, and used twice (not an increment).
probe!(i07_named_old, i07, i07_grad, i07_jvp, I07Grad, i07_via, i07_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    let mut s = 0.0;
    for i in 0..n {
        let t = a[i];
        let u = t + x[i] * x[i];
        a[i] = u;
        let t2 = a[i];
        a[i] = t2 + 0.5;
        s += t2;
    }
    s + a.iter().map(|v| v * v).sum::<f64>()
});

// A store then increments at the same index in the same block; an increment chain.
probe!(i08_store_then_increment, i08, i08_grad, i08_jvp, I08Grad, i08_via, i08_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.0; n];
    for i in 0..n {
        a[i] = x[i] * 3.0;
        a[i] += x[(i + 1) % n] * a[i];
        a[i] += 1.0;
        a[i] += x[i];
        a[i] += a[i];
    }
    a.iter().map(|v| v.sin()).sum::<f64>()
});

// Increments at constant indices of a Vec in a loop (the first and the last).
probe!(i09_const_index, i09, i09_grad, i09_jvp, I09Grad, i09_via, i09_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.0; 2];
    for i in 0..n {
        a[0] += x[i];
        a[1] = x[i] * x[i] + a[1];
        a[0] = a[0] * a[1] * 0.1 + a[0];
    }
    a[0] * a[1]
});

// Increments in a loop whose inner loop reads the same array at the invariant index
// (slot candidate next to a store).
probe!(i10_increment_and_slot, i10, i10_grad, i10_jvp, I10Grad, i10_via, i10_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..n {
        for j in 0..n {
            a[i] += x[j] * a[j] * 0.1;
        }
    }
    a.iter().map(|v| v * v).sum::<f64>()
});

// Increments in a while loop with a break.
probe!(i11_while_break, i11, i11_grad, i11_jvp, I11Grad, i11_via, i11_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.0; n];
    let mut i = 0;
    while i < 10 {
        let k = i % n;
        a[k] += x[k] * x[(k + 1) % n];
        if a[k] > 1.2 {
            break;
        }
        i += 1;
    }
    a.iter().map(|v| v * v).sum::<f64>()
});

// a[i] -= e and a[i] = e - a[i] (not increments), next to one.
probe!(i12_subtractions, i12, i12_grad, i12_jvp, I12Grad, i12_via, i12_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..n {
        a[i] -= x[i] * x[i];
        a[i] = x[i] - a[i];
        a[i] += x[i] * 0.5;
    }
    a.iter().map(|v| v * v).sum::<f64>()
});

// The old value read in the increment's expression before it (sin(a[i]) + a[i]).
probe!(i13_read_twice, i13, i13_grad, i13_jvp, I13Grad, i13_via, i13_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..n {
        a[i] = a[i].sin() + a[i];
        a[i] = a[i] + a[i].cos();
    }
    a.iter().map(|v| v * v).sum::<f64>()
});

// A fixed-size array, increments at computed indices in a nested loop.
probe!(i14_fixed_array, i14, i14_grad, i14_jvp, I14Grad, i14_via, i14_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut h = [0.0; 3];
    for i in 0..n {
        for j in 0..3 {
            h[(i + j) % 3] += x[i] * (j as f64 + 1.0);
        }
    }
    h[0] * h[1] + h[2] * h[2]
});

// An increment of an array later read in a reversed loop, accumulated by an iterator.
probe!(i15_iterators, i15, i15_grad, i15_jvp, I15Grad, i15_via, i15_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.0; n];
    for (i, v) in x.iter().enumerate() {
        a[i] += v * v;
        a[n - 1 - i] += v;
    }
    let mut s = 0.0;
    for i in (0..n).rev() {
        s = s * 0.5 + a[i];
    }
    s
});

// ---------------------------------------------------------------------------------------
// Shapes the slice harness cannot take.
// ---------------------------------------------------------------------------------------

#[track_caller]
fn dot_check(g: &[f64], v: &[f64], jvp: f64) {
    let dot: f64 = g.iter().zip(v).map(|(a, b)| a * b).sum();
    assert_close("⟨∇f, v⟩ against f_jvp", &[dot], &[jvp], 1e-10);
}

// Vec<Vec<f64>>: an element of a row read in a loop at invariant indices, and increments
// of a local nested vector.
#[differentiate]
fn vv_slots(a: &[Vec<f64>], x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..a.len() {
        for j in 0..a[i].len() {
            for k in 0..n {
                s += a[i][j] * x[k] * a[i][k % a[i].len()];
            }
        }
    }
    s
}

#[test]
fn x01_vec_of_vecs_slots() {
    let rows = |p: &[f64]| vec![p[..3].to_vec(), p[3..6].to_vec()];
    let x = [0.2, -0.4, 0.9];
    let (value, g) = vv_slots_grad(&rows(&X6), &x);
    assert_eq!(value, vv_slots(&rows(&X6), &x));
    let flat = g.a.concat();
    let fd = central_difference(|p| vv_slots(&rows(p), &x), &X6);
    assert_close("vv_slots a", &flat, &fd, 1e-6);
    let fd = central_difference(|p| vv_slots(&rows(&X6), p), &x);
    assert_close("vv_slots x", &g.x, &fd, 1e-6);
}

#[differentiate]
fn vv_increments(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            a[i][j] += x[i] * x[j];
            a[i][j] = a[i][j] + a[j][i] * 0.5;
        }
    }
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += a[i][j] * a[i][j];
        }
    }
    s
}

#[test]
fn x02_vec_of_vecs_increments() {
    let x = &X6[..4];
    let (value, g) = vv_increments_grad(x);
    assert_eq!(value, vv_increments(x));
    let fd = central_difference(vv_increments, x);
    assert_close("vv_increments", &g.x, &fd, 1e-6);
    let v = [0.2, -0.4, 0.1, 0.7];
    let (_, jvp) = vv_increments_jvp(x, &VvIncrementsGrad { x: v.to_vec() });
    dot_check(&g.x, &v, jvp);
}

#[differentiate]
fn arr2_increments(x: &[f64]) -> f64 {
    let mut a = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            a[i][j] += x[i] * x[j + 1];
            a[j][i] = x[i] + a[j][i];
        }
    }
    a[0][1] * a[1][2] + a[2][2] * a[2][0]
}

#[test]
fn x03_nested_arrays_increments() {
    let x = &X6[..4];
    let (value, g) = arr2_increments_grad(x);
    assert_eq!(value, arr2_increments(x));
    let fd = central_difference(arr2_increments, x);
    assert_close("arr2_increments", &g.x, &fd, 1e-6);
    let v = [0.2, -0.4, 0.1, 0.7];
    let (_, jvp) = arr2_increments_jvp(x, &Arr2IncrementsGrad { x: v.to_vec() });
    dot_check(&g.x, &v, jvp);
}

// nalgebra: DVector elements read at an invariant index, DVector increments, DMatrix
// elements m[(i, j)] read in an inner loop.
#[differentiate]
fn dv_slots(v: &DVector<f64>, m: &DMatrix<f64>) -> f64 {
    let n = v.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += v[i] * v[j] * m[(i, j)];
            for k in 0..n {
                s += m[(i, j)] * v[k] * 0.1;
            }
        }
    }
    s
}

#[test]
fn x04_nalgebra_slots() {
    let v = DVector::from_column_slice(&X6[..3]);
    let m = DMatrix::from_fn(3, 3, |i, j| 0.3 * i as f64 - 0.2 * j as f64 + 0.1);
    let (value, g) = dv_slots_grad(&v, &m);
    assert_eq!(value, dv_slots(&v, &m));
    let fd = central_difference(|p| dv_slots(&DVector::from_column_slice(p), &m), &X6[..3]);
    assert_close("dv_slots v", g.v.as_slice(), &fd, 1e-6);
    let fd = central_difference(
        |p| dv_slots(&v, &DMatrix::from_column_slice(3, 3, p)),
        m.as_slice(),
    );
    assert_close("dv_slots m", g.m.as_slice(), &fd, 1e-6);
}

#[differentiate]
fn dv_increments(v: &DVector<f64>) -> f64 {
    let n = v.len();
    let mut w = DVector::zeros(n);
    for i in 0..n {
        for j in 0..n {
            w[i] += v[i] * v[j];
        }
        w[i] = v[i].sin() + w[i];
    }
    w.dot(&w)
}

#[test]
fn x05_nalgebra_increments() {
    let v = DVector::from_column_slice(&X6[..4]);
    let (value, g) = dv_increments_grad(&v);
    assert_eq!(value, dv_increments(&v));
    let fd = central_difference(|p| dv_increments(&DVector::from_column_slice(p)), &X6[..4]);
    assert_close("dv_increments", g.v.as_slice(), &fd, 1e-6);
}

// Vec<Vector3<f64>>: increments of a static-vector element.
#[differentiate]
fn v3_increments(x: &[f64]) -> f64 {
    let mut vs = vec![Vector3::zeros(); 2];
    for i in 0..x.len() {
        vs[i % 2] += Vector3::new(x[i], x[i] * x[i], 1.0) * x[(i + 1) % x.len()];
    }
    vs[0].dot(&vs[1])
}

#[test]
fn x06_static_vector_increments() {
    let (value, g) = v3_increments_grad(&X6);
    assert_eq!(value, v3_increments(&X6));
    let fd = central_difference(v3_increments, &X6);
    assert_close("v3_increments", &g.x, &fd, 1e-6);
}

// Generic T: Float in f32 and f64: slots and increments.
#[differentiate]
fn generic_both<T: Float>(x: &[T]) -> T {
    let n = x.len();
    let mut a = vec![T::zero(); n];
    for i in 0..n {
        for j in 0..n {
            a[j] = a[j] + x[i] * x[j] * x[i];
        }
        a[i] = x[i].sin() + a[i];
    }
    let mut s = T::zero();
    for i in 0..n {
        s = s + a[i] * a[i];
    }
    s
}

#[test]
fn x07_generic_f64_f32() {
    let (_, g) = generic_both_grad(&X6);
    let fd = central_difference(generic_both::<f64>, &X6);
    assert_close("generic_both f64", &g.x, &fd, 1e-6);
    let x32: Vec<f32> = X6.iter().map(|&v| v as f32).collect();
    let (_, g32) = generic_both_grad(&x32);
    for (a, b) in g32.x.iter().zip(&g.x) {
        assert!(
            (f64::from(*a) - b).abs() < 1e-3 * (1.0 + b.abs()),
            "{a} vs {b}"
        );
    }
}

// Methods: self.w[i] read in a loop at an invariant index, increments of a copy of a field.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Layer {
    pub w: Vec<f64>,
    pub acc: Vec<f64>,
}

#[differentiate]
impl Layer {
    #[differentiate]
    pub fn score(&self, x: &[f64]) -> f64 {
        let n = x.len();
        let mut acc = self.acc.clone();
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..n {
                s += self.w[i] * x[j] * self.w[j];
                acc[i] += self.w[i] * x[j];
            }
        }
        for i in 0..n {
            s += acc[i] * acc[i];
        }
        s
    }

    #[differentiate]
    pub fn score_via(&self, x: &[f64]) -> f64 {
        self.score(x)
    }
}

#[test]
fn x08_methods() {
    let x = [0.2, -0.4, 0.9];
    let mk = |p: &[f64]| Layer {
        w: p[..3].to_vec(),
        acc: p[3..6].to_vec(),
    };
    let layer = mk(&X6);
    let (value, g) = layer.score_grad(&x);
    let (_, h) = layer.score_via_grad(&x);
    assert_eq!(value, layer.score(&x));
    let flat = [&g.self_.w[..], &g.self_.acc].concat();
    let via = [&h.self_.w[..], &h.self_.acc].concat();
    assert_close("score: against the pullback", &flat, &via, 1e-10);
    let fd = central_difference(|p| mk(p).score(&x), &X6);
    assert_close("score self", &flat, &fd, 1e-6);
    let fd = central_difference(|p| layer.score(p), &x);
    assert_close("score x", &g.x, &fd, 1e-6);
}

// ---------------------------------------------------------------------------------------
// More around B1 (a scratch array declared in the restored loop's body).
// ---------------------------------------------------------------------------------------

// B1's minimal reproducer: y declared in the component loop's body, z at the top level.
// Was B1 (see the list at the top), fixed.
probe!(n17_body_local_minimal, n17, n17_grad, n17_jvp, N17Grad, n17_via, n17_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let d = 2;
    let mut z = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        let mut best = 0.0;
        for c in 0..2 {
            let mut y = vec![0.0; d];
            for j in 0..d {
                z[j] = x[i * d + j] * (c + 1) as f64;
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += z[col] * z[row];
                }
            }
            best += y[1] * y[1];
        }
        total += best;
    }
    total
});

// A body-local fixed-size array.
// Was B1 (see the list at the top), fixed.
probe!(n18_body_local_fixed, n18, n18_grad, n18_jvp, N18Grad, n18_via, n18_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let d = 3;
    let mut z = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        let mut best = 0.0;
        for c in 0..2 {
            let mut y = [0.0; 3];
            for j in 0..d {
                z[j] = x[i * d + j] - 0.1 * c as f64;
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += z[col] * z[row];
                }
            }
            best += (y[1] + y[2] * y[2]).exp();
        }
        total += best.ln();
    }
    total
});

// A body-local collected vector, only read in the triangle.
probe!(n19_body_local_read, n19, n19_grad, n19_jvp, N19Grad, n19_via, n19_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let d = 3;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        let mut best = 0.0;
        for c in 0..2 {
            for j in 0..d {
                z[j] = x[i * d + j] - 0.1 * c as f64;
            }
            let w: Vec<f64> = z.iter().map(|v| v * v).collect();
            for j in 0..d {
                y[j] = z[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += w[col] * z[row];
                }
            }
            best += (y[1] * y[2]).exp();
        }
        total += best.ln();
    }
    total
});

// Slots: the array defined in the outer loop's body, read at the invariant index.
probe!(s23_array_in_outer_body, s23, s23_grad, s23_jvp, S23Grad, s23_via, s23_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let a: Vec<f64> = x.iter().map(|v| v * x[i]).collect();
        for j in 0..n {
            s += a[i] * x[j] + a[j] * 0.1;
        }
    }
    s
});

// Through callers: a caller's f_vjp calls the callee's pullback (which replays), a caller's
// pullback calls the callee's f_vjp (which restores).
// Was B1 (see the list at the top), fixed.
probe!(n20_caller_of_caller, n20, n20_grad, n20_jvp, N20Grad, n20_via, n20_via_grad, X6,
fn(x: &[f64]) -> f64 {
    n17(x) * 2.0 + n01(&x[..3], &PM, &PL)
});

// ---------------------------------------------------------------------------------------
// Second order (`hessian`: f_vjp over duals), f32, fixed-size parameters.
// ---------------------------------------------------------------------------------------

/// Rows of the Hessian by central differences of the gradient.
fn hessian_by_differences(grad: impl Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> Vec<Vec<f64>> {
    let h = 1e-5;
    (0..x.len())
        .map(|k| {
            let mut up = x.to_vec();
            let mut down = x.to_vec();
            up[k] += h;
            down[k] -= h;
            let (gu, gd) = (grad(&up), grad(&down));
            gu.iter()
                .zip(&gd)
                .map(|(a, b)| (a - b) / (2.0 * h))
                .collect()
        })
        .collect()
}

#[differentiate(hessian)]
fn h_slots(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += (x[i] * x[j]).sin() * x[i];
        }
    }
    s
}

#[differentiate(hessian)]
fn h_increments(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            a[i] += x[i] * x[j] * x[j];
        }
        a[i] = x[i].sin() + a[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += a[i] * a[i];
    }
    s
}

#[differentiate(hessian)]
fn h_whitened(x: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = 2;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - l[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col];
                    at += 1;
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
}

#[test]
fn h01_hessians() {
    let x = &X6[..4];
    let (_, _, rows) = h_slots_hessian(x);
    let fd = hessian_by_differences(|p| h_slots_grad(p).1.x, x);
    for (r, f) in rows.iter().zip(&fd) {
        assert_close("h_slots", &r.x, f, 1e-6);
    }
    let (_, _, rows) = h_increments_hessian(x);
    let fd = hessian_by_differences(|p| h_increments_grad(p).1.x, x);
    for (r, f) in rows.iter().zip(&fd) {
        assert_close("h_increments", &r.x, f, 1e-6);
    }
    let (_, g, rows) = h_whitened_hessian(&PX, &PL);
    let fd = central_difference(|p| h_whitened(p, &PL), &PX);
    assert_close("h_whitened gradient", &g.x, &fd, 1e-6);
    let fd = hessian_by_differences(|p| h_whitened_grad(p, &PL).1.x, &PX);
    for (r, f) in rows.iter().zip(&fd) {
        assert_close("h_whitened", &r.x, f, 1e-6);
    }
}

// Generic whitened in f64 and f32 (restored copies of f32 arrays).
#[differentiate]
fn g_whitened<T: Float>(x: &[T], l: &[T]) -> T {
    let d = 3;
    let k = 2;
    let n = x.len() / d;
    let mut z = vec![T::zero(); d];
    let mut y = vec![T::zero(); d];
    let mut total = T::zero();
    for i in 0..n {
        let mut best = T::zero();
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - T::from(0.1 * c as f64).unwrap();
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] = y[row] + l[d + at] * z[col];
                    at += 1;
                }
            }
            let mut q = T::zero();
            for j in 0..d {
                q = q + y[j] * y[j];
            }
            best = best + (T::from(-0.5).unwrap() * q).exp();
        }
        total = total + best.ln();
    }
    total
}

#[differentiate]
fn g_whitened_via(x: &[f64], l: &[f64]) -> f64 {
    g_whitened(x, l)
}

#[test]
fn n21_generic_whitened() {
    let (_, g) = g_whitened_grad(&PX, &PL);
    let (_, h) = g_whitened_via_grad(&PX, &PL);
    assert_close("g_whitened: pullback", &g.x, &h.x, 1e-10);
    assert_close("g_whitened: pullback l", &g.l, &h.l, 1e-10);
    let fd = central_difference(|p| g_whitened(p, &PL), &PX);
    assert_close("g_whitened x", &g.x, &fd, 1e-6);
    let fd = central_difference(|p| g_whitened(&PX, p), &PL);
    assert_close("g_whitened l", &g.l, &fd, 1e-6);
    let x32: Vec<f32> = PX.iter().map(|&v| v as f32).collect();
    let l32: Vec<f32> = PL.iter().map(|&v| v as f32).collect();
    let (_, g32) = g_whitened_grad(&x32, &l32);
    for (a, b) in g32.x.iter().chain(&g32.l).zip(g.x.iter().chain(&g.l)) {
        assert!(
            (f64::from(*a) - b).abs() < 1e-3 * (1.0 + b.abs()),
            "{a} vs {b}"
        );
    }
}

// A fixed-size array parameter read at an invariant index; f32 increments, not generic.
#[differentiate]
fn fixed_param(x: &[f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        for j in 0..4 {
            s += x[i] * x[j] * (i + j) as f64;
        }
    }
    s
}

#[differentiate]
fn f32_increments(x: &[f32]) -> f32 {
    let n = x.len();
    let mut a = vec![0.0f32; n];
    for i in 0..n {
        for j in 0..n {
            a[j] += x[i] * x[j];
        }
    }
    a.iter().map(|v| v * v).sum::<f32>()
}

#[test]
fn s27_fixed_and_f32() {
    let x = [0.3, -0.5, 0.7, 1.1];
    let (_, g) = fixed_param_grad(&x);
    let fd = central_difference(|p| fixed_param(&[p[0], p[1], p[2], p[3]]), &x);
    assert_close("fixed_param", &g.x, &fd, 1e-6);
    let x32 = [0.3f32, -0.5, 0.7, 1.1];
    let (_, g32) = f32_increments_grad(&x32);
    // Σ_j (x_j Σ_i x_i)² = S² Σ x_j²: ∂/∂x_k = 2 S Σx² + 2 S² x_k.
    let s: f64 = x.iter().sum();
    let q: f64 = x.iter().map(|v| v * v).sum();
    for (k, a) in g32.x.iter().enumerate() {
        let want = 2.0 * s * q + 2.0 * s * s * x[k];
        assert!(
            (f64::from(*a) - want).abs() < 1e-4 * (1.0 + want.abs()),
            "{a} vs {want}"
        );
    }
}

// Constant-length scratch arrays (vec![0.0; 3] over 0..3).
probe!(n22_const_lengths, n22, n22_grad, n22_jvp, N22Grad, n22_via, n22_via_grad, PX,
fn(x: &[f64]) -> f64 {
    let mut z = vec![0.0; 3];
    let mut y = vec![0.0; 3];
    let mut total = 0.0;
    for i in 0..3 {
        let mut best = 0.0;
        for c in 0..2 {
            for j in 0..3 {
                z[j] = x[i * 3 + j] - PM[c * 3 + j];
            }
            for j in 0..3 {
                y[j] = z[j] * z[j];
            }
            for col in 0..3 {
                for row in col + 1..3 {
                    y[row] += PL[col] * z[col] * y[col];
                }
            }
            best += (y[0] - y[1] * y[2]).exp();
        }
        total += best.ln();
    }
    total
});

// n20 split: the body-local array's function through a caller, and the model through a
// caller with data arguments.
// Was B1 (see the list at the top), fixed.
probe!(n23_caller_body_local, n23, n23_grad, n23_jvp, N23Grad, n23_via, n23_via_grad, X6,
fn(x: &[f64]) -> f64 {
    n17(x) * 2.0
});

probe!(n24_caller_model, n24, n24_grad, n24_jvp, N24Grad, n24_via, n24_via_grad, PX,
fn(x: &[f64]) -> f64 {
    n01(x, &PM, &PL) * 2.0
});

// A body-local array declared after the triangle, written then read (B1 again).
// Was B1 (see the list at the top), fixed.
probe!(n25_body_local_after, n25, n25_grad, n25_jvp, N25Grad, n25_via, n25_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let d = 3;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        let mut best = 0.0;
        for c in 0..2 {
            for j in 0..d {
                z[j] = x[i * d + j] - 0.2 * c as f64;
            }
            for j in 0..d {
                y[j] = z[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += z[col] * z[row];
                }
            }
            let mut w = vec![0.0; d];
            for j in 0..d {
                w[j] = y[j] * y[j];
            }
            best += (w[0] - w[1] * w[2]).exp();
        }
        total += best.ln();
    }
    total
});

// z rewritten twice per component (before and after the triangle).
probe!(n26_rewritten_twice, n26, n26_grad, n26_jvp, N26Grad, n26_via, n26_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let d = 3;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        let mut best = 0.0;
        for c in 0..2 {
            for j in 0..d {
                z[j] = x[i * d + j] - 0.2 * c as f64;
            }
            for j in 0..d {
                y[j] = z[j].sin();
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += z[col] * y[col];
                }
            }
            for j in 0..d {
                z[j] = y[j] * z[j];
            }
            let mut q = 0.0;
            for j in 0..d {
                q += z[j] * y[j];
            }
            best += (-q).exp();
        }
        total += best.ln();
    }
    total
});

// A top-level array written in the fused iteration before the component loop, read in it.
probe!(n27_written_before_loop, n27, n27_grad, n27_jvp, N27Grad, n27_via, n27_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let d = 3;
    let mut w = vec![0.0; d];
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        for j in 0..d {
            w[j] = x[i * d + j] * 0.5;
        }
        let mut best = 0.0;
        for c in 0..2 {
            for j in 0..d {
                z[j] = w[j] - 0.2 * c as f64;
            }
            for j in 0..d {
                y[j] = z[j] * w[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += z[col] * w[row];
                }
            }
            best += (y[0] * y[1] - y[2]).exp();
        }
        total += best.ln();
    }
    total
});

// The triangle inside a branch of the component loop's body.
probe!(n28_triangle_in_branch, n28, n28_grad, n28_jvp, N28Grad, n28_via, n28_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let d = 3;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        let mut best = 0.0;
        for c in 0..3 {
            for j in 0..d {
                z[j] = x[i * d + j] - 0.2 * c as f64;
            }
            for j in 0..d {
                y[j] = z[j] * z[j];
            }
            if c != 1 {
                for col in 0..d {
                    for row in col + 1..d {
                        y[row] += z[col] * y[col];
                    }
                }
            }
            best += (y[0] - y[1] * y[2]).exp();
        }
        total += best.ln();
    }
    total
});

// A continue in the component loop (two ends of its iteration: replayed, not restored).
probe!(n29_continue, n29, n29_grad, n29_jvp, N29Grad, n29_via, n29_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let d = 3;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        let mut best = 1.0;
        for c in 0..3 {
            for j in 0..d {
                z[j] = x[i * d + j] - 0.2 * c as f64;
            }
            if z[0] > 0.2 {
                continue;
            }
            for j in 0..d {
                y[j] = z[j] * z[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += z[col] * y[col];
                }
            }
            best += (y[0] - y[1] * y[2]).exp();
        }
        total += best.ln();
    }
    total
});

// Slots: an iterator inner loop, and a &Vec parameter.
probe!(s28_iterator_inner, s28, s28_grad, s28_jvp, S28Grad, s28_via, s28_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for v in x.iter() {
            s += x[i] * v * v;
        }
        for (j, v) in x.iter().enumerate() {
            s += x[i] * v * j as f64;
        }
    }
    s
});

// Slots with the index a usize parameter; a struct field's vector read at it.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Params {
    pub w: Vec<f64>,
    pub b: f64,
}

#[differentiate]
fn param_slots(p: &Params, x: &[f64], k: usize) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += p.w[k] * x[k] * x[j] + p.w[i] * p.b * x[j];
        }
    }
    s
}

#[test]
fn s29_param_struct_and_index() {
    let p = Params {
        w: X6.to_vec(),
        b: 0.7,
    };
    let x = [0.2, -0.4, 0.9, 0.3, -0.1, 0.6];
    for k in [0, 3, 5] {
        let (value, g) = param_slots_grad(&p, &x, k);
        assert_eq!(value, param_slots(&p, &x, k));
        let fd = central_difference(
            |q| {
                param_slots(
                    &Params {
                        w: q.to_vec(),
                        b: 0.7,
                    },
                    &x,
                    k,
                )
            },
            &X6,
        );
        assert_close("param_slots w", &g.p.w, &fd, 1e-6);
        let fd = central_difference(|q| param_slots(&p, q, k), &x);
        assert_close("param_slots x", &g.x, &fd, 1e-6);
        let fd = central_difference(
            |q| {
                param_slots(
                    &Params {
                        w: X6.to_vec(),
                        b: q[0],
                    },
                    &x,
                    k,
                )
            },
            &[0.7],
        );
        assert_close("param_slots b", &[g.p.b], &fd, 1e-6);
    }
}

// Increments: the sum also used elsewhere (not an increment); read and store in
// different blocks; a scatter-add through an index table with duplicates.
probe!(i16_sum_used_twice, i16, i16_grad, i16_jvp, I16Grad, i16_via, i16_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    let mut s = 0.0;
    for i in 0..n {
        let u = a[i] + x[i] * x[i];
        a[i] = u;
        s += u * 0.3;
        let t = a[i];
        if x[i] > 0.0 {
            a[i] = t + 1.5 * x[i];
        }
    }
    s + a.iter().map(|v| v * v).sum::<f64>()
});

probe!(i17_scatter, i17, i17_grad, i17_jvp, I17Grad, i17_via, i17_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut h = vec![0.0; n];
    for i in 0..n {
        h[IDX[i]] += x[i] * x[(i + 1) % n];
        h[IDX[i]] = h[IDX[i]] + h[IDX[(i + 1) % n]] * 0.5;
    }
    h.iter().map(|v| v * v).sum::<f64>()
});

// Increments and reads of the same elements across iterations of a reversed loop.
probe!(i18_reversed, i18, i18_grad, i18_jvp, I18Grad, i18_via, i18_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in (1..n).rev() {
        a[i - 1] += 0.3 * a[i] * a[i];
        a[i] += 0.5 * a[i - 1].sin();
    }
    a.iter().sum::<f64>()
});

// (Increments with the array reassigned whole between the read and the store,
// `let t = a[i]; a = vec![0.5; n]; a[i] = t + x[i];`, are rejected by lowering at the
// span: "`a` is written by index elsewhere, so it cannot also be reassigned whole".)

// Slots: the array reassigned in the loop that reads it at an invariant index.
probe!(s30_reassigned_in_loop, s30, s30_grad, s30_jvp, S30Grad, s30_via, s30_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let mut a = x.to_vec();
        for j in 0..n {
            s += a[i] * x[j];
            a = x.iter().map(|v| v * x[j]).collect();
        }
    }
    s
});

// Snapshots: a read of z at the start of the fused iteration (the previous point's z).
probe!(n30_read_across_points, n30, n30_grad, n30_jvp, N30Grad, n30_via, n30_via_grad, X6,
fn(x: &[f64]) -> f64 {
    let d = 3;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        let prev = z[1];
        let mut best = 0.0;
        for c in 0..2 {
            for j in 0..d {
                z[j] = x[i * d + j] - 0.2 * c as f64;
            }
            for j in 0..d {
                y[j] = z[j] * z[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += z[col] * y[col];
                }
            }
            best += (y[0] - y[1] * y[2]).exp();
        }
        total += best.ln() + prev * prev;
    }
    total
});

// Snapshots: the component loop over chunks of the means.
probe3!(n31_chunks, n31, n31_grad, n31_jvp, N31Grad, n31_via, n31_via_grad, PM,
fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for mc in m.chunks(d) {
            for j in 0..d {
                z[j] = x[i * d + j] - mc[j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + col] * z[col];
                }
            }
            let mut q = 0.0;
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});
