//! The `network` collector end to end: counter wraps and resets across cycles, interfaces that
//! vanish or are re-created, the veth filter, the namespace fallback, damaged input, and the
//! TCP state table of a host with 100k sockets (generated at test time, never stored).

use crate::util::agent::{Agent, at_level, request_for, request_once};
use crate::util::otlp::{find, points};
use crate::util::scratch;
use crate::util::ticks::run_ticks;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

const NETWORK: &str = "--collectors=network";
/// `btime 1767220000` of every hand-written network fixture.
const BOOT: &str = "1767220000000000000";
/// `now_unix_nano` of the first and second trees.
const T0: &str = "1767225600000000000";
const T1: &str = "1767225660000000000";

/// (`asInt`, start time) of the point of `name` with attributes `attrs` (`k=v,…`).
fn sample(request: &Value, name: &str, attrs: &str) -> Option<(String, String)> {
    find(&points(request), name, attrs).map(|p| {
        let value = p.value.as_str().unwrap_or_default();
        (value.to_string(), p.start.clone())
    })
}

fn at(request: &Value, name: &str, attrs: &str) -> (String, String) {
    sample(request, name, attrs).unwrap_or_else(|| panic!("no {name}{{{attrs}}}"))
}

fn pair(value: &str, start: &str) -> (String, String) {
    (value.to_string(), start.to_string())
}

/// The interfaces of `system.network.io` in output order (receive points).
fn devices(request: &Value) -> Vec<String> {
    points(request)
        .into_iter()
        .filter(|p| p.name == "system.network.io" && p.attrs.ends_with("direction=receive"))
        .map(|p| {
            p.attrs
                .trim_start_matches("device=")
                .trim_end_matches(",direction=receive")
                .to_string()
        })
        .collect()
}

#[test]
fn issue_9_6_word_counters_wrap_on_armv7_and_keep_their_start() {
    let r = run_ticks("net-wrap-armv7", &["t0", "t1"], &[NETWORK]);
    let rx = "device=eth0,direction=receive";
    assert_eq!(at(&r[0], "system.network.io", rx), pair("4294960000", BOOT));
    // 2^32 − 4294960000 + 5000 = 12296 more bytes, same series.
    assert_eq!(at(&r[1], "system.network.io", rx), pair("4294972296", BOOT));
    assert_eq!(
        at(&r[1], "system.network.packets", rx),
        pair("3100010", BOOT)
    );
    assert_eq!(
        at(&r[1], "system.network.io", "device=eth0,direction=transmit"),
        pair("812001000", BOOT)
    );
}

#[test]
fn issue_9_6_the_same_drop_on_x86_64_is_a_reset_from_t0() {
    let r = run_ticks("net-wrap-x86", &["t0", "t1"], &[NETWORK]);
    let rx = "device=eth0,direction=receive";
    assert_eq!(at(&r[1], "system.network.io", rx), pair("5000", T0));
    // The whole interface restarts: every eth0 series starts at t0's time.
    assert_eq!(at(&r[1], "system.network.packets", rx), pair("3100010", T0));
    assert_eq!(
        at(&r[1], "system.network.io", "device=eth0,direction=transmit"),
        pair("812001000", T0)
    );
    assert_eq!(
        at(&r[1], "system.network.io", "device=lo,direction=receive"),
        pair("1300", BOOT),
        "other interfaces are untouched"
    );
}

#[test]
fn vanished_interfaces_restart_recreated_ones_reset_and_veths_are_dropped() {
    let r = run_ticks("net-vanish", &["t0", "t1", "t2"], &[NETWORK]);
    assert_eq!(devices(&r[0]), ["lo", "eth0", "wlan0", "docker0"]);
    assert_eq!(devices(&r[1]), ["lo", "eth0", "docker0"]);
    assert_eq!(devices(&r[2]), ["lo", "eth0", "docker0", "wlan0"]);
    let rx = |dev: &str| format!("device={dev},direction=receive");
    assert_eq!(
        at(&r[1], "system.network.io", &rx("eth0")),
        pair("5100000", BOOT)
    );
    // wlan0 was absent in t1: a new series starting at t1's time.
    assert_eq!(
        at(&r[2], "system.network.io", &rx("wlan0")),
        pair("3000", T1)
    );
    // eth0's counters grew, but its ifindex went 2 → 9: a new device, a new series.
    assert_eq!(
        at(&r[2], "system.network.io", &rx("eth0")),
        pair("6000000", T1)
    );
    assert_eq!(
        at(&r[2], "system.network.io", &rx("docker0")),
        pair("0", BOOT)
    );
}

