//! QA session 31b: `f_jacobian`'s shared reverse sweep (one forward sweep, one reverse sweep
//! per row, values saved in a branch read in place with `BoundedStack::peek`), commit
//! 1538ca8. Each row is compared bit for bit with `f_vjp`'s row of the same unit seed, and
//! with central differences of the plain function; the value with the function's own.
//!
//! Result: 60 probes pass. No wrong row, no panic found in the shared reverse sweep: nested
//! branches, `else if` chains, `match` on data (with guards), early returns (also nested, of
//! literals whose rules read the output), values saved in a branch of `Vector3`, `Matrix3`,
//! `DVector`, `DMatrix`, `Vec`, an inverse, reassigned and shadowed values, one saved value
//! read by several rules, outputs `[f64; 2]`, `[f64; 3]`, `[[f64; 2]; 2]`, `Vector2`, `Vector3`,
//! `Vector4`, `SVector<T, 2>`, `Vec`, `DVector` (data-length), generics (`RealField` in f64
//! and f32, `num_traits::Float`), `wrt(..)`, parameter structs, `&self` methods, forward
//! rows (m > n), and the per-row VJP path (a `#[custom_vjp]` or differentiated call in the
//! branch). Each row equals `f_vjp`'s of its unit seed bit for bit (within 1e-12 for the
//! forward rows) and central differences away from the branch boundaries. The forward
//! sweeps are counted (an `assert!(tick())` in the body, which the forward sweep runs as
//! written): p56-p60 check that the branch probes, generic, method, `Vec`/`DVector`,
//! early-return and closure ones included, do run ONE forward sweep for all their rows (the
//! shared path, not a VJP per row).
//!
//! Fixed since (module `b1` at the end, enabled; `tests/field_values.rs` closes the class),
//! not `f_jacobian`'s and not from 1538ca8 (also at 659511a):
//!
//! B1. rustc E0308 inside generated code: a nalgebra field of a parameter struct read by
//!     value, times a scalar, bound by `let`, then used:
//!
//!     #[derive(Differentiable, Clone)] pub struct Pw { w: Vector3<f64> }
//!     #[differentiate] fn field_scaled(p: &Pw) -> f64 { let k = p.w * 2.0; k.norm() }
//!
//!     error[E0308]: mismatched types ... expected `&mut Matrix<f64, Const<3>, ..>`, found
//!     `&mut {float}` (`norm_vjp`'s `d_x`, runtime/src/matrix.rs) and expected `&Matrix<..>`,
//!     found `&{float}`. Same as a method reading `self.w * 2.0` of a `Vector3` field, or
//!     returning `k / 3.0` (`add_vjp_rhs`, `mul_vjp_rhs`, `div_vjp_rhs`: expected `&{float}`,
//!     found `&Matrix<..>`). The free function `fn f(w: &Vector3<f64>)` with
//!     `let k = w * 2.0; k / 3.0` compiles.
#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, Matrix3, RealField, SVector, Vector3};
use tapeless::check::{check_gradient, Tolerance};
use tapeless::{differentiate, Differentiable, Parameters};

fn flat<P: Parameters<f64>>(p: &P) -> Vec<f64> {
    let mut out = vec![0.0; p.len()];
    p.write_to(&mut out);
    out
}

/// Rows against central differences of `f` (inputs flattened in the gradient's order).
fn check_rows<G: Parameters<f64>>(rows: &[G], x: &[f64], mut f: impl FnMut(&[f64]) -> Vec<f64>) {
    let m = f(x).len();
    assert_eq!(rows.len(), m, "one row per output component");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), x.len(), "row {i} has one entry per input scalar");
        let analytic = flat(row);
        if let Err(mismatch) = check_gradient(|p| f(p)[i], x, &analytic, Tolerance::default()) {
            panic!("row {i}: {mismatch}");
        }
    }
}

/// Each row bit for bit the VJP of its unit seed (`vjp(i)`), then against differences.
fn check_all<G: Parameters<f64>>(
    rows: &[G],
    mut vjp: impl FnMut(usize) -> G,
    x: &[f64],
    f: impl FnMut(&[f64]) -> Vec<f64>,
) {
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(flat(row), flat(&vjp(i)), "row {i} differs from its VJP");
    }
    check_rows(rows, x, f);
}

/// Each row bit for bit the VJP of its unit seed (no differences: at a branch's boundary).
fn same_as_vjp<G: Parameters<f64>>(rows: &[G], mut vjp: impl FnMut(usize) -> G) {
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(flat(row), flat(&vjp(i)), "row {i} differs from its VJP");
    }
}

/// Rows within `tol` of the VJP rows (forward path: columns of JVPs).
fn close_all<G: Parameters<f64>>(
    rows: &[G],
    mut vjp: impl FnMut(usize) -> G,
    x: &[f64],
    f: impl FnMut(&[f64]) -> Vec<f64>,
) {
    for (i, row) in rows.iter().enumerate() {
        let (a, b) = (flat(row), flat(&vjp(i)));
        for (p, q) in a.iter().zip(&b) {
            assert!(
                (p - q).abs() <= 1e-12 * (1.0 + q.abs()),
                "row {i}: {a:?} vs {b:?}"
            );
        }
    }
    check_rows(rows, x, f);
}

fn unit<const N: usize>(i: usize) -> [f64; N] {
    let mut s = [0.0; N];
    s[i] = 1.0;
    s
}

// ------------------------------------------------------------- 1. nested branches

#[differentiate]
#[allow(unused_assignments)]
fn nested(a: f64, b: f64, c: f64) -> [f64; 2] {
    assert!(tick());
    let mut y0 = 0.0;
    let mut y1 = 0.0;
    if a > 0.0 {
        let s = a.sin();
        if b > 0.0 {
            let e = b.exp();
            y0 = s * e;
            y1 = e * c;
        } else {
            let l = (c * c + 1.0).ln();
            y0 = s * l;
            y1 = l * b;
        }
    } else {
        let q = (a * a + b * b).sqrt();
        y0 = q * c;
        y1 = q.cos();
    }
    [y0, y1]
}

