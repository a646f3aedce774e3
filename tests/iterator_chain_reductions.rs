//! Reductions over iterator chains that are loops only after a rewrite: `a.iter().chain(b)`,
//! `xs.iter().step_by(k)` (also after `.skip(j)`), adaptors after `.chain(..)` and
//! `.filter(..)` (`.enumerate()` counts the elements that come out), `.skip(k)`/`.take(k)`
//! of a range, and a `break` in a `for` loop over a chain. Written as users write them;
//! each gradient against central differences (or a closed form) in `f64`, `f32` and a
//! generic function, and `f_jvp` against ⟨v, ∇f⟩.

use num_traits::Float;
use tapeless::check::central_difference;
use tapeless::differentiate;

fn assert_close(what: &str, analytic: &[f64], numeric: &[f64], tolerance: f64) {
    assert_eq!(analytic.len(), numeric.len(), "{what}");
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        assert!(
            (a - n).abs() <= tolerance * (1.0 + n.abs()),
            "{what}, coordinate {i}: {a} vs central differences {n}"
        );
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

type Value<'f> = &'f dyn Fn(&[f64], &[f64]) -> f64;
type Gradient<'f> = &'f dyn Fn(&[f64], &[f64]) -> (f64, Vec<f64>, Vec<f64>);
type Directional<'f> = &'f dyn Fn(&[f64], &[f64], &[f64], &[f64]) -> f64;

/// A function of two slices: value, `(value, gradient)` and `(value, ⟨∇f, v⟩)`.
struct TwoSlices<'f> {
    value: Value<'f>,
    grad: Gradient<'f>,
    jvp: Directional<'f>,
}

/// Checks the value, the gradient against central differences, and `f_jvp` in a direction.
fn check(what: &str, f: TwoSlices, a: &[f64], b: &[f64]) {
    let n = a.len();
    let point: Vec<f64> = a.iter().chain(b).copied().collect();
    let plain = |p: &[f64]| (f.value)(&p[..n], &p[n..]);
    let (value, da, db) = (f.grad)(a, b);
    assert_eq!(value, plain(&point), "{what}: value");
    let analytic: Vec<f64> = da.iter().chain(&db).copied().collect();
    assert_close(what, &analytic, &central_difference(plain, &point), 1e-6);
    let direction: Vec<f64> = (0..point.len()).map(|i| (i as f64 * 1.3).sin()).collect();
    let dy = (f.jvp)(a, b, &direction[..n], &direction[n..]);
    let expected = dot(&analytic, &direction);
    assert!(
        (dy - expected).abs() < 1e-10 * (1.0 + expected.abs()),
        "{what}: ẏ = {dy}, ⟨v, ∇f⟩ = {expected}"
    );
}

/// Defines the [`TwoSlices`] of a differentiated `fn(a: &[f64], b: &[f64]) -> f64`.
macro_rules! two_slices {
    ($f:ident, $grad:ident, $jvp:ident, $g:ident) => {
        TwoSlices {
            value: &|a, b| $f(a, b),
            grad: &|a, b| {
                let (v, g) = $grad(a, b);
                (v, g.a, g.b)
            },
            jvp: &|a, b, da, db| {
                $jvp(
                    a,
                    b,
                    &$g {
                        a: da.to_vec(),
                        b: db.to_vec(),
                    },
                )
                .1
            },
        }
    };
}

#[differentiate]
fn chain_sum_of_squares(a: &[f64], b: &[f64]) -> f64 {
    a.iter().chain(b.iter()).map(|x| x * x).sum()
}

#[differentiate]
fn chain_sum_product_count(a: &[f64], b: &[f64]) -> f64 {
    let total: f64 = a.iter().chain(b).sum();
    let product = a
        .iter()
        .chain(&b[1..])
        .map(|v| 1.0 + 0.1 * v)
        .product::<f64>();
    total * product + a.iter().chain(b).count() as f64
}

#[differentiate]
fn positional_weights(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, x) in a.iter().chain(b).enumerate() {
        s += (i as f64 + 1.0) * x * x;
    }
    s + a
        .iter()
        .chain(b)
        .enumerate()
        .map(|(i, x)| x * i as f64)
        .sum::<f64>()
}

/// Sums the squares until the first element above the threshold, over both slices.
#[differentiate]
fn until_large(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in a.iter().chain(b) {
        if x > 1.0 {
            break;
        }
        s += x * x;
    }
    s
}

