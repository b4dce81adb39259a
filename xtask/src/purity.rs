//! ccpulse-core must stay pure: no IO, no async runtime, no HTTP, no GUI.

use std::collections::{BTreeSet, HashMap, HashSet};

use anyhow::{bail, Context, Result};
use serde_json::Value;

const CORE: &str = "ccpulse-core";

/// The only crates ccpulse-core may depend on directly.
const ALLOWED_DIRECT: &[&str] = &["chrono", "chrono-tz", "serde", "serde_json"];

/// Crates that must not appear anywhere below ccpulse-core.
const FORBIDDEN_ANYWHERE: &[&str] = &["tokio", "reqwest", "hyper", "tauri", "mio", "async-std"];

/// Checks ccpulse-core's normal dependencies in full `cargo metadata` output.
pub fn check_core(metadata: &Value) -> Result<()> {
    let direct = direct_normal_deps(metadata, CORE)?;
    let disallowed: Vec<&str> = direct
        .iter()
        .map(String::as_str)
        .filter(|name| !ALLOWED_DIRECT.contains(name))
        .collect();
    if !disallowed.is_empty() {
        bail!(
            "{CORE} depends on {} (allowed: {})",
            disallowed.join(", "),
            ALLOWED_DIRECT.join(", ")
        );
    }
    println!(
        "{CORE} direct dependencies are all allowed: {}",
        joined(&direct)
    );

    let reachable = normal_dep_closure(metadata, CORE)?;
    let forbidden: Vec<&str> = reachable
        .iter()
        .map(String::as_str)
        .filter(|name| FORBIDDEN_ANYWHERE.contains(name))
        .collect();
    if !forbidden.is_empty() {
        bail!(
            "{CORE} pulls in {} through its dependencies",
            forbidden.join(", ")
        );
    }
    println!(
        "{CORE} dependency graph ({} crates) has none of: {}",
        reachable.len(),
        FORBIDDEN_ANYWHERE.join(", ")
    );
    Ok(())
}

/// Names of `package`'s normal (not dev, not build) dependencies, from its manifest.
fn direct_normal_deps(metadata: &Value, package: &str) -> Result<BTreeSet<String>> {
    let manifest = packages(metadata)?
        .iter()
        .find(|candidate| candidate["name"] == package)
        .with_context(|| format!("`cargo metadata` has no package {package}"))?;
    let names = manifest["dependencies"]
        .as_array()
        .with_context(|| format!("{package} has no dependency list in `cargo metadata`"))?
        .iter()
        .filter(|dependency| dependency["kind"].is_null())
        .filter_map(|dependency| dependency["name"].as_str())
        .map(str::to_owned)
        .collect();
    Ok(names)
}

/// Names of every crate reachable from `package` through normal dependencies
/// in the resolved graph (`package` itself excluded).
fn normal_dep_closure(metadata: &Value, package: &str) -> Result<BTreeSet<String>> {
    let names_by_id: HashMap<&str, &str> = packages(metadata)?
        .iter()
        .filter_map(|entry| Some((entry["id"].as_str()?, entry["name"].as_str()?)))
        .collect();
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .context("`cargo metadata` has no resolve graph (was --no-deps used?)")?
        .iter()
        .filter_map(|node| Some((node["id"].as_str()?, node)))
        .collect();
    let root = names_by_id
        .iter()
        .find(|(_, name)| **name == package)
        .map(|(id, _)| *id)
        .with_context(|| format!("`cargo metadata` has no package {package}"))?;

    let mut seen: HashSet<&str> = HashSet::from([root]);
    let mut pending = vec![root];
    while let Some(id) = pending.pop() {
        let node = nodes
            .get(id)
            .with_context(|| format!("resolve graph has no node for {id}"))?;
        for dependency in normal_deps_of(node) {
            if seen.insert(dependency) {
                pending.push(dependency);
            }
        }
    }
    seen.remove(root);
    Ok(seen
        .into_iter()
        .filter_map(|id| names_by_id.get(id))
        .map(|name| (*name).to_owned())
        .collect())
}

/// Package ids of a resolve node's dependencies that are normal on some target.
fn normal_deps_of(node: &Value) -> impl Iterator<Item = &str> {
    node["deps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|dependency| {
            dependency["dep_kinds"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind["kind"].is_null()))
        })
        .filter_map(|dependency| dependency["pkg"].as_str())
}

fn packages(metadata: &Value) -> Result<&Vec<Value>> {
    metadata["packages"]
        .as_array()
        .context("`cargo metadata` output has no packages")
}

fn joined(names: &BTreeSet<String>) -> String {
    names
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// core -> serde (normal) -> mio (normal); core -> tokio (dev only).
    fn metadata(core_direct: &[&str]) -> Value {
        let dependencies: Vec<Value> = core_direct
            .iter()
            .map(|name| json!({ "name": name, "kind": null }))
            .chain([json!({ "name": "tokio", "kind": "dev" })])
            .collect();
        json!({
            "packages": [
                { "id": "core", "name": CORE, "dependencies": dependencies },
                { "id": "serde", "name": "serde", "dependencies": [] },
                { "id": "mio", "name": "mio", "dependencies": [] },
                { "id": "tokio", "name": "tokio", "dependencies": [] },
            ],
            "resolve": { "nodes": [
                { "id": "core", "deps": [
                    { "pkg": "serde", "dep_kinds": [{ "kind": null }] },
                    { "pkg": "tokio", "dep_kinds": [{ "kind": "dev" }] },
                ] },
                { "id": "serde", "deps": [{ "pkg": "mio", "dep_kinds": [{ "kind": null }] }] },
                { "id": "mio", "deps": [] },
                { "id": "tokio", "deps": [] },
            ] }
        })
    }

    #[test]
    fn dev_dependencies_are_not_direct_normal_deps() {
        let direct = direct_normal_deps(&metadata(&["serde"]), CORE).unwrap();
        assert_eq!(direct.into_iter().collect::<Vec<_>>(), ["serde"]);
    }

    #[test]
    fn closure_follows_normal_edges_only() {
        let reachable = normal_dep_closure(&metadata(&["serde"]), CORE).unwrap();
        assert_eq!(reachable.into_iter().collect::<Vec<_>>(), ["mio", "serde"]);
    }

    #[test]
    fn disallowed_direct_dependency_is_named() {
        let error = check_core(&metadata(&["serde", "dirs"])).unwrap_err();
        assert!(error.to_string().contains("dirs"), "{error}");
    }

    #[test]
    fn forbidden_transitive_dependency_is_named() {
        let error = check_core(&metadata(&["serde"])).unwrap_err();
        assert!(error.to_string().contains("mio"), "{error}");
    }
}
