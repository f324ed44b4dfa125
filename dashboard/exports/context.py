"""What every export must say about itself: title, region, filters, as-of time, source, and
whether the numbers are synthetic. Built once per export from the store and the filters."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from dashboard import formatting
from geo.regions import NATION_CODE, region_name
from queries import metrics
from queries.filters import AGE_BANDS, CHANNELS, GENDERS, Filters
from queries.quality import quarantine_note
from queries.store import Store
from queries.suppression import ProtectedFigures, suppressed_label

SYNTHETIC_LABEL = "DATA SINTETIS — angka rekaan untuk demo, bukan data program"
SOURCE_LINES = {
    "demo": "Sumber: replika sintetis Pantau Prakerja (demo)",
    "replica": "Sumber: replika basis data program Kartu Prakerja, diolah Pantau Prakerja",
}
CHANNEL_WORDS = {"online": "daring", "offline": "luring"}
GENDER_WORDS = {"F": "perempuan", "M": "laki-laki"}


@dataclass(frozen=True)
class ExportContext:
    """The header/footer facts of one export, all already in Bahasa Indonesia."""

    title: str
    region_name: str
    filters_text: str
    as_of_text: str
    source_line: str
    synthetic: bool
    region_code: str = NATION_CODE
    quality_note: str = ""

    def lines(self) -> list[str]:
        """The context lines printed under a title or in a footer."""
        lines = [
            f"{self.region_name} · {self.filters_text}",
            f"{self.as_of_text} · {self.source_line}",
        ]
        if self.synthetic:
            lines.append(SYNTHETIC_LABEL)
        if self.quality_note:
            lines.append(self.quality_note)
        return lines

    def footer(self) -> str:
        """One line for slide footers."""
        parts = [self.as_of_text, self.source_line]
        if self.synthetic:
            parts.insert(0, "DATA SINTETIS")
        return " · ".join(parts)


def period_text(filters: Filters) -> str:
    """``11 April 2020 – 3 September 2020``."""
    return formatting.period(filters.date_from, filters.date_to)


def describe_filters(filters: Filters, with_period: bool = True) -> str:
    """The filters in words, e.g. ``11 April 2020 – 3 September 2020; gelombang 1, 2; perempuan``;
    facets left at "all" are summed up at the end so the reader knows nothing else was cut."""
    chosen: list[str] = []
    unset: list[str] = []
    facets = (
        ("gelombang", filters.waves, lambda v: "gelombang " + ", ".join(map(str, v)), None),
        (
            "kanal",
            filters.channels,
            lambda v: "kanal " + ", ".join(CHANNEL_WORDS[c] for c in v),
            CHANNELS,
        ),
        (
            "jenis kelamin",
            filters.genders,
            lambda v: ", ".join(GENDER_WORDS[g] for g in v),
            GENDERS,
        ),
        ("usia", filters.age_bands, lambda v: "usia " + ", ".join(v) + " tahun", AGE_BANDS),
    )
    for name, values, words, everything in facets:
        if values and (everything is None or set(values) != set(everything)):
            chosen.append(words(values))
        else:
            unset.append(name)
    if filters.disability is None:
        unset.append("disabilitas")
    else:
        chosen.append(
            "penyandang disabilitas" if filters.disability else "bukan penyandang disabilitas"
        )
    parts = [period_text(filters)] if with_period else []
    if unset:
        chosen.append(f"semua {', '.join(unset)}")
    return "; ".join([*parts, *chosen])


def as_of_text(meta: dict[str, str]) -> str:
    """``Data per 28 November 2026 10.56 WIB`` from the store's replica as-of time."""
    raw = meta.get("replica_as_of") or meta.get("refreshed_at")
    if not raw:
        return "Waktu data tidak diketahui"
    return f"Data per {formatting.timestamp(raw)}"


def context_from_store(store: Store, filters: Filters, title: str) -> ExportContext:
    """The context for an export of ``filters``' region from ``store``."""
    meta, quality_note = _version_facts(store)
    kind = meta.get("source_kind", "replica")
    return ExportContext(
        title=title,
        region_name=region_name(filters.region),
        filters_text=describe_filters(filters),
        as_of_text=as_of_text(meta),
        source_line=SOURCE_LINES.get(kind, SOURCE_LINES["replica"]),
        synthetic=kind == "demo",
        region_code=filters.region,
        quality_note=quality_note,
    )


_FACTS: dict[Path, tuple[dict[str, str], str]] = {}


def _version_facts(store: Store) -> tuple[dict[str, str], str]:
    """``meta`` and the quarantine note of a store version, read once: a published version
    never changes, and every screen builds a context or two on each rerun (py-spy: ~10 % of
    a Nasional rerun's CPU went into these two queries)."""
    if store.path not in _FACTS:
        if len(_FACTS) >= 8:
            _FACTS.clear()
        _FACTS[store.path] = (store.meta(), quarantine_note(metrics.quarantine(store)))
    meta, note = _FACTS[store.path]
    return dict(meta), note


@dataclass(frozen=True)
class DeckScope:
    """The deck's region and the facts every slide needs."""

    store: Store
    filters: Filters
    context: ExportContext
    level: str
    threshold: int
    shared: ProtectedFigures | None = None

    @cached_property
    def figures(self) -> ProtectedFigures:
        """Every number on a slide comes through here, small cells hidden. One instance per
        deck, or ``shared`` by a batch worker's decks, so each store query runs once (every
        regency deck needs its province's and the nation's groups)."""
        return self.shared or ProtectedFigures.direct(self.store, self.threshold)

    @property
    def hidden(self) -> str:
        return suppressed_label(self.threshold)
