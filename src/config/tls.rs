//! TLS material for an https endpoint: the CA bundle, the client certificate and its key.
//!
//! Reads: `--tls-ca` / `OTEL_EXPORTER_OTLP_{METRICS_,}CERTIFICATE`, `--tls-cert` /
//! `…_CLIENT_CERTIFICATE`, `--tls-key` / `…_CLIENT_KEY` (flag > metrics variable > generic
//! variable, each on its own) and `--tls-insecure-skip-verify`; the PEM files they name, once
//! at start (rotation = restart).
//! Emits: `TlsOptions` (CA certificates as DER, the client certificate and key as ureq takes
//! them) for the exporter, warnings (verification off, a
//! world-readable key, CA entries rustls cannot use), or a `ConfigError` naming the source
//! and the path (exit 2, exporter spec §1.1, §2.5).
//! Input: `-----BEGIN CERTIFICATE-----` blocks; keys as `PRIVATE KEY` (PKCS#8),
//! `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1), unencrypted.
//!
//! Why parse ourselves: rustls skips CA entries it cannot parse without a word, so a file of
//! garbage would silently trust nothing; and ureq 3 `expect()`s rustls' client-auth builder,
//! so a key rustls rejects would panic on the first https connection. Both are caught here by
//! running the same parsers and building the same `ClientConfig` ureq will build.

use super::endpoint::Endpoint;
use super::{ConfigError, Env};
use crate::cli::Cli;
use std::path::PathBuf;

/// TLS settings of the OTLP exporter; all empty for an http endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Trust anchors replacing the bundled Mozilla roots.
    pub ca: Option<CaBundle>,
    /// Certificate and key presented when the server asks (mTLS).
    pub client: Option<ClientIdentity>,
    /// `--tls-insecure-skip-verify`: accept any server certificate.
    pub insecure_skip_verify: bool,
}

/// The certificates of a CA file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaBundle {
    pub path: PathBuf,
    /// DER of each `CERTIFICATE` block.
    pub certs: Vec<Vec<u8>>,
}

/// A client certificate chain (leaf first) with its private key.
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    /// The chain and key as ureq takes them, built from the bytes rustls accepted at start.
    /// (ureq's key type cannot be built from DER by us: its `KeyKind` is not exported.)
    /// `Debug` shows no key bytes.
    #[cfg(feature = "tls")]
    pub cert: ureq::tls::ClientCert,
}

impl PartialEq for ClientIdentity {
    fn eq(&self, other: &Self) -> bool {
        #[cfg(feature = "tls")]
        let same_material = {
            let (a, b) = (&self.cert, &other.cert);
            a.certs()
                .iter()
                .map(|c| c.der())
                .eq(b.certs().iter().map(|c| c.der()))
                && a.private_key().kind() == b.private_key().kind()
                && a.private_key().der() == b.private_key().der()
        };
        #[cfg(not(feature = "tls"))]
        let same_material = true;
        self.cert_path == other.cert_path && self.key_path == other.key_path && same_material
    }
}

impl Eq for ClientIdentity {}

impl TlsOptions {
    /// ` tls-ca=… tls-client=…,… tls-insecure-skip-verify` for the start line.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        if let Some(ca) = &self.ca {
            text.push_str(&format!(" tls-ca={}", ca.path.display()));
        }
        if let Some(client) = &self.client {
            text.push_str(&format!(
                " tls-client={},{}",
                client.cert_path.display(),
                client.key_path.display()
            ));
        }
        if self.insecure_skip_verify {
            text.push_str(" tls-insecure-skip-verify");
        }
        text
    }
}

/// Where a path came from: a flag or a variable.
struct Named {
    source: &'static str,
    path: String,
}

/// The flag if given, else the first set variable of `names`.
fn pick(flag: (&'static str, &Option<String>), env: &Env, names: &[&'static str]) -> Option<Named> {
    match flag.1 {
        Some(path) => Some(Named {
            source: flag.0,
            path: path.clone(),
        }),
        None => env.first(names).map(|(source, path)| Named {
            source,
            path: path.trim().to_string(),
        }),
    }
}

