"""Plans: the actions a fix will take, their order, and the manual steps left for a human.

A plan is a value: deterministic for a given scan, serialisable to JSON (``--plan-out``) and back
(``amlguard apply``). Each action names its target, the API call, the before -> after of every
property it changes (which doubles as its precondition before and its check after), its flags
and the actions it depends on. The dependencies follow blueprint.md section 5.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.scanner import ids

PLAN_FORMAT = "amlguard-plan/v1"

CUTS_PUBLIC_ACCESS = "cuts public access"
IRREVERSIBLE = "irreversible"
COSTS_MONEY = "costs money"

# blueprint.md section 5: the order within an instance.
PHASES = {
    "create-role-assignment": 1,
    "update-workspace-settings": 2,
    "create-outbound-rule": 2,
    "create-private-endpoint": 3,
    "create-dns-zone-group": 3,
    "disable-public-network-access": 4,
    "provision-managed-network": 5,
}


@dataclass(frozen=True, slots=True)
class Change:
    """One property of one resource, ``before`` -> ``after``.

    ``path`` None means the resource itself: before/after are whether it exists. Before the
    write, the live value must still equal ``before`` (else the plan is stale); after it, the
    re-read value must equal ``after``.
    """

    resource_id: str
    path: str | None
    before: Any
    after: Any
    label: str = ""

    def describe(self) -> str:
        what = self.label or (self.path or "resource")
        return f"{what}: {_show(self.before, self.path)} -> {_show(self.after, self.path)}"


def _show(value: Any, path: str | None) -> str:
    if path is None:
        return "exists" if value else "absent"
    return "absent" if value is None else json.dumps(value) if not isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class ApiCall:
    """The request an action makes (``sdk`` is the client method that makes it)."""

    method: str
    path: str
    api_version: str
    sdk: str = ""

    def describe(self) -> str:
        via = f"  [{self.sdk}]" if self.sdk else ""
        return f"{self.method} {self.path}?api-version={self.api_version}{via}"


@dataclass(frozen=True, slots=True)
class Action:
    """One write amlguard will make."""

    id: str
    remediator: str
    operation: str
    instance: str
    target: str
    summary: str
    call: ApiCall
    body: dict[str, Any]
    changes: tuple[Change, ...]
    rule_ids: tuple[str, ...]
    flags: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def phase(self) -> int:
        return PHASES.get(self.operation, 9)

    @property
    def key(self) -> str:
        """What makes two drafts the same write (merged when two findings ask for it)."""
        return f"{self.operation}|{ids.norm(self.target)}|{self.params.get('key', '')}"

    def rereads(self) -> list[str]:
        """The resources to read back from ARM to verify this action."""
        out: list[str] = []
        for change in self.changes:
            if change.resource_id.lower() not in {o.lower() for o in out}:
                out.append(change.resource_id)
        return out


@dataclass(frozen=True, slots=True)
class ManualStep:
    """A finding amlguard will not fix itself, with the exact instruction for a human."""

    rule_id: str
    resource_id: str
    instance: str
    reason: str
    command: str


@dataclass(slots=True)
class Plan:
    """Actions (a DAG, in execution order) and manual steps."""

    actions: list[Action] = field(default_factory=list)
    manual: list[ManualStep] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    scan_time: str = ""
    pack_version: str = ""

    @property
    def empty(self) -> bool:
        return not self.actions

    def by_id(self) -> dict[str, Action]:
        return {a.id: a for a in self.actions}

    def to_dict(self) -> dict[str, Any]:
        """The ``--plan-out`` JSON document."""
        return {
            "format": PLAN_FORMAT,
            "scan_time": self.scan_time,
            "pack_version": self.pack_version,
            "actions": [_action_dict(a) for a in self.actions],
            "manual": [
                {
                    "rule_id": m.rule_id,
                    "resource_id": m.resource_id,
                    "instance": m.instance,
                    "reason": m.reason,
                    "command": m.command,
                }
                for m in self.manual
            ],
            "warnings": list(self.warnings),
        }

    def write(self, path: Path) -> None:
        """Write the plan as JSON."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{path}: cannot write the plan: {exc.strerror}") from None


