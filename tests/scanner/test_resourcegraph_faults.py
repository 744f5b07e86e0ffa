"""The live source fails closed: throttling is absorbed, anything unreadable becomes a gap."""

from __future__ import annotations

import copy

from amlguard.app import exit_code
from amlguard.errors import EXIT_INCOMPLETE, EXIT_OK
from amlguard.scanner.model import Severity, Status
from amlguard.scanner.sources.query import RetrySettings
from tests.builders import blueprint, rid
from tests.emulator import arg
from tests.emulator.live import scan, source
from tests.emulator.server import Emulator, Fault
from tests.make_examples import SUB_A, SUB_B

ARG = r"Microsoft\.ResourceGraph/resources"


def _cross_subscription_estate() -> list[dict]:
    """An instance in SUB_A whose storage account lives in SUB_B."""
    inst = blueprint(SUB_A)
    moved = copy.deepcopy(inst.storage)
    moved["id"] = rid(SUB_B, "shared", "Microsoft.Storage/storageAccounts", "sharedst")
    moved["subscriptionId"], moved["resourceGroup"] = SUB_B, "shared"
    inst.workspace["properties"]["storageAccount"] = moved["id"]
    rows = [r for r in inst.rows() if r["id"] != inst.storage["id"]]
    return [*rows, moved]


def _errors(result) -> list:  # type: ignore[no-untyped-def]
    return [f for f in result.findings if f.status is Status.ERROR]


def test_quota_pacing_avoids_429s_on_a_tight_quota_with_concurrent_batches() -> None:
    rows = [
        r for i in range(4) for r in blueprint(f"00000000-0000-4000-8000-00000000000{i}").rows()
    ]
    with Emulator(rows) as emu:
        graph = arg.install(emu, quota=4, window=0.25)
        result = scan(source(emu, batch_size=1))  # 4 batches x 4 queries, 4 at a time
    assert graph.throttled == 0
    assert result.source.stats["throttled"] == 0
    assert result.source.stats["resource_graph_requests"] == 1 + 4 * 4
    assert result.source.complete


def test_throttling_without_retry_after_completes_without_a_user_visible_error() -> None:
    with Emulator(blueprint().rows()) as emu:
        arg.install(emu)
        quota_only = {
            "x-ms-user-quota-remaining": "0",
            "x-ms-user-quota-resets-after": "00:00:00.0500000",
        }
        emu.add_fault(
            Fault(
                "POST",
                ARG,
                429,
                headers=quota_only,
                body={"error": {"code": "RateLimiting", "message": "x"}},
            )
        )
        emu.add_fault(Fault("POST", ARG, 429, times=2))  # no header at all: our own backoff
        result = scan(source(emu))
    assert result.source.stats["throttled"] == 3
    assert result.source.complete and not _errors(result)
    assert exit_code(result, Severity.LOW) == EXIT_OK


def test_throttling_with_retry_after_is_honoured() -> None:
    with Emulator(blueprint().rows()) as emu:
        arg.install(emu)
        emu.add_fault(Fault("POST", ARG, 429, headers={"Retry-After": "0.05"}, times=2))
        result = scan(source(emu))
    assert result.source.stats["throttled"] == 2
    assert result.source.complete


def test_transient_errors_and_a_dropped_connection_are_retried() -> None:
    with Emulator(blueprint().rows()) as emu:
        arg.install(emu)
        emu.add_fault(Fault("POST", ARG, 503))
        emu.add_fault(Fault("POST", ARG, drop=True))
        result = scan(source(emu))
    assert result.source.stats["retries"] == 2
    assert result.source.complete


def test_persistent_failure_is_a_gap_and_every_finding_an_error() -> None:
    with Emulator(blueprint().rows()) as emu:
        arg.install(emu)
        emu.add_fault(Fault("POST", ARG, 500, times=100, body_re="authorizationresources"))
        result = scan(source(emu))
    assert not result.source.complete
    reason = result.source.gaps[0].reason
    assert "role assignments query" in reason and "still failed after 3 retries" in reason
    assert result.findings and all(f.status is Status.ERROR for f in result.findings)
    assert all(reason in f.message for f in result.findings)
    assert exit_code(result, Severity.LOW) == EXIT_INCOMPLETE


def test_budget_bounds_the_wait_for_throttling() -> None:
    with Emulator(blueprint().rows()) as emu:
        arg.install(emu)
        emu.add_fault(
            Fault(
                "POST", ARG, 429, headers={"Retry-After": "60"}, body_re="resources \\| where type"
            )
        )
        result = scan(source(emu, retry=RetrySettings(budget=2.0, backoff_base=0.01)))
    assert "time budget" in result.source.gaps[0].reason


