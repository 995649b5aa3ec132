//! Parser of `/proc/net/dev`: per-interface byte, packet, error and drop counters.
//!
//! Reads: the text of `<root>/proc/1/net/dev` or `<root>/proc/net/dev` (proc(5), printed by
//! `dev_seq_show` in net/core/net-procfs.c).
//! Emits: one [`DevLine`] per interface, in kernel order.
//! Input:
//! ```text
//! Inter-|   Receive                                                |  Transmit
//!  face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
//!     lo:  335095    1372    0    0    0     0          0         0   335095    1372    0    0    0     0       0          0
//!   eth0: 52161706    2668    0    0    0     0          0         0   201876    1750    0    0    0     0       0          0
//! ```
//! The kernel prints `"%6s: %7llu %7llu ..."`: names are right-aligned to 6 characters and
//! longer ones simply push the colon right (`enp0s31f6: 12`). Kernels before 2.6.x printed
//! `"%6s:%8lu"`, so a large first value can touch the colon (`eth0:1234567890`): the name is
//! the text before the first `:`, and the counters are the whitespace-separated fields after
//! it. Names cannot contain `:`: IP aliases such as `eth0:1` are address labels, not
//! devices, and never appear here (`dev_valid_name` in net/core/dev.c refuses `:`, `/` and
//! whitespace, `.`, `..` and names of 16 bytes or more).

use crate::collect::text::parse_counter;

/// Counters used per interface: rx bytes packets errs drop, then tx bytes packets errs drop
/// (columns 1–4 and 9–12; 12 columns must be present, the rest are not read).
const USED_COLUMNS: usize = 12;
/// `IFNAMSIZ` (include/uapi/linux/if.h) counts the terminating NUL.
const IFNAMSIZ: usize = 16;

/// The counters of one interface that `system.network.*` emits, raw from the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevLine<'a> {
    pub name: &'a str,
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errs: u64,
    pub rx_drop: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errs: u64,
    pub tx_drop: u64,
}

/// Whether the kernel could have named a device `name` (`dev_valid_name`, net/core/dev.c).
/// Also keeps a damaged file from steering the `sys/class/net/<name>` lookup out of its
/// directory.
pub fn valid_interface_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < IFNAMSIZ
        && name != "."
        && name != ".."
        && !name
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace())
}

/// Parses one line of `/proc/net/dev`: `Ok(None)` for the two header lines (they contain
/// `|`) and blank lines, `Err` with what was expected for a damaged line.
pub fn parse_net_dev_line(line: &str) -> Result<Option<DevLine<'_>>, String> {
    if line.contains('|') || line.trim().is_empty() {
        return Ok(None);
    }
    let Some((name, rest)) = line.split_once(':') else {
        return Err(format!(
            "expected \"<interface>: <16 counters>\", found \"{line}\""
        ));
    };
    let name = name.trim();
    if !valid_interface_name(name) {
        return Err(format!("expected an interface name, found \"{name}\""));
    }
    let mut columns = [0u64; USED_COLUMNS];
    let mut count = 0;
    for field in rest.split_ascii_whitespace() {
        if let Some(slot) = columns.get_mut(count) {
            *slot = parse_counter(field).ok_or_else(|| {
                format!(
                    "expected a counter in column {} of \"{name}\", found \"{field}\"",
                    count + 1
                )
            })?;
        }
        count += 1;
    }
    if count < USED_COLUMNS {
        return Err(format!(
            "expected at least 12 counters after \"{name}:\", found {count}"
        ));
    }
    let [
        rx_bytes,
        rx_packets,
        rx_errs,
        rx_drop,
        _,
        _,
        _,
        _,
        tx_bytes,
        tx_packets,
        tx_errs,
        tx_drop,
    ] = columns;
    Ok(Some(DevLine {
        name,
        rx_bytes,
        rx_packets,
        rx_errs,
        rx_drop,
        tx_bytes,
        tx_packets,
        tx_errs,
        tx_drop,
    }))
}

