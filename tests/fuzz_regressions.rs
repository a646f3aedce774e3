//! Minimal programs the fuzzer (`examples/fuzz.rs`) found, shrunk; each failed before its
//! fix (what it did is said above it) and checks the gradient against a closed form.
// The repros are kept as the shrinker left them (a value overwritten before it is read).
#![allow(unused_assignments)]

use num_traits::Float;
use tapeless::differentiate;

// F1: a constant `T::from(c).unwrap()` in a generic function: rustc errors inside the
// generated code (E0308 `expected T, found &T`, E0369 `cannot multiply &T by T`, E0600
// `cannot apply unary operator - to &T`).

#[differentiate]
fn generic_constant<T: Float>(x: T) -> T {
    let c = T::from(2.0).unwrap();
    x * c
}

#[differentiate]
fn generic_constant_assigned<T: Float>(x: T) -> T {
    let mut s: T = T::from(1.5).unwrap();
    s = s * x;
    s
}

#[differentiate]
fn generic_negated_constant<T: Float>(x: T, y: T) -> T {
    if x >= -T::from(0.5).unwrap() {
        return y * x;
    }
    x
}

#[test]
fn generic_constants() {
    assert_eq!(generic_constant_grad(0.7).1.x, 2.0);
    assert_eq!(generic_constant_assigned_grad(0.7).1.x, 1.5);
    let (_, g) = generic_negated_constant_grad(0.7, 3.0);
    assert_eq!((g.x, g.y), (3.0, 0.7));
    let (_, g) = generic_negated_constant_grad(-0.7, 3.0);
    assert_eq!((g.x, g.y), (1.0, 0.0));
}

// F2: the path form `T::tanh(x)` in a generic function is rejected ("function `T::tanh`
// has no derivative rule"), while `x.tanh()` and `f64::tanh(x)` are accepted.

#[differentiate]
fn generic_path_form<T: Float>(x: T) -> T {
    T::tanh(x) + T::sin(x)
}

#[test]
fn generic_path_form_is_the_method_form() {
    let x: f64 = 0.3;
    let (v, g) = generic_path_form_grad(x);
    assert_eq!(v, x.tanh() + x.sin());
    let t = x.tanh();
    assert!((g.x - (1.0 - t * t + x.cos())).abs() < 1e-15);
}

// F3 (issue 10, fuzzer repro 2): a bare float literal assigned to a local: E0689
// ("can't call method `tanh` on ambiguous numeric type `{float}`") inside generated code.

#[differentiate]
fn literal_assigned(x1: f64) -> f64 {
    let mut v8 = if x1 <= 0.5 { x1.sin() } else { x1.cos() };
    v8 = 1.1;
    v8.tanh() + x1
}

#[test]
fn literal_assignment_compiles() {
    let (v, g) = literal_assigned_grad(0.3);
    assert_eq!(v, 1.1_f64.tanh() + 0.3);
    assert_eq!(g.x1, 1.0);
}

// F4 (README "Known limitations"): `*e` of a loop element inside `&&`: E0614 inside
// generated code.

#[differentiate]
fn deref_in_and(w: &[f64; 4], needs: f64) -> f64 {
    let mut s0 = 1.0;
    for e1 in w.iter() {
        if *e1 <= -0.5 && needs >= -0.5 {
            s0 += needs * *e1;
        }
    }
    s0
}

#[test]
fn deref_inside_and_compiles() {
    let w = [-1.0, 0.2, -0.7, 0.9];
    let (_, g) = deref_in_and_grad(&w, 0.4);
    assert!((g.needs + 1.7).abs() < 1e-15);
    assert_eq!(g.w, [0.4, 0.0, 0.4, 0.0]);
}

// F5 (issue 10, fuzzer repros 1 and 5): a closure inside `||` is rejected ("a logical
// operator containing closures, blocks or macros is not supported").

#[differentiate]
fn closure_in_or(w: &[f64], x: f64) -> f64 {
    if x > 0.0 || w.iter().map(|v| v * x).sum::<f64>() > 1.0 {
        x * 2.0
    } else {
        x
    }
}

