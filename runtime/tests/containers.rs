//! Adjoints of containers: the `Differentiable`/`Accumulate` impls of `adjoint.rs` for
//! `[T; N]` (nested too), `[T]` (whose gradient is a `Vec`) and `Vec<T>`, and the element
//! rules of `index.rs`.
//!
//! What the generated code relies on:
//! - `zeros_like` has the primal's shape (lengths come from the value, never from types);
//! - `zero_adjoint` is `-0.0` in every float slot, the exact additive identity, so the
//!   first accumulation into it is bit-for-bit the contribution (`+0.0` is not: `+0.0 +
//!   -0.0 = +0.0`);
//! - `accumulate` adds elementwise and `set_zero` zeroes, both keeping the shape;
//! - `y = a[i]` (`index_vjp`, `index2_vjp`, `index3_vjp`) adds ȳ into slot `i` and nothing
//!   else;
//! - `y = &a[s..e]` (`sub_slice_vjp`) adds ȳ[k] into slot `s + k` and nothing else, and
//!   `element(a, i)` is `&a[i]`;
//! - `a[i] = v` (`store_vjp`) moves the slot's adjoint into `v̄` and clears the slot, and
//!   `a[i] = constant` (`clear`) clears it.
//!
//! The last section runs small reverse sweeps made of these rules and compares them with
//! finite differences.

use std::hint::black_box;

use proptest::collection::vec;
use proptest::prelude::*;
use tapeless_runtime::check::{check_gradient, Tolerance};
use tapeless_runtime::index::{
    clear, element, index2_vjp, index3_vjp, index_vjp, store_vjp, sub_slice, sub_slice_vjp,
};
use tapeless_runtime::{accumulate, scalar, zero_adjoint, zeros_like, Accumulate};

// ---------------------------------------------------------------------------------------
// Helpers and strategies.

/// `+0.0` (sign bit clear).
fn is_positive_zero(x: impl Into<f64>) -> bool {
    let x = x.into();
    x == 0.0 && x.is_sign_positive()
}

/// `-0.0` (sign bit set).
fn is_negative_zero(x: impl Into<f64>) -> bool {
    let x = x.into();
    x == 0.0 && x.is_sign_negative()
}

/// The bit patterns of `xs`, for exact comparisons that tell `-0.0` from `+0.0`.
fn bits<'a>(xs: impl IntoIterator<Item = &'a f64>) -> Vec<u64> {
    xs.into_iter().map(|x| x.to_bits()).collect()
}

/// Values that exercise every corner of IEEE addition with a zero.
fn special_values() -> Vec<f64> {
    let smallest_subnormal = f64::from_bits(1);
    let largest_subnormal = f64::from_bits(0x000f_ffff_ffff_ffff);
    let mut values = vec![
        0.0,
        1.0,
        1.5,
        1e-300,
        1e300,
        f64::EPSILON,
        f64::MIN_POSITIVE,
        smallest_subnormal,
        largest_subnormal,
        f64::MIN_POSITIVE / 3.0,
        f64::MAX,
        f64::INFINITY,
    ];
    values.extend(values.clone().into_iter().map(|x| -x));
    values
}

/// Any float but NaN, from arbitrary bit patterns (subnormals, infinities and both zeros
/// included) and from proptest's classes.
fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        proptest::num::f64::ANY,
        Just(0.0),
        Just(-0.0),
    ]
    .prop_filter("NaN", |x| !x.is_nan())
}

/// Moderate values.
fn value() -> std::ops::Range<f64> {
    -5.0..5.0
}

/// A non-empty vector and a valid index into it.
fn vec_and_index() -> impl Strategy<Value = (Vec<f64>, usize)> {
    vec(value(), 1..10).prop_flat_map(|v| {
        let n = v.len();
        (Just(v), 0..n)
    })
}

/// Two vectors of the same length.
fn vec_pair() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (0..10usize).prop_flat_map(|n| (vec(value(), n), vec(value(), n)))
}

