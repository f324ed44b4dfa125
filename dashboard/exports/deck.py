"""The presenter's deck for one region: PPTX (editable text, charts as pictures) and PDF.

Slides: title, key figures, map, weekly trend, funnel, two slides of breakdowns, an optional
comparison of provinces, outreach priorities, data notes; a regency's deck adds its kecamatan
map after the map and its kecamatan priorities after the priorities (when the replica has
kecamatan codes). For a regency every count is
suppressed below ``dashboard.settings.suppression_threshold()`` before it is drawn or written,
and so are the regency counts behind the map and the priority list of a province.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from dashboard import charts, formatting, priorities
from dashboard.exports import slide_charts
from dashboard.exports.context import (
    DeckScope,
    ExportContext,
    context_from_store,
    describe_filters,
    period_text,
)
from dashboard.exports.outreach_slide import outreach_slide
from dashboard.exports.slides import (
    MARGIN,
    PAGE_W,
    RED,
    Picture,
    Slide,
    SlideItem,
    Table,
    Text,
    to_pdf,
    to_pptx,
)
from dashboard.exports.static_map import slide_map_png
from dashboard.metric_options import BREAKDOWN_METRIC, BREAKDOWN_TITLES, DEFAULT_DISTRICT_METRIC
from dashboard.settings import suppression_threshold
from geo.boundaries import Level
from geo.regions import NATION_CODE, region_level, region_name
from outreach.storage import AgendaUnavailableError
from queries import metrics
from queries.filters import Filters
from queries.metrics import PEOPLE_METRICS
from queries.store import Store
from queries.suppression import ProtectedFigures, with_rates

BODY_W = PAGE_W - 2 * MARGIN
BODY_TOP, BODY_BOTTOM = 1.3, 6.85
BODY_SIZE = (BODY_W, BODY_BOTTOM - BODY_TOP)  # a full-width picture's box, inches
MAP_METRIC = "registrants_per_1000"
BREAKDOWN_SLIDES = (
    ("Rincian peserta (1/2)", ("gender", "age_band", "channel", "disability")),
    ("Rincian peserta (2/2)", ("wave", "platform", "partner")),
)
KPI_CARDS = (
    ("registrants", None, None),
    ("recipients", "registrants", "dari pendaftar"),
    ("completed", "recipients", "dari penerima"),
    ("paid", "completed", "dari yang selesai"),
    ("paid_idr", None, None),
)
DEFINITIONS = (
    "Pendaftar: orang yang mendaftar dalam periode.",
    "Penerima: pendaftar yang pertama kali terpilih menjadi penerima dalam periode.",
    "Selesai pelatihan pertama: penerima yang menuntaskan pelatihan pertamanya dalam periode.",
    "Menerima insentif: orang yang menerima pembayaran insentif pertama dalam periode.",
    "Pendaftar per 1.000 penduduk: pendaftar dibagi penduduk (tabel referensi wilayah) × 1.000.",
    "Penerima per pendaftar, tingkat penyelesaian dan pembayaran: rasio antar tahap corong.",
)


def build_deck(
    store: Store, filters: Filters, region_code: str, compare: Sequence[str] = ()
) -> bytes:
    """The deck as PPTX bytes. ``region_code``: ``ID``, a province or a regency code;
    ``compare``: province codes for a comparison slide."""
    return to_pptx(deck_slides(store, filters, region_code, compare))


def build_deck_pdf(
    store: Store, filters: Filters, region_code: str, compare: Sequence[str] = ()
) -> bytes:
    """The same deck as PDF, one page per slide."""
    return to_pdf(deck_slides(store, filters, region_code, compare))


def deck_slides(
    store: Store,
    filters: Filters,
    region_code: str,
    compare: Sequence[str] = (),
    shared: ProtectedFigures | None = None,
) -> list[Slide]:
    """Every slide's content, shared by the PPTX and PDF renderers; ``shared``: figures a
    batch worker keeps across its decks."""
    scope = deck_scope(store, filters, region_code, shared)
    districts = scope.level in ("regency", "district") and metrics.has_district_data(store)
    slides = [
        title_slide(scope),
        kpi_slide(scope),
        map_slide(scope),
        *([district_map_slide(scope)] if districts else []),
        trend_slide(scope),
        funnel_slide(scope),
        *(breakdown_slide(scope, title, dims) for title, dims in BREAKDOWN_SLIDES),
    ]
    if compare:
        slides.append(compare_slide(scope, compare))
    slides.append(priority_slide(scope))
    if districts:
        slides.append(district_priority_slide(scope))
    try:
        slides.append(outreach_slide(scope))
        missing = ""
    except AgendaUnavailableError as error:  # the deck without that slide, saying why
        missing = f"Tanpa salindia Dampak sosialisasi: {error}"
    slides.append(notes_slide(scope, missing))
    for slide in slides[1:]:
        slide.items.extend(footer(scope.context))
    return slides


def deck_scope(
    store: Store, filters: Filters, region_code: str, shared: ProtectedFigures | None = None
) -> DeckScope:
    """The region's scope: filters narrowed to it, its context and its suppression level
    (shared by the deck and the offline HTML report)."""
    scoped = filters.with_region(region_code)
    return DeckScope(
        store=store,
        filters=scoped,
        context=context_from_store(store, scoped, f"Pantau Prakerja: {region_name(region_code)}"),
        level=region_level(region_code),
        threshold=shared.threshold if shared else suppression_threshold(),
        shared=shared,
    )


# --- pieces -----------------------------------------------------------------------------------


def footer(context: ExportContext) -> list[Text]:
    """The context line at the bottom of every slide, the synthetic label in red."""
    items = [Text(MARGIN, 6.95, BODY_W, 0.4, f"{context.as_of_text} · {context.source_line}", 12)]
    if context.synthetic:
        items.append(Text(MARGIN, 6.95, BODY_W, 0.4, "DATA SINTETIS", 14, True, RED, "right"))
    return items


def _picture(png: bytes, top: float = BODY_TOP, bottom: float = BODY_BOTTOM) -> Picture:
    return Picture(MARGIN, top, BODY_W, bottom - top, png)


def _count_text(
    value: object, scope: DeckScope, fmt: Callable[[Any], str] = formatting.number
) -> str:
    """A count for a slide: formatted, or ``<N`` when suppressed."""
    return scope.hidden if value is None or pd.isna(value) else fmt(value)


def totals_row(scope: DeckScope) -> pd.Series:
    """The region's totals, small counts hidden (NA)."""
    return scope.figures.totals(scope.filters)


