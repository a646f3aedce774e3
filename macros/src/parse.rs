//! Stage 1: the attribute's options and the function's signature, checked against what the
//! later stages support. Every problem becomes a spanned error; nothing here panics.

use proc_macro2::TokenStream;
use syn::punctuated::Punctuated;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Token, Type};

use crate::errors::Errors;
use crate::ir::Kind;

/// `#[differentiate(wrt(a, b), max_iterations = 1000)]`.
#[derive(Default)]
pub struct Options {
    /// The parameters to differentiate; `None` means every float parameter.
    pub wrt: Option<Vec<Ident>>,
    /// A bound on the values each loop's stack holds: stacks in place instead of on the heap.
    pub max_iterations: Option<syn::Expr>,
    /// For a method: the type of `self` (the `impl` block's type).
    pub self_ty: Option<Type>,
    /// `hessian`: also emit `f_hvp` and `f_hessian` (forward over reverse); its span.
    pub hessian: Option<proc_macro2::Span>,
    /// For a method: the functions of its `impl` block that are not marked (no derivative).
    pub unmarked: Vec<String>,
}

pub fn options(attr: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("wrt") {
            if options.wrt.is_some() {
                return Err(
                    meta.error("`wrt(...)` is given twice; list all parameters in one `wrt(...)`")
                );
            }
            if !meta.input.peek(syn::token::Paren) {
                return Err(meta.error("write the parameters in parentheses: `wrt(x, y)`"));
            }
            let content;
            let parens = syn::parenthesized!(content in meta.input);
            // `self` too (`wrt(self, x)` on a method), which is a keyword.
            let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(
                &content,
                syn::ext::IdentExt::parse_any,
            )?;
            if names.is_empty() {
                return Err(syn::Error::new(
                    parens.span.join(),
                    "`wrt()` names no parameter: list the parameters to differentiate, or remove `wrt` to differentiate every float parameter",
                ));
            }
            options.wrt = Some(names.into_iter().collect());
            Ok(())
        } else if meta.path.is_ident("hessian") {
            if options.hessian.is_some() {
                return Err(meta.error("`hessian` is given twice"));
            }
            options.hessian = Some(syn::spanned::Spanned::span(&meta.path));
            Ok(())
        } else if meta.path.is_ident("max_iterations") {
            if options.max_iterations.is_some() {
                return Err(meta.error("`max_iterations` is given twice"));
            }
            let value: syn::Expr = meta.value()?.parse()?;
            let literal = matches!(
                &value,
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(_),
                    ..
                })
            );
            if !literal && !matches!(value, syn::Expr::Path(_)) {
                return Err(syn::Error::new_spanned(
                    value,
                    "`max_iterations` takes an integer literal or a constant: `max_iterations = 1000`",
                ));
            }
            options.max_iterations = Some(value);
            Ok(())
        } else {
            let path = &meta.path;
            let name = quote::quote!(#path).to_string().replace(' ', "");
            let hint = if edit_distance(&name, "wrt") <= 2 || name.contains("wrt") {
                " (did you mean `wrt`?)"
            } else {
                ""
            };
            Err(meta.error(format!(
                "unknown option `{name}` of #[differentiate]{hint}; the options are `wrt(param, ...)`, which names the parameters to differentiate, `max_iterations = N`, which bounds loops so that their stacks need no heap, and `hessian`, which adds `f_hvp` and `f_hessian`"
            )))
        }
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, attr) {
        errors.push(error);
    }
    options
}

/// A checked parameter.
pub struct Param {
    pub ident: Ident,
    pub ty: Type,
    /// Its gradient's type, for a float-valued parameter; `None` for data (integers, ...).
    pub grad_ty: Option<Type>,
    /// Whether the gradient struct gets a field for it (float-valued and, with `wrt`, named).
    pub differentiated: bool,
    pub kind: Kind,
}

impl Param {
    /// Its field in the gradient struct: the parameter's name, `self_` for `self`.
    pub fn field(&self) -> Ident {
        if self.ident == "self" {
            Ident::new("self_", self.ident.span())
        } else {
            self.ident.clone()
        }
    }
}

