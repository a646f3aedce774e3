//! Adversarial QA of forward mode (`f_jvp`), `f_jacobian` and `#[differentiate(hessian)]`
//! against the DESIGN.md contract. Oracles: central differences of the plain function along
//! the tangent, the dot-product identity ⟨J·t, w⟩ = ⟨t, Jᵀ·w⟩ with `f_vjp`, closed forms, and
//! Hessian symmetry.
// Idioms written as users write them: the macro must accept these forms.
#![allow(
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::ptr_arg,
    clippy::manual_swap,
    clippy::manual_memcpy
)]

use nalgebra::{DMatrix, DVector, RealField, SVector, Vector3};
use tapeless::{custom_vjp, differentiate, Differentiable, Parameters};

const H: f64 = 1e-6;

/// Central difference of a flattened output along a direction: `g(s)` = f(x + s·t).
fn fd(g: impl Fn(f64) -> Vec<f64>) -> Vec<f64> {
    let (p, m) = (g(H), g(-H));
    p.iter().zip(&m).map(|(a, b)| (a - b) / (2.0 * H)).collect()
}

fn close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs())),
            "{what}[{i}]: {x} vs {y}\n  got {a:?}\n  want {b:?}"
        );
    }
}

fn flat<P: Parameters<f64>>(p: &P) -> Vec<f64> {
    let mut out = vec![0.0; p.len()];
    p.write_to(&mut out);
    out
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(x: &[f64], s: f64, t: &[f64]) -> Vec<f64> {
    x.iter().zip(t).map(|(a, b)| a + s * b).collect()
}

// ============================================================ f_jvp: scalars

#[differentiate]
fn s_poly(x: f64, y: f64) -> f64 {
    let a = x * x * y - (x / y).sin();
    a.exp().ln_1p() + y.powi(3) / x.hypot(y)
}

#[test]
fn jvp_scalar_poly() {
    let (x, y, tx, ty) = (0.7, 1.3, 0.4, -1.1);
    let (v, d) = s_poly_jvp(x, y, &SPolyGrad { x: tx, y: ty });
    assert_eq!(v, s_poly(x, y));
    close(
        "fd",
        &[d],
        &fd(|s| vec![s_poly(x + s * tx, y + s * ty)]),
        1e-7,
    );
    let (_, g) = s_poly_grad(x, y);
    close("grad", &[d], &[g.x * tx + g.y * ty], 1e-12);
}

#[differentiate]
fn s_f32(x: f32, y: f32) -> f32 {
    (x * y).tanh() + x.sqrt() * y.abs() - (x - y).max(0.1)
}

#[test]
fn jvp_f32() {
    let (x, y) = (0.9f32, -0.6f32);
    let (v, d) = s_f32_jvp(x, y, &SF32Grad { x: 1.0, y: 0.5 });
    assert_eq!(v, s_f32(x, y));
    let (_, g) = s_f32_grad(x, y);
    close("grad", &[d as f64], &[(g.x + 0.5 * g.y) as f64], 1e-5);
    let e = fd(|s| vec![s_f32_ref(x as f64 + s, y as f64 + 0.5 * s)]);
    close("fd", &[d as f64], &e, 1e-3);
}
fn s_f32_ref(x: f64, y: f64) -> f64 {
    (x * y).tanh() + x.sqrt() * y.abs() - (x - y).max(0.1)
}

#[differentiate]
fn g_float<T: num_traits::Float>(x: T, y: T) -> T {
    let two = T::from(2.0).unwrap();
    (x * y + two).ln() * T::sin(x) / (T::one() + y * y)
}

#[test]
fn jvp_generic_float() {
    let (x, y) = (0.5, 1.5);
    let (v, d) = g_float_jvp(x, y, &GFloatGrad { x: 0.3, y: 1.0 });
    assert_eq!(v, g_float(x, y));
    close("fd", &[d], &fd(|s| vec![g_float(x + 0.3 * s, y + s)]), 1e-7);
    let (v32, d32) = g_float_jvp(0.5f32, 1.5f32, &GFloatGrad { x: 0.3f32, y: 1.0 });
    assert_eq!(v32, g_float(0.5f32, 1.5f32));
    close("f32", &[d32 as f64], &[d], 1e-4);
}

#[differentiate]
fn g_real<T: RealField + Copy>(x: T, y: T) -> T {
    let c: T = nalgebra::convert(0.5);
    (x * c).exp() * y.cos() + x * y * y
}

#[test]
fn jvp_generic_realfield() {
    let (x, y) = (0.2, -0.8);
    let (v, d) = g_real_jvp(x, y, &GRealGrad { x: -1.0, y: 2.0 });
    assert_eq!(v, g_real(x, y));
    close("fd", &[d], &fd(|s| vec![g_real(x - s, y + 2.0 * s)]), 1e-7);
}

// ============================================================ f_jvp: containers

#[differentiate]
fn slice_fn(x: &[f64], w: f64) -> f64 {
    let mut acc = 0.0;
    for i in 0..x.len() {
        acc += (x[i] * w).sin() * x[i];
    }
    acc / x.len() as f64
}

#[test]
fn jvp_slice() {
    let x = vec![0.3, -0.2, 1.1];
    let t = vec![1.0, 0.5, -0.7];
    let (v, d) = slice_fn_jvp(
        &x,
        0.9,
        &SliceFnGrad {
            x: t.clone(),
            w: 0.2,
        },
    );
    assert_eq!(v, slice_fn(&x, 0.9));
    close(
        "fd",
        &[d],
        &fd(|s| vec![slice_fn(&axpy(&x, s, &t), 0.9 + 0.2 * s)]),
        1e-7,
    );
}

#[differentiate]
fn array_out(x: [f64; 3], k: f64) -> [f64; 3] {
    let mut y = [0.0; 3];
    y[0] = x[0] * x[1] * k;
    y[1] = x[2].exp() - k;
    y[2] = x[0] / x[2];
    y
}

#[test]
fn jvp_array_out_and_dot_test() {
    let x = [0.4, 0.9, -0.3];
    let t = [0.1, -0.4, 0.8];
    let (v, d) = array_out_jvp(x, 1.7, &ArrayOutGrad { x: t, k: 0.3 });
    assert_eq!(v, array_out(x, 1.7));
    let e = fd(|s| {
        let xs = [x[0] + s * t[0], x[1] + s * t[1], x[2] + s * t[2]];
        array_out(xs, 1.7 + 0.3 * s).to_vec()
    });
    close("fd", &d, &e, 1e-7);
    let w = [0.5, -1.2, 0.7];
    let (_, g) = array_out_vjp(x, 1.7, w);
    close("dot", &[dot(&d, &w)], &[dot(&t, &g.x) + 0.3 * g.k], 1e-12);
}

#[differentiate]
fn vec_out(x: &Vec<f64>) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    let mut run = 0.0;
    for (i, xi) in x.iter().enumerate() {
        run = run * 0.5 + xi * xi;
        out[i] = run;
    }
    out
}

#[test]
fn jvp_vec_out() {
    let x = vec![0.3, -1.0, 2.0, 0.25];
    let t = vec![1.0, 2.0, -1.0, 0.5];
    let (v, d) = vec_out_jvp(&x, &VecOutGrad { x: t.clone() });
    assert_eq!(v, vec_out(&x));
    close("fd", &d, &fd(|s| vec_out(&axpy(&x, s, &t))), 1e-7);
    let w = vec![0.1, 0.2, 0.3, -0.4];
    let (_, g) = vec_out_vjp(&x, w.clone());
    close("dot", &[dot(&d, &w)], &[dot(&t, &g.x)], 1e-12);
}

#[differentiate]
fn na_dvec(w: &DVector<f64>, a: &DMatrix<f64>) -> f64 {
    let z = a * w;
    z.dot(&z).sqrt() + w.norm_squared()
}

#[test]
fn jvp_nalgebra_dvector_dmatrix() {
    let w = DVector::from_vec(vec![0.3, -0.5, 1.0]);
    let a = DMatrix::from_fn(2, 3, |i, j| (i as f64 + 1.0) * 0.3 - j as f64 * 0.2);
    let tw = DVector::from_vec(vec![1.0, 0.2, -0.3]);
    let ta = DMatrix::from_fn(2, 3, |i, j| 0.1 * (i + 2 * j) as f64 - 0.2);
    let (v, d) = na_dvec_jvp(
        &w,
        &a,
        &NaDvecGrad {
            w: tw.clone(),
            a: ta.clone(),
        },
    );
    assert_eq!(v, na_dvec(&w, &a));
    close(
        "fd",
        &[d],
        &fd(|s| vec![na_dvec(&(&w + &tw * s), &(&a + &ta * s))]),
        1e-7,
    );
}

#[differentiate]
fn na_mat_out(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    (a * b.transpose()).map(|e| e.sin())
}

#[test]
fn jvp_dmatrix_out() {
    let a = DMatrix::from_fn(2, 3, |i, j| 0.2 * i as f64 - 0.3 * j as f64 + 0.1);
    let b = DMatrix::from_fn(4, 3, |i, j| 0.1 * (i * j) as f64 - 0.2);
    let ta = DMatrix::from_fn(2, 3, |i, j| (i + j) as f64 * 0.3 - 0.5);
    let tb = DMatrix::from_fn(4, 3, |i, j| 0.05 * i as f64 + 0.1 * j as f64);
    let (v, d) = na_mat_out_jvp(
        &a,
        &b,
        &NaMatOutGrad {
            a: ta.clone(),
            b: tb.clone(),
        },
    );
    assert_eq!(v, na_mat_out(&a, &b));
    let e = fd(|s| {
        na_mat_out(&(&a + &ta * s), &(&b + &tb * s))
            .as_slice()
            .to_vec()
    });
    close("fd", d.as_slice(), &e, 1e-7);
}

#[differentiate]
fn na_svec(x: SVector<f64, 3>, c: f64) -> Vector3<f64> {
    x.component_mul(&x) * c + Vector3::new(1.0, 2.0, 3.0) * x.dot(&x).sin()
}

#[test]
fn jvp_svector() {
    let x = SVector::<f64, 3>::new(0.2, -0.4, 0.9);
    let t = SVector::<f64, 3>::new(1.0, 0.3, -0.2);
    let (v, d) = na_svec_jvp(x, 1.5, &NaSvecGrad { x: t, c: -0.5 });
    assert_eq!(v, na_svec(x, 1.5));
    let e = fd(|s| na_svec(x + t * s, 1.5 - 0.5 * s).as_slice().to_vec());
    close("fd", d.as_slice(), &e, 1e-7);
}

// ============================================================ f_jvp: structs, methods

#[derive(Differentiable, Clone, Debug)]
struct Inner {
    a: f64,
    v: [f64; 2],
}

#[derive(Differentiable, Clone, Debug)]
struct Params {
    inner: Inner,
    w: Vec<f64>,
    m: DVector<f64>,
}

#[differentiate(wrt(p))]
fn struct_loss(p: &Params, xs: &[f64]) -> f64 {
    let mut acc = p.inner.a * p.inner.v[1];
    for i in 0..xs.len() {
        acc += p.w[i] * xs[i] + (p.m[i] * p.inner.v[0]).tanh();
    }
    acc * acc
}

fn params_from(f: &[f64]) -> Params {
    let mut p = Params {
        inner: Inner {
            a: 0.0,
            v: [0.0; 2],
        },
        w: vec![0.0; 2],
        m: DVector::zeros(2),
    };
    p.read_from(f);
    p
}

#[test]
fn jvp_parameter_struct() {
    let x = [0.5, -0.3, 0.8, 1.2, -0.7, 0.4, 0.9];
    let t = [0.2, 1.0, -0.5, 0.3, 0.7, -0.1, 0.6];
    let xs = [0.7, -1.1];
    let (p, tp) = (params_from(&x), params_from(&t));
    let (v, d) = struct_loss_jvp(&p, &xs, &StructLossGrad { p: tp });
    assert_eq!(v, struct_loss(&p, &xs));
    close(
        "fd",
        &[d],
        &fd(|s| vec![struct_loss(&params_from(&axpy(&x, s, &t)), &xs)]),
        1e-7,
    );
    let (_, g) = struct_loss_grad(&p, &xs);
    close("grad", &[d], &[dot(&flat(&g.p), &t)], 1e-12);
}

#[derive(Differentiable, Clone, Debug)]
struct Spring {
    k: f64,
    rest: f64,
}

#[differentiate]
impl Spring {
    #[differentiate]
    fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * (x - self.rest) * (x - self.rest)
    }

    #[differentiate]
    fn total(&self, xs: &[f64]) -> f64 {
        let mut e = 0.0;
        for x in xs {
            e += self.energy(*x);
        }
        e
    }

    #[differentiate]
    fn forces(&self, xs: &[f64]) -> Vec<f64> {
        xs.iter().map(|x| -self.k * (x - self.rest)).collect()
    }
}

