//! Forward mode: `f_jvp(args.., &tangent) -> (value, tangent of the value)`.
//!
//! Every function here is checked three ways: the value is `f`'s, bit for bit; the tangent
//! is the central difference of `f` along the tangent; and the dot-product identity
//! ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩ holds between `f_jvp` and `f_vjp` (reverse mode) for random `v`, `w`.

// Loops written as users write numeric code.
#![allow(clippy::needless_range_loop, clippy::assign_op_pattern)]

#[path = "support/forward.rs"]
mod forward;

use forward::{assert_close, check_scalar, check_vector, points};
use tapeless::differentiate;

// ---- straight-line scalar code ---------------------------------------------------------

#[differentiate]
fn poly(x: f64, y: f64) -> f64 {
    3.0 * x * x * (2.0 * y + 7.0) - x / (y * y + 1.0)
}

#[differentiate]
fn transcendental(x: f64, y: f64) -> f64 {
    let s = (x * x).sin().powi(2) + 1.5;
    let r = s.ln() * y.exp() - x.atan2(y) + x.hypot(y).sqrt();
    let m = r.max(x).min(3.0 * y) + (x * 0.5).tanh();
    m / (1.0 + y.abs()) - x.powf(2.0).cbrt() + (-x).mul_add(y, 0.25)
}

#[test]
fn straight_line_scalar_functions() {
    check_scalar(
        "poly",
        &points(2, 20),
        |x| poly(x[0], x[1]),
        |x, v| poly_jvp(x[0], x[1], &PolyGrad { x: v[0], y: v[1] }),
        |x| {
            let (_, g) = poly_grad(x[0], x[1]);
            vec![g.x, g.y]
        },
    );
    check_scalar(
        "transcendental",
        &points(2, 40),
        |x| transcendental(x[0], x[1]),
        |x, v| transcendental_jvp(x[0], x[1], &TranscendentalGrad { x: v[0], y: v[1] }),
        |x| {
            let (_, g) = transcendental_grad(x[0], x[1]);
            vec![g.x, g.y]
        },
    );
}

/// A closed form: d/dx x·e^{x²} = e^{x²}(2x² + 1).
#[differentiate]
fn x_exp_x2(x: f64) -> f64 {
    x * (x * x).exp()
}

#[test]
fn closed_form() {
    for x in [-1.0, -0.3, 0.0, 0.5, 1.2] {
        let (y, dy) = x_exp_x2_jvp(x, &XExpX2Grad { x: 2.0 });
        assert_eq!(y, x_exp_x2(x));
        assert_close(
            "x e^{x²}",
            dy,
            2.0 * (x * x).exp() * (2.0 * x * x + 1.0),
            1e-15,
        );
    }
}

#[differentiate]
fn single_precision(x: f32, y: f32) -> f32 {
    (x * y).sin() + x.sqrt() / y
}

#[test]
fn f32_functions() {
    let (x, y) = (0.7_f32, 1.3_f32);
    let (value, dy) = single_precision_jvp(x, y, &SinglePrecisionGrad { x: 1.0, y: -0.5 });
    assert_eq!(value.to_bits(), single_precision(x, y).to_bits());
    let (_, g) = single_precision_grad(x, y);
    assert_close(
        "f32 tangent",
        f64::from(dy),
        f64::from(g.x - 0.5 * g.y),
        1e-6,
    );
}

#[differentiate]
fn generic_float<T: num_traits::Float>(x: T, y: T) -> T {
    let two = T::one() + T::one();
    (x * y).cos() * two + x.exp() / (y * y + T::one())
}

#[test]
fn generic_float_functions() {
    check_scalar(
        "generic_float",
        &points(2, 10),
        |x| generic_float(x[0], x[1]),
        |x, v| generic_float_jvp(x[0], x[1], &GenericFloatGrad { x: v[0], y: v[1] }),
        |x| {
            let (_, g) = generic_float_grad(x[0], x[1]);
            vec![g.x, g.y]
        },
    );
    let (value, _) = generic_float_jvp(0.5_f32, 0.25, &GenericFloatGrad { x: 1.0, y: 0.0 });
    assert_eq!(value, generic_float(0.5_f32, 0.25));
}

/// A parameter left out by `wrt` and data parameters carry no tangent.
#[differentiate(wrt(x))]
fn with_data(x: f64, scale: f64, n: usize) -> f64 {
    (x * scale).sin() * n as f64
}

#[test]
fn data_and_wrt_parameters() {
    let (y, dy) = with_data_jvp(0.4, 3.0, 2, &WithDataGrad { x: 1.0 });
    assert_eq!(y, with_data(0.4, 3.0, 2));
    assert_close("wrt", dy, 2.0 * 3.0 * (0.4_f64 * 3.0).cos(), 1e-15);
}

