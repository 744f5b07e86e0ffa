"""Rules are data: loading, validating and compiling the YAML rule pack."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import amlguard.scanner.primitives  # noqa: F401  (registers the functions and related sources)
from amlguard.errors import PolicyError
from amlguard.scanner.conditions import Condition, ConditionError, compile_condition
from amlguard.scanner.expressions import ExpressionError, is_expression
from amlguard.scanner.model import Severity
from amlguard.scanner.paths import PathError, compile_path
from amlguard.scanner.yamlsource import (
    Locations,
    YamlProblems,
    load_yaml,
    position,
    read_text,
    validate,
)

RULE_SCHEMA = "rules.schema.json"


@dataclass(frozen=True, slots=True)
class Parameter:
    """A rule parameter with its default (config may override the value)."""

    name: str
    default: Any
    description: str
    type: str | None = None
    allowed: tuple[Any, ...] | None = None


@dataclass(frozen=True, slots=True)
class Remediation:
    """How a finding is fixed: the human summary, the remediator name, the manual command."""

    summary: str
    remediator: str | None = None
    manual: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule; ``condition`` and ``where`` are closures, everything else is text."""

    id: str
    name: str
    severity: Severity
    title: str
    description: str
    rationale: str
    target: dict[str, Any]
    message: str
    skip_message: str
    expected: str
    remediation: Remediation
    references: tuple[dict[str, str], ...]
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    condition: Condition = field(repr=False, compare=False)
    where: Condition | None = field(default=None, repr=False, compare=False)
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def fixable(self) -> bool:
        return self.remediation.remediator is not None

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}


@dataclass(slots=True)
class RulePack:
    """The rules of a scan plus the pack's version and a hash of every file that made it."""

    rules: list[Rule]
    version: str
    digest: str
    settings: dict[str, Any]
    files: list[str]

    def get(self, rule_id: str) -> Rule | None:
        wanted = rule_id.upper()
        return next((r for r in self.rules if r.id == wanted), None)


_PARAMETER_REF = re.compile(r"\bparameters\(\s*'((?:[^']|'')*)'\s*\)", re.IGNORECASE)
_CURRENT_REF = re.compile(r"\bcurrent\(\s*(?:'((?:[^']|'')*)')?\s*\)", re.IGNORECASE)
_FIELD_REF = re.compile(r"\bfield\(\s*'((?:[^']|'')*)'\s*\)", re.IGNORECASE)


def _unknown_references(
    node: Any, path: tuple[Any, ...], declared: set[str], aliases: frozenset[str]
) -> list[tuple[tuple[Any, ...], str]]:
    """Parameters the rule does not declare and ``current()`` aliases no enclosing count
    names: both would otherwise evaluate to "absent" and fail (or pass) every resource."""
    out: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(node, dict):
        count = node.get("count")
        for key, value in node.items():
            if key == "count" and isinstance(count, dict):
                # A count's 'where' sees its items as current() and current('<name>').
                named = frozenset({"", str(count.get("name") or "")})
                for ckey, cvalue in count.items():
                    scope = aliases | named if ckey == "where" else aliases
                    out += _unknown_references(cvalue, (*path, key, ckey), declared, scope)
                continue
            out += _unknown_references(value, (*path, key), declared, aliases)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out += _unknown_references(item, (*path, i), declared, aliases)
    elif isinstance(node, str) and is_expression(node):
        for ref in _PARAMETER_REF.findall(node):
            if ref not in declared:
                known = ", ".join(sorted(declared)) or "none"
                out.append((path, f"unknown parameter {ref!r} (declared: {known})"))
        for ref in _CURRENT_REF.findall(node):
            if ref not in aliases:
                out.append((path, f"current({ref!r}) is not inside a count named {ref!r}"))
        for ref in _FIELD_REF.findall(node):
            try:
                compile_path(ref.replace("''", "'"))
            except PathError as exc:
                out.append((path, f"field(): {exc}"))
    return out


