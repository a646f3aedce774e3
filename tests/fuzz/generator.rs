//! The fuzzer's generator: random programs of the supported subset, each printed twice,
//! as a `#[differentiate]` function and as a copy over the oracle's dual numbers.
//!
//! Deterministic (SplitMix64, no dependencies; program k from its own stream of the seed),
//! so the programs of `cargo test` are committed (`generated.rs`, [`generate`]) and a test
//! checks that the committed file is what it prints; `examples/fuzz.rs` generates many
//! more with [`programs`] and shrinks failures with [`Program::variants`].
//!
//! # The grammar
//!
//! Parameters: 0–4 scalars `x0..x3` (some declared `mut` and assigned in the body) and/or
//! one array of length 4 (`&[f64; 4]`, `[f64; 4]`, `&[f64]`, `&Vec<f64>`, `Vec<f64>`), in
//! any order; sometimes a data parameter `n: usize`. With [`Config::collisions`], a quarter
//! of the parameters and some locals take a name the macro generates ([`COLLISIONS`]:
//! `seed`, `value`, `rule`, `d_x`, `t0`, `saved_x`, ...). 1 program in 10 is `f32`
//! (everything printed with `f32`), 1 in 10 (long run only) generic over
//! `T: num_traits::Float`. 2 of every 5 programs are straight-line, the others have at
//! least one loop. A quarter of the programs come with 1–2 straight-line helpers, also
//! `#[differentiate]`, called in expressions (so in loops and branches too).
//!
//! Expressions: parameters, array elements (constant or loop-index subscripts: `a[i]`,
//! `a[i + 1]`, `a[3 - i]`, `a[i % 4]`, `a[(i + j) % 4]`), locals, loop elements (`*e`),
//! loop indices as floats (`i as f64`), float literals and `PI`/`E`; `+ - * / %`, unary
//! `-`; every float method the README lists, with arguments kept inside their domains
//! (`sqrt`, `ln`, `recip` of quantities bounded away from zero, `asin`/`acos`/`atanh` of
//! `0.9 * e.tanh()`, `acosh` of `1.5 + e * e`, `powf` of a base ≥ 1, `atan2(y, x)` with
//! y > 0, `log` with base `2 + f * f`, ...), also in the `f64::sin(e)` form; calls of
//! helpers and of closures; reductions `a.iter().sum::<f64>()`, `.product::<f64>()`,
//! `a.iter().map(|v| ..).sum::<f64>()` over array parameters and local arrays (the closure
//! reads the element, locals, loop elements; with [`Config::block_closures`] its body may
//! be a block). Every expression carries a bound on its magnitude, and arguments that
//! could grow large are squashed (`tanh`, `sin`, `cos`, `atan`) first, so values stay
//! finite.
//!
//! Statements: `let` (also `let v: f64`, shadowing `let v = v * ..`, and as values: blocks
//! `{ let t = ..; .. }`, `if`/`else if`/`else`, `match` on a loop index or `n`), closures
//! `let c = |q: f64| ..;` (reading `q` and parameters that are never assigned), `=`
//! (accumulating `s = s * k + e` or overwriting), `+= -= *= /=`, local arrays `[0.0_f64; 4]`
//! or of constants with element writes `b[k] = ..`, `b[i] += ..`, `b[i] *= ..` (also inside
//! loops, re-read by inner loops), `if`/`else if`/`else` statements (an arm may `return`),
//! an early `return` under a condition. Loops: `for i in 0..K` (K in 1..=5; also
//! `0..=K-1`, `1..K`, `(0..K).rev()`, `(0..K).step_by(2)`, `0..a.len()`, `0..n`),
//! `for e in a.iter()` (also `a`, `.copied()`, `.enumerate()`, `.zip(b.iter())`, over
//! parameters or local arrays), `while k < K` (also `&& s < c`: a data-dependent trip
//! count) and `loop` with an integer counter, breaking first or last; nested loops (`0..K`,
//! `0..i`, `0..=i`); `continue`, `break` and `return` under conditions on loop indices,
//! inside branches too. Every local and parameter is read (no unused code).
//!
//! Conditions compare a parameter (or array-parameter element) with one of the
//! thresholds -0.5, 0.0, 0.5, compare loop indices (data), or compare a local with a
//! constant. The oracle follows the same branch as the program, so kinks need no care; the
//! [`GAPPED`] domain only keeps the finite-difference second opinion meaningful.
//!
//! # Left out of the committed programs ([`Config::committed`])
//!
//! - Nothing by family any more: [`Config::committed`] is [`Config::all`]. The flags
//!   remain so that a long run can narrow the grammar; [`Config::known_bugs`] names the
//!   constructs of bugs found earlier (`*e` inside `&&`/`||`; `for e in b` over a local array
//!   that the body writes; overwriting a scalar in a `for` loop that may run zero times),
//!   all fixed and kept as regression tests.
//! - `atan2` at the origin (documented as NaN by the runtime; NaN even where the arguments
//!   are constant zeros, where `hypot` gives 0).
//!
//! Not generated yet: parameter structs, nalgebra values, `x as f32` casts of floats,
//! `match` guards and closures inside `&&`/`||`.

use std::fmt::Write as _;

/// The seed of the generator: changing it changes every program.
pub const SEED: u64 = 0x7A9E_1E55_0000_2024;
/// How many programs to generate.
pub const COUNT: usize = 1000;

/// Thresholds that conditions on parameters compare against; [`GAPPED`] keeps samples
/// 0.05 away from each.
const THRESHOLDS: &[&str] = &["-0.5", "0.0", "0.5"];
/// The sampling domain of programs that branch on parameters (a union of intervals).
pub const GAPPED: &[(f64, f64)] = &[(-1.5, -0.55), (-0.45, -0.05), (0.05, 0.45), (0.55, 1.5)];
/// The sampling domain of the other programs.
pub const FULL: &[(f64, f64)] = &[(-1.5, 1.5)];
/// Bound on the magnitude of parameters (both domains).
const PARAM_BOUND: f64 = 1.5;
/// Length of array parameters and local arrays.
const LEN: usize = 4;

/// SplitMix64: tiny, fast, and good enough to pick grammar productions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    /// An index into `weights`, with probability proportional to its weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(total as usize) as u32;
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        unreachable!()
    }

    /// A point drawn uniformly from a union of intervals (by length).
    pub fn point_in(&mut self, domain: &[(f64, f64)]) -> f64 {
        let total: f64 = domain.iter().map(|(lo, hi)| hi - lo).sum();
        let mut r = self.unit() * total;
        for &(lo, hi) in domain {
            if r < hi - lo {
                return lo + r;
            }
            r -= hi - lo;
        }
        domain[domain.len() - 1].1
    }
}

// ---------------------------------------------------------------------------------------
// Syntax trees and their printing.

#[derive(Debug, Clone)]
enum Expr {
    /// A name, literal, subscript `a[i + 1]`: binds tightest.
    Atom(String),
    /// `*x`.
    Deref(String),
    /// `i as f64`.
    Cast(String),
    Neg(Box<Expr>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
    /// `receiver.name(args)`.
    Method(Box<Expr>, &'static str, Vec<Expr>),
    /// `f64::name(args)`.
    Path(&'static str, Vec<Expr>),
    /// `{ stmts; tail }`.
    Block(Vec<Stmt>, Box<Expr>),
    /// `if c { .. } else if c { .. } else { .. }` with value blocks.
    If(Vec<(Cond, Vec<Stmt>, Expr)>, Vec<Stmt>, Box<Expr>),
    /// `match data { pattern => value, .. }`, arms with statements printed as blocks.
    Match(String, Vec<(String, Vec<Stmt>, Expr)>),
    /// `name(args)`: a differentiated helper (`true`: the oracle calls `name_dual`) or a
    /// closure bound by `let`.
    Call(String, bool, Vec<Expr>),
    /// `array.iter().sum::<f64>()`, `.product::<f64>()`, or with `.map(|v| body)` first.
    Reduce {
        array: String,
        body: Option<(String, Box<Expr>)>,
        product: bool,
    },
}

#[derive(Debug, Clone)]
enum Cond {
    Cmp(Expr, &'static str, Expr),
    /// A comparison of data, printed as is (`i % 2 == 0`).
    Data(String),
    Both(Box<Cond>, &'static str, Box<Cond>),
}

#[derive(Debug, Clone)]
enum Stmt {
    /// `let [mut] name[: f64] = init;` (mutability decided after generation).
    Let {
        local: usize,
        annotate: bool,
        init: Expr,
    },
    /// `let [mut] name = [..];`
    LetArray { local: usize, init: String },
    /// `let mut k = 0;` (an integer counter).
    Counter(String),
    /// `place op value;`
    Assign {
        place: Place,
        op: &'static str,
        value: Expr,
    },
    If {
        arms: Vec<(Cond, Vec<Stmt>)>,
        otherwise: Option<Vec<Stmt>>,
    },
    /// `for pat in iter { body }`
    For {
        pat: String,
        iter: String,
        body: Vec<Stmt>,
    },
    /// `while cond { body }`
    While { cond: String, body: Vec<Stmt> },
    /// `loop { body }`
    Loop(Vec<Stmt>),
    /// `if cond { exit }` where `exit` is `continue;`, `break;` or `return e;`.
    Exit {
        cond: Cond,
        exit: &'static str,
        value: Option<Expr>,
    },
    /// A statement printed as is (`k += 1;`).
    Raw(String),
    /// Statements in the enclosing block (a counter and its loop).
    Seq(Vec<Stmt>),
    /// `return e;`
    Return(Expr),
    /// `let name = |param: f64| body;`
    LetClosure {
        name: String,
        param: String,
        body: Expr,
    },
    /// `match scrutinee { pattern [if guard] => { .. } }` (an arm of one assignment
    /// printed inline); `guards` has one entry per arm.
    Match {
        scrutinee: String,
        arms: Vec<(String, Vec<Stmt>)>,
        guards: Vec<Option<Cond>>,
    },
}

#[derive(Debug, Clone)]
enum Place {
    Scalar(usize),
    Element(usize, String),
}

fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Atom(_)
        | Expr::Method(..)
        | Expr::Path(..)
        | Expr::Block(..)
        | Expr::Call(..)
        | Expr::Reduce { .. } => 6,
        Expr::Deref(_) | Expr::Neg(_) => 5,
        Expr::Cast(_) => 4,
        Expr::Bin("*" | "/" | "%", ..) => 3,
        Expr::Bin(..) => 2,
        Expr::If(..) | Expr::Match(..) => 0,
    }
}

struct Printer<'a> {
    locals: &'a [Local],
    out: String,
    /// What the float type is printed as, and how literals are.
    style: Style,
}

/// How a program is printed: as the differentiated function of its flavor, or as the
/// oracle's copy over dual numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The program as given, with `f64`.
    F64,
    /// With `f32` for `f64` everywhere.
    F32,
    /// Generic over `T: num_traits::Float`: literals `T::from(0.5).unwrap()`, no compound
    /// assignment (`Float` does not imply `AddAssign`).
    Generic,
    /// Over the oracle's `Dual` (`Dual32` for `f32` programs): literals `Dual::c(0.5)`.
    Dual { single: bool },
}

impl Style {
    /// The float type's name.
    pub fn ty(self) -> &'static str {
        match self {
            Style::F64 => "f64",
            Style::F32 => "f32",
            Style::Generic => "T",
            Style::Dual { single: false } => "Dual",
            Style::Dual { single: true } => "Dual32",
        }
    }

    fn single(self) -> bool {
        matches!(self, Style::F32 | Style::Dual { single: true })
    }

    /// Wraps a float constant's text.
    fn constant(self, text: &str) -> String {
        match self {
            Style::F64 | Style::F32 => text.to_string(),
            Style::Generic => format!("T::from({text}).unwrap()"),
            Style::Dual { .. } => format!("{}::c({text})", self.ty()),
        }
    }

    /// Rewrites a fragment of program text (a subscript, a literal, a data condition):
    /// `f64` becomes `f32` for `f32` programs; float literals and `std::f64::consts::X`
    /// paths are wrapped by [`Style::constant`].
    pub fn text(self, s: &str) -> String {
        let s = if self.single() {
            s.replace("f64", "f32")
        } else {
            s.to_string()
        };
        if matches!(self, Style::F64 | Style::F32) {
            return s;
        }
        let chars: Vec<char> = s.chars().collect();
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let mut out = String::new();
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            let boundary = k == 0 || !(ident(chars[k - 1]) || chars[k - 1] == '.');
            let rest: String = chars[k..].iter().collect();
            if boundary && (rest.starts_with("std::") || rest.starts_with("core::")) {
                let end = chars[k..]
                    .iter()
                    .position(|&c| !(ident(c) || c == ':'))
                    .map_or(chars.len(), |n| k + n);
                let path: String = chars[k..end].iter().collect();
                out.push_str(&self.constant(&path));
                k = end;
            } else if boundary && c.is_ascii_digit() {
                let mut end = k;
                while end < chars.len() && chars[end].is_ascii_digit() {
                    end += 1;
                }
                let float =
                    end + 1 < chars.len() && chars[end] == '.' && chars[end + 1].is_ascii_digit();
                if !float {
                    out.extend(&chars[k..end]);
                    k = end;
                    continue;
                }
                end += 1;
                while end < chars.len() && chars[end].is_ascii_digit() {
                    end += 1;
                }
                let number: String = chars[k..end].iter().collect();
                for suffix in ["_f64", "_f32", "f64", "f32"] {
                    let tail: String = chars[end..].iter().take(suffix.len()).collect();
                    if tail == suffix {
                        end += suffix.len();
                        break;
                    }
                }
                out.push_str(&self.constant(&number));
                k = end;
            } else {
                out.push(c);
                k += 1;
            }
        }
        out
    }
}

