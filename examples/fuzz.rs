//! The differential fuzzer's long run: generates programs batch by batch into a temporary
//! crate that depends on this repository's `tapeless` by path, builds it, classifies every
//! compile failure, runs the survivors against the dual-number oracle, shrinks each new
//! kind of failure to a minimal program, and prints counts and the rate.
//!
//! ```sh
//! cargo run --release -p tapeless-examples --features fuzz --example fuzz -- --count 100000 --seed 1 --batch 500
//! ```
//!
//! Options: `--count N` programs (default 1000), `--seed S` (default 1), `--first K` index
//! of the first program (to resume), `--batch B` programs per build (default 500), `--dir D`
//! for the generated crate and its target directory (default `$TMPDIR/tapeless-fuzz`),
//! `--committed` to generate only the constructs of the committed programs (default: all
//! of them, also those of known bugs), `--no-shrink`, `--shrink-max M` failures shrunk per
//! class (default 1), `--report FILE` to append each minimal repro to (default
//! `D/findings.md`; kinds already reported there are not shrunk again).
//!
//! The generator, oracle and checks are those of `tests/fuzz.rs` (`tests/fuzz/*.rs`,
//! included by path). A compile failure is attributed to a program by the file of its
//! spans (each program is a module `src/pNNNNN.rs`, which also holds a plain copy of the
//! function without the attribute, to tell a generator bug from a macro bug) and
//! classified: `macro panic`, `error in generated code` (a rustc error, with a code, in a
//! program whose plain copy compiles), `rejected` (the macro's own error: the generator
//! emits only what the README lists as supported, so each is a rejection of something
//! supported, or a generator bug to fix), `generator bug` (the plain copy fails too).

#[path = "../tests/fuzz/dual.rs"]
#[allow(dead_code)]
mod dual;
#[path = "../tests/fuzz/generator.rs"]
#[allow(dead_code)]
mod generator;

use generator::{Config, Program};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

struct Options {
    count: usize,
    seed: u64,
    first: usize,
    batch: usize,
    dir: PathBuf,
    cfg: Config,
    shrink: bool,
    shrink_max: usize,
    report: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        count: 1000,
        seed: 1,
        first: 0,
        batch: 500,
        dir: std::env::temp_dir().join("tapeless-fuzz"),
        cfg: Config::all(),
        shrink: true,
        shrink_max: 1,
        report: PathBuf::new(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut k = 0;
    let value = |k: usize| -> &str {
        args.get(k + 1)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{} needs a value", args[k]))
    };
    while k < args.len() {
        match args[k].as_str() {
            "--count" => o.count = value(k).parse().expect("--count N"),
            "--seed" => o.seed = value(k).parse().expect("--seed S"),
            "--first" => o.first = value(k).parse().expect("--first K"),
            "--batch" => o.batch = value(k).parse().expect("--batch B"),
            "--dir" => o.dir = PathBuf::from(value(k)),
            "--report" => o.report = PathBuf::from(value(k)),
            "--shrink-max" => o.shrink_max = value(k).parse().expect("--shrink-max M"),
            "--committed" => {
                o.cfg = Config::committed();
                k -= 1;
            }
            "--no-shrink" => {
                o.shrink = false;
                k -= 1;
            }
            other => panic!("unknown option {other}"),
        }
        k += 2;
    }
    if o.report.as_os_str().is_empty() {
        o.report = o.dir.join("findings.md");
    }
    o
}

/// The path of this repository (the generated crate depends on it): the parent of the
/// examples package.
fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Writes a crate `name` under `dir` holding `programs` (one module file each) and a
/// `main` that checks them; returns its directory.
fn write_crate(dir: &Path, name: &str, programs: &[Program]) -> PathBuf {
    let root = dir.join(name);
    let src = root.join("src");
    std::fs::create_dir_all(&src).expect("create the crate");
    let tests = repo().join("tests/fuzz");
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\ntapeless = {{ path = {:?} }}\nnum-traits = \"0.2\"\n\n\
         [profile.dev]\ndebug = 0\nincremental = false\n\n[workspace]\n",
        repo().display().to_string()
    );
    write_if_changed(&root.join("Cargo.toml"), &manifest);
    let mut main = String::new();
    main.push_str("#![allow(warnings, clippy::all)]\n");
    let _ = writeln!(main, "#[path = {:?}]\nmod dual;", tests.join("dual.rs"));
    let _ = writeln!(
        main,
        "#[path = {:?}]\nmod harness;",
        tests.join("harness.rs")
    );
    main.push_str(
        "use dual::{Dual, Dual32};\nuse harness::{no_oracle, no_oracle32, Program};\n\
         use tapeless::differentiate;\n\
         const GAPPED: &[(f64, f64)] = &[(-1.5, -0.55), (-0.45, -0.05), (0.05, 0.45), (0.55, 1.5)];\n\
         const FULL: &[(f64, f64)] = &[(-1.5, 1.5)];\n\n",
    );
    for p in programs {
        let _ = writeln!(main, "mod {};", p.name);
        let text = format!("use super::*;\n\n{}\n{}", p.items(), p.plain_copy());
        write_if_changed(&src.join(format!("{}.rs", p.name)), &text);
    }
    main.push_str("\nstatic PROGRAMS: &[Program] = &[\n");
    for p in programs {
        let _ = writeln!(main, "    {}::PROGRAM,", p.name);
    }
    main.push_str(
        "];\n\nfn main() {\n\
         \x20   std::panic::set_hook(Box::new(|_| {}));\n\
         \x20   let skip: Vec<String> = std::env::args().skip(1).collect();\n\
         \x20   let mut rng = harness::Points::new(0x5EED);\n\
         \x20   for p in PROGRAMS {\n\
         \x20       if skip.iter().any(|s| s == p.name) { continue; }\n\
         \x20       eprintln!(\"START {}\", p.name);\n\
         \x20       match harness::check(p, &mut rng, 4) {\n\
         \x20           Ok(n) => println!(\"OK\\t{}\\t{}\", p.name, n),\n\
         \x20           Err(f) => println!(\"FAIL\\t{}\\t{}\\t{}\", p.name, f.class(), f.detail()),\n\
         \x20       }\n\
         \x20   }\n\
         }\n",
    );
    write_if_changed(&src.join("main.rs"), &main);
    // Remove module files of programs no longer in the crate.
    let names: BTreeSet<String> = programs.iter().map(|p| format!("{}.rs", p.name)).collect();
    if let Ok(entries) = std::fs::read_dir(&src) {
        for e in entries.flatten() {
            let f = e.file_name().to_string_lossy().to_string();
            if f != "main.rs" && !names.contains(&f) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    root
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).expect("write a generated file");
    }
}