#[test]
fn closure_inside_or_compiles() {
    assert_eq!(closure_in_or_grad(&[1.0, 2.0], 0.5).1.x, 2.0);
    assert_eq!(closure_in_or_grad(&[-1.0, -2.0], -0.5).1.x, 2.0);
    assert_eq!(closure_in_or_grad(&[1.0, 2.0], -0.1).1.x, 1.0);
}

// F6: a method on an element of an array of `T` in a generic function: E0277 (`T:
// ElementwiseAdjoint` is not satisfied) inside generated code.

#[differentiate]
fn generic_array_element<T: Float>(w: [T; 4]) -> T {
    w[1].tanh()
}

#[test]
fn generic_array_element_compiles() {
    let w = [0.1, 0.2, 0.3, 0.4];
    let (_, g) = generic_array_element_grad(w);
    let t = 0.2_f64.tanh();
    assert_eq!(g.w[0], 0.0);
    assert!((g.w[1] - (1.0 - t * t)).abs() < 1e-15);
}

// F7 (issue 10, fuzzer repro 1): a let-bound closure called in a `match` guard with `&&`:
// E0425 ("cannot find function `c1`") inside generated code.

#[differentiate]
fn closure_in_guard(k: usize, a: &[f64; 4]) -> f64 {
    let c1 = |q: f64| q * a[0];
    let mut s = 1.0;
    match k {
        0 if a[1] <= 0.5 && c1(a[2]) > 0.1 => s += a[3],
        _ => s -= a[3],
    }
    s
}

#[test]
fn closure_inside_guard_compiles() {
    let a = [1.0, 0.2, 0.5, 0.7];
    assert_eq!(closure_in_guard_grad(0, &a).1.a, [0.0, 0.0, 0.0, 1.0]);
    assert_eq!(closure_in_guard_grad(1, &a).1.a, [0.0, 0.0, 0.0, -1.0]);
}

// F12 (long run, seed 5, p32601): a literal assigned to a variable inside a loop body, then a
// float method on it: E0689 ("can't call method `hypot` on ambiguous numeric type
// `{float}`") inside generated code, because the reverse sweep evaluated the literal again
// without the statement that types it. Without `num_traits::Float` in scope, as in the
// fuzzer's programs (the trait's methods would resolve the ambiguity).
mod literal_in_loop {
    use tapeless::differentiate;

    // The loops are the fuzzer's (index loops over arrays), kept as it wrote them.
    #[allow(clippy::needless_range_loop)]
    #[differentiate]
    fn carried(dx: usize, x1: f64, a: &[f64; 4]) -> f64 {
        let mut v2 = x1;
        let mut s3: f64 = 1.0;
        for i4 in 0..dx {
            s3 += a[i4];
        }
        for _i8 in 0..4 {
            v2 = 1.1;
            let v12 = v2.hypot(s3);
            v2 = v12;
        }
        v2
    }

    #[test]
    fn carried_variable() {
        let a = [0.5, -0.25, 0.75, 1.0];
        let (value, grad) = carried_grad(3, 0.3, &a);
        assert_eq!(value, carried(3, 0.3, &a));
        // v2 ends as hypot(1.1, s3), s3 = 1 + a0 + a1 + a2: independent of x1 and a3.
        let s3 = 1.0_f64 + 0.5 - 0.25 + 0.75;
        let h = 1.1_f64.hypot(s3);
        assert_eq!(grad.x1, 0.0);
        for (k, &d) in grad.a.iter().enumerate() {
            let expected = if k < 3 { s3 / h } else { 0.0 };
            assert!((d - expected).abs() < 1e-12, "a[{k}]: {d} vs {expected}");
        }
    }

