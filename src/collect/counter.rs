//! Counter integrity: wraps, resets and hot-plug (spec/metrics.md §1.3).
//!
//! Reads: raw kernel counters of one entity (a disk, an interface) per cycle, each with the
//! width of its C type: 32 bits (`unsigned int`), the kernel word (`unsigned long`: 32 bits
//! on 32-bit kernels) or 64 bits. Emits: wrap-extended values and the series' start time.
//! When a raw value goes down: if the field is narrower than 64 bits, the previous value fits
//! that width and `cur + 2^w − prev < 2^(w−1)`, it wrapped: `2^w` is added to the field's
//! offset and the series continues. Otherwise the entity restarted (device replaced, driver
//! reloaded): offsets go to 0 and the start time becomes the previous cycle's time. An entity
//! first seen after cycle 1, or absent in the previous cycle, also starts at the previous
//! cycle's time. Entities not seen for 3 cycles are forgotten (bounded memory under churn).
//! [`to_int`] is the one conversion of counters to OTLP `int` values.

use crate::schedule::Tick;

/// Cycles an absent entity is kept before its state is dropped.
const STALE_CYCLES: u64 = 3;

/// A raw or extended counter as an OTLP `int`. The parsers refuse values above `i64::MAX`
/// (spec/metrics.md §7), so only an extension past it (centuries of wraps) saturates.
pub fn to_int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The C type width of a counter field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// `unsigned int` / `u32`.
    Bits32,
    /// `unsigned long`: 32 or 64 bits with the kernel.
    Word,
    /// `u64` / `unsigned long long`.
    Bits64,
}

/// The kernel's word size from its machine name (§1.3, first match): contains `64` or is
/// `armv8l` → 64; `arm*`, `i?86`, `ppc`, `mips*` → 32; else 64.
pub fn kernel_word_bits(machine: &str) -> u32 {
    let m = machine;
    if m.contains("64") || m == "armv8l" {
        64
    } else if m.starts_with("arm")
        || (m.len() == 4 && m.starts_with('i') && m.ends_with("86"))
        || m == "ppc"
        || m.starts_with("mips")
    {
        32
    } else {
        64
    }
}

#[derive(Debug)]
struct Entity {
    key: String,
    seen_cycle: u64,
    start_unix_nano: u64,
    raw: Vec<u64>,
    offset: Vec<u64>,
}

/// Counter state of every entity of one collector.
#[derive(Debug)]
pub struct Counters {
    word_bits: u32,
    entities: Vec<Entity>,
}

impl Counters {
    pub fn new(word_bits: u32) -> Self {
        Counters {
            word_bits,
            entities: Vec::new(),
        }
    }

    /// Extends this cycle's raw counters of entity `key`; returns the values to emit and the
    /// series' start time. `force_reset` restarts the series (e.g. a changed `ifindex`).
    pub fn update<const N: usize>(
        &mut self,
        key: &str,
        tick: &Tick,
        raw: [(u64, Width); N],
        force_reset: bool,
    ) -> ([u64; N], u64) {
        self.update_from(key, tick, tick.boot_unix_nano, raw, force_reset)
    }

    /// Like [`update`](Self::update) for series that began at `origin_unix_nano` rather
    /// than at boot (a container's, spec/metrics.md §1.1): the start time of what is seen
    /// on the first cycle.
    pub fn update_from<const N: usize>(
        &mut self,
        key: &str,
        tick: &Tick,
        origin_unix_nano: u64,
        raw: [(u64, Width); N],
        force_reset: bool,
    ) -> ([u64; N], u64) {
        let restart_at = if tick.cycle <= 1 {
            origin_unix_nano
        } else {
            tick.previous_unix_nano
        };
        let Some(index) = self.entities.iter().position(|e| e.key == key) else {
            let values = raw.map(|(v, _)| v);
            self.entities.push(Entity {
                key: key.to_string(),
                seen_cycle: tick.cycle,
                start_unix_nano: restart_at,
                raw: values.to_vec(),
                offset: vec![0; N],
            });
            return (values, restart_at);
        };
        let word_bits = self.word_bits;
        let entity = &mut self.entities[index];
        let was_absent = entity.seen_cycle + 1 != tick.cycle;
        let mut reset = force_reset || was_absent || entity.raw.len() != N;
        if !reset {
            for (field, (cur, width)) in raw.iter().enumerate() {
                let prev = entity.raw[field];
                if *cur >= prev {
                    continue;
                }
                match wrap_span(*width, word_bits) {
                    Some(span) if prev < span && cur + span - prev < span / 2 => {
                        entity.offset[field] = entity.offset[field].saturating_add(span);
                    }
                    _ => reset = true,
                }
            }
        }
        if reset {
            entity.start_unix_nano = restart_at;
            entity.raw = raw.iter().map(|(v, _)| *v).collect();
            entity.offset = vec![0; N];
        } else {
            for (field, (cur, _)) in raw.iter().enumerate() {
                entity.raw[field] = *cur;
            }
        }
        entity.seen_cycle = tick.cycle;
        let mut values = [0u64; N];
        for (field, value) in values.iter_mut().enumerate() {
            *value = entity.raw[field].saturating_add(entity.offset[field]);
        }
        (values, entity.start_unix_nano)
    }

    /// True when entity `key` was already updated this cycle (listed twice in one file).
    pub fn seen(&self, key: &str, tick: &Tick) -> bool {
        self.entities
            .iter()
            .any(|e| e.key == key && e.seen_cycle == tick.cycle)
    }

