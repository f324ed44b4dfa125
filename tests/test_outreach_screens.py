"""The agenda and Dampak sosialisasi screens on the embedded default: recording, refused
input, HTML shown as text, a conflicting edit, and an unreachable agenda database."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.formatting import plain
from outreach.events import EventInput
from outreach.storage import Agenda, Editor

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
HTML_NOTE = "<script>alert('x')</script><b>tebal</b>"


@pytest.fixture
def agenda_url(monkeypatch, app_data_dir, boundary_cache, tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'agenda.sqlite'}"
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(app_data_dir))
    monkeypatch.setenv("PRAKERJA_REFRESH_MINUTES", "0")
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", url)
    monkeypatch.setenv("PRAKERJA_AGENDA_OPEN_WRITE", "1")  # the open demo: no login, may write
    return url


def open_page(page: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(f"../pages/{page}")
    for key in list(at.query_params):
        del at.query_params[key]
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def shown(markdown: str) -> str:
    """What a reader sees of Markdown that :func:`plain` escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def field(at: AppTest, label: str):
    return next(t for t in at.text_input if t.label == label)


def fill_form(at: AppTest, note: str, organiser: str = "Disnakertrans Bogor") -> None:
    field(at, "Unit penyelenggara").set_value(organiser)
    at.text_area[0].set_value(note)


