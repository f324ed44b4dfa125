"""Deterministic synthetic Kartu Prakerja replica, calibrated to the published 2020 figures.

``python -m synthetic --scale S --url URL`` writes the contract's tables to SQLite (the
embedded default) or PostgreSQL (COPY). At scale 1.0 the totals are exactly those of the
4 September 2020 press release: 15.9 million registrants, 3.0 million recipients, 849,921
people who completed a first training and 610,563 people paid; any other scale keeps the same
shares, exactly. The same seed and scale always give the same rows.

Everything streams: registrants are drawn chunk by chunk in time order
(``synthetic.registrants``) and written as they come. Recipients are chosen while the
registrants stream past, province by province, so that exactly each province's quota of its
eligible registrants is picked, uniformly: a first pass counts each province's eligible
registrants (the chunks are drawn and dropped), the second draws the same chunks again and
takes, from each, a hypergeometric share of what the province still needs. Only the later
tables (a fifth of the rows, as compact arrays) are held whole, to sort them by time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from queries.urls import sqlalchemy_url
from synthetic import registrants as people
from synthetic.calibration import RECIPIENTS_THOUSANDS_2020, target_counts
from synthetic.registrants import CHUNK_ROWS, DATA_UNTIL, WAVE_SELECTED, Geography
from synthetic.writer import append_tables, write_tables

Progress = Callable[[str, float], None]
"""Called with a step name and the fraction done (0–1)."""
Table = tuple[str, Iterator[pd.DataFrame]]

PLATFORMS = (
    "Tokopedia",
    "Bukalapak",
    "MauBelajarApa",
    "Pintaria",
    "Sekolahmu",
    "Pijar Mahir",
    "Sisnaker",
)
PAYMENT_PARTNERS = ("BNI", "OVO", "LinkAja", "GoPay")
PARTNER_SHARES = (0.22, 0.36, 0.22, 0.20)
PROVIDER_COUNT = 165
COURSE_COUNT = 2_140
MONTHLY_IDR = 600_000
SURVEY_IDR = 50_000
KINDS = np.array(["monthly", "survey"])
AMOUNTS = np.array([MONTHLY_IDR, SURVEY_IDR], dtype=np.int64)
PAYMENT_COLUMNS = ("registrant_id", "partner_id", "kind", "installment", "paid_at")
"""Held as compact arrays; ``kind`` as 0/1, its text and ``amount_idr`` added per chunk."""
_WAVE_DATES = np.array(list(WAVE_SELECTED.values()), dtype="datetime64[s]")
_ELIGIBLE_BEFORE = _WAVE_DATES[-1]
"""Registered before the last wave's selection: eligible to be a recipient."""


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices drawn with probability ∝ weight (Efraimidis–Spirakis keys)."""
    keys = np.log(rng.random(len(weights))) / np.maximum(weights, 1e-12)
    return np.sort(np.argpartition(-keys, k - 1)[:k]) if k else np.array([], dtype=np.int64)


def _frames(columns: dict[str, np.ndarray], first_id: int = 1) -> Iterator[pd.DataFrame]:
    """The columns as DataFrames of at most CHUNK_ROWS rows, numbered on from ``first_id``."""
    size = len(next(iter(columns.values())))
    for low in range(0, max(size, 1), CHUNK_ROWS):  # an empty table is one empty frame
        high = min(size, low + CHUNK_ROWS)
        frame = {name: values[low:high] for name, values in columns.items()}
        if "kind" in frame:
            kind = frame["kind"]
            frame["kind"] = KINDS[kind]
            paid_at = frame.pop("paid_at")
            frame = {**frame, "amount_idr": AMOUNTS[kind], "paid_at": paid_at}
        ids = np.arange(first_id + low, first_id + high, dtype=np.int64)
        yield pd.DataFrame({"id": ids, **frame})


def _in_time_order(columns: dict[str, np.ndarray], time: str) -> dict[str, np.ndarray]:
    """Rows by time, then person: the order an append-only production table has them in."""
    order = np.lexsort((columns["registrant_id"], columns[time]))
    return {name: values[order] for name, values in columns.items()}


def province_quotas(pool: pd.Series, total: int) -> pd.Series:
    """Recipients per (2020) province, shaped like the 2020 report; provinces missing from the
    report (Bengkulu, and the invalid codes' "provinces") are imputed from their eligible
    registrants at the median rate of the others. No province gives more than 90% of its
    pool; what that cap leaves goes to the provinces with the most room (tiny scales only)."""
    report = pd.Series(RECIPIENTS_THOUSANDS_2020, dtype=float)
    shares = report / pool.reindex(report.index)
    missing = pool.index.difference(report.index)
    report = pd.concat([report, pool[missing] * shares.median()])
    exact = report / report.sum() * total
    quotas = np.floor(exact).astype(int)
    quotas[(exact - quotas).sort_values(ascending=False).index[: total - quotas.sum()]] += 1
    room = (pool.reindex(quotas.index).fillna(0) * 0.9).astype(int)
    quotas = quotas.clip(upper=room)
    spare = (pool.reindex(quotas.index).fillna(0).astype(int) - quotas).sort_values()[::-1]
    for code, free in spare.items():
        extra = min(int(free), total - int(quotas.sum()))
        quotas[code] += extra
    return quotas


class RecipientDraw:
    """Picks exactly each province's quota of its eligible registrants, uniformly, from
    chunks seen one at a time (sequential hypergeometric sampling)."""

    def __init__(
        self, rng: np.random.Generator, geo: Geography, pool: np.ndarray, quota: np.ndarray
    ) -> None:
        self.rng, self.geo = rng, geo
        self.pool_left = pool.astype(np.int64)
        self.quota_left = quota.astype(np.int64)
        self.ids: list[np.ndarray] = []
        self.times: list[np.ndarray] = []

    def take(self, chunk: pd.DataFrame) -> None:
        times = chunk["registered_at"].to_numpy()
        eligible = np.flatnonzero(times < _ELIGIBLE_BEFORE)
        if not len(eligible):
            return
        province = self.geo.province[_code_index(self.geo, chunk["regency_code"].to_numpy())]
        province = province[eligible]
        seen = np.bincount(province, minlength=len(self.pool_left))
        picked = np.zeros_like(seen)
        here = seen > 0
        picked[here] = self.rng.hypergeometric(
            seen[here], self.pool_left[here] - seen[here], self.quota_left[here]
        )
        self.pool_left -= seen
        self.quota_left -= picked
        order = np.lexsort((self.rng.random(len(eligible)), province))
        by_province = province[order]
        rank = np.arange(len(order)) - (np.cumsum(seen) - seen)[by_province]
        chosen = eligible[order[rank < picked[by_province]]]
        self.ids.append(chunk["id"].to_numpy()[chosen])
        self.times.append(times[chosen])

    def recipients(self) -> dict[str, np.ndarray]:
        """Wave and selection time of everyone picked: the first wave after registering, or
        (geometrically less often) a later one."""
        registered = np.concatenate(self.times)
        first = np.searchsorted(_WAVE_DATES, registered, side="right")
        later = self.rng.geometric(0.55, size=len(registered)) - 1
        wave = np.minimum(first + later, len(_WAVE_DATES) - 1)
        seconds = self.rng.integers(0, 36_000, size=len(wave)).astype("timedelta64[s]")
        columns = {
            "registrant_id": np.concatenate(self.ids),
            "wave": (wave + 1).astype(np.int16),
            "selected_at": _WAVE_DATES[wave] + seconds,
        }
        self.ids, self.times = [], []  # held once, in the returned columns
        return _in_time_order(columns, "selected_at")


def _code_index(geo: Geography, codes: np.ndarray) -> np.ndarray:
    """Position of each code in ``geo.codes`` (every code a chunk holds is there)."""
    order = np.argsort(geo.codes, kind="stable")
    return order[np.searchsorted(geo.codes, codes, sorter=order)]


def _lag(
    rng: np.random.Generator, size: int, base_days: float, shape: float, scale: float
) -> np.ndarray:
    days = base_days + rng.gamma(shape, scale, size=size)
    return (days * 86_400).astype("int64").astype("timedelta64[s]")


def _until_data_end(times: np.ndarray) -> np.ndarray:
    return np.minimum(times, np.datetime64(DATA_UNTIL, "s"))


def _days_before_end(times: np.ndarray) -> np.ndarray:
    # numpy's stubs type datetime64 minus a datetime64 array as datetime64, not timedelta64
    return (np.datetime64(DATA_UNTIL, "s") - times) / np.timedelta64(1, "D")  # type: ignore[operator]


def _completions(
    rng: np.random.Generator, recipients: dict[str, np.ndarray], n: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """First trainings of n recipients (earlier-selected ones likelier), and a second
    training for about 15% of them; also each trained person's first training."""
    picked = _weighted_sample(rng, _days_before_end(recipients["selected_at"]) ** 1.5, n)
    person = recipients["registrant_id"][picked]
    done = _until_data_end(recipients["selected_at"][picked] + _lag(rng, n, 2, 2.0, 5.0))
    popularity = 1.0 / np.arange(1, COURSE_COUNT + 1) ** 0.9
    course = rng.choice(COURSE_COUNT, size=n, p=popularity / popularity.sum()) + 1
    again = rng.random(n) < 0.15
    second_done = done[again] + _lag(rng, int(again.sum()), 3, 2.0, 6.0)
    second_course = rng.choice(COURSE_COUNT, size=int(again.sum())) + 1
    kept = second_done <= np.datetime64(DATA_UNTIL, "s")
    columns = {
        "registrant_id": np.concatenate([person, person[again][kept]]),
        "course_id": np.concatenate([course, second_course[kept]]).astype(np.int32),
        "completed_at": np.concatenate([done, second_done[kept]]),
    }
    return _in_time_order(columns, "completed_at"), {"registrant_id": person, "done": done}


def _payments(
    rng: np.random.Generator, first: dict[str, np.ndarray], n: int
) -> Iterator[pd.DataFrame]:
    """n of the trained are paid (earlier-trained likelier): four monthly instalments 30 days
    apart, and a survey payment after each of the first three for 75% of them.

    Drawn per person (a few arrays of n), then written a week of payment time at a time, each
    week sorted by time then person: the same rows in the same order as sorting them all at
    once, without holding every payment (21.6 M rows at scale 6)."""
    paid = _weighted_sample(rng, (_days_before_end(first["done"]) + 0.5) ** 2, n)
    first_paid = _until_data_end(first["done"][paid] + _lag(rng, n, 3, 2.0, 4.0))
    partner = (rng.choice(len(PAYMENT_PARTNERS), size=n, p=PARTNER_SHARES) + 1).astype(np.int8)
    person = first["registrant_id"][paid]
    everyone = np.ones(n, dtype=bool)
    parts = [(k, 0, everyone) for k in range(1, 5)]
    parts += [(k, 1, rng.random(n) < 0.75) for k in range(1, 4)]
    order = np.argsort(first_paid, kind="stable")
    people = {"registrant_id": person[order], "partner_id": partner[order]}
    first_paid = first_paid[order]
    parts = [(k, survey, answered[order]) for k, survey, answered in parts]
    first_id = 1
    for week in _weeks(first_paid[0] if n else np.datetime64(DATA_UNTIL, "s")):
        columns = _week_of_payments(people, first_paid, parts, week)
        yield from _frames(columns, first_id)
        first_id += len(columns["paid_at"])


def _weeks(start: np.datetime64) -> Iterator[tuple[np.datetime64, np.datetime64]]:
    """Consecutive weeks ``[low, high)`` from ``start`` through the data's last second."""
    end = np.datetime64(DATA_UNTIL, "s")
    week = np.timedelta64(7, "D")
    low = start
    while low <= end:
        yield low, min(low + week, end + np.timedelta64(1, "s"))
        low += week


def _week_of_payments(
    people: dict[str, np.ndarray],
    first_paid: np.ndarray,
    parts: list[tuple[int, int, np.ndarray]],
    week: tuple[np.datetime64, np.datetime64],
) -> dict[str, np.ndarray]:
    """The payments falling in ``week`` (``first_paid`` sorted, ``people`` in its order), by
    time then person."""
    columns: dict[str, list[np.ndarray]] = {name: [] for name in PAYMENT_COLUMNS}
    for k, survey, answered in parts:
        offset = _installment_delay(k, survey)
        low, high = np.searchsorted(first_paid, [week[0] - offset, week[1] - offset])
        taken = np.arange(low, high)[answered[low:high]]
        columns["registrant_id"].append(people["registrant_id"][taken])
        columns["partner_id"].append(people["partner_id"][taken])
        columns["kind"].append(np.full(len(taken), survey, dtype=np.int8))
        columns["installment"].append(np.full(len(taken), k, dtype=np.int8))
        columns["paid_at"].append(first_paid[taken] + offset)
    return _in_time_order({name: np.concatenate(part) for name, part in columns.items()}, "paid_at")


def _installment_delay(k: int, survey: int) -> np.timedelta64:
    """Instalment k is paid about 30 days after k-1; a survey payment two days after it."""
    return np.timedelta64(30 * (k - 1) + 2 * survey, "D")


def _dimensions(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    topics = (
        "Pemasaran Digital",
        "Desain Grafis",
        "Bahasa Inggris Kerja",
        "Akuntansi UMKM",
        "Menjahit",
        "Tata Boga",
        "Barista",
        "Fotografi Produk",
        "Pemrograman Web",
        "Servis Sepeda Motor",
        "Budidaya Ikan",
        "Kewirausahaan",
    )
    providers = pd.DataFrame(
        {
            "id": np.arange(1, PROVIDER_COUNT + 1),
            "name": [f"Lembaga Pelatihan {i:03d}" for i in range(1, PROVIDER_COUNT + 1)],
        }
    )
    course_ids = np.arange(1, COURSE_COUNT + 1)
    courses = pd.DataFrame(
        {
            "id": course_ids,
            "provider_id": rng.integers(1, PROVIDER_COUNT + 1, size=COURSE_COUNT),
            "platform_id": rng.choice(
                len(PLATFORMS), size=COURSE_COUNT, p=[0.24, 0.18, 0.14, 0.12, 0.12, 0.10, 0.10]
            )
            + 1,
            "title": [f"{topics[i % len(topics)]} {i // len(topics) + 1}" for i in course_ids],
        }
    )
    return {
        "platforms": pd.DataFrame({"id": range(1, 8), "name": PLATFORMS}),
        "training_providers": providers,
        "courses": courses,
        "payment_partners": pd.DataFrame({"id": range(1, 5), "name": PAYMENT_PARTNERS}),
    }


def _eligible_pool(registration: people.Plan, geo: Geography) -> np.ndarray:
    """First pass: eligible registrants per province (the chunks are drawn and dropped)."""
    pool = np.zeros(len(geo.provinces), dtype=np.int64)
    for number, first_id, starts, counts in registration.chunks():
        if starts[0] >= _ELIGIBLE_BEFORE:
            break
        chunk = people.draw_chunk(geo, registration.seed, number, first_id, starts, counts)
        eligible = chunk["registered_at"].to_numpy() < _ELIGIBLE_BEFORE
        codes = _code_index(geo, chunk["regency_code"].to_numpy()[eligible])
        pool += np.bincount(geo.province[codes], minlength=len(pool))
    return pool


def _registrant_chunks(
    registration: people.Plan, geo: Geography, draw: RecipientDraw | None, report: Progress
) -> Iterator[pd.DataFrame]:
    total = max(1, int(registration.hour_counts.sum()))
    for number, first_id, starts, counts in registration.chunks():
        chunk = people.draw_chunk(geo, registration.seed, number, first_id, starts, counts)
        if draw is not None:
            draw.take(chunk)
        report("pendaftar", 0.1 + 0.6 * (first_id + len(chunk) - registration.first_id) / total)
        yield chunk


def tables(scale: float, seed: int = 2020, progress: Progress | None = None) -> Iterator[Table]:
    """Every table as (name, chunks), in an order the writer can follow: each table's chunks
    must be consumed before the next table is asked for (later tables depend on them)."""
    report = progress or (lambda step, fraction: None)
    rng = np.random.default_rng(seed)
    counts = target_counts(scale)
    for name, frame in _dimensions(rng).items():
        yield name, iter([frame])
    geo = people.geography(rng)
    registration = people.plan(rng, counts["registrants"], *people.day_weights(), seed=seed)
    report("pendaftar", 0.05)
    pool = _eligible_pool(registration, geo)
    quotas = province_quotas(pd.Series(pool, index=geo.provinces), counts["recipients"])
    draw = RecipientDraw(rng, geo, pool, quotas.reindex(geo.provinces).to_numpy())
    yield "registrants", _registrant_chunks(registration, geo, draw, report)
    report("penerima", 0.75)
    recipients = draw.recipients()
    yield "recipients", _frames(recipients)
    report("pelatihan", 0.85)
    completions, first = _completions(rng, recipients, counts["completed"])
    del recipients
    yield "training_completions", _frames(completions)
    report("insentif", 0.92)
    del completions
    yield "incentive_payments", _payments(rng, first, counts["paid"])
    marker = {
        "id": [1],
        "generator": ["synthetic"],
        "scale": [f"{scale:g}"],
        "seed": [seed],
        "generated_at": [pd.Timestamp.now().floor("s")],
    }
    yield "synthetic_dataset", iter([pd.DataFrame(marker)])


def generate(scale: float, seed: int = 2020) -> dict[str, pd.DataFrame]:
    """Every table whole, in memory: for small scales (tests)."""
    return {
        name: pd.concat(list(chunks), ignore_index=True) for name, chunks in tables(scale, seed)
    }


def build(url: str, scale: float, seed: int = 2020, progress: Progress | None = None) -> None:
    """Generate the replica and write it to ``url`` (replacing its contract tables)."""
    report = progress or (lambda step, fraction: None)
    write_tables(url, tables(scale, seed, report))
    report("selesai", 1.0)


_REPLICA_STATE = text(
    "SELECT (SELECT max(id) FROM registrants), (SELECT count(*) FROM registrants),"
    " (SELECT max(registered_at) FROM registrants),"
    " (SELECT max(id) FROM training_completions), (SELECT count(*) FROM training_completions),"
    " (SELECT max(id) FROM incentive_payments), (SELECT count(*) FROM incentive_payments)"
)
_NOT_YET_TRAINED = text(
    "SELECT r.registrant_id FROM recipients r WHERE NOT EXISTS (SELECT 1 FROM"
    " training_completions c WHERE c.registrant_id = r.registrant_id) ORDER BY r.id LIMIT :k"
)
_NOT_YET_PAID = text(
    "SELECT DISTINCT c.registrant_id FROM training_completions c WHERE NOT EXISTS (SELECT 1"
    " FROM incentive_payments p WHERE p.registrant_id = c.registrant_id)"
    " ORDER BY c.registrant_id LIMIT :k"
)


def append_days(url: str, days: int = 1, seed: int = 7) -> dict[str, int]:
    """Append ``days`` more days of activity after the replica's last row, as production
    would: new registrants, new first trainings and new first payments. Returns row counts."""
    rng = np.random.default_rng(seed)
    engine = create_engine(sqlalchemy_url(url))
    with engine.connect() as conn:
        max_reg, n_reg, last_at, max_done, n_done, max_paid, n_paid = conn.execute(
            _REPLICA_STATE
        ).one()
        span = (pd.Timestamp(last_at) - people.REGISTRATION_OPENS).days + 1
        start = pd.Timestamp(last_at).normalize() + pd.Timedelta(days=1)
        trained_ids = conn.execute(_NOT_YET_TRAINED, {"k": round(n_done / span * days)}).scalars()
        trained = np.array(list(trained_ids), dtype=np.int64)
        paid_ids = conn.execute(_NOT_YET_PAID, {"k": round(n_paid / 5 / span * days)}).scalars()
        paid = np.array(list(paid_ids), dtype=np.int64)
    engine.dispose()
    window = pd.date_range(start, periods=days, freq="D")
    geo = people.geography(rng)
    registration = people.plan(
        rng, round(n_reg / span * days), window, np.full(days, 1 / days), seed, max_reg + 1
    )
    completions: dict[str, np.ndarray] = {
        "registrant_id": trained,
        "course_id": rng.integers(1, COURSE_COUNT + 1, size=len(trained)),
        "completed_at": _times_within(rng, window, len(trained)),
    }
    payments: dict[str, np.ndarray] = {
        "registrant_id": paid,
        "partner_id": rng.integers(1, 5, size=len(paid)),
        "kind": np.zeros(len(paid), dtype=np.int8),
        "installment": np.ones(len(paid), dtype=np.int8),
        "paid_at": _times_within(rng, window, len(paid)),
    }
    new = {
        "registrants": pd.concat(_registrant_chunks(registration, geo, None, lambda *_: None)),
        "training_completions": _one_frame(completions, "completed_at", max_done + 1),
        "incentive_payments": _one_frame(payments, "paid_at", max_paid + 1),
    }
    append_tables(url, new.items())
    return {name: len(frame) for name, frame in new.items()}


def _one_frame(columns: dict[str, np.ndarray], time: str, first_id: int) -> pd.DataFrame:
    return pd.concat(_frames(_in_time_order(columns, time), first_id), ignore_index=True)


def _times_within(rng: np.random.Generator, window: pd.DatetimeIndex, size: int) -> np.ndarray:
    seconds = rng.integers(0, 86_400 * len(window), size=size).astype("timedelta64[s]")
    return window[0].to_datetime64().astype("datetime64[s]") + seconds
