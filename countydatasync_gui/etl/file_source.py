"""Read parcel rows from a file the county hands over: CSV/TSV/TXT, Parquet, Excel or a GIS layer.

`FileSource` has the interface the sync uses for a database (`describe`,
`identity`, `check`, `count`, `read`, `catalogue`), so the column mapping,
presets, validation and content hashing apply to files exactly as to tables.

Files have no SQL filter. Every read returns the whole file: a file with a
timestamp column is read whole and `validate_chunk(since=...)` drops the rows
before the look-back window; a file without one syncs by content hash. Both
are robust against the normal case, a county replacing the file in place
every night, and the file's identity is its path (not its content or date), so
that replacement is the same source.

Bad files raise `SourceUnavailable` (cannot be opened) or `SourceSchemaError`
(opened, but not what the mapping needs) with a plain message; rows that do not
fit the header (ragged rows) are not an error: they come back as rows carrying
`READ_PROBLEM`, which validation turns into rejects with the line number.
"""

from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from . import mapping, schema
from .errors import MappingError, SourceSchemaError, SourceUnavailable
from .file_kinds import GIS, file_kind, file_path
from .gis_source import GisReader
from .settings import DEFAULT_TABLE, SourceSettings
from .source import only_ids, resolve_mapping

log = logging.getLogger(__name__)

