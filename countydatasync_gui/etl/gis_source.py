"""GIS layers as parcel sources: GeoPackage, shapefile (`.shp`, or a `.zip` holding one), Esri file geodatabase.

Read through pyogrio (GDAL's maintained Python binding), attributes only: the
geometry is not read at all for now. The layer is chosen like a table. pyogrio
carries GDAL (about 100 MB), so it is the optional `gis` extra, bundled in the
desktop package; without it a GIS source says how to get it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import SourceSchemaError, SourceUnavailable
from .settings import DEFAULT_TABLE, SourceSettings


class GisReader:
    """One layer of a GIS dataset, for `file_source.FileSource` (same methods as its other readers)."""

    def __init__(self, path: Path, settings: SourceSettings) -> None:
        try:
            import pyogrio  # only GIS sources need GDAL
        except ImportError as exc:
            raise SourceUnavailable(
                "Reading GIS files (GeoPackage, shapefile, file geodatabase) needs CountyDataSync's GIS extra: "
                "pip install 'countydatasync[gis]' (the desktop package includes it).", details=repr(exc)) from exc
        self.pyogrio, self.path, self.settings = pyogrio, path, settings
        if path.suffix.lower() == ".zip" and not _zip_has_shapefile(path):
            raise SourceSchemaError(
                f"The zip file '{path.name}' holds no shapefile (.shp). Check that the right file was sent.",
                details=str(path))
        try:
            self.layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        except Exception as exc:
            raise SourceSchemaError(
                f"The source file '{path.name}' is not a readable GIS file: it may be damaged, cut off, or another "
                "kind of file with the wrong name. Ask for a new copy of the export.",
                details=f"{type(exc).__name__}: {exc}") from exc

    def tables(self) -> list[str]:
        return self.layers

    def _layer(self) -> str | None:
        """The configured layer; the default table name means the first layer (a shapefile has one)."""
        name = self.settings.table
        if name in self.layers:
            return name
        return self.layers[0] if name in ("", DEFAULT_TABLE) and self.layers else None

    def columns(self) -> list[tuple[str, str]] | None:
        layer = self._layer()
        if layer is None:
            return None
        info: dict[str, Any] = self.pyogrio.read_info(self.path, layer=layer)
        return [(str(name), str(kind)) for name, kind in zip(info["fields"], info["dtypes"], strict=True)]

    def estimate_rows(self) -> int:
        layer = self._layer()
        return max(int(self.pyogrio.read_info(self.path, layer=layer)["features"]), 0) if layer else 0

    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
        # Arrow batches of `chunk_rows` features, without geometry: memory stays at one batch.
        with self.pyogrio.open_arrow(self.path, layer=self._layer(), columns=columns, read_geometry=False,
                                     batch_size=chunk_rows, use_pyarrow=True) as (_meta, reader):
            for batch in reader:
                yield batch.to_pandas()


def _zip_has_shapefile(path: Path) -> bool:
    """True if the zip holds a .shp (a zip that is no zip at all is left to GDAL's own message)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.lower().endswith(".shp") for name in archive.namelist())
    except zipfile.BadZipFile:
        return True
