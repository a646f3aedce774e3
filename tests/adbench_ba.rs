//! ADBench bundle adjustment (`benches/data/adbench/FORMATS.md` §2): the residuals written
//! once under `#[differentiate]` and the sparse Jacobian built from their VJPs, against
//! ADBench's golden values (FORMATS.md Appendix A, from ADBench's unit tests, and Appendix
//! B), against central differences, and against the hand-written Jacobian.
//!
//! Golden values are compared with ADBench's own measure, ρ(x, y) = |x − y| / max(1, |x| +
//! |y|) < 1e-8 (FORMATS.md §5).

// The golden values are copied digit for digit from FORMATS.md (ADBench's printouts).
#![allow(clippy::excessive_precision)]

#[path = "support/adbench_ba.rs"]
mod adbench_ba;
#[path = "support/ba_hand.rs"]
mod ba_hand;
#[path = "support/ba_objective.rs"]
mod ba_objective;

use adbench_ba::{load, BaInput, SparseJacobian, CAM_PARAMS, REPROJ_ROW_NNZ};
use ba_hand::{jacobian_hand, reproj_block};
use ba_objective::{
    jacobian_tapeless, jacobian_tapeless_rows, reproj_err, reproj_row, residuals, w_err, w_err_grad,
};
use tapeless::check::{central_difference, relative_error};

/// ADBench's correctness measure (FORMATS.md §5).
fn rho(x: f64, y: f64) -> f64 {
    (x - y).abs() / 1.0_f64.max(x.abs() + y.abs())
}

#[track_caller]
fn assert_rho(what: &str, actual: f64, expected: f64) {
    let error = rho(actual, expected);
    assert!(
        error < 1e-8,
        "{what}: {actual:e} vs expected {expected:e} (ρ = {error:e})"
    );
}

/// The reprojection rows of `ba/test.txt`: ADBench's golden Jacobian (FORMATS.md Appendix A).
const TEST_GOLDEN_ROWS: [[f64; REPROJ_ROW_NNZ]; 2] = [
    [
        228.87720220824676,
        634.57481149554542,
        -782.22286625934055,
        2.4289261560715967,
        -11.782807962801131,
        2.5416931248774346,
        -1.0365708495851809,
        0.417022,
        0.0,
        -350.73952109600521,
        -912.10777366800858,
        -2.4289261560715967,
        11.782807962801131,
        -2.5416931248774346,
        -0.64516703971298739,
    ],
    [
        -120.54243599499688,
        -385.67324076646042,
        97.547629140332646,
        -1.7837210852957657,
        4.1546679943312608,
        2.0402571802989891,
        0.34917639743314588,
        0.0,
        0.417022,
        118.1491477044145,
        307.25010896034325,
        1.7837210852957657,
        -4.1546679943312608,
        -2.0402571802989891,
        0.62333592155306405,
    ],
];

/// Checks every residual of `input`: both reprojection components of every observation
/// and every weight error.
#[track_caller]
fn assert_residuals(input: &BaInput, err: &[f64], reproj: [f64; 2], weight: f64) {
    assert_eq!(err.len(), 3 * input.p);
    for i in 0..input.p {
        assert_rho(&format!("reproj_err[{i}].x"), err[2 * i], reproj[0]);
        assert_rho(&format!("reproj_err[{i}].y"), err[2 * i + 1], reproj[1]);
        assert_rho(&format!("w_err[{i}]"), err[2 * input.p + i], weight);
    }
}

/// The CSR structure of FORMATS.md §2.3, independent of the values.
#[track_caller]
fn assert_layout(input: &BaInput, j: &SparseJacobian) {
    let (n, m, p) = (input.n, input.m, input.p);
    assert_eq!((j.nrows, j.ncols), (3 * p, 11 * n + 3 * m + p));
    assert_eq!(j.rows.len(), 3 * p + 1);
    assert_eq!(j.vals.len(), 31 * p);
    assert_eq!(j.cols.len(), 31 * p);
    for row in 0..3 * p {
        let expected: Vec<usize> = if row < 2 * p {
            let i = row / 2;
            let (cam, pt) = (i % n, i % m);
            (11 * cam..11 * cam + 11)
                .chain(11 * n + 3 * pt..11 * n + 3 * pt + 3)
                .chain([11 * n + 3 * m + i])
                .collect()
        } else {
            vec![11 * n + 3 * m + (row - 2 * p)]
        };
        assert_eq!(
            &j.cols[j.rows[row]..j.rows[row + 1]],
            &expected[..],
            "columns of row {row}"
        );
    }
}

// ---- parsing -----------------------------------------------------------------------

#[test]
fn parses_and_replicates_test_file() {
    let input = load("test.txt");
    assert_eq!((input.n, input.m, input.p), (2, 10, 10));
    assert_eq!(input.cams.len(), 2);
    assert_eq!(input.x.len(), 10);
    assert_eq!(
        (input.w.len(), input.feats.len(), input.obs.len()),
        (10, 10, 10)
    );
    assert_eq!(input.cams[1][0], 1.797201);
    assert_eq!(input.cams[0][10], 0.069976);
    assert_eq!(input.x[9], [4.173048, 5.586898, 1.403869]);
    assert_eq!(input.w[3], 0.417022);
    assert_eq!(input.feats[9], [-525.672849, 161.811929]);
    assert_eq!(input.obs[7], [1, 7]);
}

