"""The validated, typed filter value every query takes, and its URL form.

``Filters`` is frozen and hashable, so Streamlit can key its cache on it. Constructing one with
invalid values raises :class:`FilterError`, whose message can be shown to users as is.
``from_query_params`` is lenient instead: it drops invalid URL values and reports each one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from geo.regions import NATION_CODE, UnknownRegionError, is_known, normalize_code

PROGRAMME_START = date(2020, 3, 20)
"""Kartu Prakerja launched on 20 March 2020; nothing can happen before it."""
LATEST_DATE = date(2035, 12, 31)
"""A sanity bound for typed-in dates far in the future."""

CHANNELS = ("online", "offline")
GENDERS = ("F", "M")
AGE_BANDS = ("18-25", "26-35", "36-45", "46-55", "56-64")
MAX_WAVE = 99

QUERY_KEYS = {
    "date_from": "dari",
    "date_to": "sampai",
    "waves": "gelombang",
    "channels": "kanal",
    "genders": "jk",
    "age_bands": "usia",
    "disability": "disabilitas",
    "region": "wilayah",
}
"""Field → URL query parameter name (short Indonesian words, so shared links read well)."""


class FilterError(ValueError):
    """An invalid filter value; ``str(error)`` is a message in Bahasa Indonesia."""


def _check_subset(name: str, values: tuple, allowed: tuple) -> None:
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise FilterError(f"Nilai {name} tidak dikenal: {', '.join(map(str, unknown))[:80]}")


@dataclass(frozen=True)
class Filters:
    """What the user asked to see. Empty tuples mean "all"; ``disability`` None means "all".

    The wave filter applies to recipients, completions and payments only: registrants are not
    in any wave until they are selected.
    """

    date_from: date = PROGRAMME_START
    date_to: date = field(default_factory=date.today)
    waves: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    disability: bool | None = None
    region: str = NATION_CODE

    def __post_init__(self) -> None:
        for bound in (self.date_from, self.date_to):
            if not isinstance(bound, date):
                raise FilterError("Tanggal harus berupa tanggal (TTTT-BB-HH).")
            if not PROGRAMME_START <= bound <= LATEST_DATE:
                raise FilterError(
                    f"Tanggal {bound:%d-%m-%Y} di luar rentang program "
                    f"({PROGRAMME_START:%d-%m-%Y} s.d. {LATEST_DATE:%d-%m-%Y})."
                )
        if self.date_from > self.date_to:
            raise FilterError("Tanggal awal jatuh setelah tanggal akhir: tukar keduanya.")
        if any(not isinstance(w, int) or not 1 <= w <= MAX_WAVE for w in self.waves):
            raise FilterError(f"Gelombang harus bilangan 1–{MAX_WAVE}.")
        _check_subset("kanal", self.channels, CHANNELS)
        _check_subset("jenis kelamin", self.genders, GENDERS)
        _check_subset("kelompok usia", self.age_bands, AGE_BANDS)
        if self.disability not in (None, True, False):
            raise FilterError("Filter disabilitas harus ya, tidak, atau kosong.")
        if not isinstance(self.region, str) or not is_known(self.region):
            raise FilterError(f"Kode wilayah tidak dikenal: {str(self.region)[:20]}")

    @property
    def province(self) -> str | None:
        return None if self.region == NATION_CODE else self.region[:2]

    @property
    def regency(self) -> str | None:
        """The regency, also of a kecamatan region (``321601`` → ``3216``)."""
        return self.region[:4] if len(self.region) >= 4 else None

    @property
    def district(self) -> str | None:
        """The kecamatan (6-digit code) when the region is one."""
        return self.region if len(self.region) == 6 else None

    def with_region(self, code: str) -> Filters:
        return replace(self, region=code)

    def previous_period(self) -> Filters | None:
        """The period of equal length just before this one, or None before the programme."""
        length = self.date_to - self.date_from + timedelta(days=1)
        start = self.date_from - length
        if start < PROGRAMME_START:
            return None
        return replace(self, date_from=start, date_to=self.date_from - timedelta(days=1))

    def sql_params(self) -> dict[str, object]:
        """Bound parameters for the store's filter clause (see ``queries.metrics``)."""
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "province": self.province,
            "regency": self.regency,
            "district": self.district,
            "waves": list(self.waves),
            "channels": list(self.channels),
            "genders": list(self.genders),
            "age_bands": list(self.age_bands),
            "disability": self.disability,
        }

    def to_query_params(self, default_to: date | None = None) -> dict[str, str]:
        """The URL form, leaving out values equal to the defaults."""
        params = {
            "dari": self.date_from.isoformat(),
            "sampai": self.date_to.isoformat(),
            "gelombang": ",".join(map(str, self.waves)),
            "kanal": ",".join(self.channels),
            "jk": ",".join(self.genders),
            "usia": ",".join(self.age_bands),
            "disabilitas": {None: "", True: "ya", False: "tidak"}[self.disability],
            "wilayah": "" if self.region == NATION_CODE else self.region,
        }
        if self.date_from == PROGRAMME_START:
            params["dari"] = ""
        if default_to is not None and self.date_to == default_to:
            params["sampai"] = ""
        return {key: value for key, value in params.items() if value}


