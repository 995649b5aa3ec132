//! The backlog: requests not yet delivered, oldest first, bounded in bytes.
//!
//! Reads: bodies that could not be sent (or arrived behind others). Emits: the head batch
//! to send next, and counts of what it had to drop (exporter spec §3.2, §3.3).
//! In memory each batch costs its body plus 64 bytes against `--queue-size`; when full the
//! oldest are dropped (one WARN a minute at most). With a spool every batch is written to
//! disk first and memory keeps only its ~32-byte entry; the head's body is read back when it
//! is sent, so RSS stays flat through long outages; `--spool-size` bounds the directory the
//! same way. A failed disk write keeps the batch in memory and is retried on the next push.

use super::BodyFormat;
use super::spool::{ReadFailure, Spool, SpoolEntry};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Bytes charged per in-memory batch on top of its body.
const BATCH_OVERHEAD: usize = 64;
const WARN_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Batch {
    entry: SpoolEntry,
    /// The body when held in memory; `None` when it lives only in the spool.
    body: Option<Vec<u8>>,
}

/// Points dropped by the queue, by reason (exporter spec §5.1).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub queue_full: u64,
    pub max_age: u64,
    pub corrupt: u64,
}

/// Undelivered batches.
#[derive(Debug)]
pub struct Queue {
    batches: VecDeque<Batch>,
    memory_bytes: usize,
    capacity: usize,
    spool: Option<Spool>,
    spool_capacity: u64,
    next_seq: u64,
    head: Vec<u8>,
    dropped: Dropped,
    last_warning: Option<Instant>,
    disk_failing: bool,
}

