//! Which CPUs are online, how many physical cores they make, and how fast they run.
//!
//! Reads: `<root>/sys/devices/system/cpu/online` (a CPU list; sysfs-devices-system-cpu ABI),
//! per online CPU `cpuN/topology/core_cpus_list` (≥ 5.3; older kernels name the same list
//! `thread_siblings_list`: the CPUs sharing cpuN's core), `cpuN/cpufreq/scaling_cur_freq`,
//! else `cpuN/cpufreq/cpuinfo_cur_freq` (kHz; Documentation/admin-guide/pm/cpufreq.rst),
//! else the `cpu MHz` lines of `<root>/proc/cpuinfo` (x86 only: ARM kernels print none).
//! Emits: values only; the `cpu` collector turns them into `system.cpu.physical.count` and
//! `system.cpu.frequency` (spec/metrics.md §3.1, §5.2).
//! Input: `0-3,6` (online), `0,4` or `0-1` (core_cpus_list), `1800000` (scaling_cur_freq),
//! `cpu MHz\t\t: 2596.128` (cpuinfo, after a `processor\t: 0` line).

use crate::source::{ReadError, Source};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// More CPUs than any kernel supports (x86 NR_CPUS tops out at 8192): a list naming more is
/// damage, and expanding it would cost memory for nothing.
const MAX_CPUS: u64 = 1 << 16;

/// The ranges of a sysfs CPU list (`0-3,6` → (0, 3), (6, 6)); `None` if malformed.
fn ranges(text: &str) -> Option<impl Iterator<Item = Option<(u32, u32)>> + '_> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(text.split(',').map(|range| {
        let (first, last) = match range.split_once('-') {
            Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
            None => {
                let n = range.parse::<u32>().ok()?;
                (n, n)
            }
        };
        (first <= last).then_some((first, last))
    }))
}

/// The CPUs of a sysfs CPU list in `out` (cleared first, capacity kept): `0-2,6` → 0 1 2 6.
/// False, with `out` empty, when the list is malformed or absurdly long.
pub fn cpu_list_members(text: &str, out: &mut Vec<u32>) -> bool {
    out.clear();
    let Some(ranges) = ranges(text) else {
        return false;
    };
    let mut total: u64 = 0;
    for range in ranges {
        let Some((first, last)) = range else {
            out.clear();
            return false;
        };
        total += u64::from(last - first) + 1;
        if total > MAX_CPUS {
            out.clear();
            return false;
        }
        out.extend(first..=last);
    }
    true
}

/// The lowest CPU of a list: the one that names the core in `core_cpus_list`.
pub fn first_cpu(text: &str) -> Option<u32> {
    let mut lowest: Option<u32> = None;
    for range in ranges(text)? {
        let (first, _) = range?;
        lowest = Some(lowest.map_or(first, |l| l.min(first)));
    }
    lowest
}

/// Distinct cores among `firsts`, the lowest CPU of each online CPU's core list (sorted in
/// place).
pub fn distinct_cores(firsts: &mut [u32]) -> u64 {
    firsts.sort_unstable();
    let mut count = 0;
    let mut previous = None;
    for &cpu in firsts.iter() {
        if previous != Some(cpu) {
            count += 1;
            previous = Some(cpu);
        }
    }
    count
}

/// A cpufreq file's kHz as Hz. `<unknown>` (cpufreq prints it when the driver cannot tell)
/// and 0 are no reading.
pub fn parse_khz(text: &str) -> Option<f64> {
    let khz: u64 = text.trim().parse().ok()?;
    (khz > 0).then_some(khz as f64 * 1000.0)
}

/// The `cpu MHz` of each `processor` of `/proc/cpuinfo`, in Hz, into `out` (cleared first):
/// (CPU number, Hz) in file order. Lines that do not parse are skipped.
pub fn parse_cpuinfo_mhz(text: &str, out: &mut Vec<(u32, f64)>) {
    out.clear();
    let mut processor = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key.trim() {
            "processor" => processor = value.trim().parse::<u32>().ok(),
            "cpu MHz" => {
                let mhz = value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|m| m.is_finite() && *m > 0.0);
                if let (Some(cpu), Some(mhz)) = (processor, mhz) {
                    out.push((cpu, mhz * 1e6));
                }
            }
            _ => {}
        }
    }
}