#[test]
fn parses_ba1_sizes_from_its_name() {
    let input = load("ba1_n49_m7776_p31843.txt");
    assert_eq!((input.n, input.m, input.p), (49, 7776, 31843));
    assert_eq!(input.obs[31842], [31842 % 49, 31842 % 7776]);
    let j = SparseJacobian::new(&input);
    // FORMATS.md §2.4: 95,529 × 55,710, 987,133 non-zeros.
    assert_eq!((j.nrows, j.ncols), (95_529, 55_710));
    assert_eq!(31 * input.p, 987_133);
}

// ---- residuals against ADBench ------------------------------------------------------

#[test]
fn residuals_match_adbench_on_test_file() {
    let input = load("test.txt");
    let mut err = Vec::new();
    residuals(&input, &mut err);
    assert_residuals(
        &input,
        &err,
        [-0.269048849235189402, 0.259944792677901881],
        0.826092651515999976,
    );
}

#[test]
fn residuals_match_reference_on_ba1() {
    let input = load("ba1_n49_m7776_p31843.txt");
    let mut err = Vec::new();
    residuals(&input, &mut err);
    assert_residuals(
        &input,
        &err,
        [0.10133583791446145, -0.06896776592448106],
        0.826092651516,
    );
}

// ---- the Jacobian against ADBench ---------------------------------------------------

#[test]
fn generated_jacobian_matches_adbench_on_test_file() {
    let input = load("test.txt");
    let mut j = SparseJacobian::new(&input);
    let mut err = Vec::new();
    jacobian_tapeless(&input, &mut j, &mut err);
    assert_layout(&input, &j);
    // FORMATS.md Appendix A: 30 × 62 with 310 non-zeros.
    assert_eq!((j.nrows, j.ncols, j.vals.len()), (30, 62, 310));
    for row in 0..20 {
        let golden = &TEST_GOLDEN_ROWS[row % 2];
        for (k, &expected) in golden.iter().enumerate() {
            let col = j.cols[j.rows[row] + k];
            assert_rho(&format!("J[{row}][{col}]"), j.get(row, col), expected);
        }
    }
    for row in 20..30 {
        assert_rho(
            &format!("J[{row}] (weight row)"),
            j.vals[j.rows[row]],
            -0.834044,
        );
    }
    // The VJPs' values are the residuals.
    let mut primal = Vec::new();
    residuals(&input, &mut primal);
    assert_eq!(err, primal);
}

#[test]
fn hand_written_jacobian_matches_adbench_on_test_file() {
    let input = load("test.txt");
    let mut j = SparseJacobian::new(&input);
    let mut err = Vec::new();
    jacobian_hand(&input, &mut j, &mut err);
    assert_layout(&input, &j);
    for row in 0..20 {
        for (k, &expected) in TEST_GOLDEN_ROWS[row % 2].iter().enumerate() {
            assert_rho(
                &format!("J[{row}], entry {k}"),
                j.vals[j.rows[row] + k],
                expected,
            );
        }
    }
    for row in 20..30 {
        assert_rho(
            &format!("J[{row}] (weight row)"),
            j.vals[j.rows[row]],
            -0.834044,
        );
    }
    assert_residuals(
        &input,
        &err,
        [-0.269048849235189402, 0.259944792677901881],
        0.826092651515999976,
    );
}

#[test]
fn generated_jacobian_equals_hand_written_on_ba1() {
    let input = load("ba1_n49_m7776_p31843.txt");
    let (mut generated, mut hand) = (SparseJacobian::new(&input), SparseJacobian::new(&input));
    let (mut generated_err, mut hand_err) = (Vec::new(), Vec::new());
    jacobian_tapeless(&input, &mut generated, &mut generated_err);
    jacobian_hand(&input, &mut hand, &mut hand_err);
    assert_layout(&input, &generated);
    assert_eq!(generated.rows, hand.rows);
    assert_eq!(generated.cols, hand.cols);
    for (k, (&g, &h)) in generated.vals.iter().zip(&hand.vals).enumerate() {
        assert!(
            relative_error(g, h) <= 1e-12,
            "non-zero {k}: tapeless {g:e}, hand-written {h:e}"
        );
    }
    for (k, (&g, &h)) in generated_err.iter().zip(&hand_err).enumerate() {
        assert_eq!(g, h, "residual {k}");
    }
    let mut primal = Vec::new();
    residuals(&input, &mut primal);
    assert_eq!(generated_err, primal);
    assert_residuals(
        &input,
        &generated_err,
        [0.10133583791446145, -0.06896776592448106],
        0.826092651516,
    );
}

