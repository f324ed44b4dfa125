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
from geo.adjacency import NEAREST_POINTS
from geo.regions import districts, region_name
from outreach.effect import (
    BASELINE_DAYS,
    JUDGED,
    MAX_DAYS,
    MEASURES,
    MIN_CONTROLS,
    MIN_COUNT,
    MIN_DAYS,
    NEAREST,
    NO_ESTIMATE,
    VERDICTS,
    WEEKS_SHOWN_BEFORE,
    WIDEST_BAND_POINTS,
    Effect,
    primary_measure,
)
from outreach.events import KINDS, TARGET_GROUPS, Event
from outreach.storage import AuditEntry
from queries.filters import Filters
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


def _count(value: float, threshold: int) -> str:
    count = round(value)
    return suppressed_label(threshold) if 0 < count < threshold else formatting.number(count)


def signed(value: float) -> str:
    """A fraction as signed percentage points without the unit: ``+28``, ``−13``, ``0``
    (what rounds to zero has no sign)."""
    rounded = round(value * 100)
    sign = "+" if rounded > 0 else "−" if rounded < 0 else ""
    return f"{sign}{formatting.number(abs(rounded))}"


def signed_points(value: float) -> str:
    """Percentage points with their sign always written: ``+28 poin``, ``−13 poin``."""
    return f"{signed(value)} poin"


def _band(effect: Effect) -> str:
    _, low, high = effect.points
    return f"rentang ketidakpastian {signed(low)} s.d. {signed_points(high)}"


def change_words(change: float) -> str:
    """A relative change as words with its direction: ``naik 38%`` / ``turun 5%`` /
    ``tidak berubah`` (what rounds to 0%)."""
    if math.isnan(change):
        return "tidak dapat dihitung (tidak ada pendaftar sebelumnya)"
    rounded = round(abs(change) * 100)
    if rounded == 0:
        return "tidak berubah"
    return f"{'naik' if change > 0 else 'turun'} {formatting.number(rounded)}%"


def _reason(effect: Effect) -> str:
    """Why a measure reads "data belum cukup"."""
    if effect.reason:
        return NO_ESTIMATE[effect.reason]
    if effect.before + effect.after < MIN_COUNT:
        return "jumlah pendaftarnya terlalu kecil"
    if effect.controls < MIN_CONTROLS:
        return "kabupaten/kota pembanding terlalu sedikit"
    return (
        f"rentang ketidakpastiannya lebih lebar dari {formatting.number(WIDEST_BAND_POINTS)} poin"
    )


VERDICT_SENTENCES = {
    "naik": "Penilaian: naik. Lebih tinggi daripada perkiraan tanpa kegiatan, kemungkinan besar "
    "dampak kegiatan.",
    "turun": "Penilaian: turun. Lebih rendah daripada perkiraan tanpa kegiatan, bukan karena "
    "kebetulan.",
    "tidak_terlihat": "Penilaian: tidak terlihat dampak. Selisih ini bisa terjadi karena "
    "kebetulan.",
    "sekunder": "Ukuran pendukung: tidak dinilai (setiap kegiatan dinilai dengan satu ukuran "
    "utama).",
}


