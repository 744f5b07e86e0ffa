"""The pre-commit hook's choice of files: templates in, everything else out with a note."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.iac.changed import classify

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMS = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"


def test_kinds_of_changed_files(tmp_path: Path) -> None:
    main = tmp_path / "main.json"
    main.write_text(json.dumps({"$schema": SCHEMA, "resources": []}))
    (tmp_path / "main.parameters.json").write_text(json.dumps({"$schema": PARAMS}))
    other = tmp_path / "other.parameters.json"
    other.write_text(json.dumps({"$schema": PARAMS}))
    bicep = tmp_path / "net.bicep"
    bicep.write_text("output o string = 'x'\n")
    bparam = tmp_path / "net.bicepparam"
    bparam.write_text("using './net.bicep'\nparam a = 1\n")
    orphan = tmp_path / "gone.bicepparam"
    orphan.write_text("using './nowhere.bicep'\n")
    pkg = tmp_path / "package.json"
    pkg.write_text('{"name": "x", "resources": "not a list"}')
    got = classify([tmp_path / "main.parameters.json", bparam, bicep, other, orphan, pkg])
    assert got.templates == [main, bicep]
    assert got.parameters == [tmp_path / "main.parameters.json", bparam]
    notes = "\n".join(got.left_out)
    # two templates beside it: which one it belongs to is not guessed, and it is no pass either
    unresolved, gone = got.unresolved
    assert "other.parameters.json: a parameter file whose template was not found" in unresolved
    assert got.orphans == [other, orphan]
    # a .bicepparam whose template is not found changes a deployment too: never a pass
    assert "gone.bicepparam: a Bicep parameter file that uses './nowhere.bicep'" in gone
    assert "package.json: not an ARM template or parameter file" in notes


def test_a_changed_template_brings_its_parameter_file(tmp_path: Path) -> None:
    main = tmp_path / "azuredeploy.json"
    main.write_text(json.dumps({"$schema": SCHEMA, "resources": []}))
    sibling = tmp_path / "azuredeploy.parameters.json"
    sibling.write_text(json.dumps({"$schema": PARAMS}))
    got = classify([main])
    assert got.templates == [main] and got.parameters == [sibling]


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([".json", ".bicep", ".bicepparam", ".txt", ""]),
            st.one_of(st.binary(max_size=80), st.sampled_from([b"{", b"[]", b"\xff\xfe", b"{}"])),
        ),
        max_size=4,
    )
)
def test_any_files_are_classified_without_error(files: list[tuple[str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, (suffix, content) in enumerate(files):
            path = Path(tmp) / f"f{i}{suffix}"
            path.write_bytes(content)
            paths.append(path)
        got = classify(paths)
        assert len(got.templates) + len(got.left_out) <= len(paths) + len(got.parameters)
        assert all(p.suffix in (".json", ".bicep") for p in got.templates)


def test_a_changed_module_is_checked_through_its_callers(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    module = tmp_path / "modules" / "kv.bicep"
    module.write_text("param name string\n")
    mid = tmp_path / "modules" / "group.bicep"
    mid.write_text("module kv './kv.bicep' = {\n  name: 'kv'\n}\n")
    main = tmp_path / "main.bicep"
    main.write_text("module g 'modules/group.bicep' = {\n  name: 'g'\n}\n")
    lone = tmp_path / "lone.bicep"
    lone.write_text("output o string = 'x'\n")
    got = classify([module, lone], root=tmp_path)
    assert got.templates == [main.resolve(), lone]
    assert any("kv.bicep: a module, checked through" in n for n in got.notes)
    assert not got.left_out


def test_per_environment_parameter_files_find_their_template(tmp_path: Path) -> None:
    main = tmp_path / "main.bicep"
    main.write_text("output o string = 'x'\n")
    prod = tmp_path / "main.prod.parameters.json"
    prod.write_text(json.dumps({"$schema": PARAMS}))
    got = classify([prod])
    assert got.templates == [main] and got.parameters == [prod] and not got.unresolved
    # prod.parameters.json beside (or one folder below) the only template
    env = tmp_path / "env"
    env.mkdir()
    only = env / "prod.parameters.json"
    only.write_text(json.dumps({"$schema": PARAMS}))
    got = classify([only])
    assert got.templates == [main] and got.parameters == [only]


def test_a_parameter_file_without_a_template_is_never_a_pass(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from amlguard.cli import cli

    lone = tmp_path / "prod.parameters.json"
    lone.write_text(json.dumps({"$schema": PARAMS, "parameters": {}}))
    res = CliRunner().invoke(cli, ["template", "hook", str(lone)])
    assert res.exit_code == 2, res.output
    assert "a parameter file whose template was not found" in res.stderr
