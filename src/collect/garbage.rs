//! Garbage-in inputs for parser tests (test builds only).
//!
//! Reads: a real kernel file's text. Emits: damaged versions of it: cut at every line
//! boundary and at every byte of the first lines, with fields swapped for huge, negative
//! or empty values, and seeded random bytes (lossily decoded, as `read_into` would refuse
//! non-UTF-8 anyway). Parsers must return an error or partial output, never panic.

/// Calls `parse` on every damaged variant of `text`.
pub fn for_each_variant(text: &str, mut parse: impl FnMut(&str)) {
    // Cut at every line boundary and inside the first 512 bytes at every char boundary.
    for (i, _) in text.match_indices('\n') {
        parse(&text[..i]);
        parse(&text[..=i]);
    }
    for i in (0..text.len().min(512)).filter(|i| text.is_char_boundary(*i)) {
        parse(&text[..i]);
    }
    // Every field of every line (first 64 lines) replaced by a hostile value.
    for hostile in [
        "18446744073709551616",
        "99999999999999999999999999",
        "-1",
        "",
        "NaN",
        "1e309",
        "\u{fffd}",
        "0x10",
    ] {
        for (n, line) in text.lines().take(64).enumerate() {
            for field in line.split_whitespace() {
                let damaged_line = line.replacen(field, hostile, 1);
                let damaged: String = text
                    .lines()
                    .enumerate()
                    .map(|(m, l)| if m == n { damaged_line.as_str() } else { l })
                    .collect::<Vec<_>>()
                    .join("\n");
                parse(&damaged);
            }
        }
    }
    // Seeded random bytes: overwrite, insert, and pure noise.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..200 {
        let mut bytes = text.as_bytes().to_vec();
        for _ in 0..1 + next() % 8 {
            let at = (next() as usize) % (bytes.len() + 1);
            let byte = next() as u8;
            if next() % 2 == 0 && at < bytes.len() {
                bytes[at] = byte;
            } else {
                bytes.insert(at, byte);
            }
        }
        parse(&String::from_utf8_lossy(&bytes));
        let noise: Vec<u8> = (0..next() % 300).map(|_| next() as u8).collect();
        parse(&String::from_utf8_lossy(&noise));
    }
    parse(&"x".repeat(100_000));
    parse(&"1 ".repeat(50_000));
}
