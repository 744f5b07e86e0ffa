"""A credential that hands out a fixed token: the emulator accepts any bearer token."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo

FAR_FUTURE = int(time.time()) + 365 * 24 * 3600


class FakeCredential:
    """Duck-typed azure-core credential; records the scopes it was asked for."""

    def __init__(self, token: str = "emulator-token") -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, FAR_FUTURE)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        self.scopes.append(scopes)
        return AccessTokenInfo(self.token, FAR_FUTURE)
