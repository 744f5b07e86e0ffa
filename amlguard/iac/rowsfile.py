"""The document ``amlguard template rows`` writes: a snapshot plus where the unknowns are."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from amlguard import __version__
from amlguard.errors import InputError
from amlguard.iac.values import Unknown
from amlguard.scanner import ids
from amlguard.scanner.sources.interface import Collected
from amlguard.scanner.sources.snapshot import HEADER_KEY

if TYPE_CHECKING:
    from amlguard.iac.source import TemplateSource


def _unknowns(value: Any, path: str, out: list[tuple[str, Unknown]]) -> None:
    if isinstance(value, Unknown):
        out.append((path, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            _unknowns(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _unknowns(v, f"{path}[{i}]", out)


def rows_document(source: TemplateSource, collected: Collected) -> dict[str, Any]:
    """``{amlguard_snapshot: header, data: rows, unknowns: [...]}``; secrets never in it."""
    unknowns = []
    for row in collected.rows:
        found: list[tuple[str, Unknown]] = []
        _unknowns(row, "", found)
        for path, value in found:
            unknowns.append(
                {
                    "resource_id": row["id"],
                    "path": path,
                    "key": value.key,
                    "secret": value.secret,
                    "where": value.where,
                }
            )
    header = {
        "tool": f"amlguard {__version__}",
        "source": "template",
        **collected.info.header,
        "stats": collected.info.stats,
    }
    return {HEADER_KEY: header, "data": collected.rows, "unknowns": unknowns}


#: what a template rows file's header says its source was
TEMPLATE_SOURCE = "template"
#: the header key under which a rows file's ``unknowns`` list is carried into the scan
UNKNOWNS = "unknowns"


def _is_rows_header(header: Any) -> bool:
    return isinstance(header, dict) and header.get("source") == TEMPLATE_SOURCE


def as_template_scan(collected: Collected) -> Collected:
    """A ``template rows`` file read as a snapshot, judged as the template it came from.

    Its unknown values are restored where its ``unknowns`` list says they are (as text they
    would compare equal and pass), and the scan is a template scan: conditional resources are
    settled and the rules' ``iac:`` treatments apply, exactly as ``check --template`` would.
    Any other snapshot is returned as it is. A rows file beside other snapshot files, or under
    ``--template``, is refused: which rows came from the template could not be told.
    """
    info = collected.info
    header = info.header if isinstance(info.header, dict) else {}
    files = header.get("files")
    mixed = [*(files if isinstance(files, list) else []), header.get("estate")]
    several = isinstance(info.stats, dict) and info.stats.get("files", 1) != 1
    if any(_is_rows_header(h) for h in mixed) or (several and _is_rows_header(header)):
        raise InputError(
            f"{info.description}: a 'template rows' file is judged alone (its unknown values "
            "and conditions belong to its template); to judge a template over an estate use "
            "'check --template ... --snapshot ESTATE'"
        )
    if info.kind != "snapshot" or not _is_rows_header(header):
        return collected
    listed = header.get(UNKNOWNS)
    if not isinstance(listed, list):
        raise InputError(
            f"{info.description}: a 'template rows' file without its 'unknowns' list (edited, "
            "or cut): write it again with 'amlguard template rows'"
        )
    rows = _restored(collected.rows, _unknown_entries(listed, info.description), info.description)
    return Collected(rows, replace(info, kind=TEMPLATE_SOURCE))


def _unknown_entries(listed: list[Any], where: str) -> dict[tuple[str, str], Unknown]:
    out: dict[tuple[str, str], Unknown] = {}
    for i, entry in enumerate(listed):
        fields = entry if isinstance(entry, dict) else {}
        rid, path, key = fields.get("resource_id"), fields.get("path"), fields.get("key")
        if not (isinstance(rid, str) and isinstance(path, str) and isinstance(key, str)):
            raise InputError(
                f"{where}: the 'template rows' file's unknowns[{i}] must be an object with "
                "'resource_id', 'path' and 'key' "
                "strings"
            )
        secret, said = fields.get("secret", False), fields.get("where", "")
        out[(ids.norm(rid), path)] = Unknown(
            key, secret is True, said if isinstance(said, str) else ""
        )
    return out


def _restored(
    rows: list[dict[str, Any]], unknowns: dict[tuple[str, str], Unknown], where: str
) -> list[dict[str, Any]]:
    """``rows`` with each listed unknown put back; an entry that names no such text is refused."""
    by_id: dict[str, list[tuple[str, Unknown]]] = {}
    for (rid, path), value in unknowns.items():
        by_id.setdefault(rid, []).append((path, value))
    placed = 0
    out = []
    for row in rows:
        wanted = dict(by_id.get(ids.norm(row.get("id")), ()))
        if wanted:
            row, count = _put_back(row, "", wanted)
            placed += count
        out.append(row)
    if placed != len(unknowns):
        raise InputError(
            f"{where}: its 'unknowns' list names {len(unknowns) - placed} value(s) the rows do "
            "not hold as written (edited?): write it again with 'amlguard template rows'"
        )
    return out


def _put_back(value: Any, path: str, wanted: dict[str, Unknown]) -> tuple[Any, int]:
    """``value`` with the unknowns ``wanted`` names at their paths (the paths _unknowns writes)."""
    if isinstance(value, str):
        unknown = wanted.get(path)
        if unknown is not None and value == str(unknown):
            return unknown, 1
        return value, 0
    if isinstance(value, dict):
        count = 0
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[k], n = _put_back(v, f"{path}.{k}" if path else str(k), wanted)
            count += n
        return out, count
    if isinstance(value, list):
        count = 0
        items = []
        for i, v in enumerate(value):
            item, n = _put_back(v, f"{path}[{i}]", wanted)
            items.append(item)
            count += n
        return items, count
    return value, 0