def _compile_rule(raw: dict[str, Any], name: str, index: int, locs: Locations) -> Rule:
    base = ("rules", index)
    problems: list[str] = []

    def compiled(key: str) -> Condition | None:
        if key not in raw:
            return None
        try:
            return compile_condition(raw[key])
        except (ConditionError, ExpressionError, PathError) as exc:
            line, col = position(locs, (*base, key))
            problems.append(f"{name}:{line}:{col}: {raw['id']} {key}: {exc}")
            return None

    condition = compiled("condition")
    where = compiled("where")
    declared = set((raw.get("parameters") or {}).keys())
    for key in ("where", "condition"):
        if key in raw:
            for path, text in _unknown_references(raw[key], (*base, key), declared, frozenset()):
                line, col = position(locs, path)
                problems.append(f"{name}:{line}:{col}: {raw['id']} {key}: {text}")
    params = tuple(
        Parameter(
            name=pname,
            default=spec.get("default"),
            description=spec.get("description", ""),
            type=spec.get("type"),
            allowed=tuple(spec["allowed"]) if "allowed" in spec else None,
        )
        for pname, spec in (raw.get("parameters") or {}).items()
    )
    if problems or condition is None:
        raise PolicyError(problems)
    target = raw["target"] if isinstance(raw["target"], dict) else {"select": raw["target"]}
    rem = raw["remediation"]
    return Rule(
        id=raw["id"],
        name=raw["name"],
        severity=Severity.parse(raw["severity"]),
        title=raw["title"].strip(),
        description=raw["description"].strip(),
        rationale=str(raw.get("rationale", "")).strip(),
        target=target,
        message=raw["message"].strip(),
        skip_message=str(raw.get("skip_message", "")).strip(),
        expected=str(raw.get("expected", "")).strip(),
        remediation=Remediation(
            summary=rem["summary"].strip(),
            remediator=rem.get("remediator"),
            manual=(rem.get("manual") or "").strip() or None,
            notes=(rem.get("notes") or "").strip() or None,
        ),
        references=tuple(raw.get("references") or ()),
        tags=tuple(raw.get("tags") or ()),
        parameters=params,
        condition=condition,
        where=where,
        source="{}:{}:{}".format(name, *position(locs, base)),  # file:line:col, like every problem
        raw=raw,
    )


def load_rule_text(text: str, name: str) -> list[Rule]:
    """Validate and compile one rule file's text; raises PolicyError with every problem."""
    try:
        data, locs = load_yaml(text, name)
    except YamlProblems as exc:
        raise PolicyError(exc.problems) from None
    failed: set[tuple[Any, ...]] = set()
    problems = validate(data, RULE_SCHEMA, locs, name, failed, text=text)
    if problems and (not isinstance(data, dict) or not isinstance(data.get("rules"), list)):
        raise PolicyError(problems)
    rules: list[Rule] = []
    for i, raw in enumerate(data["rules"]):
        if ("rules", i) in failed or ("rules",) in failed:
            continue  # already reported; compile the schema-valid rules to report all at once
        try:
            rules.append(_compile_rule(raw, name, i, locs))
        except PolicyError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PolicyError(problems)
    return rules


def _builtin_files() -> list[tuple[str, str]]:
    folder = resources.files("amlguard").joinpath("policies/rules")
    entries = sorted(
        (e for e in folder.iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name
    )
    return [(f"amlguard/policies/rules/{e.name}", e.read_text("utf-8")) for e in entries]


def _user_files(directory: Path) -> list[tuple[str, str]]:
    if directory.is_file():
        paths = [directory]
    elif directory.is_dir():
        paths = sorted(p for p in directory.rglob("*") if p.suffix.lower() in (".yaml", ".yml"))
        if not paths:
            # Fail closed: a typo'd directory must not silently run without the user's rules.
            raise PolicyError([f"{directory}: no rule files (*.yaml, *.yml) in this directory"])
    else:
        raise PolicyError([f"{directory}: no such file or directory"])
    out = []
    for p in paths:
        try:
            out.append((str(p), read_text(p)))
        except YamlProblems as exc:
            raise PolicyError(exc.problems) from None
    return out


def pack_settings() -> dict[str, Any]:
    """The pack's own metadata and instance parameters (``policies/pack.yaml``)."""
    text = resources.files("amlguard").joinpath("policies/pack.yaml").read_text("utf-8")
    data, _ = load_yaml(text, "amlguard/policies/pack.yaml")
    return dict(data or {})


def load_pack(extra: list[Path] | None = None, builtin: bool = True) -> RulePack:
    """The built-in rules plus the user's (``--policies``); ids must be unique across all."""
    files = _builtin_files() if builtin else []
    for directory in extra or []:
        files += _user_files(directory)
    problems: list[str] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    digest = hashlib.sha256()
    for name, text in files:
        digest.update(name.rsplit("/", 1)[-1].encode() + b"\0" + text.encode("utf-8") + b"\0")
        try:
            loaded = load_rule_text(text, name)
        except PolicyError as exc:
            problems.extend(exc.problems)
            continue
        for rule in loaded:
            if rule.id in seen:
                problems.append(
                    f"{rule.source}: rule id {rule.id} is already defined at {seen[rule.id]}"
                )
                continue
            seen[rule.id] = rule.source
            rules.append(rule)
    if problems:
        raise PolicyError(problems)
    settings = pack_settings()
    return RulePack(
        rules=sorted(rules, key=lambda r: r.id),
        version=str(settings.get("version", "0")),
        digest="sha256:" + digest.hexdigest(),
        settings=settings,
        files=[n for n, _ in files],
    )
