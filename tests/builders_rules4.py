"""Builders of feature stores with feature sets (AMLG-203 "feature-store source stores"), over
``builders.blueprint``, in the shape the ARM lists return."""

from __future__ import annotations

from typing import Any

from tests.builders import Instance, Row, row


def feature_store(inst: Instance) -> Instance:
    """Make ``inst``'s workspace a feature store (kind FeatureStore)."""
    inst.workspace["kind"] = "FeatureStore"
    return inst


def feature_set_version(
    inst: Instance, name: str, path: Any, version: str = "1", *, archived: bool = False
) -> Row:
    """A feature set ``name`` of ``inst``'s workspace (added once) with a version whose
    ``specification.path`` is ``path`` (``None``: no specification at all)."""
    ws = inst.workspace
    set_id = f"{ws['id']}/featuresets/{name}"
    if not any(r["id"] == set_id for r in inst.extra):
        inst.extra.append(
            row(
                set_id,
                "microsoft.machinelearningservices/workspaces/featuresets",
                ws["location"],
                {"description": name, "isArchived": False, "latestVersion": version},
            )
        )
    props: dict[str, Any] = {
        "isArchived": archived,
        "isAnonymous": False,
        "entities": ["azureml:account:1"],
        "stage": "Production",
        "materializationSettings": {"storeType": "Offline"},
        "provisioningState": "Succeeded",
    }
    if path is not None:
        props["specification"] = {"path": path}
    out = row(
        f"{set_id}/versions/{version}",
        "microsoft.machinelearningservices/workspaces/featuresets/versions",
        ws["location"],
        props,
    )
    inst.extra.append(out)
    return out


def datastore_uri(name: str, workspace_id: str = "") -> str:
    """``azureml://`` URI of a datastore path (long form when ``workspace_id`` is given)."""
    if not workspace_id:
        return f"azureml://datastores/{name}/paths/featuresets/spec"
    parts = workspace_id.split("/")
    return (
        f"azureml://subscriptions/{parts[2]}/resourcegroups/{parts[4]}/workspaces/{parts[-1]}"
        f"/datastores/{name}/paths/featuresets/spec"
    )
