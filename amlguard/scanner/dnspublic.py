"""AMLG-301 (c): a forwarding rule for the zone's **public** name decides the name clients
query (redteam10a #9, real-estates 4.2 (c) "the most specific enabled rule").

A client asks for ``acct.blob.core.windows.net``. Azure DNS forwards that query by the most
specific enabled rule whose domain matches it: a rule for ``blob.core.windows.net.`` (or a
parent, ``core.windows.net.``, ``windows.net.``) sends it to its targets before any CNAME
into ``privatelink.blob.core.windows.net`` is seen, so the privatelink rule never applies. Such
a rule resolves the zone only when each of its targets does (an inbound endpoint in a VNet
linked to the zone and reached from the ruleset's outbound endpoints, a DNS proxy that
resolves it, or a ``trusted_dns_servers`` entry); otherwise the zone fails, naming the rule.
The wildcard rule ``.`` is not a rule for the public name here (a privatelink rule is more
specific for the name the CNAME leads to; :mod:`dns` judges it as before), nor are rules for
one host under the public name. The public names come from :mod:`publicnames`; a zone whose
public name Microsoft does not give is judged by its privatelink rule only.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import dnsrules, hopstate, ids, publicnames
from amlguard.scanner.dnsindex import _dict, _list, _props, _text
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import get_key


def public_rule(judge: Any) -> tuple[bool, str] | None:
    """How the rule that wins for the zone's public name resolves it (True, words) or why not
    (False, words); None when no enabled rule of the rulesets linked to the solution VNet is
    for the public name or a parent of it."""
    publics = publicnames.of(judge.zone_name)
    if not publics:
        return None
    memo = judge.idx.matches
    best: tuple[int, str, str, str, str, Any] | None = None
    for ruleset, rules in judge.idx.rulesets.get(judge.vnet_key, []):
        key = (ruleset, "public:" + judge.zone_name)
        positions = memo.get(key)
        if positions is None:
            positions = memo[key] = [
                i
                for i, (_rule, domain, _row) in enumerate(rules)
                if any(publicnames.covers(domain, p) for p in publics)
            ]
        for position in positions:
            rule, domain, row = rules[position]
            if not dnsrules.enabled(row):
                continue  # a Disabled rule decides nothing
            public = next(p for p in publics if publicnames.covers(domain, p))
            if best is None or len(domain) > best[0]:
                best = (len(domain), ids.short_name(ruleset), rule, domain, public, row)
    if best is None:
        return None
    _length, name, rule, domain, public, row = best
    decides = (
        f"ruleset {name} rule {rule} ({domain}.) is the most specific enabled rule for "
        f"{public}, the public name clients query (before the CNAME into the zone)"
    )
    broken = ruleset_problem(judge.inv, row)
    if broken:
        return False, f"{decides}, but {broken}"
    targets = dnsrules.targets(row)
    if not targets:
        return False, f"{decides}, and it forwards to no server"
    ruleset = ids.parent_of_child(str(row["id"]), "forwardingRules")
    judged = [judge.target(written, port, ruleset) for written, port in targets]
    bad = [(t, why) for t, ok, why in judged if not ok]
    if not bad:
        sent = "; ".join(how for _t, _ok, how in judged)
        return True, (
            f"through forwarding ruleset {name} rule {rule} ({domain}.), the most specific "
            f"rule for the public name {public} -> {sent}"
        )
    details = "; ".join(why for _t, why in bad if why)
    return False, (
        f"{decides}: it forwards to {', '.join(t for t, _why in bad)}, which does not resolve "
        f"the zone: {details}"
    )


def ruleset_problem(inv: Inventory, rule: Any) -> str:
    """'' when forwarding rule ``rule``, its ruleset, the ruleset's outbound endpoints and
    their resolvers all work (:mod:`hopstate`); the first that failed in words; raises
    ``Undeterminable`` for one not settled."""
    ruleset_id = ids.parent_of_child(str(rule.get("id") or ""), "forwardingRules")
    ruleset = inv.get(ruleset_id) if ruleset_id else None
    hops: list[tuple[Any, hopstate.Kind, str]] = [
        (rule, hopstate.RULE, "the ruleset forwards nothing by it"),
        (ruleset, hopstate.RULESET, "none of its rules forwards a query"),
    ]
    for endpoint in _list(get_key(_props(ruleset), "dnsResolverOutboundEndpoints")):
        endpoint_id = _text(get_key(_dict(endpoint), "id"))
        if not endpoint_id:
            continue  # ruleset_origins says so when the rule's targets are judged
        resolver = ids.parent_of_child(endpoint_id, "outboundEndpoints")
        hops.append((inv.get(endpoint_id), hopstate.OUTBOUND, "the ruleset's queries do not leave"))
        hops.append(
            (
                inv.get(resolver) if resolver else None,
                hopstate.RESOLVER,
                "the ruleset's queries do not leave through its outbound endpoint",
            )
        )
    return hopstate.raise_or_words(*hopstate.first_problem(hops))


__all__ = ["public_rule", "ruleset_problem"]
