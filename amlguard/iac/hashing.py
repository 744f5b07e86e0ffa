"""``uniqueString()`` and ``guid()`` exactly as Azure Resource Manager computes them.

``guid(a, b, ...)`` is the name-based (version 5, SHA-1) UUID of ``"a-b-..."`` in the namespace
``11fb06fb-712d-4ddd-98c7-e71bbd588830`` (Microsoft's Bicep string-function documentation; the
same namespace is used by Terraform's azapi provider and by every public re-implementation).

``uniqueString(a, b, ...)`` is Microsoft's 64-bit MurmurHash variant (two 32-bit lanes mixed
into each other) of the UTF-8 bytes of ``"a-b-..."`` with seed 0, written as 13 base-32 digits
(``a-z2-7``, most significant 5 bits first). Both are checked against values ARM's own
expression library (Azure.Deployments.Expression, through ``bicep snapshot``, Bicep's constant
folding and ``build-params``, and a Microsoft project's tests) computed; ``tests/iac/test_hashing.py``
names each source, repository path and commit.
"""

from __future__ import annotations

import uuid

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def _fmix(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    return h ^ (h >> 16)


def murmur64(data: bytes, seed: int = 0) -> int:
    """The 64-bit MurmurHash variant ARM's ``uniqueString`` uses."""
    c1, c2 = 0x239B961B, 0xAB0E9789
    n = len(data)
    h1 = h2 = seed
    i = 0
    while i + 8 <= n:
        k1 = int.from_bytes(data[i : i + 4], "little")
        k2 = int.from_bytes(data[i + 4 : i + 8], "little")
        h1 ^= (_rotl((k1 * c1) & _M32, 15) * c2) & _M32
        h1 = (((_rotl(h1, 19) + h2) & _M32) * 5 + 0x561CCD1B) & _M32
        h2 ^= (_rotl((k2 * c2) & _M32, 17) * c1) & _M32
        h2 = (((_rotl(h2, 13) + h1) & _M32) * 5 + 0x0BCAA747) & _M32
        i += 8
    tail = n - i
    if tail > 0:
        k1 = int.from_bytes(data[i : i + min(tail, 4)], "little")
        h1 ^= (_rotl((k1 * c1) & _M32, 15) * c2) & _M32
        if tail > 4:
            k2 = int.from_bytes(data[i + 4 : i + tail], "little")
            h2 ^= (_rotl((k2 * c2) & _M32, 17) * c1) & _M32
    h1 ^= n
    h2 ^= n
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    return ((h2 << 32) | h1) & _M64


def unique_string(*parts: str) -> str:
    """ARM's ``uniqueString(parts...)``: 13 characters, deterministic."""
    h = murmur64("-".join(parts).encode("utf-8"))
    out = []
    for _ in range(13):
        out.append(_ALPHABET[h >> 59])
        h = (h << 5) & _M64
    return "".join(out)


def arm_guid(*parts: str) -> str:
    """ARM's ``guid(parts...)``: a version-5 UUID in ARM's namespace."""
    return str(uuid.uuid5(_NAMESPACE, "-".join(parts)))
