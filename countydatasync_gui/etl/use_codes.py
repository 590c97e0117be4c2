"""The land-use code tables shipped in `resources/` (code, group, meaning), one per code system.

Florida DOR codes (`use_codes.tsv`) serve the demo county and Florida NAL rolls;
Wisconsin's PROPCLASS / AUXCLASS classes (`use_codes_wisconsin.tsv`) serve the
Wisconsin preset. The table chosen in the settings decides which codes count as
known (unknown ones are flagged) and how stats describe each code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from ..resources import resource_path
from .errors import SyncError

UNKNOWN_GROUP = "Unknown"
DEFAULT_CODE_TABLE = "florida_dor"
#: table name -> file under resources/
CODE_TABLES: dict[str, str] = {
    "florida_dor": "use_codes.tsv",
    "wisconsin": "use_codes_wisconsin.tsv",
}


@lru_cache(maxsize=None)
def use_code_table(name: str = DEFAULT_CODE_TABLE) -> pd.DataFrame:
    """Codes as text (leading zeros kept) with their group and meaning."""
    if name not in CODE_TABLES:
        raise SyncError(
            f"There is no land-use code table named '{name}'. Use one of: {', '.join(CODE_TABLES)}."
        )
    return pd.read_csv(resource_path(CODE_TABLES[name]), sep="\t", dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class CodeTable:
    """One county's land-use codes, resolved once from the settings and handed to whoever describes codes."""

    name: str
    meanings: Mapping[str, str]  # code -> "Single family (Residential)"

    def meaning(self, code: object) -> str | None:
        """What a land-use code means, for tooltips; None for a blank or unknown code."""
        return self.meanings.get(str(code)) if code is not None else None


@lru_cache(maxsize=None)
def code_table(name: str = DEFAULT_CODE_TABLE) -> CodeTable:
    """The named code table as an object (raises `SyncError` for a name no table has)."""
    table = use_code_table(name)
    return CodeTable(name, {row.code: f"{row.meaning} ({row.group})" for row in table.itertuples()})


def known_codes(name: str = DEFAULT_CODE_TABLE) -> frozenset[str]:
    """Every land-use code the named table knows."""
    return frozenset(use_code_table(name)["code"])
