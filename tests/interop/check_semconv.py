"""Check `--names semconv` output and README's names table against semantic conventions v1.44.0.

Usage: check_semconv.py README.md REQUEST.json...

The truth is the official `opentelemetry-semantic-conventions` package (0.66b2 = v1.44.0): its
metric constants with their units, its attribute constants with their enums, and which of them
are deprecated. Checked:
- README's table (between the names-table markers): each semconv name exists and is not
  deprecated, with the row's unit; a row marked "(not in semconv)" names no semconv metric;
  every target key exists; every value a row maps to is a member of the key's enum.
- Each request (one OTLP/JSON line per file): schema URL 1.44.0 on resources and our scope;
  every resource attribute key exists and is not deprecated;
  every metric (but our own `sysotlp.*`) is no deprecated name, and, when semconv defines it,
  has semconv's unit; every attribute key exists and is not deprecated (or is one of README's
  listed keys semconv lacks, with one of its listed values), with an int value where semconv
  says int; every value of a key with an enum is a member, or one of README's listed extra
  values for that key.
Prints a JSON summary on success; exits 1 naming every violation otherwise.
"""

import enum
import importlib
import json
import pkgutil
import re
import sys

import opentelemetry.semconv._incubating.attributes as incubating_attributes
import opentelemetry.semconv._incubating.metrics as incubating_metrics
import opentelemetry.semconv.attributes as stable_attributes
from opentelemetry.semconv.schemas import Schemas

SCHEMA = Schemas.V1_44_0.value
CONSTANT = re.compile(r'^([A-Z_0-9]+): Final = "([^"]+)"\n"""\n(.*?)"""', re.S | re.M)
METRIC_UNIT = re.compile(
    r'name=([A-Z_0-9]+),\s*(?:callbacks=[^,]*,\s*)?description=(?:"[^"]*"|\([^)]*\)),\s*unit="([^"]*)"',
    re.S,
)
INT_KEYS = {"cpu.logical_number"}


class Any:
    """README's "any": every value of the key is allowed."""

    def __contains__(self, value):
        return True


ANY = Any()


def modules(package):
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        with open(module.__file__, encoding="utf-8") as f:
            yield module, f.read()


def deprecated(doc):
    # "Deprecated in favor of stable …" marks an incubating copy of a stable attribute.
    text = doc.strip()
    return text.startswith("Deprecated") and "in favor of stable" not in text


def load_metrics():
    """name -> (unit, deprecated)"""
    metrics = {}
    for _, source in modules(incubating_metrics):
        constants = {const: (value, doc) for const, value, doc in CONSTANT.findall(source)}
        units = dict(METRIC_UNIT.findall(source))
        for const, (name, doc) in constants.items():
            metrics[name] = (units.get(const), deprecated(doc))
    return metrics


def camel(constant):
    return "".join(part.capitalize() for part in constant.lower().split("_"))


def load_attributes():
    """key -> (deprecated, enum values or None); stable definitions win."""
    keys = {}
    for package, stable in ((incubating_attributes, False), (stable_attributes, True)):
        for module, source in modules(package):
            for const, key, doc in CONSTANT.findall(source):
                members = getattr(module, camel(const) + "Values", None)
                values = None
                if isinstance(members, type) and issubclass(members, enum.Enum):
                    values = {m.value for m in members}
                if stable or key not in keys:
                    keys[key] = (False if stable else deprecated(doc), values)
    return keys


def between(text, begin, end):
    start = text.index(begin)
    return text[text.index("\n", start) + 1 : text.index(end)]


