//! ADBench bundle adjustment: the input files and the sparse Jacobian they are timed on
//! (`benches/data/adbench/FORMATS.md` §2). Shared by `tests/adbench_ba.rs` and
//! `benches/ba.rs` through `#[path]`.
//!
//! A file stores one camera, one point, one weight and one feature; the problem of the size
//! in its first line is built by replicating them, exactly as ADBench does: `p`
//! observations, observation `i` linking camera `i mod n` to point `i mod m`.

use std::path::PathBuf;

/// Parameters per camera: rotation (3), centre (3), focal length, principal point (2),
/// radial distortion (2).
pub const CAM_PARAMS: usize = 11;

/// Non-zeros in one reprojection row: the camera, the point and the weight.
pub const REPROJ_ROW_NNZ: usize = CAM_PARAMS + 3 + 1;

/// A bundle adjustment problem, replicated from its file.
#[derive(Debug, Clone, PartialEq)]
pub struct BaInput {
    /// Cameras, points, observations.
    pub n: usize,
    pub m: usize,
    pub p: usize,
    pub cams: Vec<[f64; CAM_PARAMS]>,
    pub x: Vec<[f64; 3]>,
    pub w: Vec<f64>,
    pub feats: Vec<[f64; 2]>,
    /// `obs[i] = [camera, point]` of observation `i`.
    pub obs: Vec<[usize; 2]>,
}

/// Parses a BA file (whitespace-separated tokens; line breaks carry no meaning).
///
/// # Panics
///
/// On a malformed file: this is test and benchmark support, not a library parser.
pub fn parse(text: &str) -> BaInput {
    let mut tokens = text.split_whitespace();
    let mut int = || -> usize {
        let t = tokens.next().expect("BA file: missing integer");
        t.parse().unwrap_or_else(|e| panic!("BA file: {t:?}: {e}"))
    };
    let (n, m, p) = (int(), int(), int());
    let mut float = || -> f64 {
        let t = tokens.next().expect("BA file: missing number");
        t.parse().unwrap_or_else(|e| panic!("BA file: {t:?}: {e}"))
    };
    let cam: [f64; CAM_PARAMS] = std::array::from_fn(|_| float());
    let x: [f64; 3] = std::array::from_fn(|_| float());
    let w = float();
    let feat: [f64; 2] = std::array::from_fn(|_| float());
    assert!(tokens.next().is_none(), "BA file: trailing tokens");
    BaInput {
        n,
        m,
        p,
        cams: vec![cam; n],
        x: vec![x; m],
        w: vec![w; p],
        feats: vec![feat; p],
        obs: (0..p).map(|i| [i % n, i % m]).collect(),
    }
}

/// The path of `benches/data/adbench/ba/<name>`.
pub fn data_path(name: &str) -> PathBuf {
    // This file is compiled into the root package's tests and into the `tapeless-benches`
    // package, whose manifest is in `benches/`.
    let root = if env!("CARGO_PKG_NAME") == "tapeless-benches" {
        concat!(env!("CARGO_MANIFEST_DIR"), "/..")
    } else {
        env!("CARGO_MANIFEST_DIR")
    };
    [root, "benches/data/adbench/ba", name].iter().collect()
}

/// Reads and parses `benches/data/adbench/ba/<name>`.
pub fn load(name: &str) -> BaInput {
    let path = data_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    parse(&text)
}

/// ADBench's sparse BA Jacobian in CSR form: `3p` rows (two reprojection rows per
/// observation, then one weight row per observation) and `11n + 3m + p` columns.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseJacobian {
    pub nrows: usize,
    pub ncols: usize,
    /// Row pointers: `nrows + 1` entries, starting at 0.
    pub rows: Vec<usize>,
    /// Column of each non-zero, row by row.
    pub cols: Vec<usize>,
    /// Value of each non-zero, row by row.
    pub vals: Vec<f64>,
    /// First point column (`11n`) and first weight column (`11n + 3m`).
    point_base: usize,
    weight_base: usize,
}

impl SparseJacobian {
    /// An empty Jacobian with room for the `31p` non-zeros of `input`.
    pub fn new(input: &BaInput) -> Self {
        let nnz = (2 * REPROJ_ROW_NNZ + 1) * input.p;
        let mut jacobian = SparseJacobian {
            nrows: 3 * input.p,
            ncols: CAM_PARAMS * input.n + 3 * input.m + input.p,
            rows: Vec::with_capacity(3 * input.p + 1),
            cols: Vec::with_capacity(nnz),
            vals: Vec::with_capacity(nnz),
            point_base: CAM_PARAMS * input.n,
            weight_base: CAM_PARAMS * input.n + 3 * input.m,
        };
        jacobian.clear();
        jacobian
    }

    /// Removes every row (keeping the allocations), as ADBench does before each fill.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.cols.clear();
        self.vals.clear();
        self.rows.push(0);
    }

    /// Appends the two reprojection rows of observation `obs` (camera `cam`, point `pt`):
    /// `block[k]` is row `k` (x, then y) over the camera's 11 columns, the point's 3 and
    /// the observation's weight.
    pub fn insert_reproj_err_block(
        &mut self,
        obs: usize,
        cam: usize,
        pt: usize,
        block: &[[f64; REPROJ_ROW_NNZ]; 2],
    ) {
        let point_col = self.point_base + 3 * pt;
        let weight_col = self.weight_base + obs;
        for row in block {
            let end = self.rows[self.rows.len() - 1] + REPROJ_ROW_NNZ;
            self.rows.push(end);
            self.cols
                .extend((0..CAM_PARAMS).map(|k| CAM_PARAMS * cam + k));
            self.cols.extend(point_col..point_col + 3);
            self.cols.push(weight_col);
            self.vals.extend_from_slice(row);
        }
    }

    /// Appends the weight row of observation `obs`: one non-zero, `value`.
    pub fn insert_w_err_block(&mut self, obs: usize, value: f64) {
        let end = self.rows[self.rows.len() - 1] + 1;
        self.rows.push(end);
        self.cols.push(self.weight_base + obs);
        self.vals.push(value);
    }

    /// Entry `(row, col)`, 0 where nothing is stored.
    pub fn get(&self, row: usize, col: usize) -> f64 {
        (self.rows[row]..self.rows[row + 1])
            .find(|&k| self.cols[k] == col)
            .map_or(0.0, |k| self.vals[k])
    }
}