impl Printer<'_> {
    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// The expression's text; `indent` is the indentation of the line it starts on (for the
    /// lines of blocks inside it).
    fn expr(&self, e: &Expr, indent: usize) -> String {
        match e {
            Expr::Atom(s) => self.style.text(s),
            Expr::Deref(s) => format!("*{s}"),
            Expr::Cast(s) => match self.style {
                Style::F64 | Style::F32 => format!("{s} as {}", self.style.ty()),
                Style::Generic => format!("T::from({s}).unwrap()"),
                Style::Dual { single } => {
                    let f = if single { "f32" } else { "f64" };
                    format!("{}::c({s} as {f})", self.style.ty())
                }
            },
            Expr::Neg(x) => {
                // `-(-x)`, not `--x`.
                let min = if matches!(**x, Expr::Neg(_)) { 6 } else { 5 };
                format!("-{}", self.operand(x, min, indent))
            }
            Expr::Bin(op, l, r) => {
                let p = precedence(e);
                // Left-associative: the right operand needs parentheses at equal precedence,
                // and a negated right operand reads better in parentheses.
                let rmin = if matches!(**r, Expr::Neg(_)) {
                    6
                } else {
                    p + 1
                };
                format!(
                    "{} {op} {}",
                    self.operand(l, p, indent),
                    self.operand(r, rmin, indent)
                )
            }
            Expr::Method(recv, name, args) => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a, indent)).collect();
                format!(
                    "{}.{name}({})",
                    self.operand(recv, 6, indent),
                    args.join(", ")
                )
            }
            Expr::Path(name, args) => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a, indent)).collect();
                format!("{}::{name}({})", self.style.ty(), args.join(", "))
            }
            Expr::Call(name, helper, args) => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a, indent)).collect();
                let suffix = if *helper && matches!(self.style, Style::Dual { .. }) {
                    "_dual"
                } else {
                    ""
                };
                format!("{name}{suffix}({})", args.join(", "))
            }
            Expr::Reduce {
                array,
                body,
                product,
            } => {
                let ty = self.style.ty();
                let fold = if *product { "product" } else { "sum" };
                match body {
                    None => format!("{array}.iter().{fold}::<{ty}>()"),
                    Some((v, body)) => format!(
                        "{array}.iter().map(|{v}| {}).{fold}::<{ty}>()",
                        self.expr(body, indent)
                    ),
                }
            }
            Expr::Block(stmts, tail) => {
                let mut p = Printer {
                    locals: self.locals,
                    out: String::new(),
                    style: self.style,
                };
                p.out.push_str("{\n");
                p.stmts(stmts, indent + 1);
                let tail = p.expr(tail, indent + 1);
                p.line(indent + 1, &tail);
                p.line(indent, "}");
                p.out.pop();
                p.out
            }
            Expr::Match(scrutinee, arms) => {
                let mut p = Printer {
                    locals: self.locals,
                    out: format!("match {} {{\n", self.style.text(scrutinee)),
                    style: self.style,
                };
                for (pattern, stmts, value) in arms {
                    if stmts.is_empty() {
                        let value = p.expr(value, indent + 1);
                        p.line(indent + 1, &format!("{pattern} => {value},"));
                    } else {
                        p.line(indent + 1, &format!("{pattern} => {{"));
                        p.stmts(stmts, indent + 2);
                        let value = p.expr(value, indent + 2);
                        p.line(indent + 2, &value);
                        p.line(indent + 1, "}");
                    }
                }
                p.line(indent, "}");
                p.out.pop();
                p.out
            }
            Expr::If(arms, stmts, tail) => {
                let mut p = Printer {
                    locals: self.locals,
                    out: String::new(),
                    style: self.style,
                };
                for (k, (cond, stmts, tail)) in arms.iter().enumerate() {
                    let head = format!("if {} {{", p.cond(cond));
                    if k == 0 {
                        p.out.push_str(&head);
                        p.out.push('\n');
                    } else {
                        p.line(indent, &format!("}} else {head}"));
                    }
                    p.stmts(stmts, indent + 1);
                    let tail = p.expr(tail, indent + 1);
                    p.line(indent + 1, &tail);
                }
                p.line(indent, "} else {");
                p.stmts(stmts, indent + 1);
                let tail = p.expr(tail, indent + 1);
                p.line(indent + 1, &tail);
                p.line(indent, "}");
                p.out.pop();
                p.out
            }
        }
    }

    fn operand(&self, e: &Expr, min: u8, indent: usize) -> String {
        // A block as an operand (`{ .. } * x`) would parse as a statement.
        let min = if matches!(e, Expr::Block(..)) { 7 } else { min };
        let text = self.expr(e, indent);
        if precedence(e) < min {
            format!("({text})")
        } else {
            text
        }
    }

    fn cond(&self, c: &Cond) -> String {
        match c {
            Cond::Cmp(l, op, r) => {
                let l = self.expr(l, 0);
                // `x - i as f64 < c` (or `as f32`) would parse `f64<` as the start of
                // generic arguments.
                let l = if (l.ends_with(" as f64") || l.ends_with(" as f32")) && *op == "<" {
                    format!("({l})")
                } else {
                    l
                };
                format!("{l} {op} {}", self.expr(r, 0))
            }
            Cond::Data(s) => self.style.text(s),
            Cond::Both(l, op, r) => format!("{} {op} {}", self.cond(l), self.cond(r)),
        }
    }

    /// `place op value;`, or `place = place op value;` in the generic style.
    fn assign(&self, place: &Place, op: &str, value: &Expr, indent: usize) -> String {
        let target = self.place(place);
        if self.style == Style::Generic && op != "=" {
            let op = match op {
                "+=" => "+",
                "-=" => "-",
                "*=" => "*",
                "/=" => "/",
                _ => "%",
            };
            let e = Gen::bin(op, Expr::Atom(target.clone()), value.clone());
            return format!("{target} = {};", self.expr(&e, indent));
        }
        format!("{target} {op} {};", self.expr(value, indent))
    }

    fn place(&self, p: &Place) -> String {
        match p {
            Place::Scalar(id) => self.locals[*id].name.clone(),
            Place::Element(id, index) => format!("{}[{index}]", self.locals[*id].name),
        }
    }

    fn stmts(&mut self, stmts: &[Stmt], indent: usize) {
        for s in stmts {
            self.stmt(s, indent);
        }
    }

    fn stmt(&mut self, s: &Stmt, indent: usize) {
        match s {
            Stmt::Let {
                local,
                annotate,
                init,
            } => {
                let l = &self.locals[*local];
                let text = format!(
                    "let {}{}{} = {};",
                    if l.mutated { "mut " } else { "" },
                    l.name,
                    if *annotate {
                        format!(": {}", self.style.ty())
                    } else {
                        String::new()
                    },
                    self.expr(init, indent)
                );
                self.line(indent, &text);
            }
            Stmt::LetArray { local, init } => {
                let l = &self.locals[*local];
                let text = format!(
                    "let {}{} = {};",
                    if l.mutated { "mut " } else { "" },
                    l.name,
                    self.style.text(init)
                );
                self.line(indent, &text);
            }
            Stmt::Counter(name) => self.line(indent, &format!("let mut {name} = 0;")),
            Stmt::Assign { place, op, value } => {
                let text = self.assign(place, op, value, indent);
                self.line(indent, &text);
            }
            Stmt::If { arms, otherwise } => {
                for (k, (cond, body)) in arms.iter().enumerate() {
                    let head = format!("if {} {{", self.cond(cond));
                    if k == 0 {
                        self.line(indent, &head);
                    } else {
                        self.line(indent, &format!("}} else {head}"));
                    }
                    self.stmts(body, indent + 1);
                }
                if let Some(body) = otherwise {
                    self.line(indent, "} else {");
                    self.stmts(body, indent + 1);
                }
                self.line(indent, "}");
            }
            Stmt::For { pat, iter, body } => {
                self.line(indent, &format!("for {pat} in {iter} {{"));
                self.stmts(body, indent + 1);
                self.line(indent, "}");
            }
            Stmt::While { cond, body } => {
                self.line(indent, &format!("while {} {{", self.style.text(cond)));
                self.stmts(body, indent + 1);
                self.line(indent, "}");
            }
            Stmt::Loop(body) => {
                self.line(indent, "loop {");
                self.stmts(body, indent + 1);
                self.line(indent, "}");
            }
            Stmt::Exit { cond, exit, value } => {
                self.line(indent, &format!("if {} {{", self.cond(cond)));
                match value {
                    Some(v) => {
                        let text = format!("{exit} {};", self.expr(v, indent + 1));
                        self.line(indent + 1, &text);
                    }
                    None => self.line(indent + 1, &format!("{exit};")),
                }
                self.line(indent, "}");
            }
            Stmt::Raw(text) => {
                let text = self.style.text(text);
                self.line(indent, &text)
            }
            Stmt::Seq(stmts) => self.stmts(stmts, indent),
            Stmt::Match {
                scrutinee,
                arms,
                guards,
            } => {
                self.line(indent, &format!("match {} {{", self.style.text(scrutinee)));
                for ((pattern, body), guard) in arms.iter().zip(guards) {
                    let pattern = match guard {
                        Some(c) => format!("{pattern} if {}", self.cond(c)),
                        None => pattern.clone(),
                    };
                    match body.as_slice() {
                        [] => self.line(indent + 1, &format!("{pattern} => {{}}")),
                        [Stmt::Assign { place, op, value }] => {
                            let text = self.assign(place, op, value, indent + 1);
                            let text = format!("{pattern} => {},", text.trim_end_matches(';'));
                            self.line(indent + 1, &text);
                        }
                        _ => {
                            self.line(indent + 1, &format!("{pattern} => {{"));
                            self.stmts(body, indent + 2);
                            self.line(indent + 1, "}");
                        }
                    }
                }
                self.line(indent, "}");
            }
            Stmt::Return(e) => {
                let text = format!("return {};", self.expr(e, indent));
                self.line(indent, &text);
            }
            Stmt::LetClosure { name, param, body } => {
                let text = format!(
                    "let {name} = |{param}: {}| {};",
                    self.style.ty(),
                    self.expr(body, indent)
                );
                self.line(indent, &text);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Generation.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParamKind {
    Scalar,
    /// `&[f64; 4]`
    ArrayRef,
    /// `[f64; 4]`
    Array,
    /// `&[f64]` (called with length 4)
    Slice,
    /// `&Vec<f64>` (of length 4)
    VecRef,
    /// `Vec<f64>` (of length 4)
    Vec,
    /// `n: usize`, data: called with this value.
    Data(usize),
}

impl ParamKind {
    fn is_array(self) -> bool {
        matches!(
            self,
            ParamKind::ArrayRef
                | ParamKind::Array
                | ParamKind::Slice
                | ParamKind::VecRef
                | ParamKind::Vec
        )
    }
}

#[derive(Debug, Clone)]
struct Param {
    name: String,
    kind: ParamKind,
    used: bool,
    /// For a scalar that the body may assign (`mut x0: f64`): its entry in the locals.
    local: Option<usize>,
}

#[derive(Debug, Clone)]
struct Local {
    name: String,
    array: bool,
    /// A bound on the magnitude of its value (of every element, for arrays).
    bound: f64,
    /// Assigned after its declaration: printed `let mut`.
    mutated: bool,
    /// Its current value has been read (if not, the end of its scope reads it).
    used: bool,
}

/// A loop index (data) in scope, with the range of values it takes.
#[derive(Debug, Clone)]
struct Index {
    name: String,
    lo: usize,
    hi: usize,
}

/// A loop variable that refers to an element (`for x in a.iter()`): `*x` or `x`.
#[derive(Debug, Clone)]
struct Element {
    name: String,
    by_ref: bool,
    bound: f64,
    /// Iterates over a parameter: conditions on it can use the thresholds.
    of_param: bool,
}

/// What kind of loop encloses the statement being generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoopKind {
    /// `for`: `continue` is fine.
    For,
    /// `while`/`loop` with a counter incremented at the end: no `continue`.
    Counted,
}

struct Gen<'r> {
    rng: &'r mut Rng,
    cfg: Config,
    /// Whether each helper of `helpers` was called.
    helper_used: Vec<bool>,
    /// Whether each closure of `closures` was called.
    closure_used: Vec<bool>,
    /// Generating the body of a closure bound by `let`: no locals, no assigned parameters.
    capturing: bool,
    /// Helpers the program may call: name and number of (scalar) parameters.
    helpers: Vec<(String, usize)>,
    /// Closures in scope: name and the bound of their result for arguments within 1.5.
    closures: Vec<(String, f64)>,
    /// Every name given so far (parameters and locals), for collision names.
    taken: Vec<String>,
    /// The program's style (what is supported differs for generic programs).
    style: Style,
    params: Vec<Param>,
    locals: Vec<Local>,
    /// Ids of the locals in scope, innermost last (a shadowed local stays in the list).
    scope: Vec<usize>,
    indices: Vec<Index>,
    elements: Vec<Element>,
    loops: Vec<LoopKind>,
    /// How many enclosing `for` loops may run zero times (`for j in 0..i`).
    maybe_empty: usize,
    /// Where the scopes of the enclosing `body` blocks start in `scope`.
    marks: Vec<usize>,
    /// Local arrays being iterated over (borrowed): not written.
    borrowed: Vec<usize>,
    /// Product of the trip counts of the enclosing loops.
    trips: f64,
    /// Some condition compares a parameter with a threshold: sample in [`GAPPED`].
    branches_on_params: bool,
    /// An early return at the top level was generated.
    returned: bool,
    next_name: usize,
}

/// Bound above which an expression is squashed before it is used as the argument of an
/// oscillating or growing function.
const ARG_BOUND: f64 = 4.0;
/// Bound above which any subexpression is squashed.
const MAX_BOUND: f64 = 40.0;

impl Gen<'_> {
    fn fresh(&mut self, prefix: &str) -> String {
        if self.cfg.collisions && prefix != "i" && prefix != "j" && self.rng.chance(8) {
            let name = self.rng.pick(COLLISIONS).to_string();
            if !self.taken.contains(&name) {
                self.taken.push(name.clone());
                return name;
            }
        }
        loop {
            let name = format!("{prefix}{}", self.next_name);
            self.next_name += 1;
            if !self.taken.contains(&name) {
                self.taken.push(name.clone());
                return name;
            }
        }
    }

    fn declare(&mut self, name: String, array: bool, bound: f64) -> usize {
        self.locals.push(Local {
            name,
            array,
            bound,
            mutated: false,
            used: false,
        });
        let id = self.locals.len() - 1;
        self.scope.push(id);
        id
    }

    /// Locals in scope and not shadowed.
    fn visible(&self, array: bool) -> Vec<usize> {
        let mut out = Vec::new();
        for (k, &id) in self.scope.iter().enumerate() {
            let l = &self.locals[id];
            let shadowed = self.scope[k + 1..]
                .iter()
                .any(|&other| self.locals[other].name == l.name);
            if l.array == array && !shadowed {
                out.push(id);
            }
        }
        out
    }

    fn literal(&mut self) -> Expr {
        const LITERALS: &[&str] = &[
            "0.5", "1.5", "2.0", "0.3", "0.7", "1.2", "2.5", "0.1", "3.0", "0.25", "0.8", "1.1",
        ];
        Expr::Atom(self.rng.pick(LITERALS).to_string())
    }

    /// Subscripts valid for an array of length [`LEN`] given the indices in scope.
    fn subscripts(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for ix in &self.indices {
            let i = &ix.name;
            if ix.hi < LEN {
                out.push(i.clone());
                out.push(i.clone());
                out.push(format!("{} - {i}", LEN - 1));
            }
            if ix.hi + 1 < LEN {
                out.push(format!("{i} + 1"));
            }
            if ix.lo >= 1 && ix.hi <= LEN {
                out.push(format!("{i} - 1"));
            }
            out.push(format!("{i} % {LEN}"));
        }
        if self.indices.len() >= 2 {
            let n = self.indices.len();
            out.push(format!(
                "({} + {}) % {LEN}",
                self.indices[n - 2].name,
                self.indices[n - 1].name
            ));
        }
        out
    }

    fn subscript(&mut self) -> String {
        let subs = self.subscripts();
        if subs.is_empty() || self.rng.chance(30) {
            self.rng.below(LEN).to_string()
        } else {
            subs[self.rng.below(subs.len())].clone()
        }
    }

    fn array_params(&self) -> Vec<usize> {
        (0..self.params.len())
            .filter(|&k| self.params[k].kind.is_array())
            .collect()
    }

    fn scalar_params(&self) -> Vec<usize> {
        (0..self.params.len())
            .filter(|&k| self.params[k].kind == ParamKind::Scalar)
            .collect()
    }

    /// A parameter value: a scalar parameter or an element of the array parameter.
    fn param_value(&mut self) -> Expr {
        // Not a scalar parameter that was assigned or shadowed: its name no longer holds a
        // value from the domain.
        // A closure bound by `let` captures no parameter that the body may assign later.
        let fresh: Vec<usize> = (0..self.params.len())
            .filter(|&k| !(self.tainted(k) || self.capturing && self.params[k].local.is_some()))
            .collect();
        let scalars: Vec<usize> = self
            .scalar_params()
            .into_iter()
            .filter(|k| fresh.contains(k))
            .collect();
        let arrays = self.array_params();
        let unused: Vec<usize> = fresh
            .iter()
            .copied()
            .filter(|&k| !self.params[k].used && !matches!(self.params[k].kind, ParamKind::Data(_)))
            .collect();
        let k = if !unused.is_empty() && self.rng.chance(50) {
            self.rng.pick(&unused)
        } else if !arrays.is_empty() && (scalars.is_empty() || self.rng.chance(40)) {
            self.rng.pick(&arrays)
        } else if !scalars.is_empty() {
            self.rng.pick(&scalars)
        } else if self.capturing {
            let q = self.elements[self.elements.len() - 1].name.clone();
            return Expr::Atom(q);
        } else {
            self.rng.pick(&self.scalar_params())
        };
        self.params[k].used = true;
        if let Some(id) = self.params[k].local {
            self.locals[id].used = true;
        }
        let p = &self.params[k];
        if p.kind == ParamKind::Scalar {
            Expr::Atom(p.name.clone())
        } else {
            let name = p.name.clone();
            Expr::Atom(format!("{name}[{}]", self.subscript()))
        }
    }

    /// Whether scalar parameter `k` was assigned, or is shadowed by a local.
    fn tainted(&self, k: usize) -> bool {
        let p = &self.params[k];
        p.kind == ParamKind::Scalar
            && (p.local.is_some_and(|id| self.locals[id].mutated)
                || self
                    .scope
                    .iter()
                    .any(|&id| self.locals[id].name == p.name && Some(id) != p.local))
    }

    /// A leaf: never a literal, so that every expression has a type (`2.0.sin()` does not).
    fn leaf(&mut self) -> (Expr, f64) {
        // A closure bound by `let` reads no locals (they may be assigned while it lives).
        let (scalars, arrays) = if self.capturing {
            (Vec::new(), Vec::new())
        } else {
            (self.visible(false), self.visible(true))
        };
        let weights = [
            10,                                           // parameter
            if scalars.is_empty() { 0 } else { 8 },       // local
            if arrays.is_empty() { 0 } else { 3 },        // local array element
            if self.elements.is_empty() { 0 } else { 4 }, // loop element
            if self.indices.is_empty() { 0 } else { 1 },  // loop index
            if self.can_reduce() { 3 } else { 0 },        // reduction
        ];
        match self.rng.weighted(&weights) {
            0 => (self.param_value(), PARAM_BOUND),
            5 => self.reduction(),
            1 => {
                // Prefer locals whose value has not been read yet.
                let unused: Vec<usize> = scalars
                    .iter()
                    .copied()
                    .filter(|&id| !self.locals[id].used)
                    .collect();
                let id = if !unused.is_empty() && self.rng.chance(60) {
                    self.rng.pick(&unused)
                } else {
                    self.rng.pick(&scalars)
                };
                self.locals[id].used = true;
                (
                    Expr::Atom(self.locals[id].name.clone()),
                    self.locals[id].bound,
                )
            }
            2 => {
                let id = self.rng.pick(&arrays);
                self.locals[id].used = true;
                let sub = self.subscript();
                let l = &self.locals[id];
                (Expr::Atom(format!("{}[{sub}]", l.name)), l.bound)
            }
            3 => {
                let e = self.elements[self.rng.below(self.elements.len())].clone();
                let expr = if e.by_ref {
                    Expr::Deref(e.name)
                } else {
                    Expr::Atom(e.name)
                };
                (expr, e.bound)
            }
            _ => {
                let ix = self.indices[self.rng.below(self.indices.len())].clone();
                (Expr::Cast(ix.name), ix.hi as f64)
            }
        }
    }

    fn can_reduce(&self) -> bool {
        self.cfg.reductions
            && self.style != Style::Generic
            && (!self.array_params().is_empty()
                || (!self.capturing && !self.visible(true).is_empty()))
    }

    /// `a.iter().sum::<f64>()`, `.product::<f64>()`, `a.iter().map(|v| ..).sum::<f64>()`
    /// over an array parameter or a local array.
    fn reduction(&mut self) -> (Expr, f64) {
        let params = self.array_params();
        let locals = if self.capturing {
            Vec::new()
        } else {
            self.visible(true)
        };
        let (array, bound) = if !params.is_empty() && (locals.is_empty() || self.rng.chance(60)) {
            let k = self.rng.pick(&params);
            self.params[k].used = true;
            (self.params[k].name.clone(), PARAM_BOUND)
        } else {
            let id = self.rng.pick(&locals);
            self.locals[id].used = true;
            (self.locals[id].name.clone(), self.locals[id].bound)
        };
        match self.rng.below(4) {
            0 => {
                // The product of 4 elements of magnitude at most `bound`.
                if bound <= 1.5 {
                    let e = Expr::Reduce {
                        array,
                        body: None,
                        product: true,
                    };
                    return (e, bound.powi(4));
                }
                let e = Expr::Reduce {
                    array,
                    body: None,
                    product: false,
                };
                (e, LEN as f64 * bound)
            }
            1 => {
                let e = Expr::Reduce {
                    array,
                    body: None,
                    product: false,
                };
                (e, LEN as f64 * bound)
            }
            _ => {
                let v = self.fresh("v");
                self.elements.push(Element {
                    name: v.clone(),
                    by_ref: true,
                    bound,
                    of_param: false,
                });
                let (body, b) = self.closure_body(8.0);
                self.elements.pop();
                // The element is read, and not alone (`.map(|v| *v)` is a clippy error).
                let (body, b) = if self.mentions_expr(&body, &v) && !matches!(body, Expr::Deref(_))
                {
                    (body, b)
                } else {
                    (Self::bin("+", body, Expr::Deref(v.clone())), b + bound)
                };
                let product = b <= 1.2 && self.rng.chance(20);
                let total = if product { 1.0 } else { LEN as f64 * b };
                let e = Expr::Reduce {
                    array,
                    body: Some((v, Box::new(body))),
                    product,
                };
                (e, total)
            }
        }
    }

    /// The body of a closure whose parameter is the innermost element: an expression, or
    /// (with `block_closures`) a block `{ let t = ..; .. }`.
    fn closure_body(&mut self, max: f64) -> (Expr, f64) {
        if !(self.cfg.block_closures && self.rng.chance(30)) {
            let (e, b) = self.bounded(1, max);
            return (e, b);
        }
        let mark = self.scope.len();
        let (init, bi) = self.bounded(1, max);
        let t = self.fresh("t");
        let id = self.declare(t, false, bi);
        let (tail, bt) = self.bounded(1, max);
        let unused = self.close(mark);
        let tail = self.read_all(tail, &unused);
        let stmts = vec![Stmt::Let {
            local: id,
            annotate: false,
            init,
        }];
        (Expr::Block(stmts, Box::new(tail)), bt + bi)
    }

    /// `let c = |q: f64| ..;` reading the parameter `q` and parameters only.
    fn let_closure(&mut self) -> Stmt {
        let name = self.fresh("c");
        let param = self.fresh("q");
        self.capturing = true;
        self.elements.push(Element {
            name: param.clone(),
            by_ref: false,
            bound: PARAM_BOUND,
            of_param: false,
        });
        let (body, b) = self.closure_body(8.0);
        // The parameter is read.
        let body = if self.mentions_expr(&body, &param) {
            body
        } else {
            Self::bin("*", body, Expr::Atom(param.clone()))
        };
        self.elements.pop();
        self.capturing = false;
        self.closures.push((name.clone(), b * PARAM_BOUND));
        self.closure_used.push(false);
        Stmt::LetClosure { name, param, body }
    }

    fn mentions_expr(&self, e: &Expr, name: &str) -> bool {
        self.mentions(&[Stmt::Return(e.clone())], name)
    }

    /// `e`, or `e` passed through a bounded function if its bound exceeds `max`.
    fn squash(&mut self, e: Expr, bound: f64, max: f64) -> (Expr, f64) {
        if bound <= max {
            return (e, bound);
        }
        let (name, b) = self
            .rng
            .pick(&[("tanh", 1.0), ("sin", 1.0), ("cos", 1.0), ("atan", 1.6)]);
        (self.call(e, name, vec![]), b)
    }

    /// `e.name(args)`, sometimes as `f64::name(e, args)`.
    fn call(&mut self, e: Expr, name: &'static str, mut args: Vec<Expr>) -> Expr {
        if self.rng.chance(10) {
            args.insert(0, e);
            Expr::Path(name, args)
        } else {
            Expr::Method(Box::new(e), name, args)
        }
    }

    fn bin(op: &'static str, l: Expr, r: Expr) -> Expr {
        Expr::Bin(op, Box::new(l), Box::new(r))
    }

    /// An expression of nesting depth at most `depth`, and a bound on its magnitude.
    fn expr(&mut self, depth: u32) -> (Expr, f64) {
        if depth == 0 || self.rng.chance(20) {
            return self.leaf();
        }
        let d = depth - 1;
        let (e, b) = match self.rng.weighted(&[
            14,                                           // + -
            14,                                           // *
            8,                                            // /
            3,                                            // unary -
            18,                                           // sin cos tanh atan
            6,                                            // exp
            5,                                            // sqrt
            5,                                            // powi
            4,                                            // abs
            6,                                            // max min
            2,                                            // ln
            2,                                            // hypot
            6,                                            // other methods
            if self.helpers.is_empty() { 0 } else { 5 },  // helper call
            if self.closures.is_empty() { 0 } else { 4 }, // closure call
        ]) {
            0 => {
                let op = self.rng.pick(&["+", "-"]);
                let (l, bl) = self.expr(d);
                let (r, br) = if self.rng.chance(30) {
                    (self.literal(), 3.0)
                } else {
                    self.expr(d)
                };
                if self.rng.chance(15) {
                    (Self::bin(op, r, l), bl + br)
                } else {
                    (Self::bin(op, l, r), bl + br)
                }
            }
            1 => {
                let (l, bl) = self.expr(d);
                let (l, bl) = self.squash(l, bl, 8.0);
                if self.rng.chance(30) {
                    (Self::bin("*", self.literal(), l), 3.0 * bl)
                } else {
                    let (r, br) = self.expr(d);
                    let (r, br) = self.squash(r, br, 8.0);
                    (Self::bin("*", l, r), bl * br)
                }
            }
            2 => {
                let (num, bn) = self.expr(d);
                match self.rng.below(3) {
                    0 => {
                        let (f, _) = self.expr(d.min(1));
                        let den =
                            Self::bin("+", Expr::Atom("1.0".into()), Self::bin("*", f.clone(), f));
                        (Self::bin("/", num, den), bn)
                    }
                    1 => {
                        let (f, _) = self.expr(d.min(1));
                        let c = self.rng.pick(&["2.0", "1.5"]);
                        let trig = self.rng.pick(&["cos", "sin", "tanh"]);
                        let den = Self::bin("+", Expr::Atom(c.into()), self.call(f, trig, vec![]));
                        (Self::bin("/", num, den), 2.0 * bn)
                    }
                    _ => {
                        let c = self.rng.pick(&["2.0", "4.0", "3.0", "1.5"]);
                        (Self::bin("/", num, Expr::Atom(c.into())), bn)
                    }
                }
            }
            3 => {
                let (e, b) = self.expr(d);
                if matches!(e, Expr::Neg(_)) {
                    (e, b)
                } else {
                    (Expr::Neg(Box::new(e)), b)
                }
            }
            4 => {
                let (e, b) = self.expr(d);
                let (e, _) = self.squash(e, b, ARG_BOUND);
                let (name, bound) =
                    self.rng
                        .pick(&[("sin", 1.0), ("cos", 1.0), ("tanh", 1.0), ("atan", 1.6)]);
                (self.call(e, name, vec![]), bound)
            }
            5 => {
                let (e, b) = self.expr(d);
                let (e, b) = if b <= 2.0 {
                    (e, b)
                } else {
                    let name = self.rng.pick(&["tanh", "sin", "cos"]);
                    (self.call(e, name, vec![]), 1.0)
                };
                (self.call(e, "exp", vec![]), b.exp())
            }
            6 => {
                let (e, b) = self.expr(d.min(1));
                let (e, b) = self.squash(e, b, 2.0 * ARG_BOUND);
                match self.rng.below(3) {
                    0 => {
                        let c = self.rng.pick(&["1.0", "0.5", "2.0"]);
                        let arg =
                            Self::bin("+", Self::bin("*", e.clone(), e), Expr::Atom(c.into()));
                        (self.call(arg, "sqrt", vec![]), b + 1.5)
                    }
                    1 => {
                        let sq = self.call(e, "powi", vec![Expr::Atom("2".into())]);
                        let arg = Self::bin("+", sq, Expr::Atom("1.0".into()));
                        (self.call(arg, "sqrt", vec![]), b + 1.0)
                    }
                    _ => {
                        let c = self.rng.pick(&["1.5", "2.0"]);
                        let trig = self.rng.pick(&["sin", "cos"]);
                        let arg = Self::bin("+", Expr::Atom(c.into()), self.call(e, trig, vec![]));
                        (self.call(arg, "sqrt", vec![]), 2.0)
                    }
                }
            }
            7 => {
                let (e, b) = self.expr(d);
                let (e, b) = self.squash(e, b, 2.0);
                let n = self.rng.pick(&[2, 3]);
                let e = self.call(e, "powi", vec![Expr::Atom(n.to_string())]);
                (e, b.powi(n))
            }
            8 => {
                let (e, b) = self.expr(d);
                (self.call(e, "abs", vec![]), b)
            }
            9 => {
                let name = self.rng.pick(&["max", "min"]);
                let (l, bl) = self.expr(d);
                // Not `e.max(c).min(c')` (clippy: constant or a manual `clamp`).
                let bounded_by_literal = matches!(
                    &l,
                    Expr::Method(_, "max" | "min" | "clamp", _)
                        | Expr::Path("max" | "min" | "clamp", _)
                );
                let (r, br) = if !bounded_by_literal && self.rng.chance(25) {
                    (Expr::Atom(self.rng.pick(THRESHOLDS).replace('-', "")), 0.5)
                } else {
                    self.expr(d)
                };
                (self.call(l, name, vec![r]), bl.max(br))
            }
            10 => {
                let (e, b) = self.expr(d.min(1));
                if self.rng.chance(50) {
                    let (e, b) = self.squash(e, b, 2.0 * ARG_BOUND);
                    let arg =
                        Self::bin("+", Expr::Atom("1.0".into()), Self::bin("*", e.clone(), e));
                    (self.call(arg, "ln", vec![]), (1.0 + b * b).ln())
                } else {
                    let (e, _) = self.squash(e, b, ARG_BOUND);
                    let arg = Self::bin("+", Expr::Atom("2.0".into()), self.call(e, "sin", vec![]));
                    (self.call(arg, "ln", vec![]), 1.1)
                }
            }
            11 => {
                let (l, bl) = self.expr(d);
                let (r, br) = self.expr(d);
                (self.call(l, "hypot", vec![r]), bl + br)
            }
            12 => self.other_method(d),
            13 => {
                let k = self.rng.below(self.helpers.len());
                let (name, arity) = self.helpers[k].clone();
                self.helper_used[k] = true;
                let args = (0..arity).map(|_| self.bounded(d, PARAM_BOUND).0).collect();
                (Expr::Call(name, true, args), MAX_BOUND)
            }
            _ => {
                let k = self.rng.below(self.closures.len());
                let (name, bound) = self.closures[k].clone();
                self.closure_used[k] = true;
                let (arg, _) = self.bounded(d, PARAM_BOUND);
                (Expr::Call(name, false, vec![arg]), bound)
            }
        };
        self.squash(e, b, MAX_BOUND)
    }

    /// Less common rules: `powf atan2 mul_add clamp recip sinh cosh exp_m1 ln_1p cbrt` and
    /// the constant `PI`.
    fn other_method(&mut self, d: u32) -> (Expr, f64) {
        let one = |s: &str| Expr::Atom(s.into());
        if self.cfg.rare_methods && self.rng.chance(40) {
            return self.rare_method(d);
        }
        match self.rng.below(10) {
            0 => {
                let (e, b) = self.bounded(d.min(1), 1.5);
                let base = Self::bin("+", Self::bin("*", e.clone(), e), one("1.0"));
                let (f, _) = self.bounded(d, 1.0);
                (self.call(base, "powf", vec![f]), (b * b + 1.0).max(1.0))
            }
            1 => {
                // `atan2(y, x)` with y > 0: the runtime's rule is NaN at the origin, which
                // poisons the gradient even where `y` and `x` are constant zeros (`x0 - x0`).
                let (l, _) = self.bounded(d, ARG_BOUND);
                let y = if self.rng.chance(50) {
                    Self::bin("+", one("1.5"), self.call(l, "sin", vec![]))
                } else {
                    Self::bin("+", one("1.0"), Self::bin("*", l.clone(), l))
                };
                let (r, _) = self.expr(d);
                (self.call(y, "atan2", vec![r]), 3.2)
            }
            2 => {
                let (a, ba) = self.bounded(d, ARG_BOUND);
                let (b, bb) = self.bounded(d, ARG_BOUND);
                let (c, bc) = self.expr(d);
                (self.call(a, "mul_add", vec![b, c]), ba * bb + bc)
            }
            3 => {
                let (e, b) = self.expr(d);
                let (lo, hi) = self
                    .rng
                    .pick(&[("-1.0", "1.0"), ("-0.5", "0.5"), ("0.0", "2.0")]);
                (self.call(e, "clamp", vec![one(lo), one(hi)]), b.min(2.0))
            }
            4 => {
                let (e, _) = self.bounded(d.min(1), 2.0 * ARG_BOUND);
                let arg = if self.rng.chance(50) {
                    Self::bin("+", one("1.0"), Self::bin("*", e.clone(), e))
                } else {
                    Self::bin("+", one("2.0"), self.call(e, "sin", vec![]))
                };
                (self.call(arg, "recip", vec![]), 1.0)
            }
            5 => {
                let (e, b) = self.bounded(d, 2.0);
                let name = self.rng.pick(&["sinh", "cosh", "exp_m1"]);
                (self.call(e, name, vec![]), b.exp())
            }
            6 => {
                let (e, b) = self.bounded(d.min(1), 2.0 * ARG_BOUND);
                let arg = Self::bin("*", e.clone(), e);
                (self.call(arg, "ln_1p", vec![]), (1.0 + b * b).ln())
            }
            7 => {
                let (e, b) = self.bounded(d.min(1), 2.0 * ARG_BOUND);
                let arg = Self::bin("+", Self::bin("*", e.clone(), e), one("0.5"));
                (self.call(arg, "cbrt", vec![]), (b * b + 0.5).cbrt())
            }
            _ => {
                let (e, b) = self.expr(d);
                let pi = one(self
                    .rng
                    .pick(&["std::f64::consts::PI", "core::f64::consts::E"]));
                (Self::bin("*", pi, e), 3.2 * b)
            }
        }
    }

    /// `x0 > 0.5 && c(x1) > 0.3` and the like: a parameter condition and a comparison of a
    /// closure call, a reduction or a helper call, joined by `&&` or `||`.
    fn compound_call_cond(&mut self) -> Cond {
        let l = self.param_cond(true);
        let e = if !self.closures.is_empty() && self.rng.chance(50) {
            let k = self.rng.below(self.closures.len());
            self.closure_used[k] = true;
            let (arg, _) = self.bounded(1, PARAM_BOUND);
            Expr::Call(self.closures[k].0.clone(), false, vec![arg])
        } else if !self.helpers.is_empty() && self.rng.chance(50) {
            let k = self.rng.below(self.helpers.len());
            self.helper_used[k] = true;
            let (name, arity) = self.helpers[k].clone();
            let args = (0..arity).map(|_| self.bounded(1, PARAM_BOUND).0).collect();
            Expr::Call(name, true, args)
        } else if self.can_reduce() {
            self.reduction().0
        } else {
            self.bounded(1, MAX_BOUND).0
        };
        let op = self.rng.pick(&["&&", "||"]);
        let r = Cond::Cmp(e, ">", self.literal());
        if self.rng.chance(50) {
            Cond::Both(Box::new(l), op, Box::new(r))
        } else {
            Cond::Both(Box::new(r), op, Box::new(l))
        }
    }

    /// The rarer methods, with arguments inside their domains.
    fn rare_method(&mut self, d: u32) -> (Expr, f64) {
        let one = |s: &str| Expr::Atom(s.into());
        let squashed = |g: &mut Self, e: Expr| {
            let t = g.call(e, "tanh", vec![]);
            Self::bin("*", one("0.9"), t)
        };
        match self.rng.below(8) {
            0 => {
                let (e, _) = self.bounded(d, 1.0);
                let (e, _) = self.squash(e, 2.0, 1.0);
                (self.call(e, "tan", vec![]), 1.6)
            }
            1 => {
                let (e, _) = self.expr(d);
                let arg = squashed(self, e);
                let name = self.rng.pick(&["asin", "acos", "atanh"]);
                (self.call(arg, name, vec![]), 3.2)
            }
            2 => {
                let (e, b) = self.bounded(d, 2.0 * ARG_BOUND);
                if self.rng.chance(50) {
                    (self.call(e, "asinh", vec![]), b.asinh())
                } else {
                    let arg = Self::bin("+", one("1.5"), Self::bin("*", e.clone(), e));
                    (self.call(arg, "acosh", vec![]), (1.5 + b * b).acosh())
                }
            }
            3 => {
                let (e, b) = self.bounded(d, 2.0);
                (self.call(e, "exp2", vec![]), b.exp2())
            }
            4 => {
                let (e, b) = self.bounded(d.min(1), 2.0 * ARG_BOUND);
                let arg = Self::bin("+", one("1.0"), Self::bin("*", e.clone(), e));
                match self.rng.below(3) {
                    0 => (self.call(arg, "log2", vec![]), (1.0 + b * b).log2()),
                    1 => (self.call(arg, "log10", vec![]), (1.0 + b * b).log10()),
                    _ => {
                        let (f, _) = self.bounded(d.min(1), ARG_BOUND);
                        let base = Self::bin("+", one("2.0"), Self::bin("*", f.clone(), f));
                        (self.call(arg, "log", vec![base]), (1.0 + b * b).log2())
                    }
                }
            }
            5 => {
                if self.rng.chance(50) {
                    let (e, b) = self.bounded(d, 0.5);
                    (self.call(e, "to_degrees", vec![]), b.to_degrees())
                } else {
                    let (e, b) = self.expr(d);
                    (self.call(e, "to_radians", vec![]), b.to_radians())
                }
            }
            6 => {
                let (e, b) = self.expr(d);
                let name = self
                    .rng
                    .pick(&["fract", "floor", "ceil", "round", "trunc", "signum"]);
                (self.call(e, name, vec![]), b + 1.0)
            }
            _ => {
                let (e, b) = self.expr(d);
                if self.rng.chance(50) {
                    let c = self.rng.pick(&["1.5", "0.7", "2.0"]);
                    (Self::bin("%", e, one(c)), b.min(2.0))
                } else {
                    let (f, _) = self.bounded(d.min(1), ARG_BOUND);
                    let den = Self::bin("+", one("2.0"), self.call(f, "sin", vec![]));
                    (Self::bin("%", e, den), b.min(3.0))
                }
            }
        }
    }

    /// An expression whose bound is at most `max`.
    fn bounded(&mut self, depth: u32, max: f64) -> (Expr, f64) {
        let (e, b) = self.expr(depth);
        self.squash(e, b, max)
    }

    /// A condition; `data_ok` allows conditions on loop indices.
    fn cond(&mut self) -> Cond {
        if self.cfg.compound_calls && self.rng.chance(15) {
            return self.compound_call_cond();
        }
        let has_local = !self.visible(false).is_empty();
        let weights = [
            12,                                          // parameter vs threshold
            3,                                           // two of them
            if has_local { 3 } else { 0 },               // local vs constant
            if self.indices.is_empty() { 0 } else { 4 }, // loop index
        ];
        match self.rng.weighted(&weights) {
            0 => self.param_cond(false),
            1 => {
                // Of two different values (clippy rejects `x0 > 0.5 && x0 < 0.0` and the like).
                let l = self.param_cond(true);
                for _ in 0..5 {
                    let r = self.param_cond(true);
                    if self.cond_value(&r) != self.cond_value(&l) {
                        let op = self.rng.pick(&["&&", "||"]);
                        return Cond::Both(Box::new(l), op, Box::new(r));
                    }
                }
                l
            }
            2 => {
                let (e, _) = self.bounded(1, MAX_BOUND);
                let op = self.rng.pick(&[">", "<"]);
                Cond::Cmp(e, op, self.literal())
            }
            _ => Cond::Data(self.index_cond()),
        }
    }

    /// A parameter compared with a threshold. In a `&&`/`||` (`compound`), not `*e` for an
    /// element `e` of `a.iter()`: the macro fails to compile that (bug 1 in the report).
    /// The text of what a comparison compares.
    fn cond_value(&self, c: &Cond) -> String {
        let p = Printer {
            locals: &self.locals,
            out: String::new(),
            style: Style::F64,
        };
        match c {
            Cond::Cmp(l, ..) => p.expr(l, 0),
            _ => p.cond(c),
        }
    }

    /// A condition different from each of `others` (clippy rejects `if c {} else if c {}`).
    fn new_cond(&mut self, others: &[String]) -> Cond {
        let mut c = self.cond();
        for _ in 0..5 {
            let text = self.cond_text(&c);
            if !others.contains(&text) {
                break;
            }
            c = self.cond();
        }
        c
    }

    fn cond_text(&self, c: &Cond) -> String {
        Printer {
            locals: &self.locals,
            out: String::new(),
            style: Style::F64,
        }
        .cond(c)
    }

    fn param_cond(&mut self, compound: bool) -> Cond {
        self.branches_on_params = true;
        let param_elements: Vec<Element> = self
            .elements
            .iter()
            .filter(|e| e.of_param && !(compound && e.by_ref && !self.cfg.known_bugs))
            .cloned()
            .collect();
        let value = if !param_elements.is_empty() && self.rng.chance(40) {
            let e = self
                .rng
                .pick(&(0..param_elements.len()).collect::<Vec<_>>());
            let e = &param_elements[e];
            if e.by_ref {
                Expr::Deref(e.name.clone())
            } else {
                Expr::Atom(e.name.clone())
            }
        } else {
            self.param_value()
        };
        let op = self.rng.pick(&[">", "<", ">=", "<="]);
        Cond::Cmp(value, op, Expr::Atom(self.rng.pick(THRESHOLDS).into()))
    }

    fn index_cond(&mut self) -> String {
        let ix = self.indices[self.rng.below(self.indices.len())].clone();
        let i = &ix.name;
        // At least 1 so that `i < c` and `i >= c` are not constant for unsigned `i`.
        let c = self.rng.between(ix.lo.max(1), ix.hi.max(ix.lo + 1));
        match self.rng.below(6) {
            0 => format!("{i} % 2 == 0"),
            1 => format!("{i} % 2 == 1"),
            2 => format!("{i} == {c}"),
            3 => format!("{i} < {c}"),
            4 => format!("{i} >= {c}"),
            _ if self.indices.len() >= 2 => {
                let other = self.indices[0].name.clone();
                if &other == i {
                    format!("{i} > {c}")
                } else {
                    format!("{i} == {other}")
                }
            }
            _ => format!("{i} > {c}"),
        }
    }

    /// Records an assignment to `id` whose new value has magnitude at most `new_bound`.
    fn assigned(&mut self, id: usize, new_bound: f64) {
        let l = &mut self.locals[id];
        l.mutated = true;
        l.used = false;
        l.bound = l.bound.max(new_bound);
    }

    /// An update of a scalar local: `s op= e` or `s = s * k + e`.
    fn update(&mut self, id: usize) -> Stmt {
        let in_loop = !self.loops.is_empty();
        let grow = if in_loop { self.trips } else { 1.0 };
        let max = if in_loop { 3.0 } else { 8.0 };
        let old = self.locals[id].bound;
        let place = Place::Scalar(id);
        let name = self.locals[id].name.clone();
        // Not in a `for` loop that may run zero times: the macro then loses the adjoint of
        // the value from before the loop (bug 3 in the report).
        let overwrite = if self.locals[id].used && (self.maybe_empty == 0 || self.cfg.known_bugs) {
            3
        } else {
            0
        };
        let (op, value, new_bound) = match self.rng.weighted(&[10, 5, 3, 3, 4, overwrite]) {
            0 | 1 => {
                let (e, b) = self.bounded(2, max);
                (
                    if self.rng.chance(65) { "+=" } else { "-=" },
                    e,
                    old + grow * b,
                )
            }
            2 => {
                // A factor of magnitude at most 1.
                let (e, _) = self.bounded(1, ARG_BOUND);
                let f = match self.rng.below(3) {
                    0 => self.call(e, "cos", vec![]),
                    1 => self.call(e, "tanh", vec![]),
                    _ => Self::bin("*", Expr::Atom("0.5".into()), self.call(e, "sin", vec![])),
                };
                ("*=", f, old)
            }
            3 => {
                let (e, _) = self.expr(1);
                let den = if self.rng.chance(50) {
                    Self::bin("+", Expr::Atom("1.0".into()), Self::bin("*", e.clone(), e))
                } else {
                    let (e, _) = self.squash(e, 10.0, ARG_BOUND);
                    Self::bin("+", Expr::Atom("2.0".into()), self.call(e, "sin", vec![]))
                };
                ("/=", den, old)
            }
            5 => {
                // The old value was read: overwrite it, not with a bare name (`s = s` and
                // `let t = s; s = t;` are clippy errors).
                if self.cfg.literal_assignments && self.rng.chance(25) {
                    // `s = 2.0;`: a typed local assigned a bare literal.
                    ("=", self.literal(), 3.0)
                } else {
                    let (e, b) = self.bounded(2, max);
                    let e = match e {
                        Expr::Atom(a) => Self::bin("*", Expr::Atom("0.5".into()), Expr::Atom(a)),
                        e => e,
                    };
                    ("=", e, b)
                }
            }
            _ => {
                // s = s * k + e, |k| <= 1.
                let (k, _) = if self.rng.chance(50) {
                    (self.literal_factor(), 1.0)
                } else {
                    let (e, _) = self.bounded(1, ARG_BOUND);
                    let name = self.rng.pick(&["tanh", "sin", "cos"]);
                    (self.call(e, name, vec![]), 1.0)
                };
                let (e, b) = self.bounded(2, max);
                let value = Self::bin("+", Self::bin("*", Expr::Atom(name), k), e);
                ("=", value, old + grow * b)
            }
        };
        self.locals[id].used = true; // `s op= e` reads `s`
        self.assigned(id, new_bound);
        Stmt::Assign { place, op, value }
    }

    fn literal_factor(&mut self) -> Expr {
        Expr::Atom(self.rng.pick(&["0.5", "0.9", "0.7", "0.25"]).into())
    }

    /// A write to an element of a local array.
    fn element_write(&mut self, id: usize) -> Stmt {
        let in_loop = !self.loops.is_empty();
        let grow = if in_loop { self.trips } else { 1.0 };
        let sub = self.subscript();
        let (e, b) = self.bounded(2, 3.0);
        let old = self.locals[id].bound;
        let same = matches!(&e, Expr::Atom(a) if *a == format!("{}[{sub}]", self.locals[id].name));
        let (op, e, new_bound) = match self.rng.weighted(&[5, 5, 2, 2]) {
            0 if !same => ("=", e, b),
            0 => ("+=", e, old + grow * b),
            1 => ("+=", e, old + grow * b),
            2 => ("-=", e, old + grow * b),
            _ => {
                let (e, _) = self.squash(e, b, ARG_BOUND);
                let f = self.rng.pick(&["cos", "tanh"]);
                ("*=", self.call(e, f, vec![]), old)
            }
        };
        self.locals[id].mutated = true;
        self.locals[id].used = false;
        self.locals[id].bound = old.max(new_bound);
        Stmt::Assign {
            place: Place::Element(id, sub),
            op,
            value: e,
        }
    }

    /// Closes a scope opened at `mark` (a length of `self.scope`), returning the locals
    /// declared in it whose current value was never read.
    fn close(&mut self, mark: usize) -> Vec<usize> {
        let unused = self.scope[mark..]
            .iter()
            .copied()
            .filter(|&id| !self.locals[id].used)
            .collect();
        self.scope.truncate(mark);
        unused
    }

    /// An expression reading each of `ids` (squashed), added to `base`.
    fn read_all(&mut self, base: Expr, ids: &[usize]) -> Expr {
        let mut e = base;
        for &id in ids {
            self.locals[id].used = true;
            let l = &self.locals[id];
            let v = if l.array {
                Expr::Atom(format!("{}[{}]", l.name, self.rng.below(LEN)))
            } else {
                Expr::Atom(l.name.clone())
            };
            let bound = l.bound;
            let (v, _) = self.squash(v, bound, 8.0);
            e = Self::bin("+", e, v);
        }
        e
    }

    /// A block of statements that updates locals of enclosing scopes; `targets` are
    /// candidates, at least one of which is updated.
    fn body(&mut self, n: usize, targets: &[usize]) -> Vec<Stmt> {
        let mark = self.scope.len();
        self.marks.push(mark);
        let mut out = Vec::new();
        let mut updated = false;
        for k in 0..n {
            let last = k + 1 == n;
            if last && !updated {
                let t = self.rng.pick(targets);
                out.push(self.update(t));
                updated = true;
            } else {
                self.inner_stmt(&mut out, targets, &mut updated);
            }
        }
        // Locals of this block that nobody read flow into a target.
        self.marks.pop();
        let unused = self.close(mark);
        if !unused.is_empty() {
            let t = self.rng.pick(targets);
            let old = self.locals[t].bound;
            let value = self.read_all(Expr::Atom(self.locals[t].name.clone()), &unused);
            let grow = if self.loops.is_empty() {
                1.0
            } else {
                self.trips
            };
            self.locals[t].used = true;
            self.assigned(t, old + grow * 8.0 * unused.len() as f64);
            out.push(Stmt::Assign {
                place: Place::Scalar(t),
                op: "=",
                value: Self::bin("*", Expr::Atom("0.5".into()), value),
            });
        }
        out
    }

    /// One statement inside a branch or loop body.
    fn inner_stmt(&mut self, out: &mut Vec<Stmt>, targets: &[usize], updated: &mut bool) {
        let in_loop = !self.loops.is_empty();
        let arrays: Vec<usize> = self
            .visible(true)
            .into_iter()
            .filter(|id| !self.borrowed.contains(id))
            .collect();
        // Scalars declared in this block (not shadowed).
        let mark = self.marks.last().copied().unwrap_or(0);
        let own: Vec<usize> = self
            .visible(false)
            .into_iter()
            .filter(|id| self.scope[mark..].contains(id))
            .collect();
        let weights = [
            6,                                      // let
            10,                                     // update a target
            if arrays.is_empty() { 0 } else { 4 },  // element write
            if self.nesting() < 3 { 3 } else { 0 }, // if
            if in_loop { 3 } else { 0 },            // exit
            if in_loop && self.loops.len() < 2 {
                3
            } else {
                0
            }, // nested loop
            if own.is_empty() { 0 } else { 2 },     // shadow a local of this block
            if own.is_empty() { 0 } else { 2 },     // update a local of this block
            2,                                      // let with an `if` or block value
            if self.can_match() { 2 } else { 0 },   // match statement
        ];
        match self.rng.weighted(&weights) {
            0 => {
                let (e, b) = self.expr(2);
                let name = self.fresh("t");
                let id = self.declare(name, false, b);
                out.push(Stmt::Let {
                    local: id,
                    annotate: self.rng.chance(10),
                    init: e,
                });
            }
            1 => {
                let t = self.rng.pick(targets);
                out.push(self.update(t));
                *updated = true;
            }
            2 => {
                let id = self.rng.pick(&arrays);
                out.push(self.element_write(id));
            }
            3 => {
                let s = self.if_stmt(targets);
                out.push(s);
                *updated = true;
            }
            4 => out.push(self.exit()),
            5 => {
                let s = self.for_loop(targets);
                out.push(s);
                *updated = true;
            }
            6 => {
                let id = self.rng.pick(&own);
                out.push(self.shadow(id));
            }
            7 => {
                let id = self.rng.pick(&own);
                out.push(self.update(id));
            }
            9 => {
                let s = self.match_stmt(targets);
                out.push(s);
                *updated = true;
            }
            _ => {
                let r = self.rng.below(10);
                let s = if r <= 2 {
                    match self.scrutinee() {
                        Some((scrutinee, patterns)) => self.let_match(scrutinee, patterns),
                        None => self.let_if(),
                    }
                } else if r <= 4 {
                    self.let_block()
                } else {
                    self.let_if()
                };
                out.push(s);
            }
        }
    }

    /// `let v = v op e;` shadowing `id`.
    fn shadow(&mut self, id: usize) -> Stmt {
        let name = self.locals[id].name.clone();
        let (e, b) = self.bounded(2, 8.0);
        let old = self.locals[id].bound;
        self.locals[id].used = true;
        let op = self.rng.pick(&["+", "*", "-"]);
        let (init, bound) = match op {
            "*" => {
                let (v, bv) = self.squash(Expr::Atom(name.clone()), old, 8.0);
                (Self::bin("*", v, e), bv * b)
            }
            _ => (Self::bin(op, Expr::Atom(name.clone()), e), old + b),
        };
        let new = self.declare(name, false, bound);
        Stmt::Let {
            local: new,
            annotate: false,
            init,
        }
    }

    /// `let v = if c { .. } [else if c { .. }] else { .. };`
    fn let_if(&mut self) -> Stmt {
        let n_arms = if self.rng.chance(30) { 2 } else { 1 };
        let mut arms = Vec::new();
        let mut bound: f64 = 0.0;
        let mut seen = Vec::new();
        for _ in 0..n_arms {
            let cond = self.new_cond(&seen);
            seen.push(self.cond_text(&cond));
            let (stmts, tail, b) = self.value_block();
            bound = bound.max(b);
            arms.push((cond, stmts, tail));
        }
        let (stmts, tail, b) = self.value_block();
        let name = self.fresh("v");
        let id = self.declare(name, false, bound.max(b));
        Stmt::Let {
            local: id,
            annotate: false,
            init: Expr::If(arms, stmts, Box::new(tail)),
        }
    }

    fn can_match(&self) -> bool {
        !self.indices.is_empty()
            || self
                .params
                .iter()
                .any(|p| matches!(p.kind, ParamKind::Data(_)))
    }

    /// `match i { 0 => s += e, 1 | 2 => { .. } _ => {} }` updating `targets`.
    fn match_stmt(&mut self, targets: &[usize]) -> Stmt {
        let (scrutinee, patterns) = self.scrutinee().expect("something to match on");
        let mut arms = Vec::new();
        let n_arms = patterns.len();
        for pattern in patterns {
            // An empty `_` arm, but not in a two-arm `match` (clippy: use `if let`).
            let body = if pattern == "_" && n_arms > 2 && self.rng.chance(30) {
                Vec::new()
            } else {
                let n = self.rng.between(1, 2);
                self.body(n, targets)
            };
            arms.push((pattern, body));
        }
        // Guards on arms other than the last (`_`), with conditions of any kind.
        let mut guards = vec![None; arms.len()];
        if self.cfg.guards {
            for guard in guards.iter_mut().take(arms.len() - 1) {
                if self.rng.chance(30) {
                    *guard = Some(self.cond());
                }
            }
        }
        self.after_block(targets);
        Stmt::Match {
            scrutinee,
            arms,
            guards,
        }
    }

    /// Something to `match` on: a loop index or a data parameter, and the arms' patterns.
    fn scrutinee(&mut self) -> Option<(String, Vec<String>)> {
        let mut options = Vec::new();
        for ix in &self.indices {
            let i = &ix.name;
            options.push((format!("{i} % 3"), vec!["0".into(), "1".into(), "_".into()]));
            options.push((i.clone(), vec!["0".into(), "1 | 2".into(), "_".into()]));
            options.push((i.clone(), vec!["0..=1".into(), "_".into()]));
        }
        for p in &self.params {
            if let ParamKind::Data(_) = p.kind {
                let n = &p.name;
                options.push((n.clone(), vec!["2".into(), "3 | 4".into(), "_".into()]));
            }
        }
        if options.is_empty() {
            return None;
        }
        let k = self.rng.below(options.len());
        let choice = options.swap_remove(k);
        if choice.0 == "n" {
            self.params
                .iter_mut()
                .filter(|p| p.name == "n")
                .for_each(|p| p.used = true);
        }
        Some(choice)
    }

    /// `let v = match i { 0 => .., _ => .. };`
    fn let_match(&mut self, scrutinee: String, patterns: Vec<String>) -> Stmt {
        let mut arms = Vec::new();
        let mut bound: f64 = 0.0;
        for pattern in patterns {
            let (stmts, tail, b) = if self.rng.chance(70) {
                let (e, b) = self.bounded(2, 8.0);
                (Vec::new(), e, b)
            } else {
                self.value_block()
            };
            bound = bound.max(b);
            arms.push((pattern, stmts, tail));
        }
        let name = self.fresh("v");
        let id = self.declare(name, false, bound);
        Stmt::Let {
            local: id,
            annotate: false,
            init: Expr::Match(scrutinee, arms),
        }
    }

    /// `let v = { let t = ..; .. };`
    fn let_block(&mut self) -> Stmt {
        let (stmts, tail, b) = self.value_block();
        let name = self.fresh("v");
        let id = self.declare(name, false, b);
        Stmt::Let {
            local: id,
            annotate: false,
            init: Expr::Block(stmts, Box::new(tail)),
        }
    }

    fn nesting(&self) -> usize {
        self.loops.len() + self.elements.len()
    }

    /// `if c { .. } [else if c { .. }] [else { .. }]` updating `targets`.
    fn if_stmt(&mut self, targets: &[usize]) -> Stmt {
        let n_arms = if self.rng.chance(25) { 2 } else { 1 };
        let has_else = self.rng.chance(65);
        // Sometimes one arm returns instead: `{ let t = ..; return e; }`.
        let returning = if self.rng.chance(12) {
            Some(self.rng.below(n_arms + usize::from(has_else)))
        } else {
            None
        };
        let arm = |g: &mut Self, k: usize| {
            if returning == Some(k) {
                let (mut stmts, tail, _) = g.value_block();
                stmts.push(Stmt::Return(tail));
                stmts
            } else {
                let n = g.rng.between(1, 2);
                g.body(n, targets)
            }
        };
        let mut arms = Vec::new();
        let mut seen = Vec::new();
        for k in 0..n_arms {
            let cond = self.new_cond(&seen);
            seen.push(self.cond_text(&cond));
            arms.push((cond, arm(self, k)));
        }
        let otherwise = if has_else {
            Some(arm(self, n_arms))
        } else {
            None
        };
        self.after_block(targets);
        Stmt::If { arms, otherwise }
    }

    /// `if <index condition> { continue; | break; | return e; }`
    fn exit(&mut self) -> Stmt {
        let can_continue = self.loops.last() == Some(&LoopKind::For) && !self.indices.is_empty();
        let cond = if self.indices.is_empty() {
            self.param_cond(false)
        } else {
            Cond::Data(self.index_cond())
        };
        match self.rng.weighted(&[if can_continue { 4 } else { 0 }, 4, 2]) {
            0 => Stmt::Exit {
                cond,
                exit: "continue",
                value: None,
            },
            1 => Stmt::Exit {
                cond,
                exit: "break",
                value: None,
            },
            _ => {
                let (e, _) = self.expr(2);
                Stmt::Exit {
                    cond,
                    exit: "return",
                    value: Some(e),
                }
            }
        }
    }

    /// A loop (of any kind) updating `targets`.
    fn for_loop(&mut self, targets: &[usize]) -> Stmt {
        let nested = !self.loops.is_empty();
        let arrays = self.array_params();
        let local_arrays = self.visible(true);
        let weights = [
            12, // range
            if arrays.is_empty() && local_arrays.is_empty() {
                0
            } else {
                4
            }, // elements
        ];
        if self.rng.weighted(&weights) == 1 {
            return self.element_loop(targets);
        }
        let i = if nested {
            self.fresh("j")
        } else {
            self.fresh("i")
        };
        let outer = self.indices.last().cloned();
        let k = self.rng.between(1, 5);
        // (iterator text, lo, hi, trip count)
        let data: Vec<usize> = (0..self.params.len())
            .filter(|&p| matches!(self.params[p].kind, ParamKind::Data(_)))
            .collect();
        // 0: `for`; counted loops, only at the top level: 1: `while`, 2: `loop` with the
        // `break` first, 3: `loop` with the `break` last, 4: `while` that also stops when a
        // target exceeds a constant (a data-dependent trip count).
        let kind = match (nested, self.rng.below(14)) {
            (false, k @ 1..=4) => k,
            _ => 0,
        };
        let float_stop = if kind == 4 {
            let t = self.rng.pick(targets);
            self.locals[t].used = true;
            let c = self.rng.pick(&["1.5", "2.0", "3.0"]);
            format!(" && {} < {c}", self.locals[t].name)
        } else {
            String::new()
        };
        let choice = if kind == 0 { self.rng.below(8) } else { 0 };
        let mut empty = false;
        let (iter, lo, hi, trip) = match (nested, choice) {
            (_, 7) if !data.is_empty() => {
                let p = &mut self.params[data[0]];
                p.used = true;
                let ParamKind::Data(n) = p.kind else {
                    unreachable!()
                };
                (format!("0..{}", p.name), 0, n - 1, n)
            }
            (true, 0 | 1) if outer.is_some() => {
                let o = outer.unwrap();
                empty = o.lo == 0;
                (
                    format!("0..{}", o.name),
                    0,
                    o.hi.saturating_sub(1),
                    o.hi.max(1),
                )
            }
            (true, 2) if outer.is_some() => {
                let o = outer.unwrap();
                (format!("0..={}", o.name), 0, o.hi, o.hi + 1)
            }
            (_, 0 | 1) => (format!("0..{k}"), 0, k - 1, k),
            (_, 2) => (format!("0..={}", k - 1), 0, k - 1, k),
            (_, 3) => (format!("(0..{k}).rev()"), 0, k - 1, k),
            (_, 4) => {
                let k = k.max(2);
                (format!("(0..{}).step_by(2)", k + 1), 0, k, k / 2 + 1)
            }
            (_, 5) => {
                let k = k.max(2);
                (format!("1..{k}"), 1, k - 1, k - 1)
            }
            _ => {
                if arrays.is_empty() {
                    (format!("0..{k}"), 0, k - 1, k)
                } else {
                    let a = self.rng.pick(&arrays);
                    self.params[a].used = true;
                    (format!("0..{}.len()", self.params[a].name), 0, LEN - 1, LEN)
                }
            }
        };
        let (lo, hi, trip) = if kind == 0 {
            (lo, hi, trip)
        } else {
            (0, k - 1, k)
        };
        let saved_trips = self.trips;
        self.trips *= trip as f64;
        self.inflate(targets);
        let n = self.rng.between(1, 4);
        let index = if kind == 0 { i } else { self.fresh("k") };
        self.indices.push(Index {
            name: index.clone(),
            lo,
            hi,
        });
        self.loops.push(if kind == 0 {
            LoopKind::For
        } else {
            LoopKind::Counted
        });
        self.maybe_empty += usize::from(empty);
        let mut body = self.body(n, targets);
        self.maybe_empty -= usize::from(empty);
        self.loops.pop();
        self.indices.pop();
        self.trips = saved_trips;
        self.after_block(targets);
        match kind {
            0 => Stmt::For {
                pat: if self.mentions(&body, &index) {
                    index
                } else {
                    "_".into()
                },
                iter,
                body,
            },
            1 | 4 => {
                body.push(Stmt::Raw(format!("{index} += 1;")));
                let s = Stmt::While {
                    cond: format!("{index} < {k}{float_stop}"),
                    body,
                };
                Stmt::Seq(vec![Stmt::Counter(index), s])
            }
            2 => {
                body.push(Stmt::Raw(format!("{index} += 1;")));
                body.insert(
                    0,
                    Stmt::Exit {
                        cond: Cond::Data(format!("{index} >= {k}")),
                        exit: "break",
                        value: None,
                    },
                );
                Stmt::Seq(vec![Stmt::Counter(index), Stmt::Loop(body)])
            }
            _ => {
                body.push(Stmt::Raw(format!("{index} += 1;")));
                body.push(Stmt::Exit {
                    cond: Cond::Data(format!("{index} == {k}")),
                    exit: "break",
                    value: None,
                });
                Stmt::Seq(vec![Stmt::Counter(index), Stmt::Loop(body)])
            }
        }
    }

    /// `for x in a.iter()` and friends.
    fn element_loop(&mut self, targets: &[usize]) -> Stmt {
        // (name, bound, local array id, parameter kind)
        let source = |g: &mut Self| {
            let arrays = g.array_params();
            let local_arrays = g.visible(true);
            if !arrays.is_empty() && (local_arrays.is_empty() || g.rng.chance(60)) {
                let a = g.rng.pick(&arrays);
                g.params[a].used = true;
                (
                    g.params[a].name.clone(),
                    PARAM_BOUND,
                    None,
                    Some(g.params[a].kind),
                )
            } else {
                let id = g.rng.pick(&local_arrays);
                g.locals[id].used = true;
                (
                    g.locals[id].name.clone(),
                    g.locals[id].bound,
                    Some(id),
                    None,
                )
            }
        };
        let (name, bound, local, param) = source(self);
        let x = self.fresh("e");
        let mut borrowed: Vec<usize> = local.into_iter().collect();
        let mut elements = vec![(x.clone(), bound, param.is_some())];
        let mut index = None;
        let (iter, by_ref) = match self.rng.below(6) {
            0 | 1 => (format!("{name}.iter()"), true),
            2 => (format!("{name}.iter().copied()"), false),
            3 => {
                index = Some(self.fresh("i"));
                (format!("{name}.iter().enumerate()"), true)
            }
            4 => {
                // `for e in a`: references for `&[f64; 4]` and `&[f64]`, values for
                // `[f64; 4]` and local arrays. Rust iterates over a copy of a local array,
                // so the body could write the array; the macro iterates over the array
                // itself (bug 2 in the report), so the body does not write it.
                if self.cfg.known_bugs {
                    borrowed.clear();
                }
                match param {
                    // Iterating over an owned `Vec` would move it.
                    Some(ParamKind::Vec) => (format!("{name}.iter()"), true),
                    Some(ParamKind::ArrayRef | ParamKind::Slice | ParamKind::VecRef) => {
                        (name.clone(), true)
                    }
                    _ => (name.clone(), false),
                }
            }
            _ => {
                let (other, other_bound, other_local, other_param) = source(self);
                borrowed.extend(other_local);
                let y = self.fresh("e");
                elements.push((y, other_bound, other_param.is_some()));
                (format!("{name}.iter().zip({other}.iter())"), true)
            }
        };
        let saved_trips = self.trips;
        self.trips *= LEN as f64;
        self.inflate(targets);
        for (e, bound, of_param) in &elements {
            self.elements.push(Element {
                name: e.clone(),
                by_ref,
                bound: *bound,
                of_param: *of_param,
            });
        }
        if let Some(i) = &index {
            self.indices.push(Index {
                name: i.clone(),
                lo: 0,
                hi: LEN - 1,
            });
        }
        // An array borrowed by the iterator is not written in the body.
        let n_borrowed = borrowed.len();
        self.borrowed.extend(borrowed);
        self.loops.push(LoopKind::For);
        let n = self.rng.between(1, 3);
        let mut body = self.body(n, targets);
        for (e, bound, _) in &elements {
            if !self.mentions(&body, e) {
                // Every element contributes.
                let t = self.rng.pick(targets);
                let v = if by_ref {
                    Expr::Deref(e.clone())
                } else {
                    Expr::Atom(e.clone())
                };
                let old = self.locals[t].bound;
                self.assigned(t, old + self.trips * bound);
                body.push(Stmt::Assign {
                    place: Place::Scalar(t),
                    op: "+=",
                    value: v,
                });
            }
        }
        self.loops.pop();
        for _ in 0..n_borrowed {
            self.borrowed.pop();
        }
        if index.is_some() {
            self.indices.pop();
        }
        for _ in &elements {
            self.elements.pop();
        }
        self.trips = saved_trips;
        self.after_block(targets);
        let (pat, iter) = match (index, elements.len()) {
            (Some(i), _) if self.mentions(&body, &i) => (format!("({i}, {x})"), iter),
            // The index is not used after all: no `.enumerate()`.
            (Some(_), _) => (x, format!("{name}.iter()")),
            (None, 2) => (format!("({x}, {})", elements[1].0), iter),
            (None, _) => (x, iter),
        };
        Stmt::For { pat, iter, body }
    }

    /// Whether the printed `stmts` mention the identifier `name`.
    fn mentions(&self, stmts: &[Stmt], name: &str) -> bool {
        let mut p = Printer {
            locals: &self.locals,
            out: String::new(),
            style: Style::F64,
        };
        p.stmts(stmts, 0);
        let text = p.out;
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        text.match_indices(name).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + name.len()..].chars().next();
            !before.is_some_and(ident) && !after.is_some_and(ident)
        })
    }

    /// After a branch or loop that may have assigned `targets`: their new values must be
    /// read later (a read in another branch does not count).
    fn after_block(&mut self, targets: &[usize]) {
        for &t in targets {
            if self.locals[t].mutated {
                self.locals[t].used = false;
            }
        }
        for id in self.visible(true) {
            if self.locals[id].mutated {
                self.locals[id].used = false;
            }
        }
    }

    /// Before a loop: the targets may grow in it.
    fn inflate(&mut self, targets: &[usize]) {
        for &t in targets {
            self.locals[t].bound += self.trips * 3.0;
        }
    }

    /// One top-level statement (or a few: a loop comes with its accumulators).
    fn top_stmt(&mut self, out: &mut Vec<Stmt>, allow_loops: bool, last: bool) {
        let scalars = self.visible(false);
        let weights = [
            14,                                        // let
            if scalars.is_empty() { 0 } else { 4 },    // shadow
            if scalars.is_empty() { 0 } else { 8 },    // update
            6,                                         // if statement
            5,                                         // if value
            3,                                         // block value
            if self.returned || last { 0 } else { 2 }, // early return
            3,                                         // local array
            if allow_loops { 22 } else { 0 },          // loop
            if self.cfg.closures { 3 } else { 0 },     // closure
        ];
        match self.rng.weighted(&weights) {
            0 => {
                let depth = self.rng.between(1, 3) as u32;
                let (e, b) = self.expr(depth);
                let name = self.fresh("v");
                let annotate = self.rng.chance(10);
                let id = self.declare(name, false, b);
                out.push(Stmt::Let {
                    local: id,
                    annotate,
                    init: e,
                });
            }
            1 => {
                let id = self.rng.pick(&scalars);
                out.push(self.shadow(id));
            }
            2 => {
                let id = self.rng.pick(&scalars);
                out.push(self.update(id));
            }
            3 => {
                let targets = self.ensure_targets(out);
                out.push(self.if_stmt(&targets));
            }
            4 => out.push(self.let_if()),
            5 => out.push(self.let_block()),
            6 => {
                self.returned = true;
                let cond = self.cond();
                let (e, _) = self.expr(2);
                out.push(Stmt::Exit {
                    cond,
                    exit: "return",
                    value: Some(e),
                });
            }
            7 => {
                let name = self.fresh("b");
                // Array literals of active values are not supported (a documented
                // limitation): constants only.
                let (init, bound) = if self.rng.chance(75) {
                    let zero = self
                        .rng
                        .pick(&["[0.0_f64; 4]", "[0.0f64; 4]", "[0.5_f64; 4]"]);
                    (zero.to_string(), 0.5)
                } else {
                    let items: Vec<&str> = (0..LEN)
                        .map(|_| self.rng.pick(&["0.5", "1.5", "0.25", "2.0", "0.0", "1.0"]))
                        .collect();
                    (
                        format!("[{}_f64, {}]", items[0], items[1..].join(", ")),
                        2.0,
                    )
                };
                let id = self.declare(name, true, bound);
                out.push(Stmt::LetArray { local: id, init });
                // A few writes with constant subscripts.
                let writes = self.rng.between(1, 3);
                for _ in 0..writes {
                    out.push(self.element_write(id));
                }
            }
            9 => out.push(self.let_closure()),
            _ => {
                let targets = self.ensure_targets(out);
                out.push(self.for_loop(&targets));
            }
        }
    }

    /// Scalar locals that a branch or loop can update: some existing ones, and sometimes a
    /// new accumulator declared now.
    fn ensure_targets(&mut self, out: &mut Vec<Stmt>) -> Vec<usize> {
        let scalars = self.visible(false);
        let mut targets = Vec::new();
        if !scalars.is_empty() && self.rng.chance(50) {
            targets.push(self.rng.pick(&scalars));
        }
        if targets.is_empty() || self.rng.chance(40) {
            let name = self.fresh("s");
            let (init, annotate, bound) = match self.rng.below(4) {
                0 => (Expr::Atom("0.0".into()), true, 0.0),
                1 => (Expr::Atom("1.0".into()), true, 1.0),
                _ => {
                    let (e, b) = self.bounded(2, 8.0);
                    (e, false, b)
                }
            };
            let id = self.declare(name, false, bound);
            out.push(Stmt::Let {
                local: id,
                annotate,
                init,
            });
            targets.push(id);
        }
        targets.dedup();
        targets
    }

    /// Statements and a tail for `{ .. }` used as a value.
    fn value_block(&mut self) -> (Vec<Stmt>, Expr, f64) {
        let mark = self.scope.len();
        let mut stmts = Vec::new();
        for _ in 0..self.rng.below(3) {
            let (e, b) = self.expr(2);
            let name = self.fresh("t");
            let id = self.declare(name, false, b);
            stmts.push(Stmt::Let {
                local: id,
                annotate: false,
                init: e,
            });
        }
        let (tail, b) = self.bounded(2, 8.0);
        let unused = self.close(mark);
        let n = unused.len() as f64;
        let tail = self.read_all(tail, &unused);
        (stmts, tail, b + 8.0 * n)
    }

    /// The final expression: reads every local and parameter not read yet.
    fn tail(&mut self) -> Expr {
        let (mut e, _) = self.expr(2);
        for k in 0..self.helpers.len() {
            if !self.helper_used[k] {
                self.helper_used[k] = true;
                let (name, arity) = self.helpers[k].clone();
                let args = (0..arity).map(|_| self.bounded(1, PARAM_BOUND).0).collect();
                let (call, _) = self.squash(Expr::Call(name, true, args), MAX_BOUND, 8.0);
                e = Self::bin("+", e, call);
            }
        }
        for k in 0..self.closures.len() {
            if !self.closure_used[k] {
                let name = self.closures[k].0.clone();
                let (arg, _) = self.bounded(1, PARAM_BOUND);
                let call = Expr::Call(name, false, vec![arg]);
                let (call, _) = self.squash(call, self.closures[k].1, 8.0);
                e = Self::bin("+", e, call);
            }
        }
        let unused = self.close(0);
        let mut e = self.read_all(e, &unused);
        for k in 0..self.params.len() {
            if !self.params[k].used {
                self.params[k].used = true;
                let p = &self.params[k];
                if let ParamKind::Data(_) = p.kind {
                    let v = Self::bin("*", Expr::Atom("0.1".into()), Expr::Cast(p.name.clone()));
                    e = Self::bin("+", e, v);
                    continue;
                }
                let v = if p.kind == ParamKind::Scalar {
                    p.name.clone()
                } else {
                    format!("{}[{}]", p.name, self.rng.below(LEN))
                };
                let v = self.call(Expr::Atom(v), "sin", vec![]);
                e = Self::bin("+", e, v);
            }
        }
        e
    }
}

