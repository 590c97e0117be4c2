"""The PostgreSQL-source rows of the benchmark: the tests' throwaway server (tests/pg/server.py), the demo county in it.

The county's table mirrors the SQLite demo source column for column (text,
double precision, and `last_updated` as a `timestamp`, indexed like the SQLite
source), so the SQLite and PostgreSQL rows read the same rows. It is (re)loaded
from a demo SQLite file with ADBC's bulk ingest (COPY in binary), outside any
measurement.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc

from countydatasync_gui.etl import adbc_files
from tests.pg.server import PgServer

DDL = """
    CREATE TABLE parcels (
        id text PRIMARY KEY, owner text, use_code text, acres double precision, assessed_value double precision,
        last_updated timestamp, site_address text, land_value double precision, improvement_value double precision)
"""


def load_county(server: PgServer, database: str, sqlite_source: Path) -> str:
    """Replace database `database` with the parcels of a demo SQLite file; return its SQLAlchemy URL."""
    import adbc_driver_postgresql.dbapi

    with server.connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    with adbc_files.connect_read_only(sqlite_source) as source, source.cursor() as cursor:
        cursor.execute("SELECT * FROM parcels")
        rows = cursor.fetch_arrow_table()
    stamps = pc.strptime(rows.column("last_updated"), format="%Y-%m-%d %H:%M:%S", unit="us")
    rows = rows.set_column(rows.schema.get_field_index("last_updated"), "last_updated", stamps)
    uri = f"postgresql://{server.user}:{server.password}@{server.host}:{server.port}/{database}"
    with adbc_driver_postgresql.dbapi.connect(uri) as conn:
        with conn.cursor() as cursor:
            cursor.execute(DDL)
            cursor.adbc_ingest("parcels", rows, mode="append")
            cursor.execute("CREATE INDEX parcels_last_updated ON parcels (last_updated)")
            cursor.execute("ANALYZE parcels")
        conn.commit()
    return server.url(database)
