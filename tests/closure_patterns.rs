//! Closure parameters and chain sources as users write them (issue 12, the unseen corpus's
//! GRU): `|&v|` (also typed, `|&v: &f64|`, `|v: &f64|`) in `map`, `fold`, `filter` and a
//! `reduce`/`max_by` after a `map`; `.iter()`, `.windows(k)`, `.zip(&..)` and `for` over a
//! call's result (`affine(..).iter()`); zips of zips bound by nested closure patterns
//! (`|(a, (b, c))|`, `|((a, b), c)|`, deeper) in collected chains; and a zipped pair bound
//! to one name (`.map(|p| p.0 * p.1).zip(c)`, `for p in a.iter().zip(b)`).
//! Oracles: closed forms derived by hand, central differences (`check_gradient`), and
//! `f_jvp` against ⟨tangent, ∇f⟩; generic code in f32 and f64.

#[path = "support/close.rs"]
mod support;

use num_traits::Float;
use std::iter::Sum;
use support::close;
use tapeless::check::{central_difference, check_gradient, Tolerance};
use tapeless::differentiate;

/// ⟨a, b⟩.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `a` within `1e-12` relative of `b`.
fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

const XS: [f64; 5] = [0.4, -1.1, 0.9, 1.7, -0.3];
const TS: [f64; 5] = [0.3, -0.8, 1.1, 0.5, -1.4];

// ---------------------------------------------------------------------------------------------
// `|&v|` in closures
// ---------------------------------------------------------------------------------------------

/// Σ sin(xᵢ)·xᵢ, the sines collected through `|&v|`.
#[differentiate]
fn sine_weighted(xs: &[f64]) -> f64 {
    let s: Vec<f64> = xs.iter().map(|&v| v.sin()).collect();
    s.iter().zip(xs).map(|(a, b)| a * b).sum()
}

#[test]
fn a_reference_pattern_in_a_collected_map() {
    let (value, g) = sine_weighted_grad(&XS);
    assert_eq!(value, sine_weighted(&XS));
    let want: Vec<f64> = XS.iter().map(|x| x.cos() * x + x.sin()).collect();
    close("sine_weighted", &g.xs, &want, 1e-14);
    let (v, dv) = sine_weighted_jvp(&XS, &SineWeightedGrad { xs: TS.to_vec() });
    assert_eq!(v, value);
    assert!(near(dv, dot(&TS, &want)));
}

/// Σ xᵢ²·e^xᵢ with typed closure parameters, `|&v: &f64|` and `|v: &f64|` (the loop holds
/// the elements by value: the reference types are the closure's, not the loop's).
#[differentiate]
fn typed_parameters(xs: &[f64]) -> f64 {
    let a: Vec<f64> = xs.iter().map(|&v: &f64| v * v).collect();
    let b: Vec<f64> = xs.iter().map(|v: &f64| v.exp()).collect();
    a.iter().zip(&b).map(|(p, q): (&f64, &f64)| p * q).sum()
}

#[test]
fn typed_reference_parameters() {
    let (value, g) = typed_parameters_grad(&XS);
    assert_eq!(value, typed_parameters(&XS));
    let want: Vec<f64> = XS.iter().map(|x| (2.0 * x + x * x) * x.exp()).collect();
    close("typed_parameters", &g.xs, &want, 1e-14);
    let (_, dv) = typed_parameters_jvp(&XS, &TypedParametersGrad { xs: TS.to_vec() });
    assert!(near(dv, dot(&TS, &want)));
}

/// Σ ln xᵢ over the positive xᵢ: `|&&v|` in the filter, `|acc, &v|` in the fold.
#[differentiate]
fn positive_logs(xs: &[f64]) -> f64 {
    xs.iter()
        .filter(|&&v| v > 0.0)
        .fold(0.0, |acc, &v| acc + v.ln())
}

/// Σ xᵢ² by `reduce` after a `map` with `|&v|`.
#[differentiate]
fn reduced_squares(xs: &[f64]) -> f64 {
    xs.iter().map(|&v| v * v).reduce(|a, b| a + b).unwrap()
}

/// maxᵢ (xᵢ − 1)² by `max_by` after a `map` with `|&v|`.
#[differentiate]
fn largest_square(xs: &[f64]) -> f64 {
    xs.iter()
        .map(|&v| (v - 1.0).powi(2))
        .max_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap()
}

