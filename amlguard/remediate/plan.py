"""Plans: the actions a fix will take, their order, and the manual steps left for a human.

A plan is a value: deterministic for a given scan, serialisable to JSON (``--plan-out``) and back
(``amlguard apply``). Each action names its target, the API call, the before -> after of every
property it changes (which doubles as its precondition before and its check after), its flags
and the actions it depends on. The dependencies follow blueprint.md section 5.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlguard import inputfile, jsonstrict
from amlguard.errors import InputError
from amlguard.scanner import ids

PLAN_FORMAT = "amlguard-plan/v1"

CUTS_PUBLIC_ACCESS = "cuts public access"
IRREVERSIBLE = "irreversible"
COSTS_MONEY = "costs money"

# Writes to a workspace's managed network: serialised per workspace.
SERIAL_OPERATIONS = frozenset(
    {
        "update-workspace-settings",
        "update-serverless-compute",
        "create-outbound-rule",
        "provision-managed-network",
    }
)

# blueprint.md section 5: the order within an instance.
PHASES = {
    "create-role-assignment": 1,
    "update-workspace-settings": 2,
    "update-serverless-compute": 2,
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
    def serial_key(self) -> str:
        """Writes sharing this key run one at a time ("" = no constraint): Azure can lose one of
        two outbound rules written to one managed network in parallel (azure-facts.md 8)."""
        return ids.norm(self.instance) if self.operation in SERIAL_OPERATIONS else ""

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
    #: what the plan was made from beside the estate: ``rules`` (the rule ids judged), ``named``
    #: (those ``--rule`` named) and ``only`` (``--only``); ``apply`` plans again with the same
    #: selection (empty: unknown)
    selection: dict[str, list[str]] = field(default_factory=dict)
    #: the ``digest`` of the file :func:`load_plan` read this plan from ("" when not read)
    file_digest: str = ""

    @property
    def empty(self) -> bool:
        return not self.actions

    def by_id(self) -> dict[str, Action]:
        return {a.id: a for a in self.actions}

    def digest(self) -> str:
        """sha256 over the canonical JSON of the plan document (what the plan file records)."""
        return str(self.to_dict()["digest"])

    def to_dict(self) -> dict[str, Any]:
        """The ``--plan-out`` JSON document."""
        doc = self._document()
        head = {k: doc[k] for k in ("format", "scan_time", "pack_version")}
        return {**head, "digest": document_digest(doc), **doc}

    def _document(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "scan_time": self.scan_time,
            "pack_version": self.pack_version,
            "actions": [action_dict(a) for a in self.actions],
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
            **({"selection": _selection_dict(self.selection)} if self.selection else {}),
        }

    def write(self, path: Path) -> None:
        """Write the plan as JSON."""
        from amlguard.outputfile import write_output

        write_output(path, json.dumps(self.to_dict(), indent=2) + "\n", "the plan")


def _selection_dict(selection: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: sorted(selection.get(k, [])) for k in SELECTION_KEYS}


def selection_of(
    rules: list[str], only: list[str], named: list[str] | tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """A plan's ``selection``: the rule ids the scan judged, the ``--only`` ids and the ids
    ``--rule`` named (a named rule is judged even where its ``default_on_when`` is false)."""
    return {
        "rules": sorted({r.upper() for r in rules}),
        "only": sorted({o.upper() for o in only}),
        "named": sorted({n.upper() for n in named}),
    }


SELECTION_KEYS = ("rules", "only", "named")


def plan_reads(plan: Plan) -> list[str]:
    """Every resource id the plan's writes touch: workspaces, targets, and changed resources
    (scopes such as a resource group are not resources and are skipped)."""
    out: dict[str, str] = {}
    for a in plan.actions:
        for rid in (a.instance, a.target, *a.rereads()):
            if ids.parse(rid).type and "/providers/" in rid.lower():
                out.setdefault(ids.norm(rid), rid)
    return list(out.values())


def document_digest(doc: dict[str, Any]) -> str:
    """``sha256:<hex>`` of a plan document without its ``digest`` member, as canonical JSON
    (sorted keys, no spaces): the actions, the manual steps and warnings, the scan time, the
    pack version and the selection.

    Unkeyed on purpose: a plan reviewed on one machine is applied on another, so the digest
    binds a run to the reviewed file only when the reviewer's digest is given to
    ``apply --expect-digest``; anyone who edits the file can recompute it, which is why
    ``apply`` also plans again from Azure and holds only what that fresh plan holds."""
    body = {k: v for k, v in doc.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def action_dict(a: Action) -> dict[str, Any]:
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
    # The bounded reader: a FIFO, a device (/dev/zero) or a directory is refused, never read.
    text = inputfile.read_text(path, "plan file")
    try:
        raw = jsonstrict.loads(text)
    except (json.JSONDecodeError, jsonstrict.StrictJSONError) as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(raw, dict) or raw.get("format") != PLAN_FORMAT:
        raise InputError(f"{path}: not an amlguard plan (expected format {PLAN_FORMAT!r})")
    if not isinstance(raw.get("actions", []), list):
        raise InputError(f"{path}: malformed plan: actions is not a list")
    if raw.get("digest") != document_digest(raw):
        raise InputError(
            f"{path}: the plan's digest does not match its contents: the file was changed after "
            "amlguard wrote it; plan again with check --fix --plan-out"
        )
    try:
        actions = [_action(a, i) for i, a in enumerate(raw.get("actions", []))]
        manual = [
            ManualStep(**{k: _text(m, k, f"manual[{i}]") for k in _MANUAL_FIELDS})
            for i, m in enumerate(_list(raw, "manual", "plan"))
        ]
        warnings = [str(w) for w in _list(raw, "warnings", "plan")]
        selection = _selection(raw)
    except _Malformed as exc:
        raise InputError(f"{path}: malformed plan: {exc}") from None
    known = {a.id for a in actions}
    if len(known) != len(actions):
        raise InputError(f"{path}: malformed plan: two actions share an id")
    for a in actions:
        missing = [d for d in a.depends_on if d not in known]
        if missing:
            raise InputError(f"{path}: action {a.id} depends on unknown action(s) {missing}")
    return Plan(
        actions,
        manual,
        warnings,
        str(raw.get("scan_time", "")),
        str(raw.get("pack_version", "")),
        selection,
        str(raw["digest"]),
    )


def _selection(raw: dict[str, Any]) -> dict[str, list[str]]:
    """The document's ``selection`` (absent: ``{}``); only the known keys, lists of strings."""
    if "selection" not in raw:
        return {}
    node = _obj(raw["selection"], "selection")
    unknown = sorted(str(k) for k in node if k not in SELECTION_KEYS)
    if unknown:
        raise _Malformed(f"selection has unknown member(s) {unknown}")
    return {k: [t.upper() for t in _texts(node, k, "selection")] for k in SELECTION_KEYS}


