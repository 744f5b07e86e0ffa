"""Rule evaluation on more than one core: a forked worker judges part of the instances.

Instances are judged independently and findings come out ordered by instance, so the engine's
work splits into contiguous runs of instances: this process judges the first run, each forked
worker one of the later ones and sends its findings back through a pipe, and the runs are
joined in order, the same list a serial :meth:`Engine.run` returns. While the workers judge,
this process may write its own findings' report lines (``ahead``: the JSON report's, see
:mod:`amlguard.reports.json_lines`), work that would otherwise wait until every share is in.

Used only where it pays and is safe: POSIX ``fork`` and ``sched_getaffinity`` (Linux), two or
more CPUs this process may use, enough work (:data:`MIN_COST`), no other thread alive (a fork
copies locks other threads hold), and ``AMLGUARD_WORKERS`` not ``1``. It fails closed: a
worker that crashes, is killed, times out or sends anything but a whole, checksummed, counted
answer has its instances judged here instead, so the findings are the serial ones whatever
happens. Workers never write to stdout or stderr and end with ``os._exit``; every worker is
reaped (killed first if need be) before :func:`run` returns or raises, Ctrl-C included.
"""

from __future__ import annotations

import itertools
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from amlguard.forkchild import ENV_WORKERS as ENV_WORKERS  # re-exported
from amlguard.forkchild import STOPS, Child, flushed, hold, processes_allowed, release
from amlguard.scanner.engine import Engine
from amlguard.scanner.findingwire import decode, encode
from amlguard.scanner.instances import Instance
from amlguard.scanner.model import Finding

#: The least estimated cost (see :func:`cost`) of each process's share: a smaller one saves less
#: than a fork costs. One blueprint instance costs ~21 units and ~1.7 ms of evaluation; a worker
#: costs ~15 ms of CPU however small its share (fork, copy-on-write faults, transfer), so each
#: share is at least ~19 instances (~30 ms) and an estate under ~40 instances stays serial
#: (BENCHMARKS.md, "Session 7 — par7").
MIN_COST = 400

#: How much more a worker's share costs than the same share judged here: encoding its findings
#: (~1.3 us a finding, ~25 a blueprint instance) and the copy-on-write faults of a forked heap.
WORKER_OVERHEAD = 0.03

#: How much more this process's own share costs when it writes its findings' report lines
#: ahead (``run(..., ahead=...)``): JSON lines take ~3.5 us a finding against ~65 us to judge it.
AHEAD_OVERHEAD = 0.05

#: At most this many instances are judged before the fork to build what rules index lazily
#: (``Inventory.memo``), once, for every process (see :func:`_warm`).
WARM_MAX = 8

#: A worker that has not answered this long after this process judged its own share (scaled
#: by the shares' costs), and at least :data:`MIN_TIMEOUT` s, is killed and its share judged
#: here: never a hang on a stopped or stuck worker.
TIMEOUT_FACTOR = 20.0
MIN_TIMEOUT = 30.0


@dataclass(slots=True)
class RunStats:
    """What the last :func:`run` did (for benchmarks and tests): processes, and why not more."""

    processes: int = 1
    reason: str = ""
    fallbacks: int = 0
    #: wall seconds: judging this process's share; then waiting for and decoding the workers'
    own_s: float = 0.0
    join_s: float = 0.0
    #: CPU seconds of this process judging its own share (the workers' CPU: RUSAGE_CHILDREN)
    own_cpu_s: float = 0.0
    #: this process's CPU clock (``time.process_time``) at the fork, at the end of its own
    #: share, and once every worker's findings were joined: the critical path's landmarks
    fork_cpu: float = 0.0
    own_end_cpu: float = 0.0
    waiting_cpu: float = 0.0  # ... and once it waits for the workers (lines written ahead)
    joined_cpu: float = 0.0
    #: the workers' process ids (every one reaped when run() returns)
    pids: list[int] = field(default_factory=list)
    #: each process's share: estimated cost (see cost()), this process's first
    share_costs: list[int] = field(default_factory=list)
    #: what ``ahead`` wrote of the first findings while the workers judged: how many, and the
    #: texts (this process's share's, then each worker's, in order: the caller joins them)
    ahead_count: int = 0
    ahead_texts: list[str] = field(default_factory=list)


#: the figures of the most recent :func:`run` in this process
last = RunStats()