# --- slides -----------------------------------------------------------------------------------


def title_slide(scope: DeckScope) -> Slide:
    context = scope.context
    lines = [
        f"Periode {period_text(scope.filters)}",
        f"Filter: {describe_filters(scope.filters, with_period=False)}",
        f"{context.as_of_text} · dibuat {formatting.timestamp(datetime.now(UTC))}",
        context.source_line,
    ]
    items: list[SlideItem] = [
        Text(MARGIN, 1.6, BODY_W, 0.8, "Laporan untuk presentasi · Kartu Prakerja", 24),
        Text(MARGIN, 2.6, BODY_W, 2.6, "\n".join(lines), 20, color="333333"),
    ]
    if context.synthetic:
        label = "DATA SINTETIS — angka rekaan untuk demo, bukan data program"
        items.append(Text(MARGIN, 5.5, BODY_W, 0.8, label, 24, True, RED))
    return Slide(context.title, items, notes=context.filters_text)


def kpi_slide(scope: DeckScope) -> Slide:
    """Five cards: three on the first row, two wider ones below (Rupiah needs the room)."""
    row = totals_row(scope)
    boxes = [(MARGIN + i * 4.15, 1.5, 3.95) for i in range(3)]
    boxes += [(MARGIN + i * 6.2, 4.1, 6.0) for i in range(2)]
    items: list[SlideItem] = []
    notes = []
    for (key, base, words), (x, y, w) in zip(KPI_CARDS, boxes, strict=True):
        big, exact, extra = kpi_texts(row, key, base, words, scope)
        items += [
            Text(x, y, w, 0.5, charts.metric_label(key).replace(" (Rp)", ""), 20, color="555555"),
            Text(x, y + 0.5, w, 0.9, big, 40, True, "2C7FB8"),
            Text(x, y + 1.4, w, 0.9, "\n".join(t for t in (exact, extra) if t), 18),
        ]
        notes.append(f"{charts.metric_label(key)}: {exact or big}")
    return Slide(f"Angka utama — {scope.context.region_name}", items, "\n".join(notes))


