"""The emulator as its own process (``python -m tests.emulator``), as a user would start it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running(
    estate: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """Start the emulator on ``estate`` (extra ``args`` such as ``--quota 15/5``); yields its
    (ARM endpoint, CA bundle path) as it prints them, and stops it on the way out."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--estate", str(estate), *args],
        cwd=ROOT,
        env={**(env or os.environ), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split(": ", 1)[1].strip()
        ca = server.stdout.readline().split(": ", 1)[1].strip()
        yield url, ca
    finally:
        server.terminate()
        server.wait(timeout=10)