#[test]
fn jvp_method_self() {
    let s = Spring { k: 2.0, rest: 0.3 };
    let t = SpringEnergyGrad {
        self_: Spring { k: 0.5, rest: -1.0 },
        x: 0.7,
    };
    let (v, d) = s.energy_jvp(1.1, &t);
    assert_eq!(v, s.energy(1.1));
    let e = fd(|h| {
        vec![Spring {
            k: 2.0 + 0.5 * h,
            rest: 0.3 - h,
        }
        .energy(1.1 + 0.7 * h)]
    });
    close("fd", &[d], &e, 1e-7);
}

#[test]
fn jvp_method_calling_method() {
    let s = Spring { k: 2.0, rest: 0.3 };
    let xs = [0.5, 1.5, -0.2];
    let t = SpringTotalGrad {
        self_: Spring { k: 0.5, rest: -1.0 },
        xs: vec![0.0; 3],
    };
    let (v, d) = s.total_jvp(&xs, &t);
    assert_eq!(v, s.total(&xs));
    let e = fd(|h| {
        vec![Spring {
            k: 2.0 + 0.5 * h,
            rest: 0.3 - h,
        }
        .total(&xs)]
    });
    close("fd", &[d], &e, 1e-7);
}

#[test]
fn jvp_method_vec_out() {
    let s = Spring { k: 2.0, rest: 0.3 };
    let xs = [0.5, 1.5, -0.2];
    let t = SpringForcesGrad {
        self_: Spring { k: 0.5, rest: -1.0 },
        xs: vec![0.0; 3],
    };
    let (v, d) = s.forces_jvp(&xs, &t);
    assert_eq!(v, s.forces(&xs));
    let e = fd(|h| {
        Spring {
            k: 2.0 + 0.5 * h,
            rest: 0.3 - h,
        }
        .forces(&xs)
    });
    close("fd", &d, &e, 1e-7);
}

// ============================================================ f_jvp: control flow

#[differentiate]
fn loops_all(x: &[f64], y: f64) -> f64 {
    let mut acc = y;
    for i in 0..x.len() {
        if x[i] < -5.0 {
            continue;
        }
        acc = acc * 0.9 + x[i].sin() * y;
        if acc > 100.0 {
            break;
        }
    }
    let mut k = 0;
    while k < 3 {
        acc = acc + (acc * 0.1).cos();
        k += 1;
    }
    let mut j = 0usize;
    loop {
        if j >= x.len() {
            break;
        }
        acc -= x[j] * x[j] * 0.1;
        j += 1;
    }
    for (i, xi) in x.iter().enumerate().rev() {
        if i % 2 == 0 {
            continue;
        }
        acc += xi * y;
    }
    acc
}

#[test]
fn jvp_loops() {
    let x = vec![0.3, -6.0, 1.2, 0.4, -0.8];
    let t = vec![0.5, 0.1, -1.0, 0.3, 0.8];
    let (v, d) = loops_all_jvp(
        &x,
        0.6,
        &LoopsAllGrad {
            x: t.clone(),
            y: 1.0,
        },
    );
    assert_eq!(v, loops_all(&x, 0.6));
    close(
        "fd",
        &[d],
        &fd(|s| vec![loops_all(&axpy(&x, s, &t), 0.6 + s)]),
        1e-7,
    );
}

#[differentiate]
fn early_return(x: f64, y: f64, n: usize) -> f64 {
    let mut z = x;
    for i in 0..n {
        z = z * y + (i as f64);
        if z > 10.0 {
            return z.ln() * x;
        }
    }
    if y < 0.0 {
        return -z * z;
    }
    z.sqrt() + y
}

#[test]
fn jvp_early_return() {
    for (x, y, n) in [(0.5, 1.5, 6), (0.5, -0.5, 3), (0.5, 0.9, 3)] {
        let (v, d) = early_return_jvp(x, y, n, &EarlyReturnGrad { x: 0.7, y: -0.3 });
        assert_eq!(v, early_return(x, y, n));
        let e = fd(|s| vec![early_return(x + 0.7 * s, y - 0.3 * s, n)]);
        close(&format!("fd {x} {y} {n}"), &[d], &e, 1e-6);
    }
}

#[differentiate]
fn branches(x: f64, y: f64, mode: u8) -> f64 {
    let a = if x > y { x * y } else { x + y.exp() };
    let b = match mode {
        0 => a.sin(),
        1 => {
            let t = a * a;
            t - x
        }
        _ => a.max(y),
    };
    let c = if b > 0.0 { b * 2.0 } else { 0.0 };
    c + b
}

#[test]
fn jvp_branches() {
    for mode in 0..3u8 {
        for (x, y) in [(1.0, 0.5), (0.2, 0.9)] {
            let (v, d) = branches_jvp(x, y, mode, &BranchesGrad { x: 1.0, y: -0.4 });
            assert_eq!(v, branches(x, y, mode));
            let e = fd(|s| vec![branches(x + s, y - 0.4 * s, mode)]);
            close(&format!("fd {mode}"), &[d], &e, 1e-6);
        }
    }
}

#[differentiate]
fn callee(a: f64, b: &[f64]) -> f64 {
    a * b.iter().map(|v| v * v).sum::<f64>()
}

#[differentiate]
fn callee_vec(a: f64, b: &[f64]) -> Vec<f64> {
    b.iter().map(|v| (v * a).sin()).collect()
}

#[differentiate]
fn caller(x: f64, w: &[f64], c: &[f64]) -> f64 {
    let p = callee(x, w);
    let q = callee(2.0, c); // inactive arguments
    let r = callee(x * x, c); // active scalar, inactive slice
    let v = callee_vec(x, w);
    p * q + r + v[0] * v[1] + callee(p, w)
}

#[test]
fn jvp_calls() {
    let w = vec![0.3, -0.6];
    let c = vec![1.0, 2.0];
    let tw = vec![0.5, 1.5];
    let (v, d) = caller_jvp(
        0.8,
        &w,
        &c,
        &CallerGrad {
            x: -0.4,
            w: tw.clone(),
            c: vec![0.0, 0.0],
        },
    );
    assert_eq!(v, caller(0.8, &w, &c));
    close(
        "fd",
        &[d],
        &fd(|s| vec![caller(0.8 - 0.4 * s, &axpy(&w, s, &tw), &c)]),
        1e-7,
    );
    // with a nonzero tangent on c too
    let tc = vec![0.2, -0.9];
    let (_, d2) = caller_jvp(
        0.8,
        &w,
        &c,
        &CallerGrad {
            x: 0.0,
            w: vec![0.0; 2],
            c: tc.clone(),
        },
    );
    close(
        "fd c",
        &[d2],
        &fd(|s| vec![caller(0.8, &w, &axpy(&c, s, &tc))]),
        1e-7,
    );
}

#[differentiate]
fn closures_iters(x: &[f64], a: f64, b: f64) -> f64 {
    let model = |t: f64| a * (b * t).sin();
    let sq = |r: f64| {
        if r > 0.0 {
            r * r
        } else {
            -r
        }
    };
    let s1: f64 = x.iter().map(|xi| sq(model(*xi) - xi)).sum();
    let s2 = x
        .iter()
        .zip(x.iter().skip(1))
        .map(|(p, q)| p * q * a)
        .fold(0.0, |acc, v| acc + v);
    let s3: f64 = x.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    let mx = x.iter().fold(f64::NEG_INFINITY, |m, v| m.max(*v * b));
    s1 + s2 + s3 + mx
}

#[test]
fn jvp_closures_and_iterators() {
    let x = vec![0.3, -0.7, 1.4, 0.2];
    let t = vec![0.4, 0.1, -0.6, 1.0];
    let tg = ClosuresItersGrad {
        x: t.clone(),
        a: 0.3,
        b: -0.5,
    };
    let (v, d) = closures_iters_jvp(&x, 1.2, 0.7, &tg);
    assert_eq!(v, closures_iters(&x, 1.2, 0.7));
    let e = fd(|s| {
        vec![closures_iters(
            &axpy(&x, s, &t),
            1.2 + 0.3 * s,
            0.7 - 0.5 * s,
        )]
    });
    close("fd", &[d], &e, 1e-6);
    let (_, g) = closures_iters_grad(&x, 1.2, 0.7);
    close(
        "grad",
        &[d],
        &[dot(&g.x, &t) + 0.3 * g.a - 0.5 * g.b],
        1e-12,
    );
}

#[custom_vjp(softplus_rule)]
fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}
fn softplus_rule(x: f64, seed: f64) -> f64 {
    seed / (1.0 + (-x).exp())
}

#[custom_vjp(wsum_rule)]
fn wsum(x: f64, y: f64) -> f64 {
    x * 2.0 + y * y
}
fn wsum_rule(_x: f64, y: f64, seed: f64) -> (f64, f64) {
    (2.0 * seed, 2.0 * y * seed)
}

#[differentiate]
fn uses_custom(x: f64, y: f64) -> f64 {
    softplus(x * y) + wsum(x, y).sin()
}

#[test]
fn jvp_custom_vjp() {
    let (v, d) = softplus_jvp(0.4, &SoftplusGrad { x: 2.0 });
    assert_eq!(v, softplus(0.4));
    close("softplus", &[d], &[2.0 / (1.0 + (-0.4f64).exp())], 1e-14);
    let (v, d) = wsum_jvp(0.4, 0.9, &WsumGrad { x: 1.0, y: -2.0 });
    assert_eq!(v, wsum(0.4, 0.9));
    close("wsum", &[d], &[2.0 - 2.0 * 0.9 * 2.0], 1e-14);
    let (v, d) = uses_custom_jvp(0.4, 0.9, &UsesCustomGrad { x: 1.0, y: -2.0 });
    assert_eq!(v, uses_custom(0.4, 0.9));
    close(
        "caller",
        &[d],
        &fd(|s| vec![uses_custom(0.4 + s, 0.9 - 2.0 * s)]),
        1e-7,
    );
}

// ============================================================ f_jacobian

/// Checks Jacobian rows (flattened gradient structs) against central differences of the
/// flattened function at `x`, column by column.
fn check_jac(rows: &[Vec<f64>], x: &[f64], f: impl Fn(&[f64]) -> Vec<f64>) {
    let m = f(x).len();
    assert_eq!(rows.len(), m, "one row per output component");
    for j in 0..x.len() {
        let mut e = vec![0.0; x.len()];
        e[j] = 1.0;
        let col = fd(|s| f(&axpy(x, s, &e)));
        let got: Vec<f64> = rows.iter().map(|r| r[j]).collect();
        close(&format!("column {j}"), &got, &col, 1e-6);
    }
}

#[differentiate]
fn jac_vec_tall(x: f64, y: f64) -> Vec<f64> {
    let mut out = vec![0.0; 5];
    for i in 0..5 {
        out[i] = (x * i as f64).sin() * y + x;
    }
    out
}

#[differentiate]
fn jac_vec_wide(x: &[f64], t: f64) -> Vec<f64> {
    let mut out = vec![0.0; 2];
    for i in 0..x.len() {
        out[0] += x[i] * x[i] * t;
        out[1] += (x[i] - t).exp();
    }
    out
}

#[test]
fn jacobian_vec_tall_and_wide() {
    let (v, rows) = jac_vec_tall_jacobian(0.3, 1.7);
    assert_eq!(v, jac_vec_tall(0.3, 1.7));
    let rows: Vec<Vec<f64>> = rows.iter().map(|r| vec![r.x, r.y]).collect();
    check_jac(&rows, &[0.3, 1.7], |p| jac_vec_tall(p[0], p[1]));

    let x = vec![0.2, -0.5, 0.9, 1.1];
    let (v, rows) = jac_vec_wide_jacobian(&x, 0.4);
    assert_eq!(v, jac_vec_wide(&x, 0.4));
    let rows: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&rows, &[0.2, -0.5, 0.9, 1.1, 0.4], |p| {
        jac_vec_wide(&p[..4], p[4])
    });
}

#[differentiate]
fn jac_array(x: [f64; 2]) -> [[f64; 2]; 3] {
    let mut out = [[0.0; 2]; 3];
    for i in 0..3 {
        out[i][0] = x[0] * (i as f64 + 1.0) * x[1];
        out[i][1] = (x[1] * i as f64).cos();
    }
    out
}

#[test]
fn jacobian_nested_array() {
    let x = [0.6, -0.4];
    let (v, rows) = jac_array_jacobian(x);
    assert_eq!(v, jac_array(x));
    let rows: Vec<Vec<f64>> = rows.iter().map(|r| r.x.to_vec()).collect();
    check_jac(&rows, &x, |p| {
        jac_array([p[0], p[1]]).iter().flatten().copied().collect()
    });
}

#[differentiate]
fn jac_dvec(w: &DVector<f64>, s: f64) -> DVector<f64> {
    w.map(|e| (e * s).tanh()) * s + w
}

#[differentiate]
fn jac_svec(x: SVector<f64, 2>) -> SVector<f64, 4> {
    let mut o = SVector::<f64, 4>::zeros();
    o[0] = x[0] * x[1];
    o[1] = x[0].sin();
    o[2] = x[1].exp();
    o[3] = x[0] / x[1];
    o
}

#[differentiate]
fn jac_dmat(a: &DMatrix<f64>, c: f64) -> DMatrix<f64> {
    a.transpose() * a * c
}

