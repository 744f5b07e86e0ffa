"""A ``template rows`` file judged with ``check --snapshot`` is judged as its template (redteam7
item 3): unknown values are restored where its ``unknowns`` list says (as text, two unknowns
compared equal and passed), conditional resources are settled, and the verdicts, messages and
exit code are those of ``check --template``. A rows file mixed with other snapshots, or edited
so its unknowns no longer match, is refused (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_INCOMPLETE, EXIT_USAGE
from tests.conftest import EXAMPLES
from tests.iac.helpers import DATA

OWN = DATA / "own" / "redteam"
STUDIO = DATA / "ai-studio-secure"
WHERE = ["--deployment-location", "westeurope"]


def _conditional_template(tmp_path: Path) -> Path:
    doc = json.loads((OWN / "compliant.json").read_text())
    (ra,) = [r for r in doc["resources"] if r["type"] == "Microsoft.Authorization/roleAssignments"]
    ra["condition"] = "[equals(reference(variables('identityId')).clientId, 'a')]"
    path = tmp_path / "conditional.json"
    path.write_text(json.dumps(doc))
    return path


def _run(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["check", *args, "--format", "json"])
    assert result.exit_code in (0, 1, 3), result.output
    return result.exit_code, json.loads(result.stdout)


def _rows(tmp_path: Path, template: Path, parameters: Path) -> Path:
    out = tmp_path / "rows.json"
    result = CliRunner().invoke(
        cli,
        ["template", "rows", "--template", str(template), "--parameters", str(parameters),
         *WHERE, "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _verdicts(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return sorted(
        (f["rule_id"], f["resource_id"].lower(), f["status"], f["message"])
        for f in report["findings"]
    )


@pytest.mark.parametrize(
    ("template", "parameters", "rules"),
    [
        ("conditional", OWN / "compliant.parameters.json", ["--rule", "AMLG-106"]),
        ("conditional", OWN / "compliant.parameters.json", []),
        (STUDIO / "azuredeploy.json", STUDIO / "azuredeploy.parameters.json", []),
    ],
)
def test_a_rows_file_is_judged_as_its_template(
    tmp_path: Path, template: Any, parameters: Path, rules: list[str]
) -> None:
    path = _conditional_template(tmp_path) if template == "conditional" else template
    direct_code, direct = _run("--template", str(path), "--parameters", str(parameters),
                               *WHERE, *rules)  # fmt: skip
    rows_code, judged = _run("--snapshot", str(_rows(tmp_path, path, parameters)), *rules)
    assert rows_code == direct_code
    assert _verdicts(judged) == _verdicts(direct)
    if template == "conditional" and rules:
        assert rows_code == EXIT_INCOMPLETE  # the approver's condition is unknown: not a pass


def test_a_rows_file_beside_another_snapshot_is_refused(tmp_path: Path) -> None:
    rows = _rows(tmp_path, OWN / "compliant.json", OWN / "compliant.parameters.json")
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(EXAMPLES / "compliant.json"), "--snapshot", str(rows)]
    )
    assert result.exit_code == EXIT_USAGE
    assert "judged alone" in result.output


@pytest.mark.parametrize("edit", ["drop-list", "bad-entry", "value-changed"])
def test_an_edited_rows_file_is_refused(tmp_path: Path, edit: str) -> None:
    rows = _rows(tmp_path, OWN / "compliant.json", OWN / "compliant.parameters.json")
    doc = json.loads(rows.read_text())
    assert doc["unknowns"], "the template has values unknown before deployment"
    if edit == "drop-list":
        del doc["unknowns"]
    elif edit == "bad-entry":
        doc["unknowns"][0] = {"resource_id": 3}
    else:
        first = doc["unknowns"][0]
        row = next(r for r in doc["data"] if r["id"].lower() == first["resource_id"].lower())
        row["properties"]["principalId"] = "00000000-0000-0000-0000-000000000001"
        first["path"] = "properties.principalId"
    rows.write_text(json.dumps(doc))
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(rows)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "template rows" in result.output


# ---- the restore is exact: every unknown back where it was, nothing else touched

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from amlguard.iac.rowsfile import as_template_scan  # noqa: E402
from amlguard.scanner.model import SourceInfo  # noqa: E402
from amlguard.scanner.sources.interface import Collected  # noqa: E402
from amlguard.scanner.unknown import Unknown  # noqa: E402

KEYS = st.text(alphabet="ab.[]0 ", min_size=1, max_size=4)
LEAVES = st.one_of(
    st.builds(Unknown, st.text(alphabet="xyz:.", min_size=1, max_size=6)),
    st.sampled_from(["<unknown: x>", "plain", "", 0, None, True]),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=8,
)


def _shape(value: Any) -> Any:
    """The value with each Unknown tagged, so equality also compares types."""
    if isinstance(value, Unknown):
        return ("unknown", value.key)
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=4))
def test_unknowns_are_restored_exactly_where_they_were(props: dict[str, Any]) -> None:
    from amlguard.iac.rowsfile import _unknowns

    row = {"id": "/subscriptions/s/resourceGroups/g/providers/P.N/t/r", "properties": props}
    found: list[tuple[str, Unknown]] = []
    _unknowns(row, "", found)
    # two distinct paths that print alike cannot be told apart: the writer never makes them
    paths = [p for p, _ in found]
    if len(set(paths)) != len(paths):
        return
    listed = [{"resource_id": row["id"].upper(), "path": p, "key": u.key} for p, u in found]
    header = {"source": "template", "unknowns": listed}
    text_row = json.loads(json.dumps(row))
    collected = Collected([text_row], SourceInfo(kind="snapshot", description="f", header=header))
    restored = as_template_scan(collected)
    assert restored.info.kind == "template"
    assert _shape(restored.rows[0]) == _shape(row)
