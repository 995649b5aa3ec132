//! Temperatures of hardware sensors (hwmon) and thermal zones, and their limits.
//!
//! Reads (sysfs-class-hwmon and sysfs-class-thermal ABI; Documentation/hwmon/sysfs-interface.rst):
//! `<root>/sys/class/hwmon/hwmon*/{name,device@,temp<N>_input,temp<N>_label}` and the limits
//! `temp<N>_{crit,max,lcrit,min}`; `<root>/sys/class/thermal/thermal_zone*/{type,temp}` and
//! `trip_point_<K>_{type,temp}`. All values are millidegrees Celsius.
//! Emits (spec/metrics.md §5.1): `hw.temperature` (Gauge, Cel, double; `hw.id`, `hw.name`,
//! `hw.parent`, `hw.sensor_location`) and, off by default, `hw.temperature.limit` (+
//! `hw.limit_type`): `_crit` high.critical, `_max` high.degraded, `_lcrit` low.critical,
//! `_min` low.degraded; zone trips critical, hot, passive → high.critical, high.degraded,
//! throttled (the first trip of each kind that reads a plausible value; `active` trips
//! start fans and are no limit).
//! Input: `47712` (`temp`), `cpu-thermal` (`type`), `Package id 0` (`temp1_label`).
//!
//! A hwmon chip is named by the basename of its resolved `device` link (`coretemp.0`), or
//! `hwmonX` without one (that number changes across boots); when several hwmon directories
//! resolve to one device (asus-nb-wmi's `asus` and `asus_custom_fan_curve`, mt7996's one per
//! radio) each chip gets `:<name>` appended so the ids stay unique. A chip whose device is
//! under `sys/devices/virtual/thermal/` is the kernel's hwmon mirror of a thermal zone
//! (thermal_hwmon.c) and is skipped: the zone is reported. A thermal zone's id is
//! `thermal/<type>`, with `/<n>` of `thermal_zone<n>` when several zones share a type.
//! A read error, or a value below absolute zero (drivers print error codes as
//! temperatures), skips that sensor for the tick, silently (§7). The sensor list is
//! rebuilt only when a directory listing changes (`listing`), so a steady tick reads each
//! sensor's one file and allocates nothing.

use super::listing::{Listing, entries, numbered, numbered_entries};
use super::{Collect, CollectError};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use std::path::{Path, PathBuf};

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[
    &semconv::HW_TEMPERATURE.info,
    &semconv::HW_TEMPERATURE_LIMIT.info,
];

/// hwmon limit files and their `hw.limit_type` (sysfs-interface.rst).
const HWMON_LIMITS: [(&str, &str); 4] = [
    ("crit", semconv::LIMIT_HIGH_CRITICAL),
    ("max", semconv::LIMIT_HIGH_DEGRADED),
    ("lcrit", semconv::LIMIT_LOW_CRITICAL),
    ("min", semconv::LIMIT_LOW_DEGRADED),
];

/// Where the kernel puts the hwmon devices that mirror thermal zones.
const VIRTUAL_THERMAL: &str = "sys/devices/virtual/thermal";

/// A sysfs temperature (m°C) in °C; `None` when it does not parse or is below absolute zero.
pub fn parse_millicelsius(text: &str) -> Option<f64> {
    let millis: i64 = text.trim().parse().ok()?;
    let celsius = millis as f64 / 1000.0;
    (celsius >= -273.15).then_some(celsius)
}

/// `hw.limit_type` of a thermal trip type; `None` for `active` and unknown types.
pub fn trip_limit(kind: &str) -> Option<&'static str> {
    match kind.trim() {
        "critical" => Some(semconv::LIMIT_HIGH_CRITICAL),
        "hot" => Some(semconv::LIMIT_HIGH_DEGRADED),
        "passive" => Some(semconv::LIMIT_THROTTLED),
        _ => None,
    }
}

/// `N` of `temp<N>_input`.
pub fn temp_input(name: &str) -> Option<u32> {
    numbered(name.strip_suffix("_input")?, "temp")
}

/// `K` of `trip_point_<K>_type`.
pub fn trip_type(name: &str) -> Option<u32> {
    numbered(name.strip_suffix("_type")?, "trip_point_")
}

/// One hwmon directory as found: `hwmonX`, its resolved device, its `name` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    pub dir: String,
    pub device: Option<PathBuf>,
    pub name: Option<String>,
}

