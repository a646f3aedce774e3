//! Tuple elements of data bound by a destructuring pattern are references, as Rust's
//! default binding mode makes them: `for (x, y) in data` over `&[(Vec<f64>, f64)]` binds
//! `x: &Vec<f64>`, which the user passes on to a differentiated function taking `&[f64]`
//! (it was rustc's E0308 inside generated code: lowering bound a clone of the `Vec`), and
//! `y: &f64`, which the user dereferences (`*y`) or uses in `f64` arithmetic. Each checked
//! against a closed form and central differences, `f_jvp` against the gradient (the
//! dot-product test), in f64, f32 and generic code. The same for struct patterns
//! (`for Sample { x, y } in data`), nested tuples, `let (x, y) = &data[i];`, and loops that
//! borrow a local (`for (x, y) in &local`); loops that consume their container
//! (`for (x, y) in data` over an owned `Vec`) bind values, as Rust does. And a local whose
//! elements the loop's body uses as containers (`for r in t.iter() { .. r[0] .. }`, `t` a
//! `Vec<Vec<f64>>` a call returned) is read by reference (it was moved out of: E0507).
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

#[path = "support/close.rs"]
mod support;
use support::close;

#[differentiate]
pub fn weighted(a: &[f64], x: &[f64]) -> f64 {
    a[0] * x[0] + a[1] * x[1] * x[1]
}

/// The reproducer: `x` bound from `(x, _)`, passed on as a slice.
#[differentiate(wrt(a))]
pub fn pattern_loop(a: &[f64], data: &[(Vec<f64>, usize)]) -> f64 {
    let mut s = 0.0;
    for (x, n) in data {
        s += weighted(a, x) * (*n as f64);
    }
    s
}

/// As above, with the scalar of each pair read by reference: `*y` and `y` in arithmetic.
#[differentiate(wrt(a))]
pub fn pattern_scalars(a: &[f64], data: &[(Vec<f64>, f64)]) -> f64 {
    let mut s = 0.0;
    for (x, y) in data {
        let r = weighted(a, x) - *y;
        s += r * r + a[0] * y;
    }
    s
}

/// A fold over `data.iter()` with the pair destructured in the closure's parameters.
#[differentiate(wrt(a))]
pub fn pattern_fold(a: &[f64], data: &[(Vec<f64>, f64)]) -> f64 {
    data.iter().fold(0.0, |acc, (x, y)| {
        let r = (weighted(a, x) / *y).ln();
        acc + r * r
    })
}

/// `.as_slice()` of the bound `Vec`, and a map-sum.
#[differentiate(wrt(a))]
pub fn pattern_map_sum(a: &[f64], data: &[(Vec<f64>, f64)]) -> f64 {
    data.iter()
        .map(|(x, y)| weighted(a, x.as_slice()) * y.exp())
        .sum()
}

#[differentiate]
pub fn weighted_t<T: Float>(a: &[T], x: &[T]) -> T {
    a[0] * x[0] + a[1] * x[1] * x[1]
}

#[differentiate(wrt(a))]
pub fn pattern_generic<T: Float>(a: &[T], data: &[(Vec<T>, T)]) -> T {
    let mut s = T::zero();
    for (x, y) in data {
        let r = weighted_t(a, x) - *y;
        s = s + r * r;
    }
    s
}

fn data() -> Vec<(Vec<f64>, f64)> {
    vec![
        (vec![1.0, 2.0], 1.6),
        (vec![2.0, -1.0], 1.5),
        (vec![0.5, 3.0], 3.2),
    ]
}

const A: [f64; 2] = [0.7, 0.4];

/// ∂/∂a of Σ w(a, x)·c with w = a₀x₀ + a₁x₁²: Σ c·(x₀, x₁²).
#[test]
fn reproducer_against_its_closed_form() {
    let data: Vec<(Vec<f64>, usize)> = vec![(vec![1.0, 2.0], 2), (vec![-3.0, 0.5], 3)];
    let (v, g) = pattern_loop_grad(&A, &data);
    assert_eq!(v, pattern_loop(&A, &data));
    let mut want = [0.0; 2];
    for (x, n) in &data {
        want[0] += x[0] * *n as f64;
        want[1] += x[1] * x[1] * *n as f64;
    }
    close("∂/∂a", &g.a, &want, 1e-14);
    check_gradient(|a| pattern_loop(a, &data), &A, &g.a, Tolerance::default()).unwrap();
}

