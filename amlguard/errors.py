"""The exception types of each layer, and the exit codes the CLI maps them to."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT)
EXIT_TERMINATED = 143  # SIGTERM


class AmlguardError(Exception):
    """Base of every error amlguard reports to a user (never as a traceback)."""

    exit_code = EXIT_USAGE


class UsageError(AmlguardError):
    """A flag combination that cannot work."""


class InputError(AmlguardError):
    """A file or value given by the user cannot be used (snapshot, config, flag)."""


class PolicyError(AmlguardError):
    """One or more rule files are malformed; carries every problem found, not just the first."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ScanError(AmlguardError):
    """The estate could not be read at all (as opposed to a partial, recorded gap)."""

    exit_code = EXIT_INCOMPLETE


class HistoryError(AmlguardError):
    """The scan history database cannot be used (missing, corrupted, foreign, too new)."""


class RemediationError(AmlguardError):
    """A fix could not start or go on (missing permissions, unusable plan, no live access)."""

    exit_code = EXIT_INCOMPLETE


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM: stop like Ctrl-C, exit 143."""
