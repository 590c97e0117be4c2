"""Names, streets and the use-code profile for the demo county (private helper of :mod:`.demo`).

The word lists are built in on purpose: the demo must work offline and give
the same file for a seed on every machine, so nothing here is downloaded or
read from disk. Everything is upper case because that is how county rolls
print names.
"""

from __future__ import annotations

import numpy as np

# A fictional county and its towns, so demo data never looks like a real roll.
COUNTY = "PALMETTO"
TOWNS = ("PINE LEVEL", "OAK HAMMOCK", "CYPRESS SPRINGS", "LAKE MIRA", "FORT BRADEN", "SAWGRASS")

SURNAMES = tuple("""
SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ HERNANDEZ LOPEZ GONZALEZ
WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE PEREZ THOMPSON WHITE HARRIS SANCHEZ CLARK
RAMIREZ LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT TORRES NGUYEN HILL FLORES GREEN ADAMS
NELSON BAKER HALL RIVERA CAMPBELL MITCHELL CARTER ROBERTS GOMEZ PHILLIPS EVANS TURNER DIAZ PARKER
CRUZ EDWARDS COLLINS REYES STEWART MORRIS MORALES MURPHY COOK ROGERS GUTIERREZ ORTIZ MORGAN COOPER
PETERSON BAILEY REED KELLY HOWARD RAMOS KIM COX WARD RICHARDSON WATSON BROOKS CHAVEZ WOOD JAMES
BENNETT GRAY MENDOZA RUIZ HUGHES PRICE ALVAREZ CASTILLO SANDERS PATEL MYERS LONG ROSS FOSTER
JIMENEZ POWELL JENKINS PERRY RUSSELL SULLIVAN BELL COLEMAN BUTLER HENDERSON BARNES GONZALES FISHER
VASQUEZ SIMMONS GRAHAM MCDONALD WALLACE GRIFFIN WEST COLE HAYES BRYANT HOLMES GIBSON ELLIS STEVENS
MURRAY FORD MARSHALL OWENS HARRISON FERNANDEZ MCDANIEL WOODS WASHINGTON KENNEDY WELLS WEBB TUCKER
PORTER HUNTER HICKS CRAWFORD HENRY BOYD MASON DIXON HUNT BLACK DANIELS PALMER MILLS NICHOLS GRANT
KNIGHT FERGUSON STONE HAWKINS DUNN PERKINS HUDSON SPENCER GARDNER STEPHENS PAYNE PIERCE BERRY
""".split())

MALE_NAMES = tuple("""
JAMES ROBERT JOHN MICHAEL DAVID WILLIAM RICHARD JOSEPH THOMAS CHARLES CHRISTOPHER DANIEL MATTHEW
ANTHONY MARK DONALD STEVEN PAUL ANDREW JOSHUA KENNETH KEVIN BRIAN GEORGE TIMOTHY RONALD EDWARD
JASON JEFFREY RYAN JACOB GARY NICHOLAS ERIC JONATHAN STEPHEN LARRY JUSTIN SCOTT BRANDON BENJAMIN
SAMUEL GREGORY FRANK RAYMOND PATRICK JACK DENNIS JERRY TYLER AARON JOSE HENRY DOUGLAS PETER WAYNE
""".split())

FEMALE_NAMES = tuple("""
MARY PATRICIA JENNIFER LINDA ELIZABETH BARBARA SUSAN JESSICA SARAH KAREN LISA NANCY BETTY MARGARET
SANDRA ASHLEY KIMBERLY EMILY DONNA MICHELLE CAROL AMANDA DOROTHY MELISSA DEBORAH STEPHANIE REBECCA
SHARON LAURA CYNTHIA KATHLEEN AMY ANGELA SHIRLEY ANNA BRENDA PAMELA EMMA NICOLE HELEN SAMANTHA
KATHERINE CHRISTINE DEBRA RACHEL CAROLYN JANET CATHERINE MARIA HEATHER DIANE RUTH JULIE JOYCE
""".split())