def _action_dict(a: Action) -> dict[str, Any]:
    return {
        "id": a.id,
        "remediator": a.remediator,
        "operation": a.operation,
        "instance": a.instance,
        "target": a.target,
        "summary": a.summary,
        "call": {
            "method": a.call.method,
            "path": a.call.path,
            "api_version": a.call.api_version,
            "sdk": a.call.sdk,
        },
        "body": a.body,
        "changes": [
            {
                "resource_id": c.resource_id,
                "path": c.path,
                "before": c.before,
                "after": c.after,
                "label": c.label,
            }
            for c in a.changes
        ],
        "rule_ids": list(a.rule_ids),
        "flags": list(a.flags),
        "depends_on": list(a.depends_on),
        "params": a.params,
    }


def load_plan(path: Path) -> Plan:
    """Read a ``--plan-out`` file back; anything malformed is an ``InputError`` naming the file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the plan: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(raw, dict) or raw.get("format") != PLAN_FORMAT:
        raise InputError(f"{path}: not an amlguard plan (expected format {PLAN_FORMAT!r})")
    try:
        actions = [
            Action(
                id=str(a["id"]),
                remediator=str(a["remediator"]),
                operation=str(a["operation"]),
                instance=str(a["instance"]),
                target=str(a["target"]),
                summary=str(a.get("summary", "")),
                call=ApiCall(**a["call"]),
                body=dict(a.get("body") or {}),
                changes=tuple(Change(**c) for c in a["changes"]),
                rule_ids=tuple(a.get("rule_ids", ())),
                flags=tuple(a.get("flags", ())),
                depends_on=tuple(a.get("depends_on", ())),
                params=dict(a.get("params") or {}),
            )
            for a in raw.get("actions", [])
        ]
        manual = [ManualStep(**m) for m in raw.get("manual", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed plan: {exc}") from None
    known = {a.id for a in actions}
    for a in actions:
        missing = [d for d in a.depends_on if d not in known]
        if missing:
            raise InputError(f"{path}: action {a.id} depends on unknown action(s) {missing}")
    return Plan(
        actions,
        manual,
        list(raw.get("warnings", [])),
        str(raw.get("scan_time", "")),
        str(raw.get("pack_version", "")),
    )


# ---------------------------------------------------------------- assembling a plan


def _merge(drafts: Iterable[Action]) -> list[Action]:
    """One action per key: two findings asking for the same write share it (no redundant write)."""
    merged: dict[str, Action] = {}
    for d in drafts:
        prev = merged.get(d.key)
        if prev is None:
            merged[d.key] = d
            continue
        changes = list(prev.changes) + [
            c
            for c in d.changes
            if (c.resource_id.lower(), c.path)
            not in {(p.resource_id.lower(), p.path) for p in prev.changes}
        ]
        merged[d.key] = replace(
            prev,
            changes=tuple(changes),
            rule_ids=tuple(sorted(set(prev.rule_ids) | set(d.rule_ids))),
            flags=tuple(sorted(set(prev.flags) | set(d.flags))),
            body=_deep_union(prev.body, d.body),
            params={**d.params, **prev.params},
        )
    return list(merged.values())


def _deep_union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_union(out[k], v)
        else:
            out.setdefault(k, v)
    return out


def _order_key(a: Action) -> tuple[str, int, str, str]:
    return (
        ids.norm(a.instance),
        a.phase,
        a.operation,
        ids.norm(a.target) + "|" + str(a.params.get("key", "")),
    )


def _dependencies(a: Action, same_instance: list[Action]) -> list[Action]:
    """The actions ``a`` needs to have succeeded (blueprint.md section 5)."""
    target = ids.norm(a.target)
    if a.operation == "create-dns-zone-group":
        pe = ids.norm(a.params.get("private_endpoint_id"))
        return [
            o
            for o in same_instance
            if o.operation == "create-private-endpoint"
            and ids.norm(o.params.get("private_endpoint_id")) == pe
        ]
    if a.operation == "disable-public-network-access":
        return [
            o
            for o in same_instance
            if o.operation in ("create-private-endpoint", "create-dns-zone-group")
            and ids.norm(o.params.get("endpoint_target")) == target
        ]
    if a.operation in ("create-outbound-rule", "update-workspace-settings"):
        deps = [o for o in same_instance if o.operation == "create-role-assignment"]
        if a.operation == "create-outbound-rule":
            deps += [o for o in same_instance if o.operation == "update-workspace-settings"]
        return deps
    if a.operation == "provision-managed-network":
        return [o for o in same_instance if o is not a]
    return []


def _drop_blocked(
    actions: list[Action], manual: list[ManualStep], warnings: list[str]
) -> list[Action]:
    """Drop writes whose prerequisite is neither in place nor planned; say why.

    Public access is only cut once the resource has a private endpoint (else users are locked
    out); provisioning needs managed isolation.
    """
    kept: list[Action] = []
    for a in actions:
        same = [o for o in actions if ids.norm(o.instance) == ids.norm(a.instance)]
        reason = ""
        if (
            a.operation == "disable-public-network-access"
            and not a.params.get("has_endpoint")
            and not any(
                o.operation == "create-private-endpoint"
                and ids.norm(o.params.get("endpoint_target")) == ids.norm(a.target)
                for o in same
            )
        ):
            name = ids.parse(a.target).name
            reason = (
                f"not disabling public access on {name}: it has no approved private endpoint "
                "and none can be created now; disabling it first would lock users out"
            )
        if (
            a.operation == "provision-managed-network"
            and a.params.get("needs_isolation")
            and not any(
                o.operation == "update-workspace-settings" and "isolationMode" in json.dumps(o.body)
                for o in same
            )
        ):
            reason = "the managed network cannot be provisioned while isolation is Disabled"
        if not reason:
            kept.append(a)
            continue
        warnings.append(reason)
        manual.append(
            ManualStep(
                str(a.params.get("blocked_rule") or (a.rule_ids[0] if a.rule_ids else "")),
                a.target,
                a.instance,
                reason,
                str(a.params.get("blocked_command") or ""),
            )
        )
    return kept


def assemble(
    drafts: Iterable[Action],
    manual: Iterable[ManualStep],
    warnings: Iterable[str],
    scan_time: str = "",
    pack_version: str = "",
) -> Plan:
    """Merge drafts, order them, number them and wire their dependencies."""
    manual = list(manual)
    warnings = list(warnings)
    actions = _drop_blocked(sorted(_merge(drafts), key=_order_key), manual, warnings)
    numbered = [replace(a, id=f"A{i:03d}") for i, a in enumerate(actions, 1)]
    by_instance: dict[str, list[Action]] = {}
    for a in numbered:
        by_instance.setdefault(ids.norm(a.instance), []).append(a)
    linked = []
    for a in numbered:
        deps = _dependencies(a, by_instance[ids.norm(a.instance)])
        params, body = a.params, a.body
        if a.operation == "provision-managed-network" and any(
            o.operation == "create-outbound-rule" and o.params.get("spark_enabled") for o in deps
        ):
            params, body = {**params, "include_spark": True}, {"includeSpark": True}
        linked.append(
            replace(a, depends_on=tuple(sorted(d.id for d in deps)), params=params, body=body)
        )
    steps = sorted(
        {
            (m.instance.lower(), m.rule_id, m.resource_id.lower(), m.reason): m for m in manual
        }.values(),
        key=lambda m: (m.instance.lower(), m.rule_id, m.resource_id.lower(), m.reason),
    )
    return Plan(linked, steps, sorted(set(warnings)), scan_time, pack_version)
