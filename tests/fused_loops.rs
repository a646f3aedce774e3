//! Fused loops (`strategy::Fusion`): a top-level loop that only accumulates into its
//! carried values (`s += e`), whose final values reach the result linearly, runs each
//! iteration's reverse right after its forward, in `f_vjp`'s forward sweep. The reverse
//! iterations then run first to last instead of last to first, which is only right when
//! nothing flows from one iteration to the next but the accumulators (whose adjoint is the
//! same at every iteration) and when that adjoint is known before the loop.
//!
//! Each function is checked against three oracles that do not fuse: its gradient through
//! a differentiated caller (`via`, which keeps the function's pullback: the reverse sweep
//! as a closure of a seed not known before the forward sweep, so never fused), `f_jvp`
//! (forward mode) along a direction, and central differences. The shapes near the
//! boundary of what may be fused (an accumulator read inside the loop, an array written in
//! the loop and read after it, an array read in the loop and written after it, exits) are
//! here too: fused wrongly, they would give wrong gradients.
#![allow(
    clippy::needless_range_loop,
    clippy::too_many_arguments,
    clippy::assign_op_pattern // `b = e + b`: the accumulator on the right, on purpose
)]

#[path = "support/twins.rs"]
mod twins;

use tapeless::check::central_difference;
use tapeless::differentiate;
use twins::assert_close;

/// `fused!(f, via, fn(params) -> ret { body })`: `f` as written, and `via`, a
/// differentiated caller of `f` whose gradient comes from `f`'s (unfused) pullback.
macro_rules! fused {
    ($f:ident, $via:ident, fn($($p:ident : $t:ty),*) -> $ret:ident $body:block) => {
        #[differentiate]
        fn $f($($p: $t),*) -> $ret $body
        #[differentiate]
        fn $via($($p: $t),*) -> $ret {
            $f($($p),*)
        }
    };
}

/// Checks a gradient `g` at `x` against the caller's `via`, against central differences
/// of `f`, and its directional derivative `jvp(v)` against ⟨g, v⟩.
fn check(
    what: &str,
    x: &[f64],
    f: impl Fn(&[f64]) -> f64,
    g: &[f64],
    via: &[f64],
    jvp: impl Fn(&[f64]) -> f64,
) {
    assert_close(&format!("{what}: against the pullback"), g, via, 1e-12);
    let fd = central_difference(&f, x);
    assert_close(&format!("{what}: against differences"), g, &fd, 1e-6);
    let v: Vec<f64> = (0..x.len()).map(|i| 0.3 + 0.17 * i as f64).collect();
    let dot: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert_close(
        &format!("{what}: ⟨∇f, v⟩ against f_jvp"),
        &[dot],
        &[jvp(&v)],
        1e-12,
    );
}

// The sum returned as it is (Rosenbrock).
fused!(rosenbrock, rosenbrock_via, fn(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
});

#[test]
fn a_sum_returned_as_it_is() {
    let x = [0.3, -0.8, 1.1, 0.45, -0.2];
    let (v, g) = rosenbrock_grad(&x);
    let (w, h) = rosenbrock_via_grad(&x);
    assert_eq!(v, rosenbrock(&x));
    assert_eq!(v, w);
    let jvp = |t: &[f64]| rosenbrock_jvp(&x, &RosenbrockGrad { x: t.to_vec() }).1;
    check("rosenbrock", &x, rosenbrock, &g.x, &h.x, jvp);
    // A seed other than one scales the gradient.
    let (_, scaled) = rosenbrock_vjp(&x, -2.5);
    let expected: Vec<f64> = g.x.iter().map(|d| -2.5 * d).collect();
    assert_close("rosenbrock: seed", &scaled.x, &expected, 1e-14);
}

// A mean: the chain to the result divides by `n as f64`, computed after the loop (the
// fused loop evaluates it before).
fused!(logistic, logistic_via, fn(w: &[f64], b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let n = ys.len();
    let mut total = 0.0;
    for i in 0..n {
        let z = w[0] * xs[2 * i] + w[1] * xs[2 * i + 1] + b;
        total += (-ys[i] * z).exp().ln_1p();
    }
    total / n as f64
});

