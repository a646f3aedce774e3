//! tapeless as a GradBench tool (github.com/gradbench/gradbench): speaks GradBench's
//! protocol on stdin/stdout. Run by GradBench as
//!
//! ```sh
//! gradbench run --eval "..." --tool "cargo run --release --example gradbench"
//! ```
//!
//! One module per eval; each writes the eval's primal once, as ordinary Rust marked
//! `#[differentiate]`, and takes every derivative from the generated code.

mod det;
mod evals;
mod gmm;
mod hello;
mod llsq;
mod lse;
mod lstm;
mod ode;
mod protocol;

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    protocol::serve(stdin.lock(), stdout.lock(), evals::module)
}