/// ∂/∂a of Σ (w − y)² + a₀y: Σ 2(w − y)(x₀, x₁²) + (y, 0).
#[test]
fn scalar_elements_against_their_closed_form() {
    let data = data();
    let (v, g) = pattern_scalars_grad(&A, &data);
    assert_eq!(v, pattern_scalars(&A, &data));
    let mut want = [0.0; 2];
    for (x, y) in &data {
        let r = A[0] * x[0] + A[1] * x[1] * x[1] - y;
        want[0] += 2.0 * r * x[0] + y;
        want[1] += 2.0 * r * x[1] * x[1];
    }
    close("∂/∂a", &g.a, &want, 1e-13);
}

#[test]
fn every_form_against_central_differences_and_its_jvp() {
    let data = data();
    type Grad = fn(&[f64], &[(Vec<f64>, f64)]) -> (f64, Vec<f64>);
    type Value = fn(&[f64], &[(Vec<f64>, f64)]) -> f64;
    type Jvp = fn(&[f64], &[(Vec<f64>, f64)], &[f64]) -> (f64, f64);
    let cases: [(&str, Value, Grad, Jvp); 3] = [
        (
            "pattern_scalars",
            pattern_scalars,
            |a, d| {
                let (v, g) = pattern_scalars_grad(a, d);
                (v, g.a)
            },
            |a, d, t| pattern_scalars_jvp(a, d, &PatternScalarsGrad { a: t.to_vec() }),
        ),
        (
            "pattern_fold",
            pattern_fold,
            |a, d| {
                let (v, g) = pattern_fold_grad(a, d);
                (v, g.a)
            },
            |a, d, t| pattern_fold_jvp(a, d, &PatternFoldGrad { a: t.to_vec() }),
        ),
        (
            "pattern_map_sum",
            pattern_map_sum,
            |a, d| {
                let (v, g) = pattern_map_sum_grad(a, d);
                (v, g.a)
            },
            |a, d, t| pattern_map_sum_jvp(a, d, &PatternMapSumGrad { a: t.to_vec() }),
        ),
    ];
    let tangent = [0.3, -0.8];
    for (name, value, grad, jvp) in cases {
        let (v, g) = grad(&A, &data);
        assert_eq!(v, value(&A, &data), "{name}");
        check_gradient(|a| value(a, &data), &A, &g, Tolerance::default())
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let (vj, dv) = jvp(&A, &data, &tangent);
        assert_eq!(vj, v, "{name}");
        let want = g[0] * tangent[0] + g[1] * tangent[1];
        close(name, &[dv], &[want], 1e-12);
    }
}

#[test]
fn generic_code_in_f64_and_f32() {
    let data = data();
    let (v, g) = pattern_generic_grad(&A, &data);
    assert_eq!(v, pattern_generic(&A, &data));
    check_gradient(
        |a| pattern_generic(a, &data),
        &A,
        &g.a,
        Tolerance::default(),
    )
    .unwrap();
    let data32: Vec<(Vec<f32>, f32)> = data
        .iter()
        .map(|(x, y)| (x.iter().map(|&v| v as f32).collect(), *y as f32))
        .collect();
    let a32 = [A[0] as f32, A[1] as f32];
    let (_, g32) = pattern_generic_grad(&a32, &data32);
    let g32: Vec<f64> = g32.a.iter().map(|&v| f64::from(v)).collect();
    close("f32", &g32, &g.a, 1e-5);
}

pub struct Sample {
    pub x: Vec<f64>,
    pub y: f64,
}

#[differentiate]
pub fn sq(u: f64) -> f64 {
    u * u
}

#[differentiate(wrt(a))]
pub fn struct_pattern(a: &[f64], data: &[Sample]) -> f64 {
    let mut s = 0.0;
    for Sample { x, y } in data {
        s += weighted(a, x) * *y;
    }
    s
}

#[differentiate(wrt(a))]
pub fn field_reads(a: &[f64], data: &[Sample]) -> f64 {
    let mut s = 0.0;
    for d in data {
        s += weighted(a, &d.x) * d.y;
    }
    s
}

#[differentiate(wrt(a))]
pub fn enumerate(a: &[f64], xs: &[Vec<f64>]) -> f64 {
    let mut s = 0.0;
    for (i, x) in xs.iter().enumerate() {
        s += weighted(a, x) * i as f64;
    }
    s
}

