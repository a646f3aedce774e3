//! Syntactic scans of the source that lowering needs before it lowers a construct: which
//! variables a loop assigns, whether code exits early, which names an expression mentions.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident};

/// Names assigned (`x = ..`, `x op= ..`) anywhere in `block`, and names written by index
/// (`a[i] = ..`, `a[i] op= ..`).
#[derive(Default)]
pub struct Assigned {
    pub names: Vec<String>,
    pub indexed: Vec<String>,
}

impl<'ast> Visit<'ast> for Assigned {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        let target = match expr {
            Expr::Assign(a) => Some(&*a.left),
            Expr::Binary(b) if crate::rules::compound_assign(&b.op).is_some() => Some(&*b.left),
            _ => None,
        };
        if let Some(target) = target {
            let (root, indexed) = root_of_place(target);
            if let Some(root) = root {
                let list = if indexed {
                    &mut self.indexed
                } else {
                    &mut self.names
                };
                if !list.contains(&root) {
                    list.push(root);
                }
            }
        }
        syn::visit::visit_expr(self, expr);
    }

    // Closures have scopes of their own; they are rejected anyway.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
}

/// The variable at the root of a place expression, and whether the place is indexed.
/// `f64::from` or `f32::from` (a lossless conversion to a float type): the float type.
pub fn float_from(func: &Expr) -> Option<&syn::Ident> {
    let Expr::Path(func) = func else { return None };
    let segments = &func.path.segments;
    let owner = &segments.first()?.ident;
    (func.qself.is_none()
        && segments.len() == 2
        && (owner == "f64" || owner == "f32")
        && segments[1].ident == "from"
        && segments[1].arguments.is_none())
    .then_some(owner)
}

/// `::tapeless::__private::AsPrimitive::<usize>::as_`, which a `hessian` function's generic
/// copy writes for `x as usize` (a type parameter has no `as`): its integer type.
pub fn integer_cast(func: &Expr) -> Option<&syn::Type> {
    let Expr::Path(func) = func else { return None };
    let segments: Vec<&syn::PathSegment> = func.path.segments.iter().collect();
    let [.., owner, method] = segments.as_slice() else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &owner.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(ty))
            if func.qself.is_none()
                && owner.ident == "AsPrimitive"
                && method.ident == "as_"
                && args.args.len() == 1 =>
        {
            Some(ty)
        }
        _ => None,
    }
}

pub fn root_of_place(place: &Expr) -> (Option<String>, bool) {
    match place {
        Expr::Path(p) => (p.path.get_ident().map(ToString::to_string), false),
        Expr::Paren(p) => root_of_place(&p.expr),
        Expr::Index(i) => (root_of_place(&i.expr).0, true),
        _ => (None, false),
    }
}

/// Scans `stmts` in order: `Some(true)` when one writes `name` by index before a `let`
/// shadows `name`, `Some(false)` when a `let` shadows it first, `None` when neither. Writes
/// inside nested blocks after a `let` of the same name there belong to that other binding.
pub fn written_by_index_before_shadowed(stmts: &[syn::Stmt], name: &str) -> Option<bool> {
    let mut scan = IndexWrites { name, found: false };
    let shadowed = scan.stmts(stmts);
    if scan.found {
        Some(true)
    } else if shadowed {
        Some(false)
    } else {
        None
    }
}

/// Finds index writes to `name`, following its shadowing through nested blocks.
struct IndexWrites<'n> {
    name: &'n str,
    found: bool,
}

impl IndexWrites<'_> {
    /// Visits `stmts` until one shadows `name`; whether one did.
    fn stmts(&mut self, stmts: &[syn::Stmt]) -> bool {
        for stmt in stmts {
            if let syn::Stmt::Local(local) = stmt {
                // Its initializer still sees the old binding.
                if let Some(init) = &local.init {
                    self.visit_expr(&init.expr);
                }
                if pattern_binds_name(&local.pat, self.name) {
                    return true;
                }
                continue;
            }
            self.visit_stmt(stmt);
            if self.found {
                return false;
            }
        }
        false
    }
}

impl<'ast> Visit<'ast> for IndexWrites<'_> {
    fn visit_block(&mut self, block: &'ast syn::Block) {
        self.stmts(&block.stmts);
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        let target = match expr {
            Expr::Assign(a) => Some(&*a.left),
            Expr::Binary(b) if crate::rules::compound_assign(&b.op).is_some() => Some(&*b.left),
            _ => None,
        };
        if let Some(target) = target {
            if let (Some(root), true) = root_of_place(target) {
                self.found |= root == self.name;
            }
        }
        match expr {
            Expr::ForLoop(f) if pattern_binds_name(&f.pat, self.name) => self.visit_expr(&f.expr),
            Expr::Closure(_) => {}
            _ => syn::visit::visit_expr(self, expr),
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn pattern_binds_name(pat: &syn::Pat, name: &str) -> bool {
    struct Binds<'n>(&'n str, bool);
    impl<'ast> Visit<'ast> for Binds<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.1 |= p.ident == self.0;
        }
    }
    let mut binds = Binds(name, false);
    binds.visit_pat(pat);
    binds.1
}

