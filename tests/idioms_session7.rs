//! h-idioms6 (issue 12): the last rustc errors inside generated code found by h-qa6 and the
//! R15 messages, each a program that now builds, checked against central differences (and
//! `f_jvp` where forward mode applies).
#![allow(clippy::all)]

use nalgebra::{DMatrix, DVector, Matrix2, RealField, Vector2};
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

fn direction(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 * 1.3 + 0.4).sin()).collect()
}

/// `f_jvp`'s tangent in direction `dir` against ⟨∇f, dir⟩ of the checked gradient.
fn assert_jvp(what: &str, dy: f64, g: &[f64], dir: &[f64]) {
    let e: f64 = g.iter().zip(dir).map(|(a, b)| a * b).sum();
    assert!(
        (dy - e).abs() <= 1e-10 * (1.0 + e.abs()),
        "{what}: jvp {dy} vs <g, v> {e}"
    );
}

/// An `f32` gradient against central differences of the `f32` function (step 1e-2: f32
/// resolution), relative tolerance 1e-3.
fn check_f32(what: &str, x: &[f32], f: impl Fn(&[f32]) -> f32, g: &[f32]) {
    assert_eq!(x.len(), g.len(), "{what}: gradient length");
    for i in 0..x.len() {
        let h = 1e-2 * x[i].abs().max(1.0);
        let (mut up, mut down) = (x.to_vec(), x.to_vec());
        up[i] += h;
        down[i] -= h;
        let fd = (f(&up) - f(&down)) / (2.0 * h);
        assert!(
            (g[i] - fd).abs() <= 1e-3 * g[i].abs().max(fd.abs()).max(1.0),
            "{what}: ∂/∂x{i} = {}, finite differences {fd}",
            g[i]
        );
    }
}

impl probe::Flat for Matrix2<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

const POINT: [f64; 5] = [0.3, -0.7, 1.1, 0.45, -1.3];

// ---- 1: element-wise operators between values whose dimensions differ in kind ----
#[differentiate]
fn i1_add(a: &DVector<f64>, b: &Vector2<f64>) -> f64 {
    let s = a.rows(0, 2) + b;
    s.norm_squared()
}

#[differentiate]
fn i1_sub(a: &DVector<f64>, b: &Vector2<f64>) -> f64 {
    let s = b - a.rows(1, 2);
    s.norm_squared()
}

#[differentiate]
fn i1_mul(a: &DVector<f64>, b: &Vector2<f64>) -> f64 {
    a.rows(0, 2).component_mul(&b).sum()
}

#[differentiate]
fn i1_div(a: &DVector<f64>, b: &Vector2<f64>) -> f64 {
    b.component_div(&a.rows(1, 2)).sum()
}

#[differentiate]
fn i1_matrix(m: &DMatrix<f64>, b: &Matrix2<f64>) -> f64 {
    let s = m.fixed_view::<2, 2>(0, 0) * 1.0;
    let t = m.view((0, 0), (2, 2)) + b;
    let u = b - m.view((0, 0), (2, 2));
    (t.component_mul(&u) + s - m.view((1, 1), (2, 2)).component_div(b)).sum()
}

#[differentiate]
fn i1_assign(a: &DVector<f64>, b: &Vector2<f64>) -> f64 {
    let mut s = b * 2.0;
    s += a.rows(0, 2);
    s -= a.rows(1, 2) * a[2];
    let mut t = a.rows(0, 2) * 1.0;
    t += b;
    s.dot(&t)
}

#[differentiate]
fn i1_generic<T: RealField + Copy>(a: &DVector<T>, b: &Vector2<T>) -> T {
    let s = a.rows(0, 2) + b;
    let u = b - a.rows(1, 2);
    let w = a.rows(0, 2).component_mul(&u) + b.component_div(&a.rows(2, 2));
    s.dot(&w)
}

#[differentiate]
fn i1_f32(a: &DVector<f32>, b: &Vector2<f32>) -> f32 {
    let s = a.rows(0, 2) + b;
    let u = b - a.rows(1, 2);
    (s.component_mul(&u) + a.rows(0, 2).component_div(b)).sum()
}

