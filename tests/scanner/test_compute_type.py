"""AMLG-112 and a compute's ``computeType`` (redteam7 item 4): a type that cannot be read
(absent, blank, not a string, unknown before deployment, ``properties`` not an object) is an
``error`` finding naming the compute, never a compute dropped unread; a padded or oddly-cased
type is read as that type."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.model import Status
from amlguard.scanner.paths import MISSING
from amlguard.scanner.targets import VNET_COMPUTE_TYPES, compute_type
from amlguard.scanner.unknown import Unknown, UnknownValue
from tests.builders import blueprint, compute, customer_vnet
from tests.scanner.harness import of_rule, scan

NAME = "gpu-cluster"


def _112(ctype: Any = MISSING, props: Any = MISSING) -> list[Any]:
    """AMLG-112's findings on a compliant customer-VNet workspace plus a public-IP cluster
    whose ``computeType`` (or whole ``properties``) is replaced."""
    inst = customer_vnet(blueprint())
    bad = compute(inst, NAME, public_ip=True)
    if ctype is None or ctype is not MISSING:
        bad["properties"]["computeType"] = ctype
    elif props is MISSING:
        del bad["properties"]["computeType"]
    if props is not MISSING:
        bad["properties"] = props
    inst.extra.append(bad)
    findings = of_rule(scan(inst.rows(), network_isolation="custom"), "AMLG-112")
    return [f for f in findings if f.resource_id.endswith("/" + NAME)]


@pytest.mark.parametrize(
    ("ctype", "props", "said"),
    [
        (MISSING, MISSING, "properties.computeType of "),
        (None, MISSING, "is absent"),
        ("   ", MISSING, "is blank"),
        (["AmlCompute"], MISSING, "is a list (['AmlCompute']), expected a string"),
        (7, MISSING, "is a number (7), expected a string"),
        ({"type": "AmlCompute"}, MISSING, "is an object"),
        (Unknown("gpu:properties.computeType"), MISSING, "unknown before deployment"),
        (MISSING, "AmlCompute", "properties of "),
        (MISSING, ["AmlCompute"], "is a list"),
    ],
)
def test_an_unreadable_compute_type_is_an_error_naming_the_compute(
    ctype: Any, props: Any, said: str
) -> None:
    (f,) = _112(ctype, props)
    assert f.status is Status.ERROR
    assert f.message.startswith("could not be judged: ") and said in f.message
    assert f.resource_id.endswith(f"/computes/{NAME}")


@pytest.mark.parametrize(
    "ctype", ["AmlCompute ", " amlcompute", "AMLCOMPUTE", "\tComputeInstance\n", "computeinstance"]
)
def test_a_padded_or_oddly_cased_type_is_read_as_that_type(ctype: str) -> None:
    (f,) = _112(ctype)
    assert f.status is Status.FAIL and "enableNodePublicIp is true" in f.message


@pytest.mark.parametrize("ctype", ["Kubernetes", " Databricks ", "VirtualMachine"])
def test_other_compute_types_are_not_judged(ctype: str) -> None:
    assert _112(ctype) == []


def _row(ctype: Any) -> dict[str, Any]:
    return {"id": "/x/computes/c", "properties": {"computeType": ctype}}


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_a_string_type_is_read_stripped_and_lower_cased_or_is_blank(text: str) -> None:
    if not text.strip():
        with pytest.raises(UnknownValue, match="blank"):
            compute_type(_row(text))
    else:
        assert compute_type(_row(text)) == text.strip().lower()
        assert (compute_type(_row(text)) in VNET_COMPUTE_TYPES) == (
            text.strip().lower() in VNET_COMPUTE_TYPES
        )


@settings(derandomize=True, max_examples=100, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.lists(st.text(max_size=5), max_size=3),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    )
)
def test_a_type_that_is_not_a_string_is_never_read(value: Any) -> None:
    with pytest.raises(UnknownValue, match="/x/computes/c"):
        compute_type(_row(value))
