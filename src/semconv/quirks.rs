//! Attribute values only `--hostmetrics-quirks` emits (spec/metrics.md D12): the Collector's
//! hostmetrics receiver sends them on Linux, sysotlp's own output never does.
//!
//! Reads: nothing. Emits: nothing; `memory`, `network` and `processes` take these values
//! from here. Under `--names semconv` they pass through unchanged (semconv has none of them).

/// `system.memory.usage` `state`s of the Collector's memory scraper on Linux
/// (memoryscraper/metadata.yaml `state` enum; `recordMemoryUsageMetric`).
pub const MEMORY_SLAB_RECLAIMABLE: &str = "slab_reclaimable";
pub const MEMORY_SLAB_UNRECLAIMABLE: &str = "slab_unreclaimable";

/// gopsutil's names of TCP states 04 and 05 (v4 net/net_linux.go `tcpStatuses`), which the
/// Collector counts beside its own zero-initialised `FIN_WAIT_1`/`FIN_WAIT_2`
/// (networkscraper `allTCPStates`, `getTCPConnectionStatusCounts`).
pub const TCP_FIN_WAIT1: &str = "FIN_WAIT1";
pub const TCP_FIN_WAIT2: &str = "FIN_WAIT2";

/// `system.processes.count` `status` of state letter `W` (gopsutil v4
/// process/process.go `convertStatusChar`: W → `Wait`; processesscraper `charToState`:
/// `Wait` → `paging`). Linux printed W for paging before 2.6 and for waking in 2.6.33–3.13.
pub const PROCESS_PAGING: &str = "paging";
