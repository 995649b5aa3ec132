//! Hardware metrics of the `thermal` and `power` collectors (spec/metrics.md §5.1, §5.6):
//! semantic-conventions v1.44 `hw.*` names, units and attribute keys, plus the one
//! sysotlp-defined `system.linux.power_supply.online`.

use super::{Kind, Metric};

// thermal (§5.1)
pub const HW_TEMPERATURE: Metric<f64> = Metric::new(
    "hw.temperature",
    "Cel",
    Kind::Gauge,
    "Temperature of a hardware sensor or thermal zone.",
);
pub const HW_TEMPERATURE_LIMIT: Metric<f64> = Metric::new(
    "hw.temperature.limit",
    "Cel",
    Kind::Gauge,
    "Temperature limits of a sensor or zone: critical, degraded and throttling points.",
)
.off();

// power (§5.6)
pub const HW_BATTERY_CHARGE: Metric<f64> = Metric::new(
    "hw.battery.charge",
    "1",
    Kind::Gauge,
    "Remaining fraction of the battery's full charge.",
);
pub const HW_BATTERY_TIME_LEFT: Metric<f64> = Metric::new(
    "hw.battery.time_left",
    "s",
    Kind::Gauge,
    "Time until the battery is empty (discharging) or full (charging), as the driver estimates it.",
);
pub const HW_POWER: Metric<f64> = Metric::new(
    "hw.power",
    "W",
    Kind::Gauge,
    "Power the battery delivers or takes right now.",
);
pub const HW_STATUS: Metric<i64> = Metric::new(
    "hw.status",
    "1",
    Kind::UpDownCounter,
    "Battery state: 1 for each state the kernel reports, 0 for the others.",
);
pub const SYSTEM_LINUX_POWER_SUPPLY_ONLINE: Metric<i64> = Metric::new(
    "system.linux.power_supply.online",
    "1",
    Kind::UpDownCounter,
    "1 when a mains or USB supply is connected and powering the system, else 0.",
);

// Attribute keys (semantic conventions v1.44 registry).
pub const HW_ID: &str = "hw.id";
pub const HW_NAME: &str = "hw.name";
pub const HW_PARENT: &str = "hw.parent";
pub const HW_SENSOR_LOCATION: &str = "hw.sensor_location";
pub const HW_LIMIT_TYPE: &str = "hw.limit_type";
pub const HW_TYPE: &str = "hw.type";
pub const HW_STATE: &str = "hw.state";
pub const HW_BATTERY_STATE: &str = "hw.battery.state";
pub const HW_BATTERY_CHEMISTRY: &str = "hw.battery.chemistry";
pub const HW_MODEL: &str = "hw.model";
pub const HW_VENDOR: &str = "hw.vendor";

// hw.limit_type values.
pub const LIMIT_HIGH_CRITICAL: &str = "high.critical";
pub const LIMIT_HIGH_DEGRADED: &str = "high.degraded";
pub const LIMIT_LOW_CRITICAL: &str = "low.critical";
pub const LIMIT_LOW_DEGRADED: &str = "low.degraded";
pub const LIMIT_THROTTLED: &str = "throttled";

// hw.type values.
pub const HW_TYPE_BATTERY: &str = "battery";
pub const HW_TYPE_POWER_SUPPLY: &str = "power_supply";

// hw.state and hw.battery.state values.
pub const HW_STATE_OK: &str = "ok";
pub const HW_STATE_CHARGING: &str = "charging";
pub const HW_STATE_DISCHARGING: &str = "discharging";
pub const HW_STATE_DEGRADED: &str = "degraded";
pub const HW_STATE_FAILED: &str = "failed";

/// The states of `hw.status` for a battery, all emitted every cycle (semconv's state-set
/// rule), in this order.
pub const BATTERY_STATES: [&str; 5] = [
    HW_STATE_OK,
    HW_STATE_CHARGING,
    HW_STATE_DISCHARGING,
    HW_STATE_DEGRADED,
    HW_STATE_FAILED,
];