pub fn assigned_in_block(block: &syn::Block) -> Assigned {
    let mut found = Assigned::default();
    found.visit_block(block);
    found
}

/// What leaves the current sequence early.
#[derive(Default, Clone, Copy)]
pub struct Exits {
    /// `break` or `continue` of the innermost enclosing loop.
    pub loop_exit: bool,
    /// `return`.
    pub ret: bool,
}

impl Exits {
    pub fn any(self) -> bool {
        self.loop_exit || self.ret
    }
}

/// The exits in a statement or expression (a `break` inside a nested loop belongs to that
/// loop and is not counted; a `return` anywhere is).
pub fn exits_of_stmt(stmt: &syn::Stmt) -> Exits {
    let mut finder = ExitFinder::default();
    finder.visit_stmt(stmt);
    finder.exits
}

pub fn exits_of_block(block: &syn::Block) -> Exits {
    let mut finder = ExitFinder::default();
    finder.visit_block(block);
    finder.exits
}

#[derive(Default)]
struct ExitFinder {
    exits: Exits,
    loop_depth: usize,
}

impl<'ast> Visit<'ast> for ExitFinder {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::Break(_) | Expr::Continue(_) if self.loop_depth == 0 => {
                self.exits.loop_exit = true
            }
            Expr::Return(_) => self.exits.ret = true,
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                self.loop_depth += 1;
                syn::visit::visit_expr(self, expr);
                self.loop_depth -= 1;
                return;
            }
            Expr::Closure(_) | Expr::Async(_) => return,
            _ => {}
        }
        syn::visit::visit_expr(self, expr);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Single identifiers an expression mentions as values, and the first construct that would
/// make renaming them unsound (closures bind names, blocks declare them, macros hide them).
pub struct Mentions {
    pub names: Vec<Ident>,
    pub unsupported: Option<Span>,
}

impl Mentions {
    pub fn of(expr: &Expr) -> Self {
        let mut finder = Mentions {
            names: Vec::new(),
            unsupported: None,
        };
        finder.visit_expr(expr);
        finder
    }
}

impl<'ast> Visit<'ast> for Mentions {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::Closure(_)
            | Expr::Block(_)
            | Expr::Macro(_)
            | Expr::Unsafe(_)
            | Expr::If(_)
            | Expr::Match(_)
            | Expr::Loop(_)
            | Expr::While(_)
            | Expr::ForLoop(_) => {
                self.unsupported.get_or_insert(expr.span());
            }
            Expr::Path(p) if p.qself.is_none() => {
                if let Some(ident) = p.path.get_ident() {
                    if !self.names.contains(ident) {
                        self.names.push(ident.clone());
                    }
                }
            }
            _ => syn::visit::visit_expr(self, expr),
        }
    }

    // `s.field` and `Struct { field: .. }`: field names are not variables (but
    // `Struct { x }` shorthand is, and syn gives it as a path expression).
    fn visit_member(&mut self, _: &'ast syn::Member) {}
}

/// Identifiers a macro's tokens mention, including `{name}` captures in format strings.
pub fn mentioned_names(tokens: TokenStream, out: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => out.push(ident.to_string()),
            TokenTree::Group(group) => mentioned_names(group.stream(), out),
            TokenTree::Literal(lit) => {
                let text = lit.to_string();
                for capture in text.split('{').skip(1) {
                    let name: String = capture
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.push(name);
                    }
                }
            }
            TokenTree::Punct(_) => {}
        }
    }
}

/// Renames the variables an expression mentions to their SSA names.
pub struct Rename<'a> {
    pub names: &'a HashMap<String, Ident>,
}

