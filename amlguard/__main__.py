"""Allow ``python -m amlguard``."""

import gc

# The imports below run a few dozen collections of the cyclic GC over objects that all live
# until the process ends; main() decides for the command (off for a plain check, back on
# otherwise).
gc.disable()

# Before the command line's imports (click's and the standard library's patterns among them):
# regexes compiled by an earlier run are reused (amlguard.regexcache; main() installs the rest).
from amlguard import regexcache  # noqa: E402

regexcache.install()

from amlguard.cli import main  # noqa: E402

main()
