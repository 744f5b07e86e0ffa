"""The PyYAML half of :mod:`amlguard.scanner.yamlsource`: parse one document with positions.

Kept apart so that importing yamlsource (config, rules) does not import PyYAML (~8 ms): a
check whose rule pack comes from the warm cache (:mod:`amlguard.scanner.parsecache`) never
parses YAML at all.
"""

from __future__ import annotations

from typing import Any

import yaml

from amlguard.scanner.yamlsource import Locations, YamlProblems


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _construct(
    node: yaml.Node,
    path: tuple[Any, ...],
    locs: Locations,
    problems: list[str],
    name: str,
    scalars: yaml.constructor.SafeConstructor,
) -> Any:
    locs[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, (*path, "<key>"), {}, problems, name, scalars)
            if isinstance(key, (list, dict)):
                line, col = _mark(key_node)
                problems.append(f"{name}:{line}:{col}: a mapping key must be a scalar")
                continue
            if key in out:
                line, col = _mark(key_node)
                problems.append(f"{name}:{line}:{col}: duplicate key {key!r}")
            out[key] = _construct(value_node, (*path, key), locs, problems, name, scalars)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, i), locs, problems, name, scalars)
            for i, item in enumerate(node.value)
        ]
    try:
        return scalars.construct_object(node)  # scalars: safe tags only
    except ValueError as exc:  # e.g. an impossible date such as 2026-02-30
        line, col = _mark(node)
        problems.append(f"{name}:{line}:{col}: {node.value!r}: {exc}")
        return None


# libyaml's parser when present (15x faster, same nodes and marks); pure Python otherwise.
_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str, name: str) -> tuple[Any, Locations]:
    """Parse one YAML document, returning the data and the position of every node."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblems([f"{name}:{where}: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise YamlProblems([f"{name}:1:1: {exc}"]) from None
    if node is None:
        return None, {(): (1, 1)}
    locs: Locations = {}
    problems: list[str] = []
    # One constructor per document (a SafeLoader per scalar cost more than the parse).
    scalars = yaml.constructor.SafeConstructor()
    try:
        data = _construct(node, (), locs, problems, name, scalars)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise YamlProblems([f"{name}:{where}: {exc.problem}"]) from None
    if problems:
        raise YamlProblems(problems)
    return data, locs
