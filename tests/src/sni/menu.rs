//! The tray item's menu (`com.canonical.dbusmenu`): [`MenuEntry`], flattened from a `GetLayout`
//! reply, and the label helpers [`describe_menu`] and [`strip_mnemonic`].

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use zbus::Variant;

use crate::variant::{
    array_elements, as_bool, as_i32, as_string, structure_fields, unwrap_variant,
};

/// What kind of dbusmenu entry a [`MenuEntry`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuEntryKind {
    /// A clickable entry (`type` "standard" or absent).
    Standard,
    /// A separator (`type` "separator").
    Separator,
    /// An entry that opens a submenu (`children-display` "submenu").
    Submenu,
}

/// One entry of a tray item's menu, flattened from `GetLayout`.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuEntry {
    /// The dbusmenu id, for [`Item::click`](super::Item::click). Not stable across menu
    /// rebuilds.
    pub id: i32,
    /// The id of the parent entry (0: the root, i.e. a top-level entry).
    pub parent: i32,
    /// 0 for top-level entries, 1 in a submenu, ...
    pub depth: usize,
    /// The label with mnemonics removed (`_Quit` → `Quit`, `a__b` → `a_b`).
    pub label: String,
    /// The label as sent.
    pub raw_label: String,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `visible` (default true).
    pub visible: bool,
    /// Standard, separator or submenu.
    pub kind: MenuEntryKind,
    /// For check and radio entries (`toggle-type`), whether they're on (`toggle-state` 1).
    pub checked: Option<bool>,
}

/// One line per entry, indented by depth, for messages.
pub fn describe_menu(menu: &[MenuEntry]) -> String {
    menu.iter()
        .map(|e| {
            let mut flags = Vec::new();
            if !e.enabled {
                flags.push("disabled");
            }
            if !e.visible {
                flags.push("hidden");
            }
            match e.checked {
                Some(true) => flags.push("checked"),
                Some(false) => flags.push("unchecked"),
                None => {}
            }
            let label = match e.kind {
                MenuEntryKind::Separator => "----".to_string(),
                MenuEntryKind::Submenu => format!("{:?} >", e.label),
                MenuEntryKind::Standard => format!("{:?}", e.label),
            };
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(" ({})", flags.join(", "))
            };
            format!("{}[{}] {label}{flags}", "  ".repeat(e.depth), e.id)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Removes GTK mnemonic markers: a single `_` goes, `__` becomes `_`.
pub fn strip_mnemonic(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' {
            if chars.peek() == Some(&'_') {
                chars.next();
                out.push('_');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Appends the children of layout node `node` (`(ia{sv}av)`) to `out`, depth first.
pub(super) fn flatten_layout(
    node: &Variant<'_>,
    depth: usize,
    is_entry: bool,
    out: &mut Vec<MenuEntry>,
) -> Result<()> {
    let fields = structure_fields(node)?;
    let [id, properties, children] = fields else {
        bail!("a layout node is (ia{{sv}}av), got {node}");
    };
    let id = as_i32(id)?;
    let properties = menu_properties(properties)?;
    if is_entry {
        let string = |key: &str| properties.get(key).map(|v| as_string(v)).transpose();
        let boolean = |key: &str| properties.get(key).map(|v| as_bool(v)).transpose();
        let raw_label = string("label")?.unwrap_or_default();
        let kind = if string("type")?.as_deref() == Some("separator") {
            MenuEntryKind::Separator
        } else if string("children-display")?.as_deref() == Some("submenu") {
            MenuEntryKind::Submenu
        } else {
            MenuEntryKind::Standard
        };
        let checked = match string("toggle-type")?.as_deref() {
            Some("checkmark") | Some("radio") => Some(
                properties
                    .get("toggle-state")
                    .map(|v| as_i32(v))
                    .transpose()?
                    .unwrap_or(0)
                    == 1,
            ),
            _ => None,
        };
        out.push(MenuEntry {
            id,
            parent: 0, // set by the caller
            depth: depth - 1,
            label: strip_mnemonic(&raw_label),
            raw_label,
            enabled: boolean("enabled")?.unwrap_or(true),
            visible: boolean("visible")?.unwrap_or(true),
            kind,
            checked,
        });
    }
    for child in array_elements(children)? {
        let first = out.len();
        flatten_layout(child, depth + 1, true, out)
            .with_context(|| format!("in the children of menu entry {id}"))?;
        out[first].parent = id;
    }
    Ok(())
}

fn menu_properties<'b, 'a>(value: &'b Variant<'a>) -> Result<HashMap<String, &'b Variant<'a>>> {
    match unwrap_variant(value) {
        Variant::Dict(dict) => dict
            .iter()
            .map(|(k, v)| Ok((as_string(k)?, v)))
            .collect::<Result<HashMap<_, _>>>(),
        other => bail!("expected a{{sv}}, got {}: {other}", other.value_signature()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_mnemonics() {
        assert_eq!(strip_mnemonic("_Quit"), "Quit");
        assert_eq!(strip_mnemonic("Open _Settings…"), "Open Settings…");
        assert_eq!(strip_mnemonic("snake__case"), "snake_case");
        assert_eq!(strip_mnemonic("plain"), "plain");
    }
}
