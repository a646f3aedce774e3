//! h-qa5: adversarial probes of the 2026-12-06 merges (map closures as loops, `Adjoint::Reload`,
//! nalgebra views as values, reductions over chain/filter/step_by, windows and zip with an
//! offset, generic impl blocks, `f_jacobian`, the `-0.0` start of a desugared `.sum()`).
//! Each probe: the value bit for bit against the plain function, the gradient against
//! central differences, `f_vjp` linear in its seed and `f_jvp` against ⟨v, ∇f⟩.
#![allow(clippy::all)]

use nalgebra::{DMatrix, DVector, Matrix2, Matrix3, RealField, Vector2, Vector3};
use num_traits::Float;
use tapeless::check::central_difference;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

fn direction(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 * 1.3 + 0.4).sin()).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

fn assert_jvp(what: &str, dy: f64, g: &[f64], dir: &[f64]) {
    let e = dot(g, dir);
    assert!(
        (dy - e).abs() <= 1e-10 * (1.0 + e.abs()),
        "{what}: jvp {dy} vs <g, v> {e}"
    );
}

/// `slice!(f, f_grad, f_vjp, f_jvp, FGrad, point)` for `fn f(a: &[f64]) -> f64`: the probe
/// checks and `f_jvp` in one direction.
macro_rules! slice {
    ($f:ident, $g:ident, $v:ident, $j:ident, $G:ident, $x:expr) => {{
        let x: Vec<f64> = $x.to_vec();
        probe!(p => $f, $g, $v, [p], [a], x);
        let dir = direction(x.len());
        let (value, dy) = $j(&x, &$G { a: dir.clone() });
        assert_eq!(value.to_bits(), $f(&x).to_bits(), "{}: jvp value", stringify!($f));
        let (_, g) = $g(&x);
        assert_jvp(stringify!($f), dy, &g.a, &dir);
    }};
}

/// `dvec!(f, f_grad, f_vjp, f_jvp, FGrad, point)` for `fn f(a: &DVector<f64>) -> f64`.
macro_rules! dvec {
    ($f:ident, $g:ident, $v:ident, $j:ident, $G:ident, $x:expr) => {{
        let x: Vec<f64> = $x.to_vec();
        probe!(p => $f, $g, $v, [&DVector::from_column_slice(p)], [a], x);
        let dir = direction(x.len());
        let a = DVector::from_column_slice(&x);
        let (value, dy) = $j(&a, &$G { a: DVector::from_column_slice(&dir) });
        assert_eq!(value.to_bits(), $f(&a).to_bits(), "{}: jvp value", stringify!($f));
        let (_, g) = $g(&a);
        assert_jvp(stringify!($f), dy, g.a.as_slice(), &dir);
    }};
}

// ---- Adjoint::Reload: an expensive value stored at the loop's index -----------------

#[differentiate]
fn reload_plain(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let t = (a[i] * 0.7).exp();
        e[i] = t;
    }
    let mut s = 0.0;
    for i in 0..n {
        s += e[i] * a[i];
    }
    s
}

#[test]
fn qa5_reload_plain() {
    slice!(
        reload_plain,
        reload_plain_grad,
        reload_plain_vjp,
        reload_plain_jvp,
        ReloadPlainGrad,
        [0.3, -0.5, 1.1]
    );
}

/// The Vec is moved after the loop (into_iter consumes it).
#[differentiate]
fn reload_then_moved(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let t = a[i].tanh();
        e[i] = t * 1.0;
        e[i] = t;
    }
    let mut s = 0.0;
    for i in 0..n {
        let t = (a[i] * 2.0).exp();
        e[i] = t;
        s += t * t;
    }
    s + e.iter().sum::<f64>()
}

