"""Where a feature store's feature sets keep their data (AMLG-203: "feature-store source
stores"), as ARM tells it.

A feature set (``.../workspaces/{fs}/featuresets/{name}``) has versions
(``.../featuresets/{name}/versions/{v}``); ARM returns one location per version,
``properties.specification.path`` (``FeaturesetSpecification.path`` in the
Microsoft.MachineLearningServices spec, api-version 2024-10-01): the folder of the feature set
specification, which the materialization jobs of the feature store read together with the source
it names. The source path inside that specification is data-plane content ARM does not return.

A path is one of (case-insensitive scheme and path segments):

- a storage URL (``abfss://c@acct.dfs.core.windows.net/p``, ``wasbs://...``, ``https://...``;
  :mod:`amlguard.scanner.storageurl`);
- an ARM id of a storage account or of one of its sub-resources (a container);
- a datastore URI: ``azureml://datastores/{name}/paths/{path}`` (a datastore of the feature store
  itself) or ``azureml://subscriptions/{s}/resourcegroups/{rg}/workspaces/{ws}/datastores/{name}
  /paths/{path}`` (of that workspace).

Anything else (a data asset ``azureml:name:1``, a local path, OneLake, another service's URL) is
no known storage shape: :func:`parse_spec_path` returns None and the caller reports an error
naming the feature set, never a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from amlguard.scanner.storageurl import MAX_URL, StorageUrl, parse_storage_url

FEATURESET = "microsoft.machinelearningservices/workspaces/featuresets"
FEATURESET_VERSION = "microsoft.machinelearningservices/workspaces/featuresets/versions"
FEATURE_STORE_KIND = "featurestore"
_STORAGE_MARKER = "/providers/microsoft.storage/storageaccounts/"

_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}"
_TAIL = r"(?:/paths(?:/[^?#]*)?|/?)"
_SHORT = re.compile(r"azureml://datastores/(?P<ds>" + _NAME + r")" + _TAIL, re.I)
_LONG = re.compile(
    r"azureml://subscriptions/(?P<sub>[^/?#\s]+)/resourcegroups/(?P<rg>[^/?#\s]+)"
    r"/(?:providers/microsoft\.machinelearningservices/)?workspaces/(?P<ws>[^/?#\s]+)"
    r"/datastores/(?P<ds>" + _NAME + r")" + _TAIL,
    re.I,
)


@dataclass(frozen=True, slots=True)
class SpecPath:
    """What a feature set version's path names: a storage URL, a storage account id, or a
    datastore (``workspace_id`` empty: of the feature store itself)."""

    url: StorageUrl | None = None
    account_id: str = ""
    datastore: str = ""
    workspace_id: str = ""


def _account_of_id(text: str) -> str:
    low = text.lower()
    i = low.find(_STORAGE_MARKER)
    if not low.startswith("/subscriptions/") or i < 0:
        return ""
    name = text[i + len(_STORAGE_MARKER) :].split("/", 1)[0]
    return text[: i + len(_STORAGE_MARKER)] + name if name else ""


def parse_spec_path(text: Any) -> SpecPath | None:
    """The storage a feature set version's path names; None for any other shape (never raises).
    Only names come back: path segments, queries (a SAS token) and user info never do."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > MAX_URL or any(ord(c) < 0x21 for c in text):
        return None
    if text.lower().startswith("azureml://"):
        text = text.split("?", 1)[0].split("#", 1)[0]
        short = _SHORT.fullmatch(text)
        if short:
            return SpecPath(datastore=short.group("ds"))
        long = _LONG.fullmatch(text)
        if long:
            ws = (
                f"/subscriptions/{long.group('sub')}/resourceGroups/{long.group('rg')}/providers/"
                f"Microsoft.MachineLearningServices/workspaces/{long.group('ws')}"
            )
            return SpecPath(datastore=long.group("ds"), workspace_id=ws)
        return None
    account = _account_of_id(text)
    if account:
        return SpecPath(account_id=account)
    url = parse_storage_url(text)
    return SpecPath(url=url) if url is not None else None


def spec_path_of(version: Any) -> Any:
    """``properties.specification.path`` of a version row (None when absent or malformed)."""
    props = version.get("properties") if isinstance(version, dict) else None
    spec = props.get("specification") if isinstance(props, dict) else None
    if not isinstance(spec, dict):
        return None
    for key, value in spec.items():
        if isinstance(key, str) and key.lower() == "path":
            return value
    return None
