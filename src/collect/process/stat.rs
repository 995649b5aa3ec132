//! The per-process files as bytes: `<pid>/stat`, `statm`, `io`, the lines of `status` we
//! use, and `cmdline`. The one parser of `<pid>/stat` (the census, the `process` collector and the
//! agent's own CPU time all use it).
//!
//! Reads: bytes already read (nothing is read here). Names are bytes, not text: any user can
//! set any 15 bytes as a name with prctl(PR_SET_NAME), including invalid UTF-8.
//! Emits: `PidStat` (and the command name it borrows), `parse_statm`, `PidIo`, `PidStatus`,
//! `command_line`.
//! Input (`stat`, proc(5); the name between the first `(` and the **last** `)` may hold
//! spaces, parentheses and newlines):
//! ```text
//! 4242 (my) (x
//! proc) S 1 4242 4242 0 -1 4194560 215 0 3 0 17 4 0 0 20 0 1 0 3312 2723840 224 ...
//! ```
//!
//! procfs-core's `Stat`, `Io` and `Status` were measured against this (issue 12, bench/tick.rs
//! `parsers`): they allocate on every parse (a `Vec` and the name for `Stat`, a `HashMap`
//! and a `String` per line for `Io` and `Status`), against none here, and `Stat::from_read`
//! slices past the end of `"1 (x)"` (a panic, which is an abort in our release profile).

/// `PF_KTHREAD` in the flags (field 9): a kernel thread (include/linux/sched.h).
pub const PF_KTHREAD: u64 = 0x0020_0000;

/// The fields of `<pid>/stat` this project uses, numbered as proc(5) numbers them; the
/// command name (2) is returned beside it by [`PidStat::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PidStat {
    /// The state letter (3), e.g. `b'S'`.
    pub state: u8,
    pub ppid: u32,
    pub flags: u64,
    pub minflt: u64,
    pub majflt: u64,
    /// Clock ticks (`USER_HZ`) in user and kernel mode (14, 15).
    pub utime: u64,
    pub stime: u64,
    pub num_threads: u64,
    /// Clock ticks after boot at which the process started (22).
    pub starttime: u64,
    /// Bytes of virtual memory (23).
    pub vsize: u64,
    /// Resident pages (24), approximate: `get_mm_rss()` reads the per-CPU RSS counters
    /// without summing them (percpu since 6.2), so it trails the truth by up to tens of
    /// pages; `statm` (and `status`'s VmRSS) sum them (fs/proc/task_mmu.c). Good enough to
    /// rank processes; the reported value comes from [`parse_statm`].
    pub rss: u64,
    /// Clock ticks waiting for block I/O (42, ≥ 2.6.18; non-zero only with delay accounting).
    pub delayacct_blkio_ticks: Option<u64>,
}

/// A `<pid>/stat` that could not be parsed: what was expected.
pub type StatError = &'static str;

impl PidStat {
    /// The command name and the state only: what the census needs, and what survives a
    /// damaged tail. The name is as the kernel has it: at most 15 bytes for a process (64
    /// for a kernel thread on ≥ 6.x), any bytes but NUL.
    pub fn name_and_state(text: &[u8]) -> Option<(&[u8], u8)> {
        let (comm, rest) = split(text)?;
        let state = *rest.strip_prefix(b" ")?.first()?;
        state.is_ascii_graphic().then_some((comm, state))
    }

    /// Every field of [`PidStat`]; fields 3 to 24 are required (every kernel since 2.0
    /// prints them), 42 is optional.
    pub fn parse(text: &[u8]) -> Result<(&[u8], PidStat), StatError> {
        let (comm, state) = Self::name_and_state(text)
            .ok_or("expected \"<pid> (<comm>) <state> …\": no state after the last \")\"")?;
        let (_, rest) = split(text).ok_or("no command name")?;
        let mut stat = PidStat {
            state,
            ..PidStat::default()
        };
        // Fields from 3 on; every one of them is decimal except the state (3), and some
        // we skip are signed (priority, nice), so only wanted ones are parsed.
        let mut fields = rest
            .split(|b| *b == b' ' || *b == b'\n')
            .filter(|f| !f.is_empty());
        for n in 3..=42 {
            let Some(field) = fields.next() else {
                if n <= 24 {
                    return Err("fewer than 24 fields");
                }
                break;
            };
            let slot = match n {
                4 => {
                    stat.ppid = u32::try_from(number(field)?).map_err(|_| "ppid above 2^32")?;
                    continue;
                }
                9 => &mut stat.flags,
                10 => &mut stat.minflt,
                12 => &mut stat.majflt,
                14 => &mut stat.utime,
                15 => &mut stat.stime,
                20 => &mut stat.num_threads,
                22 => &mut stat.starttime,
                23 => &mut stat.vsize,
                24 => &mut stat.rss,
                42 => {
                    stat.delayacct_blkio_ticks = Some(number(field)?);
                    continue;
                }
                _ => continue,
            };
            *slot = number(field)?;
        }
        Ok((comm, stat))
    }