// The same with an inner loop for the dot product: not fused (the nested loop's reverse
// would wait for its iteration's forward), and right.
fused!(logistic_loop, logistic_loop_via, fn(w: &[f64], b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let d = w.len();
    let n = ys.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut z = b;
        for j in 0..d {
            z += w[j] * xs[i * d + j];
        }
        total += (-ys[i] * z).exp().ln_1p();
    }
    total / n as f64
});

#[test]
fn a_mean() {
    let w = [0.4, -0.3];
    let xs = [0.5, 1.0, -0.2, -1.1, 0.3, 0.9, 0.7, -0.6];
    let ys = [1.0, -1.0, 1.0, -1.0];
    let (v, g) = logistic_grad(&w, 0.1, &xs, &ys);
    let (_, h) = logistic_via_grad(&w, 0.1, &xs, &ys);
    assert_eq!(v, logistic(&w, 0.1, &xs, &ys));
    let flat = |g: &[f64], b: f64| [g, &[b]].concat();
    let f = |p: &[f64]| logistic(&p[..2], p[2], &xs, &ys);
    let jvp = |t: &[f64]| {
        let tangent = LogisticGrad {
            w: t[..2].to_vec(),
            b: t[2],
            xs: vec![0.0; xs.len()],
            ys: vec![0.0; ys.len()],
        };
        logistic_jvp(&w, 0.1, &xs, &ys, &tangent).1
    };
    let point = flat(&w, 0.1);
    check(
        "logistic",
        &point,
        f,
        &flat(&g.w, g.b),
        &flat(&h.w, h.b),
        jvp,
    );
    // With the inner loop, a feature more.
    let w = [0.4, -0.3, 0.8];
    let xs = [
        0.5, 1.0, -0.2, -1.1, 0.3, 0.9, 0.7, -0.6, 0.1, 0.0, 0.2, -0.4,
    ];
    let (v, g) = logistic_loop_grad(&w, 0.1, &xs, &ys);
    let (_, h) = logistic_loop_via_grad(&w, 0.1, &xs, &ys);
    assert_eq!(v, logistic_loop(&w, 0.1, &xs, &ys));
    let f = |p: &[f64]| logistic_loop(&p[..3], p[3], &xs, &ys);
    let jvp = |t: &[f64]| {
        let tangent = LogisticLoopGrad {
            w: t[..3].to_vec(),
            b: t[3],
            xs: vec![0.0; xs.len()],
            ys: vec![0.0; ys.len()],
        };
        logistic_loop_jvp(&w, 0.1, &xs, &ys, &tangent).1
    };
    let point = flat(&w, 0.1);
    check(
        "logistic_loop",
        &point,
        f,
        &flat(&g.w, g.b),
        &flat(&h.w, h.b),
        jvp,
    );
}

// Chains through `-`, a product by a parameter (known before the loop, and differentiated
// itself), a quotient by arithmetic on a parameter after the loop, `c - s`, two
// accumulators of one loop combined, `s -= e`, `s = e + s`.
fused!(chains, chains_via, fn(x: &[f64], w: f64, sigma: f64) -> f64 {
    let mut a = 0.0;
    let mut b = 0.0;
    for i in 0..x.len() {
        a += (x[i] * w).sin();
        b -= x[i] * x[i];
        b = 0.5 * x[i] + b;
    }
    let scale = 2.0 * sigma * sigma;
    let spread = -(a * w) + 3.0 * (1.5 - b / scale);
    spread - sigma
});

