//! `--hostmetrics-quirks` (spec/metrics.md D12): what it changes is pinned by the goldens
//! `expected-quirks.json` of `x86_64-vm`, `net-tcp-reuseport`, `processes` and
//! `processes-states` (values computed by hand in their READMEs); these tests pin what it
//! must not change, and that `--check` shows it.

use crate::util::otlp::{get, points};
use crate::util::ticks::run_ticks;
use crate::util::{run, stdout_of};

#[test]
fn quirks_keep_guest_out_of_the_cpu_utilization_denominator() {
    // fixtures/cpu-guest: Δ 12000 ticks over the 8 states, of which 5000 guest inside user
    // and 100 guest_nice inside nice. Upstream dropped guest from its denominator (contrib
    // #48029), so the Collector and both our modes give 7000 / 12000 for user, not 7000 /
    // 17100, and the states sum to 1.
    for quirks in [false, true] {
        let mut flags = vec!["--collectors=cpu", "--enable=system.cpu.utilization"];
        if quirks {
            flags.push("--hostmetrics-quirks");
        }
        let requests = run_ticks("cpu-guest", &["t0", "t1"], &flags);
        let t1 = points(&requests[1]);
        let share = |state: &str| {
            get(&t1, "system.cpu.utilization", &format!("state={state}"))
                .value
                .as_f64()
                .unwrap()
        };
        for (state, ticks) in [
            ("user", 7000.0),
            ("nice", 200.0),
            ("system", 1000.0),
            ("idle", 3500.0),
            ("wait", 200.0),
            ("interrupt", 0.0),
            ("softirq", 100.0),
            ("steal", 0.0),
        ] {
            assert_eq!(share(state), ticks / 12000.0, "{state}, quirks {quirks}");
        }
        let sum: f64 = t1
            .iter()
            .filter(|p| p.name == "system.cpu.utilization")
            .map(|p| p.value.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-12, "quirks {quirks}: {sum}");
    }
}

#[test]
fn check_shows_hostmetrics_quirks_only_when_set() {
    let out = run(&["--check", "--hostmetrics-quirks"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = stdout_of(&out);
    assert!(
        stdout.contains(" collectors=") && stdout.contains(" hostmetrics-quirks"),
        "{stdout}"
    );
    let out = run(&["--check"], &[]);
    assert!(!stdout_of(&out).contains("hostmetrics-quirks"));
}
