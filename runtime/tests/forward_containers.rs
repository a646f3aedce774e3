//! Forward (JVP) helpers of the structural rows: element reads (`index_jvp`,
//! `index2_jvp`, `index3_jvp`) of arrays, slices and `Vec`s, nested too, and copies
//! (`copy_jvp`: `let b = a`, field reads, tuple elements, `clone`, `*x`), and the sum of
//! two tangent contributions (`add_tangents`).
//!
//! Each helper is checked at random points against central differences of its primal
//! (`support::forward::check_jvp`, relative error below 1e-6) and against its VJP helper
//! with the dot-product identity ⟨J·ẋ, w⟩ = ⟨ẋ, Jᵀ·w⟩ (`check_transpose`).

mod support;

use proptest::prelude::*;
use support::forward::{check_jvp, check_transpose};
use support::{Flat, Rng};
use tapeless_runtime::add_tangents;
use tapeless_runtime::index::{
    copy_jvp, copy_vjp, index2_jvp, index2_vjp, index3_jvp, index3_vjp, index_jvp, index_vjp,
};

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(64)
}

/// A random value shaped like `like` (entries in [-2, 2)).
fn like<V: Flat>(rng: &mut Rng, like: &V) -> V {
    rng.fill(like, Rng::value)
}

proptest! {
    #![proptest_config(cases())]

    /// y = a[i] of a `Vec`, a slice and an array: ẏ = ȧ[i].
    #[test]
    fn index(n in 1..8usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = like(&mut rng, &vec![0.0; n]);
        let (t_a, w, i) = (like(&mut rng, &a), rng.value(), rng.index(n));
        let tangent: f64 = index_jvp(&i, &t_a);
        check_jvp("index_jvp (Vec)", |a: &Vec<f64>| a[i], &a, &t_a, &tangent);
        check_transpose("index_jvp (Vec)", &t_a, &tangent, &w, &vec![0.0; n], |d| {
            index_vjp(d, &i, &w)
        });
        // A slice's tangent is a `Vec`; a slice or an array is read the same way.
        prop_assert_eq!(index_jvp::<[f64], _, _>(&i, t_a.as_slice()).to_bits(), tangent.to_bits());
        let mut array = [0.0; 8];
        array[..n].copy_from_slice(&t_a);
        prop_assert_eq!(index_jvp(&i, &array).to_bits(), tangent.to_bits());
    }

    /// y = rows[i], a whole row (`Vec<[f64; 3]>`): ẏ = ȧ[i].
    #[test]
    fn index_of_a_row(n in 1..6usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = like(&mut rng, &vec![[0.0; 3]; n]);
        let (t_a, w, i) = (like(&mut rng, &a), like(&mut rng, &[0.0; 3]), rng.index(n));
        let tangent: [f64; 3] = index_jvp(&i, &t_a);
        check_jvp("index_jvp (row)", |a: &Vec<[f64; 3]>| a[i], &a, &t_a, &tangent);
        check_transpose("index_jvp (row)", &t_a, &tangent, &w, &vec![[0.0; 3]; n], |d| {
            index_vjp(d, &i, &w)
        });
    }

    /// y = a[i][j] of nested arrays and of a `Vec<Vec<_>>`: ẏ = ȧ[i][j].
    #[test]
    fn index2(rows in 1..5usize, cols in 1..5usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = like(&mut rng, &vec![vec![0.0; cols]; rows]);
        let t_a = like(&mut rng, &a);
        let (w, i, j) = (rng.value(), rng.index(rows), rng.index(cols));
        let tangent: f64 = index2_jvp(&i, &j, &t_a);
        check_jvp("index2_jvp", |a: &Vec<Vec<f64>>| a[i][j], &a, &t_a, &tangent);
        check_transpose("index2_jvp", &t_a, &tangent, &w, &vec![vec![0.0; cols]; rows], |d| {
            index2_vjp(d, &i, &j, &w)
        });

        let a = like(&mut rng, &[[0.0; 3]; 4]);
        let t_a = like(&mut rng, &a);
        let (i, j) = (rng.index(4), rng.index(3));
        let tangent: f64 = index2_jvp(&i, &j, &t_a);
        check_jvp("index2_jvp (arrays)", |a: &[[f64; 3]; 4]| a[i][j], &a, &t_a, &tangent);
        check_transpose("index2_jvp (arrays)", &t_a, &tangent, &w, &[[0.0; 3]; 4], |d| {
            index2_vjp(d, &i, &j, &w)
        });
    }

    /// y = a[i][j][k] of nested arrays and `Vec`s: ẏ = ȧ[i][j][k].
    #[test]
    fn index3(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = like(&mut rng, &[[[0.0; 2]; 3]; 4]);
        let t_a = like(&mut rng, &a);
        let (w, i, j, k) = (rng.value(), rng.index(4), rng.index(3), rng.index(2));
        let tangent: f64 = index3_jvp(&i, &j, &k, &t_a);
        check_jvp("index3_jvp", |a: &[[[f64; 2]; 3]; 4]| a[i][j][k], &a, &t_a, &tangent);
        check_transpose("index3_jvp", &t_a, &tangent, &w, &[[[0.0; 2]; 3]; 4], |d| {
            index3_vjp(d, &i, &j, &k, &w)
        });

        let nested: Vec<Vec<Vec<f64>>> = t_a
            .iter()
            .map(|plane| plane.iter().map(|row| row.to_vec()).collect())
            .collect();
        prop_assert_eq!(index3_jvp(&i, &j, &k, &nested).to_bits(), tangent.to_bits());
    }

    /// b = a (a copy, a field, a tuple element, `clone`, `*x`): ḃ = ȧ, for scalars, arrays
    /// and `Vec`s.
    #[test]
    fn copy(n in 1..6usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (x, t_x, w) = (rng.value(), rng.value(), rng.value());
        let tangent = copy_jvp(&t_x);
        check_jvp("copy_jvp (f64)", |x: &f64| *x, &x, &t_x, &tangent);
        check_transpose("copy_jvp (f64)", &t_x, &tangent, &w, &0.0, |d| copy_vjp(d, &w));

        let a = like(&mut rng, &[0.0; 3]);
        let (t_a, w) = (like(&mut rng, &a), like(&mut rng, &a));
        let tangent = copy_jvp(&t_a);
        check_jvp("copy_jvp (array)", |a: &[f64; 3]| *a, &a, &t_a, &tangent);
        check_transpose("copy_jvp (array)", &t_a, &tangent, &w, &[0.0; 3], |d| copy_vjp(d, &w));

        let a = like(&mut rng, &vec![0.0; n]);
        let (t_a, w) = (like(&mut rng, &a), like(&mut rng, &a));
        let tangent = copy_jvp(&t_a);
        check_jvp("copy_jvp (Vec)", |a: &Vec<f64>| a.clone(), &a, &t_a, &tangent);
        check_transpose("copy_jvp (Vec)", &t_a, &tangent, &w, &vec![0.0; n], |d| copy_vjp(d, &w));
    }

    /// The sum of two contributions, for scalars, arrays and `Vec`s (nested too).
    #[test]
    fn add_tangents_adds_elementwise(n in 0..6usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let (a, b) = (rng.value(), rng.value());
        prop_assert_eq!(add_tangents(a, b).to_bits(), (a + b).to_bits());
        let (a, b) = (rng.value() as f32, rng.value() as f32);
        prop_assert_eq!(add_tangents(a, b).to_bits(), (a + b).to_bits());

        let a = like(&mut rng, &[[0.0; 2]; 3]);
        let b = like(&mut rng, &a);
        let sum = add_tangents(a, b);
        for (k, s) in sum.flat().iter().enumerate() {
            prop_assert_eq!(s.to_bits(), (a.flat()[k] + b.flat()[k]).to_bits());
        }

        let a = like(&mut rng, &vec![vec![0.0; 2]; n]);
        let b = like(&mut rng, &a);
        let sum = add_tangents(a.clone(), b.clone());
        prop_assert_eq!(sum.len(), n);
        for (k, s) in sum.flat().iter().enumerate() {
            prop_assert_eq!(s.to_bits(), (a.flat()[k] + b.flat()[k]).to_bits());
        }
    }
}

/// −0.0 contributions stay exact: the sum is IEEE addition, nothing else.
#[test]
fn add_tangents_of_signed_zeros() {
    assert!(add_tangents(-0.0_f64, -0.0).is_sign_negative());
    assert!(add_tangents(-0.0_f64, 0.0).is_sign_positive());
    assert_eq!(add_tangents(1.5_f64, -0.0), 1.5);
}

#[test]
#[should_panic(expected = "the tangent has fewer elements")]
fn index_jvp_of_a_short_tangent_panics() {
    let tangent: Vec<f64> = vec![1.0, 2.0];
    let _: f64 = index_jvp(&2, &tangent);
}

#[test]
#[should_panic(expected = "the tangent has fewer elements")]
fn index2_jvp_of_a_ragged_short_tangent_panics() {
    let tangent = vec![vec![1.0_f64, 2.0], vec![3.0]];
    let _: f64 = index2_jvp(&1, &1, &tangent);
}
