"""The effect's command line and honest scope: ``python -m outreach effects`` lists the demo
agenda's events before the dashboard was ever opened, ``calibrate`` ends with its one-line
verdict and leaves the result for Tentang Data, neighbours come from shared borders when the
boundaries are there, and the deck's Dampak slide counts the deck's own population."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest

from dashboard import outreach_view
from geo import adjacency
from outreach import calibrate, effect
from outreach.__main__ import main
from outreach.storage import Agenda
from queries.filters import Filters
from synthetic.planted import PLANTED_EVENTS

REQUIRED = [
    "event_id",
    "regency_code",
    "measure",
    "primary",
    "before",
    "after",
    "control_before",
    "control_after",
    "did_points",
    "did_low",
    "did_high",
    "verdict",
    "sentence",
]


@pytest.fixture
def fresh_agenda(monkeypatch, app_data_dir, tmp_path) -> str:
    """The session's demo store, and an agenda nobody has opened yet."""
    url = f"sqlite:///{tmp_path / 'agenda.sqlite'}"
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(app_data_dir))
    monkeypatch.setenv("PRAKERJA_REFRESH_MINUTES", "0")
    monkeypatch.setenv("PRAKERJA_APP_DB_URL", url)
    return url


def test_effects_lists_the_demo_agenda_before_the_dashboard_was_opened(
    fresh_agenda, capsys
) -> None:
    assert main(["effects"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert set(REQUIRED) <= set(rows[0])
    assert {row["regency_code"] for row in rows} == {p.regency_code for p in PLANTED_EVENTS}
    primaries = [row for row in rows if row["primary"] == "True"]
    assert len(primaries) == len(PLANTED_EVENTS)  # one judged measure per event
    assert all(row["sentence"] for row in rows)
    assert {row["verdict"] for row in rows if row["primary"] == "False"} <= {
        "sekunder",
        "tidak_cukup",
    }


def test_calibrate_prints_a_table_and_its_last_line_and_keeps_the_result(
    fresh_agenda, app_data_dir, capsys
) -> None:
    saved = Path(app_data_dir) / calibrate.RESULT_FILE
    try:
        assert main(["calibrate", "--placebos", "20", "--seed", "3"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].split()[:3] == ["placement", "measure", "before"]
        assert sum(line.startswith(("random ", "after_dip ")) for line in out) == 12
        assert re.fullmatch(r"false_effect_rate random=0\.\d{3} after_dip=0\.\d{3}", out[-1])
        shown = outreach_view.calibration_text(calibrate.latest(Path(app_data_dir)))
        assert "20 kegiatan plasebo per penempatan, seed 3" in shown
        assert out[-1] in shown
    finally:
        saved.unlink(missing_ok=True)


def test_calibrate_refuses_a_bad_count_in_one_line(fresh_agenda, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["calibrate", "--placebos", "nol"])
    assert exit_.value.code == 2
    assert "Harus bilangan bulat positif: nol" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["calibrate", "--placebos", "5", "--seed", "x"])
    assert "Harus bilangan bulat 0 atau lebih: x" in capsys.readouterr().err


def test_neighbours_come_from_shared_borders_else_from_nearest_capitals(
    boundary_cache, monkeypatch, tmp_path
) -> None:
    near, source = adjacency.neighbours()
    assert source == "batas wilayah"
    assert {"3271", "3276", "3202", "3203", "3216"} <= near["3201"]  # Kabupaten Bogor
    assert "3204" not in near["3201"]  # Kabupaten Bandung: no shared border
    assert all(code in near[other] for code in near for other in near[code])  # symmetric
    monkeypatch.setenv("PRAKERJA_CACHE_DIR", str(tmp_path))  # no boundaries here
    near, source = adjacency.neighbours()
    assert source == "titik ibu kota terdekat"
    assert len(near["3201"]) == adjacency.NEAREST_POINTS and "3271" in near["3201"]


def test_the_deck_slide_counts_the_decks_population_and_says_so(
    fresh_agenda, sqlite_replica
) -> None:
    from dashboard.exports.context import context_from_store
    from dashboard.exports.deck import DeckScope
    from dashboard.exports.outreach_slide import outreach_slide

    Agenda(fresh_agenda).migrate().seed_demo(date.today())
    store = sqlite_replica.store()
    women = Filters(date(2020, 4, 11), date(2020, 9, 3), genders=("F",))
    scope = DeckScope(store, women, context_from_store(store, women, "Indonesia"), "nation", 10)
    lines = outreach_slide(scope).notes.splitlines()
    assert lines[0] == "Dampak dihitung atas pendaftar perempuan (filter halaman)."
    events = Agenda(fresh_agenda).events()
    everyone = effect.effects_from_store(store, events, events, date.today())
    only_women = effect.effects_from_store(
        store, events, events, date.today(), effect.population(women)
    )
    assert len(only_women) == len(everyone)
    counted = {(e.event_id, e.measure): e.after for e in everyone}
    assert all(e.after <= counted[(e.event_id, e.measure)] for e in only_women)
    assert sum(e.after for e in only_women) < sum(counted.values())
    store.close()


def test_a_deck_whose_filters_exclude_an_events_measure_says_so(
    fresh_agenda, sqlite_replica
) -> None:
    from dashboard.exports.context import context_from_store
    from dashboard.exports.deck import DeckScope
    from dashboard.exports.outreach_slide import outreach_slide

    Agenda(fresh_agenda).migrate().seed_demo(date.today())
    store = sqlite_replica.store()
    men = Filters(date(2020, 4, 11), date(2020, 9, 3), genders=("M",), region="35")
    scope = DeckScope(store, men, context_from_store(store, men, "Jawa Timur"), "province", 10)
    lines = outreach_slide(scope).notes.splitlines()
    assert lines[0] == "Dampak dihitung atas pendaftar laki-laki (filter halaman)."
    [malang] = [line for line in lines if "Kabupaten Malang" in line]
    assert malang.endswith("(pendaftar perempuan) berada di luar filter halaman: tidak dinilai.")
    store.close()
