//! The disk spool: undelivered batches survive `kill -9`, power loss and restarts.
//!
//! Reads/writes: `<dir>/<seq:016x>.otlp` files, `<dir>/tmp/` (writes in progress),
//! `<dir>/corrupt/` (quarantine, newest 10 kept); `<dir>` itself is flock'ed (one agent per
//! directory; a lock file could be unlinked from under us). A batch never replaces a file:
//! sequence numbers that exist are skipped, and renumbered at start before they could wrap.
//! Emits: the batches found at start (oldest first) and each body on demand, so memory holds
//! only ~32 bytes per spooled batch (exporter spec §3.3).
//! File layout, little-endian: magic `SOTLPSP1`, version u8 = 1, encoding u8 (0 none, 1 gzip),
//! body format u8 (0 protobuf, 1 OTLP/JSON; 0 in files of earlier versions), reserved u8,
//! points u32, created unix-nanos u64, body length u32, CRC-32 of the body u32,
//! then the body. A write is `tmp/<seq>.tmp`, fsync, rename, fsync of the directory; a
//! file is unlinked after acknowledgement (one resurrected by power loss is a duplicate).

use super::BodyFormat;
use crate::report::Once;
use crate::source::open_file;
use flate2::Crc;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"SOTLPSP1";
const VERSION: u8 = 1;
const HEADER_LEN: usize = 32;
const KEEP_CORRUPT: usize = 10;

/// What a spool file says of its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpoolEntry {
    pub seq: u64,
    pub format: BodyFormat,
    pub points: u32,
    pub created_unix_nano: u64,
    /// Body length in bytes.
    pub len: u32,
}

/// Why a spooled body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadFailure {
    /// The file is damaged or gone: quarantine it.
    Corrupt(String),
    /// The read failed for now: keep the file and retry later.
    Io(String),
}

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFailure::Corrupt(why) | ReadFailure::Io(why) => f.write_str(why),
        }
    }
}

/// A start-up problem with the spool directory (exit 2).
#[derive(Debug)]
pub enum SpoolError {
    Unusable(PathBuf, io::Error),
    Locked(PathBuf),
}

impl fmt::Display for SpoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpoolError::Unusable(path, e) => {
                write!(f, "unusable --spool-dir \"{}\": {e}", path.display())
            }
            SpoolError::Locked(path) => {
                write!(
                    f,
                    "unusable --spool-dir \"{}\": locked by another sysotlp process",
                    path.display()
                )
            }
        }
    }
}

/// The spool directory, locked for this process.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    tmp: PathBuf,
    corrupt: PathBuf,
    /// The directory itself, open: flock'ed (a lock file could be deleted from under us,
    /// letting a second agent in) and fsync'ed after each rename.
    handle: File,
    bytes: u64,
    unlink_warned: Once,
}

/// Sequence numbers above this are renumbered at start, so that counting up never wraps
/// (2^63 more batches cannot happen).
const RENUMBER_ABOVE: u64 = 1 << 63;