fn missing(given: Named, problem: &str) -> ConfigError {
    ConfigError::File {
        source: given.source.to_string(),
        path: given.path,
        problem: problem.to_string(),
    }
}

/// The TLS settings for `endpoint`: loaded and checked for https, refused (flags) or ignored
/// with a warning (variables) for http.
pub(super) fn options(
    cli: &Cli,
    env: &Env,
    endpoint: &Endpoint,
    warnings: &mut Vec<String>,
) -> Result<TlsOptions, ConfigError> {
    let ca = pick(
        ("--tls-ca", &cli.tls_ca),
        env,
        &[
            "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        ],
    );
    let cert = pick(
        ("--tls-cert", &cli.tls_cert),
        env,
        &[
            "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        ],
    );
    let key = pick(
        ("--tls-key", &cli.tls_key),
        env,
        &[
            "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY",
            "OTEL_EXPORTER_OTLP_CLIENT_KEY",
        ],
    );
    let insecure = cli.tls_insecure_skip_verify;

    if !endpoint.https {
        // A TLS flag on an http endpoint means the user expects encryption they would not
        // get: refuse. The variables may be meant for another signal's https endpoint.
        let flags = [
            ("--tls-insecure-skip-verify", insecure),
            ("--tls-ca", cli.tls_ca.is_some()),
            ("--tls-cert", cli.tls_cert.is_some()),
            ("--tls-key", cli.tls_key.is_some()),
        ];
        if let Some((flag, _)) = flags.iter().find(|(_, given)| *given) {
            return Err(ConfigError::Conflict(flag, "an http:// endpoint"));
        }
        for named in [&ca, &cert, &key].into_iter().flatten() {
            warnings.push(format!(
                "ignoring {}: the endpoint {} is not https",
                named.source, endpoint.url
            ));
        }
        return Ok(TlsOptions::default());
    }

    if insecure && cli.tls_ca.is_some() {
        return Err(ConfigError::Conflict(
            "--tls-insecure-skip-verify",
            "--tls-ca",
        ));
    }
    let client = match (cert, key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(load::client(&cert, &key, warnings)?),
        (Some(cert), None) => {
            return Err(missing(
                cert,
                "a client certificate needs its key: give --tls-key or OTEL_EXPORTER_OTLP_CLIENT_KEY too",
            ));
        }
        (None, Some(key)) => {
            return Err(missing(
                key,
                "a client key needs its certificate: give --tls-cert or OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE too",
            ));
        }
    };
    let ca = match ca {
        Some(named) => Some(load::ca(&named, warnings)?),
        None => None,
    };
    if insecure {
        warnings.push(format!(
            "--tls-insecure-skip-verify: the certificate of {} is not verified; anyone on the network path can read and change what is sent",
            endpoint.url
        ));
    }
    Ok(TlsOptions {
        ca,
        client,
        insecure_skip_verify: insecure,
    })
}

/// Largest PEM file read: a bundle of every public root CA is ~200 KiB.
#[cfg(feature = "tls")]
const MAX_PEM_BYTES: u64 = 1 << 20;

#[cfg(feature = "tls")]
mod load {
    use super::{CaBundle, ClientIdentity, MAX_PEM_BYTES, Named};
    use crate::config::ConfigError;
    use rustls::crypto::ring;
    use rustls::{ClientConfig, RootCertStore};
    use rustls_pki_types::pem::{self, PemObject};
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn error(named: &Named, problem: impl Into<String>) -> ConfigError {
        ConfigError::File {
            source: named.source.to_string(),
            path: named.path.clone(),
            problem: problem.into(),
        }
    }

    /// The whole file, a regular one of at most [`MAX_PEM_BYTES`]: `/dev/zero` would grow
    /// without end, a FIFO block start-up for good; a directory fails too (EISDIR).
    fn read(named: &Named) -> Result<Vec<u8>, ConfigError> {
        use std::io::Read;
        let cannot = |e: std::io::Error| error(named, format!("cannot read it: {e}"));
        let file = crate::source::open_file(std::path::Path::new(&named.path)).map_err(cannot)?;
        let mut bytes = Vec::new();
        file.take(MAX_PEM_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
        if bytes.len() as u64 > MAX_PEM_BYTES {
            return Err(error(
                named,
                "larger than 1 MiB: not a PEM file of certificates or a key",
            ));
        }
        Ok(bytes)
    }

    /// PEM damage in words; the crate's `Display` prints byte lists.
    fn pem_problem(e: &pem::Error) -> String {
        let what = match e {
            pem::Error::MissingSectionEnd { .. } => "a PEM block has no -----END line".into(),
            pem::Error::IllegalSectionStart { .. } => "a malformed -----BEGIN line".into(),
            pem::Error::Base64Decode(_) => "a PEM block is not valid base64".into(),
            other => other.to_string(),
        };
        format!("not a usable PEM file: {what}")
    }

    fn certificates(
        named: &Named,
        bytes: &[u8],
    ) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
        let certs = CertificateDer::pem_slice_iter(bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| error(named, pem_problem(&e)))?;
        if certs.is_empty() {
            return Err(error(
                named,
                "no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)",
            ));
        }
        Ok(certs)
    }

    /// The CA file: at least one certificate rustls accepts as a trust anchor.
    pub(super) fn ca(named: &Named, warnings: &mut Vec<String>) -> Result<CaBundle, ConfigError> {
        let certs = certificates(named, &read(named)?)?;
        // The same call ureq makes: entries it ignores would be ignored silently at runtime.
        let (added, ignored) =
            RootCertStore::empty().add_parsable_certificates(certs.iter().cloned());
        if added == 0 {
            return Err(error(
                named,
                format!(
                    "none of its {} certificates is usable as a CA (rustls cannot parse them)",
                    certs.len()
                ),
            ));
        }
        if ignored > 0 {
            warnings.push(format!(
                "{} \"{}\": {ignored} of {} certificates cannot be parsed and are ignored",
                named.source,
                named.path,
                certs.len()
            ));
        }
        Ok(CaBundle {
            path: PathBuf::from(&named.path),
            certs: certs.into_iter().map(|c| c.to_vec()).collect(),
        })
    }

    /// The client certificate and key, proven usable by building ureq's `ClientConfig`.
    pub(super) fn client(
        cert: &Named,
        key: &Named,
        warnings: &mut Vec<String>,
    ) -> Result<ClientIdentity, ConfigError> {
        let chain = certificates(cert, &read(cert)?)?;
        let key_bytes = read(key)?;
        // rustls-pki-types skips `ENCRYPTED PRIVATE KEY` blocks and fails on the headers of
        // OpenSSL's legacy encrypted PKCS#1: say what is wrong instead.
        let text = String::from_utf8_lossy(&key_bytes);
        if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(error(
                key,
                "the key is encrypted; give an unencrypted PEM key (openssl pkey -in KEY -out PLAIN)",
            ));
        }
        let der = match PrivateKeyDer::from_pem_slice(&key_bytes) {
            Ok(der) => der,
            Err(pem::Error::NoItemsFound) => {
                return Err(error(
                    key,
                    "no private key in it (expected PEM: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)",
                ));
            }
            Err(e) => return Err(error(key, pem_problem(&e))),
        };
        // The builder ureq uses (ring, all protocol versions); roots play no part in
        // client auth. rustls parses the key and checks it matches the leaf certificate.
        ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(|e| error(key, format!("rustls cannot be set up: {e}")))?
            .with_root_certificates(RootCertStore::empty())
            .with_client_auth_cert(chain.clone(), der.clone_key())
            .map_err(|e| {
                error(
                    key,
                    format!(
                        "rustls rejects this key with certificate \"{}\": {e}",
                        cert.path
                    ),
                )
            })?;
        match std::fs::metadata(&key.path) {
            Ok(meta) if meta.permissions().mode() & 0o004 != 0 => warnings.push(format!(
                "{} \"{}\": the private key is readable by every user (chmod 600 it)",
                key.source, key.path
            )),
            _ => {}
        }
        // ureq's own parser on the same bytes: the key it will hand to rustls must be the
        // one rustls just accepted.
        let ureq_key = ureq::tls::PrivateKey::from_pem(&key_bytes)
            .ok()
            .filter(|k| k.der() == der.secret_der())
            .ok_or_else(|| error(key, "ureq reads a different key from this file than rustls"))?;
        let ureq_chain: Vec<ureq::tls::Certificate<'static>> = chain
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c).to_owned())
            .collect();
        Ok(ClientIdentity {
            cert_path: PathBuf::from(&cert.path),
            key_path: PathBuf::from(&key.path),
            cert: ureq::tls::ClientCert::new_with_certs(&ureq_chain, ureq_key),
        })
    }
}

