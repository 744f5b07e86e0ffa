"""Where amlguard keeps state between runs on one machine (recent fixes, the export spool)."""

from __future__ import annotations

import os
from pathlib import Path


def state_home() -> Path:
    """``$XDG_STATE_HOME`` when set to an absolute path (the XDG rule), else ``~/.local/state``."""
    env = os.environ.get("XDG_STATE_HOME", "")
    if env and os.path.isabs(env):
        return Path(env)
    return Path.home() / ".local" / "state"