INITIALS = tuple("ABCDEFGHJKLMNPRSTW")

# First words of company names; surnames are mixed in by the generator too.
BUSINESS_WORDS = tuple("""
ACME SUNSHINE PALMETTO CYPRESS MAGNOLIA GULF COASTAL HERITAGE PIONEER SUMMIT KEYSTONE LIBERTY EAGLE
PELICAN OSPREY HERON MANATEE CITRUS EVERGREEN SOUTHERN SUNCOAST BAYSIDE LAKESIDE RIVERSIDE TRIDENT
ATLANTIC PREMIER FIRST GOLDEN SILVER BLUE GREEN REDLAND HIGHLAND PRAIRIE SAWGRASS HAMMOCK PINE OAK
""".split())
COMPANY_KINDS = ("HOLDINGS", "PROPERTIES", "INVESTMENTS", "REALTY", "LAND", "DEVELOPMENT", "ENTERPRISES",
                 "GROUP", "PARTNERS", "VENTURES", "CAPITAL", "MANAGEMENT", "ASSOCIATES")
COMPANY_SUFFIXES = ("LLC", "LLC", "LLC", "INC", "INC", "LP", "LLLP", "CORP", "LTD")
FARM_KINDS = ("FARMS", "RANCH", "CATTLE CO", "TIMBER CO", "GROVES", "NURSERY", "FARMS LLC", "LAND & CATTLE LLC")
TRUST_KINDS = ("REVOCABLE TRUST", "LIVING TRUST", "IRREVOCABLE TRUST")

CHURCHES = ("FIRST BAPTIST CHURCH", "FIRST UNITED METHODIST CHURCH", "ST JOHNS EPISCOPAL CHURCH",
            "CHURCH OF GOD", "NEW HOPE MISSIONARY BAPTIST CHURCH", "ST MARY CATHOLIC CHURCH",
            "GRACE PRESBYTERIAN CHURCH", "ASSEMBLY OF GOD", "CHURCH OF CHRIST", "MT ZION AME CHURCH")
INSTITUTIONS = ("MASONIC LODGE", "WOMANS CLUB", "CEMETERY ASSOCIATION", "HISTORICAL SOCIETY",
                "CHRISTIAN ACADEMY", "HEALTH SYSTEMS", "SENIOR LIVING", "YOUTH RANCH", "ARTS COUNCIL")

_TIITF = "BOARD OF TRUSTEES OF THE INTERNAL IMPROVEMENT TRUST FUND"
_BOCC = "BOARD OF COUNTY COMMISSIONERS"
_CITIES = tuple(f"CITY OF {t}" for t in TOWNS)
# Owners of public and utility land, by DOR use code: these are not people.
PUBLIC_OWNERS: dict[str, tuple[str, ...]] = {
    "080": (_BOCC, _BOCC, "STATE OF FLORIDA") + _CITIES,
    "081": ("UNITED STATES OF AMERICA",),
    "082": ("STATE OF FLORIDA DEP", _BOCC, _TIITF),
    "083": (f"SCHOOL BOARD OF {COUNTY} COUNTY",),
    "084": (f"DISTRICT BOARD OF TRUSTEES OF {COUNTY} STATE COLLEGE",),
    "085": (f"{COUNTY} COUNTY HOSPITAL DISTRICT",),
    "086": (_BOCC,),
    "087": ("STATE OF FLORIDA", "STATE OF FLORIDA DOT", "FLORIDA FISH & WILDLIFE CONSERVATION COMMISSION"),
    "088": ("UNITED STATES OF AMERICA", "UNITED STATES POSTAL SERVICE"),
    "089": _CITIES,
    "091": ("FLORIDA POWER & LIGHT CO", "DUKE ENERGY FLORIDA LLC", "CSX TRANSPORTATION INC",
            f"{COUNTY} COUNTY UTILITIES AUTHORITY", "FLORIDA GAS TRANSMISSION CO LLC"),
    "094": (_BOCC, _BOCC, "STATE OF FLORIDA DOT") + _CITIES,
    "095": (_TIITF, "STATE OF FLORIDA", "SUWANNEE RIVER WATER MANAGEMENT DISTRICT"),
    "098": ("CSX TRANSPORTATION INC", "FLORIDA EAST COAST RAILWAY LLC"),
}

