//! tapeless as a GradBench tool (github.com/gradbench/gradbench): speaks GradBench's
//! protocol on stdin/stdout. Run by GradBench as
//!
//! ```sh
//! gradbench run --eval "..." --tool "cargo run --release --example gradbench"
//! ```
//!
//! `gradbench --replay FILE [--runs N]` instead runs the rounds of a recorded evaluation
//! (`tests/gradbench/*.jsonl`) N times each, checks them with GradBench's rule, and prints
//! their times (README, "GradBench").
//!
//! One module per eval; each writes the eval's primal once, as ordinary Rust marked
//! `#[differentiate]`, and takes every derivative from the generated code.

mod ba;
mod check;
mod det;
mod evals;
mod gmm;
mod hello;
mod ht;
mod kmeans;
mod llsq;
mod lse;
mod lstm;
mod ode;
mod particle;
mod protocol;
mod replay;
mod saddle;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => protocol::serve(
            std::io::stdin().lock(),
            std::io::stdout().lock(),
            evals::module,
        )
        .map_err(|e| e.to_string()),
        ["--replay", path] => replay::replay(path, 10),
        ["--replay", path, "--runs", runs] => match runs.parse() {
            Ok(runs) => replay::replay(path, runs),
            Err(_) => Err(format!("--runs {runs}: not a count")),
        },
        _ => Err(
            "usage: gradbench (the protocol on stdin/stdout) | gradbench --replay FILE [--runs N]"
                .into(),
        ),
    };
    if let Err(error) = result {
        eprintln!("gradbench: {error}");
        std::process::exit(1);
    }
}