#[differentiate(wrt(a))]
pub fn zip(a: &[f64], xs: &[Vec<f64>], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        s += weighted(a, x) * y;
    }
    s
}

#[differentiate(wrt(a))]
pub fn let_tuple(a: &[f64], data: &[(Vec<f64>, f64)]) -> f64 {
    let mut s = 0.0;
    for i in 0..data.len() {
        let (x, y) = &data[i];
        s += weighted(a, x) * y;
    }
    s
}

#[differentiate(wrt(a))]
pub fn nested(a: &[f64], data: &[((Vec<f64>, f64), usize)]) -> f64 {
    let mut s = 0.0;
    for ((x, y), n) in data {
        s += weighted(a, x) * y * *n as f64;
    }
    s
}

#[differentiate(wrt(a))]
pub fn local_vec(a: &[f64], data: &[(Vec<f64>, f64)]) -> f64 {
    let local: Vec<(Vec<f64>, f64)> = data.to_vec();
    let mut s = 0.0;
    for (x, y) in &local {
        s += weighted(a, x) * y;
    }
    s
}

#[differentiate(wrt(a))]
pub fn owned_param(a: &[f64], data: Vec<(Vec<f64>, f64)>) -> f64 {
    let mut s = 0.0;
    for (x, y) in data {
        s += weighted(a, &x) * sq(y);
    }
    s
}

#[differentiate(wrt(a))]
pub fn owned_local(a: &[f64], ys: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = ys.iter().map(|&y| (y, 2.0 * y)).collect();
    let mut s = 0.0;
    for (u, v) in pairs {
        s += a[0] * sq(u) * v;
    }
    s
}

/// Every binding form of the same sum Σ w(a, x)·c, against its closed form Σ c·(x₀, x₁²).
#[test]
fn binding_forms_against_their_closed_form() {
    let a = A;
    let samples = vec![
        Sample {
            x: vec![1.0, 2.0],
            y: 1.5,
        },
        Sample {
            x: vec![0.5, -1.0],
            y: 2.0,
        },
    ];
    let want = |c: &dyn Fn(usize) -> f64| -> Vec<f64> {
        let mut w = vec![0.0; 2];
        for (k, s) in samples.iter().enumerate() {
            w[0] += c(k) * s.x[0];
            w[1] += c(k) * s.x[1] * s.x[1];
        }
        w
    };
    let by_y = want(&|k| samples[k].y);
    close(
        "struct pattern",
        &struct_pattern_grad(&a, &samples).1.a,
        &by_y,
        1e-14,
    );
    close(
        "struct field",
        &field_reads_grad(&a, &samples).1.a,
        &by_y,
        1e-14,
    );
    let xs: Vec<Vec<f64>> = samples.iter().map(|s| s.x.clone()).collect();
    let by_index = want(&|k| k as f64);
    close("enumerate", &enumerate_grad(&a, &xs).1.a, &by_index, 1e-14);
    let ys = [1.5, 2.0];
    close("zip", &zip_grad(&a, &xs, &ys).1.a, &by_y, 1e-14);
    let pairs: Vec<(Vec<f64>, f64)> = samples.iter().map(|s| (s.x.clone(), s.y)).collect();
    close(
        "let (x, y) = &data[i]",
        &let_tuple_grad(&a, &pairs).1.a,
        &by_y,
        1e-14,
    );
    close(
        "for (x, y) in &local",
        &local_vec_grad(&a, &pairs).1.a,
        &by_y,
        1e-14,
    );
    let nested: Vec<((Vec<f64>, f64), usize)> = pairs.iter().map(|p| (p.clone(), 3)).collect();
    let by_3y = want(&|k| 3.0 * samples[k].y);
    close("nested", &nested_grad(&a, &nested).1.a, &by_3y, 1e-14);
    let by_y2 = want(&|k| samples[k].y * samples[k].y);
    close(
        "owned Vec param",
        &owned_param_grad(&a, pairs.clone()).1.a,
        &by_y2,
        1e-14,
    );
}

