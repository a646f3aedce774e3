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
//! A row carries everything the macro knows about its primitive: how it is written
//! ([`Spelling`]: a method, an associated function of a float type, a path into a runtime
//! module, an operator or a form lowering builds), whether generic code calls it through
//! `num_traits::Float`, the bounds generic code needs for its helpers, and what its
//! derivative reads. The derivative itself is the runtime helper's, written once in
//! `runtime/src/scalar.rs` for scalars (which also gives the JVP helper).
//!
//! Adding a primitive is adding a row here and its rule (with its property tests) in the
//! runtime; see ARCHITECTURE.md.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
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

/// How the source writes a primitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `x.name(..)`.
    Method,
    /// `x.name(..)` and, on a float type, `f64::name(x, ..)` (see [`float_owner`]).
    FloatMethod,
    /// `module::name(..)`, a function of the runtime module `tapeless::module` (`nn`,
    /// `special`); the generated code checks that the path is that function.
    Path(&'static str),
    /// `Owner::name(..)`, an associated function of the nalgebra type `Owner`
    /// (`Rotation3::from_euler_angles`); the generated code checks that the path is
    /// nalgebra's (`tapeless::nalgebra::Owner::name`).
    Nalgebra(&'static str),
    /// Built by lowering: an operator, an index, a tuple, a field, a cast, ...
    Form,
}

/// A bound that the generated code of a generic function needs for a row's helpers, for
/// each float type parameter `T` (beyond `T: Real`, which every rule needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `T: ::tapeless::runtime::Trait`.
    Float(&'static str),
}

/// What kind of operation a row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A primitive with a derivative rule (or a row whose result is never active).
    Primitive,
    /// A shape query (`len`): its result is data about a value's shape, never a value of
    /// it, so it is allowed on differentiated values and evaluated again freely.
    Shape,
}

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
    /// The result is a matrix even of scalar arguments (`Rotation3::from_euler_angles`):
    /// borrowed by operators, its adjoint shaped like it.
    pub matrix_result: bool,
    /// How the source writes it.
    pub spelling: Spelling,
    /// In a generic function the call is written `Float::name(..)` (`num_traits::Float`,
    /// which the generated bounds bring): with a `T: RealField` bound as well, `x.name()`
    /// would be ambiguous (E0034).
    pub float_trait: bool,
    /// Bounds a generic function needs for this row's helpers.
    pub bounds: &'static [Bound],
    pub class: Class,
    /// Every argument's adjoint comes from the one helper `{helper}_vjp` (a tuple's
    /// elements: each takes its part of the tuple's adjoint).
    pub shared_helper: bool,
    /// Per argument, the values its forward (JVP) helper reads when they differ from what
    /// its VJP reads (`None`: the same). A scalar argument of a matrix result needs the
    /// result's shape, which a VJP takes from the output's adjoint: `add_scalar`.
    pub jvp: Option<&'static [Option<&'static [Need]>]>,
    /// The result borrows its first argument (`m.column(j)`, `&x[a..b]`): a pullback's
    /// closure takes the view again from its own copy of the argument instead of moving a
    /// borrow of it.
    pub view: bool,
    /// A method of a decomposition (`c.solve(&b)` of `c = a.clone().cholesky().unwrap()`):
    /// never of `self` or of a field, whose methods of these names are the user's own.
    pub decomposition: bool,
    /// How a vector's or matrix's adjoint whose first contribution this rule gives is
    /// declared (written once instead of zeros the contribution is added into).
    pub first: First,
}

/// The first contribution to a vector's or matrix's adjoint, declared as the adjoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum First {
    /// Zeros, then the VJP helper adds into them.
    Zeros,
    /// `{vjp helper}_first(|| zero_adjoint(&arg), reads.., &d_y)`: the runtime writes the
    /// contribution (the closure gives the adjoint its type; only rules that add call it).
    Helper,
    /// `{vjp helper}_first(reads.., &d_y)`: an elementwise rule (x̄ᵢ = g(xᵢ, ȳᵢ)), whose
    /// adjoint has the type of the output's.
    Elementwise,
}

impl Rule {
    /// The runtime helper that accumulates the adjoint of argument `index`.
    pub fn helper_for(&self, index: usize) -> String {
        if self.shared_helper || self.vjp.iter().filter(|v| v.is_some()).count() == 1 {
            format!("{}_vjp", self.helper)
        } else {
            format!("{}_vjp_{}", self.helper, self.args[index])
        }
    }

    /// A transcendental function (tens of cycles, where arithmetic costs one): the reverse
    /// sweep of a branch or loop keeps its result instead of computing it again.
    pub fn expensive(&self) -> bool {
        const EXPENSIVE: &[&str] = &[
            "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
            "atanh", "exp", "exp2", "exp_m1", "ln", "ln_1p", "log10", "log2", "sqrt", "cbrt",
            "log", "powf", "atan2", "hypot", "erf", "erfc", "sigmoid",
        ];
        matches!(self.spelling, Spelling::FloatMethod | Spelling::Path(_))
            && EXPENSIVE.contains(&self.name)
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

    /// The values the forward (JVP) helper of argument `index` reads: those of its VJP
    /// unless the row says otherwise.
    pub fn jvp_needs(&self, index: usize) -> &'static [Need] {
        match self.jvp {
            Some(jvp) => jvp.get(index).copied().flatten().unwrap_or(&[]),
            None => self.needs(index),
        }
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
        matrix_result: false,
        spelling: Spelling::Form,
        float_trait: false,
        bounds: &[],
        class: Class::Primitive,
        shared_helper: false,
        jvp: None,
        view: false,
        decomposition: false,
        first: First::Zeros,
    }
}

