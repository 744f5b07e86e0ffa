"""AMLG-110's FQDN breadth (redteam10 #7): a wildcard over a multi-label public suffix
(``*.co.uk``) is as broad as one over a TLD, and the multi-tenant wildcards of the services whose
global tags the rule forbids (Event Hubs, SQL, Cosmos DB) fail like the tags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.scanner.fqdn import broad_reason
from amlguard.scanner.model import Severity, Status
from amlguard.scanner.publicsuffix import MULTI_LABEL, suffix_labels
from tests.builders import blueprint
from tests.builders_rules_a import approved_only, fqdn_rule
from tests.emulator import arg
from tests.emulator.server import Emulator
from tests.scanner.harness import all_pass, of_rule, scan

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"

LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)


def _status(destination: str) -> Status:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "egress", destination)
    (finding,) = of_rule(scan(inst.rows(), rule_ids=["AMLG-110"]), "AMLG-110")
    if finding.status is Status.FAIL:
        assert finding.severity is Severity.HIGH and "egress (FQDN" in finding.message
    return finding.status


@pytest.mark.parametrize(
    "destination",
    [
        "*.co.uk",
        "*.com.au",
        "*.CO.JP.",
        "x*.co.nz",
        "*.*.com.br",
        "*.servicebus.windows.net",
        "*.database.windows.net",
        "*.documents.azure.com",
        "*.mongo.cosmos.azure.com",
        "*.sql.azuresynapse.net",
        "*.servicebus.usgovcloudapi.net",
        "*.database.chinacloudapi.cn",
        "*.core.cloudapi.de",
        "*.azure.com",  # covers *.documents.azure.com
    ],
)
def test_public_suffix_and_service_wildcards_fail(destination: str) -> None:
    assert _status(destination) is Status.FAIL


@pytest.mark.parametrize(
    "destination",
    [
        "*.contoso.co.uk",
        "contoso.co.uk",
        "myhub.servicebus.windows.net",
        "mydb.database.windows.net",
        "myacct.documents.azure.com",
        "*.openai.azure.com",
        "*.pypi.org",
    ],
)
def test_named_hosts_and_owned_domains_pass(destination: str) -> None:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "egress", destination)
    all_pass(inst.rows())


@settings(derandomize=True, max_examples=120, deadline=None)
@given(st.sampled_from(sorted(MULTI_LABEL)), st.lists(LABEL, max_size=3))
def test_labels_count_past_the_public_suffix(suffix: str, owned: list[str]) -> None:
    name = ".".join(["*", *owned, suffix])
    broad = broad_reason(name, [], 2) is not None
    assert broad == (len(owned) < 1)
    assert (broad_reason(name, [], 3) is not None) == (len(owned) < 2)


@settings(derandomize=True, max_examples=120, deadline=None)
@given(st.lists(LABEL, min_size=1, max_size=4), st.integers(min_value=1, max_value=4))
def test_a_tld_counts_as_a_one_label_suffix(labels: list[str], need: int) -> None:
    """Where the list knows no longer suffix the rule is what it was: fixed labels >= need."""
    fixed = tuple(labels)
    if suffix_labels(fixed) > 1:
        return
    assert (broad_reason(".".join(["*", *labels]), [], need) is not None) == (len(fixed) < need)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_gives_a_reason_or_none(text: str) -> None:
    found = broad_reason(text, ["*.servicebus.windows.net"], 2)
    assert found is None or isinstance(found, str)


@pytest.mark.parametrize(
    ("destination", "category", "code"),
    [
        ("*.co.uk", "UserDefined", 1),
        ("*.servicebus.windows.net", "Required", 1),  # a service label exempts nothing (#6)
        ("*.contoso.co.uk", "UserDefined", 0),
        ("pypi.org", "Recommended", 0),
    ],
)
def test_live_and_snapshot_judge_alike(
    destination: str, category: str, code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    inst = approved_only(blueprint())
    fqdn_rule(inst, "egress", destination, category=category)
    rows = inst.rows()
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows))
    only = ["--rule", "AMLG-110", "--format", "json"]
    runner = CliRunner()
    with Emulator(rows) as emu:
        arg.install(emu)
        live_args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
        live = runner.invoke(cli, ["check", *only, *live_args])
    offline = runner.invoke(cli, ["check", *only, "--snapshot", str(snap)])
    assert live.exit_code == offline.exit_code == code, live.output
    assert json.loads(live.stdout)["findings"] == json.loads(offline.stdout)["findings"]
