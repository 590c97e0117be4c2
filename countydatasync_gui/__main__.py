"""`python -m countydatasync_gui` opens the desktop app."""

import sys

from countydatasync_gui.gui.app import main

sys.exit(main())