/// Σ a₀·u²·2u over the pairs (u, 2u) of a consumed local: ∂/∂a₀ = Σ 2u³.
#[test]
fn consumed_local_binds_values() {
    let ys = [1.0, 2.0, -0.5];
    let g = owned_local_grad(&A, &ys).1.a;
    let want: f64 = ys.iter().map(|u| 2.0 * u * u * u).sum();
    close("∂/∂a", &g, &[want, 0.0], 1e-14);
}

/// `if let Some(x) = d` and `match d { Some(x) => .. }` over `&[Option<Vec<f64>>]`: `x` is a
/// reference, passed on as a slice.
#[differentiate(wrt(a))]
pub fn optional_rows(a: &[f64], data: &[Option<Vec<f64>>]) -> f64 {
    let mut s = 0.0;
    for d in data {
        if let Some(x) = d {
            s += weighted(a, x);
        }
    }
    for d in data.iter() {
        s += match d {
            Some(x) => weighted(a, x.as_slice()) * x[0],
            None => a[1],
        };
    }
    s
}

/// Over `&[Option<f64>]` (a `Copy` payload): `w: &f64`, read as `*w`.
#[differentiate(wrt(a))]
pub fn optional_weights<T: Float>(a: &[T], data: &[Option<T>]) -> T {
    let mut s = T::zero();
    for d in data {
        if let Some(w) = d {
            s = s + a[0] * a[0] * *w;
        }
    }
    s
}

#[test]
fn option_payloads_against_their_closed_form() {
    let data = vec![Some(vec![1.0, 2.0]), None, Some(vec![0.5, -1.0])];
    let (v, g) = optional_rows_grad(&A, &data);
    assert_eq!(v, optional_rows(&A, &data));
    // Σ over rows (1 + x₀)·(x₀, x₁²), plus (0, 1) per `None`.
    let want = [2.0 * 1.0 + 1.5 * 0.5, 2.0 * 4.0 + 1.5 * 1.0 + 1.0];
    close("∂/∂a", &g.a, &want, 1e-14);
    let tangent = [0.3, -0.8];
    let (_, dv) = optional_rows_jvp(
        &A,
        &data,
        &OptionalRowsGrad {
            a: tangent.to_vec(),
        },
    );
    close(
        "jvp",
        &[dv],
        &[want[0] * tangent[0] + want[1] * tangent[1]],
        1e-12,
    );
    let weights = [Some(2.0), None, Some(-0.5)];
    let g = optional_weights_grad(&A, &weights).1.a;
    close("∂/∂a₀ of a₀²Σw", &g, &[2.0 * A[0] * 1.5, 0.0], 1e-14);
    let weights32 = [Some(2.0f32), None, Some(-0.5)];
    let g32 = optional_weights_grad(&[A[0] as f32, A[1] as f32], &weights32)
        .1
        .a;
    assert!((f64::from(g32[0]) - 2.0 * A[0] * 1.5).abs() < 1e-5);
}

pub enum Observation {
    Row(Vec<f64>),
    Scaled { x: Vec<f64>, by: f64 },
    Missing,
}

/// A data enum's payloads over `&[Observation]`: `x` is a reference, passed on as a slice.
#[differentiate(wrt(a))]
pub fn observations(a: &[f64], data: &[Observation]) -> f64 {
    let mut s = 0.0;
    for o in data {
        s += match o {
            Observation::Row(x) => weighted(a, x),
            Observation::Scaled { x, by } => weighted(a, x) * *by,
            Observation::Missing => a[0],
        };
    }
    s
}

#[test]
fn enum_payloads_against_their_closed_form() {
    let data = vec![
        Observation::Row(vec![1.0, 2.0]),
        Observation::Missing,
        Observation::Scaled {
            x: vec![0.5, -1.0],
            by: 3.0,
        },
    ];
    let (v, g) = observations_grad(&A, &data);
    assert_eq!(v, observations(&A, &data));
    let want = [1.0 + 1.0 + 3.0 * 0.5, 4.0 + 3.0 * 1.0];
    close("∂/∂a", &g.a, &want, 1e-14);
}

/// A local `Vec` of tuples of differentiated values, consumed by a destructuring loop.
#[differentiate(wrt(a))]
pub fn active_pairs<T: Float>(a: &[T], ys: &[T]) -> T {
    let mut pairs = Vec::new();
    for y in ys {
        pairs.push((a[0] * *y, a[1]));
    }
    let mut s = T::zero();
    for (u, v) in pairs {
        s = s + u * u * v;
    }
    s
}

