"""GIS sources: GeoPackage, shapefile, a zipped shapefile and a file geodatabase, written by GDAL into tmp_path.

Wisconsin's statewide parcel layer is a file geodatabase or shapefile; the
attributes are synced through the `wisconsin` preset (geometry is not read).
"""

from __future__ import annotations

import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from countydatasync_gui.etl.connection_check import test_connection
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.errors import SourceSchemaError
from countydatasync_gui.etl.sync import commit, plan_sync
from tests.etl.test_file_source import WI_HEADER, counts, edited, run, settings_for, wisconsin_rows
from tests.support import assert_unchanged, read_table, snapshot

# GDAL says so when it shortens a name for a shapefile's 10-character limit, as real exports do.
pytestmark = pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
SHAPEFILE_NAMES = {"columns": {"assessed_value": {"column": "CNTASSDVAL", "convert": "number"}}}
raw = pytest.importorskip("pyogrio.raw", reason="the GIS extra is not installed: pip install -e '.[gis]'")


def write_layer(path: Path, rows: list[dict[str, str]], driver: str, layer: str | None = "V11_Parcels") -> None:
    """The rows as point features (a parcel's centroid), every attribute as text, as the state publishes them."""
    points = np.array([struct.pack("<BIdd", 1, 1, -89.4 + n / 1000, 43.1) for n in range(len(rows))], dtype=object)
    data = [np.array([row[name] for row in rows], dtype=object) for name in WI_HEADER]
    if path.exists():
        (path.unlink() if path.is_file() else shutil.rmtree(path))
    raw.write(str(path), points, data, np.array(WI_HEADER), driver=driver, geometry_type="Point",
              layer=layer, crs="EPSG:4326")


@pytest.mark.parametrize("name, driver", [("parcels.gpkg", "GPKG"), ("V11_Parcels.shp", "ESRI Shapefile"),
                                          ("V11_Parcels.gdb", "OpenFileGDB")])
def test_gis_layer_first_sync_and_replaced_file(folder: DataFolder, tmp_path: Path, name: str, driver: str) -> None:
    path = tmp_path / name
    rows = wisconsin_rows(40)
    write_layer(path, rows, driver, layer=None if driver == "ESRI Shapefile" else "V11_Parcels")
    # A shapefile's field names stop at 10 characters: CNTASSDVALUE is CNTASSDVAL there.
    section = {"table": "V11_Parcels"} if driver != "ESRI Shapefile" else SHAPEFILE_NAMES
    settings = settings_for(path, preset="wisconsin", **section)
    assert counts(run(folder, settings)) == (40, 0, 0, 0, 0)
    working = read_table(folder.working_db, "working").set_index("id")
    assert working.loc["0003-1109", "use_code"] == "2" and working.loc["0003-1109", "acres"] == 4.5
    more = [{**row, "LOADDATE": "2026-02-05"} for row in wisconsin_rows(43)[40:]]
    write_layer(path, [{**row, "LOADDATE": "2026-02-05"} for row in edited(rows, "CNTASSDVALUE", more)], driver,
                layer=None if driver == "ESRI Shapefile" else "V11_Parcels")
    assert counts(run(folder, settings)) == (3, 2, 0, 36, 0)
    assert counts(commit(plan_sync(folder, settings, full_refresh=True))) == (0, 0, 2, 41, 0)


def test_a_zipped_shapefile_is_read_and_a_zip_without_one_is_refused(folder: DataFolder, tmp_path: Path) -> None:
    shp = tmp_path / "shp" / "V11_Parcels.shp"
    shp.parent.mkdir()
    write_layer(shp, wisconsin_rows(10), "ESRI Shapefile", layer=None)
    archive = tmp_path / "V11_Parcels.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in shp.parent.iterdir():
            out.write(part, part.name)
    assert counts(run(folder, settings_for(archive, preset="wisconsin", **SHAPEFILE_NAMES))) == (10, 0, 0, 0, 0)

    before = snapshot(folder)
    empty = tmp_path / "readme.zip"
    with zipfile.ZipFile(empty, "w") as out:
        out.writestr("README.txt", "the parcels will follow")
    with pytest.raises(SourceSchemaError, match="holds no shapefile"):
        plan_sync(folder, settings_for(empty, preset="wisconsin"))
    assert_unchanged(before, snapshot(folder))


def test_a_layer_that_does_not_exist_is_named_with_the_ones_that_do(tmp_path: Path) -> None:
    path = tmp_path / "county.gpkg"
    write_layer(path, wisconsin_rows(3), "GPKG", layer="Parcels2026")
    report = test_connection(settings_for(path, preset="wisconsin", table="Parcels2025").source)
    assert not report.ok and report.tables == ["Parcels2026"]
    with pytest.raises(SourceSchemaError, match="no layer named 'Parcels2025'.*Parcels2026"):
        plan_sync(DataFolder(tmp_path / "data"), settings_for(path, preset="wisconsin", table="Parcels2025"))
