"""Turn what the user asked for (config.toml, flags, data folder) into `SyncSettings`.

`config.toml` lives in the data folder (or wherever `--config` points) and is
plain enough for a DBA to write by hand:

    [source]
    url = "postgresql+psycopg://assessor@db.county.local/roll"   # no password here, ever
    schema = "public"
    table = "parcels"
    timezone = "America/Chicago"
    lookback = "1h"
    preset = "wisconsin"

    [source.columns]          # overrides single fields of the preset
    owner = "OWNERNME2"

    [thresholds]
    value_change = 0.5

Precedence: command-line flag, then config file, then preset, then defaults.
With no source address anywhere, the engine syncs the bundled demo county,
creating it in the data folder on first use, so a new install has something
to show. Reading uses `tomllib`; writing uses `tomlkit`, which keeps the
DBA's comments and order.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import tomlkit

from .datafolder import DataFolder
from .demo import create_demo_county
from .errors import ConfigError
from .file_kinds import absolute, is_file_address
from .mapping import parse_mapping
from .passwords import Prompt, find_password, password_help, password_origin, safe_url, strip_password
from .presets import get_preset
from .settings import DEFAULT_CHUNK_ROWS, DEFAULT_TABLE, SourceSettings, SyncSettings, Thresholds
from .source import parse_url

log = logging.getLogger(__name__)

DEMO_PARCELS = 25_000
CONFIG_FILE = "config.toml"
_SOURCE_KEYS = {"url", "schema", "table", "timezone", "lookback", "preset", "code_table", "columns", "csv"}
# [source.csv]: how to read a delimited file, where detection guesses wrong (see `file_source`).
_CSV_KEYS = {"delimiter", "quote", "encoding", "header_row"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "": "minutes"}


def config_path(folder: DataFolder) -> Path:
    """Where a data folder's config file lives."""
    return folder.path / CONFIG_FILE


def read_config(path: Path) -> dict[str, Any]:
    """The TOML file as a dict ({} if it does not exist); a clear error if it is not valid TOML."""
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(f"The settings file {path} could not be read: {exc}. Fix it or remove it.", details=str(exc)) from exc


