//! TCP states over netlink `sock_diag` against the `/proc/net/tcp{,6}` files on this machine:
//! real loopback sockets in every state a test can hold still, counted both ways in the same
//! instant; and the fallback to the files when netlink is refused (a seccomp filter, as
//! systemd's `RestrictAddressFamilies=` installs), through the binary.
//!
//! Live by necessity: the point is that two kernel interfaces agree. Other processes'
//! sockets are counted too, so whole tables are compared, never absolute numbers, and
//! lower bounds only check that this test's own sockets were seen.

use crate::util::agent::Agent;
use crate::util::otlp::points;
use crate::util::skip_or_fail;
use rustix::net::{
    AddressFamily, SocketAddrV4, SocketFlags, SocketType, bind, connect, listen, socket_with,
};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::Duration;
use sysotlp::collect::network::sock_diag::{Mode, SockDiag};
use sysotlp::collect::network::tcp::{STATES, count_tcp_states};

const ESTABLISHED: usize = 0;
const SYN_SENT: usize = 1;
const SYN_RECV: usize = 2;
const FIN_WAIT_2: usize = 4;
const TIME_WAIT: usize = 5;
const CLOSE_WAIT: usize = 7;
const LISTEN: usize = 9;

/// `/proc/net/tcp` and `/proc/net/tcp6` counted apart (`tcp6` absent: IPv6 off, zeros).
fn proc_counts(buf: &mut [u8]) -> [[u64; STATES]; 2] {
    let mut by_file = [[0; STATES]; 2];
    for (path, counts) in ["/proc/net/tcp", "/proc/net/tcp6"].iter().zip(&mut by_file) {
        let Ok(mut file) = File::open(path) else {
            assert_eq!(*path, "/proc/net/tcp6", "/proc/net/tcp must exist");
            continue;
        };
        let bad = count_tcp_states(&mut file, buf, counts).unwrap();
        assert_eq!(bad, None, "{path}");
    }
    by_file
}

fn sum(a: [u64; STATES], b: [u64; STATES]) -> [u64; STATES] {
    std::array::from_fn(|i| a[i] + b[i])
}

/// An established pair through `listener`, connected to `to` (the listener's address, or
/// its IPv4-mapped IPv6 form).
fn pair(listener: &TcpListener, to: SocketAddr) -> (TcpStream, TcpStream) {
    let client = TcpStream::connect(to).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// Python's `TCP_DEFER_ACCEPT` listener with one connected client: the kernel drops the
/// client's bare ACK, so the server side stays a request socket (NEW_SYN_RECV) that
/// `/proc` prints as 03. Rust has no safe `setsockopt` for it. The helper exits when its
/// stdin closes (the `Child` dropped). `None` when python3 cannot run here (a visible skip
/// by hand, a failure under `CI=true`).
fn defer_accept_request() -> Option<Child> {
    const SCRIPT: &str = "import socket, sys
l = socket.socket()
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 60)
l.bind(('127.0.0.1', 0))
l.listen(4)
c = socket.create_connection(l.getsockname())
print('ready', flush=True)
sys.stdin.read()
";
    let mut child = match Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            skip_or_fail(&format!(
                "the NEW_SYN_RECV socket: python3 not runnable: {e} (see tests/fuse/setup.sh)"
            ));
            return None;
        }
    };
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n", "python3 helper");
    Some(child)
}

