"""The deck's "Dampak sosialisasi" slide: the region's weekly registrations of the latest
event's primary measure with its outreach events marked, that event's pre-trend check, which
registrants are counted, and what the latest events did, in words.

The agenda is read from the application database. When it holds no event for the region the
slide says so; when it cannot be used (unreachable, a bad URL, an unknown schema) this raises
:class:`AgendaUnavailableError` and the deck is built without the slide, saying why.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from dashboard import outreach_view
from dashboard.exports.files import chart_png
from dashboard.exports.slides import MARGIN, PAGE_W, Picture, Slide, SlideItem, Text
from geo.regions import region_name
from outreach import effect
from outreach.events import Event
from outreach.storage import Agenda
from queries import metrics
from queries.filters import Filters

if TYPE_CHECKING:
    from dashboard.exports.context import DeckScope

BODY_W = PAGE_W - 2 * MARGIN
LATEST = 3


def outreach_slide(scope: DeckScope) -> Slide:
    """The slide, or :class:`AgendaUnavailableError` when the agenda cannot be read."""
    title = f"Dampak sosialisasi — {scope.context.region_name}"
    agenda = Agenda()
    try:
        events = agenda.migrate().events(scope.filters.region)
        everyone = agenda.events()
    finally:
        agenda.dispose()
    if not events:
        words = f"Belum ada kegiatan sosialisasi tercatat untuk {scope.context.region_name}."
        return Slide(title, [Text(MARGIN, 1.4, BODY_W, 1.0, words, 20)], words)
    today = date.today()
    past = sorted((e for e in events if not e.is_planned(today)), key=lambda e: e.start_date)
    latest = past[-LATEST:][::-1]
    scope_fields = effect.population(scope.filters)
    found = effect.effects_from_store(scope.store, latest, everyone, today, scope_fields)
    primary = [_primary(event, found) for event in latest]
    lines = [
        f"{outreach_view.title(event)}: "
        + (
            outreach_view.sentence(main, scope.threshold)
            if main is not None
            else outreach_view.outside_scope(event)
        )
        for event, main in zip(latest, primary, strict=True)
    ]
    measure, chosen = effect.chart_filters((latest or events)[0], scope.filters)
    words = "\n".join([outreach_view.scope_text(scope.filters), *lines])
    chart = outreach_view.impact_chart(
        _weekly(scope, chosen), events, today, effect.MEASURES[measure][0], width=520, height=170
    )
    half = BODY_W / 2 - 0.1
    items: list[SlideItem] = [Picture(MARGIN, 1.15, half, 2.5, chart_png(chart))]
    study = next((main for main in primary if main is not None and main.weekly_gap), None)
    if study is not None:  # the latest judged event's pre-trend check, beside the trend
        event = next(e for e in latest if e.id == study.event_id)
        named = f"Cek tren sebelum kegiatan: {region_name(event.regency_code)}"
        pre_trend = outreach_view.event_study_chart(study, width=520, height=150, title=named)
        items.append(Picture(MARGIN + half + 0.2, 1.15, half, 2.5, chart_png(pre_trend)))
    items.append(Text(MARGIN, 3.75, BODY_W, 3.05, words, 12))
    return Slide(title, items, words)


def _primary(event: Event, found: list[effect.Effect]) -> effect.Effect | None:
    return next((f for f in found if f.event_id == event.id and f.primary), None)


def _weekly(scope: DeckScope, chosen: Filters) -> pd.DataFrame:
    """The region's weekly series of one measure, among the deck's population filters."""
    weekly = metrics.weekly_series(scope.store, chosen)
    return outreach_view.protected_weekly(weekly[["week_start", "registrants"]], scope.threshold)
