"""Deterministic synthetic Kartu Prakerja replica, calibrated to the published 2020 figures.

``python -m queries.demo --scale S --url URL`` writes the contract's tables to SQLite (the
embedded default) or PostgreSQL (bulk COPY). At scale 1.0 the totals are exactly those of the
4 September 2020 press release: 15.9 million registrants, 3.0 million recipients, 849,921
people who completed a first training and 610,563 people paid. Smaller scales keep the same
shares. The same seed and scale always give the same rows.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from geo.regions import regencies
from geo.vintages import code_changes_2022
from queries import demo_outreach, writer
from queries.calibration import PUBLISHED_TOTALS, RECIPIENTS_THOUSANDS_2020

Progress = Callable[[str, float], None]
"""Called with a step name and the fraction done (0–1)."""

REGISTRATION_OPENS = datetime(2020, 4, 11)
DATA_UNTIL = datetime(2020, 9, 3, 23, 59, 59)
WAVE_SELECTED = {
    1: datetime(2020, 4, 17, 9),
    2: datetime(2020, 4, 26, 9),
    3: datetime(2020, 5, 4, 9),
    4: datetime(2020, 6, 20, 9),
    5: datetime(2020, 7, 7, 9),
    6: datetime(2020, 8, 1, 9),
}
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
AGE_BANDS = ((18, 25, 0.29), (26, 35, 0.34), (36, 45, 0.21), (46, 55, 0.12), (56, 64, 0.04))
EMPLOYMENT = (("unemployed", 0.55), ("informal", 0.20), ("laid_off", 0.15), ("employed", 0.10))
UNKNOWN_CODE_SHARE = 0.0002
"""Rows whose NIK-derived regency code is not a Kemendagri code (typos, foreign NIK)."""
INVALID_CODES = ("0000", "9999", "3299", "1900")
PAPUA_PROVINCES = ("91", "92", "93", "94", "95", "96")


@dataclass(frozen=True)
class DemoTables:
    """The generated tables as DataFrames, in the contract's column order."""

    platforms: pd.DataFrame
    training_providers: pd.DataFrame
    courses: pd.DataFrame
    payment_partners: pd.DataFrame
    registrants: pd.DataFrame
    recipients: pd.DataFrame
    training_completions: pd.DataFrame
    incentive_payments: pd.DataFrame
    synthetic_dataset: pd.DataFrame

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        return [(name, getattr(self, name)) for name in self.__dataclass_fields__]


def target_counts(scale: float) -> dict[str, int]:
    """Totals at a scale: exactly the published figures at 1.0, proportional below."""
    return {key: round(value * scale) for key, value in PUBLISHED_TOTALS.items()}


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices drawn with probability ∝ weight (Efraimidis–Spirakis keys)."""
    keys = np.log(rng.random(len(weights))) / np.maximum(weights, 1e-12)
    return np.sort(np.argpartition(-keys, k - 1)[:k]) if k else np.array([], dtype=np.int64)


def _regency_weights(rng: np.random.Generator) -> pd.DataFrame:
    """Population × outreach noise, with remote Papua regencies reached far less."""
    table = regencies()[["code", "province_code", "population"]].copy()
    noise = rng.lognormal(mean=0.0, sigma=0.45, size=len(table))
    remote = np.where(table["province_code"].isin(PAPUA_PROVINCES), 0.15, 1.0)
    table["weight"] = table["population"] * noise * remote
    return table


def _registration_day_weights() -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Daily registration intensity: a launch rush, decay, and bumps before each wave."""
    days = pd.date_range(REGISTRATION_OPENS, DATA_UNTIL.date(), freq="D")
    offset = np.arange(len(days), dtype=float)
    weights = 0.25 + 6.0 * np.exp(-offset / 4.0)
    for selected in WAVE_SELECTED.values():
        before = (selected - days.to_pydatetime()).astype("timedelta64[D]").astype(float)
        weights += 0.9 * np.exp(-(((before - 4.0) / 3.0) ** 2))
    return days, weights / weights.sum()


def _vintage_2020(codes: np.ndarray) -> np.ndarray:
    """Rows recorded in 2020 carry the regency codes in force before the 2022 Papua split."""
    back = {now: old for old, now in code_changes_2022().items()}
    return pd.Series(codes).map(lambda code: back.get(code, code)).to_numpy()


