"""Benchmark: a live scan through Resource Graph against the emulator's 15-queries-per-5-s quota.

    python benchmarks/bench_live.py --instances 1000 5000 [--per-subscription 10] [--quota 15/5]

For each estate size it builds blueprint instances with ``tests.builders``, serves them from the
standalone emulator (a separate process, so client and server do not share one interpreter),
runs the real ``ResourceGraphSource`` and prints, per size: Resource Graph requests made vs the
minimum possible (``ceil(rows / 1000)`` per table and batch), 429s seen, wall time vs the quota
floor (requests / (quota / window) per second), and the ARM GETs for DNS zone groups.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from amlguard.azure.clients import AzureSettings, ClientFactory, StaticTokenCredential  # noqa: E402
from amlguard.scanner import inventory  # noqa: E402
from amlguard.scanner.rules import load_pack  # noqa: E402
from amlguard.scanner.scan import needs_of  # noqa: E402
from amlguard.scanner.sources.resourcegraph import LiveOptions, ResourceGraphSource  # noqa: E402
from tests.builders import blueprint  # noqa: E402
from tests.emulator.standalone import running  # noqa: E402


def estate(instances: int, per_subscription: int) -> list[dict]:
    """``instances`` blueprint instances, ``per_subscription`` to a subscription."""
    rows: list[dict] = []
    for i in range(instances):
        sub = f"00000000-0000-4000-8000-{i // per_subscription:012d}"
        rows += blueprint(sub, f"rg-{i}", f"ml{i}").rows()
    return rows


def minimum_requests(rows: list[dict], subs: int, batch: int) -> int:
    """ceil(rows / 1000) per table and batch: the rows each query can return, 1,000 a page."""
    needs = needs_of(load_pack([]).rules)
    wanted = set(needs.types) - {inventory.DNS_ZONE_GROUP, inventory.ROLE_ASSIGNMENT}
    roles = {r.lower() for r in needs.role_definition_ids}
    batches = math.ceil(subs / batch)
    resources = sum(1 for r in rows if r["type"] in wanted)
    assignments = sum(
        1
        for r in rows
        if r["type"] == inventory.ROLE_ASSIGNMENT
        and r["properties"]["roleDefinitionId"].rsplit("/", 1)[-1].lower() in roles
    )
    # Instances are spread evenly, so each batch holds its share of the rows.
    per_batch = math.ceil(resources / batches / 1000) + math.ceil(assignments / batches / 1000)
    return math.ceil(subs / 1000) + batches * max(1, per_batch)


def run(instances: int, per_subscription: int, quota: str, batch: int) -> dict:
    rows = estate(instances, per_subscription)
    subs = math.ceil(instances / per_subscription)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "estate.json"
        path.write_text(json.dumps({"data": rows}))
        with running(path, "--quota", quota) as (url, ca):
            factory = ClientFactory(
                AzureSettings(arm_endpoint=url, ca_bundle=ca), StaticTokenCredential("bench")
            )
            source = ResourceGraphSource(factory, options=LiveOptions(batch_size=batch))
            started = time.monotonic()
            got = source.collect(needs_of(load_pack([]).rules))
            wall = time.monotonic() - started
    stats = got.info.stats
    count, window = quota.split("/")
    per_second = int(count) / float(window)
    floor = stats["resource_graph_requests"] / per_second
    return {
        "instances": instances,
        "subscriptions": subs,
        "rows": len(got.rows),
        "arg_requests": stats["resource_graph_requests"],
        "minimum": minimum_requests(rows, subs, batch),
        "throttled_429": stats["throttled"],
        "complete": got.info.complete,
        "arm_gets": stats["arm_gets"],
        "wall_s": round(wall, 2),
        "quota_floor_s": round(floor, 2),
        "resource_graph_s": stats["resource_graph_s"],
        "ratio": round(stats["resource_graph_s"] / floor, 2) if floor else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--per-subscription", type=int, default=10)
    parser.add_argument("--quota", default="15/5")
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    for n in args.instances:
        print(json.dumps(run(n, args.per_subscription, args.quota, args.batch_size)), flush=True)


if __name__ == "__main__":
    main()
