// An `impl` block with a lifetime (or const) parameter: generic `impl` blocks over float
// types are differentiated, these are not. One error at the parameter, and the block's
// methods stay as written (no further errors from generated code); write the block for a
// struct that owns its data, or the method as a free function.
use tapeless::differentiate;

pub struct Window<'a> {
    pub xs: &'a [f64],
}

#[differentiate]
impl<'a> Window<'a> {
    #[differentiate]
    fn energy(&self, k: f64) -> f64 {
        k * self.xs.iter().map(|x| x * x).sum::<f64>()
    }
}

fn main() {
    let xs = [1.0, 2.0];
    let _ = Window { xs: &xs }.energy(1.0);
}