    #[allow(clippy::needless_range_loop)]
    #[differentiate]
    fn local(x: &[f64], c: f32) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            let mut w = x[i] * 2.0;
            w = 1.1;
            let mut k = c * 2.0;
            if x[i] > 0.0 {
                k = 0.5;
            }
            s += w.tanh() * x[i] + f64::from(k.exp()) * x[i];
        }
        s
    }

    #[test]
    fn local_variable_and_branch() {
        let x = [0.4, -0.7, 1.3];
        let c = 0.25_f32;
        let (value, grad) = local_grad(&x, c);
        assert_eq!(value, local(&x, c));
        for (i, &xi) in x.iter().enumerate() {
            let k = if xi > 0.0 { 0.5_f32 } else { c * 2.0 };
            let expected = 1.1_f64.tanh() + f64::from(k.exp());
            assert!((grad.x[i] - expected).abs() < 1e-12);
        }
    }
}

// F13 (lead, writing the F12 test): `f64::from(k)` was taken for a call of a differentiated
// function `from` (E0599 "no function `from_vjp`" inside generated code).
mod float_from {
    use tapeless::differentiate;

    #[differentiate]
    fn widen(x: f64, c: f32, n: i32, on: bool) -> f64 {
        let k = c * 2.0;
        x * f64::from(k.exp()) + f64::from(n) * f64::from(on) + f64::from(c * c)
    }

    #[test]
    fn conversion_is_differentiated_like_a_cast() {
        let (x, c) = (0.7, 0.3_f32);
        let (value, grad) = widen_grad(x, c, 3, true);
        assert_eq!(value, widen(x, c, 3, true));
        let k = f64::from(c * 2.0);
        assert!((grad.x - k.exp()).abs() < 1e-6);
        // ∂/∂c (x·e^{2c} + c²) = 2x·e^{2c} + 2c, in f32.
        let expected = 2.0 * x * k.exp() + 2.0 * f64::from(c);
        assert!(
            (f64::from(grad.c) - expected).abs() < 1e-5,
            "{} vs {expected}",
            grad.c
        );
    }
}

// Long run seed 12, p78500 (wrong value, sign of zero): a desugared `.sum()` started from
// +0.0 where `Iterator::sum` of floats starts from −0.0, so a sum of −0.0s was +0.0 in
// `f_grad` and −0.0 in the function (then `0.0 * sum` kept the sign).
mod sum_of_negative_zeros {
    use tapeless::differentiate;

    #[differentiate]
    fn f(x0: f32, d_value: f32, x2: f32) -> f32 {
        let mut b0 = [0.0_f32; 4];
        b0[2] *= b0.iter().map(|v1| -*v1).sum::<f32>();
        let v2 = b0[2];
        v2 + 0.0 * (x0 + d_value + x2)
    }

    #[differentiate]
    fn filtered(xs: &[f64], w: f64) -> f64 {
        let s: f64 = xs.iter().filter(|v| **v < 1.0).map(|v| -v * 0.0).sum();
        let t: f64 = xs.iter().map(|v| v * w).sum();
        s * 0.0 + t
    }

    #[differentiate]
    fn generic<T: num_traits::Float + core::iter::Sum>(xs: &[T], w: T) -> T {
        let s: T = xs.iter().map(|v| -*v * T::zero()).sum();
        s * w
    }

    #[test]
    fn sums_keep_the_sign_of_zero() {
        let (value, g) = f_grad(-1.395_108_5, -0.601_437, -0.415_359);
        assert_eq!(
            value.to_bits(),
            f(-1.395_108_5, -0.601_437, -0.415_359).to_bits()
        );
        assert_eq!((g.x0, g.d_value, g.x2), (0.0, 0.0, 0.0));

        let xs = [0.5, 2.0, 0.25];
        let (value, g) = filtered_grad(&xs, 1.5);
        assert_eq!(value.to_bits(), filtered(&xs, 1.5).to_bits());
        assert_eq!(g.w, 2.75);
        let (value, g) = filtered_grad(&[], 1.5);
        assert_eq!(value.to_bits(), filtered(&[], 1.5).to_bits());
        assert_eq!(g.w, 0.0);

        let (value, g) = generic_grad(&xs, 2.0);
        assert_eq!(value.to_bits(), generic(&xs, 2.0).to_bits());
        assert_eq!(value.to_bits(), (-0.0_f64).to_bits());
        assert_eq!(g.w.to_bits(), (-0.0_f64).to_bits());
    }
}
