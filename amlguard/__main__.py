"""Allow ``python -m amlguard``."""

import gc

# The imports below run a few dozen collections of the cyclic GC over objects that all live
# until the process ends; main() decides for the command (off for a plain check, back on
# otherwise).
gc.disable()

from amlguard.cli import main  # noqa: E402

main()
