"""Headless Chromium for the HTML report tests and benchmark: the DOM after the page's scripts.

``interact`` adds a script of the test's own (and its CSP hash) right before the page's last
script, so a test can dispatch real DOM events (a click on a diagram piece, a sort header) and
read back what the page did.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="headless Chromium not installed (apt-get install chromium; .ci/run installs it)",
)


def dump_dom(page: Path, profile: Path, fragment: str = "", timeout: int = 90) -> str:
    """The DOM after load (scripts run), as headless Chromium serialises it."""
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def interact(page_text: str, script: str) -> str:
    """The page with ``script`` run after its own (before the readiness marker), CSP updated."""
    from amlguard.reports.html import _csp_hash

    marker = "<script>document.documentElement.setAttribute('data-js-errors'"
    assert marker in page_text
    text = page_text.replace(marker, f"<script>{script}</script>{marker}", 1)
    return text.replace("script-src ", f"script-src {_csp_hash(script)} ", 1)


def attr(dom: str, name: str) -> str:
    """The value of the first ``name="..."`` attribute in ``dom``."""
    match = re.search(rf'{name}="([^"]*)"', dom)
    assert match, f"{name} missing: the page's scripts did not run"
    return match.group(1)


def text_of(dom: str, ident: str) -> str:
    """The text of the element with this id (up to its first child tag)."""
    match = re.search(rf'id="{ident}"[^>]*>([^<]*)<', dom)
    assert match, ident
    return match.group(1)
