"""The issue-11 input benchmark: what hostile input costs now, against what it cost before.

- ``like``: ``*a*a*a*a*a*a*a*a*a*a*a*a*b`` against 40 ``a`` (no match), with the linear matcher
  and with the backtracking regex it replaced (the regex only up to a timeout, run in a child
  process that is killed);
- the work bound: one evaluation of a rule with three nested counts over N items each, which
  stops at ``WORK_BOUND`` count items, and a legitimate rule's cost for comparison;
- strict JSON: reading a snapshot of N rows with the strict reader vs plain ``json.loads``.

    python3 benchmarks/bench_input.py
    python3 benchmarks/bench_input.py --rows 20000 --regex-timeout 60
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from amlguard import jsonstrict  # noqa: E402
from amlguard.scanner.conditions import WORK_BOUND, compile_condition  # noqa: E402
from amlguard.scanner.context import EvalContext, Undeterminable  # noqa: E402
from amlguard.scanner.operators import operator  # noqa: E402

PATTERN = "*a*a*a*a*a*a*a*a*a*a*a*a*b"


def _median(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _old_like(text: str) -> None:
    regex = re.compile(".*".join(re.escape(p) for p in PATTERN.split("*")), re.I | re.S)
    regex.fullmatch(text)


def _regex_time(text: str, timeout: float) -> str:
    child = multiprocessing.Process(target=_old_like, args=(text,))
    started = time.perf_counter()
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return f"> {timeout:g} s (killed)"
    return f"{time.perf_counter() - started:.2f} s"


def _ctx(resource: dict[str, Any]) -> EvalContext:
    return EvalContext(resource, None, None, {}, None)  # type: ignore[arg-type]


def _nested(names: str) -> dict[str, Any]:
    where: dict[str, Any] = {"value": 1, "equals": 1}
    for name in names:
        where = {"count": {"field": f"properties.{name}[*]", "where": where}, "greater": -1}
    return where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--regex-timeout", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    text = "a" * 40
    like = operator("like", PATTERN)
    print(f"like {PATTERN!r} vs 40 x 'a':")
    print(
        f"  linear matcher: {_median(lambda: like(text, PATTERN.lower()), args.runs) * 1e6:.1f} us"
    )
    print(f"  old regex:      {_regex_time(text, args.regex_timeout)}")

    resource = {"properties": {n: list(range(args.items)) for n in "abc"}}
    pathological = compile_condition(_nested("abc"))

    def bounded() -> None:
        with contextlib.suppress(Undeterminable):
            pathological(_ctx(resource), None)

    one_level = compile_condition(_nested("a"))
    print(f"work bound {WORK_BOUND:,} count items per evaluation:")
    print(
        f"  3 nested counts over {args.items} items ({args.items**3 + args.items**2 + args.items:,}"
        f" items unbounded): stops after {_median(bounded, args.runs):.2f} s"
    )
    legit = _median(lambda: one_level(_ctx(resource), None), args.runs)
    print(f"  1 count over {args.items} items: {legit * 1e6:.0f} us")

    rows = [
        {
            "id": f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/p{i}",
            "type": "microsoft.network/privateendpoints",
            "name": f"p{i}",
            "properties": {"a": i, "b": [1, 2.5, {"c": "d"}], "e": None, "f": True},
        }
        for i in range(args.rows)
    ]
    doc = json.dumps({"data": rows})
    plain = _median(lambda: json.loads(doc), args.runs)
    strict = _median(lambda: jsonstrict.loads(doc), args.runs)
    print(f"snapshot of {args.rows:,} rows ({len(doc) / 1e6:.1f} MB):")
    print(f"  json.loads {plain:.3f} s, strict {strict:.3f} s ({strict / plain:.2f}x)")


if __name__ == "__main__":
    main()