#[test]
fn exclude_none_keeps_the_veth() {
    let r = run_ticks(
        "net-vanish",
        &["t0", "t1"],
        &[NETWORK, "--network-exclude=none"],
    );
    assert_eq!(devices(&r[1]), ["lo", "eth0", "docker0", "veth3f2a1b0"]);
    assert_eq!(
        at(
            &r[1],
            "system.network.io",
            "device=veth3f2a1b0,direction=transmit"
        ),
        pair("3100", BOOT)
    );
}

#[test]
fn issue_9_4_tcp_states_use_hostmetrics_names_all_twelve() {
    let (request, _) = request_for("net-tcp-states", &[NETWORK]);
    let states: Vec<(String, String)> = points(&request)
        .into_iter()
        .filter(|p| p.name == "system.network.connections")
        .map(|p| (p.attrs, p.value.as_str().unwrap_or_default().to_string()))
        .collect();
    let expected = [
        ("ESTABLISHED", "0"),
        ("SYN_SENT", "0"),
        ("SYN_RECV", "1"),
        ("FIN_WAIT_1", "1"),
        ("FIN_WAIT_2", "2"),
        ("TIME_WAIT", "0"),
        ("CLOSE", "0"),
        ("CLOSE_WAIT", "0"),
        ("LAST_ACK", "0"),
        ("LISTEN", "0"),
        ("CLOSING", "0"),
        ("DELETE", "0"),
    ]
    .map(|(s, v)| (format!("protocol=tcp,state={s}"), v.to_string()));
    assert_eq!(states, expected);
}

#[test]
fn damaged_lines_skip_one_interface_and_one_socket_and_are_reported() {
    let (request, stderr) = request_for("net-damaged", &[NETWORK]);
    assert_eq!(devices(&request), ["lo", "eth1"]);
    assert_eq!(
        at(
            &request,
            "system.network.errors",
            "device=eth1,direction=transmit"
        )
        .0,
        "3"
    );
    assert_eq!(
        at(
            &request,
            "system.network.connections",
            "protocol=tcp,state=ESTABLISHED"
        )
        .0,
        "1"
    );
    let warn: Vec<&str> = stderr.lines().filter(|l| l.contains(" WARN ")).collect();
    assert_eq!(warn.len(), 1, "{stderr}");
    assert!(
        warn[0].ends_with(
            "net-damaged/proc/1/net/dev line 4: expected at least 12 counters after \"eth0:\", found 6"
        ),
        "{stderr}"
    );
}

#[test]
fn without_pid_1_the_own_namespace_is_read_with_one_warning_per_process() {
    let root = crate::util::fixture("net-fallback");
    let mut agent = Agent::command(&[
        "--interval",
        "100ms",
        "--exporter",
        "stdout",
        "--root-path",
        root.to_str().unwrap(),
        NETWORK,
    ])
    .stdout()
    .spawn();
    let requests: Vec<Value> = (0..3)
        .map(|_| agent.request(Duration::from_secs(10)))
        .collect();
    let (_, log) = agent.stop();
    let stderr = log.join("\n");
    let warnings = at_level(&log, "WARN");
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("net-fallback/proc/1/net/dev: not found; reading ")
            && warnings[0].contains("net-fallback/proc/net/dev instead"),
        "{stderr}"
    );
    for request in &requests {
        assert_eq!(devices(request), ["lo", "eth0"]);
        // No tcp6 (IPv6 disabled) is not an error; tcp alone gives the table.
        assert_eq!(
            at(
                request,
                "system.network.connections",
                "protocol=tcp,state=ESTABLISHED"
            )
            .0,
            "1"
        );
    }
}

/// A root with `net/dev` and the given `tcp`/`tcp6` texts (`None`: no file).
fn make_root(name: &str, tcp: Option<&str>, tcp6: Option<&str>) -> std::path::PathBuf {
    let root = scratch(name);
    let net = root.join("proc/1/net");
    std::fs::create_dir_all(&net).unwrap();
    std::fs::write(
        root.join("sysotlp-fixture.json"),
        r#"{"format": 1, "page_size": 4096, "clock_ticks": 100, "machine": "x86_64", "now_unix_nano": 1767225600000000000}"#,
    )
    .unwrap();
    std::fs::write(
        net.join("dev"),
        "Inter-|   Receive                                                |  Transmit\n \
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
         lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n",
    )
    .unwrap();
    for (file, text) in [("tcp", tcp), ("tcp6", tcp6)] {
        if let Some(text) = text {
            std::fs::write(net.join(file), text).unwrap();
        }
    }
    root
}

