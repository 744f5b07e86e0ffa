"""Rules are data: loading, validating and compiling the YAML rule pack."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import amlguard.scanner.datastores
import amlguard.scanner.denials
import amlguard.scanner.endpointreach
import amlguard.scanner.instance_targets
import amlguard.scanner.primitives
import amlguard.scanner.textfunctions  # registers split()
import amlguard.scanner.typedfunctions  # noqa: F401  (registers computeKind(), typed())
from amlguard.errors import PolicyError
from amlguard.excerpt import quoted
from amlguard.scanner import parsecache
from amlguard.scanner.conditions import Condition, ConditionError, compile_condition
from amlguard.scanner.expressions import ExpressionError, is_expression
from amlguard.scanner.model import Severity
from amlguard.scanner.params import Parameter, default_problem
from amlguard.scanner.paths import PathError, compile_path
from amlguard.scanner.remedycases import RemedyCase, compile_cases
from amlguard.scanner.yamlsource import (
    Locations,
    YamlProblems,
    load_yaml,
    load_yaml_file,
    position,
    read_text,
    validate,
)

RULE_SCHEMA = "rules.schema.json"
_NO: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Remediation:
    """How a finding is fixed: the human summary, the remediator name, the manual command."""

    summary: str
    remediator: str | None = None
    manual: str | None = None
    notes: str | None = None
    #: fix text by case (:mod:`amlguard.scanner.remedycases`), first match wins
    cases: tuple[RemedyCase, ...] = ()


#: where the built-in rules' ``source`` starts (their files ship in the package)
BUILTIN_SOURCE = "amlguard/policies/"


def is_builtin(rule: Any) -> bool:
    """Whether the rule ships with amlguard (its ``source`` is in the package)."""
    return str(getattr(rule, "source", "")).replace("\\", "/").startswith(BUILTIN_SOURCE)


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
    #: (severity, condition) pairs: a failing finding takes the first whose condition holds
    severity_when: tuple[tuple[Severity, Condition], ...] = field(
        default=(), repr=False, compare=False
    )
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: a passing finding's message when the judgement noted what it found ({evidence})
    pass_message: str = ""
    #: ``default_on_when``: an opt-in rule still runs by default where this holds on the
    #: instance's workspace row (``default_on_label`` says where, in a few words)
    default_on_when: Condition | None = field(default=None, repr=False, compare=False)
    default_on_label: str = ""
    #: set by the rule selection (``ruleselect.narrow``) on a rule that runs only because of
    #: ``default_on_when``: the engine judges it only in the instances this holds for
    runs_only_when: Condition | None = field(default=None, repr=False, compare=False)

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


def _compile_rule(
    raw: dict[str, Any], name: str, index: int, locs: Locations, checked: bool = False
) -> Rule:
    """One rule compiled; ``checked``: its file already passed every check by this same code
    (a warm cache entry, see :func:`checker_signatures`), so the checks that only find
    problems (references, parameter defaults, the ``iac:`` block) are not asked again."""
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
    graded: list[tuple[Severity, Condition]] = []
    for i, grade in enumerate(raw.get("severity_when") or []):
        try:
            graded.append((Severity.parse(grade["severity"]), compile_condition(grade["when"])))
        except (ConditionError, ExpressionError, PathError) as exc:
            line, col = position(locs, (*base, "severity_when", i, "when"))
            problems.append(f"{name}:{line}:{col}: {raw['id']} severity_when: {exc}")
    cases, bad = compile_cases((raw.get("remediation") or {}).get("cases"))
    for i, text in bad:
        line, col = position(locs, (*base, "remediation", "cases", i, "when"))
        problems.append(f"{name}:{line}:{col}: {raw['id']} remediation.cases: {text}")
    given_on = raw.get("default_on_when")
    default_on: dict[str, Any] = given_on if isinstance(given_on, dict) else {}
    default_on_when: Condition | None = None
    if "workspace" in default_on:
        try:
            default_on_when = compile_condition(default_on["workspace"])
        except (ConditionError, ExpressionError, PathError) as exc:
            line, col = position(locs, (*base, "default_on_when", "workspace"))
            problems.append(f"{name}:{line}:{col}: {raw['id']} default_on_when: {exc}")
    if not checked:
        _check_rule(raw, name, base, locs, default_on, problems)
    params = tuple(
        Parameter(
            name=pname,
            default=spec.get("default"),
            description=spec.get("description", ""),
            type=spec.get("type"),
            allowed=tuple(spec["allowed"]) if "allowed" in spec else None,
            items=spec.get("items"),
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
        pass_message=str(raw.get("pass_message", "")).strip(),
        expected=str(raw.get("expected", "")).strip(),
        remediation=Remediation(
            summary=rem["summary"].strip(),
            remediator=rem.get("remediator"),
            manual=(rem.get("manual") or "").strip() or None,
            notes=(rem.get("notes") or "").strip() or None,
            cases=tuple(cases),
        ),
        references=tuple(raw.get("references") or ()),
        tags=tuple(raw.get("tags") or ()),
        parameters=params,
        condition=condition,
        where=where,
        severity_when=tuple(graded),
        source="{}:{}:{}".format(name, *position(locs, base)),  # file:line:col, like every problem
        raw=raw,
        default_on_when=default_on_when,
        default_on_label=str(default_on.get("label") or "").strip(),
    )


def _check_rule(
    raw: dict[str, Any],
    name: str,
    base: tuple[Any, ...],
    locs: Locations,
    default_on: dict[str, Any],
    problems: list[str],
) -> None:
    """The checks of one rule that only find problems: unknown parameters, ``current()``
    aliases and ``field()`` paths, parameter defaults, the ``iac:`` block's conditions."""
    declared = set((raw.get("parameters") or {}).keys())
    if "workspace" in default_on:
        at = (*base, "default_on_when", "workspace")
        for path, text in _unknown_references(default_on["workspace"], at, declared, frozenset()):
            line, col = position(locs, path)
            problems.append(f"{name}:{line}:{col}: {raw['id']} default_on_when: {text}")
    for key in ("where", "condition", "severity_when"):
        if key in raw:
            for path, text in _unknown_references(raw[key], (*base, key), declared, frozenset()):
                line, col = position(locs, path)
                problems.append(f"{name}:{line}:{col}: {raw['id']} {key}: {text}")
    rem_at = (*base, "remediation", "cases")
    for path, text in _unknown_references(raw["remediation"].get("cases"), rem_at, declared, _NO):
        line, col = position(locs, path)
        problems.append(f"{name}:{line}:{col}: {raw['id']} remediation.cases: {text}")
    # the iac: block's conditions (amlguard.iac.treatment), checked like the rule's own
    iac: dict[str, Any] = raw["iac"] if isinstance(raw.get("iac"), dict) else {}
    for key in ("where", "passes_when", "condition"):
        if key not in iac:
            continue
        at = (*base, "iac", key)
        try:
            compile_condition(iac[key])
        except (ConditionError, ExpressionError, PathError) as exc:
            problems.append(
                f"{name}:{':'.join(map(str, position(locs, at)))}: {raw['id']} iac.{key}: {exc}"
            )
        for path, text in _unknown_references(iac[key], at, declared, frozenset()):
            line, col = position(locs, path)
            problems.append(f"{name}:{line}:{col}: {raw['id']} iac.{key}: {text}")
    for pname, spec in (raw.get("parameters") or {}).items():
        wrong = default_problem(spec)
        if wrong:
            line, col = position(locs, (*base, "parameters", pname, "default"))
            problems.append(f"{name}:{line}:{col}: {raw['id']} parameters/{pname}: {wrong}")


