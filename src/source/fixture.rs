//! `sysotlp-fixture.json`: the values of fixture mode that are not files (spec/metrics.md
//! §8.2), and the `statfs` and `errors` tables it answers from.
//!
//! Reads: the file's text, e.g.
//! `{"format": 1, "page_size": 4096, "clock_ticks": 100, "machine": "x86_64",
//! "now_unix_nano": 1767225600000000000, "statfs": {"/": {"bsize": 4096, …}, "/boot":
//! {"errno": "EACCES"}, "/mnt/nas": {"hang": true}}, "errors": {"proc/1/io": "EACCES"}}`.
//! Emits: `FixtureFile`, or one line saying what is wrong and where (read with our small
//! `crate::json`: serde_json cost ~40 KB of a binary that must stay under 2 MB). Keys this
//! version does not know are skipped.

use super::FsStats;
use crate::json::{self, Json, get};
use std::collections::BTreeMap;

/// The fixture file, validated.
#[derive(Debug)]
pub(super) struct FixtureFile {
    pub page_size: u64,
    pub clock_ticks: u64,
    pub machine: String,
    pub now_unix_nano: Option<u64>,
    pub statfs: BTreeMap<String, FixtureStatfs>,
    /// Files (relative to the root) whose reads fail with this errno name: what root cannot
    /// get from file modes (root reads a mode-000 file), e.g. another user's `proc/123/io` →
    /// `EACCES` (spec/metrics.md §9.15).
    pub errors: BTreeMap<String, String>,
}

/// One mount point's answer in the fixture: numbers, an errno name, or a hang.
#[derive(Debug, Clone)]
pub(super) enum FixtureStatfs {
    Stats(FsStats),
    Errno(String),
    Hang(bool),
}

pub(super) fn parse(text: &str) -> Result<FixtureFile, String> {
    let Json::Object(fields) = json::parse(text)? else {
        return Err("expected an object".to_string());
    };
    let format = number(&fields, "format")?;
    if format != Some(1) {
        return Err(match format {
            Some(n) => format!("format {n} is not supported (expected 1)"),
            None => "missing field \"format\"".to_string(),
        });
    }
    let required = |key: &str| number(&fields, key)?.ok_or(format!("missing field \"{key}\""));
    let (page_size, clock_ticks) = (required("page_size")?, required("clock_ticks")?);
    if clock_ticks == 0 || page_size == 0 {
        return Err("clock_ticks and page_size must be positive".to_string());
    }
    let machine = match get(&fields, "machine") {
        Some(Json::String(machine)) => machine.clone(),
        _ => return Err("missing field \"machine\" (a string)".to_string()),
    };
    let mut statfs = BTreeMap::new();
    for (mountpoint, answer) in object(&fields, "statfs")? {
        statfs.insert(mountpoint.clone(), statfs_answer(mountpoint, answer)?);
    }
    let mut errors = BTreeMap::new();
    for (path, errno) in object(&fields, "errors")? {
        let Json::String(errno) = errno else {
            return Err(format!("errors.{path}: expected an errno name"));
        };
        errors.insert(path.clone(), errno.clone());
    }
    Ok(FixtureFile {
        page_size,
        clock_ticks,
        machine,
        now_unix_nano: number(&fields, "now_unix_nano")?,
        statfs,
        errors,
    })
}

/// An unsigned integer field; absent or null is `None`.
fn number(fields: &[(String, Json)], key: &str) -> Result<Option<u64>, String> {
    match get(fields, key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => Ok(Some(*n)),
        Some(_) => Err(format!("field \"{key}\": expected an unsigned integer")),
    }
}

/// An object field; absent is empty.
fn object<'a>(fields: &'a [(String, Json)], key: &str) -> Result<&'a [(String, Json)], String> {
    match get(fields, key) {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Object(members)) => Ok(members),
        Some(_) => Err(format!("field \"{key}\": expected an object")),
    }
}

fn statfs_answer(mountpoint: &str, answer: &Json) -> Result<FixtureStatfs, String> {
    let Json::Object(fields) = answer else {
        return Err(format!("statfs.{mountpoint}: expected an object"));
    };
    match (get(fields, "errno"), get(fields, "hang")) {
        (Some(Json::String(errno)), _) => return Ok(FixtureStatfs::Errno(errno.clone())),
        (_, Some(Json::Bool(hang))) => return Ok(FixtureStatfs::Hang(*hang)),
        _ => {}
    }
    let field = |key: &str| {
        number(fields, key).ok().flatten().ok_or(format!(
            "statfs.{mountpoint}: expected {key} (or errno, or hang)"
        ))
    };
    Ok(FixtureStatfs::Stats(FsStats {
        bsize: field("bsize")?,
        frsize: field("frsize")?,
        blocks: field("blocks")?,
        bfree: field("bfree")?,
        bavail: field("bavail")?,
        files: field("files")?,
        ffree: field("ffree")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_fields_statfs_answers_and_errors() {
        let f = parse(
            r#"{"format": 1, "page_size": 4096, "clock_ticks": 100, "machine": "aarch64",
                "now_unix_nano": 1767225600000000000, "comment": {"ignored": [1.5, -2]},
                "statfs": {"/": {"bsize": 4096, "frsize": 512, "blocks": 9, "bfree": 5,
                                 "bavail": 4, "files": 3, "ffree": 2},
                           "/boot": {"errno": "EACCES"}, "/mnt/nas": {"hang": true}},
                "errors": {"proc/1/io": "EACCES"}}"#,
        )
        .unwrap();
        assert_eq!(
            (f.page_size, f.clock_ticks, f.machine.as_str()),
            (4096, 100, "aarch64")
        );
        assert_eq!(f.now_unix_nano, Some(1_767_225_600_000_000_000));
        assert!(matches!(
            f.statfs["/"],
            FixtureStatfs::Stats(FsStats { frsize: 512, .. })
        ));
        assert!(matches!(&f.statfs["/boot"], FixtureStatfs::Errno(e) if e == "EACCES"));
        assert!(matches!(f.statfs["/mnt/nas"], FixtureStatfs::Hang(true)));
        assert_eq!(f.errors["proc/1/io"], "EACCES");
        let err = |text: &str| parse(text).unwrap_err();
        assert_eq!(
            err(r#"{"format": 1, "page_size": 4096, "machine": "x"}"#),
            "missing field \"clock_ticks\""
        );
        assert_eq!(
            err(
                r#"{"format": 1, "page_size": 1, "clock_ticks": 1, "machine": "x", "statfs": {"/": {"bsize": 1}}}"#
            ),
            "statfs./: expected frsize (or errno, or hang)"
        );
        assert_eq!(
            err("{\"format\": 1} x"),
            "unexpected text after the value at byte 14"
        );
    }
}
