"""The built-in remediators; importing this package registers them."""

from amlguard.remediate.remediators import (  # noqa: F401
    access,
    endpoints,
    outbound,
    roles,
    workspace,
)