impl Queue {
    /// A queue of at most `capacity` bytes in memory, with an optional spool holding at
    /// most `spool_capacity` bytes and the batches an earlier run left in it.
    pub fn new(
        capacity: usize,
        spool: Option<(Spool, Vec<SpoolEntry>)>,
        spool_capacity: u64,
    ) -> Queue {
        let (spool, found) = match spool {
            Some((spool, found)) => (Some(spool), found),
            None => (None, Vec::new()),
        };
        let next_seq = found.last().map_or(1, |e| e.seq.saturating_add(1));
        if !found.is_empty() {
            let points: u64 = found.iter().map(|e| u64::from(e.points)).sum();
            log::info!(
                "spool holds {} batches ({points} data points) from an earlier run; replaying oldest first",
                found.len()
            );
        }
        Queue {
            batches: found
                .into_iter()
                .map(|entry| Batch { entry, body: None })
                .collect(),
            memory_bytes: 0,
            capacity,
            spool,
            spool_capacity,
            next_seq,
            head: Vec::new(),
            dropped: Dropped::default(),
            last_warning: None,
            disk_failing: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    pub fn len(&self) -> usize {
        self.batches.len()
    }

    /// Bytes charged in memory.
    pub fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes in the spool directory, and its cap; `None` without a spool.
    pub fn spool_bytes(&self) -> Option<(u64, u64)> {
        self.spool
            .as_ref()
            .map(|s| (s.bytes(), self.spool_capacity))
    }

    /// Creation time of the oldest batch.
    pub fn oldest_created(&self) -> Option<u64> {
        self.batches.front().map(|b| b.entry.created_unix_nano)
    }

    /// Everything dropped so far.
    pub fn dropped(&self) -> Dropped {
        self.dropped
    }

    /// Appends a batch (to disk first when spooling); drops the oldest when over capacity.
    pub fn push(
        &mut self,
        body: &[u8],
        format: BodyFormat,
        points: u32,
        created_unix_nano: u64,
        now: Instant,
    ) {
        let mut entry = SpoolEntry {
            seq: self.next_seq,
            format,
            points,
            created_unix_nano,
            len: body.len() as u32,
        };
        self.retry_disk_writes();
        let on_disk = match &mut self.spool {
            Some(spool) => match spool.write(&mut entry, body) {
                Ok(()) => {
                    if self.disk_failing {
                        self.disk_failing = false;
                        log::info!("spool writable again");
                    }
                    log::debug!(
                        "spooled seq={} ({} bytes, {points} points)",
                        entry.seq,
                        body.len()
                    );
                    true
                }
                Err(e) => {
                    if !self.disk_failing {
                        self.disk_failing = true;
                        log::warn!(
                            "spool write failed ({e}); keeping batches in memory until the disk accepts them"
                        );
                    }
                    false
                }
            },
            None => false,
        };
        // `write` may have skipped numbers that exist on disk.
        self.next_seq = self.next_seq.max(entry.seq).saturating_add(1);
        if on_disk {
            self.batches.push_back(Batch { entry, body: None });
        } else {
            self.memory_bytes += body.len() + BATCH_OVERHEAD;
            self.batches.push_back(Batch {
                entry,
                body: Some(body.to_vec()),
            });
        }
        self.enforce_capacity(now);
    }

    /// The head batch and its body (read back from the spool if needed). Damaged spool
    /// files are quarantined and skipped; a read that fails for now (EIO, EMFILE) is an
    /// error and the file stays for a later attempt.
    pub fn head(&mut self) -> Result<Option<(SpoolEntry, &[u8])>, String> {
        loop {
            let Some(batch) = self.batches.front() else {
                return Ok(None);
            };
            let entry = batch.entry;
            if batch.body.is_some() {
                let body = self
                    .batches
                    .front()
                    .and_then(|b| b.body.as_deref())
                    .unwrap_or_default();
                return Ok(Some((entry, body)));
            }
            let read = match &self.spool {
                Some(spool) => spool.read(&entry, &mut self.head),
                None => Err(ReadFailure::Corrupt("no spool".to_string())),
            };
            match read {
                Ok(()) => return Ok(Some((entry, &self.head))),
                Err(ReadFailure::Io(why)) => return Err(why),
                Err(ReadFailure::Corrupt(reason)) => {
                    if let Some(spool) = &mut self.spool {
                        spool.quarantine(entry.seq, Some(&entry), &reason);
                    }
                    self.dropped.corrupt += u64::from(entry.points);
                    self.batches.pop_front();
                }
            }
        }
    }

    /// Removes the head batch (delivered, or dropped by the caller).
    pub fn pop(&mut self) {
        if let Some(batch) = self.batches.pop_front() {
            self.forget(&batch);
        }
    }

    /// Drops batches created more than `max_age` before `now_unix_nano` (wall time).
    pub fn expire(&mut self, now_unix_nano: u64, max_age: Duration) {
        let limit = u64::try_from(max_age.as_nanos()).unwrap_or(u64::MAX);
        let (mut batches, mut points) = (0u64, 0u64);
        while let Some(batch) = self.batches.front() {
            if now_unix_nano.saturating_sub(batch.entry.created_unix_nano) <= limit {
                break;
            }
            batches += 1;
            points += u64::from(batch.entry.points);
            self.pop();
        }
        if batches > 0 {
            log::warn!("dropped {batches} batches ({points} data points) older than --max-age");
            self.dropped.max_age += points;
        }
    }

    /// At shutdown: writes memory-only batches to the spool. Returns the points that could
    /// not be kept (no spool, or the disk refused).
    pub fn persist(&mut self) -> u64 {
        self.retry_disk_writes();
        self.batches
            .iter()
            .filter(|b| b.body.is_some())
            .map(|b| u64::from(b.entry.points))
            .sum()
    }

    fn retry_disk_writes(&mut self) {
        let Some(spool) = &mut self.spool else { return };
        for batch in self.batches.iter_mut().filter(|b| b.body.is_some()) {
            let Some(body) = &batch.body else { continue };
            if spool.write(&mut batch.entry, body).is_err() {
                return;
            }
            self.next_seq = self.next_seq.max(batch.entry.seq.saturating_add(1));
            self.memory_bytes = self
                .memory_bytes
                .saturating_sub(body.len() + BATCH_OVERHEAD);
            batch.body = None;
        }
    }

    fn forget(&mut self, batch: &Batch) {
        match &batch.body {
            Some(body) => {
                self.memory_bytes = self
                    .memory_bytes
                    .saturating_sub(body.len() + BATCH_OVERHEAD)
            }
            None => {
                if let Some(spool) = &mut self.spool {
                    spool.remove(&batch.entry);
                }
            }
        }
    }

    fn enforce_capacity(&mut self, now: Instant) {
        let mut dropped_points = 0u64;
        let mut dropped_batches = 0u64;
        let mut oldest_dropped = None;
        loop {
            let memory_over = self.memory_bytes > self.capacity;
            let spool_over = self
                .spool
                .as_ref()
                .is_some_and(|s| s.bytes() > self.spool_capacity);
            if !memory_over && !spool_over || self.batches.len() <= 1 {
                break;
            }
            // The oldest batch of the storage that overflowed.
            let Some(index) = self
                .batches
                .iter()
                .position(|b| b.body.is_some() == memory_over)
            else {
                break;
            };
            let Some(batch) = self.batches.remove(index) else {
                break;
            };
            oldest_dropped.get_or_insert(batch.entry.created_unix_nano);
            dropped_points += u64::from(batch.entry.points);
            dropped_batches += 1;
            self.forget(&batch);
        }
        if dropped_batches == 0 {
            return;
        }
        self.dropped.queue_full += dropped_points;
        if self
            .last_warning
            .is_none_or(|last| now.duration_since(last) >= WARN_EVERY)
        {
            self.last_warning = Some(now);
            log::warn!(
                "queue full: dropped {dropped_batches} oldest batch(es), {dropped_points} data points (created at {} ns); raise --queue-size or --spool-size",
                oldest_dropped.unwrap_or(0)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_first_and_bounded_by_bytes() {
        let now = Instant::now();
        // Room for two 100-byte bodies (2 × 164 = 328).
        let mut q = Queue::new(400, None, 0);
        for (i, fill) in [1u8, 2, 3].iter().enumerate() {
            q.push(
                &[*fill; 100],
                BodyFormat::default(),
                10 + i as u32,
                i as u64,
                now,
            );
        }
        assert_eq!(q.len(), 2);
        assert_eq!(q.dropped().queue_full, 10, "the oldest batch went");
        assert_eq!(q.head().unwrap().unwrap().1, &[2u8; 100][..]);
        q.pop();
        assert_eq!(q.head().unwrap().unwrap().1, &[3u8; 100][..]);
        q.pop();
        assert!(q.head().unwrap().is_none());
        assert_eq!(q.memory_bytes(), 0);
    }

    #[test]
    fn one_batch_always_fits() {
        let mut q = Queue::new(10, None, 0);
        let gzip = BodyFormat {
            json: false,
            gzip: true,
        };
        q.push(&[0; 500], gzip, 5, 0, Instant::now());
        assert_eq!(q.len(), 1);
        assert_eq!(q.head().unwrap().unwrap().0.format, gzip);
    }

    #[test]
    fn expiry_uses_wall_time() {
        let mut q = Queue::new(10_000, None, 0);
        let now = Instant::now();
        q.push(b"a", BodyFormat::default(), 3, 1_000, now);
        q.push(b"b", BodyFormat::default(), 4, 5_000, now);
        q.expire(6_000, Duration::from_nanos(2_000));
        assert_eq!((q.len(), q.dropped().max_age), (1, 3));
        assert_eq!(q.oldest_created(), Some(5_000));
    }

    #[test]
    fn spooled_batches_keep_no_body_in_memory_and_replay_after_restart() {
        let dir = std::env::temp_dir().join(format!("sysotlp-queue-spool-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let mut q = Queue::new(1 << 20, Some(Spool::open(&dir).unwrap()), 1 << 20);
            for i in 0..3u8 {
                q.push(
                    &[i; 1000],
                    BodyFormat::default(),
                    7,
                    u64::from(i),
                    Instant::now(),
                );
            }
            assert_eq!(q.memory_bytes(), 0);
            assert_eq!(q.head().unwrap().unwrap().1, &[0u8; 1000][..]);
            q.pop();
        }
        let mut q = Queue::new(1 << 20, Some(Spool::open(&dir).unwrap()), 1 << 20);
        assert_eq!(q.len(), 2);
        assert_eq!(q.head().unwrap().unwrap().1, &[1u8; 1000][..]);
        q.push(b"new", BodyFormat::default(), 1, 9, Instant::now());
        assert_eq!(q.next_seq, 5, "sequence continues after the spooled ones");
    }
}
