"""The synthetic replica's generator: its own package, streamed in chunks, calibrated exactly.

The query layer must not depend on the generator (it is a fixture generator): ``queries``
never imports ``synthetic`` (tests/test_import_graph.py); ``queries.demo`` runs its command.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
from conftest import _temporary_database
from sqlalchemy import create_engine

from geo.regions import districts, regencies
from geo.vintages import code_changes_2022
from queries import urls
from queries.contract import metadata
from queries.facts import district_mapping
from synthetic import generator, registrants
from synthetic.calibration import target_counts

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("queries", "synthetic")


@pytest.mark.parametrize(
    "module", ["queries.bootstrap", "queries.sync", "synthetic.generator", "synthetic.__main__"]
)
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    """Import order cannot hide a cycle: each module loads first, in a new interpreter, and
    loading the refresh does not load the generator."""
    check = f"import sys, {module}; print('synthetic.generator' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == str(module.startswith("synthetic"))


@pytest.fixture
def small_chunks(monkeypatch) -> int:
    """Chunks of 1,000 rows, so a small scale spans several of them."""
    monkeypatch.setattr(registrants, "CHUNK_ROWS", 1_000)
    monkeypatch.setattr(generator, "CHUNK_ROWS", 1_000)
    return 1_000


@pytest.mark.parametrize("scale", [0.0003, 0.01])
def test_streamed_tables_are_exact_and_consistent(small_chunks, scale: float) -> None:
    """Across chunk boundaries: ids run on in time order, the totals are the published
    figures × scale, and every province gets exactly its quota of eligible registrants."""
    tables = generator.generate(scale)  # the chunks, in the order the writer takes them
    people, chosen = tables["registrants"], tables["recipients"]
    trained, paid = tables["training_completions"], tables["incentive_payments"]
    targets = target_counts(scale)
    assert len(people) == targets["registrants"] > 4 * small_chunks
    assert people["id"].tolist() == list(range(1, len(people) + 1))
    assert people["registered_at"].is_monotonic_increasing
    assert len(chosen) == chosen["registrant_id"].nunique() == targets["recipients"]
    assert trained["registrant_id"].nunique() == targets["completed"]
    assert paid["registrant_id"].nunique() == targets["paid"]
    assert set(trained["registrant_id"]) <= set(chosen["registrant_id"])
    assert set(paid["registrant_id"]) <= set(trained["registrant_id"])
    for table in (chosen, trained, paid):
        assert table["id"].tolist() == list(range(1, len(table) + 1))
        assert table.iloc[:, -1].is_monotonic_increasing  # the event time, last column
    assert paid.equals(paid.sort_values(["paid_at", "registrant_id"]))  # weeks joined in order
    monthly = paid.loc[paid["kind"] == "monthly"].groupby("registrant_id")["paid_at"]
    assert (monthly.diff().dropna() == pd.Timedelta(days=30)).all()  # across week boundaries
    eligible = people.loc[people["registered_at"] < generator.WAVE_SELECTED[6]]
    pool = eligible["regency_code"].str[:2].value_counts()
    got = eligible.loc[eligible["id"].isin(chosen["registrant_id"]), "regency_code"].str[:2]
    assert len(got) == len(chosen)
    quotas = generator.province_quotas(pool, targets["recipients"])
    assert got.value_counts().reindex(quotas.index, fill_value=0).equals(quotas.astype("int64"))


def test_the_same_seed_gives_the_same_rows() -> None:
    """A chunk is drawn from its own seed: a rerun draws the same rows (and the recipient
    selection's second pass sees what the first counted)."""
    first = generator.generate(0.002)
    again = generator.generate(0.002)
    for name in ("registrants", "recipients", "incentive_payments"):
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not np.array_equal(
        first["registrants"]["regency_code"],
        generator.generate(0.002, seed=1)["registrants"]["regency_code"],
    )


SCHEMA = """
SELECT table_name, column_name, data_type, is_nullable, column_default
FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT conrelid::regclass::text, conname, contype::text, convalidated::text, NULL
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT tablename, indexname, indexdef, NULL, NULL FROM pg_indexes WHERE schemaname = 'public'
ORDER BY 1, 2, 3
"""


@pytest.mark.postgres
def test_postgres_replica_has_the_contract_schema() -> None:
    """Keys added after the COPY give the schema ``create_all`` gives (sequences, primary
    keys, indexes, foreign keys by name), the foreign keys left NOT VALID."""
    with _temporary_database() as written, _temporary_database() as declared:
        generator.build(written, 0.0005)
        engine = create_engine(urls.sqlalchemy_url(declared))
        metadata.create_all(engine)
        engine.dispose()
        with psycopg.connect(written) as a, psycopg.connect(declared) as b:
            got, expected = a.execute(SCHEMA).fetchall(), b.execute(SCHEMA).fetchall()
    foreign = [row for row in got if row[2] == "f"]
    assert len(foreign) == 7 and all(row[3] == "false" for row in foreign)
    assert _validity_aside(got) == _validity_aside(expected)


def _validity_aside(rows: list[tuple]) -> list[tuple]:
    """Schema rows with the foreign keys' validated flag left out."""
    return [(*row[:3], None if row[2] == "f" else row[3], row[4]) for row in rows]


def test_registrants_get_a_skewed_kecamatan_of_their_regency() -> None:
    """The README's distribution: a kecamatan of the registrant's regency (written with the
    regency code the row carries), heavier near the regency's label point and a long tail,
    and 0.4% unknown — missing, ``RRRR00`` or another regency's — in about equal parts."""
    people = generator.generate(0.01)["registrants"]
    valid = people.loc[~people["regency_code"].isin(registrants.INVALID_CODES)]
    mapping = district_mapping()
    known = valid.merge(
        mapping,
        left_on=["regency_code", "district_code"],
        right_on=["source_regency", "source_code"],
    )
    unknown = valid.loc[~valid["id"].isin(known["id"])]
    assert 0.003 < len(unknown) / len(valid) < 0.005
    kinds = [
        unknown["district_code"].isna(),
        unknown["district_code"].str.endswith("00", na=False),
        unknown["district_code"].str[:4].ne(unknown["regency_code"])
        & unknown["district_code"].notna(),
    ]
    assert all(0.2 < kind.mean() < 0.47 for kind in kinds)
    counts = known.groupby(["regency_code", "code"]).size()
    large = counts.groupby(level=0).sum().loc[lambda total: total >= 500].index
    shares = (counts / counts.groupby(level=0).transform("sum")).loc[large]
    top = shares.groupby(level=0).max()
    kecamatan = districts().groupby("regency_code").size()
    current = [code_changes_2022().get(code, code) for code in large]
    assert (top.to_numpy() > 2 / kecamatan.loc[current].to_numpy()).mean() > 0.8
    nearest = _nearest_to_label_point()
    heaviest = shares.groupby(level=0).idxmax().map(lambda key: key[1])
    assert heaviest.isin(nearest).mean() > 0.5


def _nearest_to_label_point() -> set[str]:
    table = districts().merge(
        regencies()[["code", "lat", "lon"]].add_prefix("regency_"), on="regency_code"
    )
    distance = np.hypot(table["lat"] - table["regency_lat"], table["lon"] - table["regency_lon"])
    return set(table.loc[distance.groupby(table["regency_code"]).idxmin(), "code"])
