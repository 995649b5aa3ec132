//! `KEY=VALUE` lists: headers and resource attributes (exporter spec §1.5).
//!
//! Reads: `OTEL_EXPORTER_OTLP_HEADERS`-style text (`k1=v1,k2=v2`, members trimmed, empty
//! members skipped, split at the first `=` since base64 ends in `=`, then `%HH`
//! percent-decoding, `+` kept) and single `--header` / `--resource` flag values (literal).
//! Emits: ordered (key, value) pairs; header names checked as RFC 9110 tokens, control bytes
//! (but tab) refused in values. Errors never quote a header value (it may be a secret).

/// What is wrong with one member; `index` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairError {
    pub index: usize,
    pub reason: &'static str,
}

/// Splits a comma-separated, percent-encoded list.
pub fn parse_encoded_list(text: &str) -> Result<Vec<(String, String)>, PairError> {
    let mut pairs = Vec::new();
    for (index, member) in text.split(',').enumerate() {
        let member = member.trim();
        if member.is_empty() {
            continue;
        }
        let error = |reason| PairError {
            index: index + 1,
            reason,
        };
        let (key, value) = split_pair(member).map_err(error)?;
        let key = percent_decode(key).map_err(error)?;
        let value = percent_decode(value).map_err(error)?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// One literal `KEY=VALUE` (a flag value): no decoding, key and value trimmed.
pub fn parse_literal_pair(text: &str) -> Result<(String, String), &'static str> {
    split_pair(text).map(|(k, v)| (k.to_string(), v.to_string()))
}

fn split_pair(member: &str) -> Result<(&str, &str), &'static str> {
    let (key, value) = member.split_once('=').ok_or("no '=' after the key")?;
    let key = key.trim();
    if key.is_empty() {
        return Err("empty key");
    }
    Ok((key, value.trim()))
}

fn percent_decode(text: &str) -> Result<String, &'static str> {
    if !text.contains('%') {
        return Ok(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            // Two hex digits exactly: `u8::from_str_radix` alone would take `%+1` (a sign).
            let digit = |at: usize| {
                bytes
                    .get(at)
                    .and_then(|b| char::from(*b).to_digit(16))
                    .ok_or("a % not followed by two hex digits")
            };
            let byte = digit(i + 1)? * 16 + digit(i + 2)?;
            out.push(u8::try_from(byte).map_err(|_| "a % not followed by two hex digits")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-decoded text is not UTF-8")
}

/// An RFC 9110 token: the characters a header name may have.
pub fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value is visible characters, spaces and tabs (RFC 9110 field-value): no control
/// byte may split, end or hide in the request.
pub fn is_header_value(value: &str) -> bool {
    !value.chars().any(|c| c.is_ascii_control() && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_equals_and_decodes() {
        let pairs =
            parse_encoded_list(" api-key=a%2Cb , Authorization=Basic dXNlcjpw==,,x=1+2").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("api-key".into(), "a,b".into()),
                ("Authorization".into(), "Basic dXNlcjpw==".into()),
                ("x".into(), "1+2".into())
            ]
        );
    }

    #[test]
    fn bad_members_name_their_position() {
        assert_eq!(
            parse_encoded_list("a=1,b"),
            Err(PairError {
                index: 2,
                reason: "no '=' after the key"
            })
        );
        assert_eq!(
            parse_encoded_list("=1"),
            Err(PairError {
                index: 1,
                reason: "empty key"
            })
        );
        assert_eq!(
            parse_encoded_list("a=%zz").unwrap_err().reason,
            "a % not followed by two hex digits"
        );
        assert_eq!(
            parse_encoded_list("a=%4").unwrap_err().reason,
            "a % not followed by two hex digits"
        );
        assert_eq!(
            parse_encoded_list("a=%ff").unwrap_err().reason,
            "percent-decoded text is not UTF-8"
        );
        assert_eq!(
            parse_encoded_list("a=%C3%A9").unwrap(),
            vec![("a".into(), "é".into())]
        );
    }

    #[test]
    fn issue_9_a_sign_is_not_a_hex_digit() {
        // `u8::from_str_radix("+1", 16)` is 1: `%+1` used to decode to a control byte.
        for text in ["a=%+1", "a=%-1", "a=% 1", "a=%1+"] {
            assert_eq!(
                parse_encoded_list(text).unwrap_err().reason,
                "a % not followed by two hex digits",
                "{text}"
            );
        }
        assert_eq!(
            parse_encoded_list("a=%7e%7E").unwrap(),
            vec![("a".into(), "~~".into())]
        );
    }

    #[test]
    fn literal_pairs_are_not_decoded() {
        assert_eq!(
            parse_literal_pair("k=a%20b=").unwrap(),
            ("k".into(), "a%20b=".into())
        );
        assert_eq!(parse_literal_pair("k="), Ok(("k".into(), String::new())));
        assert!(parse_literal_pair("novalue").is_err());
    }

    #[test]
    fn header_names_are_tokens_and_values_single_line() {
        assert!(is_header_name("X-Api_Key.1"));
        assert!(!is_header_name("bad name"));
        assert!(!is_header_name("a:b"));
        assert!(!is_header_name(""));
        assert!(is_header_value("Basic dXNl=="));
        assert!(is_header_value("a\tb é"));
        assert!(!is_header_value("a\r\nInjected: 1"));
        for control in ["a\u{1}b", "a\u{7f}", "\u{0}", "a\u{1b}[0m"] {
            assert!(!is_header_value(control), "{control:?}");
        }
    }
}