#[test]
fn netlink_counts_equal_the_proc_files_with_sockets_in_many_states() {
    let loopback4 = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let listener4 = TcpListener::bind(loopback4).unwrap();
    let at4 = listener4.local_addr().unwrap();
    // ::1 is missing with IPv6 disabled (ipv6.disable=1, a container without it).
    let listener6 = TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, 0)))
        .inspect_err(|e| skip_or_fail(&format!("the IPv6 sockets: bind [::1]:0: {e}")))
        .ok();
    let mut min = [0u64; STATES];

    min[LISTEN] += 1;
    let mut open = vec![pair(&listener4, at4)];
    min[ESTABLISHED] += 2;
    if let Some(listener6) = &listener6 {
        min[LISTEN] += 1;
        open.push(pair(listener6, listener6.local_addr().unwrap()));
        // An AF_INET6 client on ::ffff:127.0.0.1: listed once, in tcp6 and the AF_INET6 dump.
        let mapped = SocketAddr::from((Ipv4Addr::LOCALHOST.to_ipv6_mapped(), at4.port()));
        open.push(pair(&listener4, mapped));
        min[ESTABLISHED] += 4;
    }

    // TIME_WAIT: the client closes first, then the server.
    let (client, server) = pair(&listener4, at4);
    drop(client);
    drop(server);
    min[TIME_WAIT] += 1;
    // CLOSE_WAIT: the client closes, the server does not; the orphaned client is a FIN_WAIT_2
    // timewait socket (st 05, tcp_close in net/ipv4/tcp.c).
    let (client, half_closed) = pair(&listener4, at4);
    client.shutdown(Shutdown::Both).unwrap();
    drop(client);
    min[CLOSE_WAIT] += 1;
    min[FIN_WAIT_2] += 1;

    // SYN_SENT: listen(0) takes one connection into its queue; the next SYN is dropped while
    // the queue is full (tcp_conn_request), so the client keeps retrying.
    let full = socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    bind(&full, &SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap();
    listen(&full, 0).unwrap();
    let full_at = rustix::net::getsockname(&full).unwrap();
    let full_at = SocketAddrV4::try_from(full_at).unwrap();
    let queued = TcpStream::connect(SocketAddr::V4(full_at)).unwrap();
    let syn_sent = socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )
    .unwrap();
    assert_eq!(
        connect(&syn_sent, &full_at),
        Err(rustix::io::Errno::INPROGRESS)
    );
    min[LISTEN] += 1;
    min[ESTABLISHED] += 2; // `queued` and its child waiting in the accept queue
    min[SYN_SENT] += 1;

    // Bound, never listening or connecting: in neither the files nor a dump of states 1..=12
    // (the kernel reports it as CLOSE only when asked for bit 13, TCP_BOUND_INACTIVE).
    let bound = socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    bind(&bound, &SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap();

    let mut python = defer_accept_request();
    if python.is_some() {
        min[LISTEN] += 1;
        min[ESTABLISHED] += 1;
        min[SYN_RECV] += 1;
    }

    // Every way of asking: the one TCPDIAG_GETSOCK walk this kernel answers (the probe
    // must settle on it), the two SOCK_DIAG_BY_FAMILY dumps, and AF_INET alone (a kernel
    // without IPv6), which must equal `tcp` alone.
    let mut probed = SockDiag::open(true).unwrap();
    let mut per_family = SockDiag::open_in(Mode::PerFamily { inet6: true }, true).unwrap();
    let mut inet_only = SockDiag::open_in(Mode::PerFamily { inet6: false }, false).unwrap();
    let mut buf = vec![0; sysotlp::collect::network::TCP_BUFFER_BYTES];
    let mut last = None;
    // Other processes open and close sockets (TIME_WAIT ones expire): retry until the reads
    // agree, and our own sockets have reached their states.
    for attempt in 1..=50 {
        let [v4_before, v6_before] = proc_counts(&mut buf);
        let netlink = probed.count_tcp_states().unwrap();
        let two_dumps = per_family.count_tcp_states().unwrap();
        let inet = inet_only.count_tcp_states().unwrap();
        let [v4_after, v6_after] = proc_counts(&mut buf);
        let before = sum(v4_before, v6_before);
        let seen = netlink.iter().zip(min).all(|(n, m)| *n >= m);
        let agree = before == netlink
            && netlink == two_dumps
            && netlink == sum(v4_after, v6_after)
            && v4_before == inet
            && inet == v4_after;
        if agree && seen {
            eprintln!("equal at attempt {attempt}: {netlink:?} (at least {min:?})");
            last = None;
            break;
        }
        last = Some((before, netlink, two_dumps, v4_before, inet));
        sleep(Duration::from_millis(20));
    }
    assert_eq!(
        last, None,
        "never equal (proc, TCPDIAG_GETSOCK, per family, tcp alone, AF_INET alone); expected \
         at least {min:?}"
    );
    assert_eq!(
        probed.mode(),
        Mode::BothFamilies,
        "this kernel answers TCPDIAG_GETSOCK"
    );

    if let Some(child) = &mut python {
        drop(child.stdin.take());
        child.wait().unwrap();
    }
    drop((open, half_closed, queued, full, syn_sent, bound));
}

/// Runs the binary for three ticks of the network collector with `args`, under `wrapper`
/// (a program that execs it) or not; returns its stderr and each tick's LISTEN count.
fn three_ticks(wrapper: &[&str], args: &[&str]) -> (String, Vec<i64>) {
    let mut all = vec![
        "--interval",
        "100ms",
        "--exporter",
        "stdout",
        "--collectors=network",
    ];
    all.extend_from_slice(args);
    let start = if wrapper.is_empty() {
        Agent::command(&all)
    } else {
        Agent::wrapped(wrapper, &all)
    };
    let mut agent = start.stdout().spawn();
    let mut listening = Vec::new();
    for tick in 0..3 {
        let request = agent.request(Duration::from_secs(10));
        let states: Vec<_> = points(&request)
            .into_iter()
            .filter(|p| p.name == "system.network.connections")
            .collect();
        assert_eq!(states.len(), 12, "tick {tick}: all 12 TCP states");
        let listen = states.iter().find(|p| p.attrs.ends_with("state=LISTEN"));
        listening.push(listen.and_then(|p| p.int()).unwrap());
    }
    let (_, log) = agent.stop();
    (log.join("\n"), listening)
}