#[test]
fn chains_through_linear_steps() {
    let x = [0.3, -0.8, 1.1, 0.45];
    let (w, sigma) = (0.7, 1.3);
    let (v, g) = chains_grad(&x, w, sigma);
    let (_, h) = chains_via_grad(&x, w, sigma);
    assert_eq!(v, chains(&x, w, sigma));
    let (g, h) = (
        [&g.x[..], &[g.w, g.sigma]].concat(),
        [&h.x[..], &[h.w, h.sigma]].concat(),
    );
    let f = |p: &[f64]| chains(&p[..4], p[4], p[5]);
    let jvp = |t: &[f64]| {
        let tangent = ChainsGrad {
            x: t[..4].to_vec(),
            w: t[4],
            sigma: t[5],
        };
        chains_jvp(&x, w, sigma, &tangent).1
    };
    let point = [&x[..], &[w, sigma]].concat();
    check("chains", &point, f, &g, &h, jvp);
}

// Three loops onto one accumulator (the adjoint flows from each to the one before), a
// value computed before the loops that they read and the code after them reads too, and
// an array written before the loops that they read.
fused!(consecutive, consecutive_via, fn(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let shift = x[0] * y[0];
    let mut scaled = vec![0.0; n];
    for i in 0..n {
        scaled[i] = x[i] * y[i].exp();
    }
    let mut s = 0.0;
    for i in 0..n {
        s += scaled[i] * shift;
    }
    for i in 1..n {
        s += (x[i] - x[i - 1]).powi(2) + shift.cos();
    }
    let mut t = 0.0;
    for i in 0..n {
        t += y[i] * scaled[n - 1 - i];
    }
    s + t * shift
});

#[test]
fn loops_onto_one_accumulator() {
    let x = [0.3, -0.8, 1.1, 0.45];
    let y = [0.2, 0.5, -0.7, 1.2];
    let (v, g) = consecutive_grad(&x, &y);
    let (_, h) = consecutive_via_grad(&x, &y);
    assert_eq!(v, consecutive(&x, &y));
    let (g, h) = ([&g.x[..], &g.y].concat(), [&h.x[..], &h.y].concat());
    let f = |p: &[f64]| consecutive(&p[..4], &p[4..]);
    let jvp = |t: &[f64]| {
        let tangent = ConsecutiveGrad {
            x: t[..4].to_vec(),
            y: t[4..].to_vec(),
        };
        consecutive_jvp(&x, &y, &tangent).1
    };
    check("consecutive", &[&x[..], &y].concat(), f, &g, &h, jvp);
}

// A mixture of Gaussians: a scratch array rewritten for every point, inner loops with
// carried values (a running maximum) and kept exponentials, branches.
fused!(mixture, mixture_via, fn(a: &[f64], mu: &[f64], s: &[f64], xs: &[f64]) -> f64 {
    let k = a.len();
    let mut amax = a[0];
    for c in 1..k {
        amax = amax.max(a[c]);
    }
    let mut asum = 0.0;
    for c in 0..k {
        asum += (a[c] - amax).exp();
    }
    let log_norm = amax + asum.ln();
    let mut lp = vec![0.0; k];
    let mut total = 0.0;
    for i in 0..xs.len() {
        for c in 0..k {
            let t = (xs[i] - mu[c]) * (-s[c]).exp();
            lp[c] = a[c] - log_norm - s[c] - 0.5 * t * t;
        }
        let mut m = lp[0];
        for c in 1..k {
            m = m.max(lp[c]);
        }
        let mut e = 0.0;
        for c in 0..k {
            e += (lp[c] - m).exp();
        }
        let point = if e > 1.5 { m + e.ln() } else { m + (e - 1.0).ln_1p() };
        total -= point;
    }
    total + log_norm * log_norm
});

