"""Render a run report and a review report of a small demo county with headless Chromium, to look at.

    python scripts/render_report.py [OUT_DIR]      # default /tmp/cds-report

Makes a demo county, syncs it, applies a day of county edits, commits them with
three parcels held back, and writes that run's report (run.html + run.csv) and
the next review's report (review.html), then screenshots each HTML with
`chromium --headless --screenshot` (Debian's `chromium` package) to a PNG, and
draws it as the desktop app prints it, through Qt's QTextDocument (`*-qt.png`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from countydatasync_gui.etl.datafolder import DataFolder  # noqa: E402
from countydatasync_gui.etl.demo import create_demo_county, edit_demo_county  # noqa: E402
from countydatasync_gui.etl.session import SyncSession  # noqa: E402
from countydatasync_gui.etl.settings import SourceSettings, SyncSettings  # noqa: E402


def screenshot(html: Path, png: Path, width: int = 1000, height: int = 2600) -> Path:
    """The page as Chromium shows it, `width` x `height` pixels."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("chromium is not installed (Debian: apt-get install chromium)")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={png}", html.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    return png


def qt_drawing(html: Path, png: Path, width: int = 900, height: int = 2600) -> Path:
    """The page as Qt's QTextDocument lays it out (what the desktop app hands to the printer)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage, QPainter, QTextDocument

    app = QGuiApplication.instance() or QGuiApplication([])
    document = QTextDocument()
    document.setHtml(html.read_text(encoding="utf-8"))
    document.setTextWidth(width)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(0xFFFFFF)
    painter = QPainter(image)
    document.drawContents(painter)
    painter.end()
    image.save(str(png))
    del app
    return png


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        county = Path(scratch) / "county.sqlite"
        create_demo_county(county, parcels=300, seed=3)
        session = SyncSession(DataFolder.resolve(Path(scratch) / "data"),
                              SyncSettings(SourceSettings(url=f"sqlite:///{county}")))
        session.plan()
        session.commit()
        edit_demo_county(county, changes=40, seed=4)
        change_set = session.plan()
        hold = change_set.rows("changed", limit=3)["id"].tolist()
        result = session.commit(hold=hold)
        assert result.run_id is not None
        pages = [session.write_report(result.run_id, out / "run.html")]
        session.plan()
        pages.append(session.write_review_report(out / "review.html"))
        session.discard()
    for page in pages:
        print(screenshot(page, page.with_suffix(".png")))
        print(qt_drawing(page, page.with_name(f"{page.stem}-qt.png")))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/cds-report"))
