"""The container images pin their base by tag and by digest, and every stage uses one base.

A tag alone can be moved to other content by whoever controls it; the digest makes a retagged
image fail the build instead of running with Reader on production.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_distribution import DOCKERFILES

_PINNED = re.compile(r"^[a-z0-9./-]+:\d+\.\d+\.\d+[\w.-]*@sha256:[0-9a-f]{64}$")


def _bases(dockerfile: Path) -> list[str]:
    lines = dockerfile.read_text(encoding="utf-8").splitlines()
    return [ln.split()[1] for ln in lines if ln.strip().upper().startswith("FROM ")]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name + ":" + p.parent.name)
def test_every_stage_pins_tag_and_digest(dockerfile: Path) -> None:
    bases = _bases(dockerfile)
    assert bases, dockerfile
    for base in bases:
        assert _PINNED.match(base), f"{dockerfile}: FROM {base} is not pinned by tag and digest"


def test_all_images_share_one_base() -> None:
    assert len({b for d in DOCKERFILES for b in _bases(d)}) == 1
