"""The agenda and Dampak sosialisasi screens on the embedded default: recording, refused
input, HTML shown as text, a conflicting edit, and an unreachable agenda database."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import outreach_view
from dashboard.formatting import WORD_JOINER, plain
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
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


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
    at = open_page("daerah_saya.py", {"wilayah": "3201", "bagian": "dampak"})
    assert "Dampak sosialisasi" in [h.value for h in at.subheader]
    sentences = " ".join(m.value for m in at.markdown)
    assert (
        "Layanan pendaftaran luring — Kabupaten Bogor, 13 Juli 2020 – 9 Agustus 2020" in sentences
    )
    assert "orang dalam 28 hari sejak kegiatan" in sentences
    assert "Dampak dihitung atas semua pendaftar." in [c.value for c in at.caption]
    at = open_page("daerah_saya.py", {"wilayah": "3201", "bagian": "prioritas"})
    assert any("Kegiatan terakhir" in table.value.columns for table in at.table)


def test_unreachable_agenda_keeps_the_dashboard_and_turns_read_only(
    agenda_url, monkeypatch
) -> None:
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", "postgresql://postgres@127.0.0.1:1/agenda")
    at = open_page("daerah_saya.py", {"wilayah": "3201", "bagian": "dampak"})
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
    lines = slide.notes.splitlines()
    assert lines[0] == "Dampak dihitung atas semua pendaftar."
    assert lines[1].startswith(
        "Layanan pendaftaran luring — Kabupaten Bandung, 17 Agustus 2020 – 30 Agustus 2020 "
        "(sasaran: umum): Pendaftar luring"
    )
    assert "Kabupaten Garut, 3 Agustus 2020" in lines[2]
    assert len(lines) == 4
    assert sum(isinstance(item, Picture) for item in slide.items) == 2  # trend, pre-trend
    assert to_pptx([slide])[:2] == b"PK"
    store.close()


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:1/agenda", "bukan-alamat", "mysql://u@127.0.0.1/agenda"],
)
def test_deck_without_a_usable_agenda_leaves_its_slide_out_and_says_why(
    monkeypatch, sqlite_replica, url: str
) -> None:
    from dashboard.exports.deck import deck_slides
    from queries.filters import Filters

    monkeypatch.setenv("PRAKERJA_APP_DB_URL", url)
    store = sqlite_replica.store()
    slides = deck_slides(store, Filters(date(2020, 4, 11), date(2020, 9, 3), region="3201"), "3201")
    assert not [s for s in slides if s.title.startswith("Dampak sosialisasi")]
    notes = slides[-1]
    assert notes.title == "Catatan data"
    assert "Tanpa salindia Dampak sosialisasi: " in notes.notes
    assert "Agenda hanya dapat dibaca" in notes.notes
    store.close()


# --- issue 22 ----------------------------------------------------------------------------------


def test_an_event_deleted_while_its_form_is_open_keeps_the_typing(agenda_url) -> None:
    at = open_page("agenda.py")
    agenda = Agenda(agenda_url)
    [gone] = [e for e in agenda.events("3201") if e.is_planned(date.today())]  # the newest id
    at.selectbox[1].select(outreach_view.title(gone)).run()
    at.text_area[0].set_value("Catatan yang saya ketik")
    national = Editor("pusat@kemenko.go.id", "ID")
    agenda.delete(national, gone)
    other = agenda.create(  # took the deleted id on SQLite before migration 0002
        national, EventInput(**{**gone.fields().as_dict(), "regency_code": "3578"})
    )
    save(at)
    assert "kegiatan ini sudah dihapus" in shown(at.error[0].value).lower()
    assert at.text_area[0].value == "Catatan yang saya ketik"  # the typing is kept
    assert "Catatan yang saya ketik" not in [e.note for e in agenda.events()]
    stored = agenda.get(other.id)
    assert stored is not None and stored.regency_code == "3578" and stored.version == 1
    next(b for b in at.button if b.label == "Simpan sebagai kegiatan baru").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [again] = [e for e in agenda.events("3201") if e.note == "Catatan yang saya ketik"]
    assert again.id > other.id and again.start_date == gone.start_date
    assert at.selectbox[1].value == 0 and at.text_area[0].value == ""  # a fresh form
    agenda.dispose()


def test_loading_the_newer_version_keeps_the_typing_beside_it(agenda_url) -> None:
    at = open_page("agenda.py")
    bogor = next(o for o in at.selectbox[1].options if "Kabupaten Bogor, 13 Juli" in o)
    at.selectbox[1].select(bogor).run()
    at.text_area[0].set_value("Perubahan saya")
    field(at, "Unit penyelenggara").set_value("Unit saya")
    agenda = Agenda(agenda_url)
    [event] = [e for e in agenda.events("3201") if e.start_date == date(2020, 7, 13)]
    agenda.update(
        Editor("rekan@bogorkab.go.id", "3201"),
        event,
        EventInput(**{**event.fields().as_dict(), "note": "Perubahan rekan"}),
    )
    save(at)
    next(b for b in at.button if b.label == "Muat versi terbaru").click()
    at.run()
    assert not at.exception and not at.error
    assert at.text_area[0].value == "Perubahan rekan"  # the form holds the newer version
    typed = next(t.value for t in at.table if "Isian Anda" in str(t.proto.alt))
    assert [shown(v) for v in typed[["Penyelenggara", "Catatan"]].iloc[0]] == [
        "Unit saya",
        "Perubahan saya",
    ]
    at.text_area[0].set_value("Perubahan rekan dan saya")
    save(at)
    assert not at.error, [e.value for e in at.error]
    stored = agenda.get(event.id)
    assert stored is not None and (stored.note, stored.version) == ("Perubahan rekan dan saya", 3)
    assert not [t for t in at.table if "Isian Anda" in str(t.proto.alt)]
    agenda.dispose()


def test_a_control_character_in_a_note_is_refused_in_bahasa(agenda_url) -> None:
    at = open_page("agenda.py")
    fill_form(at, "Aula\x00desa")
    save(at)
    assert "Catatan berisi karakter kendali" in at.error[0].value
    assert at.text_area[0].value == "Aula\x00desa"


def test_without_login_the_agenda_is_read_only_unless_opened(agenda_url, monkeypatch) -> None:
    monkeypatch.delenv("PRAKERJA_AGENDA_OPEN_WRITE")
    at = open_page("agenda.py")
    assert "Tanpa login, agenda hanya dapat dibaca" in " ".join(i.value for i in at.info)
    assert next(b for b in at.button if b.label == "Simpan").disabled
    assert next(b for b in at.button if b.label == "Hapus kegiatan").disabled


def _after(statement: str) -> Callable[[str], str]:
    """A damage: migrate the agenda at the URL, then run ``statement`` on it."""

    def damage(url: str) -> str:
        from sqlalchemy import text

        agenda = Agenda(url).migrate()
        with agenda.engine.begin() as connection:
            connection.execute(text(statement))
        agenda.dispose()
        return url

    return damage


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        (lambda url: "bukan-alamat", "PRAKERJA_APP_DB_URL bukan alamat"),
        (lambda url: "mysql://u@127.0.0.1/agenda", "PRAKERJA_APP_DB_URL bukan alamat"),
        (
            _after("UPDATE outreach_alembic_version SET version_num = '0099'"),
            "lebih baru daripada aplikasi ini",
        ),
        (_after("DROP TABLE outreach_alembic_version"), "tanpa tabel versi skema"),
    ],
)
def test_a_broken_agenda_database_never_breaks_a_page(
    agenda_url, monkeypatch, broken, words: str
) -> None:
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", broken(agenda_url))
    at = open_page("daerah_saya.py", {"wilayah": "3201", "bagian": "dampak"})
    assert words in " ".join(w.value for w in at.warning)
    at = open_page("daerah_saya.py", {"wilayah": "3201", "bagian": "prioritas"})
    assert any("Prioritas sosialisasi" in h.value for h in at.header)  # the rest is intact
    assert any("Kegiatan terakhir" in table.value.columns for table in at.table)
    at = open_page("agenda.py")
    assert words in " ".join(w.value for w in at.warning)
    assert next(b for b in at.button if b.label == "Simpan").disabled


def test_a_database_recreated_empty_while_the_app_runs_turns_read_only(agenda_url) -> None:
    from outreach.storage import metadata

    at = open_page("agenda.py")
    assert not next(b for b in at.button if b.label == "Simpan").disabled
    agenda = Agenda(agenda_url)
    with agenda.engine.begin() as connection:
        metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE outreach_alembic_version")
    agenda.dispose()
    for page, params in (
        ("daerah_saya.py", {"wilayah": "3201", "bagian": "dampak"}),
        ("agenda.py", {}),
    ):
        at = open_page(page, params)
        assert "Tabel agenda tidak ditemukan" in " ".join(w.value for w in at.warning)
    assert next(b for b in at.button if b.label == "Simpan").disabled
    assert any("Kabupaten Bogor" in e for e in at.table[0].value["Kegiatan"])  # last list read


@pytest.mark.parametrize("fault", ["read-only", "deleted"])
def test_a_read_only_or_deleted_sqlite_file_disables_saving(
    agenda_url, tmp_path, fault: str
) -> None:
    path = tmp_path / "agenda.sqlite"
    open_page("agenda.py")  # the app has the agenda open (and pooled) when the file changes
    if fault == "read-only":
        path.chmod(0o444)
        if os.geteuid() == 0:  # root ignores file modes: make the file immutable too
            subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.unlink()
    try:
        at = open_page("agenda.py")
        banner = " ".join(w.value for w in at.warning)
        assert ("hanya dapat dibaca (berkasnya" if fault == "read-only" else "tidak ada lagi") in (
            banner
        )
        assert next(b for b in at.button if b.label == "Simpan").disabled
    finally:
        if fault == "read-only" and os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)


def test_no_export_carries_typed_text(agenda_url, sqlite_replica) -> None:
    """The deck (slides and speaker notes) and the offline HTML report of a regency with a
    hostile note show its effect, never its typed note or organiser."""
    from dashboard.exports.deck import deck_slides
    from dashboard.exports.html_report import build_html_report
    from queries.filters import Filters

    agenda = Agenda(agenda_url).migrate(demo_day=date.today())
    note, organiser = "![x](http://127.0.0.1:9/b.png) catatan-khusus", "[unit](http://x.example)"
    agenda.create(
        Editor("dinas@bogorkab.go.id", "3201"),
        EventInput(
            "3201",
            start_date=date(2020, 8, 10),
            end_date=date(2020, 8, 12),
            kind="sosialisasi",
            target_group="umum",
            organiser=organiser,
            note=note,
        ),
    )
    agenda.dispose()
    store = sqlite_replica.store()
    filters = Filters(date(2020, 4, 11), date(2020, 9, 3), region="3201")
    slides = deck_slides(store, filters, "3201")
    assert any(s.title.startswith("Dampak sosialisasi") for s in slides)
    texts = " ".join(
        [s.title + s.notes for s in slides]
        + [getattr(item, "text", "") for s in slides for item in s.items]
    )
    html = build_html_report(store, filters, "3201")
    for typed in ("catatan-khusus", "127.0.0.1:9", "x.example"):
        assert typed not in texts and typed not in html
    store.close()
