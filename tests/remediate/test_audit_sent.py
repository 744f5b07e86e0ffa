"""The audit log (redteam7 #10): a successful write carries no ``error`` (its note is
``detail``), and the request body logged is the one sent (the Application Insights fix PUTs the
whole component it read), credentials redacted; through the real SDK clients and the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.remediate.audit import scrub
from tests.builders import blueprint
from tests.builders_integrations import hardened
from tests.emulator import integrations
from tests.emulator.server import Emulator
from tests.remediate.conftest import EmulatorSource

CREDENTIAL = "InstrumentationKey=0d8e7f6a-1111-2222-3333-444455556666;IngestionEndpoint=https://x"


def _estate() -> list[dict[str, Any]]:
    """App Insights public behind a ready AMPLS, the registry's admin user on; the component
    carries a credential in a tag and a writable property, as a careless team might."""
    inst = hardened(blueprint())
    props = inst.insights["properties"]
    props.update(
        publicNetworkAccessForIngestion="Enabled",
        publicNetworkAccessForQuery="Enabled",
        RetentionInDays=90,
        ConnectionString=CREDENTIAL,
        InstrumentationKey="0d8e7f6a-1111-2222-3333-444455556666",
    )
    inst.insights["tags"] = {"owner": "ml-team", "diagnostics": CREDENTIAL}
    inst.registry["properties"]["adminUserEnabled"] = True
    return inst.rows()


def _fix(emu: Emulator, clients: Any, audit: Path) -> Any:
    """``check --fix --yes --audit-log`` for AMLG-250 and AMLG-224 (opt-in hardening rules)."""
    from io import StringIO

    from rich.console import Console

    from amlguard.remediate import fix
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions

    pack = load_pack([])
    rules = [r for r in pack.rules if r.id in ("AMLG-224", "AMLG-250")]
    prepared = fix.prepare(EmulatorSource(emu), pack, rules, ScanOptions(), [], clients.get)
    console = Console(file=StringIO(), width=160)
    opts = fix.FixOptions(only=[], dry_run=False, yes=True, audit_log=audit)
    fix.fix_after_scan(prepared, opts, clients, console, lambda: False, None)
    return console.file.getvalue()


def test_success_has_detail_not_error_and_logs_the_body_sent(
    fix_emu: tuple[Emulator, Any], make_clients: Any, tmp_path: Path
) -> None:
    emu, _ = fix_emu
    emu.load(_estate())
    integrations.register(emu)
    audit = tmp_path / "audit.jsonl"
    text = _fix(emu, make_clients(emu), audit)
    assert audit.exists(), text
    lines = {x["operation"]: x for x in map(json.loads, audit.read_text().splitlines())}
    component = lines["disable-public-ingestion-query"]
    assert component["outcome"] == "done" and "error" not in component
    assert component["detail"] == "updated"
    (put,) = emu.requests("PUT", contains="Microsoft.Insights/components")
    logged = component["request"]["body"]
    assert logged["properties"]["RetentionInDays"] == 90  # the whole body, not two properties
    assert logged == {**put.body, "tags": {"owner": "ml-team", "diagnostics": "<redacted>"}}
    assert component["request"]["method"] == "PUT"
    registry = lines["disable-registry-admin-user"]
    assert "error" not in registry and registry["detail"] == "patched"
    (patch,) = emu.requests("PATCH", contains="Microsoft.ContainerRegistry")
    assert registry["request"]["body"] == patch.body == {"properties": {"adminUserEnabled": False}}
    assert "0d8e7f6a" not in audit.read_text()


_KEYS = st.sampled_from(
    ["name", "id", "principalId", "connectionString", "primaryKey", "accountKey", "password",
     "sasToken", "clientSecret", "keySource", "tags", "properties", "InstrumentationKey"]
)  # fmt: skip
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(
        [
            "76951df0-1ea1-5d9d-9d7a-209c4992c3e9",
            "Disabled",
            CREDENTIAL,
            "eyJhbGciOi.eyJzdWIiOi.c2ln",
        ]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


def _leaves(value: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, k)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v, key)]
    return [(key, value)]


@settings(derandomize=True, max_examples=150, deadline=None)
@given(_VALUES)
def test_scrub_leaves_no_credential_and_keeps_everything_else(value: Any) -> None:
    cleaned = scrub(value)
    text = json.dumps(cleaned)
    assert "InstrumentationKey=" not in text and "eyJhbGciOi" not in text
    secret_named = {"connectionString", "primaryKey", "accountKey", "password", "sasToken",
                    "clientSecret", "InstrumentationKey"}  # fmt: skip
    for key, leaf in _leaves(cleaned):
        if key in secret_named:
            assert leaf in (None, "<redacted>")
        elif isinstance(leaf, str) and leaf != "<redacted>":
            assert leaf in ("76951df0-1ea1-5d9d-9d7a-209c4992c3e9", "Disabled")
    assert json.dumps(scrub(cleaned)) == text  # idempotent
