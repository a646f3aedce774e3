//! The differential fuzzer, in `cargo test` mode: generated programs of the supported
//! subset, differentiated by `#[differentiate]`, checked against an exact forward-mode
//! oracle.
//!
//! - `fuzz/generator.rs` writes random programs (deterministic, fixed seed) and, for each,
//!   a second copy over the dual numbers of `fuzz/dual.rs` (code written here, sharing
//!   nothing with tapeless);
//! - `fuzz/harness.rs` checks each program: value bit-for-bit, gradient against the dual
//!   oracle to 1e-9 relative, `f_vjp` linear in the seed (see its docs);
//! - the programs are committed as `fuzz/generated.rs`, so they are compiled like any user
//!   code and a failure names a program one can read. `generated_file_is_fresh` keeps the
//!   committed file equal to the generator's output; after changing the generator, run
//!
//! ```sh
//! TAPELESS_BLESS=1 cargo test --test fuzz generated_file_is_fresh
//! ```
//!
//! (the test binary includes the old file, so if that no longer compiles, first replace its
//! contents with `static PROGRAMS: &[Program] = &[];`).
//!
//! The long run (`cargo run --release -p tapeless-examples --features fuzz --example fuzz -- --count N`) generates many more
//! programs, with every construct the generator knows (also those of open bugs), into a
//! temporary crate; see `examples/fuzz.rs`.
//!
//! `generated.rs` is pulled in with `include!`, not declared as a module: `cargo fmt` only
//! visits modules, and the file must stay byte-for-byte what the generator prints.

#[path = "fuzz/dual.rs"]
mod dual;
#[path = "fuzz/generator.rs"]
#[allow(dead_code)] // the shrinker's half is used by `examples/fuzz.rs` only
mod generator;
#[path = "fuzz/harness.rs"]
mod harness;

/// The generated programs. Some clippy lints are allowed because the code is
/// machine-written and these shapes are what the grammar is about: index loops
/// (`for i in 0..4 { s += a[i] }`), `x0 - x0`, `s += s * e` and `x > 2.0 && x <= 0.0` from
/// independent random choices, `let v = ..; v` from a value block, `&Vec<f64>` parameters, literals written
/// the same way in the oracle's copy (`Dual::c(0.5)`). Every other lint applies.
#[allow(
    clippy::assign_op_pattern,
    clippy::eq_op,
    clippy::let_and_return,
    clippy::misrefactored_assign_op,
    clippy::needless_range_loop,
    clippy::ptr_arg,
    clippy::approx_constant,
    clippy::excessive_precision,
    clippy::if_same_then_else,
    clippy::impossible_comparisons,
    clippy::redundant_comparisons
)]
mod generated {
    use super::dual::{Dual, Dual32};
    use super::generator::{FULL, GAPPED};
    use super::harness::{no_oracle, no_oracle32, Program};
    use tapeless::differentiate;

    include!("fuzz/generated.rs");

    pub fn programs() -> &'static [Program] {
        PROGRAMS
    }
}

fn generated_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/generated.rs")
}

#[test]
fn generated_file_is_fresh() {
    let expected = generator::generate();
    let path = generated_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == expected {
        return;
    }
    if std::env::var_os("TAPELESS_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &expected).expect("cannot write generated.rs");
        eprintln!("wrote {}", path.display());
        return;
    }
    let line = committed
        .lines()
        .zip(expected.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(expected.lines().count()));
    panic!(
        "{} is not what the generator prints (first difference at line {}); run \
         `TAPELESS_BLESS=1 cargo test --test fuzz generated_file_is_fresh`",
        path.display(),
        line + 1
    );
}

#[test]
fn there_are_enough_programs() {
    let programs = generated::programs();
    assert_eq!(programs.len(), generator::COUNT);
    assert!(programs.len() >= 1000);
    for p in programs {
        assert!(p.dim >= 1, "{} has {} inputs", p.name, p.dim);
    }
}

/// Points per program.
const POINTS: usize = 4;

