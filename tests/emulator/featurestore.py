"""Emulator routes for a feature store's feature sets and their versions (AMLG-203).

``GET .../workspaces/{fs}/featuresets`` (FeaturesetContainers_List) and ``GET .../featuresets/
{name}/versions`` (FeaturesetVersions_List) as the Microsoft.MachineLearningServices spec
(api-version 2024-10-01) describes them: an ARM list in pages (``nextLink`` carrying a
``$skipToken``), archived items left out unless ``listViewType`` says ``All`` or
``ArchivedOnly`` (the spec's default is ``ActiveOnly``; an item is archived when its
``properties.isArchived`` is true). Resource Graph does not index either type
(``arg.NOT_INDEXED``). Invented (the spec names no error for it): listing the feature sets of a
workspace that is not a feature store answers 400 ``UserError``.
"""

from __future__ import annotations

import re
from typing import Any

from tests.emulator.server import Emulator, Request, Response, arm_error, as_arm_body

WS = (
    r"(?P<ws>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/[^/]+)"
)
SETS = WS + r"/featuresets"
VERSIONS = WS + r"/featuresets/(?P<set>[^/]+)/versions"
_VIEWS = {"activeonly", "archivedonly", "all"}


class FeatureStoreRoutes:
    """The list routes; ``page_size`` is how many items one page holds."""

    def __init__(self, emu: Emulator, page_size: int = 20) -> None:
        self.emu = emu
        self.page_size = page_size

    def _page(self, req: Request, items: list[dict[str, Any]]) -> Response:
        given = [v for k, v in req.query.items() if k.lower() == "listviewtype"]
        view = (given[0] if given else "ActiveOnly").lower()
        if view not in _VIEWS:
            return arm_error(400, "UserError", f"listViewType {view!r} is not valid.")
        if view != "all":
            want = view == "archivedonly"
            items = [
                i for i in items if bool((i.get("properties") or {}).get("isArchived")) is want
            ]
        try:
            start = int(req.query.get("$skiptoken", "0") or 0)
        except ValueError:
            return arm_error(400, "UserError", "The $skipToken is not valid.")
        page = items[start : start + self.page_size]
        body: dict[str, Any] = {"value": [as_arm_body(r) for r in page]}
        if start + self.page_size < len(items):
            body["nextLink"] = (
                f"{self.emu.url}{req.path}?api-version={req.api_version}"
                f"&$skipToken={start + self.page_size}"
            )
        return Response(200, body)

    def feature_sets(self, req: Request, m: re.Match[str]) -> Response:
        """FeaturesetContainers_List."""
        if req.api_version is None:
            return arm_error(400, "MissingApiVersionParameter", "api-version is required.")
        ws = self.emu.get(m.group("ws"))
        if ws is None:
            return arm_error(
                404, "ResourceNotFound", f"The Resource '{m.group('ws')}' was not found."
            )
        if str(ws.get("kind") or "").lower() != "featurestore":
            return arm_error(400, "UserError", "Feature sets exist only in a feature store.")
        return self._page(req, self.emu.children(req.path.rstrip("/")))

    def versions(self, req: Request, m: re.Match[str]) -> Response:
        """FeaturesetVersions_List."""
        if req.api_version is None:
            return arm_error(400, "MissingApiVersionParameter", "api-version is required.")
        parent = req.path.rstrip("/").rsplit("/", 1)[0]
        if self.emu.get(parent) is None:
            return arm_error(404, "ResourceNotFound", f"The Resource '{parent}' was not found.")
        return self._page(req, self.emu.children(req.path.rstrip("/")))


def register(emu: Emulator, page_size: int = 20) -> FeatureStoreRoutes:
    """Add the feature set list routes to ``emu``."""
    routes = FeatureStoreRoutes(emu, page_size)
    emu.route("GET", SETS)(routes.feature_sets)
    emu.route("GET", VERSIONS)(routes.versions)
    return routes
