//! Streaming counter of TCP sockets by state from `/proc/net/tcp` and `/proc/net/tcp6`.
//!
//! Reads: any `Read` (the open file) through the caller's fixed buffer, never the whole
//! file: 100k sockets are ≈ 15 MB of text (150 bytes a line for IPv4, `TMPSZ` in
//! net/ipv4/tcp_ipv4.c; ≈ 180 for IPv6).
//! Emits: per `st` code 01..0B the number of lines, into a `[u64; 11]`.
//! Input (proc(5); `tcp4_seq_show`, net/ipv4/tcp_ipv4.c; `tcp6_seq_show`, net/ipv6/tcp_ipv6.c):
//! ```text
//!   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//!    0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1081 1 ...
//! ```
//! Only column 4 (`st`, `%02X` of `sk_state`, include/net/tcp_states.h) is read; the header
//! line is skipped. Codes outside 01..0B are ignored: the kernel prints request sockets
//! (NEW_SYN_RECV, 0C) as 03 and time-wait sockets as their substate (06, or 05 for a
//! FIN_WAIT_2 timewait), so nothing else is expected. A line that has no 4th column or whose
//! 4th column is not two hex digits is damage: skipped and reported.
//!
//! `--hostmetrics-quirks` (spec D12) counts as the Collector does instead
//! ([`collect_tcp_sockets`], [`count_distinct`], [`hostmetrics_fin_wait`]): gopsutil keeps one
//! socket per (local address and port, remote address and port, state), so `SO_REUSEPORT`
//! listeners on one port count once, and names 04 and 05 `FIN_WAIT1` and `FIN_WAIT2`.

use std::io::{self, Read};

/// `st` codes 01..0B: ESTABLISHED .. CLOSING.
pub const STATES: usize = 11;

/// The first damaged line of a file: (1-based line number, what was wrong).
pub type BadLine = (usize, String);

/// Counts the sockets of one `tcp`/`tcp6` file by state into `counts` (index = code − 1),
/// reading `file` through `buf` (its size bounds the memory used, whatever the file's
/// size). Returns the first damaged line, if any; an I/O error ends the scan (`counts` then
/// holds a partial count the caller should discard).
pub fn count_tcp_states(
    file: &mut impl Read,
    buf: &mut [u8],
    counts: &mut [u64; STATES],
) -> io::Result<Option<BadLine>> {
    scan(file, buf, Tally::States(counts))
}

/// One socket as gopsutil tells sockets apart: v4 net/net_linux.go
/// `statsFromInodesWithContext` keeps the first of each `connKey` (socket type, local IP and
/// port, remote IP and port, status) over `tcp` then `tcp6`. Addresses are the four 32-bit
/// words `tcp6` prints; an IPv4 one is stored in its IPv4-mapped form, because Go prints
/// `::ffff:a.b.c.d` as `a.b.c.d`, the same key as the IPv4 socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Socket {
    /// The `st` code.
    pub state: u8,
    pub local: ([u32; 4], u16),
    pub remote: ([u32; 4], u16),
}

/// Appends every socket of one `tcp`/`tcp6` file to `sockets`, as [`count_tcp_states`] reads
/// (same buffer rule, same first damaged line). gopsutil's `processInet` skips a line with
/// fewer than 10 fields or an address it cannot decode; such a line is skipped here too, and
/// reported.
pub fn collect_tcp_sockets(
    file: &mut impl Read,
    buf: &mut [u8],
    sockets: &mut Vec<Socket>,
) -> io::Result<Option<BadLine>> {
    scan(file, buf, Tally::Sockets(sockets))
}

/// The Collector's counts by state (index = code − 1) of `sockets` gathered from `tcp` and
/// `tcp6`: each distinct socket once. Sorts and de-duplicates `sockets` in place (no
/// allocation).
pub fn count_distinct(sockets: &mut Vec<Socket>, counts: &mut [u64; STATES]) {
    sockets.sort_unstable();
    sockets.dedup();
    for socket in sockets.iter() {
        if let Some(count) = socket
            .state
            .checked_sub(1)
            .and_then(|i| counts.get_mut(usize::from(i)))
        {
            *count += 1;
        }
    }
}

