"""The headless ETL engine: extract, validate, classify, review, commit.

Nothing here imports Qt (an import-linter contract in pyproject.toml enforces it),
so the CLI, scheduled runs, the tests and the desktop app all drive the same code.
"""