#: a column `read` adds to rows it could not read as the header says; `validate` rejects them with this text
READ_PROBLEM = schema.READ_PROBLEM
# How much of a text file is looked at to detect its encoding, delimiter and header row.
_SAMPLE_BYTES = 256 * 1024
_HEADER_SEARCH_LINES = 30
_DELIMITERS = (",", "\t", "|", ";")
# pyarrow reads a CSV in blocks of bytes, and a block is one chunk for validation: its size is
# the settings' chunk_rows times the sample's bytes per line, so memory stays at a few chunks whatever
# the size of the file, as for a database. Bounded: a block must hold the longest line, and a huge one
# would only cost memory.
_CSV_MIN_BLOCK_BYTES = 64 * 1024
_CSV_MAX_BLOCK_BYTES = 256 * 1024 * 1024
# The first bytes of an OLE2 compound file: what Excel writes for a workbook protected with a password.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileSource:
    """One county file, opened lazily; `settings.table` is the sheet of a workbook (unused for CSV and Parquet)."""

    def __init__(self, settings: SourceSettings) -> None:
        self.settings = settings
        path = file_path(settings.url)
        if path is None:  # open_source only hands over file addresses
            raise ValueError(f"not a file source: {settings.url!r}")
        self.path: Path = path
        self.kind = file_kind(path)
        self._specs: dict[str, mapping.ColumnSpec] | None = None

    # -- What the sync shows and stores ------------------------------------------------------
    def describe(self) -> str:
        """The file in words: its name, and the sheet of a workbook or the layer of a GIS file."""
        if self.kind in ("excel", GIS):
            return f"{self.path.name}, {'sheet' if self.kind == 'excel' else 'layer'} {self._sheet_name()}"
        return self.path.name

    @property
    def identity(self) -> str:
        """The file's absolute path (and sheet): the same when the county replaces the file in place."""
        identity = f"file:{self.path.expanduser().resolve()}"
        return f"{identity}#{self.settings.table}" if self.kind in ("excel", GIS) else identity

    # -- Interface of `source.Source` -----------------------------------------------------------
    def check(self) -> None:
        """Open the file and check its columns against the mapping; raise a clear error if anything is wrong."""
        self._resolved()

    def catalogue(self) -> tuple[list[str], list[tuple[str, str]] | None]:
        """Sheets of a workbook (the file's name otherwise), and the chosen sheet's (column, type) pairs."""
        reader = self._reader()
        return reader.tables(), reader.columns()

    def count(self, since: object = None) -> int:
        """An estimate of the rows a read returns (the whole file: files have no filter), for the progress bar."""
        return self._reader().estimate_rows()

    def preview(self, rows: int) -> pd.DataFrame:
        """The file's first `rows` rows as it holds them: every column of the header, before the mapping.

        What Test connection shows beside the mapping, so a clerk can see which column holds what
        even while the mapping is wrong. Raises like `read` when the file cannot be read.
        """
        reader = self._reader()
        found = reader.columns()
        if found is None:
            self._resolved()  # a sheet or layer that does not exist: the same plain message as a sync
        names = [name for name, _ in found or []]
        chunks = reader.chunks(names, rows)
        try:
            first = next(iter(chunks), None)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # stop reading after the first chunk
        frame = first.head(rows) if first is not None else pd.DataFrame(columns=names)
        return frame.drop(columns=[READ_PROBLEM], errors="ignore")

    def open_in_excel(self) -> str | None:
        """A sentence when Excel's lock file sits beside the workbook (it is open there), else None.

        The file is still read: what Excel last saved. Edits not yet saved are not in it, which the
        clerk should know before trusting a sync or a test.
        """
        if self.kind != "excel":
            return None
        # Excel names its owner file "~$" + the workbook's name, the name's first two letters dropped when long.
        for name in (f"~${self.path.name}", f"~${self.path.name[2:]}"):
            lock = self.path.with_name(name)
            if lock.is_file():
                who = _lock_owner(lock)
                return (f"The workbook '{self.path.name}' is open in Excel{f' by {who}' if who else ''}: CountyDataSync "
                        "reads what was last saved, so edits not yet saved there are not included. Save and close it "
                        "in Excel first to include them.")
        return None

    def read(self, since: object, chunk_rows: int) -> Generator[pd.DataFrame, None, None]:
        """Every row of the file (see the top of the module for why `since` is not applied here), mapped."""
        specs = self._resolved()
        if (open_note := self.open_in_excel()) is not None:
            log.warning(open_note)
        for raw in self._reader().chunks(mapping.source_columns(specs), chunk_rows):
            mapped = mapping.apply(raw, specs)
            if READ_PROBLEM in raw:
                mapped[READ_PROBLEM] = raw[READ_PROBLEM]
            yield mapped

    def read_ids(self, ids: list[str], chunk_rows: int) -> Generator[pd.DataFrame, None, None]:
        """The rows of these parcel ids (held parcels; see `reoffer`): the whole file read, filtered by id."""
        if not ids:
            return
        wanted = set(ids)
        for chunk in self.read(None, chunk_rows):
            found = only_ids(chunk, wanted)
            if len(found):
                yield found

    # -- Inside ---------------------------------------------------------------------------------
    def _resolved(self) -> dict[str, mapping.ColumnSpec]:
        if self._specs is None:
            reader = self._reader()
            found = reader.columns()
            if found is None:
                raise SourceSchemaError(
                    f"The {'workbook' if self.kind == 'excel' else 'file'} '{self.path.name}' has no "
                    f"{'sheet' if self.kind == 'excel' else 'layer'} named '{self.settings.table}'. "
                    f"It has: {', '.join(reader.tables())}. Choose one of them in the settings.")
            columns = [name for name, _ in found]
            self._specs = resolve_mapping(self.settings, columns, f"file {self.path.name}")
        return self._specs

    def _sheet_name(self) -> str:
        return self.settings.table if self.settings.table != DEFAULT_TABLE else f"the first {'sheet' if self.kind == 'excel' else 'layer'}"

    def _reader(self) -> _Reader | GisReader:
        """The reader for this file's kind, after checking that the file is there and readable."""
        if not self.path.exists():
            raise SourceUnavailable(
                f"The source file '{self.path}' was not found. Check the file name in the settings, "
                "and that the county's export has been copied there.", details=str(self.path))
        if self.kind == GIS:
            # A file geodatabase is a folder; GDAL checks what it can open and says so.
            return GisReader(self.path, self.settings)
        if self.path.is_dir():
            raise SourceUnavailable(f"The source '{self.path}' is a folder, not a file. Choose the file itself.",
                                    details=str(self.path))
        try:
            with self.path.open("rb") as handle:
                head = handle.read(_SAMPLE_BYTES)
        except OSError as exc:
            raise SourceUnavailable(
                f"The source file '{self.path.name}' could not be read: it may be open in another program or "
                "you may not have permission to read it. Close it or check its permissions, then try again.",
                details=repr(exc)) from exc
        if not head.strip():
            raise SourceSchemaError(f"The source file '{self.path.name}' is empty. Ask for a new copy of the export.",
                                    details=f"{self.path}: {len(head)} bytes")
        readers: dict[str, type[_Reader]] = {"csv": _CsvReader, "parquet": _ParquetReader, "excel": _ExcelReader}
        return readers[self.kind](self.path, head, self.settings, self._id_column())

    def _id_column(self) -> str | None:
        """The source column of the parcel id, which tells a header row from a title above it."""
        try:
            spec = self.settings.specs().get(schema.ID)
        except MappingError:
            return None
        return spec.columns[0] if spec else None


