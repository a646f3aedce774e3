//! Turns criterion's results into the markdown table of the README's Benchmarks section.
//!
//! ```sh
//! cargo bench -p tapeless-benches -- --warm-up-time 2 --measurement-time 5
//! cargo run -p tapeless-benches --bin bench_table              # every workload found
//! cargo run -p tapeless-benches --bin bench_table -- mlp gmm   # only the workloads whose name starts so
//! ```
//!
//! Each criterion group is one workload (one row; a group measured at several parameter
//! values gives one row per value), each benchmark function of the group one column, read
//! from `<group>/<function>[/<value>]/new/estimates.json` (the median's point estimate).
//! The columns are `primal`, `tapeless`, `hand-written`, the peers `reverse`, `num-dual`,
//! `candle`, then the ratios tapeless / primal, tapeless / hand-written and each peer /
//! tapeless; a missing measurement prints `—`. Any other function a group has (a variant
//! such as `hand-literal`) goes into a last column, `other (/ tapeless)`, as its name, time
//! and ratio to tapeless, present only if some group has one. Function names are compared with `_` read as `-`
//! (`hand_written` is `hand-written`); when both spellings were measured, the newer counts.
//!
//! The results are looked for in `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else
//! `target/criterion` of this workspace; `--dir PATH` overrides all three.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Workloads in the order the table lists them first, with the label of their row; the
/// others follow in natural order (`d2` before `d10`), labelled by their group name.
const WORKLOADS: &[(&str, &str)] = &[
    (
        "lecture_f",
        "f(x) = √(x²+e^{x²}) + cos(x²+e^{x²}), 1024 points",
    ),
    ("g_xy", "g(x, y) = 3x²(2y+7), 1024 points"),
    (
        "spring",
        "damped spring, explicit Euler, 1,000 steps (∂/∂k, c, v₀)",
    ),
    ("rosenbrock", "Rosenbrock, n = 1000, `&[f64]`"),
    (
        "mlp",
        "MLP 64→32→10, batch 64, sigmoid, softmax + cross-entropy (2,410 parameters)",
    ),
    (
        "jvp_lecture_f",
        "`f_jvp` of f(x) = √(x²+e^{x²}) + cos(x²+e^{x²}), 1024 points",
    ),
    ("jvp_g_xy", "`f_jvp` of g(x, y) = 3x²(2y+7), 1024 points"),
    ("jvp_spring", "`f_jvp` of the damped spring, 1,000 steps"),
    ("jvp_rosenbrock", "`f_jvp` of Rosenbrock, n = 1000"),
    ("hvp_rosenbrock", "`f_hvp` of Rosenbrock, n ="),
    (
        "hessian_rosenbrock",
        "`f_hessian` of Rosenbrock (dense), n =",
    ),
    (
        "chain_rosenbrock",
        "Rosenbrock, n = 1000: loop (`tapeless`) vs chains",
    ),
    (
        "chain_least_squares",
        "least squares, 1,000 points, ∂/∂(w, b): loop (`tapeless`) vs chain",
    ),
    (
        "call_horner_d8",
        "Horner, 8 coefficients: loop (`tapeless`) vs recursion",
    ),
    (
        "call_horner_d64",
        "Horner, 64 coefficients: loop (`tapeless`) vs recursion",
    ),
    (
        "call_method",
        "tanh least squares, 256 points: inline (`tapeless`) vs a free call vs a method",
    ),
    (
        "unseen_logistic",
        "logistic loss, 512 × 16, loops over `&[f64]`",
    ),
    (
        "unseen_tanh_net",
        "tanh network 16→32→1 on nalgebra, batch 128",
    ),
    (
        "unseen_mixture",
        "1-D mixture of 8 Gaussians, 1,000 points, scratch array per point",
    ),
];

/// The columns every table has, in this order.
const BASE: [&str; 3] = ["primal", "tapeless", "hand-written"];

