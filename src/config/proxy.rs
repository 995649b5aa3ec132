//! The proxy requests to the OTLP endpoint go through, decided once at start.
//!
//! Reads: `--proxy URL|none`; else, for an https endpoint `HTTPS_PROXY`, for an http one
//! `HTTP_PROXY`, then `ALL_PROXY` (each upper case, then lower case), skipped when
//! `NO_PROXY`/`no_proxy` matches the endpoint host (exporter spec §2.6).
//! Emits: `ProxyChoice` (or none: direct), or a `ConfigError` for a malformed applicable
//! value or a SOCKS proxy (exit 2).
//! Input: `http://user:pass@proxy.lan:3128`, `proxy.lan:3128` (http assumed);
//! `NO_PROXY=localhost,.internal,*.corp.example,10.1.2.3` or `*`.
//!
//! ureq's own `Proxy::try_from_env` takes the first parsable of `ALL_PROXY`, `HTTPS_PROXY`,
//! `HTTP_PROXY` whatever the scheme and skips bad values silently: a typo would send metrics
//! direct without a word, hence these rules of our own. A proxy is reached with `CONNECT`
//! for http and https endpoints alike (ureq 3). `NO_PROXY` entries: `*` matches every host,
//! `.example.com` and `*.example.com` match its subdomains (not `example.com` itself, as in
//! ureq), anything else matches that host exactly, case-insensitively; IPv6 with or without
//! brackets. CIDR ranges and `host:port` entries are not understood (warned about).

use super::endpoint::Endpoint;
use super::{ConfigError, Env};
use std::fmt;

/// The proxy in use; `Debug` shows no credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyChoice {
    /// ureq's proxy, built from the checked URL (credentials stay inside it).
    pub proxy: ureq::Proxy,
    /// `--proxy` or the variable it came from.
    pub source: &'static str,
}

impl ProxyChoice {
    /// `host:port` for the start line, never the URL (it may hold credentials).
    pub fn address(&self) -> String {
        let host = self.proxy.host();
        if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{}", self.proxy.port())
        } else {
            format!("{host}:{}", self.proxy.port())
        }
    }
}

impl fmt::Debug for ProxyChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyChoice")
            .field("address", &self.address())
            .field("source", &self.source)
            .finish()
    }
}

/// The proxy for `endpoint`: the flag, else the variables, else none.
pub(super) fn choose(
    flag: Option<&str>,
    env: &Env,
    endpoint: &Endpoint,
    warnings: &mut Vec<String>,
) -> Result<Option<ProxyChoice>, ConfigError> {
    if let Some(text) = flag {
        if text.trim().eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        return parse("--proxy", text).map(Some);
    }
    let names: [&'static str; 4] = if endpoint.https {
        ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let Some((source, text)) = env.first(&names) else {
        return Ok(None);
    };
    if let Some((name, list)) = env.first(&["NO_PROXY", "no_proxy"]) {
        for entry in entries(&list) {
            if entry.contains('/') || (entry.matches(':').count() == 1) {
                warnings.push(format!(
                    "{name}: entry \"{entry}\" is not understood (only host, .domain, *.domain and *); it never matches"
                ));
            }
        }
        if bypasses(&list, &endpoint.host) {
            return Ok(None);
        }
    }
    parse(source, &text).map(Some)
}

fn entries(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|e| !e.is_empty())
}

/// Whether `NO_PROXY`-style `list` names `host`.
pub fn bypasses(list: &str, host: &str) -> bool {
    let host = unbracket(host).to_ascii_lowercase();
    entries(list).any(|entry| {
        let entry = unbracket(entry).to_ascii_lowercase();
        if entry == "*" {
            return true;
        }
        let suffix = entry.strip_prefix('*').unwrap_or(&entry);
        if suffix.starts_with('.') {
            host.len() > suffix.len() && host.ends_with(suffix)
        } else {
            host == entry
        }
    })
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// The URL with any `user:pass@` hidden, for error messages.
fn redacted(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), text),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}…@{}", &rest[at + 1..]),
        None => text.to_string(),
    }
}

/// No port, or one from 1 to 65535: the `http` crate's URI parser keeps `:99999`, and ureq
/// then falls back to port 80 without a word.
fn port_is_valid(text: &str) -> bool {
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let port = match host_port.rsplit_once(']') {
        Some((_, after)) => after.strip_prefix(':'),
        None => host_port.rsplit_once(':').map(|(_, port)| port),
    };
    port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p != 0))
}