def _lock_owner(lock: Path) -> str | None:
    """The user name in an Excel owner file: its first byte is the name's length, the name follows."""
    try:
        data = lock.read_bytes()[:60]
    except OSError:
        return None
    name = data[1:1 + data[0]].decode("latin-1", "replace").strip() if data else ""
    return name if name.isprintable() and name else None


def _not_kind(path: Path, kind: str, exc: BaseException) -> SourceSchemaError:
    """A file whose content is not what its suffix says."""
    return SourceSchemaError(
        f"The source file '{path.name}' is not a readable {kind} file: it may be damaged, cut off, or another kind of "
        "file with the wrong name. Ask for a new copy of the export.", details=f"{type(exc).__name__}: {exc}")


class _Reader:
    """What each kind of file provides to `FileSource`."""

    def __init__(self, path: Path, head: bytes, settings: SourceSettings, id_column: str | None) -> None:
        self.path, self.head, self.settings, self.id_column = path, head, settings, id_column

    def tables(self) -> list[str]:
        return [self.path.name]

    def columns(self) -> list[tuple[str, str]] | None:
        raise NotImplementedError

    def estimate_rows(self) -> int:
        raise NotImplementedError

    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
        raise NotImplementedError


def _header_index(rows: list[list[str]], id_column: str | None) -> int:
    """The header row: the first of `rows` that names the id column (titles above it are skipped), else the first."""
    wanted = (id_column or "").strip().lower()
    for index, row in enumerate(rows):
        if wanted and wanted in (str(cell).strip().lower() for cell in row if cell is not None):
            return index
    return 0