/// Whether `dir` holds a chip's attributes: a `name` file or a `temp<N>_input`.
fn has_attributes(dir: &Path) -> bool {
    dir.join("name").is_file() || entries(dir).iter().any(|n| temp_input(n).is_some())
}

/// The chip id of each of `chips`, in hwmon number order (spec §5.1): device basename,
/// `:<name>` appended when another chip resolves to the same device, `hwmonX` without a
/// device. When chips share the device *and* the name (ath12k registers one
/// `ath12k_hwmon` per radio on one wiphy: drivers/net/wireless/ath/ath12k/thermal.c), the
/// spec's rule gives them one id; each then also gets `:<k>`, its place among them, which
/// is the driver's radio order and stable across boots (the hwmon numbers are not).
pub fn chip_ids(chips: &[Chip]) -> Vec<String> {
    chips
        .iter()
        .enumerate()
        .map(|(index, chip)| {
            let Some(base) = chip
                .device
                .as_deref()
                .and_then(Path::file_name)
                .and_then(|b| b.to_str())
            else {
                return chip.dir.clone();
            };
            let shared = chips.iter().filter(|c| c.device == chip.device).count() > 1;
            if !shared {
                return base.to_string();
            }
            let name = chip.name.as_deref().unwrap_or(&chip.dir);
            let twin = |c: &Chip| c.device == chip.device && c.name == chip.name;
            if chip.name.is_some() && chips.iter().filter(|c| twin(c)).count() > 1 {
                let place = chips[..index].iter().filter(|c| twin(c)).count();
                format!("{base}:{name}:{place}")
            } else {
                format!("{base}:{name}")
            }
        })
        .collect()
}

/// The ids of thermal zones given as (n of `thermal_zone<n>`, type).
pub fn zone_ids(zones: &[(u32, String)]) -> Vec<String> {
    zones
        .iter()
        .map(|(n, kind)| {
            if zones.iter().filter(|(_, k)| k == kind).count() > 1 {
                format!("thermal/{kind}/{n}")
            } else {
                format!("thermal/{kind}")
            }
        })
        .collect()
}

/// One temperature to read every tick, with its attributes and limits, and this tick's
/// readings (kept in place: a metric is opened only when some sensor has a point for it, as
/// an opened metric without points would reshuffle the builder's reused slots every tick).
#[derive(Debug)]
struct Sensor {
    input: PathBuf,
    id: String,
    name: String,
    parent: Option<String>,
    location: Option<String>,
    limits: Vec<(PathBuf, &'static str)>,
    value: Option<f64>,
    /// One per `limits` entry; at most one `Some` per limit type.
    limit_values: Vec<Option<f64>>,
}

impl Sensor {
    /// Its attributes (`hw.limit_type` appended when given) in `attrs`; returns how many.
    fn attributes<'a>(
        &'a self,
        limit: Option<&'static str>,
        attrs: &mut [(&'static str, &'a str); 5],
    ) -> usize {
        let mut n = 0;
        let mut push = |key, value| {
            attrs[n] = (key, value);
            n += 1;
        };
        push(semconv::HW_ID, self.id.as_str());
        push(semconv::HW_NAME, self.name.as_str());
        if let Some(parent) = &self.parent {
            push(semconv::HW_PARENT, parent.as_str());
        }
        if let Some(location) = &self.location {
            push(semconv::HW_SENSOR_LOCATION, location.as_str());
        }
        if let Some(limit) = limit {
            push(semconv::HW_LIMIT_TYPE, limit);
        }
        n
    }
}

