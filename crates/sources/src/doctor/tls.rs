//! Certificates as Node sees them: the `NODE_EXTRA_CA_CERTS` and `NODE_TLS_REJECT_UNAUTHORIZED`
//! checks, and the TLS handshake with a host, verified as Node verifies it (the Mozilla roots
//! plus the extra CA file), naming the issuer of a certificate that is refused.

use crate::env;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::rustls;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::x509::issuer_name;
use super::{named, plural, secs, Check, Input, Target, Verdict, CERTIFICATE, CONNECT};

/// The check of `NODE_EXTRA_CA_CERTS`, and the certificates it adds (none when unset or bad).
pub(super) fn extra_ca(input: &Input) -> (Check, Vec<CertificateDer<'static>>) {
    let c = named("extra-ca", env::NODE_EXTRA_CA_CERTS);
    let Some(path) = input.extra_ca_path() else {
        let check = c.pass("not set: Node trusts its built-in (Mozilla) roots");
        return (check, Vec::new());
    };
    let fail = |detail: String| (c.fail(detail, CERTIFICATE), Vec::new());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return fail(format!("{}: no such file", path.display()))
        }
        Err(e) => return fail(format!("{}: cannot read it ({e})", path.display())),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    let (usable, unusable) = RootCertStore::empty().add_parsable_certificates(certs.clone());
    if usable == 0 {
        let what = if certs.is_empty() {
            "holds no PEM certificate"
        } else {
            "holds no certificate usable as a CA"
        };
        return fail(format!(
            "{} {what}: Node ignores it, so a TLS-inspecting proxy is not trusted",
            path.display()
        ));
    }
    let skipped = if unusable > 0 {
        format!(" ({unusable} more could not be used)")
    } else {
        String::new()
    };
    let check = c.pass(format!(
        "{}: {usable} CA certificate{} trusted besides the built-in roots{skipped}",
        path.display(),
        plural(usable)
    ));
    (check, certs)
}

pub(super) fn tls_reject(input: &Input) -> Check {
    let c = named("tls-verification", env::NODE_TLS_REJECT_UNAUTHORIZED);
    match input.var(env::NODE_TLS_REJECT_UNAUTHORIZED) {
        Some(v) if v.trim() == "0" => c.fail(
            "0: certificate checks are OFF, so anyone on the path can read and change the \
             traffic, your login included; unset it",
            CERTIFICATE,
        ),
        _ => c.pass("certificates are checked"),
    }
}

