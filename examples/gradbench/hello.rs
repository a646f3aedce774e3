//! GradBench's `hello`: `square` is x², `double` its derivative.

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{number, unknown, Runs};

#[differentiate]
pub fn square(x: f64) -> f64 {
    x * x
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let x = number(input)?;
    match function {
        "square" => Ok(json!(runs.time(|| square(x)))),
        "double" => Ok(json!(runs.time(|| square_grad(x).1.x))),
        _ => Err(unknown("hello", function)),
    }
}
