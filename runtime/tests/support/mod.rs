//! What the matrix and neural-network rule tests share: flattening values into
//! coordinates, a small deterministic random generator, and the finite-difference checks.
//!
//! A rule for `y = f(.., x, ..)` and argument `x` must *accumulate* `⟨Ȳ, ∂f/∂x⟩` into the
//! adjoint it is given. [`check_rule`] starts that adjoint at a random nonzero value (so
//! that `=` instead of `+=` fails), calls the rule with a random seed Ȳ, and compares what
//! it added with the five-point central difference of the scalar `θ ↦ ⟨Ȳ, f(x(θ))⟩` over
//! the flattened coordinates θ of `x`, to a relative error below [`TOLERANCE`].

#![allow(dead_code)] // each test file uses part of it

use tapeless_runtime::check::{central_difference, relative_error};

pub mod forward;

/// Largest accepted `|analytic − numeric| / max(1, |analytic|, |numeric|)`.
pub const TOLERANCE: f64 = 1e-6;

/// A value seen as a vector of `f64` coordinates (column-major for matrices).
pub trait Flat: Clone {
    /// The coordinates.
    fn flat(&self) -> Vec<f64>;
    /// Overwrites the coordinates (as many as [`Flat::flat`] returns).
    fn set_flat(&mut self, coordinates: &[f64]);
}

impl Flat for f64 {
    fn flat(&self) -> Vec<f64> {
        vec![*self]
    }
    fn set_flat(&mut self, coordinates: &[f64]) {
        *self = coordinates[0];
    }
}

#[cfg(feature = "nalgebra")]
impl<R, C, S> Flat for nalgebra::Matrix<f64, R, C, S>
where
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    S: nalgebra::RawStorageMut<f64, R, C> + Clone,
{
    fn flat(&self) -> Vec<f64> {
        self.iter().copied().collect()
    }
    fn set_flat(&mut self, coordinates: &[f64]) {
        assert_eq!(coordinates.len(), self.len());
        for (e, &c) in self.iter_mut().zip(coordinates) {
            *e = c;
        }
    }
}

/// ⟨a, b⟩ of two coordinate vectors.
pub fn inner(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "inner product of different lengths");
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// SplitMix64: deterministic, good enough for test data, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    /// Uniform in `[-2, 2)`: primal values.
    pub fn value(&mut self) -> f64 {
        self.uniform(-2.0, 2.0)
    }

    /// |v| in `[0.5, 2)`, either sign: divisors, and starting adjoints (never zero).
    pub fn nonzero(&mut self) -> f64 {
        let magnitude = self.uniform(0.5, 2.0);
        if self.next_u64() & 1 == 0 {
            magnitude
        } else {
            -magnitude
        }
    }

    /// An index in `0..n`.
    pub fn index(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `value` with every coordinate replaced by `draw(self)`.
    pub fn fill<V: Flat>(&mut self, value: &V, mut draw: impl FnMut(&mut Rng) -> f64) -> V {
        let coordinates: Vec<f64> = value.flat().iter().map(|_| draw(self)).collect();
        let mut out = value.clone();
        out.set_flat(&coordinates);
        out
    }
}

/// Checks that `rule(d_x)`, run on an adjoint that starts at `start`, adds exactly
/// `⟨seed, ∂f/∂x⟩` at `x` (by central differences over the coordinates of `x`).
///
/// `f` computes the output from `x` (the other arguments captured); the rule is called
/// with the primal values at `x` by the caller's closure.
#[track_caller]
pub fn check_rule<X: Flat, Y: Flat, G: Flat>(
    name: &str,
    f: impl Fn(&X) -> Y,
    x: &X,
    seed: &Y,
    start: &G,
    rule: impl FnOnce(&mut G),
) {
    let mut adjoint = start.clone();
    rule(&mut adjoint);
    let analytic: Vec<f64> = adjoint
        .flat()
        .iter()
        .zip(start.flat())
        .map(|(after, before)| after - before)
        .collect();
    let weights = seed.flat();
    let numeric = central_difference(
        |theta| {
            let mut point = x.clone();
            point.set_flat(theta);
            inner(&f(&point).flat(), &weights)
        },
        &x.flat(),
    );
    assert_eq!(
        analytic.len(),
        numeric.len(),
        "{name}: the adjoint has {} coordinates, the argument {}",
        analytic.len(),
        numeric.len()
    );
    for (k, (a, n)) in analytic.iter().zip(&numeric).enumerate() {
        let error = relative_error(*a, *n);
        assert!(
            error < TOLERANCE,
            "{name}: coordinate {k}: rule added {a:e}, finite differences give {n:e} \
             (relative error {error:e})\nadded: {analytic:?}\nnumeric: {numeric:?}"
        );
    }
}

/// The dot-product test of a VJP: ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩, where J·v is the directional
/// derivative of `f` along `v` (a central difference in one variable t, of
/// t ↦ ⟨f(x + t·v), w⟩) and Jᵀ·w is what `vjp` adds into a zero adjoint with seed `w`.
#[track_caller]
pub fn check_dot_product<X: Flat, Y: Flat, G: Flat>(
    name: &str,
    f: impl Fn(&X) -> Y,
    x: &X,
    v: &X,
    w: &Y,
    zero: &G,
    vjp: impl FnOnce(&mut G),
) {
    let (x0, direction, weights) = (x.flat(), v.flat(), w.flat());
    let jv_w = central_difference(
        |t| {
            let moved: Vec<f64> = x0
                .iter()
                .zip(&direction)
                .map(|(a, b)| a + t[0] * b)
                .collect();
            let mut point = x.clone();
            point.set_flat(&moved);
            inner(&f(&point).flat(), &weights)
        },
        &[0.0],
    )[0];
    let mut adjoint = zero.clone();
    vjp(&mut adjoint);
    let v_jtw = inner(&direction, &adjoint.flat());
    let error = relative_error(jv_w, v_jtw);
    assert!(
        error < TOLERANCE,
        "{name}: ⟨Jv, w⟩ = {jv_w:e} but ⟨v, Jᵀw⟩ = {v_jtw:e} (relative error {error:e})"
    );
}