/// The Collector's split of FIN_WAIT sockets: its state list (networkscraper
/// `allTCPStates`, Linux) starts `FIN_WAIT_1` and `FIN_WAIT_2` at 0, while gopsutil
/// (`tcpStatuses`) names codes 04 and 05 `FIN_WAIT1` and `FIN_WAIT2`, counted under those
/// keys (`getTCPConnectionStatusCounts`). Takes codes 04 and 05 out of `counts` (the
/// underscored states are then 0) and returns them for `FIN_WAIT1` and `FIN_WAIT2`, which
/// get a point only when non-zero (no key otherwise).
pub fn hostmetrics_fin_wait(counts: &mut [u64; STATES]) -> [u64; 2] {
    [
        std::mem::take(&mut counts[3]),
        std::mem::take(&mut counts[4]),
    ]
}

/// What a scan does with each socket line.
enum Tally<'a> {
    /// Counts every line by state (ours).
    States(&'a mut [u64; STATES]),
    /// Keeps every socket, for gopsutil's de-duplication.
    Sockets(&'a mut Vec<Socket>),
}

fn scan(file: &mut impl Read, buf: &mut [u8], tally: Tally) -> io::Result<Option<BadLine>> {
    let mut scan = Scan {
        tally,
        line: 0,
        first_bad: None,
    };
    // buf[..kept] holds the start of a line whose end has not been read yet.
    let mut kept = 0;
    // Inside a line longer than `buf`: its rest is skipped up to the next newline.
    let mut skipping = false;
    loop {
        let Some(free) = buf.get_mut(kept..).filter(|free| !free.is_empty()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "empty read buffer",
            ));
        };
        let read = match file.read(free) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let end = kept + read;
        if read == 0 {
            if let Some(last) = buf.get(..kept).filter(|last| !last.is_empty() && !skipping) {
                scan.line(last);
            }
            return Ok(scan.first_bad);
        }
        let mut start = 0;
        while let Some(newline) = buf
            .get(start..end)
            .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
        {
            let line = buf.get(start..start + newline).unwrap_or_default();
            if skipping {
                skipping = false;
            } else {
                scan.line(line);
            }
            start += newline + 1;
        }
        if start == 0 && end == buf.len() {
            // No newline in a full buffer: a line longer than any the kernel prints.
            if !skipping {
                scan.too_long(buf.len());
                skipping = true;
            }
            kept = 0;
        } else {
            buf.copy_within(start..end, 0);
            kept = end - start;
        }
    }
}

struct Scan<'a> {
    tally: Tally<'a>,
    line: usize,
    first_bad: Option<BadLine>,
}

impl Scan<'_> {
    fn line(&mut self, line: &[u8]) {
        self.line += 1;
        // The first line is the column header; blank lines are no socket.
        if self.line == 1 || line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let expected = match &mut self.tally {
            Tally::States(counts) => match state_column(line) {
                Some(code) => {
                    if let Some(count) = code
                        .checked_sub(1)
                        .and_then(|i| counts.get_mut(usize::from(i)))
                    {
                        *count += 1;
                    }
                    return;
                }
                None => "a two-digit hex state in column 4",
            },
            Tally::Sockets(sockets) => match socket(line) {
                Some(socket) => {
                    sockets.push(socket);
                    return;
                }
                None => "10+ columns with HEX:PORT addresses in columns 2 and 3 and a state in 4",
            },
        };
        if self.first_bad.is_none() {
            let text = String::from_utf8_lossy(line.get(..120).unwrap_or(line));
            self.first_bad = Some((self.line, format!("expected {expected}, found \"{text}\"")));
        }
    }

    fn too_long(&mut self, limit: usize) {
        self.line += 1;
        if self.line > 1 && self.first_bad.is_none() {
            self.first_bad = Some((self.line, format!("line longer than {limit} bytes")));
        }
    }
}

