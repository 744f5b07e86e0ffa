"""Array parameters declare an element schema (``items``): a bad element in the config is a
config error naming its line (exit 2), never a scan that stops with exit 3 halfway through."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.config import ConfigError, check_against_pack, load_config
from amlguard.errors import PolicyError
from amlguard.scanner.params import item_problems
from amlguard.scanner.rules import load_pack, load_rule_text
from tests.conftest import EXAMPLES
from tests.scanner.test_loader import rule_file, rule_yaml

VNET = "/subscriptions/s1/resourceGroups/rg-dns/providers/Microsoft.Network/virtualNetworks/hub"
COMPLIANT = str(EXAMPLES / "compliant.json")


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "amlguard.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        check_against_pack(load_config(path), load_pack([]))
    return [p.replace(f"{path}:", "") for p in info.value.problems]


def test_each_bad_element_is_named_with_its_line(tmp_path: Path) -> None:
    text = (
        "parameters:\n"
        "  AMLG-301:\n"
        "    trusted_dns_servers:\n"
        "      - {ip: 10.1.0.4}\n"
        f"      - {{ip: 999.1.1.1, vnet: {VNET}}}\n"
        "      - 10.0.0.1\n"
        f"      - {{ip: 10.1.0.5, vnet: {VNET}, port: 53}}\n"
        "    central_dns_scopes: [/subscriptions/s1/resourceGroups/rg-dns, rg-dns]\n"
    )
    problems = _problems(tmp_path, text)
    assert problems[0].startswith("4:9: parameters/AMLG-301/trusted_dns_servers: item 0: ")
    assert "'vnet' is a required property" in problems[0]
    assert (
        problems[1].startswith("5:9: ") and "item 1/ip: '999.1.1.1' is not an IPv4" in problems[1]
    )
    assert problems[2].startswith("6:9: ") and "item 2: " in problems[2]
    assert problems[3].startswith("7:9: ") and "'port'" in problems[3]
    assert (
        problems[4].startswith("8:")
        and "'rg-dns' is not a subscription or resource group id" in problems[4]
    )
    assert len(problems) == 5


def test_good_elements_pass_and_the_cli_exits_2_on_a_bad_one(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "parameters:\n  AMLG-301:\n"
        f"    trusted_dns_servers: [{{ip: ' 10.1.0.4 ', vnet: '{VNET.upper()}'}}]\n"
        "    central_dns_scopes: [/subscriptions/s1, /subscriptions/s1/resourceGroups/rg/]\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(cli, ["check", "--snapshot", COMPLIANT, "--config", str(good)])
    assert res.exit_code == 0, res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "parameters:\n  AMLG-301:\n    trusted_dns_servers: [{ip: x}]\n", encoding="utf-8"
    )
    res = CliRunner().invoke(cli, ["check", "--snapshot", COMPLIANT, "--config", str(bad)])
    assert res.exit_code == 2
    assert f"{bad}:3:27: parameters/AMLG-301/trusted_dns_servers: item 0" in res.output
    assert "Traceback" not in res.output


def test_a_rule_whose_default_breaks_its_element_schema_is_refused() -> None:
    params = {
        "servers": {
            "type": "array",
            "default": [1],
            "description": "d",
            "items": {"type": "string"},
        }
    }
    text = rule_file(rule_yaml("CUSTOM-9", parameters=params))  # type: ignore[arg-type]
    with pytest.raises(PolicyError) as info:
        load_rule_text(text, "custom.yaml")
    (problem,) = info.value.problems
    assert "parameters/servers: the default's item 0: 1 is not of type 'string'" in problem


_ELEMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    derandomize=True, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(values=st.lists(_ELEMENTS, max_size=4))
def test_any_element_is_judged_without_raising(values: list[object]) -> None:
    rule = load_pack([]).get("AMLG-301")
    assert rule is not None
    schema = next(p.items for p in rule.parameters if p.name == "trusted_dns_servers")
    assert schema is not None
    problems = item_problems(schema, values)
    bad = {i for i, _ in problems}
    for i, value in enumerate(values):
        well_formed = (
            isinstance(value, dict)
            and set(value) == {"ip", "vnet"}
            and isinstance(value["ip"], str)
            and isinstance(value["vnet"], str)
        )
        if not well_formed:
            assert i in bad


@pytest.mark.parametrize("value", ["true", "yes", "on", "abc", "'2'", "2.5", "[2]"])
def test_an_integer_parameter_takes_only_integers(tmp_path: Path, value: str) -> None:
    """YAML's true/yes/on load as booleans, which Python counts as integers: refused, like text."""
    text = f"parameters:\n  AMLG-110:\n    min_fixed_labels: {value}\n"
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith("3:23: parameters/AMLG-110/min_fixed_labels: expected an integer")


def test_an_integer_parameter_accepts_an_integer(tmp_path: Path) -> None:
    path = tmp_path / "amlguard.yaml"
    path.write_text("parameters:\n  AMLG-110:\n    min_fixed_labels: 3\n", encoding="utf-8")
    check_against_pack(load_config(path), load_pack([]))
