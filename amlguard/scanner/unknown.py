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


class Unknown(str):
    """A value known only after deployment; its text is ``<unknown: KEY>``."""

    key: str
    secret: bool
    where: str
    #: the finding text when it is not "unknown before deployment" (a value the scanner
    #: cannot determine from what it read, such as an undeterminable solution VNet)
    said: str
    #: how many were made in this process (copies and unpickled ones too: they come through
    #: ``__new__``): while 0, no row can hold one (a snapshot scan's whole-inventory searches
    #: for unknown references are skipped, :func:`none_made`)
    made: int = 0

    def __new__(cls, key: str, secret: bool = False, where: str = "", said: str = "") -> Unknown:
        Unknown.made += 1
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


def none_made() -> bool:
    """True when no :class:`Unknown` was ever made in this process, so no value is one."""
    return Unknown.made == 0


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