/// A checked signature: what the later stages and the emitter need.
pub struct Signature<'a> {
    pub item: &'a ItemFn,
    pub params: Vec<Param>,
    /// The return type: the type of the value.
    pub ret: Type,
    /// The type of `seed` and of the value's tangent: the return type, but `()` for the
    /// data elements of a tuple (`(f64, ())` for `-> (f64, usize)`).
    pub seed: Type,
    /// Whether the result is a scalar float, so that `f_grad` (seed one) exists.
    pub scalar_ret: bool,
    /// The function's type parameters that are floats (`T: RealField`).
    pub float_generics: Vec<Ident>,
    /// `max_iterations = N`: every loop stack holds at most `N` values, in place.
    pub max_iterations: Option<syn::Expr>,
    /// Whether it is a function of an `impl` block (with or without a receiver): generated
    /// code names it and its companions `Self::..`.
    pub in_impl: bool,
    /// The functions of its `impl` block without a derivative (`Options::unmarked`).
    pub unmarked: Vec<String>,
}

pub fn signature<'a>(
    item: &'a ItemFn,
    options: &Options,
    errors: &mut Errors,
) -> Option<Signature<'a>> {
    let sig = &item.sig;
    let before = errors.len();
    check_header(sig, errors);
    let float_generics = float_generics(sig, errors);
    let floats = Floats::of(&float_generics);

    let mut params = parameters(sig, options, floats, errors);
    apply_wrt(sig, options, &mut params, errors);
    for p in params.iter().filter(|p| p.differentiated) {
        if of_tuples(&p.ty) {
            let ty = &p.ty;
            errors.at(ty, format!("`{}` cannot be differentiated by #[differentiate] yet: slices, arrays and `Vec`s of tuples have no gradient; pass each element of the tuples as a slice of its own (`xs: &[f64], ws: &[f64]`, iterated as `for (&x, &w) in xs.iter().zip(ws)`), or leave the parameter out of `wrt(..)` to read it as data", quote::quote!(#ty)));
        }
    }

    let ret = return_type(sig, floats, errors);
    if errors.len() > before {
        return None;
    }
    let ret = ret?;
    Some(Signature {
        item,
        params,
        scalar_ret: floats.scalar(&ret),
        seed: result_gradient(floats, &ret).unwrap_or_else(|| ret.clone()),
        ret,
        float_generics,
        max_iterations: options.max_iterations.clone(),
        in_impl: options.self_ty.is_some(),
        unmarked: options.unmarked.clone(),
    })
}

impl Signature<'_> {
    /// The float types of this function, to ask type questions of.
    pub fn floats(&self) -> Floats<'_> {
        Floats::of(&self.float_generics)
    }
}

/// The float types of one function: `f32`, `f64` and its float type parameters (`T` in
/// `fn f<T: Float>`). Whether a type is a float, and so what its gradient is, depends on
/// them, so every type question that involves a float is asked of this value, which
/// `Signature::floats` gives each stage.
#[derive(Clone, Copy)]
pub struct Floats<'a> {
    generics: &'a [Ident],
}

impl<'a> Floats<'a> {
    /// Only `f32` and `f64` (a function without float type parameters).
    pub const CONCRETE: Floats<'static> = Floats { generics: &[] };

    pub fn of(generics: &'a [Ident]) -> Self {
        Floats { generics }
    }

    /// The float type parameters, in the order the function declares them.
    pub fn generics(self) -> &'a [Ident] {
        self.generics
    }
}

/// `async`, `unsafe`, `extern` and variadic functions cannot be differentiated.
fn check_header(sig: &syn::Signature, errors: &mut Errors) {
    if let Some(token) = &sig.asyncness {
        errors.at(token, "`async fn` cannot be differentiated: make the computation a plain `fn` and differentiate that");
    }
    if let Some(token) = &sig.unsafety {
        errors.at(token, "`unsafe fn` cannot be differentiated: #[differentiate] needs to see every operation; move the unsafe part into a function with its own rule");
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, "`extern` functions cannot be differentiated: differentiate a plain Rust function and call it from the `extern` one");
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "variadic functions cannot be differentiated");
    }
}