/// `probe!` and one `f_jvp` direction for `fn f(a: &DVector<f64>, b: &Vector2<f64>) -> f64`
/// at `x` (the first `x.len() - 2` entries are `a`).
macro_rules! dyn_const {
    ($f:ident, $g:ident, $v:ident, $j:ident, $G:ident, $x:expr) => {{
        let x: Vec<f64> = $x.to_vec();
        let n = x.len() - 2;
        probe!(p => $f, $g, $v, [&DVector::from_column_slice(&p[..n]), &Vector2::new(p[n], p[n + 1])], [a, b], x);
        let dir = direction(x.len());
        let (a, b) = (DVector::from_column_slice(&x[..n]), Vector2::new(x[n], x[n + 1]));
        let tangent = $G {
            a: DVector::from_column_slice(&dir[..n]),
            b: Vector2::new(dir[n], dir[n + 1]),
        };
        let (value, dy) = $j(&a, &b, &tangent);
        assert_eq!(value.to_bits(), $f(&a, &b).to_bits(), "{}: jvp value", stringify!($f));
        let (_, g) = $g(&a, &b);
        let flat: Vec<f64> = g.a.iter().chain(g.b.iter()).copied().collect();
        assert_jvp(stringify!($f), dy, &flat, &dir);
    }};
}

#[test]
fn i1_elementwise_operators_across_dimension_kinds() {
    dyn_const!(
        i1_add,
        i1_add_grad,
        i1_add_vjp,
        i1_add_jvp,
        I1AddGrad,
        [0.3, -0.7, 1.1, 0.45]
    );
    dyn_const!(
        i1_sub,
        i1_sub_grad,
        i1_sub_vjp,
        i1_sub_jvp,
        I1SubGrad,
        POINT
    );
    dyn_const!(
        i1_mul,
        i1_mul_grad,
        i1_mul_vjp,
        i1_mul_jvp,
        I1MulGrad,
        POINT
    );
    dyn_const!(
        i1_div,
        i1_div_grad,
        i1_div_vjp,
        i1_div_jvp,
        I1DivGrad,
        POINT
    );
    dyn_const!(
        i1_assign,
        i1_assign_grad,
        i1_assign_vjp,
        i1_assign_jvp,
        I1AssignGrad,
        POINT
    );
    let x = [0.3, -0.7, 1.1, 0.45, -1.3, 0.8];
    probe!(p => i1_generic, i1_generic_grad, i1_generic_vjp, [&DVector::from_column_slice(&p[..4]), &Vector2::new(p[4], p[5])], [a, b], x);
    // The matrix analogue: a view of a `DMatrix` and a `Matrix2`.
    let x = [
        0.3, -0.7, 1.1, 0.45, -1.3, 0.8, 0.2, 1.7, -0.4, 0.9, 0.6, -0.25, 1.4,
    ];
    let args = |p: &[f64]| {
        (
            DMatrix::from_column_slice(3, 3, &p[..9]),
            Matrix2::from_column_slice(&p[9..]),
        )
    };
    probe!(p => i1_matrix, i1_matrix_grad, i1_matrix_vjp, [&args(p).0, &args(p).1], [m, b], x);
    let (m, b) = args(&x);
    let dir = direction(x.len());
    let (dm, db) = args(&dir);
    let (value, dy) = i1_matrix_jvp(&m, &b, &I1MatrixGrad { m: dm, b: db });
    assert_eq!(value.to_bits(), i1_matrix(&m, &b).to_bits());
    let (_, g) = i1_matrix_grad(&m, &b);
    let flat: Vec<f64> = g.m.iter().chain(g.b.iter()).copied().collect();
    assert_jvp("i1_matrix", dy, &flat, &dir);
    // f32.
    let x = [0.3f32, -0.7, 1.1, 0.45, -1.3];
    let f = |p: &[f32]| {
        i1_f32(
            &DVector::from_column_slice(&p[..3]),
            &Vector2::new(p[3], p[4]),
        )
    };
    let (v, g) = i1_f32_grad(
        &DVector::from_column_slice(&x[..3]),
        &Vector2::new(x[3], x[4]),
    );
    assert_eq!(v.to_bits(), f(&x).to_bits());
    let flat: Vec<f32> = g.a.iter().chain(g.b.iter()).copied().collect();
    check_f32("i1_f32", &x, f, &flat);
}

