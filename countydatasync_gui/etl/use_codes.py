"""The land-use code table shipped in `resources/use_codes.tsv` (code, group, meaning)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ..resources import resource_path

UNKNOWN_GROUP = "Unknown"


@lru_cache(maxsize=1)
def use_code_table() -> pd.DataFrame:
    """Codes as text (leading zeros kept) with their group and meaning."""
    return pd.read_csv(resource_path("use_codes.tsv"), sep="\t", dtype=str, keep_default_na=False)


def known_codes() -> frozenset[str]:
    """Every land-use code the shipped table knows."""
    return frozenset(use_code_table()["code"])
