//! Golden tests of the generated code: each `tests/expand/NAME.rs` holds functions (or
//! `impl` blocks) marked `#[differentiate]`; their expansion, pretty-printed, must equal `NAME.expanded.rs`.
//! The expansions are reviewed like code: they are what `cargo expand` shows a user.
//! Run with `TAPELESS_BLESS=1` to rewrite the expected files after an intended change.

use std::path::Path;

use quote::ToTokens;

fn expand_file(source: &str) -> String {
    let file: syn::File = syn::parse_str(source).expect("golden input parses");
    let mut items = Vec::new();
    for item in file.items {
        match item {
            syn::Item::Fn(mut function) => {
                let Some(index) = function
                    .attrs
                    .iter()
                    .position(|a| a.path().is_ident("differentiate"))
                else {
                    items.push(syn::Item::Fn(function));
                    continue;
                };
                let attr = function.attrs.remove(index);
                let args = match attr.meta {
                    syn::Meta::List(list) => list.tokens,
                    _ => proc_macro2::TokenStream::new(),
                };
                let expanded = crate::expand::expand(args, function.to_token_stream());
                let expanded: syn::File =
                    syn::parse2(expanded).expect("the expansion is valid Rust syntax");
                items.extend(expanded.items);
            }
            syn::Item::Impl(mut block) => {
                let Some(index) = block
                    .attrs
                    .iter()
                    .position(|a| a.path().is_ident("differentiate"))
                else {
                    items.push(syn::Item::Impl(block));
                    continue;
                };
                block.attrs.remove(index);
                let expanded =
                    crate::expand::expand(proc_macro2::TokenStream::new(), block.to_token_stream());
                let expanded: syn::File =
                    syn::parse2(expanded).expect("the expansion is valid Rust syntax");
                items.extend(expanded.items);
            }
            other => items.push(other),
        }
    }
    prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items,
    })
}

#[test]
fn expansions_match_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let bless = std::env::var_os("TAPELESS_BLESS").is_some();
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/expand exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "rs")
                && !p.to_string_lossy().ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no golden inputs in {}", dir.display());
    let mut failures = Vec::new();
    for input in inputs {
        let source = std::fs::read_to_string(&input).unwrap();
        let actual = expand_file(&source);
        let expected_path = input.with_extension("expanded.rs");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{} differs from {}; actual expansion:\n{actual}",
                input.display(),
                expected_path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