impl Spool {
    /// Creates (0700, saying so) and locks `dir`, clears `tmp/`, and indexes the batches
    /// left by an earlier run, oldest first; damaged ones go to `corrupt/`.
    pub fn open(dir: &Path) -> Result<(Spool, Vec<SpoolEntry>), SpoolError> {
        let unusable = |e: io::Error| match e.kind() {
            // `mkdir` of a path that is a file, or has one on the way.
            io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory => SpoolError::Unusable(
                dir.to_path_buf(),
                io::Error::new(e.kind(), "not a directory"),
            ),
            _ => SpoolError::Unusable(dir.to_path_buf(), e),
        };
        let existed = dir.is_dir();
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true).mode(0o700);
        for sub in ["", "tmp", "corrupt"] {
            builder.create(dir.join(sub)).map_err(unusable)?;
        }
        if !existed {
            log::info!("created --spool-dir {} (mode 0700)", dir.display());
        }
        let handle = File::open(dir).map_err(unusable)?;
        if rustix::fs::flock(
            &handle,
            rustix::fs::FlockOperation::NonBlockingLockExclusive,
        )
        .is_err()
        {
            return Err(SpoolError::Locked(dir.to_path_buf()));
        }
        // Probe writability now rather than at the first outage.
        let probe = dir.join("tmp/probe.tmp");
        File::create(&probe)
            .and_then(|mut f| f.write_all(b"x"))
            .map_err(unusable)?;
        let _ = fs::remove_file(&probe);
        for entry in fs::read_dir(dir.join("tmp")).map_err(unusable)?.flatten() {
            let _ = fs::remove_file(entry.path());
        }
        let mut spool = Spool {
            dir: dir.to_path_buf(),
            tmp: dir.join("tmp"),
            corrupt: dir.join("corrupt"),
            handle,
            bytes: 0,
            unlink_warned: Once::default(),
        };
        let mut seqs = Vec::new();
        for entry in fs::read_dir(dir).map_err(unusable)?.flatten() {
            let name = entry.file_name();
            match name.to_str().and_then(parse_name) {
                Some(seq) => seqs.push(seq),
                None if name.to_str().is_some_and(|n| n.ends_with(".otlp")) => log::warn!(
                    "ignoring {} in the spool: not a name sysotlp writes (16 hex digits .otlp)",
                    entry.path().display()
                ),
                None => {}
            }
        }
        seqs.sort_unstable();
        if seqs.last().is_some_and(|last| *last > RENUMBER_ABOVE) {
            seqs = spool.renumber(&seqs);
        }
        let mut entries = Vec::with_capacity(seqs.len());
        for seq in seqs {
            match spool.read_header(seq) {
                Ok(entry) => {
                    spool.bytes += HEADER_LEN as u64 + u64::from(entry.len);
                    entries.push(entry);
                }
                Err(reason) => spool.quarantine(seq, None, &reason),
            }
        }
        Ok((spool, entries))
    }

    /// Renames the files of `seqs` (sorted) to 1, 2, 3… in the same order; returns the new
    /// numbers of those that moved (a file that cannot be renamed is left out, and stays).
    /// Each target is free: every earlier file has moved below it, every later one is above.
    fn renumber(&mut self, seqs: &[u64]) -> Vec<u64> {
        let base = u64::from(seqs.first().is_some_and(|first| *first > 0));
        let mut kept = Vec::with_capacity(seqs.len());
        for (new, old) in (base..).zip(seqs) {
            if new == *old || rename_new(&self.path(*old), &self.path(new)).is_ok() {
                kept.push(new);
            }
        }
        log::info!(
            "spool sequence numbers reached {:x}: renumbered {} batches from {base}",
            seqs.last().copied().unwrap_or_default(),
            kept.len()
        );
        let _ = self.handle.sync_all();
        kept
    }

    /// Bytes of all spooled files.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:016x}.otlp"))
    }

    /// Writes one batch atomically, under `entry.seq` or, if a file of that number exists
    /// (a second writer, a file restored by hand), the next free number: `entry.seq` is
    /// updated. An existing batch is never replaced.
    pub fn write(&mut self, entry: &mut SpoolEntry, body: &[u8]) -> io::Result<()> {
        let tmp = self.tmp.join(format!("{:016x}.tmp", entry.seq));
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)?;
        let written = file
            .write_all(&header(entry, body))
            .and_then(|()| file.write_all(body))
            .and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        let mut tries = 0;
        loop {
            match rename_new(&tmp, &self.path(entry.seq)) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 64 => {
                    tries += 1;
                    entry.seq = entry.seq.saturating_add(1);
                }
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(e);
                }
            }
        }
        self.bytes += HEADER_LEN as u64 + body.len() as u64;
        // The file is in place: a failed directory fsync only weakens power-loss safety, and
        // must not make the caller keep a second copy in memory (it would be sent twice).
        if let Err(e) = self.handle.sync_all() {
            log::debug!("fsync of {}: {e}", self.dir.display());
        }
        Ok(())
    }

    /// Reads the body of `entry` into `body`. `Corrupt` (bad magic, version, length, CRC, a
    /// short read, a vanished file) means the file must go; `Io` (EIO, EMFILE, EACCES) may pass.
    pub fn read(&self, entry: &SpoolEntry, body: &mut Vec<u8>) -> Result<(), ReadFailure> {
        let mut file = open_file(&self.path(entry.seq)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ReadFailure::Corrupt("file vanished".into()),
            io::ErrorKind::InvalidInput => ReadFailure::Corrupt(e.to_string()),
            _ => ReadFailure::Io(e.to_string()),
        })?;
        let mut head = [0u8; HEADER_LEN];
        file.read_exact(&mut head)
            .map_err(|_| ReadFailure::Corrupt("short header".into()))?;
        let (found, crc) = parse_header(entry.seq, &head).map_err(ReadFailure::Corrupt)?;
        if found != *entry {
            return Err(ReadFailure::Corrupt("header changed since start".into()));
        }
        body.clear();
        file.take(u64::from(entry.len) + 1)
            .read_to_end(body)
            .map_err(|e| ReadFailure::Io(e.to_string()))?;
        if body.len() != entry.len as usize {
            return Err(ReadFailure::Corrupt(format!(
                "body is {} bytes, header says {}",
                body.len(),
                entry.len
            )));
        }
        let mut check = Crc::new();
        check.update(body);
        if check.sum() != crc {
            return Err(ReadFailure::Corrupt("CRC mismatch".into()));
        }
        Ok(())
    }

    /// Deletes a delivered (or dropped) batch.
    pub fn remove(&mut self, entry: &SpoolEntry) {
        self.bytes = self
            .bytes
            .saturating_sub(HEADER_LEN as u64 + u64::from(entry.len));
        if let Err(e) = fs::remove_file(self.path(entry.seq)) {
            if self.unlink_warned.first() {
                log::warn!(
                    "cannot delete delivered spool file {} ({e}); it will be sent again after a restart",
                    self.path(entry.seq).display()
                );
            }
        }
    }

    /// Moves a damaged file to `corrupt/` (keeping the newest 10) with one WARN. `counted`:
    /// the entry whose bytes this spool accounts for (none for a file found damaged at start).
    pub fn quarantine(&mut self, seq: u64, counted: Option<&SpoolEntry>, reason: &str) {
        let path = self.path(seq);
        if let Some(entry) = counted {
            self.bytes = self
                .bytes
                .saturating_sub(HEADER_LEN as u64 + u64::from(entry.len));
        }
        log::warn!(
            "spool file {} is damaged ({reason}); moved to {}",
            path.display(),
            self.corrupt.display()
        );
        // Named by quarantine time, so "newest 10" is by arrival, not by sequence number
        // (which restarts with an empty spool).
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        if fs::rename(
            &path,
            self.corrupt.join(format!("{stamp:024}-{seq:016x}.otlp")),
        )
        .is_err()
        {
            let _ = fs::remove_file(&path);
        }
        let mut kept: Vec<PathBuf> = fs::read_dir(&self.corrupt)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        kept.sort();
        let excess = kept.len().saturating_sub(KEEP_CORRUPT);
        for old in kept.into_iter().take(excess) {
            let _ = fs::remove_file(old);
        }
    }

    fn read_header(&self, seq: u64) -> Result<SpoolEntry, String> {
        let mut file = open_file(&self.path(seq)).map_err(|e| e.to_string())?;
        let mut head = [0u8; HEADER_LEN];
        file.read_exact(&mut head)
            .map_err(|_| "short header".to_string())?;
        let (entry, _) = parse_header(seq, &head)?;
        let size = file.metadata().map_err(|e| e.to_string())?.len();
        if size != HEADER_LEN as u64 + u64::from(entry.len) {
            return Err(format!(
                "file is {size} bytes, header says {}",
                HEADER_LEN as u64 + u64::from(entry.len)
            ));
        }
        Ok(entry)
    }
}

