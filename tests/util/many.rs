//! A fixture tree of many processes: `fixtures/process` with `n` more copies of its process
//! 31996 (a comm with `) (` and a newline) under PIDs 40000 and up, for the batches in which
//! `process` sends a tick's resources (`process::BATCH`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// First PID of the copies.
pub const FIRST_COPY: u32 = 40_000;

/// `<dir>/root`: the tree, made afresh.
pub fn many_processes(dir: &Path, n: u32) -> PathBuf {
    let root = dir.join("root");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(dir).expect("scratch dir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/process");
    copy(&fixture, &root);
    let template = root.join("proc/31996");
    let stat = std::fs::read(template.join("stat")).expect("31996/stat");
    let rest = stat
        .strip_prefix(b"31996 ")
        .expect("a stat starts with its PID");
    for pid in FIRST_COPY..FIRST_COPY + n {
        let to = root.join(format!("proc/{pid}"));
        copy(&template, &to);
        let mut text = format!("{pid} ").into_bytes();
        text.extend_from_slice(rest);
        std::fs::write(to.join("stat"), text).expect("write stat");
    }
    root
}

/// `cp -a`: the tree's symlinks (`exe`) stay symlinks.
fn copy(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("run cp");
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}
