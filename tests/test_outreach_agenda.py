"""The agenda's application database, on SQLite (the default) and PostgreSQL: migrations,
scoped writes, the audit trail, optimistic-concurrency conflicts (also from two threads at
once), all-or-nothing batches, refused input and an unreachable database."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from conftest import _temporary_database
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
    edited = agenda.update(WEST_JAVA, created, event(note="Balai desa"))
    agenda.delete(NATIONAL, edited)
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
        agenda.update(BOGOR, bandung, event("3201"))
    with pytest.raises(ScopeError):  # moving an own event out of scope is refused too
        own = agenda.create(BOGOR, event())
        agenda.update(BOGOR, own, event("3204"))
    with pytest.raises(ScopeError):
        agenda.create(WEST_JAVA, event("3578"))
    agenda.create(NATIONAL, event("3578"))
    assert sorted(e.regency_code for e in agenda.events()) == ["3201", "3204", "3578"]
    assert sorted(e.regency_code for e in agenda.events("32")) == ["3201", "3204"]
    assert len(agenda.audit()) == 3  # refused writes leave no trace


def test_second_editor_of_the_same_version_gets_a_conflict(agenda: Agenda) -> None:
    opened = agenda.create(BOGOR, event())
    agenda.update(BOGOR, opened, event(note="Perubahan pertama"))
    with pytest.raises(ConflictError, match="sudah diubah oleh disnaker@bogorkab") as conflict:
        agenda.update(WEST_JAVA, opened, event(note="Perubahan kedua"))
    current, saved = conflict.value.current, agenda.get(opened.id)
    assert current is not None and current.note == "Perubahan pertama"
    assert saved is not None and saved.note == "Perubahan pertama"
    with pytest.raises(ConflictError):
        agenda.delete(WEST_JAVA, opened)
    agenda.delete(BOGOR, replace(opened, version=opened.version + 1))
    with pytest.raises(ConflictError, match="sudah dihapus"):
        agenda.update(BOGOR, replace(opened, version=opened.version + 1), event())


def test_simultaneous_edits_save_exactly_one(agenda: Agenda) -> None:
    opened = agenda.create(BOGOR, event())
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(editor: Editor, note: str) -> None:
        start.wait()
        try:
            agenda.update(editor, opened, event(note=note))
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


# --- issue 22: identity, refused text, broken databases, the audit trail, first start --------


def test_ids_are_never_reused_and_a_stale_form_cannot_save_over_a_new_event(
    agenda: Agenda,
) -> None:
    agenda.create(BOGOR, event())
    gone = agenda.create(BOGOR, event(note="Dibuka di formulir, lalu dihapus"))
    agenda.delete(NATIONAL, gone)
    newer = agenda.create(NATIONAL, event("3578", note="Kegiatan Surabaya"))
    assert newer.id > gone.id  # SQLite reused the id before 0002
    with pytest.raises(ConflictError, match="sudah dihapus") as conflict:
        agenda.update(NATIONAL, replace(gone, id=newer.id), event(note="Formulir lama"))
    assert conflict.value.deleted
    stored = agenda.get(newer.id)
    assert stored is not None and stored.note == "Kegiatan Surabaya"  # the save checked uid
    with pytest.raises(ConflictError, match="sudah dihapus"):
        agenda.delete(NATIONAL, replace(gone, id=newer.id))
    assert agenda.get(newer.id) is not None


def test_upgrade_keeps_events_and_counts_ids_from_the_audit_trail(tmp_path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from outreach.storage import MIGRATIONS

    old = Agenda(f"sqlite:///{tmp_path / 'old.sqlite'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO outreach_events (id, regency_code, province_code, start_date, "
                "end_date, kind, target_group, organiser, note, version, created_by, "
                "created_at, updated_by, updated_at) VALUES (2, '3201', '32', '2020-07-06', "
                "'2020-07-06', 'sosialisasi', 'umum', 'Dinas', 'lama', 1, 'a', "
                "'2020-07-01 00:00:00', 'a', '2020-07-01 00:00:00')"
            )
        )
        connection.execute(  # event 7 existed once and was deleted
            text(
                "INSERT INTO outreach_audit (event_id, action, actor, at, before, after) "
                "VALUES (7, 'delete', 'a', '2020-07-02 00:00:00', "
                '\'{"regency_code": "3204"}\', NULL)'
            )
        )
    old.migrate()
    [kept] = old.events()
    assert (kept.id, kept.note, len(kept.uid)) == (2, "lama", 32)
    assert old.create(NATIONAL, event()).id == 8
    assert [entry.event_id for entry in old.audit(scope="3204")] == [7]
    old.dispose()


def test_control_characters_are_refused_in_bahasa(agenda: Agenda) -> None:
    with pytest.raises(EventError) as refused:
        agenda.create(NATIONAL, event(note="Aula\x00desa", organiser="Dinas\x07"))
    assert "karakter kendali" in refused.value.problems["note"]
    assert "NUL" in refused.value.problems["organiser"]
    kept = agenda.create(NATIONAL, event(note="Baris satu\nbaris dua\tselesai"))
    assert kept.note == "Baris satu\nbaris dua\tselesai"
    assert len(agenda.events()) == 1


@pytest.mark.parametrize("who", ["", "   ", "x" * 255])
def test_every_write_names_a_valid_actor(agenda: Agenda, who: str) -> None:
    with pytest.raises(EventError) as refused:
        agenda.create(Editor(who, "ID"), event())
    assert refused.value.problems["actor"].startswith("Nama atau e-mail penulis")
    assert agenda.events() == [] and agenda.audit() == []


def test_a_regional_audit_view_is_filtered_before_its_limit(agenda: Agenda) -> None:
    own = agenda.create(BOGOR, event())
    agenda.create_many(NATIONAL, [event("3204") for _ in range(100)])
    assert [entry.event_id for entry in agenda.audit(limit=100, scope="3201")] == [own.id]
    assert len(agenda.audit(limit=100, scope="32")) == 100
    assert len(agenda.audit(limit=100)) == 100


def test_audit_rows_can_only_be_inserted(agenda: Agenda) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    agenda.create(BOGOR, event())
    statements = [
        "UPDATE outreach_audit SET actor = 'orang lain'",
        "DELETE FROM outreach_audit",
    ]
    if agenda.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE outreach_audit")
    for statement in statements:
        with (
            pytest.raises(DBAPIError, match="hanya dapat ditambah"),
            agenda.engine.begin() as connection,
        ):
            connection.execute(text(statement))
    assert [(entry.action, entry.actor) for entry in agenda.audit()] == [("create", BOGOR.who)]


@pytest.mark.parametrize(
    "url",
    ["bukan-alamat", "mysql+pymysql://u@127.0.0.1/agenda", "oracle://u@h/db", "sqlite+foo:///x"],
)
def test_an_unusable_url_is_an_unavailable_agenda(url: str) -> None:
    with pytest.raises(AgendaUnavailableError, match="PRAKERJA_APP_DB_URL bukan alamat"):
        Agenda(url)


def _schema_newer(agenda: Agenda) -> None:
    from sqlalchemy import text

    with agenda.engine.begin() as connection:
        connection.execute(text("UPDATE outreach_alembic_version SET version_num = '0099'"))


def _schema_without_version_table(agenda: Agenda) -> None:
    from sqlalchemy import text

    with agenda.engine.begin() as connection:
        connection.execute(text("DROP TABLE outreach_alembic_version"))


def _recreated_empty(agenda: Agenda) -> None:
    from outreach.storage import metadata

    with agenda.engine.begin() as connection:
        metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE outreach_alembic_version")


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (_schema_newer, r"revisi 0099\) lebih baru daripada aplikasi ini"),
        (_schema_without_version_table, "tanpa tabel versi skema"),
    ],
)
def test_an_unknown_schema_is_left_alone_and_reported(agenda: Agenda, damage, words) -> None:
    agenda.create(BOGOR, event())
    damage(agenda)
    with pytest.raises(AgendaUnavailableError, match=words):
        Agenda(agenda.url).migrate()
    assert len(agenda.events()) == 1  # untouched


def test_a_database_recreated_empty_while_open_is_reported(agenda: Agenda) -> None:
    agenda.create(BOGOR, event())
    _recreated_empty(agenda)
    with pytest.raises(AgendaUnavailableError, match="Tabel agenda tidak ditemukan"):
        agenda.events()
    with pytest.raises(AgendaUnavailableError, match="Tabel agenda tidak ditemukan"):
        agenda.create(BOGOR, event())


def test_a_vanished_or_read_only_sqlite_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "agenda.sqlite"
    agenda = Agenda(f"sqlite:///{path}").migrate()
    agenda.check_writable()
    path.chmod(0o444)
    immutable = os.geteuid() == 0  # root ignores file modes: make the file immutable too
    if immutable:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        # the pool's connection was opened read-write before: the check still sees it
        with pytest.raises(AgendaUnavailableError, match=r"hanya dapat dibaca \(berkasnya"):
            agenda.check_writable()
        assert agenda.events() == []  # still readable
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)
    path.unlink()
    with pytest.raises(AgendaUnavailableError, match=r"agenda\.sqlite\) tidak ada lagi"):
        agenda.check_writable()
    agenda.dispose()


OPEN_ONCE = """
import sys, time
from datetime import date
from pathlib import Path
from outreach.storage import Agenda
import synthetic.planted  # imported before the start line, so both start together
go = Path(sys.argv[2])
Path(f"{go}.ready{sys.argv[3]}").touch()
while not go.exists():
    time.sleep(0.005)
