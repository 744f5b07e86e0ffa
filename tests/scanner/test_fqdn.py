"""FQDN wildcard breadth and service-tag scope (AMLG-110): properties over generated names."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.fqdn import (
    broad_reason,
    covers,
    fixed_suffix,
    normalize,
    service_tag_scope,
)

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
NAME = st.lists(LABEL, min_size=1, max_size=5).map(".".join)
WILD = st.lists(LABEL, min_size=0, max_size=4).map(lambda ls: ".".join(["*", *ls]))
DEST = st.one_of(NAME, WILD)
FORBIDDEN = ["*", "*.*", "*.core.windows.net", "*.blob.core.windows.net"]
SETTINGS = settings(derandomize=True, max_examples=300, deadline=None)


@SETTINGS
@given(DEST)
def test_everything_covers_itself_and_star_covers_everything(dest: str) -> None:
    assert covers(dest, dest)
    assert covers("*", dest)


@SETTINGS
@given(DEST, DEST, DEST)
def test_covers_is_transitive(a: str, b: str, c: str) -> None:
    if covers(a, b) and covers(b, c):
        assert covers(a, c)


@SETTINGS
@given(NAME, LABEL)
def test_a_wildcard_covers_names_below_its_suffix_not_the_apex(name: str, label: str) -> None:
    assert covers(f"*.{name}", f"{label}.{name}")
    assert not covers(f"*.{name}", name)
    assert not covers(name, f"*.{name}")


@SETTINGS
@given(DEST, st.sampled_from(["", " ", "\t"]), st.booleans())
def test_case_space_and_trailing_dot_do_not_matter(dest: str, pad: str, dot: bool) -> None:
    spelled = pad + dest.upper() + ("." if dot else "") + pad
    assert broad_reason(spelled, FORBIDDEN, 2) == broad_reason(dest, FORBIDDEN, 2)
    assert normalize(spelled) == normalize(dest)


@SETTINGS
@given(NAME)
def test_exact_names_are_never_broad_unless_listed(name: str) -> None:
    assert broad_reason(name, FORBIDDEN, 2) is None
    assert broad_reason(name, [name.upper()], 2) is not None


@SETTINGS
@given(st.lists(LABEL, min_size=0, max_size=1))
def test_wildcards_over_a_tld_or_less_are_broad(labels: list[str]) -> None:
    dest = ".".join(["*", *labels])
    assert len(fixed_suffix(dest)) < 2
    assert broad_reason(dest, [], 2) is not None


@SETTINGS
@given(LABEL)
def test_anything_under_azure_storage_is_broad(label: str) -> None:
    for dest in (f"*.{label}.core.windows.net", f"{label}*.blob.core.windows.net", "*.windows.net"):
        assert broad_reason(dest, FORBIDDEN, 2) is not None, dest
    assert broad_reason(f"*.{label}.pypi.org", FORBIDDEN, 2) is None


@SETTINGS
@given(st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.text(max_size=3))))
def test_any_input_is_judged_without_raising(value: object) -> None:
    assert broad_reason(value, FORBIDDEN, 2) in (None,) or isinstance(
        broad_reason(value, FORBIDDEN, 2), str
    )
    assert service_tag_scope(value, ["Storage"]) in (None, "global", "regional")


@SETTINGS
@given(st.sampled_from(["Storage", "storage", "STORAGE"]), st.one_of(st.just(""), LABEL))
def test_service_tags_global_and_regional(tag: str, region: str) -> None:
    spelled = f"{tag}.{region}" if region else tag
    assert service_tag_scope(spelled, ["Storage", "Sql"]) == ("regional" if region else "global")
    assert service_tag_scope(f"AzureMachineLearning.{region}", ["Storage"]) is None
