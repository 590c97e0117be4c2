"""Entry script of the bundled desktop app (`countydatasync-gui`), the same `main()` as the installed script."""

import sys

from countydatasync_gui.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
