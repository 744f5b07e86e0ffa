"""Which of a commit's changed files are templates to check (the pre-commit hook).

pre-commit passes every changed file its ``files:`` pattern matches (``.bicep``,
``.bicepparam``, ``.json`` by default). Every changed file that is, or may be, a deployment
input is either checked or named as not checkable (``unresolved``: the hook fails closed,
exit 2); only a file that is certainly not a deployment input is left out, and said so.

- A ``.bicep`` file and an ARM template (or Bicep snapshot) are checked. A changed Bicep module
  (a file another ``.bicep`` file under the working directory calls with ``module x
  './path.bicep'``) is checked through the templates at the top of its callers.
- A changed ARM parameter file checks its template (``main.parameters.json`` and
  ``main.prod.parameters.json`` -> ``main.json``/``main.bicep``, else the only template in its
  folder or the one above), with that parameter file; a changed template brings its own
  ``<stem>.parameters.json`` or ``<stem>.bicepparam``. A parameter file is known by its shape,
  not only its ``$schema`` (which ARM does not require): a ``parameters`` object whose entries
  carry a ``value`` or ``reference``, a ``contentVersion`` without ``resources``, the bare
  ``{name: {value}}`` form the Azure CLI accepts, or a ``*.parameters.json`` name.
- A ``.bicepparam`` file checks the local template its ``using`` line names.
- JSON is read as ARM reads it (``//`` and ``/* */`` comments allowed).

Unresolved (never a pass): JSON that cannot be read even so (the message names line and
column), a parameter file or ``.bicepparam`` whose template is not found locally (a registry
module, a template spec, a typo: name the template with ``--template``). Left out: JSON whose
top level is not an object, or an object with nothing ARM deploys (no ``resources`` list,
no deployment ``$schema``, no ``contentVersion``, no parameter values), other suffixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_USING = re.compile(r"^\s*using\s+'([^']+)'", re.M)
_MODULE = re.compile(r"^\s*module\s+\w+\s+'([^':]+\.bicep)'", re.M)
_SKIP_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__"}
_TEMPLATE_SCHEMA = "deploymenttemplate.json"
_PARAMS_SCHEMA = "deploymentparameters.json"
_PARAMS_SUFFIX = ".parameters.json"
_JSON_SUFFIXES = (".json", ".jsonc")


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


#: What :func:`json_kind` answers: checked (``template``, ``parameters``), not checkable
#: (``unreadable``: fail closed), or certainly not a deployment input (``other``).
KINDS = ("template", "parameters", "unreadable", "other")
_DEPLOYMENT_SCHEMA = "deployment"


def _carries_value(entry: object) -> bool:
    return isinstance(entry, dict) and ("value" in entry or "reference" in entry)


def document_kind(doc: object, name: str = "") -> tuple[str, str]:
    """(kind, why) of a parsed JSON document named ``name`` (see the module text)."""
    if not isinstance(doc, dict):
        return "other", "its top level is not a JSON object (ARM deploys only objects)"
    schema = str(doc.get("$schema", "")).lower()
    if _PARAMS_SCHEMA in schema:
        return "parameters", "its $schema is deploymentParameters"
    if _TEMPLATE_SCHEMA in schema or "predictedResources" in doc:
        return "template", "an ARM template or Bicep snapshot"
    bare = {k: v for k, v in doc.items() if not k.startswith("$") and k != "contentVersion"}
    if bare and all(_carries_value(e) for e in bare.values()):  # a parameter may be "resources"
        return "parameters", "its entries carry a 'value' or 'reference'"
    if isinstance(doc.get("resources"), list | dict):
        # a foreign $schema too: 'check' says whether ARM would take it (never a silent pass)
        return "template", "it has 'resources'"
    params = doc.get("parameters")
    if isinstance(params, dict) and any(_carries_value(e) for e in params.values()):
        return "parameters", "its 'parameters' carry values"
    if any(_carries_value(e) for e in bare.values()):
        return "parameters", "its entries carry a 'value' or 'reference'"
    if "contentVersion" in doc or _DEPLOYMENT_SCHEMA in schema:
        return "parameters", "a contentVersion or deployment $schema without 'resources'"
    if name.lower().endswith(_PARAMS_SUFFIX) or (
        isinstance(params, dict) and not params and set(bare) <= {"parameters"}
    ):
        return "parameters", "named or shaped as a parameter file"
    return "other", (
        "not an ARM template or parameter file (no 'resources', no deployment $schema, "
        "no contentVersion, no parameter values)"
    )


def json_kind(path: Path) -> tuple[str, str]:
    """(kind, why) of a JSON file, read as ARM reads it (comments allowed)."""
    from amlguard.errors import InputError
    from amlguard.iac.jsonpos import read_json

    try:
        doc = read_json(path)
    except InputError as exc:
        text = str(exc)
        detail = text[len(str(path)) :].lstrip(": ") if text.startswith(str(path)) else text
        return "unreadable", f"cannot be read as JSON ({detail})"
    return document_kind(doc.value, path.name)


def _json_kind(path: Path) -> str:
    """``template``, ``parameters``, ``unreadable`` or ``other``."""
    return json_kind(path)[0]


def _relative(found: Path, given: Path) -> Path:
    """``found`` spelled relative to the working directory when ``given`` was relative."""
    if given.is_absolute():
        return found
    try:
        return found.relative_to(Path.cwd().resolve())
    except ValueError:
        return found


def _params_template(path: Path) -> Path | None:
    """The template a parameter file belongs to: ``main.parameters.json`` and the
    per-environment ``main.prod.parameters.json`` -> ``main.json`` / ``main.bicep``; else
    (``prod.parameters.json``, ``prod.json``) the only template in its folder or the one above."""
    named = path.name.lower().endswith(_PARAMS_SUFFIX)
    stem = path.name[: -len(_PARAMS_SUFFIX)] if named else ""
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
            _bicepparam(path, out)
        elif suffix in _JSON_SUFFIXES:
            kind, why = json_kind(path)
            if kind == "template":
                out.add(path)
            elif kind == "parameters":
                template = _params_template(path)
                if template is None:
                    out.orphans.append(path)
                    out.unresolved.append(
                        f"{path}: a parameter file whose template was not found (a parameter "
                        f"file: {why}); name the template in the hook's args: --template TEMPLATE"
                    )
                else:
                    out.add(template, path)
            elif kind == "unreadable":
                out.unresolved.append(
                    f"{path}: may be a deployment file but {why}; fix it, or keep it out of "
                    "the hook's 'files:' pattern"
                )
            else:
                out.left_out.append(f"{path}: {why}")
        else:
            out.left_out.append(f"{path}: not a template file ({suffix or 'no suffix'})")
    return out


def _bicepparam(path: Path, out: Changed) -> None:
    """A changed ``.bicepparam``: its local ``using`` template, else unresolved (never a pass)."""
    try:
        found = _USING.search(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        why = f"cannot be read ({getattr(exc, 'strerror', None) or exc.__class__.__name__})"
        out.unresolved.append(f"{path}: a Bicep parameter file that {why}")
        return
    target = path.parent / found.group(1) if found else None
    if target is not None and target.is_file():
        out.add(target, path)
        return
    if found is None:
        why = "has no local 'using' template"
    elif ":" in found.group(1):
        why = f"uses {found.group(1)!r}, a registry module or template spec, not a local file"
    else:
        why = f"uses {found.group(1)!r}, which was not found"
    out.orphans.append(path)
    out.unresolved.append(
        f"{path}: a Bicep parameter file that {why} (name the template in the hook's args: "
        "--template TEMPLATE)"
    )