/// A float method: `x.name(..)`, `f64::name(x, ..)`, `Float::name(x, ..)` in generic code.
const fn float(
    name: &'static str,
    args: &'static [&'static str],
    vjp: &'static [Option<&'static [Need]>],
) -> Rule {
    Rule {
        spelling: Spelling::FloatMethod,
        float_trait: true,
        ..rule(name, args, vjp)
    }
}

/// A method of `f32`/`f64` that `num_traits::Float` lacks (generic code cannot call it).
const fn inherent(
    name: &'static str,
    args: &'static [&'static str],
    vjp: &'static [Option<&'static [Need]>],
) -> Rule {
    Rule {
        float_trait: false,
        ..float(name, args, vjp)
    }
}

/// A method of other types (nalgebra's matrices).
const fn by_method(
    name: &'static str,
    args: &'static [&'static str],
    vjp: &'static [Option<&'static [Need]>],
) -> Rule {
    Rule {
        spelling: Spelling::Method,
        ..rule(name, args, vjp)
    }
}

/// A function of the runtime module `module`, called as `module::name(..)`.
const fn path(
    module: &'static str,
    name: &'static str,
    args: &'static [&'static str],
    vjp: &'static [Option<&'static [Need]>],
) -> Rule {
    Rule {
        spelling: Spelling::Path(module),
        ..rule(name, args, vjp)
    }
}

