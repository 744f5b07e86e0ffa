"""YAML and JSON-Schema validation that reports ``file:line:col: message`` for every problem."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from amlguard.excerpt import excerpt, quoted, redact
from amlguard.scanner import parsecache
from amlguard.scanner.yamltypes import Location, Locations, YamlProblems

__all__ = ["Location", "Locations", "YamlProblems", "load_yaml"]


def load_yaml(text: str, name: str) -> tuple[Any, Locations]:
    """Parse one YAML document, returning the data and the position of every node."""
    from amlguard.scanner.yamlparse import parse  # PyYAML only when something is parsed

    return parse(text, name)


def load_yaml_file(path: str, name: str) -> Any:
    """The data of a YAML file shipped in the package, from the warm cache when unchanged.

    ``name`` is how problems name the file. See :mod:`amlguard.scanner.parsecache`.
    """
    sig = parsecache.signature(path)  # before reading: a later edit then only misses
    cached = parsecache.get("yaml", path, (sig,))
    if cached is not None:
        return cached[0]
    data, _ = load_yaml(read_text(Path(path)), name)
    parsecache.put("yaml", path, (sig,), parsecache.encode((data,)))
    parsecache.save()
    return data


def position(locs: Locations, path: Iterable[Any]) -> Location:
    """The position of the deepest existing node along ``path``."""
    parts = tuple(path)
    while parts and parts not in locs:
        parts = parts[:-1]
    return locs.get(parts, (1, 1))


@cache
def _schema_text(name: str) -> str:
    return Path(parsecache.package_file(f"policies/schemas/{name}")).read_text("utf-8")


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``amlguard/policies/schemas``."""
    data: dict[str, Any] = json.loads(_schema_text(name))
    return data


def _verdict_marker(schema_name: str, text: str) -> Path | None:
    """Where a passed validation of exactly this text against exactly this schema is noted.

    Importing jsonschema costs ~50 ms, on every check, for a rule pack that rarely changes;
    a file named by the hash of schema and text records that this pair passed before. Only
    passes are recorded, so a broken file is always validated and reported. Set
    ``AMLGUARD_NO_CACHE`` to always validate.
    """
    if os.environ.get("AMLGUARD_NO_CACHE"):
        return None
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256()
    for part in (_schema_text(schema_name), text):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return Path(base) / "amlguard" / "validated" / digest.hexdigest()


def validate(
    data: Any,
    schema_name: str,
    locs: Locations,
    name: str,
    failed: set[tuple[Any, ...]] | None = None,
    text: str | None = None,
) -> list[str]:
    """Every schema violation as ``file:line:col: message`` (best error of each branch).

    ``failed`` (optional) collects the first two path segments of every violation, so a caller
    can still check the parts that are valid (e.g. compile the other rules of the file).
    ``text``, the source ``data`` was parsed from, lets a pass be remembered (see
    ``_verdict_marker``).
    """
    marker = _verdict_marker(schema_name, text) if text is not None else None
    try:
        if marker is not None and marker.is_file():
            return []
    except OSError:  # an unreadable cache folder only costs the validation
        marker = None
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    validator = Draft202012Validator(schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        if failed is not None:
            failed.add(tuple(error.absolute_path)[:2])
        shown = best_match([error]) if error.context else error
        line, col = position(locs, shown.absolute_path)
        where = "/".join(str(p) for p in shown.absolute_path) or "document"
        problems.append(f"{name}:{line}:{col}: {where}: {_message(shown)}")
    if not problems and marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # a read-only home only costs the next run the validation
    return problems


def _message(error: Any) -> str:
    """A validation message that shows user data only as a short, redacted excerpt."""
    text = _raw_message(error)
    shown = _safe_repr(error.instance)
    if shown and shown in text:
        text = text.replace(
            shown, quoted(error.instance) if isinstance(error.instance, str) else excerpt(shown)
        )
    text = redact(text)
    return text if len(text) <= 240 else text[:237] + "..."


def _safe_repr(value: Any) -> str:
    try:
        return repr(value) if len(repr(value)) > 3 else ""
    except (RecursionError, ValueError):
        return ""


def _raw_message(error: Any) -> str:
    if error.validator == "additionalProperties":
        return str(error.message).replace("Additional properties are not allowed", "unknown key")
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        # oneOf over {"required": [key]} alternatives: name the clashing keys plainly.
        alternatives = error.validator_value if isinstance(error.validator_value, list) else []
        keys = [
            k
            for alt in alternatives
            if isinstance(alt, dict) and list(alt) == ["required"]
            for k in alt["required"]
            if k in error.instance
        ]
        if len(keys) > 1:
            return f"only one of {', '.join(keys)} may be given here, found {len(keys)}"
        return "expected exactly one of the allowed forms here (" + str(error.message)[:160] + ")"
    return str(error.message)


def read_text(path: Path) -> str:
    """A regular file's text (see :mod:`amlguard.inputfile`), with a clear error for an
    unreadable, non-regular or non-UTF-8 file."""
    from amlguard import inputfile
    from amlguard.errors import InputError

    try:
        raw = inputfile.read_bytes(path, "file")
    except InputError as exc:
        raise YamlProblems([str(exc)]) from None
    body = raw[3:] if raw[:3] == b"\xef\xbb\xbf" else raw
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        col = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblems(
            [f"{path}:{line}:{col}: not UTF-8 text (invalid byte 0x{body[exc.start]:02x})"]
        ) from None
