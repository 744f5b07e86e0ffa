"""One documentation page per rule, generated from the pack and committed in sync with it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from amlguard.reports.ruledocs import (
    INDEX,
    REGENERATE,
    doc_url,
    generic_text,
    out_of_date,
    page,
    reference_url,
    render_pages,
)
from amlguard.reports.ruleexamples import examples_of
from amlguard.reports.rulereads import reads_of, target_text
from amlguard.scanner.rules import load_pack
from tests.conftest import ROOT

DOCS = ROOT / "docs" / "rules"
CUSTOM = ROOT / "examples" / "policies"
# A template field left unrendered: {name}, {parameters[x]}, {zones[blob][0]:tail}.
UNRENDERED = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]{}]*\])*(?::[A-Za-z]+)?\}")


def test_the_committed_pages_match_the_pack() -> None:
    stale = out_of_date(DOCS)
    assert not stale, f"docs/rules differs from the rules in {stale}; regenerate: {REGENERATE}"


def test_every_rule_has_a_page_with_its_facts() -> None:
    pack = load_pack([])
    pages = render_pages()
    assert set(pages) == {f"{r.id}.md" for r in pack.rules} | {INDEX}
    for rule in pack.rules:
        text = pages[f"{rule.id}.md"]
        assert text.startswith(f"# {rule.id}: {rule.title}\n")
        assert f"| Severity | **{rule.severity.label}** |" in text
        assert "## What passes" in text and "## What it reads" in text and "## Fix" in text
        for tag in rule.tags:
            assert f"`{tag}`" in text
        for path in reads_of(rule).fields:
            assert f"`{path}`" in text, f"{rule.id}: the page does not name {path}"
        assert not UNRENDERED.search(text), f"{rule.id}: {UNRENDERED.search(text)}"
        assert f"[{rule.id}]({rule.id}.md)" in pages[INDEX]
        url = doc_url(rule)
        assert url is not None and url.endswith(f"docs/rules/{rule.id}.md")


def test_the_examples_on_a_page_are_the_rules_rows() -> None:
    for rule in load_pack([]).rules:
        text = page(rule)
        blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
        block = examples_of(rule)
        kinds = [block[k] for k in ("settings", "passing", "failing") if block.get(k)]
        assert [yaml.safe_load(b) for b in blocks] == kinds


def test_what_a_rule_reads_comes_from_its_condition() -> None:
    rule = load_pack([]).get("AMLG-109")
    assert rule is not None
    reads = reads_of(rule)
    assert reads.related == {"privateEndpoints": ["status", "found", "zones"]}
    assert reads.computed == ["[privateDnsZones('amlworkspace')]"]
    custom = next(r for r in load_pack([CUSTOM]).rules if r.id == "ACME-001")
    assert reads_of(custom).fields == ["properties.minimumTlsVersion"]


def test_an_opt_in_rule_says_it_is_off_by_default(tmp_path: Path) -> None:
    source = (CUSTOM / "acme-rules.yaml").read_text(encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(source.replace("[storage, acme-baseline]", "[storage, hardening]"), "utf-8")
    pages = render_pages([rules])
    assert "| Runs by default | off: opt-in (tag `hardening`" in pages["ACME-001.md"]
    assert "| [ACME-001](ACME-001.md) | medium | manual | opt-in |" in pages[INDEX]
    assert "| Runs by default | on |" in pages["AMLG-101.md"]


def test_placeholders_read_as_words_and_parameters_as_their_defaults() -> None:
    text = (
        "az x --name {name} -g {resourceGroup} --json '{{\"a\": 1}}' {unknownThing} "
        "--mode {parameters[modes][0]:snake} --spark {parameters[spark]:lower} "
        "--zone {zones[blob][0]:tail} --id {zones[blob][0]} {parameters[missing]} {a.b}"
    )
    assert generic_text(text, {"modes": ["AllowInternetOutbound"], "spark": True}) == (
        "az x --name <name> -g <resource-group> --json '{\"a\": 1}' <unknown-thing> "
        "--mode allow_internet_outbound --spark true "
        "--zone <blob-zone-name> --id <blob-zone-id> <missing> <a-b>"
    )


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text(alphabet="{}[]:ab_0 ", max_size=30))
def test_generic_text_never_leaves_a_field(template: str) -> None:
    assert not UNRENDERED.search(generic_text(template, {"a": 1}))


def test_every_reference_resolves_to_a_url() -> None:
    for rule in load_pack([]).rules:
        assert any(r.get("url") or r.get("azure_policy") for r in rule.references), rule.id
        for ref in rule.references:
            url = reference_url(ref)
            assert url is not None and url.startswith("https://"), (rule.id, ref)
            if ref.get("azure_policy"):
                assert ref["azure_policy"].lower() in url.lower()


def test_a_reference_that_points_nowhere_is_none() -> None:
    assert reference_url({"url": "javascript:alert(1)"}) is None
    assert reference_url({"azure_policy": "not-a-guid"}) is None
    assert reference_url({"mcsb": "ZZ-1"}) is None
    assert reference_url({"mcsb": "IM-3"}) == (
        "https://learn.microsoft.com/security/benchmark/azure/mcsb-identity-management"
    )


def test_a_custom_rule_links_its_own_reference() -> None:
    pack = load_pack([CUSTOM])
    custom = next(r for r in pack.rules if r.id.startswith("ACME"))
    url = doc_url(custom)
    assert url is None or not url.endswith(f"{custom.id}.md")


def test_policies_docs_writes_checks_and_refuses_a_file(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "pages"
    done = runner.invoke(cli, ["policies", "docs", "-o", str(out), "--policies", str(CUSTOM)])
    assert done.exit_code == EXIT_OK, done.output
    assert (out / "ACME-001.md").is_file() and (out / "AMLG-101.md").is_file()
    args = ["policies", "docs", "-o", str(out), "--policies", str(CUSTOM), "--check"]
    assert runner.invoke(cli, args).exit_code == EXIT_OK
    (out / "AMLG-101.md").write_text("edited\n", encoding="utf-8")
    (out / "OLD-1.md").write_text("a rule that is gone\n", encoding="utf-8")
    checked = runner.invoke(cli, args)
    assert checked.exit_code == EXIT_FINDINGS
    assert "AMLG-101.md" in checked.output and "OLD-1.md" in checked.output
    assert "regenerate: amlguard policies docs -o" in checked.stderr
    afile = tmp_path / "file.md"
    afile.write_text("x", encoding="utf-8")
    refused = runner.invoke(cli, ["policies", "docs", "-o", str(afile)])
    assert refused.exit_code == EXIT_USAGE and "not a folder" in refused.stderr


_node = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(
        ["[field('a.b')]", "[current('x').y]", "[instance().z]", "[f(field('q'))]", "[[lit]", "p"]
    ),
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["field", "count", "related", "name", "where", "with", "allOf", "value"]
            ),
            kids,
            max_size=4,
        )
    ),
    max_leaves=15,
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(where=_node, condition=_node, target=st.sampled_from(["workspace", "nope", ""]))
def test_reading_any_rule_shape_never_raises(where: object, condition: object, target: str) -> None:
    class Rule:
        raw = {"where": where, "condition": condition}

    reads = reads_of(Rule())
    assert all(isinstance(f, str) for f in reads.fields)
    assert target_text({"select": target, "roles": ["storageAccount"]})


def test_policies_show_names_the_page() -> None:
    shown = CliRunner().invoke(cli, ["policies", "show", "AMLG-109"])
    assert shown.exit_code == EXIT_OK
    assert "Documentation: https://" in shown.output and "docs/rules/AMLG-109.md" in shown.output


def test_a_code_block_cannot_be_closed_by_the_rule_text(tmp_path: Path) -> None:
    source = (CUSTOM / "acme-rules.yaml").read_text(encoding="utf-8")
    assert "examples:" not in source
    rules = tmp_path / "rules.yaml"
    example = (
        "    examples:\n      failing:\n        - id: /subscriptions/x/resourceGroups/r/providers/"
        "Microsoft.Storage/storageAccounts/s\n          tags: {note: 'a ``` fence'}\n"
    )
    text = re.sub(
        r"(  - id: ACME-001\n(?:    .*\n)+)", lambda m: m.group(1) + example, source, count=1
    )
    rules.write_text(text, encoding="utf-8")
    acme = render_pages([rules])["ACME-001.md"]
    block = re.search(r"\n````yaml\n(.*?)\n````\n", acme, re.S)
    assert block is not None
    assert yaml.safe_load(block.group(1))[0]["tags"] == {"note": "a ``` fence"}


def _outside_code(text: str) -> str:
    """Markdown with fenced blocks and code spans taken out (what GitHub reads as prose)."""
    text = re.sub(r"^[ \t]*(`{3,})[^\n]*\n.*?^[ \t]*\1$", "", text, flags=re.S | re.M)
    return re.sub(r"(`+).+?\1", "", text)


def raw_html(markdown_text: str) -> list[str]:
    """Tags GitHub would read as HTML (and hide) in Markdown prose: ``<name>``, ``<type>``."""
    return re.findall(r"<[A-Za-z/][^>\n]*>", _outside_code(markdown_text))


def test_placeholders_in_prose_stay_visible() -> None:
    pages = render_pages()
    for name, text in pages.items():
        assert not raw_html(text), (name, raw_html(text))
    assert "&lt;type&gt;/privateEndpointConnectionsApproval/action" in pages["AMLG-106.md"]
    assert "workspace &lt;name&gt; once" in pages["AMLG-101.md"]
    assert raw_html("a <b>c</b> `<d>`\n```sh\n<e>\n```\n  ```\n  <f>\n  ```\n") == ["<b>", "</b>"]
