// `l.forward(h)` on the element of a loop over a slice of structs: a differentiated method
// is called on `self` or on a field (`self.layer.forward(h)`, `p.layer.forward(h)`); index
// the layers' fields instead, or write the layer as a free `#[differentiate]` function
// called as `forward(&layers[i], h)`.
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
struct Dense {
    w: f64,
}

#[differentiate]
impl Dense {
    #[differentiate]
    fn forward(&self, x: f64) -> f64 {
        (self.w * x).tanh()
    }
}

#[differentiate]
fn f(layers: &[Dense], x: f64) -> f64 {
    let mut h = x;
    for l in layers {
        h = l.forward(h);
    }
    h
}

fn main() {}
