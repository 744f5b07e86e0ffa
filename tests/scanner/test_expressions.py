"""Bracket expressions: parsing, functions, member and index access, escapes."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import amlguard.scanner.primitives  # noqa: F401  (registers the functions)
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.expressions import ExpressionError, compile_value, is_expression
from amlguard.scanner.instances import build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import MISSING
from amlguard.scanner.privatelink import default_table
from tests.builders import blueprint


def ctx(
    resource: dict[str, Any] | None = None, params: dict[str, Any] | None = None
) -> EvalContext:
    inst = blueprint()
    inv = Inventory(inst.rows())
    (instance,) = build_instances(inv)
    return EvalContext(
        resource=resource if resource is not None else instance.workspace,
        inventory=inv,
        instance=instance,
        params=params or {},
        private_link=default_table(),
    )


def ev(text: Any, c: EvalContext | None = None) -> Any:
    return compile_value(text)(c or ctx())


def test_literals_and_escapes() -> None:
    assert ev("plain") == "plain"
    assert ev(3) == 3
    assert ev(["[parameters('x')]"]) == ["[parameters('x')]"]  # lists are literal
    assert ev("[[not an expression]") == "[not an expression]"
    assert not is_expression("[[x]") and is_expression("[x()]") and not is_expression("[x()")


def test_parameters_and_arguments() -> None:
    c = ctx(params={"modes": ["A", "B"], "flag": False})
    assert ev("[parameters('modes')]", c) == ["A", "B"]
    assert ev("[PARAMETERS('flag')]", c) is False  # function names are case-insensitive
    assert ev("[parameters('modes')[1]]", c) == "B"
    assert ev("[parameters('modes')[5]]", c) is MISSING
    assert ev("[parameters('nope')]", c) is MISSING
    assert ev("[length(parameters('modes'))]", c) == 2
    assert ev("[length('it''s')]", c) == 4  # '' escapes a quote


def test_field_keys_resource_and_instance() -> None:
    c = ctx()
    ws = c.resource
    assert ev("[field('properties.publicNetworkAccess')]", c) == "Disabled"
    assert ev("[field('properties.managedNetwork.outboundRules[*].type')]", c) == [
        "PrivateEndpoint",
        "PrivateEndpoint",
    ]
    assert ev("[keys(field('identity.userAssignedIdentities'))]", c) == list(
        ws["identity"]["userAssignedIdentities"]
    )
    registry = ev("[resource(field('properties.containerRegistry'))]", c)
    assert registry["sku"]["name"] == "Premium"
    assert ev("[resource(field('properties.containerRegistry')).SKU.Name]", c) == "Premium"
    assert ev("[resource('/subscriptions/x/nothing')]", c) is MISSING
    assert ev("[resource(field('properties.absent')).properties]", c) is MISSING
    assert ev("[instance().name]", c) == "blueprint-mlw"
    assert ev("[instance().solutionVnetId]", c).endswith("/virtualNetworks/blueprint-vnet")


def test_private_dns_zones_follow_the_judged_resource_and_cloud() -> None:
    inst = blueprint()
    c = ctx(resource=inst.openai)
    assert ev("[privateDnsZones('account')]", c) == ["privatelink.openai.azure.com"]
    c.resource = {**inst.openai, "kind": "AIServices"}  # the three Foundry zones
    assert ev("[privateDnsZones('ACCOUNT')]", c) == [
        "privatelink.cognitiveservices.azure.com",
        "privatelink.openai.azure.com",
        "privatelink.services.ai.azure.com",
    ]
    c.cloud = "AzureUSGovernment"  # the page's Government AI services row: one zone
    assert ev("[privateDnsZones('account')]", c) == ["privatelink.cognitiveservices.azure.us"]
    c.cloud = "AzureChinaCloud"  # no China AI services row: unknown, never guessed
    with pytest.raises(Undeterminable, match="zone unknown for this cloud"):
        ev("[privateDnsZones('account')]", c)
    c.cloud = "AzureUSGovernment"
    c.resource = {**inst.openai, "kind": "CognitiveServices"}
    assert ev("[privateDnsZones('account')]", c) == ["privatelink.cognitiveservices.azure.us"]
    c.resource = inst.storage
    with pytest.raises(Undeterminable, match="no private DNS zone is known for group id 'vault'"):
        ev("[privateDnsZones('vault')]", c)


def test_current_outside_a_count_cannot_be_judged() -> None:
    with pytest.raises(Undeterminable, match="current"):
        ev("[current('x')]")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[nope()]", "unknown function 'nope'"),
        ("[parameters('a']", "expected ')'"),
        ("[instance()) ]", "unexpected ')'"),
        ("[instance().0]", "expected a property name"),
        ("[instance()[x]]", "expected an index"),
        ("['a']", "expected a function name"),
        ("[parameters(#)]", "cannot parse expression"),
        ("[]", "expected 'more input'"),
        ("[keys()]", "keys() takes 1 argument(s), got 0"),
        ("[parameters('a', 'b')]", "parameters() takes 1 argument(s), got 2"),
        ("[current('a', 'b')]", "current() takes 0 to 1 argument(s), got 2"),
        ("[instance(1)]", "instance() takes 0 argument(s), got 1"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_value(text)


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet="abc'() ,.[]0-", max_size=14))
def test_parser_never_crashes_with_anything_but_expression_error(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        compile_value(f"[{text}]")


@pytest.mark.parametrize("arg", ["1", "true", "parameters('p')"])
def test_field_with_a_computed_bad_path_cannot_be_judged(arg: str) -> None:
    # Regression: a PathError/AttributeError escaped the engine (a traceback, exit 4).
    with pytest.raises(Undeterminable, match="field"):
        ev(f"[field({arg})]", ctx(params={"p": "a..b"}))
