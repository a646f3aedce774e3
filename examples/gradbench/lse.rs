//! GradBench's `lse`: log Σ exp(x_i), evaluated as a + log Σ exp(x_i − a) with a = max x,
//! from primitives (the spec asks for no library log-sum-exp). `gradient` is its softmax.

// Index loops, as the specification writes its sums.
#![allow(clippy::needless_range_loop)]

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, numbers, unknown, Runs};

#[differentiate]
pub fn primal(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x[0];
    for i in 1..n {
        a = a.max(x[i]);
    }
    let mut s = 0.0;
    for i in 0..n {
        s += (x[i] - a).exp();
    }
    s.ln() + a
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let x = numbers(field(input, "x")?)?;
    if x.is_empty() {
        return Err("lse of an empty vector".into());
    }
    match function {
        "primal" => Ok(json!(runs.time(|| primal(&x)))),
        "gradient" => Ok(json!(runs.time(|| primal_grad(&x).1.x))),
        _ => Err(unknown("lse", function)),
    }
}
