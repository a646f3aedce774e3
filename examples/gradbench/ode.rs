//! GradBench's `ode` (cmpad's `an_ode`; reference `cpp/gradbench/evals/ode.hpp`): y(2) for
//! y(0) = 0, y′_0 = x_0, y′_i = x_i·y_{i−1}, by s steps of classical Runge–Kutta (RK4).
//! `gradient` is the gradient of the last component y_{n−1}(2) with respect to x.

// Index loops, as the reference writes them.
#![allow(clippy::needless_range_loop)]

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, integer, numbers, unknown, Runs};

#[differentiate]
pub fn primal(x: &[f64], s: usize) -> Vec<f64> {
    let n = x.len();
    let h = 2.0 / s as f64;
    let mut yf = vec![0.0; n];
    let mut k1 = vec![0.0; n];
    let mut k2 = vec![0.0; n];
    let mut k3 = vec![0.0; n];
    let mut k4 = vec![0.0; n];
    let mut y_tmp = vec![0.0; n];
    for _ in 0..s {
        // k1 = f(yf), f(y)_0 = x_0, f(y)_i = x_i·y_{i−1}.
        k1[0] = x[0];
        for i in 1..n {
            k1[i] = x[i] * yf[i - 1];
        }
        for i in 0..n {
            y_tmp[i] = yf[i] + h * k1[i] / 2.0;
        }
        k2[0] = x[0];
        for i in 1..n {
            k2[i] = x[i] * y_tmp[i - 1];
        }
        for i in 0..n {
            y_tmp[i] = yf[i] + h * k2[i] / 2.0;
        }
        k3[0] = x[0];
        for i in 1..n {
            k3[i] = x[i] * y_tmp[i - 1];
        }
        for i in 0..n {
            y_tmp[i] = yf[i] + h * k3[i];
        }
        k4[0] = x[0];
        for i in 1..n {
            k4[i] = x[i] * y_tmp[i - 1];
        }
        for i in 0..n {
            yf[i] += h * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0;
        }
    }
    yf
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let x = numbers(field(input, "x")?)?;
    let s = integer(field(input, "s")?)?;
    let n = x.len();
    if n == 0 || s == 0 {
        return Err("ode needs n ≥ 1 and s ≥ 1".into());
    }
    match function {
        "primal" => Ok(json!(runs.time(|| primal(&x, s)))),
        "gradient" => Ok(json!(runs.time(|| {
            // The last component's gradient: the seed selects y_{n−1}.
            let mut seed = vec![0.0; n];
            seed[n - 1] = 1.0;
            primal_vjp(&x, s, seed).1.x
        }))),
        _ => Err(unknown("ode", function)),
    }
}
