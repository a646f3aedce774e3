//! QA session 30b: adversarial probes of today's changes (e055d3c carried values of changing
//! shape, 672141c `v = chain.collect();`, 8cb47d7 elements and methods), at eff8fd2.
//! Each probe checks the value against the function, the gradient against central
//! differences or a closed form, and `f_jvp` by the dot-product test where supported.
//! Failing probes are disabled (`#[cfg(any())]`) with a `// BUG (Bn)` or `// CLEAN REJECTION`
//! comment giving the exact error:
//! - B1: a carried Vec whose elements are not floats (`Vec<[f64; 2]>`, `Vec<Vec<f64>>`,
//!   `Vec<Vector3>`, `Vec<DVector>`) changing length, whose values the reverse sweep does not
//!   restore: its shape is not kept (FixedShape fallback), the adjoint has the next
//!   iteration's length: debug panic "tapeless: adjoint index out of bounds", release an
//!   all-zero (wrong) gradient. (kk1, kk2, kk4, kk6, b1_minimal)
//! - B2: an element of a local container of non-float elements (`let rows = xs.to_vec();`
//!   then `rows[0].iter()`, `vs[0].sum()`, `ps[1].x`): rustc errors inside the generated code
//!   (also at a17af91). (m11c, m11d, m19c, c31, c32, mc32, mc32c, p11, p19)
//! - B3: an element of a field's container of `Copy` non-float elements used as a value
//!   (`let p = net.pts[0];` for `Vec<Vector3<f64>>`, `let t = net.tri[0];` for
//!   `Vec<[f64; 3]>`, `let m = net.ms[0];` for `Vec<Matrix2<f64>>`) is typed as a float: rustc
//!   E0308/E0277 inside the generated code. A REGRESSION from 8cb47d7 (these pass at a17af91).
//!   (mf2a, b3c, b3d; mf2b and f2 `x * net.pts[i]` also fail at a17af91)
//! - B4: a user method named like a rule (`norm`, `exp`, `dot`) on a parameter or element of
//!   the user's own type is taken for the rule: rustc E0308 in norm_vjp etc. (me5a, e5, e5b)
//! - B5: a by-value array of parameter structs (`arr: [Unit2; 2]`), fields or methods of its
//!   elements: rustc E0507 "cannot move out of a shared reference". (me9b, me9e, e9)
//!
//! Since (the commit after this pass): B1, B2 and B3 are fixed and their probes enabled
//! (marked `FIXED`): a carried value of any other type keeps its zero adjoint per iteration;
//! copies of containers and a loop's versions of one read their elements as the original
//! does; a field's container reads an element used as a value by value, its adjoint shaped
//! like it. Still open (README's known limitations): B4 (a user's method named like a rule on
//! a parameter or element stays the rule's: the macro cannot tell a struct of one's own from
//! a type alias of a nalgebra type, `type V2 = SVector<f64, 2>`, whose `h.dot(&x)` is the
//! rule) and arithmetic on an element of a field's container of static vectors
//! (`x * net.pts[i]`, f2, mf2b). B5 is fixed too (an array of structs or vectors by value is
//! owned, not `Copy`).
#![allow(
    clippy::needless_range_loop,
    clippy::ptr_arg,
    clippy::manual_memcpy,
    dead_code
)]

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;
use tapeless::nalgebra::{DMatrix, DVector, RealField, Vector3};

#[track_caller]
fn check(f: impl FnMut(&[f64]) -> f64, x: &[f64], g: &[f64]) {
    if let Err(e) = check_gradient(f, x, g, Tolerance::default()) {
        panic!("{e}\nanalytic {g:?}");
    }
}

const X: [f64; 9] = [0.3, 0.5, -0.7, 1.1, 0.9, 0.2, 0.4, 0.6, -0.1];
const V: [f64; 9] = [0.2, -0.4, 0.1, 0.7, -0.3, 0.5, -0.6, 0.8, 0.25];

#[track_caller]
fn dot_test(g: &[f64], jvp: f64) {
    let dot: f64 = g.iter().zip(&V).map(|(a, b)| a * b).sum();
    assert!(
        (dot - jvp).abs() <= 1e-10 * (1.0 + dot.abs()),
        "{dot} vs {jvp}"
    );
}

// ---------------------------------------------------------------- carried shapes

// P1: generic T: Float, the carried Vec's values are not needed (kept length).
#[differentiate]
fn p1_generic_kept<T: Float>(x: &[T]) -> T {
    let mut v = x.to_vec();
    let mut k = 0;
    let mut s = T::zero();
    while k < 3 {
        s = s + v.iter().fold(T::zero(), |a, b| a + *b);
        k += 1;
        v = x[k..].to_vec();
    }
    s
}

#[test]
fn p1() {
    let (value, g) = p1_generic_kept_grad(&X);
    assert_eq!(value, p1_generic_kept(&X));
    check(p1_generic_kept, &X, &g.x);
    let (_, g32) = p1_generic_kept_grad(&[1.0f32, 2.0, 3.0, 4.0]);
    assert_eq!(g32.x, vec![1.0, 2.0, 3.0, 3.0]);
}

// P2: generic RealField DVector shrinking, kept dims.
#[differentiate]
fn p2_generic_dvector<T: RealField + Copy>(x: &DVector<T>) -> T {
    let mut v = x.clone();
    let mut s = T::zero();
    while v.len() > 1 {
        s += v.sum();
        v = v.rows(0, v.len() - 1).into_owned();
    }
    s
}

#[test]
fn p2() {
    let x = DVector::from_column_slice(&X[..4]);
    let (value, g) = p2_generic_dvector_grad(&x);
    assert_eq!(value, p2_generic_dvector(&x));
    check(
        |p| p2_generic_dvector(&DVector::from_column_slice(p)),
        &X[..4],
        g.x.as_slice(),
    );
}

// P3: nested loops: outer shrinks, inner writes by index.
#[differentiate]
fn p3_nested(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    for _ in 0..3 {
        let mut w = vec![0.0; v.len() - 1];
        for i in 0..v.len() - 1 {
            w[i] = v[i] * v[i + 1] + v[i].sin();
        }
        s += w.iter().sum::<f64>();
        v = w;
    }
    s + v[0]
}