def kpi_texts(
    row: pd.Series, key: str, base: str | None, words: str | None, scope: DeckScope
) -> tuple[str, str, str]:
    """(headline, exact value, conversion) for one card, in Indonesian formats."""
    value = row[key]
    if pd.isna(value):
        return scope.hidden, "", "jumlah kecil disembunyikan"
    if key == "paid_idr":
        return formatting.rupiah_compact(value), formatting.rupiah(value), ""
    extra = ""
    if base and not pd.isna(row[base]) and row[base]:
        extra = f"{formatting.percent(value / row[base])} {words}"
    return formatting.compact(value), f"{formatting.number(value)} orang", extra


def map_slide(scope: DeckScope) -> Slide:
    """Registrants per 1,000: provinces for the nation, the province's regencies otherwise.
    The map fills the whole content area (issue #13: ≥ 70% of it is map)."""
    province = scope.filters.province
    level: Level = "province" if province is None else "regency"
    values = scope.figures.region_metrics(scope.filters, level)
    png = slide_map_png(values, level, MAP_METRIC, BODY_SIZE, province, scope.filters.regency)
    where = region_name(province or NATION_CODE)
    title = f"Peta: {charts.metric_label(MAP_METRIC).lower()} — {where}"
    notes = f"{scope.context.filters_text}\n{_map_notes(values, level, scope)}"
    return Slide(title, [_picture(png)], notes=notes)


def _map_notes(values: pd.DataFrame, level: str, scope: DeckScope) -> str:
    top = values.sort_values(MAP_METRIC, ascending=False).head(5)
    listed = "; ".join(
        f"{n}: {formatting.number(v, 1)}" for n, v in zip(top["name"], top[MAP_METRIC], strict=True)
    )
    return f"Tertinggi ({charts.metric_label(MAP_METRIC)}): {listed}"


def district_frame(scope: DeckScope) -> pd.DataFrame:
    """The kecamatan of the deck's regency (without the unknown row), protected inside it."""
    regency = scope.filters.with_region(scope.filters.region[:4])
    values = scope.figures.district_metrics(regency)
    return values[values["known"]].reset_index(drop=True)


def district_map_slide(scope: DeckScope) -> Slide:
    """The regency's kecamatan by their share of its registrants (no kecamatan population,
    so no rate per 1,000 people), the chosen kecamatan outlined."""
    metric = DEFAULT_DISTRICT_METRIC.key
    values = district_frame(scope)
    regency = scope.filters.region[:4]
    png = slide_map_png(values, "district", metric, BODY_SIZE, regency, scope.filters.district)
    title = f"Peta kecamatan: {charts.metric_label(metric).lower()} — {region_name(regency)}"
    top = values.sort_values(metric, ascending=False).head(5)
    listed = "; ".join(
        f"{name}: {formatting.percent(value)}"
        for name, value in zip(top["name"], top[metric], strict=True)
    )
    notes = f"{scope.context.filters_text}\nTertinggi: {listed}"
    return Slide(title, [_picture(png)], notes=notes)


def trend_series(scope: DeckScope) -> pd.DataFrame:
    """Weekly counts, small counts hidden at every level."""
    return scope.figures.weekly_series(scope.filters)


def trend_slide(scope: DeckScope) -> Slide:
    series = trend_series(scope)
    shown = list(PEOPLE_METRICS)
    png = slide_charts.trend_png(series, shown, BODY_SIZE, scope.threshold)
    notes = "\n".join(
        f"{charts.short_date(r.week_start)}: "
        + ", ".join(f"{charts.metric_label(m)} {_count_text(getattr(r, m), scope)}" for m in shown)
        for r in series.itertuples()
    )
    return Slide(f"Tren mingguan — {scope.context.region_name}", [_picture(png)], notes)


def funnel_frame(scope: DeckScope) -> pd.DataFrame:
    """The funnel's stages with people (None when suppressed) and share of the stage before."""
    row = totals_row(scope)
    people = [row[stage] for stage, _ in metrics.FUNNEL_STAGES]
    shares = [float("nan")] + [
        float("nan") if pd.isna(now) or pd.isna(before) or not before else now / before
        for now, before in zip(people[1:], people[:-1], strict=True)
    ]
    return pd.DataFrame(
        {
            "label": [label for _, label in metrics.FUNNEL_STAGES],
            "people": [None if pd.isna(p) else float(p) for p in people],
            "people_text": [_count_text(p, scope) for p in people],
            "share_of_previous": shares,
        }
    )


