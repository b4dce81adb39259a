//! What one source file says: the modules it declares and the paths it uses.

use super::tokens::{tokenize, Tok, Token};

#[derive(Debug, Default)]
pub struct FileItems {
    /// `mod name;` declarations: names of the inline modules around it, then its name.
    pub declared: Vec<(Vec<String>, String, usize)>,
    /// `#[cfg(test)] mod name;` declarations, same layout (their files are not read).
    pub test_only: Vec<(Vec<String>, String)>,
    /// Inline `mod name { }` modules, as names under the file's module.
    pub inline: Vec<Vec<String>>,
    /// Paths used, each in the (inline) module where it appears.
    pub refs: Vec<RawRef>,
    /// `#[path]` and the like, which the scanner does not follow.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RawRef {
    /// Inline modules around the path, under the file's module.
    pub inline: Vec<String>,
    pub segments: Vec<String>,
    /// For a `use` leaf: the name it binds (`None` for a glob); for a path in code, `None`.
    pub binds: Option<String>,
    pub is_use: bool,
    pub line: usize,
}

impl RawRef {
    /// The path as a report shows it: `use crate::a::B`, `crate::a::f`.
    pub fn text(&self) -> String {
        let path = self.segments.join("::");
        match (self.is_use, &self.binds) {
            (false, _) => path,
            (true, None) => format!("use {path}::*"),
            (true, Some(name)) if Some(name) != self.segments.last() => {
                format!("use {path} as {name}")
            }
            (true, Some(_)) => format!("use {path}"),
        }
    }
}

/// The modules declared in `text` and the paths it uses, outside `#[cfg(test)]` items.
pub fn scan(text: &str) -> FileItems {
    scan_tokens(&tokenize(text))
}

fn ident(tokens: &[Token], i: usize) -> Option<&str> {
    match tokens.get(i).map(|t| &t.tok) {
        Some(Tok::Ident(name)) => Some(name),
        _ => None,
    }
}

fn is_punct(tokens: &[Token], i: usize, c: char) -> bool {
    tokens.get(i).is_some_and(|t| t.tok == Tok::Punct(c))
}

fn is_path_sep(tokens: &[Token], i: usize) -> bool {
    tokens.get(i).is_some_and(|t| t.tok == Tok::PathSep)
}

/// Index of the token that closes the bracket opened at `open`.
fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        match token.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// Index just past the item (or statement, or block) starting at `start`: past its `;` or its
/// `{ }` body, or at the bracket that closes the enclosing group.
fn item_end(tokens: &[Token], start: usize) -> usize {
    let mut k = start;
    while k < tokens.len() {
        match tokens[k].tok {
            Tok::Punct('(' | '[') => k = matching(tokens, k) + 1,
            Tok::Punct('{') => return matching(tokens, k) + 1,
            Tok::Punct(')' | ']' | '}') => return k,
            Tok::Punct(';') => return k + 1,
            _ => k += 1,
        }
    }
    tokens.len()
}

/// Index of the bracket that closes the group `start` is in.
fn group_end(tokens: &[Token], start: usize) -> usize {
    let mut k = start;
    while k < tokens.len() {
        match tokens[k].tok {
            Tok::Punct('(' | '[' | '{') => k = matching(tokens, k) + 1,
            Tok::Punct(')' | ']' | '}') => return k,
            _ => k += 1,
        }
    }
    tokens.len()
}

/// True for `cfg(test)` and `cfg(all(test, ..))`: a `cfg` that needs `test` (no `not`, no
/// `any`).
fn is_cfg_test(attribute: &[Token]) -> bool {
    let idents: Vec<&str> = (0..attribute.len())
        .filter_map(|k| ident(attribute, k))
        .collect();
    idents.first() == Some(&"cfg")
        && idents.contains(&"test")
        && !idents.contains(&"not")
        && !idents.contains(&"any")
}

