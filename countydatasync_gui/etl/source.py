"""Read parcel rows from the county's source database, in chunks, through SQLAlchemy.

Table and column names go through SQLAlchemy's reflection and quoting, never
into SQL text; the watermark is always a bound parameter. Rows come back with
our field names (see `schema`), whatever the source calls its columns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from . import schema
from .errors import SourceSchemaError, SourceUnavailable
from .settings import SourceSettings

# ISO text sorts like time only within one format and zone. For text cursors the
# SQL filter therefore starts a day early (offsets are at most 14 hours); the
# extra rows are re-read, found unchanged and cost nothing.
_TEXT_CURSOR_SLACK = timedelta(days=1)


def parse_url(url: str) -> URL:
    """Parse a SQLAlchemy URL, or raise a clear error."""
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise SourceUnavailable(
            f"The source address '{url}' is not a database address. It should look like "
            "'sqlite:///C:/county/parcels.sqlite' or 'postgresql://user@host/county'.",
            details=str(exc),
        ) from exc


def describe_url(url: str) -> str:
    """The source in words, never with a password: a file name, or database on host."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database or "memory").name
    where = parsed.host or "local server"
    if parsed.port:
        where += f":{parsed.port}"
    return f"{parsed.database} on {where}"


class Source:
    """One county source table, opened lazily and read in chunks."""

    def __init__(self, settings: SourceSettings) -> None:
        self.settings = settings
        self.url = parse_url(settings.url)
        self._table: sa.Table | None = None

    def describe(self) -> str:
        """The source in words for screens and logs, without secrets."""
        return f"{describe_url(self.settings.url)}, table {self.settings.table}"

    @property
    def identity(self) -> str:
        """What identifies this source in the sync state (address without password, and table)."""
        return f"{self.url.render_as_string(hide_password=True)}#{self.settings.table}"

    @contextmanager
    def _connection(self) -> Iterator[sa.Connection]:
        """A connection; any driver failure becomes a plain `SourceUnavailable`."""
        engine = self._engine()
        try:
            with engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise SourceUnavailable(
                f"The source database ({describe_url(self.settings.url)}) could not be read. "
                "Check that it is reachable and that the settings are right, then try again.",
                details=str(exc),
            ) from exc
        finally:
            engine.dispose()

    def _engine(self) -> sa.Engine:
        if self.url.get_backend_name() == "sqlite":
            # Open SQLite sources read-only: a mistyped path must not create an empty file.
            path = Path(self.url.database or "")
            if not path.is_file():
                raise SourceUnavailable(
                    f"The source file '{path}' was not found. Check the file name in the settings.",
                    details=self.url.render_as_string(hide_password=True),
                )
            uri = f"{path.resolve().as_uri()}?mode=ro"
            return sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)
        try:
            return sa.create_engine(self.url, poolclass=NullPool)
        except (NoSuchModuleError, ImportError) as exc:
            raise SourceUnavailable(
                f"CountyDataSync has no driver for '{self.url.drivername}' sources installed. "
                "Install the matching extra (see the README), then try again.",
                details=str(exc),
            ) from exc

    def table(self, conn: sa.Connection) -> sa.Table:
        """Reflect the source table and check that every mapped column exists."""
        if self._table is None:
            try:
                table = sa.Table(self.settings.table, sa.MetaData(), autoload_with=conn, schema=self.settings.schema_name)
            except NoSuchTableError as exc:
                raise SourceSchemaError(
                    f"The source has no table named '{self.settings.table}'. Check the table name in the settings.",
                    details=str(exc),
                ) from exc
            missing = [
                f"'{column}' (for {schema.LABELS[field].lower()})"
                for field, column in self.settings.columns.items()
                if field in schema.REQUIRED_FIELDS and column not in table.c
            ]
            if missing:
                raise SourceSchemaError(
                    f"The source table '{self.settings.table}' has no column " + ", ".join(missing) + ". "
                    "Check the column names in the settings.",
                    details=f"columns found: {', '.join(table.c.keys())}",
                )
            self._table = table
        return self._table

    def _select(self, table: sa.Table, since: datetime | None, *columns: sa.ColumnElement) -> sa.Select:
        statement = sa.select(*columns)
        if since is None:
            return statement.select_from(table)
        cursor = table.c[self.settings.columns[schema.LAST_UPDATED]]
        # NULL timestamps are read by every sync and compared by content.
        return statement.select_from(table).where(sa.or_(cursor >= self._bound(cursor, since), cursor.is_(None)))

    def _bound(self, cursor: sa.Column, since: datetime) -> object:
        """The watermark as the source's cursor column wants it (a bound parameter either way)."""
        if isinstance(cursor.type, sa.DateTime) and self.url.get_backend_name() != "sqlite":
            if cursor.type.timezone:
                return since
            return since.astimezone(self.settings.zone()).replace(tzinfo=None)
        return (since.astimezone(self.settings.zone()) - _TEXT_CURSOR_SLACK).strftime("%Y-%m-%d")

    def check(self) -> None:
        """Open the source and check its table and columns; raise a clear error if anything is missing."""
        with self._connection() as conn:
            self.table(conn)

    def count(self, since: datetime | None) -> int:
        """How many rows a read from `since` will return (uses the cursor column's index when there is one)."""
        with self._connection() as conn:
            table = self.table(conn)
            return int(conn.execute(self._select(table, since, sa.func.count())).scalar_one())

    def read(self, since: datetime | None, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """Rows modified at or after `since` (all rows if None), as DataFrames named after `schema.FIELDS`."""
        with self._connection() as conn:
            table = self.table(conn)
            selected = [
                table.c[column].label(field)
                for field, column in self.settings.columns.items()
                if field in schema.FIELDS and column in table.c
            ]
            # stream_results keeps a server-side cursor where the driver has one,
            # so memory stays at one chunk whatever the size of the county.
            streaming = conn.execution_options(stream_results=True, max_row_buffer=chunk_rows)
            yield from pd.read_sql(self._select(table, since, *selected), streaming, chunksize=chunk_rows)
