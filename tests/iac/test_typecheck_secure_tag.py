"""A discriminated union whose tag property is declared secure (redteam7 #11b): a tag that is
none of the mapping's values is refused without ever showing it, wherever the secure type is
declared (the union itself, any of its variants, its additionalProperties, through ``$ref``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_USAGE
from amlguard.iac.paramcheck import violation
from amlguard.iac.typecheck import type_violation
from amlguard.iac.values import Secret

_REF = "#/definitions/"
_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SECRET_TAG = "SECRETTAG-987"


def _defs(where: str) -> dict[str, Any]:
    """A union ``cfg`` over variant ``a``, with its tag ``kind`` declared secure ``where``."""
    secure = {"$ref": _REF + "tagType"}
    variant: dict[str, Any] = {"type": "object", "properties": {"x": {"type": "int"}}}
    union: dict[str, Any] = {
        "type": "object",
        "discriminator": {"propertyName": "kind", "mapping": {"a": {"$ref": _REF + "a"}}},
    }
    if where == "variant":
        variant["properties"]["KIND"] = secure  # property names compare ignoring case
    elif where == "union":
        union["properties"] = {"kind": secure}
    elif where == "additional":
        variant["additionalProperties"] = secure
    return {"tagType": {"type": "securestring"}, "a": variant, "cfg": union}


@pytest.mark.parametrize("where", ["variant", "union", "additional"])
def test_an_unknown_secure_tag_is_refused_without_showing_it(tmp_path: Path, where: str) -> None:
    doc = {
        "$schema": _SCHEMA,
        "languageVersion": "2.0",
        "contentVersion": "1.0.0.0",
        "definitions": _defs(where),
        "parameters": {"p": {"$ref": _REF + "cfg"}},
        "resources": {},
    }
    template, pfile = tmp_path / "main.json", tmp_path / "main.parameters.json"
    template.write_text(json.dumps(doc, indent=2))
    pfile.write_text(json.dumps({"parameters": {"p": {"value": {"kind": SECRET_TAG}}}}))
    done = CliRunner().invoke(
        cli, ["template", "rows", "--template", str(template), "--parameters", str(pfile)]
    )
    assert done.exit_code == EXIT_USAGE, done.output
    assert "(a secure value) is not one of the discriminator's values ['a']" in done.output
    assert SECRET_TAG not in done.output


def test_a_plain_tag_is_still_shown() -> None:
    defs = _defs("none")
    problem = type_violation({"$ref": _REF + "cfg"}, {"kind": "b"}, defs, violation)
    assert problem == "kind: 'b' is not one of the discriminator's values ['a']"


def test_a_tag_given_as_a_secure_value_is_never_shown() -> None:
    defs = _defs("none")
    value = {"kind": Secret(SECRET_TAG, "")}
    problem = type_violation({"$ref": _REF + "cfg"}, value, defs, violation)
    assert problem is not None and SECRET_TAG not in problem and "(a secure value)" in problem


def test_a_variant_that_cannot_be_resolved_hides_the_tag() -> None:
    defs = _defs("none")
    defs["cfg"]["discriminator"]["mapping"]["broken"] = {"$ref": _REF + "nowhere"}
    problem = type_violation({"$ref": _REF + "cfg"}, {"kind": SECRET_TAG}, defs, violation)
    assert problem is not None and SECRET_TAG not in problem


@settings(derandomize=True, max_examples=80, deadline=None)
@given(
    tag=st.text(min_size=1, max_size=20).filter(lambda t: t.lower() != "a"),
    where=st.sampled_from(["variant", "union", "additional"]),
    nested=st.booleans(),
)
def test_no_secure_tag_ever_appears(tag: str, where: str, nested: bool) -> None:
    defs = _defs(where)
    spec: Any = {"$ref": _REF + "cfg"}
    value: Any = {"kind": tag}
    if nested:
        defs["outer"] = {"type": "object", "properties": {"inner": {"$ref": _REF + "cfg"}}}
        spec, value = {"$ref": _REF + "outer"}, {"inner": value}
    problem = type_violation(spec, value, defs, violation)
    assert problem is not None and "(a secure value)" in problem
    assert repr(tag) not in problem
