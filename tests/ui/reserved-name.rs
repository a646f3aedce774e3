// Names starting with `__tapeless` are the generated code's own placeholders: a variable
// of the user's with such a name could be confused with one of them, so it is rejected.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let __tapeless_value = x * 2.0;
    __tapeless_value + x
}

fn main() {}
