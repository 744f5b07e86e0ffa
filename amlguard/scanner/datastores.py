"""Storage an instance integrates through data: its datastores and storage connections
(real-estates 2b, AMLG-203), and the private link group ids it reaches each one through.

A datastore (``.../workspaces/{ws}/datastores/{name}``, read through ARM: Resource Graph does
not index it) names its storage account by ``accountName`` (plus ``subscriptionId`` and
``resourceGroup`` when set); storage account names are unique in a cloud, so a name alone finds
the account in the inventory. A connection or outbound rule may name a storage sub-resource
(``.../storageAccounts/{a}/blobServices/default/containers/{c}``, a feature store's offline
store): it stands for the account. A connection may name its storage only by URL
(``abfss://c@acct.dfs.core.windows.net/...``, :mod:`amlguard.scanner.storageurl`): the account
is the storage row of that name when the URL's suffix is the cloud's; one the inventory lacks
is kept as ``https://<host>`` with the reason :func:`unresolved_reason` gives, so the rule
reports it as an error naming it instead of dropping it. A feature store's feature set
versions name their storage by URL, storage id or datastore URI
(:mod:`amlguard.scanner.featuresets`); one whose path names no storage amlguard can judge is kept
as the version's id with the reason, an error naming the feature set. Only these are read;
credentials and URL paths or tokens never are.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext
from amlguard.scanner.featuresets import (
    FEATURE_STORE_KIND,
    FEATURESET_VERSION,
    SpecPath,
    parse_spec_path,
    spec_path_of,
)
from amlguard.scanner.integration import connections_by_workspace
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.outbound_sources import children_of, outbound_rules
from amlguard.scanner.paths import get_key
from amlguard.scanner.storageurl import StorageUrl, parse_storage_url, storage_suffix
from amlguard.scanner.workspace_sources import printable

DATASTORE = "microsoft.machinelearningservices/workspaces/datastores"
STORAGE = "microsoft.storage/storageaccounts"
#: datastore type (lower-case) -> the storage group id it is reached through
DATASTORE_GROUPS = {"azureblob": "blob", "azuredatalakegen2": "dfs", "azurefile": "file"}
_STORAGE_MARKER = "/providers/microsoft.storage/storageaccounts/"


def _props(row: Any) -> dict[str, Any]:
    p = get_key(row, "properties") if isinstance(row, dict) else None
    return p if isinstance(p, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def storage_account_of(resource_id: str) -> str:
    """The storage account id a storage (sub-)resource id names; "" for other ids."""
    low = resource_id.lower()
    i = low.find(_STORAGE_MARKER)
    if not low.startswith("/subscriptions/") or i < 0:
        return ""
    rest = resource_id[i + len(_STORAGE_MARKER) :].split("/", 1)[0]
    return resource_id[: i + len(_STORAGE_MARKER)] + rest if rest else ""


def _by_name(inv: Inventory) -> dict[str, str]:
    memo = inv.memo.setdefault("storageByName", {})
    if not memo:
        memo[""] = ""
        for row in inv.of_type(STORAGE):
            memo.setdefault(str(row.get("name") or "").lower(), str(row["id"]))
    return memo


def datastore_target(inv: Inventory, datastore: Row) -> tuple[str, str] | None:
    """(storage account id, group id) a datastore reads, or None when it names no storage
    account (a Data Lake Gen1 store, OneLake). The account is looked up by name (unique in a
    cloud); one the scan lacks gets the id the datastore implies (its subscriptionId and
    resourceGroup, by default the workspace's), so it is judged missing, never skipped."""
    named = named_account(datastore)
    if named is None:
        return None
    account, group, implied = named
    found = _by_name(inv).get(account.lower())
    if found:
        return found, group
    # Named but not in the scan: judged as missing (error), never skipped.
    return (implied, group) if implied else None


def named_account(datastore: Row) -> tuple[str, str, str] | None:
    """(storage account name, group id, the account id the datastore implies: its
    subscriptionId and resourceGroup, by default the workspace's, or "") of a datastore that
    names a storage account; None for any other (a live scan reads the implied id)."""
    props = _props(datastore)
    group = DATASTORE_GROUPS.get(_text(get_key(props, "datastoreType")).lower())
    account = _text(get_key(props, "accountName"))
    if group is None or not account or "/" in account:
        return None
    sub, rg = _text(get_key(props, "subscriptionId")), _text(get_key(props, "resourceGroup"))
    if not (sub and rg):
        # Without them the service looks in the workspace's own subscription and group.
        parent = ids.parse(ids.parent_of_child(str(datastore.get("id") or ""), "datastores"))
        sub, rg = sub or parent.subscription_id, rg or parent.resource_group
    implied = (
        f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/"
        f"{account}"
        if sub and rg
        else ""
    )
    return account, group, implied


#: ``inv.memo`` key of the cloud a scan judges in (``{"name": cloud}``, set by the engine;
#: AzureCloud otherwise)
CLOUD_MEMO = "cloud"
_UNRESOLVED = "unresolvedStorageUrls"
_URL_GROUPS = {"blob", "dfs", "file", "queue", "table"}


def unresolved_reason(inv: Inventory, target_id: str) -> str | None:
    """Why ``target_id`` (an ``https://<host>`` :func:`data_storage` returned) names no row:
    the storage account its URL names is not in the inventory; None for any other id."""
    memo = inv.memo.get(_UNRESOLVED) or {}
    return memo.get(ids.norm(target_id))


def _connection_words(conn: Row) -> str:
    return (
        f"connection {ids.short_name(str(conn.get('id') or ''))} of workspace "
        f"{ids.short_name(ids.parent_of_child(str(conn.get('id') or ''), 'connections'))}"
    )


def _url_account(
    inv: Inventory, url: StorageUrl, where: str, fix: str = "the connection's target"
) -> str:
    """The storage row id a URL names, else ``https://<host>`` with its reason recorded
    (``where`` says what names it, e.g. "connection c of workspace w"; ``fix`` what to fix)."""
    cloud = str((inv.memo.get(CLOUD_MEMO) or {}).get("name") or "AzureCloud")
    suffix = storage_suffix(cloud)
    found = _by_name(inv).get(url.account) if not suffix or url.suffix == suffix else None
    if found:
        return found
    if suffix and url.suffix != suffix:
        why = f"its endpoint suffix {url.suffix} is not the storage suffix of {cloud} ({suffix})"
    else:
        why = "outside the scan scope or deleted"
    inv.memo.setdefault(_UNRESOLVED, {})[ids.norm(url.endpoint)] = (
        f"storage account {url.account} that {where} names by URL ({url.endpoint}) is not in "
        f"the scanned inventory ({why}); include its subscription in the scan, or fix {fix}"
    )
    return url.endpoint


def data_storage(inv: Inventory, workspace_ids: list[str]) -> list[tuple[str, str]]:
    """(storage account id, group id) of every datastore, and of every connection or user
    PrivateEndpoint rule naming a storage sub-resource or a storage URL, of these workspaces;
    in order. A URL naming an account the inventory lacks gives ``https://<host>``."""
    out: list[tuple[str, str]] = []
    conns = connections_by_workspace(inv)
    for ws in workspace_ids:
        for store in children_of(inv, ws, DATASTORE, "datastores"):
            target = datastore_target(inv, store)
            if target:
                out.append(target)
        for conn in sorted(conns.get(ids.norm(ws), []), key=lambda c: ids.norm(c["id"])):
            props = _props(conn)
            group = _group_of_category(get_key(props, "category"))
            for named in (
                get_key(props, "target"),
                get_key(get_key(props, "metadata"), "ResourceId"),
            ):
                account = storage_account_of(_text(named))
                if account:
                    out.append((account, group))
                    continue
                url = parse_storage_url(named)
                if url is not None:
                    by_url = group if url.service not in _URL_GROUPS else url.service
                    out.append((_url_account(inv, url, _connection_words(conn)), by_url))
        out += feature_set_storage(inv, ws)
    return out


def _version_words(version: Row) -> str:
    vid = str(version.get("id") or "")
    featureset = ids.parent_of_child(vid, "versions")
    return (
        f"feature set {ids.short_name(featureset)} version {ids.short_name(vid)} of feature store "
        f"{ids.short_name(ids.parent_of_child(featureset, 'featuresets'))}"
    )


def _unjudgeable(inv: Inventory, version: Row, why: str) -> tuple[str, str]:
    """The version's own id as a target that names no storage row, with ``why`` as its reason
    (an ``error`` finding naming the feature set, never a pass)."""
    vid = str(version.get("id") or "")
    inv.memo.setdefault(_UNRESOLVED, {})[ids.norm(vid)] = (
        f"{_version_words(version)} {why}; amlguard cannot tell whether that storage is private"
    )
    return vid, "blob"


def feature_set_storage(inv: Inventory, workspace_id: str) -> list[tuple[str, str]]:
    """(storage account id, group id) of every feature set version of a scanned feature store
    (kind FeatureStore; [] for other workspaces), from its ``specification.path``. A path of no
    known shape, or naming a datastore the scan lacks or one on no storage account, gives the
    version's id with a reason (:func:`unresolved_reason`)."""
    ws_row = inv.get(workspace_id)
    kind = ws_row.get("kind") if ws_row else None
    if not isinstance(kind, str) or kind.strip().lower() != FEATURE_STORE_KIND:
        return []
    out: list[tuple[str, str]] = []
    for version in children_of(inv, workspace_id, FEATURESET_VERSION, "featuresets"):
        raw = spec_path_of(version)
        spec = parse_spec_path(raw)
        if spec is None:
            shown = printable_path(raw)
            why = (
                "names no specification path (properties.specification.path is absent)"
                if shown is None
                else f"has a specification path of no storage shape amlguard knows ({shown})"
            )
            out.append(_unjudgeable(inv, version, why))
        else:
            out.append(_spec_storage(inv, workspace_id, version, spec))
    return out


def _spec_storage(
    inv: Inventory, workspace_id: str, version: Row, spec: SpecPath
) -> tuple[str, str]:
    if spec.url is not None:
        group = spec.url.service if spec.url.service in _URL_GROUPS else "blob"
        where, fix = _version_words(version), "the feature set's specification path"
        return _url_account(inv, spec.url, where, fix), group
    if spec.account_id:
        return spec.account_id, "blob"
    owner = spec.workspace_id or workspace_id
    store_id = f"{owner}/datastores/{spec.datastore}"
    store = inv.get(store_id)
    if store is None:
        return _unjudgeable(
            inv,
            version,
            f"names datastore {spec.datastore} of workspace {ids.short_name(owner)}, which is "
            "not in the scanned inventory (outside the scan scope or deleted)",
        )
    target = datastore_target(inv, store)
    if target is None:
        kind = _text(get_key(_props(store), "datastoreType")) or "unknown"
        return _unjudgeable(
            inv,
            version,
            f"names datastore {spec.datastore} (type {kind[:40]}), which is on no Azure storage "
            "account",
        )
    return target


def printable_path(value: Any) -> str | None:
    """A version's path as a report may show it: without query or user info, bounded; None
    when there is no path at all."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        return f"a {type(value).__name__}, not a string"
    text = value.strip().split("?", 1)[0].split("#", 1)[0]
    scheme, sep, rest = text.partition("://")
    if sep:
        authority, slash, path = rest.partition("/")
        text = f"{scheme}://{authority.rsplit('@', 1)[-1]}{slash}{path}"
    return printable(text, 200)


def _group_of_category(category: Any) -> str:
    """The storage group a connection category reaches (Data Lake Gen2: dfs; else blob)."""
    text = _text(category).lower()
    if "gen2" in text or "datalake" in text:
        return "dfs"
    if "file" in text:
        return "file"
    return "blob"


@related_source("integrationGroups")
def integration_groups(ctx: EvalContext) -> list[Any]:
    """The private link group ids the instance reaches the judged resource through: the
    subresourceTarget of its PrivateEndpoint outbound rules to it (of the workspace and a hub's
    projects), and the groups its datastores and connections use; ``blob`` when none says."""
    inst = ctx.instance
    if inst is None:
        return []
    target = ids.norm(str(ctx.resource["id"]))
    members = [inst.workspace, *inst.projects]
    groups: dict[str, str] = {}
    for ws in members:
        for rule in outbound_rules(ws).values():
            dest = get_key(rule, "destination") if isinstance(rule, dict) else None
            if _text(get_key(rule, "type")).lower() != "privateendpoint" or not isinstance(
                dest, dict
            ):
                continue
            named = _text(get_key(dest, "serviceResourceId"))
            if ids.norm(storage_account_of(named) or named) == target:
                group = _text(get_key(dest, "subresourceTarget"))
                if group:
                    groups.setdefault(group.lower(), group)
    for account, group in data_storage(ctx.inventory, [str(w["id"]) for w in members]):
        if ids.norm(account) == target:
            groups.setdefault(group, group)
    if not groups:
        groups["blob"] = "blob"
    return [{"name": g} for _, g in sorted(groups.items())]
