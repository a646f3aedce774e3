//! The evals this tool implements, by GradBench module name. An eval is a module with
//! `run(function, input, runs)`: it parses the input, times the function with
//! `runs.time(..)` and returns the output as JSON. Adding one is a `mod` line in `main.rs`
//! and in `tests/gradbench.rs`, a line here, and its smaller recorded workloads in
//! `tests/gradbench/`.

use crate::protocol::Eval;

/// The entry point of module `name`, if the tool implements it (all twelve of GradBench's
/// evals).
pub fn module(name: &str) -> Option<Eval> {
    Some(match name {
        "hello" => crate::hello::run,
        "llsq" => crate::llsq::run,
        "lse" => crate::lse::run,
        "ode" => crate::ode::run,
        "gmm" => crate::gmm::run,
        "lstm" => crate::lstm::run,
        "det" => crate::det::run,
        "ba" => crate::ba::run,
        "ht" => crate::ht::run,
        "kmeans" => crate::kmeans::run,
        "particle" => crate::particle::run,
        "saddle" => crate::saddle::run,
        _ => return None,
    })
}
