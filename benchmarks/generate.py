"""Synthetic estates for the benchmark: N blueprint instances, some drifted, plus noise.

Built on ``tests/builders.py`` (``blueprint()``, ``unrelated()``), so the estates have exactly
the shapes the tests and examples use. Deterministic: the same ``--instances`` and ``--seed``
always give the same bytes.

- Instances are spread over ``--subscriptions`` subscriptions, one resource group each.
- A ``--drift`` fraction of them (chosen by the seeded RNG) gets 1 to 4 drifts from a menu
  covering every rule area (workspace, associated and integrated resources, DNS, network), so
  many rules fail and the failure paths (explanations, remediation text) are exercised too.
- ``--unrelated`` resources per instance (default 20) that no workspace uses: half in the
  instance's resource group (so the integration selector has to look at them and reject them),
  half in a separate resource group.

Writes az graph query's ``{"count": N, "data": [...]}`` shape (compact by default; ``--indent``
for the indented form ``az`` prints).

    python3 benchmarks/generate.py --instances 1000 --output benchmarks/out/estate-1000.json
    python3 benchmarks/generate.py -n 1000 --dns resolver --projects 10 -o resolver-1000.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.builders import (  # noqa: E402
    Instance,
    blueprint,
    connectivity,
    landing_zone,
    project,
    rid,
    role_assignment,
    row,
    unrelated,
)
from tests.builders_integrations import add_registry, add_search, hns_storage  # noqa: E402

#: with ``--dns hub``: how spokes resolve the hub's zones, in turn (a link from each spoke VNet,
#: custom DNS to the Private Resolver's inbound endpoint, a forwarding ruleset link)
HUB_DESIGNS = ("link", "resolver", "ruleset")
#: ``--dns`` layouts with central zones in a connectivity subscription: ``hub`` mixes the three
#: designs in turn; ``resolver`` and ``ruleset`` give every spoke that one design
CENTRAL_DNS = ("hub", "resolver", "ruleset")
#: with central DNS: every HUB_EVERY-th instance is an AI Foundry hub with PROJECTS projects
#: (``--projects K`` changes K; ``--projects 0`` makes no hubs)
HUB_EVERY = 10
PROJECTS = 10

#: every SEARCH_EVERY-th instance integrates an AI Search service, every REGISTRY_EVERY-th an
#: AML registry (with its regional storage and ACR), every HNS_EVERY-th has Data Lake storage;
#: a third of each is drifted (public, or an endpoint missing). Chosen by index, not by the
#: seeded RNG, so the drift draws of every instance stay what they were.
SEARCH_EVERY = 5
REGISTRY_EVERY = 7
HNS_EVERY = 4

LOCATIONS = ("westeurope", "northeurope", "germanywestcentral", "swedencentral")


def _subscription(index: int) -> str:
    return f"5b0e{index:04x}-0000-4000-8000-{index:012x}"


# ---------------------------------------------------------------- the drift menu
# Each drift changes one thing a user plausibly changes by hand; together they touch every rule.


def _ws_public(inst: Instance, rng: random.Random) -> None:
    props = inst.workspace["properties"]
    if rng.random() < 0.5:
        props["publicNetworkAccess"] = "Enabled"
    else:
        props["allowPublicAccessWhenBehindVnet"] = True


def _ws_isolation_off(inst: Instance, rng: random.Random) -> None:
    inst.workspace["properties"]["managedNetwork"]["isolationMode"] = "Disabled"


def _ws_not_provisioned(inst: Instance, rng: random.Random) -> None:
    mn = inst.workspace["properties"]["managedNetwork"]
    mn["status"] = {"status": "Inactive", "sparkReady": False}
    for rule in mn["outboundRules"].values():
        rule["status"] = "Inactive"


def _ws_outbound_rule_gone(inst: Instance, rng: random.Random) -> None:
    rules = inst.workspace["properties"]["managedNetwork"]["outboundRules"]
    if rng.random() < 0.5:
        rules.pop("allowOpenAi", None)
    else:
        rules["allowOpenAi"]["destination"]["sparkEnabled"] = False


def _ws_no_image_build_compute(inst: Instance, rng: random.Random) -> None:
    inst.workspace["properties"].pop("imageBuildCompute", None)


def _ws_system_identity(inst: Instance, rng: random.Random) -> None:
    inst.workspace["identity"] = {"type": "SystemAssigned", "principalId": "x"}
    inst.workspace["properties"].pop("primaryUserAssignedIdentity", None)


def _role_narrowed(inst: Instance, rng: random.Random) -> None:
    inst.role_assignments = [role_assignment(inst.storage["id"], inst.principal_id)]


def _pending_connection(inst: Instance, rng: random.Random) -> None:
    target = rng.choice([inst.keyvault, inst.storage, inst.registry])
    target["properties"].setdefault("privateEndpointConnections", []).append(
        {
            "id": f"{target['id']}/privateEndpointConnections/managed-pending",
            "name": "managed-pending",
            "properties": {
                "privateEndpoint": {
                    "id": rid(
                        inst.sub, "azureml-managed", "Microsoft.Network/privateEndpoints", "mpe"
                    )
                },
                "privateLinkServiceConnectionState": {"status": "Pending", "description": ""},
            },
        }
    )


def _storage_public(inst: Instance, rng: random.Random) -> None:
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    if rng.random() < 0.5:
        inst.storage["properties"]["networkAcls"] = {"defaultAction": "Allow"}


def _keyvault_public(inst: Instance, rng: random.Random) -> None:
    inst.keyvault["properties"]["publicNetworkAccess"] = "Enabled"


def _registry_public(inst: Instance, rng: random.Random) -> None:
    inst.registry["properties"]["publicNetworkAccess"] = "Enabled"


def _workspace_endpoint_removed(inst: Instance, rng: random.Random) -> None:
    inst.remove_endpoint("workspace")


def _registry_downgraded(inst: Instance, rng: random.Random) -> None:
    inst.registry["sku"] = {"name": "Standard", "tier": "Standard"}
    inst.registry["properties"]["adminUserEnabled"] = rng.random() < 0.5


def _endpoint_removed(inst: Instance, rng: random.Random) -> None:
    key = rng.choice(sorted(k for k in inst.endpoints if k != "workspace"))
    inst.remove_endpoint(key)


def _openai_public(inst: Instance, rng: random.Random) -> None:
    inst.openai["properties"]["publicNetworkAccess"] = "Enabled"
    if rng.random() < 0.5:
        inst.openai["properties"].pop("customSubDomainName", None)


def _extra_ai_account(inst: Instance, rng: random.Random) -> None:
    inst.extra.append(
        row(
            rid(inst.sub, inst.rg, "Microsoft.CognitiveServices/accounts", f"{inst.prefix}-ais"),
            "microsoft.cognitiveservices/accounts",
            inst.workspace["location"],
            {"publicNetworkAccess": "Enabled"},
            kind="AIServices",
            sku={"name": "S0"},
        )
    )


def _dns_link_removed(inst: Instance, rng: random.Random) -> None:
    del inst.links[rng.choice(sorted(inst.links))]


def _jumphost_public_ip(inst: Instance, rng: random.Random) -> None:
    cfg = inst.nics[0]["properties"]["ipConfigurations"][0]["properties"]
    cfg["publicIPAddress"] = {
        "id": rid(inst.sub, inst.rg, "Microsoft.Network/publicIPAddresses", f"{inst.prefix}-pip")
    }


DRIFTS: tuple[Callable[[Instance, random.Random], None], ...] = (
    _ws_public,
    _ws_isolation_off,
    _ws_not_provisioned,
    _ws_outbound_rule_gone,
    _ws_no_image_build_compute,
    _ws_system_identity,
    _role_narrowed,
    _pending_connection,
    _storage_public,
    _keyvault_public,
    _registry_downgraded,
    _registry_public,
    _endpoint_removed,
    _workspace_endpoint_removed,
    _openai_public,
    _extra_ai_account,
    _dns_link_removed,
    _jumphost_public_ip,
)


# ---------------------------------------------------------------- the estate


def estate(
    instances: int,
    seed: int = 20261126,
    subscriptions: int = 8,
    drift: float = 0.4,
    unrelated_per_instance: int = 20,
    dns: str = "per-instance",
    share: tuple[str, ...] = (),
    projects: int | None = None,
) -> list[dict]:
    """The rows of a synthetic estate (deterministic for the same arguments).

    ``dns="hub"`` is the hub-and-spoke layout most tenants run: one set of private DNS zones in
    a hub resource group of a connectivity subscription, shared by every instance; the spokes
    resolve them in turn by a link per spoke VNet, by custom DNS to an Azure DNS Private
    Resolver inbound endpoint (zones linked to the hub VNet, spoke peered to it), or by a DNS
    forwarding ruleset linked to the spoke (HUB_DESIGNS); every HUB_EVERY-th instance is an AI
    Foundry hub with PROJECTS project workspaces, half of them in a resource group of their own.
    ``dns="resolver"`` / ``"ruleset"``: the same central zones (linked to the hub VNet only), every
    spoke resolving them by that one design: custom DNS servers = the Private Resolver's inbound
    endpoint in the hub VNet, peered (Connected); or Azure DNS plus a forwarding ruleset linked to
    the spoke with a rule per zone targeting the inbound endpoint. ``projects`` (default PROJECTS
    with central DNS, none per instance) is the number of projects of each hub.
    ``share`` names resources (``registry``, ``keyvault``, ``storage``, ``openai``) that every
    instance of a subscription takes from the subscription's first instance, each with its own
    private endpoint to it (one registry or AI account for a team's workspaces).
    """
    if dns not in ("per-instance", *CENTRAL_DNS):
        raise ValueError(f"dns {dns!r} is not per-instance or one of {CENTRAL_DNS}")
    per_hub = projects if projects is not None else (PROJECTS if dns in CENTRAL_DNS else 0)
    rng = random.Random(seed)
    rows: list[dict] = []
    network = connectivity(HUB_SUBSCRIPTION, HUB_GROUP)
    hub_zones = network.zones
    owners: dict[str, Instance] = {}  # subscription -> the instance whose resources are shared
    built: list[tuple[Instance, str, str]] = []
    for i in range(instances):
        sub = _subscription(i % max(1, subscriptions))
        rg = f"ml-{i:05d}"
        inst = blueprint(sub, rg, f"ml{i:05d}", LOCATIONS[i % len(LOCATIONS)])
        if rng.random() < drift:
            for change in rng.sample(DRIFTS, rng.randint(1, 4)):
                change(inst, rng)
        _integrations(inst, i)
        if dns in CENTRAL_DNS:
            design = HUB_DESIGNS[i % len(HUB_DESIGNS)] if dns == "hub" else dns
            if design == "link":
                inst.use_hub_zones(hub_zones, HUB_SUBSCRIPTION, HUB_GROUP)
            else:
                landing_zone(inst, network, design)
        if per_hub and i % HUB_EVERY == 0:
            inst.workspace["kind"] = "Hub"
            for p in range(per_hub):
                where = rg if p % 2 == 0 else f"ml-{i:05d}-projects"
                inst.projects.append(project(inst, f"ml{i:05d}-p{p}", where))
        owner = owners.setdefault(sub, inst)
        for name in share if owner is not inst else ():
            inst.use_shared(name, owner)
        built.append((inst, sub, rg))
    # Rows last: a shared resource gains every sharer's endpoint connections first.
    seen: set[str] = set()
    for i, (inst, sub, rg) in enumerate(built):
        own = [r for r in inst.rows() if r["id"] not in seen]
        seen.update(r["id"] for r in own)
        rows += own
        near = unrelated_per_instance // 2
        rows += unrelated(sub, rg, near, f"own{i}x")
        rows += unrelated(sub, f"apps-{i:05d}", unrelated_per_instance - near, f"app{i}x")
    if dns not in CENTRAL_DNS:
        return rows
    return rows + network.rows()


def _integrations(inst: Instance, i: int) -> None:
    """AI Search, an AML registry and Data Lake storage on a fraction of instances (by index)."""
    if i % SEARCH_EVERY == 1:
        k = i // SEARCH_EVERY
        add_search(inst, public=k % 3 == 1, endpoint=k % 3 != 2)
    if i % REGISTRY_EVERY == 2:
        k = i // REGISTRY_EVERY
        add_registry(inst, public=k % 3 == 1, managed_public=k % 3 == 2)
    if i % HNS_EVERY == 3:
        hns_storage(inst, dfs_endpoint=(i // HNS_EVERY) % 3 != 1)


HUB_SUBSCRIPTION = _subscription(0xFFFF)
HUB_GROUP = "rg-hub-dns"


def write(rows: list[dict], path: Path, indent: int | None = None) -> int:
    """Write ``{"count", "data"}``; returns the file size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"count": len(rows), "data": rows}
    text = json.dumps(doc, indent=indent) if indent else json.dumps(doc, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    return path.stat().st_size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", "-n", type=int, required=True)
    parser.add_argument("--output", "-o", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--subscriptions", type=int, default=8)
    parser.add_argument("--drift", type=float, default=0.4, help="fraction of drifted instances")
    parser.add_argument("--unrelated", type=int, default=20, help="unrelated rows per instance")
    parser.add_argument(
        "--dns",
        choices=("per-instance", *CENTRAL_DNS),
        default="per-instance",
        help="private DNS zones per instance, or central in a hub VNet: hub (spokes use a link,"
        " the resolver or a ruleset in turn), resolver (custom DNS = the Private Resolver's"
        " inbound endpoint, peered) or ruleset (a forwarding ruleset linked to every spoke)",
    )
    parser.add_argument(
        "--projects",
        type=int,
        default=None,
        help=f"projects per AI Foundry hub (every {HUB_EVERY}th instance is a hub; default"
        f" {PROJECTS} with central DNS, no hubs per instance)",
    )
    parser.add_argument(
        "--share",
        action="append",
        default=[],
        choices=("registry", "keyvault", "storage", "openai"),
        help="a resource every instance of a subscription shares (repeatable)",
    )
    parser.add_argument("--indent", type=int, default=None, help="indent like az -o json")
    args = parser.parse_args(argv)
    rows = estate(
        args.instances,
        args.seed,
        args.subscriptions,
        args.drift,
        args.unrelated,
        args.dns,
        tuple(args.share),
        args.projects,
    )
    size = write(rows, args.output, args.indent)
    print(f"wrote {args.output}: {len(rows)} rows, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
