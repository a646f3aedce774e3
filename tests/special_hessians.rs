//! Hessians through the special functions (`special::erf`, `erfc`, `sinc`, and `libm::erf`,
//! which is `special::erf`): their values are computed in `f64` by `libm`, and over the
//! dual numbers of a Hessian's copy that value must carry its derivative. Before session
//! 32 it did not: the Hessian of erf(x)² was −1.14 where it is 0.0986 (a silent wrong
//! second derivative; the gradient and `f_jvp` were right). Oracle: central differences of
//! the gradient; `f32` too.

use tapeless::differentiate;
use tapeless::special;

/// Each Hessian row against central differences of the gradient, at `x`.
fn check(name: &str, hessian: &[Vec<f64>], gradient: impl Fn(&[f64]) -> Vec<f64>, x: &[f64]) {
    let h = 1e-5;
    for j in 0..x.len() {
        let (mut plus, mut minus) = (x.to_vec(), x.to_vec());
        plus[j] += h;
        minus[j] -= h;
        let (gp, gm) = (gradient(&plus), gradient(&minus));
        for i in 0..x.len() {
            let fd = (gp[i] - gm[i]) / (2.0 * h);
            let got = hessian[i][j];
            assert!(
                (got - fd).abs() < 1e-7 * (1.0 + fd.abs()),
                "{name}: H[{i}][{j}] = {got}, differences {fd}"
            );
        }
    }
}

/// erf's value flows on (squared, times y): its tangent counts.
#[differentiate(hessian)]
fn erf_products(x: f64, y: f64) -> f64 {
    let e = special::erf(x * y);
    e * e + special::erfc(x) * y
}

/// `libm::erf` is `special::erf`.
#[differentiate(hessian)]
fn libm_erf_squared(x: f64) -> f64 {
    let e = libm::erf(x);
    e * e
}

/// sinc's rule reads sinc′, which must carry its own derivative; through 0 too.
#[differentiate(hessian)]
fn sinc_products(x: f64, y: f64) -> f64 {
    special::sinc(x * y) * special::sinc(x) + special::sinc(y)
}

#[differentiate(hessian)]
fn erf_single(x: f32, y: f32) -> f32 {
    let e = special::erf(x * y);
    e * e
}

#[test]
fn hessians_through_erf_and_erfc() {
    for p in [[0.6, -0.4], [-1.1, 0.9], [0.0, 0.5]] {
        let (value, _, rows) = erf_products_hessian(p[0], p[1]);
        assert_eq!(value, erf_products(p[0], p[1]));
        let h: Vec<Vec<f64>> = rows.iter().map(|r| vec![r.x, r.y]).collect();
        let gradient = |q: &[f64]| {
            let (_, g) = erf_products_grad(q[0], q[1]);
            vec![g.x, g.y]
        };
        check("erf_products", &h, gradient, &p);
    }
    let (value, _, rows) = libm_erf_squared_hessian(0.6);
    assert_eq!(value, libm_erf_squared(0.6));
    // d²/dx² erf² = 2 erf′² + 2 erf·erf″, erf″ = −2x·erf′.
    let x = 0.6_f64;
    let slope = 2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp();
    let want = 2.0 * slope * slope - 4.0 * x * special::erf(x) * slope;
    assert!((rows[0].x - want).abs() < 1e-14, "{} vs {want}", rows[0].x);
}

#[test]
fn hessians_through_sinc() {
    for p in [[0.7, 1.3], [0.0, 0.4], [2.2, -0.6], [0.1, 0.0]] {
        let (_, _, rows) = sinc_products_hessian(p[0], p[1]);
        let h: Vec<Vec<f64>> = rows.iter().map(|r| vec![r.x, r.y]).collect();
        let gradient = |q: &[f64]| {
            let (_, g) = sinc_products_grad(q[0], q[1]);
            vec![g.x, g.y]
        };
        check("sinc_products", &h, gradient, &p);
    }
}

#[test]
fn a_hessian_through_erf_in_f32() {
    let (x, y) = (0.6_f32, -0.4_f32);
    let (value, _, rows) = erf_single_hessian(x, y);
    assert_eq!(value, erf_single(x, y));
    let (_, _, rows64) = erf_products_hessian(f64::from(x), f64::from(y));
    // erf(xy)² alone, from the f64 function's terms: its Hessian minus erfc(x)·y's.
    let (xd, yd) = (f64::from(x), f64::from(y));
    let slope = 2.0 / std::f64::consts::PI.sqrt() * (-xd * xd).exp();
    let erfc_xx = 2.0 * xd * slope * yd;
    let want = [
        [rows64[0].x - erfc_xx, rows64[0].y + slope],
        [rows64[1].x + slope, rows64[1].y],
    ];
    let got = [[rows[0].x, rows[0].y], [rows[1].x, rows[1].y]];
    for i in 0..2 {
        for j in 0..2 {
            assert!(
                (f64::from(got[i][j]) - want[i][j]).abs() < 1e-4,
                "H[{i}][{j}]: {} vs {}",
                got[i][j],
                want[i][j]
            );
        }
    }
}
