"""Which of a commit's changed files are templates to check (the pre-commit hook).

pre-commit passes every changed file its ``files:`` pattern matches (``.bicep``,
``.bicepparam``, ``.json`` by default). A ``.bicep`` file and an ARM template (or Bicep
snapshot) are checked; a changed ARM parameter file checks its template
(``main.parameters.json`` -> ``main.json``, with that parameter file; a changed template
brings its own ``<stem>.parameters.json`` or ``<stem>.bicepparam``) and a ``.bicepparam``
file the template its ``using`` line names (with the ``.bicepparam``); any other JSON
(``package.json``, a policy) is left out and said so. A parameter file whose template cannot
be found (``main.prod.parameters.json`` -> ``main.json``/``main.bicep``, else the only
template in its folder or the one above) is an error: it changes a deployment. A changed Bicep module (a file another ``.bicep`` file under the
working directory calls with ``module x './path.bicep'``) is checked through the templates at
the top of its callers, where its parameters get their values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

_USING = re.compile(r"^\s*using\s+'([^']+)'", re.M)
_MODULE = re.compile(r"^\s*module\s+\w+\s+'([^':]+\.bicep)'", re.M)
_SKIP_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__"}
_TEMPLATE_SCHEMA = "deploymenttemplate.json"
_PARAMS_SCHEMA = "deploymentparameters.json"


@dataclass(slots=True)
class Changed:
    """The templates (and parameter files) to check, and the files left out with why."""

    templates: list[Path] = field(default_factory=list)
    parameters: list[Path] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # modules checked through their callers
    #: changed files that would change a deployment but cannot be checked: never a pass
    unresolved: list[str] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)  # the parameter files among them

    def add(self, template: Path, parameters: Path | None = None) -> None:
        """One template to check (once), with the parameter file that brought it in."""
        if template not in self.templates:
            self.templates.append(template)
            for sibling in (
                template.with_name(f"{template.stem}.parameters.json"),
                template.with_name(f"{template.stem}.bicepparam"),
            ):
                if parameters is None and sibling.is_file():
                    parameters = sibling  # as a folder check finds a template's own
        if parameters is not None and parameters not in self.parameters:
            self.parameters.append(parameters)


def _json_kind(path: Path) -> str:
    """``template``, ``parameters`` or ``other`` (unreadable or not ARM)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return "other"
    if not isinstance(doc, dict):
        return "other"
    schema = str(doc.get("$schema", "")).lower()
    if _PARAMS_SCHEMA in schema:
        return "parameters"
    if _TEMPLATE_SCHEMA in schema or "predictedResources" in doc:
        return "template"
    return "template" if not schema and isinstance(doc.get("resources"), list | dict) else "other"


def _relative(found: Path, given: Path) -> Path:
    """``found`` spelled relative to the working directory when ``given`` was relative."""
    if given.is_absolute():
        return found
    try:
        return found.relative_to(Path.cwd().resolve())
    except ValueError:
        return found


_PARAMS_SUFFIX = ".parameters.json"


def _params_template(path: Path) -> Path | None:
    """The template a parameter file belongs to: ``main.parameters.json`` and the
    per-environment ``main.prod.parameters.json`` -> ``main.json`` / ``main.bicep``; else
    (``prod.parameters.json``) the only template in its folder or the folder above."""
    if not path.name.lower().endswith(_PARAMS_SUFFIX):
        return None
    stem = path.name[: -len(_PARAMS_SUFFIX)]
    while stem:
        for candidate in (path.with_name(f"{stem}.json"), path.with_name(f"{stem}.bicep")):
            if candidate.is_file():
                return candidate
        stem = stem.rpartition(".")[0]
    for folder in (path.parent, path.parent.parent):
        found = sorted(folder.glob("*.bicep")) + [
            p
            for p in sorted(folder.glob("*.json"))
            if not p.name.lower().endswith(_PARAMS_SUFFIX) and _json_kind(p) == "template"
        ]
        if len(found) == 1:
            return found[0]
        if found:
            return None  # several: which one is not ours to guess
    return None


def _callers(root: Path) -> dict[Path, set[Path]]:
    """Bicep file -> the Bicep files that call it as a local module (under ``root``)."""
    out: dict[Path, set[Path]] = {}
    for path in root.rglob("*.bicep"):
        if any(part in _SKIP_DIRS for part in path.relative_to(root).parts):
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        for rel in _MODULE.findall(text):
            out.setdefault((path.parent / rel).resolve(), set()).add(path.resolve())
    return out


def _entry_templates(path: Path, callers: dict[Path, set[Path]]) -> list[Path]:
    """The top callers of a Bicep module (itself when nothing calls it)."""
    seen: set[Path] = set()
    stack, tops = [path.resolve()], []
    while stack:
        cur = stack.pop()
        if cur in seen:
            continue
        seen.add(cur)
        up = callers.get(cur, set()) - seen
        if not callers.get(cur):
            tops.append(cur)
        stack.extend(sorted(up))
    return sorted(tops)


def classify(files: list[Path], root: Path | None = None) -> Changed:
    """The templates among ``files`` (see the module text); modules are looked up under
    ``root`` (default: the working directory)."""
    out = Changed()
    index: dict[Path, set[Path]] | None = None
    for path in files:
        suffix = path.suffix.lower()
        if not path.is_file():
            out.left_out.append(f"{path}: not a file (deleted?)")
        elif suffix == ".bicep":
            if index is None:
                index = _callers(root or Path.cwd())
            tops = _entry_templates(path, index)
            for top in tops:
                out.add(_relative(top, path))
            if tops != [path.resolve()]:
                names = ", ".join(str(_relative(t, path)) for t in tops)
                out.notes.append(f"{path}: a module, checked through {names}")
        elif suffix == ".bicepparam":
            try:
                found = _USING.search(path.read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError):
                found = None
            target = path.parent / found.group(1) if found else None
            if target is None or not target.is_file():
                out.left_out.append(f"{path}: its 'using' template was not found")
            else:
                out.add(target, path)
        elif suffix == ".json":
            kind = _json_kind(path)
            if kind == "template":
                out.add(path)
            elif kind == "parameters":
                template = _params_template(path)
                if template is None:
                    out.orphans.append(path)
                    out.unresolved.append(
                        f"{path}: a parameter file whose template was not found (name the "
                        "template in the hook's args: --template TEMPLATE)"
                    )
                else:
                    out.add(template, path)
            else:
                out.left_out.append(f"{path}: not an ARM template")
        else:
            out.left_out.append(f"{path}: not a template file")
    return out
