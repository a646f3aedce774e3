//! The derivative rule table: one row per primitive (operator, method, known function).
//!
//! A row names the primitive and its arguments (receiver first, as in the Rust signature)
//! and says, for each argument, whether it carries a derivative and which primal values its
//! VJP reads: arguments (`A`, `B`, `C`) or the output (`Y`). For each active argument `a`
//! of a primitive `op` the reverse sweep emits
//!
//! ```text
//! ::tapeless::__private::{op}_vjp_{a}(&mut d_a, &needed_0, .., &needed_k, &d_y)
//! ```
//!
//! (`{op}_vjp` when only one argument carries a derivative), and the runtime implements
//! each helper per type family (scalars now; vectors and matrices through traits), so the
//! macro needs no types. Listing exactly what a rule reads lets a loop keep only those
//! values: `s += t` reads nothing, so an accumulator costs no memory per iteration.
//!
//! Adding a primitive is adding a row here and its helper (with a property test) in the
//! runtime.

use syn::{BinOp, UnOp};

/// A primal value a VJP reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The argument at this position.
    Arg(usize),
    /// The operation's result.
    Out,
}

const A: Need = Need::Arg(0);
const B: Need = Need::Arg(1);
const C: Need = Need::Arg(2);
const Y: Need = Need::Out;

#[derive(Debug)]
pub struct Rule {
    /// The method or function name (`sin`), or the operator's name (`mul`).
    pub name: &'static str,
    /// Argument names, receiver first: the suffix of each argument's helper.
    pub args: &'static [&'static str],
    /// Per argument: `None` if it carries no derivative, else the values its VJP reads.
    /// A row where no argument carries one is a primitive whose result is never active.
    pub vjp: &'static [Option<&'static [Need]>],
    /// The runtime helper's stem (usually `name`).
    pub helper: &'static str,
    /// The result is a scalar whatever the arguments (`dot`, `norm`, `sum`): used by value.
    pub scalar_result: bool,
}

impl Rule {
    /// The runtime helper that accumulates the adjoint of argument `index`.
    pub fn helper_for(&self, index: usize) -> String {
        if self.vjp.iter().filter(|v| v.is_some()).count() == 1 {
            format!("{}_vjp", self.helper)
        } else {
            format!("{}_vjp_{}", self.helper, self.args[index])
        }
    }

    pub fn differentiable(&self, index: usize) -> bool {
        self.vjp.get(index).is_some_and(Option::is_some)
    }

    pub fn has_derivative(&self) -> bool {
        self.vjp.iter().any(Option::is_some)
    }

    /// The values the VJP of argument `index` reads.
    pub fn needs(&self, index: usize) -> &'static [Need] {
        self.vjp.get(index).copied().flatten().unwrap_or(&[])
    }
}

const fn rule(
    name: &'static str,
    args: &'static [&'static str],
    vjp: &'static [Option<&'static [Need]>],
) -> Rule {
    Rule {
        name,
        args,
        vjp,
        helper: name,
        scalar_result: false,
    }
}

/// A row whose result is a scalar (a reduction of a vector or matrix).
const fn reduction(
    name: &'static str,
    args: &'static [&'static str],
    vjp: &'static [Option<&'static [Need]>],
) -> Rule {
    Rule {
        scalar_result: true,
        ..rule(name, args, vjp)
    }
}

const UNARY: &[&str] = &["self"];
const BINARY: &[&str] = &["self", "other"];
const OPERANDS: &[&str] = &["lhs", "rhs"];
const READS_X: &[Option<&[Need]>] = &[Some(&[A])];
const READS_Y: &[Option<&[Need]>] = &[Some(&[Y])];
const READS_NOTHING: &[Option<&[Need]>] = &[Some(&[])];
const READ_BOTH: &[Option<&[Need]>] = &[Some(&[A, B]), Some(&[A, B])];
const NONE1: &[Option<&[Need]>] = &[None];
const NONE2: &[Option<&[Need]>] = &[None, None];

