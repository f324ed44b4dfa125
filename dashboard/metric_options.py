"""The metrics a user can put on a map or ranking: label, kind and format.

Counts are drawn as proportional symbols (area ∝ value), rates as a choropleth: a count
coloured by area would make big, empty regencies look important.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from dashboard import formatting
from geo.map_spec import Kind
from queries.metrics import add_rates

PER_1000 = "_per_1000"
"""Suffix of a count divided by the population in thousands (``recipients_per_1000``)."""


@dataclass(frozen=True)
class MetricOption:
    key: str
    label: str
    kind: Kind
    format: Callable[[float], str]
    url_name: str


METRIC_OPTIONS = (
    MetricOption("registrants", "Pendaftar", "count", formatting.number, "pendaftar"),
    MetricOption("recipients", "Penerima", "count", formatting.number, "penerima"),
    MetricOption("completed", "Selesai pelatihan pertama", "count", formatting.number, "selesai"),
    MetricOption("paid", "Menerima insentif", "count", formatting.number, "dibayar"),
    MetricOption("paid_idr", "Insentif dibayar (Rp)", "count", formatting.rupiah_compact, "rupiah"),
    MetricOption(
        "registrants_per_1000",
        "Pendaftar per 1.000 penduduk",
        "rate",
        formatting.rate_per_1000,
        "per-1000",
    ),
    MetricOption(
        "recipient_rate", "Penerima per pendaftar", "rate", formatting.percent, "rasio-penerima"
    ),
    MetricOption(
        "completion_rate",
        "Tingkat penyelesaian pelatihan",
        "rate",
        formatting.percent,
        "selesai-pct",
    ),
    MetricOption(
        "paid_rate", "Tingkat pembayaran insentif", "rate", formatting.percent, "bayar-pct"
    ),
)
BREAKDOWN_TITLES = {
    "gender": "Jenis kelamin",
    "age_band": "Kelompok usia",
    "channel": "Kanal pendaftaran",
    "disability": "Disabilitas",
    "wave": "Gelombang",
    "platform": "Platform pelatihan",
    "partner": "Mitra pembayaran",
}
BREAKDOWN_METRIC = {"platform": "completed", "partner": "paid", "wave": "recipients"}
"""The count each breakdown shows: registrants have no wave, platforms count completions and
payment partners count people paid."""

DISTRICT_OPTIONS = (
    *METRIC_OPTIONS[:4],
    MetricOption(
        "registrants_share",
        "Bagian dari pendaftar kabupaten/kota",
        "rate",
        formatting.percent,
        "bagian-pendaftar",
    ),
    *METRIC_OPTIONS[6:],
)
"""What a kecamatan map and ranking can show. There is no kecamatan population in the
reference, so no rate per 1,000 people: a kecamatan's share of its regency's registrants and
the within-regency rates take its place (``NO_POPULATION_NOTE`` says so on screen)."""
NO_POPULATION_NOTE = (
    "Tidak ada data penduduk per kecamatan, jadi tidak ada angka per 1.000 penduduk: "
    "gunakan bagian dari pendaftar kabupaten/kota atau rasio antar-tahap."
)

BY_URL_NAME = {option.url_name: option for option in (*METRIC_OPTIONS, *DISTRICT_OPTIONS)}
BY_KEY = {option.key: option for option in (*METRIC_OPTIONS, *DISTRICT_OPTIONS)}
DEFAULT_METRIC = BY_KEY["registrants_per_1000"]
DEFAULT_DISTRICT_METRIC = BY_KEY["registrants_share"]


def national_average(nation: pd.Series, provinces: pd.DataFrame, option: MetricOption) -> float:
    """The reference line of a province ranking: the national rate for rates (people-weighted,
    not a mean of province rates), the mean per province for counts; NaN when every
    province's count is hidden (a rare filter over a short period), so no line is drawn."""
    if option.kind == "count":
        mean = provinces[option.key].mean()
        return float("nan") if pd.isna(mean) else float(mean)
    national = nation.to_frame().T.assign(population=provinces["population"].sum())
    return float(add_rates(national.astype(float))[option.key].iloc[0])


RATE_BASES = {
    "registrants_per_1000": "registrants",
    "recipient_rate": "recipients",
    "completion_rate": "completed",
    "paid_rate": "paid",
}
"""The weekly count behind each rate: a trend of a rate option shows its numerator."""


def trend_measure(option: MetricOption, per_capita: bool) -> str:
    """The measure key a weekly trend shows for ``option``: a count, or the count per 1,000
    people (``recipients_per_1000``) when asked for or when the option itself is per capita."""
    base = RATE_BASES.get(option.key, option.key)
    return base + PER_1000 if per_capita or option.key.endswith(PER_1000) else base


def weekly_measure(weekly: pd.DataFrame, measure: str, population: float) -> pd.DataFrame:
    """``week_start`` and ``value`` of one measure from a weekly series of counts."""
    base = measure.removesuffix(PER_1000)
    divisor = population / 1000 if measure.endswith(PER_1000) else 1.0
    return pd.DataFrame({"week_start": weekly["week_start"], "value": weekly[base] / divisor})
