//! `#[derive(Differentiable)]`: a struct of differentiable fields is differentiable, and
//! its gradient is a value of the same struct holding each field's gradient.
//!
//! Emits `Differentiable` (gradient type `Self`, zeros shaped like a value), `Accumulate`
//! (field by field) and `Parameters` (what an optimiser needs: `p.add_scaled(-lr, &g)`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Index, Member};

pub fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let fields = match &input.data {
        Data::Struct(s) => &s.fields,
        Data::Enum(e) => {
            return syn::Error::new(e.enum_token.span, "#[derive(Differentiable)] applies to structs: an enum's variants have no common gradient; use a struct of floats, arrays, `Vec`s or nalgebra matrices").to_compile_error();
        }
        Data::Union(u) => {
            return syn::Error::new(
                u.union_token.span,
                "#[derive(Differentiable)] applies to structs, not unions",
            )
            .to_compile_error();
        }
    };
    // Integers and booleans are `Differentiable` (gradient `()`, for the tuples of generated
    // code), but a struct's gradient is the struct, whose integer field would then hold a
    // "gradient": such a field is data that belongs outside the struct.
    let data: Vec<syn::Error> = fields
        .iter()
        .filter(|f| crate::parse::inactive(&f.ty))
        .map(|f| {
            syn::Error::new_spanned(
                &f.ty,
                format!(
                    "a field of type `{}` cannot be differentiated: a struct deriving `Differentiable` is its own gradient, so every field holds floats (a float, an array, a `Vec` or a nalgebra matrix of them); pass data such as counts and flags as separate parameters",
                    f.ty.to_token_stream().to_string().replace(' ', "")
                ),
            )
        })
        .collect();
    if !data.is_empty() {
        return data.iter().map(syn::Error::to_compile_error).collect();
    }
    let members: Vec<Member> = match fields {
        Fields::Named(named) => named
            .named
            .iter()
            .filter_map(|f| f.ident.clone().map(Member::Named))
            .collect(),
        Fields::Unnamed(unnamed) => (0..unnamed.unnamed.len())
            .map(|i| Member::Unnamed(Index::from(i)))
            .collect(),
        Fields::Unit => Vec::new(),
    };
    let types: Vec<&syn::Type> = fields.iter().map(|f| &f.ty).collect();
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let predicates = where_clause.map(|w| &w.predicates);
    let tapeless = quote!(::tapeless);

    // Each field's gradient must be a value of the field's own type, so that the
    // gradient of the struct is the struct; the bound is spanned at the field's type.
    let differentiable_bounds = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> #ty: #tapeless::Differentiable<Grad = #ty>));
    let accumulate_bounds = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> #ty: #tapeless::Accumulate));
    // Generic parameters are not hygienic: these two are named unlike any identifier of
    // the struct, so they cannot shadow or clash with one of its own.
    let mut taken = std::collections::HashSet::new();
    crate::emit::collect_idents(input.to_token_stream(), &mut taken);
    let scalar = crate::emit::unused_ident("Scalar", &mut taken);
    let visit = crate::emit::unused_ident("F", &mut taken);
    let parameters_bounds = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> #ty: #tapeless::Parameters<#scalar>));
    let mut parameters_generics = input.generics.clone();
    parameters_generics
        .params
        .push(syn::parse_quote!(#scalar: #tapeless::Real));
    let (parameters_impl_generics, _, _) = parameters_generics.split_for_impl();
    let tangent_dot_bounds = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> #ty: #tapeless::__private::TangentDot<#scalar>));

    let build = |method: TokenStream| {
        let values = members
            .iter()
            .map(|m| quote!(#m: #tapeless::Differentiable::#method(&self.#m)));
        quote!(#name { #(#values),* })
    };
    let zeros = build(quote!(zeros_like));
    let zero_adjoint = build(quote!(zero_adjoint));
    quote! {
        impl #impl_generics #tapeless::Differentiable for #name #ty_generics
        where #(#differentiable_bounds,)* #predicates
        {
            type Grad = Self;
            fn zeros_like(&self) -> Self {
                #zeros
            }
            fn zero_adjoint(&self) -> Self {
                #zero_adjoint
            }
        }

        impl #impl_generics #tapeless::Accumulate for #name #ty_generics
        where #(#accumulate_bounds,)* #predicates
        {
            fn accumulate(&mut self, other: &Self) {
                #(#tapeless::Accumulate::accumulate(&mut self.#members, &other.#members);)*
            }
            fn subtract(&mut self, other: &Self) {
                #(#tapeless::Accumulate::subtract(&mut self.#members, &other.#members);)*
            }
            fn set_zero(&mut self) {
                #(#tapeless::Accumulate::set_zero(&mut self.#members);)*
            }
        }

        impl #parameters_impl_generics #tapeless::Parameters<#scalar> for #name #ty_generics
        where #(#parameters_bounds,)* #predicates
        {
            fn add_scaled(&mut self, alpha: #scalar, other: &Self) {
                #(#tapeless::Parameters::add_scaled(&mut self.#members, alpha, &other.#members);)*
            }
            fn zip_scalars<#visit: FnMut(&mut #scalar, #scalar)>(&mut self, other: &Self, f: &mut #visit) {
                #(#tapeless::Parameters::zip_scalars(&mut self.#members, &other.#members, f);)*
            }
            fn map_scalars<#visit: FnMut(&mut #scalar)>(&mut self, f: &mut #visit) {
                #(#tapeless::Parameters::map_scalars(&mut self.#members, f);)*
            }
            fn for_each_scalar<#visit: FnMut(#scalar)>(&self, f: &mut #visit) {
                #(#tapeless::Parameters::for_each_scalar(&self.#members, f);)*
            }
        }

        // ⟨g, t⟩ for `f_jvp` through the gradient, also of fields of several float types.
        impl #parameters_impl_generics #tapeless::__private::TangentDot<#scalar> for #name #ty_generics
        where #(#tangent_dot_bounds,)* #predicates
        {
            fn tangent_dot(&self, other: &Self) -> #scalar {
                let sum = <#scalar as #tapeless::Real>::constant(0.0);
                #(let sum = sum + #tapeless::__private::TangentDot::<#scalar>::tangent_dot(&self.#members, &other.#members);)*
                sum
            }
        }
    }
}
