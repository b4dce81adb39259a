//! A small DER reader, enough to name a certificate's issuer (its common name and
//! organization) in a TLS check's detail.

/// One DER element: its tag, its content, and what follows it.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The issuer of a certificate, as its common name and organization say (`"Zscaler Root CA
/// (Zscaler Inc.)"`); printable characters only.
pub(super) fn issuer_name(cert: &[u8]) -> Option<String> {
    let (_, cert, _) = der(cert)?;
    let (_, tbs, _) = der(cert)?;
    let (tag, _, mut rest) = der(tbs)?;
    if tag == 0xa0 {
        rest = der(rest)?.2; // the version was first; skip the serial number too
    }
    let rest = der(rest)?.2; // the signature algorithm
    let (_, mut name, _) = der(rest)?;
    let (mut common, mut org) = (None, None);
    while let Some((_, set, next)) = der(name) {
        name = next;
        // The set's first attribute: its type (an OID) and its value (a string).
        let Some((oid, value)) = der(set).and_then(|(_, atv, _)| {
            let (_, oid, rest) = der(atv)?;
            Some((oid, der(rest)?.1))
        }) else {
            continue;
        };
        let text: String = String::from_utf8_lossy(value)
            .chars()
            .filter(|c| !c.is_control())
            .take(80)
            .collect();
        match oid {
            [0x55, 0x04, 0x03] => common = Some(text),
            [0x55, 0x04, 0x0a] => org = Some(text),
            _ => {}
        }
    }
    match (common, org) {
        (Some(c), Some(o)) if c != o => Some(format!("{c} ({o})")),
        (Some(c), _) => Some(c),
        (None, o) => o,
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_read_from_the_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Corp Inspection CA");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Corp");
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            issuer_name(cert.der()).as_deref(),
            Some("Corp Inspection CA (Corp)")
        );
        assert_eq!(issuer_name(b"\x30\x03\x02\x01"), None);
    }
}
