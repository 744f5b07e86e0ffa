"""The built-in remediators (declared by name in :mod:`amlguard.remediate.catalog`)."""