/// Per-CPU sysfs files, read through one path buffer that is extended and cut in place.
#[derive(Debug)]
pub struct CpuFiles {
    /// `<root>/sys/devices/system/cpu`, extended to `cpuN/<dir>/<file>` and cut back.
    dir: PathBuf,
    /// `<root>/proc/cpuinfo`.
    cpuinfo: PathBuf,
    /// `cpuN` of the CPU being read, also the `cpu` attribute's value.
    pub label: String,
    buf: String,
    /// This tick's online CPUs, and the lowest CPU of each one's core.
    pub online: Vec<u32>,
    firsts: Vec<u32>,
    /// `/proc/cpuinfo` MHz of this tick, read only when a CPU has no cpufreq file.
    mhz: Vec<(u32, f64)>,
    mhz_read: bool,
}

impl CpuFiles {
    pub fn new(src: &Source) -> Self {
        CpuFiles {
            dir: src.path("sys/devices/system/cpu"),
            cpuinfo: src.path("proc/cpuinfo"),
            label: String::new(),
            buf: String::new(),
            online: Vec::new(),
            firsts: Vec::new(),
            mhz: Vec::new(),
            mhz_read: false,
        }
    }

    /// This tick's online CPUs from the `online` text already read (`None` when the file
    /// is absent: then the `cpuN` lines of `stat`). False when neither gives a CPU.
    pub fn set_online(&mut self, online: Option<&str>, stat: &str) -> bool {
        self.mhz_read = false;
        match online {
            Some(text) => cpu_list_members(text, &mut self.online),
            None => {
                self.online.clear();
                self.online.extend(
                    stat.lines()
                        .filter_map(|line| line.split_ascii_whitespace().next())
                        .filter_map(|label| match super::cpu_label(label) {
                            Some(Some(n)) => Some(n),
                            _ => None,
                        }),
                );
                !self.online.is_empty()
            }
        }
    }

    /// Reads `cpu<cpu>/<dir>/<file>` into the buffer; sets `label` to `cpu<cpu>`.
    fn read(&mut self, src: &Source, cpu: u32, dir: &str, file: &str) -> Result<(), ReadError> {
        self.label.clear();
        // Writing to a String cannot fail.
        let _ = write!(self.label, "cpu{cpu}");
        self.dir.push(&self.label);
        self.dir.push(dir);
        self.dir.push(file);
        let read = src.read_into(&self.dir, &mut self.buf);
        self.dir.pop();
        self.dir.pop();
        self.dir.pop();
        read
    }

    /// Physical cores of the online CPUs; `None` when an online CPU has no readable core
    /// list (counting only the others would under-count).
    pub fn physical_cores(&mut self, src: &Source) -> Option<u64> {
        self.firsts.clear();
        for index in 0..self.online.len() {
            let cpu = self.online[index];
            let first = ["core_cpus_list", "thread_siblings_list"]
                .into_iter()
                .find_map(|file| {
                    self.read(src, cpu, "topology", file).ok()?;
                    first_cpu(&self.buf)
                })?;
            self.firsts.push(first);
        }
        (!self.firsts.is_empty()).then(|| distinct_cores(&mut self.firsts))
    }

    /// The clock of `cpu` in Hz from the first source that answers (spec/metrics.md §5.2);
    /// leaves `label` = `cpu<cpu>`.
    pub fn frequency(&mut self, src: &Source, cpu: u32) -> Option<f64> {
        for file in ["scaling_cur_freq", "cpuinfo_cur_freq"] {
            if self.read(src, cpu, "cpufreq", file).is_ok() {
                if let Some(hz) = parse_khz(&self.buf) {
                    return Some(hz);
                }
            }
        }
        if !self.mhz_read {
            self.mhz_read = true;
            self.mhz.clear();
            if src.read_into(&self.cpuinfo, &mut self.buf).is_ok() {
                parse_cpuinfo_mhz(&self.buf, &mut self.mhz);
            }
        }
        self.mhz.iter().find(|(n, _)| *n == cpu).map(|(_, hz)| *hz)
    }

