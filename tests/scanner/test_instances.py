"""Instance assembly: associated and integrated resources, the solution subnet, the selector."""

from __future__ import annotations

from amlguard.scanner import ids
from amlguard.scanner.instances import Instance, IntegrationSelector
from tests.builders import Instance as Built
from tests.builders import blueprint, rid, row
from tests.scanner.harness import instances


def only(rows: list[dict]) -> Instance:
    built = instances(rows)
    assert len(built) == 1
    return built[0]


def move_endpoint(inst: Built, key: str, subnet_id: str) -> None:
    inst.endpoints[key]["properties"]["subnet"]["id"] = subnet_id


def test_blueprint_instance_parts() -> None:
    inst = blueprint()
    got = only(inst.rows())
    assert got.id == inst.workspace["id"]
    assert got.associated == {
        "storageAccount": inst.storage["id"],
        "keyVault": inst.keyvault["id"],
        "containerRegistry": inst.registry["id"],
        "applicationInsights": inst.insights["id"],
    }
    assert got.integrated == [inst.openai["id"]]
    assert got.principal_id == inst.principal_id
    assert got.solution_subnet == inst.subnet_id
    assert got.solution_vnet == inst.vnet["id"]
    assert got.members() == {
        ids.norm(i)
        for i in [
            inst.workspace["id"],
            inst.storage["id"],
            inst.keyvault["id"],
            inst.registry["id"],
            inst.insights["id"],
            inst.openai["id"],
        ]
    }


def test_solution_subnet_prefers_the_workspace_inbound_endpoint() -> None:
    inst = blueprint()
    other = f"{inst.vnet['id']}/subnets/snet-workspace"
    move_endpoint(inst, "workspace", other)
    # Five associated/integrated endpoints stay in snet-endpoints: the inbound one still wins.
    assert only(inst.rows()).solution_subnet == other


def test_solution_subnet_prefers_an_approved_inbound_endpoint() -> None:
    inst = blueprint()
    rejected_subnet = (
        rid(inst.sub, inst.rg, "Microsoft.Network/virtualNetworks", "aaa") + "/subnets/a"
    )
    pe = inst.endpoints["workspace"]
    extra = {
        **pe,
        "id": pe["id"][:-1] + "0-rejected",
        "properties": {
            **pe["properties"],
            "subnet": {"id": rejected_subnet},
            "privateLinkServiceConnections": [
                {
                    "properties": {
                        "privateLinkServiceId": inst.workspace["id"],
                        "groupIds": ["amlworkspace"],
                        "privateLinkServiceConnectionState": {"status": "Rejected"},
                    }
                }
            ],
        },
    }
    inst.extra.append(extra)
    assert only(inst.rows()).solution_subnet == inst.subnet_id


def test_solution_subnet_falls_back_to_the_most_used_subnet_of_associated_endpoints() -> None:
    inst = blueprint()
    inst.remove_endpoint("workspace")
    majority = f"{inst.vnet['id']}/subnets/snet-b"
    minority = f"{inst.vnet['id']}/subnets/snet-a"  # sorts first: it would win a tie
    move_endpoint(inst, "storage-blob", majority)
    move_endpoint(inst, "storage-file", majority)
    move_endpoint(inst, "keyvault", minority)
    # The registry keeps snet-endpoints (1 vote). The OpenAI endpoint is integrated, not
    # associated: if it voted, snet-a would tie at 2 and win.
    move_endpoint(inst, "openai", minority)
    assert only(inst.rows()).solution_subnet == majority


def test_solution_subnet_votes_are_case_insensitive() -> None:
    inst = blueprint()
    inst.remove_endpoint("workspace")
    a = rid(inst.sub, inst.rg, "Microsoft.Network/virtualNetworks", "v") + "/subnets/a"
    move_endpoint(inst, "storage-blob", a)
    move_endpoint(inst, "storage-file", a.upper())
    # snet-endpoints keeps keyvault and registry (2 votes); a/A has 2 too: a tie goes to the
    # lexically first lower-cased id, so make "a" win outright with a third vote.
    move_endpoint(inst, "keyvault", a.lower())
    got = only(inst.rows())
    assert ids.norm(got.solution_subnet) == ids.norm(a)
    assert ids.norm(got.solution_vnet) == ids.norm(ids.vnet_of_subnet(a))


def test_configured_solution_subnet_wins() -> None:
    inst = blueprint()
    configured = rid(inst.sub, "hub", "Microsoft.Network/virtualNetworks", "hub") + "/subnets/pe"
    got = instances(inst.rows(), solution_subnet=configured)[0]
    assert got.solution_subnet == configured
    assert got.solution_vnet == configured.rsplit("/subnets/", 1)[0]


def test_no_endpoint_anywhere_means_no_solution_subnet() -> None:
    inst = blueprint()
    for key in ["workspace", "storage-blob", "storage-file", "keyvault", "registry"]:
        inst.remove_endpoint(key)
    got = only(inst.rows())
    assert got.solution_subnet is None and got.solution_vnet is None


