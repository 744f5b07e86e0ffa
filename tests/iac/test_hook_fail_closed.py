"""The pre-commit hook never passes a changed deployment file it did not check (redteam10b #4).

Every changed file that is, or may be, a deployment input (template, parameter file, Bicep,
``.bicepparam``) is checked, or the hook exits 2 naming the file and why; only files that are
certainly not deployment inputs are left out. JSON is read as ARM reads it (comments allowed),
in the hook and in ``check`` alike, with line numbers that are the file's own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.iac.changed import classify, document_kind
from amlguard.iac.jsonpos import parse_json

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINT = ROOT / "tests" / "iac" / "data" / "own" / "blueprint" / "azuredeploy.json"
PARAMS = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
PNA = '"publicNetworkAccess": "[parameters(\'workspacePublicNetworkAccess\')]",'


def _in(cwd: Path, args: list[str]) -> Any:
    """``amlguard ARGS`` run in ``cwd`` through the CLI."""
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, args)
    finally:
        os.chdir(here)


def _hook(cwd: Path, *args: str) -> Any:
    """``amlguard template hook ARGS`` run in ``cwd``."""
    return _in(cwd, ["template", "hook", *args])


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A folder with the blueprint template as ``main.json`` (its workspace is private)."""
    shutil.copy(BLUEPRINT, tmp_path / "main.json")
    return tmp_path


def test_a_parameter_file_without_schema_checks_its_template(repo: Path) -> None:
    # rt/hook/a: no $schema (ARM does not require one); the prod values open the workspace
    (repo / "main.prod.parameters.json").write_text(
        '{\n  "contentVersion": "1.0.0.0",\n  "parameters": {\n'
        '    "vmAdminPassword": { "value": "Not-A-Real-Passw0rd!" },\n'
        '    "workspacePublicNetworkAccess": { "value": "Enabled" }\n  }\n}\n'
    )
    res = _hook(repo, "--compact", "main.prod.parameters.json")
    assert res.exit_code == 1, res.output
    assert "AMLG-101" in res.stdout


def test_a_bare_parameter_file_checks_its_template(repo: Path) -> None:
    # the Azure CLI also takes the parameters object alone, without its wrapper
    (repo / "prod.json").write_text(
        json.dumps(
            {
                "vmAdminPassword": {"value": "Not-A-Real-Passw0rd!"},
                "workspacePublicNetworkAccess": {"value": "Enabled"},
            }
        )
    )
    res = _hook(repo, "--compact", "prod.json")
    assert res.exit_code == 1, res.output
    assert "AMLG-101" in res.stdout


def test_a_parameter_file_with_comments_is_checked(repo: Path) -> None:
    # rt/hook/b: a // comment line (az and ARM accept it)
    (repo / "main.prod.parameters.json").write_text(
        "{\n"
        f'  "$schema": "{PARAMS}",\n'
        '  "contentVersion": "1.0.0.0",\n'
        "  // prod opens the workspace to the internet\n"
        '  "parameters": {\n'
        '    "vmAdminPassword": { "value": "Not-A-Real-Passw0rd!" }, /* a "quoted" note */\n'
        '    "workspacePublicNetworkAccess": { "value": "Enabled" }\n'
        "  }\n}\n"
    )
    res = _hook(repo, "--compact", "main.prod.parameters.json")
    assert res.exit_code == 1, res.output
    assert "AMLG-101" in res.stdout


def _commented_template(repo: Path) -> int:
    """Open the workspace in ``main.json`` with comments around; the line it is written on."""
    text = (repo / "main.json").read_text()
    assert PNA in text
    text = text.replace(PNA, '"publicNetworkAccess": "Enabled", // opened for the demo')
    text = text.replace("{\n", '{ /* header: "resources": [ {\n   still the comment */\n', 1)
    (repo / "main.json").write_text(text)
    (repo / "main.parameters.json").write_text(
        json.dumps({"parameters": {"vmAdminPassword": {"value": "x-Not-Real-1!"}}})
    )
    return next(i for i, line in enumerate(text.splitlines(), 1) if "opened for the demo" in line)


def test_a_template_with_comments_is_checked_at_its_own_lines(repo: Path) -> None:
    line = _commented_template(repo)
    res = _hook(repo, "--format", "json", "main.json")
    assert res.exit_code == 1, res.output
    (fail,) = [f for f in json.loads(res.stdout)["findings"] if f["status"] == "fail"]
    assert fail["rule_id"] == "AMLG-101"
    assert fail["location"]["line"] == line and fail["location"]["column"] == 9
    # check itself reads the same file the same way (the hook is never greener than check)
    args = ["check", "--template", "main.json", "--parameters", "main.parameters.json"]
    direct = _in(repo, [*args, "--format", "json"])
    assert direct.exit_code == 1, direct.output
    (fail,) = [f for f in json.loads(direct.stdout)["findings"] if f["status"] == "fail"]
    assert fail["location"]["line"] == line