_MANUAL_FIELDS = ("rule_id", "resource_id", "instance", "reason", "command")


class _Malformed(Exception):
    """A plan document value of the wrong shape (where, and what was expected)."""


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(f"{where} is not an object")
    return value


def _text(node: Any, key: str, where: str, optional: bool = False) -> str:
    value = _obj(node, where).get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise _Malformed(f"{where}.{key} is not a string")
    return value


def _list(node: Any, key: str, where: str) -> list[Any]:
    value = _obj(node, where).get(key, [])
    if not isinstance(value, list):
        raise _Malformed(f"{where}.{key} is not a list")
    return value


def _texts(node: Any, key: str, where: str) -> tuple[str, ...]:
    items = _list(node, key, where)
    if not all(isinstance(x, str) for x in items):
        raise _Malformed(f"{where}.{key} holds a value that is not a string")
    return tuple(items)


def _action(raw: Any, index: int) -> Action:
    """One action of a plan document, every field checked for its type."""
    where = f"actions[{index}]"
    a = _obj(raw, where)
    call = _obj(a.get("call"), f"{where}.call")
    changes = []
    for j, c in enumerate(_list(a, "changes", where)):
        cw = f"{where}.changes[{j}]"
        c = _obj(c, cw)
        if c.get("path") is not None and not isinstance(c.get("path"), str):
            raise _Malformed(f"{cw}.path is not a string")
        changes.append(
            Change(
                _text(c, "resource_id", cw),
                c.get("path"),
                c.get("before"),
                c.get("after"),
                _text(c, "label", cw, optional=True),
            )
        )
    return Action(
        id=_text(a, "id", where),
        remediator=_text(a, "remediator", where),
        operation=_text(a, "operation", where),
        instance=_text(a, "instance", where),
        target=_text(a, "target", where),
        summary=_text(a, "summary", where, optional=True),
        call=ApiCall(
            _text(call, "method", f"{where}.call"),
            _text(call, "path", f"{where}.call"),
            _text(call, "api_version", f"{where}.call"),
            _text(call, "sdk", f"{where}.call", optional=True),
        ),
        body=_obj(a.get("body", {}), f"{where}.body"),
        changes=tuple(changes),
        rule_ids=_texts(a, "rule_ids", where),
        flags=_texts(a, "flags", where),
        depends_on=_texts(a, "depends_on", where),
        params=_obj(a.get("params", {}), f"{where}.params"),
    )