/// What the generator may emit. Each flag is a family of constructs; the committed
/// programs ([`Config::committed`]) leave out those the macro is known to get wrong, the
/// long run ([`Config::all`]) emits everything the README lists as supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Constructs of known, open bugs (the generator's own list in the module docs).
    pub known_bugs: bool,
    /// Parameter and local names equal to names the macro generates (`seed`, `value`, ..).
    pub collisions: bool,
    /// `f32` programs.
    pub single: bool,
    /// Programs generic over `T: num_traits::Float`.
    pub generic: bool,
    /// Differentiated helper functions, called by the program.
    pub helpers: bool,
    /// Closures bound by `let`, called later.
    pub closures: bool,
    /// Closures with block bodies (`|q: f64| { let t = ..; .. }`), in `let` and `.map`.
    pub block_closures: bool,
    /// `.iter().sum()`, `.iter().map(|v| ..).sum()`, `.product()`.
    pub reductions: bool,
    /// `&Vec<f64>` and `Vec<f64>` parameters.
    pub vecs: bool,
    /// Guards on `match` arms (`0 if x0 > 0.5 => ..`).
    pub guards: bool,
    /// Closure, helper and reduction calls inside `&&`/`||` conditions.
    pub compound_calls: bool,
    /// Assignments of a bare literal (`s = 2.0;`).
    pub literal_assignments: bool,
    /// The rarer float methods (`tan asin acos asinh acosh atanh exp2 log log2 log10
    /// to_degrees to_radians fract floor ceil round trunc signum %`).
    pub rare_methods: bool,
}