// ---- 2: float methods on the elements of a nalgebra vector's `.iter()` in `hessian` ----
#[differentiate(hessian)]
fn i2_map(a: &DVector<f64>) -> f64 {
    a.iter().map(|d| d.exp()).sum::<f64>() * a[0]
}

#[differentiate(hessian)]
fn i2_for(a: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for d in a.iter() {
        s += d.ln() * d.sin();
    }
    s
}

#[differentiate(hessian)]
fn i2_fixed(a: &Vector2<f64>, w: f64) -> f64 {
    let mut s = 0.0;
    for d in a.iter() {
        s += w.powf(2.0) * d.sqrt();
    }
    s + a.iter().map(|d| d.tanh()).sum::<f64>()
}

#[differentiate(hessian)]
fn i2_cholesky(m: &DMatrix<f64>) -> f64 {
    let a = m * m.transpose() + DMatrix::<f64>::identity(2, 2);
    let c = a.cholesky().unwrap();
    c.l().diagonal().iter().map(|d| d.ln()).sum::<f64>()
}

/// The Hessian of `f` at `x` by central differences of its `f64` gradient `g`.
fn fd_hessian(x: &[f64], g: impl Fn(&[f64]) -> Vec<f64>) -> Vec<Vec<f64>> {
    let h = 1e-5;
    (0..x.len())
        .map(|j| {
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[j] += h;
            down[j] -= h;
            let (gu, gd) = (g(&up), g(&down));
            gu.iter()
                .zip(&gd)
                .map(|(u, d)| (u - d) / (2.0 * h))
                .collect()
        })
        .collect()
}

fn assert_hessian(what: &str, h: &[Vec<f64>], fd: &[Vec<f64>]) {
    assert_eq!(h.len(), fd.len(), "{what}: Hessian size");
    for (i, (row, fd_row)) in h.iter().zip(fd).enumerate() {
        assert_eq!(row.len(), fd_row.len(), "{what}: Hessian row {i}");
        for (j, (a, b)) in row.iter().zip(fd_row).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0),
                "{what}: H[{i}][{j}] = {a}, finite differences {b}"
            );
        }
    }
}

/// The gradient (probe) and the Hessian (against differences of the gradient) of
/// `fn f(a: &DVector<f64>) -> f64`.
macro_rules! dvec_hessian {
    ($f:ident, $g:ident, $v:ident, $h:ident, $x:expr) => {{
        let x: Vec<f64> = $x.to_vec();
        probe!(p => $f, $g, $v, [&DVector::from_column_slice(p)], [a], x);
        let (value, _, rows) = $h(&DVector::from_column_slice(&x));
        assert_eq!(value.to_bits(), $f(&DVector::from_column_slice(&x)).to_bits());
        let h: Vec<Vec<f64>> = rows.iter().map(|r| r.a.iter().copied().collect()).collect();
        let fd = fd_hessian(&x, |p| $g(&DVector::from_column_slice(p)).1.a.iter().copied().collect());
        assert_hessian(stringify!($f), &h, &fd);
    }};
}

#[test]
fn i2_float_methods_on_iterated_elements_in_hessian_functions() {
    dvec_hessian!(
        i2_map,
        i2_map_grad,
        i2_map_vjp,
        i2_map_hessian,
        [0.3, -0.7, 1.1]
    );
    dvec_hessian!(
        i2_for,
        i2_for_grad,
        i2_for_vjp,
        i2_for_hessian,
        [0.3, 0.7, 1.1]
    );
    let x = [0.3, 0.7, 1.3];
    probe!(p => i2_fixed, i2_fixed_grad, i2_fixed_vjp, [&Vector2::new(p[0], p[1]), p[2]], [a, w], x);
    let (_, _, rows) = i2_fixed_hessian(&Vector2::new(x[0], x[1]), x[2]);
    let h: Vec<Vec<f64>> = rows.iter().map(|r| vec![r.a[0], r.a[1], r.w]).collect();
    let fd = fd_hessian(&x, |p| {
        let g = i2_fixed_grad(&Vector2::new(p[0], p[1]), p[2]).1;
        vec![g.a[0], g.a[1], g.w]
    });
    assert_hessian("i2_fixed", &h, &fd);
    let x = [0.3, -0.7, 1.1, 0.45];
    let m = |p: &[f64]| DMatrix::from_column_slice(2, 2, p);
    probe!(p => i2_cholesky, i2_cholesky_grad, i2_cholesky_vjp, [&m(p)], [m], x);
    let (_, _, rows) = i2_cholesky_hessian(&m(&x));
    let h: Vec<Vec<f64>> = rows.iter().map(|r| r.m.iter().copied().collect()).collect();
    let fd = fd_hessian(&x, |p| {
        i2_cholesky_grad(&m(p)).1.m.iter().copied().collect()
    });
    assert_hessian("i2_cholesky", &h, &fd);
}