/// The interfaces of `/proc/net/dev` in kernel order: `(line number, parsed line)`, header
/// and blank lines left out.
pub fn parse_net_dev(
    text: &str,
) -> impl Iterator<Item = (usize, Result<DevLine<'_>, String>)> + '_ {
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| match parse_net_dev_line(line) {
            Ok(None) => None,
            Ok(Some(dev)) => Some((index + 1, Ok(dev))),
            Err(what) => Some((index + 1, Err(what))),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cat /proc/net/dev` on this project's x86_64 VM, Linux 6.18.
    const LINUX_6_18: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  335095    1372    0    0    0     0          0         0   335095    1372    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 52161706    2668    3    7    0     0          0         0   201876    1750    1    2    0     0       0          0
";

    #[test]
    fn parses_interfaces_in_kernel_order_and_skips_headers() {
        let lines: Vec<_> = parse_net_dev(LINUX_6_18).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].0, 3, "line numbers count the headers");
        assert_eq!(
            lines[2].1,
            Ok(DevLine {
                name: "eth0",
                rx_bytes: 52_161_706,
                rx_packets: 2668,
                rx_errs: 3,
                rx_drop: 7,
                tx_bytes: 201_876,
                tx_packets: 1750,
                tx_errs: 1,
                tx_drop: 2,
            })
        );
        let names: Vec<&str> = lines
            .iter()
            .map(|(_, l)| l.as_ref().unwrap().name)
            .collect();
        assert_eq!(names, ["lo", "ifb0", "eth0"]);
    }

    #[test]
    fn long_names_push_the_colon_and_old_kernels_touch_it() {
        // "%6s:" does not truncate: a 15-byte name is printed whole.
        let line = "wlp0s20f3abcde: 10 20 0 0 0 0 0 0 30 40 0 0 0 0 0 0";
        let dev = parse_net_dev_line(line).unwrap().unwrap();
        assert_eq!(
            (dev.name, dev.rx_bytes, dev.tx_packets),
            ("wlp0s20f3abcde", 10, 40)
        );
        // Linux 2.4 "%6s:%8lu": a 10-digit value touches the colon.
        let line = "  eth0:1234567890 20 0 0 0 0 0 0 30 40 0 0 0 0 0 0";
        let dev = parse_net_dev_line(line).unwrap().unwrap();
        assert_eq!((dev.name, dev.rx_bytes), ("eth0", 1_234_567_890));
    }

    #[test]
    fn extra_columns_are_tolerated_and_missing_used_ones_are_not() {
        let extra = "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18";
        let dev = parse_net_dev_line(extra).unwrap().unwrap();
        assert_eq!((dev.rx_bytes, dev.tx_drop), (1, 12));
        // Only the 12 used columns are required (the last four are not read).
        let twelve = "eth0: 1 2 3 4 5 6 7 8 9 10 11 12";
        assert_eq!(parse_net_dev_line(twelve).unwrap().unwrap().tx_bytes, 9);
        assert_eq!(
            parse_net_dev_line("eth0: 1 2 3 4 5 6 7 8 9 10 11"),
            Err("expected at least 12 counters after \"eth0:\", found 11".into())
        );
    }

    #[test]
    fn damaged_lines_are_errors() {
        assert!(parse_net_dev_line("eth0 1 2 3 4 5 6 7 8 9 10 11 12").is_err());
        assert!(parse_net_dev_line(": 1 2 3 4 5 6 7 8 9 10 11 12").is_err());
        assert!(parse_net_dev_line("../etc: 1 2 3 4 5 6 7 8 9 10 11 12").is_err());
        assert!(parse_net_dev_line("a b: 1 2 3 4 5 6 7 8 9 10 11 12").is_err());
        assert!(parse_net_dev_line("abcdefghijklmnop: 1 2 3 4 5 6 7 8 9 10 11 12").is_err());
        assert_eq!(
            parse_net_dev_line("eth0: 1 2 x 4 5 6 7 8 9 10 11 12"),
            Err("expected a counter in column 3 of \"eth0\", found \"x\"".into())
        );
        assert!(
            parse_net_dev_line("eth0: 1 2 3 4 5 6 7 8 18446744073709551615 10 11 12").is_err(),
            "above i64::MAX"
        );
        // A damaged column the collector does not read is not an error.
        assert!(
            parse_net_dev_line("eth0: 1 2 3 4 5 6 7 8 9 10 11 12 x 14 15 16")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn kernel_name_rule() {
        for ok in [
            "lo",
            "eth0",
            "br-1a2b3c4d5e6f",
            "wg0",
            "eth0.100",
            "enp0s31f6",
        ] {
            assert!(valid_interface_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "eth0:1", "a b", "abcdefghijklmnop"] {
            assert!(!valid_interface_name(bad), "{bad}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant(LINUX_6_18, |text| {
            for (_, line) in parse_net_dev(text) {
                let _ = line;
            }
        });
    }
}
