"""A realistic, deterministic demo county source for trying the tool without real data.

``create_demo_county`` writes a SQLite file shaped like a small rural Florida
county roll; ``edit_demo_county`` applies one day of clerk edits to it (with a
few data-entry mistakes), so a sync has something to find and the review
something to catch. Same seed, same file (edit timestamps excepted: they are
"now"). Headless on purpose: no Qt here.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from . import demo_words as words
from . import schema

__all__ = ["TABLE", "EditSummary", "create_demo_county", "edit_demo_county"]

TABLE = "parcels"
# Field names come from schema; unpacking the whole tuple fails loudly if a field is added or removed.
(_ID, _OWNER, _USE, _ACRES, _ASSESSED, _UPDATED, _SITE, _LAND, _IMP) = schema.FIELDS
_COLUMNS = ", ".join(schema.FIELDS)
_INSERT = f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES ({', '.join('?' * len(schema.FIELDS))})"
# The roll's assessment date (Florida: January 1). Fixed, not "today", so a seed always gives the same file.
_ROLL_DATE = np.datetime64("2026-01-01", "D")
_HISTORY_WORKDAYS = 6 * 261  # about six years of weekdays
_PUBLIC = set(range(80, 90)) | set(words.NO_VALUE_CODES)
_PERSON = re.compile(r"^[A-Z]+ [A-Z]+( [A-Z])?( & [A-Z]+)?$")  # "SMITH JOHN A", "SMITH JOHN & MARY"


def _profile() -> tuple[np.ndarray, ...]:
    """Expand words.GROUPS/CODES into per-code arrays (index = code) for vectorised lookups."""
    weight, amed, asig, lmed, imed, elast = (np.zeros(100) for _ in range(6))
    for (lo, hi), (share, w, am, sg, lm, im, el) in words.GROUPS.items():
        for c in range(lo, hi + 1):
            o = words.CODES.get(c, ())
            weight[c], amed[c], lmed[c], imed[c] = (list(o) + [w, am, lm, im][len(o):])[:4]
        weight[lo:hi + 1] *= share / weight[lo:hi + 1].sum()
        asig[lo:hi + 1], elast[lo:hi + 1] = sg, el
    imed[words.NO_VALUE_CODES] = 0
    # Agricultural land mostly has no buildings; only 050 "improved agricultural" always has some.
    iprob = np.where((np.arange(100) > 50) & (np.arange(100) < 70), 0.3, 1.0)
    return weight / weight.sum(), amed, asig, lmed, imed, elast, iprob


_WEIGHT, _ACRE_MED, _ACRE_SIG, _LAND_MED, _IMP_MED, _ELAST, _IMP_PROB = _profile()
_VACANT = set(np.flatnonzero(_IMP_MED == 0).tolist())  # vacant land and right-of-way: improvement 0


def _generate(rng: np.random.Generator, n: int) -> dict[str, list]:
    """All columns for n parcels, built as whole numpy arrays (no per-row Python work)."""
    # Parcels come in subdivisions of uneven size that share an id prefix (section-book) and a
    # street, like a plat. Prefixes are drawn without replacement and lots numbered within each,
    # so ids are unique by construction (no retry loop).
    subs = min(n // 40 + 1, 36 * 9000)
    prefix = np.sort(rng.choice(36 * 9000, size=subs, replace=False))
    size = rng.lognormal(0.0, 0.8, subs)
    sub = np.sort(rng.choice(subs, size=n, p=size / size.sum()))
    rank = np.arange(n) - np.searchsorted(sub, sub)
    lot, piece = rank % 999 + 1, (rank // 999 + 1) * 10
    number = (((prefix[sub] // 9000 + 1) * 10_000 + prefix[sub] % 9000 + 1000) * 1000 + lot) * 10_000 + piece
    # Format "SS-BBBB-LLL-PPPP" without a Python loop: write digits into a char grid, then view as strings.
    digits = (number + 10**13).astype("U14").view("U1").reshape(n, 14)[:, 1:]
    grid = np.full((n, 16), "-", dtype="U1")
    grid[:, 0:2], grid[:, 3:7], grid[:, 8:11], grid[:, 12:16] = digits[:, :2], digits[:, 2:6], digits[:, 6:9], digits[:, 9:]
    ids = grid.view("U16").ravel()

    # Use code, then acreage and values from that code's profile (lognormal: many small, a few huge).
    codes = rng.choice(100, size=n, p=_WEIGHT)
    acres = np.maximum(np.round(_ACRE_MED[codes] * np.exp(_ACRE_SIG[codes] * rng.standard_normal(n)), 3), 0.01)
    land = _LAND_MED[codes] * (acres / _ACRE_MED[codes]) ** _ELAST[codes] * rng.lognormal(0, 0.35, n)
    land = np.maximum(np.round(land), 100.0)
    imp = np.round(_IMP_MED[codes] * rng.lognormal(0, 0.5, n) * (rng.random(n) < _IMP_PROB[codes]))
    # Right-of-way/water rows: about half NULL, half 0, as real rolls disagree on which.
    no_value = np.isin(codes, words.NO_VALUE_CODES)
    land[no_value] = 0.0
    assessed = land + imp
    null_value = no_value & (rng.random(n) < 0.5)

    street = words.streets(rng, subs)
    house = rng.integers(1, 200, subs)[sub] * 100 + 2 * rank + rng.integers(0, 2, n)  # odd and even sides
    site = house.astype("U7").astype(object) + " " + street[sub]
    vacant = np.isin(codes, list(_VACANT))
    site[no_value | (codes == 93) | (vacant & (rng.random(n) < 0.4))] = None  # vacant land often has no address

    # Last edit: a weekday in the last ~6 years (skewed toward recent ones), during office hours.
    back = (_HISTORY_WORKDAYS * rng.random(n) ** 1.6).astype(np.int64)
    day = np.busday_offset(_ROLL_DATE, -(back + 1), roll="backward")
    stamp = day.astype("datetime64[s]") + (27_000 + rng.integers(0, 36_000, n)).astype("timedelta64[s]")
    text = np.datetime_as_string(stamp, unit="s").astype("U19")
    text.view("U1").reshape(n, 19)[:, 10] = " "  # "YYYY-MM-DDTHH:MM:SS" -> naive "YYYY-MM-DD HH:MM:SS"

    def nullable(col: np.ndarray) -> list:
        obj = col.astype(object)
        obj[null_value] = None
        return obj.tolist()

    return {_ID: ids.tolist(), _OWNER: words.owners(rng, codes).tolist(), _USE: np.char.zfill(codes.astype("U3"), 3).tolist(),
            _ACRES: acres.tolist(), _ASSESSED: nullable(assessed), _UPDATED: text.tolist(), _SITE: site.tolist(),
            _LAND: nullable(land), _IMP: nullable(imp)}


def create_demo_county(path: Path, parcels: int = 25_000, seed: int = 1) -> int:
    """Write a new demo county SQLite file (table ``parcels``) and return its row count.

    Raises FileExistsError if ``path`` exists: a demo never overwrites anything.
    The file is built under a temporary name and moved into place, so a crash
    leaves no half-written source behind.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"Not creating a demo county: {path} already exists.")
    if parcels < 1:
        raise ValueError("A demo county needs at least one parcel.")
    columns = _generate(np.random.default_rng(seed), parcels)
    tmp = path.with_name(path.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(tmp)
        try:
            # A brand-new scratch file: no journal or fsync needed, which makes the bulk insert fast.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute(f"CREATE TABLE {TABLE} ({schema.column_definitions()})")
            with conn:  # one transaction
                conn.executemany(_INSERT, zip(*(columns[f] for f in schema.FIELDS), strict=True))
            # Index after loading (cheaper than maintaining it row by row); the one a county DBA would have.
            conn.execute(f"CREATE INDEX {TABLE}_{_UPDATED} ON {TABLE}({_UPDATED})")
        finally:
            conn.close()
        if path.exists():
            raise FileExistsError(f"Not creating a demo county: {path} appeared while it was being written.")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return parcels


@dataclass(frozen=True)
class EditSummary:
    """How many edits of each kind one ``edit_demo_county`` call applied."""

    transfers: int = 0
    reassessments: int = 0
    name_corrections: int = 0
    use_code_changes: int = 0
    splits: int = 0
    retirements: int = 0
    mistakes: int = 0

    @property
    def total(self) -> int:
        """All edits; a split counts once."""
        return sum(getattr(self, f.name) for f in fields(self))


# Share of a day's edits per kind, in EditSummary field order.
_SHARES = {"transfers": .35, "reassessments": .30, "name_corrections": .10, "use_code_changes": .05,
           "splits": .10, "retirements": .05, "mistakes": .05}
# Typical use-code changes: a house on a vacant lot, a mobile home replaced, farm land built on.
_USE_CHANGE = {0: 1, 2: 1, 10: 11, 40: 48, 70: 71, 99: 0, **{c: 50 for c in range(51, 70)}}
_VACANT_OF_GROUP = {0: 0, 1: 10, 2: 40, 4: 70}  # GROUP_BINS index -> the group's vacant code


def _allocate(changes: int) -> dict[str, int]:
    """Split `changes` over edit kinds by _SHARES exactly (largest remainder), so the total is always right."""
    exact = {k: changes * s for k, s in _SHARES.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: counts[k] - exact[k])[: changes - sum(counts.values())]:
        counts[k] += 1
    return counts


def _code(value: object) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else -1


def edit_demo_county(path: Path, changes: int = 150, seed: int | None = None,
                     now: datetime | None = None) -> EditSummary:
    """Apply one realistic day of county edits to a demo file, in one transaction.

    Every touched or added row gets ``last_updated`` at a distinct second in the
    few hours before ``now`` (UTC, stored as naive text); a split's two children
    share theirs. The default seed is the row count, so repeated calls give
    different edits while each call stays reproducible.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No demo county at {path}: create it first with create_demo_county().")
    end = now or datetime.now(timezone.utc)
    end = (end.astimezone(timezone.utc) if end.tzinfo else end).replace(tzinfo=None, microsecond=0)
    conn = sqlite3.connect(path, isolation_level=None)  # we begin and commit the transaction ourselves
    try:
        conn.execute("BEGIN IMMEDIATE")  # read and write in one transaction: the parcels picked are the ones edited
        rows = conn.execute(f"SELECT {_ID}, {_USE}, {_OWNER}, {_ACRES}, {_ASSESSED} FROM {TABLE} ORDER BY rowid").fetchall()
        if not 0 <= changes <= len(rows):
            raise ValueError(f"Cannot apply {changes} edits to {len(rows)} parcels.")
        rng = np.random.default_rng(len(rows) if seed is None else seed)
        counts = _allocate(changes)
        valued = lambda r: (r[4] or 0) > 0  # noqa: E731
        eligible = {  # which parcels each kind plausibly touches, strictest first
            "splits": lambda r: (r[3] or 0) >= 1 and valued(r) and _code(r[1]) not in _PUBLIC,
            "name_corrections": lambda r: bool(_PERSON.match(r[2] or "")),
            "use_code_changes": lambda r: _code(r[1]) in _USE_CHANGE and valued(r),
            "mistakes": lambda r: valued(r) and (r[3] or 0) > 0,
            "reassessments": valued,
            "transfers": lambda r: _code(r[1]) not in _PUBLIC,
            "retirements": lambda r: True,
        }
        # Walk one random order of all parcels, so no parcel gets two edits.
        order, used, edits = rng.permutation(len(rows)).tolist(), set[int](), list[tuple[str, str]]()
        for kind, ok in eligible.items():
            found = _first(order, used, counts[kind], lambda i, ok=ok: ok(rows[i]))
            found += _first(order, used, counts[kind] - len(found), lambda i: True)  # tiny files: anything goes
            edits += [(kind, rows[i][0]) for i in found]
        edits = [edits[i] for i in rng.permutation(len(edits))]  # interleave the kinds through the day
        # The day's edits fall in the last four hours, but always after every existing
        # timestamp: a county's edits come after the last sync, and a second edit run
        # minutes after a sync must not be stamped before that sync's watermark.
        newest = conn.execute(f"SELECT max({schema.LAST_UPDATED}) FROM {TABLE}").fetchone()[0]
        start = end - timedelta(hours=4)
        if newest:
            start = max(start, datetime.fromisoformat(newest) + timedelta(seconds=1))
        span = max(int((end - start).total_seconds()), 2 * changes)  # a distinct second for each edit
        seconds = rng.choice(span, size=changes, replace=False)
        seen = dict.fromkeys(_SHARES, 0)
        for (kind, pid), offset in zip(edits, seconds, strict=True):
            found = conn.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE {_ID} = ?", (pid,)).fetchone()
            row = dict(zip(schema.FIELDS, found, strict=True))
            stamp = (start + timedelta(seconds=int(offset))).strftime("%Y-%m-%d %H:%M:%S")
            _apply(conn, rng, kind, row, stamp, seen[kind])
            seen[kind] += 1
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return EditSummary(**counts)


def _first(order: list[int], used: set[int], need: int, ok) -> list[int]:
    """The first `need` unused indexes of `order` passing `ok`; marks them used."""
    found: list[int] = []
    for i in order:
        if len(found) >= need:
            break
        if i not in used and ok(i):
            found.append(i)
            used.add(i)
    return found


def _apply(conn: sqlite3.Connection, rng: np.random.Generator, kind: str, row: dict, stamp: str, n: int) -> None:
    """Apply one edit of `kind` to `row` (a parcel as a field -> value dict), stamped `stamp`.

    `n` counts earlier edits of the same kind (mistakes take turns by it).
    """
    code, land, imp = _code(row[_USE]), row[_LAND] or 0.0, row[_IMP] or 0.0
    new: dict[str, Any] = {}
    if kind == "transfers":
        new[_OWNER] = words.owners(rng, np.array([max(code, 0)]))[0]
    elif kind == "reassessments":  # mostly up, 3-15%, land and buildings together
        f = 1 + rng.choice([1, 1, 1, -1]) * rng.uniform(0.03, 0.15)
        new[_LAND], new[_IMP] = float(round(land * f)), float(round(imp * f))
    elif kind == "name_corrections":  # "SMITH JOHN" -> "SMITH, JOHN", or "TRUSTEE" added
        owner = row[_OWNER] or ""
        comma = _PERSON.match(owner) and rng.random() < 0.7
        new[_OWNER] = owner.replace(" ", ", ", 1) if comma else (owner + " TRUSTEE").strip()
    elif kind == "use_code_changes":
        target = _USE_CHANGE.get(code, 8 if code == 1 else 1)
        new[_USE], new[_LAND] = f"{target:03d}", land
        if target in _VACANT:
            new[_IMP] = 0.0
        elif imp == 0:  # new construction on land that had no buildings
            new[_IMP] = float(round(_IMP_MED[target] * rng.lognormal(0, 0.3)))
    elif kind == "mistakes":  # in turn: negative acreage, an extra zero typed in the value, a blank owner
        if n % 3 == 0:
            new[_ACRES] = -abs(row[_ACRES] or 1.0)
        elif n % 3 == 1:
            new[_ASSESSED] = float((row[_ASSESSED] or land or 10_000.0) * 10)
        else:
            new[_OWNER] = ""
    if _LAND in new:  # keep assessed = land + improvement
        new[_ASSESSED] = new[_LAND] + new.get(_IMP, imp)
    if kind == "splits":
        _split(conn, rng, row, stamp)
    if kind in ("splits", "retirements"):
        conn.execute(f"DELETE FROM {TABLE} WHERE {_ID} = ?", (row[_ID],))
        return
    new[_UPDATED] = stamp
    sets = ", ".join(f"{k} = ?" for k in new)
    conn.execute(f"UPDATE {TABLE} SET {sets} WHERE {_ID} = ?", (*new.values(), row[_ID]))


def _split(conn: sqlite3.Connection, rng: np.random.Generator, row: dict, stamp: str) -> None:
    """Insert two children sharing the parent's acreage and value; buildings stay with the first."""
    f = rng.uniform(0.3, 0.7)
    acres, land, imp, code = row[_ACRES] or 0.0, row[_LAND] or 0.0, row[_IMP] or 0.0, _code(row[_USE])
    a1, l1 = round(acres * f, 3), float(round(land * f))
    vacant_code = _VACANT_OF_GROUP.get(int(np.searchsorted(words.GROUP_BINS, code, side="right")), code)
    m = re.fullmatch(r"(\d{2}-\d{4}-\d{3}-)(\d{4})", row[_ID])
    children: list[str] = []
    k = 1
    while len(children) < 2:  # next free piece numbers after the parent's: "-0010" -> "-0011", "-0012"
        cid = f"{m[1]}{int(m[2]) + k:04d}" if m and int(m[2]) + k <= 9999 else f"{row[_ID]}-{k}"
        if conn.execute(f"SELECT 1 FROM {TABLE} WHERE {_ID} = ?", (cid,)).fetchone() is None:
            children.append(cid)
        k += 1
    first = {**row, _ID: children[0], _ACRES: a1, _LAND: l1, _IMP: imp, _ASSESSED: l1 + imp, _UPDATED: stamp}
    second = {**row, _ID: children[1], _ACRES: round(acres - a1, 3), _LAND: land - l1, _IMP: 0.0,
              _ASSESSED: land - l1, _SITE: None, _UPDATED: stamp,
              _USE: f"{vacant_code:03d}" if imp > 0 and code >= 0 else row[_USE]}
    conn.executemany(_INSERT, [tuple(c[f] for f in schema.FIELDS) for c in (first, second)])
