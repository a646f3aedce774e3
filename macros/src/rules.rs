//! The derivative rule table: one row per primitive (operator, method, known function).
//!
//! A row names the primitive, its arguments (receiver first, as in the Rust signature)
//! and which of them carry a derivative. The reverse sweep emits, for each active argument
//! `a` of a primitive `op`, a call to the runtime helper
//! `::tapeless::__private::{helper}_vjp_{a}` — or `{helper}_vjp` when the primitive has one
//! argument — with the signature described in `tapeless-runtime`'s documentation. The
//! runtime implements each helper once per type family (scalars now; vectors and matrices
//! through traits), so the macro never needs to know types.
//!
//! Adding a primitive is adding a row here and its helper (with a property test) in the
//! runtime.

use syn::{BinOp, UnOp};

#[derive(Debug)]
pub struct Rule {
    /// The method or function name (`sin`), or the operator's name (`mul`).
    pub name: &'static str,
    /// Argument names, receiver first: the suffix of each argument's helper.
    pub args: &'static [&'static str],
    /// Which arguments carry a derivative. A row with none is a primitive whose result
    /// carries no derivative (comparisons, `floor`): it never gets adjoint code.
    pub differentiable: &'static [bool],
    /// The runtime helper's stem (usually `name`).
    pub helper: &'static str,
}

impl Rule {
    /// The runtime helper that accumulates the adjoint of argument `index`.
    pub fn helper_for(&self, index: usize) -> String {
        if self.args.len() == 1 {
            format!("{}_vjp", self.helper)
        } else {
            format!("{}_vjp_{}", self.helper, self.args[index])
        }
    }

    pub fn has_derivative(&self) -> bool {
        self.differentiable.contains(&true)
    }
}

const fn rule(
    name: &'static str,
    args: &'static [&'static str],
    differentiable: &'static [bool],
) -> Rule {
    Rule {
        name,
        args,
        differentiable,
        helper: name,
    }
}

const UNARY: &[&str] = &["self"];
const BINARY: &[&str] = &["self", "other"];
const D1: &[bool] = &[true];
const D2: &[bool] = &[true, true];
const NONE1: &[bool] = &[false];
const NONE2: &[bool] = &[false, false];

/// Float methods, callable as `x.name(..)` or `f64::name(x, ..)`.
static METHODS: &[Rule] = &[
    rule("sin", UNARY, D1),
    rule("cos", UNARY, D1),
    rule("tan", UNARY, D1),
    rule("asin", UNARY, D1),
    rule("acos", UNARY, D1),
    rule("atan", UNARY, D1),
    rule("sinh", UNARY, D1),
    rule("cosh", UNARY, D1),
    rule("tanh", UNARY, D1),
    rule("asinh", UNARY, D1),
    rule("acosh", UNARY, D1),
    rule("atanh", UNARY, D1),
    rule("exp", UNARY, D1),
    rule("exp2", UNARY, D1),
    rule("exp_m1", UNARY, D1),
    rule("ln", UNARY, D1),
    rule("ln_1p", UNARY, D1),
    rule("log10", UNARY, D1),
    rule("log2", UNARY, D1),
    rule("sqrt", UNARY, D1),
    rule("cbrt", UNARY, D1),
    rule("recip", UNARY, D1),
    rule("abs", UNARY, D1),
    rule("to_degrees", UNARY, D1),
    rule("to_radians", UNARY, D1),
    rule("fract", UNARY, D1),
    rule("log", &["self", "base"], D2),
    rule("powf", &["self", "n"], D2),
    rule("powi", &["self", "n"], &[true, false]),
    rule("atan2", BINARY, D2),
    rule("hypot", BINARY, D2),
    rule("max", BINARY, D2),
    rule("min", BINARY, D2),
    rule("clamp", &["self", "min", "max"], &[true, true, true]),
    rule("mul_add", &["self", "a", "b"], &[true, true, true]),
    // Piecewise constant, or not a number: the derivative is zero wherever it exists.
    rule("signum", UNARY, NONE1),
    rule("floor", UNARY, NONE1),
    rule("ceil", UNARY, NONE1),
    rule("round", UNARY, NONE1),
    rule("round_ties_even", UNARY, NONE1),
    rule("trunc", UNARY, NONE1),
    rule("is_nan", UNARY, NONE1),
    rule("is_finite", UNARY, NONE1),
    rule("is_infinite", UNARY, NONE1),
    rule("is_normal", UNARY, NONE1),
    rule("is_sign_positive", UNARY, NONE1),
    rule("is_sign_negative", UNARY, NONE1),
    rule("total_cmp", BINARY, NONE2),
    rule("partial_cmp", BINARY, NONE2),
];

