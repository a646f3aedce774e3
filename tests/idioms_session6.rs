//! h-idioms5 (issue 12): the QA findings E1–E6 and R1–R14 of 2026-12-06, each a program that
//! now builds, checked against central differences (and `f_jvp` where forward mode applies).
#![allow(clippy::all)]

use nalgebra::{DMatrix, DVector, Matrix3, RealField, Vector2};
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

/// `dvec!(f, f_grad, f_vjp, f_jvp, FGrad, point)` for `fn f(a: &DVector<f64>) -> f64`: the
/// probe checks, and `f_jvp` in one direction.
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

/// `slice!(f, f_grad, f_vjp, f_jvp, FGrad, point)` for `fn f(a: &[f64]) -> f64`.
#[allow(unused_macros)]
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

const POINT: [f64; 5] = [0.3, -0.7, 1.1, 0.45, -1.3];

// ---- E1: reading nalgebra views in a loop / `.map` on a view ----
#[differentiate]
fn e1_rows_loop(a: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() - 1 {
        let w = a.rows(i, 2);
        s += w[1] * w[0];
    }
    s
}

#[differentiate]
fn e1_fixed_rows_loop(a: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() - 1 {
        let w = a.fixed_rows::<2>(i);
        s += w[1] * w[0];
    }
    s
}

#[differentiate]
fn e1_map_view(a: &DVector<f64>) -> f64 {
    a.rows(1, 2).map(|v| v.exp()).sum()
}

#[differentiate]
fn e1_columns(m: &DMatrix<f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..m.ncols() {
        let c = m.column(j);
        s += c[0] * c[1];
    }
    s
}

#[differentiate]
fn e1_generic_fixed_view<T: RealField + Copy>(m: &Matrix3<T>) -> T {
    m.fixed_view::<2, 2>(1, 0).map(|v| v * v.sin()).sum()
}

#[differentiate]
fn e1_generic_rows_map<T: RealField + Copy>(a: &DVector<T>) -> T {
    let mut s = T::zero();
    for i in 0..a.len() - 1 {
        let w = a.rows(i, 2);
        s += w.map(|v| v * v).sum() * w[0];
    }
    s
}

#[differentiate]
fn e1_map_view_f32(a: &DVector<f32>) -> f32 {
    let w = a.fixed_rows::<3>(1);
    w.map(|v| v.exp() * v).sum() + w[2] * a[0]
}

#[test]
fn e1_views_read_in_loops_and_mapped() {
    dvec!(
        e1_rows_loop,
        e1_rows_loop_grad,
        e1_rows_loop_vjp,
        e1_rows_loop_jvp,
        E1RowsLoopGrad,
        POINT
    );
    dvec!(
        e1_fixed_rows_loop,
        e1_fixed_rows_loop_grad,
        e1_fixed_rows_loop_vjp,
        e1_fixed_rows_loop_jvp,
        E1FixedRowsLoopGrad,
        POINT
    );
    dvec!(
        e1_map_view,
        e1_map_view_grad,
        e1_map_view_vjp,
        e1_map_view_jvp,
        E1MapViewGrad,
        POINT
    );
    probe!(p => e1_columns, e1_columns_grad, e1_columns_vjp, [&DMatrix::from_column_slice(2, 3, p)], [m], [0.3, -0.7, 1.1, 0.45, -1.3, 0.8]);
    probe!(p => e1_generic_rows_map, e1_generic_rows_map_grad, e1_generic_rows_map_vjp, [&DVector::from_column_slice(p)], [a], POINT);
    let m = [0.3, -0.7, 1.1, 0.45, -1.3, 0.8, 0.25, 0.6, -0.9];
    probe::check(
        "e1_generic_fixed_view",
        &m,
        |p| e1_generic_fixed_view(&Matrix3::from_column_slice(p)),
        |p| {
            let (v, g) = e1_generic_fixed_view_grad(&Matrix3::from_column_slice(p));
            (v, g.m.as_slice().to_vec())
        },
        |p, seed| {
            let (v, g) = e1_generic_fixed_view_vjp(&Matrix3::from_column_slice(p), seed);
            (v, g.m.as_slice().to_vec())
        },
    );
    let x = [0.3f32, -0.7, 1.1, 0.45, -1.3];
    let (v, g) = e1_map_view_f32_grad(&DVector::from_column_slice(&x));
    assert_eq!(
        v.to_bits(),
        e1_map_view_f32(&DVector::from_column_slice(&x)).to_bits()
    );
    check_f32(
        "e1_map_view_f32",
        &x,
        |p| e1_map_view_f32(&DVector::from_column_slice(p)),
        g.a.as_slice(),
    );
}

// ---- E2: `dot` of vectors whose row dimensions differ in kind (Dyn and Const) ----
#[differentiate]
fn e2_views(a: &DVector<f64>) -> f64 {
    let t = a.rows(0, 2);
    let u = a.fixed_rows::<2>(2);
    t.dot(&u)
}

#[differentiate]
fn e2_dyn_const(a: &DVector<f64>, b: &Vector2<f64>) -> f64 {
    a.dot(b) + b.dot(a) * a[1]
}

#[differentiate]
fn e2_generic<T: RealField + Copy>(a: &DVector<T>, b: &Vector2<T>) -> T {
    let u = a.fixed_rows::<2>(1);
    a.rows(0, 2).dot(&u) * b.dot(&a.rows(1, 2))
}

#[differentiate]
fn e2_f32(a: &DVector<f32>, b: &Vector2<f32>) -> f32 {
    a.dot(b) * b.dot(&a.rows(0, 2))
}

