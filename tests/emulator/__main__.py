"""Run the emulator standalone, for manual testing and demos.

    python -m tests.emulator --estate examples/estates/drifted.json [--port 8443] [--quota 15/5]

Prints the endpoint URL and the CA bundle path, serves until interrupted, accepts any bearer
token. Point amlguard at it with ``--arm-endpoint URL --ca-bundle PATH`` and any
``AMLGUARD_ACCESS_TOKEN``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from amlguard.errors import InputError
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.emulator import arg, ingestion, network
from tests.emulator.server import Emulator


def _quota(text: str) -> tuple[int, float]:
    count, _, window = text.partition("/")
    try:
        return int(count), float(window or 5)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--quota {text!r}: expected N/SECONDS, e.g. 15/5"
        ) from None


def _group(text: str) -> tuple[str, list[str]]:
    name, sep, subs = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("--management-group expects NAME=SUB[,SUB...]")
    return name, [s for s in subs.split(",") if s]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulator", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--estate", action="append", type=Path, default=[], help="estate/snapshot file (repeatable)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)"
    )
    parser.add_argument(
        "--quota",
        type=_quota,
        default=(15, 5.0),
        help="Resource Graph quota N/SECONDS (default 15/5)",
    )
    parser.add_argument(
        "--retry-after", type=float, default=None, help="send Retry-After on quota 429s"
    )
    parser.add_argument(
        "--forbid",
        action="append",
        default=[],
        metavar="SUB",
        help="a subscription the caller may not read",
    )
    parser.add_argument(
        "--management-group", action="append", type=_group, default=[], metavar="NAME=SUB,SUB"
    )
    parser.add_argument(
        "--arg-lag",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="writes show in Resource Graph only after this delay (ARM sees them at once)",
    )
    args = parser.parse_args(argv)
    rows = []
    try:
        for path in args.estate:
            rows += read_snapshot(path)[0]
    except InputError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    emu = Emulator(rows, arg_lag=args.arg_lag)
    network.install(emu)  # workspaces, role assignments, private endpoints: --fix works too
    ingestion.install(emu)  # POST /dataCollectionRules/{id}/streams/{stream}: the export's route
    arg.install(
        emu,
        quota=args.quota[0],
        window=args.quota[1],
        retry_after=args.retry_after,
        forbidden=set(args.forbid),
        management_groups=dict(args.management_group),
    )
    emu.start(args.port)
    print(f"ARM endpoint: {emu.url}", flush=True)
    print(f"CA bundle: {emu.ca_path}", flush=True)
    print(
        f"Resources: {len(rows)}; quota {args.quota[0]} per {args.quota[1]:g} s; Ctrl-C stops",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
