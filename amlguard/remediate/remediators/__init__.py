"""The built-in remediators; importing this package registers them."""

from amlguard.remediate.remediators import access, endpoints, roles, workspace  # noqa: F401