#[test]
fn chain_reductions() {
    let (a, b) = ([0.5, -1.0, 1.5], [0.3, -0.7, 1.2, 0.4]);
    check(
        "chain_sum_of_squares",
        two_slices!(
            chain_sum_of_squares,
            chain_sum_of_squares_grad,
            chain_sum_of_squares_jvp,
            ChainSumOfSquaresGrad
        ),
        &a,
        &b,
    );
    // Closed form: 2x.
    let (_, g) = chain_sum_of_squares_grad(&a, &b);
    assert_eq!(g.a, vec![1.0, -2.0, 3.0]);
    check(
        "chain_sum_product_count",
        two_slices!(
            chain_sum_product_count,
            chain_sum_product_count_grad,
            chain_sum_product_count_jvp,
            ChainSumProductCountGrad
        ),
        &a,
        &b,
    );
    check(
        "positional_weights",
        two_slices!(
            positional_weights,
            positional_weights_grad,
            positional_weights_jvp,
            PositionalWeightsGrad
        ),
        &a,
        &b,
    );
}

#[test]
fn break_in_a_loop_over_a_chain() {
    // Stops in the first slice (at 1.5): nothing of `b` is read.
    let (a, b) = ([0.5, -0.9, 1.5], [0.3, -0.7, 1.2, 0.4]);
    let f = two_slices!(
        until_large,
        until_large_grad,
        until_large_jvp,
        UntilLargeGrad
    );
    check("until_large (stops in a)", f, &a, &b);
    let (value, g) = until_large_grad(&a, &b);
    assert_eq!(value, 0.25 + 0.81);
    assert_eq!(g.a, vec![1.0, -1.8, 0.0]);
    assert_eq!(g.b, vec![0.0; 4]);
    // Stops in the second slice (at 1.2).
    let a = [0.5, -0.9, 0.1];
    let f = two_slices!(
        until_large,
        until_large_grad,
        until_large_jvp,
        UntilLargeGrad
    );
    check("until_large (stops in b)", f, &a, &b);
    let (_, g) = until_large_grad(&a, &b);
    assert_eq!(g.b, vec![0.6, -1.4, 0.0, 0.0]);
    // Never stops.
    let b = [0.3, -0.7];
    let f = two_slices!(
        until_large,
        until_large_grad,
        until_large_jvp,
        UntilLargeGrad
    );
    check("until_large (runs through)", f, &a, &b);
}

#[differentiate]
fn strided(a: &[f64], b: &[f64]) -> f64 {
    let evens = a.iter().step_by(2).map(|x| x * x).sum::<f64>();
    let odds: f64 = a.iter().skip(1).step_by(2).map(|x| x.sin()).sum();
    let thirds = b.iter().copied().step_by(3).product::<f64>();
    let mut s = 0.0;
    for (rank, x) in b.iter().step_by(2).enumerate() {
        s += x * rank as f64;
    }
    evens + odds * thirds + s
}

#[differentiate]
fn filtered_ranks(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (rank, x) in a.iter().filter(|v| **v > 0.0).enumerate() {
        s += x * x / (rank as f64 + 1.0);
    }
    let weighted: f64 = b
        .iter()
        .filter(|v| v.abs() < 1.0)
        .enumerate()
        .map(|(i, v)| v.exp() * (i + 1) as f64)
        .sum();
    let kept = a
        .iter()
        .chain(b)
        .filter(|v| **v < 1.0)
        .map(|v| v.cos())
        .sum::<f64>();
    s + weighted + kept
}

#[differentiate]
fn lagged(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..a.len()).skip(1) {
        s += a[i] * a[i - 1];
    }
    let second: f64 = (0..b.len()).skip(2).map(|i| b[i] - b[i - 2]).sum();
    let head: f64 = (0..b.len()).take(2).map(|i| b[i].exp()).sum();
    let mut t = 0.0;
    for i in (1..=a.len()).skip(1).step_by(2) {
        t += a[i - 1].powi(3);
    }
    s + second * head + t
}

#[test]
fn step_filter_and_range_reductions() {
    let (a, b) = (
        [0.5, -1.0, 1.5, 0.8, -0.2],
        [0.3, -0.7, 1.2, 0.4, 2.0, -0.6, 0.9],
    );
    check(
        "strided",
        two_slices!(strided, strided_grad, strided_jvp, StridedGrad),
        &a,
        &b,
    );
    check(
        "filtered_ranks",
        two_slices!(
            filtered_ranks,
            filtered_ranks_grad,
            filtered_ranks_jvp,
            FilteredRanksGrad
        ),
        &a,
        &b,
    );
    // Closed form of the first loop alone: the kept elements 0.5, 1.5, 0.8 with ranks 0, 1, 2.
    let (_, g) = filtered_ranks_grad(&a, &[]);
    let kept = |v: f64| if v < 1.0 { -v.sin() } else { 0.0 };
    let expected = [
        2.0 * 0.5 + kept(0.5),
        kept(-1.0),
        2.0 * 1.5 / 2.0 + kept(1.5),
        2.0 * 0.8 / 3.0 + kept(0.8),
        kept(-0.2),
    ];
    assert_close("filtered_ranks (closed form)", &g.a, &expected, 1e-12);
    check(
        "lagged",
        two_slices!(lagged, lagged_grad, lagged_jvp, LaggedGrad),
        &a,
        &b,
    );
}

