//! The small pieces of the text format: blanks, tokens, names, quoted values, escapes and
//! sample values (prometheus/docs `exposition_formats.md`, "Text format details").
//!
//! Reads: slices of one line. Emits: tokens, checked names, spans, unescaped strings.

use super::Text;

pub fn span(at: usize, len: usize) -> Text {
    // `parse` refused files of 4 GiB and more, so offsets fit a u32.
    Text::File(at as u32, (at + len) as u32)
}

pub fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

pub fn split_token(text: &str) -> (&str, &str) {
    let end = text.find(is_blank).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

pub fn first_word(text: &str) -> &str {
    let word = split_token(text).0;
    word.get(..40).unwrap_or(word)
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
pub fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Index of the `"` that closes a label value (escapes skipped).
pub fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Some(i),
            _ => {}
        }
    }
    None
}

/// `text` as a span of the file when it has no escape, else unescaped into `out`. Label
/// values (`quoted`) take `\\`, `\"`, `\n`; HELP takes `\\` and `\n` (a `\"` stays).
pub fn unescape(text: &str, at: usize, quoted: bool, out: &mut String) -> Result<Text, String> {
    if !text.contains('\\') {
        return Ok(span(at, text.len()));
    }
    let start = out.len();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if quoted => out.push('"'),
            Some(other) if !quoted => {
                out.push('\\');
                out.push(other);
            }
            Some(other) => return Err(format!("invalid escape \\{other}")),
            None if quoted => return Err("a value ends in a backslash".into()),
            None => out.push('\\'),
        }
    }
    // Bounded by the file's size, which fits a u32.
    Ok(Text::Unescaped(start as u32, out.len() as u32))
}

/// A sample value: a float, `NaN`, `+Inf`, `-Inf` (Go's `strconv.ParseFloat` spellings).
pub fn parse_value(text: &str) -> Option<f64> {
    match text {
        "" => None,
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ if text
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
        {
            None
        }
        _ => text.parse::<f64>().ok(),
    }
}
