//! An array literal as a block's value (`[g(x) * y, 2.0 * x]` as a function's result, an
//! `if`'s arms, a method's result built from other methods), in a `return` (also early,
//! inside branches and loops) or passed to a call (`inner(x, [y, x])`): written by index
//! like a `let` of one, so every mode differentiates it. Checked against central
//! differences and closed forms.

use tapeless::check::central_difference;
use tapeless::differentiate;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-7 * 1f64.max(a.abs()).max(b.abs())
}

#[differentiate]
fn square(x: f64) -> f64 {
    x * x
}

#[differentiate]
fn pair(x: f64, y: f64) -> [f64; 2] {
    [square(x) * y, (2.0 * x).sin()]
}

#[differentiate]
fn arms(x: f64) -> f64 {
    let a = if x > 0.0 { [x.sin(), x * x] } else { [x, 1.0] };
    a[0] * a[1]
}

#[derive(tapeless::Differentiable, Debug, Clone, PartialEq, Default)]
struct Poly {
    a: f64,
    b: f64,
}

#[differentiate]
impl Poly {
    #[differentiate]
    fn at(&self, x: f64) -> f64 {
        self.a * x * x + self.b * x
    }

    #[differentiate]
    fn both(&self, x: f64) -> [f64; 2] {
        [self.at(x), self.at(2.0 * x) * x]
    }
}

#[test]
fn an_array_literal_result_has_every_mode() {
    let (x, y) = (0.7, -1.3);
    let (value, rows) = pair_jacobian(x, y);
    assert_eq!(value, pair(x, y));
    for (i, row) in rows.iter().enumerate() {
        let numeric = central_difference(|p| pair(p[0], p[1])[i], &[x, y]);
        assert!(
            close(row.x, numeric[0]) && close(row.y, numeric[1]),
            "row {i}"
        );
    }
    let (_, tangent) = pair_jvp(x, y, &PairGrad { x: 1.0, y: 0.5 });
    for (i, t) in tangent.iter().enumerate() {
        assert!(close(*t, rows[i].x + 0.5 * rows[i].y), "output {i}");
    }
}

#[test]
fn array_literals_in_branches() {
    for x in [0.9, -0.4] {
        let (value, g) = arms_grad(x);
        assert_eq!(value, arms(x));
        let numeric = central_difference(|p| arms(p[0]), &[x])[0];
        assert!(close(g.x, numeric), "{x}: {} vs {numeric}", g.x);
    }
}

#[test]
fn a_method_returns_an_array_of_method_calls() {
    let p = Poly { a: 0.6, b: -0.2 };
    let x = 1.1;
    let (value, rows) = p.both_jacobian(x);
    assert_eq!(value, p.both(x));
    for (i, row) in rows.iter().enumerate() {
        let numeric =
            central_difference(|q| Poly { a: q[0], b: q[1] }.both(q[2])[i], &[p.a, p.b, x]);
        assert!(close(row.self_.a, numeric[0]), "row {i}");
        assert!(close(row.self_.b, numeric[1]), "row {i}");
        assert!(close(row.x, numeric[2]), "row {i}");
    }
}

// The `return` statement is the point.
#[allow(clippy::needless_return)]
#[differentiate]
fn returned_array(x: f64, y: f64) -> [f64; 2] {
    return [x * y, y.sin()];
}

#[differentiate]
fn returns_arrays_early(x: f64, n: usize) -> [f64; 2] {
    for i in 0..n {
        if x * i as f64 > 1.0 {
            return [x * x, i as f64];
        }
    }
    if x < 0.0 {
        return [x, 2.0 * x];
    }
    [x.exp(), x]
}

#[test]
fn array_literals_in_return_statements() {
    // (xy, sin y) with seed (1, 1): (y, x + cos y).
    let (value, grad) = returned_array_vjp(2.0, 0.5, [1.0, 1.0]);
    assert_eq!(value, returned_array(2.0, 0.5));
    assert_eq!((grad.x, grad.y), (0.5, 2.0 + 0.5f64.cos()));
    let (_, tangent) = returned_array_jvp(2.0, 0.5, &ReturnedArrayGrad { x: 1.0, y: 0.0 });
    assert_eq!(tangent, [0.5, 0.0]);
    // x = 0.75, n = 4: returns [x², 2] at i = 2; seed (1, 1) gives 2x.
    let (value, grad) = returns_arrays_early_vjp(0.75, 4, [1.0, 1.0]);
    assert_eq!(value, [0.5625, 2.0]);
    assert_eq!(grad.x, 1.5);
    // x < 0: [x, 2x] gives 3.
    let (value, grad) = returns_arrays_early_vjp(-0.5, 4, [1.0, 1.0]);
    assert_eq!(value, [-0.5, -1.0]);
    assert_eq!(grad.x, 3.0);
    // The loop ends: [eˣ, x] gives eˣ + 1.
    let (_, grad) = returns_arrays_early_vjp(0.2, 2, [1.0, 1.0]);
    assert_eq!(grad.x, 0.2f64.exp() + 1.0);
    let tangent = ReturnsArraysEarlyGrad { x: 1.0 };
    assert_eq!(returns_arrays_early_jvp(0.75, 4, &tangent).1, [1.5, 0.0]);
}

#[differentiate]
fn inner(x: f64, a: [f64; 2]) -> f64 {
    x * a[0] + a[1] * a[1]
}

#[differentiate]
fn passes_array_literals(x: f64, y: f64) -> f64 {
    let s = inner(x, [y, x]);
    s + inner(y, [x * 2.0, 1.0])
}

#[test]
fn array_literals_passed_to_calls() {
    let (x, y) = (0.7, -1.3);
    let (value, grad) = passes_array_literals_grad(x, y);
    assert_eq!(value, passes_array_literals(x, y));
    let f = |p: &[f64]| passes_array_literals(p[0], p[1]);
    let numeric = central_difference(f, &[x, y]);
    // xy + x² + 2xy + 1: (3y + 2x, 3x).
    assert!(close(grad.x, 3.0 * y + 2.0 * x) && close(grad.x, numeric[0]));
    assert!(close(grad.y, 3.0 * x) && close(grad.y, numeric[1]));
    let tangent = PassesArrayLiteralsGrad { x: 1.0, y: 0.0 };
    assert!(close(passes_array_literals_jvp(x, y, &tangent).1, grad.x));
}