/// One compile error, attributed to a program.
#[derive(Debug, Clone)]
struct CompileError {
    program: String,
    /// `macro panic`, `error in generated code`, `rejected`, `generator bug`.
    class: &'static str,
    /// The class and the message with names and numbers blanked: failures with the same
    /// key are one kind.
    key: String,
    message: String,
}

/// The program a span belongs to (`src/p00012.rs` → `p00012`), following macro
/// expansions back to the call site.
fn span_program(span: &serde_json::Value) -> Option<(String, usize)> {
    let file = span["file_name"].as_str().unwrap_or("");
    let name = Path::new(file).file_stem()?.to_string_lossy().to_string();
    if file.starts_with("src/") && name != "main" {
        let line = span["line_start"].as_u64().unwrap_or(0) as usize;
        return Some((name, line));
    }
    span_program(&span["expansion"]["span"])
}

/// Blanks what varies between instances of one kind of error: quoted names, numbers.
fn normalize(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '`' => {
                quoted = !quoted;
                out.push_str(if quoted { "`_" } else { "`" });
            }
            _ if quoted => {}
            c if c.is_ascii_digit() => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// What each line of a program's module file belongs to: `differentiated` (a function
/// under `#[differentiate]`), `oracle` (a `_dual` copy), `adapters` (`PROGRAM`), `plain`
/// (the plain copy); as (first line, kind), in order.
fn regions(root: &Path, name: &str) -> Vec<(usize, &'static str)> {
    let text =
        std::fs::read_to_string(root.join("src").join(format!("{name}.rs"))).unwrap_or_default();
    let mut out = vec![(1, "adapters")];
    let mut plain = false;
    for (k, l) in text.lines().enumerate() {
        let kind = if l.starts_with("// plain copy") {
            plain = true;
            "plain"
        } else if plain {
            continue;
        } else if l.starts_with("#[differentiate]") {
            "differentiated"
        } else if (l.starts_with("fn ") || l.starts_with("pub fn ")) && l.contains("_dual") {
            "oracle"
        } else if l.starts_with("pub const PROGRAM") {
            "adapters"
        } else {
            continue;
        };
        out.push((k + 1, kind));
    }
    out
}

/// Builds the crate at `root` (in `target`), returning the compile errors attributed to
/// programs and whether the build succeeded. `regions` tells, per program, what each line
/// of its file belongs to.
fn build(
    root: &Path,
    target: &Path,
    regions: &BTreeMap<String, Vec<(usize, &'static str)>>,
) -> (Vec<CompileError>, bool) {
    let output = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--message-format=json"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("run cargo build");
    let mut errors = Vec::new();
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] != "compiler-message" || v["message"]["level"] != "error" {
            continue;
        }
        let m = &v["message"];
        let text = m["message"].as_str().unwrap_or("").to_string();
        let code = m["code"]["code"].as_str().map(str::to_string);
        let spans = m["spans"].as_array().cloned().unwrap_or_default();
        let located = spans
            .iter()
            .filter(|s| s["is_primary"] == true)
            .chain(spans.iter())
            .find_map(span_program);
        let Some((program, line)) = located else {
            if !text.starts_with("aborting") && !text.contains("previous error") {
                errors.push(CompileError {
                    program: String::new(),
                    class: "unattributed",
                    key: format!("unattributed: {}", normalize(&text)),
                    message: text,
                });
            }
            continue;
        };
        let region = regions
            .get(&program)
            .and_then(|r| r.iter().rev().find(|(start, _)| *start <= line))
            .map_or("differentiated", |(_, kind)| *kind);
        let class = if region == "plain" {
            "generator bug"
        } else if region == "oracle" {
            "oracle bug"
        } else if region == "adapters" {
            // Usually a consequence (no `f_grad` after a rejection); ranked last.
            "error in adapters"
        } else if text.contains("panicked") {
            "macro panic"
        } else if code.is_some() {
            "error in generated code"
        } else {
            "rejected"
        };
        let rendered = m["rendered"].as_str().unwrap_or(&text).to_string();
        errors.push(CompileError {
            program,
            class,
            key: format!(
                "{class}: {}{}",
                code.map(|c| format!("[{c}] ")).unwrap_or_default(),
                normalize(&text)
            ),
            message: rendered,
        });
    }
    // A program whose plain copy fails is the generator's fault, whatever else it shows.
    let bad: BTreeSet<String> = errors
        .iter()
        .filter(|e| e.class == "generator bug")
        .map(|e| e.program.clone())
        .collect();
    errors.retain(|e| e.class == "generator bug" || !bad.contains(&e.program));
    (errors, output.status.success())
}

