//! TCP sockets by state over netlink `sock_diag`: the same counts as `/proc/net/tcp{,6}`
//! without the kernel formatting a text line per socket.
//!
//! Reads: a `NETLINK_SOCK_DIAG` socket of the agent's own network namespace (sock_diag(7)),
//! asked for every TCP socket in states 1..=12 with no extensions, the multipart reply read
//! up to `NLMSG_DONE`. The request is the older `TCPDIAG_GETSOCK` (`inet_diag_req`; the
//! protocol is the same, `NETLINK_INET_DIAG` = `NETLINK_SOCK_DIAG` = 4), which the kernel
//! answers for `AF_UNSPEC` whatever family it names: IPv4 and IPv6 in one walk of its tables
//! (`inet_diag_dump_compat`, net/ipv4/inet_diag.c). A kernel that refused it would get one
//! `SOCK_DIAG_BY_FAMILY` dump (`inet_diag_req_v2`) per family, AF_INET then AF_INET6, the
//! second only when the kernel has IPv6 (`/proc/net/if_inet6`, passed in by the caller).
//! Emits: per state 01..0B the number of sockets, into a `[u64; 11]` indexed like
//! [`tcp::count_tcp_states`](super::tcp::count_tcp_states) (code − 1).
//! Input (native byte order; include/uapi/linux/netlink.h, include/uapi/linux/inet_diag.h):
//! ```text
//! nlmsghdr      len u32 | type u16 (18 TCPDIAG_GETSOCK or 20 SOCK_DIAG_BY_FAMILY, as asked;
//!               2 ERROR, 3 DONE) | flags u16 | seq u32 | pid u32
//! inet_diag_msg family u8 | state u8 | timer u8 | retrans u8 | sockid 48 B | expires, rqueue,
//!               wqueue, uid, inode u32   (72 B, then attributes up to len, 4-byte aligned)
//! ```
//! Only `family` and `state` are read.
//!
//! Why: the cost is the kernel's walk of the TCP established hash, every bucket, empty or
//! not, which it sizes by memory (262,144 buckets at 24 GiB, at most 524,288 by default;
//! `tcp_ehash_entries`). The files and the per-family dumps walk it once per family; one
//! `TCPDIAG_GETSOCK` dump walks it once, plus the listening hash (16,384 buckets here: ≈ 20
//! µs). Measured on Linux 6.18 x86_64 with 262,144 buckets and few sockets (`make bench`,
//! bench/tcp_states.rs: thread CPU time, median of 200 counts, caches evicted before each):
//! one dump 1.09 ms, the two per-family dumps 2.15 ms, the files 6.7 ms; ≈ 4 ns a bucket,
//! linear from 1,024 to 16.8 M buckets (README "What TCP states cost"), plus ≈ 0.7 µs a
//! socket (10,000 established: 7.8 ms, 10.2 ms, 24 ms).
//!
//! The dump lists exactly what the files list: the listening hash then the established hash
//! (`tcp_diag_dump`, net/ipv4/tcp_diag.c), each socket once under its own family (an
//! IPv4-mapped `AF_INET6` socket is listed as AF_INET6, as in `tcp6`), time-wait sockets
//! under their substate (06, or 05 for a FIN_WAIT_2 timewait, `tcp_twsk_diag_fill`), request
//! sockets (NEW_SYN_RECV) as 03 (`tcp_req_diag_fill`), as `get_openreq4` prints them. The
//! state mask is bits 1..=12: bit 13, TCP_BOUND_INACTIVE (recent kernels), would add
//! bound-but-idle sockets reported as CLOSE, which the files never list; `ss -a` asks for
//! them, so its counts may differ. Asking for fewer states would save nothing: every state
//! but LISTEN lives in the established hash, whose every bucket is visited for any of them
//! (LISTEN alone: ≈ 20 µs; all but LISTEN: the whole walk).
//!
//! When: only for the agent's own namespace read live (root `/`, no fixture); with
//! `--root-path` the host's namespace is reached through `<root>/proc/1/net`, which a socket
//! of ours cannot see. The caller falls back to the files for good on any [`DiagError`]:
//! `socket` refused (seccomp or systemd's `RestrictAddressFamilies=` without AF_NETLINK:
//! EAFNOSUPPORT), an error reply (no `inet_diag` in the kernel: ENOENT), or a reply this
//! parser does not accept.

