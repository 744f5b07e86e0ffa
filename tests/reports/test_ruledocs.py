"""Every built-in rule has its documentation page, and rule text reads without templates."""

from __future__ import annotations

from pathlib import Path

from amlguard.reports.ruledocs import doc_url, generic_text, page
from amlguard.scanner.rules import load_pack
from tests.conftest import ROOT

DOCS = ROOT / "docs" / "rules"


def test_every_builtin_rule_has_a_page_with_its_title() -> None:
    rules = load_pack([]).rules
    pages = {p.stem for p in DOCS.glob("*.md")}
    assert pages == {r.id for r in rules}, "regenerate: python -m amlguard.reports.ruledocs"
    for rule in rules:
        text = (DOCS / f"{rule.id}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# {rule.id}: {rule.title}\n")
        assert doc_url(rule) is not None and doc_url(rule).endswith(f"docs/rules/{rule.id}.md")  # type: ignore[union-attr]
        assert "{name}" not in page(rule)


def test_placeholders_read_as_words() -> None:
    text = "az x --name {name} -g {resourceGroup} --json '{{\"a\": 1}}' {unknownThing}"
    assert (
        generic_text(text)
        == "az x --name <name> -g <resource-group> --json '{\"a\": 1}' <unknown-thing>"
    )


def test_a_custom_rule_links_its_own_reference(tmp_path: Path) -> None:
    pack = load_pack([ROOT / "examples" / "policies"])
    custom = next(r for r in pack.rules if r.id.startswith("ACME"))
    url = doc_url(custom)
    assert url is None or not url.endswith(f"{custom.id}.md")
