"""Rule documentation pages (``docs/rules/<ID>.md``) and rule text without placeholders.

A rule's message and remediation are templates filled per finding (``{name}``,
``{resourceGroup}``...). Where a rule is described on its own (SARIF rule help, the
documentation pages) the placeholders read as ``<name>``, ``<resource-group>``.

Regenerate the pages after changing the pack::

    python -m amlguard.reports.ruledocs docs/rules
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

#: Where the built-in rules are documented (``{id}`` is the rule id); ``docs/rules`` in the repo.
DOCS_URL = "https://github.com/amlguard/amlguard/blob/main/docs/rules/{id}.md"
_BUILTIN_PREFIX = "amlguard/policies/"
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower()


def generic_text(template: str) -> str:
    """A template with each ``{placeholder}`` shown as ``<placeholder>`` and ``{{``/``}}`` as braces."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return f"<{_kebab(match.group(1))}>"

    return _PLACEHOLDER.sub(swap, template)


def is_builtin(rule: Any) -> bool:
    """Whether the rule ships with amlguard (and so has a page under ``docs/rules``)."""
    return str(getattr(rule, "source", "")).replace("\\", "/").startswith(_BUILTIN_PREFIX)


def doc_url(rule: Any) -> str | None:
    """The documentation page of a built-in rule; else the rule's first reference URL."""
    if is_builtin(rule):
        return DOCS_URL.format(id=rule.id)
    return next((r["url"] for r in rule.references if r.get("url")), None)


def page(rule: Any) -> str:
    """The Markdown documentation page of one rule."""
    fix = "auto" if rule.remediation.remediator else "manual"
    out = [
        f"# {rule.id}: {rule.title}",
        "",
        f"`{rule.name}` · severity **{rule.severity.label}** · fix **{fix}**"
        + (f" · tags {', '.join(f'`{t}`' for t in rule.tags)}" if rule.tags else ""),
        "",
        rule.description.strip(),
        "",
    ]
    if rule.rationale:
        out += ["## Why it matters", "", rule.rationale.strip(), ""]
    out += ["## Remediation", "", generic_text(rule.remediation.summary).strip(), ""]
    if rule.remediation.manual:
        out += ["```sh", generic_text(rule.remediation.manual).strip(), "```", ""]
    if rule.remediation.notes:
        out += [generic_text(rule.remediation.notes).strip(), ""]
    if rule.parameters:
        out += ["## Parameters", "", "| name | default | description |", "|---|---|---|"]
        out += [
            f"| `{p.name}` | `{p.default}` | {' '.join(str(p.description).split())} |"
            for p in rule.parameters
        ]
        out.append("")
    refs = list(rule.references)
    if refs:
        out += ["## References", ""]
        for ref in refs:
            if ref.get("url"):
                out.append(f"- [{ref.get('title') or ref['url']}]({ref['url']})")
            elif ref.get("azure_policy"):
                out.append(
                    f"- Azure Policy built-in `{ref['azure_policy']}`: {ref.get('title', '')}"
                )
            elif ref.get("mcsb"):
                out.append(f"- Microsoft cloud security benchmark {ref['mcsb']}")
        out.append("")
    out += [
        f"Defined in `{rule.source.rsplit(':', 2)[0]}`; `amlguard policies show {rule.id}` prints "
        "the rule as loaded.",
        "",
    ]
    return "\n".join(out)


def write_pages(folder: Path) -> list[Path]:
    """Write one page per built-in rule into ``folder``; the paths written."""
    from amlguard.scanner.rules import load_pack

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for rule in load_pack([]).rules:
        path = folder / f"{rule.id}.md"
        path.write_text(page(rule), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    for written_path in write_pages(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")):
        print(written_path)
