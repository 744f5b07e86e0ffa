"""redteam9 item 6 through the CLI: the accepted offenders of an aggregate finding are fixed and
a ``field`` branch fails alone (the AML registry turns public). The finding names that branch
("properties.publicNetworkAccess is Enabled"), so a suppression pinned to the old offenders, a
baseline and ``--fail-on-new`` all see a changed failure (exit 1), while the unchanged failure
stays accepted (exit 0)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_OK
from tests.builders import blueprint
from tests.builders_integrations import add_registry

RULE = ("--rule", "AMLG-241")


def _estate(tmp_path: Path, managed_public: bool, public: bool) -> tuple[Path, list[str]]:
    inst = blueprint()
    _, managed = add_registry(inst, managed_public=managed_public, public=public)
    rows = inst.rows()
    path = tmp_path / f"reg-{managed_public}-{public}.json"
    path.write_text(json.dumps({"count": len(rows), "data": rows}), encoding="utf-8")
    return path, [m["id"] for m in managed]


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.stdout + res.stderr


def _failures(snapshot: Path, *extra: str) -> list[dict[str, Any]]:
    code, out = _run("check", "--snapshot", str(snapshot), *RULE, *extra, "--format", "json")
    assert code == EXIT_FINDINGS, out
    return [f for f in json.loads(out)["findings"] if f["status"] == "fail"]


def _suppression(tmp_path: Path, offenders: list[str]) -> Path:
    listed = "".join(f"      - {o}\n" for o in offenders)
    text = (
        "suppressions:\n  - rule: AMLG-241\n    resource: '*/registries/blueprint-reg'\n"
        "    reason: managed resources; ticket ML-77\n    expires: 2099-01-31\n"
        f"    offenders:\n{listed}"
    )
    path = tmp_path / "supp.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_lone_failing_field_branch_is_named_as_an_offender(tmp_path: Path) -> None:
    swapped, _ = _estate(tmp_path, managed_public=False, public=True)
    baseline = tmp_path / "bl.json"
    code, out = _run("baseline", "create", "-o", str(baseline), "--snapshot", str(swapped), *RULE)
    assert code == EXIT_OK, out
    (entry,) = json.loads(baseline.read_text(encoding="utf-8"))["findings"]
    assert entry["offenders"] == ["properties.publicnetworkaccess is enabled"]  # identities


def test_a_suppression_listing_offenders_does_not_accept_a_failure_naming_none(
    tmp_path: Path,
) -> None:
    """AMLG-201 (a field-only rule) names no offender: a suppression that lists some accepted
    a failure of those, not this one (an empty set is not a subset of what it accepted)."""
    drifted = Path(__file__).resolve().parents[1] / "examples" / "estates" / "drifted.json"
    text = (
        "suppressions:\n  - rule: AMLG-201\n    resource: '*/blueprintdevst'\n"
        "    reason: ticket ML-78\n    expires: 2099-01-31\n"
        "    offenders: [some-private-endpoint]\n"
    )
    config = tmp_path / "supp.yaml"
    config.write_text(text, encoding="utf-8")
    args = ("check", "--snapshot", str(drifted), "--rule", "AMLG-201", "--config", str(config))
    code, out = _run(*args)
    assert code == EXIT_FINDINGS, out
    assert "now fails naming none of them: the failure stands" in " ".join(out.split())
    config.write_text(text.replace("    offenders: [some-private-endpoint]\n", ""), "utf-8")
    assert _run(*args)[0] == EXIT_OK  # without offenders it accepts the failure as a whole


def test_a_pinned_suppression_does_not_accept_a_lone_field_branch(tmp_path: Path) -> None:
    known, managed = _estate(tmp_path, managed_public=True, public=False)
    swapped, _ = _estate(tmp_path, managed_public=False, public=True)
    config = _suppression(tmp_path, managed)
    code, out = _run("check", "--snapshot", str(known), *RULE, "--config", str(config))
    assert code == EXIT_OK, out  # the accepted state stays accepted
    code, out = _run("check", "--snapshot", str(swapped), *RULE, "--config", str(config))
    assert code == EXIT_FINDINGS, out
    assert "properties.publicNetworkAccess is Enabled" in " ".join(out.split())


def test_a_baseline_sees_a_lone_field_branch_as_new(tmp_path: Path) -> None:
    known, _ = _estate(tmp_path, managed_public=True, public=False)
    swapped, _ = _estate(tmp_path, managed_public=False, public=True)
    baseline = tmp_path / "bl.json"
    code, out = _run("baseline", "create", "-o", str(baseline), "--snapshot", str(known), *RULE)
    assert code == EXIT_OK, out
    code, out = _run("check", "--snapshot", str(known), *RULE, "--baseline", str(baseline))
    assert code == EXIT_OK, out
    (new,) = _failures(swapped, "--baseline", str(baseline))
    assert new["baseline_state"] == "new"
    assert new["message"].endswith(
        "New since the baseline: properties.publicNetworkAccess is Enabled."
    )


def test_fail_on_new_sees_a_lone_field_branch(tmp_path: Path) -> None:
    known, _ = _estate(tmp_path, managed_public=True, public=False)
    swapped, _ = _estate(tmp_path, managed_public=False, public=True)
    gate = ("--history", str(tmp_path / "h.db"), "--history-scope", "prod", "--fail-on-new")
    assert _run("check", "--snapshot", str(known), *RULE, *gate)[0] == EXIT_FINDINGS
    assert _run("check", "--snapshot", str(known), *RULE, *gate[:-1])[0] == EXIT_FINDINGS  # adopt
    assert _run("check", "--snapshot", str(known), *RULE, *gate)[0] == EXIT_OK  # unchanged
    code, out = _run("check", "--snapshot", str(swapped), *RULE, *gate)
    assert code == EXIT_FINDINGS, out
    assert "1 new failure" in out


def test_an_unchanged_lone_field_branch_stays_known(tmp_path: Path) -> None:
    swapped, _ = _estate(tmp_path, managed_public=False, public=True)
    baseline = tmp_path / "bl.json"
    assert (
        _run("baseline", "create", "-o", str(baseline), "--snapshot", str(swapped), *RULE)[0] == 0
    )
    code, out = _run("check", "--snapshot", str(swapped), *RULE, "--baseline", str(baseline))
    assert code == EXIT_OK, out