#[test]
fn reference_patterns_in_filters_folds_and_reductions() {
    let (value, g) = positive_logs_grad(&XS);
    assert_eq!(value, positive_logs(&XS));
    let want: Vec<f64> = XS
        .iter()
        .map(|&x| if x > 0.0 { 1.0 / x } else { 0.0 })
        .collect();
    close("positive_logs", &g.xs, &want, 1e-14);
    let (_, dv) = positive_logs_jvp(&XS, &PositiveLogsGrad { xs: TS.to_vec() });
    assert!(near(dv, dot(&TS, &want)));

    let (value, g) = reduced_squares_grad(&XS);
    assert_eq!(value, reduced_squares(&XS));
    let want: Vec<f64> = XS.iter().map(|x| 2.0 * x).collect();
    close("reduced_squares", &g.xs, &want, 1e-14);
    let (_, dv) = reduced_squares_jvp(&XS, &ReducedSquaresGrad { xs: TS.to_vec() });
    assert!(near(dv, dot(&TS, &want)));

    // (x − 1)² is largest at x = −1.1 (index 1): 2·(−1.1 − 1) there, 0 elsewhere.
    let (value, g) = largest_square_grad(&XS);
    assert_eq!(value, largest_square(&XS));
    let want = [0.0, 2.0 * (XS[1] - 1.0), 0.0, 0.0, 0.0];
    close("largest_square", &g.xs, &want, 1e-14);
    let (_, dv) = largest_square_jvp(&XS, &LargestSquareGrad { xs: TS.to_vec() });
    assert!(near(dv, dot(&TS, &want)));
}

/// The same patterns generic over the float type.
#[differentiate]
fn generic_patterns<T: Float + Sum>(xs: &[T]) -> T {
    let s: Vec<T> = xs.iter().map(|&v| v.sin()).collect();
    let weighted: T = s.iter().zip(xs).map(|(&a, &b)| a * b).sum();
    let squares = xs.iter().map(|&v| v * v).reduce(|a, b| a + b).unwrap();
    weighted + xs.iter().fold(squares, |acc, &v| acc * v.cos())
}

#[test]
fn reference_patterns_in_generic_code_in_f64_and_f32() {
    let f = |x: &[f64]| generic_patterns(x);
    let (value, g) = generic_patterns_grad(&XS);
    assert_eq!(value, f(&XS));
    check_gradient(f, &XS, &g.xs, Tolerance::default()).unwrap();
    let (_, dv) = generic_patterns_jvp(&XS, &GenericPatternsGrad { xs: TS.to_vec() });
    assert!(near(dv, dot(&TS, &g.xs)));
    let x32 = XS.map(|v| v as f32);
    let (_, g32) = generic_patterns_grad(&x32);
    let g32: Vec<f64> = g32.xs.iter().map(|&v| f64::from(v)).collect();
    close(
        "generic_patterns f32",
        &g32,
        &central_difference(f, &XS),
        1e-4,
    );
}

// ---------------------------------------------------------------------------------------------
// Iterating a call's result
// ---------------------------------------------------------------------------------------------

/// 2xᵢ², a differentiated function returning a `Vec`.
#[differentiate]
fn doubled_squares(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| 2.0 * v * v).collect()
}

/// Σ ln(2xᵢ² + 1): `.iter()` of the call's result, mapped and collected.
#[differentiate]
fn logs_of_call(x: &[f64]) -> f64 {
    let l: Vec<f64> = doubled_squares(x).iter().map(|&v| (v + 1.0).ln()).collect();
    l.iter().sum()
}

/// Σ xᵢ·2xᵢ² = Σ 2xᵢ³: the call's result zipped by reference.
#[differentiate]
fn zipped_with_call(x: &[f64]) -> f64 {
    let p: Vec<f64> = x
        .iter()
        .zip(&doubled_squares(x))
        .map(|(a, b)| a * b)
        .collect();
    p.iter().sum()
}

/// Σ sin(2xᵢ²): a `for` loop over the call's result.
#[differentiate]
fn loop_over_call(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in doubled_squares(x) {
        s += v.sin();
    }
    s
}

/// Σ 2xᵢ²·2xᵢ₊₁²: windows of the call's result.
#[differentiate]
fn windows_of_call(x: &[f64]) -> f64 {
    doubled_squares(x).windows(2).map(|w| w[0] * w[1]).sum()
}

