"""Storage accounts named only by URL (a feature store's offline store, a connection's target):
``abfss://container@account.dfs.core.windows.net/path``, ``wasbs://c@account.blob...``,
``https://account.blob.core.windows.net/container``, ``account.privatelink.dfs...``.

A URL names an account by the first label of its host, a storage service (blob, dfs, file,
queue, table, web) and the cloud's storage suffix. Only that is kept: user info, path, query
(a SAS token) and fragment never leave this module, so nothing secret reaches a report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the storage endpoint suffix of each named cloud (lower-case cloud name -> suffix)
STORAGE_SUFFIXES = {
    "azurecloud": "core.windows.net",
    "azureusgovernment": "core.usgovcloudapi.net",
    "azurechinacloud": "core.chinacloudapi.cn",
}
SERVICES = ("blob", "dfs", "file", "queue", "table", "web")
_SCHEMES = ("https", "http", "abfss", "abfs", "wasbs", "wasb")
_ACCOUNT = re.compile(r"[a-z0-9]{3,24}")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_PORT = re.compile(r":[0-9]{1,5}")
#: a URL longer than this names no account (hostile input is not scanned further)
MAX_URL = 4096


@dataclass(frozen=True, slots=True)
class StorageUrl:
    """What a storage URL names: account, service, endpoint suffix (all lower-case)."""

    account: str
    service: str
    suffix: str

    @property
    def host(self) -> str:
        """The public endpoint host, e.g. ``acct.dfs.core.windows.net``."""
        return f"{self.account}.{self.service}.{self.suffix}"

    @property
    def endpoint(self) -> str:
        """``https://<host>``: how a report names the account (never the path or a token)."""
        return f"https://{self.host}"


def storage_suffix(cloud: str) -> str:
    """The storage endpoint suffix of a cloud ('' for a cloud amlguard does not know)."""
    return STORAGE_SUFFIXES.get(str(cloud).strip().lower(), "")


def _authority(text: str) -> str | None:
    match = _SCHEME.match(text)
    if match:
        if match.group(1).lower() not in _SCHEMES:
            return None
        rest = text[match.end() :]
    elif "://" in text or text.startswith("/"):
        return None
    else:
        rest = text  # a bare host, as some connection targets are written
    authority = re.split(r"[/?#\\]", rest, maxsplit=1)[0]
    return authority.rsplit("@", 1)[-1]  # abfss://container@host: the container is user info


def parse_storage_url(text: object) -> StorageUrl | None:
    """The account a storage URL names; None for anything else (an ARM id, an ``azureml://``
    URI, another service's URL, a malformed or over-long string). Never raises."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > MAX_URL or any(ord(c) < 0x21 for c in text):
        return None
    authority = _authority(text)
    if not authority:
        return None
    port = _PORT.search(authority)
    if port and port.end() == len(authority):
        authority = authority[: port.start()]
    host = authority.lower().rstrip(".")
    labels = host.split(".")
    if len(labels) < 3 or not _ACCOUNT.fullmatch(labels[0]):
        return None
    rest = labels[1:]
    if rest[0] == "privatelink":
        rest = rest[1:]
    if len(rest) < 2 or rest[0] not in SERVICES:
        return None
    suffix = ".".join(rest[1:])
    if suffix not in STORAGE_SUFFIXES.values():
        return None
    return StorageUrl(labels[0], rest[0], suffix)