#[test]
fn a_mixture_with_a_scratch_array() {
    let a = [0.2, -0.4, 0.9];
    let mu = [-1.0, 0.3, 1.4];
    let s = [0.1, -0.2, 0.3];
    let xs = [0.5, -1.3, 2.2, 0.05, 1.1];
    let (v, g) = mixture_grad(&a, &mu, &s, &xs);
    let (_, h) = mixture_via_grad(&a, &mu, &s, &xs);
    assert_eq!(v, mixture(&a, &mu, &s, &xs));
    let (g, h) = (
        [&g.a[..], &g.mu, &g.s, &g.xs].concat(),
        [&h.a[..], &h.mu, &h.s, &h.xs].concat(),
    );
    let f = |p: &[f64]| mixture(&p[..3], &p[3..6], &p[6..9], &p[9..]);
    let jvp = |t: &[f64]| {
        let tangent = MixtureGrad {
            a: t[..3].to_vec(),
            mu: t[3..6].to_vec(),
            s: t[6..9].to_vec(),
            xs: t[9..].to_vec(),
        };
        mixture_jvp(&a, &mu, &s, &xs, &tangent).1
    };
    let point = [&a[..], &mu, &s, &xs].concat();
    check("mixture", &point, f, &g, &h, jvp);
}

#[differentiate]
fn softplus(z: f64) -> f64 {
    z.exp().ln_1p()
}

// Calls in the fused body: the callee's loop pullback is pushed and popped within the
// iteration; a nested derivative is called jointly.
fused!(with_calls, with_calls_via, fn(x: &[f64], w: f64) -> f64 {
    let mut total = 0.0;
    for i in 0..x.len() {
        total += softplus(w * x[i]) * x[i];
    }
    0.25 * total
});

#[test]
fn calls_in_a_fused_loop() {
    let x = [0.3, -0.8, 1.1, 0.45];
    let (v, g) = with_calls_grad(&x, 0.9);
    let (_, h) = with_calls_via_grad(&x, 0.9);
    assert_eq!(v, with_calls(&x, 0.9));
    let (g, h) = ([&g.x[..], &[g.w]].concat(), [&h.x[..], &[h.w]].concat());
    let f = |p: &[f64]| with_calls(&p[..4], p[4]);
    let jvp = |t: &[f64]| {
        let tangent = WithCallsGrad {
            x: t[..4].to_vec(),
            w: t[4],
        };
        with_calls_jvp(&x, 0.9, &tangent).1
    };
    check("with_calls", &[&x[..], &[0.9]].concat(), f, &g, &h, jvp);
}

/// Generic over its float type.
#[differentiate]
fn energy<T: num_traits::Float + std::iter::Sum>(x: &[T], k: T) -> T {
    let mut e = T::zero();
    for i in 0..x.len() {
        e = e + k * x[i] * x[i] + (x[i] * k).tanh();
    }
    e / T::from(x.len()).unwrap()
}

#[test]
fn generic_code_in_f64_and_f32() {
    let x = [0.3, -0.8, 1.1, 0.45];
    let (v, g) = energy_grad(&x, 1.7);
    assert_eq!(v, energy(&x, 1.7));
    let f = |p: &[f64]| energy(&p[..4], p[4]);
    let point = [&x[..], &[1.7]].concat();
    let fd = central_difference(f, &point);
    assert_close("energy", &[&g.x[..], &[g.k]].concat(), &fd, 1e-6);
    let x32 = [0.3_f32, -0.8, 1.1, 0.45];
    let (_, g32) = energy_grad(&x32, 1.7_f32);
    let wide: Vec<f64> = g32.x.iter().map(|&d| f64::from(d)).collect();
    assert_close("energy f32", &wide, &g.x, 1e-5);
}

// Near the boundary: none of these may be fused, and each must still be right.
// The accumulator read inside the loop (its adjoint changes from one iteration to the next).
fused!(compounding, compounding_via, fn(x: &[f64]) -> f64 {
    let mut s = 1.0;
    for i in 0..x.len() {
        s += 0.1 * s * x[i];
    }
    s
});

// An array written in the loop and read after it.
fused!(written_then_read, written_then_read_via, fn(x: &[f64]) -> f64 {
    let mut v = vec![0.0; x.len()];
    let mut s = 0.0;
    for i in 0..x.len() {
        v[i] = x[i].sin();
        s += v[i] * x[i];
    }
    s + v[0] * v[x.len() - 1]
});