    /// `<root>/sys/devices/system/cpu`, for messages.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_expand_to_their_members() {
        let mut out = vec![99];
        assert!(cpu_list_members("0-2,6\n", &mut out));
        assert_eq!(out, [0, 1, 2, 6]);
        assert!(cpu_list_members("3", &mut out));
        assert_eq!(out, [3]);
        for bad in ["", "3-1", "0-", "a", "0,,1", "0-65536"] {
            assert!(!cpu_list_members(bad, &mut out), "{bad:?}");
            assert!(out.is_empty());
        }
        assert!(cpu_list_members("0-65535", &mut out));
        assert_eq!(out.len(), 65536);
    }

    #[test]
    fn a_core_is_named_by_its_lowest_cpu() {
        // x86 with SMT: cpu4's core_cpus_list is "0,4"; without SMT each CPU is alone.
        assert_eq!(first_cpu("0,4\n"), Some(0));
        assert_eq!(first_cpu("4,0\n"), Some(0));
        assert_eq!(first_cpu("2-3\n"), Some(2));
        assert_eq!(first_cpu("5\n"), Some(5));
        assert_eq!(first_cpu(""), None);
        assert_eq!(first_cpu("x"), None);
        // 8 CPUs, 4 cores with 2 threads each (siblings 0,4 1,5 2,6 3,7).
        let mut firsts = [0, 1, 2, 3, 0, 1, 2, 3];
        assert_eq!(distinct_cores(&mut firsts), 4);
        assert_eq!(distinct_cores(&mut []), 0);
    }

    #[test]
    fn cpufreq_khz_become_hz() {
        assert_eq!(parse_khz("1800000\n"), Some(1.8e9));
        assert_eq!(parse_khz("600000"), Some(6e8));
        assert_eq!(parse_khz("<unknown>\n"), None);
        assert_eq!(parse_khz("0\n"), None);
        assert_eq!(parse_khz(""), None);
        assert_eq!(parse_khz("-1"), None);
    }

    #[test]
    fn cpuinfo_mhz_per_processor() {
        // Linux 6.18 x86_64 guest (the x86_64-vm fixture's layout), trimmed.
        let text = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu MHz\t\t: 2596.128\n\n\
processor\t: 1\ncpu MHz\t\t: 3400.5\n\nprocessor\t: 2\nflags\t\t: fpu\n";
        let mut out = Vec::new();
        parse_cpuinfo_mhz(text, &mut out);
        assert_eq!(out, [(0, 2_596_128_000.0), (1, 3_400_500_000.0)]);
        // aarch64: no MHz lines at all.
        parse_cpuinfo_mhz("processor\t: 0\nBogoMIPS\t: 108.00\n", &mut out);
        assert!(out.is_empty());
        // A MHz line before any processor line is not attributed to a CPU.
        parse_cpuinfo_mhz("cpu MHz\t: 800\nprocessor\t: x\ncpu MHz\t: 900\n", &mut out);
        assert!(out.is_empty());
        parse_cpuinfo_mhz(
            "processor\t: 0\ncpu MHz\t: 1e309\nprocessor\t: 1\ncpu MHz\t: NaN\n",
            &mut out,
        );
        assert!(out.is_empty());
    }

    #[test]
    fn garbage_never_panics() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/x86_64-vm/proc/cpuinfo"
        ))
        .unwrap();
        let (mut cpus, mut mhz) = (Vec::new(), Vec::new());
        crate::collect::garbage::for_each_variant(&text, |text| {
            parse_cpuinfo_mhz(text, &mut mhz);
            let _ = cpu_list_members(text, &mut cpus);
            let _ = first_cpu(text);
            let _ = parse_khz(text);
        });
    }
}
