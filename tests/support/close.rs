//! Element-wise comparison of a computed vector against an oracle's.

/// Each `got[k]` within `tol · (1 + |want[k]|)` of `want[k]`.
pub fn close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{k}]: {g} against {w}"
        );
    }
}
