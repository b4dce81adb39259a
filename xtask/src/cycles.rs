//! No import cycles between sibling modules of any crate in the workspace.
//!
//! Each crate's module tree is read from its files (`mod x;` → `x.rs` or `x/mod.rs`, inline
//! `mod x { }` blocks too), starting at the crate root (`lib.rs`, `main.rs`, `bin/*.rs`). A
//! token scanner (comments and string literals are skipped) collects every path that starts
//! with `crate::`, `super::` or `self::`, in `use` trees (grouped ones flattened) and inline in
//! code, plus `use` paths that start with a child module's name. Items under `#[cfg(test)]`
//! are skipped.
//!
//! A path from module `crate::c::d` to `crate::a::b::x` is an edge `c -> a` among the crate's
//! top-level modules; from `crate::a::p` to `crate::a::q::x` an edge `p -> q` among `a`'s
//! children. A module using its ancestors' own items, or its own descendants, adds no edge;
//! when it names an item that an ancestor only imports (`pub use q::Thing` in `a`, then
//! `super::Thing` in `a::p`), the import is followed to where it points.

mod model;
mod scan;
#[cfg(test)]
mod tests;
mod tokens;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use model::CrateModel;

/// Files longer than this are listed as a warning.
const LONG_FILE_LINES: usize = 600;

/// Checks every lib and bin target of the workspace members in `cargo metadata --no-deps`
/// output; fails when any crate has a cycle.
pub fn check_workspace(metadata: &Value) -> Result<()> {
    let workspace_root = PathBuf::from(
        metadata["workspace_root"]
            .as_str()
            .context("`cargo metadata` output has no workspace_root")?,
    );
    let roots = crate_roots(metadata)?;
    let mut cycles = 0;
    let mut reached = BTreeSet::new();
    let mut test_only: Vec<PathBuf> = Vec::new();
    let mut source_dirs = BTreeSet::new();
    for root in &roots {
        let model = CrateModel::load(&root.label, &root.file)?;
        for warning in &model.warnings {
            println!("warning: {warning}");
        }
        let found = model.cycles();
        println!(
            "{}: {}, {}, {}",
            root.label,
            count(model.modules.len(), "module"),
            count(model.files.len(), "file"),
            match found.len() {
                0 => "no cycle".to_string(),
                n => count(n, "cycle"),
            }
        );
        print!("{}", model.describe(&found));
        cycles += found.len();
        reached.extend(model.files.iter().cloned());
        test_only.extend(model.test_only.iter().cloned());
        if let Some(dir) = root.file.parent() {
            source_dirs.insert(source_dir(dir));
        }
    }

    let files = rust_files(&source_dirs)?;
    let orphans: Vec<&PathBuf> = files
        .iter()
        .filter(|(file, _)| {
            !reached.contains(*file) && !test_only.iter().any(|skipped| file.starts_with(skipped))
        })
        .map(|(file, _)| file)
        .collect();
    if !orphans.is_empty() {
        println!("\nwarning: not in any module tree (no `mod` declares them), not checked:");
        for file in orphans {
            println!("  {}", relative(file, &workspace_root));
        }
    }
    let mut long: Vec<(&PathBuf, usize)> = files
        .iter()
        .filter(|(_, lines)| **lines > LONG_FILE_LINES)
        .map(|(file, lines)| (file, *lines))
        .collect();
    long.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    if long.is_empty() {
        println!("\nno file is over {LONG_FILE_LINES} lines");
    } else {
        println!("\nwarning: files over {LONG_FILE_LINES} lines:");
        for (file, lines) in long {
            println!("  {lines:>5} {}", relative(file, &workspace_root));
        }
    }

    if cycles > 0 {
        bail!(
            "{} between sibling modules (listed above)",
            count(cycles, "import cycle")
        );
    }
    println!("no import cycle between sibling modules in any crate");
    Ok(())
}

/// A crate to check: its root file and how to name it in reports.
struct CrateRoot {
    label: String,
    file: PathBuf,
}

/// Lib and bin targets of the packages in `cargo metadata` (with `--no-deps`, the workspace
/// members). A package's lib, or its only target, is named after the package; other bins as
/// `package (bin name)`.
fn crate_roots(metadata: &Value) -> Result<Vec<CrateRoot>> {
    const CRATE_KINDS: &[&str] = &[
        "lib",
        "rlib",
        "dylib",
        "cdylib",
        "staticlib",
        "proc-macro",
        "bin",
    ];
    let packages = metadata["packages"]
        .as_array()
        .context("`cargo metadata` output has no packages")?;
    let mut roots = Vec::new();
    for package in packages {
        let name = package["name"].as_str().unwrap_or("?");
        let targets: Vec<&Value> = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|target| {
                target["kind"].as_array().is_some_and(|kinds| {
                    kinds
                        .iter()
                        .any(|kind| kind.as_str().is_some_and(|k| CRATE_KINDS.contains(&k)))
                })
            })
            .collect();
        for target in &targets {
            let file = target["src_path"]
                .as_str()
                .with_context(|| format!("a target of {name} has no src_path"))?;
            let is_bin = target["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"));
            let label = if targets.len() == 1 || !is_bin {
                name.to_string()
            } else {
                format!("{name} (bin {})", target["name"].as_str().unwrap_or("?"))
            };
            roots.push(CrateRoot {
                label,
                file: PathBuf::from(file),
            });
        }
    }
    roots.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(roots)
}

/// The `src` directory above a root file (`src/bin/x/main.rs` → `src`), else its own directory.
fn source_dir(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.file_name().is_some_and(|n| n == "src"))
        .unwrap_or(dir)
        .to_path_buf()
}

/// Every `.rs` file under `dirs`, with its line count.
fn rust_files(dirs: &BTreeSet<PathBuf>) -> Result<BTreeMap<PathBuf, usize>> {
    let mut files = BTreeMap::new();
    let mut pending: Vec<PathBuf> = dirs.iter().cloned().collect();
    while let Some(dir) = pending.pop() {
        let entries =
            fs::read_dir(&dir).with_context(|| format!("could not list {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path)
                    .with_context(|| format!("could not read {}", path.display()))?;
                files.insert(path, text.lines().count());
            }
        }
    }
    Ok(files)
}

/// `1 file`, `2 files`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}
