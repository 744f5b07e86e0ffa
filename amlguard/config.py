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
from amlguard.scanner.params import is_of_type, item_problems
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
# The config keys that are shortcuts for rule parameters; which rule and parameter each sets is
# the rule pack's business (``config_shortcuts`` in pack.yaml), not this module's.
_SHORTCUT_KEYS = ("image_build_compute",)


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
    #: top-level keys that stand for a rule parameter (the pack's ``config_shortcuts``)
    shortcuts: dict[str, Any] = field(default_factory=dict)
    network_isolation: str | None = None
    #: the ``iac:`` section (templates before deployment), checked by :mod:`amlguard.iac`
    iac: dict[str, Any] | None = None
    suppressions: tuple[Suppression, ...] = ()
    allow_permanent_suppressions: bool = False
    output_format: str | None = None
    outputs: tuple[str, ...] = ()
    fail_on: str | None = None
    sarif_artifact: Path | None = None
    history_path: Path | None = None
    history_scope: str | None = None
    history_fail_on_new: bool = False
    fail_on_empty: bool | None = None
    confirm: bool | None = None
    locs: Locations = field(default_factory=dict, repr=False, compare=False)

    def where(self, *path: Any) -> str:
        """``file:line:col`` of a key of this file (for messages found after loading)."""
        line, col = position(self.locs, path)
        return f"{self.path}:{line}:{col}"

    def parameters_with_shortcuts(
        self, shortcuts: dict[str, Any] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Rule parameters, plus the top-level shortcut keys the pack maps to a parameter
        (``config_shortcuts`` in ``pack.yaml``: e.g. ``image_build_compute``)."""
        out = {rule_id: dict(values) for rule_id, values in self.parameters.items()}
        for key, value in self.shortcuts.items():
            spec = (shortcuts or {}).get(key)
            if isinstance(spec, dict) and value is not None:
                rule_id = str(spec["rule"]).upper()
                out.setdefault(rule_id, {}).setdefault(str(spec["parameter"]), value)
        return out


def find_config(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """``--config PATH`` (which must exist), else ``amlguard.yaml`` in the working directory."""
    if explicit is not None:
        if explicit.is_dir():
            raise InputError(f"--config {explicit}: a directory, not a config file")
        if not explicit.exists():
            raise InputError(f"{explicit}: config file not found")
        if not explicit.is_file():
            raise InputError(f"--config {explicit}: not a regular file")
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
        shortcuts={k: data[k] for k in _SHORTCUT_KEYS if k in data},
        network_isolation=data.get("network_isolation"),
        iac=data.get("iac"),
        suppressions=tuple(suppressions),
        allow_permanent_suppressions=bool(data.get("allow_permanent_suppressions", False)),
        output_format=output.get("format"),
        outputs=tuple(output.get("outputs", ())),
        fail_on=output.get("fail_on"),
        sarif_artifact=base / output["sarif_artifact"] if "sarif_artifact" in output else None,
        history_path=base / Path(history["path"]).expanduser() if "path" in history else None,
        history_scope=history.get("scope"),
        history_fail_on_new=bool(history.get("fail_on_new", False)),
        fail_on_empty=data.get("fail_on_empty"),
        confirm=data.get("confirm"),
        locs=locs,
    )


def _suppressions(
    data: dict[str, Any], locs: Locations, name: str, problems: list[str]
) -> list[Suppression]:
    if not data.get("suppressions"):
        return []
    from amlguard.suppressions import Suppression  # only a config file with suppressions
    from amlguard.suppressions import problem as suppression_problem

    today = dt.datetime.now(dt.timezone.utc).date()

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
        why = suppression_problem(raw["rule"], raw["resource"], expires, allow_permanent, today)
        if why:
            problems.append(f"{name}:{line}:{col}: suppressions/{i}: {why}")
            continue
        out.append(
            Suppression(
                rule=raw["rule"].upper(),
                resource=raw["resource"],
                reason=raw["reason"].strip(),
                expires=expires,
                approved_by=raw.get("approved_by"),
                source=f"{name}:{line}",
                offenders=tuple(raw["offenders"]) if "offenders" in raw else None,
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
        if fmt not in known and fmt != "log-analytics":
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
        if not is_of_type(value, param.type):
            problems.append(
                f"{where}: parameters/{rule.id}/{pname}: expected "
                f"{'an' if str(param.type)[:1] in 'aeiou' else 'a'} {param.type}, "
                f"got {type(value).__name__}"
            )
            continue
        if param.items is not None and isinstance(value, list):
            problems.extend(
                f"{config.where(*base, pname, i)}: parameters/{rule.id}/{pname}: {text}"
                for i, text in item_problems(param.items, value)
            )
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
    """The rule ids the config selects (empty: no selection, the pack's default rules run).

    An opt-in tag of the pack (``hardening``) in ``include_tags`` adds its rules rather than
    narrowing to them; other tags narrow; ``exclude``/``exclude_tags`` remove.
    """
    from amlguard.ruleselect import narrow, opt_in_tags, split_tags

    opt_in = opt_in_tags(pack)
    narrowing, enabled = split_tags(config.include_tags, opt_in)
    if not (config.include or narrowing or enabled or config.exclude or config.exclude_tags):
        return []
    chosen = narrow(
        pack.rules, config.include_tags, opt_in, named=config.include, keep=config.include
    )
    if config.include and not narrowing:
        chosen = [
            r for r in chosen if r.id in config.include or {t.lower() for t in r.tags} & enabled
        ]
    chosen = [
        r
        for r in chosen
        if r.id not in config.exclude and not any(t.lower() in config.exclude_tags for t in r.tags)
    ]
    if not chosen:
        raise ConfigError([f"{config.where('rules')}: rules: the selection leaves no rule to run"])
    return [r.id for r in chosen]