/// True when the authority of `text` (no scheme) ends in `:port`.
fn has_port(text: &str) -> bool {
    let authority = &text[..text.find('/').unwrap_or(text.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host_port.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'),
        None => host_port.contains(':'),
    }
}

/// Checks a proxy URL: `http` (or no scheme), `https` with the `tls` feature, a host, a
/// port from 1 to 65535; SOCKS is refused.
fn parse(source: &'static str, text: &str) -> Result<ProxyChoice, ConfigError> {
    let text = text.trim();
    let invalid = |expected: &str| ConfigError::Invalid {
        source: source.to_string(),
        value: Some(redacted(text)),
        expected: expected.to_string(),
    };
    let expected = "a proxy URL such as http://proxy:3128";
    if let Some((scheme, _)) = text.split_once("://") {
        match scheme.to_ascii_lowercase().as_str() {
            "http" => {}
            "https" if cfg!(feature = "tls") => {}
            "https" => {
                return Err(invalid(
                    "an http:// proxy URL (this build has no TLS support)",
                ));
            }
            s if s.starts_with("socks") => {
                return Err(invalid(
                    "an http:// proxy URL (SOCKS proxies are not supported)",
                ));
            }
            _ => return Err(invalid(expected)),
        }
    }
    if !text.contains("://") && !has_port(text) {
        // ureq would take `garbage` as the proxy `garbage:80`.
        return Err(invalid(
            "a proxy URL such as http://proxy:3128 (a scheme or a port; a bare name is not one)",
        ));
    }
    if !port_is_valid(text) {
        return Err(invalid("a proxy URL with a port from 1 to 65535"));
    }
    let proxy = ureq::Proxy::new(text).map_err(|_| invalid(expected))?;
    let connect = matches!(
        proxy.protocol(),
        ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
    );
    let host_ok = proxy
        .host()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~:[]".contains(&b));
    if !connect || proxy.host().is_empty() || !host_ok {
        return Err(invalid(expected));
    }
    Ok(ProxyChoice { proxy, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::endpoint::{PathRule, parse_endpoint};
    use std::collections::HashMap;

    /// (source, host:port) chosen for `url` with `vars` and the `--proxy` flag.
    fn chosen(
        url: &str,
        flag: Option<&str>,
        vars: &[(&str, &str)],
    ) -> Result<Option<(&'static str, String)>, String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = |name: &str| vars.get(name).map(std::ffi::OsString::from);
        let env = Env::new(&lookup);
        let endpoint = parse_endpoint(url, PathRule::Base).unwrap();
        choose(flag, &env, &endpoint, &mut Vec::new())
            .map(|c| c.map(|c| (c.source, c.address())))
            .map_err(|e| e.to_string())
    }

    fn some(source: &'static str, address: &str) -> Result<Option<(&'static str, String)>, String> {
        Ok(Some((source, address.to_string())))
    }

    #[test]
    fn the_endpoint_scheme_picks_the_variable() {
        let vars = [
            ("HTTPS_PROXY", "http://s:1"),
            ("HTTP_PROXY", "http://p:2"),
            ("ALL_PROXY", "http://a:3"),
        ];
        assert_eq!(chosen("https://h", None, &vars), some("HTTPS_PROXY", "s:1"));
        assert_eq!(chosen("http://h", None, &vars), some("HTTP_PROXY", "p:2"));
        // HTTPS_PROXY never applies to an http endpoint, nor HTTP_PROXY to https.
        assert_eq!(
            chosen("http://h", None, &[("HTTPS_PROXY", "http://s:1")]),
            Ok(None)
        );
        assert_eq!(
            chosen("https://h", None, &[("HTTP_PROXY", "http://p:2")]),
            Ok(None)
        );
        assert_eq!(
            chosen("https://h", None, &[("ALL_PROXY", "http://a:3")]),
            some("ALL_PROXY", "a:3")
        );
    }

    #[test]
    fn upper_case_wins_then_lower_case_then_all_proxy() {
        let both = [
            ("HTTP_PROXY", "http://up:1"),
            ("http_proxy", "http://low:2"),
        ];
        assert_eq!(chosen("http://h", None, &both), some("HTTP_PROXY", "up:1"));
        let lower = [("http_proxy", "http://low:2"), ("ALL_PROXY", "http://a:3")];
        assert_eq!(
            chosen("http://h", None, &lower),
            some("http_proxy", "low:2")
        );
        let all = [("all_proxy", "http://a:3"), ("HTTP_PROXY", "")];
        assert_eq!(chosen("http://h", None, &all), some("all_proxy", "a:3"));
    }

    #[test]
    fn no_proxy_forms() {
        for (list, host, bypass) in [
            ("collector", "collector", true),
            ("Collector", "COLLECTOR", true),
            ("collector", "collector.lan", false),
            ("other, collector ,x", "collector", true),
            (".lan", "collector.lan", true),
            (".lan", "a.b.lan", true),
            (".lan", "lan", false),
            ("*.lan", "collector.lan", true),
            ("*.lan", "lan", false),
            ("*.lan", "collector.lanx", false),
            ("*", "anything", true),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.10", false),
            ("::1", "::1", true),
            ("[::1]", "::1", true),
            ("10.0.0.0/8", "10.1.2.3", false),
            ("", "collector", false),
            (",,", "collector", false),
        ] {
            assert_eq!(bypasses(list, host), bypass, "{list:?} vs {host:?}");
        }
    }

    #[test]
    fn no_proxy_sends_a_matching_endpoint_direct() {
        let vars = [("HTTP_PROXY", "http://p:2"), ("NO_PROXY", "127.0.0.1")];
        assert_eq!(chosen("http://127.0.0.1:4318", None, &vars), Ok(None));
        assert_eq!(
            chosen("http://h:4318", None, &vars),
            some("HTTP_PROXY", "p:2")
        );
        let lower = [("HTTP_PROXY", "http://p:2"), ("no_proxy", "*")];
        assert_eq!(chosen("http://h", None, &lower), Ok(None));
        // A bad value under a matching NO_PROXY is never used, so it is no error.
        let bad = [("HTTP_PROXY", "socks5://p"), ("NO_PROXY", "h")];
        assert_eq!(chosen("http://h", None, &bad), Ok(None));
    }

    #[test]
    fn no_proxy_entries_that_never_match_are_warned_about() {
        let vars: HashMap<&str, &str> = [
            ("HTTP_PROXY", "http://p:2"),
            ("no_proxy", "10.0.0.0/8, collector:4318, ::1, .lan"),
        ]
        .into_iter()
        .collect();
        let lookup = |name: &str| vars.get(name).map(std::ffi::OsString::from);
        let env = Env::new(&lookup);
        let endpoint = parse_endpoint("http://collector:4318", PathRule::Base).unwrap();
        let mut warnings = Vec::new();
        let choice = choose(None, &env, &endpoint, &mut warnings).unwrap();
        assert_eq!(choice.map(|c| c.address()), Some("p:2".to_string()));
        assert_eq!(
            warnings,
            [
                "no_proxy: entry \"10.0.0.0/8\" is not understood (only host, .domain, *.domain and *); it never matches",
                "no_proxy: entry \"collector:4318\" is not understood (only host, .domain, *.domain and *); it never matches",
            ]
        );
    }

    #[test]
    fn the_flag_overrides_everything() {
        let vars = [("HTTP_PROXY", "http://p:2"), ("NO_PROXY", "*")];
        assert_eq!(
            chosen("http://h", Some("http://f:9"), &vars),
            some("--proxy", "f:9")
        );
        assert_eq!(chosen("http://h", Some("none"), &vars), Ok(None));
        assert_eq!(
            chosen("http://h", Some("NONE"), &[("HTTP_PROXY", "socks5://x")]),
            Ok(None)
        );
    }

    #[test]
    fn urls_without_scheme_or_port_get_http_defaults() {
        assert_eq!(
            chosen("http://h", Some("proxy.lan:3128"), &[]),
            some("--proxy", "proxy.lan:3128")
        );
        assert_eq!(
            chosen("http://h", Some("http://proxy.lan"), &[]),
            some("--proxy", "proxy.lan:80")
        );
        assert_eq!(
            chosen("http://h", Some("http://[::1]:3128/"), &[]),
            some("--proxy", "[::1]:3128")
        );
    }

    #[test]
    fn malformed_or_socks_values_are_errors_without_credentials() {
        for bad in [
            "socks5://p:1080",
            "socks5h://p",
            "SOCKS4://p",
            "ftp://p",
            "http://",
            "http://p:0",
            "http://p:99999",
            "http://p:port",
            "http://us er@p",
            "http://p q:1",
            // Issue 10: a bare word would become `garbage:80`.
            "garbage",
            "p\x01:3128",
            "http://p\"x:1",
        ] {
            let e = chosen("http://h", None, &[("HTTP_PROXY", bad)])
                .map(|c| format!("{bad:?} accepted as {c:?}"))
                .unwrap_err();
            assert!(e.contains("HTTP_PROXY"), "{bad:?}: {e}");
        }
        let e = chosen("http://h", None, &[("ALL_PROXY", "socks5://u:secret@p")]).unwrap_err();
        assert_eq!(
            e,
            "invalid value \"socks5://…@p\" for ALL_PROXY: expected an http:// proxy URL (SOCKS proxies are not supported)"
        );
        let e = chosen("https://h", Some("http://u:secret@p:0"), &[]).unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn debug_and_address_never_show_credentials() {
        let choice = parse("--proxy", "http://user:secret@p:3128").unwrap();
        assert_eq!(choice.address(), "p:3128");
        let debug = format!("{choice:?}");
        assert!(
            !debug.contains("secret") && !debug.contains("user"),
            "{debug}"
        );
        assert_eq!(choice.proxy.username(), Some("user"));
    }
}
