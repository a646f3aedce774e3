//! GradBench's protocol (its CONTRIBUTING.md, section "Protocol"): one JSON object per
//! line on stdin, one answer per line on stdout, each echoing the message's `id`.
//! `define` is answered with whether the module exists, `evaluate` with the output and one
//! timing per run of the function alone; every other kind (`start`, `analysis`) with the
//! `id` only.

use std::io::{self, BufRead, Write};
use std::time::Instant;

use serde_json::{json, Value};

/// One eval's entry point: runs `function` on the parsed `input`, timing each run with
/// `runs`, and returns the output as JSON (or why it could not).
pub type Eval = fn(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String>;

/// The repetitions GradBench asks for: at least `min_runs` runs and until `min_seconds`
/// have passed, with one timing per run.
pub struct Runs {
    min_runs: usize,
    min_seconds: f64,
    /// Nanoseconds of each run of the function, in order.
    pub timings: Vec<u128>,
}

impl Runs {
    /// A single run (what the replay test uses).
    #[allow(dead_code)]
    pub fn once() -> Runs {
        Runs {
            min_runs: 1,
            min_seconds: 0.0,
            timings: Vec::new(),
        }
    }

    /// Exactly `runs` runs (the `--replay` mode).
    pub fn repeat(runs: usize) -> Runs {
        Runs {
            min_runs: runs.max(1),
            min_seconds: 0.0,
            timings: Vec::new(),
        }
    }

    /// The `min_runs` and `min_seconds` of an input (hello's bare number has neither: once).
    pub fn of(input: &Value) -> Runs {
        let min_runs = input.get("min_runs").and_then(Value::as_u64).unwrap_or(1);
        let min_seconds = input
            .get("min_seconds")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        Runs {
            min_runs: min_runs.max(1) as usize,
            min_seconds,
            timings: Vec::new(),
        }
    }

    /// Runs `f` as often as asked, timing each call alone, and returns the last result.
    pub fn time<T>(&mut self, mut f: impl FnMut() -> T) -> T {
        let mut total = 0.0;
        loop {
            let start = Instant::now();
            let out = std::hint::black_box(f());
            let elapsed = start.elapsed();
            self.timings.push(elapsed.as_nanos());
            total += elapsed.as_secs_f64();
            if self.timings.len() >= self.min_runs && total >= self.min_seconds {
                return out;
            }
        }
    }
}

/// The answer to one message.
pub fn respond(message: &Value, module: impl Fn(&str) -> Option<Eval>) -> Value {
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let field = |name: &str| message.get(name).and_then(Value::as_str).unwrap_or("");
    match field("kind") {
        "define" => json!({ "id": id, "success": module(field("module")).is_some() }),
        "evaluate" => {
            let Some(eval) = module(field("module")) else {
                return json!({ "id": id, "success": false, "error": "unknown module" });
            };
            let input = message.get("input").unwrap_or(&Value::Null);
            let mut runs = Runs::of(input);
            match eval(field("function"), input, &mut runs) {
                Ok(output) => {
                    let timings: Vec<Value> = runs
                        .timings
                        .iter()
                        .map(|&ns| json!({ "name": "evaluate", "nanoseconds": ns as u64 }))
                        .collect();
                    json!({ "id": id, "success": true, "output": output, "timings": timings })
                }
                Err(error) => json!({ "id": id, "success": false, "error": error }),
            }
        }
        _ => json!({ "id": id }),
    }
}

/// Answers every line of `input` on `output` until the input ends.
pub fn serve(
    input: impl BufRead,
    mut output: impl Write,
    module: impl Fn(&str) -> Option<Eval>,
) -> io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let message: Value = serde_json::from_str(&line)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        writeln!(output, "{}", respond(&message, &module))?;
        output.flush()?;
    }
    Ok(())
}

// ---- reading inputs ----------------------------------------------------------------------

/// The field `name` of an object input.
pub fn field<'a>(input: &'a Value, name: &str) -> Result<&'a Value, String> {
    input
        .get(name)
        .ok_or_else(|| format!("input has no field `{name}`"))
}

/// A JSON number as f64.
pub fn number(value: &Value) -> Result<f64, String> {
    value
        .as_f64()
        .ok_or_else(|| format!("expected a number, got {value}"))
}

/// A JSON non-negative integer.
pub fn integer(value: &Value) -> Result<usize, String> {
    value
        .as_u64()
        .map(|v| v as usize)
        .ok_or_else(|| format!("expected an integer, got {value}"))
}

/// A JSON array of numbers.
pub fn numbers(value: &Value) -> Result<Vec<f64>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("expected an array, got {value}"))?
        .iter()
        .map(number)
        .collect()
}

/// A JSON array of `rows` arrays of numbers, flattened row by row; also returns the
/// length of the rows (all equal).
pub fn matrix(value: &Value) -> Result<(Vec<f64>, usize, usize), String> {
    let rows = value
        .as_array()
        .ok_or_else(|| format!("expected an array, got {value}"))?;
    let mut flat = Vec::new();
    let mut width = 0;
    for (i, row) in rows.iter().enumerate() {
        let row = numbers(row)?;
        if i == 0 {
            width = row.len();
        } else if row.len() != width {
            return Err("rows of different lengths".into());
        }
        flat.extend(row);
    }
    Ok((flat, rows.len(), width))
}

/// `flat` (row-major) as a JSON array of `count` rows of `width` numbers.
pub fn rows(flat: &[f64], count: usize, width: usize) -> Value {
    Value::Array(
        (0..count)
            .map(|r| json!(&flat[r * width..(r + 1) * width]))
            .collect(),
    )
}

/// The error for a function the module does not have.
pub fn unknown(module: &str, function: &str) -> String {
    format!("module {module} has no function `{function}`")
}
