//! One crate: its module tree, the edges between sibling modules, and the cycles among them.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::relative;
use super::scan::{scan, RawRef};

pub type ModPath = Vec<String>;

#[derive(Debug, Default)]
pub struct Module {
    children: BTreeSet<String>,
    /// Names brought in by its `use` declarations, each with its absolute path (`None`: from
    /// another crate).
    imports: BTreeMap<String, Option<ModPath>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    file: String,
    line: usize,
    text: String,
}

impl Site {
    fn describe(&self) -> String {
        format!("{}:{} {}", self.file, self.line, self.text)
    }
}

/// Edges among the children of one module: (from, to) → where.
type Edges = BTreeMap<(String, String), BTreeSet<Site>>;

pub struct CrateModel {
    label: String,
    pub modules: BTreeMap<ModPath, Module>,
    /// Every file read.
    pub files: BTreeSet<PathBuf>,
    /// Where the files of `#[cfg(test)] mod x;` modules are (`x.rs`, `x/`); not read.
    pub test_only: Vec<PathBuf>,
    /// For each parent module, the edges among its children.
    edges: BTreeMap<ModPath, Edges>,
    pub warnings: Vec<String>,
}

/// A cycle among the children of `parent`: `nodes[0] -> nodes[1] -> ... -> nodes[0]`, with
/// the sites of each step.
#[derive(Debug)]
pub struct Cycle {
    parent: ModPath,
    nodes: Vec<String>,
    steps: Vec<BTreeSet<Site>>,
}

impl CrateModel {
    pub fn load(label: &str, root: &Path) -> Result<CrateModel> {
        let base = root.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut model = CrateModel {
            label: label.to_string(),
            modules: BTreeMap::new(),
            files: BTreeSet::new(),
            test_only: Vec::new(),
            edges: BTreeMap::new(),
            warnings: Vec::new(),
        };
        let mut refs: Vec<(ModPath, String, RawRef)> = Vec::new();
        // (file, its module, whether `mod x;` in it looks for x in its own directory)
        let mut pending: VecDeque<(PathBuf, ModPath, bool)> =
            VecDeque::from([(root.to_path_buf(), Vec::new(), true)]);
        while let Some((file, module, mod_rs)) = pending.pop_front() {
            let text = fs::read_to_string(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            model.files.insert(file.clone());
            let shown = relative(&file, &base);
            let items = scan(&text);
            for warning in items.warnings {
                model.warnings.push(format!("{label}: {shown}: {warning}"));
            }
            model.modules.entry(module.clone()).or_default();
            let child_dir = |inline: &[String]| {
                let mut dir = if mod_rs {
                    file.parent().unwrap_or(Path::new("")).to_path_buf()
                } else {
                    file.with_extension("")
                };
                dir.extend(inline);
                dir
            };
            for inline in items.inline {
                let path = concat(&module, &inline);
                model.add_module(&path);
            }
            for (inline, name) in items.test_only {
                let dir = child_dir(&inline);
                model.test_only.push(dir.join(format!("{name}.rs")));
                model.test_only.push(dir.join(&name));
            }
            for (inline, name, line) in items.declared {
                let dir = child_dir(&inline);
                let flat = dir.join(format!("{name}.rs"));
                let nested = dir.join(&name).join("mod.rs");
                let path = concat(&concat(&module, &inline), std::slice::from_ref(&name));
                if flat.is_file() {
                    pending.push_back((flat, path.clone(), false));
                } else if nested.is_file() {
                    pending.push_back((nested, path.clone(), true));
                } else {
                    model.warnings.push(format!(
                        "{label}: {shown}:{line}: `mod {name};` has no file ({} or {})",
                        relative(&flat, &base),
                        relative(&nested, &base)
                    ));
                    continue;
                }
                model.add_module(&path);
            }
            for raw in items.refs {
                refs.push((concat(&module, &raw.inline), shown.clone(), raw));
            }
        }

        // Imports first (the edges follow them), then every path.
        for (module, _, raw) in &refs {
            if let (true, Some(name)) = (raw.is_use, &raw.binds) {
                if name != "_" {
                    let target = model.absolute(module, &raw.segments, true);
                    if let Some(entry) = model.modules.get_mut(module) {
                        entry.imports.insert(name.clone(), target);
                    }
                }
            }
        }
        for (module, file, raw) in &refs {
            let Some(target) = model.absolute(module, &raw.segments, raw.is_use) else {
                continue;
            };
            if let Some((parent, from, to)) = model.edge(module, target) {
                model
                    .edges
                    .entry(parent)
                    .or_default()
                    .entry((from, to))
                    .or_default()
                    .insert(Site {
                        file: file.clone(),
                        line: raw.line,
                        text: raw.text(),
                    });
            }
        }
        Ok(model)
    }

    fn add_module(&mut self, path: &[String]) {
        let (name, parent) = path.split_last().expect("a child module has a name");
        self.modules
            .entry(parent.to_vec())
            .or_default()
            .children
            .insert(name.clone());
        self.modules.entry(path.to_vec()).or_default();
    }

    /// The absolute path (from the crate root) that `segments`, written in `module`, names;
    /// `None` for another crate's path. `use` paths may also start with a child module's name
    /// or an imported name.
    fn absolute(&self, module: &[String], segments: &[String], is_use: bool) -> Option<ModPath> {
        let first = segments.first()?;
        let (mut path, rest) = match first.as_str() {
            "crate" => (Vec::new(), &segments[1..]),
            "self" => (module.to_vec(), &segments[1..]),
            "super" => {
                let mut path = module.to_vec();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    path.pop()?;
                    rest = &rest[1..];
                }
                (path, rest)
            }
            name if is_use => {
                let here = self.modules.get(module)?;
                if here.children.contains(name) {
                    (module.to_vec(), segments)
                } else {
                    let imported = here.imports.get(name)?.clone()?;
                    (imported, &segments[1..])
                }
            }
            _ => return None,
        };
        path.extend(rest.iter().cloned());
        Some(path)
    }