def funnel_slide(scope: DeckScope) -> Slide:
    frame = funnel_frame(scope)
    png = slide_charts.funnel_png(frame, BODY_SIZE)
    notes = "\n".join(
        f"{lab}: {txt}" for lab, txt in zip(frame["label"], frame["people_text"], strict=True)
    )
    return Slide(f"Corong peserta — {scope.context.region_name}", [_picture(png)], notes)


def breakdown_frame(scope: DeckScope, dimension: str) -> tuple[pd.DataFrame, str]:
    """One breakdown and its metric, small counts hidden (every count column)."""
    metric = BREAKDOWN_METRIC.get(dimension, "registrants")
    return scope.figures.breakdown(scope.filters, dimension), metric


def shown_dimensions(scope: DeckScope, dimensions: Sequence[str]) -> list[str]:
    """The breakdowns the region has: a kecamatan's tables keep no platform or partner."""
    if scope.filters.district:
        return [d for d in dimensions if d in metrics.DISTRICT_BREAKDOWNS]
    return list(dimensions)


def breakdown_slide(scope: DeckScope, title: str, dimensions: Sequence[str]) -> Slide:
    """Up to four small bar charts in a 2×2 grid."""
    cell_w, cell_h = BODY_W / 2, (BODY_BOTTOM - BODY_TOP) / 2
    items: list[SlideItem] = []
    notes: list[str] = []
    for index, dimension in enumerate(shown_dimensions(scope, dimensions)):
        frame, metric = breakdown_frame(scope, dimension)
        heading = f"{BREAKDOWN_TITLES[dimension]}: {charts.metric_label(metric).lower()}"
        size = (cell_w - 0.2, cell_h - 0.1)
        png = slide_charts.breakdown_png(frame, metric, heading, scope.hidden, size)
        x = MARGIN + (index % 2) * cell_w
        y = BODY_TOP + (index // 2) * cell_h
        items.append(Picture(x + 0.05, y, *size, png))
        cells = ", ".join(
            f"{label} {_count_text(value, scope)}"
            for label, value in zip(frame["label"], frame[metric], strict=True)
        )
        notes.append(f"{BREAKDOWN_TITLES[dimension]} ({charts.metric_label(metric)}): {cells}")
    return Slide(f"{title} — {scope.context.region_name}", items, "\n".join(notes))


def compare_slide(scope: DeckScope, compare: Sequence[str]) -> Slide:
    """Side-by-side figures for the chosen provinces and the nation, small counts hidden."""
    base = scope.filters.with_region(NATION_CODE)
    frame = scope.figures.region_metrics(base, "province").set_index("code")
    nation = with_rates(
        scope.figures.totals(base).to_frame().T.assign(population=frame["population"].sum())
    ).iloc[0]
    rows = [frame.loc[code] for code in compare if code in frame.index]
    header = [
        "Wilayah",
        "Pendaftar",
        "Penerima",
        "Per 1.000 penduduk",
        "Penerima/pendaftar",
        "Penyelesaian",
    ]
    cells = [
        [
            str(name),
            formatting.number(r["registrants"]),
            formatting.number(r["recipients"]),
            formatting.number(r["registrants_per_1000"], 1),
            formatting.percent(r["recipient_rate"]),
            formatting.percent(r["completion_rate"]),
        ]
        for name, r in [*((r["name"], r) for r in rows), ("Indonesia", nation)]
    ]
    table = Table(
        MARGIN, BODY_TOP + 0.1, BODY_W, header, cells, [0.28, 0.15, 0.14, 0.15, 0.15, 0.13], 16, 0.5
    )
    notes = "\n".join("; ".join(row) for row in cells)
    return Slide("Perbandingan provinsi", [table], notes)


def priority_frame(scope: DeckScope) -> tuple[pd.DataFrame, str]:
    """Regencies of the province vs the province (provinces vs the nation for ``ID``), with
    small counts hidden before any rate is computed."""
    province = scope.filters.province
    if province is None:
        regions = scope.figures.region_metrics(scope.filters, "province")
        reference_filters, name = scope.filters, "nasional"
    else:
        regions = scope.figures.region_metrics(scope.filters, "regency")
        reference_filters, name = scope.filters.with_region(province), "provinsi"
    reference = with_rates(
        scope.figures.totals(reference_filters)
        .to_frame()
        .T.assign(population=regions["population"].sum())
    ).iloc[0]
    ranked = priorities.outreach_priorities(regions, reference, name)
    ranked.attrs["reference"] = reference.to_dict()
    return ranked, name


def reference_text(ranked: pd.DataFrame) -> str:
    reference = ranked.attrs["reference"]
    return (
        f"{formatting.number(reference['registrants_per_1000'], 1)} per 1.000 penduduk, "
        f"{formatting.percent(reference['recipient_rate'])} penerima per pendaftar"
    )


def priority_slide(scope: DeckScope, limit: int = 7) -> Slide:
    ranked, reference_name = priority_frame(scope)
    scope_name = region_name(scope.filters.province or NATION_CODE)
    intro = f"Diurutkan menurut kesenjangan; acuan {reference_name}: {reference_text(ranked)}."
    shown = priorities.display_frame(ranked, limit)
    header = ["Wilayah", "Per 1.000 penduduk", "Penerima per pendaftar", "Alasan"]
    return _priority_table_slide(f"Prioritas sosialisasi — {scope_name}", intro, shown, header)


def district_priority_slide(scope: DeckScope, limit: int = 7) -> Slide:
    """Prioritas kecamatan: the regency's kecamatan ranked by their conversion and
    completion gaps against the regency, in the form of the regency priorities."""
    regency = scope.filters.with_region(scope.filters.region[:4])
    values = scope.figures.district_metrics(regency)
    ranked, reference = priorities.district_priorities(
        values, scope.figures.totals(regency), "kabupaten/kota"
    )
    gaps = priorities.DISTRICT_GAPS
    acuan = ", ".join(f"{gap.format(reference[gap.column])} {gap.words}" for gap in gaps)
    intro = f"Diurutkan menurut kesenjangan; acuan kabupaten/kota: {acuan}."
    shown = priorities.display_frame(ranked, limit, picked=scope.filters.district, gaps=gaps)
    header = ["Kecamatan", "Penerima per pendaftar", "Penyelesaian pelatihan", "Alasan"]
    title = f"Prioritas kecamatan — {region_name(regency.region)}"
    return _priority_table_slide(title, intro, shown, header)


def _priority_table_slide(title: str, intro: str, shown: pd.DataFrame, header: list[str]) -> Slide:
    """A priority ranking as a slide: the reference in one line, then region, its two rates
    and the reason (``shown`` as :func:`priorities.display_frame` gives it)."""
    columns = [c for c in shown.columns if c != priorities.DISPLAY_COLUMNS["gap_score"]]
    rows = [[str(value) for value in row] for row in shown[columns].itertuples(index=False)]
    table = Table(MARGIN, 1.65, BODY_W, header, rows, [0.22, 0.12, 0.14, 0.52], 14, 0.62)
    items: list[SlideItem] = [Text(MARGIN, 1.12, BODY_W, 0.45, intro, 15, color="555555"), table]
    notes = "\n".join(f"{r[0]}: {r[3]}" for r in rows)
    return Slide(title, items, notes)


def note_lines(scope: DeckScope) -> list[str]:
    """Definitions, the filters, the source and the suppression rule, in words."""
    context = scope.context
    return [
        *DEFINITIONS,
        "",
        f"Wilayah: {context.region_name}. Filter: {context.filters_text}.",
        f"{context.as_of_text}. {context.source_line}.",
        f"Jumlah di bawah {scope.threshold} ditampilkan sebagai "
        f'"{scope.hidden}" (beserta sel pelengkap), termasuk rasio yang dihitung darinya.',
        *([context.quality_note] if context.quality_note else []),
    ]


def notes_slide(scope: DeckScope, missing: str = "") -> Slide:
    """Definitions and data notes; ``missing`` says why a slide was left out."""
    context = scope.context
    lines = [*note_lines(scope), *([missing] if missing else [])]
    items: list[SlideItem] = [Text(MARGIN, BODY_TOP, BODY_W, 4.95, "\n".join(lines), 16)]
    if context.synthetic:
        label = "DATA SINTETIS: semua angka adalah rekaan untuk demo, bukan data program."
        items.append(Text(MARGIN, 6.3, BODY_W, 0.5, label, 18, True, RED))
    return Slide("Catatan data", items, "\n".join(lines))