/// Float methods, callable as `x.name(..)` or `f64::name(x, ..)`.
static METHODS: &[Rule] = &[
    rule("sin", UNARY, READS_X),
    rule("cos", UNARY, READS_X),
    rule("tan", UNARY, READS_Y),
    rule("asin", UNARY, READS_X),
    rule("acos", UNARY, READS_X),
    rule("atan", UNARY, READS_X),
    rule("sinh", UNARY, READS_X),
    rule("cosh", UNARY, READS_X),
    rule("tanh", UNARY, READS_Y),
    rule("asinh", UNARY, READS_X),
    rule("acosh", UNARY, READS_X),
    rule("atanh", UNARY, READS_X),
    rule("exp", UNARY, READS_Y),
    rule("exp2", UNARY, READS_Y),
    rule("exp_m1", UNARY, READS_Y),
    rule("ln", UNARY, READS_X),
    rule("ln_1p", UNARY, READS_X),
    rule("log10", UNARY, READS_X),
    rule("log2", UNARY, READS_X),
    rule("sqrt", UNARY, READS_Y),
    rule("cbrt", UNARY, READS_Y),
    rule("recip", UNARY, READS_Y),
    rule("abs", UNARY, READS_X),
    rule("to_degrees", UNARY, READS_NOTHING),
    rule("to_radians", UNARY, READS_NOTHING),
    rule("fract", UNARY, READS_NOTHING),
    rule("log", &["self", "base"], &[Some(&[A, B]), Some(&[B, Y])]),
    rule("powf", &["self", "n"], &[Some(&[A, B]), Some(&[A, Y])]),
    rule("powi", &["self", "n"], &[Some(&[A, B]), None]),
    rule("atan2", BINARY, READ_BOTH),
    rule("hypot", BINARY, &[Some(&[A, Y]), Some(&[B, Y])]),
    rule("max", BINARY, READ_BOTH),
    rule("min", BINARY, READ_BOTH),
    rule(
        "clamp",
        &["self", "min", "max"],
        &[Some(&[A, B, C]), Some(&[A, B, C]), Some(&[A, B, C])],
    ),
    rule(
        "mul_add",
        &["self", "a", "b"],
        &[Some(&[B]), Some(&[A]), Some(&[])],
    ),
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
    // nalgebra vectors and matrices (the runtime's `matrix` module).
    rule("transpose", UNARY, READS_NOTHING),
    reduction("dot", &["self", "rhs"], &[Some(&[B]), Some(&[A])]),
    reduction("norm", UNARY, &[Some(&[A, Y])]),
    reduction("norm_squared", UNARY, READS_X),
    reduction("sum", UNARY, READS_NOTHING),
    reduction("mean", UNARY, READS_NOTHING),
    reduction("trace", UNARY, READS_NOTHING),
    reduction("determinant", UNARY, &[Some(&[A, Y])]),
    rule("component_mul", &["self", "rhs"], &[Some(&[B]), Some(&[A])]),
    rule(
        "component_div",
        &["self", "rhs"],
        &[Some(&[B]), Some(&[B, Y])],
    ),
    rule("add_scalar", &["self", "rhs"], &[Some(&[]), Some(&[])]),
    rule("column", &["self", "i"], &[Some(&[B]), None]),
    Rule {
        helper: "copy",
        ..rule("clone", UNARY, READS_NOTHING)
    },
    rule("row", &["self", "i"], &[Some(&[B]), None]),
];

/// Neural-network functions of `tapeless::nn`, called as `nn::name(..)` (or through a
/// longer path ending in `nn::name`).
static NN: &[Rule] = &[
    rule("sigmoid", &["x"], READS_Y),
    rule("relu", &["x"], READS_Y),
    rule("tanh", &["x"], READS_Y),
    rule("softmax", &["x"], READS_Y),
    reduction("log_sum_exp", &["x"], &[Some(&[A, Y])]),
    reduction(
        "cross_entropy",
        &["logits", "labels"],
        &[Some(&[A, B]), None],
    ),
    reduction("mse", &["pred", "target"], &[Some(&[A, B]), Some(&[A, B])]),
];

/// The rule for `nn::name(..)` with `argc` arguments.
pub fn nn(name: &str, argc: usize) -> Option<&'static Rule> {
    NN.iter().find(|r| r.name == name && r.args.len() == argc)
}

/// `m.map(|v| ..)`: M̄ᵢ += f′(Mᵢ)·Ȳᵢ, with f′ from the closure's own reverse sweep (a
/// closure that reads other variables is lowered as a loop instead).
static MAP: Rule = rule("map", UNARY, READS_X);
/// `a.try_inverse().unwrap()`: Y = A⁻¹, Ā −= Yᵀ Ȳ Yᵀ.
static INVERSE: Rule = rule("inverse", UNARY, READS_Y);
/// `a.lu().solve(&b).unwrap()`: x = A⁻¹b, b̄ += A⁻ᵀx̄, Ā −= (A⁻ᵀx̄)xᵀ.
static SOLVE: Rule = rule("solve", &["self", "b"], &[Some(&[A, Y]), Some(&[A])]);

