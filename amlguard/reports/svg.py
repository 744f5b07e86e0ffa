"""The HTML report's pictures: the blueprint diagram model of a workspace, and the trend chart.

The diagram is laid out here, as data (boxes, their state and the failing checks in words,
links with their labels), and drawn by the page's script only when a workspace is selected:
a fleet of thousands of workspaces costs a small JSON entry each, not an SVG each.

Which piece a finding colours is decided by data, never by a rule's id or name: the judged
resource's role in the instance (storage, key vault, AI account...), its ARM type (private
endpoints, DNS zones, VNets), and for findings on the workspace itself the rule's ``tags``
(:data:`TAG_PIECES`): a custom rule tagged ``identity`` lands on the identity like AMLG-105.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from amlguard.reports.text import clip, short_name, value_text
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, Severity, Status

# Worst first: an error hides nothing, a failure beats a pass.
_RANK = [Status.ERROR, Status.FAIL, Status.PASS, Status.SUPPRESSED, Status.KNOWN, Status.SKIPPED]
_ROLE_PIECE = {
    "storageaccount": "storage",
    "keyvault": "keyvault",
    "containerregistry": "registry",
    "applicationinsights": "appinsights",
}
_VNET_TYPES = {
    "microsoft.network/virtualnetworks",
    "microsoft.network/privatednszones",
    "microsoft.network/privatednszones/virtualnetworklinks",
    "microsoft.network/networkinterfaces",
}
_ENDPOINT_TYPES = {
    "microsoft.network/privateendpoints",
    "microsoft.network/privateendpoints/privatednszonegroups",
}
#: Rule tags that move a finding on the workspace resource to another piece (first match wins).
TAG_PIECES = (("identity", "identity"), ("managed-network", "managednetwork"))
#: A rule with this tag also colours the private endpoints piece.
ENDPOINT_TAG = "private-endpoint"
_MAX_AI = 4
_MAX_WORDS = 4


def worst(statuses: Iterable[Status]) -> str:
    """The worst status present, as text; ``none`` when nothing judged the piece."""
    present = set(statuses)
    for status in _RANK:
        if status in present:
            return status.value
    return "none"


class Pieces:
    """Which diagram pieces a finding colours, for one instance (its members indexed once)."""

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        self.workspace = ids.norm(instance.id)
        self.roles = {ids.norm(v): k.lower() for k, v in instance.associated.items()}
        self.integrated = {
            ids.norm(i): n for n, i in reversed(list(enumerate(instance.integrated)))
        }
        self.vnet = ids.norm(instance.solution_vnet)
        self._cache: dict[tuple[str, str, tuple[str, ...]], tuple[str, ...]] = {}

    def of(self, finding: Finding, tags: Sequence[str] = ()) -> tuple[str, ...]:
        """The pieces (``storage``, ``ai0``, ``vnet`` ...) this finding colours."""
        key = (finding.resource_id, finding.resource_type, tuple(tags))
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._of(finding, {t.lower() for t in tags})
        return found

    def _of(self, finding: Finding, tagset: set[str]) -> tuple[str, ...]:
        rid = ids.norm(finding.resource_id)
        out: list[str] = []
        if rid == self.workspace:
            out.append(next((piece for tag, piece in TAG_PIECES if tag in tagset), "workspace"))
        elif rid in self.roles:
            out.append(_ROLE_PIECE.get(self.roles[rid], "other"))
        elif rid in self.integrated:
            index = self.integrated[rid]
            out.append(f"ai{index}" if index < _MAX_AI else "ai-more")
        else:
            rtype = finding.resource_type.lower()
            if rtype in _ENDPOINT_TYPES:
                out.append("endpoints")
            elif rtype in _VNET_TYPES or (self.vnet and rid.startswith(self.vnet)):
                out.append("vnet")
            else:
                out.append("other")
        if ENDPOINT_TAG in tagset and "endpoints" not in out:
            out.append("endpoints")
        return tuple(out)


def pieces_of(finding: Finding, instance: Any, tags: Sequence[str] = ()) -> list[str]:
    """The diagram pieces (``storage``, ``ai0``, ``vnet`` ...) a finding colours."""
    return list(Pieces(instance).of(finding, tags))


def _words(name: str) -> str:
    """``publicNetworkAccess`` -> ``public network access`` (a property or source name read)."""
    text = re.sub(r"\[\*\]", "", name)
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", text).replace("_", " ").lower().strip()


def check_words(finding: Finding, title: str) -> str:
    """A failing check in a few words, from what the finding says it read and found:
    "public network access: Enabled", "no private endpoint", "fails for: kv, acr", the reason a
    source gave ("the zone is not linked to the solution VNet..."), else "not met: <title>"."""
    if finding.status is Status.ERROR:
        return f"not judged: {clip(title, 40)}"
    actual = finding.actual
    path = finding.path or ""
    if path and "." in path and not isinstance(actual, (list, dict)):
        return f"{_words(path.rsplit('.', 1)[-1])}: {value_text(actual)}"
    if path and "." not in path and actual == 0 and not isinstance(actual, bool):
        return f"no {_words(path).removesuffix('s')}"
    if isinstance(actual, list) and actual and all(isinstance(a, str) for a in actual):
        if all(a.startswith("/") for a in actual):
            return "fails for: " + ", ".join(short_name(a) for a in actual)
        return "; ".join(actual)
    return f"not met: {title}"


def _props(row: Mapping[str, Any] | None) -> dict[str, Any]:
    props = (row or {}).get("properties")
    return props if isinstance(props, dict) else {}


def _outbound(workspace: Mapping[str, Any]) -> dict[str, str]:
    """Lower-cased destination id -> "rule-name (status)" of the PrivateEndpoint outbound rules."""
    network = _props(workspace).get("managedNetwork")
    rules = network.get("outboundRules") if isinstance(network, dict) else None
    out: dict[str, str] = {}
    for name, rule in (rules or {}).items() if isinstance(rules, dict) else []:
        if not isinstance(rule, dict) or str(rule.get("type", "")).lower() != "privateendpoint":
            continue
        dest = rule.get("destination")
        target = dest.get("serviceResourceId") if isinstance(dest, dict) else None
        if isinstance(target, str):
            out.setdefault(ids.norm(target), f"{name} ({rule.get('status') or 'status unknown'})")
    return out


#: Diagram rows, top to bottom: (piece keys, x and width of each); AI accounts fill row 2.
_ROWS: tuple[tuple[tuple[str, int, int], ...], ...] = (
    (("identity", 20, 200), ("workspace", 350, 200), ("managednetwork", 680, 200)),
    (
        ("storage", 20, 200),
        ("keyvault", 240, 200),
        ("registry", 460, 200),
        ("appinsights", 680, 200),
    ),
    (),
    (("endpoints", 20, 420), ("vnet", 460, 420)),
)
_BOX_H = 96
_GAP = 34
_LINE = 13
_HEAD = 40  # title and sub line


def _clip_for(width: int) -> int:
    return 52 if width <= 200 else 96


def diagram_model(
    instance: Any,
    findings: Sequence[Finding],
    rules: Mapping[str, Any],
    projects: Sequence[str] = (),
    placed: Mapping[str, list[Finding]] | None = None,
    facts: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The blueprint of one workspace as data: boxes with state and words, links with labels.

    Each box: ``[key, label, sub, status, severity, words, x, y, w, h, extra]`` where status is
    the worst status of its findings (``none``: nothing judged it), severity the worst failing
    severity, words the failing checks (at most four, then "+N more"), extra lines of what the
    blueprint draws whether or not it fails (public access, endpoints and their DNS zones, the
    approver role's scope, outbound rules, hub projects: ``facts`` from
    :func:`amlguard.reports.diagramfacts.facts`). ``placed`` gives the findings per piece when
    the caller already mapped them. Boxes grow with their lines; rows move down to fit.
    """
    by_piece: Mapping[str, list[Finding]]
    if placed is None:
        mapper = Pieces(instance)
        grouped: dict[str, list[Finding]] = {}
        for f in findings:
            for piece in mapper.of(f, getattr(rules.get(f.rule_id), "tags", ())):
                grouped.setdefault(piece, []).append(f)
        by_piece = grouped
    else:
        by_piece = placed
    known = facts or {}
    props = _props(instance.workspace)
    raw_network = props.get("managedNetwork")
    network: dict[str, Any] = raw_network if isinstance(raw_network, dict) else {}
    raw_status = network.get("status")
    status: dict[str, Any] = raw_status if isinstance(raw_status, dict) else {}
    assoc = {k.lower(): v for k, v in instance.associated.items()}
    outbound = _outbound(instance.workspace)
    kind = str(instance.workspace.get("kind") or "")

    def name_of(role: str) -> str:
        return short_name(assoc[role]) if role in assoc else "not linked"

    content: dict[str, tuple[str, str, list[str]]] = {
        "identity": (
            "User-assigned identity",
            short_name(instance.primary_identity or "none"),
            list(known.get("identity", [])),
        ),
        "workspace": (
            f"ML workspace{f' ({kind})' if kind and kind.lower() != 'default' else ''}",
            instance.name,
            [f"public access: {props.get('publicNetworkAccess') or 'not set'}"]
            + (
                [f"projects: {', '.join(projects[:3])}{' ...' if len(projects) > 3 else ''}"]
                if projects
                else []
            ),
        ),
        "managednetwork": (
            "Managed network",
            str(network.get("isolationMode") or "not configured"),
            [
                f"provisioning: {status.get('status') or 'unknown'}",
                f"{len(outbound)} private endpoint rule(s)",
            ],
        ),
        "storage": ("Storage account", name_of("storageaccount"), []),
        "keyvault": ("Key vault", name_of("keyvault"), []),
        "registry": ("Container registry", name_of("containerregistry"), []),
        "appinsights": ("Application Insights", name_of("applicationinsights"), []),
        "endpoints": ("Private endpoints and DNS zones", "in the solution VNet", []),
        "vnet": (
            "Solution VNet",
            short_name(instance.solution_vnet) if instance.solution_vnet else "not found",
            [],
        ),
    }
    for key in ("storage", "keyvault", "registry", "appinsights", "endpoints", "vnet"):
        content[key][2].extend(known.get(key, []))
    ai = list(instance.integrated)
    ai_row: list[tuple[str, int, int]] = []
    for i, account in enumerate(ai[:_MAX_AI]):
        rule_text = outbound.get(ids.norm(account), "no outbound rule")
        lines = [f"outbound: {rule_text}", *known.get(f"ai{i}", [])]
        content[f"ai{i}"] = ("AI account", short_name(account), lines)
        ai_row.append((f"ai{i}", 20 + i * 220, 200))
    if len(ai) > _MAX_AI:
        content["ai-more"] = ("More AI accounts", f"+{len(ai) - _MAX_AI} more", [])
        ai_row.append(("ai-more", 20 + _MAX_AI * 220, 200))
    if not ai:
        content["ai-none"] = ("AI accounts", "none integrated", [])
        ai_row.append(("ai-none", 20, 200))
    rows = [row if row else tuple(ai_row) for row in _ROWS]

    built: dict[str, list[Any]] = {}
    row_y: list[tuple[int, int]] = []
    y = 20
    for row in rows:
        height = _BOX_H
        for key, x, w in row:
            box = _box(key, content[key], by_piece.get(key, []), rules, instance, x, w)
            built[key] = box
            height = max(height, _HEAD + _LINE * (len(box[5]) + len(box[10])) + 8)
        for key, _x, _w in row:
            built[key][7], built[key][9] = y, height
        row_y.append((y, height))
        y += height + _GAP
    out_boxes = [built[key] for row in rows for key, _x, _w in row]

    # Links: identity - workspace - managed network on top; a trunk down to each row.
    (y0, h0), (y1, _h1), (y2, h2), (y3, _h3) = row_y
    mid0 = y0 + 48
    links: list[list[Any]] = [[220, mid0, 350, mid0, "approver role"], [550, mid0, 680, mid0, ""]]
    for _key, x, _w in rows[1]:
        links.append([450, y0 + h0, x + 100, y1, ""])
    for i, _account in enumerate(ai[:_MAX_AI]):
        links.append([780, y0 + h0, 20 + i * 220 + 100, y2, "outbound"])
    links.append([230, y2 + h2, 230, y3, ""])
    links.append([440, y3 + 48, 460, y3 + 48, ""])
    other = by_piece.get("other", [])
    return {
        "boxes": out_boxes,
        "links": links,
        "other": [len(other), worst(f.status for f in other)],
        "size": [900, y + 8 - _GAP + 20],
    }