impl VisitMut for Rename<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Path(p) = expr {
            if p.qself.is_none() {
                if let Some(new) = p
                    .path
                    .get_ident()
                    .and_then(|i| self.names.get(&i.to_string()))
                {
                    *expr = syn::parse_quote!(#new);
                }
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_member_mut(&mut self, _: &mut syn::Member) {}
}

/// Whether a pattern binds a variable (lowercase identifiers; `None`, `Less` and other
/// capitalised names are constants and variants by Rust convention).
pub fn pattern_binds(pat: &syn::Pat) -> bool {
    struct Binds(bool);
    impl<'ast> Visit<'ast> for Binds {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            let name = p.ident.to_string();
            if p.subpat.is_some() || name.starts_with(|c: char| c.is_lowercase() || c == '_') {
                self.0 = true;
            }
        }
    }
    let mut binds = Binds(false);
    binds.visit_pat(pat);
    binds.0
}

/// A short description of an expression, for messages.
pub fn describe(expr: &Expr) -> &'static str {
    match expr {
        Expr::If(_) => "`if`",
        Expr::Match(_) => "`match`",
        Expr::While(_) => "a `while` loop",
        Expr::ForLoop(_) => "a `for` loop",
        Expr::Loop(_) => "`loop`",
        Expr::Block(_) => "a labelled block",
        Expr::Break(_) => "`break`",
        Expr::Continue(_) => "`continue`",
        Expr::Let(_) => "a `let` expression",
        Expr::Yield(_) => "`yield`",
        _ => "this expression",
    }
}

/// Whether `expr` assigns to anything it did not declare itself (`x = ..`, `x op= ..`,
/// `x[i] = ..` of a captured `x`) or uses `?`: a closure that does is not a pure function
/// of its arguments and captures. (Writes into its own locals, such as the matrix that the
/// pre-pass builds for `Matrix2::new(c, -s, s, c)`, are; the body is lowered as a block.)
pub fn assigns_or_tries(expr: &Expr) -> bool {
    struct Locals(Vec<Ident>);
    impl<'ast> Visit<'ast> for Locals {
        fn visit_local(&mut self, local: &'ast syn::Local) {
            let mut pat = &local.pat;
            if let syn::Pat::Type(t) = pat {
                pat = &t.pat;
            }
            if let syn::Pat::Ident(p) = pat {
                self.0.push(p.ident.clone());
            }
            syn::visit::visit_local(self, local);
        }
    }
    fn root(target: &Expr) -> Option<&Ident> {
        match target {
            Expr::Path(p) => p.path.get_ident(),
            Expr::Index(i) => root(&i.expr),
            Expr::Field(f) => root(&f.base),
            Expr::Paren(p) => root(&p.expr),
            _ => None,
        }
    }
    struct Finder<'l>(bool, &'l [Ident]);
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_expr(&mut self, expr: &'ast Expr) {
            let target = match expr {
                Expr::Assign(a) => Some(&*a.left),
                Expr::Binary(b) if is_compound_assign(&b.op) => Some(&*b.left),
                _ => None,
            };
            let own = target
                .and_then(root)
                .is_some_and(|name| self.1.contains(name));
            if matches!(expr, Expr::Try(_)) || (target.is_some() && !own) {
                self.0 = true;
            }
            syn::visit::visit_expr(self, expr);
        }
    }
    fn is_compound_assign(op: &syn::BinOp) -> bool {
        use syn::BinOp::*;
        matches!(
            op,
            AddAssign(_)
                | SubAssign(_)
                | MulAssign(_)
                | DivAssign(_)
                | RemAssign(_)
                | BitXorAssign(_)
                | BitAndAssign(_)
                | BitOrAssign(_)
                | ShlAssign(_)
                | ShrAssign(_)
        )
    }
    let mut locals = Locals(Vec::new());
    locals.visit_expr(expr);
    let mut finder = Finder(false, &locals.0);
    finder.visit_expr(expr);
    finder.0
}