#[test]
fn every_program_matches_the_oracle() {
    let mut rng = harness::Points::new(0x5EED_0FF1_D1FF);
    let mut failures = Vec::new();
    let mut convention = 0;
    for p in generated::programs() {
        match harness::check(p, &mut rng, POINTS) {
            Ok(n) => convention += n,
            Err(f) => failures.push(format!("{}: {}", f.class(), f.detail())),
        }
    }
    // The overflow convention's exception must stay rare, or it would hide what it skips.
    assert!(
        convention * 100 <= generated::programs().len() * POINTS,
        "{convention} points NaN by the overflow convention"
    );
    assert!(
        failures.is_empty(),
        "{} of {} programs fail:\n{}",
        failures.len(),
        generated::programs().len(),
        failures.join("\n")
    );
}

/// The harness's one exception: a NaN gradient where the oracle is finite passes only
/// where the oracle met a value or local derivative that is not finite.
mod convention {
    use super::dual::Dual;
    use super::harness::{check, no_oracle32, Failure, Points, Program};

    fn value(x: &[f64]) -> f64 {
        x[0]
    }
    fn nan_grad(x: &[f64]) -> (f64, Vec<f64>) {
        (x[0], vec![f64::NAN])
    }
    fn nan_vjp(x: &[f64], _: f64) -> (f64, Vec<f64>) {
        nan_grad(x)
    }
    fn jvp(x: &[f64], v: &[f64]) -> (f64, f64) {
        (x[0], v[0])
    }
    /// `min(x, exp(x + 800))`: the value is `x`, and `exp` overflows on the way.
    fn overflowing(x: &[Dual]) -> Dual {
        let big = (x[0] + Dual::c(800.0)).exp();
        x[0].min(big)
    }
    fn finite(x: &[Dual]) -> Dual {
        x[0].min(x[0].exp() + Dual::c(10.0))
    }
    fn program(oracle: fn(&[Dual]) -> Dual) -> Program {
        Program {
            name: "convention",
            dim: 1,
            domain: &[(0.5, 1.0)],
            single: false,
            value,
            grad: nan_grad,
            vjp: nan_vjp,
            jvp,
            oracle,
            oracle32: no_oracle32,
        }
    }

    #[test]
    fn a_nan_gradient_passes_only_where_something_overflowed() {
        let mut rng = Points::new(1);
        assert_eq!(check(&program(overflowing), &mut rng, 3), Ok(3));
        let verdict = check(&program(finite), &mut rng, 3);
        assert!(
            matches!(verdict, Err(Failure::WrongGradient(_))),
            "{verdict:?}"
        );
    }
}

/// The linearity check of `f_vjp` in the seed: to the tolerance, so that an adjoint rounded
/// to the subnormal grid passes (seed 1 gives −0 where seed 2 gives −1 subnormal: p57639 of
/// seed 14), while a seed that enters squared fails.
mod linearity {
    use super::dual::Dual;
    use super::harness::{check, no_oracle32, Failure, Points, Program};

    fn value(x: &[f64]) -> f64 {
        x[0]
    }
    /// −0.4 of the smallest `f32` subnormal times the seed, rounded to `f32`: −0 for seed 1,
    /// −1 subnormal for seed 2.
    fn subnormal_vjp(x: &[f64], s: f64) -> (f64, Vec<f64>) {
        let tiny = f32::from_bits(1) * (-0.4 * s as f32);
        (x[0], vec![1.0 * s, f64::from(tiny)])
    }
    fn subnormal_grad(x: &[f64]) -> (f64, Vec<f64>) {
        subnormal_vjp(x, 1.0)
    }
    fn squared_vjp(x: &[f64], s: f64) -> (f64, Vec<f64>) {
        (x[0], vec![s * s, 0.0])
    }
    fn squared_grad(x: &[f64]) -> (f64, Vec<f64>) {
        squared_vjp(x, 1.0)
    }
    fn jvp(x: &[f64], v: &[f64]) -> (f64, f64) {
        (x[0], v[0])
    }
    fn oracle(x: &[Dual]) -> Dual {
        x[0] + x[1] * Dual::c(0.0)
    }
    fn program(
        grad: fn(&[f64]) -> (f64, Vec<f64>),
        vjp: fn(&[f64], f64) -> (f64, Vec<f64>),
    ) -> Program {
        Program {
            name: "linearity",
            dim: 2,
            domain: &[(0.5, 1.0)],
            single: false,
            value,
            grad,
            vjp,
            jvp,
            oracle,
            oracle32: no_oracle32,
        }
    }