def _registrants(
    rng: np.random.Generator,
    n: int,
    days: pd.DatetimeIndex,
    day_weights: np.ndarray,
    first_id: int = 1,
) -> pd.DataFrame:
    weights = _regency_weights(rng)
    per_regency = rng.multinomial(n, (weights["weight"] / weights["weight"].sum()).to_numpy())
    codes = np.repeat(weights["code"].to_numpy(), per_regency)
    rng.shuffle(codes)
    unknown = rng.random(n) < UNKNOWN_CODE_SHARE
    codes[unknown] = rng.choice(INVALID_CODES, size=int(unknown.sum()))

    day_index = rng.choice(len(days), size=n, p=day_weights)
    seconds = rng.integers(0, 86_400, size=n)
    registered_at = days.to_numpy()[day_index] + seconds.astype("timedelta64[s]")

    bands = np.array([band[:2] for band in AGE_BANDS])
    band_index = rng.choice(len(AGE_BANDS), size=n, p=[band[2] for band in AGE_BANDS])
    ages = rng.integers(bands[band_index, 0], bands[band_index, 1] + 1)
    disability = rng.random(n) < 0.008
    late = registered_at >= np.datetime64("2020-06-15")
    offline = late & (rng.random(n) < np.where(disability, 0.35, 0.05))
    employment = rng.choice(
        [kind for kind, _ in EMPLOYMENT], size=n, p=[share for _, share in EMPLOYMENT]
    )
    frame = pd.DataFrame(
        {
            "regency_code": _vintage_2020(codes),
            "registered_at": registered_at,
            "channel": np.where(offline, "offline", "online"),
            "gender": np.where(rng.random(n) < 0.51, "F", "M"),
            "birth_year": (2020 - ages).astype(np.int16),
            "disability": disability,
            "employment_status": employment,
        }
    )
    frame = demo_outreach.plant_lifts(frame).sort_values("registered_at", kind="stable")
    frame.insert(0, "id", np.arange(first_id, first_id + n, dtype=np.int64))
    return frame.reset_index(drop=True)


def _province_quotas(registrants: pd.DataFrame, total: int) -> pd.Series:
    """Recipients per (2020) province, shaped like the 2020 report; Bengkulu, missing from
    the report, is imputed from its registrants at the median rate of the others."""
    report = pd.Series(RECIPIENTS_THOUSANDS_2020, dtype=float)
    province = registrants["regency_code"].str[:2]
    eligible = registrants["registered_at"] < WAVE_SELECTED[6]
    pool = province[eligible].value_counts()
    shares = report / pool.reindex(report.index)
    missing = pool.index.difference(report.index)
    report = pd.concat([report, pool[missing] * shares.median()])
    exact = report / report.sum() * total
    quotas = np.floor(exact).astype(int)
    remainder = total - quotas.sum()
    quotas[(exact - quotas).sort_values(ascending=False).index[:remainder]] += 1
    return quotas.clip(upper=(pool.reindex(quotas.index).fillna(0) * 0.9).astype(int))


def _recipients(rng: np.random.Generator, registrants: pd.DataFrame, n: int) -> pd.DataFrame:
    eligible = registrants.loc[registrants["registered_at"] < WAVE_SELECTED[6]]
    province = eligible["regency_code"].str[:2]
    quotas = _province_quotas(registrants, n)
    shortfall = n - quotas.sum()
    chosen = [
        rng.choice(eligible.index[province == code], size=quota, replace=False)
        for code, quota in quotas.items()
        if quota > 0
    ]
    picked = np.concatenate(chosen)
    if shortfall > 0:  # only when a tiny scale caps a province: fill from anywhere
        rest = np.setdiff1d(eligible.index.to_numpy(), picked)
        picked = np.concatenate([picked, rng.choice(rest, size=shortfall, replace=False)])
    people = registrants.loc[np.sort(picked)]
    wave_dates = np.array(list(WAVE_SELECTED.values()), dtype="datetime64[s]")
    first = np.searchsorted(wave_dates, people["registered_at"].to_numpy(), side="right")
    wave = np.minimum(first + rng.geometric(0.55, size=len(people)) - 1, len(wave_dates) - 1)
    selected_at = wave_dates[wave] + rng.integers(0, 36_000, size=len(people)).astype(
        "timedelta64[s]"
    )
    frame = pd.DataFrame(
        {"registrant_id": people["id"].to_numpy(), "wave": wave + 1, "selected_at": selected_at}
    )
    return _with_ids(frame, "selected_at")