#[test]
fn e2_dot_of_dyn_and_const_vectors() {
    dvec!(
        e2_views,
        e2_views_grad,
        e2_views_vjp,
        e2_views_jvp,
        E2ViewsGrad,
        POINT
    );
    probe!(p => e2_dyn_const, e2_dyn_const_grad, e2_dyn_const_vjp, [&DVector::from_column_slice(&p[..2]), &Vector2::new(p[2], p[3])], [a, b], [0.3, -0.7, 1.1, 0.45]);
    let x = [0.3, -0.7, 1.1, 0.45];
    let dir = direction(4);
    let (a, b) = (
        DVector::from_column_slice(&x[..2]),
        Vector2::new(x[2], x[3]),
    );
    let (value, dy) = e2_dyn_const_jvp(
        &a,
        &b,
        &E2DynConstGrad {
            a: DVector::from_column_slice(&dir[..2]),
            b: Vector2::new(dir[2], dir[3]),
        },
    );
    assert_eq!(value.to_bits(), e2_dyn_const(&a, &b).to_bits());
    let (_, g) = e2_dyn_const_grad(&a, &b);
    assert_jvp("e2_dyn_const", dy, &[g.a[0], g.a[1], g.b[0], g.b[1]], &dir);
    probe!(p => e2_generic, e2_generic_grad, e2_generic_vjp, [&DVector::from_column_slice(&p[..3]), &Vector2::new(p[3], p[4])], [a, b], POINT);
    let x = [0.3f32, -0.7, 1.1, 0.45];
    let f = |p: &[f32]| {
        e2_f32(
            &DVector::from_column_slice(&p[..2]),
            &Vector2::new(p[2], p[3]),
        )
    };
    let (v, g) = e2_f32_grad(
        &DVector::from_column_slice(&x[..2]),
        &Vector2::new(x[2], x[3]),
    );
    assert_eq!(v.to_bits(), f(&x).to_bits());
    check_f32("e2_f32", &x, f, &[g.a[0], g.a[1], g.b[0], g.b[1]]);
}

// ---- E3: method calls in the closure of `.reduce(..)` after `.chain(..)` ----
#[differentiate]
fn e3_chain_reduce(a: &[f64]) -> f64 {
    a.iter()
        .copied()
        .chain(a.iter().copied())
        .reduce(|p, q| p.max(q))
        .unwrap()
}

#[differentiate]
fn e3_chain_map_path(a: &[f64]) -> f64 {
    a.iter()
        .copied()
        .chain(a.iter().map(|v| -v * 0.5))
        .reduce(f64::max)
        .unwrap()
}

#[differentiate]
fn e3_chain_max_by(a: &[f64], b: &[f64]) -> f64 {
    let m = a
        .iter()
        .chain(b)
        .copied()
        .max_by(|x, y| x.total_cmp(y))
        .unwrap();
    m * a[0]
}

#[differentiate]
fn e3_chain_reduce_f32(a: &[f32]) -> f32 {
    a.iter()
        .copied()
        .chain(a.iter().map(|v| v.sin()))
        .reduce(|p, q| p.min(q) + 0.1 * q)
        .unwrap()
}

#[differentiate]
fn e3_chain_reduce_generic<T: num_traits::Float>(a: &[T]) -> T {
    a.iter()
        .copied()
        .chain(a.iter().map(|v| v.cos()))
        .reduce(|p, q| p.max(q) * q.exp())
        .unwrap()
}

/// With both `num_traits::Float` and `nalgebra::RealField` in scope, `{float}.max` is
/// ambiguous (E0034) rather than unknown.
mod both_traits_in_scope {
    #[allow(unused_imports)]
    use nalgebra::RealField;
    #[allow(unused_imports)]
    use num_traits::Float;
    use tapeless::differentiate;

    #[differentiate]
    pub fn e3_both(a: &[f64]) -> f64 {
        a.iter()
            .copied()
            .chain(a.iter().map(|v| -v))
            .reduce(f64::max)
            .unwrap()
    }

    #[differentiate]
    pub fn e3_both_closure(a: &[f64]) -> f64 {
        a.iter()
            .copied()
            .chain(a.iter().copied())
            .reduce(|p, q| p.max(q).sin())
            .unwrap()
    }
}
use both_traits_in_scope::*;

#[test]
fn e3_reduce_after_chain() {
    let x = [0.3, -0.7, 1.1, 0.45, -1.3];
    slice!(
        e3_chain_reduce,
        e3_chain_reduce_grad,
        e3_chain_reduce_vjp,
        e3_chain_reduce_jvp,
        E3ChainReduceGrad,
        x
    );
    slice!(
        e3_chain_map_path,
        e3_chain_map_path_grad,
        e3_chain_map_path_vjp,
        e3_chain_map_path_jvp,
        E3ChainMapPathGrad,
        x
    );
    // The negated half wins when all are negative.
    slice!(
        e3_chain_map_path,
        e3_chain_map_path_grad,
        e3_chain_map_path_vjp,
        e3_chain_map_path_jvp,
        E3ChainMapPathGrad,
        [-0.3, -0.7, -1.1]
    );
    probe!(p => e3_chain_max_by, e3_chain_max_by_grad, e3_chain_max_by_vjp, [&p[..2], &p[2..]], [a, b], x);
    probe!(p => e3_chain_reduce_generic, e3_chain_reduce_generic_grad, e3_chain_reduce_generic_vjp, [p], [a], x);
    probe!(p => e3_both, e3_both_grad, e3_both_vjp, [p], [a], x);
    probe!(p => e3_both_closure, e3_both_closure_grad, e3_both_closure_vjp, [p], [a], x);
    let x = [0.3f32, -0.7, 1.1, 0.45];
    let (v, g) = e3_chain_reduce_f32_grad(&x);
    assert_eq!(v.to_bits(), e3_chain_reduce_f32(&x).to_bits());
    check_f32("e3_chain_reduce_f32", &x, e3_chain_reduce_f32, &g.a);
}