/// The trimmed text of a small file, `None` when unreadable or empty.
fn read_text(src: &Source, path: &Path) -> Option<String> {
    let mut buf = String::new();
    src.read_into(path, &mut buf).ok()?;
    let text = buf.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The hwmon sensors under `dir` (`<root>/sys/class/hwmon`); mirrors of zones left out.
fn hwmon_sensors(src: &Source, dir: &Path, sensors: &mut Vec<Sensor>) {
    let virtual_thermal = std::fs::canonicalize(src.path(VIRTUAL_THERMAL)).ok();
    let mut chips = Vec::new();
    let mut attribute_dirs = Vec::new();
    for (_, hwmon) in numbered_entries(dir, "hwmon") {
        let chip_dir = dir.join(&hwmon);
        let device = std::fs::canonicalize(chip_dir.join("device")).ok();
        let mirrors_zone = match (&device, &virtual_thermal) {
            (Some(device), Some(virt)) => device.starts_with(virt),
            _ => false,
        };
        if mirrors_zone {
            continue;
        }
        // Drivers registered through the deprecated hwmon_device_register() get a hwmon
        // directory with no attributes at all (hwmon.c passes no name and no groups): their
        // `name` and `temp*` files stay on the device, where libsensors finds them too.
        let legacy = chip_dir.join("device");
        let chip_dir = if !has_attributes(&chip_dir) && has_attributes(&legacy) {
            legacy
        } else {
            chip_dir
        };
        chips.push(Chip {
            name: read_text(src, &chip_dir.join("name")),
            dir: hwmon,
            device,
        });
        attribute_dirs.push(chip_dir);
    }
    for ((chip, id), chip_dir) in chips.iter().zip(chip_ids(&chips)).zip(attribute_dirs) {
        let mut inputs: Vec<u32> = entries(&chip_dir)
            .iter()
            .filter_map(|name| temp_input(name))
            .collect();
        inputs.sort_unstable();
        let display = chip.name.as_deref().unwrap_or(&id);
        for n in inputs {
            let location = read_text(src, &chip_dir.join(format!("temp{n}_label")));
            let limits: Vec<_> = HWMON_LIMITS
                .iter()
                .map(|(suffix, kind)| (chip_dir.join(format!("temp{n}_{suffix}")), *kind))
                .filter(|(path, _)| path.is_file())
                .collect();
            sensors.push(Sensor {
                value: None,
                limit_values: vec![None; limits.len()],
                input: chip_dir.join(format!("temp{n}_input")),
                name: format!(
                    "{display} {}",
                    location.clone().unwrap_or_else(|| format!("temp{n}"))
                ),
                id: format!("hwmon/{id}/temp{n}"),
                parent: Some(format!("hwmon/{id}")),
                location,
                limits,
            });
        }
    }
}

/// The thermal zones under `dir` (`<root>/sys/class/thermal`).
fn zone_sensors(src: &Source, dir: &Path, sensors: &mut Vec<Sensor>) {
    let zones: Vec<(u32, String, PathBuf)> = numbered_entries(dir, "thermal_zone")
        .into_iter()
        .filter_map(|(n, name)| {
            let zone = dir.join(name);
            Some((n, read_text(src, &zone.join("type"))?, zone))
        })
        .collect();
    let kinds: Vec<(u32, String)> = zones.iter().map(|(n, k, _)| (*n, k.clone())).collect();
    for ((_, kind, zone), id) in zones.into_iter().zip(zone_ids(&kinds)) {
        let mut trips: Vec<u32> = entries(&zone)
            .iter()
            .filter_map(|name| trip_type(name))
            .collect();
        trips.sort_unstable();
        // Every trip of a kind is kept: the first that reads a plausible value each tick is
        // the zone's limit (iwlwifi and x86_pkg_temp print -274000, THERMAL_TEMP_INVALID, for
        // trips nobody set).
        let limits: Vec<_> = trips
            .into_iter()
            .filter_map(|k| {
                let kind = read_text(src, &zone.join(format!("trip_point_{k}_type")))?;
                Some((
                    zone.join(format!("trip_point_{k}_temp")),
                    trip_limit(&kind)?,
                ))
            })
            .collect();
        sensors.push(Sensor {
            value: None,
            limit_values: vec![None; limits.len()],
            input: zone.join("temp"),
            id,
            name: kind,
            parent: None,
            location: None,
            limits,
        });
    }
}

/// The `thermal` collector.
#[derive(Debug)]
pub struct Thermal {
    hwmon_dir: PathBuf,
    zones_dir: PathBuf,
    hwmon_listing: Listing,
    zones_listing: Listing,
    sensors: Vec<Sensor>,
    buf: String,
}

impl Thermal {
    pub fn new(src: &Source) -> Self {
        Thermal {
            hwmon_dir: src.path("sys/class/hwmon"),
            zones_dir: src.path("sys/class/thermal"),
            hwmon_listing: Listing::default(),
            zones_listing: Listing::default(),
            sensors: Vec::new(),
            buf: String::new(),
        }
    }

    /// Rebuilds the sensor list when either directory changed.
    fn refresh(&mut self, src: &Source) {
        let hwmon_changed = self.hwmon_listing.changed(&self.hwmon_dir);
        let zones_changed = self.zones_listing.changed(&self.zones_dir);
        if hwmon_changed || zones_changed {
            self.sensors.clear();
            hwmon_sensors(src, &self.hwmon_dir, &mut self.sensors);
            zone_sensors(src, &self.zones_dir, &mut self.sensors);
            if self.sensors.is_empty() {
                log::debug!(
                    "{} and {}: no temperature sensor",
                    self.hwmon_dir.display(),
                    self.zones_dir.display()
                );
            }
        }
    }

    /// `path`'s temperature in °C, `None` (silently) when unreadable or implausible.
    fn read(src: &Source, path: &Path, buf: &mut String) -> Option<f64> {
        src.read_into(path, buf).ok()?;
        parse_millicelsius(buf)
    }
}

impl Collect for Thermal {
    fn collect(
        &mut self,
        src: &Source,
        _tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        self.refresh(src);
        let want_limits = out.enabled(&semconv::HW_TEMPERATURE_LIMIT);
        for sensor in &mut self.sensors {
            sensor.value = Self::read(src, &sensor.input, &mut self.buf);
            // One value per limit type: the first plausible reading among its trips.
            let mut done: [&str; 5] = [""; 5];
            let mut n_done = 0;
            for ((path, kind), value) in sensor.limits.iter().zip(&mut sensor.limit_values) {
                *value = None;
                if !want_limits || done[..n_done].contains(kind) {
                    continue;
                }
                *value = Self::read(src, path, &mut self.buf);
                if value.is_some() {
                    if let Some(slot) = done.get_mut(n_done) {
                        *slot = kind;
                        n_done += 1;
                    }
                }
            }
        }
        let mut attrs = [("", ""); 5];
        if self.sensors.iter().any(|s| s.value.is_some()) {
            let temperature = out.open(&semconv::HW_TEMPERATURE);
            for sensor in &self.sensors {
                if let Some(celsius) = sensor.value {
                    let n = sensor.attributes(None, &mut attrs);
                    out.point(temperature, &attrs[..n], celsius);
                }
            }
        }
        let has_limit = |s: &Sensor| s.limit_values.iter().any(Option::is_some);
        if self.sensors.iter().any(has_limit) {
            let limits = out.open(&semconv::HW_TEMPERATURE_LIMIT);
            for sensor in &self.sensors {
                for ((_, kind), value) in sensor.limits.iter().zip(&sensor.limit_values) {
                    if let Some(celsius) = value {
                        let n = sensor.attributes(Some(kind), &mut attrs);
                        out.point(limits, &attrs[..n], *celsius);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millidegrees_become_degrees_and_nonsense_is_dropped() {
        // A Pi 4's cpu-thermal zone, coretemp, a sensor below zero.
        assert_eq!(parse_millicelsius("47712\n"), Some(47.712));
        assert_eq!(parse_millicelsius("100000"), Some(100.0));
        assert_eq!(parse_millicelsius("-5500\n"), Some(-5.5));
        // Absolute zero is the floor; drivers that print error codes go below it.
        assert_eq!(parse_millicelsius("-273150"), Some(-273.15));
        assert_eq!(parse_millicelsius("-273151"), None);
        assert_eq!(parse_millicelsius("-2147483648"), None);
        assert_eq!(parse_millicelsius(""), None);
        assert_eq!(parse_millicelsius("N/A"), None);
        assert_eq!(parse_millicelsius("45.5"), None);
    }

    #[test]
    fn file_names_give_their_numbers() {
        assert_eq!(temp_input("temp1_input"), Some(1));
        assert_eq!(temp_input("temp12_input"), Some(12));
        assert_eq!(temp_input("temp1_label"), None);
        assert_eq!(temp_input("temp_input"), None);
        // asus_custom_fan_curve's points are no sensors.
        assert_eq!(temp_input("pwm1_auto_point1_temp"), None);
        assert_eq!(trip_type("trip_point_0_type"), Some(0));
        assert_eq!(trip_type("trip_point_10_type"), Some(10));
        assert_eq!(trip_type("trip_point_0_temp"), None);
        assert_eq!(trip_type("trip_point_x_type"), None);
    }

    #[test]
    fn trip_types_map_to_limit_types() {
        assert_eq!(trip_limit("critical\n"), Some("high.critical"));
        assert_eq!(trip_limit("hot"), Some("high.degraded"));
        assert_eq!(trip_limit("passive"), Some("throttled"));
        assert_eq!(trip_limit("active"), None);
        assert_eq!(trip_limit(""), None);
    }

    fn chip(dir: &str, device: Option<&str>, name: Option<&str>) -> Chip {
        Chip {
            dir: dir.into(),
            device: device.map(PathBuf::from),
            name: name.map(String::from),
        }
    }

    #[test]
    fn chips_sharing_a_device_get_their_name_appended() {
        let chips = [
            chip(
                "hwmon1",
                Some("/sys/devices/platform/coretemp.0"),
                Some("coretemp"),
            ),
            chip(
                "hwmon3",
                Some("/sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/ieee80211/phy0"),
                Some("mt7996_phy0.0"),
            ),
            chip(
                "hwmon4",
                Some("/sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/ieee80211/phy0"),
                Some("mt7996_phy0.1"),
            ),
            chip(
                "hwmon5",
                Some("/sys/devices/platform/asus-nb-wmi"),
                Some("asus"),
            ),
            chip("hwmon6", Some("/sys/devices/platform/asus-nb-wmi"), None),
            chip("hwmon7", None, Some("acpi_fan")),
        ];
        assert_eq!(
            chip_ids(&chips),
            [
                "coretemp.0",
                "phy0:mt7996_phy0.0",
                "phy0:mt7996_phy0.1",
                "asus-nb-wmi:asus",
                "asus-nb-wmi:hwmon6",
                "hwmon7"
            ]
        );
    }

    #[test]
    fn issue_11_chips_sharing_device_and_name_stay_unique() {
        // ath12k with one wiphy for two radios: two `ath12k_hwmon` on phy0. The spec's
        // `:<name>` alone would give both `phy0:ath12k_hwmon`.
        let phy = Some("/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/ieee80211/phy0");
        let chips = [
            chip("hwmon2", phy, Some("ath12k_hwmon")),
            chip("hwmon3", phy, Some("ath12k_hwmon")),
            chip(
                "hwmon4",
                Some("/sys/devices/platform/coretemp.0"),
                Some("coretemp"),
            ),
        ];
        assert_eq!(
            chip_ids(&chips),
            ["phy0:ath12k_hwmon:0", "phy0:ath12k_hwmon:1", "coretemp.0"]
        );
    }

    #[test]
    fn a_chip_without_a_name_file_is_named_by_its_chip_id() {
        // spec §5.1: hw.name = "<name|chip> <label|temp<N>>".
        let root = std::env::temp_dir().join(format!("sysotlp-thermal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let hwmon = root.join("sys/class/hwmon");
        let device = root.join("sys/devices/platform/foo.0");
        std::fs::create_dir_all(hwmon.join("hwmon7")).unwrap();
        std::fs::create_dir_all(hwmon.join("hwmon8")).unwrap();
        std::fs::create_dir_all(&device).unwrap();
        std::fs::write(hwmon.join("hwmon7/temp1_input"), "40000\n").unwrap();
        std::fs::write(hwmon.join("hwmon8/temp2_input"), "41000\n").unwrap();
        std::os::unix::fs::symlink(&device, hwmon.join("hwmon8/device")).unwrap();
        let src = Source::open(&root).unwrap();
        let mut sensors = Vec::new();
        hwmon_sensors(&src, &hwmon, &mut sensors);
        let names: Vec<(&str, &str)> = sensors
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("hwmon/hwmon7/temp1", "hwmon7 temp1"),
                ("hwmon/foo.0/temp2", "foo.0 temp2")
            ]
        );
        assert_eq!(sensors[0].parent.as_deref(), Some("hwmon/hwmon7"));
        assert_eq!(sensors[0].location, None);
    }

    #[test]
    fn repeated_zone_types_get_their_number() {
        let zones = [
            (0, "acpitz".to_string()),
            (1, "x86_pkg_temp".to_string()),
            (2, "acpitz".to_string()),
        ];
        assert_eq!(
            zone_ids(&zones),
            [
                "thermal/acpitz/0",
                "thermal/x86_pkg_temp",
                "thermal/acpitz/2"
            ]
        );
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant("47712\n", |text| {
            let _ = parse_millicelsius(text);
            let _ = trip_limit(text);
            let _ = temp_input(text);
            let _ = trip_type(text);
        });
    }
}
