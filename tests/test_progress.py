"""When the live progress display is drawn, and that it takes updates."""

from __future__ import annotations

import io

from amlguard import progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_not_quiet() -> None:
    assert progress.wanted(False, _Tty())
    assert not progress.wanted(True, _Tty())
    assert not progress.wanted(False, io.StringIO())


def test_rich_progress_accepts_updates() -> None:
    with progress.RichProgress() as shown:
        shown.update(
            phase="resources", queries_done=1, queries_total=3, rows=1000, subscriptions=12
        )
        task = shown._progress.tasks[0]
    assert (task.description, task.completed, task.total) == ("resources", 1, 3)
    assert task.fields == {"rows": 1000, "subs": 12}