def test_integration_selector_explicit_ids() -> None:
    inst = blueprint()
    far = rid(inst.sub, "elsewhere", "Microsoft.Search/searchServices", "srch")
    selector = {"ids": [far]}
    got = instances(inst.rows(), integration_selector=selector)[0]
    # Explicit ids replace the type/kind pick; outbound rule destinations always count.
    assert got.integrated == [inst.openai["id"], far]


def test_integration_selector_tags_and_subscription_scope() -> None:
    inst = blueprint()
    tagged = row(
        rid(inst.sub, "other-rg", "Microsoft.CognitiveServices/accounts", "tagged"),
        "microsoft.cognitiveservices/accounts",
        kind="AIServices",
        tags={"Workload": "ML"},
    )
    untagged = row(
        rid(inst.sub, "other-rg", "Microsoft.CognitiveServices/accounts", "untagged"),
        "microsoft.cognitiveservices/accounts",
        kind="AIServices",
    )
    other_sub = row(
        rid(
            "99999999-0000-0000-0000-000000000000",
            "x",
            "Microsoft.CognitiveServices/accounts",
            "far",
        ),
        "microsoft.cognitiveservices/accounts",
        kind="AIServices",
        tags={"workload": "ml"},
    )
    inst.extra += [tagged, untagged, other_sub]
    selector = {"tags": {"workload": "ml"}, "scope": "subscription"}
    got = instances(inst.rows(), integration_selector=selector)[0]
    assert got.integrated == [inst.openai["id"], tagged["id"]]


def test_selector_picks_types_and_kinds_case_insensitively() -> None:
    sel = IntegrationSelector.from_mapping(
        {"types": ["Microsoft.CognitiveServices/Accounts"], "kinds": ["openai"]}
    )
    assert sel.picks({"type": "microsoft.cognitiveservices/accounts", "kind": "OpenAI"})
    assert not sel.picks({"type": "microsoft.cognitiveservices/accounts", "kind": "Speech"})
    assert not sel.picks({"type": "microsoft.search/searchservices", "kind": "OpenAI"})


def test_associated_and_workspace_never_integrated() -> None:
    inst = blueprint()
    rules = inst.workspace["properties"]["managedNetwork"]["outboundRules"]
    for name, dest in [("st", inst.storage["id"].upper()), ("self", inst.workspace["id"])]:
        rules[name] = {
            "type": "PrivateEndpoint",
            "category": "UserDefined",
            "destination": {"serviceResourceId": dest},
        }
    rules["dup"] = {**rules["allowOpenAi"]}
    rules["dup"]["destination"] = {"serviceResourceId": inst.openai["id"].lower()}
    got = only(inst.rows())
    assert got.integrated == [inst.openai["id"]]


def test_instances_are_ordered_and_independent() -> None:
    a = blueprint(prefix="zeta", rg="rg-z")
    b = blueprint(prefix="alpha", rg="rg-a")
    got = instances(a.rows() + b.rows())
    assert [i.id for i in got] == [b.workspace["id"], a.workspace["id"]]
    assert got[0].integrated == [b.openai["id"]] and got[1].integrated == [a.openai["id"]]
    assert got[0].solution_vnet == b.vnet["id"]


def test_workspace_type_matched_case_insensitively() -> None:
    inst = blueprint()
    inst.workspace["type"] = "Microsoft.MachineLearningServices/Workspaces"
    assert only(inst.rows()).id == inst.workspace["id"]


def test_selector_accepts_a_lone_string_where_a_list_is_expected() -> None:
    # Regression: "kinds: OpenAI" became the kinds O, p, e, n, A, I and matched nothing, so
    # the OpenAI account silently dropped out of the instance.
    sel = IntegrationSelector.from_mapping(
        {"kinds": "OpenAI", "types": "Microsoft.CognitiveServices/accounts"}
    )
    assert sel.kinds == ("OpenAI",)
    assert sel.types == ("microsoft.cognitiveservices/accounts",)
    inst = blueprint()
    del inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowOpenAi"]
    got = instances(inst.rows(), integration_selector={"kinds": "OpenAI"})[0]
    assert got.integrated == [inst.openai["id"]]


def test_integration_selector_without_types_looks_at_every_type_in_scope() -> None:
    inst = blueprint()
    search = row(
        rid(inst.sub, "other-rg", "Microsoft.Search/searchServices", "srch"),
        "microsoft.search/searchservices",
        tags={"workload": "ml"},
    )
    inst.extra.append(search)
    by_tag = {"types": [], "kinds": [], "tags": {"workload": "ml"}}
    got = instances(inst.rows(), integration_selector={**by_tag, "scope": "subscription"})[0]
    assert got.integrated == [inst.openai["id"], search["id"]]
    # In the workspace's resource group only: the search service is in another one.
    got = instances(inst.rows(), integration_selector={**by_tag, "scope": "resource_group"})[0]
    assert got.integrated == [inst.openai["id"]]