impl Config {
    /// Everything.
    pub fn all() -> Self {
        Config {
            known_bugs: true,
            collisions: true,
            single: true,
            generic: true,
            helpers: true,
            closures: true,
            block_closures: true,
            reductions: true,
            vecs: true,
            guards: true,
            compound_calls: true,
            literal_assignments: true,
            rare_methods: true,
        }
    }

    /// What the committed programs use: everything (the families of the fuzzer's findings
    /// F1–F7, open when the fuzzer was written, are fixed and tested since).
    pub fn committed() -> Self {
        Config::all()
    }
}

/// Names the macro generates for its own locals, parameters and items (and a few more):
/// programs use them for parameters and locals to catch hygiene bugs.
const COLLISIONS: &[&str] = &[
    "seed",
    "value",
    "rule",
    "needs",
    "step",
    "d_x",
    "t0",
    "x_1",
    "saved_x",
    "grad",
    "adj",
    "d_s0",
    "s0_next",
    "d_x0_next",
    "tmp",
    "out",
    "result",
    "primal",
    "tangent",
    "stack",
    "carry",
    "dx",
    "d_value",
    "saved_value",
    "count",
    "trip",
    "index",
    "len",
    "vjp",
    "f",
];

/// One generated program, with its syntax tree (for shrinking).
#[derive(Debug, Clone)]
pub struct Program {
    pub name: String,
    params: Vec<Param>,
    locals: Vec<Local>,
    stmts: Vec<Stmt>,
    tail: Expr,
    /// Differentiated helpers it calls (straight-line programs).
    helpers: Vec<Program>,
    /// `Style::F64`, `Style::F32` or `Style::Generic`.
    pub style: Style,
    gapped: bool,
}