def _remediator_problems(rules: list[Rule], locs: Locations, name: str) -> list[str]:
    """A rule naming a remediator that does not exist would never be repaired: refuse it.

    Asked only when a file is parsed (the warm cache holds files that passed this).
    """
    wanted = [r for r in rules if r.remediation.remediator]
    if not wanted:
        return []
    from amlguard.remediate.catalog import REMEDIATORS  # names only; only on a cold parse

    known = set(REMEDIATORS.names())
    problems = []
    for i, rule in enumerate(rules):
        remediator = rule.remediation.remediator
        if remediator and remediator not in known:
            line, col = position(locs, ("rules", i, "remediation", "remediator"))
            problems.append(
                f"{name}:{line}:{col}: {rule.id} remediation/remediator: unknown remediator "
                f"{quoted(remediator)} (known: {', '.join(sorted(known))})"
            )
    return problems


def load_rule_text(text: str, name: str) -> list[Rule]:
    """Validate and compile one rule file's text; raises PolicyError with every problem."""
    return _load_rule_text(text, name)[0]


def _load_rule_text(text: str, name: str) -> tuple[list[Rule], bytes | None]:
    """The rules of one file's text, and what the warm cache keeps of them (see parsecache)."""
    try:
        data, locs = load_yaml(text, name)
    except YamlProblems as exc:
        raise PolicyError(exc.problems) from None
    failed: set[tuple[Any, ...]] = set()
    problems = validate(data, RULE_SCHEMA, locs, name, failed, text=text)
    if problems and (not isinstance(data, dict) or not isinstance(data.get("rules"), list)):
        raise PolicyError(problems)
    # Frozen before compiling (rules keep references into data): the data and each rule's
    # position are all a compile of an unchanged file needs.
    blob = None
    if not problems:
        blob = parsecache.encode(
            (data, [position(locs, ("rules", i)) for i in range(len(data["rules"]))])
        )
    rules: list[Rule] = []
    for i, raw in enumerate(data["rules"]):
        if ("rules", i) in failed or ("rules",) in failed:
            continue  # already reported; compile the schema-valid rules to report all at once
        try:
            rules.append(_compile_rule(raw, name, i, locs))
        except PolicyError as exc:
            problems.extend(exc.problems)
    if not problems and len(rules) == len(data["rules"]):
        problems += _remediator_problems(rules, locs, name)
    if problems:
        raise PolicyError(problems)
    return rules, blob


