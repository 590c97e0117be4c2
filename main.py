"""Open the CountyDataSync desktop app from a source checkout: `python main.py [--data-dir DIR] [--source URL]`."""

import sys

from countydatasync_gui.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
