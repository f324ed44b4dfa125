"""Dampak sosialisasi in words, tables and one chart, for the screen and the deck alike.

Pure presentation (Vega-Lite specs, pandas, Indonesian formats): it takes the agenda's events and
``outreach.effect`` results and never queries anything. Counts below the suppression
threshold are written as ``<10``, as everywhere at regency level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import pandas as pd

from dashboard import charts, formatting
from geo.regions import districts, region_name
from outreach.effect import VERDICTS, Effect, headline_measure
from outreach.events import KINDS, TARGET_GROUPS, Event
from outreach.storage import AuditEntry
from queries.suppression import suppress, suppressed_label

EVENT_COLORS = {"Selesai": charts.ORANGE, "Direncanakan": charts.GREY}


def status(event: Event, today: date) -> str:
    return "Direncanakan" if event.is_planned(today) else "Selesai"


def period_text(event: Event) -> str:
    """``6 Juli 2020`` or ``6 Juli 2020 – 8 Juli 2020``."""
    first = formatting.long_date(event.start_date)
    if event.end_date == event.start_date:
        return first
    return f"{first} – {formatting.long_date(event.end_date)}"


def title(event: Event) -> str:
    """``Sosialisasi — Kabupaten Bogor, 6 Juli 2020 (sasaran: umum)``, or with its kecamatan
    ``… — Kecamatan Tarumajaya, Kabupaten Bekasi, …``."""
    group = TARGET_GROUPS.get(event.target_group, event.target_group).lower()
    where = region_name(event.regency_code)
    if event.district_code:
        where = f"Kecamatan {region_name(event.district_code)}"
    return f"{KINDS.get(event.kind, event.kind)} — {where}, {period_text(event)} (sasaran: {group})"


def district_choices(regency_codes: Sequence[str]) -> dict[str, str]:
    """The kecamatan of the given regencies, code → "Tarumajaya (Kabupaten Bekasi)", for the
    agenda form's optional kecamatan."""
    chosen = districts().loc[lambda d: d["regency_code"].isin(list(regency_codes))]
    return {
        code: f"{name} ({region_name(regency)})"
        for code, name, regency in zip(
            chosen["code"], chosen["name"], chosen["regency_code"], strict=True
        )
    }


def _count(value: int, threshold: int) -> str:
    return suppressed_label(threshold) if 0 < value < threshold else formatting.number(value)


def _points(value: float) -> str:
    return formatting.number(abs(value) * 100, 0)


def _band(effect: Effect) -> str:
    _, low, high = effect.points
    return f"rentang ketidakpastian {formatting.number(low * 100, 0)} s.d. " + (
        f"{formatting.number(high * 100, 0)} poin"
    )


def _change_words(change: float) -> str:
    """``naik 38%`` / ``turun 5%``."""
    if math.isnan(change):
        return "tidak dapat dihitung (tidak ada pendaftar sebelumnya)"
    word = "naik" if change >= 0 else "turun"
    return f"{word} {formatting.percent(abs(change), 0)}"


def sentence(effect: Effect, threshold: int) -> str:
    """The effect in words a Pemda official reads at a glance."""
    label = effect.label[0].upper() + effect.label[1:]
    days = effect.window_days
    if effect.verdict == "belum":
        return f"{label}: belum dapat dinilai, data {days} hari setelah kegiatan belum lengkap."
    if effect.verdict == "tidak_cukup" and effect.before + effect.after == 0:
        return f"{label}: data belum cukup untuk menilai dampak (tidak ada pembanding)."
    counts = (
        f"dari {_count(effect.before, threshold)} menjadi {_count(effect.after, threshold)} "
        f"orang dibanding {days} hari sebelumnya"
    )
    own = f"{label} {_change_words(effect.change)} dalam {days} hari sejak kegiatan ({counts})"
    points, _, _ = effect.points
    side = "di atas" if points >= 0 else "di bawah"
    versus = (
        f"sekitar {_points(points)} poin {side} {effect.controls} kabupaten/kota pembanding"
        f" ({_band(effect)})"
    )
    if effect.verdict == "naik":
        return f"{own}, {versus}. Kenaikan ini kemungkinan besar dampak kegiatan."
    if effect.verdict == "turun":
        return f"{own}, {versus}: lebih buruk daripada pembanding, bukan karena kebetulan."
    if effect.verdict == "tidak_terlihat":
        return (
            f"{own}; kabupaten/kota pembanding "
            f"{_change_words(effect.control_change)}. Tidak terlihat dampak: selisihnya "
            f"({_points(points)} poin, {_band(effect)}) bisa terjadi karena kebetulan."
        )
    return (
        f"{own}. Data belum cukup untuk menilai dampak: jumlahnya terlalu kecil, sehingga "
        f"rentang ketidakpastiannya terlalu lebar ({_band(effect)})."
    )


def headline(event: Event, effects: Sequence[Effect], today: date) -> str:
    """The short verdict on the event's main measure, for tables."""
    if event.is_planned(today):
        return "Direncanakan"
    measure = headline_measure(event)
    found = next((e for e in effects if e.event_id == event.id and e.measure == measure), None)
    if found is None:
        return "–"
    text = VERDICTS[found.verdict]
    if found.verdict in ("naik", "turun"):
        text += f" ({'+' if found.points[0] >= 0 else '−'}{_points(found.points[0])} poin)"
    return f"{found.label}: {text}"


