"""Effects in words a Pemda official reads: the numbers, the comparison, the band, and a plain
"cannot tell" when the data are too thin; small regency counts stay hidden."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dashboard import outreach_view
from dashboard.formatting import plain
from outreach.effect import Effect
from outreach.events import Event
from outreach.storage import AuditEntry

EVENT = Event("3201", date(2020, 7, 6), date(2020, 7, 6), "layanan_luring", "umum", "Dinas", id=7)


def effect(before, after, c_before, c_after, lift, low, high, verdict, measure="offline"):
    return Effect(7, measure, 14, before, after, c_before, c_after, 27, lift, low, high, verdict)


def test_a_clear_lift_reads_like_the_issue_example() -> None:
    # own change +38%, comparison +10%: about 28 points above, band from the lift's band.
    found = effect(100, 138, 1000, 1100, 138 / 110 - 1, 0.05, 0.5, "naik")
    assert outreach_view.sentence(found, 10) == (
        "Pendaftar luring naik 38% dalam 14 hari sejak kegiatan (dari 100 menjadi 138 orang "
        "dibanding 14 hari sebelumnya), sekitar 28 poin di atas 27 kabupaten/kota pembanding "
        "(rentang ketidakpastian 6 s.d. 55 poin). Kenaikan ini kemungkinan besar dampak "
        "kegiatan."
    )


def test_no_effect_and_cannot_tell_are_said_plainly() -> None:
    flat = effect(200, 180, 2000, 1840, 0.97 - 1, -0.2, 0.18, "tidak_terlihat", "registrants")
    words = outreach_view.sentence(flat, 10)
    assert words.startswith("Pendaftar turun 10% dalam 14 hari sejak kegiatan")
    assert "kabupaten/kota pembanding turun 8%. Tidak terlihat dampak" in words
    thin = effect(4, 9, 100, 120, 0.8, -0.4, 4.0, "tidak_cukup", "disabilitas")
    words = outreach_view.sentence(thin, 10)
    assert "dari <10 menjadi <10 orang" in words  # small regency counts stay hidden
    assert "Data belum cukup untuk menilai dampak" in words
    late = effect(0, 0, 0, 0, float("nan"), float("nan"), float("nan"), "belum")
    assert "belum dapat dinilai" in outreach_view.sentence(late, 10)


def test_the_events_table_shows_notes_verbatim_and_the_headline() -> None:
    note = "<img src=x onerror=alert(1)>"
    event = Event("3201", date(2020, 7, 6), date(2020, 7, 8), "sosialisasi", "umum", "D", note, 7)
    found = effect(100, 200, 1000, 1000, 1.0, 0.5, 1.6, "naik")
    row = outreach_view.events_frame([event], [found], date(2026, 1, 1)).iloc[0]
    assert row["Catatan"] == plain(note)  # escaped: st.table shows it as typed
    assert row["Kegiatan"] == (
        "Sosialisasi — Kabupaten Bogor, 6 Juli 2020 – 8 Juli 2020 (sasaran: umum)"
    )
    assert row["Dampak"] == "pendaftar luring: naik (+100 poin)"
    assert list(row.index) == ["Kegiatan", "Dampak", "Penyelenggara", "Catatan"]  # fits a phone


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