fn once(root: &Path) -> (Value, String) {
    request_once(&["--root-path", root.to_str().unwrap(), NETWORK])
}

#[test]
fn without_tcp_files_there_are_no_connection_points_and_an_error() {
    let (request, stderr) = once(&make_root("net-no-tcp", None, None));
    assert_eq!(devices(&request), ["lo"]);
    assert!(
        sample(
            &request,
            "system.network.connections",
            "protocol=tcp,state=LISTEN"
        )
        .is_none(),
        "missing data is never 0"
    );
    assert!(stderr.contains("proc/1/net/tcp: not found"), "{stderr}");
}

/// IPv4 header of `/proc/net/tcp`, padded to 149 characters as `seq_pad` does.
const TCP_HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

#[test]
fn a_hundred_thousand_sockets_are_streamed_not_read_whole() {
    // get_tcp4_sock's format (net/ipv4/tcp_ipv4.c), padded to TMPSZ − 1 = 149 bytes: the
    // file is 15 MB, above the 4 MiB limit of whole-file reads.
    let states = [0x01u8, 0x06, 0x0A, 0x08, 0x02];
    let mut text = format!("{TCP_HEADER:<149}\n");
    for i in 0..100_000u32 {
        let st = states[i as usize % states.len()];
        let line = format!(
            "{:4}: 0100007F:{:04X} 0100007F:1F90 {st:02X} 00000000:00000000 00:00000000 00000000  1000        0 {} 1 0000000041d2c000 20 4 30 10 -1",
            i % 65536,
            (i % 60000) + 1024,
            200_000 + i
        );
        writeln!(text, "{line:<149}").unwrap();
    }
    assert_eq!(text.len(), 150 * 100_001);
    let root = make_root("net-100k", Some(&text), None);
    let (request, stderr) = once(&root);
    assert!(!stderr.contains(" WARN "), "{stderr}");
    let count = |state: &str| {
        at(
            &request,
            "system.network.connections",
            &format!("protocol=tcp,state={state}"),
        )
        .0
    };
    for state in [
        "ESTABLISHED",
        "TIME_WAIT",
        "LISTEN",
        "CLOSE_WAIT",
        "SYN_SENT",
    ] {
        assert_eq!(count(state), "20000", "{state}");
    }
    assert_eq!(count("SYN_RECV"), "0");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn live_once_emits_every_network_metric_in_table_order() {
    // Platform smoke run on this machine's /proc: structure only (values are the fixtures').
    let (request, _) = request_once(&[NETWORK]);
    let p = points(&request);
    let mut names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
    names.dedup();
    assert_eq!(
        names,
        [
            "system.network.packets",
            "system.network.dropped",
            "system.network.errors",
            "system.network.io",
            "system.network.connections"
        ]
    );
    let states = p
        .iter()
        .filter(|p| p.name == "system.network.connections")
        .count();
    assert_eq!(states, 12, "all 12 TCP states");
    let dev = std::fs::read_to_string("/proc/net/dev").unwrap();
    let kernel: Vec<&str> = dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim()))
        .filter(|name| !name.starts_with("veth"))
        .collect();
    assert_eq!(devices(&request), kernel, "every interface, kernel order");
}

#[test]
fn conntrack_without_nf_conntrack_is_silent() {
    let (request, stderr) = request_for(
        "net-tcp-states",
        &[
            NETWORK,
            "--enable=system.network.conntrack.count,system.network.conntrack.max",
        ],
    );
    assert!(!stderr.contains(" WARN "), "{stderr}");
    assert!(
        points(&request)
            .iter()
            .all(|p| !p.name.starts_with("system.network.conntrack")),
        "absent, not 0"
    );
    // Enabling either metric turns the pair on (NetworkOptions::conntrack); --disable drops one.
    let (request, _) = request_for(
        "net-x86",
        &[
            NETWORK,
            "--enable=system.network.conntrack.max",
            "--disable=system.network.conntrack.count",
        ],
    );
    assert_eq!(at(&request, "system.network.conntrack.max", "").0, "262144");
    assert!(sample(&request, "system.network.conntrack.count", "").is_none());
}