/// What Node trusts: the Mozilla roots, and those plus `NODE_EXTRA_CA_CERTS`.
#[derive(Clone)]
pub(super) struct Trust {
    mozilla: Arc<RootCertStore>,
    with_extra: Option<(Arc<RootCertStore>, PathBuf)>,
    /// The certificates of `NODE_EXTRA_CA_CERTS`.
    extra: Arc<[CertificateDer<'static>]>,
    provider: Arc<CryptoProvider>,
}

impl Trust {
    pub(super) fn new(extra: &[CertificateDer<'static>], extra_path: Option<PathBuf>) -> Trust {
        let mozilla = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let with_extra = extra_path.filter(|_| !extra.is_empty()).map(|path| {
            let mut store = mozilla.clone();
            store.add_parsable_certificates(extra.iter().cloned());
            (Arc::new(store), path)
        });
        Trust {
            mozilla: Arc::new(mozilla),
            with_extra,
            extra: extra.into(),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }

    /// A verifier that trusts what Node would, and remembers what it saw.
    fn verifier(&self) -> Result<Verifier, String> {
        let build = |roots: &Arc<RootCertStore>| {
            WebPkiServerVerifier::builder_with_provider(roots.clone(), self.provider.clone())
                .build()
                .map_err(|e| format!("cannot set up TLS: {e}"))
        };
        let extra = self.with_extra.as_ref().map(|(roots, _)| build(roots));
        Ok(Verifier {
            mozilla: build(&self.mozilla)?,
            extra: extra.transpose()?,
            pinned: self.extra.clone(),
            seen: Mutex::new(None),
        })
    }
}

/// What the verifier saw of the server's certificate.
#[derive(Debug, Clone)]
struct Seen {
    issuer: Option<String>,
    /// The verdict with the Mozilla roots alone.
    mozilla: Result<(), rustls::Error>,
    /// With `NODE_EXTRA_CA_CERTS` too (when the Mozilla roots were not enough and it is set).
    extra: Option<Result<(), rustls::Error>>,
}

/// Verifies as Node does (Mozilla roots plus `NODE_EXTRA_CA_CERTS`) and remembers what it saw.
#[derive(Debug)]
struct Verifier {
    mozilla: Arc<WebPkiServerVerifier>,
    extra: Option<Arc<WebPkiServerVerifier>>,
    pinned: Arc<[CertificateDer<'static>]>,
    seen: Mutex<Option<Seen>>,
}

impl Verifier {
    /// Whether the server's certificate is itself one of `NODE_EXTRA_CA_CERTS`, valid for the
    /// name. A self-made certificate is often marked as a CA (as `openssl req -x509` makes
    /// it): webpki refuses that as a server's own, OpenSSL, and so Node, accepts it.
    fn pinned(&self, end_entity: &CertificateDer<'_>, name: &ServerName<'_>) -> bool {
        self.pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
            && rustls::server::ParsedCertificate::try_from(end_entity)
                .and_then(|parsed| rustls::client::verify_server_name(&parsed, name))
                .is_ok()
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verify = |v: &WebPkiServerVerifier| {
            v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .map(|_| ())
        };
        let mozilla = verify(&self.mozilla);
        let extra = match (&mozilla, &self.extra) {
            (Err(_), Some(v)) => Some(verify(v).or_else(|e| {
                let pinned = self.pinned(end_entity, server_name);
                if pinned {
                    Ok(())
                } else {
                    Err(e)
                }
            })),
            _ => None,
        };
        let result = match (&mozilla, &extra) {
            (Ok(()), _) | (_, Some(Ok(()))) => Ok(ServerCertVerified::assertion()),
            (Err(e), None) | (_, Some(Err(e))) => Err(e.clone()),
        };
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(Seen {
                issuer: issuer_name(end_entity),
                mozilla,
                extra,
            });
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.mozilla.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.mozilla.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.mozilla.supported_verify_schemes()
    }
}

/// The TLS handshake with `target`'s name, verified as Node verifies: `Pass`, or a problem
/// with its detail and advice.
pub(super) async fn tls(
    stream: TcpStream,
    target: &Target,
    trust: &Trust,
    timeout: Duration,
) -> (Verdict, String, Option<&'static str>) {
    let problem = |detail: String, advice| (Verdict::Fail, detail, Some(advice));
    let verifier = match trust.verifier() {
        Ok(v) => Arc::new(v),
        Err(e) => return problem(e, CONNECT),
    };
    let config = rustls::ClientConfig::builder_with_provider(trust.provider.clone())
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth()
        });
    let config = match config {
        Ok(c) => c,
        Err(e) => return problem(format!("cannot set up TLS: {e}"), CONNECT),
    };
    let Ok(server_name) = ServerName::try_from(target.host.clone()) else {
        return problem(
            format!("{} is not a valid host name for TLS", target.host),
            CONNECT,
        );
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = tokio::time::timeout(timeout, connector.connect(server_name, stream)).await;
    let seen = verifier.seen.lock().ok().and_then(|s| s.clone());
    let by = |seen: &Seen| {
        seen.issuer
            .as_deref()
            .map(|i| format!(" issued by \"{i}\""))
            .unwrap_or_default()
    };
    let extra_path = trust
        .with_extra
        .as_ref()
        .map(|(_, p)| p.display().to_string());
    match (handshake, seen) {
        (Ok(Ok(_)), Some(seen)) if seen.mozilla.is_err() => (
            Verdict::Pass,
            format!(
                "certificate{} trusted only through NODE_EXTRA_CA_CERTS ({}): a proxy or \
                 firewall intercepts this traffic with a CA from that file",
                by(&seen),
                extra_path.unwrap_or_default()
            ),
            None,
        ),
        (Ok(Ok(_)), seen) => (
            Verdict::Pass,
            format!(
                "certificate{} trusted by Node's built-in roots",
                seen.as_ref().map(by).unwrap_or_default()
            ),
            None,
        ),
        (_, Some(seen)) => {
            let error = seen.extra.clone().unwrap_or(seen.mozilla.clone());
            let why = match error {
                Err(rustls::Error::InvalidCertificate(e)) => {
                    certificate_problem(&e, target, extra_path.is_some())
                }
                Err(e) => format!("rejected ({e})"),
                Ok(()) => {
                    let detail = "the TLS handshake did not complete after the certificate was \
                                  accepted";
                    return problem(detail.into(), CONNECT);
                }
            };
            problem(
                format!(
                    "certificate{} {why}: likely TLS interception by a proxy, firewall or \
                     antivirus",
                    by(&seen)
                ),
                CERTIFICATE,
            )
        }
        (Ok(Err(e)), None) => problem(format!("the TLS handshake failed ({e})"), CONNECT),
        (Err(_), None) => problem(
            format!("no TLS handshake within {}", secs(timeout)),
            CONNECT,
        ),
    }
}

/// Why a certificate was refused, in words.
fn certificate_problem(e: &CertificateError, target: &Target, extra: bool) -> String {
    match e {
        CertificateError::UnknownIssuer if extra => {
            "not trusted by Node's built-in roots or NODE_EXTRA_CA_CERTS".into()
        }
        CertificateError::UnknownIssuer => "not trusted by Node's built-in roots".into(),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("not valid for {}", target.host)
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "expired (or the system clock is wrong)".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "not valid yet (or the system clock is wrong)".into()
        }
        CertificateError::Other(e) => format!("rejected ({e})"),
        e => format!("rejected ({e:?})"),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::testing::{input, write};

    #[test]
    fn tls_checks_off_fails_loudly() {
        let dir = tempfile::tempdir().unwrap();
        let off = tls_reject(&input(dir.path(), &[("NODE_TLS_REJECT_UNAUTHORIZED", "0")]));
        assert_eq!(off.verdict, Verdict::Fail);
        assert_eq!(off.advice, Some("ssl-certificate"));
        let on = tls_reject(&input(dir.path(), &[("NODE_TLS_REJECT_UNAUTHORIZED", "1")]));
        assert_eq!(on.verdict, Verdict::Pass);
    }

    #[test]
    fn extra_ca_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("project/ca.pem");
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        write(&pem, &params.self_signed(&key).unwrap().pem());
        // Relative to the current dir, as Node takes it.
        let (c, certs) = extra_ca(&input(dir.path(), &[("NODE_EXTRA_CA_CERTS", "ca.pem")]));
        assert_eq!(c.verdict, Verdict::Pass, "{c:?}");
        assert_eq!(certs.len(), 1);
        assert!(
            c.detail.contains("1 CA certificate trusted"),
            "{}",
            c.detail
        );

        let junk = dir.path().join("junk.pem");
        write(&junk, &key.serialize_pem());
        for path in [junk.to_str().unwrap(), "/nonexistent/ca.pem"] {
            let (c, certs) = extra_ca(&input(dir.path(), &[("NODE_EXTRA_CA_CERTS", path)]));
            assert_eq!(c.verdict, Verdict::Fail, "{c:?}");
            assert_eq!(c.advice, Some("ssl-certificate"));
            assert!(certs.is_empty());
        }
    }
}
