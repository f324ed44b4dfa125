"""The agenda's application database, on SQLite (the default) and PostgreSQL: migrations,
scoped writes, the audit trail, optimistic-concurrency conflicts (also from two threads at
once), all-or-nothing batches, refused input and an unreachable database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import inspect

from outreach.events import MAX_NOTE, EventError, EventInput
from outreach.storage import (
    Agenda,
    AgendaUnavailableError,
    ConflictError,
    Editor,
    ScopeError,
)

NATIONAL = Editor("pusat@kemenko.go.id", "ID")
WEST_JAVA = Editor("disnaker@jabarprov.go.id", "32")
BOGOR = Editor("disnaker@bogorkab.go.id", "3201")


def event(regency: str = "3201", **changes) -> EventInput:
    fields = {
        "regency_code": regency,
        "start_date": date(2020, 7, 6),
        "end_date": date(2020, 7, 8),
        "kind": "sosialisasi",
        "target_group": "umum",
        "organiser": "Disnakertrans",
        "note": "Aula kecamatan",
    }
    return EventInput(**{**fields, **changes})


@pytest.fixture(params=["sqlite", "postgresql"])
def agenda(request, tmp_path) -> Iterator[Agenda]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'agenda.sqlite'}"
    else:
        url = request.getfixturevalue("own_pg_database")
    agenda = Agenda(url).migrate()
    yield agenda
    agenda.dispose()


def test_migrations_create_the_tables_once(agenda: Agenda) -> None:
    agenda.migrate()  # a second run is a no-op
    tables = set(inspect(agenda.engine).get_table_names())
    assert {"outreach_events", "outreach_audit", "outreach_alembic_version"} <= tables


def test_every_write_is_audited_with_who_before_and_after(agenda: Agenda) -> None:
    created = agenda.create(BOGOR, event())
    edited = agenda.update(WEST_JAVA, created.id, created.version, event(note="Balai desa"))
    agenda.delete(NATIONAL, edited.id, edited.version)
    trail = agenda.audit(created.id)
    assert [(e.action, e.actor) for e in trail] == [
        ("delete", NATIONAL.who),
        ("update", WEST_JAVA.who),
        ("create", BOGOR.who),
    ]
    delete, update, create = trail
    assert create.after and update.before and update.after and delete.before
    assert create.before is None and create.after["note"] == "Aula kecamatan"
    assert update.before["note"] == "Aula kecamatan" and update.after["note"] == "Balai desa"
    assert update.before["version"] == 1 and update.after["version"] == 2
    assert delete.before["note"] == "Balai desa" and delete.after is None
    assert delete.at >= update.at >= create.at
    assert agenda.get(created.id) is None


def test_scopes_limit_who_may_write(agenda: Agenda) -> None:
    with pytest.raises(ScopeError, match="tidak mencakup"):
        agenda.create(BOGOR, event("3204"))
    bandung = agenda.create(WEST_JAVA, event("3204"))
    with pytest.raises(ScopeError):
        agenda.update(BOGOR, bandung.id, bandung.version, event("3201"))
    with pytest.raises(ScopeError):  # moving an own event out of scope is refused too
        own = agenda.create(BOGOR, event())
        agenda.update(BOGOR, own.id, own.version, event("3204"))
    with pytest.raises(ScopeError):
        agenda.create(WEST_JAVA, event("3578"))
    agenda.create(NATIONAL, event("3578"))
    assert sorted(e.regency_code for e in agenda.events()) == ["3201", "3204", "3578"]
    assert sorted(e.regency_code for e in agenda.events("32")) == ["3201", "3204"]
    assert len(agenda.audit()) == 3  # refused writes leave no trace


def test_second_editor_of_the_same_version_gets_a_conflict(agenda: Agenda) -> None:
    opened = agenda.create(BOGOR, event())
    agenda.update(BOGOR, opened.id, opened.version, event(note="Perubahan pertama"))
    with pytest.raises(ConflictError, match="sudah diubah oleh disnaker@bogorkab") as conflict:
        agenda.update(WEST_JAVA, opened.id, opened.version, event(note="Perubahan kedua"))
    current, saved = conflict.value.current, agenda.get(opened.id)
    assert current is not None and current.note == "Perubahan pertama"
    assert saved is not None and saved.note == "Perubahan pertama"
    with pytest.raises(ConflictError):
        agenda.delete(WEST_JAVA, opened.id, opened.version)
    agenda.delete(BOGOR, opened.id, opened.version + 1)
    with pytest.raises(ConflictError, match="sudah dihapus"):
        agenda.update(BOGOR, opened.id, opened.version + 1, event())


def test_simultaneous_edits_save_exactly_one(agenda: Agenda) -> None:
    opened = agenda.create(BOGOR, event())
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(editor: Editor, note: str) -> None:
        start.wait()
        try:
            agenda.update(editor, opened.id, opened.version, event(note=note))
            outcomes[note] = "saved"
        except ConflictError:
            outcomes[note] = "conflict"

    threads = [
        threading.Thread(target=edit, args=(BOGOR, "A")),
        threading.Thread(target=edit, args=(WEST_JAVA, "B")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(note for note, outcome in outcomes.items() if outcome == "saved")
    stored = agenda.get(opened.id)
    assert stored is not None and (stored.note, stored.version) == (winner, 2)
    assert [e.action for e in agenda.audit(opened.id)] == ["update", "create"]


def test_a_batch_is_saved_whole_or_not_at_all(agenda: Agenda) -> None:
    with pytest.raises(EventError):
        agenda.create_many(NATIONAL, [event(), event(kind="konser")])
    with pytest.raises(ScopeError):
        agenda.create_many(BOGOR, [event(), event("3204")])
    assert agenda.events() == []
    assert len(agenda.create_many(NATIONAL, [event(), event("3204")])) == 2


def test_bad_input_is_refused_with_indonesian_messages(agenda: Agenda) -> None:
    with pytest.raises(EventError) as refused:
        agenda.create(
            NATIONAL,
            event(
                "9999",
                note="x" * (MAX_NOTE + 1),
                organiser="y" * 121,
                start_date=date(2019, 1, 1),
                kind="konser",
            ),
        )
    problems = refused.value.problems
    assert problems["regency_code"].startswith("Kabupaten/kota tidak dikenal")
    assert (
        problems["note"] == f"Catatan terlalu panjang ({MAX_NOTE + 1} karakter, paling banyak 500)."
    )
    assert "Unit penyelenggara terlalu panjang" in problems["organiser"]
    assert "di luar masa program" in problems["start_date"]
    assert "Jenis kegiatan tidak dikenal" in problems["kind"]
    html = "<script>alert(1)</script><b>tebal</b>"
    stored = agenda.create(NATIONAL, event(note=html))
    kept = agenda.get(stored.id)
    assert kept is not None and kept.note == html  # kept verbatim; screens show it as text


def test_last_event_per_regency_ignores_planned_events(agenda: Agenda) -> None:
    agenda.create_many(
        NATIONAL,
        [
            event(start_date=date(2020, 7, 1), end_date=date(2020, 7, 1)),
            event(start_date=date(2020, 8, 1), end_date=date(2020, 8, 1)),
            event("3204", start_date=date(2030, 1, 1), end_date=date(2030, 1, 2)),
        ],
    )
    assert agenda.last_event_dates("32", date(2026, 1, 1)) == {"3201": date(2020, 8, 1)}


def test_unreachable_database_says_so_in_indonesian() -> None:
    agenda = Agenda("postgresql://postgres@127.0.0.1:1/agenda")
    with pytest.raises(AgendaUnavailableError, match="Basis data agenda tidak dapat dijangkau"):
        agenda.events()
    with pytest.raises(AgendaUnavailableError, match="hanya dapat dibaca"):
        agenda.create(NATIONAL, event())
