//! A small JSON reader for the two documents sysotlp reads: `sysotlp-fixture.json` and the
//! OTLP/JSON answers of a receiver (partial success, `google.rpc.Status`).
//!
//! Reads: text. Emits: a `Json` tree (unsigned integers kept as numbers, other numbers only
//! checked) or "what at byte N". Nesting is at most 8 deep, so a hostile document cannot
//! exhaust the stack. serde_json would cost ~40 KB of a binary that must stay under 2 MB.

/// A JSON value of the subset fixture files use.
#[derive(Debug, PartialEq)]
pub enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    String(String),
    Number(u64),
    /// A negative or fractional number: valid, not one any field of ours takes.
    OtherNumber,
    Bool(bool),
    Null,
}

/// Deepest nesting accepted: the file needs 3; a hostile one must not exhaust the stack.
const MAX_DEPTH: usize = 8;

/// The value of `text`, which holds nothing else.
pub fn parse(text: &str) -> Result<Json, String> {
    let mut reader = Reader { text, at: 0 };
    let value = reader.value(0)?;
    reader.skip_space();
    if reader.at != text.len() {
        return Err(reader.error("unexpected text after the value"));
    }
    Ok(value)
}

/// The member `key` of an object's fields.
pub fn get<'a>(fields: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

struct Reader<'t> {
    text: &'t str,
    at: usize,
}

impl Reader<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", char::from(byte))))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        self.skip_space();
        match self.peek() {
            Some(b'{' | b'[') if depth >= MAX_DEPTH => Err(self.error("nested too deep")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Json::String),
            Some(b'0'..=b'9' | b'-') => self.number(),
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(_) => Err(self.error("expected a JSON value")),
            None => Err(self.error("unexpected end")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, String> {
        self.expect(b'{')?;
        let mut fields = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(fields));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key"));
            }
            let key = self.string()?;
            self.expect(b':')?;
            let value = self.value(depth)?;
            fields.push((key, value));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(fields));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, String> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.at += 1; // the opening quote, checked by the caller
        let mut out = String::new();
        loop {
            let rest = self.text.get(self.at..).unwrap_or_default();
            let Some(c) = rest.chars().next() else {
                return Err(self.error("unterminated string"));
            };
            self.at += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => out.push(self.escape()?),
                c if u32::from(c) < 0x20 => return Err(self.error("control character in a string")),
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, String> {
        let byte = self
            .peek()
            .ok_or_else(|| self.error("unterminated escape"))?;
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                let code = if (0xd800..0xdc00).contains(&high) {
                    if self.text.get(self.at..self.at + 2) != Some("\\u") {
                        return Err(self.error("unpaired surrogate"));
                    }
                    self.at += 2;
                    let low = self.hex4()?;
                    if !(0xdc00..0xe000).contains(&low) {
                        return Err(self.error("unpaired surrogate"));
                    }
                    0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                } else {
                    high
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))?
            }
            _ => return Err(self.error("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.text.get(self.at..self.at + 4);
        let code = digits
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("expected four hex digits"))?;
        self.at += 4;
        Ok(code)
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        self.at += usize::from(negative);
        let integer = self.digits();
        let mut plain = !negative;
        if self.peek() == Some(b'.') {
            self.at += 1;
            plain = false;
            if self.digits() == 0 {
                return Err(self.error("expected digits after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            plain = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected an exponent"));
            }
        }
        if integer == 0 {
            return Err(self.error("expected digits"));
        }
        if !plain {
            return Ok(Json::OtherNumber);
        }
        let digits = self.text.get(start..self.at).unwrap_or_default();
        digits
            .parse()
            .map(Json::Number)
            .map_err(|_| self.error("integer out of range"))
    }

    /// Skips ASCII digits; how many.
    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.text.get(self.at..self.at + word.len()) == Some(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected true, false or null"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Json, String> {
        parse(text)
    }

    #[test]
    fn the_subset_reads_as_json_does() {
        assert_eq!(
            read(
                r#" {"a" : "x\"\\\/\n\u00e9\ud83d\ude00", "b": 18446744073709551615, "c": {}, "d": true, "e": null} "#
            ),
            Ok(Json::Object(vec![
                ("a".into(), Json::String("x\"\\/\né😀".into())),
                ("b".into(), Json::Number(u64::MAX)),
                ("c".into(), Json::Object(vec![])),
                ("d".into(), Json::Bool(true)),
                ("e".into(), Json::Null),
            ]))
        );
        assert_eq!(
            read("[1, -2, 0.5e3, []]"),
            Ok(Json::Array(vec![
                Json::Number(1),
                Json::OtherNumber,
                Json::OtherNumber,
                Json::Array(vec![])
            ]))
        );
        for bad in [
            "{",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "\"\\ud83d\"",
            "18446744073709551616",
            "1.",
            "-",
            "[1,]",
            "\"a\u{1}\"",
            "{\"a\":tru}",
            "",
            "1e",
        ] {
            assert!(read(bad).is_err(), "{bad:?}");
        }
        let deep = "{\"a\":".repeat(100) + "1" + &"}".repeat(100);
        assert!(read(&deep).unwrap_err().contains("nested too deep"));
    }
}