/// The peers, in this order, after the base columns (always shown).
const PEERS: [&str; 3] = ["reverse", "num-dual", "candle"];

/// One measurement: the median time per iteration in nanoseconds, and when it was taken.
#[derive(Clone, Copy)]
struct Measurement {
    nanoseconds: f64,
    taken: SystemTime,
}

/// A workload (a group, and the parameter value if the group was measured at several).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Workload {
    group: String,
    value: Option<String>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut filters = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("usage: bench_table [--dir CRITERION_DIR] [WORKLOAD_PREFIX ...]");
                return;
            }
            _ => filters.push(arg),
        }
    }
    let dir = dir.unwrap_or_else(criterion_dir);
    let mut found = Vec::new();
    collect(&dir, &mut found);
    if found.is_empty() {
        eprintln!(
            "no criterion results under {} (run `cargo bench` first, or pass --dir)",
            dir.display()
        );
        std::process::exit(1);
    }
    found.retain(|(group, ..)| {
        filters.is_empty() || filters.iter().any(|f| group.starts_with(f.as_str()))
    });
    print!("{}", table(&found));
}

/// Where criterion wrote its results (see the module documentation).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("criterion")
}

/// Every `new/` measurement under `dir`: (group, function, parameter value, measurement).
fn collect(dir: &Path, found: &mut Vec<(String, String, Option<String>, Measurement)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|name| name == "new") {
            if let Some(measurement) = read(&path) {
                found.push(measurement);
            }
        } else {
            collect(&path, found);
        }
    }
}

/// The measurement in one `new/` directory, if it has a readable median.
fn read(dir: &Path) -> Option<(String, String, Option<String>, Measurement)> {
    let json = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).ok()?).ok()
    };
    let benchmark = json("benchmark.json")?;
    let estimates = json("estimates.json")?;
    let group = benchmark["group_id"].as_str()?.to_string();
    let function = benchmark["function_id"].as_str()?.replace('_', "-");
    let value = benchmark["value_str"].as_str().map(str::to_string);
    let nanoseconds = estimates["median"]["point_estimate"].as_f64()?;
    let taken = std::fs::metadata(dir.join("estimates.json"))
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    Some((group, function, value, Measurement { nanoseconds, taken }))
}