/// Parameters of a new program: scalars, sometimes an array, slice or `Vec`, sometimes
/// data; names from `x0..`, `a`, `w`, `n`, or (with `collisions`) the macro's own names.
fn new_params(rng: &mut Rng, cfg: &Config, straight: bool, helper: bool) -> Vec<Param> {
    let n_scalars = if helper {
        rng.between(1, 3)
    } else {
        rng.below(5)
    };
    let has_array = !helper && (n_scalars < 2 || rng.chance(45));
    let n_scalars = if has_array || helper {
        n_scalars
    } else {
        n_scalars.max(2)
    };
    let mut params: Vec<Param> = (0..n_scalars)
        .map(|k| Param {
            name: format!("x{k}"),
            kind: ParamKind::Scalar,
            used: false,
            local: None,
        })
        .collect();
    if has_array {
        let kind = match rng.below(12) {
            0..=5 => ParamKind::ArrayRef,
            6 | 7 => ParamKind::Array,
            8 | 9 => ParamKind::Slice,
            10 if cfg.vecs => ParamKind::VecRef,
            11 if cfg.vecs => ParamKind::Vec,
            _ => ParamKind::Slice,
        };
        let at = rng.below(n_scalars + 1);
        let array_name = if rng.chance(70) { "a" } else { "w" };
        params.insert(
            at,
            Param {
                name: array_name.into(),
                kind,
                used: false,
                local: None,
            },
        );
    }
    if !straight && !helper && rng.chance(20) {
        let at = rng.below(params.len() + 1);
        params.insert(
            at,
            Param {
                name: "n".into(),
                kind: ParamKind::Data(rng.between(2, 4)),
                used: false,
                local: None,
            },
        );
    }
    if cfg.collisions {
        for k in 0..params.len() {
            if params[k].kind != ParamKind::Data(0) && rng.chance(25) {
                let name = rng.pick(COLLISIONS);
                if params.iter().all(|p| p.name != name) {
                    params[k].name = name.to_string();
                }
            }
        }
    }
    params
}