const NETLINK_IN_USE: &str = "DEBUG network: counting TCP states over netlink sock_diag";
const ONE_WALK: &str = "DEBUG network: counting TCP states over netlink sock_diag: one \
                        TCPDIAG_GETSOCK dump of both families";

/// Runs deny_netlink.py with `args` and `/bin/true`: `None` when it can install its filter
/// here, else why not (for [`skip_or_fail`]).
fn seccomp_unavailable(helper: &str, args: &[&str]) -> Option<String> {
    match Command::new("python3")
        .arg(helper)
        .args(args)
        .arg("/bin/true")
        .stderr(Stdio::piped())
        .output()
    {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "cannot install a seccomp filter here (tests/netlink/deny_netlink.py): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!(
            "python3 not runnable for tests/netlink/deny_netlink.py: {e} (see tests/fuse/setup.sh)"
        )),
    }
}

const DENY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/netlink/deny_netlink.py");

#[test]
fn live_without_root_path_counts_over_netlink_quietly() {
    let (stderr, _) = three_ticks(&[], &["--log-level", "debug"]);
    assert_eq!(stderr.matches(NETLINK_IN_USE).count(), 1, "{stderr}");
    assert!(stderr.contains(ONE_WALK), "{stderr}");
    assert!(!stderr.contains(" INFO network:"), "no fallback: {stderr}");
}

#[test]
fn ipv6_sockets_are_counted_without_an_inet6_socket_of_ours() {
    // systemd's RestrictAddressFamilies=AF_INET AF_NETLINK: socket(AF_INET6) refused. The
    // kernel lists IPv6 sockets in the one TCPDIAG_GETSOCK dump all the same.
    if let Some(why) = seccomp_unavailable(DENY, &["--family=10"]) {
        return skip_or_fail(&why);
    }
    const OURS: usize = 5;
    let listeners: Vec<TcpListener> = match (0..OURS)
        .map(|_| TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, 0))))
        .collect()
    {
        Ok(listeners) => listeners,
        Err(e) => return skip_or_fail(&format!("the IPv6 listeners: bind [::1]:0: {e}")),
    };
    let mut buf = vec![0; sysotlp::collect::network::TCP_BUFFER_BYTES];
    let inet_before = proc_counts(&mut buf)[0][LISTEN];
    let (stderr, listening) =
        three_ticks(&["python3", DENY, "--family=10"], &["--log-level", "debug"]);
    let inet_after = proc_counts(&mut buf)[0][LISTEN];
    assert!(stderr.contains(ONE_WALK), "{stderr}");
    assert!(!stderr.contains(" INFO network:"), "{stderr}");
    // Counting AF_INET alone would give the IPv4 listeners (`tcp`), never 5 more.
    let floor = inet_before.min(inet_after) as i64 + OURS as i64;
    assert!(
        listening.iter().any(|n| *n >= floor),
        "LISTEN per tick {listening:?}, expected at least {floor} with our {OURS} on [::1]"
    );
    drop(listeners);
}

#[test]
fn a_root_path_reads_the_files_never_netlink() {
    // A link to `/` is the live machine, but through --root-path: the host's namespace
    // (proc/1/net) is read, which a socket of the agent's may not see.
    let dir = crate::util::scratch("root-link");
    let root = dir.join("root");
    std::os::unix::fs::symlink("/", &root).unwrap();
    let (stderr, _) = three_ticks(
        &[],
        &[
            "--log-level",
            "debug",
            "--root-path",
            root.to_str().unwrap(),
        ],
    );
    assert!(!stderr.contains("sock_diag"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn netlink_refused_by_seccomp_falls_back_to_the_files_with_one_info() {
    if let Some(why) = seccomp_unavailable(DENY, &[]) {
        return skip_or_fail(&why);
    }
    let (stderr, _) = three_ticks(&["python3", DENY], &["--log-level", "debug"]);
    let infos: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" INFO network:"))
        .collect();
    assert_eq!(
        infos.len(),
        1,
        "one INFO for the process, not one per tick: {stderr}"
    );
    assert!(
        infos[0].ends_with(
            "INFO network: netlink sock_diag: socket(AF_NETLINK, NETLINK_SOCK_DIAG): Address \
             family not supported by protocol (os error 97); counting TCP states from \
             /proc/net/tcp and /proc/net/tcp6 from now on"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(NETLINK_IN_USE), "{stderr}");
    // A loaded runner may overrun the 100 ms interval; that note is the scheduler's.
    let warnings = stderr
        .lines()
        .filter(|l| l.contains(" WARN ") && !l.contains("the previous cycle overran"));
    assert_eq!(warnings.count(), 0, "{stderr}");
}