// ---- E4: `total_cmp` in `#[differentiate(hessian)]` functions ----
#[differentiate(hessian)]
fn e4_max_by(a: &[f64]) -> f64 {
    let m = a.iter().copied().max_by(|x, y| x.total_cmp(y)).unwrap();
    m * m * a[0]
}

#[differentiate(hessian)]
fn e4_branch(x: f64, y: f64) -> f64 {
    if x.total_cmp(&y).is_gt() {
        x * y * y
    } else {
        y.sin() * x
    }
}

#[differentiate(hessian)]
fn e4_f32(a: &[f32]) -> f32 {
    let m = a.iter().copied().min_by(|x, y| x.total_cmp(y)).unwrap();
    m * a[1] * a[1]
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
    for (i, (row, fd_row)) in h.iter().zip(fd).enumerate() {
        for (j, (a, b)) in row.iter().zip(fd_row).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0),
                "{what}: H[{i}][{j}] = {a}, finite differences {b}"
            );
        }
    }
}

#[test]
fn e4_total_cmp_in_hessian_functions() {
    let x = [0.3, -0.7, 1.1, 0.45];
    slice!(
        e4_max_by,
        e4_max_by_grad,
        e4_max_by_vjp,
        e4_max_by_jvp,
        E4MaxByGrad,
        x
    );
    let fd = fd_hessian(&x, |p| e4_max_by_grad(p).1.a);
    let h: Vec<Vec<f64>> = (0..4)
        .map(|j| {
            let mut v = vec![0.0; 4];
            v[j] = 1.0;
            e4_max_by_hvp(&x, &E4MaxByGrad { a: v }).2.a
        })
        .collect();
    assert_hessian("e4_max_by", &h, &fd);
    for (x, y) in [(0.8, 0.3), (0.3, 0.8)] {
        probe!(p => e4_branch, e4_branch_grad, e4_branch_vjp, [p[0], p[1]], [x, y], [x, y]);
        let fd = fd_hessian(&[x, y], |p| {
            let g = e4_branch_grad(p[0], p[1]).1;
            vec![g.x, g.y]
        });
        let h: Vec<Vec<f64>> = [(1.0, 0.0), (0.0, 1.0)]
            .iter()
            .map(|&(vx, vy)| {
                let g = e4_branch_hvp(x, y, &E4BranchGrad { x: vx, y: vy }).2;
                vec![g.x, g.y]
            })
            .collect();
        assert_hessian("e4_branch", &h, &fd);
    }
    let x = [0.3f32, -0.7, 1.1];
    let (v, g) = e4_f32_grad(&x);
    assert_eq!(v.to_bits(), e4_f32(&x).to_bits());
    check_f32("e4_f32", &x, e4_f32, &g.a);
    // min at a[1] = -0.7: f = a[1]³, H[1][1] = 6·a[1].
    let (_, _, hv) = e4_f32_hvp(
        &x,
        &E4F32Grad {
            a: vec![0.0, 1.0, 0.0],
        },
    );
    assert!((hv.a[1] - 6.0 * -0.7).abs() < 1e-5, "{:?}", hv.a);
}

// ---- E5 and R9: sums and products of integers stay integers ----
#[differentiate]
fn e5_let_typed(a: &[f64], k: &[usize]) -> f64 {
    let c: usize = k.iter().sum();
    a[0] * c as f64
}

#[differentiate]
fn e5_turbofish(a: &[f64], k: &[usize]) -> f64 {
    a[0] * k.iter().sum::<usize>() as f64 + a[1]
}

#[differentiate]
fn e5_product(a: &[f64], k: &[i64]) -> f64 {
    let p = k.iter().map(|v| v * 2).product::<i64>();
    a[1] * p as f64
}

#[differentiate]
fn e5_count(a: &[f64]) -> f64 {
    let c = a.iter().filter(|v| **v > 0.0).map(|_v| 1).sum::<usize>();
    a[0] * c as f64
}

#[differentiate]
fn e5_range_sums(a: &[f64]) -> f64 {
    let n = a.len();
    let s = (0..n).sum::<usize>();
    let t = (0..a.len()).sum::<usize>();
    let p = (1..a.len()).product::<usize>();
    a[0] * (s + t + p) as f64
}

#[differentiate]
fn e5_f32(a: &[f32], k: &[u32]) -> f32 {
    let c: u32 = k.iter().map(|v| v + 1).sum();
    let d: i32 = k.iter().map(|&v| v as i32 - 3).product();
    a[0] * c as f32 + a[1] * d as f32
}

#[differentiate]
fn e5_generic<T: num_traits::Float>(a: &[T], k: &[usize]) -> T {
    let c: usize = k.iter().sum();
    let m = a
        .iter()
        .filter(|v| **v > T::zero())
        .map(|_v| 1)
        .sum::<usize>();
    a[0] * T::from(c + m).unwrap() + a[1] * a[2]
}