    /// A kernel thread (`PF_KTHREAD`): no memory, executable or command line of its own.
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }
}

/// The command name and everything after its closing `)`.
fn split(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let open = text.iter().position(|b| *b == b'(')?;
    let close = text.iter().rposition(|b| *b == b')')?;
    Some((text.get(open + 1..close)?, text.get(close + 1..)?))
}

/// A kernel counter in ASCII decimal, at most `i64::MAX` (spec/metrics.md §7).
pub fn number(field: &[u8]) -> Result<u64, StatError> {
    if field.is_empty() || field.len() > 19 {
        return Err("a field is not a decimal counter");
    }
    let mut value: u64 = 0;
    for b in field {
        if !b.is_ascii_digit() {
            return Err("a field is not a decimal counter");
        }
        // 19 digits fit a u64.
        value = value * 10 + u64::from(b - b'0');
    }
    i64::try_from(value)
        .map(|_| value)
        .map_err(|_| "a counter above 2^63-1")
}

/// Resident pages of `<pid>/statm` (its second field): `size resident shared text lib data
/// dt`, in pages.
pub fn parse_statm(text: &[u8]) -> Result<u64, StatError> {
    let mut fields = text.split(|b| *b == b' ' || *b == b'\n');
    match (fields.next(), fields.next()) {
        (Some(_), Some(resident)) => number(resident),
        _ => Err("expected \"size resident shared text lib data dt\""),
    }
}

/// The fields of `<pid>/io` (proc(5), ≥ 2.6.20) this project uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PidIo {
    /// Read and write system calls.
    pub syscr: u64,
    pub syscw: u64,
    /// Bytes the process caused the storage layer to fetch and to send (`read_bytes`,
    /// `write_bytes`): not `rchar`/`wchar`, which count every read(2) and write(2) of pipes,
    /// sockets, ttys and the page cache (spec D7).
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Bytes passed to read(2) and write(2) of any file (`rchar`, `wchar`): what
    /// hostmetrics reports as `process.disk.io`, kept for `--hostmetrics-quirks`.
    pub rchar: u64,
    pub wchar: u64,
}

impl PidIo {
    /// `rchar: 1\nwchar: 2\nsyscr: …`; all six keys are required (every kernel since
    /// 2.6.20 writes them).
    pub fn parse(text: &[u8]) -> Result<PidIo, StatError> {
        let mut io = PidIo::default();
        let mut found = 0u8;
        for line in text.split(|b| *b == b'\n') {
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                continue;
            };
            let (key, value) = line.split_at(colon);
            let (slot, bit) = match key {
                b"syscr" => (&mut io.syscr, 1),
                b"syscw" => (&mut io.syscw, 2),
                b"read_bytes" => (&mut io.read_bytes, 4),
                b"write_bytes" => (&mut io.write_bytes, 8),
                b"rchar" => (&mut io.rchar, 16),
                b"wchar" => (&mut io.wchar, 32),
                _ => continue,
            };
            *slot = number(value.get(1..).unwrap_or_default().trim_ascii())?;
            found |= bit;
        }
        if found == 63 {
            Ok(io)
        } else {
            Err("expected rchar, wchar, syscr, syscw, read_bytes and write_bytes lines")
        }
    }
}

/// What `<pid>/status` gives that `stat` does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PidStatus {
    /// Real UID (the first of `Uid:`).
    pub uid: Option<u32>,
    /// Signals pending for the thread and the process: `SigPnd | ShdPnd`, a bit mask.
    pub pending: Option<u64>,
    pub voluntary_ctxt_switches: Option<u64>,
    pub nonvoluntary_ctxt_switches: Option<u64>,
}

impl PidStatus {
    /// The `Uid:`, `SigPnd:`, `ShdPnd:` and `*voluntary_ctxt_switches:` lines; absent or
    /// malformed ones stay `None`.
    pub fn parse(text: &[u8]) -> PidStatus {
        let mut status = PidStatus::default();
        for line in text.split(|b| *b == b'\n') {
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                continue;
            };
            let (key, value) = line.split_at(colon);
            let value = value.get(1..).unwrap_or_default().trim_ascii();
            match key {
                b"Uid" => {
                    status.uid = value
                        .split(|b| *b == b'\t' || *b == b' ')
                        .next()
                        .and_then(|uid| number(uid).ok())
                        .and_then(|uid| u32::try_from(uid).ok());
                }
                b"SigPnd" | b"ShdPnd" => {
                    if let Some(mask) = hex_mask(value) {
                        status.pending = Some(status.pending.unwrap_or(0) | mask);
                    }
                }
                b"voluntary_ctxt_switches" => {
                    status.voluntary_ctxt_switches = number(value).ok();
                }
                b"nonvoluntary_ctxt_switches" => {
                    status.nonvoluntary_ctxt_switches = number(value).ok();
                }
                _ => {}
            }
        }
        status
    }
}