// ---- 5: R15, `.expect(..)` where `.unwrap()` is accepted, `Cholesky::new`, counted
// adaptors after `.enumerate()` ----

/// `slice!(f, f_grad, f_vjp, f_jvp, FGrad, point)` for `fn f(a: &[f64]) -> f64`.
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

const MESSAGE: &str = "no elements";

#[differentiate]
fn i5_expect_reductions(a: &[f64]) -> f64 {
    let m = a.iter().copied().reduce(f64::max).expect("m");
    let hi = a
        .iter()
        .max_by(|x, y| x.partial_cmp(y).unwrap())
        .expect("hi");
    let lo = a
        .iter()
        .copied()
        .min_by(|x, y| x.total_cmp(y))
        .expect(MESSAGE);
    m * hi + lo.sin()
}

#[differentiate]
fn i5_expect_chain(a: &[f64], b: &[f64]) -> f64 {
    let m = a
        .iter()
        .chain(b)
        .copied()
        .reduce(|x, y| x + y * x.cos())
        .expect(MESSAGE);
    m * a[0]
}

#[differentiate]
fn i5_expect_f32(a: &[f32]) -> f32 {
    a.iter().copied().reduce(f32::max).expect("m") * a[1]
}

#[differentiate]
fn i5_expect_generic<T: num_traits::Float>(a: &[T]) -> T {
    a.iter().copied().reduce(|x, y| x * y.exp()).expect(MESSAGE) + a[0]
}

#[test]
#[should_panic(expected = "no elements")]
fn i5_expect_message_on_no_element() {
    let _ = i5_expect_chain_grad(&[], &[]);
}

/// The first `expect` panics, as in the function as written.
#[test]
#[should_panic(expected = "m")]
fn i5_expect_message_on_an_empty_slice() {
    let _ = i5_expect_reductions_grad(&[]);
}

const CHOLESKY: &str = "not positive definite";

#[differentiate]
fn i5_decompositions(m: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let a = m * m.transpose() + DMatrix::<f64>::identity(2, 2);
    let c = a.clone().cholesky().expect(CHOLESKY);
    let d = nalgebra::Cholesky::new(a.clone()).unwrap();
    let x = nalgebra::LU::new(a.clone()).solve(b).expect(self::CHOLESKY);
    let y = nalgebra::QR::new(a.clone()).solve(b).unwrap();
    c.solve(b).dot(&x) + d.l().diagonal().map(|v| v.ln()).sum() + y.norm_squared()
}

#[differentiate]
fn i5_enumerate_skip(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, x) in a.iter().enumerate().skip(1) {
        s += x.sin() * i as f64;
    }
    for (i, &x) in a.iter().enumerate().skip(2).take(2) {
        s += x * x * (i as f64 + 0.5);
    }
    for (i, x) in a.iter().enumerate().take(3).skip(1) {
        s = s * 0.5 + x * i as f64;
    }
    for (i, x) in a.iter().enumerate().skip(10) {
        s += x * i as f64;
    }
    s
}

#[differentiate]
fn i5_enumerate_skip_f32(a: &[f32]) -> f32 {
    let mut s = 0.0;
    for (i, x) in a.iter().enumerate().skip(1) {
        s += x.sin() * i as f32;
    }
    s
}

#[differentiate]
fn i5_enumerate_skip_generic<T: num_traits::Float>(a: &[T]) -> T {
    let mut s = T::zero();
    for (i, &x) in a.iter().enumerate().skip(1).take(3) {
        s = s + x.exp() * T::from(i).unwrap();
    }
    s
}