#[test]
fn jacobian_nalgebra_outputs() {
    let w = DVector::from_vec(vec![0.3, -0.2, 0.5]);
    let (v, rows) = jac_dvec_jacobian(&w, 1.3);
    assert_eq!(v, jac_dvec(&w, 1.3));
    let rows: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&rows, &[0.3, -0.2, 0.5, 1.3], |p| {
        jac_dvec(&DVector::from_column_slice(&p[..3]), p[3])
            .as_slice()
            .to_vec()
    });

    let x = SVector::<f64, 2>::new(0.7, 1.4);
    let (v, rows) = jac_svec_jacobian(x);
    assert_eq!(v, jac_svec(x));
    let rows: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&rows, &[0.7, 1.4], |p| {
        jac_svec(SVector::<f64, 2>::new(p[0], p[1]))
            .as_slice()
            .to_vec()
    });

    // 3x2 input: output 2x2 (column-major rows)
    let a = DMatrix::from_column_slice(3, 2, &[0.1, 0.4, -0.3, 0.8, 0.2, 0.6]);
    let (v, rows) = jac_dmat_jacobian(&a, 0.9);
    assert_eq!(v, jac_dmat(&a, 0.9));
    let rows: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&rows, &[0.1, 0.4, -0.3, 0.8, 0.2, 0.6, 0.9], |p| {
        jac_dmat(&DMatrix::from_column_slice(3, 2, &p[..6]), p[6])
            .as_slice()
            .to_vec()
    });
}

#[differentiate]
fn jac_method_host(s: &Spring, xs: &[f64]) -> Vec<f64> {
    let f: Vec<f64> = xs.iter().map(|x| -s.k * (x - s.rest)).collect();
    let mut out = vec![0.0; f.len()];
    for i in 0..f.len() {
        out[i] = f[i] * s.k + xs[i];
    }
    out
}

#[test]
fn jacobian_method_and_struct() {
    let s = Spring { k: 2.0, rest: 0.3 };
    let xs = [0.5, 1.5, -0.2];
    let (v, rows) = s.forces_jacobian(&xs);
    assert_eq!(v, s.forces(&xs));
    let rows: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&rows, &[2.0, 0.3, 0.5, 1.5, -0.2], |p| {
        Spring {
            k: p[0],
            rest: p[1],
        }
        .forces(&p[2..])
    });
    let (v, rows) = jac_method_host_jacobian(&s, &xs);
    assert_eq!(v, jac_method_host(&s, &xs));
    let rows: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&rows, &[2.0, 0.3, 0.5, 1.5, -0.2], |p| {
        jac_method_host(
            &Spring {
                k: p[0],
                rest: p[1],
            },
            &p[2..],
        )
    });
}

// ============================================================ hessian

#[differentiate(hessian)]
fn hmix(a: f64, x: &[f64], b: [f64; 2]) -> f64 {
    let mut acc = a * a * b[1];
    for i in 0..x.len() {
        acc += (x[i] * b[0]).sin() * a + x[i] * x[i] * x[i];
        if x[i] > 5.0 {
            break;
        }
    }
    acc * b[1] + (b[0] * b[1]).exp()
}

fn hmix_flat(p: &[f64]) -> f64 {
    hmix(p[0], &p[1..4], [p[4], p[5]])
}

fn hmix_grad_flat(p: &[f64]) -> Vec<f64> {
    flat(&hmix_grad(p[0], &p[1..4], [p[4], p[5]]).1)
}

#[test]
fn hessian_rows_order_and_symmetry() {
    let p = [0.7, 0.2, -0.4, 0.9, 1.1, -0.6];
    let (v, g, rows) = hmix_hessian(p[0], &p[1..4], [p[4], p[5]]);
    assert_eq!(v, hmix_flat(&p));
    close("grad", &flat(&g), &hmix_grad_flat(&p), 1e-14);
    let h: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    assert_eq!(h.len(), 6);
    for i in 0..6 {
        let mut e = [0.0; 6];
        e[i] = 1.0;
        // row i = ∂∇h/∂s_i
        close(
            &format!("row {i}"),
            &h[i],
            &fd(|s| hmix_grad_flat(&axpy(&p, s, &e))),
            1e-6,
        );
        for j in 0..i {
            close(&format!("sym {i} {j}"), &[h[i][j]], &[h[j][i]], 1e-10);
        }
    }
    // closed form corner: ∂²/∂a² = 2 b1²
    close("haa", &[h[0][0]], &[2.0 * p[5] * p[5]], 1e-12);
    // hvp against the rows
    let t = [0.3, -1.0, 0.5, 0.2, 0.7, -0.4];
    let (v2, g2, hv) = hmix_hvp(
        p[0],
        &p[1..4],
        [p[4], p[5]],
        &HmixGrad {
            a: t[0],
            x: t[1..4].to_vec(),
            b: [t[4], t[5]],
        },
    );
    assert_eq!(v2, v);
    close("hvp grad", &flat(&g2), &flat(&g), 1e-14);
    let want: Vec<f64> = (0..6)
        .map(|j| (0..6).map(|i| h[i][j] * t[i]).sum())
        .collect();
    close("hvp", &flat(&hv), &want, 1e-12);
}

#[differentiate(hessian)]
fn hgen<T: num_traits::Float>(x: &[T], c: T) -> T {
    let mut s = T::zero();
    for i in 0..x.len() {
        s = s + (x[i] * c).exp() / (T::one() + x[i] * x[i]);
    }
    s * c
}

#[test]
fn hessian_generic_f64_and_f32() {
    let x = [0.3, -0.2];
    let (_, _, rows) = hgen_hessian(&x, 0.8);
    let h: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    let gradf = |p: &[f64]| flat(&hgen_grad(&p[..2], p[2]).1);
    let p = [0.3, -0.2, 0.8];
    for i in 0..3 {
        let mut e = [0.0; 3];
        e[i] = 1.0;
        close(
            &format!("row {i}"),
            &h[i],
            &fd(|s| gradf(&axpy(&p, s, &e))),
            1e-6,
        );
    }
    let (_, _, rows32) = hgen_hessian(&[0.3f32, -0.2], 0.8f32);
    for i in 0..3 {
        let mut r = vec![0.0; 3];
        r[..2].copy_from_slice(&rows32[i].x.iter().map(|v| *v as f64).collect::<Vec<_>>());
        r[2] = rows32[i].c as f64;
        close(&format!("f32 row {i}"), &r, &h[i], 1e-4);
    }
}

#[differentiate(hessian)]
fn energy(a: f64, b: f64) -> f64 {
    let d = a - b;
    d * d * d * d * 0.25 + a * b.sin()
}

#[differentiate(hessian)]
fn chain_energy(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        e += energy(x[i], x[i + 1]);
    }
    e
}

#[test]
fn hessian_calls_hessian_callee() {
    let x = [0.3, 1.1, -0.4];
    let (_, _, rows) = chain_energy_hessian(&x);
    for i in 0..3 {
        let mut e = [0.0; 3];
        e[i] = 1.0;
        let want = fd(|s| chain_energy_grad(&axpy(&x, s, &e)).1.x);
        close(&format!("row {i}"), &rows[i].x, &want, 1e-6);
    }
}

/// One inner gradient step, then the loss there: nested h_grad in reverse mode.
#[differentiate]
fn inner_step(x: &[f64], lr: f64) -> f64 {
    let (e, g) = chain_energy_grad(x);
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[i] - lr * g.x[i];
    }
    let (_, ge) = energy_grad(y[0], lr);
    e + y.iter().map(|v| v * v).sum::<f64>() + ge.a * ge.b
}

#[test]
fn nested_grad_reverse_and_forward() {
    let x = vec![0.3, 1.1, -0.4];
    let lr = 0.2;
    let f = |p: &[f64]| inner_step(&p[..3], p[3]);
    let p = [0.3, 1.1, -0.4, 0.2];
    let (v, g) = inner_step_grad(&x, lr);
    assert_eq!(v, inner_step(&x, lr));
    let gf = [g.x.clone(), vec![g.lr]].concat();
    for i in 0..4 {
        let mut e = [0.0; 4];
        e[i] = 1.0;
        close(
            &format!("grad {i}"),
            &[gf[i]],
            &fd(|s| vec![f(&axpy(&p, s, &e))]),
            1e-6,
        );
    }
    let t = [0.5, -0.3, 0.8, 0.4];
    let (v2, d) = inner_step_jvp(
        &x,
        lr,
        &InnerStepGrad {
            x: t[..3].to_vec(),
            lr: t[3],
        },
    );
    assert_eq!(v2, v);
    close("jvp", &[d], &fd(|s| vec![f(&axpy(&p, s, &t))]), 1e-6);
    close("jvp = <g, t>", &[d], &[dot(&gf, &t)], 1e-10);
}

#[test]
fn grad_jvp_and_grad_vjp_direct() {
    let x = [0.3, 1.1, -0.4];
    let t = [0.5, -0.3, 0.8];
    let ((v, g), (dv, dg)) = chain_energy_grad_jvp(&x, &ChainEnergyGrad { x: t.to_vec() });
    assert_eq!(v, chain_energy(&x));
    close("g", &g.x, &chain_energy_grad(&x).1.x, 1e-14);
    close("dv", &[dv], &[dot(&g.x, &t)], 1e-12);
    close(
        "dg",
        &dg.x,
        &fd(|s| chain_energy_grad(&axpy(&x, s, &t)).1.x),
        1e-6,
    );
    let s1 = ChainEnergyGrad {
        x: vec![0.2, 0.7, -1.0],
    };
    let ((v3, _), back) = chain_energy_grad_vjp(&x, (1.5, s1.clone()));
    assert_eq!(v3, v);
    // s0·∇h + H·s1
    let (_, _, hv) = chain_energy_hvp(&x, &s1);
    let want: Vec<f64> = (0..3).map(|i| 1.5 * g.x[i] + hv.x[i]).collect();
    close("vjp", &back.x, &want, 1e-12);
}

// ============================================================ adversarial corners

#[differentiate]
fn shadow_and_mut(mut x: f64, y: f64) -> f64 {
    let y = y * 2.0;
    for _ in 0..3 {
        let x2 = x * y;
        x = x2.sin() + x;
    }
    let x = x * x;
    x + y
}

#[test]
fn jvp_shadowing_and_mut_param() {
    let (v, d) = shadow_and_mut_jvp(0.4, 0.3, &ShadowAndMutGrad { x: 1.0, y: 0.5 });
    assert_eq!(v, shadow_and_mut(0.4, 0.3));
    close(
        "fd",
        &[d],
        &fd(|s| vec![shadow_and_mut(0.4 + s, 0.3 + 0.5 * s)]),
        1e-7,
    );
}

#[differentiate]
fn labeled(x: &[f64], y: f64) -> f64 {
    let mut acc = 0.0;
    for i in 0..x.len() {
        for j in 0..x.len() {
            if j > i {
                break;
            }
            acc += x[i] * x[j] * y;
            if acc > 3.0 {
                return acc * 2.0;
            }
        }
    }
    acc
}

#[test]
fn jvp_labeled_loops() {
    for x in [vec![0.3, 0.5, -0.2, 0.1], vec![1.0, 2.0, 1.5]] {
        let t = vec![0.2; x.len()];
        let (v, d) = labeled_jvp(
            &x,
            1.1,
            &LabeledGrad {
                x: t.clone(),
                y: -0.3,
            },
        );
        assert_eq!(v, labeled(&x, 1.1));
        close(
            "fd",
            &[d],
            &fd(|s| vec![labeled(&axpy(&x, s, &t), 1.1 - 0.3 * s)]),
            1e-6,
        );
    }
}

#[differentiate]
fn while_float(x: f64) -> f64 {
    let mut z = x;
    let mut n = 0;
    while z < 10.0 && n < 50 {
        z = z * 1.5 + 0.1;
        n += 1;
    }
    z
}

#[test]
fn jvp_while_active_condition() {
    let (v, d) = while_float_jvp(0.7, &WhileFloatGrad { x: 1.0 });
    assert_eq!(v, while_float(0.7));
    close("fd", &[d], &fd(|s| vec![while_float(0.7 + s)]), 1e-6);
}

#[differentiate]
fn in_place(x: [f64; 4], k: f64) -> [f64; 4] {
    let mut a = x;
    for i in 1..4 {
        a[i] *= a[i - 1] * k;
        a[i - 1] += a[i].sin();
    }
    let t = a[0];
    a[0] = a[3];
    a[3] = t;
    a
}

#[test]
fn jvp_array_in_place_copy() {
    let x = [0.3, 0.8, -0.5, 1.2];
    let t = [1.0, -0.5, 0.25, 0.7];
    let (v, d) = in_place_jvp(x, 0.9, &InPlaceGrad { x: t, k: 0.4 });
    assert_eq!(v, in_place(x, 0.9));
    let e = fd(|s| {
        let xs: Vec<f64> = axpy(&x, s, &t);
        in_place([xs[0], xs[1], xs[2], xs[3]], 0.9 + 0.4 * s).to_vec()
    });
    close("fd", &d, &e, 1e-6);
}

