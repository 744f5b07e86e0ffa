"""The client factory: clouds, custom endpoints, credentials, and no heavy imports for check."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from azure.mgmt.resourcegraph.models import QueryRequest

from amlguard import logs
from amlguard.azure.clients import (
    AzureSettings,
    ClientFactory,
    StaticTokenCredential,
    make_credential,
    validate,
)
from amlguard.errors import InputError
from tests.conftest import ROOT
from tests.emulator import arg
from tests.emulator.credentials import FakeCredential
from tests.emulator.server import Emulator


@pytest.mark.parametrize(
    ("cloud", "endpoint"),
    [
        ("AzureCloud", "https://management.azure.com"),
        ("azureusgovernment", "https://management.usgovcloudapi.net"),
        ("AzureChinaCloud", "https://management.chinacloudapi.cn"),
    ],
)
def test_cloud_picks_endpoint_and_token_scope(cloud: str, endpoint: str) -> None:
    settings = AzureSettings(cloud=cloud)
    assert settings.endpoint == endpoint
    assert settings.scope == f"{endpoint}/.default"


def test_custom_endpoint_wins_and_sets_the_scope() -> None:
    settings = AzureSettings(arm_endpoint="https://127.0.0.1:8443/")
    assert settings.endpoint == "https://127.0.0.1:8443"
    assert settings.scope == "https://127.0.0.1:8443/.default"


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        (AzureSettings(cloud="AzureGermany"), "unknown cloud"),
        (AzureSettings(arm_endpoint="http://127.0.0.1:1"), "https"),
        (AzureSettings(arm_endpoint="https://x", ca_bundle="/no/such/ca.pem"), "not found"),
    ],
)
def test_unusable_settings_are_input_errors(settings: AzureSettings, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        validate(settings)


def test_static_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", " secret-token \n")
    cred = make_credential(AzureSettings())
    assert isinstance(cred, StaticTokenCredential)
    assert cred.get_token("https://management.azure.com/.default").token == "secret-token"
    assert "secret" not in repr(cred)


def test_default_credential_when_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMLGUARD_ACCESS_TOKEN", raising=False)
    cred = make_credential(AzureSettings(tenant="72f988bf-86f1-41af-91ab-2d7cd011db47"))
    inner = getattr(cred, "_inner", cred)
    assert type(inner).__name__ == "DefaultAzureCredential"
    assert cred._tenant == "72f988bf-86f1-41af-91ab-2d7cd011db47"  # type: ignore[attr-defined]


def test_resource_graph_client_talks_to_the_endpoint_with_its_scope() -> None:
    cred = FakeCredential()
    with Emulator() as emu:
        arg.install(emu, subscriptions={"s1"})
        factory = ClientFactory(AzureSettings(arm_endpoint=emu.url, ca_bundle=emu.ca_path), cred)
        client = factory.resource_graph(retry_total=0)
        got = client.resources(QueryRequest(query="resourcecontainers | project id"))
        client.close()
    assert [r["id"] for r in got.data] == ["/subscriptions/s1"]
    assert (f"{emu.url}/.default",) in cred.scopes


def test_arm_pipeline_client_sends_bearer_and_follows_the_endpoint() -> None:
    from azure.core.rest import HttpRequest

    with Emulator(
        [{"id": "/subscriptions/s/resourceGroups/r/providers/A.B/c/d", "type": "a.b/c"}]
    ) as emu:
        factory = ClientFactory(
            AzureSettings(arm_endpoint=emu.url, ca_bundle=emu.ca_path), FakeCredential("tok")
        )
        with factory.arm_pipeline() as client:
            resp = client.send_request(
                HttpRequest(
                    "GET",
                    f"{emu.url}/subscriptions/s/resourceGroups/r/providers/A.B/c/d?api-version=1",
                )
            )
    assert resp.status_code == 200
    assert emu.journal[-1].headers["authorization"] == "Bearer tok"


def test_check_path_never_imports_azure_ai_ml_or_network() -> None:
    code = (
        "import sys, amlguard.cli, amlguard.app, amlguard.azure.clients, "
        "amlguard.scanner.sources.resourcegraph;"
        "heavy=[m for m in ('azure.ai.ml','azure.mgmt.network') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_log_redaction_blanks_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "opaque-secret")
    record = logging.LogRecord(
        "amlguard",
        logging.INFO,
        __file__,
        1,
        "h=%s t=%s",
        ("Bearer abc.def", "opaque-secret eyJa.eyJb.sig"),
        None,
    )
    logs.RedactTokens().filter(record)
    text = record.getMessage()
    assert "abc.def" not in text and "opaque-secret" not in text and "eyJa" not in text
    assert text.count("<redacted>") == 3


def test_authorization_and_network_clients_reach_the_endpoint() -> None:
    from tests.builders import blueprint

    inst = blueprint()
    with Emulator(inst.rows()) as emu:
        factory = ClientFactory(
            AzureSettings(arm_endpoint=emu.url, ca_bundle=emu.ca_path), FakeCredential()
        )
        ra = factory.authorization(inst.sub).role_assignments.get_by_id(
            inst.role_assignments[0]["id"]
        )
        pe = factory.network(inst.sub).private_endpoints.get(
            inst.rg, inst.endpoints["workspace"]["name"]
        )
    assert ra.principal_id == inst.principal_id
    assert pe.id.lower() == inst.endpoints["workspace"]["id"].lower()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # azure-ai-ml's marshmallow warnings
def test_ml_client_uses_a_unique_custom_cloud_and_forgets_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.builders import blueprint

    monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
    inst = blueprint()
    with Emulator(inst.rows()) as emu:
        factory = ClientFactory(
            AzureSettings(arm_endpoint=emu.url, ca_bundle=emu.ca_path), FakeCredential()
        )
        ml = factory.ml_client(inst.sub, inst.rg, inst.workspace["name"])
        ws = ml.workspaces.get(inst.workspace["name"])
        name = factory._ml_cloud
        other = ClientFactory(
            AzureSettings(arm_endpoint=emu.url, ca_bundle=emu.ca_path), FakeCredential()
        )
        other.ml_client(inst.sub, inst.rg, inst.workspace["name"])
        assert other._ml_cloud != name
        other.forget_ml_cloud()
        factory.forget_ml_cloud()
    from azure.ai.ml import _azure_environments

    assert ws.name == inst.workspace["name"]
    assert emu.requests("GET", "workspaces")[0].api_version == "2024-10-01-preview"
    assert name not in _azure_environments._environments
