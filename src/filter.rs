//! Include/exclude filters on device, interface, mount point and file system type names.
//!
//! Reads: patterns from flags (`--disk-exclude re:^loop`) or `SYSOTLP_<FLAG>` variables
//! (spec/metrics.md §6.1): a strict name, or `re:` + a regex (regex-lite, unanchored like
//! upstream's `regexp` match type: anchor with `^…$`). Emits: whether a name is kept.
//! Exclude wins; an empty include list keeps everything.

use regex_lite::{Regex, RegexBuilder};

/// Longest `re:` pattern: names are at most a path long, and a pattern that matches them
/// needs far less.
pub const MAX_REGEX_BYTES: usize = 1024;
/// Largest compiled program of one regex.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// One pattern.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// The whole name, exactly.
    Exact(String),
    /// An unanchored regex match anywhere in the name.
    Regex(Regex),
}

impl Pattern {
    /// Parses `re:<regex>` or an exact name; the error is regex-lite's message. A regex is
    /// at most [`MAX_REGEX_BYTES`] long and compiles to at most [`REGEX_SIZE_LIMIT`] (the
    /// fuzz harness found a 30 KB pattern holding 5 MB of heap).
    pub fn parse(text: &str) -> Result<Pattern, String> {
        match text.strip_prefix("re:") {
            Some(re) if re.len() > MAX_REGEX_BYTES => Err(format!(
                "a regex of at most {MAX_REGEX_BYTES} bytes (this one has {})",
                re.len()
            )),
            Some(re) => RegexBuilder::new(re)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map(Pattern::Regex)
                .map_err(|e| e.to_string()),
            None => Ok(Pattern::Exact(text.to_string())),
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::Exact(exact) => exact == name,
            Pattern::Regex(re) => re.is_match(name),
        }
    }

    /// True for the exact keyword `word` (e.g. `physical` for file system types).
    pub fn is_keyword(&self, word: &str) -> bool {
        matches!(self, Pattern::Exact(exact) if exact == word)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        match (self, other) {
            (Pattern::Exact(a), Pattern::Exact(b)) => a == b,
            (Pattern::Regex(a), Pattern::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl Eq for Pattern {}

/// An include list and an exclude list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub include: Vec<Pattern>,
    pub exclude: Vec<Pattern>,
}

impl Filter {
    /// Whether `name` is kept.
    pub fn allows(&self, name: &str) -> bool {
        self.allows_with(name, |_| false)
    }

    /// Like `allows`, with `keyword` deciding include patterns that are keywords (a pattern
    /// for which `keyword` returns true matches).
    pub fn allows_with(&self, name: &str, keyword: impl Fn(&Pattern) -> bool) -> bool {
        let included =
            self.include.is_empty() || self.include.iter().any(|p| keyword(p) || p.matches(name));
        included && !self.exclude.iter().any(|p| p.matches(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> Filter {
        let parse = |list: &[&str]| list.iter().map(|p| Pattern::parse(p).unwrap()).collect();
        Filter {
            include: parse(include),
            exclude: parse(exclude),
        }
    }

    #[test]
    fn exact_names_are_whole_names() {
        let f = filter(&["sda"], &[]);
        assert!(f.allows("sda"));
        assert!(!f.allows("sda1"));
    }

    #[test]
    fn regexes_are_unanchored_and_exclude_wins() {
        let f = filter(&["re:^sd"], &["re:[0-9]$"]);
        assert!(f.allows("sda"));
        assert!(!f.allows("sda1"));
        assert!(!f.allows("nvme0n1"));
        let default_disk = filter(&[], &[r"re:^(z?ram|loop|fd)\d+$"]);
        for kept in ["sda", "nvme0n1p1", "mmcblk0", "dm-0", "loopy"] {
            assert!(default_disk.allows(kept), "{kept}");
        }
        for dropped in ["loop0", "ram15", "zram0", "fd0"] {
            assert!(!default_disk.allows(dropped), "{dropped}");
        }
        assert!(filter(&[], &["re:veth"]).allows("eth0"));
        assert!(
            !filter(&[], &["re:veth"]).allows("myveth1"),
            "unanchored, as upstream"
        );
    }

    #[test]
    fn keywords_are_decided_by_the_caller() {
        let f = filter(&["physical", "tmpfs"], &["squashfs"]);
        assert!(f.allows_with("ext4", |p| p.is_keyword("physical")));
        assert!(f.allows("tmpfs"));
        assert!(!f.allows("ext4"));
        assert!(
            !f.allows_with("squashfs", |p| p.is_keyword("physical")),
            "exclude wins over physical"
        );
    }

    #[test]
    fn bad_regex_is_an_error() {
        assert!(Pattern::parse("re:(unclosed").is_err());
    }

    #[test]
    fn issue_10_huge_regexes_are_refused() {
        let long = format!("re:^{}$", "a".repeat(MAX_REGEX_BYTES));
        assert_eq!(
            Pattern::parse(&long).unwrap_err(),
            format!(
                "a regex of at most 1024 bytes (this one has {})",
                MAX_REGEX_BYTES + 2
            )
        );
        // Short, but a program far beyond the size limit: 100,000 states, over it on 32-bit
        // targets too, whose states take half the bytes (10,000 fit there: test-cross-unit).
        assert!(Pattern::parse("re:(a{100}){1000}").is_err());
        assert!(Pattern::parse("re:^(z?ram|loop|fd)\\d+$").is_ok());
    }
}
