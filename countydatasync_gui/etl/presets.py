"""Ready-made column mappings for state roll layouts, shipped as TOML in `resources/presets/`.

A preset is the same `[columns]` table a DBA would write in `config.toml`,
plus the land-use code table its codes belong to and notes for the settings
screen. Settings start from the preset; the config's own `[source.columns]`
entries override single fields.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from ..resources import resource_path
from .errors import SyncError
from .mapping import ColumnSpec, parse_mapping
from .use_codes import CODE_TABLES

PRESET_DIR = "presets"


@dataclass(frozen=True)
class Preset:
    """A named mapping for one roll layout."""

    name: str
    title: str
    columns: dict[str, ColumnSpec]
    code_table: str
    notes: str

    @property
    def has_timestamp(self) -> bool:
        """False for layouts without a per-row modification time (synced by content hash)."""
        return "last_updated" in self.columns


def preset_names() -> list[str]:
    """The names of the shipped presets, sorted (e.g. `florida_nal`, `wisconsin`)."""
    return sorted(path.stem for path in resource_path(PRESET_DIR).glob("*.toml"))


@lru_cache(maxsize=None)
def get_preset(name: str) -> Preset:
    """Load a shipped preset by name, or raise a clear `SyncError`."""
    if name not in preset_names():
        raise SyncError(f"There is no preset named '{name}'. Choose one of: {', '.join(preset_names())}.")
    with resource_path(PRESET_DIR).joinpath(f"{name}.toml").open("rb") as handle:
        data = tomllib.load(handle)
    code_table = data.get("code_table", "florida_dor")
    if code_table not in CODE_TABLES:  # a broken shipped file is our bug: say which file
        raise SyncError(f"The preset '{name}' names an unknown land-use code table '{code_table}'.")
    return Preset(
        name=name,
        title=data.get("title", name),
        columns=parse_mapping(data.get("columns", {})),
        code_table=code_table,
        notes=" ".join(data.get("notes", "").split()),
    )


def list_presets() -> list[Preset]:
    """Every shipped preset, for a drop-down."""
    return [get_preset(name) for name in preset_names()]