fn scan_tokens(tokens: &[Token]) -> FileItems {
    let mut items = FileItems::default();
    // Inline modules we are in, with the brace depth inside each.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut path_attribute = false;
    let mut i = 0;
    let names = |inline: &[(String, usize)]| -> Vec<String> {
        inline.iter().map(|(name, _)| name.clone()).collect()
    };
    while i < tokens.len() {
        let line = tokens[i].line;
        match &tokens[i].tok {
            Tok::Punct('#') => {
                let inner = is_punct(tokens, i + 1, '!');
                let open = if inner { i + 2 } else { i + 1 };
                if !is_punct(tokens, open, '[') {
                    i += 1;
                    continue;
                }
                let close = matching(tokens, open);
                let attribute = &tokens[open + 1..close.min(tokens.len())];
                i = close + 1;
                if ident(attribute, 0) == Some("path") {
                    path_attribute = true;
                }
                if is_cfg_test(attribute) {
                    if inner {
                        // `#![cfg(test)]`: the whole file, or the rest of this inline module.
                        if inline.is_empty() {
                            return FileItems::default();
                        }
                        i = group_end(tokens, i);
                        continue;
                    }
                    // Skip further attributes, then the item.
                    while is_punct(tokens, i, '#') && is_punct(tokens, i + 1, '[') {
                        i = matching(tokens, i + 1) + 1;
                    }
                    if let Some(name) = mod_name(tokens, i) {
                        if is_punct(tokens, mod_keyword(tokens, i) + 2, ';') {
                            items.test_only.push((names(&inline), name.to_string()));
                        }
                    }
                    i = item_end(tokens, i);
                }
            }
            Tok::Ident(word) if word == "mod" => {
                let Some(name) = ident(tokens, i + 1) else {
                    i += 1;
                    continue;
                };
                if is_punct(tokens, i + 2, ';') {
                    if path_attribute {
                        items.warnings.push(format!(
                            "line {line}: `mod {name};` has a #[path] attribute, not followed"
                        ));
                    } else {
                        items
                            .declared
                            .push((names(&inline), name.to_string(), line));
                    }
                    path_attribute = false;
                    i += 3;
                } else if is_punct(tokens, i + 2, '{') {
                    depth += 1;
                    inline.push((name.to_string(), depth));
                    items.inline.push(names(&inline));
                    i += 3;
                } else {
                    i += 1;
                }
            }
            Tok::Ident(word) if word == "use" => {
                let mut leaves = Vec::new();
                let mut k = i + 1;
                if is_path_sep(tokens, k) {
                    // `use ::name`: always another crate.
                    i = item_end(tokens, k);
                    continue;
                }
                k = use_tree(tokens, k, Vec::new(), &mut leaves);
                for (segments, binds, line) in leaves {
                    items.refs.push(RawRef {
                        inline: names(&inline),
                        segments,
                        binds,
                        is_use: true,
                        line,
                    });
                }
                i = if is_punct(tokens, k, ';') { k + 1 } else { k };
            }
            // `pub(in crate::a)` names a module but uses nothing from it.
            Tok::Ident(word)
                if word == "pub"
                    && is_punct(tokens, i + 1, '(')
                    && ident(tokens, i + 2) == Some("in") =>
            {
                i = matching(tokens, i + 1) + 1;
            }
            Tok::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && is_path_sep(tokens, i + 1)
                    && !(i > 0 && is_path_sep(tokens, i - 1)) =>
            {
                let mut segments = vec![word.clone()];
                let mut k = i + 1;
                while is_path_sep(tokens, k) {
                    match ident(tokens, k + 1) {
                        Some(name) => segments.push(name.to_string()),
                        None => break,
                    }
                    k += 2;
                }
                items.refs.push(RawRef {
                    inline: names(&inline),
                    segments,
                    binds: None,
                    is_use: false,
                    line,
                });
                i = k;
            }
            Tok::Punct('{') => {
                depth += 1;
                i += 1;
            }
            Tok::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Tok::Punct(';') => {
                path_attribute = false;
                i += 1;
            }
            _ => i += 1,
        }
    }
    items
}

/// The name in `[pub[(..)]] mod name` starting at `i`, if that is what is there.
fn mod_name(tokens: &[Token], i: usize) -> Option<&str> {
    let k = mod_keyword(tokens, i);
    (ident(tokens, k) == Some("mod"))
        .then(|| ident(tokens, k + 1))
        .flatten()
}

/// Index of `mod` after an optional visibility at `i`.
fn mod_keyword(tokens: &[Token], i: usize) -> usize {
    if ident(tokens, i) != Some("pub") {
        return i;
    }
    if is_punct(tokens, i + 1, '(') {
        matching(tokens, i + 1) + 1
    } else {
        i + 1
    }
}

/// Parses a use tree at `i` under `prefix`; pushes each leaf as (full path, bound name or
/// `None` for a glob, line) and returns the index after the tree.
fn use_tree(
    tokens: &[Token],
    mut i: usize,
    prefix: Vec<String>,
    leaves: &mut Vec<(Vec<String>, Option<String>, usize)>,
) -> usize {
    let mut segments = prefix;
    loop {
        match tokens.get(i).map(|t| &t.tok) {
            Some(Tok::Ident(name)) => {
                let line = tokens[i].line;
                let name = name.clone();
                i += 1;
                if is_path_sep(tokens, i) {
                    segments.push(name);
                    i += 1;
                    continue;
                }
                let mut binds = if name == "self" {
                    segments.last().cloned()
                } else {
                    segments.push(name.clone());
                    Some(name)
                };
                if ident(tokens, i) == Some("as") {
                    binds = ident(tokens, i + 1).map(str::to_string);
                    i += 2;
                }
                if !segments.is_empty() {
                    leaves.push((segments, binds, line));
                }
                return i;
            }
            Some(Tok::Punct('*')) => {
                leaves.push((segments, None, tokens[i].line));
                return i + 1;
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                loop {
                    if is_punct(tokens, i, '}') {
                        return i + 1;
                    }
                    if i >= tokens.len() || is_punct(tokens, i, ';') {
                        return i;
                    }
                    let next = use_tree(tokens, i, segments.clone(), leaves);
                    i = if next == i { i + 1 } else { next };
                    if is_punct(tokens, i, ',') {
                        i += 1;
                    }
                }
            }
            _ => return i,
        }
    }
}
