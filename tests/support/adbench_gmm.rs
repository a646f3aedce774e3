//! Reader for ADBench's Gaussian-mixture input files (`benches/data/adbench/gmm/`), shared
//! by `tests/adbench_gmm.rs` and `benches/gmm.rs` through `#[path = ...] mod adbench_gmm;`.
//!
//! The layout is described in `benches/data/adbench/FORMATS.md` §1.1: a stream of
//! whitespace-separated tokens (line breaks carry no meaning), `d K n`, then `alpha` (K),
//! `mu` (K·d, component-major), `icf` (K·d(d+1)/2, component-major), the points `x`
//! (n·d, point-major) and the Wishart hyper-parameters `gamma m`.

// Each crate that includes this file uses a different part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::str::SplitAsciiWhitespace;

/// The problems of `benches/gmm.rs` (and the JAX peer's), (d, K): ADBench's 1k-point files.
pub const SIZES: [(usize, usize); 12] = [
    (2, 5),
    (2, 25),
    (2, 50),
    (10, 5),
    (10, 25),
    (10, 50),
    (20, 5),
    (20, 25),
    (20, 50),
    (64, 5),
    (64, 25),
    (64, 50),
];

/// One GMM problem, as stored in the file (flat, row-major vectors).
#[derive(Debug, Clone, PartialEq)]
pub struct GmmInput {
    /// Dimension of the points.
    pub d: usize,
    /// Number of mixture components.
    pub k: usize,
    /// Number of points.
    pub n: usize,
    /// Mixture weights before the softmax, K values.
    pub alphas: Vec<f64>,
    /// Component means, K·d values (row k is the mean of component k).
    pub means: Vec<f64>,
    /// Inverse-covariance factors, K·d(d+1)/2 values: row k is the log-diagonal of Q_k (d
    /// values) followed by its strictly lower triangle, column by column.
    pub icf: Vec<f64>,
    /// The points, n·d values (row i is point i).
    pub x: Vec<f64>,
    /// Wishart prior γ.
    pub wishart_gamma: f64,
    /// Wishart prior m (an integer in ADBench).
    pub wishart_m: usize,
}

impl GmmInput {
    /// The number of inverse-covariance factors per component, d(d+1)/2.
    pub fn icf_len(&self) -> usize {
        self.d * (self.d + 1) / 2
    }
}

/// `benches/data/adbench`, the directory of the copied ADBench files.
pub fn data_dir() -> PathBuf {
    workspace_root().join("benches/data/adbench")
}

/// The repository's root: this file is compiled into the root package's tests and into the
/// `tapeless-benches` package, whose manifest is in `benches/`.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if env!("CARGO_PKG_NAME") == "tapeless-benches" {
        manifest.join("..")
    } else {
        manifest.to_path_buf()
    }
}

/// The path of the 1k-point problem with dimension `d` and `k` components.
pub fn gmm_1k_path(d: usize, k: usize) -> PathBuf {
    data_dir().join(format!("gmm/1k/gmm_d{d}_K{k}.txt"))
}

/// Reads and parses a GMM file.
///
/// # Panics
///
/// If the file cannot be read or is malformed (see [`parse_gmm`]).
pub fn read_gmm(path: &Path) -> GmmInput {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_gmm(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses the text of a GMM file. The whole stream must be consumed: a trailing token is an
/// error, as is a missing one.
pub fn parse_gmm(text: &str) -> Result<GmmInput, String> {
    let mut tokens = Tokens {
        inner: text.split_ascii_whitespace(),
        read: 0,
    };
    let d = tokens.integer("d")?;
    let k = tokens.integer("K")?;
    let n = tokens.integer("n")?;
    let icf_len = d * (d + 1) / 2;
    let alphas = tokens.floats("alpha", k)?;
    let means = tokens.floats("mu", k * d)?;
    let icf = tokens.floats("icf", k * icf_len)?;
    let x = tokens.floats("x", n * d)?;
    let wishart_gamma = tokens.float("gamma")?;
    let wishart_m = tokens.integer("m")?;
    if let Some(extra) = tokens.inner.next() {
        return Err(format!(
            "unexpected token {extra:?} after {} tokens",
            tokens.read
        ));
    }
    Ok(GmmInput {
        d,
        k,
        n,
        alphas,
        means,
        icf,
        x,
        wishart_gamma,
        wishart_m,
    })
}

/// The token stream, counting what it has read for error messages.
struct Tokens<'a> {
    inner: SplitAsciiWhitespace<'a>,
    read: usize,
}

impl Tokens<'_> {
    fn next(&mut self, what: &str) -> Result<&str, String> {
        let token = self
            .inner
            .next()
            .ok_or_else(|| format!("end of input reading {what} (token {})", self.read))?;
        self.read += 1;
        Ok(token)
    }

    fn integer(&mut self, what: &str) -> Result<usize, String> {
        let token = self.next(what)?;
        token
            .parse()
            .map_err(|e| format!("{what}: {token:?} is not an integer ({e})"))
    }

    fn float(&mut self, what: &str) -> Result<f64, String> {
        let token = self.next(what)?;
        token
            .parse()
            .map_err(|e| format!("{what}: {token:?} is not a number ({e})"))
    }

    fn floats(&mut self, what: &str, count: usize) -> Result<Vec<f64>, String> {
        (0..count).map(|_| self.float(what)).collect()
    }
}
