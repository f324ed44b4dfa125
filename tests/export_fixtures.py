"""The demo store the export tests share (scale 0.005), with its data directory beside it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from queries.store import Store, store_dir
from queries.sync import sync
from synthetic import generator

THRESHOLD = 10
PERIOD: dict[str, Any] = {"date_from": date(2020, 4, 11), "date_to": date(2020, 9, 3)}


@pytest.fixture(scope="session")
def export_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A demo store at scale 0.005, with the data directory (export log) beside it."""
    base = tmp_path_factory.mktemp("exports")
    url = f"sqlite:///{base / 'replica.sqlite'}"
    generator.build(url, 0.005)
    directory = store_dir(base / "data")
    sync(url, directory)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRAKERJA_DATA_DIR", str(base / "data"))
        patch.setenv("PRAKERJA_SUPPRESSION_THRESHOLD", str(THRESHOLD))
        store = Store.open_current(directory)
        yield store
        store.close()