/// Runs the crate's binary; returns per program `None` (passed) or `Some((class,
/// detail))`. A program that crashes or hangs the binary is reported as such and skipped
/// on the rerun. A shrinking candidate gets 20 s, not a batch's 300: removing a `break`
/// often makes it loop forever, and the program it came from ran in milliseconds.
fn run(root: &Path, target: &Path, name: &str) -> BTreeMap<String, Option<(String, String)>> {
    let exe = target.join("debug").join(name);
    let seconds = if name == "fuzz_shrink" { "20" } else { "300" };
    let mut results = BTreeMap::new();
    let mut skip: Vec<String> = Vec::new();
    loop {
        let mut child = Command::new("timeout")
            .arg(seconds)
            .arg(&exe)
            .args(&skip)
            .current_dir(root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run the batch");
        let mut out = String::new();
        let mut err = String::new();
        use std::io::Read as _;
        if let Some(mut s) = child.stdout.take() {
            let _ = s.read_to_string(&mut out);
        }
        if let Some(mut s) = child.stderr.take() {
            let _ = s.read_to_string(&mut err);
        }
        let status = child.wait().expect("wait for the batch");
        for line in out.lines() {
            let parts: Vec<&str> = line.splitn(4, '\t').collect();
            match parts.as_slice() {
                ["OK", p, n] => {
                    let n: usize = n.parse().unwrap_or(0);
                    if n > 0 && name == "fuzz_batch" {
                        let mut c = CONVENTION.lock().unwrap_or_else(|e| e.into_inner());
                        c.0 += n;
                        c.1 += 1;
                        c.2.get_or_insert_with(|| p.to_string());
                    }
                    results.insert(p.to_string(), None);
                }
                ["FAIL", p, class, detail] => {
                    results.insert(p.to_string(), Some((class.to_string(), detail.to_string())));
                }
                _ => {}
            }
        }
        if status.success() {
            return results;
        }
        // The last program started did not finish.
        let last = err
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("START "))
            .map(str::to_string);
        match last {
            Some(p) if !results.contains_key(&p) => {
                let class = if status.code() == Some(124) {
                    "hang"
                } else {
                    "crash"
                };
                results.insert(p.clone(), Some((class.into(), format!("{status}"))));
                skip.push(p);
            }
            _ => return results,
        }
    }
}

