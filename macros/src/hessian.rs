//! `#[differentiate(hessian)]`: Hessians by forward mode over the reverse sweep.
//!
//! The reverse sweep of a function generic over its float type already exists (the
//! pipeline differentiates `fn f<T: Float>`). So the function gets a hidden *generic
//! copy*, `__tapeless_hessian_f`, in which its float type (`f64` or `f32`) is a type
//! parameter: types `f64` become the parameter, literals and float constants become its
//! constants (`<P as Real>::constant(2.0)`), `as f64` becomes a conversion to it, and calls
//! of other differentiated functions go to their generic copies (so a callee must be
//! marked `hessian` too). The pipeline differentiates that copy like any generic function.
//! Run over [`Dual<f64>`](tapeless_runtime::Dual), its reverse sweep carries tangents: with
//! the inputs' tangents `v` and the seed `1 + 0ε`, the gradient's values are ∇f and its
//! tangents are H·v (the derivative of ∇f along `v`). No second-order rule is written
//! anywhere: the dual numbers' tangents come from the first-order rules.
//!
//! This module writes the copy, and the functions around it: `f_hvp` (lift the arguments,
//! call the copy's `_vjp`, split the gradient), `f_hessian` (one `f_hvp` per scalar of the
//! differentiated parameters), and `f_grad_vjp` / `__f_grad_pullback`, which make `f_grad`
//! a differentiated callee (its vector-Jacobian product is s₀·∇f + H·s₁).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, ItemFn, Lit, Type};

use crate::emit::{parameter_names, plain_parameters, ItemNames};
use crate::errors::Errors;
use crate::parse::{self, Signature};

/// The name of the generic copy of `function` (and of a callee's, in a copy's calls).
pub fn copy_ident(function: &Ident) -> Ident {
    format_ident!(
        "__tapeless_hessian_{}",
        function.to_string().trim_start_matches("r#"),
        span = function.span()
    )
}

/// The float type the function computes in: `f64` or `f32`, whichever it names (`f64`
/// when it names neither). A function naming both is reported: its copy has one type.
pub fn float_type(function: &ItemFn, errors: &mut Errors) -> &'static str {
    let mut seen: Vec<Ident> = Vec::new();
    collect_float_idents(function.to_token_stream(), &mut seen);
    let count = |name: &str| seen.iter().filter(|i| *i == name).count();
    let f32 = seen.iter().find(|i| *i == "f32");
    let f64 = seen.iter().find(|i| *i == "f64");
    match (f32, f64) {
        (Some(_), None) => "f32",
        (Some(a), Some(b)) => {
            // At the first of the rarer type: the odd one out.
            let odd = if count("f32") <= count("f64") { a } else { b };
            errors.at(odd, "a `hessian` function computes in one float type, and this one names both `f32` and `f64`; convert the values before the call, or drop `hessian`");
            "f64"
        }
        _ => "f64",
    }
}

fn collect_float_idents(tokens: TokenStream, out: &mut Vec<Ident>) {
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(i) if i == "f32" || i == "f64" => out.push(i),
            proc_macro2::TokenTree::Group(g) => collect_float_idents(g.stream(), out),
            _ => {}
        }
    }
}

/// What the generic copy does not handle, reported at the user's span with what to write
/// instead: methods, generic functions, results that are not one float, and parameters
/// other than floats, slices, arrays and `Vec`s of them and data.
pub fn check(function: &ItemFn, options: &parse::Options, errors: &mut Errors) {
    let span = options.hessian.unwrap_or_else(Span::call_site);
    if options.self_ty.is_some() {
        errors.at_span(span, "`hessian` is not supported on methods yet; write the computation as a free function `fn f(s: &[f64], ..) -> f64` and mark that `#[differentiate(hessian)]`");
        return;
    }
    if !function.sig.generics.params.is_empty() {
        check_generics(&function.sig.generics, errors);
        return;
    }
    // `libm::tgamma(c)`: `libm` computes in `f64` or `f32`, the copy in its own type.
    let mut calls = LibmCalls(Vec::new());
    syn::visit::visit_block(&mut calls, &function.block);
    for call in calls.0 {
        errors.at(&call, format!(
            "`{}` has no derivative rule, and a `hessian` function's copy computes in its own float type, which `libm`'s functions do not take; compute the value outside and pass it in as a parameter",
            call.to_token_stream().to_string().replace(' ', "")
        ));
    }
    match &function.sig.output {
        syn::ReturnType::Type(_, ty) if !parse::Floats::CONCRETE.scalar(ty) => errors.at(
            ty,
            "`hessian` needs a function with one float result (`-> f64`): the Hessian is that of a scalar function; differentiate each component separately",
        ),
        _ => {}
    }
    for input in &function.sig.inputs {
        let syn::FnArg::Typed(typed) = input else {
            continue;
        };
        // A struct left out by `wrt(..)` is data: its floats are constants of the copy.
        let generics = &function.sig.generics;
        if let Some(name) =
            named_struct(&typed.ty, generics).filter(|_| !data_struct(typed, options, generics))
        {
            errors.at(
                &typed.ty,
                format!(
                    "`hessian` does not support parameter structs (`{name}`) yet: the Hessian runs the function over dual numbers, and a struct's fields are `f64`s; pass the values as `f64`, `&[f64]`, `[f64; N]` or `Vec<f64>` (or integer data), or drop `hessian`"
                ),
            );
        } else if !liftable(&typed.ty) {
            errors.at(
                &typed.ty,
                format!(
                    "`hessian` does not support parameters of type `{}` yet; pass the values as `f64`, `&[f64]`, `[f64; N]` or `Vec<f64>` (or data such as integers)",
                    typed.ty.to_token_stream().to_string().replace(' ', "")
                ),
            );
        }
    }
}

/// Bounds of a float type parameter that `Dual<T>` meets (`num_traits::Float`, and
/// nalgebra's `RealField`).
const DUAL_BOUNDS: &[&str] = &[
    "Float",
    "RealField",
    "ComplexField",
    "FloatConst",
    "Real",
    "Num",
    "NumCast",
    "FromPrimitive",
    "ToPrimitive",
    "Zero",
    "One",
    "Signed",
    "Copy",
    "Clone",
    "Debug",
    "Display",
    "Default",
    "PartialEq",
    "PartialOrd",
    "Sum",
    "Product",
    "Send",
    "Sync",
];

/// A generic `hessian` function runs its own `f_vjp` over `Dual<T>`: one float type
/// parameter, bounded by traits `Dual<T>` implements.
fn check_generics(generics: &syn::Generics, errors: &mut Errors) {
    let mut types = 0;
    for param in &generics.params {
        let syn::GenericParam::Type(t) = param else {
            continue;
        };
        types += 1;
        let mut bounds: Vec<&syn::TypeParamBound> = t.bounds.iter().collect();
        if let Some(clause) = &generics.where_clause {
            for predicate in &clause.predicates {
                if let syn::WherePredicate::Type(p) = predicate {
                    if matches!(&p.bounded_ty, Type::Path(b) if b.path.is_ident(&t.ident)) {
                        bounds.extend(p.bounds.iter());
                    }
                }
            }
        }
        for bound in bounds {
            let syn::TypeParamBound::Trait(trait_bound) = bound else {
                continue;
            };
            let name = trait_bound
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            if !DUAL_BOUNDS.contains(&name.as_str()) {
                errors.at(
                    trait_bound,
                    format!("`hessian` runs this function over dual numbers (`tapeless::Dual<{}>`), which implement `num_traits::Float` but not `{name}`; bound `{}` by `num_traits::Float` (and `FloatConst`, `FromPrimitive`, `Sum`, ...), or write the function for `f64`", t.ident, t.ident),
                );
            }
        }
    }
    if types > 1 {
        errors.at(
            &generics.params,
            "`hessian` supports a function generic over one float type; write it for one type parameter",
        );
    }
}

