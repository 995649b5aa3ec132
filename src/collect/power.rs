//! Batteries and mains supplies: charge, time left, power, state, and whether mains is on.
//!
//! Reads (sysfs-class-power ABI): `<root>/sys/class/power_supply/<name>/` `type` (Battery,
//! Mains, USB, …) and `scope` (Device: a mouse's or keyboard's own battery, skipped),
//! once per supply; batteries' `technology`, `model_name`, `manufacturer` once, and each
//! tick `status`, `health`, `capacity` (%), else `energy_now`/`energy_full` (µWh), else
//! `charge_now`/`charge_full` (µAh), `power_now` (µW), `time_to_empty_now` /
//! `time_to_full_now` (s); `online` of Mains and USB supplies.
//! Emits (spec/metrics.md §5.6), per supply `hw.id` = `power_supply/<name>`, `hw.name` =
//! `<name>`, batteries also `hw.battery.chemistry`, `hw.model`, `hw.vendor`:
//! `hw.battery.charge` (Gauge, 1), `hw.battery.time_left` (Gauge, s; `hw.state`=ok,
//! `hw.battery.state` charging or discharging, as `status` says), `hw.power` (Gauge, W;
//! `hw.type`=battery), `hw.status` (UpDownCounter; `hw.type`=battery and all five
//! `hw.state`s every tick: 1 for those `status` and `health` name, 0 for the others),
//! `system.linux.power_supply.online` (UpDownCounter; `hw.type`=power_supply).
//! Input: `Discharging` (`status`), `87` (`capacity`), `9714000` (`power_now`).
//!
//! On only where `sys/class/power_supply` has entries when the agent starts (the registry's
//! build returns `None` elsewhere). The supply list is rebuilt only when the directory
//! changes (`listing`). A file that cannot be read or parsed leaves its metric out for the
//! tick, silently: supplies come and go (spec/metrics.md §7, sysfs errors at DEBUG).

use super::counter::to_int;
use super::listing::{Listing, entries};
use super::{Collect, CollectError};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use std::path::{Path, PathBuf};

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[
    &semconv::HW_BATTERY_CHARGE.info,
    &semconv::HW_BATTERY_TIME_LEFT.info,
    &semconv::HW_POWER.info,
    &semconv::HW_STATUS.info,
    &semconv::SYSTEM_LINUX_POWER_SUPPLY_ONLINE.info,
];

/// What a supply is to this collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Battery,
    /// Mains or USB: reports `online`.
    Line,
}

/// The role of a supply from its `type` and `scope`; `None` for supplies not reported
/// (Device scope, UPS, Wireless, unknown types).
pub fn role(kind: &str, scope: Option<&str>) -> Option<Role> {
    if scope.map(str::trim) == Some("Device") {
        return None;
    }
    match kind.trim() {
        "Battery" => Some(Role::Battery),
        "Mains" | "USB" => Some(Role::Line),
        _ => None,
    }
}

/// The `hw.state`s (indexes into [`semconv::BATTERY_STATES`]) named by `status` and
/// `health` (power_supply_sysfs.c spellings): Full and Not charging are ok; Overheat and
/// Cold degraded, Dead failed; Unknown, Good and the rest name none.
pub fn named_states(status: Option<&str>, health: Option<&str>) -> [bool; 5] {
    let mut states = [false; 5];
    match status.map(str::trim) {
        Some("Full" | "Not charging") => states[0] = true,
        Some("Charging") => states[1] = true,
        Some("Discharging") => states[2] = true,
        _ => {}
    }
    match health.map(str::trim) {
        Some("Overheat" | "Cold") => states[3] = true,
        Some("Dead") => states[4] = true,
        _ => {}
    }
    states
}

