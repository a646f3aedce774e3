//! GradBench's acceptance rule, shared by the tool's `--replay` mode and the replay test.

use serde_json::Value;

/// GradBench's comparison (`python/gradbench/gradbench/comparison.py`): the paths where the
/// actual value `a` does not match the expected `e`. Integers and floats are
/// interchangeable; objects need the same keys, arrays the same length; two numbers match
/// when |a − e| / max(|a| + |e|, 1) ≤ 1e-4; anything else must be equal.
pub fn mismatches(path: &str, a: &Value, e: &Value, out: &mut Vec<String>) {
    match (a, e) {
        (Value::Number(x), Value::Number(y)) => {
            let both_integers = (x.is_i64() || x.is_u64()) && (y.is_i64() || y.is_u64());
            if both_integers {
                if x != y {
                    out.push(format!("{path}: {x} != {y}"));
                }
                return;
            }
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            // Written as GradBench writes it: a NaN difference is not flagged.
            if (x - y).abs() / (x.abs() + y.abs()).max(1.0) > 1e-4 {
                out.push(format!("{path}: {x} != {y}"));
            }
        }
        (Value::Array(xs), Value::Array(ys)) => {
            if xs.len() != ys.len() {
                out.push(format!("{path}: length {} != {}", xs.len(), ys.len()));
                return;
            }
            for (i, (x, y)) in xs.iter().zip(ys).enumerate() {
                mismatches(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (Value::Object(xs), Value::Object(ys)) => {
            let mut xk: Vec<_> = xs.keys().collect();
            let mut yk: Vec<_> = ys.keys().collect();
            xk.sort();
            yk.sort();
            if xk != yk {
                out.push(format!("{path}: keys {xk:?} != {yk:?}"));
                return;
            }
            for (k, x) in xs {
                mismatches(&format!("{path}.{k}"), x, &ys[k], out);
            }
        }
        _ => {
            if a != e {
                out.push(format!("{path}: {a} != {e}"));
            }
        }
    }
}

/// hello's check: numpy's `isclose(a, e)`, |a − e| ≤ 1e-8 + 1e-5·|e|.
pub fn isclose(a: &Value, e: &Value) -> bool {
    match (a.as_f64(), e.as_f64()) {
        (Some(a), Some(e)) => (a - e).abs() <= 1e-8 + 1e-5 * e.abs(),
        _ => false,
    }
}

/// Whether GradBench accepts `actual` for `expected` in `module`; the first mismatches if not.
pub fn accepts(module: &str, actual: &Value, expected: &Value) -> Result<(), String> {
    if module == "hello" {
        return match isclose(actual, expected) {
            true => Ok(()),
            false => Err(format!("{actual} is not close to {expected}")),
        };
    }
    let mut out = Vec::new();
    mismatches("", actual, expected, &mut out);
    if out.is_empty() {
        return Ok(());
    }
    let count = out.len();
    out.truncate(10);
    Err(format!("{count} mismatches: {}", out.join("; ")))
}

/// The largest |a − e| / (|a| + |e|) over the numbers of two trees of one shape (0 where
/// both are equal).
pub fn deviation(a: &Value, e: &Value) -> f64 {
    match (a, e) {
        (Value::Array(xs), Value::Array(ys)) => xs
            .iter()
            .zip(ys)
            .map(|(x, y)| deviation(x, y))
            .fold(0.0, f64::max),
        (Value::Object(xs), Value::Object(ys)) => xs
            .iter()
            .map(|(k, x)| ys.get(k).map_or(f64::INFINITY, |y| deviation(x, y)))
            .fold(0.0, f64::max),
        _ => match (a.as_f64(), e.as_f64()) {
            (Some(x), Some(y)) if x == y => 0.0,
            (Some(x), Some(y)) => (x - y).abs() / (x.abs() + y.abs()),
            _ => f64::INFINITY,
        },
    }
}
