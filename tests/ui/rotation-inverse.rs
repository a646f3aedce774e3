// A rotation's `inverse()` has no rule: its transpose is its inverse, and has one. The
// message says to write `r.transpose()`.
use nalgebra::{Rotation3, Vector3};
use tapeless::differentiate;

#[differentiate]
fn undo(yaw: f64, v: &Vector3<f64>) -> f64 {
    let r = Rotation3::from_euler_angles(0.0, 0.0, yaw);
    (r.inverse() * v).x
}

fn main() {}