static ADD: Rule = rule("add", &["lhs", "rhs"], D2);
static SUB: Rule = rule("sub", &["lhs", "rhs"], D2);
static MUL: Rule = rule("mul", &["lhs", "rhs"], D2);
static DIV: Rule = rule("div", &["lhs", "rhs"], D2);
static REM: Rule = rule("rem", &["lhs", "rhs"], D2);
static NEG: Rule = rule("neg", UNARY, D1);
/// `*x` for a reference to a float: the identity.
static DEREF: Rule = Rule {
    name: "deref",
    args: UNARY,
    differentiable: D1,
    helper: "identity",
};
/// `x as f32`, `x as f64`.
static CAST: Rule = rule("cast", UNARY, D1);
/// Comparisons, bit operations, `!`, casts to integers: no derivative.
static NO_DERIVATIVE_UNARY: Rule = rule("no derivative", UNARY, NONE1);
static NO_DERIVATIVE_BINARY: Rule = rule("no derivative", &["lhs", "rhs"], NONE2);

/// The rule for a binary operator, `None` for `&&` and `||` (they short-circuit, so they
/// are not lowered as operations on two evaluated operands).
pub fn binary(op: &BinOp) -> Option<&'static Rule> {
    Some(match op {
        BinOp::Add(_) => &ADD,
        BinOp::Sub(_) => &SUB,
        BinOp::Mul(_) => &MUL,
        BinOp::Div(_) => &DIV,
        BinOp::Rem(_) => &REM,
        BinOp::And(_) | BinOp::Or(_) => return None,
        _ => &NO_DERIVATIVE_BINARY,
    })
}

/// The rule for the operator of a compound assignment (`x += e` is `x = x + e`).
pub fn compound_assign(op: &BinOp) -> Option<&'static Rule> {
    Some(match op {
        BinOp::AddAssign(_) => &ADD,
        BinOp::SubAssign(_) => &SUB,
        BinOp::MulAssign(_) => &MUL,
        BinOp::DivAssign(_) => &DIV,
        BinOp::RemAssign(_) => &REM,
        _ => return None,
    })
}

/// The plain operator of a compound assignment (`+=` gives `+`).
pub fn plain_operator(op: &BinOp) -> Option<BinOp> {
    use syn::Token;
    let span = proc_macro2::Span::call_site();
    Some(match op {
        BinOp::AddAssign(_) => BinOp::Add(Token![+](span)),
        BinOp::SubAssign(_) => BinOp::Sub(Token![-](span)),
        BinOp::MulAssign(_) => BinOp::Mul(Token![*](span)),
        BinOp::DivAssign(_) => BinOp::Div(Token![/](span)),
        BinOp::RemAssign(_) => BinOp::Rem(Token![%](span)),
        _ => return None,
    })
}

pub fn unary(op: &UnOp) -> &'static Rule {
    match op {
        UnOp::Neg(_) => &NEG,
        UnOp::Deref(_) => &DEREF,
        _ => &NO_DERIVATIVE_UNARY,
    }
}

/// The rule for `x.name(..)` / `f64::name(x, ..)` with `argc` arguments, receiver included.
pub fn method(name: &str, argc: usize) -> Option<&'static Rule> {
    METHODS
        .iter()
        .find(|r| r.name == name && r.args.len() == argc)
}

/// The rule for `e as ty`: differentiable into a float type, inert into anything else.
pub fn cast(to_float: bool) -> &'static Rule {
    if to_float {
        &CAST
    } else {
        &NO_DERIVATIVE_UNARY
    }
}

/// Names of all float methods with a rule, for error messages.
pub fn method_names() -> impl Iterator<Item = &'static str> {
    METHODS
        .iter()
        .filter(|r| r.has_derivative())
        .map(|r| r.name)
}
