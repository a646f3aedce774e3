//! GradBench's `particle` (Pearlmutter & Siskind's nested-AD example; reference
//! `cpp/gradbench/evals/particle.hpp`, the algorithm of `tools/enzyme/particle.cpp` with the
//! shared descent `cpp/gradbench/gd.hpp`): a charged particle, integrated by Euler steps in
//! the field of two charges at (10, 10 − w) and (10, 0), starts at (0, 8) with velocity
//! (0.75, 0); w* is the control parameter, found by gradient descent, that makes it hit the
//! origin. The force is −∇ of the potential (the inner derivative); the descent
//! differentiates the whole simulation, inner derivative included (the outer one). The
//! function's letters name the modes, outer first: `r` reverse, `f` forward.

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, number, unknown, Runs};
use crate::saddle::argmin;

/// The potential at (x, y) of unit charges at (c0x, c0y) and (c1x, c1y): Σ 1/distance.
/// Differentiated with respect to the charges too: they depend on w, which the outer
/// derivative follows through the force.
#[differentiate(hessian)]
pub fn accel(c0x: f64, c0y: f64, c1x: f64, c1y: f64, x: f64, y: f64) -> f64 {
    let mut a = 0.0;
    a += 1.0 / ((c0x - x) * (c0x - x) + (c0y - y) * (c0y - y)).sqrt();
    a += 1.0 / ((c1x - x) * (c1x - x) + (c1y - y) * (c1y - y)).sqrt();
    a
}

/// The squared miss x² where the particle crosses y = 0, the force −∇accel by reverse
/// mode (a nested `accel_grad`).
#[differentiate]
pub fn naive_euler_r(w: f64) -> f64 {
    let (c0x, c0y, c1x, c1y) = (10.0, 10.0 - w, 10.0, 0.0);
    let mut x = 0.0;
    let mut y = 8.0;
    let mut xdot = 0.75;
    let mut ydot = 0.0;
    let delta_t = 1e-1;
    loop {
        let (_, g) = accel_grad(c0x, c0y, c1x, c1y, x, y);
        let xddot = -g.x;
        let yddot = -g.y;
        x += delta_t * xdot;
        y += delta_t * ydot;
        if y <= 0.0 {
            let delta_t_f = -y / ydot;
            let x_t_f = x + delta_t_f * xdot;
            return x_t_f * x_t_f;
        }
        xdot += delta_t * xddot;
        ydot += delta_t * yddot;
    }
}

/// The tangents along x and y: the force's two forward sweeps.
const ALONG_X: AccelGrad = AccelGrad {
    c0x: 0.0,
    c0y: 0.0,
    c1x: 0.0,
    c1y: 0.0,
    x: 1.0,
    y: 0.0,
};
const ALONG_Y: AccelGrad = AccelGrad {
    c0x: 0.0,
    c0y: 0.0,
    c1x: 0.0,
    c1y: 0.0,
    x: 0.0,
    y: 1.0,
};

/// The squared miss x² where the particle crosses y = 0, the force −∇accel by forward
/// mode (two nested `accel_jvp`, along x and y).
#[differentiate]
pub fn naive_euler_f(w: f64) -> f64 {
    let (c0x, c0y, c1x, c1y) = (10.0, 10.0 - w, 10.0, 0.0);
    let mut x = 0.0;
    let mut y = 8.0;
    let mut xdot = 0.75;
    let mut ydot = 0.0;
    let delta_t = 1e-1;
    loop {
        let (_, dx) = accel_jvp(c0x, c0y, c1x, c1y, x, y, &ALONG_X);
        let (_, dy) = accel_jvp(c0x, c0y, c1x, c1y, x, y, &ALONG_Y);
        let xddot = -dx;
        let yddot = -dy;
        x += delta_t * xdot;
        y += delta_t * ydot;
        if y <= 0.0 {
            let delta_t_f = -y / ydot;
            let x_t_f = x + delta_t_f * xdot;
            return x_t_f * x_t_f;
        }
        xdot += delta_t * xddot;
        ydot += delta_t * yddot;
    }
}

/// w* for the modes `outer` and `inner` (`b'r'` or `b'f'`), from `w0`.
pub fn particle(outer: u8, inner: u8, w0: f64) -> f64 {
    // The simulation the outer derivative runs through computes the force in the inner
    // mode; the outer derivative is a reverse or a forward sweep over it.
    let objective = |w: [f64; 2]| match inner {
        b'r' => naive_euler_r(w[0]),
        _ => naive_euler_f(w[0]),
    };
    let gradient = |w: [f64; 2]| {
        let dw = match (outer, inner) {
            (b'r', b'r') => naive_euler_r_grad(w[0]).1.w,
            (b'r', _) => naive_euler_f_grad(w[0]).1.w,
            (_, b'r') => naive_euler_r_jvp(w[0], &NaiveEulerRGrad { w: 1.0 }).1,
            _ => naive_euler_f_jvp(w[0], &NaiveEulerFGrad { w: 1.0 }).1,
        };
        [dw, 0.0]
    };
    // A descent in one variable: the second coordinate has gradient 0 and stays put.
    argmin(objective, gradient, [w0, 0.0])[0]
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let w = number(field(input, "w")?)?;
    let (outer, inner) = match function {
        "rr" | "rf" | "fr" | "ff" => (function.as_bytes()[0], function.as_bytes()[1]),
        _ => return Err(unknown("particle", function)),
    };
    Ok(json!(runs.time(|| particle(outer, inner, w))))
}