def sentence(effect: Effect, threshold: int) -> str:
    """The effect in words a Pemda official reads at a glance: relative changes in one
    sentence, the difference in points in the next, then the verdict by the rules of
    ``outreach.effect.verdict_of``. Every sign is written; nothing is called a rise that
    is not one."""
    label = effect.label[0].upper() + effect.label[1:]
    days = effect.window_days
    if effect.reason:
        word = "belum dapat dinilai" if effect.verdict == "belum" else "data belum cukup"
        return f"{label}: {word}, {_reason(effect)}."
    if any(math.isnan(value) for value in effect.points):
        return f"{label}: data belum cukup, jumlah pendaftarnya terlalu kecil."
    counts = (
        f"{_count(effect.after, threshold)} orang dalam {days} hari sejak kegiatan, dibanding "
        f"rata-rata {_count(effect.before, threshold)} per {days} hari dalam 8 minggu sebelumnya, "
        "tanpa minggu terakhir sebelum kegiatan"
    )
    changes = (
        f"{label} {change_words(effect.change)} ({counts}); di {effect.controls} "
        f"kabupaten/kota pembanding {change_words(effect.control_change)}."
    )
    points, _, _ = effect.points
    difference = f"Selisihnya {signed_points(points)} ({_band(effect)})."
    if effect.verdict == "sudah_berbeda":
        pre = (1 + effect.control_change) * effect.pre_lift
        judged = (
            "Penilaian: sudah berbeda sebelum kegiatan. Sebelum kegiatan, selisihnya dengan "
            f"pembanding sudah bergeser {signed_points(pre)} dalam 4 minggu, "
            "sehingga perubahan sesudahnya tidak dapat disebut dampak kegiatan."
        )
    elif effect.verdict == "tidak_cukup":
        judged = f"Penilaian: data belum cukup, {_reason(effect)}."
    else:
        judged = VERDICT_SENTENCES[effect.verdict]
    return f"{changes} {difference} {judged}"