def save(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Simpan").click()
    return at.run()


def test_agenda_page_records_an_event_and_shows_html_as_text(agenda_url) -> None:
    at = open_page("agenda.py")
    seeded = at.table[0].value
    assert any("Kabupaten Bogor" in event for event in seeded["Kegiatan"])
    assert "Direncanakan" in set(seeded["Dampak"])  # the demo agenda's planned event
    fill_form(at, HTML_NOTE)
    save(at)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.text_area[0].value == ""  # a fresh form for the next event
    notes = at.table[0].value["Catatan"].tolist()
    assert plain(HTML_NOTE) in notes  # a table cell: text, escaped so never read as markup
    assert all(HTML_NOTE not in m.value for m in (*at.markdown, *at.caption))
    agenda = Agenda(agenda_url)
    [stored] = [e for e in agenda.events("32") if e.note == HTML_NOTE]
    assert stored.created_by == "tanpa login (dasbor terbuka)"
    agenda.dispose()


def test_dates_are_typed_in_indonesian_order_and_an_unreadable_one_is_refused(
    agenda_url,
) -> None:
    at = open_page("agenda.py")
    fill_form(at, "Tanggal diketik")
    field(at, "Tanggal mulai (HH/BB/TTTT)").set_value("6/7/2020")
    field(at, "Tanggal selesai (HH/BB/TTTT)").set_value("31/02/2020")
    save(at)
    assert "tulis tanggal sebagai HH/BB/TTTT" in at.error[0].value
    assert field(at, "Tanggal selesai (HH/BB/TTTT)").value == "31/02/2020"  # kept to correct
    field(at, "Tanggal selesai (HH/BB/TTTT)").set_value("08/07/2020")
    save(at)
    assert not at.error, [e.value for e in at.error]
    agenda = Agenda(agenda_url)
    [stored] = [e for e in agenda.events("32") if e.note == "Tanggal diketik"]
    assert (stored.start_date, stored.end_date) == (date(2020, 7, 6), date(2020, 7, 8))
    agenda.dispose()


def test_over_long_note_is_refused_and_kept_in_the_form(agenda_url) -> None:
    at = open_page("agenda.py")
    fill_form(at, "x" * 501)
    save(at)
    assert "Catatan terlalu panjang (501 karakter, paling banyak 500)." in at.error[0].value
    assert at.text_area[0].value == "x" * 501


def test_a_second_editor_gets_a_conflict_message(agenda_url) -> None:
    at = open_page("agenda.py")
    bogor = next(o for o in at.selectbox[1].options if "Kabupaten Bogor, 13 Juli" in o)
    at.selectbox[1].select(bogor).run()
    at.text_area[0].set_value("Perubahan saya")
    agenda = Agenda(agenda_url)
    [event] = [e for e in agenda.events("3201") if e.start_date == date(2020, 7, 13)]
    other = Editor("rekan@bogorkab.go.id", "3201")
    agenda.update(
        other,
        event,
        EventInput(**{**event.fields().as_dict(), "note": "Perubahan rekan"}),
    )
    save(at)
    assert "sudah diubah oleh rekan@bogorkab.go.id" in shown(at.error[0].value)
    stored = agenda.get(event.id)
    assert stored is not None and stored.note == "Perubahan rekan"
    assert at.text_area[0].value == "Perubahan saya"
    agenda.dispose()


def test_daerah_saya_explains_the_effect_of_each_event(agenda_url) -> None:
    at = open_page("daerah_saya.py", {"wilayah": "3201"})
    assert "Dampak sosialisasi" in [h.value for h in at.subheader]
    sentences = " ".join(m.value for m in at.markdown)
    assert (
        "Layanan pendaftaran luring — Kabupaten Bogor, 13 Juli 2020 – 9 Agustus 2020" in sentences
    )
    assert "dalam 28 hari sejak kegiatan" in sentences
    assert any("Kegiatan terakhir" in table.value.columns for table in at.table)


def test_unreachable_agenda_keeps_the_dashboard_and_turns_read_only(
    agenda_url, monkeypatch
) -> None:
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", "postgresql://postgres@127.0.0.1:1/agenda")
    at = open_page("daerah_saya.py", {"wilayah": "3201"})
    assert "Basis data agenda tidak dapat dijangkau" in " ".join(w.value for w in at.warning)
    assert "Kabupaten Bogor" in set(at.table[0].value["Wilayah"])  # the figures still show
    at = open_page("agenda.py")
    assert "Basis data agenda tidak dapat dijangkau" in " ".join(w.value for w in at.warning)
    assert next(b for b in at.button if b.label == "Simpan").disabled


def test_deck_slide_tells_the_latest_events_effects(agenda_url, sqlite_replica) -> None:
    from dashboard.exports.context import context_from_store
    from dashboard.exports.deck import DeckScope
    from dashboard.exports.outreach_slide import outreach_slide
    from dashboard.exports.slides import Picture, to_pptx
    from queries.filters import Filters

    Agenda(agenda_url).migrate().seed_demo(date.today())
    store = sqlite_replica.store()
    filters = Filters(date(2020, 4, 11), date(2020, 9, 3), region="32")
    scope = DeckScope(
        store, filters, context_from_store(store, filters, "Jawa Barat"), "province", 10
    )
    slide = outreach_slide(scope)
    assert slide.title == "Dampak sosialisasi — Jawa Barat"
    assert slide.notes.splitlines()[0].startswith(
        "Media lokal — Kabupaten Garut, 3 Agustus 2020 – 30 Agustus 2020 (sasaran: umum): "
        "Pendaftar luring"
    )
    assert "Kabupaten Bekasi, 13 Juli 2020" in slide.notes.splitlines()[1]
    assert len(slide.notes.splitlines()) == 3
    assert any(isinstance(item, Picture) for item in slide.items)
    assert to_pptx([slide])[:2] == b"PK"
    store.close()


def test_deck_slide_says_when_the_agenda_is_unreachable(monkeypatch, sqlite_replica) -> None:
    from dashboard.exports.context import context_from_store
    from dashboard.exports.deck import DeckScope
    from dashboard.exports.outreach_slide import outreach_slide
    from queries.filters import Filters

    monkeypatch.setenv("PRAKERJA_APP_DB_URL", "postgresql://postgres@127.0.0.1:1/agenda")
    store = sqlite_replica.store()
    filters = Filters(date(2020, 4, 11), date(2020, 9, 3), region="3201")
    scope = DeckScope(store, filters, context_from_store(store, filters, "Bogor"), "regency", 10)
    assert "Basis data agenda tidak dapat dijangkau" in outreach_slide(scope).notes
    store.close()