# ---------------------------------------------------------------------------
# Delimited text
# ---------------------------------------------------------------------------
class _CsvReader(_Reader):
    """CSV, TSV and TXT through pyarrow's CSV reader, which streams and reports each ragged row with its line."""

    def __init__(self, path: Path, head: bytes, settings: SourceSettings, id_column: str | None) -> None:
        super().__init__(path, head, settings, id_column)
        options: Mapping[str, Any] = settings.file_options
        self.encoding = str(options.get("encoding") or self._detect_encoding())
        text = self._sample_text()
        # The sample may end in the middle of a line: only whole lines are looked at.
        lines = text.splitlines()[: -1 if len(head) == _SAMPLE_BYTES else None][:_HEADER_SEARCH_LINES]
        self.quote = str(options.get("quote", '"'))
        delimiter = options.get("delimiter")
        if delimiter:
            self.delimiter = "\t" if str(delimiter).lower() in ("tab", "\\t") else str(delimiter)
        else:
            self.delimiter = self._detect_delimiter(lines)
        rows = [next(csv.reader([line], delimiter=self.delimiter, quotechar=self.quote), []) for line in lines]
        # `header_row` in config.toml is the header's line number (1 = the first line).
        header_row = options.get("header_row")
        self.header_index = int(header_row) - 1 if header_row else _header_index(rows, id_column)
        self.header = [name.strip() for name in rows[self.header_index]] if self.header_index < len(rows) else []
        self.sample_lines = len(lines)
        self.sample_bytes = len(text[: sum(len(line) + 1 for line in lines)].encode(self._python_encoding(), "replace"))

    def _detect_encoding(self) -> str:
        """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 (Latin-1 where 1252 has holes)."""
        if self.head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if self.head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if b"\x00" in self.head:
            raise SourceSchemaError(
                f"The source file '{self.path.name}' is not a text file (it holds binary data), though its name says "
                "it is. Check that the right file was exported.", details="NUL bytes in the first 256 KB")
        try:
            codecs.getincrementaldecoder("utf-8")().decode(self.head, final=False)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            self.head.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"

    def _python_encoding(self) -> str:
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding

    def _sample_text(self) -> str:
        text = codecs.getincrementaldecoder(self.encoding)(errors="replace").decode(self.head, final=False)
        # Text files hold printable characters, tabs and line ends; anything else in quantity means binary.
        controls = sum(1 for char in text if ord(char) < 32 and char not in "\t\r\n\f")
        if controls > len(text) // 100:
            raise SourceSchemaError(
                f"The source file '{self.path.name}' is not a text file (it holds binary data), though its name says "
                "it is. Check that the right file was exported.", details=f"{controls} control characters in the sample")
        return text

    def _detect_delimiter(self, lines: list[str]) -> str:
        """The delimiter that splits the header (the line naming the id column, else the first) most often."""
        preferred = ("\t",) + _DELIMITERS if self.path.suffix.lower() in (".tsv", ".tab") else _DELIMITERS
        wanted = (self.id_column or "").lower()
        for line in lines:
            for delimiter in preferred:
                if wanted and wanted in (f.strip().lower() for f in line.split(delimiter)):
                    return delimiter
        first = lines[0] if lines else ""
        return max(preferred, key=first.count)

    def columns(self) -> list[tuple[str, str]] | None:
        return [(name, "text") for name in self.header]

    def _bytes_per_line(self) -> float:
        return max(self.sample_bytes / max(self.sample_lines, 1), 1.0)

    def estimate_rows(self) -> int:
        """The file's size over the sample's bytes per line (cheap; only the progress bar uses it)."""
        return max(int(self.path.stat().st_size / self._bytes_per_line()) - self.header_index - 1, 0)

    def block_bytes(self, chunk_rows: int) -> int:
        """The pyarrow block size that holds about `chunk_rows` lines of this file (see `_CSV_MIN_BLOCK_BYTES`)."""
        wanted = int(chunk_rows * self._bytes_per_line())
        return min(max(wanted, _CSV_MIN_BLOCK_BYTES), _CSV_MAX_BLOCK_BYTES)

    def _check_not_cut_off(self) -> None:
        """Refuse a file whose last line stops short without a line end: a copy cut off (a full disk, a dropped transfer).

        Files may lack a final line end; but then their last line is complete. A
        cut-off copy would otherwise sync as if the parcels after the cut were deleted.
        """
        with self.path.open("rb") as handle:
            handle.seek(max(self.path.stat().st_size - _SAMPLE_BYTES, 0))
            tail = handle.read().decode(self._python_encoding(), errors="replace")
        if not tail or tail.endswith(("\n", "\r")):
            return
        last = tail.splitlines()[-1]
        fields = next(csv.reader([last], delimiter=self.delimiter, quotechar=self.quote or None), [])
        if last.count(self.quote or "\0") % 2 or len(fields) < len(self.header):
            raise SourceSchemaError(
                f"The source file '{self.path.name}' looks cut off: its last line stops in the middle of a row. "
                "Nothing was changed. Ask for a complete copy of the export.",
                details=f"last line: {last[:200]!r}; {len(fields)} of {len(self.header)} fields")

    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
        self._check_not_cut_off()
        ragged: list[tuple[int | None, int, str]] = []

        def on_ragged(row: Any) -> str:
            ragged.append((row.number, row.actual_columns, row.text))
            return "skip"

        # Every column is read as text (ids keep their zeros); numbers are the mapping's business.
        # Threads off: only then does pyarrow know each ragged row's line number.
        wanted = [name for name in self.header if name in columns]
        try:
            reader = pa_csv.open_csv(
                self.path,
                read_options=pa_csv.ReadOptions(skip_rows=self.header_index + 1, column_names=self.header,
                                                encoding=self._python_encoding(),
                                                block_size=self.block_bytes(chunk_rows),
                                                use_threads=False),
                parse_options=pa_csv.ParseOptions(delimiter=self.delimiter, quote_char=self.quote or False,
                                                  newlines_in_values=True, invalid_row_handler=on_ragged),
                convert_options=pa_csv.ConvertOptions(include_columns=wanted,
                                                      column_types={name: pa.string() for name in wanted}),
            )
            for batch in reader:
                yield batch.to_pandas()
                if ragged:
                    yield self._ragged_rows(ragged, wanted)
                    ragged.clear()
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise self._unreadable(exc) from exc
        if ragged:  # rows rejected in the last block
            yield self._ragged_rows(ragged, wanted)

    def _ragged_rows(self, ragged: list[tuple[int | None, int, str]], wanted: list[str]) -> pd.DataFrame:
        """Rows with too few or too many fields: the fields matched to the header by position, plus the reason."""
        records, reasons = [], []
        for number, fields, text in ragged:
            values = next(csv.reader([text], delimiter=self.delimiter, quotechar=self.quote or None), [])
            # A ragged row has fewer or more fields than the header: pair what there is.
            records.append({name: value for name, value in zip(self.header, values, strict=False) if name in wanted})
            where = f"line {number}" if number else "a line"
            reasons.append(f"{where} of the file has {fields} fields where the header has {len(self.header)}")
        frame = pd.DataFrame.from_records(records, columns=wanted).astype(object)
        frame[READ_PROBLEM] = reasons
        return frame

    def _unreadable(self, exc: BaseException) -> SourceSchemaError:
        text = str(exc)
        if "UTF8" in text or isinstance(exc, UnicodeDecodeError):
            return SourceSchemaError(
                f"The source file '{self.path.name}' changes its character encoding part-way through. Set its "
                'encoding in config.toml ([source.csv] encoding = "cp1252") or ask for a UTF-8 export.',
                details=f"read as {self.encoding}: {text}")
        return _not_kind(self.path, "CSV", exc)