    #[test]
    fn subnormal_rounding_passes_and_a_squared_seed_fails() {
        assert_eq!(
            subnormal_grad(&[1.0, 1.0]).1[1].to_bits(),
            (-0.0_f64).to_bits()
        );
        assert!(subnormal_vjp(&[1.0, 1.0], 2.0).1[1] < 0.0);
        let mut rng = Points::new(2);
        assert_eq!(
            check(&program(subnormal_grad, subnormal_vjp), &mut rng, 3),
            Ok(0)
        );
        let verdict = check(&program(squared_grad, squared_vjp), &mut rng, 3);
        assert!(matches!(verdict, Err(Failure::NotLinear(_))), "{verdict:?}");
    }
}

/// The programs exercise every production of the grammar, so that a change to the generator
/// cannot silently drop one. Counts are of programs whose text contains the construct.
#[test]
fn programs_cover_the_grammar() {
    let text = include_str!("fuzz/generated.rs");
    let programs: Vec<&str> = text
        .split("pub mod p")
        .skip(1)
        .map(|p| p.split("pub const PROGRAM").next().unwrap())
        .collect();
    assert_eq!(programs.len(), generator::COUNT);
    let count = |needle: &str| programs.iter().filter(|p| p.contains(needle)).count();
    let constructs = [
        // parameters and flavors
        ": &[f64; 4]",
        ": [f64; 4]",
        ": &[f64]",
        ": &Vec<f64>",
        ": Vec<f64>",
        "n: usize",
        "mut x",
        ": f32",
        "seed: ",
        "value",
        // statements
        "let mut ",
        ": f64 = ",
        "+= ",
        "-= ",
        "*= ",
        "/= ",
        "[0.0_f64; 4]",
        "} else if ",
        "} else {",
        " = if ",
        " = match ",
        " = {\n",
        "return ",
        // loops
        "for _ in ",
        ".rev()",
        ".step_by(2)",
        ".len()",
        ".iter()",
        ".copied()",
        ".enumerate()",
        ".zip(",
        "while ",
        "loop {",
        "        for ",
        "continue;",
        "break;",
        " as f64",
        // reductions, closures, helpers
        ".iter().sum::<f64>()",
        ".iter().product::<f64>()",
        ".map(|",
        ": f64| ",
        "_h0(",
        // expressions
        ".sin()",
        ".cos()",
        ".tan()",
        ".tanh()",
        ".exp()",
        ".exp2()",
        ".sqrt()",
        ".powi(2)",
        ".powi(3)",
        ".abs()",
        ".max(",
        ".min(",
        ".hypot(",
        ".ln()",
        ".log(",
        ".log2()",
        ".log10()",
        ".atan()",
        ".asin()",
        ".acos()",
        ".asinh()",
        ".acosh()",
        ".atanh()",
        ".powf(",
        ".atan2(",
        ".mul_add(",
        ".clamp(",
        ".to_degrees()",
        ".to_radians()",
        ".fract()",
        ".floor()",
        " % ",
        "f64::",
    ];
    let missing: Vec<String> = constructs
        .iter()
        .map(|c| (c, count(c)))
        .filter(|&(_, n)| n < 3)
        .map(|(c, n)| format!("{c:?} in {n} programs"))
        .collect();
    assert!(missing.is_empty(), "rare constructs: {missing:?}");
}