/// The type parameters bounded as floats (`T: RealField`, `T: Float`): each is a scalar
/// float. Any other type parameter is an error.
fn float_generics(sig: &syn::Signature, errors: &mut Errors) -> Vec<Ident> {
    let mut float_generics = Vec::new();
    for param in sig.generics.type_params() {
        let mut bounds: Vec<&syn::TypeParamBound> = param.bounds.iter().collect();
        if let Some(clause) = &sig.generics.where_clause {
            for predicate in &clause.predicates {
                if let syn::WherePredicate::Type(t) = predicate {
                    if matches!(&t.bounded_ty, Type::Path(p) if p.path.is_ident(&param.ident)) {
                        bounds.extend(t.bounds.iter());
                    }
                }
            }
        }
        let float = bounds.iter().any(|b| match b {
            syn::TypeParamBound::Trait(t) => t
                .path
                .segments
                .last()
                .is_some_and(|s| crate::rules::float_bound(&s.ident.to_string())),
            _ => false,
        });
        if float {
            float_generics.push(param.ident.clone());
        } else {
            errors.at(
                param,
                format!(
                    "generic parameter `{}` is not bounded as a float, so #[differentiate] cannot differentiate through its values; bound it by `nalgebra::RealField` or `num_traits::Float` (`{}: RealField + Copy`), or write the function for `f64`",
                    param.ident, param.ident
                ),
            );
        }
    }
    float_generics
}

