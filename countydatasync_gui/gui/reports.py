"""Save report… and Print… for a run (the run history) or the review still open: a report for the record.

The engine writes the report (self-contained HTML, every row in a CSV beside
it) on a background lane; Print… writes it to a scratch folder and prints it
through Qt's print dialog, which also saves PDF. QTextDocument renders the
report's plain tables, so the printout is the page the clerk saved.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from ..etl.errors import SyncError
from .background import Lane

if TYPE_CHECKING:
    from ..etl.session import FolderView, SyncSession


def print_report(html: Path, printer: QPrinter) -> None:
    """Lay the report out on `printer`'s pages (a paper printer, or a PDF file)."""
    document = QTextDocument()
    document.setHtml(html.read_text(encoding="utf-8"))
    document.print_(printer)


class ReportActions(QObject):
    """Writes reports off the GUI thread and prints them; says how it went through `message`."""

    message = Signal(str, str)  # kind ("success", "error"), text
    #: a report was written (the HTML's path), for tests and scripts
    written = Signal(object)

    def __init__(self, view: FolderView, window: QWidget) -> None:
        super().__init__(window)
        self.view, self.window = view, window
        self.lane = Lane(self)

    @property
    def busy(self) -> bool:
        """True while a report is being written."""
        return self.lane.busy

    # -- what the screens ask for ------------------------------------------------------
    def save_run(self, run_id: int) -> None:
        """Ask where, then write the report of run `run_id` there."""
        if (path := self.choose_path(f"countydatasync-run-{run_id}.html")) is not None:
            self._write(lambda: self.view.write_report(run_id, path), self._saved)

    def print_run(self, run_id: int) -> None:
        """Write the report of run `run_id` to a scratch folder and print it."""
        scratch = Path(tempfile.mkdtemp(prefix="countydatasync-report-"))
        self._write(lambda: self.view.write_report(run_id, scratch / f"run-{run_id}.html"), self._print_and_forget)

    def save_review(self, session: SyncSession, done: Callable[[], None]) -> None:
        """Ask where, then write the report of the review open in `session`; `done()` runs afterwards either way."""
        if (path := self.choose_path("countydatasync-review.html")) is None:
            done()
            return
        self._write(lambda: session.write_review_report(path), self._saved, done)

    def print_review(self, session: SyncSession, done: Callable[[], None]) -> None:
        """Write the report of the open review to a scratch folder and print it; `done()` runs afterwards."""
        scratch = Path(tempfile.mkdtemp(prefix="countydatasync-report-"))
        self._write(lambda: session.write_review_report(scratch / "review.html"), self._print_and_forget, done)

    # -- what tests replace ------------------------------------------------------------------
    def choose_path(self, suggested: str) -> Path | None:
        """Where to save a report (the desktop's file dialog); None if the clerk cancelled."""
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Save the report", suggested, "Web pages (*.html)")
        return Path(chosen) if chosen else None

    def choose_printer(self) -> QPrinter | None:
        """The printer (or PDF file) the clerk picks in Qt's print dialog; None if cancelled."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self.window)
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    # -- internals -------------------------------------------------------------------------
    def _write(self, job: Callable[[], Path], then: Callable[[Path], None],
               done: Callable[[], None] | None = None) -> None:
        def finished(path: Path) -> None:
            if done is not None:
                done()
            self.written.emit(path)
            then(path)

        def failed(exc: BaseException) -> None:
            if done is not None:
                done()
            reason = exc.message if isinstance(exc, SyncError) else str(exc)
            self.message.emit("error", f"The report could not be written: {reason} Choose another folder, or try again.")

        self.lane.start(lambda _progress: job(), on_result=finished, on_error=failed)

    def _saved(self, path: Path) -> None:
        self.message.emit("success", f"Report saved: {path} (every row is in {path.with_suffix('.csv').name} beside it).")

    def _print_and_forget(self, path: Path) -> None:
        try:
            if (printer := self.choose_printer()) is not None:
                print_report(path, printer)
                self.message.emit("success", "The report was printed (or saved as PDF, if that was chosen).")
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
