"""A check judged in two processes says byte for byte what the serial check says."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlguard import forkchild
from amlguard.scanner import parallel
from amlguard.scanner.model import Finding
from tests.conftest import EXAMPLES
from tests.scanner.parallel_helpers import (
    force_parallel,
    generated,
    gone,
    instances_in,
    report,
    serial_report,
)

ESTATES = sorted(EXAMPLES.glob("*.json"))


@pytest.mark.parametrize("warm", [0, parallel.WARM_MAX], ids=["cold", "warmed"])
@pytest.mark.parametrize("path", ESTATES, ids=[p.stem for p in ESTATES])
def test_example_estates_same_report(
    path: Path, warm: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial_text, serial_findings = serial_report(path, monkeypatch)
    force_parallel(monkeypatch, warm)
    text, findings = report(path)
    assert text == serial_text
    assert findings == serial_findings  # offenders too, which the report leaves out
    if instances_in(text) > max(warm, 1):
        assert parallel.last.processes == 2, parallel.describe()
        assert parallel.last.fallbacks == 0
        assert all(gone(pid) for pid in parallel.last.pids)


GENERATED = [
    pytest.param(9, 1, {}, id="n9-seed1"),
    pytest.param(12, 2, {"drift": 0.9}, id="n12-seed2-drifted"),
    pytest.param(12, 3, {"dns": "hub", "share": ("registry", "openai")}, id="n12-seed3-hub"),
    pytest.param(10, 4, {"dns": "resolver", "projects": 2}, id="n10-seed4-resolver"),
    pytest.param(10, 5, {"subscriptions": 2, "share": ("keyvault", "storage")}, id="n10-shared"),
]


@pytest.mark.parametrize(("n", "seed", "options"), GENERATED)
def test_generated_estates_same_report(
    n: int, seed: int, options: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = generated(tmp_path, n, seed, **options)
    serial_text, serial_findings = serial_report(path, monkeypatch)
    force_parallel(monkeypatch, warm=1)
    text, findings = report(path)
    assert parallel.last.processes == 2, parallel.describe()
    assert parallel.last.fallbacks == 0
    assert text == serial_text
    assert findings == serial_findings
    assert len(findings) > 10 * n


def test_three_processes_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More than one worker: the shares still join in the serial order."""
    path = generated(tmp_path, 9, 6)
    serial_text, _ = serial_report(path, monkeypatch)
    force_parallel(monkeypatch, warm=0)
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1, 2})
    text, _ = report(path)
    assert parallel.last.processes == 3, parallel.describe()
    assert text == serial_text
    assert all(gone(pid) for pid in parallel.last.pids)


def test_small_estate_stays_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Below MIN_COST a fork would cost more than it saves: no worker."""
    path = generated(tmp_path, 6, 7)
    monkeypatch.delenv(parallel.ENV_WORKERS, raising=False)
    monkeypatch.setattr(forkchild, "other_threads", lambda: False)
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1})
    report(path)
    assert parallel.last.processes == 1
    assert "too little work" in parallel.last.reason


def test_split_is_contiguous_and_balanced() -> None:
    costs = [19] * 100 + [60] * 10  # a few costly hubs at the end
    cuts = parallel._split(costs, 2)
    assert len(cuts) == 1
    mine, theirs = sum(costs[: cuts[0]]), sum(costs[cuts[0] :])
    assert abs(mine - theirs) <= 60 + 0.05 * sum(costs)
    assert parallel._split([5, 5, 5], 3) == [1, 2]
    assert parallel._split([1, 100], 3) == [1]  # never an empty share


def test_warm_up_builds_the_lazy_indexes_before_the_fork(tmp_path: Path) -> None:
    """Instances are judged before the fork while each builds new whole-inventory indexes (the
    worker inherits them instead of building them again); their findings are the serial ones."""
    from amlguard.scanner.engine import Engine, EngineOptions
    from amlguard.scanner.instances import build_instances
    from amlguard.scanner.inventory import Inventory
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of, select_rules
    from amlguard.scanner.sources.snapshot import SnapshotSource

    path = generated(tmp_path, 6, 8, drift=0.5)
    pack = load_pack()
    rules = select_rules(pack)
    inventory = Inventory(SnapshotSource([path]).collect(needs_of(rules)).rows)
    instances = build_instances(inventory, instance_settings(pack, ScanOptions()))
    engine = Engine(inventory, rules, EngineOptions())
    out: list[Finding] = []
    judged = parallel._warm(engine, instances, out)
    assert 1 < judged <= parallel.WARM_MAX
    assert out == Engine(inventory, rules, EngineOptions()).run(instances[:judged])
    assert inventory.memo
    assert parallel._warm(engine, [], out) == 0
