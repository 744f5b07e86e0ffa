"""What the YAML reader and its callers share: positions and the collected-problems error.

Kept apart so that the PyYAML-based parser (:mod:`yamlparse`) and the loader that imports it
lazily (:mod:`yamlsource`) depend on this module, not on each other.
"""

from __future__ import annotations

from typing import Any

Location = tuple[int, int]  # 1-based line and column
Locations = dict[tuple[Any, ...], Location]


class YamlProblems(Exception):
    """Collected problems of one or more files, each already formatted with its position."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
