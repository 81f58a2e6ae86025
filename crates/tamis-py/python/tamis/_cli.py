"""The ``tamis`` console script: the CLI binary's own code (the ``tamis_cli`` Rust crate), run
in this process, so flags, outputs, messages and exit statuses are the binary's."""

import signal
import sys

from . import _tamis


def main():
    # The binary stops on Ctrl-C by the signal's default action (a rerun resumes from the last
    # checkpoint). Python's own handler only sets a flag, which the Rust code never looks at.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_tamis.cli_main(sys.argv))


if __name__ == "__main__":
    main()