/// A signal mask as `status` prints it: 16 hex digits (`render_sigset_t`).
fn hex_mask(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 16 {
        return None;
    }
    value.iter().try_fold(0u64, |mask, b| {
        Some(mask << 4 | u64::from(char::from(*b).to_digit(16)?))
    })
}

/// `process.command` and `process.command_line` from `cmdline`: the first NUL-separated
/// field, and all of them joined by single spaces (as upstream) cut at `limit` bytes on a
/// character boundary. Invalid UTF-8 becomes U+FFFD. `None` for an empty `cmdline` (a
/// zombie, a kernel thread).
pub fn command_line(cmdline: &[u8], limit: usize) -> Option<(String, String)> {
    let cmdline = cmdline.strip_suffix(b"\0").unwrap_or(cmdline);
    if cmdline.is_empty() {
        return None;
    }
    let command = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    let command = String::from_utf8_lossy(command).into_owned();
    let joined: Vec<u8> = cmdline
        .iter()
        .map(|b| if *b == 0 { b' ' } else { *b })
        .collect();
    let mut line = String::from_utf8_lossy(&joined).into_owned();
    if line.len() > limit {
        let mut cut = limit;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
    }
    Some((command, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Linux 6.18 x86_64, captured: systemd and a kernel worker.
    const SYSTEMD: &[u8] = b"1 (systemd) S 0 1 1 0 -1 4194560 41310 2133856 141 1411 104 143 3405 2147 20 0 1 0 20 23412736 3197 18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 1 0 0 7 0 0 0 0 0 0 0 0 0 0\n";
    const KWORKER: &[u8] = b"7 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 21 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn systemd_fields_by_number() {
        let (comm, stat) = PidStat::parse(SYSTEMD).unwrap();
        assert_eq!(comm, b"systemd");
        assert_eq!(stat.state, b'S');
        assert_eq!(stat.ppid, 0);
        assert_eq!(stat.flags, 4194560);
        assert_eq!((stat.minflt, stat.majflt), (41310, 141));
        assert_eq!((stat.utime, stat.stime), (104, 143));
        assert_eq!(stat.num_threads, 1);
        assert_eq!(stat.starttime, 20);
        assert_eq!(stat.vsize, 23412736);
        assert_eq!(stat.rss, 3197);
        assert_eq!(stat.delayacct_blkio_ticks, Some(7));
        assert!(!stat.is_kernel_thread());
    }

    #[test]
    fn kernel_threads_have_pf_kthread() {
        // 69238880 = 0x4208060: PF_KTHREAD (0x200000) is set.
        let (_, stat) = PidStat::parse(KWORKER).unwrap();
        assert!(stat.is_kernel_thread());
        assert_eq!(stat.state, b'I');
    }

    #[test]
    fn names_with_parens_spaces_newlines_and_bad_utf8() {
        let text = b"4242 (my) (x\nproc) S 1 4242 4242 0 -1 4194560 215 0 3 0 17 4 0 0 20 0 1 0 3312 2723840 224 18446744073709551615\n";
        let (comm, stat) = PidStat::parse(text).unwrap();
        assert_eq!(comm, b"my) (x\nproc");
        assert_eq!(
            (stat.ppid, stat.utime, stat.stime, stat.rss),
            (1, 17, 4, 224)
        );
        assert_eq!(
            stat.delayacct_blkio_ticks, None,
            "a 2.6.17 line ends before 42"
        );
        let bad = b"9 (\xff\xfe)) Z 1 9 9 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 50 0 0 0\n";
        let (comm, stat) = PidStat::parse(bad).unwrap();
        assert_eq!(comm, b"\xff\xfe)");
        assert_eq!(stat.state, b'Z');
        assert_eq!(
            PidStat::name_and_state(b"9 (x)) D 1\n"),
            Some((&b"x)"[..], b'D'))
        );
    }

    #[test]
    fn truncated_and_malformed_stat() {
        for text in [
            &b""[..],
            b"4242 (my",
            b"4242 (my) proc)",
            b"4242 (my) proc) ",
            b"4242 (x) \n1",
            b"1 (x)",
        ] {
            assert_eq!(PidStat::name_and_state(text), None, "{text:?}");
            assert!(PidStat::parse(text).is_err());
        }
        // A state but a short or damaged tail: the census still counts it.
        assert_eq!(
            PidStat::name_and_state(b"5 (x) R 1 2"),
            Some((&b"x"[..], b'R'))
        );
        assert_eq!(PidStat::parse(b"5 (x) R 1 2"), Err("fewer than 24 fields"));
        // procfs-core's Stat slices before the `(` here (a panic); the PID is not needed.
        assert_eq!(PidStat::parse(b"(x) S"), Err("fewer than 24 fields"));
        let negative = b"5 (x) R 1 5 5 0 -1 0 0 0 0 0 -3 0 0 0 20 0 1 0 9 0 0 0\n";
        assert!(PidStat::parse(negative).is_err());
        let huge = b"5 (x) R 1 5 5 0 -1 0 0 0 0 0 18446744073709551615 0 0 0 20 0 1 0 9 0 0 0\n";
        assert!(PidStat::parse(huge).is_err());
    }

    #[test]
    fn statm_resident_pages() {
        // Linux 6.18: the agent itself (stat's rss said 1925 in the same instant).
        assert_eq!(parse_statm(b"2736 1955 1213 456 0 427 0\n"), Ok(1955));
        assert!(parse_statm(b"2736").is_err());
        assert!(parse_statm(b"2736 -1 0").is_err());
        assert!(parse_statm(b"").is_err());
    }

    #[test]
    fn io_takes_storage_bytes_not_rchar() {
        // spec/metrics.md §9.9: rchar 1e9, read_bytes 4096 → read 4096.
        let text = b"rchar: 1000000000\nwchar: 52\nsyscr: 12\nsyscw: 3\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n";
        assert_eq!(
            PidIo::parse(text),
            Ok(PidIo {
                syscr: 12,
                syscw: 3,
                read_bytes: 4096,
                write_bytes: 8192,
                rchar: 1_000_000_000,
                wchar: 52,
            })
        );
        assert!(PidIo::parse(b"rchar: 1\n").is_err());
        assert!(PidIo::parse(b"syscr: 1\nsyscw: 1\nread_bytes: x\nwrite_bytes: 1\n").is_err());
        assert!(
            PidIo::parse(b"syscr: 1\nsyscw: 1\nread_bytes: 1\nwrite_bytes: 1\n").is_err(),
            "no rchar/wchar"
        );
    }

    #[test]
    fn status_uid_pending_signals_and_switches() {
        // spec/metrics.md §9.10: ShdPnd 0000000000000200 → one signal (upstream: 512).
        let text = b"Name:\tsleep\nUid:\t1000\t1001\t1001\t1001\nSigQ:\t1/63\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000200\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t2\n";
        let status = PidStatus::parse(text);
        assert_eq!(status.uid, Some(1000));
        assert_eq!(status.pending.map(u64::count_ones), Some(1));
        assert_eq!(status.voluntary_ctxt_switches, Some(7));
        assert_eq!(status.nonvoluntary_ctxt_switches, Some(2));
        assert_eq!(
            PidStatus::parse(b"Uid:\tx\nSigPnd:\tzz\n"),
            PidStatus::default()
        );
    }

    #[test]
    fn command_lines_join_fields_and_cut_on_a_character() {
        assert_eq!(
            command_line(b"/usr/bin/python3\0-m\0http.server\0", 4096),
            Some((
                "/usr/bin/python3".into(),
                "/usr/bin/python3 -m http.server".into()
            ))
        );
        assert_eq!(command_line(b"", 4096), None);
        assert_eq!(command_line(b"\0", 4096), None);
        // setproctitle rewrites: one field with spaces.
        assert_eq!(
            command_line(b"postgres: checkpointer ", 4096),
            Some((
                "postgres: checkpointer ".into(),
                "postgres: checkpointer ".into()
            ))
        );
        let (_, cut) = command_line("aé\0b".as_bytes(), 2).unwrap();
        assert_eq!(cut, "a", "é is two bytes: cut before it");
        let (command, _) = command_line(b"\xffx\0y", 10).unwrap();
        assert_eq!(command, "\u{fffd}x");
    }

    #[test]
    fn garbage_never_panics() {
        let text = std::str::from_utf8(SYSTEMD).unwrap();
        crate::collect::garbage::for_each_variant(text, |text| {
            let _ = PidStat::parse(text.as_bytes());
            let _ = PidIo::parse(text.as_bytes());
            let _ = PidStatus::parse(text.as_bytes());
            let _ = parse_statm(text.as_bytes());
            let _ = command_line(text.as_bytes(), 7);
        });
    }
}
