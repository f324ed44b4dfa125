"""The single-file offline report: one HTML file per region that opens from a USB stick.

Everything is inside the file: Leaflet's script and style, the region map (folium's GeoJSON),
the key figures, the charts as inline SVG, the outreach priorities and the data notes. Nothing
is fetched from a network, and the file says ``DATA SINTETIS`` when the data is synthetic.
The numbers come from the same scope as the deck (:func:`dashboard.exports.deck.deck_scope`),
so regency reports are suppressed exactly like regency decks.
"""

from __future__ import annotations

import html
from importlib import resources

import folium
import pandas as pd
from branca.element import Element, Figure

from dashboard import charts, formatting, priorities
from dashboard.exports import deck
from dashboard.exports.context import SYNTHETIC_LABEL
from dashboard.exports.files import chart_svg
from dashboard.metric_options import BREAKDOWN_TITLES, DEFAULT_DISTRICT_METRIC, NO_POPULATION_NOTE
from geo.boundaries import Level
from geo.maps import choropleth_map, remote_assets
from geo.regions import NATION_CODE, region_name
from queries import metrics
from queries.filters import Filters
from queries.metrics import PEOPLE_METRICS
from queries.store import Store
from queries.suppression import ProtectedFigures, hidden_figures

ASSET_PLACEHOLDER = "inline-asset:/"
PRIORITY_ROWS = 10
CSS = """
body{font-family:Arial,'Liberation Sans',Helvetica,sans-serif;margin:0;color:#222;
background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:16px 20px 40px;background:#fff}
h1{font-size:28px;margin:8px 0}h2{font-size:21px;margin:28px 0 8px;
border-bottom:2px solid #2c7fb8;padding-bottom:4px}
.context{color:#555;margin:2px 0}
.synthetic{color:#c00000;font-weight:bold;font-size:18px;border:2px solid #c00000;
padding:6px 10px;margin:10px 0;display:inline-block}
.stamp{position:fixed;top:8px;right:8px;z-index:2000;background:#c00000;color:#fff;
font-weight:bold;padding:4px 10px;border-radius:3px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px}
.kpi{border:1px solid #ddd;border-radius:6px;padding:10px 12px}
.kpi .label{color:#555}.kpi .big{font-size:30px;font-weight:bold;color:#2c7fb8}
.kpi .exact,.kpi .extra{font-size:14px}
.folium-map{height:520px!important;width:100%!important;border:1px solid #ddd}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr));gap:12px}
.chart svg{max-width:100%;height:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#2c7fb8;color:#fff}
@media print{.stamp{position:absolute}.folium-map{page-break-inside:avoid}}
@media (max-width:640px){main{padding:12px 10px 32px}.folium-map{height:420px!important}
table{font-size:13px}th,td{padding:4px;overflow-wrap:anywhere}
.chart{margin:0;overflow-x:auto}.chart svg{max-width:none}}
"""
# On a phone the priorities table wraps inside the screen and each chart keeps its drawn size
# (text stays readable), scrolling sideways inside its own box instead of shrinking.


def build_html_report(
    store: Store, filters: Filters, region_code: str, shared: ProtectedFigures | None = None
) -> str:
    """The whole report as one HTML document (UTF-8 text); ``shared``: a batch worker's
    figures (see :func:`dashboard.exports.deck.deck_slides`)."""
    scope = deck.deck_scope(store, filters, region_code, shared)
    page = _map(scope).get_root()
    assert isinstance(page, Figure)  # a folium.Map's root is always its Figure
    page.title = scope.context.title
    page.header.add_child(Element(f"<style>{CSS}</style>"), name="report_style")
    page.html.add_child(Element(_top(scope)), name="report_top", index=0)
    page.render()  # the map puts its <div> into the page while rendering: the rest goes after
    if _has_districts(scope):
        # a second map in the same page: its heading, then its <div> on the next render
        page.html.add_child(Element(_district_heading(scope)), name="report_districts")
        page.add_child(_district_map(scope), name="district_map")
        page.render()
    page.html.add_child(Element(_bottom(scope)), name="report_bottom")
    document = _inline_assets(page.render())
    leftover = remote_assets(document)
    if leftover or ASSET_PLACEHOLDER in document:
        raise ValueError(f"the offline report would load remote assets: {leftover}")
    return document


# --- map ----------------------------------------------------------------------------------------


def map_values(scope: deck.DeckScope) -> tuple[pd.DataFrame, Level]:
    """Registrants per 1,000 by region as drawn: provinces for the nation, else the regencies
    of the province (counts suppressed before the rate is computed, as on the deck)."""
    level: Level = "province" if scope.filters.province is None else "regency"
    return scope.figures.region_metrics(scope.filters, level), level


def _map(scope: deck.DeckScope) -> folium.Map:
    values, level = map_values(scope)
    return choropleth_map(
        values.assign(hidden=hidden_figures(values, deck.MAP_METRIC)),
        level=level,
        value_column=deck.MAP_METRIC,
        format_value=formatting.rate_per_1000,
        legend_title=charts.metric_label(deck.MAP_METRIC),
        selected_code=scope.filters.regency,
        focus_province=scope.filters.province,
        asset_base_url=ASSET_PLACEHOLDER,
        threshold=scope.threshold,
    )


def _has_districts(scope: deck.DeckScope) -> bool:
    """A regency's (or kecamatan's) report shows its kecamatan when the replica has them."""
    return scope.level in ("regency", "district") and metrics.has_district_data(scope.store)


def _district_heading(scope: deck.DeckScope) -> str:
    metric = charts.metric_label(DEFAULT_DISTRICT_METRIC.key).lower()
    regency = region_name(scope.filters.region[:4])
    return f"<h2>Peta kecamatan: {_e(metric)} — {_e(regency)}</h2><p>{_e(NO_POPULATION_NOTE)}</p>"


