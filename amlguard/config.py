"""The ``amlguard.yaml`` config file: loading, validation (``file:line:col``), precedence.

The file is validated by ``policies/schemas/config.schema.json`` (shipped in the package), then
checked against the rule pack (rule ids, parameter names and values). Command-line flags always
win over the file; the file wins over built-in defaults.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlguard.errors import InputError
from amlguard.scanner import parsecache
from amlguard.scanner.yamlsource import (
    Locations,
    YamlProblems,
    load_yaml,
    position,
    read_text,
    validate,
)

if TYPE_CHECKING:
    from amlguard.suppressions import Suppression

CONFIG_SCHEMA = "config.schema.json"
DEFAULT_NAMES = ("amlguard.yaml", "amlguard.yml")
IMAGE_BUILD_RULE = "AMLG-107"
_TYPES = {"array": list, "boolean": bool, "string": str, "object": dict}


class ConfigError(InputError):
    """The config file is unusable; carries every problem as ``file:line:col: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Config:
    """The validated content of a config file (all defaults when there is none)."""

    path: str | None = None
    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()
    resource_groups: tuple[str, ...] = ()
    policies: tuple[Path, ...] = ()
    include: tuple[str, ...] = ()
    include_tags: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    min_severity: str | None = None
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    integration_selector: dict[str, Any] | None = None
    solution_subnet: str | None = None
    network_isolation: str | None = None
    image_build_compute: str | None = None
    suppressions: tuple[Suppression, ...] = ()
    allow_permanent_suppressions: bool = False
    output_format: str | None = None
    outputs: tuple[str, ...] = ()
    fail_on: str | None = None
    sarif_artifact: Path | None = None
    history_path: Path | None = None
    history_scope: str | None = None
    history_fail_on_new: bool = False
    locs: Locations = field(default_factory=dict, repr=False, compare=False)

    def where(self, *path: Any) -> str:
        """``file:line:col`` of a key of this file (for messages found after loading)."""
        line, col = position(self.locs, path)
        return f"{self.path}:{line}:{col}"

    def parameters_with_shortcuts(self) -> dict[str, dict[str, Any]]:
        """Rule parameters, with ``image_build_compute`` as AMLG-107's ``compute_name``."""
        out = {rule_id: dict(values) for rule_id, values in self.parameters.items()}
        if self.image_build_compute:
            out.setdefault(IMAGE_BUILD_RULE, {}).setdefault(
                "compute_name", self.image_build_compute
            )
        return out