/// A shape query method (`x.len()`).
const fn shape(name: &'static str) -> Rule {
    Rule {
        class: Class::Shape,
        ..by_method(name, UNARY, NONE1)
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
        ..by_method(name, args, vjp)
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
/// The bound of a rule whose helper serves scalars and matrices elementwise.
const ELEMENTWISE: &[Bound] = &[Bound::Float("ElementwiseAdjoint")];
const NONE2: &[Option<&[Need]>] = &[None, None];

/// Methods: the float methods (callable as `x.name(..)` or `f64::name(x, ..)`), those of
/// nalgebra's vectors and matrices, and shape queries.
static METHODS: &[Rule] = &[
    float("sin", UNARY, READS_X),
    float("cos", UNARY, READS_X),
    float("tan", UNARY, READS_Y),
    float("asin", UNARY, READS_X),
    float("acos", UNARY, READS_X),
    float("atan", UNARY, READS_X),
    float("sinh", UNARY, READS_X),
    float("cosh", UNARY, READS_X),
    // Its helper is elementwise (it serves `nn::tanh` of matrices too).
    Rule {
        bounds: ELEMENTWISE,
        first: First::Elementwise,
        ..float("tanh", UNARY, READS_Y)
    },
    float("asinh", UNARY, READS_X),
    float("acosh", UNARY, READS_X),
    float("atanh", UNARY, READS_X),
    float("exp", UNARY, READS_Y),
    float("exp2", UNARY, READS_Y),
    float("exp_m1", UNARY, READS_Y),
    float("ln", UNARY, READS_X),
    float("ln_1p", UNARY, READS_X),
    float("log10", UNARY, READS_X),
    float("log2", UNARY, READS_X),
    float("sqrt", UNARY, READS_Y),
    float("cbrt", UNARY, READS_Y),
    float("recip", UNARY, READS_Y),
    float("abs", UNARY, READS_X),
    float("to_degrees", UNARY, READS_NOTHING),
    float("to_radians", UNARY, READS_NOTHING),
    float("fract", UNARY, READS_NOTHING),
    float("log", &["self", "base"], &[Some(&[A, B]), Some(&[B, Y])]),
    float("powf", &["self", "n"], &[Some(&[A, B]), Some(&[A, Y])]),
    float("powi", &["self", "n"], &[Some(&[A, B]), None]),
    float("atan2", BINARY, READ_BOTH),
    float("hypot", BINARY, &[Some(&[A, Y]), Some(&[B, Y])]),
    float("max", BINARY, READ_BOTH),
    float("min", BINARY, READ_BOTH),
    float(
        "clamp",
        &["self", "min", "max"],
        &[Some(&[A, B, C]), Some(&[A, B, C]), Some(&[A, B, C])],
    ),
    float(
        "mul_add",
        &["self", "a", "b"],
        &[Some(&[B]), Some(&[A]), Some(&[])],
    ),
    // Piecewise constant, or not a number: the derivative is zero wherever it exists.
    // (`round_ties_even`, `total_cmp`, `partial_cmp` are not in `num_traits::Float`.)
    float("signum", UNARY, NONE1),
    float("floor", UNARY, NONE1),
    float("ceil", UNARY, NONE1),
    float("round", UNARY, NONE1),
    inherent("round_ties_even", UNARY, NONE1),
    float("trunc", UNARY, NONE1),
    float("is_nan", UNARY, NONE1),
    float("is_finite", UNARY, NONE1),
    float("is_infinite", UNARY, NONE1),
    float("is_normal", UNARY, NONE1),
    float("is_sign_positive", UNARY, NONE1),
    float("is_sign_negative", UNARY, NONE1),
    inherent("total_cmp", BINARY, NONE2),
    inherent("partial_cmp", BINARY, NONE2),
    // nalgebra vectors and matrices (the runtime's `matrix` module).
    by_method("transpose", UNARY, READS_NOTHING),
    reduction("dot", &["self", "rhs"], &[Some(&[B]), Some(&[A])]),
    reduction("norm", UNARY, &[Some(&[A, Y])]),
    reduction("norm_squared", UNARY, READS_X),
    by_method("normalize", UNARY, &[Some(&[A, Y])]),
    by_method("cross", &["self", "rhs"], &[Some(&[B]), Some(&[A])]),
    reduction("sum", UNARY, READS_NOTHING),
    reduction("mean", UNARY, READS_NOTHING),
    reduction("trace", UNARY, READS_NOTHING),
    reduction("determinant", UNARY, &[Some(&[A, Y])]),
    // The forward helpers read `y` for the tangent's type (the operands' dimensions may
    // differ in kind, as for `+`).
    Rule {
        jvp: Some(&[Some(&[B, Y]), Some(&[A, Y])]),
        first: First::Helper,
        ..by_method("component_mul", &["self", "rhs"], &[Some(&[B]), Some(&[A])])
    },
    Rule {
        jvp: Some(&[Some(&[B, Y]), Some(&[B, Y])]),
        ..by_method(
            "component_div",
            &["self", "rhs"],
            &[Some(&[B]), Some(&[B, Y])],
        )
    },
    // ṡ's contribution fills a matrix shaped like `self`.
    Rule {
        jvp: Some(&[Some(&[]), Some(&[A])]),
        ..by_method("add_scalar", &["self", "rhs"], &[Some(&[]), Some(&[])])
    },
    Rule {
        view: true,
        ..by_method("column", &["self", "i"], &[Some(&[B]), None])
    },
    Rule {
        helper: "copy",
        ..rule("clone", UNARY, READS_NOTHING)
    },
    Rule {
        view: true,
        ..by_method("row", &["self", "i"], &[Some(&[B]), None])
    },
    // Views read as values (`m.rows(i, n)`, `m.fixed_view::<2, 2>(i, j)`): the adjoint is
    // added into the block of M̄ the view covers; the forward helper reads the view for its
    // shape (a `fixed_` view's size is in its type).
    Rule {
        view: true,
        jvp: Some(&[Some(&[B, Y]), None, None]),
        ..by_method("rows", &["self", "i", "n"], &[Some(&[B]), None, None])
    },
    Rule {
        view: true,
        helper: "rows",
        jvp: Some(&[Some(&[B, Y]), None]),
        ..by_method("fixed_rows", &["self", "i"], &[Some(&[B]), None])
    },
    Rule {
        view: true,
        jvp: Some(&[Some(&[B, Y]), None, None]),
        ..by_method("columns", &["self", "j", "n"], &[Some(&[B]), None, None])
    },
    Rule {
        view: true,
        helper: "columns",
        jvp: Some(&[Some(&[B, Y]), None]),
        ..by_method("fixed_columns", &["self", "j"], &[Some(&[B]), None])
    },
    Rule {
        view: true,
        jvp: Some(&[Some(&[B, C, Y]), None, None]),
        ..by_method(
            "fixed_view",
            &["self", "i", "j"],
            &[Some(&[B, C]), None, None],
        )
    },
    Rule {
        view: true,
        jvp: Some(&[Some(&[B, Y]), None, None]),
        ..by_method(
            "view",
            &["self", "start", "shape"],
            &[Some(&[B]), None, None],
        )
    },
    // An owned copy of a view (`m.rows(0, 2).into_owned()`): the identity.
    Rule {
        helper: "copy",
        ..by_method("into_owned", UNARY, READS_NOTHING)
    },
    Rule {
        helper: "copy",
        ..by_method("clone_owned", UNARY, READS_NOTHING)
    },
    // An owned copy of a slice, array or vector: `xs[1..].to_vec()`.
    by_method("to_vec", UNARY, READS_NOTHING),
    // y = diag(M) of a square M (an owned vector).
    by_method("diagonal", UNARY, READS_NOTHING),
    // Spectra: the rules compute the decomposition's vectors again from `a`
    // (`runtime/src/spectral.rs`).
    by_method("symmetric_eigenvalues", UNARY, READS_X),
    by_method("singular_values", UNARY, READS_X),
    // Methods of a Cholesky decomposition `c` (the runtime's `cholesky` module): the
    // decomposition is one value, with its factor L's adjoint and tangent.
    Rule {
        helper: "cholesky_l",
        decomposition: true,
        // Reads `c` for its type: a decomposition, checked by the helper's bound.
        ..by_method("l", UNARY, READS_X)
    },
    Rule {
        helper: "cholesky_solve",
        decomposition: true,
        ..by_method("solve", &["self", "b"], &[Some(&[A, Y]), Some(&[A])])
    },
    Rule {
        helper: "cholesky_ln_determinant",
        decomposition: true,
        ..reduction("ln_determinant", UNARY, READS_X)
    },
    // Shape queries.
    shape("len"),
    shape("is_empty"),
    shape("nrows"),
    shape("ncols"),
    shape("shape"),
];

/// Functions of the runtime's modules, called by a path ending in `module::name` (`nn::`,
/// `tapeless::nn::`): neural-network functions and special functions.
static PATHS: &[Rule] = &[
    path("special", "erf", &["x"], READS_X),
    path("special", "erfc", &["x"], READS_X),
    path("special", "sinc", &["x"], READS_X),
    path("special", "ln_gamma", &["x"], READS_X),
    path("special", "gamma", &["x"], &[Some(&[A, Y])]),
    path("special", "digamma", &["x"], READS_X),
    // `Rotation3::new(ω)` in `T`'s own arithmetic, exact at ω = 0 for dual numbers.
    path("rotation", "from_scaled_axis", &["axisangle"], READS_X),
    Rule {
        bounds: ELEMENTWISE,
        first: First::Elementwise,
        ..path("nn", "sigmoid", &["x"], READS_Y)
    },
    Rule {
        bounds: ELEMENTWISE,
        first: First::Elementwise,
        ..path("nn", "relu", &["x"], READS_Y)
    },
    Rule {
        bounds: ELEMENTWISE,
        first: First::Elementwise,
        ..path("nn", "tanh", &["x"], READS_Y)
    },
    path("nn", "softmax", &["x"], READS_Y),
    Rule {
        scalar_result: true,
        ..path("nn", "log_sum_exp", &["x"], &[Some(&[A, Y])])
    },
    Rule {
        scalar_result: true,
        ..path(
            "nn",
            "cross_entropy",
            &["logits", "labels"],
            &[Some(&[A, B]), None],
        )
    },
    Rule {
        scalar_result: true,
        ..path(
            "nn",
            "mse",
            &["pred", "target"],
            &[Some(&[A, B]), Some(&[A, B])],
        )
    },
];

/// The rule for a call `path(..)` with `argc` arguments, and the runtime's own item that
/// `path` must name (the generated code checks it): a path ending in `module::name` for a
/// function of a runtime module (`nn::sigmoid`), or `Owner::name` for a float method
/// called through a float type or trait (`f64::sin`, `Float::sin`).
pub fn call(func: &syn::ExprPath, argc: usize) -> Option<(&'static Rule, TokenStream)> {
    if func.qself.is_some() {
        return None;
    }
    let mut segments = func.path.segments.iter().rev();
    let name = segments.next()?.ident.to_string();
    let owner = segments.next()?.ident.to_string();
    let runtime = |r: &&Rule| r.name == name && r.args.len() == argc;
    if let Some(rule) = PATHS
        .iter()
        .filter(|r| matches!(r.spelling, Spelling::Path(module) if module == owner))
        .find(runtime)
    {
        let (module, name) = (format_ident!("{owner}"), format_ident!("{name}"));
        return Some((rule, quote!(::tapeless::runtime::#module::#name)));
    }
    if let Some(rule) = NALGEBRA_PATHS
        .iter()
        .filter(|r| matches!(r.spelling, Spelling::Nalgebra(o) if o == owner))
        .find(runtime)
    {
        let (owner, name) = (format_ident!("{owner}"), format_ident!("{name}"));
        return Some((rule, quote!(::tapeless::nalgebra::#owner::#name)));
    }
    if owner == "libm" {
        return libm_call(func, &name, argc);
    }
    let owner = float_owner(&owner)?;
    let item = owner.item?;
    let rule = METHODS
        .iter()
        .filter(|r| r.spelling == Spelling::FloatMethod)
        .find(runtime)?;
    let item: TokenStream = item.parse().ok()?;
    let name = format_ident!("{name}");
    Some((rule, quote!(#item::#name)))
}

/// `libm::sin(x)`, `libm::expf(x)`, `libm::erf(x)`: the `no_std` math crate's functions
/// (`f32` ones end in `f`) are the float methods they compute, or `special::erf`/`erfc`.
/// Only the paths `libm::name` and `::libm::name` (`own::libm::exp` is another module's).
/// The call is printed as written and checked to name the crate's function
/// (`Is(libm::sin, ::tapeless::__private::libm::sin)`): a module of the user's own named
/// `libm` is a compile error at the call, never its function with `sin`'s derivative.
fn libm_call(
    func: &syn::ExprPath,
    name: &str,
    argc: usize,
) -> Option<(&'static Rule, TokenStream)> {
    if !is_libm_path(func) {
        return None;
    }
    const RENAMED: &[(&str, &str)] = &[
        ("log", "ln"),
        ("log1p", "ln_1p"),
        ("expm1", "exp_m1"),
        ("pow", "powf"),
        ("fabs", "abs"),
        ("fmax", "max"),
        ("fmin", "min"),
        ("lgamma", "ln_gamma"),
        ("tgamma", "gamma"),
    ];
    let method = |name: &str| -> Option<&'static Rule> {
        let name = RENAMED
            .iter()
            .find(|(libm, _)| *libm == name)
            .map_or(name, |(_, method)| method);
        let found = |r: &&Rule| r.name == name && r.args.len() == argc;
        METHODS
            .iter()
            .filter(|r| r.spelling == Spelling::FloatMethod)
            .chain(
                PATHS
                    .iter()
                    .filter(|r| r.spelling == Spelling::Path("special")),
            )
            .find(found)
    };
    // `powf` is `f32`'s `pow`, as `sinf` is `f32`'s `sin`.
    let rule = method(name).or_else(|| method(name.strip_suffix('f')?))?;
    let name = format_ident!("{name}");
    Some((rule, quote!(::tapeless::__private::libm::#name)))
}

/// The functions of `libm` 0.2 (without its `f16`/`f128` forms).
const LIBM_FUNCTIONS: &[&str] = &[
    "acos",
    "acosf",
    "acosh",
    "acoshf",
    "asin",
    "asinf",
    "asinh",
    "asinhf",
    "atan",
    "atan2",
    "atan2f",
    "atanf",
    "atanh",
    "atanhf",
    "cbrt",
    "cbrtf",
    "ceil",
    "ceilf",
    "copysign",
    "copysignf",
    "cos",
    "cosf",
    "cosh",
    "coshf",
    "erf",
    "erfc",
    "erfcf",
    "erff",
    "exp",
    "exp10",
    "exp10f",
    "exp2",
    "exp2f",
    "expf",
    "expm1",
    "expm1f",
    "fabs",
    "fabsf",
    "fdim",
    "fdimf",
    "floor",
    "floorf",
    "fma",
    "fmaf",
    "fmax",
    "fmaxf",
    "fmaximum",
    "fmaximum_num",
    "fmaximum_numf",
    "fmaximumf",
    "fmin",
    "fminf",
    "fminimum",
    "fminimum_num",
    "fminimum_numf",
    "fminimumf",
    "fmod",
    "fmodf",
    "frexp",
    "frexpf",
    "hypot",
    "hypotf",
    "ilogb",
    "ilogbf",
    "j0",
    "j0f",
    "j1",
    "j1f",
    "jn",
    "jnf",
    "ldexp",
    "ldexpf",
    "lgamma",
    "lgamma_r",
    "lgammaf",
    "lgammaf_r",
    "log",
    "log10",
    "log10f",
    "log1p",
    "log1pf",
    "log2",
    "log2f",
    "logf",
    "modf",
    "modff",
    "nextafter",
    "nextafterf",
    "pow",
    "powf",
    "remainder",
    "remainderf",
    "remquo",
    "remquof",
    "rint",
    "rintf",
    "round",
    "roundeven",
    "roundevenf",
    "roundf",
    "scalbn",
    "scalbnf",
    "sin",
    "sincos",
    "sincosf",
    "sinf",
    "sinh",
    "sinhf",
    "sqrt",
    "sqrtf",
    "tan",
    "tanf",
    "tanh",
    "tanhf",
    "tgamma",
    "tgammaf",
    "trunc",
    "truncf",
    "y0",
    "y0f",
    "y1",
    "y1f",
    "yn",
    "ynf",
];

/// Whether a call by the bare name `name` with `argc` arguments (`lgamma(a)` after
/// `use libm::lgamma;`) may be `libm`'s function that has a rule when called by its path:
/// the macro cannot see `use` items, so such a call is the user's function, and reported
/// naming the path that has the rule (`unmarked.rs`).
pub fn libm_by_bare_name(name: &str, argc: usize) -> bool {
    let path: syn::ExprPath = match syn::parse_str(&format!("libm::{name}")) {
        Ok(path) => path,
        Err(_) => return false,
    };
    LIBM_FUNCTIONS.contains(&name) && libm_call(&path, name, argc).is_some()
}

/// `libm::name` or `::libm::name`.
pub fn is_libm_path(func: &syn::ExprPath) -> bool {
    func.qself.is_none()
        && func.path.segments.len() == 2
        && func.path.segments[0].ident == "libm"
        && func.path.segments[0].arguments.is_none()
}

/// Whether `libm::name` is one of `libm`'s `f32` functions (`sinf`, `powf`, `fabsf`): its
/// name is the rule's (or the `f64` function's) with an `f` added.
fn libm_single(name: &str) -> bool {
    const F64_ENDING_IN_F: &[&str] = &["erf", "modf"];
    name.ends_with('f') && !F64_ENDING_IN_F.contains(&name)
}

/// Associated functions of nalgebra types, called as `Owner::name(..)`.
static NALGEBRA_PATHS: &[Rule] = &[
    Rule {
        spelling: Spelling::Nalgebra("Rotation3"),
        matrix_result: true,
        ..rule(
            "from_euler_angles",
            &["roll", "pitch", "yaw"],
            &[Some(&[A, B, C]), Some(&[A, B, C]), Some(&[A, B, C])],
        )
    },
    // The exponential map of an axis-angle vector ω, by either name: ω̄ᵢ += ⟨R̄, ∂R/∂ωᵢ⟩.
    // A `hessian` function's copy computes it as `rotation::from_scaled_axis` (below).
    Rule {
        spelling: Spelling::Nalgebra("Rotation3"),
        helper: "from_scaled_axis",
        ..rule("new", &["axisangle"], READS_X)
    },
    Rule {
        spelling: Spelling::Nalgebra("Rotation3"),
        ..rule("from_scaled_axis", &["axisangle"], READS_X)
    },
];

/// Whether `path(..)` with `argc` arguments is `Rotation3::new(ω)` or
/// `Rotation3::from_scaled_axis(ω)` (a rule of [`NALGEBRA_PATHS`]).
pub fn scaled_axis_rotation(path: &syn::ExprPath, argc: usize) -> bool {
    let names: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    argc == 1
        && path.qself.is_none()
        && matches!(names.as_slice(), [.., owner, name]
            if owner == "Rotation3" && (name == "new" || name == "from_scaled_axis"))
}

/// The float method or `special` function a `libm` call is (`libm::exp` is `f64::exp`,
/// `libm::expf` is `f32::exp`, `libm::erf` is `::tapeless::special::erf`), for code generic
/// in the float type.
pub fn libm_method(func: &syn::ExprPath, argc: usize) -> Option<syn::ExprPath> {
    let name = func.path.segments.last()?.ident.to_string();
    let (rule, _) = libm_call(func, &name, argc)?;
    let float = match libm_single(&name) {
        true => format_ident!("f32"),
        false => format_ident!("f64"),
    };
    let name = format_ident!("{}", rule.name);
    Some(match rule.spelling {
        Spelling::Path(module) => {
            let module = format_ident!("{module}");
            syn::parse_quote!(::tapeless::#module::#name)
        }
        _ => syn::parse_quote!(#float::#name),
    })
}

/// A float type or float trait the macro knows by name.
#[derive(Debug)]
pub struct FloatName {
    pub name: &'static str,
    /// A type parameter bounded by it is a scalar float (`T: RealField`).
    pub marks_generic: bool,
    /// `Name::method(x)` calls a float method: the runtime item it must name. `None` for a
    /// name whose methods are not the float methods (`Real`, `FloatCore`), so such a path is
    /// the user's own.
    pub item: Option<&'static str>,
}

/// The float types and traits known by name.
static FLOAT_NAMES: &[FloatName] = &[
    FloatName {
        name: "f64",
        marks_generic: false,
        item: Some("::core::primitive::f64"),
    },
    FloatName {
        name: "f32",
        marks_generic: false,
        item: Some("::core::primitive::f32"),
    },
    FloatName {
        name: "Float",
        marks_generic: true,
        item: Some("<_ as ::tapeless::__private::Float>"),
    },
    FloatName {
        name: "ComplexField",
        marks_generic: true,
        item: Some("<_ as ::tapeless::__private::ComplexField>"),
    },
    // `RealField::max(a, b)`: `max`, `min`, `clamp`, `atan2` are `RealField`'s own methods
    // (`RealField::sin` is not Rust: `sin` is the supertrait `ComplexField`'s).
    FloatName {
        name: "RealField",
        marks_generic: true,
        item: Some("<_ as ::tapeless::__private::RealField>"),
    },
    FloatName {
        name: "FloatCore",
        marks_generic: true,
        item: None,
    },
    FloatName {
        name: "Real",
        marks_generic: true,
        item: None,
    },
];

/// The float type or trait named `name`.
pub fn float_owner(name: &str) -> Option<&'static FloatName> {
    FLOAT_NAMES.iter().find(|f| f.name == name)
}

/// Whether a bound named `name` (its last segment) makes a type parameter a float.
pub fn float_bound(name: &str) -> bool {
    float_owner(name).is_some_and(|f| f.marks_generic)
}

/// Every bound a generic function needs for the rows' helpers, each once. All of them,
/// not only those of the rows a function uses, so that every generated generic function
/// has the same bounds and one can call another.
pub fn generic_bounds() -> Vec<Bound> {
    let mut all = Vec::new();
    let operators = [&ADD, &SUB, &MUL, &DIV, &REM, &NEG];
    for rule in METHODS.iter().chain(PATHS).chain(operators) {
        for bound in rule.bounds {
            if !all.contains(bound) {
                all.push(*bound);
            }
        }
    }
    all
}

/// `a.try_inverse().unwrap()`: Y = A⁻¹, Ā −= Yᵀ Ȳ Yᵀ.
static INVERSE: Rule = rule("inverse", UNARY, READS_Y);
/// `a.lu().solve(&b).unwrap()`, `a.qr().solve(&b).unwrap()`: x = A⁻¹b, b̄ += A⁻ᵀx̄,
/// Ā −= (A⁻ᵀx̄)xᵀ.
static SOLVE: Rule = rule("solve", &["self", "b"], &[Some(&[A, Y]), Some(&[A])]);

/// `a.clone().cholesky().unwrap()`: the decomposition, whose derivative is its factor L's;
/// Ā from L̄ by two triangular solves (reads the decomposition).
static CHOLESKY: Rule = rule("cholesky", UNARY, READS_Y);

/// `a.solve_lower_triangular(&b).unwrap()`, `solve_upper_triangular`,
/// `tr_solve_lower_triangular`: x = M⁻¹b for the triangle M of A each reads (transposed for
/// `tr_`), b̄ += M⁻ᵀx̄, Ā −= the triangle's part of (M⁻ᵀx̄)xᵀ.
static TRIANGULAR_SOLVES: [Rule; 3] = [
    rule(
        "solve_lower_triangular",
        &["self", "b"],
        &[Some(&[A, Y]), Some(&[A])],
    ),
    rule(
        "solve_upper_triangular",
        &["self", "b"],
        &[Some(&[A, Y]), Some(&[A])],
    ),
    rule(
        "tr_solve_lower_triangular",
        &["self", "b"],
        &[Some(&[A, Y]), Some(&[A])],
    ),
];

// A tangent of `a + b` has the result's type, which differs from an operand's when matrix
// dimensions differ in kind (`a.rows(0, 2) + b` of `b: Vector2` is a `Vector2`): the
// forward helpers read `y` for its type and shape.
static ADD: Rule = Rule {
    jvp: Some(&[Some(&[Y]), Some(&[Y])]),
    ..rule("add", OPERANDS, &[Some(&[]), Some(&[])])
};
static SUB: Rule = Rule {
    jvp: Some(&[Some(&[Y]), Some(&[Y])]),
    ..rule("sub", OPERANDS, &[Some(&[]), Some(&[])])
};
// `*` and `/` dispatch on their operands' types through the runtime's `Rule` traits,
// implemented for every `T: Real` (scalars) and nalgebra matrices of it: no bound.
static MUL: Rule = Rule {
    first: First::Helper,
    ..rule("mul", OPERANDS, &[Some(&[B]), Some(&[A])])
};
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
        shared_helper: true,
        ..rule("tuple", &["0", "1"], &[Some(&[]), Some(&[])])
    },
    Rule {
        helper: "copy",
        shared_helper: true,
        ..rule(
            "tuple",
            &["0", "1", "2"],
            &[Some(&[]), Some(&[]), Some(&[])],
        )
    },
    Rule {
        helper: "copy",
        shared_helper: true,
        ..rule(
            "tuple",
            &["0", "1", "2", "3"],
            &[Some(&[]), Some(&[]), Some(&[]), Some(&[])],
        )
    },
    Rule {
        helper: "copy",
        shared_helper: true,
        ..rule(
            "tuple",
            &["0", "1", "2", "3", "4"],
            &[Some(&[]), Some(&[]), Some(&[]), Some(&[]), Some(&[])],
        )
    },
    Rule {
        helper: "copy",
        shared_helper: true,
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
/// `&xs[i]`, the read of an element that is not a `Copy` scalar (`xs: [Vector3<f64>; 2]`,
/// `&[DVector<f64>]`) by reference, through `element(xs, i)`: `index`'s derivative, and a
/// view of its container (a pullback's closure takes it again from its own copy of an
/// owned container rather than capturing a borrow of the function's local).
static ELEMENT: Rule = Rule {
    view: true,
    ..rule("index", &["self", "i"], &[Some(&[B]), None])
};
/// `&x[start..end]` (also `&x[a..]`, `&x[..b]`, a window, a chunk): x̄[start + k] += ȳ[k].
// The forward helper also reads `end`: the tangent slice's length.
static SUB_SLICE: Rule = Rule {
    jvp: Some(&[Some(&[B, C]), None, None]),
    view: true,
    ..rule(
        "sub_slice",
        &["self", "start", "end"],
        &[Some(&[B]), None, None],
    )
};
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

/// `a.try_inverse().unwrap()`.
pub fn inverse() -> &'static Rule {
    &INVERSE
}

/// `a.lu().solve(&b).unwrap()`, `a.qr().solve(&b).unwrap()`.
pub fn solve() -> &'static Rule {
    &SOLVE
}

/// `a.clone().cholesky().unwrap()`.
pub fn cholesky() -> &'static Rule {
    &CHOLESKY
}

/// `a.solve_lower_triangular(&b).unwrap()` and the other triangular solves, by name.
pub fn triangular_solve(name: &str) -> Option<&'static Rule> {
    TRIANGULAR_SOLVES.iter().find(|r| r.name == name)
}

/// The rule for reading an element through `depth` indices (1 to 3).
pub fn index(depth: usize) -> Option<&'static Rule> {
    INDEX.get(depth.checked_sub(1)?)
}

/// The rule for the read of a non-`Copy` element by reference (`element(xs, i)`).
pub fn element() -> &'static Rule {
    &ELEMENT
}

/// The rule for a sub-slice `&x[a..b]`.
pub fn sub_slice() -> &'static Rule {
    &SUB_SLICE
}

/// Whether `name` is a float method (`x.sin()`, `x.floor()`), of any arity.
pub fn float_method(name: &str) -> bool {
    METHODS
        .iter()
        .any(|r| r.name == name && r.spelling == Spelling::FloatMethod)
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

    /// Every row is expanded in a generic function by `tests/rule_rows.rs` (scalars, slices,
    /// structs) or `tests/generic_matrix_rows.rs` (nalgebra values), in both modes, except
    /// the rows generic code cannot write, each listed here with the reason.
    #[test]
    fn every_row_is_checked_in_generic_functions() {
        let compact = |text: &str| text.split_whitespace().collect::<String>();
        let rows = compact(include_str!("../../tests/rule_rows.rs"));
        let matrix_rows = compact(include_str!("../../tests/generic_matrix_rows.rs"));
        let forms = [
            &ADD, &SUB, &MUL, &DIV, &REM, &NEG, &DEREF, &COPY, &FIELD, &SUB_SLICE, &CAST, &INVERSE,
            &SOLVE, &CHOLESKY, &ELEMENT,
        ];
        let all = METHODS
            .iter()
            .chain(PATHS)
            .chain(NALGEBRA_PATHS)
            .chain(forms)
            .chain(TRIANGULAR_SOLVES.iter())
            .chain(INDEX.iter())
            .chain(TUPLE.iter());
        for rule in all {
            let checked = match rule.spelling {
                // `round_ties_even`, `total_cmp`, `partial_cmp`: not in `num_traits::Float`.
                Spelling::FloatMethod if !rule.float_trait => continue,
                // nalgebra's methods, and the `nn` functions of vectors (`softmax`, `mse`).
                Spelling::Method if !matches!(rule.name, "len" | "is_empty" | "to_vec") => {
                    matrix_rows.contains(&format!("row!({},", rule.name))
                }
                Spelling::Path("nn") if rule.bounds != ELEMENTWISE => {
                    matrix_rows.contains(&format!("nn::{}(", rule.name))
                }
                Spelling::Path("rotation") => {
                    matrix_rows.contains(&format!("rotation::{}(", rule.name))
                }
                Spelling::Path(module) => rows.contains(&format!("{module}::{}(", rule.name)),
                Spelling::Nalgebra(owner) => {
                    matrix_rows.contains(&format!("{owner}::{}(", rule.name))
                }
                // `m.map(f)`, inverse and solve are of nalgebra values.
                Spelling::Form
                    if matches!(rule.name, "map" | "inverse" | "solve" | "cholesky")
                        || rule.name.contains("_triangular") =>
                {
                    matrix_rows.contains(&format!("row!({},", rule.name))
                }
                // `x as T` is not Rust.
                Spelling::Form if rule.name == "cast" => continue,
                Spelling::Form if rule.name == "field" => rows.contains("modfield{"),
                // A tuple of each length goes through the one helper `copy_vjp`.
                Spelling::Form if rule.name == "tuple" && rule.args.len() > 2 => continue,
                _ => rows.contains(&format!("row!({},", rule.name)),
            };
            assert!(
                checked,
                "row `{}` has no generic case in tests/rule_rows.rs or tests/generic_matrix_rows.rs",
                rule.name
            );
        }
    }

    /// A forward helper reads what its VJP reads, except where the row says otherwise.
    #[test]
    fn jvp_needs_follow_the_vjp_unless_overridden() {
        let add_scalar = method("add_scalar", 2).expect("the add_scalar row");
        assert_eq!(add_scalar.jvp_needs(0), &[] as &[Need]);
        assert_eq!(add_scalar.jvp_needs(1), &[A]);
        let dot = method("dot", 2).expect("the dot row");
        assert_eq!(dot.jvp_needs(0), dot.needs(0));
        assert_eq!(dot.jvp_needs(1), &[A]);
    }

    /// Every row whose VJP helpers live in the runtime's `index.rs`, `matrix.rs` or `nn.rs`
    /// has, next to each, the forward helper of the same argument (`_vjp` → `_jvp`; the
    /// helpers of `scalar.rs` and `ops.rs` come from their own generators).
    #[test]
    fn every_runtime_vjp_helper_has_its_forward_helper() {
        let files = [
            include_str!("../../runtime/src/index.rs"),
            include_str!("../../runtime/src/matrix.rs"),
            include_str!("../../runtime/src/nn.rs"),
            include_str!("../../runtime/src/cholesky.rs"),
            include_str!("../../runtime/src/spectral.rs"),
            include_str!("../../runtime/src/rotation.rs"),
        ];
        let defines = |file: &str, name: &str| {
            file.contains(&format!("pub fn {name}<")) || file.contains(&format!("pub fn {name}("))
        };
        let forms = [&DEREF, &CAST, &COPY, &FIELD, &INVERSE, &SOLVE, &CHOLESKY];
        let mut checked = Vec::new();
        for rule in METHODS
            .iter()
            .chain(PATHS)
            .chain(NALGEBRA_PATHS)
            .chain(forms)
            .chain(TRIANGULAR_SOLVES.iter())
            .chain(INDEX.iter())
            .chain(TUPLE.iter())
        {
            for index in (0..rule.args.len()).filter(|&i| rule.differentiable(i)) {
                let vjp = rule.helper_for(index);
                let jvp = vjp.replacen("_vjp", "_jvp", 1);
                for file in files.iter().filter(|file| defines(file, &vjp)) {
                    assert!(
                        defines(file, &jvp),
                        "`{}` (row `{}`) has no forward helper `{jvp}`",
                        vjp,
                        rule.name
                    );
                    checked.push(jvp.clone());
                }
            }
        }
        checked.sort();
        checked.dedup();
        // The helpers of every matrix method, nn function, index, copy, Cholesky,
        // spectrum and rotation row.
        assert_eq!(checked.len(), 51, "{checked:?}");
    }

    /// Every row's shape is consistent: one entry per argument, needs in range.
    /// The runtime declares a trait (`libm_names::lgamma`) for each `libm` function that has
    /// a rule, whose message names it, for the error of a bare call of it (`unmarked.rs`).
    #[test]
    fn every_libm_function_with_a_rule_has_its_marker() {
        let file = include_str!("../../runtime/src/rule_item.rs");
        let start = file.find("    libm_names! {").expect("the traits' list") + 17;
        let end = start + file[start..].find("\n    }").expect("its end");
        let mut declared = Vec::new();
        for line in file[start..end].lines().filter(|l| !l.trim().is_empty()) {
            let (name, message) = line.trim().split_once(" => ").expect("name => message");
            let says = format!("no derivative of `{name}` is visible here: if it is `libm::{name}`, call it by its path, `libm::{name}(..)`,");
            assert!(message.starts_with(&format!("\"{says}")), "{line}");
            declared.push(name);
        }
        let mut with_rules: Vec<&str> = LIBM_FUNCTIONS
            .iter()
            .copied()
            .filter(|name| (1..=3).any(|argc| libm_by_bare_name(name, argc)))
            .collect();
        declared.sort_unstable();
        with_rules.sort_unstable();
        assert_eq!(declared, with_rules);
    }

    #[test]
    fn rows_are_well_formed() {
        let operators = [
            &ADD, &SUB, &MUL, &DIV, &REM, &NEG, &DEREF, &CAST, &COPY, &INVERSE, &SOLVE, &FIELD,
            &SUB_SLICE, &CHOLESKY, &ELEMENT,
        ];
        for rule in METHODS
            .iter()
            .chain(operators)
            .chain(TRIANGULAR_SOLVES.iter())
            .chain(INDEX.iter())
            .chain(TUPLE.iter())
            .chain(PATHS)
            .chain(NALGEBRA_PATHS)
        {
            assert_eq!(rule.args.len(), rule.vjp.len(), "{}", rule.name);
            if let Some(jvp) = rule.jvp {
                assert_eq!(rule.args.len(), jvp.len(), "{}", rule.name);
                // The same arguments carry a derivative in both modes.
                for (v, j) in rule.vjp.iter().zip(jvp) {
                    assert_eq!(v.is_some(), j.is_some(), "{}", rule.name);
                }
            }
            for needs in rule.vjp.iter().chain(rule.jvp.unwrap_or(&[])).flatten() {
                for need in *needs {
                    if let Need::Arg(i) = need {
                        assert!(*i < rule.args.len(), "{}", rule.name);
                    }
                }
            }
            // A first form writes one argument's whole adjoint: not a shared helper's
            // part of a tuple; an elementwise one has the output adjoint's type.
            if rule.first != First::Zeros {
                assert!(!rule.shared_helper, "{}", rule.name);
            }
            if rule.first == First::Elementwise {
                assert_eq!(rule.bounds, ELEMENTWISE, "{}", rule.name);
                assert_eq!(rule.vjp, READS_Y, "{}", rule.name);
            }
        }
    }
}