/// What is wrong with one program: its class, the key of its kind, a detail.
#[derive(Debug, Clone)]
struct Verdict {
    class: String,
    key: String,
    detail: String,
}

/// Builds and runs `programs` in crate `name`; the verdict for each failing program.
fn evaluate(dir: &Path, name: &str, programs: &[Program]) -> (BTreeMap<String, Verdict>, usize) {
    let target = dir.join("target");
    let mut verdicts = BTreeMap::new();
    let mut live: Vec<Program> = programs.to_vec();
    // Rebuild without the programs that fail to compile until the rest compiles (rustc
    // does not report every error of every item in one pass).
    for _ in 0..8 {
        let root = write_crate(dir, name, &live);
        let regions = live
            .iter()
            .map(|p| (p.name.clone(), regions(&root, &p.name)))
            .collect();
        let (errors, ok) = build(&root, &target, &regions);
        if ok {
            break;
        }
        let mut failed = BTreeSet::new();
        // Per program, the most telling error: a panic, then the macro's own error, then
        // the first rustc error in its code, in the oracle's copy, in the adapters.
        let rank = |class: &str| match class {
            "generator bug" => 0,
            "macro panic" => 1,
            "rejected" => 2,
            "error in generated code" => 3,
            "oracle bug" => 4,
            _ => 5,
        };
        for e in &errors {
            if e.program.is_empty() {
                continue;
            }
            failed.insert(e.program.clone());
            let better = verdicts
                .get(&e.program)
                .is_none_or(|v: &Verdict| rank(e.class) < rank(&v.class));
            if better {
                verdicts.insert(
                    e.program.clone(),
                    Verdict {
                        class: e.class.to_string(),
                        key: e.key.clone(),
                        detail: e.message.clone(),
                    },
                );
            }
        }
        if failed.is_empty() {
            let all: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            panic!(
                "the batch crate does not build, for no program:\n{}",
                all.join("\n")
            );
        }
        live.retain(|p| !failed.contains(&p.name));
    }
    let compiled = live.len();
    let root = dir.join(name);
    for (p, r) in run(&root, &target, name) {
        if let Some((class, detail)) = r {
            verdicts.insert(
                p,
                Verdict {
                    key: class.clone(),
                    class,
                    detail,
                },
            );
        }
    }
    (verdicts, compiled)
}

/// The names of `programs` whose plain copy (no `#[differentiate]`) compiles: a variant
/// that does not is no program (rustc may stop at the macro's error before it reports the
/// plain code's, so this is checked apart).
fn plain_ok(dir: &Path, programs: &[Program]) -> BTreeSet<String> {
    let root = dir.join("fuzz_plain");
    let src = root.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).expect("create the crate");
    let manifest = "[package]\nname = \"fuzz_plain\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
                    publish = false\n\n[dependencies]\nnum-traits = \"0.2\"\n\n[workspace]\n";
    write_if_changed(&root.join("Cargo.toml"), manifest);
    let mut main = String::from("#![allow(warnings, clippy::all)]\n");
    for p in programs {
        let _ = writeln!(main, "mod {};", p.name);
        let prelude = if p.style == generator::Style::Generic {
            "use num_traits::Float;\n"
        } else {
            ""
        };
        write_if_changed(
            &src.join(format!("{}.rs", p.name)),
            &format!("{prelude}{}", p.plain_copy()),
        );
    }
    main.push_str("fn main() {}\n");
    write_if_changed(&src.join("main.rs"), &main);
    let (errors, _) = build(&root, &dir.join("target"), &BTreeMap::new());
    let bad: BTreeSet<String> = errors.into_iter().map(|e| e.program).collect();
    programs
        .iter()
        .map(|p| p.name.clone())
        .filter(|n| !bad.contains(n))
        .collect()
}

/// Shrinks `p`, which fails with `key`, to a program none of whose variants fails so.
fn shrink(dir: &Path, p: &Program, key: &str) -> Program {
    let mut best = p.renamed("f");
    for _round in 0..40 {
        let mut variants = best.variants();
        variants.sort_by_key(Program::size);
        variants.dedup_by_key(|v| v.source());
        variants.truncate(120);
        let named: Vec<Program> = variants
            .iter()
            .enumerate()
            .map(|(k, v)| v.renamed(&format!("v{k:04}")))
            .collect();
        let ok = plain_ok(dir, &named);
        let (named, variants): (Vec<Program>, Vec<Program>) = named
            .into_iter()
            .zip(variants)
            .filter(|(n, _)| ok.contains(&n.name))
            .unzip();
        let (verdicts, _) = evaluate(dir, "fuzz_shrink", &named);
        let smaller = named
            .iter()
            .zip(&variants)
            .find(|(n, _)| verdicts.get(&n.name).is_some_and(|v| v.key == key));
        match smaller {
            Some((_, v)) if v.size() < best.size() => best = v.renamed("f"),
            _ => break,
        }
    }
    best
}

