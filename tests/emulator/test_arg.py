"""The emulator's Resource Graph endpoint, through the real SDK client."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from tests.builders import blueprint
from tests.emulator import arg
from tests.emulator.credentials import FakeCredential
from tests.emulator.server import Emulator


def _client(emu: Emulator) -> ResourceGraphClient:
    return ResourceGraphClient(
        FakeCredential(),  # type: ignore[arg-type]
        base_url=emu.url,
        connection_verify=emu.ca_path,
        credential_scopes=[f"{emu.url}/.default"],
        retry_total=0,
    )


def test_where_and_project_run_against_the_state() -> None:
    inst = blueprint()
    with Emulator(inst.rows()) as emu:
        arg.install(emu)
        got = _client(emu).resources(
            QueryRequest(
                query="resources | where type =~ 'Microsoft.KeyVault/vaults' and name == '"
                + inst.keyvault["name"]
                + "' | project id, name"
            )
        )
    assert got.data == [{"id": inst.keyvault["id"], "name": inst.keyvault["name"]}]


def test_paging_honours_top_and_skip_token() -> None:
    inst = blueprint()
    with Emulator(inst.rows()) as emu:
        arg.install(emu)
        client = _client(emu)
        seen, token, pages = [], None, 0
        while True:
            page = client.resources(
                QueryRequest(
                    query="resources | project id",
                    options=QueryRequestOptions(top=7, skip_token=token),
                )
            )
            pages += 1
            assert page.count <= 7
            seen += [r["id"] for r in page.data]
            token = page.skip_token
            if not token:
                break
    assert len(seen) == len(set(seen)) == page.total_records
    assert pages == -(-page.total_records // 7)


def test_no_id_projected_means_no_skip_token_and_truncation() -> None:
    with Emulator(blueprint().rows()) as emu:
        arg.install(emu)
        page = _client(emu).resources(
            QueryRequest(query="resources | project name", options=QueryRequestOptions(top=2))
        )
    assert page.skip_token is None and page.result_truncated == "true"


@pytest.mark.parametrize(
    "query",
    [
        "resources | summarize count()",
        "securityresources",
        "resources | where type has 'x'",
        "resources | project zonez",
    ],
)
def test_anything_outside_the_subset_is_a_400(query: str) -> None:
    with Emulator() as emu:
        arg.install(emu)
        with pytest.raises(HttpResponseError) as err:
            _client(emu).resources(QueryRequest(query=query))
    assert err.value.status_code == 400


def test_quota_headers_and_a_real_429_when_exceeded() -> None:
    with Emulator(blueprint().rows()) as emu:
        graph = arg.install(emu, quota=2, window=30)
        client = _client(emu)
        first = client.resources(
            QueryRequest(query="resources | project id"),
            cls=lambda r, d, h: r.http_response.headers,
        )
        client.resources(QueryRequest(query="resources | project id"))
        with pytest.raises(HttpResponseError) as err:
            client.resources(QueryRequest(query="resources | project id"))
    assert first["x-ms-user-quota-remaining"] == "1"
    assert first["x-ms-user-quota-resets-after"].startswith("00:00:")
    assert err.value.status_code == 429 and "Retry-After" not in err.value.response.headers
    assert graph.throttled == 1


def test_forbidden_subscriptions_are_403_alone_and_hidden_in_company() -> None:
    a, b = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    with Emulator(blueprint(a).rows() + blueprint(b, prefix="b").rows()) as emu:
        arg.install(emu, forbidden={b})
        client = _client(emu)
        with pytest.raises(HttpResponseError) as err:
            client.resources(QueryRequest(subscriptions=[b], query="resources | project id"))
        mixed = client.resources(
            QueryRequest(
                subscriptions=[a, b],
                query="resources | project id, subscriptionId",
                options=QueryRequestOptions(top=1000),
            )
        )
        tenant = client.resources(QueryRequest(query="resourcecontainers | project id"))
    assert err.value.status_code == 403
    assert {r["subscriptionId"] for r in mixed.data} == {a}
    assert [r["id"] for r in tenant.data if r["id"].count("/") == 2] == [f"/subscriptions/{a}"]


def test_management_groups_scope_their_subscriptions() -> None:
    a, b = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    with Emulator(blueprint(a).rows() + blueprint(b, prefix="b").rows()) as emu:
        arg.install(emu, management_groups={"mg1": [b]})
        client = _client(emu)
        got = client.resources(
            QueryRequest(
                management_groups=["MG1"],
                query="resources | project subscriptionId, id",
                options=QueryRequestOptions(top=1000),
            )
        )
        with pytest.raises(HttpResponseError) as err:
            client.resources(
                QueryRequest(management_groups=["nope"], query="resources | project id")
            )
    assert {r["subscriptionId"] for r in got.data} == {b}
    assert err.value.status_code == 403