/// A non-negative integer sysfs value.
pub fn parse_value(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// The charge fraction from `capacity` (%), else `now ÷ full` (energy or charge); `None`
/// when no pair is usable. Capacity above 100 (miscalibrated gauges) is kept as read.
pub fn charge(capacity: Option<u64>, now: Option<u64>, full: Option<u64>) -> Option<f64> {
    match (capacity, now, full) {
        (Some(percent), _, _) => Some(percent as f64 / 100.0),
        (None, Some(now), Some(full)) if full > 0 => Some(now as f64 / full as f64),
        _ => None,
    }
}

/// What one supply said this tick; every metric is then emitted in table order, and opened
/// only when some supply has a value for it (an opened metric without points would
/// reshuffle the builder's reused slots every tick).
#[derive(Debug, Default, Clone, Copy)]
struct Reading {
    charge: Option<f64>,
    /// (`hw.battery.state`, seconds).
    time_left: Option<(&'static str, f64)>,
    watts: Option<f64>,
    states: Option<[bool; 5]>,
    online: Option<i64>,
}

/// One supply as found when the directory last changed.
#[derive(Debug)]
struct Supply {
    reading: Reading,
    /// `<root>/sys/class/power_supply/<name>`, extended by a file name and cut back.
    dir: PathBuf,
    role: Role,
    id: String,
    name: String,
    /// Battery attributes: (key, value) of chemistry, model, vendor present.
    details: Vec<(&'static str, String)>,
}

/// The trimmed text of a small file, `None` when unreadable or empty.
fn read_text(src: &Source, path: &Path) -> Option<String> {
    let mut buf = String::new();
    src.read_into(path, &mut buf).ok()?;
    let text = buf.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The supplies under `dir` that this collector reports, sorted by name.
fn supplies(src: &Source, dir: &Path) -> Vec<Supply> {
    let mut found = Vec::new();
    for name in entries(dir) {
        let supply = dir.join(&name);
        let Some(kind) = read_text(src, &supply.join("type")) else {
            continue;
        };
        let Some(role) = role(&kind, read_text(src, &supply.join("scope")).as_deref()) else {
            continue;
        };
        let mut details = Vec::new();
        if role == Role::Battery {
            for (key, file) in [
                (semconv::HW_BATTERY_CHEMISTRY, "technology"),
                (semconv::HW_MODEL, "model_name"),
                (semconv::HW_VENDOR, "manufacturer"),
            ] {
                // "Unknown" is what the kernel prints for a technology it was not told.
                if let Some(value) = read_text(src, &supply.join(file)).filter(|v| v != "Unknown") {
                    details.push((key, value));
                }
            }
        }
        found.push(Supply {
            reading: Reading::default(),
            dir: supply,
            role,
            id: format!("power_supply/{name}"),
            name,
            details,
        });
    }
    found
}

/// The `power` collector.
#[derive(Debug)]
pub struct Power {
    dir: PathBuf,
    listing: Listing,
    supplies: Vec<Supply>,
    bufs: Buffers,
}

impl Power {
    /// The collector, or `None` when the root has no power supply at all.
    pub fn build(src: &Source) -> Option<Self> {
        let dir = src.path("sys/class/power_supply");
        if entries(&dir).is_empty() {
            log::debug!("{}: no power supply; power is off", dir.display());
            return None;
        }
        Some(Power {
            dir,
            listing: Listing::default(),
            supplies: Vec::new(),
            bufs: Buffers::default(),
        })
    }
}

/// Reads `<supply>/<file>` into `buf`; false when it cannot be read.
fn read(src: &Source, dir: &mut PathBuf, file: &str, buf: &mut String) -> bool {
    dir.push(file);
    let ok = src.read_into(dir, buf).is_ok();
    dir.pop();
    ok
}

/// `<supply>/<file>` as a number.
fn value(src: &Source, dir: &mut PathBuf, file: &str, buf: &mut String) -> Option<u64> {
    read(src, dir, file, buf)
        .then(|| parse_value(buf))
        .flatten()
}

/// Appends `extra` to the supply's attributes in `attrs`; returns how many there are.
fn attributes<'a>(
    supply: &'a Supply,
    extra: &[(&'static str, &'a str)],
    attrs: &mut [(&'static str, &'a str); 7],
) -> usize {
    let own = [
        (semconv::HW_ID, supply.id.as_str()),
        (semconv::HW_NAME, supply.name.as_str()),
    ];
    let details = supply.details.iter().map(|(k, v)| (*k, v.as_str()));
    let mut n = 0;
    for attr in own.into_iter().chain(details).chain(extra.iter().copied()) {
        if let Some(slot) = attrs.get_mut(n) {
            *slot = attr;
            n += 1;
        }
    }
    n
}

/// Read buffers kept between ticks.
#[derive(Debug, Default)]
struct Buffers {
    value: String,
    status: String,
    health: String,
}

/// One battery's reading.
fn battery(src: &Source, dir: &mut PathBuf, bufs: &mut Buffers) -> Reading {
    let buf = &mut bufs.value;
    let capacity = value(src, dir, "capacity", buf);
    let charge_fraction = charge(
        capacity,
        value(src, dir, "energy_now", buf),
        value(src, dir, "energy_full", buf),
    )
    .or_else(|| {
        charge(
            None,
            value(src, dir, "charge_now", buf),
            value(src, dir, "charge_full", buf),
        )
    });
    let microwatts = value(src, dir, "power_now", buf);
    let status = read(src, dir, "status", &mut bufs.status).then_some(bufs.status.as_str());
    let health = read(src, dir, "health", &mut bufs.health).then_some(bufs.health.as_str());
    let states = named_states(status, health);
    // The driver's estimate towards empty while discharging, towards full while charging.
    let time_left = if states[1] {
        value(src, dir, "time_to_full_now", buf).map(|s| (semconv::HW_STATE_CHARGING, s as f64))
    } else if states[2] {
        value(src, dir, "time_to_empty_now", buf).map(|s| (semconv::HW_STATE_DISCHARGING, s as f64))
    } else {
        None
    };
    Reading {
        charge: charge_fraction,
        time_left,
        watts: microwatts.map(|uw| uw as f64 / 1e6),
        // A fixed state set carries real zeros, but only when the kernel said something.
        states: (status.is_some() || health.is_some()).then_some(states),
        online: None,
    }
}

/// Opens `desc` if some supply has a value for it, and writes one point per such supply.
fn emit<V: crate::otlp::PointValue>(
    out: &mut Builder,
    desc: &'static semconv::Metric<V>,
    supplies: &[Supply],
    each: impl Fn(&Supply, &mut dyn FnMut(&[(&'static str, &'static str)], V)),
) {
    let mut any = false;
    for supply in supplies {
        each(supply, &mut |_, _| any = true);
    }
    if !any {
        return;
    }
    let open = out.open(desc);
    for supply in supplies {
        each(supply, &mut |extra, value| {
            let mut attrs = [("", ""); 7];
            let n = attributes(supply, extra, &mut attrs);
            out.point(open, &attrs[..n], value);
        });
    }
}

impl Collect for Power {
    fn collect(
        &mut self,
        src: &Source,
        _tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        if self.listing.changed(&self.dir) {
            self.supplies = supplies(src, &self.dir);
        }
        for supply in &mut self.supplies {
            supply.reading = match supply.role {
                Role::Battery => battery(src, &mut supply.dir, &mut self.bufs),
                Role::Line => Reading {
                    online: value(src, &mut supply.dir, "online", &mut self.bufs.value).map(to_int),
                    ..Reading::default()
                },
            };
        }
        let supplies = &self.supplies;
        emit(out, &semconv::HW_BATTERY_CHARGE, supplies, |s, point| {
            if let Some(fraction) = s.reading.charge {
                point(&[], fraction);
            }
        });
        emit(out, &semconv::HW_BATTERY_TIME_LEFT, supplies, |s, point| {
            if let Some((state, seconds)) = s.reading.time_left {
                let extra = [
                    (semconv::HW_STATE, semconv::HW_STATE_OK),
                    (semconv::HW_BATTERY_STATE, state),
                ];
                point(&extra, seconds);
            }
        });
        emit(out, &semconv::HW_POWER, supplies, |s, point| {
            if let Some(watts) = s.reading.watts {
                point(&[(semconv::HW_TYPE, semconv::HW_TYPE_BATTERY)], watts);
            }
        });
        emit(out, &semconv::HW_STATUS, supplies, |s, point| {
            for (state, on) in semconv::BATTERY_STATES
                .iter()
                .zip(s.reading.states.iter().flatten())
            {
                let extra = [
                    (semconv::HW_TYPE, semconv::HW_TYPE_BATTERY),
                    (semconv::HW_STATE, *state),
                ];
                point(&extra, i64::from(*on));
            }
        });
        emit(
            out,
            &semconv::SYSTEM_LINUX_POWER_SUPPLY_ONLINE,
            supplies,
            |s, point| {
                if let Some(online) = s.reading.online {
                    point(&[(semconv::HW_TYPE, semconv::HW_TYPE_POWER_SUPPLY)], online);
                }
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_scope_and_other_types_are_not_reported() {
        assert_eq!(role("Battery\n", None), Some(Role::Battery));
        assert_eq!(role("Battery", Some("System\n")), Some(Role::Battery));
        // A Logitech mouse (hid-logitech-hidpp: scope Device).
        assert_eq!(role("Battery", Some("Device\n")), None);
        assert_eq!(role("Mains\n", None), Some(Role::Line));
        assert_eq!(role("USB", Some("Unknown")), Some(Role::Line));
        assert_eq!(role("UPS", None), None);
        assert_eq!(role("Wireless", None), None);
        assert_eq!(role("", None), None);
    }

    #[test]
    fn status_and_health_name_states() {
        // ok, charging, discharging, degraded, failed.
        assert_eq!(
            named_states(Some("Discharging\n"), Some("Good\n")),
            [false, false, true, false, false]
        );
        assert_eq!(
            named_states(Some("Charging"), Some("Overheat")),
            [false, true, false, true, false]
        );
        assert_eq!(
            named_states(Some("Full"), None),
            [true, false, false, false, false]
        );
        assert_eq!(
            named_states(Some("Not charging"), Some("Dead")),
            [true, false, false, false, true]
        );
        assert_eq!(
            named_states(Some("Unknown"), Some("Cold")),
            [false, false, false, true, false]
        );
        assert_eq!(named_states(None, None), [false; 5]);
    }

    #[test]
    fn charge_prefers_capacity_then_energy_then_charge() {
        assert_eq!(charge(Some(87), Some(1), Some(2)), Some(0.87));
        // A ThinkPad BAT0 without capacity: energy_now 41500000 of energy_full 50000000 µWh.
        assert_eq!(charge(None, Some(41_500_000), Some(50_000_000)), Some(0.83));
        assert_eq!(charge(None, Some(5), Some(0)), None);
        assert_eq!(charge(None, Some(5), None), None);
        assert_eq!(charge(None, None, None), None);
    }

    #[test]
    fn values_parse_or_are_dropped() {
        assert_eq!(parse_value("9714000\n"), Some(9_714_000));
        assert_eq!(parse_value("-1"), None);
        assert_eq!(parse_value(""), None);
        assert_eq!(parse_value("Unknown"), None);
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant("Discharging\n87\n9714000\n", |text| {
            let _ = parse_value(text);
            let _ = named_states(Some(text), Some(text));
            let _ = role(text, Some(text));
        });
    }
}
