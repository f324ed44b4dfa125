"""The app's access to the agenda (application database) and to outreach effects.

The agenda database is opened (and migrated) once per process. Reads that fail because the
database cannot be reached fall back to the last list this process read, with the reason,
so every screen keeps working and the agenda turns read-only with a banner. Effects are
cached per store version and agenda contents.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import access, data
from outreach import effect
from outreach.events import Event
from outreach.storage import Agenda, AgendaUnavailableError, Editor, default_url
from queries.filters import Filters


@dataclass
class _LastKnown:
    """The last successful read per region, kept for when the database goes away."""

    events: dict[str, list[Event]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource(show_spinner=False)
def _last_known(url: str) -> _LastKnown:
    return _LastKnown()


@st.cache_resource(show_spinner=False, ttl=30)
def _open(url: str) -> Agenda:
    """Open and migrate once; retried after 30 s if the database was unreachable."""
    agenda = Agenda(url).migrate()
    if data.is_synthetic():
        agenda.seed_demo(date.today())
    return agenda


def agenda() -> Agenda:
    """The agenda, or :class:`AgendaUnavailableError`."""
    try:
        return _open(default_url())
    except AgendaUnavailableError:
        _open.clear()
        raise


@dataclass(frozen=True)
class Listing:
    events: list[Event]
    problem: str | None = None
    """Why the list may be stale (the database is unreachable); None when live."""

    @property
    def read_only(self) -> bool:
        return self.problem is not None


def events(region: str) -> Listing:
    """Events in a region (``ID``, province or regency), live or last known."""
    memory = _last_known(default_url())
    try:
        found = agenda().events(region)
    except AgendaUnavailableError as error:
        with memory.lock:
            return Listing(list(memory.events.get(region, [])), str(error))
    with memory.lock:
        memory.events[region] = found
    return Listing(found)


def last_event_dates(province: str) -> dict[str, date]:
    """Per regency: the first day of its latest event so far (from the last known list
    when the agenda is down)."""
    latest: dict[str, date] = {}
    for event in events(province).events:
        if not event.is_planned(date.today()):
            latest[event.regency_code] = max(
                event.start_date, latest.get(event.regency_code, event.start_date)
            )
    return latest


def editor(scope: access.Scope) -> Editor:
    """Who writes: the signed-in e-mail, or the open dashboard's anonymous user."""
    who = st.user.get("email") if access.auth_configured() else None
    return Editor(who or "tanpa login (dasbor terbuka)", scope.code)


@st.cache_data(show_spinner=False, max_entries=64)
def _effects(version: str, events: tuple[Event, ...], others: tuple[Event, ...]) -> list:
    return effect.effects_from_store(data.store(), events, others, date.today())


def effects(found: list[Event]) -> list[effect.Effect]:
    """Effects of the given events, compared against regencies free of every known event."""
    others = tuple(events("ID").events) or tuple(found)
    return _effects(data.store_version(), tuple(found), others)


def weekly_measure(filters: Filters, measure: str) -> pd.DataFrame:
    """The region's weekly series of one measure (registrants column)."""
    fields = effect.MEASURES[measure][1]
    cleared = {"channels": (), "genders": (), "age_bands": (), "disability": None}
    chosen = replace(filters, **{**cleared, **fields})
    return data.weekly_series(chosen)[["week_start", "registrants"]]