def main():
    errors = []
    metrics = load_metrics()
    keys = load_attributes()
    with open(sys.argv[1], encoding="utf-8") as f:
        readme = f.read()

    extra = {}
    for line in between(readme, "<!-- semconv-values:begin", "<!-- semconv-values:end").splitlines():
        found = re.match(r"- `([^`]+)`[^:]*: (.*)", line)
        if found:
            listed = found.group(2).split(" (")[0]
            extra[found.group(1)] = ANY if listed == "any" else set(re.findall(r"`([^`]+)`", listed))

    own_keys = {}
    for line in between(readme, "<!-- semconv-keys:begin", "<!-- semconv-keys:end").splitlines():
        found = re.match(r"- `([^`]+)`[^:]*: (.*)", line)
        if found:
            if found.group(1) in keys:
                errors.append(f"README: {found.group(1)} is a semconv attribute, not one it lacks")
            own_keys[found.group(1)] = set(re.findall(r"`([^`]+)`", found.group(2)))

    rows = 0
    table = between(readme, "<!-- names-table:begin", "<!-- names-table:end")
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows += 1
        name = re.findall(r"`([^`]+)`", cells[1])[0]
        unit = cells[2].strip("`")
        if "(not in semconv)" in cells[1]:
            if name in metrics:
                errors.append(f"README: {name} is a semconv metric, not 'not in semconv'")
        elif name not in metrics or metrics[name][1]:
            errors.append(f"README: {name} is not a current semconv metric")
        elif metrics[name][0] != unit:
            errors.append(f"README: {name} unit {unit}, semconv says {metrics[name][0]}")
        for mapping in filter(None, cells[3].split("; ")):
            target = re.findall(r"`([^`]+)`", mapping)[1]
            if target not in keys or keys[target][0]:
                errors.append(f"README: {name}: key {target} is not a current semconv attribute")
                continue
            allowed = keys[target][1]
            for value in re.findall(r"→ `([^`]+)`", mapping.split("(", 1)[1]) if "(" in mapping else []:
                if allowed is not None and value not in allowed:
                    errors.append(f"README: {name}: {target}={value} is not in semconv's list")

    checked = {"metrics": set(), "keys": set(), "resource_keys": set(), "points": 0}
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            request = json.loads(f.readline())
        for rm in request["resourceMetrics"]:
            if rm.get("schemaUrl") != SCHEMA:
                errors.append(f"{path}: resource schemaUrl {rm.get('schemaUrl')!r}")
            for attribute in rm["resource"].get("attributes", []):
                key = attribute["key"]
                checked["resource_keys"].add(key)
                if key not in keys or keys[key][0]:
                    errors.append(f"{path}: resource key {key} is not a current semconv attribute")
            for sm in rm["scopeMetrics"]:
                if sm["scope"]["name"] == "sysotlp" and sm.get("schemaUrl") != SCHEMA:
                    errors.append(f"{path}: scope schemaUrl {sm.get('schemaUrl')!r}")
                for metric in sm["metrics"]:
                    check_metric(path, metric, metrics, keys, extra, own_keys, errors, checked)

    if errors:
        print("\n".join(sorted(set(errors))), file=sys.stderr)
        sys.exit(1)
    print(json.dumps({
        "rows": rows,
        "metrics": sorted(checked["metrics"]),
        "keys": sorted(checked["keys"]),
        "resource_keys": sorted(checked["resource_keys"]),
        "points": checked["points"],
    }))


def check_metric(path, metric, metrics, keys, extra, own_keys, errors, checked):
    name = metric["name"]
    if name.startswith("sysotlp."):
        return
    checked["metrics"].add(name)
    if name in metrics and metrics[name][1]:
        errors.append(f"{path}: {name} is deprecated in semconv")
    elif name in metrics and metrics[name][0] != metric.get("unit", ""):
        errors.append(f"{path}: {name} unit {metric.get('unit')!r}, semconv says {metrics[name][0]!r}")
    data = next(metric[k] for k in ("sum", "gauge", "histogram", "summary") if k in metric)
    for point in data["dataPoints"]:
        checked["points"] += 1
        for attribute in point.get("attributes", []):
            key, value = attribute["key"], attribute["value"]
            checked["keys"].add(key)
            if key in own_keys:
                if value.get("stringValue") not in own_keys[key]:
                    errors.append(f"{path}: {name}: {key}={value} is not one of README's values")
                continue
            if key not in keys or keys[key][0]:
                errors.append(f"{path}: {name}: key {key} is not a current semconv attribute")
                continue
            if key in INT_KEYS:
                if "intValue" not in value:
                    errors.append(f"{path}: {name}: {key} must be an int, got {value}")
                continue
            text = value.get("stringValue")
            allowed = keys[key][1]
            if allowed is not None and text not in allowed and text not in extra.get(key, set()):
                errors.append(f"{path}: {name}: {key}={text} is neither semconv's nor README's")


if __name__ == "__main__":
    main()
