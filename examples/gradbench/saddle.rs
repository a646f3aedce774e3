//! GradBench's `saddle` (Pearlmutter & Siskind's nested-AD example; reference
//! `cpp/gradbench/evals/saddle.hpp`, the algorithm of `tools/enzyme/saddle.cpp` with the shared
//! descent `cpp/gradbench/gd.hpp`): the saddle point of
//! f(x, y) = (x₁² + y₁²) − (x₂² + y₂²), first p₁ = argmin_{p₁} max_{p₂} f(p₁, p₂), the inner
//! maximum by gradient descent, then p₂ = argmax_{p₂} f(p₁, p₂). The outer descent
//! differentiates the inner one, itself driven by the gradient of f: nested AD. The
//! function's letters name the modes, outer (argmin) first: `r` reverse, `f` forward.

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, numbers, unknown, Runs};

/// The function whose saddle point is sought.
#[differentiate(hessian)]
pub fn f(x1: f64, y1: f64, x2: f64, y2: f64) -> f64 {
    (x1 * x1 + y1 * y1) - (x2 * x2 + y2 * y2)
}

/// max_{p₂} f(p₁, p₂) by `gd.hpp`'s descent on −f from `start`, its gradient ∇_{p₂} f by
/// reverse mode (a nested `f_grad`); differentiated with respect to p₁ through the descent.
#[differentiate(wrt(p1x, p1y))]
pub fn max_primal_r(p1x: f64, p1y: f64, start_x: f64, start_y: f64) -> f64 {
    let mut x0 = start_x;
    let mut x1 = start_y;
    let mut fx = -f(p1x, p1y, x0, x1);
    let (_, g) = f_grad(p1x, p1y, x0, x1);
    let mut g0 = -g.x2;
    let mut g1 = -g.y2;
    let mut i = 0;
    let mut eta = 1e-5;
    loop {
        if (g0 * g0 + g1 * g1).sqrt() <= 1e-5 {
            break;
        }
        if i == 10 {
            eta *= 2.0;
            i = 0;
        } else {
            let xp0 = x0 - eta * g0;
            let xp1 = x1 - eta * g1;
            if ((x0 - xp0) * (x0 - xp0) + (x1 - xp1) * (x1 - xp1)).sqrt() <= 1e-5 {
                break;
            }
            let fxp = -f(p1x, p1y, xp0, xp1);
            if fxp < fx {
                x0 = xp0;
                x1 = xp1;
                fx = fxp;
                let (_, g) = f_grad(p1x, p1y, x0, x1);
                g0 = -g.x2;
                g1 = -g.y2;
                i += 1;
            } else {
                eta /= 2.0;
                i = 0;
            }
        }
    }
    f(p1x, p1y, x0, x1)
}

/// The tangents along x₂ and y₂: the inner gradient's two forward sweeps.
const ALONG_X2: FGrad = FGrad {
    x1: 0.0,
    y1: 0.0,
    x2: 1.0,
    y2: 0.0,
};
const ALONG_Y2: FGrad = FGrad {
    x1: 0.0,
    y1: 0.0,
    x2: 0.0,
    y2: 1.0,
};

/// max_{p₂} f(p₁, p₂) by `gd.hpp`'s descent on −f from `start`, its gradient ∇_{p₂} f by
/// forward mode (two nested `f_jvp`, along x₂ and y₂); differentiated with respect to p₁ through the descent.
#[differentiate(wrt(p1x, p1y))]
pub fn max_primal_f(p1x: f64, p1y: f64, start_x: f64, start_y: f64) -> f64 {
    let mut x0 = start_x;
    let mut x1 = start_y;
    let mut fx = -f(p1x, p1y, x0, x1);
    let (_, d0) = f_jvp(p1x, p1y, x0, x1, &ALONG_X2);
    let (_, d1) = f_jvp(p1x, p1y, x0, x1, &ALONG_Y2);
    let mut g0 = -d0;
    let mut g1 = -d1;
    let mut i = 0;
    let mut eta = 1e-5;
    loop {
        if (g0 * g0 + g1 * g1).sqrt() <= 1e-5 {
            break;
        }
        if i == 10 {
            eta *= 2.0;
            i = 0;
        } else {
            let xp0 = x0 - eta * g0;
            let xp1 = x1 - eta * g1;
            if ((x0 - xp0) * (x0 - xp0) + (x1 - xp1) * (x1 - xp1)).sqrt() <= 1e-5 {
                break;
            }
            let fxp = -f(p1x, p1y, xp0, xp1);
            if fxp < fx {
                x0 = xp0;
                x1 = xp1;
                fx = fxp;
                let (_, d0) = f_jvp(p1x, p1y, x0, x1, &ALONG_X2);
                let (_, d1) = f_jvp(p1x, p1y, x0, x1, &ALONG_Y2);
                g0 = -d0;
                g1 = -d1;
                i += 1;
            } else {
                eta /= 2.0;
                i = 0;
            }
        }
    }
    f(p1x, p1y, x0, x1)
}