#[test]
fn e5_integer_reductions() {
    let x = [0.3, -0.7, 1.1, 0.45];
    let k = [2usize, 5, 7];
    probe!(p => e5_let_typed, e5_let_typed_grad, e5_let_typed_vjp, [p, &k], [a], x);
    assert_eq!(e5_let_typed_grad(&x, &k).1.a, vec![14.0, 0.0, 0.0, 0.0]);
    probe!(p => e5_turbofish, e5_turbofish_grad, e5_turbofish_vjp, [p, &k], [a], x);
    let ki = [2i64, -3, 4];
    probe!(p => e5_product, e5_product_grad, e5_product_vjp, [p, &ki], [a], x);
    assert_eq!(e5_product_grad(&x, &ki).1.a, vec![0.0, -192.0, 0.0, 0.0]);
    slice!(
        e5_count,
        e5_count_grad,
        e5_count_vjp,
        e5_count_jvp,
        E5CountGrad,
        x
    );
    assert_eq!(e5_count_grad(&x).1.a[0], 3.0);
    slice!(
        e5_range_sums,
        e5_range_sums_grad,
        e5_range_sums_vjp,
        e5_range_sums_jvp,
        E5RangeSumsGrad,
        x
    );
    // s = t = 0 + 1 + 2 + 3, p = 1·2·3.
    assert_eq!(e5_range_sums_grad(&x).1.a[0], 18.0);
    probe!(p => e5_generic, e5_generic_grad, e5_generic_vjp, [p, &k], [a], x);
    let (x, k) = ([0.3f32, -0.7], [1u32, 4]);
    let (v, g) = e5_f32_grad(&x, &k);
    assert_eq!(v.to_bits(), e5_f32(&x, &k).to_bits());
    check_f32("e5_f32", &x, |p| e5_f32(p, &k), &g.a);
    assert_eq!(g.a, vec![7.0, -2.0]); // c = 2 + 5, d = (1 - 3)·(4 - 3)
}

// ---- E6: `#[custom_vjp]` methods whose `self` holds two float types ----
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Pair<T, S> {
    pub t: T,
    pub s: S,
}

/// d(t·x)/dt = x, d/dx = t; `s` does not enter.
fn pair_rule<T: num_traits::Float, S: num_traits::Float>(
    p: &Pair<T, S>,
    x: T,
    seed: T,
) -> (Pair<T, S>, T) {
    (
        Pair {
            t: seed * x,
            s: S::zero(),
        },
        seed * p.t,
    )
}