MAX_PARAM_LENGTH = 200
"""Longer URL values are rejected outright rather than parsed."""


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _parse_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError as error:
        raise FilterError(f"Tanggal tidak valid: {raw[:20]!r}") from error


def _parse_waves(raw: str) -> tuple[int, ...]:
    try:
        return tuple(sorted({int(part) for part in _split(raw)}))
    except ValueError as error:
        raise FilterError(f"Gelombang tidak valid: {raw[:20]!r}") from error


def _parse_disability(raw: str) -> bool | None:
    lookup = {"ya": True, "tidak": False, "": None}
    if raw.strip().lower() not in lookup:
        raise FilterError(f"Nilai disabilitas tidak valid: {raw[:20]!r}")
    return lookup[raw.strip().lower()]


def _parse_region(raw: str) -> str:
    try:
        code = NATION_CODE if raw.strip().upper() == NATION_CODE else normalize_code(raw)
    except UnknownRegionError as error:
        raise FilterError(str(error)) from error
    if not is_known(code):
        raise FilterError(f"Kode wilayah tidak dikenal: {code}")
    return code


_PARSERS = {
    "date_from": _parse_date,
    "date_to": _parse_date,
    "waves": _parse_waves,
    "channels": lambda raw: tuple(_split(raw)),
    "genders": lambda raw: tuple(_split(raw.upper())),
    "age_bands": lambda raw: tuple(_split(raw)),
    "disability": _parse_disability,
    "region": _parse_region,
}


def from_query_params(
    params: Mapping[str, str], default_to: date, default_from: date = PROGRAMME_START
) -> tuple[Filters, list[str]]:
    """Filters from URL parameters; each invalid value is dropped and reported as a notice."""
    values: dict[str, Any] = {"date_from": default_from, "date_to": default_to}
    notices: list[str] = []
    for name, key in QUERY_KEYS.items():
        raw = params.get(key)
        if raw is None or raw == "":
            continue
        if len(str(raw)) > MAX_PARAM_LENGTH:
            notices.append(f"Parameter '{key}' terlalu panjang dan diabaikan.")
            continue
        try:
            candidate = _PARSERS[name](str(raw))
            Filters(**{**values, name: candidate})
        except FilterError as error:
            notices.append(f"Parameter '{key}' diabaikan: {error}")
            continue
        values[name] = candidate
    try:
        return Filters(**values), notices
    except FilterError as error:  # e.g. a valid 'dari' after a valid 'sampai'
        notices.append(f"Rentang tanggal diabaikan: {error}")
        return Filters(**{**values, "date_from": default_from, "date_to": default_to}), notices