use super::tcp::STATES;
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::sockopt::{Timeout, set_socket_timeout};
use rustix::net::{
    AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, recv, sendto, socket_with,
};
use std::fmt;
use std::time::Duration;

/// The receive buffer, allocated once. The kernel sizes each dump datagram to the largest
/// `recv` buffer seen, capped just under 32 KiB (`max_recvmsg_len`, net/netlink/af_netlink.c):
/// with 32 KiB no datagram is ever cut, and one `recv` carries ≈ 340 sockets (96 bytes each).
pub const RECV_BUFFER_BYTES: usize = 32 * 1024;
/// A dump is produced inside `sendto` and `recv` themselves, so a wait never happens unless
/// the kernel misbehaves; this bounds it so a tick cannot hang.
const RECV_TIMEOUT: Duration = Duration::from_secs(1);

/// `sizeof(struct nlmsghdr)`.
const NLMSG_HDRLEN: usize = 16;
/// `sizeof(struct inet_diag_req_v2)`: family, protocol, ext, pad, states u32, sockid 48 B.
const REQ_V2_BYTES: usize = 56;
/// `sizeof(struct inet_diag_req)`: family, src_len, dst_len, ext, sockid 48 B, states u32,
/// dbs u32.
const REQ_COMPAT_BYTES: usize = 60;
/// `sizeof(struct inet_diag_msg)`: the fixed part of each socket's reply.
const INET_DIAG_MSG_BYTES: usize = 72;
/// The longer of the two requests; [`request_bytes`] says how much of it is used.
pub const REQUEST_BYTES: usize = NLMSG_HDRLEN + REQ_COMPAT_BYTES;

const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
/// include/uapi/linux/inet_diag.h: the pre-3.3 request, TCP only, both families.
const TCPDIAG_GETSOCK: u16 = 18;
/// include/uapi/linux/sock_diag.h.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_ROOT | NLM_F_MATCH`: every socket, not one looked up by address.
const NLM_F_DUMP: u16 = 0x300;
const IPPROTO_TCP: u8 = 6;
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;
/// `1 << state` for TCP_ESTABLISHED (1) ..= TCP_NEW_SYN_RECV (12), include/net/tcp_states.h.
const STATE_MASK: u32 = 0x1ffe;
/// `TCP_SYN_RECV`, and `TCP_NEW_SYN_RECV` which /proc prints as it.
const TCP_SYN_RECV: u8 = 3;
const TCP_NEW_SYN_RECV: u8 = 12;

/// What one dump asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `TCPDIAG_GETSOCK`: the TCP sockets of both families, in one walk.
    BothFamilies,
    /// `SOCK_DIAG_BY_FAMILY`: the TCP sockets of one family (AF_INET or AF_INET6).
    Family(u8),
}

impl Request {
    /// The `nlmsg_type` of the request, which the kernel repeats on each socket's message.
    fn message_type(self) -> u16 {
        match self {
            Request::BothFamilies => TCPDIAG_GETSOCK,
            Request::Family(_) => SOCK_DIAG_BY_FAMILY,
        }
    }

    /// Whether a socket of `family` belongs in this dump.
    fn lists(self, family: u8) -> bool {
        match self {
            Request::BothFamilies => family == AF_INET || family == AF_INET6,
            Request::Family(asked) => family == asked,
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Request::BothFamilies => "TCPDIAG_GETSOCK",
            Request::Family(AF_INET) => "AF_INET",
            Request::Family(AF_INET6) => "AF_INET6",
            Request::Family(_) => "unknown family",
        })
    }
}

/// How a [`SockDiag`] asks the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Not asked yet: `TCPDIAG_GETSOCK` first, per family if the kernel refuses it.
    Probe,
    /// One `TCPDIAG_GETSOCK` dump a count.
    BothFamilies,
    /// One `SOCK_DIAG_BY_FAMILY` dump per family, AF_INET6 only with `inet6`.
    PerFamily { inet6: bool },
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Probe => "not asked yet",
            Mode::BothFamilies => "one TCPDIAG_GETSOCK dump of both families",
            Mode::PerFamily { inet6: true } => "SOCK_DIAG_BY_FAMILY dumps of AF_INET and AF_INET6",
            Mode::PerFamily { inet6: false } => {
                "a SOCK_DIAG_BY_FAMILY dump of AF_INET (the kernel has no IPv6)"
            }
        })
    }
}