#[test]
fn a_calls_result_iterated() {
    let (value, g) = logs_of_call_grad(&XS);
    assert_eq!(value, logs_of_call(&XS));
    let want: Vec<f64> = XS.iter().map(|x| 4.0 * x / (2.0 * x * x + 1.0)).collect();
    close("logs_of_call", &g.x, &want, 1e-14);
    let (_, dv) = logs_of_call_jvp(&XS, &LogsOfCallGrad { x: TS.to_vec() });
    assert!(near(dv, dot(&TS, &want)));

    let (value, g) = zipped_with_call_grad(&XS);
    assert_eq!(value, zipped_with_call(&XS));
    let want: Vec<f64> = XS.iter().map(|x| 6.0 * x * x).collect();
    close("zipped_with_call", &g.x, &want, 1e-14);
    let (_, dv) = zipped_with_call_jvp(&XS, &ZippedWithCallGrad { x: TS.to_vec() });
    assert!(near(dv, dot(&TS, &want)));

    let (value, g) = loop_over_call_grad(&XS);
    assert_eq!(value, loop_over_call(&XS));
    let want: Vec<f64> = XS.iter().map(|x| (2.0 * x * x).cos() * 4.0 * x).collect();
    close("loop_over_call", &g.x, &want, 1e-14);
    let (_, dv) = loop_over_call_jvp(&XS, &LoopOverCallGrad { x: TS.to_vec() });
    assert!(near(dv, dot(&TS, &want)));

    let (value, g) = windows_of_call_grad(&XS);
    assert_eq!(value, windows_of_call(&XS));
    // ∂/∂xᵢ of Σ 4xₖ²xₖ₊₁²: 8xᵢ·(xᵢ₋₁² + xᵢ₊₁²), the missing neighbours 0.
    let n = XS.len();
    let want: Vec<f64> = (0..n)
        .map(|i| {
            let before = if i > 0 { XS[i - 1].powi(2) } else { 0.0 };
            let after = if i + 1 < n { XS[i + 1].powi(2) } else { 0.0 };
            8.0 * XS[i] * (before + after)
        })
        .collect();
    close("windows_of_call", &g.x, &want, 1e-14);
    let (_, dv) = windows_of_call_jvp(&XS, &WindowsOfCallGrad { x: TS.to_vec() });
    assert!(near(dv, dot(&TS, &want)));
}

// ---------------------------------------------------------------------------------------------
// Zips of zips
// ---------------------------------------------------------------------------------------------

const A: [f64; 4] = [0.5, -0.7, 1.2, 0.3];
const B: [f64; 4] = [1.1, 0.4, -0.6, 0.9];
const C: [f64; 4] = [-0.2, 0.8, 0.5, 1.3];
const D: [f64; 4] = [0.6, -1.0, 0.7, 0.2];

/// Σ sin(aᵢbᵢcᵢ), the products collected through `|(x, (y, z))|`.
#[differentiate]
fn right_nested(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let p: Vec<f64> = a
        .iter()
        .zip(b.iter().zip(c))
        .map(|(x, (y, z))| x * y * z)
        .collect();
    p.iter().map(|t| t.sin()).sum()
}

/// The same through `|((x, y), z)|` of `a.iter().zip(b).zip(c)`.
#[differentiate]
fn left_nested(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let p: Vec<f64> = a
        .iter()
        .zip(b)
        .zip(c)
        .map(|((x, y), z)| x * y * z)
        .collect();
    p.iter().map(|t| t.sin()).sum()
}

/// ∂/∂(a, b, c) of Σ sin(aᵢbᵢcᵢ).
fn sine_of_products() -> [Vec<f64>; 3] {
    let cosine = |i: usize| (A[i] * B[i] * C[i]).cos();
    [
        (0..4).map(|i| cosine(i) * B[i] * C[i]).collect(),
        (0..4).map(|i| cosine(i) * A[i] * C[i]).collect(),
        (0..4).map(|i| cosine(i) * A[i] * B[i]).collect(),
    ]
}