/// `gd.hpp`'s `multivariate_argmin` of a function of two variables, from `start`.
pub fn argmin(
    objective: impl Fn([f64; 2]) -> f64,
    gradient: impl Fn([f64; 2]) -> [f64; 2],
    start: [f64; 2],
) -> [f64; 2] {
    let mut x = start;
    let mut fx = objective(x);
    let mut gx = gradient(x);
    let mut i = 0;
    let mut eta = 1e-5;
    loop {
        if (gx[0] * gx[0] + gx[1] * gx[1]).sqrt() <= 1e-5 {
            return x;
        } else if i == 10 {
            eta *= 2.0;
            i = 0;
        } else {
            let xp = [x[0] - eta * gx[0], x[1] - eta * gx[1]];
            let dist = ((x[0] - xp[0]).powi(2) + (x[1] - xp[1]).powi(2)).sqrt();
            if dist <= 1e-5 {
                return x;
            }
            let fxp = objective(xp);
            if fxp < fx {
                x = xp;
                fx = fxp;
                gx = gradient(x);
                i += 1;
            } else {
                eta /= 2.0;
                i = 0;
            }
        }
    }
}

/// ∇_{p₂} f(p₁, p₂) in reverse mode (`r`) or by two forward sweeps (`f`).
fn inner_gradient(mode: u8, p1: [f64; 2], p2: [f64; 2]) -> [f64; 2] {
    if mode == b'r' {
        let (_, g) = f_grad(p1[0], p1[1], p2[0], p2[1]);
        return [g.x2, g.y2];
    }
    let along = |x2, y2| {
        let tangent = FGrad {
            x1: 0.0,
            y1: 0.0,
            x2,
            y2,
        };
        f_jvp(p1[0], p1[1], p2[0], p2[1], &tangent).1
    };
    [along(1.0, 0.0), along(0.0, 1.0)]
}

/// The saddle point for the modes `outer` and `inner` (`b'r'` or `b'f'`).
pub fn saddle(outer: u8, inner: u8, start: [f64; 2]) -> [f64; 4] {
    // The inner descent the outer derivative runs through computes ∇_{p₂} f in the inner
    // mode; the outer derivative is a reverse sweep or two forward sweeps over it.
    let objective = |p1: [f64; 2]| match inner {
        b'r' => max_primal_r(p1[0], p1[1], start[0], start[1]),
        _ => max_primal_f(p1[0], p1[1], start[0], start[1]),
    };
    let gradient = |p1: [f64; 2]| match (outer, inner) {
        (b'r', b'r') => {
            let (_, g) = max_primal_r_grad(p1[0], p1[1], start[0], start[1]);
            [g.p1x, g.p1y]
        }
        (b'r', _) => {
            let (_, g) = max_primal_f_grad(p1[0], p1[1], start[0], start[1]);
            [g.p1x, g.p1y]
        }
        (_, b'r') => {
            let along = |p1x, p1y| {
                let tangent = MaxPrimalRGrad { p1x, p1y };
                max_primal_r_jvp(p1[0], p1[1], start[0], start[1], &tangent).1
            };
            [along(1.0, 0.0), along(0.0, 1.0)]
        }
        _ => {
            let along = |p1x, p1y| {
                let tangent = MaxPrimalFGrad { p1x, p1y };
                max_primal_f_jvp(p1[0], p1[1], start[0], start[1], &tangent).1
            };
            [along(1.0, 0.0), along(0.0, 1.0)]
        }
    };
    let r1 = argmin(objective, gradient, start);
    // argmax_{p₂} f(r1, p₂) as the argmin of −f, with the inner mode's gradient.
    let r2 = argmin(
        |p2| -f(r1[0], r1[1], p2[0], p2[1]),
        |p2| {
            let g = inner_gradient(inner, r1, p2);
            [-g[0], -g[1]]
        },
        start,
    );
    [r1[0], r1[1], r2[0], r2[1]]
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let start = numbers(field(input, "start")?)?;
    let [x, y] = start[..] else {
        return Err("saddle: `start` needs two numbers".into());
    };
    let (outer, inner) = match function {
        "rr" | "rf" | "fr" | "ff" => (function.as_bytes()[0], function.as_bytes()[1]),
        _ => return Err(unknown("saddle", function)),
    };
    Ok(json!(runs.time(|| saddle(outer, inner, [x, y]))))
}
