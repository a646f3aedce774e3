// An `if` in a differentiated function: control flow is not supported yet (it is planned);
// for now write straight-line code, e.g. `x.max(0.0)` for a ReLU.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

fn main() {}