#[test]
fn zips_of_zips_collected() {
    let [ga, gb, gc] = sine_of_products();
    let (ta, tb, tc) = (D.to_vec(), B.to_vec(), A.to_vec());
    let expected = dot(&ta, &ga) + dot(&tb, &gb) + dot(&tc, &gc);

    let (value, g) = right_nested_grad(&A, &B, &C);
    assert_eq!(value, right_nested(&A, &B, &C));
    close("right a", &g.a, &ga, 1e-14);
    close("right b", &g.b, &gb, 1e-14);
    close("right c", &g.c, &gc, 1e-14);
    let t = RightNestedGrad {
        a: ta.clone(),
        b: tb.clone(),
        c: tc.clone(),
    };
    let (_, dv) = right_nested_jvp(&A, &B, &C, &t);
    assert!(near(dv, expected));

    let (value, g) = left_nested_grad(&A, &B, &C);
    assert_eq!(value, left_nested(&A, &B, &C));
    close("left a", &g.a, &ga, 1e-14);
    close("left b", &g.b, &gb, 1e-14);
    close("left c", &g.c, &gc, 1e-14);
    let t = LeftNestedGrad {
        a: ta,
        b: tb,
        c: tc,
    };
    let (_, dv) = left_nested_jvp(&A, &B, &C, &t);
    assert!(near(dv, expected));
}

/// Σ aᵢbᵢ²cᵢ + dᵢ·cᵢ: four slices nested both ways, `&` at the leaves, `_` for one.
#[differentiate]
fn deeply_nested(a: &[f64], b: &[f64], c: &[f64], d: &[f64]) -> f64 {
    let p: Vec<f64> = a
        .iter()
        .zip(b.iter().zip(c).zip(d))
        .map(|(&x, ((&y, z), w))| x * y * y * z + w * z)
        .collect();
    let q: Vec<f64> = a
        .iter()
        .zip(b)
        .zip(c.iter().zip(d))
        .map(|((_, y), (z, _))| y - z)
        .collect();
    p.iter().sum::<f64>() + q.iter().sum::<f64>()
}

#[test]
fn deeper_zips_in_closed_form() {
    let (value, g) = deeply_nested_grad(&A, &B, &C, &D);
    assert_eq!(value, deeply_nested(&A, &B, &C, &D));
    let ga: Vec<f64> = (0..4).map(|i| B[i] * B[i] * C[i]).collect();
    let gb: Vec<f64> = (0..4).map(|i| 2.0 * A[i] * B[i] * C[i] + 1.0).collect();
    let gc: Vec<f64> = (0..4).map(|i| A[i] * B[i] * B[i] + D[i] - 1.0).collect();
    let gd: Vec<f64> = C.to_vec();
    close("deep a", &g.a, &ga, 1e-14);
    close("deep b", &g.b, &gb, 1e-14);
    close("deep c", &g.c, &gc, 1e-14);
    close("deep d", &g.d, &gd, 1e-14);
    let t = DeeplyNestedGrad {
        a: C.to_vec(),
        b: D.to_vec(),
        c: A.to_vec(),
        d: B.to_vec(),
    };
    let (_, dv) = deeply_nested_jvp(&A, &B, &C, &D, &t);
    let expected = dot(&C, &ga) + dot(&D, &gb) + dot(&A, &gc) + dot(&B, &gd);
    assert!(near(dv, expected));
}

/// `right_nested` generic over the float type.
#[differentiate]
fn generic_nested<T: Float + Sum>(a: &[T], b: &[T], c: &[T]) -> T {
    let p: Vec<T> = a
        .iter()
        .zip(b.iter().zip(c))
        .map(|(&x, (&y, &z))| x * y * z)
        .collect();
    let q: Vec<T> = a
        .iter()
        .zip(b)
        .zip(c)
        .map(|((&x, &y), &z)| x * y * z)
        .collect();
    p.iter().map(|t| t.sin()).sum::<T>() + q.iter().map(|t| t.sin()).sum::<T>()
}

#[test]
fn generic_zips_of_zips_in_f64_and_f32() {
    let [ga, gb, gc] = sine_of_products();
    let twice = |g: &[f64]| g.iter().map(|v| 2.0 * v).collect::<Vec<_>>();
    let (value, g) = generic_nested_grad(&A, &B, &C);
    assert_eq!(value, generic_nested(&A, &B, &C));
    close("generic a", &g.a, &twice(&ga), 1e-14);
    close("generic b", &g.b, &twice(&gb), 1e-14);
    close("generic c", &g.c, &twice(&gc), 1e-14);
    let (a, b, c) = (
        A.map(|v| v as f32),
        B.map(|v| v as f32),
        C.map(|v| v as f32),
    );
    let (_, g32) = generic_nested_grad(&a, &b, &c);
    let g32: Vec<f64> = g32.b.iter().map(|&v| f64::from(v)).collect();
    close("generic b f32", &g32, &twice(&gb), 1e-5);
}

