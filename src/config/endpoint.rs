//! The OTLP/HTTP metrics URL from `--endpoint`, `--metrics-endpoint` and the `OTEL_*` variables.
//!
//! Reads: a URL string. Emits: the URL requests go to, or what is wrong with it
//! (exporter spec §1.3): scheme `http` or `https`, a host, an optional port (none means
//! 80/443, not 4318, as upstream says); userinfo, query or fragment are refused. A base
//! endpoint gets `v1/metrics` appended after exactly one `/`; a metrics endpoint is used
//! verbatim, an empty path becoming `/`. No DNS lookup happens here.

/// A checked endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The full URL requests are POSTed to.
    pub url: String,
    pub https: bool,
    /// The host as written, IPv6 without brackets (for `NO_PROXY`).
    pub host: String,
    /// The port in use (explicit, else 80/443).
    pub port: u16,
}

/// How the path is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRule {
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` / `--endpoint`: append `v1/metrics`.
    Base,
    /// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` / `--metrics-endpoint`: as given.
    Verbatim,
}

/// Checks `text` and applies `rule`; the error says what was expected.
pub fn parse_endpoint(text: &str, rule: PathRule) -> Result<Endpoint, &'static str> {
    let text = text.trim();
    let (scheme, rest) = text
        .split_once("://")
        .ok_or("a URL such as http://collector:4318")?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "http" => false,
        "https" => true,
        _ => return Err("an http:// or https:// URL"),
    };
    if rest.contains(['?', '#']) {
        return Err("a URL without query or fragment");
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err("a URL without user:password@ (send credentials in a header)");
    }
    let (host, port) = split_host_port(authority)?;
    if host.is_empty() {
        return Err("a URL with a host");
    }
    if !host.bytes().all(|b| is_unreserved(b) || b == b':') {
        return Err("a host name or address of letters, digits, '-' and '.'");
    }
    if !is_path(path) {
        return Err(
            "a URL path of letters, digits and -._~!$&'()*+,;=:@/ or %HH (no space, control byte or \"<>\\^`{|})",
        );
    }
    let port = match port {
        Some(p) => p,
        None if https => 443,
        None => 80,
    };
    let path = match rule {
        PathRule::Base => format!("{}/v1/metrics", path.trim_end_matches('/')),
        PathRule::Verbatim if path.is_empty() => "/".to_string(),
        PathRule::Verbatim => path.to_string(),
    };
    let scheme = if https { "https" } else { "http" };
    Ok(Endpoint {
        url: format!("{scheme}://{authority}{path}"),
        https,
        host: host.to_string(),
        port,
    })
}

/// RFC 3986 unreserved characters (`%` aside): what a host name may hold.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// An RFC 3986 path: `pchar`s and `/`, every `%` followed by two hex digits. ureq would
/// refuse anything else at every attempt (retried forever), or a newline would split our
/// log lines.
fn is_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        if b == b'%' {
            return bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
        }
        is_unreserved(b) || b"!$&'()*+,;=:@/".contains(&b)
    })
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), &'static str> {
    let bad_port = "a port from 1 to 65535";
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or("a closing ] after an IPv6 address")?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or(bad_port)?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0).ok_or(bad_port)?),
        None => None,
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str, rule: PathRule) -> String {
        parse_endpoint(text, rule).unwrap().url
    }

    #[test]
    fn base_endpoints_get_v1_metrics_after_one_slash() {
        assert_eq!(
            url("http://h:4318", PathRule::Base),
            "http://h:4318/v1/metrics"
        );
        assert_eq!(
            url("http://h:4318/", PathRule::Base),
            "http://h:4318/v1/metrics"
        );
        assert_eq!(
            url("https://h/otlp/", PathRule::Base),
            "https://h/otlp/v1/metrics"
        );
        assert_eq!(
            url("https://h/otlp", PathRule::Base),
            "https://h/otlp/v1/metrics"
        );
    }

    #[test]
    fn metrics_endpoints_are_verbatim() {
        assert_eq!(
            url("http://h:4318/custom/", PathRule::Verbatim),
            "http://h:4318/custom/"
        );
        assert_eq!(url("http://h:4318", PathRule::Verbatim), "http://h:4318/");
        assert_eq!(url("HTTP://h/x", PathRule::Verbatim), "http://h/x");
    }

    #[test]
    fn issue_10_valid_paths_and_escapes_pass() {
        assert_eq!(
            url("http://h:4318/a%20b/v1/metrics", PathRule::Verbatim),
            "http://h:4318/a%20b/v1/metrics"
        );
        assert_eq!(
            url("http://my-host.lan/otlp@x/~u;v=1", PathRule::Base),
            "http://my-host.lan/otlp@x/~u;v=1/v1/metrics"
        );
    }

    #[test]
    fn default_ports_are_80_and_443() {
        assert_eq!(
            parse_endpoint("http://collector", PathRule::Base)
                .unwrap()
                .port,
            80
        );
        assert_eq!(
            parse_endpoint("https://collector", PathRule::Base)
                .unwrap()
                .port,
            443
        );
        let v6 = parse_endpoint("http://[::1]:4318", PathRule::Base).unwrap();
        assert_eq!(
            (v6.url.as_str(), v6.host.as_str(), v6.port),
            ("http://[::1]:4318/v1/metrics", "::1", 4318)
        );
        assert_eq!(
            parse_endpoint("http://[::1]", PathRule::Base).unwrap().port,
            80
        );
    }

    #[test]
    fn refuses_what_would_misroute_or_leak() {
        for bad in [
            "localhost:4318",
            "ftp://h",
            "http://user:pw@h:4318",
            "http://h:4318?x=1",
            "http://h#frag",
            "http://:4318",
            "http://h:0",
            "http://h:99999",
            "http://h:port",
            "http://[::1",
            "http://[::1]x",
            "",
            // Issue 10: what ureq can never send, or what splits log lines.
            "http://h:4318/v1 metrics",
            "http://h:4318/a\nb",
            "http://h:4318/\"x\"",
            "http://h:4318/<x>",
            "http://h:4318/{x}",
            "http://h:4318/%zz",
            "http://h:4318/é",
            "http://h\x01:4318",
            "http://h x:4318",
        ] {
            assert!(parse_endpoint(bad, PathRule::Base).is_err(), "{bad:?}");
        }
    }
}
