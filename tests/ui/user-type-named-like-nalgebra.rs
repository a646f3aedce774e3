// The user's own type `Vector3` with a `new(x, y, z)`: `#[differentiate]` takes
// `Vector3::new(..)` with a non-literal argument for nalgebra's fixed-size constructor and
// builds it as `Vector3::zeros()` written by index, so a type of one's own named like
// nalgebra's (`Vector2`..`Vector6`, `RowVectorN`, `MatrixN`, `MatrixRxC`) is a compile error
// at the call. Rename it (`Vec3`), or build it outside the differentiated function.
use tapeless::differentiate;

#[derive(Clone, Copy)]
pub struct Vector3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl Vector3 {
    pub fn new(x: f64, y: f64, z: f64) -> Self {
        Vector3 { x, y, z }
    }
}

#[differentiate]
fn f(x: f64, g: usize) -> f64 {
    let gravity = Vector3::new(0.0, 0.0, -(g as f64));
    x * gravity.z
}

fn main() {}