/// Why a count over netlink failed; every kind sends the caller back to the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiagError {
    /// A system call failed: which call, and the errno.
    Call(&'static str, Errno),
    /// The kernel answered a dump with an error (`NLMSG_ERROR`, or `NLMSG_DONE` carrying a
    /// negative errno): the dump, and the errno (positive).
    Kernel(Request, i32),
    /// The reply is not what netlink(7) and sock_diag(7) describe; says what was wrong.
    Malformed(String),
}

impl fmt::Display for DiagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiagError::Call(call, errno) => write!(f, "{call}: {errno}"),
            DiagError::Kernel(request, errno) => write!(
                f,
                "{request} dump: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
            DiagError::Malformed(what) => write!(f, "unexpected reply: {what}"),
        }
    }
}

/// An open `NETLINK_SOCK_DIAG` socket and its receive buffer, kept for the process's life.
#[derive(Debug)]
pub struct SockDiag {
    fd: OwnedFd,
    buf: Vec<u8>,
    /// Sequence number of the last request; replies must carry it.
    seq: u32,
    mode: Mode,
    /// Whether the kernel has IPv6, for [`Mode::PerFamily`].
    inet6: bool,
}

impl SockDiag {
    /// Opens the socket in the calling thread's network namespace, in [`Mode::Probe`];
    /// `inet6`: whether the kernel has IPv6 (`/proc/net/if_inet6` exists), in case it
    /// refuses `TCPDIAG_GETSOCK`.
    pub fn open(inet6: bool) -> Result<SockDiag, DiagError> {
        SockDiag::open_in(Mode::Probe, inet6)
    }

    /// [`SockDiag::open`] asking as `mode` says from the first count (tests and benchmarks
    /// compare the modes).
    pub fn open_in(mode: Mode, inet6: bool) -> Result<SockDiag, DiagError> {
        let fd = socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            Some(netlink::SOCK_DIAG),
        )
        .map_err(|e| DiagError::Call("socket(AF_NETLINK, NETLINK_SOCK_DIAG)", e))?;
        set_socket_timeout(&fd, Timeout::Recv, Some(RECV_TIMEOUT))
            .map_err(|e| DiagError::Call("setsockopt(SO_RCVTIMEO)", e))?;
        Ok(SockDiag {
            fd,
            buf: vec![0; RECV_BUFFER_BYTES],
            seq: 0,
            mode,
            inet6,
        })
    }

    /// How the counts are asked for: [`Mode::Probe`] until the first count.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// TCP sockets of both families by state (index = code − 1), or why not. Allocates
    /// nothing.
    pub fn count_tcp_states(&mut self) -> Result<[u64; STATES], DiagError> {
        let mut counts = [0; STATES];
        match self.mode {
            Mode::BothFamilies => self.dump(Request::BothFamilies, &mut counts)?,
            Mode::PerFamily { inet6 } => {
                self.dump(Request::Family(AF_INET), &mut counts)?;
                if inet6 {
                    self.dump(Request::Family(AF_INET6), &mut counts)?;
                }
            }
            Mode::Probe => match self.dump(Request::BothFamilies, &mut counts) {
                Ok(()) => self.mode = Mode::BothFamilies,
                // Refused (EINVAL, EOPNOTSUPP): the request every kernel since 3.3 knows.
                Err(DiagError::Kernel(..)) => {
                    self.mode = Mode::PerFamily { inet6: self.inet6 };
                    return self.count_tcp_states();
                }
                Err(e) => return Err(e),
            },
        }
        Ok(counts)
    }

    fn dump(&mut self, request: Request, counts: &mut [u64; STATES]) -> Result<(), DiagError> {
        self.seq = self.seq.wrapping_add(1);
        let (bytes, len) = request_bytes(request, self.seq);
        let bytes = bytes.get(..len).unwrap_or_default();
        let kernel = SocketAddrNetlink::new(0, 0);
        let sent = retry_interrupted(|| sendto(&self.fd, bytes, SendFlags::empty(), &kernel))
            .map_err(|e| DiagError::Call("sendto", e))?;
        if sent != bytes.len() {
            return Err(DiagError::Malformed(format!(
                "sendto took {sent} of {} bytes",
                bytes.len()
            )));
        }
        loop {
            // TRUNC: the datagram's real length, so a cut one is seen, not half-parsed.
            let (_, len) =
                retry_interrupted(|| recv(&self.fd, &mut self.buf[..], RecvFlags::TRUNC))
                    .map_err(|e| DiagError::Call("recv", e))?;
            let Some(datagram) = self.buf.get(..len) else {
                return Err(DiagError::Malformed(format!(
                    "a {len}-byte datagram does not fit the {}-byte buffer",
                    self.buf.len()
                )));
            };
            if parse_datagram(datagram, request, self.seq, counts)? == Part::Done {
                return Ok(());
            }
        }
    }
}

