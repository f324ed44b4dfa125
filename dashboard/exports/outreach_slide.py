"""The deck's "Dampak sosialisasi" slide: the region's offline registrations per week with its
outreach events marked, and what the latest events did, in words.

The agenda is read from the application database. When it holds no event for the region the
slide says so; when it cannot be used (unreachable, a bad URL, an unknown schema) this raises
:class:`AgendaUnavailableError` and the deck is built without the slide, saying why.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from dashboard import outreach_view
from dashboard.exports.files import chart_png
from dashboard.exports.slides import MARGIN, PAGE_W, Picture, Slide, SlideItem, Text
from outreach import effect
from outreach.events import Event
from outreach.storage import Agenda
from queries import metrics

if TYPE_CHECKING:
    from dashboard.exports.context import DeckScope

BODY_W = PAGE_W - 2 * MARGIN
LATEST = 3
MEASURE = "offline"


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
    found = effect.effects_from_store(scope.store, latest, everyone, today)
    lines = [_headline_sentence(event, found, scope.threshold) for event in latest]
    chart = outreach_view.impact_chart(
        _weekly(scope), events, today, effect.MEASURES[MEASURE][0], width=900, height=230
    )
    items: list[SlideItem] = [
        Picture(MARGIN, 1.2, BODY_W, 3.3, chart_png(chart)),
        Text(MARGIN, 4.6, BODY_W, 2.3, "\n".join(lines), 13),
    ]
    return Slide(title, items, "\n".join(lines))


def _headline_sentence(event: Event, found: list[effect.Effect], threshold: int) -> str:
    measure = effect.headline_measure(event)
    main = next(f for f in found if f.event_id == event.id and f.measure == measure)
    return f"{outreach_view.title(event)}: {outreach_view.sentence(main, threshold)}"


def _weekly(scope: DeckScope) -> pd.DataFrame:
    fields: dict[str, Any] = {
        "channels": ("offline",),
        "genders": (),
        "age_bands": (),
        "disability": None,
    }
    weekly = metrics.weekly_series(scope.store, replace(scope.filters, **fields))
    return outreach_view.protected_weekly(weekly[["week_start", "registrants"]], scope.threshold)
