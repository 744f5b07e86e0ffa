"""The PyYAML half of :mod:`amlguard.scanner.yamlsource`: parse one document with positions.

Kept apart so that importing yamlsource (config, rules) does not import PyYAML (~8 ms): a
check whose rule pack comes from the warm cache (:mod:`amlguard.scanner.parsecache`) never
parses YAML at all.
"""

from __future__ import annotations

from typing import Any

import yaml

from amlguard.excerpt import excerpt, quoted
from amlguard.scanner.yamltypes import Locations, YamlProblems


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


#: How deeply mappings and sequences may nest in a rule or config file.
MAX_DEPTH = 64


class _TooDeep(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def _construct(
    node: yaml.Node,
    path: tuple[Any, ...],
    locs: Locations,
    problems: list[str],
    name: str,
    scalars: yaml.constructor.SafeConstructor,
) -> Any:
    if len(path) > MAX_DEPTH:
        raise _TooDeep(node)
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
                problems.append(f"{name}:{line}:{col}: duplicate key {quoted(key)}")
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
        problems.append(f"{name}:{line}:{col}: {quoted(node.value)}: {exc}")
        return None


# libyaml's parser when present (15x faster, same nodes and marks); pure Python otherwise.
_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _aliases(text: str, name: str) -> list[str]:
    """Every alias (``*name``, including a ``<<: *name`` merge) as a problem with its position.

    Aliases are refused rather than expanded: a few lines of nested aliases expand to billions
    of nodes (an "alias bomb"), and a recursive one to an endless structure. Only a file that
    defines an anchor (``&``) can use one, so other files skip this scan.
    """
    if "&" not in text:
        return []
    try:
        for token in yaml.scan(text, Loader=_COMPOSER):
            if isinstance(token, yaml.AliasToken):  # the first one is enough to refuse the file
                line, col = token.start_mark.line + 1, token.start_mark.column + 1
                return [
                    f"{name}:{line}:{col}: YAML aliases ({quoted('*' + str(token.value))}) are "
                    "not supported; write the value out"
                ]
    except yaml.YAMLError:
        pass  # the parse below reports the syntax error with its position
    return []


def parse(text: str, name: str) -> tuple[Any, Locations]:
    """Parse one YAML document, returning the data and the position of every node."""
    aliases = _aliases(text, name)
    if aliases:
        raise YamlProblems(aliases)
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblems([f"{name}:{where}: {excerpt(problem, 120)}"]) from None
    except yaml.YAMLError as exc:
        raise YamlProblems([f"{name}:1:1: {excerpt(str(exc), 120)}"]) from None
    except RecursionError:
        raise YamlProblems([f"{name}:1:1: nested too deeply to be read"]) from None
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
    except _TooDeep as exc:
        line, col = _mark(exc.node)
        raise YamlProblems(
            [f"{name}:{line}:{col}: nested more than {MAX_DEPTH} levels deep"]
        ) from None
    if problems:
        raise YamlProblems(problems)
    return data, locs