// An array read in the loop and written after it.
fused!(read_then_written, read_then_written_via, fn(x: &[f64]) -> f64 {
    let mut v = vec![0.0; x.len()];
    for i in 0..x.len() {
        v[i] = x[i] * x[i];
    }
    let mut s = 0.0;
    for i in 0..x.len() {
        s += v[i].sqrt() * x[0];
    }
    v[0] = s * 3.0;
    v[0] + v[1] * s
});

// An array whose elements an iteration reads before writing: values flow between
// iterations through it.
fused!(through_memory, through_memory_via, fn(x: &[f64]) -> f64 {
    let mut v = [0.5; 2];
    let mut s = 0.0;
    for i in 0..x.len() {
        s += v[0] * x[i];
        v[0] = (x[i] + v[1]).sin();
        v[1] = x[i] * v[0];
    }
    s
});

// The final value used twice; an exit; an accumulation in a branch.
fused!(squared, squared_via, fn(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i].cos();
    }
    s * s
});

fused!(early_exit, early_exit_via, fn(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] > 1.0 {
            break;
        }
        s += x[i].exp();
    }
    s
});

fused!(in_a_branch, in_a_branch_via, fn(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] > 0.0 {
            s += x[i].exp();
        }
    }
    s
});

/// One function of one slice near the boundary: its value and gradient, and its caller's.
macro_rules! boundary {
    ($f:ident, $grad:ident, $via_grad:ident) => {
        (
            stringify!($f),
            $f as fn(&[f64]) -> f64,
            (|x| {
                let (v, g) = $grad(x);
                (v, g.x)
            }) as fn(&[f64]) -> (f64, Vec<f64>),
            (|x| {
                let (v, g) = $via_grad(x);
                (v, g.x)
            }) as fn(&[f64]) -> (f64, Vec<f64>),
        )
    };
}

#[test]
fn loops_near_the_boundary() {
    let x = [0.3, -0.8, 1.1, 0.45, 0.2];
    let cases = [
        boundary!(compounding, compounding_grad, compounding_via_grad),
        boundary!(
            written_then_read,
            written_then_read_grad,
            written_then_read_via_grad
        ),
        boundary!(
            read_then_written,
            read_then_written_grad,
            read_then_written_via_grad
        ),
        boundary!(through_memory, through_memory_grad, through_memory_via_grad),
        boundary!(squared, squared_grad, squared_via_grad),
        boundary!(early_exit, early_exit_grad, early_exit_via_grad),
        boundary!(in_a_branch, in_a_branch_grad, in_a_branch_via_grad),
    ];
    for (what, f, grad, via) in cases {
        let (v, g) = grad(&x);
        let (_, h) = via(&x);
        assert_eq!(v, f(&x), "{what}: value");
        assert_close(&format!("{what}: against the pullback"), &g, &h, 1e-12);
        let fd = central_difference(f, &x);
        assert_close(&format!("{what}: against differences"), &g, &fd, 1e-6);
    }
}

// The accumulator starts from a differentiated value, and the loop is the body of a
// method (`self`'s gradient filled inside the fused loop).
fused!(from_parameter, from_parameter_via, fn(x: &[f64], b: f64) -> f64 {
    let mut s = b * b;
    for i in 0..x.len() {
        s += x[i] * b;
    }
    2.0 * s
});

#[derive(tapeless::Differentiable, Clone)]
struct Line {
    w: f64,
    c: f64,
}

#[differentiate]
impl Line {
    #[differentiate(wrt(self))]
    fn loss(&self, xs: &[f64], ys: &[f64]) -> f64 {
        let mut total = 0.0;
        for i in 0..xs.len() {
            let r = self.w * xs[i] + self.c - ys[i];
            total += r * r;
        }
        total / xs.len() as f64
    }

    #[differentiate(wrt(self))]
    fn loss_via(&self, xs: &[f64], ys: &[f64]) -> f64 {
        self.loss(xs, ys)
    }
}