#[test]
fn p3() {
    let (value, g) = p3_nested_grad(&X);
    assert_eq!(value, p3_nested(&X));
    check(p3_nested, &X, &g.x);
    let (_, jvp) = p3_nested_jvp(&X, &P3NestedGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// P4: break out of a shrinking loop.
#[differentiate]
fn p4_break(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    loop {
        s += v.iter().map(|t| t * t).sum::<f64>();
        if v.len() <= 4 {
            break;
        }
        v = v.windows(2).map(|w| w[0] * w[1]).collect();
    }
    s
}

#[test]
fn p4() {
    let (value, g) = p4_break_grad(&X);
    assert_eq!(value, p4_break(&X));
    check(p4_break, &X, &g.x);
    let (_, jvp) = p4_break_jvp(&X, &P4BreakGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// P5: continue skipping the shrink on some iterations.
#[differentiate]
fn p5_continue(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    for k in 0..5 {
        s += v[0] * v[v.len() - 1];
        if k % 2 == 0 {
            continue;
        }
        v = v[1..].to_vec();
    }
    s + v.iter().sum::<f64>()
}

#[test]
fn p5() {
    let (value, g) = p5_continue_grad(&X);
    assert_eq!(value, p5_continue(&X));
    check(p5_continue, &X, &g.x);
    let (_, jvp) = p5_continue_jvp(&X, &P5ContinueGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// P6: early return inside a shrinking loop.
#[differentiate]
fn p6_return(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    while v.len() > 1 {
        s += v.iter().sum::<f64>();
        if s > 2.0 {
            return s * v[0];
        }
        v = v[1..].to_vec();
    }
    s
}

#[test]
fn p6() {
    let (value, g) = p6_return_grad(&X);
    assert_eq!(value, p6_return(&X));
    check(p6_return, &X, &g.x);
    let (_, jvp) = p6_return_jvp(&X, &P6ReturnGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// P7: the shape change only in a branch; values not needed by reverse (kept).
#[differentiate]
fn p7_branch(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    for k in 0..6 {
        s += v.iter().sum::<f64>() * (k as f64 + 1.0);
        if k % 3 != 1 {
            v = v[1..].to_vec();
        } else {
            v = v.iter().map(|t| 2.0 * t).collect();
        }
    }
    s
}

#[test]
fn p7() {
    let (value, g) = p7_branch_grad(&X);
    assert_eq!(value, p7_branch(&X));
    check(p7_branch, &X, &g.x);
    let (_, jvp) = p7_branch_jvp(&X, &P7BranchGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// P8: f32 dynamic matrix shrinking.
#[differentiate]
fn p8_f32_matrix(a: &DMatrix<f32>) -> f32 {
    let mut m = a.clone();
    let mut s = 0.0f32;
    while m.ncols() > 1 {
        s += m.sum();
        m = m.columns(1, m.ncols() - 1).into_owned();
    }
    s
}

#[test]
fn p8() {
    let a = DMatrix::from_fn(2, 3, |i, j| (i + j) as f32);
    let (value, g) = p8_f32_matrix_grad(&a);
    assert_eq!(value, p8_f32_matrix(&a));
    let want = DMatrix::from_fn(2, 3, |_, j| [1.0f32, 2.0, 2.0][j]);
    assert_eq!(g.a, want);
}

// P9: hessian of a loop whose carried vector's values are not needed (kept length).
#[differentiate(hessian)]
fn p9_hessian_kept(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut k = 0;
    let mut s = 0.0;
    while k < 3 {
        s += v.iter().sum::<f64>() * x[0];
        k += 1;
        v = x[k..].to_vec();
    }
    s
}

#[test]
fn p9() {
    let x = &X[..5];
    let (value, g, rows) = p9_hessian_kept_hessian(x);
    assert_eq!(value, p9_hessian_kept(x));
    check(p9_hessian_kept, x, &g.x);
    // s = x0 * (S0 + S1 + S2), S_k = sum x[k..]; row 0: d/dx0 of g
    // H[0][j] = number of S_k containing j (+ same count for j=0 twice)
    let counts: Vec<f64> = (0..5).map(|j| (j.min(2) + 1) as f64).collect();
    for i in 0..5 {
        for j in 0..5 {
            let want = if i == 0 && j == 0 {
                2.0 * counts[0]
            } else if i == 0 {
                counts[j]
            } else if j == 0 {
                counts[i]
            } else {
                0.0
            };
            assert!((rows[i].x[j] - want).abs() < 1e-12, "{i} {j} {rows:?}");
        }
    }
}

// P10: hessian through the windows chain in a loop (restored values).
#[differentiate(hessian)]
fn p10_hessian_windows(x: &[f64]) -> f64 {
    let mut v: Vec<f64> = x.to_vec();
    for _ in 0..2 {
        v = v.windows(2).map(|w| w[1] * w[0]).collect();
    }
    v.iter().sum()
}

#[test]
fn p10() {
    let x = &X[..5];
    let (value, g, rows) = p10_hessian_windows_hessian(x);
    assert_eq!(value, p10_hessian_windows(x));
    check(p10_hessian_windows, x, &g.x);
    for j in 0..5 {
        let col: Vec<f64> = rows.iter().map(|r| r.x[j]).collect();
        let gj = |p: &[f64]| p10_hessian_windows_grad(p).1.x[j];
        check(gj, x, &col);
    }
}

// P11: Vec<Vec<f64>> carried, rows dropped each iteration (values not needed).
// FIXED (after this pass; was B2): see m11c/m11d: `rows[0].iter()` on a local Vec<Vec<f64>>: E0277 `Vec<f64>: Copy`
// (index::read), `Vec<f64>: FixedZero`, E0507 cannot move out of index of `Vec<Vec<f64>>`.
#[differentiate]
fn p11_nested_vecs(xs: &[Vec<f64>]) -> f64 {
    let mut rows: Vec<Vec<f64>> = xs.to_vec();
    let mut s = 0.0;
    while rows.len() > 1 {
        s += rows[0].iter().sum::<f64>() + rows[rows.len() - 1][0];
        rows = rows[1..].to_vec();
    }
    s
}

#[test]
fn p11() {
    let rows = |p: &[f64]| vec![p[..4].to_vec(), p[4..7].to_vec(), p[7..].to_vec()];
    let (value, g) = p11_nested_vecs_grad(&rows(&X));
    assert_eq!(value, p11_nested_vecs(&rows(&X)));
    let flat: Vec<f64> = g.xs.concat();
    check(|p| p11_nested_vecs(&rows(p)), &X, &flat);
}

// P12: Vec<[f64; 2]> carried, shrinking.
#[differentiate]
fn p12_vec_of_arrays(x: &[[f64; 2]]) -> f64 {
    let mut ps: Vec<[f64; 2]> = x.to_vec();
    let mut s = 0.0;
    while ps.len() > 1 {
        s += ps[0][0] * ps[0][1] + ps[ps.len() - 1][1];
        ps = ps[1..].to_vec();
    }
    s
}

#[test]
fn p12() {
    let arrs = |p: &[f64]| -> Vec<[f64; 2]> { p[..8].chunks(2).map(|c| [c[0], c[1]]).collect() };
    let (value, g) = p12_vec_of_arrays_grad(&arrs(&X));
    assert_eq!(value, p12_vec_of_arrays(&arrs(&X)));
    let flat: Vec<f64> = g.x.concat();
    check(|p| p12_vec_of_arrays(&arrs(p)), &X[..8], &flat);
}

// P13: carried tuple of two Vecs that shrink.
#[differentiate]
fn p13_tuple(x: &[f64]) -> f64 {
    let mut pair = (x.to_vec(), x[1..].to_vec());
    let mut s = 0.0;
    for _ in 0..3 {
        s += pair.0.iter().sum::<f64>() * pair.1[0];
        pair = (pair.1[1..].to_vec(), pair.0[1..].to_vec());
    }
    s
}

#[test]
fn p13() {
    let (value, g) = p13_tuple_grad(&X);
    assert_eq!(value, p13_tuple(&X));
    check(p13_tuple, &X, &g.x);
}

// P14: a shrinking loop called from another differentiated function, in a loop.
#[differentiate]
fn p14_inner(x: &[f64], c: f64) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    while v.len() > 1 {
        s += c * v.iter().sum::<f64>();
        v = v[1..].to_vec();
    }
    s
}

#[differentiate]
fn p14_outer(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += p14_inner(&x[i..], x[i]).sin();
    }
    s
}

#[test]
fn p14() {
    let (value, g) = p14_outer_grad(&X);
    assert_eq!(value, p14_outer(&X));
    check(p14_outer, &X, &g.x);
    let (_, jvp) = p14_outer_jvp(&X, &P14OuterGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// P15: jacobian of a vector-valued function with a shrinking loop.
#[differentiate]
fn p15_vec_out(x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    let mut out = vec![0.0; x.len() - 1];
    let mut k = 0;
    while v.len() > 1 {
        out[k] = v.iter().map(|t| t * t).sum::<f64>();
        k += 1;
        v = v.windows(2).map(|w| w[0] * w[1]).collect();
    }
    out
}

#[test]
fn p15() {
    let x = &X[..5];
    let (value, rows) = p15_vec_out_jacobian(x);
    assert_eq!(value, p15_vec_out(x));
    assert_eq!(rows.len(), 4);
    for (k, row) in rows.iter().enumerate() {
        check(|p| p15_vec_out(p)[k], x, &row.x);
    }
}

// P16: a method whose loop shrinks a copy of a field.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Poly {
    pub c: Vec<f64>,
}

#[differentiate]
impl Poly {
    #[differentiate]
    pub fn deriv_sum(&self, x: f64) -> f64 {
        let mut c = self.c.clone();
        let mut s = 0.0;
        while c.len() > 1 {
            let mut d = vec![0.0; c.len() - 1];
            for i in 0..c.len() - 1 {
                d[i] = c[i + 1] * (i as f64 + 1.0);
            }
            s += d[0] * x;
            c = d;
        }
        s
    }
}

#[differentiate]
fn p16_method(p: &Poly, x: f64) -> f64 {
    p.deriv_sum(x) * x
}

#[test]
fn p16() {
    let p = Poly { c: X[..5].to_vec() };
    let (value, g) = p16_method_grad(&p, 0.7);
    assert_eq!(value, p16_method(&p, 0.7));
    let mut flat = g.p.c.clone();
    flat.push(g.x);
    let mut at = X[..5].to_vec();
    at.push(0.7);
    check(
        |q| p16_method(&Poly { c: q[..5].to_vec() }, q[5]),
        &at,
        &flat,
    );
}

// P17: two carried vectors swapped, one shrinks.
#[differentiate]
fn p17_swap(x: &[f64]) -> f64 {
    let mut a = x.to_vec();
    let mut b = x[..3].to_vec();
    let mut s = 0.0;
    for _ in 0..4 {
        s += a[0] * b[b.len() - 1];
        let t = a[1..].to_vec();
        a = b;
        b = t;
    }
    s
}

#[test]
fn p17() {
    let (value, g) = p17_swap_grad(&X);
    assert_eq!(value, p17_swap(&X));
    check(p17_swap, &X, &g.x);
    let (_, jvp) = p17_swap_jvp(&X, &P17SwapGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// P18: growing by push onto a clone.
#[differentiate]
fn p18_grow(x: &[f64]) -> f64 {
    let mut v = x[..2].to_vec();
    for _ in 0..4 {
        let m = v.len();
        let mut n = vec![0.0; m + 1];
        for i in 0..m {
            n[i] = v[i];
        }
        n[m] = v[m - 1] * v[m - 2];
        v = n;
    }
    v.iter().sum()
}

#[test]
fn p18() {
    let (value, g) = p18_grow_grad(&X[..2]);
    assert_eq!(value, p18_grow(&X[..2]));
    check(p18_grow, &X[..2], &g.x);
}

// P19: Vec<Vector3> carried, shrinking.
// FIXED (after this pass; was B2): see m19c: `ps[ps.len() - 1].x` on a local Vec<Vector3<f64>>: E0282 type
// annotations needed at `#[differentiate]`.
#[differentiate]
fn p19_vec_of_vector3(x: &[Vector3<f64>]) -> f64 {
    let mut ps: Vec<Vector3<f64>> = x.to_vec();
    let mut s = 0.0;
    while ps.len() > 1 {
        s += ps[0].norm() + ps[ps.len() - 1].x;
        ps = ps[1..].to_vec();
    }
    s
}

#[test]
fn p19() {
    let pts =
        |p: &[f64]| -> Vec<Vector3<f64>> { p.chunks(3).map(Vector3::from_column_slice).collect() };
    let (value, g) = p19_vec_of_vector3_grad(&pts(&X));
    assert_eq!(value, p19_vec_of_vector3(&pts(&X)));
    let flat: Vec<f64> = g.x.iter().flat_map(|v| v.iter().copied()).collect();
    check(|p| p19_vec_of_vector3(&pts(p)), &X, &flat);
}

// P20: hessian of a DVector loop with kept dims.
#[differentiate(hessian)]
fn p20_hessian_dvector(x: &DVector<f64>) -> f64 {
    let mut v = x.clone();
    let mut s = 0.0;
    while v.len() > 1 {
        s += v.sum() * x[0];
        v = v.rows(1, v.len() - 1).into_owned();
    }
    s
}

#[test]
fn p20() {
    let x = DVector::from_column_slice(&X[..4]);
    let (value, g, rows) = p20_hessian_dvector_hessian(&x);
    assert_eq!(value, p20_hessian_dvector(&x));
    check(
        |p| p20_hessian_dvector(&DVector::from_column_slice(p)),
        &X[..4],
        g.x.as_slice(),
    );
    for j in 0..4 {
        let col: Vec<f64> = rows.iter().map(|r| r.x[j]).collect();
        let gj = |p: &[f64]| p20_hessian_dvector_grad(&DVector::from_column_slice(p)).1.x[j];
        check(gj, &X[..4], &col);
    }
}

// P21: hvp of a shrinking loop with restored values.
#[differentiate(hessian)]
fn p21_hvp(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    while v.len() > 1 {
        s += (v[0] * v[1]).sin();
        v = v.windows(2).map(|w| w[0] + w[1] * w[1]).collect();
    }
    s
}

#[test]
fn p21() {
    let x = &X[..4];
    let dir = P21HvpGrad { x: V[..4].to_vec() };
    let (value, g, hv) = p21_hvp_hvp(x, &dir);
    assert_eq!(value, p21_hvp(x));
    check(p21_hvp, x, &g.x);
    let (_, _, rows) = p21_hvp_hessian(x);
    for i in 0..4 {
        let want: f64 = (0..4).map(|j| rows[i].x[j] * V[j]).sum();
        assert!((hv.x[i] - want).abs() < 1e-10, "{hv:?} {rows:?}");
        let gi = |p: &[f64]| p21_hvp_grad(p).1.x[i];
        check(gi, x, &rows[i].x);
    }
}

// P22: layers of different widths iterated in reverse, generic RealField.
#[differentiate(wrt(weights))]
fn p22_rev_layers<T: RealField + Copy>(weights: &[DMatrix<T>], x: &DVector<T>) -> T {
    let mut h = x.clone();
    for w in weights.iter().rev() {
        h = w * &h;
    }
    h.norm_squared()
}

#[test]
fn p22() {
    let weights = vec![
        DMatrix::from_fn(2, 4, |i, j| 0.2 * (i * j) as f64 - 0.1),
        DMatrix::from_fn(4, 3, |i, j| 0.1 * (i + 2 * j) as f64 - 0.3),
    ];
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (value, g) = p22_rev_layers_grad(&weights, &x);
    assert_eq!(value, p22_rev_layers(&weights, &x));
    let flat: Vec<f64> = weights.iter().flat_map(|w| w.iter().copied()).collect();
    let unflatten = |p: &[f64]| -> Vec<DMatrix<f64>> {
        let mut at = 0;
        weights
            .iter()
            .map(|w| {
                let m = DMatrix::from_column_slice(w.nrows(), w.ncols(), &p[at..at + w.len()]);
                at += w.len();
                m
            })
            .collect()
    };
    let analytic: Vec<f64> = g.weights.iter().flat_map(|w| w.iter().copied()).collect();
    check(|p| p22_rev_layers(&unflatten(p), &x), &flat, &analytic);
}

// P23: a shrinking inner loop restarted each outer iteration, outer carried also shrinks.
#[differentiate]
fn p23_restart(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    for _ in 0..3 {
        let mut u = v.clone();
        while u.len() > 2 {
            s += u.iter().sum::<f64>() * 0.5;
            u = u[2..].to_vec();
        }
        s += u[0];
        v = v[1..].to_vec();
    }
    s
}

#[test]
fn p23() {
    let (value, g) = p23_restart_grad(&X);
    assert_eq!(value, p23_restart(&X));
    check(p23_restart, &X, &g.x);
    let (_, jvp) = p23_restart_jvp(&X, &P23RestartGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// M11a: no loop
#[differentiate]
fn m11a(xs: &[Vec<f64>]) -> f64 {
    let rows: Vec<Vec<f64>> = xs.to_vec();
    rows[0][1] * rows[1][0]
}

#[test]
fn m11a_t() {
    let xs = vec![vec![1.0, 2.0], vec![3.0]];
    let (v, g) = m11a_grad(&xs);
    assert_eq!(v, 6.0);
    assert_eq!(g.xs, vec![vec![0.0, 3.0], vec![2.0]]);
}

// M11b: carried, no shrink
#[differentiate]
fn m11b(xs: &[Vec<f64>]) -> f64 {
    let mut rows: Vec<Vec<f64>> = xs.to_vec();
    let mut s = 0.0;
    for _ in 0..2 {
        s += rows[0][0];
        rows = rows[1..].to_vec();
    }
    s
}

#[test]
fn m11b_t() {
    let xs = vec![vec![1.0, 2.0], vec![3.0], vec![4.0]];
    let (v, g) = m11b_grad(&xs);
    assert_eq!(v, 4.0);
    assert_eq!(g.xs, vec![vec![1.0, 0.0], vec![1.0], vec![0.0]]);
}

// M11c: element method on a carried Vec<Vec>
// FIXED (after this pass; was B2): E0277 "the trait bound `Vec<f64>: Copy` is not satisfied" (index::read),
// "`Vec<f64>: FixedZero`", E0507 "cannot move out of index of `Vec<Vec<f64>>`", at #[differentiate].
#[differentiate]
fn m11c(xs: &[Vec<f64>]) -> f64 {
    let mut rows: Vec<Vec<f64>> = xs.to_vec();
    let mut s = 0.0;
    for _ in 0..2 {
        s += rows[0].iter().sum::<f64>();
        rows = rows[1..].to_vec();
    }
    s
}

#[test]
fn m11c_t() {
    let xs = vec![vec![1.0, 2.0], vec![3.0], vec![4.0]];
    let (v, g) = m11c_grad(&xs);
    assert_eq!(v, 6.0);
    assert_eq!(g.xs, vec![vec![1.0, 1.0], vec![1.0], vec![0.0]]);
}

// M11d: no loop, method on element of local Vec<Vec>
// FIXED (after this pass; was B2, minimal; also fails at a17af91): a method on an element of a local
// Vec<Vec<f64>>: E0277 `Vec<f64>: Copy` / `Vec<f64>: FixedZero`, E0507 at #[differentiate].
#[differentiate]
fn m11d(xs: &[Vec<f64>]) -> f64 {
    let rows: Vec<Vec<f64>> = xs.to_vec();
    rows[0].iter().sum::<f64>()
}

#[test]
fn m11d_t() {
    let xs = vec![vec![1.0, 2.0], vec![3.0]];
    let (v, g) = m11d_grad(&xs);
    assert_eq!(v, 3.0);
    assert_eq!(g.xs, vec![vec![1.0, 1.0], vec![0.0]]);
}

// M19a: local Vec<Vector3>, no loop
// FIXED (after this pass; was B2): E0282 type annotations needed at #[differentiate] (from `ps[1].x`, see m19c).
#[differentiate]
fn m19a(x: &[Vector3<f64>]) -> f64 {
    let ps: Vec<Vector3<f64>> = x.to_vec();
    ps[0].norm() + ps[1].x
}

#[test]
fn m19a_t() {
    let x = vec![Vector3::new(3.0, 4.0, 0.0), Vector3::new(1.0, 2.0, 3.0)];
    let (v, g) = m19a_grad(&x);
    assert_eq!(v, 6.0);
    // x₀ / |x₀| (to rounding).
    assert!((g.x[0] - Vector3::new(0.6, 0.8, 0.0)).norm() < 1e-15);
    assert_eq!(g.x[1], Vector3::new(1.0, 0.0, 0.0));
}

#[differentiate]
fn m19b(x: &[Vector3<f64>]) -> f64 {
    let ps: Vec<Vector3<f64>> = x.to_vec();
    ps[0].norm()
}

// FIXED (after this pass; was B2, minimal; also fails at a17af91): a field of an element of a local
// Vec<Vector3<f64>>: E0282 "type annotations needed" at #[differentiate].
#[differentiate]
fn m19c(x: &[Vector3<f64>]) -> f64 {
    let ps: Vec<Vector3<f64>> = x.to_vec();
    ps[1].x
}

#[differentiate]
fn m19d(x: &[Vector3<f64>]) -> f64 {
    x[0].norm() + x[1].x
}

#[test]
fn m19bcd_t() {
    let x = vec![Vector3::new(3.0, 4.0, 0.0), Vector3::new(1.0, 2.0, 3.0)];
    let (v, g) = m19b_grad(&x);
    assert_eq!(v, 5.0);
    assert!((g.x[0] - Vector3::new(0.6, 0.8, 0.0)).norm() < 1e-15);
    let (v, g) = m19d_grad(&x);
    assert_eq!(v, 6.0);
    assert_eq!(g.x[1], Vector3::new(1.0, 0.0, 0.0));
}

// M19e: the field of an element of a parameter's slice
#[differentiate]
fn m19e(x: &[Vector3<f64>]) -> f64 {
    x[1].x * x[0].y
}

#[test]
fn m19e_t() {
    let x = vec![Vector3::new(3.0, 4.0, 0.0), Vector3::new(1.0, 2.0, 3.0)];
    let (v, g) = m19e_grad(&x);
    assert_eq!(v, 4.0);
    assert_eq!(g.x[1], Vector3::new(4.0, 0.0, 0.0));
}

// ---------------------------------------------------------------- field containers
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Lin {
    pub w: f64,
    pub b: f64,
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Block {
    pub layers: Vec<Lin>,
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Deep {
    pub block: Block,
    pub pts: Vec<Vector3<f64>>,
    pub tri: Vec<[f64; 3]>,
    pub th: Vec<f64>,
}

// F1: nested field containers.
#[differentiate]
fn f1_nested(net: &Deep, x: f64) -> f64 {
    let mut h = x;
    for i in 0..net.block.layers.len() {
        h = (net.block.layers[i].w * h + net.block.layers[i].b).tanh();
    }
    for l in &net.block.layers {
        h += l.w * l.b;
    }
    h
}

fn deep_of(p: &[f64]) -> Deep {
    Deep {
        block: Block {
            layers: vec![Lin { w: p[0], b: p[1] }, Lin { w: p[2], b: p[3] }],
        },
        pts: vec![
            Vector3::new(p[4], p[5], p[6]),
            Vector3::new(p[7], p[8], p[9]),
        ],
        tri: vec![[p[10], p[11], p[12]]],
        th: vec![p[13], p[14]],
    }
}

fn deep_flat(d: &Deep) -> Vec<f64> {
    let mut out = vec![];
    for l in &d.block.layers {
        out.push(l.w);
        out.push(l.b);
    }
    for p in &d.pts {
        out.extend(p.iter());
    }
    for t in &d.tri {
        out.extend(t.iter());
    }
    out.extend(d.th.iter());
    out
}

const D: [f64; 16] = [
    0.5, -0.3, 1.1, 0.2, 0.3, 0.4, -0.5, 0.9, -0.1, 0.6, 0.25, -0.75, 0.4, 0.8, -0.2, 0.7,
];

#[track_caller]
fn check_deep<G>(
    f: impl Fn(&Deep, f64) -> f64,
    grad: impl Fn(&Deep, f64) -> (f64, G),
    parts: impl Fn(&G) -> (Deep, f64),
) {
    let d = deep_of(&D);
    let (value, g) = grad(&d, D[15]);
    assert_eq!(value, f(&d, D[15]));
    let (gd, gx) = parts(&g);
    let mut flat = deep_flat(&gd);
    flat.push(gx);
    check(|p| f(&deep_of(p), p[15]), &D, &flat);
}

#[test]
fn f1() {
    check_deep(f1_nested, f1_nested_grad, |g| (g.net.clone(), g.x));
}

// F2: Vec<Vector3> field elements used as values.
// KNOWN LIMITATION (B3, also at a17af91; README): E0308 at #[differentiate]: "expected `&mut
// Matrix<f64, _, _, _>`, found `&mut {float}`": `x * net.pts[i]`, arithmetic on an element
// of a field's `Vec<Vector3<f64>>` (its element type is not in the signature).
#[cfg(any())]
#[differentiate]
fn f2_points(net: &Deep, x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..net.pts.len() {
        let p = x * net.pts[i];
        s += p.norm_squared() + net.pts[i].dot(&p);
    }
    s
}

#[cfg(any())]
#[test]
fn f2() {
    check_deep(f2_points, f2_points_grad, |g| (g.net.clone(), g.x));
}

// F3: Vec<[f64; 3]> field elements.
#[differentiate]
fn f3_arrays(net: &Deep, x: f64) -> f64 {
    let mut s = 0.0;
    for t in &net.tri {
        s += t[0] * t[1] * x + t[2];
    }
    s + net.tri[0][2] * x
}

#[test]
fn f3() {
    check_deep(f3_arrays, f3_arrays_grad, |g| (g.net.clone(), g.x));
}

// F4: a Vec<f64> field in comparisons, if and match.
#[differentiate]
fn f4_compare(net: &Deep, x: f64) -> f64 {
    let a = if net.th[0] > x {
        net.th[0] * x
    } else {
        net.th[1]
    };
    let b = match net.th[1] < 0.0 {
        true => net.th[1] * net.th[1],
        false => x,
    };
    let c = if net.th[0].max(net.th[1]) > 0.5 {
        x * x
    } else {
        0.0
    };
    a + b + c
}

#[test]
fn f4() {
    check_deep(f4_compare, f4_compare_grad, |g| (g.net.clone(), g.x));
}

// F5: a data (non-wrt) parameter of struct type with Vec fields.
#[differentiate(wrt(x))]
fn f5_data_struct(net: &Deep, x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..net.th.len() {
        s += net.th[i] * x * x;
    }
    for l in &net.block.layers {
        s += l.w * x;
    }
    s + net.pts[0].x * x
}

#[test]
fn f5() {
    let d = deep_of(&D);
    let (value, g) = f5_data_struct_grad(&d, 0.7);
    assert_eq!(value, f5_data_struct(&d, 0.7));
    check(|p| f5_data_struct(&d, p[0]), &[0.7], &[g.x]);
}

// F6: generic Vec<T> field, loop over it by value pattern and by index.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct GenW<T> {
    pub w: Vec<T>,
    pub c: T,
}

#[differentiate]
fn f6_generic<T: Float>(p: &GenW<T>, x: T) -> T {
    let mut s = p.c.exp();
    for &w in p.w.iter() {
        s = s + w * x;
    }
    for i in 1..p.w.len() {
        s = s + (p.w[i] - p.w[i - 1]).powi(2);
    }
    s
}

#[test]
fn f6() {
    let p = GenW {
        w: vec![0.5, -1.0, 2.0],
        c: 0.3,
    };
    let (value, g) = f6_generic_grad(&p, 0.7);
    assert_eq!(value, f6_generic(&p, 0.7));
    let mut flat = g.p.w.clone();
    flat.push(g.p.c);
    flat.push(g.x);
    check(
        |q| {
            f6_generic(
                &GenW {
                    w: q[..3].to_vec(),
                    c: q[3],
                },
                q[4],
            )
        },
        &[0.5, -1.0, 2.0, 0.3, 0.7],
        &flat,
    );
    let p32 = GenW {
        w: vec![0.5f32, 1.0],
        c: 0.0,
    };
    let (_, g32) = f6_generic_grad(&p32, 2.0);
    assert_eq!(g32.p.w, vec![2.0 - 1.0, 2.0 + 1.0]);
}

// F7: nested field container in an iterator chain.
#[differentiate]
fn f7_chain(net: &Deep, x: f64) -> f64 {
    let s: f64 = net.block.layers.iter().map(|l| l.w * x + l.b).sum();
    let t: f64 = net.th.iter().zip(&net.pts).map(|(a, p)| a * p.norm()).sum();
    s + t
}

#[test]
fn f7() {
    check_deep(f7_chain, f7_chain_grad, |g| (g.net.clone(), g.x));
}

// F8: generic struct field through reference: float methods.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Sc<T> {
    pub s: T,
    pub v: Vec<T>,
}

#[differentiate]
fn f8_generic_methods<T: Float>(c: &Sc<T>, x: T) -> T {
    c.s.exp() * x + c.s.sin().powi(2) + c.v[0].ln() * c.s.max(x) + c.v[1].hypot(c.s)
}

#[test]
fn f8() {
    let c = Sc {
        s: 0.3,
        v: vec![1.5, 0.7],
    };
    let (value, g) = f8_generic_methods_grad(&c, 0.9);
    assert_eq!(value, f8_generic_methods(&c, 0.9));
    let mut flat = vec![g.c.s];
    flat.extend(&g.c.v);
    flat.push(g.x);
    check(
        |q| {
            f8_generic_methods(
                &Sc {
                    s: q[0],
                    v: q[1..3].to_vec(),
                },
                q[3],
            )
        },
        &[0.3, 1.5, 0.7, 0.9],
        &flat,
    );
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Pts {
    pub pts: Vec<Vector3<f64>>,
}

// MF2a: a Vector3 element of a field container, used as a value.
// FIXED (after this pass; was B3, minimal; REGRESSION: passes at a17af91): `let p = net.pts[0];` for a
// `Vec<Vector3<f64>>` field: E0308 at #[differentiate] (norm_squared_vjp: expected
// `&mut Matrix<..>`, found `&mut {float}`; index.rs:421).
#[differentiate]
fn mf2a(net: &Pts) -> f64 {
    let p = net.pts[0];
    p.norm_squared()
}

#[test]
fn mf2a_t() {
    let net = Pts {
        pts: vec![Vector3::new(1.0, 2.0, 3.0)],
    };
    let (v, g) = mf2a_grad(&net);
    assert_eq!(v, 14.0);
    assert_eq!(g.net.pts[0], Vector3::new(2.0, 4.0, 6.0));
}

// MF2b: in a product.
// KNOWN LIMITATION (B3; also fails at a17af91): `(x * net.pts[0]).sum()`: E0308 at #[differentiate]
// (sum_vjp matrix.rs:377, mul_vjp_lhs ops.rs:187, index.rs:421: {float} for Vector3).
#[cfg(any())]
#[differentiate]
fn mf2b(net: &Pts, x: f64) -> f64 {
    (x * net.pts[0]).sum()
}

#[cfg(any())]
#[test]
fn mf2b_t() {
    let net = Pts {
        pts: vec![Vector3::new(1.0, 2.0, 3.0)],
    };
    let (v, g) = mf2b_grad(&net, 2.0);
    assert_eq!(v, 12.0);
    assert_eq!(g.net.pts[0], Vector3::new(2.0, 2.0, 2.0));
    assert_eq!(g.x, 6.0);
}

// MF2c: a method on the element in place.
#[differentiate]
fn mf2c(net: &Pts) -> f64 {
    net.pts[0].norm_squared()
}

#[test]
fn mf2c_t() {
    let net = Pts {
        pts: vec![Vector3::new(1.0, 2.0, 3.0)],
    };
    let (v, g) = mf2c_grad(&net);
    assert_eq!(v, 14.0);
    assert_eq!(g.net.pts[0], Vector3::new(2.0, 4.0, 6.0));
}

// ---------------------------------------------------------------- methods on elements
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Unit2 {
    pub w: f64,
    pub b: f64,
}

#[differentiate]
impl Unit2 {
    #[differentiate]
    pub fn fwd(&self, x: f64) -> f64 {
        (self.w * x + self.b).tanh()
    }

    #[differentiate]
    pub fn combine(&self, other: &Unit2, x: f64) -> f64 {
        self.w * other.b * x + other.w
    }

    #[differentiate]
    pub fn norm(&self) -> f64 {
        (self.w * self.w + self.b * self.b).sqrt()
    }

    #[differentiate]
    pub fn exp(&self) -> f64 {
        self.w.exp() + self.b
    }

    #[differentiate]
    pub fn dot(&self, o: &Unit2) -> f64 {
        self.w * o.w + self.b * o.b
    }

    #[differentiate]
    pub fn feats(&self, x: f64) -> Vec<f64> {
        vec![self.w * x, self.b * x * x]
    }
}

fn units_of(p: &[f64]) -> Vec<Unit2> {
    p.chunks(2).map(|c| Unit2 { w: c[0], b: c[1] }).collect()
}

fn units_flat(us: &[Unit2]) -> Vec<f64> {
    us.iter().flat_map(|u| [u.w, u.b]).collect()
}

const U: [f64; 7] = [0.5, -0.3, 1.1, 0.2, -0.4, 0.6, 0.8];

#[track_caller]
fn check_units(
    f: impl Fn(&[Unit2], f64) -> f64,
    grad: impl Fn(&[Unit2], f64) -> (f64, Vec<Unit2>, f64),
) {
    let us = units_of(&U[..6]);
    let (value, gus, gx) = grad(&us, U[6]);
    assert_eq!(value, f(&us, U[6]));
    let mut flat = units_flat(&gus);
    flat.push(gx);
    check(|p| f(&units_of(&p[..6]), p[6]), &U, &flat);
}

// E1: a method taking another element as argument.
#[differentiate]
fn e1_other_element(us: &[Unit2], x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..us.len() - 1 {
        s += us[i].combine(&us[i + 1], x);
    }
    s
}

#[test]
fn e1() {
    check_units(e1_other_element, |u, x| {
        let (v, g) = e1_other_element_grad(u, x);
        (v, g.us, g.x)
    });
}

// E2: a method returning a Vec, on elements.
#[differentiate]
fn e2_vec_method(us: &[Unit2], x: f64) -> f64 {
    let mut s = 0.0;
    for u in us {
        let f = u.feats(x);
        s += f[0] * f[1];
    }
    s
}

#[test]
fn e2() {
    check_units(e2_vec_method, |u, x| {
        let (v, g) = e2_vec_method_grad(u, x);
        (v, g.us, g.x)
    });
}

// E5: methods named like float / nalgebra methods on the user's type.
// KNOWN LIMITATION (B4; README): user methods named `norm`/`exp`/`dot` taken for the rules: E0308 "arguments to
// this function are incorrect" (norm_vjp, dot_vjp_rhs, ...), E0277 `Unit2: Real`, at #[differentiate].
#[cfg(any())]
#[differentiate]
fn e5_named_like(us: &[Unit2], x: f64) -> f64 {
    let mut s = 0.0;
    for u in us {
        s += u.norm() * x + u.exp();
    }
    s + us[0].dot(&us[1]) + us[2].norm().exp()
}

#[cfg(any())]
#[test]
fn e5() {
    check_units(e5_named_like, |u, x| {
        let (v, g) = e5_named_like_grad(u, x);
        (v, g.us, g.x)
    });
}

// E5b: same on a parameter of the type (not an element).
// KNOWN LIMITATION (B4; README): as e5, on parameters of the type.
#[cfg(any())]
#[differentiate]
fn e5b_param(u: &Unit2, v: &Unit2, x: f64) -> f64 {
    u.norm() * x + v.exp() + u.dot(v)
}

#[cfg(any())]
#[test]
fn e5b() {
    let f = |p: &[f64]| {
        e5b_param(
            &Unit2 { w: p[0], b: p[1] },
            &Unit2 { w: p[2], b: p[3] },
            p[4],
        )
    };
    let (value, g) = e5b_param_grad(&Unit2 { w: 0.5, b: -0.3 }, &Unit2 { w: 1.1, b: 0.2 }, 0.7);
    assert_eq!(value, f(&[0.5, -0.3, 1.1, 0.2, 0.7]));
    check(
        f,
        &[0.5, -0.3, 1.1, 0.2, 0.7],
        &[g.u.w, g.u.b, g.v.w, g.v.b, g.x],
    );
}

// E9: methods on a parameter by value and on an array of the type.
// FIXED (after this pass; was B5): E0507 "cannot move out of a shared reference ... `[Unit2; 2]`" at #[differentiate].
#[differentiate]
fn e9_by_value(u: Unit2, arr: [Unit2; 2], x: f64) -> f64 {
    u.fwd(x) + arr[0].fwd(x) * arr[1].fwd(2.0 * x)
}

#[test]
fn e9() {
    let mk = |p: &[f64]| {
        (
            Unit2 { w: p[0], b: p[1] },
            [Unit2 { w: p[2], b: p[3] }, Unit2 { w: p[4], b: p[5] }],
        )
    };
    let (u, arr) = mk(&U);
    let (value, g) = e9_by_value_grad(u.clone(), arr.clone(), U[6]);
    assert_eq!(value, e9_by_value(u, arr, U[6]));
    let flat = [
        g.u.w, g.u.b, g.arr[0].w, g.arr[0].b, g.arr[1].w, g.arr[1].b, g.x,
    ];
    check(
        |p| {
            let (u, arr) = mk(p);
            e9_by_value(u, arr, p[6])
        },
        &U,
        &flat,
    );
}

// E10: methods of elements in iterator chains (enumerate, fold, rev).
#[differentiate]
fn e10_chains(us: &[Unit2], x: f64) -> f64 {
    let a: f64 = us
        .iter()
        .enumerate()
        .map(|(i, u)| u.fwd(x * i as f64))
        .sum();
    let b = us.iter().rev().fold(x, |h, u| u.fwd(h));
    a + b
}

#[test]
fn e10() {
    check_units(e10_chains, |u, x| {
        let (v, g) = e10_chains_grad(u, x);
        (v, g.us, g.x)
    });
}

// E12: method on an element of a field container of the type.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Stack2 {
    pub units: Vec<Unit2>,
}

// CLEAN REJECTION (a gap): "method `fwd` has no derivative rule, ..." at `net.units[i].fwd(h)`
// and `u.fwd(x)` in `for u in &net.units`: methods on elements of a field's container.
#[cfg(any())]
#[differentiate]
fn e12_field_elements(net: &Stack2, x: f64) -> f64 {
    let mut h = x;
    for i in 0..net.units.len() {
        h = net.units[i].fwd(h);
    }
    for u in &net.units {
        h += u.fwd(x);
    }
    h
}

#[cfg(any())]
#[test]
fn e12() {
    check_units(
        |u, x| e12_field_elements(&Stack2 { units: u.to_vec() }, x),
        |u, x| {
            let (v, g) = e12_field_elements_grad(&Stack2 { units: u.to_vec() }, x);
            (v, g.net.units, g.x)
        },
    );
}

// E19: elements' methods called from a method of another type.
#[cfg(any())]
#[differentiate]
impl Stack2 {
    #[differentiate]
    pub fn run(&self, x: f64) -> f64 {
        let mut h = x;
        for u in &self.units {
            h = u.fwd(h);
        }
        h + self.units[0].fwd(x)
    }
}

// CLEAN REJECTION (a gap): as e12, inside a method: `for u in &self.units { u.fwd(h) }`,
// `self.units[0].fwd(x)` ("method `fwd` has no derivative rule").
#[cfg(any())]
#[differentiate]
fn e19_nested_method(net: &Stack2, x: f64) -> f64 {
    net.run(x) * x
}

#[cfg(any())]
#[test]
fn e19() {
    check_units(
        |u, x| e19_nested_method(&Stack2 { units: u.to_vec() }, x),
        |u, x| {
            let (v, g) = e19_nested_method_grad(&Stack2 { units: u.to_vec() }, x);
            (v, g.net.units, g.x)
        },
    );
}

// E4: a generic type's methods on slice elements, in generic code.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct GUnit<T> {
    pub w: T,
}

#[differentiate]
impl<T: Float> GUnit<T> {
    #[differentiate]
    pub fn fwd(&self, x: T) -> T {
        (self.w * x).sin()
    }
}

#[differentiate]
fn e4_generic<T: Float>(us: &[GUnit<T>], x: T) -> T {
    let mut h = x;
    for u in us {
        h = u.fwd(h);
    }
    h + us[0].fwd(x)
}

#[test]
fn e4() {
    let us = vec![GUnit { w: 0.5 }, GUnit { w: -1.2 }];
    let (value, g) = e4_generic_grad(&us, 0.7);
    assert_eq!(value, e4_generic(&us, 0.7));
    check(
        |p| e4_generic(&[GUnit { w: p[0] }, GUnit { w: p[1] }], p[2]),
        &[0.5, -1.2, 0.7],
        &[g.us[0].w, g.us[1].w, g.x],
    );
    let us32 = vec![GUnit { w: 0.5f32 }];
    let (_, g32) = e4_generic_grad(&us32, 0.7);
    assert!(g32.x.is_finite());
}

// ME5a: a user method named `norm` on a parameter of the user's type.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Pair {
    pub a: f64,
    pub b: f64,
}

#[differentiate]
impl Pair {
    #[differentiate]
    pub fn norm(&self) -> f64 {
        self.a * self.a + self.b
    }
}

// KNOWN LIMITATION (B4; README, minimal; also fails at a17af91): `p.norm()` where `norm` is the user's marked
// method: E0308 at #[differentiate] "expected `&mut Matrix<f64, _, _, _>`, found `&mut Pair`"
// (runtime/src/matrix.rs:207 norm_vjp, 223 norm_jvp).
#[cfg(any())]
#[differentiate]
fn me5a(p: &Pair) -> f64 {
    p.norm()
}

#[cfg(any())]
#[test]
fn me5a_t() {
    let (v, g) = me5a_grad(&Pair { a: 2.0, b: 1.0 });
    assert_eq!(v, 5.0);
    assert_eq!((g.p.a, g.p.b), (4.0, 1.0));
}

// ME9a: a method on a parameter of the user's type taken by value.
#[differentiate]
fn me9a(u: Unit2, x: f64) -> f64 {
    u.fwd(x)
}

#[test]
fn me9a_t() {
    let u = Unit2 { w: 0.5, b: -0.3 };
    let (v, g) = me9a_grad(u.clone(), 0.7);
    assert_eq!(v, me9a(u, 0.7));
    check(
        |p| me9a(Unit2 { w: p[0], b: p[1] }, p[2]),
        &[0.5, -0.3, 0.7],
        &[g.u.w, g.u.b, g.x],
    );
}

// ME9b: a method on an element of an array of the user's type, by value.
// FIXED (after this pass; was B5): E0507 "cannot move out of a shared reference" (`[Unit2; 2]`) at #[differentiate].
#[differentiate]
fn me9b(arr: [Unit2; 2], x: f64) -> f64 {
    arr[0].fwd(x)
}

#[test]
fn me9b_t() {
    let arr = [Unit2 { w: 0.5, b: -0.3 }, Unit2 { w: 1.0, b: 0.0 }];
    let (v, g) = me9b_grad(arr.clone(), 0.7);
    assert_eq!(v, me9b(arr, 0.7));
    check(
        |p| me9b([Unit2 { w: p[0], b: p[1] }, Unit2 { w: 1.0, b: 0.0 }], p[2]),
        &[0.5, -0.3, 0.7],
        &[g.arr[0].w, g.arr[0].b, g.x],
    );
}

// ME9c: by reference, an array of the user's type.
#[differentiate]
fn me9c(arr: &[Unit2; 2], x: f64) -> f64 {
    arr[0].fwd(x) * arr[1].fwd(x)
}

#[test]
fn me9c_t() {
    let arr = [Unit2 { w: 0.5, b: -0.3 }, Unit2 { w: 1.0, b: 0.2 }];
    let (v, g) = me9c_grad(&arr, 0.7);
    assert_eq!(v, me9c(&arr, 0.7));
    check(
        |p| {
            me9c(
                &[Unit2 { w: p[0], b: p[1] }, Unit2 { w: p[2], b: p[3] }],
                p[4],
            )
        },
        &[0.5, -0.3, 1.0, 0.2, 0.7],
        &[g.arr[0].w, g.arr[0].b, g.arr[1].w, g.arr[1].b, g.x],
    );
}

// ME9d: Vec of the user's type by value.
#[differentiate]
fn me9d(us: Vec<Unit2>, x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..us.len() {
        s += us[i].fwd(x);
    }
    s
}

#[test]
fn me9d_t() {
    let us = units_of(&U[..6]);
    let (v, g) = me9d_grad(us.clone(), U[6]);
    assert_eq!(v, me9d(us, U[6]));
    let mut flat = units_flat(&g.us);
    flat.push(g.x);
    check(|p| me9d(units_of(&p[..6]), p[6]), &U, &flat);
}

// ME9e: fields of elements of a by-value array of the user's type (no method).
// FIXED (after this pass; was B5, minimal; also fails at a17af91): a by-value array of parameter structs, fields
// read: E0507 "cannot move out of a shared reference; move occurs because value has type
// `[Unit2; 2]`" at #[differentiate].
#[differentiate]
fn me9e(arr: [Unit2; 2], x: f64) -> f64 {
    arr[0].w * x + arr[1].b
}

#[test]
fn me9e_t() {
    let arr = [Unit2 { w: 0.5, b: -0.3 }, Unit2 { w: 1.0, b: 0.2 }];
    let (v, g) = me9e_grad(arr.clone(), 0.7);
    assert_eq!(v, me9e(arr, 0.7));
    assert_eq!((g.arr[0].w, g.arr[1].b, g.x), (0.7, 1.0, 0.5));
}

// E7: data-only struct parameter with plain (unmarked) methods.
#[derive(Clone, Copy, Debug)]
pub struct Cfg {
    pub k: f64,
    pub n: usize,
}

impl Cfg {
    pub fn factor(&self) -> f64 {
        self.k * 2.0
    }
    pub fn scaled(&self, x: f64) -> f64 {
        self.k * x
    }
}

#[differentiate(wrt(x))]
fn e7_data_cfg(cfg: &Cfg, x: f64) -> f64 {
    let mut s = 0.0;
    for _ in 0..cfg.n {
        s += cfg.factor() * x * x;
    }
    s
}

#[test]
fn e7() {
    let cfg = Cfg { k: 1.5, n: 3 };
    let (v, g) = e7_data_cfg_grad(&cfg, 0.7);
    assert_eq!(v, e7_data_cfg(&cfg, 0.7));
    check(|p| e7_data_cfg(&cfg, p[0]), &[0.7], &[g.x]);
}

// E7b: data cfg by value with plain method receiving a differentiated value.
// CLEAN REJECTION: E0277 with the crate's message "no derivative of this method is visible
// here: mark it #[differentiate] in an `impl` block marked #[differentiate]" at `cfg.scaled(x)`.
#[cfg(any())]
#[differentiate(wrt(x))]
fn e7b_data_method_on_active(cfg: Cfg, x: f64) -> f64 {
    cfg.scaled(x) * x
}

#[cfg(any())]
#[test]
fn e7b() {
    let cfg = Cfg { k: 1.5, n: 3 };
    let (v, g) = e7b_data_method_on_active_grad(cfg, 0.7);
    assert_eq!(v, e7b_data_method_on_active(cfg, 0.7));
    check(|p| e7b_data_method_on_active(cfg, p[0]), &[0.7], &[g.x]);
}

// E7c: data slice of cfgs with plain method, elements as values.
#[differentiate(wrt(x))]
fn e7c_data_slice(cfgs: &[Cfg], x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..cfgs.len() {
        let c = cfgs[i];
        s += c.factor() * x.sin() + cfgs[i].k * x;
    }
    for c in cfgs {
        s += c.factor() * x;
    }
    s
}

#[test]
fn e7c() {
    let cfgs = [Cfg { k: 1.5, n: 3 }, Cfg { k: -0.5, n: 1 }];
    let (v, g) = e7c_data_slice_grad(&cfgs, 0.7);
    assert_eq!(v, e7c_data_slice(&cfgs, 0.7));
    check(|p| e7c_data_slice(&cfgs, p[0]), &[0.7], &[g.x]);
}

// E6: a user type whose method is not marked, called on a differentiated parameter.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Unmarked {
    pub w: f64,
}

impl Unmarked {
    pub fn plain(&self, x: f64) -> f64 {
        self.w * x
    }
}

// CLEAN REJECTION: E0277 "no derivative of this method is visible here: mark it
// #[differentiate] in an `impl` block marked #[differentiate]" at `u.plain(x)` (the user's span).
#[cfg(any())]
#[differentiate]
fn e6_unmarked(u: &Unmarked, x: f64) -> f64 {
    u.plain(x) + 1.0
}

#[cfg(any())]
#[test]
fn e6() {
    let (v, _) = e6_unmarked_grad(&Unmarked { w: 2.0 }, 3.0);
    assert_eq!(v, 7.0);
}

// E8: a trait method implemented for the user's type.
pub trait Model {
    fn eval(&self, x: f64) -> f64;
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Quad {
    pub a: f64,
}

#[differentiate]
impl Model for Quad {
    #[differentiate]
    fn eval(&self, x: f64) -> f64 {
        self.a * x * x
    }
}

#[differentiate]
fn e8_trait(q: &Quad, qs: &[Quad], x: f64) -> f64 {
    q.eval(x) + qs[0].eval(x)
}

#[test]
fn e8() {
    let (v, g) = e8_trait_grad(&Quad { a: 2.0 }, &[Quad { a: 3.0 }], 0.5);
    assert_eq!(v, 1.25);
    assert_eq!((g.q.a, g.qs[0].a, g.x), (0.25, 0.25, 5.0));
}

// E15: a user type named like an nalgebra type.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Point2 {
    pub x: f64,
    pub y: f64,
}

#[differentiate]
impl Point2 {
    #[differentiate]
    pub fn dist2(&self, t: f64) -> f64 {
        (self.x - t) * (self.x - t) + self.y * self.y
    }
}

#[differentiate]
fn e15_named_point(p: &Point2, ps: &[Point2], t: f64) -> f64 {
    p.dist2(t) + ps[0].dist2(t)
}

#[test]
fn e15() {
    let (v, g) = e15_named_point_grad(
        &Point2 { x: 1.0, y: 2.0 },
        &[Point2 { x: 0.0, y: 1.0 }],
        0.5,
    );
    assert_eq!(v, 0.25 + 4.0 + 0.25 + 1.0);
    assert_eq!(
        (g.p.x, g.p.y, g.ps[0].x, g.ps[0].y, g.t),
        (1.0, 4.0, -1.0, 2.0, 0.0)
    );
}

// E3: a recursive method on elements.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Rec {
    pub w: f64,
}

#[differentiate]
impl Rec {
    #[differentiate]
    pub fn power(&self, x: f64, n: usize) -> f64 {
        if n == 0 {
            x
        } else {
            self.w * self.power(x, n - 1)
        }
    }
}

#[differentiate]
fn e3_recursive(rs: &[Rec], x: f64) -> f64 {
    rs[0].power(x, 3)
}

#[test]
fn e3() {
    let (v, g) = e3_recursive_grad(&[Rec { w: 2.0 }], 0.5);
    assert_eq!(v, 4.0);
    assert_eq!((g.rs[0].w, g.x), (3.0 * 4.0 * 0.5, 8.0));
}

// ---------------------------------------------------------------- more carried shapes
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Mlp {
    pub ws: Vec<DMatrix<f64>>,
}

// C5: carried DVector changing length over a field container of matrices.
#[differentiate]
fn c5_field_layers(net: &Mlp, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for w in &net.ws {
        h = (w * &h).map(|t| t.tanh());
    }
    h.norm_squared()
}

fn mlp_shapes() -> Vec<(usize, usize)> {
    vec![(4, 3), (2, 4), (5, 2)]
}

fn mlp_of(p: &[f64]) -> Vec<DMatrix<f64>> {
    let mut at = 0;
    mlp_shapes()
        .into_iter()
        .map(|(r, c)| {
            let m = DMatrix::from_column_slice(r, c, &p[at..at + r * c]);
            at += r * c;
            m
        })
        .collect()
}

fn mlp_params() -> Vec<f64> {
    let n: usize = mlp_shapes().iter().map(|(r, c)| r * c).sum();
    (0..n).map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.07).collect()
}

#[test]
fn c5() {
    let p = mlp_params();
    let net = Mlp { ws: mlp_of(&p) };
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (value, g) = c5_field_layers_grad(&net, &x);
    assert_eq!(value, c5_field_layers(&net, &x));
    let analytic: Vec<f64> = g.net.ws.iter().flat_map(|w| w.iter().copied()).collect();
    check(
        |q| c5_field_layers(&Mlp { ws: mlp_of(q) }, &x),
        &p,
        &analytic,
    );
}

// C6: a matrix transposed each iteration (2x3 <-> 3x2), kept dims.
#[differentiate]
fn c6_transpose(a: &DMatrix<f64>) -> f64 {
    let mut m = a.clone();
    let mut s = 0.0;
    for k in 0..3 {
        s += m.column(0).sum() * (k as f64 + 1.0);
        m = m.transpose();
    }
    s
}

#[test]
fn c6() {
    let a = DMatrix::from_column_slice(2, 3, &X[..6]);
    let (value, g) = c6_transpose_grad(&a);
    assert_eq!(value, c6_transpose(&a));
    check(
        |p| c6_transpose(&DMatrix::from_column_slice(2, 3, p)),
        &X[..6],
        g.a.as_slice(),
    );
}

// C14: a differentiated function returning a vector of another length, carried.
#[differentiate]
fn c14_layer(w: &DMatrix<f64>, h: &DVector<f64>) -> DVector<f64> {
    (w * h).map(|t| t.sin())
}

#[differentiate]
fn c14_calls(ws: &[DMatrix<f64>], x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for w in ws {
        h = c14_layer(w, &h);
    }
    h.sum()
}

#[test]
fn c14() {
    let p = mlp_params();
    let ws = mlp_of(&p);
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (value, g) = c14_calls_grad(&ws, &x);
    assert_eq!(value, c14_calls(&ws, &x));
    let mut analytic: Vec<f64> = g.ws.iter().flat_map(|w| w.iter().copied()).collect();
    analytic.extend(g.x.iter());
    let mut at = p.clone();
    at.extend(x.iter());
    let n = p.len();
    check(
        |q| c14_calls(&mlp_of(&q[..n]), &DVector::from_column_slice(&q[n..])),
        &at,
        &analytic,
    );
}

// C15: user-type layers with a method returning a vector of another length.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Dense {
    pub w: DMatrix<f64>,
    pub b: DVector<f64>,
}

#[differentiate]
impl Dense {
    #[differentiate]
    pub fn forward(&self, h: &DVector<f64>) -> DVector<f64> {
        (&self.w * h + &self.b).map(|t| t.tanh())
    }
}

fn dense_of(p: &[f64]) -> Vec<Dense> {
    let mut at = 0;
    mlp_shapes()
        .into_iter()
        .map(|(r, c)| {
            let w = DMatrix::from_column_slice(r, c, &p[at..at + r * c]);
            at += r * c;
            let b = DVector::from_column_slice(&p[at..at + r]);
            at += r;
            Dense { w, b }
        })
        .collect()
}

fn dense_flat(ls: &[Dense]) -> Vec<f64> {
    ls.iter()
        .flat_map(|l| l.w.iter().chain(l.b.iter()).copied().collect::<Vec<_>>())
        .collect()
}

#[differentiate]
fn c15_methods(layers: &[Dense], x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for l in layers {
        h = l.forward(&h);
    }
    let mut k = x.clone();
    for i in 0..layers.len() {
        k = layers[i].forward(&k);
    }
    h.norm_squared() + k.sum()
}

#[test]
fn c15() {
    let n: usize = mlp_shapes().iter().map(|(r, c)| r * c + r).sum();
    let p: Vec<f64> = (0..n).map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.07).collect();
    let ls = dense_of(&p);
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (value, g) = c15_methods_grad(&ls, &x);
    assert_eq!(value, c15_methods(&ls, &x));
    check(
        |q| c15_methods(&dense_of(q), &x),
        &p,
        &dense_flat(&g.layers),
    );
}

// C16: `v = chain.collect();` inside a branch in a loop, and with a turbofish.
#[differentiate]
fn c16_branch_collect(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    for k in 0..4 {
        if k % 2 == 0 {
            v = v.iter().map(|t| t.sin()).collect();
        } else {
            v = v.windows(2).map(|w| w[0] * w[1]).collect::<Vec<f64>>();
        }
    }
    v.iter().sum()
}

#[test]
fn c16() {
    let (value, g) = c16_branch_collect_grad(&X);
    assert_eq!(value, c16_branch_collect(&X));
    check(c16_branch_collect, &X, &g.x);
    let (_, jvp) = c16_branch_collect_jvp(&X, &C16BranchCollectGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// C20: collect of a zip of a parameter with the carried vector (shorter).
#[differentiate]
fn c20_zip_collect(x: &[f64]) -> f64 {
    let mut v = x[..3].to_vec();
    for _ in 0..3 {
        v = x.iter().zip(v.iter()).map(|(a, b)| a * b + 1.0).collect();
        v = v[1..].to_vec();
    }
    v.iter().sum::<f64>() + v.len() as f64
}

#[test]
fn c20() {
    let (value, g) = c20_zip_collect_grad(&X);
    assert_eq!(value, c20_zip_collect(&X));
    check(c20_zip_collect, &X, &g.x);
    let (_, jvp) = c20_zip_collect_jvp(&X, &C20ZipCollectGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// C12: the loop runs zero times / the vector becomes empty.
#[differentiate]
fn c12_empty(x: &[f64], n: usize) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    for _ in 0..n {
        s += v.iter().sum::<f64>();
        v = v[1..].to_vec();
    }
    s + v.iter().map(|t| t * t).sum::<f64>()
}

#[test]
fn c12() {
    for n in [0, 2, 3] {
        let x = &X[..3];
        let (value, g) = c12_empty_grad(x, n);
        assert_eq!(value, c12_empty(x, n));
        check(|p| c12_empty(p, n), x, &g.x);
    }
}

// C3: hessian of a generic T: Float loop with kept length.
#[differentiate(hessian)]
fn c3_generic_hessian<T: Float>(x: &[T]) -> T {
    let mut v = x.to_vec();
    let mut k = 0;
    let mut s = T::zero();
    while k < 3 {
        s = s + v.iter().fold(T::zero(), |a, b| a + *b) * x[0];
        k += 1;
        v = x[k..].to_vec();
    }
    s
}

#[test]
fn c3() {
    let x = &X[..5];
    let (value, g, rows) = c3_generic_hessian_hessian(x);
    assert_eq!(value, c3_generic_hessian(x));
    check(c3_generic_hessian, x, &g.x);
    for j in 0..5 {
        let col: Vec<f64> = rows.iter().map(|r| r.x[j]).collect();
        check(|p| c3_generic_hessian_grad(p).1.x[j], x, &col);
    }
}

// C23: hessian wrt x through layers of different widths (data weights).
#[differentiate(hessian, wrt(x))]
fn c23_hessian_layers(ws: &[DMatrix<f64>], x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for w in ws {
        h = (w * &h).map(|t| t.tanh());
    }
    h.norm_squared()
}

#[test]
fn c23() {
    let ws = mlp_of(&mlp_params());
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (value, g, rows) = c23_hessian_layers_hessian(&ws, &x);
    assert_eq!(value, c23_hessian_layers(&ws, &x));
    check(
        |p| c23_hessian_layers(&ws, &DVector::from_column_slice(p)),
        x.as_slice(),
        g.x.as_slice(),
    );
    for j in 0..3 {
        let col: Vec<f64> = rows.iter().map(|r| r.x[j]).collect();
        check(
            |p| {
                c23_hessian_layers_grad(&ws, &DVector::from_column_slice(p))
                    .1
                    .x[j]
            },
            x.as_slice(),
            &col,
        );
    }
}

// C30: a carried tuple whose Vec shrinks, values not needed by the reverse sweep.
#[differentiate]
fn c30_tuple_linear(x: &[f64]) -> f64 {
    let mut st = (x.to_vec(), 0.0);
    while st.0.len() > 1 {
        st = (st.0[1..].to_vec(), st.1 + st.0.iter().sum::<f64>());
    }
    st.1
}

#[test]
fn c30() {
    let (value, g) = c30_tuple_linear_grad(&X);
    assert_eq!(value, c30_tuple_linear(&X));
    check(c30_tuple_linear, &X, &g.x);
}

// C31: Vec<Vec<f64>> carried, read by iterators only.
// FIXED (after this pass; was B2): E0277 `Vec<f64>: Copy` / `Vec<f64>: FixedZero` at #[differentiate] (a local
// Vec<Vec<f64>> read by an iterator chain).
#[differentiate]
fn c31_rows_iter(xs: &[Vec<f64>]) -> f64 {
    let mut rows = xs.to_vec();
    let mut s = 0.0;
    while rows.len() > 1 {
        s += rows.iter().map(|r| r.iter().sum::<f64>()).sum::<f64>();
        rows = rows[1..].to_vec();
    }
    s
}

#[test]
fn c31() {
    let rows = |p: &[f64]| vec![p[..4].to_vec(), p[4..7].to_vec(), p[7..].to_vec()];
    let (value, g) = c31_rows_iter_grad(&rows(&X));
    assert_eq!(value, c31_rows_iter(&rows(&X)));
    let flat: Vec<f64> = g.xs.concat();
    check(|p| c31_rows_iter(&rows(p)), &X, &flat);
}

// C32: Vec<DVector<f64>> carried, shrinking.
// FIXED (after this pass; was B2): E0284 "type annotations needed" at #[differentiate] (runtime/src/adjoint.rs:63,
// matrix.rs:377): a local Vec<DVector<f64>> read by an iterator chain (see mc32, mc32c).
#[differentiate]
fn c32_vec_of_dvectors(xs: &[DVector<f64>]) -> f64 {
    let mut vs = xs.to_vec();
    let mut s = 0.0;
    while vs.len() > 1 {
        s += vs.iter().map(|v| v.sum()).sum::<f64>();
        vs = vs[1..].to_vec();
    }
    s
}

#[test]
fn c32() {
    let mk =
        |p: &[f64]| -> Vec<DVector<f64>> { p.chunks(3).map(DVector::from_column_slice).collect() };
    let (value, g) = c32_vec_of_dvectors_grad(&mk(&X));
    assert_eq!(value, c32_vec_of_dvectors(&mk(&X)));
    let flat: Vec<f64> = g.xs.iter().flat_map(|v| v.iter().copied()).collect();
    check(|p| c32_vec_of_dvectors(&mk(p)), &X, &flat);
}

// C33: a local struct carried whose Vec field shrinks.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct St {
    pub v: Vec<f64>,
    pub s: f64,
}

// CLEAN REJECTION: "a struct literal is not supported on values that depend on a
// differentiated parameter; ..." at `St { .. }`.
#[cfg(any())]
#[differentiate]
fn c33_struct(x: &[f64]) -> f64 {
    let mut st = St {
        v: x.to_vec(),
        s: 0.0,
    };
    while st.v.len() > 1 {
        st = St {
            v: st.v[1..].to_vec(),
            s: st.s + st.v.iter().sum::<f64>(),
        };
    }
    st.s
}

#[cfg(any())]
#[test]
fn c33() {
    let (value, g) = c33_struct_grad(&X);
    assert_eq!(value, c33_struct(&X));
    check(c33_struct, &X, &g.x);
}

// C34: an array of two Vecs carried, shrinking.
// CLEAN REJECTION: "an array literal is not supported on values that depend on a
// differentiated parameter; ..." at `[x.to_vec(), ..]`.
#[cfg(any())]
#[differentiate]
fn c34_array_of_vecs(x: &[f64]) -> f64 {
    let mut a = [x.to_vec(), x[1..].to_vec()];
    let mut s = 0.0;
    for _ in 0..3 {
        s += a[0].iter().sum::<f64>() + a[1].iter().sum::<f64>();
        a = [a[1][1..].to_vec(), a[0][1..].to_vec()];
    }
    s
}

#[cfg(any())]
#[test]
fn c34() {
    let (value, g) = c34_array_of_vecs_grad(&X);
    assert_eq!(value, c34_array_of_vecs(&X));
    check(c34_array_of_vecs, &X, &g.x);
}

// MC32: a local Vec<DVector<f64>>, its elements' methods in an iterator chain, no loop.
// FIXED (after this pass; was B2): E0284 "type annotations needed" at #[differentiate].
#[differentiate]
fn mc32(xs: &[DVector<f64>]) -> f64 {
    let vs = xs.to_vec();
    vs.iter().map(|v| v.sum()).sum::<f64>()
}

#[test]
fn mc32_t() {
    let xs = vec![DVector::from_vec(vec![1.0, 2.0])];
    let (v, g) = mc32_grad(&xs);
    assert_eq!(v, 3.0);
    assert_eq!(g.xs[0].as_slice(), &[1.0, 1.0]);
}

// MC32b: the parameter itself.
#[differentiate]
fn mc32b(xs: &[DVector<f64>]) -> f64 {
    xs.iter().map(|v| v.sum()).sum::<f64>() + xs[0].sum()
}

#[test]
fn mc32b_t() {
    let xs = vec![DVector::from_vec(vec![1.0, 2.0])];
    let (v, g) = mc32b_grad(&xs);
    assert_eq!(v, 6.0);
    assert_eq!(g.xs[0].as_slice(), &[2.0, 2.0]);
}

// MC32c: a local Vec<DVector<f64>> indexed, no loop.
// FIXED (after this pass; was B2, minimal; also fails at a17af91): E0284 "type annotations needed" at
// #[differentiate] (zero::<_>, sum_vjp): `vs[0].sum()` on a local Vec<DVector<f64>>.
#[differentiate]
fn mc32c(xs: &[DVector<f64>]) -> f64 {
    let vs = xs.to_vec();
    vs[0].sum()
}

#[test]
fn mc32c_t() {
    let xs = vec![DVector::from_vec(vec![1.0, 2.0])];
    let (v, g) = mc32c_grad(&xs);
    assert_eq!(v, 3.0);
    assert_eq!(g.xs[0].as_slice(), &[1.0, 1.0]);
}

// ---------------------------------------------------------------- data elements
#[differentiate(wrt(x))]
fn d1_data_rows(rows: &[Vec<f64>], x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..rows.len() {
        s += rows[i][0] * x + rows[i].len() as f64 * x * x;
        s += rows[i].iter().sum::<f64>() * x.sin();
    }
    s
}

#[test]
fn d1() {
    let rows = vec![vec![1.0, 2.0], vec![3.0]];
    let (v, g) = d1_data_rows_grad(&rows, 0.7);
    assert_eq!(v, d1_data_rows(&rows, 0.7));
    check(|p| d1_data_rows(&rows, p[0]), &[0.7], &[g.x]);
}

#[differentiate(wrt(x))]
fn d2_data_row_clone(rows: &[Vec<f64>], x: f64) -> f64 {
    let r = rows[1].clone();
    r[0] * x
}

#[test]
fn d2() {
    let rows = vec![vec![1.0, 2.0], vec![3.0]];
    let (v, g) = d2_data_row_clone_grad(&rows, 0.7);
    assert_eq!(v, d2_data_row_clone(&rows, 0.7));
    assert_eq!(g.x, 3.0);
}

#[differentiate(wrt(x))]
fn d3_data_matrices(ms: &[DMatrix<f64>], x: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..ms.len() {
        s += (&ms[i] * x).sum() + ms[i][(0, 0)] * x[0];
    }
    s
}

#[test]
fn d3() {
    let ms = vec![DMatrix::from_fn(2, 3, |i, j| (i + j) as f64)];
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (v, g) = d3_data_matrices_grad(&ms, &x);
    assert_eq!(v, d3_data_matrices(&ms, &x));
    check(
        |p| d3_data_matrices(&ms, &DVector::from_column_slice(p)),
        x.as_slice(),
        g.x.as_slice(),
    );
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Knot {
    pub t: f64,
    pub on: bool,
}

#[differentiate(wrt(x))]
fn d4_copy_structs(ks: &[Knot], x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..ks.len() {
        let k = ks[i];
        if k.on && ks[i].t < x {
            s += (x - k.t) * (x - ks[i].t);
        }
    }
    s
}

#[test]
fn d4() {
    let ks = [
        Knot { t: 0.1, on: true },
        Knot { t: 0.3, on: false },
        Knot { t: 0.5, on: true },
    ];
    let (v, g) = d4_copy_structs_grad(&ks, 0.7);
    assert_eq!(v, d4_copy_structs(&ks, 0.7));
    check(|p| d4_copy_structs(&ks, p[0]), &[0.7], &[g.x]);
}

// D5: field container element rows indexed twice, lengths, in a match.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Tab {
    pub rows: Vec<Vec<f64>>,
    pub scale: Vec<f64>,
}

#[differentiate]
fn d5_field_rows(t: &Tab, x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..t.rows.len() {
        for j in 0..t.rows[i].len() {
            s += t.rows[i][j] * t.scale[i] * x;
        }
    }
    let k = match t.scale[0] > 0.0 {
        true => t.scale[0],
        false => -t.scale[0],
    };
    s * k
}

#[test]
fn d5() {
    let mk = |p: &[f64]| Tab {
        rows: vec![p[..2].to_vec(), p[2..3].to_vec()],
        scale: p[3..5].to_vec(),
    };
    let p = [0.5, -0.3, 1.1, 0.2, -0.4, 0.8];
    let (v, g) = d5_field_rows_grad(&mk(&p), p[5]);
    assert_eq!(v, d5_field_rows(&mk(&p), p[5]));
    let mut flat = g.t.rows.concat();
    flat.extend(&g.t.scale);
    flat.push(g.x);
    check(|q| d5_field_rows(&mk(q), q[5]), &p, &flat);
}

// D6: a generic Vec<T> field copied and shrunk in a loop.
#[differentiate]
fn d6_generic_field_shrink<T: Float>(p: &GenW<T>, x: T) -> T {
    let mut v = p.w.clone();
    let mut s = T::zero();
    while v.len() > 1 {
        s = s + v.iter().fold(T::zero(), |a, b| a + *b) * x;
        v = v[1..].to_vec();
    }
    s
}

#[test]
fn d6() {
    let p = GenW {
        w: vec![0.5, -1.0, 2.0],
        c: 0.3,
    };
    let (value, g) = d6_generic_field_shrink_grad(&p, 0.7);
    assert_eq!(value, d6_generic_field_shrink(&p, 0.7));
    let mut flat = g.p.w.clone();
    flat.push(g.x);
    check(
        |q| {
            d6_generic_field_shrink(
                &GenW {
                    w: q[..3].to_vec(),
                    c: 0.3,
                },
                q[3],
            )
        },
        &[0.5, -1.0, 2.0, 0.7],
        &flat,
    );
}

// G1: the differentiated parameter itself is the carried vector (by value, `mut`).
#[differentiate]
fn g1_param_carried(mut v: Vec<f64>) -> f64 {
    let mut s = 0.0;
    while v.len() > 2 {
        s += v.iter().sum::<f64>() + v[0] * v[1];
        v = v[1..].to_vec();
    }
    s
}

#[test]
fn g1() {
    let (value, g) = g1_param_carried_grad(X.to_vec());
    assert_eq!(value, g1_param_carried(X.to_vec()));
    assert_eq!(g.v.len(), X.len());
    check(|p| g1_param_carried(p.to_vec()), &X, &g.v);
    let (_, jvp) = g1_param_carried_jvp(X.to_vec(), &G1ParamCarriedGrad { v: V.to_vec() });
    dot_test(&g.v, jvp);
}

// G2: a by-value DVector parameter carried with changing length, kept dims.
#[differentiate]
fn g2_param_dvector(mut x: DVector<f64>) -> f64 {
    let mut s = 0.0;
    while x.len() > 1 {
        s += x.sum();
        x = x.rows(1, x.len() - 1).into_owned();
    }
    s
}

#[test]
fn g2() {
    let x = DVector::from_column_slice(&X[..4]);
    let (value, g) = g2_param_dvector_grad(x.clone());
    assert_eq!(value, g2_param_dvector(x));
    assert_eq!(g.x.as_slice(), &[1.0, 2.0, 3.0, 3.0]);
}

// G3: the same vector carried by two nested loops, both changing its length.
#[differentiate]
fn g3_nested_same(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    for _ in 0..2 {
        for _ in 0..2 {
            v = v.windows(2).map(|w| w[0] * w[1] + w[1]).collect();
        }
        s += v[0] * v[v.len() - 1];
        v = v[1..].to_vec();
    }
    s + v.iter().sum::<f64>()
}

#[test]
fn g3() {
    let (value, g) = g3_nested_same_grad(&X);
    assert_eq!(value, g3_nested_same(&X));
    check(g3_nested_same, &X, &g.x);
    let (_, jvp) = g3_nested_same_jvp(&X, &G3NestedSameGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// G4: `break` with a value from a loop carrying a shrinking vector.
// CLEAN REJECTION: "`loop` is not supported here by #[differentiate]: use control flow as a
// statement or as the value of a `let`, and exits directly in a loop or function body" (at `loop`).
#[cfg(any())]
#[differentiate]
fn g4_break_value(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let r = loop {
        if v.len() == 2 {
            break v[0] * v[1];
        }
        v = v.windows(2).map(|w| (w[0] + w[1]).sin()).collect();
    };
    r
}

#[cfg(any())]
#[test]
fn g4() {
    let (value, g) = g4_break_value_grad(&X[..5]);
    assert_eq!(value, g4_break_value(&X[..5]));
    check(g4_break_value, &X[..5], &g.x);
}

// G5: methods on elements, jvp and hessian.
// (with `hessian`: CLEAN REJECTION "`hessian` does not support parameter structs (`Unit2`) yet")
#[differentiate]
fn g5_hessian_methods(us: &[Unit2], x: f64) -> f64 {
    let mut h = x;
    for u in us {
        h = u.fwd(h);
    }
    h * us[0].fwd(x)
}

#[test]
fn g5() {
    let us = units_of(&U[..6]);
    let (value, g) = g5_hessian_methods_grad(&us, U[6]);
    assert_eq!(value, g5_hessian_methods(&us, U[6]));
    let mut flat = units_flat(&g.us);
    flat.push(g.x);
    check(|p| g5_hessian_methods(&units_of(&p[..6]), p[6]), &U, &flat);
    let t = G5HessianMethodsGrad {
        us: units_of(&V[..6]),
        x: V[6],
    };
    let (_, jvp) = g5_hessian_methods_jvp(&us, U[6], &t);
    let dot: f64 = flat.iter().zip(&V).map(|(a, b)| a * b).sum();
    assert!(
        (dot - jvp).abs() < 1e-10 * (1.0 + dot.abs()),
        "{dot} vs {jvp}"
    );
}

// G6: methods returning tuples, taking slices, chained, on zipped elements.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Aff {
    pub a: f64,
    pub c: f64,
}

#[differentiate]
impl Aff {
    #[differentiate]
    pub fn pair(&self, x: f64) -> (f64, f64) {
        (self.a * x, self.c * x * x)
    }

    #[differentiate]
    pub fn score(&self, xs: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..xs.len() {
            s += self.a * xs[i] + self.c;
        }
        s
    }

    #[differentiate]
    pub fn apply(&self, x: f64) -> f64 {
        self.a * x + self.c
    }
}

#[differentiate]
fn g6_method_shapes(fs: &[Aff], ws: &[f64], xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..fs.len() {
        let (p, q) = fs[i].pair(xs[i]);
        s += p * q + fs[i].score(xs) + fs[i].apply(xs[0]).exp();
    }
    for (f, w) in fs.iter().zip(ws) {
        s += w * f.apply(*w);
    }
    s
}

#[test]
fn g6() {
    let mk = |p: &[f64]| vec![Aff { a: p[0], c: p[1] }, Aff { a: p[2], c: p[3] }];
    let p = [0.5, -0.3, 1.1, 0.2];
    let ws = [0.3, -0.6];
    let xs = [0.7, 0.4];
    let (value, g) = g6_method_shapes_grad(&mk(&p), &ws, &xs);
    assert_eq!(value, g6_method_shapes(&mk(&p), &ws, &xs));
    let mut flat: Vec<f64> = g.fs.iter().flat_map(|f| [f.a, f.c]).collect();
    flat.extend(&g.ws);
    flat.extend(&g.xs);
    let mut at = p.to_vec();
    at.extend(ws);
    at.extend(xs);
    check(
        |q| g6_method_shapes(&mk(&q[..4]), &q[4..6], &q[6..8]),
        &at,
        &flat,
    );
    let t = G6MethodShapesGrad {
        fs: mk(&V[..4]),
        ws: V[4..6].to_vec(),
        xs: V[6..8].to_vec(),
    };
    let (_, jvp) = g6_method_shapes_jvp(&mk(&p), &ws, &xs, &t);
    let dot: f64 = flat.iter().zip(&V).map(|(a, b)| a * b).sum();
    assert!(
        (dot - jvp).abs() < 1e-10 * (1.0 + dot.abs()),
        "{dot} vs {jvp}"
    );
}

// ---------------------------------------------------------------- kept shapes of other types

// K1: Vec<[f64; 2]> carried, shrinking, values not needed (linear).
#[differentiate]
fn k1_vec_arrays_linear(x: &[[f64; 2]]) -> f64 {
    let mut ps: Vec<[f64; 2]> = x.to_vec();
    let mut s = 0.0;
    while ps.len() > 1 {
        s += ps.iter().map(|p| p[0] + 2.0 * p[1]).sum::<f64>();
        ps = ps[1..].to_vec();
    }
    s
}

#[test]
fn k1() {
    let arrs = |p: &[f64]| -> Vec<[f64; 2]> { p[..8].chunks(2).map(|c| [c[0], c[1]]).collect() };
    let (value, g) = k1_vec_arrays_linear_grad(&arrs(&X));
    assert_eq!(value, k1_vec_arrays_linear(&arrs(&X)));
    let flat: Vec<f64> = g.x.concat();
    check(|p| k1_vec_arrays_linear(&arrs(p)), &X[..8], &flat);
}

// K2: generic RealField Vec<T>, kept length.
#[differentiate]
fn k2_realfield_vec<T: RealField + Copy>(x: &[T]) -> T {
    let mut v = x.to_vec();
    let mut s = T::zero();
    while v.len() > 1 {
        s += v.iter().fold(T::zero(), |a, b| a + *b);
        v = v[1..].to_vec();
    }
    s
}

#[test]
fn k2() {
    let (value, g) = k2_realfield_vec_grad(&X[..4]);
    assert_eq!(value, k2_realfield_vec(&X[..4]));
    assert_eq!(g.x, vec![1.0, 2.0, 3.0, 3.0]);
}

// K3: OMatrix<f64, Dyn, U2>, rows dropped; and a RowDVector, columns dropped.
#[differentiate]
fn k3_partly_dynamic(
    a: &tapeless::nalgebra::OMatrix<f64, tapeless::nalgebra::Dyn, tapeless::nalgebra::U2>,
    r: &tapeless::nalgebra::RowDVector<f64>,
) -> f64 {
    let mut m = a.clone();
    let mut q = r.clone();
    let mut s = 0.0;
    while m.nrows() > 1 {
        s += m.sum() + q.sum();
        m = m.rows(1, m.nrows() - 1).into_owned();
        q = q.columns(1, q.ncols() - 1).into_owned();
    }
    s
}

#[test]
fn k3() {
    let a = tapeless::nalgebra::OMatrix::<f64, tapeless::nalgebra::Dyn, tapeless::nalgebra::U2>::from_row_slice(&X[..6]);
    let r = tapeless::nalgebra::RowDVector::from_row_slice(&X[..3]);
    let (value, g) = k3_partly_dynamic_grad(&a, &r);
    assert_eq!(value, k3_partly_dynamic(&a, &r));
    let want_a = tapeless::nalgebra::OMatrix::<f64, tapeless::nalgebra::Dyn, tapeless::nalgebra::U2>::from_fn(3, |i, _| [1.0, 2.0, 2.0][i]);
    assert_eq!(g.a, want_a);
    assert_eq!(g.r.as_slice(), &[1.0, 2.0, 2.0]);
}

// K5: Vec<Vector3> local, shrinking, read by an iterator chain.
#[differentiate]
fn k5_vec_vector3(x: &[Vector3<f64>]) -> f64 {
    let mut ps = x.to_vec();
    let mut s = 0.0;
    while ps.len() > 1 {
        s += ps.iter().map(|p| p.sum()).sum::<f64>();
        ps = ps[1..].to_vec();
    }
    s
}

#[test]
fn k5() {
    let pts =
        |p: &[f64]| -> Vec<Vector3<f64>> { p.chunks(3).map(Vector3::from_column_slice).collect() };
    let (value, g) = k5_vec_vector3_grad(&pts(&X));
    assert_eq!(value, k5_vec_vector3(&pts(&X)));
    let flat: Vec<f64> = g.x.iter().flat_map(|v| v.iter().copied()).collect();
    check(|p| k5_vec_vector3(&pts(p)), &X, &flat);
}

// K1b: Vec<[f64; 2]> carried, replaced by a suffix of the parameter (only its shape kept).
#[differentiate]
fn k1b_arrays_suffix(x: &[[f64; 2]]) -> f64 {
    let mut ps: Vec<[f64; 2]> = x.to_vec();
    let mut k = 0;
    let mut s = 0.0;
    while k < 3 {
        s += ps[0][0] + 2.0 * ps[ps.len() - 1][1];
        k += 1;
        ps = x[k..].to_vec();
    }
    s
}

#[test]
fn k1b() {
    let arrs = |p: &[f64]| -> Vec<[f64; 2]> { p[..8].chunks(2).map(|c| [c[0], c[1]]).collect() };
    let (value, g) = k1b_arrays_suffix_grad(&arrs(&X));
    assert_eq!(value, k1b_arrays_suffix(&arrs(&X)));
    let flat: Vec<f64> = g.x.concat();
    check(|p| k1b_arrays_suffix(&arrs(p)), &X[..8], &flat);
}

// K1c: Vec<Vec<f64>> likewise.
#[differentiate]
fn k1c_rows_suffix(x: &[Vec<f64>]) -> f64 {
    let mut rows: Vec<Vec<f64>> = x.to_vec();
    let mut k = 0;
    let mut s = 0.0;
    while k < 2 {
        s += rows[0][0] + 2.0 * rows[rows.len() - 1][1];
        k += 1;
        rows = x[k..].to_vec();
    }
    s
}

#[test]
fn k1c() {
    let rows = |p: &[f64]| vec![p[..2].to_vec(), p[2..4].to_vec(), p[4..6].to_vec()];
    let (value, g) = k1c_rows_suffix_grad(&rows(&X));
    assert_eq!(value, k1c_rows_suffix(&rows(&X)));
    let flat: Vec<f64> = g.x.concat();
    check(|p| k1c_rows_suffix(&rows(p)), &X[..6], &flat);
}

// K1d: Vec<Vector3<f64>> likewise.
#[differentiate]
fn k1d_points_suffix(x: &[Vector3<f64>]) -> f64 {
    let mut ps = x.to_vec();
    let mut k = 0;
    let mut s = 0.0;
    while k < 2 {
        s += ps[0].sum() + 2.0 * ps[ps.len() - 1].sum();
        k += 1;
        ps = x[k..].to_vec();
    }
    s
}

#[test]
fn k1d() {
    let pts =
        |p: &[f64]| -> Vec<Vector3<f64>> { p.chunks(3).map(Vector3::from_column_slice).collect() };
    let (value, g) = k1d_points_suffix_grad(&pts(&X));
    assert_eq!(value, k1d_points_suffix(&pts(&X)));
    let flat: Vec<f64> = g.x.iter().flat_map(|v| v.iter().copied()).collect();
    check(|p| k1d_points_suffix(&pts(p)), &X, &flat);
}

// K2b: generic RealField Vec<T> replaced by a suffix of the parameter.
#[differentiate]
fn k2b_realfield_suffix<T: RealField + Copy>(x: &[T]) -> T {
    let mut v = x.to_vec();
    let mut k = 0;
    let mut s = T::zero();
    while k < 3 {
        s += v[0] + v.iter().fold(T::zero(), |a, b| a + *b);
        k += 1;
        v = x[k..].to_vec();
    }
    s
}

#[test]
fn k2b() {
    let (value, g) = k2b_realfield_suffix_grad(&X[..5]);
    assert_eq!(value, k2b_realfield_suffix(&X[..5]));
    assert_eq!(g.x, vec![2.0, 3.0, 4.0, 3.0, 3.0]);
}

// K3b: a tuple (Vec, f64) replaced by a suffix of the parameter.
#[differentiate]
fn k3b_tuple_suffix(x: &[f64]) -> f64 {
    let mut t = (x.to_vec(), x[0]);
    let mut k = 0;
    let mut s = 0.0;
    while k < 3 {
        s += t.0[0] + t.0.iter().sum::<f64>() + t.1;
        k += 1;
        t = (x[k..].to_vec(), x[k]);
    }
    s
}

#[test]
fn k3b() {
    let (value, g) = k3b_tuple_suffix_grad(&X[..5]);
    assert_eq!(value, k3b_tuple_suffix(&X[..5]));
    check(k3b_tuple_suffix, &X[..5], &g.x);
}

// K4b: a static-size-row dynamic matrix replaced by a block of the parameter, generic.
#[differentiate]
fn k4b_generic_block<T: RealField + Copy>(a: &DMatrix<T>) -> T {
    let mut m = a.clone();
    let mut k = 1;
    let mut s = T::zero();
    while k < 3 {
        s += m.sum();
        m = a.columns(0, 3 - k).into_owned();
        k += 1;
    }
    s
}

#[test]
fn k4b() {
    let a = DMatrix::from_column_slice(2, 3, &X[..6]);
    let (value, g) = k4b_generic_block_grad(&a);
    assert_eq!(value, k4b_generic_block(&a));
    let want = DMatrix::from_fn(2, 3, |_, j| [2.0, 2.0, 1.0][j]);
    assert_eq!(g.a, want);
}

// KK: carried containers whose values the reverse sweep does not need (their shapes are
// kept, by type), read at the last index, so that an adjoint of the next iteration's shape
// would be too short.

// KK0: Vec<f64> (the supported case, for reference).
#[differentiate]
fn kk0_floats(x: &[f64]) -> f64 {
    let n = x.len();
    let mut v = x.to_vec();
    let mut s = 0.0;
    for k in 0..3 {
        s += v[n - 1 - k] * (k as f64 + 1.0);
        v = x[k + 1..].to_vec();
    }
    s
}

#[test]
fn kk0() {
    let (value, g) = kk0_floats_grad(&X[..5]);
    assert_eq!(value, kk0_floats(&X[..5]));
    check(kk0_floats, &X[..5], &g.x);
}

// KK1: Vec<[f64; 2]>.
// FIXED (B1, in the commit after this pass): the carried container's shape was not kept (runtime carried_shape falls back to
// FixedShape for a Vec whose elements are not floats), so the reverse iteration's adjoint has
// the next iteration's (shorter) length: debug build panics "tapeless: adjoint index out of
// bounds" (runtime/src/index.rs:165); release build (`cargo test --release`) returns an
// all-zero gradient (check_gradient: "analytic -0e0, finite differences 6").
#[differentiate]
fn kk1_arrays(x: &[[f64; 2]]) -> f64 {
    let n = x.len();
    let mut ps: Vec<[f64; 2]> = x.to_vec();
    let mut s = 0.0;
    for k in 0..3 {
        s += ps[n - 1 - k][1] * (k as f64 + 1.0);
        ps = x[k + 1..].to_vec();
    }
    s
}

#[test]
fn kk1() {
    let arrs = |p: &[f64]| -> Vec<[f64; 2]> { p[..8].chunks(2).map(|c| [c[0], c[1]]).collect() };
    let (value, g) = kk1_arrays_grad(&arrs(&X));
    assert_eq!(value, kk1_arrays(&arrs(&X)));
    let flat: Vec<f64> = g.x.concat();
    check(|p| kk1_arrays(&arrs(p)), &X[..8], &flat);
}

// KK2: Vec<Vec<f64>>.
// FIXED (B1, in the commit after this pass): the carried container's shape was not kept (runtime carried_shape falls back to
// FixedShape for a Vec whose elements are not floats), so the reverse iteration's adjoint has
// the next iteration's (shorter) length: debug build panics "tapeless: adjoint index out of
// bounds" (runtime/src/index.rs:165); release build (`cargo test --release`) returns an
// all-zero gradient (check_gradient: "analytic -0e0, finite differences 6").
#[differentiate]
fn kk2_rows(x: &[Vec<f64>]) -> f64 {
    let n = x.len();
    let mut rows: Vec<Vec<f64>> = x.to_vec();
    let mut s = 0.0;
    for k in 0..2 {
        s += rows[n - 1 - k][0] * (k as f64 + 1.0);
        rows = x[k + 1..].to_vec();
    }
    s
}

#[test]
fn kk2() {
    let rows = |p: &[f64]| vec![p[..2].to_vec(), p[2..4].to_vec(), p[4..6].to_vec()];
    let (value, g) = kk2_rows_grad(&rows(&X));
    assert_eq!(value, kk2_rows(&rows(&X)));
    let flat: Vec<f64> = g.x.concat();
    check(|p| kk2_rows(&rows(p)), &X[..6], &flat);
}

// KK3: a tuple (Vec<f64>, f64).
#[differentiate]
fn kk3_tuple(x: &[f64]) -> f64 {
    let n = x.len();
    let mut t = (x.to_vec(), x[0]);
    let mut s = 0.0;
    for k in 0..3 {
        s += t.0[n - 1 - k] * (k as f64 + 1.0) + t.1;
        t = (x[k + 1..].to_vec(), x[k]);
    }
    s
}

#[test]
fn kk3() {
    let (value, g) = kk3_tuple_grad(&X[..5]);
    assert_eq!(value, kk3_tuple(&X[..5]));
    check(kk3_tuple, &X[..5], &g.x);
}

// KK4: Vec<Vector3<f64>>.
// FIXED (B1, in the commit after this pass): the carried container's shape was not kept (runtime carried_shape falls back to
// FixedShape for a Vec whose elements are not floats), so the reverse iteration's adjoint has
// the next iteration's (shorter) length: debug build panics "tapeless: adjoint index out of
// bounds" (runtime/src/index.rs:165); release build (`cargo test --release`) returns an
// all-zero gradient (check_gradient: "analytic -0e0, finite differences 6").
#[differentiate]
fn kk4_points(x: &[Vector3<f64>]) -> f64 {
    let n = x.len();
    let mut ps = x.to_vec();
    let mut s = 0.0;
    for k in 0..2 {
        s += ps[n - 1 - k][2] * (k as f64 + 1.0);
        ps = x[k + 1..].to_vec();
    }
    s
}

#[test]
fn kk4() {
    let pts =
        |p: &[f64]| -> Vec<Vector3<f64>> { p.chunks(3).map(Vector3::from_column_slice).collect() };
    let (value, g) = kk4_points_grad(&pts(&X));
    assert_eq!(value, kk4_points(&pts(&X)));
    let flat: Vec<f64> = g.x.iter().flat_map(|v| v.iter().copied()).collect();
    check(|p| kk4_points(&pts(p)), &X, &flat);
}

// KK5: generic RealField Vec<T>.
#[differentiate]
fn kk5_realfield<T: RealField + Copy>(x: &[T]) -> T {
    let n = x.len();
    let mut v = x.to_vec();
    let mut s = T::zero();
    for k in 0..3 {
        s += v[n - 1 - k];
        v = x[k + 1..].to_vec();
    }
    s
}

#[test]
fn kk5() {
    let (value, g) = kk5_realfield_grad(&X[..5]);
    assert_eq!(value, kk5_realfield(&X[..5]));
    // v[n - 1 - k] with v = x[k..] is x[n - 1] each time.
    assert_eq!(g.x, vec![0.0, 0.0, 0.0, 0.0, 3.0]);
}

// KK6: Vec<DVector<f64>>.
// FIXED (B1, in the commit after this pass): the carried container's shape was not kept (runtime carried_shape falls back to
// FixedShape for a Vec whose elements are not floats), so the reverse iteration's adjoint has
// the next iteration's (shorter) length: debug build panics "tapeless: adjoint index out of
// bounds" (runtime/src/index.rs:165); release build (`cargo test --release`) returns an
// all-zero gradient (check_gradient: "analytic -0e0, finite differences 6").
#[differentiate]
fn kk6_dvectors(x: &[DVector<f64>]) -> f64 {
    let n = x.len();
    let mut vs = x.to_vec();
    let mut s = 0.0;
    for k in 0..2 {
        s += vs[n - 1 - k][0] * (k as f64 + 1.0);
        vs = x[k + 1..].to_vec();
    }
    s
}

#[test]
fn kk6() {
    let mk =
        |p: &[f64]| -> Vec<DVector<f64>> { p.chunks(3).map(DVector::from_column_slice).collect() };
    let (value, g) = kk6_dvectors_grad(&mk(&X));
    assert_eq!(value, kk6_dvectors(&mk(&X)));
    let flat: Vec<f64> = g.x.iter().flat_map(|v| v.iter().copied()).collect();
    check(|p| kk6_dvectors(&mk(p)), &X, &flat);
}

// B1 minimal reproducer: a carried Vec<[f64; 2]> replaced by a suffix of the parameter.
// FIXED (was): debug: panic "tapeless: adjoint index out of bounds" at runtime/src/index.rs:165 in
// f_grad; release: gradient all zeros (want 2.0 at x[2][1]).
#[differentiate]
fn b1_minimal(x: &[[f64; 2]]) -> f64 {
    let n = x.len();
    let mut ps = x.to_vec();
    let mut s = 0.0;
    for k in 0..2 {
        s += ps[n - 1 - k][1];
        ps = x[k + 1..].to_vec();
    }
    s
}

#[test]
fn b1() {
    let x = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let (value, g) = b1_minimal_grad(&x);
    assert_eq!(value, 12.0);
    assert_eq!(g.x, vec![[0.0, 0.0], [0.0, 0.0], [0.0, 2.0]]);
}

// B3 family: elements of field containers whose elements are Copy but not floats, used as
// values.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Tri {
    pub tri: Vec<[f64; 3]>,
    pub ms: Vec<tapeless::nalgebra::Matrix2<f64>>,
}

// FIXED (after this pass; was B3, regression from 8cb47d7: passes at a17af91): E0277 "the trait bound `{float}:
// SlotMut<_>` is not satisfied" (index_vjp) and E0308 at `#[differentiate]`.
#[differentiate]
fn b3c_array_element(net: &Tri, x: f64) -> f64 {
    let t = net.tri[0];
    t[0] * t[1] * x
}

#[test]
fn b3c() {
    let net = Tri {
        tri: vec![[2.0, 3.0, 4.0]],
        ms: vec![],
    };
    let (v, g) = b3c_array_element_grad(&net, 0.5);
    assert_eq!(v, 3.0);
    assert_eq!((g.net.tri[0], g.x), ([1.5, 1.0, 0.0], 6.0));
}

// FIXED (after this pass; was B3, regression from 8cb47d7: passes at a17af91): E0308 mismatched types at
// `#[differentiate]` (runtime/src/matrix.rs:934, index.rs:421: a float where Matrix2 expected).
#[differentiate]
fn b3d_matrix_element(net: &Tri, x: f64) -> f64 {
    let m = net.ms[0];
    m.determinant() * x
}

#[test]
fn b3d() {
    let net = Tri {
        tri: vec![],
        ms: vec![tapeless::nalgebra::Matrix2::new(1.0, 2.0, 3.0, 4.0)],
    };
    let (v, g) = b3d_matrix_element_grad(&net, 0.5);
    assert_eq!(v, -1.0);
    assert_eq!(g.x, -2.0);
    assert_eq!(
        g.net.ms[0],
        tapeless::nalgebra::Matrix2::new(2.0, -1.5, -1.0, 0.5)
    );
}

#[derive(Clone, Debug)]
pub struct ModeCfg {
    pub modes: Vec<Mode>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Single,
    Double,
}

#[differentiate(wrt(x))]
fn b3e_scaled(x: f64, mode: Mode) -> f64 {
    match mode {
        Mode::Single => x * x,
        Mode::Double => 2.0 * x * x,
    }
}

#[differentiate(wrt(x))]
fn b3e_field_enum(cfg: &ModeCfg, x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..cfg.modes.len() {
        s += b3e_scaled(x, cfg.modes[i]);
        let m = cfg.modes[i];
        if m == Mode::Double {
            s += x;
        }
    }
    s
}

#[test]
fn b3e() {
    let cfg = ModeCfg {
        modes: vec![Mode::Single, Mode::Double],
    };
    let (v, g) = b3e_field_enum_grad(&cfg, 1.5);
    assert_eq!(v, b3e_field_enum(&cfg, 1.5));
    assert_eq!(g.x, 3.0 + 6.0 + 1.0);
}

// H1: DMatrix field-container elements by index: borrowed, cloned, dimensions.
#[differentiate]
fn h1_field_matrices(net: &Mlp, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for i in 0..net.ws.len() {
        h = &net.ws[i] * &h;
        h = h.map(|t| t.sin()) * (net.ws[i].nrows() as f64);
    }
    let w0 = net.ws[0].clone();
    h.sum() + w0.sum() * net.ws[1][(0, 0)]
}

#[test]
fn h1() {
    let p = mlp_params();
    let net = Mlp { ws: mlp_of(&p) };
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (value, g) = h1_field_matrices_grad(&net, &x);
    assert_eq!(value, h1_field_matrices(&net, &x));
    let analytic: Vec<f64> = g.net.ws.iter().flat_map(|w| w.iter().copied()).collect();
    check(
        |q| h1_field_matrices(&Mlp { ws: mlp_of(q) }, &x),
        &p,
        &analytic,
    );
}

// H2: a Vec<f64> field element copied by `let`, compared and used in a loop bound.
#[differentiate]
fn h2_field_scalars(t: &Tab, x: f64) -> f64 {
    let a = t.scale[0];
    let b = t.scale[1];
    let mut s = a * x;
    if b > a {
        s += b * b;
    }
    let m = t.scale.iter().fold(f64::MIN, |m, v| m.max(*v));
    s + m
}

#[test]
fn h2() {
    let mk = |p: &[f64]| Tab {
        rows: vec![],
        scale: p[..2].to_vec(),
    };
    let p = [0.5, 0.9, 0.8];
    let (v, g) = h2_field_scalars_grad(&mk(&p), p[2]);
    assert_eq!(v, h2_field_scalars(&mk(&p), p[2]));
    let mut flat = g.t.scale.clone();
    flat.push(g.x);
    check(|q| h2_field_scalars(&mk(q), q[2]), &p, &flat);
}

// H3: a Vector3 field-container element in place (not copied): method and indexing.
#[differentiate]
fn h3_points_in_place(net: &Pts, x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..net.pts.len() {
        s += net.pts[i].norm() * x + net.pts[i][1] + net.pts[i].dot(&net.pts[0]);
    }
    for p in &net.pts {
        s += p.x * p.y;
    }
    s
}

#[test]
fn h3() {
    let mk = |p: &[f64]| Pts {
        pts: p[..6].chunks(3).map(Vector3::from_column_slice).collect(),
    };
    let p = [0.5, -0.3, 1.1, 0.2, -0.4, 0.6, 0.8];
    let (v, g) = h3_points_in_place_grad(&mk(&p), p[6]);
    assert_eq!(v, h3_points_in_place(&mk(&p), p[6]));
    let mut flat: Vec<f64> = g.net.pts.iter().flat_map(|v| v.iter().copied()).collect();
    flat.push(g.x);
    check(|q| h3_points_in_place(&mk(q), q[6]), &p, &flat);
}

// R1: kept lengths of a vector carried by an inner loop, with an early return from inside.
#[differentiate]
fn r1_return_nested(x: &[f64], limit: f64) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for j in 0..3 {
        let mut v = x.to_vec();
        for k in 0..3 {
            s += v[n - 1 - k] * (j as f64 + 1.0) + v[k];
            if s > limit {
                return s * 2.0;
            }
            v = x[k + 1..].to_vec();
        }
    }
    s
}

#[test]
fn r1() {
    let x = &X[..5];
    for limit in [-10.0, 0.0, 0.5, 1.0, 1.5, 2.0, 100.0] {
        let (value, g) = r1_return_nested_grad(x, limit);
        assert_eq!(value, r1_return_nested(x, limit));
        check(|p| r1_return_nested(p, limit), x, &g.x);
    }
}

// R2: kept lengths with `continue` and `break` in an inner while loop.
#[differentiate]
fn r2_break_continue(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for j in 0..2 {
        let mut v = x.to_vec();
        let mut k = 0;
        while k < n - 1 {
            k += 1;
            if k % 2 == j {
                v = x[k..].to_vec();
                continue;
            }
            s += v[v.len() - 1] * k as f64;
            if k == 3 {
                break;
            }
            v = x[k..].to_vec();
        }
    }
    s
}

#[test]
fn r2() {
    let x = &X[..6];
    let (value, g) = r2_break_continue_grad(x);
    assert_eq!(value, r2_break_continue(x));
    check(r2_break_continue, x, &g.x);
}

// N1: kept lengths in nested loops, the inner vector's lengths differing by outer iteration.
#[differentiate]
fn n1_nested_kept(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for j in 0..3 {
        let mut v = x[j..].to_vec();
        for k in 0..2 {
            s += v[n - 1 - j - k] * (j + 1) as f64 + v[0];
            v = x[j + k + 1..].to_vec();
        }
        s += v[n - 3 - j];
    }
    s
}

#[test]
fn n1() {
    let x = &X[..6];
    let (value, g) = n1_nested_kept_grad(x);
    assert_eq!(value, n1_nested_kept(x));
    check(n1_nested_kept, x, &g.x);
    let (_, jvp) = n1_nested_kept_jvp(x, &N1NestedKeptGrad { x: V[..6].to_vec() });
    dot_test(&g.x, jvp);
}

// N2: a kept-length loop in a function called in a loop of another (its pullback).
#[differentiate]
fn n2_inner(x: &[f64], c: f64) -> f64 {
    let n = x.len();
    let mut v = x.to_vec();
    let mut s = 0.0;
    for k in 0..2 {
        s += v[n - 1 - k] * c;
        v = x[k + 1..].to_vec();
    }
    s
}

#[differentiate]
fn n2_outer(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += n2_inner(&x[i..], x[i]).sin();
    }
    s
}

#[test]
fn n2() {
    let (value, g) = n2_outer_grad(&X[..6]);
    assert_eq!(value, n2_outer(&X[..6]));
    check(n2_outer, &X[..6], &g.x);
}

// N3: kept dims of a DMatrix in nested loops.
#[differentiate]
fn n3_nested_matrix(a: &DMatrix<f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..2 {
        let mut m = a.rows(j, a.nrows() - j).into_owned();
        for k in 1..3 {
            s += m[(m.nrows() - 1, 0)] * k as f64;
            m = a.columns(0, a.ncols() - k).into_owned();
        }
    }
    s
}

#[test]
fn n3() {
    let a = DMatrix::from_column_slice(3, 3, &X);
    let (value, g) = n3_nested_matrix_grad(&a);
    assert_eq!(value, n3_nested_matrix(&a));
    check(
        |p| n3_nested_matrix(&DMatrix::from_column_slice(3, 3, p)),
        &X,
        g.a.as_slice(),
    );
}

// N4: kept length with a hessian and a Vec whose values the reverse sweep does not need.
#[differentiate(hessian)]
fn n4_hessian_kept(x: &[f64]) -> f64 {
    let n = x.len();
    let mut v = x.to_vec();
    let mut s = 0.0;
    for k in 0..3 {
        s += v[n - 1 - k] * x[k];
        v = x[k + 1..].to_vec();
    }
    s
}

#[test]
fn n4() {
    let x = &X[..5];
    let (value, g, rows) = n4_hessian_kept_hessian(x);
    assert_eq!(value, n4_hessian_kept(x));
    check(n4_hessian_kept, x, &g.x);
    for j in 0..5 {
        let col: Vec<f64> = rows.iter().map(|r| r.x[j]).collect();
        check(|p| n4_hessian_kept_grad(p).1.x[j], x, &col);
    }
    let dir = N4HessianKeptGrad { x: V[..5].to_vec() };
    let (_, _, hv) = n4_hessian_kept_hvp(x, &dir);
    for i in 0..5 {
        let want: f64 = (0..5).map(|j| rows[i].x[j] * V[j]).sum();
        assert!((hv.x[i] - want).abs() < 1e-12);
    }
}

// ---------------------------------------------------------------- `v = chain.collect();`

// V1: v itself collected first, then reassigned by collect in a loop and in a branch.
// CLEAN REJECTION (misleading): "`v` is written by index elsewhere, so it cannot also be
// reassigned whole; write its elements instead" at the `v = ...collect();` inside the loop /
// branch, though the source never writes `v` by index (it was itself collected).
#[cfg(any())]
#[differentiate]
fn v1_collected_then_reassigned(x: &[f64], flag: bool) -> f64 {
    let mut v: Vec<f64> = x.iter().map(|t| t * 2.0).collect();
    for _ in 0..2 {
        v = v.windows(2).map(|w| w[0] * w[1]).collect();
    }
    if flag {
        v = v.iter().map(|t| t.sin()).collect();
    }
    v = v.iter().map(|t| t + 1.0).collect();
    v.iter().sum()
}

#[cfg(any())]
#[test]
fn v1() {
    for flag in [false, true] {
        let (value, g) = v1_collected_then_reassigned_grad(&X, flag);
        assert_eq!(value, v1_collected_then_reassigned(&X, flag));
        check(|p| v1_collected_then_reassigned(p, flag), &X, &g.x);
    }
}

// V2: a parameter vector reassigned by collect.
#[differentiate]
fn v2_param_collect(mut v: Vec<f64>) -> f64 {
    v = v.iter().map(|t| t * t).collect();
    v = v.windows(2).map(|w| w[1] - w[0]).collect();
    v.iter().sum::<f64>() * v[0]
}

#[test]
fn v2() {
    let (value, g) = v2_param_collect_grad(X.to_vec());
    assert_eq!(value, v2_param_collect(X.to_vec()));
    check(|p| v2_param_collect(p.to_vec()), &X, &g.v);
}

// V3: collect into an existing vector, deferred initialisation.
// CLEAN REJECTION: "`let v;` without a value is not supported by #[differentiate]; declare `v`
// where its value is known".
#[cfg(any())]
#[differentiate]
fn v3_deferred(x: &[f64], flag: bool) -> f64 {
    let v: Vec<f64>;
    if flag {
        v = x.iter().map(|t| t.exp()).collect();
    } else {
        v = x.iter().map(|t| t * 3.0).collect();
    }
    v.iter().sum()
}

#[cfg(any())]
#[test]
fn v3() {
    for flag in [false, true] {
        let (value, g) = v3_deferred_grad(&X, flag);
        assert_eq!(value, v3_deferred(&X, flag));
        check(|p| v3_deferred(p, flag), &X, &g.x);
    }
}

// V4: collect reassigned in a nested block of the same function (shadowing hazards).
// CLEAN REJECTION (misleading): "`v` is written by index elsewhere, so it cannot also be
// reassigned whole; write its elements instead" at the `v = ...collect();` inside the loop /
// branch, though the source never writes `v` by index (it was itself collected).
#[cfg(any())]
#[differentiate]
fn v4_nested_block(x: &[f64]) -> f64 {
    let mut v: Vec<f64> = x.iter().map(|t| t * 2.0).collect();
    {
        v = v.iter().map(|t| t * t).collect();
    }
    let a = v[0];
    for i in 0..2 {
        if i == 1 {
            v = v.iter().skip(1).map(|t| t + a).collect();
        }
    }
    v.iter().sum::<f64>() + v.len() as f64
}

#[cfg(any())]
#[test]
fn v4() {
    let (value, g) = v4_nested_block_grad(&X);
    assert_eq!(value, v4_nested_block(&X));
    check(v4_nested_block, &X, &g.x);
}

// L1: a method of the user's type on an element of a local copy of the slice.
// CLEAN REJECTION: "method `fwd` has no derivative rule, and it receives a value that depends
// on a differentiated parameter; ..." at the call (a method on a local value of the type).
#[cfg(any())]
#[differentiate]
fn l1_local_copy(us: &[Unit2], x: f64) -> f64 {
    let vs = us.to_vec();
    vs[0].fwd(x)
}

#[cfg(any())]
#[test]
fn l1() {
    let us = units_of(&U[..4]);
    let (v, g) = l1_local_copy_grad(&us, 0.7);
    assert_eq!(v, l1_local_copy(&us, 0.7));
    let mut flat = units_flat(&g.us);
    flat.push(g.x);
    check(
        |p| l1_local_copy(&units_of(&p[..4]), p[4]),
        &[0.5, -0.3, 1.1, 0.2, 0.7],
        &flat,
    );
}

// L2: an element of the slice bound by `let` (a clone), then its method.
// CLEAN REJECTION: "method `fwd` has no derivative rule, and it receives a value that depends
// on a differentiated parameter; ..." at the call (a method on a local value of the type).
#[cfg(any())]
#[differentiate]
fn l2_let_element(us: &[Unit2], x: f64) -> f64 {
    let u = us[1].clone();
    u.fwd(x)
}

#[cfg(any())]
#[test]
fn l2() {
    let us = units_of(&U[..4]);
    let (v, g) = l2_let_element_grad(&us, 0.7);
    assert_eq!(v, l2_let_element(&us, 0.7));
    let mut flat = units_flat(&g.us);
    flat.push(g.x);
    check(
        |p| l2_let_element(&units_of(&p[..4]), p[4]),
        &[0.5, -0.3, 1.1, 0.2, 0.7],
        &flat,
    );
}