// ---- control flow ----------------------------------------------------------------------

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

/// `break`, `continue` and an early `return` in a `for`; a `while` and a `loop`.
#[differentiate]
fn loops(x: &[f64], y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] > 1.2 {
            continue;
        }
        s += x[i] * y;
        if s > 3.0 {
            break;
        }
        if s < -3.0 {
            return s * s;
        }
    }
    let mut p = y;
    let mut k = 0;
    while k < 3 {
        p = p * 0.5 + s.sin();
        k += 1;
    }
    let mut q = p;
    loop {
        q = q * y;
        if q.abs() < 0.1 || k > 6 {
            break;
        }
        k += 1;
    }
    for i in (0..x.len()).rev().step_by(2) {
        q += x[i] * x[i];
    }
    q + s
}

/// Branches merging values, nested, with a value unchanged on one side.
#[differentiate]
fn branches(x: f64, y: f64) -> f64 {
    let mut a = x * y;
    let mut b = y;
    if a > 0.0 {
        a = a.sqrt();
        b = b * 2.0;
    } else if x > y {
        a = -a;
    } else {
        b = 1.0;
    }
    let c = if b > 1.0 { a * b } else { a + 3.0 };
    c * x + b
}

/// An array written in place, with an inactive value stored over an active one.
#[differentiate]
fn in_place(x: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 4];
    for i in 0..4 {
        a[i] = x[i] * y;
    }
    a[2] = 5.0;
    a[x.len() % 4] *= a[3];
    let mut c = vec![0.0; x.len()];
    c[0] = x[0];
    for i in 1..x.len() {
        c[i] = c[i - 1] + x[i] * a[i % 4];
    }
    let mut s = 0.0;
    for i in 0..c.len() {
        s += c[i] * c[i];
    }
    s + a[0] + a[1] + a[2]
}

#[differentiate]
fn by_vec(x: Vec<f64>, w: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += x[i] * w[i] + (x[i] * w[i]).cos();
    }
    s
}

#[test]
fn loops_branches_and_arrays() {
    check_scalar(
        "rosenbrock",
        &points(5, 10),
        rosenbrock,
        |x, v| rosenbrock_jvp(x, &RosenbrockGrad { x: v.to_vec() }),
        |x| rosenbrock_grad(x).1.x,
    );
    let split = |x: &[f64]| (x[..x.len() - 1].to_vec(), x[x.len() - 1]);
    check_scalar(
        "loops",
        &points(7, 40),
        |x| {
            let (xs, y) = split(x);
            loops(&xs, y)
        },
        |x, v| {
            let ((xs, y), (vx, vy)) = (split(x), split(v));
            loops_jvp(&xs, y, &LoopsGrad { x: vx, y: vy })
        },
        |x| {
            let (xs, y) = split(x);
            let (_, g) = loops_grad(&xs, y);
            [g.x, vec![g.y]].concat()
        },
    );
    check_scalar(
        "branches",
        &points(2, 40),
        |x| branches(x[0], x[1]),
        |x, v| branches_jvp(x[0], x[1], &BranchesGrad { x: v[0], y: v[1] }),
        |x| {
            let (_, g) = branches_grad(x[0], x[1]);
            vec![g.x, g.y]
        },
    );
    check_scalar(
        "in_place",
        &points(6, 20),
        |x| {
            let (xs, y) = split(x);
            in_place(&xs, y)
        },
        |x, v| {
            let ((xs, y), (vx, vy)) = (split(x), split(v));
            in_place_jvp(&xs, y, &InPlaceGrad { x: vx, y: vy })
        },
        |x| {
            let (xs, y) = split(x);
            let (_, g) = in_place_grad(&xs, y);
            [g.x, vec![g.y]].concat()
        },
    );
    check_scalar(
        "by_vec",
        &points(6, 10),
        |x| by_vec(x[..3].to_vec(), [x[3], x[4], x[5]]),
        |x, v| {
            let tangent = ByVecGrad {
                x: v[..3].to_vec(),
                w: [v[3], v[4], v[5]],
            };
            by_vec_jvp(x[..3].to_vec(), [x[3], x[4], x[5]], &tangent)
        },
        |x| {
            let (_, g) = by_vec_grad(x[..3].to_vec(), [x[3], x[4], x[5]]);
            [g.x, g.w.to_vec()].concat()
        },
    );
}