#[differentiate]
fn aliasing(x: &[f64], a: f64) -> f64 {
    callee(a, x) + callee(a * a, x) * callee(x[0], x)
}

#[test]
fn jvp_aliased_arguments() {
    let x = vec![0.5, -0.8, 0.3];
    let t = vec![0.1, 0.9, -0.4];
    let (v, d) = aliasing_jvp(
        &x,
        0.6,
        &AliasingGrad {
            x: t.clone(),
            a: 0.5,
        },
    );
    assert_eq!(v, aliasing(&x, 0.6));
    close(
        "fd",
        &[d],
        &fd(|s| vec![aliasing(&axpy(&x, s, &t), 0.6 + 0.5 * s)]),
        1e-7,
    );
}

#[differentiate]
fn iter_zoo(x: &[f64], y: &[f64]) -> f64 {
    let a: f64 = x.iter().skip(1).map(|v| v.exp()).sum();
    let b: f64 = x.chunks(2).map(|c| c[0] * c[c.len() - 1]).sum();
    let c: f64 = x
        .iter()
        .zip(y)
        .map(|(p, q)| (p - q).powi(2))
        .sum::<f64>()
        .sqrt();
    let d: f64 = x.iter().copied().map(|v| v * 0.5).product();
    let e = x.iter().skip(1).take(2).fold(1.0, |acc, v| acc * v + 1.0);
    a + b + c + d + e
}

#[test]
fn jvp_iterator_zoo() {
    let x = vec![0.3, -0.7, 1.4, 0.2, 0.9];
    let y = vec![1.0, 0.1, 0.2, -0.3, 0.6];
    let (tx, ty) = (
        vec![0.4, 0.1, -0.6, 1.0, 0.3],
        vec![0.2, -0.2, 0.5, 0.1, -0.9],
    );
    let (v, d) = iter_zoo_jvp(
        &x,
        &y,
        &IterZooGrad {
            x: tx.clone(),
            y: ty.clone(),
        },
    );
    assert_eq!(v, iter_zoo(&x, &y));
    close(
        "fd",
        &[d],
        &fd(|s| vec![iter_zoo(&axpy(&x, s, &tx), &axpy(&y, s, &ty))]),
        1e-6,
    );
    let (_, g) = iter_zoo_grad(&x, &y);
    close("grad", &[d], &[dot(&g.x, &tx) + dot(&g.y, &ty)], 1e-12);
}

#[differentiate]
fn powers(x: f64, y: f64) -> f64 {
    x.powf(y) + y.powi(-3) + x.abs().powf(0.5) + (x * y).clamp(-0.2, 0.9) + x.recip()
}

#[test]
fn jvp_powers() {
    let (v, d) = powers_jvp(0.7, 1.3, &PowersGrad { x: 0.6, y: -0.8 });
    assert_eq!(v, powers(0.7, 1.3));
    close(
        "fd",
        &[d],
        &fd(|s| vec![powers(0.7 + 0.6 * s, 1.3 - 0.8 * s)]),
        1e-7,
    );
}

#[differentiate]
fn empty_ok(x: &[f64], y: f64) -> f64 {
    x.iter().map(|v| v * y).sum::<f64>() + y
}

#[test]
fn jvp_empty_slice() {
    let (v, d) = empty_ok_jvp(&[], 2.0, &EmptyOkGrad { x: vec![], y: 3.0 });
    assert_eq!(v, empty_ok(&[], 2.0));
    assert_eq!(d, 3.0);
}

#[differentiate]
fn jac_generic<T: num_traits::Float>(x: &[T]) -> Vec<T> {
    let mut out = vec![T::zero(); x.len() + 1];
    for i in 0..x.len() {
        out[i] = x[i].sin() * x[0];
        out[x.len()] = out[x.len()] + x[i] * x[i];
    }
    out
}

#[test]
fn jacobian_generic_f64_f32() {
    let x = [0.4, -0.9, 0.2];
    let (v, rows) = jac_generic_jacobian(&x);
    assert_eq!(v, jac_generic(&x));
    let r: Vec<Vec<f64>> = rows.iter().map(|g| g.x.clone()).collect();
    check_jac(&r, &x, jac_generic);
    let (_, rows32) = jac_generic_jacobian(&[0.4f32, -0.9, 0.2]);
    for (a, b) in rows32.iter().zip(&r) {
        let a: Vec<f64> = a.x.iter().map(|v| *v as f64).collect();
        close("f32", &a, b, 1e-4);
    }
}

#[differentiate]
fn jac_custom(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| softplus(*v) * x[0]).collect()
}

#[test]
fn jacobian_with_custom_vjp_callee() {
    let x = [0.4, -0.9, 0.2];
    let (v, rows) = jac_custom_jacobian(&x);
    assert_eq!(v, jac_custom(&x));
    let r: Vec<Vec<f64>> = rows.iter().map(|g| g.x.clone()).collect();
    check_jac(&r, &x, jac_custom);
}

#[differentiate]
fn tuple_out(x: f64, y: &[f64]) -> (f64, Vec<f64>) {
    let s = x * y[0];
    let v: Vec<f64> = y.iter().map(|e| e * s).collect();
    (s.sin(), v)
}

#[test]
fn jvp_tuple_output() {
    let y = vec![0.5, -1.0];
    let ty = vec![0.3, 0.2];
    let ((a, v), (da, dv)) = tuple_out_jvp(
        0.8,
        &y,
        &TupleOutGrad {
            x: -0.5,
            y: ty.clone(),
        },
    );
    assert_eq!((a, v.clone()), tuple_out(0.8, &y));
    let e = fd(|s| {
        let (a, v) = tuple_out(0.8 - 0.5 * s, &axpy(&y, s, &ty));
        [vec![a], v].concat()
    });
    close("fd", &[vec![da], dv].concat(), &e, 1e-7);
}

// ============================================================ batch 4

#[derive(Differentiable, Clone, Debug)]
struct Lin {
    a: f64,
    b: [f64; 2],
}

#[differentiate]
impl Lin {
    #[differentiate]
    fn e(&self, x: f64) -> f64 {
        self.a * x * x + self.b[0] * x.sin() + self.b[1]
    }

    #[differentiate]
    fn profile(&self, xs: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; xs.len()];
        for i in 0..xs.len() {
            out[i] = self.e(xs[i]) * self.a;
        }
        out
    }

    #[differentiate(wrt(self))]
    fn only_self(&self, x: f64) -> f64 {
        (self.a * x).exp() + self.b[1] * x
    }
}

#[test]
fn jacobian_vec_method_calling_self_method() {
    let l = Lin {
        a: 0.7,
        b: [0.3, -1.2],
    };
    let xs = [0.5, -0.4, 1.3, 0.2, 0.1, 0.9, -0.6, 1.0];
    let (v, rows) = l.profile_jacobian(&xs);
    assert_eq!(v, l.profile(&xs));
    let r: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    let p = [[0.7, 0.3, -1.2].as_slice(), &xs].concat();
    check_jac(&r, &p, |p| {
        Lin {
            a: p[0],
            b: [p[1], p[2]],
        }
        .profile(&p[3..])
    });
}

#[test]
fn jvp_wrt_self() {
    let l = Lin {
        a: 0.7,
        b: [0.3, -1.2],
    };
    let (v, d) = l.only_self_jvp(
        0.9,
        &LinOnlySelfGrad {
            self_: Lin {
                a: 1.0,
                b: [0.5, 2.0],
            },
        },
    );
    assert_eq!(v, l.only_self(0.9));
    let e = fd(|s| {
        vec![Lin {
            a: 0.7 + s,
            b: [0.3 + 0.5 * s, -1.2 + 2.0 * s],
        }
        .only_self(0.9)]
    });
    close("fd", &[d], &e, 1e-7);
}

#[derive(Differentiable, Clone, Debug)]
struct GP<T: num_traits::Float> {
    s: T,
    w: Vec<T>,
}

#[differentiate]
fn gp_loss<T: num_traits::Float + std::iter::Sum>(p: &GP<T>, x: &[T]) -> T {
    let r: T = p.w.iter().zip(x).map(|(w, xi)| *w * *xi).sum();
    (r * p.s).tanh()
}

#[test]
fn jvp_generic_struct() {
    let p = GP {
        s: 0.8,
        w: vec![0.3, -0.4],
    };
    let x = [1.2, 0.5];
    let t = GP {
        s: 0.5,
        w: vec![1.0, -1.0],
    };
    let tx = vec![0.2, 0.3];
    let (v, d) = gp_loss_jvp(
        &p,
        &x,
        &GpLossGrad {
            p: t.clone(),
            x: tx.clone(),
        },
    );
    assert_eq!(v, gp_loss(&p, &x));
    let e = fd(|s| {
        let p2 = GP {
            s: 0.8 + 0.5 * s,
            w: axpy(&p.w, s, &t.w),
        };
        vec![gp_loss(&p2, &axpy(&x, s, &tx))]
    });
    close("fd", &[d], &e, 1e-7);
}

#[differentiate(wrt(x))]
fn jac_wrt(x: &[f64], c: f64, k: usize) -> [f64; 3] {
    let mut o = [0.0; 3];
    for i in 0..x.len() {
        o[i % 3] += x[i] * c * (k as f64) + x[i].cos();
    }
    o
}

#[test]
fn jacobian_wrt_and_data() {
    let x = [0.1, 0.2, 0.3, 0.4, 0.5];
    let (v, rows) = jac_wrt_jacobian(&x, 1.5, 2);
    assert_eq!(v, jac_wrt(&x, 1.5, 2));
    let r: Vec<Vec<f64>> = rows.iter().map(|g| g.x.clone()).collect();
    check_jac(&r, &x, |p| jac_wrt(p, 1.5, 2).to_vec());
    let x = [0.1, 0.2];
    let (_, rows) = jac_wrt_jacobian(&x, 1.5, 2);
    let r: Vec<Vec<f64>> = rows.iter().map(|g| g.x.clone()).collect();
    check_jac(&r, &x, |p| jac_wrt(p, 1.5, 2).to_vec());
}

/// Forces from a potential: nested h_grad inside a Vec-valued function, Jacobian both ways.
#[differentiate]
fn forces(x: &[f64], scale: f64) -> Vec<f64> {
    let (_, g) = chain_energy_grad(x);
    let mut f = vec![0.0; x.len()];
    for i in 0..x.len() {
        f[i] = -g.x[i] * scale;
    }
    f
}

#[test]
fn jacobian_of_nested_gradient() {
    for x in [vec![0.3, 1.1, -0.4], vec![0.3, 1.1, -0.4, 0.2, 0.5]] {
        let (v, rows) = forces_jacobian(&x, 1.5);
        assert_eq!(v, forces(&x, 1.5));
        let r: Vec<Vec<f64>> = rows.iter().map(flat).collect();
        let p = [x.clone(), vec![1.5]].concat();
        let n = x.len();
        check_jac(&r, &p, |p| forces(&p[..n], p[n]));
        let t = vec![0.4; n];
        let (_, d) = forces_jvp(
            &x,
            1.5,
            &ForcesGrad {
                x: t.clone(),
                scale: -0.3,
            },
        );
        close(
            "jvp",
            &d,
            &fd(|s| forces(&axpy(&x, s, &t), 1.5 - 0.3 * s)),
            1e-6,
        );
    }
}

#[differentiate(hessian, wrt(x))]
fn h_wrt(x: &[f64], c: f64, n: usize) -> f64 {
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let mut s = 0.0;
    for i in 0..x.len() {
        if i >= n {
            break;
        }
        s += sig(x[i] * c) * x[i] + tapeless::nn::relu(x[i]) * x[0];
    }
    s
}

#[test]
fn hessian_wrt_data_closure() {
    let x = [0.3, -0.6, 0.9];
    let (v, _, rows) = h_wrt_hessian(&x, 1.3, 3);
    assert_eq!(v, h_wrt(&x, 1.3, 3));
    for i in 0..3 {
        let mut e = [0.0; 3];
        e[i] = 1.0;
        let want = fd(|s| h_wrt_grad(&axpy(&x, s, &e), 1.3, 3).1.x);
        close(&format!("row {i}"), &rows[i].x, &want, 1e-6);
    }
}

#[test]
fn jvp_of_hessian_function() {
    let x = [0.3, -0.6, 0.9];
    let t = vec![0.5, 0.1, -0.2];
    let (v, d) = h_wrt_jvp(&x, 1.3, 3, &HWrtGrad { x: t.clone() });
    assert_eq!(v, h_wrt(&x, 1.3, 3));
    close(
        "fd",
        &[d],
        &fd(|s| vec![h_wrt(&axpy(&x, s, &t), 1.3, 3)]),
        1e-7,
    );
}

#[differentiate(hessian)]
fn h32(x: [f32; 2], y: f32) -> f32 {
    (x[0] * y).sin() * x[1] * x[1] + y.exp()
}

