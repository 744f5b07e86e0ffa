"""Allow ``python -m amlguard``."""

import gc

# The imports below run a few dozen collections of the cyclic GC over objects that all live
# until the process ends; main() decides for the command (off for a plain check, back on
# otherwise).
gc.disable()

# Before the command line's imports (click's and the standard library's patterns among them):
# regexes compiled by an earlier run are reused (amlguard.regexcache; main() installs the rest).
try:
    from amlguard import regexcache

    regexcache.install()

    from amlguard.cli import main
except KeyboardInterrupt:  # Ctrl-C during the first imports: one line, no traceback
    import os
    import sys

    sys.stderr.write("amlguard: interrupted\n")
    sys.stderr.flush()
    os._exit(130)

main()
