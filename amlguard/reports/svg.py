"""Inline SVG for the HTML report: the blueprint diagram of an instance, and the trend chart.

Pieces of the diagram are coloured by the worst status of the findings mapped onto them; the
mapping uses the finding's resource id against the instance's members, and the rule's name for
workspace findings that are really about the identity, the managed network or the endpoints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from amlguard.reports.text import clip, short_name
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, Status

# Worst first: an error hides nothing, a failure beats a pass.
_RANK = [Status.ERROR, Status.FAIL, Status.PASS, Status.SUPPRESSED, Status.SKIPPED]
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


def worst(statuses: Iterable[Status]) -> str:
    """The worst status present, as text; ``none`` when nothing judged the piece."""
    present = set(statuses)
    for status in _RANK:
        if status in present:
            return status.value
    return "none"


def pieces_of(finding: Finding, instance: Any) -> list[str]:
    """The diagram pieces (``storage``, ``ai0``, ``vnet`` ...) a finding colours."""
    rid = ids.norm(finding.resource_id)
    name = finding.rule_name.lower()
    out: list[str] = []
    if rid == ids.norm(instance.id):
        if "managed-network" in name or "outbound-rule" in name:
            out.append("managednetwork")
        elif "identity" in name:
            out.append("identity")
        else:
            out.append("workspace")
    else:
        roles = {ids.norm(v): k.lower() for k, v in instance.associated.items()}
        integrated = [ids.norm(i) for i in instance.integrated]
        rtype = finding.resource_type.lower()
        vnet = ids.norm(instance.solution_vnet)
        if rid in roles:
            out.append(_ROLE_PIECE.get(roles[rid], "other"))
        elif rid in integrated:
            out.append(f"ai{integrated.index(rid)}")
        elif rtype in _ENDPOINT_TYPES:
            out.append("endpoints")
        elif rtype in _VNET_TYPES or (vnet and rid.startswith(vnet)):
            out.append("vnet")
        else:
            out.append("other")
    if "private-endpoint" in name and "endpoints" not in out:
        out.append("endpoints")
    return out


@dataclass(frozen=True, slots=True)
class _Box:
    key: str
    label: str
    sub: str
    x: int
    y: int
    w: int = 186
    h: int = 58


def _layout(instance: Any) -> list[_Box]:
    props = instance.workspace.get("properties") or {}
    mode = str((props.get("managedNetwork") or {}).get("isolationMode") or "not configured")
    assoc = {k.lower(): v for k, v in instance.associated.items()}

    def name_of(role: str) -> str:
        return short_name(assoc[role]) if role in assoc else "not linked"

    boxes = [
        _Box(
            "identity",
            "User-assigned identity",
            short_name(instance.primary_identity or "none"),
            20,
            20,
        ),
        _Box("workspace", "ML workspace", instance.name, 356, 20),
        _Box("managednetwork", "Managed network", mode, 692, 20),
        _Box("storage", "Storage account", name_of("storageaccount"), 20, 130),
        _Box("keyvault", "Key vault", name_of("keyvault"), 244, 130),
        _Box("registry", "Container registry", name_of("containerregistry"), 468, 130),
        _Box("appinsights", "Application Insights", name_of("applicationinsights"), 692, 130),
    ]
    ai = list(instance.integrated)
    for i, account in enumerate(ai[:4]):
        boxes.append(_Box(f"ai{i}", "AI account", short_name(account), 20 + i * 224, 240))
    if not ai:
        boxes.append(_Box("ai-none", "AI accounts", "none integrated", 20, 240))
    vnet = short_name(instance.solution_vnet) if instance.solution_vnet else "not found"
    boxes.append(_Box("endpoints", "Private endpoints", "in the solution VNet", 132, 350, 300))
    boxes.append(_Box("vnet", "Solution VNet", vnet, 468, 350, 300))
    return boxes


def _wiring(boxes: list[_Box]) -> list[str]:
    """A trunk down from the workspace and one bus per row, so no line crosses a piece."""
    ws = next(b for b in boxes if b.key == "workspace")
    mid_y = ws.y + ws.h // 2
    trunk_x = ws.x + ws.w // 2
    out = [
        f'<line x1="{b.x + b.w}" y1="{mid_y}" x2="{ws.x}" y2="{mid_y}" class="link"/>'
        for b in boxes
        if b.key == "identity"
    ] + [
        f'<line x1="{ws.x + ws.w}" y1="{mid_y}" x2="{b.x}" y2="{mid_y}" class="link"/>'
        for b in boxes
        if b.key == "managednetwork"
    ]
    rows: dict[int, list[_Box]] = {}
    for b in boxes:
        if b.y > ws.y:
            rows.setdefault(b.y, []).append(b)
    bottom = max(rows) - 12 if rows else mid_y
    out.append(
        f'<line x1="{trunk_x}" y1="{ws.y + ws.h}" x2="{trunk_x}" y2="{bottom}" class="link"/>'
    )
    for y, row in rows.items():
        bus = y - 12
        xs = [b.x + b.w // 2 for b in row] + [trunk_x]
        out.append(f'<line x1="{min(xs)}" y1="{bus}" x2="{max(xs)}" y2="{bus}" class="link"/>')
        out += [
            f'<line x1="{b.x + b.w // 2}" y1="{bus}" x2="{b.x + b.w // 2}" y2="{y}" class="link"/>'
            for b in row
        ]
    return out


def diagram(instance: Any, findings: Sequence[Finding], index: int) -> str:
    """The instance's blueprint as SVG; each piece carries ``data-piece`` and ``data-status``."""
    by_piece: dict[str, list[Status]] = {}
    for f in findings:
        for piece in pieces_of(f, instance):
            by_piece.setdefault(piece, []).append(f.status)
    boxes = _layout(instance)
    lines = _wiring(boxes)
    parts = []
    for b in boxes:
        statuses = by_piece.get(b.key, [])
        status = worst(statuses)
        counts = Counter(s.value for s in statuses)
        tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no findings"
        badge = (
            f"{counts['error']} error"
            if counts["error"]
            else (f"{counts['fail']} failing" if counts["fail"] else tally)
        )
        parts.append(
            f'<g class="piece st-{status}" data-piece="i{index}:{escape(b.key)}" '
            f'data-status="{status}" tabindex="0" role="button">'
            f"<title>{escape(b.label)}: {escape(b.sub)} ({escape(tally)})</title>"
            f'<rect x="{b.x}" y="{b.y}" width="{b.w}" height="{b.h}" rx="8"/>'
            f'<text x="{b.x + 10}" y="{b.y + 20}" class="lbl">{escape(b.label)}</text>'
            f'<text x="{b.x + 10}" y="{b.y + 37}" class="sub">{escape(clip(b.sub, 26))}</text>'
            f'<text x="{b.x + 10}" y="{b.y + 52}" class="tally">{escape(badge)}</text></g>'
        )
    more = len(instance.integrated) - 4
    note = (
        f'<text x="20" y="318" class="sub">+{more} more AI account(s) in the table</text>'
        if more > 0
        else ""
    )
    other = by_piece.get("other", [])
    if other:
        note += (
            f'<text x="20" y="430" class="sub">{len(other)} finding(s) on other resources '
            f"({escape(worst(other))})</text>"
        )
    return (
        f'<svg class="diagram" viewBox="0 0 900 440" role="img" '
        f'aria-label="Blueprint of {escape(instance.name)}">'
        + "".join(lines)
        + "".join(parts)
        + note
        + "</svg>"
    )


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