static ADD: Rule = rule("add", OPERANDS, &[Some(&[]), Some(&[])]);
static SUB: Rule = rule("sub", OPERANDS, &[Some(&[]), Some(&[])]);
static MUL: Rule = rule("mul", OPERANDS, &[Some(&[B]), Some(&[A])]);
static DIV: Rule = rule("div", OPERANDS, &[Some(&[B]), Some(&[B, Y])]);
static REM: Rule = rule("rem", OPERANDS, &[Some(&[]), Some(&[A, B])]);
static NEG: Rule = rule("neg", UNARY, READS_NOTHING);
/// `*x` for a reference to a float, or a matrix field read by value (`p.m * ..`): the
/// identity, through `copy` (any `Accumulate` adjoint; `identity_vjp` is for scalars).
static DEREF: Rule = Rule {
    helper: "copy",
    ..rule("deref", UNARY, READS_NOTHING)
};
/// `let b = a;` of an array written by index: a copy, b̄ flows back to ā.
static COPY: Rule = rule("copy", UNARY, READS_NOTHING);
/// `&p.w`: a reference to a field; w̄ flows into the same field of p̄.
static FIELD: Rule = Rule {
    helper: "copy",
    ..rule("field", UNARY, READS_NOTHING)
};
/// `(a, b, ..)`: ā += t̄.0, b̄ += t̄.1, ...
static TUPLE: [Rule; MAX_TUPLE - 1] = [
    Rule {
        helper: "copy",
        ..rule("tuple", &["0", "1"], &[Some(&[]), Some(&[])])
    },
    Rule {
        helper: "copy",
        ..rule(
            "tuple",
            &["0", "1", "2"],
            &[Some(&[]), Some(&[]), Some(&[])],
        )
    },
    Rule {
        helper: "copy",
        ..rule(
            "tuple",
            &["0", "1", "2", "3"],
            &[Some(&[]), Some(&[]), Some(&[]), Some(&[])],
        )
    },
    Rule {
        helper: "copy",
        ..rule(
            "tuple",
            &["0", "1", "2", "3", "4"],
            &[Some(&[]), Some(&[]), Some(&[]), Some(&[]), Some(&[])],
        )
    },
    Rule {
        helper: "copy",
        ..rule(
            "tuple",
            &["0", "1", "2", "3", "4", "5"],
            &[
                Some(&[]),
                Some(&[]),
                Some(&[]),
                Some(&[]),
                Some(&[]),
                Some(&[]),
            ],
        )
    },
];
/// The largest tuple the macro builds.
pub const MAX_TUPLE: usize = 6;
/// `x as f32`, `x as f64`.
static CAST: Rule = rule("cast", UNARY, READS_NOTHING);
/// `a[i]`, `a[i][j]`, `a[i][j][k]`: x̄[i..] += ȳ; the indices carry no derivative.
static INDEX: [Rule; 3] = [
    rule("index", &["self", "i"], &[Some(&[B]), None]),
    rule("index2", &["self", "i", "j"], &[Some(&[B, C]), None, None]),
    rule(
        "index3",
        &["self", "i", "j", "k"],
        &[Some(&[B, C, Need::Arg(3)]), None, None, None],
    ),
];
/// Comparisons, bit operations, `!`, casts to integers: no derivative.
static NO_DERIVATIVE_UNARY: Rule = rule("no derivative", UNARY, NONE1);
static NO_DERIVATIVE_BINARY: Rule = rule("no derivative", OPERANDS, NONE2);

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

/// The rule and the plain operator of a compound assignment (`x += e` is `x = x + e`).
pub fn compound_assign(op: &BinOp) -> Option<(&'static Rule, BinOp)> {
    use syn::Token;
    let span = proc_macro2::Span::call_site();
    Some(match op {
        BinOp::AddAssign(_) => (&ADD, BinOp::Add(Token![+](span))),
        BinOp::SubAssign(_) => (&SUB, BinOp::Sub(Token![-](span))),
        BinOp::MulAssign(_) => (&MUL, BinOp::Mul(Token![*](span))),
        BinOp::DivAssign(_) => (&DIV, BinOp::Div(Token![/](span))),
        BinOp::RemAssign(_) => (&REM, BinOp::Rem(Token![%](span))),
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

/// The rule for copying an array kept as memory (`let b = a;`).
pub fn copy() -> &'static Rule {
    &COPY
}

/// `(a, b, ..)` of `len` elements.
pub fn tuple(len: usize) -> Option<&'static Rule> {
    TUPLE.get(len.checked_sub(2)?)
}

/// `p.w1`.
pub fn field() -> &'static Rule {
    &FIELD
}

/// `m.map(|v| ..)`.
pub fn map() -> &'static Rule {
    &MAP
}

/// `a.try_inverse().unwrap()`.
pub fn inverse() -> &'static Rule {
    &INVERSE
}

/// `a.lu().solve(&b).unwrap()`.
pub fn solve() -> &'static Rule {
    &SOLVE
}

/// The rule for reading an element through `depth` indices (1 to 3).
pub fn index(depth: usize) -> Option<&'static Rule> {
    INDEX.get(depth.checked_sub(1)?)
}

/// Names of all float methods with a rule, for error messages.
pub fn method_names() -> impl Iterator<Item = &'static str> {
    METHODS
        .iter()
        .filter(|r| r.has_derivative())
        .map(|r| r.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row's shape is consistent: one entry per argument, needs in range.
    #[test]
    fn rows_are_well_formed() {
        let operators = [
            &ADD, &SUB, &MUL, &DIV, &REM, &NEG, &DEREF, &CAST, &COPY, &INVERSE, &SOLVE, &MAP,
            &FIELD,
        ];
        for rule in METHODS
            .iter()
            .chain(operators)
            .chain(INDEX.iter())
            .chain(TUPLE.iter())
            .chain(NN)
        {
            assert_eq!(rule.args.len(), rule.vjp.len(), "{}", rule.name);
            for needs in rule.vjp.iter().flatten() {
                for need in *needs {
                    if let Need::Arg(i) = need {
                        assert!(*i < rule.args.len(), "{}", rule.name);
                    }
                }
            }
        }
    }
}