/// Without the `tls` feature an https endpoint is refused before TLS files are looked at.
#[cfg(not(feature = "tls"))]
mod load {
    use super::{CaBundle, ClientIdentity, MAX_PEM_BYTES, Named};
    use crate::config::ConfigError;

    fn no_tls(named: &Named) -> ConfigError {
        ConfigError::File {
            source: named.source.to_string(),
            path: named.path.clone(),
            problem: "this build has no TLS support (cargo feature tls)".into(),
        }
    }

    pub(super) fn ca(named: &Named, _: &mut Vec<String>) -> Result<CaBundle, ConfigError> {
        Err(no_tls(named))
    }

    pub(super) fn client(
        cert: &Named,
        _: &Named,
        _: &mut Vec<String>,
    ) -> Result<ClientIdentity, ConfigError> {
        Err(no_tls(cert))
    }
}

#[cfg(test)]
#[cfg(feature = "tls")]
mod tests {
    use super::super::{Config, ConfigError};
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory for one test.
    fn scratch() -> PathBuf {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("sysotlp-unit-tls-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `name` in `dir` holding `text`, mode 0600; its path as a string.
    fn file(dir: &Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// A CA certificate, and a leaf it signed with the leaf's PKCS#8 key (all PEM).
    fn pki() -> (String, String, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["client".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        (ca_cert.pem(), leaf.pem(), leaf_key.serialize_pem())
    }

    fn config(args: &[&str], vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let argv: Vec<String> = ["sysotlp", "--endpoint", "https://collector:4318"]
            .iter()
            .chain(args)
            .map(|s| s.to_string())
            .collect();
        let cli = crate::cli::parse(&argv).expect("flags parse");
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_cli(cli, &|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn error(args: &[&str], vars: &[(&str, &str)]) -> String {
        config(args, vars).unwrap_err().to_string()
    }

    const JUNK_BLOCK: &str =
        "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";

    #[test]
    fn a_ca_file_replaces_the_roots_with_all_its_certificates() {
        let dir = scratch();
        let (ca, leaf, _) = pki();
        let path = file(&dir, "ca.pem", &format!("comment line\n{ca}\n{leaf}"));
        let c = config(&["--tls-ca", &path], &[]).unwrap();
        let bundle = c.otlp.tls.ca.as_ref().unwrap();
        assert_eq!(bundle.certs.len(), 2);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert!(c.describe().contains(&format!(" tls-ca={path}")));
    }

    #[test]
    fn unusable_ca_files_name_source_and_path() {
        let dir = scratch();
        let (ca, _, key) = pki();
        let empty = file(&dir, "empty.pem", "");
        let key_only = file(&dir, "key.pem", &key);
        let unended = file(&dir, "unended.pem", &ca[..ca.len() - 30]);
        let bad_base64 = file(
            &dir,
            "b64.pem",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        );
        let junk = file(&dir, "junk.pem", JUNK_BLOCK);
        let missing = dir.join("missing.pem");
        let missing = missing.to_str().unwrap();
        let directory = dir.to_str().unwrap();
        // Issue 10: a FIFO would block start-up, /dev/zero grow without end, a huge file
        // cost its size in memory.
        let fifo = dir.join("fifo.pem");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let fifo = fifo.to_str().unwrap();
        let huge = file(&dir, "huge.pem", &format!("{ca}\n{}", "#".repeat(1 << 20)));
        for (path, problem) in [
            (fifo, "cannot read it: not a regular file"),
            ("/dev/zero", "cannot read it: not a regular file"),
            (huge.as_str(), "larger than 1 MiB"),
            (directory, "cannot read it: Is a directory"),
            (missing, "cannot read it: No such file"),
            (empty.as_str(), "no certificate in it"),
            (key_only.as_str(), "no certificate in it"),
            (unended.as_str(), "has no -----END line"),
            (bad_base64.as_str(), "not valid base64"),
            (junk.as_str(), "none of its 1 certificates is usable"),
        ] {
            let e = error(&["--tls-ca", path], &[]);
            assert!(
                e.starts_with(&format!("--tls-ca \"{path}\": ")) && e.contains(problem),
                "{path}: {e}"
            );
        }
    }

    #[test]
    fn unparsable_entries_beside_a_good_ca_are_warned_about() {
        let dir = scratch();
        let (ca, _, _) = pki();
        let path = file(&dir, "mixed.pem", &format!("{ca}{JUNK_BLOCK}"));
        let c = config(&[], &[("OTEL_EXPORTER_OTLP_CERTIFICATE", &path)]).unwrap();
        assert_eq!(c.otlp.tls.ca.unwrap().certs.len(), 2);
        assert_eq!(
            c.warnings,
            vec![format!(
                "OTEL_EXPORTER_OTLP_CERTIFICATE \"{path}\": 1 of 2 certificates cannot be parsed and are ignored"
            )]
        );
    }

    #[test]
    fn the_flag_beats_the_metrics_variable_which_beats_the_generic_one() {
        let dir = scratch();
        let (ca, _, _) = pki();
        let good = file(&dir, "ca.pem", &ca);
        let bad = dir.join("missing.pem");
        let bad = bad.to_str().unwrap();
        let c = config(
            &[],
            &[
                ("OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", good.as_str()),
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", bad),
            ],
        )
        .unwrap();
        assert_eq!(c.otlp.tls.ca.unwrap().path, PathBuf::from(&good));
        let e = error(
            &["--tls-ca", bad],
            &[("OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", good.as_str())],
        );
        assert!(e.starts_with("--tls-ca "), "{e}");
    }

    #[test]
    fn a_matching_client_certificate_and_key_load() {
        let dir = scratch();
        let (ca, leaf, key_pem) = pki();
        let cert = file(&dir, "client.pem", &format!("{leaf}{ca}"));
        let key = file(&dir, "client.key", &key_pem);
        let c = config(
            &[],
            &[
                ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert.as_str()),
                ("OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", key.as_str()),
            ],
        )
        .unwrap();
        let client = c.otlp.tls.client.as_ref().unwrap();
        assert_eq!(client.cert.certs().len(), 2);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        // Neither the PEM nor the DER bytes of the key show in Debug output.
        let debug = format!("{:?}", c.otlp);
        let der = client.cert.private_key().der();
        assert!(!debug.contains(key_pem.lines().nth(1).unwrap()), "{debug}");
        assert!(!debug.contains(&format!("{:?}", &der[..8])), "{debug}");
    }

    #[test]
    fn unusable_keys_name_the_key_path() {
        let dir = scratch();
        let (_, leaf, _) = pki();
        let (_, _, other_key) = pki();
        let cert = file(&dir, "client.pem", &leaf);
        let mismatched = file(&dir, "other.key", &other_key);
        let encrypted = file(
            &dir,
            "enc.key",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAECAwQF\n-----END ENCRYPTED PRIVATE KEY-----\n",
        );
        let legacy = file(
            &dir,
            "legacy.key",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAECAwQF\n-----END RSA PRIVATE KEY-----\n",
        );
        let junk = file(
            &dir,
            "junk.key",
            "-----BEGIN PRIVATE KEY-----\nAAECAwQFBgcICQ==\n-----END PRIVATE KEY-----\n",
        );
        let no_key = file(&dir, "cert-only.key", &leaf);
        for (key, problem) in [
            (
                mismatched.as_str(),
                "rustls rejects this key with certificate",
            ),
            (encrypted.as_str(), "the key is encrypted"),
            (legacy.as_str(), "the key is encrypted"),
            (junk.as_str(), "rustls rejects this key"),
            (no_key.as_str(), "no private key in it"),
        ] {
            let e = error(&["--tls-cert", &cert, "--tls-key", key], &[]);
            assert!(
                e.starts_with(&format!("--tls-key \"{key}\": ")) && e.contains(problem),
                "{key}: {e}"
            );
        }
    }

    #[test]
    fn a_certificate_needs_its_key_and_a_key_its_certificate() {
        let dir = scratch();
        let (_, leaf, key) = pki();
        let cert = file(&dir, "client.pem", &leaf);
        let key = file(&dir, "client.key", &key);
        let e = error(&["--tls-cert", &cert], &[]);
        assert!(e.starts_with(&format!("--tls-cert \"{cert}\": ")), "{e}");
        assert!(e.contains("give --tls-key"), "{e}");
        let e = error(&[], &[("OTEL_EXPORTER_OTLP_CLIENT_KEY", key.as_str())]);
        assert!(
            e.starts_with(&format!("OTEL_EXPORTER_OTLP_CLIENT_KEY \"{key}\": ")),
            "{e}"
        );
        assert!(e.contains("give --tls-cert"), "{e}");
    }

    #[test]
    fn a_world_readable_key_is_warned_about() {
        let dir = scratch();
        let (_, leaf, key) = pki();
        let cert = file(&dir, "client.pem", &leaf);
        let key = file(&dir, "client.key", &key);
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let c = config(&["--tls-cert", &cert, "--tls-key", &key], &[]).unwrap();
        assert_eq!(
            c.warnings,
            vec![format!(
                "--tls-key \"{key}\": the private key is readable by every user (chmod 600 it)"
            )]
        );
    }

    #[test]
    fn insecure_skip_verify_warns_and_wants_https() {
        let c = config(&["--tls-insecure-skip-verify"], &[]).unwrap();
        assert!(c.otlp.tls.insecure_skip_verify);
        assert_eq!(c.warnings.len(), 1);
        assert!(
            c.warnings[0].contains("is not verified"),
            "{:?}",
            c.warnings
        );
        assert!(c.describe().contains(" tls-insecure-skip-verify"));
        let argv = ["sysotlp", "--tls-insecure-skip-verify"].map(String::from);
        let cli = crate::cli::parse(&argv).unwrap();
        let e = Config::from_cli(cli, &|_| None).unwrap_err().to_string();
        assert_eq!(
            e,
            "--tls-insecure-skip-verify and an http:// endpoint cannot be used together: give one"
        );
        let e = error(&["--tls-insecure-skip-verify", "--tls-ca", "/x"], &[]);
        assert!(e.contains("--tls-ca cannot be used together"), "{e}");
    }

    #[test]
    fn tls_variables_are_ignored_with_a_warning_for_http() {
        let argv = ["sysotlp", "--endpoint", "http://collector:4318"].map(String::from);
        let cli = crate::cli::parse(&argv).unwrap();
        let c = Config::from_cli(cli, &|name| {
            (name == "OTEL_EXPORTER_OTLP_CERTIFICATE").then(|| "/nonexistent".to_string())
        })
        .unwrap();
        assert_eq!(c.otlp.tls, super::TlsOptions::default());
        assert_eq!(
            c.warnings,
            vec![
                "ignoring OTEL_EXPORTER_OTLP_CERTIFICATE: the endpoint http://collector:4318/v1/metrics is not https"
                    .to_string()
            ]
        );
    }
}