fn new_gen<'r>(rng: &'r mut Rng, cfg: Config, params: Vec<Param>) -> Gen<'r> {
    Gen {
        rng,
        cfg,
        params,
        locals: Vec::new(),
        scope: Vec::new(),
        indices: Vec::new(),
        elements: Vec::new(),
        loops: Vec::new(),
        borrowed: Vec::new(),
        marks: Vec::new(),
        helpers: Vec::new(),
        closures: Vec::new(),
        maybe_empty: 0,
        trips: 1.0,
        branches_on_params: false,
        returned: false,
        next_name: 0,
        taken: Vec::new(),
        style: Style::F64,
        capturing: false,
        closure_used: Vec::new(),
        helper_used: Vec::new(),
    }
}

/// Program number `index`: about 2 in 5 straight-line, the others with loops.
pub fn program(rng: &mut Rng, index: usize, cfg: &Config) -> Program {
    let name = format!("p{index:05}");
    let straight = index.is_multiple_of(5) || index % 5 == 3;
    let style = match rng.below(10) {
        0 if cfg.single => Style::F32,
        1 if cfg.generic => Style::Generic,
        _ => Style::F64,
    };
    // Helpers first: the program's generator must know their names and arities.
    let mut helpers = Vec::new();
    if cfg.helpers && rng.chance(25) {
        for k in 0..rng.between(1, 2) {
            let params = new_params(rng, cfg, true, true);
            let mut g = new_gen(rng, *cfg, params);
            g.style = style;
            let h = g.finish(format!("{name}_h{k}"), true, style);
            helpers.push(h);
        }
    }
    let params = new_params(rng, cfg, straight, false);
    let mut g = new_gen(rng, *cfg, params);
    g.style = style;
    g.helpers = helpers
        .iter()
        .map(|h| (h.name.clone(), h.params.len()))
        .collect();
    g.helper_used = vec![false; helpers.len()];
    let mut p = g.finish(name, straight, style);
    p.helpers = helpers;
    p
}