#[test]
fn an_accumulator_from_a_parameter_and_a_method() {
    let x = [0.3, -0.8, 1.1, 0.45];
    let (v, g) = from_parameter_grad(&x, 0.7);
    let (_, h) = from_parameter_via_grad(&x, 0.7);
    assert_eq!(v, from_parameter(&x, 0.7));
    let f = |p: &[f64]| from_parameter(&p[..4], p[4]);
    let jvp = |t: &[f64]| {
        let tangent = FromParameterGrad {
            x: t[..4].to_vec(),
            b: t[4],
        };
        from_parameter_jvp(&x, 0.7, &tangent).1
    };
    let (g, h) = ([&g.x[..], &[g.b]].concat(), [&h.x[..], &[h.b]].concat());
    check("from_parameter", &[&x[..], &[0.7]].concat(), f, &g, &h, jvp);

    let (xs, ys) = ([0.5, -1.0, 2.0], [1.2, -0.3, 3.1]);
    let line = Line { w: 0.8, c: -0.1 };
    let (v, g) = line.loss_grad(&xs, &ys);
    let (_, h) = line.loss_via_grad(&xs, &ys);
    assert_eq!(v, line.loss(&xs, &ys));
    let f = |p: &[f64]| Line { w: p[0], c: p[1] }.loss(&xs, &ys);
    let fd = central_difference(f, &[0.8, -0.1]);
    let g = [g.self_.w, g.self_.c];
    assert_close(
        "method: against the pullback",
        &g,
        &[h.self_.w, h.self_.c],
        1e-12,
    );
    assert_close("method: against differences", &g, &fd, 1e-6);
}

// A loop in a fused loop that rewrites scratch arrays and runs a triangle loop nest over
// them: `f_vjp` restores the arrays from a copy each forward iteration pushed
// (`Replays::snapshots`), the pullback replays the iteration. `z[0]` is rewritten after the
// triangle, so the reads of it before that store are saved, not read again from the copy.
fused!(whitened, whitened_via, fn(x: &[f64], m: &[f64], l: &[f64]) -> f64 {
    let d = 3;
    let k = m.len() / d;
    let n = x.len() / d;
    let mut z = vec![0.0; d];
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let mut best = 0.0;
        for c in 0..k {
            for j in 0..d {
                z[j] = x[i * d + j] - m[c * d + j];
            }
            for j in 0..d {
                y[j] = l[j].exp() * z[j];
            }
            let mut at = 0;
            for col in 0..d {
                for row in col + 1..d {
                    y[row] += l[d + at] * z[col] * (c + 1) as f64;
                    at += 1;
                }
            }
            z[0] = y[0] * y[1];
            let mut q = z[0] + z[1] * z[2];
            for j in 0..d {
                q += y[j] * y[j];
            }
            best += (-0.5 * q).exp();
        }
        total += best.ln();
    }
    total
});

#[test]
fn arrays_restored_in_a_fused_loop() {
    let x = [0.3, -0.8, 1.1, 0.45, -0.2, 0.9, -0.6, 0.25, 0.7];
    let m = [0.1, 0.2, -0.3, -0.4, 0.5, 0.05];
    let l = [0.2, -0.1, 0.3, 0.4, -0.7, 0.6];
    let (v, g) = whitened_grad(&x, &m, &l);
    let (_, h) = whitened_via_grad(&x, &m, &l);
    assert_eq!(v, whitened(&x, &m, &l));
    let split = |p: &[f64]| (p[..9].to_vec(), p[9..15].to_vec(), p[15..].to_vec());
    let f = |p: &[f64]| {
        let (x, m, l) = split(p);
        whitened(&x, &m, &l)
    };
    let jvp = |t: &[f64]| {
        let (tx, tm, tl) = split(t);
        let tangent = WhitenedGrad {
            x: tx,
            m: tm,
            l: tl,
        };
        whitened_jvp(&x, &m, &l, &tangent).1
    };
    let p = [&x[..], &m, &l].concat();
    let g = [&g.x[..], &g.m, &g.l].concat();
    let h = [&h.x[..], &h.m, &h.l].concat();
    check("whitened", &p, f, &g, &h, jvp);
}