// ---------------------------------------------------------------------------------------------
// A zipped pair bound to one name
// ---------------------------------------------------------------------------------------------

/// Σ aᵢbᵢcᵢ: the pair `p` of the first zip mapped, then zipped again (`map(f).zip(c)`).
#[differentiate]
fn pair_then_zip(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let v: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|p| p.0 * p.1)
        .zip(c)
        .map(|(m, z)| m * z)
        .collect();
    let s: f64 = a
        .iter()
        .zip(b)
        .map(|p| p.0 * p.1)
        .zip(c)
        .map(|(m, z)| m * z)
        .sum();
    v.iter().sum::<f64>() + s
}

/// Σ aᵢ(bᵢ + cᵢ) + Σ i·aᵢ: pairs bound whole by a closure and by `for` loops.
#[differentiate]
fn pairs_bound_whole(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let first: f64 = a
        .iter()
        .zip(b.iter().zip(c))
        .map(|(x, p)| x * (p.0 + p.1))
        .sum();
    let mut second = 0.0;
    for p in a.iter().enumerate() {
        second += p.1 * p.0 as f64;
    }
    let mut third = 0.0;
    for q in a.iter().zip(b) {
        third += q.0 * q.1;
    }
    first + second + third
}

#[test]
fn pairs_bound_to_one_name() {
    let (value, g) = pair_then_zip_grad(&A, &B, &C);
    assert_eq!(value, pair_then_zip(&A, &B, &C));
    let ga: Vec<f64> = (0..4).map(|i| 2.0 * B[i] * C[i]).collect();
    let gb: Vec<f64> = (0..4).map(|i| 2.0 * A[i] * C[i]).collect();
    let gc: Vec<f64> = (0..4).map(|i| 2.0 * A[i] * B[i]).collect();
    close("pair_then_zip a", &g.a, &ga, 1e-14);
    close("pair_then_zip b", &g.b, &gb, 1e-14);
    close("pair_then_zip c", &g.c, &gc, 1e-14);
    let t = PairThenZipGrad {
        a: D.to_vec(),
        b: C.to_vec(),
        c: B.to_vec(),
    };
    let (_, dv) = pair_then_zip_jvp(&A, &B, &C, &t);
    assert!(near(dv, dot(&D, &ga) + dot(&C, &gb) + dot(&B, &gc)));

    let (value, g) = pairs_bound_whole_grad(&A, &B, &C);
    assert_eq!(value, pairs_bound_whole(&A, &B, &C));
    let ga: Vec<f64> = (0..4).map(|i| 2.0 * B[i] + C[i] + i as f64).collect();
    let gb: Vec<f64> = (0..4).map(|i| 2.0 * A[i]).collect();
    let gc: Vec<f64> = A.to_vec();
    close("pairs_bound_whole a", &g.a, &ga, 1e-14);
    close("pairs_bound_whole b", &g.b, &gb, 1e-14);
    close("pairs_bound_whole c", &g.c, &gc, 1e-14);
    let t = PairsBoundWholeGrad {
        a: D.to_vec(),
        b: C.to_vec(),
        c: B.to_vec(),
    };
    let (_, dv) = pairs_bound_whole_jvp(&A, &B, &C, &t);
    assert!(near(dv, dot(&D, &ga) + dot(&C, &gb) + dot(&B, &gc)));
}

// ---------------------------------------------------------------------------------------------
// The GRU's step, small, against central differences
// ---------------------------------------------------------------------------------------------

#[differentiate]
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// W·h + b for a row-major W.
#[differentiate]
fn affine(w: &[f64], b: &[f64], h: &[f64]) -> Vec<f64> {
    let n = h.len();
    (0..b.len())
        .map(|i| (0..n).map(|j| w[i * n + j] * h[j]).sum::<f64>() + b[i])
        .collect()
}

/// One gated update h ← (1 − z)·n + z·h, the three constructs at once.
#[differentiate(wrt(w, b))]
fn gated(w: &[f64], b: &[f64], h: &[f64]) -> f64 {
    let z: Vec<f64> = affine(w, b, h).iter().map(|&v| sigmoid(v)).collect();
    let n: Vec<f64> = affine(w, b, h).iter().map(|v| v.tanh()).collect();
    let next: Vec<f64> = z
        .iter()
        .zip(n.iter().zip(h))
        .map(|(zi, (ni, hi))| (1.0 - zi) * ni + zi * hi)
        .collect();
    let again: Vec<f64> = z
        .iter()
        .zip(&n)
        .zip(h)
        .map(|((zi, ni), hi)| (1.0 - zi) * ni + zi * hi)
        .collect();
    next.iter().zip(&again).map(|(a, b)| a * a + b).sum()
}

