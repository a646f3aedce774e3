//! GradBench's `llsq` (cmpad's `llsq_obj`): the least-squares fit of sign(t) by a
//! polynomial of degree m − 1 in t on n points of [−1, 1],
//! y(x) = ½ Σ_i (s_i − Σ_j x_j t_iʲ)². `gradient` is ∂y/∂x.

// Index loops, as the specification writes its sums.
#![allow(clippy::needless_range_loop)]

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, integer, numbers, unknown, Runs};

/// t_i = −1 + 2i/(n − 1), computed as the reference does.
fn t(i: usize, n: usize) -> f64 {
    -1.0 + i as f64 * 2.0 / (n as f64 - 1.0)
}

/// sign(t) with sign(0) = 0.
fn s(t: f64) -> f64 {
    (0.0 < t) as i32 as f64 - (t < 0.0) as i32 as f64
}

#[differentiate]
pub fn primal(x: &[f64], n: usize) -> f64 {
    let m = x.len();
    let mut sum = 0.0;
    for i in 0..n {
        let ti = t(i, n);
        let mut inner_sum = s(ti);
        let mut mul = 1.0;
        for j in 0..m {
            inner_sum -= x[j] * mul;
            mul *= ti;
        }
        sum += inner_sum * inner_sum;
    }
    sum / 2.0
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let x = numbers(field(input, "x")?)?;
    let n = integer(field(input, "n")?)?;
    match function {
        "primal" => Ok(json!(runs.time(|| primal(&x, n)))),
        "gradient" => Ok(json!(runs.time(|| primal_grad(&x, n).1.x))),
        _ => Err(unknown("llsq", function)),
    }
}