fn retry_interrupted<T>(mut call: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match call() {
            Err(Errno::INTR) => continue,
            result => return result,
        }
    }
}

/// The dump request `request` numbered `seq`, and its length: `nlmsghdr` then
/// `inet_diag_req` (76 bytes, `AF_UNSPEC`) or `inet_diag_req_v2` (72 bytes), both asking
/// for TCP sockets in states 1..=12, no extensions, no address filter (the zeroed
/// `inet_diag_sockid`).
pub fn request_bytes(request: Request, seq: u32) -> ([u8; REQUEST_BYTES], usize) {
    let mut bytes = [0u8; REQUEST_BYTES];
    let mut put = |offset: usize, field: &[u8]| {
        if let Some(slot) = bytes.get_mut(offset..offset + field.len()) {
            slot.copy_from_slice(field);
        }
    };
    // Zero already: nlmsg_pid (the kernel), AF_UNSPEC and the address lengths of
    // `inet_diag_req`, idiag_ext (no extensions), pad, dbs, the sockid.
    let len = match request {
        Request::BothFamilies => {
            // idiag_states after family, src_len, dst_len, ext and the 48-byte sockid.
            put(NLMSG_HDRLEN + 52, &STATE_MASK.to_ne_bytes());
            NLMSG_HDRLEN + REQ_COMPAT_BYTES
        }
        Request::Family(family) => {
            put(NLMSG_HDRLEN, &[family, IPPROTO_TCP]);
            put(NLMSG_HDRLEN + 4, &STATE_MASK.to_ne_bytes());
            NLMSG_HDRLEN + REQ_V2_BYTES
        }
    };
    put(0, &(len as u32).to_ne_bytes());
    put(4, &request.message_type().to_ne_bytes());
    put(6, &(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    put(8, &seq.to_ne_bytes());
    (bytes, len)
}

/// Whether a datagram ended the dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    More,
    Done,
}

/// Counts the sockets of one datagram of the dump answering `request` numbered `seq` into
/// `counts`. A datagram holds whole messages, each padded to 4 bytes (`NLMSG_ALIGN`).
pub fn parse_datagram(
    datagram: &[u8],
    request: Request,
    seq: u32,
    counts: &mut [u64; STATES],
) -> Result<Part, DiagError> {
    let malformed = |what: String| Err(DiagError::Malformed(what));
    if datagram.is_empty() {
        return malformed("an empty datagram".into());
    }
    let socket_type = request.message_type();
    let mut offset = 0;
    while let Some(rest) = datagram.get(offset..).filter(|rest| !rest.is_empty()) {
        let (Some(len), Some(kind), Some(msg_seq)) =
            (u32_at(rest, 0), u16_at(rest, 4), u32_at(rest, 8))
        else {
            return malformed(format!(
                "{} bytes at offset {offset}, less than a {NLMSG_HDRLEN}-byte header",
                rest.len()
            ));
        };
        let len = len as usize;
        let Some(payload) = rest
            .get(..len)
            .and_then(|message| message.get(NLMSG_HDRLEN..))
        else {
            return malformed(format!(
                "message length {len} at offset {offset}: below {NLMSG_HDRLEN} or past the \
                 {}-byte datagram",
                datagram.len()
            ));
        };
        if msg_seq != seq {
            return malformed(format!("a reply to request {msg_seq}, expected {seq}"));
        }
        match kind {
            _ if kind == socket_type => {
                let (Some(&msg_family), Some(&state)) = (payload.first(), payload.get(1)) else {
                    return malformed(format!("an empty socket message at offset {offset}"));
                };
                if payload.len() < INET_DIAG_MSG_BYTES {
                    return malformed(format!(
                        "a {}-byte socket message, expected {INET_DIAG_MSG_BYTES}+",
                        payload.len()
                    ));
                }
                if !request.lists(msg_family) {
                    return malformed(format!(
                        "a socket of family {msg_family} in the {request} dump"
                    ));
                }
                count_state(state, counts);
            }
            NLMSG_DONE => {
                // The payload is the dump's final status (`netlink_dump_done`); a zero-length
                // one (kernels before 4.16) means success.
                return match i32_at(payload, 0) {
                    Some(status) if status < 0 => {
                        Err(DiagError::Kernel(request, status.saturating_neg()))
                    }
                    _ => Ok(Part::Done),
                };
            }
            NLMSG_ERROR => {
                // `struct nlmsgerr`: a negative errno, then the request's header. 0 would be an
                // acknowledgement, never asked for (no NLM_F_ACK).
                return match i32_at(payload, 0) {
                    Some(error) if error < 0 => {
                        Err(DiagError::Kernel(request, error.saturating_neg()))
                    }
                    _ => malformed(format!("an NLMSG_ERROR without an error: {payload:02x?}")),
                };
            }
            NLMSG_NOOP => {}
            other => return malformed(format!("message type {other} at offset {offset}")),
        }
        offset += len.next_multiple_of(4);
    }
    Ok(Part::More)
}

/// Adds one socket of kernel state `state` to `counts`, as `tcp::count_tcp_states` counts
/// its `st` code: NEW_SYN_RECV (never sent: `tcp_req_diag_fill` reports 03) as SYN_RECV,
/// codes outside 1..=11 ignored.
fn count_state(state: u8, counts: &mut [u64; STATES]) {
    let state = if state == TCP_NEW_SYN_RECV {
        TCP_SYN_RECV
    } else {
        state
    };
    if let Some(count) = state
        .checked_sub(1)
        .and_then(|i| counts.get_mut(usize::from(i)))
    {
        *count += 1;
    }
}

fn u16_at(bytes: &[u8], offset: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(
        bytes.get(offset..offset + 2)?.try_into().ok()?,
    ))
}