def _box(
    key: str,
    content: tuple[str, str, list[str]],
    found: list[Finding],
    rules: Mapping[str, Any],
    instance: Any,
    x: int,
    w: int,
) -> list[Any]:
    """One box (its y and height are set by the row): state, failing words, extra lines."""
    label, sub, extra = content
    state = worst(f.status for f in found)
    failing = [f for f in found if f.status in (Status.FAIL, Status.ERROR)]
    failing.sort(key=lambda f: (f.status is not Status.ERROR, -f.severity, f.rule_id))
    sev = max((f.severity for f in found if f.status is Status.FAIL), default=None)
    words: list[str] = []
    for f in failing:
        rule = rules.get(f.rule_id)
        text = check_words(f, str(getattr(rule, "title", f.rule_name)))
        if key in ("endpoints", "vnet") and ids.norm(f.resource_id) != ids.norm(instance.id):
            text = f"{short_name(f.resource_id)}: {text}"
        if text not in words:
            words.append(text)
    if len(words) > _MAX_WORDS:
        words = [*words[: _MAX_WORDS - 1], f"+{len(words) - _MAX_WORDS + 1} more"]
    width = _clip_for(w)
    return [
        key,
        label,
        clip(sub, 30),
        state,
        sev.label if isinstance(sev, Severity) else "",
        [clip(w_, width) for w_ in words],
        x,
        0,
        w,
        _BOX_H,
        [clip(e, width) for e in extra],
    ]


