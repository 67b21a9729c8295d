//! The import graph as a one-way street: every module of `src/` belongs to a layer,
//! and a module may use (`crate::...`) only its own layer and the layers below it.
//! The order is written once, here (the README's table of layers is checked against
//! it); a new module must be given its place. Every line of a file counts except
//! its unit tests (`mod tests { ... }`, or a `tests.rs` file), which may look anywhere.

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

/// `text` without its `mod tests { ... }` blocks: the braces are matched, leaving
/// out those inside strings, characters and comments.
fn without_tests(text: &str) -> String {
    let mut kept = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("mod tests {") {
        kept.push_str(&rest[..start]);
        let block = &rest[start..];
        let Some(end) = block_end(block) else {
            return kept;
        };
        rest = &block[end..];
    }
    kept.push_str(rest);
    kept
}

/// Where the block that opens at the first `{` of `code` ends (past its `}`).
fn block_end(code: &str) -> Option<usize> {
    let bytes = code.as_bytes();
    let mut depth = 0usize;
    let mut i = code.find('{')?;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += code[i..].find('\n').unwrap_or(code.len() - i);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += code[i..].find("*/").map_or(code.len() - i, |n| n + 1);
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#'))
                && !bytes[i.saturating_sub(1)].is_ascii_alphanumeric() =>
            {
                let hashes = code[i + 1..].bytes().take_while(|b| *b == b'#').count();
                let close = format!("\"{}", "#".repeat(hashes));
                let open = i + 2 + hashes;
                i = open + code[open..].find(&close)? + close.len() - 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b'\'' if bytes.get(i + 1) == Some(&b'\\') => {
                i += code[i + 2..].find('\'').map_or(0, |n| n + 2);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The modules `text` names as `crate::NAME`, outside its unit tests.
fn used_modules(text: &str) -> BTreeSet<String> {
    let code = without_tests(text);
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

/// The modules `text`, a file of `module`, uses from a layer above it.
fn upward(module: &str, text: &str) -> Vec<String> {
    let from = layer_of(module).expect("a placed module");
    used_modules(text)
        .into_iter()
        .filter(|used| layer_of(used).is_some_and(|to| to < from))
        .collect()
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut pointing_up = Vec::new();
    let mut unplaced = BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file);
        if layer_of(&module).is_none() {
            unplaced.insert(module);
            continue;
        }
        // A `tests.rs` is the body of a `#[cfg(test)] mod tests;`.
        if file.file_name().is_some_and(|name| name == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read file");
        unplaced.extend(
            used_modules(&text)
                .into_iter()
                .filter(|m| layer_of(m).is_none()),
        );
        for used in upward(&module, &text) {
            pointing_up.push(format!(
                "{} ({module}) uses crate::{used}, a layer above it",
                file.strip_prefix(&src).unwrap_or(file).display()
            ));
        }
    }
    assert!(
        unplaced.is_empty(),
        "give these modules a layer in LAYERS: {unplaced:?}"
    );
    assert!(
        pointing_up.is_empty(),
        "imports that point up:\n{}",
        pointing_up.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import_anywhere_but_in_unit_tests() {
    // Planted below a test module's declaration, between two test blocks, after a
    // `#[cfg(test)]` item, and in a test block full of braces in strings and chars.
    let file = r##"
use crate::report::Reply;
#[cfg(test)]
mod tests;
fn f() { crate::commands::run(); }
#[cfg(test)]
fn helper() -> char { '{' }
#[cfg(test)]
mod tests {
    use crate::main;
    const S: &str = "}}} { \" }";
    const R: &str = r#"}"#;
    fn g() -> char { '}' }
    // }
    mod inner { use crate::cli; }
}
use crate::engine::Engine;
"##;
    let used = used_modules(file);
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        ["commands", "engine", "report"]
    );
    // In an engine file, the planted `crate::commands` points up and fails the check.
    assert_eq!(upward("engine", file), ["commands"]);
    assert!(upward("main", file).is_empty());
    assert_eq!(layer_of("nowhere"), None);
}

/// The README's table of layers: the modules of each row, in order.
fn readme_layers() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("read README.md");
    let table = readme
        .split("| layer | modules | what they hold |")
        .nth(1)
        .expect("the README has a table of layers");
    table
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|row| {
            let modules = row.split('|').nth(2).unwrap_or("");
            modules
                .split('`')
                .skip(1)
                .step_by(2)
                .map(|m| m.trim_end_matches('/').trim_end_matches(".rs").to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_readme_table_of_layers_is_this_one() {
    let layers: Vec<Vec<String>> = LAYERS
        .iter()
        .map(|layer| layer.iter().map(|m| m.to_string()).collect())
        .collect();
    assert_eq!(readme_layers(), layers);
}

#[test]
fn no_file_cites_a_document_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    // Spelled in pieces, so that this file does not cite them itself.
    let outside = [
        concat!("SP", "EC §"),
        concat!("SP", "EC section"),
        concat!("SP", "EC.md"),
        concat!("/work/", "shared"),
    ];
    let mut cited = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read file");
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o)) {
                cited.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        cited.is_empty(),
        "cite the README, schemas/ or docs/ instead:\n{}",
        cited.join("\n")
    );
}