fn main() {
    let o = options();
    std::fs::create_dir_all(&o.dir).expect("create the work directory");
    let start = Instant::now();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<String, (usize, String)> = BTreeMap::new();
    // Kinds already in the report (from earlier runs) are not shrunk again.
    let mut shrunk: BTreeMap<String, usize> = BTreeMap::new();
    for line in std::fs::read_to_string(&o.report)
        .unwrap_or_default()
        .lines()
    {
        if let Some(rest) = line.strip_prefix("### ") {
            let key = rest.split(" (first seen in ").next().unwrap_or(rest);
            shrunk.insert(key.to_string(), o.shrink_max);
        }
    }
    let (mut generated, mut compiled) = (0, 0);
    let mut first = o.first;
    while generated < o.count {
        let n = o.batch.min(o.count - generated);
        let programs = generator::programs(o.seed, first, n, &o.cfg);
        let by_name: BTreeMap<String, &Program> =
            programs.iter().map(|p| (p.name.clone(), p)).collect();
        let (verdicts, ok) = evaluate(&o.dir, "fuzz_batch", &programs);
        generated += n;
        compiled += ok;
        first += n;
        for (name, v) in &verdicts {
            *counts.entry(v.class.clone()).or_default() += 1;
            let entry = kinds.entry(v.key.clone()).or_insert((0, name.clone()));
            entry.0 += 1;
            let done = shrunk.entry(v.key.clone()).or_default();
            if o.shrink && *done < o.shrink_max {
                *done += 1;
                let minimal = shrink(&o.dir, by_name[name], &v.key);
                report(&o, name, v, &minimal);
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let passed = compiled - verdicts.values().filter(|v| !is_compile(&v.class)).count();
        println!(
            "[{generated}/{}] programs {first_done}..{first}: {ok} of {n} compiled, \
             {passed} passed so far; {:.2} programs/s",
            o.count,
            generated as f64 / secs,
            first_done = first - n,
        );
        summary(generated, compiled, &counts, &kinds, secs);
    }
}

fn is_compile(class: &str) -> bool {
    matches!(
        class,
        "macro panic"
            | "error in generated code"
            | "rejected"
            | "generator bug"
            | "oracle bug"
            | "error in adapters"
    )
}

/// Points whose gradient was NaN by the README's overflow convention (0 · ∞ in reverse
/// mode where an intermediate overflowed on a path the result does not depend on; see
/// `tests/fuzz/harness.rs`): points, programs, the first program.
static CONVENTION: std::sync::Mutex<(usize, usize, Option<String>)> =
    std::sync::Mutex::new((0, 0, None));

fn summary(
    generated: usize,
    compiled: usize,
    counts: &BTreeMap<String, usize>,
    kinds: &BTreeMap<String, (usize, String)>,
    secs: f64,
) {
    println!("  generated {generated}, compiled {compiled}");
    for (class, n) in counts {
        println!("  {class}: {n}");
    }
    let c = CONVENTION.lock().unwrap_or_else(|e| e.into_inner());
    if c.0 > 0 {
        println!(
            "  NaN by the overflow convention (not failures): {} points in {} programs, first {}",
            c.0,
            c.1,
            c.2.as_deref().unwrap_or("")
        );
    }
    drop(c);
    println!("  kinds (count, first program):");
    for (key, (n, first)) in kinds {
        let key: String = key.chars().take(160).collect();
        println!("    {n:6}  {first}  {key}");
    }
    println!("  {:.0} s, {:.2} programs/s", secs, generated as f64 / secs);
}

fn report(o: &Options, name: &str, v: &Verdict, minimal: &Program) {
    let detail: String = v.detail.chars().take(1500).collect();
    let text = format!(
        "\n### {} (first seen in {name}, seed {})\n\n{}\n\nMinimal program:\n\n```rust\n{}```\n\n\
         Detail of the original failure:\n\n```\n{detail}\n```\n",
        v.key,
        o.seed,
        v.class,
        minimal.source()
    );
    println!("{text}");
    use std::io::Write as _;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&o.report)
    {
        let _ = f.write_all(text.as_bytes());
    }
}