/// The markdown table of `found`.
fn table(found: &[(String, String, Option<String>, Measurement)]) -> String {
    // Parameter values per group: a group measured at one value is one row.
    let mut values: BTreeMap<&str, Vec<&Option<String>>> = BTreeMap::new();
    for (group, _, value, _) in found {
        let list = values.entry(group).or_default();
        if !list.contains(&value) {
            list.push(value);
        }
    }
    let mut rows: BTreeMap<Workload, BTreeMap<String, Measurement>> = BTreeMap::new();
    for (group, function, value, measurement) in found {
        let workload = Workload {
            group: group.clone(),
            value: if values[group.as_str()].len() > 1 {
                value.clone()
            } else {
                None
            },
        };
        let row = rows.entry(workload).or_default();
        match row.get(function) {
            Some(old) if old.taken >= measurement.taken => {}
            _ => {
                row.insert(function.clone(), *measurement);
            }
        }
    }

    let mut others: Vec<&str> = rows
        .values()
        .flat_map(|row| row.keys())
        .map(String::as_str)
        .filter(|f| !BASE.contains(f) && !PEERS.contains(f))
        .collect();
    others.sort_unstable();
    others.dedup();
    let columns: Vec<&str> = BASE.iter().copied().chain(PEERS).collect();

    let mut order: Vec<&Workload> = rows.keys().collect();
    order.sort_by(|a, b| workload_order(a, b));

    let mut out = String::new();
    let mut header = vec!["workload".to_string()];
    header.extend(columns.iter().map(|c| c.to_string()));
    header.push("tapeless / primal".into());
    header.push("tapeless / hand-written".into());
    header.extend(PEERS.iter().map(|c| format!("{c} / tapeless")));
    if !others.is_empty() {
        header.push("other (/ tapeless)".into());
    }
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for workload in order {
        let row = &rows[workload];
        let time = |f: &str| row.get(f).map(|m| m.nanoseconds);
        let mut cells = vec![label(workload)];
        cells.extend(
            columns
                .iter()
                .map(|&c| time(c).map_or("—".into(), duration)),
        );
        let tapeless = time("tapeless");
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format_ratio(a / b),
            _ => "—".into(),
        };
        cells.push(ratio(tapeless, time("primal")));
        let against_hand = ratio(tapeless, time("hand-written"));
        cells.push(if against_hand == "—" {
            against_hand
        } else {
            format!("**{against_hand}**")
        });
        cells.extend(PEERS.iter().map(|&c| ratio(time(c), tapeless)));
        if !others.is_empty() {
            let extra: Vec<String> = others
                .iter()
                .filter_map(|&c| {
                    let t = time(c)?;
                    Some(format!(
                        "{c} {} ({})",
                        duration(t),
                        ratio(Some(t), tapeless)
                    ))
                })
                .collect();
            cells.push(if extra.is_empty() {
                "—".into()
            } else {
                extra.join(", ")
            });
        }
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// The fixed workloads first, in their order, then the others in natural order.
fn workload_order(a: &Workload, b: &Workload) -> Ordering {
    let rank = |w: &Workload| {
        WORKLOADS
            .iter()
            .position(|(group, _)| *group == w.group)
            .unwrap_or(WORKLOADS.len())
    };
    rank(a)
        .cmp(&rank(b))
        .then_with(|| natural(&a.group, &b.group))
        .then_with(|| match (&a.value, &b.value) {
            (Some(x), Some(y)) => natural(x, y),
            _ => a.value.cmp(&b.value),
        })
}

/// Compares strings with their runs of digits as numbers (`d2_K5` < `d10_K25`).
fn natural(a: &str, b: &str) -> Ordering {
    let chunks = |s: &str| -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, run)) if *d == digit => run.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    };
    let (x, y) = (chunks(a), chunks(b));
    for ((dx, cx), (dy, cy)) in x.iter().zip(&y) {
        let order = if *dx && *dy {
            let (tx, ty) = (cx.trim_start_matches('0'), cy.trim_start_matches('0'));
            tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
        } else {
            cx.cmp(cy)
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    x.len().cmp(&y.len()).then_with(|| a.cmp(b))
}

/// The row label: the fixed description, or the group name (and the parameter value).
fn label(workload: &Workload) -> String {
    let name = WORKLOADS
        .iter()
        .find(|(group, _)| *group == workload.group)
        .map_or_else(|| format!("`{}`", workload.group), |(_, l)| l.to_string());
    match &workload.value {
        // A label ending in `=` reads the value as its right-hand side (`n = 10`).
        Some(value) if name.ends_with('=') => format!("{name} {value}"),
        Some(value) => format!("{name} ({value})"),
        None => name,
    }
}

/// A duration in nanoseconds with three significant digits and a unit.
fn duration(nanoseconds: f64) -> String {
    let (value, unit) = if nanoseconds < 1e3 {
        (nanoseconds, "ns")
    } else if nanoseconds < 1e6 {
        (nanoseconds / 1e3, "µs")
    } else if nanoseconds < 1e9 {
        (nanoseconds / 1e6, "ms")
    } else {
        (nanoseconds / 1e9, "s")
    };
    format!("{} {unit}", significant(value))
}

/// A ratio: two decimals below 10, three significant digits above.
fn format_ratio(ratio: f64) -> String {
    if ratio < 10.0 {
        format!("{ratio:.2}")
    } else {
        significant(ratio)
    }
}

/// Three significant digits (whole numbers from 1000 up).
fn significant(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}