/// Checks that `after` is `before` with `d` added at flat position `slot`, and every other
/// element bit-for-bit unchanged.
/// The slot was cleared to −0.0 (the additive identity of the next accumulation) and no
/// other slot changed.
fn only_slot_cleared(before: &[f64], after: &[f64], slot: usize) -> Result<(), TestCaseError> {
    prop_assert!(
        is_negative_zero(after[slot]),
        "slot {} is {}",
        slot,
        after[slot]
    );
    let mut expected = before.to_vec();
    expected[slot] = after[slot];
    only_slot_changed(&expected, after, slot, -0.0)
}

fn only_slot_changed(
    before: &[f64],
    after: &[f64],
    slot: usize,
    d: f64,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(before.len(), after.len());
    for (k, (b, a)) in before.iter().zip(after).enumerate() {
        if k == slot {
            prop_assert_eq!(a.to_bits(), (b + d).to_bits(), "slot {} of {:?}", k, after);
        } else {
            prop_assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "slot {} of {:?} changed",
                k,
                after
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Shapes of `zeros_like` and `zero_adjoint`.

#[test]
fn zeros_like_has_the_primal_shape_and_positive_zeros() {
    // The type annotations check the `Grad` types.
    let a = [1.5_f64, -2.0, 3.0];
    let g: [f64; 3] = zeros_like(&a);
    assert!(g.iter().all(|&x| is_positive_zero(x)), "{g:?}");

    let m = [[1.0_f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let g: [[f32; 3]; 2] = zeros_like(&m);
    assert!(g.iter().flatten().all(|&x| is_positive_zero(x)), "{g:?}");

    let t = [[[1.0_f64; 4]; 3]; 2];
    let g: [[[f64; 4]; 3]; 2] = zeros_like(&t);
    assert!(g.iter().flatten().flatten().all(|&x| is_positive_zero(x)));

    let empty: [f64; 0] = [];
    let g: [f64; 0] = zeros_like(&empty);
    assert!(g.is_empty());

    let v = vec![1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let g: Vec<f64> = zeros_like(&v);
    assert_eq!(g.len(), 7);
    assert!(g.iter().all(|&x| is_positive_zero(x)));

    // A slice's gradient is an owned `Vec` of the slice's length.
    let s: &[f64] = &v[2..5];
    let g: Vec<f64> = zeros_like(s);
    assert_eq!(g.len(), 3);
    assert!(g.iter().all(|&x| is_positive_zero(x)));
    // Through a reference (`&T: Differentiable` with `T`'s gradient).
    let g: Vec<f64> = zeros_like(&s);
    assert_eq!(g.len(), 3);
    let g: [f64; 3] = zeros_like(&&a);
    assert!(g.iter().all(|&x| is_positive_zero(x)));

    let rows: &[[f64; 2]] = &[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let g: Vec<[f64; 2]> = zeros_like(rows);
    assert_eq!(g, vec![[0.0; 2]; 3]);

    let ragged = vec![vec![1.0_f64], vec![], vec![1.0, 2.0, 3.0]];
    let g: Vec<Vec<f64>> = zeros_like(&ragged);
    assert_eq!(g.iter().map(Vec::len).collect::<Vec<_>>(), [1, 0, 3]);
    assert!(g.iter().flatten().all(|&x| is_positive_zero(x)));

    let nothing: Vec<f32> = Vec::new();
    let g: Vec<f32> = zeros_like(&nothing);
    assert!(g.is_empty());
}

#[test]
fn zero_adjoint_of_floats_is_negative_zero_in_every_slot() {
    assert!(is_negative_zero(zero_adjoint(&2.5_f64)));
    assert!(is_negative_zero(zero_adjoint(&2.5_f32)));
    assert!(is_negative_zero(zero_adjoint(&&2.5_f64)));
    // While `zeros_like` of a float is +0.0.
    assert!(is_positive_zero(zeros_like(&2.5_f64)));
    assert!(is_positive_zero(zeros_like(&2.5_f32)));

    let g: [f64; 3] = zero_adjoint(&[1.0, 2.0, 3.0]);
    assert!(g.iter().all(|&x| is_negative_zero(x)), "{g:?}");
    let g: [[f32; 2]; 3] = zero_adjoint(&[[1.0_f32; 2]; 3]);
    assert!(g.iter().flatten().all(|&x| is_negative_zero(x)), "{g:?}");
    let g: [[[f64; 2]; 2]; 2] = zero_adjoint(&[[[1.0; 2]; 2]; 2]);
    assert!(g.iter().flatten().flatten().all(|&x| is_negative_zero(x)));

    let v = vec![1.0_f64; 5];
    let g: Vec<f64> = zero_adjoint(&v[1..]);
    assert_eq!(g.len(), 4);
    assert!(g.iter().all(|&x| is_negative_zero(x)));
    let g: Vec<f64> = zero_adjoint(&v);
    assert_eq!(g.len(), 5);
    assert!(g.iter().all(|&x| is_negative_zero(x)));

    let ragged = vec![vec![[1.0_f64; 2]; 2], vec![], vec![[1.0; 2]]];
    let g: Vec<Vec<[f64; 2]>> = zero_adjoint(&ragged);
    assert_eq!(g.iter().map(Vec::len).collect::<Vec<_>>(), [2, 0, 1]);
    assert!(g.iter().flatten().flatten().all(|&x| is_negative_zero(x)));
}

proptest! {
    /// Random ragged shapes: both zeros have exactly the primal's lengths.
    #[test]
    fn zeros_follow_ragged_shapes(primal in vec(vec(value(), 0..6), 0..6)) {
        let lengths: Vec<usize> = primal.iter().map(Vec::len).collect();
        let zeros = zeros_like(&primal);
        let adjoint = zero_adjoint(&primal);
        prop_assert_eq!(zeros.iter().map(Vec::len).collect::<Vec<_>>(), lengths.clone());
        prop_assert_eq!(adjoint.iter().map(Vec::len).collect::<Vec<_>>(), lengths);
        prop_assert!(zeros.iter().flatten().all(|&x| is_positive_zero(x)));
        prop_assert!(adjoint.iter().flatten().all(|&x| is_negative_zero(x)));
    }
}

// ---------------------------------------------------------------------------------------
// -0.0 is the exact additive identity.

#[test]
fn negative_zero_is_an_exact_additive_identity() {
    let zero = black_box(zero_adjoint(&1.0_f64));
    for x in special_values() {
        let x = black_box(x);
        assert_eq!((zero + x).to_bits(), x.to_bits(), "-0.0 + {x:e}");
        assert_eq!((x + zero).to_bits(), x.to_bits(), "{x:e} + -0.0");
        let mut d = zero_adjoint(&1.0_f64);
        d.accumulate(&x);
        assert_eq!(d.to_bits(), x.to_bits(), "accumulate({x:e}) into -0.0");
    }
    assert!((zero + black_box(f64::NAN)).is_nan());
    // +0.0 is not an identity: it turns -0.0 into +0.0 (why adjoints start at -0.0).
    assert!(is_positive_zero(black_box(0.0_f64) + black_box(-0.0_f64)));

    let zero = black_box(zero_adjoint(&1.0_f32));
    for x in special_values() {
        let x = black_box(x as f32);
        assert_eq!((zero + x).to_bits(), x.to_bits(), "-0.0 + {x:e} in f32");
    }
}

proptest! {
    #[test]
    fn negative_zero_plus_any_number_is_that_number(x in any_number()) {
        let zero = black_box(zero_adjoint(&x));
        prop_assert_eq!((zero + x).to_bits(), x.to_bits());
        let mut d = zero_adjoint(&x);
        d.accumulate(&x);
        prop_assert_eq!(d.to_bits(), x.to_bits());
        // The same in f32, for the f32 values of arbitrary bit patterns.
        let x32 = f32::from_bits(x.to_bits() as u32);
        if !x32.is_nan() {
            let mut d = zero_adjoint(&x32);
            d.accumulate(&x32);
            prop_assert_eq!(d.to_bits(), x32.to_bits());
        }
    }

    /// The first accumulation into a container's `zero_adjoint` is the contribution, bit
    /// for bit, in every slot.
    #[test]
    fn first_accumulation_into_a_zero_adjoint_is_exact(
        xs in prop::array::uniform4(any_number()),
        rows in prop::array::uniform2(prop::array::uniform3(any_number())),
        v in vec(any_number(), 0..10),
    ) {
        let mut d = zero_adjoint(&[1.0_f64; 4]);
        d.accumulate(&xs);
        prop_assert_eq!(bits(&d), bits(&xs));

        let mut d = zero_adjoint(&[[1.0_f64; 3]; 2]);
        d.accumulate(&rows);
        prop_assert_eq!(bits(d.iter().flatten()), bits(rows.iter().flatten()));

        let mut d = zero_adjoint(&v[..]);
        accumulate(&mut d, &v);
        prop_assert_eq!(bits(&d), bits(&v));
    }
}

// ---------------------------------------------------------------------------------------
// `accumulate` and `set_zero`.

proptest! {
    #[test]
    fn accumulate_adds_elementwise(
        a in prop::array::uniform5(value()),
        b in prop::array::uniform5(value()),
        m in prop::array::uniform2(prop::array::uniform3(value())),
        n in prop::array::uniform2(prop::array::uniform3(value())),
        (u, w) in vec_pair(),
    ) {
        let mut d = a;
        d.accumulate(&b);
        let expected: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        prop_assert_eq!(bits(&d), bits(&expected));
        // Twice: the contributions sum up.
        d.accumulate(&b);
        let expected: Vec<f64> = expected.iter().zip(&b).map(|(x, y)| x + y).collect();
        prop_assert_eq!(bits(&d), bits(&expected));

        let mut d = m;
        accumulate(&mut d, &n);
        for i in 0..2 {
            for j in 0..3 {
                prop_assert_eq!(d[i][j].to_bits(), (m[i][j] + n[i][j]).to_bits());
            }
        }

        let mut d = u.clone();
        d.accumulate(&w);
        let expected: Vec<f64> = u.iter().zip(&w).map(|(x, y)| x + y).collect();
        prop_assert_eq!(bits(&d), bits(&expected));

        // Vectors of arrays, and f32.
        let mut d = vec![a, b];
        d.accumulate(&vec![b, a]);
        for row in &d {
            for k in 0..5 {
                prop_assert_eq!(row[k].to_bits(), (a[k] + b[k]).to_bits());
            }
        }
        let (a32, b32) = (a.map(|x| x as f32), b.map(|x| x as f32));
        let mut d = a32;
        d.accumulate(&b32);
        for k in 0..5 {
            prop_assert_eq!(d[k].to_bits(), (a32[k] + b32[k]).to_bits());
        }
    }

    #[test]
    fn set_zero_zeroes_and_keeps_the_shape(
        a in prop::array::uniform4(any_number()),
        m in prop::array::uniform2(prop::array::uniform3(value())),
        ragged in vec(vec(value(), 0..5), 0..5),
    ) {
        let mut d = a;
        d.set_zero();
        prop_assert_eq!(d, [0.0; 4]);

        let mut d = m;
        d.set_zero();
        prop_assert_eq!(d, [[0.0; 3]; 2]);

        let mut d = ragged.clone();
        d.set_zero();
        prop_assert_eq!(d.len(), ragged.len());
        for (row, primal_row) in d.iter().zip(&ragged) {
            prop_assert_eq!(row.len(), primal_row.len());
            prop_assert!(row.iter().all(|&x| x == 0.0));
        }

        let mut d = 3.5_f32;
        d.set_zero();
        prop_assert_eq!(d, 0.0);
    }
}

// ---------------------------------------------------------------------------------------
// Reads: `index_vjp`, `index2_vjp`, `index3_vjp`.

proptest! {
    /// y = a[i] for a `Vec`, a slice and an array: ā[i] += ȳ, nothing else moves.
    #[test]
    fn index_vjp_accumulates_into_the_slot_only(
        (before, i) in vec_and_index(), d_y in value(), e_y in value(),
    ) {
        let mut d = before.clone();
        index_vjp(&mut d, &i, &d_y);
        only_slot_changed(&before, &d, i, d_y)?;
        // A second read of the same element adds to the first.
        index_vjp(&mut d, &i, &e_y);
        prop_assert_eq!(d[i].to_bits(), (before[i] + d_y + e_y).to_bits());

        let mut d = before.clone();
        index_vjp(d.as_mut_slice(), &i, &d_y);
        only_slot_changed(&before, &d, i, d_y)?;

        let mut array = [0.5_f64, -1.0, 2.0, 0.0, -0.0, 3.0, -4.0, 5.0, 6.0, 7.0];
        array[..before.len()].copy_from_slice(&before);
        let original = array;
        index_vjp(&mut array, &i, &d_y);
        only_slot_changed(&original, &array, i, d_y)?;
    }

    /// The element can itself be a container: y = rows[i] adds a whole row.
    #[test]
    fn index_vjp_of_a_row_adds_the_row(
        rows in vec(prop::array::uniform3(value()), 1..6),
        d_y in prop::array::uniform3(value()),
        pick in any::<prop::sample::Index>(),
    ) {
        let i = pick.index(rows.len());
        let mut d = rows.clone();
        index_vjp(&mut d, &i, &d_y);
        let flat: Vec<f64> = rows.iter().flatten().copied().collect();
        let after: Vec<f64> = d.iter().flatten().copied().collect();
        for (k, (a, b)) in after.iter().zip(&flat).enumerate() {
            let expected = if k / 3 == i { b + d_y[k % 3] } else { *b };
            prop_assert_eq!(a.to_bits(), expected.to_bits(), "slot {} of {:?}", k, d);
        }
    }

    /// y = a[i][j] on nested arrays and on a `Vec<Vec<_>>`.
    #[test]
    fn index2_vjp_accumulates_into_the_slot_only(
        m in prop::array::uniform4(prop::array::uniform3(value())),
        i in 0..4usize, j in 0..3usize, d_y in value(),
    ) {
        let before: Vec<f64> = m.iter().flatten().copied().collect();
        let mut d = m;
        index2_vjp(&mut d, &i, &j, &d_y);
        let after: Vec<f64> = d.iter().flatten().copied().collect();
        only_slot_changed(&before, &after, 3 * i + j, d_y)?;

        let mut d: Vec<Vec<f64>> = m.iter().map(|row| row.to_vec()).collect();
        index2_vjp(&mut d, &i, &j, &d_y);
        let after: Vec<f64> = d.iter().flatten().copied().collect();
        only_slot_changed(&before, &after, 3 * i + j, d_y)?;

        // A slice of arrays (the adjoint of `&[[f64; 3]]` is a `Vec<[f64; 3]>`).
        let mut d = m.to_vec();
        index2_vjp(d.as_mut_slice(), &i, &j, &d_y);
        let after: Vec<f64> = d.iter().flatten().copied().collect();
        only_slot_changed(&before, &after, 3 * i + j, d_y)?;
    }

    /// y = a[i][j][k] on nested arrays and on a `Vec<Vec<Vec<_>>>`.
    #[test]
    fn index3_vjp_accumulates_into_the_slot_only(
        t in prop::array::uniform4(prop::array::uniform3(prop::array::uniform2(value()))),
        i in 0..4usize, j in 0..3usize, k in 0..2usize, d_y in value(),
    ) {
        let before: Vec<f64> = t.iter().flatten().flatten().copied().collect();
        let slot = 6 * i + 2 * j + k;
        let mut d = t;
        index3_vjp(&mut d, &i, &j, &k, &d_y);
        let after: Vec<f64> = d.iter().flatten().flatten().copied().collect();
        only_slot_changed(&before, &after, slot, d_y)?;

        let mut d: Vec<Vec<Vec<f64>>> = t
            .iter()
            .map(|plane| plane.iter().map(|row| row.to_vec()).collect())
            .collect();
        index3_vjp(&mut d, &i, &j, &k, &d_y);
        let after: Vec<f64> = d.iter().flatten().flatten().copied().collect();
        only_slot_changed(&before, &after, slot, d_y)?;
    }
}

#[test]
fn index2_vjp_on_ragged_rows() {
    let mut d = vec![vec![0.0_f64; 1], vec![], vec![0.0; 4]];
    index2_vjp(&mut d, &2, &3, &1.5);
    index2_vjp(&mut d, &0, &0, &-2.0);
    index2_vjp(&mut d, &2, &3, &0.25);
    assert_eq!(d, [vec![-2.0], vec![], vec![0.0, 0.0, 0.0, 1.75]]);
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn index_vjp_out_of_bounds_panics_like_the_read() {
    let mut d = vec![0.0_f64; 3];
    index_vjp(&mut d, &3, &1.0);
}

// ---------------------------------------------------------------------------------------
// Writes: `store_vjp` and `clear`.

proptest! {
    /// a[i] = v: v̄ += ā[i], then ā[i] = 0; the other slots keep their adjoints.
    #[test]
    fn store_vjp_moves_the_slot_adjoint_into_the_value(
        (before, i) in vec_and_index(), d_v0 in value(),
    ) {
        let mut d_a = before.clone();
        let mut d_v = d_v0;
        store_vjp(&mut d_v, &mut d_a[i]);
        prop_assert_eq!(d_v.to_bits(), (d_v0 + before[i]).to_bits());
        only_slot_cleared(&before, &d_a, i)?;

        // Storing into the same slot again moves nothing more, bit for bit.
        store_vjp(&mut d_v, &mut d_a[i]);
        prop_assert_eq!(d_v.to_bits(), (d_v0 + before[i]).to_bits());

        // From a fresh `zero_adjoint`, the value receives exactly the slot's adjoint.
        let mut d_a = before.clone();
        let mut d_v = zero_adjoint(&1.0_f64);
        store_vjp(&mut d_v, &mut d_a[i]);
        prop_assert_eq!(d_v.to_bits(), before[i].to_bits());
    }

    /// m[i] = row, with an array row and with a `Vec` row: the row's adjoint receives the
    /// slot's, and the slot is zeroed with its length kept.
    #[test]
    fn store_vjp_of_a_row(
        m in prop::array::uniform3(prop::array::uniform2(value())),
        d_row0 in prop::array::uniform2(value()),
        i in 0..3usize,
    ) {
        let mut d_m = m;
        let mut d_row = d_row0;
        store_vjp(&mut d_row, &mut d_m[i]);
        prop_assert_eq!(d_row, [d_row0[0] + m[i][0], d_row0[1] + m[i][1]]);
        for (r, row) in d_m.iter().enumerate() {
            prop_assert_eq!(*row, if r == i { [0.0; 2] } else { m[r] });
        }

        let mut d_m: Vec<Vec<f64>> = m.iter().map(|row| row.to_vec()).collect();
        let mut d_row = d_row0.to_vec();
        store_vjp(&mut d_row, &mut d_m[i]);
        prop_assert_eq!(d_row, vec![d_row0[0] + m[i][0], d_row0[1] + m[i][1]]);
        prop_assert_eq!(&d_m[i], &vec![0.0; 2]);
    }

    /// a[i] = constant: ā[i] = 0, nothing else changes.
    #[test]
    fn clear_zeroes_the_slot_only((before, i) in vec_and_index()) {
        let mut d_a = before.clone();
        clear(&mut d_a[i]);
        only_slot_cleared(&before, &d_a, i)?;

        let mut rows = vec![[1.0_f64, 2.0]; before.len()];
        clear(&mut rows[i]);
        for (r, row) in rows.iter().enumerate() {
            prop_assert_eq!(*row, if r == i { [0.0; 2] } else { [1.0, 2.0] });
        }
    }
}

// ---------------------------------------------------------------------------------------
// Small reverse sweeps built from these rules, against finite differences.

/// Writes `a[i] = v * a[j]` into a copy of `a`, then returns `Σₖ wₖ·a[k]`.
fn store_then_sum(a: &[f64], v: f64, w: &[f64], i: usize, j: usize) -> f64 {
    let mut a = a.to_vec();
    a[i] = v * a[j];
    a.iter().zip(w).map(|(x, w)| x * w).sum()
}

proptest! {
    /// The reverse sweep of `t = v·a[j]; a[i] = t; y = Σₖ wₖ·a[k]`, as the generated code
    /// runs it, gives the gradient of (a, v) ↦ y, including i = j (a[i] = v·a[i]).
    #[test]
    fn reverse_sweep_of_a_store_matches_finite_differences(
        (a, i) in vec_and_index(),
        w in vec(value(), 10),
        v in value(),
        pick in any::<prop::sample::Index>(),
    ) {
        let n = a.len();
        let j = pick.index(n);
        let w = &w[..n];

        // Forward: the value read at `a[j]` before the store.
        let a_j = a[j];
        // Reverse, last operation first: y = Σ wₖ·a[k] reads every a[k] with ȳ = 1.
        let mut d_a = zero_adjoint(a.as_slice());
        for (k, w_k) in w.iter().enumerate() {
            let mut d_read = zero_adjoint(&a[k]);
            scalar::mul_vjp_lhs(&mut d_read, w_k, &1.0);
            index_vjp(&mut d_a, &k, &d_read);
        }
        // a[i] = t.
        let mut d_t = zero_adjoint(&0.0_f64);
        store_vjp(&mut d_t, &mut d_a[i]);
        // t = v·a[j].
        let mut d_v = zero_adjoint(&v);
        let mut d_a_j = zero_adjoint(&a_j);
        scalar::mul_vjp_lhs(&mut d_v, &a_j, &d_t);
        scalar::mul_vjp_rhs(&mut d_a_j, &v, &d_t);
        index_vjp(&mut d_a, &j, &d_a_j);

        let mut point = a.clone();
        point.push(v);
        let mut analytic = d_a.clone();
        analytic.push(d_v);
        let f = |p: &[f64]| store_then_sum(&p[..n], p[n], w, i, j);
        let checked = check_gradient(f, &point, &analytic, Tolerance::default());
        prop_assert!(checked.is_ok(), "i = {}, j = {}: {}", i, j, checked.unwrap_err());
    }

    /// `a[i] = 2.0; y = Σₖ wₖ·a[k]`: the overwritten element gets no gradient.
    #[test]
    fn reverse_sweep_of_a_constant_store_matches_finite_differences(
        (a, i) in vec_and_index(), w in vec(value(), 10),
    ) {
        let n = a.len();
        let w = &w[..n];
        let mut d_a = zero_adjoint(a.as_slice());
        for (k, w_k) in w.iter().enumerate() {
            index_vjp(&mut d_a, &k, w_k);
        }
        clear(&mut d_a[i]);
        prop_assert_eq!(d_a[i], 0.0);
        let f = |p: &[f64]| {
            let mut a = p.to_vec();
            a[i] = 2.0;
            a.iter().zip(w).map(|(x, w)| x * w).sum()
        };
        let checked = check_gradient(f, &a, &d_a, Tolerance::default());
        prop_assert!(checked.is_ok(), "i = {}: {}", i, checked.unwrap_err());
    }
}

// ---------------------------------------------------------------------------------------
// Sub-slices: `sub_slice`, `sub_slice_vjp`, and `element`.

proptest! {
    /// y = &a[s..e]: ā[s + k] += ȳ[k] for k < e − s, every other slot unchanged.
    #[test]
    fn sub_slice_vjp_accumulates_into_its_range_only(
        before in vec(value(), 1..12), start in 0usize..12, len in 0usize..12, seed in value(),
    ) {
        let start = start.min(before.len());
        let end = (start + len).min(before.len());
        let d_y: Vec<f64> = (start..end).map(|k| seed * (k as f64 + 1.0)).collect();
        prop_assert_eq!(sub_slice(&before, start, end).len(), end - start);
        let mut d = before.clone();
        sub_slice_vjp(&mut d, &start, &d_y);
        for (k, (b, a)) in before.iter().zip(&d).enumerate() {
            let expected = if (start..end).contains(&k) { b + d_y[k - start] } else { *b };
            prop_assert_eq!(a.to_bits(), expected.to_bits());
        }
        let mut array = [0.5_f64; 12];
        sub_slice_vjp(&mut array, &start, &d_y);
        for (k, a) in array.iter().enumerate() {
            let expected = if (start..end).contains(&k) { 0.5 + d_y[k - start] } else { 0.5 };
            prop_assert_eq!(a.to_bits(), expected.to_bits());
        }
    }
}

/// A sub-slice of rows (`&[Vec<f64>]`) accumulates whole rows, and `element` reads by reference.
#[test]
fn sub_slice_of_rows_and_element() {
    let rows = vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]];
    assert_eq!(sub_slice(&rows, 1, 3), &rows[1..]);
    assert!(std::ptr::eq(element(&rows[..], 2), &rows[2]));
    let mut d = zeros_like(&rows[..]);
    sub_slice_vjp(&mut d, &1, &[vec![0.5, -0.5], vec![1.0, 2.0]]);
    assert_eq!(d, vec![vec![0.0, 0.0], vec![0.5, -0.5], vec![1.0, 2.0]]);
}