#[test]
fn hessian_f32_array() {
    let (v, _, rows) = h32_hessian([0.4, 0.8], 0.6);
    assert_eq!(v, h32([0.4, 0.8], 0.6));
    // closed form at a point: f = sin(x0 y) x1² + e^y
    let (x0, x1, y) = (0.4f64, 0.8f64, 0.6f64);
    let (s, c) = (x0 * y).sin_cos();
    let want = [
        [
            -y * y * s * x1 * x1,
            2.0 * y * c * x1,
            (c - x0 * y * s) * x1 * x1,
        ],
        [2.0 * y * c * x1, 2.0 * s, 2.0 * x0 * c * x1],
        [
            (c - x0 * y * s) * x1 * x1,
            2.0 * x0 * c * x1,
            -x0 * x0 * s * x1 * x1 + y.exp(),
        ],
    ];
    for i in 0..3 {
        let got = [rows[i].x[0] as f64, rows[i].x[1] as f64, rows[i].y as f64];
        close(&format!("row {i}"), &got, &want[i], 1e-5);
    }
}

// ============================================================ batch 5

#[differentiate]
fn half_active(x: f64, flag: bool, v: &[f64]) -> f64 {
    let mut z = 0.0;
    if flag {
        z = x * 2.0;
    }
    let mut arr = [1.0, 2.0, 3.0];
    if x > 0.0 {
        arr[1] = x * x;
    }
    let mut w = vec![0.0; v.len()];
    for i in 0..v.len() {
        w[i] = v[i];
    }
    w[0] = w[0] * x;
    let c = w.clone();
    let m = match x {
        q if q > 0.5 => q.sin(),
        q => q * 3.0,
    };
    z + arr[0] + arr[1] * arr[2] + c[0] * c[1] + m
}

#[test]
fn jvp_partially_active_values() {
    for (x, flag) in [(0.7, true), (0.3, false), (-0.4, true)] {
        let v = vec![0.5, 1.5];
        let t = HalfActiveGrad {
            x: 1.0,
            v: vec![0.3, -0.2],
        };
        let (val, d) = half_active_jvp(x, flag, &v, &t);
        assert_eq!(val, half_active(x, flag, &v));
        let e = fd(|s| vec![half_active(x + s, flag, &axpy(&v, s, &[0.3, -0.2]))]);
        close(&format!("fd {x} {flag}"), &[d], &e, 1e-7);
    }
}

#[differentiate]
fn pair(x: f64, y: f64) -> (f64, f64) {
    (x * y, x.sin() + y)
}

#[differentiate]
fn uses_pair(x: f64, y: f64) -> f64 {
    let (a, b) = pair(x, y);
    let (c, d) = pair(a, 2.0);
    a * b + c - d
}

#[test]
fn jvp_tuple_callee() {
    let (v, d) = uses_pair_jvp(0.6, -0.9, &UsesPairGrad { x: 0.4, y: 1.0 });
    assert_eq!(v, uses_pair(0.6, -0.9));
    close(
        "fd",
        &[d],
        &fd(|s| vec![uses_pair(0.6 + 0.4 * s, -0.9 + s)]),
        1e-7,
    );
}

#[differentiate]
fn inactive_tuple(x: f64, n: usize) -> f64 {
    let mut p = (x, 1.0);
    for i in 0..n {
        p = if i % 2 == 0 {
            (p.0 * x, 2.0)
        } else {
            (p.0 + x, p.1)
        };
    }
    p.0 * p.1
}

#[test]
fn jvp_fallback_scalar_numbers() {
    let (v, d) = inactive_tuple_jvp(0.8, 3, &InactiveTupleGrad { x: 1.5 });
    assert_eq!(v, inactive_tuple(0.8, 3));
    close(
        "fd",
        &[d],
        &fd(|s| vec![inactive_tuple(0.8 + 1.5 * s, 3)]),
        1e-7,
    );
}

#[differentiate]
fn outer_prod(v: &DVector<f64>) -> DMatrix<f64> {
    v * v.transpose() + DMatrix::identity(v.len(), v.len()) * v.sum()
}

#[differentiate]
fn dvec_tall(a: f64, b: f64) -> DVector<f64> {
    DVector::from_vec(vec![0.0, 1.0, 2.0, 3.0, 4.0]).map(|t| (a * t).sin() + b * t)
}

#[test]
fn jacobian_forward_path_nalgebra() {
    let v = DVector::from_vec(vec![0.3, -0.5, 1.2]);
    let (val, rows) = outer_prod_jacobian(&v);
    assert_eq!(val, outer_prod(&v));
    let r: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&r, &[0.3, -0.5, 1.2], |p| {
        outer_prod(&DVector::from_column_slice(p))
            .as_slice()
            .to_vec()
    });
    let (val, rows) = dvec_tall_jacobian(0.4, -0.2);
    assert_eq!(val, dvec_tall(0.4, -0.2));
    let r: Vec<Vec<f64>> = rows.iter().map(|g| vec![g.a, g.b]).collect();
    check_jac(&r, &[0.4, -0.2], |p| {
        dvec_tall(p[0], p[1]).as_slice().to_vec()
    });
}

/// The same value passed to two parameters of a nested gradient.
#[differentiate]
fn nested_aliased(x: f64, y: f64) -> f64 {
    let (e, g) = energy_grad(x, x);
    let (_, g2) = energy_grad(x * y, y);
    e + g.a * g.b + g2.a + g2.b * x
}

#[test]
fn nested_grad_aliased_arguments() {
    let (v, g) = nested_aliased_grad(0.7, -0.3);
    assert_eq!(v, nested_aliased(0.7, -0.3));
    close(
        "dx",
        &[g.x],
        &fd(|s| vec![nested_aliased(0.7 + s, -0.3)]),
        1e-6,
    );
    close(
        "dy",
        &[g.y],
        &fd(|s| vec![nested_aliased(0.7, -0.3 + s)]),
        1e-6,
    );
    let (_, d) = nested_aliased_jvp(0.7, -0.3, &NestedAliasedGrad { x: 0.5, y: 1.0 });
    close("jvp", &[d], &[0.5 * g.x + g.y], 1e-10);
}

#[differentiate(hessian)]
fn hg_inner<T: num_traits::Float>(a: T, b: T) -> T {
    (a * b).sin() + a * a * a
}

#[differentiate(hessian)]
fn hg_outer<T: num_traits::Float>(x: &[T]) -> T {
    let mut s = T::zero();
    for i in 1..x.len() {
        s = s + hg_inner(x[i - 1], x[i]) * x[0];
    }
    s
}

#[test]
fn hessian_generic_calls_generic() {
    let x = [0.4, -0.7, 1.1];
    let (_, _, rows) = hg_outer_hessian(&x);
    for i in 0..3 {
        let mut e = [0.0; 3];
        e[i] = 1.0;
        let want = fd(|s| hg_outer_grad(&axpy(&x, s, &e)).1.x);
        close(&format!("row {i}"), &rows[i].x, &want, 1e-6);
    }
}

#[differentiate(hessian)]
fn h_vec_owned(x: Vec<f64>, y: [f64; 2]) -> f64 {
    let mut s = x[0] * y[1];
    for v in x.iter() {
        s += v * v * y[0];
    }
    s * s
}

#[test]
fn hessian_owned_vec_and_array_order() {
    let x = vec![0.3, -0.5];
    let y = [0.8, 1.2];
    let (_, _, rows) = h_vec_owned_hessian(x.clone(), y);
    let p = [0.3, -0.5, 0.8, 1.2];
    let gf = |p: &[f64]| flat(&h_vec_owned_grad(p[..2].to_vec(), [p[2], p[3]]).1);
    for i in 0..4 {
        let mut e = [0.0; 4];
        e[i] = 1.0;
        close(
            &format!("row {i}"),
            &flat(&rows[i]),
            &fd(|s| gf(&axpy(&p, s, &e))),
            1e-6,
        );
    }
}

// ============================================================ batch 6

#[differentiate]
fn fib_swap(x: f64, y: f64, n: usize) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..n {
        let old = a;
        a = b;
        b = old * b + b;
    }
    let mut c = a;
    c *= c;
    c -= b;
    c /= a + 3.0;
    c
}

#[test]
fn jvp_swaps_and_compound_self_assign() {
    let (v, d) = fib_swap_jvp(0.3, 0.6, 4, &FibSwapGrad { x: 1.0, y: -0.5 });
    assert_eq!(v, fib_swap(0.3, 0.6, 4));
    close(
        "fd",
        &[d],
        &fd(|s| vec![fib_swap(0.3 + s, 0.6 - 0.5 * s, 4)]),
        1e-7,
    );
}

#[differentiate]
fn literals(x: f64, y: f64, n: usize) -> f64 {
    let r = [1.0, 2.0, 0.5];
    let lit = [x, y, x * y];
    let mut v = vec![0.0; n];
    for i in 0..n {
        v[i] = y;
    }
    for i in (0..n).rev().step_by(2) {
        v[i] = v[i] * lit[i % 3] + r[i % 3];
    }
    let (s, c) = x.sin_cos();
    let m = f64::max(x, y) + f64::min(s, c) * std::f64::consts::PI;
    v.iter().sum::<f64>() + m
}

#[test]
fn jvp_literals_repeat_and_ranges() {
    for n in [1, 4, 5] {
        let (v, d) = literals_jvp(0.4, 0.9, n, &LiteralsGrad { x: 0.7, y: 0.3 });
        assert_eq!(v, literals(0.4, 0.9, n));
        close(
            &format!("fd {n}"),
            &[d],
            &fd(|s| vec![literals(0.4 + 0.7 * s, 0.9 + 0.3 * s, n)]),
            1e-7,
        );
    }
}

#[differentiate]
fn subslices(x: &[f64], k: usize) -> f64 {
    let head = callee(x[0], &x[1..k]);
    let tail: f64 = x[k..].iter().map(|v| v.exp()).sum();
    let mid = &x[1..x.len() - 1];
    head + tail * mid.len() as f64 + mid.iter().sum::<f64>() * x[0]
}

#[test]
fn jvp_subslices() {
    let x = vec![0.3, -0.5, 0.8, 0.1, 0.6];
    let t = vec![1.0, 0.2, -0.3, 0.5, -1.0];
    let (v, d) = subslices_jvp(&x, 3, &SubslicesGrad { x: t.clone() });
    assert_eq!(v, subslices(&x, 3));
    close(
        "fd",
        &[d],
        &fd(|s| vec![subslices(&axpy(&x, s, &t), 3)]),
        1e-7,
    );
}

#[differentiate]
fn same_index(x: [f64; 3], i: usize, j: usize) -> [f64; 3] {
    let mut a = x;
    a[i] = a[j] * a[i] + a[j];
    a[j] = a[i] * 2.0;
    a
}

#[test]
fn jvp_same_index_aliasing() {
    let x = [0.4, -0.3, 1.1];
    let t = [0.5, 1.0, -0.2];
    for (i, j) in [(0, 0), (1, 2), (2, 1)] {
        let (v, d) = same_index_jvp(x, i, j, &SameIndexGrad { x: t });
        assert_eq!(v, same_index(x, i, j));
        let e = fd(|s| {
            let xs = axpy(&x, s, &t);
            same_index([xs[0], xs[1], xs[2]], i, j).to_vec()
        });
        close(&format!("fd {i}{j}"), &d, &e, 1e-7);
        let (_, rows) = same_index_jacobian(x, i, j);
        let r: Vec<Vec<f64>> = rows.iter().map(|g| g.x.to_vec()).collect();
        check_jac(&r, &x, |p| same_index([p[0], p[1], p[2]], i, j).to_vec());
    }
}

#[differentiate]
fn nested_closures(x: &[f64], a: f64) -> f64 {
    let scale = |v: f64| {
        let inner = |w: f64| w * a;
        inner(v) + inner(v * v)
    };
    let mut s = 0.0;
    for i in 0..x.len() {
        let xi = x[i];
        let f = |u: f64| u * xi + scale(xi);
        s += f(a) * f(x[0]);
    }
    s
}

#[test]
fn jvp_nested_closures_capturing_loop_values() {
    let x = vec![0.3, -0.6, 0.9];
    let t = vec![0.1, 0.5, -0.4];
    let (v, d) = nested_closures_jvp(
        &x,
        0.7,
        &NestedClosuresGrad {
            x: t.clone(),
            a: -0.6,
        },
    );
    assert_eq!(v, nested_closures(&x, 0.7));
    close(
        "fd",
        &[d],
        &fd(|s| vec![nested_closures(&axpy(&x, s, &t), 0.7 - 0.6 * s)]),
        1e-7,
    );
}

// ============================================================ batch 7

#[differentiate(hessian)]
fn h_refs(a: &f64, b: &[f64; 2], c: &Vec<f64>) -> f64 {
    let mut s = a * b[0] * b[1];
    for i in 0..c.len() {
        s += c[i] * c[i] * a + (b[1] * c[i]).cos();
    }
    s
}