/// Σ (a₀y)²·a₁: ∂/∂a₀ = 2a₀a₁Σy², ∂/∂a₁ = a₀²Σy².
#[test]
fn active_tuples_of_a_local_vec() {
    let ys = [1.0, 2.0, -0.5];
    let sum_sq: f64 = ys.iter().map(|y| y * y).sum();
    let (v, g) = active_pairs_grad(&A, &ys);
    assert_eq!(v, active_pairs(&A, &ys));
    let want = [2.0 * A[0] * A[1] * sum_sq, A[0] * A[0] * sum_sq];
    close("∂/∂a", &g.a, &want, 1e-14);
    let tangent = [0.3, -0.8];
    let (_, dv) = active_pairs_jvp(
        &A,
        &ys,
        &ActivePairsGrad {
            a: tangent.to_vec(),
        },
    );
    close(
        "jvp",
        &[dv],
        &[want[0] * tangent[0] + want[1] * tangent[1]],
        1e-12,
    );
    let ys32 = [1.0f32, 2.0, -0.5];
    let g32 = active_pairs_grad(&[A[0] as f32, A[1] as f32], &ys32).1.a;
    let g32: Vec<f64> = g32.iter().map(|&v| f64::from(v)).collect();
    close("f32", &g32, &want, 1e-5);
}

#[differentiate]
pub fn rows(x: &[f64]) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    for i in 0..x.len() {
        let row = vec![x[i], 2.0 * x[i]];
        out.push(row);
    }
    out
}

#[differentiate]
pub fn total(x: &[f64]) -> f64 {
    let t = rows(x);
    let mut s = 0.0;
    for r in t.iter() {
        s += r[0] * r[1];
    }
    s
}

#[differentiate]
pub fn total_direct(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for r in rows(x).iter() {
        s += r[0] * r[1] * r.len() as f64;
    }
    s
}

#[differentiate]
pub fn total_ref(x: &[f64]) -> f64 {
    let t = rows(x);
    let mut s = 0.0;
    for r in &t {
        for v in r.iter() {
            s += v * v;
        }
    }
    s
}

#[differentiate]
pub fn arrays(x: &[f64]) -> f64 {
    let t = [[x[0], x[1]], [x[1], x[0] * 3.0]];
    let mut s = 0.0;
    for r in t.iter() {
        s += r[0] * r[1];
    }
    s
}

#[differentiate]
pub fn vec_of_arrays(x: &[f64]) -> f64 {
    let mut t = Vec::new();
    for i in 0..x.len() {
        t.push([x[i], x[i] * x[i]]);
    }
    let mut s = 0.0;
    for r in t.iter() {
        s += r[0] * r[1];
    }
    s
}

/// Each against its closed form.
#[test]
fn local_containers_of_containers() {
    let x = [0.5, -1.5, 2.0];
    // Σ x·2x = 2Σx²: ∇ = 4x.
    close(
        "Vec<Vec<f64>> of a call",
        &total_grad(&x).1.x,
        &[2.0, -6.0, 8.0],
        0.0,
    );
    // Σ x·2x·len = 4Σx²: ∇ = 8x.
    close(
        "iterated call result",
        &total_direct_grad(&x).1.x,
        &[4.0, -12.0, 16.0],
        0.0,
    );
    // Σ x² + 4x² = 5Σx²: ∇ = 10x.
    close(
        "nested loops over &t",
        &total_ref_grad(&x).1.x,
        &[5.0, -15.0, 20.0],
        0.0,
    );
    // x₀x₁ + 3x₁x₀ = 4x₀x₁.
    let want = [4.0 * x[1], 4.0 * x[0], 0.0];
    close("array of arrays", &arrays_grad(&x).1.x, &want, 0.0);
    // Σ x³: 3x².
    close(
        "Vec of arrays",
        &vec_of_arrays_grad(&x).1.x,
        &[0.75, 6.75, 12.0],
        0.0,
    );
    let (v, g) = total_grad(&x);
    assert_eq!(v, total(&x));
    let (_, dv) = total_jvp(
        &x,
        &TotalGrad {
            x: vec![0.3, 0.1, -0.2],
        },
    );
    close(
        "jvp",
        &[dv],
        &[g.x[0] * 0.3 + g.x[1] * 0.1 - g.x[2] * 0.2],
        1e-14,
    );
}
