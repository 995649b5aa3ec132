//! Host resource attributes, detected once at start and merged with the user's.
//!
//! Reads (spec/metrics.md §2.1): `<root>/etc/hostname` (with `--root-path`) or
//! `<root>/proc/sys/kernel/hostname`; `<root>/etc/machine-id` or
//! `<root>/var/lib/dbus/machine-id`; the machine name (`Source`: `proc/sys/kernel/arch`, else
//! `uname` or the fixture); `<root>/etc/os-release` or `<root>/usr/lib/os-release`;
//! `<root>/proc/sys/kernel/osrelease`. All from the root, so a fixture decides the output.
//! Emits: `host.name`, `host.id`, `host.arch`, `os.type`, `os.description`, `os.name`,
//! `os.version`, then `service.name` and `service.instance.id` (§2.3), then user attributes
//! (`OTEL_RESOURCE_ATTRIBUTES` < `OTEL_SERVICE_NAME` < `--resource`; an empty value removes).

use crate::semconv;
use crate::source::Source;

/// Detects the host attributes, in emission order. Absent values are omitted, never `""`.
pub fn detect(src: &Source) -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    let mut add = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            attributes.push((key.to_string(), value));
        }
    };
    add(semconv::HOST_NAME, host_name(src));
    add(semconv::HOST_ID, host_id(src));
    add(semconv::HOST_ARCH, Some(host_arch(&src.info().machine)));
    add(semconv::OS_TYPE, Some(semconv::OS_TYPE_LINUX.to_string()));
    let os_release = src
        .read_optional("etc/os-release")
        .or_else(|| src.read_optional("usr/lib/os-release"));
    let kernel = src
        .read_optional("proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let pretty = os_release
        .as_deref()
        .and_then(|text| os_release_value(text, "PRETTY_NAME"));
    add(semconv::OS_DESCRIPTION, os_description(pretty, kernel));
    add(
        semconv::OS_NAME,
        os_release
            .as_deref()
            .and_then(|text| os_release_value(text, "NAME")),
    );
    add(
        semconv::OS_VERSION,
        os_release
            .as_deref()
            .and_then(|text| os_release_value(text, "VERSION_ID")),
    );
    attributes
}

/// Applies the user's attributes to the detected ones and fills the service defaults:
/// `service.name` = `sysotlp`, `service.instance.id` = `host.id`, else `host.name`.
pub fn merge(
    mut attributes: Vec<(String, String)>,
    user: &[(String, String)],
) -> Vec<(String, String)> {
    let position =
        |attributes: &[(String, String)], key: &str| attributes.iter().position(|(k, _)| k == key);
    // Service defaults first, so that user values (including removals) override them.
    if position(&attributes, semconv::SERVICE_NAME).is_none() {
        attributes.push((
            semconv::SERVICE_NAME.to_string(),
            semconv::SERVICE_NAME_DEFAULT.to_string(),
        ));
    }
    for (key, value) in user {
        match position(&attributes, key) {
            Some(index) if value.is_empty() => {
                attributes.remove(index);
            }
            Some(index) => attributes[index].1.clone_from(value),
            None if value.is_empty() => {}
            None => attributes.push((key.clone(), value.clone())),
        }
    }
    if position(&attributes, semconv::SERVICE_INSTANCE_ID).is_none() {
        let instance = [semconv::HOST_ID, semconv::HOST_NAME]
            .iter()
            .find_map(|key| position(&attributes, key).map(|i| attributes[i].1.clone()));
        if let Some(instance) = instance {
            let after_service =
                position(&attributes, semconv::SERVICE_NAME).map_or(attributes.len(), |i| i + 1);
            attributes.insert(
                after_service,
                (semconv::SERVICE_INSTANCE_ID.to_string(), instance),
            );
        }
    }
    attributes
}

fn host_name(src: &Source) -> Option<String> {
    let first_line = |text: String| {
        text.lines()
            .next()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
    };
    if src.is_custom_root() {
        let from_etc = src
            .read_optional("etc/hostname")
            .and_then(first_line)
            .filter(|h| !h.starts_with("localhost"));
        if from_etc.is_some() {
            return from_etc;
        }
    }
    src.read_optional("proc/sys/kernel/hostname")
        .and_then(first_line)
}

fn host_id(src: &Source) -> Option<String> {
    ["etc/machine-id", "var/lib/dbus/machine-id"]
        .iter()
        .filter_map(|path| src.read_optional(path))
        .map(|text| text.trim().to_string())
        .find(|id| is_machine_id(id))
}

/// machine-id(5): 32 lowercase hex characters. `uninitialized` or empty is no id.
pub fn is_machine_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The semconv `host.arch` value of a kernel machine name (§2.1; others verbatim).
pub fn host_arch(machine: &str) -> String {
    let m = machine;
    let arch = match m {
        "x86_64" | "amd64" => "amd64",
        "aarch64" | "arm64" | "armv8l" => "arm64",
        "arm" => "arm32",
        _ if m.starts_with("armv5") || m.starts_with("armv6") || m.starts_with("armv7") => "arm32",
        _ if m.len() == 4 && m.starts_with('i') && m.ends_with("86") => "x86",
        _ if m.starts_with("ppc64") => "ppc64",
        "ppc" => "ppc32",
        _ => m,
    };
    arch.to_string()
}