def _rules_from_cache(cached: Any, name: str) -> list[Rule] | None:
    """Compile a cached file's rules; None when that fails (then it is parsed afresh).

    The entry was stored only after the file passed every check, and is found only while the
    checking code is the same (its files are in the entry's key): the checks are not asked
    again, only the conditions compiled.
    """
    try:
        data, positions = cached
        locs: Locations = {("rules", i): tuple(pos) for i, pos in enumerate(positions)}
        return [
            _compile_rule(raw, name, i, locs, checked=True) for i, raw in enumerate(data["rules"])
        ]
    except (PolicyError, LookupError, TypeError, ValueError):
        # Only a changed compiler (same version number, e.g. a development checkout) gets
        # here: the fresh parse reports any problem with its exact file:line:col.
        return None


class _RuleFile:
    """One rule file of a pack: its name in messages, its path, and what the cache holds."""

    __slots__ = ("cached", "name", "path", "sig", "text")

    def __init__(self, name: str, path: str) -> None:
        self.name = name
        self.path = os.path.abspath(path)
        self.sig = parsecache.signature(self.path)  # before reading: a later edit only misses
        self.cached = parsecache.get("rules", self.path, self.sigs())
        # Read a file the cache lacks now, so an unreadable one fails before any parsing.
        self.text = None if self.cached is not None else _read(self.path, name)

    def sigs(self) -> tuple[parsecache.Signature | None, ...]:
        """What the cache entry of this file is made from: the file and the checking code."""
        return (self.sig, *checker_signatures())

    def read(self) -> str:
        """The file's text (read on demand for a cached file)."""
        if self.text is None:
            self.text = _read(self.path, self.name)
        return self.text


def _read(path: str, name: str) -> str:
    try:
        return read_text(Path(path))
    except YamlProblems as exc:
        raise PolicyError(exc.problems) from None


