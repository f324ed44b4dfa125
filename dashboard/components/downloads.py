"""Download buttons for charts, maps, the presenter's deck and the offline files.

Files are generated only when asked for: chart and map files through callables that Streamlit
runs on click, the deck after a "Siapkan" button (it takes a few seconds), so page loads stay
fast. Every download is written to the export log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from dashboard.charts import Spec, chart_empty_reason
from dashboard.exports.context import ExportContext
from dashboard.exports.deck import build_deck, build_deck_pdf
from dashboard.exports.files import chart_png, chart_svg, table_csv, table_xlsx
from dashboard.exports.html_report import build_html_report
from dashboard.exports.log import log_export
from dashboard.exports.static_map import map_png, map_svg
from dashboard.exports.timelapse import build_timelapse_gif, build_timelapse_mp4
from dashboard.metric_options import BY_KEY
from dashboard.settings import suppression_threshold
from geo.boundaries import AnyLevel
from queries.filters import Filters
from queries.store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _user() -> str:
    """Who is exporting: the signed-in e-mail when authentication is on, else anonymous."""
    try:
        return str(st.user.get("email") or "anonim")
    except Exception:  # st.user raises when authentication is not configured
        return "anonim"


LEVEL_WORDS: dict[AnyLevel, str] = {
    "province": "provinsi",
    "regency": "kabupaten",
    "district": "kecamatan",
}
"""Map levels as file names say them (the names a Pemda official sees are Indonesian)."""


def _slug(text: str) -> str:
    """A file-name part from Indonesian words: ``Pendaftar per 1.000 penduduk`` →
    ``pendaftar-per-1000-penduduk`` (the thousands dot dropped, not made a hyphen)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace(".", "")).strip("-") or "ekspor"


def map_file_name(metric: str, level: AnyLevel, focus_province: str | None) -> str:
    """``peta-pendaftar-per-1000-penduduk-kabupaten-32``: the measure and level in Bahasa."""
    return _slug(f"peta-{BY_KEY[metric].label}-{LEVEL_WORDS[level]}-{focus_province or 'nasional'}")


def _logged(
    make: Callable[[], bytes | str], kind: str, filters: Filters | str, region: str, user: str
) -> Callable[[], bytes | str]:
    """Wrap a file builder so the export is logged when the file is actually generated."""

    def build() -> bytes | str:
        content = make()
        log_export(user, kind, filters, region)
        return content

    return build


FileSpec = tuple[str, str, str, Callable[[], bytes | str]]
"""(button label, file extension, MIME type, builder called only when the user downloads)."""


def _download_row(
    files: Sequence[FileSpec],
    name: str,
    kind: str,
    log_filters: Filters | str,
    region: str,
) -> None:
    """One row of download buttons; each file is built and logged only when clicked.

    A horizontal container, not ``st.columns``: a column per button made the rows of a Daerah
    Saya view 48 of its 158 elements, each sent, laid out and re-rendered on every filter
    change (issue #23, ``bench.filter_latency``); on a phone the buttons share a line."""
    user = _user()  # read here, once: st.* calls inside the deferred builders are ignored
    row = st.container(horizontal=True, gap="small")
    for label, ext, mime, make in files:
        row.download_button(
            label,
            data=_logged(make, f"{kind}-{ext}", log_filters, region, user),
            file_name=f"{name}.{ext}",
            mime=mime,
            key=f"unduh_{name}_{ext}",
            on_click="ignore",
            width="stretch",
        )


def render_chart_downloads(
    chart: Spec,
    data: pd.DataFrame,
    name: str,
    context: ExportContext,
    filters: Filters | None = None,
) -> None:
    """A row of buttons: PNG (2×), SVG, CSV, XLSX of one chart and its table."""
    region = context.region_code
    threshold = suppression_threshold()
    log_filters = filters or context.filters_text
    files: Sequence[FileSpec] = (
        ("PNG", "png", "image/png", lambda: chart_png(chart, 2, context)),
        ("SVG", "svg", "image/svg+xml", lambda: chart_svg(chart, context)),
        ("CSV", "csv", "text/csv", lambda: table_csv(data, context, threshold)),
        ("XLSX", "xlsx", XLSX, lambda: table_xlsx(data, context, threshold)),
    )
    if chart_empty_reason(chart):  # no picture of an empty chart: the table says what there is
        files = files[2:]
    _download_row(files, _slug(name), "grafik", log_filters, region)