    /// The edge that using `target` from `from_module` makes: (parent, from child, to child).
    fn edge(
        &self,
        from_module: &[String],
        mut target: ModPath,
    ) -> Option<(ModPath, String, String)> {
        for _ in 0..16 {
            let depth = (0..=target.len())
                .rev()
                .find(|n| self.modules.contains_key(&target[..*n]))?;
            let (module, rest) = target.split_at(depth);
            if module.starts_with(from_module) {
                // Itself or a descendant.
                return None;
            }
            if from_module.starts_with(module) {
                // An ancestor: its own item adds no edge, one it imports is followed.
                let name = rest.first()?;
                let imported = self.modules.get(module)?.imports.get(name)?.clone()?;
                target = imported
                    .into_iter()
                    .chain(rest[1..].iter().cloned())
                    .collect();
                continue;
            }
            let common = from_module
                .iter()
                .zip(module)
                .take_while(|(a, b)| a == b)
                .count();
            return Some((
                from_module[..common].to_vec(),
                from_module[common].clone(),
                module[common].clone(),
            ));
        }
        None
    }

    /// One shortest cycle through each edge that is part of a cycle, without repeats.
    pub fn cycles(&self) -> Vec<Cycle> {
        let mut cycles = Vec::new();
        for (parent, edges) in &self.edges {
            let mut seen = BTreeSet::new();
            for (from, to) in edges.keys() {
                let Some(back) = shortest_path(edges, to, from) else {
                    continue;
                };
                let mut nodes = vec![from.clone()];
                nodes.extend(back);
                nodes.pop();
                // Start at the smallest name so that each cycle is listed once.
                let start = (0..nodes.len()).min_by_key(|k| &nodes[*k]).unwrap_or(0);
                nodes.rotate_left(start);
                if !seen.insert(nodes.clone()) {
                    continue;
                }
                let steps = (0..nodes.len())
                    .map(|k| {
                        let key = (nodes[k].clone(), nodes[(k + 1) % nodes.len()].clone());
                        edges[&key].clone()
                    })
                    .collect();
                cycles.push(Cycle {
                    parent: parent.clone(),
                    nodes,
                    steps,
                });
            }
        }
        cycles.sort_by(|a, b| {
            (&a.parent, a.nodes.len(), &a.nodes).cmp(&(&b.parent, b.nodes.len(), &b.nodes))
        });
        cycles
    }