#[test]
fn i5_r15_forms() {
    slice!(
        i5_expect_reductions,
        i5_expect_reductions_grad,
        i5_expect_reductions_vjp,
        i5_expect_reductions_jvp,
        I5ExpectReductionsGrad,
        POINT
    );
    let x = [0.3, -0.7, 1.1, 0.45, -1.3];
    probe!(p => i5_expect_chain, i5_expect_chain_grad, i5_expect_chain_vjp, [&p[..2], &p[2..]], [a, b], x);
    probe!(p => i5_expect_generic, i5_expect_generic_grad, i5_expect_generic_vjp, [p], [a], x);
    let x32 = [0.3f32, -0.7, 1.1];
    let (v, g) = i5_expect_f32_grad(&x32);
    assert_eq!(v.to_bits(), i5_expect_f32(&x32).to_bits());
    check_f32("i5_expect_f32", &x32, |p| i5_expect_f32(p), &g.a);
    let x = [0.3, -0.7, 1.1, 0.45, 0.8, -0.2];
    probe!(p => i5_decompositions, i5_decompositions_grad, i5_decompositions_vjp, [&DMatrix::from_column_slice(2, 2, &p[..4]), &DVector::from_column_slice(&p[4..])], [m, b], x);
    let dir = direction(6);
    let (m, b) = (
        DMatrix::from_column_slice(2, 2, &x[..4]),
        DVector::from_column_slice(&x[4..]),
    );
    let tangent = I5DecompositionsGrad {
        m: DMatrix::from_column_slice(2, 2, &dir[..4]),
        b: DVector::from_column_slice(&dir[4..]),
    };
    let (value, dy) = i5_decompositions_jvp(&m, &b, &tangent);
    assert_eq!(value.to_bits(), i5_decompositions(&m, &b).to_bits());
    let (_, g) = i5_decompositions_grad(&m, &b);
    let flat: Vec<f64> = g.m.iter().chain(g.b.iter()).copied().collect();
    assert_jvp("i5_decompositions", dy, &flat, &dir);
    slice!(
        i5_enumerate_skip,
        i5_enumerate_skip_grad,
        i5_enumerate_skip_vjp,
        i5_enumerate_skip_jvp,
        I5EnumerateSkipGrad,
        POINT
    );
    // Shorter than the skips and takes.
    slice!(
        i5_enumerate_skip,
        i5_enumerate_skip_grad,
        i5_enumerate_skip_vjp,
        i5_enumerate_skip_jvp,
        I5EnumerateSkipGrad,
        [0.4, -0.3]
    );
    probe!(p => i5_enumerate_skip_generic, i5_enumerate_skip_generic_grad, i5_enumerate_skip_generic_vjp, [p], [a], POINT);
    let x32 = [0.3f32, -0.7, 1.1];
    let (v, g) = i5_enumerate_skip_f32_grad(&x32);
    assert_eq!(v.to_bits(), i5_enumerate_skip_f32(&x32).to_bits());
    check_f32(
        "i5_enumerate_skip_f32",
        &x32,
        |p| i5_enumerate_skip_f32(p),
        &g.a,
    );
}

// ---- 1 in `hessian` functions: the same operators over dual numbers ----
#[differentiate(hessian)]
fn i1_hessian(a: &DVector<f64>, b: &Vector2<f64>) -> f64 {
    let s = a.rows(0, 2) + b;
    let u = b - a.rows(1, 2);
    s.component_mul(&u).sum() + b.component_div(&a.rows(0, 2)).norm_squared()
}

#[test]
fn i1_hessian_across_dimension_kinds() {
    let x = [0.3, -0.7, 1.1, 0.45, -1.3];
    let args = |p: &[f64]| {
        (
            DVector::from_column_slice(&p[..3]),
            Vector2::new(p[3], p[4]),
        )
    };
    let (a, b) = args(&x);
    probe!(p => i1_hessian, i1_hessian_grad, i1_hessian_vjp, [&args(p).0, &args(p).1], [a, b], x);
    let (value, _, rows) = i1_hessian_hessian(&a, &b);
    assert_eq!(value.to_bits(), i1_hessian(&a, &b).to_bits());
    let h: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.a.iter().chain(r.b.iter()).copied().collect())
        .collect();
    let fd = fd_hessian(&x, |p| {
        let (a, b) = args(p);
        let g = i1_hessian_grad(&a, &b).1;
        g.a.iter().chain(g.b.iter()).copied().collect()
    });
    assert_hessian("i1_hessian", &h, &fd);
}