/// The `st` column (4th whitespace-separated field) as a number; `None` unless it is
/// exactly two hex digits, as `%02X` prints it.
fn state_column(line: &[u8]) -> Option<u8> {
    let field = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty())
        .nth(3)?;
    match field {
        [hi, lo] => Some((hex_digit(*hi)? << 4) | hex_digit(*lo)?),
        _ => None,
    }
}

/// A socket line's addresses and state; `None` unless it has gopsutil's 10 columns and
/// decodable addresses.
fn socket(line: &[u8]) -> Option<Socket> {
    let mut fields = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty());
    let (_, local, remote) = (fields.next()?, fields.next()?, fields.next()?);
    let state = match fields.next()? {
        [hi, lo] => (hex_digit(*hi)? << 4) | hex_digit(*lo)?,
        _ => return None,
    };
    // gopsutil's `len(l) < 10`: 6 more columns up to the inode.
    fields.nth(5)?;
    Some(Socket {
        state,
        local: endpoint(local)?,
        remote: endpoint(remote)?,
    })
}

/// The third word of an IPv4-mapped address as `tcp6` prints it: bytes 00 00 FF FF read in
/// the printing host's order (`%08X` of each `s6_addr32`).
const V4_MAPPED: u32 = u32::from_ne_bytes([0, 0, 0xff, 0xff]);

/// `0100007F:0016` (IPv4) or 32 hex digits `:0016` (IPv6): the address words and the port.
fn endpoint(field: &[u8]) -> Option<([u32; 4], u16)> {
    let colon = field.iter().position(|b| *b == b':')?;
    let (address, port) = (field.get(..colon)?, field.get(colon + 1..)?);
    // gopsutil's `strconv.ParseUint(port, 16, 16)`.
    let port = u16::try_from(hex_number(port)?).ok()?;
    let words = match address.len() {
        8 => [0, 0, V4_MAPPED, hex_number(address)?],
        32 => {
            let mut words = [0; 4];
            for (word, hex) in words.iter_mut().zip(address.chunks(8)) {
                *word = hex_number(hex)?;
            }
            words
        }
        _ => return None,
    };
    Some((words, port))
}

