"""Carrying out a plan: bounded concurrency along the DAG, outcomes, stale checks, read-back.

Independent actions run in parallel (``concurrency`` workers); within an instance an action
starts only once every action of an earlier phase has finished (blueprint.md section 5 order),
and it is skipped when one of its dependencies did not succeed; writes to one workspace's
managed network run one at a time (``Action.serial_key``). Every action ends ``done``,
``failed`` (ARM code and message), ``skipped`` or ``refused`` (stale precondition).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from amlguard.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, AmlguardError, Terminated
from amlguard.remediate import catalog
from amlguard.remediate.audit import AuditLog, Recorder
from amlguard.remediate.clients import ArmError, RemediationClients, as_arm_error
from amlguard.remediate.live import NotReady, value_at
from amlguard.remediate.plan import Action, Change, Plan
from amlguard.scanner import ids

DONE, FAILED, SKIPPED, REFUSED = "done", "failed", "skipped", "refused"


class FixInterrupted(AmlguardError):
    """Ctrl-C while applying: what was already applied, and what was still in flight."""

    exit_code = EXIT_INTERRUPTED

    def __init__(
        self,
        plan: Plan,
        outcomes: dict[str, Outcome],
        in_flight: list[Action],
        terminated: bool = False,
    ) -> None:
        by_id = plan.by_id()
        done = [by_id[i] for i, o in outcomes.items() if o.status == DONE and i in by_id]
        if terminated:  # SIGTERM (a CI job cancelled): 143, as everywhere else
            self.exit_code = EXIT_TERMINATED
        lines = [
            f"{'terminated' if terminated else 'interrupted'}: {len(done)} action(s) applied, "
            f"{len(in_flight)} in flight (left to finish), the rest not started; plan again "
            "to continue (check --fix)"
        ]
        lines += [f"  applied {a.id}: {a.summary}" for a in done]
        lines += [f"  in flight {a.id}: {a.summary}" for a in in_flight]
        super().__init__("\n".join(lines))
        self.applied = [a.id for a in done]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one action ended."""

    action_id: str
    status: str
    code: str = ""
    message: str = ""
    seconds: float = 0.0
    api_error: bool = False  # Azure unreachable or failing itself (exit 3), not a refusal


Progress = Callable[[str, Action, Outcome | None], None]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return ids.norm(a) == ids.norm(b)
    return bool(a == b)


def holds(change: Change, resource: dict[str, Any] | None, side: str) -> bool:
    """Whether ``resource`` (a live read; None = absent) shows the change's before/after value."""
    expected = change.before if side == "before" else change.after
    if change.path is None:
        return (resource is not None) == bool(expected)
    if resource is None:
        return False
    return _same(value_at(resource, change.path), expected)


def read_all(
    clients: RemediationClients, resource_ids: list[str], concurrency: int
) -> dict[str, dict[str, Any] | ArmError | None]:
    """ARM GETs, concurrently, one per distinct id (lower-cased keys)."""
    unique: dict[str, str] = {}
    for rid in resource_ids:
        unique.setdefault(ids.norm(rid), rid)
    out: dict[str, dict[str, Any] | ArmError | None] = {}

    def one(rid: str) -> dict[str, Any] | ArmError | None:
        try:
            return clients.get(rid)
        except Exception as exc:
            return as_arm_error(exc)

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(unique) or 1))) as pool:
        for key, value in zip(unique, pool.map(one, unique.values()), strict=False):
            out[key] = value
    return out


def stale_actions(plan: Plan, clients: RemediationClients, concurrency: int = 8) -> dict[str, str]:
    """Action id -> why it is stale: a live value no longer equals the plan's ``before``."""
    reads = read_all(clients, [c.resource_id for a in plan.actions for c in a.changes], concurrency)
    stale: dict[str, str] = {}
    for a in plan.actions:
        for c in a.changes:
            live = reads[ids.norm(c.resource_id)]
            if isinstance(live, ArmError):
                stale[a.id] = f"could not re-check {c.resource_id}: {live}"
                break
            if not holds(c, live, "before"):
                now = value_at(live, c.path) if c.path and live else (live is not None)
                stale[a.id] = (
                    f"stale: {c.describe()} was planned, but {c.label or c.path or 'the resource'} "
                    f"is now {now!r}"
                )
                break
    return stale