STREET_NAMES = tuple("""
OAK|PINE|MAPLE|CEDAR|ELM|MAGNOLIA|CYPRESS|PALMETTO|DOGWOOD|HICKORY|WILLOW|SYCAMORE|BAY|HOLLY|LAUREL
OAK RIDGE|PINE HILL|LAKE SHORE|RIVER BEND|SPRING CREEK|COUNTRY CLUB|MILL POND|DEER RUN|FOX HOLLOW
QUAIL RUN|TURKEY CREEK|BEAR CREEK|CATTLE DRIVE|ORANGE BLOSSOM|SAND HILL|CLAY PIT|TOBACCO BARN|OLD MILL
CHURCH|SCHOOL|MARKET|MAIN|BROAD|CENTER|PARK|WASHINGTON|JEFFERSON|LINCOLN|MADISON|JACKSON|MONROE
SUWANNEE|WITHLACOOCHEE|OCKLAWAHA|ALAFIA|PEACE RIVER|SANTA FE|ST JOHNS|INDIAN RIVER|BLACKWATER
HAMMOCK|SAWGRASS|HERON|OSPREY|PELICAN|EGRET|IBIS|SANDHILL CRANE|MOCKINGBIRD|CARDINAL|BLUEBIRD
GRAPEFRUIT|TANGERINE|BLUEBERRY|PEANUT|COTTON|SUGARCANE|WATERMELON|STRAWBERRY|PECAN|LONGLEAF
RAILROAD|DEPOT|TURPENTINE|SAWMILL|FERRY|LANDING|HOMESTEAD|PIONEER|SETTLERS|FIRE TOWER|AIRPORT
""".replace("\n", "|").strip("|").split("|"))
STREET_SUFFIXES = ("RD", "RD", "RD", "ST", "ST", "AVE", "DR", "DR", "LN", "WAY", "CT", "TRL", "CIR", "LOOP", "PATH")
DIRECTIONS = ("NW", "NE", "SW", "SE", "N", "S", "E", "W")