/// A parameter of a struct type (`cfg: &Config`) that `wrt(..)` leaves out: data.
fn data_struct(typed: &syn::PatType, options: &parse::Options, generics: &syn::Generics) -> bool {
    let syn::Pat::Ident(p) = &*typed.pat else {
        return false;
    };
    let by_value_or_reference = match &*typed.ty {
        Type::Reference(r) => matches!(&*r.elem, Type::Path(_)),
        ty => matches!(ty, Type::Path(_)),
    };
    by_value_or_reference
        && named_struct(&typed.ty, generics).is_some()
        && options
            .wrt
            .as_ref()
            .is_some_and(|wrt| !wrt.contains(&p.ident))
}

/// The names of the struct parameters that `wrt(..)` leaves out (see [`data_struct`]).
pub fn data_structs(function: &ItemFn, options: &parse::Options) -> Vec<String> {
    function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(typed) if data_struct(typed, options, &function.sig.generics) => {
                match &*typed.pat {
                    syn::Pat::Ident(p) => Some(p.ident.to_string()),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

/// The name of a struct type (`Line`, `&Line`, `&[Line]`): not a float, not one of the
/// function's type parameters (`T`, the copy's `__TapelessFloat`) and not known data.
fn named_struct(ty: &Type, generics: &syn::Generics) -> Option<String> {
    match ty {
        Type::Reference(r) => named_struct(&r.elem, generics),
        Type::Paren(p) => named_struct(&p.elem, generics),
        Type::Slice(s) => named_struct(&s.elem, generics),
        Type::Array(a) => named_struct(&a.elem, generics),
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let parameter = generics.type_params().any(|t| p.path.is_ident(&t.ident));
            (last.arguments.is_none()
                && !parameter
                && !parse::Floats::CONCRETE.scalar(ty)
                && !parse::inactive(ty))
            .then(|| last.ident.to_string())
        }
        _ => None,
    }
}

/// Floats, slices, arrays and `Vec`s of them (by value or reference), and data types,
/// which the runtime's `Lift` moves into dual numbers.
fn liftable(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => r.mutability.is_none() && liftable(&r.elem),
        Type::Paren(p) => liftable(&p.elem),
        Type::Slice(s) => liftable(&s.elem),
        Type::Array(a) => liftable(&a.elem),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            match &last.arguments {
                syn::PathArguments::None => {
                    parse::Floats::CONCRETE.scalar(ty) || !mentions_float(&ty.to_token_stream())
                }
                syn::PathArguments::AngleBracketed(args) if last.ident == "Vec" => {
                    args.args.iter().all(|a| match a {
                        syn::GenericArgument::Type(t) => liftable(t),
                        _ => false,
                    })
                }
                // nalgebra's vectors and matrices of floats (`SVector<f64, 3>`): matrices of
                // dual numbers (`Dual` is a `RealField`).
                syn::PathArguments::AngleBracketed(args)
                    if parse::nalgebra_matrix(&last.ident.to_string()) =>
                {
                    args.args.iter().all(|a| match a {
                        syn::GenericArgument::Type(t) => {
                            parse::Floats::CONCRETE.scalar(t)
                                || !mentions_float(&t.to_token_stream())
                        }
                        _ => true,
                    })
                }
                // Other generic types: data when they hold no float (`Option<usize>`).
                _ => !mentions_float(&ty.to_token_stream()),
            }
        }
        _ => !mentions_float(&ty.to_token_stream()),
    }
}

/// Whether the tokens name a nalgebra vector or matrix type (`DVector`, `Matrix3`, ...).
fn mentions_matrix(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => parse::nalgebra_matrix(&ident.to_string()),
        proc_macro2::TokenTree::Group(group) => mentions_matrix(&group.stream()),
        _ => false,
    })
}

fn mentions_float(tokens: &TokenStream) -> bool {
    let mut seen = Vec::new();
    collect_float_idents(tokens.clone(), &mut seen);
    !seen.is_empty()
}

