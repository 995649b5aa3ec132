//! The disk spool: undelivered batches survive `kill -9`, power loss and restarts.
//!
//! Reads/writes: `<dir>/<seq:016x>.otlp` files, `<dir>/tmp/` (writes in progress),
//! `<dir>/corrupt/` (quarantine, newest 10 kept), `<dir>/lock` (flock: one agent per dir).
//! Emits: the batches found at start (oldest first) and each body on demand, so memory holds
//! only ~32 bytes per spooled batch (exporter spec §3.3).
//! File layout, little-endian: magic `SOTLPSP1`, version u8 = 1, encoding u8 (0 none, 1 gzip),
//! reserved u16, points u32, created unix-nanos u64, body length u32, CRC-32 of the body u32,
//! then the body. A write is `tmp/<seq>.tmp`, fsync, rename, fsync of the directory; a
//! file is unlinked after acknowledgement (one resurrected by power loss is a duplicate).

use crate::report::Once;
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
    pub gzip: bool,
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
    _lock: File,
    bytes: u64,
    unlink_warned: Once,
}

impl Spool {
    /// Creates (0700) and locks `dir`, clears `tmp/`, and indexes the batches left by an
    /// earlier run, oldest first; damaged ones go to `corrupt/`.
    pub fn open(dir: &Path) -> Result<(Spool, Vec<SpoolEntry>), SpoolError> {
        let unusable = |e| SpoolError::Unusable(dir.to_path_buf(), e);
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true).mode(0o700);
        for sub in ["", "tmp", "corrupt"] {
            builder.create(dir.join(sub)).map_err(unusable)?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(dir.join("lock"))
            .map_err(unusable)?;
        if rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
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
            _lock: lock,
            bytes: 0,
            unlink_warned: Once::default(),
        };
        let mut seqs: Vec<u64> = fs::read_dir(dir)
            .map_err(unusable)?
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".otlp"))
                    .and_then(|n| u64::from_str_radix(n, 16).ok())
            })
            .collect();
        seqs.sort_unstable();
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

    /// Bytes of all spooled files.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:016x}.otlp"))
    }

    /// Writes one batch atomically.
    pub fn write(&mut self, entry: &SpoolEntry, body: &[u8]) -> io::Result<()> {
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
        fs::rename(&tmp, self.path(entry.seq))?;
        self.bytes += HEADER_LEN as u64 + body.len() as u64;
        // The file is in place: a failed directory fsync only weakens power-loss safety, and
        // must not make the caller keep a second copy in memory (it would be sent twice).
        if let Err(e) = File::open(&self.dir).and_then(|dir| dir.sync_all()) {
            log::debug!("fsync of {}: {e}", self.dir.display());
        }
        Ok(())
    }

    /// Reads the body of `entry` into `body`. `Corrupt` (bad magic, version, length, CRC, a
    /// short read, a vanished file) means the file must go; `Io` (EIO, EMFILE, EACCES) may pass.
    pub fn read(&self, entry: &SpoolEntry, body: &mut Vec<u8>) -> Result<(), ReadFailure> {
        let mut file = File::open(self.path(entry.seq)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ReadFailure::Corrupt("file vanished".into()),
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
        let mut file = File::open(self.path(seq)).map_err(|e| e.to_string())?;
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

fn header(entry: &SpoolEntry, body: &[u8]) -> [u8; HEADER_LEN] {
    let mut crc = Crc::new();
    crc.update(body);
    let mut head = [0u8; HEADER_LEN];
    head[..8].copy_from_slice(MAGIC);
    head[8] = VERSION;
    head[9] = u8::from(entry.gzip);
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
    let mut created = [0u8; 8];
    created.copy_from_slice(&head[16..24]);
    let entry = SpoolEntry {
        seq,
        gzip,
        points: u32_at(12),
        created_unix_nano: u64::from_le_bytes(created),
        len: u32_at(24),
    };
    Ok((entry, u32_at(28)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sysotlp-spool-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn entry(seq: u64, body: &[u8]) -> SpoolEntry {
        SpoolEntry {
            seq,
            gzip: seq % 2 == 1,
            points: 20 + seq as u32,
            created_unix_nano: 1_767_225_600_000_000_000 + seq,
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
                spool.write(&entry(seq, &body), &body).unwrap();
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
                spool.write(&entry(seq, &body), &body).unwrap();
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
