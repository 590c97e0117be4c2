"""Read parcel rows from the county's source database, in chunks, through SQLAlchemy.

Table and column names go through SQLAlchemy's reflection and quoting, never
into SQL text; the watermark is always a bound parameter. Rows come back with
our field names (see `schema`), converted as the mapping says (see `mapping`),
whatever the source calls its columns.
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

from . import mapping, schema
from .errors import SourceSchemaError, SourceUnavailable
from .passwords import password_help
from .settings import SourceSettings

# ISO text sorts like time only within one format and zone. For text cursors the
# SQL filter therefore starts a day early (offsets are at most 14 hours); the
# extra rows are re-read, found unchanged and cost nothing.
_TEXT_CURSOR_SLACK = timedelta(days=1)
# An unreachable server fails after this long instead of the operating system's minutes.
_CONNECT_TIMEOUTS = {"postgresql": {"connect_timeout": 15}, "mssql": {"timeout": 15}}
# What drivers say when the server refused the login (psycopg, psycopg2, pyodbc, pymysql).
_AUTH_WORDS = ("password authentication failed", "no password supplied", "login failed", "access denied for user")


class LoginRefused(SourceUnavailable):
    """The source server refused the user name or password."""


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
        self._specs: dict[str, mapping.ColumnSpec] = {}

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
            raise self._unavailable(exc) from exc
        finally:
            engine.dispose()

    def _unavailable(self, exc: SQLAlchemyError) -> SourceUnavailable:
        """A driver error in plain words; a refused login says where the password comes from."""
        where = describe_url(self.settings.url)
        if any(words in str(exc).lower() for words in _AUTH_WORDS):
            return LoginRefused(
                f"The source database ({where}) refused the login for user '{self.url.username}'. "
                f"Check the user name and password. {password_help(self.url)}",
                details=str(exc),
            )
        return SourceUnavailable(
            f"The source database ({where}) could not be read. "
            "Check that it is reachable and that the settings are right, then try again.",
            details=str(exc),
        )

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
        # The password is added only here, on its way to the driver: settings and URLs stay without it.
        url = self.url if self.settings.password is None else self.url.set(password=self.settings.password)
        try:
            return sa.create_engine(url, poolclass=NullPool, connect_args=_CONNECT_TIMEOUTS.get(self.url.get_backend_name(), {}))
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
            try:
                specs, problems = mapping.resolve(
                    self.settings.specs(), table.c.keys(), strict_optional=not self.settings.is_default_layout
                )
            except mapping.MappingError as exc:
                raise SourceSchemaError(exc.message, details=exc.details) from exc
            if problems:
                raise SourceSchemaError(
                    f"The source table '{self.settings.table}' does not match the column mapping: " + "; ".join(problems)
                    + ". Check the column names in the settings.",
                    details=f"columns found: {', '.join(table.c.keys())}",
                )
            self._table, self._specs = table, specs
        return self._table

    def _select(self, table: sa.Table, since: datetime | None, *columns: sa.ColumnElement) -> sa.Select:
        statement = sa.select(*columns)
        if since is None:
            return statement.select_from(table)
        cursor = table.c[self._specs[schema.LAST_UPDATED].columns[0]]
        # NULL timestamps are read by every sync and compared by content.
        return statement.select_from(table).where(sa.or_(cursor >= self._bound(cursor, since), cursor.is_(None)))

    def _bound(self, cursor: sa.Column, since: datetime) -> object:
        """The watermark as the source's cursor column wants it (a bound parameter either way)."""
        if isinstance(cursor.type, sa.DateTime) and self.url.get_backend_name() != "sqlite":
            if cursor.type.timezone:
                return since
            return since.astimezone(self.settings.zone()).replace(tzinfo=None)
        return (since.astimezone(self.settings.zone()) - _TEXT_CURSOR_SLACK).strftime("%Y-%m-%d")

    def catalogue(self) -> tuple[list[str], list[tuple[str, str]] | None]:
        """Tables and views in the configured schema, and the configured table's (column, type) pairs (None if absent)."""
        with self._connection() as conn:
            inspector = sa.inspect(conn)
            schema_name = self.settings.schema_name
            names = sorted(set(inspector.get_table_names(schema=schema_name)) | set(inspector.get_view_names(schema=schema_name)))
            try:
                columns = [(c["name"], _type_name(c["type"])) for c in inspector.get_columns(self.settings.table, schema=schema_name)]
            except NoSuchTableError:
                columns = None
        return names, columns

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
            # Each source column once (two fields may share one); the mapping renames and converts.
            selected = [table.c[column] for column in mapping.source_columns(self._specs)]
            # stream_results keeps a server-side cursor where the driver has one,
            # so memory stays at one chunk whatever the size of the county.
            streaming = conn.execution_options(stream_results=True, max_row_buffer=chunk_rows)
            for chunk in pd.read_sql(self._select(table, since, *selected), streaming, chunksize=chunk_rows):
                yield mapping.apply(chunk, self._specs)


def _type_name(column_type: object) -> str:
    """A column type in SQL words ("NUMERIC(12, 2)"); the class name if the dialect cannot say."""
    try:
        return str(column_type)
    except Exception:  # noqa: BLE001 - some reflected types (NullType) do not compile on their own
        return type(column_type).__name__