#[differentiate]
impl<T: num_traits::Float, S: num_traits::Float> Pair<T, S> {
    #[tapeless::custom_vjp(pair_rule)]
    pub fn scaled(&self, x: T) -> T {
        self.t * x
    }
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Mix {
    pub t: f64,
    pub s: f32,
}

/// d(t·x + s)/dt = x, d/ds = 1, d/dx = t.
fn mix_rule(m: &Mix, x: f64, seed: f64) -> (Mix, f64) {
    (
        Mix {
            t: seed * x,
            s: seed as f32,
        },
        seed * m.t,
    )
}

#[differentiate]
impl Mix {
    #[tapeless::custom_vjp(mix_rule)]
    pub fn value(&self, x: f64) -> f64 {
        self.t * x + self.s as f64
    }
}

#[test]
fn e6_custom_vjp_methods_over_two_float_types() {
    let p = Pair {
        t: 1.5f64,
        s: 0.25f32,
    };
    let (v, g) = p.scaled_grad(-0.4);
    assert_eq!(v.to_bits(), p.scaled(-0.4).to_bits());
    assert_eq!((g.self_.t, g.self_.s, g.x), (-0.4, 0.0, 1.5));
    // ⟨∇, v⟩ along (ṫ, ṡ, ẋ) = (0.3, 2.0, -1.0): x·ṫ + t·ẋ.
    let (value, dy) = p.scaled_jvp(
        -0.4,
        &PairScaledGrad {
            self_: Pair { t: 0.3, s: 2.0 },
            x: -1.0,
        },
    );
    assert_eq!(value.to_bits(), v.to_bits());
    assert!((dy - (-0.4 * 0.3 + 1.5 * -1.0)).abs() < 1e-12, "{dy}");
    let m = Mix { t: 0.7, s: -1.25 };
    let f = |q: &[f64]| {
        Mix {
            t: q[0],
            s: q[1] as f32,
        }
        .value(q[2])
    };
    let (v, g) = m.value_grad(2.0);
    assert_eq!(v.to_bits(), m.value(2.0).to_bits());
    let fd = tapeless::check::central_difference(&f, &[0.7, -1.25, 2.0]);
    // The `f32` field's difference quotient carries its rounding: a looser tolerance.
    for ((a, b), tol) in [g.self_.t, f64::from(g.self_.s), g.x]
        .iter()
        .zip(&fd)
        .zip([1e-6, 1e-3, 1e-6])
    {
        assert!((a - b).abs() < tol, "{a} vs {b}");
    }
    let (_, dy) = m.value_jvp(
        2.0,
        &MixValueGrad {
            self_: Mix { t: 0.5, s: 3.0 },
            x: -2.0,
        },
    );
    assert!((dy - (2.0 * 0.5 + 3.0 + 0.7 * -2.0)).abs() < 1e-12, "{dy}");
}

// ---- R2: `.skip(k)` / `.take(k)` on ranges, also after `.rev()` and `.skip(j)` ----
#[differentiate]
fn r2_take_of_computed_start(a: &[f64], k: usize) -> f64 {
    let n = a.len();
    let mut s = 0.0;
    for i in (k.min(n)..n).take(2) {
        s += a[i] * a[i];
    }
    s
}

#[differentiate]
fn r2_rev_skip(a: &[f64], k: usize) -> f64 {
    let n = a.len();
    let mut s = 0.0;
    for i in (0..n).rev().skip(k) {
        s = s * 0.5 + a[i].sin();
    }
    s
}

#[differentiate]
fn r2_rev_take(a: &[f64], k: usize) -> f64 {
    let mut s = 1.0;
    for i in (1..a.len()).rev().take(k) {
        s = s * a[i] + a[i - 1];
    }
    s
}

#[differentiate]
fn r2_skip_take(a: &[f64], k: usize) -> f64 {
    let n = a.len();
    let mut s = 0.0;
    for i in (0..n).skip(k).take(2) {
        s += a[i].exp();
    }
    s
}

#[differentiate]
fn r2_generic<T: num_traits::Float>(a: &[T], k: usize) -> T {
    let mut s = T::zero();
    for i in (0..a.len()).rev().skip(k).take(2) {
        s = s + a[i] * a[i];
    }
    s
}

#[differentiate]
fn r2_f32(a: &[f32], k: usize) -> f32 {
    let mut s = 0.0;
    for i in (0..a.len()).skip(k).take(3) {
        s += a[i] * a[i] * a[i];
    }
    s
}

/// The plain loops the adaptors mean, to compare the iterations against.
fn r2_expected(a: &[f64], indices: impl Iterator<Item = usize>) -> Vec<f64> {
    let mut g = vec![0.0; a.len()];
    for i in indices {
        g[i] += 2.0 * a[i];
    }
    g
}

#[test]
fn r2_range_adaptors() {
    let x = [0.3, -0.7, 1.1, 0.45, -1.3];
    for k in [0, 1, 3, 4, 5, 7] {
        probe!(p => r2_take_of_computed_start, r2_take_of_computed_start_grad, r2_take_of_computed_start_vjp, [p, k], [a], x);
        let n = x.len();
        assert_eq!(
            r2_take_of_computed_start_grad(&x, k).1.a,
            r2_expected(&x, (k.min(n)..n).take(2)),
            "k = {k}"
        );
        probe!(p => r2_rev_skip, r2_rev_skip_grad, r2_rev_skip_vjp, [p, k], [a], x);
        probe!(p => r2_rev_take, r2_rev_take_grad, r2_rev_take_vjp, [p, k], [a], x);
        probe!(p => r2_skip_take, r2_skip_take_grad, r2_skip_take_vjp, [p, k], [a], x);
        probe!(p => r2_generic, r2_generic_grad, r2_generic_vjp, [p, k], [a], x);
        assert_eq!(
            r2_generic_grad(&x, k).1.a,
            r2_expected(&x, (0..n).rev().skip(k).take(2)),
            "k = {k}"
        );
        let y = [0.3f32, -0.7, 1.1, 0.45];
        let (v, g) = r2_f32_grad(&y, k);
        assert_eq!(v.to_bits(), r2_f32(&y, k).to_bits());
        check_f32("r2_f32", &y, |p| r2_f32(p, k), &g.a);
    }
}

// ---- R3: `|_| y` and `|v: f64| ..` map closures ----
#[differentiate]
fn r3_wildcard(x: &DVector<f64>, y: f64) -> f64 {
    x.map(|_| y * y).sum() + x.map(|v: f64| v * y).sum()
}

#[differentiate]
fn r3_generic<T: RealField + Copy>(x: &DVector<T>, y: T) -> T {
    x.map(|_: T| y.sin()).dot(&x.map(|v: T| v * y))
}

#[differentiate]
fn r3_f32(x: &DVector<f32>, y: f32) -> f32 {
    x.map(|_| y).component_mul(x).sum()
}

#[test]
fn r3_map_closure_patterns() {
    let x = [0.3, -0.7, 1.1, 0.45];
    probe!(p => r3_wildcard, r3_wildcard_grad, r3_wildcard_vjp, [&DVector::from_column_slice(&p[..3]), p[3]], [x, y], x);
    probe!(p => r3_generic, r3_generic_grad, r3_generic_vjp, [&DVector::from_column_slice(&p[..3]), p[3]], [x, y], x);
    let z = [0.3f32, -0.7, 1.1, 0.45];
    let f = |p: &[f32]| r3_f32(&DVector::from_column_slice(&p[..3]), p[3]);
    let (v, g) = r3_f32_grad(&DVector::from_column_slice(&z[..3]), z[3]);
    assert_eq!(v.to_bits(), f(&z).to_bits());
    check_f32("r3_f32", &z, f, &[g.x[0], g.x[1], g.x[2], g.y]);
}

// ---- R5: `vec![..]` of active values as the block's value ----
#[differentiate]
fn r5_vec_value(a: &[f64]) -> Vec<f64> {
    let n = a[1] * 2.0;
    vec![a[0] / n, n, a[0].sin()]
}

#[differentiate]
fn r5_generic<T: num_traits::Float>(a: &[T]) -> Vec<T> {
    vec![a[0] * a[1], a[1].exp()]
}

#[differentiate]
fn r5_f32(a: &[f32]) -> Vec<f32> {
    vec![a[0] * a[1], a[1] / a[0]]
}

#[test]
fn r5_vec_literal_as_the_value() {
    let x = [0.3, -0.7];
    let w = [0.6, -1.5, 2.0];
    let (value, g) = r5_vec_value_vjp(&x, w.to_vec());
    assert_eq!(value, r5_vec_value(&x));
    // ⟨w, f⟩ has the gradient Jᵀw.
    let fd = tapeless::check::central_difference(
        |p: &[f64]| r5_vec_value(p).iter().zip(&w).map(|(a, b)| a * b).sum(),
        &x,
    );
    for (a, b) in g.a.iter().zip(&fd) {
        assert!((a - b).abs() < 1e-7, "{a} vs {b}");
    }
    let (value, g) = r5_generic_vjp(&x, vec![0.5, 2.0]);
    assert_eq!(value, r5_generic(&x));
    assert_eq!(g.a, vec![0.5 * -0.7, 0.5 * 0.3 + 2.0 * (-0.7f64).exp()]);
    let y = [0.5f32, 2.0];
    let (value, g) = r5_f32_vjp(&y, vec![1.0, 1.0]);
    assert_eq!(value, r5_f32(&y));
    check_f32("r5_f32", &y, |p| r5_f32(p).iter().sum(), &g.a);
}

// ---- R11, R12: a collected vector reassigned whole; a `let` shadowing its chain's source ----
#[differentiate]
fn r11_reassign(x: &[f64]) -> f64 {
    let mut v: Vec<f64> = x.iter().map(|t| t.sin()).collect();
    let d: Vec<f64> = v.iter().map(|q| q * 2.0).collect();
    v = d;
    v[0] * v[1]
}

#[differentiate]
fn r12_shadow(x: &[f64]) -> f64 {
    let x: Vec<f64> = x.iter().map(|q| q * q).collect();
    x[0] * x[1] + x[2]
}

#[differentiate]
fn r12_shadow_pairs(v: &[f64]) -> f64 {
    let v: Vec<f64> = v.iter().zip(v.iter().skip(1)).map(|(p, q)| q - p).collect();
    v[0] * v[1]
}

#[differentiate]
fn r12_generic<T: num_traits::Float>(x: &[T]) -> T {
    let x: Vec<T> = x.iter().map(|q| q.exp()).collect();
    let mut y: Vec<T> = x.iter().map(|q| *q * *q).collect();
    let z = y[1];
    y = x;
    y[0] * y[2] + z
}

#[differentiate]
fn r12_f32(x: &[f32]) -> f32 {
    let x: Vec<f32> = x.iter().map(|q| q * 3.0).collect();
    x[0] * x[1]
}

#[test]
fn r11_r12_collected_vectors_rebound() {
    let x = [0.3, -0.7, 1.1, 0.45];
    probe!(p => r11_reassign, r11_reassign_grad, r11_reassign_vjp, [p], [x], x);
    probe!(p => r12_shadow, r12_shadow_grad, r12_shadow_vjp, [p], [x], x);
    probe!(p => r12_shadow_pairs, r12_shadow_pairs_grad, r12_shadow_pairs_vjp, [p], [v], x);
    probe!(p => r12_generic, r12_generic_grad, r12_generic_vjp, [p], [x], x);
    let y = [0.3f32, -0.7];
    let (v, g) = r12_f32_grad(&y);
    assert_eq!(v.to_bits(), r12_f32(&y).to_bits());
    check_f32("r12_f32", &y, r12_f32, &g.x);
}

// ---- R13: counting a filtered zip ----
#[differentiate]
fn r13_zip_count(a: &[f64], b: &[f64]) -> f64 {
    let c = a.iter().zip(b).filter(|(p, q)| **p < **q).count();
    a[0] * c as f64 + b[1]
}

#[differentiate]
fn r13_generic<T: num_traits::Float>(a: &[T], b: &[T]) -> T {
    let c = a.iter().zip(b.iter()).filter(|&(p, q)| *p > *q).count();
    a[1] * T::from(c).unwrap()
}

#[test]
fn r13_filtered_zip_count() {
    let x = [0.3, -0.7, 1.1, 0.45, 0.2, 0.0];
    probe!(p => r13_zip_count, r13_zip_count_grad, r13_zip_count_vjp, [&p[..3], &p[3..]], [a, b], x);
    // 0.3 < 0.45 and -0.7 < 0.2, not 1.1 < 0.0: two pairs.
    assert_eq!(r13_zip_count_grad(&x[..3], &x[3..]).1.a[0], 2.0);
    probe!(p => r13_generic, r13_generic_grad, r13_generic_vjp, [&p[..3], &p[3..]], [a, b], x);
    assert_eq!(r13_generic_grad(&x[..3], &x[3..]).1.a[1], 1.0);
}

// ---- README: closures that assign to a capture, where they are lowered in place ----
#[differentiate]
fn closure_assigns_in_map(x: &DVector<f64>, y: f64) -> f64 {
    let mut c = y;
    let m = x.map(|v| {
        c += v;
        c * v
    });
    m.sum() + c
}

#[differentiate]
fn closure_assigns_in_chain(x: &[f64], y: f64) -> f64 {
    let mut c = y;
    let s: f64 = x
        .iter()
        .map(|v| {
            c += v;
            c * v
        })
        .sum();
    s + c
}

#[differentiate]
fn closure_assigns_in_fold<T: num_traits::Float>(x: &[T], y: T) -> T {
    let mut c = y;
    let half = T::from(0.5).unwrap();
    let s = x.iter().fold(T::zero(), |acc, v| {
        c = c * half;
        acc + c * *v
    });
    s + c
}

#[test]
fn closures_assigning_captures_in_map_chain_and_fold() {
    let x = [0.3, -0.7, 1.1, 0.45];
    probe!(p => closure_assigns_in_map, closure_assigns_in_map_grad, closure_assigns_in_map_vjp, [&DVector::from_column_slice(&p[..3]), p[3]], [x, y], x);
    probe!(p => closure_assigns_in_chain, closure_assigns_in_chain_grad, closure_assigns_in_chain_vjp, [&p[..3], p[3]], [x, y], x);
    probe!(p => closure_assigns_in_fold, closure_assigns_in_fold_grad, closure_assigns_in_fold_vjp, [&p[..3], p[3]], [x, y], x);
}

/// The workaround the README gives for element-wise operators of mixed dimension kinds.
#[differentiate]
fn e2_same_kinds(a: &DVector<f64>, b: &Vector2<f64>) -> f64 {
    let s = a.fixed_rows::<2>(0) + b;
    let d = b - a.fixed_rows::<2>(1);
    s.component_mul(&d).sum()
}

#[test]
fn e2_elementwise_of_fixed_views() {
    probe!(p => e2_same_kinds, e2_same_kinds_grad, e2_same_kinds_vjp, [&DVector::from_column_slice(&p[..3]), &Vector2::new(p[3], p[4])], [a, b], POINT);
}

// ---- R1: `.step_by(k)` after `.chain(..)`, counted across both parts ----
#[differentiate]
fn r1_chain_step_sum(a: &[f64], b: &[f64]) -> f64 {
    a.iter().chain(b).step_by(2).sum()
}

#[differentiate]
fn r1_chain_step_loop(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 1.0;
    for &x in a.iter().chain(b.iter()).step_by(3) {
        if x < -1.0 {
            continue;
        }
        s = s * x + 0.5;
    }
    s
}

#[differentiate]
fn r1_generic<T: num_traits::Float>(a: &[T], b: &[T]) -> T {
    let mut s = T::zero();
    for (i, x) in a.iter().chain(b).step_by(2).enumerate() {
        s = s + *x * *x * T::from(i + 1).unwrap();
    }
    s
}

#[differentiate]
fn r1_f32(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .copied()
        .chain(b.iter().map(|v| v.sin()))
        .step_by(2)
        .product()
}

#[test]
fn r1_step_by_after_chain() {
    let x = [0.3, -0.7, 1.1, 0.45, -1.3, 0.8, 0.25];
    for split in [0, 1, 2, 3, 4, 7] {
        probe!(p => r1_chain_step_sum, r1_chain_step_sum_grad, r1_chain_step_sum_vjp, [&p[..split], &p[split..]], [a, b], x);
        probe!(p => r1_chain_step_loop, r1_chain_step_loop_grad, r1_chain_step_loop_vjp, [&p[..split], &p[split..]], [a, b], x);
        probe!(p => r1_generic, r1_generic_grad, r1_generic_vjp, [&p[..split], &p[split..]], [a, b], x);
        let y = [0.3f32, -0.7, 1.1, 0.45, 1.3];
        let s = split.min(y.len());
        let (v, g) = r1_f32_grad(&y[..s], &y[s..]);
        assert_eq!(v.to_bits(), r1_f32(&y[..s], &y[s..]).to_bits());
        let mut flat = g.a.clone();
        flat.extend(&g.b);
        check_f32("r1_f32", &y, |p| r1_f32(&p[..s], &p[s..]), &flat);
    }
    // Every other element of the chain: a[0], a[2], b[1], b[3] for a split at 3.
    let (_, g) = r1_chain_step_sum_grad(&x[..3], &x[3..]);
    assert_eq!(
        (g.a.clone(), g.b.clone()),
        (vec![1.0, 0.0, 1.0], vec![0.0, 1.0, 0.0, 1.0])
    );
}

#[differentiate]
fn r1_chain_take_sum(a: &[f64], b: &[f64]) -> f64 {
    a.iter().chain(b).take(3).map(|v| v * v).sum()
}

#[differentiate]
fn r1_chain_skip_loop(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in a.iter().chain(b.iter()).skip(2) {
        s = s * 0.5 + x.sin();
    }
    s
}

#[differentiate]
fn r1_filter_take<T: num_traits::Float>(a: &[T]) -> T {
    let mut p = T::one();
    for &x in a.iter().filter(|v| **v > T::zero()).take(2) {
        p = p * x;
    }
    p
}

#[test]
fn r1_skip_and_take_after_chain_and_filter() {
    let x = [0.3, -0.7, 1.1, 0.45, -1.3, 0.8, 0.25];
    for split in [0, 1, 2, 3, 4, 7] {
        probe!(p => r1_chain_take_sum, r1_chain_take_sum_grad, r1_chain_take_sum_vjp, [&p[..split], &p[split..]], [a, b], x);
        probe!(p => r1_chain_skip_loop, r1_chain_skip_loop_grad, r1_chain_skip_loop_vjp, [&p[..split], &p[split..]], [a, b], x);
    }
    probe!(p => r1_filter_take, r1_filter_take_grad, r1_filter_take_vjp, [p], [a], x);
    // The first two positive elements, 0.3 and 1.1.
    assert_eq!(
        r1_filter_take_grad(&x).1.a,
        vec![1.1, 0.0, 0.3, 0.0, 0.0, 0.0, 0.0]
    );
}

// ---- the same idioms under `hessian` (the generic copy run over dual numbers) ----
#[differentiate(hessian)]
fn hess_chain_reduce(a: &[f64]) -> f64 {
    let m = a
        .iter()
        .copied()
        .chain(a.iter().map(|v| v * v))
        .reduce(|p, q| p.max(q).sin() + q)
        .unwrap();
    m * a[0]
}

#[differentiate(hessian)]
fn hess_integer_sums(a: &[f64], k: &[usize]) -> f64 {
    let c: usize = k.iter().sum();
    let m = a
        .iter()
        .zip(a.iter().skip(1))
        .filter(|(p, q)| **p < **q)
        .count();
    let mut s = 0.0;
    for i in (0..a.len()).rev().skip(1) {
        s = s * a[i] + (c + m) as f64;
    }
    for &x in a.iter().chain(a.iter()).step_by(3) {
        s += x * x * x;
    }
    s
}

#[differentiate(hessian)]
fn hess_view_rows(a: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() - 1 {
        let w = a.rows(i, 2);
        s += w[1] * w[0] * w[0];
    }
    s + a.rows(0, 2).map(|v| v.exp()).sum()
}

#[test]
fn hessians_of_this_sessions_idioms() {
    let x = [0.3, -0.7, 1.1, 0.45];
    let hv = |j: usize| {
        let mut v = vec![0.0; 4];
        v[j] = 1.0;
        v
    };
    let h: Vec<Vec<f64>> = (0..4)
        .map(|j| {
            hess_chain_reduce_hvp(&x, &HessChainReduceGrad { a: hv(j) })
                .2
                .a
        })
        .collect();
    assert_hessian(
        "hess_chain_reduce",
        &h,
        &fd_hessian(&x, |p| hess_chain_reduce_grad(p).1.a),
    );
    let k = [2usize, 3];
    probe!(p => hess_integer_sums, hess_integer_sums_grad, hess_integer_sums_vjp, [p, &k], [a], x);
    let h: Vec<Vec<f64>> = (0..4)
        .map(|j| {
            hess_integer_sums_hvp(&x, &k, &HessIntegerSumsGrad { a: hv(j) })
                .2
                .a
        })
        .collect();
    assert_hessian(
        "hess_integer_sums",
        &h,
        &fd_hessian(&x, |p| hess_integer_sums_grad(p, &k).1.a),
    );
    let a = DVector::from_column_slice(&x);
    let h: Vec<Vec<f64>> = (0..4)
        .map(|j| {
            let v = DVector::from_column_slice(&hv(j));
            hess_view_rows_hvp(&a, &HessViewRowsGrad { a: v })
                .2
                .a
                .as_slice()
                .to_vec()
        })
        .collect();
    let fd = fd_hessian(&x, |p| {
        hess_view_rows_grad(&DVector::from_column_slice(p))
            .1
            .a
            .as_slice()
            .to_vec()
    });
    assert_hessian("hess_view_rows", &h, &fd);
}

// Compositions of the counted adaptors with `enumerate`, `filter` and `break`: the value is
// checked bit for bit against the function as written, so a miscounted element shows.
#[differentiate]
fn r1_compositions(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, x) in a.iter().chain(b).take(5).enumerate() {
        s += x * (i as f64 + 1.0);
    }
    for (i, x) in a.iter().chain(b).enumerate().skip(1) {
        s += x.sin() * i as f64;
    }
    for &x in a.iter().chain(b).filter(|v| **v > 0.0).step_by(2).skip(1) {
        if x > 1.0 {
            break;
        }
        s = s * x;
    }
    s
}