def _lag(rng: np.random.Generator, size: int, base_days: float, shape: float, scale: float):
    days = base_days + rng.gamma(shape, scale, size=size)
    return (days * 86_400).astype("int64").astype("timedelta64[s]")


def _until_data_end(times: np.ndarray) -> np.ndarray:
    return np.minimum(times, np.datetime64(DATA_UNTIL, "s"))


def _completions(rng: np.random.Generator, recipients: pd.DataFrame, n: int) -> pd.DataFrame:
    age = (np.datetime64(DATA_UNTIL) - recipients["selected_at"].to_numpy()) / np.timedelta64(
        1, "D"
    )
    picked = recipients.iloc[_weighted_sample(rng, age**1.5, n)]
    completed_at = _until_data_end(
        picked["selected_at"].to_numpy() + _lag(rng, len(picked), 2, 2.0, 5.0)
    )
    popularity = 1.0 / np.arange(1, COURSE_COUNT + 1) ** 0.9
    course = rng.choice(COURSE_COUNT, size=len(picked), p=popularity / popularity.sum()) + 1
    first = pd.DataFrame(
        {
            "registrant_id": picked["registrant_id"].to_numpy(),
            "course_id": course,
            "completed_at": completed_at,
        }
    )
    second = first.loc[rng.random(len(first)) < 0.15].copy()
    second["course_id"] = rng.choice(COURSE_COUNT, size=len(second)) + 1
    second["completed_at"] = second["completed_at"] + _lag(rng, len(second), 3, 2.0, 6.0)
    second = second.loc[second["completed_at"] <= DATA_UNTIL]
    return _with_ids(pd.concat([first, second], ignore_index=True), "completed_at")


def _payments(rng: np.random.Generator, completions: pd.DataFrame, n: int) -> pd.DataFrame:
    first = completions.sort_values("completed_at").drop_duplicates("registrant_id")
    age = (np.datetime64(DATA_UNTIL) - first["completed_at"].to_numpy()) / np.timedelta64(1, "D")
    paid = first.iloc[_weighted_sample(rng, (age + 0.5) ** 2, n)]
    first_paid = _until_data_end(
        paid["completed_at"].to_numpy() + _lag(rng, len(paid), 3, 2.0, 4.0)
    )
    partner = rng.choice(len(PAYMENT_PARTNERS), size=len(paid), p=PARTNER_SHARES) + 1
    people = paid["registrant_id"].to_numpy()
    rows = [
        _installments(people, partner, first_paid, k, "monthly", 0, MONTHLY_IDR)
        for k in range(1, 5)
    ]
    for k in range(1, 4):
        answered = rng.random(len(paid)) < 0.75
        rows.append(
            _installments(
                people[answered],
                partner[answered],
                first_paid[answered],
                k,
                "survey",
                2,
                SURVEY_IDR,
            )
        )
    frame = pd.concat(rows, ignore_index=True)
    return _with_ids(frame.loc[frame["paid_at"] <= DATA_UNTIL], "paid_at")


def _installments(people, partner, first_paid, k, kind, extra_days, amount) -> pd.DataFrame:
    """Installment k is paid about 30 days after k-1; surveys a few days after a monthly."""
    paid_at = first_paid + np.timedelta64(30 * (k - 1) + extra_days, "D")
    if k == 1 and kind == "monthly":
        paid_at = first_paid
    return pd.DataFrame(
        {
            "registrant_id": people,
            "partner_id": partner,
            "kind": kind,
            "installment": k,
            "amount_idr": amount,
            "paid_at": paid_at,
        }
    )


