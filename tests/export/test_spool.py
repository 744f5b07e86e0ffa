"""The spool: where it lives, one claim per batch, crashed claims taken back, bad files set aside."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amlguard.export.batches import make_batches
from amlguard.export.spool import Spool, default_state_dir, spool_root
from amlguard.export.target import parse_target

TARGET = parse_target(
    "https://x.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/"
    "dcr-00112233445566778899aabbccddeeff/streams/Custom-AmlGuardFindings"
)


def test_state_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_dir() == tmp_path
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")  # the XDG spec: ignore it
    assert default_state_dir() == Path.home() / ".local" / "state"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert spool_root() == Path.home() / ".local" / "state" / "amlguard" / "spool"


def test_a_batch_is_claimed_by_one_process_only(tmp_path: Path) -> None:
    spool = Spool(TARGET, tmp_path)
    spool.add(make_batches([{"n": 1}, {"n": 2}])[0])
    first = spool.claim()
    assert len(first) == 1 and json.loads(first[0].batch.body) == [{"n": 1}, {"n": 2}]
    assert Spool(TARGET, tmp_path).claim() == []  # claimed: nobody else gets it
    spool.release(first[0])
    again = Spool(TARGET, tmp_path).claim()
    assert len(again) == 1
    spool.delivered(again[0])
    assert Spool(TARGET, tmp_path).claim() == [] and spool.files() == []


def test_a_claim_of_a_dead_process_is_taken_back(tmp_path: Path) -> None:
    spool = Spool(TARGET, tmp_path)
    path = spool.add(make_batches([{"n": 1}])[0])
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    os.rename(path, path.with_name(f"{path.name}.sending-{dead.stdout.strip()}"))
    assert spool.files() == []
    claimed = spool.claim()
    assert len(claimed) == 1 and claimed[0].original == path


def test_unreadable_spool_files_are_set_aside_with_a_warning(tmp_path: Path) -> None:
    spool = Spool(TARGET, tmp_path)
    good = spool.add(make_batches([{"n": 1}])[0])
    bad = good.with_name("00000000-bad.json.gz")
    bad.write_bytes(b"not gzip")
    worse = good.with_name("00000001-notarray.json.gz")
    worse.write_bytes(gzip.compress(b'{"a": 1}'))
    claimed = spool.claim()
    assert [c.original for c in claimed] == [good]
    assert len(spool.warnings) == 2 and "cannot be read" in spool.warnings[0]
    assert bad.with_name(bad.name + ".unreadable").exists()


def test_targets_have_separate_spools(tmp_path: Path) -> None:
    other = parse_target(TARGET.url.replace("Custom-AmlGuardFindings", "Custom-Other"))
    Spool(TARGET, tmp_path).add(make_batches([{"n": 1}])[0])
    assert Spool(other, tmp_path).claim() == []
    assert json.loads((Spool(TARGET, tmp_path).folder / "target.json").read_text()) == {
        "url": TARGET.url
    }
