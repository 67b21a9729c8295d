//! The import graph as a one-way street: every module of `src/` belongs to a layer,
//! and a module may use (`crate::...`) only its own layer and the layers below it.
//! The order is written once, here; a new module must be given its place.
//! Test modules (`#[cfg(test)]`, at the end of a file) may look anywhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, top to bottom.
const LAYERS: &[&[&str]] = &[
    &["main"],
    &["commands"],
    &["cli", "outcome"],
    &["config"],
    &["providers"],
    &["engine"],
    &["input", "output", "sandbox", "metrics"],
    &["report"],
    &["registry", "error", "secret", "json", "files"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`engine` for
/// `src/engine/journal/read.rs`, `main` for `src/main.rs`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

/// The modules `text` names as `crate::NAME`, outside its test module.
fn used_modules(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut used = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let name: String = code[i + "crate::".len()..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        if !name.is_empty() {
            used.insert(name);
        }
    }
    used
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    let mut unplaced = BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file);
        let Some(from) = layer_of(&module) else {
            unplaced.insert(module);
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read file");
        for used in used_modules(&text) {
            match layer_of(&used) {
                Some(to) if to < from => upward.push(format!(
                    "{} ({module}) uses crate::{used}, a layer above it",
                    file.strip_prefix(&src).unwrap_or(file).display()
                )),
                Some(_) => {}
                None => {
                    unplaced.insert(used);
                }
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "give these modules a layer in LAYERS: {unplaced:?}"
    );
    assert!(
        upward.is_empty(),
        "imports that point up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    let used = used_modules(
        "use crate::engine::Engine;\nfn f() { crate::commands::run(); }\n#[cfg(test)]\nuse crate::main;",
    );
    assert_eq!(used.into_iter().collect::<Vec<_>>(), ["commands", "engine"]);
    assert!(layer_of("commands") < layer_of("engine"));
    assert_eq!(layer_of("nowhere"), None);
}