#[test]
fn a_gated_update_against_differences() {
    let h = [0.3, -0.5];
    let p: Vec<f64> = (0..6).map(|i| ((i as f64) * 0.9).sin() * 0.7).collect();
    let f = |p: &[f64]| gated(&p[..4], &p[4..], &h);
    let (value, g) = gated_grad(&p[..4], &p[4..], &h);
    assert_eq!(value, f(&p));
    let analytic: Vec<f64> = g.w.iter().chain(&g.b).copied().collect();
    check_gradient(f, &p, &analytic, Tolerance::default()).unwrap();
    let dir: Vec<f64> = (0..6).map(|i| ((i as f64) * 1.3).cos()).collect();
    let t = GatedGrad {
        w: dir[..4].to_vec(),
        b: dir[4..].to_vec(),
    };
    let (_, dv) = gated_jvp(&p[..4], &p[4..], &h, &t);
    assert!(near(dv, dot(&dir, &analytic)));
}

// ---------------------------------------------------------------------------------------------
// More shapes, against central differences
// ---------------------------------------------------------------------------------------------

/// A pair bound whole in a collected map and in a sum, an enumeration's pair bound whole, a
/// `|&v|` map zipped after it, and a `|&v|` map reversed and folded.
#[differentiate]
fn shapes(xs: &[f64], ys: &[f64]) -> f64 {
    let products: Vec<f64> = xs.iter().zip(ys).map(|t| t.0 * t.1).collect();
    let weighted: Vec<f64> = xs.iter().enumerate().map(|p| p.1 * p.0 as f64).collect();
    let zipped: Vec<f64> = xs
        .iter()
        .map(|&v| v * v)
        .zip(ys)
        .map(|(a, &b)| a * b)
        .collect();
    let sum: f64 = xs.iter().zip(ys).map(|t| t.0.sin() * t.1).sum();
    let horner = xs
        .iter()
        .map(|&v| v.exp())
        .rev()
        .fold(0.0, |a, b| a * 0.5 + b);
    products.iter().sum::<f64>()
        + weighted.iter().map(|w| w.cos()).sum::<f64>()
        + zipped.iter().sum::<f64>()
        + sum
        + horner
}

#[test]
fn more_shapes_against_differences() {
    let ys = [0.7, 0.2, -0.9, 1.4, 0.6];
    let (value, g) = shapes_grad(&XS, &ys);
    assert_eq!(value, shapes(&XS, &ys));
    check_gradient(|x| shapes(x, &ys), &XS, &g.xs, Tolerance::default()).unwrap();
    check_gradient(|y| shapes(&XS, y), &ys, &g.ys, Tolerance::default()).unwrap();
    let t = ShapesGrad {
        xs: TS.to_vec(),
        ys: XS.to_vec(),
    };
    let (_, dv) = shapes_jvp(&XS, &ys, &t);
    assert!(near(dv, dot(&TS, &g.xs) + dot(&XS, &g.ys)));
}

// ---------------------------------------------------------------------------------------------
// In `#[differentiate(hessian)]` functions
// ---------------------------------------------------------------------------------------------

/// Σ sin(xᵢ)·xᵢ₊₁·xᵢ₊₂ through `|&v|` and a zip of zips, collected.
#[differentiate(hessian)]
fn hessian_patterns(x: &[f64]) -> f64 {
    let s: Vec<f64> = x.iter().map(|&v| v.sin()).collect();
    let p: Vec<f64> = s
        .iter()
        .zip(x[1..].iter().zip(&x[2..]))
        .map(|(a, (&b, c))| a * b * c)
        .collect();
    p.iter().sum()
}

#[test]
fn second_derivatives_against_differences_of_the_gradient() {
    let (_, _, rows) = hessian_patterns_hessian(&XS);
    assert_eq!(rows.len(), XS.len());
    for (i, row) in rows.iter().enumerate() {
        let fd = central_difference(|p| hessian_patterns_grad(p).1.x[i], &XS);
        close("hessian row", &row.x, &fd, 1e-7);
    }
}
