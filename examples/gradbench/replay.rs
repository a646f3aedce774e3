//! `--replay FILE [--runs N]`: runs every round of a recorded GradBench evaluation
//! (the JSON Lines of `tests/gradbench/`) N times (default 10), checks the output with
//! GradBench's rule, and prints the median and minimum time of each round.

use std::time::Duration;

use serde_json::Value;

use crate::check::{accepts, deviation};
use crate::evals;
use crate::protocol::Runs;

pub fn replay(path: &str, runs: usize) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    println!("module\tfunction\tworkload\truns\tmedian\tminimum\tvalid\tdeviation");
    let mut invalid = 0;
    for line in text.lines() {
        let round: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        if round["kind"] != "evaluate" {
            continue;
        }
        let module = round["module"].as_str().unwrap_or("");
        let function = round["function"].as_str().unwrap_or("");
        let eval = evals::module(module).ok_or_else(|| format!("no module {module}"))?;
        let mut timer = Runs::repeat(runs);
        let output = eval(function, &round["input"], &mut timer)?;
        let verdict = accepts(module, &output, &round["output"]);
        invalid += verdict.is_err() as usize;
        let mut ns = timer.timings.clone();
        ns.sort_unstable();
        let show = |n: u128| format!("{:.3?}", Duration::from_nanos(n as u64));
        println!(
            "{module}\t{function}\t{}\t{}\t{}\t{}\t{}\t{:.1e}",
            round
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("-"),
            ns.len(),
            show(ns[ns.len() / 2]),
            show(ns[0]),
            match &verdict {
                Ok(()) => "valid".to_string(),
                Err(why) => format!("INVALID ({why})"),
            },
            deviation(&output, &round["output"]),
        );
    }
    match invalid {
        0 => Ok(()),
        _ => Err(format!("{invalid} invalid answers")),
    }
}