def test_explicit_forbidden_subscription_is_a_gap_naming_it() -> None:
    with Emulator(_cross_subscription_estate()) as emu:
        arg.install(emu, forbidden={SUB_B})
        result = scan(source(emu, subscriptions=(SUB_A, SUB_B)))
    assert [g.scope for g in result.source.gaps] == [SUB_B]
    errors = _errors(result)
    assert errors and all(SUB_B in f.message for f in errors)
    on_storage = [f for f in errors if "sharedst" in f.resource_id]
    assert on_storage and all("cannot be read" in f.message for f in on_storage)
    # Findings wholly inside the readable subscription are still judged.
    assert any(f.status is Status.PASS for f in result.findings)
    assert exit_code(result, Severity.LOW) == EXIT_INCOMPLETE


def test_forbidden_subscription_of_a_referenced_resource_is_a_gap() -> None:
    with Emulator(_cross_subscription_estate()) as emu:
        arg.install(emu, forbidden={SUB_B})
        result = scan(source(emu))  # default scope: SUB_B is invisible, until referenced
    assert [g.scope for g in result.source.gaps] == [SUB_B]
    assert "forbidden" in result.source.gaps[0].reason
    assert any("sharedst" in f.resource_id for f in _errors(result))


def test_truncated_result_is_a_gap() -> None:
    truncated = {"totalRecords": 5000, "count": 0, "resultTruncated": "true", "data": []}
    with Emulator(blueprint().rows()) as emu:
        arg.install(emu)
        emu.add_fault(Fault("POST", ARG, 200, body=truncated, body_re="resources \\| where type"))
        result = scan(source(emu))
    assert "truncated" in result.source.gaps[0].reason
    assert exit_code(result, Severity.LOW) == EXIT_INCOMPLETE


def test_tenant_subscription_limit_header_is_a_gap() -> None:
    rows = blueprint(SUB_A).rows() + blueprint(SUB_B, prefix="b").rows()
    with Emulator(rows) as emu:
        arg.install(emu, subscription_limit=1)
        result = scan(source(emu))
    assert "x-ms-tenant-subscription-limit-hit" in result.source.gaps[0].reason
    assert result.source.gaps[0].scope == ""


def test_unreadable_zone_groups_are_a_gap_for_their_subscription() -> None:
    with Emulator(blueprint(SUB_A).rows()) as emu:
        arg.install(emu)
        emu.add_fault(
            Fault(
                "GET",
                "privateDnsZoneGroups",
                403,
                body={"error": {"code": "AuthorizationFailed", "message": "no"}},
            )
        )
        result = scan(source(emu))
    assert result.source.gaps[0].scope == SUB_A
    assert "AuthorizationFailed" in result.source.gaps[0].reason


def test_silently_dropped_subscription_of_a_referenced_resource_is_a_gap() -> None:
    # Resource Graph drops an unreadable subscription without a 403 when the same request
    # names a readable one: the storage in SUB_B vanishes, the search service in SUB_C comes.
    sub_c = "0c0c0c0c-0000-4000-8000-000000000000"
    rows = _cross_subscription_estate()
    ws = next(r for r in rows if r["type"] == "microsoft.machinelearningservices/workspaces")
    search_id = rid(sub_c, "shared", "Microsoft.Search/searchServices", "srch")
    ws["properties"]["managedNetwork"]["outboundRules"]["allowSearch"] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "destination": {"serviceResourceId": search_id, "subresourceTarget": "searchService"},
    }
    rows.append({"id": search_id, "type": "microsoft.search/searchservices", "properties": {}})
    with Emulator(rows) as emu:
        arg.install(emu, forbidden={SUB_B})
        result = scan(source(emu, subscriptions=(SUB_A,)))
    assert [g.scope for g in result.source.gaps] == [SUB_B]
    assert "no read access" in result.source.gaps[0].reason
    assert search_id in result.instances[0].integrated


class _NoToken:
    def get_token(self, *scopes: str, **kw: object) -> object:
        from azure.core.exceptions import ClientAuthenticationError

        raise ClientAuthenticationError("no credential available: sign in first")


def test_authentication_failure_is_a_scan_error_with_the_cause() -> None:
    import pytest

    from amlguard.errors import ScanError
    from amlguard.scanner.sources.resourcegraph import LiveOptions, ResourceGraphSource
    from tests.emulator.live import FAST_RETRY, factory

    with Emulator(blueprint().rows()) as emu:
        arg.install(emu)
        src = ResourceGraphSource(factory(emu, _NoToken()), options=LiveOptions(retry=FAST_RETRY))
        with pytest.raises(ScanError, match="sign in first"):
            scan(src)
        emu.add_fault(
            Fault(
                "POST",
                ARG,
                401,
                body={"error": {"code": "InvalidAuthenticationToken", "message": "expired"}},
            )
        )
        with pytest.raises(ScanError, match="InvalidAuthenticationToken"):
            scan(source(emu))