def test_json_that_cannot_be_read_fails_closed_at_its_line(repo: Path) -> None:
    # rt/hook/c: the comma went into the comment, which ARM refuses too
    text = (repo / "main.json").read_text()
    (repo / "main.json").write_text(
        text.replace(PNA, '"publicNetworkAccess": "Enabled" // opened for the demo,')
    )
    line = 1 + next(
        i for i, s in enumerate(text.splitlines(), 1) if "workspacePublicNetworkAccess')" in s
    )
    res = _hook(repo, "main.json")
    assert res.exit_code == 2, res.output
    assert f"main.json: may be a deployment file but cannot be read as JSON ({line}:" in res.stderr
    assert "could not be checked: exit 2" in res.stderr


@pytest.mark.parametrize(
    ("using", "why"),
    [
        ("using 'br/public:avm/res/machine-learning-services/workspace:0.9.0'", "registry"),
        ("using 'ts:00000000-0000-0000-0000-000000000000/rg/spec:1.0'", "registry"),
        ("using './typo.bicep'", "was not found"),
        ("// no using line at all", "has no local 'using' template"),
    ],
)
def test_a_bicepparam_without_a_local_template_fails_closed(
    repo: Path, using: str, why: str
) -> None:
    (repo / "prod.bicepparam").write_text(f"{using}\n\nparam publicNetworkAccess = 'Enabled'\n")
    res = _hook(repo, "prod.bicepparam")
    assert res.exit_code == 2, res.output
    assert "cannot check: prod.bicepparam: a Bicep parameter file that" in res.stderr
    assert why in res.stderr and "--template" in res.stderr


@pytest.mark.parametrize("name", ["prod.bicepparam", "values.json"])
def test_an_orphan_is_checked_once_the_hook_names_the_template(repo: Path, name: str) -> None:
    if name.endswith(".bicepparam"):
        pytest.importorskip("tree_sitter_bicep")  # the built-in reader (no Bicep CLI here)
        (repo / name).write_text(
            "using 'br/public:avm/x:1.0'\n\nparam vmAdminPassword = 'x-Not-Real-1!'\n"
            "param workspacePublicNetworkAccess = 'Enabled'\n"
        )
    else:  # two templates beside it: which one is not guessed
        shutil.copy(repo / "main.json", repo / "other.json")
        (repo / name).write_text(
            json.dumps(
                {
                    "contentVersion": "1.0.0.0",
                    "parameters": {
                        "vmAdminPassword": {"value": "x-Not-Real-1!"},
                        "workspacePublicNetworkAccess": {"value": "Enabled"},
                    },
                }
            )
        )
        assert _hook(repo, name).exit_code == 2
    res = _hook(repo, "--template", "main.json", "--compact", name)
    # named by hand, the orphan parameter file is checked with that template: never exit 0
    assert res.exit_code == 1, res.output
    assert "AMLG-101" in res.stdout and "cannot check" not in res.stderr


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("package.json", '{"name": "x", "version": "1.0.0", "resources": "not a list"}'),
        ("tsconfig.json", '{\n  // editor settings\n  "compilerOptions": {"strict": true}\n}'),
        ("policy.json", '{"mode": "All", "parameters": {"effect": {"type": "String"}}}'),
        ("list.json", "[1, 2, 3]"),
        ("notes.txt", "not json at all"),
    ],
)
def test_files_that_are_certainly_not_deployments_are_left_out(
    repo: Path, name: str, content: str
) -> None:
    (repo / name).write_text(content)
    res = _hook(repo, name)
    assert res.exit_code == 0, res.output
    assert f"not checked (not a deployment file): {name}: " in res.stderr
    assert "no template among the changed files" in res.stderr