def events_frame(events: Sequence[Event], effects: Sequence[Effect], today: date) -> pd.DataFrame:
    """One row per event with Bahasa headers, for ``st.table``: organisers and notes are
    shown exactly as typed (escaped, never read as Markdown). What, where, when and for whom
    share one column, and "Dampak" says "Direncanakan" for a planned event, so four columns
    fit a phone's width."""
    return pd.DataFrame(
        {
            "Kegiatan": [title(e) for e in events],
            "Dampak": [headline(e, effects, today) for e in events],
            "Penyelenggara": [formatting.plain(e.organiser) for e in events],
            "Catatan": [formatting.plain(e.note) for e in events],
        }
    )


def protected_weekly(weekly: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Weekly registrants with small weeks hidden (at every level, like every figure), as
    floats with NaN gaps so the impact chart draws them as breaks."""
    out = suppress(weekly, ["registrants"], threshold)
    out["registrants"] = out["registrants"].astype("Float64").astype(float)
    return out


def impact_chart(
    weekly: pd.DataFrame,
    events: Sequence[Event],
    today: date,
    measure_label: str,
    *,
    width: int = 640,
    height: int = 280,
) -> charts.Spec:
    """The weekly series of one measure, with a vertical rule at each event's first day."""
    series = weekly.assign(
        week_text=weekly["week_start"].map(charts.short_date),
        value_text=weekly["registrants"].map(formatting.number),
    )
    line = {
        "data": {"values": series},
        "mark": {
            "type": "line",
            "point": {"aria": False},
            "strokeWidth": 3,
            "color": charts.BLUE,
            "aria": False,
        },
        "encoding": {
            "x": {
                "field": "week_start",
                "type": "temporal",
                "title": "Minggu mulai",
                "axis": {"labelExpr": charts.date_label_expr()},
            },
            "y": {
                "field": "registrants",
                "type": "quantitative",
                "title": measure_label[0].upper() + measure_label[1:],
            },
            "tooltip": [
                {"field": "week_text", "type": "nominal", "title": "Minggu mulai"},
                {"field": "value_text", "type": "nominal", "title": "Jumlah"},
            ],
        },
    }
    first, last = weekly["week_start"].min(), weekly["week_start"].max() + pd.Timedelta(days=6)
    shown = [e for e in events if first <= pd.Timestamp(e.start_date) <= last]
    marks = pd.DataFrame(
        {
            "day": [pd.Timestamp(e.start_date) for e in shown],
            "status": [status(e, today) for e in shown],
            "what": [f"{KINDS.get(e.kind, e.kind)} — {period_text(e)}" for e in shown],
            "who": [e.organiser for e in shown],
        }
    )
    rules = {
        "data": {"values": marks},
        "mark": {"type": "rule", "strokeWidth": 2, "strokeDash": [6, 3], "aria": False},
        "encoding": {
            "x": {"field": "day", "type": "temporal"},
            "color": {
                "field": "status",
                "type": "nominal",
                "title": "Kegiatan",
                "scale": {"domain": list(EVENT_COLORS), "range": list(EVENT_COLORS.values())},
                "legend": {"orient": "top"},
            },
            "tooltip": [
                {"field": "what", "type": "nominal", "title": "Kegiatan"},
                {"field": "who", "type": "nominal", "title": "Penyelenggara"},
            ],
        },
    }
    view = {
        "layer": [line, rules],
        "width": width,
        "height": height,
        # The accessible name; without it Streamlit names the chart "Vega visualization".
        "description": f"Tren mingguan {measure_label} dan tanggal kegiatan sosialisasi",
    }
    return charts.top_level(view)


ACTIONS = {"create": "dibuat", "update": "diubah", "delete": "dihapus"}


def audit_text(snapshot: dict | None) -> str:
    """An audit snapshot on one line, dates as on every screen: "Kabupaten Bogor · 6 Juli
    2020 – 8 Juli 2020 · Sosialisasi · …"."""
    if not snapshot:
        return ""
    first, last = snapshot.get("start_date"), snapshot.get("end_date")
    return " · ".join(
        [
            region_name(str(snapshot.get("regency_code", ""))),
            formatting.period(first, last) if first and last else "",
            KINDS.get(str(snapshot.get("kind")), str(snapshot.get("kind"))),
            TARGET_GROUPS.get(str(snapshot.get("target_group")), ""),
            str(snapshot.get("organiser", "")),
            f"catatan: {snapshot.get('note', '')}",
            f"versi {snapshot.get('version')}",
        ]
    )


def audit_frame(entries: Sequence[AuditEntry]) -> pd.DataFrame:
    """The audit trail, newest first as given, in five columns (fits a phone), for
    ``st.table``: who and what was typed are shown as text, never read as Markdown."""
    return pd.DataFrame(
        {
            "Waktu": [formatting.timestamp(e.at) for e in entries],
            "Oleh": [formatting.plain(e.actor) for e in entries],
            "Perubahan": [f"Kegiatan {e.event_id} {ACTIONS[e.action]}" for e in entries],
            "Sebelum": [formatting.plain(audit_text(e.before)) for e in entries],
            "Sesudah": [formatting.plain(audit_text(e.after)) for e in entries],
        }
    )
