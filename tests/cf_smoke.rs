use tapeless::differentiate;

#[differentiate]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

#[differentiate]
fn power(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    p
}

#[differentiate]
fn piecewise(x: f64) -> f64 {
    if x < 0.0 {
        -x
    } else if x < 1.0 {
        x * x
    } else {
        2.0 * x - 1.0
    }
}

#[test]
fn smoke() {
    let x = [1.2, -0.7, 0.5];
    let (v, g) = rosenbrock_grad(&x);
    assert_eq!(v, rosenbrock(&x));
    let fd = tapeless::check::central_difference(|p| rosenbrock(p), &x);
    for i in 0..3 { assert!((g.x[i] - fd[i]).abs() < 1e-6, "{:?} {:?}", g.x, fd); }
    let (v, g) = power_grad(1.3, 5);
    assert_eq!(v, power(1.3, 5));
    assert!((g.x - 5.0 * 1.3f64.powi(4)).abs() < 1e-12, "{}", g.x);
    for x in [-0.5, 0.5, 2.0] {
        let (v, g) = piecewise_grad(x);
        assert_eq!(v, piecewise(x));
        let expected = if x < 0.0 { -1.0 } else if x < 1.0 { 2.0 * x } else { 2.0 };
        assert_eq!(g.x, expected);
    }
}