/// Selections over chains and steps: the largest element of both slices, the smallest of
/// every other element, a `reduce` of a filtered chain, and a `Vec` collected from a chain.
#[differentiate]
fn selections(a: &[f64], b: &[f64]) -> f64 {
    let largest = *a
        .iter()
        .chain(b)
        .max_by(|x, y| x.partial_cmp(y).unwrap())
        .unwrap();
    let folded = a.iter().chain(b).cloned().fold(f64::NEG_INFINITY, f64::max);
    let smallest = a.iter().step_by(2).copied().reduce(f64::min).unwrap();
    let positive_product = a
        .iter()
        .chain(b)
        .filter(|v| **v > 0.0)
        .copied()
        .reduce(|p, q| p * q)
        .unwrap();
    let doubled: Vec<f64> = a.iter().chain(b).map(|x| 2.0 * x).collect();
    largest * folded + smallest + positive_product + doubled[1] * doubled[doubled.len() - 1]
}

#[test]
fn selections_over_chains() {
    let (a, b) = ([0.5, -1.0, 1.5, 0.8, -0.2], [0.3, -0.7, 2.2, 0.4]);
    check(
        "selections",
        two_slices!(selections, selections_grad, selections_jvp, SelectionsGrad),
        &a,
        &b,
    );
    // Closed form: largest = folded = b[2], smallest = min(a[0], a[2], a[4]) = a[4], the
    // positive product 0.5·1.5·0.8·0.3·2.2·0.4, and 4·a[1]·b[3].
    let (_, g) = selections_grad(&a, &b);
    let product = 0.5 * 1.5 * 0.8 * 0.3 * 2.2 * 0.4;
    let expected_a = [product / 0.5, 4.0 * 0.4, product / 1.5, product / 0.8, 1.0];
    let expected_b = [
        product / 0.3,
        0.0,
        2.0 * 2.2 + product / 2.2,
        product / 0.4 - 4.0, // 4·a[1]
    ];
    assert_close("selections ∂a", &g.a, &expected_a, 1e-12);
    assert_close("selections ∂b", &g.b, &expected_b, 1e-12);
}

#[differentiate]
#[allow(clippy::unnecessary_fold)]
fn empty_reduce(a: &[f64], b: &[f64]) -> f64 {
    a.iter().chain(b).copied().reduce(|p, q| p + q).unwrap()
}

#[test]
#[should_panic(expected = "called `Option::unwrap()` on a `None` value")]
fn reduce_of_an_empty_chain_panics() {
    let _ = empty_reduce_grad(&[], &[]);
}

#[differentiate]
fn chain_norm_f32(a: &[f32], b: &[f32]) -> f32 {
    a.iter().chain(b).map(|x| x * x).sum::<f32>().sqrt()
}

#[test]
fn chain_in_f32() {
    let (a, b) = ([3.0f32, 0.0], [4.0f32]);
    let (value, g) = chain_norm_f32_grad(&a, &b);
    assert_eq!(value, 5.0);
    // Closed form: x / |x|.
    assert_eq!(g.a, vec![0.6, 0.0]);
    assert_eq!(g.b, vec![0.8]);
}

#[differentiate]
fn generic_chains<T: Float + std::iter::Sum>(a: &[T], b: &[T]) -> T {
    let evens: T = a.iter().step_by(2).map(|&x| x * x).sum();
    let both: T = a.iter().chain(b.iter()).map(|&x| x.tanh()).sum();
    let mut ranked = T::zero();
    for (i, &x) in a.iter().chain(b).filter(|v| **v > T::zero()).enumerate() {
        ranked = ranked + x * T::from(i + 1).unwrap();
    }
    evens + both * ranked
}

#[test]
fn generic_chains_in_f64_and_f32() {
    let (a, b) = ([0.5, -1.0, 1.5, 0.8], [0.3, -0.7, 1.2]);
    check(
        "generic_chains (f64)",
        two_slices!(
            generic_chains,
            generic_chains_grad,
            generic_chains_jvp,
            GenericChainsGrad
        ),
        &a,
        &b,
    );
    let point: Vec<f64> = a.iter().chain(&b).copied().collect();
    let numeric = central_difference(|p: &[f64]| generic_chains(&p[..4], &p[4..]), &point);
    let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
    let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
    let (_, g) = generic_chains_grad(&a32, &b32);
    let analytic: Vec<f64> = g.a.iter().chain(&g.b).map(|&v| v as f64).collect();
    assert_close("generic_chains (f32)", &analytic, &numeric, 2e-3);
}
