"""The provisioning state of every DNS hop, read live (real SDK clients against the emulator)
as from a snapshot (redteam10a #2, #3): the landing zone with one hop Failed or Updating fails
or errs exactly the zones relying on it; a Failed zone group fails the registration rules."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from amlguard.scanner.model import Status
from amlguard.scanner.scan import run_scan
from tests.builders_fix10net import LZ_HOPS, landing_zone, named, set_state
from tests.emulator import arg
from tests.emulator.live import pack, source
from tests.emulator.server import Emulator
from tests.remediate.test_fix_dns_hops import ZONE_GROUP, _compliant

Row = dict[str, Any]


def _live(rows: list[Row], rule_ids: tuple[str, ...]) -> list[Any]:
    rules = [r for r in pack().rules if r.id in rule_ids]
    with Emulator(rows) as emu:
        arg.install(emu)
        result = run_scan(source(emu), pack(), rules)
    return list(result.findings)


@pytest.mark.parametrize("name", sorted(LZ_HOPS))
@pytest.mark.parametrize(("state", "status"), [("Failed", Status.FAIL), ("Updating", Status.ERROR)])
def test_a_hop_is_judged_by_its_state_live(name: str, state: str, status: Status) -> None:
    rows = landing_zone()
    set_state(named(rows, name), state)
    found = _live(rows, ("AMLG-301",))
    _type, relying = LZ_HOPS[name]
    for instance in ("spoke-a-mlw", "spoke-b-mlw"):
        mine = Counter(f.status for f in found if f.instance.endswith(instance))
        expected = status if instance in relying else Status.PASS
        assert mine == Counter({expected: 7}), (instance, mine)


def test_the_landing_zone_passes_live() -> None:
    found = _live(landing_zone(), ("AMLG-301",))
    assert len(found) == 14 and {f.status for f in found} == {Status.PASS}


@pytest.mark.parametrize(("state", "status"), [("Failed", Status.FAIL), ("Deleting", Status.FAIL),
                                               ("Updating", Status.ERROR)])  # fmt: skip
def test_zone_groups_are_judged_by_their_state_live(state: str, status: Status) -> None:
    rows = _compliant()
    for row in rows:
        if str(row["type"]).lower() == ZONE_GROUP:
            set_state(row, state)
    rules = ("AMLG-202", "AMLG-212", "AMLG-223", "AMLG-233")
    found = _live(rows, rules)
    assert {f.rule_id for f in found} == set(rules)
    assert {f.status for f in found} == {status}, [f.message for f in found]
    control = _live(_compliant(), rules)
    assert {f.status for f in control} == {Status.PASS}
