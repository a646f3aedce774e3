//! The checker of the adversarial probe files: a differentiated function's value against
//! the original function (bit for bit), its gradient against central differences, and its
//! vector-Jacobian product linear in the seed. Each test crate includes it with
//! `#[macro_use] #[path = "support/probe.rs"] mod probe;`.

use nalgebra::{DMatrix, DVector, Vector2, Vector3};
use tapeless::check::central_difference;

/// Flattens a gradient (`f64`, `f32`, vectors, arrays, matrices, tuples, structs) into `out`.
pub trait Flat {
    fn flat(&self, out: &mut Vec<f64>);
}

impl Flat for f64 {
    fn flat(&self, out: &mut Vec<f64>) {
        out.push(*self);
    }
}

impl Flat for f32 {
    fn flat(&self, out: &mut Vec<f64>) {
        out.push(f64::from(*self));
    }
}

impl<T: Flat> Flat for Vec<T> {
    fn flat(&self, out: &mut Vec<f64>) {
        self.iter().for_each(|t| t.flat(out));
    }
}

impl<T: Flat, const N: usize> Flat for [T; N] {
    fn flat(&self, out: &mut Vec<f64>) {
        self.iter().for_each(|t| t.flat(out));
    }
}

impl<A: Flat, B: Flat> Flat for (A, B) {
    fn flat(&self, out: &mut Vec<f64>) {
        self.0.flat(out);
        self.1.flat(out);
    }
}

impl Flat for DMatrix<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

impl Flat for DVector<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

impl Flat for Vector2<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

impl Flat for Vector3<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

/// Checks the value, the gradient against central differences, and the linearity of the
/// vector-Jacobian product in its seed, at `x` (the flattened inputs).
pub fn check(
    name: &str,
    x: &[f64],
    value: impl Fn(&[f64]) -> f64,
    grad: impl Fn(&[f64]) -> (f64, Vec<f64>),
    vjp: impl Fn(&[f64], f64) -> (f64, Vec<f64>),
) {
    let v = value(x);
    let (gv, g) = grad(x);
    assert_eq!(
        gv.to_bits(),
        v.to_bits(),
        "{name} at {x:?}: value {gv} != {v}"
    );
    let fd = central_difference(&value, x);
    assert_eq!(g.len(), fd.len(), "{name}: gradient length");
    for (i, (a, n)) in g.iter().zip(&fd).enumerate() {
        let error = (a - n).abs() / a.abs().max(n.abs()).max(1.0);
        assert!(
            error < 1e-6,
            "{name} at {x:?}: ∂/∂x{i} = {a}, finite differences {n}\n gradient {g:?}\n numeric  {fd:?}"
        );
    }
    for seed in [2.5, -0.5] {
        let (sv, sg) = vjp(x, seed);
        assert_eq!(sv.to_bits(), v.to_bits(), "{name}: vjp value");
        for (a, b) in sg.iter().zip(&g) {
            assert!(
                (a - seed * b).abs() <= 1e-12 * (seed * b).abs().max(1.0),
                "{name}: vjp with seed {seed} gives {a}, expected {}",
                seed * b
            );
        }
    }
}

/// `probe!(p => f, f_grad, f_vjp, [args using p], [gradient fields], point)`: checks `f` at
/// `point`, `p` naming the flattened input inside the argument expressions.
#[allow(unused_macros)]
macro_rules! probe {
    ($p:ident => $f:ident, $g:ident, $v:ident, [$($a:expr),*], [$($field:ident),*], $x:expr) => {{
        let x: Vec<f64> = $x.to_vec();
        $crate::probe::check(
            stringify!($f),
            &x,
            |$p: &[f64]| $f($($a),*),
            |$p: &[f64]| {
                let (v, g) = $g($($a),*);
                let mut out = Vec::new();
                $( $crate::probe::Flat::flat(&g.$field, &mut out); )*
                (v, out)
            },
            |$p: &[f64], seed: f64| {
                let (v, g) = $v($($a,)* seed);
                let mut out = Vec::new();
                $( $crate::probe::Flat::flat(&g.$field, &mut out); )*
                (v, out)
            },
        )
    }};
}