# ---------------------------------------------------------------------------
# Parquet
# ---------------------------------------------------------------------------
class _ParquetReader(_Reader):
    """Parquet through pyarrow, a row batch at a time (the file's own types: ids stored as text stay text)."""

    def __init__(self, path: Path, head: bytes, settings: SourceSettings, id_column: str | None) -> None:
        super().__init__(path, head, settings, id_column)
        try:
            self.file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise _not_kind(path, "Parquet", exc) from exc

    def columns(self) -> list[tuple[str, str]] | None:
        return [(f.name, str(f.type)) for f in self.file.schema_arrow]

    def estimate_rows(self) -> int:
        return int(self.file.metadata.num_rows)

    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
        try:
            for batch in self.file.iter_batches(batch_size=chunk_rows, columns=columns):
                yield batch.to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise _not_kind(self.path, "Parquet", exc) from exc


# ---------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------
class _ExcelReader(_Reader):
    """An .xlsx workbook through openpyxl in read-only mode (streams rows); the sheet is chosen like a table."""

    def __init__(self, path: Path, head: bytes, settings: SourceSettings, id_column: str | None) -> None:
        super().__init__(path, head, settings, id_column)
        if head.startswith(_OLE_MAGIC):
            raise SourceUnavailable(
                f"The workbook '{path.name}' is protected with a password (or saved in the old .xls format), so it "
                "cannot be read. Save a copy without a password, as .xlsx, and point the settings at that copy.",
                details="OLE2 compound file")
        import openpyxl  # only Excel sources pay for importing it

        try:
            self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except PermissionError as exc:
            raise SourceUnavailable(
                f"The workbook '{path.name}' is open in another program (Excel locks it). Close it, then try again.",
                details=repr(exc)) from exc
        except Exception as exc:
            raise _not_kind(path, "Excel", exc) from exc

    def tables(self) -> list[str]:
        return list(self.book.sheetnames)

    def _sheet(self) -> Any:
        """The configured sheet; the default table name means the first sheet (most exports have one)."""
        name = self.settings.table
        if name in self.book.sheetnames:
            return self.book[name]
        if name in ("", DEFAULT_TABLE):
            return self.book.worksheets[0]
        return None

    def _header(self, sheet: Any) -> tuple[int, list[str]]:
        top = [list(row) for row in sheet.iter_rows(max_row=_HEADER_SEARCH_LINES, values_only=True)]
        index = _header_index(top, self.id_column)
        names = [("" if cell is None else str(cell)).strip() for cell in (top[index] if top else [])]
        return index, names

    def columns(self) -> list[tuple[str, str]] | None:
        sheet = self._sheet()
        return None if sheet is None else [(name, "cell") for name in self._header(sheet)[1] if name]

    def estimate_rows(self) -> int:
        sheet = self._sheet()
        return max(int(sheet.max_row or 0) - 1, 0) if sheet is not None else 0

    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
        sheet = self._sheet()  # FileSource.read resolved the mapping first, so the sheet exists
        index, names = self._header(sheet)
        positions = [names.index(column) for column in columns]
        batch: list[list[object]] = []
        for row in sheet.iter_rows(min_row=index + 2, values_only=True):
            if all(cell is None for cell in row):
                continue  # formatted but empty rows below the data
            batch.append([row[p] if p < len(row) else None for p in positions])
            if len(batch) >= chunk_rows:
                yield _excel_frame(batch, columns)
                batch = []
        if batch:
            yield _excel_frame(batch, columns)


def _excel_frame(rows: list[list[object]], columns: list[str]) -> pd.DataFrame:
    """Cells as an object frame: numbers stay numbers (the mapping converts), ids become text in validation."""
    return pd.DataFrame.from_records(rows, columns=columns).astype(object)