Agenda(sys.argv[1]).migrate(demo_day=date(2026, 12, 7)).dispose()
"""


def _open_from_two_processes(url: str, go: Path) -> list[subprocess.CompletedProcess]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_ONCE, url, str(go), str(number)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(2)
    ]
    deadline = time.monotonic() + 60
    while len(list(go.parent.glob(f"{go.name}.ready*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # until both have imported everything and wait for the start line
    go.touch()
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        outcomes.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return outcomes


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_processes_opening_a_fresh_agenda_migrate_and_seed_once(
    backend: str, tmp_path: Path
) -> None:
    from synthetic.planted import agenda_rows

    seeded = len(agenda_rows(date(2026, 12, 7)))
    for trial in range(3):
        with contextlib.ExitStack() as stack:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path / f'fresh{trial}.sqlite'}"
            else:
                url = stack.enter_context(_temporary_database())
            outcomes = _open_from_two_processes(url, tmp_path / f"go{trial}")
            assert [o.returncode for o in outcomes] == [0, 0], [o.stderr[-600:] for o in outcomes]
            agenda = Agenda(url)
            assert len(agenda.events()) == seeded, trial
            assert len(agenda.audit()) == seeded
            agenda.dispose()


@pytest.mark.parametrize(("who", "words"), [("", "wajib diisi"), ("x" * 255, "terlalu panjang")])
def test_the_command_line_refuses_an_empty_or_over_long_actor(
    own_pg_database: str, monkeypatch, tmp_path: Path, capsys, who: str, words: str
) -> None:
    from outreach import spreadsheet
    from outreach.__main__ import main

    monkeypatch.setenv("PRAKERJA_APP_DB_URL", own_pg_database)
    sheet = tmp_path / "agenda.xlsx"
    sheet.write_bytes(spreadsheet.template())  # its example row is a valid event
    with pytest.raises(SystemExit) as refused:
        main(["import", str(sheet), "--by", who, "--scope", "32"])
    assert refused.value.code == 2
    error = capsys.readouterr().err
    assert f"argument --by: Nama atau e-mail penulis {words}" in error
    assert "Traceback" not in error
    assert main(["import", str(sheet), "--by", "dinas@jabarprov.go.id", "--scope", "32"]) == 0
    assert [e.actor for e in Agenda(own_pg_database).audit()] == ["dinas@jabarprov.go.id"]


@pytest.mark.parametrize("damage", ["url", "newer"])
def test_the_command_line_says_one_bahasa_line_for_an_unusable_database(
    monkeypatch, tmp_path: Path, capsys, damage: str
) -> None:
    from outreach.__main__ import main

    url = f"sqlite:///{tmp_path / 'agenda.sqlite'}"
    if damage == "newer":
        agenda = Agenda(url).migrate()
        _schema_newer(agenda)
        agenda.dispose()
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", url if damage == "newer" else "bukan-alamat")
    for command in (["upgrade"], ["effects", "--region", "3201"]):
        assert main(command) == 1
        error = capsys.readouterr().err
        assert len(error.strip().splitlines()) == 1, error
        assert "Agenda hanya dapat dibaca" in error


def test_an_event_may_name_a_kecamatan_of_its_own_regency(agenda: Agenda) -> None:
    from dashboard.outreach_view import title

    bekasi = Editor("disnaker@bekasikab.go.id", "3216")
    saved = agenda.create(bekasi, event("3216", district_code="32.16.01"))
    assert saved.district_code == "321601"
    [listed] = agenda.events("3216")
    assert listed.district_code == "321601" and agenda.events("321601") == [listed]
    assert title(listed) == (
        "Sosialisasi — Kecamatan Tarumajaya, Kabupaten Bekasi, 6 Juli 2020 – 8 Juli 2020 "
        "(sasaran: umum)"
    )
    moved = agenda.update(bekasi, listed, replace(listed.fields(), district_code=None))
    assert moved.district_code is None and "Kecamatan" not in title(moved)
    for wrong, words in (("327301", "bukan bagian dari"), ("329999", "tidak dikenal")):
        with pytest.raises(EventError) as refused:
            agenda.create(bekasi, event("3216", district_code=wrong))
        assert words in refused.value.problems["district_code"]
    assert [e.id for e in agenda.events("3216")] == [saved.id]


def test_upgrade_to_kecamatan_keeps_the_events(tmp_path) -> None:
    from alembic import command
    from alembic.config import Config

    from outreach.storage import MIGRATIONS

    old = Agenda(f"sqlite:///{tmp_path / 'old.sqlite'}").migrate()
    created = old.create(NATIONAL, event())
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.engine.begin() as connection:  # back to the schema before kecamatan
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    old.migrate()
    [kept] = old.events()
    assert (kept.id, kept.note, kept.district_code) == (created.id, "Aula kecamatan", None)
    old.dispose()
