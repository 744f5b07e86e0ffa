"""Helpers for tests of the live source: an emulator with Resource Graph, and a source for it."""

from __future__ import annotations

from typing import Any

from amlguard.azure.clients import AzureSettings, ClientFactory
from amlguard.scanner.model import ScanResult
from amlguard.scanner.rules import RulePack, load_pack
from amlguard.scanner.scan import run_scan
from amlguard.scanner.sources.query import RetrySettings
from amlguard.scanner.sources.resourcegraph import LiveOptions, LiveScope, ResourceGraphSource
from tests.emulator.credentials import FakeCredential
from tests.emulator.server import Emulator

# Short waits: a test never sleeps for real seconds where a short window proves the same.
FAST_RETRY = RetrySettings(max_retries=3, backoff_base=0.01, budget=20.0)
_PACK: RulePack | None = None


def pack() -> RulePack:
    """The built-in rule pack (loaded once per test session)."""
    global _PACK
    if _PACK is None:
        _PACK = load_pack([])
    return _PACK


def factory(emu: Emulator, credential: Any = None) -> ClientFactory:
    """A client factory pointed at the emulator."""
    settings = AzureSettings(arm_endpoint=emu.url, ca_bundle=emu.ca_path)
    return ClientFactory(settings, credential or FakeCredential())


def source(
    emu: Emulator,
    *,
    subscriptions: tuple[str, ...] = (),
    management_groups: tuple[str, ...] = (),
    resource_groups: tuple[str, ...] = (),
    batch_size: int = 1000,
    retry: RetrySettings = FAST_RETRY,
    **kw: Any,
) -> ResourceGraphSource:
    """A live source for the emulator with fast retries."""
    scope = LiveScope(subscriptions, management_groups, resource_groups)
    options = LiveOptions(batch_size=batch_size, retry=retry)
    return ResourceGraphSource(factory(emu), scope, options, **kw)


def scan(src: Any) -> ScanResult:
    """The built-in rules a default scan runs (opt-in ones left out) over one source."""
    from amlguard.scanner.scan import select_rules

    return run_scan(src, pack(), select_rules(pack()))


def findings(result: ScanResult) -> list[dict[str, Any]]:
    """Findings as comparable dicts."""
    return [f.to_dict() for f in result.findings]