def find_config(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """``--config PATH`` (which must exist), else ``amlguard.yaml`` in the working directory."""
    if explicit is not None:
        if not explicit.is_file():
            raise InputError(f"{explicit}: config file not found")
        return explicit
    base = cwd or Path.cwd()
    for name in DEFAULT_NAMES:
        if (base / name).is_file():
            return base / name
    return None


def _dates_to_text(node: Any) -> Any:
    # YAML reads an unquoted 2026-12-31 as a date; the schema speaks JSON, so make it a string.
    if isinstance(node, dict):
        return {k: _dates_to_text(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_dates_to_text(v) for v in node]
    if isinstance(node, (dt.date, dt.datetime)):
        return node.isoformat()[:10] if not isinstance(node, dt.datetime) else node.isoformat()
    return node


def _parse(path: Path, name: str) -> tuple[dict[str, Any], Locations]:
    """The file's data (dates as text) and positions, valid against the config schema."""
    try:
        data, locs = load_yaml(read_text(path), name)
    except YamlProblems as exc:
        raise ConfigError(exc.problems) from None
    if data is None:
        data = {}
    data = _dates_to_text(data)
    problems = validate(data, CONFIG_SCHEMA, locs, name)
    if problems:
        raise ConfigError(problems)
    return data, locs


def load_config(path: Path) -> Config:
    """Read and validate one config file; ConfigError lists every problem with its position."""
    name = str(path)
    key = os.path.abspath(name)
    sig = parsecache.signature(key)  # before reading: a later edit then only misses
    cached = parsecache.get("config", key, (sig,))
    if cached is not None:  # this very file passed every check before (see parsecache)
        data, locs = cached
    else:
        data, locs = _parse(path, name)
    problems: list[str] = []
    base = path.parent
    suppressions = _suppressions(data, locs, name, problems)
    problems += _output_problems(data.get("output", {}), locs, name)
    if problems:
        raise ConfigError(problems)
    if cached is None:
        parsecache.put("config", key, (sig,), parsecache.encode((data, locs)))
        parsecache.save()
    scope = data.get("scope", {})
    rules = data.get("rules", {})
    output = data.get("output", {})
    history = data.get("history", {})
    return Config(
        path=name,
        subscriptions=tuple(scope.get("subscriptions", ())),
        management_groups=tuple(scope.get("management_groups", ())),
        resource_groups=tuple(scope.get("resource_groups", ())),
        policies=tuple(base / p for p in data.get("policies", ())),
        include=tuple(r.upper() for r in rules.get("include", ())),
        include_tags=tuple(t.lower() for t in rules.get("include_tags", ())),
        exclude=tuple(r.upper() for r in rules.get("exclude", ())),
        exclude_tags=tuple(t.lower() for t in rules.get("exclude_tags", ())),
        min_severity=rules.get("min_severity"),
        parameters={k.upper(): dict(v) for k, v in data.get("parameters", {}).items()},
        integration_selector=data.get("integration_selector"),
        solution_subnet=data.get("solution_subnet"),
        network_isolation=data.get("network_isolation"),
        image_build_compute=data.get("image_build_compute"),
        suppressions=tuple(suppressions),
        allow_permanent_suppressions=bool(data.get("allow_permanent_suppressions", False)),
        output_format=output.get("format"),
        outputs=tuple(output.get("outputs", ())),
        fail_on=output.get("fail_on"),
        sarif_artifact=base / output["sarif_artifact"] if "sarif_artifact" in output else None,
        history_path=base / Path(history["path"]).expanduser() if "path" in history else None,
        history_scope=history.get("scope"),
        history_fail_on_new=bool(history.get("fail_on_new", False)),
        locs=locs,
    )


def _suppressions(
    data: dict[str, Any], locs: Locations, name: str, problems: list[str]
) -> list[Suppression]:
    if not data.get("suppressions"):
        return []
    from amlguard.suppressions import Suppression  # only a config file with suppressions

    allow_permanent = bool(data.get("allow_permanent_suppressions", False))
    out = []
    for i, raw in enumerate(data.get("suppressions", ())):
        line, col = position(locs, ("suppressions", i))
        expires = None
        if "expires" in raw:
            try:
                expires = dt.date.fromisoformat(raw["expires"])
            except ValueError:
                eline, ecol = position(locs, ("suppressions", i, "expires"))
                problems.append(
                    f"{name}:{eline}:{ecol}: suppressions/{i}/expires: "
                    f"{raw['expires']!r} is not a calendar date (YYYY-MM-DD)"
                )
                continue
        elif not allow_permanent:
            problems.append(
                f"{name}:{line}:{col}: suppressions/{i}: an 'expires' date is required "
                "(or set 'allow_permanent_suppressions: true')"
            )
            continue
        out.append(
            Suppression(
                rule=raw["rule"].upper(),
                resource=raw["resource"],
                reason=raw["reason"].strip(),
                expires=expires,
                approved_by=raw.get("approved_by"),
                source=f"{name}:{line}",
            )
        )
    return out


def _output_problems(output: dict[str, Any], locs: Locations, name: str) -> list[str]:
    from amlguard.reports import registry

    known = registry.formats()
    problems = []
    if "format" in output and output["format"].lower() not in known:
        line, col = position(locs, ("output", "format"))
        problems.append(
            f"{name}:{line}:{col}: output/format: unknown format {output['format']!r} "
            f"(one of: {', '.join(known)})"
        )
    for i, spec in enumerate(output.get("outputs", ())):
        fmt = spec.partition(":")[0].lower()
        if fmt not in known:
            line, col = position(locs, ("output", "outputs", i))
            problems.append(
                f"{name}:{line}:{col}: output/outputs/{i}: unknown format {fmt!r} "
                f"(one of: {', '.join(known)})"
            )
    return problems


def check_against_pack(config: Config, pack: Any) -> None:
    """Rule ids, parameter names and values must exist in the rule pack (ConfigError)."""
    if config.path is None:
        return
    problems: list[str] = []
    for key in ("include", "exclude"):
        for i, rule_id in enumerate(getattr(config, key)):
            if pack.get(rule_id) is None:
                problems.append(
                    f"{config.where('rules', key, i)}: rules/{key}/{i}: unknown rule id {rule_id!r}"
                )
    for rule_id, values in config.parameters.items():
        rule = pack.get(rule_id)
        raw_key = _parameters_key(config, rule_id)
        if rule is None:
            problems.append(f"{config.where(*raw_key)}: parameters: unknown rule id {rule_id!r}")
            continue
        problems += _parameter_problems(config, rule, values, raw_key)
    for i, s in enumerate(config.suppressions):
        if s.rule != "*" and not any(c in s.rule for c in "*?") and pack.get(s.rule) is None:
            where = config.where("suppressions", i, "rule")
            problems.append(f"{where}: suppressions/{i}/rule: unknown rule id {s.rule!r}")
    if problems:
        raise ConfigError(problems)


def _parameters_key(config: Config, rule_id: str) -> tuple[Any, ...]:
    # The file may spell the id in any case; positions are stored under its own spelling.
    for key in config.locs:
        if len(key) == 2 and key[0] == "parameters" and str(key[1]).upper() == rule_id:
            return key
    return ("parameters", rule_id)


def _parameter_problems(
    config: Config, rule: Any, values: dict[str, Any], base: tuple[Any, ...]
) -> list[str]:
    declared = {p.name: p for p in rule.parameters}
    problems = []
    for pname, value in values.items():
        where = config.where(*base, pname)
        param = declared.get(pname)
        if param is None:
            names = ", ".join(declared) or "none"
            problems.append(
                f"{where}: parameters/{rule.id}: {rule.id} has no parameter {pname!r} "
                f"(declared: {names})"
            )
            continue
        expected = _TYPES.get(param.type or "")
        if expected is not None and not isinstance(value, expected):
            problems.append(
                f"{where}: parameters/{rule.id}/{pname}: expected a {param.type}, "
                f"got {type(value).__name__}"
            )
            continue
        if param.allowed is not None:
            items = value if isinstance(value, list) else [value]
            bad = [v for v in items if v not in param.allowed]
            if bad:
                allowed = ", ".join(map(str, param.allowed))
                problems.append(
                    f"{where}: parameters/{rule.id}/{pname}: {bad[0]!r} is not allowed "
                    f"(one of: {allowed})"
                )
    return problems


def selected_rule_ids(config: Config, pack: Any) -> list[str]:
    """The rule ids the config selects (empty: no selection, every rule runs)."""
    if not (config.include or config.include_tags or config.exclude or config.exclude_tags):
        return []
    chosen = [
        r
        for r in pack.rules
        if not (config.include or config.include_tags)
        or r.id in config.include
        or any(t.lower() in config.include_tags for t in r.tags)
    ]
    chosen = [
        r
        for r in chosen
        if r.id not in config.exclude and not any(t.lower() in config.exclude_tags for t in r.tags)
    ]
    if not chosen:
        raise ConfigError([f"{config.where('rules')}: rules: the selection leaves no rule to run"])
    return [r.id for r in chosen]


@dataclass(frozen=True, slots=True)
class Effective:
    """The settings of one run after flags (which win) were laid over the config file."""

    fail_on: str
    format: str
    outputs: tuple[str, ...]
    min_severity: str | None
    sarif_artifact: Path | None


def resolve(
    config: Config,
    *,
    fail_on: str | None = None,
    fmt: str | None = None,
    outputs: tuple[str, ...] = (),
    severity: str | None = None,
    sarif_artifact: Path | None = None,
) -> Effective:
    """Flags over the config file over the built-in defaults (``--output`` replaces the list)."""
    return Effective(
        fail_on=fail_on or config.fail_on or "low",
        format=fmt or config.output_format or "console",
        outputs=tuple(outputs) if outputs else config.outputs,
        min_severity=severity or config.min_severity,
        sarif_artifact=sarif_artifact or config.sarif_artifact,
    )


def scan_options(config: Config, cloud: str = "AzureCloud") -> Any:
    """The ScanOptions a config file asks for (rule parameters and instance settings)."""
    from amlguard.scanner.scan import ScanOptions

    return ScanOptions(
        cloud=cloud,
        parameters=config.parameters_with_shortcuts(),
        integration_selector=config.integration_selector,
        solution_subnet=config.solution_subnet,
        network_isolation=config.network_isolation,
    )