/// The parameters, classified; the ones that cannot be differentiated are reported.
fn parameters(
    sig: &syn::Signature,
    options: &Options,
    floats: Floats,
    errors: &mut Errors,
) -> Vec<Param> {
    let mut params = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => match &options.self_ty {
                None => errors.at(
                    receiver,
                    "a method is differentiated from its `impl` block: mark the block too (`#[differentiate] impl Type { #[differentiate] fn f(&self, ..) }`)",
                ),
                Some(_) if receiver.mutability.is_some() && receiver.reference.is_some() => {
                    errors.at(receiver, "`&mut self` methods cannot be differentiated: mutation through a reference cannot be differentiated yet; take `&self` and return the result instead")
                }
                Some(self_ty) => params.push(Param {
                    ident: Ident::new("self", receiver.self_token.span),
                    ty: (*receiver.ty).clone(),
                    grad_ty: Some(self_ty.clone()),
                    differentiated: true,
                    kind: if receiver.reference.is_some() {
                        Kind::Ref
                    } else {
                        Kind::Owned
                    },
                }),
            },
            FnArg::Typed(typed) => {
                let ident = match &*typed.pat {
                    Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
                    other => {
                        errors.at(other, "only plain parameter names (`x: f64`) are supported by #[differentiate]; destructure inside the body instead");
                        continue;
                    }
                };
                // The gradient struct of a method names the gradient of `self` `self_`.
                if options.self_ty.is_some() && ident == "self_" {
                    errors.at(&ident, "a differentiated method's parameter cannot be named `self_`: that is the field of the gradient of `self` in its gradient struct; rename the parameter");
                    continue;
                }
                if let Some(class) = floats.classify(&typed.ty, errors) {
                    // Tuples of data and floats (`&[(usize, f64)]`) are data: their floats
                    // have no gradient, which is said by naming the others in `wrt(..)`.
                    if class.grad_ty.is_none() && options.wrt.is_none() && floats.mixed(&typed.ty) {
                        let ty = &typed.ty;
                        errors.at(ty, format!("`{}` holds tuples of data and floats, which have no gradient in #[differentiate]; name the parameters to differentiate in `wrt(..)` (`#[differentiate(wrt(x))]`) to read it as data, or pass its floats in a parameter of their own (`&[f64]`)", quote::quote!(#ty)));
                        continue;
                    }
                    params.push(Param {
                        differentiated: class.grad_ty.is_some(),
                        ident,
                        ty: (*typed.ty).clone(),
                        grad_ty: class.grad_ty,
                        kind: class.kind,
                    });
                }
            }
        }
    }
    params
}

/// `wrt(..)`: only the named parameters are differentiated; each must be one with a
/// derivative.
fn apply_wrt(sig: &syn::Signature, options: &Options, params: &mut [Param], errors: &mut Errors) {
    if let Some(wrt) = &options.wrt {
        for name in wrt {
            match params.iter().find(|p| p.ident == *name) {
                None => errors.at(
                    name,
                    format!(
                        "`{name}` in `wrt(...)` is not a parameter of `{}`",
                        sig.ident
                    ),
                ),
                Some(p) if p.grad_ty.is_none() => {
                    let ty = &p.ty;
                    errors.at(
                        name,
                        format!(
                            "`{name}` has type `{}`, which has no derivative; `wrt(...)` can only name float-valued parameters",
                            quote::quote!(#ty)
                        ),
                    )
                }
                Some(_) => {}
            }
        }
        for p in params.iter_mut() {
            p.differentiated = p.grad_ty.is_some() && wrt.contains(&p.ident);
        }
    }
}

/// The result's type: a float, or an owned array, `Vec` or matrix of floats.
fn return_type(sig: &syn::Signature, floats: Floats, errors: &mut Errors) -> Option<Type> {
    match &sig.output {
        ReturnType::Default => {
            errors.at_span(
                sig.paren_token.span.close(),
                "a differentiated function must return a float (`-> f64` or `-> f32`): its gradient is the derivative of that value",
            );
            None
        }
        ReturnType::Type(_, ty) if floats.scalar(ty) => Some((**ty).clone()),
        // A vector or matrix value: `f_vjp` takes its adjoint as the seed.
        ReturnType::Type(_, ty)
            if !matches!(**ty, Type::Reference(_)) && floats.gradient(ty).is_some() =>
        {
            Some((**ty).clone())
        }
        // A tuple with data elements (`(f64, usize)`): its seed has `()` for them.
        ReturnType::Type(_, ty) if result_gradient(floats, ty).is_some() => Some((**ty).clone()),
        ReturnType::Type(_, ty) => {
            errors.at(
                ty,
                format!(
                    "`{}` cannot be differentiated as a result: #[differentiate] needs a function that returns a float (`f64`, `f32`) or an owned array, `Vec` or nalgebra vector or matrix of floats",
                    quote::quote!(#ty)
                ),
            );
            None
        }
    }
}

/// The seed's type for a tuple result that holds data (`(f64, usize)` gives `(f64, ())`):
/// `None` when the result is not such a tuple (of floats, float containers, data, and
/// tuples of those, with at least one float).
fn result_gradient(floats: Floats, ty: &Type) -> Option<Type> {
    /// The element's seed type, whether it holds data, whether it holds a float.
    fn element(floats: Floats, ty: &Type) -> Option<(Type, bool, bool)> {
        match ty {
            Type::Paren(p) => element(floats, &p.elem),
            Type::Tuple(t) if !t.elems.is_empty() => {
                let elems: Vec<_> = t
                    .elems
                    .iter()
                    .map(|t| element(floats, t))
                    .collect::<Option<_>>()?;
                let data = elems.iter().any(|e| e.1);
                let float = elems.iter().any(|e| e.2);
                let types = elems.into_iter().map(|e| e.0);
                Some((syn::parse_quote!((#(#types,)*)), data, float))
            }
            Type::Reference(_) => None,
            _ if copy_primitive(ty) => Some((syn::parse_quote!(()), true, false)),
            _ => floats.gradient(ty).map(|_| (ty.clone(), false, true)),
        }
    }
    match element(floats, ty)? {
        (seed, true, true) if matches!(ty, Type::Tuple(_)) => Some(seed),
        _ => None,
    }
}

struct Class {
    grad_ty: Option<Type>,
    kind: Kind,
}

impl Floats<'_> {
    /// `f32`, `f64`, or a type parameter bounded as a float.
    pub fn scalar(self, ty: &Type) -> bool {
        let Type::Path(p) = ty else { return false };
        p.qself.is_none()
            && (p.path.is_ident("f64")
                || p.path.is_ident("f32")
                || p.path
                    .get_ident()
                    .is_some_and(|i| self.generics.contains(i)))
    }

    /// The owned gradient type of a float-valued type: `f64` for `f64`, `Vec<f64>` for `[f64]`
    /// and `Vec<f64>`, `[f64; N]` for `[f64; N]`, nested arrays alike.
    pub fn gradient(self, ty: &Type) -> Option<Type> {
        match ty {
            _ if self.scalar(ty) => Some(ty.clone()),
            Type::Paren(p) => self.gradient(&p.elem),
            Type::Array(a) => {
                let mut array = a.clone();
                array.elem = Box::new(self.gradient(&a.elem)?);
                Some(Type::Array(array))
            }
            Type::Slice(s) => {
                let elem = self.gradient(&s.elem)?;
                Some(syn::parse_quote!(::tapeless::__private::Vec<#elem>))
            }
            Type::Tuple(t) if !t.elems.is_empty() => {
                let elems = t
                    .elems
                    .iter()
                    .map(|t| self.gradient(t))
                    .collect::<Option<Vec<Type>>>()?;
                Some(syn::parse_quote!((#(#elems,)*)))
            }
            _ => match last_ident(ty) {
                Some(ident) if ident == "Vec" => {
                    let elem = self.gradient(single_type_argument(ty)?)?;
                    Some(syn::parse_quote!(::tapeless::__private::Vec<#elem>))
                }
                // nalgebra's vectors and matrices of floats: the gradient is the owned matrix.
                Some(ident) if nalgebra_matrix(&ident.to_string()) => {
                    let element = first_type_argument(ty)?;
                    self.scalar(element).then(|| ty.clone())
                }
                // Any other named type is taken for a struct deriving `Differentiable`: its
                // gradient is a value of the same type (the generated code checks the trait).
                Some(_) if !inactive(ty) => Some(ty.clone()),
                _ => None,
            },
        }
    }

    /// What a parameter's type means for differentiation, or an error for types not supported.
    fn classify(self, ty: &Type, errors: &mut Errors) -> Option<Class> {
        match ty {
            Type::Paren(inner) => self.classify(&inner.elem, errors),
            Type::Group(inner) => self.classify(&inner.elem, errors),
            Type::Reference(r) if r.mutability.is_some() => {
                errors.at(
                    r,
                    "`&mut` parameters are not supported: mutation through a reference cannot be differentiated yet; take the value (or `&`) and return the result instead",
                );
                None
            }
            Type::Reference(r) => {
                if let Some(grad_ty) = self.gradient(&r.elem) {
                    Some(Class {
                        grad_ty: Some(grad_ty),
                        kind: Kind::Ref,
                    })
                } else if inactive(&r.elem) || self.mixed(&r.elem) {
                    Some(Class {
                        grad_ty: None,
                        kind: Kind::Ref,
                    })
                } else {
                    unsupported_param(ty, errors)
                }
            }
            _ if self.scalar(ty) => Some(Class {
                grad_ty: Some(ty.clone()),
                kind: Kind::Copy,
            }),
            // An array of floats (or of arrays of them) is `Copy`; one of structs or vectors
            // is owned (`[Layer; 2]` by value).
            Type::Array(_) if self.gradient(ty).is_some() => Some(Class {
                grad_ty: self.gradient(ty),
                kind: if self.copy_value(ty) {
                    Kind::Copy
                } else {
                    Kind::Owned
                },
            }),
            _ if self.gradient(ty).is_some() => Some(Class {
                grad_ty: self.gradient(ty),
                kind: Kind::Owned,
            }),
            _ if inactive(ty) => Some(Class {
                grad_ty: None,
                kind: if copy_primitive(ty) {
                    Kind::Copy
                } else {
                    Kind::Owned
                },
            }),
            // Tuples of data and floats (`Vec<(usize, f64)>`): data.
            _ if self.mixed(ty) => Some(Class {
                grad_ty: None,
                kind: if self.copy_value(ty) {
                    Kind::Copy
                } else {
                    Kind::Owned
                },
            }),
            _ => unsupported_param(ty, errors),
        }
    }

    /// A type of tuples that hold both data and floats (`(usize, f64)`, `&[(usize, f64)]`,
    /// `Vec<(usize, [f64; 2])>`), which has no gradient: read as data.
    pub fn mixed(self, ty: &Type) -> bool {
        /// Whether every leaf of `ty` is data or a float; whether one is a float; whether
        /// one is data.
        fn leaves(floats: Floats, ty: &Type) -> Option<(bool, bool)> {
            match ty {
                _ if floats.scalar(ty) => Some((true, false)),
                _ if inactive(ty) => Some((false, true)),
                Type::Paren(p) => leaves(floats, &p.elem),
                Type::Reference(r) if r.mutability.is_none() => leaves(floats, &r.elem),
                Type::Slice(s) => leaves(floats, &s.elem),
                Type::Array(a) => leaves(floats, &a.elem),
                Type::Tuple(t) if !t.elems.is_empty() => {
                    t.elems.iter().try_fold((false, false), |(f, d), t| {
                        let (f2, d2) = leaves(floats, t)?;
                        Some((f || f2, d || d2))
                    })
                }
                _ => match last_ident(ty) {
                    Some(ident) if ident == "Vec" => leaves(floats, single_type_argument(ty)?),
                    _ => None,
                },
            }
        }
        self.gradient(ty).is_none() && leaves(self, ty) == Some((true, true))
    }

    /// A parameter type whose differentiability the generated code must check: one that is
    /// not a float, a container of floats or a nalgebra type (a struct, or a tuple of them).
    pub fn needs_check(self, ty: &Type) -> bool {
        match ty {
            Type::Reference(r) => self.needs_check(&r.elem),
            Type::Paren(p) => self.needs_check(&p.elem),
            Type::Array(a) => self.needs_check(&a.elem),
            Type::Slice(s) => self.needs_check(&s.elem),
            Type::Tuple(t) => t.elems.iter().any(|t| self.needs_check(t)),
            _ if self.scalar(ty) => false,
            _ => match last_ident(ty) {
                Some(ident) if ident == "Vec" => {
                    single_type_argument(ty).is_some_and(|t| self.needs_check(t))
                }
                Some(ident) => !nalgebra_matrix(&ident.to_string()),
                None => false,
            },
        }
    }

    /// Whether the elements of a container of type `ty` (a slice, array or `Vec`, or a
    /// reference to one) are read by reference (`&xs[i]`): any element but a `Copy` scalar, or
    /// an array or tuple of them. `xs[i]` would move a `Vec<f64>` or a `DVector<f64>`, and the
    /// generated code must not take a `Vector3<f64>` or a struct for a scalar.
    pub fn elements_by_reference(self, ty: &Type) -> bool {
        let element = match ty {
            Type::Reference(r) => return self.elements_by_reference(&r.elem),
            Type::Paren(p) => return self.elements_by_reference(&p.elem),
            Type::Group(g) => return self.elements_by_reference(&g.elem),
            Type::Slice(s) => &*s.elem,
            Type::Array(a) => &*a.elem,
            _ => match last_ident(ty) {
                Some(ident) if ident == "Vec" => match single_type_argument(ty) {
                    Some(element) => element,
                    None => return false,
                },
                _ => return false,
            },
        };
        !self.copy_value(element)
    }

    /// A type of the user's own, by reference or not: a struct named by a path that is not
    /// a float, an integer, `Vec`, `String`, `Option` or nalgebra's. A method called on a
    /// value of it is the user's (`model.forward(x)`).
    pub fn users_own(self, ty: &Type) -> bool {
        match ty {
            Type::Reference(r) => self.users_own(&r.elem),
            Type::Paren(p) => self.users_own(&p.elem),
            Type::Group(g) => self.users_own(&g.elem),
            Type::Path(p) if p.qself.is_none() => {
                !self.scalar(ty)
                    && !copy_primitive(ty)
                    && last_ident(ty).is_some_and(|ident| {
                        let name = ident.to_string();
                        !nalgebra_matrix(&name)
                            && !["Vec", "String", "Option", "Box", "Rc", "Arc", "str"]
                                .contains(&name.as_str())
                    })
            }
            _ => false,
        }
    }

    /// A slice, array or `Vec` whose elements are of a type of the user's own (see
    /// [`Self::users_own`]): `for c in comps { c.log_pdf(x) }`.
    pub fn user_elements(self, ty: &Type) -> bool {
        match ty {
            Type::Reference(r) => self.user_elements(&r.elem),
            Type::Paren(p) => self.user_elements(&p.elem),
            Type::Group(g) => self.user_elements(&g.elem),
            Type::Slice(s) => self.users_own(&s.elem),
            Type::Array(a) => self.users_own(&a.elem),
            _ => match last_ident(ty) {
                Some(ident) if ident == "Vec" => {
                    single_type_argument(ty).is_some_and(|e| self.users_own(e))
                }
                _ => false,
            },
        }
    }

    /// A `Copy` scalar, or an array or tuple of them.
    fn copy_value(self, ty: &Type) -> bool {
        match ty {
            Type::Paren(p) => self.copy_value(&p.elem),
            Type::Array(a) => self.copy_value(&a.elem),
            Type::Tuple(t) => t.elems.iter().all(|t| self.copy_value(t)),
            _ => self.scalar(ty) || copy_primitive(ty),
        }
    }

    pub fn jacobian_output(self, ty: &Type) -> JacobianOutput {
        match ty {
            Type::Paren(p) => self.jacobian_output(&p.elem),
            Type::Group(g) => self.jacobian_output(&g.elem),
            _ if self.scalar(ty) => JacobianOutput::None,
            Type::Tuple(_) => JacobianOutput::None,
            Type::Array(a) if self.vector_element(&a.elem) => JacobianOutput::Vector,
            _ => match last_ident(ty) {
                Some(ident)
                    if ident == "Vec"
                        && single_type_argument(ty).is_some_and(|t| self.vector_element(t)) =>
                {
                    JacobianOutput::Vector
                }
                Some(ident)
                    if nalgebra_matrix(&ident.to_string())
                        && first_type_argument(ty).is_some_and(|t| self.scalar(t)) =>
                {
                    JacobianOutput::Vector
                }
                _ => JacobianOutput::Bounded,
            },
        }
    }

    /// An element of an array or `Vec` output with Jacobian rows: a float or a vector-like value.
    fn vector_element(self, ty: &Type) -> bool {
        self.scalar(ty) || self.jacobian_output(ty) == JacobianOutput::Vector
    }

    /// The float type of a vector-like output's components (`f64` for `[[f64; 3]; 2]` or
    /// `DVector<f64>`), read from its tokens.
    pub fn jacobian_scalar(self, ty: &Type) -> Option<Type> {
        match ty {
            Type::Paren(p) => self.jacobian_scalar(&p.elem),
            Type::Group(g) => self.jacobian_scalar(&g.elem),
            _ if self.scalar(ty) => Some(ty.clone()),
            Type::Array(a) => self.jacobian_scalar(&a.elem),
            _ => match last_ident(ty) {
                Some(ident) if ident == "Vec" => {
                    single_type_argument(ty).and_then(|t| self.jacobian_scalar(t))
                }
                Some(ident) if nalgebra_matrix(&ident.to_string()) => {
                    first_type_argument(ty).filter(|t| self.scalar(t)).cloned()
                }
                _ => None,
            },
        }
    }
}

fn unsupported_param(ty: &Type, errors: &mut Errors) -> Option<Class> {
    let reason = match ty {
        Type::Ptr(_) => {
            errors.at(ty, "raw pointer parameters cannot be differentiated: #[differentiate] cannot follow what a pointer reads; take the value or a reference (`&f64`, `&[f64]`)");
            return None;
        }
        Type::TraitObject(_) | Type::ImplTrait(_) => {
            "trait objects and `impl Trait` hide the computation from #[differentiate]"
        }
        Type::Reference(r) if matches!(&*r.elem, Type::TraitObject(_) | Type::ImplTrait(_)) => {
            "trait objects and `impl Trait` hide the computation from #[differentiate]"
        }
        _ => "",
    };
    if !reason.is_empty() {
        errors.at(
            ty,
            format!("{reason}; take the float values as parameters instead"),
        );
        return None;
    }
    errors.at(
        ty,
        format!(
            "parameter type `{}` is not supported yet by #[differentiate]; supported: `f64`, `f32`, slices, arrays and `Vec`s of them, nalgebra vectors and matrices of them (`DMatrix<f64>`, `SVector<f32, 3>`, ...), by value or by reference, and integer, `bool`, `char` or string data (not differentiated)",
            quote::quote!(#ty)
        ),
    );
    None
}

/// A slice, array or `Vec` (or a reference to one) whose elements are tuples
/// (`&[(f64, f64)]`, `Vec<[(f64, f64); 2]>`).
fn of_tuples(ty: &Type) -> bool {
    fn element(ty: &Type) -> bool {
        match ty {
            Type::Paren(p) => element(&p.elem),
            Type::Tuple(t) => !t.elems.is_empty(),
            _ => of_tuples(ty),
        }
    }
    match ty {
        Type::Paren(p) => of_tuples(&p.elem),
        Type::Reference(r) => of_tuples(&r.elem),
        Type::Slice(s) => element(&s.elem),
        Type::Array(a) => element(&a.elem),
        _ => match last_ident(ty) {
            Some(ident) if ident == "Vec" => single_type_argument(ty).is_some_and(element),
            _ => false,
        },
    }
}

/// `Vec<Vec<T>>`: a vector of vectors, whose rows are read by reference.
pub fn vec_of_vecs(ty: &Type) -> bool {
    let is_vec = |t: &Type| last_ident(t).is_some_and(|i| i == "Vec");
    is_vec(ty) && single_type_argument(ty).is_some_and(is_vec)
}

fn last_ident(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| &s.ident),
        _ => None,
    }
}

const COPY_PRIMITIVES: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "bool",
    "char",
];

pub fn copy_primitive(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && COPY_PRIMITIVES.iter().any(|n| p.path.is_ident(n)))
}

/// Types that carry no derivative: integers, `bool`, `char`, strings, and slices, arrays,
/// tuples, `Option`s or `Vec`s of those.
pub fn inactive(ty: &Type) -> bool {
    match ty {
        Type::Slice(s) => inactive(&s.elem),
        Type::Tuple(t) => t.elems.iter().all(inactive),
        Type::Array(a) => inactive(&a.elem),
        Type::Reference(r) => r.mutability.is_none() && inactive(&r.elem),
        Type::Paren(p) => inactive(&p.elem),
        _ if copy_primitive(ty) => true,
        _ => match last_ident(ty) {
            Some(ident) if ident == "str" || ident == "String" => true,
            Some(ident) if ident == "Vec" || ident == "Option" => {
                single_type_argument(ty).is_some_and(inactive)
            }
            _ => false,
        },
    }
}

/// nalgebra's matrix and vector types and aliases: `DMatrix`, `DVector`, `RowDVector`,
/// `SMatrix`, `SVector`, `OMatrix`, `Matrix3`, `Vector3`, `Matrix2x3`, `RowVector4`, ...
pub fn nalgebra_matrix(name: &str) -> bool {
    const STEMS: &[&str] = &[
        "DMatrix",
        "DVector",
        "RowDVector",
        "SMatrix",
        "SVector",
        "RowSVector",
        "OMatrix",
        "OVector",
        "RowOVector",
        "Matrix",
        "Vector",
        "RowVector",
    ];
    STEMS.iter().any(|stem| {
        name.strip_prefix(stem).is_some_and(|rest| {
            rest.chars().all(|c| c.is_ascii_digit() || c == 'x')
                && !rest.starts_with('x')
                && (stem.starts_with(['D', 'S', 'O', 'R']) || !rest.is_empty())
        })
    })
}

/// The first generic type argument of a path type (`f64` in `DMatrix<f64>`).
fn first_type_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn single_type_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// What `f_jacobian` is for an output type, decided from its syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JacobianOutput {
    /// A scalar or a tuple: no `f_jacobian`.
    None,
    /// A `Vec` or an array of floats or of such values, or a nalgebra vector or matrix of
    /// floats.
    Vector,
    /// Another type (an alias, a struct): `f_jacobian` exists if the type implements the
    /// runtime's `JacobianOutput` (a bound, so that it is an error only where it is called).
    Bounded,
}