def test_the_red_team_reproducers_through_the_installed_entry_point(repo: Path) -> None:
    """rt/hook/{a,b,d} in a real process (python -m amlguard), as pre-commit runs it."""
    (repo / "main.prod.parameters.json").write_text(
        json.dumps(
            {
                "parameters": {
                    "vmAdminPassword": {"value": "x-Not-Real-1!"},
                    "workspacePublicNetworkAccess": {"value": "Enabled"},
                }
            }
        )
    )
    (repo / "prod.bicepparam").write_text("using 'br/public:avm/res/x:0.9.0'\n")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "amlguard", "template", "hook", "--compact"]
    a = subprocess.run([*run, "main.prod.parameters.json"], cwd=repo, env=env, text=True,
                       capture_output=True, timeout=300)  # fmt: skip
    d = subprocess.run([*run, "prod.bicepparam"], cwd=repo, env=env, text=True,
                       capture_output=True, timeout=300)  # fmt: skip
    assert a.returncode == 1, a.stderr
    assert d.returncode == 2 and "Traceback" not in d.stderr, d.stderr


# ---- the classifier over parameter-file shapes -------------------------------------------------

_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAMES, inner, max_size=3),
    max_leaves=6,
)
_ENTRY = st.one_of(
    st.builds(lambda v: {"value": v}, _VALUES),
    st.builds(
        lambda s: {"reference": {"keyVault": {"id": "/subscriptions/x"}, "secretName": s}},
        _NAMES,
    ),
)


@st.composite
def parameter_files(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A parameter file ARM accepts: wrapped or bare, with or without $schema/contentVersion,
    under any file name."""
    entries = draw(st.dictionaries(_NAMES, _ENTRY, min_size=1, max_size=4))
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["$schema"] = PARAMS
    if draw(st.booleans()):
        doc["contentVersion"] = "1.0.0.0"
    if draw(st.booleans()) or doc:
        doc["parameters"] = entries
    else:
        doc.update(entries)
    name = draw(st.sampled_from(["main.parameters.json", "prod.json", "values.jsonc", "x.json"]))
    return doc, name


@settings(derandomize=True, max_examples=200, deadline=None)
@given(parameter_files(), st.booleans())
def test_every_parameter_file_shape_is_a_parameter_file(
    case: tuple[dict[str, Any], str], commented: bool
) -> None:
    doc, name = case
    text = json.dumps(doc, indent=2)
    if commented:  # a comment after every line opener: ARM reads it as whitespace
        text = text.replace("{\n", '{ // a "note" {\n').replace(",\n", ", /* } */\n")
    parsed = parse_json(text, name)
    assert parsed.value == doc
    assert document_kind(parsed.value, name)[0] == "parameters"


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.dictionaries(
        _NAMES.filter(lambda k: k not in ("resources", "parameters", "contentVersion")),
        _VALUES.filter(lambda v: not (isinstance(v, dict) and ("value" in v or "reference" in v))),
        max_size=4,
    )
)
def test_objects_with_nothing_arm_deploys_are_other(doc: dict[str, Any]) -> None:
    kind, why = document_kind(doc, "settings.json")
    assert kind == "other", why


@settings(derandomize=True, max_examples=100, deadline=None)
@given(parameter_files(), st.sampled_from(["resources", "parameters", "contentVersion"]))
def test_a_deployment_shape_is_never_left_out(case: tuple[dict[str, Any], str], extra: str) -> None:
    doc, _ = case
    doc = {**doc, "name": "anything"} if extra != "resources" else {**doc, "resources": []}
    assert document_kind(doc, "any.json")[0] in ("template", "parameters")


def test_classify_never_leaves_out_a_deployment_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"resources": [ /* unterminated')
    (tmp_path / "latin1.json").write_bytes(b'{"parameters": {"a": {"value": "\xe9"}}}')
    got = classify([tmp_path / "broken.json", tmp_path / "latin1.json"])
    assert not got.left_out and not got.templates
    assert [u.split(":")[0] for u in got.unresolved] == [
        str(tmp_path / "broken.json"),
        str(tmp_path / "latin1.json"),
    ]


def test_file_names_are_neutralised_in_the_hook_messages(tmp_path: Path) -> None:
    name = "x\x1b[2J\u202ey.json"
    (tmp_path / name).write_text('{"contentVersion": "1.0.0.0", ')
    res = _hook(tmp_path, name)
    assert res.exit_code == 2
    assert "\x1b" not in res.stderr and "\u202e" not in res.stderr
    assert "x\\x1b[2J\\u202ey.json: may be a deployment file" in res.stderr


def test_a_bare_parameter_named_resources_is_a_parameter_value() -> None:
    doc = {"resources": {"value": ["a"]}, "location": {"value": "westeurope"}}
    assert document_kind(doc, "values.json")[0] == "parameters"
    template = {"resources": {"ws": {"type": "Microsoft.MachineLearningServices/workspaces"}}}
    assert document_kind(template, "main.json")[0] == "template"  # languageVersion 2.0 shape
