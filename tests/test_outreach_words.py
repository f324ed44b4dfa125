"""Effects in words a Pemda official reads: the numbers, the comparison, the band, and a plain
"cannot tell" when the data are too thin; small regency counts stay hidden."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pandas as pd
import vl_convert
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import outreach_view
from dashboard.exports.files import vega_spec
from dashboard.formatting import plain
from outreach import effect as estimate_module
from outreach.effect import Effect
from outreach.events import Event
from outreach.storage import AuditEntry
from queries.filters import Filters

EVENT = Event("3201", date(2020, 7, 6), date(2020, 7, 6), "layanan_luring", "umum", "Dinas", id=7)


def effect(before, after, c_before, c_after, lift, low, high, verdict, measure="offline"):
    return Effect(
        7, measure, True, 14, before, after, c_before, c_after, 27, lift, low, high, verdict
    )


def test_a_clear_lift_reads_with_signs_and_points_apart_from_percentages() -> None:
    # own change +38%, comparison +10%: about 28 points above, band from the lift's band.
    found = effect(100, 138, 1000, 1100, 138 / 110 - 1, 0.05, 0.5, "naik")
    assert outreach_view.sentence(found, 10) == (
        "Pendaftar luring naik 38% (138 orang dalam 14 hari sejak kegiatan, dibanding rata-rata "
        "100 per 14 hari dalam 8 minggu sebelumnya, tanpa minggu terakhir sebelum kegiatan); di "
        "27 kabupaten/kota pembanding naik 10%. "
        "Selisihnya +28 poin (rentang ketidakpastian +6 s.d. +55 poin). Penilaian: naik. Lebih "
        "tinggi daripada perkiraan tanpa kegiatan, kemungkinan besar dampak kegiatan."
    )


def test_a_fall_above_a_steeper_fall_is_never_called_a_rise_and_keeps_its_signs() -> None:
    # The Garut example: own −53%, comparison −39%: −13 points, band −30 to +14.
    found = effect(100, 47, 1000, 610, 47 / 61 - 1, -0.5, 0.23, "tidak_terlihat")
    words = outreach_view.sentence(found, 10)
    assert "turun 53%" in words and "pembanding turun 39%" in words
    assert "Selisihnya −14 poin (rentang ketidakpastian −30 s.d. +14 poin)" in words
    assert "Kenaikan" not in words
    fell = effect(100, 95, 1000, 750, 95 / 75 - 1, 0.1, 0.45, "naik")
    words = outreach_view.sentence(fell, 10)
    assert words.startswith("Pendaftar luring turun 5%")
    assert "Kenaikan" not in words and "Selisihnya +20 poin" in words


def test_no_effect_cannot_tell_and_not_judged_are_said_plainly() -> None:
    flat = effect(200, 180, 2000, 1840, 0.97 - 1, -0.2, 0.18, "tidak_terlihat", "registrants")
    words = outreach_view.sentence(flat, 10)
    assert words.startswith("Pendaftar turun 10% (180 orang dalam 14 hari")
    assert "pembanding turun 8%. Selisihnya −3 poin" in words
    assert words.endswith(
        "Penilaian: tidak terlihat dampak. Selisih ini bisa terjadi karena kebetulan."
    )
    wide = effect(26, 10, 2000, 1900, -0.6, -0.75, 0.9, "tidak_cukup", "registrants")
    assert "Penilaian: data belum cukup, rentang ketidakpastiannya lebih lebar dari 50 poin" in (
        outreach_view.sentence(wide, 10)
    )
    thin = effect(3, 4, 100, 120, 0.8, -0.4, 4.0, "tidak_cukup", "disabilitas")
    words = outreach_view.sentence(thin, 10)
    assert "<10 orang dalam 14 hari" in words and "rata-rata <10 per 14 hari" in words
    assert "data belum cukup, jumlah pendaftarnya terlalu kecil" in words
    nothing = float("nan")
    late = replace(effect(0, 0, 0, 0, nothing, nothing, nothing, "belum"), reason="window")
    assert outreach_view.sentence(late, 10) == (
        "Pendaftar luring: belum dapat dinilai, jendela setelah kegiatan belum lengkap."
    )
    second = replace(flat, primary=False, verdict="sekunder")
    assert outreach_view.sentence(second, 10).endswith(
        "Ukuran pendukung: tidak dinilai (setiap kegiatan dinilai dengan satu ukuran utama)."
    )


def test_a_regency_already_diverging_is_not_credited_to_the_event() -> None:
    drifting = replace(
        effect(100, 150, 1000, 1000, 0.5, 0.2, 0.8, "sudah_berbeda", "registrants"),
        pre_lift=0.25,
    )
    words = outreach_view.sentence(drifting, 10)
    assert "Penilaian: sudah berbeda sebelum kegiatan" in words
    assert "sudah bergeser +25 poin" in words
    assert "kemungkinan besar dampak" not in words


def test_the_events_table_shows_notes_verbatim_and_the_primary_verdict() -> None:
    note = "<img src=x onerror=alert(1)>"
    event = Event("3201", date(2020, 7, 6), date(2020, 7, 8), "sosialisasi", "umum", "D", note, 7)
    found = effect(100, 200, 1000, 1000, 1.0, 0.5, 1.6, "naik", "registrants")
    row = outreach_view.events_frame([event], [found], date(2026, 1, 1)).iloc[0]
    assert row["Catatan"] == plain(note)  # escaped: st.table shows it as typed
    assert row["Kegiatan"] == (
        "Sosialisasi — Kabupaten Bogor, 6 Juli 2020 – 8 Juli 2020 (sasaran: umum)"
    )
    assert row["Dampak"] == "pendaftar: naik (+100 poin)"
    assert list(row.index) == ["Kegiatan", "Dampak", "Penyelenggara", "Catatan"]  # fits a phone


def test_the_impact_chart_writes_indonesian_numbers_on_its_axis() -> None:
    weekly = pd.DataFrame(
        {
            "week_start": pd.date_range("2020-07-06", periods=3, freq="7D"),
            "registrants": [25000.0, 1.0, 3.0],
        }
    )
    spec = outreach_view.impact_chart(weekly, [EVENT], date(2026, 1, 1), "pendaftar")
    svg = vl_convert.vegalite_to_svg(vega_spec(spec))
    assert "25.000" in svg and "25,000" not in svg
    study = outreach_view.event_study_chart(
        replace(
            effect(100, 138, 1000, 1100, 0.25, 0.05, 0.5, "naik"),
            weekly_gap=(0.0,) * 8 + (0.3, 0.2),
        )
    )
    svg = vl_convert.vegalite_to_svg(vega_spec(study))
    assert "+30%" in svg and ">−8<" in svg


def test_an_event_whose_primary_measure_the_filters_exclude_says_so() -> None:
    women = Event("3507", date(2020, 7, 20), date(2020, 8, 30), "sosialisasi", "perempuan", "D")
    assert estimate_module.scoped_fields("perempuan", {"genders": ("M",)}) is None
    assert outreach_view.outside_scope(women) == (
        "Ukuran utama kegiatan ini (pendaftar perempuan) berada di luar filter halaman: "
        "tidak dinilai."
    )


def test_the_scope_line_says_which_registrants_are_counted() -> None:
    assert outreach_view.scope_text(Filters()) == "Dampak dihitung atas semua pendaftar."
    women = Filters(genders=("F",), channels=("online",))
    assert outreach_view.scope_text(women) == (
        "Dampak dihitung atas pendaftar perempuan (filter halaman); filter saluran tidak "
        "berlaku di sini."
    )


# --- property-based: whatever the estimate, the words agree with the numbers -------------------

SIGN = {"+": 1, "−": -1}


def _estimates():
    counts = st.integers(0, 40_000).map(lambda count: count * 28 / 56)  # 8 weeks → 28 days
    return st.builds(
        lambda before, after, cb, ca, controls, d, se, pre_d, primary: _effect_from(
            before, after, cb, ca, controls, d, se, pre_d, primary
        ),
        counts,
        st.integers(0, 20_000),
        st.integers(2, 400_000).map(lambda count: count * 28 / 56),
        st.integers(0, 200_000),
        st.integers(0, 60),
        st.floats(-3, 3),
        st.floats(0.001, 2),
        st.floats(-1, 1),
        st.booleans(),
    )


def _effect_from(before, after, cb, ca, controls, d, se, pre_d, primary) -> Effect:
    main = estimate_module.Estimate(d, se, 2.0, 0.0)
    pre = estimate_module.Estimate(pre_d, 0.3, 2.0, 0.0)
    low, high = main.band
    cc = ca / cb - 1
    band_points = (1 + cc) * (math.exp(high) - math.exp(low)) * 100
    verdict = estimate_module.verdict_of(
        primary, int(before + after), controls, band_points, pre, main
    )
    return Effect(
        7,
        "registrants",
        primary,
        28,
        before,
        after,
        cb,
        ca,
        controls,
        math.expm1(d),
        math.expm1(low),
        math.expm1(high),
        verdict,
        pre_lift=math.expm1(pre_d),
    )


def _signed_points(text: str) -> list[float]:
    return [
        SIGN.get(sign, 1) * float(value.replace(".", ""))
        for sign, value in re.findall(r"([+−]?)(\d[\d.]*) (?:poin|s\.d\.)", text)
    ]


@settings(max_examples=400, deadline=None)
@given(_estimates())
def test_every_sentence_agrees_with_its_numbers(found: Effect) -> None:
    words = outreach_view.sentence(found, 10)
    sentences = re.split(r"(?<=[.;]) ", words)
    for part in sentences:  # percentages and points never share a sentence
        assert not ("%" in part and "poin" in part), part
    assert "Kenaikan" not in words
    change = found.change
    if not math.isnan(change) and round(abs(change) * 100) > 0:
        direction = "naik" if change > 0 else "turun"
        assert words.startswith(
            f"Pendaftar {direction} {round(abs(change) * 100):,}%".replace(",", ".")
        )
    estimate, low, high = (round(value * 100) for value in found.points)
    shown = _signed_points(words.split("Penilaian")[0])
    assert shown[:3] == [estimate, low, high], (shown, words)
    verdict = words.split("Penilaian: ")[-1] if "Penilaian: " in words else ""
    if found.verdict == "naik":
        assert verdict.startswith("naik.") and low >= 0
    elif found.verdict == "turun":
        assert verdict.startswith("turun.") and high <= 0
    elif found.verdict == "tidak_terlihat":
        assert verdict.startswith("tidak terlihat dampak") and low <= 0 <= high
        assert found.band_points <= estimate_module.WIDEST_BAND_POINTS
    elif found.verdict == "tidak_cukup":
        assert verdict.startswith("data belum cukup")
    elif found.verdict == "sudah_berbeda":
        assert verdict.startswith("sudah berbeda sebelum kegiatan")
    else:
        assert not found.primary and "tidak dinilai" in words and "Penilaian" not in words
    if found.primary and found.verdict == "tidak_terlihat":
        assert found.band_points <= 50


def test_the_audit_trail_reads_dates_and_places_like_every_screen() -> None:
    before = {**EVENT.fields().as_dict(), "start_date": "2020-07-06", "end_date": "2020-07-08"}
    before |= {"note": "<b>lama</b>", "version": 1}
    entry = AuditEntry(
        1, 7, "update", "a@b.go.id", datetime(2020, 7, 9, 1, 0, tzinfo=UTC), before, None
    )
    row = outreach_view.audit_frame([entry]).iloc[0]
    assert row["Waktu"] == "9 Juli 2020 08.00 WIB"
    assert row["Perubahan"] == "Kegiatan 7 diubah"
    assert row["Sebelum"] == plain(
        "Kabupaten Bogor · 6 Juli 2020 – 8 Juli 2020 · Layanan pendaftaran luring · Umum · "
        "Dinas · catatan: <b>lama</b> · versi 1"
    )
    assert row["Oleh"] == plain("a@b.go.id")
    assert row["Sesudah"] == ""