/// The sequence number of a spool file name: exactly 16 lower-case hex digits and `.otlp`,
/// as `Spool::path` writes it (`00000000000000001.otlp` would name a file that is not there).
pub fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".otlp")?;
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if digits.len() != 16 || !digits.bytes().all(hex) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// Renames `from` to `to` unless `to` exists (`AlreadyExists` then): `renameat2`'s
/// `RENAME_NOREPLACE`, or a hard link and an unlink where the file system lacks it.
fn rename_new(from: &Path, to: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
            fs::hard_link(from, to)?;
            fs::remove_file(from)
        }
        other => Ok(other?),
    }
}

fn header(entry: &SpoolEntry, body: &[u8]) -> [u8; HEADER_LEN] {
    let mut crc = Crc::new();
    crc.update(body);
    let mut head = [0u8; HEADER_LEN];
    head[..8].copy_from_slice(MAGIC);
    head[8] = VERSION;
    head[9] = u8::from(entry.format.gzip);
    head[10] = u8::from(entry.format.json);
    head[12..16].copy_from_slice(&entry.points.to_le_bytes());
    head[16..24].copy_from_slice(&entry.created_unix_nano.to_le_bytes());
    head[24..28].copy_from_slice(&(body.len() as u32).to_le_bytes());
    head[28..32].copy_from_slice(&crc.sum().to_le_bytes());
    head
}