fn u32_at(bytes: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(
        bytes.get(offset..offset + 4)?.try_into().ok()?,
    ))
}

fn i32_at(bytes: &[u8], offset: usize) -> Option<i32> {
    Some(i32::from_ne_bytes(
        bytes.get(offset..offset + 4)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three messages of a real AF_INET dump (Linux 6.18 x86_64, `seq` 7): the listener on
    /// 0.0.0.0:2024 (attributes after the 72-byte `inet_diag_msg`: shutdown, sockopt, …),
    /// an established 127.0.0.1:41342 → :38967, and a time-wait socket (96 bytes, no
    /// shutdown attribute); then the dump's `NLMSG_DONE` datagram. Lines: the 16-byte header,
    /// the 72-byte `inet_diag_msg` in two, then the attributes.
    const LISTEN: &str = concat!(
        "7c00000014000200070000002c400000",
        "020a000007e8000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000d000000000000000000000000000000800000000000000039040000",
        "050008000000000008000f00000000000c00150001000000000000000600160052000000"
    );
    const ESTABLISHED: &str = concat!(
        "7c00000014000200070000002c400000",
        "02010000a17e98377f0000010000000000000000000000007f0000010000000000000000",
        "0000000000000000c9120100000000000000000000000000000000000000000052450500",
        "050008000000000008000f00000000000c00150001000000000000000600160052000000"
    );
    const TIME_WAIT: &str = concat!(
        "6000000014000200070000002c400000",
        "02060300857aae117f0000010000000000000000000000007f0000010000000000000000",
        "0000000000000000c11201000000000034b1000000000000000000000000000000000000",
        "08000f0000000000"
    );
    const DONE: &str = "1400000003000200070000002c40000000000000";

    /// Two messages of a real `TCPDIAG_GETSOCK` dump (Linux 6.18 x86_64, `seq` 7): the
    /// listener on [::1]:36907 (AF_INET6: with INET_DIAG_SKV6ONLY, type 11) and an
    /// established 127.0.0.1:39393 → :57646 (AF_INET), both of type 18; then `NLMSG_DONE`.
    const COMPAT_LISTEN6: &str = concat!(
        "840000001200020007000000d2710000",
        "0a0a0000902b00000000000000000000000000000000000100000000000000000000000000000000",
        "000000000710000000000000000000000000000080000000000000006f8a0100",
        "050008000000000005000b000100000008000f00000000000c00150001000000000000000600160012000000"
    );
    const COMPAT_ESTABLISHED4: &str = concat!(
        "7c0000001200020007000000d2710000",
        "0201000099e1e12e7f0000010000000000000000000000007f000001000000000000000000000000",
        "00000000091000000000000000000000000000000000000000000000738a0100",
        "050008000000000008000f00000000000c00150001000000000000000600160052000000"
    );
    const COMPAT_DONE: &str = "140000000300020007000000d271000000000000";

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// One message in native byte order: header for `seq`, then `payload`.
    fn message(kind: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let len = (NLMSG_HDRLEN + payload.len()) as u32;
        let mut m = Vec::new();
        m.extend_from_slice(&len.to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&0x2u16.to_ne_bytes()); // NLM_F_MULTI
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&4242u32.to_ne_bytes());
        m.extend_from_slice(payload);
        m.resize(m.len().next_multiple_of(4), 0);
        m
    }

    /// A socket message: `inet_diag_msg` of `family` in `state`, plus `extra` attribute bytes.
    fn socket(family: u8, state: u8, seq: u32, extra: usize) -> Vec<u8> {
        message(
            SOCK_DIAG_BY_FAMILY,
            seq,
            &socket_payload(family, state, extra),
        )
    }

    /// An `inet_diag_msg` of `family` in `state`, plus `extra` attribute bytes.
    fn socket_payload(family: u8, state: u8, extra: usize) -> Vec<u8> {
        let mut payload = vec![0; INET_DIAG_MSG_BYTES + extra];
        payload[0] = family;
        payload[1] = state;
        payload
    }

    fn parse(datagram: &[u8], family: u8, seq: u32) -> (Result<Part, DiagError>, [u64; STATES]) {
        parse_reply(datagram, Request::Family(family), seq)
    }

    fn parse_reply(
        datagram: &[u8],
        request: Request,
        seq: u32,
    ) -> (Result<Part, DiagError>, [u64; STATES]) {
        let mut counts = [0; STATES];
        let part = parse_datagram(datagram, request, seq, &mut counts);
        (part, counts)
    }

    fn dump_request(family: u8, seq: u32) -> Vec<u8> {
        let (bytes, len) = request_bytes(Request::Family(family), seq);
        bytes[..len].to_vec()
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn the_request_is_an_inet_diag_req_v2_dump_of_states_1_to_12() {
        let expected = hex(concat!(
            "48000000", // nlmsg_len 72
            "1400",     // SOCK_DIAG_BY_FAMILY
            "0103",     // NLM_F_REQUEST | NLM_F_DUMP
            "07000000", // seq
            "00000000", // pid: the kernel
            "0a",       // AF_INET6
            "06",       // IPPROTO_TCP
            "00",       // idiag_ext: no extensions
            "00",       // pad
            "fe1f0000", // idiag_states: bits 1..=12
        ));
        let request = dump_request(AF_INET6, 7);
        assert_eq!(request.len(), 72);
        assert_eq!(request[..expected.len()], expected[..]);
        assert_eq!(request[expected.len()..], [0; 48], "inet_diag_sockid: any");
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn the_compat_request_is_an_inet_diag_req_dump_of_both_families() {
        let header = hex(concat!(
            "4c000000", // nlmsg_len 76
            "1200",     // TCPDIAG_GETSOCK
            "0103",     // NLM_F_REQUEST | NLM_F_DUMP
            "07000000", // seq
            "00000000", // pid: the kernel
            "00",       // idiag_family: AF_UNSPEC (the kernel dumps both whatever it says)
            "00",       // idiag_src_len
            "00",       // idiag_dst_len
            "00",       // idiag_ext: no extensions
        ));
        let (bytes, len) = request_bytes(Request::BothFamilies, 7);
        assert_eq!(len, 76);
        assert_eq!(bytes[..20], header[..]);
        assert_eq!(bytes[20..68], [0; 48], "inet_diag_sockid: any");
        assert_eq!(bytes[68..72], hex("fe1f0000"), "idiag_states: bits 1..=12");
        assert_eq!(bytes[72..76], [0; 4], "idiag_dbs");
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn a_captured_compat_dump_counts_both_families() {
        let datagram = hex(&format!("{COMPAT_LISTEN6}{COMPAT_ESTABLISHED4}"));
        let (part, counts) = parse_reply(&datagram, Request::BothFamilies, 7);
        assert_eq!(part, Ok(Part::More));
        // ESTABLISHED 1, LISTEN 1.
        assert_eq!(counts, [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        let done = hex(COMPAT_DONE);
        let (part, counts) = parse_reply(&done, Request::BothFamilies, 7);
        assert_eq!((part, counts), (Ok(Part::Done), [0; STATES]));
        // The same messages answer no per-family request: their type is 18, not 20.
        let (part, _) = parse(&datagram, AF_INET6, 7);
        assert_eq!(
            part,
            Err(DiagError::Malformed("message type 18 at offset 0".into()))
        );
        // And a per-family reply answers no compat request.
        let (part, _) = parse_reply(&hex(LISTEN), Request::BothFamilies, 7);
        assert_eq!(
            part,
            Err(DiagError::Malformed("message type 20 at offset 0".into()))
        );
    }

    #[test]
    fn a_compat_dump_takes_both_families_and_no_other() {
        let mut datagram = Vec::new();
        for family in [AF_INET6, AF_INET, AF_INET6] {
            datagram.extend(message(TCPDIAG_GETSOCK, 2, &socket_payload(family, 6, 4)));
        }
        let (part, counts) = parse_reply(&datagram, Request::BothFamilies, 2);
        assert_eq!((part, counts[5]), (Ok(Part::More), 3));
        let unix = message(TCPDIAG_GETSOCK, 2, &socket_payload(1, 1, 0));
        let (part, _) = parse_reply(&unix, Request::BothFamilies, 2);
        assert_eq!(
            part,
            Err(DiagError::Malformed(
                "a socket of family 1 in the TCPDIAG_GETSOCK dump".into()
            ))
        );
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn a_captured_dump_counts_by_state_and_ends_at_done() {
        let datagram = hex(&format!("{LISTEN}{ESTABLISHED}{TIME_WAIT}"));
        let (part, counts) = parse(&datagram, AF_INET, 7);
        assert_eq!(part, Ok(Part::More));
        // ESTABLISHED 1, TIME_WAIT 1, LISTEN 1.
        assert_eq!(counts, [1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
        assert_eq!(parse(&hex(DONE), AF_INET, 7), (Ok(Part::Done), [0; STATES]));
    }

    #[test]
    fn every_state_maps_like_the_proc_files() {
        let mut datagram = Vec::new();
        for state in 0..=14 {
            datagram.extend(socket(AF_INET6, state, 1, 8));
        }
        let (part, counts) = parse(&datagram, AF_INET6, 1);
        assert_eq!(part, Ok(Part::More));
        // 1..=11 once each; 12 (NEW_SYN_RECV) is SYN_RECV; 0, 13 and 14 are ignored.
        assert_eq!(counts, [1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
    }

    #[test]
    fn done_may_share_a_datagram_and_may_be_empty() {
        let mut datagram = socket(AF_INET, 1, 3, 0);
        datagram.extend(message(NLMSG_NOOP, 3, &[]));
        datagram.extend(message(NLMSG_DONE, 3, &[]));
        // Anything after DONE is not read.
        datagram.extend(socket(AF_INET, 1, 3, 0));
        let (part, counts) = parse(&datagram, AF_INET, 3);
        assert_eq!(part, Ok(Part::Done));
        assert_eq!(counts[0], 1);
    }

    #[test]
    fn messages_are_four_byte_aligned() {
        // A 75-byte payload is padded to 76: the next header starts at 92, not 91.
        let mut datagram = socket(AF_INET, 10, 1, 3);
        assert_eq!(datagram.len(), 92);
        assert_eq!(u32_at(&datagram, 0), Some(91));
        datagram.extend(socket(AF_INET, 10, 1, 0));
        assert_eq!(parse(&datagram, AF_INET, 1).1[9], 2);
    }

    #[test]
    fn kernel_errors_end_the_dump_with_their_errno() {
        let mut nlmsgerr = (-2i32).to_ne_bytes().to_vec();
        nlmsgerr.extend_from_slice(&dump_request(AF_INET, 5)[..NLMSG_HDRLEN]);
        let (part, _) = parse(&message(NLMSG_ERROR, 5, &nlmsgerr), AF_INET, 5);
        assert_eq!(part, Err(DiagError::Kernel(Request::Family(AF_INET), 2)));
        assert_eq!(
            part.unwrap_err().to_string(),
            "AF_INET dump: No such file or directory (os error 2)"
        );
        let (part, _) = parse(&message(NLMSG_DONE, 5, &(-4i32).to_ne_bytes()), AF_INET6, 5);
        assert_eq!(part, Err(DiagError::Kernel(Request::Family(AF_INET6), 4)));
        let (part, _) = parse_reply(
            &message(NLMSG_ERROR, 5, &(-22i32).to_ne_bytes()),
            Request::BothFamilies,
            5,
        );
        assert_eq!(
            part.unwrap_err().to_string(),
            "TCPDIAG_GETSOCK dump: Invalid argument (os error 22)"
        );
        let (part, _) = parse(&message(NLMSG_ERROR, 5, &0i32.to_ne_bytes()), AF_INET, 5);
        assert!(
            matches!(&part, Err(DiagError::Malformed(m)) if m.starts_with("an NLMSG_ERROR without an error")),
            "{part:?}"
        );
    }

    #[test]
    fn damage_is_malformed_with_what_was_wrong() {
        let good = socket(AF_INET, 1, 9, 0);
        let malformed = |datagram: &[u8], family: u8| match parse(datagram, family, 9).0 {
            Err(DiagError::Malformed(what)) => what,
            other => panic!("{other:?}"),
        };
        assert_eq!(malformed(&[], AF_INET), "an empty datagram");
        assert_eq!(
            malformed(&good[..10], AF_INET),
            "10 bytes at offset 0, less than a 16-byte header"
        );
        assert_eq!(
            malformed(&good[..80], AF_INET),
            "message length 88 at offset 0: below 16 or past the 80-byte datagram"
        );
        let mut short_len = good.clone();
        short_len[..4].copy_from_slice(&8u32.to_ne_bytes());
        assert_eq!(
            malformed(&short_len, AF_INET),
            "message length 8 at offset 0: below 16 or past the 88-byte datagram"
        );
        assert_eq!(
            malformed(&socket(AF_INET, 1, 8, 0), AF_INET),
            "a reply to request 8, expected 9"
        );
        assert_eq!(
            malformed(&good, AF_INET6),
            "a socket of family 2 in the AF_INET6 dump"
        );
        assert_eq!(
            malformed(&message(SOCK_DIAG_BY_FAMILY, 9, &[2, 1, 0, 0]), AF_INET),
            "a 4-byte socket message, expected 72+"
        );
        assert_eq!(
            malformed(&message(SOCK_DIAG_BY_FAMILY, 9, &[]), AF_INET),
            "an empty socket message at offset 0"
        );
        assert_eq!(
            malformed(&message(4, 9, &[0; 4]), AF_INET),
            "message type 4 at offset 0"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut dump = Vec::new();
        for state in [1, 6, 10, 12] {
            dump.extend(socket(AF_INET, state, 1, 52));
        }
        dump.extend(message(NLMSG_DONE, 1, &0i32.to_ne_bytes()));
        let mut counts = [0; STATES];
        for cut in 0..=dump.len() {
            for request in [Request::Family(AF_INET), Request::BothFamilies] {
                let _ = parse_datagram(&dump[..cut], request, 1, &mut counts);
                let _ = parse_datagram(&dump[cut..], request, 1, &mut counts);
            }
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2000 {
            let mut bytes = dump.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            let _ = parse_datagram(&bytes, Request::Family(AF_INET), 1, &mut counts);
        }
        for len in [16, 17, 100, 4096] {
            let noise: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = parse_datagram(&noise, Request::BothFamilies, 1, &mut counts);
        }
        let mut huge = socket(AF_INET, 1, 1, 0);
        huge[..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        let _ = parse_datagram(&huge, Request::Family(AF_INET), 1, &mut counts);
    }

    #[test]
    fn call_errors_name_the_call() {
        let e = DiagError::Call("socket(AF_NETLINK, NETLINK_SOCK_DIAG)", Errno::AFNOSUPPORT);
        assert_eq!(
            e.to_string(),
            "socket(AF_NETLINK, NETLINK_SOCK_DIAG): Address family not supported by protocol (os error 97)"
        );
    }
}
