// The user's own module `nn` has a function `sigmoid` (here x², not the logistic
// function). `#[differentiate]` takes a call whose path ends in `nn::sigmoid` for
// tapeless's `nn::sigmoid` and would use its derivative; the generated code checks that the
// path names tapeless's function, so this is a compile error at the call (it once gave the
// gradient −72 at x = 3 instead of 6). The fix: call tapeless's function, or rename yours.
use tapeless::differentiate;

mod nn {
    pub fn sigmoid(x: f64) -> f64 {
        x * x
    }
}

#[differentiate]
fn f(x: f64) -> f64 {
    nn::sigmoid(x)
}

fn main() {}