def cost(instance: Instance) -> int:
    """An instance's estimated evaluation cost: its members (each judged by several rules, with
    its private endpoints and DNS) and its projects, plus the workspace's own rules. Cheap on
    purpose (~1 us): it is worked out for every instance before the fork.

    A hub's project costs ~0.2 of a member (the N = 1,000 ``--dns hub`` estate, each instance
    judged alone: a hub with 10 projects 3.0 ms, a plain instance of the same members 2.8 ms);
    counted as 3 units each, hubs put ~10 % more work in the first share than its cost said
    (BENCHMARKS.md, "Session 10 — crit10")."""
    members = 1 + len(instance.associated) + len(instance.integrated)
    return 3 + 3 * members + len(instance.projects) // 5


def run(
    engine: Engine,
    instances: Iterable[Instance],
    *,
    min_cost: int | None = None,
    timeout: float | None = None,
    ahead: Callable[[Sequence[Finding]], str] | None = None,
) -> list[Finding]:
    """``engine.run(instances)``, judged in more than one process when that pays and is safe.

    ``min_cost`` (default :data:`MIN_COST`) is the least cost of a process's share; ``timeout``
    how long to wait for a worker once this process's share is judged (default: scaled).
    ``ahead`` (findings -> text, pure) is called on this process's findings once they are
    judged, while the workers still judge (only when there are workers), then on each worker's
    findings as they come in, while that worker's exit tears its heap down: the texts, in
    order, and how many findings they cover (always the first ones) are ``last.ahead_texts``
    and ``last.ahead_count``. Its failure is ignored (the caller writes those findings itself,
    and meets the failure there).
    """
    global last
    min_cost = MIN_COST if min_cost is None else max(1, min_cost)
    todo = list(instances)
    allowed, reason = processes_allowed()
    last = RunStats(1, reason)
    if allowed < 2 or not todo:
        return engine.run(todo)
    findings: list[Finding] = []
    start = _warm(engine, todo, findings)
    rest = todo[start:]
    costs = [cost(i) for i in rest]
    total = sum(costs)
    count = min(allowed, len(rest), max(1, total // min_cost))
    if count < 2:
        last.reason = f"too little work (cost {total} < {2 * min_cost})"
        findings.extend(engine.run(rest))
        return findings
    if not flushed():
        last.reason = "stdout/stderr could not be flushed before the fork"
        findings.extend(engine.run(rest))
        return findings
    overhead = (1 + WORKER_OVERHEAD) / (1 + AHEAD_OVERHEAD) - 1 if ahead else WORKER_OVERHEAD
    bounds = [0, *_split(costs, count, overhead), len(rest)]
    shares = list(itertools.pairwise(bounds))  # (start, end) of each process's share
    last.share_costs = [sum(costs[lo:hi]) for lo, hi in shares]
    mine = rest[: bounds[1]]
    own = max(1, sum(costs[: bounds[1]]))
    workers: list[_Worker] = []
    try:
        last.fork_cpu = time.process_time()
        # No Ctrl-C between a fork and the worker's registration: every worker gets reaped.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
        try:
            for lo, hi in shares[1:]:
                workers.append(_Worker.start(engine, rest[lo:hi], blocked))
                workers[-1].cost = sum(costs[lo:hi])
                if workers[-1].pid > 0:
                    last.pids.append(workers[-1].pid)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        last.processes = 1 + len(last.pids)  # the workers that were forked
        if last.pids:
            hold()  # a verifier beside the scan waits while every core judges (forkchild)
        began, cpu = time.monotonic(), time.process_time()
        findings.extend(engine.run(mine))
        spent = last.own_s = time.monotonic() - began
        last.own_end_cpu = time.process_time()
        last.own_cpu_s = last.own_end_cpu - cpu
        if ahead is not None:
            _write_ahead(ahead, findings)
        release()  # this process waits from here: the core is the verifier's meanwhile
        last.waiting_cpu = time.process_time()
        for worker in workers:
            wait = timeout
            if wait is None:
                wait = max(MIN_TIMEOUT, TIMEOUT_FACTOR * spent * worker.cost / own)
            got = worker.result(time.monotonic() + wait, ahead, findings)
            if got is None:
                last.fallbacks += 1
                got = engine.run(worker.instances)
            findings.extend(got)
        last.join_s = time.monotonic() - began - spent
        last.joined_cpu = time.process_time()
    finally:
        release()
        for worker in workers:
            worker.close()
    return findings


def _warm(engine: Engine, todo: Sequence[Instance], findings: list[Finding]) -> int:
    """Judge the first instances here until one builds no new whole-inventory index.

    The indexes rules build lazily (``Inventory.memo``: DNS resolution, endpoint joins, role
    definitions...; ``Inventory.in_scope``'s per-type indexes) cost ~55 ms at 1,000 instances; built before the fork, the workers share
    them copy-on-write instead of each building its own. Returns how many were judged.
    """
    inventory = engine.inventory

    def built() -> int:  # the memo entries and the per-type scope indexes built so far
        return len(inventory.memo) + len(getattr(inventory, "_scoped", ()))

    done = 0
    while done < min(WARM_MAX, len(todo)):
        before = built()
        findings.extend(engine.run(todo[done : done + 1]))
        done += 1
        if built() == before:
            break
    return done


def _write_ahead(ahead: Callable[[Sequence[Finding]], str], findings: list[Finding]) -> None:
    """``last.ahead_*``: what ``ahead`` writes of ``findings`` (nothing when it fails)."""
    try:
        text = ahead(findings)
    except Exception:  # the report writes these findings itself, and meets this there
        return
    if type(text) is str:
        last.ahead_count, last.ahead_texts = len(findings), [text]


def _write_more(
    ahead: Callable[[Sequence[Finding]], str], before: Sequence[Finding], got: list[Finding]
) -> None:
    """``last.ahead_*`` extended by a worker's findings ``got``, which follow ``before`` (all
    the findings so far), where the text written ahead covers every one of ``before``."""
    if not got or not last.ahead_texts or last.ahead_count != len(before):
        return
    try:
        text = ahead(got)
    except Exception:  # the report writes these findings itself, and meets this there
        return
    if type(text) is str:
        last.ahead_texts.append(text)
        last.ahead_count += len(got)


def _split(costs: Sequence[int], count: int, overhead: float = WORKER_OVERHEAD) -> list[int]:
    """Where each worker's share starts: ``count`` contiguous shares of about equal cost, none
    empty, this process's share (the first) larger by ``overhead`` (a fraction of a worker's
    share: what a worker's transfer costs, less what this process does besides judging)."""
    total = sum(costs)
    worker_share = total / (count + (count - 1) * overhead)
    cuts: list[int] = []
    acc = 0
    i = 0
    for k in range(1, count):
        target = total - worker_share * (count - k)
        while i < len(costs) and acc + costs[i] / 2 < target:
            acc += costs[i]
            i += 1
        if 0 < i < len(costs) and (not cuts or i > cuts[-1]):
            cuts.append(i)
    return cuts


class _Worker:
    """One forked process judging a contiguous share of the instances."""

    def __init__(self, child: Child, instances: list[Instance]) -> None:
        self.child = child
        self.pid = child.pid
        self.instances = instances
        self.cost = 0  # the share's estimated cost (see cost())

    @property
    def reaped(self) -> bool:
        """Whether the worker was reaped (or never forked)."""
        return self.child.reaped

    @classmethod
    def start(cls, engine: Engine, instances: list[Instance], mask: Iterable[int]) -> _Worker:
        """Fork a worker that judges ``instances`` and writes its answer to a pipe (``mask``:
        the signal mask the worker restores once its signal handlers are reset)."""
        # encode and Engine.run are looked up when the worker runs (tests replace them)
        return cls(Child.start(lambda: encode(engine.run(instances)), mask), instances)

    def result(
        self,
        deadline: float,
        ahead: Callable[[Sequence[Finding]], str] | None = None,
        before: Sequence[Finding] = (),
    ) -> list[Finding] | None:
        """The worker's findings, or None when it failed, lied or ran out of time.

        They are decoded, checked and (``ahead``) their lines written while the worker's exit
        tears its heap down; they count only once it exited 0. ``before``: the findings that
        precede them (``last.ahead_*`` is extended, and cut back if the worker failed)."""
        data = self.child.answer(deadline)
        if data is None:
            return None
        found = decode(data)
        if found is None or not _in_order(found, self.instances):
            self.child.close()
            return None
        kept = last.ahead_count, len(last.ahead_texts)
        if ahead is not None:
            _write_more(ahead, before, found)
        if not self.child.exited_ok():
            last.ahead_count = kept[0]
            del last.ahead_texts[kept[1] :]
            return None
        return found

    def close(self) -> None:
        """Kill the worker unless it has ended, and reap it; close the pipe."""
        self.child.close()


def _in_order(findings: Sequence[Finding], instances: Sequence[Instance]) -> bool:
    """Whether every finding is of one of ``instances``, in their order (as the engine's are)."""
    position = {i.id: n for n, i in enumerate(instances)}
    at = 0
    for f in findings:
        n = position.get(f.instance)
        if n is None or n < at:
            return False
        at = n
    return True


def describe(stats: Any = None) -> str:
    """One line on the last run: how many processes judged, and why not more."""
    s = stats or last
    why = f" ({s.reason})" if s.reason else ""
    fell = f", {s.fallbacks} worker share(s) judged again here" if s.fallbacks else ""
    return f"{s.processes} process(es){why}{fell}"
