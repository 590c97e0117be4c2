"""Which source addresses are files, and what kind of file each one is.

A source address is either a SQLAlchemy database URL (`postgresql+psycopg://…`,
`sqlite:///roll.sqlite`) or a file the county hands over: a plain path
(`C:\\county\\roll.csv`, `/data/nal.csv`) or a `file:` URL. They are told apart
by form and suffix: anything with `scheme://` other than `file:` is a database;
a path or `file:` URL whose suffix is listed in `KINDS` is a file. This module
has no heavy imports, so settings and screens can ask cheaply.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

CSV = "csv"
EXCEL = "excel"
PARQUET = "parquet"
GIS = "gis"

#: suffix -> kind of file
KINDS: dict[str, str] = {
    ".csv": CSV, ".tsv": CSV, ".txt": CSV, ".tab": CSV,
    ".xlsx": EXCEL, ".xlsm": EXCEL,
    ".parquet": PARQUET, ".pq": PARQUET,
    ".gpkg": GIS, ".shp": GIS, ".zip": GIS, ".gdb": GIS,  # .zip: a zipped shapefile; .gdb: a folder
}
#: words for each kind, for messages and the file picker
KIND_WORDS = {CSV: "comma- or tab-separated text file", EXCEL: "Excel workbook", PARQUET: "Parquet file", GIS: "GIS layer"}
#: the file picker's filter (Qt's "Words (*.a *.b);;…" form, but plain text: no Qt here)
FILE_DIALOG_FILTER = ";;".join([
    "County files (" + " ".join(f"*{suffix}" for suffix in KINDS) + ")",
    "Text files (*.csv *.tsv *.txt *.tab)",
    "Excel workbooks (*.xlsx *.xlsm)",
    "Parquet files (*.parquet *.pq)",
    "GIS layers (*.gpkg *.shp *.zip *.gdb)",
    "All files (*)",
])


def file_path(url: str) -> Path | None:
    """The path if `url` names a file source (a path or `file:` URL with a known suffix), else None."""
    text = url.strip()
    if text.lower().startswith("file:"):
        parsed = urlparse(text)
        text = unquote(parsed.path if parsed.netloc in ("", "localhost") else f"//{parsed.netloc}{parsed.path}")
        # file:///C:/county/roll.csv has the path "/C:/county/roll.csv"
        if len(text) > 2 and text[0] == "/" and text[2] == ":":
            text = text[1:]
    elif "://" in text:
        return None
    path = Path(text).expanduser()
    return path if path.suffix.lower() in KINDS else None


def is_file_address(url: str) -> bool:
    """True if `url` names a file rather than a database."""
    return file_path(url) is not None


def file_kind(path: Path) -> str:
    """The kind of file a path names by its suffix (`csv`, `excel`, `parquet`)."""
    return KINDS[path.suffix.lower()]


def absolute(url: str, base: Path) -> str:
    """A file source's address made absolute against `base` (a database URL is returned unchanged).

    A relative path in config.toml means "next to the settings file"; on the
    command line, "in the current folder". Keeping it absolute keeps the
    source's identity stable whichever folder a later sync starts from.
    """
    path = file_path(url)
    if path is None or path.is_absolute():
        return url
    return str((base / path).resolve())