def render_table_downloads(frame: pd.DataFrame, name: str, context: ExportContext) -> None:
    """CSV and XLSX of one table (hidden counts stay hidden, with the context lines)."""
    threshold = suppression_threshold()
    files = (
        ("CSV", "csv", "text/csv", lambda: table_csv(frame, context, threshold)),
        ("XLSX", "xlsx", XLSX, lambda: table_xlsx(frame, context, threshold)),
    )
    _download_row(files, _slug(name), "tabel", context.filters_text, context.region_code)


def render_map_image_downloads(
    values: pd.DataFrame,
    level: AnyLevel,
    metric: str,
    context: ExportContext,
    focus_province: str | None = None,
    filters: Filters | None = None,
) -> None:
    """Buttons for the static map (1920×1080 PNG for slides, SVG for print)."""
    log_filters = filters or context.filters_text
    name = map_file_name(metric, level, focus_province)
    files = map_files(values, level, metric, context, focus_province, filters)
    _download_row(files, name, "peta", log_filters, context.region_code)


def map_files(
    values: pd.DataFrame,
    level: AnyLevel,
    metric: str,
    context: ExportContext,
    focus_province: str | None = None,
    filters: Filters | None = None,
) -> tuple[FileSpec, FileSpec]:
    """The static map's PNG and SVG, the chosen regency (or, on a kecamatan map, kecamatan)
    outlined as on the screen's map, the deck, the offline report and the time-lapse."""
    highlight = None
    if filters is not None:
        highlight = filters.district if level == "district" else filters.regency
    return (
        (
            "Peta PNG",
            "png",
            "image/png",
            lambda: map_png(values, level, metric, context, focus_province, highlight),
        ),
        (
            "Peta SVG",
            "svg",
            "image/svg+xml",
            lambda: map_svg(values, level, metric, context, focus_province, highlight),
        ),
    )


def render_deck_button(
    store: Store, filters: Filters, region_code: str, compare: Sequence[str] = ()
) -> None:
    """ "Siapkan salindia" builds the PPTX and PDF (with progress), then offers both."""
    key = _slug(f"salindia-{region_code}-{'-'.join(compare)}")
    if not st.button(
        "Siapkan salindia presentasi (PPTX dan PDF)",
        key=f"siapkan_{key}",
        help="Membuat salindia untuk wilayah dan filter ini; butuh beberapa detik.",
    ):
        return
    user = _user()
    with st.status("Menyiapkan salindia…", expanded=False) as status:
        status.write("Membuat PowerPoint…")
        pptx = build_deck(store, filters, region_code, tuple(compare))
        log_export(user, "salindia-pptx", filters, region_code)
        status.write("Membuat PDF…")
        pdf = build_deck_pdf(store, filters, region_code, tuple(compare))
        log_export(user, "salindia-pdf", filters, region_code)
        status.update(label="Salindia siap diunduh", state="complete")
    left, right = st.columns(2)
    left.download_button(
        "Unduh PPTX",
        pptx,
        f"{key}.pptx",
        PPTX,
        key=f"unduh_{key}_pptx",
        on_click="ignore",
        width="stretch",
    )
    right.download_button(
        "Unduh PDF",
        pdf,
        f"{key}.pdf",
        "application/pdf",
        key=f"unduh_{key}_pdf",
        on_click="ignore",
        width="stretch",
    )


def render_offline_downloads(store: Store, filters: Filters, region_code: str) -> None:
    """The single-file HTML report (opens with no internet) and the time-lapse map as GIF
    and MP4, each built when clicked (a few seconds)."""
    files = (
        (
            "Laporan HTML luring",
            "html",
            "text/html",
            lambda: build_html_report(store, filters, region_code),
        ),
        (
            "Peta selang waktu (GIF)",
            "gif",
            "image/gif",
            lambda: build_timelapse_gif(store, filters, region_code),
        ),
        (
            "Peta selang waktu (MP4)",
            "mp4",
            "video/mp4",
            lambda: build_timelapse_mp4(store, filters, region_code),
        ),
    )
    name = _slug(f"laporan-{region_code}")
    _download_row(files, name, "luring", filters, region_code)