/// Early returns hit on some paths (the loop's `return` above, checked here on its path).
#[test]
fn early_return_path() {
    let x = [-1.5, -1.5, -1.5];
    let y = 1.0;
    let (value, dy) = loops_jvp(
        &x,
        y,
        &LoopsGrad {
            x: vec![1.0, 0.0, 0.0],
            y: 0.0,
        },
    );
    assert_eq!(value, loops(&x, y));
    // s = x0 + x1 + x2 = -4.5 < -3 at i = 2: the value is s², d/dx0 = 2s.
    assert_close("early return", dy, 2.0 * -4.5, 1e-15);
}

// ---- vector outputs --------------------------------------------------------------------

#[differentiate]
fn cumulative(x: &[f64], t: f64) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * t;
        out[i] = s.sin();
    }
    out
}

#[differentiate]
fn polar(r: f64, theta: f64) -> [f64; 2] {
    let mut p = [0.0; 2];
    p[0] = r * theta.cos();
    p[1] = r * theta.sin();
    p
}

#[test]
fn vector_outputs() {
    let split = |x: &[f64]| (x[..x.len() - 1].to_vec(), x[x.len() - 1]);
    check_vector(
        "cumulative",
        &points(5, 10),
        |x| {
            let (xs, t) = split(x);
            cumulative(&xs, t)
        },
        |x, v| {
            let ((xs, t), (vx, vt)) = (split(x), split(v));
            cumulative_jvp(&xs, t, &CumulativeGrad { x: vx, t: vt })
        },
        |x, w| {
            let (xs, t) = split(x);
            let (_, g) = cumulative_vjp(&xs, t, w.to_vec());
            [g.x, vec![g.t]].concat()
        },
    );
    check_vector(
        "polar",
        &points(2, 10),
        |x| polar(x[0], x[1]).to_vec(),
        |x, v| {
            let (y, dy) = polar_jvp(
                x[0],
                x[1],
                &PolarGrad {
                    r: v[0],
                    theta: v[1],
                },
            );
            (y.to_vec(), dy.to_vec())
        },
        |x, w| {
            let (_, g) = polar_vjp(x[0], x[1], [w[0], w[1]]);
            vec![g.r, g.theta]
        },
    );
}

/// Parameters named like the forward sweep's own names (`tangent`, `x_dot`, `value_dot`).
#[differentiate]
fn named_like_ours(tangent: f64, x_dot: f64, value_dot: f64) -> f64 {
    let tangent_dot = tangent * x_dot;
    tangent_dot + value_dot.sin()
}

#[test]
fn hygiene() {
    check_scalar(
        "named_like_ours",
        &points(3, 5),
        |x| named_like_ours(x[0], x[1], x[2]),
        |x, v| {
            let t = NamedLikeOursGrad {
                tangent: v[0],
                x_dot: v[1],
                value_dot: v[2],
            };
            named_like_ours_jvp(x[0], x[1], x[2], &t)
        },
        |x| {
            let (_, g) = named_like_ours_grad(x[0], x[1], x[2]);
            vec![g.tangent, g.x_dot, g.value_dot]
        },
    );
}

/// A tuple with a float literal among its elements (`(x * 3.0, 2.0)`, also merged by an
/// `if`): the literal's tangent is a zero of its type. It was a compile error inside
/// `f_jvp` (`no forward rule for a * b with tangent ()`).
#[tapeless::differentiate]
fn tuple_with_a_literal(x: f64) -> f64 {
    let p = (x * 3.0, 2.0);
    let q = if x > 0.0 { (x, 1.0) } else { (2.0 * x, 3.0) };
    p.0 * p.1 + q.0 * q.1
}

#[tapeless::differentiate]
fn tuple_with_literals_f32(x: f32) -> f32 {
    let c = |t: f32| t * x;
    let p = (c(1.0), 2.0, -1.5);
    p.0 * p.1 + p.2 * x
}

#[test]
fn tuples_with_float_literals() {
    // d/dx (6x + x) = 7 for x > 0; 6x + 6x → 12 for x < 0.
    for (x, expected) in [(0.7, 7.0), (-0.7, 12.0)] {
        let (_, g) = tuple_with_a_literal_grad(x);
        assert_eq!(g.x, expected);
        let (v, d) = tuple_with_a_literal_jvp(x, &TupleWithALiteralGrad { x: 2.0 });
        assert_eq!(v, tuple_with_a_literal(x));
        assert_eq!(d, 2.0 * expected);
    }
    // 2x − 1.5x = 0.5x.
    let (_, g) = tuple_with_literals_f32_grad(0.7);
    assert_eq!(g.x, 0.5);
    let (_, d) = tuple_with_literals_f32_jvp(0.7, &TupleWithLiteralsF32Grad { x: 1.0 });
    assert_eq!(d, 0.5);
}