def hub_projects(instances: Sequence[Any]) -> dict[str, list[str]]:
    """Lower-cased hub workspace id -> the names of its projects (the projects joined the hub's
    instance; ``properties.hubResourceId`` of any that is still an instance of its own)."""
    out: dict[str, list[str]] = {}
    for inst in instances:
        for project in getattr(inst, "projects", None) or []:
            name = str(project.get("name") or ids.short_name(str(project.get("id", ""))))
            out.setdefault(ids.norm(inst.id), []).append(name)
        hub = _props(inst.workspace).get("hubResourceId")
        if isinstance(hub, str) and hub:
            out.setdefault(ids.norm(hub), []).append(inst.name)
    return out


def trend_chart(points: Sequence[dict[str, Any]]) -> str:
    """Failing (and unjudged) findings per recorded scan of this scope, oldest left."""
    if not points:
        return ""
    width, height, left, bottom, top = 760, 230, 46, 40, 30
    peak = max(max(int(p["failing"]), int(p["errors"])) for p in points) or 1
    step = (width - left - 20) / max(len(points) - 1, 1)

    def xy(i: int, value: int) -> tuple[float, float]:
        return (
            round(left + i * step, 1),
            round(height - bottom - (height - bottom - top) * value / peak, 1),
        )

    out = [
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Failing findings over time" data-points="{len(points)}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" class="axis"/>',
        f'<text x="{left - 6}" y="{top + 4}" class="tick" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{height - bottom + 4}" class="tick" text-anchor="end">0</text>',
    ]
    for series, css in (("errors", "err"), ("failing", "fail")):
        coords = " ".join(
            f"{x},{y}" for x, y in (xy(i, int(p[series])) for i, p in enumerate(points))
        )
        out.append(f'<polyline points="{coords}" class="series {css}"/>')
    for i, p in enumerate(points):
        x, y = xy(i, int(p["failing"]))
        hollow = "" if p["complete"] else " incomplete"
        label = (
            f"scan {p['scan_id']} at {p['scan_time']}: {p['failing']} failing, "
            f"{p['errors']} unjudged{'' if p['complete'] else ' (incomplete scan)'}"
        )
        out.append(
            f'<circle cx="{x}" cy="{y}" r="4" class="dot{hollow}" data-failing="{int(p["failing"])}">'
            f"<title>{escape(label)}</title></circle>"
        )
    out.append(
        f'<line x1="{width - 250}" y1="10" x2="{width - 230}" y2="10" class="series fail"/>'
        f'<text x="{width - 225}" y="14" class="tick">failing</text>'
        f'<line x1="{width - 160}" y1="10" x2="{width - 140}" y2="10" class="series err"/>'
        f'<text x="{width - 135}" y="14" class="tick">could not be judged</text>'
    )
    first, last = points[0]["scan_time"], points[-1]["scan_time"]
    out.append(f'<text x="{left}" y="{height - 14}" class="tick">{escape(str(first))}</text>')
    out.append(
        f'<text x="{width - 10}" y="{height - 14}" class="tick" text-anchor="end">{escape(str(last))}</text>'
    )
    out.append("</svg>")
    return "".join(out)
