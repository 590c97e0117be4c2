"""Sources for packaging/smoke_test.sh to sync from, made with the build venv's Python (not the bundle's).

    python packaging/smoke_sources.py files FOLDER
        writes the same 20 Florida NAL rows (the `florida_nal` preset's columns) as
        roll.csv, roll.xlsx, roll.parquet, roll.gpkg, roll.gdb (file geodatabase) and
        roll.zip (a zipped shapefile); the GIS layers are points with a CRS, as counties export them.
    python packaging/smoke_sources.py postgres --check
        exits 0 if a throwaway PostgreSQL server can be started here, else prints why and exits 1.
    python packaging/smoke_sources.py postgres COMMAND ...
        starts a throwaway server (tests/pg/server.py) holding the rows as table `parcels`,
        runs COMMAND with `{url}` replaced by its address, and exits with COMMAND's exit code.

The bundled programs then read each source the way a clerk's machine would, so a
library left out of the bundle by mistake (Parquet, GDAL, ADBC, libpq) fails the smoke test.
"""

from __future__ import annotations

import csv
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["CO_NO", "PARCEL_ID", "DOR_UC", "JV", "AV_SD", "LND_VAL", "LND_SQFOOT", "OWN_NAME", "PHY_ADDR1"]
ROWS = [["23", f"01-{n:04d}", f"{n % 3 + 1:03d}", str(150_000 + n), str(100_000 + n), str(40_000 + n),
         str(43_560 * (1 + n % 4)), f"OWNER {n}", f"{n} MAIN ST"] for n in range(20)]


def write_files(folder: Path) -> None:
    import numpy as np
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyogrio import raw

    with open(folder / "roll.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *ROWS])
    workbook = openpyxl.Workbook()
    for row in [HEADER, *ROWS]:
        workbook.active.append(row)
    workbook.save(folder / "roll.xlsx")
    pq.write_table(pa.table({name: [row[i] for row in ROWS] for i, name in enumerate(HEADER)}), folder / "roll.parquet")

    # Parcel centroids as WKB points in Florida West (US feet), the CRS a county's export carries.
    points = np.array([struct.pack("<BIdd", 1, 1, 500_000 + n, 1_300_000.0) for n in range(len(ROWS))], dtype=object)
    fields = [np.array([row[i] for row in ROWS], dtype=object) for i in range(len(HEADER))]
    shapefile = folder / "shp" / "roll.shp"
    shapefile.parent.mkdir()
    for path, driver in ((folder / "roll.gpkg", "GPKG"), (folder / "roll.gdb", "OpenFileGDB"), (shapefile, "ESRI Shapefile")):
        raw.write(str(path), points, fields, np.array(HEADER), driver=driver, geometry_type="Point",
                  layer=None if driver == "ESRI Shapefile" else "roll", crs="EPSG:2237")
    with zipfile.ZipFile(folder / "roll.zip", "w") as archive:
        for part in shapefile.parent.iterdir():
            archive.write(part, part.name)


def postgres(command: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from tests.pg.server import missing_requirement, throwaway_server

    missing = missing_requirement()
    if missing or command == ["--check"]:
        if missing:
            print(missing)
        return 1 if missing else 0
    with throwaway_server() as server:
        with server.connect() as admin:
            admin.execute("CREATE DATABASE roll")
        with server.connect("roll") as conn:
            conn.execute("CREATE TABLE parcels (" + ", ".join(f'"{name}" text' for name in HEADER) + ")")
            with conn.cursor().copy("COPY parcels FROM STDIN") as copy:
                for row in ROWS:
                    copy.write_row(row)
        url = server.url("roll")
        return subprocess.run([part.replace("{url}", url) for part in command]).returncode


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "files":
        write_files(Path(argv[1]))
        return 0
    if len(argv) >= 2 and argv[0] == "postgres":
        return postgres(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