#[test]
fn jacobian_through_f_jacobian_equals_the_vjp_rows_and_hand_written() {
    for file in ["test.txt", "ba1_n49_m7776_p31843.txt"] {
        let input = load(file);
        let (mut rows, mut vjps) = (SparseJacobian::new(&input), SparseJacobian::new(&input));
        let mut hand = SparseJacobian::new(&input);
        let (mut rows_err, mut vjps_err, mut hand_err) = (Vec::new(), Vec::new(), Vec::new());
        jacobian_tapeless_rows(&input, &mut rows, &mut rows_err);
        jacobian_tapeless(&input, &mut vjps, &mut vjps_err);
        jacobian_hand(&input, &mut hand, &mut hand_err);
        assert_layout(&input, &rows);
        assert_eq!(rows.rows, hand.rows, "{file}");
        assert_eq!(rows.cols, hand.cols, "{file}");
        // The same reverse sweeps as the VJP rows: the same numbers.
        assert_eq!(rows.vals, vjps.vals, "{file}");
        for (k, (&g, &h)) in rows.vals.iter().zip(&hand.vals).enumerate() {
            assert!(
                relative_error(g, h) <= 1e-12,
                "{file}: non-zero {k}: f_jacobian {g:e}, hand-written {h:e}"
            );
        }
        // `reproj_errs` repeats `reproj_err`'s operations: the residuals are identical.
        assert_eq!(rows_err, vjps_err, "{file}");
    }
}

// ---- the Jacobian rows against central differences ----------------------------------

/// One observation: camera, point, weight, feature.
type Observation = ([f64; CAM_PARAMS], [f64; 3], f64, [f64; 2]);

/// The observations the rows are checked at: the two files' (rotation angles 1.97 and
/// 1.62 rad), a zero rotation (the first-order branch), a tiny one, and a few xorshift
/// perturbations of the test file's.
fn observations() -> Vec<Observation> {
    let test = load("test.txt");
    let ba1 = load("ba1_n49_m7776_p31843.txt");
    let at = |input: &BaInput| (input.cams[0], input.x[0], input.w[0], input.feats[0]);
    let mut list = vec![at(&test), at(&ba1)];
    let (mut cam, x, w, feat) = at(&test);
    cam[..3].copy_from_slice(&[0.0; 3]);
    list.push((cam, x, w, feat));
    cam[..3].copy_from_slice(&[1e-3, -2e-3, 5e-4]);
    list.push((cam, x, w, feat));

    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut jitter = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 0.2 - 0.1
    };
    for _ in 0..4 {
        let (mut cam, mut x, mut w, feat) = at(&test);
        cam.iter_mut().for_each(|c| *c *= 1.0 + jitter());
        x.iter_mut().for_each(|c| *c *= 1.0 + jitter());
        w *= 1.0 + jitter();
        list.push((cam, x, w, feat));
    }
    list
}

/// Component `out` of the residual as a function of the row's 15 variables.
fn residual_of(vars: &[f64], feat: &[f64; 2], out: usize) -> f64 {
    let cam: [f64; CAM_PARAMS] = vars[..CAM_PARAMS].try_into().unwrap();
    let x: [f64; 3] = vars[CAM_PARAMS..CAM_PARAMS + 3].try_into().unwrap();
    reproj_err(&cam, &x, vars[CAM_PARAMS + 3], feat, out)
}

#[test]
fn jacobian_rows_match_central_differences_and_hand_written() {
    for (n, (cam, x, w, feat)) in observations().into_iter().enumerate() {
        let vars: Vec<f64> = cam.iter().chain(&x).chain([&w]).copied().collect();
        let (hand_err, hand_rows) = reproj_block(&cam, &x, w, &feat);
        for out in 0..2 {
            let (value, row) = reproj_row(&cam, &x, w, &feat, out);
            assert_eq!(value, reproj_err(&cam, &x, w, &feat, out));
            assert_eq!(
                value, hand_err[out],
                "observation {n}: hand-written residual"
            );
            let numeric = central_difference(|v| residual_of(v, &feat, out), &vars);
            for k in 0..REPROJ_ROW_NNZ {
                // The entries reach ~1e3: relative to max(1, |·|), 1e-7 is far above the
                // five-point stencil's error and far below any wrong derivative.
                let fd_error = relative_error(row[k], numeric[k]);
                assert!(
                    fd_error <= 1e-7,
                    "observation {n}, row {out}, entry {k}: tapeless {:e}, central differences {:e} (error {fd_error:e})",
                    row[k],
                    numeric[k]
                );
                let hand_error = relative_error(row[k], hand_rows[out][k]);
                assert!(
                    hand_error <= 1e-12,
                    "observation {n}, row {out}, entry {k}: tapeless {:e}, hand-written {:e} (error {hand_error:e})",
                    row[k],
                    hand_rows[out][k]
                );
            }
        }
    }
}

#[test]
fn weight_row_matches_closed_form() {
    for w in [0.417022, -1.5, 0.0, 3.0] {
        let (value, grad) = w_err_grad(w);
        assert_eq!(value, w_err(w));
        assert_eq!(value, 1.0 - w * w);
        assert_eq!(grad.w, -2.0 * w);
    }
}
