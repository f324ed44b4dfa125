"""The app's access to the agenda (application database) and to outreach effects.

The agenda database is opened (and migrated) once per process. Reads that fail for any
reason the storage layer names (unreachable, a bad URL, an unknown schema, a read-only or
vanished SQLite file) fall back to the last list this process read, with the reason, so
every screen keeps working and the agenda turns read-only with a banner. Without login the
agenda is read-only unless ``PRAKERJA_AGENDA_OPEN_WRITE=1`` (the open demo). Effects are
cached per store version and agenda contents.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import access, data, formatting, settings
from dashboard.cache_keys import HASH_FUNCS
from outreach import effect
from outreach.events import Event
from outreach.storage import Agenda, AgendaUnavailableError, Editor, default_url
from queries.filters import Filters

RETRY_SECONDS = 30
"""After a failure, screens use the last known list this long before trying again (a
blackholed database would otherwise cost a connect timeout on every rerun)."""


@dataclass
class _Connection:
    """The process's agenda, the last successful read per region, and the last failure."""

    agenda: Agenda | None = None
    events: dict[str, list[Event]] = field(default_factory=dict)
    failed_at: float = -math.inf
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check_retry(self) -> None:
        if time.monotonic() - self.failed_at < RETRY_SECONDS:
            raise AgendaUnavailableError(self.error)

    def failed(self, error: AgendaUnavailableError) -> None:
        self.failed_at, self.error = time.monotonic(), str(error)


@st.cache_resource(show_spinner=False)
def _connection(url: str) -> _Connection:
    return _Connection()


def agenda() -> Agenda:
    """The agenda, opened and migrated once per process (the demo agenda seeded), or
    :class:`AgendaUnavailableError`."""
    url = default_url()
    state = _connection(url)
    with state.lock:
        state.check_retry()
        if state.agenda is None:
            try:
                state.agenda = _open(url)
            except AgendaUnavailableError as error:
                state.failed(error)
                raise
        return state.agenda


def _open(url: str) -> Agenda:
    """The agenda migrated (and, for the demo, seeded) under the storage's lock."""
    opened = Agenda(url)
    try:
        return opened.migrate(demo_day=date.today() if data.is_synthetic() else None)
    except AgendaUnavailableError:
        opened.dispose()
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
    """Events in a region (``ID``, province or regency), live or last known (read-only
    also when the database can be read but not written)."""
    state = _connection(default_url())
    try:
        opened = agenda()
        opened.check_writable()
        found = opened.events(region)
    except AgendaUnavailableError as error:
        with state.lock:
            if time.monotonic() - state.failed_at >= RETRY_SECONDS:  # a new failure
                state.failed(error)
            return Listing(list(state.events.get(region, [])), state.error)
    with state.lock:
        state.events[region] = found
    return Listing(found)


def last_event_dates(region: str) -> dict[str, date]:
    """Per regency of a province, or per kecamatan of a regency (events that name one): the
    first day of its latest event so far (from the last known list when the agenda is down)."""
    latest: dict[str, date] = {}
    for event in events(region).events:
        where = event.regency_code if len(region) == 2 else event.district_code
        if where and not event.is_planned(date.today()):
            latest[where] = max(event.start_date, latest.get(where, event.start_date))
    return latest


OPEN_EDITOR = "tanpa login (dasbor terbuka)"
"""The name the audit trail gives a write on the open dashboard."""


def editor(scope: access.Scope) -> Editor:
    """Who writes: the signed-in e-mail, or the open dashboard's anonymous user."""
    who = access.signed_in_email() if access.auth_configured() else None
    return Editor(who or OPEN_EDITOR, scope.code)


def author_line(writer: Editor, scope: access.Scope) -> str:
    """Who the audit trail will name and what they may change, as one plain sentence."""
    reach = "nasional" if scope.national else f"wilayah {scope.describe()}"
    if writer.who == OPEN_EDITOR:
        return f"Anda menulis tanpa login (dasbor terbuka), dengan akses {reach}."
    return f"Anda menulis sebagai {formatting.plain(writer.who)}, dengan akses {reach}."


def write_refusal() -> str | None:
    """Why this visitor may not write, or None: without login the agenda is read-only unless
    the open demo is switched on."""
    if access.auth_configured() or settings.agenda_open_write():
        return None
    return (
        "Tanpa login, agenda hanya dapat dibaca. Untuk demo terbuka, jalankan dasbor dengan "
        "PRAKERJA_AGENDA_OPEN_WRITE=1 (seperti make run)."
    )


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=HASH_FUNCS)
def _effects(
    version: str,
    events: tuple[Event, ...],
    others: tuple[Event, ...],
    scope: tuple[tuple[str, object], ...],
) -> list:
    return effect.effects_from_store(data.store(), events, others, date.today(), dict(scope))


def effects(found: list[Event], filters: Filters | None = None) -> list[effect.Effect]:
    """Effects of the given events (among the page's population when ``filters`` are
    given), compared against regencies free of every known event."""
    others = tuple(events("ID").events) or tuple(found)
    scope = tuple(effect.population(filters).items()) if filters else ()
    return _effects(data.store_version(), tuple(found), others, scope)


def weekly_measure(filters: Filters, measure: str) -> pd.DataFrame:
    """The region's weekly series of one measure among the page's population (registrants
    column, with each week's ``days`` in the period; empty when the population excludes the
    measure)."""
    chosen = effect.measure_filters(filters, measure)
    if chosen is None:
        return pd.DataFrame({"week_start": [], "registrants": [], "days": []})
    return data.weekly_series(chosen)[["week_start", "registrants", "days"]]