def headline(event: Event, effects: Sequence[Effect], today: date) -> str:
    """The short verdict on the event's primary measure, for tables."""
    if event.is_planned(today):
        return "Direncanakan"
    measure = primary_measure(event)
    found = next((e for e in effects if e.event_id == event.id and e.measure == measure), None)
    if found is None:
        return "–"
    text = VERDICTS[found.verdict]
    if found.verdict in JUDGED:
        text += f" ({signed_points(found.points[0])})"
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
    """The weekly series of one measure, with a vertical rule at each event's first day;
    partial weeks and gaps marked and said as on every weekly line (``charts.week_notes``)."""
    if "days" not in weekly:
        weekly = weekly.assign(days=7)
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
                "title": charts.axis_title("Minggu mulai"),
                "axis": {"labelExpr": charts.date_label_expr()},
            },
            "y": {
                "field": "registrants",
                "type": "quantitative",
                "title": None,  # said above the chart: a vertical title is cut on a phone
                "axis": {"labelExpr": charts.axis_label_expr("registrants")},
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
    partial = {"data": {"values": series}, **charts.partial_points()}
    partial["encoding"] = {k: line["encoding"][k] for k in ("x", "y", "tooltip")}
    notes = charts.week_notes(series, ["registrants"], None)
    description = f"Tren mingguan {measure_label} dan tanggal kegiatan sosialisasi"
    measure = f"{measure_label[0].upper()}{measure_label[1:]} per minggu"
    return _layered([line, partial, rules], width, height, description, measure, notes)


def _layered(
    layers: list[dict],
    width: int,
    height: int,
    description: str,
    measure: str,
    notes: Sequence[str] = (),
    title: str | None = None,
) -> charts.Spec:
    """Layers as one top-level chart titled by ``title`` (if any), then what its y axis
    measures and its notes (the weeks' notes); the description is its accessible name (without
    it Streamlit names the chart "Vega visualization")."""
    view = {
        "layer": layers,
        **(
            charts.title_properties(title, "; ".join(notes) or None, measure=measure)
            if title
            else {"title": charts.note_title(notes, measure)}
        ),
        "width": width,
        "height": height,
        "description": description,
    }
    return charts.top_level(view)


def event_study_frame(effect: Effect) -> pd.DataFrame:
    """The weekly gap (:attr:`Effect.weekly_gap`) as rows: week (−8 … −1 before the event,
    0 … after), gap as a fraction, its text, and whether the week is before or after."""
    weeks = range(-WEEKS_SHOWN_BEFORE, -WEEKS_SHOWN_BEFORE + len(effect.weekly_gap))
    return pd.DataFrame(
        {
            "week": list(weeks),
            "gap": list(effect.weekly_gap),
            "gap_text": [formatting.signed_percent(gap) for gap in effect.weekly_gap],
            "when": ["Sebelum" if week < 0 else "Sesudah" for week in weeks],
        }
    )


def event_study_chart(
    effect: Effect, *, width: int = 640, height: int = 200, title: str | None = None
) -> charts.Spec:
    """The pre-trend check as a picture: per week, how far the regency sits above or below
    its comparison regencies, relative to its average gap in the 8 weeks before the event.
    Flat before the event is what the method needs; a drift there is why a verdict reads
    "sudah berbeda sebelum kegiatan"."""
    frame = event_study_frame(effect)
    bars = {
        "data": {"values": frame},
        "mark": {"type": "bar", "aria": False},
        "encoding": {
            "x": {
                "field": "week",
                "type": "ordinal",
                "title": charts.axis_title("Minggu sejak kegiatan"),
                "axis": {
                    "labelExpr": charts.id_number_expr("datum.value", "+,.0f"),
                    "labelAngle": 0,
                },
            },
            "y": {
                "field": "gap",
                "type": "quantitative",
                "title": None,  # said above the chart: a vertical title is cut on a phone
                "axis": {"labelExpr": charts.id_number_expr("datum.value", "+.0~%")},
            },
            "color": {
                "field": "when",
                "type": "nominal",
                "title": None,
                "scale": {"domain": ["Sebelum", "Sesudah"], "range": [charts.GREY, charts.BLUE]},
                "legend": {"orient": "top"},
            },
            "tooltip": [
                {"field": "week", "type": "ordinal", "title": "Minggu"},
                {"field": "gap_text", "type": "nominal", "title": "Selisih"},
            ],
        },
    }
    zero = {"mark": {"type": "rule", "aria": False}, "encoding": {"y": {"datum": 0}}}
    description = f"Selisih mingguan {effect.label} dengan kabupaten/kota pembanding"
    notes = ["Minggu 0: minggu pertama kegiatan"]
    return _layered([bars, zero], width, height, description, STUDY_MEASURE, notes, title)


STUDY_MEASURE = "Selisih dengan pembanding"
"""What the pre-trend chart's y axis measures, said above the chart."""


def outside_scope(event: Event) -> str:
    """Why an event has no verdict under the page's filters: its primary measure is outside
    the population they select (women's registrants when the page shows men)."""
    label = MEASURES[primary_measure(event)][0]
    return f"Ukuran utama kegiatan ini ({label}) berada di luar filter halaman: tidak dinilai."


SCOPE_WORDS = {"genders": {"F": "perempuan", "M": "laki-laki"}}


def scope_text(filters: Filters) -> str:
    """One line saying which registrants the section counts: the page's gender, age and
    disability filters apply; channel and wave filters do not (the measures split the
    channel themselves, and registrants have no wave)."""
    parts = [SCOPE_WORDS["genders"].get(g, g) for g in filters.genders]
    if filters.age_bands:
        parts.append("usia " + ", ".join(filters.age_bands))
    if filters.disability is not None:
        parts.append("penyandang disabilitas" if filters.disability else "non-disabilitas")
    counted = "semua pendaftar" if not parts else f"pendaftar {', '.join(parts)} (filter halaman)"
    ignored = [
        name for name, used in (("saluran", filters.channels), ("gelombang", filters.waves)) if used
    ]
    tail = f"; filter {' dan '.join(ignored)} tidak berlaku di sini" if ignored else ""
    return f"Dampak dihitung atas {counted}{tail}."


def rules_markdown() -> str:
    """The verdict rules as Tentang Data states them (``outreach.effect.verdict_of``)."""
    widest = formatting.number(WIDEST_BAND_POINTS)
    return f"""
- **Jendela**: sesudah = {MIN_DAYS}–{MAX_DAYS} hari sejak hari pertama kegiatan (selama
  kegiatan berlangsung, paling sedikit {MIN_DAYS} dan paling lama {MAX_DAYS} hari); sebelum =
  {BASELINE_DAYS // 7} minggu yang berakhir satu minggu sebelum kegiatan, dibandingkan per
  hari. Minggu terakhir sebelum kegiatan tidak dihitung (kegiatan sering diadakan justru
  setelah minggu yang buruk), dan minggu buruk lainnya hanya berbobot
  1/{BASELINE_DAYS // 7}.
- **Pembanding**: kabupaten/kota di provinsi yang sama ditambah {NEAREST} yang paling mirip
  (penduduk dan tingkat pendaftaran sebelum kegiatan), tanpa kegiatan sendiri pada
  minggu-minggu itu dan **bukan tetangga** kabupaten/kota kegiatan (dari batas wilayah bila
  tersedia, selain itu dari {NEAREST_POINTS} ibu kota terdekat).
- **Rentang ketidakpastian 95%** memperhitungkan sebaran antar-kabupaten/kota (tren sendiri,
  naik-turun mingguan) yang terlihat di pembanding, dengan koreksi untuk pembanding yang
  sedikit (distribusi t).
- **Satu ukuran utama per kegiatan**, ditetapkan oleh sasarannya sebelum data dilihat: kelompok
  sasaran; untuk sasaran umum semua pendaftar, kecuali layanan pendaftaran luring yang kedua
  jendelanya jatuh setelah pendaftaran luring dibuka (15 Juni 2020): pendaftar luring. Ukuran
  lain ditampilkan sebagai pendukung dan **tidak dinilai**.
- **Penilaian**, berurutan:
  1. kurang dari {MIN_COUNT} pendaftar di kedua jendela, kurang dari {MIN_CONTROLS}
     pembanding, atau riwayat 8 minggu belum ada: **data belum cukup**;
  2. antara paruh pertama dan paruh kedua jendela sebelum, selisih dengan pembanding sudah
     bergeser melebihi rentang ketidakpastiannya: **sudah berbeda sebelum kegiatan**;
  3. seluruh rentang di atas nol: **naik**; seluruhnya di bawah nol: **turun**;
  4. rentang mencakup nol dan lebih lebar dari {widest} poin: **data belum cukup**; selain
     itu: **tidak terlihat dampak**.
- Selisih ditulis dalam **poin** (persen dari jumlah sebelum kegiatan), perubahan sendiri dalam
  **persen**; keduanya tidak dicampur dalam satu kalimat, dan tanda + atau − selalu ditulis.
"""


def calibration_text(saved: dict | None) -> str:
    """The latest ``python -m outreach calibrate`` result in one paragraph, or how to run it."""
    if not saved:
        return (
            "Kalibrasi belum dijalankan pada data ini. Jalankan `python -m outreach calibrate "
            "--placebos 500` untuk mengukur seberapa sering metode ini salah menyebut dampak."
        )
    rows = {
        row["placement"]: row
        for row in saved["rows"]
        if row["measure"] == "registrants" and row["baseline_days"] == BASELINE_DAYS
    }

    def share(row: dict) -> str:
        wrong = row["verdicts"]["naik"] + row["verdicts"]["turun"]
        of_all = formatting.percent(wrong / max(1, row["placebos"]), 1)
        of_estimated = formatting.percent(wrong / max(1, row["estimated"]), 1)
        return f"{of_all} ({of_estimated} dari yang dapat dinilai)"

    return (
        f"Kalibrasi terakhir ({formatting.timestamp(saved['ran_at'])}, "
        f"{formatting.number(saved['placebos'])} kegiatan plasebo per penempatan, seed "
        f"{saved['seed']}): kegiatan plasebo (tanpa kegiatan sungguhan) dibaca naik atau turun "
        f"pada {share(rows['random'])} bila ditempatkan acak, dan {share(rows['after_dip'])} "
        "bila ditempatkan tepat setelah minggu terburuk kabupaten/kota itu. "
        f"Baris terakhir: `{saved['last_line']}`."
    )


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