/// The hidden generic copy of `function`: its float type is the type parameter
/// `__TapelessFloat` (see the module docs).
pub fn generic_copy(function: &ItemFn, float: &'static str, data: Vec<String>) -> ItemFn {
    let param = Ident::new("__TapelessFloat", Span::call_site());
    let mut copy = function.clone();
    copy.sig.ident = copy_ident(&function.sig.ident);
    copy.attrs.retain(|a| a.path().is_ident("allow"));
    let mut closures = std::collections::HashSet::new();
    syn::visit::Visit::visit_block(&mut LocalClosures(&mut closures), &function.block);
    closures.insert(function.sig.ident.to_string());
    let mut visitor = GenericCopy {
        float,
        param: &param,
        not_callees: closures,
        integer_casts: Vec::new(),
        nested_gradient: false,
        matrices: mentions_matrix(&function.to_token_stream()),
        data,
    };
    visitor.visit_item_fn_mut(&mut copy);
    let (integer_casts, nested_gradient) = (visitor.integer_casts, visitor.nested_gradient);
    // nalgebra's matrices of the float type need it as their scalar (`v.norm()`).
    copy.sig.generics.params.push(if visitor.matrices {
        syn::parse_quote!(#param: ::tapeless::Real + ::tapeless::__private::RealField)
    } else {
        syn::parse_quote!(#param: ::tapeless::Real)
    });
    // What `f64` has and a type parameter lacks unless bounded: arithmetic with
    // references (`v - m` of a `for v in xs`), sums of references, `+=` of a reference.
    let ops = quote! {
        ::core::ops::Add<#param, Output = #param> + ::core::ops::Sub<#param, Output = #param>
        + ::core::ops::Mul<#param, Output = #param> + ::core::ops::Div<#param, Output = #param>
        + ::core::ops::Add<&'b #param, Output = #param> + ::core::ops::Sub<&'b #param, Output = #param>
        + ::core::ops::Mul<&'b #param, Output = #param> + ::core::ops::Div<&'b #param, Output = #param>
    };
    // Each bound binds its own lifetime (a `for<'b>` on the predicate would be lost where
    // the pipeline copies a parameter's bounds onto the gradient struct).
    let predicates: [syn::WherePredicate; 2] = [
        syn::parse_quote!(#param: for<'b> ::core::ops::Add<&'b #param, Output = #param>
            + for<'b> ::core::ops::Sub<&'b #param, Output = #param>
            + for<'b> ::core::ops::Mul<&'b #param, Output = #param>
            + for<'b> ::core::ops::Div<&'b #param, Output = #param>
            + for<'b> ::core::ops::AddAssign<&'b #param>
            + for<'b> ::core::ops::SubAssign<&'b #param>
            + for<'b> ::core::ops::MulAssign<&'b #param>
            + for<'b> ::core::ops::DivAssign<&'b #param>
            + ::core::iter::Sum + for<'b> ::core::iter::Sum<&'b #param>
            + ::core::iter::Product + for<'b> ::core::iter::Product<&'b #param>
            // `nn::sigmoid(x)` of a scalar.
            + ::tapeless::runtime::Elementwise<Elem = #param, Output = #param>),
        syn::parse_quote!(for<'a, 'b> &'a #param: #ops + ::core::ops::Neg<Output = #param>),
    ];
    copy.sig
        .generics
        .make_where_clause()
        .predicates
        .extend(predicates);
    let clause = copy.sig.generics.make_where_clause();
    // `x as usize` of a float: the type parameter converts itself.
    for ty in integer_casts {
        clause
            .predicates
            .push(syn::parse_quote!(#param: ::tapeless::__private::AsPrimitive<#ty>));
    }
    // A nested `g_grad(..)` calls the callee's copy's `g_grad`, which asks of the float
    // type what generated code asks (third derivatives: the copy runs over dual numbers).
    if nested_gradient {
        clause.predicates.extend(nested_gradient_bounds(&param));
    }
    copy
}

/// What a function generic over `t` needs of it to call a nested `g_grad` of a function
/// generic alike: what generated code asks of `t`, and `Parameters<t>` (`g_grad_vjp`).
pub fn nested_gradient_bounds(t: &Ident) -> Vec<syn::WherePredicate> {
    let bounds = crate::expand::float_bounds(t);
    let mut predicates: Vec<syn::WherePredicate> =
        syn::parse2::<syn::WhereClause>(quote!(where #bounds))
            .map(|clause| clause.predicates.into_iter().collect())
            .unwrap_or_default();
    predicates.push(syn::parse_quote!(#t: ::tapeless::Parameters<#t>));
    predicates
}

/// `usize`, `i32`, ...: the integer types `as` converts a float to.
fn integer_type(ty: &Type) -> bool {
    const INTEGERS: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
    ];
    matches!(ty, Type::Path(p) if p.qself.is_none() && INTEGERS.iter().any(|n| p.path.is_ident(n)))
}

/// The names of closures the body binds (`let f = |x| ..`): calls of them are not calls of
/// differentiated functions.
/// The paths of calls of `libm`'s functions without a rule.
struct LibmCalls(Vec<syn::ExprPath>);

impl<'ast> syn::visit::Visit<'ast> for LibmCalls {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(path) = &*call.func {
            if crate::rules::is_libm_path(path)
                && crate::rules::libm_method(path, call.args.len()).is_none()
            {
                self.0.push(path.clone());
            }
        }
        syn::visit::visit_expr_call(self, call);
    }
}

struct LocalClosures<'a>(&'a mut std::collections::HashSet<String>);

impl<'ast> syn::visit::Visit<'ast> for LocalClosures<'_> {
    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let (syn::Pat::Ident(p), Some(init)) = (&local.pat, &local.init) {
            if matches!(&*init.expr, Expr::Closure(_)) {
                self.0.insert(p.ident.to_string());
            }
        }
        syn::visit::visit_local(self, local);
    }
}

struct GenericCopy<'a> {
    float: &'static str,
    param: &'a Ident,
    /// Names called that are not differentiated functions: the function itself, closures.
    not_callees: std::collections::HashSet<String>,
    /// The integer types of `as` casts, each once: the type parameter must convert to them.
    integer_casts: Vec<Type>,
    /// Whether the body calls a `g_grad` (a nested gradient).
    nested_gradient: bool,
    /// Whether the float type is nalgebra's `RealField` as well: float methods are then
    /// named through `num_traits::Float` (`x.exp()` would be ambiguous with
    /// `ComplexField::exp`).
    matrices: bool,
    /// The struct parameters that are data (left out by `wrt`): their fields stay `f64`.
    data: Vec<String>,
}

/// Float constants that code names without their type (`use std::f64::consts::PI`).
const CONSTANTS: &[&str] = &[
    "PI",
    "TAU",
    "E",
    "SQRT_2",
    "LN_2",
    "LN_10",
    "LOG2_E",
    "LOG10_E",
    "LOG2_10",
    "LOG10_2",
    "FRAC_PI_2",
    "FRAC_PI_3",
    "FRAC_PI_4",
    "FRAC_PI_6",
    "FRAC_PI_8",
    "FRAC_1_PI",
    "FRAC_2_PI",
    "FRAC_2_SQRT_PI",
    "FRAC_1_SQRT_2",
    "EPSILON",
];

impl GenericCopy<'_> {
    /// `<P as ::tapeless::Real>::constant(value as f64)`.
    fn constant(&self, value: TokenStream) -> Expr {
        let param = self.param;
        syn::parse_quote!(<#param as ::tapeless::Real>::constant(#value))
    }

    /// A call the pipeline takes for a differentiated function (a lowercase path that is
    /// no rule, closure or the function itself).
    fn callee(&self, path: &syn::ExprPath, argc: usize) -> bool {
        let lowercase = path.path.segments.iter().all(|s| {
            s.ident
                .to_string()
                .chars()
                .next()
                .is_some_and(|c| c.is_lowercase() || c == '_')
        });
        let local = path
            .path
            .get_ident()
            .is_some_and(|i| self.not_callees.contains(&i.to_string()));
        path.qself.is_none()
            && lowercase
            && !local
            && !path.path.segments.iter().any(|s| self.is_float(&s.ident))
            && crate::rules::call(path, argc).is_none()
    }

    /// Float literals become constants of the type parameter, `f64` the parameter.
    fn tokens(&self, tokens: TokenStream) -> TokenStream {
        tokens
            .into_iter()
            .map(|tree| match tree {
                proc_macro2::TokenTree::Literal(literal) => {
                    let tree = proc_macro2::TokenTree::Literal(literal.clone());
                    match syn::parse2::<syn::LitFloat>(tree.clone().into()) {
                        Ok(f) => {
                            let digits = syn::LitFloat::new(f.base10_digits(), f.span());
                            let constant = self.constant(quote!(#digits));
                            quote!((#constant))
                        }
                        Err(_) => tree.into(),
                    }
                }
                proc_macro2::TokenTree::Ident(ident) if self.is_float(&ident) => {
                    Ident::new(&self.param.to_string(), ident.span()).into_token_stream()
                }
                proc_macro2::TokenTree::Group(group) => {
                    let mut inner =
                        proc_macro2::Group::new(group.delimiter(), self.tokens(group.stream()));
                    inner.set_span(group.span());
                    proc_macro2::TokenTree::Group(inner).into()
                }
                other => other.into(),
            })
            .collect()
    }

    fn is_float(&self, ident: &Ident) -> bool {
        ident == self.float
    }

    /// `cfg.scale`, `cfg.inner.n`: a field of a data struct parameter.
    fn data_field(&self, expr: &Expr) -> bool {
        let mut base = expr;
        let mut field = false;
        while let Expr::Field(f) = base {
            base = &f.base;
            field = true;
        }
        field
            && matches!(base, Expr::Path(p) if p.path.get_ident().is_some_and(|i| self.data.contains(&i.to_string())))
    }

    /// A value read from a data struct, in the copy's float type when it is a float
    /// (`DataField`: integers stay integers).
    fn data_value(&self, expr: &Expr) -> Expr {
        let param = self.param;
        syn::parse_quote_spanned!(syn::spanned::Spanned::span(expr)=>
            ::tapeless::__private::DataField::<#param>::data_value(#expr))
    }

    /// A path naming a float constant: `f64::EPSILON`, `std::f64::consts::PI`, `PI`.
    fn float_constant(&self, path: &syn::ExprPath) -> bool {
        let segments = &path.path.segments;
        let Some(last) = segments.last() else {
            return false;
        };
        let name = last.ident.to_string();
        let upper = name
            .chars()
            .all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit());
        path.qself.is_none()
            && upper
            && (segments.iter().any(|s| self.is_float(&s.ident))
                || (segments.len() == 1 && CONSTANTS.contains(&name.as_str())))
    }
}

impl VisitMut for GenericCopy<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(p) = ty {
            if p.qself.is_none() && p.path.get_ident().is_some_and(|i| self.is_float(i)) {
                let param = self.param;
                *ty = syn::parse_quote_spanned!(syn::spanned::Spanned::span(&p.path)=> #param);
                return;
            }
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            // A float field of a data struct is a constant of the float type; a field read
            // by reference, as a receiver or indexed is left as it is (`cfg.xs.len()`),
            // and an element read from it (`cfg.xs[i]`) is converted.
            Expr::Field(_) if self.data_field(expr) => *expr = self.data_value(expr),
            Expr::Reference(r) if self.data_field(&r.expr) => {}
            Expr::MethodCall(call) if self.data_field(&call.receiver) => {
                for arg in &mut call.args {
                    self.visit_expr_mut(arg);
                }
            }
            Expr::Index(index) if self.data_field(&index.expr) => {
                self.visit_expr_mut(&mut index.index);
                *expr = self.data_value(expr);
            }
            Expr::Lit(lit) => {
                match &lit.lit {
                    Lit::Float(f) => {
                        // The digits without a suffix: `2.5f64` is `2.5`.
                        let digits = syn::LitFloat::new(f.base10_digits(), f.span());
                        *expr = self.constant(quote!(#digits));
                    }
                    // `2f64` is an integer literal with a float suffix: the float `2.0`.
                    Lit::Int(i) if matches!(i.suffix(), "f64" | "f32") => {
                        let digits =
                            syn::LitFloat::new(&format!("{}.0", i.base10_digits()), i.span());
                        *expr = self.constant(quote!(#digits));
                    }
                    _ => {}
                }
            }
            Expr::Cast(cast) if integer_type(&cast.ty) => {
                // `x as usize`: the operand may be a float, which is now the type
                // parameter (data converts the same way).
                self.visit_expr_mut(&mut cast.expr);
                let ty = &cast.ty;
                // `(t * 2.0) as i32`: the parentheses are the call's own.
                let mut inner = &*cast.expr;
                while let Expr::Paren(p) = inner {
                    inner = &p.expr;
                }
                if !self.integer_casts.contains(ty) {
                    self.integer_casts.push((**ty).clone());
                }
                *expr = syn::parse_quote_spanned!(syn::spanned::Spanned::span(&*cast)=>
                    ::tapeless::__private::AsPrimitive::<#ty>::as_(#inner));
            }
            Expr::Cast(cast) if parse::Floats::CONCRETE.scalar(&cast.ty) => {
                // `n as f64`: data converted to the float type.
                self.visit_expr_mut(&mut cast.expr);
                let inner = &cast.expr;
                *expr = self.constant(quote!((#inner) as f64));
            }
            Expr::Path(path) if self.float_constant(path) => {
                *expr = self.constant(quote!(#path as f64));
            }
            Expr::Call(call)
                if crate::lower::syntax::float_from(&call.func)
                    .is_some_and(|f| f == self.float) =>
            {
                // `f64::from(k)`: a conversion of data.
                *expr = self.constant(quote!(#call as f64));
            }
            Expr::Call(call) => {
                // `libm::sin(x)` computes in `f64` only: the float method it is.
                if let Expr::Path(path) = &mut *call.func {
                    if let Some(method) = crate::rules::libm_method(path, call.args.len()) {
                        *path = method;
                    }
                }
                // `Rotation3::new(ω)`: nalgebra's takes an identity branch at ω = 0, where a
                // dual number's tangent is lost; the copy computes Rodrigues' formula in its
                // own type (the function's own code checks that `Rotation3` is nalgebra's).
                if let Expr::Path(path) = &mut *call.func {
                    if crate::rules::scaled_axis_rotation(path, call.args.len()) {
                        *path = syn::parse_quote_spanned!(syn::spanned::Spanned::span(&*path)=>
                            ::tapeless::runtime::rotation::from_scaled_axis);
                    }
                }
                // A differentiated function computes in `f64`: call its generic copy.
                if let Expr::Path(path) = &mut *call.func {
                    if self.callee(path, call.args.len()) {
                        if let Some(last) = path.path.segments.last_mut() {
                            self.nested_gradient |= last.ident.to_string().ends_with("_grad");
                            last.ident = copy_ident(&last.ident);
                        }
                    }
                }
                syn::visit_mut::visit_expr_call_mut(self, call);
            }
            Expr::Path(path) => {
                // `f64::max` as a function: the type parameter's method.
                if let Some(first) = path.path.segments.first_mut() {
                    if path.qself.is_none() && self.is_float(&first.ident) {
                        first.ident = Ident::new(&self.param.to_string(), first.ident.span());
                    }
                }
                syn::visit_mut::visit_expr_path_mut(self, path);
            }
            Expr::MethodCall(call)
                if self.matrices
                    && crate::rules::method(&call.method.to_string(), call.args.len() + 1)
                        .is_some_and(|rule| rule.float_trait) =>
            {
                syn::visit_mut::visit_expr_method_call_mut(self, call);
                let (method, args) = (&call.method, call.args.iter());
                // `(v * 0.5).exp()`: the parentheses are the call's own.
                let mut receiver = &*call.receiver;
                while let Expr::Paren(p) = receiver {
                    receiver = &p.expr;
                }
                // A variable may be a reference (`d` of `a.iter()`), which the method call
                // dereferenced: `by_value` reads either by value.
                let receiver = match receiver {
                    Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
                        let param = self.param;
                        quote!(::tapeless::__private::by_value::<#param, _>(#receiver))
                    }
                    _ => quote!(#receiver),
                };
                *expr = syn::parse_quote_spanned!(method.span()=>
                    ::tapeless::__private::Float::#method(#receiver #(, #args)*));
            }
            _ => syn::visit_mut::visit_expr_mut(self, expr),
        }
    }

    // Nested items keep their own types.
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}

    // `vec![0.0; n]`, `assert!(x > 0.0)`: the same rewrite, token by token.
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        mac.tokens = self.tokens(std::mem::take(&mut mac.tokens));
    }
}

/// The names of the functions a `hessian` function adds, and what their signatures share.
struct Names {
    grad_struct: Ident,
    /// `FGrad`, or `FGrad<T>` for a generic function.
    grad_type: TokenStream,
    grad_fn: Ident,
    hvp: Ident,
    hessian: Ident,
    grad_vjp: Ident,
    /// The `_vjp` run over dual numbers: the generic copy's, or a generic function's own.
    copy_vjp: Ident,
    /// The function's generic parameters (`<T: Float>`) and the `where` clause the added
    /// functions need of the float type.
    generics: TokenStream,
    bounds: TokenStream,
}

/// `f_hvp`, `f_hessian`, `f_grad_vjp` and `__f_grad_pullback`, and the gradient struct's
/// `Differentiable`/`Accumulate` (a nested `f_grad` returns one, whose adjoint it needs).
/// `float` is `f64`, `f32`, or the type parameter of a generic function.
pub fn functions(sig: &Signature, names: &ItemNames, float: &TokenStream) -> TokenStream {
    let names = names_of(sig, names, float);
    let hvp = hvp(sig, &names, float);
    let hessian = hessian(sig, &names, float);
    let grad_vjp = grad_vjp(sig, &names, float);
    // Not for a hidden copy: a nested `h_jvp` inside a `hessian` function (third order)
    // is left out, to keep every `hessian` function's expansion small.
    let is_copy = sig
        .item
        .sig
        .ident
        .to_string()
        .starts_with("__tapeless_hessian_");
    let jvp_callee = (!is_copy).then(|| jvp_callee(sig, &names, float));
    let traits = grad_traits(sig, &names, float);
    quote!(#hvp #hessian #grad_vjp #jvp_callee #traits)
}

/// Beside a function *without* `hessian` (one float result, parameters `hessian` would
/// take): `f_grad_vjp`, `__f_grad_pullback` and `__f_grad_jvp_arguments` stubs that no
/// caller can call, so that a nested `f_grad(..)` in a differentiated function is
/// reported as needing `hessian` on `f` (the caller cannot see whether `f` has it); and
/// the gradient struct's `Differentiable`, which the caller's adjoint of it asks first.
pub fn without_hessian(sig: &Signature, names: &ItemNames) -> TokenStream {
    let item = &sig.item.sig;
    let plain = item.generics.params.is_empty()
        && sig.scalar_ret
        && sig.params.iter().all(|p| {
            p.ident != "self" && named_struct(&p.ty, &item.generics).is_none() && liftable(&p.ty)
        });
    if !plain {
        return TokenStream::new();
    }
    let float = &sig.ret;
    let float = quote!(#float);
    let names = names_of(sig, names, &float);
    let traits = grad_traits(sig, &names, &float);
    let private = quote!(::tapeless::__private);
    let vis = &sig.item.vis;
    let params = plain_parameters(item, false);
    let grad_type = &names.grad_type;
    let vjp = &names.grad_vjp;
    let pullback = crate::emit::pullback_ident(&names.grad_fn);
    let arguments = format_ident!("__{}_jvp_arguments", names.grad_fn);
    let caller = Ident::new("caller", Span::mixed_site());
    let marker = quote!(__TapelessNested: #private::NestedGradientNeedsHessian<#grad_type>);
    let never = quote!(#private::NestedGradientNeedsHessian::unreachable(#caller));
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, unused_variables, clippy::all)]
        #vis fn #vjp<#marker>(#(#params,)* #caller: __TapelessNested) -> ((#float, #grad_type), #grad_type) {
            #never
        }

        #[doc(hidden)]
        #[allow(dead_code, unused_variables, clippy::all)]
        #vis fn #pullback<#marker>(#(#params,)* #caller: __TapelessNested)
            -> ((#float, #grad_type), impl ::core::ops::FnOnce((#float, #grad_type)) -> #grad_type)
        {
            (#never, |_| ::core::unreachable!())
        }

        #[doc(hidden)]
        #[allow(dead_code, unused_variables, clippy::all)]
        #vis fn #arguments<#marker>(#(#params,)* #caller: __TapelessNested)
            -> ((#float, #grad_type), (#float, #grad_type))
        {
            #never
        }

        #traits
    }
}

fn names_of(sig: &Signature, names: &ItemNames, float: &TokenStream) -> Names {
    let function = &sig.item.sig.ident;
    let generic = !sig.item.sig.generics.params.is_empty();
    let tapeless = quote!(::tapeless);
    let item_generics = &sig.item.sig.generics;
    let existing = item_generics.where_clause.as_ref().map(|w| {
        w.predicates
            .iter()
            .map(|p| quote!(#p,))
            .collect::<TokenStream>()
    });
    let bounds = if generic {
        quote! {
            where #existing #float: #tapeless::Real + #tapeless::Differentiable<Grad = #float>
                + #tapeless::Accumulate + #tapeless::Parameters<#float>
        }
    } else {
        TokenStream::new()
    };
    Names {
        grad_struct: names.grad_struct.clone(),
        grad_type: crate::expand::grad_type(sig, names),
        grad_fn: names.grad_fn.clone(),
        hvp: format_ident!("{}_hvp", function),
        hessian: format_ident!("{}_hessian", function),
        grad_vjp: format_ident!("{}_vjp", names.grad_fn),
        copy_vjp: if generic {
            names.vjp_fn.clone()
        } else {
            ItemNames::new(&copy_ident(function)).vjp_fn
        },
        generics: quote!(#item_generics),
        bounds,
    }
}

fn differentiated<'a>(sig: &'a Signature<'a>) -> Vec<&'a parse::Param> {
    sig.params.iter().filter(|p| p.differentiated).collect()
}

/// `&[F]` or `&Vec<F>` of the function's float type `F`: lifted to a `Vec` of dual numbers
/// that the caller owns.
fn float_vector_reference(sig: &Signature, ty: &Type) -> bool {
    let Type::Reference(r) = ty else {
        return false;
    };
    match &*r.elem {
        Type::Slice(s) => sig.floats().scalar(&s.elem),
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|last| {
            match &last.arguments {
                syn::PathArguments::AngleBracketed(args) if last.ident == "Vec" => {
                    matches!(args.args.first(), Some(syn::GenericArgument::Type(t)) if args.args.len() == 1 && sig.floats().scalar(t))
                }
                _ => false,
            }
        }),
        _ => false,
    }
}

/// `x` for a reference parameter, `&x` otherwise: the argument of `lift`.
fn by_reference(p: &parse::Param) -> TokenStream {
    let ident = &p.ident;
    match p.ty {
        Type::Reference(_) => quote!(#ident),
        _ => quote!(&#ident),
    }
}

fn hvp(sig: &Signature, names: &Names, float: &TokenStream) -> TokenStream {
    let private = quote!(::tapeless::__private);
    let item = sig.item;
    let vis = &item.vis;
    let params = plain_parameters(&item.sig, false);
    let direction = Ident::new("v", Span::mixed_site());
    let Names {
        grad_struct,
        grad_type,
        hvp,
        copy_vjp,
        generics,
        bounds,
        ..
    } = names;
    // Each argument of the copy: floats lifted to dual numbers (tangent: the direction's
    // field, or zero), data as it is.
    // A differentiated `&[f64]` or `&Vec<f64>` is lifted into a `Vec` bound here, whose
    // buffer then takes H·v (`split_reusing`): `f_hvp` allocates two `Vec`s, not four.
    let reused: Vec<Option<Ident>> = sig
        .params
        .iter()
        .map(|p| {
            (p.differentiated && float_vector_reference(sig, &p.ty))
                .then(|| Ident::new(&format!("lifted_{}", p.field()), Span::mixed_site()))
        })
        .collect();
    let lifts = sig.params.iter().zip(&reused).filter_map(|(p, reused)| {
        let (reused, ident, field) = (reused.as_ref()?, &p.ident, p.field());
        Some(quote!(let #reused = #private::lift(#ident, &#direction.#field);))
    });
    let lifted: Vec<TokenStream> = sig
        .params
        .iter()
        .zip(&reused)
        .map(|(p, reused)| {
            if let Some(reused) = reused {
                return quote!(&#reused);
            }
            let ident = &p.ident;
            let field = p.field();
            let value = by_reference(p);
            let lifted = match (&p.grad_ty, p.differentiated) {
                // A struct left out by `wrt`: data (its floats are the copy's constants).
                (Some(_), false) if named_struct(&p.ty, &item.sig.generics).is_some() => {
                    return quote!(#ident)
                }
                (Some(_), true) => quote!(#private::lift(#value, &#direction.#field)),
                (Some(_), false) => quote!(#private::lift_constant(#value)),
                (None, _) => return quote!(#ident),
            };
            match p.ty {
                Type::Reference(_) => quote!(&#lifted),
                _ => lifted,
            }
        })
        .collect();
    let gradient = Ident::new("gradient", Span::mixed_site());
    let value = Ident::new("value", Span::mixed_site());
    let fields: Vec<Ident> = differentiated(sig).iter().map(|p| p.field()).collect();
    let splits: Vec<TokenStream> = sig
        .params
        .iter()
        .zip(&reused)
        .filter(|(p, _)| p.differentiated)
        .map(|(p, reused)| (p.field(), reused))
        .map(|(field, reused)| match reused {
            Some(reused) => quote!(#private::split_reusing(#gradient.#field, #reused)),
            None => quote!(#private::split(#gradient.#field)),
        })
        .collect();
    // A generic function's `_vjp` runs over dual numbers of its float type: named, because
    // the `where` clause would otherwise lead inference to the float type itself.
    let turbofish = match sig.item.sig.generics.params.len() {
        1 if !generics.is_empty() => quote!(::<::tapeless::Dual<#float>>),
        _ => TokenStream::new(),
    };

    let parts: Vec<Ident> = fields
        .iter()
        .map(|f| Ident::new(&format!("part_{f}"), Span::mixed_site()))
        .collect();
    let doc = format!(
        "The value of [`{}`], its gradient and the Hessian times `v` (forward over reverse: the reverse sweep of `{}` run over dual numbers).",
        item.sig.ident, item.sig.ident
    );
    quote! {
        #[doc = #doc]
        #[allow(clippy::all)]
        #vis fn #hvp #generics (#(#params,)* #direction: &#grad_type) -> (#float, #grad_type, #grad_type) #bounds {
            #(#lifts)*
            let (#value, #gradient) = #copy_vjp #turbofish(#(#lifted,)* #private::one());
            #(let #parts = #splits;)*
            (
                #value.value,
                #grad_struct { #(#fields: #parts.0,)* },
                #grad_struct { #(#fields: #parts.1,)* },
            )
        }
    }
}

/// Clones of the arguments (a reference or a float is copied; a `Vec` cloned).
fn cloned_arguments(sig: &Signature) -> Vec<TokenStream> {
    parameter_names(&sig.item.sig)
        .into_iter()
        .map(|a| quote!(::core::clone::Clone::clone(&#a)))
        .collect()
}

/// A gradient struct of zeros shaped like the arguments.
fn zero_struct(sig: &Signature, names: &Names) -> TokenStream {
    let grad_struct = &names.grad_struct;
    let fields = differentiated(sig).into_iter().map(|p| {
        let field = p.field();
        let value = by_reference(p);
        quote!(#field: ::tapeless::__private::zeros_like(#value))
    });
    quote!(#grad_struct { #(#fields,)* })
}

fn hessian(sig: &Signature, names: &Names, float: &TokenStream) -> TokenStream {
    let private = quote!(::tapeless::__private);
    let item = sig.item;
    let vis = &item.vis;
    let params = plain_parameters(&item.sig, false);
    let Names {
        grad_struct,
        grad_type,
        hvp,
        hessian,
        generics,
        bounds,
        ..
    } = names;
    let [zero, rows, first, direction, k, value, gradient, row] = [
        "zero",
        "rows",
        "first",
        "direction",
        "k",
        "value",
        "gradient",
        "row",
    ]
    .map(|n| Ident::new(n, Span::mixed_site()));
    let args = cloned_arguments(sig);
    let zero_value = zero_struct(sig, names);
    // A row `f_hvp` wrote into a reused buffer (`split_reusing`) has twice its length in
    // capacity: a dense Hessian keeps n of them, so they are shrunk.
    let shrink: Vec<TokenStream> = differentiated(sig)
        .into_iter()
        .filter(|p| float_vector_reference(sig, &p.ty))
        .map(|p| {
            let field = p.field();
            quote!(#private::Vec::shrink_to_fit(&mut #row.#field);)
        })
        .collect();
    let mutable = (!shrink.is_empty()).then(|| quote!(mut));
    let fields = differentiated(sig).into_iter().map(|p| p.field());
    let per_field = fields.map(|field| {
        quote! {
            for #k in 0..#private::scalar_count::<#float, _>(&#zero.#field) {
                let mut #direction = ::core::clone::Clone::clone(&#zero);
                #private::set_unit::<#float, _>(&mut #direction.#field, #k);
                let (#value, #gradient, #mutable #row) = #hvp(#(#args,)* &#direction);
                #(#shrink)*
                #first.get_or_insert((#value, #gradient));
                #rows.push(#row);
            }
        }
    });
    let doc = format!(
        "The value of [`{}`], its gradient and its Hessian: one row (a [`{grad_struct}`]) per scalar of the differentiated parameters, in declaration order, each computed by [`{hvp}`].",
        item.sig.ident
    );
    quote! {
        #[doc = #doc]
        #[allow(clippy::all)]
        #vis fn #hessian #generics (#(#params),*) -> (#float, #grad_type, #private::Vec<#grad_type>) #bounds {
            let #zero = #zero_value;
            let mut #rows = #private::Vec::new();
            let mut #first = ::core::option::Option::None;
            #(#per_field)*
            let (#value, #gradient) = match #first {
                ::core::option::Option::Some(#first) => #first,
                ::core::option::Option::None => {
                    let (#value, #gradient, _) = #hvp(#(#args,)* &#zero);
                    (#value, #gradient)
                }
            };
            (#value, #gradient, #rows)
        }
    }
}

/// `f_grad_vjp(args.., seed: (value seed, gradient seed))`: the VJP of `f_grad`, which is
/// s₀·∇f + H·s₁ (H is symmetric), from one `f_hvp`; and its split form
/// `__f_grad_pullback`, for callers that keep the reverse sweep.
fn grad_vjp(sig: &Signature, names: &Names, float: &TokenStream) -> TokenStream {
    let private = quote!(::tapeless::__private);
    let item = sig.item;
    let vis = &item.vis;
    let params = plain_parameters(&item.sig, true);
    let args = parameter_names(&item.sig);
    let Names {
        grad_type,
        grad_fn,
        hvp,
        grad_vjp,
        generics,
        bounds,
        ..
    } = names;
    let [seed, value, gradient, product] =
        ["seed", "value", "gradient", "product"].map(|n| Ident::new(n, Span::mixed_site()));
    let fields = differentiated(sig).into_iter().map(|p| p.field());
    let doc = format!(
        "The vector-Jacobian product of [`{grad_fn}`]: its value and `seed.0`·∇{f} + H·`seed.1` (one [`{hvp}`]), so that a differentiated function may call `{grad_fn}`.",
        f = item.sig.ident
    );
    let pullback = pullback(sig, names, float);
    let jvp = grad_jvp(sig, names, float);
    quote! {
        #[doc = #doc]
        #[allow(dead_code, clippy::all)]
        #vis fn #grad_vjp #generics (#(#params,)* #seed: (#float, #grad_type)) -> ((#float, #grad_type), #grad_type) #bounds {
            let (#value, #gradient, mut #product) = #hvp(#(#args,)* &#seed.1);
            #(#private::add_scaled::<#float, _>(&mut #product.#fields, #seed.0, &#gradient.#fields);)*
            ((#value, #gradient), #product)
        }

        #pullback
        #jvp
    }
}

/// `f_grad_jvp(args.., tangent: &FGrad)`: `f_grad`'s value and its tangent along
/// `tangent`, (⟨∇f, v⟩, H·v), from one `f_hvp` (forward mode's convention: `(Out, Out)`).
fn grad_jvp(sig: &Signature, names: &Names, float: &TokenStream) -> TokenStream {
    let private = quote!(::tapeless::__private);
    let item = sig.item;
    let vis = &item.vis;
    let params = plain_parameters(&item.sig, false);
    let args = parameter_names(&item.sig);
    let Names {
        grad_type,
        grad_fn,
        hvp,
        generics,
        bounds,
        ..
    } = names;
    let name = format_ident!("{}_jvp", grad_fn);
    let zero = if generics.is_empty() {
        quote!(0.0)
    } else {
        quote!(<#float as ::tapeless::Real>::constant(0.0))
    };
    let [tangent, value, gradient, product, slope] =
        ["tangent", "value", "gradient", "product", "slope"]
            .map(|n| Ident::new(n, Span::mixed_site()));
    let fields = differentiated(sig).into_iter().map(|p| p.field());
    let doc = format!(
        "[`{grad_fn}`] and its directional derivative along `tangent`: (⟨∇{f}, v⟩, H·v), from one [`{hvp}`] (forward mode through a nested `{grad_fn}`).",
        f = item.sig.ident
    );
    quote! {
        #[doc = #doc]
        #[allow(dead_code, clippy::all)]
        #vis fn #name #generics (#(#params,)* #tangent: &#grad_type) -> ((#float, #grad_type), (#float, #grad_type)) #bounds {
            let (#value, #gradient, #product) = #hvp(#(#args,)* #tangent);
            let mut #slope: #float = #zero;
            #(#slope += #private::scalar_dot::<#float, _>(&#gradient.#fields, &#tangent.#fields);)*
            ((#value, #gradient), (#slope, #product))
        }
    }
}

/// Gives `item` (a companion of the function: `f_grad`, `f_jvp`) the where clause the added
/// functions need of the float type.
fn bound_float(item: &mut ItemFn, names: &Names) {
    if let Ok(clause) = syn::parse2::<syn::WhereClause>(names.bounds.clone()) {
        item.sig.generics.where_clause = Some(clause);
    }
}

/// The signature of a companion `item` of the function of `sig`, whose parameters begin
/// with the function's: those are differentiated as the function's are (its `wrt`), the
/// ones after them (a tangent) as their types say.
fn companion_signature<'a>(item: &'a ItemFn, sig: &Signature) -> Option<Signature<'a>> {
    let mut companion = parse::signature(item, &parse::Options::default(), &mut Errors::default())?;
    for (p, original) in companion.params.iter_mut().zip(&sig.params) {
        p.differentiated = original.differentiated;
    }
    Some(companion)
}

/// `__f_grad_pullback`: `f_grad`'s value and its reverse sweep as a closure (callers in
/// split mode); the closure runs `f_grad_vjp`.
fn pullback(sig: &Signature, names: &Names, float: &TokenStream) -> TokenStream {
    let mut item = sig.item.clone();
    let grad_struct = &names.grad_struct;
    let grad_type = &names.grad_type;
    item.sig.ident = names.grad_fn.clone();
    item.sig.output = syn::parse_quote!(-> (#float, #grad_type));
    // What `f_grad_vjp` needs of the float type, for the closure that calls it.
    bound_float(&mut item, names);
    let Some(grad_sig) = companion_signature(&item, sig) else {
        return TokenStream::new();
    };
    let names_of_grad = ItemNames {
        grad_struct: grad_struct.clone(),
        ..ItemNames::new(&names.grad_fn)
    };
    let args = parameter_names(&item.sig);
    let [value, seed] = ["value", "seed"].map(|n| Ident::new(n, Span::mixed_site()));
    let Names {
        grad_fn, grad_vjp, ..
    } = names;
    let cloned = cloned_arguments(sig);
    let body = quote! {
        let #value = #grad_fn(#(#cloned),*);
        (::core::clone::Clone::clone(&#value), move |#seed| #grad_vjp(#(#args,)* #seed).1)
    };
    let pullback = crate::expand::pullback_function(&grad_sig, &names_of_grad, None, body);
    // Forward mode's convention for a differentiated callee: `__f_grad_jvp_arguments`.
    let jvp = format_ident!("{}_jvp", grad_fn);
    let arguments =
        crate::forward::arguments_function(&grad_sig, &names_of_grad, &jvp, &names.bounds);
    quote!(#pullback #arguments)
}

/// `f_jvp` as a differentiated callee (an inner forward-mode derivative inside an outer
/// differentiated function), from one `f_hvp` each:
/// - `FJvpGrad` and `f_jvp_vjp`: the VJP of (f, ⟨∇f, t⟩) with seed (s₀, s₁) is
///   s₀·∇f + s₁·H·t for the arguments and s₁·∇f for the tangent; `__f_jvp_pullback`;
/// - `f_jvp_jvp` and `__f_jvp_jvp_arguments`: along (ẋ, ṫ), the tangent is
///   (⟨∇f, ẋ⟩, ⟨H·t, ẋ⟩ + ⟨∇f, ṫ⟩).
fn jvp_callee(sig: &Signature, names: &Names, float: &TokenStream) -> TokenStream {
    let private = quote!(::tapeless::__private);
    let function = &sig.item.sig.ident;
    let grad_type = &names.grad_type;
    let hvp = &names.hvp;
    // The tangent's field in `FJvpGrad`, unless a parameter has its name.
    let tangent = match sig.params.iter().any(|p| p.ident == "tangent") {
        true => format_ident!("tangent_"),
        false => format_ident!("tangent"),
    };
    let mut item = sig.item.clone();
    item.sig.ident = format_ident!("{}_jvp", function);
    item.sig
        .inputs
        .push(syn::parse_quote!(#tangent: &#grad_type));
    item.sig.output = syn::parse_quote!(-> (#float, #float));
    bound_float(&mut item, names);
    let Some(jvp_sig) = companion_signature(&item, sig) else {
        return TokenStream::new();
    };
    let jvp_names = ItemNames::new(&item.sig.ident);
    let jvp_fn = &item.sig.ident;
    let jvp_struct = &jvp_names.grad_struct;
    let jvp_type = crate::expand::grad_type(&jvp_sig, &jvp_names);
    // `f_hvp` takes owned arguments (a `Vec`) by value: clones, as the reverse needs them.
    let args = cloned_arguments(sig);
    let all_args = parameter_names(&item.sig);
    let fields: Vec<Ident> = differentiated(sig).iter().map(|p| p.field()).collect();
    let zero = zero_struct(sig, names);
    let zero_float = if names.generics.is_empty() {
        quote!(0.0)
    } else {
        quote!(<#float as ::tapeless::Real>::constant(0.0))
    };
    let [seed, value, gradient, product, slope, d_args, d_tangent, direction, along, curvature] = [
        "seed",
        "value",
        "gradient",
        "product",
        "slope",
        "d_args",
        "d_tangent",
        "direction",
        "along",
        "curvature",
    ]
    .map(|n| Ident::new(n, Span::mixed_site()));
    let vjp_body = quote! {
        let (#value, #gradient, #product) = #hvp(#(#args,)* #tangent);
        let mut #slope: #float = #zero_float;
        #(#slope += #private::scalar_dot::<#float, _>(&#gradient.#fields, &#tangent.#fields);)*
        let mut #d_args = #zero;
        #(#private::add_scaled::<#float, _>(&mut #d_args.#fields, #seed.0, &#gradient.#fields);)*
        #(#private::add_scaled::<#float, _>(&mut #d_args.#fields, #seed.1, &#product.#fields);)*
        let mut #d_tangent = #zero;
        #(#private::add_scaled::<#float, _>(&mut #d_tangent.#fields, #seed.1, &#gradient.#fields);)*
        ((#value, #slope), #jvp_struct { #(#fields: #d_args.#fields,)* #tangent: #d_tangent })
    };
    let grad_struct_item = crate::expand::grad_struct(&jvp_sig, &jvp_names);
    let functions = crate::expand::functions(&jvp_sig, &jvp_names, &seed, vjp_body);
    let cloned = cloned_arguments(&jvp_sig);
    let vjp_fn = &jvp_names.vjp_fn;
    let pullback_body = quote! {
        let #value = #jvp_fn(#(#cloned),*);
        (::core::clone::Clone::clone(&#value), move |#seed| #vjp_fn(#(#all_args,)* #seed).1)
    };
    let pullback = crate::expand::pullback_function(&jvp_sig, &jvp_names, None, pullback_body);
    // Forward over forward.
    let jvp_jvp = format_ident!("{}_jvp", jvp_fn);
    let vis = &sig.item.vis;
    let generics = &names.generics;
    let bounds = &names.bounds;
    let params = plain_parameters(&item.sig, false);
    let doc = format!("[`{jvp_fn}`] and its directional derivative along `{direction}` (forward mode through a nested `{jvp_fn}`), from one [`{hvp}`].");
    let jvp_jvp_fn = quote! {
        #[doc = #doc]
        #[allow(dead_code, clippy::all)]
        #vis fn #jvp_jvp #generics (#(#params,)* #direction: &#jvp_type) -> ((#float, #float), (#float, #float)) #bounds {
            let (#value, #gradient, #product) = #hvp(#(#args,)* #tangent);
            let mut #slope: #float = #zero_float;
            let mut #along: #float = #zero_float;
            let mut #curvature: #float = #zero_float;
            #(
                #slope += #private::scalar_dot::<#float, _>(&#gradient.#fields, &#tangent.#fields);
                #along += #private::scalar_dot::<#float, _>(&#gradient.#fields, &#direction.#fields);
                #curvature += #private::scalar_dot::<#float, _>(&#product.#fields, &#direction.#fields)
                    + #private::scalar_dot::<#float, _>(&#gradient.#fields, &#direction.#tangent.#fields);
            )*
            ((#value, #slope), (#along, #curvature))
        }
    };
    let arguments = crate::forward::arguments_function(&jvp_sig, &jvp_names, &jvp_jvp, bounds);
    quote!(#grad_struct_item #functions #pullback #jvp_jvp_fn #arguments)
}

/// `Differentiable` and `Accumulate` of the gradient struct: a nested `f_grad` returns it,
/// and the caller's reverse sweep gives it an adjoint of the same type.
fn grad_traits(sig: &Signature, names: &Names, float: &TokenStream) -> TokenStream {
    let grad_struct = &names.grad_struct;
    let grad_type = &names.grad_type;
    let params = crate::expand::struct_generics(sig);
    let (generics, bounds) = if params.is_empty() {
        (TokenStream::new(), TokenStream::new())
    } else {
        (
            quote!(<#(#params),*>),
            quote!(where #float: ::tapeless::Real + ::tapeless::Differentiable<Grad = #float> + ::tapeless::Accumulate),
        )
    };
    let fields: Vec<Ident> = differentiated(sig).iter().map(|p| p.field()).collect();
    let tapeless = quote!(::tapeless);
    quote! {
        impl #generics #tapeless::Differentiable for #grad_type #bounds {
            type Grad = Self;
            fn zeros_like(&self) -> Self {
                #grad_struct { #(#fields: #tapeless::Differentiable::zeros_like(&self.#fields),)* }
            }
            fn zero_adjoint(&self) -> Self {
                #grad_struct { #(#fields: #tapeless::Differentiable::zero_adjoint(&self.#fields),)* }
            }
        }

        impl #generics #tapeless::Accumulate for #grad_type #bounds {
            fn accumulate(&mut self, other: &Self) {
                #(#tapeless::Accumulate::accumulate(&mut self.#fields, &other.#fields);)*
            }
            fn subtract(&mut self, other: &Self) {
                #(#tapeless::Accumulate::subtract(&mut self.#fields, &other.#fields);)*
            }
            fn set_zero(&mut self) {
                #(#tapeless::Accumulate::set_zero(&mut self.#fields);)*
            }
        }
    }
}

/// The generic copy's items, marked hidden and allowed to go unused (a function may use
/// only some of `f_hvp`, `f_hessian` and `f_grad_vjp`), then the public functions.
pub fn hidden(copy: TokenStream, functions: TokenStream) -> TokenStream {
    let Ok(mut file) = syn::parse2::<syn::File>(copy.clone()) else {
        return quote!(#copy #functions);
    };
    let attrs: [syn::Attribute; 2] = [
        syn::parse_quote!(#[doc(hidden)]),
        syn::parse_quote!(#[allow(dead_code, clippy::all)]),
    ];
    for item in &mut file.items {
        match item {
            syn::Item::Fn(f) => f.attrs.extend(attrs.iter().cloned()),
            syn::Item::Struct(s) => s.attrs.extend(attrs.iter().cloned()),
            _ => {}
        }
    }
    let items = file.items;
    quote!(#(#items)* #functions)
}