#[test]
fn qa5_reload_overwritten_by_a_second_loop() {
    slice!(
        reload_then_moved,
        reload_then_moved_grad,
        reload_then_moved_vjp,
        reload_then_moved_jvp,
        ReloadThenMovedGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn reload_into_iter(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let t = a[i].exp();
        e[i] = t;
    }
    let moved = e;
    moved.into_iter().map(|v| v * v).sum::<f64>()
}

#[test]
fn qa5_reload_vec_moved() {
    slice!(
        reload_into_iter,
        reload_into_iter_grad,
        reload_into_iter_vjp,
        reload_into_iter_jvp,
        ReloadIntoIterGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn reload_rev(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    let mut s = 1.0;
    for i in (0..n).rev() {
        let t = (a[i] * s).sin();
        e[i] = t;
        s = s + t;
    }
    s * e[0]
}

#[test]
fn qa5_reload_reversed_range() {
    slice!(
        reload_rev,
        reload_rev_grad,
        reload_rev_vjp,
        reload_rev_jvp,
        ReloadRevGrad,
        [0.3, -0.5, 1.1, 0.8]
    );
}

#[differentiate]
fn reload_step(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    let mut s = 0.5;
    for i in (0..n).step_by(2) {
        let t = (a[i] + s).exp();
        e[i] = t;
        s = s * 0.5 + t * 0.1;
    }
    s + e[0] * e[2]
}

#[test]
fn qa5_reload_step_by() {
    slice!(
        reload_step,
        reload_step_grad,
        reload_step_vjp,
        reload_step_jvp,
        ReloadStepGrad,
        [0.3, -0.5, 1.1, 0.8, -0.2]
    );
}

/// The loop reads earlier slots of the array it fills (a prefix recurrence), and stops early.
#[differentiate]
fn reload_prefix(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    let mut acc = 0.0;
    for i in 0..n {
        let mut inner = 0.0;
        for j in 0..i {
            inner += e[j] * a[i];
        }
        let t = (0.3 * a[i] + 0.1 * inner).exp();
        e[i] = t;
        acc += t;
        if acc > 4.0 {
            break;
        }
    }
    acc * e[1]
}

#[test]
fn qa5_reload_prefix_recurrence_with_break() {
    slice!(
        reload_prefix,
        reload_prefix_grad,
        reload_prefix_vjp,
        reload_prefix_jvp,
        ReloadPrefixGrad,
        [0.3, -0.5, 1.1, 0.8]
    );
    slice!(
        reload_prefix,
        reload_prefix_grad,
        reload_prefix_vjp,
        reload_prefix_jvp,
        ReloadPrefixGrad,
        [1.3, 1.5, 1.1, 0.8]
    );
}

/// The stored value is stored in two arrays, and one array is written at index i and at
/// index i + 1.
#[differentiate]
fn reload_two_arrays(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n + 1];
    let mut f = vec![0.0; n];
    for i in 0..n {
        let t = a[i].exp();
        f[i] = t;
        e[i + 1] = t * 2.0;
    }
    let mut s = 0.0;
    for i in 0..n {
        s += f[i] * e[i] + e[i + 1];
    }
    s
}

#[test]
fn qa5_reload_two_arrays() {
    slice!(
        reload_two_arrays,
        reload_two_arrays_grad,
        reload_two_arrays_vjp,
        reload_two_arrays_jvp,
        ReloadTwoArraysGrad,
        [0.3, -0.5, 1.1]
    );
}

/// The slot is written in a branch after the loop.
#[differentiate]
fn reload_branch_overwrite(a: &[f64]) -> f64 {
    let mut e = [0.0; 3];
    for i in 0..3 {
        let t = a[i].sin();
        e[i] = t;
    }
    let mut s = e[0] + e[1] + e[2];
    if a[0] > 0.0 {
        for k in 0..3 {
            e[k] = e[k] * a[k];
        }
    }
    s += e[0] * e[1] * e[2];
    s
}

#[test]
fn qa5_reload_branch_overwrite() {
    slice!(
        reload_branch_overwrite,
        reload_branch_overwrite_grad,
        reload_branch_overwrite_vjp,
        reload_branch_overwrite_jvp,
        ReloadBranchOverwriteGrad,
        [0.3, -0.5, 1.1]
    );
    slice!(
        reload_branch_overwrite,
        reload_branch_overwrite_grad,
        reload_branch_overwrite_vjp,
        reload_branch_overwrite_jvp,
        ReloadBranchOverwriteGrad,
        [-0.3, -0.5, 1.1]
    );
}

/// The index is shadowed inside the body: the store is not at the loop's index.
#[differentiate]
fn reload_shadowed_index(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let i = n - 1 - i;
        let t = (a[i] * 1.5).exp();
        e[i] = t;
    }
    e[0] * 2.0 + e[n - 1] * a[0]
}

#[test]
fn qa5_reload_shadowed_index() {
    slice!(
        reload_shadowed_index,
        reload_shadowed_index_grad,
        reload_shadowed_index_vjp,
        reload_shadowed_index_jvp,
        ReloadShadowedIndexGrad,
        [0.3, -0.5, 1.1]
    );
}

/// The array is a copy of a parameter and reads its own slot before the store.
#[differentiate]
fn reload_in_place(a: &[f64; 3]) -> f64 {
    let mut e = *a;
    for i in 0..3 {
        let t = (e[i] * e[i]).exp();
        e[i] = t;
    }
    e[0] * e[1] + e[2]
}

#[test]
fn qa5_reload_in_place() {
    probe!(p => reload_in_place, reload_in_place_grad, reload_in_place_vjp, [&[p[0], p[1], p[2]]], [a], [0.3, -0.5, 0.6]);
}

/// The iteration's value is stored, then the loop's own later iteration reads the slot a
/// second array copies.
#[differentiate]
fn reload_copied_array(a: &[f64]) -> f64 {
    let mut e = [0.0; 3];
    let mut copies = [[0.0; 3]; 3];
    for i in 0..3 {
        let t = a[i].exp();
        e[i] = t;
        copies[i] = e;
    }
    copies[0][0] + copies[1][0] * copies[2][1] + copies[2][2] * copies[1][2]
}

#[test]
fn qa5_reload_copied_array() {
    slice!(
        reload_copied_array,
        reload_copied_array_grad,
        reload_copied_array_vjp,
        reload_copied_array_jvp,
        ReloadCopiedArrayGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn reload_f32(a: &[f32]) -> f32 {
    let n = a.len();
    let mut e = vec![0.0f32; n];
    for i in 0..n {
        let t = a[i].ln_1p();
        e[i] = t;
    }
    let mut s = 0.0;
    for i in 0..n {
        s += e[i] * e[i];
    }
    s
}

#[test]
fn qa5_reload_f32() {
    let a = [0.3f32, 0.5, 1.1];
    let (v, g) = reload_f32_grad(&a);
    assert_eq!(v.to_bits(), reload_f32(&a).to_bits());
    for i in 0..3 {
        let l = (1.0 + a[i]).ln();
        let expected = 2.0 * l / (1.0 + a[i]);
        assert!((g.a[i] - expected).abs() < 1e-5, "{:?}", g.a);
    }
}

#[differentiate]
fn reload_generic<T: Float>(a: &[T]) -> T {
    let n = a.len();
    let mut e = vec![T::zero(); n];
    for i in 0..n {
        let t = a[i].exp();
        e[i] = t;
    }
    for i in 0..2 {
        e[1 - i] = e[1 - i] * a[i];
    }
    e[0] * a[2] + e[1]
}

#[test]
fn qa5_reload_generic_overwritten_by_a_second_loop() {
    let a = [0.3f64, -0.5, 1.1];
    let (v, g) = reload_generic_grad(&a);
    assert_eq!(v.to_bits(), reload_generic(&a).to_bits());
    // e[1] = exp(a1)·a0, then e[0] = exp(a0)·a1: f = exp(a0)·a1·a2 + exp(a1)·a0.
    let expected = [
        a[0].exp() * a[1] * a[2] + a[1].exp(),
        a[0].exp() * a[2] + a[1].exp() * a[0],
        a[0].exp() * a[1],
    ];
    for i in 0..3 {
        assert!(
            (g.a[i] - expected[i]).abs() < 1e-12,
            "{:?} vs {expected:?}",
            g.a
        );
    }
}

// ---- nalgebra map closures lowered as loops -----------------------------------------

#[differentiate]
fn map_branch(a: &DVector<f64>) -> f64 {
    let m = a.map(|v| if v > 0.0 { v.exp() } else { 0.5 * v * v });
    m.dot(a)
}

#[test]
fn qa5_map_branch() {
    dvec!(
        map_branch,
        map_branch_grad,
        map_branch_vjp,
        map_branch_jvp,
        MapBranchGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_capture(a: &DVector<f64>) -> f64 {
    let s = a[0] * 2.0;
    let t = a[1].exp();
    let m = a.map(|v| v * s + t);
    m.norm_squared()
}

#[test]
fn qa5_map_captures_active_values() {
    dvec!(
        map_capture,
        map_capture_grad,
        map_capture_vjp,
        map_capture_jvp,
        MapCaptureGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_ignores_param(a: &DVector<f64>) -> f64 {
    let y = a[1] * a[2];
    let m = a.map(|_v| y);
    m.sum() + a.map(|v| v).sum()
}

#[test]
fn qa5_map_closure_ignoring_its_parameter() {
    dvec!(
        map_ignores_param,
        map_ignores_param_grad,
        map_ignores_param_vjp,
        map_ignores_param_jvp,
        MapIgnoresParamGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_shadowing(a: &DVector<f64>) -> f64 {
    let v = a[0];
    let y = a[1];
    let m = a.map(|v| {
        let y = v * y;
        y.sin()
    });
    m.sum() + v * y
}

#[test]
fn qa5_map_parameter_and_let_shadow_outer_names() {
    dvec!(
        map_shadowing,
        map_shadowing_grad,
        map_shadowing_vjp,
        map_shadowing_jvp,
        MapShadowingGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_nested(a: &DVector<f64>) -> f64 {
    let b = a.map(|v| a.map(|w| v * w.sin()).sum());
    b.norm()
}

#[test]
fn qa5_map_nested_closures() {
    dvec!(
        map_nested,
        map_nested_grad,
        map_nested_vjp,
        map_nested_jvp,
        MapNestedGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_in_loop(a: &DVector<f64>) -> f64 {
    let mut z = a.clone();
    for k in 0..3 {
        let c = k as f64 * 0.5;
        z = z.map(|v| (v + c).sin());
    }
    z.sum()
}

#[test]
fn qa5_map_in_loop() {
    dvec!(
        map_in_loop,
        map_in_loop_grad,
        map_in_loop_vjp,
        map_in_loop_jvp,
        MapInLoopGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_relu_matrix(m: &Matrix2<f64>, x: &Vector2<f64>) -> f64 {
    let z = (m * x).map(|v| v.max(0.0));
    let w = m.map(|v| v.tanh());
    z.dot(&(w * x))
}

#[test]
fn qa5_map_on_matrix_and_product() {
    probe!(p => map_relu_matrix, map_relu_matrix_grad, map_relu_matrix_vjp,
        [&Matrix2::from_column_slice(&p[..4]), &Vector2::new(p[4], p[5])], [m, x],
        [0.5, -0.3, 0.8, 0.1, 0.7, 0.9]);
    let m = Matrix2::new(0.5, -0.3, 0.8, 0.1);
    let x = Vector2::new(0.7, 0.9);
    let f = |p: &[f64]| map_relu_matrix(&Matrix2::new(p[0], p[2], p[1], p[3]), &x);
    let (_, g) = map_relu_matrix_grad(&m, &x);
    let fd = central_difference(f, &[0.5, 0.8, -0.3, 0.1]);
    for (a, n) in g.m.iter().zip(&fd) {
        assert!((a - n).abs() < 1e-6, "{:?} vs {fd:?}", g.m);
    }
}

#[differentiate]
fn map_sign_of_zero(a: &DVector<f64>) -> f64 {
    a.map(|v| v * 0.0).sum()
}

#[test]
fn qa5_map_sum_sign_of_zero() {
    let a = DVector::from_vec(vec![-1.0, -2.0]);
    let (v, g) = map_sign_of_zero_grad(&a);
    assert_eq!(
        v.to_bits(),
        map_sign_of_zero(&a).to_bits(),
        "{v} vs {}",
        map_sign_of_zero(&a)
    );
    assert_eq!(g.a.as_slice(), &[0.0, 0.0]);
}

#[differentiate]
fn map_f32(a: &DVector<f32>) -> f32 {
    a.map(|v| if v > 0.0 { v.sqrt() } else { -v }).sum()
}

#[test]
fn qa5_map_f32() {
    let a = DVector::from_vec(vec![0.25f32, -0.5, 4.0]);
    let (v, g) = map_f32_grad(&a);
    assert_eq!(v.to_bits(), map_f32(&a).to_bits());
    assert_eq!(g.a.as_slice(), &[1.0, -1.0, 0.25]);
}

#[differentiate]
fn map_generic<T: RealField + Copy>(a: &DVector<T>, s: T) -> T {
    let m = a.map(|v| if v > s { (v - s).sin() } else { v * s });
    m.dot(a)
}

#[test]
fn qa5_map_generic_realfield() {
    probe!(p => map_generic, map_generic_grad, map_generic_vjp, [&DVector::from_column_slice(&p[..3]), p[3]], [a, s], [0.3, -0.5, 1.1, 0.2]);
}

#[differentiate]
fn zip_map_branch(a: &DVector<f64>) -> f64 {
    let b = a.map(|v| v.cos());
    let c = a.zip_map(&b, |p, q| if p > q { p * q } else { q.exp() - p });
    c.sum()
}

#[test]
fn qa5_zip_map_branch() {
    dvec!(
        zip_map_branch,
        zip_map_branch_grad,
        zip_map_branch_vjp,
        zip_map_branch_jvp,
        ZipMapBranchGrad,
        [0.3, -0.5, 1.1, 1.4]
    );
}

#[differentiate]
fn from_fn_reads(a: &DVector<f64>) -> f64 {
    let n = a.len();
    let m = DMatrix::from_fn(n, n, |i, j| a[i] * a[j] + if i == j { 1.0 } else { 0.0 });
    let v = DVector::from_fn(n, |i, _| a[n - 1 - i] * (i as f64 + 1.0));
    (m * v).norm_squared()
}

#[test]
fn qa5_from_fn_reads_reversed() {
    dvec!(
        from_fn_reads,
        from_fn_reads_grad,
        from_fn_reads_vjp,
        from_fn_reads_jvp,
        FromFnReadsGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn vector3_new_repeated(x: f64, y: f64) -> f64 {
    let a = Vector3::new(x, x, y * x);
    let b = Vector3::new(y, 1.0, x.sin());
    a.cross(&b).norm_squared() + a.dot(&b)
}

#[test]
fn qa5_vector3_new_repeated_values() {
    probe!(p => vector3_new_repeated, vector3_new_repeated_grad, vector3_new_repeated_vjp, [p[0], p[1]], [x, y], [0.3, -0.5]);
    let (_, dy) = vector3_new_repeated_jvp(0.3, -0.5, &Vector3NewRepeatedGrad { x: 0.7, y: -0.2 });
    let (_, g) = vector3_new_repeated_grad(0.3, -0.5);
    assert_jvp("vector3_new_repeated", dy, &[g.x, g.y], &[0.7, -0.2]);
}

// ---- views as values -----------------------------------------------------------------

#[differentiate]
fn overlapping_rows(a: &DVector<f64>) -> f64 {
    let p = a.rows(0, 3);
    let q = a.rows(1, 3);
    p.dot(&q) + p.component_mul(&q).sum()
}

#[test]
fn qa5_overlapping_row_views() {
    dvec!(
        overlapping_rows,
        overlapping_rows_grad,
        overlapping_rows_vjp,
        overlapping_rows_jvp,
        OverlappingRowsGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
}

#[differentiate]
fn view_of_view(a: &DVector<f64>) -> f64 {
    let p = a.rows(1, 3);
    let q = p.rows(1, 2);
    q[0] * q[1] + p[0]
}

#[test]
fn qa5_view_of_a_view() {
    dvec!(
        view_of_view,
        view_of_view_grad,
        view_of_view_vjp,
        view_of_view_jvp,
        ViewOfViewGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
}

#[differentiate]
fn empty_view_sum(a: &DVector<f64>) -> f64 {
    let e = a.rows(0, 0);
    e.sum() * a[0]
}

#[test]
fn qa5_empty_view_sum() {
    let a = DVector::from_vec(vec![-1.0, 2.0]);
    let (v, g) = empty_view_sum_grad(&a);
    assert_eq!(
        v.to_bits(),
        empty_view_sum(&a).to_bits(),
        "{v} vs {}",
        empty_view_sum(&a)
    );
    assert_eq!(g.a.as_slice(), &[0.0, 0.0]);
}

#[test]
#[should_panic]
fn qa5_view_out_of_range_panics_like_nalgebra() {
    let a = DVector::from_vec(vec![0.3, -0.5, 1.1]);
    let _ = view_of_view_grad(&a);
}

#[differentiate]
fn matrix_blocks(m: &DMatrix<f64>) -> f64 {
    let c = m.columns(1, 2);
    let r = m.rows(0, 2);
    let b = m.view((1, 0), (2, 2));
    let f = m.fixed_view::<2, 2>(0, 1);
    c.sum() * r.norm() + b.determinant() + (f * b).sum()
}

#[test]
fn qa5_overlapping_matrix_blocks() {
    let x: Vec<f64> = (0..9).map(|i| ((i * 4 % 7) as f64 - 3.0) * 0.3).collect();
    probe!(p => matrix_blocks, matrix_blocks_grad, matrix_blocks_vjp, [&DMatrix::from_column_slice(3, 3, p)], [m], x);
}

#[differentiate]
fn generic_views<T: RealField + Copy>(m: &Matrix3<T>) -> T {
    let r = m.fixed_view::<2, 2>(1, 1);
    let c = m.fixed_columns::<1>(0);
    r.determinant() * c.norm_squared() + m.rows(1, 1).sum()
}

#[test]
fn qa5_generic_views() {
    let x: Vec<f64> = (0..9).map(|i| ((i * 5 % 7) as f64 - 3.0) * 0.3).collect();
    probe!(p => generic_views, generic_views_grad, generic_views_vjp, [&Matrix3::from_column_slice(p)], [m], x);
}

impl probe::Flat for Matrix2<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

impl probe::Flat for Matrix3<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

// ---- reductions over chain / filter / step_by ---------------------------------------

#[differentiate]
fn chain_step(a: &[f64]) -> f64 {
    let h = a.len() / 2;
    let s: f64 = a[..h].iter().chain(&a[h..]).map(|v| v * v).sum();
    let t: f64 = a
        .iter()
        .skip(1)
        .chain(a.iter().skip(2).step_by(2))
        .map(|v| v.sin())
        .sum();
    s * t
}

#[test]
fn qa5_chain_of_stepped_and_skipped_parts() {
    slice!(
        chain_step,
        chain_step_grad,
        chain_step_vjp,
        chain_step_jvp,
        ChainStepGrad,
        [0.3, -0.5, 1.1, 0.7, -0.9]
    );
}

#[differentiate]
fn filter_enumerate(a: &[f64]) -> f64 {
    let s: f64 = a
        .iter()
        .filter(|v| **v > 0.0)
        .enumerate()
        .map(|(i, v)| (i as f64 + 1.0) * v * v)
        .sum();
    let c = a.iter().chain(a).filter(|&&v| v < 0.5).count() as f64;
    s * c
}

#[test]
fn qa5_filter_enumerate_and_count() {
    slice!(
        filter_enumerate,
        filter_enumerate_grad,
        filter_enumerate_vjp,
        filter_enumerate_jvp,
        FilterEnumerateGrad,
        [0.3, -0.5, 1.1, 0.7, -0.9]
    );
}

#[differentiate]
fn chain_three_reduce(a: &[f64]) -> f64 {
    let p = a
        .iter()
        .copied()
        .chain(a.iter().copied())
        .chain(a.iter().map(|v| v * 0.5))
        .reduce(|x, y| x * 0.9 + y * y)
        .unwrap();
    p
}

#[test]
fn qa5_chain_of_three_reduce() {
    slice!(
        chain_three_reduce,
        chain_three_reduce_grad,
        chain_three_reduce_vjp,
        chain_three_reduce_jvp,
        ChainThreeReduceGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn chain_min_max(a: &[f64]) -> f64 {
    let hi = a
        .iter()
        .chain(a.iter().skip(1))
        .copied()
        .max_by(|x, y| x.partial_cmp(y).unwrap())
        .unwrap();
    let lo = a
        .iter()
        .copied()
        .filter(|v| *v != hi)
        .min_by(|x, y| x.partial_cmp(y).unwrap())
        .unwrap();
    hi * lo.exp()
}

#[test]
fn qa5_chain_min_by_max_by() {
    slice!(
        chain_min_max,
        chain_min_max_grad,
        chain_min_max_vjp,
        chain_min_max_jvp,
        ChainMinMaxGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
}

#[differentiate]
fn min_max_zero_sign(a: &[f64]) -> f64 {
    let hi = a
        .iter()
        .copied()
        .max_by(|x, y| x.partial_cmp(y).unwrap())
        .unwrap();
    let lo = a
        .iter()
        .copied()
        .min_by(|x, y| x.partial_cmp(y).unwrap())
        .unwrap();
    let t = a.iter().copied().max_by(|x, y| x.total_cmp(y)).unwrap();
    1.0 / hi + 2.0 / lo + 4.0 / t
}

#[test]
fn qa5_min_by_max_by_ties_pick_like_std() {
    for a in [[0.0, -0.0], [-0.0, 0.0]] {
        let (v, _) = min_max_zero_sign_grad(&a);
        let plain = min_max_zero_sign(&a);
        assert!(
            v == plain || (v.is_nan() && plain.is_nan()),
            "{a:?}: {v} vs {plain}"
        );
    }
}

#[differentiate]
fn collect_chain(a: &[f64]) -> f64 {
    let v: Vec<f64> = a.iter().chain(a.iter().skip(1)).map(|x| x.sin()).collect();
    v[1] * v[v.len() - 1] + v[a.len()]
}

#[test]
fn qa5_collect_chain_with_skip() {
    slice!(
        collect_chain,
        collect_chain_grad,
        collect_chain_vjp,
        collect_chain_jvp,
        CollectChainGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn chain_break_continue(a: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut k = 0.0;
    for &x in a.iter().chain(a.iter().step_by(2)) {
        k += 1.0;
        if x < 0.0 {
            continue;
        }
        s += k * x * x;
        if s > 3.0 {
            break;
        }
    }
    s
}

#[test]
fn qa5_chain_loop_break_continue() {
    slice!(
        chain_break_continue,
        chain_break_continue_grad,
        chain_break_continue_vjp,
        chain_break_continue_jvp,
        ChainBreakContinueGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
    slice!(
        chain_break_continue,
        chain_break_continue_grad,
        chain_break_continue_vjp,
        chain_break_continue_jvp,
        ChainBreakContinueGrad,
        [0.3, -0.5, 0.1, 0.2]
    );
}

#[differentiate]
fn skip_take_range(a: &[f64], k: usize) -> f64 {
    let n = a.len();
    let s: f64 = (1..n).skip(k).map(|i| a[i] * a[i - 1]).sum();
    let t: f64 = (0..n).take(k + 1).map(|i| a[i].exp()).sum();
    let mut u = 0.0;
    for i in k.min(n)..(k + 2).min(n) {
        u += a[i].cos();
    }
    s + t * u
}

#[test]
fn qa5_skip_take_ranges() {
    for k in [0, 1, 3, 9] {
        probe!(p => skip_take_range, skip_take_range_grad, skip_take_range_vjp, [p, k], [a], [0.3, -0.5, 1.1, 0.7]);
    }
}

#[differentiate]
fn empty_reductions(a: &[f64]) -> f64 {
    let s: f64 = a.iter().filter(|&&v| v > 10.0).sum();
    let t: f64 = (0..a.len()).skip(10).map(|i| a[i]).sum();
    let u: f64 = a[..0].iter().chain(&a[a.len()..]).sum();
    let p: f64 = a.iter().filter(|&&v| v > 10.0).product();
    s + t + u + p * 0.0 * a[0]
}

#[test]
fn qa5_empty_reductions_sign_of_zero() {
    for a in [[-1.0, -2.0], [1.0, 2.0]] {
        let (v, g) = empty_reductions_grad(&a);
        let plain = empty_reductions(&a);
        assert_eq!(v.to_bits(), plain.to_bits(), "{a:?}: {v} vs {plain}");
        assert_eq!(g.a, vec![0.0, 0.0]);
    }
}

#[differentiate]
fn negative_zero_sums(a: &[f64]) -> f64 {
    let s: f64 = a.iter().map(|v| v * 0.0).sum();
    let f = a.iter().fold(0.0, |acc, v| acc + v * 0.0);
    let mut l = 0.0;
    for v in a {
        l += v * 0.0;
    }
    // Signs: -0.0, +0.0, +0.0 for negative inputs; 1/x shows them.
    1.0 / s + 2.0 / f + 4.0 / l
}

#[test]
fn qa5_sum_fold_loop_signs_of_zero() {
    let a = [-1.0, -2.0];
    let (v, _) = negative_zero_sums_grad(&a);
    let plain = negative_zero_sums(&a);
    assert_eq!(v.to_bits(), plain.to_bits(), "{v} vs {plain}");
}

#[differentiate]
fn sum_f32_chain(a: &[f32]) -> f32 {
    let s: f32 = a.iter().chain(a.iter().skip(1)).map(|v| v * v).sum();
    s.sqrt()
}

#[test]
fn qa5_chain_sum_f32() {
    let a = [0.5f32, -1.5, 2.0];
    let (v, g) = sum_f32_chain_grad(&a);
    assert_eq!(v.to_bits(), sum_f32_chain(&a).to_bits());
    let s = 0.25f64 + 2.0 * 2.25 + 2.0 * 4.0;
    let expected = [0.5 / s.sqrt(), 2.0 * -1.5 / s.sqrt(), 2.0 * 2.0 / s.sqrt()];
    for i in 0..3 {
        assert!((f64::from(g.a[i]) - expected[i]).abs() < 1e-5, "{:?}", g.a);
    }
}

// ---- windows and zip with an offset --------------------------------------------------

#[differentiate]
fn windows_and_offsets(a: &[f64]) -> f64 {
    let d: f64 = a.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    let z: f64 = a.iter().zip(&a[1..]).map(|(p, q)| p * q).sum();
    let y: f64 = a.iter().zip(a.iter().skip(2)).map(|(p, q)| p - q * q).sum();
    let c: f64 = a.windows(3).map(|w| w[0] * w[2] - w[1]).sum();
    d + z * y + c
}

#[test]
fn qa5_windows_and_zip_offsets() {
    slice!(
        windows_and_offsets,
        windows_and_offsets_grad,
        windows_and_offsets_vjp,
        windows_and_offsets_jvp,
        WindowsAndOffsetsGrad,
        [0.3, -0.5, 1.1, 0.7, -0.9]
    );
}

#[differentiate]
fn windows_loop_break(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, w) in a.windows(2).enumerate() {
        if w[0] > w[1] {
            continue;
        }
        s += (i as f64 + 1.0) * w[0] * w[1].exp();
        if s > 5.0 {
            break;
        }
    }
    s
}

#[test]
fn qa5_windows_enumerate_break_continue() {
    slice!(
        windows_loop_break,
        windows_loop_break_grad,
        windows_loop_break_vjp,
        windows_loop_break_jvp,
        WindowsLoopBreakGrad,
        [0.3, -0.5, 1.1, 0.7, 1.9]
    );
}

#[differentiate]
fn windows_too_long(a: &[f64]) -> f64 {
    let s: f64 = a.windows(5).map(|w| w[0] * w[4]).sum();
    s + a[0]
}

#[test]
fn qa5_windows_longer_than_the_slice() {
    slice!(
        windows_too_long,
        windows_too_long_grad,
        windows_too_long_vjp,
        windows_too_long_jvp,
        WindowsTooLongGrad,
        [0.3, -0.5, 1.1]
    );
    let (v, _) = windows_too_long_grad(&[-0.0, 1.0]);
    assert_eq!(v.to_bits(), windows_too_long(&[-0.0, 1.0]).to_bits());
}

#[differentiate]
fn windows_f32(a: &[f32]) -> f32 {
    a.windows(2).map(|w| w[0] * w[1]).sum::<f32>()
}

#[test]
fn qa5_windows_f32() {
    let a = [0.5f32, -1.5, 2.0];
    let (v, g) = windows_f32_grad(&a);
    assert_eq!(v.to_bits(), windows_f32(&a).to_bits());
    assert_eq!(g.a, vec![-1.5, 2.5, -1.5]);
}

// ---- generic impl blocks -------------------------------------------------------------

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Fixed<T, const N: usize> {
    pub c: [T; N],
}

#[differentiate]
impl<T: Float> Fixed<T, 3> {
    #[differentiate]
    pub fn eval(&self, x: T) -> T {
        let mut s = T::zero();
        for i in 0..3 {
            s = s * x + self.c[i];
        }
        s
    }

    #[differentiate]
    pub fn energy(&self, xs: &[T]) -> T {
        let mut e = T::zero();
        for &x in xs {
            let v = self.eval(x);
            e = e + v * v;
        }
        e
    }
}

#[test]
fn qa5_generic_block_of_a_struct_with_a_const_parameter() {
    let p = Fixed {
        c: [0.5f64, -1.0, 2.0],
    };
    let (v, g) = p.eval_grad(0.7);
    assert_eq!(v.to_bits(), p.eval(0.7).to_bits());
    assert_eq!(g.self_.c, [0.7 * 0.7, 0.7, 1.0]);
    assert!((g.x - (2.0 * 0.5 * 0.7 - 1.0)).abs() < 1e-15);
    let xs = [0.1, -0.4, 0.9];
    let point = [0.5, -1.0, 2.0, 0.1, -0.4, 0.9];
    let f = |q: &[f64]| {
        Fixed {
            c: [q[0], q[1], q[2]],
        }
        .energy(&q[3..])
    };
    let (v, g) = p.energy_grad(&xs);
    assert_eq!(v.to_bits(), f(&point).to_bits());
    let fd = central_difference(f, &point);
    let analytic: Vec<f64> = g.self_.c.iter().chain(&g.xs).copied().collect();
    for (a, n) in analytic.iter().zip(&fd) {
        assert!((a - n).abs() < 1e-6, "{analytic:?} vs {fd:?}");
    }
    let p32 = Fixed {
        c: [0.5f32, -1.0, 3.0],
    };
    let (_, g) = p32.eval_grad(0.25);
    assert_eq!(g.self_.c, [0.0625, 0.25, 1.0]);
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Mixed<T, U> {
    pub w: T,
    pub scale: U,
}

#[differentiate]
impl<T, U> Mixed<T, U>
where
    T: Float,
    U: Float,
{
    #[differentiate]
    pub fn apply(&self, x: T) -> T {
        (self.w * x).tanh() + x
    }
}

#[test]
fn qa5_generic_block_with_two_type_parameters() {
    let m = Mixed {
        w: 0.8f64,
        scale: 2.0f32,
    };
    let (v, g) = m.apply_grad(0.6);
    assert_eq!(v.to_bits(), m.apply(0.6).to_bits());
    let sech2 = 1.0 - (0.48f64).tanh().powi(2);
    assert!((g.self_.w - 0.6 * sech2).abs() < 1e-15);
    assert!((g.x - (0.8 * sech2 + 1.0)).abs() < 1e-15);
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Gauss<T> {
    pub mu: T,
    pub sigma: T,
}

fn gauss_rule<T: Float>(g: &Gauss<T>, x: T, seed: T) -> (Gauss<T>, T) {
    let z = (x - g.mu) / g.sigma;
    let d = seed * z / g.sigma;
    (
        Gauss {
            mu: -d,
            sigma: -seed * z * z / g.sigma,
        },
        d,
    )
}

#[differentiate]
impl<T: Float> Gauss<T> {
    /// ½·((x − μ)/σ)², with a hand-written rule.
    #[tapeless::custom_vjp(gauss_rule)]
    pub fn nll(&self, x: T) -> T {
        let z = (x - self.mu) / self.sigma;
        z * z * T::from(0.5).unwrap()
    }

    #[differentiate]
    pub fn total(&self, xs: &[T]) -> T {
        let mut s = T::zero();
        for &x in xs.iter().chain(xs.iter().step_by(2)) {
            s = s + self.nll(x);
        }
        s
    }
}

#[test]
fn qa5_generic_block_custom_vjp_over_a_chain() {
    let g0 = Gauss {
        mu: 0.3f64,
        sigma: 1.4,
    };
    let xs = [0.1, -0.4, 0.9];
    let point = [0.3, 1.4, 0.1, -0.4, 0.9];
    let f = |q: &[f64]| {
        Gauss {
            mu: q[0],
            sigma: q[1],
        }
        .total(&q[2..])
    };
    let (v, g) = g0.total_grad(&xs);
    assert_eq!(v.to_bits(), f(&point).to_bits());
    let fd = central_difference(f, &point);
    let analytic: Vec<f64> = [g.self_.mu, g.self_.sigma]
        .iter()
        .chain(&g.xs)
        .copied()
        .collect();
    for (a, n) in analytic.iter().zip(&fd) {
        assert!((a - n).abs() < 1e-6, "{analytic:?} vs {fd:?}");
    }
    let dir = direction(5);
    let (_, dy) = g0.total_jvp(
        &xs,
        &GaussTotalGrad {
            self_: Gauss {
                mu: dir[0],
                sigma: dir[1],
            },
            xs: dir[2..].to_vec(),
        },
    );
    assert_jvp("Gauss::total", dy, &analytic, &dir);
}

// ---- f_jacobian of straight-line code -------------------------------------------------

#[differentiate]
fn shared_rows(x: f64, y: f64) -> [f64; 3] {
    let e = (x * y).exp();
    let s = e + x;
    let mut out = [0.0; 3];
    out[0] = s * s;
    out[2] = e * y;
    out[1] = s - out[0];
    out[0] = out[0] + out[2];
    out
}

#[test]
fn qa5_jacobian_rows_overwritten_and_read() {
    let (x, y) = (0.4, -0.7);
    let (value, rows) = shared_rows_jacobian(x, y);
    assert_eq!(value, shared_rows(x, y));
    for k in 0..3 {
        let fd = central_difference(|p: &[f64]| shared_rows(p[0], p[1])[k], &[x, y]);
        assert!(
            (rows[k].x - fd[0]).abs() < 1e-6 && (rows[k].y - fd[1]).abs() < 1e-6,
            "row {k}: {:?} vs {fd:?}",
            (rows[k].x, rows[k].y)
        );
    }
}

#[differentiate]
fn shared_vec(a: &[f64]) -> Vec<f64> {
    let s: f64 = a.iter().map(|v| v * v).sum();
    let n = s.sqrt();
    let out = vec![a[0] / n, a[1] / n, n, a[0] * a[1] * n];
    out
}

#[test]
fn qa5_jacobian_vec_literal() {
    let a = [0.4, -0.7];
    let (value, rows) = shared_vec_jacobian(&a);
    assert_eq!(value, shared_vec(&a));
    assert_eq!(rows.len(), 4);
    for k in 0..4 {
        let fd = central_difference(|p: &[f64]| shared_vec(p)[k], &a);
        for i in 0..2 {
            assert!(
                (rows[k].a[i] - fd[i]).abs() < 1e-6,
                "row {k}: {:?} vs {fd:?}",
                rows[k].a
            );
        }
    }
}

#[differentiate]
fn shared_vector3(x: f64, y: f64) -> Vector3<f64> {
    let c = x.cos();
    let v = Vector3::new(c * y, c, y * y);
    v * x.sin() + Vector3::new(x, x, x)
}

#[test]
fn qa5_jacobian_vector3() {
    let (x, y) = (0.4, -0.7);
    let (value, rows) = shared_vector3_jacobian(x, y);
    assert_eq!(value, shared_vector3(x, y));
    for k in 0..3 {
        let fd = central_difference(|p: &[f64]| shared_vector3(p[0], p[1])[k], &[x, y]);
        assert!(
            (rows[k].x - fd[0]).abs() < 1e-6 && (rows[k].y - fd[1]).abs() < 1e-6,
            "row {k}: {:?} vs {fd:?}",
            (rows[k].x, rows[k].y)
        );
    }
}

// ---- batch 2: in-place updates after a reloadable store, map closures on views ----------

/// A map closure's loop stores exp at each index, then the matrix is scaled in place.
#[differentiate]
fn map_then_scaled_in_place(a: &DVector<f64>) -> f64 {
    let mut z = a.map(|v| v.exp());
    z *= 2.0;
    z.dot(a)
}

#[test]
fn qa5_map_then_scaled_in_place() {
    dvec!(
        map_then_scaled_in_place,
        map_then_scaled_in_place_grad,
        map_then_scaled_in_place_vjp,
        map_then_scaled_in_place_jvp,
        MapThenScaledInPlaceGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_then_add_assign(a: &DVector<f64>) -> f64 {
    let mut z = a.map(|v| v.tanh());
    z += a;
    z -= a * 0.5;
    z.norm_squared()
}

#[test]
fn qa5_map_then_add_assign() {
    dvec!(
        map_then_add_assign,
        map_then_add_assign_grad,
        map_then_add_assign_vjp,
        map_then_add_assign_jvp,
        MapThenAddAssignGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_then_index_write(a: &DVector<f64>) -> f64 {
    let mut z = a.map(|v| v.exp());
    z[1] = a[0] * 3.0;
    z.dot(a)
}

#[test]
fn qa5_map_then_index_write() {
    dvec!(
        map_then_index_write,
        map_then_index_write_grad,
        map_then_index_write_vjp,
        map_then_index_write_jvp,
        MapThenIndexWriteGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn store_then_compound(a: &[f64]) -> f64 {
    let mut e = vec![0.0; a.len()];
    for i in 0..a.len() {
        let t = (a[i] * 0.5).exp();
        e[i] = t;
    }
    e[0] *= a[1];
    e[2] += e[0];
    e.iter().map(|v| v * v).sum::<f64>()
}

#[test]
fn qa5_store_then_compound_assignments() {
    slice!(
        store_then_compound,
        store_then_compound_grad,
        store_then_compound_vjp,
        store_then_compound_jvp,
        StoreThenCompoundGrad,
        [0.3, -0.5, 1.1]
    );
}

/// Each iteration reads the previous iteration's slot (a recurrence through the array).
#[differentiate]
fn store_recurrence(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let prev = if i == 0 { a[0] } else { e[i - 1] };
        let t = (0.5 * prev + a[i]).exp();
        e[i] = t;
    }
    e[n - 1] + e[1]
}

#[test]
fn qa5_store_recurrence() {
    slice!(
        store_recurrence,
        store_recurrence_grad,
        store_recurrence_vjp,
        store_recurrence_jvp,
        StoreRecurrenceGrad,
        [0.3, -0.5, 0.4, 0.2]
    );
}

/// A `continue` before the store skips it in some iterations.
#[differentiate]
fn store_after_continue(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![1.0; n];
    let mut s = 0.0;
    for i in 0..n {
        if a[i] < 0.0 {
            continue;
        }
        let t = a[i].tanh();
        e[i] = t;
        s += t;
    }
    s * e.iter().product::<f64>()
}

#[test]
fn qa5_store_after_continue() {
    slice!(
        store_after_continue,
        store_after_continue_grad,
        store_after_continue_vjp,
        store_after_continue_jvp,
        StoreAfterContinueGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
}

/// The store is inside a nested block, and the loop breaks right after it.
#[differentiate]
fn store_in_block_then_break(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.5; n];
    for i in 0..n {
        let t = (a[i] * a[i]).exp();
        {
            e[i] = t;
        }
        if t > 2.0 {
            break;
        }
    }
    e.iter().sum::<f64>() * e[0]
}

#[test]
fn qa5_store_in_block_then_break() {
    slice!(
        store_in_block_then_break,
        store_in_block_then_break_grad,
        store_in_block_then_break_vjp,
        store_in_block_then_break_jvp,
        StoreInBlockThenBreakGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
}

/// A store at the index in a nested loop (the outer loop writes every slot three times).
#[differentiate]
fn store_nested_rewrites(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    let mut s = 0.0;
    for k in 0..3 {
        for i in 0..n {
            let t = (a[i] * (k as f64 + 1.0) + s * 0.1).exp();
            e[i] = t;
        }
        s += e[0] * e[n - 1];
    }
    s
}

#[test]
fn qa5_store_nested_rewrites() {
    slice!(
        store_nested_rewrites,
        store_nested_rewrites_grad,
        store_nested_rewrites_vjp,
        store_nested_rewrites_jvp,
        StoreNestedRewritesGrad,
        [0.3, -0.5, 0.4]
    );
}

#[differentiate]
fn map_match(a: &DVector<f64>, k: usize) -> f64 {
    let m = a.map(|v| match k {
        0 => v.sin(),
        1 => v * v,
        _ => {
            let w = v.exp();
            w / (1.0 + w)
        }
    });
    m.sum()
}

#[test]
fn qa5_map_match_on_data() {
    for k in 0..3 {
        probe!(p => map_match, map_match_grad, map_match_vjp, [&DVector::from_column_slice(p), k], [a], [0.3, -0.5, 1.1]);
    }
}

#[differentiate]
fn helper_square(x: f64) -> f64 {
    x * x.sin()
}

#[differentiate]
fn map_calls_differentiated(a: &DVector<f64>) -> f64 {
    let s = a[2];
    a.map(|v| helper_square(v * s)).sum()
}

#[test]
fn qa5_map_closure_calls_a_differentiated_function() {
    dvec!(
        map_calls_differentiated,
        map_calls_differentiated_grad,
        map_calls_differentiated_vjp,
        map_calls_differentiated_jvp,
        MapCallsDifferentiatedGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn chained_maps(a: &DVector<f64>) -> f64 {
    a.map(|v| v * v + 1.0)
        .map(|v| v.sqrt())
        .map(|v| v.ln())
        .sum()
}

#[test]
fn qa5_chained_maps() {
    dvec!(
        chained_maps,
        chained_maps_grad,
        chained_maps_vjp,
        chained_maps_jvp,
        ChainedMapsGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_in_loop_with_carried(a: &DVector<f64>) -> f64 {
    let mut z = a.clone();
    let mut s = 0.1;
    for _ in 0..3 {
        s = s * 0.5 + z.sum() * 0.1;
        z = z.map(|v| (v * s).exp());
    }
    z.sum() + s
}

#[test]
fn qa5_map_in_loop_reads_a_carried_scalar() {
    dvec!(
        map_in_loop_with_carried,
        map_in_loop_with_carried_grad,
        map_in_loop_with_carried_vjp,
        map_in_loop_with_carried_jvp,
        MapInLoopWithCarriedGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_matrix_generic<T: RealField + Copy>(m: &Matrix3<T>, s: T) -> T {
    let e = m.map(|v| (v * s).exp());
    let f = e.fixed_view::<2, 2>(1, 0).into_owned().map(|v| v.ln() + s);
    f.determinant() + e.trace()
}

#[test]
fn qa5_generic_map_on_matrix_and_view() {
    let x: Vec<f64> = (0..10).map(|i| ((i * 3 % 7) as f64 - 3.0) * 0.2).collect();
    probe!(p => map_matrix_generic, map_matrix_generic_grad, map_matrix_generic_vjp, [&Matrix3::from_column_slice(&p[..9]), p[9]], [m, s], x);
}

// ---- batch 2: views in branches and loops ------------------------------------------------

#[differentiate]
fn view_in_branch(a: &DVector<f64>, flag: bool) -> f64 {
    let v = if flag { a.rows(0, 2) } else { a.rows(1, 2) };
    v.norm_squared() * a[1]
}

#[test]
fn qa5_view_chosen_in_a_branch() {
    for flag in [true, false] {
        probe!(p => view_in_branch, view_in_branch_grad, view_in_branch_vjp, [&DVector::from_column_slice(p), flag], [a], [0.3, -0.5, 1.1]);
    }
}

#[differentiate]
fn views_in_loop_blocks(m: &DMatrix<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..m.nrows() - 1 {
        let b = m.view((i, i), (2, 2));
        s += b.determinant() * b.norm();
    }
    s
}

#[test]
fn qa5_views_at_the_loop_index_overlapping() {
    let x: Vec<f64> = (0..9)
        .map(|i| ((i * 4 % 7) as f64 - 3.0) * 0.3 + 0.05)
        .collect();
    probe!(p => views_in_loop_blocks, views_in_loop_blocks_grad, views_in_loop_blocks_vjp, [&DMatrix::from_column_slice(3, 3, p)], [m], x);
}

#[differentiate]
fn view_chain_transpose(m: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let r = m.rows(1, 2);
    let b = r.columns(0, 2);
    let t = b.transpose();
    (t * x).dot(&(b * x)) + m.column(2).rows(0, 2).dot(x)
}

#[test]
fn qa5_view_of_view_transposed() {
    let mut x: Vec<f64> = (0..9).map(|i| ((i * 4 % 7) as f64 - 3.0) * 0.3).collect();
    x.extend([0.4, -0.9]);
    probe!(p => view_chain_transpose, view_chain_transpose_grad, view_chain_transpose_vjp, [&DMatrix::from_column_slice(3, 3, &p[..9]), &DVector::from_column_slice(&p[9..])], [m, x], x);
}

#[differentiate]
fn view_in_loop_norm(a: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() - 1 {
        let w = a.rows(i, 2);
        s += w.norm_squared() * w.sum();
    }
    s
}

#[test]
fn qa5_sliding_views_without_indexing() {
    dvec!(
        view_in_loop_norm,
        view_in_loop_norm_grad,
        view_in_loop_norm_vjp,
        view_in_loop_norm_jvp,
        ViewInLoopNormGrad,
        [0.3, -0.5, 1.1, 0.8]
    );
}

// ---- batch 2: chains, filters, windows ----------------------------------------------------

#[differentiate]
fn filter_mean(a: &[f64]) -> f64 {
    let n = a
        .iter()
        .chain(a.iter().skip(1))
        .filter(|v| **v > 0.0)
        .count() as f64;
    let s: f64 = a
        .iter()
        .chain(a.iter().skip(1))
        .filter(|v| **v > 0.0)
        .map(|v| v.ln())
        .sum();
    s / n
}

#[test]
fn qa5_filter_mean_of_logs() {
    slice!(
        filter_mean,
        filter_mean_grad,
        filter_mean_vjp,
        filter_mean_jvp,
        FilterMeanGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
}

#[differentiate]
fn filter_then_chain(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, &v) in a.iter().filter(|v| **v < 1.0).chain(a).enumerate() {
        if i == 4 {
            continue;
        }
        s += v * (i as f64 + 0.5);
        if s > 6.0 {
            break;
        }
    }
    s
}

#[test]
fn qa5_filter_then_chain_enumerate_loop() {
    slice!(
        filter_then_chain,
        filter_then_chain_grad,
        filter_then_chain_vjp,
        filter_then_chain_jvp,
        FilterThenChainGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
}

#[differentiate]
fn chain_reduce_max(a: &[f64]) -> f64 {
    let m = a
        .iter()
        .copied()
        .chain(a.iter().map(|v| -v))
        .reduce(|p, q| if p > q { p } else { q })
        .unwrap();
    let p: f64 = a.iter().filter(|v| **v > 0.0).product();
    let lo = a.iter().copied().min_by(|x, y| x.total_cmp(y)).unwrap();
    m * p + lo
}

#[test]
fn qa5_chain_reduce_max_filter_product_total_cmp() {
    slice!(
        chain_reduce_max,
        chain_reduce_max_grad,
        chain_reduce_max_vjp,
        chain_reduce_max_jvp,
        ChainReduceMaxGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
    slice!(
        chain_reduce_max,
        chain_reduce_max_grad,
        chain_reduce_max_vjp,
        chain_reduce_max_jvp,
        ChainReduceMaxGrad,
        [0.3, -1.5, 1.1, 0.7]
    );
}

#[differentiate]
fn ranges_skip_step(a: &[f64], k: usize) -> f64 {
    let n = a.len();
    let mut s = 0.0;
    for i in (1..n).skip(k).step_by(2) {
        s += a[i] * a[i - 1];
    }
    for i in (0..n.saturating_sub(k)).rev() {
        s = s * 0.9 + a[i].sin();
    }
    s + (k..n).take(2).map(|i| a[i].exp()).sum::<f64>()
}

#[test]
fn qa5_ranges_skip_step_rev_take() {
    for k in [0, 1, 2, 7] {
        probe!(p => ranges_skip_step, ranges_skip_step_grad, ranges_skip_step_vjp, [p, k], [a], [0.3, -0.5, 1.1, 0.7, 0.2]);
    }
}

#[differentiate]
fn windows_of_computed(a: &[f64]) -> f64 {
    let v: Vec<f64> = a.iter().map(|x| x.exp()).collect();
    let d: f64 = v.windows(2).map(|w| w[1] / w[0]).sum();
    let e: f64 = a[1..].windows(2).map(|w| w[0] * w[1]).sum();
    let z: f64 = v.iter().zip(&a[2..]).map(|(p, q)| p * q).sum();
    let c: f64 = a.chunks(2).map(|c| c[0] * c[c.len() - 1]).sum();
    d + e + z + c
}

#[test]
fn qa5_windows_of_a_computed_vec_subslice_chunks() {
    slice!(
        windows_of_computed,
        windows_of_computed_grad,
        windows_of_computed_vjp,
        windows_of_computed_jvp,
        WindowsOfComputedGrad,
        [0.3, -0.5, 1.1, 0.7, 0.2]
    );
}

#[differentiate]
fn windows_in_loop(a: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut b = vec![0.0; a.len()];
    for k in 0..3 {
        for (i, w) in a.windows(2).enumerate() {
            b[i] = w[0] * (k as f64) + w[1] + s * 0.01;
        }
        s += b
            .iter()
            .zip(b.iter().skip(1))
            .map(|(p, q)| p * q)
            .sum::<f64>();
    }
    s
}

#[test]
fn qa5_windows_in_a_nested_loop() {
    slice!(
        windows_in_loop,
        windows_in_loop_grad,
        windows_in_loop_vjp,
        windows_in_loop_jvp,
        WindowsInLoopGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
}

#[differentiate]
fn windows_generic<T: Float>(a: &[T]) -> T {
    let mut s = T::zero();
    for w in a.windows(3) {
        s = s + (w[2] - w[1] * w[0]).powi(2);
    }
    for (p, q) in a.iter().zip(&a[1..]) {
        s = s + *p * *q;
    }
    s
}

#[test]
fn qa5_windows_generic() {
    probe!(p => windows_generic, windows_generic_grad, windows_generic_vjp, [p], [a], [0.3, -0.5, 1.1, 0.7]);
    let (_, g) = windows_generic_grad(&[0.5f32, 1.0, 2.0]);
    // s = (2 − 0.5)² + 0.5 + 2: ∂/∂a0 = −2·1.5·1 + 1, ∂/∂a1 = −2·1.5·0.5 + 0.5 + 2, ∂/∂a2 = 3 + 1.
    assert_eq!(g.a, vec![-2.0, 1.0, 4.0]);
}

// ---- batch 2: Jacobians and Hessians --------------------------------------------------

#[differentiate]
fn jac_array_reads(a: &[f64; 3]) -> [f64; 3] {
    let e = a[0].exp();
    let mut out = *a;
    out[1] = out[0] * e;
    out[0] = out[1] - a[2];
    out[2] = out[2] * out[0] + e;
    out
}

#[test]
fn qa5_jacobian_of_an_array_updated_in_place() {
    let a = [0.4, -0.7, 1.3];
    let (value, rows) = jac_array_reads_jacobian(&a);
    assert_eq!(value, jac_array_reads(&a));
    for k in 0..3 {
        let fd = central_difference(|p: &[f64]| jac_array_reads(&[p[0], p[1], p[2]])[k], &a);
        for i in 0..3 {
            assert!(
                (rows[k].a[i] - fd[i]).abs() < 1e-6,
                "row {k}: {:?} vs {fd:?}",
                rows[k].a
            );
        }
    }
}

#[differentiate]
fn jac_branch(x: f64, y: f64) -> [f64; 2] {
    let mut out = [0.0; 2];
    if x > y {
        out[0] = x.sin() * y;
        out[1] = out[0] * out[0];
    } else {
        out[1] = y.exp();
        out[0] = out[1] - x;
    }
    out
}

#[test]
fn qa5_jacobian_with_a_branch() {
    for (x, y) in [(0.4, -0.7), (-0.4, 0.7)] {
        let (value, rows) = jac_branch_jacobian(x, y);
        assert_eq!(value, jac_branch(x, y));
        for k in 0..2 {
            let fd = central_difference(|p: &[f64]| jac_branch(p[0], p[1])[k], &[x, y]);
            assert!(
                (rows[k].x - fd[0]).abs() < 1e-6 && (rows[k].y - fd[1]).abs() < 1e-6,
                "row {k}"
            );
        }
    }
}

#[differentiate(hessian)]
fn hess_map(a: &[f64]) -> f64 {
    let s: f64 = a.iter().chain(a.iter().skip(1)).map(|v| v.sin()).sum();
    let w: f64 = a.windows(2).map(|w| w[0] * w[1]).sum();
    s * w
}

#[test]
fn qa5_hvp_over_chain_and_windows() {
    let a = [0.4, -0.7, 1.3];
    let v = [0.3, 0.2, -0.5];
    let (value, g, hv) = hess_map_hvp(&a, &HessMapGrad { a: v.to_vec() });
    assert_eq!(value.to_bits(), hess_map(&a).to_bits());
    let (_, g0) = hess_map_grad(&a);
    for i in 0..3 {
        assert!((g.a[i] - g0.a[i]).abs() < 1e-12);
    }
    // H·v by central differences of the gradient along v.
    let h = 1e-5;
    let plus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x + h * d).collect();
    let minus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x - h * d).collect();
    let (_, gp) = hess_map_grad(&plus);
    let (_, gm) = hess_map_grad(&minus);
    for i in 0..3 {
        let fd = (gp.a[i] - gm.a[i]) / (2.0 * h);
        assert!((hv.a[i] - fd).abs() < 1e-6, "{:?} vs {fd}", hv.a);
    }
}

// ---- batch 3: signs of zero of generic sums, captures named like loop indices ------------

#[differentiate]
fn generic_empty_sum<T: Float + std::iter::Sum>(a: &[T]) -> T {
    let s: T = a
        .iter()
        .filter(|v| **v > T::from(10.0).unwrap())
        .copied()
        .sum();
    let t: T = a[..0].iter().copied().sum();
    let u: T = a.iter().map(|v| *v * T::zero()).sum();
    T::one() / s + T::one() / t + T::one() / u
}

#[test]
fn qa5_generic_empty_sums_start_from_negative_zero() {
    for a in [[-1.0f64, -2.0], [1.0, 2.0]] {
        let (v, _) = generic_empty_sum_grad(&a);
        let plain = generic_empty_sum(&a);
        assert_eq!(v.to_bits(), plain.to_bits(), "{a:?}: {v} vs {plain}");
    }
    let a = [-1.0f32, -2.0];
    let (v, _) = generic_empty_sum_grad(&a);
    assert_eq!(v.to_bits(), generic_empty_sum(&a).to_bits());
}

#[differentiate]
fn realfield_sum<T: RealField + Copy + std::iter::Sum>(a: &[T], b: &DVector<T>) -> T {
    let s: T = a.iter().map(|v| *v * T::zero()).sum();
    let t = b.map(|v| v * T::zero()).sum();
    T::one() / s + T::one() / t + b.rows(0, 0).sum()
}

#[test]
fn qa5_realfield_sums_signs_of_zero() {
    let a = [-1.0f64, -2.0];
    let b = DVector::from_vec(vec![-1.0f64, -3.0]);
    let (v, _) = realfield_sum_grad(&a, &b);
    let plain = realfield_sum(&a, &b);
    assert_eq!(v.to_bits(), plain.to_bits(), "{v} vs {plain}");
}

#[differentiate]
fn captures_like_indices(a: &DVector<f64>) -> f64 {
    let i = a[0];
    let j = 2.0;
    let n = a[1];
    let m = a.map(|v| v * i + j * n);
    let z = a.zip_map(&m, |i, j| i * j + n);
    z.sum() + DVector::from_fn(3, |r, c| a[r] * (c as f64 + i)).sum()
}

#[test]
fn qa5_closure_captures_named_like_loop_indices() {
    dvec!(
        captures_like_indices,
        captures_like_indices_grad,
        captures_like_indices_vjp,
        captures_like_indices_jvp,
        CapturesLikeIndicesGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_inside_from_fn(a: &DVector<f64>) -> f64 {
    let n = a.len();
    let v = DVector::from_fn(n, |k, _| a.map(|x| (x * a[k]).sin()).sum());
    v.norm_squared()
}

#[test]
fn qa5_map_inside_from_fn() {
    dvec!(
        map_inside_from_fn,
        map_inside_from_fn_grad,
        map_inside_from_fn_vjp,
        map_inside_from_fn_jvp,
        MapInsideFromFnGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_reads_own_matrix(m: &DMatrix<f64>) -> f64 {
    let c = m.map(|v| v * m[(0, 0)] + m[(1, 1)].exp());
    (c.transpose() * m).trace()
}

#[test]
fn qa5_map_closure_reads_the_mapped_matrix() {
    let x: Vec<f64> = (0..4).map(|i| ((i * 3 % 5) as f64 - 2.0) * 0.3).collect();
    probe!(p => map_reads_own_matrix, map_reads_own_matrix_grad, map_reads_own_matrix_vjp, [&DMatrix::from_column_slice(2, 2, p)], [m], x);
}

// ---- batch 3: custom_vjp tuples through f_jvp -----------------------------------------------

#[tapeless::custom_vjp(split_rule)]
fn split_pair(x: f64, y: f64) -> (f64, f64) {
    (x * y, x.exp() + y)
}

fn split_rule(x: f64, y: f64, seed: (f64, f64)) -> (f64, f64) {
    (seed.0 * y + seed.1 * x.exp(), seed.0 * x + seed.1)
}

#[differentiate]
fn split_in_loop(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in a.windows(2) {
        let (p, q) = split_pair(w[0], w[1] + s * 0.1);
        s += p * q;
    }
    s
}

#[test]
fn qa5_tuple_custom_vjp_in_a_loop_forward_and_reverse() {
    slice!(
        split_in_loop,
        split_in_loop_grad,
        split_in_loop_vjp,
        split_in_loop_jvp,
        SplitInLoopGrad,
        [0.3, -0.5, 1.1, 0.4]
    );
}

#[tapeless::custom_vjp(argmax_rule)]
fn argmax_value(a: &[f64]) -> (usize, f64) {
    let mut k = 0;
    for i in 1..a.len() {
        if a[i] > a[k] {
            k = i;
        }
    }
    (k, a[k] * a[k])
}

fn argmax_rule(a: &[f64], seed: ((), f64)) -> Vec<f64> {
    let (k, _) = argmax_value(a);
    let mut g = vec![0.0; a.len()];
    g[k] = 2.0 * a[k] * seed.1;
    g
}

#[differentiate]
fn uses_argmax(a: &[f64]) -> f64 {
    let (k, v) = argmax_value(a);
    let (k2, v2) = argmax_value(a);
    v * a[(k + 1) % a.len()] + v2 * k2 as f64
}

#[test]
fn qa5_tuple_custom_vjp_with_a_leading_index() {
    slice!(
        uses_argmax,
        uses_argmax_grad,
        uses_argmax_vjp,
        uses_argmax_jvp,
        UsesArgmaxGrad,
        [0.3, -0.5, 1.1, 0.4]
    );
}

// ---- batch 3: generic impl blocks with several parameters ----------------------------------

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Affine<T: RealField + Copy, S> {
    pub w: Matrix2<T>,
    pub b: Vector2<T>,
    pub tag: S,
}

#[differentiate]
impl<T, S> Affine<T, S>
where
    T: RealField + Copy,
    S: RealField + Copy,
{
    #[differentiate]
    pub fn act(&self, x: &Vector2<T>) -> T {
        let z = self.w * x + self.b;
        let h = z.map(|v| {
            if v > T::zero() {
                v
            } else {
                v * T::from_subset(&0.1)
            }
        });
        h.dot(&z.map(|v| v.tanh())) + self.w.fixed_view::<1, 2>(1, 0).sum()
    }

    #[differentiate]
    pub fn batch(&self, xs: &[Vector2<T>], s: T) -> T {
        let mut total = T::zero();
        for x in xs {
            total += self.act(x) * s;
        }
        total
    }
}

#[test]
fn qa5_generic_block_two_params_map_branch_view() {
    let net = Affine {
        w: Matrix2::new(0.5, -0.3, 0.8, 0.1),
        b: Vector2::new(0.2, -0.4),
        tag: 7.0f32,
    };
    let xs = vec![Vector2::new(0.7, -0.2), Vector2::new(-1.1, 0.5)];
    let f = |p: &[f64]| {
        let n = Affine {
            w: Matrix2::from_column_slice(&p[..4]),
            b: Vector2::new(p[4], p[5]),
            tag: 7.0f32,
        };
        n.batch(&xs, p[6])
    };
    let point: Vec<f64> = net
        .w
        .iter()
        .chain(net.b.iter())
        .copied()
        .chain([1.5])
        .collect();
    let (v, g) = net.batch_grad(&xs, 1.5);
    assert_eq!(v.to_bits(), f(&point).to_bits());
    let analytic: Vec<f64> = g
        .self_
        .w
        .iter()
        .chain(g.self_.b.iter())
        .copied()
        .chain([g.s])
        .collect();
    let fd = central_difference(f, &point);
    for (a, n) in analytic.iter().zip(&fd) {
        assert!(
            (a - n).abs() < 1e-6 * (1.0 + n.abs()),
            "{analytic:?} vs {fd:?}"
        );
    }
}

// ---- batch 3: Reload under the Hessian ----------------------------------------------------

#[differentiate(hessian)]
fn hess_reload(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let t = (a[i] * a[(i + 1) % n]).exp();
        e[i] = t;
    }
    let mut s = 0.0;
    for i in 0..n {
        s += e[i] * a[i];
    }
    s
}

#[test]
fn qa5_hvp_of_a_reloaded_loop() {
    let a = [0.4, -0.7, 0.3];
    for v in [[1.0, 0.0, 0.0], [0.3, 0.2, -0.5]] {
        let (value, _, hv) = hess_reload_hvp(&a, &HessReloadGrad { a: v.to_vec() });
        assert_eq!(value.to_bits(), hess_reload(&a).to_bits());
        let h = 1e-5;
        let plus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x + h * d).collect();
        let minus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x - h * d).collect();
        let (_, gp) = hess_reload_grad(&plus);
        let (_, gm) = hess_reload_grad(&minus);
        for i in 0..3 {
            let fd = (gp.a[i] - gm.a[i]) / (2.0 * h);
            assert!((hv.a[i] - fd).abs() < 1e-6, "{:?} vs {fd}", hv.a);
        }
    }
    slice!(
        hess_reload,
        hess_reload_grad,
        hess_reload_vjp,
        hess_reload_jvp,
        HessReloadGrad,
        a
    );
}

// ---- batch 4: comparators, products through zero, aliasing --------------------------------

#[differentiate]
fn product_through_zero(a: &[f64]) -> f64 {
    let p: f64 = a.iter().chain(a.iter().skip(2)).product();
    let q: f64 = a.iter().map(|v| v + 1.0).product();
    let r = a.iter().fold(1.0, |acc, v| acc * v);
    p + q + r
}

#[test]
fn qa5_products_with_an_exact_zero() {
    let a = [0.5, 0.0, -1.5, 2.0];
    let (v, g) = product_through_zero_grad(&a);
    assert_eq!(v.to_bits(), product_through_zero(&a).to_bits());
    assert!(g.a.iter().all(|x| x.is_finite()), "{:?}", g.a);
    // p = a0·a1·a2·a3·a2·a3 has ∂p/∂a1 = a0·a2²·a3² (the others 0); q = Π(aᵢ + 1) has
    // ∂q/∂aᵢ = q/(aᵢ + 1); r = a0·a1·a2·a3 has ∂r/∂a1 = a0·a2·a3.
    let q: f64 = a.iter().map(|v| v + 1.0).product();
    let expected = [
        q / 1.5,
        0.5 * 2.25 * 4.0 + q / 1.0 + 0.5 * -1.5 * 2.0,
        q / -0.5,
        q / 3.0,
    ];
    for i in 0..4 {
        assert!(
            (g.a[i] - expected[i]).abs() < 1e-12,
            "{:?} vs {expected:?}",
            g.a
        );
    }
    slice!(
        product_through_zero,
        product_through_zero_grad,
        product_through_zero_vjp,
        product_through_zero_jvp,
        ProductThroughZeroGrad,
        a
    );
}

#[differentiate]
fn zip_map_self(a: &DVector<f64>) -> f64 {
    let s = a.zip_map(a, |p, q| p * q.sin());
    let t = a.map(|v| v * 2.0);
    s.dot(&t.zip_map(&t, |p, q| p - q * q))
}

#[test]
fn qa5_zip_map_of_a_vector_with_itself() {
    dvec!(
        zip_map_self,
        zip_map_self_grad,
        zip_map_self_vjp,
        zip_map_self_jvp,
        ZipMapSelfGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn vec_moved_then_written(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let t = a[i].exp();
        e[i] = t;
    }
    let mut f = e;
    f[0] = a[1] * 4.0;
    let mut s = 0.0;
    for i in 0..n {
        s += f[i] * a[i];
    }
    s
}

#[test]
fn qa5_vec_moved_then_written() {
    slice!(
        vec_moved_then_written,
        vec_moved_then_written_grad,
        vec_moved_then_written_vjp,
        vec_moved_then_written_jvp,
        VecMovedThenWrittenGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn array_copied_then_written(a: &[f64]) -> f64 {
    let mut e = [0.0; 3];
    for i in 0..3 {
        let t = a[i].exp();
        e[i] = t;
    }
    let mut f = e;
    f[0] = a[1] * 4.0;
    f[0] * e[0] + f[1] * e[2] + f[2]
}

#[test]
fn qa5_array_copied_then_written() {
    slice!(
        array_copied_then_written,
        array_copied_then_written_grad,
        array_copied_then_written_vjp,
        array_copied_then_written_jvp,
        ArrayCopiedThenWrittenGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn take_then_chain(a: &[f64], b: &[f64]) -> f64 {
    let s: f64 = a
        .iter()
        .take(2)
        .chain(b.iter().skip(1))
        .map(|v| v * v)
        .sum();
    let t: f64 = a.iter().skip(9).sum();
    let mut u = 0.0;
    for (i, v) in b.iter().take(9).chain(a.iter().take(1)).enumerate() {
        u += v * (i as f64);
    }
    s + t + u
}

#[test]
fn qa5_take_then_chain() {
    probe!(p => take_then_chain, take_then_chain_grad, take_then_chain_vjp, [&p[..3], &p[3..]], [a, b], [0.3, -0.5, 1.1, 0.7, -0.2]);
}

#[differentiate]
fn view_at_data_index(a: &DVector<f64>) -> f64 {
    let mut k = 0;
    for i in 1..a.len() {
        if a[i] > a[k] {
            k = i;
        }
    }
    let start = k.min(a.len() - 2);
    let w = a.rows(start, 2);
    w.norm_squared() * a[0]
}

#[test]
fn qa5_view_at_a_data_dependent_index() {
    dvec!(
        view_at_data_index,
        view_at_data_index_grad,
        view_at_data_index_vjp,
        view_at_data_index_jvp,
        ViewAtDataIndexGrad,
        [0.3, -0.5, 1.1, 0.4]
    );
    dvec!(
        view_at_data_index,
        view_at_data_index_grad,
        view_at_data_index_vjp,
        view_at_data_index_jvp,
        ViewAtDataIndexGrad,
        [0.3, -0.5, 0.1, 1.4]
    );
}

// ---- batch 5: shadowed arrays after a stored loop, zips of unequal lengths -----------------

#[differentiate]
fn reversed_comparator(a: &[f64]) -> f64 {
    let lo = a
        .iter()
        .copied()
        .max_by(|x, y| y.partial_cmp(x).unwrap())
        .unwrap();
    lo * 3.0 + lo.sin()
}

#[test]
fn qa5_max_by_with_a_reversed_comparator_is_a_min() {
    slice!(
        reversed_comparator,
        reversed_comparator_grad,
        reversed_comparator_vjp,
        reversed_comparator_jvp,
        ReversedComparatorGrad,
        [0.3, -1.5, 1.1, 0.6]
    );
    let (_, g) = reversed_comparator_grad(&[0.3, -1.5, 1.1, 0.6]);
    assert_eq!(g.a, vec![0.0, 3.0 + (-1.5f64).cos(), 0.0, 0.0]);
}

#[differentiate]
fn shadowed_after_store(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let t = (a[i] * 1.3).exp();
        e[i] = t;
    }
    let s = e[0] * e[n - 1];
    let mut e = vec![0.0; n];
    for i in 0..n {
        e[i] = a[i] * 7.0;
    }
    s + e[1]
}

#[test]
fn qa5_array_shadowed_after_a_stored_loop() {
    slice!(
        shadowed_after_store,
        shadowed_after_store_grad,
        shadowed_after_store_vjp,
        shadowed_after_store_jvp,
        ShadowedAfterStoreGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn shadowed_in_block(a: &[f64]) -> f64 {
    let mut e = [0.0; 3];
    for i in 0..3 {
        let t = a[i].tanh();
        e[i] = t;
    }
    let r = {
        let mut e = [1.0; 3];
        e[1] = a[0] * 5.0;
        e[1] + e[2]
    };
    let mut s = r;
    for i in 0..3 {
        s += e[i] * e[i];
    }
    s
}

#[test]
fn qa5_array_shadowed_in_a_block() {
    slice!(
        shadowed_in_block,
        shadowed_in_block_grad,
        shadowed_in_block_vjp,
        shadowed_in_block_jvp,
        ShadowedInBlockGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_shadowed(a: &DVector<f64>) -> f64 {
    let z = a.map(|v| v.exp());
    let s = z.dot(a);
    let z = a.map(|v| v * 3.0);
    let z = z * 2.0 + a;
    s * z.sum()
}

#[test]
fn qa5_map_result_shadowed() {
    dvec!(
        map_shadowed,
        map_shadowed_grad,
        map_shadowed_vjp,
        map_shadowed_jvp,
        MapShadowedGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn stored_loop_twice(a: &[f64]) -> f64 {
    let n = a.len();
    let mut s = 0.0;
    for _round in 0..2 {
        let mut e = vec![0.0; n];
        for i in 0..n {
            let t = (a[i] + s).exp();
            e[i] = t;
        }
        s = e.iter().sum::<f64>() * 0.1;
    }
    s
}

#[test]
fn qa5_array_declared_inside_an_outer_loop() {
    slice!(
        stored_loop_twice,
        stored_loop_twice_grad,
        stored_loop_twice_vjp,
        stored_loop_twice_jvp,
        StoredLoopTwiceGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn unequal_zips(a: &[f64], b: &[f64]) -> f64 {
    let s: f64 = a.iter().skip(1).zip(b).map(|(p, q)| p * q.exp()).sum();
    let t: f64 = b.iter().zip(&a[2..]).map(|(p, q)| p - q * q).sum();
    let u: f64 = a.iter().zip(&a[9.min(a.len())..]).map(|(p, q)| p * q).sum();
    let mut w = 0.0;
    for (i, (p, q)) in a.iter().zip(b).enumerate() {
        w += p * q * a[i + 1];
    }
    let v: f64 = a[..a.len() - 1].windows(2).map(|x| x[0] * x[1].sin()).sum();
    s + t + u + w + v
}

#[test]
fn qa5_zips_of_unequal_lengths_and_offsets() {
    probe!(p => unequal_zips, unequal_zips_grad, unequal_zips_vjp, [&p[..5], &p[5..]], [a, b], [0.3, -0.5, 1.1, 0.7, -0.2, 0.4, 0.9]);
}

#[differentiate]
fn windows_runtime_width(a: &[f64], k: usize) -> f64 {
    let mut s = 0.0;
    for w in a.windows(k) {
        s += w[0] * w[k - 1] + w[k / 2];
    }
    s
}

#[test]
fn qa5_windows_of_a_runtime_width() {
    for k in [1, 2, 3, 5, 6] {
        probe!(p => windows_runtime_width, windows_runtime_width_grad, windows_runtime_width_vjp, [p, k], [a], [0.3, -0.5, 1.1, 0.7, -0.2]);
    }
}

// ---- batch 6: user names equal to the lowering's locals ------------------------------------

#[differentiate]
fn lowering_names(a: &DVector<f64>, row: usize, column: usize) -> f64 {
    let index = a[row];
    let mapped = a[column] * 2.0;
    let matrix = a[0] + 0.5;
    let zipped = index * mapped;
    let m = a.map(|v| v * index + mapped * a[row]);
    let z = a.zip_map(&m, |p, q| p * q * zipped + a[column]);
    let f = DVector::from_fn(a.len(), |i, j| a[i] * matrix + (row + j) as f64 + index);
    let g = DMatrix::from_fn(2, 2, |r, c| a[r + column] * a[c] + mapped);
    m.sum() + z.sum() + f.sum() + g.determinant() + zipped
}

#[test]
fn qa5_user_names_equal_to_the_map_lowering_locals() {
    for (row, column) in [(0, 1), (2, 0), (1, 1)] {
        probe!(p => lowering_names, lowering_names_grad, lowering_names_vjp, [&DVector::from_column_slice(p), row, column], [a], [0.3, -0.5, 1.1]);
    }
}

#[differentiate]
fn reduction_names(a: &[f64], start: usize) -> f64 {
    let acc = a[start];
    let count = a[0] * 3.0;
    let element = a[1];
    let step = 0.5;
    let index = start;
    let s: f64 = a
        .iter()
        .chain(a)
        .filter(|v| **v > acc)
        .enumerate()
        .map(|(i, v)| v * count + (i + index) as f64)
        .sum();
    let w: f64 = a.windows(2).map(|w| w[0] * element + w[1] * acc).sum();
    let z: f64 = a.iter().zip(&a[start..]).map(|(p, q)| p * q * step).sum();
    let m = a.iter().copied().max_by(|x, y| x.total_cmp(y)).unwrap() * acc;
    let r = a.iter().copied().reduce(|x, y| x * element + y).unwrap();
    s + w + z + m + r + count + element
}

#[test]
fn qa5_user_names_equal_to_the_reduction_locals() {
    for start in [0, 1, 2] {
        probe!(p => reduction_names, reduction_names_grad, reduction_names_vjp, [p, start], [a], [0.3, -0.5, 1.1, 0.7]);
    }
}

// ---- batch 7: Hessians of map closures, views and chains; generic methods ------------------

/// H·v against central differences of `f_grad` along v, for `fn f(a: &DVector<f64>) -> f64`.
macro_rules! hvp_dvec {
    ($f:ident, $g:ident, $h:ident, $G:ident, $x:expr, $v:expr) => {{
        let xs: Vec<f64> = $x.to_vec();
        let vs: Vec<f64> = $v.to_vec();
        let a = DVector::from_column_slice(&xs);
        let v = DVector::from_column_slice(&vs);
        let (value, g, hv) = $h(&a, &$G { a: v.clone() });
        assert_eq!(
            value.to_bits(),
            $f(&a).to_bits(),
            "{}: value",
            stringify!($f)
        );
        let (_, g0) = $g(&a);
        let step = 1e-5;
        let (_, gp) = $g(&(&a + &v * step));
        let (_, gm) = $g(&(&a - &v * step));
        for i in 0..a.len() {
            assert!(
                (g.a[i] - g0.a[i]).abs() < 1e-12,
                "{}: gradient",
                stringify!($f)
            );
            let fd = (gp.a[i] - gm.a[i]) / (2.0 * step);
            assert!(
                (hv.a[i] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                "{}: H·v {:?} vs {fd} at {i}",
                stringify!($f),
                hv.a
            );
        }
    }};
}

#[differentiate(hessian)]
fn hess_map_branch(a: &DVector<f64>) -> f64 {
    let s = a[0];
    let m = a.map(|v| if v > 0.0 { (v * s).exp() } else { v * v * s });
    m.dot(a)
}

#[test]
fn qa5_hvp_of_a_map_closure_with_a_branch() {
    hvp_dvec!(
        hess_map_branch,
        hess_map_branch_grad,
        hess_map_branch_hvp,
        HessMapBranchGrad,
        [0.3, -0.5, 1.1],
        [0.2, -0.7, 0.4]
    );
    hvp_dvec!(
        hess_map_branch,
        hess_map_branch_grad,
        hess_map_branch_hvp,
        HessMapBranchGrad,
        [-0.3, 0.5, 1.1],
        [1.0, 0.0, 0.0]
    );
}

#[differentiate(hessian)]
fn hess_views(a: &DVector<f64>) -> f64 {
    let p = a.rows(0, 2);
    let q = a.rows(1, 2);
    let r = a.fixed_rows::<2>(1);
    p.dot(&q) * r.norm() + p.norm_squared()
}

#[test]
fn qa5_hvp_of_overlapping_views() {
    hvp_dvec!(
        hess_views,
        hess_views_grad,
        hess_views_hvp,
        HessViewsGrad,
        [0.3, -0.5, 1.1],
        [0.2, -0.7, 0.4]
    );
}

#[differentiate(hessian)]
fn hess_zip_from_fn(a: &DVector<f64>) -> f64 {
    let n = a.len();
    let f = DVector::from_fn(n, |i, _| a[(i + 1) % n] * a[i]);
    let z = a.zip_map(&f, |p, q| (p - q).tanh());
    z.norm_squared()
}

#[test]
fn qa5_hvp_of_zip_map_and_from_fn() {
    hvp_dvec!(
        hess_zip_from_fn,
        hess_zip_from_fn_grad,
        hess_zip_from_fn_hvp,
        HessZipFromFnGrad,
        [0.3, -0.5, 1.1],
        [0.2, -0.7, 0.4]
    );
}

#[differentiate(hessian)]
fn hess_chain_max(a: &[f64]) -> f64 {
    let m = a
        .iter()
        .copied()
        .max_by(|x, y| x.partial_cmp(y).unwrap())
        .unwrap();
    let s: f64 = a
        .iter()
        .chain(a.iter().skip(1))
        .filter(|v| **v < m)
        .map(|v| v * v * m)
        .sum();
    let w: f64 = a.iter().zip(&a[1..]).map(|(p, q)| (p * q).sin()).sum();
    s + w + m * m
}

#[test]
fn qa5_hvp_of_chain_filter_max_and_zip() {
    let a = [0.4, -0.7, 1.3, 0.2];
    let v = [0.3, 0.2, -0.5, 0.1];
    let (value, _, hv) = hess_chain_max_hvp(&a, &HessChainMaxGrad { a: v.to_vec() });
    assert_eq!(value.to_bits(), hess_chain_max(&a).to_bits());
    let h = 1e-5;
    let plus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x + h * d).collect();
    let minus: Vec<f64> = a.iter().zip(&v).map(|(x, d)| x - h * d).collect();
    let (_, gp) = hess_chain_max_grad(&plus);
    let (_, gm) = hess_chain_max_grad(&minus);
    for i in 0..4 {
        let fd = (gp.a[i] - gm.a[i]) / (2.0 * h);
        assert!(
            (hv.a[i] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
            "{:?} vs {fd}",
            hv.a
        );
    }
    slice!(
        hess_chain_max,
        hess_chain_max_grad,
        hess_chain_max_vjp,
        hess_chain_max_jvp,
        HessChainMaxGrad,
        a
    );
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Smoother<T> {
    pub alpha: T,
}

#[differentiate]
impl<T: Float> Smoother<T> {
    /// Exponential smoothing over the series, then the squared differences of neighbours.
    #[differentiate]
    pub fn roughness(&self, xs: &[T]) -> T {
        let n = xs.len();
        let mut smooth = vec![T::zero(); n];
        let mut level = xs[0];
        for i in 0..n {
            level = self.alpha * xs[i] + (T::one() - self.alpha) * level;
            let e = level.exp();
            smooth[i] = e;
        }
        let mut r = T::zero();
        for w in smooth.windows(2) {
            r = r + (w[1] - w[0]).powi(2);
        }
        r + smooth
            .iter()
            .chain(xs)
            .copied()
            .fold(T::zero(), |a, b| a + b * b)
    }
}

#[test]
fn qa5_generic_method_with_a_stored_loop_windows_and_chain() {
    let s = Smoother { alpha: 0.35f64 };
    let xs = [0.3, -0.5, 1.1, 0.7];
    let f = |p: &[f64]| Smoother { alpha: p[0] }.roughness(&p[1..]);
    let point = [0.35, 0.3, -0.5, 1.1, 0.7];
    let (v, g) = s.roughness_grad(&xs);
    assert_eq!(v.to_bits(), f(&point).to_bits());
    let analytic: Vec<f64> = [g.self_.alpha].iter().chain(&g.xs).copied().collect();
    let fd = central_difference(f, &point);
    for (a, n) in analytic.iter().zip(&fd) {
        assert!(
            (a - n).abs() < 1e-6 * (1.0 + n.abs()),
            "{analytic:?} vs {fd:?}"
        );
    }
    let dir = direction(5);
    let (_, dy) = s.roughness_jvp(
        &xs,
        &SmootherRoughnessGrad {
            self_: Smoother { alpha: dir[0] },
            xs: dir[1..].to_vec(),
        },
    );
    assert_jvp("Smoother::roughness", dy, &analytic, &dir);
    let s32 = Smoother { alpha: 0.35f32 };
    let (v32, g32) = s32.roughness_grad(&[0.3f32, -0.5, 1.1, 0.7]);
    assert_eq!(
        v32.to_bits(),
        s32.roughness(&[0.3f32, -0.5, 1.1, 0.7]).to_bits()
    );
    assert!(
        (f64::from(g32.self_.alpha) - g.self_.alpha).abs() < 1e-3 * (1.0 + g.self_.alpha.abs())
    );
}

// ---- batch 8: Jacobians of map closures, views and zip_map outputs -------------------------

/// Checks every row of `f_jacobian` against central differences of one output component.
fn check_jacobian_rows(rows: &[Vec<f64>], point: &[f64], f: impl Fn(&[f64]) -> Vec<f64>) {
    let outputs = f(point).len();
    assert_eq!(rows.len(), outputs);
    for k in 0..outputs {
        let fd = central_difference(|p: &[f64]| f(p)[k], point);
        for (i, (a, n)) in rows[k].iter().zip(&fd).enumerate() {
            assert!(
                (a - n).abs() < 1e-6 * (1.0 + n.abs()),
                "row {k}, column {i}: {a} vs {n}"
            );
        }
    }
}

#[differentiate]
fn jac_map_view(a: &DVector<f64>) -> DVector<f64> {
    let s = a[0];
    let top = a.rows(0, 2).into_owned();
    let m = a.map(|v| if v > s { (v - s).exp() } else { v * s });
    let z = m.zip_map(a, |p, q| p * q);
    let mut out = z.clone();
    out[0] = top.dot(&a.rows(1, 2)) + out[2];
    out
}

#[test]
fn qa5_jacobian_of_map_zip_map_and_views() {
    let x = [0.3, -0.5, 1.1];
    let a = DVector::from_column_slice(&x);
    let (value, rows) = jac_map_view_jacobian(&a);
    assert_eq!(value, jac_map_view(&a));
    let rows: Vec<Vec<f64>> = rows.iter().map(|r| r.a.iter().copied().collect()).collect();
    check_jacobian_rows(&rows, &x, |p| {
        jac_map_view(&DVector::from_column_slice(p))
            .iter()
            .copied()
            .collect()
    });
}

#[differentiate]
fn jac_matrix_map(m: &Matrix2<f64>) -> Matrix2<f64> {
    let s = m.map(|v| v.sin());
    s * m + m.transpose().map(|v| v * v)
}

#[test]
fn qa5_jacobian_of_a_matrix_map_product() {
    let x = [0.3, -0.5, 1.1, 0.8];
    let m = Matrix2::from_column_slice(&x);
    let (value, rows) = jac_matrix_map_jacobian(&m);
    assert_eq!(value, jac_matrix_map(&m));
    let rows: Vec<Vec<f64>> = rows.iter().map(|r| r.m.iter().copied().collect()).collect();
    check_jacobian_rows(&rows, &x, |p| {
        jac_matrix_map(&Matrix2::from_column_slice(p))
            .iter()
            .copied()
            .collect()
    });
}

#[differentiate]
fn jac_chain_sums(a: &[f64]) -> [f64; 3] {
    let s: f64 = a.iter().chain(a.iter().skip(1)).map(|v| v * v).sum();
    let w: f64 = a.windows(2).map(|w| w[0] * w[1]).sum();
    let m = a
        .iter()
        .copied()
        .max_by(|x, y| x.partial_cmp(y).unwrap())
        .unwrap();
    let mut out = [0.0; 3];
    out[0] = s;
    out[1] = w * s;
    out[2] = m + out[1];
    out
}

#[test]
fn qa5_jacobian_of_chain_windows_max() {
    let x = [0.3, -0.5, 1.1, 0.7];
    let (value, rows) = jac_chain_sums_jacobian(&x);
    assert_eq!(value, jac_chain_sums(&x));
    let rows: Vec<Vec<f64>> = rows.iter().map(|r| r.a.clone()).collect();
    check_jacobian_rows(&rows, &x, |p| jac_chain_sums(p).to_vec());
}

#[differentiate]
fn jac_stored_loop(a: &[f64]) -> Vec<f64> {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let t = (a[i] * a[(i + 1) % n]).exp();
        e[i] = t;
    }
    let mut out = vec![0.0; n];
    for i in 0..n {
        out[i] = e[i] * a[i] + e[(i + 1) % n];
    }
    out
}

#[test]
fn qa5_jacobian_of_a_reloaded_loop() {
    let x = [0.3, -0.5, 1.1];
    let (value, rows) = jac_stored_loop_jacobian(&x);
    assert_eq!(value, jac_stored_loop(&x));
    let rows: Vec<Vec<f64>> = rows.iter().map(|r| r.a.clone()).collect();
    check_jacobian_rows(&rows, &x, |p| jac_stored_loop(p));
}

// ---- batch 9: early exits from loops over chains, FnMut captures ----------------------------

#[differentiate]
fn chain_return(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in a.iter().chain(b) {
        if x > 1.0 {
            return s * x;
        }
        s += x * x + s * 0.1;
    }
    s
}

#[test]
fn qa5_return_from_either_part_of_a_chain() {
    for point in [
        [0.3, 1.5, -0.2, 0.4, 0.6],
        [0.3, -0.5, -0.2, 1.4, 0.6],
        [0.3, -0.5, -0.2, 0.4, 0.6],
    ] {
        probe!(p => chain_return, chain_return_grad, chain_return_vjp, [&p[..2], &p[2..]], [a, b], point);
    }
}

#[differentiate]
fn chain_break_second_part(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut last = 0.0;
    for &x in a.iter().chain(b.iter().skip(1)) {
        last = x;
        if s > 1.0 {
            break;
        }
        s += x.exp() * 0.3;
    }
    s * last
}

#[test]
fn qa5_break_in_the_second_part_of_a_chain() {
    for point in [
        [0.3, 0.2, 0.1, 0.4, 0.6, 0.9],
        [0.3, 0.2, 0.1, -3.4, -3.6, -2.9],
        [2.3, 0.2, 0.1, 0.4, 0.6, 0.9],
    ] {
        probe!(p => chain_break_second_part, chain_break_second_part_grad, chain_break_second_part_vjp, [&p[..2], &p[2..]], [a, b], point);
    }
}

#[differentiate]
fn fnmut_capture(a: &DVector<f64>) -> f64 {
    let mut c = 0.0;
    let m = a.map(|v| {
        c += v;
        c * v
    });
    m.sum() + c * c
}

#[test]
fn qa5_map_closure_mutating_a_capture() {
    dvec!(
        fnmut_capture,
        fnmut_capture_grad,
        fnmut_capture_vjp,
        fnmut_capture_jvp,
        FnmutCaptureGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn fnmut_zip_from_fn(a: &DVector<f64>) -> f64 {
    let mut k = 1.0;
    let z = a.zip_map(a, |p, q| {
        k = k * 0.5 + p;
        k * q
    });
    let mut r = 0.0;
    let f = DVector::from_fn(a.len(), |i, _| {
        r += a[i];
        r * r
    });
    z.sum() + f.sum() * k + r
}

#[test]
fn qa5_zip_map_and_from_fn_mutating_captures() {
    dvec!(
        fnmut_zip_from_fn,
        fnmut_zip_from_fn_grad,
        fnmut_zip_from_fn_vjp,
        fnmut_zip_from_fn_jvp,
        FnmutZipFromFnGrad,
        [0.3, -0.5, 1.1]
    );
}

// ---- batch 10: full Hessians and Jacobians with repeated / constant outputs -----------------

#[differentiate(hessian)]
fn hess_full(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let t = (a[i] * a[(i + 1) % n]).sin();
        e[i] = t;
    }
    let s: f64 = e.iter().chain(a).map(|v| v * v).sum();
    let w: f64 = e.windows(2).map(|w| w[0] * w[1]).sum();
    s * w + a.iter().copied().fold(0.0, |acc, v| acc + v.exp())
}

#[test]
fn qa5_full_hessian_rows_against_differences_of_the_gradient() {
    let a = [0.4, -0.7, 1.3];
    let (value, grad, rows) = hess_full_hessian(&a);
    assert_eq!(value.to_bits(), hess_full(&a).to_bits());
    let (_, g0) = hess_full_grad(&a);
    assert_eq!(rows.len(), 3);
    for i in 0..3 {
        assert!((grad.a[i] - g0.a[i]).abs() < 1e-12);
        let h = 1e-5;
        let mut plus = a;
        plus[i] += h;
        let mut minus = a;
        minus[i] -= h;
        let (_, gp) = hess_full_grad(&plus);
        let (_, gm) = hess_full_grad(&minus);
        for j in 0..3 {
            let fd = (gp.a[j] - gm.a[j]) / (2.0 * h);
            assert!(
                (rows[i].a[j] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                "H[{i}][{j}] = {} vs {fd}",
                rows[i].a[j]
            );
        }
    }
}

#[differentiate]
fn jac_repeated(x: f64, y: f64) -> [f64; 4] {
    let p = x * y;
    let out = [x, p, 2.0, x];
    out
}

#[test]
fn qa5_jacobian_with_repeated_and_constant_outputs() {
    let (value, rows) = jac_repeated_jacobian(0.4, -0.7);
    assert_eq!(value, jac_repeated(0.4, -0.7));
    let expected = [[1.0, 0.0], [-0.7, 0.4], [0.0, 0.0], [1.0, 0.0]];
    for k in 0..4 {
        assert_eq!([rows[k].x, rows[k].y], expected[k], "row {k}");
    }
}

// ---- batch 11: reads of slots the same loop writes later --------------------------------

#[differentiate]
fn reads_ahead(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n + 1];
    for i in 0..n {
        let ahead = e[i + 1] + 0.5;
        let t = (ahead * a[i]).exp();
        e[i] = t;
    }
    let mut s = 0.0;
    for i in 0..n {
        s += e[i] * e[i + 1];
    }
    s + e[0]
}

#[test]
fn qa5_a_loop_reads_the_slot_it_writes_next() {
    slice!(
        reads_ahead,
        reads_ahead_grad,
        reads_ahead_vjp,
        reads_ahead_jvp,
        ReadsAheadGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn reads_ahead_nested(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let mut inner = 0.0;
        for j in 0..n {
            inner += (e[j] * a[i] + j as f64 * 0.1).sin();
        }
        let t = (inner * 0.5 + a[i]).exp();
        e[i] = t;
    }
    e.iter().map(|v| v * v).sum::<f64>()
}

#[test]
fn qa5_a_nested_loop_reads_every_slot_while_the_outer_loop_fills_them() {
    slice!(
        reads_ahead_nested,
        reads_ahead_nested_grad,
        reads_ahead_nested_vjp,
        reads_ahead_nested_jvp,
        ReadsAheadNestedGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn reads_ahead_rev(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.0; n];
    for i in (0..n).rev() {
        let before = if i > 0 { e[i - 1] } else { 1.0 };
        let t = (before + a[i]).tanh();
        e[i] = t;
    }
    e[0] * e[n - 1] + e[1]
}

#[test]
fn qa5_a_reversed_loop_reads_the_slot_below() {
    slice!(
        reads_ahead_rev,
        reads_ahead_rev_grad,
        reads_ahead_rev_vjp,
        reads_ahead_rev_jvp,
        ReadsAheadRevGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn map_reads_later(a: &DVector<f64>) -> f64 {
    let n = a.len();
    let mut e = DVector::<f64>::zeros(n);
    for i in 0..n {
        let t = (e[(i + 1) % n] + a[i]).exp();
        e[i] = t;
    }
    let m = e.map(|v| v.ln() * v);
    m.sum() + e.sum()
}

#[test]
fn qa5_a_dvector_filled_in_a_loop_reading_the_next_slot() {
    dvec!(
        map_reads_later,
        map_reads_later_grad,
        map_reads_later_vjp,
        map_reads_later_jvp,
        MapReadsLaterGrad,
        [0.3, -0.5, 1.1]
    );
}

// ---- batch 12: fixed-size constructors in loops, generic and f32 forward mode -------------

#[differentiate]
fn rotate_in_loop(x: f64, y: f64) -> f64 {
    let mut v = Vector3::new(x, y, x * y);
    for k in 0..4 {
        let w = Vector3::new(v[1], v[2], v[0] * x + k as f64 * 0.1);
        v = w.cross(&Vector3::new(0.2, y, 1.0)) + w;
    }
    v.norm() + v[2]
}

#[test]
fn qa5_vector3_new_in_a_loop() {
    probe!(p => rotate_in_loop, rotate_in_loop_grad, rotate_in_loop_vjp, [p[0], p[1]], [x, y], [0.3, -0.5]);
    let (_, g) = rotate_in_loop_grad(0.3, -0.5);
    let (_, dy) = rotate_in_loop_jvp(0.3, -0.5, &RotateInLoopGrad { x: 0.7, y: -0.2 });
    assert_jvp("rotate_in_loop", dy, &[g.x, g.y], &[0.7, -0.2]);
}

#[differentiate]
fn generic_constructors<T: RealField + Copy>(x: T, y: T) -> T {
    let a = Vector3::new(x, y * y, x * y);
    let b = Vector2::new(a.dot(&a), x.sin());
    let m = Matrix2::new(x, y, b[0], b[1]);
    m.determinant() + a.map(|v| v.exp()).sum() + b.norm()
}

#[test]
fn qa5_generic_fixed_size_constructors() {
    probe!(p => generic_constructors, generic_constructors_grad, generic_constructors_vjp, [p[0], p[1]], [x, y], [0.3, -0.5]);
    let (v32, g32) = generic_constructors_grad(0.3f32, -0.5f32);
    assert_eq!(
        v32.to_bits(),
        generic_constructors(0.3f32, -0.5f32).to_bits()
    );
    let (_, g) = generic_constructors_grad(0.3f64, -0.5f64);
    assert!((f64::from(g32.x) - g.x).abs() < 1e-4 * (1.0 + g.x.abs()));
    assert!((f64::from(g32.y) - g.y).abs() < 1e-4 * (1.0 + g.y.abs()));
    let (_, dy) = generic_constructors_jvp(0.3, -0.5, &GenericConstructorsGrad { x: 0.7, y: -0.2 });
    assert_jvp("generic_constructors", dy, &[g.x, g.y], &[0.7, -0.2]);
}

#[differentiate]
fn views_f32(m: &DMatrix<f32>) -> f32 {
    let top = m.rows(0, 2);
    let col = m.fixed_columns::<1>(1);
    let b = m.view((1, 1), (2, 2));
    top.norm() * col.sum() + b.determinant() + m.map(|v| v.tanh()).sum()
}

#[test]
fn qa5_views_and_map_in_f32_both_modes() {
    let x: Vec<f32> = (0..9).map(|i| ((i * 4 % 7) as f32 - 3.0) * 0.3).collect();
    let m = DMatrix::from_column_slice(3, 3, &x);
    let (v, g) = views_f32_grad(&m);
    assert_eq!(v.to_bits(), views_f32(&m).to_bits());
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let f = |p: &[f64]| {
        let p: Vec<f32> = p.iter().map(|&v| v as f32).collect();
        f64::from(views_f32(&DMatrix::from_column_slice(3, 3, &p)))
    };
    // Central differences in f32 arithmetic: a loose tolerance.
    let h = 1e-2;
    for i in 0..9 {
        let mut plus = x64.clone();
        plus[i] += h;
        let mut minus = x64.clone();
        minus[i] -= h;
        let fd = (f(&plus) - f(&minus)) / (2.0 * h);
        assert!(
            (f64::from(g.m[i]) - fd).abs() < 2e-2 * (1.0 + fd.abs()),
            "{i}: {} vs {fd}",
            g.m[i]
        );
    }
    let dir: Vec<f32> = direction(9).iter().map(|&v| v as f32).collect();
    let (_, dy) = views_f32_jvp(
        &m,
        &ViewsF32Grad {
            m: DMatrix::from_column_slice(3, 3, &dir),
        },
    );
    let e: f32 = g.m.iter().zip(&dir).map(|(a, b)| a * b).sum();
    assert!((dy - e).abs() < 1e-4 * (1.0 + e.abs()), "{dy} vs {e}");
}

// ---- batch 13: map closures calling reductions of the captured matrix ---------------------

#[differentiate]
fn map_normalizes(a: &DVector<f64>) -> f64 {
    let n = a.len();
    let m = a.map(|v| v / a.norm() + a.sum() * v);
    let k = a.map(|v| {
        let (p, q) = (v * 2.0, v.exp());
        let j = ((v.abs() * 10.0) as usize) % n;
        p * q + a[j]
    });
    m.dot(&k)
}

#[test]
fn qa5_map_closure_reduces_the_captured_vector() {
    dvec!(
        map_normalizes,
        map_normalizes_grad,
        map_normalizes_vjp,
        map_normalizes_jvp,
        MapNormalizesGrad,
        [0.33, -0.52, 1.14]
    );
}

#[differentiate]
fn from_fn_transpose(m: &DMatrix<f64>) -> f64 {
    let (r, c) = m.shape();
    let t = DMatrix::from_fn(c, r, |i, j| m[(j, i)] * (i + 2 * j) as f64);
    let s = DMatrix::from_fn(r, r, |i, j| if i == j { m[(i, 0)].exp() } else { 0.0 });
    (&t * &s).norm_squared() + (m - t.transpose()).sum()
}

#[test]
fn qa5_from_fn_transpose_and_diagonal() {
    let x: Vec<f64> = (0..6).map(|i| ((i * 4 % 7) as f64 - 3.0) * 0.3).collect();
    probe!(p => from_fn_transpose, from_fn_transpose_grad, from_fn_transpose_vjp, [&DMatrix::from_column_slice(3, 2, p)], [m], x);
}

// ---- batch 14: a type parameter named `Scalar` (the name the generated impls use) ----------

#[differentiate]
fn scalar_named<Scalar: Float>(x: Scalar, a: &[Scalar]) -> Scalar {
    let s = a
        .iter()
        .chain(a)
        .fold(Scalar::zero(), |acc, v| acc + *v * x);
    s * x.sin()
}

#[differentiate]
fn scalar_named_rf<Scalar: RealField + Copy>(a: &DVector<Scalar>) -> Scalar {
    a.map(|v| v.exp())
        .rows(0, 2)
        .dot(&a.rows(1, 2).into_owned().map(|v| v * v))
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Holder<Scalar> {
    pub w: Scalar,
}

#[differentiate]
impl<Scalar: Float> Holder<Scalar> {
    #[differentiate]
    pub fn apply(&self, x: Scalar) -> Scalar {
        self.w * x.exp()
    }
}

#[test]
fn qa5_type_parameter_named_scalar() {
    probe!(p => scalar_named, scalar_named_grad, scalar_named_vjp, [p[0], &p[1..]], [x, a], [0.7, 0.3, -0.5, 1.1]);
    dvec!(
        scalar_named_rf,
        scalar_named_rf_grad,
        scalar_named_rf_vjp,
        scalar_named_rf_jvp,
        ScalarNamedRfGrad,
        [0.3, -0.5, 1.1]
    );
    let h = Holder { w: 2.0f64 };
    let (v, g) = h.apply_grad(0.5);
    assert_eq!(v.to_bits(), h.apply(0.5).to_bits());
    assert!((g.x - 2.0 * 0.5f64.exp()).abs() < 1e-12);
    assert!((g.self_.w - 0.5f64.exp()).abs() < 1e-12);
}

// ---- batch 15: collected differences in a loop that reassigns the vector ------------------

#[differentiate]
fn repeated_differences(x: &[f64]) -> f64 {
    let v0: Vec<f64> = x.iter().map(|t| t.sin()).collect();
    let v1: Vec<f64> = v0
        .iter()
        .zip(v0.iter().skip(1))
        .map(|(p, q)| q * q - p)
        .collect();
    let v: Vec<f64> = v1.iter().zip(&v1[1..]).map(|(p, q)| q * q - p).collect();
    let w: Vec<f64> = v
        .iter()
        .chain(x.iter().step_by(2))
        .map(|t| t * 2.0)
        .collect();
    w.windows(2).map(|p| p[0] * p[1]).sum::<f64>() + v.len() as f64
}

#[test]
fn qa5_collected_differences_of_collected_vectors() {
    slice_probe_only(&[0.3, -0.5, 1.1, 0.7, 0.2]);
}

fn slice_probe_only(x: &[f64]) {
    probe!(p => repeated_differences, repeated_differences_grad, repeated_differences_vjp, [p], [x], x);
    let dir = direction(x.len());
    let (value, dy) = repeated_differences_jvp(x, &RepeatedDifferencesGrad { x: dir.clone() });
    assert_eq!(value.to_bits(), repeated_differences(x).to_bits());
    let (_, g) = repeated_differences_grad(x);
    assert_jvp("repeated_differences", dy, &g.x, &dir);
}

// ---- batch 16: tuple custom rules inside map closures and generic callers ------------------

#[differentiate]
fn split_in_map(a: &DVector<f64>) -> f64 {
    let y = a[1];
    let m = a.map(|v| {
        let (p, q) = split_pair(v, y);
        p * q
    });
    let z = a.zip_map(&m, |u, w| split_pair(u, w).1);
    m.sum() + z.norm_squared()
}

#[test]
fn qa5_tuple_custom_vjp_inside_map_closures() {
    dvec!(
        split_in_map,
        split_in_map_grad,
        split_in_map_vjp,
        split_in_map_jvp,
        SplitInMapGrad,
        [0.3, -0.5, 1.1]
    );
}

#[differentiate]
fn argmax_in_chain(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, &x) in a.iter().chain(b).enumerate() {
        let (k, v) = argmax_value(b);
        s += x * v * (k + i) as f64;
    }
    s
}

#[test]
fn qa5_index_valued_custom_vjp_in_a_loop_over_a_chain() {
    probe!(p => argmax_in_chain, argmax_in_chain_grad, argmax_in_chain_vjp, [&p[..2], &p[2..]], [a, b], [0.3, -0.5, 1.1, 0.4, -0.2]);
    let (a, b) = ([0.3, -0.5], [1.1, 0.4, -0.2]);
    let (_, g) = argmax_in_chain_grad(&a, &b);
    let dir = direction(5);
    let (value, dy) = argmax_in_chain_jvp(
        &a,
        &b,
        &ArgmaxInChainGrad {
            a: dir[..2].to_vec(),
            b: dir[2..].to_vec(),
        },
    );
    assert_eq!(value.to_bits(), argmax_in_chain(&a, &b).to_bits());
    let analytic: Vec<f64> = g.a.iter().chain(&g.b).copied().collect();
    assert_jvp("argmax_in_chain", dy, &analytic, &dir);
}

// ---- batch 17: Hessians of fixed-size constructors and views in loops ----------------------

#[differentiate(hessian)]
fn hess_vec3c(x: f64, y: f64) -> f64 {
    let a = Vector3::new(x, y * y, x * y);
    let b = Vector3::new(y, 1.0, x.sin());
    a.cross(&b).norm_squared() + a.map(|v| v.exp()).sum()
}

#[differentiate(hessian)]
fn hess_view_loopc(a: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() - 1 {
        let w = a.rows(i, 2);
        s += w.norm_squared() * w.sum();
    }
    s
}

#[test]
fn qa5_hessians_of_vector3_constructors_and_sliding_views() {
    let (v, grad, rows) = hess_vec3c_hessian(0.3, -0.5);
    assert_eq!(v, hess_vec3c(0.3, -0.5));
    let (_, g0) = hess_vec3c_grad(0.3, -0.5);
    assert!((grad.x - g0.x).abs() < 1e-12 && (grad.y - g0.y).abs() < 1e-12);
    let h = 1e-5;
    for (i, (dx, dy)) in [(h, 0.0), (0.0, h)].into_iter().enumerate() {
        let (_, gp) = hess_vec3c_grad(0.3 + dx, -0.5 + dy);
        let (_, gm) = hess_vec3c_grad(0.3 - dx, -0.5 - dy);
        let fd = [(gp.x - gm.x) / (2.0 * h), (gp.y - gm.y) / (2.0 * h)];
        assert!(
            (rows[i].x - fd[0]).abs() < 1e-5 && (rows[i].y - fd[1]).abs() < 1e-5,
            "{i}: {:?} vs {fd:?}",
            (rows[i].x, rows[i].y)
        );
    }
    let a = DVector::from_vec(vec![0.3, -0.5, 1.1]);
    let (v, _, rows) = hess_view_loopc_hessian(&a);
    assert_eq!(v, hess_view_loopc(&a));
    for i in 0..3 {
        let mut p = a.clone();
        p[i] += h;
        let mut m = a.clone();
        m[i] -= h;
        let (_, gp) = hess_view_loopc_grad(&p);
        let (_, gm) = hess_view_loopc_grad(&m);
        for j in 0..3 {
            let fd = (gp.a[j] - gm.a[j]) / (2.0 * h);
            assert!(
                (rows[i].a[j] - fd).abs() < 1e-5,
                "H[{i}][{j}] {} vs {fd}",
                rows[i].a[j]
            );
        }
    }
}

// ---- batch 18: straight-line Jacobians with matrix parameters (one shared forward sweep) -------

#[differentiate]
fn jac_straight_matrix(w: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    let z = w * x;
    let top = w.rows(0, 1);
    let s = top.sum() + w.norm();
    z.component_mul(&z) + x * s
}

#[test]
fn qa5_straight_line_jacobian_with_matrix_parameters() {
    let wx: Vec<f64> = (0..4).map(|i| ((i * 3 % 5) as f64 - 2.0) * 0.4).collect();
    let xx = [0.7, -0.3];
    let w = DMatrix::from_column_slice(2, 2, &wx);
    let x = DVector::from_column_slice(&xx);
    let (value, rows) = jac_straight_matrix_jacobian(&w, &x);
    assert_eq!(value, jac_straight_matrix(&w, &x));
    let rows: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.w.iter().chain(r.x.iter()).copied().collect())
        .collect();
    let point: Vec<f64> = wx.iter().chain(&xx).copied().collect();
    check_jacobian_rows(&rows, &point, |p| {
        jac_straight_matrix(
            &DMatrix::from_column_slice(2, 2, &p[..4]),
            &DVector::from_column_slice(&p[4..]),
        )
        .iter()
        .copied()
        .collect()
    });
}

#[differentiate]
fn jac_straight_scalars(x: f64, y: f64, z: f64) -> Vector3<f64> {
    let r = (x * x + y * y + z * z).sqrt();
    let t = (z / r).acos();
    let p = y.atan2(x);
    Vector3::new(r, t * r, p - t)
}

#[test]
fn qa5_straight_line_jacobian_of_spherical_coordinates() {
    let point = [0.4, -0.7, 0.5];
    let (value, rows) = jac_straight_scalars_jacobian(0.4, -0.7, 0.5);
    assert_eq!(value, jac_straight_scalars(0.4, -0.7, 0.5));
    let rows: Vec<Vec<f64>> = rows.iter().map(|r| vec![r.x, r.y, r.z]).collect();
    check_jacobian_rows(&rows, &point, |p| {
        jac_straight_scalars(p[0], p[1], p[2])
            .iter()
            .copied()
            .collect()
    });
}

// ---- batch 19: loops inside map closures ------------------------------------------------------

#[differentiate]
fn loops_in_map(a: &DVector<f64>) -> f64 {
    let m = a.map(|v| {
        let mut s = v;
        for _ in 0..3 {
            s = s.sin() + v;
        }
        let mut k = 0;
        while s < 2.0 && k < 5 {
            s = s * 1.5 + 0.1;
            k += 1;
        }
        s
    });
    let z = a.zip_map(&m, |p, q| {
        let mut t = 0.0;
        for i in 0..4 {
            if t > 1.0 {
                break;
            }
            t += p * q * i as f64;
        }
        t
    });
    m.sum() + z.sum()
}

#[test]
fn qa5_loops_with_break_and_while_inside_map_closures() {
    dvec!(
        loops_in_map,
        loops_in_map_grad,
        loops_in_map_vjp,
        loops_in_map_jvp,
        LoopsInMapGrad,
        [0.3, -0.5, 1.1]
    );
    dvec!(
        loops_in_map,
        loops_in_map_grad,
        loops_in_map_vjp,
        loops_in_map_jvp,
        LoopsInMapGrad,
        [0.13, 0.25, -0.4]
    );
}

// ---- batch 20: index semantics of enumerate around filter / skip / step_by / chain ------------

#[differentiate]
fn enumerate_orders(a: &[f64], b: &[f64]) -> f64 {
    let s1: f64 = a
        .iter()
        .skip(1)
        .step_by(2)
        .enumerate()
        .map(|(i, v)| v * (i as f64 + 1.0))
        .sum();
    let s2: f64 = a
        .iter()
        .enumerate()
        .skip(1)
        .step_by(2)
        .map(|(i, v)| v * (i as f64 + 1.0))
        .sum();
    let s3: f64 = a
        .iter()
        .filter(|v| **v > -0.6)
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(i, v)| v * v * (i as f64 + 0.5))
        .sum();
    let s4: f64 = a
        .iter()
        .enumerate()
        .chain(b.iter().enumerate())
        .map(|(i, v)| v.sin() * (i as f64 + 1.0))
        .sum();
    let s5: f64 = a
        .iter()
        .zip(b)
        .filter(|(p, q)| p > q)
        .map(|(p, q)| p * q)
        .sum();
    let c = a.iter().filter(|p| **p < 0.5).count() as f64;
    s1 + 2.0 * s2 + 3.0 * s3 + 5.0 * s4 + 7.0 * s5 * c
}

#[test]
fn qa5_enumerate_before_and_after_filter_skip_step_chain() {
    probe!(p => enumerate_orders, enumerate_orders_grad, enumerate_orders_vjp, [&p[..5], &p[5..]], [a, b], [0.3, -0.5, 1.1, 0.7, -0.9, 0.2, 0.4, -1.3]);
}

// ---- batch 21: tuple custom rules with a Vec element, elements ignored ----------------------

#[tapeless::custom_vjp(scaled_vec_rule)]
fn scaled_vec(a: &[f64], s: f64) -> (Vec<f64>, f64) {
    let v: Vec<f64> = a.iter().map(|x| x * s).collect();
    let n = a.iter().map(|x| x * x).sum::<f64>();
    (v, n)
}

fn scaled_vec_rule(a: &[f64], s: f64, seed: (Vec<f64>, f64)) -> (Vec<f64>, f64) {
    let (dv, dn) = seed;
    let da: Vec<f64> = a
        .iter()
        .zip(&dv)
        .map(|(x, d)| d * s + 2.0 * x * dn)
        .collect();
    let ds: f64 = a.iter().zip(&dv).map(|(x, d)| d * x).sum();
    (da, ds)
}

#[differentiate]
fn uses_scaled_vec(a: &[f64], s: f64) -> f64 {
    let (v, n) = scaled_vec(a, s);
    let (_, m) = scaled_vec(&v, n);
    let (w, _) = scaled_vec(a, m);
    v[0] * w[1] + n * m
}

#[test]
fn qa5_tuple_custom_vjp_with_a_vec_element_and_ignored_elements() {
    probe!(p => uses_scaled_vec, uses_scaled_vec_grad, uses_scaled_vec_vjp, [&p[..3], p[3]], [a, s], [0.3, -0.5, 1.1, 0.7]);
    let (a, s) = ([0.3, -0.5, 1.1], 0.7);
    let (_, g) = uses_scaled_vec_grad(&a, s);
    let dir = direction(4);
    let (value, dy) = uses_scaled_vec_jvp(
        &a,
        s,
        &UsesScaledVecGrad {
            a: dir[..3].to_vec(),
            s: dir[3],
        },
    );
    assert_eq!(value.to_bits(), uses_scaled_vec(&a, s).to_bits());
    let analytic: Vec<f64> = g.a.iter().copied().chain([g.s]).collect();
    assert_jvp("uses_scaled_vec", dy, &analytic, &dir);
}

// ---- batch 23: `.map` of a Rust array (not nalgebra) --------------------------------------

#[differentiate]
fn array_map(a: [f64; 3], y: f64) -> f64 {
    let b = a.map(|v| if v > 0.0 { (v * y).exp() } else { v * y });
    let c = b.map(|v| v * v);
    b[0] + b[1] * b[2] + c.iter().sum::<f64>()
}

#[test]
fn qa5_map_of_a_rust_array() {
    probe!(p => array_map, array_map_grad, array_map_vjp, [[p[0], p[1], p[2]], p[3]], [a, y], [0.3, -0.5, 1.1, 0.7]);
    let (_, g) = array_map_grad([0.3, -0.5, 1.1], 0.7);
    let dir = direction(4);
    let (value, dy) = array_map_jvp(
        [0.3, -0.5, 1.1],
        0.7,
        &ArrayMapGrad {
            a: [dir[0], dir[1], dir[2]],
            y: dir[3],
        },
    );
    assert_eq!(value.to_bits(), array_map([0.3, -0.5, 1.1], 0.7).to_bits());
    assert_jvp("array_map", dy, &[g.a[0], g.a[1], g.a[2], g.y], &dir);
}

// ---- batch 24: map closures and views on struct fields and call results ------------------

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Net {
    pub w: DMatrix<f64>,
    pub b: DVector<f64>,
}

#[differentiate]
fn layer_out(p: &Net, x: &DVector<f64>) -> DVector<f64> {
    &p.w * x + &p.b
}

#[differentiate]
fn net_loss(p: &Net, x: &DVector<f64>) -> f64 {
    let act = p.w.map(|v| v.tanh());
    let head = p.b.rows(0, 2);
    let z = layer_out(p, x).map(|v| v.max(0.0) + 0.1 * v);
    (act * x).dot(&z) + head.norm_squared() + p.w.column(1).sum()
}

#[test]
fn qa5_map_and_views_of_struct_fields_and_call_results() {
    let wx: Vec<f64> = (0..6).map(|i| ((i * 3 % 7) as f64 - 3.0) * 0.3).collect();
    let bx = [0.2, -0.4, 0.1];
    let x = DVector::from_vec(vec![0.7, -0.9]);
    let point: Vec<f64> = wx.iter().chain(&bx).copied().collect();
    let make = |p: &[f64]| Net {
        w: DMatrix::from_column_slice(3, 2, &p[..6]),
        b: DVector::from_column_slice(&p[6..]),
    };
    let f = |p: &[f64]| net_loss(&make(p), &x);
    let (v, g) = net_loss_grad(&make(&point), &x);
    assert_eq!(v.to_bits(), f(&point).to_bits());
    let analytic: Vec<f64> = g.p.w.iter().chain(g.p.b.iter()).copied().collect();
    let fd = central_difference(f, &point);
    for (a, n) in analytic.iter().zip(&fd) {
        assert!(
            (a - n).abs() < 1e-6 * (1.0 + n.abs()),
            "{analytic:?} vs {fd:?}"
        );
    }
}

// ---- batch 25: vector outputs: f_vjp with a seed vector and f_jvp's tangent vector ----------

#[test]
fn qa5_vector_output_vjp_and_jvp_of_map_and_views() {
    let x = [0.3, -0.5, 1.1];
    let a = DVector::from_column_slice(&x);
    let (value, rows) = jac_map_view_jacobian(&a);
    let seed = DVector::from_vec(vec![0.5, -1.5, 2.0]);
    let (v, g) = jac_map_view_vjp(&a, seed.clone());
    assert_eq!(v, value);
    for i in 0..3 {
        let e: f64 = (0..3).map(|k| seed[k] * rows[k].a[i]).sum();
        assert!(
            (g.a[i] - e).abs() < 1e-12 * (1.0 + e.abs()),
            "vjp {i}: {} vs {e}",
            g.a[i]
        );
    }
    let dir = DVector::from_column_slice(&direction(3));
    let (v, t) = jac_map_view_jvp(&a, &JacMapViewGrad { a: dir.clone() });
    assert_eq!(v, value);
    for k in 0..3 {
        let e = rows[k].a.dot(&dir);
        assert!(
            (t[k] - e).abs() < 1e-12 * (1.0 + e.abs()),
            "jvp {k}: {} vs {e}",
            t[k]
        );
    }
}

#[test]
fn qa5_vector_output_vjp_and_jvp_of_a_reloaded_loop() {
    let x = [0.3, -0.5, 1.1];
    let (value, rows) = jac_stored_loop_jacobian(&x);
    let seed = vec![0.5, -1.5, 2.0];
    let (v, g) = jac_stored_loop_vjp(&x, seed.clone());
    assert_eq!(v, value);
    for i in 0..3 {
        let e: f64 = (0..3).map(|k| seed[k] * rows[k].a[i]).sum();
        assert!(
            (g.a[i] - e).abs() < 1e-12 * (1.0 + e.abs()),
            "vjp {i}: {} vs {e}",
            g.a[i]
        );
    }
    let dir = direction(3);
    let (v, t) = jac_stored_loop_jvp(&x, &JacStoredLoopGrad { a: dir.clone() });
    assert_eq!(v, value);
    for k in 0..3 {
        let e = dot(&rows[k].a, &dir);
        assert!(
            (t[k] - e).abs() < 1e-12 * (1.0 + e.abs()),
            "jvp {k}: {} vs {e}",
            t[k]
        );
    }
}

// ---- batch 26: an early exit between the expensive value and its store ---------------------

#[differentiate]
fn break_before_store(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.25; n];
    let mut s = 0.0;
    for i in 0..n {
        let t = a[i].exp();
        s += t * a[i];
        if s > 2.0 {
            break;
        }
        e[i] = t;
    }
    s + e.iter().map(|v| v * v).sum::<f64>()
}

#[test]
fn qa5_break_between_the_value_and_its_store() {
    for x in [
        [0.3, -0.5, 1.1, 0.7],
        [0.3, 0.5, 1.1, 0.7],
        [1.3, 0.5, 1.1, 0.7],
        [0.1, 0.2, 0.1, 0.3],
    ] {
        slice!(
            break_before_store,
            break_before_store_grad,
            break_before_store_vjp,
            break_before_store_jvp,
            BreakBeforeStoreGrad,
            x
        );
    }
}

#[differentiate]
fn continue_before_store(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.25; n];
    let mut s = 0.0;
    for i in 0..n {
        let t = (a[i] * 1.5).exp();
        s += t;
        if a[i] < 0.0 {
            continue;
        }
        e[i] = t;
    }
    s * e.iter().sum::<f64>()
}

#[test]
fn qa5_continue_between_the_value_and_its_store() {
    slice!(
        continue_before_store,
        continue_before_store_grad,
        continue_before_store_vjp,
        continue_before_store_jvp,
        ContinueBeforeStoreGrad,
        [0.3, -0.5, 1.1, -0.7]
    );
}

#[differentiate]
fn return_before_store(a: &[f64]) -> f64 {
    let n = a.len();
    let mut e = vec![0.25; n];
    let mut s = 0.0;
    for i in 0..n {
        let t = a[i].tanh();
        s += t * t;
        if s > 0.5 {
            return s * e[0] + t;
        }
        e[i] = t;
    }
    s + e[n - 1]
}

#[test]
fn qa5_return_between_the_value_and_its_store() {
    for x in [
        [0.3, -0.5, 1.1, 0.7],
        [0.1, 0.2, 0.1, 0.3],
        [0.9, 0.2, 0.1, 0.3],
    ] {
        slice!(
            return_before_store,
            return_before_store_grad,
            return_before_store_vjp,
            return_before_store_jvp,
            ReturnBeforeStoreGrad,
            x
        );
    }
}

// ---- batch 27: calls of differentiated functions on map results and owned views -------------

#[differentiate]
fn soft_norm(a: &DVector<f64>) -> f64 {
    (a.norm_squared() + 1.0).ln()
}

#[differentiate]
fn calls_on_maps(a: &DVector<f64>) -> f64 {
    let mut s = soft_norm(&a.map(|v| v * 2.0));
    for i in 0..a.len() - 1 {
        let w = a.rows(i, 2).into_owned();
        s += soft_norm(&w) * soft_norm(&w.map(|v| v.exp()));
    }
    let top = soft_norm(&a.rows(0, 2).into_owned());
    s * top
}

#[test]
fn qa5_calls_on_map_results_and_owned_views_in_a_loop() {
    dvec!(
        calls_on_maps,
        calls_on_maps_grad,
        calls_on_maps_vjp,
        calls_on_maps_jvp,
        CallsOnMapsGrad,
        [0.3, -0.5, 1.1, 0.7]
    );
}

// ---- batch 28: collect after filter / step_by / chain+enumerate ----------------------------

#[differentiate]
fn collect_filtered(a: &[f64]) -> f64 {
    let pos: Vec<f64> = a.iter().map(|v| (v.abs() + 0.5).ln()).collect();
    let odd: Vec<f64> = a.iter().skip(1).step_by(2).map(|v| v * v).collect();
    let weighted: Vec<f64> = a
        .iter()
        .chain(&pos)
        .enumerate()
        .map(|(i, v)| v * i as f64)
        .collect();
    let mut s = 0.0;
    for i in 0..pos.len() {
        s += pos[i] * odd[i % odd.len()];
    }
    s + weighted[weighted.len() - 1] + weighted.iter().sum::<f64>() + pos.len() as f64
}

#[test]
fn qa5_collect_after_filter_step_by_chain_enumerate() {
    slice!(
        collect_filtered,
        collect_filtered_grad,
        collect_filtered_vjp,
        collect_filtered_jvp,
        CollectFilteredGrad,
        [0.3, -0.5, 1.1, 0.7, -0.2]
    );
    slice!(
        collect_filtered,
        collect_filtered_grad,
        collect_filtered_vjp,
        collect_filtered_jvp,
        CollectFilteredGrad,
        [0.3, 0.5, 1.1, 0.7, 0.2]
    );
}

// ---- batch 29: other fixed-size constructors of differentiated values -----------------------

#[differentiate]
fn constructors_mix(x: f64, y: f64) -> f64 {
    let m = Matrix3::new(x, y, 1.0, y * x, x.sin(), 0.5, 2.0, y, x * x);
    let r = nalgebra::RowVector2::new(x, y.exp());
    let v4 = nalgebra::Vector4::new(x, y, x - y, 1.0);
    let m23 = nalgebra::Matrix2x3::new(x, 0.0, y, 1.0, x * y, y);
    m.determinant() + (r * Matrix2::new(x, 1.0, y, x)).sum() + v4.norm() + (m23 * m).norm_squared()
}

#[test]
fn qa5_matrix3_rowvector_vector4_matrix2x3_constructors() {
    probe!(p => constructors_mix, constructors_mix_grad, constructors_mix_vjp, [p[0], p[1]], [x, y], [0.3, -0.5]);
    let (_, g) = constructors_mix_grad(0.3, -0.5);
    let (_, dy) = constructors_mix_jvp(0.3, -0.5, &ConstructorsMixGrad { x: 0.7, y: -0.2 });
    assert_jvp("constructors_mix", dy, &[g.x, g.y], &[0.7, -0.2]);
}

// ---- batch 30: a generic RealField Hessian with constructors, map and views ------------------

#[differentiate(hessian)]
fn hess_generic_rf<T: RealField + Copy>(a: &DVector<T>) -> T {
    let v = Vector3::new(a[0], a[1] * a[2], a[2]);
    let m = a.map(|x| (x * a[0]).sin());
    let w = a.rows(1, 2);
    v.norm_squared() * m.sum() + w.dot(&m.rows(0, 2))
}

#[test]
fn qa5_hvp_of_a_generic_realfield_function() {
    hvp_dvec!(
        hess_generic_rf,
        hess_generic_rf_grad,
        hess_generic_rf_hvp,
        HessGenericRfGrad,
        [0.3, -0.5, 1.1],
        [0.2, -0.7, 0.4]
    );
    dvec!(
        hess_generic_rf,
        hess_generic_rf_grad,
        hess_generic_rf_vjp,
        hess_generic_rf_jvp,
        HessGenericRfGrad,
        [0.3, -0.5, 1.1]
    );
}

// ---- batch 31: chains and windows over struct fields; a stored loop in a method ---------------

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Series {
    pub xs: Vec<f64>,
    pub scale: f64,
}

#[differentiate]
fn series_loss(p: &Series, extra: &[f64]) -> f64 {
    let s: f64 = p.xs.iter().chain(extra).map(|v| v * p.scale).sum();
    let d: f64 = p.xs.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    let z: f64 = p.xs.iter().zip(&p.xs[1..]).map(|(a, b)| a * b).sum();
    let n = p.xs.len();
    let mut e = vec![0.0; n];
    for i in 0..n {
        let t = (p.xs[i] * p.scale).exp();
        e[i] = t;
    }
    s * d + z + e.iter().sum::<f64>()
}

#[test]
fn qa5_chains_windows_and_a_stored_loop_over_struct_fields() {
    let extra = [0.4, -0.1];
    let point = [0.3, -0.5, 1.1, 0.7, 0.6];
    let make = |p: &[f64]| Series {
        xs: p[..4].to_vec(),
        scale: p[4],
    };
    let f = |p: &[f64]| series_loss(&make(p), &extra);
    let (v, g) = series_loss_grad(&make(&point), &extra);
    assert_eq!(v.to_bits(), f(&point).to_bits());
    let analytic: Vec<f64> = g.p.xs.iter().copied().chain([g.p.scale]).collect();
    let fd = central_difference(f, &point);
    for (a, n) in analytic.iter().zip(&fd) {
        assert!(
            (a - n).abs() < 1e-6 * (1.0 + n.abs()),
            "{analytic:?} vs {fd:?}"
        );
    }
    let dir = direction(7);
    let (value, dy) = series_loss_jvp(
        &make(&point),
        &extra,
        &SeriesLossGrad {
            p: make(&dir[..5]),
            extra: dir[5..].to_vec(),
        },
    );
    assert_eq!(value.to_bits(), v.to_bits());
    let mut full = analytic.clone();
    full.extend(g.extra.iter());
    assert_jvp("series_loss", dy, &full, &dir);
}

// ---- batch 32: the Jacobian of a method of a generic block ---------------------------------

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Orbit<T: RealField + Copy> {
    pub r: T,
    pub w: T,
}

#[differentiate]
impl<T: RealField + Copy> Orbit<T> {
    #[differentiate]
    pub fn position(&self, t: T) -> Vector2<T> {
        let a = self.w * t;
        let v = Vector2::new(a.cos(), a.sin());
        v.map(|c| c * self.r)
    }
}

#[test]
fn qa5_jacobian_of_a_generic_method() {
    let o = Orbit { r: 1.5f64, w: 0.8 };
    let (value, rows) = o.position_jacobian(0.6);
    assert_eq!(value, o.position(0.6));
    let rows: Vec<Vec<f64>> = rows
        .iter()
        .map(|g| vec![g.self_.r, g.self_.w, g.t])
        .collect();
    check_jacobian_rows(&rows, &[1.5, 0.8, 0.6], |p| {
        Orbit { r: p[0], w: p[1] }
            .position(p[2])
            .iter()
            .copied()
            .collect()
    });
}

// ---- batch 33: iterator chains over nalgebra vectors and matrices ------------------------

#[differentiate]
fn nalgebra_iters(a: &DVector<f64>, m: &DMatrix<f64>) -> f64 {
    let s: f64 = a.iter().map(|v| v * v).sum();
    let z: f64 = a.iter().zip(m.iter()).map(|(p, q)| p * q).sum();
    let e: f64 = m.iter().enumerate().map(|(i, v)| v * i as f64).sum();
    let c: f64 = a
        .iter()
        .chain(m.iter())
        .filter(|v| **v > 0.0)
        .map(|v| v.sqrt())
        .sum();
    let mut w = 0.0;
    for (i, v) in a.iter().enumerate() {
        w += v * m[(i % 2, i / 2 % 2)];
    }
    s * z + e + c + w
}

#[test]
fn qa5_iterator_chains_over_nalgebra_values() {
    let point = [0.3, -0.5, 1.1, 0.7, 0.2, -0.4, 0.9];
    probe!(p => nalgebra_iters, nalgebra_iters_grad, nalgebra_iters_vjp, [&DVector::from_column_slice(&p[..3]), &DMatrix::from_column_slice(2, 2, &p[3..])], [a, m], point);
}

// ---- batch 34: user-sized programs combining today's idioms --------------------------------

/// A stable log-softmax cross entropy: max_by, map closures, a view of the logits.
#[differentiate]
fn softmax_xent(logits: &DVector<f64>, target: usize) -> f64 {
    let m = logits
        .iter()
        .copied()
        .max_by(|x, y| x.partial_cmp(y).unwrap())
        .unwrap();
    let shifted = logits.map(|v| v - m);
    let lse = shifted.map(|v| v.exp()).sum().ln();
    let head = logits.rows(0, 2);
    lse - shifted[target] + 0.01 * head.norm_squared()
}

#[test]
fn qa5_program_softmax_cross_entropy() {
    for target in [0, 2] {
        probe!(p => softmax_xent, softmax_xent_grad, softmax_xent_vjp, [&DVector::from_column_slice(p), target], [logits], [0.3, -0.5, 1.1, 0.7]);
    }
}

/// A tiny recurrent cell over a sequence: the state as a fixed-size vector built by
/// `Vector2::new`, the inputs read by windows, the outputs' squares summed over a chain.
#[differentiate]
fn rnn(w: &Matrix2<f64>, xs: &[f64], h0: f64) -> f64 {
    let mut h = Vector2::new(h0, 0.0);
    let n = xs.len() - 1;
    let mut outs = vec![0.0; n];
    for (i, pair) in xs.windows(2).enumerate() {
        let x = Vector2::new(pair[0], pair[1]);
        h = (w * h + x).map(|v| v.tanh());
        let o = (h[0] * h[1]).exp();
        outs[i] = o;
    }
    outs.iter()
        .chain(outs.iter().skip(1))
        .map(|o| o * o)
        .sum::<f64>()
        + h.norm()
}

#[test]
fn qa5_program_recurrent_cell() {
    let point = [0.5, -0.3, 0.8, 0.1, 0.3, -0.5, 1.1, 0.7, 0.2];
    probe!(p => rnn, rnn_grad, rnn_vjp, [&Matrix2::from_column_slice(&p[..4]), &p[4..8], p[8]], [w, xs, h0], point);
    let w = Matrix2::from_column_slice(&point[..4]);
    let (_, g) = rnn_grad(&w, &point[4..8], point[8]);
    let dir = direction(9);
    let (value, dy) = rnn_jvp(
        &w,
        &point[4..8],
        point[8],
        &RnnGrad {
            w: Matrix2::from_column_slice(&dir[..4]),
            xs: dir[4..8].to_vec(),
            h0: dir[8],
        },
    );
    assert_eq!(value.to_bits(), rnn(&w, &point[4..8], point[8]).to_bits());
    let analytic: Vec<f64> = g.w.iter().chain(&g.xs).copied().chain([g.h0]).collect();
    assert_jvp("rnn", dy, &analytic, &dir);
}

/// Smoothing splines' roughness with a generic float: zip with an offset, a reversed range,
/// a filtered count and a reduce.
#[differentiate]
fn spline_penalty<T: Float>(y: &[T], lambda: T) -> T {
    let n = y.len();
    let mut rough = T::zero();
    for i in (1..n - 1).rev() {
        let d2 = y[i + 1] - y[i] - y[i] + y[i - 1];
        rough = rough + d2 * d2;
    }
    let fit = y
        .iter()
        .zip(&y[1..])
        .map(|(a, b)| (*a - *b) * (*a - *b))
        .fold(T::zero(), |s, v| s + v);
    let peak = y
        .iter()
        .copied()
        .reduce(|a, b| if a > b { a } else { b })
        .unwrap();
    fit + lambda * rough + peak
}

#[test]
fn qa5_program_generic_spline_penalty() {
    probe!(p => spline_penalty, spline_penalty_grad, spline_penalty_vjp, [&p[..5], p[5]], [y, lambda], [0.3, -0.5, 1.1, 0.7, 0.2, 0.8]);
    let (v, _) = spline_penalty_grad(&[0.3f32, -0.5, 1.1, 0.7, 0.2], 0.8);
    assert_eq!(
        v.to_bits(),
        spline_penalty(&[0.3f32, -0.5, 1.1, 0.7, 0.2], 0.8).to_bits()
    );
}

// ---- batch 35: the recurrent cell under the Hessian -------------------------------------------

#[differentiate(hessian)]
fn rnn_h(xs: &[f64], h0: f64) -> f64 {
    let w = Matrix2::new(0.5, -0.3, 0.8, 0.1);
    let mut h = Vector2::new(h0, 0.0);
    let n = xs.len() - 1;
    let mut outs = vec![0.0; n];
    for (i, pair) in xs.windows(2).enumerate() {
        let x = Vector2::new(pair[0], pair[1]);
        h = (w * h + x).map(|v| v.tanh());
        let o = (h[0] * h[1]).exp();
        outs[i] = o;
    }
    outs.iter()
        .chain(outs.iter().skip(1))
        .map(|o| o * o)
        .sum::<f64>()
        + h.norm()
}

#[test]
fn qa5_hessian_of_the_recurrent_cell() {
    let xs = [0.3, -0.5, 1.1, 0.7];
    let h0 = 0.2;
    let (value, grad, rows) = rnn_h_hessian(&xs, h0);
    assert_eq!(value.to_bits(), rnn_h(&xs, h0).to_bits());
    let (_, g0) = rnn_h_grad(&xs, h0);
    assert!((grad.h0 - g0.h0).abs() < 1e-12);
    let flat = |g: &RnnHGrad| -> Vec<f64> { g.xs.iter().copied().chain([g.h0]).collect() };
    let point: Vec<f64> = xs.iter().copied().chain([h0]).collect();
    let h = 1e-5;
    for i in 0..5 {
        let mut plus = point.clone();
        plus[i] += h;
        let mut minus = point.clone();
        minus[i] -= h;
        let (_, gp) = rnn_h_grad(&plus[..4], plus[4]);
        let (_, gm) = rnn_h_grad(&minus[..4], minus[4]);
        let (fp, fm, row) = (flat(&gp), flat(&gm), flat(&rows[i]));
        for j in 0..5 {
            let fd = (fp[j] - fm[j]) / (2.0 * h);
            assert!(
                (row[j] - fd).abs() < 1e-5 * (1.0 + fd.abs()),
                "H[{i}][{j}] = {} vs {fd}",
                row[j]
            );
        }
    }
}

// ---- batch 36: integer casts of enumerate indices and counts under the Hessian ---------------

#[differentiate(hessian)]
fn hess_enumerate_casts(a: &[f64]) -> f64 {
    let s: f64 = a
        .iter()
        .chain(a)
        .enumerate()
        .map(|(i, v)| v * v * i as f64)
        .sum();
    let c = a.iter().filter(|v| **v > 0.0).count() as f64;
    let w: f64 = a
        .windows(2)
        .enumerate()
        .map(|(i, w)| w[0] * w[1] * (i + 1) as f64)
        .sum();
    s * c + w * w
}

#[test]
fn qa5_hessian_with_enumerate_index_and_count_casts() {
    let a = [0.3, -0.5, 1.1];
    let (value, _, rows) = hess_enumerate_casts_hessian(&a);
    assert_eq!(value.to_bits(), hess_enumerate_casts(&a).to_bits());
    let h = 1e-5;
    for i in 0..3 {
        let mut plus = a;
        plus[i] += h;
        let mut minus = a;
        minus[i] -= h;
        let (_, gp) = hess_enumerate_casts_grad(&plus);
        let (_, gm) = hess_enumerate_casts_grad(&minus);
        for j in 0..3 {
            let fd = (gp.a[j] - gm.a[j]) / (2.0 * h);
            assert!(
                (rows[i].a[j] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                "H[{i}][{j}] = {} vs {fd}",
                rows[i].a[j]
            );
        }
    }
    slice!(
        hess_enumerate_casts,
        hess_enumerate_casts_grad,
        hess_enumerate_casts_vjp,
        hess_enumerate_casts_jvp,
        HessEnumerateCastsGrad,
        a
    );
}