def _district_map(scope: deck.DeckScope) -> folium.Map:
    """The regency's kecamatan by their share of its registrants, as on the deck's slide."""
    return choropleth_map(
        deck.district_frame(scope),
        level="district",
        value_column=DEFAULT_DISTRICT_METRIC.key,
        format_value=formatting.percent,
        legend_title=charts.metric_label(DEFAULT_DISTRICT_METRIC.key),
        selected_code=scope.filters.district,
        focus_province=scope.filters.region[:4],
        asset_base_url=ASSET_PLACEHOLDER,
    )


def _inline_assets(document: str) -> str:
    """Swap the vendored Leaflet's <script src>/<link href> for the files' contents."""
    static = resources.files("dashboard") / "static"
    js = (static / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    css = (static / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    script = f'<script src="{ASSET_PLACEHOLDER}leaflet/leaflet.js"></script>'
    link = f'<link rel="stylesheet" href="{ASSET_PLACEHOLDER}leaflet/leaflet.css"/>'
    if script not in document or link not in document:
        raise ValueError("folium's asset tags changed: cannot inline Leaflet")
    return document.replace(script, f"<script>{js}</script>").replace(link, f"<style>{css}</style>")


# --- sections -----------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text))


def _top(scope: deck.DeckScope) -> str:
    """Title, context lines, stamp, key figures, and the heading above the map."""
    context = scope.context
    lines = "".join(f'<p class="context">{_e(line)}</p>' for line in context.lines()[:2])
    synthetic = ""
    if context.synthetic:
        synthetic = (
            f'<div class="stamp" data-stamp>DATA SINTETIS</div>'
            f'<p class="synthetic">{_e(SYNTHETIC_LABEL)}</p>'
        )
    where = region_name(scope.filters.province or NATION_CODE)
    return (
        f"<main><h1>{_e(context.title)}</h1>{lines}{synthetic}"
        f"<h2>Angka utama</h2>{_kpis(scope)}"
        f"<h2>Peta: {_e(charts.metric_label(deck.MAP_METRIC).lower())} — {_e(where)}</h2>"
    )


def _kpis(scope: deck.DeckScope) -> str:
    row = deck.totals_row(scope)
    cards = []
    for key, base, words in deck.KPI_CARDS:
        big, exact, extra = deck.kpi_texts(row, key, base, words, scope)
        cards.append(
            f'<div class="kpi" data-metric="{key}">'
            f'<div class="label">{_e(charts.metric_label(key).replace(" (Rp)", ""))}</div>'
            f'<div class="big">{_e(big)}</div><div class="exact">{_e(exact)}</div>'
            f'<div class="extra">{_e(extra)}</div></div>'
        )
    return f'<div class="kpis">{"".join(cards)}</div>'


def _bottom(scope: deck.DeckScope) -> str:
    """Charts, priorities and notes below the map; closes <main>."""
    return (
        f"<h2>Tren mingguan</h2>{_charts(scope, main=True)}"
        f"<h2>Rincian peserta</h2>{_charts(scope, main=False)}"
        f"<h2>Prioritas sosialisasi</h2>{_priorities(scope)}"
        f"<h2>Catatan data</h2>{_notes(scope)}</main>"
    )


def trend_chart(series: pd.DataFrame) -> charts.Spec:
    """The deck's weekly lines (every funnel stage; hidden weeks are gaps) for the page."""
    shown = list(PEOPLE_METRICS)
    plot = series.assign(**{m: series[m].astype("Float64").astype(float) for m in shown})
    return charts.weekly_chart(plot, shown, None, width=900, height=300)


def _chart(chart: charts.Spec, name: str) -> str:
    """The chart as inline SVG, or the sentence saying why it has nothing to draw."""
    reason = charts.chart_empty_reason(chart)
    if reason:
        title = chart.get("description") or ""
        return (
            f'<figure class="chart" data-chart="{name}" data-empty>'
            f"<figcaption><b>{_e(title)}</b></figcaption><p>{_e(reason)}</p></figure>"
        )
    return f'<figure class="chart" data-chart="{name}">{chart_svg(chart)}</figure>'


def _charts(scope: deck.DeckScope, main: bool) -> str:
    """Trend and funnel (``main``), or one small chart per breakdown."""
    if main:
        parts = [
            _chart(trend_chart(deck.trend_series(scope)), "trend"),
            _chart(
                charts.funnel_chart(deck.funnel_frame(scope), None, width=640, height=240), "funnel"
            ),
        ]
        return "".join(parts)
    parts = []
    for dimension in deck.shown_dimensions(scope, list(BREAKDOWN_TITLES)):
        frame, metric = deck.breakdown_frame(scope, dimension)
        heading = f"{BREAKDOWN_TITLES[dimension]}: {charts.metric_label(metric).lower()}"
        chart = charts.breakdown_chart(
            frame, metric, heading, scope.threshold, width=380, height=150
        )
        parts.append(_chart(chart, dimension))
    return f'<div class="charts">{"".join(parts)}</div>'


def _priorities(scope: deck.DeckScope) -> str:
    ranked, reference_name = deck.priority_frame(scope)
    shown = priorities.display_frame(ranked, PRIORITY_ROWS)
    intro = f"Diurutkan menurut kesenjangan; acuan {reference_name}: {deck.reference_text(ranked)}."
    header = "".join(f"<th>{_e(c)}</th>" for c in shown.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    return (
        f'<p class="context">{_e(intro)}</p>'
        f'<table data-table="priorities"><thead><tr>{header}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _notes(scope: deck.DeckScope) -> str:
    items = "".join(f"<li>{_e(line)}</li>" for line in deck.note_lines(scope) if line)
    return f"<ul>{items}</ul>"
