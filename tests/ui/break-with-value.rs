// `break` with a value (`let y = loop { .. break v; }`): a loop used as a value is not
// supported; assign the value to a variable declared before the loop, then `break`.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let mut y = x;
    let z = loop {
        y = y * 1.5;
        if y > 10.0 {
            break y * 2.0;
        }
    };
    z
}

fn main() {}
