//! ureq's TLS settings from the checked `TlsOptions` (exporter spec §2.5).
//!
//! Reads: the CA certificates (DER) and the client certificate loaded and proven usable at
//! start by `config::tls`.
//! Emits: a `ureq::tls::TlsConfig`: rustls (ring), the bundled Mozilla roots unless a CA file
//! replaces them (`RootCerts::Specific`), the client certificate for mTLS, verification off
//! only for `--tls-insecure-skip-verify`. Nothing here can fail: ureq wraps the bytes and
//! builds the rustls config on the first connection, from the same bytes `config::tls` has
//! already built one from.

use crate::config::tls::TlsOptions;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

pub fn tls_config(options: &TlsOptions) -> TlsConfig {
    let roots = match &options.ca {
        Some(ca) => RootCerts::from(
            ca.certs
                .iter()
                .map(|der| Certificate::from_der(der).to_owned()),
        ),
        None => RootCerts::WebPki,
    };
    TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(roots)
        .client_cert(options.client.as_ref().map(|c| c.cert.clone()))
        .disable_verification(options.insecure_skip_verify)
        .build()
}