    /// The report for `cycles`: the modules that depend on each other, then each cycle with
    /// one site per step.
    pub fn describe(&self, cycles: &[Cycle]) -> String {
        let mut out = String::new();
        let mut groups: BTreeMap<&ModPath, BTreeSet<&String>> = BTreeMap::new();
        for cycle in cycles {
            groups
                .entry(&cycle.parent)
                .or_default()
                .extend(&cycle.nodes);
        }
        for (parent, edges) in &self.edges {
            let Some(in_cycles) = groups.get(parent) else {
                continue;
            };
            for group in components(edges, in_cycles) {
                let _ = writeln!(
                    out,
                    "  {} modules depend on each other{}: {}",
                    group.len(),
                    under(parent),
                    group
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                for cycle in cycles
                    .iter()
                    .filter(|c| &c.parent == parent && group.contains(&c.nodes[0]))
                {
                    let _ = writeln!(out, "    {}", self.describe_cycle(cycle));
                }
            }
        }
        out
    }

    /// `label: a -> b -> a (a.rs:9 use crate::b::X; b.rs:18 crate::a::Y)`, with the parent
    /// named for nested modules.
    pub fn describe_cycle(&self, cycle: &Cycle) -> String {
        let mut path = cycle.nodes.clone();
        path.push(cycle.nodes[0].clone());
        let sites: Vec<String> = cycle
            .steps
            .iter()
            .map(|sites| {
                let first = sites.first().expect("an edge has a site").describe();
                match sites.len() {
                    1 => first,
                    n => format!("{first} [+{} more]", n - 1),
                }
            })
            .collect();
        let parent = if cycle.parent.is_empty() {
            String::new()
        } else {
            format!(", in {}", cycle.parent.join("::"))
        };
        format!(
            "{}{parent}: {} ({})",
            self.label,
            path.join(" -> "),
            sites.join("; ")
        )
    }
}

fn under(parent: &ModPath) -> String {
    if parent.is_empty() {
        String::new()
    } else {
        format!(" in {}", parent.join("::"))
    }
}

fn concat(a: &[String], b: &[String]) -> ModPath {
    a.iter().chain(b).cloned().collect()
}

/// The nodes of a shortest path `from` → `to` (both included) along `edges`.
fn shortest_path(edges: &Edges, from: &str, to: &str) -> Option<Vec<String>> {
    let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = BTreeSet::from([from]);
    while let Some(node) = queue.pop_front() {
        if node == to {
            let mut path = vec![to.to_string()];
            let mut at = to;
            while at != from {
                at = previous[at];
                path.push(at.to_string());
            }
            path.reverse();
            return Some(path);
        }
        for (a, b) in edges.keys() {
            if a == node && seen.insert(b.as_str()) {
                previous.insert(b, a);
                queue.push_back(b);
            }
        }
    }
    None
}

/// `nodes` split into strongly connected components of `edges`.
fn components<'a>(edges: &Edges, nodes: &BTreeSet<&'a String>) -> Vec<BTreeSet<&'a String>> {
    let mut left: BTreeSet<&String> = nodes.clone();
    let mut groups = Vec::new();
    while let Some(first) = left.pop_first() {
        let mut group = BTreeSet::from([first]);
        for other in left.clone() {
            if shortest_path(edges, first, other).is_some()
                && shortest_path(edges, other, first).is_some()
            {
                group.insert(other);
                left.remove(other);
            }
        }
        groups.push(group);
    }
    groups
}
