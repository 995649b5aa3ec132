//! A bound on how many series of one kind a collector reports per tick.
//!
//! Reads: the devices a collector admits after its filters, one by one, in kernel order.
//! Emits: whether each may be reported (the first `max` of the tick), and one WARN per
//! process, the first time a tick had more, naming the count, the cap and the flag that
//! raises it. A host with 10,000 interfaces or mounts would otherwise cost every tick's
//! memory in points and request bytes (issue 10: 56 MB RSS, over the service's 32 MB limit);
//! the cap bounds the builder, the request and the state kept per device.

use crate::report::Once;

/// The per-tick cap of one collector.
#[derive(Debug)]
pub struct Cap {
    max: usize,
    /// `interfaces`, `disks`, `mounts`.
    what: &'static str,
    /// `--max-interfaces`: the flag that raises it.
    flag: &'static str,
    seen: usize,
    warned: Once,
}

impl Cap {
    pub fn new(max: usize, what: &'static str, flag: &'static str) -> Cap {
        Cap {
            max,
            what,
            flag,
            seen: 0,
            warned: Once::default(),
        }
    }

    /// Starts a tick.
    pub fn begin(&mut self) {
        self.seen = 0;
    }

    /// One more device passed the filters: true while it is within the cap.
    pub fn admit(&mut self) -> bool {
        self.seen += 1;
        self.seen <= self.max
    }

    /// Ends a tick: the one WARN if this tick had more than the cap.
    pub fn end(&mut self, collector: &str) {
        if self.seen > self.max && self.warned.first() {
            log::warn!(
                "{collector}: {} {} pass the filters, more than {} {}: only the first {} (kernel order) are reported; raise {} or narrow the filters",
                self.seen,
                self.what,
                self.flag,
                self.max,
                self.max,
                self.flag
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_the_first_max_of_each_tick() {
        let mut cap = Cap::new(2, "interfaces", "--max-interfaces");
        for _ in 0..2 {
            cap.begin();
            let admitted: Vec<bool> = (0..4).map(|_| cap.admit()).collect();
            assert_eq!(admitted, [true, true, false, false]);
            cap.end("network");
            assert_eq!(cap.seen, 4);
        }
        assert!(!cap.warned.first(), "warned once already");
    }
}
