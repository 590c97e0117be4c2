"""Entry script of the bundled command line (`countydatasync`), the same `main()` as the installed script."""

import sys

from countydatasync_gui.cli import main

if __name__ == "__main__":
    sys.exit(main())
