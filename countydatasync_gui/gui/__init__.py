"""The desktop app (PySide6): one module per screen, driving the headless engine in `countydatasync_gui.etl`.

Qt stays in this package; the engine never imports it (import-linter contract).
"""
