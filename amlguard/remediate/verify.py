"""Before ``apply`` writes anything: re-derive every action of a saved plan from Azure.

A plan file is data amlguard wrote, then a human (or anyone) could edit. ``apply`` never sends
what the file says: each action is rebuilt by its remediator from its declared operation, target
and after-values against a fresh ARM read (the principal from the live workspace, the role from
the accepted set, the group ids and zones from the private link table). When the file's request
(method, path, api-version, body), changes, flags or dependencies differ from the rebuilt ones,
the plan was tampered with: ``InputError`` (exit 2) naming every such action, nothing written.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from amlguard.errors import InputError, RemediationError
from amlguard.remediate import catalog, safety
from amlguard.remediate.clients import ArmError
from amlguard.remediate.live import LiveView, Tampered
from amlguard.remediate.plan import Action, Plan, action_dict
from amlguard.remediate.planner import dependencies, with_spark
from amlguard.scanner import ids
from amlguard.scanner.instances import is_project

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def neutral(text: str, limit: int = 300) -> str:
    """One line of plain text: control characters as ``\\xNN``, at most ``limit`` characters."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def request(a: Action) -> dict[str, Any]:
    """What decides the write: the fields compared between the file and the rebuilt action."""
    d = action_dict(a)
    return {
        "remediator": d["remediator"],
        "operation": d["operation"],
        "instance": ids.norm(d["instance"]),
        "target": ids.norm(d["target"]),
        "call": {**d["call"], "path": ids.norm(d["call"]["path"])},
        "body": d["body"],
        "changes": [
            {"resource_id": ids.norm(c["resource_id"]), "path": c["path"], "after": c["after"]}
            for c in d["changes"]
        ],
        "flags": sorted(d["flags"]),
    }


def differences(saved: dict[str, Any], built: dict[str, Any]) -> list[str]:
    """The fields of two :func:`request` values that differ."""
    return [k for k in saved if saved[k] != built[k]]


def rebuild_plan(plan: Plan, live: LiveView) -> Plan:
    """The plan with every action rebuilt from ARM; ``InputError`` when any was tampered with.

    ARM answering with an error while re-reading is ``RemediationError`` (exit 3).
    """
    refuse_project_writes(plan.actions, live)
    problems: list[str] = []
    pairs: list[tuple[Action, Action]] = []
    for a in plan.actions:
        remediator = catalog.get(a.remediator)
        if remediator is None:
            problems.append(f"{a.id}: no remediator {a.remediator!r}")
            continue
        try:
            pairs.append((a, replace(remediator.rebuild(a, live), id=a.id)))
        except Tampered as exc:
            problems.append(f"{a.id}: {exc}")
        except ArmError as exc:
            raise RemediationError(
                f"cannot re-read what action {neutral(a.id)} writes: {neutral(str(exc))}"
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(f"{a.id}: malformed action ({type(exc).__name__}: {exc})")
    by_instance: dict[str, list[Action]] = {}
    for _, built in pairs:
        by_instance.setdefault(ids.norm(built.instance), []).append(built)
    rebuilt: list[Action] = []
    for a, built in pairs:
        # As when planning: provisioning includes Spark when a rule it waits for enables it.
        built = with_spark(built, dependencies(built, by_instance[ids.norm(built.instance)]))
        diff = differences(request(a), request(built))
        if diff:
            problems.append(
                f"{a.id}: its {', '.join(diff)} differ from what amlguard plans for "
                f"{a.operation} on {ids.parse(a.target).name}"
            )
            continue
        before = {(ids.norm(c.resource_id), c.path): c.before for c in a.changes}
        changes = tuple(
            replace(c, before=before.get((ids.norm(c.resource_id), c.path), c.before))
            for c in built.changes
        )
        rebuilt.append(replace(built, depends_on=a.depends_on, changes=changes))
    refuse_project_writes(rebuilt, live)
    if not problems:
        problems += _check_dependencies(rebuilt)
    if problems:
        raise InputError(
            "the plan does not match what amlguard would plan against Azure now, so nothing "
            "was written (plan again with check --fix --plan-out):\n  "
            + "\n  ".join(neutral(p) for p in problems)
        )
    return replace(plan, actions=rebuilt)


def refuse_project_writes(actions: list[Action], live: LiveView) -> None:
    """``InputError`` naming every action that writes (or acts for) a project workspace, judged
    from the workspace's kind as ARM shows it now, whatever the plan claims: the same safety
    layer as the planner's (``safety``), so a saved plan never writes what a fresh plan never
    holds."""

    def live_project(workspace_id: str) -> bool:
        try:
            row = live.get(workspace_id)
        except ArmError as exc:
            raise RemediationError(
                f"cannot read workspace {neutral(workspace_id)} to check its kind: "
                f"{neutral(str(exc))}"
            ) from None
        return row is not None and is_project(row)

    refused = []
    for a in actions:
        project = safety.project_touched(a, live_project)
        if project is not None:
            workspace = safety.workspace_of(project)
            name = (live.get(workspace) or {}).get("name") or ids.short_name(workspace)
            refused.append(f"{a.id}: {a.operation} on project workspace {name} ({project})")
    if refused:
        raise InputError(
            "the plan writes to a project workspace, which amlguard never does (projects are "
            "fixed through their hub), so nothing was written:\n  "
            + "\n  ".join(neutral(p) for p in refused)
        )


def _check_dependencies(actions: list[Action]) -> list[str]:
    """Each action waits for what the planner would make it wait for (no edge removed)."""
    by_instance: dict[str, list[Action]] = {}
    for a in actions:
        by_instance.setdefault(ids.norm(a.instance), []).append(a)
    problems = []
    for a in actions:
        wanted = {d.id for d in dependencies(a, by_instance[ids.norm(a.instance)])}
        missing = sorted(wanted - set(a.depends_on))
        if missing:
            problems.append(f"{a.id}: must wait for {', '.join(missing)}")
    return problems


def describe(plan: Plan) -> str:
    """The digest line ``apply`` prints before asking: the file's digest (what a reviewer pins
    with ``--expect-digest``) and how the actions were checked."""
    return (
        f"plan digest {plan.file_digest or plan.digest()}; {len(plan.actions)} action(s) "
        "re-derived from Azure and held by a plan made now"
    )
