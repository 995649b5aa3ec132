//! ureq's name resolver, minus its thread when there is no name to resolve.
//!
//! Reads: the request URI's host and port. Emits: the socket address of an address literal
//! (`http://127.0.0.1:4318`, `https://[::1]:4318`) at once; anything else goes to ureq's
//! `DefaultResolver`.
//!
//! Why: with a timeout set (and every request has one, exporter spec §2.4) ureq resolves
//! on a thread of its own so a hung DNS server cannot hold the loop, and it resolves on
//! every request, before it looks for a pooled connection (ureq 3.5 `run.rs`). For an
//! address there is nothing to ask: the thread (`clone3`, a stack, `exit`, and the wake-ups
//! of a channel) was half the system calls of a request to a loopback receiver.
//! `ureq::unversioned` is outside ureq's semver promise: Cargo.lock pins the version.

use std::net::{IpAddr, SocketAddr};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Address literals answered here, names by ureq.
#[derive(Debug, Default)]
pub struct LiteralFirst(DefaultResolver);

impl Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match literal(uri) {
            Some(address) => {
                let mut addresses = self.0.empty();
                addresses
                    .try_push(address)
                    .map_err(|_| ureq::Error::HostNotFound)?;
                Ok(addresses)
            }
            None => self.0.resolve(uri, config, timeout),
        }
    }
}

/// The socket address of `uri` when its host is an IPv4 or bracketed IPv6 address; the
/// port given, else the scheme's (80, 443).
fn literal(uri: &Uri) -> Option<SocketAddr> {
    let authority = uri.authority()?;
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = host.parse().ok()?;
    let port = match (authority.port_u16(), uri.scheme_str()) {
        (Some(port), _) => port,
        (None, Some("http")) => 80,
        (None, Some("https")) => 443,
        (None, _) => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal_of(uri: &str) -> Option<SocketAddr> {
        literal(&uri.parse().unwrap())
    }

    #[test]
    fn addresses_are_answered_here_names_are_not() {
        let at = |s: &str| Some(s.parse::<SocketAddr>().unwrap());
        assert_eq!(
            literal_of("http://127.0.0.1:4318/v1/metrics"),
            at("127.0.0.1:4318")
        );
        assert_eq!(
            literal_of("https://[::1]:4318/v1/metrics"),
            at("[::1]:4318")
        );
        assert_eq!(
            literal_of("http://127.0.0.1/v1/metrics"),
            at("127.0.0.1:80")
        );
        assert_eq!(literal_of("https://[::1]/v1/metrics"), at("[::1]:443"));
        assert_eq!(literal_of("http://localhost:4318/v1/metrics"), None);
        assert_eq!(literal_of("http://collector.example:4318/"), None);
        // Not an address: 256 is no octet; a bare IPv6 address needs its brackets in a URI.
        assert_eq!(literal_of("http://127.0.0.256:4318/"), None);
        assert_eq!(literal_of("ftp://127.0.0.1/"), None);
    }

    #[test]
    fn the_resolver_returns_the_address_alone() {
        let resolver = LiteralFirst::default();
        let config = Config::default();
        let uri: Uri = "http://127.0.0.1:9/x".parse().unwrap();
        let addresses = resolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert_eq!(
            addresses.iter().collect::<Vec<_>>(),
            [&"127.0.0.1:9".parse::<SocketAddr>().unwrap()]
        );
    }
}
