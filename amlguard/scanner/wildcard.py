"""Linear-time wildcard matching for ``like``/``notLike``, ``match`` and suppression globs.

A pattern compiled to a backtracking regex (``.*a.*a.*a...b``) takes exponential-looking time
on a value that almost matches; a value in a snapshot is data we did not write. Here ``*``
patterns are matched segment by segment: the first segment must start the text, the last must
end it, and each segment in between is taken at its leftmost occurrence after the previous one
(greedy leftmost is exact for patterns whose only variable-length wildcard is ``*``). Each
segment is found with one forward search, so a match costs O(len(text) x len(segment)) at
worst and never backtracks across segments.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def _segments(pattern: str, any_char: str | None) -> tuple[tuple[str, ...], bool]:
    """(segments between ``*``, whether a single-character wildcard occurs)."""
    parts = tuple(pattern.split("*"))
    return parts, any_char is not None and any(any_char in p for p in parts)


def _find(text: str, segment: str, start: int, any_char: str | None, last: int) -> int:
    """The leftmost index >= start (and <= last) where ``segment`` matches, or -1."""
    if not any_char or any_char not in segment:
        found = text.find(segment, start)
        return found if 0 <= found <= last else -1
    n = len(segment)
    for i in range(start, min(last, len(text) - n) + 1):
        if _at(text, segment, i, any_char):
            return i
    return -1


def _at(text: str, segment: str, i: int, any_char: str | None) -> bool:
    if i < 0 or i + len(segment) > len(text):
        return False
    return all(ch in (text[i + j], any_char) for j, ch in enumerate(segment))


def wildcard_match(text: str, pattern: str, any_char: str | None = None) -> bool:
    """Whether all of ``text`` matches ``pattern`` (``*`` any run; ``any_char`` one character).

    Case-sensitive: fold both sides first for a case-insensitive match.
    """
    parts, _ = _segments(pattern, any_char)
    if len(parts) == 1:
        return len(text) == len(pattern) and _at(text, pattern, 0, any_char)
    head, *middle, tail = parts
    if len(head) + len(tail) > len(text):
        return False
    if not _at(text, head, 0, any_char) or not _at(text, tail, len(text) - len(tail), any_char):
        return False
    pos, end = len(head), len(text) - len(tail)
    for segment in middle:
        if not segment:
            continue
        found = _find(text, segment, pos, any_char, end - len(segment))
        if found < 0:
            return False
        pos = found + len(segment)
    return True


def like(text: str, pattern: str) -> bool:
    """Azure Policy's ``like``: ``*`` is the only wildcard, case-insensitive."""
    return wildcard_match(text.lower(), pattern.lower())


_CLASSES = {"#": str.isdigit, "?": str.isalpha}


def policy_match(text: str, pattern: str) -> bool:
    """Azure Policy's ``match``: ``#`` a digit, ``?`` a letter, ``.`` any character, anything
    else itself (case-insensitive); one comparison per character."""
    if len(text) != len(pattern):
        return False
    for ch, want in zip(text, pattern, strict=True):
        if want == ".":
            continue
        test = _CLASSES.get(want)
        if test is not None:
            if not (test(ch) and ch.isascii()):
                return False
        elif ch.lower() != want.lower():
            return False
    return True