/// `PRETTY_NAME (Linux <release>)`, or the parts that exist.
fn os_description(pretty: Option<String>, kernel: Option<String>) -> Option<String> {
    match (pretty, kernel) {
        (Some(pretty), Some(kernel)) => Some(format!("{pretty} (Linux {kernel})")),
        (Some(pretty), None) => Some(pretty),
        (None, Some(kernel)) => Some(format!("Linux {kernel}")),
        (None, None) => None,
    }
}

/// A value of os-release(5): `KEY=value`, `KEY="value"` or `KEY='value'`, shell escapes
/// (`\"`, `\\`, `\$`, `` \` ``) undone in double quotes. Empty values count as absent.
pub fn os_release_value(text: &str, key: &str) -> Option<String> {
    let raw = text
        .lines()
        .find_map(|line| line.trim().strip_prefix(key)?.strip_prefix('='))?;
    let raw = raw.trim();
    let value = if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match (c, chars.clone().next()) {
                ('\\', Some(next @ ('"' | '\\' | '$' | '`'))) => {
                    out.push(next);
                    chars.next();
                }
                _ => out.push(c),
            }
        }
        out
    } else if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        inner.to_string()
    } else {
        raw.to_string()
    };
    Some(value).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn arch_names_follow_semconv() {
        for (machine, arch) in [
            ("x86_64", "amd64"),
            ("aarch64", "arm64"),
            ("armv8l", "arm64"),
            ("armv7l", "arm32"),
            ("armv6l", "arm32"),
            ("armv5tel", "arm32"),
            ("i686", "x86"),
            ("i386", "x86"),
            ("ppc64le", "ppc64"),
            ("ppc", "ppc32"),
            ("s390x", "s390x"),
            ("riscv64", "riscv64"),
        ] {
            assert_eq!(host_arch(machine), arch, "{machine}");
        }
    }

    #[test]
    fn os_release_quoting() {
        let text = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine \\\"Edge\\\" \\$x\"\nEMPTY=\"\"\nSQ='a b'\n";
        assert_eq!(
            os_release_value(text, "NAME").as_deref(),
            Some("Alpine Linux")
        );
        assert_eq!(
            os_release_value(text, "VERSION_ID").as_deref(),
            Some("3.20.3")
        );
        assert_eq!(
            os_release_value(text, "PRETTY_NAME").as_deref(),
            Some("Alpine \"Edge\" $x")
        );
        assert_eq!(os_release_value(text, "SQ").as_deref(), Some("a b"));
        assert_eq!(os_release_value(text, "EMPTY"), None);
        assert_eq!(os_release_value(text, "ID_LIKE"), None);
        assert_eq!(
            os_release_value("VERSION_ID_X=1\n", "VERSION_ID"),
            None,
            "prefix of another key"
        );
    }

    #[test]
    fn machine_id_must_be_32_hex() {
        assert!(is_machine_id("0123456789abcdef0123456789abcdef"));
        assert!(!is_machine_id("uninitialized"));
        assert!(!is_machine_id(""));
        assert!(!is_machine_id("0123456789abcdef0123456789abcdeg"));
    }

    #[test]
    fn description_joins_pretty_name_and_kernel() {
        assert_eq!(
            os_description(Some("Debian 12".into()), Some("6.1.0".into())).as_deref(),
            Some("Debian 12 (Linux 6.1.0)")
        );
        assert_eq!(
            os_description(None, Some("6.1.0".into())).as_deref(),
            Some("Linux 6.1.0")
        );
        assert_eq!(os_description(None, None), None);
    }

    #[test]
    fn service_defaults_follow_host_id_then_host_name() {
        let detected = pairs(&[
            ("host.name", "pi"),
            ("host.id", "abc"),
            ("os.type", "linux"),
        ]);
        let merged = merge(detected.clone(), &[]);
        assert_eq!(
            merged,
            pairs(&[
                ("host.name", "pi"),
                ("host.id", "abc"),
                ("os.type", "linux"),
                ("service.name", "sysotlp"),
                ("service.instance.id", "abc")
            ])
        );
        // An empty value drops a shared host.id (cloned SD images): instance falls back to the name.
        let merged = merge(
            detected,
            &pairs(&[("host.id", ""), ("service.name", "edge"), ("team", "x")]),
        );
        assert_eq!(
            merged,
            pairs(&[
                ("host.name", "pi"),
                ("os.type", "linux"),
                ("service.name", "edge"),
                ("service.instance.id", "pi"),
                ("team", "x")
            ])
        );
    }

    #[test]
    fn user_instance_id_and_removals_win() {
        let detected = pairs(&[("host.name", "pi")]);
        let merged = merge(
            detected,
            &pairs(&[
                ("service.instance.id", "i-1"),
                ("service.name", ""),
                ("nothing", ""),
            ]),
        );
        assert_eq!(
            merged,
            pairs(&[("host.name", "pi"), ("service.instance.id", "i-1")])
        );
    }
}
