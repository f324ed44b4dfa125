"""Indonesian number, money, percentage, date and time formats (Babel, locale ``id_ID``).

Used on screen, in map tooltips and legends, and in every export, so a figure reads the same
everywhere: ``849.921``, ``15,9 juta``, ``Rp600.000``, ``Rp1,2 miliar``, ``12,3%``,
``3 September 2020``, ``29 November 2026 02.50 WIB``. Times are always shown in WIB with the
zone written, whatever the server's clock is set to.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pandas as pd
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import (
    NumberPattern,
    format_compact_decimal,
    format_decimal,
    format_percent,
    parse_pattern,
)

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # typing has it from Python 3.13

LOCALE = Locale.parse("id_ID")
"""Parsed once: Babel parses a locale name, and a pattern text, again on every call, which
was most of the cost of the thousands of figures a first view formats (py-spy)."""
WIB = ZoneInfo("Asia/Jakarta")
NO_DATA = "–"


def _missing(value: float | None) -> TypeIs[None]:
    """None, a suppressed ``pd.NA`` or NaN; mypy reads False as "a number" (``TypeIs``)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


@functools.cache
def _pattern(text: str) -> NumberPattern:
    return parse_pattern(text)


def hidden_count() -> str:
    """A count hidden by small-cell suppression (``pd.NA`` in a count column): ``<10``."""
    from dashboard.settings import suppression_threshold

    return f"<{suppression_threshold()}"


def number(value: float | None, decimals: int = 0) -> str:
    """``849921`` → ``849.921``; ``12.345, 1`` → ``12,3``; a suppressed count → ``<10``."""
    if value is pd.NA:
        return hidden_count()
    if _missing(value):
        return NO_DATA
    pattern = _pattern("#,##0" + ("." + "0" * decimals if decimals else ""))
    return format_decimal(value, format=pattern, locale=LOCALE)


def compact(value: float | None) -> str:
    """Large counts for headlines: ``15900000`` → ``15,9 juta``; below 10.000 exact."""
    if value is pd.NA:
        return hidden_count()
    if _missing(value):
        return NO_DATA
    if abs(value) < 10_000:
        return number(value)
    return format_compact_decimal(value, format_type="long", locale=LOCALE, fraction_digits=1)


def axis_count(value: float) -> str:
    """Count axis ticks as the Altair charts write them: exact below a million (``1.500``),
    then short (``1,5 jt``, ``1,2 M``) to keep the axis narrow."""
    if abs(value) < 1_000_000:
        return number(value)
    return format_compact_decimal(value, format_type="short", locale=LOCALE, fraction_digits=1)


def rupiah(value: float | None) -> str:
    """``600000`` → ``Rp600.000``."""
    return NO_DATA if _missing(value) else "Rp" + number(value)


def rupiah_compact(value: float | None) -> str:
    """``1200000000`` → ``Rp1,2 miliar``."""
    return NO_DATA if _missing(value) else "Rp" + compact(value)


def rate_per_1000(value: float | None) -> str:
    """Any figure per 1,000 population, always with two decimals: one precision for the
    measure on every screen and file (``57,33``), and small weekly classes still differ."""
    if _missing(value):
        return NO_DATA
    return number(value, 2)


def percent(value: float | None, decimals: int = 1) -> str:
    """A share 0–1: ``0.1234`` → ``12,3%``."""
    if _missing(value):
        return NO_DATA
    pattern = _pattern("#,##0" + ("." + "0" * decimals if decimals else "") + "%")
    return format_percent(value, format=pattern, locale=LOCALE)


def long_date(value: date | str) -> str:
    """``3 September 2020`` (also from an ISO text such as ``"2020-09-03"``)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, "d MMMM y", locale=LOCALE)


@functools.lru_cache(maxsize=4096)
def short_date(value: date) -> str:
    """``6 Apr 2020``: chart tooltips, where space is short; kept, as the period slider
    names every day of the programme on every view."""
    return format_date(value, "d MMM y", locale=LOCALE)


def day_month(value: date) -> str:
    """``6 Apr``: axis ticks, where the year is in the title."""
    return format_date(value, "d MMM", locale=LOCALE)


def period(first: date | str, last: date | str) -> str:
    """``11 April 2020 – 3 September 2020``: every period on screen and in exports."""
    return f"{long_date(first)} – {long_date(last)}"


def in_wib(value: datetime | str) -> datetime:
    """The moment in WIB. A time without a zone is UTC (what the store and replica write)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(WIB)


def timestamp(value: datetime | str) -> str:
    """``29 November 2026 02.50 WIB``: as-of, refresh and export times, on screen and in files."""
    return format_datetime(in_wib(value), "d MMMM y HH.mm", locale=LOCALE) + " WIB"


def signed_percent(value: float | None) -> str:
    """A change against the previous period: ``+12,3%`` or ``−4,0%``."""
    if _missing(value):
        return NO_DATA
    sign = "+" if value >= 0 else "−"
    return sign + percent(abs(value))


_MARKUP = re.compile(r"([!-/:-@\[-`{-~])")
"""Every ASCII punctuation character: CommonMark lets each be escaped with a backslash."""
_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")
"""Where GitHub-flavoured Markdown turns bare text into a link (``http://…``, ``www.…``, an
e-mail address): it finds them in the text after escapes are read, so escaping is no help."""
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """Text a person typed (a note, an organiser, an e-mail) as Markdown that shows that
    text: Streamlit renders table cells, messages and captions as Markdown, so a typed
    ``![x](http://host/b.png)`` would make every viewer's browser fetch it and a link would
    be clickable. Every punctuation character is escaped (no image, link, emphasis, HTML,
    ``:color[…]`` or ``$…$`` is left to recognise), and an invisible word joiner goes into
    each ``://``, ``www.`` and ``@`` so no bare URL or address becomes a link either."""
    broken = _AUTOLINK.sub(lambda found: found[0][0] + WORD_JOINER + found[0][1:], str(text))
    return _MARKUP.sub(r"\\\1", broken).replace("\n", "  \n")


def change(now: float, before: float | None) -> float | None:
    """Relative change; None when there is no previous period, it was zero, or either count
    is hidden (a change against a hidden count would reveal it). The KPI cards and the
    report e-mails word it with :func:`signed_percent`."""
    if before is None or pd.isna(before) or pd.isna(now) or before == 0:
        return None
    return float((now - before) / before)