#[test]
fn r1_counted_adaptor_compositions() {
    let x = [0.3, -0.7, 1.1, 0.45, -1.3, 0.8, 0.25, 0.6];
    for split in [0, 2, 3, 5, 8] {
        probe!(p => r1_compositions, r1_compositions_grad, r1_compositions_vjp, [&p[..split], &p[split..]], [a, b], x);
    }
}

// Users' names like the rewrites' temporaries (`unused`, `count`, `keep`, `k`, `acc`,
// `element`, `collected`, `first`).
#[differentiate]
fn hygiene_names(x: &DVector<f64>, a: &[f64], unused: f64) -> f64 {
    let count = 2usize;
    let keep = unused * 0.5;
    let k = 1usize;
    let m = x.map(|_| unused * keep);
    let mut s = m.sum();
    for (i, &element) in a.iter().chain(a.iter()).step_by(count).skip(k).enumerate() {
        s += element * keep * (i + count) as f64;
    }
    let acc = a
        .iter()
        .copied()
        .chain(a.iter().copied())
        .reduce(|first, q| first.max(q) * keep)
        .unwrap();
    let collected: Vec<f64> = a.iter().map(|collected| collected * unused).collect();
    s + acc + collected[1]
}

#[test]
fn hygiene_of_the_new_rewrites() {
    let x = [0.3, -0.7, 1.1, 0.45, -1.3, 0.8];
    probe!(p => hygiene_names, hygiene_names_grad, hygiene_names_vjp, [&DVector::from_column_slice(&p[..2]), &p[2..5], p[5]], [x, a, unused], x);
}

