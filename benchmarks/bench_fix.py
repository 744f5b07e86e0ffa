"""Benchmark: fixing N drifted instances on the ARM emulator (``check --fix --yes`` end to end).

Measures (a) ARM calls made vs the distinct writes the drift needs (target: no redundant write,
at most one verification read per changed resource) and (b) wall time of the whole fix vs the
slowest single instance fixed alone (target: <= 3x, through concurrency).

The emulator runs in a child process so that it does not share the benchmark's GIL.

    python3 benchmarks/bench_fix.py --instances 100 --concurrency 32
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import sys
import time
import warnings
from io import StringIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.builders import blueprint  # noqa: E402

WRITES_PER_INSTANCE = 9  # see drifted_instance()


def drifted_instance(i: int) -> list[dict[str, Any]]:
    """Blueprint instance ``i`` with drift that needs exactly 9 writes to repair.

    role assignment, outbound rule, key vault endpoint + its DNS zone group, public access off on
    key vault, storage, registry and workspace, provisioning.
    """
    sub = f"00000000-0000-0000-0000-{i // 50:012d}"
    inst = blueprint(sub=sub, rg=f"ml-{i:03d}", prefix=f"bp{i:03d}")
    ws = inst.workspace["properties"]
    ws["publicNetworkAccess"] = "Enabled"
    ws["managedNetwork"]["status"] = {"status": "Inactive", "sparkReady": False}
    del ws["managedNetwork"]["outboundRules"]["allowOpenAi"]
    for rule in ws["managedNetwork"]["outboundRules"].values():
        rule["status"] = "Inactive"
    inst.role_assignments = []
    inst.remove_endpoint("keyvault")
    for r in (inst.keyvault, inst.storage, inst.registry):
        r["properties"]["publicNetworkAccess"] = "Enabled"
    return inst.rows()


def _serve(rows: list[dict[str, Any]], conn: Any, latency: float) -> None:
    from tests.emulator import network
    from tests.emulator.server import Emulator, Request, Response

    with Emulator(rows) as emu:
        network.install(emu)
        if latency:
            # ARM round trips take tens of milliseconds; the emulator answers in ~1 ms. A sleep
            # (which releases the GIL) models that so concurrency is measured, not CPU alone.
            handle = emu.handle

            def slow(req: Request) -> Response | None:
                if not req.path.startswith("/amlguard-emulator/journal"):
                    time.sleep(latency)
                return handle(req)

            emu.handle = slow  # type: ignore[method-assign]

        @emu.route("GET", r"/amlguard-emulator/arg-rows")
        def arg_rows(req: Request, m: Any) -> Response:
            return Response(200, {"value": emu.arg_rows()})

        @emu.route("GET", r"/amlguard-emulator/journal")
        def journal(req: Request, m: Any) -> Response:
            entries = [
                {"method": r.method, "path": r.path.lower(), "query": r.query}
                for r in emu.journal
                if "/amlguard-emulator/arg-rows" not in r.path
                and "/amlguard-emulator/journal" not in r.path
            ]
            return Response(200, {"value": entries})

        conn.send((emu.url, emu.ca_path))
        conn.recv()  # serve until told to stop


class _Remote:
    """An emulator in a child process."""

    def __init__(self, rows: list[dict[str, Any]], latency: float = 0.0) -> None:
        ctx = mp.get_context("spawn")
        self.parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(rows, child, latency), daemon=True)
        self.proc.start()
        self.url, self.ca_path = self.parent.recv()

    def get(self, path: str) -> Any:
        import json
        import ssl
        import urllib.request

        ctx = ssl.create_default_context(cafile=self.ca_path)
        with urllib.request.urlopen(self.url + path, context=ctx) as resp:
            return json.loads(resp.read())["value"]

    def stop(self) -> None:
        self.parent.send("stop")
        self.proc.join(5)


def _source(remote: _Remote) -> Any:
    from amlguard.scanner.model import SourceInfo
    from amlguard.scanner.sources.interface import Collected, Source

    class RemoteSource(Source):
        def collect(self, needs: Any, progress: Any = None) -> Collected:
            return Collected(
                remote.get("/amlguard-emulator/arg-rows"), SourceInfo("emulator", remote.url)
            )

    return RemoteSource()


def fix_once(rows: list[dict[str, Any]], concurrency: int, latency: float = 0.0) -> dict[str, Any]:
    """One ``check --fix --yes`` on a fresh emulator; returns timings and call counts."""
    from rich.console import Console

    from amlguard.remediate import fix
    from amlguard.remediate.clients import ClientSettings, SdkClients
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, select_rules
    from tests.emulator.credentials import FakeCredential

    remote = _Remote(rows, latency)
    clients = SdkClients(
        ClientSettings(
            FakeCredential(), remote.url, remote.ca_path, retry_total=0, polling_interval=0.01
        )
    )
    try:
        pack = load_pack([])
        rules = select_rules(pack)
        options = ScanOptions()
        started = time.perf_counter()
        prepared = fix.prepare(_source(remote), pack, rules, options, [], clients.get)
        report = fix.fix_after_scan(
            prepared,
            fix.FixOptions(yes=True, concurrency=concurrency),
            clients,
            Console(file=StringIO(), width=200),
            lambda: True,
            (pack, rules, options),
        )
        wall = time.perf_counter() - started
        journal = remote.get("/amlguard-emulator/journal")
    finally:
        clients.close()
        remote.stop()
    return {"wall": wall, "report": report, "plan": prepared.plan, "journal": journal}


def classify(journal: list[dict[str, Any]], plan: Any) -> dict[str, int]:
    """Sort the ARM calls by purpose."""
    counts: collections.Counter[str] = collections.Counter()
    written: collections.Counter[str] = collections.Counter()
    for r in journal:
        path, method = r["path"], r["method"]
        if path.startswith("/amlguard-emulator/operations"):
            counts["lro polls"] += 1
        elif path.endswith("/providers/microsoft.authorization/permissions"):
            counts["permission preflight"] += 1
        elif method in ("PUT", "PATCH", "POST", "DELETE"):
            counts["writes"] += 1
            written[(method, path)] += 1
        else:
            counts["reads"] += 1
    counts["redundant writes"] = sum(n - 1 for n in written.values() if n > 1)
    return dict(counts)


def main() -> None:
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--singles", type=int, default=3, help="single-instance runs to time")
    ap.add_argument(
        "--latency-ms", type=float, default=0.0, help="simulated ARM latency per request"
    )
    args = ap.parse_args()

    rows = [r for i in range(args.instances) for r in drifted_instance(i)]
    latency = args.latency_ms / 1000
    fix_once(drifted_instance(0), 1)  # warm-up: imports (azure-ai-ml ~1 s) are not the fix
    singles = []
    for i in range(args.singles):
        one = fix_once(drifted_instance(i * 7 % args.instances), max(args.concurrency), latency)
        assert one["report"].exit_code == 0
        singles.append(one["wall"])
    slowest = max(singles)
    print(f"single instance: {', '.join(f'{s:.2f}s' for s in singles)} (slowest {slowest:.2f}s)")

    for conc in args.concurrency:
        run = fix_once(rows, conc, latency)
        report, plan = run["report"], run["plan"]
        calls = classify(run["journal"], plan)
        changed = {rid.lower() for a in plan.actions for rid in a.rereads()}
        verify_reads = len(report.reads)
        print(
            f"{args.instances} instances, latency {args.latency_ms:g} ms, concurrency {conc}: exit {report.exit_code}, "
            f"{len(plan.actions)} actions (needed {WRITES_PER_INSTANCE * args.instances}), "
            f"ARM calls {sum(v for k, v in calls.items() if k != 'redundant writes')}: {calls}; "
            f"changed resources {len(changed)}, verification reads {verify_reads}; "
            f"wall {run['wall']:.2f}s = {run['wall'] / slowest:.1f}x the slowest single instance"
        )


if __name__ == "__main__":
    main()
