//! The one start-up error: what `main` prints before exiting 2.
//!
//! Reads: nothing. Emits: `ConfigError`, which names the flag, variable or file, quotes the
//! value (never a header value) and says what was expected (STYLE.md §3, exporter spec §1.1).

use std::fmt;

/// A configuration problem that stops start-up (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `source` (a flag or variable) has an unusable value. `value` is `None` where
    /// quoting it could leak a secret (headers).
    Invalid {
        source: String,
        value: Option<String>,
        expected: String,
    },
    /// Two flags that cannot be given together.
    Conflict(&'static str, &'static str),
    /// A file named by `source` (a flag or variable) cannot be used.
    File {
        source: String,
        path: String,
        problem: String,
    },
}

impl ConfigError {
    pub fn invalid(source: &str, value: &str, expected: impl Into<String>) -> Self {
        ConfigError::Invalid {
            source: source.to_string(),
            value: Some(value.to_string()),
            expected: expected.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid {
                source,
                value: Some(value),
                expected,
            } => {
                write!(
                    f,
                    "invalid value \"{}\" for {source}: expected {expected}",
                    Quoted(value)
                )
            }
            ConfigError::Invalid {
                source,
                value: None,
                expected,
            } => {
                write!(f, "invalid value for {source}: expected {expected}")
            }
            ConfigError::Conflict(a, b) => {
                write!(f, "{a} and {b} cannot be used together: give one")
            }
            ConfigError::File {
                source,
                path,
                problem,
            } => write!(f, "{source} \"{}\": {problem}", Quoted(path)),
        }
    }
}

/// A quoted value with its control characters escaped (`\n`, `\u{1}`): the message stays
/// one line, whatever was typed.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}