impl Gen<'_> {
    /// Generates the body and returns the program.
    fn finish(&mut self, name: String, straight: bool, style: Style) -> Program {
        self.taken = self.params.iter().map(|p| p.name.clone()).collect();
        // Some scalar parameters are also locals: targets of assignments (`mut x0: f64`).
        for k in 0..self.params.len() {
            if self.params[k].kind == ParamKind::Scalar && self.rng.chance(15) {
                let id = self.declare(self.params[k].name.clone(), false, PARAM_BOUND);
                self.params[k].local = Some(id);
            }
        }
        let mut stmts = Vec::new();
        let n = if straight {
            self.rng.between(2, 7)
        } else {
            self.rng.between(1, 5)
        };
        for k in 0..n {
            self.top_stmt(&mut stmts, !straight, k + 1 == n);
        }
        if !straight && !stmts.iter().any(is_loop) {
            let targets = self.ensure_targets(&mut stmts);
            let s = self.for_loop(&targets);
            stmts.push(s);
        }
        let tail = self.tail();
        Program {
            name,
            params: self.params.clone(),
            locals: self.locals.clone(),
            stmts,
            tail,
            helpers: Vec::new(),
            style,
            gapped: self.branches_on_params,
        }
    }
}

fn is_loop(s: &Stmt) -> bool {
    matches!(
        s,
        Stmt::For { .. } | Stmt::While { .. } | Stmt::Loop(_) | Stmt::Seq(_)
    )
}

impl Program {
    /// The number of scalar inputs.
    pub fn dim(&self) -> usize {
        self.params
            .iter()
            .map(|p| match p.kind {
                ParamKind::Data(_) => 0,
                ParamKind::Scalar => 1,
                _ => LEN,
            })
            .sum()
    }

    /// The function's text in `style` (its own, or the oracle's dual style), named `name`.
    fn function(&self, style: Style, name: &str, public: bool) -> String {
        let mutated = |p: &Param| p.local.is_some_and(|id| self.locals[id].mutated);
        let ty = style.ty();
        let signature: Vec<String> = self
            .params
            .iter()
            .map(|p| {
                let t = match p.kind {
                    ParamKind::Scalar => ty.to_string(),
                    ParamKind::ArrayRef => format!("&[{ty}; 4]"),
                    ParamKind::Array => format!("[{ty}; 4]"),
                    ParamKind::Slice => format!("&[{ty}]"),
                    ParamKind::VecRef => format!("&Vec<{ty}>"),
                    ParamKind::Vec => format!("Vec<{ty}>"),
                    ParamKind::Data(_) => "usize".into(),
                };
                format!("{}{}: {t}", if mutated(p) { "mut " } else { "" }, p.name)
            })
            .collect();
        let mut p = Printer {
            locals: &self.locals,
            out: String::new(),
            style,
        };
        let generics = if style == Style::Generic {
            "<T: Float>"
        } else {
            ""
        };
        let vis = if public { "pub " } else { "" };
        p.line(
            0,
            &format!(
                "{vis}fn {name}{generics}({}) -> {ty} {{",
                signature.join(", ")
            ),
        );
        p.stmts(&self.stmts, 1);
        let tail = p.expr(&self.tail, 1);
        p.line(1, &tail);
        p.line(0, "}");
        p.out
    }

