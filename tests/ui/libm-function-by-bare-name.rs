// `lgamma(a)` after `use libm::lgamma;`: #[differentiate] cannot see `use` items, so a bare
// name is taken for a function of the user's own, differentiated through its `lgamma_vjp`,
// which does not exist. The error names the function and the path that has the rule:
// `libm::lgamma(a)` (the second unseen corpus's `beta_binomial`).
use libm::lgamma;
use tapeless::differentiate;

#[differentiate]
pub fn ln_beta(a: f64, b: f64) -> f64 {
    lgamma(a) + lgamma(b) - lgamma(a + b)
}

fn main() {}