def run_plan(
    plan: Plan,
    clients: RemediationClients,
    *,
    concurrency: int = 8,
    audit: AuditLog | None = None,
    progress: Progress | None = None,
    refused: dict[str, str] | None = None,
) -> dict[str, Outcome]:
    """Execute every action; returns the outcome of each, by action id."""
    audit = audit or AuditLog(None)
    actions = plan.by_id()
    outcomes: dict[str, Outcome] = {
        aid: Outcome(aid, REFUSED, "StalePlan", why) for aid, why in (refused or {}).items()
    }
    # Unfinished actions per (instance, phase): an action waits for every earlier phase of its
    # instance (blueprint.md section 5 order) and for its own dependencies. O(1) per check.
    unfinished: dict[tuple[str, int], int] = {}
    for a in plan.actions:
        if a.id not in outcomes:
            key = (ids.norm(a.instance), a.phase)
            unfinished[key] = unfinished.get(key, 0) + 1
    phases = sorted({a.phase for a in plan.actions})
    pending = [a for a in plan.actions if a.id not in outcomes]
    running: dict[Future[Outcome], Action] = {}
    busy: set[str] = set()  # serial keys of the running actions

    def ready(a: Action) -> bool:
        if any(d not in outcomes for d in a.depends_on):
            return False
        if a.serial_key and a.serial_key in busy:
            return False
        inst = ids.norm(a.instance)
        return all(unfinished.get((inst, p), 0) == 0 for p in phases if p < a.phase)

    def finish(a: Action, outcome: Outcome) -> None:
        outcomes[a.id] = outcome
        busy.discard(a.serial_key)
        unfinished[(ids.norm(a.instance), a.phase)] -= 1
        if progress:
            progress("end", a, outcome)

    pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
    try:
        while pending or running:
            still: list[Action] = []
            for a in pending:
                if not ready(a):
                    still.append(a)
                    continue
                blocked = [d for d in a.depends_on if outcomes[d].status != DONE]
                if blocked:
                    finish(
                        a,
                        Outcome(
                            a.id, SKIPPED, "DependencyFailed", f"depends on {', '.join(blocked)}"
                        ),
                    )
                    continue
                if progress:
                    progress("start", a, None)
                if a.serial_key:
                    busy.add(a.serial_key)
                running[pool.submit(_run_one, a, clients, audit)] = a
            if len(still) < len(pending):
                pending = still
                continue  # a skip may have unblocked others: look again before waiting
            if not running:
                for a in pending:  # cannot happen (edges point to earlier ids), but never spin
                    finish(a, Outcome(a.id, SKIPPED, "Unschedulable", "unresolved dependencies"))
                pending = []
                continue
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                finish(running.pop(fut), fut.result())
    except KeyboardInterrupt as stop:
        pool.shutdown(wait=False, cancel_futures=True)
        in_flight = [a for f, a in running.items() if not f.cancelled()]
        raise FixInterrupted(plan, outcomes, in_flight, isinstance(stop, Terminated)) from None
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return {a.id: outcomes[a.id] for a in actions.values()}


def _run_one(action: Action, clients: RemediationClients, audit: AuditLog) -> Outcome:
    started = time.monotonic()
    remediator = catalog.get(action.remediator)
    if remediator is None:
        out = Outcome(
            action.id, FAILED, "UnknownRemediator", f"no remediator {action.remediator!r}"
        )
        audit.record(action, FAILED, out.code, out.message)
        return out
    sent = Recorder(clients)  # the audit log records the bodies actually sent
    try:
        note = remediator.apply(action, sent)
    except NotReady as exc:
        audit.record(action, SKIPPED, "PrerequisiteMissing", str(exc), sent=sent.sent)
        return Outcome(
            action.id, SKIPPED, "PrerequisiteMissing", str(exc), time.monotonic() - started
        )
    except Exception as exc:
        err = as_arm_error(exc)
        audit.record(action, FAILED, err.code, err.message, sent=sent.sent)
        return Outcome(
            action.id,
            FAILED,
            err.code,
            err.message,
            time.monotonic() - started,
            api_error=err.is_api_error,
        )
    audit.record(action, DONE, detail=note, sent=sent.sent)
    return Outcome(action.id, DONE, "", note, time.monotonic() - started)