def _with_ids(frame: pd.DataFrame, time_column: str, first_id: int = 1) -> pd.DataFrame:
    """Ids in time order, as an append-only production table would have them."""
    frame = frame.sort_values([time_column, "registrant_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "id", np.arange(first_id, first_id + len(frame), dtype=np.int64))
    return frame


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


def generate(scale: float, seed: int = 2020, progress: Progress | None = None) -> DemoTables:
    """Build every table in memory. Deterministic for a (scale, seed) pair."""
    report = progress or (lambda step, fraction: None)
    rng = np.random.default_rng(seed)
    counts = target_counts(scale)
    report("dimensi", 0.05)
    dims = _dimensions(rng)
    report("pendaftar", 0.10)
    registrants = _registrants(rng, counts["registrants"], *_registration_day_weights())
    report("penerima", 0.45)
    recipients = _recipients(rng, registrants, counts["recipients"])
    report("pelatihan", 0.60)
    completions = _completions(rng, recipients, counts["completed"])
    report("insentif", 0.70)
    payments = _payments(rng, completions, counts["paid"])
    marker = pd.DataFrame(
        {
            "id": [1],
            "generator": ["queries.demo"],
            "scale": [f"{scale:g}"],
            "seed": [seed],
            "generated_at": [pd.Timestamp.now().floor("s")],
        }
    )
    return DemoTables(
        **dims,
        registrants=registrants,
        recipients=recipients,
        training_completions=completions,
        incentive_payments=payments,
        synthetic_dataset=marker,
    )


def build(url: str, scale: float, seed: int = 2020, progress: Progress | None = None) -> None:
    """Generate the replica and write it to ``url`` (replacing its contract tables)."""
    report = progress or (lambda step, fraction: None)
    tables = generate(scale, seed, progress)
    report("menulis", 0.75)
    writer.write_tables(url, tables.items(), lambda done: report("menulis", 0.75 + 0.25 * done))
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
    engine = create_engine(writer.sqlalchemy_url(url))
    with engine.connect() as conn:
        max_reg, n_reg, last_at, max_done, n_done, max_paid, n_paid = conn.execute(
            _REPLICA_STATE
        ).one()
        span = (pd.Timestamp(last_at) - REGISTRATION_OPENS).days + 1
        start = pd.Timestamp(last_at).normalize() + pd.Timedelta(days=1)
        trained = conn.execute(_NOT_YET_TRAINED, {"k": round(n_done / span * days)}).scalars()
        trained = np.array(list(trained), dtype=np.int64)
        paid = conn.execute(_NOT_YET_PAID, {"k": round(n_paid / 5 / span * days)}).scalars()
        paid = np.array(list(paid), dtype=np.int64)
    engine.dispose()
    window = pd.date_range(start, periods=days, freq="D")
    new = {
        "registrants": _registrants(
            rng, round(n_reg / span * days), window, np.full(days, 1 / days), max_reg + 1
        ),
        "training_completions": _with_ids(
            pd.DataFrame(
                {
                    "registrant_id": trained,
                    "course_id": rng.integers(1, COURSE_COUNT + 1, size=len(trained)),
                    "completed_at": _times_within(rng, window, len(trained)),
                }
            ),
            "completed_at",
            max_done + 1,
        ),
        "incentive_payments": _with_ids(
            _installments(
                paid,
                rng.integers(1, 5, size=len(paid)),
                _times_within(rng, window, len(paid)),
                1,
                "monthly",
                0,
                MONTHLY_IDR,
            ),
            "paid_at",
            max_paid + 1,
        ),
    }
    writer.append_tables(url, new.items())
    return {name: len(frame) for name, frame in new.items()}


def _times_within(rng: np.random.Generator, window: pd.DatetimeIndex, size: int) -> np.ndarray:
    seconds = rng.integers(0, 86_400 * len(window), size=size).astype("timedelta64[s]")
    return window[0].to_datetime64() + seconds


def main(argv: list[str] | None = None) -> int:
    from queries.bootstrap import terminal

    parser = argparse.ArgumentParser(prog="python -m queries.demo", description=__doc__)
    parser.add_argument("--scale", type=float, default=0.02, help="1.0 = 15.9 M registrants")
    parser.add_argument("--url", required=True, help="sqlite:///file.db or postgresql://…")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--append-days",
        type=int,
        default=0,
        help="append N days of activity to an existing replica instead",
    )
    args = parser.parse_args(argv)
    started = datetime.now()
    if args.append_days:
        counts = append_days(args.url, args.append_days)
        print(f"Ditambahkan: {counts}")
    else:
        build(args.url, args.scale, args.seed, terminal("Membangun replika sintetis"))
    print(f"Selesai dalam {(datetime.now() - started).total_seconds():.1f} detik.")
    return 0


if __name__ == "__main__":
    from queries.cli import run_command

    sys.exit(run_command(main))
