"""Which of a commit's changed files are templates to check (the pre-commit hook).

pre-commit passes every changed file its ``files:`` pattern matches (``.bicep``,
``.bicepparam``, ``.json`` by default). A ``.bicep`` file and an ARM template (or Bicep
snapshot) are checked; a changed ARM parameter file checks its template
(``main.parameters.json`` -> ``main.json``, with that parameter file; a changed template
brings its own ``<stem>.parameters.json`` as a folder check does) and a ``.bicepparam``
file the template its ``using`` line names (with the ``.bicepparam``); any other JSON
(``package.json``, a policy, a parameter file without its template) is left out and said so:
never an error, never silent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

_USING = re.compile(r"^\s*using\s+'([^']+)'", re.M)
_TEMPLATE_SCHEMA = "deploymenttemplate.json"
_PARAMS_SCHEMA = "deploymentparameters.json"


@dataclass(slots=True)
class Changed:
    """The templates (and parameter files) to check, and the files left out with why."""

    templates: list[Path] = field(default_factory=list)
    parameters: list[Path] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def add(self, template: Path, parameters: Path | None = None) -> None:
        """One template to check (once), with the parameter file that brought it in."""
        if template not in self.templates:
            self.templates.append(template)
            sibling = template.with_name(f"{template.stem}.parameters.json")
            if parameters is None and sibling.is_file():
                parameters = sibling  # as a folder check finds it
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


def _params_template(path: Path) -> Path | None:
    stem = path.name[: -len(".parameters.json")] if path.name.endswith(".parameters.json") else ""
    for candidate in (path.with_name(f"{stem}.json"), path.with_name(f"{stem}.bicep")):
        if stem and candidate.is_file():
            return candidate
    return None


def classify(files: list[Path]) -> Changed:
    """The templates among ``files`` (see the module text)."""
    out = Changed()
    for path in files:
        suffix = path.suffix.lower()
        if not path.is_file():
            out.left_out.append(f"{path}: not a file (deleted?)")
        elif suffix == ".bicep":
            out.add(path)
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
                    out.left_out.append(f"{path}: a parameter file without a sibling template")
                else:
                    out.add(template, path)
            else:
                out.left_out.append(f"{path}: not an ARM template")
        else:
            out.left_out.append(f"{path}: not a template file")
    return out
