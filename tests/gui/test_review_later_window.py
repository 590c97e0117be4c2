"""The window and the clerk's schedule: a sync planned overnight is picked up, and a committed sync undone."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt
from PySide6.QtPrintSupport import QPrinter

from countydatasync_gui.etl import schema
from countydatasync_gui.etl.config import load_settings
from countydatasync_gui.etl.demo import edit_demo_county
from countydatasync_gui.etl.session import ReviewClass, RunStatus, SyncSession
from countydatasync_gui.etl.state import load_state
from tests.gui.conftest import commit, sync
from tests.support import read_table, stage


def _stage_overnight(folder) -> None:
    """What the scheduled `countydatasync sync --stage` does at night, on the demo county."""
    stage(folder, load_settings(folder))


def _first_sync_then_edits(qtbot, make_window, folder, changes: int = 40):
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    edit_demo_county(folder.demo_source, changes=changes, seed=11)


def _reviewing_edits(qtbot, make_window, folder, *, changes: int, seed: int):
    """A window after a first load and a day of county edits, their review open."""
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    edit_demo_county(folder.demo_source, changes=changes, seed=seed)
    sync(qtbot, window)
    return window


def _select_rows(view, rows) -> None:
    for row in rows:
        view.selectionModel().select(view.model().index(row, 0), QItemSelectionModel.SelectionFlag.Select
                                     | QItemSelectionModel.SelectionFlag.Rows)


def test_a_staged_sync_is_picked_up_by_a_new_window_and_committed(qtbot, make_window, folder):
    _first_sync_then_edits(qtbot, make_window, folder)
    _stage_overnight(folder)
    waiting = SyncSession(folder, load_settings(folder)).waiting()
    assert waiting is not None

    window = make_window()  # the clerk starts the app in the morning
    qtbot.waitUntil(lambda: window.change_set is not None, timeout=30_000)
    banner = window.message_banner.text
    assert "is waiting for your review" in banner and f"{waiting.counts.changed:,} changed" in banner
    assert window.review.stack.currentIndex() == 1 and window.review.commit_button.isEnabled()
    assert window.change_set.counts == waiting.counts

    commit(qtbot, window)
    assert window.view.waiting() is None  # committed: nothing waits any more
    assert window.history.model.status(0) == RunStatus.COMMITTED
    assert load_state(folder.working_db).last_run_id == window.history.model.run_id(0)


def test_closing_the_window_puts_a_picked_up_review_back_and_activation_finds_a_new_one(qtbot, make_window, folder):
    _first_sync_then_edits(qtbot, make_window, folder)
    _stage_overnight(folder)
    window = make_window()
    qtbot.waitUntil(lambda: window.change_set is not None, timeout=30_000)
    window.ask = lambda *_: False  # closing must not even ask: the review keeps waiting
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert window.view.waiting() is not None  # back in the folder, unchanged

    second = make_window()
    qtbot.waitUntil(lambda: second.change_set is not None, timeout=30_000)
    with qtbot.waitSignal(second.runner.discarded, timeout=30_000):
        second.review.discard_button.click()
    assert second.view.waiting() is None

    _stage_overnight(folder)  # the next night, while the app stayed open
    second.changeEvent(QEvent(QEvent.Type.ActivationChange))
    qtbot.waitUntil(lambda: second.change_set is not None, timeout=30_000)
    assert "is waiting for your review" in second.message_banner.text


def test_undo_from_the_run_history_and_undo_blocked_by_a_later_sync(qtbot, make_window, folder):
    window = make_window()
    sync(qtbot, window)
    commit(qtbot, window)
    first_run = load_state(folder.working_db).last_run_id
    first_load = read_table(folder.working_db, "working")
    edit_demo_county(folder.demo_source, changes=30, seed=3)
    sync(qtbot, window)
    commit(qtbot, window)
    second_run = load_state(folder.working_db).last_run_id
    assert not read_table(folder.working_db, "working").equals(first_load)
    history = window.history
    window.tabs.setCurrentWidget(history)
    questions: list[str] = []

    # Undoing the first load alone would lose the second sync's changes to the same parcels: the window asks.
    history.select_run(first_run)
    window.ask = lambda _title, text: questions.append(text) or not text.startswith("Later syncs")
    with qtbot.waitSignal(window.runner.undo_blocked, timeout=30_000):
        history.undo_button.click()
    assert "Undo sync" in questions[0] and f"Later syncs ({second_run})" in questions[1]
    qtbot.waitUntil(lambda: "Nothing was undone" in window.message_banner.text)
    assert not read_table(folder.working_db, "working").equals(first_load)  # refused: nothing changed

    history.select_run(second_run)
    assert history.undo_button.isEnabled()
    window.ask = lambda *_: True
    with qtbot.waitSignal(window.runner.undone, timeout=30_000):
        history.undo_button.click()
    assert read_table(folder.working_db, "working").equals(first_load)  # exactly as before the second sync
    assert "Undone: sync" in window.message_banner.text
    qtbot.waitUntil(lambda: history.model.rowCount() == 3)  # the undo is a run of its own, shown at once

    # The second sync and its undo cancel out: the first load can now be undone alone, and the table ends empty.
    history.select_run(first_run)
    with qtbot.waitSignal(window.runner.undone, timeout=30_000):
        history.undo_button.click()
    assert read_table(folder.working_db, "working").empty
    assert load_state(folder.working_db).watermark is None


def test_hold_back_three_parcels_then_the_next_sync_offers_exactly_those(qtbot, make_window, folder):
    window = _reviewing_edits(qtbot, make_window, folder, changes=60, seed=8)
    review = window.review
    review.select_filter(ReviewClass.CHANGED)
    assert review.model.total >= 10 and not review.hold_button.isEnabled()  # nothing selected yet
    chosen = [review.model.raw(row, "id") for row in (0, 2, 4)]

    review.view.setFocus()
    _select_rows(review.view, (0, 2))
    qtbot.keyClick(review.view, Qt.Key.Key_Space)  # Space in the table holds the selection back
    assert review.held_ids() == sorted(chosen[:2])
    assert review.model.index(0, 0).data() == "Held back (changed)"
    review.view.selectionModel().clearSelection()
    _select_rows(review.view, (4,))
    assert review.hold_button.text() == "Hold back"
    review.hold_button.click()
    assert review.hold_button.text() == "Release" and review.held_ids() == sorted(chosen)
    assert "3 parcels held back" in review.shown_label.text()

    before = read_table(folder.working_db, "working").set_index("id")
    changed = window.change_set.counts.changed
    with qtbot.waitSignal(window.runner.committed, timeout=60_000) as committed:
        review.commit_button.click()
    result = committed.args[0]
    assert result.counts.held == 3 and result.counts.changed == changed - 3
    assert "3 parcels held back" in window.message_banner.text
    after = read_table(folder.working_db, "working").set_index("id")
    assert after.loc[chosen].equals(before.loc[chosen])  # the held parcels kept their old values

    sync(qtbot, window)  # the county did not change meanwhile: exactly the held ones come back
    assert window.change_set.counts.changed == 3 and window.change_set.counts.new == 0
    review.select_filter(ReviewClass.CHANGED)
    assert sorted(review.model.raw(row, "id") for row in range(review.model.rowCount())) == sorted(chosen)
    assert all(str(review.model.raw(row, "note")).startswith("held back") for row in range(3))
    assert review.held_ids() == sorted(chosen)  # still held until the clerk releases them

    row = next(r for r in range(3) if review.model.raw(r, "id") == chosen[0])
    review.view.selectionModel().clearSelection()
    _select_rows(review.view, (row,))
    assert review.hold_button.text() == "Release"
    review.hold_button.click()
    with qtbot.waitSignal(window.runner.committed, timeout=60_000) as committed:
        review.commit_button.click()
    assert (committed.args[0].counts.changed, committed.args[0].counts.held) == (1, 2)
    assert read_table(folder.working_db, "working").set_index("id").loc[chosen[0]].ne(before.loc[chosen[0]]).any()


def test_a_parcels_history_shows_every_sync_that_touched_it(qtbot, make_window, folder):
    window = _reviewing_edits(qtbot, make_window, folder, changes=40, seed=5)
    changed = next(row for row in range(window.review.model.rowCount())
                   if window.review.model.raw(row, "kind") == "changed" and window.review.model.raw(row, "changed"))
    parcel = window.review.model.raw(changed, "id")
    field = window.review.model.raw(changed, "changed").split(",")[0]
    commit(qtbot, window)

    browser = window.browser
    window.tabs.setCurrentWidget(browser)
    browser.select_table("working")
    browser.filter_box.setText(parcel)
    browser._apply_filter()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 1 and not browser.model.loading, timeout=10_000)
    assert not browser.history_button.isEnabled()  # nothing selected yet
    _select_rows(browser.view, (0,))
    assert browser.selected_parcel() == parcel and browser.history_button.isEnabled()
    with qtbot.waitSignal(browser.parcel_history_requested) as asked:
        browser.history_button.click()
    dialog = window.show_parcel_history(asked.args[0])
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=10_000)
    newest = [dialog.model.item(0, column).text() for column in range(4)]
    assert newest[2] == "Changed" and " → " in newest[3]
    assert schema.LABELS[field] in newest[3]
    assert dialog.model.item(dialog.model.rowCount() - 1, 2).text() == "Added"  # the first load
    dialog.close()


def test_reports_of_a_run_and_of_the_open_review_are_saved_and_printed(qtbot, make_window, folder, tmp_path):
    window = _reviewing_edits(qtbot, make_window, folder, changes=40, seed=6)
    counts = window.change_set.counts

    # The open review: saved while it waits, then the clerk carries on reviewing.
    window.reports.choose_path = lambda suggested: tmp_path / suggested
    with qtbot.waitSignal(window.reports.written, timeout=30_000) as written:
        window.save_review_report()
    page = written.args[0].read_text(encoding="utf-8")
    assert "not committed" in page and f"{counts.changed:,}" in page
    assert written.args[0].with_suffix(".csv").exists()
    qtbot.waitUntil(lambda: window.review.commit_button.isEnabled())  # the review is the clerk's again

    commit(qtbot, window)
    run = load_state(folder.working_db).last_run_id
    history = window.history
    window.tabs.setCurrentWidget(history)
    history.select_run(run)
    with qtbot.waitSignal(window.reports.written, timeout=30_000) as written:
        history.report_button.click()
    assert written.args[0] == tmp_path / f"countydatasync-run-{run}.html"
    assert "Report saved" in window.message_banner.text

    pdf = tmp_path / "run.pdf"

    def pdf_printer() -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(pdf))
        return printer

    window.reports.choose_printer = pdf_printer
    with qtbot.waitSignal(window.reports.written, timeout=30_000) as written:
        history.print_button.click()
    qtbot.waitUntil(lambda: pdf.exists() and pdf.stat().st_size > 2_000, timeout=30_000)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert not written.args[0].parent.exists()  # the scratch copy is gone once printed