/// The variables indexed (`a` in `a[i]`, `a[i][j]`) inside loops nested in `block`.
pub fn indexed_in_nested_loops(block: &syn::Block) -> Vec<String> {
    struct Finder {
        found: Vec<String>,
        depth: usize,
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr(&mut self, expr: &'ast Expr) {
            match expr {
                Expr::Index(_) if self.depth > 0 => {
                    if let (Some(root), true) = root_of_place(expr) {
                        if !self.found.contains(&root) {
                            self.found.push(root);
                        }
                    }
                }
                Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                    self.depth += 1;
                    syn::visit::visit_expr(self, expr);
                    self.depth -= 1;
                    return;
                }
                _ => {}
            }
            syn::visit::visit_expr(self, expr);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut finder = Finder {
        found: Vec::new(),
        depth: 0,
    };
    finder.visit_block(block);
    finder.found
}

/// The variables a method is called on in `block` (`w` in `w.swap(0, 1)`), except methods
/// that only read (`len`, `iter`, ...): such a method may change its receiver in place.
pub fn method_receivers_in_block(block: &syn::Block) -> Vec<String> {
    const READ_ONLY: &[&str] = &[
        "len", "is_empty", "iter", "get", "first", "last", "nrows", "ncols", "copied", "cloned",
        "clone",
    ];
    struct Finder(Vec<String>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr(&mut self, expr: &'ast Expr) {
            if let Expr::MethodCall(call) = expr {
                if !READ_ONLY.contains(&call.method.to_string().as_str()) {
                    if let (Some(root), _) = root_of_place(&call.receiver) {
                        if !self.0.contains(&root) {
                            self.0.push(root);
                        }
                    }
                }
            }
            syn::visit::visit_expr(self, expr);
        }
    }
    let mut finder = Finder(Vec::new());
    finder.visit_block(block);
    finder.0
}

/// The variables a closure reads from where it is defined: every single-identifier path of
/// its body that no binding inside the closure declares at that point (its parameters, a
/// `let` of an enclosing block, a `match` arm's or `for` loop's pattern, a nested
/// closure's parameters). Blocks, `if`, `match`, loops, nested closures and macros' tokens
/// (with `{name}` captures of format strings) are all looked into; a name a macro mentions
/// counts as read. In order of first mention, each once.
pub fn captures(closure: &syn::ExprClosure) -> Vec<Ident> {
    let mut free = FreeVariables {
        scopes: vec![closure.inputs.iter().flat_map(bound_names).collect()],
        names: Vec::new(),
    };
    free.visit_expr(&closure.body);
    free.names
}

/// The names a pattern binds (`x`, `mut x`, `(a, b)`, `&x`, `x @ ..`; capitalised names are
/// constants and variants by Rust convention).
fn bound_names(pat: &syn::Pat) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            let name = p.ident.to_string();
            if p.subpat.is_some() || name.starts_with(|c: char| c.is_lowercase() || c == '_') {
                self.0.push(name);
            }
            syn::visit::visit_pat_ident(self, p);
        }
        // `Variant { field: x }`: `field` is not bound, `x` is.
        fn visit_member(&mut self, _: &'ast syn::Member) {}
        // Paths in patterns (`Some(..)`, constants) bind nothing.
        fn visit_path(&mut self, _: &'ast syn::Path) {}
        fn visit_type(&mut self, _: &'ast syn::Type) {}
        fn visit_expr(&mut self, _: &'ast Expr) {}
    }
    let mut names = Names(Vec::new());
    names.visit_pat(pat);
    names.0
}

/// See [`captures`]: a scope per block, arm, loop body and closure.
struct FreeVariables {
    scopes: Vec<Vec<String>>,
    names: Vec<Ident>,
}

impl FreeVariables {
    fn read(&mut self, ident: &Ident) {
        let name = ident.to_string();
        let bound = self.scopes.iter().any(|s| s.contains(&name));
        if !bound && !self.names.iter().any(|n| *n == name) {
            self.names.push(ident.clone());
        }
    }

    fn bind(&mut self, pat: &syn::Pat) {
        let names = bound_names(pat);
        if let Some(scope) = self.scopes.last_mut() {
            scope.extend(names);
        }
    }

    fn scoped(&mut self, pats: &[&syn::Pat], visit: impl FnOnce(&mut Self)) {
        self.scopes
            .push(pats.iter().flat_map(|p| bound_names(p)).collect());
        visit(self);
        self.scopes.pop();
    }
}

impl<'ast> Visit<'ast> for FreeVariables {
    fn visit_block(&mut self, block: &'ast syn::Block) {
        self.scoped(&[], |free| {
            for stmt in &block.stmts {
                free.visit_stmt(stmt);
            }
        });
    }

    // The value first: `let x = x * 2.0;` reads the outer `x`.
    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.bind(&local.pat);
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        let params: Vec<&syn::Pat> = closure.inputs.iter().collect();
        self.scoped(&params, |free| free.visit_expr(&closure.body));
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.scoped(&[&arm.pat], |free| {
            if let Some((_, guard)) = &arm.guard {
                free.visit_expr(guard);
            }
            free.visit_expr(&arm.body);
        });
    }

    fn visit_expr_for_loop(&mut self, for_loop: &'ast syn::ExprForLoop) {
        self.visit_expr(&for_loop.expr);
        self.scoped(&[&for_loop.pat], |free| free.visit_block(&for_loop.body));
    }

    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        if path.qself.is_none() {
            if let Some(ident) = path.path.get_ident() {
                self.read(ident);
            }
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let mut names = Vec::new();
        mentioned_names(mac.tokens.clone(), &mut names);
        for name in names {
            if let Ok(ident) = syn::parse_str::<Ident>(&name) {
                self.read(&Ident::new(&ident.to_string(), mac.path.span()));
            }
        }
    }

    // Field names are not variables (`Struct { x }` shorthand is a path expression).
    fn visit_member(&mut self, _: &'ast syn::Member) {}
    // Items do not capture.
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