// ---- E1: iterating a view (`m.column(j).iter()`) ----
#[differentiate]
fn e1_iterate_columns(m: &DMatrix<f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..m.ncols() {
        for &v in m.column(j).iter() {
            s += v * v * (j as f64 + 1.0);
        }
        s += m.column(j).iter().map(|v| v.sin()).sum::<f64>();
    }
    s
}

#[differentiate]
fn e1_iterate_rows_generic<T: RealField + Copy>(a: &DVector<T>) -> T {
    let mut s = T::zero();
    for i in 0..a.len() - 1 {
        for (k, v) in a.rows(i, 2).iter().enumerate() {
            s += *v * a[i + 1 - k];
        }
    }
    s
}

#[differentiate]
fn e1_iterate_f32(m: &DMatrix<f32>) -> f32 {
    let mut s = 0.0;
    for j in 0..m.ncols() {
        for v in m.column(j).iter().skip(1) {
            s += v.exp();
        }
    }
    s
}

#[test]
fn e1_views_iterated() {
    let x = [0.3, -0.7, 1.1, 0.45, -1.3, 0.8];
    probe!(p => e1_iterate_columns, e1_iterate_columns_grad, e1_iterate_columns_vjp, [&DMatrix::from_column_slice(2, 3, p)], [m], x);
    probe!(p => e1_iterate_rows_generic, e1_iterate_rows_generic_grad, e1_iterate_rows_generic_vjp, [&DVector::from_column_slice(p)], [a], x);
    let y = [0.3f32, -0.7, 1.1, 0.45, -1.3, 0.8];
    let f = |p: &[f32]| e1_iterate_f32(&DMatrix::from_column_slice(3, 2, p));
    let (v, g) = e1_iterate_f32_grad(&DMatrix::from_column_slice(3, 2, &y));
    assert_eq!(v.to_bits(), f(&y).to_bits());
    check_f32("e1_iterate_f32", &y, f, g.m.as_slice());
}

/// `.skip(k)` of a `DVector`'s elements: a sub-slice of its contiguous storage.
#[differentiate]
fn e1_dvector_skip(a: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for (v, w) in a.iter().zip(a.iter().skip(1)) {
        s += v * w;
    }
    for v in a.iter().skip(2) {
        s += v.exp();
    }
    s
}

#[test]
fn e1_dvector_elements_skipped() {
    dvec!(
        e1_dvector_skip,
        e1_dvector_skip_grad,
        e1_dvector_skip_vjp,
        e1_dvector_skip_jvp,
        E1DvectorSkipGrad,
        POINT
    );
}
