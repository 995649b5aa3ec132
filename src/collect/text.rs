//! Small parsers of `/proc` text that several collectors share.
//!
//! Reads: `&str` slices of files already read (nothing is read here). Emits: counters of
//! `<key> <counter>` lines (`/proc/vmstat`, `/proc/stat`) and decoded octal escapes (`\040`
//! in `/proc/swaps` and mountinfo). `/proc/<pid>/stat` has its parser in `process/stat.rs`.

/// Parses a kernel counter: decimal, at most `i64::MAX` (spec/metrics.md §7: larger values,
/// such as a transient 2^64−1, are malformed).
pub fn parse_counter(field: &str) -> Option<u64> {
    field
        .parse::<u64>()
        .ok()
        .filter(|v| i64::try_from(*v).is_ok())
}

/// The counters of `keys` in `<key> <counter>` lines (`/proc/vmstat`, the single-value lines
/// of `/proc/stat`), in `keys` order; `None` for a key the text lacks. A malformed line of a
/// wanted key leaves it `None` and is returned as `(line number, text)` (the first one).
pub fn keyed_counters<const N: usize>(
    text: &str,
    keys: [&str; N],
) -> ([Option<u64>; N], Option<(usize, String)>) {
    let mut values = [None; N];
    let mut first_bad = None;
    for (index, line) in text.lines().enumerate() {
        let mut fields = line.split_ascii_whitespace();
        let Some(key) = fields.next() else {
            continue;
        };
        let Some(slot) = keys.iter().position(|k| *k == key) else {
            continue;
        };
        match (fields.next().and_then(parse_counter), fields.next()) {
            (Some(value), None) => values[slot] = Some(value),
            _ => {
                values[slot] = None;
                first_bad.get_or_insert_with(|| {
                    (
                        index + 1,
                        format!("expected \"{key} <counter>\", found \"{line}\""),
                    )
                });
            }
        }
    }
    (values, first_bad)
}

/// One key of [`keyed_counters`]: `Ok(None)` when absent, `Err((line number, text))` when
/// its line is malformed.
pub fn keyed_counter(text: &str, key: &str) -> Result<Option<u64>, (usize, String)> {
    match keyed_counters(text, [key]) {
        (_, Some(bad)) => Err(bad),
        ([value], None) => Ok(value),
    }
}

/// Decodes the kernel's `\ooo` octal escapes of `raw` into `out` (appended): `my\040swap`
/// → `my swap`. The kernel escapes space, tab, newline and backslash this way
/// (`seq_file_path`, `mangle` in fs/proc_namespace.c), so only ASCII results are decoded;
/// anything else is kept as written.
pub fn unescape_octal(raw: &str, out: &mut String) {
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let code = after
            .get(..3)
            .filter(|d| d.bytes().all(|b| (b'0'..=b'7').contains(&b)))
            .and_then(|d| u8::from_str_radix(d, 8).ok())
            .filter(u8::is_ascii);
        match code {
            Some(byte) => {
                out.push(char::from(byte));
                rest = &after[3..];
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_above_i64_max_are_malformed() {
        assert_eq!(parse_counter("9223372036854775807"), Some(i64::MAX as u64));
        assert_eq!(parse_counter("9223372036854775808"), None);
        assert_eq!(parse_counter("18446744073709551615"), None);
        assert_eq!(parse_counter("-1"), None);
        assert_eq!(parse_counter("12a"), None);
        assert_eq!(parse_counter(""), None);
    }

    #[test]
    fn keyed_counters_take_their_keys_and_report_the_first_bad_line() {
        let vmstat = "nr_free_pages 10\npgpgin 1000\npgfault 5000\npgmajfault x\noom_kill 3 4\n";
        let (values, bad) = keyed_counters(vmstat, ["pgpgin", "pgmajfault", "pswpin"]);
        assert_eq!(values, [Some(1000), None, None]);
        assert_eq!(
            bad,
            Some((
                4,
                "expected \"pgmajfault <counter>\", found \"pgmajfault x\"".into()
            ))
        );
        assert_eq!(keyed_counter(vmstat, "pgfault"), Ok(Some(5000)));
        assert_eq!(keyed_counter(vmstat, "pswpin"), Ok(None));
        assert_eq!(keyed_counter(vmstat, "oom_kill").unwrap_err().0, 5);
        assert_eq!(keyed_counter("", "x"), Ok(None));
    }

    #[test]
    fn octal_escapes_decode_to_ascii_only() {
        let mut out = String::from("keep:");
        unescape_octal(r"/mnt/my\040disk\011x\134y\777z\04", &mut out);
        assert_eq!(out, "keep:/mnt/my disk\tx\\y\\777z\\04");
        // Not an escape, or not ASCII: kept as written.
        for raw in [
            "/x\\", "/x\\04", "/x\\089", "/x\\400", "/x\\351", "/x\\377", "/x\\q", "\\\\040",
        ] {
            out.clear();
            unescape_octal(raw, &mut out);
            let expected = if raw == "\\\\040" { "\\ " } else { raw };
            assert_eq!(out, expected, "{raw}");
        }
        out.clear();
        unescape_octal("/x\\0409", &mut out);
        assert_eq!(out, "/x 9");
    }
}