    /// Forgets entities not seen for 3 cycles; call once per cycle after the updates.
    pub fn prune(&mut self, tick: &Tick) {
        self.entities
            .retain(|e| tick.cycle.saturating_sub(e.seen_cycle) < STALE_CYCLES);
    }
}

/// `2^w` for a field narrower than 64 bits on this kernel; `None` for 64-bit fields.
fn wrap_span(width: Width, word_bits: u32) -> Option<u64> {
    let bits = match width {
        Width::Bits32 => 32,
        Width::Word => word_bits,
        Width::Bits64 => 64,
    };
    (bits < 64).then(|| 1u64 << bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(cycle: u64) -> Tick {
        Tick {
            now_unix_nano: cycle * 1000,
            boot_unix_nano: 7,
            cycle,
            previous_unix_nano: (cycle - 1) * 1000,
        }
    }

    #[test]
    fn word_size_from_machine() {
        for (machine, bits) in [
            ("x86_64", 64),
            ("aarch64", 64),
            ("armv8l", 64),
            ("armv7l", 32),
            ("armv6l", 32),
            ("i686", 32),
            ("ppc", 32),
            ("mips", 32),
            ("ppc64le", 64),
            ("riscv64", 64),
            ("s390x", 64),
        ] {
            assert_eq!(kernel_word_bits(machine), bits, "{machine}");
        }
    }

    #[test]
    fn first_cycle_starts_at_boot_later_entities_at_the_previous_cycle() {
        let mut c = Counters::new(64);
        assert_eq!(
            c.update("sda", &tick(1), [(10, Width::Bits64)], false),
            ([10], 7)
        );
        assert_eq!(
            c.update("sda", &tick(2), [(15, Width::Bits64)], false),
            ([15], 7)
        );
        assert_eq!(
            c.update("sdb", &tick(2), [(3, Width::Bits64)], false),
            ([3], 1000)
        );
    }

    #[test]
    fn thirty_two_bit_fields_wrap_on_every_kernel() {
        // spec/metrics.md §9.5: diskstats io_time ms 4294967000 → 200 is +496 ms.
        let mut c = Counters::new(64);
        c.update("sda", &tick(1), [(4_294_967_000, Width::Bits32)], false);
        assert_eq!(
            c.update("sda", &tick(2), [(200, Width::Bits32)], false),
            ([4_294_967_496], 7)
        );
        assert_eq!(
            c.update("sda", &tick(3), [(300, Width::Bits32)], false),
            ([4_294_967_596], 7)
        );
    }

    #[test]
    fn word_fields_wrap_only_on_32_bit_kernels() {
        // spec/metrics.md §9.6: rx bytes 4294960000 → 5000.
        let mut arm = Counters::new(32);
        arm.update("eth0", &tick(1), [(4_294_960_000, Width::Word)], false);
        assert_eq!(
            arm.update("eth0", &tick(2), [(5000, Width::Word)], false),
            ([4_294_972_296], 7)
        );
        let mut x86 = Counters::new(64);
        x86.update("eth0", &tick(1), [(4_294_960_000, Width::Word)], false);
        assert_eq!(
            x86.update("eth0", &tick(2), [(5000, Width::Word)], false),
            ([5000], 1000),
            "a reset on 64-bit"
        );
    }

    #[test]
    fn a_large_drop_is_a_reset_of_the_whole_entity() {
        let mut c = Counters::new(32);
        c.update(
            "eth0",
            &tick(1),
            [(4_000_000_000, Width::Word), (50, Width::Word)],
            false,
        );
        c.update(
            "eth0",
            &tick(2),
            [(100, Width::Word), (60, Width::Word)],
            false,
        );
        // Second field dropped far more than half the span: reset, both restart at raw.
        let (values, start) = c.update(
            "eth0",
            &tick(3),
            [(200, Width::Word), (1, Width::Word)],
            false,
        );
        assert_eq!((values, start), ([200, 1], 2000));
    }

    #[test]
    fn absence_or_a_forced_reset_restarts_the_series() {
        let mut c = Counters::new(64);
        c.update("sda", &tick(1), [(10, Width::Bits64)], false);
        // Absent in cycle 2, back in cycle 3: new start (spec/metrics.md §9.5).
        assert_eq!(
            c.update("sda", &tick(3), [(12, Width::Bits64)], false),
            ([12], 2000)
        );
        assert_eq!(
            c.update("sda", &tick(4), [(13, Width::Bits64)], true),
            ([13], 3000)
        );
    }

    #[test]
    fn a_later_origin_replaces_boot_on_the_first_cycle_only() {
        let mut c = Counters::new(64);
        assert_eq!(
            c.update_from("cg", &tick(1), 500, [(10, Width::Bits64)], false),
            ([10], 500)
        );
        assert_eq!(
            c.update_from("cg", &tick(2), 500, [(4, Width::Bits64)], false),
            ([4], 1000),
            "a decrease is a reset at the previous cycle"
        );
        assert_eq!(
            c.update_from("io", &tick(2), 500, [(1, Width::Bits64)], false),
            ([1], 1000),
            "first seen after cycle 1"
        );
    }

    #[test]
    fn stale_entities_are_pruned() {
        let mut c = Counters::new(64);
        c.update("veth1", &tick(1), [(1, Width::Bits64)], false);
        c.prune(&tick(3));
        assert_eq!(c.entities.len(), 1);
        c.prune(&tick(4));
        assert!(c.entities.is_empty());
    }
}