def parse_lookback(value: object) -> timedelta:
    """A look-back as written in the config: "90s", "30m", "1h", "2d", or a number of minutes."""
    match = _DURATION.match(str(value)) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    if match is None:
        raise ConfigError(f"The look-back '{value}' is not a duration. Write it like \"30m\", \"1h\" or \"2d\".")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def format_lookback(lookback: timedelta) -> str:
    """The look-back in the config's notation ("1h", "90m", "45s")."""
    seconds = int(lookback.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# ---------------------------------------------------------------------------
# Reading: file + flags -> settings
# ---------------------------------------------------------------------------
def load_settings(
    folder: DataFolder,
    *,
    source_url: str | None = None,
    table: str | None = None,
    config_file: Path | None = None,
    preset: str | None = None,
    prompt: Prompt | None = None,
    create_demo: bool = True,
) -> SyncSettings:
    """Settings for a sync: flags over `config.toml` (default: the folder's) over preset over defaults.

    With no source address in the flags or the file, the demo county in
    `folder`. The password (never in the file) comes from the keyring, the
    environment or `prompt` (see `passwords`). `create_demo=False` names the
    demo county without creating it (for showing settings).
    """
    data = read_config(config_file or config_path(folder))
    section = data.get("source", {})
    unknown = set(section) - _SOURCE_KEYS
    if unknown:
        raise ConfigError(f"The [source] section has unknown settings: {', '.join(sorted(unknown))}. "
                          f"Known ones: {', '.join(sorted(_SOURCE_KEYS))}.")
    # A relative file path means the current folder on the command line, the settings file's folder in it.
    config_folder = (config_file or config_path(folder)).parent
    url = absolute(source_url, Path.cwd()) if source_url else absolute(section["url"], config_folder) if "url" in section else None
    sync_options = _sync_options(data)
    if url is None and section:
        raise ConfigError(f"The [source] section of {config_file or config_path(folder)} has no url. Add the "
                          "source address (url = \"postgresql+psycopg://user@host/database\") or remove the section.")
    if url is None:
        demo_url = demo_source_url(folder) if create_demo else f"sqlite:///{folder.demo_source}"
        return SyncSettings(source=SourceSettings(url=demo_url, table=table or DEFAULT_TABLE), **sync_options)
    parsed = parse_url(url)
    if source_url is None and parsed.password is not None:
        raise ConfigError(
            "The settings file holds a password inside the source address. Remove it from the file; "
            + password_help(parsed),
        )
    source = _source_settings(section, url=url, table=table, preset=preset)
    return SyncSettings(source=dataclasses.replace(source, password=find_password(parsed, prompt)), **sync_options)


def _source_settings(section: dict[str, Any], *, url: str, table: str | None, preset: str | None) -> SourceSettings:
    """The [source] table (with flag overrides) as `SourceSettings`, the preset's mapping under the file's."""
    preset_name = preset or section.get("preset")
    options: dict[str, Any] = {}
    if preset_name:
        chosen = get_preset(preset_name)
        # The file's entries replace the preset's field by field; "" switches a field off.
        options.update(columns=parse_mapping({**chosen.columns, **section.get("columns", {})}),
                       code_table=chosen.code_table, preset=preset_name)
    elif "columns" in section:
        options["columns"] = parse_mapping(section["columns"])
    for key, name in (("schema", "schema_name"), ("timezone", "timezone"), ("code_table", "code_table")):
        if key in section:
            options[name] = section[key]
    if "lookback" in section:
        options["lookback"] = parse_lookback(section["lookback"])
    if "csv" in section:
        unknown = set(section["csv"]) - _CSV_KEYS
        if unknown:
            raise ConfigError(f"The [source.csv] section has unknown settings: {', '.join(sorted(unknown))}. "
                              f"Known ones: {', '.join(sorted(_CSV_KEYS))}.")
        options["file_options"] = dict(section["csv"])
    source = SourceSettings(url=url, table=table or section.get("table", DEFAULT_TABLE), **options)
    source.zone()  # an unknown time zone is a config error now, not half-way through a sync
    return source


def _sync_options(data: dict[str, Any]) -> dict[str, Any]:
    """Thresholds and chunk size from the file."""
    try:
        thresholds = Thresholds(**{k: float(v) for k, v in data.get("thresholds", {}).items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"The [thresholds] section is not right: {exc}. Known ones: value_change, "
                          "acreage_change, mass_delete (fractions, e.g. 0.5 for 50%).") from exc
    chunk_rows = int(data.get("sync", {}).get("chunk_rows", DEFAULT_CHUNK_ROWS))
    return {"thresholds": thresholds, "chunk_rows": chunk_rows}


def demo_source_url(folder: DataFolder) -> str:
    """The demo county's address, creating the demo file if it does not exist yet."""
    if not folder.demo_source.exists():
        folder.ensure()
        rows = create_demo_county(folder.demo_source, parcels=DEMO_PARCELS)
        log.info("Created the demo county with %s parcels at %s", f"{rows:,}", folder.demo_source)
    return f"sqlite:///{folder.demo_source}"


def effective_settings(settings: SyncSettings) -> dict[str, Any]:
    """The settings in force as plain values for `config show` and screens: never a password."""
    source = settings.source
    parsed = parse_url(source.url)
    specs = source.specs()
    stamp = specs.get("last_updated")
    return {
        "source": {
            "url": safe_url(parsed), "schema": source.schema_name, "table": source.table,
            "timezone": source.timezone, "lookback": format_lookback(source.lookback),
            "preset": source.preset, "code_table": source.code_table, "password": password_origin(parsed),
            "change_detection": f"timestamp column {stamp.columns[0]}" if stamp else "content hash (no timestamp column)",
            "columns": {field: spec.describe() for field, spec in specs.items()},
        },
        "thresholds": dataclasses.asdict(settings.thresholds),
        "chunk_rows": settings.chunk_rows,
    }


# ---------------------------------------------------------------------------
# Writing: settings -> file (keeping comments; never a password)
# ---------------------------------------------------------------------------
def save_config(path: Path, settings: SyncSettings) -> None:
    """Write `settings` to `path`, keeping the file's comments and any keys we do not own.

    The source address is stored without its password; with a preset only the
    columns that differ from it are written. Store the password with
    `passwords.store_password`.
    """
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    source = settings.source
    section = document.setdefault("source", tomlkit.table())
    values: dict[str, Any] = {
        "url": strip_password(parse_url(source.url)).render_as_string(hide_password=False),
        "schema": source.schema_name, "table": source.table, "timezone": source.timezone,
        "lookback": format_lookback(source.lookback), "preset": source.preset,
        "code_table": None if source.preset and get_preset(source.preset).code_table == source.code_table else source.code_table,
    }
    if is_file_address(source.url):
        values["url"] = source.url  # a path as the user chose it, not rewritten as a URL
    for key, value in values.items():
        if value is None:
            section.pop(key, None)
        else:
            section[key] = value
    if source.file_options:
        section["csv"] = dict(source.file_options)
    columns = {field: spec.to_toml() for field, spec in _columns_to_write(source).items()}
    # Update the columns table in place: entries whose value is unchanged keep their comments.
    table = section.get("columns") if columns else None
    if table is None:
        section.pop("columns", None)
    else:
        for field in [key for key in table if key not in columns]:
            del table[field]
    if columns:
        table = table if table is not None else section.setdefault("columns", tomlkit.table())
        for field, spec in columns.items():
            current = table.get(field)
            if current is None or _plain(current) != spec:
                table[field] = spec if isinstance(spec, str) else _inline(spec)
    document["thresholds"] = dataclasses.asdict(settings.thresholds)
    if settings.chunk_rows != DEFAULT_CHUNK_ROWS:
        document.setdefault("sync", tomlkit.table())["chunk_rows"] = settings.chunk_rows
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def _plain(item: Any) -> Any:
    """A tomlkit item as plain Python values (for comparing with what we would write)."""
    return item.unwrap() if hasattr(item, "unwrap") else item


def _inline(spec: dict[str, object]) -> Any:
    """A TOML inline table ({ column = "X", convert = "number" }), as a DBA would write it."""
    table = tomlkit.inline_table()
    table.update(spec)
    return table


def _columns_to_write(source: SourceSettings) -> dict[str, Any]:
    """The mapping entries the file needs: all of them, or with a preset only the differences."""
    specs = source.specs()
    if source.preset:
        preset_columns = get_preset(source.preset).columns
        changed: dict[str, Any] = {f: s for f, s in specs.items() if preset_columns.get(f) != s}
        # A preset field the settings dropped is written as "" (= not mapped).
        changed.update({f: _Unmapped() for f in preset_columns if f not in specs})
        return changed
    return specs


class _Unmapped:
    """A preset field switched off: written as an empty name."""

    def to_toml(self) -> str:
        return ""