#[test]
fn hessian_reference_parameters() {
    let p = [0.6, 0.3, -0.8, 1.1, 0.4];
    let gf = |p: &[f64]| flat(&h_refs_grad(&p[0], &[p[1], p[2]], &p[3..].to_vec()).1);
    let (_, _, rows) = h_refs_hessian(&p[0], &[p[1], p[2]], &p[3..].to_vec());
    for i in 0..5 {
        let mut e = [0.0; 5];
        e[i] = 1.0;
        close(
            &format!("row {i}"),
            &flat(&rows[i]),
            &fd(|s| gf(&axpy(&p, s, &e))),
            1e-6,
        );
    }
    let t = HRefsGrad {
        a: 1.0,
        b: [0.0, -1.0],
        c: vec![0.5, 0.5],
    };
    let (_, d) = h_refs_jvp(&p[0], &[p[1], p[2]], &p[3..].to_vec(), &t);
    close("jvp", &[d], &[dot(&gf(&p), &flat(&t))], 1e-12);
}

#[differentiate(hessian)]
fn h_with_nested_call(x: &[f64], k: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += energy(x[i], k) * x[i];
    }
    s
}

/// The gradient of a hessian function that itself calls a hessian function, nested in a
/// caller, in both modes.
#[differentiate]
fn nested_two_levels(x: &[f64], k: f64) -> f64 {
    let (_, g) = h_with_nested_call_grad(x, k);
    let mut s = 0.0;
    for i in 0..x.len() {
        s += g.x[i] * g.x[i];
    }
    s + g.k * k
}

#[test]
fn nested_grad_of_hessian_calling_hessian() {
    let x = vec![0.3, -0.4, 0.8];
    let p = [0.3, -0.4, 0.8, 0.9];
    let f = |p: &[f64]| nested_two_levels(&p[..3], p[3]);
    let (_, g) = nested_two_levels_grad(&x, 0.9);
    let gf = [g.x.clone(), vec![g.k]].concat();
    for i in 0..4 {
        let mut e = [0.0; 4];
        e[i] = 1.0;
        close(
            &format!("grad {i}"),
            &[gf[i]],
            &fd(|s| vec![f(&axpy(&p, s, &e))]),
            1e-6,
        );
    }
    let t = [0.2, 0.7, -0.5, 0.3];
    let (_, d) = nested_two_levels_jvp(
        &x,
        0.9,
        &NestedTwoLevelsGrad {
            x: t[..3].to_vec(),
            k: t[3],
        },
    );
    close("jvp", &[d], &[dot(&gf, &t)], 1e-9);
}

#[differentiate(hessian)]
fn h_gen32<T: num_traits::Float>(x: T, y: T) -> T {
    x * x * y + (x * y).exp()
}

#[differentiate]
fn nested_f32(x: f32, y: f32) -> f32 {
    let (_, g) = h_gen32_grad(x, y);
    g.x * g.y + x
}

#[test]
fn nested_grad_generic_at_f32() {
    let (v, g) = nested_f32_grad(0.5, 0.3);
    assert_eq!(v, nested_f32(0.5, 0.3));
    let r = |x: f64, y: f64| {
        let gx = 2.0 * x * y + y * (x * y).exp();
        let gy = x * x + x * (x * y).exp();
        gx * gy + x
    };
    close("dx", &[g.x as f64], &fd(|s| vec![r(0.5 + s, 0.3)]), 1e-4);
    close("dy", &[g.y as f64], &fd(|s| vec![r(0.5, 0.3 + s)]), 1e-4);
    let (_, d) = nested_f32_jvp(0.5, 0.3, &NestedF32Grad { x: 1.0, y: 2.0 });
    close("jvp", &[d as f64], &[(g.x + 2.0 * g.y) as f64], 1e-5);
}

#[test]
fn hvp_zero_direction_and_linearity() {
    let x = [0.3, 1.1, -0.4];
    let (_, _, z) = chain_energy_hvp(&x, &ChainEnergyGrad { x: vec![0.0; 3] });
    assert_eq!(z.x, vec![0.0; 3]);
    let (_, _, a) = chain_energy_hvp(
        &x,
        &ChainEnergyGrad {
            x: vec![1.0, 0.0, 2.0],
        },
    );
    let (_, _, b) = chain_energy_hvp(
        &x,
        &ChainEnergyGrad {
            x: vec![0.0, 3.0, -1.0],
        },
    );
    let (_, _, ab) = chain_energy_hvp(
        &x,
        &ChainEnergyGrad {
            x: vec![1.0, 3.0, 1.0],
        },
    );
    let sum: Vec<f64> = a.x.iter().zip(&b.x).map(|(p, q)| p + q).collect();
    close("linear", &ab.x, &sum, 1e-12);
}

#[differentiate]
fn jac_f32(x: &[f32], s: f32) -> Vec<f32> {
    x.iter().map(|v| (v * s).sin()).collect()
}

#[test]
fn jacobian_f32() {
    let x = [0.3f32, -0.7, 1.2];
    let (v, rows) = jac_f32_jacobian(&x, 0.8);
    assert_eq!(v, jac_f32(&x, 0.8));
    for i in 0..3 {
        let xi = x[i] as f64;
        for j in 0..3 {
            let want = if i == j { 0.8 * (xi * 0.8).cos() } else { 0.0 };
            close("dx", &[rows[i].x[j] as f64], &[want], 1e-5);
        }
        close("ds", &[rows[i].s as f64], &[xi * (xi * 0.8).cos()], 1e-5);
    }
}

// ============================================================ batch 8: nalgebra breadth

#[differentiate]
fn na_zoo(a: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let at = a.transpose();
    let s = &at * a;
    let d = s.determinant() + s.trace();
    let c = a.column(1).dot(&a.column(0)) + a.row(0).sum();
    let q = v.component_mul(v).component_div(&v.add_scalar(3.0)).mean();
    let mut acc = 0.0;
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            acc += a[(i, j)] * v[j];
        }
    }
    d * c + q + acc * v.norm()
}

#[test]
fn jvp_nalgebra_zoo() {
    let a = DMatrix::from_row_slice(3, 2, &[0.3, -0.5, 0.8, 0.2, -0.1, 0.9]);
    let v = DVector::from_vec(vec![0.4, -0.7]);
    let ta = DMatrix::from_row_slice(3, 2, &[1.0, 0.2, -0.3, 0.5, 0.1, -0.8]);
    let tv = DVector::from_vec(vec![0.6, 0.9]);
    let (val, d) = na_zoo_jvp(
        &a,
        &v,
        &NaZooGrad {
            a: ta.clone(),
            v: tv.clone(),
        },
    );
    assert_eq!(val, na_zoo(&a, &v));
    close(
        "fd",
        &[d],
        &fd(|s| vec![na_zoo(&(&a + &ta * s), &(&v + &tv * s))]),
        1e-6,
    );
    let (_, g) = na_zoo_grad(&a, &v);
    close("grad", &[d], &[g.a.dot(&ta) + g.v.dot(&tv)], 1e-10);
}

#[differentiate]
fn smat(m: nalgebra::Matrix2<f32>, x: nalgebra::Vector2<f32>) -> nalgebra::Vector2<f32> {
    (m * x).map(|e| e.tanh()) + m.transpose() * x * x.norm()
}

#[test]
fn jvp_and_jacobian_static_f32() {
    let m = nalgebra::Matrix2::new(0.3f32, -0.2, 0.5, 0.8);
    let x = nalgebra::Vector2::new(0.7f32, -0.4);
    let tm = nalgebra::Matrix2::new(1.0f32, 0.0, -0.5, 0.25);
    let tx = nalgebra::Vector2::new(0.2f32, 0.6);
    let (v, d) = smat_jvp(m, x, &SmatGrad { m: tm, x: tx });
    assert_eq!(v, smat(m, x));
    let w = nalgebra::Vector2::new(0.9f32, -1.3);
    let (_, g) = smat_vjp(m, x, w);
    close(
        "dot",
        &[d.dot(&w) as f64],
        &[(g.m.dot(&tm) + g.x.dot(&tx)) as f64],
        1e-5,
    );
    let (_, rows) = smat_jacobian(m, x);
    for i in 0..2 {
        let mut e = nalgebra::Vector2::zeros();
        e[i] = 1.0f32;
        let (_, gi) = smat_vjp(m, x, e);
        close("row", &flat32(&rows[i]), &flat32(&gi), 1e-5);
    }
}

fn flat32<P: Parameters<f32>>(p: &P) -> Vec<f64> {
    let mut out = vec![0.0; p.len()];
    p.write_to(&mut out);
    out
}

#[differentiate]
fn dvec_loop_out(x: &DVector<f64>, c: f64) -> DVector<f64> {
    let mut out = DVector::zeros(x.len() + 2);
    for i in 0..x.len() {
        out[i] = x[i] * c;
        out[i + 2] += x[i].exp();
    }
    out
}

#[test]
fn jvp_dvector_written_in_place() {
    let x = DVector::from_vec(vec![0.2, -0.3, 0.6]);
    let t = DVector::from_vec(vec![1.0, 0.4, -0.2]);
    let (v, d) = dvec_loop_out_jvp(
        &x,
        1.4,
        &DvecLoopOutGrad {
            x: t.clone(),
            c: 0.5,
        },
    );
    assert_eq!(v, dvec_loop_out(&x, 1.4));
    let e = fd(|s| {
        dvec_loop_out(&(&x + &t * s), 1.4 + 0.5 * s)
            .as_slice()
            .to_vec()
    });
    close("fd", d.as_slice(), &e, 1e-7);
    let (_, rows) = dvec_loop_out_jacobian(&x, 1.4);
    let r: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&r, &[0.2, -0.3, 0.6, 1.4], |p| {
        dvec_loop_out(&DVector::from_column_slice(&p[..3]), p[3])
            .as_slice()
            .to_vec()
    });
}

#[differentiate(wrt(w))]
fn nn_loss(w: &DMatrix<f64>, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let h = tapeless::nn::sigmoid(&(w * x));
    tapeless::nn::cross_entropy(&h, labels)
}

#[test]
fn jvp_nn_loss() {
    let w = DMatrix::from_row_slice(3, 2, &[0.3, -0.5, 0.8, 0.2, -0.1, 0.9]);
    let x = DMatrix::from_row_slice(2, 4, &[0.5, -1.0, 0.3, 0.2, 1.1, 0.4, -0.6, 0.8]);
    let labels = [0usize, 2, 1, 2];
    let tw = DMatrix::from_row_slice(3, 2, &[1.0, 0.2, -0.3, 0.5, 0.1, -0.8]);
    let (v, d) = nn_loss_jvp(&w, &x, &labels, &NnLossGrad { w: tw.clone() });
    assert_eq!(v, nn_loss(&w, &x, &labels));
    close(
        "fd",
        &[d],
        &fd(|s| vec![nn_loss(&(&w + &tw * s), &x, &labels)]),
        1e-6,
    );
}

// ============================================================ batch 9: every float method,
// second order (hessian vs differences of the gradient) and first order (f_jvp vs
// differences of the function), at points inside each domain.

macro_rules! method_probe {
    ($name:ident, $test:ident, $grad:ident, $hess:ident, $jvp:ident, $g:ident, $x0:expr, $y0:expr, |$x:ident, $y:ident| $body:block) => {
        #[differentiate(hessian)]
        fn $name($x: f64, $y: f64) -> f64 $body

        #[test]
        fn $test() {
            let p = [$x0, $y0];
            let gf = |p: &[f64]| {
                let g = $grad(p[0], p[1]).1;
                vec![g.x, g.y]
            };
            let (v, g, rows) = $hess(p[0], p[1]);
            assert_eq!(v, $name(p[0], p[1]));
            close("grad", &[g.x, g.y], &gf(&p), 1e-14);
            close(
                "row x",
                &[rows[0].x, rows[0].y],
                &fd(|s| gf(&[p[0] + s, p[1]])),
                1e-6,
            );
            close(
                "row y",
                &[rows[1].x, rows[1].y],
                &fd(|s| gf(&[p[0], p[1] + s])),
                1e-6,
            );
            let (_, d) = $jvp(p[0], p[1], &$g { x: 0.6, y: -0.8 });
            close(
                "jvp",
                &[d],
                &fd(|s| vec![$name(p[0] + 0.6 * s, p[1] - 0.8 * s)]),
                1e-6,
            );
        }
    };
}