# Use-code profile of a mostly rural county. Per group (first, last code): share of parcels, default
# weight of a code within the group, acres median and lognormal sigma, land median $ at the median
# acreage, improvement median $, and how strongly land value grows with acreage (elasticity).
GROUPS = {
    (0, 9): (0.62, 1.0, 0.25, 0.5, 28_000, 150_000, 0.5),  # residential
    (10, 39): (0.09, 1.0, 0.8, 0.9, 140_000, 420_000, 0.7),  # commercial
    (40, 49): (0.035, 1.0, 3.0, 1.0, 160_000, 650_000, 0.7),  # industrial
    (50, 69): (0.17, 2.0, 40.0, 1.1, 110_000, 60_000, 0.9),  # agricultural
    (70, 89): (0.06, 1.0, 3.0, 1.1, 120_000, 700_000, 0.6),  # institutional and government
    (90, 99): (0.025, 1.0, 3.0, 1.2, 40_000, 300_000, 0.8),  # utilities, right-of-way, water, acreage
}
# Per-code overrides: (weight within group[, acres median[, land median, improvement median]]).
# An improvement median of 0 marks vacant land. 001 single family dominates (~43% of all parcels).
CODES = {
    0: (13, 0.35, 22_000, 0), 1: (68,), 2: (10, 0.9, 22_000, 45_000), 3: (0.3, 2.5, 250_000, 1_800_000),
    4: (3, 0.05, 10_000, 135_000), 5: (0.2, 0.05, 10_000, 120_000), 6: (0.1, 3, 180_000, 2_000_000),
    7: (0.3, 2, 60_000, 250_000), 8: (2, 0.4, 35_000, 220_000), 9: (1.5, 1.5, 2_000, 0),
    10: (14, 1, 90_000, 0), 11: (8,), 12: (4,), 13: (0.3, 5, 800_000, 3_000_000),
    14: (0.3, 4, 700_000, 2_500_000), 15: (0.1, 40, 5_000_000, 30_000_000), 16: (0.6, 12, 1_500_000, 6_000_000),
    17: (6,), 19: (4,), 20: (0.3, 50, 900_000, 3_000_000), 21: (4,), 26: (3,), 27: (5,), 28: (5,),
    31: (0.1, 20), 37: (0.1, 60), 38: (0.5, 120, 1_200_000, 600_000), 39: (2, 3, 600_000, 4_000_000),
    40: (6, 4, 120_000, 0), 41: (5,), 42: (0.8, 20), 43: (2, 10), 47: (0.5, 40), 48: (5,), 49: (3,),
    50: (8, 40, 110_000, 90_000), 59: (5,), 62: (4,), 63: (4,), 66: (3,), 67: (1,), 68: (1,),
    70: (2, 2, 60_000, 0), 71: (8,), 76: (3, 5), 77: (1.5,), 80: (4, 5, 80_000, 0), 81: (0.3, 200),
    82: (3, 80), 83: (2, 20, 900_000, 8_000_000), 84: (0.2, 60, 3_000_000, 25_000_000),
    85: (0.2, 10, 1_500_000, 30_000_000), 86: (5,), 87: (2,), 88: (1, 2), 89: (2,), 90: (0.5,),
    91: (2, 5, 80_000, 400_000), 92: (0.5, 150, 300_000, 0), 93: (0.5, 40, 2_000, 0), 94: (8, 1.2),
    95: (4, 25), 96: (3, 15, 8_000, 0), 97: (1, 30, 20_000, 0), 98: (0.5, 2), 99: (5, 12, 60_000, 0),
}
# Right-of-way, water and centrally assessed land: the county roll carries NULL or 0 values.
NO_VALUE_CODES = [94, 95, 98]
# Who owns private land, by group (residential, commercial, industrial, agricultural, institutional,
# other): shares of individual, couple, trust, estate, company, farm company.
OWNER_STYLES: list[list[float]] = [[.42, .36, .10, .04, .08, 0], [.12, .05, .08, 0, .75, 0], [.08, .02, .05, 0, .85, 0],
                [.25, .25, .15, .03, .10, .22], [0, 0, 0, 0, 1, 0], [.30, .20, .10, .02, .38, 0]]
GROUP_BINS = [10, 40, 50, 70, 90]  # np.searchsorted(..., side="right"): 0 res, 1 com, 2 ind, 3 ag, 4 inst/gov, 5 other
_STYLE_P: np.ndarray = np.cumsum(np.array(OWNER_STYLES), axis=1)
# Object arrays, so `+` concatenates per element in C instead of a Python loop over rows.
_OBJ = {k: np.array(v, dtype=object) for k, v in dict(globals()).items() if k.isupper() and isinstance(v, tuple)}


def _pick(rng: np.random.Generator, name: str, n: int) -> np.ndarray:
    """n random entries of one of the word lists above, as an object array."""
    arr = _OBJ[name]
    return arr[rng.integers(len(arr), size=n)]


def _person(rng: np.random.Generator, n: int) -> np.ndarray:
    """"SMITH JOHN A" / "SMITH MARY" (surname first, as rolls print them)."""
    first = np.where(rng.random(n) < 0.5, _pick(rng, "MALE_NAMES", n), _pick(rng, "FEMALE_NAMES", n))
    initial = np.where(rng.random(n) < 0.7, " " + _pick(rng, "INITIALS", n), "")
    return _pick(rng, "SURNAMES", n) + " " + first + initial