/// Up to 8 hex digits as a number; `None` for an empty or non-hex field.
fn hex_number(hex: &[u8]) -> Option<u32> {
    if hex.is_empty() || hex.len() > 8 {
        return None;
    }
    hex.iter()
        .try_fold(0u32, |n, b| Some((n << 4) | u32::from(hex_digit(*b)?)))
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cat /proc/net/tcp` on this project's x86_64 VM (Linux 6.18), one listener, plus
    /// lines written to the kernel's format for the other states.
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1081 1 00000000f4804dc3 100 0 0 10 0                      
   1: 0100007F:9C40 0100007F:07E8 01 00000000:00000000 00:00000000 00000000  1000        0 20931 1 000000005a0d8c7e 20 4 30 10 -1                    
   2: 0100007F:9C42 0100007F:07E8 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000062c3fd0b                                      
";

    /// `cat /proc/net/tcp6` format (tcp6_seq_show): no padding, addresses as 4 words.
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17123 1 0000000024a8fe7c 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0016 0000000000000000FFFF00000100007F:D2F0 03 00000000:00000000 01:00000064 00000000     0        0 0 0 00000000b3e8e6bb
";

    fn count(text: &str, buf_size: usize) -> ([u64; STATES], Option<BadLine>) {
        let mut counts = [0; STATES];
        let mut buf = vec![0; buf_size];
        let bad = count_tcp_states(&mut text.as_bytes(), &mut buf, &mut counts).unwrap();
        (counts, bad)
    }

    #[test]
    fn counts_column_four_and_skips_the_header() {
        let (counts, bad) = count(TCP, 4096);
        assert_eq!(bad, None);
        // ESTABLISHED 1, TIME_WAIT 1, LISTEN 1.
        assert_eq!(counts, [1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
        let (counts, bad) = count(TCP6, 4096);
        assert_eq!(bad, None);
        assert_eq!(counts, [0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
    }

    #[test]
    fn every_buffer_size_gives_the_same_counts() {
        // Lines straddle buffer boundaries at every possible offset.
        // A buffer holds at least one whole line (IPv4: 150 bytes with the newline).
        for text in [TCP, TCP6] {
            let longest = text.lines().map(|l| l.len() + 1).max().unwrap();
            for size in longest..longest + 400 {
                assert_eq!(count(text, size), count(text, 4096), "buffer of {size}");
            }
        }
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_skipped_and_reported() {
        // The 120-byte buffer cannot hold the 150-byte IPv4 lines.
        let (counts, bad) = count(TCP, 120);
        assert_eq!(counts, [0; STATES]);
        assert_eq!(bad, Some((2, "line longer than 120 bytes".into())));
        let text = format!("header\n{}\n 1: a b 0A\n", "x".repeat(10_000));
        let (counts, bad) = count(&text, 64);
        assert_eq!(counts[9], 1, "the line after the long one counts");
        assert_eq!(bad, Some((2, "line longer than 64 bytes".into())));
    }

    #[test]
    fn unknown_codes_are_ignored_and_damage_is_reported() {
        let text = "header\n 0: a b 0C\n 1: a b 00\n 2: a b FF\n 3: a b 0b\n 4: a b\n 5: a b 1\n";
        let (counts, bad) = count(text, 4096);
        assert_eq!(counts[10], 1, "0b is CLOSING");
        assert_eq!(counts.iter().sum::<u64>(), 1);
        assert_eq!(
            bad,
            Some((
                6,
                "expected a two-digit hex state in column 4, found \" 4: a b\"".into()
            ))
        );
    }

    #[test]
    fn last_line_without_newline_counts() {
        let (counts, _) = count("header\n 0: a b 01\n 1: a b 01", 4096);
        assert_eq!(counts[0], 2);
        let (counts, bad) = count("", 4096);
        assert_eq!((counts, bad), ([0; STATES], None));
    }

    #[test]
    fn read_errors_end_the_scan() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("EIO"))
            }
        }
        let mut counts = [0; STATES];
        let mut buf = [0; 64];
        assert!(count_tcp_states(&mut Broken, &mut buf, &mut counts).is_err());
        assert!(count_tcp_states(&mut TCP.as_bytes(), &mut [], &mut counts).is_err());
    }

    fn sockets(text: &str, buf_size: usize) -> (Vec<Socket>, Option<BadLine>) {
        let mut sockets = Vec::new();
        let mut buf = vec![0; buf_size];
        let bad = collect_tcp_sockets(&mut text.as_bytes(), &mut buf, &mut sockets).unwrap();
        (sockets, bad)
    }

    #[test]
    fn sockets_keep_addresses_ports_and_state() {
        let (v4, bad) = sockets(TCP, 4096);
        assert_eq!(bad, None);
        let loopback = [0, 0, V4_MAPPED, 0x0100_007F];
        assert_eq!(
            v4,
            [
                Socket {
                    state: 0x0A,
                    local: ([0, 0, V4_MAPPED, 0], 0x07E8),
                    remote: ([0, 0, V4_MAPPED, 0], 0),
                },
                Socket {
                    state: 0x01,
                    local: (loopback, 0x9C40),
                    remote: (loopback, 0x07E8),
                },
                Socket {
                    state: 0x06,
                    local: (loopback, 0x9C42),
                    remote: (loopback, 0x07E8),
                },
            ]
        );
        let (v6, bad) = sockets(TCP6, 4096);
        assert_eq!(bad, None);
        assert_eq!(v6[0].local, ([0; 4], 0x16), "::, not 0.0.0.0");
        // ::ffff:127.0.0.1 is the IPv4 socket's key, as Go prints both "127.0.0.1".
        assert_eq!(v6[1].local, (loopback, 0x16));
        assert_eq!(V4_MAPPED, u32::from_ne_bytes([0, 0, 0xff, 0xff]));
        // Every buffer size that holds a line reads the same sockets.
        let longest = TCP.lines().map(|l| l.len() + 1).max().unwrap();
        for size in longest..longest + 200 {
            assert_eq!(sockets(TCP, size), sockets(TCP, 4096), "buffer of {size}");
        }
    }

    #[test]
    fn the_collector_counts_one_socket_per_address_pair_and_state() {
        // Three SO_REUSEPORT listeners on 0.0.0.0:80, one on :::80 (another address to
        // gopsutil), two connections from one port to two peers, one FIN_WAIT1 and two
        // FIN_WAIT2 to distinct ports.
        let tail = "00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0";
        let tcp = format!(
            "header\n\
   0: 00000000:0050 00000000:0000 0A {tail}\n\
   1: 00000000:0050 00000000:0000 0A {tail}\n\
   2: 00000000:0050 00000000:0000 0A {tail}\n\
   3: 0A00020F:0050 0A000001:C000 01 {tail}\n\
   4: 0A00020F:0050 0A000002:C000 01 {tail}\n\
   5: 0A00020F:A1B2 5DB8D822:01BB 04 {tail}\n\
   6: 0A00020F:A1B4 5DB8D822:01BB 05 {tail}\n\
   7: 0A00020F:A1B6 5DB8D822:01BB 05 {tail}\n"
        );
        let tcp6 = format!(
            "header\n   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A {tail}\n"
        );
        let mut all = Vec::with_capacity(16);
        let mut buf = vec![0; 4096];
        for text in [&tcp, &tcp6] {
            let bad = collect_tcp_sockets(&mut text.as_bytes(), &mut buf, &mut all).unwrap();
            assert_eq!(bad, None);
        }
        assert_eq!(all.len(), 9);
        let capacity = all.capacity();
        let mut counts = [0; STATES];
        count_distinct(&mut all, &mut counts);
        // ESTABLISHED 2, FIN_WAIT1 1, FIN_WAIT2 2, LISTEN 2 (0.0.0.0:80 once, :::80).
        assert_eq!(counts, [2, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0]);
        assert_eq!(
            all.capacity(),
            capacity,
            "sorted and de-duplicated in place"
        );
        // 04 and 05 move to gopsutil's names; the underscored ones are left at 0.
        assert_eq!(hostmetrics_fin_wait(&mut counts), [1, 2]);
        assert_eq!(counts, [2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
    }

    #[test]
    fn sockets_gopsutil_skips_are_reported() {
        // Fewer than 10 columns, an address without a port, a 5-byte address, a port over
        // 16 bits: skipped as gopsutil's processInet skips them, the first one reported.
        let tail = "00000000:00000000 00:00000000 00000000 0 0 1";
        let text = format!(
            "header\n 0: 0100007F:0016 0100007F:0016 01 x\n 1: 0100007F 0100007F:0016 01 {tail}\n\
 2: 0100007F00:0016 0100007F:0016 01 {tail}\n 3: 0100007F:10016 0100007F:0016 01 {tail}\n\
 4: 0100007F:0016 0100007F:0016 01 {tail}\n"
        );
        let (found, bad) = sockets(&text, 4096);
        assert_eq!(found.len(), 1);
        assert_eq!(bad.map(|(line, _)| line), Some(2));
    }

    #[test]
    fn garbage_never_panics() {
        let mut buf = vec![0; 256];
        crate::collect::garbage::for_each_variant(
            &format!("{TCP}{}", &TCP6[TCP6.find('\n').unwrap() + 1..]),
            |text| {
                let mut counts = [0; STATES];
                let _ = count_tcp_states(&mut text.as_bytes(), &mut buf, &mut counts);
                let mut sockets = Vec::new();
                let _ = collect_tcp_sockets(&mut text.as_bytes(), &mut buf, &mut sockets);
                count_distinct(&mut sockets, &mut counts);
            },
        );
    }
}