#[test]
fn p01_nested_branches_every_path() {
    for (a, b, c) in [
        (0.7, 0.4, -1.1),
        (0.7, -0.4, 1.3),
        (-0.5, 0.9, 0.6),
        (-0.5, -0.9, 0.2),
    ] {
        let (value, rows) = nested_jacobian(a, b, c);
        assert_eq!(value, nested(a, b, c));
        check_all(
            &rows,
            |i| nested_vjp(a, b, c, unit::<2>(i)).1,
            &[a, b, c],
            |q| nested(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 2. else-if chain, [f64; 3]

#[differentiate]
#[allow(unused_assignments)]
fn chain(x: f64, y: f64, z: f64) -> [f64; 3] {
    let mut u = 0.0;
    let mut v = 0.0;
    if x < -1.0 {
        let e = (x * y).exp();
        u = e;
        v = e * z;
    } else if x < 1.0 {
        let t = (x + y).tanh();
        u = t * t;
        v = t * z;
    } else {
        let r = (x * x + z * z).sqrt();
        u = r;
        v = y / r;
    }
    [u, v, u * v]
}

#[test]
fn p02_else_if_chain() {
    for x in [-1.7, 0.3, 1.6] {
        let (y, z) = (0.45, -0.8);
        let (value, rows) = chain_jacobian(x, y, z);
        assert_eq!(value, chain(x, y, z));
        check_all(
            &rows,
            |i| chain_vjp(x, y, z, unit::<3>(i)).1,
            &[x, y, z],
            |q| chain(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 3. match on data

#[differentiate(wrt(p))]
#[allow(unused_assignments)]
fn by_kind(p: &[f64; 3], kind: usize) -> [f64; 2] {
    assert!(tick());
    let mut a = 0.0;
    let mut b = 0.0;
    match kind {
        0 => {
            let s = p[0].sin();
            a = s * p[1];
            b = s * p[2];
        }
        1 => {
            let e = (p[1] * p[2]).exp();
            a = e + p[0];
            b = e * p[0];
        }
        _ => {
            let h = p[0].hypot(p[2]);
            a = h;
            b = h * p[1];
        }
    }
    [a, b]
}

#[test]
fn p03_match_on_data() {
    let p = [0.6, -0.7, 1.2];
    for kind in 0..3 {
        let (value, rows) = by_kind_jacobian(&p, kind);
        assert_eq!(value, by_kind(&p, kind));
        check_all(
            &rows,
            |i| by_kind_vjp(&p, kind, unit::<2>(i)).1,
            &p,
            |q| by_kind(&[q[0], q[1], q[2]], kind).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 4. Vector3 computed in a branch

#[differentiate]
fn spun(v: &Vector3<f64>, t: f64) -> Vector3<f64> {
    assert!(tick());
    let axis = Vector3::new(0.0, 0.0, 1.0);
    let mut w = *v;
    if t != 0.0 {
        let c = t.cos();
        let s = t.sin();
        w = v * c + axis.cross(v) * s;
    }
    w * (1.0 + t * t)
}

#[test]
fn p04_vector3_from_a_branch() {
    let v = Vector3::new(0.3, -1.1, 0.8);
    let (_, rows) = spun_jacobian(&v, 0.0);
    same_as_vjp(&rows, |i| {
        let mut s = Vector3::zeros();
        s[i] = 1.0;
        spun_vjp(&v, 0.0, s).1
    });
    for t in [0.9, -0.3] {
        let (value, rows) = spun_jacobian(&v, t);
        assert_eq!(value, spun(&v, t));
        check_all(
            &rows,
            |i| {
                let mut s = Vector3::zeros();
                s[i] = 1.0;
                spun_vjp(&v, t, s).1
            },
            &[v[0], v[1], v[2], t],
            |q| {
                spun(&Vector3::new(q[0], q[1], q[2]), q[3])
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 5. Matrix3 computed in a branch

#[differentiate]
fn mapped(v: &Vector3<f64>, t: f64) -> Vector3<f64> {
    assert!(tick());
    let mut m = Matrix3::identity();
    if t > 0.0 {
        let c = t.cos();
        let s = t.sin();
        m = Matrix3::new(c, -s, 0.0, s, c, 0.0, 0.0, 0.0, t);
    }
    m * v + m.transpose() * v * t
}

#[test]
fn p05_matrix3_from_a_branch() {
    let v = Vector3::new(0.3, -1.1, 0.8);
    for t in [0.7, -0.4] {
        let (value, rows) = mapped_jacobian(&v, t);
        assert_eq!(value, mapped(&v, t));
        check_all(
            &rows,
            |i| {
                let mut s = Vector3::zeros();
                s[i] = 1.0;
                mapped_vjp(&v, t, s).1
            },
            &[v[0], v[1], v[2], t],
            |q| {
                mapped(&Vector3::new(q[0], q[1], q[2]), q[3])
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 6. DVector in a branch

#[differentiate]
fn dscaled(x: &DVector<f64>, s: f64) -> DVector<f64> {
    assert!(tick());
    let mut y = x * 2.0;
    if s > 0.0 {
        let e = s.exp();
        let z = x * e;
        y = &z + x * (z.dot(x));
    }
    y * s
}

#[test]
fn p06_dvector_from_a_branch() {
    let x = DVector::from_vec(vec![0.3, -0.6, 0.25]);
    for s in [0.4, -0.3] {
        let (value, rows) = dscaled_jacobian(&x, s);
        assert_eq!(value, dscaled(&x, s));
        check_all(
            &rows,
            |i| {
                let mut seed = DVector::zeros(3);
                seed[i] = 1.0;
                dscaled_vjp(&x, s, seed).1
            },
            &[x[0], x[1], x[2], s],
            |q| {
                dscaled(&DVector::from_vec(q[..3].to_vec()), q[3])
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 7. Vec output written in a branch

#[differentiate]
#[allow(clippy::ptr_arg)]
fn vec_out(x: &[f64], s: f64) -> Vec<f64> {
    let mut out = vec![0.0; 2];
    if s > 0.0 {
        let r = s.sqrt();
        out[0] = x[0] * r;
        out[1] = x[1] * r + r.ln();
    } else {
        let c = s.cos();
        out[0] = x[1] * c;
        out[1] = x[0] * c * c;
    }
    out
}

#[test]
fn p07_vec_output_written_in_branches() {
    let x = [0.7, -1.3];
    for s in [0.6, -0.5] {
        let (value, rows) = vec_out_jacobian(&x, s);
        assert_eq!(value, vec_out(&x, s));
        check_all(
            &rows,
            |i| {
                let mut seed = vec![0.0; 2];
                seed[i] = 1.0;
                vec_out_vjp(&x, s, seed).1
            },
            &[x[0], x[1], s],
            |q| vec_out(&q[..2], q[2]),
        );
    }
}

// ------------------------------------------------------------- 8. SVector<f64, 4>

#[differentiate]
fn four(p: &[f64; 4], g: f64) -> SVector<f64, 4> {
    assert!(tick());
    let mut k = 1.0;
    let mut l = 0.0;
    if g > 0.5 {
        k = g.ln();
        l = (p[0] * p[1]).atan2(g);
    }
    nalgebra::Vector4::new(p[0] * k + l, p[1] * l, p[2] * k * k, p[3] + k * l)
}

#[test]
fn p08_svector4_output() {
    let p = [0.3, -0.9, 1.4, 0.2];
    for g in [1.7, 0.1] {
        let (value, rows) = four_jacobian(&p, g);
        assert_eq!(value, four(&p, g));
        check_all(
            &rows,
            |i| {
                let mut s = SVector::<f64, 4>::zeros();
                s[i] = 1.0;
                four_vjp(&p, g, s).1
            },
            &[p[0], p[1], p[2], p[3], g],
            |q| four(&[q[0], q[1], q[2], q[3]], q[4]).as_slice().to_vec(),
        );
    }
}

// ------------------------------------------------------------- 9. one saved value, many rules

#[differentiate]
fn shared_cos(theta: f64, a: f64, b: f64) -> [f64; 3] {
    let mut c = 0.5;
    let mut r = 1.0;
    if theta.abs() > 0.1 {
        c = theta.cos();
        r = (c * c + a * a).sqrt();
    }
    [c * a / r, c.exp() * b, (c * r).powf(b)]
}

#[test]
fn p09_a_saved_value_read_by_several_rules() {
    for theta in [0.8, 0.05] {
        let (a, b) = (1.2, 0.7);
        let (value, rows) = shared_cos_jacobian(theta, a, b);
        assert_eq!(value, shared_cos(theta, a, b));
        check_all(
            &rows,
            |i| shared_cos_vjp(theta, a, b, unit::<3>(i)).1,
            &[theta, a, b],
            |q| shared_cos(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 10. generic RealField, f64 and f32

#[differentiate]
fn gen_rot<T: RealField + Copy>(r: T, p: &[T; 2]) -> [T; 2] {
    assert!(tick());
    let sq = r * r;
    let mut c = T::one();
    let mut s = r;
    if sq != T::zero() {
        let theta = sq.sqrt();
        c = theta.cos();
        s = theta.sin() * r / theta;
    }
    [c * p[0] - s * p[1], s * p[0] + c * p[1]]
}

#[test]
fn p10_generic_real_field_f64() {
    let p = [0.3, -1.2];
    for r in [0.7, 0.0] {
        let (value, rows) = gen_rot_jacobian(r, &p);
        assert_eq!(value, gen_rot(r, &p));
        check_all(
            &rows,
            |i| gen_rot_vjp(r, &p, unit::<2>(i)).1,
            &[r, p[0], p[1]],
            |q| gen_rot(q[0], &[q[1], q[2]]).to_vec(),
        );
    }
}

#[test]
fn p11_generic_real_field_f32() {
    let p = [0.3_f32, -1.2];
    for r in [0.7_f32, 0.0] {
        let (value, rows) = gen_rot_jacobian(r, &p);
        assert_eq!(value, gen_rot(r, &p));
        for (i, row) in rows.iter().enumerate() {
            let mut seed = [0.0_f32; 2];
            seed[i] = 1.0;
            let (_, alone) = gen_rot_vjp(r, &p, seed);
            assert_eq!((row.r, row.p), (alone.r, alone.p), "row {i}");
        }
    }
}

// ------------------------------------------------------------- 12. num_traits::Float

#[differentiate]
fn gen_float<T: num_traits::Float>(x: T, y: T) -> [T; 2] {
    let mut a = x;
    let mut b = y;
    if x > y {
        let e = (x - y).exp();
        a = e * y;
        b = e.ln() + x.sin();
    }
    [a * b, a + b]
}

#[test]
fn p12_generic_float() {
    for (x, y) in [(0.9, 0.2), (0.1, 0.5)] {
        let (value, rows) = gen_float_jacobian(x, y);
        assert_eq!(value, gen_float(x, y));
        check_all(
            &rows,
            |i| gen_float_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| gen_float(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 13. wrt subset

#[differentiate(wrt(x))]
fn wrt_sub(x: &[f64; 3], k: f64) -> [f64; 2] {
    let mut m = x[0];
    if k > 0.0 {
        m = (x[0] * k).sin() * x[1].exp();
    }
    [m * x[2], m + k * x[1]]
}

#[test]
fn p13_wrt_subset() {
    let x = [0.4, -0.3, 1.1];
    for k in [0.8, -0.8] {
        let (value, rows) = wrt_sub_jacobian(&x, k);
        assert_eq!(value, wrt_sub(&x, k));
        check_all(
            &rows,
            |i| wrt_sub_vjp(&x, k, unit::<2>(i)).1,
            &x,
            |q| wrt_sub(&[q[0], q[1], q[2]], k).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 14. early return in a branch

#[differentiate]
fn early(a: f64, b: f64) -> [f64; 2] {
    if a < 0.0 {
        let e = a.exp();
        return [e * b, e + b * b];
    }
    let s = a.sqrt();
    [s * b, s.ln()]
}

#[test]
fn p14_early_return() {
    for a in [-0.6, 0.9] {
        let b = 1.3;
        let (value, rows) = early_jacobian(a, b);
        assert_eq!(value, early(a, b));
        check_all(
            &rows,
            |i| early_vjp(a, b, unit::<2>(i)).1,
            &[a, b],
            |q| early(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 15. a method on &self

#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Cam {
    angle: f64,
    focal: f64,
}

#[differentiate]
impl Cam {
    #[differentiate]
    fn project(&self, x: &[f64; 2]) -> [f64; 2] {
        assert!(tick());
        let mut c = 1.0;
        let mut s = 0.0;
        if self.angle != 0.0 {
            c = self.angle.cos();
            s = self.angle.sin();
        }
        let u = c * x[0] - s * x[1];
        let v = s * x[0] + c * x[1];
        [self.focal * u / (v + 3.0), self.focal * v]
    }
}

#[test]
fn p15_method_on_self() {
    let x = [0.4, -0.7];
    let cam = Cam {
        angle: 0.0,
        focal: 1.7,
    };
    let (_, rows) = cam.project_jacobian(&x);
    same_as_vjp(&rows, |i| cam.project_vjp(&x, unit::<2>(i)).1);
    for angle in [0.6, -0.2] {
        let cam = Cam { angle, focal: 1.7 };
        let (value, rows) = cam.project_jacobian(&x);
        assert_eq!(value, cam.project(&x));
        check_all(
            &rows,
            |i| cam.project_vjp(&x, unit::<2>(i)).1,
            &[angle, 1.7, x[0], x[1]],
            |q| {
                Cam {
                    angle: q[0],
                    focal: q[1],
                }
                .project(&[q[2], q[3]])
                .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 16. a parameter struct

#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Knobs {
    gain: f64,
    bias: [f64; 2],
}

#[differentiate(wrt(k, t))]
fn knobbed(k: &Knobs, t: f64) -> [f64; 2] {
    assert!(tick());
    let mut g = k.gain;
    if t > 0.0 {
        g = (k.gain * t).tanh();
    }
    [g * k.bias[0] + t, g * g * k.bias[1]]
}

#[test]
fn p16_parameter_struct() {
    for t in [0.5, -0.5] {
        let k = Knobs {
            gain: 0.8,
            bias: [1.1, -0.4],
        };
        let (value, rows) = knobbed_jacobian(&k, t);
        assert_eq!(value, knobbed(&k, t));
        check_all(
            &rows,
            |i| knobbed_vjp(&k, t, unit::<2>(i)).1,
            &[0.8, 1.1, -0.4, t],
            |q| {
                knobbed(
                    &Knobs {
                        gain: q[0],
                        bias: [q[1], q[2]],
                    },
                    q[3],
                )
                .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 17. more outputs than inputs

#[differentiate]
fn fan_out(t: f64) -> [f64; 4] {
    let mut c = 1.0;
    let mut s = t;
    if t != 0.0 {
        c = t.cos();
        s = t.sin();
    }
    [c, s, c * s, (c + 2.0).ln()]
}

#[test]
fn p17_more_outputs_than_inputs_forward() {
    for t in [0.8, 0.0] {
        let (value, rows) = fan_out_jacobian(t);
        assert_eq!(value, fan_out(t));
        close_all(
            &rows,
            |i| fan_out_vjp(t, unit::<4>(i)).1,
            &[t],
            |q| fan_out(q[0]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 18. sin_cos and atan2

#[differentiate]
fn polar_branch(x: f64, y: f64) -> [f64; 2] {
    let mut r = x;
    let mut phi = 0.0;
    if y != 0.0 {
        let (s, c) = y.sin_cos();
        r = (x * x + s * s).sqrt();
        phi = s.atan2(x + c);
    }
    [r * phi, r + phi.exp()]
}

#[test]
fn p18_sin_cos_and_atan2() {
    let (_, rows) = polar_branch_jacobian(0.6, 0.0);
    same_as_vjp(&rows, |i| polar_branch_vjp(0.6, 0.0, unit::<2>(i)).1);
    for y in [0.9, -0.4] {
        let x = 0.6;
        let (value, rows) = polar_branch_jacobian(x, y);
        assert_eq!(value, polar_branch(x, y));
        check_all(
            &rows,
            |i| polar_branch_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| polar_branch(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 19. a value reassigned in a branch

#[differentiate]
fn reassigned(a: f64, b: f64) -> [f64; 2] {
    let mut c = a;
    if b > 0.0 {
        c = b.cos();
        c = c * c.exp();
        c = c.sqrt() + a;
    }
    [c * b, c * c]
}

#[test]
fn p19_value_reassigned_in_a_branch() {
    for b in [0.4, -0.4] {
        let a = 0.7;
        let (value, rows) = reassigned_jacobian(a, b);
        assert_eq!(value, reassigned(a, b));
        check_all(
            &rows,
            |i| reassigned_vjp(a, b, unit::<2>(i)).1,
            &[a, b],
            |q| reassigned(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 20. saved in one branch, read in another

#[differentiate]
fn two_branches(a: f64, b: f64, c: f64) -> [f64; 2] {
    let mut e = 1.0;
    if a > 0.0 {
        e = a.exp();
    }
    let mut out0 = e;
    let mut out1 = c;
    if b > 0.0 {
        let l = b.ln();
        out0 = e * l;
        out1 = l * c * e;
    }
    [out0, out1]
}

#[test]
fn p20_saved_in_one_branch_read_in_another() {
    for (a, b) in [(0.3, 0.6), (0.3, -0.6), (-0.3, 0.6), (-0.3, -0.6)] {
        let c = 1.4;
        let (value, rows) = two_branches_jacobian(a, b, c);
        assert_eq!(value, two_branches(a, b, c));
        check_all(
            &rows,
            |i| two_branches_vjp(a, b, c, unit::<2>(i)).1,
            &[a, b, c],
            |q| two_branches(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 21. powi / powf / recip / cbrt

#[differentiate]
fn powers(x: f64, y: f64) -> [f64; 2] {
    let mut u = x;
    let mut v = y;
    if x > 0.0 {
        u = x.powf(y) + x.cbrt();
        v = y.powi(3) * x.recip();
    }
    [u * v, u - v]
}

#[test]
fn p21_powers_in_a_branch() {
    for x in [1.3, -1.3] {
        let y = 0.6;
        let (value, rows) = powers_jacobian(x, y);
        assert_eq!(value, powers(x, y));
        check_all(
            &rows,
            |i| powers_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| powers(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 22. norm / normalize in a branch

#[differentiate]
fn unitised(v: &Vector3<f64>, k: f64) -> Vector3<f64> {
    let mut w = v * k;
    if v.norm() > 1.0 {
        let n = v.norm();
        let u = v.normalize();
        w = u * n.ln() + v * k;
    }
    w
}

#[test]
fn p22_norm_and_normalize_in_a_branch() {
    for v in [Vector3::new(0.9, -1.1, 0.8), Vector3::new(0.2, 0.1, -0.3)] {
        let k = 0.7;
        let (value, rows) = unitised_jacobian(&v, k);
        assert_eq!(value, unitised(&v, k));
        check_all(
            &rows,
            |i| {
                let mut s = Vector3::zeros();
                s[i] = 1.0;
                unitised_vjp(&v, k, s).1
            },
            &[v[0], v[1], v[2], k],
            |q| {
                unitised(&Vector3::new(q[0], q[1], q[2]), q[3])
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 23. nested array output

#[differentiate]
fn grid(a: f64, b: f64, c: f64, d: f64) -> [[f64; 2]; 2] {
    let mut m = a;
    if b < c {
        m = (b - c).exp() * a;
    }
    [[m * d, m + b], [c * m, d.sin() * m]]
}

#[test]
fn p23_nested_array_output() {
    for (b, c) in [(0.2, 0.9), (0.9, 0.2)] {
        let (a, d) = (1.1, -0.5);
        let (value, rows) = grid_jacobian(a, b, c, d);
        assert_eq!(value, grid(a, b, c, d));
        check_all(
            &rows,
            |i| {
                let mut s = [[0.0; 2]; 2];
                s[i / 2][i % 2] = 1.0;
                grid_vjp(a, b, c, d, s).1
            },
            &[a, b, c, d],
            |q| grid(q[0], q[1], q[2], q[3]).concat(),
        );
    }
}

// ------------------------------------------------------------- 24. plain f32 function

#[differentiate]
fn f32_branch(x: [f32; 2], t: f32) -> [f32; 2] {
    let mut c = 1.0_f32;
    if t > 0.0 {
        c = t.sqrt().exp();
    }
    [x[0] * c, x[1] / c + t]
}

#[test]
fn p24_f32_function() {
    for t in [0.5_f32, -0.5] {
        let x = [0.3_f32, 1.2];
        let (value, rows) = f32_branch_jacobian(x, t);
        assert_eq!(value, f32_branch(x, t));
        for (i, row) in rows.iter().enumerate() {
            let mut seed = [0.0_f32; 2];
            seed[i] = 1.0;
            let (_, alone) = f32_branch_vjp(x, t, seed);
            assert_eq!((row.x, row.t), (alone.x, alone.t), "row {i}");
        }
    }
}

// ------------------------------------------------------------- 25. the output array from a branch

#[differentiate]
fn whole_out(x: f64, y: f64) -> [f64; 2] {
    let mut out = [x, y];
    if x > y {
        out = [x.exp() * y, (x - y).sqrt()];
    }
    [out[0] * out[1], out[0] + x]
}

#[test]
fn p25_array_assigned_in_a_branch() {
    for (x, y) in [(0.9, 0.3), (0.3, 0.9)] {
        let (value, rows) = whole_out_jacobian(x, y);
        assert_eq!(value, whole_out(x, y));
        check_all(
            &rows,
            |i| whole_out_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| whole_out(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 26. DMatrix in a branch

#[differentiate]
fn dmat(x: &DVector<f64>, t: f64) -> DVector<f64> {
    let n = x.len();
    let mut m = DMatrix::<f64>::identity(n, n);
    if t > 0.0 {
        m = DMatrix::from_element(n, n, 1.0) * t.sin() + DMatrix::identity(n, n) * t;
    }
    &m * x + m.transpose() * x * t
}

#[test]
fn p26_dmatrix_from_a_branch() {
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    for t in [0.6, -0.6] {
        let (value, rows) = dmat_jacobian(&x, t);
        assert_eq!(value, dmat(&x, t));
        check_all(
            &rows,
            |i| {
                let mut s = DVector::zeros(3);
                s[i] = 1.0;
                dmat_vjp(&x, t, s).1
            },
            &[x[0], x[1], x[2], t],
            |q| {
                dmat(&DVector::from_vec(q[..3].to_vec()), q[3])
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 27. branch without else, saved value used twice in the branch

#[differentiate]
fn guard_twice(a: f64, b: f64, c: f64) -> [f64; 3] {
    let mut y = [a, b, c];
    if a * b > 0.0 {
        let g = (a * b).sqrt();
        y[0] = g * c;
        y[1] = g.exp() + g;
        if c > 0.0 {
            let h = c.ln() * g;
            y[2] = h * h;
        }
    }
    y
}

#[test]
fn p27_nested_if_without_else() {
    for (a, b, c) in [(0.5, 0.8, 1.3), (0.5, 0.8, -1.3), (-0.5, 0.8, 1.3)] {
        let (value, rows) = guard_twice_jacobian(a, b, c);
        assert_eq!(value, guard_twice(a, b, c));
        check_all(
            &rows,
            |i| guard_twice_vjp(a, b, c, unit::<3>(i)).1,
            &[a, b, c],
            |q| guard_twice(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 28. match with guard and a bound value

#[differentiate]
#[allow(unused_assignments)]
fn guarded(x: f64, y: f64) -> [f64; 2] {
    let mut u = 0.0;
    let k = if x > 0.0 { 1 } else { 0 };
    match k {
        1 if y > 0.0 => {
            let e = (x * y).exp();
            u = e;
        }
        1 => {
            let s = x.sin();
            u = s * y;
        }
        _ => {
            u = x * y;
        }
    }
    [u, u * x]
}

#[test]
fn p28_match_with_guard() {
    for (x, y) in [(0.5, 0.7), (0.5, -0.7), (-0.5, 0.7)] {
        let (value, rows) = guarded_jacobian(x, y);
        assert_eq!(value, guarded(x, y));
        check_all(
            &rows,
            |i| guarded_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| guarded(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 29. the BA-like rotation of a point, [f64; 3] out, many inputs

#[differentiate]
#[allow(unused_assignments)]
fn rodrigues(r: &[f64; 3], x: &[f64; 3]) -> [f64; 3] {
    let sq = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
    let mut y0 = 0.0;
    let mut y1 = 0.0;
    let mut y2 = 0.0;
    if sq != 0.0 {
        let theta = sq.sqrt();
        let c = theta.cos();
        let s = theta.sin();
        let inv = 1.0 / theta;
        let v0 = r[0] * inv;
        let v1 = r[1] * inv;
        let v2 = r[2] * inv;
        let tmp = (v0 * x[0] + v1 * x[1] + v2 * x[2]) * (1.0 - c);
        y0 = x[0] * c + (v1 * x[2] - v2 * x[1]) * s + v0 * tmp;
        y1 = x[1] * c + (v2 * x[0] - v0 * x[2]) * s + v1 * tmp;
        y2 = x[2] * c + (v0 * x[1] - v1 * x[0]) * s + v2 * tmp;
    } else {
        y0 = x[0] + (r[1] * x[2] - r[2] * x[1]);
        y1 = x[1] + (r[2] * x[0] - r[0] * x[2]);
        y2 = x[2] + (r[0] * x[1] - r[1] * x[0]);
    }
    [y0, y1, y2]
}

#[test]
fn p29_rodrigues_both_sides() {
    let x = [0.4, -1.2, 2.5];
    for r in [[0.1, -0.3, 0.2], [0.0; 3]] {
        let (value, rows) = rodrigues_jacobian(&r, &x);
        assert_eq!(value, rodrigues(&r, &x));
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                flat(row),
                flat(&rodrigues_vjp(&r, &x, unit::<3>(i)).1),
                "row {i}"
            );
        }
        if r != [0.0; 3] {
            check_rows(&rows, &[r[0], r[1], r[2], x[0], x[1], x[2]], |q| {
                rodrigues(&[q[0], q[1], q[2]], &[q[3], q[4], q[5]]).to_vec()
            });
        }
    }
}

// ------------------------------------------------------------- 30. Vec<f64> saved in a branch

#[differentiate]
#[allow(clippy::ptr_arg, clippy::useless_vec)]
fn vec_saved(x: &Vec<f64>, s: f64) -> Vec<f64> {
    assert!(tick());
    let mut w = vec![x[0], x[1]];
    if s > 0.0 {
        let e = s.exp();
        w[0] = x[0] * e;
        w[1] = x[1] * e + x[0];
    }
    let mut out = vec![0.0; 2];
    out[0] = w[0] * w[1];
    out[1] = w[1] * s;
    out
}

#[test]
fn p30_vec_saved_in_a_branch() {
    let x = vec![0.6, -0.9];
    for s in [0.3, -0.3] {
        let (value, rows) = vec_saved_jacobian(&x, s);
        assert_eq!(value, vec_saved(&x, s));
        check_all(
            &rows,
            |i| {
                let mut seed = vec![0.0; 2];
                seed[i] = 1.0;
                vec_saved_vjp(&x, s, seed).1
            },
            &[x[0], x[1], s],
            |q| vec_saved(&q[..2].to_vec(), q[2]),
        );
    }
}

// ------------------------------------------------------------- 31. if as an expression

#[differentiate]
fn if_expr(a: f64, b: f64) -> [f64; 2] {
    let m = if a > b {
        (a - b).sqrt() * a.exp()
    } else {
        (b - a).ln_1p()
    };
    [m * b, m / (1.0 + a * a)]
}

#[test]
fn p31_if_expression() {
    for (a, b) in [(0.9, 0.1), (0.1, 0.9)] {
        let (value, rows) = if_expr_jacobian(a, b);
        assert_eq!(value, if_expr(a, b));
        check_all(
            &rows,
            |i| if_expr_vjp(a, b, unit::<2>(i)).1,
            &[a, b],
            |q| if_expr(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 32. a custom_vjp call in a branch (the per-row VJP path)

#[tapeless::custom_vjp(soft_rule)]
fn soft(x: f64) -> f64 {
    x.exp().ln_1p()
}
fn soft_rule(x: f64, seed: f64) -> f64 {
    seed / (1.0 + (-x).exp())
}

#[differentiate]
fn soft_branch(x: f64, y: f64) -> [f64; 2] {
    let mut u = y;
    if x > 0.0 {
        let c = x.cos();
        u = soft(x * y) * c;
    }
    [u, u * x]
}

#[test]
fn p32_custom_vjp_call_in_a_branch() {
    for x in [0.4, -0.4] {
        let y = 1.2;
        let (value, rows) = soft_branch_jacobian(x, y);
        assert_eq!(value, soft_branch(x, y));
        check_all(
            &rows,
            |i| soft_branch_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| soft_branch(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 33. a differentiated call in a branch

#[differentiate]
fn inner_sq(a: f64, b: f64) -> f64 {
    (a * b).sin() + b
}

#[differentiate]
fn outer_branch(x: f64, y: f64, z: f64) -> [f64; 2] {
    let mut u = z;
    if x > 0.0 {
        let e = x.exp();
        u = inner_sq(e, y) * e;
    }
    [u * z, u + y]
}

#[test]
fn p33_differentiated_call_in_a_branch() {
    for x in [0.4, -0.4] {
        let (y, z) = (0.8, -1.1);
        let (value, rows) = outer_branch_jacobian(x, y, z);
        assert_eq!(value, outer_branch(x, y, z));
        check_all(
            &rows,
            |i| outer_branch_vjp(x, y, z, unit::<2>(i)).1,
            &[x, y, z],
            |q| outer_branch(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 34. early returns of literals in nested branches

#[differentiate]
fn returns(a: f64, b: f64, c: f64) -> [f64; 2] {
    assert!(tick());
    let s = a.sin();
    if a > 0.0 {
        let e = (a * c).exp();
        if b > 0.0 {
            return [b.sqrt() * e, s.exp()];
        }
        let t = (b * e).tanh();
        return [t, t * s];
    }
    let q = (c * c + 1.0).ln();
    [q * s, b.exp()]
}

#[test]
fn p34_early_returns_in_nested_branches() {
    for (a, b) in [(0.5, 0.7), (0.5, -0.7), (-0.5, 0.7)] {
        let c = 0.9;
        let (value, rows) = returns_jacobian(a, b, c);
        assert_eq!(value, returns(a, b, c));
        check_all(
            &rows,
            |i| returns_vjp(a, b, c, unit::<2>(i)).1,
            &[a, b, c],
            |q| returns(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 35. a method with wrt(x), branching on self

#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Lens {
    k: f64,
}

#[differentiate]
impl Lens {
    #[differentiate(wrt(x))]
    fn distort(&self, x: &[f64; 2]) -> [f64; 2] {
        let r2 = x[0] * x[0] + x[1] * x[1];
        let mut g = 1.0;
        if self.k != 0.0 {
            g = (self.k * r2).exp();
        }
        [x[0] * g, x[1] * g * g]
    }
}

#[test]
fn p35_method_wrt_x_branch_on_self() {
    let x = [0.4, -0.3];
    for k in [0.6, 0.0] {
        let lens = Lens { k };
        let (value, rows) = lens.distort_jacobian(&x);
        assert_eq!(value, lens.distort(&x));
        check_all(
            &rows,
            |i| lens.distort_vjp(&x, unit::<2>(i)).1,
            &x,
            |q| lens.distort(&[q[0], q[1]]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 36. an inverse in a branch

#[differentiate]
fn solved(a: f64, b: f64, c: f64, d: f64) -> nalgebra::Vector2<f64> {
    assert!(tick());
    let m = nalgebra::Matrix2::new(a, b, c, d);
    let rhs = nalgebra::Vector2::new(1.0, -2.0);
    let mut y = m * rhs;
    if a * d - b * c != 0.0 {
        let inv = m.try_inverse().unwrap();
        y = inv * rhs + inv.transpose() * rhs;
    }
    y
}

#[test]
fn p36_inverse_in_a_branch() {
    let (a, b, c, d) = (2.0, 0.3, -0.4, 1.5);
    let (value, rows) = solved_jacobian(a, b, c, d);
    assert_eq!(value, solved(a, b, c, d));
    check_all(
        &rows,
        |i| {
            let mut s = nalgebra::Vector2::zeros();
            s[i] = 1.0;
            solved_vjp(a, b, c, d, s).1
        },
        &[a, b, c, d],
        |q| solved(q[0], q[1], q[2], q[3]).as_slice().to_vec(),
    );
}

// ------------------------------------------------------------- 37. max / min / abs / clamp in a branch

#[differentiate]
fn kinks(x: f64, y: f64, z: f64) -> [f64; 3] {
    let mut m = x;
    let mut n = y;
    if z > 0.0 {
        m = x.max(y) * z.abs();
        n = (x - y).abs().min(z).clamp(0.1, 0.9);
    }
    [m, n, m * n]
}

#[test]
fn p37_max_min_abs_clamp_in_a_branch() {
    for (x, y, z) in [(0.8, 0.3, 0.45), (0.2, 0.7, 0.6), (0.2, 0.7, -0.6)] {
        let (value, rows) = kinks_jacobian(x, y, z);
        assert_eq!(value, kinks(x, y, z));
        check_all(
            &rows,
            |i| kinks_vjp(x, y, z, unit::<3>(i)).1,
            &[x, y, z],
            |q| kinks(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 38. Vec output, more outputs than inputs (forward)

#[differentiate]
fn spread(t: f64, u: f64) -> Vec<f64> {
    let mut out = vec![0.0; 5];
    let mut c = t;
    if t > 0.0 {
        c = t.sqrt();
    }
    out[0] = c;
    out[1] = c * u;
    out[2] = u.exp();
    out[3] = c.sin();
    out[4] = c * c * u;
    out
}

#[test]
fn p38_vec_output_forward_rows() {
    for t in [0.7, -0.7] {
        let u = 0.3;
        let (value, rows) = spread_jacobian(t, u);
        assert_eq!(value, spread(t, u));
        close_all(
            &rows,
            |i| {
                let mut s = vec![0.0; 5];
                s[i] = 1.0;
                spread_vjp(t, u, s).1
            },
            &[t, u],
            |q| spread(q[0], q[1]),
        );
    }
}

// ------------------------------------------------------------- 39. generic SVector output in f32

#[differentiate]
fn gen_sv<T: RealField + Copy>(x: &[T; 3]) -> SVector<T, 2> {
    let mut a = x[0];
    let mut b = x[1];
    if x[2] > T::zero() {
        let e = x[2].exp();
        a = x[0] * e;
        b = (x[1] * e).sin();
    }
    let mut out = SVector::<T, 2>::zeros();
    out[0] = a * b;
    out[1] = a + x[2];
    out
}

#[test]
fn p39_generic_svector_f32_and_f64() {
    for z in [0.5_f32, -0.5] {
        let x = [0.3_f32, 0.9, z];
        let (value, rows) = gen_sv_jacobian(&x);
        assert_eq!(value, gen_sv(&x));
        for (i, row) in rows.iter().enumerate() {
            let mut s = SVector::<f32, 2>::zeros();
            s[i] = 1.0;
            assert_eq!(row.x, gen_sv_vjp(&x, s).1.x, "row {i}");
        }
    }
    let x = [0.3, 0.9, 0.5];
    let (_, rows) = gen_sv_jacobian(&x);
    check_all(
        &rows,
        |i| {
            let mut s = SVector::<f64, 2>::zeros();
            s[i] = 1.0;
            gen_sv_vjp(&x, s).1
        },
        &x,
        |q| gen_sv(&[q[0], q[1], q[2]]).as_slice().to_vec(),
    );
}

// ------------------------------------------------------------- 40. tuple destructuring and shadowing in a branch

#[differentiate]
fn shadowed(x: f64, y: f64) -> [f64; 2] {
    let mut u = x;
    let mut v = y;
    if x * y > 0.0 {
        let (a, b) = (x.exp(), y.ln_1p());
        let a = a * b;
        let a = a.sqrt();
        u = a;
        v = b * a;
    }
    [u, v]
}

#[test]
fn p40_tuple_and_shadowing_in_a_branch() {
    for (x, y) in [(0.4, 0.9), (-0.4, 0.9)] {
        let (value, rows) = shadowed_jacobian(x, y);
        assert_eq!(value, shadowed(x, y));
        check_all(
            &rows,
            |i| shadowed_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| shadowed(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 41. match arms as block values of arrays

#[differentiate]
fn arm_values(x: f64, y: f64, k: usize) -> [f64; 2] {
    let mut out = [x, y];
    match k {
        0 => {
            out = [x.exp(), y * x];
        }
        1 => {
            out = [y.sin(), x.sqrt()];
        }
        _ => {}
    }
    [out[0] * out[1], out[1] + y]
}

#[test]
fn p41_match_arms_of_arrays() {
    for k in 0..3 {
        let (x, y) = (0.7, -0.4);
        let (value, rows) = arm_values_jacobian(x, y, k);
        assert_eq!(value, arm_values(x, y, k));
        check_all(
            &rows,
            |i| arm_values_vjp(x, y, k, unit::<2>(i)).1,
            &[x, y],
            |q| arm_values(q[0], q[1], k).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 42. DVector output, length from data, fewer outputs

#[differentiate(wrt(x))]
fn head(x: &DVector<f64>, n: usize, s: f64) -> DVector<f64> {
    let mut y = x.rows(0, n).into_owned();
    if s > 0.0 {
        let t = x.rows(0, n).into_owned() * s.ln();
        y = t.component_mul(&y) + y.clone() * x.norm();
    }
    y
}

#[test]
fn p42_dvector_rows_from_data() {
    let x = DVector::from_vec(vec![0.3, -0.8, 0.5, 1.1]);
    for s in [1.7, -1.0] {
        let (value, rows) = head_jacobian(&x, 2, s);
        assert_eq!(value, head(&x, 2, s));
        check_all(
            &rows,
            |i| {
                let mut seed = DVector::zeros(2);
                seed[i] = 1.0;
                head_vjp(&x, 2, s, seed).1
            },
            x.as_slice(),
            |q| {
                head(&DVector::from_vec(q.to_vec()), 2, s)
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 43. generic RealField without Copy

#[differentiate]
fn gen_nocopy<T: RealField>(x: T, y: T) -> [T; 2] {
    assert!(tick());
    let mut c = y.clone();
    if x > T::zero() {
        c = x.clone().cos() * y.clone().exp();
    }
    [c.clone() * y, c * x]
}

#[test]
fn p43_generic_real_field_without_copy() {
    for x in [0.6, -0.6] {
        let y = 0.4;
        let (value, rows) = gen_nocopy_jacobian(x, y);
        assert_eq!(value, gen_nocopy(x, y));
        check_all(
            &rows,
            |i| gen_nocopy_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| gen_nocopy(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 44. an alias output

type Pair = [f64; 2];

#[differentiate]
fn aliased(x: f64, y: f64) -> Pair {
    let mut c = x;
    if y > 0.0 {
        c = y.ln() * x.exp();
    }
    [c * y, c + x]
}

#[test]
fn p44_alias_output() {
    for y in [0.6, -0.6] {
        let x = 0.3;
        let (value, rows) = aliased_jacobian(x, y);
        assert_eq!(value, aliased(x, y));
        check_all(
            &rows,
            |i| aliased_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| aliased(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 45. DVector output from a branch, its rule reading the output

#[differentiate]
fn dnormal(x: &DVector<f64>, s: f64) -> DVector<f64> {
    let mut y = x * s;
    if s > 0.0 {
        y = (x * s).normalize();
    }
    y
}

#[test]
fn p45_dvector_output_normalized_in_a_branch() {
    let x = DVector::from_vec(vec![0.3, -0.6]);
    for s in [0.7, -0.7] {
        let (value, rows) = dnormal_jacobian(&x, s);
        assert_eq!(value, dnormal(&x, s));
        check_all(
            &rows,
            |i| {
                let mut seed = DVector::zeros(2);
                seed[i] = 1.0;
                dnormal_vjp(&x, s, seed).1
            },
            &[x[0], x[1], s],
            |q| {
                dnormal(&DVector::from_vec(q[..2].to_vec()), q[2])
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 46. DMatrix output, a matrix saved in a branch

#[differentiate]
fn outer_mat(a: &DVector<f64>, t: f64) -> DMatrix<f64> {
    let mut m = a * a.transpose();
    if t > 0.0 {
        let e = t.exp();
        m = a * a.transpose() * e + DMatrix::identity(2, 2) * t;
    }
    m * t
}

#[test]
fn p46_dmatrix_output_forward_rows() {
    let a = DVector::from_vec(vec![0.4, -0.9]);
    for t in [0.5, -0.5] {
        let (value, rows) = outer_mat_jacobian(&a, t);
        assert_eq!(value, outer_mat(&a, t));
        assert_eq!(rows.len(), 4);
        close_all(
            &rows,
            |i| {
                let mut seed = DMatrix::zeros(2, 2);
                seed[i] = 1.0;
                outer_mat_vjp(&a, t, seed).1
            },
            &[a[0], a[1], t],
            |q| {
                outer_mat(&DVector::from_vec(q[..2].to_vec()), q[2])
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 47. Vec<Vector3<f64>> output

#[differentiate]
fn two_points(v: &Vector3<f64>, t: f64) -> Vec<Vector3<f64>> {
    let mut w = *v;
    if t > 0.0 {
        w = v * t.sqrt();
    }
    let out = vec![w, v * t];
    out
}

#[test]
fn p47_vec_of_vector3_output() {
    let v = Vector3::new(0.2, -0.4, 0.9);
    for t in [0.6, -0.6] {
        let (value, rows) = two_points_jacobian(&v, t);
        assert_eq!(value, two_points(&v, t));
        check_all(
            &rows,
            |i| {
                let mut seed = vec![Vector3::zeros(); 2];
                seed[i / 3][i % 3] = 1.0;
                two_points_vjp(&v, t, seed).1
            },
            &[v[0], v[1], v[2], t],
            |q| {
                two_points(&Vector3::new(q[0], q[1], q[2]), q[3])
                    .iter()
                    .flat_map(|w| w.iter().copied())
                    .collect()
            },
        );
    }
}

// ------------------------------------------------------------- 48. tanh map of a vector in a branch (a rule reading its output)

#[differentiate]
fn squashed(x: &DVector<f64>, g: f64) -> DVector<f64> {
    let mut h = x * g;
    if g > 0.0 {
        h = (x * g).map(|v| v.tanh());
    }
    h * g
}

#[test]
fn p48_tanh_map_in_a_branch() {
    let x = DVector::from_vec(vec![0.3, -0.6, 1.2]);
    for g in [0.8, -0.8] {
        let (value, rows) = squashed_jacobian(&x, g);
        assert_eq!(value, squashed(&x, g));
        check_all(
            &rows,
            |i| {
                let mut seed = DVector::zeros(3);
                seed[i] = 1.0;
                squashed_vjp(&x, g, seed).1
            },
            &[x[0], x[1], x[2], g],
            |q| {
                squashed(&DVector::from_vec(q[..3].to_vec()), q[3])
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 49. a non-Copy value before the branch, read in the branch

#[differentiate]
fn before_branch(a: &DMatrix<f64>, x: &DVector<f64>, t: f64) -> DVector<f64> {
    assert!(tick());
    let m = a * a.transpose();
    let mut y = &m * x;
    if t > 0.0 {
        let z = &m * x * t.sin();
        y = &m * &z + x * z.norm();
    }
    y
}

#[test]
fn p49_non_copy_value_before_the_branch() {
    let a = DMatrix::from_column_slice(2, 2, &[0.5, -0.2, 0.3, 0.8]);
    let x = DVector::from_vec(vec![0.7, -0.1]);
    for t in [0.9, -0.9] {
        let (value, rows) = before_branch_jacobian(&a, &x, t);
        assert_eq!(value, before_branch(&a, &x, t));
        check_all(
            &rows,
            |i| {
                let mut seed = DVector::zeros(2);
                seed[i] = 1.0;
                before_branch_vjp(&a, &x, t, seed).1
            },
            &[a[0], a[1], a[2], a[3], x[0], x[1], t],
            |q| {
                before_branch(
                    &DMatrix::from_column_slice(2, 2, &q[..4]),
                    &DVector::from_vec(q[4..6].to_vec()),
                    q[6],
                )
                .as_slice()
                .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 50. Matrix2x3 output, mixed parameters

#[differentiate]
fn mat23(p: &[f64; 3], s: f64, v: &Vector3<f64>) -> nalgebra::Matrix2x3<f64> {
    let mut k = s;
    if p[0] + v[0] > 0.0 {
        k = (p[0] * v[0]).exp() + s.cos();
    }
    nalgebra::Matrix2x3::new(p[0] * k, p[1], v[2] * k, s, p[2] * v[1], k * k)
}

#[test]
fn p50_matrix2x3_output() {
    let p = [0.4, -0.3, 0.9];
    let v = Vector3::new(0.5, 0.2, -0.7);
    for s in [0.8, -0.2] {
        for sign in [1.0, -1.0] {
            let p = [p[0] * sign, p[1], p[2]];
            let v = v * sign;
            let (value, rows) = mat23_jacobian(&p, s, &v);
            assert_eq!(value, mat23(&p, s, &v));
            check_all(
                &rows,
                |i| {
                    let mut seed = nalgebra::Matrix2x3::zeros();
                    seed[i] = 1.0;
                    mat23_vjp(&p, s, &v, seed).1
                },
                &[p[0], p[1], p[2], s, v[0], v[1], v[2]],
                |q| {
                    mat23(&[q[0], q[1], q[2]], q[3], &Vector3::new(q[4], q[5], q[6]))
                        .as_slice()
                        .to_vec()
                },
            );
        }
    }
}

// ------------------------------------------------------------- 51. jacobian called twice, and value reuse

#[test]
fn p51_repeated_calls_agree() {
    let p = [0.3, -1.2];
    let first = gen_rot_jacobian(0.7, &p);
    let second = gen_rot_jacobian(0.7, &p);
    assert_eq!(first.0, second.0);
    for (a, b) in first.1.iter().zip(&second.1) {
        assert_eq!(flat(a), flat(b));
    }
}

// ------------------------------------------------------------- 52. a let-bound closure with a branch, called twice

#[differentiate]
fn closure_twice(x: f64, y: f64) -> [f64; 2] {
    assert!(tick());
    let g = |v: f64| {
        let mut r = v;
        if v > 0.0 {
            r = v.sqrt() * v.exp();
        }
        r
    };
    let a = g(x);
    let b = g(y);
    [a * b, a + y]
}

#[test]
fn p52_closure_with_a_branch_called_twice() {
    for (x, y) in [(0.5, -0.5), (0.5, 0.7), (-0.4, 0.7), (-0.4, -0.2)] {
        let (value, rows) = closure_twice_jacobian(x, y);
        assert_eq!(value, closure_twice(x, y));
        check_all(
            &rows,
            |i| closure_twice_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| closure_twice(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 53. a nested gradient in a branch

#[differentiate(hessian)]
fn energy(a: f64, b: f64) -> f64 {
    (a * b).sin() + a * a * b
}

#[differentiate]
fn force_branch(a: f64, b: f64, c: f64) -> [f64; 2] {
    let mut f = [a, b];
    if c > 0.0 {
        let (_, g) = energy_grad(a, b);
        let e = c.exp();
        f = [g.a * e, g.b * c];
    }
    f
}

#[test]
fn p53_nested_gradient_in_a_branch() {
    for c in [0.5, -0.5] {
        let (a, b) = (0.3, -0.8);
        let (value, rows) = force_branch_jacobian(a, b, c);
        assert_eq!(value, force_branch(a, b, c));
        check_all(
            &rows,
            |i| force_branch_vjp(a, b, c, unit::<2>(i)).1,
            &[a, b, c],
            |q| force_branch(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 54. owned parameters (Vec, DVector, array by value)

#[differentiate]
#[allow(clippy::needless_pass_by_value)]
fn owned(x: Vec<f64>, d: DVector<f64>, a: [f64; 2]) -> [f64; 2] {
    let mut u = x[0] * d[0];
    let mut v = a[1];
    if a[0] > 0.0 {
        let e = (x[1] * a[0]).exp();
        u = e * d[1];
        v = e * a[1] + d.norm();
    }
    [u, v]
}

#[test]
fn p54_owned_parameters() {
    for s in [1.0, -1.0] {
        let x = vec![0.3, -0.7];
        let d = DVector::from_vec(vec![0.9, 0.2]);
        let a = [0.4 * s, 1.1];
        let (value, rows) = owned_jacobian(x.clone(), d.clone(), a);
        assert_eq!(value, owned(x.clone(), d.clone(), a));
        check_all(
            &rows,
            |i| owned_vjp(x.clone(), d.clone(), a, unit::<2>(i)).1,
            &[x[0], x[1], d[0], d[1], a[0], a[1]],
            |q| {
                owned(
                    q[..2].to_vec(),
                    DVector::from_vec(q[2..4].to_vec()),
                    [q[4], q[5]],
                )
                .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 55. owned parameter, forward rows (more outputs than inputs)

#[differentiate]
#[allow(clippy::needless_pass_by_value)]
fn owned_fan(x: Vector3<f64>) -> [f64; 5] {
    let mut n = x[0];
    if x[1] > 0.0 {
        n = x.norm();
    }
    [n, n * x[0], x[1].exp(), n.sin(), x[2] * n]
}

#[test]
fn p55_owned_parameter_forward_rows() {
    for x in [Vector3::new(0.3, 0.8, -0.2), Vector3::new(0.3, -0.8, -0.2)] {
        let (value, rows) = owned_fan_jacobian(x);
        assert_eq!(value, owned_fan(x));
        close_all(
            &rows,
            |i| owned_fan_vjp(x, unit::<5>(i)).1,
            &[x[0], x[1], x[2]],
            |q| owned_fan(Vector3::new(q[0], q[1], q[2])).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 56. the rows do share one forward sweep

thread_local! {
    static SWEEPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts a forward sweep (called from an `assert!`, which the sweeps emit as written).
fn tick() -> bool {
    SWEEPS.with(|c| c.set(c.get() + 1));
    true
}

fn sweeps() -> usize {
    SWEEPS.with(|c| c.replace(0))
}

#[differentiate]
fn counted(v: &Vector3<f64>, t: f64) -> [f64; 3] {
    assert!(tick());
    let mut w = *v;
    let mut k = 1.0;
    if t > 0.0 {
        let c = t.cos();
        w = v * c + v.cross(&Vector3::new(0.0, 0.0, t.sin()));
        if v[0] > 0.0 {
            k = (v[0] * t).ln_1p();
        }
    }
    [w[0] * k, w[1], w[2] + k]
}

#[test]
fn p56_one_forward_sweep_for_all_rows() {
    let v = Vector3::new(0.4, -0.9, 0.3);
    for t in [0.7, -0.7] {
        sweeps();
        let (value, rows) = counted_jacobian(&v, t);
        assert_eq!(sweeps(), 1, "t = {t}: one forward sweep");
        assert_eq!(value, counted(&v, t));
        sweeps();
        check_all(
            &rows,
            |i| counted_vjp(&v, t, unit::<3>(i)).1,
            &[v[0], v[1], v[2], t],
            |q| counted(&Vector3::new(q[0], q[1], q[2]), q[3]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 57. conditions on an array written in place

#[differentiate]
#[allow(clippy::assign_op_pattern)]
fn cond_on_array(x: f64, y: f64) -> [f64; 2] {
    assert!(tick());
    let mut a = [x, y];
    if a[0] > 0.0 {
        let s = a[0].sin();
        a[1] = s * y;
    }
    a[0] = -a[0] * y;
    if a[0] > 0.0 {
        let e = a[0].exp();
        a[1] = a[1] * e;
    }
    [a[0], a[1]]
}

#[test]
fn p57_conditions_on_an_array_written_in_place() {
    for (x, y) in [(0.5, 0.7), (0.5, -0.7), (-0.5, 0.7), (-0.5, -0.7)] {
        sweeps();
        let (value, rows) = cond_on_array_jacobian(x, y);
        assert_eq!(sweeps(), 1, "one forward sweep");
        assert_eq!(value, cond_on_array(x, y));
        check_all(
            &rows,
            |i| cond_on_array_vjp(x, y, unit::<2>(i)).1,
            &[x, y],
            |q| cond_on_array(q[0], q[1]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 58. increments of an array in a branch

#[differentiate]
fn inc_in_branch(x: f64, y: f64, z: f64) -> [f64; 3] {
    assert!(tick());
    let mut a = [x, y, z];
    if x > 0.0 {
        let s = (x * y).sqrt();
        a[0] += s;
        a[1] *= s;
        a[2] -= s * a[1];
    }
    a[1] += a[0].ln_1p();
    a
}

#[test]
fn p58_increments_in_a_branch() {
    for x in [0.5, -0.5] {
        let (y, z) = (0.8, 1.3);
        sweeps();
        let (value, rows) = inc_in_branch_jacobian(x, y, z);
        assert_eq!(sweeps(), 1, "one forward sweep");
        assert_eq!(value, inc_in_branch(x, y, z));
        check_all(
            &rows,
            |i| inc_in_branch_vjp(x, y, z, unit::<3>(i)).1,
            &[x, y, z],
            |q| inc_in_branch(q[0], q[1], q[2]).to_vec(),
        );
    }
}

// ------------------------------------------------------------- 59. a DVector written by index in a branch

#[differentiate]
fn dvec_written(x: &DVector<f64>, s: f64) -> DVector<f64> {
    assert!(tick());
    let mut y = x.clone();
    if s > 0.0 {
        let c = s.cos();
        y[0] = x[0] * c;
        y[1] = y[0] * x[1] * c;
    }
    y[2] = y[1] * y[0];
    y
}

#[test]
fn p59_dvector_written_by_index_in_a_branch() {
    for s in [0.5, -0.5] {
        let x = DVector::from_vec(vec![0.4, 0.9, -0.3]);
        sweeps();
        let (value, rows) = dvec_written_jacobian(&x, s);
        assert_eq!(sweeps(), 1, "one forward sweep");
        assert_eq!(value, dvec_written(&x, s));
        check_all(
            &rows,
            |i| {
                let mut seed = DVector::zeros(3);
                seed[i] = 1.0;
                dvec_written_vjp(&x, s, seed).1
            },
            &[x[0], x[1], x[2], s],
            |q| {
                dvec_written(&DVector::from_vec(q[..3].to_vec()), q[3])
                    .as_slice()
                    .to_vec()
            },
        );
    }
}

// ------------------------------------------------------------- 60. which probes share one forward sweep

/// The number of forward sweeps `f_jacobian` ran.
fn count(f: impl FnOnce()) -> usize {
    sweeps();
    f();
    sweeps()
}

#[test]
fn p60_the_branch_probes_share_one_forward_sweep() {
    let v = Vector3::new(0.3, -1.1, 0.8);
    let x = DVector::from_vec(vec![0.3, -0.6, 0.25]);
    let counts = [
        (
            "gen_rot f64",
            count(|| drop(gen_rot_jacobian(0.7, &[0.3, -1.2]))),
        ),
        (
            "gen_rot f32",
            count(|| drop(gen_rot_jacobian(0.7_f32, &[0.3, -1.2]))),
        ),
        ("gen_nocopy", count(|| drop(gen_nocopy_jacobian(0.6, 0.4)))),
        (
            "project",
            count(|| {
                drop(
                    Cam {
                        angle: 0.6,
                        focal: 1.7,
                    }
                    .project_jacobian(&[0.4, -0.7]),
                )
            }),
        ),
        (
            "vec_saved",
            count(|| drop(vec_saved_jacobian(&vec![0.6, -0.9], 0.3))),
        ),
        ("dscaled", count(|| drop(dscaled_jacobian(&x, 0.4)))),
        ("returns", count(|| drop(returns_jacobian(0.5, 0.7, 0.9)))),
        (
            "closure_twice",
            count(|| drop(closure_twice_jacobian(0.5, -0.5))),
        ),
        (
            "by_kind",
            count(|| drop(by_kind_jacobian(&[0.6, -0.7, 1.2], 1))),
        ),
        (
            "four",
            count(|| drop(four_jacobian(&[0.3, -0.9, 1.4, 0.2], 1.7))),
        ),
        ("spun", count(|| drop(spun_jacobian(&v, 0.9)))),
        ("mapped", count(|| drop(mapped_jacobian(&v, 0.7)))),
        ("nested", count(|| drop(nested_jacobian(0.7, -0.4, 1.3)))),
        (
            "knobbed",
            count(|| {
                drop(knobbed_jacobian(
                    &Knobs {
                        gain: 0.8,
                        bias: [1.1, -0.4],
                    },
                    0.5,
                ))
            }),
        ),
        (
            "solved",
            count(|| drop(solved_jacobian(2.0, 0.3, -0.4, 1.5))),
        ),
        (
            "before_branch",
            count(|| {
                drop(before_branch_jacobian(
                    &DMatrix::from_column_slice(2, 2, &[0.5, -0.2, 0.3, 0.8]),
                    &DVector::from_vec(vec![0.7, -0.1]),
                    0.9,
                ))
            }),
        ),
    ];
    let whole: Vec<_> = counts.iter().filter(|(_, n)| *n != 1).collect();
    assert!(whole.is_empty(), "not shared: {whole:?}");
}

// ------------------------------------------------------------- B1 (not f_jacobian's): a field of a parameter struct by value, times a scalar, bound by let

mod b1 {
    use super::*;

    #[derive(Differentiable, Clone, Debug, PartialEq)]
    pub struct Pw {
        w: Vector3<f64>,
    }

    #[differentiate]
    fn field_scaled(p: &Pw) -> f64 {
        let k = p.w * 2.0;
        k.norm()
    }

    #[test]
    fn b1_field_by_value_times_scalar() {
        let p = Pw {
            w: Vector3::new(0.3, -0.4, 1.2),
        };
        let (_, g) = field_scaled_grad(&p);
        // ∂|2w|/∂w = 2w/|w| (the probe, never compiled before, had w/|w|).
        assert!((g.p.w - 2.0 * p.w / p.w.norm()).norm() < 1e-14);
    }
}