    /// The items of the program's module: helpers, the function, the oracle's copies and
    /// `pub const PROGRAM: Program` (the harness's adapters).
    pub fn items(&self) -> String {
        let single = self.style == Style::F32;
        let dual = Style::Dual { single };
        let mut out = String::new();
        if self.style == Style::Generic {
            out.push_str("use num_traits::Float;\n\n");
        }
        for h in &self.helpers {
            out.push_str("#[differentiate]\n");
            out.push_str(&h.function(self.style, &h.name, false));
            out.push('\n');
            out.push_str(&h.function(dual, &format!("{}_dual", h.name), false));
            out.push('\n');
        }
        out.push_str("#[differentiate]\n");
        out.push_str(&self.function(self.style, &self.name, true));
        out.push('\n');
        out.push_str(&self.function(dual, &format!("{}_dual", self.name), false));
        out.push('\n');
        // Adapters: arguments from the flat input `x` (of f64 or of duals).
        let cast = |v: String| if single { format!("{v} as f32") } else { v };
        let args = |as_input: &dyn Fn(String) -> String| {
            let mut args = Vec::new();
            let mut at = 0;
            for param in &self.params {
                match param.kind {
                    ParamKind::Data(value) => args.push(value.to_string()),
                    ParamKind::Scalar => {
                        args.push(as_input(format!("x[{at}]")));
                        at += 1;
                    }
                    kind => {
                        let items: Vec<String> = (at..at + LEN)
                            .map(|k| as_input(format!("x[{k}]")))
                            .collect();
                        let items = items.join(", ");
                        args.push(match kind {
                            ParamKind::Array => format!("[{items}]"),
                            ParamKind::VecRef => format!("&vec![{items}]"),
                            ParamKind::Vec => format!("vec![{items}]"),
                            _ => format!("&[{items}]"),
                        });
                        at += LEN;
                    }
                }
            }
            args.join(", ")
        };
        // The tangent struct of `f_jvp`, from the flat tangent `t` (laid out like `x`).
        let tangent = {
            let mut fields = Vec::new();
            let mut at = 0;
            for param in &self.params {
                match param.kind {
                    ParamKind::Data(_) => {}
                    ParamKind::Scalar => {
                        fields.push(format!("{}: {}", param.name, cast(format!("t[{at}]"))));
                        at += 1;
                    }
                    kind => {
                        let items: Vec<String> =
                            (at..at + LEN).map(|k| cast(format!("t[{k}]"))).collect();
                        let items = items.join(", ");
                        fields.push(match kind {
                            ParamKind::Array | ParamKind::ArrayRef => {
                                format!("{}: [{items}]", param.name)
                            }
                            _ => format!("{}: vec![{items}]", param.name),
                        });
                        at += LEN;
                    }
                }
            }
            let camel: String = self
                .name
                .split('_')
                .filter(|part| !part.is_empty())
                .map(|part| {
                    let mut chars = part.chars();
                    chars
                        .next()
                        .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                        .unwrap_or_default()
                })
                .collect();
            format!("&{camel}Grad {{ {} }}", fields.join(", "))
        };
        let widen = |v: String| {
            if single {
                format!("f64::from({v})")
            } else {
                v
            }
        };
        let mut grads = Vec::new();
        for param in &self.params {
            match param.kind {
                ParamKind::Data(_) => {}
                ParamKind::Scalar => grads.push(widen(format!("g.{}", param.name))),
                _ => {
                    for k in 0..LEN {
                        grads.push(widen(format!("g.{}[{k}]", param.name)));
                    }
                }
            }
        }
        let grads = grads.join(", ");
        let plain_args = args(&cast);
        let dual_args = args(&|v| v);
        let name = &self.name;
        let domain = if self.gapped { "GAPPED" } else { "FULL" };
        let (oracle, oracle32) = if single {
            (
                "no_oracle".to_string(),
                format!("|x| {name}_dual({dual_args})"),
            )
        } else {
            (
                format!("|x| {name}_dual({dual_args})"),
                "no_oracle32".to_string(),
            )
        };
        let seed = if single { "s as f32" } else { "s" };
        let _ = writeln!(out, "pub const PROGRAM: Program = Program {{");
        let _ = writeln!(out, "    name: \"{name}\",");
        let _ = writeln!(out, "    dim: {},", self.dim());
        let _ = writeln!(out, "    domain: {domain},");
        let _ = writeln!(out, "    single: {single},");
        let _ = writeln!(
            out,
            "    value: |x| {},",
            widen(format!("{name}({plain_args})"))
        );
        let _ = writeln!(out, "    grad: |x| {{");
        let _ = writeln!(out, "        let (v, g) = {name}_grad({plain_args});");
        let _ = writeln!(out, "        ({}, vec![{grads}])", widen("v".into()));
        let _ = writeln!(out, "    }},");
        let _ = writeln!(out, "    vjp: |x, s| {{");
        let _ = writeln!(
            out,
            "        let (v, g) = {name}_vjp({plain_args}, {seed});"
        );
        let _ = writeln!(out, "        ({}, vec![{grads}])", widen("v".into()));
        let _ = writeln!(out, "    }},");
        let _ = writeln!(out, "    jvp: |x, t| {{");
        let _ = writeln!(
            out,
            "        let (v, d) = {name}_jvp({plain_args}, {tangent});"
        );
        let _ = writeln!(
            out,
            "        ({}, {})",
            widen("v".into()),
            widen("d".into())
        );
        let _ = writeln!(out, "    }},");
        let _ = writeln!(out, "    oracle: {oracle},");
        let _ = writeln!(out, "    oracle32: {oracle32},");
        let _ = writeln!(out, "}};");
        out
    }

    /// The program as a module `pub mod pNNNNN { .. }` (not indented: generated text).
    pub fn module(&self) -> String {
        format!(
            "pub mod {} {{\nuse super::*;\n\n{}}}\n",
            self.name,
            self.items()
        )
    }

    /// A copy of the program (and its helpers) without `#[differentiate]`, each named
    /// `.._plain`, after a line `// plain copy`: if it fails to compile, the generator is
    /// at fault, not the macro.
    pub fn plain_copy(&self) -> String {
        let mut out = String::from("// plain copy\n");
        for h in &self.helpers {
            out.push_str(&h.function(self.style, &format!("{}_plain", h.name), false));
        }
        out.push_str(&self.function(self.style, &format!("{}_plain", self.name), false));
        for h in &self.helpers {
            out = out.replace(&format!("{}(", h.name), &format!("{}_plain(", h.name));
        }
        out.replace("_plain_plain(", "_plain(")
    }

    /// The plain differentiated function alone (for reports).
    pub fn source(&self) -> String {
        let mut out = String::new();
        for h in &self.helpers {
            out.push_str("#[differentiate]\n");
            out.push_str(&h.function(self.style, &h.name, false));
        }
        out.push_str("#[differentiate]\n");
        out.push_str(&self.function(self.style, &self.name, false));
        out
    }

    /// A measure of size for shrinking: the length of the source.
    pub fn size(&self) -> usize {
        self.source().len()
    }

    /// Smaller variants of this program, for shrinking: a statement deleted, a compound
    /// statement replaced by its body, an expression replaced by one of its operands, a
    /// helper or the extra arms dropped. Not all of them compile; the shrinker keeps those
    /// that still fail the same way.
    pub fn variants(&self) -> Vec<Program> {
        let mut out = Vec::new();
        for stmts in stmt_list_variants(&self.stmts) {
            let mut p = self.clone();
            p.stmts = stmts;
            out.push(p);
        }
        for tail in expr_variants(&self.tail) {
            let mut p = self.clone();
            p.tail = tail;
            out.push(p);
        }
        out
    }

    /// Renamed copy (variants need distinct module names).
    pub fn renamed(&self, name: &str) -> Program {
        let mut p = self.clone();
        for (k, h) in p.helpers.iter_mut().enumerate() {
            let new = format!("{name}_h{k}");
            let old = h.name.clone();
            h.name = new.clone();
            rename_calls(&mut p.stmts, &mut p.tail, &old, &new);
        }
        p.name = name.to_string();
        p
    }
}

fn rename_calls(stmts: &mut [Stmt], tail: &mut Expr, old: &str, new: &str) {
    fn in_expr(e: &mut Expr, old: &str, new: &str) {
        if let Expr::Call(name, true, _) = e {
            if name == old {
                *name = new.to_string();
            }
        }
        for c in expr_children_mut(e) {
            in_expr(c, old, new);
        }
    }
    fn in_stmts(stmts: &mut [Stmt], old: &str, new: &str) {
        for s in stmts {
            for e in stmt_exprs_mut(s) {
                in_expr(e, old, new);
            }
            for b in stmt_bodies_mut(s) {
                in_stmts(b, old, new);
            }
        }
    }
    in_stmts(stmts, old, new);
    in_expr(tail, old, new);
}

/// The expressions directly inside an expression (operands, arguments, block tails).
fn expr_children_mut(e: &mut Expr) -> Vec<&mut Expr> {
    match e {
        Expr::Atom(_) | Expr::Deref(_) | Expr::Cast(_) => Vec::new(),
        Expr::Neg(x) => vec![&mut **x],
        Expr::Bin(_, l, r) => vec![&mut **l, &mut **r],
        Expr::Method(r, _, args) => {
            let mut v = vec![&mut **r];
            v.extend(args.iter_mut());
            v
        }
        Expr::Path(_, args) | Expr::Call(_, _, args) => args.iter_mut().collect(),
        Expr::Block(_, t) => vec![&mut **t],
        Expr::If(arms, _, t) => {
            let mut v: Vec<&mut Expr> = arms.iter_mut().map(|(_, _, e)| e).collect();
            v.push(&mut **t);
            v
        }
        Expr::Match(_, arms) => arms.iter_mut().map(|(_, _, e)| e).collect(),
        Expr::Reduce { body, .. } => body.iter_mut().map(|(_, b)| &mut **b).collect(),
    }
}

fn stmt_exprs_mut(s: &mut Stmt) -> Vec<&mut Expr> {
    match s {
        Stmt::Let { init, .. } => vec![init],
        Stmt::Assign { value, .. } => vec![value],
        Stmt::Exit { value: Some(v), .. } => vec![v],
        Stmt::Return(e) => vec![e],
        Stmt::LetClosure { body, .. } => vec![body],
        _ => Vec::new(),
    }
}

fn stmt_bodies_mut(s: &mut Stmt) -> Vec<&mut Vec<Stmt>> {
    match s {
        Stmt::If { arms, otherwise } => {
            let mut v: Vec<&mut Vec<Stmt>> = arms.iter_mut().map(|(_, b)| b).collect();
            v.extend(otherwise.iter_mut());
            v
        }
        Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop(body) => vec![body],
        Stmt::Seq(b) => vec![b],
        Stmt::Match { arms, .. } => arms.iter_mut().map(|(_, b)| b).collect(),
        _ => Vec::new(),
    }
}

/// Variants of a statement list: each statement deleted, replaced by its body's
/// statements, or replaced by one of its own variants.
fn stmt_list_variants(stmts: &[Stmt]) -> Vec<Vec<Stmt>> {
    let mut out = Vec::new();
    for k in 0..stmts.len() {
        let mut v = stmts.to_vec();
        v.remove(k);
        out.push(v);
    }
    for k in 0..stmts.len() {
        let mut s = stmts[k].clone();
        // The body spliced in place of a compound statement.
        for body in stmt_bodies_mut(&mut s) {
            let mut v = stmts[..k].to_vec();
            v.extend(body.iter().cloned());
            v.extend(stmts[k + 1..].iter().cloned());
            out.push(v);
        }
    }
    for k in 0..stmts.len() {
        for s in stmt_variants(&stmts[k]) {
            let mut v = stmts.to_vec();
            v[k] = s;
            out.push(v);
        }
    }
    out
}

fn stmt_variants(s: &Stmt) -> Vec<Stmt> {
    let mut out = Vec::new();
    let mut base = s.clone();
    let n_bodies = stmt_bodies_mut(&mut base).len();
    for b in 0..n_bodies {
        let body = stmt_bodies_mut(&mut base)[b].clone();
        for new in stmt_list_variants(&body) {
            let mut t = s.clone();
            *stmt_bodies_mut(&mut t)[b] = new;
            out.push(t);
        }
    }
    // Fewer arms.
    if let Stmt::If { arms, otherwise } = s {
        if otherwise.is_some() {
            out.push(Stmt::If {
                arms: arms.clone(),
                otherwise: None,
            });
        }
        if arms.len() > 1 {
            out.push(Stmt::If {
                arms: arms[..1].to_vec(),
                otherwise: otherwise.clone(),
            });
        }
    }
    let n_exprs = stmt_exprs_mut(&mut base).len();
    for k in 0..n_exprs {
        let e = stmt_exprs_mut(&mut base)[k].clone();
        for new in expr_variants(&e) {
            let mut t = s.clone();
            *stmt_exprs_mut(&mut t)[k] = new;
            out.push(t);
        }
    }
    out
}

/// Variants of an expression: replaced by an operand, or with an operand simplified.
fn expr_variants(e: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    let mut base = e.clone();
    for c in expr_children_mut(&mut base) {
        if !matches!(c, Expr::Atom(a) if a.parse::<i64>().is_ok()) {
            out.push(c.clone());
        }
    }
    let n = expr_children_mut(&mut base).len();
    for k in 0..n {
        let c = expr_children_mut(&mut base)[k].clone();
        for new in expr_variants(&c) {
            let mut t = e.clone();
            *expr_children_mut(&mut t)[k] = new;
            out.push(t);
        }
    }
    out
}

/// `programs` as the text of a Rust file of modules and a table `PROGRAMS`, as
/// `tests/fuzz/generated.rs` holds them.
pub fn file(programs: &[Program], header: &str) -> String {
    let mut out = String::from(header);
    for p in programs {
        out.push_str(&p.module());
        out.push('\n');
    }
    out.push_str("static PROGRAMS: &[Program] = &[\n");
    for p in programs {
        let _ = writeln!(out, "    {}::PROGRAM,", p.name);
    }
    out.push_str("];\n");
    out
}

/// `count` programs from `seed`.
pub fn programs(seed: u64, first: usize, count: usize, cfg: &Config) -> Vec<Program> {
    (first..first + count)
        .map(|k| {
            // Each program from its own stream, so that program k does not depend on the
            // ones before it (a long run can restart at any index).
            let mut rng = Rng::new(seed ^ (k as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
            program(&mut rng, k, cfg)
        })
        .collect()
}

/// The text of `generated.rs`.
pub fn generate() -> String {
    let programs = programs(SEED, 0, COUNT, &Config::committed());
    file(
        &programs,
        "// @generated by tests/fuzz/generator.rs: do not edit. To regenerate, run\n\
         // `TAPELESS_BLESS=1 cargo test --test fuzz generated_file_is_fresh`.\n\
         //\n\
         // Included (not a module) by tests/fuzz.rs, so rustfmt leaves it alone.\n\n",
    )
}
