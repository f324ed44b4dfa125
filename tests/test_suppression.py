"""Small cells stay small under every combination of filters (issue #14 item 6).

Hypothesis draws region, period and demographic filters; for each draw the figures a screen
can show are taken through ``ProtectedFigures`` (what ``dashboard.data`` and the slide decks
use) and checked against the store's raw figures: no shown count is below the threshold, no
shown figure differs from the raw one, a region's figure is the same wherever it appears, and
in every additive group whose total is shown (provinces and unknown codes under the nation,
regencies under their province, kecamatan and the "kecamatan tidak dikenal" row under their
regency, breakdown categories and weeks under the region) a hidden cell cannot be recovered by
subtraction: either nothing is hidden, or at least two cells are,
holding together at least the threshold.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geo.regions import NATION_CODE, districts, regencies
from geo.vintages import UNKNOWN
from queries import metrics
from queries.filters import AGE_BANDS, Filters
from queries.suppression import MONTHLY_PAYMENT_IDR, ProtectedFigures, hidden_cells

THRESHOLD = 10
FIRST_DAY = date(2020, 4, 11)
DAYS = 146
DIMENSIONS = tuple(metrics.BREAKDOWN_SQL)
REGIONS = (
    NATION_CODE,
    "32",
    "35",
    "91",
    "65",
    "3216",
    "3171",
    "6501",
    *regencies()["code"].iloc[::37],
    "321609",  # kecamatan: Cikarang Utara, the demo's largest in Kabupaten Bekasi
    "321617",  # Muaragembong, a small one
    "930101",  # Merauke, written with the pre-2022 regency code in the replica
    *districts()["code"].iloc[::401],
)


PARTITIONS = ("provinces", "regencies", "kecamatan")
"""Groups whose cells add up to their total exactly (the kecamatan with the ``??`` row)."""


def _unit(column: str) -> int:
    return MONTHLY_PAYMENT_IDR if column == "paid_idr" else 1


@st.composite
def filter_combinations(draw) -> Filters:
    start = FIRST_DAY + timedelta(days=draw(st.integers(0, DAYS - 1)))
    length = draw(st.integers(0, DAYS - 1))
    return Filters(
        date_from=start,
        date_to=min(start + timedelta(days=length), FIRST_DAY + timedelta(days=DAYS)),
        region=draw(st.sampled_from(REGIONS)),
        genders=tuple(draw(st.sets(st.sampled_from(("F", "M")), max_size=1))),
        channels=tuple(draw(st.sets(st.sampled_from(("online", "offline")), max_size=1))),
        age_bands=tuple(sorted(draw(st.sets(st.sampled_from(AGE_BANDS), max_size=2)))),
        disability=draw(st.sampled_from((None, True, False))),
        waves=tuple(sorted(draw(st.sets(st.integers(1, 6), max_size=2)))),
    )


def _groups(shown: ProtectedFigures, raw: ProtectedFigures, filters: Filters):
    """(name, protected cells, raw cells, protected total, raw total) of each additive group
    a screen for ``filters`` can show."""
    nation = filters.with_region(NATION_CODE)
    columns = list(metrics.METRICS)

    def provinces(figures: ProtectedFigures) -> pd.DataFrame:
        frame = figures.region_metrics(nation, "province")[["code", *columns]]
        unknown = figures.unknown_code_totals(nation).to_frame().T.assign(code=UNKNOWN)
        return pd.concat([frame, unknown], ignore_index=True).set_index("code")

    def raw_metrics(name: str, scope: Filters, *args) -> pd.DataFrame:
        return raw.fetch(name, scope, *args)

    raw_provinces = raw_metrics("region_metrics", nation, "province").set_index("code")
    raw_provinces.loc[UNKNOWN] = raw_metrics("unknown_code_totals", nation).iloc[0]
    yield (
        "provinces",
        provinces(shown),
        raw_provinces[columns],
        shown.totals(nation),
        raw_metrics("totals", nation).iloc[0],
    )
    province = filters.with_region(filters.region[:2]) if filters.province else None
    if province is not None:
        yield (
            "regencies",
            shown.region_metrics(province, "regency").set_index("code")[columns],
            raw_metrics("region_metrics", province, "regency").set_index("code")[columns],
            shown.totals(province),
            raw_metrics("totals", province).iloc[0],
        )
    if filters.regency:
        regency = filters.with_region(filters.regency)
        yield (
            "kecamatan",
            shown.district_metrics(regency).set_index("code")[columns],
            raw_metrics("district_metrics", regency).set_index("code")[columns],
            shown.totals(regency),
            raw_metrics("totals", regency).iloc[0],
        )
    total, raw_total = shown.totals(filters), raw_metrics("totals", filters).iloc[0]
    for dimension in metrics.DISTRICT_BREAKDOWNS if filters.district else DIMENSIONS:
        yield (
            dimension,
            shown.breakdown(filters, dimension)[columns],
            raw_metrics("breakdown", filters, dimension)[columns],
            total,
            raw_total,
        )
    yield (
        "weeks",
        shown.weekly_series(filters)[columns],
        raw_metrics("weekly_series", filters)[columns],
        total,
        raw_total,
    )


def _check_group(name, cells, raw_cells, total, raw_total) -> None:
    assert cells.index.equals(raw_cells.index), (name, "protection hides counts, never rows")
    for column in metrics.METRICS:
        limit = THRESHOLD * _unit(column)
        values, raw_values = cells[column], raw_cells[column].astype("int64")
        shown = values.dropna().astype("int64")
        assert ((shown == 0) | (shown >= limit)).all(), (name, column, shown.tolist())
        assert (shown == raw_values[shown.index]).all(), (name, column)
        if pd.isna(total[column]):
            assert values.isna().all(), (name, column, "a hidden total's parts are shown")
            continue
        assert int(total[column]) == int(raw_total[column])
        if name in PARTITIONS:
            assert int(raw_values.sum()) == int(raw_total[column]), (name, column)
        if int(raw_values.sum()) != int(raw_total[column]):
            continue  # not a partition of the total (e.g. registrants have no wave)
        hidden = values.isna()
        if hidden.any():
            recoverable = int(total[column]) - int(shown.sum())
            assert hidden.sum() >= 2 and recoverable >= limit, (name, column, recoverable)


@pytest.fixture(scope="module")
def figure_pair(sqlite_replica):
    store = sqlite_replica.store()
    figures = ProtectedFigures.direct(store, THRESHOLD)  # its fetch gives the raw figures
    yield figures, figures
    store.close()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(  # the case: Kabupaten Bekasi, May 2020, people with a disability
    Filters(date(2020, 5, 1), date(2020, 5, 31), region="3216", disability=True)
)
@example(  # a kecamatan in a week, women in one wave: nearly every cell is small
    Filters(date(2020, 6, 16), date(2020, 6, 24), region="321609", genders=("F",), waves=(4,))
)
@given(filters=filter_combinations())
def test_no_small_cell_survives_and_none_can_be_recovered(figure_pair, filters) -> None:
    shown, raw = figure_pair
    for group in _groups(shown, raw, filters):
        _check_group(*group)
    region_row = shown.totals(filters)
    if filters.regency:  # the same figure wherever the regency appears
        regency_group = shown.region_metrics(filters.with_region(filters.province), "regency")
        row = regency_group.set_index("code").loc[filters.regency, list(metrics.METRICS)]
        own = shown.totals(filters.with_region(filters.regency))
        assert row.astype("Int64").equals(own.astype("Int64"))
    if filters.district:  # and the kecamatan, in its regency's and its province's tables
        for scope in (filters.regency, filters.province):
            group = shown.district_metrics(filters.with_region(scope)).set_index("code")
            row = group.loc[filters.district, list(metrics.METRICS)]
            assert row.astype("Int64").equals(region_row.astype("Int64"))
    funnel = shown.funnel(filters)
    assert funnel["people"].isna().tolist() == [
        pd.isna(region_row[stage]) for stage, _ in metrics.FUNNEL_STAGES
    ]
    assert funnel["share_of_previous"].notna().sum() <= funnel["people"].notna().sum()
    # Protection hides counts, never rows: the filter panel lists the raw breakdown's waves.
    nation = filters.with_region(NATION_CODE)
    waves = shown.breakdown(nation, "wave")["value"].tolist()
    assert waves == raw.fetch("breakdown", nation, "wave")["value"].tolist()


@pytest.mark.parametrize(
    ("values", "hidden"),
    [
        ([5, 40, 50, 0], [True, True, False, False]),  # the smallest shown cell joins it
        ([3, 4, 40, 50], [True, True, True, False]),  # 3 + 4 < 10: one more
        ([5, 0, 0], [True, False, False]),  # nothing else to hide: the total is small too
        ([12, 40, 0], [False, False, False]),  # nothing small, nothing hidden
    ],
)
def test_complementary_cells_are_the_smallest_until_the_hidden_sum_is_safe(values, hidden):
    assert hidden_cells(np.array(values), THRESHOLD).tolist() == hidden
