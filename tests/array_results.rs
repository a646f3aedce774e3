//! An array literal as a block's value (`[g(x) * y, 2.0 * x]` as a function's result, an
//! `if`'s arms, a method's result built from other methods): written by index like a `let`
//! of one, so every mode differentiates it. Checked against central differences.

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