method_probe!(
    m_trig,
    probe_m_trig,
    m_trig_grad,
    m_trig_hessian,
    m_trig_jvp,
    MTrigGrad,
    0.4,
    0.3,
    |x, y| {
        x.sin() * y.cos() + (x * y).tan() + (x * 0.9).asin() * (y * 0.8).acos() + (x / y).atan()
    }
);
method_probe!(
    m_hyp,
    probe_m_hyp,
    m_hyp_grad,
    m_hyp_hessian,
    m_hyp_jvp,
    MHypGrad,
    0.4,
    1.3,
    |x, y| { x.sinh() * y.cosh() + (x * y).tanh() + x.asinh() * y.acosh() + (x * 0.5).atanh() }
);
method_probe!(
    m_exp,
    probe_m_exp,
    m_exp_grad,
    m_exp_hessian,
    m_exp_jvp,
    MExpGrad,
    0.4,
    1.3,
    |x, y| {
        x.exp() * y.exp2()
            + (x * y).exp_m1()
            + y.ln() * x.ln_1p()
            + y.log10() * x
            + y.log2() * x * x
    }
);
method_probe!(
    m_roots,
    probe_m_roots,
    m_roots_grad,
    m_roots_hessian,
    m_roots_jvp,
    MRootsGrad,
    0.4,
    1.3,
    |x, y| {
        (x * y).sqrt()
            + (x + y).cbrt() * x
            + y.recip() * x
            + (x - y).abs() * x
            + x.to_degrees() * y.to_radians()
    }
);
method_probe!(
    m_pow,
    probe_m_pow,
    m_pow_grad,
    m_pow_hessian,
    m_pow_jvp,
    MPowGrad,
    0.7,
    1.3,
    |x, y| { x.powf(y) + y.powi(3) * x.powi(-2) + y.log(x + 2.0) + x.log(y + 1.0) }
);
method_probe!(
    m_two,
    probe_m_two,
    m_two_grad,
    m_two_hessian,
    m_two_jvp,
    MTwoGrad,
    0.7,
    1.3,
    |x, y| {
        x.atan2(y) * y
            + x.hypot(y) * x
            + x.max(y) * y.min(x)
            + (x * y).clamp(0.1, 5.0) * x
            + x.mul_add(y, x * x)
    }
);
method_probe!(
    m_misc,
    probe_m_misc,
    m_misc_grad,
    m_misc_hessian,
    m_misc_jvp,
    MMiscGrad,
    0.7,
    1.3,
    |x, y| {
        let (s, c) = (x * y).sin_cos();
        s * c * x + (x * 5.0).fract() * y + (y * 3.0) % 1.7 * x + x / y - y * x * x * x
    }
);

// ============================================================ batch 10

type Out3 = [f64; 3];

#[differentiate]
fn alias_out(x: f64, y: f64) -> Out3 {
    let mut o = [0.0; 3];
    o[0] = x * y;
    o[1] = x.exp();
    o[2] = y.sin() * x;
    o
}

#[test]
fn jacobian_alias_output_and_jvp() {
    let (v, rows) = alias_out_jacobian(0.5, -0.7);
    assert_eq!(v, alias_out(0.5, -0.7));
    let r: Vec<Vec<f64>> = rows.iter().map(|g| vec![g.x, g.y]).collect();
    check_jac(&r, &[0.5, -0.7], |p| alias_out(p[0], p[1]).to_vec());
    let (_, d) = alias_out_jvp(0.5, -0.7, &AliasOutGrad { x: 1.0, y: 2.0 });
    close(
        "jvp",
        &d,
        &fd(|s| alias_out(0.5 + s, -0.7 + 2.0 * s).to_vec()),
        1e-7,
    );
}

#[differentiate]
fn empty_out(x: &[f64], n: usize) -> Vec<f64> {
    let mut o = vec![0.0; n];
    for i in 0..n {
        o[i] = x[i] * x[i];
    }
    o
}

#[test]
fn jacobian_empty_output_and_input() {
    let (v, rows) = empty_out_jacobian(&[1.0, 2.0], 0);
    assert!(v.is_empty() && rows.is_empty());
    let (v, rows) = empty_out_jacobian(&[], 0);
    assert!(v.is_empty() && rows.is_empty());
}

/// A Vec-valued caller of a scalar function whose f_jvp falls back to a reverse sweep.
#[differentiate]
fn calls_fallback(x: &[f64]) -> Vec<f64> {
    let mut o = vec![0.0; x.len()];
    for i in 0..x.len() {
        o[i] = inactive_tuple(x[i], 3) + x[0];
    }
    o
}

#[test]
fn jvp_caller_of_fallback_scalar() {
    let x = vec![0.8, -0.4];
    let t = vec![0.5, 1.0];
    let (v, d) = calls_fallback_jvp(&x, &CallsFallbackGrad { x: t.clone() });
    assert_eq!(v, calls_fallback(&x));
    close("fd", &d, &fd(|s| calls_fallback(&axpy(&x, s, &t))), 1e-7);
}

#[differentiate]
impl Spring {
    #[differentiate]
    fn relax(&self, x: &[f64]) -> f64 {
        let (e, g) = chain_energy_grad(x);
        e * self.k + g.x[0] * self.rest
    }
}

#[test]
fn nested_grad_in_method() {
    let s = Spring { k: 1.5, rest: -0.4 };
    let x = vec![0.3, 1.1, -0.4];
    let t = SpringRelaxGrad {
        self_: Spring { k: 0.2, rest: 0.7 },
        x: vec![0.5, -0.3, 0.8],
    };
    let (v, d) = s.relax_jvp(&x, &t);
    assert_eq!(v, s.relax(&x));
    let e = fd(|h| {
        vec![Spring {
            k: 1.5 + 0.2 * h,
            rest: -0.4 + 0.7 * h,
        }
        .relax(&axpy(&x, h, &t.x))]
    });
    close("jvp", &[d], &e, 1e-6);
    let (_, g) = s.relax_grad(&x);
    close("grad", &[d], &[dot(&flat(&g), &flat(&t))], 1e-10);
}

// ============================================================ batch 11

#[differentiate]
fn vec_early_return(x: &[f64], lim: f64) -> Vec<f64> {
    let mut out = vec![0.0; 3];
    for i in 0..x.len() {
        out[i % 3] += x[i] * lim;
        if out[i % 3] > lim {
            let mut early = vec![0.0; 3];
            early[0] = out[0] * 2.0;
            early[2] = x[i];
            return early;
        }
    }
    out
}

#[test]
fn jvp_and_jacobian_vec_early_return() {
    for x in [vec![0.1, 0.2, 0.3, 0.4], vec![0.5, 2.0, 0.3, 0.1]] {
        let t = vec![0.3, -0.2, 0.5, 1.0];
        let (v, d) = vec_early_return_jvp(
            &x,
            0.9,
            &VecEarlyReturnGrad {
                x: t.clone(),
                lim: 0.4,
            },
        );
        assert_eq!(v, vec_early_return(&x, 0.9));
        close(
            "fd",
            &d,
            &fd(|s| vec_early_return(&axpy(&x, s, &t), 0.9 + 0.4 * s)),
            1e-7,
        );
        let (_, rows) = vec_early_return_jacobian(&x, 0.9);
        let r: Vec<Vec<f64>> = rows.iter().map(flat).collect();
        let p = [x.clone(), vec![0.9]].concat();
        check_jac(&r, &p, |p| vec_early_return(&p[..4], p[4]));
    }
}

#[differentiate]
fn loop_calls_vec(x: &[f64], a: f64) -> f64 {
    let mut acc = 0.0;
    let mut k = a;
    for _ in 0..3 {
        let v = callee_vec(k, x);
        acc += v[0] * v[1];
        k = k * 0.5 + v[1];
    }
    acc
}

#[test]
fn jvp_loop_calling_vec_function() {
    let x = vec![0.4, -0.9];
    let t = vec![1.0, 0.3];
    let (v, d) = loop_calls_vec_jvp(
        &x,
        0.7,
        &LoopCallsVecGrad {
            x: t.clone(),
            a: -0.5,
        },
    );
    assert_eq!(v, loop_calls_vec(&x, 0.7));
    close(
        "fd",
        &[d],
        &fd(|s| vec![loop_calls_vec(&axpy(&x, s, &t), 0.7 - 0.5 * s)]),
        1e-7,
    );
}

#[differentiate(hessian)]
fn h_loops(x: &[f64], c: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..x.len() {
        for j in 0..3 {
            a[j] = a[j] * c + x[i] * (j as f64 + 1.0);
            if a[j] > 50.0 {
                return a[0] * a[1] + c;
            }
        }
    }
    a[0] * a[1] * a[2] + a[2].sin()
}

#[test]
fn hessian_loops_with_array_and_return() {
    for x in [vec![0.2, -0.3, 0.5], vec![4.0, 5.0, 6.0]] {
        let p = [x.clone(), vec![1.2]].concat();
        let gf = |p: &[f64]| flat(&h_loops_grad(&p[..3], p[3]).1);
        let (v, _, rows) = h_loops_hessian(&x, 1.2);
        assert_eq!(v, h_loops(&x, 1.2));
        for i in 0..4 {
            let mut e = [0.0; 4];
            e[i] = 1.0;
            close(
                &format!("row {i}"),
                &flat(&rows[i]),
                &fd(|s| gf(&axpy(&p, s, &e))),
                1e-6,
            );
        }
    }
}

#[differentiate]
fn nested_in_loop(x: &[f64], lr: f64) -> f64 {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[i];
    }
    for _ in 0..3 {
        let (_, g) = h_wrt_grad(&y, 1.3, 2);
        for i in 0..y.len() {
            y[i] = y[i] - lr * g.x[i];
        }
    }
    y.iter().map(|v| v * v).sum::<f64>()
}

#[test]
fn nested_grad_in_loop_with_data_params() {
    let x = vec![0.3, -0.6, 0.9];
    let p = [0.3, -0.6, 0.9, 0.4];
    let f = |p: &[f64]| nested_in_loop(&p[..3], p[3]);
    let (v, g) = nested_in_loop_grad(&x, 0.4);
    assert_eq!(v, nested_in_loop(&x, 0.4));
    let gf = [g.x.clone(), vec![g.lr]].concat();
    for i in 0..4 {
        let mut e = [0.0; 4];
        e[i] = 1.0;
        close(
            &format!("grad {i}"),
            &[gf[i]],
            &fd(|s| vec![f(&axpy(&p, s, &e))]),
            1e-6,
        );
    }
    let t = [0.1, 0.4, -0.2, 0.3];
    let (_, d) = nested_in_loop_jvp(
        &x,
        0.4,
        &NestedInLoopGrad {
            x: t[..3].to_vec(),
            lr: t[3],
        },
    );
    close("jvp", &[d], &fd(|s| vec![f(&axpy(&p, s, &t))]), 1e-6);
}

// ============================================================ degenerate functions

#[differentiate]
fn konst(_x: f64) -> f64 {
    3.0
}

#[differentiate]
fn id(x: f64) -> f64 {
    x
}

#[differentiate]
fn idv(x: Vec<f64>) -> Vec<f64> {
    x
}

#[differentiate]
fn ida(x: [f64; 2], _y: f64) -> [f64; 2] {
    x
}

#[differentiate(hessian)]
fn hconst(_x: &[f64]) -> f64 {
    2.0
}

#[differentiate(hessian)]
fn hlin(x: &[f64]) -> f64 {
    x[0] * 2.0 + x[1]
}

#[differentiate]
fn only_data(n: usize) -> f64 {
    n as f64
}

#[test]
fn degenerate_functions() {
    assert_eq!(konst_jvp(1.0, &KonstGrad { _x: 1.0 }), (konst(1.0), 0.0));
    assert_eq!(id_jvp(1.0, &IdGrad { x: 2.0 }), (id(1.0), 2.0));
    assert_eq!(
        idv_jvp(vec![1.0, 2.0], &IdvGrad { x: vec![3.0, 4.0] }),
        (vec![1.0, 2.0], vec![3.0, 4.0])
    );
    let (_, rows) = idv_jacobian(vec![1.0, 2.0]);
    assert_eq!(
        rows.iter().map(|r| r.x.clone()).collect::<Vec<_>>(),
        vec![vec![1.0, 0.0], vec![0.0, 1.0]]
    );
    let (_, rows) = ida_jacobian([1.0, 2.0], 0.5);
    assert_eq!(
        rows.iter().map(|r| (r.x, r._y)).collect::<Vec<_>>(),
        vec![([1.0, 0.0], 0.0), ([0.0, 1.0], 0.0)]
    );
    let (v, _, rows) = hconst_hessian(&[1.0, 2.0]);
    assert_eq!(v, hconst(&[1.0, 2.0]));
    assert!(rows.iter().all(|r| r._x == vec![0.0, 0.0]) && rows.len() == 2);
    let (v, g, rows) = hlin_hessian(&[1.0, 2.0]);
    assert_eq!(v, hlin(&[1.0, 2.0]));
    assert_eq!(g.x, vec![2.0, 1.0]);
    assert!(rows.iter().all(|r| r.x == vec![0.0, 0.0]) && rows.len() == 2);
    assert_eq!(only_data_jvp(3, &OnlyDataGrad {}), (only_data(3), 0.0));
}

#[differentiate]
fn smat_out(x: [f64; 2]) -> nalgebra::SMatrix<f64, 2, 3> {
    let mut m = nalgebra::SMatrix::<f64, 2, 3>::zeros();
    for i in 0..2 {
        for j in 0..3 {
            m[(i, j)] = x[i] * (j as f64 + 1.0) + (x[0] * x[1] * j as f64).sin();
        }
    }
    m
}

#[test]
fn jacobian_smatrix_column_major() {
    let x = [0.4, -0.8];
    let (v, rows) = smat_out_jacobian(x);
    assert_eq!(v, smat_out(x));
    let r: Vec<Vec<f64>> = rows.iter().map(|g| g.x.to_vec()).collect();
    check_jac(&r, &x, |p| smat_out([p[0], p[1]]).as_slice().to_vec());
    // row 1 is ∇ m[(1, 0)] (column-major): ∂/∂x1 = 1
    close("storage order", &r[1], &[0.0, 1.0], 1e-15);
}