def _couple(rng: np.random.Generator, n: int) -> np.ndarray:
    return _pick(rng, "SURNAMES", n) + " " + _pick(rng, "MALE_NAMES", n) + " & " + _pick(rng, "FEMALE_NAMES", n)


def _trust(rng: np.random.Generator, n: int) -> np.ndarray:
    family = _pick(rng, "SURNAMES", n) + " FAMILY TRUST"
    return np.where(rng.random(n) < 0.5, family, _person(rng, n) + " " + _pick(rng, "TRUST_KINDS", n))


def _company(rng: np.random.Generator, n: int) -> np.ndarray:
    name = np.where(rng.random(n) < 0.6, _pick(rng, "BUSINESS_WORDS", n), _pick(rng, "SURNAMES", n))
    return name + " " + _pick(rng, "COMPANY_KINDS", n) + " " + _pick(rng, "COMPANY_SUFFIXES", n)


# Owner styles in OWNER_STYLES column order.
_STYLES = (_person, _couple, _trust, lambda rng, n: _person(rng, n) + " ESTATE", _company,
           lambda rng, n: _pick(rng, "SURNAMES", n) + " " + _pick(rng, "FARM_KINDS", n))


def owners(rng: np.random.Generator, codes: np.ndarray) -> np.ndarray:
    """Roll-style owner names ("SMITH JOHN A", "ACME HOLDINGS LLC", ...) fitting each use code (ints)."""
    n = len(codes)
    out = np.empty(n, dtype=object)
    style = (rng.random(n)[:, None] >= _STYLE_P[np.searchsorted(GROUP_BINS, codes, side="right")]).sum(axis=1)
    # Institutions and public land are not owned by people: own rules below.
    inst = (codes >= 70) & (codes < 80)
    public = np.isin(codes, [int(c) for c in PUBLIC_OWNERS])
    style[inst | public] = -1
    # Each style built only for its rows, one vectorised call per style.
    for number, build in enumerate(_STYLES):
        rows = np.flatnonzero(style == number)
        out[rows] = build(rng, len(rows))
    rows = np.flatnonzero(inst)
    church = _pick(rng, "CHURCHES", len(rows)) + " OF " + _pick(rng, "TOWNS", len(rows)) + " INC"
    other = _pick(rng, "TOWNS", len(rows)) + " " + _pick(rng, "INSTITUTIONS", len(rows)) + " INC"
    out[rows] = np.where(codes[rows] == 71, church, other)
    for code, names in PUBLIC_OWNERS.items():
        rows = np.flatnonzero(codes == int(code))
        out[rows] = np.array(names, dtype=object)[rng.integers(len(names), size=len(rows))]
    return out


def streets(rng: np.random.Generator, n: int) -> np.ndarray:
    """Street names: named ("OAK RIDGE RD", "NW PINE ST"), numbered ("NW 45TH ST") or "COUNTY ROAD 12"."""
    named = _pick(rng, "STREET_NAMES", n) + " " + _pick(rng, "STREET_SUFFIXES", n)
    named = np.where(rng.random(n) < 0.2, _pick(rng, "DIRECTIONS", n) + " " + named, named)
    nth = rng.integers(1, 250, n)
    suffix = np.where((nth % 100) // 10 == 1, "TH", np.array(["TH", "ST", "ND", "RD"] + ["TH"] * 6)[nth % 10])
    numbered = _pick(rng, "DIRECTIONS", n) + " " + np.char.add(nth.astype("U3"), suffix).astype(object)
    numbered = numbered + " " + np.array(["ST", "AVE", "TER", "PL"], dtype=object)[rng.integers(4, size=n)]
    route = rng.integers(2, 400, n).astype("U3").astype(object)
    road = np.where(rng.random(n) < 0.5, "COUNTY ROAD ", "STATE ROAD ") + route
    kind = rng.random(n)
    return np.where(kind < 0.75, named, np.where(kind < 0.9, numbered, road))
