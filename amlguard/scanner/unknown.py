"""Values only known after a deployment (a principal id, a key, ``utcNow()``), as rows hold them.

Template sources (:mod:`amlguard.iac`) put an :class:`Unknown` where a row's value cannot be
computed before deployment. It is a ``str`` whose text is a stable key, so the same unknown is
equal to itself wherever it appears (the role assignment's ``principalId`` and the workspace
identity's ``principalId`` both read ``<unknown: <identity id>:properties.principalId>``), and
ids built from it are just strings. A condition leaf that reads one cannot judge it and raises
:class:`UnknownValue`: the finding becomes ``error`` ("unknown before deployment: ...");
``allOf``/``anyOf`` still decide when another branch settles the answer (Kleene logic).
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner.context import Undeterminable

#: Whether an :class:`Unknown` was ever made in this process. Rows read from JSON (snapshots,
#: live reads) hold none, so while this is False no row can hold one, and the whole-inventory
#: searches for them (:mod:`amlguard.scanner.unknownrefs`) have nothing to find. Every way of
#: making one (a template source, ``get_key`` on one, unpickling) goes through ``__new__``.
_made = False


def made() -> bool:
    """Whether any :class:`Unknown` exists or existed in this process (False: no row holds one)."""
    return _made


class Unknown(str):
    """A value known only after deployment; its text is ``<unknown: KEY>``."""

    key: str
    secret: bool
    where: str
    #: the finding text when it is not "unknown before deployment" (a value the scanner
    #: cannot determine from what it read, such as an undeterminable solution VNet)
    said: str

    def __new__(cls, key: str, secret: bool = False, where: str = "", said: str = "") -> Unknown:
        global _made
        _made = True
        obj = super().__new__(cls, f"<unknown: {key}>")
        obj.key = key
        obj.secret = secret
        obj.where = where
        obj.said = said
        return obj

    def __getnewargs__(self) -> tuple[str, bool, str, str]:  # type: ignore[override]
        """What pickle and copy rebuild it from: its key, not its ``<unknown: KEY>`` text
        (the parallel evaluation's wire pickles findings that hold one)."""
        return (self.key, self.secret, self.where, self.said)

    def reason(self) -> str:
        """The finding text: what is unknown, and where the template produces it."""
        if self.said:
            return self.said
        what = f"<secret> {self.key}" if self.secret else self.key
        return f"unknown before deployment: {what}" + (f" ({self.where})" if self.where else "")


class UnknownValue(Undeterminable):
    """A condition read an :class:`Unknown`; the verdict cannot be known before deployment."""

    def __init__(self, value: Unknown) -> None:
        super().__init__(value.reason())
        self.value = value


def first_unknown(values: Any) -> Unknown | None:
    """The first :class:`Unknown` among a leaf's actual values (a list for ``[*]`` paths)."""
    if type(values) is Unknown:
        return values
    if type(values) is list:
        for value in values:
            if type(value) is Unknown:
                return value
    return None