#[differentiate]
fn vec_of_vec3(x: &[f64]) -> Vec<Vector3<f64>> {
    x.iter()
        .map(|v| Vector3::new(1.0, 2.0, 3.0) * (v * v))
        .collect()
}

#[test]
fn jacobian_vec_of_vector3() {
    let x = [0.4, -0.8];
    let (v, rows) = vec_of_vec3_jacobian(&x);
    assert_eq!(v, vec_of_vec3(&x));
    let r: Vec<Vec<f64>> = rows.iter().map(|g| g.x.clone()).collect();
    check_jac(&r, &x, |p| {
        vec_of_vec3(p)
            .iter()
            .flat_map(|v| v.iter().copied())
            .collect()
    });
}

#[differentiate]
fn real_vec<T: RealField + Copy>(x: &[T], s: T) -> Vec<T> {
    let mut o = vec![T::zero(); x.len()];
    for i in 0..x.len() {
        o[i] = (x[i] * s).sin() + s * s;
    }
    o
}

#[test]
fn jacobian_and_jvp_generic_realfield() {
    let x = [0.4, -0.8, 0.3];
    let (v, rows) = real_vec_jacobian(&x, 0.6);
    assert_eq!(v, real_vec(&x, 0.6));
    let r: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&r, &[0.4, -0.8, 0.3, 0.6], |p| real_vec(&p[..3], p[3]));
    let t = vec![0.3, 0.2, 0.1];
    let (_, d) = real_vec_jvp(
        &x,
        0.6,
        &RealVecGrad {
            x: t.clone(),
            s: 1.0,
        },
    );
    close(
        "jvp",
        &d,
        &fd(|s| real_vec(&axpy(&x, s, &t), 0.6 + s)),
        1e-7,
    );
}

// ============================================================ batch 12

#[differentiate]
fn fold_tuple(x: &[f64], a: f64) -> f64 {
    let s = x.iter().fold(0.0, |s, v| s + v * a);
    let p = x.iter().fold(1.0, |p, v| p * v);
    let w: f64 = x.iter().enumerate().map(|(i, v)| v * i as f64).sum();
    if a <= 0.0 {
        return p * w;
    }
    let early = a * s;
    early + p * w
}

#[test]
fn jvp_fold_tuple_and_early_else_return() {
    let x = vec![0.5, -0.7, 1.2];
    let t = vec![0.3, 0.8, -0.1];
    for a in [0.6, -0.6] {
        let (v, d) = fold_tuple_jvp(
            &x,
            a,
            &FoldTupleGrad {
                x: t.clone(),
                a: 0.9,
            },
        );
        assert_eq!(v, fold_tuple(&x, a));
        close(
            "fd",
            &[d],
            &fd(|s| vec![fold_tuple(&axpy(&x, s, &t), a + 0.9 * s)]),
            1e-7,
        );
        let (_, g) = fold_tuple_grad(&x, a);
        close("grad", &[d], &[dot(&g.x, &t) + 0.9 * g.a], 1e-12);
    }
}

#[differentiate]
fn depth3_c(x: f64, v: &[f64]) -> (f64, Vec<f64>) {
    let mut o = vec![0.0; v.len()];
    for i in 0..v.len() {
        o[i] = v[i] * x;
    }
    (x * x, o)
}

#[differentiate]
fn depth3_b(x: f64, v: &[f64]) -> Vec<f64> {
    let (s, o) = depth3_c(x, v);
    let mut r = vec![0.0; o.len()];
    for i in 0..o.len() {
        r[i] = o[i] * s + callee(x, v);
    }
    r
}

#[differentiate]
fn depth3_a(x: f64, v: &[f64]) -> f64 {
    let r = depth3_b(x.sin(), v);
    let q = depth3_b(2.0, v);
    r.iter().zip(q.iter()).map(|(p, q)| p * q).sum()
}

#[test]
fn jvp_three_levels_of_calls() {
    let v = vec![0.3, -0.5, 0.9];
    let t = vec![0.2, 0.6, -0.4];
    let (val, d) = depth3_a_jvp(
        0.7,
        &v,
        &Depth3AGrad {
            x: -0.3,
            v: t.clone(),
        },
    );
    assert_eq!(val, depth3_a(0.7, &v));
    close(
        "fd",
        &[d],
        &fd(|s| vec![depth3_a(0.7 - 0.3 * s, &axpy(&v, s, &t))]),
        1e-7,
    );
    let (_, rows) = depth3_b_jacobian(0.7, &v);
    let r: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    check_jac(&r, &[0.7, 0.3, -0.5, 0.9], |p| depth3_b(p[0], &p[1..]));
}

#[differentiate(wrt(p))]
fn struct_loop_local(p: &Params, xs: &[f64]) -> [f64; 2] {
    let mut out = [0.0; 2];
    for i in 0..xs.len() {
        out[i % 2] += p.w[i] * xs[i] + p.inner.v[i % 2] * p.m[i];
    }
    out[1] = out[1] * p.inner.a;
    out
}

#[test]
fn jvp_and_jacobian_struct_into_array() {
    let x = [0.5, -0.3, 0.8, 1.2, -0.7, 0.4, 0.9];
    let t = [0.2, 1.0, -0.5, 0.3, 0.7, -0.1, 0.6];
    let xs = [0.7, -1.1];
    let (p, tp) = (params_from(&x), params_from(&t));
    let (v, d) = struct_loop_local_jvp(&p, &xs, &StructLoopLocalGrad { p: tp });
    assert_eq!(v, struct_loop_local(&p, &xs));
    let e = fd(|s| struct_loop_local(&params_from(&axpy(&x, s, &t)), &xs).to_vec());
    close("fd", &d, &e, 1e-7);
    let (_, rows) = struct_loop_local_jacobian(&p, &xs);
    let r: Vec<Vec<f64>> = rows.iter().map(|g| flat(&g.p)).collect();
    check_jac(&r, &x, |q| struct_loop_local(&params_from(q), &xs).to_vec());
}

// ============================================================ batch 13: merges of containers

#[differentiate]
fn merge_containers(x: &[f64], a: f64, mode: u8) -> f64 {
    let arr = match mode {
        0 => {
            let mut r = [0.0; 2];
            r[0] = a * x[0];
            r[1] = a;
            r
        }
        _ => {
            let mut r = [0.0; 2];
            r[1] = x[1].exp();
            r
        }
    };
    let mut v = if a > 0.0 {
        callee_vec(a, x)
    } else {
        callee_vec(1.0, x)
    };
    for _ in 0..2 {
        v = callee_vec(v[0] + arr[1], x);
    }
    v[0] * arr[0] + v[1] + arr[1]
}

#[test]
fn jvp_merged_arrays_and_vecs() {
    let x = vec![0.4, -0.3];
    let t = vec![0.5, 0.2];
    for (a, mode) in [(0.7, 0u8), (-0.7, 0), (0.7, 1), (-0.7, 1)] {
        let (v, d) = merge_containers_jvp(
            &x,
            a,
            mode,
            &MergeContainersGrad {
                x: t.clone(),
                a: 0.6,
            },
        );
        assert_eq!(v, merge_containers(&x, a, mode));
        let e = fd(|s| vec![merge_containers(&axpy(&x, s, &t), a + 0.6 * s, mode)]);
        close(&format!("fd {a} {mode}"), &[d], &e, 1e-7);
    }
}

#[differentiate]
fn struct_tall(p: &Inner, n: usize) -> Vec<f64> {
    let mut o = vec![0.0; n];
    for i in 0..n {
        o[i] = p.a * (i as f64) + (p.v[0] * p.v[1] * i as f64).sin();
    }
    o
}

#[derive(Differentiable, Clone, Debug)]
struct Osc {
    w: f64,
    phase: f64,
}

#[differentiate]
impl Osc {
    #[differentiate(wrt(self))]
    fn samples(&self, ts: &[f64]) -> Vec<f64> {
        ts.iter().map(|t| (self.w * t + self.phase).sin()).collect()
    }
}

#[test]
fn jacobian_forward_path_struct_and_wrt_self() {
    let p = Inner {
        a: 0.4,
        v: [0.7, -0.3],
    };
    let (v, rows) = struct_tall_jacobian(&p, 6);
    assert_eq!(v, struct_tall(&p, 6));
    let r: Vec<Vec<f64>> = rows.iter().map(|g| flat(&g.p)).collect();
    check_jac(&r, &[0.4, 0.7, -0.3], |q| {
        struct_tall(
            &Inner {
                a: q[0],
                v: [q[1], q[2]],
            },
            6,
        )
    });
    let o = Osc { w: 1.3, phase: 0.2 };
    let ts = [0.0, 0.5, 1.0, 1.5, 2.0];
    let (v, rows) = o.samples_jacobian(&ts);
    assert_eq!(v, o.samples(&ts));
    let r: Vec<Vec<f64>> = rows.iter().map(|g| flat(&g.self_)).collect();
    check_jac(&r, &[1.3, 0.2], |q| {
        Osc {
            w: q[0],
            phase: q[1],
        }
        .samples(&ts)
    });
}

#[differentiate(hessian)]
fn h_slice_sum(x: &[f64], c: f64) -> f64 {
    x.iter().map(|v| v * v * c).sum::<f64>()
}

#[differentiate(hessian)]
fn h_iters(x: &[f64], c: f64) -> f64 {
    let a: f64 = x.windows(2).map(|w| (w[1] - w[0]).powi(2) * c).sum();
    let b: f64 = x.chunks(2).map(|ch| ch[0] * ch[ch.len() - 1]).sum();
    let d: f64 = x
        .iter()
        .zip(x.iter().skip(1))
        .map(|(p, q)| (p * q).sin())
        .sum();
    let e: f64 = x.iter().take(2).map(|v| v.exp()).sum();
    a + b + d + e + h_slice_sum(&x[1..], c) * x[0]
}

#[test]
fn hessian_iterators_and_subslices() {
    let x = [0.3, -0.5, 0.8, 0.2, -0.1];
    let p = [0.3, -0.5, 0.8, 0.2, -0.1, 1.1];
    let gf = |p: &[f64]| flat(&h_iters_grad(&p[..5], p[5]).1);
    let (v, g, rows) = h_iters_hessian(&x, 1.1);
    assert_eq!(v, h_iters(&x, 1.1));
    close("grad", &flat(&g), &gf(&p), 1e-14);
    let h: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    for i in 0..6 {
        let mut e = [0.0; 6];
        e[i] = 1.0;
        close(
            &format!("row {i}"),
            &h[i],
            &fd(|s| gf(&axpy(&p, s, &e))),
            1e-6,
        );
        for j in 0..i {
            close("sym", &[h[i][j]], &[h[j][i]], 1e-10);
        }
    }
}

method_probe!(
    m_flat,
    probe_m_flat,
    m_flat_grad,
    m_flat_hessian,
    m_flat_jvp,
    MFlatGrad,
    1.3,
    2.6,
    |x, y| { x.floor() * y + y.round() * x * x + x.ceil() * y.signum() + (x * y).trunc() * y }
);

#[differentiate]
fn float_to_index(x: f64, y: f64) -> f64 {
    let n = x as usize;
    let mut s = 0.0;
    for i in 0..n + 1 {
        s += y * (i as f64) * x;
    }
    s
}

#[test]
fn jvp_float_cast_to_loop_bound() {
    let (v, d) = float_to_index_jvp(2.3, 0.7, &FloatToIndexGrad { x: 1.0, y: -2.0 });
    assert_eq!(v, float_to_index(2.3, 0.7));
    close(
        "fd",
        &[d],
        &fd(|s| vec![float_to_index(2.3 + s, 0.7 - 2.0 * s)]),
        1e-7,
    );
}

#[differentiate(hessian)]
fn h_typed(x: &[f64], c: f64) -> f64 {
    let sq = |t: f64| -> f64 { t * t * c };
    let tail: &[f64] = &x[1..];
    let mut s = 0.0_f64;
    for v in tail.iter() {
        let w: f64 = *v;
        s += sq(w);
    }
    let m = x.iter().fold(f64::NEG_INFINITY, |m, v| m.max(*v * c));
    let f = x.iter().fold(0.0_f64, |acc: f64, v: &f64| acc + v * v);
    s + m + f + x[0].powf(2.0)
}

#[test]
fn hessian_typed_lets_closures_folds() {
    let (v, _, rows) = h_typed_hessian(&[0.3, 0.5, -0.2], 1.5);
    assert_eq!(v, h_typed(&[0.3, 0.5, -0.2], 1.5));
    // closed form: rows (x0, x1, x2, c)
    let want = [
        [4.0, 0.0, 0.0, 0.0],
        [0.0, 5.0, 0.0, 2.0],
        [0.0, 0.0, 5.0, -0.4],
        [0.0, 2.0, -0.4, 0.0],
    ];
    for i in 0..4 {
        close(&format!("row {i}"), &flat(&rows[i]), &want[i], 1e-12);
    }
}