/// The entry and CRC of a header; an error says what is wrong.
fn parse_header(seq: u64, head: &[u8; HEADER_LEN]) -> Result<(SpoolEntry, u32), String> {
    let u32_at = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    if &head[..8] != MAGIC {
        return Err("bad magic".into());
    }
    if head[8] != VERSION {
        return Err(format!("version {} is not 1", head[8]));
    }
    let gzip = match head[9] {
        0 => false,
        1 => true,
        other => return Err(format!("unknown encoding {other}")),
    };
    let json = match head[10] {
        0 => false,
        1 => true,
        other => return Err(format!("unknown body format {other}")),
    };
    let mut created = [0u8; 8];
    created.copy_from_slice(&head[16..24]);
    let entry = SpoolEntry {
        seq,
        format: BodyFormat { json, gzip },
        points: u32_at(12),
        created_unix_nano: u64::from_le_bytes(created),
        len: u32_at(24),
    };
    Ok((entry, u32_at(28)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sysotlp-spool-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn entry(seq: u64, body: &[u8]) -> SpoolEntry {
        SpoolEntry {
            seq,
            format: BodyFormat {
                json: seq % 3 == 1,
                gzip: seq % 2 == 1,
            },
            points: 20u32.wrapping_add(seq as u32),
            created_unix_nano: 1_767_225_600_000_000_000u64.wrapping_add(seq),
            len: body.len() as u32,
        }
    }

    #[test]
    fn batches_survive_a_restart_in_order() {
        let d = dir("restart");
        {
            let (mut spool, found) = Spool::open(&d).unwrap();
            assert!(found.is_empty());
            for seq in [3u64, 1, 2] {
                let body = vec![seq as u8; 100 + seq as usize];
                spool.write(&mut entry(seq, &body), &body).unwrap();
            }
            assert_eq!(spool.bytes(), 3 * 32 + 306);
        }
        fs::write(d.join("tmp/00000000000000ff.tmp"), b"half written").unwrap();
        let (spool, found) = Spool::open(&d).unwrap();
        assert_eq!(found.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(found[0], entry(1, &[1; 101]));
        let mut body = Vec::new();
        spool.read(&found[2], &mut body).unwrap();
        assert_eq!(body, vec![3u8; 103]);
        assert_eq!(
            fs::read_dir(d.join("tmp")).unwrap().count(),
            0,
            "stale .tmp removed"
        );
    }

    #[test]
    fn a_second_process_cannot_take_the_lock() {
        let d = dir("lock");
        let _first = Spool::open(&d).unwrap();
        // flock locks belong to the open file description: a second open conflicts even in
        // the same process, as a second agent would.
        assert!(matches!(Spool::open(&d), Err(SpoolError::Locked(_))));
    }

    #[test]
    fn damaged_files_are_quarantined() {
        let d = dir("corrupt");
        {
            let (mut spool, _) = Spool::open(&d).unwrap();
            for seq in 1..=3u64 {
                let body = vec![7u8; 50];
                spool.write(&mut entry(seq, &body), &body).unwrap();
            }
        }
        // Flip a body byte of 2, truncate 3.
        let p2 = d.join(format!("{:016x}.otlp", 2));
        let mut bytes = fs::read(&p2).unwrap();
        bytes[40] ^= 0xff;
        fs::write(&p2, bytes).unwrap();
        let p3 = d.join(format!("{:016x}.otlp", 3));
        let bytes = fs::read(&p3).unwrap();
        fs::write(&p3, &bytes[..40]).unwrap();
        let (mut spool, found) = Spool::open(&d).unwrap();
        assert_eq!(
            found.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2],
            "3 is truncated: quarantined at start"
        );
        let mut body = Vec::new();
        assert_eq!(
            spool.bytes(),
            2 * (32 + 50),
            "the truncated file was never counted"
        );
        assert_eq!(
            spool.read(&found[1], &mut body),
            Err(ReadFailure::Corrupt("CRC mismatch".into()))
        );
        spool.quarantine(2, Some(&found[1]), "CRC mismatch");
        let quarantined: Vec<String> = fs::read_dir(d.join("corrupt"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(quarantined.len(), 2);
        assert!(
            quarantined
                .iter()
                .any(|n| n.ends_with(&format!("-{:016x}.otlp", 2)))
        );
        assert!(
            quarantined
                .iter()
                .any(|n| n.ends_with(&format!("-{:016x}.otlp", 3)))
        );
        spool.read(&found[0], &mut body).unwrap();
        spool.remove(&found[0]);
        assert_eq!(spool.bytes(), 0);
    }

    fn names(d: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(d)
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_file() || e.file_type().is_ok_and(|t| t.is_fifo()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn issue_10_sequence_numbers_near_the_top_are_renumbered_not_wrapped() {
        let d = dir("wrap");
        {
            let (mut spool, _) = Spool::open(&d).unwrap();
            for (seq, fill) in [(u64::MAX - 1, 1u8), (u64::MAX, 2)] {
                let body = vec![fill; 10];
                spool.write(&mut entry(seq, &body), &body).unwrap();
            }
        }
        let (spool, found) = Spool::open(&d).unwrap();
        assert_eq!(found.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
        let mut q = crate::export::queue::Queue::new(1 << 20, Some((spool, found)), 1 << 20);
        q.push(
            &[3; 10],
            BodyFormat::default(),
            1,
            3,
            std::time::Instant::now(),
        );
        q.push(
            &[4; 10],
            BodyFormat::default(),
            1,
            4,
            std::time::Instant::now(),
        );
        assert_eq!(
            names(&d),
            [
                "0000000000000001.otlp",
                "0000000000000002.otlp",
                "0000000000000003.otlp",
                "0000000000000004.otlp"
            ]
        );
        for fill in 1..=4u8 {
            assert_eq!(q.head().unwrap().unwrap().1, &[fill; 10][..]);
            q.pop();
        }
    }

    #[test]
    fn issue_10_a_number_that_exists_on_disk_is_never_reused() {
        let d = dir("noreuse");
        let (mut spool, _) = Spool::open(&d).unwrap();
        let planted = vec![9u8; 5];
        spool.write(&mut entry(7, &planted), &planted).unwrap();
        let body = vec![1u8; 5];
        let mut e = entry(7, &body);
        spool.write(&mut e, &body).unwrap();
        assert_eq!(e.seq, 8, "7 exists: the next free number");
        let mut back = Vec::new();
        spool.read(&entry(7, &planted), &mut back).unwrap();
        assert_eq!(back, planted, "the batch on disk is intact");
    }

    #[test]
    fn issue_10_the_lock_is_the_directory_itself() {
        let d = dir("dirlock");
        let _first = Spool::open(&d).unwrap();
        // Whatever file an operator deletes, the second opener is refused.
        for entry in fs::read_dir(&d).unwrap().flatten() {
            if entry.path().is_file() {
                fs::remove_file(entry.path()).unwrap();
            }
        }
        assert!(matches!(Spool::open(&d), Err(SpoolError::Locked(_))));
    }

    #[test]
    fn issue_10_foreign_names_are_left_alone_and_fifos_quarantined() {
        let d = dir("foreign");
        {
            let (mut spool, _) = Spool::open(&d).unwrap();
            let body = vec![1u8; 5];
            spool.write(&mut entry(1, &body), &body).unwrap();
        }
        // 17 digits: 1 once parsed, then "damaged (No such file…)" for 0000000000000001.otlp.
        fs::write(d.join("00000000000000001.otlp"), b"not ours").unwrap();
        fs::write(d.join("000000000000000A.otlp"), b"not ours").unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            d.join("0000000000000005.otlp"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let (_spool, found) = Spool::open(&d).unwrap();
        assert_eq!(found.iter().map(|e| e.seq).collect::<Vec<_>>(), [1]);
        assert_eq!(
            names(&d),
            [
                "00000000000000001.otlp",
                "0000000000000001.otlp",
                "000000000000000A.otlp"
            ],
            "the FIFO went to corrupt/, foreign names stay"
        );
        assert_eq!(parse_name("00000000000000ff.otlp"), Some(255));
        for bad in [
            "ff.otlp",
            "00000000000000FF.otlp",
            "+000000000000001.otlp",
            "0000000000000001.tmp",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn issue_10_a_spool_dir_that_is_a_file_says_so() {
        let d = dir("isfile");
        fs::write(&d, b"x").unwrap();
        let err = Spool::open(&d).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("unusable --spool-dir \"{}\": not a directory", d.display())
        );
        let _ = fs::remove_file(&d);
    }

    #[test]
    fn unwritable_dir_is_a_start_up_error() {
        // A path under a regular file: root ignores mode bits, not this.
        let d = dir("file");
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("plain"), b"x").unwrap();
        let err = Spool::open(&d.join("plain/spool")).unwrap_err().to_string();
        assert!(err.starts_with("unusable --spool-dir"), "{err}");
    }
}
