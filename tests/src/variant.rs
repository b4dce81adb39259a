//! Reading D-Bus values: the [`Variant`] helpers that the tray item client ([`crate::sni`]) and
//! the notification reader ([`crate::desktop`]) share. Each unwraps nested variants first and
//! fails with the value's signature when it holds another type.

use anyhow::{bail, Result};
use zbus::Variant;

/// Unwraps variants holding variants.
pub(crate) fn unwrap_variant<'a, 'b>(value: &'b Variant<'a>) -> &'b Variant<'a> {
    match value {
        Variant::Variant(inner) => unwrap_variant(inner),
        other => other,
    }
}

pub(crate) fn as_string(value: &Variant<'_>) -> Result<String> {
    match unwrap_variant(value) {
        Variant::Str(s) => Ok(s.to_string()),
        Variant::ObjectPath(p) => Ok(p.as_str().to_string()),
        Variant::Signature(s) => Ok(s.to_string()),
        other => bail!(
            "expected a string, got {}: {other}",
            other.value_signature()
        ),
    }
}

pub(crate) fn as_i32(value: &Variant<'_>) -> Result<i32> {
    match unwrap_variant(value) {
        Variant::I32(n) => Ok(*n),
        other => bail!(
            "expected an int32, got {}: {other}",
            other.value_signature()
        ),
    }
}

pub(crate) fn as_bool(value: &Variant<'_>) -> Result<bool> {
    match unwrap_variant(value) {
        Variant::Bool(b) => Ok(*b),
        other => bail!(
            "expected a boolean, got {}: {other}",
            other.value_signature()
        ),
    }
}

pub(crate) fn structure_fields<'b, 'a>(value: &'b Variant<'a>) -> Result<&'b [Variant<'a>]> {
    match unwrap_variant(value) {
        Variant::Structure(s) => Ok(s.fields()),
        other => bail!(
            "expected a structure, got {}: {other}",
            other.value_signature()
        ),
    }
}

pub(crate) fn array_elements<'b, 'a>(value: &'b Variant<'a>) -> Result<&'b [Variant<'a>]> {
    match unwrap_variant(value) {
        Variant::Array(a) => Ok(a.inner()),
        other => bail!(
            "expected an array, got {}: {other}",
            other.value_signature()
        ),
    }
}