#: the modules whose code decides what :func:`_check_rule` finds (and the compile it skips
#: on a warm entry): an edit to any of them, e.g. a stricter check in a development checkout
#: that keeps amlguard's version, misses every cached rule file, which is then parsed and
#: checked afresh
_CHECKERS = (
    "amlguard.scanner.rules",
    "amlguard.scanner.params",
    "amlguard.scanner.paths",
    "amlguard.scanner.expressions",
    "amlguard.scanner.conditions",
    "amlguard.scanner.remedycases",
    "amlguard.excerpt",
)
_checkers: list[tuple[parsecache.Signature | None, ...]] = []


def checker_signatures() -> tuple[parsecache.Signature | None, ...]:
    """The signatures of the checking modules' source files (once per process); None for one
    without a readable source file, which keeps every rule file out of the cache."""
    if not _checkers:
        _checkers.append(
            tuple(
                parsecache.signature(str(getattr(sys.modules.get(m), "__file__", "") or ""))
                for m in _CHECKERS
            )
        )
    return _checkers[0]


def _builtin_files() -> list[_RuleFile]:
    folder = parsecache.package_file("policies/rules")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".yaml"))
    return [_RuleFile(f"amlguard/policies/rules/{n}", os.path.join(folder, n)) for n in names]


def _user_files(directory: Path) -> list[_RuleFile]:
    if directory.exists() and not directory.is_dir():
        paths = [directory]  # a FIFO or device is refused by the reader, never read
    elif directory.is_dir():
        paths = sorted(p for p in directory.rglob("*") if p.suffix.lower() in (".yaml", ".yml"))
        if not paths:
            # Fail closed: a typo'd directory must not silently run without the user's rules.
            raise PolicyError([f"{directory}: no rule files (*.yaml, *.yml) in this directory"])
    else:
        raise PolicyError([f"{directory}: no such file or directory"])
    return [_RuleFile(str(p), str(p)) for p in paths]


def pack_settings() -> dict[str, Any]:
    """The pack's own metadata and instance parameters (``policies/pack.yaml``)."""
    path = parsecache.package_file("policies/pack.yaml")
    return dict(load_yaml_file(path, "amlguard/policies/pack.yaml") or {})


def _digest(files: list[_RuleFile]) -> str:
    """sha256 over every file's base name and text, in order (remembered per file set)."""
    key = "\n".join(f.path for f in files)
    sigs = tuple(f.sig for f in files)
    cached = parsecache.get("digest", key, sigs)
    if isinstance(cached, str):
        return cached
    import hashlib  # only when the set of files or one of them changed

    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.rsplit("/", 1)[-1].encode() + b"\0" + f.read().encode("utf-8") + b"\0")
    text = "sha256:" + digest.hexdigest()
    parsecache.put("digest", key, sigs, parsecache.encode(text))
    return text


def load_pack(extra: list[Path] | None = None, builtin: bool = True) -> RulePack:
    """The built-in rules plus the user's (``--policies``); ids must be unique across all."""
    files = _builtin_files() if builtin else []
    for directory in extra or []:
        files += _user_files(directory)
    problems: list[str] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for f in files:
        loaded = _rules_from_cache(f.cached, f.name) if f.cached is not None else None
        if loaded is None:
            try:
                loaded, blob = _load_rule_text(f.read(), f.name)
            except PolicyError as exc:
                problems.extend(exc.problems)
                continue
            parsecache.put("rules", f.path, f.sigs(), blob)
        for rule in loaded:
            if rule.id in seen:
                problems.append(
                    f"{rule.source}: rule id {rule.id} is already defined at {seen[rule.id]}"
                )
                continue
            seen[rule.id] = rule.source
            rules.append(rule)
    if problems:
        parsecache.save()  # the files that were fine stay remembered
        raise PolicyError(problems)
    digest = _digest(files)
    settings = pack_settings()
    parsecache.save()
    return RulePack(
        rules=sorted(rules, key=lambda r: r.id),
        version=str(settings.get("version", "0")),
        digest=digest,
        settings=settings,
        files=[f.name for f in files],
    )
